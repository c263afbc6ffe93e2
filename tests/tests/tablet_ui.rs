//! The stylist tablet's real screens, driven headlessly against a real store server on
//! 127.0.0.1:0 with the demo salon: PIN sign-in (a wrong PIN refused), the live queue,
//! call and start, the customer 360, the service record with a before photo, finish,
//! checkout with the
//! member's package and cash change, the receipt, the customer's rating on the handed-over
//! tablet, sign-out, and the automatic sign-out of a tablet left alone.
//!
//! Slint's headless event loop can be set up once per process, so this file holds one test
//! that runs the scenarios in turn.

mod common;

use common::{all_day, by_phone, check_in};
use rust_decimal::Decimal;
use salon_shared::api::{PeriodQuery, TicketState};
use salon_shared::bill::PayMethod;
use salon_shared::{CustomerId, Role, ServiceId, StaffId};
use salon_tests::TestServer;
use salon_tests::app_driver::{App, demo_server, init_backend, net, run_ui, runtime};
use slint::Model;
use std::rc::Rc;
use std::time::Duration;
use tokio::runtime::Handle;

const IDLE: Duration = Duration::from_secs(120);
/// The demo's Tony 陈, a director-level stylist, and his PIN.
const TONY: StaffId = StaffId(3);

#[test]
fn tablet_screens_against_a_real_server() {
    init_backend();
    let rt = runtime();
    let srv = Rc::new(demo_server(&rt, 20));
    let h = rt.handle().clone();
    let s = srv.clone();
    run_ui(async move {
        let srv = s;
        a_visit_from_queue_to_rating(&srv, &h).await;
        front_desk_tops_up_a_member(&srv, &h).await;
        left_alone_signs_out(&srv, &h).await;
    });
    if let Ok(srv) = Rc::try_unwrap(srv) {
        rt.block_on(srv.stop());
    }
}

async fn sign_in(app: &App, name: &str, pin: &str) {
    app.tap(&format!("staff {name}"));
    for d in pin.chars() {
        app.tap(&format!("key {d}"));
    }
    app.until("the PIN typed", |a| {
        a.tablet().get_pin_shown().chars().count() == pin.len()
    })
    .await;
    app.tap("sign in");
}

async fn a_visit_from_queue_to_rating(srv: &TestServer, h: &Handle) {
    let m = srv.manager.clone();
    // Tony works all day today, whatever the demo roster says; customer 1 holds a
    // 10-wash package for service 1, stored value and a coupon (demo data).
    let (customer, number) = net(h, async move {
        m.set_roster(TONY, &all_day()).await.expect("roster");
        let c = m.customer(CustomerId(1)).await.expect("customer").customer;
        let phone = c.phone.clone().expect("phone").to_string();
        let t = m
            .check_in(
                &check_in(by_phone(&phone), &[ServiceId(1), ServiceId(2)], Some(TONY)),
                None,
            )
            .await
            .expect("checked in")
            .ticket;
        (c, t.number)
    })
    .await;

    let (app, _dir) = App::new_tablet(h, srv, Role::Stylist, IDLE).await;
    app.until("online", |a| a.kiosk().get_online()).await;
    sign_in(&app, "Tony 陈", "1111").await;
    app.problem("pin_wrong").await;
    sign_in(&app, "Tony 陈", "3333").await;
    app.on("queue").await;
    assert_eq!(app.tablet().get_me(), "Tony 陈");

    // My queue lists the ticket; call and start it.
    app.until("the ticket in my queue", |a| {
        a.has(&format!("ticket {number}"))
    })
    .await;
    app.tap(&format!("call {number}"));
    app.until("called", |a| !a.has(&format!("call {number}")))
        .await;
    app.tap(&format!("start {number}"));
    app.until("in service", |a| a.has(&format!("finish {number}")))
        .await;

    // The 360: name, balances, the package.
    app.tap(&format!("open {number}"));
    app.on("customer").await;
    assert!(app.has("customer-name"));
    assert_eq!(app.tablet().get_c_name(), customer.name);
    assert!(
        app.tablet().get_c_packages().row_count() >= 1,
        "the package is listed"
    );
    if !customer.care.allergies.is_empty() {
        assert!(app.has("allergies"), "allergies are shown first");
        assert!(
            app.tablet()
                .get_c_allergies()
                .contains(&customer.care.allergies[0])
        );
    }

    // The service record: a product used and a formula.
    app.tap("record");
    app.on("record").await;
    let product = app
        .tablet()
        .get_r_products()
        .row_data(0)
        .expect("a product")
        .name
        .to_string();
    app.tap(&format!("more {product}"));
    app.until("one used", |a| {
        a.tablet()
            .get_r_products()
            .row_data(0)
            .is_some_and(|p| p.qty == 1)
    })
    .await;
    let formula = "7/1 + 8/0 1:1, 6% 30 min";
    app.tablet().set_r_formula(formula.into());
    app.tablet().invoke_r_formula_edited(formula.into());
    // A before photo from the tablet's camera folder, with the customer's consent.
    let camera = app.data_dir.join("camera");
    std::fs::create_dir_all(&camera).expect("camera folder");
    std::fs::write(camera.join("IMG_0001.png"), salon_tests::png_photo(32)).expect("photo");
    app.tap("photo consent");
    app.until("the photo offered", |a| a.has("before IMG_0001.png"))
        .await;
    app.tap("before IMG_0001.png");
    app.until("the photo kept", |a| a.tablet().get_r_photo_count() == 1)
        .await;
    app.tap("save record");
    app.on("customer").await;
    app.until("the photo shown in the visit", |a| {
        a.tablet().get_c_photos().row_count() == 1
    })
    .await;
    app.until("the visit with its formula", |a| {
        a.has("formula 0")
            && a.tablet()
                .get_c_visits()
                .row_data(0)
                .is_some_and(|v| v.formulas.contains(formula))
    })
    .await;

    // Finish, then check out from the queue.
    app.tap("back");
    app.on("queue").await;
    app.tap(&format!("finish {number}"));
    app.until("done, not paid", |a| !a.has(&format!("finish {number}")))
        .await;
    app.tap(&format!("open {number}"));
    app.on("customer").await;
    app.tap("checkout");
    app.on("checkout").await;
    let kinds: Vec<String> = app
        .tablet()
        .get_k_lines()
        .iter()
        .map(|l| l.kind.to_string())
        .collect();
    assert!(
        kinds.contains(&"package".to_string()),
        "the package pays for service 1: {kinds:?}"
    );
    let due = app.tablet().get_k_due().to_string();
    let due: Decimal = due.trim_start_matches('¥').parse().expect("due");
    assert!(due > Decimal::ZERO && due < Decimal::from(500), "due {due}");

    // Cash: a 500 note, with change.
    app.tap("pay");
    app.problem("choose_payment").await;
    app.tap("pay cash");
    app.until("cash chosen", |a| a.has("note ¥500")).await;
    app.tap("note ¥500");
    let change = Decimal::from(500) - due;
    app.until("the change", |a| {
        a.tablet().get_k_change().contains(&change.to_string())
    })
    .await;
    assert!(app.has("change"));
    app.tap("pay");
    app.on("receipt").await;
    assert!(app.has("receipt"));
    assert!(
        app.tablet().get_receipt().contains("应付 Due"),
        "{}",
        app.tablet().get_receipt()
    );

    let m = srv.manager.clone();
    let day = net(
        h,
        async move { m.checkouts(None).await.expect("checkouts") },
    )
    .await;
    let paid = day.last().expect("a checkout").checkout.clone();
    assert_eq!(paid.due.amount(), due);
    assert_eq!(paid.settlement.paid_by(PayMethod::Cash), due);
    assert_eq!(paid.settlement.change.amount(), change);

    // The customer rates the visit on the tablet.
    app.tap("hand over");
    app.on("feedback").await;
    for (q, v) in [
        ("overall", 5),
        ("service", 5),
        ("stylist", 5),
        ("environment", 4),
        ("recommend", 9),
    ] {
        app.tap(&format!("{q} {v}"));
    }
    app.until("all rated", |a| {
        a.kiosk().get_scores().iter().all(|s| s >= 0)
    })
    .await;
    app.tap("send rating");
    app.on("thanks").await;
    app.tap("done");
    app.on("queue").await;
    let m = srv.manager.clone();
    let ratings = net(h, async move {
        m.feedback_list(&PeriodQuery::default())
            .await
            .expect("ratings")
    })
    .await;
    assert!(
        ratings.iter().any(|f| f.overall == 5 && f.recommend == 9),
        "the rating was stored"
    );
    let m = srv.manager.clone();
    let q = net(h, async move {
        m.queue(&Default::default()).await.expect("queue")
    })
    .await;
    assert!(
        q.entries
            .iter()
            .all(|e| e.ticket.number != number || e.ticket.state == TicketState::Done)
    );

    app.tap("sign out");
    app.on("signin").await;
}

