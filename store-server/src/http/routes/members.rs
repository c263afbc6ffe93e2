//! Member money (MEM-1..5, CPN-1/2 for one customer): the member rules, top-ups, package
//! plans and sales, coupon definitions and issue, and the customer 360 a stylist opens.

use crate::AppState;
use crate::http::{ApiError, Auth, Created, Json, Path, created};
use crate::ops::money::{ledgers, members};
use axum::extract::State;
use salon_shared::api::*;
use salon_shared::coupon::{CouponDef, CouponDefInput};
use salon_shared::ledger::{PackagePlan, PackagePlanInput};
use salon_shared::{Action, CustomerId};

#[utoipa::path(get, path = "/api/v1/settings/members", tag = "members",
    responses((status = 200, body = MemberSettings)))]
pub async fn member_settings_get(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<MemberSettings>, ApiError> {
    auth.require(Action::ServiceRead)?;
    Ok(axum::Json(ledgers::settings(&s.read()?)?))
}

/// Tier thresholds and benefits, points rules and expiry, top-up bonuses (manager).
#[utoipa::path(put, path = "/api/v1/settings/members", tag = "members", request_body = MemberSettings,
    responses((status = 200, body = MemberSettings), (status = 422, body = ErrorBody)))]
pub async fn member_settings_put(
    State(s): State<AppState>,
    auth: Auth,
    Json(set): Json<MemberSettings>,
) -> Result<axum::Json<MemberSettings>, ApiError> {
    auth.require(Action::SalesManage)?;
    let saved = s
        .writer
        .write(auth.actor(), None, move |tx| {
            members::save_settings(tx, set.clone())
        })
        .await?;
    Ok(axum::Json(saved))
}

/// Stored value paid in by cash or mobile, plus the bonus the store's rules give (MEM-3).
#[utoipa::path(post, path = "/api/v1/customers/{id}/top-ups", tag = "members", request_body = TopUpInput,
    params(("id" = u64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry key: the same key tops up once")),
    responses((status = 201, body = Checkout), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn top_up(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(input): Json<TopUpInput>,
) -> Result<Created<Checkout>, ApiError> {
    auth.require(Action::Checkout)?;
    let staff = auth.cashier()?;
    let idem = auth.idem(&format!("POST /customers/{id}/top-ups"), &input);
    let info = s.info.clone();
    let co = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            members::top_up(tx, &info, CustomerId(id), &input, staff)
        })
        .await?;
    Ok(created(co))
}

#[utoipa::path(post, path = "/api/v1/package-plans", tag = "members", request_body = PackagePlanInput,
    responses((status = 201, body = PackagePlan), (status = 422, body = ErrorBody)))]
pub async fn package_plan_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<PackagePlanInput>,
) -> Result<Created<PackagePlan>, ApiError> {
    auth.require(Action::SalesManage)?;
    let idem = auth.idem("POST /package-plans", &input);
    let plan = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            members::create_plan(tx, &input)
        })
        .await?;
    Ok(created(plan))
}

#[utoipa::path(get, path = "/api/v1/package-plans", tag = "members",
    responses((status = 200, body = Vec<PackagePlan>)))]
pub async fn package_plan_list(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<PackagePlan>>, ApiError> {
    auth.require(Action::ServiceRead)?;
    Ok(axum::Json(members::plans(&s.read()?)?))
}

/// Sells a package (次卡) to a customer; it may be paid from stored value (MEM-5).
#[utoipa::path(post, path = "/api/v1/customers/{id}/packages", tag = "members", request_body = PackageSaleInput,
    params(("id" = u64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = Checkout), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn package_sell(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(input): Json<PackageSaleInput>,
) -> Result<Created<Checkout>, ApiError> {
    auth.require(Action::Checkout)?;
    let staff = auth.cashier()?;
    let idem = auth.idem(&format!("POST /customers/{id}/packages"), &input);
    let info = s.info.clone();
    let co = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            members::sell_package(tx, &info, CustomerId(id), &input, staff)
        })
        .await?;
    Ok(created(co))
}

#[utoipa::path(post, path = "/api/v1/coupon-defs", tag = "members", request_body = CouponDefInput,
    responses((status = 201, body = CouponDef), (status = 422, body = ErrorBody)))]
pub async fn coupon_def_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<CouponDefInput>,
) -> Result<Created<CouponDef>, ApiError> {
    auth.require(Action::SalesManage)?;
    let idem = auth.idem("POST /coupon-defs", &input);
    let def = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            members::create_coupon_def(tx, &input)
        })
        .await?;
    Ok(created(def))
}

#[utoipa::path(get, path = "/api/v1/coupon-defs", tag = "members",
    responses((status = 200, body = Vec<CouponDef>)))]
pub async fn coupon_def_list(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<CouponDef>>, ApiError> {
    auth.require(Action::ServiceRead)?;
    Ok(axum::Json(members::coupon_defs(&s.read()?)?))
}

/// Hands one coupon to one customer, within the definition's per-customer limit (CPN-2).
#[utoipa::path(post, path = "/api/v1/customers/{id}/coupons", tag = "members", request_body = IssueCoupon,
    params(("id" = u64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = CouponView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn coupon_issue(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(input): Json<IssueCoupon>,
) -> Result<Created<CouponView>, ApiError> {
    auth.require(Action::Checkout)?;
    auth.cashier()?;
    let idem = auth.idem(&format!("POST /customers/{id}/coupons"), &input);
    let info = s.info.clone();
    let view = s
        .writer
        .write(auth.actor(), idem, move |tx| {
            members::issue_coupon(tx, &info, CustomerId(id), &input)
        })
        .await?;
    Ok(created(view))
}

/// The customer 360: profile with allergies, tier and its benefits, balances, packages,
/// coupons, recent visits with formulas, and coming appointments.
#[utoipa::path(get, path = "/api/v1/customers/{id}/overview", tag = "members", params(("id" = u64, Path)),
    responses((status = 200, body = CustomerOverview), (status = 404, body = ErrorBody)))]
pub async fn customer_overview(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<CustomerOverview>, ApiError> {
    auth.require(Action::CustomerRead)?;
    Ok(axum::Json(members::overview(
        &s.read()?,
        &s.info,
        CustomerId(id),
    )?))
}

/// A customer's stored-value, points and package ledgers, oldest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/ledgers", tag = "members", params(("id" = u64, Path)),
    responses((status = 200, body = Ledgers), (status = 404, body = ErrorBody)))]
pub async fn customer_ledgers(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<axum::Json<Ledgers>, ApiError> {
    auth.require(Action::CustomerRead)?;
    Ok(axum::Json(members::ledgers(&s.read()?, CustomerId(id))?))
}
