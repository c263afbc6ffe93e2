//! Member ledgers (MEM-3..5): stored value, points and package uses. Each is an append-only
//! list of signed entries; the balance is their sum and never goes below zero.

use crate::text::label;
use crate::{CheckoutId, CustomerId, DomainError, Money, PackageId, ServiceId};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A movement would take a balance below zero.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("balance is {balance}, {wanted} needed")]
pub struct Insufficient {
    pub balance: Decimal,
    pub wanted: Decimal,
}

/// The balance after adding `delta`, refused when it would be negative.
pub fn post(balance: Decimal, delta: Decimal) -> Result<Decimal, Insufficient> {
    let after = balance + delta;
    if after < Decimal::ZERO {
        return Err(Insufficient {
            balance,
            wanted: -delta,
        });
    }
    Ok(after)
}

/// Why the stored-value balance moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValueReason {
    /// Money paid in.
    TopUp,
    /// The store's gift on a top-up (pay 1000, get 1100): kept apart for the liability report.
    Bonus,
    /// Paid a bill.
    Spend,
    /// A refunded bill gives back what it took.
    Refund,
    /// A refunded top-up takes back what it gave.
    TopUpRefund,
    /// Moved between two records of one person when they were merged (CUS-5).
    Merge,
}

/// Why the points balance moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PointsReason {
    Earned,
    Redeemed,
    /// A refunded bill gives back the points it redeemed.
    RedeemRefunded,
    /// A refunded bill takes back the points it earned (as many as are left).
    EarnReversed,
    Expired,
    /// Moved between two records of one person when they were merged (CUS-5).
    Merge,
}

/// Why a package's remaining uses moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PackageReason {
    Bought,
    Used,
    /// A refunded bill gives back the uses it took.
    UseRefunded,
    /// The package itself was refunded: its remaining uses end.
    Refunded,
}

/// A stored-value ledger line: signed amount, and the balance it left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ValueEntry {
    pub seq: u64,
    pub customer_id: CustomerId,
    pub at: DateTime<Utc>,
    pub reason: ValueReason,
    pub amount: Decimal,
    pub balance_after: Decimal,
    /// The bill, top-up or sale this came from.
    pub checkout: Option<CheckoutId>,
}

/// A points ledger line: signed points, and the balance they left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PointsEntry {
    pub seq: u64,
    pub customer_id: CustomerId,
    pub at: DateTime<Utc>,
    pub reason: PointsReason,
    pub amount: i64,
    pub balance_after: i64,
    pub checkout: Option<CheckoutId>,
}

/// A package use movement; `package` says which of the customer's packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackageEntry {
    pub seq: u64,
    pub package: PackageId,
    pub at: DateTime<Utc>,
    pub reason: PackageReason,
    pub uses: i64,
    pub remaining_after: i64,
    pub checkout: Option<CheckoutId>,
}

/// A customer's balances as stored: a cache of their ledgers, written in the same
/// transaction as every entry, and checked against them by the store's ledger check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    pub stored_value: Decimal,
    pub points: PointsLots,
    /// Spend per month, for the tier rule's "N consecutive months" (MEM-1).
    #[serde(default)]
    pub monthly_spend: std::collections::BTreeMap<crate::tier::MonthKey, Decimal>,
}

/// Points earned together, spent first-to-expire first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PointsLot {
    pub expires_on: Option<NaiveDate>,
    pub left: u64,
}

/// A customer's points as lots, so optional expiry (MEM-4) takes the oldest points first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct PointsLots {
    pub lots: Vec<PointsLot>,
}

impl PointsLots {
    pub fn balance(&self) -> u64 {
        self.lots.iter().map(|l| l.left).sum()
    }

    pub fn earn(&mut self, n: u64, expires_on: Option<NaiveDate>) {
        if n == 0 {
            return;
        }
        match self.lots.iter_mut().find(|l| l.expires_on == expires_on) {
            Some(l) => l.left += n,
            None => self.lots.push(PointsLot {
                expires_on,
                left: n,
            }),
        }
        self.lots
            .sort_by_key(|l| (l.expires_on.is_none(), l.expires_on));
    }

