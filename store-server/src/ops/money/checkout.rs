//! Checkout (PAY-1..4): pricing a bill with every member benefit, taking payment in one
//! transaction with all its effects, refunds that reverse exactly those effects, the
//! receipt and the daily cash-up.

use super::MoneyError;
use super::ledgers::{
    package_entry, packages_of, points_entry, post_value, save_wallet, settings, tier_for, wallet,
    wallet_for_write,
};
use super::receipt;
use crate::StoreInfo;
use crate::ops::{customers::CustomerError, day_of, stock};
use crate::store::{StoreError, Tx, Txn, by_day, link, link_day, tables};
use chrono::{Duration, NaiveDate};
use redb::{ReadTransaction, ReadableTable};
use rust_decimal::Decimal;
use salon_shared::api::*;
use salon_shared::bill::{
    self, Bill, BillRequest, CouponOffer, Item, ItemRef, PackageOffer, PayMethod, Settlement, Step,
    TierOffer,
};
use salon_shared::coupon::{Coupon, CouponDef, CouponState};
use salon_shared::ledger::{Package, PackageReason, PointsReason, ValueReason, Wallet};
use salon_shared::tier::month_key;
use salon_shared::{CheckoutId, Customer, CustomerId, Money, StaffId, StaffLevel};

/// Files a paid checkout with its indexes, audit entry and event.
#[allow(clippy::too_many_arguments)]
pub fn record_checkout(
    tx: &mut Tx,
    info: &StoreInfo,
    id: CheckoutId,
    kind: CheckoutKind,
    customer: Option<&Customer>,
    bill: Option<Bill>,
    due: Money,
    settlement: Settlement,
    effects: Effects,
    staff_id: Option<StaffId>,
    wallet: Option<&Wallet>,
) -> Result<Checkout, MoneyError> {
    let day = day_of(info, tx.now);
    let n = tx.next_id(&format!("receipt:{day}"))?;
    let co = Checkout {
        id,
        number: format!("{}-{n:04}", day.format("%Y%m%d")),
        day,
        at: tx.now,
        kind,
        customer_id: customer.map(|c| c.id),
        customer_name: customer.map(|c| c.name.clone()),
        bill,
        due,
        settlement,
        effects,
        staff_id,
        stored_value_after: wallet.map(|w| w.stored_value),
        points_after: wallet.map(|w| w.points.balance()),
    };
    tx.put(&tables::CHECKOUTS, id.0, &co)?;
    link_day(tx.w, tables::CHECKOUTS_BY_DAY, day, id.0)?;
    if let Some(c) = customer {
        link(tx.w, tables::CHECKOUTS_BY_CUSTOMER, c.id.0, id.0)?;
        // Filed under the customer too, so their history shows every movement of money.
        tx.audit(
            "checkout.create",
            "customer",
            c.id,
            serde_json::Value::Null,
            &co,
        )?;
        tx.event("customer.changed", c.id)?;
    }
    tx.audit(
        "checkout.create",
        "checkout",
        id,
        serde_json::Value::Null,
        &co,
    )?;
    tx.event("checkout.created", id)?;
    Ok(co)
}

/// What a bill depends on, read before anything is written.
struct Gathered {
    ticket: Option<salon_shared::queue::Ticket>,
    customer: Option<Customer>,
    stylist: Option<StaffId>,
    items: Vec<Item>,
    packages: Vec<Package>,
    coupon: Option<(Coupon, CouponDef)>,
    set: MemberSettings,
    today: NaiveDate,
}

