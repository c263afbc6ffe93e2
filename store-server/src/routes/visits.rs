//! Service records (REC-1/2): what was done in a visit, products used (which leave stock),
//! colour and perm formulas, notes, and before/after photos kept only with the customer's
//! consent. One record per queue ticket; saving again replaces it.

use super::respond;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, Json, Path, Query};
use crate::store::{StoreError, link, tables};
use crate::writer::{Reply, Tx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use redb::ReadableDatabase;
use salon_shared::api::{
    ErrorBody, Formula, PhotoMeta, PhotoQuery, ProductUse, StockReason, Visit, VisitInput,
};
use salon_shared::text::{clean, clean_note};
use salon_shared::{Action, ProductId};
use std::collections::BTreeMap;

fn validate(input: VisitInput) -> Result<VisitInput, ApiError> {
    let bad = |m: &str| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m.to_string());
    if input.services.is_empty() || input.services.len() > 10 {
        return Err(bad("services: 1–10 services"));
    }
    if input.products_used.len() > 20
        || input
            .products_used
            .iter()
            .any(|u| !(1..=99).contains(&u.qty))
    {
        return Err(bad("products_used: at most 20 products, 1–99 of each"));
    }
    if input.formulas.len() > 10 {
        return Err(bad("formulas: at most 10"));
    }
    // One line per product, so stock moves by the total.
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
            .collect::<Result<_, ApiError>>()?,
        notes: clean_note("notes", &input.notes, 1000)?,
        photo_consent: input.photo_consent,
    })
}

/// Records (or corrects) what was done in a visit. Products used leave stock; a correction
/// moves stock by the difference.
#[utoipa::path(put, path = "/api/v1/visits/{ticket_id}", tag = "visits", request_body = VisitInput,
    params(("ticket_id" = u64, Path)),
    responses((status = 200, body = Visit), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn visit_put(
    State(s): State<AppState>,
    auth: Auth,
    Path(ticket_id): Path<u64>,
    Json(input): Json<VisitInput>,
) -> Result<Response, ApiError> {
    auth.require(Action::VisitWrite)?;
    let staff = super::checkout::cashier(&auth)?;
    let idem = auth.idem(&format!("PUT /visits/{ticket_id}"), &input);
    let input = validate(input)?;
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let ticket = tx.get(&tables::TICKETS, ticket_id)?.ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        "ticket_not_found",
                        "no queue ticket with this id",
                    )
                })?;
                use salon_shared::queue::TicketState as S;
                if !matches!(ticket.state, S::InService | S::Done) {
                    return Err(ApiError::conflict(
                        "visit_not_started",
                        format!(
                            "ticket {} is {:?}: record a visit once it has started",
                            ticket.number, ticket.state
                        ),
                    ));
                }
                for sid in &input.services {
                    tx.get(&tables::SERVICES, sid.0)?.ok_or_else(|| {
                        ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "service_unknown",
                            format!("no service {sid}"),
                        )
                    })?;
                }
                let before = tx.get(&tables::VISITS, ticket_id)?;
                let mut delta: BTreeMap<ProductId, i64> = BTreeMap::new();
                for u in before.iter().flat_map(|v| &v.products_used) {
                    *delta.entry(u.product_id).or_default() += i64::from(u.qty);
                }
                for u in &input.products_used {
                    super::products::product(tx, u.product_id)?;
                    *delta.entry(u.product_id).or_default() -= i64::from(u.qty);
                }
                // Check all stock before the first write.
                for (pid, d) in &delta {
                    let p = super::products::product(tx, *pid)?;
                    if p.stock + d < 0 {
                        return Err(ApiError::conflict(
                            "stock_insufficient",
                            format!("{}: {} in stock, {} used", p.name, p.stock, -d),
                        ));
                    }
                }
                let reason = if before.is_some() {
                    StockReason::UseCorrected
                } else {
                    StockReason::UseInService
                };
                for (pid, d) in delta {
                    if d != 0 {
                        super::products::move_stock(tx, pid, d, reason, None, Some(ticket_id))?;
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
                Ok(Reply::ok(StatusCode::OK, &v))
            })
            .await,
    ))
}

#[utoipa::path(get, path = "/api/v1/visits/{ticket_id}", tag = "visits", params(("ticket_id" = u64, Path)),
    responses((status = 200, body = Visit), (status = 404, body = ErrorBody)))]
pub async fn visit_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(ticket_id): Path<u64>,
) -> Result<axum::Json<Visit>, ApiError> {
    auth.require(Action::CustomerRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(
        tables::VISITS
            .get(&r, ticket_id)?
            .ok_or_else(|| ApiError::not_found("visit record"))?,
    ))
}

