//! The outbox (APT-4): delivery through a local SMTP sink and local webhook receivers, retry
//! with backoff, skipped and cancelled deliveries, and the manager routes. Every socket is
//! on 127.0.0.1.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use redb::ReadableDatabase;
use salon_shared::Role;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;
use store_server::jobs::deliver::{self, Deliverer, DelivererConfig};
use store_server::ops::notify::{
    self, Backoff, Channel, DeliveryState, MessageKind, NewMessage, NotifySettings, OutboxMessage,
};
use store_server::store::{Actor, StoreError};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    state: store_server::AppState,
    /// Kept so the deliverer runs until the test ends or stops it.
    stop: tokio::sync::watch::Sender<bool>,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, stop) = store_server::open(dir.path(), None, "T").expect("store opens");
    Fixture {
        _dir: dir,
        state,
        stop,
    }
}

/// Short times so retries happen within a test.
fn fast() -> DelivererConfig {
    DelivererConfig {
        poll: StdDuration::from_millis(20),
        timeout: StdDuration::from_secs(5),
        backoff: Backoff {
            base: StdDuration::from_millis(50),
            max: StdDuration::from_millis(200),
            attempts: 8,
        },
        batch: 16,
    }
}

async fn set_settings(f: &Fixture, s: NotifySettings) {
    let s = s.validate().expect("valid settings");
    f.state
        .writer
        .write(Actor::system("test"), None, move |tx| {
            notify::save_settings(tx, s.clone())?;
            Ok::<_, StoreError>(())
        })
        .await
        .expect("settings saved");
}

fn settings(json: serde_json::Value) -> NotifySettings {
    serde_json::from_value(json).expect("settings JSON")
}

fn reminder(appointment_id: u64, due_at: DateTime<Utc>) -> NewMessage {
    NewMessage {
        kind: MessageKind::Reminder,
        appointment_id,
        customer_id: 7,
        to_email: Some("wang.fang@example.com".into()),
        to_phone: Some("13800138000".into()),
        subject: "预约提醒 Appointment reminder".into(),
        body: "王芳您好，您预约了今天 15:00 的洗剪吹。\nHello Wang Fang, your appointment is today at 15:00."
            .into(),
        due_at,
    }
}

async fn enqueue(f: &Fixture, m: NewMessage) -> u64 {
    f.state
        .writer
        .write(Actor::system("test"), None, move |tx| {
            notify::enqueue(tx, m.clone())
        })
        .await
        .expect("enqueued")
}

fn message(f: &Fixture, id: u64) -> OutboxMessage {
    let r = f.state.db.begin_read().expect("read");
    notify::OUTBOX.get(&r, id).expect("read").expect("message")
}

fn delivery(m: &OutboxMessage, c: Channel) -> &notify::Delivery {
    m.deliveries
        .iter()
        .find(|d| d.channel == c)
        .expect("delivery")
}

/// Waits until `done` holds for message `id`, at most 15 s.
async fn wait_for(f: &Fixture, id: u64, done: impl Fn(&OutboxMessage) -> bool) -> OutboxMessage {
    for _ in 0..300 {
        let m = message(f, id);
        if done(&m) {
            return m;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!(
        "message {id} never reached the expected state: {:?}",
        message(f, id)
    );
}

// ---- A tiny SMTP sink -------------------------------------------------------------------

#[derive(Debug, Default, Clone)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: Vec<String>,
}

type Mails = Arc<Mutex<Vec<Mail>>>;

/// Listens on 127.0.0.1 and speaks just enough SMTP to accept messages.
async fn smtp_sink() -> (u16, Mails) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    let mails = Mails::default();
    let m = mails.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(smtp_session(s, m.clone()));
        }
    });
    (port, mails)
}

