//! The salon domain (validated types and rules, no IO), the API's wire types, and the
//! HTTP client the apps and the end-to-end tests use to talk to the store server.

pub mod api;
#[cfg(feature = "client")]
pub mod client;
pub mod domain;

pub use domain::*;

/// The API version the server speaks and advertises over mDNS.
pub const API_VERSION: &str = "1";
/// The DNS-SD service type the store server advertises on the LAN.
pub const SERVICE_TYPE: &str = "_salon._tcp.local.";