fn gather(
    txn: &impl Txn,
    info: &StoreInfo,
    now: chrono::DateTime<chrono::Utc>,
    input: &CheckoutInput,
) -> Result<Gathered, MoneyError> {
    let today = day_of(info, now);
    let ticket = match input.ticket_id {
        None => None,
        Some(t) => {
            let ticket = tables::TICKETS
                .get_in(txn, t)?
                .ok_or(MoneyError::TicketNotFound)?;
            if input.customer_id.is_some_and(|c| c != ticket.customer_id) {
                return Err(MoneyError::CustomerMismatch);
            }
            use salon_shared::queue::TicketState as S;
            if !matches!(ticket.state, S::InService | S::Done) {
                return Err(MoneyError::VisitNotStarted {
                    number: ticket.number,
                    state: format!("{:?}", ticket.state),
                });
            }
            let paid = txn
                .open(tables::CHECKOUT_BY_TICKET)?
                .get(t)
                .map_err(StoreError::from)?
                .map(|v| v.value());
            if let Some(co) = paid
                && tables::REFUNDS.get_in(txn, co)?.is_none()
            {
                return Err(MoneyError::AlreadyPaid {
                    number: ticket.number,
                    checkout: CheckoutId(co),
                });
            }
            Some(ticket)
        }
    };
    let customer_id = match &ticket {
        Some(t) => Some(t.customer_id),
        None => input.customer_id,
    };
    let customer = match customer_id {
        None => None,
        Some(id) => {
            let c = tables::CUSTOMERS
                .get_in(txn, id.0)?
                .ok_or(CustomerError::NotFound)?;
            if !c.is_active() {
                return Err(CustomerError::Inactive.into());
            }
            Some(c)
        }
    };
    let stylist = ticket.as_ref().and_then(|t| t.stylist).or(input.stylist);
    let level = match stylist {
        None => None,
        Some(s) => Some(
            tables::STAFF
                .get_in(txn, s.0)?
                .ok_or(MoneyError::StaffUnknown(s))?
                .level,
        ),
    };
    let mut items = Vec::new();
    for it in &input.items {
        items.push(match *it {
            SaleItem::Service { id, qty } => {
                let s = tables::SERVICES
                    .get_in(txn, id.0)?
                    .filter(|s| s.active)
                    .ok_or(crate::ops::catalog::CatalogError::Unknown(id))?;
                Item {
                    item: ItemRef::Service {
                        id,
                        category: s.category,
                    },
                    unit_price: level.map(|l: StaffLevel| s.price_for(l)).unwrap_or(s.price),
                    name: s.name,
                    qty,
                }
            }
            SaleItem::Product { id, qty } => {
                let p = tables::PRODUCTS
                    .get_in(txn, id.0)?
                    .filter(|p| p.active)
                    .ok_or(MoneyError::ProductUnknown(id))?;
                Item {
                    item: ItemRef::Product { id },
                    name: p.name,
                    unit_price: p.price,
                    qty,
                }
            }
        });
    }
    let mut packages = Vec::new();
    if let Some(c) = &customer
        && input.use_packages
    {
        packages = packages_of(txn, c.id)?
            .into_iter()
            .filter(|p| p.usable(today))
            .collect();
        // Soonest to expire first, then oldest.
        packages.sort_by_key(|p| (p.expires_on.is_none(), p.expires_on, p.id));
    }
    let coupon = match input.coupon {
        None => None,
        Some(id) => {
            let c = customer.as_ref().ok_or(MoneyError::CouponNeedsMember)?;
            let coupon = tables::COUPONS
                .get_in(txn, id.0)?
                .ok_or(MoneyError::CouponUnknown(id))?;
            let def = tables::COUPON_DEFS
                .get_in(txn, coupon.def.0)?
                .ok_or(MoneyError::CouponUnknown(id))?;
            coupon.redeemable(&def, c.id, today)?;
            Some((coupon, def))
        }
    };
    if input.points > 0 && customer.is_none() {
        return Err(MoneyError::PointsNeedMember);
    }
    Ok(Gathered {
        ticket,
        customer,
        stylist,
        items,
        packages,
        coupon,
        set: settings(txn)?,
        today,
    })
}

fn price(g: &Gathered, input: &CheckoutInput, points_balance: u64) -> Result<Bill, MoneyError> {
    let tier = g.customer.as_ref().map(|c| {
        let b = g.set.tiers.benefits(c.tier);
        TierOffer {
            tier: c.tier,
            discount_percent: b.discount_percent,
            points_multiplier: b.points_multiplier,
        }
    });
    Ok(bill::price(&BillRequest {
        items: g.items.clone(),
        packages: g
            .packages
            .iter()
            .map(|p| PackageOffer {
                id: p.id,
                service: p.service_id,
                name: p.name.clone(),
                remaining: p.remaining,
            })
            .collect(),
        tier,
        coupon: g.coupon.as_ref().map(|(c, d)| CouponOffer {
            id: c.id,
            name: d.name.clone(),
            kind: d.kind.clone(),
            stacks_with_tier: d.stacks_with_tier,
        }),
        points: input.points,
        points_balance,
        points_rules: g.set.points,
    })?)
}

