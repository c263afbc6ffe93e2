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