/// The most photos one visit keeps, and the largest photo taken.
const MAX_PHOTOS: usize = 6;
pub const PHOTO_LIMIT: usize = 2 * 1024 * 1024;

/// Deletes a visit's photos (consent taken back, or the customer erased).
pub fn forget_photos(tx: &mut Tx, v: &Visit) -> Result<(), ApiError> {
    let mut t = tx
        .writing()
        .open_table(tables::PHOTOS)
        .map_err(StoreError::from)?;
    for p in &v.photos {
        t.remove((v.ticket_id, p.n)).map_err(StoreError::from)?;
    }
    Ok(())
}

/// Erases every photo of a customer's visits (CUS-6), keeping the records' other facts.
pub fn forget_customer_photos(
    tx: &mut Tx,
    customer: salon_shared::CustomerId,
) -> Result<(), ApiError> {
    for ticket in crate::store::ids_under_id(tx.w, tables::VISITS_BY_CUSTOMER, customer.0)? {
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

/// Adds a before/after photo (JPEG or PNG, at most 2 MiB) to a recorded visit whose
/// customer agreed to photos (REC-1). At most six per visit.
#[utoipa::path(post, path = "/api/v1/visits/{ticket_id}/photos", tag = "visits",
    params(("ticket_id" = u64, Path), PhotoQuery, ("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = Visit), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn photo_add(
    State(s): State<AppState>,
    auth: Auth,
    Path(ticket_id): Path<u64>,
    Query(q): Query<PhotoQuery>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    auth.require(Action::VisitWrite)?;
    super::checkout::cashier(&auth)?;
    let body = body.map_err(|r| {
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "bad_body"
        };
        ApiError::new(status, code, r.body_text())
    })?;
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let magic_ok = match content_type.as_str() {
        "image/jpeg" => body.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => body.starts_with(&[0x89, b'P', b'N', b'G']),
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type",
                "a photo is sent as image/jpeg or image/png",
            ));
        }
    };
    if !magic_ok || body.len() < 32 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "photo_invalid",
            "the body is not a JPEG or PNG image",
        ));
    }
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body));
    let idem = auth.idem(
        &format!("POST /visits/{ticket_id}/photos"),
        &(&q.kind, &digest),
    );
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let mut v = tx.get(&tables::VISITS, ticket_id)?.ok_or_else(|| {
                    ApiError::conflict(
                        "visit_not_recorded",
                        "record the visit before adding photos",
                    )
                })?;
                let customer = tx
                    .get(&tables::CUSTOMERS, v.customer_id.0)?
                    .ok_or_else(|| ApiError::not_found("customer"))?;
                if v.photo_consent_at.is_none()
                    || customer.consent_at.is_none()
                    || !customer.is_active()
                {
                    return Err(ApiError::conflict(
                        "photo_consent_missing",
                        "photos are kept only when the customer agreed to them for this visit",
                    ));
                }
                if v.photos.len() >= MAX_PHOTOS {
                    return Err(ApiError::conflict(
                        "too_many_photos",
                        format!("at most {MAX_PHOTOS} photos per visit"),
                    ));
                }
                let n = v.photos.iter().map(|p| p.n).max().unwrap_or(0) + 1;
                tx.writing()
                    .open_table(tables::PHOTOS)
                    .map_err(StoreError::from)?
                    .insert((ticket_id, n), body.as_ref())
                    .map_err(StoreError::from)?;
                let meta = PhotoMeta {
                    n,
                    kind: q.kind,
                    content_type: content_type.clone(),
                    bytes: body.len() as u32,
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
                Ok(Reply::ok(StatusCode::CREATED, &v))
            })
            .await,
    ))
}

/// One photo of a visit, as the image it is.
#[utoipa::path(get, path = "/api/v1/visits/{ticket_id}/photos/{n}", tag = "visits",
    params(("ticket_id" = u64, Path), ("n" = u32, Path)),
    responses((status = 200, body = Vec<u8>, content_type = "image/jpeg"), (status = 404, body = ErrorBody)))]
pub async fn photo_get(
    State(s): State<AppState>,
    auth: Auth,
    Path((ticket_id, n)): Path<(u64, u32)>,
) -> Result<Response, ApiError> {
    auth.require(Action::CustomerRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let meta = tables::VISITS
        .get(&r, ticket_id)?
        .and_then(|v| v.photos.into_iter().find(|p| p.n == n))
        .ok_or_else(|| ApiError::not_found("photo"))?;
    let t = r.open_table(tables::PHOTOS).map_err(StoreError::from)?;
    let bytes = t
        .get((ticket_id, n))
        .map_err(StoreError::from)?
        .map(|b| b.value().to_vec())
        .ok_or_else(|| ApiError::not_found("photo"))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, meta.content_type)],
        bytes,
    )
        .into_response())
}
