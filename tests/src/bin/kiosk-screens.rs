//! Renders every screen of the client app to PNG, in Chinese and in English, by walking a
//! real kiosk, a real queue display and a real stylist tablet through a demo store served
//! on 127.0.0.1:0.
//!
//! `cargo run -p salon-tests --bin kiosk-screens [OUT_DIR]` (default `docs/screens`).

use clap::Parser;
use salon_shared::Role;
use salon_shared::api::{CheckInCustomer, CheckInRequest, QueueAction, QueueQuery};
use salon_shared::client::Client;
use salon_tests::TestServer;
use salon_tests::app_driver::{App, demo_server, init_backend, net, pause, run_ui, runtime};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;
use tokio::runtime::Handle;

/// Saves the window as `NN-name.zh.png` and `NN-name.en.png`.
async fn shoot(app: &App, out: &Path, name: &str) {
    for lang in ["zh", "en"] {
        app.kiosk().invoke_set_language(lang.into());
        pause(Duration::from_millis(150)).await;
        let path = out.join(format!("{name}.{lang}.png"));
        app.snapshot(&path);
        println!("{}", path.display());
    }
    app.kiosk().invoke_set_language("zh".into());
}

/// Renders every screen of the client app to PNG, in Chinese and in English.
#[derive(Parser)]
#[command(name = "kiosk-screens")]
struct Cli {
    /// The folder the PNG files go to.
    #[arg(value_name = "OUT_DIR", default_value = "docs/screens")]
    out: PathBuf,
}

fn main() {
    let out = Cli::parse().out;
    std::fs::create_dir_all(&out).expect("output folder");
    init_backend();
    let rt = runtime();
    let srv = Rc::new(demo_server(&rt, 40));
    let h = rt.handle().clone();
    let s2 = srv.clone();
    run_ui(async move { tour(&s2, &h, &out).await });
    if let Ok(srv) = Rc::try_unwrap(srv) {
        rt.block_on(srv.stop());
    }
}

