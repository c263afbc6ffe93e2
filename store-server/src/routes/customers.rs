//! Customer profiles (CUS-1..6): create, read, edit with history, search, merge, export, erase.

use super::respond;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, Json, Path, Query};
use crate::store::{StoreError, ids_under_id, index_prefix, tables};
use crate::writer::{Reply, Tx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, Utc};
use redb::{ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction};
use salon_shared::api::*;
use salon_shared::customer::NewCustomer;
use salon_shared::search::{Query as SearchQuery, name_keys, parse_query};
use salon_shared::{Action, Customer, CustomerId, MemberCard};

/// Adds a customer's look-up keys to the indexes.
pub fn index(w: &WriteTransaction, c: &Customer) -> Result<(), StoreError> {
    let id = c.id.0;
    if let Some(p) = &c.phone {
        w.open_table(tables::CUSTOMER_BY_PHONE)?
            .insert(p.as_str(), id)?;
        w.open_table(tables::CUSTOMER_BY_LAST4)?
            .insert((p.last4(), id), ())?;
    }
    let mut t = w.open_table(tables::CUSTOMER_BY_NAME)?;
    for k in name_keys(&c.name) {
        t.insert((k.as_str(), id), ())?;
    }
    Ok(())
}

/// Removes a customer's look-up keys (before an edit, a merge or an erasure).
pub fn unindex(w: &WriteTransaction, c: &Customer) -> Result<(), StoreError> {
    let id = c.id.0;
    if let Some(p) = &c.phone {
        let mut t = w.open_table(tables::CUSTOMER_BY_PHONE)?;
        let owner = t.get(p.as_str())?.map(|v| v.value());
        if owner == Some(id) {
            t.remove(p.as_str())?;
        }
        w.open_table(tables::CUSTOMER_BY_LAST4)?
            .remove((p.last4(), id))?;
    }
    let mut t = w.open_table(tables::CUSTOMER_BY_NAME)?;
    for k in name_keys(&c.name) {
        t.remove((k.as_str(), id))?;
    }
    Ok(())
}

fn phone_owner(w: &WriteTransaction, phone: &str) -> Result<Option<u64>, StoreError> {
    Ok(w.open_table(tables::CUSTOMER_BY_PHONE)?
        .get(phone)?
        .map(|v| v.value()))
}

/// The customer, who must exist and be live.
pub fn active(tx: &Tx, id: CustomerId) -> Result<Customer, ApiError> {
    let c = tx
        .get(&tables::CUSTOMERS, id.0)?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    if !c.is_active() {
        return Err(ApiError::conflict(
            "customer_inactive",
            "this customer was merged into another or erased",
        ));
    }
    Ok(c)
}

/// Registers a customer: shared by staff devices and the kiosk. `draft` is already validated.
pub fn create(tx: &mut Tx, mut c: Customer) -> Result<Customer, ApiError> {
    let phone = c
        .phone
        .clone()
        .ok_or_else(|| ApiError::bad_request("phone_invalid", "a phone number is required"))?;
    if phone_owner(tx.w, phone.as_str())?.is_some() {
        return Err(ApiError::conflict(
            "phone_taken",
            "a customer with this phone number already exists",
        ));
    }
    if let Some(r) = c.referrer {
        tx.get(&tables::CUSTOMERS, r.0)?.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "referrer_unknown",
                "the referrer is not a customer",
            )
        })?;
    }
    c.id = CustomerId(tx.next_id("customer")?);
    c.registered_at = tx.now;
    c.consent_at = c.consent_at.map(|_| tx.now);
    tx.put(&tables::CUSTOMERS, c.id.0, &c)?;
    index(tx.w, &c)?;
    tx.audit(
        "customer.create",
        "customer",
        c.id,
        serde_json::Value::Null,
        &c,
    )?;
    tx.event("customer.created", c.id)?;
    Ok(c)
}

/// Register a customer.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = NewCustomer,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = Customer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn customer_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<NewCustomer>,
) -> Result<Response, ApiError> {
    auth.require(Action::CustomerWrite)?;
    let draft = input.validate(CustomerId(0), Utc::now())?;
    let idem = auth.idem("POST /customers", &input);
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                Ok(Reply::ok(StatusCode::CREATED, &create(tx, draft.clone())?))
            })
            .await,
    ))
}

