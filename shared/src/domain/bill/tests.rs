//! Pricing tables: exact bills for each benefit and their combinations, rounding edges, and
//! invariants over every combination of benefits.

use super::*;
use crate::coupon::{CouponKind, ExchangeItem};
use rust_decimal_macros::dec;

fn m(d: Decimal) -> Money {
    Money::new(d).expect("money")
}

const CUT: ServiceId = ServiceId(1);
const COLOUR: ServiceId = ServiceId(2);
const WASH: ServiceId = ServiceId(3);
const SHAMPOO: ProductId = ProductId(7);

fn service(id: ServiceId, category: ServiceCategory, price: Decimal, qty: u32) -> Item {
    Item {
        item: ItemRef::Service { id, category },
        name: format!("service {}", id.0),
        unit_price: m(price),
        qty,
    }
}

fn product(price: Decimal, qty: u32) -> Item {
    Item {
        item: ItemRef::Product { id: SHAMPOO },
        name: "shampoo".into(),
        unit_price: m(price),
        qty,
    }
}

fn cut(price: Decimal) -> Item {
    service(CUT, ServiceCategory::CutStyle, price, 1)
}
fn colour(price: Decimal) -> Item {
    service(COLOUR, ServiceCategory::Colour, price, 1)
}
fn washes(n: u32) -> Item {
    service(WASH, ServiceCategory::HairCare, dec!(40), n)
}

fn pkg(remaining: u32) -> PackageOffer {
    PackageOffer {
        id: PackageId(5),
        service: WASH,
        name: "洗吹10次卡".into(),
        remaining,
    }
}

fn tier(percent: Decimal) -> TierOffer {
    TierOffer {
        tier: Tier::Gold,
        discount_percent: percent,
        points_multiplier: dec!(1.5),
    }
}

fn coupon(kind: CouponKind, stacks: bool) -> CouponOffer {
    CouponOffer {
        id: CouponId(9),
        name: "coupon".into(),
        kind,
        stacks_with_tier: stacks,
    }
}

fn threshold(min: Decimal, off: Decimal) -> CouponKind {
    CouponKind::Threshold {
        min_spend: m(min),
        off: m(off),
    }
}

fn percent(p: Decimal, categories: &[ServiceCategory]) -> CouponKind {
    CouponKind::Percent {
        percent: p,
        categories: categories.to_vec(),
    }
}

fn req(items: Vec<Item>) -> BillRequest {
    BillRequest {
        items,
        packages: vec![],
        tier: None,
        coupon: None,
        points: 0,
        points_balance: 0,
        points_rules: PointsRules::default(),
    }
}

