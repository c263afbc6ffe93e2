//! What members buy and hold (MEM-1..5, CPN-1/2 for one customer): the member rules, top-ups
//! with their bonus, package plans and sales, coupon definitions and issue, and the
//! customer 360 a stylist opens.

use super::MoneyError;
use super::checkout::record_checkout;
use super::ledgers::{
    SETTINGS_KEY, coupons_of, package_entry, packages_of, post_value, save_wallet, settings,
    wallet, wallet_for_write,
};
use crate::StoreInfo;
use crate::ops::{catalog, customers, day_of, stock};
use crate::store::{StoreError, Tx, ids_under_id, link, meta_set, records_under, tables};
use chrono::{Duration, Utc};
use redb::ReadTransaction;
use rust_decimal::Decimal;
use salon_shared::api::*;
use salon_shared::bill::{PayMethod, settle};
use salon_shared::coupon::{
    Coupon, CouponDef, CouponDefInput, CouponKind, CouponState, ExchangeItem,
};
use salon_shared::ledger::{
    Package, PackagePlan, PackagePlanInput, PackageReason, ValueReason, bonus_for,
};
use salon_shared::{CheckoutId, CouponDefId, CouponId, CustomerId, PackageId, StaffId};
use std::collections::BTreeMap;

/// Sets the tier thresholds and benefits, points rules and expiry, and top-up bonuses.
pub fn save_settings(tx: &mut Tx, set: MemberSettings) -> Result<MemberSettings, MoneyError> {
    let tiers = set.tiers.clone().validate()?;
    if set.points.earn_per_yuan < Decimal::ZERO || set.points.earn_per_yuan > Decimal::ONE_HUNDRED {
        return Err(MoneyError::Invalid("points.earn_per_yuan must be 0–100"));
    }
    if !(1..=10_000).contains(&set.points.points_per_yuan) {
        return Err(MoneyError::Invalid(
            "points.points_per_yuan must be 1–10000",
        ));
    }
    if set
        .points_valid_days
        .is_some_and(|d| !(1..=3660).contains(&d))
    {
        return Err(MoneyError::Invalid("points_valid_days must be 1–3660"));
    }
    if set.top_up_bonus.len() > 10 || set.top_up_bonus.iter().any(|b| b.bonus > b.min_paid) {
        return Err(MoneyError::Invalid(
            "top_up_bonus: at most 10 rules, each bonus at most what is paid",
        ));
    }
    let set = MemberSettings { tiers, ..set };
    let before = settings(tx.w)?;
    let json = serde_json::to_string(&set).unwrap_or_default();
    meta_set(tx.writing(), SETTINGS_KEY, &json)?;
    tx.audit("settings.members", "settings", "members", before, &set)?;
    Ok(set)
}

/// Stored value paid in by cash or mobile, plus the bonus the store's rules give (MEM-3).
pub fn top_up(
    tx: &mut Tx,
    info: &StoreInfo,
    customer: CustomerId,
    input: &TopUpInput,
    staff: Option<StaffId>,
) -> Result<Checkout, MoneyError> {
    if input.amount.amount().is_zero() {
        return Err(MoneyError::Invalid("amount must be more than 0"));
    }
    if input
        .tenders
        .iter()
        .any(|t| t.method == PayMethod::StoredValue)
    {
        return Err(MoneyError::TopUpPayment);
    }
    let settlement = settle(input.amount, &input.tenders, Decimal::ZERO)?;
    let c = customers::active(tx, customer)?;
    let set = settings(tx.w)?;
    let today = day_of(info, tx.now);
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
    record_checkout(
        tx,
        info,
        id,
        kind,
        Some(&c),
        None,
        input.amount,
        settlement,
        effects,
        staff,
        Some(&w),
    )
}

/// A package plan put on sale.
pub fn create_plan(tx: &mut Tx, input: &PackagePlanInput) -> Result<PackagePlan, MoneyError> {
    catalog::active_service(tx, input.service_id)?;
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
    Ok(plan)
}

pub fn plans(r: &ReadTransaction) -> Result<Vec<PackagePlan>, StoreError> {
    tables::PACKAGE_PLANS.all(r)
}