fn cards_of(r: &ReadTransaction, id: CustomerId) -> Result<Vec<MemberCard>, StoreError> {
    let t = r.open_table(tables::CARDS_BY_CUSTOMER)?;
    let mut out = Vec::new();
    for item in t.range((id.0, "")..=(id.0, "\u{10ffff}"))? {
        let (k, _) = item?;
        if let Some(card) = tables::CARDS.get(r, k.value().1)? {
            out.push(card);
        }
    }
    Ok(out)
}

/// A customer's full profile with their cards.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = u64, Path)),
    responses((status = 200, body = CustomerDetail), (status = 404, body = ErrorBody)))]
pub async fn customer_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<CustomerDetail>, ApiError> {
    auth.require(Action::CustomerRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let customer = tables::CUSTOMERS
        .get(&r, id)?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    let cards = cards_of(&r, customer.id)?;
    Ok(axum::Json(CustomerDetail { customer, cards }))
}

/// Edit a profile; every change is audited with before and after.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = u64, Path)), request_body = CustomerPatch,
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn customer_update(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(patch): Json<CustomerPatch>,
) -> Result<Response, ApiError> {
    auth.require(Action::CustomerWrite)?;
    let valid = patch.validate(Utc::now())?;
    let idem = auth.idem(&format!("PATCH /customers/{id}"), &patch);
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let before = active(tx, CustomerId(id))?;
                if let Some(p) = valid.phone()
                    && phone_owner(tx.w, p.as_str())?.is_some_and(|owner| owner != id)
                {
                    return Err(ApiError::conflict(
                        "phone_taken",
                        "another customer has this phone number",
                    ));
                }
                if let Some(r) = valid.referrer()
                    && (r.0 == id || tx.get(&tables::CUSTOMERS, r.0)?.is_none())
                {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "referrer_unknown",
                        "the referrer must be another customer",
                    ));
                }
                let mut after = before.clone();
                after.apply(valid.clone(), tx.now);
                unindex(tx.writing(), &before)?;
                index(tx.w, &after)?;
                tx.put(&tables::CUSTOMERS, id, &after)?;
                tx.audit("customer.update", "customer", id, &before, &after)?;
                tx.event("customer.updated", id)?;
                Ok(Reply::ok(StatusCode::OK, &after))
            })
            .await,
    ))
}

const SEARCH_CANDIDATES: usize = 2_000;

