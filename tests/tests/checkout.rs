//! Money end to end (PAY, MEM, CPN, REC): a visit recorded and paid with every member
//! benefit, retried without a second charge, refunded with every effect reversed; refusals
//! that change nothing; concurrent checkouts that never overdraw; merges that keep balances.

mod common;

use common::*;
use redb::ReadableDatabase;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use salon_shared::api::*;
use salon_shared::bill::{PayMethod, Step, Tender};
use salon_shared::client::Client;
use salon_shared::coupon::CouponState;
use salon_shared::{CustomerId, ProductId, Role, ServiceCategory, ServiceId, StaffId, Tier};
use salon_tests::TestServer;

fn cash(amount: &str) -> Tender {
    Tender {
        method: PayMethod::Cash,
        amount: money(amount),
        reference: None,
    }
}
fn card(amount: &str) -> Tender {
    Tender {
        method: PayMethod::StoredValue,
        amount: money(amount),
        reference: None,
    }
}
fn mobile(amount: &str, reference: &str) -> Tender {
    Tender {
        method: PayMethod::Mobile,
        amount: money(amount),
        reference: Some(reference.into()),
    }
}

/// A catalog: cut 88, wash 40, a shampoo at 60 with 10 in stock, a 10-wash package for 320
/// and a "spend 100, take 20 off" coupon. Members of every tier get 5% off.
struct Shop {
    cut: ServiceId,
    wash: ServiceId,
    shampoo: ProductId,
    plan: u64,
    coupon: salon_shared::CouponDefId,
    tony: StaffId,
}

async fn priced(m: &Client, name: &str, category: ServiceCategory, price: &str) -> ServiceId {
    let input = ServiceInput {
        category,
        ..service(name, price)
    };
    m.create_service(&input, None).await.expect("service").id
}

async fn shop(srv: &TestServer) -> Shop {
    let m = &srv.manager;
    let cut = priced(m, "洗剪吹", ServiceCategory::CutStyle, "88").await;
    let wash = priced(m, "洗吹", ServiceCategory::HairCare, "40").await;
    let shampoo = m
        .create_product(&ProductInput {
            name: "修护洗发水".into(),
            brand: "Aveda".into(),
            barcode: None,
            price: money("60"),
        })
        .await
        .expect("product")
        .id;
    m.move_stock(
        shampoo,
        &StockInput {
            reason: StockReason::Receive,
            qty: 10,
        },
        None,
    )
    .await
    .expect("stock");
    let plan = ten_use_plan(m, wash).await.id;
    let coupon = coupon_100_off_20(m).await.id;
    let mut set = m.member_settings().await.expect("settings");
    for r in &mut set.tiers.rules {
        r.discount_percent = dec!(5);
    }
    m.put_member_settings(&set).await.expect("settings saved");
    let tony = stylist(
        srv,
        "Tony",
        &[ServiceCategory::CutStyle, ServiceCategory::HairCare],
    )
    .await;
    Shop {
        cut,
        wash,
        shampoo,
        plan,
        coupon,
        tony,
    }
}

/// A front-desk tablet with Amy signed in by PIN.
async fn till(srv: &TestServer) -> Client {
    let amy = srv
        .manager
        .create_staff(
            &StaffInput {
                role: salon_shared::StaffRole::FrontDesk,
                ..staff("Amy", Some("2468"))
            },
            None,
        )
        .await
        .expect("staff");
    let tablet = srv.client(Role::FrontDesk).await;
    tablet.sign_in(amy.id, "2468").await.expect("signed in").1
}

/// A visit in the chair: checked in for cut + wash with Tony, called and started.
async fn in_the_chair(srv: &TestServer, shop: &Shop, phone: &str) -> Ticket {
    let m = &srv.manager;
    let t = m
        .check_in(
            &check_in(by_phone(phone), &[shop.cut, shop.wash], Some(shop.tony)),
            None,
        )
        .await
        .expect("checked in")
        .ticket;
    m.queue_move(t.id, QueueAction::Call).await.expect("called");
    m.queue_move(t.id, QueueAction::Start)
        .await
        .expect("started")
}

