//! Check-in, the live queue, the rotation board, balks and the wait-accuracy report
//! (QUE-1..5, CHK-3/4/5/8). The rules live in `salon_shared::planner`; this module loads
//! today's state, applies a move in one transaction and publishes it.

use super::customers::{self, CustomerError};
use super::{Kind, OpError, day_of};
use crate::StoreInfo;
use crate::store::{StoreError, Tx, Txn, by_day, tables};
use chrono::{DateTime, NaiveDate, Utc};
use redb::{ReadTransaction, ReadableTable};
use salon_shared::api::*;
use salon_shared::estimate;
use salon_shared::planner::Board;
use salon_shared::{Customer, DomainError, ServiceId, StaffId};
use std::collections::{BTreeMap, HashMap};

/// Why a queue operation refused.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("{0}")]
    BadQuery(&'static str),
    #[error("choose 1 to 10 services")]
    ServicesInvalid,
    #[error("service {0} is not on offer")]
    ServiceUnknown(ServiceId),
    #[error("already in the queue today as {0}")]
    AlreadyCheckedIn(String),
    #[error("{0}")]
    StylistUnavailable(&'static str),
    #[error("no stylist can take these services today")]
    NoStylistAvailable,
    #[error("no such queue action: use call, start, finish, no-show or left")]
    NoSuchAction,
    #[error("ticket not found")]
    TicketNotFound,
    #[error("{0}")]
    IllegalMove(String),
    #[error("staff member not found")]
    StaffNotFound,
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Customer(#[from] CustomerError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError for QueueError {
    fn kind(&self) -> Kind {
        use QueueError as E;
        match self {
            E::BadQuery(_) => Kind::BadInput,
            E::ServicesInvalid | E::ServiceUnknown(_) | E::Invalid(_) => Kind::Invalid,
            E::AlreadyCheckedIn(_)
            | E::StylistUnavailable(_)
            | E::NoStylistAvailable
            | E::IllegalMove(_) => Kind::Conflict,
            E::NoSuchAction | E::TicketNotFound | E::StaffNotFound => Kind::NotFound,
            E::Customer(e) => e.kind(),
            E::Domain(e) => e.kind(),
            E::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        use QueueError as E;
        match self {
            E::BadQuery(_) => "bad_query",
            E::ServicesInvalid => "services_invalid",
            E::ServiceUnknown(_) => "service_unknown",
            E::AlreadyCheckedIn(_) => "already_checked_in",
            E::StylistUnavailable(_) => "stylist_unavailable",
            E::NoStylistAvailable => "no_stylist_available",
            E::NoSuchAction | E::TicketNotFound | E::StaffNotFound => "not_found",
            E::IllegalMove(_) => "illegal_move",
            E::Invalid(_) => "invalid",
            E::Customer(e) => e.code(),
            E::Domain(e) => e.code(),
            E::Store(e) => e.code(),
        }
    }
    fn details(&self) -> Option<serde_json::Value> {
        match self {
            QueueError::AlreadyCheckedIn(number) => Some(serde_json::json!({ "ticket": number })),
            QueueError::Customer(e) => e.details(),
            _ => None,
        }
    }
}

/// Today's board: staff, rosters, catalog, tickets, appointments, learned times, adjustments.
pub fn board(txn: &impl Txn, info: &StoreInfo, now: DateTime<Utc>) -> Result<Board, StoreError> {
    let day = day_of(info, now);
    let staff = tables::STAFF.all_in(txn)?;
    let mut rosters = HashMap::new();
    let mut adjustments = HashMap::new();
    let mut walk_ins = HashMap::new();
    let key = day.to_string();
    for s in &staff {
        if let Some(r) = tables::ROSTERS.get_in(txn, s.id.0)? {
            rosters.insert(s.id, r);
        }
        if let Some(a) = tables::ROTATION.get_in(txn, (key.as_str(), s.id.0))? {
            adjustments.insert(s.id, a);
        }
        if let Some(w) = tables::WALK_INS.get_in(txn, (key.as_str(), s.id.0))? {
            walk_ins.insert(s.id, w);
        }
    }
    let services = tables::SERVICES
        .all_in(txn)?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut samples = HashMap::new();
    let t = txn.open(tables::SERVICE_TIMES.definition())?;
    for item in t.iter()? {
        let (k, v) = item?;
        let (stylist, service) = k.value();
        samples.insert(
            (StaffId(stylist), ServiceId(service)),
            tables::SERVICE_TIMES.decode(v.value())?,
        );
    }
    Ok(Board {
        now,
        day,
        tz: Some(info.tz),
        staff,
        rosters,
        services,
        // Only open tickets: a check-in reads a handful, not the whole day's.
        tickets: by_day(txn, tables::TICKETS_OPEN, &tables::TICKETS, day)?,
        walk_ins: Some(walk_ins),
        appointments: by_day(txn, tables::APPOINTMENTS_BY_DAY, &tables::APPOINTMENTS, day)?,
        samples,
        adjustments,
    })
}

fn staff_name(b: &Board, id: Option<StaffId>) -> Option<String> {
    let id = id?;
    b.staff.iter().find(|s| s.id == id).map(|s| s.name.clone())
}

/// 1 = next in line for the ticket's stylist; 0 once called or later.
fn position(b: &Board, t: &Ticket) -> u32 {
    if t.state != TicketState::Waiting {
        return 0;
    }
    let ahead = b.tickets.iter().filter(|o| {
        o.id != t.id
            && o.stylist == t.stylist
            && o.state == TicketState::Waiting
            && (o.rank, o.id) < (t.rank, t.id)
    });
    ahead.count() as u32 + 1
}

/// Parses `1,4,7` into service ids.
pub fn parse_services(s: Option<&str>) -> Result<Vec<ServiceId>, QueueError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(Vec::new());
    };
    let ids: Result<Vec<ServiceId>, _> = s
        .split(',')
        .map(|p| p.trim().parse::<u64>().map(ServiceId))
        .collect();
    let ids = ids.map_err(|_| QueueError::BadQuery("services must be comma-separated ids"))?;
    if ids.len() > 10 {
        return Err(QueueError::BadQuery("at most 10 services"));
    }
    Ok(ids)
}

/// Checks the services exist and are on sale.
pub fn check_services(b: &Board, ids: &[ServiceId]) -> Result<(), QueueError> {
    if ids.is_empty() || ids.len() > 10 {
        return Err(QueueError::ServicesInvalid);
    }
    for id in ids {
        if !b.services.get(id).is_some_and(|s| s.active) {
            return Err(QueueError::ServiceUnknown(*id));
        }
    }
    Ok(())
}

fn stylist_quote(b: &Board, q: &salon_shared::planner::StylistWait) -> Option<StylistQuote> {
    let s = b.staff.iter().find(|s| s.id == q.stylist)?;
    Some(StylistQuote {
        stylist: s.id,
        name: s.name.clone(),
        level: s.level,
        wait: q.wait,
    })
}

/// The waits for the chosen services: next available and each eligible stylist (CHK-3).
pub fn quote(
    r: &ReadTransaction,
    info: &StoreInfo,
    services: &[ServiceId],
) -> Result<QuoteResponse, QueueError> {
    let b = board(r, info, Utc::now())?;
    check_services(&b, services)?;
    Ok(QuoteResponse {
        next_available: b
            .next_available(services)
            .and_then(|w| stylist_quote(&b, &w)),
        stylists: b
            .quotes(services)
            .iter()
            .filter_map(|w| stylist_quote(&b, w))
            .collect(),
    })
}

/// Takes the next ticket number of the day: A001 for walk-ins, B001 for appointments.
fn ticket_number(tx: &mut Tx, day: NaiveDate, prefix: char) -> Result<String, StoreError> {
    let n = tx.next_id(&format!("ticket_no:{day}:{prefix}"))?;
    Ok(format!("{prefix}{n:03}"))
}

/// Stores a ticket and keeps the day index and the open-ticket index in step with it.
pub fn put_ticket(tx: &mut Tx, t: &Ticket) -> Result<(), StoreError> {
    tx.put(&tables::TICKETS, t.id, t)?;
    crate::store::put_wait_sample(tx.w, t)?;
    let key = t.day.to_string();
    tx.w.open_table(tables::TICKETS_BY_DAY)?
        .insert((key.as_str(), t.id), ())?;
    let mut open = tx.w.open_table(tables::TICKETS_OPEN)?;
    if t.state.is_open() {
        open.insert((key.as_str(), t.id), ())?;
    } else {
        open.remove((key.as_str(), t.id))?;
    }
    Ok(())
}

/// Counts a walk-in who asked for nobody on `stylist`'s tally (`by` = +1 or −1).
fn tally(tx: &mut Tx, t: &Ticket, stylist: Option<StaffId>, by: i32) -> Result<(), StoreError> {
    let Some(stylist) =
        stylist.filter(|_| t.requested.is_none() && t.source == TicketSource::WalkIn)
    else {
        return Ok(());
    };
    let key = (t.day.to_string(), stylist.0);
    let mut w = tx
        .get(&tables::WALK_INS, (key.0.as_str(), key.1))?
        .unwrap_or_default();
    w.count = w.count.saturating_add_signed(by);
    if by > 0 {
        w.last_at = Some(tx.now);
    }
    tx.put(&tables::WALK_INS, (key.0.as_str(), key.1), &w)?;
    Ok(())
}

/// Checks a customer in: into the queue with a ticket and an honest wait (CHK-3/4/5). A
/// customer booked for today is checked in against the booking; a walk-in gets the stylist
/// they asked for or the rotation's pick. `draft` registers a new customer on the spot.
pub fn check_in(
    tx: &mut Tx,
    info: &StoreInfo,
    req: &CheckInRequest,
    draft: Option<&Customer>,
) -> Result<CheckInResponse, QueueError> {
    let now = tx.now;
    let mut b = board(tx.w, info, now)?;
    let customer = customers::resolve(tx, &req.customer, draft)?;
    if let Some(open) = b
        .tickets
        .iter()
        .find(|t| t.customer_id == customer.id && t.state.is_open())
    {
        return Err(QueueError::AlreadyCheckedIn(open.number.clone()));
    }
    let id = tx.next_id("ticket")?;
    let appointment = b
        .appointments
        .iter()
        .filter(|a| a.customer_id == customer.id && a.state == AppointmentState::Booked)
        .min_by_key(|a| a.start)
        .cloned();
    let (ticket, appointment_id) = match appointment {
        // CHK-4: checked in against today's booking.
        Some(mut a) => {
            // A booked customer who has arrived is next for their stylist (ahead of every
            // walk-in of the day), in the order of their booked times.
            let rank = a.start.timestamp_millis() - 86_400_000;
            let mut t = Ticket {
                id,
                day: b.day,
                number: ticket_number(tx, b.day, 'B')?,
                customer_id: customer.id,
                services: a.services.clone(),
                requested: Some(a.stylist_id),
                stylist: Some(a.stylist_id),
                source: TicketSource::Appointment { id: a.id },
                state: TicketState::Waiting,
                rank,
                created_at: now,
                called_at: None,
                started_at: None,
                finished_at: None,
                quoted: WaitRange { low: 0, high: 5 },
            };
            let before = a.clone();
            a.state = AppointmentState::CheckedIn;
            a.ticket_id = Some(id);
            if let Some(slot) = b.appointments.iter_mut().find(|x| x.id == a.id) {
                *slot = a.clone();
            }
            let until_start = (a.start - now).num_minutes().max(0) as u32;
            let queue_wait = b.wait_of(&t).unwrap_or(WaitRange { low: 0, high: 5 });
            let low = (until_start / 5 * 5).max(queue_wait.low);
            t.quoted = WaitRange {
                low,
                high: queue_wait.high.max(low + 5),
            };
            tx.put(&tables::APPOINTMENTS, a.id, &a)?;
            tx.audit("appointment.check_in", "appointment", a.id, &before, &a)?;
            tx.event("appointment.checked_in", a.id)?;
            (t, Some(a.id))
        }
        None => {
            check_services(&b, &req.services)?;
            let choice = match req.stylist {
                Some(st) => {
                    let wait = b.quote(st, &req.services).ok_or(QueueError::StylistUnavailable(
                        "this stylist cannot take these services today: choose another or next available",
                    ))?;
                    salon_shared::planner::StylistWait { stylist: st, wait }
                }
                None => b
                    .next_available(&req.services)
                    .ok_or(QueueError::NoStylistAvailable)?,
            };
            let t = Ticket {
                id,
                day: b.day,
                number: ticket_number(tx, b.day, 'A')?,
                customer_id: customer.id,
                services: req.services.clone(),
                requested: req.stylist,
                stylist: Some(choice.stylist),
                source: TicketSource::WalkIn,
                state: TicketState::Waiting,
                rank: now.timestamp_millis(),
                created_at: now,
                called_at: None,
                started_at: None,
                finished_at: None,
                quoted: choice.wait,
            };
            (t, None)
        }
    };
    put_ticket(tx, &ticket)?;
    tally(tx, &ticket, ticket.stylist, 1)?;
    tx.audit(
        "ticket.check_in",
        "customer",
        customer.id,
        serde_json::Value::Null,
        &ticket,
    )?;
    tx.event("queue.checked_in", ticket.id)?;
    b.tickets.push(ticket.clone());
    Ok(CheckInResponse {
        position: position(&b, &ticket),
        stylist_name: staff_name(&b, ticket.stylist),
        wait: ticket.quoted,
        customer: KioskCustomer::from(&customer),
        appointment_id,
        ticket,
    })
}

/// Today's queue, whole store or one stylist, with masked names (QUE-1/4).
pub fn view(
    r: &ReadTransaction,
    info: &StoreInfo,
    q: &QueueQuery,
) -> Result<QueueView, QueueError> {
    let b = board(r, info, Utc::now())?;
    // The board holds open tickets; the day's closed ones are read only when asked for.
    let day = if q.include_closed {
        by_day(r, tables::TICKETS_BY_DAY, &tables::TICKETS, b.day)?
    } else {
        b.tickets.clone()
    };
    let mut tickets: Vec<&Ticket> = day
        .iter()
        .filter(|t| {
            (q.include_closed || t.state.is_open())
                && q.stylist.is_none_or(|st| t.stylist == Some(StaffId(st)))
        })
        .collect();
    tickets.sort_by_key(|t| {
        (
            t.state != TicketState::InService,
            t.state != TicketState::Called,
            t.rank,
            t.id,
        )
    });
    let mut entries = Vec::with_capacity(tickets.len());
    for t in tickets {
        let greeting = tables::CUSTOMERS
            .get(r, t.customer_id.0)?
            .map(|c| c.greeting_name())
            .unwrap_or_default();
        let paid = match r
            .open_table(tables::CHECKOUT_BY_TICKET)
            .map_err(StoreError::from)?
            .get(t.id)
            .map_err(StoreError::from)?
        {
            Some(co) => tables::REFUNDS.get(r, co.value())?.is_none(),
            None => false,
        };
        entries.push(QueueEntry {
            position: position(&b, t),
            greeting,
            stylist_name: staff_name(&b, t.stylist),
            paid,
            ticket: t.clone(),
        });
    }
    Ok(QueueView {
        day: b.day,
        waiting: entries
            .iter()
            .filter(|e| e.ticket.state.is_queued())
            .count(),
        in_service: entries
            .iter()
            .filter(|e| e.ticket.state == TicketState::InService)
            .count(),
        entries,
    })
}

/// A queue action as named in a path: `call`, `start`, `finish`, `no-show` or `left`.
pub fn parse_action(s: &str) -> Result<QueueAction, QueueError> {
    QueueAction::ALL
        .into_iter()
        .find(|a| a.as_str() == s || a.as_str().replace('_', "-") == s)
        .ok_or(QueueError::NoSuchAction)
}

/// Splits a finished ticket's minutes over its services by their catalog durations, and
/// keeps them as the stylist's recent times (what the estimate learns from).
fn learn(tx: &mut Tx, t: &Ticket, minutes: i64) -> Result<(), StoreError> {
    let Some(stylist) = t.stylist else {
        return Ok(());
    };
    let mut durations = Vec::new();
    for id in &t.services {
        if let Some(s) = tx.get(&tables::SERVICES, id.0)? {
            durations.push((s.id, f64::from(s.duration_min)));
        }
    }
    let total: f64 = durations.iter().map(|d| d.1).sum();
    if total <= 0.0 || minutes <= 0 || minutes > 12 * 60 {
        return Ok(());
    }
    for (id, d) in durations {
        let key = (stylist.0, id.0);
        let mut v = tx.get(&tables::SERVICE_TIMES, key)?.unwrap_or_default();
        estimate::record_sample(&mut v, (minutes as f64 * d / total).round() as u32);
        tx.put(&tables::SERVICE_TIMES, key, &v)?;
    }
    Ok(())
}

/// Moves a ticket: call, start, finish, no-show or left. Illegal moves are refused.
pub fn move_ticket(tx: &mut Tx, id: u64, action: QueueAction) -> Result<Ticket, QueueError> {
    let before = tx
        .get(&tables::TICKETS, id)?
        .ok_or(QueueError::TicketNotFound)?;
    let state = salon_shared::queue::transition(before.state, action)
        .map_err(|e| QueueError::IllegalMove(e.to_string()))?;
    let mut t = before.clone();
    t.state = state;
    match action {
        QueueAction::Call => t.called_at = Some(tx.now),
        QueueAction::Start => t.started_at = Some(tx.now),
        QueueAction::Finish => t.finished_at = Some(tx.now),
        QueueAction::NoShow | QueueAction::Left => {}
    }
    if action == QueueAction::Finish {
        let minutes = t
            .started_at
            .map(|s| (tx.now - s).num_minutes())
            .unwrap_or(0);
        tx.writing();
        learn(tx, &t, minutes)?;
    }
    if let (QueueAction::NoShow, TicketSource::Appointment { id: aid }) = (action, t.source)
        && let Some(mut a) = tx.get(&tables::APPOINTMENTS, aid)?
    {
        a.state = AppointmentState::NoShow;
        tx.put(&tables::APPOINTMENTS, aid, &a)?;
        tx.event("appointment.no_show", aid)?;
    }
    put_ticket(tx, &t)?;
    if action == QueueAction::Left {
        tally(tx, &t, t.stylist, -1)?;
    }
    tx.audit(
        &format!("ticket.{}", action.as_str()),
        "ticket",
        id,
        &before,
        &t,
    )?;
    tx.event("queue.changed", id)?;
    Ok(t)
}

fn queued(tx: &Tx, id: u64) -> Result<Ticket, QueueError> {
    let t = tx
        .get(&tables::TICKETS, id)?
        .ok_or(QueueError::TicketNotFound)?;
    if !t.state.is_queued() {
        return Err(QueueError::IllegalMove(format!(
            "the ticket is {:?}, no longer waiting",
            t.state
        )));
    }
    Ok(t)
}

/// Gives a waiting ticket to another stylist who can do its services today.
pub fn reassign(
    tx: &mut Tx,
    info: &StoreInfo,
    id: u64,
    stylist: StaffId,
) -> Result<Ticket, QueueError> {
    let before = queued(tx, id)?;
    let b = board(tx.w, info, tx.now)?;
    if b.quote(stylist, &before.services).is_none() {
        return Err(QueueError::StylistUnavailable(
            "this stylist cannot take these services today",
        ));
    }
    let mut t = before.clone();
    t.stylist = Some(stylist);
    put_ticket(tx, &t)?;
    tally(tx, &t, before.stylist, -1)?;
    tally(tx, &t, t.stylist, 1)?;
    tx.audit("ticket.reassign", "ticket", id, &before, &t)?;
    tx.event("queue.changed", id)?;
    Ok(t)
}

/// Moves a waiting ticket to another place in its stylist's line (1 = next).
pub fn reorder(
    tx: &mut Tx,
    info: &StoreInfo,
    id: u64,
    position: u32,
) -> Result<Ticket, QueueError> {
    if position == 0 {
        return Err(QueueError::Invalid("position starts at 1"));
    }
    let before = queued(tx, id)?;
    let b = board(tx.w, info, tx.now)?;
    let mut line: Vec<Ticket> = b
        .tickets
        .iter()
        .filter(|t| t.stylist == before.stylist && t.state.is_queued())
        .cloned()
        .collect();
    line.sort_by_key(|t| (t.rank, t.id));
    // The same ranks, handed out in the new order: other stylists' lines are untouched.
    let ranks: Vec<i64> = line.iter().map(|t| t.rank).collect();
    let from = line.iter().position(|t| t.id == id).unwrap_or(0);
    let moving = line.remove(from);
    line.insert((position as usize - 1).min(line.len()), moving);
    let mut moved = before.clone();
    tx.writing();
    for (t, rank) in line.iter_mut().zip(ranks) {
        if t.rank != rank {
            t.rank = rank;
            tx.put(&tables::TICKETS, t.id, t)?;
        }
        if t.id == id {
            moved = t.clone();
        }
    }
    tx.audit("ticket.reorder", "ticket", id, &before, &moved)?;
    tx.event("queue.changed", id)?;
    Ok(moved)
}

/// The rotation board in turn order (for the chosen services, or anyone working today).
pub fn rotation(
    r: &ReadTransaction,
    info: &StoreInfo,
    services: &[ServiceId],
) -> Result<RotationView, QueueError> {
    let b = board(r, info, Utc::now())?;
    let entries = b.rotation(services);
    let order = salon_shared::rotation::order(&entries, b.now);
    let mut lines: Vec<RotationLine> = entries
        .into_iter()
        .map(|e| RotationLine {
            turn: order
                .iter()
                .position(|id| *id == e.stylist)
                .map(|p| p as u32 + 1)
                .unwrap_or(0),
            name: staff_name(&b, Some(e.stylist)).unwrap_or_default(),
            entry: e,
        })
        .collect();
    // Paused stylists (turn 0) are listed last.
    lines.sort_by_key(|l| (l.turn == 0, l.turn));
    Ok(RotationView { entries: lines })
}

/// The manager's adjustment of one stylist's place on today's board.
pub fn adjust_rotation(
    tx: &mut Tx,
    info: &StoreInfo,
    stylist: StaffId,
    adj: &salon_shared::rotation::Adjustment,
) -> Result<salon_shared::rotation::Adjustment, QueueError> {
    if adj.turns.abs() > 50 {
        return Err(QueueError::Invalid("turns must be between -50 and 50"));
    }
    tx.get(&tables::STAFF, stylist.0)?
        .ok_or(QueueError::StaffNotFound)?;
    let day = day_of(info, tx.now).to_string();
    let before = tx.get(&tables::ROTATION, (day.as_str(), stylist.0))?;
    tx.put(&tables::ROTATION, (day.as_str(), stylist.0), adj)?;
    tx.audit("rotation.adjust", "staff", stylist, before, adj)?;
    tx.event("rotation.changed", stylist)?;
    Ok(*adj)
}

/// Records a customer who saw the wait and left without joining (CHK-8).
pub fn balk(tx: &mut Tx, info: &StoreInfo, req: &BalkRequest) -> Result<Balk, QueueError> {
    if req.quoted.low > req.quoted.high || req.quoted.high > 24 * 60 || req.services.len() > 10 {
        return Err(QueueError::Invalid(
            "the quote must be a range within a day, with at most 10 services",
        ));
    }
    let id = tx.next_id("balk")?;
    let day = day_of(info, tx.now);
    let balk = Balk {
        id,
        at: tx.now,
        day,
        quoted: req.quoted,
        stylist: req.stylist,
        services: req.services.clone(),
        customer_id: req.customer_id,
    };
    tx.put(&tables::BALKS, id, &balk)?;
    let key = day.to_string();
    tx.w.open_table(tables::BALKS_BY_DAY)
        .map_err(StoreError::from)?
        .insert((key.as_str(), id), ())
        .map_err(StoreError::from)?;
    tx.audit("balk.create", "balk", id, serde_json::Value::Null, &balk)?;
    tx.event("balk.recorded", id)?;
    Ok(balk)
}

/// Quoted against actual waits: mean absolute error and under-quotes by day and stylist,
/// with the balks the quotes caused (QUE-2, CHK-8). A year of history takes a while to
/// read: call it off the runtime's threads.
pub fn wait_report(
    r: &ReadTransaction,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<WaitReport, StoreError> {
    let names: HashMap<StaffId, String> = tables::STAFF
        .all(r)?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut all = Vec::new();
    let mut by_stylist: BTreeMap<StaffId, Vec<(WaitRange, i64)>> = BTreeMap::new();
    let mut days = Vec::new();
    let (mut balks, mut balk_high) = (0usize, 0f64);
    // A year of a busy store is 200,000 samples: one range of fixed-size rows.
    let mut by_day_samples: BTreeMap<String, Vec<(Option<StaffId>, WaitRange, i64)>> =
        BTreeMap::new();
    let (first, last) = (from.to_string(), to.to_string());
    let t = r.open_table(tables::WAIT_SAMPLES)?;
    for item in t.range((first.as_str(), 0)..=(last.as_str(), u64::MAX))? {
        let (k, v) = item?;
        let (stylist, low, high, waited) = v.value();
        by_day_samples
            .entry(k.value().0.to_string())
            .or_default()
            .push((
                (stylist != 0).then_some(StaffId(stylist)),
                WaitRange { low, high },
                i64::from(waited),
            ));
    }
    for day in from.iter_days().take_while(|d| *d <= to) {
        let samples = by_day_samples.remove(&day.to_string()).unwrap_or_default();
        let day_balks = by_day(r, tables::BALKS_BY_DAY, &tables::BALKS, day)?;
        balks += day_balks.len();
        balk_high += day_balks
            .iter()
            .map(|b| f64::from(b.quoted.high))
            .sum::<f64>();
        for (st, q, a) in &samples {
            all.push((*q, *a));
            if let Some(st) = st {
                by_stylist.entry(*st).or_default().push((*q, *a));
            }
        }
        if !samples.is_empty() || !day_balks.is_empty() {
            days.push(DayAccuracy {
                day,
                accuracy: estimate::accuracy(samples.iter().map(|s| (s.1, s.2))),
                balks: day_balks.len(),
            });
        }
    }
    Ok(WaitReport {
        from,
        to,
        overall: estimate::accuracy(all),
        by_day: days,
        by_stylist: by_stylist
            .into_iter()
            .map(|(st, v)| StylistAccuracy {
                stylist: st,
                name: names.get(&st).cloned().unwrap_or_default(),
                accuracy: estimate::accuracy(v),
            })
            .collect(),
        balks,
        balk_mean_quote_high: if balks == 0 {
            0.0
        } else {
            balk_high / balks as f64
        },
    })
}
