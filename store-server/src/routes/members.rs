//! Member money (MEM-1..5, CPN-1/2 for one customer): the member rules, each customer's
//! wallet and its ledgers, top-ups, package plans and sales, coupon definitions and issue,
//! and the customer 360 a stylist opens.

use super::checkout::{cashier, record_checkout};
use super::queue::day_of;
use super::respond;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, Json, Path};
use crate::store::{
    StoreError, Txn, ids_under_id, link, meta_get, meta_set, records_under, tables, unlink,
};
use crate::writer::{Reply, Tx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use redb::{ReadableDatabase, ReadableTable};
use rust_decimal::Decimal;
use salon_shared::api::*;
use salon_shared::bill::{PayMethod, settle};
use salon_shared::coupon::{Coupon, CouponDef, CouponDefInput, CouponState};
use salon_shared::ledger::{
    PackageEntry, PackagePlan, PackagePlanInput, PackageReason, PointsEntry, PointsLots,
    PointsReason, ValueEntry, ValueReason, bonus_for, post,
};
use salon_shared::tier::MonthKey;
use salon_shared::{Action, CheckoutId, CouponDefId, CouponId, Customer, CustomerId};
use salon_shared::{PackageId, Tier};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A customer's balances as stored: a cache of their ledgers, written in the same
/// transaction as every entry, and checked against them by `verify_ledgers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    pub stored_value: Decimal,
    pub points: PointsLots,
    /// Spend per month, for the tier rule's "N consecutive months" (MEM-1).
    #[serde(default)]
    pub monthly_spend: BTreeMap<MonthKey, Decimal>,
}

const SETTINGS_KEY: &str = "member_settings";

pub fn settings(txn: &impl Txn) -> Result<MemberSettings, ApiError> {
    match meta_get(txn, SETTINGS_KEY)? {
        None => Ok(MemberSettings::default()),
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            ApiError::from(StoreError::Corrupt {
                table: "meta",
                reason: e.to_string(),
            })
        }),
    }
}

pub fn wallet(txn: &impl Txn, customer: CustomerId) -> Result<Wallet, ApiError> {
    Ok(tables::WALLETS.get_in(txn, customer.0)?.unwrap_or_default())
}

/// A customer's wallet for writing: expired points are swept first, with their entry.
pub fn wallet_for_write(
    tx: &mut Tx,
    customer: CustomerId,
    today: NaiveDate,
) -> Result<Wallet, ApiError> {
    let mut w = wallet(tx.w, customer)?;
    let gone = w.points.expire(today);
    if gone > 0 {
        points_entry(
            tx,
            customer,
            &w,
            PointsReason::Expired,
            -(gone as i64),
            None,
        )?;
        save_wallet(tx, customer, &w)?;
    }
    Ok(w)
}

pub fn save_wallet(tx: &mut Tx, customer: CustomerId, w: &Wallet) -> Result<(), ApiError> {
    tx.put(&tables::WALLETS, customer.0, w)
}

/// Moves stored value by `delta` with its ledger entry; refused when it would go negative.
pub fn post_value(
    tx: &mut Tx,
    customer: CustomerId,
    w: &mut Wallet,
    reason: ValueReason,
    delta: Decimal,
    checkout: Option<CheckoutId>,
) -> Result<(), ApiError> {
    let after = post(w.stored_value, delta).map_err(|e| {
        ApiError::conflict(
            "balance_insufficient",
            format!("stored value balance is {}, {} needed", e.balance, e.wanted),
        )
    })?;
    w.stored_value = after;
    let seq = tx.next_id("ledger")?;
    tx.put(
        &tables::VALUE_LEDGER,
        (customer.0, seq),
        &ValueEntry {
            seq,
            customer_id: customer,
            at: tx.now,
            reason,
            amount: delta,
            balance_after: after,
            checkout,
        },
    )
}

