//! The real `store-server` binary as a subprocess: data survives clean stops (SIGINT,
//! SIGTERM) and a hard kill (SIGKILL) under write load; `--demo` fills only an empty store
//! and prints kiosk and display pairing codes; a store without a manager prints a bootstrap
//! pairing code.

mod common;
#[path = "common/process.rs"]
mod process;

use common::*;
use process::{Proc, manager_token};
use salon_shared::api::*;
use salon_shared::client::{Client, Live};
use salon_shared::{CustomerId, Role};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn total(c: &Client, q: Option<&str>) -> usize {
    let q = CustomerQuery {
        q: q.map(String::from),
        limit: Some(1),
        ..Default::default()
    };
    c.search_customers(&q).await.expect("search").total
}

async fn audit_all(c: &Client) -> Vec<AuditEntry> {
    let q = AuditQuery {
        limit: Some(500),
        ..Default::default()
    };
    c.audit(&q).await.expect("audit")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_clean_stops() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("store");
    let token = manager_token(&data);
    let mut p = Proc::start(&data, &token, &[]).await;
    let m = p.client.clone();
    let server_id = m.health().await.expect("health").server_id;
    let mut saved = Vec::new();
    for name in ["王芳", "李娜", "张小明", "Anna Li", "赵强"] {
        saved.push(add(&m, &customer(name, &phone())).await.id);
    }
    let card = IssueCard {
        customer_id: saved[0],
        number: Some("VIP-000001".into()),
    };
    m.issue_card(&card, None).await.expect("card");
    let patch = CustomerPatch {
        tags: Some(["vip".to_string()].into()),
        ..Default::default()
    };
    m.update_customer(saved[0], &patch, None)
        .await
        .expect("update");
    let mut details = Vec::new();
    for id in &saved {
        details.push(serde_json::to_value(m.customer(*id).await.expect("read")).expect("json"));
    }
    let svc = m
        .create_service(&service("洗剪吹", "68"), None)
        .await
        .expect("service");
    let audit = audit_all(&m).await;
    // A live event stream must not hold up a clean stop.
    let mut events = m.subscribe();
    let first = tokio::time::timeout(Duration::from_secs(5), events.recv()).await;
    assert_eq!(first.expect("connects"), Some(Live::Connected));

    let status = p.stop_with("-INT");
    assert!(status.success(), "SIGINT: exit {status}:\n{}", p.log_text());
    drop(p);

    let mut p = Proc::start(&data, &token, &[]).await;
    let m = p.client.clone();
    let health = m.health().await.expect("health");
    assert_eq!(health.server_id, server_id, "the store keeps its identity");
    for (id, before) in saved.iter().zip(&details) {
        let after = m.customer(*id).await.expect("customer survives");
        assert_eq!(&serde_json::to_value(&after).expect("json"), before);
        let phone = after.customer.phone.as_ref().expect("phone").to_string();
        assert_eq!(
            total(&m, Some(&phone)).await,
            1,
            "found by phone after restart"
        );
    }
    assert_eq!(total(&m, Some("VIP-000001")).await, 1);
    assert_eq!(total(&m, None).await, saved.len());
    assert_eq!(m.service(svc.id).await.expect("service"), svc);
    assert_eq!(
        audit_all(&m).await,
        audit,
        "the audit log survives unchanged"
    );
    let next = add(&m, &customer("孙丽", &phone())).await;
    assert!(saved.iter().all(|id| *id < next.id), "ids are never reused");

    // SIGTERM (a service manager's stop) is a clean stop too.
    let status = p.stop_with("-TERM");
    assert!(
        status.success(),
        "SIGTERM: exit {status}:\n{}",
        p.log_text()
    );
    drop(p);
    let p = Proc::start(&data, &token, &[]).await;
    assert_eq!(
        p.client.customer(next.id).await.expect("kept").customer,
        next
    );
    assert_eq!(total(&p.client, None).await, saved.len() + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("store");
    let token = manager_token(&data);
    let mut p = Proc::start(&data, &token, &[]).await;
    let acked: Arc<Mutex<Vec<(CustomerId, String)>>> = Arc::default();
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let (c, acked) = (p.client.clone(), acked.clone());
            tokio::spawn(async move {
                let mut errors = 0;
                for i in 0..10_000 {
                    let ph = format!("1370{t}{i:06}");
                    let new = customer(&format!("压测{t}号{i}"), &ph);
                    match c.create_customer(&new, None).await {
                        Ok(x) => acked.lock().expect("lock").push((x.id, ph)),
                        Err(e) if e.status().is_some() => panic!("valid create refused: {e}"),
                        Err(_) if errors >= 3 => return,
                        Err(_) => errors += 1,
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while acked.lock().expect("lock").len() < 60 {
        assert!(Instant::now() < deadline, "write load too slow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!p.stop_with("-9").success());
    for w in writers {
        let done = tokio::time::timeout(Duration::from_secs(20), w).await;
        done.expect("writers stop").expect("writer task");
    }
    drop(p);
    let acked = acked.lock().expect("lock").clone();

    let p = Proc::start(&data, &token, &[]).await;
    let m = p.client.clone();
    let mut lost = Vec::new();
    for (id, ph) in &acked {
        let kept = m
            .customer(*id)
            .await
            .map(|d| d.customer.phone.map(|x| x.to_string()));
        if kept.as_ref().ok() != Some(&Some(ph.clone())) {
            lost.push(format!("{id} {ph}: {kept:?}"));
        }
        if total(&m, Some(ph)).await != 1 {
            lost.push(format!("{ph} not found by phone"));
        }
    }
    let n = acked.len();
    assert!(
        lost.is_empty(),
        "{} of {n} acknowledged creates lost:\n{}",
        lost.len(),
        lost.join("\n")
    );
    let q = AuditQuery {
        action: Some("customer.create".into()),
        limit: Some(500),
        ..Default::default()
    };
    let creates = m.audit(&q).await.expect("audit");
    for (id, _) in &acked {
        let audited = creates.iter().any(|e| e.entity_id == id.to_string());
        assert!(audited, "no audit entry for acknowledged customer {id}");
    }
    // At most one create per writer was in flight when the process died.
    let all = total(&m, None).await;
    assert!(
        all >= n && all <= n + 4,
        "{all} customers for {n} acknowledged creates"
    );
    let max = acked.iter().map(|(id, _)| *id).max().expect("some");
    let next = add(&m, &customer("孙丽", &phone())).await;
    assert!(
        next.id > max,
        "id {} reused after a crash (max acknowledged {max})",
        next.id
    );
}

/// Customers, services, staff, and the newest audit sequence number.
async fn counts(m: &Client) -> (usize, usize, usize, u64) {
    let q = AuditQuery {
        limit: Some(1),
        ..Default::default()
    };
    let audit = m.audit(&q).await.expect("audit");
    let services = m.services(true).await.expect("services").len();
    let staff = m.staff().await.expect("staff").len();
    (
        total(m, None).await,
        services,
        staff,
        audit.first().map_or(0, |e| e.seq),
    )
}

/// The kiosk and queue display pairing codes a `--demo` start printed, in that order.
fn demo_codes(p: &Proc) -> (String, String, String) {
    let out = p.stdout_text();
    let code = |label: &str| {
        let line = out
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no '{label}' line printed:\n{out}"));
        // "Kiosk pairing code: 123456 (valid until 14:05 UTC)"
        let rest = &line[label.len()..];
        let (code, until) = rest.split_once(' ').unwrap_or((rest, ""));
        assert!(
            code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
            "{line}"
        );
        let hhmm = until
            .strip_prefix("(valid until ")
            .and_then(|u| u.strip_suffix(" UTC)"));
        let valid = hhmm.is_some_and(|t| chrono::NaiveTime::parse_from_str(t, "%H:%M").is_ok());
        assert!(valid, "{line}");
        code.to_string()
    };
    (
        code("Kiosk pairing code: "),
        code("Queue display pairing code: "),
        code("Stylist tablet pairing code: "),
    )
}

/// The audit entries after `seq`, as (action, role) pairs: what a start-up wrote.
async fn written_since(m: &Client, seq: u64) -> Vec<(String, serde_json::Value)> {
    let mut v: Vec<_> = audit_all(m)
        .await
        .into_iter()
        .filter(|e| e.seq > seq)
        .map(|e| (e.action, e.after["role"].clone()))
        .collect();
    v.sort_by_key(|e| e.1.to_string());
    v
}

/// What every `--demo` start adds to a store: a fresh kiosk, display and stylist tablet
/// pairing code.
fn demo_start_codes() -> Vec<(String, serde_json::Value)> {
    ["display", "kiosk", "stylist"]
        .map(|r| ("pairing_code.create".to_string(), serde_json::json!(r)))
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_fills_only_an_empty_store() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("demo");
    let token = manager_token(&data);
    let mut p = Proc::start(&data, &token, &["--demo"]).await;
    let m = p.client.clone();
    let filled = counts(&m).await;
    let big_enough = filled.0 >= 200 && filled.1 >= 30 && filled.2 >= 6;
    assert!(big_enough, "demo store too small: {filled:?}");
    // The demo staff can sign in with their documented PINs.
    let (name, _, _, _, pin) = store_server::demo::STAFF[0];
    let staff = m.staff().await.expect("staff");
    let st = staff.iter().find(|s| s.name == name).expect("demo manager");
    let code = m.create_pairing_code(Role::FrontDesk).await.expect("code");
    let (_, desk) = Client::new(m.base_url())
        .pair(&code.code, "demo desk")
        .await
        .expect("pair");
    desk.sign_in(st.id, pin).await.expect("demo PIN works");
    // The printed codes pair a kiosk, a queue display and a stylist tablet without the
    // back office.
    let (kiosk_code, display_code, tablet_code) = demo_codes(&p);
    for (code, role) in [
        (&kiosk_code, Role::Kiosk),
        (&display_code, Role::Display),
        (&tablet_code, Role::Stylist),
    ] {
        let paired = Client::new(m.base_url()).pair(code, "demo device").await;
        assert_eq!(paired.expect("demo code pairs").0.device.role, role);
    }
    let filled = counts(&m).await;
    assert!(p.stop_with("-INT").success());
    drop(p);

    let mut p = Proc::start(&data, &token, &["--demo"]).await;
    let again = counts(&p.client).await;
    let data_of = |c: (usize, usize, usize, u64)| (c.0, c.1, c.2);
    assert_eq!(
        data_of(again),
        data_of(filled),
        "--demo on a filled store added something"
    );
    assert_eq!(written_since(&p.client, filled.3).await, demo_start_codes());
    // Fresh codes at every start: the first ones were used up.
    let (kiosk_again, _, _) = demo_codes(&p);
    let paired = Client::new(p.client.base_url())
        .pair(&kiosk_again, "second kiosk")
        .await;
    assert_eq!(paired.expect("new code pairs").0.device.role, Role::Kiosk);
    assert!(p.stop_with("-INT").success());
    drop(p);

    // A store with one customer of its own is not empty either.
    let data = dir.path().join("own");
    let token = manager_token(&data);
    let mut p = Proc::start(&data, &token, &[]).await;
    let c = add(&p.client, &customer("王芳", &phone())).await;
    let own = counts(&p.client).await;
    assert!(p.stop_with("-INT").success());
    drop(p);
    let p = Proc::start(&data, &token, &["--demo"]).await;
    let now = counts(&p.client).await;
    assert_eq!(((now.0, now.1, now.2), own.0), ((own.0, own.1, own.2), 1));
    assert_eq!(written_since(&p.client, own.3).await, demo_start_codes());
    assert_eq!(p.client.customer(c.id).await.expect("own").customer, c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_without_a_manager_prints_a_pairing_code() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("fresh");
    let mut p = Proc::start(&data, "", &[]).await;
    // The code is printed before the server listens, so it is there once /health answers.
    let out = p.stdout_text();
    let code: String = out
        .split("code ")
        .nth(1)
        .map(|s| s.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default();
    assert_eq!(code.len(), 6, "no pairing code printed:\n{out}");
    let (resp, boss) = p
        .client
        .pair(&code, "back office")
        .await
        .expect("bootstrap code pairs");
    assert_eq!(resp.device.role, Role::Manager);
    assert_eq!(
        boss.devices().await.expect("a manager lists devices").len(),
        1
    );
    let again = p.client.pair(&code, "second pc").await.map(|r| r.0);
    assert_err(again, 401, "pairing_code_invalid");
    assert!(p.stop_with("-INT").success());
    drop(p);

    let p = Proc::start(&data, &resp.token, &[]).await;
    assert!(
        !p.stdout_text().contains("code "),
        "a code was printed although a manager is paired"
    );
    assert_eq!(
        p.client.me().await.expect("token still valid").device.role,
        Role::Manager
    );
}

/// Money under SIGKILL: four devices top up their own member and sell them a product paid
/// from stored value, concurrently, until the process is killed. After the restart every
/// acknowledged top-up and sale is there, every balance equals its ledger, every ledger
/// entry belongs to a sale that exists, and stock moved exactly once per sale kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_survives_kill_9_and_ledgers_balance() {
    use salon_shared::bill::{PayMethod, Tender};
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("store");
    let token = manager_token(&data);
    let offset = salon_tests::midday_flag();
    let mut p = Proc::start(&data, &token, &["--utc-offset", &offset]).await;
    let m = p.client.clone();
    let product = m
        .create_product(&ProductInput {
            name: "修护洗发水".into(),
            brand: String::new(),
            barcode: None,
            price: money("60"),
        })
        .await
        .expect("product")
        .id;
    let receive = StockInput {
        reason: StockReason::Receive,
        qty: 100_000,
    };
    m.move_stock(product, &receive, None).await.expect("stock");
    let mut members = Vec::new();
    for i in 0..4 {
        members.push(add(&m, &customer(&format!("会员{i}"), &phone())).await.id);
    }
    let cash = |amount: &str| {
        vec![Tender {
            method: PayMethod::Cash,
            amount: money(amount),
            reference: None,
        }]
    };
    type Acked = Arc<Mutex<Vec<salon_shared::CheckoutId>>>;
    let acked: Acked = Arc::default();
    let writers: Vec<_> = members
        .iter()
        .map(|&member| {
            let (c, acked) = (m.clone(), acked.clone());
            tokio::spawn(async move {
                let mut errors = 0;
                for i in 0..100_000 {
                    let r = if i % 2 == 0 {
                        let top = TopUpInput {
                            amount: money("100"),
                            tenders: cash("100"),
                        };
                        c.top_up(member, &top, Some(&format!("top-{member}-{i}")))
                            .await
                    } else {
                        let sale = CheckoutInput {
                            ticket_id: None,
                            customer_id: Some(member),
                            stylist: None,
                            items: vec![SaleItem::Product {
                                id: product,
                                qty: 1,
                            }],
                            use_packages: false,
                            coupon: None,
                            points: 0,
                            tenders: vec![Tender {
                                method: PayMethod::StoredValue,
                                amount: money("60"),
                                reference: None,
                            }],
                        };
                        c.checkout(&sale, Some(&format!("sale-{member}-{i}"))).await
                    };
                    match r {
                        Ok(co) => acked.lock().expect("lock").push(co.id),
                        Err(e) if e.status().is_some() => panic!("valid money write refused: {e}"),
                        Err(_) if errors >= 3 => return,
                        Err(_) => errors += 1,
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().expect("lock").len() < 80 {
        assert!(Instant::now() < deadline, "money load too slow");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!p.stop_with("-9").success());
    for w in writers {
        let done = tokio::time::timeout(Duration::from_secs(20), w).await;
        done.expect("writers stop").expect("writer task");
    }
    drop(p);
    let acked = acked.lock().expect("lock").clone();

    let p = Proc::start(&data, &token, &["--utc-offset", &offset]).await;
    let m = p.client.clone();
    for id in &acked {
        let kept = m.checkout_get(*id).await;
        assert!(kept.is_ok(), "acknowledged checkout {id} lost: {kept:?}");
    }
    let kept = m.checkouts(None).await.expect("checkouts");
    // At most one write per device was in flight at the kill.
    assert!(
        kept.len() >= acked.len() && kept.len() <= acked.len() + members.len(),
        "{} checkouts kept for {} acknowledged",
        kept.len(),
        acked.len()
    );
    let ids: std::collections::BTreeSet<_> = kept.iter().map(|v| v.checkout.id).collect();
    for member in &members {
        let wallet = m.overview(*member).await.expect("overview").wallet;
        let ledgers = m.ledgers(*member).await.expect("ledgers");
        let value: rust_decimal::Decimal = ledgers.stored_value.iter().map(|e| e.amount).sum();
        assert_eq!(
            value, wallet.stored_value,
            "member {member}: stored value ≠ ledger"
        );
        let points: i64 = ledgers.points.iter().map(|e| e.amount).sum();
        assert_eq!(
            points, wallet.points as i64,
            "member {member}: points ≠ ledger"
        );
        for e in &ledgers.stored_value {
            let from = e.checkout.expect("every movement names its checkout");
            assert!(
                ids.contains(&from),
                "ledger entry of a lost checkout {from}"
            );
        }
        let mine = kept
            .iter()
            .filter(|v| v.checkout.customer_id == Some(*member))
            .count();
        assert_eq!(
            ledgers.stored_value.len(),
            mine,
            "member {member}: one ledger entry per checkout"
        );
    }
    let sales = kept
        .iter()
        .filter(|v| matches!(v.checkout.kind, CheckoutKind::Sale { .. }))
        .count() as i64;
    let stock = m
        .products()
        .await
        .expect("products")
        .into_iter()
        .find(|x| x.id == product)
        .expect("product")
        .stock;
    assert_eq!(stock, 100_000 - sales, "stock moved once per sale kept");
}

/// Fifty devices on the event stream while the server restarts, cleanly and by SIGKILL:
/// every device reconnects by itself and receives every change made while it was away —
/// even one that had seen no event before the drop — once each and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_devices_reconnect_and_resync_across_restarts() {
    const DEVICES: usize = 50;
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("store");
    let token = manager_token(&data);
    let mut p = Proc::start(&data, &token, &[]).await;
    let port = p.port;
    type Log = Arc<Mutex<Vec<Live>>>;
    let logs: Vec<Log> = (0..DEVICES).map(|_| Log::default()).collect();
    for log in &logs {
        let mut rx = p.client.subscribe();
        let log = log.clone();
        tokio::spawn(async move {
            while let Some(live) = rx.recv().await {
                log.lock().expect("lock").push(live);
            }
        });
    }
    let connects = |logs: &[Log]| -> Vec<usize> {
        logs.iter()
            .map(|l| {
                let l = l.lock().expect("lock");
                l.iter().filter(|x| **x == Live::Connected).count()
            })
            .collect()
    };
    let wait_for = |what: &'static str, ok: Box<dyn Fn() -> bool + Send>| async move {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ok() {
            if Instant::now() > deadline {
                panic!("devices never {what}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let l = logs.clone();
    wait_for(
        "connected",
        Box::new(move || connects(&l).iter().all(|n| *n >= 1)),
    )
    .await;
    let mut written = Vec::new();
    for (round, sig) in ["-TERM", "-9"].into_iter().enumerate() {
        // Down, up again on the same port, and changes made at once, before any device
        // is back (they retry after 100 ms at the soonest).
        p.stop_with(sig);
        drop(p);
        p = Proc::start_on(&data, &token, port, &[]).await;
        for i in 0..3 {
            let c = add(&p.client, &customer(&format!("重连{round}-{i}"), &phone())).await;
            written.push(c.id.to_string());
        }
        let l = logs.clone();
        let want = written.clone();
        wait_for(
            "caught up",
            Box::new(move || {
                l.iter().all(|log| {
                    let log = log.lock().expect("lock");
                    want.iter().all(|id| {
                        log.iter().any(|x| {
                            matches!(x, Live::Event(e) if e.kind == "customer.created" && &e.entity_id == id)
                        })
                    })
                })
            }),
        )
        .await;
        let n = connects(&logs);
        assert!(
            n.iter().all(|c| *c >= round + 2),
            "every device reconnects after restart {round}: {n:?}"
        );
    }
    for (d, log) in logs.iter().enumerate() {
        let log = log.lock().expect("lock");
        let seqs: Vec<u64> = log
            .iter()
            .filter_map(|x| match x {
                Live::Event(e) => Some(e.seq),
                _ => None,
            })
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "device {d}: events repeated or out of order: {seqs:?}"
        );
        assert!(
            !log.contains(&Live::Resync),
            "device {d} was told to reload although nothing was lost"
        );
        let kinds = log
            .iter()
            .any(|x| matches!(x, Live::Event(e) if e.kind == salon_shared::api::READY));
        assert!(
            !kinds,
            "device {d} saw the stream's start marker as a change"
        );
    }
}
