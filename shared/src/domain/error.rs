//! The validation error every domain constructor returns, with a stable machine code.

use thiserror::Error;

/// Why a value from outside was refused. `code()` is stable and goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("phone number is not a valid mainland mobile or international (+…) number")]
    PhoneInvalid,
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("amount is not valid money: {0}")]
    MoneyInvalid(String),
    #[error("card number must be 6–20 letters, digits or dashes")]
    CardInvalid,
    #[error("PIN must be 4 to 6 digits")]
    PinInvalid,
    #[error("{field}: {reason}")]
    RatingInvalid { field: &'static str, reason: String },
    #[error("comment: at most {max} characters, not {len}")]
    CommentTooLong { max: usize, len: usize },
}

impl DomainError {
    /// A short machine-readable code clients can switch on.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::PhoneInvalid => "phone_invalid",
            DomainError::Invalid { .. } => "invalid",
            DomainError::MoneyInvalid(_) => "money_invalid",
            DomainError::CardInvalid => "card_invalid",
            DomainError::PinInvalid => "pin_invalid",
            DomainError::RatingInvalid { .. } => "rating_invalid",
            DomainError::CommentTooLong { .. } => "comment_too_long",
        }
    }

    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
