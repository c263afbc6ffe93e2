//! A synthetic store of any size, for benchmarks and load tests: the demo salon's staff and
//! catalog, `customers` customers, and `visits` finished visits spread over `years` years up
//! to yesterday — each a queue ticket, a service record and a paid checkout, some booked
//! ahead, some rated — plus member balances, packages and the coming fortnight's bookings.
//! Written through the server's own storage code (the writer, the tables and the ledger
//! helpers), in large transactions; the same seed gives the same store.
//!
//! The history is an import: it carries no audit entries or events (a store moving from an
//! old system starts its audit log on the day it moves).

use crate::demo;
use crate::ops::money::MoneyError;
use crate::ops::money::ledgers::{self as members, points_entry, post_value, save_wallet, wallet};
use crate::ops::queue::put_ticket;
use crate::store::{Actor, Writer};
use crate::store::{StoreError, link, link_day, tables};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redb::{Database, ReadableDatabase};
use rust_decimal::Decimal;
use salon_shared::api::{CheckoutKind, Effects, Feedback, Visit};
use salon_shared::bill::{self, BillRequest, Item, ItemRef, PayMethod, Tender};
use salon_shared::queue::{Ticket, TicketSource, TicketState, WaitRange};
use salon_shared::schedule::{Appointment, AppointmentState};
use salon_shared::{CheckoutId, CustomerId, Service, Staff, StaffId};

/// How big a store to make.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub customers: usize,
    pub visits: usize,
    pub years: u32,
    pub seed: u64,
}

impl Default for Size {
    /// A busy store after five years (SPEC §4): 100,000 customers, 1,000,000 visits.
    fn default() -> Self {
        Size {
            customers: 100_000,
            visits: 1_000_000,
            years: 5,
            seed: 42,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generated {
    pub customers: usize,
    pub visits: usize,
    pub booked_visits: usize,
    pub ratings: usize,
    pub no_shows: usize,
    pub upcoming_bookings: usize,
    pub members_with_balance: usize,
    pub packages: usize,
}

fn at(tz: FixedOffset, day: NaiveDate, minute: u32) -> DateTime<Utc> {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minute.into());
    tz.from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Why no synthetic store was written.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("a synthetic store is generated only into an empty store")]
    NotEmpty,
    #[error("{0}")]
    Failed(String),
}

impl GenerateError {
    pub fn code(&self) -> &'static str {
        match self {
            GenerateError::NotEmpty => "store_not_empty",
            GenerateError::Failed(_) => "internal",
        }
    }
}

impl From<anyhow::Error> for GenerateError {
    fn from(e: anyhow::Error) -> Self {
        GenerateError::Failed(format!("{e:#}"))
    }
}

impl From<StoreError> for GenerateError {
    fn from(e: StoreError) -> Self {
        GenerateError::Failed(e.to_string())
    }
}

/// Fills an empty store; refuses one that has data.
pub fn generate(
    db: &Database,
    writer: &Writer,
    tz: FixedOffset,
    size: Size,
) -> Result<Generated, GenerateError> {
    if !demo::is_empty(db)? {
        return Err(GenerateError::NotEmpty);
    }
    Ok(fill(db, writer, tz, size)?)
}

