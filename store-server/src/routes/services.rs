//! The service catalog (SVC-1/2). Services are retired, never deleted.

use super::respond;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, Json, Path, Query};
use crate::store::{StoreError, tables};
use crate::writer::Reply;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use redb::ReadableDatabase;
use salon_shared::api::{ErrorBody, ServiceInput, ServiceQuery};
use salon_shared::{Action, Service, ServiceId};

/// The catalog, active services only unless `include_retired`.
#[utoipa::path(get, path = "/api/v1/services", tag = "catalog", params(ServiceQuery), responses((status = 200, body = Vec<Service>)))]
pub async fn service_list(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<ServiceQuery>,
) -> Result<axum::Json<Vec<Service>>, ApiError> {
    auth.require(Action::ServiceRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let mut all = tables::SERVICES.all(&r)?;
    all.retain(|s| s.active || q.include_retired);
    Ok(axum::Json(all))
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "catalog", params(("id" = u64, Path)),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody)))]
pub async fn service_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Service>, ApiError> {
    auth.require(Action::ServiceRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(
        tables::SERVICES
            .get(&r, id)?
            .ok_or_else(|| ApiError::not_found("service"))?,
    ))
}

/// Add a service to the catalog.
#[utoipa::path(post, path = "/api/v1/services", tag = "catalog", request_body = ServiceInput,
    responses((status = 201, body = Service), (status = 422, body = ErrorBody)))]
pub async fn service_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<ServiceInput>,
) -> Result<Response, ApiError> {
    auth.require(Action::ServiceWrite)?;
    let valid = input.validate()?;
    let idem = auth.idem("POST /services", &input);
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let id = ServiceId(tx.next_id("service")?);
                let svc = valid.clone().into_service(id, tx.now);
                tx.put(&tables::SERVICES, id.0, &svc)?;
                tx.audit(
                    "service.create",
                    "service",
                    id,
                    serde_json::Value::Null,
                    &svc,
                )?;
                tx.event("service.created", id)?;
                Ok(Reply::ok(StatusCode::CREATED, &svc))
            })
            .await,
    ))
}

/// Change a service. A new price applies from now on; past records keep theirs.
#[utoipa::path(put, path = "/api/v1/services/{id}", tag = "catalog", params(("id" = u64, Path)), request_body = ServiceInput,
    responses((status = 200, body = Service), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn service_update(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(input): Json<ServiceInput>,
) -> Result<Response, ApiError> {
    auth.require(Action::ServiceWrite)?;
    let valid = input.validate()?;
    let idem = auth.idem(&format!("PUT /services/{id}"), &input);
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let before = tx
                    .get(&tables::SERVICES, id)?
                    .ok_or_else(|| ApiError::not_found("service"))?;
                let mut after = before.clone();
                valid.clone().apply_to(&mut after, tx.now);
                tx.put(&tables::SERVICES, id, &after)?;
                tx.audit("service.update", "service", id, &before, &after)?;
                tx.event("service.updated", id)?;
                Ok(Reply::ok(StatusCode::OK, &after))
            })
            .await,
    ))
}

async fn set_active(s: AppState, auth: Auth, id: u64, active: bool) -> Result<Response, ApiError> {
    auth.require(Action::ServiceWrite)?;
    Ok(respond(
        s.writer
            .write(auth.actor(), None, move |tx| {
                let before = tx
                    .get(&tables::SERVICES, id)?
                    .ok_or_else(|| ApiError::not_found("service"))?;
                let mut after = before.clone();
                after.active = active;
                tx.put(&tables::SERVICES, id, &after)?;
                tx.audit(
                    if active {
                        "service.restore"
                    } else {
                        "service.retire"
                    },
                    "service",
                    id,
                    &before,
                    &after,
                )?;
                tx.event("service.updated", id)?;
                Ok(Reply::ok(StatusCode::OK, &after))
            })
            .await,
    ))
}

/// Retire a service: hidden from new sales, kept for history.
#[utoipa::path(post, path = "/api/v1/services/{id}/retire", tag = "catalog", params(("id" = u64, Path)),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody)))]
pub async fn service_retire(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<Response, ApiError> {
    set_active(s, auth, id, false).await
}

/// Offer a retired service again.
#[utoipa::path(post, path = "/api/v1/services/{id}/restore", tag = "catalog", params(("id" = u64, Path)),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody)))]
pub async fn service_restore(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<Response, ApiError> {
    set_active(s, auth, id, true).await
}

/// The service, which must exist and be on offer (a retired one is not sold: SVC-2).
pub fn active_service(
    tx: &crate::writer::Tx,
    id: salon_shared::ServiceId,
) -> Result<salon_shared::Service, ApiError> {
    tx.get(&tables::SERVICES, id.0)?
        .filter(|s| s.active)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "service_unknown",
                format!("service {id} does not exist or is retired"),
            )
        })
}
