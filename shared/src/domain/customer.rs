//! Customer profiles (CUS-1/2): the record, its enums, and the validated draft and patch.

use crate::text::{clean, clean_note, label, person_name};
use crate::{CardNo, CustomerId, DomainError, Phone, ServiceId, StaffId};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
    Other,
    #[default]
    Unspecified,
}

/// How the customer first came to the salon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    #[default]
    WalkIn,
    Referral,
    Advertising,
    Online,
    PasserBy,
    Other,
}

/// Member tier (MEM-1); everyone starts as `Normal`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    #[default]
    Normal,
    Silver,
    Gold,
    Platinum,
}

/// Age band, for customers who give one instead of a birthday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum AgeBand {
    #[serde(rename = "under_18")]
    Under18,
    #[serde(rename = "18_25")]
    From18To25,
    #[serde(rename = "26_35")]
    From26To35,
    #[serde(rename = "36_45")]
    From36To45,
    #[serde(rename = "46_60")]
    From46To60,
    #[serde(rename = "over_60")]
    Over60,
}

/// Whether the record is live, was merged into another, or was erased on request (CUS-6).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum CustomerStatus {
    #[default]
    Active,
    Merged {
        into: CustomerId,
    },
    Erased {
        at: DateTime<Utc>,
    },
}

/// Care facts staff must see before touching a customer's hair or skin (CUS-2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Care {
    pub usual_services: Vec<ServiceId>,
    pub preferred_stylist: Option<StaffId>,
    pub preferred_brands: Vec<String>,
    /// Allergies and sensitivities, shown prominently to stylists.
    pub allergies: Vec<String>,
    pub hair_type: Option<String>,
    pub skin_type: Option<String>,
    /// Free-form staff notes ("likes quiet").
    pub notes: String,
}

/// A customer profile as stored and as sent to staff devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub id: CustomerId,
    pub name: String,
    #[serde(default)]
    pub gender: Gender,
    pub birthday: Option<NaiveDate>,
    pub age_band: Option<AgeBand>,
    /// `None` only after erasure.
    pub phone: Option<Phone>,
    pub wechat: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub source: Source,
    pub referrer: Option<CustomerId>,
    pub region: Option<String>,
    pub registered_at: DateTime<Utc>,
    /// When the customer agreed to the use of their data; `None` means no consent given.
    pub consent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub care: Care,
    #[serde(default)]
    pub tags: BTreeSet<String>,
    #[serde(default)]
    pub tier: Tier,
    /// The member card currently in use, if any.
    pub card: Option<CardNo>,
    pub last_visit_at: Option<DateTime<Utc>>,
    /// Lifetime spend, kept for tiers and the spend filter; survives erasure as a total.
    #[serde(default)]
    pub total_spend: Decimal,
    #[serde(default)]
    pub visit_count: u32,
    #[serde(default)]
    pub status: CustomerStatus,
    /// Duplicates folded into this record; their history is this customer's history.
    #[serde(default)]
    pub merged_from: Vec<CustomerId>,
}

