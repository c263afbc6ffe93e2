//! Customers' ratings of their visits (CHK-6) and the ratings report (FDB-1).

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Query, created};
use crate::ops::{feedback, period};
use axum::extract::State;
use salon_shared::api::{ErrorBody, Feedback, FeedbackInput, PeriodQuery, RatingsReport};
use salon_shared::{Action, Role};

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
) -> Result<Created<Feedback>, ApiError> {
    auth.require(Action::FeedbackWrite)?;
    let idem = auth.idem("POST /feedback", &input);
    let input = input.validate()?;
    let info = s.info.clone();
    let from_kiosk = auth.device.role == Role::Kiosk;
    let f = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            feedback::rate(tx, &info, &input, from_kiosk)
        })
        .await?;
    Ok(created(f))
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
    Ok(axum::Json(feedback::list(&s.read()?, from, to)?))
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
    Ok(axum::Json(feedback::report(&s.read()?, from, to)?))
}
