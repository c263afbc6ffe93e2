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
    let phone = "13800138000".to_string();
    let c = srv.manager.create_customer(&customer("王芳", &phone), None).await.expect("customer");
    let card = srv
        .manager
        .issue_card(&IssueCard { customer_id: c.id, number: None }, None)
        .await
        .expect("card");
    let st = srv.manager.create_staff(&staff("Tony 老师", Some("2468")), None).await.expect("staff");
    Fixture { customer: c.id, phone, card: card.number.to_string(), staff: st.id, pin: "2468" }
}

type Outcome = Result<(), ClientError>;

fn unit<T>(r: Result<T, ClientError>) -> Outcome {
    r.map(|_| ())
}

/// Calls the representative routes of `action` as `c`; every call would succeed (2xx) for a
/// role that may do it.
async fn attempt(srv: &TestServer, fx: &Fixture, c: &Client, action: Action) -> Vec<(&'static str, Outcome)> {
    let m = &srv.manager;
    let fresh = || async move { m.create_customer(&customer("李四", &phone()), None).await.expect("customer").id };
    match action {
        Action::Events => vec![("GET /events", unit(c.events_once(None).await))],
        Action::CustomerRead => vec![
            ("GET /customers/{id}", unit(c.customer(fx.customer).await)),
            ("GET /customers/{id}/history", unit(c.customer_history(fx.customer).await)),
        ],
        Action::CustomerSearch => vec![(
            "GET /customers",
            unit(c.search_customers(&CustomerQuery { q: Some("8000".into()), ..Default::default() }).await),
        )],
        Action::CustomerWrite => {
            let p = phone();
            let created = unit(c.create_customer(&customer("赵五", &p), None).await);
            let q = CustomerQuery { q: Some(p), ..Default::default() };
            let total = m.search_customers(&q).await.expect("search").total;
            assert_eq!(total, usize::from(created.is_ok()), "a refused create must not create");
            let patch = CustomerPatch { tags: Some(["常客".to_string()].into()), ..Default::default() };
            vec![
                ("POST /customers", created),
                ("PATCH /customers/{id}", unit(c.update_customer(fx.customer, &patch, None).await)),
            ]
        }
        Action::CustomerMerge => {
            let (a, b) = (fresh().await, fresh().await);
            vec![("POST /customers/{id}/merge", unit(c.merge_customers(a, b, None).await))]
        }
        Action::CustomerPrivacy => {
            let e = fresh().await;
            vec![
                ("GET /customers/{id}/export", unit(c.export_customer(fx.customer).await)),
                ("POST /customers/{id}/erase", unit(c.erase_customer(e, None).await)),
            ]
        }
        Action::KioskIdentify => {
            let reg = KioskRegister {
                name: "周六".into(),
                phone: phone(),
                gender: Default::default(),
                birthday: None,
                consent: true,
            };
            vec![
                (
                    "POST /kiosk/identify",
                    unit(c.kiosk_identify(&KioskIdentify { phone: Some(fx.phone.clone()), card: None }).await),
                ),
                ("POST /kiosk/register", unit(c.kiosk_register(&reg, None).await)),
            ]
        }
        Action::ServiceRead => vec![("GET /services", unit(c.services(false).await))],
        Action::ServiceWrite => vec![("POST /services", unit(c.create_service(&service("洗剪吹", "68"), None).await))],
        Action::StaffRead => vec![("GET /staff", unit(c.staff().await))],
        Action::StaffWrite => vec![("POST /staff", unit(c.create_staff(&staff("小美", Some("1357")), None).await))],
        Action::CardRead => vec![("GET /cards/{number}", unit(c.card(&fx.card).await))],
        Action::CardWrite => {
            let e = fresh().await;
            vec![("POST /cards", unit(c.issue_card(&IssueCard { customer_id: e, number: None }, None).await))]
        }
        Action::AuditRead => vec![("GET /audit", unit(c.audit(&AuditQuery::default()).await))],
        Action::DeviceManage => vec![
            ("GET /devices", unit(c.devices().await)),
            ("POST /pairing-codes", unit(c.create_pairing_code(Role::Stylist).await)),
        ],
        Action::StaffSignIn => vec![("POST /sessions", unit(c.sign_in(fx.staff, fx.pin).await))],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_matrix_follows_the_permission_table() {
    let srv = TestServer::start().await;
    let fx = fixture(&srv).await;
    let mut wrong = Vec::new();
    let mut refused = 0;
    for role in Role::ALL {
        let c = srv.client(role).await;
        for action in Action::ALL {
            for (route, out) in attempt(&srv, &fx, &c, action).await {
                let ok = match (&out, allows(role, action)) {
                    (Ok(()), true) => true,
                    (Err(ClientError::Api { status: 403, code, .. }), false) => {
                        refused += 1;
                        code == "forbidden"
                    }
                    _ => false,
                };
                if !ok {
                    wrong.push(format!("{role:?} {action:?} {route}: allowed={} got {out:?}", allows(role, action)));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "role matrix violations:\n{}", wrong.join("\n"));
    assert!(refused > 20, "the matrix refused only {refused} calls");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_garbage_and_revoked_tokens_are_refused() {
    let srv = TestServer::start().await;
    let anon = srv.anonymous();
    assert_err(anon.search_customers(&CustomerQuery::default()).await, 401, "unauthenticated");
    assert_err(anon.me().await, 401, "unauthenticated");
    assert_err(anon.create_customer(&customer("王芳", &phone()), None).await, 401, "unauthenticated");
    assert!(anon.health().await.is_ok(), "health needs no token");

    let garbage = Client::new(srv.base.clone()).with_token("not-a-real-token");
    assert_err(garbage.me().await, 401, "invalid_token");
    assert_err(garbage.services(false).await, 401, "invalid_token");
    let url = format!("{}/api/v1/customers", srv.base);
    let (status, body) = raw("GET", &url, None, None, &[("Authorization", "Basic YWRtaW46YWRtaW4=")]).await;
    assert_eq!((status, error_code(&body).as_str()), (401, "unauthenticated"));

    let (desk, _, id) = paired(&srv, Role::FrontDesk, "front counter").await;
    assert_eq!(desk.me().await.expect("me").device.name, "front counter");
    let revoked = srv.manager.revoke_device(id).await.expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert_err(desk.me().await, 401, "invalid_token");
    assert_err(desk.search_customers(&CustomerQuery::default()).await, 401, "invalid_token");
    let listed = srv.manager.devices().await.expect("devices");
    assert!(listed.iter().any(|d| d.id == id && d.revoked_at.is_some()), "revoked device still listed as revoked");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiosk_sees_only_the_customer_at_hand() {
    let srv = TestServer::start().await;
    let fx = fixture(&srv).await;
    let (kiosk, token, _) = paired(&srv, Role::Kiosk, "front door kiosk").await;
    assert_err(kiosk.search_customers(&CustomerQuery::default()).await, 403, "forbidden");
    let by_phone = CustomerQuery { q: Some(fx.phone.clone()), ..Default::default() };
    assert_err(kiosk.search_customers(&by_phone).await, 403, "forbidden");
    assert_err(kiosk.customer(fx.customer).await, 403, "forbidden");
    assert_err(kiosk.customer(CustomerId(999_999)).await, 403, "forbidden");
    assert_err(kiosk.customer_history(fx.customer).await, 403, "forbidden");
    assert_err(kiosk.export_customer(fx.customer).await, 403, "forbidden");
    assert_err(kiosk.card(&fx.card).await, 403, "forbidden");

    let k = kiosk
        .kiosk_identify(&KioskIdentify { phone: Some("+86 138 0013 8000".into()), card: None })
        .await
        .expect("identify by phone");
    assert_eq!((k.id, k.greeting.as_str(), k.masked_phone.as_str()), (fx.customer, "王女士", "138****8000"));
    let by_card = kiosk
        .kiosk_identify(&KioskIdentify { phone: None, card: Some(fx.card.clone()) })
        .await
        .expect("identify by card");
    assert_eq!(by_card, k);
    // The wire answer carries nothing beyond the greeting, the masked phone and the tier.
    let url = format!("{}/api/v1/kiosk/identify", srv.base);
    let (status, body) = raw("POST", &url, Some(&token), json(r#"{"phone":"13800138000"}"#), &[]).await;
    assert_eq!(status, 200);
    let mut keys: Vec<&str> = body.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["greeting", "id", "masked_phone", "tier"]);
    assert!(!body.to_string().contains("13800138000") && !body.to_string().contains("王芳"), "{body}");
    let unknown = kiosk.kiosk_identify(&KioskIdentify { phone: Some("13900000000".into()), card: None }).await;
    assert_err(unknown, 404, "customer_not_found");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_codes_are_single_use() {
    let srv = TestServer::start().await;
    let code = srv.manager.create_pairing_code(Role::Stylist).await.expect("code");
    assert!(code.code.len() == 6 && code.code.bytes().all(|b| b.is_ascii_digit()), "{}", code.code);
    let (resp, stylist) = srv.anonymous().pair(&code.code, "stylist tablet").await.expect("pair");
    assert_eq!(resp.device.role, Role::Stylist);
    assert_eq!(resp.store_name, "测试沙龙 Test Salon");
    let me = stylist.me().await.expect("me");
    assert_eq!((me.device.id, me.device.role, me.staff), (resp.device.id, Role::Stylist, None));

    assert_err(srv.anonymous().pair(&code.code, "second tablet").await.map(|r| r.0), 401, "pairing_code_invalid");
    let wrong = format!("{:06}", (code.code.parse::<u32>().expect("digits") + 1) % 1_000_000);
    assert_err(srv.anonymous().pair(&wrong, "guessing tablet").await.map(|r| r.0), 401, "pairing_code_invalid");
    assert_err(srv.anonymous().pair("", "empty code").await.map(|r| r.0), 401, "pairing_code_invalid");
    let devices = srv.manager.devices().await.expect("devices");
    assert_eq!(devices.len(), 2, "only the harness manager and the stylist are paired: {devices:?}");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_pin_sign_in_and_lockout() {
    let srv = TestServer::start().await;
    let fx = fixture(&srv).await;
    let desk = srv.client(Role::FrontDesk).await;
    let (r, signed) = desk.sign_in(fx.staff, fx.pin).await.expect("sign in");
    assert_eq!(r.staff.id, fx.staff);
    let me = signed.me().await.expect("me");
    assert_eq!(me.staff.map(|s| (s.id, s.name)), Some((fx.staff, "Tony 老师".to_string())));
    assert_eq!(desk.me().await.expect("me without session").staff, None);
    signed.sign_out().await.expect("sign out");
    assert_err(signed.me().await, 401, "session_expired");

    // A session belongs to the device it was made on.
    let other = srv.client(Role::FrontDesk).await.with_staff_session(Some(r.session.clone()));
    assert_err(other.me().await, 401, "session_expired");

    assert_err(desk.sign_in(fx.staff, "0000").await.map(|r| r.0), 401, "pin_wrong");
    assert_err(desk.sign_in(StaffId(999), fx.pin).await.map(|r| r.0), 401, "pin_wrong");
    for _ in 0..3 {
        assert_err(desk.sign_in(fx.staff, "9999").await.map(|r| r.0), 401, "pin_wrong");
    }
    // Five failures: even the right PIN is now refused.
    assert_err(desk.sign_in(fx.staff, fx.pin).await.map(|r| r.0), 429, "too_many_attempts");
    assert_err(desk.sign_in(fx.staff, "9999").await.map(|r| r.0), 429, "too_many_attempts");

    let kiosk = srv.client(Role::Kiosk).await;
    assert_err(kiosk.sign_in(fx.staff, fx.pin).await.map(|r| r.0), 403, "forbidden");
    srv.stop().await;
}
