//! Live events over SSE: delivery to other devices, increasing sequence numbers, resuming
//! with Last-Event-ID, every role may listen, no token no stream.

mod common;

use common::*;
use futures_util::StreamExt;
use salon_shared::api::{CustomerPatch, Event};
use salon_shared::client::{Client, Live};
use salon_shared::{CustomerId, Role};
use salon_tests::TestServer;
use std::time::Duration;

/// The next event of `kind` from a subscription, skipping others.
async fn next_of(rx: &mut tokio::sync::mpsc::Receiver<Live>, kind: &str) -> Event {
    let wait = async {
        loop {
            match rx.recv().await {
                Some(Live::Event(e)) if e.kind == kind => return e,
                Some(Live::Event(_)) | Some(Live::Connected) => {}
                other => panic!("subscription ended or resynced: {other:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .unwrap_or_else(|_| panic!("no {kind} event within 5 s"))
}

async fn connected(rx: &mut tokio::sync::mpsc::Receiver<Live>) {
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("connects within 5 s");
    assert_eq!(first, Some(Live::Connected));
}

async fn create(c: &Client, name: &str) -> CustomerId {
    c.create_customer(&customer(name, &phone()), None)
        .await
        .expect("create")
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_devices_see_changes_in_order() {
    let srv = TestServer::start().await;
    let desk = srv.client(Role::FrontDesk).await;
    let stylist = srv.client(Role::Stylist).await;
    let mut rx = stylist.subscribe();
    connected(&mut rx).await;

    let a = create(&desk, "王芳").await;
    let ea = next_of(&mut rx, "customer.created").await;
    assert_eq!(ea.entity_id, a.to_string());
    let b = create(&desk, "李娜").await;
    let eb = next_of(&mut rx, "customer.created").await;
    assert_eq!(eb.entity_id, b.to_string());
    assert!(eb.seq > ea.seq, "{} then {}", ea.seq, eb.seq);
    let patch = CustomerPatch {
        tags: Some(["vip".to_string()].into()),
        ..Default::default()
    };
    desk.update_customer(a, &patch, None).await.expect("update");
    let eu = next_of(&mut rx, "customer.updated").await;
    assert_eq!(eu.entity_id, a.to_string());
    assert!(eu.seq > eb.seq);
    srv.manager
        .create_service(&service("洗剪吹", "68"), None)
        .await
        .expect("service");
    let es = next_of(&mut rx, "service.created").await;
    assert!(es.seq > eu.seq);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_delivers_missed_events() {
    let srv = TestServer::start().await;
    let desk = srv.client(Role::FrontDesk).await;
    let first = create(&desk, "王芳").await;
    let seen = {
        let stream = desk.events_once(Some(0)).await.expect("stream");
        let mut stream = std::pin::pin!(stream);
        let wait = async {
            while let Some(item) = stream.next().await {
                if let Live::Event(e) = item
                    && e.kind == "customer.created"
                    && e.entity_id == first.to_string()
                {
                    return e;
                }
            }
            panic!("stream ended");
        };
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .expect("backlog from seq 0")
    };
    // Disconnected: more changes happen meanwhile.
    let missed = [
        create(&desk, "李娜").await,
        create(&desk, "赵强").await,
        create(&desk, "孙丽").await,
    ];
    let patch = CustomerPatch {
        tags: Some(["vip".to_string()].into()),
        ..Default::default()
    };
    desk.update_customer(first, &patch, None)
        .await
        .expect("update");

    let stream = desk.events_once(Some(seen.seq)).await.expect("resume");
    let mut stream = std::pin::pin!(stream);
    let mut got = Vec::new();
    while got.len() < 4 {
        match tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("missed events within 5 s")
        {
            Some(Live::Event(e)) => got.push(e),
            other => panic!("unexpected {other:?}"),
        }
    }
    let kinds: Vec<(&str, String)> = got
        .iter()
        .map(|e| (e.kind.as_str(), e.entity_id.clone()))
        .collect();
    let want: Vec<(&str, String)> = missed
        .iter()
        .map(|id| ("customer.created", id.to_string()))
        .chain([("customer.updated", first.to_string())])
        .collect();
    assert_eq!(kinds, want);
    assert_eq!(
        got[0].seq,
        seen.seq + 1,
        "nothing between the last seen event and the first missed one"
    );
    assert!(got.windows(2).all(|w| w[1].seq == w[0].seq + 1), "{got:?}");
    // And the resumed stream is live afterwards.
    let later = create(&desk, "周敏").await;
    match tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("live event")
    {
        Some(Live::Event(e)) => assert_eq!(
            (e.kind.as_str(), e.entity_id),
            ("customer.created", later.to_string())
        ),
        other => panic!("unexpected {other:?}"),
    }
    srv.stop().await;
}

/// A device resuming from a sequence number this store never issued (the store was
/// restored from a backup, or replaced) must be told to reload, not be left silent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_from_a_sequence_this_store_never_issued_resyncs() {
    let srv = TestServer::start().await;
    let desk = srv.client(Role::FrontDesk).await;
    let stream = desk.events_once(Some(1_000_000)).await.expect("stream");
    let mut stream = std::pin::pin!(stream);
    let id = create(&desk, "王芳").await;
    let next = tokio::time::timeout(Duration::from_secs(5), stream.next()).await;
    match next {
        Ok(Some(Live::Resync)) => {}
        Ok(Some(Live::Event(e))) if e.entity_id == id.to_string() => {}
        other => panic!("a device resuming after seq 1000000 got {other:?}, not a resync"),
    }
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_may_listen_and_events_carry_no_personal_data() {
    let srv = TestServer::start().await;
    let mut subs = Vec::new();
    for role in Role::ALL {
        let mut rx = srv.client(role).await.subscribe();
        connected(&mut rx).await;
        subs.push((role, rx));
    }
    let id = create(&srv.manager, "王芳").await;
    for (role, rx) in &mut subs {
        let e = next_of(rx, "customer.created").await;
        assert_eq!(e.entity_id, id.to_string(), "{role:?}");
    }

    // On the wire, a kiosk's event is seq, time, kind and id: no name, no phone.
    let (_, token, _) = paired(&srv, Role::Kiosk, "door kiosk").await;
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/events", srv.base))
        .bearer_auth(&token)
        .header("Last-Event-ID", "0")
        .send()
        .await
        .expect("stream");
    assert_eq!(resp.status().as_u16(), 200);
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(ct.starts_with("text/event-stream"), "{ct}");
    let mut body = resp.bytes_stream();
    let mut text = String::new();
    let wait = async {
        let complete = |t: &str| {
            t.find("customer.created")
                .is_some_and(|i| t[i..].contains("\n\n"))
        };
        while !complete(&text) {
            let chunk = body.next().await.expect("more").expect("bytes");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .expect("backlog arrives");
    let data = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| serde_json::from_str::<serde_json::Value>(d.trim()).expect("event JSON"))
        .find(|v| v["kind"] == "customer.created")
        .expect("customer.created data line");
    let mut keys: Vec<&str> = data
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["at", "entity_id", "kind", "seq"]);
    assert!(!text.contains("王芳"), "{text}");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_no_stream() {
    let srv = TestServer::start().await;
    let url = format!("{}/api/v1/events", srv.base);
    let (status, body) = raw("GET", &url, None, None, &[("Accept", "text/event-stream")]).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (401, "unauthenticated")
    );
    let (status, body) = raw(
        "GET",
        &url,
        Some("forged"),
        None,
        &[("Accept", "text/event-stream")],
    )
    .await;
    assert_eq!((status, error_code(&body).as_str()), (401, "invalid_token"));
    match srv.anonymous().events_once(None).await {
        Err(e) => assert_eq!(e.status(), Some(401)),
        Ok(_) => panic!("an anonymous stream was opened"),
    }

    // A revoked device's open stream may not be reopened.
    let (dev, _, id) = paired(&srv, Role::Stylist, "old tablet").await;
    assert!(dev.events_once(None).await.is_ok());
    srv.manager.revoke_device(id).await.expect("revoke");
    match dev.events_once(None).await {
        Err(e) => assert_eq!(e.status(), Some(401)),
        Ok(_) => panic!("a revoked device reopened the stream"),
    }
    srv.stop().await;
}
