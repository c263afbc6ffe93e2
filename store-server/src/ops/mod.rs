//! The store's operations, one module per business area. Each operation is a function over
//! the writer's [`Tx`](crate::store::Tx) (a change) or a read transaction (a view): it checks
//! the domain's rules, persists, audits and emits its event, and returns its own error enum
//! with stable codes. Nothing here knows HTTP: the routes, the background jobs and the
//! command line all call the same operations, and `http::error` alone turns their errors
//! into answers.

pub mod audit;
pub mod catalog;
pub mod customers;
pub mod devices;
pub mod events;
pub mod feedback;
pub mod money;
pub mod notify;
pub mod queue;
pub mod schedule;
pub mod staff;
pub mod stock;
pub mod visits;

use crate::StoreInfo;
use crate::store::{StoreError, tables};
use chrono::{Duration, NaiveDate, Utc};
use redb::ReadTransaction;
use salon_shared::DomainError;
use salon_shared::api::PeriodQuery;
use salon_shared::bill::BillError;
use salon_shared::coupon::CouponRefusal;
use std::collections::BTreeMap;

/// What kind of refusal an error is. The HTTP edge answers each kind with one status; a
/// job or the command line reports the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request itself is malformed (a bad query, a bad key).
    BadInput,
    /// Well-formed, but what it asks for breaks a rule of its own (a PIN of three digits).
    Invalid,
    /// The caller is not who it must be (no pairing, a wrong PIN, a signed-out cashier).
    Unauthenticated,
    /// The caller may not do this.
    Forbidden,
    /// What it names does not exist.
    NotFound,
    /// It collides with the store as it stands (a taken phone, a paid visit).
    Conflict,
    /// Too many failed attempts: wait before trying again.
    TooMany,
    /// The store failed; logged where it is answered, never told in detail.
    Internal,
}

/// An operation's error: a kind, a stable code devices switch on, and a message (its
/// `Display`) a person can read.
pub trait OpError: std::error::Error {
    fn kind(&self) -> Kind;
    fn code(&self) -> &'static str;
    /// Extra facts for the device, e.g. the nearest free slots after a booking conflict.
    fn details(&self) -> Option<serde_json::Value> {
        None
    }
}

impl OpError for StoreError {
    fn kind(&self) -> Kind {
        Kind::Internal
    }
    fn code(&self) -> &'static str {
        "internal"
    }
}

impl OpError for DomainError {
    fn kind(&self) -> Kind {
        Kind::Invalid
    }
    fn code(&self) -> &'static str {
        DomainError::code(self)
    }
}

impl OpError for BillError {
    fn kind(&self) -> Kind {
        match self {
            BillError::BalanceInsufficient { .. } | BillError::PointsInsufficient { .. } => {
                Kind::Conflict
            }
            _ => Kind::Invalid,
        }
    }
    fn code(&self) -> &'static str {
        BillError::code(self)
    }
    fn details(&self) -> Option<serde_json::Value> {
        match self {
            BillError::PointsExceedDue { max } => Some(serde_json::json!({ "max_points": max })),
            _ => None,
        }
    }
}

impl OpError for CouponRefusal {
    fn kind(&self) -> Kind {
        Kind::Conflict
    }
    fn code(&self) -> &'static str {
        CouponRefusal::code(self)
    }
}

/// Staff members' names by id, for views and reports that show a name beside an id.
pub fn staff_names(r: &ReadTransaction) -> Result<BTreeMap<u64, String>, StoreError> {
    Ok(tables::STAFF
        .all(r)?
        .into_iter()
        .map(|s| (s.id.0, s.name))
        .collect())
}

/// Services' names by id, likewise.
pub fn service_names(r: &ReadTransaction) -> Result<BTreeMap<u64, String>, StoreError> {
    Ok(tables::SERVICES
        .all(r)?
        .into_iter()
        .map(|s| (s.id.0, s.name))
        .collect())
}

/// The store-local calendar day of `at`.
pub fn day_of(info: &StoreInfo, at: chrono::DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&info.tz).date_naive()
}

/// The longest period a report covers in one request.
pub const MAX_REPORT_DAYS: i64 = 366;

/// A report period that runs backwards or is longer than [`MAX_REPORT_DAYS`].
#[derive(Debug, thiserror::Error)]
#[error("the period must run forwards and cover at most 366 days")]
pub struct PeriodInvalid;

impl OpError for PeriodInvalid {
    fn kind(&self) -> Kind {
        Kind::BadInput
    }
    fn code(&self) -> &'static str {
        "bad_query"
    }
}

/// Resolves a report period in store-local days (default: the last 30 days).
pub fn period(info: &StoreInfo, q: &PeriodQuery) -> Result<(NaiveDate, NaiveDate), PeriodInvalid> {
    let today = day_of(info, Utc::now());
    let to = q.to.unwrap_or(today);
    let from = q.from.unwrap_or(to - Duration::days(29));
    if from > to || (to - from).num_days() >= MAX_REPORT_DAYS {
        return Err(PeriodInvalid);
    }
    Ok((from, to))
}
