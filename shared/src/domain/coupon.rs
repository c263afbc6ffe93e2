//! Coupons (CPN-1/2): what a coupon gives, when it is valid, and its once-only life.

use crate::text::label;
use crate::{CheckoutId, CouponDefId, CouponId, CustomerId, DomainError, Money, ProductId};
use crate::{ServiceCategory, ServiceId};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a coupon takes off the bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CouponKind {
    /// Spend at least `min_spend`, take `off` off (满200减30).
    Threshold { min_spend: Money, off: Money },
    /// `percent` off; only on the listed categories when any are listed.
    Percent {
        percent: Decimal,
        #[serde(default)]
        categories: Vec<ServiceCategory>,
    },
    /// One named service or product free (兑换券).
    Exchange { item: ExchangeItem },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum ExchangeItem {
    Service(ServiceId),
    Product(ProductId),
}

/// A kind of coupon the store hands out, as the manager defined it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CouponDef {
    pub id: CouponDefId,
    pub name: String,
    pub kind: CouponKind,
    /// First and last store-local day a coupon of this kind can be redeemed.
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// How many coupons of this kind one customer may hold in all (used or not).
    pub per_customer_limit: u32,
    /// Whether it combines with the member tier discount; when not, the bill skips that
    /// discount for this coupon (不与会员折扣同享).
    pub stacks_with_tier: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// A coupon definition as a manager sends it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponDefInput {
    pub name: String,
    pub kind: CouponKind,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    #[serde(default = "one")]
    pub per_customer_limit: u32,
    #[serde(default = "yes")]
    pub stacks_with_tier: bool,
}

fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}

impl CouponDefInput {
    pub fn into_def(self, id: CouponDefId, now: DateTime<Utc>) -> Result<CouponDef, DomainError> {
        let name = label("name", &self.name)?;
        match &self.kind {
            CouponKind::Threshold { min_spend, off } => {
                if off.amount().is_zero() {
                    return Err(DomainError::invalid("off", "must be more than 0"));
                }
                if off > min_spend {
                    return Err(DomainError::invalid("off", "must not exceed min_spend"));
                }
            }
            CouponKind::Percent { percent, .. } => {
                if *percent <= Decimal::ZERO || *percent > Decimal::ONE_HUNDRED {
                    return Err(DomainError::invalid(
                        "percent",
                        "must be above 0, at most 100",
                    ));
                }
                if percent.normalize().scale() > 2 {
                    return Err(DomainError::invalid(
                        "percent",
                        "at most two decimal places",
                    ));
                }
            }
            CouponKind::Exchange { .. } => {}
        }
        if self.valid_to < self.valid_from {
            return Err(DomainError::invalid(
                "valid_to",
                "must not be before valid_from",
            ));
        }
        if (self.valid_to - self.valid_from).num_days() > 3 * 366 {
            return Err(DomainError::invalid(
                "valid_to",
                "at most three years of validity",
            ));
        }
        if !(1..=100).contains(&self.per_customer_limit) {
            return Err(DomainError::invalid(
                "per_customer_limit",
                "between 1 and 100",
            ));
        }
        Ok(CouponDef {
            id,
            name,
            kind: self.kind,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            per_customer_limit: self.per_customer_limit,
            stacks_with_tier: self.stacks_with_tier,
            active: true,
            created_at: now,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum CouponState {
    Issued,
    Redeemed {
        checkout: CheckoutId,
        at: DateTime<Utc>,
    },
    /// Withdrawn by the store; cannot be redeemed.
    Void {
        at: DateTime<Utc>,
    },
}

/// One coupon in one customer's hands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Coupon {
    pub id: CouponId,
    pub def: CouponDefId,
    pub customer_id: CustomerId,
    pub issued_at: DateTime<Utc>,
    pub state: CouponState,
}

/// Why a coupon cannot be used on this bill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponRefusal {
    #[error("coupon was already used")]
    Used,
    #[error("coupon was withdrawn")]
    Void,
    #[error("coupon belongs to another customer")]
    NotYours,
    #[error("coupon is valid from {from} to {to}")]
    OutOfDate { from: NaiveDate, to: NaiveDate },
}

impl CouponRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            CouponRefusal::Used => "coupon_used",
            CouponRefusal::Void => "coupon_void",
            CouponRefusal::NotYours => "coupon_not_yours",
            CouponRefusal::OutOfDate { .. } => "coupon_expired",
        }
    }
}

