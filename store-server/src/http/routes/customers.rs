//! Customer profiles (CUS-1..6): create, read, edit with history, search, merge, export, erase.

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Path, Query, created};
use crate::ops::customers;
use axum::extract::State;
use chrono::Utc;
use salon_shared::api::*;
use salon_shared::customer::NewCustomer;
use salon_shared::{Action, Customer, CustomerId};

/// Register a customer.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = NewCustomer,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = Customer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn customer_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<NewCustomer>,
) -> Result<Created<Customer>, ApiError> {
    auth.require(Action::CustomerWrite)?;
    let draft = input.validate(CustomerId(0), Utc::now())?;
    let idem = auth.idem("POST /customers", &input);
    let c = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            customers::create(tx, draft.clone())
        })
        .await?;
    Ok(created(c))
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
    Ok(axum::Json(customers::detail(&s.read()?, CustomerId(id))?))
}

/// Edit a profile; every change is audited with before and after.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = u64, Path)), request_body = CustomerPatch,
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn customer_update(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(patch): Json<CustomerPatch>,
) -> Result<axum::Json<Customer>, ApiError> {
    auth.require(Action::CustomerWrite)?;
    let valid = patch.validate(Utc::now())?;
    let idem = auth.idem(&format!("PATCH /customers/{id}"), &patch);
    let c = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            customers::update(tx, CustomerId(id), &valid)
        })
        .await?;
    Ok(axum::Json(c))
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
    Ok(axum::Json(customers::search(&s.read()?, &f)?))
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
    Ok(axum::Json(customers::history(&s.read()?, CustomerId(id))?))
}

/// Fold a duplicate into this customer, keeping both histories, cards and totals.
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers", params(("id" = u64, Path)), request_body = MergeRequest,
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn customer_merge(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(m): Json<MergeRequest>,
) -> Result<axum::Json<Customer>, ApiError> {
    auth.require(Action::CustomerMerge)?;
    let idem = auth.idem(&format!("POST /customers/{id}/merge"), &m);
    let c = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            customers::merge(tx, CustomerId(id), m.duplicate)
        })
        .await?;
    Ok(axum::Json(c))
}

/// Everything the store holds about a customer, as JSON (CUS-6). The export is audited.
#[utoipa::path(get, path = "/api/v1/customers/{id}/export", tag = "customers", params(("id" = u64, Path)),
    responses((status = 200, body = CustomerExport), (status = 404, body = ErrorBody)))]
pub async fn customer_export(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<CustomerExport>, ApiError> {
    auth.require(Action::CustomerPrivacy)?;
    let db = s.db.clone();
    let export = s
        .writer
        .write(auth.actor(), None, move |tx| {
            customers::export(tx, &db, CustomerId(id))
        })
        .await?;
    Ok(axum::Json(export))
}

/// Erase a customer's personal data on request (CUS-6). Sales totals stay, anonymised;
/// personal data in the customer's audit entries is redacted in the same transaction.
#[utoipa::path(post, path = "/api/v1/customers/{id}/erase", tag = "customers", params(("id" = u64, Path)),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn customer_erase(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Customer>, ApiError> {
    auth.require(Action::CustomerPrivacy)?;
    let idem = auth.idem(&format!("POST /customers/{id}/erase"), &());
    let c = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            customers::erase(tx, CustomerId(id))
        })
        .await?;
    Ok(axum::Json(c))
}
