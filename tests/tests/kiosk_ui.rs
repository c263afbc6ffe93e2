//! The check-in kiosk's real screens, driven headlessly against a real store server on
//! 127.0.0.1:0: registration, check-in by phone and by card scan, bookings, a walk-away
//! balk, feedback, the inactivity reset, a network drop that must not lose a confirmed
//! check-in, and the queue display. Elements are found by accessible label; a missing one
//! fails the test.
//!
//! Slint's headless event loop can be set up once per process, so this file holds one test
//! that runs the scenarios in turn.

mod common;

use common::{add, card_for, check_in, customer, phone, today};
use salon_shared::Role;
use salon_shared::api::{PeriodQuery, QueueAction, QueueQuery};
use salon_tests::TestServer;
use salon_tests::app_driver::{App, demo_server, init_backend, net, pause, run_ui, runtime};
use std::rc::Rc;
use std::time::Duration;
use tokio::runtime::Handle;

const IDLE: Duration = Duration::from_secs(120);

#[test]
fn kiosk_screens_against_a_real_server() {
    init_backend();
    let rt = runtime();
    let srv = Rc::new(demo_server(&rt, 20));
    let h = rt.handle().clone();
    let s = srv.clone();
    run_ui(async move {
        let srv = s;
        register_then_return(&srv, &h).await;
        card_scan_and_walk_away(&srv, &h).await;
        feedback_after_the_visit(&srv, &h).await;
        booked_customer(&srv, &h).await;
        inactivity_forgets_the_customer(&srv, &h).await;
        network_drop_keeps_the_check_in(&srv, &h).await;
        queue_display(&srv, &h).await;
    });
    if let Ok(srv) = Rc::try_unwrap(srv) {
        rt.block_on(srv.stop());
    }
}

async fn pick_first_service_and_stylists(app: &App) {
    app.choose_first_service().await;
    assert!(app.has("stylist next available"));
    assert!(
        slint::Model::row_count(&app.kiosk().get_stylists()) >= 2,
        "next available and each eligible stylist side by side"
    );
}

async fn register_then_return(srv: &TestServer, h: &Handle) {
    let (app, _dir) = App::new_kiosk(h, srv, IDLE).await;
    app.until("online", |a| a.kiosk().get_online()).await;
    app.tap("check in");
    app.on("phone").await;
    let number = phone();
    app.tap("key 5");
    app.tap("ok");
    app.problem("phone_invalid").await;
    assert!(app.has("problem"), "the problem is shown");
    app.tap("key back");
    app.type_digits(&number).await;
    app.tap("ok");
    app.on("register").await;
    app.tap("register");
    app.problem("need_name").await;
    app.tap("surname 王");
    app.tap("title ms");
    app.tap("birthday year up");
    app.tap("register");
    app.problem("need_consent").await;
    app.tap("consent");
    app.tap("register");
    pick_first_service_and_stylists(&app).await;
    assert_eq!(app.kiosk().get_greeting(), "王女士");
    app.tap("stylist next available");
    app.on("ticket").await;
    assert!(app.has("ticket-number"));
    let number_shown = app.kiosk().get_ticket_number().to_string();
    assert!(number_shown.starts_with('A'), "{number_shown}");

    // The server has her, with the birthday she gave, in the queue under that number.
    let m = srv.manager.clone();
    let p = number.clone();
    let (found, queue) = net(h, async move {
        let found = m.search_customers(&common::q(&p)).await.expect("search");
        let queue = m.queue(&QueueQuery::default()).await.expect("queue");
        (found, queue)
    })
    .await;
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].name, "王");
    assert!(
        queue
            .entries
            .iter()
            .any(|e| e.ticket.number == number_shown && e.ticket.customer_id == found.items[0].id)
    );

    // Done: back to the door, nothing of her left on screen.
    app.tap("done");
    app.on("welcome").await;
    assert_eq!(app.kiosk().get_greeting(), "");
    assert_eq!(app.kiosk().get_phone_shown(), "");

    // She comes back: greeted by name, and told she is already in the queue.
    app.tap("check in");
    app.on("phone").await;
    app.type_digits(&number).await;
    app.tap("ok");
    pick_first_service_and_stylists(&app).await;
    assert_eq!(app.kiosk().get_greeting(), "王女士");
    app.tap("stylist next available");
    app.problem("already_checked_in").await;
    assert_eq!(app.screen(), "stylist");
}