/// Prices a bill without paying it: every line as the customer will see it.
pub fn preview(
    r: &ReadTransaction,
    info: &StoreInfo,
    input: &CheckoutInput,
) -> Result<Bill, MoneyError> {
    let g = gather(r, info, chrono::Utc::now(), input)?;
    let balance = match &g.customer {
        Some(c) => {
            let mut w = wallet(r, c.id)?;
            w.points.expire(g.today);
            w.points.balance()
        }
        None => 0,
    };
    price(&g, input, balance)
}

/// Pays a bill: prices it, takes the payment, and in the same transaction uses packages,
/// redeems the coupon and points, earns points, takes stored value and stock, and counts
/// the spend towards the member's tier.
pub fn pay(
    tx: &mut Tx,
    info: &StoreInfo,
    input: &CheckoutInput,
    staff: Option<StaffId>,
) -> Result<Checkout, MoneyError> {
    let g = gather(tx.w, info, tx.now, input)?;
    // The wallet as it stands today (expired points swept), priced and settled before
    // anything of the sale is written.
    let (mut w, expired) = match &g.customer {
        Some(c) => {
            let mut w = wallet(tx.w, c.id)?;
            let gone = w.points.expire(g.today);
            (w, gone)
        }
        None => (Wallet::default(), 0),
    };
    let bill = price(&g, input, w.points.balance())?;
    let settlement = bill::settle(bill.due, &input.tenders, w.stored_value)?;
    for it in &g.items {
        if let ItemRef::Product { id } = it.item {
            let p = stock::product(tx, id)?;
            if p.stock < i64::from(it.qty) {
                return Err(stock::StockError::Insufficient {
                    name: p.name,
                    stock: p.stock,
                    wanted: i64::from(it.qty),
                    verb: "sold",
                }
                .into());
            }
        }
    }

    let id = CheckoutId(tx.next_id("checkout")?);
    let mut effects = Effects::default();
    // The points swept above get their ledger entry, before anything is spent.
    if let Some(c) = &g.customer
        && expired > 0
    {
        points_entry(tx, c.id, &w, PointsReason::Expired, -(expired as i64), None)?;
    }
    for a in &bill.adjustments {
        match &a.step {
            Step::Package { package, uses, .. } => {
                let mut p = tx
                    .get(&tables::PACKAGES, package.0)?
                    .ok_or(MoneyError::Vanished("package"))?;
                package_entry(tx, &mut p, PackageReason::Used, -i64::from(*uses), Some(id))?;
                effects.package_uses.push(PackageUse {
                    package: *package,
                    uses: *uses,
                });
            }
            Step::Coupon { coupon, .. } => {
                if let Some((mut c, _)) = g.coupon.clone() {
                    c.state = CouponState::Redeemed {
                        checkout: id,
                        at: tx.now,
                    };
                    tx.put(&tables::COUPONS, coupon.0, &c)?;
                    effects.coupon = Some(*coupon);
                }
            }
            Step::Points { points } => {
                let cid = g.customer.as_ref().map(|c| c.id).unwrap_or(CustomerId(0));
                effects.points_redeemed = w
                    .points
                    .spend(*points)
                    .map_err(|_| MoneyError::PointsInsufficient)?;
                points_entry(
                    tx,
                    cid,
                    &w,
                    PointsReason::Redeemed,
                    -(*points as i64),
                    Some(id),
                )?;
            }
            Step::TierDiscount { .. } => {}
        }
    }
    let ticket_id = g.ticket.as_ref().map(|t| t.id);
    for it in &g.items {
        if let ItemRef::Product { id: pid } = it.item {
            stock::move_stock(
                tx,
                pid,
                -i64::from(it.qty),
                StockReason::Sell,
                Some(id),
                ticket_id,
            )?;
            effects.stock.push(ProductUse {
                product_id: pid,
                qty: it.qty,
            });
        }
    }
    let stored = settlement.paid_by(PayMethod::StoredValue);
    if let Some(c) = &g.customer {
        if !stored.is_zero() {
            post_value(tx, c.id, &mut w, ValueReason::Spend, -stored, Some(id))?;
            effects.stored_value_out = stored;
        }
        if bill.points_earned > 0 {
            let expires = g
                .set
                .points_valid_days
                .map(|d| g.today + Duration::days(i64::from(d)));
            w.points.earn(bill.points_earned, expires);
            points_entry(
                tx,
                c.id,
                &w,
                PointsReason::Earned,
                bill.points_earned as i64,
                Some(id),
            )?;
            effects.points_earned = bill.points_earned;
        }
        // The spend counts towards the tier (MEM-1).
        let month = month_key(g.today);
        *w.monthly_spend.entry(month).or_default() += bill.due.amount();
        let mut after = c.clone();
        after.total_spend += bill.due.amount();
        after.tier = tier_for(&g.set, after.total_spend, &w, month, c.tier);
        effects.spend = bill.due.amount();
        effects.tier_before = c.tier;
        effects.tier_after = after.tier;
        tx.put(&tables::CUSTOMERS, c.id.0, &after)?;
        if after.tier != c.tier {
            tx.audit("customer.tier", "customer", c.id, c.tier, after.tier)?;
        }
        save_wallet(tx, c.id, &w)?;
    }
    if let Some(t) = ticket_id {
        tx.w.open_table(tables::CHECKOUT_BY_TICKET)
            .map_err(StoreError::from)?
            .insert(t, id.0)
            .map_err(StoreError::from)?;
    }
    let kind = CheckoutKind::Sale {
        ticket_id,
        stylist: g.stylist,
    };
    let customer = g.customer.as_ref().map(|c| {
        let mut c = c.clone();
        c.tier = effects.tier_after;
        c
    });
    let wallet_after = g.customer.as_ref().map(|_| &w);
    let due = bill.due;
    record_checkout(
        tx,
        info,
        id,
        kind,
        customer.as_ref(),
        Some(bill),
        due,
        settlement,
        effects,
        staff,
        wallet_after,
    )
}