fn candidates(r: &ReadTransaction, q: &SearchQuery) -> Result<Vec<u64>, StoreError> {
    let mut ids = Vec::new();
    match q {
        SearchQuery::Phone(p) => {
            if let Some(v) = r.open_table(tables::CUSTOMER_BY_PHONE)?.get(p.as_str())? {
                ids.push(v.value());
            }
        }
        SearchQuery::Last4(d) => {
            ids = index_prefix(r, tables::CUSTOMER_BY_LAST4, d, SEARCH_CANDIDATES)?;
            ids.extend(index_prefix(
                r,
                tables::CUSTOMER_BY_NAME,
                d,
                SEARCH_CANDIDATES,
            )?);
        }
        SearchQuery::Text { name_prefix, card } => {
            if let Some(card) = card
                && let Some(c) = tables::CARDS.get(r, card.as_str())?
            {
                ids.push(c.customer_id.0);
            }
            ids.extend(index_prefix(
                r,
                tables::CUSTOMER_BY_NAME,
                name_prefix,
                SEARCH_CANDIDATES,
            )?);
        }
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    Ok(ids)
}

fn matches(c: &Customer, f: &CustomerQuery) -> bool {
    c.is_active()
        && f.tag.as_ref().is_none_or(|t| c.tags.contains(t.trim()))
        && f.tier.is_none_or(|t| c.tier == t)
        && f.source.is_none_or(|s| c.source == s)
        && f.birthday_month
            .is_none_or(|m| c.birthday.is_some_and(|b| b.month() == m))
        && f.visited_since
            .is_none_or(|d| c.last_visit_at.is_some_and(|v| v.date_naive() >= d))
        && f.not_visited_since
            .is_none_or(|d| c.last_visit_at.is_none_or(|v| v.date_naive() < d))
        && f.min_spend.is_none_or(|m| c.total_spend >= m)
}

/// Search (phone, last 4 digits, name or pinyin initials, card number) and filtered lists.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = CustomerPage), (status = 400, body = ErrorBody)))]
pub async fn customer_search(
    State(s): State<AppState>,
    auth: Auth,
    Query(f): Query<CustomerQuery>,
) -> Result<axum::Json<CustomerPage>, ApiError> {
    auth.require(Action::CustomerSearch)?;
    let limit = f.limit.unwrap_or(50);
    if limit == 0 || limit > 200 {
        return Err(ApiError::bad_request("bad_query", "limit must be 1–200"));
    }
    if f.birthday_month.is_some_and(|m| !(1..=12).contains(&m)) {
        return Err(ApiError::bad_request(
            "bad_query",
            "birthday_month must be 1–12",
        ));
    }
    if f.q.as_ref().is_some_and(|q| q.chars().count() > 64) {
        return Err(ApiError::bad_request(
            "bad_query",
            "q is at most 64 characters",
        ));
    }
    let offset = f.offset.unwrap_or(0);
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let mut hits: Vec<Customer> = Vec::new();
    let filtered = f.tag.is_some()
        || f.tier.is_some()
        || f.source.is_some()
        || f.birthday_month.is_some()
        || f.visited_since.is_some()
        || f.not_visited_since.is_some()
        || f.min_spend.is_some();
    match f.q.as_deref().and_then(parse_query) {
        // The front desk's search: only live customers are in the indexes, so the page is
        // read and the rest only counted (a common name's initials match thousands).
        Some(q) if !filtered => {
            let ids = candidates(&r, &q)?;
            let mut items = Vec::new();
            for id in ids.iter().skip(offset).take(limit) {
                if let Some(c) = tables::CUSTOMERS.get(&r, *id)?.filter(Customer::is_active) {
                    items.push(CustomerSummary::from(&c));
                }
            }
            return Ok(axum::Json(CustomerPage {
                items,
                total: ids.len(),
            }));
        }
        Some(q) => {
            for id in candidates(&r, &q)? {
                if let Some(c) = tables::CUSTOMERS.get(&r, id)?
                    && matches(&c, &f)
                {
                    hits.push(c);
                }
            }
        }
        None => {
            let t = r
                .open_table(tables::CUSTOMERS.definition())
                .map_err(StoreError::from)?;
            for item in t.iter().map_err(StoreError::from)? {
                let (_, v) = item.map_err(StoreError::from)?;
                let c = tables::CUSTOMERS.decode(v.value())?;
                if matches(&c, &f) {
                    hits.push(c);
                }
            }
        }
    }
    let total = hits.len();
    let items = hits
        .iter()
        .skip(offset)
        .take(limit)
        .map(CustomerSummary::from)
        .collect();
    Ok(axum::Json(CustomerPage { items, total }))
}

/// Audit entries of one customer, including duplicates merged into them.
pub fn history(r: &ReadTransaction, c: &Customer) -> Result<Vec<AuditEntry>, StoreError> {
    let t = r.open_table(tables::AUDIT_BY_ENTITY)?;
    let mut out = Vec::new();
    for id in std::iter::once(c.id).chain(c.merged_from.iter().copied()) {
        let key = format!("customer:{id}");
        for item in t.range((key.as_str(), 0u64)..=(key.as_str(), u64::MAX))? {
            let (k, _) = item?;
            if let Some(e) = tables::AUDIT.get(r, k.value().1)? {
                out.push(e);
            }
        }
    }
    out.sort_by_key(|e| e.seq);
    Ok(out)
}

/// A customer's ratings, with those of the duplicates merged into them (the same person,
/// as in [`history`]), by day, then ticket.
fn feedback_of(r: &ReadTransaction, c: &Customer) -> Result<Vec<Feedback>, StoreError> {
    let mut out = Vec::new();
    for id in std::iter::once(c.id).chain(c.merged_from.iter().copied()) {
        for ticket in ids_under_id(r, tables::FEEDBACK_BY_CUSTOMER, id.0)? {
            if let Some(f) = tables::FEEDBACK.get(r, ticket)? {
                out.push(f);
            }
        }
    }
    out.sort_by_key(|f| (f.day, f.ticket_id));
    Ok(out)
}

/// The edit history of a profile (who, when, before, after).
#[utoipa::path(get, path = "/api/v1/customers/{id}/history", tag = "customers", params(("id" = u64, Path)),
    responses((status = 200, body = Vec<AuditEntry>), (status = 404, body = ErrorBody)))]