/// Writes the synthetic store into an empty one.
fn fill(db: &Database, writer: &Writer, tz: FixedOffset, size: Size) -> anyhow::Result<Generated> {
    demo::add_staff_and_services(writer)?;
    demo::add_customers(writer, size.customers, size.seed)?;
    // Products, the package plan and the coupon; the first 40 customers get the demo's
    // balances, packages and coupons.
    demo::add_money(writer, size.customers)?;
    let mut out = Generated {
        customers: size.customers,
        ..Default::default()
    };
    let r = db.begin_read().map_err(StoreError::from)?;
    let services: Vec<Service> = tables::SERVICES.all(&r)?;
    let staff: Vec<Staff> = tables::STAFF
        .all(&r)?
        .into_iter()
        .filter(|s| s.role == salon_shared::StaffRole::Stylist || !s.skills.is_empty())
        .collect();
    drop(r);
    let can: Vec<Vec<(StaffId, salon_shared::StaffLevel)>> = services
        .iter()
        .map(|svc| {
            staff
                .iter()
                .filter(|s| s.can_perform(svc.category))
                .map(|s| (s.id, s.level))
                .collect()
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(size.seed ^ 0x5a10_0b00);
    let today = Utc::now().with_timezone(&tz).date_naive();
    let days = (i64::from(size.years) * 365).max(1);
    let first = today - Duration::days(days);
    // Saturdays and Sundays are half as busy again as weekdays.
    let weight = |d: NaiveDate| {
        use chrono::Datelike;
        if d.weekday().number_from_monday() >= 6 {
            3u64
        } else {
            2
        }
    };
    let total_weight: u64 = (0..days).map(|i| weight(first + Duration::days(i))).sum();
    let mut per_customer = vec![(0u32, Decimal::ZERO, None::<DateTime<Utc>>); size.customers];
    let (mut cum, mut made) = (0u64, 0usize);
    let mut day = first;
    while day < today {
        // About three weeks per transaction.
        let mut batch = Vec::new();
        while day < today && batch.len() < 21 {
            cum += weight(day);
            let upto = (size.visits as u128 * cum as u128 / total_weight as u128) as usize;
            batch.push((day, upto - made));
            made = upto;
            day += Duration::days(1);
        }
        let mut plans = Vec::new();
        for (day, n) in batch {
            for _ in 0..n {
                // Regulars come often: the low ids of a skewed pick.
                let u: f64 = rng.random();
                let customer = ((u * u * size.customers as f64) as usize).min(size.customers - 1);
                let s = rng.random_range(0..services.len());
                let stylist = can[s]
                    .get(rng.random_range(0..can[s].len().max(1)))
                    .copied();
                let svc = &services[s];
                let start = at(tz, day, rng.random_range(600..1200u32));
                let begun = start + Duration::minutes(rng.random_range(0..40));
                let finished = begun + Duration::minutes(svc.duration_min.into());
                let price = stylist
                    .and_then(|(_, level)| svc.level_prices.get(&level).copied())
                    .unwrap_or(svc.price);
                let bill = bill::price(&BillRequest {
                    items: vec![Item {
                        item: ItemRef::Service {
                            id: svc.id,
                            category: svc.category,
                        },
                        name: svc.name.clone(),
                        unit_price: price,
                        qty: 1,
                    }],
                    packages: Vec::new(),
                    tier: None,
                    coupon: None,
                    points: 0,
                    points_balance: 0,
                    points_rules: Default::default(),
                })?;
                let e = &mut per_customer[customer];
                e.0 += 1;
                e.1 += bill.due.amount();
                e.2 = Some(finished);
                plans.push(Plan {
                    day,
                    customer,
                    service: s,
                    stylist: stylist.map(|s| s.0),
                    start,
                    begun,
                    finished,
                    bill,
                    quoted_low: rng.random_range(0..25u32),
                    booked: rng.random_bool(0.12),
                    no_show: rng.random_bool(0.02),
                    rating: rng.random_bool(0.3).then(|| {
                        let mut score = || 5 - (rng.random_range(0..10u8) / 4).min(2);
                        [score(), score(), score(), score(), score()]
                    }),
                    mobile: rng.random_bool(0.7),
                });
            }
        }
        let services = services.clone();
        writer.write_blocking(Actor::system("synthetic store"), move |tx| {
            for p in &plans {
                let svc = &services[p.service];
                let (start, begun, finished) = (p.start, p.begun, p.finished);
                let id = tx.next_id("ticket")?;
                let appointment = if p.booked {
                    let a = Appointment {
                        id: tx.next_id("appointment")?,
                        customer_id: CustomerId(p.customer as u64 + 1),
                        stylist_id: p.stylist.unwrap_or(StaffId(1)),
                        services: vec![svc.id],
                        start,
                        end: start + Duration::minutes(svc.duration_min.into()),
                        state: AppointmentState::CheckedIn,
                        note: String::new(),
                        created_at: start - Duration::days(2),
                        ticket_id: Some(id),
                    };
                    put_appointment(tx, &a, p.day)?;
                    Some(a.id)
                } else {
                    None
                };
                let number = tx.next_id(&format!(
                    "ticket_no:{}:{}",
                    p.day,
                    if p.booked { 'B' } else { 'A' }
                ))?;
                let ticket = Ticket {
                    id,
                    day: p.day,
                    number: format!("{}{number:03}", if p.booked { 'B' } else { 'A' }),
                    customer_id: CustomerId(p.customer as u64 + 1),
                    services: vec![svc.id],
                    requested: None,
                    stylist: p.stylist,
                    source: appointment
                        .map(|id| TicketSource::Appointment { id })
                        .unwrap_or(TicketSource::WalkIn),
                    state: TicketState::Done,
                    rank: id as i64,
                    created_at: start,
                    called_at: Some(begun),
                    started_at: Some(begun),
                    finished_at: Some(finished),
                    quoted: WaitRange {
                        low: p.quoted_low,
                        high: p.quoted_low + 15,
                    },
                };
                put_ticket(tx, &ticket)?;
                let visit = Visit {
                    ticket_id: id,
                    day: p.day,
                    customer_id: ticket.customer_id,
                    stylist: ticket.stylist,
                    services: ticket.services.clone(),
                    products_used: Vec::new(),
                    formulas: Vec::new(),
                    notes: String::new(),
                    recorded_at: finished,
                    recorded_by: ticket.stylist,
                    photo_consent_at: None,
                    photos: Vec::new(),
                };
                tx.put(&tables::VISITS, id, &visit)?;
                link(tx.w, tables::VISITS_BY_CUSTOMER, visit.customer_id.0, id)?;
                let bill = p.bill.clone();
                let tender = Tender {
                    method: if p.mobile {
                        PayMethod::Mobile
                    } else {
                        PayMethod::Cash
                    },
                    amount: bill.due,
                    reference: p.mobile.then(|| format!("WX{id:010}")),
                };
                let settlement = bill::settle(bill.due, &[tender], Decimal::ZERO)?;
                let co = CheckoutId(tx.next_id("checkout")?);
                let n = tx.next_id(&format!("receipt:{}", p.day))?;
                let checkout = salon_shared::api::Checkout {
                    id: co,
                    number: format!("{}-{n:04}", p.day.format("%Y%m%d")),
                    day: p.day,
                    at: finished,
                    kind: CheckoutKind::Sale {
                        ticket_id: Some(id),
                        stylist: ticket.stylist,
                    },
                    customer_id: Some(ticket.customer_id),
                    customer_name: None,
                    due: bill.due,
                    settlement,
                    effects: Effects {
                        spend: bill.due.amount(),
                        ..Default::default()
                    },
                    bill: Some(bill),
                    staff_id: ticket.stylist,
                    stored_value_after: None,
                    points_after: None,
                };
                tx.put(&tables::CHECKOUTS, co.0, &checkout)?;
                link_day(tx.w, tables::CHECKOUTS_BY_DAY, p.day, co.0)?;
                link(
                    tx.w,
                    tables::CHECKOUTS_BY_CUSTOMER,
                    ticket.customer_id.0,
                    co.0,
                )?;
                tx.w.open_table(tables::CHECKOUT_BY_TICKET)
                    .map_err(StoreError::from)?
                    .insert(id, co.0)
                    .map_err(StoreError::from)?;
                if let Some(s) = p.rating {
                    let f = Feedback {
                        ticket_id: id,
                        day: p.day,
                        customer_id: ticket.customer_id,
                        stylist: ticket.stylist,
                        services: ticket.services.clone(),
                        overall: s[0],
                        service: s[1],
                        stylist_score: s[2],
                        environment: s[3],
                        recommend: (s[4] * 2).min(10),
                        comment: String::new(),
                        at: finished + Duration::minutes(5),
                    };
                    tx.put(&tables::FEEDBACK, id, &f)?;
                    link_day(tx.w, tables::FEEDBACK_BY_DAY, p.day, id)?;
                    link(tx.w, tables::FEEDBACK_BY_CUSTOMER, f.customer_id.0, id)?;
                }
                if p.no_show {
                    let a = Appointment {
                        id: tx.next_id("appointment")?,
                        customer_id: ticket.customer_id,
                        stylist_id: ticket.stylist.unwrap_or(StaffId(1)),
                        services: vec![svc.id],
                        start: start + Duration::minutes(30),
                        end: start + Duration::minutes(30 + i64::from(svc.duration_min)),
                        state: AppointmentState::NoShow,
                        note: String::new(),
                        created_at: start - Duration::days(3),
                        ticket_id: None,
                    };
                    put_appointment(tx, &a, p.day)?;
                }
            }
            Ok::<(), MoneyError>(())
        })?;
    }
    out.visits = per_customer.iter().map(|e| e.0 as usize).sum();
    finish_customers(writer, &per_customer, size.seed, &mut out)?;
    out.upcoming_bookings = upcoming(writer, tz, &staff, &services, size, today)?;
    count_history(db, &mut out)?;
    Ok(out)
}

/// One visit to write.
struct Plan {
    day: NaiveDate,
    customer: usize,
    service: usize,
    stylist: Option<StaffId>,
    start: DateTime<Utc>,
    begun: DateTime<Utc>,
    finished: DateTime<Utc>,
    bill: salon_shared::bill::Bill,
    quoted_low: u32,
    booked: bool,
    no_show: bool,
    rating: Option<[u8; 5]>,
    mobile: bool,
}

fn put_appointment(
    tx: &mut crate::store::Tx,
    a: &Appointment,
    day: NaiveDate,
) -> Result<(), StoreError> {
    tx.put(&tables::APPOINTMENTS, a.id, a)?;
    link_day(tx.w, tables::APPOINTMENTS_BY_DAY, day, a.id)?;
    link(
        tx.w,
        tables::APPOINTMENTS_BY_CUSTOMER,
        a.customer_id.0,
        a.id,
    )?;
    Ok(())
}

/// Each customer's visit count, spend, last visit and the tier it earns; a quarter of them
/// hold stored value and points, one in twenty a package.
fn finish_customers(
    writer: &Writer,
    per_customer: &[(u32, Decimal, Option<DateTime<Utc>>)],
    seed: u64,
    out: &mut Generated,
) -> anyhow::Result<()> {
    use salon_shared::ledger::{Package, PackageReason, PointsReason, ValueReason};
    let mut rng = StdRng::seed_from_u64(seed ^ 0xba1a_4ce5);
    let extras: Vec<(bool, u32, u32, bool)> = per_customer
        .iter()
        .map(|_| {
            (
                rng.random_bool(0.25),
                rng.random_range(1..=20u32) * 50,
                rng.random_range(0..30u32) * 20,
                rng.random_bool(0.05),
            )
        })
        .collect();
    for (chunk_no, chunk) in per_customer.chunks(5_000).enumerate() {
        let chunk = chunk.to_vec();
        let extras = extras[chunk_no * 5_000..][..chunk.len()].to_vec();
        let reply = writer.write_blocking(Actor::system("synthetic store"), move |tx| {
            let set = members::settings(tx.w)?;
            let plan = tables::PACKAGE_PLANS.get_w(tx.w, 1u64)?;
            let (mut balances, mut packages) = (0usize, 0usize);
            for (i, ((visits, spend, last), (holds, value, points, package))) in
                chunk.iter().zip(&extras).enumerate()
            {
                let id = (chunk_no * 5_000 + i + 1) as u64;
                let cid = CustomerId(id);
                let Some(mut c) = tx.get(&tables::CUSTOMERS, id)? else {
                    continue;
                };
                c.visit_count = *visits;
                c.total_spend = *spend;
                c.last_visit_at = *last;
                c.tier = set.tiers.earned(*spend, &Default::default(), 0);
                tx.put(&tables::CUSTOMERS, id, &c)?;
                // The first 40 already hold the demo's balances.
                if id <= 40 {
                    continue;
                }
                if *holds {
                    let mut w = wallet(tx.w, cid)?;
                    post_value(
                        tx,
                        cid,
                        &mut w,
                        ValueReason::TopUp,
                        Decimal::from(*value),
                        None,
                    )?;
                    w.points.earn(u64::from(*points), None);
                    points_entry(tx, cid, &w, PointsReason::Earned, i64::from(*points), None)?;
                    save_wallet(tx, cid, &w)?;
                    balances += 1;
                }
                if let Some(plan) = plan.as_ref().filter(|_| *package) {
                    let mut p = Package {
                        id: salon_shared::PackageId(tx.next_id("package")?),
                        customer_id: cid,
                        plan: plan.id,
                        name: plan.name.clone(),
                        service_id: plan.service_id,
                        uses: plan.uses,
                        remaining: 0,
                        price: plan.price,
                        sold_at: tx.now,
                        expires_on: Some(tx.now.date_naive() + Duration::days(200)),
                        sale: CheckoutId(0),
                        refunded: false,
                    };
                    members::package_entry(
                        tx,
                        &mut p,
                        PackageReason::Bought,
                        i64::from(plan.uses) - (id % 5) as i64,
                        None,
                    )?;
                    link(tx.w, tables::PACKAGES_BY_CUSTOMER, id, p.id.0)?;
                    packages += 1;
                }
            }
            Ok::<_, MoneyError>((balances, packages))
        })?;
        let n: (usize, usize) = reply;
        out.members_with_balance += n.0;
        out.packages += n.1;
    }
    out.members_with_balance += per_customer.len().min(40);
    out.packages += per_customer.len().min(40).div_ceil(2);
    Ok(())
}

/// Bookings for the coming fortnight, within each stylist's shift.
fn upcoming(
    writer: &Writer,
    tz: FixedOffset,
    staff: &[Staff],
    services: &[Service],
    size: Size,
    today: NaiveDate,
) -> anyhow::Result<usize> {
    let mut rng = StdRng::seed_from_u64(size.seed ^ 0x0b00_c1e5);
    let mut wanted = Vec::new();
    for d in 1..=14 {
        let day = today + Duration::days(d);
        for st in staff {
            // Two bookings a working day, at the shift's start plus 1 h and plus 5 h.
            for offset in [60i64, 300] {
                let svc = services[rng.random_range(0..services.len())].clone();
                if st.can_perform(svc.category) {
                    let customer = rng.random_range(1..=size.customers as u64);
                    wanted.push((day, st.id, svc, offset, customer));
                }
            }
        }
    }
    let reply = writer.write_blocking(Actor::system("synthetic store"), move |tx| {
        let mut n = 0usize;
        for (day, stylist, svc, offset, customer) in &wanted {
            let Some(shift) = tx
                .get(&tables::ROSTERS, stylist.0)?
                .and_then(|r| r.shift_on(*day, tz))
            else {
                continue;
            };
            let start = shift.start + Duration::minutes(*offset);
            let a = Appointment {
                id: tx.next_id("appointment")?,
                customer_id: CustomerId(*customer),
                stylist_id: *stylist,
                services: vec![svc.id],
                start,
                end: start + Duration::minutes(svc.duration_min.into()),
                state: AppointmentState::Booked,
                note: String::new(),
                created_at: tx.now,
                ticket_id: None,
            };
            put_appointment(tx, &a, *day)?;
            n += 1;
        }
        Ok::<_, StoreError>(n)
    })?;
    Ok(reply)
}

/// Counts what the history holds, from the store itself.
fn count_history(db: &Database, out: &mut Generated) -> anyhow::Result<()> {
    use redb::{ReadableTable, ReadableTableMetadata};
    let r = db.begin_read().map_err(StoreError::from)?;
    let len = |def| -> Result<usize, StoreError> {
        Ok(r.open_table(def)
            .map_err(StoreError::from)?
            .len()
            .map_err(StoreError::from)? as usize)
    };
    out.ratings = len(tables::FEEDBACK.definition())?;
    let appointments = tables::APPOINTMENTS.definition();
    let t = r.open_table(appointments).map_err(StoreError::from)?;
    let (mut booked, mut no_shows) = (0, 0);
    for item in t.iter().map_err(StoreError::from)? {
        let (_, v) = item.map_err(StoreError::from)?;
        match tables::APPOINTMENTS.decode(v.value())?.state {
            AppointmentState::CheckedIn => booked += 1,
            AppointmentState::NoShow => no_shows += 1,
            _ => {}
        }
    }
    out.booked_visits = booked;
    out.no_shows = no_shows;
    Ok(())
}
