//! Pairing (SEC-1), device tokens, and staff PIN sessions on shared devices (SEC-2).

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Path, created};
use crate::ops::devices;
use axum::extract::State;
use axum::http::StatusCode;
use salon_shared::Action;
use salon_shared::api::*;

/// Create a short-lived code a new device exchanges for a token of `role`.
#[utoipa::path(post, path = "/api/v1/pairing-codes", tag = "devices", request_body = PairingCodeRequest,
    responses((status = 201, body = PairingCode), (status = 403, body = ErrorBody)))]
pub async fn pairing_code_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(req): Json<PairingCodeRequest>,
) -> Result<Created<PairingCode>, ApiError> {
    auth.require(Action::DeviceManage)?;
    let created_by = Some(auth.device.id);
    let code = s
        .writer
        .write(auth.actor(), None, move |tx| {
            devices::create_pairing_code(tx, req.role, created_by, None)
        })
        .await?;
    Ok(created(code))
}

/// Exchange a pairing code for this device's token. Needs no token; rate-limited.
#[utoipa::path(post, path = "/api/v1/pair", tag = "devices", security(()), request_body = PairRequest,
    responses((status = 201, body = PairResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn pair(
    State(s): State<AppState>,
    Json(req): Json<PairRequest>,
) -> Result<Created<PairResponse>, ApiError> {
    let paired = devices::pair(&s, req).await?;
    Ok(created(paired))
}

/// Every paired device with its last use.
#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", responses((status = 200, body = Vec<DeviceView>), (status = 403, body = ErrorBody)))]
pub async fn device_list(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<DeviceView>>, ApiError> {
    auth.require(Action::DeviceManage)?;
    let r = s.read()?;
    Ok(axum::Json(devices::list(&r, &s.volatile)?))
}

/// Revoke a device's token at once.
#[utoipa::path(post, path = "/api/v1/devices/{id}/revoke", tag = "devices", params(("id" = u64, Path)),
    responses((status = 200, body = DeviceView), (status = 404, body = ErrorBody)))]
pub async fn device_revoke(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<DeviceView>, ApiError> {
    auth.require(Action::DeviceManage)?;
    Ok(axum::Json(devices::revoke(&s, auth.actor(), id).await?))
}

/// This device, and the staff member signed in on it.
#[utoipa::path(get, path = "/api/v1/me", tag = "devices", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(State(s): State<AppState>, auth: Auth) -> axum::Json<Me> {
    axum::Json(Me {
        device: s.volatile.with_last_seen(auth.device),
        staff: auth.staff,
    })
}

/// Sign a staff member in on this shared device with their PIN (rate-limited).
#[utoipa::path(post, path = "/api/v1/sessions", tag = "devices", request_body = SignInRequest,
    responses((status = 201, body = SignInResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn session_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(req): Json<SignInRequest>,
) -> Result<Created<SignInResponse>, ApiError> {
    auth.require(Action::StaffSignIn)?;
    let signed_in = devices::sign_in(&s, auth.device.id, auth.actor(), &req).await?;
    Ok(created(signed_in))
}

/// Sign the staff member out of this device.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "devices", responses((status = 204)))]
pub async fn session_delete(
    State(s): State<AppState>,
    auth: Auth,
    headers: axum::http::HeaderMap,
) -> StatusCode {
    if let Some(token) = headers.get(STAFF_SESSION).and_then(|v| v.to_str().ok()) {
        devices::sign_out(&s.volatile, token);
    }
    let _ = auth;
    StatusCode::NO_CONTENT
}