/// Records a points movement already applied to `w.points`.
pub fn points_entry(
    tx: &mut Tx,
    customer: CustomerId,
    w: &Wallet,
    reason: PointsReason,
    delta: i64,
    checkout: Option<CheckoutId>,
) -> Result<(), ApiError> {
    if delta == 0 {
        return Ok(());
    }
    let seq = tx.next_id("ledger")?;
    tx.put(
        &tables::POINTS_LEDGER,
        (customer.0, seq),
        &PointsEntry {
            seq,
            customer_id: customer,
            at: tx.now,
            reason,
            amount: delta,
            balance_after: w.points.balance() as i64,
            checkout,
        },
    )
}

/// Moves a package's remaining uses with its ledger entry.
pub fn package_entry(
    tx: &mut Tx,
    p: &mut salon_shared::ledger::Package,
    reason: PackageReason,
    delta: i64,
    checkout: Option<CheckoutId>,
) -> Result<(), ApiError> {
    let after = i64::from(p.remaining) + delta;
    let after = u32::try_from(after).map_err(|_| {
        ApiError::conflict("package_used_up", format!("{} has no uses left", p.name))
    })?;
    p.remaining = after;
    let seq = tx.next_id("ledger")?;
    tx.put(
        &tables::PACKAGE_LEDGER,
        (p.id.0, seq),
        &PackageEntry {
            seq,
            package: p.id,
            at: tx.now,
            reason,
            uses: delta,
            remaining_after: i64::from(after),
            checkout,
        },
    )?;
    tx.put(&tables::PACKAGES, p.id.0, p)
}

/// Checks that every cached balance equals the sum of its ledger (start-up and tests).
pub fn verify_ledgers(r: &impl Txn) -> Result<Vec<String>, StoreError> {
    let mut wrong = Vec::new();
    let t = r.open(tables::WALLETS.definition())?;
    for item in t.iter()? {
        let (k, v) = item?;
        let id = k.value();
        let w = tables::WALLETS.decode(v.value())?;
        let value: Decimal = records_under(r, &tables::VALUE_LEDGER, id)?
            .iter()
            .map(|e| e.amount)
            .sum();
        let points: i64 = records_under(r, &tables::POINTS_LEDGER, id)?
            .iter()
            .map(|e| e.amount)
            .sum();
        if value != w.stored_value || value < Decimal::ZERO {
            wrong.push(format!(
                "customer {id}: stored value {} but ledger sums to {value}",
                w.stored_value
            ));
        }
        if points != w.points.balance() as i64 || points < 0 {
            wrong.push(format!(
                "customer {id}: {} points but ledger sums to {points}",
                w.points.balance()
            ));
        }
    }
    let t = r.open(tables::PACKAGES.definition())?;
    for item in t.iter()? {
        let (k, v) = item?;
        let p = tables::PACKAGES.decode(v.value())?;
        let sum: i64 = records_under(r, &tables::PACKAGE_LEDGER, k.value())?
            .iter()
            .map(|e| e.uses)
            .sum();
        if sum != i64::from(p.remaining) {
            wrong.push(format!(
                "package {}: {} uses left but ledger sums to {sum}",
                p.id, p.remaining
            ));
        }
    }
    Ok(wrong)
}

