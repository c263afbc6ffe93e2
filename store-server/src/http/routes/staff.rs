//! Staff (STF-1): roles, levels, skills and PINs. PINs never leave the server.

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Path, created};
use crate::ops::devices::random_secret;
use crate::ops::staff;
use axum::extract::State;
use salon_shared::api::{ErrorBody, StaffInput};
use salon_shared::staff::StaffView;
use salon_shared::{Action, StaffId};

#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", responses((status = 200, body = Vec<StaffView>)))]
pub async fn staff_list(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<StaffView>>, ApiError> {
    auth.require(Action::StaffRead)?;
    Ok(axum::Json(staff::list(&s.read()?)?))
}

#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = u64, Path)),
    responses((status = 200, body = StaffView), (status = 404, body = ErrorBody)))]
pub async fn staff_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<StaffView>, ApiError> {
    auth.require(Action::StaffRead)?;
    Ok(axum::Json(staff::get(&s.read()?, StaffId(id))?))
}

/// Add a staff member (a PIN is required).
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = StaffInput,
    responses((status = 201, body = StaffView), (status = 422, body = ErrorBody)))]
pub async fn staff_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<StaffInput>,
) -> Result<Created<StaffView>, ApiError> {
    auth.require(Action::StaffWrite)?;
    // Validate before queueing so bad input never reaches the writer.
    staff::validate_new(&input)?;
    let idem = auth.idem("POST /staff", &input);
    let salt = random_secret(8);
    let view = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            staff::create(tx, &input, &salt)
        })
        .await?;
    Ok(created(view))
}

/// Change a staff member; omit `pin` to keep the current one.
#[utoipa::path(put, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = u64, Path)), request_body = StaffInput,
    responses((status = 200, body = StaffView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn staff_update(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(input): Json<StaffInput>,
) -> Result<axum::Json<StaffView>, ApiError> {
    auth.require(Action::StaffWrite)?;
    let idem = auth.idem(&format!("PUT /staff/{id}"), &input);
    let view = staff::update(&s, auth.actor(), idem, StaffId(id), input).await?;
    Ok(axum::Json(view))
}