async fn tour(srv: &TestServer, h: &Handle, out: &Path) {
    let m = srv.manager.clone();
    let base = srv.base.clone();

    // A morning's queue: a few walk-ins, one called, one in the chair, one finished.
    let phones = net(h, {
        let m = m.clone();
        async move {
            let page = m
                .search_customers(&salon_shared::api::CustomerQuery {
                    limit: Some(8),
                    ..Default::default()
                })
                .await
                .expect("customers");
            let services = m.services(false).await.expect("services");
            let mut tickets = Vec::new();
            for c in &page.items[..6] {
                let r = m
                    .check_in(
                        &CheckInRequest {
                            customer: CheckInCustomer {
                                id: Some(c.id),
                                ..Default::default()
                            },
                            services: vec![services[0].id],
                            stylist: None,
                        },
                        None,
                    )
                    .await
                    .expect("check-in");
                tickets.push(r.ticket.id);
            }
            for a in [QueueAction::Call, QueueAction::Start, QueueAction::Finish] {
                m.queue_move(tickets[0], a).await.expect("move");
            }
            m.queue_move(tickets[1], QueueAction::Call)
                .await
                .expect("call");
            m.queue_move(tickets[2], QueueAction::Call)
                .await
                .expect("call");
            m.queue_move(tickets[2], QueueAction::Start)
                .await
                .expect("start");
            let rated = page.items[0].phone.clone().expect("phone");
            let fresh = page.items[7].phone.clone().expect("phone");
            // Customer 1 (a member with a package, stored value and a coupon) in Tony's
            // chair, for the tablet's screens.
            let tony = salon_shared::StaffId(3);
            m.set_roster(tony, &salon_tests::all_day())
                .await
                .expect("roster");
            let member = m
                .check_in(
                    &CheckInRequest {
                        customer: CheckInCustomer {
                            id: Some(salon_shared::CustomerId(1)),
                            ..Default::default()
                        },
                        services: vec![services[0].id, services[1].id],
                        stylist: Some(tony),
                    },
                    None,
                )
                .await
                .expect("member check-in")
                .ticket;
            m.queue_move(member.id, QueueAction::Start)
                .await
                .expect("start");
            (rated, fresh, member.number)
        }
    })
    .await;
    let (rated_phone, returning_phone, member_ticket) = phones;

    // The pairing screen of a new device.
    let dir = tempfile::tempdir().expect("data dir");
    let app = App::open(dir.path(), Some(base.clone()), Duration::from_secs(600));
    app.on("connect").await;
    for d in "482913".chars() {
        app.tap(&format!("key {d}"));
    }
    app.until("code typed", |a| a.kiosk().get_pairing_code().len() == 6)
        .await;
    shoot(&app, out, "01-pairing").await;
    drop(app);

    // The kiosk.
    let (app, _dir) = App::new_kiosk(h, srv, Duration::from_secs(600)).await;
    app.on("welcome").await;
    app.until("online", |a| a.kiosk().get_online()).await;
    shoot(&app, out, "02-welcome").await;
    app.tap("check in");
    app.on("phone").await;
    app.type_digits("13912345678").await;
    shoot(&app, out, "03-phone").await;
    app.tap("ok");
    app.on("register").await;
    app.tap("surname 李");
    app.tap("title ms");
    app.tap("birthday year up");
    app.tap("consent");
    pause(Duration::from_millis(200)).await;
    shoot(&app, out, "04-register").await;
    app.tap("register");
    app.on("services").await;
    let name = slint::Model::row_data(&app.kiosk().get_services(), 1)
        .expect("services")
        .name;
    app.tap(&format!("service {name}"));
    app.until("chosen", |a| a.kiosk().get_chosen_count() == 1)
        .await;
    shoot(&app, out, "05-services").await;
    app.tap("next");
    app.on("stylist").await;
    shoot(&app, out, "06-stylist").await;
    app.tap("stylist next available");
    app.on("ticket").await;
    shoot(&app, out, "07-ticket").await;
    app.tap("done");
    app.on("welcome").await;

    // A returning member who has a booking today.
    let day = chrono::Utc::now()
        .with_timezone(&srv.state.info.tz)
        .date_naive();
    let p = returning_phone.clone();
    net(h, {
        let m = m.clone();
        async move {
            let c = m
                .search_customers(&salon_shared::api::CustomerQuery {
                    q: Some(p),
                    ..Default::default()
                })
                .await
                .expect("search")
                .items
                .remove(0);
            salon_tests::book_latest_slot(&m, c.id, day).await;
        }
    })
    .await;
    app.tap("check in");
    app.on("phone").await;
    app.type_digits(&returning_phone).await;
    app.tap("ok");
    app.on("appointment").await;
    shoot(&app, out, "08-appointment").await;
    app.tap("cancel");
    app.on("welcome").await;

    // Rating a finished visit.
    app.tap("check in");
    app.on("phone").await;
    app.type_digits(&rated_phone).await;
    app.tap("ok");
    app.on("feedback").await;
    for l in [
        "overall 5",
        "service 5",
        "stylist 4",
        "environment 5",
        "recommend 9",
        "phrase 0",
        "phrase 2",
    ] {
        app.tap(l);
    }
    pause(Duration::from_millis(200)).await;
    shoot(&app, out, "09-feedback").await;
    app.tap("send rating");
    app.on("thanks").await;
    shoot(&app, out, "10-thanks").await;
    drop(app);

    // The queue display in the waiting area.
    let code = net(h, {
        let m = m.clone();
        async move { m.create_pairing_code(Role::Display).await.expect("code") }
    })
    .await;
    let b = base.clone();
    let token = net(h, async move {
        Client::new(b)
            .pair(&code.code, "waiting area tv")
            .await
            .expect("paired")
            .0
            .token
    })
    .await;
    let dir = tempfile::tempdir().expect("data dir");
    let app = App::paired(
        h,
        dir.path(),
        &base,
        &token,
        Role::Display,
        Duration::from_secs(600),
    )
    .await;
    app.on("display").await;
    app.until("the queue", |a| a.kiosk().get_waiting_count() > 0)
        .await;
    let _ = net(h, async move { m.queue(&QueueQuery::default()).await }).await;
    shoot(&app, out, "11-queue-display").await;
    drop(app);

    // The stylist tablet: sign-in, the queue, the member's 360, the record, checkout,
    // the receipt.
    let (app, _dir) = App::new_tablet(h, srv, Role::Stylist, Duration::from_secs(600)).await;
    app.until("online", |a| a.kiosk().get_online()).await;
    app.tap("staff Tony 陈");
    for d in "333".chars() {
        app.tap(&format!("key {d}"));
    }
    pause(Duration::from_millis(200)).await;
    shoot(&app, out, "12-tablet-signin").await;
    app.tap("key 3");
    app.until("PIN typed", |a| {
        a.tablet().get_pin_shown().chars().count() == 4
    })
    .await;
    app.tap("sign in");
    app.on("queue").await;
    app.tap("everyone");
    app.until("the queue", |a| a.has(&format!("open {member_ticket}")))
        .await;
    shoot(&app, out, "13-tablet-queue").await;
    app.tap(&format!("open {member_ticket}"));
    app.on("customer").await;
    app.tap("record");
    app.on("record").await;
    let product = slint::Model::row_data(&app.tablet().get_r_products(), 3)
        .expect("products")
        .name;
    app.tap(&format!("more {product}"));
    app.tap(&format!("more {product}"));
    let formula = "7/1 + 8/0 1:1, 6% 30 min";
    app.tablet().set_r_formula(formula.into());
    app.tablet().invoke_r_formula_edited(formula.into());
    app.tablet().set_r_notes("头皮敏感，水温低一点".into());
    app.tablet()
        .invoke_r_notes_edited("头皮敏感，水温低一点".into());
    let camera = app.data_dir.join("camera");
    std::fs::create_dir_all(&camera).expect("camera folder");
    std::fs::write(camera.join("IMG_2041.png"), salon_tests::png_photo(240)).expect("photo");
    app.tap("photo consent");
    app.until("the photo offered", |a| a.has("before IMG_2041.png"))
        .await;
    app.tap("before IMG_2041.png");
    app.until("the photo kept", |a| a.tablet().get_r_photo_count() == 1)
        .await;
    pause(Duration::from_millis(300)).await;
    shoot(&app, out, "15-tablet-record").await;
    app.tap("save record");
    app.on("customer").await;
    app.until("the photo in the visit", |a| {
        slint::Model::row_count(&a.tablet().get_c_photos()) == 1
    })
    .await;
    shoot(&app, out, "14-tablet-customer").await;
    app.tap("checkout");
    app.on("checkout").await;
    let product = slint::Model::row_data(&app.tablet().get_k_products(), 0)
        .expect("products")
        .name;
    let mask = slint::Model::row_data(&app.tablet().get_k_products(), 1)
        .expect("products")
        .name;
    app.tap(&format!("add {product}"));
    app.until("the product on the bill", |a| {
        slint::Model::row_count(&a.tablet().get_k_items()) == 3
    })
    .await;
    app.tap(&format!("add {mask}"));
    app.until("the second product on the bill", |a| {
        slint::Model::row_count(&a.tablet().get_k_items()) == 4
    })
    .await;
    let coupon = slint::Model::row_data(&app.tablet().get_k_coupons(), 0)
        .expect("the member's coupon")
        .name;
    app.tap(&format!("coupon {coupon}"));
    app.until("the coupon applied", |a| {
        slint::Model::row_data(&a.tablet().get_k_coupons(), 0).is_some_and(|c| c.selected)
    })
    .await;
    app.tap("more points");
    app.until("points used", |a| a.tablet().get_k_points() == 100)
        .await;
    app.tap("use balance");
    app.until("stored value used", |a| a.tablet().get_k_stored_on())
        .await;
    app.tap("pay cash");
    app.until("cash chosen", |a| a.has("note ¥500")).await;
    app.tap("note ¥500");
    app.until("cash given", |a| a.tablet().get_k_cash_given() == "500")
        .await;
    pause(Duration::from_millis(200)).await;
    shoot(&app, out, "16-tablet-checkout").await;
    app.tap("pay");
    app.on("receipt").await;
    shoot(&app, out, "17-tablet-receipt").await;
    app.tap("hand over");
    app.on("feedback").await;
    app.tap("skip");

    // Member sales at the front desk: a top-up with its bonus.
    app.until("the queue", |a| a.screen() == "queue").await;
    app.tap("everyone");
    app.until("a customer to open", |a| a.has("open A002"))
        .await;
    app.tap("open A002");
    app.on("customer").await;
    app.tap("sell");
    app.on("sell").await;
    app.tap("top up ¥1000.00");
    app.until("chosen", |a| a.tablet().get_s_price() == "¥1000.00")
        .await;
    app.tap("sale cash");
    app.until("cash", |a| a.tablet().get_s_method() == "cash")
        .await;
    shoot(&app, out, "18-tablet-sell").await;
}
