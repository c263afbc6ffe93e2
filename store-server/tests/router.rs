//! Router tests: the whole API through `app(state).oneshot(…)` on a temporary store file,
//! no sockets.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use salon_shared::Role;
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    state: store_server::AppState,
    token: String,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, _stop) = store_server::open(dir.path(), None, "Router Test").expect("store opens");
    let token = store_server::ops::devices::device_token(&state, "manager", Role::Manager)
        .await
        .expect("manager device created");
    Fixture {
        _dir: dir,
        state,
        token,
    }
}

/// Sends one request; returns status and JSON body (Null when empty).
async fn check(
    f: &Fixture,
    method: &str,
    uri: &str,
    auth: bool,
    body: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let token = auth.then_some(f.token.as_str());
    check_as(f, token, method, uri, body).await
}

/// [`check`] with another device's token.
async fn check_as(
    f: &Fixture,
    token: Option<&str>,
    method: &str,
    uri: &str,
    body: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(s) => b
            .header("content-type", "application/json")
            .body(Body::from(s.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request");
    let resp = store_server::app(f.state.clone())
        .oneshot(req)
        .await
        .expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON body")
        },
    )
}

fn error_code(v: &serde_json::Value) -> &str {
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not the error shape: {v}"))
}

#[tokio::test]
async fn health_needs_no_token() {
    let f = fixture().await;
    let (s, v) = check(&f, "GET", "/api/v1/health", false, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["store_name"], "Router Test");
    assert_eq!(v["api_version"], "1");
}

