//! Checkout (PAY-1..4): bill preview, payment, refunds, receipts and the daily cash-up.

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Path, Query, created};
use crate::ops::day_of;
use crate::ops::money::checkout;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use salon_shared::api::*;
use salon_shared::bill::Bill;
use salon_shared::{Action, CheckoutId};

/// Prices a bill without paying it: every line as the customer will see it.
#[utoipa::path(post, path = "/api/v1/checkouts/preview", tag = "checkout", request_body = CheckoutInput,
    responses((status = 200, body = Bill), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn checkout_preview(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<CheckoutInput>,
) -> Result<axum::Json<Bill>, ApiError> {
    auth.require(Action::Checkout)?;
    Ok(axum::Json(checkout::preview(&s.read()?, &s.info, &input)?))
}

/// Pays a bill: prices it, takes the payment, and in the same transaction uses packages,
/// redeems the coupon and points, earns points, takes stored value and stock, and counts
/// the spend towards the member's tier. Retried with the same key, it charges once.
#[utoipa::path(post, path = "/api/v1/checkouts", tag = "checkout", request_body = CheckoutInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key: the same key charges once")),
    responses((status = 201, body = Checkout), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn checkout_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<CheckoutInput>,
) -> Result<Created<Checkout>, ApiError> {
    auth.require(Action::Checkout)?;
    let staff = auth.cashier()?;
    let idem = auth.idem("POST /checkouts", &input);
    let info = s.info.clone();
    let co = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            checkout::pay(tx, &info, &input, staff)
        })
        .await?;
    Ok(created(co))
}

/// Refunds a whole checkout: the money goes back by the methods it came in, and every
/// effect is reversed — stock, points (redeemed ones back, earned ones taken back as far as
/// they are left), stored value, package uses, the coupon, and the spend towards the tier.
/// A top-up is refunded only while its stored value is unspent; a package only while unused.
#[utoipa::path(post, path = "/api/v1/checkouts/{id}/refund", tag = "checkout", request_body = RefundInput,
    params(("id" = u64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = Refund), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn checkout_refund(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(input): Json<RefundInput>,
) -> Result<Created<Refund>, ApiError> {
    auth.require(Action::Refund)?;
    let staff = auth.cashier()?;
    let idem = auth.idem(&format!("POST /checkouts/{id}/refund"), &input);
    let reason = salon_shared::text::clean("reason", &input.reason, 1, 200)?;
    let info = s.info.clone();
    let r = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            checkout::refund(tx, &info, CheckoutId(id), &reason, staff)
        })
        .await?;
    Ok(created(r))
}

#[utoipa::path(get, path = "/api/v1/checkouts/{id}", tag = "checkout", params(("id" = u64, Path)),
    responses((status = 200, body = CheckoutView), (status = 404, body = ErrorBody)))]
pub async fn checkout_get(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<CheckoutView>, ApiError> {
    auth.require(Action::Checkout)?;
    Ok(axum::Json(checkout::view(&s.read()?, CheckoutId(id))?))
}

/// The checkouts of a store-local day (default today), in order.
#[utoipa::path(get, path = "/api/v1/checkouts", tag = "checkout", params(DayQuery),
    responses((status = 200, body = Vec<CheckoutView>)))]
pub async fn checkout_list(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<DayQuery>,
) -> Result<axum::Json<Vec<CheckoutView>>, ApiError> {
    auth.require(Action::CashUp)?;
    let day = q.day.unwrap_or_else(|| day_of(&s.info, chrono::Utc::now()));
    Ok(axum::Json(checkout::list(&s.read()?, day)?))
}

/// The receipt as plain text, ready for a receipt printer (PAY-4).
#[utoipa::path(get, path = "/api/v1/checkouts/{id}/receipt", tag = "checkout", params(("id" = u64, Path)),
    responses((status = 200, body = String, content_type = "text/plain"), (status = 404, body = ErrorBody)))]
pub async fn checkout_receipt(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<Response, ApiError> {
    auth.require(Action::Checkout)?;
    let text = checkout::receipt_text(&s.read()?, &s.info, CheckoutId(id))?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// The Z report of a store-local day (default today): takings and refunds per payment
/// method, change given, and what member benefits took off.
#[utoipa::path(get, path = "/api/v1/reports/cash-up", tag = "checkout", params(DayQuery),
    responses((status = 200, body = CashUp), (status = 403, body = ErrorBody)))]
pub async fn cash_up(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<DayQuery>,
) -> Result<axum::Json<CashUp>, ApiError> {
    auth.require(Action::CashUp)?;
    let day = q.day.unwrap_or_else(|| day_of(&s.info, chrono::Utc::now()));
    Ok(axum::Json(checkout::cash_up(&s.read()?, day)?))
}