/// (what, request, the amounts taken off in order, due, points earned)
type Case = (&'static str, BillRequest, Vec<Decimal>, Decimal, u64);

fn cases() -> Vec<Case> {
    let with = |items: Vec<Item>, f: &dyn Fn(&mut BillRequest)| {
        let mut r = req(items);
        f(&mut r);
        r
    };
    vec![
        (
            "no benefits",
            req(vec![cut(dec!(128)), product(dec!(89.9), 2)]),
            vec![],
            dec!(307.80),
            0,
        ),
        (
            "package covers every wash",
            with(vec![washes(2)], &|r| r.packages = vec![pkg(5)]),
            vec![dec!(80)],
            dec!(0),
            0,
        ),
        (
            "package covers part: 3 washes, 2 uses left",
            with(vec![washes(3)], &|r| r.packages = vec![pkg(2)]),
            vec![dec!(80)],
            dec!(40),
            0,
        ),
        (
            "two packages used in the order given",
            with(vec![washes(3)], &|r| {
                r.packages = vec![
                    pkg(1),
                    PackageOffer {
                        id: PackageId(6),
                        ..pkg(4)
                    },
                ]
            }),
            vec![dec!(40), dec!(80)],
            dec!(0),
            0,
        ),
        (
            "tier discount 10% with points earned ×1.5",
            with(vec![cut(dec!(128))], &|r| r.tier = Some(tier(dec!(10)))),
            vec![dec!(12.80)],
            dec!(115.20),
            172,
        ),
        (
            "tier discount rounds half away from zero: 5% of 12.30 = 0.615 → 0.62",
            with(vec![cut(dec!(12.30))], &|r| r.tier = Some(tier(dec!(5)))),
            vec![dec!(0.62)],
            dec!(11.68),
            17,
        ),
        (
            "tier discount 4.99% of 0.10 = 0.00499 → nothing shown",
            with(vec![cut(dec!(0.10))], &|r| r.tier = Some(tier(dec!(4.99)))),
            vec![],
            dec!(0.10),
            0,
        ),
        (
            "tier discount on what packages left",
            with(vec![washes(2), cut(dec!(100))], &|r| {
                r.packages = vec![pkg(2)];
                r.tier = Some(tier(dec!(10)));
            }),
            vec![dec!(80), dec!(10)],
            dec!(90),
            135,
        ),
        (
            "threshold coupon met after the tier discount",
            with(vec![cut(dec!(230))], &|r| {
                r.tier = Some(tier(dec!(10)));
                r.coupon = Some(coupon(threshold(dec!(200), dec!(30)), true));
            }),
            vec![dec!(23), dec!(30)],
            dec!(177),
            265,
        ),
        (
            "threshold met exactly at the limit",
            with(vec![cut(dec!(200))], &|r| {
                r.coupon = Some(coupon(threshold(dec!(200), dec!(30)), true))
            }),
            vec![dec!(30)],
            dec!(170),
            0,
        ),
        (
            "coupon that does not stack replaces the tier discount",
            with(vec![cut(dec!(230))], &|r| {
                r.tier = Some(tier(dec!(10)));
                r.coupon = Some(coupon(threshold(dec!(200), dec!(30)), false));
            }),
            vec![dec!(30)],
            dec!(200),
            300,
        ),
        (
            "percent coupon on colour only, after the tier discount",
            with(vec![cut(dec!(100)), colour(dec!(300))], &|r| {
                r.tier = Some(tier(dec!(10)));
                r.coupon = Some(coupon(percent(dec!(20), &[ServiceCategory::Colour]), true));
            }),
            // tier 10% of 400 = 40; coupon 20% of 300 × 0.9 = 54
            vec![dec!(40), dec!(54)],
            dec!(306),
            459,
        ),
        (
            "percent coupon rounding: 15% of 33.33 = 4.9995 → 5.00",
            with(vec![cut(dec!(33.33))], &|r| {
                r.coupon = Some(coupon(percent(dec!(15), &[]), true))
            }),
            vec![dec!(5.00)],
            dec!(28.33),
            0,
        ),
        (
            "percent coupon on all lines includes products",
            with(vec![cut(dec!(100)), product(dec!(50), 1)], &|r| {
                r.coupon = Some(coupon(percent(dec!(10), &[]), true))
            }),
            vec![dec!(15)],
            dec!(135),
            0,
        ),
        (
            "exchange coupon frees one unit, after the tier discount",
            with(vec![cut(dec!(128)), product(dec!(60), 2)], &|r| {
                r.tier = Some(tier(dec!(10)));
                r.coupon = Some(coupon(
                    CouponKind::Exchange {
                        item: ExchangeItem::Product(SHAMPOO),
                    },
                    true,
                ));
            }),
            // tier 10% of 248 = 24.80; one shampoo at 60 × 0.9 = 54
            vec![dec!(24.80), dec!(54)],
            dec!(169.20),
            253,
        ),
        (
            "exchange coupon skips units a package paid",
            with(vec![washes(2)], &|r| {
                r.packages = vec![pkg(1)];
                r.coupon = Some(coupon(
                    CouponKind::Exchange {
                        item: ExchangeItem::Service(WASH),
                    },
                    true,
                ));
            }),
            vec![dec!(40), dec!(40)],
            dec!(0),
            0,
        ),
        (
            "points: 1,000 points = 10.00",
            with(vec![cut(dec!(128))], &|r| {
                r.tier = Some(tier(dec!(0)));
                r.points = 1000;
                r.points_balance = 5000;
            }),
            vec![dec!(10)],
            dec!(118),
            177,
        ),
        (
            "points worth less than a cent are cut, not rounded: 150 points at 1000/CNY = 0.15",
            with(vec![cut(dec!(1))], &|r| {
                r.tier = Some(tier(dec!(0)));
                r.points = 155;
                r.points_balance = 200;
                r.points_rules.points_per_yuan = 1000;
            }),
            vec![dec!(0.15)],
            dec!(0.85),
            1,
        ),
        (
            "every benefit at once, in PAY-1 order",
            with(
                vec![
                    washes(1),
                    cut(dec!(168)),
                    colour(dec!(388)),
                    product(dec!(99), 1),
                ],
                &|r| {
                    r.packages = vec![pkg(3)];
                    r.tier = Some(tier(dec!(5)));
                    r.coupon = Some(coupon(threshold(dec!(500), dec!(50)), true));
                    r.points = 2345;
                    r.points_balance = 3000;
                },
            ),
            // packages 40; tier 5% of 655 = 32.75; coupon 50; points 23.45
            vec![dec!(40), dec!(32.75), dec!(50), dec!(23.45)],
            dec!(548.80),
            823,
        ),
        (
            "benefits can bring the bill to zero, never below",
            with(vec![cut(dec!(20))], &|r| {
                r.coupon = Some(coupon(threshold(dec!(20), dec!(20)), true));
            }),
            vec![dec!(20)],
            dec!(0),
            0,
        ),
    ]
}

#[test]
fn pricing_table() {
    for (what, r, offs, due, earned) in cases() {
        let bill = price(&r).unwrap_or_else(|e| panic!("{what}: {e}"));
        let got: Vec<Decimal> = bill.adjustments.iter().map(|a| a.amount.amount()).collect();
        assert_eq!(got, offs, "{what}: adjustments");
        assert_eq!(bill.due.amount(), due, "{what}: due");
        assert_eq!(bill.points_earned, earned, "{what}: points earned");
        assert_eq!(
            bill.subtotal.amount() - bill.total_off(),
            bill.due.amount(),
            "{what}: sums"
        );
    }
}

#[test]
fn refusals() {
    let with = |items: Vec<Item>, f: &dyn Fn(&mut BillRequest)| {
        let mut r = req(items);
        f(&mut r);
        price(&r).err().map(|e| e.code())
    };
    let cases = [
        (with(vec![], &|_| {}), "bill_empty"),
        (with(vec![washes(0)], &|_| {}), "quantity_invalid"),
        (with(vec![washes(100)], &|_| {}), "bill_too_large"),
        (
            with(
                vec![service(CUT, ServiceCategory::CutStyle, dec!(1000000), 2)],
                &|_| {},
            ),
            "bill_too_large",
        ),
        (
            with(vec![cut(dec!(199.99))], &|r| {
                r.coupon = Some(coupon(threshold(dec!(200), dec!(30)), true))
            }),
            "coupon_not_applicable",
        ),
        (
            // The tier discount takes the bill under the threshold.
            with(vec![cut(dec!(210))], &|r| {
                r.tier = Some(tier(dec!(10)));
                r.coupon = Some(coupon(threshold(dec!(200), dec!(30)), true));
            }),
            "coupon_not_applicable",
        ),
        (
            with(vec![cut(dec!(100))], &|r| {
                r.coupon = Some(coupon(percent(dec!(20), &[ServiceCategory::Colour]), true))
            }),
            "coupon_not_applicable",
        ),
        (
            with(vec![washes(1)], &|r| {
                r.packages = vec![pkg(1)];
                r.coupon = Some(coupon(
                    CouponKind::Exchange {
                        item: ExchangeItem::Service(WASH),
                    },
                    true,
                ));
            }),
            "coupon_not_applicable",
        ),
        (
            with(vec![cut(dec!(100))], &|r| {
                r.points = 501;
                r.points_balance = 500;
            }),
            "points_insufficient",
        ),
        (
            with(vec![cut(dec!(100))], &|r| {
                r.points = 10_001;
                r.points_balance = 20_000;
            }),
            "points_exceed_due",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, Some(want));
    }
    // The refusal tells the most points that fit.
    let mut r = req(vec![cut(dec!(100))]);
    r.points = 10_001;
    r.points_balance = 20_000;
    assert_eq!(price(&r), Err(BillError::PointsExceedDue { max: 10_000 }));
}

/// Every combination of package, tier, coupon and points: the bill always adds up, every
/// amount is whole cents, steps come in PAY-1's order, and nothing goes below zero.
#[test]
fn every_combination_adds_up() {
    let items = [
        vec![cut(dec!(128))],
        vec![washes(3), colour(dec!(333.33))],
        vec![washes(1), product(dec!(0.01), 3), cut(dec!(99.99))],
    ];
    let packages = [vec![], vec![pkg(1)], vec![pkg(9)]];
    let tiers = [
        None,
        Some(tier(dec!(0))),
        Some(tier(dec!(5))),
        Some(tier(dec!(12.5))),
    ];
    let coupons = [
        None,
        Some(coupon(threshold(dec!(50), dec!(15)), true)),
        Some(coupon(threshold(dec!(50), dec!(15)), false)),
        Some(coupon(percent(dec!(17), &[]), true)),
        Some(coupon(
            percent(dec!(33.3), &[ServiceCategory::Colour]),
            false,
        )),
        Some(coupon(
            CouponKind::Exchange {
                item: ExchangeItem::Service(WASH),
            },
            true,
        )),
    ];
    let points = [0u64, 1, 777, 1_000_000];
    let mut priced = 0;
    for it in &items {
        for p in &packages {
            for t in &tiers {
                for c in &coupons {
                    for &pts in &points {
                        let r = BillRequest {
                            items: it.clone(),
                            packages: p.clone(),
                            tier: t.clone(),
                            coupon: c.clone(),
                            points: pts,
                            points_balance: 2_000_000,
                            points_rules: PointsRules::default(),
                        };
                        let Ok(bill) = price(&r) else { continue };
                        priced += 1;
                        let ctx = format!("{r:?}");
                        assert_eq!(
                            bill.subtotal.amount() - bill.total_off(),
                            bill.due.amount(),
                            "{ctx}"
                        );
                        for a in &bill.adjustments {
                            assert!(a.amount.amount().scale() == 2, "{ctx}");
                        }
                        let order: Vec<u8> = bill
                            .adjustments
                            .iter()
                            .map(|a| match a.step {
                                Step::Package { .. } => 0,
                                Step::TierDiscount { .. } => 1,
                                Step::Coupon { .. } => 2,
                                Step::Points { .. } => 3,
                            })
                            .collect();
                        assert!(order.windows(2).all(|w| w[0] <= w[1]), "{ctx}");
                        let tier_shown = order.contains(&1);
                        if c.as_ref().is_some_and(|c| !c.stacks_with_tier) {
                            assert!(!tier_shown, "{ctx}");
                        }
                        if t.is_none() {
                            assert_eq!(bill.points_earned, 0, "{ctx}");
                        }
                    }
                }
            }
        }
    }
    assert!(priced > 500, "only {priced} combinations priced");
}

fn tender(method: PayMethod, amount: Decimal, reference: Option<&str>) -> Tender {
    Tender {
        method,
        amount: m(amount),
        reference: reference.map(String::from),
    }
}

#[test]
fn payments() {
    use PayMethod::*;
    let due = m(dec!(177));
    // Exact mobile payment.
    let s = settle(
        due,
        &[tender(Mobile, dec!(177), Some("WX4200001"))],
        dec!(0),
    )
    .expect("ok");
    assert_eq!((s.paid_by(Mobile), s.change.amount()), (dec!(177), dec!(0)));
    // Cash with change.
    let s = settle(due, &[tender(Cash, dec!(200), None)], dec!(0)).expect("ok");
    assert_eq!(
        (s.paid_by(Cash), s.change.amount(), s.cash_tendered.amount()),
        (dec!(177), dec!(23), dec!(200))
    );
    // Split: stored value then cash, with change from the cash.
    let s = settle(
        due,
        &[
            tender(StoredValue, dec!(150), None),
            tender(Cash, dec!(50), None),
        ],
        dec!(150),
    )
    .expect("ok");
    assert_eq!(
        (s.paid_by(StoredValue), s.paid_by(Cash), s.change.amount()),
        (dec!(150), dec!(27), dec!(23))
    );
    // Nothing due, nothing paid.
    let s = settle(Money::ZERO, &[], dec!(0)).expect("ok");
    assert!(s.payments.is_empty());

    let refused = [
        (
            settle(due, &[tender(Cash, dec!(176.99), None)], dec!(0)),
            "payment_short",
        ),
        (
            settle(due, &[tender(Mobile, dec!(200), Some("x"))], dec!(0)),
            "payment_overpaid",
        ),
        (
            settle(
                due,
                &[
                    tender(StoredValue, dec!(100), None),
                    tender(Mobile, dec!(100), Some("x")),
                ],
                dec!(500),
            ),
            "payment_overpaid",
        ),
        (
            settle(due, &[tender(StoredValue, dec!(177), None)], dec!(176.99)),
            "balance_insufficient",
        ),
        (
            settle(due, &[tender(Mobile, dec!(177), None)], dec!(0)),
            "payment_reference_required",
        ),
        (
            settle(due, &[tender(Mobile, dec!(177), Some("  "))], dec!(0)),
            "payment_reference_required",
        ),
        (
            settle(
                due,
                &[tender(Cash, dec!(0), None), tender(Cash, dec!(177), None)],
                dec!(0),
            ),
            "payment_invalid",
        ),
    ];
    for (got, want) in refused {
        assert_eq!(got.err().map(|e| e.code()), Some(want));
    }
}