#[tokio::test]
async fn errors_share_one_shape() {
    let f = fixture().await;
    type Case<'a> = (&'a str, &'a str, bool, Option<&'a str>, StatusCode, &'a str);
    let cases: &[Case] = &[
        (
            "GET",
            "/api/v1/customers",
            false,
            None,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            "GET",
            "/api/v1/nowhere",
            true,
            None,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "DELETE",
            "/api/v1/health",
            true,
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            "GET",
            "/api/v1/customers/abc",
            true,
            None,
            StatusCode::BAD_REQUEST,
            "bad_path",
        ),
        (
            "GET",
            "/api/v1/customers?limit=-1",
            true,
            None,
            StatusCode::BAD_REQUEST,
            "bad_query",
        ),
        (
            "POST",
            "/api/v1/customers",
            true,
            Some("{"),
            StatusCode::BAD_REQUEST,
            "bad_json",
        ),
        (
            "POST",
            "/api/v1/customers",
            true,
            Some(r#"{"name":"王芳","phone":"12"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phone_invalid",
        ),
        (
            "POST",
            "/api/v1/services",
            true,
            Some(r#"{"category":"perm","name":"x","price":"-1","duration_min":30}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_json",
        ),
    ];
    for (method, uri, auth, body, status, code) in cases {
        let (s, v) = check(&f, method, uri, *auth, *body).await;
        assert_eq!((s, error_code(&v)), (*status, *code), "{method} {uri}");
    }
}

#[tokio::test]
async fn oversize_body_is_refused() {
    let f = fixture().await;
    let big = format!(
        r#"{{"name":"{}","phone":"13800138000"}}"#,
        "x".repeat(store_server::BODY_LIMIT)
    );
    let (s, v) = check(&f, "POST", "/api/v1/customers", true, Some(&big)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&v), "body_too_large");
}

#[tokio::test]
async fn create_then_read_a_customer() {
    let f = fixture().await;
    let (s, created) = check(
        &f,
        "POST",
        "/api/v1/customers",
        true,
        Some(r#"{"name":"王芳","phone":"+86 138 0013 8000","gender":"female","consent":true}"#),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = created["id"].as_u64().expect("id");
    let (s, v) = check(&f, "GET", &format!("/api/v1/customers/{id}"), true, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["customer"]["phone"], "13800138000");
    let (_, page) = check(&f, "GET", "/api/v1/customers?q=8000", true, None).await;
    assert_eq!(page["total"], 1);
    let (_, page) = check(&f, "GET", "/api/v1/customers?q=wf", true, None).await;
    assert_eq!(page["items"][0]["id"].as_u64(), Some(id));
}

#[tokio::test]
async fn openapi_describes_every_route() {
    let f = fixture().await;
    let (s, doc) = check(&f, "GET", "/api/v1/openapi.json", false, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/health",
        "/api/v1/events",
        "/api/v1/customers",
        "/api/v1/customers/{id}/merge",
        "/api/v1/kiosk/identify",
        "/api/v1/pair",
        "/api/v1/cards/{number}/replace",
        "/api/v1/audit",
        "/api/v1/feedback",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    // Every documented path answers something other than "no such route".
    for (path, ops) in paths {
        for method in ops.as_object().expect("operations").keys() {
            let uri = path.replace("{id}", "1").replace("{number}", "88000001");
            let (s, v) = check(&f, &method.to_uppercase(), &uri, true, Some("{}")).await;
            assert!(
                !(s == StatusCode::NOT_FOUND
                    && v["error"]["code"] == "not_found"
                    && v["error"]["message"] == "no such route"),
                "{method} {path} is documented but not routed"
            );
        }
    }
}

#[tokio::test]
async fn feedback_is_validated_before_anything_is_written() {
    let f = fixture().await;
    let device = |name: &'static str, role| {
        let state = f.state.clone();
        async move {
            store_server::ops::devices::device_token(&state, name, role)
                .await
                .expect("device created")
        }
    };
    let kiosk = device("door kiosk", Role::Kiosk).await;
    let display = device("wall screen", Role::Display).await;
    let rating = |overall: i64, recommend: i64, comment: &str| {
        serde_json::json!({
            "ticket_id": 424242, "overall": overall, "service": 5, "stylist": 4,
            "environment": 3, "recommend": recommend, "comment": comment,
        })
        .to_string()
    };
    let long = "好".repeat(501);
    // Scores are checked before the ticket is looked up: each of these names no real
    // ticket, yet the answer is about the scores.
    type Case = (String, StatusCode, &'static str);
    let cases: Vec<Case> = vec![
        (rating(0, 9, ""), StatusCode::UNPROCESSABLE_ENTITY, "rating_invalid"),
        (rating(6, 9, ""), StatusCode::UNPROCESSABLE_ENTITY, "rating_invalid"),
        (rating(5, 11, ""), StatusCode::UNPROCESSABLE_ENTITY, "rating_invalid"),
        (rating(5, 9, &long), StatusCode::UNPROCESSABLE_ENTITY, "comment_too_long"),
        // Past a u8: the body does not even parse as a rating.
        (rating(256, 9, ""), StatusCode::UNPROCESSABLE_ENTITY, "bad_json"),
        (rating(-1, 9, ""), StatusCode::UNPROCESSABLE_ENTITY, "bad_json"),
        (
            r#"{"ticket_id":1,"overall":5,"service":5,"stylist":5,"environment":5,"recommend":9,"tip":20}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_json",
        ),
        (r#"{"ticket_id":1,"overall":5}"#.into(), StatusCode::UNPROCESSABLE_ENTITY, "bad_json"),
        // Valid scores, a comment at the limit once trimmed: now the ticket is looked up.
        (
            rating(5, 0, &format!("  {}  ", "好".repeat(500))),
            StatusCode::NOT_FOUND,
            "ticket_not_found",
        ),
    ];
    for (body, status, code) in &cases {
        let (s, v) = check_as(&f, Some(&kiosk), "POST", "/api/v1/feedback", Some(body)).await;
        assert_eq!((s, error_code(&v)), (*status, *code), "{body}");
    }
    // The wall display may not rate, even validly; nor may it or the kiosk read ratings.
    let (s, v) = check_as(
        &f,
        Some(&display),
        "POST",
        "/api/v1/feedback",
        Some(&rating(5, 9, "")),
    )
    .await;
    assert_eq!((s, error_code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    for token in [&kiosk, &display] {
        let (s, v) = check_as(&f, Some(token), "GET", "/api/v1/feedback", None).await;
        assert_eq!((s, error_code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    }
    for bad in [
        "from=2026-13-01",
        "from=2026-02-01&to=2026-01-01",
        "from=2020-01-01&to=2026-01-01",
        "days=3",
    ] {
        let (s, v) = check(&f, "GET", &format!("/api/v1/feedback?{bad}"), true, None).await;
        assert_eq!(
            (s, error_code(&v)),
            (StatusCode::BAD_REQUEST, "bad_query"),
            "{bad}"
        );
    }
    // Nothing was stored, audited or announced.
    let (s, v) = check(&f, "GET", "/api/v1/feedback", true, None).await;
    assert_eq!((s, v), (StatusCode::OK, serde_json::json!([])));
    let (_, audit) = check(&f, "GET", "/api/v1/audit?action=feedback.", true, None).await;
    assert_eq!(audit, serde_json::json!([]));
}

#[tokio::test]
async fn the_kiosk_reads_no_list_of_customers_the_display_does_read_the_queue() {
    let f = fixture().await;
    let device = |name: &'static str, role| {
        let state = f.state.clone();
        async move {
            store_server::ops::devices::device_token(&state, name, role)
                .await
                .expect("device created")
        }
    };
    let kiosk = device("door kiosk", Role::Kiosk).await;
    let display = device("wall screen", Role::Display).await;
    // The queue (every waiting customer's greeting and id), whatever the filter, and the
    // rotation board that goes with it.
    let listing = [
        "/api/v1/queue",
        "/api/v1/queue?include_closed=true",
        "/api/v1/queue?stylist=1",
        "/api/v1/rotation",
    ];
    for uri in listing {
        let (s, v) = check_as(&f, Some(&kiosk), "GET", uri, None).await;
        assert_eq!(
            (s, error_code(&v)),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{uri}"
        );
        let (s, v) = check_as(&f, Some(&display), "GET", uri, None).await;
        assert_eq!(s, StatusCode::OK, "the display reads {uri}: {v}");
    }
    // What the kiosk needs to check someone in still answers: the catalog, the staff names
    // and the waits for the services chosen.
    let (s, svc) = check(
        &f,
        "POST",
        "/api/v1/services",
        true,
        Some(r#"{"category":"cut_style","name":"洗剪吹","price":"68","duration_min":45}"#),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{svc}");
    let quote = format!("/api/v1/check-ins/quote?services={}", svc["id"]);
    for uri in [quote.as_str(), "/api/v1/services", "/api/v1/staff"] {
        let (s, v) = check_as(&f, Some(&kiosk), "GET", uri, None).await;
        assert_eq!(s, StatusCode::OK, "the kiosk reads {uri}: {v}");
    }
}

#[test]
fn a_newer_store_file_is_refused_not_corrupted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.redb");
    {
        let db = redb::Database::create(&path).expect("create");
        let w = db.begin_write().expect("write");
        w.open_table(store_server::store::tables::META)
            .expect("meta")
            .insert("schema_version", "99")
            .expect("insert");
        w.commit().expect("commit");
    }
    match store_server::store::open(&path) {
        Err(store_server::store::StoreError::TooNew { found: 99 }) => {}
        other => panic!("expected TooNew, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn an_unknown_record_version_is_an_error_not_a_panic() {
    let t = store_server::store::tables::CUSTOMERS;
    assert!(t.decode(&[9, b'{', b'}']).is_err());
    assert!(t.decode(&[]).is_err());
    assert!(t.decode(&[1, b'x']).is_err());
}

#[test]
fn a_version_1_store_gains_its_wait_samples() {
    use redb::{ReadableDatabase, ReadableTableMetadata};
    use salon_shared::queue::{Ticket, TicketSource, TicketState, WaitRange};
    use store_server::store::{self, tables};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.redb");
    let at = |m: i64| chrono::DateTime::UNIX_EPOCH + chrono::Duration::minutes(m);
    let ticket = |id: u64, started: Option<i64>| Ticket {
        id,
        day: chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("day"),
        number: format!("A{id:03}"),
        customer_id: salon_shared::CustomerId(1),
        services: vec![salon_shared::ServiceId(1)],
        requested: None,
        stylist: Some(salon_shared::StaffId(3)),
        source: TicketSource::WalkIn,
        state: if started.is_some() {
            TicketState::Done
        } else {
            TicketState::Left
        },
        rank: id as i64,
        created_at: at(0),
        called_at: None,
        started_at: started.map(at),
        finished_at: None,
        quoted: WaitRange { low: 10, high: 25 },
    };
    {
        // A file as version 1 left it: tickets, no samples.
        let db = store::open(&path).expect("create");
        let w = db.begin_write().expect("write");
        w.open_table(tables::META)
            .expect("meta")
            .insert("schema_version", "1")
            .expect("version");
        tables::TICKETS
            .put(&w, 1u64, &ticket(1, Some(17)))
            .expect("put");
        tables::TICKETS
            .put(&w, 2u64, &ticket(2, None))
            .expect("put");
        w.commit().expect("commit");
    }
    let db = store::open(&path).expect("migrated");
    let r = db.begin_read().expect("read");
    let samples = r.open_table(tables::WAIT_SAMPLES).expect("samples");
    assert_eq!(
        samples.len().expect("len"),
        1,
        "only the started ticket waited"
    );
    let row = samples
        .get(("2026-11-28", 1u64))
        .expect("get")
        .expect("sample")
        .value();
    assert_eq!(row, (3, 10, 25, 17));
    let version = store::meta_get(&r, "schema_version").expect("meta");
    assert_eq!(version.as_deref(), Some("2"));
}