pub async fn customer_history(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Vec<AuditEntry>>, ApiError> {
    auth.require(Action::CustomerRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let c = tables::CUSTOMERS
        .get(&r, id)?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    Ok(axum::Json(history(&r, &c)?))
}

/// Fold a duplicate into this customer, keeping both histories, cards and totals.
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers", params(("id" = u64, Path)), request_body = MergeRequest,
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn customer_merge(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(m): Json<MergeRequest>,
) -> Result<Response, ApiError> {
    auth.require(Action::CustomerMerge)?;
    if m.duplicate.0 == id {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "merge_self",
            "a customer cannot be merged into themselves",
        ));
    }
    let idem = auth.idem(&format!("POST /customers/{id}/merge"), &m);
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let keep = active(tx, CustomerId(id))?;
                let dup = active(tx, m.duplicate)?;
                let mut after = keep.clone();
                after.absorb(&dup);
                let mut dup_after = dup.clone();
                dup_after.status = salon_shared::CustomerStatus::Merged { into: keep.id };
                dup_after.card = None;
                unindex(tx.writing(), &dup)?;
                unindex(tx.w, &keep)?;
                index(tx.w, &after)?;
                // Every card the duplicate held now belongs to the kept customer.
                let cards: Vec<String> = {
                    let t =
                        tx.w.open_table(tables::CARDS_BY_CUSTOMER)
                            .map_err(StoreError::from)?;
                    let mut v = Vec::new();
                    for item in t
                        .range((dup.id.0, "")..=(dup.id.0, "\u{10ffff}"))
                        .map_err(StoreError::from)?
                    {
                        v.push(item.map_err(StoreError::from)?.0.value().1.to_string());
                    }
                    v
                };
                for no in &cards {
                    if let Some(mut card) = tx.get(&tables::CARDS, no.as_str())? {
                        card.customer_id = keep.id;
                        tx.put(&tables::CARDS, no.as_str(), &card)?;
                    }
                    let mut t =
                        tx.w.open_table(tables::CARDS_BY_CUSTOMER)
                            .map_err(StoreError::from)?;
                    t.remove((dup.id.0, no.as_str()))
                        .map_err(StoreError::from)?;
                    t.insert((keep.id.0, no.as_str()), ())
                        .map_err(StoreError::from)?;
                }
                super::members::absorb(tx, dup.id, keep.id)?;
                tx.put(&tables::CUSTOMERS, id, &after)?;
                tx.put(&tables::CUSTOMERS, dup.id.0, &dup_after)?;
                tx.audit("customer.merge", "customer", id, &keep, &after)?;
                tx.audit("customer.merged_into", "customer", dup.id, &dup, &dup_after)?;
                tx.event("customer.updated", id)?;
                tx.event("customer.merged", dup.id)?;
                Ok(Reply::ok(StatusCode::OK, &after))
            })
            .await,
    ))
}

