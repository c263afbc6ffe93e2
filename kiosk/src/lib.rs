//! The in-store client app: one binary for every in-store device, whose role comes from
//! pairing. `app` is the shell: start-up, the UI and network threads, pairing and the
//! dispatch to a role. Each role is a module of its own — `kiosk` (check-in), `display`
//! (the queue display), `tablet` (stylist and front desk) — holding a controller (or, for
//! the display, a model) that needs no window and is tested without one, and an adapter,
//! that role's only code touching the Slint screens. Below them: card-scan detection
//! (`scan`), the check-ins that survive a network drop (`pending`), the saved pairing
//! (`device`) and the surname list (`surnames`).

pub mod app;
pub mod device;
pub mod display;
pub mod kiosk;
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
