//! The service catalog (SVC-1/2): categories, prices per stylist level, retirement.

use crate::text::{clean, clean_note};
use crate::{DomainError, Money, ServiceId, StaffLevel};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceCategory {
    CutStyle,
    Colour,
    Perm,
    HairCare,
    SkinCare,
    Nails,
    Other,
}

impl ServiceCategory {
    pub const ALL: [ServiceCategory; 7] = [
        ServiceCategory::CutStyle,
        ServiceCategory::Colour,
        ServiceCategory::Perm,
        ServiceCategory::HairCare,
        ServiceCategory::SkinCare,
        ServiceCategory::Nails,
        ServiceCategory::Other,
    ];
}

/// One price change, kept so the catalog's past is visible; past sales keep their own price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PriceChange {
    pub at: DateTime<Utc>,
    pub old: Money,
    pub new: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Service {
    pub id: ServiceId,
    pub category: ServiceCategory,
    pub name: String,
    pub description: String,
    pub suitable_for: String,
    /// The base price, charged by stylists of any level without an entry in `level_prices`.
    pub price: Money,
    /// Prices for particular stylist levels (a senior stylist's cut costs more).
    #[serde(default)]
    pub level_prices: BTreeMap<StaffLevel, Money>,
    pub duration_min: u16,
    /// Retired services stay for history but are not offered for new sales (SVC-2).
    pub active: bool,
    #[serde(default)]
    pub price_history: Vec<PriceChange>,
    pub created_at: DateTime<Utc>,
}

impl Service {
    /// The price a stylist of `level` charges for this service.
    pub fn price_for(&self, level: StaffLevel) -> Money {
        self.level_prices.get(&level).copied().unwrap_or(self.price)
    }
}

/// A new service or a full replacement of an existing service's editable fields.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub category: ServiceCategory,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub suitable_for: String,
    pub price: Money,
    #[serde(default)]
    pub level_prices: BTreeMap<StaffLevel, Money>,
    pub duration_min: u16,
}

impl ServiceInput {
    pub fn validate(&self) -> Result<ServiceInput, DomainError> {
        if !(5..=600).contains(&self.duration_min) {
            return Err(DomainError::invalid(
                "duration_min",
                "must be between 5 and 600 minutes",
            ));
        }
        Ok(ServiceInput {
            category: self.category,
            name: clean("name", &self.name, 1, 40)?,
            description: clean_note("description", &self.description, 500)?,
            suitable_for: clean_note("suitable_for", &self.suitable_for, 200)?,
            price: self.price,
            level_prices: self.level_prices.clone(),
            duration_min: self.duration_min,
        })
    }

    /// A new catalog entry from validated input.
    pub fn into_service(self, id: ServiceId, now: DateTime<Utc>) -> Service {
        Service {
            id,
            category: self.category,
            name: self.name,
            description: self.description,
            suitable_for: self.suitable_for,
            price: self.price,
            level_prices: self.level_prices,
            duration_min: self.duration_min,
            active: true,
            price_history: Vec::new(),
            created_at: now,
        }
    }

    /// Applies validated input to an existing service, recording a base-price change.
    pub fn apply_to(self, s: &mut Service, now: DateTime<Utc>) {
        if s.price != self.price {
            s.price_history.push(PriceChange {
                at: now,
                old: s.price,
                new: self.price,
            });
        }
        s.category = self.category;
        s.name = self.name;
        s.description = self.description;
        s.suitable_for = self.suitable_for;
        s.price = self.price;
        s.level_prices = self.level_prices;
        s.duration_min = self.duration_min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn input() -> ServiceInput {
        ServiceInput {
            category: ServiceCategory::CutStyle,
            name: "洗剪吹".into(),
            description: String::new(),
            suitable_for: String::new(),
            price: Money::new(dec!(68)).expect("valid"),
            level_prices: [(StaffLevel::Senior, Money::new(dec!(88)).expect("valid"))].into(),
            duration_min: 45,
        }
    }

    #[test]
    fn durations_are_bounded() {
        for (d, ok) in [(0, false), (4, false), (5, true), (600, true), (601, false)] {
            let i = ServiceInput {
                duration_min: d,
                ..input()
            };
            assert_eq!(i.validate().is_ok(), ok, "duration {d}");
        }
    }

    #[test]
    fn level_prices_and_history() {
        let now = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("valid");
        let mut s = input()
            .validate()
            .expect("valid")
            .into_service(ServiceId(1), now);
        assert_eq!(s.price_for(StaffLevel::Senior).amount(), dec!(88.00));
        assert_eq!(s.price_for(StaffLevel::Junior).amount(), dec!(68.00));
        ServiceInput {
            price: Money::new(dec!(78)).expect("valid"),
            ..input()
        }
        .apply_to(&mut s, now);
        assert_eq!(s.price_history.len(), 1);
        assert_eq!(s.price_history[0].old.amount(), dec!(68.00));
    }
}
