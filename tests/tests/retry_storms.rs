//! Retry storms with one `Idempotency-Key`, for a check-in, a checkout, a stored-value
//! top-up and a checkout that redeems a coupon, points and a package use: twenty identical
//! requests at once, ten more one after another, five resent by hand as a client whose
//! answer was lost would, and a few with the same key but another request. Each storm has
//! exactly one effect, every success carries the same answer, the other requests are
//! refused and change nothing, and every balance equals its ledger.
//!
//! The server runs every write, its idempotency check included, on one writer thread, so a
//! duplicate still in flight waits for the first and gets its answer; a "still in progress"
//! refusal (409) would be as good, and is accepted.

mod common;

use common::*;
use redb::ReadableDatabase;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use salon_shared::api::*;
use salon_shared::bill::{PayMethod, Tender};
use salon_shared::client::{Client, ClientError};
use salon_shared::coupon::CouponState;
use salon_shared::ledger::{PackageReason, PointsReason, ValueReason};
use salon_shared::{CheckoutId, CustomerId, ProductId, Role, ServiceCategory, ServiceId, StaffId};
use salon_tests::TestServer;
use serde_json::Value;
use std::future::Future;

/// Identical requests sent at once, then one after another, then by hand.
const STORM: usize = 20;
const RETRIES: usize = 10;
const RESENT: usize = 5;

fn cash(amount: &str) -> Tender {
    Tender {
        method: PayMethod::Cash,
        amount: money(amount),
        reference: None,
    }
}

/// Cut 88, wash 40, a shampoo at 60 with 10 in stock, a 10-wash package and a
/// "spend 100, take 20 off" coupon; Tony works all day. No tier discount.
struct Shop {
    cut: ServiceId,
    wash: ServiceId,
    shampoo: ProductId,
    plan: u64,
    coupon: salon_shared::CouponDefId,
    tony: StaffId,
}

async fn shop(srv: &TestServer) -> Shop {
    let m = &srv.manager;
    let priced = |name: &'static str, category: ServiceCategory, price: &'static str| async move {
        let input = ServiceInput {
            category,
            ..service(name, price)
        };
        m.create_service(&input, None).await.expect("service").id
    };
    let cut = priced("洗剪吹", ServiceCategory::CutStyle, "88").await;
    let wash = priced("洗吹", ServiceCategory::HairCare, "40").await;
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
    let stock = StockInput {
        reason: StockReason::Receive,
        qty: 10,
    };
    m.move_stock(shampoo, &stock, None).await.expect("stock");
    let plan = ten_use_plan(m, wash).await.id;
    let coupon = coupon_100_off_20(m).await.id;
    let skills = [ServiceCategory::CutStyle, ServiceCategory::HairCare];
    let tony = stylist(srv, "Tony", &skills).await;
    Shop {
        cut,
        wash,
        shampoo,
        plan,
        coupon,
        tony,
    }
}

/// The till: a manager device (money is taken by a signed-in staff member or a manager
/// device), with its raw token for requests resent by hand.
async fn till(srv: &TestServer) -> (Client, String) {
    let (client, token, _) = paired(srv, Role::Manager, "front desk pc").await;
    (client, token)
}

/// A visit in the chair: checked in with Tony for `services`, called and started.
async fn in_the_chair(srv: &TestServer, shop: &Shop, phone: &str, services: &[ServiceId]) -> u64 {
    let m = &srv.manager;
    let req = check_in(by_phone(phone), services, Some(shop.tony));
    let t = m.check_in(&req, None).await.expect("checked in").ticket;
    m.queue_move(t.id, QueueAction::Call).await.expect("called");
    m.queue_move(t.id, QueueAction::Start)
        .await
        .expect("started");
    t.id
}

type Answers = Vec<Result<Value, ClientError>>;