impl Customer {
    /// How staff greet the customer on a screen the customer sees: surname plus 女士/先生.
    pub fn greeting_name(&self) -> String {
        let first: String = self.name.chars().take(1).collect();
        let is_han = first
            .chars()
            .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        match (is_han, self.gender) {
            (true, Gender::Female) => format!("{first}女士"),
            (true, Gender::Male) => format!("{first}先生"),
            _ => self.name.clone(),
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(self.status, CustomerStatus::Active)
    }

    /// Applies a validated patch; returns nothing because validation happened in `CustomerPatch::validate`.
    pub fn apply(&mut self, p: ValidPatch, now: DateTime<Utc>) {
        let ValidPatch(p) = p;
        if let Some(v) = p.name {
            self.name = v;
        }
        if let Some(v) = p.gender {
            self.gender = v;
        }
        if let Some(v) = p.birthday {
            self.birthday = v;
        }
        if let Some(v) = p.age_band {
            self.age_band = v;
        }
        if let Some(v) = p.phone {
            self.phone = Some(v);
        }
        if let Some(v) = p.wechat {
            self.wechat = v;
        }
        if let Some(v) = p.email {
            self.email = v;
        }
        if let Some(v) = p.source {
            self.source = v;
        }
        if let Some(v) = p.referrer {
            self.referrer = v;
        }
        if let Some(v) = p.region {
            self.region = v;
        }
        if let Some(v) = p.consent {
            self.consent_at = match (v, self.consent_at) {
                (true, Some(at)) => Some(at),
                (true, None) => Some(now),
                (false, _) => None,
            };
        }
        if let Some(v) = p.care {
            self.care = v;
        }
        if let Some(v) = p.tags {
            self.tags = v;
        }
    }

    /// Folds a duplicate record into this one: nothing of either is lost.
    pub fn absorb(&mut self, dup: &Customer) {
        fn union<T: PartialEq + Clone>(a: &mut Vec<T>, b: &[T]) {
            for x in b {
                if !a.contains(x) {
                    a.push(x.clone());
                }
            }
        }
        self.birthday = self.birthday.or(dup.birthday);
        self.age_band = self.age_band.or(dup.age_band);
        self.wechat = self.wechat.take().or_else(|| dup.wechat.clone());
        self.email = self.email.take().or_else(|| dup.email.clone());
        self.region = self.region.take().or_else(|| dup.region.clone());
        self.referrer = self.referrer.or(dup.referrer);
        self.registered_at = self.registered_at.min(dup.registered_at);
        self.consent_at = self.consent_at.or(dup.consent_at);
        union(&mut self.care.usual_services, &dup.care.usual_services);
        union(&mut self.care.preferred_brands, &dup.care.preferred_brands);
        union(&mut self.care.allergies, &dup.care.allergies);
        self.care.preferred_stylist = self.care.preferred_stylist.or(dup.care.preferred_stylist);
        self.care.hair_type = self
            .care
            .hair_type
            .take()
            .or_else(|| dup.care.hair_type.clone());
        self.care.skin_type = self
            .care
            .skin_type
            .take()
            .or_else(|| dup.care.skin_type.clone());
        if !dup.care.notes.is_empty() {
            self.care.notes = if self.care.notes.is_empty() {
                dup.care.notes.clone()
            } else {
                format!("{}\n{}", self.care.notes, dup.care.notes)
            };
        }
        self.tags.extend(dup.tags.iter().cloned());
        self.tier = self.tier.max(dup.tier);
        self.card = self.card.take().or_else(|| dup.card.clone());
        self.last_visit_at = self.last_visit_at.max(dup.last_visit_at);
        self.total_spend += dup.total_spend;
        self.visit_count += dup.visit_count;
        self.merged_from.push(dup.id);
        self.merged_from.extend(dup.merged_from.iter().copied());
    }

    /// Strips everything that identifies the person, keeping id, dates and totals (CUS-6).
    pub fn erase(&mut self, now: DateTime<Utc>) {
        self.name = "已删除 / erased".into();
        self.gender = Gender::Unspecified;
        self.birthday = None;
        self.age_band = None;
        self.phone = None;
        self.wechat = None;
        self.email = None;
        self.referrer = None;
        self.region = None;
        self.consent_at = None;
        self.care = Care::default();
        self.tags.clear();
        self.card = None;
        self.status = CustomerStatus::Erased { at: now };
    }
}

/// What a device sends to register a customer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    pub name: String,
    pub phone: String,
    #[serde(default)]
    pub gender: Gender,
    pub birthday: Option<NaiveDate>,
    pub age_band: Option<AgeBand>,
    pub wechat: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub source: Source,
    pub referrer: Option<CustomerId>,
    pub region: Option<String>,
    /// The customer agreed to the store keeping and using their data.
    #[serde(default)]
    pub consent: bool,
    #[serde(default)]
    pub care: Care,
    #[serde(default)]
    pub tags: BTreeSet<String>,
}

/// A partial update: absent fields stay as they are; `null` clears an optional field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub gender: Option<Gender>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Date)]
    pub birthday: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<AgeBand>)]
    pub age_band: Option<Option<AgeBand>>,
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub wechat: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub source: Option<Source>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<CustomerId>)]
    pub referrer: Option<Option<CustomerId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub region: Option<Option<String>>,
    pub consent: Option<bool>,
    pub care: Option<Care>,
    pub tags: Option<BTreeSet<String>>,
}

fn double_option<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A patch whose every field passed validation.
#[derive(Debug, Clone)]
pub struct ValidPatch(ValidFields);

