//! Money (PAY, MEM, CPN, REC): each customer's wallet and its append-only ledgers
//! (`ledgers`), what members buy and hold — top-ups, packages, coupons, the customer 360
//! (`members`) — and checkout: pricing with every benefit, payment with all its effects in
//! one transaction, refunds that reverse exactly those effects, and the cash-up
//! (`checkout`, with the printed `receipt`).

pub mod checkout;
pub mod ledgers;
pub mod members;
pub mod receipt;

pub use ledgers::{absorb, verify_ledgers};

use super::catalog::CatalogError;
use super::customers::CustomerError;
use super::stock::StockError;
use super::{Kind, OpError};
use crate::store::StoreError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use salon_shared::bill::BillError;
use salon_shared::coupon::CouponRefusal;
use salon_shared::{CheckoutId, CouponId, DomainError, ProductId, StaffId};

/// Why a money operation refused.
#[derive(Debug, thiserror::Error)]
pub enum MoneyError {
    #[error("no queue ticket with this id")]
    TicketNotFound,
    #[error("the ticket belongs to another customer")]
    CustomerMismatch,
    #[error("ticket {number} is {state}: only a visit in service or done is paid")]
    VisitNotStarted { number: String, state: String },
    #[error("ticket {number} was already paid")]
    AlreadyPaid {
        number: String,
        checkout: CheckoutId,
    },
    #[error("no staff member {0}")]
    StaffUnknown(StaffId),
    #[error("product {0} does not exist")]
    ProductUnknown(ProductId),
    #[error("a coupon is redeemed by the member who holds it")]
    CouponNeedsMember,
    #[error("no coupon {0}")]
    CouponUnknown(CouponId),
    #[error("points are redeemed by a member")]
    PointsNeedMember,
    #[error("not enough points")]
    PointsInsufficient,
    #[error("checkout not found")]
    CheckoutNotFound,
    #[error("{0} was already refunded")]
    AlreadyRefunded(String),
    #[error("the balance is {balance}, below the {added} this top-up added")]
    BalanceAlreadyUsed { balance: Decimal, added: Decimal },
    #[error("{name} has been used {used} times; only an unused package is refunded")]
    PackageUsed { name: String, used: u32 },
    #[error("stored value balance is {balance}, {wanted} needed")]
    BalanceInsufficient { balance: Decimal, wanted: Decimal },
    #[error("{0} has no uses left")]
    PackageUsedUp(String),
    #[error("{0}")]
    Invalid(&'static str),
    #[error("a top-up is paid in cash or by mobile payment")]
    TopUpPayment,
    #[error("no such package plan on sale")]
    PlanUnknown,
    #[error("no such coupon on offer")]
    CouponDefUnknown,
    #[error("{name} ended on {on}")]
    CouponExpired { name: String, on: NaiveDate },
    #[error("{customer} already has {held} of '{coupon}' (limit {limit})")]
    CouponLimit {
        customer: String,
        coupon: String,
        held: usize,
        limit: u32,
    },
    /// A record another record points to is missing: the store is inconsistent.
    #[error("{0} vanished")]
    Vanished(&'static str),
    #[error(transparent)]
    Bill(#[from] BillError),
    #[error(transparent)]
    Coupon(#[from] CouponRefusal),
    #[error(transparent)]
    Customer(#[from] CustomerError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Stock(#[from] StockError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError for MoneyError {
    fn kind(&self) -> Kind {
        use MoneyError as E;
        match self {
            E::TicketNotFound | E::CheckoutNotFound => Kind::NotFound,
            E::VisitNotStarted { .. }
            | E::AlreadyPaid { .. }
            | E::PointsInsufficient
            | E::AlreadyRefunded(_)
            | E::BalanceAlreadyUsed { .. }
            | E::PackageUsed { .. }
            | E::BalanceInsufficient { .. }
            | E::PackageUsedUp(_)
            | E::CouponExpired { .. }
            | E::CouponLimit { .. } => Kind::Conflict,
            E::CustomerMismatch
            | E::StaffUnknown(_)
            | E::ProductUnknown(_)
            | E::CouponNeedsMember
            | E::CouponUnknown(_)
            | E::PointsNeedMember
            | E::Invalid(_)
            | E::TopUpPayment
            | E::PlanUnknown
            | E::CouponDefUnknown => Kind::Invalid,
            E::Vanished(_) => Kind::Internal,
            E::Bill(e) => e.kind(),
            E::Coupon(e) => e.kind(),
            E::Customer(e) => e.kind(),
            E::Catalog(e) => e.kind(),
            E::Stock(e) => e.kind(),
            E::Domain(e) => e.kind(),
            E::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        use MoneyError as E;
        match self {
            E::TicketNotFound => "ticket_not_found",
            E::CustomerMismatch => "customer_mismatch",
            E::VisitNotStarted { .. } => "visit_not_started",
            E::AlreadyPaid { .. } => "already_paid",
            E::StaffUnknown(_) => "staff_unknown",
            E::ProductUnknown(_) => "product_unknown",
            E::CouponNeedsMember => "coupon_needs_member",
            E::CouponUnknown(_) => "coupon_unknown",
            E::PointsNeedMember => "points_need_member",
            E::PointsInsufficient => "points_insufficient",
            E::CheckoutNotFound => "not_found",
            E::AlreadyRefunded(_) => "already_refunded",
            E::BalanceAlreadyUsed { .. } => "balance_already_used",
            E::PackageUsed { .. } => "package_used",
            E::BalanceInsufficient { .. } => "balance_insufficient",
            E::PackageUsedUp(_) => "package_used_up",
            E::Invalid(_) => "invalid",
            E::TopUpPayment => "payment_invalid",
            E::PlanUnknown => "plan_unknown",
            E::CouponDefUnknown => "coupon_def_unknown",
            E::CouponExpired { .. } => "coupon_expired",
            E::CouponLimit { .. } => "coupon_limit",
            E::Vanished(_) => "internal",
            E::Bill(e) => e.code(),
            E::Coupon(e) => e.code(),
            E::Customer(e) => e.code(),
            E::Catalog(e) => e.code(),
            E::Stock(e) => e.code(),
            E::Domain(e) => e.code(),
            E::Store(e) => e.code(),
        }
    }
    fn details(&self) -> Option<serde_json::Value> {
        match self {
            MoneyError::AlreadyPaid { checkout, .. } => {
                Some(serde_json::json!({ "checkout_id": checkout }))
            }
            MoneyError::Bill(e) => e.details(),
            MoneyError::Customer(e) => e.details(),
            _ => None,
        }
    }
}
