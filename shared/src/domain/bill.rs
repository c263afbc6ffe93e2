//! The bill (PAY-1, PAY-2): items, then package uses → tier discount → coupon → points →
//! payment, each step one exact line as the receipt shows it.
//!
//! Every amount is a `Decimal` rounded to cents, half away from zero, once per line shown;
//! intermediate products are kept exact.

use crate::coupon::{CouponKind, ExchangeItem};
use crate::money::{MONEY_MAX, round};
use crate::{CouponId, Money, PackageId, ProductId, ServiceCategory, ServiceId, Tier};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most lines one bill may have, and most of one item.
pub const MAX_ITEMS: usize = 50;
pub const MAX_QTY: u32 = 99;

/// What a bill line sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ItemRef {
    Service {
        id: ServiceId,
        category: ServiceCategory,
    },
    Product {
        id: ProductId,
    },
}

impl ItemRef {
    fn matches(self, x: ExchangeItem) -> bool {
        match (self, x) {
            (ItemRef::Service { id, .. }, ExchangeItem::Service(s)) => id == s,
            (ItemRef::Product { id }, ExchangeItem::Product(p)) => id == p,
            _ => false,
        }
    }
}

/// One line to price: the caller has looked up the name and the price (by stylist level).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Item {
    pub item: ItemRef,
    pub name: String,
    pub unit_price: Money,
    pub qty: u32,
}

/// A package the customer holds that can pay for uses of `service` on this bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageOffer {
    pub id: PackageId,
    pub service: ServiceId,
    pub name: String,
    pub remaining: u32,
}

/// The member's tier benefits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierOffer {
    pub tier: Tier,
    pub discount_percent: Decimal,
    pub points_multiplier: Decimal,
}

/// The coupon the customer hands over (already checked as theirs, unused and in date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponOffer {
    pub id: CouponId,
    pub name: String,
    pub kind: CouponKind,
    pub stacks_with_tier: bool,
}

/// The store's points rules (MEM-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointsRules {
    /// Points earned per 1 CNY paid, before the tier multiplier.
    pub earn_per_yuan: Decimal,
    /// Points that are worth 1 CNY when redeemed.
    pub points_per_yuan: u32,
}

impl Default for PointsRules {
    fn default() -> Self {
        PointsRules {
            earn_per_yuan: Decimal::ONE,
            points_per_yuan: 100,
        }
    }
}

/// Everything the bill depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillRequest {
    pub items: Vec<Item>,
    /// Usable packages in the order to use them (soonest expiry first).
    pub packages: Vec<PackageOffer>,
    /// `None` for a bill without a member (no discount, no points).
    pub tier: Option<TierOffer>,
    pub coupon: Option<CouponOffer>,
    /// Points the customer wants to redeem.
    pub points: u64,
    pub points_balance: u64,
    pub points_rules: PointsRules,
}

/// A priced line as the receipt shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PricedItem {
    pub item: ItemRef,
    pub name: String,
    pub unit_price: Money,
    pub qty: u32,
    pub amount: Money,
}

/// One step taken off the subtotal, in the order PAY-1 gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Step {
    /// Uses of a package (次卡) pay for a service; `remaining` is what is left after.
    Package {
        package: PackageId,
        service: ServiceId,
        name: String,
        uses: u32,
        remaining: u32,
    },
    TierDiscount {
        tier: Tier,
        percent: Decimal,
    },
    Coupon {
        coupon: CouponId,
        name: String,
    },
    Points {
        points: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Adjustment {
    pub step: Step,
    /// Taken off the bill (positive).
    pub amount: Money,
}

/// The priced bill: what the customer owes and what they earn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Bill {
    pub items: Vec<PricedItem>,
    pub subtotal: Money,
    pub adjustments: Vec<Adjustment>,
    /// The coupon does not combine with the member discount, so that discount was left out.
    pub tier_discount_skipped: bool,
    pub due: Money,
    pub points_earned: u64,
}