#[derive(Debug, Clone, Default)]
struct ValidFields {
    name: Option<String>,
    gender: Option<Gender>,
    birthday: Option<Option<NaiveDate>>,
    age_band: Option<Option<AgeBand>>,
    phone: Option<Phone>,
    wechat: Option<Option<String>>,
    email: Option<Option<String>>,
    source: Option<Source>,
    referrer: Option<Option<CustomerId>>,
    region: Option<Option<String>>,
    consent: Option<bool>,
    care: Option<Care>,
    tags: Option<BTreeSet<String>>,
}

impl ValidPatch {
    /// The new phone number, which the store must check is not someone else's.
    pub fn phone(&self) -> Option<&Phone> {
        self.0.phone.as_ref()
    }
    pub fn referrer(&self) -> Option<CustomerId> {
        self.0.referrer.flatten()
    }
}

fn birthday(d: NaiveDate, today: NaiveDate) -> Result<NaiveDate, DomainError> {
    if d > today || d.year() < 1900 {
        return Err(DomainError::invalid(
            "birthday",
            "must be a real date in the past",
        ));
    }
    Ok(d)
}

fn email(s: &str) -> Result<String, DomainError> {
    let e = clean("email", s, 3, 100)?;
    let ok = e
        .split_once('@')
        .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !e.contains(' '));
    if ok {
        Ok(e)
    } else {
        Err(DomainError::invalid("email", "is not an e-mail address"))
    }
}

fn tags(t: &BTreeSet<String>) -> Result<BTreeSet<String>, DomainError> {
    if t.len() > 30 {
        return Err(DomainError::invalid("tags", "at most 30 tags"));
    }
    t.iter().map(|s| label("tags", s)).collect()
}

fn care(c: &Care) -> Result<Care, DomainError> {
    let list = |field, v: &Vec<String>| -> Result<Vec<String>, DomainError> {
        if v.len() > 30 {
            return Err(DomainError::invalid(field, "at most 30 entries"));
        }
        v.iter().map(|s| clean(field, s, 1, 60)).collect()
    };
    if c.usual_services.len() > 30 {
        return Err(DomainError::invalid("usual_services", "at most 30 entries"));
    }
    Ok(Care {
        usual_services: c.usual_services.clone(),
        preferred_stylist: c.preferred_stylist,
        preferred_brands: list("preferred_brands", &c.preferred_brands)?,
        allergies: list("allergies", &c.allergies)?,
        hair_type: c
            .hair_type
            .as_deref()
            .map(|s| label("hair_type", s))
            .transpose()?,
        skin_type: c
            .skin_type
            .as_deref()
            .map(|s| label("skin_type", s))
            .transpose()?,
        notes: clean_note("notes", &c.notes, 2000)?,
    })
}

fn opt(field: &'static str, v: &Option<String>, max: usize) -> Result<Option<String>, DomainError> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| clean(field, s, 1, max))
        .transpose()
}

impl NewCustomer {
    /// Validates every field and builds the record the store will keep.
    pub fn validate(&self, id: CustomerId, now: DateTime<Utc>) -> Result<Customer, DomainError> {
        let today = now.date_naive();
        Ok(Customer {
            id,
            name: person_name(&self.name)?,
            gender: self.gender,
            birthday: self.birthday.map(|d| birthday(d, today)).transpose()?,
            age_band: self.age_band,
            phone: Some(Phone::parse(&self.phone)?),
            wechat: opt("wechat", &self.wechat, 40)?,
            email: self
                .email
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(email)
                .transpose()?,
            source: self.source,
            referrer: self.referrer,
            region: opt("region", &self.region, 40)?,
            registered_at: now,
            consent_at: self.consent.then_some(now),
            care: care(&self.care)?,
            tags: tags(&self.tags)?,
            tier: Tier::Normal,
            card: None,
            last_visit_at: None,
            total_spend: Decimal::ZERO,
            visit_count: 0,
            status: CustomerStatus::Active,
            merged_from: Vec::new(),
        })
    }
}

