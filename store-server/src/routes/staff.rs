//! Staff (STF-1): roles, levels, skills and PINs. PINs never leave the server.

use super::respond;
use crate::AppState;
use crate::auth::{Auth, random_secret};
use crate::error::{ApiError, Json, Path};
use crate::store::{StoreError, tables};
use crate::writer::Reply;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use redb::ReadableDatabase;
use salon_shared::api::{ErrorBody, StaffInput};
use salon_shared::staff::StaffView;
use salon_shared::{Action, StaffId};

#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", responses((status = 200, body = Vec<StaffView>)))]
pub async fn staff_list(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<StaffView>>, ApiError> {
    auth.require(Action::StaffRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(
        tables::STAFF.all(&r)?.iter().map(|s| s.view()).collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = u64, Path)),
    responses((status = 200, body = StaffView), (status = 404, body = ErrorBody)))]
pub async fn staff_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<StaffView>, ApiError> {
    auth.require(Action::StaffRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(
        tables::STAFF
            .get(&r, id)?
            .ok_or_else(|| ApiError::not_found("staff member"))?
            .view(),
    ))
}

/// Add a staff member (a PIN is required).
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = StaffInput,
    responses((status = 201, body = StaffView), (status = 422, body = ErrorBody)))]
pub async fn staff_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<StaffInput>,
) -> Result<Response, ApiError> {
    auth.require(Action::StaffWrite)?;
    // Validate before queueing so bad input never reaches the writer.
    input.clone().into_staff(StaffId(0), None, String::new())?;
    let idem = auth.idem("POST /staff", &input);
    let salt = random_secret(8);
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let id = StaffId(tx.next_id("staff")?);
                let staff = input.clone().into_staff(id, None, salt.clone())?;
                tx.put(&tables::STAFF, id.0, &staff)?;
                tx.audit(
                    "staff.create",
                    "staff",
                    id,
                    serde_json::Value::Null,
                    staff.view(),
                )?;
                tx.event("staff.created", id)?;
                Ok(Reply::ok(StatusCode::CREATED, &staff.view()))
            })
            .await,
    ))
}

/// Change a staff member; omit `pin` to keep the current one.
#[utoipa::path(put, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = u64, Path)), request_body = StaffInput,
    responses((status = 200, body = StaffView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn staff_update(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(input): Json<StaffInput>,
) -> Result<Response, ApiError> {
    auth.require(Action::StaffWrite)?;
    let idem = auth.idem(&format!("PUT /staff/{id}"), &input);
    let salt = random_secret(8);
    let r = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            let before = tx
                .get(&tables::STAFF, id)?
                .ok_or_else(|| ApiError::not_found("staff member"))?;
            let after = input
                .clone()
                .into_staff(StaffId(id), Some(&before), salt.clone())?;
            tx.put(&tables::STAFF, id, &after)?;
            let pin_changed = after.pin_hash != before.pin_hash;
            let mut after_view = serde_json::to_value(after.view()).unwrap_or_default();
            after_view["pin_changed"] = pin_changed.into();
            tx.audit("staff.update", "staff", id, before.view(), after_view)?;
            tx.event("staff.updated", id)?;
            Ok(Reply::ok(StatusCode::OK, &after.view()))
        })
        .await;
    // A deactivated staff member is signed out of every device at once.
    if let Ok(reply) = &r
        && reply.body["active"] == false
    {
        s.volatile
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, v| v.staff.id.0 != id);
    }
    Ok(respond(r))
}
