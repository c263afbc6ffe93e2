//! Helpers shared by the end-to-end test files (each test file is its own crate and uses
//! only some of them).
#![allow(dead_code)]

use salon_shared::api::{ServiceInput, StaffInput};
use salon_shared::client::{Client, ClientError};
use salon_shared::customer::NewCustomer;
use salon_shared::{Gender, Money, Role, ServiceCategory, StaffLevel, StaffRole};
use salon_tests::TestServer;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};

/// A valid, unique mainland mobile number (unique within this test process).
pub fn phone() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("139{:04}{:04}", std::process::id() % 10_000, n % 10_000)
}

pub fn customer(name: &str, phone: &str) -> NewCustomer {
    NewCustomer {
        name: name.into(),
        phone: phone.into(),
        gender: Gender::Female,
        consent: true,
        ..Default::default()
    }
}

pub fn money(s: &str) -> Money {
    Money::new(s.parse().expect("decimal")).expect("valid money")
}

pub fn service(name: &str, price: &str) -> ServiceInput {
    ServiceInput {
        category: ServiceCategory::CutStyle,
        name: name.into(),
        description: String::new(),
        suitable_for: String::new(),
        price: money(price),
        level_prices: Default::default(),
        duration_min: 45,
    }
}

pub fn staff(name: &str, pin: Option<&str>) -> StaffInput {
    StaffInput {
        name: name.into(),
        role: StaffRole::Stylist,
        level: StaffLevel::Senior,
        skills: [ServiceCategory::CutStyle].into(),
        pin: pin.map(String::from),
        active: true,
    }
}

/// Asserts a call failed with this HTTP status and error code.
#[track_caller]
pub fn assert_err<T: Debug>(r: Result<T, ClientError>, status: u16, code: &str) {
    match r {
        Err(ClientError::Api {
            status: s, code: c, ..
        }) if s == status && c == code => {}
        other => panic!("expected {status} {code}, got {other:?}"),
    }
}

/// A device paired through the real flow, with its raw token for hand-made requests.
pub async fn paired(
    srv: &TestServer,
    role: Role,
    name: &str,
) -> (Client, String, salon_shared::DeviceId) {
    let code = srv
        .manager
        .create_pairing_code(role)
        .await
        .expect("pairing code");
    let (resp, client) = srv
        .anonymous()
        .pair(&code.code, name)
        .await
        .expect("paired");
    (client, resp.token, resp.device.id)
}

/// A hand-made request: returns the status and the body as JSON (`Null` when empty,
/// `String` when not JSON).
pub async fn raw(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
    headers: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let http = reqwest::Client::new();
    let mut b = http.request(method.parse().expect("method"), url);
    if let Some(t) = token {
        b = b.bearer_auth(t);
    }
    if let Some((ct, bytes)) = body {
        if !ct.is_empty() {
            b = b.header("Content-Type", ct);
        }
        b = b.body(bytes);
    }
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let resp = b.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.expect("body");
    let v = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned())
        })
    };
    (status, v)
}

/// A JSON request body.
pub fn json(v: &str) -> Option<(&'static str, Vec<u8>)> {
    Some(("application/json", v.as_bytes().to_vec()))
}

/// Asserts `body` is the API's error shape and returns its code.
#[track_caller]
pub fn error_code(body: &serde_json::Value) -> String {
    let code = body["error"]["code"].as_str();
    let message = body["error"]["message"].as_str();
    assert!(
        code.is_some_and(|c| !c.is_empty()) && message.is_some(),
        "not the error shape: {body}"
    );
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(1),
        "extra keys in {body}"
    );
    code.unwrap_or_default().to_string()
}

/// Creates a customer (panics on failure).
pub async fn add(c: &Client, new: &NewCustomer) -> salon_shared::Customer {
    c.create_customer(new, None)
        .await
        .expect("customer created")
}

/// A search for `text`.
pub fn q(text: &str) -> salon_shared::api::CustomerQuery {
    salon_shared::api::CustomerQuery {
        q: Some(text.into()),
        ..Default::default()
    }
}

// ---- queue, rotation and appointments ----

pub use salon_tests::all_day;

/// `start`–`end` local hours as a shift.
pub fn hours(start: (u32, u32), end: (u32, u32)) -> salon_shared::api::DayHours {
    salon_shared::api::DayHours {
        start: chrono::NaiveTime::from_hms_opt(start.0, start.1, 0).expect("time"),
        end: chrono::NaiveTime::from_hms_opt(end.0, end.1, 0).expect("time"),
    }
}