    /// Takes `n` points, soonest to expire first; returns the lots they came from so a refund
    /// can put them back with their own expiry.
    pub fn spend(&mut self, n: u64) -> Result<Vec<PointsLot>, Insufficient> {
        if n > self.balance() {
            return Err(Insufficient {
                balance: Decimal::from(self.balance()),
                wanted: Decimal::from(n),
            });
        }
        let mut need = n;
        let mut taken = Vec::new();
        for l in &mut self.lots {
            if need == 0 {
                break;
            }
            let t = l.left.min(need);
            if t > 0 {
                l.left -= t;
                need -= t;
                taken.push(PointsLot {
                    expires_on: l.expires_on,
                    left: t,
                });
            }
        }
        self.lots.retain(|l| l.left > 0);
        Ok(taken)
    }

    /// Takes up to `n` points (as many as there are); returns how many were taken.
    pub fn take_up_to(&mut self, n: u64) -> u64 {
        let t = n.min(self.balance());
        // Cannot fail: `t` is at most the balance.
        let _ = self.spend(t);
        t
    }

    /// Puts back points a refunded bill had taken, each with its own expiry.
    pub fn restore(&mut self, taken: &[PointsLot]) {
        for l in taken {
            self.earn(l.left, l.expires_on);
        }
    }

    /// Removes points whose last valid day is before `today`; returns how many.
    pub fn expire(&mut self, today: NaiveDate) -> u64 {
        let gone = self
            .lots
            .iter()
            .filter(|l| l.expires_on.is_some_and(|d| d < today))
            .map(|l| l.left)
            .sum();
        self.lots
            .retain(|l| l.expires_on.is_none_or(|d| d >= today));
        gone
    }
}

/// A top-up bonus rule: paying at least `min_paid` adds `bonus` (pay 1000, get 1100).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BonusRule {
    pub min_paid: Money,
    pub bonus: Money,
}

/// The bonus of the largest rule a payment reaches.
pub fn bonus_for(paid: Money, rules: &[BonusRule]) -> Money {
    rules
        .iter()
        .filter(|r| paid >= r.min_paid)
        .max_by_key(|r| r.min_paid)
        .map(|r| r.bonus)
        .unwrap_or(Money::ZERO)
}

/// A package the store sells (MEM-5): `uses` of one service for `price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackagePlan {
    pub id: u64,
    pub name: String,
    pub service_id: ServiceId,
    pub uses: u32,
    pub price: Money,
    /// Days a sold package stays valid; `None`: no expiry.
    pub valid_days: Option<u32>,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackagePlanInput {
    pub name: String,
    pub service_id: ServiceId,
    pub uses: u32,
    pub price: Money,
    #[serde(default)]
    pub valid_days: Option<u32>,
}

impl PackagePlanInput {
    pub fn into_plan(self, id: u64) -> Result<PackagePlan, DomainError> {
        let name = label("name", &self.name)?;
        if !(1..=200).contains(&self.uses) {
            return Err(DomainError::invalid("uses", "between 1 and 200"));
        }
        if self.price.amount().is_zero() {
            return Err(DomainError::invalid("price", "must be more than 0"));
        }
        if self.valid_days.is_some_and(|d| !(1..=3660).contains(&d)) {
            return Err(DomainError::invalid("valid_days", "between 1 and 3660"));
        }
        Ok(PackagePlan {
            id,
            name,
            service_id: self.service_id,
            uses: self.uses,
            price: self.price,
            valid_days: self.valid_days,
            active: true,
        })
    }
}

/// A package in a customer's hands; `remaining` always equals the sum of its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Package {
    pub id: PackageId,
    pub customer_id: CustomerId,
    pub plan: u64,
    pub name: String,
    pub service_id: ServiceId,
    pub uses: u32,
    pub remaining: u32,
    pub price: Money,
    pub sold_at: DateTime<Utc>,
    /// Last store-local day it can be used.
    pub expires_on: Option<NaiveDate>,
    /// The sale that sold it.
    pub sale: CheckoutId,
    pub refunded: bool,
}

