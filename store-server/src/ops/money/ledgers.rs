//! Each customer's wallet and its append-only ledgers (MEM-3..5): stored value, points in
//! expiring lots, package uses. Every movement is an entry written in the transaction of
//! whatever caused it, the cached balance moves with it, and `verify_ledgers` proves the
//! two agree. Also the member rules (tiers, points, top-up bonuses) the postings follow.

use super::MoneyError;
use crate::store::{
    StoreError, Tx, Txn, ids_under_id, link, meta_get, records_under, tables, unlink,
};
use chrono::NaiveDate;
use redb::ReadableTable;
use rust_decimal::Decimal;
use salon_shared::api::{CouponView, MemberSettings};
use salon_shared::ledger::{
    Package, PackageEntry, PackageReason, PointsEntry, PointsReason, ValueEntry, ValueReason,
    Wallet, post,
};
use salon_shared::tier::MonthKey;
use salon_shared::{CheckoutId, CustomerId, Tier};

/// The meta key of the member rules (JSON).
pub const SETTINGS_KEY: &str = "member_settings";

/// The store's member rules (defaults when never set).
pub fn settings(txn: &impl Txn) -> Result<MemberSettings, StoreError> {
    match meta_get(txn, SETTINGS_KEY)? {
        None => Ok(MemberSettings::default()),
        Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
            table: "meta",
            reason: e.to_string(),
        }),
    }
}

pub fn wallet(txn: &impl Txn, customer: CustomerId) -> Result<Wallet, StoreError> {
    Ok(tables::WALLETS.get_in(txn, customer.0)?.unwrap_or_default())
}

/// A customer's wallet for writing: expired points are swept first, with their entry.
pub fn wallet_for_write(
    tx: &mut Tx,
    customer: CustomerId,
    today: NaiveDate,
) -> Result<Wallet, StoreError> {
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

pub fn save_wallet(tx: &mut Tx, customer: CustomerId, w: &Wallet) -> Result<(), StoreError> {
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
) -> Result<(), MoneyError> {
    let after = post(w.stored_value, delta).map_err(|e| MoneyError::BalanceInsufficient {
        balance: e.balance,
        wanted: e.wanted,
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
    )?;
    Ok(())
}

/// Records a points movement already applied to `w.points`.
pub fn points_entry(
    tx: &mut Tx,
    customer: CustomerId,
    w: &Wallet,
    reason: PointsReason,
    delta: i64,
    checkout: Option<CheckoutId>,
) -> Result<(), StoreError> {
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
    p: &mut Package,
    reason: PackageReason,
    delta: i64,
    checkout: Option<CheckoutId>,
) -> Result<(), MoneyError> {
    let after = i64::from(p.remaining) + delta;
    let after = u32::try_from(after).map_err(|_| MoneyError::PackageUsedUp(p.name.clone()))?;
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
    tx.put(&tables::PACKAGES, p.id.0, p)?;
    Ok(())
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
pub fn absorb(tx: &mut Tx, dup: CustomerId, keep: CustomerId) -> Result<(), MoneyError> {
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

/// A customer's coupons with their definitions.
pub fn coupons_of(txn: &impl Txn, c: CustomerId) -> Result<Vec<CouponView>, StoreError> {
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

/// A customer's packages, used up or not.
pub fn packages_of(txn: &impl Txn, c: CustomerId) -> Result<Vec<Package>, StoreError> {
    let mut out = Vec::new();
    for id in ids_under_id(txn, tables::PACKAGES_BY_CUSTOMER, c.0)? {
        if let Some(p) = tables::PACKAGES.get_in(txn, id)? {
            out.push(p);
        }
    }
    Ok(out)
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
