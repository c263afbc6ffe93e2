//! The service catalog (SVC-1/2). Services are retired, never deleted.

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Path, Query, created};
use crate::ops::catalog;
use axum::extract::State;
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
    Ok(axum::Json(catalog::list(&s.read()?, q.include_retired)?))
}

#[utoipa::path(get, path = "/api/v1/services/{id}", tag = "catalog", params(("id" = u64, Path)),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody)))]
pub async fn service_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Service>, ApiError> {
    auth.require(Action::ServiceRead)?;
    Ok(axum::Json(catalog::get(&s.read()?, ServiceId(id))?))
}

/// Add a service to the catalog.
#[utoipa::path(post, path = "/api/v1/services", tag = "catalog", request_body = ServiceInput,
    responses((status = 201, body = Service), (status = 422, body = ErrorBody)))]
pub async fn service_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<ServiceInput>,
) -> Result<Created<Service>, ApiError> {
    auth.require(Action::ServiceWrite)?;
    let valid = input.validate()?;
    let idem = auth.idem("POST /services", &input);
    let svc = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            catalog::create(tx, valid.clone())
        })
        .await?;
    Ok(created(svc))
}

/// Change a service. A new price applies from now on; past records keep theirs.
#[utoipa::path(put, path = "/api/v1/services/{id}", tag = "catalog", params(("id" = u64, Path)), request_body = ServiceInput,
    responses((status = 200, body = Service), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn service_update(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(input): Json<ServiceInput>,
) -> Result<axum::Json<Service>, ApiError> {
    auth.require(Action::ServiceWrite)?;
    let valid = input.validate()?;
    let idem = auth.idem(&format!("PUT /services/{id}"), &input);
    let svc = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            catalog::update(tx, ServiceId(id), valid.clone())
        })
        .await?;
    Ok(axum::Json(svc))
}

async fn set_active(
    s: AppState,
    auth: Auth,
    id: u64,
    active: bool,
) -> Result<axum::Json<Service>, ApiError> {
    auth.require(Action::ServiceWrite)?;
    let svc = s
        .writer
        .write(auth.actor(), None, move |tx| {
            catalog::set_active(tx, ServiceId(id), active)
        })
        .await?;
    Ok(axum::Json(svc))
}

/// Retire a service: hidden from new sales, kept for history.
#[utoipa::path(post, path = "/api/v1/services/{id}/retire", tag = "catalog", params(("id" = u64, Path)),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody)))]
pub async fn service_retire(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Service>, ApiError> {
    set_active(s, auth, id, false).await
}

/// Offer a retired service again.
#[utoipa::path(post, path = "/api/v1/services/{id}/restore", tag = "catalog", params(("id" = u64, Path)),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody)))]
pub async fn service_restore(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Service>, ApiError> {
    set_active(s, auth, id, true).await
}
