//! Rosters and appointments (APT-1..4): weekly templates with exceptions, bookings that never
//! overlap or leave a shift, free slots, no-shows after a grace period, and reminders.

use super::queue::{board, by_day, day_of, parse_services, period};
use super::respond;
use crate::auth::Auth;
use crate::error::{ApiError, Json, Path, Query};
use crate::notify::{self, MessageKind, NewMessage};
use crate::store::{StoreError, meta_get, meta_set, tables};
use crate::writer::{Actor, Reply, Tx};
use crate::{AppState, StoreInfo};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use redb::ReadableDatabase;
use salon_shared::api::*;
use salon_shared::planner::Board;
use salon_shared::schedule::{self, Interval, MAX_APPOINTMENT, MAX_BOOKING_AHEAD_DAYS};
use salon_shared::text::clean_note;
use salon_shared::{Action, ServiceId, StaffId};

/// Slots are offered on this grid.
const SLOT_STEP: Duration = Duration::minutes(15);
const DEFAULT_GRACE_MINUTES: u32 = 15;

/// A staff member's roster (empty when none was set).
#[utoipa::path(get, path = "/api/v1/staff/{id}/roster", tag = "schedule", params(("id" = u64, Path)),
    responses((status = 200, body = Roster), (status = 404, body = ErrorBody)))]
pub async fn roster_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Roster>, ApiError> {
    auth.require(Action::ScheduleRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    tables::STAFF
        .get(&r, id)?
        .ok_or_else(|| ApiError::not_found("staff member"))?;
    Ok(axum::Json(tables::ROSTERS.get(&r, id)?.unwrap_or_default()))
}

/// Set a staff member's weekly template and exceptions (leave, extra hours).
#[utoipa::path(put, path = "/api/v1/staff/{id}/roster", tag = "schedule", params(("id" = u64, Path)), request_body = Roster,
    responses((status = 200, body = Roster), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn roster_put(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(roster): Json<Roster>,
) -> Result<Response, ApiError> {
    auth.require(Action::ScheduleManage)?;
    let roster = roster.validate()?;
    let idem = auth.idem(&format!("PUT /staff/{id}/roster"), &roster);
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                tx.get(&tables::STAFF, id)?
                    .ok_or_else(|| ApiError::not_found("staff member"))?;
                let before = tx.get(&tables::ROSTERS, id)?;
                tx.put(&tables::ROSTERS, id, &roster)?;
                tx.audit("roster.update", "staff", id, &before, &roster)?;
                tx.event("roster.changed", id)?;
                Ok(Reply::ok(StatusCode::OK, &roster))
            })
            .await,
    ))
}

/// The length of `services` from the catalog, checking each is on offer and that the
/// stylist may perform it.
fn length(b: &Board, stylist: StaffId, services: &[ServiceId]) -> Result<Duration, ApiError> {
    if services.is_empty() || services.len() > 10 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "services_invalid",
            "choose 1 to 10 services",
        ));
    }
    let st = b
        .staff
        .iter()
        .find(|s| s.id == stylist)
        .ok_or_else(|| ApiError::not_found("stylist"))?;
    let mut minutes = 0i64;
    for id in services {
        let svc = b.services.get(id).filter(|s| s.active).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "service_unknown",
                format!("service {id} is not on offer"),
            )
        })?;
        minutes += i64::from(svc.duration_min);
    }
    if !b.can_serve(st, services) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "stylist_cannot_perform",
            format!("{} does not perform these services", st.name),
        ));
    }
    let len = Duration::minutes(minutes);
    if len > MAX_APPOINTMENT {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
            "an appointment can last at most 10 hours",
        ));
    }
    Ok(len)
}

/// The stylist's booked time on the appointment's day, without `except`.
fn busy(
    tx: &Tx,
    info: &StoreInfo,
    stylist: StaffId,
    at: DateTime<Utc>,
    except: Option<u64>,
) -> Result<Vec<Interval>, ApiError> {
    let appts = by_day(
        tx.w,
        tables::APPOINTMENTS_BY_DAY,
        &tables::APPOINTMENTS,
        day_of(info, at),
    )?;
    Ok(appts
        .iter()
        .filter(|a| a.stylist_id == stylist && a.holds_time() && Some(a.id) != except)
        .map(|a| a.interval())
        .collect())
}

