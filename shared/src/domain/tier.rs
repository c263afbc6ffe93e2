//! Member tiers (MEM-1): the configurable thresholds and benefits, and the upgrade rule.

use crate::{DomainError, Money, Tier};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A calendar month as one number (`year * 12 + month0`), so "the last N months" is a range.
pub type MonthKey = i32;

pub fn month_key(day: NaiveDate) -> MonthKey {
    day.year() * 12 + day.month0() as i32
}

/// What a tier gives its members and what it takes to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierRule {
    pub tier: Tier,
    /// Lifetime spend needed.
    pub lifetime_min: Money,
    /// Spend needed in each of the last `months` months (this one included).
    pub monthly_min: Money,
    pub months: u32,
    /// Percent off services and products (10 means 10% off, a "9折").
    pub discount_percent: Decimal,
    /// Points earned per point a normal member earns (1.5 means 50% more).
    pub points_multiplier: Decimal,
    /// Booked before others when slots are scarce.
    #[serde(default)]
    pub booking_priority: bool,
}

/// The tier table: benefits of Normal, and the rules to reach Silver, Gold and Platinum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierRules {
    /// One rule per tier, Normal included (its thresholds are ignored: everyone has it).
    pub rules: Vec<TierRule>,
}

fn rule(tier: Tier, lifetime: i64, monthly: i64, months: u32, off: i64, mult: Decimal) -> TierRule {
    TierRule {
        tier,
        lifetime_min: Money::new(Decimal::from(lifetime)).unwrap_or(Money::ZERO),
        monthly_min: Money::new(Decimal::from(monthly)).unwrap_or(Money::ZERO),
        months,
        discount_percent: Decimal::from(off),
        points_multiplier: mult,
        booking_priority: tier >= Tier::Gold,
    }
}

impl Default for TierRules {
    /// MEM-1's default rule: Silver 3, Gold 6 and Platinum 12 consecutive months.
    fn default() -> Self {
        TierRules {
            rules: vec![
                rule(Tier::Normal, 0, 0, 0, 0, Decimal::ONE),
                rule(Tier::Silver, 2_000, 200, 3, 5, Decimal::new(12, 1)),
                rule(Tier::Gold, 8_000, 300, 6, 10, Decimal::new(15, 1)),
                rule(Tier::Platinum, 20_000, 500, 12, 15, Decimal::TWO),
            ],
        }
    }
}

impl TierRules {
    /// Checks a table sent by a manager: every tier once, sane percentages and multipliers.
    pub fn validate(self) -> Result<TierRules, DomainError> {
        for t in [Tier::Normal, Tier::Silver, Tier::Gold, Tier::Platinum] {
            let n = self.rules.iter().filter(|r| r.tier == t).count();
            if n != 1 {
                return Err(DomainError::invalid(
                    "rules",
                    format!("needs exactly one rule for {t:?}"),
                ));
            }
        }
        for r in &self.rules {
            if r.discount_percent < Decimal::ZERO || r.discount_percent > Decimal::ONE_HUNDRED {
                return Err(DomainError::invalid(
                    "discount_percent",
                    "must be between 0 and 100",
                ));
            }
            if r.discount_percent.normalize().scale() > 2 {
                return Err(DomainError::invalid(
                    "discount_percent",
                    "at most two decimal places",
                ));
            }
            if r.points_multiplier < Decimal::ZERO || r.points_multiplier > Decimal::TEN {
                return Err(DomainError::invalid(
                    "points_multiplier",
                    "must be between 0 and 10",
                ));
            }
            if r.months > 36 {
                return Err(DomainError::invalid("months", "at most 36"));
            }
        }
        Ok(self)
    }

    /// The rule (benefits) of `tier`; Normal's when the table lacks one.
    pub fn benefits(&self, tier: Tier) -> TierRule {
        self.rules
            .iter()
            .find(|r| r.tier == tier)
            .cloned()
            .unwrap_or_else(|| rule(Tier::Normal, 0, 0, 0, 0, Decimal::ONE))
    }

    /// The highest tier whose rule the spend meets: lifetime spend at least the threshold AND
    /// at least the monthly minimum in each of the last `months` months up to `this_month`.
    pub fn earned(
        &self,
        lifetime: Decimal,
        monthly: &BTreeMap<MonthKey, Decimal>,
        this_month: MonthKey,
    ) -> Tier {
        let meets = |r: &TierRule| {
            lifetime >= r.lifetime_min.amount()
                && (0..r.months as i32).all(|back| {
                    monthly
                        .get(&(this_month - back))
                        .is_some_and(|s| *s >= r.monthly_min.amount())
                })
        };
        self.rules
            .iter()
            .filter(|r| r.tier == Tier::Normal || meets(r))
            .map(|r| r.tier)
            .max()
            .unwrap_or(Tier::Normal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn months(pairs: &[(MonthKey, Decimal)]) -> BTreeMap<MonthKey, Decimal> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn default_upgrade_rule() {
        let r = TierRules::default();
        let now = month_key(NaiveDate::from_ymd_opt(2026, 11, 15).expect("date"));
        let steady =
            |n: i32, each: Decimal| months(&(0..n).map(|b| (now - b, each)).collect::<Vec<_>>());
        let cases = [
            // lifetime, monthly history, expected
            (dec!(0), steady(0, dec!(0)), Tier::Normal),
            (dec!(5000), steady(2, dec!(1000)), Tier::Normal),
            (dec!(2000), steady(3, dec!(200)), Tier::Silver),
            (dec!(1999.99), steady(3, dec!(200)), Tier::Normal),
            (dec!(9000), steady(3, dec!(199.99)), Tier::Normal),
            (dec!(8000), steady(6, dec!(300)), Tier::Gold),
            (dec!(8000), steady(5, dec!(300)), Tier::Silver),
            (dec!(30000), steady(12, dec!(500)), Tier::Platinum),
            (dec!(30000), steady(12, dec!(499)), Tier::Gold),
        ];
        for (lifetime, hist, want) in cases {
            assert_eq!(r.earned(lifetime, &hist, now), want, "{lifetime} {hist:?}");
        }
        // A gap breaks the consecutive run.
        let gap = months(&[(now, dec!(900)), (now - 2, dec!(900)), (now - 3, dec!(900))]);
        assert_eq!(r.earned(dec!(9000), &gap, now), Tier::Normal);
    }

    #[test]
    fn validation() {
        assert!(TierRules::default().validate().is_ok());
        let mut r = TierRules::default();
        r.rules.pop();
        assert!(r.validate().is_err());
        let mut r = TierRules::default();
        r.rules[1].discount_percent = dec!(101);
        assert!(r.validate().is_err());
        assert_eq!(
            TierRules::default().benefits(Tier::Gold).discount_percent,
            dec!(10)
        );
    }
}