async fn smtp_session(s: TcpStream, mails: Mails) {
    let (r, mut w) = s.into_split();
    let mut lines = BufReader::new(r).lines();
    let mut mail = Mail::default();
    if w.write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let cmd = line.to_ascii_uppercase();
        let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
            b"250 sink\r\n"
        } else if cmd.starts_with("MAIL FROM") {
            mail.from = line;
            b"250 ok\r\n"
        } else if cmd.starts_with("RCPT TO") {
            mail.to.push(line);
            b"250 ok\r\n"
        } else if cmd == "DATA" {
            if w.write_all(b"354 end with .\r\n").await.is_err() {
                return;
            }
            while let Ok(Some(l)) = lines.next_line().await {
                if l == "." {
                    break;
                }
                mail.data.push(l);
            }
            mails.lock().expect("lock").push(std::mem::take(&mut mail));
            b"250 queued\r\n"
        } else if cmd == "QUIT" {
            let _ = w.write_all(b"221 bye\r\n").await;
            return;
        } else if cmd == "RSET" || cmd == "NOOP" {
            b"250 ok\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        if w.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The text of a captured message, decoding a base64 body.
fn mail_text(m: &Mail) -> String {
    use base64::Engine;
    let blank = m
        .data
        .iter()
        .position(|l| l.is_empty())
        .expect("headers end");
    let headers = m.data[..blank].join("\n").to_ascii_lowercase();
    let body = m.data[blank + 1..].concat();
    if headers.contains("content-transfer-encoding: base64") {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("base64 body");
        String::from_utf8(bytes).expect("UTF-8 body")
    } else {
        m.data[blank + 1..].join("\n")
    }
}

// ---- Webhook receivers ------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Hit {
    headers: HeaderMap,
    body: Bytes,
}

type Hits = Arc<Mutex<Vec<Hit>>>;

/// An HTTP receiver on 127.0.0.1 that answers the statuses in `script` in turn, then 200.
async fn receiver(script: Vec<u16>) -> (String, Hits) {
    let hits = Hits::default();
    let h = hits.clone();
    let app = Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let h = h.clone();
            let script = script.clone();
            async move {
                let mut hits = h.lock().expect("lock");
                let status = script.get(hits.len()).copied().unwrap_or(200);
                hits.push(Hit { headers, body });
                StatusCode::from_u16(status).expect("status")
            }
        }),
    );
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", l.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (url, hits)
}

fn hits(h: &Hits) -> Vec<Hit> {
    h.lock().expect("lock").clone()
}

// ---- Delivery ---------------------------------------------------------------------------

#[tokio::test]
async fn a_due_reminder_reaches_the_smtp_server() {
    let f = fixture().await;
    let (port, mails) = smtp_sink().await;
    set_settings(
        &f,
        settings(serde_json::json!({
            "smtp": {"host": "127.0.0.1", "port": port, "from": "Salon <shop@example.com>", "tls": "none"}
        })),
    )
    .await;
    let id = enqueue(&f, reminder(1, Utc::now() - Duration::minutes(1))).await;
    let m = message(&f, id);
    assert_eq!(delivery(&m, Channel::Email).state, DeliveryState::Pending);
    assert_eq!(delivery(&m, Channel::Webhook).state, DeliveryState::Skipped);

    tokio::spawn(
        Deliverer::new(f.state.clone(), fast())
            .expect("deliverer")
            .run(),
    );
    let m = wait_for(&f, id, |m| {
        delivery(m, Channel::Email).state == DeliveryState::Sent
    })
    .await;
    let d = delivery(&m, Channel::Email);
    assert_eq!(d.attempts, 1);
    assert!(d.sent_at.is_some());

    let mails = mails.lock().expect("lock").clone();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].from.contains("shop@example.com"), "{:?}", mails[0]);
    assert!(mails[0].to[0].contains("wang.fang@example.com"));
    let text = mail_text(&mails[0]);
    assert!(
        text.contains("王芳您好") && text.contains("Hello Wang Fang"),
        "{text}"
    );
}

#[tokio::test]
async fn the_webhook_gets_signed_json() {
    let f = fixture().await;
    let (url, got) = receiver(vec![]).await;
    set_settings(
        &f,
        settings(serde_json::json!({"webhook": {"url": url, "secret": "s3cret"}})),
    )
    .await;
    let id = enqueue(&f, reminder(2, Utc::now())).await;
    tokio::spawn(
        Deliverer::new(f.state.clone(), fast())
            .expect("deliverer")
            .run(),
    );
    wait_for(&f, id, |m| {
        delivery(m, Channel::Webhook).state == DeliveryState::Sent
    })
    .await;

    let got = hits(&got);
    assert_eq!(got.len(), 1);
    let hit = &got[0];
    let sig = hit.headers["x-salon-signature"].to_str().expect("ascii");
    let expected = deliver::signature("s3cret", &hit.body).expect("signature");
    assert_eq!(sig, format!("sha256={expected}"));
    assert_eq!(hit.headers["x-salon-message-id"], id.to_string().as_str());
    let v: serde_json::Value = serde_json::from_slice(&hit.body).expect("JSON");
    assert_eq!(v["id"], id);
    assert_eq!(v["kind"], "reminder");
    assert_eq!(v["appointment_id"], 2);
    assert_eq!(v["to_phone"], "13800138000");
    assert!(v["body"].as_str().expect("body").starts_with("王芳您好"));
}