fn sale(ticket: &Ticket, shop: &Shop) -> CheckoutInput {
    CheckoutInput {
        ticket_id: Some(ticket.id),
        customer_id: None,
        stylist: None,
        items: vec![
            SaleItem::Service {
                id: shop.cut,
                qty: 1,
            },
            SaleItem::Service {
                id: shop.wash,
                qty: 1,
            },
            SaleItem::Product {
                id: shop.shampoo,
                qty: 1,
            },
        ],
        use_packages: true,
        coupon: None,
        points: 0,
        tenders: vec![],
    }
}

/// A retail sale to `customer` (no visit), paid with `tenders`.
fn retail(customer: CustomerId, items: Vec<SaleItem>, tenders: Vec<Tender>) -> CheckoutInput {
    CheckoutInput {
        ticket_id: None,
        customer_id: Some(customer),
        stylist: None,
        items,
        use_packages: true,
        coupon: None,
        points: 0,
        tenders,
    }
}

/// One bottle of the shop's shampoo.
fn one_shampoo(shop: &Shop) -> Vec<SaleItem> {
    vec![SaleItem::Product {
        id: shop.shampoo,
        qty: 1,
    }]
}

/// Everything money-like about a customer, to compare before and after.
#[derive(Debug, PartialEq)]
struct Balances {
    stored_value: Decimal,
    points: u64,
    packages: Vec<u32>,
    coupons: Vec<CouponState>,
    tier: Tier,
    spend: Decimal,
    stock: i64,
}

async fn balances(c: &Client, who: CustomerId, shop: &Shop) -> Balances {
    let o = c.overview(who).await.expect("overview");
    let stock = c
        .products()
        .await
        .expect("products")
        .into_iter()
        .find(|p| p.id == shop.shampoo)
        .expect("shampoo")
        .stock;
    Balances {
        stored_value: o.wallet.stored_value,
        points: o.wallet.points,
        packages: o.packages.iter().map(|p| p.remaining).collect(),
        coupons: o.coupons.iter().map(|c| c.coupon.state.clone()).collect(),
        tier: o.customer.tier,
        spend: o.customer.total_spend,
        stock,
    }
}

