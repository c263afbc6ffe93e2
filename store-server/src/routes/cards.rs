//! Member cards (MEM-2): issue, look up by the scanned number, replace a lost card.
//! Balances belong to the customer, so a replacement keeps them.

use super::customers::active;
use super::respond;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, Json, Path};
use crate::store::{StoreError, tables};
use crate::writer::{Reply, Tx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use redb::ReadableDatabase;
use salon_shared::api::{CardLookup, CustomerSummary, ErrorBody, IssueCard, ReplaceCard};
use salon_shared::card::CardStatus;
use salon_shared::{Action, CardNo, CustomerId, MemberCard};

/// The number for a new card: the one given, or the next free store number.
fn new_number(tx: &mut Tx, given: Option<&CardNo>) -> Result<CardNo, ApiError> {
    if let Some(n) = given {
        if tx.get(&tables::CARDS, n.as_str())?.is_some() {
            return Err(ApiError::conflict(
                "card_taken",
                "this card number is already in use",
            ));
        }
        return Ok(n.clone());
    }
    loop {
        let n = CardNo::parse(&format!("88{:08}", tx.next_id("card")?))?;
        if tx.get(&tables::CARDS, n.as_str())?.is_none() {
            return Ok(n);
        }
    }
}

fn put_card(tx: &mut Tx, card: &MemberCard) -> Result<(), ApiError> {
    tx.put(&tables::CARDS, card.number.as_str(), card)?;
    tx.w.open_table(tables::CARDS_BY_CUSTOMER)
        .map_err(StoreError::from)?
        .insert((card.customer_id.0, card.number.as_str()), ())
        .map_err(StoreError::from)?;
    Ok(())
}

/// Issue a member card to a customer who has none in use.
#[utoipa::path(post, path = "/api/v1/cards", tag = "cards", request_body = IssueCard,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = MemberCard), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn card_issue(
    State(s): State<AppState>,
    auth: Auth,
    Json(req): Json<IssueCard>,
) -> Result<Response, ApiError> {
    auth.require(Action::CardWrite)?;
    let given = req.number.as_deref().map(CardNo::parse).transpose()?;
    let idem = auth.idem("POST /cards", &req);
    let customer_id: CustomerId = req.customer_id;
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let before = active(tx, customer_id)?;
                if before.card.is_some() {
                    return Err(ApiError::conflict(
                        "card_exists",
                        "this customer already has a card: replace it instead",
                    ));
                }
                let number = new_number(tx, given.as_ref())?;
                let card = MemberCard {
                    number: number.clone(),
                    customer_id,
                    issued_at: tx.now,
                    status: CardStatus::Active,
                };
                put_card(tx, &card)?;
                let mut after = before.clone();
                after.card = Some(number.clone());
                tx.put(&tables::CUSTOMERS, customer_id.0, &after)?;
                tx.audit(
                    "card.issue",
                    "customer",
                    customer_id,
                    &before.card,
                    &after.card,
                )?;
                tx.event("card.issued", number)?;
                Ok(Reply::ok(StatusCode::CREATED, &card))
            })
            .await,
    ))
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
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let card = tables::CARDS
        .get(&r, number.as_str())?
        .ok_or_else(|| ApiError::not_found("card"))?;
    let customer = tables::CUSTOMERS
        .get(&r, card.customer_id.0)?
        .filter(|c| c.is_active())
        .ok_or_else(|| ApiError::not_found("card holder"))?;
    Ok(axum::Json(CardLookup {
        card,
        customer: CustomerSummary::from(&customer),
    }))
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
) -> Result<Response, ApiError> {
    auth.require(Action::CardWrite)?;
    let old_no = CardNo::parse(&number)?;
    let given = req.number.as_deref().map(CardNo::parse).transpose()?;
    let idem = auth.idem(&format!("POST /cards/{old_no}/replace"), &req);
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let old = tx
                    .get(&tables::CARDS, old_no.as_str())?
                    .ok_or_else(|| ApiError::not_found("card"))?;
                if old.status != CardStatus::Active {
                    return Err(ApiError::conflict(
                        "card_replaced",
                        "this card was already replaced",
                    ));
                }
                let before = active(tx, old.customer_id)?;
                let number = new_number(tx, given.as_ref())?;
                let card = MemberCard {
                    number: number.clone(),
                    customer_id: old.customer_id,
                    issued_at: tx.now,
                    status: CardStatus::Active,
                };
                let retired = MemberCard {
                    status: CardStatus::Replaced {
                        by: number.clone(),
                        at: tx.now,
                    },
                    ..old.clone()
                };
                tx.put(&tables::CARDS, old_no.as_str(), &retired)?;
                put_card(tx, &card)?;
                let mut after = before.clone();
                after.card = Some(number.clone());
                tx.put(&tables::CUSTOMERS, before.id.0, &after)?;
                tx.audit("card.replace", "customer", before.id, &old, &card)?;
                tx.event("card.replaced", number)?;
                Ok(Reply::ok(StatusCode::CREATED, &card))
            })
            .await,
    ))
}