#[tokio::test]
async fn failures_are_retried_with_backoff_then_given_up_and_retried_by_hand() {
    let f = fixture().await;
    let (url, got) = receiver(vec![500, 500]).await;
    set_settings(&f, settings(serde_json::json!({"webhook": {"url": url}}))).await;
    let id = enqueue(&f, reminder(3, Utc::now())).await;
    let running = tokio::spawn(
        Deliverer::new(f.state.clone(), fast())
            .expect("deliverer")
            .run(),
    );
    let m = wait_for(&f, id, |m| {
        delivery(m, Channel::Webhook).state == DeliveryState::Sent
    })
    .await;
    let d = delivery(&m, Channel::Webhook);
    assert_eq!(d.attempts, 3);
    assert_eq!(d.last_error, None);
    let got = hits(&got);
    assert_eq!(got.len(), 3);
    // Unsigned without a secret.
    assert!(!got[0].headers.contains_key("x-salon-signature"));
    // The deliverer ends when the server stops; the rest of the test drives passes by hand.
    f.stop.send(true).expect("stop");
    tokio::time::timeout(StdDuration::from_secs(5), running)
        .await
        .expect("the deliverer stops")
        .expect("the deliverer ran");

    // A receiver that always fails: given up after the configured attempts.
    let (url, got) = receiver(vec![503; 100]).await;
    set_settings(&f, settings(serde_json::json!({"webhook": {"url": url}}))).await;
    let id = enqueue(&f, reminder(4, Utc::now())).await;
    let cfg = DelivererConfig {
        backoff: Backoff {
            attempts: 2,
            ..fast().backoff
        },
        ..fast()
    };
    let d = Deliverer::new(f.state.clone(), cfg).expect("deliverer");
    let mut now = Utc::now();
    for _ in 0..4 {
        d.deliver_due(now).await.expect("pass");
        now += Duration::seconds(1);
    }
    let m = message(&f, id);
    let w = delivery(&m, Channel::Webhook);
    assert_eq!((w.state, w.attempts), (DeliveryState::Failed, 2));
    assert!(
        w.last_error.as_deref().unwrap_or("").contains("503"),
        "{w:?}"
    );
    assert_eq!(hits(&got).len(), 2);

    // A manager puts it back.
    let m = f
        .state
        .writer
        .write(Actor::system("test"), None, move |tx| notify::retry(tx, id))
        .await
        .expect("retry");
    let w = delivery(&m, Channel::Webhook);
    assert_eq!((w.state, w.attempts), (DeliveryState::Pending, 0));
    d.deliver_due(now).await.expect("pass");
    assert_eq!(hits(&got).len(), 3);
}

#[tokio::test]
async fn with_both_channels_off_nothing_is_sent() {
    let f = fixture().await;
    let id = enqueue(&f, reminder(5, Utc::now() - Duration::minutes(5))).await;
    let m = message(&f, id);
    for d in &m.deliveries {
        assert_eq!(d.state, DeliveryState::Skipped, "{d:?}");
        assert!(d.last_error.as_deref().unwrap_or("").contains("off"));
    }
    let d = Deliverer::new(f.state.clone(), fast()).expect("deliverer");
    assert_eq!(d.deliver_due(Utc::now()).await.expect("pass"), 0);
    assert_eq!(message(&f, id), m);
}

#[tokio::test]
async fn missing_addresses_are_skipped_per_channel() {
    let f = fixture().await;
    let (port, _mails) = smtp_sink().await;
    let (url, _got) = receiver(vec![]).await;
    set_settings(
        &f,
        settings(serde_json::json!({
            "smtp": {"host": "127.0.0.1", "port": port, "from": "shop@example.com", "tls": "none"},
            "webhook": {"url": url}
        })),
    )
    .await;
    let mut m = reminder(6, Utc::now());
    m.to_email = None;
    let id = enqueue(&f, m).await;
    let m = message(&f, id);
    assert_eq!(delivery(&m, Channel::Email).state, DeliveryState::Skipped);
    assert_eq!(delivery(&m, Channel::Webhook).state, DeliveryState::Pending);
}