/// Moves everything of value from a duplicate to the customer it is merged into (CUS-5):
/// stored value and points by ledger entries on both sides, packages and coupons by owner,
/// and the monthly spend the tier rule counts.
pub fn absorb(tx: &mut Tx, dup: CustomerId, keep: CustomerId) -> Result<(), ApiError> {
    let mut from = wallet(tx.w, dup)?;
    let mut into = wallet(tx.w, keep)?;
    if !from.stored_value.is_zero() {
        let v = from.stored_value;
        post_value(tx, dup, &mut from, ValueReason::Merge, -v, None)?;
        post_value(tx, keep, &mut into, ValueReason::Merge, v, None)?;
    }
    let n = from.points.balance();
    if n > 0 {
        let lots = from.points.spend(n).unwrap_or_default();
        points_entry(tx, dup, &from, PointsReason::Merge, -(n as i64), None)?;
        into.points.restore(&lots);
        points_entry(tx, keep, &into, PointsReason::Merge, n as i64, None)?;
    }
    for (m, v) in std::mem::take(&mut from.monthly_spend) {
        *into.monthly_spend.entry(m).or_default() += v;
    }
    if from != Wallet::default() || tx.get(&tables::WALLETS, dup.0)?.is_some() {
        save_wallet(tx, dup, &from)?;
        save_wallet(tx, keep, &into)?;
    }
    for mut p in packages_of(tx.w, dup)? {
        p.customer_id = keep;
        tx.put(&tables::PACKAGES, p.id.0, &p)?;
        link(tx.w, tables::PACKAGES_BY_CUSTOMER, keep.0, p.id.0)?;
        unlink(tx.w, tables::PACKAGES_BY_CUSTOMER, dup.0, p.id.0)?;
    }
    for cv in coupons_of(tx.w, dup)? {
        let mut c = cv.coupon;
        c.customer_id = keep;
        tx.put(&tables::COUPONS, c.id.0, &c)?;
        link(tx.w, tables::COUPONS_BY_CUSTOMER, keep.0, c.id.0)?;
        unlink(tx.w, tables::COUPONS_BY_CUSTOMER, dup.0, c.id.0)?;
    }
    Ok(())
}

// ---- settings ----

#[utoipa::path(get, path = "/api/v1/settings/members", tag = "members",
    responses((status = 200, body = MemberSettings)))]
pub async fn member_settings_get(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<MemberSettings>, ApiError> {
    auth.require(Action::ServiceRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(settings(&r)?))
}

/// Tier thresholds and benefits, points rules and expiry, top-up bonuses (manager).
#[utoipa::path(put, path = "/api/v1/settings/members", tag = "members", request_body = MemberSettings,
    responses((status = 200, body = MemberSettings), (status = 422, body = ErrorBody)))]
pub async fn member_settings_put(
    State(s): State<AppState>,
    auth: Auth,
    Json(set): Json<MemberSettings>,
) -> Result<Response, ApiError> {
    auth.require(Action::SalesManage)?;
    let tiers = set.tiers.clone().validate()?;
    let bad = |m: &str| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m.to_string());
    if set.points.earn_per_yuan < Decimal::ZERO || set.points.earn_per_yuan > Decimal::ONE_HUNDRED {
        return Err(bad("points.earn_per_yuan must be 0–100"));
    }
    if !(1..=10_000).contains(&set.points.points_per_yuan) {
        return Err(bad("points.points_per_yuan must be 1–10000"));
    }
    if set
        .points_valid_days
        .is_some_and(|d| !(1..=3660).contains(&d))
    {
        return Err(bad("points_valid_days must be 1–3660"));
    }
    if set.top_up_bonus.len() > 10 || set.top_up_bonus.iter().any(|b| b.bonus > b.min_paid) {
        return Err(bad(
            "top_up_bonus: at most 10 rules, each bonus at most what is paid",
        ));
    }
    let set = MemberSettings { tiers, ..set };
    Ok(respond(
        s.writer
            .write(auth.actor(), None, move |tx| {
                let before = settings(tx.w)?;
                let json = serde_json::to_string(&set).unwrap_or_default();
                meta_set(tx.writing(), SETTINGS_KEY, &json)?;
                tx.audit("settings.members", "settings", "members", before, &set)?;
                Ok(Reply::ok(StatusCode::OK, &set))
            })
            .await,
    ))
}

// ---- top-ups ----

