//! The route handlers, one module per route family. A route module never imports another:
//! what two routes share is an operation in `crate::ops`.

pub mod audit;
pub mod cards;
pub mod checkout;
pub mod customers;
pub mod devices;
pub mod events;
pub mod feedback;
pub mod health;
pub mod kiosk;
pub mod members;
pub mod notify;
pub mod products;
pub mod queue;
pub mod schedule;
pub mod services;
pub mod staff;
pub mod visits;