impl Bill {
    pub fn total_off(&self) -> Decimal {
        self.adjustments.iter().map(|a| a.amount.amount()).sum()
    }
}

/// Why a bill or its payment is refused, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillError {
    #[error("the bill has no items")]
    Empty,
    #[error("at most {MAX_ITEMS} lines, {MAX_QTY} of each, {MONEY_MAX} in all")]
    TooLarge,
    #[error("quantity must be at least 1")]
    Quantity,
    #[error("coupon does not apply: {0}")]
    CouponNotApplicable(String),
    #[error("only {balance} points available")]
    PointsInsufficient { balance: u64 },
    #[error("at most {max} points can be used on this bill")]
    PointsExceedDue { max: u64 },
    #[error("paid {paid} of {due}")]
    PaymentShort { due: Money, paid: Decimal },
    #[error("only cash can be more than the amount due (change is given in cash)")]
    Overpaid,
    #[error("stored value balance is {balance}")]
    BalanceInsufficient { balance: Decimal },
    #[error("mobile payments need their transaction reference (1–64 characters)")]
    ReferenceRequired,
    #[error("each payment must be more than 0, at most 6 payments")]
    PaymentInvalid,
}

impl BillError {
    pub fn code(&self) -> &'static str {
        match self {
            BillError::Empty => "bill_empty",
            BillError::TooLarge => "bill_too_large",
            BillError::Quantity => "quantity_invalid",
            BillError::CouponNotApplicable(_) => "coupon_not_applicable",
            BillError::PointsInsufficient { .. } => "points_insufficient",
            BillError::PointsExceedDue { .. } => "points_exceed_due",
            BillError::PaymentShort { .. } => "payment_short",
            BillError::Overpaid => "payment_overpaid",
            BillError::BalanceInsufficient { .. } => "balance_insufficient",
            BillError::ReferenceRequired => "payment_reference_required",
            BillError::PaymentInvalid => "payment_invalid",
        }
    }
}

/// Every amount made here is part of a subtotal already checked against `MONEY_MAX` and is
/// never negative, so `Money::new` cannot refuse it.
fn money(d: Decimal) -> Money {
    Money::new(round(d.max(Decimal::ZERO))).unwrap_or(Money::ZERO)
}

