//! Customers' ratings of their visits (CHK-6): given once a ticket is finished, one per
//! visit, at the kiosk (today's visits only) or on a staff device; listed by period for the
//! manager.

use super::queue::{by_day, day_of, period};
use super::respond;
use crate::auth::Auth;
use crate::error::{ApiError, Json, Query};
use crate::store::{StoreError, ids_under_id, tables};
use crate::writer::{Reply, Tx};
use crate::{AppState, StoreInfo};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use redb::ReadableDatabase;
use salon_shared::api::{
    CheckInCustomer, ErrorBody, Feedback, FeedbackInput, NamedScores, PeriodQuery, RatingsReport,
    TicketState,
};
use salon_shared::feedback::{Answers, rollup};
use salon_shared::{Action, CustomerId, Role};
use std::collections::BTreeMap;

/// Rate a finished visit: every score 1–5, `recommend` 0–10, an optional comment of at most
/// 500 characters. One rating per visit. A kiosk may rate only a visit of today (store-local
/// day); staff devices may rate older ones.
#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback", request_body = FeedbackInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = Feedback), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn feedback_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<FeedbackInput>,
) -> Result<Response, ApiError> {
    auth.require(Action::FeedbackWrite)?;
    let idem = auth.idem("POST /feedback", &input);
    let input = input.validate()?;
    let info = s.info.clone();
    let from_kiosk = auth.device.role == Role::Kiosk;
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let f = rate(tx, &info, &input, from_kiosk)?;
                Ok(Reply::ok(StatusCode::CREATED, &f))
            })
            .await,
    ))
}

/// Checks the visit can be rated, then stores the rating with its indexes, audit and event.
/// `from_kiosk`: the caller is the self-service kiosk, which may rate only today's visits.
fn rate(
    tx: &mut Tx,
    info: &StoreInfo,
    input: &FeedbackInput,
    from_kiosk: bool,
) -> Result<Feedback, ApiError> {
    let ticket = tx.get(&tables::TICKETS, input.ticket_id)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "ticket_not_found",
            "no queue ticket with this id",
        )
    })?;
    // The kiosk is unattended and identify offers it only today's visit, so the kiosk app
    // never sends an older one: an older ticket there is an id from elsewhere, quite
    // possibly someone else's visit. Staff devices may rate older visits (a customer
    // calling back). Checked before anything is written; "today" is the writer's clock in
    // store-local time, as at check-in.
    if from_kiosk && ticket.day != day_of(info, tx.now) {
        // The message names neither the visit's day nor its number: at the kiosk, it may
        // well be someone else's.
        return Err(ApiError::conflict(
            "visit_not_today",
            "the kiosk rates only today's visits; an older one is rated at the front desk",
        ));
    }
    if ticket.state != TicketState::Done {
        return Err(ApiError::conflict(
            "visit_not_finished",
            format!(
                "ticket {} is {:?}: only a finished visit can be rated",
                ticket.number, ticket.state
            ),
        ));
    }
    // Read inside the writer's transaction, so two ratings of one visit in the same group
    // commit see each other and the second is refused.
    if tx.get(&tables::FEEDBACK, ticket.id)?.is_some() {
        return Err(ApiError::conflict(
            "already_rated",
            format!("ticket {} was already rated", ticket.number),
        ));
    }
    // Last of the checks, so the answers above stay the same for every caller: the kiosk
    // must name the visit's customer by the phone or card they gave it, or it could read
    // any of today's visits (whose customer and stylist the answer tells).
    if from_kiosk {
        let not_yours = || {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "not_your_visit",
                "the kiosk rates only the visit of the customer who identified at it",
            )
        };
        let by = input.by.as_ref().ok_or_else(not_yours)?;
        let who = CheckInCustomer {
            phone: by.phone.clone(),
            card: by.card.clone(),
            ..Default::default()
        };
        match super::queue::resolve_customer(tx, &who, None) {
            Ok(c) if c.id == ticket.customer_id => {}
            Ok(_) => return Err(not_yours()),
            Err(e) if e.status == StatusCode::NOT_FOUND => return Err(not_yours()),
            Err(e) => return Err(e),
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
pub fn forget_comments(tx: &mut Tx, customer: CustomerId) -> Result<(), ApiError> {
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

/// The ratings of the visits in a period of store-local days (default: the last 30 days),
/// by day, then by ticket.
#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback", params(PeriodQuery),
    responses((status = 200, body = Vec<Feedback>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn feedback_list(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<PeriodQuery>,
) -> Result<axum::Json<Vec<Feedback>>, ApiError> {
    auth.require(Action::ReportRead)?;
    let (from, to) = period(&s.info, &q)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        out.extend(by_day(&r, tables::FEEDBACK_BY_DAY, &tables::FEEDBACK, day)?);
        day += Duration::days(1);
    }
    Ok(axum::Json(out))
}

/// The period's ratings (default: the last 30 days) rolled up for the store, per stylist and
/// per service, with the net promoter score (FDB-1). A visit of several services counts for
/// each of them.
#[utoipa::path(get, path = "/api/v1/reports/ratings", tag = "feedback", params(PeriodQuery),
    responses((status = 200, body = RatingsReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn report_ratings(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<PeriodQuery>,
) -> Result<axum::Json<RatingsReport>, ApiError> {
    auth.require(Action::ReportRead)?;
    let (from, to) = period(&s.info, &q)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let mut all = Vec::new();
    let mut day = from;
    while day <= to {
        all.extend(by_day(&r, tables::FEEDBACK_BY_DAY, &tables::FEEDBACK, day)?);
        day += Duration::days(1);
    }
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
    let staff: BTreeMap<u64, String> = tables::STAFF
        .all(&r)?
        .into_iter()
        .map(|s| (s.id.0, s.name))
        .collect();
    let services: BTreeMap<u64, String> = tables::SERVICES
        .all(&r)?
        .into_iter()
        .map(|s| (s.id.0, s.name))
        .collect();
    let named = |m: BTreeMap<u64, Vec<Answers>>, names: &BTreeMap<u64, String>| {
        m.into_iter()
            .map(|(id, a)| NamedScores {
                id,
                name: names.get(&id).cloned().unwrap_or_default(),
                scores: rollup(&a),
            })
            .collect()
    };
    Ok(axum::Json(RatingsReport {
        from,
        to,
        store: rollup(all.iter().map(|f| f.answers()).collect::<Vec<_>>().iter()),
        by_stylist: named(by_stylist, &staff),
        by_service: named(by_service, &services),
    }))
}