/// Checks a booking; a conflict answers 409 with the reason and the nearest free starts.
fn place(
    tx: &Tx,
    info: &StoreInfo,
    stylist: StaffId,
    services: &[ServiceId],
    start: DateTime<Utc>,
    except: Option<u64>,
) -> Result<Interval, ApiError> {
    if start < tx.now - Duration::minutes(1) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "in_past",
            "an appointment cannot start in the past",
        ));
    }
    if start > tx.now + Duration::days(MAX_BOOKING_AHEAD_DAYS) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_far",
            "appointments are taken up to a year ahead",
        ));
    }
    let b = board(tx.w, info, tx.now)?;
    let len = length(&b, stylist, services)?;
    let want = Interval::new(start, start + len);
    let shift = tx
        .get(&tables::ROSTERS, stylist.0)?
        .and_then(|r| r.shift_on(day_of(info, start), info.tz));
    let mut busy = busy(tx, info, stylist, start, except)?;
    // The customer in the chair now holds the stylist until their service is expected to end.
    if let Some((started, e)) = b.load(stylist).current {
        let end = (started + salon_shared::estimate::minutes(e.typical))
            .max(tx.now + Duration::minutes(5));
        busy.push(Interval::new(tx.now, end));
    }
    schedule::check_booking(shift, &busy, want).map_err(|c| {
        let free = schedule::free_slots(shift, &busy, len, SLOT_STEP, tx.now);
        let nearest = schedule::nearest(&free, start, 3);
        ApiError::conflict(c.code(), c.message(info.tz))
            .with_details(serde_json::json!({ "nearest_slots": nearest }))
    })?;
    Ok(want)
}

fn index_appointment(
    tx: &mut Tx,
    info: &StoreInfo,
    a: &Appointment,
    old: Option<&Appointment>,
) -> Result<(), ApiError> {
    let w = tx.writing();
    let mut by_day = w
        .open_table(tables::APPOINTMENTS_BY_DAY)
        .map_err(StoreError::from)?;
    if let Some(old) = old {
        by_day
            .remove((day_of(info, old.start).to_string().as_str(), old.id))
            .map_err(StoreError::from)?;
    }
    by_day
        .insert((day_of(info, a.start).to_string().as_str(), a.id), ())
        .map_err(StoreError::from)?;
    w.open_table(tables::APPOINTMENTS_BY_CUSTOMER)
        .map_err(StoreError::from)?
        .insert((a.customer_id.0, a.id), ())
        .map_err(StoreError::from)?;
    Ok(())
}

