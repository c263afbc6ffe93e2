//! Phone numbers: mainland China mobile numbers and international `+` numbers.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A validated phone number in one canonical form: 11 digits for a mainland mobile number
/// (`+86`/`0086` prefixes removed), `+` and 8–15 digits for any other country.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses what a person typed: spaces, dashes, dots and brackets are ignored.
    pub fn parse(input: &str) -> Result<Phone, DomainError> {
        let mut s: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{3000}'))
            .collect();
        if let Some(rest) = s.strip_prefix("0086") {
            s = format!("+86{rest}");
        }
        if let Some(rest) = s.strip_prefix("+86") {
            return Self::mainland(rest);
        }
        if let Some(rest) = s.strip_prefix('+') {
            let ok = (8..=15).contains(&rest.len())
                && rest.bytes().all(|b| b.is_ascii_digit())
                && !rest.starts_with('0');
            return if ok {
                Ok(Phone(s))
            } else {
                Err(DomainError::PhoneInvalid)
            };
        }
        Self::mainland(&s)
    }

    fn mainland(digits: &str) -> Result<Phone, DomainError> {
        let b = digits.as_bytes();
        let ok = b.len() == 11
            && b.iter().all(u8::is_ascii_digit)
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1]);
        if ok {
            Ok(Phone(digits.to_string()))
        } else {
            Err(DomainError::PhoneInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits, which customers often give at the counter.
    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// The number as shown where someone other than its owner may see it: `138****0000`.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        let head = if self.0.starts_with('+') {
            4.min(n - 4)
        } else {
            3
        };
        format!(
            "{}{}{}",
            &self.0[..head],
            "*".repeat(n - head - 4),
            self.last4()
        )
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Phone {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl utoipa::PartialSchema for Phone {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Mainland mobile number (13800138000) or international +number",
            ))
            .into()
    }
}
impl utoipa::ToSchema for Phone {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("13800138000", Some("13800138000")),
            ("138 0013 8000", Some("13800138000")),
            ("138-0013-8000", Some("13800138000")),
            ("+86 138 0013 8000", Some("13800138000")),
            ("008613800138000", Some("13800138000")),
            ("19912345678", Some("19912345678")),
            ("+85291234567", Some("+85291234567")),
            ("+1 (415) 555-0100", Some("+14155550100")),
            ("12800138000", None),       // second digit 2 is not a mobile range
            ("1380013800", None),        // 10 digits
            ("138001380001", None),      // 12 digits
            ("23800138000", None),       // not starting with 1
            ("+0123456789", None),       // country code cannot start with 0
            ("+1234567", None),          // too short
            ("+1234567890123456", None), // too long
            ("1380013800a", None),
            ("", None),
            ("+86", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                Phone::parse(input).ok().map(|p| p.0),
                want.map(String::from),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn masked_and_last4() {
        let p = Phone::parse("13800138000").expect("valid");
        assert_eq!(p.masked(), "138****8000");
        assert_eq!(p.last4(), "8000");
        let p = Phone::parse("+85291234567").expect("valid");
        assert_eq!(p.masked(), "+852****4567");
    }

    #[test]
    fn serde_validates() {
        assert!(serde_json::from_str::<Phone>("\"12345\"").is_err());
        assert_eq!(
            serde_json::from_str::<Phone>("\"+86 13800138000\"")
                .expect("valid")
                .as_str(),
            "13800138000"
        );
    }
}