impl CustomerPatch {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<ValidPatch, DomainError> {
        let today = now.date_naive();
        let some_opt = |field,
                        v: &Option<Option<String>>,
                        max|
         -> Result<Option<Option<String>>, DomainError> {
            v.as_ref().map(|inner| opt(field, inner, max)).transpose()
        };
        Ok(ValidPatch(ValidFields {
            name: self.name.as_deref().map(person_name).transpose()?,
            gender: self.gender,
            birthday: self
                .birthday
                .map(|b| b.map(|d| birthday(d, today)).transpose())
                .transpose()?,
            age_band: self.age_band,
            phone: self.phone.as_deref().map(Phone::parse).transpose()?,
            wechat: some_opt("wechat", &self.wechat, 40)?,
            email: self
                .email
                .as_ref()
                .map(|e| {
                    e.as_deref()
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(email)
                        .transpose()
                })
                .transpose()?,
            source: self.source,
            referrer: self.referrer,
            region: some_opt("region", &self.region, 40)?,
            consent: self.consent,
            care: self.care.as_ref().map(care).transpose()?,
            tags: self.tags.as_ref().map(tags).transpose()?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
            .single()
            .expect("valid time")
    }

    fn draft() -> NewCustomer {
        NewCustomer {
            name: "王芳".into(),
            phone: "13800138000".into(),
            gender: Gender::Female,
            consent: true,
            ..Default::default()
        }
    }

    #[test]
    fn valid_draft_builds_a_customer() {
        let c = draft().validate(CustomerId(1), now()).expect("valid");
        assert_eq!(c.phone.as_ref().map(Phone::as_str), Some("13800138000"));
        assert_eq!(c.consent_at, Some(now()));
        assert_eq!(c.greeting_name(), "王女士");
    }

    #[test]
    fn invalid_drafts_are_refused_with_their_field() {
        type Tweak = fn(&mut NewCustomer);
        let cases: &[(&str, Tweak)] = &[
            ("name", |d| d.name = " ".into()),
            ("phone", |d| d.phone = "123".into()),
            ("birthday", |d| {
                d.birthday = NaiveDate::from_ymd_opt(2030, 1, 1)
            }),
            ("birthday", |d| {
                d.birthday = NaiveDate::from_ymd_opt(1850, 1, 1)
            }),
            ("email", |d| d.email = Some("not-an-email".into())),
            ("tags", |d| {
                d.tags = (0..31).map(|i| i.to_string()).collect()
            }),
            ("tags", |d| d.tags = ["x".repeat(25)].into()),
            ("notes", |d| d.care.notes = "n".repeat(2001)),
        ];
        for (field, tweak) in cases {
            let mut d = draft();
            tweak(&mut d);
            let err = d.validate(CustomerId(1), now()).expect_err(field);
            let text = err.to_string();
            assert!(
                text.contains(field) || err.code() == "phone_invalid",
                "{field}: {text}"
            );
        }
    }

    #[test]
    fn patch_keeps_absent_fields_and_clears_nulls() {
        let mut c = NewCustomer {
            wechat: Some("wf_1990".into()),
            ..draft()
        }
        .validate(CustomerId(1), now())
        .expect("valid");
        let p: CustomerPatch =
            serde_json::from_str(r#"{"wechat": null, "tags": ["high-end"]}"#).expect("parses");
        c.apply(p.validate(now()).expect("valid"), now());
        assert_eq!(c.wechat, None);
        assert_eq!(c.name, "王芳");
        assert!(c.tags.contains("high-end"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<CustomerPatch>(r#"{"nmae": "x"}"#).is_err());
    }

    #[test]
    fn merge_keeps_both_histories() {
        let mut a = draft().validate(CustomerId(1), now()).expect("valid");
        let mut b = NewCustomer {
            phone: "13900139000".into(),
            tags: ["vip".into()].into(),
            ..draft()
        }
        .validate(CustomerId(2), now())
        .expect("valid");
        a.care.allergies = vec!["PPD".into()];
        b.care.allergies = vec!["latex".into(), "PPD".into()];
        b.total_spend = Decimal::new(500, 0);
        b.visit_count = 3;
        a.absorb(&b);
        assert_eq!(
            a.care.allergies,
            vec!["PPD".to_string(), "latex".to_string()]
        );
        assert!(a.tags.contains("vip"));
        assert_eq!(a.total_spend, Decimal::new(500, 0));
        assert_eq!(a.visit_count, 3);
        assert_eq!(a.merged_from, vec![CustomerId(2)]);
        assert_eq!(a.phone.as_ref().map(Phone::as_str), Some("13800138000"));
    }

    #[test]
    fn erase_keeps_totals_only() {
        let mut c = draft().validate(CustomerId(1), now()).expect("valid");
        c.total_spend = Decimal::new(12800, 2);
        c.erase(now());
        assert_eq!(c.phone, None);
        assert_eq!(c.total_spend, Decimal::new(12800, 2));
        assert!(!c.is_active());
    }
}
