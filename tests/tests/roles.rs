//! The role matrix (SEC-2) driven by `salon_shared::auth::allows`, plus authentication:
//! missing, garbage and revoked tokens, pairing codes, and staff PIN sign-in.

mod common;

use common::*;
use salon_shared::api::*;
use salon_shared::auth::allows;
use salon_shared::client::{Client, ClientError};
use salon_shared::{Action, CustomerId, Role, StaffId};
use salon_tests::TestServer;

/// What the manager set up before the matrix runs.
struct Fixture {
    customer: CustomerId,
    phone: String,
    card: String,
    staff: StaffId,
    pin: &'static str,
}

async fn fixture(srv: &TestServer) -> Fixture {
    let m = &srv.manager;
    let phone = "13800138000".to_string();
    let c = add(m, &customer("王芳", &phone)).await;
    let card = card_for(m, c.id).await;
    let st = m
        .create_staff(&staff("Tony 老师", Some("2468")), None)
        .await
        .expect("staff");
    Fixture {
        customer: c.id,
        phone,
        card,
        staff: st.id,
        pin: "2468",
    }
}

type Outcome = Result<(), ClientError>;

fn unit<T>(r: Result<T, ClientError>) -> Outcome {
    r.map(|_| ())
}

/// Calls the representative routes of `action` as `c`; every call would succeed (2xx) for a
/// role that may do it.
async fn attempt(
    srv: &TestServer,
    fx: &Fixture,
    c: &Client,
    action: Action,
) -> Vec<(&'static str, Outcome)> {
    let m = &srv.manager;
    let new_customer = || async move { add(m, &customer("李四", &phone())).await };
    let fresh = || async move { new_customer().await.id };
    let f = fx.customer;
    let at_door = KioskIdentify {
        phone: Some(fx.phone.clone()),
        card: None,
    };
    let (name, consent, birthday, gender) = ("周六".to_string(), true, None, Default::default());
    let reg = KioskRegister {
        name,
        phone: phone(),
        consent,
        birthday,
        gender,
    };
    let patch = CustomerPatch {
        tags: Some(["常客".to_string()].into()),
        ..Default::default()
    };
    let (svc, st) = (service("洗剪吹", "68"), staff("小美", Some("1357")));
    match action {
        Action::Events => vec![("GET /events", unit(c.events_once(None).await))],
        Action::CustomerRead => vec![
            ("GET /customers/{id}", unit(c.customer(f).await)),
            (
                "GET /customers/{id}/history",
                unit(c.customer_history(f).await),
            ),
            ("GET /customers/{id}/overview", unit(c.overview(f).await)),
        ],
        Action::CustomerSearch => {
            vec![("GET /customers", unit(c.search_customers(&q("8000")).await))]
        }
        Action::CustomerWrite => {
            let p = phone();
            let created = unit(c.create_customer(&customer("赵五", &p), None).await);
            let total = m.search_customers(&q(&p)).await.expect("search").total;
            assert_eq!(
                total,
                usize::from(created.is_ok()),
                "a refused create must not create"
            );
            let updated = unit(c.update_customer(f, &patch, None).await);
            vec![
                ("POST /customers", created),
                ("PATCH /customers/{id}", updated),
            ]
        }
        Action::CustomerMerge => {
            let (a, b) = (fresh().await, fresh().await);
            vec![(
                "POST /customers/{id}/merge",
                unit(c.merge_customers(a, b, None).await),
            )]
        }
        Action::CustomerPrivacy => {
            let e = fresh().await;
            vec![
                (
                    "GET /customers/{id}/export",
                    unit(c.export_customer(f).await),
                ),
                (
                    "POST /customers/{id}/erase",
                    unit(c.erase_customer(e, None).await),
                ),
            ]
        }
        Action::KioskIdentify => vec![
            (
                "POST /kiosk/identify",
                unit(c.kiosk_identify(&at_door).await),
            ),
            (
                "POST /kiosk/register",
                unit(c.kiosk_register(&reg, None).await),
            ),
        ],
        Action::ServiceRead => vec![("GET /services", unit(c.services(false).await))],
        Action::ServiceWrite => vec![("POST /services", unit(c.create_service(&svc, None).await))],
        Action::StaffRead => vec![("GET /staff", unit(c.staff().await))],
        Action::StaffWrite => vec![("POST /staff", unit(c.create_staff(&st, None).await))],
        Action::CardRead => vec![("GET /cards/{number}", unit(c.card(&fx.card).await))],
        Action::CardWrite => {
            let card = IssueCard {
                customer_id: fresh().await,
                number: None,
            };
            vec![("POST /cards", unit(c.issue_card(&card, None).await))]
        }
        Action::AuditRead => vec![("GET /audit", unit(c.audit(&AuditQuery::default()).await))],
        Action::DeviceManage => vec![
            ("GET /devices", unit(c.devices().await)),
            (
                "POST /pairing-codes",
                unit(c.create_pairing_code(Role::Stylist).await),
            ),
        ],
        Action::StaffSignIn => vec![("POST /sessions", unit(c.sign_in(fx.staff, fx.pin).await))],
        Action::NotifyManage => vec![(
            "GET /settings/notifications",
            unit(c.notification_settings().await),
        )],
        Action::CheckIn => {
            let (_, svc) = working_stylist(m).await;
            // By phone, as every device may (a kiosk may not use a bare id).
            let who = CheckInCustomer {
                phone: new_customer().await.phone.map(|p| p.to_string()),
                ..Default::default()
            };
            let req = CheckInRequest {
                customer: who,
                services: vec![svc],
                stylist: None,
            };
            vec![
                ("GET /check-ins/quote", unit(c.quote(&[svc]).await)),
                ("POST /check-ins", unit(c.check_in(&req, None).await)),
            ]
        }
        Action::QueueRead => vec![
            ("GET /queue", unit(c.queue(&QueueQuery::default()).await)),
            ("GET /rotation", unit(c.rotation(&[]).await)),
        ],
        Action::QueueWork => {
            let ticket = queued_ticket(m, fresh().await).await;
            vec![(
                "POST /queue/{id}/call",
                unit(c.queue_move(ticket, QueueAction::Call).await),
            )]
        }
        Action::QueueManage => {
            let ticket = queued_ticket(m, fresh().await).await;
            vec![("POST /queue/{id}/reorder", unit(c.reorder(ticket, 1).await))]
        }
        Action::ScheduleManage => {
            let (st, _) = working_stylist(m).await;
            vec![
                (
                    "PUT /rotation/{stylist}",
                    unit(c.adjust_rotation(st, &Adjustment::default()).await),
                ),
                (
                    "PUT /staff/{id}/roster",
                    unit(c.set_roster(st, &all_day()).await),
                ),
            ]
        }
        Action::ScheduleRead => vec![
            (
                "GET /appointments",
                unit(c.appointments(&AppointmentQuery::default()).await),
            ),
            ("GET /staff/{id}/roster", unit(c.roster(fx.staff).await)),
        ],
        Action::AppointmentWrite => {
            let (st, svc) = working_stylist(m).await;
            let booking = NewAppointment {
                customer_id: fresh().await,
                stylist_id: st,
                services: vec![svc],
                start: chrono::Utc::now() + chrono::Duration::days(1),
                note: String::new(),
            };
            vec![("POST /appointments", unit(c.book(&booking, None).await))]
        }
        Action::ReportRead => vec![
            (
                "GET /reports/waits",
                unit(c.wait_report(&PeriodQuery::default()).await),
            ),
            (
                "GET /feedback",
                unit(c.feedback_list(&PeriodQuery::default()).await),
            ),
            (
                "GET /reports/ratings",
                unit(c.ratings_report(&PeriodQuery::default()).await),
            ),
        ],
        Action::FeedbackWrite => {
            let who = new_customer().await;
            let ticket = finished_ticket(m, who.id).await;
            // As the customer identified at the door (a kiosk must say; staff may).
            let rating = FeedbackInput {
                ticket_id: ticket,
                overall: 5,
                service: 5,
                stylist: 5,
                environment: 4,
                recommend: 9,
                comment: String::new(),
                by: Some(KioskIdentify {
                    phone: who.phone.map(|p| p.to_string()),
                    card: None,
                }),
            };
            vec![("POST /feedback", unit(c.feedback(&rating, None).await))]
        }
        Action::VisitWrite => {
            let ticket = finished_ticket(m, fresh().await).await;
            let svc = m.services(false).await.expect("services")[0].id;
            let record = VisitInput {
                services: vec![svc],
                ..Default::default()
            };
            vec![(
                "PUT /visits/{id}",
                unit(c.record_visit(ticket, &record, None).await),
            )]
        }
        Action::Checkout => {
            let svc = m.services(false).await.expect("services")[0].id;
            let bill = CheckoutInput {
                ticket_id: None,
                customer_id: Some(f),
                stylist: None,
                items: vec![SaleItem::Service { id: svc, qty: 1 }],
                use_packages: true,
                coupon: None,
                points: 0,
                tenders: vec![],
            };
            vec![
                (
                    "POST /checkouts/preview",
                    unit(c.checkout_preview(&bill).await),
                ),
                (
                    "POST /customers/{id}/top-ups",
                    unit(c.top_up(fresh().await, &ten_in_cash(), None).await),
                ),
            ]
        }
        Action::Refund => {
            let paid = m
                .top_up(fresh().await, &ten_in_cash(), None)
                .await
                .expect("top-up");
            vec![(
                "POST /checkouts/{id}/refund",
                unit(c.refund(paid.id, "换卡", None).await),
            )]
        }
        Action::CashUp => vec![
            ("GET /reports/cash-up", unit(c.cash_up(None).await)),
            ("GET /checkouts", unit(c.checkouts(None).await)),
        ],
        Action::SalesManage => {
            let product = ProductInput {
                name: "发蜡".into(),
                brand: String::new(),
                barcode: None,
                price: money("45"),
            };
            vec![
                ("POST /products", unit(c.create_product(&product).await)),
                (
                    "PUT /settings/members",
                    unit(c.put_member_settings(&MemberSettings::default()).await),
                ),
            ]
        }
    }
}