impl Coupon {
    /// Whether `customer` may redeem this coupon on store-local day `today`.
    pub fn redeemable(
        &self,
        def: &CouponDef,
        customer: CustomerId,
        today: NaiveDate,
    ) -> Result<(), CouponRefusal> {
        match self.state {
            CouponState::Issued => {}
            CouponState::Redeemed { .. } => return Err(CouponRefusal::Used),
            CouponState::Void { .. } => return Err(CouponRefusal::Void),
        }
        if self.customer_id != customer {
            return Err(CouponRefusal::NotYours);
        }
        if today < def.valid_from || today > def.valid_to {
            return Err(CouponRefusal::OutOfDate {
                from: def.valid_from,
                to: def.valid_to,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }

    fn input(kind: CouponKind) -> CouponDefInput {
        CouponDefInput {
            name: "满200减30".into(),
            kind,
            valid_from: day(1),
            valid_to: day(30),
            per_customer_limit: 1,
            stacks_with_tier: true,
        }
    }

    fn m(d: Decimal) -> Money {
        Money::new(d).expect("money")
    }

    #[test]
    fn definitions_are_checked() {
        let now = Utc::now();
        let ok = [
            CouponKind::Threshold {
                min_spend: m(dec!(200)),
                off: m(dec!(30)),
            },
            CouponKind::Percent {
                percent: dec!(20),
                categories: vec![],
            },
            CouponKind::Exchange {
                item: ExchangeItem::Service(ServiceId(1)),
            },
        ];
        for k in ok {
            assert!(
                input(k.clone()).into_def(CouponDefId(1), now).is_ok(),
                "{k:?}"
            );
        }
        let bad = [
            CouponKind::Threshold {
                min_spend: m(dec!(20)),
                off: m(dec!(30)),
            },
            CouponKind::Threshold {
                min_spend: m(dec!(20)),
                off: m(dec!(0)),
            },
            CouponKind::Percent {
                percent: dec!(0),
                categories: vec![],
            },
            CouponKind::Percent {
                percent: dec!(100.5),
                categories: vec![],
            },
            CouponKind::Percent {
                percent: dec!(10.125),
                categories: vec![],
            },
        ];
        for k in bad {
            assert!(
                input(k.clone()).into_def(CouponDefId(1), now).is_err(),
                "{k:?}"
            );
        }
        let mut backwards = input(CouponKind::Percent {
            percent: dec!(5),
            categories: vec![],
        });
        backwards.valid_to = day(1);
        backwards.valid_from = day(2);
        assert!(backwards.into_def(CouponDefId(1), now).is_err());
    }

    #[test]
    fn redeemable_once_by_its_owner_in_its_window() {
        let now = Utc::now();
        let def = input(CouponKind::Percent {
            percent: dec!(5),
            categories: vec![],
        })
        .into_def(CouponDefId(1), now)
        .expect("valid");
        let mut c = Coupon {
            id: CouponId(9),
            def: def.id,
            customer_id: CustomerId(1),
            issued_at: now,
            state: CouponState::Issued,
        };
        assert_eq!(c.redeemable(&def, CustomerId(1), day(15)), Ok(()));
        assert_eq!(
            c.redeemable(&def, CustomerId(2), day(15)),
            Err(CouponRefusal::NotYours)
        );
        assert!(matches!(
            c.redeemable(
                &def,
                CustomerId(1),
                NaiveDate::from_ymd_opt(2026, 12, 1).expect("d")
            ),
            Err(CouponRefusal::OutOfDate { .. })
        ));
        c.state = CouponState::Redeemed {
            checkout: CheckoutId(1),
            at: now,
        };
        assert_eq!(
            c.redeemable(&def, CustomerId(1), day(15)),
            Err(CouponRefusal::Used)
        );
    }
}
