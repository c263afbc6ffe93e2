//! Rosters and appointments (APT-1..4): rosters, bookings, free slots, the no-show grace
//! period and the no-show report.

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Path, Query, created};
use crate::ops::{period, queue, schedule};
use axum::extract::State;
use salon_shared::api::*;
use salon_shared::text::clean_note;
use salon_shared::{Action, StaffId};

/// A staff member's roster (empty when none was set).
#[utoipa::path(get, path = "/api/v1/staff/{id}/roster", tag = "schedule", params(("id" = u64, Path)),
    responses((status = 200, body = Roster), (status = 404, body = ErrorBody)))]
pub async fn roster_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Roster>, ApiError> {
    auth.require(Action::ScheduleRead)?;
    Ok(axum::Json(schedule::roster(&s.read()?, StaffId(id))?))
}

/// Set a staff member's weekly template and exceptions (leave, extra hours).
#[utoipa::path(put, path = "/api/v1/staff/{id}/roster", tag = "schedule", params(("id" = u64, Path)), request_body = Roster,
    responses((status = 200, body = Roster), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn roster_put(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(roster): Json<Roster>,
) -> Result<axum::Json<Roster>, ApiError> {
    auth.require(Action::ScheduleManage)?;
    let roster = roster.validate()?;
    let idem = auth.idem(&format!("PUT /staff/{id}/roster"), &roster);
    let roster = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            schedule::set_roster(tx, StaffId(id), &roster)
        })
        .await?;
    Ok(axum::Json(roster))
}

/// Book an appointment; the end follows from the services. Conflicts answer 409 with the
/// nearest free starts in `error.details.nearest_slots`.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "schedule", request_body = NewAppointment,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = Appointment), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn appointment_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(req): Json<NewAppointment>,
) -> Result<Created<Appointment>, ApiError> {
    auth.require(Action::AppointmentWrite)?;
    let note = clean_note("note", &req.note, 500)?;
    let idem = auth.idem("POST /appointments", &req);
    let info = s.info.clone();
    let a = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            schedule::book(tx, &info, &req, &note)
        })
        .await?;
    Ok(created(a))
}

/// Appointments by day, stylist and/or customer.
#[utoipa::path(get, path = "/api/v1/appointments", tag = "schedule", params(AppointmentQuery),
    responses((status = 200, body = Vec<Appointment>), (status = 400, body = ErrorBody)))]
pub async fn appointment_list(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<AppointmentQuery>,
) -> Result<axum::Json<Vec<Appointment>>, ApiError> {
    auth.require(Action::ScheduleRead)?;
    Ok(axum::Json(schedule::list(&s.read()?, &s.info, &q)?))
}

#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "schedule", params(("id" = u64, Path)),
    responses((status = 200, body = Appointment), (status = 404, body = ErrorBody)))]
pub async fn appointment_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Appointment>, ApiError> {
    auth.require(Action::ScheduleRead)?;
    Ok(axum::Json(schedule::get(&s.read()?, id)?))
}

/// Move or change an appointment; the customer is told, the reminder follows the new time.
#[utoipa::path(patch, path = "/api/v1/appointments/{id}", tag = "schedule", params(("id" = u64, Path)), request_body = AppointmentPatch,
    responses((status = 200, body = Appointment), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn appointment_update(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(p): Json<AppointmentPatch>,
) -> Result<axum::Json<Appointment>, ApiError> {
    auth.require(Action::AppointmentWrite)?;
    let note = p
        .note
        .as_deref()
        .map(|n| clean_note("note", n, 500))
        .transpose()?;
    let idem = auth.idem(&format!("PATCH /appointments/{id}"), &p);
    let info = s.info.clone();
    let a = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            schedule::change(tx, &info, id, &p, note.as_deref())
        })
        .await?;
    Ok(axum::Json(a))
}

/// Cancel an appointment; the customer is told and the reminder withdrawn.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/cancel", tag = "schedule", params(("id" = u64, Path)),
    responses((status = 200, body = Appointment), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn appointment_cancel(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Appointment>, ApiError> {
    auth.require(Action::AppointmentWrite)?;
    let idem = auth.idem(&format!("POST /appointments/{id}/cancel"), &());
    let info = s.info.clone();
    let a = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            schedule::cancel(tx, &info, id)
        })
        .await?;
    Ok(axum::Json(a))
}

/// Free start times for the services on a day, per eligible stylist, from their shift, their
/// appointments and (today) their queue.
#[utoipa::path(get, path = "/api/v1/availability", tag = "schedule", params(AvailabilityQuery),
    responses((status = 200, body = Availability), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn availability(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<AvailabilityQuery>,
) -> Result<axum::Json<Availability>, ApiError> {
    auth.require(Action::ScheduleRead)?;
    let services = queue::parse_services(Some(&q.services))?;
    Ok(axum::Json(schedule::availability(
        &s.read()?,
        &s.info,
        &q,
        &services,
    )?))
}

#[utoipa::path(get, path = "/api/v1/settings/appointments", tag = "schedule", responses((status = 200, body = AppointmentSettings)))]
pub async fn settings_get(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<AppointmentSettings>, ApiError> {
    auth.require(Action::ScheduleRead)?;
    Ok(axum::Json(schedule::settings(&s.read()?)?))
}

/// How late a customer may arrive before the booking counts as a no-show.
#[utoipa::path(put, path = "/api/v1/settings/appointments", tag = "schedule", request_body = AppointmentSettings,
    responses((status = 200, body = AppointmentSettings), (status = 422, body = ErrorBody)))]
pub async fn settings_put(
    State(s): State<AppState>,
    auth: Auth,
    Json(set): Json<AppointmentSettings>,
) -> Result<axum::Json<AppointmentSettings>, ApiError> {
    auth.require(Action::ScheduleManage)?;
    let set = s
        .writer
        .write(auth.actor(), None, move |tx| {
            schedule::save_settings(tx, set.clone())
        })
        .await?;
    Ok(axum::Json(set))
}

/// Appointments due in the period and how many were missed (APT-4).
#[utoipa::path(get, path = "/api/v1/reports/no-shows", tag = "reports", params(PeriodQuery),
    responses((status = 200, body = NoShowReport), (status = 400, body = ErrorBody)))]
pub async fn report_no_shows(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<PeriodQuery>,
) -> Result<axum::Json<NoShowReport>, ApiError> {
    auth.require(Action::ReportRead)?;
    let (from, to) = period(&s.info, &q)?;
    Ok(axum::Json(schedule::no_show_report(&s.read()?, from, to)?))
}