fn ten_in_cash() -> TopUpInput {
    TopUpInput {
        amount: money("10"),
        tenders: vec![salon_shared::bill::Tender {
            method: salon_shared::bill::PayMethod::Cash,
            amount: money("10"),
            reference: None,
        }],
    }
}

/// A new stylist working all day and a service they perform.
async fn working_stylist(m: &Client) -> (StaffId, salon_shared::ServiceId) {
    let svc = m
        .create_service(&service("快剪", "38"), None)
        .await
        .expect("service");
    let st = m
        .create_staff(&staff("轮值", Some("2468")), None)
        .await
        .expect("stylist");
    m.set_roster(st.id, &all_day()).await.expect("roster");
    (st.id, svc.id)
}

/// A waiting ticket for `customer` with a fresh stylist.
async fn queued_ticket(m: &Client, customer: CustomerId) -> u64 {
    let (st, svc) = working_stylist(m).await;
    let req = CheckInRequest {
        customer: CheckInCustomer {
            id: Some(customer),
            ..Default::default()
        },
        services: vec![svc],
        stylist: Some(st),
    };
    m.check_in(&req, None).await.expect("check-in").ticket.id
}

/// A finished ticket for `customer`, ready to be rated.
async fn finished_ticket(m: &Client, customer: CustomerId) -> u64 {
    let ticket = queued_ticket(m, customer).await;
    for a in [QueueAction::Start, QueueAction::Finish] {
        m.queue_move(ticket, a).await.expect("moved");
    }
    ticket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_matrix_follows_the_permission_table() {
    let srv = TestServer::start().await;
    let fx = fixture(&srv).await;
    let mut wrong = Vec::new();
    let mut refused = 0;
    for role in Role::ALL {
        let c = srv.client(role).await;
        // Money is taken by a signed-in staff member on a shared tablet.
        let c = if allows(role, Action::StaffSignIn) {
            c.sign_in(fx.staff, fx.pin).await.expect("signed in").1
        } else {
            c
        };
        for action in Action::ALL {
            let allowed = allows(role, action);
            for (route, out) in attempt(&srv, &fx, &c, action).await {
                let ok = match &out {
                    Ok(()) => allowed,
                    Err(ClientError::Api {
                        status: 403, code, ..
                    }) if !allowed => {
                        refused += 1;
                        code == "forbidden"
                    }
                    Err(_) => false,
                };
                if !ok {
                    wrong.push(format!(
                        "{role:?} {action:?} {route}: allowed={allowed}, got {out:?}"
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "role matrix violations:\n{}",
        wrong.join("\n")
    );
    assert!(refused > 20, "the matrix refused only {refused} calls");
    srv.stop().await;
}

async fn sign_in(c: &Client, staff: StaffId, pin: &str) -> Outcome {
    unit(c.sign_in(staff, pin).await)
}

async fn pair(srv: &TestServer, code: &str, name: &str) -> Outcome {
    unit(srv.anonymous().pair(code, name).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_garbage_and_revoked_tokens_are_refused() {
    let srv = TestServer::start().await;
    let anon = srv.anonymous();
    let all = CustomerQuery::default();
    assert_err(anon.search_customers(&all).await, 401, "unauthenticated");
    assert_err(anon.me().await, 401, "unauthenticated");
    let new = customer("王芳", &phone());
    assert_err(
        anon.create_customer(&new, None).await,
        401,
        "unauthenticated",
    );
    assert!(anon.health().await.is_ok(), "health needs no token");

    let garbage = Client::new(srv.base.clone()).with_token("not-a-real-token");
    assert_err(garbage.me().await, 401, "invalid_token");
    assert_err(garbage.services(false).await, 401, "invalid_token");
    let url = format!("{}/api/v1/customers", srv.base);
    let basic = [("Authorization", "Basic YWRtaW46YWRtaW4=")];
    let (status, body) = raw("GET", &url, None, None, &basic).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (401, "unauthenticated")
    );

    let (desk, _, id) = paired(&srv, Role::FrontDesk, "front counter").await;
    assert_eq!(desk.me().await.expect("me").device.name, "front counter");
    let revoked = srv.manager.revoke_device(id).await.expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert_err(desk.me().await, 401, "invalid_token");
    assert_err(desk.search_customers(&all).await, 401, "invalid_token");
    let listed = srv.manager.devices().await.expect("devices");
    let shown = listed.iter().any(|d| d.id == id && d.revoked_at.is_some());
    assert!(shown, "the revoked device is listed as revoked");
    srv.stop().await;
}

fn at_door(phone: Option<&str>, card: Option<&str>) -> KioskIdentify {
    KioskIdentify {
        phone: phone.map(String::from),
        card: card.map(String::from),
    }
}

const NOT_FOUND: &str = "customer_not_found";
const BAD_CODE: &str = "pairing_code_invalid";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiosk_sees_only_the_customer_at_hand() {
    let srv = TestServer::start().await;
    let fx = fixture(&srv).await;
    let (kiosk, token, _) = paired(&srv, Role::Kiosk, "front door kiosk").await;
    let all = CustomerQuery::default();
    assert_err(kiosk.search_customers(&all).await, 403, "forbidden");
    assert_err(
        kiosk.search_customers(&q(&fx.phone)).await,
        403,
        "forbidden",
    );
    assert_err(kiosk.customer(fx.customer).await, 403, "forbidden");
    assert_err(kiosk.customer(CustomerId(999_999)).await, 403, "forbidden");
    assert_err(kiosk.customer_history(fx.customer).await, 403, "forbidden");
    assert_err(kiosk.export_customer(fx.customer).await, 403, "forbidden");
    assert_err(kiosk.card(&fx.card).await, 403, "forbidden");
    // Nor the queue, which lists everyone waiting (here, the fixture's customer), whatever
    // the filter, nor the rotation board that goes with it.
    let (st, svc) = working_stylist(&srv.manager).await;
    let waiting = queued_ticket(&srv.manager, fx.customer).await;
    let whole_day = QueueQuery {
        stylist: None,
        include_closed: true,
    };
    for q in [QueueQuery::default(), whole_day] {
        assert_err(kiosk.queue(&q).await, 403, "forbidden");
    }
    assert_err(kiosk.rotation(&[svc]).await, 403, "forbidden");
    // What it does need to check someone in still answers: the waits for the services
    // chosen, naming stylists only.
    let quote = kiosk.quote(&[svc]).await.expect("quote");
    assert!(quote.stylists.iter().any(|w| w.stylist == st), "{quote:?}");
    let listed = srv.manager.queue(&QueueQuery::default()).await;
    let ids: Vec<u64> = listed
        .expect("queue")
        .entries
        .iter()
        .map(|e| e.ticket.id)
        .collect();
    assert_eq!(ids, [waiting], "the refusals are not for want of a queue");

    let by_phone = at_door(Some("+86 138 0013 8000"), None);
    let k = kiosk
        .kiosk_identify(&by_phone)
        .await
        .expect("identify by phone");
    let seen = (k.id, k.greeting.as_str(), k.masked_phone.as_str());
    assert_eq!(seen, (fx.customer, "王女士", "138****8000"));
    let by_card = kiosk.kiosk_identify(&at_door(None, Some(&fx.card))).await;
    assert_eq!(by_card.expect("identify by card"), k);
    // The wire answer carries nothing beyond the greeting, the masked phone and the tier.
    let url = format!("{}/api/v1/kiosk/identify", srv.base);
    let body = json(r#"{"phone":"13800138000"}"#);
    let (status, v) = raw("POST", &url, Some(&token), body, &[]).await;
    assert_eq!(status, 200);
    let keys = v.as_object().expect("object").keys();
    let mut keys: Vec<&str> = keys.map(String::as_str).collect();
    keys.sort();
    let today = ["appointment", "to_rate"];
    assert_eq!(
        keys,
        [
            "appointment",
            "greeting",
            "id",
            "masked_phone",
            "tier",
            "to_rate"
        ]
    );
    // What they came for today (nothing, here) is all the rest.
    assert!(today.iter().all(|k| v[k].is_null()), "{v}");
    let text = v.to_string();
    assert!(
        !text.contains("13800138000") && !text.contains("王芳"),
        "{text}"
    );
    // Guessing numbers is limited: after 30 misses even a known customer must wait.
    for i in 0..30 {
        let miss = kiosk
            .kiosk_identify(&at_door(Some(&format!("1390000{i:04}")), None))
            .await;
        assert_err(miss, 404, NOT_FOUND);
    }
    assert_err(
        kiosk.kiosk_identify(&by_phone).await,
        429,
        "too_many_attempts",
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_display_reads_the_queue_and_nothing_about_customers() {
    let srv = TestServer::start().await;
    let fx = fixture(&srv).await;
    let m = &srv.manager;
    let (st, svc) = working_stylist(m).await;
    let checked_in = CheckInRequest {
        customer: CheckInCustomer {
            id: Some(fx.customer),
            ..Default::default()
        },
        services: vec![svc],
        stylist: Some(st),
    };
    let ticket = m
        .check_in(&checked_in, None)
        .await
        .expect("check-in")
        .ticket;
    let (screen, _, _) = paired(&srv, Role::Display, "waiting-area screen").await;
    let me = screen.me().await.expect("me").device;
    assert_eq!(
        (me.role, me.name.as_str()),
        (Role::Display, "waiting-area screen")
    );

    // The queue, with the masked greeting and the stylist's name, is what it shows.
    let q = screen.queue(&QueueQuery::default()).await.expect("queue");
    let e = q.entries.iter().find(|e| e.ticket.id == ticket.id);
    let shown = e.map(|e| (e.greeting.as_str(), e.stylist_name.as_deref()));
    assert_eq!(shown, Some(("王女士", Some("轮值"))));
    screen.rotation(&[]).await.expect("rotation");
    screen.services(false).await.expect("services");
    screen.staff().await.expect("staff");

    // Nothing about customers, not even the one at hand, and no changes of any kind.
    let at_door = at_door(Some(&fx.phone), None);
    assert_err(screen.kiosk_identify(&at_door).await, 403, "forbidden");
    assert_err(screen.customer(fx.customer).await, 403, "forbidden");
    assert_err(
        screen.search_customers(&CustomerQuery::default()).await,
        403,
        "forbidden",
    );
    assert_err(screen.card(&fx.card).await, 403, "forbidden");
    assert_err(screen.quote(&[svc]).await, 403, "forbidden");
    let walk_in = CheckInRequest {
        customer: CheckInCustomer {
            phone: Some(fx.phone.clone()),
            ..Default::default()
        },
        ..checked_in.clone()
    };
    assert_err(screen.check_in(&walk_in, None).await, 403, "forbidden");
    assert_err(
        screen.queue_move(ticket.id, QueueAction::Call).await,
        403,
        "forbidden",
    );
    assert_err(
        screen.appointments(&AppointmentQuery::default()).await,
        403,
        "forbidden",
    );
    assert_err(sign_in(&screen, fx.staff, fx.pin).await, 403, "forbidden");
    let after = m.queue(&QueueQuery::default()).await.expect("queue");
    assert_eq!(
        after.entries.len(),
        1,
        "the refused calls changed the queue"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_codes_are_single_use() {
    let srv = TestServer::start().await;
    let code = srv
        .manager
        .create_pairing_code(Role::Stylist)
        .await
        .expect("code")
        .code;
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    let paired = srv.anonymous().pair(&code, "stylist tablet").await;
    let (resp, stylist) = paired.expect("pair");
    assert_eq!(resp.device.role, Role::Stylist);
    assert_eq!(resp.store_name, "测试沙龙 Test Salon");
    let me = stylist.me().await.expect("me");
    assert_eq!(
        (me.device.id, me.device.role, me.staff),
        (resp.device.id, Role::Stylist, None)
    );

    assert_err(pair(&srv, &code, "second tablet").await, 401, BAD_CODE);
    let n: u32 = code.parse().expect("digits");
    let guess = |i: u32| format!("{:06}", (n + i) % 1_000_000);
    assert_err(
        pair(&srv, &guess(1), "guessing tablet").await,
        401,
        BAD_CODE,
    );
    assert_err(pair(&srv, "", "empty code").await, 401, BAD_CODE);
    // Ten misses a minute, then even a valid code waits: six digits must not be guessable.
    for i in 2..9 {
        assert_err(
            pair(&srv, &guess(i), "guessing tablet").await,
            401,
            BAD_CODE,
        );
    }
    let fresh = srv
        .manager
        .create_pairing_code(Role::Kiosk)
        .await
        .expect("code")
        .code;
    assert_err(
        pair(&srv, &fresh, "real kiosk").await,
        429,
        "too_many_attempts",
    );
    let devices = srv.manager.devices().await.expect("devices");
    assert_eq!(
        devices.len(),
        2,
        "only the harness manager and the stylist: {devices:?}"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_pin_sign_in_and_lockout() {
    let srv = TestServer::start().await;
    let fx = fixture(&srv).await;
    let desk = srv.client(Role::FrontDesk).await;
    let (r, signed) = desk.sign_in(fx.staff, fx.pin).await.expect("sign in");
    assert_eq!(r.staff.id, fx.staff);
    let me = signed.me().await.expect("me").staff.map(|s| (s.id, s.name));
    assert_eq!(me, Some((fx.staff, "Tony 老师".to_string())));
    assert_eq!(desk.me().await.expect("me without session").staff, None);
    signed.sign_out().await.expect("sign out");
    assert_err(signed.me().await, 401, "session_expired");

    // A session belongs to the device it was made on.
    let other = srv.client(Role::FrontDesk).await;
    let other = other.with_staff_session(Some(r.session.clone()));
    assert_err(other.me().await, 401, "session_expired");

    assert_err(sign_in(&desk, fx.staff, "0000").await, 401, "pin_wrong");
    assert_err(sign_in(&desk, StaffId(999), fx.pin).await, 401, "pin_wrong");
    for _ in 0..3 {
        assert_err(sign_in(&desk, fx.staff, "9999").await, 401, "pin_wrong");
    }
    // Five failures: even the right PIN is now refused.
    assert_err(
        sign_in(&desk, fx.staff, fx.pin).await,
        429,
        "too_many_attempts",
    );
    assert_err(
        sign_in(&desk, fx.staff, "9999").await,
        429,
        "too_many_attempts",
    );

    let kiosk = srv.client(Role::Kiosk).await;
    assert_err(sign_in(&kiosk, fx.staff, fx.pin).await, 403, "forbidden");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivated_staff_are_signed_out_at_once() {
    let srv = TestServer::start().await;
    let fx = fixture(&srv).await;
    let tablet = srv.client(Role::Stylist).await;
    let (_, on_tablet) = tablet.sign_in(fx.staff, fx.pin).await.expect("sign in");
    let gone = StaffInput {
        active: false,
        ..staff("Tony 老师", None)
    };
    srv.manager
        .update_staff(fx.staff, &gone, None)
        .await
        .expect("deactivate");
    match on_tablet.me().await {
        Ok(me) if me.staff.is_none() => {}
        Err(e) if e.status() == Some(401) => {}
        other => panic!("a deactivated staff member is still signed in: {other:?}"),
    }
    srv.stop().await;
}