#[tokio::test]
async fn a_message_not_yet_due_waits() {
    let f = fixture().await;
    let (url, got) = receiver(vec![]).await;
    set_settings(&f, settings(serde_json::json!({"webhook": {"url": url}}))).await;
    let due = Utc::now() + Duration::hours(1);
    let id = enqueue(&f, reminder(7, due)).await;
    let d = Deliverer::new(f.state.clone(), fast()).expect("deliverer");
    assert_eq!(d.deliver_due(Utc::now()).await.expect("pass"), 0);
    assert_eq!(
        delivery(&message(&f, id), Channel::Webhook).state,
        DeliveryState::Pending
    );
    assert!(hits(&got).is_empty());
    assert_eq!(d.deliver_due(due).await.expect("pass"), 1);
    assert_eq!(
        delivery(&message(&f, id), Channel::Webhook).state,
        DeliveryState::Sent
    );
    assert_eq!(hits(&got).len(), 1);
}

#[tokio::test]
async fn cancel_pending_stops_a_reminder() {
    let f = fixture().await;
    let (url, got) = receiver(vec![]).await;
    set_settings(&f, settings(serde_json::json!({"webhook": {"url": url}}))).await;
    let reminder_id = enqueue(&f, reminder(8, Utc::now() + Duration::minutes(30))).await;
    let other = enqueue(&f, reminder(9, Utc::now() + Duration::minutes(30))).await;
    // The appointment is cancelled: its reminder stops and a notice goes out instead.
    let notice = f
        .state
        .writer
        .write(Actor::system("test"), None, move |tx| {
            notify::cancel_pending(tx, 8, MessageKind::Reminder)?;
            let mut n = reminder(8, tx.now);
            n.kind = MessageKind::Cancelled;
            notify::enqueue(tx, n)
        })
        .await
        .expect("cancel");
    assert_eq!(
        delivery(&message(&f, reminder_id), Channel::Webhook).state,
        DeliveryState::Cancelled
    );
    let d = Deliverer::new(f.state.clone(), fast()).expect("deliverer");
    assert_eq!(
        d.deliver_due(Utc::now() + Duration::hours(1))
            .await
            .expect("pass"),
        2
    );
    let got = hits(&got);
    let sent: Vec<u64> = got
        .iter()
        .map(|h| {
            serde_json::from_slice::<serde_json::Value>(&h.body).expect("JSON")["id"]
                .as_u64()
                .expect("id")
        })
        .collect();
    assert_eq!(sent.len(), 2);
    assert!(sent.contains(&notice) && sent.contains(&other), "{sent:?}");
    assert_eq!(
        delivery(&message(&f, reminder_id), Channel::Webhook).state,
        DeliveryState::Cancelled
    );
}

#[tokio::test]
async fn the_lead_time_is_configurable() {
    let f = fixture().await;
    let lead = |f: &Fixture| notify::reminder_lead(&f.state.db.begin_read().expect("read"));
    assert_eq!(lead(&f), Duration::minutes(60));
    set_settings(
        &f,
        settings(serde_json::json!({"reminder_lead_minutes": 120})),
    )
    .await;
    assert_eq!(lead(&f), Duration::minutes(120));
    let in_tx = f
        .state
        .writer
        .write(Actor::system("test"), None, |tx| {
            Ok::<_, StoreError>(notify::reminder_lead_tx(tx).num_minutes())
        })
        .await
        .expect("read in tx");
    assert_eq!(in_tx, 120);
}

#[test]
fn backoff_doubles_up_to_its_cap() {
    let b = Backoff::default();
    let secs: Vec<u64> = (1..=9).map(|n| b.delay(n).as_secs()).collect();
    assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    assert_eq!(b.delay(100).as_secs(), 3600);
}

// ---- Routes -----------------------------------------------------------------------------