/// Stored value paid in by cash or mobile, plus the bonus the store's rules give (MEM-3).
#[utoipa::path(post, path = "/api/v1/customers/{id}/top-ups", tag = "members", request_body = TopUpInput,
    params(("id" = u64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry key: the same key tops up once")),
    responses((status = 201, body = Checkout), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn top_up(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
    Json(input): Json<TopUpInput>,
) -> Result<Response, ApiError> {
    auth.require(Action::Checkout)?;
    let staff = cashier(&auth)?;
    let idem = auth.idem(&format!("POST /customers/{id}/top-ups"), &input);
    if input.amount.amount().is_zero() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "amount must be more than 0",
        ));
    }
    if input
        .tenders
        .iter()
        .any(|t| t.method == PayMethod::StoredValue)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "payment_invalid",
            "a top-up is paid in cash or by mobile payment",
        ));
    }
    let settlement = settle(input.amount, &input.tenders, Decimal::ZERO)?;
    let info = s.info.clone();
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let c = super::customers::active(tx, CustomerId(id))?;
                let set = settings(tx.w)?;
                let today = day_of(&info, tx.now);
                let bonus = bonus_for(input.amount, &set.top_up_bonus);
                let mut w = wallet_for_write(tx, c.id, today)?;
                let id = CheckoutId(tx.next_id("checkout")?);
                post_value(
                    tx,
                    c.id,
                    &mut w,
                    ValueReason::TopUp,
                    input.amount.amount(),
                    Some(id),
                )?;
                if !bonus.amount().is_zero() {
                    post_value(
                        tx,
                        c.id,
                        &mut w,
                        ValueReason::Bonus,
                        bonus.amount(),
                        Some(id),
                    )?;
                }
                save_wallet(tx, c.id, &w)?;
                let effects = Effects {
                    tier_before: c.tier,
                    tier_after: c.tier,
                    stored_value_in: input.amount.amount() + bonus.amount(),
                    ..Default::default()
                };
                let kind = CheckoutKind::TopUp {
                    paid: input.amount,
                    bonus,
                };
                let co = record_checkout(
                    tx,
                    &info,
                    id,
                    kind,
                    Some(&c),
                    None,
                    input.amount,
                    settlement.clone(),
                    effects,
                    staff,
                    Some(&w),
                )?;
                Ok(Reply::ok(StatusCode::CREATED, &co))
            })
            .await,
    ))
}

// ---- packages ----

#[utoipa::path(post, path = "/api/v1/package-plans", tag = "members", request_body = PackagePlanInput,
    responses((status = 201, body = PackagePlan), (status = 422, body = ErrorBody)))]
pub async fn package_plan_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<PackagePlanInput>,
) -> Result<Response, ApiError> {
    auth.require(Action::SalesManage)?;
    let idem = auth.idem("POST /package-plans", &input);
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                super::services::active_service(tx, input.service_id)?;
                let plan = input.clone().into_plan(0)?;
                let plan = PackagePlan {
                    id: tx.next_id("package_plan")?,
                    ..plan
                };
                tx.put(&tables::PACKAGE_PLANS, plan.id, &plan)?;
                tx.audit(
                    "package_plan.create",
                    "package_plan",
                    plan.id,
                    serde_json::Value::Null,
                    &plan,
                )?;
                Ok(Reply::ok(StatusCode::CREATED, &plan))
            })
            .await,
    ))
}

#[utoipa::path(get, path = "/api/v1/package-plans", tag = "members",
    responses((status = 200, body = Vec<PackagePlan>)))]
