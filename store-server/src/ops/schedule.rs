//! Rosters and appointments (APT-1..4): weekly templates with exceptions, bookings that never
//! overlap or leave a shift, free slots, no-shows after a grace period, and the reminders
//! and notices a booking's changes queue.

use super::customers::{self, CustomerError};
use super::notify::{self, MessageKind, NewMessage, NotifyError};
use super::queue::board;
use super::{Kind, OpError, day_of};
use crate::StoreInfo;
use crate::store::{StoreError, Tx, by_day, ids_under_id, meta_get, meta_set, tables};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use redb::ReadTransaction;
use salon_shared::api::*;
use salon_shared::planner::Board;
use salon_shared::schedule::{self, Interval, MAX_APPOINTMENT, MAX_BOOKING_AHEAD_DAYS};
use salon_shared::{DomainError, ServiceId, StaffId};

/// Slots are offered on this grid.
const SLOT_STEP: Duration = Duration::minutes(15);
const DEFAULT_GRACE_MINUTES: u32 = 15;

/// Why a scheduling operation refused.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("staff member not found")]
    StaffNotFound,
    #[error("stylist not found")]
    StylistNotFound,
    #[error("choose 1 to 10 services")]
    ServicesInvalid,
    #[error("service {0} is not on offer")]
    ServiceUnknown(ServiceId),
    #[error("{0} does not perform these services")]
    CannotPerform(String),
    #[error("an appointment can last at most 10 hours")]
    TooLong,
    #[error("an appointment cannot start in the past")]
    InPast,
    #[error("appointments are taken up to a year ahead")]
    TooFar,
    /// The booking collides with the roster or another booking; `nearest` are the closest
    /// free starts.
    #[error("{message}")]
    Taken {
        code: &'static str,
        message: String,
        nearest: Vec<DateTime<Utc>>,
    },
    #[error("appointment not found")]
    NotFound,
    #[error("the appointment is {0}")]
    Closed(String),
    #[error("{0}")]
    BadQuery(&'static str),
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Customer(#[from] CustomerError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError for ScheduleError {
    fn kind(&self) -> Kind {
        use ScheduleError as E;
        match self {
            E::StaffNotFound | E::StylistNotFound | E::NotFound => Kind::NotFound,
            E::ServicesInvalid
            | E::ServiceUnknown(_)
            | E::CannotPerform(_)
            | E::TooLong
            | E::InPast
            | E::TooFar
            | E::Invalid(_) => Kind::Invalid,
            E::Taken { .. } | E::Closed(_) => Kind::Conflict,
            E::BadQuery(_) => Kind::BadInput,
            E::Customer(e) => e.kind(),
            E::Notify(e) => e.kind(),
            E::Domain(e) => e.kind(),
            E::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        use ScheduleError as E;
        match self {
            E::StaffNotFound | E::StylistNotFound | E::NotFound => "not_found",
            E::ServicesInvalid => "services_invalid",
            E::ServiceUnknown(_) => "service_unknown",
            E::CannotPerform(_) => "stylist_cannot_perform",
            E::TooLong => "too_long",
            E::InPast => "in_past",
            E::TooFar => "too_far",
            E::Taken { code, .. } => code,
            E::Closed(_) => "appointment_closed",
            E::BadQuery(_) => "bad_query",
            E::Invalid(_) => "invalid",
            E::Customer(e) => e.code(),
            E::Notify(e) => e.code(),
            E::Domain(e) => e.code(),
            E::Store(e) => e.code(),
        }
    }
    fn details(&self) -> Option<serde_json::Value> {
        match self {
            ScheduleError::Taken { nearest, .. } => {
                Some(serde_json::json!({ "nearest_slots": nearest }))
            }
            _ => None,
        }
    }
}

/// A staff member's roster (empty when none was set).
pub fn roster(r: &ReadTransaction, id: StaffId) -> Result<Roster, ScheduleError> {
    tables::STAFF
        .get(r, id.0)?
        .ok_or(ScheduleError::StaffNotFound)?;
    Ok(tables::ROSTERS.get(r, id.0)?.unwrap_or_default())
}

/// Sets a staff member's weekly template and exceptions (leave, extra hours).
pub fn set_roster(tx: &mut Tx, id: StaffId, roster: &Roster) -> Result<Roster, ScheduleError> {
    tx.get(&tables::STAFF, id.0)?
        .ok_or(ScheduleError::StaffNotFound)?;
    let before = tx.get(&tables::ROSTERS, id.0)?;
    tx.put(&tables::ROSTERS, id.0, roster)?;
    tx.audit("roster.update", "staff", id, &before, roster)?;
    tx.event("roster.changed", id)?;
    Ok(roster.clone())
}

/// The length of `services` from the catalog, checking each is on offer and that the
/// stylist may perform it.
fn length(b: &Board, stylist: StaffId, services: &[ServiceId]) -> Result<Duration, ScheduleError> {
    if services.is_empty() || services.len() > 10 {
        return Err(ScheduleError::ServicesInvalid);
    }
    let st = b
        .staff
        .iter()
        .find(|s| s.id == stylist)
        .ok_or(ScheduleError::StylistNotFound)?;
    let mut minutes = 0i64;
    for id in services {
        let svc = b
            .services
            .get(id)
            .filter(|s| s.active)
            .ok_or(ScheduleError::ServiceUnknown(*id))?;
        minutes += i64::from(svc.duration_min);
    }
    if !b.can_serve(st, services) {
        return Err(ScheduleError::CannotPerform(st.name.clone()));
    }
    let len = Duration::minutes(minutes);
    if len > MAX_APPOINTMENT {
        return Err(ScheduleError::TooLong);
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
) -> Result<Vec<Interval>, StoreError> {
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
) -> Result<Interval, ScheduleError> {
    if start < tx.now - Duration::minutes(1) {
        return Err(ScheduleError::InPast);
    }
    if start > tx.now + Duration::days(MAX_BOOKING_AHEAD_DAYS) {
        return Err(ScheduleError::TooFar);
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
        ScheduleError::Taken {
            code: c.code(),
            message: c.message(info.tz),
            nearest: schedule::nearest(&free, start, 3),
        }
    })?;
    Ok(want)
}

fn index_appointment(
    tx: &mut Tx,
    info: &StoreInfo,
    a: &Appointment,
    old: Option<&Appointment>,
) -> Result<(), StoreError> {
    let w = tx.writing();
    let mut by_day = w.open_table(tables::APPOINTMENTS_BY_DAY)?;
    if let Some(old) = old {
        by_day.remove((day_of(info, old.start).to_string().as_str(), old.id))?;
    }
    by_day.insert((day_of(info, a.start).to_string().as_str(), a.id), ())?;
    w.open_table(tables::APPOINTMENTS_BY_CUSTOMER)?
        .insert((a.customer_id.0, a.id), ())?;
    Ok(())
}

/// Queues the customer's message about `a` (reminder before it, or a notice now).
fn notify_customer(
    tx: &mut Tx,
    info: &StoreInfo,
    a: &Appointment,
    kind: MessageKind,
) -> Result<(), ScheduleError> {
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

/// Books an appointment; the end follows from the services. Conflicts are refused with the
/// nearest free starts. The customer's reminder is queued with it.
pub fn book(
    tx: &mut Tx,
    info: &StoreInfo,
    req: &NewAppointment,
    note: &str,
) -> Result<Appointment, ScheduleError> {
    customers::active(tx, req.customer_id)?;
    let span = place(tx, info, req.stylist_id, &req.services, req.start, None)?;
    let a = Appointment {
        id: tx.next_id("appointment")?,
        customer_id: req.customer_id,
        stylist_id: req.stylist_id,
        services: req.services.clone(),
        start: span.start,
        end: span.end,
        state: AppointmentState::Booked,
        note: note.to_string(),
        created_at: tx.now,
        ticket_id: None,
    };
    tx.put(&tables::APPOINTMENTS, a.id, &a)?;
    index_appointment(tx, info, &a, None)?;
    notify_customer(tx, info, &a, MessageKind::Reminder)?;
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
    Ok(a)
}

/// Appointments by day, stylist and/or customer (default: today's).
pub fn list(
    r: &ReadTransaction,
    info: &StoreInfo,
    q: &AppointmentQuery,
) -> Result<Vec<Appointment>, StoreError> {
    let mut out = match (q.day, q.customer) {
        (Some(day), _) => by_day(r, tables::APPOINTMENTS_BY_DAY, &tables::APPOINTMENTS, day)?,
        (None, Some(c)) => {
            let mut v = Vec::new();
            for id in ids_under_id(r, tables::APPOINTMENTS_BY_CUSTOMER, c)? {
                v.extend(tables::APPOINTMENTS.get(r, id)?);
            }
            v
        }
        (None, None) => by_day(
            r,
            tables::APPOINTMENTS_BY_DAY,
            &tables::APPOINTMENTS,
            day_of(info, Utc::now()),
        )?,
    };
    out.retain(|a| {
        q.stylist.is_none_or(|st| a.stylist_id.0 == st)
            && q.customer.is_none_or(|c| a.customer_id.0 == c)
    });
    out.sort_by_key(|a| (a.start, a.id));
    Ok(out)
}

pub fn get(r: &ReadTransaction, id: u64) -> Result<Appointment, ScheduleError> {
    tables::APPOINTMENTS
        .get(r, id)?
        .ok_or(ScheduleError::NotFound)
}

fn booked(tx: &Tx, id: u64) -> Result<Appointment, ScheduleError> {
    let a = tx
        .get(&tables::APPOINTMENTS, id)?
        .ok_or(ScheduleError::NotFound)?;
    if a.state != AppointmentState::Booked {
        return Err(ScheduleError::Closed(format!("{:?}", a.state)));
    }
    Ok(a)
}

/// Moves or changes an appointment; the customer is told, the reminder follows the new time.
pub fn change(
    tx: &mut Tx,
    info: &StoreInfo,
    id: u64,
    p: &AppointmentPatch,
    note: Option<&str>,
) -> Result<Appointment, ScheduleError> {
    let before = booked(tx, id)?;
    let stylist = p.stylist_id.unwrap_or(before.stylist_id);
    let services = p
        .services
        .clone()
        .unwrap_or_else(|| before.services.clone());
    let span = place(
        tx,
        info,
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
    if let Some(n) = note {
        a.note = n.to_string();
    }
    tx.put(&tables::APPOINTMENTS, id, &a)?;
    index_appointment(tx, info, &a, Some(&before))?;
    if a.start != before.start || a.stylist_id != before.stylist_id {
        notify::cancel_pending(tx, id, MessageKind::Reminder)?;
        notify_customer(tx, info, &a, MessageKind::Changed)?;
        notify_customer(tx, info, &a, MessageKind::Reminder)?;
    }
    tx.audit("appointment.update", "appointment", id, &before, &a)?;
    tx.event("appointment.updated", id)?;
    Ok(a)
}

/// Cancels an appointment; the customer is told and the reminder withdrawn.
pub fn cancel(tx: &mut Tx, info: &StoreInfo, id: u64) -> Result<Appointment, ScheduleError> {
    let before = booked(tx, id)?;
    let mut a = before.clone();
    a.state = AppointmentState::Cancelled;
    tx.put(&tables::APPOINTMENTS, id, &a)?;
    notify::cancel_pending(tx, id, MessageKind::Reminder)?;
    notify_customer(tx, info, &a, MessageKind::Cancelled)?;
    tx.audit("appointment.cancel", "appointment", id, &before, &a)?;
    tx.event("appointment.cancelled", id)?;
    Ok(a)
}

/// Free start times for the services on a day, per eligible stylist, from their shift,
/// their appointments and (today) their queue.
pub fn availability(
    r: &ReadTransaction,
    info: &StoreInfo,
    q: &AvailabilityQuery,
    services: &[ServiceId],
) -> Result<Availability, ScheduleError> {
    let now = Utc::now();
    let b = board(r, info, now)?;
    let today = b.day;
    if q.day < today || (q.day - today).num_days() > MAX_BOOKING_AHEAD_DAYS {
        return Err(ScheduleError::BadQuery(
            "day must be from today up to a year ahead",
        ));
    }
    let appts = by_day(r, tables::APPOINTMENTS_BY_DAY, &tables::APPOINTMENTS, q.day)?;
    let mut minutes = 0;
    let mut out = Vec::new();
    for st in b
        .staff
        .iter()
        .filter(|st| q.stylist.is_none_or(|id| st.id.0 == id) && b.can_serve(st, services))
    {
        let len = length(&b, st.id, services)?;
        minutes = len.num_minutes() as u32;
        let shift = b
            .rosters
            .get(&st.id)
            .and_then(|r| r.shift_on(q.day, info.tz));
        let mut busy: Vec<Interval> = appts
            .iter()
            .filter(|a| a.stylist_id == st.id && a.holds_time())
            .map(|a| a.interval())
            .collect();
        let mut not_before = now;
        if q.day == today {
            // Today the queue comes first: no slot before the stylist could take this job.
            if let Some(free) =
                salon_shared::estimate::free_at(&b.load(st.id), now, b.job(st.id, services))
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
        return Err(ScheduleError::ServicesInvalid);
    }
    Ok(Availability {
        day: q.day,
        minutes,
        stylists: out,
    })
}

/// The meta key of the grace period in minutes.
const GRACE_KEY: &str = "appointment_grace_minutes";

fn grace(value: Option<String>) -> u32 {
    value
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_GRACE_MINUTES)
}

pub fn settings(r: &ReadTransaction) -> Result<AppointmentSettings, StoreError> {
    Ok(AppointmentSettings {
        grace_minutes: grace(meta_get(r, GRACE_KEY)?),
    })
}

/// Sets how late a customer may arrive before the booking counts as a no-show.
pub fn save_settings(
    tx: &mut Tx,
    set: AppointmentSettings,
) -> Result<AppointmentSettings, ScheduleError> {
    if !(0..=240).contains(&set.grace_minutes) {
        return Err(ScheduleError::Invalid("grace_minutes must be 0–240"));
    }
    let before = grace(meta_get(tx.w, GRACE_KEY)?);
    meta_set(tx.writing(), GRACE_KEY, &set.grace_minutes.to_string())?;
    tx.audit(
        "settings.appointments",
        "settings",
        "appointments",
        before,
        set.grace_minutes,
    )?;
    Ok(set)
}

/// Marks booked appointments of yesterday and today not checked in by their start plus the
/// grace period as no-shows; returns how many were marked. The background sweep runs it
/// every half minute.
pub fn mark_no_shows(tx: &mut Tx, info: &StoreInfo) -> Result<u64, StoreError> {
    let grace = Duration::minutes(i64::from(grace(meta_get(tx.w, GRACE_KEY)?)));
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
    Ok(marked)
}

/// Appointments due from `from` to `to` and how many were missed (APT-4).
pub fn no_show_report(
    r: &ReadTransaction,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<NoShowReport, StoreError> {
    let now = Utc::now();
    let (mut due, mut no_shows) = (0, 0);
    let mut day = from;
    while day <= to {
        for a in by_day(r, tables::APPOINTMENTS_BY_DAY, &tables::APPOINTMENTS, day)? {
            if a.state != AppointmentState::Cancelled && a.start <= now {
                due += 1;
                no_shows += usize::from(a.state == AppointmentState::NoShow);
            }
        }
        day += Duration::days(1);
    }
    Ok(NoShowReport {
        from,
        to,
        due,
        no_shows,
        rate: if due == 0 {
            0.0
        } else {
            no_shows as f64 / due as f64
        },
    })
}