/// A customer's service records, with those of the duplicates merged into them.
fn visits_of(
    r: &ReadTransaction,
    c: &Customer,
) -> Result<Vec<salon_shared::api::Visit>, StoreError> {
    let mut out = Vec::new();
    for id in std::iter::once(c.id).chain(c.merged_from.iter().copied()) {
        for t in crate::store::ids_under_id(r, tables::VISITS_BY_CUSTOMER, id.0)? {
            if let Some(v) = tables::VISITS.get(r, t)? {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// Everything the store holds about a customer, as JSON (CUS-6). The export is audited.
#[utoipa::path(get, path = "/api/v1/customers/{id}/export", tag = "customers", params(("id" = u64, Path)),
    responses((status = 200, body = CustomerExport), (status = 404, body = ErrorBody)))]
pub async fn customer_export(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<Response, ApiError> {
    auth.require(Action::CustomerPrivacy)?;
    let db = s.db.clone();
    Ok(respond(
        s.writer
            .write(auth.actor(), None, move |tx| {
                let customer = tx
                    .get(&tables::CUSTOMERS, id)?
                    .ok_or_else(|| ApiError::not_found("customer"))?;
                // Read the committed state; this transaction's own audit entry is added below.
                let r = db.begin_read().map_err(StoreError::from)?;
                let export = CustomerExport {
                    exported_at: tx.now,
                    cards: cards_of(&r, customer.id)?,
                    history: history(&r, &customer)?,
                    feedback: feedback_of(&r, &customer)?,
                    visits: visits_of(&r, &customer)?,
                    customer,
                };
                tx.writing();
                tx.audit(
                    "customer.export",
                    "customer",
                    id,
                    serde_json::Value::Null,
                    serde_json::json!({"exported": true}),
                )?;
                Ok(Reply::ok(StatusCode::OK, &export))
            })
            .await,
    ))
}

/// Erase a customer's personal data on request (CUS-6). Sales totals stay, anonymised;
/// personal data in the customer's audit entries is redacted in the same transaction.
#[utoipa::path(post, path = "/api/v1/customers/{id}/erase", tag = "customers", params(("id" = u64, Path)),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn customer_erase(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<Response, ApiError> {
    auth.require(Action::CustomerPrivacy)?;
    let idem = auth.idem(&format!("POST /customers/{id}/erase"), &());
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let before = tx
                    .get(&tables::CUSTOMERS, id)?
                    .ok_or_else(|| ApiError::not_found("customer"))?;
                if matches!(before.status, salon_shared::CustomerStatus::Erased { .. }) {
                    return Err(ApiError::conflict(
                        "customer_inactive",
                        "this customer was already erased",
                    ));
                }
                let mut after = before.clone();
                after.erase(tx.now);
                unindex(tx.writing(), &before)?;
                tx.put(&tables::CUSTOMERS, id, &after)?;
                redact_history(tx.w, before.id)?;
                forget_messages(tx, before.id)?;
                super::feedback::forget_comments(tx, before.id)?;
                super::visits::forget_customer_photos(tx, before.id)?;
                // Duplicates merged into this customer are the same person: erase them too.
                for dup_id in &before.merged_from {
                    if let Some(dup) = tx.get(&tables::CUSTOMERS, dup_id.0)? {
                        let mut gone = dup.clone();
                        gone.erase(tx.now);
                        unindex(tx.w, &dup)?;
                        tx.put(&tables::CUSTOMERS, dup_id.0, &gone)?;
                    }
                    redact_history(tx.w, *dup_id)?;
                    forget_messages(tx, *dup_id)?;
                    super::feedback::forget_comments(tx, *dup_id)?;
                    super::visits::forget_customer_photos(tx, *dup_id)?;
                }
                tx.audit(
                    "customer.erase",
                    "customer",
                    id,
                    serde_json::Value::Null,
                    serde_json::json!({"erased": true}),
                )?;
                tx.event("customer.erased", id)?;
                Ok(Reply::ok(StatusCode::OK, &after))
            })
            .await,
    ))
}

/// Cancels the customer's bookings still to come (freeing the stylists' time) and withdraws
/// and strips the reminders sent or due to them.
fn forget_messages(tx: &mut Tx, id: CustomerId) -> Result<(), ApiError> {
    let appointments = crate::store::ids_under_id(tx.w, tables::APPOINTMENTS_BY_CUSTOMER, id.0)?;
    for aid in &appointments {
        if let Some(mut a) = tx.get(&tables::APPOINTMENTS, *aid)?
            && a.state == salon_shared::schedule::AppointmentState::Booked
        {
            a.state = salon_shared::schedule::AppointmentState::Cancelled;
            tx.put(&tables::APPOINTMENTS, *aid, &a)?;
            tx.event("appointment.cancelled", aid)?;
        }
    }
    crate::notify::forget(tx, &appointments)
}

fn redact_history(w: &WriteTransaction, id: CustomerId) -> Result<(), StoreError> {
    let key = format!("customer:{id}");
    let seqs: Vec<u64> = {
        let t = w.open_table(tables::AUDIT_BY_ENTITY)?;
        let mut v = Vec::new();
        for item in t.range((key.as_str(), 0u64)..=(key.as_str(), u64::MAX))? {
            v.push(item?.0.value().1);
        }
        v
    };
    for seq in seqs {
        if let Some(mut e) = tables::AUDIT.get_w(w, seq)? {
            let redacted = serde_json::json!({"redacted": "erased on the customer's request"});
            e.before = if e.before.is_null() {
                e.before
            } else {
                redacted.clone()
            };
            e.after = if e.after.is_null() { e.after } else { redacted };
            tables::AUDIT.put(w, seq, &e)?;
        }
    }
    Ok(())
}