/// `STORM` copies of `call` at once, then `RETRIES` one after another.
async fn storm<F, Fut>(call: F) -> (Answers, Answers)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Value, ClientError>> + Send + 'static,
{
    let at_once: Vec<_> = (0..STORM).map(|_| tokio::spawn(call())).collect();
    let mut burst = Vec::new();
    for t in at_once {
        burst.push(t.await.expect("task"));
    }
    let mut after = Vec::new();
    for _ in 0..RETRIES {
        after.push(call().await);
    }
    (burst, after)
}

/// A refusal a duplicate still in flight may get instead of the first one's answer.
fn in_progress(e: &ClientError) -> bool {
    e.status() == Some(409) && e.code().contains("progress")
}

/// The storm's one answer: every success is the same body; once one succeeded, every later
/// retry replays it.
#[track_caller]
fn one_answer(what: &str, (burst, after): &(Answers, Answers)) -> Value {
    let first = burst
        .iter()
        .chain(after)
        .find_map(|r| r.as_ref().ok())
        .unwrap_or_else(|| panic!("{what}: no request of the storm succeeded: {burst:?}"))
        .clone();
    for r in burst {
        match r {
            Ok(v) => assert_eq!(v, &first, "{what}: one key, two answers"),
            Err(e) if in_progress(e) => {}
            Err(e) => panic!("{what}: a duplicate in flight was refused: {e}"),
        }
    }
    for r in after {
        assert_eq!(r.as_ref().ok(), Some(&first), "{what}: a later retry");
    }
    first
}

/// The request resent by hand `RESENT` times at once, with the same key and the same body,
/// as a client whose answer was lost would: each is answered 201 with the same body, which
/// read as the client reads it (`read`) is the storm's answer.
async fn resend(
    srv: &TestServer,
    token: &str,
    path: &str,
    body: Value,
    key: &str,
    answer: &Value,
    read: fn(Value) -> Value,
) {
    let url = format!("{}/api/v1{path}", srv.base);
    let tasks: Vec<_> = (0..RESENT)
        .map(|_| {
            let (url, token) = (url.clone(), token.to_string());
            let (body, key) = (body.to_string(), key.to_string());
            tokio::spawn(async move {
                raw(
                    "POST",
                    &url,
                    Some(&token),
                    json(&body),
                    &[("Idempotency-Key", &key)],
                )
                .await
            })
        })
        .collect();
    let mut bodies = Vec::new();
    for t in tasks {
        let (status, v) = t.await.expect("task");
        assert_eq!(status, 201, "{path} resent: {v}");
        bodies.push(v);
    }
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "{path}: resent requests answered differently: {bodies:?}"
    );
    assert_eq!(&read(bodies[0].clone()), answer, "{path}: the lost answer");
}

fn to_json<T>(r: Result<T, ClientError>, f: fn(&T) -> Value) -> Result<Value, ClientError> {
    r.map(|v| f(&v))
}

fn checkout_json(c: &Checkout) -> Value {
    serde_json::to_value(c).expect("json")
}

fn read_checkout(v: Value) -> Value {
    checkout_json(&serde_json::from_value::<Checkout>(v).expect("a checkout"))
}

fn check_in_json(c: &CheckInResponse) -> Value {
    serde_json::to_value(c).expect("json")
}

fn read_check_in(v: Value) -> Value {
    check_in_json(&serde_json::from_value::<CheckInResponse>(v).expect("a check-in"))
}

async fn audit_count(srv: &TestServer, action: &str, entity: &str) -> usize {
    let q = AuditQuery {
        action: Some(action.into()),
        entity: Some(entity.into()),
        limit: Some(500),
        ..Default::default()
    };
    srv.manager.audit(&q).await.expect("audit").len()
}

