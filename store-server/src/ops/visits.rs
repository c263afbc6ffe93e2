//! Service records (REC-1/2): what was done in a visit, products used (which leave stock),
//! colour and perm formulas, notes, and before/after photos kept only with the customer's
//! consent. One record per queue ticket; saving again replaces it.

use super::stock::{self, StockError};
use super::{Kind, OpError};
use crate::store::{StoreError, Tx, ids_under_id, link, tables};
use redb::ReadTransaction;
use salon_shared::api::{
    Formula, PhotoKind, PhotoMeta, ProductUse, StockReason, Visit, VisitInput,
};
use salon_shared::text::{clean, clean_note};
use salon_shared::{CustomerId, DomainError, ProductId, StaffId};
use std::collections::BTreeMap;

/// The most photos one visit keeps, and the largest photo taken.
const MAX_PHOTOS: usize = 6;
pub const PHOTO_LIMIT: usize = 2 * 1024 * 1024;

/// Why a visit operation refused.
#[derive(Debug, thiserror::Error)]
pub enum VisitError {
    #[error("no queue ticket with this id")]
    TicketNotFound,
    #[error("ticket {number} is {state}: record a visit once it has started")]
    NotStarted { number: String, state: String },
    #[error("no service {0}")]
    ServiceUnknown(salon_shared::ServiceId),
    #[error("visit record not found")]
    NotFound,
    #[error("{0}")]
    Invalid(&'static str),
    #[error("record the visit before adding photos")]
    NotRecorded,
    #[error("customer not found")]
    CustomerNotFound,
    #[error("photos are kept only when the customer agreed to them for this visit")]
    ConsentMissing,
    #[error("at most {MAX_PHOTOS} photos per visit")]
    TooManyPhotos,
    #[error("the body is not a JPEG or PNG image")]
    PhotoInvalid,
    #[error("photo not found")]
    PhotoNotFound,
    #[error(transparent)]
    Stock(#[from] StockError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError for VisitError {
    fn kind(&self) -> Kind {
        use VisitError as E;
        match self {
            E::TicketNotFound | E::NotFound | E::CustomerNotFound | E::PhotoNotFound => {
                Kind::NotFound
            }
            E::NotStarted { .. } | E::NotRecorded | E::ConsentMissing | E::TooManyPhotos => {
                Kind::Conflict
            }
            E::ServiceUnknown(_) | E::Invalid(_) | E::PhotoInvalid => Kind::Invalid,
            E::Stock(e) => e.kind(),
            E::Domain(e) => e.kind(),
            E::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        use VisitError as E;
        match self {
            E::TicketNotFound => "ticket_not_found",
            E::NotStarted { .. } => "visit_not_started",
            E::ServiceUnknown(_) => "service_unknown",
            E::NotFound | E::CustomerNotFound | E::PhotoNotFound => "not_found",
            E::Invalid(_) => "invalid",
            E::NotRecorded => "visit_not_recorded",
            E::ConsentMissing => "photo_consent_missing",
            E::TooManyPhotos => "too_many_photos",
            E::PhotoInvalid => "photo_invalid",
            E::Stock(e) => e.code(),
            E::Domain(e) => e.code(),
            E::Store(e) => e.code(),
        }
    }
}

/// A service record as sent, checked and cleaned: one line per product, so stock moves by
/// the total.
pub fn validate(input: VisitInput) -> Result<VisitInput, VisitError> {
    if input.services.is_empty() || input.services.len() > 10 {
        return Err(VisitError::Invalid("services: 1–10 services"));
    }
    if input.products_used.len() > 20
        || input
            .products_used
            .iter()
            .any(|u| !(1..=99).contains(&u.qty))
    {
        return Err(VisitError::Invalid(
            "products_used: at most 20 products, 1–99 of each",
        ));
    }
    if input.formulas.len() > 10 {
        return Err(VisitError::Invalid("formulas: at most 10"));
    }
    let mut used: BTreeMap<ProductId, u32> = BTreeMap::new();
    for u in &input.products_used {
        *used.entry(u.product_id).or_default() += u.qty;
    }
    Ok(VisitInput {
        services: input.services,
        products_used: used
            .into_iter()
            .map(|(product_id, qty)| ProductUse { product_id, qty })
            .collect(),
        formulas: input
            .formulas
            .into_iter()
            .map(|f| {
                Ok(Formula {
                    kind: f.kind,
                    text: clean("formula", &f.text, 1, 300)?,
                })
            })
            .collect::<Result<_, DomainError>>()?,
        notes: clean_note("notes", &input.notes, 1000)?,
        photo_consent: input.photo_consent,
    })
}

/// Records (or corrects) what was done in a visit. Products used leave stock; a correction
/// moves stock by the difference.
pub fn record(
    tx: &mut Tx,
    ticket_id: u64,
    input: &VisitInput,
    staff: Option<StaffId>,
) -> Result<Visit, VisitError> {
    let ticket = tx
        .get(&tables::TICKETS, ticket_id)?
        .ok_or(VisitError::TicketNotFound)?;
    use salon_shared::queue::TicketState as S;
    if !matches!(ticket.state, S::InService | S::Done) {
        return Err(VisitError::NotStarted {
            number: ticket.number,
            state: format!("{:?}", ticket.state),
        });
    }
    for sid in &input.services {
        tx.get(&tables::SERVICES, sid.0)?
            .ok_or(VisitError::ServiceUnknown(*sid))?;
    }
    let before = tx.get(&tables::VISITS, ticket_id)?;
    let mut delta: BTreeMap<ProductId, i64> = BTreeMap::new();
    for u in before.iter().flat_map(|v| &v.products_used) {
        *delta.entry(u.product_id).or_default() += i64::from(u.qty);
    }
    for u in &input.products_used {
        stock::product(tx, u.product_id)?;
        *delta.entry(u.product_id).or_default() -= i64::from(u.qty);
    }
    // Check all stock before the first write.
    for (pid, d) in &delta {
        let p = stock::product(tx, *pid)?;
        if p.stock + d < 0 {
            return Err(StockError::Insufficient {
                name: p.name,
                stock: p.stock,
                wanted: -d,
                verb: "used",
            }
            .into());
        }
    }
    let reason = if before.is_some() {
        StockReason::UseCorrected
    } else {
        StockReason::UseInService
    };
    for (pid, d) in delta {
        if d != 0 {
            stock::move_stock(tx, pid, d, reason, None, Some(ticket_id))?;
        }
    }
    // Consent given once stays dated from then; taken back, the photos go.
    let consent_at = match (&before, input.photo_consent) {
        (_, false) => None,
        (Some(b), true) => b.photo_consent_at.or(Some(tx.now)),
        (None, true) => Some(tx.now),
    };
    let photos = match (&before, consent_at) {
        (Some(b), Some(_)) => b.photos.clone(),
        (Some(b), None) => {
            forget_photos(tx, b)?;
            Vec::new()
        }
        (None, _) => Vec::new(),
    };
    let v = Visit {
        ticket_id,
        day: ticket.day,
        customer_id: ticket.customer_id,
        stylist: ticket.stylist,
        services: input.services.clone(),
        products_used: input.products_used.clone(),
        formulas: input.formulas.clone(),
        notes: input.notes.clone(),
        recorded_at: tx.now,
        recorded_by: staff,
        photo_consent_at: consent_at,
        photos,
    };
    tx.put(&tables::VISITS, ticket_id, &v)?;
    link(tx.w, tables::VISITS_BY_CUSTOMER, v.customer_id.0, ticket_id)?;
    tx.audit("visit.record", "customer", v.customer_id, &before, &v)?;
    tx.event("visit.recorded", ticket_id)?;
    Ok(v)
}

pub fn get(r: &ReadTransaction, ticket_id: u64) -> Result<Visit, VisitError> {
    tables::VISITS
        .get(r, ticket_id)?
        .ok_or(VisitError::NotFound)
}

/// Deletes a visit's photos (consent taken back, or the customer erased).
fn forget_photos(tx: &mut Tx, v: &Visit) -> Result<(), StoreError> {
    let mut t = tx.writing().open_table(tables::PHOTOS)?;
    for p in &v.photos {
        t.remove((v.ticket_id, p.n))?;
    }
    Ok(())
}

/// Erases every photo of a customer's visits (CUS-6), keeping the records' other facts.
pub fn forget_customer_photos(tx: &mut Tx, customer: CustomerId) -> Result<(), StoreError> {
    for ticket in ids_under_id(tx.w, tables::VISITS_BY_CUSTOMER, customer.0)? {
        if let Some(mut v) = tx.get(&tables::VISITS, ticket)?
            && !v.photos.is_empty()
        {
            forget_photos(tx, &v)?;
            v.photos.clear();
            v.photo_consent_at = None;
            tx.put(&tables::VISITS, ticket, &v)?;
        }
    }
    Ok(())
}

/// Checks that `bytes` are the JPEG or PNG image `content_type` says.
pub fn check_image(content_type: &str, bytes: &[u8]) -> Result<(), VisitError> {
    let magic_ok = match content_type {
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(&[0x89, b'P', b'N', b'G']),
        _ => false,
    };
    if !magic_ok || bytes.len() < 32 {
        return Err(VisitError::PhotoInvalid);
    }
    Ok(())
}

/// Adds a before/after photo to a recorded visit whose customer agreed to photos (REC-1).
/// At most six per visit.
pub fn add_photo(
    tx: &mut Tx,
    ticket_id: u64,
    kind: PhotoKind,
    content_type: &str,
    bytes: &[u8],
) -> Result<Visit, VisitError> {
    let mut v = tx
        .get(&tables::VISITS, ticket_id)?
        .ok_or(VisitError::NotRecorded)?;
    let customer = tx
        .get(&tables::CUSTOMERS, v.customer_id.0)?
        .ok_or(VisitError::CustomerNotFound)?;
    if v.photo_consent_at.is_none() || customer.consent_at.is_none() || !customer.is_active() {
        return Err(VisitError::ConsentMissing);
    }
    if v.photos.len() >= MAX_PHOTOS {
        return Err(VisitError::TooManyPhotos);
    }
    let n = v.photos.iter().map(|p| p.n).max().unwrap_or(0) + 1;
    tx.writing()
        .open_table(tables::PHOTOS)
        .map_err(StoreError::from)?
        .insert((ticket_id, n), bytes)
        .map_err(StoreError::from)?;
    let meta = PhotoMeta {
        n,
        kind,
        content_type: content_type.to_string(),
        bytes: bytes.len() as u32,
        at: tx.now,
    };
    v.photos.push(meta.clone());
    tx.put(&tables::VISITS, ticket_id, &v)?;
    tx.audit(
        "visit.photo",
        "customer",
        v.customer_id,
        serde_json::Value::Null,
        &meta,
    )?;
    tx.event("visit.recorded", ticket_id)?;
    Ok(v)
}

/// One photo of a visit: its content type and bytes.
pub fn photo(r: &ReadTransaction, ticket_id: u64, n: u32) -> Result<(String, Vec<u8>), VisitError> {
    let meta = tables::VISITS
        .get(r, ticket_id)?
        .and_then(|v| v.photos.into_iter().find(|p| p.n == n))
        .ok_or(VisitError::PhotoNotFound)?;
    let t = r.open_table(tables::PHOTOS).map_err(StoreError::from)?;
    let bytes = t
        .get((ticket_id, n))
        .map_err(StoreError::from)?
        .map(|b| b.value().to_vec())
        .ok_or(VisitError::PhotoNotFound)?;
    Ok((meta.content_type, bytes))
}
