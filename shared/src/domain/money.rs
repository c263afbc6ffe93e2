//! Money: exact decimals in CNY with two places, rounded half away from zero.

use crate::DomainError;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A non-negative amount of money with at most two decimal places, below one million.
/// Serialised as a string ("128.00") so no client ever sees a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Money(Decimal);

/// The largest single price or amount the store accepts; anything above is a typo.
pub const MONEY_MAX: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    pub fn new(d: Decimal) -> Result<Money, DomainError> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(DomainError::MoneyInvalid("must not be negative".into()));
        }
        if d > MONEY_MAX {
            return Err(DomainError::MoneyInvalid(format!(
                "must not exceed {MONEY_MAX}"
            )));
        }
        if d.normalize().scale() > 2 {
            return Err(DomainError::MoneyInvalid(
                "at most two decimal places".into(),
            ));
        }
        Ok(Money(round(d)))
    }

    pub fn amount(self) -> Decimal {
        self.0
    }
}

/// The store's rounding rule: two places, half away from zero.
pub fn round(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

impl TryFrom<Decimal> for Money {
    type Error = DomainError;
    fn try_from(d: Decimal) -> Result<Self, Self::Error> {
        Money::new(d)
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Decimal {
        m.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Amount in CNY, exact decimal string with at most 2 places, 0 ≤ x ≤ 1000000",
            ))
            .examples(["128.00"])
            .into()
    }
}
impl utoipa::ToSchema for Money {}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn validation_table() {
        let cases = [
            (dec!(0), Some(dec!(0.00))),
            (dec!(128), Some(dec!(128.00))),
            (dec!(99.9), Some(dec!(99.90))),
            (dec!(1000000), Some(dec!(1000000.00))),
            (dec!(1000000.01), None),
            (dec!(-0.01), None),
            (dec!(1.005), None),
            (dec!(1.500), Some(dec!(1.50))),
        ];
        for (input, want) in cases {
            assert_eq!(
                Money::new(input).ok().map(Money::amount),
                want,
                "input {input}"
            );
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round(dec!(2.345)), dec!(2.35));
        assert_eq!(round(dec!(2.344)), dec!(2.34));
        assert_eq!(round(dec!(-2.345)), dec!(-2.35));
        assert_eq!(round(dec!(7)).to_string(), "7.00");
    }

    #[test]
    fn wire_format_is_a_string() {
        let m = Money::new(dec!(88)).expect("valid");
        assert_eq!(serde_json::to_string(&m).expect("serialises"), "\"88.00\"");
        assert!(serde_json::from_str::<Money>("\"-5\"").is_err());
        assert!(serde_json::from_str::<Money>("\"1e30\"").is_err());
    }
}