/// Creates a service in `category` lasting `minutes` (panics on failure).
pub async fn offer(
    srv: &TestServer,
    name: &str,
    category: ServiceCategory,
    minutes: u16,
) -> salon_shared::ServiceId {
    let input = ServiceInput {
        category,
        duration_min: minutes,
        ..service(name, "88")
    };
    srv.manager
        .create_service(&input, None)
        .await
        .expect("service created")
        .id
}

/// Creates a stylist with these skills and no roster (so not working anywhere yet).
pub async fn hire(
    srv: &TestServer,
    name: &str,
    skills: &[ServiceCategory],
) -> salon_shared::StaffId {
    let input = StaffInput {
        skills: skills.iter().copied().collect(),
        ..staff(name, Some("2468"))
    };
    srv.manager
        .create_staff(&input, None)
        .await
        .expect("staff created")
        .id
}

/// Creates a stylist with these skills who works all day, every day.
pub async fn stylist(
    srv: &TestServer,
    name: &str,
    skills: &[ServiceCategory],
) -> salon_shared::StaffId {
    let id = hire(srv, name, skills).await;
    srv.manager
        .set_roster(id, &all_day())
        .await
        .expect("roster set");
    id
}

/// The store-local date today.
pub fn today(srv: &TestServer) -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&srv.state.info.tz)
        .date_naive()
}

/// `h:m` store-local time on `day`, as an instant.
pub fn local(
    srv: &TestServer,
    day: chrono::NaiveDate,
    h: u32,
    m: u32,
) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    srv.state
        .info
        .tz
        .from_local_datetime(&day.and_hms_opt(h, m, 0).expect("time"))
        .single()
        .expect("a fixed offset has one local time")
        .with_timezone(&chrono::Utc)
}

/// A customer identified by phone at check-in.
pub fn by_phone(phone: &str) -> salon_shared::api::CheckInCustomer {
    salon_shared::api::CheckInCustomer {
        phone: Some(phone.into()),
        ..Default::default()
    }
}

/// A check-in for `services`, asking for `stylist` (点钟) or next available (轮钟).
pub fn check_in(
    who: salon_shared::api::CheckInCustomer,
    services: &[salon_shared::ServiceId],
    stylist: Option<salon_shared::StaffId>,
) -> salon_shared::api::CheckInRequest {
    salon_shared::api::CheckInRequest {
        customer: who,
        services: services.to_vec(),
        stylist,
    }
}

/// Creates a customer named `name` and returns them with their phone number.
pub async fn walk_in_customer(srv: &TestServer, name: &str) -> (salon_shared::Customer, String) {
    let p = phone();
    (add(&srv.manager, &customer(name, &p)).await, p)
}

/// A manager device's raw token, for routes the client library does not wrap.
pub async fn manager_token(srv: &TestServer) -> String {
    paired(srv, Role::Manager, "test back office").await.1
}

/// A customer registered on the spot at check-in.
pub fn newcomer(
    name: &str,
    phone: &str,
    gender: Gender,
    consent: bool,
) -> salon_shared::api::CheckInCustomer {
    salon_shared::api::CheckInCustomer {
        register: Some(salon_shared::api::KioskRegister {
            name: name.into(),
            phone: phone.into(),
            gender,
            birthday: None,
            consent,
        }),
        ..Default::default()
    }
}

/// Issues a store-numbered card to `customer` and returns its number.
pub async fn card_for(m: &Client, customer: salon_shared::CustomerId) -> String {
    let card = salon_shared::api::IssueCard {
        customer_id: customer,
        number: None,
    };
    m.issue_card(&card, None)
        .await
        .expect("card")
        .number
        .to_string()
}

/// A ten-use package (洗吹10次卡) of `service` for 320, valid a year.
pub async fn ten_use_plan(
    m: &Client,
    service: salon_shared::ServiceId,
) -> salon_shared::ledger::PackagePlan {
    let plan = salon_shared::ledger::PackagePlanInput {
        name: "洗吹10次卡".into(),
        service_id: service,
        uses: 10,
        price: money("320"),
        valid_days: Some(365),
    };
    m.create_package_plan(&plan).await.expect("package plan")
}

/// "Spend 100, take 20 off" (满100减20), valid from yesterday for thirty days, once per
/// customer, combining with the member discount.
pub async fn coupon_100_off_20(m: &Client) -> salon_shared::coupon::CouponDef {
    let today = chrono::Utc::now().date_naive();
    let def = salon_shared::coupon::CouponDefInput {
        name: "满100减20".into(),
        kind: salon_shared::coupon::CouponKind::Threshold {
            min_spend: money("100"),
            off: money("20"),
        },
        valid_from: today - chrono::Duration::days(1),
        valid_to: today + chrono::Duration::days(30),
        per_customer_limit: 1,
        stacks_with_tier: true,
    };
    m.create_coupon_def(&def).await.expect("coupon definition")
}
