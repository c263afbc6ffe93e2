//! Member cards (MEM-2): a scannable number issued to one customer, replaceable when lost.

use crate::{CustomerId, DomainError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// A card number as printed and scanned: 6–20 letters, digits or dashes, kept upper-case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CardNo(String);

impl CardNo {
    pub fn parse(s: &str) -> Result<CardNo, DomainError> {
        let t = s.trim().to_ascii_uppercase();
        let ok = (6..=20).contains(&t.len())
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if ok {
            Ok(CardNo(t))
        } else {
            Err(DomainError::CardInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CardNo {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CardNo::parse(&s)
    }
}

impl From<CardNo> for String {
    fn from(c: CardNo) -> String {
        c.0
    }
}

impl utoipa::PartialSchema for CardNo {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Za-z0-9-]{6,20}$"))
            .into()
    }
}
impl utoipa::ToSchema for CardNo {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum CardStatus {
    Active,
    /// Reported lost and replaced by another card; the balance moved with the customer.
    Replaced {
        by: CardNo,
        at: DateTime<Utc>,
    },
}

/// A member card. Balances and points belong to the customer, so a new card keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberCard {
    pub number: CardNo,
    pub customer_id: CustomerId,
    pub issued_at: DateTime<Utc>,
    pub status: CardStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers() {
        let cases: &[(&str, Option<&str>)] = &[
            ("vip-000123", Some("VIP-000123")),
            (" 8800001234 ", Some("8800001234")),
            ("12345", None),
            ("123456789012345678901", None),
            ("88 0000", None),
            ("卡号123456", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                CardNo::parse(input).ok().map(|c| c.0),
                want.map(String::from),
                "input {input:?}"
            );
        }
    }
}
