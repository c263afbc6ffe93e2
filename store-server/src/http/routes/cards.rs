//! Member cards (MEM-2): issue, look up by the scanned number, replace a lost card.

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Path, created};
use crate::ops::customers::cards;
use axum::extract::State;
use salon_shared::api::{CardLookup, ErrorBody, IssueCard, ReplaceCard};
use salon_shared::{Action, CardNo, MemberCard};

/// Issue a member card to a customer who has none in use.
#[utoipa::path(post, path = "/api/v1/cards", tag = "cards", request_body = IssueCard,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = MemberCard), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn card_issue(
    State(s): State<AppState>,
    auth: Auth,
    Json(req): Json<IssueCard>,
) -> Result<Created<MemberCard>, ApiError> {
    auth.require(Action::CardWrite)?;
    let given = req.number.as_deref().map(CardNo::parse).transpose()?;
    let idem = auth.idem("POST /cards", &req);
    let card = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            cards::issue(tx, req.customer_id, given.as_ref())
        })
        .await?;
    Ok(created(card))
}

/// Look up a card by its number (what a scanner reads).
#[utoipa::path(get, path = "/api/v1/cards/{number}", tag = "cards", params(("number" = String, Path)),
    responses((status = 200, body = CardLookup), (status = 404, body = ErrorBody)))]
pub async fn card_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(number): Path<String>,
) -> Result<axum::Json<CardLookup>, ApiError> {
    auth.require(Action::CardRead)?;
    let number = CardNo::parse(&number)?;
    Ok(axum::Json(cards::lookup(&s.read()?, &number)?))
}

/// Replace a lost card: the old number stops working, balances and history stay.
#[utoipa::path(post, path = "/api/v1/cards/{number}/replace", tag = "cards", params(("number" = String, Path)), request_body = ReplaceCard,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = MemberCard), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn card_replace(
    State(s): State<AppState>,
    auth: Auth,
    Path(number): Path<String>,
    Json(req): Json<ReplaceCard>,
) -> Result<Created<MemberCard>, ApiError> {
    auth.require(Action::CardWrite)?;
    let old_no = CardNo::parse(&number)?;
    let given = req.number.as_deref().map(CardNo::parse).transpose()?;
    let idem = auth.idem(&format!("POST /cards/{old_no}/replace"), &req);
    let card = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            cards::replace(tx, &old_no, given.as_ref())
        })
        .await?;
    Ok(created(card))
}
