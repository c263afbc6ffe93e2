//! Customers' ratings of their visits (CHK-6, FDB-1): given once a ticket is finished, one
//! per visit, at the kiosk (today's visits only) or on a staff device; listed by period and
//! rolled up for the store, each stylist and each service.

use super::customers::{self, CustomerError};
use super::{Kind, OpError, day_of};
use crate::StoreInfo;
use crate::store::{StoreError, Tx, by_day, ids_under_id, tables};
use chrono::{Duration, NaiveDate};
use redb::ReadTransaction;
use salon_shared::api::{
    CheckInCustomer, Feedback, FeedbackInput, NamedScores, RatingsReport, TicketState,
};
use salon_shared::feedback::{Answers, rollup};
use salon_shared::{CustomerId, DomainError};
use std::collections::BTreeMap;

/// Why a feedback operation refused.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error("no queue ticket with this id")]
    TicketNotFound,
    // The message names neither the visit's day nor its number: at the kiosk, it may well
    // be someone else's.
    #[error("the kiosk rates only today's visits; an older one is rated at the front desk")]
    NotToday,
    #[error("ticket {number} is {state}: only a finished visit can be rated")]
    NotFinished { number: String, state: String },
    #[error("ticket {0} was already rated")]
    AlreadyRated(String),
    #[error("the kiosk rates only the visit of the customer who identified at it")]
    NotYourVisit,
    #[error(transparent)]
    Customer(#[from] CustomerError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError for FeedbackError {
    fn kind(&self) -> Kind {
        use FeedbackError as E;
        match self {
            E::TicketNotFound => Kind::NotFound,
            E::NotToday | E::NotFinished { .. } | E::AlreadyRated(_) => Kind::Conflict,
            E::NotYourVisit => Kind::Forbidden,
            E::Customer(e) => e.kind(),
            E::Domain(e) => e.kind(),
            E::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        use FeedbackError as E;
        match self {
            E::TicketNotFound => "ticket_not_found",
            E::NotToday => "visit_not_today",
            E::NotFinished { .. } => "visit_not_finished",
            E::AlreadyRated(_) => "already_rated",
            E::NotYourVisit => "not_your_visit",
            E::Customer(e) => e.code(),
            E::Domain(e) => e.code(),
            E::Store(e) => e.code(),
        }
    }
}

/// Checks the visit can be rated, then stores the rating with its indexes, audit and event.
/// `from_kiosk`: the caller is the self-service kiosk, which may rate only today's visits.
pub fn rate(
    tx: &mut Tx,
    info: &StoreInfo,
    input: &FeedbackInput,
    from_kiosk: bool,
) -> Result<Feedback, FeedbackError> {
    let ticket = tx
        .get(&tables::TICKETS, input.ticket_id)?
        .ok_or(FeedbackError::TicketNotFound)?;
    // The kiosk is unattended and identify offers it only today's visit, so the kiosk app
    // never sends an older one: an older ticket there is an id from elsewhere, quite
    // possibly someone else's visit. Staff devices may rate older visits (a customer
    // calling back). Checked before anything is written; "today" is the writer's clock in
    // store-local time, as at check-in.
    if from_kiosk && ticket.day != day_of(info, tx.now) {
        return Err(FeedbackError::NotToday);
    }
    if ticket.state != TicketState::Done {
        return Err(FeedbackError::NotFinished {
            number: ticket.number,
            state: format!("{:?}", ticket.state),
        });
    }
    // Read inside the writer's transaction, so two ratings of one visit in the same group
    // commit see each other and the second is refused.
    if tx.get(&tables::FEEDBACK, ticket.id)?.is_some() {
        return Err(FeedbackError::AlreadyRated(ticket.number));
    }
    // Last of the checks, so the answers above stay the same for every caller: the kiosk
    // must name the visit's customer by the phone or card they gave it, or it could read
    // any of today's visits (whose customer and stylist the answer tells).
    if from_kiosk {
        let by = input.by.as_ref().ok_or(FeedbackError::NotYourVisit)?;
        let who = CheckInCustomer {
            phone: by.phone.clone(),
            card: by.card.clone(),
            ..Default::default()
        };
        match customers::resolve(tx, &who, None) {
            Ok(c) if c.id == ticket.customer_id => {}
            Ok(_) => return Err(FeedbackError::NotYourVisit),
            Err(e) if e.kind() == Kind::NotFound => return Err(FeedbackError::NotYourVisit),
            Err(e) => return Err(e.into()),
        }
    }
    let f = Feedback {
        ticket_id: ticket.id,
        // Filed under the visit's day, so a period's ratings match its visits.
        day: ticket.day,
        customer_id: ticket.customer_id,
        stylist: ticket.stylist,
        services: ticket.services.clone(),
        overall: input.overall,
        service: input.service,
        stylist_score: input.stylist,
        environment: input.environment,
        recommend: input.recommend,
        comment: input.comment.clone(),
        at: tx.now,
    };
    tx.put(&tables::FEEDBACK, f.ticket_id, &f)?;
    let day = f.day.to_string();
    tx.w.open_table(tables::FEEDBACK_BY_DAY)
        .map_err(StoreError::from)?
        .insert((day.as_str(), f.ticket_id), ())
        .map_err(StoreError::from)?;
    tx.w.open_table(tables::FEEDBACK_BY_CUSTOMER)
        .map_err(StoreError::from)?
        .insert((f.customer_id.0, f.ticket_id), ())
        .map_err(StoreError::from)?;
    // Filed under the customer, as a check-in is: their history shows it, and erasing them
    // redacts the comment in the audit log too.
    tx.audit(
        "feedback.create",
        "customer",
        f.customer_id,
        serde_json::Value::Null,
        &f,
    )?;
    tx.event("feedback.created", f.ticket_id)?;
    Ok(f)
}

/// Blanks the comments of a customer's ratings when they are erased (CUS-6): a comment is
/// free text and may name them. The scores stay, anonymous like the sales totals.
pub fn forget_comments(tx: &mut Tx, customer: CustomerId) -> Result<(), StoreError> {
    for ticket in ids_under_id(tx.w, tables::FEEDBACK_BY_CUSTOMER, customer.0)? {
        if let Some(mut f) = tx.get(&tables::FEEDBACK, ticket)?
            && !f.comment.is_empty()
        {
            f.comment.clear();
            tx.put(&tables::FEEDBACK, ticket, &f)?;
        }
    }
    Ok(())
}

/// The ratings of the visits from `from` to `to` (store-local days), by day, then ticket.
pub fn list(
    r: &ReadTransaction,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Feedback>, StoreError> {
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        out.extend(by_day(r, tables::FEEDBACK_BY_DAY, &tables::FEEDBACK, day)?);
        day += Duration::days(1);
    }
    Ok(out)
}

/// The period's ratings rolled up for the store, per stylist and per service, with the net
/// promoter score (FDB-1). A visit of several services counts for each of them.
pub fn report(
    r: &ReadTransaction,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<RatingsReport, StoreError> {
    let all = list(r, from, to)?;
    let mut by_stylist: BTreeMap<u64, Vec<Answers>> = BTreeMap::new();
    let mut by_service: BTreeMap<u64, Vec<Answers>> = BTreeMap::new();
    for f in &all {
        if let Some(st) = f.stylist {
            by_stylist.entry(st.0).or_default().push(f.answers());
        }
        for sv in &f.services {
            by_service.entry(sv.0).or_default().push(f.answers());
        }
    }
    let staff = super::staff_names(r)?;
    let services = super::service_names(r)?;
    let named = |m: BTreeMap<u64, Vec<Answers>>, names: &BTreeMap<u64, String>| {
        m.into_iter()
            .map(|(id, a)| NamedScores {
                id,
                name: names.get(&id).cloned().unwrap_or_default(),
                scores: rollup(&a),
            })
            .collect()
    };
    Ok(RatingsReport {
        from,
        to,
        store: rollup(all.iter().map(|f| f.answers()).collect::<Vec<_>>().iter()),
        by_stylist: named(by_stylist, &staff),
        by_service: named(by_service, &services),
    })
}
