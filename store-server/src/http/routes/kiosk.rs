//! The kiosk's two customer routes: identify the customer at hand, or register them.

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, created};
use crate::ops::customers::kiosk;
use axum::extract::State;
use chrono::Utc;
use salon_shared::Action;
use salon_shared::api::{ErrorBody, KioskCustomer, KioskIdentify, KioskRegister};

/// Find the customer standing at the kiosk by phone number or card scan.
#[utoipa::path(post, path = "/api/v1/kiosk/identify", tag = "kiosk", request_body = KioskIdentify,
    responses((status = 200, body = KioskCustomer), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn kiosk_identify(
    State(s): State<AppState>,
    auth: Auth,
    Json(q): Json<KioskIdentify>,
) -> Result<axum::Json<KioskCustomer>, ApiError> {
    auth.require(Action::KioskIdentify)?;
    Ok(axum::Json(kiosk::identify(&s, auth.device.id, &q)?))
}

/// Register a new customer at the kiosk (consent required).
#[utoipa::path(post, path = "/api/v1/kiosk/register", tag = "kiosk", request_body = KioskRegister,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = KioskCustomer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn kiosk_register(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<KioskRegister>,
) -> Result<Created<KioskCustomer>, ApiError> {
    auth.require(Action::KioskIdentify)?;
    let draft = kiosk::draft(&input, Utc::now())?;
    let idem = auth.idem("POST /kiosk/register", &input);
    let k = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            kiosk::register(tx, draft.clone())
        })
        .await?;
    Ok(created(k))
}