/// Prices a bill. Pure: the same request always gives the same bill.
pub fn price(req: &BillRequest) -> Result<Bill, BillError> {
    if req.items.is_empty() {
        return Err(BillError::Empty);
    }
    if req.items.len() > MAX_ITEMS || req.items.iter().any(|i| i.qty > MAX_QTY) {
        return Err(BillError::TooLarge);
    }
    if req.items.iter().any(|i| i.qty == 0) {
        return Err(BillError::Quantity);
    }
    let items: Vec<PricedItem> = req
        .items
        .iter()
        .map(|i| PricedItem {
            item: i.item,
            name: i.name.clone(),
            unit_price: i.unit_price,
            qty: i.qty,
            amount: money(i.unit_price.amount() * Decimal::from(i.qty)),
        })
        .collect();
    let subtotal: Decimal = req
        .items
        .iter()
        .map(|i| i.unit_price.amount() * Decimal::from(i.qty))
        .sum();
    if subtotal > MONEY_MAX {
        return Err(BillError::TooLarge);
    }
    let mut adjustments = Vec::new();

    // 1. Package uses: each unit of a service covered by a package costs nothing.
    //    `open[i]` is how many units of line i are still to be paid for.
    let mut open: Vec<u32> = items.iter().map(|i| i.qty).collect();
    let mut left: Vec<u32> = req.packages.iter().map(|p| p.remaining).collect();
    for (i, it) in items.iter().enumerate() {
        let ItemRef::Service { id, .. } = it.item else {
            continue;
        };
        for (p, pkg) in req.packages.iter().enumerate() {
            if pkg.service != id || open[i] == 0 || left[p] == 0 {
                continue;
            }
            let uses = open[i].min(left[p]);
            open[i] -= uses;
            left[p] -= uses;
            adjustments.push(Adjustment {
                step: Step::Package {
                    package: pkg.id,
                    service: id,
                    name: pkg.name.clone(),
                    uses,
                    remaining: left[p],
                },
                amount: money(it.unit_price.amount() * Decimal::from(uses)),
            });
        }
    }
    let line_open = |i: usize| items[i].unit_price.amount() * Decimal::from(open[i]);
    let after_packages: Decimal = (0..items.len()).map(line_open).sum();
    let mut remaining = after_packages;

    // 2. Tier discount, unless the coupon refuses to combine with it.
    let skip_tier = req.coupon.as_ref().is_some_and(|c| !c.stacks_with_tier);
    let mut kept = Decimal::ONE; // the share of each line still owed after the tier discount
    if let Some(t) = &req.tier
        && !t.discount_percent.is_zero()
        && !skip_tier
    {
        let off = money(after_packages * t.discount_percent / Decimal::ONE_HUNDRED);
        if !off.amount().is_zero() {
            kept = (Decimal::ONE_HUNDRED - t.discount_percent) / Decimal::ONE_HUNDRED;
            remaining -= off.amount();
            adjustments.push(Adjustment {
                step: Step::TierDiscount {
                    tier: t.tier,
                    percent: t.discount_percent,
                },
                amount: off,
            });
        }
    }
    let tier_discount_skipped = skip_tier
        && req
            .tier
            .as_ref()
            .is_some_and(|t| !t.discount_percent.is_zero());

    // 3. Coupon, on what is owed after the tier discount.
    if let Some(c) = &req.coupon {
        let off = match &c.kind {
            CouponKind::Threshold { min_spend, off } => {
                if remaining < min_spend.amount() {
                    return Err(BillError::CouponNotApplicable(format!(
                        "needs a spend of {min_spend}, the bill is {}",
                        money(remaining)
                    )));
                }
                off.amount()
            }
            CouponKind::Percent {
                percent,
                categories,
            } => {
                let base: Decimal = (0..items.len())
                    .filter(|&i| match items[i].item {
                        ItemRef::Service { category, .. } => {
                            categories.is_empty() || categories.contains(&category)
                        }
                        ItemRef::Product { .. } => categories.is_empty(),
                    })
                    .map(|i| line_open(i) * kept)
                    .sum();
                if base.is_zero() {
                    return Err(BillError::CouponNotApplicable(
                        "nothing on the bill is in the coupon's categories".into(),
                    ));
                }
                base * percent / Decimal::ONE_HUNDRED
            }
            CouponKind::Exchange { item } => {
                let Some(i) =
                    (0..items.len()).find(|&i| open[i] > 0 && items[i].item.matches(*item))
                else {
                    return Err(BillError::CouponNotApplicable(
                        "the coupon's item is not on the bill".into(),
                    ));
                };
                items[i].unit_price.amount() * kept
            }
        };
        let off = money(off.min(remaining));
        remaining -= off.amount();
        adjustments.push(Adjustment {
            step: Step::Coupon {
                coupon: c.id,
                name: c.name.clone(),
            },
            amount: off,
        });
    }

    // 4. Points: `points_per_yuan` points are worth 1 CNY, cut down to whole cents.
    if req.points > 0 {
        if req.points > req.points_balance {
            return Err(BillError::PointsInsufficient {
                balance: req.points_balance,
            });
        }
        let per = Decimal::from(req.points_rules.points_per_yuan.max(1));
        let value = (Decimal::from(req.points) / per).trunc_with_scale(2);
        if value > remaining {
            let max = (remaining * per).floor();
            return Err(BillError::PointsExceedDue {
                max: u64::try_from(max).unwrap_or(0),
            });
        }
        remaining -= value;
        adjustments.push(Adjustment {
            step: Step::Points { points: req.points },
            amount: money(value),
        });
    }

    // 5. What is left is paid; points are earned on it (MEM-4).
    let due = money(remaining);
    let points_earned = match &req.tier {
        Some(t) => {
            let p = (due.amount() * req.points_rules.earn_per_yuan * t.points_multiplier).floor();
            u64::try_from(p).unwrap_or(0)
        }
        None => 0,
    };
    Ok(Bill {
        items,
        subtotal: money(subtotal),
        adjustments,
        tier_discount_skipped,
        due,
        points_earned,
    })
}