/// Everything a retry could change twice: the customer's balances, ledgers and record,
/// the stock and its moves, the day's checkouts and queue, and how many writes there were.
async fn books(srv: &TestServer, who: CustomerId, shop: &Shop) -> Value {
    let m = &srv.manager;
    let o = m.overview(who).await.expect("overview");
    let queue = QueueQuery {
        include_closed: true,
        ..Default::default()
    };
    let newest = AuditQuery {
        limit: Some(1),
        ..Default::default()
    };
    serde_json::json!({
        "customer": o.customer,
        "wallet": o.wallet,
        "packages": o.packages,
        "coupons": o.coupons,
        "ledgers": m.ledgers(who).await.expect("ledgers"),
        "products": m.products().await.expect("products"),
        "moves": m.stock_moves(shop.shampoo).await.expect("moves"),
        "checkouts": m.checkouts(None).await.expect("checkouts"),
        "queue": m.queue(&queue).await.expect("queue").entries,
        "newest_audit": m.audit(&newest).await.expect("audit").first().map(|a| a.seq),
    })
}

/// Every balance equals its ledger: stored value and points sum to the wallet, each running
/// balance is right, each package's entries sum to its remaining uses; and the server's own
/// check of every ledger in the store agrees.
async fn ledgers_balance(srv: &TestServer, who: CustomerId) {
    let m = &srv.manager;
    let o = m.overview(who).await.expect("overview");
    let led = m.ledgers(who).await.expect("ledgers");
    let mut running = Decimal::ZERO;
    for e in &led.stored_value {
        running += e.amount;
        assert_eq!(running, e.balance_after, "stored-value entry {}", e.seq);
    }
    assert_eq!(running, o.wallet.stored_value, "stored value vs its ledger");
    let mut points = 0i64;
    for e in &led.points {
        points += e.amount;
        assert_eq!(points, e.balance_after, "points entry {}", e.seq);
    }
    assert_eq!(points, o.wallet.points as i64, "points vs their ledger");
    for p in &o.packages {
        let uses: i64 = led
            .packages
            .iter()
            .filter(|e| e.package == p.id)
            .map(|e| e.uses)
            .sum();
        assert_eq!(
            uses,
            i64::from(p.remaining),
            "package {} vs its ledger",
            p.id
        );
    }
    let r = srv.state.db.begin_read().expect("read");
    let wrong = store_server::ops::money::verify_ledgers(&r).expect("verified");
    assert!(wrong.is_empty(), "{wrong:?}");
}

