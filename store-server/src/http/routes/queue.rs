//! Check-in, the live queue, the rotation board, balks and the wait-accuracy report
//! (QUE-1..5, CHK-3/4/5/8).

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Path, Query, created};
use crate::ops::customers::kiosk;
use crate::ops::{period, queue};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use salon_shared::api::*;
use salon_shared::{Action, Role, StaffId};

/// The waits for the chosen services: next available and each eligible stylist (CHK-3).
#[utoipa::path(get, path = "/api/v1/check-ins/quote", tag = "queue", params(ServicesParam),
    responses((status = 200, body = QuoteResponse), (status = 422, body = ErrorBody)))]
pub async fn checkin_quote(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<ServicesParam>,
) -> Result<axum::Json<QuoteResponse>, ApiError> {
    auth.require(Action::CheckIn)?;
    let services = queue::parse_services(q.services.as_deref())?;
    Ok(axum::Json(queue::quote(&s.read()?, &s.info, &services)?))
}

/// Check a customer in: into the queue with a ticket and an honest wait (CHK-3/4/5).
#[utoipa::path(post, path = "/api/v1/check-ins", tag = "queue", request_body = CheckInRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = CheckInResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn checkin_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(req): Json<CheckInRequest>,
) -> Result<Created<CheckInResponse>, ApiError> {
    auth.require(Action::CheckIn)?;
    // A kiosk proves who stands at it with their phone number or card: an id alone would
    // let it check in (and greet) any customer of the store.
    if auth.device.role == Role::Kiosk && req.customer.id.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "kiosk_needs_phone_or_card",
            "a kiosk checks a customer in by their phone number or card",
        ));
    }
    let draft = req
        .customer
        .register
        .as_ref()
        .map(|r| kiosk::draft(r, Utc::now()))
        .transpose()?;
    let idem = auth.idem("POST /check-ins", &req);
    let info = s.info.clone();
    let checked_in = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            queue::check_in(tx, &info, &req, draft.as_ref())
        })
        .await?;
    Ok(created(checked_in))
}

/// Today's queue, whole store or one stylist, with masked names (QUE-1/4).
#[utoipa::path(get, path = "/api/v1/queue", tag = "queue", params(QueueQuery), responses((status = 200, body = QueueView)))]
pub async fn queue_get(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<QueueQuery>,
) -> Result<axum::Json<QueueView>, ApiError> {
    auth.require(Action::QueueRead)?;
    Ok(axum::Json(queue::view(&s.read()?, &s.info, &q)?))
}

/// Move a ticket: call, start, finish, no-show or left. Illegal moves are refused (409).
#[utoipa::path(post, path = "/api/v1/queue/{id}/{action}", tag = "queue",
    params(("id" = u64, Path), ("action" = String, Path, description = "call, start, finish, no-show or left")),
    responses((status = 200, body = Ticket), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn queue_move(
    State(s): State<AppState>,
    auth: Auth,
    Path((id, action)): Path<(u64, String)>,
) -> Result<axum::Json<Ticket>, ApiError> {
    auth.require(Action::QueueWork)?;
    let action = queue::parse_action(&action)?;
    let t = s
        .writer
        .write(auth.actor(), None, move |tx| {
            queue::move_ticket(tx, id, action)
        })
        .await?;
    Ok(axum::Json(t))
}

/// Give a waiting ticket to another stylist who can do its services today.
#[utoipa::path(post, path = "/api/v1/queue/{id}/reassign", tag = "queue", params(("id" = u64, Path)), request_body = Reassign,
    responses((status = 200, body = Ticket), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn queue_reassign(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(req): Json<Reassign>,
) -> Result<axum::Json<Ticket>, ApiError> {
    auth.require(Action::QueueManage)?;
    let info = s.info.clone();
    let t = s
        .writer
        .write(auth.actor(), None, move |tx| {
            queue::reassign(tx, &info, id, req.stylist)
        })
        .await?;
    Ok(axum::Json(t))
}

/// Move a waiting ticket to another place in its stylist's line (1 = next).
#[utoipa::path(post, path = "/api/v1/queue/{id}/reorder", tag = "queue", params(("id" = u64, Path)), request_body = Reorder,
    responses((status = 200, body = Ticket), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn queue_reorder(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(req): Json<Reorder>,
) -> Result<axum::Json<Ticket>, ApiError> {
    auth.require(Action::QueueManage)?;
    let info = s.info.clone();
    let t = s
        .writer
        .write(auth.actor(), None, move |tx| {
            queue::reorder(tx, &info, id, req.position)
        })
        .await?;
    Ok(axum::Json(t))
}

/// The rotation board in turn order (for the chosen services, or anyone working today).
#[utoipa::path(get, path = "/api/v1/rotation", tag = "queue", params(ServicesParam), responses((status = 200, body = RotationView)))]
pub async fn rotation_get(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<ServicesParam>,
) -> Result<axum::Json<RotationView>, ApiError> {
    auth.require(Action::QueueRead)?;
    let services = queue::parse_services(q.services.as_deref())?;
    Ok(axum::Json(queue::rotation(&s.read()?, &s.info, &services)?))
}

/// The manager's adjustment of one stylist's place on today's board.
#[utoipa::path(put, path = "/api/v1/rotation/{stylist}", tag = "queue", params(("stylist" = u64, Path)), request_body = Adjustment,
    responses((status = 200, body = Adjustment), (status = 404, body = ErrorBody)))]
pub async fn rotation_adjust(
    State(s): State<AppState>,
    auth: Auth,
    Path(stylist): Path<u64>,
    Json(adj): Json<Adjustment>,
) -> Result<axum::Json<Adjustment>, ApiError> {
    auth.require(Action::ScheduleManage)?;
    let info = s.info.clone();
    let adj = s
        .writer
        .write(auth.actor(), None, move |tx| {
            queue::adjust_rotation(tx, &info, StaffId(stylist), &adj)
        })
        .await?;
    Ok(axum::Json(adj))
}

/// Record a customer who saw the wait and left without joining (CHK-8).
#[utoipa::path(post, path = "/api/v1/balks", tag = "queue", request_body = BalkRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = Balk), (status = 422, body = ErrorBody)))]
pub async fn balk_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(req): Json<BalkRequest>,
) -> Result<Created<Balk>, ApiError> {
    auth.require(Action::CheckIn)?;
    let idem = auth.idem("POST /balks", &req);
    let info = s.info.clone();
    let balk = s
        .writer
        .write(auth.actor(), idem, move |tx| queue::balk(tx, &info, &req))
        .await?;
    Ok(created(balk))
}

/// Quoted against actual waits: mean absolute error and under-quotes by day and stylist,
/// with the balks the quotes caused (QUE-2, CHK-8).
#[utoipa::path(get, path = "/api/v1/reports/waits", tag = "reports", params(PeriodQuery),
    responses((status = 200, body = WaitReport), (status = 400, body = ErrorBody)))]
pub async fn report_waits(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<PeriodQuery>,
) -> Result<axum::Json<WaitReport>, ApiError> {
    auth.require(Action::ReportRead)?;
    let (from, to) = period(&s.info, &q)?;
    // A year of history takes a while to read: off the runtime's threads.
    let r = s.read()?;
    let report = tokio::task::spawn_blocking(move || queue::wait_report(&r, from, to))
        .await
        .map_err(|_| ApiError::internal("the report stopped unexpectedly"))??;
    Ok(axum::Json(report))
}
