//! What the self-service kiosk may learn and do: identify the customer at hand by phone or
//! card, or register them. A kiosk learns nothing but a greeting, a masked phone and a tier
//! — and, on identify, what the customer came for today: their booking to check in
//! against, or a finished visit to rate.

use super::CustomerError;
use crate::ops::day_of;
use crate::store::{StoreError, Tx, by_day, tables};
use crate::{AppState, StoreInfo};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use redb::ReadTransaction;
use salon_shared::api::{
    AppointmentState, KioskAppointment, KioskCustomer, KioskIdentify, KioskRegister, Ticket,
    TicketState,
};
use salon_shared::card::CardStatus;
use salon_shared::customer::NewCustomer;
use salon_shared::{CardNo, Customer, CustomerId, DeviceId, Phone};

/// Unknown numbers a device may try in the window before it must wait.
const IDENTIFY_MISSES: u32 = 30;

/// Finds the customer standing at kiosk `device` by phone number or card scan. A kiosk
/// that tries too many unknown numbers must wait (it could otherwise list the customers).
pub fn identify(
    s: &AppState,
    device: DeviceId,
    q: &KioskIdentify,
) -> Result<KioskCustomer, CustomerError> {
    let now = Utc::now();
    let limit_key = format!("identify:{device}");
    s.volatile
        .check_limit(&limit_key, IDENTIFY_MISSES, Duration::minutes(10), now)?;
    let r = s.read()?;
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
            return Err(CustomerError::IdentifyOne(
                "send exactly one of phone or card",
            ));
        }
    };
    let customer = match id {
        Some(id) => tables::CUSTOMERS.get(&r, id)?.filter(|c| c.is_active()),
        None => None,
    };
    let Some(c) = customer else {
        s.volatile.record_failure(&limit_key, now);
        return Err(CustomerError::NotIdentified);
    };
    let today = day_of(&s.info, now);
    let mut k = KioskCustomer::from(&c);
    k.appointment = todays_booking(&r, c.id, today, &s.info)?;
    k.to_rate = visit_to_rate(&r, c.id, today)?;
    Ok(k)
}

/// The customer's earliest booking today still waiting for them — the one a check-in
/// would be made against (the same rule as `queue::check_in`).
fn todays_booking(
    r: &ReadTransaction,
    customer: CustomerId,
    today: NaiveDate,
    info: &StoreInfo,
) -> Result<Option<KioskAppointment>, StoreError> {
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
        time: a.start.with_timezone(&info.tz).format("%H:%M").to_string(),
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
) -> Result<Option<salon_shared::api::KioskVisit>, StoreError> {
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
    Ok(Some(salon_shared::api::KioskVisit {
        ticket_id: t.id,
        number: t.number,
        stylist_name,
        services: t.services,
    }))
}

/// A registration made by taps (at the kiosk, or with a check-in) as a validated new
/// customer; refused without the customer's consent.
pub fn draft(input: &KioskRegister, now: DateTime<Utc>) -> Result<Customer, CustomerError> {
    if !input.consent {
        return Err(CustomerError::ConsentRequired);
    }
    Ok(NewCustomer::from(input.clone()).validate(CustomerId(0), now)?)
}

/// Registers a new customer at the kiosk; `draft` comes from [`draft`].
pub fn register(tx: &mut Tx, draft: Customer) -> Result<KioskCustomer, CustomerError> {
    let c = super::create(tx, draft)?;
    Ok(KioskCustomer::from(&c))
}
