//! The kiosk's two customer routes: identify the customer at hand, or register them.
//! A kiosk learns nothing but a greeting, a masked phone and a tier.

use super::customers;
use super::respond;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, Json};
use crate::store::{StoreError, tables};
use crate::writer::Reply;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, Utc};
use redb::ReadableDatabase;
use salon_shared::api::{ErrorBody, KioskCustomer, KioskIdentify, KioskRegister};
use salon_shared::card::CardStatus;
use salon_shared::customer::NewCustomer;
use salon_shared::{Action, CardNo, CustomerId, Phone};

/// Unknown numbers a device may try in the window before it must wait.
const IDENTIFY_MISSES: u32 = 30;

/// Find the customer standing at the kiosk by phone number or card scan.
#[utoipa::path(post, path = "/api/v1/kiosk/identify", tag = "kiosk", request_body = KioskIdentify,
    responses((status = 200, body = KioskCustomer), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn kiosk_identify(
    State(s): State<AppState>,
    auth: Auth,
    Json(q): Json<KioskIdentify>,
) -> Result<axum::Json<KioskCustomer>, ApiError> {
    auth.require(Action::KioskIdentify)?;
    let now = Utc::now();
    let limit_key = format!("identify:{}", auth.device.id);
    s.volatile
        .check_limit(&limit_key, IDENTIFY_MISSES, Duration::minutes(10), now)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let id = match (&q.phone, &q.card) {
        (Some(p), None) => {
            let p = Phone::parse(p)?;
            r.open_table(tables::CUSTOMER_BY_PHONE)
                .map_err(StoreError::from)?
                .get(p.as_str())
                .map_err(StoreError::from)?
                .map(|v| v.value())
        }
        (None, Some(c)) => {
            let c = CardNo::parse(c)?;
            tables::CARDS
                .get(&r, c.as_str())?
                .filter(|c| c.status == CardStatus::Active)
                .map(|c| c.customer_id.0)
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "identify_one",
                "send exactly one of phone or card",
            ));
        }
    };
    let customer = match id {
        Some(id) => tables::CUSTOMERS.get(&r, id)?.filter(|c| c.is_active()),
        None => None,
    };
    match customer {
        Some(c) => Ok(axum::Json(KioskCustomer::from(&c))),
        None => {
            s.volatile.record_failure(&limit_key, now);
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "customer_not_found",
                "no customer with this phone number or card",
            ))
        }
    }
}

/// Register a new customer at the kiosk (consent required).
#[utoipa::path(post, path = "/api/v1/kiosk/register", tag = "kiosk", request_body = KioskRegister,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = KioskCustomer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn kiosk_register(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<KioskRegister>,
) -> Result<Response, ApiError> {
    auth.require(Action::KioskIdentify)?;
    if !input.consent {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "consent_required",
            "registration needs the customer's consent to keep their data",
        ));
    }
    let idem = auth.idem("POST /kiosk/register", &input);
    let draft = NewCustomer::from(input).validate(CustomerId(0), Utc::now())?;
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let c = customers::create(tx, draft.clone())?;
                Ok(Reply::ok(StatusCode::CREATED, &KioskCustomer::from(&c)))
            })
            .await,
    ))
}