/// Sales of the day that paid for `ticket`.
async fn sales_for(srv: &TestServer, ticket: u64) -> Vec<CheckoutId> {
    let day = srv.manager.checkouts(None).await.expect("checkouts");
    day.iter()
        .filter(|v| {
            matches!(v.checkout.kind, CheckoutKind::Sale { ticket_id: Some(t), .. } if t == ticket)
        })
        .map(|v| v.checkout.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_storm_makes_one_ticket() {
    let srv = TestServer::start().await;
    let shop = shop(&srv).await;
    let (desk, token) = till(&srv).await;
    let (wang, p) = walk_in_customer(&srv, "王芳").await;
    let req = check_in(by_phone(&p), &[shop.cut], Some(shop.tony));
    let key = "check-in-storm";

    let answers = storm(|| {
        let (desk, req) = (desk.clone(), req.clone());
        async move { to_json(desk.check_in(&req, Some(key)).await, check_in_json) }
    })
    .await;
    let first = one_answer("check-in", &answers);
    let ticket = first["ticket"]["id"].as_u64().expect("ticket id");
    let body = serde_json::to_value(&req).expect("json");
    resend(&srv, &token, "/check-ins", body, key, &first, read_check_in).await;

    // The same key with another request, or on another route: refused, nothing written.
    let before = books(&srv, wang.id, &shop).await;
    let others = [
        check_in(by_phone(&p), &[shop.wash], Some(shop.tony)),
        check_in(by_phone(&p), &[shop.cut], None),
        check_in(by_phone(&phone()), &[shop.cut], Some(shop.tony)),
    ];
    for other in &others {
        assert_err(
            desk.check_in(other, Some(key)).await,
            409,
            "idempotency_key_reused",
        );
    }
    let top = TopUpInput {
        amount: money("100"),
        tenders: vec![cash("100")],
    };
    assert_err(
        desk.top_up(wang.id, &top, Some(key)).await,
        409,
        "idempotency_key_reused",
    );
    assert_eq!(
        books(&srv, wang.id, &shop).await,
        before,
        "a refusal changed the books"
    );

    // One ticket, one check-in.
    let queue = QueueQuery {
        include_closed: true,
        ..Default::default()
    };
    let tickets: Vec<u64> = srv
        .manager
        .queue(&queue)
        .await
        .expect("queue")
        .entries
        .iter()
        .filter(|e| e.ticket.customer_id == wang.id)
        .map(|e| e.ticket.id)
        .collect();
    assert_eq!(tickets, [ticket]);
    assert_eq!(audit_count(&srv, "ticket.check_in", "customer").await, 1);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_storm_charges_once() {
    let srv = TestServer::start().await;
    let shop = shop(&srv).await;
    let (desk, token) = till(&srv).await;
    let (wang, p) = walk_in_customer(&srv, "王芳").await;
    let top = TopUpInput {
        amount: money("100"),
        tenders: vec![cash("100")],
    };
    desk.top_up(wang.id, &top, None).await.expect("topped up");
    let ticket = in_the_chair(&srv, &shop, &p, &[shop.cut, shop.wash]).await;
    let mut input = CheckoutInput {
        ticket_id: Some(ticket),
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
    };
    let bill = desk.checkout_preview(&input).await.expect("preview");
    assert_eq!(bill.due.amount(), dec!(188));
    // 50 from stored value, the rest in cash.
    input.tenders = vec![
        Tender {
            method: PayMethod::StoredValue,
            amount: money("50"),
            ..cash("0")
        },
        cash("138"),
    ];
    let before = books(&srv, wang.id, &shop).await;
    let checkouts_before = audit_count(&srv, "checkout.create", "checkout").await;
    let key = "sale-storm";

    let answers = storm(|| {
        let (desk, input) = (desk.clone(), input.clone());
        async move { to_json(desk.checkout(&input, Some(key)).await, checkout_json) }
    })
    .await;
    let first = one_answer("checkout", &answers);
    let paid: Checkout = serde_json::from_value(first.clone()).expect("checkout");
    let body = serde_json::to_value(&input).expect("json");
    resend(&srv, &token, "/checkouts", body, key, &first, read_checkout).await;

    // The same key with another request: refused. Another key: the visit is paid.
    let mid = books(&srv, wang.id, &shop).await;
    let change = CheckoutInput {
        tenders: vec![cash("200")],
        ..input.clone()
    };
    let less = CheckoutInput {
        items: input.items[..2].to_vec(),
        tenders: vec![cash("128")],
        ..input.clone()
    };
    let no_packages = CheckoutInput {
        use_packages: false,
        ..input.clone()
    };
    for other in [&change, &less, &no_packages] {
        assert_err(
            desk.checkout(other, Some(key)).await,
            409,
            "idempotency_key_reused",
        );
    }
    assert_err(
        desk.checkout(&input, Some("sale-storm-2")).await,
        409,
        "already_paid",
    );
    assert_eq!(
        books(&srv, wang.id, &shop).await,
        mid,
        "a refusal changed the books"
    );

    // One sale: paid once, stock moved once, points earned once, spend counted once.
    assert_eq!(sales_for(&srv, ticket).await, [paid.id]);
    assert_eq!(
        audit_count(&srv, "checkout.create", "checkout").await,
        checkouts_before + 1
    );
    let o = srv.manager.overview(wang.id).await.expect("overview");
    let led = srv.manager.ledgers(wang.id).await.expect("ledgers");
    let of_sale = |c: Option<CheckoutId>| c == Some(paid.id);
    let spends: Vec<Decimal> = led
        .stored_value
        .iter()
        .filter(|e| of_sale(e.checkout))
        .map(|e| e.amount)
        .collect();
    assert_eq!(spends, [dec!(-50)]);
    let earned: Vec<i64> = led
        .points
        .iter()
        .filter(|e| of_sale(e.checkout) && e.reason == PointsReason::Earned)
        .map(|e| e.amount)
        .collect();
    assert_eq!(earned, [188]);
    assert_eq!(
        (
            o.wallet.stored_value,
            o.wallet.points,
            o.customer.total_spend
        ),
        (dec!(50), 188, dec!(188))
    );
    let moves: Vec<i64> = srv
        .manager
        .stock_moves(shop.shampoo)
        .await
        .expect("moves")
        .iter()
        .filter(|m| m.checkout == Some(paid.id))
        .map(|m| m.qty)
        .collect();
    assert_eq!(moves, [-1]);
    let stock = |b: &Value| b["products"][0]["stock"].as_i64();
    assert_eq!(
        (stock(&before), stock(&mid)),
        (Some(10), Some(9)),
        "stock moved once"
    );
    ledgers_balance(&srv, wang.id).await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_top_up_storm_tops_up_once() {
    let srv = TestServer::start().await;
    let shop = shop(&srv).await;
    let (desk, token) = till(&srv).await;
    let (wang, _) = walk_in_customer(&srv, "王芳").await;
    let top = TopUpInput {
        amount: money("1000"),
        tenders: vec![cash("1000")],
    };
    let key = "top-up-storm";

    let answers = storm(|| {
        let (desk, top) = (desk.clone(), top.clone());
        async move { to_json(desk.top_up(wang.id, &top, Some(key)).await, checkout_json) }
    })
    .await;
    let first = one_answer("top-up", &answers);
    let paid: Checkout = serde_json::from_value(first.clone()).expect("checkout");
    let path = format!("/customers/{}/top-ups", wang.id);
    let body = serde_json::to_value(&top).expect("json");
    resend(&srv, &token, &path, body, key, &first, read_checkout).await;

    // The same key with another top-up, or for someone else: refused, nothing written.
    let (li, _) = walk_in_customer(&srv, "李娜").await;
    let before = books(&srv, wang.id, &shop).await;
    let others = [
        TopUpInput {
            amount: money("500"),
            tenders: vec![cash("500")],
        },
        TopUpInput {
            amount: money("1000"),
            tenders: vec![Tender {
                method: PayMethod::Mobile,
                reference: Some("WX4242".into()),
                ..cash("1000")
            }],
        },
    ];
    for other in &others {
        assert_err(
            desk.top_up(wang.id, other, Some(key)).await,
            409,
            "idempotency_key_reused",
        );
    }
    assert_err(
        desk.top_up(li.id, &top, Some(key)).await,
        409,
        "idempotency_key_reused",
    );
    assert_eq!(
        books(&srv, wang.id, &shop).await,
        before,
        "a refusal changed the books"
    );
    assert_eq!(
        srv.manager
            .overview(li.id)
            .await
            .expect("overview")
            .wallet
            .stored_value,
        dec!(0)
    );

    // One top-up: 1000 paid in and the rules' 100 bonus, one ledger entry each.
    let entries = |led: &Ledgers| -> Vec<(ValueReason, Decimal)> {
        led.stored_value
            .iter()
            .map(|e| (e.reason, e.amount))
            .collect()
    };
    let led = srv.manager.ledgers(wang.id).await.expect("ledgers");
    assert_eq!(
        entries(&led),
        [
            (ValueReason::TopUp, dec!(1000)),
            (ValueReason::Bonus, dec!(100))
        ]
    );
    assert!(led.stored_value.iter().all(|e| e.checkout == Some(paid.id)));
    ledgers_balance(&srv, wang.id).await;

    // A storm that mixes two different top-ups under one key: whichever came first is
    // done, once; every success is its answer; the others are refused.
    let key = "top-up-race";
    let a = TopUpInput {
        amount: money("200"),
        tenders: vec![cash("200")],
    };
    let b = TopUpInput {
        amount: money("300"),
        tenders: vec![cash("300")],
    };
    let tasks: Vec<_> = (0..STORM)
        .map(|i| {
            let (desk, input) = (desk.clone(), if i % 5 == 0 { b.clone() } else { a.clone() });
            tokio::spawn(async move { desk.top_up(wang.id, &input, Some(key)).await })
        })
        .collect();
    let mut done = Vec::new();
    for t in tasks {
        match t.await.expect("task") {
            Ok(c) => done.push(c),
            Err(e) if in_progress(&e) || e.code() == "idempotency_key_reused" => {}
            Err(e) => panic!("a racing top-up was refused: {e}"),
        }
    }
    assert!(!done.is_empty(), "no top-up of the race succeeded");
    assert!(done.iter().all(|c| c == &done[0]), "one key, two answers");
    let won = done[0].effects.stored_value_in;
    assert!(won == dec!(200) || won == dec!(300), "{won}");
    let led = srv.manager.ledgers(wang.id).await.expect("ledgers");
    let raced: Vec<(ValueReason, Decimal)> = entries(&led)[2..].to_vec();
    assert_eq!(raced, [(ValueReason::TopUp, won)]);
    let o = srv.manager.overview(wang.id).await.expect("overview");
    assert_eq!(o.wallet.stored_value, dec!(1100) + won);
    ledgers_balance(&srv, wang.id).await;

    // Answers lost on the way: requests given up a moment after they were sent (they may
    // or may not have reached the server), then retried with the same key.
    let key = "top-up-lost";
    let small = TopUpInput {
        amount: money("50"),
        tenders: vec![cash("50")],
    };
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(2))
        .build()
        .expect("http client");
    let url = format!("{}/api/v1/customers/{}/top-ups", srv.base, wang.id);
    let body = serde_json::to_string(&small).expect("json");
    let given_up = (0..RESENT).map(|_| {
        impatient
            .post(&url)
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
    });
    futures_util::future::join_all(given_up).await;
    let answers = storm(|| {
        let (desk, small) = (desk.clone(), small.clone());
        async move { to_json(desk.top_up(wang.id, &small, Some(key)).await, checkout_json) }
    })
    .await;
    let lost = one_answer("top-up whose answer was lost", &answers);
    let led = srv.manager.ledgers(wang.id).await.expect("ledgers");
    let id = lost["id"].as_u64().map(CheckoutId);
    let of_it: Vec<(ValueReason, Decimal)> = led
        .stored_value
        .iter()
        .filter(|e| e.checkout == id)
        .map(|e| (e.reason, e.amount))
        .collect();
    assert_eq!(of_it, [(ValueReason::TopUp, dec!(50))]);
    assert_eq!(entries(&led).len(), 4, "{:?}", entries(&led));
    ledgers_balance(&srv, wang.id).await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redemption_storm_redeems_once() {
    let srv = TestServer::start().await;
    let shop = shop(&srv).await;
    let (desk, token) = till(&srv).await;
    let (li, p) = walk_in_customer(&srv, "李娜").await;
    // Points from an earlier purchase (3 bottles: 180 points), a 10-wash package, a coupon.
    let earlier = CheckoutInput {
        ticket_id: None,
        customer_id: Some(li.id),
        stylist: None,
        items: vec![SaleItem::Product {
            id: shop.shampoo,
            qty: 3,
        }],
        use_packages: true,
        coupon: None,
        points: 0,
        tenders: vec![cash("180")],
    };
    desk.checkout(&earlier, None).await.expect("bought");
    let package = PackageSaleInput {
        plan_id: shop.plan,
        tenders: vec![cash("320")],
    };
    desk.sell_package(li.id, &package, None)
        .await
        .expect("package sold");
    let coupon = desk
        .issue_coupon(li.id, shop.coupon, None)
        .await
        .expect("coupon")
        .coupon;
    let ticket = in_the_chair(&srv, &shop, &p, &[shop.cut, shop.wash]).await;

    // Cut 88 + wash 40 (by the package) + shampoo 60, less 20 by the coupon, less 1 for
    // 100 points: 127 due.
    let mut input = CheckoutInput {
        ticket_id: Some(ticket),
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
        coupon: Some(coupon.id),
        points: 100,
        tenders: vec![],
    };
    let bill = desk.checkout_preview(&input).await.expect("preview");
    assert_eq!(bill.due.amount(), dec!(127));
    input.tenders = vec![cash("127")];
    let before = srv.manager.overview(li.id).await.expect("overview");
    assert_eq!(
        (
            before.wallet.points,
            before.packages[0].remaining,
            &before.coupons[0].coupon.state
        ),
        (180, 10, &CouponState::Issued)
    );
    let key = "redeem-storm";

    let answers = storm(|| {
        let (desk, input) = (desk.clone(), input.clone());
        async move { to_json(desk.checkout(&input, Some(key)).await, checkout_json) }
    })
    .await;
    let first = one_answer("redemption", &answers);
    let paid: Checkout = serde_json::from_value(first.clone()).expect("checkout");
    let body = serde_json::to_value(&input).expect("json");
    resend(&srv, &token, "/checkouts", body, key, &first, read_checkout).await;

    // The same key with another redemption: refused, nothing written.
    let mid = books(&srv, li.id, &shop).await;
    let fewer_points = CheckoutInput {
        points: 50,
        tenders: vec![cash("127.50")],
        ..input.clone()
    };
    let no_coupon = CheckoutInput {
        coupon: None,
        tenders: vec![cash("147")],
        ..input.clone()
    };
    let no_package = CheckoutInput {
        use_packages: false,
        tenders: vec![cash("167")],
        ..input.clone()
    };
    for other in [&fewer_points, &no_coupon, &no_package] {
        assert_err(
            desk.checkout(other, Some(key)).await,
            409,
            "idempotency_key_reused",
        );
    }
    assert_eq!(
        books(&srv, li.id, &shop).await,
        mid,
        "a refusal changed the books"
    );

    // Redeemed once: the coupon, 100 points, one use of the package, one bottle.
    assert_eq!(sales_for(&srv, ticket).await, [paid.id]);
    let o = srv.manager.overview(li.id).await.expect("overview");
    assert_eq!(
        o.coupons[0].coupon.state,
        CouponState::Redeemed {
            checkout: paid.id,
            at: paid.at
        }
    );
    assert_eq!(o.packages[0].remaining, 9);
    assert_eq!(o.wallet.points, 180 - 100 + paid.effects.points_earned);
    assert_eq!(paid.effects.points_earned, 127);
    let led = srv.manager.ledgers(li.id).await.expect("ledgers");
    let of_sale = |c: Option<CheckoutId>| c == Some(paid.id);
    let points: Vec<(PointsReason, i64)> = led
        .points
        .iter()
        .filter(|e| of_sale(e.checkout))
        .map(|e| (e.reason, e.amount))
        .collect();
    assert_eq!(
        points,
        [(PointsReason::Redeemed, -100), (PointsReason::Earned, 127)]
    );
    let uses: Vec<(PackageReason, i64)> = led
        .packages
        .iter()
        .filter(|e| of_sale(e.checkout))
        .map(|e| (e.reason, e.uses))
        .collect();
    assert_eq!(uses, [(PackageReason::Used, -1)]);
    let moves: Vec<i64> = srv
        .manager
        .stock_moves(shop.shampoo)
        .await
        .expect("moves")
        .iter()
        .filter(|m| m.checkout == Some(paid.id))
        .map(|m| m.qty)
        .collect();
    assert_eq!(moves, [-1]);
    assert_eq!(
        mid["products"][0]["stock"].as_i64(),
        Some(6),
        "10 received, 3 sold before, 1 now"
    );
    ledgers_balance(&srv, li.id).await;
    srv.stop().await;
}