/// Queues the customer's message about `a` (reminder before it, or a notice now).
fn notify_customer(
    tx: &mut Tx,
    info: &StoreInfo,
    a: &Appointment,
    kind: MessageKind,
) -> Result<(), ApiError> {
    let Some(c) = tx.get(&tables::CUSTOMERS, a.customer_id.0)? else {
        return Ok(());
    };
    let stylist = tx
        .get(&tables::STAFF, a.stylist_id.0)?
        .map(|s| s.name)
        .unwrap_or_default();
    let mut names = Vec::new();
    for id in &a.services {
        if let Some(s) = tx.get(&tables::SERVICES, id.0)? {
            names.push(s.name);
        }
    }
    let when = a
        .start
        .with_timezone(&info.tz)
        .format("%m-%d %H:%M")
        .to_string();
    let (subject, body, due_at) = match kind {
        MessageKind::Reminder => (
            format!("预约提醒 Appointment reminder · {when}"),
            format!(
                "【{}】{}，您预约的 {} 将于 {when} 开始，设计师 {stylist}。\nReminder: {} at {when} with {stylist}.",
                info.store_name,
                c.greeting_name(),
                names.join("、"),
                names.join(", ")
            ),
            a.start - notify::reminder_lead_tx(tx),
        ),
        MessageKind::Changed => (
            format!("预约已更改 Appointment changed · {when}"),
            format!(
                "【{}】{}，您的预约已改为 {when}，设计师 {stylist}。\nYour appointment is now at {when} with {stylist}.",
                info.store_name,
                c.greeting_name()
            ),
            tx.now,
        ),
        MessageKind::Cancelled => (
            format!("预约已取消 Appointment cancelled · {when}"),
            format!(
                "【{}】{}，您 {when} 的预约已取消。\nYour appointment at {when} was cancelled.",
                info.store_name,
                c.greeting_name()
            ),
            tx.now,
        ),
    };
    // A reminder whose time has already passed would only confuse: skip it.
    if kind == MessageKind::Reminder && due_at <= tx.now {
        return Ok(());
    }
    notify::enqueue(
        tx,
        NewMessage {
            kind,
            appointment_id: a.id,
            customer_id: c.id.0,
            to_email: c.email.clone(),
            to_phone: c.phone.as_ref().map(|p| p.to_string()),
            subject,
            body,
            due_at,
        },
    )?;
    Ok(())
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
) -> Result<Response, ApiError> {
    auth.require(Action::AppointmentWrite)?;
    let note = clean_note("note", &req.note, 500)?;
    let idem = auth.idem("POST /appointments", &req);
    let info = s.info.clone();
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                super::customers::active(tx, req.customer_id)?;
                let span = place(tx, &info, req.stylist_id, &req.services, req.start, None)?;
                let a = Appointment {
                    id: tx.next_id("appointment")?,
                    customer_id: req.customer_id,
                    stylist_id: req.stylist_id,
                    services: req.services.clone(),
                    start: span.start,
                    end: span.end,
                    state: AppointmentState::Booked,
                    note: note.clone(),
                    created_at: tx.now,
                    ticket_id: None,
                };
                tx.put(&tables::APPOINTMENTS, a.id, &a)?;
                index_appointment(tx, &info, &a, None)?;
                notify_customer(tx, &info, &a, MessageKind::Reminder)?;
                tx.audit(
                    "appointment.create",
                    "appointment",
                    a.id,
                    serde_json::Value::Null,
                    &a,
                )?;
                tx.audit(
                    "appointment.create",
                    "customer",
                    a.customer_id,
                    serde_json::Value::Null,
                    &a,
                )?;
                tx.event("appointment.created", a.id)?;
                Ok(Reply::ok(StatusCode::CREATED, &a))
            })
            .await,
    ))
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
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let mut out = match (q.day, q.customer) {
        (Some(day), _) => by_day(&r, tables::APPOINTMENTS_BY_DAY, &tables::APPOINTMENTS, day)?,
        (None, Some(c)) => {
            let mut v = Vec::new();
            for id in crate::store::ids_under_id(&r, tables::APPOINTMENTS_BY_CUSTOMER, c)? {
                v.extend(tables::APPOINTMENTS.get(&r, id)?);
            }
            v
        }
        (None, None) => by_day(
            &r,
            tables::APPOINTMENTS_BY_DAY,
            &tables::APPOINTMENTS,
            day_of(&s.info, Utc::now()),
        )?,
    };
    out.retain(|a| {
        q.stylist.is_none_or(|st| a.stylist_id.0 == st)
            && q.customer.is_none_or(|c| a.customer_id.0 == c)
    });
    out.sort_by_key(|a| (a.start, a.id));
    Ok(axum::Json(out))
}

#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "schedule", params(("id" = u64, Path)),
    responses((status = 200, body = Appointment), (status = 404, body = ErrorBody)))]
pub async fn appointment_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Appointment>, ApiError> {
    auth.require(Action::ScheduleRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(
        tables::APPOINTMENTS
            .get(&r, id)?
            .ok_or_else(|| ApiError::not_found("appointment"))?,
    ))
}

fn booked(tx: &Tx, id: u64) -> Result<Appointment, ApiError> {
    let a = tx
        .get(&tables::APPOINTMENTS, id)?
        .ok_or_else(|| ApiError::not_found("appointment"))?;
    if a.state != AppointmentState::Booked {
        return Err(ApiError::conflict(
            "appointment_closed",
            format!("the appointment is {:?}", a.state),
        ));
    }
    Ok(a)
}