pub async fn package_plan_list(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<PackagePlan>>, ApiError> {
    auth.require(Action::ServiceRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(tables::PACKAGE_PLANS.all(&r)?))
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
) -> Result<Response, ApiError> {
    auth.require(Action::Checkout)?;
    let staff = cashier(&auth)?;
    let idem = auth.idem(&format!("POST /customers/{id}/packages"), &input);
    let info = s.info.clone();
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let c = super::customers::active(tx, CustomerId(id))?;
                let plan = tx
                    .get(&tables::PACKAGE_PLANS, input.plan_id)?
                    .filter(|p| p.active)
                    .ok_or_else(|| {
                        ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "plan_unknown",
                            "no such package plan on sale",
                        )
                    })?;
                let today = day_of(&info, tx.now);
                let mut w = wallet_for_write(tx, c.id, today)?;
                let settlement = settle(plan.price, &input.tenders, w.stored_value)?;
                let co_id = CheckoutId(tx.next_id("checkout")?);
                let stored = settlement.paid_by(PayMethod::StoredValue);
                if !stored.is_zero() {
                    post_value(tx, c.id, &mut w, ValueReason::Spend, -stored, Some(co_id))?;
                    save_wallet(tx, c.id, &w)?;
                }
                let mut p = salon_shared::ledger::Package {
                    id: PackageId(tx.next_id("package")?),
                    customer_id: c.id,
                    plan: plan.id,
                    name: plan.name.clone(),
                    service_id: plan.service_id,
                    uses: plan.uses,
                    remaining: 0,
                    price: plan.price,
                    sold_at: tx.now,
                    expires_on: plan
                        .valid_days
                        .map(|d| today + Duration::days(i64::from(d))),
                    sale: co_id,
                    refunded: false,
                };
                package_entry(
                    tx,
                    &mut p,
                    PackageReason::Bought,
                    i64::from(plan.uses),
                    Some(co_id),
                )?;
                link(tx.w, tables::PACKAGES_BY_CUSTOMER, c.id.0, p.id.0)?;
                let effects = Effects {
                    tier_before: c.tier,
                    tier_after: c.tier,
                    stored_value_out: stored,
                    ..Default::default()
                };
                let kind = CheckoutKind::PackageSale {
                    package: p.id,
                    plan: plan.id,
                };
                let co = record_checkout(
                    tx,
                    &info,
                    co_id,
                    kind,
                    Some(&c),
                    None,
                    plan.price,
                    settlement,
                    effects,
                    staff,
                    Some(&w),
                )?;
                Ok(Reply::ok(StatusCode::CREATED, &co))
            })
            .await,
    ))
}

// ---- coupons ----

#[utoipa::path(post, path = "/api/v1/coupon-defs", tag = "members", request_body = CouponDefInput,
    responses((status = 201, body = CouponDef), (status = 422, body = ErrorBody)))]
pub async fn coupon_def_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(input): Json<CouponDefInput>,
) -> Result<Response, ApiError> {
    auth.require(Action::SalesManage)?;
    let idem = auth.idem("POST /coupon-defs", &input);
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let def = input.clone().into_def(CouponDefId(0), tx.now)?;
                match def.kind {
                    salon_shared::coupon::CouponKind::Exchange {
                        item: salon_shared::coupon::ExchangeItem::Service(sid),
                    } => {
                        super::services::active_service(tx, sid)?;
                    }
                    salon_shared::coupon::CouponKind::Exchange {
                        item: salon_shared::coupon::ExchangeItem::Product(pid),
                    } => {
                        super::products::product(tx, pid)?;
                    }
                    _ => {}
                }
                let def = CouponDef {
                    id: CouponDefId(tx.next_id("coupon_def")?),
                    ..def
                };
                tx.put(&tables::COUPON_DEFS, def.id.0, &def)?;
                tx.audit(
                    "coupon_def.create",
                    "coupon_def",
                    def.id,
                    serde_json::Value::Null,
                    &def,
                )?;
                Ok(Reply::ok(StatusCode::CREATED, &def))
            })
            .await,
    ))
}

#[utoipa::path(get, path = "/api/v1/coupon-defs", tag = "members",
    responses((status = 200, body = Vec<CouponDef>)))]
