//! The kiosk's two customer routes: identify the customer at hand, or register them.
//! A kiosk learns nothing but a greeting, a masked phone and a tier — and, on identify,
//! what the customer came for today: their booking to check in against, or a finished visit
//! to rate.

use super::customers;
use super::queue::{by_day, day_of};
use super::respond;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, Json};
use crate::store::{StoreError, tables};
use crate::writer::Reply;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate, Utc};
use redb::{ReadTransaction, ReadableDatabase};
use salon_shared::api::{
    AppointmentState, ErrorBody, KioskAppointment, KioskCustomer, KioskIdentify, KioskRegister,
    KioskVisit, Ticket, TicketState,
};
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
        Some(c) => {
            let today = day_of(&s.info, now);
            let mut k = KioskCustomer::from(&c);
            k.appointment = todays_booking(&r, c.id, today, s.info.tz)?;
            k.to_rate = visit_to_rate(&r, c.id, today)?;
            Ok(axum::Json(k))
        }
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

/// The customer's earliest booking today still waiting for them — the one a check-in
/// would be made against (the same rule as `queue::check_in`).
fn todays_booking(
    r: &ReadTransaction,
    customer: CustomerId,
    today: NaiveDate,
    tz: chrono::FixedOffset,
) -> Result<Option<KioskAppointment>, ApiError> {
    let Some(a) = by_day(r, tables::APPOINTMENTS_BY_DAY, &tables::APPOINTMENTS, today)?
        .into_iter()
        .filter(|a| a.customer_id == customer && a.state == AppointmentState::Booked)
        .min_by_key(|a| a.start)
    else {
        return Ok(None);
    };
    let stylist_name = tables::STAFF
        .get(r, a.stylist_id.0)?
        .map(|s| s.name)
        .unwrap_or_default();
    Ok(Some(KioskAppointment {
        id: a.id,
        start: a.start,
        time: a.start.with_timezone(&tz).format("%H:%M").to_string(),
        stylist_name,
        services: a.services,
    }))
}

/// The customer's most recently finished visit today that they have not rated yet. Reads
/// only today's tickets, so its cost does not grow with the store's history.
fn visit_to_rate(
    r: &ReadTransaction,
    customer: CustomerId,
    today: NaiveDate,
) -> Result<Option<KioskVisit>, ApiError> {
    let mut latest: Option<Ticket> = None;
    for t in by_day(r, tables::TICKETS_BY_DAY, &tables::TICKETS, today)? {
        let later = latest
            .as_ref()
            .is_none_or(|l| (t.finished_at, t.id) > (l.finished_at, l.id));
        if t.customer_id == customer
            && t.state == TicketState::Done
            && later
            && tables::FEEDBACK.get(r, t.id)?.is_none()
        {
            latest = Some(t);
        }
    }
    let Some(t) = latest else {
        return Ok(None);
    };
    let stylist_name = match t.stylist {
        Some(id) => tables::STAFF.get(r, id.0)?.map(|s| s.name),
        None => None,
    };
    Ok(Some(KioskVisit {
        ticket_id: t.id,
        number: t.number,
        stylist_name,
        services: t.services,
    }))
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