fn app(f: &Fixture) -> axum::Router {
    use store_server::http::routes::notify as r;
    let (router, _) = utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(r::outbox_list))
        .routes(utoipa_axum::routes!(r::outbox_retry))
        .routes(utoipa_axum::routes!(
            r::notify_settings_get,
            r::notify_settings_put
        ))
        .split_for_parts();
    router.with_state(f.state.clone())
}

async fn token(f: &Fixture, role: Role) -> String {
    store_server::ops::devices::device_token(&f.state, "device", role)
        .await
        .expect("device")
}

async fn call(
    f: &Fixture,
    token: &str,
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let b = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json");
    let req = b
        .body(body.map_or_else(Body::empty, |v| Body::from(v.to_string())))
        .expect("request");
    let resp = app(f).oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let v = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("JSON")
    };
    (status, v)
}

#[tokio::test]
async fn settings_routes_validate_and_never_return_secrets() {
    let f = fixture().await;
    let m = token(&f, Role::Manager).await;
    let desk = token(&f, Role::FrontDesk).await;
    let url = "/api/v1/settings/notifications";

    let (s, v) = call(&f, &m, "GET", url, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v,
        serde_json::json!({"smtp": null, "webhook": null, "reminder_lead_minutes": 60})
    );
    let (s, v) = call(&f, &desk, "GET", url, None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );

    let smtp = serde_json::json!({"host": "smtp.example.com", "port": 465, "from": "shop@example.com",
        "username": "shop", "password": "hunter2", "tls": "implicit"});
    let bad = [
        serde_json::json!({"reminder_lead_minutes": 4}),
        serde_json::json!({"reminder_lead_minutes": 1441}),
        serde_json::json!({"smtp": {"host": "smtp.example.com", "port": 0, "from": "shop@example.com"}}),
        serde_json::json!({"smtp": {"host": "smtp.example.com", "port": 25, "from": "not an address"}}),
        serde_json::json!({"smtp": {"host": "", "port": 25, "from": "shop@example.com"}}),
        serde_json::json!({"webhook": {"url": "ftp://gateway.lan/hook"}}),
        serde_json::json!({"webhook": {"url": "http://"}}),
        serde_json::json!({"webhook": {"url": "https://gateway.example.com/hook"}}),
    ];
    for b in bad {
        let (s, v) = call(&f, &m, "PUT", url, Some(b.clone())).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {v}");
    }
    let (s, _) = call(
        &f,
        &m,
        "PUT",
        url,
        Some(serde_json::json!({"smtp": {"host": "h", "port": 70000, "from": "a@b.cn"}})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let body = serde_json::json!({"smtp": smtp, "webhook": {"url": "http://192.0.2.1:8080/hook", "secret": "k3y"},
        "reminder_lead_minutes": 90});
    let (s, v) = call(&f, &m, "PUT", url, Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, got) = call(&f, &m, "GET", url, None).await;
    assert_eq!(got, v);
    assert!(
        !got.to_string().contains("hunter2") && !got.to_string().contains("k3y"),
        "{got}"
    );
    assert_eq!(got["smtp"]["password_set"], true);
    assert_eq!(got["webhook"]["secret_set"], true);
    assert_eq!(got["reminder_lead_minutes"], 90);

    // Sending back what GET returned keeps the secrets; an empty string removes one.
    let mut again = got.clone();
    again["smtp"]["port"] = 587.into();
    again["smtp"]["tls"] = "starttls".into();
    again["webhook"]["secret"] = "".into();
    let (s, v) = call(&f, &m, "PUT", url, Some(again)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let stored = notify::settings(&f.state.db.begin_read().expect("read")).expect("settings");
    let smtp = stored.smtp.expect("smtp");
    assert_eq!(
        (smtp.port, smtp.password.as_deref()),
        (587, Some("hunter2"))
    );
    assert_eq!(stored.webhook.expect("webhook").secret, None);

    // The audit log has the changes without the secrets.
    let r = f.state.db.begin_read().expect("read");
    let audit = store_server::store::tables::AUDIT.all(&r).expect("audit");
    let changes: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "notify_settings.update")
        .collect();
    assert_eq!(changes.len(), 2);
    let text = serde_json::to_string(&changes).expect("JSON");
    assert!(!text.contains("hunter2") && !text.contains("k3y"), "{text}");
    assert!(text.contains("smtp.example.com"));
}

#[tokio::test]
async fn outbox_routes_list_newest_first_and_retry() {
    let f = fixture().await;
    let m = token(&f, Role::Manager).await;
    let stylist = token(&f, Role::Stylist).await;
    let (url, _got) = receiver(vec![500; 100]).await;
    set_settings(&f, settings(serde_json::json!({"webhook": {"url": url}}))).await;
    let failing = enqueue(&f, reminder(10, Utc::now())).await;
    let later = enqueue(&f, reminder(11, Utc::now() + Duration::days(1))).await;
    let cfg = DelivererConfig {
        backoff: Backoff {
            attempts: 1,
            ..fast().backoff
        },
        ..fast()
    };
    Deliverer::new(f.state.clone(), cfg)
        .expect("deliverer")
        .deliver_due(Utc::now())
        .await
        .expect("pass");

    let ids = |v: &serde_json::Value| -> Vec<u64> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|m| m["id"].as_u64().expect("id"))
            .collect()
    };
    let (s, v) = call(&f, &m, "GET", "/api/v1/outbox", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&v), [later, failing]);
    let (_, v) = call(&f, &m, "GET", "/api/v1/outbox?state=failed", None).await;
    assert_eq!(ids(&v), [failing]);
    let (_, v) = call(&f, &m, "GET", "/api/v1/outbox?state=pending&limit=5", None).await;
    assert_eq!(ids(&v), [later]);
    let (_, v) = call(&f, &m, "GET", "/api/v1/outbox?state=sent", None).await;
    assert_eq!(ids(&v), Vec::<u64>::new());
    let (s, _) = call(&f, &m, "GET", "/api/v1/outbox?limit=0", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&f, &m, "GET", "/api/v1/outbox?state=lost", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&f, &stylist, "GET", "/api/v1/outbox", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, v) = call(
        &f,
        &m,
        "POST",
        &format!("/api/v1/outbox/{failing}/retry"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["deliveries"][1]["state"], "pending");
    let (s, v) = call(
        &f,
        &m,
        "POST",
        &format!("/api/v1/outbox/{later}/retry"),
        None,
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("nothing_to_retry"))
    );
    let (s, _) = call(&f, &m, "POST", "/api/v1/outbox/999/retry", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[test]
fn the_routes_are_documented() {
    use store_server::http::routes::notify as r;
    let (_, doc) = utoipa_axum::router::OpenApiRouter::<store_server::AppState>::new()
        .routes(utoipa_axum::routes!(r::outbox_list))
        .routes(utoipa_axum::routes!(r::outbox_retry))
        .routes(utoipa_axum::routes!(
            r::notify_settings_get,
            r::notify_settings_put
        ))
        .split_for_parts();
    let doc = serde_json::to_value(doc).expect("JSON");
    for p in [
        "/api/v1/outbox",
        "/api/v1/outbox/{id}/retry",
        "/api/v1/settings/notifications",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing");
    }
    // Every schema a route refers to is in the document.
    let text = doc.to_string();
    for name in text.split("#/components/schemas/").skip(1) {
        let name = name.split('"').next().expect("name");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "schema {name} missing"
        );
    }
}

/// STARTTLS and implicit TLS build their rustls (ring) configuration and fail with a
/// recorded error, not a panic, against a server that speaks no TLS.
#[tokio::test]
async fn tls_against_a_plain_server_fails_cleanly() {
    for tls in ["starttls", "implicit"] {
        let f = fixture().await;
        let (port, mails) = smtp_sink().await;
        set_settings(
            &f,
            settings(serde_json::json!({
                "smtp": {"host": "127.0.0.1", "port": port, "from": "shop@example.com", "tls": tls}
            })),
        )
        .await;
        let id = enqueue(&f, reminder(12, Utc::now())).await;
        let cfg = DelivererConfig {
            timeout: StdDuration::from_secs(2),
            backoff: Backoff {
                attempts: 1,
                ..fast().backoff
            },
            ..fast()
        };
        let d = Deliverer::new(f.state.clone(), cfg).expect("deliverer");
        d.deliver_due(Utc::now()).await.expect("pass");
        let m = message(&f, id);
        let e = delivery(&m, Channel::Email);
        assert_eq!(e.state, DeliveryState::Failed, "{tls}: {e:?}");
        assert!(e.last_error.is_some(), "{tls}");
        assert!(mails.lock().expect("lock").is_empty());
    }
}
