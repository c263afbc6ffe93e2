//! Idempotency-Key: a retried write is performed once and answered the same; the same key
//! with another request is refused; concurrent retries create one record.

mod common;

use common::*;
use salon_shared::Role;
use salon_shared::api::*;
use salon_tests::TestServer;

async fn count_by_phone(srv: &TestServer, phone: &str) -> usize {
    let q = CustomerQuery {
        q: Some(phone.into()),
        ..Default::default()
    };
    srv.manager
        .search_customers(&q)
        .await
        .expect("search")
        .total
}

async fn audit_count(srv: &TestServer, action: &str) -> usize {
    let q = AuditQuery {
        action: Some(action.into()),
        limit: Some(500),
        ..Default::default()
    };
    srv.manager.audit(&q).await.expect("audit").len()
}

fn body(name: &str, phone: &str) -> String {
    format!(r#"{{"name":"{name}","phone":"{phone}","consent":true}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_customer_create_is_performed_once() {
    let srv = TestServer::start().await;
    let (_, token, _) = paired(&srv, Role::FrontDesk, "front counter").await;
    let url = format!("{}/api/v1/customers", srv.base);
    let p = phone();
    let key = [("Idempotency-Key", "create-wang-1")];
    let first = raw("POST", &url, Some(&token), json(&body("王芳", &p)), &key).await;
    assert_eq!(first.0, 201, "{}", first.1);
    let second = raw("POST", &url, Some(&token), json(&body("王芳", &p)), &key).await;
    assert_eq!(second, first, "a replay answers exactly as the first time");
    assert_eq!(count_by_phone(&srv, &p).await, 1);
    assert_eq!(audit_count(&srv, "customer.create").await, 1);

    // Same key, another request: refused, nothing written.
    let other = phone();
    let (status, err) = raw(
        "POST",
        &url,
        Some(&token),
        json(&body("王芳", &other)),
        &key,
    )
    .await;
    assert_eq!(
        (status, error_code(&err).as_str()),
        (409, "idempotency_key_reused")
    );
    assert_eq!(count_by_phone(&srv, &other).await, 0);

    // Without a key, a repeat is a new request (and the phone is taken).
    let (status, err) = raw("POST", &url, Some(&token), json(&body("王芳", &p)), &[]).await;
    assert_eq!((status, error_code(&err).as_str()), (409, "phone_taken"));

    // Keys belong to the device that sent them: another device may use the same key.
    let (_, token2, _) = paired(&srv, Role::FrontDesk, "back office").await;
    let third = raw(
        "POST",
        &url,
        Some(&token2),
        json(&body("李娜", &other)),
        &key,
    )
    .await;
    assert_eq!(third.0, 201, "{}", third.1);
    assert_ne!(third.1["id"], first.1["id"]);
    assert_eq!(audit_count(&srv, "customer.create").await, 2);

    // The client library passes the key the same way.
    let c = srv
        .manager
        .create_customer(&customer("赵强", &phone()), Some("lib-key"))
        .await
        .expect("create");
    let again = srv
        .manager
        .create_customer(
            &customer("赵强", c.phone.as_ref().map(|p| p.as_str()).unwrap_or("")),
            Some("lib-key"),
        )
        .await;
    assert_eq!(again.expect("replayed"), c);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_kiosk_register_and_card_issue_are_performed_once() {
    let srv = TestServer::start().await;
    let kiosk = srv.client(Role::Kiosk).await;
    let p = phone();
    let reg = KioskRegister {
        name: "周敏".into(),
        phone: p.clone(),
        gender: Default::default(),
        birthday: None,
        consent: true,
    };
    let a = kiosk
        .kiosk_register(&reg, Some("kiosk-1"))
        .await
        .expect("register");
    let b = kiosk
        .kiosk_register(&reg, Some("kiosk-1"))
        .await
        .expect("replayed");
    assert_eq!(a, b);
    assert_eq!(count_by_phone(&srv, &p).await, 1);
    let changed = KioskRegister {
        name: "周敏敏".into(),
        ..reg.clone()
    };
    assert_err(
        kiosk.kiosk_register(&changed, Some("kiosk-1")).await,
        409,
        "idempotency_key_reused",
    );
    assert_err(
        kiosk.kiosk_register(&reg, Some("kiosk-2")).await,
        409,
        "phone_taken",
    );

    let m = &srv.manager;
    let req = IssueCard {
        customer_id: a.id,
        number: None,
    };
    let card = m.issue_card(&req, Some("card-1")).await.expect("issue");
    let again = m
        .issue_card(&req, Some("card-1"))
        .await
        .expect("replayed, not card_exists");
    assert_eq!(again, card);
    assert_err(m.issue_card(&req, Some("card-2")).await, 409, "card_exists");
    let detail = m.customer(a.id).await.expect("read");
    assert_eq!(detail.cards, std::slice::from_ref(&card));
    assert_eq!(audit_count(&srv, "card.issue").await, 1);
    let other = IssueCard {
        customer_id: a.id,
        number: Some("VIP-424242".into()),
    };
    assert_err(
        m.issue_card(&other, Some("card-1")).await,
        409,
        "idempotency_key_reused",
    );

    // Update replays too: the second PATCH is not applied again (no second audit entry).
    let patch = CustomerPatch {
        tags: Some(["回头客".to_string()].into()),
        ..Default::default()
    };
    let u1 = m
        .update_customer(a.id, &patch, Some("patch-1"))
        .await
        .expect("update");
    let u2 = m
        .update_customer(a.id, &patch, Some("patch-1"))
        .await
        .expect("replayed");
    assert_eq!(u1, u2);
    assert_eq!(audit_count(&srv, "customer.update").await, 1);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_with_one_key_create_one_customer() {
    let srv = TestServer::start().await;
    let (_, token, _) = paired(&srv, Role::FrontDesk, "front counter").await;
    let url = format!("{}/api/v1/customers", srv.base);
    let p = phone();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (url, token, b) = (url.clone(), token.clone(), body("孙丽", &p));
            tokio::spawn(async move {
                raw(
                    "POST",
                    &url,
                    Some(&token),
                    json(&b),
                    &[("Idempotency-Key", "burst")],
                )
                .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("task"));
    }
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "answers differ: {answers:?}"
    );
    assert_eq!(answers[0].0, 201, "{}", answers[0].1);
    assert_eq!(count_by_phone(&srv, &p).await, 1);
    assert_eq!(audit_count(&srv, "customer.create").await, 1);

    // Without a key, the same burst creates one customer and refuses the rest.
    let p2 = phone();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (url, token, b) = (url.clone(), token.clone(), body("孙丽", &p2));
            tokio::spawn(async move { raw("POST", &url, Some(&token), json(&b), &[]).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    statuses.sort();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(count_by_phone(&srv, &p2).await, 1);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_keys_are_refused() {
    let srv = TestServer::start().await;
    let (_, token, _) = paired(&srv, Role::Manager, "office pc").await;
    let url = format!("{}/api/v1/customers", srv.base);
    let long = "k".repeat(129);
    for key in [long.as_str(), "has space", "键"] {
        let req = reqwest::Client::new()
            .post(&url)
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .header(
                "Idempotency-Key",
                reqwest::header::HeaderValue::from_bytes(key.as_bytes()).expect("header value"),
            )
            .body(body("钱多多", &phone()));
        let resp = req.send().await.expect("sent");
        let status = resp.status().as_u16();
        let v: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(
            (status, error_code(&v).as_str()),
            (400, "bad_idempotency_key"),
            "key {key:?}"
        );
    }
    assert_eq!(
        srv.manager
            .search_customers(&CustomerQuery::default())
            .await
            .expect("search")
            .total,
        0
    );
    srv.stop().await;
}