async fn card_scan_and_walk_away(srv: &TestServer, h: &Handle) {
    let (app, _dir) = App::new_kiosk(h, srv, IDLE).await;
    let m = srv.manager.clone();
    let card = net(h, async move {
        let c = add(&m, &customer("赵敏", &phone())).await;
        card_for(&m, c.id).await
    })
    .await;
    // The English screen: the scan works the same, and the language resets for the next one.
    app.tap("language en");
    app.until("English", |a| a.kiosk().get_language() == "en")
        .await;
    app.scan(&card);
    pick_first_service_and_stylists(&app).await;
    assert_eq!(app.kiosk().get_greeting(), "赵女士");
    app.tap("walk away");
    app.on("welcome").await;
    assert_eq!(
        app.kiosk().get_language(),
        "zh",
        "Chinese again for the next customer"
    );
    let m = srv.manager.clone();
    let report = net(h, async move {
        m.wait_report(&PeriodQuery::default())
            .await
            .expect("report")
    })
    .await;
    assert_eq!(report.balks, 1, "walking away after the quote is counted");

    // A card the store does not know falls back to the keypad.
    app.scan("8899000077");
    app.problem("card_unknown").await;
    assert_eq!(app.screen(), "phone");
}

async fn feedback_after_the_visit(srv: &TestServer, h: &Handle) {
    let (app, _dir) = App::new_kiosk(h, srv, IDLE).await;
    let m = srv.manager.clone();
    let number = phone();
    let p = number.clone();
    let ticket = net(h, async move {
        let c = add(&m, &customer("孙丽", &p)).await;
        let services = m.services(false).await.expect("services");
        let t = m
            .check_in(
                &check_in(
                    salon_shared::api::CheckInCustomer {
                        id: Some(c.id),
                        ..Default::default()
                    },
                    &[services[0].id],
                    None,
                ),
                None,
            )
            .await
            .expect("checked in");
        for a in [QueueAction::Call, QueueAction::Start, QueueAction::Finish] {
            m.queue_move(t.ticket.id, a).await.expect("queue move");
        }
        t.ticket
    })
    .await;
    app.tap("check in");
    app.on("phone").await;
    app.type_digits(&number).await;
    app.tap("ok");
    app.on("feedback").await;
    assert_eq!(app.kiosk().get_rate_number(), ticket.number.as_str());
    app.tap("overall 5");
    app.tap("service 4");
    app.tap("stylist 5");
    app.tap("send rating");
    app.problem("need_ratings").await;
    app.tap("environment 4");
    app.tap("recommend 9");
    app.tap("phrase 0");
    app.tap("send rating");
    app.on("thanks").await;
    let m = srv.manager.clone();
    let all = net(h, async move {
        m.feedback_list(&PeriodQuery::default())
            .await
            .expect("feedback list")
    })
    .await;
    let f = all
        .iter()
        .find(|f| f.ticket_id == ticket.id)
        .expect("the rating is stored against the visit");
    assert_eq!(
        (
            f.overall,
            f.service,
            f.stylist_score,
            f.environment,
            f.recommend
        ),
        (5, 4, 5, 4, 9)
    );
    assert_eq!(f.comment, "非常专业");
    app.tap("done");
    app.on("welcome").await;
}

async fn booked_customer(srv: &TestServer, h: &Handle) {
    let (app, _dir) = App::new_kiosk(h, srv, IDLE).await;
    let m = srv.manager.clone();
    let number = phone();
    let p = number.clone();
    let day = today(srv);
    let booking = net(h, async move {
        let c = add(&m, &customer("钱芳", &p)).await;
        salon_tests::book_latest_slot(&m, c.id, day).await
    })
    .await;
    app.tap("check in");
    app.on("phone").await;
    app.type_digits(&number).await;
    app.tap("ok");
    app.on("appointment").await;
    assert!(app.has("appointment-time"));
    app.tap("confirm appointment");
    app.on("ticket").await;
    assert!(
        app.kiosk().get_ticket_number().starts_with('B'),
        "checked in against the booking"
    );
    let m = srv.manager.clone();
    let after = net(h, async move {
        m.appointments(&salon_shared::api::AppointmentQuery {
            day: Some(day),
            ..Default::default()
        })
        .await
        .expect("appointments")
    })
    .await;
    let a = after
        .iter()
        .find(|a| a.id == booking.id)
        .expect("the booking");
    assert_eq!(a.state, salon_shared::api::AppointmentState::CheckedIn);
}

async fn inactivity_forgets_the_customer(srv: &TestServer, h: &Handle) {
    let (app, _dir) = App::new_kiosk(h, srv, Duration::from_secs(1)).await;
    app.tap("check in");
    app.on("phone").await;
    app.type_digits("138").await;
    pause(Duration::from_millis(1500)).await;
    app.on("welcome").await;
    assert_eq!(app.kiosk().get_phone_shown(), "", "nothing of them is left");
}