/// Move or change an appointment; the customer is told, the reminder follows the new time.
#[utoipa::path(patch, path = "/api/v1/appointments/{id}", tag = "schedule", params(("id" = u64, Path)), request_body = AppointmentPatch,
    responses((status = 200, body = Appointment), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn appointment_update(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(p): Json<AppointmentPatch>,
) -> Result<Response, ApiError> {
    auth.require(Action::AppointmentWrite)?;
    let note = p
        .note
        .as_deref()
        .map(|n| clean_note("note", n, 500))
        .transpose()?;
    let idem = auth.idem(&format!("PATCH /appointments/{id}"), &p);
    let info = s.info.clone();
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let before = booked(tx, id)?;
                let stylist = p.stylist_id.unwrap_or(before.stylist_id);
                let services = p
                    .services
                    .clone()
                    .unwrap_or_else(|| before.services.clone());
                let span = place(
                    tx,
                    &info,
                    stylist,
                    &services,
                    p.start.unwrap_or(before.start),
                    Some(id),
                )?;
                let mut a = before.clone();
                a.stylist_id = stylist;
                a.services = services;
                a.start = span.start;
                a.end = span.end;
                if let Some(n) = &note {
                    a.note = n.clone();
                }
                tx.put(&tables::APPOINTMENTS, id, &a)?;
                index_appointment(tx, &info, &a, Some(&before))?;
                if a.start != before.start || a.stylist_id != before.stylist_id {
                    notify::cancel_pending(tx, id, MessageKind::Reminder)?;
                    notify_customer(tx, &info, &a, MessageKind::Changed)?;
                    notify_customer(tx, &info, &a, MessageKind::Reminder)?;
                }
                tx.audit("appointment.update", "appointment", id, &before, &a)?;
                tx.event("appointment.updated", id)?;
                Ok(Reply::ok(StatusCode::OK, &a))
            })
            .await,
    ))
}

/// Cancel an appointment; the customer is told and the reminder withdrawn.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/cancel", tag = "schedule", params(("id" = u64, Path)),
    responses((status = 200, body = Appointment), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn appointment_cancel(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<Response, ApiError> {
    auth.require(Action::AppointmentWrite)?;
    let idem = auth.idem(&format!("POST /appointments/{id}/cancel"), &());
    let info = s.info.clone();
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let before = booked(tx, id)?;
                let mut a = before.clone();
                a.state = AppointmentState::Cancelled;
                tx.put(&tables::APPOINTMENTS, id, &a)?;
                notify::cancel_pending(tx, id, MessageKind::Reminder)?;
                notify_customer(tx, &info, &a, MessageKind::Cancelled)?;
                tx.audit("appointment.cancel", "appointment", id, &before, &a)?;
                tx.event("appointment.cancelled", id)?;
                Ok(Reply::ok(StatusCode::OK, &a))
            })
            .await,
    ))
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
    let services = parse_services(Some(&q.services))?;
    let now = Utc::now();
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let b = board(&r, &s.info, now)?;
    let today = b.day;
    if q.day < today || (q.day - today).num_days() > MAX_BOOKING_AHEAD_DAYS {
        return Err(ApiError::bad_request(
            "bad_query",
            "day must be from today up to a year ahead",
        ));
    }
    let appts = by_day(
        &r,
        tables::APPOINTMENTS_BY_DAY,
        &tables::APPOINTMENTS,
        q.day,
    )?;
    let mut minutes = 0;
    let mut out = Vec::new();
    for st in b
        .staff
        .iter()
        .filter(|st| q.stylist.is_none_or(|id| st.id.0 == id) && b.can_serve(st, &services))
    {
        let len = length(&b, st.id, &services)?;
        minutes = len.num_minutes() as u32;
        let shift = b
            .rosters
            .get(&st.id)
            .and_then(|r| r.shift_on(q.day, s.info.tz));
        let mut busy: Vec<Interval> = appts
            .iter()
            .filter(|a| a.stylist_id == st.id && a.holds_time())
            .map(|a| a.interval())
            .collect();
        let mut not_before = now;
        if q.day == today {
            // Today the queue comes first: no slot before the stylist could take this job.
            if let Some(free) =
                salon_shared::estimate::free_at(&b.load(st.id), now, b.job(st.id, &services))
            {
                not_before = free;
            }
            busy.retain(|i| i.end > now);
        }
        let slots = schedule::free_slots(shift, &busy, len, SLOT_STEP, not_before);
        out.push(StylistSlots {
            stylist: st.id,
            name: st.name.clone(),
            slots,
        });
    }
    if services.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "services_invalid",
            "choose 1 to 10 services",
        ));
    }
    Ok(axum::Json(Availability {
        day: q.day,
        minutes,
        stylists: out,
    }))
}