pub async fn coupon_def_list(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<CouponDef>>, ApiError> {
    auth.require(Action::ServiceRead)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(tables::COUPON_DEFS.all(&r)?))
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
) -> Result<Response, ApiError> {
    auth.require(Action::Checkout)?;
    cashier(&auth)?;
    let idem = auth.idem(&format!("POST /customers/{id}/coupons"), &input);
    let info = s.info.clone();
    Ok(respond(
        s.writer
            .write(auth.actor(), idem, move |tx| {
                let c = super::customers::active(tx, CustomerId(id))?;
                let def = tx
                    .get(&tables::COUPON_DEFS, input.def_id.0)?
                    .filter(|d| d.active)
                    .ok_or_else(|| {
                        ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "coupon_def_unknown",
                            "no such coupon on offer",
                        )
                    })?;
                if day_of(&info, tx.now) > def.valid_to {
                    return Err(ApiError::conflict(
                        "coupon_expired",
                        format!("{} ended on {}", def.name, def.valid_to),
                    ));
                }
                let held = ids_under_id(tx.w, tables::COUPONS_BY_CUSTOMER, c.id.0)?
                    .into_iter()
                    .filter_map(|cid| tx.get(&tables::COUPONS, cid).ok().flatten())
                    .filter(|k| k.def == def.id)
                    .count();
                if held >= def.per_customer_limit as usize {
                    return Err(ApiError::conflict(
                        "coupon_limit",
                        format!(
                            "{} already has {held} of '{}' (limit {})",
                            c.name, def.name, def.per_customer_limit
                        ),
                    ));
                }
                let coupon = Coupon {
                    id: CouponId(tx.next_id("coupon")?),
                    def: def.id,
                    customer_id: c.id,
                    issued_at: tx.now,
                    state: CouponState::Issued,
                };
                tx.put(&tables::COUPONS, coupon.id.0, &coupon)?;
                link(tx.w, tables::COUPONS_BY_CUSTOMER, c.id.0, coupon.id.0)?;
                tx.audit(
                    "coupon.issue",
                    "customer",
                    c.id,
                    serde_json::Value::Null,
                    &coupon,
                )?;
                tx.event("customer.changed", c.id)?;
                Ok(Reply::ok(StatusCode::CREATED, &CouponView { coupon, def }))
            })
            .await,
    ))
}

// ---- the customer 360 (CUS-3) ----

fn coupons_of(txn: &impl Txn, c: CustomerId) -> Result<Vec<CouponView>, ApiError> {
    let mut out = Vec::new();
    for id in ids_under_id(txn, tables::COUPONS_BY_CUSTOMER, c.0)? {
        if let Some(coupon) = tables::COUPONS.get_in(txn, id)?
            && let Some(def) = tables::COUPON_DEFS.get_in(txn, coupon.def.0)?
        {
            out.push(CouponView { coupon, def });
        }
    }
    Ok(out)
}

pub fn packages_of(
    txn: &impl Txn,
    c: CustomerId,
) -> Result<Vec<salon_shared::ledger::Package>, ApiError> {
    let mut out = Vec::new();
    for id in ids_under_id(txn, tables::PACKAGES_BY_CUSTOMER, c.0)? {
        if let Some(p) = tables::PACKAGES.get_in(txn, id)? {
            out.push(p);
        }
    }
    Ok(out)
}

