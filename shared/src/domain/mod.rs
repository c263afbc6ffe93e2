//! Domain types and rules. Nothing here does IO or reads a clock: functions take `now`.

pub mod auth;
pub mod bill;
pub mod card;
pub mod coupon;
pub mod customer;
pub mod error;
pub mod estimate;
pub mod feedback;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod phone;
pub mod planner;
pub mod queue;
pub mod rotation;
pub mod schedule;
pub mod search;
pub mod service;
pub mod staff;
pub mod text;
pub mod tier;

pub use auth::{Action, Role};
pub use card::{CardNo, CardStatus, MemberCard};
pub use customer::{Customer, CustomerStatus, Gender, Source, Tier};
pub use error::DomainError;
pub use ids::{
    CheckoutId, CouponDefId, CouponId, CustomerId, DeviceId, PackageId, ProductId, ServiceId,
    StaffId,
};
pub use money::Money;
pub use phone::Phone;
pub use service::{Service, ServiceCategory};
pub use staff::{Staff, StaffLevel, StaffRole};
