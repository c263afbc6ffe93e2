//! The outbox and its notification settings (APT-4), for managers only.

use crate::AppState;
use crate::http::{ApiError, Auth, Json, Path, Query};
use crate::ops::notify::{self, DeliveryState, NotifySettings, OutboxMessage};
use axum::extract::State;
use salon_shared::Action;
use salon_shared::api::ErrorBody;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Only messages with a delivery in this state (`pending`, `sent`, `failed`, …).
    #[param(inline)]
    pub state: Option<DeliveryState>,
    /// Only messages with a smaller id (for paging backwards).
    pub before_id: Option<u64>,
    /// At most 500; default 100.
    pub limit: Option<usize>,
}

/// Queued reminders and notices with their delivery states, newest first.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "notifications", params(OutboxQuery),
    responses((status = 200, body = Vec<OutboxMessage>), (status = 403, body = ErrorBody)))]
pub async fn outbox_list(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<OutboxQuery>,
) -> Result<axum::Json<Vec<OutboxMessage>>, ApiError> {
    auth.require(Action::NotifyManage)?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > 500 {
        return Err(notify::NotifyError::BadQuery("limit must be 1–500").into());
    }
    Ok(axum::Json(notify::list(
        &s.read()?,
        q.state,
        q.before_id,
        limit,
    )?))
}

/// Send a message's failed deliveries again (each gets a fresh set of attempts).
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", tag = "notifications", params(("id" = u64, Path)),
    responses((status = 200, body = OutboxMessage), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "no failed delivery")))]
pub async fn outbox_retry(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<OutboxMessage>, ApiError> {
    auth.require(Action::NotifyManage)?;
    let idem = auth.idem(&format!("POST /outbox/{id}/retry"), &());
    let m = s
        .writer
        .write(auth.actor(), idem, move |tx| notify::retry(tx, id))
        .await?;
    Ok(axum::Json(m))
}

/// The outbound channels and reminder lead time. Passwords and secrets are never returned;
/// `password_set` and `secret_set` tell whether one is stored.
#[utoipa::path(get, path = "/api/v1/settings/notifications", tag = "notifications",
    responses((status = 200, body = NotifySettings), (status = 403, body = ErrorBody)))]
pub async fn notify_settings_get(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<NotifySettings>, ApiError> {
    auth.require(Action::NotifyManage)?;
    Ok(axum::Json(notify::settings(&s.read()?)?.redacted()))
}

/// Replace the notification settings. A channel left out (or null) is off. A password or
/// secret left out keeps the stored one; an empty string removes it.
#[utoipa::path(put, path = "/api/v1/settings/notifications", tag = "notifications", request_body = NotifySettings,
    responses((status = 200, body = NotifySettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn notify_settings_put(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<NotifySettings>,
) -> Result<axum::Json<NotifySettings>, ApiError> {
    auth.require(Action::NotifyManage)?;
    let idem = auth.idem("PUT /settings/notifications", &input);
    let valid = input.validate()?;
    let saved = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            Ok::<_, notify::NotifyError>(notify::save_settings(tx, valid.clone())?.redacted())
        })
        .await?;
    Ok(axum::Json(saved))
}
