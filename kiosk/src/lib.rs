//! The in-store client app: one binary for every in-store device, whose role comes from
//! pairing. The logic that needs no window — the check-in flow's controller, card-scan
//! detection, the queue of confirmed check-ins that survives a network drop, the saved
//! pairing and the queue display's model — is tested without one; `app` is the only code
//! that touches the Slint screens.

pub mod app;
pub mod checkin;
pub mod device;
pub mod display;
pub mod pending;
pub mod scan;
pub mod surnames;
pub mod tablet;

/// A copy of what `lock` holds; a lock poisoned by a panicking writer still holds a whole
/// value (writers only replace it), so it is read anyway.
pub(crate) fn current<T: Clone>(lock: &std::sync::RwLock<T>) -> T {
    match lock.read() {
        Ok(v) => v.clone(),
        Err(p) => p.into_inner().clone(),
    }
}