/// Refunds a whole checkout: the money goes back by the methods it came in, and every
/// effect is reversed — stock, points (redeemed ones back, earned ones taken back as far as
/// they are left), stored value, package uses, the coupon, and the spend towards the tier.
/// A top-up is refunded only while its stored value is unspent; a package only while unused.
pub fn refund(
    tx: &mut Tx,
    info: &StoreInfo,
    id: CheckoutId,
    reason: &str,
    staff: Option<StaffId>,
) -> Result<Refund, MoneyError> {
    let co = tx
        .get(&tables::CHECKOUTS, id.0)?
        .ok_or(MoneyError::CheckoutNotFound)?;
    if tx.get(&tables::REFUNDS, id.0)?.is_some() {
        return Err(MoneyError::AlreadyRefunded(co.number));
    }
    let today = day_of(info, tx.now);
    let customer = match co.customer_id {
        Some(c) => tx.get(&tables::CUSTOMERS, c.0)?,
        None => None,
    };
    // Checks first: a top-up whose money was spent, or a package already used, cannot be
    // taken back whole.
    let mut w = match &customer {
        Some(c) => wallet(tx.w, c.id)?,
        None => Wallet::default(),
    };
    match &co.kind {
        CheckoutKind::TopUp { .. } if w.stored_value < co.effects.stored_value_in => {
            return Err(MoneyError::BalanceAlreadyUsed {
                balance: w.stored_value,
                added: co.effects.stored_value_in,
            });
        }
        CheckoutKind::PackageSale { package, .. } => {
            let p = tx
                .get(&tables::PACKAGES, package.0)?
                .ok_or(MoneyError::Vanished("package"))?;
            if p.remaining != p.uses {
                return Err(MoneyError::PackageUsed {
                    used: p.uses - p.remaining,
                    name: p.name,
                });
            }
        }
        _ => {}
    }

    let cid = co.customer_id.unwrap_or(CustomerId(0));
    if customer.is_some() {
        w = wallet_for_write(tx, cid, today)?;
    }
    let mut points_reversed = 0;
    let mut points_not_reversed = 0;
    match &co.kind {
        CheckoutKind::Sale { ticket_id, .. } => {
            for u in &co.effects.package_uses {
                if let Some(mut p) = tx.get(&tables::PACKAGES, u.package.0)? {
                    package_entry(
                        tx,
                        &mut p,
                        PackageReason::UseRefunded,
                        i64::from(u.uses),
                        Some(id),
                    )?;
                }
            }
            if let Some(c) = co.effects.coupon
                && let Some(mut coupon) = tx.get(&tables::COUPONS, c.0)?
            {
                coupon.state = CouponState::Issued;
                tx.put(&tables::COUPONS, c.0, &coupon)?;
            }
            for s in &co.effects.stock {
                stock::move_stock(
                    tx,
                    s.product_id,
                    i64::from(s.qty),
                    StockReason::SaleRefunded,
                    Some(id),
                    *ticket_id,
                )?;
            }
            if customer.is_some() {
                let back: u64 = co.effects.points_redeemed.iter().map(|l| l.left).sum();
                w.points.restore(&co.effects.points_redeemed);
                points_entry(
                    tx,
                    cid,
                    &w,
                    PointsReason::RedeemRefunded,
                    back as i64,
                    Some(id),
                )?;
                points_reversed = w.points.take_up_to(co.effects.points_earned);
                points_not_reversed = co.effects.points_earned - points_reversed;
                points_entry(
                    tx,
                    cid,
                    &w,
                    PointsReason::EarnReversed,
                    -(points_reversed as i64),
                    Some(id),
                )?;
            }
        }
        CheckoutKind::TopUp { .. } => {
            post_value(
                tx,
                cid,
                &mut w,
                ValueReason::TopUpRefund,
                -co.effects.stored_value_in,
                Some(id),
            )?;
        }
        CheckoutKind::PackageSale { package, .. } => {
            if let Some(mut p) = tx.get(&tables::PACKAGES, package.0)? {
                let left = i64::from(p.remaining);
                package_entry(tx, &mut p, PackageReason::Refunded, -left, Some(id))?;
                p.refunded = true;
                tx.put(&tables::PACKAGES, p.id.0, &p)?;
            }
        }
    }
    // Stored value a sale or a package took goes back onto the balance.
    if customer.is_some() && !co.effects.stored_value_out.is_zero() {
        post_value(
            tx,
            cid,
            &mut w,
            ValueReason::Refund,
            co.effects.stored_value_out,
            Some(id),
        )?;
    }
    if let Some(c) = &customer {
        // Take the spend back off the tier's counts; the tier falls back only as far as the
        // one the customer had before this checkout.
        let month = month_key(co.day);
        if let Some(m) = w.monthly_spend.get_mut(&month) {
            *m = (*m - co.effects.spend).max(Decimal::ZERO);
        }
        let mut after = c.clone();
        after.total_spend = (after.total_spend - co.effects.spend).max(Decimal::ZERO);
        if c.tier == co.effects.tier_after {
            let set = settings(tx.w)?;
            after.tier = tier_for(
                &set,
                after.total_spend,
                &w,
                month_key(today),
                co.effects.tier_before,
            );
        }
        if after != *c {
            tx.put(&tables::CUSTOMERS, c.id.0, &after)?;
        }
        save_wallet(tx, c.id, &w)?;
    }
    let r = Refund {
        checkout_id: id,
        checkout_number: co.number.clone(),
        day: today,
        at: tx.now,
        reason: reason.to_string(),
        payments: co.settlement.payments.clone(),
        points_reversed,
        points_not_reversed,
        staff_id: staff,
    };
    tx.put(&tables::REFUNDS, id.0, &r)?;
    link_day(tx.w, tables::REFUNDS_BY_DAY, today, id.0)?;
    if let Some(c) = co.customer_id {
        tx.audit(
            "checkout.refund",
            "customer",
            c,
            serde_json::Value::Null,
            &r,
        )?;
        tx.event("customer.changed", c)?;
    }
    tx.audit(
        "checkout.refund",
        "checkout",
        id,
        serde_json::Value::Null,
        &r,
    )?;
    tx.event("checkout.refunded", id)?;
    Ok(r)
}