impl Package {
    pub fn usable(&self, today: NaiveDate) -> bool {
        !self.refunded && self.remaining > 0 && self.expires_on.is_none_or(|d| d >= today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }

    #[test]
    fn balances_never_go_negative() {
        assert_eq!(post(dec!(100), dec!(-100)), Ok(dec!(0)));
        assert_eq!(
            post(dec!(100), dec!(-100.01)),
            Err(Insufficient {
                balance: dec!(100),
                wanted: dec!(100.01)
            })
        );
        assert_eq!(post(dec!(0), dec!(5)), Ok(dec!(5)));
    }

    #[test]
    fn bonus_takes_the_largest_rule_reached() {
        let m = |d| Money::new(d).expect("money");
        let rules = [
            BonusRule {
                min_paid: m(dec!(1000)),
                bonus: m(dec!(100)),
            },
            BonusRule {
                min_paid: m(dec!(3000)),
                bonus: m(dec!(500)),
            },
        ];
        assert_eq!(bonus_for(m(dec!(999.99)), &rules), Money::ZERO);
        assert_eq!(bonus_for(m(dec!(1000)), &rules), m(dec!(100)));
        assert_eq!(bonus_for(m(dec!(5000)), &rules), m(dec!(500)));
    }

    #[test]
    fn points_expire_oldest_first_and_refunds_restore_their_lots() {
        let mut p = PointsLots::default();
        p.earn(100, Some(day(10)));
        p.earn(50, None);
        p.earn(30, Some(day(5)));
        let taken = p.spend(40).expect("enough");
        assert_eq!(
            taken,
            vec![
                PointsLot {
                    expires_on: Some(day(5)),
                    left: 30
                },
                PointsLot {
                    expires_on: Some(day(10)),
                    left: 10
                }
            ]
        );
        assert_eq!(p.balance(), 140);
        assert_eq!(p.expire(day(11)), 90);
        assert_eq!(p.balance(), 50);
        p.restore(&taken);
        assert_eq!(p.balance(), 90);
        // The restored points keep their dates: already past, they expire at the next sweep.
        assert_eq!(p.expire(day(11)), 40);
        assert!(p.spend(51).is_err());
        assert_eq!(p.take_up_to(80), 50);
        assert_eq!(p.balance(), 0);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Earn(u64, Option<u32>),
        Spend(u64),
        Refund(usize),
        Expire(u32),
        Reverse(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u64..500, proptest::option::of(1u32..28)).prop_map(|(n, d)| Op::Earn(n, d)),
            (0u64..500).prop_map(Op::Spend),
            (0usize..20).prop_map(Op::Refund),
            (1u32..28).prop_map(Op::Expire),
            (0u64..500).prop_map(Op::Reverse),
        ]
    }

    proptest! {
        /// Any sequence of earning, spending, refunding, expiring and reversing keeps the
        /// points equal to the sum of their ledger entries, never below zero.
        #[test]
        fn points_equal_their_ledger(ops in proptest::collection::vec(op(), 0..60)) {
            let mut p = PointsLots::default();
            let mut ledger: Vec<i64> = Vec::new();
            let mut spends: Vec<Vec<PointsLot>> = Vec::new();
            for o in ops {
                match o {
                    Op::Earn(n, d) => {
                        p.earn(n, d.map(day));
                        ledger.push(n as i64);
                    }
                    Op::Spend(n) => match p.spend(n) {
                        Ok(t) => {
                            ledger.push(-(n as i64));
                            spends.push(t);
                        }
                        Err(_) => prop_assert!(n > p.balance()),
                    },
                    Op::Refund(i) => {
                        if i < spends.len() {
                            let t = spends.remove(i);
                            p.restore(&t);
                            ledger.push(t.iter().map(|l| l.left as i64).sum());
                        }
                    }
                    Op::Expire(d) => ledger.push(-(p.expire(day(d)) as i64)),
                    Op::Reverse(n) => ledger.push(-(p.take_up_to(n) as i64)),
                }
                let sum: i64 = ledger.iter().sum();
                prop_assert!(sum >= 0);
                prop_assert_eq!(sum as u64, p.balance());
            }
        }

        /// Stored value under random top-ups and spends: refused spends change nothing.
        #[test]
        fn stored_value_equals_its_ledger(moves in proptest::collection::vec(-50_000i64..50_000, 0..80)) {
            let mut balance = Decimal::ZERO;
            let mut ledger = Vec::new();
            for cents in moves {
                let delta = Decimal::new(cents, 2);
                match post(balance, delta) {
                    Ok(b) => {
                        balance = b;
                        ledger.push(delta);
                    }
                    Err(e) => prop_assert_eq!(e.balance, balance),
                }
                prop_assert!(balance >= Decimal::ZERO);
                prop_assert_eq!(ledger.iter().copied().sum::<Decimal>(), balance);
            }
        }
    }
}
