//! The in-store client app's logic, kept apart from the Slint screens so it can be tested
//! without a window: the check-in flow's controller, card-scan detection and the queue of
//! confirmed check-ins that survives a network drop.

pub mod checkin;
pub mod pending;
pub mod scan;