/// A checkout with its refund, if any.
pub fn view(r: &ReadTransaction, id: CheckoutId) -> Result<CheckoutView, MoneyError> {
    let checkout = tables::CHECKOUTS
        .get(r, id.0)?
        .ok_or(MoneyError::CheckoutNotFound)?;
    Ok(CheckoutView {
        refund: tables::REFUNDS.get(r, id.0)?,
        checkout,
    })
}

/// The checkouts of a store-local day, in order.
pub fn list(r: &ReadTransaction, day: NaiveDate) -> Result<Vec<CheckoutView>, MoneyError> {
    let mut out = Vec::new();
    for co in by_day(r, tables::CHECKOUTS_BY_DAY, &tables::CHECKOUTS, day)? {
        out.push(view(r, co.id)?);
    }
    Ok(out)
}

/// The receipt as plain text, ready for a receipt printer (PAY-4).
pub fn receipt_text(
    r: &ReadTransaction,
    info: &StoreInfo,
    id: CheckoutId,
) -> Result<String, MoneyError> {
    let v = view(r, id)?;
    let staff = match v.checkout.staff_id {
        Some(sid) => tables::STAFF.get(r, sid.0)?.map(|s| s.name),
        None => None,
    };
    let stylist = match v.checkout.kind {
        CheckoutKind::Sale {
            stylist: Some(sid), ..
        } => tables::STAFF.get(r, sid.0)?.map(|s| s.name),
        _ => None,
    };
    Ok(receipt::render(
        info,
        &v,
        staff.as_deref(),
        stylist.as_deref(),
    ))
}