fn grace(txn_value: Option<String>) -> u32 {
    txn_value
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_GRACE_MINUTES)
}

#[utoipa::path(get, path = "/api/v1/settings/appointments", tag = "schedule", responses((status = 200, body = AppointmentSettings)))]
pub async fn settings_get(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<AppointmentSettings>, ApiError> {
    auth.require(Action::ScheduleRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(AppointmentSettings {
        grace_minutes: grace(meta_get(&r, "appointment_grace_minutes")?),
    }))
}

/// How late a customer may arrive before the booking counts as a no-show.
#[utoipa::path(put, path = "/api/v1/settings/appointments", tag = "schedule", request_body = AppointmentSettings,
    responses((status = 200, body = AppointmentSettings), (status = 422, body = ErrorBody)))]
pub async fn settings_put(
    State(s): State<AppState>,
    auth: Auth,
    Json(set): Json<AppointmentSettings>,
) -> Result<Response, ApiError> {
    auth.require(Action::ScheduleManage)?;
    if !(0..=240).contains(&set.grace_minutes) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "grace_minutes must be 0–240",
        ));
    }
    Ok(respond(
        s.writer
            .write(auth.actor(), None, move |tx| {
                let before = grace(meta_get(tx.w, "appointment_grace_minutes")?);
                meta_set(
                    tx.writing(),
                    "appointment_grace_minutes",
                    &set.grace_minutes.to_string(),
                )?;
                tx.audit(
                    "settings.appointments",
                    "settings",
                    "appointments",
                    before,
                    set.grace_minutes,
                )?;
                Ok(Reply::ok(StatusCode::OK, &set))
            })
            .await,
    ))
}

/// Marks booked appointments not checked in by their start plus the grace period as
/// no-shows. Runs every half minute while the server runs.
pub async fn sweep_no_shows(s: AppState) {
    let mut stopping = s.stopping.clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
            _ = stopping.changed() => return,
        }
        let info = s.info.clone();
        let r = s
            .writer
            .write(Actor::system("no-show sweep"), None, move |tx| {
                mark_no_shows(tx, &info)
            })
            .await;
        if let Err(e) = r {
            tracing::warn!("no-show sweep: {}", e.message);
        }
    }
}

/// One sweep over yesterday and today; returns how many were marked.
pub fn mark_no_shows(tx: &mut Tx, info: &StoreInfo) -> Result<Reply, ApiError> {
    let grace = Duration::minutes(i64::from(grace(meta_get(
        tx.w,
        "appointment_grace_minutes",
    )?)));
    let today = day_of(info, tx.now);
    let mut marked = 0;
    for day in [today - Duration::days(1), today] {
        for a in by_day(
            tx.w,
            tables::APPOINTMENTS_BY_DAY,
            &tables::APPOINTMENTS,
            day,
        )? {
            if a.state == AppointmentState::Booked && a.start + grace < tx.now {
                let mut after = a.clone();
                after.state = AppointmentState::NoShow;
                tx.put(&tables::APPOINTMENTS, a.id, &after)?;
                tx.audit("appointment.no_show", "appointment", a.id, &a, &after)?;
                tx.event("appointment.no_show", a.id)?;
                marked += 1;
            }
        }
    }
    Ok(Reply {
        status: 200,
        body: marked.into(),
    })
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
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let now = Utc::now();
    let (mut due, mut no_shows) = (0, 0);
    let mut day = from;
    while day <= to {
        for a in by_day(&r, tables::APPOINTMENTS_BY_DAY, &tables::APPOINTMENTS, day)? {
            if a.state != AppointmentState::Cancelled && a.start <= now {
                due += 1;
                no_shows += usize::from(a.state == AppointmentState::NoShow);
            }
        }
        day += Duration::days(1);
    }
    Ok(axum::Json(NoShowReport {
        from,
        to,
        due,
        no_shows,
        rate: if due == 0 {
            0.0
        } else {
            no_shows as f64 / due as f64
        },
    }))
}