/// Every cached balance equals its ledger, and each ledger's running balance is right.
async fn ledgers_balance(srv: &TestServer) {
    let r = srv.state.db.begin_read().expect("read");
    let wrong = store_server::ops::money::verify_ledgers(&r).expect("verified");
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_is_recorded_paid_with_every_benefit_and_refunded() {
    let srv = TestServer::start().await;
    let shop = shop(&srv).await;
    let desk = till(&srv).await;
    let (wang, p) = walk_in_customer(&srv, "王芳").await;
    let ticket = in_the_chair(&srv, &shop, &p).await;

    // The stylist records the visit: the shampoo used leaves stock.
    let record = VisitInput {
        services: vec![shop.cut, shop.wash],
        products_used: vec![ProductUse {
            product_id: shop.shampoo,
            qty: 1,
        }],
        formulas: vec![Formula {
            kind: FormulaKind::Colour,
            text: "7/1 + 8/0 1:1, 6% 30 min".into(),
        }],
        notes: "头皮敏感，水温低一点".into(),
        photo_consent: false,
    };
    desk.record_visit(ticket.id, &record, None)
        .await
        .expect("recorded");
    srv.manager
        .queue_move(ticket.id, QueueAction::Finish)
        .await
        .expect("finished");

    // Top-up 1000 in cash: the default rule adds 100. A package paid from stored value.
    let top = desk
        .top_up(
            wang.id,
            &TopUpInput {
                amount: money("1000"),
                tenders: vec![cash("1000")],
            },
            Some("top-1"),
        )
        .await
        .expect("topped up");
    assert_eq!(top.stored_value_after, Some(dec!(1100)));
    desk.sell_package(
        wang.id,
        &PackageSaleInput {
            plan_id: shop.plan,
            tenders: vec![card("320")],
        },
        Some("pkg-1"),
    )
    .await
    .expect("package sold");
    let coupon = desk
        .issue_coupon(wang.id, shop.coupon, None)
        .await
        .expect("coupon issued")
        .coupon;
    assert_err(
        desk.issue_coupon(wang.id, shop.coupon, None).await,
        409,
        "coupon_limit",
    );

    let before = balances(&desk, wang.id, &shop).await;
    assert_eq!(
        before,
        Balances {
            stored_value: dec!(780),
            points: 0,
            packages: vec![10],
            coupons: vec![CouponState::Issued],
            tier: Tier::Normal,
            spend: dec!(0),
            stock: 9
        }
    );

    // Preview: package → tier → coupon, each an exact line.
    let mut input = sale(&ticket, &shop);
    input.coupon = Some(coupon.id);
    let bill = desk.checkout_preview(&input).await.expect("preview");
    let lines: Vec<(String, Decimal)> = bill
        .adjustments
        .iter()
        .map(|a| {
            let what = match &a.step {
                Step::Package { remaining, .. } => format!("package, {remaining} left"),
                Step::TierDiscount { percent, .. } => format!("tier {percent}%"),
                Step::Coupon { name, .. } => format!("coupon {name}"),
                Step::Points { points } => format!("{points} points"),
            };
            (what, a.amount.amount())
        })
        .collect();
    assert_eq!(bill.subtotal.amount(), dec!(188));
    assert_eq!(
        lines,
        [
            ("package, 9 left".to_string(), dec!(40)),
            ("tier 5%".to_string(), dec!(7.40)),
            ("coupon 满100减20".to_string(), dec!(20)),
        ]
    );
    assert_eq!((bill.due.amount(), bill.points_earned), (dec!(120.60), 120));

    // Paid by stored value and cash, with change; retried with the same key, charged once.
    input.tenders = vec![card("100"), cash("50")];
    let paid = desk.checkout(&input, Some("sale-1")).await.expect("paid");
    assert_eq!(
        (
            paid.settlement.change.amount(),
            paid.settlement.paid_by(PayMethod::Cash)
        ),
        (dec!(29.40), dec!(20.60))
    );
    let again = desk
        .checkout(&input, Some("sale-1"))
        .await
        .expect("replayed");
    assert_eq!(again.id, paid.id);
    assert_err(
        desk.checkout(&input, Some("sale-2")).await,
        409,
        "already_paid",
    );
    let after = balances(&desk, wang.id, &shop).await;
    assert_eq!(
        after,
        Balances {
            stored_value: dec!(680),
            points: 120,
            packages: vec![9],
            coupons: vec![CouponState::Redeemed {
                checkout: paid.id,
                at: paid.at
            }],
            tier: Tier::Normal,
            spend: dec!(120.60),
            stock: 8,
        }
    );
    ledgers_balance(&srv).await;

    // The receipt shows every line; the profile shows the visit with its formula.
    let receipt = desk.receipt(paid.id).await.expect("receipt");
    for want in [
        "洗吹10次卡 抵扣 x1（剩余 9 次）",
        "会员折扣 Member -5%",
        "满100减20",
        "应付 Due  120.60",
        "找零 Change  29.40",
        "储值余额 Balance  680",
    ] {
        assert!(receipt.contains(want), "receipt lacks {want:?}:\n{receipt}");
    }
    let o = desk.overview(wang.id).await.expect("overview");
    let v = &o.visits[0];
    assert_eq!(
        (v.ticket_id, v.amount, v.stylist.as_deref()),
        (ticket.id, Some(money("120.60")), Some("Tony"))
    );
    assert_eq!(v.formulas, record.formulas);
    assert_eq!(
        v.products_used,
        vec![NamedQty {
            name: "修护洗发水".into(),
            qty: 1
        }]
    );

    // The day's cash-up, per method.
    let up = srv.manager.cash_up(None).await.expect("cash-up");
    let by = |m: PayMethod| {
        up.by_method
            .iter()
            .find(|t| t.method == Some(m))
            .cloned()
            .expect("method")
    };
    assert_eq!(
        (by(PayMethod::Cash).sales, by(PayMethod::Cash).top_ups),
        (dec!(20.60), dec!(1000))
    );
    assert_eq!(
        (
            by(PayMethod::StoredValue).sales,
            by(PayMethod::StoredValue).package_sales
        ),
        (dec!(100), dec!(320))
    );
    assert_eq!(
        (up.cash_in_drawer, up.change_given, up.bonus_given),
        (dec!(1020.60), dec!(29.40), dec!(100))
    );
    assert_eq!(
        (up.package_uses, up.tier_discounts, up.coupons),
        (dec!(40), dec!(7.40), dec!(20))
    );

    // A refund reverses every effect of the sale, and only of the sale.
    let refund = desk
        .refund(paid.id, "顾客不满意，全额退款", Some("refund-1"))
        .await
        .expect("refunded");
    assert_eq!(refund.payments, paid.settlement.payments);
    let restored = balances(&desk, wang.id, &shop).await;
    assert_eq!(restored, Balances { stock: 9, ..before });
    assert_err(
        desk.refund(paid.id, "again", None).await,
        409,
        "already_refunded",
    );
    let up = srv.manager.cash_up(None).await.expect("cash-up");
    assert_eq!((up.refunds, up.cash_in_drawer), (1, dec!(1000)));
    ledgers_balance(&srv).await;
    assert!(
        desk.receipt(paid.id)
            .await
            .expect("receipt")
            .contains("已退款 REFUNDED")
    );

    // A refunded visit can be billed again (refund and re-bill, never edit).
    let redo = CheckoutInput {
        tenders: vec![mobile("128.00", "WX420001")],
        coupon: None,
        ..sale(&ticket, &shop)
    };
    let bill = desk.checkout_preview(&redo).await.expect("preview");
    assert_eq!(bill.due.amount(), dec!(140.60));
    let redo = CheckoutInput {
        tenders: vec![mobile("140.60", "WX420001")],
        ..redo
    };
    desk.checkout(&redo, None).await.expect("billed again");
    ledgers_balance(&srv).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_checkouts_change_nothing() {
    let srv = TestServer::start().await;
    let shop = shop(&srv).await;
    let desk = till(&srv).await;
    let (wang, p) = walk_in_customer(&srv, "王芳").await;
    let (li, _) = walk_in_customer(&srv, "李娜").await;
    desk.top_up(
        wang.id,
        &TopUpInput {
            amount: money("100"),
            tenders: vec![cash("100")],
        },
        None,
    )
    .await
    .expect("topped up");
    let lis = desk
        .issue_coupon(li.id, shop.coupon, None)
        .await
        .expect("issued")
        .coupon;
    let waiting = srv
        .manager
        .check_in(&check_in(by_phone(&p), &[shop.cut], Some(shop.tony)), None)
        .await
        .expect("in")
        .ticket;
    let before = balances(&desk, wang.id, &shop).await;

    let retail = |items: Vec<SaleItem>, tenders: Vec<Tender>| retail(wang.id, items, tenders);
    let one = || one_shampoo(&shop);
    let unsigned = srv.client(Role::FrontDesk).await;
    assert_err(
        unsigned
            .checkout(&retail(one(), vec![cash("60")]), None)
            .await,
        401,
        "staff_sign_in_required",
    );
    let kiosk = srv.client(Role::Kiosk).await;
    assert_err(
        kiosk.checkout(&retail(one(), vec![cash("60")]), None).await,
        403,
        "forbidden",
    );
    let stylist_tablet = srv.client(Role::Stylist).await;
    assert_err(
        stylist_tablet
            .refund(salon_shared::CheckoutId(1), "x", None)
            .await,
        403,
        "forbidden",
    );
    let cases = [
        (retail(one(), vec![cash("56.99")]), 422, "payment_short"),
        (
            retail(one(), vec![mobile("60", " ")]),
            422,
            "payment_reference_required",
        ),
        (
            retail(one(), vec![mobile("70", "WX1")]),
            422,
            "payment_overpaid",
        ),
        (
            retail(
                vec![SaleItem::Product {
                    id: shop.shampoo,
                    qty: 2,
                }],
                vec![card("114")],
            ),
            409,
            "balance_insufficient",
        ),
        (
            retail(
                vec![SaleItem::Product {
                    id: shop.shampoo,
                    qty: 11,
                }],
                vec![cash("1000")],
            ),
            409,
            "stock_insufficient",
        ),
        (
            retail(
                vec![SaleItem::Product {
                    id: shop.shampoo,
                    qty: 0,
                }],
                vec![],
            ),
            422,
            "quantity_invalid",
        ),
        (retail(vec![], vec![]), 422, "bill_empty"),
        (
            retail(
                vec![SaleItem::Service {
                    id: ServiceId(999),
                    qty: 1,
                }],
                vec![cash("1")],
            ),
            422,
            "service_unknown",
        ),
        (
            CheckoutInput {
                coupon: Some(lis.id),
                ..retail(one(), vec![cash("57")])
            },
            409,
            "coupon_not_yours",
        ),
        (
            CheckoutInput {
                points: 1,
                ..retail(one(), vec![cash("57")])
            },
            409,
            "points_insufficient",
        ),
        (
            CheckoutInput {
                customer_id: None,
                points: 1,
                ..retail(one(), vec![cash("60")])
            },
            422,
            "points_need_member",
        ),
        (
            CheckoutInput {
                ticket_id: Some(waiting.id),
                ..retail(one(), vec![cash("57")])
            },
            409,
            "visit_not_started",
        ),
        (
            CheckoutInput {
                ticket_id: Some(999_999),
                ..retail(one(), vec![cash("57")])
            },
            404,
            "ticket_not_found",
        ),
        (
            CheckoutInput {
                ticket_id: Some(waiting.id),
                customer_id: Some(li.id),
                ..retail(one(), vec![cash("57")])
            },
            422,
            "customer_mismatch",
        ),
    ];
    for (input, status, code) in cases {
        assert_err(desk.checkout(&input, Some("same-key")).await, status, code);
    }
    assert_err(
        desk.top_up(
            wang.id,
            &TopUpInput {
                amount: money("50"),
                tenders: vec![card("50")],
            },
            None,
        )
        .await,
        422,
        "payment_invalid",
    );
    assert_err(
        desk.top_up(
            wang.id,
            &TopUpInput {
                amount: money("50"),
                tenders: vec![cash("40")],
            },
            None,
        )
        .await,
        422,
        "payment_short",
    );
    assert_err(
        desk.sell_package(
            wang.id,
            &PackageSaleInput {
                plan_id: shop.plan,
                tenders: vec![card("320")],
            },
            None,
        )
        .await,
        409,
        "balance_insufficient",
    );
    assert_eq!(
        balances(&desk, wang.id, &shop).await,
        before,
        "a refusal changed something"
    );
    let day = srv.manager.checkouts(None).await.expect("list");
    assert_eq!(day.len(), 1, "only the top-up was paid");
    ledgers_balance(&srv).await;

    // The same key, once the request is good, performs it (failures are not remembered).
    desk.checkout(&retail(one(), vec![cash("60")]), Some("same-key"))
        .await
        .expect("paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_ups_and_packages_refund_only_while_unspent() {
    let srv = TestServer::start().await;
    let shop = shop(&srv).await;
    let desk = till(&srv).await;
    let (wang, p) = walk_in_customer(&srv, "王芳").await;
    let top = desk
        .top_up(
            wang.id,
            &TopUpInput {
                amount: money("200"),
                tenders: vec![mobile("200", "ALI77")],
            },
            None,
        )
        .await
        .expect("top-up");
    let pkg = desk
        .sell_package(
            wang.id,
            &PackageSaleInput {
                plan_id: shop.plan,
                tenders: vec![cash("320")],
            },
            None,
        )
        .await
        .expect("package");
    let unused = desk
        .sell_package(
            wang.id,
            &PackageSaleInput {
                plan_id: shop.plan,
                tenders: vec![card("200"), cash("120")],
            },
            None,
        )
        .await
        .expect("package");

    // A wash paid by the first package (soonest to expire first: both alike, oldest first).
    let ticket = in_the_chair(&srv, &shop, &p).await;
    let wash_only = CheckoutInput {
        items: vec![SaleItem::Service {
            id: shop.wash,
            qty: 1,
        }],
        ..sale(&ticket, &shop)
    };
    let paid = desk
        .checkout(&wash_only, None)
        .await
        .expect("paid by package");
    assert_eq!(paid.due.amount(), dec!(0));
    let o = desk.overview(wang.id).await.expect("overview");
    assert_eq!(
        o.packages.iter().map(|p| p.remaining).collect::<Vec<_>>(),
        vec![9, 10]
    );

    assert_err(
        desk.refund(top.id, "换卡", None).await,
        409,
        "balance_already_used",
    );
    let CheckoutKind::PackageSale { .. } = pkg.kind else {
        panic!("a package sale")
    };
    assert_err(
        desk.refund(pkg.id, "不要了", None).await,
        409,
        "package_used",
    );
    // The unused package goes back, and so does the stored value it was paid with.
    desk.refund(unused.id, "买错了", None)
        .await
        .expect("refunded");
    let o = desk.overview(wang.id).await.expect("overview");
    assert_eq!(o.wallet.stored_value, dec!(200));
    assert!(o.packages[1].refunded && o.packages[1].remaining == 0);
    // Now the top-up is whole again, and can be refunded.
    desk.refund(top.id, "换卡", None)
        .await
        .expect("top-up refunded");
    assert_eq!(
        desk.overview(wang.id)
            .await
            .expect("overview")
            .wallet
            .stored_value,
        dec!(0)
    );
    let led = desk.ledgers(wang.id).await.expect("ledgers");
    assert_eq!(
        led.stored_value.iter().map(|e| e.amount).sum::<Decimal>(),
        dec!(0)
    );
    ledgers_balance(&srv).await;
}

/// A tiny deterministic generator, so each seed replays the same sequence.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Random sequences of concurrent top-ups, spends, refunds and retried checkouts: no
/// balance ever goes below zero, every balance equals its ledger, and a retried key charges
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_money_never_overdraws() {
    let srv = TestServer::start().await;
    let shop = shop(&srv).await;
    let desk = till(&srv).await;
    let (wang, _) = walk_in_customer(&srv, "王芳").await;
    srv.manager
        .move_stock(
            shop.shampoo,
            &StockInput {
                reason: StockReason::Receive,
                qty: 10_000,
            },
            None,
        )
        .await
        .expect("stock");
    desk.top_up(
        wang.id,
        &TopUpInput {
            amount: money("500"),
            tenders: vec![cash("500")],
        },
        None,
    )
    .await
    .expect("top-up");

    // 20 spends of 57 (60 less 5%) at once from a balance of 500: exactly 8 succeed.
    let spend = |key: String| {
        let desk = desk.clone();
        let input = retail(wang.id, one_shampoo(&shop), vec![card("57")]);
        async move { desk.checkout(&input, Some(&key)).await }
    };
    let results =
        futures_util::future::join_all((0..20).map(|i| spend(format!("spend-{i}")))).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 8);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(r.code(), "balance_insufficient");
    }
    assert_eq!(
        desk.overview(wang.id).await.expect("o").wallet.stored_value,
        dec!(44)
    );

    for seed in [1u64, 7, 42] {
        let mut rng = Lcg(seed);
        let mut paid: Vec<salon_shared::CheckoutId> = Vec::new();
        for round in 0..6 {
            let mut batch = Vec::new();
            for i in 0..8 {
                let key = format!("s{seed}-r{round}-{i}");
                let desk = desk.clone();
                let op = rng.next(4);
                let refund = paid
                    .get(rng.next(paid.len().max(1) as u64) as usize)
                    .copied();
                let f = spend(key.clone());
                batch.push(async move {
                    match (op, refund) {
                        (0, _) => desk
                            .top_up(
                                wang.id,
                                &TopUpInput {
                                    amount: money("100"),
                                    tenders: vec![cash("100")],
                                },
                                Some(&key),
                            )
                            .await
                            .map(|c| Some(c.id)),
                        (1, Some(id)) => desk.refund(id, "test", Some(&key)).await.map(|_| None),
                        // A spend sent twice with one key, at once.
                        (2, _) => {
                            let (a, b) = tokio::join!(f, spend(key.clone()));
                            if let (Ok(a), Ok(b)) = (&a, &b) {
                                assert_eq!(a.id, b.id, "one key, one charge");
                            }
                            a.map(|c| Some(c.id))
                        }
                        _ => f.await.map(|c| Some(c.id)),
                    }
                });
            }
            for r in futures_util::future::join_all(batch).await {
                match r {
                    Ok(Some(id)) => paid.push(id),
                    Ok(None) => {}
                    Err(e) => assert!(
                        [
                            "balance_insufficient",
                            "already_refunded",
                            "balance_already_used"
                        ]
                        .contains(&e.code()),
                        "unexpected refusal {e}"
                    ),
                }
            }
            let o = desk.overview(wang.id).await.expect("overview");
            assert!(o.wallet.stored_value >= Decimal::ZERO);
            ledgers_balance(&srv).await;
        }
    }
    let led = desk.ledgers(wang.id).await.expect("ledgers");
    let o = desk.overview(wang.id).await.expect("overview");
    assert_eq!(
        led.stored_value.iter().map(|e| e.amount).sum::<Decimal>(),
        o.wallet.stored_value
    );
    assert_eq!(
        led.points.iter().map(|e| e.amount).sum::<i64>(),
        o.wallet.points as i64
    );
    let mut running = Decimal::ZERO;
    for e in &led.stored_value {
        running += e.amount;
        assert_eq!(running, e.balance_after, "entry {}", e.seq);
        assert!(running >= Decimal::ZERO);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merging_duplicates_keeps_every_balance() {
    let srv = TestServer::start().await;
    let shop = shop(&srv).await;
    let desk = till(&srv).await;
    let (keep, _) = walk_in_customer(&srv, "王芳").await;
    let (dup, _) = walk_in_customer(&srv, "王芳").await;
    desk.top_up(
        keep.id,
        &TopUpInput {
            amount: money("100"),
            tenders: vec![cash("100")],
        },
        None,
    )
    .await
    .expect("top-up");
    desk.top_up(
        dup.id,
        &TopUpInput {
            amount: money("1000"),
            tenders: vec![cash("1000")],
        },
        None,
    )
    .await
    .expect("top-up");
    desk.sell_package(
        dup.id,
        &PackageSaleInput {
            plan_id: shop.plan,
            tenders: vec![cash("320")],
        },
        None,
    )
    .await
    .expect("package");
    desk.issue_coupon(dup.id, shop.coupon, None)
        .await
        .expect("coupon");
    desk.checkout(&retail(dup.id, one_shampoo(&shop), vec![cash("57")]), None)
        .await
        .expect("dup earns points");

    srv.manager
        .merge_customers(keep.id, dup.id, None)
        .await
        .expect("merged");
    let o = desk.overview(keep.id).await.expect("overview");
    assert_eq!((o.wallet.stored_value, o.wallet.points), (dec!(1200), 57));
    assert_eq!((o.packages.len(), o.coupons.len()), (1, 1));
    let gone = desk.overview(dup.id).await.expect("overview");
    assert_eq!(
        (
            gone.wallet.stored_value,
            gone.wallet.points,
            gone.packages.len()
        ),
        (dec!(0), 0, 0)
    );
    ledgers_balance(&srv).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_need_consent_and_go_with_erasure() {
    let srv = TestServer::start().await;
    let shop = shop(&srv).await;
    let desk = till(&srv).await;
    let (wang, p) = walk_in_customer(&srv, "王芳").await;
    let ticket = in_the_chair(&srv, &shop, &p).await;
    let photo = salon_tests::png_photo(4);
    let add = |kind: PhotoKind, ct: &'static str, bytes: Vec<u8>| {
        let desk = desk.clone();
        async move { desk.add_photo(ticket.id, kind, ct, bytes, None).await }
    };
    assert_err(
        add(PhotoKind::Before, "image/png", photo.clone()).await,
        409,
        "visit_not_recorded",
    );
    let mut record = VisitInput {
        services: vec![shop.cut],
        ..Default::default()
    };
    desk.record_visit(ticket.id, &record, None)
        .await
        .expect("recorded");
    assert_err(
        add(PhotoKind::Before, "image/png", photo.clone()).await,
        409,
        "photo_consent_missing",
    );

    record.photo_consent = true;
    let v = desk
        .record_visit(ticket.id, &record, None)
        .await
        .expect("consent recorded");
    assert!(v.photo_consent_at.is_some());
    assert_err(
        add(PhotoKind::Before, "text/plain", photo.clone()).await,
        415,
        "content_type",
    );
    assert_err(
        add(PhotoKind::Before, "image/jpeg", photo.clone()).await,
        422,
        "photo_invalid",
    );
    let big = [photo.clone(), vec![0; 3 * 1024 * 1024]].concat();
    assert_err(
        add(PhotoKind::Before, "image/png", big).await,
        413,
        "body_too_large",
    );
    let v = add(PhotoKind::Before, "image/png", photo.clone())
        .await
        .expect("photo kept");
    assert_eq!((v.photos.len(), v.photos[0].kind), (1, PhotoKind::Before));
    assert_eq!(
        desk.photo(ticket.id, v.photos[0].n).await.expect("photo"),
        photo
    );
    let o = desk.overview(wang.id).await.expect("overview");
    assert_eq!(o.visits[0].photos.len(), 1, "the 360 lists the photo");
    // The export lists it; erasure deletes it.
    let export = srv.manager.export_customer(wang.id).await.expect("export");
    assert_eq!(export.visits[0].photos.len(), 1);
    srv.manager
        .erase_customer(wang.id, None)
        .await
        .expect("erased");
    assert_err(desk.photo(ticket.id, v.photos[0].n).await, 404, "not_found");

    // Consent taken back deletes a visit's photos.
    let (_, p2) = walk_in_customer(&srv, "李娜").await;
    let t2 = in_the_chair(&srv, &shop, &p2).await;
    desk.record_visit(t2.id, &record, None)
        .await
        .expect("recorded");
    let v2 = desk
        .add_photo(t2.id, PhotoKind::After, "image/png", photo.clone(), None)
        .await
        .expect("photo");
    record.photo_consent = false;
    let v2b = desk
        .record_visit(t2.id, &record, None)
        .await
        .expect("consent withdrawn");
    assert!(v2b.photos.is_empty() && v2b.photo_consent_at.is_none());
    assert_err(desk.photo(t2.id, v2.photos[0].n).await, 404, "not_found");
}