fn visits_of(r: &redb::ReadTransaction, c: &Customer) -> Result<Vec<VisitSummary>, ApiError> {
    // The duplicates merged into this customer are the same person: their visits too.
    let mut tickets = Vec::new();
    let mut sale_by_ticket = BTreeMap::new();
    for who in std::iter::once(c.id).chain(c.merged_from.iter().copied()) {
        tickets.extend(ids_under_id(r, tables::VISITS_BY_CUSTOMER, who.0)?);
        for co in ids_under_id(r, tables::CHECKOUTS_BY_CUSTOMER, who.0)? {
            if let Some(co) = tables::CHECKOUTS.get(r, co)?
                && let CheckoutKind::Sale {
                    ticket_id: Some(t), ..
                } = co.kind
            {
                tickets.push(t);
                sale_by_ticket.insert(t, co);
            }
        }
    }
    tickets.sort_unstable_by(|a, b| b.cmp(a));
    tickets.dedup();
    tickets.truncate(50);
    let staff: BTreeMap<u64, String> = tables::STAFF
        .all(r)?
        .into_iter()
        .map(|s| (s.id.0, s.name))
        .collect();
    let services: BTreeMap<u64, String> = tables::SERVICES
        .all(r)?
        .into_iter()
        .map(|s| (s.id.0, s.name))
        .collect();
    let products: BTreeMap<u64, String> = tables::PRODUCTS
        .all(r)?
        .into_iter()
        .map(|p| (p.id.0, p.name))
        .collect();
    let mut out = Vec::new();
    for t in tickets {
        let Some(ticket) = tables::TICKETS.get(r, t)? else {
            continue;
        };
        let visit = tables::VISITS.get(r, t)?;
        let sale = sale_by_ticket.get(&t);
        let refunded = match sale {
            Some(co) => tables::REFUNDS.get(r, co.id.0)?.is_some(),
            None => false,
        };
        let service_ids = visit
            .as_ref()
            .map(|v| v.services.clone())
            .unwrap_or(ticket.services.clone());
        out.push(VisitSummary {
            ticket_id: t,
            day: ticket.day,
            number: ticket.number.clone(),
            stylist: ticket.stylist.and_then(|s| staff.get(&s.0).cloned()),
            services: service_ids
                .iter()
                .filter_map(|s| services.get(&s.0).cloned())
                .collect(),
            products_used: visit
                .as_ref()
                .map(|v| {
                    v.products_used
                        .iter()
                        .map(|u| NamedQty {
                            name: products.get(&u.product_id.0).cloned().unwrap_or_default(),
                            qty: u.qty,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            formulas: visit
                .as_ref()
                .map(|v| v.formulas.clone())
                .unwrap_or_default(),
            notes: visit.as_ref().map(|v| v.notes.clone()).unwrap_or_default(),
            photos: visit.as_ref().map(|v| v.photos.clone()).unwrap_or_default(),
            amount: sale.filter(|_| !refunded).map(|co| co.due),
            methods: sale
                .map(|co| co.settlement.payments.iter().map(|p| p.method).collect())
                .unwrap_or_default(),
            checkout_id: sale.map(|co| co.id),
            rating: tables::FEEDBACK.get(r, t)?.map(|f| f.overall),
        });
    }
    Ok(out)
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
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let customer = tables::CUSTOMERS
        .get(&r, id)?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    let today = day_of(&s.info, chrono::Utc::now());
    let set = settings(&r)?;
    let mut w = wallet(&r, customer.id)?;
    w.points.expire(today);
    let appointments = ids_under_id(&r, tables::APPOINTMENTS_BY_CUSTOMER, customer.id.0)?
        .into_iter()
        .filter_map(|a| tables::APPOINTMENTS.get(&r, a).ok().flatten())
        .filter(|a| day_of(&s.info, a.start) >= today)
        .collect();
    Ok(axum::Json(CustomerOverview {
        tier_benefits: set.tiers.benefits(customer.tier),
        wallet: WalletView {
            stored_value: w.stored_value,
            points: w.points.balance(),
            points_lots: w.points.lots.clone(),
        },
        packages: packages_of(&r, customer.id)?,
        coupons: coupons_of(&r, customer.id)?,
        visits: visits_of(&r, &customer)?,
        appointments,
        customer,
    }))
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
    let r = s.db.begin_read().map_err(StoreError::from)?;
    tables::CUSTOMERS
        .get(&r, id)?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    let mut packages = Vec::new();
    for p in packages_of(&r, CustomerId(id))? {
        packages.extend(records_under(&r, &tables::PACKAGE_LEDGER, p.id.0)?);
    }
    Ok(axum::Json(Ledgers {
        stored_value: records_under(&r, &tables::VALUE_LEDGER, id)?,
        points: records_under(&r, &tables::POINTS_LEDGER, id)?,
        packages,
    }))
}

/// The tier a customer's spend earns, never lower than `floor` (MEM-1: upgrades only).
pub fn tier_for(
    set: &MemberSettings,
    lifetime: Decimal,
    w: &Wallet,
    month: MonthKey,
    floor: Tier,
) -> Tier {
    set.tiers
        .earned(lifetime, &w.monthly_spend, month)
        .max(floor)
}
