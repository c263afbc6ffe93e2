//! Staff (STF-1): roles, levels, skills and the PIN they sign in with on shared devices.

use crate::text::person_name;
use crate::{DomainError, ServiceCategory, StaffId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Manager,
    FrontDesk,
    Stylist,
    Beautician,
}

/// A stylist's level, which can change the price of a service.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StaffLevel {
    /// 助理
    Junior,
    /// 设计师
    Stylist,
    /// 资深设计师
    Senior,
    /// 总监
    Director,
}

/// A staff member as stored. The PIN is kept only as a salted hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: StaffId,
    pub name: String,
    pub role: StaffRole,
    pub level: StaffLevel,
    /// The service categories this person may perform.
    pub skills: BTreeSet<ServiceCategory>,
    pub active: bool,
    pub pin_salt: String,
    pub pin_hash: String,
}

/// A staff member as sent to devices: no PIN material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StaffView {
    pub id: StaffId,
    pub name: String,
    pub role: StaffRole,
    pub level: StaffLevel,
    pub skills: BTreeSet<ServiceCategory>,
    pub active: bool,
}

impl Staff {
    pub fn view(&self) -> StaffView {
        StaffView {
            id: self.id,
            name: self.name.clone(),
            role: self.role,
            level: self.level,
            skills: self.skills.clone(),
            active: self.active,
        }
    }

    pub fn pin_matches(&self, pin: &str) -> bool {
        hash_pin(&self.pin_salt, pin) == self.pin_hash
    }

    pub fn can_perform(&self, category: ServiceCategory) -> bool {
        self.skills.contains(&category)
    }
}

/// Checks a PIN is 4–6 digits.
pub fn valid_pin(pin: &str) -> Result<&str, DomainError> {
    if (4..=6).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(pin)
    } else {
        Err(DomainError::PinInvalid)
    }
}

pub fn hash_pin(salt: &str, pin: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{pin}").as_bytes()))
}

/// A new staff member, or a full replacement of one (`pin` optional on update).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffInput {
    pub name: String,
    pub role: StaffRole,
    pub level: StaffLevel,
    #[serde(default)]
    pub skills: BTreeSet<ServiceCategory>,
    /// 4–6 digits; required for a new staff member, optional when updating.
    pub pin: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl StaffInput {
    /// Validates the input; `salt` is fresh randomness from the caller (the domain reads none).
    pub fn into_staff(
        self,
        id: StaffId,
        existing: Option<&Staff>,
        salt: String,
    ) -> Result<Staff, DomainError> {
        let name = person_name(&self.name)?;
        let (pin_salt, pin_hash) = match (&self.pin, existing) {
            (Some(pin), _) => (salt.clone(), hash_pin(&salt, valid_pin(pin)?)),
            (None, Some(old)) => (old.pin_salt.clone(), old.pin_hash.clone()),
            (None, None) => {
                return Err(DomainError::invalid(
                    "pin",
                    "a new staff member needs a PIN",
                ));
            }
        };
        Ok(Staff {
            id,
            name,
            role: self.role,
            level: self.level,
            skills: self.skills,
            active: self.active,
            pin_salt,
            pin_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pin: Option<&str>) -> StaffInput {
        StaffInput {
            name: "Tony 老师".into(),
            role: StaffRole::Stylist,
            level: StaffLevel::Senior,
            skills: [ServiceCategory::CutStyle].into(),
            pin: pin.map(String::from),
            active: true,
        }
    }

    #[test]
    fn pins() {
        for (pin, ok) in [
            ("1234", true),
            ("123456", true),
            ("123", false),
            ("1234567", false),
            ("12a4", false),
            ("", false),
        ] {
            assert_eq!(valid_pin(pin).is_ok(), ok, "pin {pin:?}");
        }
    }

    #[test]
    fn pin_is_hashed_and_kept_on_update() {
        let s = input(Some("2468"))
            .into_staff(StaffId(1), None, "salt".into())
            .expect("valid");
        assert!(s.pin_matches("2468"));
        assert!(!s.pin_matches("2469"));
        assert!(!s.pin_hash.contains("2468"));
        let updated = input(None)
            .into_staff(StaffId(1), Some(&s), "other".into())
            .expect("valid");
        assert!(updated.pin_matches("2468"));
        assert!(
            input(None)
                .into_staff(StaffId(2), None, "s".into())
                .is_err()
        );
        assert!(s.can_perform(ServiceCategory::CutStyle));
        assert!(!s.can_perform(ServiceCategory::Nails));
    }
}