/// The Z report of a store-local day: takings and refunds per payment method, change given,
/// and what member benefits took off.
pub fn cash_up(r: &ReadTransaction, day: NaiveDate) -> Result<CashUp, StoreError> {
    let checkouts = by_day(r, tables::CHECKOUTS_BY_DAY, &tables::CHECKOUTS, day)?;
    let refunds = by_day(r, tables::REFUNDS_BY_DAY, &tables::REFUNDS, day)?;
    Ok(cash_up_of(day, &checkouts, &refunds))
}

/// Adds up a day's checkouts and the refunds made that day.
pub fn cash_up_of(day: NaiveDate, checkouts: &[Checkout], refunds: &[Refund]) -> CashUp {
    let mut by: Vec<MethodTotals> = PayMethod::ALL
        .iter()
        .map(|m| MethodTotals {
            method: Some(*m),
            ..Default::default()
        })
        .collect();
    let slot = |m: PayMethod| PayMethod::ALL.iter().position(|x| *x == m).unwrap_or(0);
    let mut up = CashUp {
        day,
        by_method: Vec::new(),
        cash_in_drawer: Decimal::ZERO,
        change_given: Decimal::ZERO,
        checkouts: checkouts.len() as u32,
        refunds: refunds.len() as u32,
        gross_sales: Decimal::ZERO,
        package_uses: Decimal::ZERO,
        tier_discounts: Decimal::ZERO,
        coupons: Decimal::ZERO,
        points: Decimal::ZERO,
        bonus_given: Decimal::ZERO,
        net_takings: Decimal::ZERO,
    };
    for co in checkouts {
        up.change_given += co.settlement.change.amount();
        for p in &co.settlement.payments {
            let t = &mut by[slot(p.method)];
            let a = p.amount.amount();
            match co.kind {
                CheckoutKind::Sale { .. } => t.sales += a,
                CheckoutKind::TopUp { .. } => t.top_ups += a,
                CheckoutKind::PackageSale { .. } => t.package_sales += a,
            }
            t.count += 1;
        }
        if let CheckoutKind::TopUp { bonus, .. } = co.kind {
            up.bonus_given += bonus.amount();
        }
        if let Some(b) = &co.bill {
            up.gross_sales += b.subtotal.amount();
            for a in &b.adjustments {
                let v = a.amount.amount();
                match a.step {
                    Step::Package { .. } => up.package_uses += v,
                    Step::TierDiscount { .. } => up.tier_discounts += v,
                    Step::Coupon { .. } => up.coupons += v,
                    Step::Points { .. } => up.points += v,
                }
            }
        }
    }
    for r in refunds {
        for p in &r.payments {
            by[slot(p.method)].refunds += p.amount.amount();
        }
    }
    for t in &mut by {
        t.net = t.sales + t.top_ups + t.package_sales - t.refunds;
    }
    up.cash_in_drawer = by[slot(PayMethod::Cash)].net;
    up.net_takings = by
        .iter()
        .filter(|t| t.method != Some(PayMethod::StoredValue))
        .map(|t| t.net)
        .sum();
    up.by_method = by;
    up
}