/// A loopback relay between the kiosk and the server whose link the test can cut, like a
/// Wi-Fi drop: while cut, connections are refused and open ones are closed.
struct Relay {
    base: String,
    up: Arc<AtomicBool>,
    conns: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let target = target.trim_start_matches("http://").to_string();
        let up = Arc::new(AtomicBool::new(true));
        let conns = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (u, c) = (up.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !u.load(Ordering::SeqCst) {
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                c.lock().expect("lock").push(task.abort_handle());
            }
        });
        Relay { base, up, conns }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for c in self.conns.lock().expect("lock").drain(..) {
            c.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

async fn network_drop_keeps_the_check_in(srv: &TestServer, h: &Handle) {
    let target = srv.base.clone();
    let relay = net(h, Relay::start(target)).await;
    let (app, dir) = App::new_kiosk_via(h, srv, &relay.base, IDLE).await;
    app.until("online", |a| a.kiosk().get_online()).await;
    let m = srv.manager.clone();
    let number = phone();
    let p = number.clone();
    let who = net(h, async move { add(&m, &customer("周洁", &p)).await }).await;
    app.tap("check in");
    app.on("phone").await;
    app.type_digits(&number).await;
    app.tap("ok");
    pick_first_service_and_stylists(&app).await;

    // The Wi-Fi drops just as she taps her stylist.
    relay.cut();
    app.tap("stylist next available");
    app.on("ticket").await;
    assert!(app.kiosk().get_queued(), "she is told it will be sent");
    assert!(app.has("queued-offline"));
    app.until("offline shown", |a| !a.kiosk().get_online())
        .await;
    let saved = std::fs::read_to_string(dir.path().join("pending.json")).expect("kept on disk");
    assert!(saved.contains("checkin"), "{saved}");

    // The link comes back: the kiosk sends it by itself, once.
    relay.restore();
    app.until("online again", |a| a.kiosk().get_online()).await;
    let m = srv.manager.clone();
    let mut queued = 0;
    for _ in 0..100 {
        let m = m.clone();
        let q = net(h, async move {
            m.queue(&QueueQuery::default()).await.expect("queue")
        })
        .await;
        queued = q
            .entries
            .iter()
            .filter(|e| e.ticket.customer_id == who.id)
            .count();
        if queued > 0 {
            break;
        }
        pause(Duration::from_millis(100)).await;
    }
    assert_eq!(queued, 1, "the confirmed check-in arrived exactly once");
    app.until("nothing left to send", |_| {
        std::fs::read_to_string(dir.path().join("pending.json")).is_ok_and(|s| s.trim() == "[]")
    })
    .await;
}

async fn queue_display(srv: &TestServer, h: &Handle) {
    let srv_base = srv.base.clone();
    // Paired through the real pairing flow, with a display code.
    let m = srv.manager.clone();
    let base = srv_base.clone();
    let token = net(h, async move {
        let code = m
            .create_pairing_code(Role::Display)
            .await
            .expect("display code");
        let anon = salon_shared::client::Client::new(base);
        let (resp, _) = anon
            .pair(&code.code, "waiting area tv")
            .await
            .expect("paired");
        resp.token
    })
    .await;
    let dir = tempfile::tempdir().expect("data dir");
    let app = App::paired(h, dir.path(), &srv_base, &token, Role::Display, IDLE).await;
    app.on("display").await;
    app.until("the queue shows", |a| a.kiosk().get_waiting_count() > 0)
        .await;
    // Calling the next waiting ticket shows up on the big screen by itself.
    let m = srv.manager.clone();
    let called = net(h, async move {
        let q = m.queue(&QueueQuery::default()).await.expect("queue");
        let next = q
            .entries
            .iter()
            .find(|e| e.ticket.state == salon_shared::api::TicketState::Waiting)
            .expect("someone waits")
            .ticket
            .clone();
        m.queue_move(next.id, QueueAction::Call)
            .await
            .expect("call");
        next.number
    })
    .await;
    let label = format!("called {called}");
    app.until("the called number appears", |a| a.has(&label))
        .await;
    let lines = app.kiosk().get_called();
    let line = (0..slint::Model::row_count(&lines))
        .filter_map(|i| slint::Model::row_data(&lines, i))
        .find(|l| l.number == called.as_str())
        .expect("called line");
    assert!(
        line.greeting.ends_with("女士")
            || line.greeting.ends_with("先生")
            || line.greeting.ends_with("**"),
        "names are masked: {}",
        line.greeting
    );
    assert!(!app.has("check in"), "a display offers no check-in");
}