/// How a bill is paid (PAY-2).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PayMethod {
    Cash,
    /// WeChat Pay, Alipay, UnionPay QR: paid on the customer's phone, reference recorded.
    Mobile,
    /// The customer's stored-value balance (MEM-3).
    StoredValue,
}

impl PayMethod {
    pub const ALL: [PayMethod; 3] = [PayMethod::Cash, PayMethod::Mobile, PayMethod::StoredValue];
}

/// Money handed over by one method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tender {
    pub method: PayMethod,
    pub amount: Money,
    #[serde(default)]
    pub reference: Option<String>,
}

/// Money kept by one method: what the bill's payment lines and the cash-up count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Payment {
    pub method: PayMethod,
    pub amount: Money,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Settlement {
    pub payments: Vec<Payment>,
    /// Cash handed over, and the change given back from it.
    pub cash_tendered: Money,
    pub change: Money,
}

impl Settlement {
    pub fn paid_by(&self, method: PayMethod) -> Decimal {
        self.payments
            .iter()
            .filter(|p| p.method == method)
            .map(|p| p.amount.amount())
            .sum()
    }
}

/// Splits `due` over the tenders: only cash may exceed what is owed, and the excess comes
/// back as change; stored value may not exceed the balance.
pub fn settle(
    due: Money,
    tenders: &[Tender],
    stored_value: Decimal,
) -> Result<Settlement, BillError> {
    if tenders.len() > 6 || tenders.iter().any(|t| t.amount.amount().is_zero()) {
        return Err(BillError::PaymentInvalid);
    }
    let mut payments: Vec<Payment> = Vec::new();
    for t in tenders {
        let reference = match (t.method, t.reference.as_deref().map(str::trim)) {
            (PayMethod::Mobile, Some(r)) if (1..=64).contains(&r.chars().count()) => {
                if r.chars().any(char::is_control) {
                    return Err(BillError::ReferenceRequired);
                }
                Some(r.to_string())
            }
            (PayMethod::Mobile, _) => return Err(BillError::ReferenceRequired),
            _ => None,
        };
        payments.push(Payment {
            method: t.method,
            amount: t.amount,
            reference,
        });
    }
    let sum = |m: Option<PayMethod>| -> Decimal {
        payments
            .iter()
            .filter(|p| m.is_none_or(|m| p.method == m))
            .map(|p| p.amount.amount())
            .sum()
    };
    let total = sum(None);
    let cash = sum(Some(PayMethod::Cash));
    let stored = sum(Some(PayMethod::StoredValue));
    if total < due.amount() {
        return Err(BillError::PaymentShort { due, paid: total });
    }
    if total - cash > due.amount() {
        return Err(BillError::Overpaid);
    }
    if stored > stored_value {
        return Err(BillError::BalanceInsufficient {
            balance: stored_value,
        });
    }
    let change = total - due.amount();
    // Cash tenders become one cash payment of what was kept.
    payments.retain(|p| p.method != PayMethod::Cash);
    if cash > change {
        payments.insert(
            0,
            Payment {
                method: PayMethod::Cash,
                amount: money(cash - change),
                reference: None,
            },
        );
    }
    Ok(Settlement {
        payments,
        cash_tendered: money(cash),
        change: money(change),
    })
}

#[cfg(test)]
mod tests;