/// Sells a package (次卡) to a customer; it may be paid from stored value (MEM-5).
pub fn sell_package(
    tx: &mut Tx,
    info: &StoreInfo,
    customer: CustomerId,
    input: &PackageSaleInput,
    staff: Option<StaffId>,
) -> Result<Checkout, MoneyError> {
    let c = customers::active(tx, customer)?;
    let plan = tx
        .get(&tables::PACKAGE_PLANS, input.plan_id)?
        .filter(|p| p.active)
        .ok_or(MoneyError::PlanUnknown)?;
    let today = day_of(info, tx.now);
    let mut w = wallet_for_write(tx, c.id, today)?;
    let settlement = settle(plan.price, &input.tenders, w.stored_value)?;
    let co_id = CheckoutId(tx.next_id("checkout")?);
    let stored = settlement.paid_by(PayMethod::StoredValue);
    if !stored.is_zero() {
        post_value(tx, c.id, &mut w, ValueReason::Spend, -stored, Some(co_id))?;
        save_wallet(tx, c.id, &w)?;
    }
    let mut p = Package {
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
    record_checkout(
        tx,
        info,
        co_id,
        kind,
        Some(&c),
        None,
        plan.price,
        settlement,
        effects,
        staff,
        Some(&w),
    )
}

/// A coupon put on offer; an exchange coupon must name a service or product that exists.
pub fn create_coupon_def(tx: &mut Tx, input: &CouponDefInput) -> Result<CouponDef, MoneyError> {
    let def = input.clone().into_def(CouponDefId(0), tx.now)?;
    match def.kind {
        CouponKind::Exchange {
            item: ExchangeItem::Service(sid),
        } => {
            catalog::active_service(tx, sid)?;
        }
        CouponKind::Exchange {
            item: ExchangeItem::Product(pid),
        } => {
            stock::product(tx, pid)?;
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
    Ok(def)
}

pub fn coupon_defs(r: &ReadTransaction) -> Result<Vec<CouponDef>, StoreError> {
    tables::COUPON_DEFS.all(r)
}

/// Hands one coupon to one customer, within the definition's per-customer limit (CPN-2).
pub fn issue_coupon(
    tx: &mut Tx,
    info: &StoreInfo,
    customer: CustomerId,
    input: &IssueCoupon,
) -> Result<CouponView, MoneyError> {
    let c = customers::active(tx, customer)?;
    let def = tx
        .get(&tables::COUPON_DEFS, input.def_id.0)?
        .filter(|d| d.active)
        .ok_or(MoneyError::CouponDefUnknown)?;
    if day_of(info, tx.now) > def.valid_to {
        return Err(MoneyError::CouponExpired {
            name: def.name,
            on: def.valid_to,
        });
    }
    let held = ids_under_id(tx.w, tables::COUPONS_BY_CUSTOMER, c.id.0)?
        .into_iter()
        .filter_map(|cid| tx.get(&tables::COUPONS, cid).ok().flatten())
        .filter(|k| k.def == def.id)
        .count();
    if held >= def.per_customer_limit as usize {
        return Err(MoneyError::CouponLimit {
            customer: c.name,
            coupon: def.name,
            held,
            limit: def.per_customer_limit,
        });
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
    Ok(CouponView { coupon, def })
}

/// A customer's last 50 visits, newest first, with what was done, used and paid.
fn visits_of(
    r: &ReadTransaction,
    c: &salon_shared::Customer,
) -> Result<Vec<VisitSummary>, StoreError> {
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
    let staff = crate::ops::staff_names(r)?;
    let services = crate::ops::service_names(r)?;
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
pub fn overview(
    r: &ReadTransaction,
    info: &StoreInfo,
    id: CustomerId,
) -> Result<CustomerOverview, MoneyError> {
    let customer = tables::CUSTOMERS
        .get(r, id.0)?
        .ok_or(customers::CustomerError::NotFound)?;
    let today = day_of(info, Utc::now());
    let set = settings(r)?;
    let mut w = wallet(r, customer.id)?;
    w.points.expire(today);
    let appointments = ids_under_id(r, tables::APPOINTMENTS_BY_CUSTOMER, customer.id.0)?
        .into_iter()
        .filter_map(|a| tables::APPOINTMENTS.get(r, a).ok().flatten())
        .filter(|a| day_of(info, a.start) >= today)
        .collect();
    Ok(CustomerOverview {
        tier_benefits: set.tiers.benefits(customer.tier),
        wallet: WalletView {
            stored_value: w.stored_value,
            points: w.points.balance(),
            points_lots: w.points.lots.clone(),
        },
        packages: packages_of(r, customer.id)?,
        coupons: coupons_of(r, customer.id)?,
        visits: visits_of(r, &customer)?,
        appointments,
        customer,
    })
}

/// A customer's stored-value, points and package ledgers, oldest first.
pub fn ledgers(r: &ReadTransaction, id: CustomerId) -> Result<Ledgers, MoneyError> {
    tables::CUSTOMERS
        .get(r, id.0)?
        .ok_or(customers::CustomerError::NotFound)?;
    let mut packages = Vec::new();
    for p in packages_of(r, id)? {
        packages.extend(records_under(r, &tables::PACKAGE_LEDGER, p.id.0)?);
    }
    Ok(Ledgers {
        stored_value: records_under(r, &tables::VALUE_LEDGER, id.0)?,
        points: records_under(r, &tables::POINTS_LEDGER, id.0)?,
        packages,
    })
}