async fn front_desk_tops_up_a_member(srv: &TestServer, h: &Handle) {
    let m = srv.manager.clone();
    let (customer, number, before) = net(h, async move {
        let c = m.customer(CustomerId(2)).await.expect("customer").customer;
        let phone = c.phone.clone().expect("phone").to_string();
        let t = m
            .check_in(
                &check_in(by_phone(&phone), &[ServiceId(1)], Some(TONY)),
                None,
            )
            .await
            .expect("checked in")
            .ticket;
        let before = m
            .overview(c.id)
            .await
            .expect("overview")
            .wallet
            .stored_value;
        (c, t.number, before)
    })
    .await;
    let (app, _dir) = App::new_tablet(h, srv, Role::FrontDesk, IDLE).await;
    sign_in(&app, "小周", "2222").await;
    app.on("queue").await;
    assert!(
        !app.tablet().get_mine_only(),
        "the front desk sees everyone"
    );
    app.until("the ticket", |a| a.has(&format!("open {number}")))
        .await;
    app.tap(&format!("open {number}"));
    app.on("customer").await;
    app.tap("sell");
    app.on("sell").await;
    app.tap("top up ¥1000.00");
    app.until("chosen", |a| a.tablet().get_s_price() == "¥1000.00")
        .await;
    app.tap("sale cash");
    app.until("cash", |a| a.tablet().get_s_method() == "cash")
        .await;
    app.tap("sell now");
    app.on("receipt").await;
    assert!(!app.has("hand over"), "a top-up is not rated");
    app.tap("done");
    app.on("customer").await;
    let m = srv.manager.clone();
    let id = customer.id;
    let after = net(h, async move {
        m.overview(id).await.expect("overview").wallet.stored_value
    })
    .await;
    assert_eq!(
        after - before,
        Decimal::from(1100),
        "1000 paid plus the 100 bonus"
    );
}

async fn left_alone_signs_out(srv: &TestServer, h: &Handle) {
    let (app, _dir) = App::new_tablet(h, srv, Role::FrontDesk, Duration::from_secs(1)).await;
    sign_in(&app, "小周", "2222").await;
    app.on("queue").await;
    // Three idle periods without a tap and the shared tablet is nobody's again.
    app.until("signed out", |a| a.screen() == "signin").await;
    assert_eq!(app.tablet().get_me(), "");
}
