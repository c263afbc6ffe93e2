//! The service catalog (price history, retirement), staff PINs and member cards through the
//! real API (SVC-1/2, STF-1, MEM-2).

mod common;

use common::*;
use salon_shared::api::*;
use salon_shared::card::CardStatus;
use salon_shared::{Role, StaffId};
use salon_tests::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_keep_price_history_and_retire() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let s = m
        .create_service(&service("洗剪吹", "68"), None)
        .await
        .expect("create");
    assert_eq!(
        (s.price, s.active, s.price_history.len()),
        (money("68"), true, 0)
    );
    let other = m
        .create_service(&service("头皮护理", "198"), None)
        .await
        .expect("create");
    let up = m
        .update_service(s.id, &service("洗剪吹", "88.50"), None)
        .await
        .expect("update");
    assert_eq!((up.price, up.price_history.len()), (money("88.5"), 1));
    let change = &up.price_history[0];
    assert_eq!((change.old, change.new), (money("68"), money("88.50")));
    let renamed = m
        .update_service(s.id, &service("精剪", "88.50"), None)
        .await
        .expect("update");
    assert_eq!(
        renamed.price_history.len(),
        1,
        "a rename is not a price change"
    );
    assert_eq!(m.service(s.id).await.expect("get"), renamed);

    let retired = m.retire_service(s.id).await.expect("retire");
    assert!(!retired.active);
    let active: Vec<_> = m
        .services(false)
        .await
        .expect("list")
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(active, [other.id], "a retired service is not offered");
    let all = m.services(true).await.expect("list");
    assert_eq!(
        all.iter().map(|x| x.id).collect::<Vec<_>>(),
        [s.id, other.id]
    );
    let old = all
        .iter()
        .find(|x| x.id == s.id)
        .expect("retired service listed");
    assert!(!old.active && old.price_history.len() == 1 && old.name == "精剪");
    assert_eq!(m.service(s.id).await.expect("still readable"), retired);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_pins_never_leave_the_server() {
    let srv = TestServer::start().await;
    let (_, token, _) = paired(&srv, Role::Manager, "office pc").await;
    let url = |p: &str| format!("{}/api/v1{p}", srv.base);
    let body = r#"{"name":"Kevin 王","role":"stylist","level":"senior","skills":["cut_style"],"pin":"135790"}"#;
    let (status, created) = raw("POST", &url("/staff"), Some(&token), json(body), &[]).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_u64().expect("id");
    let update = r#"{"name":"Kevin 王","role":"stylist","level":"director","pin":"864213"}"#;
    let path = url(&format!("/staff/{id}"));
    let (status, updated) = raw("PUT", &path, Some(&token), json(update), &[]).await;
    assert_eq!(
        (status, updated["level"].as_str()),
        (200, Some("director")),
        "{updated}"
    );
    let mut texts = vec![created.to_string(), updated.to_string()];
    for p in [
        "/staff".to_string(),
        format!("/staff/{id}"),
        "/audit?entity=staff".into(),
    ] {
        let (status, v) = raw("GET", &url(&p), Some(&token), None, &[]).await;
        assert_eq!(status, 200, "{p}: {v}");
        texts.push(v.to_string());
    }
    let desk = srv.client(Role::FrontDesk).await;
    let old_pin = desk.sign_in(StaffId(id), "135790").await.map(|r| r.0);
    assert_err(old_pin, 401, "pin_wrong");
    let (signed, _) = desk
        .sign_in(StaffId(id), "864213")
        .await
        .expect("the new PIN works");
    texts.push(serde_json::to_string(&signed).expect("json"));
    for t in &texts {
        for secret in ["135790", "864213", "pin_hash", "pin_salt", "\"pin\""] {
            assert!(!t.contains(secret), "{secret} leaked in {t}");
        }
    }
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_issue_look_up_and_replace() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let c = add(m, &customer("王芳", "13800138000")).await;
    let card = IssueCard {
        customer_id: c.id,
        number: None,
    };
    let card = m.issue_card(&card, None).await.expect("issue");
    assert_eq!(
        (card.customer_id, &card.status),
        (c.id, &CardStatus::Active)
    );
    let look = m.card(card.number.as_str()).await.expect("look up");
    assert_eq!((&look.card, look.customer.id), (&card, c.id));
    assert_eq!(look.customer.card.as_ref(), Some(&card.number));
    let second = IssueCard {
        customer_id: c.id,
        number: Some("VIP-777777".into()),
    };
    assert_err(m.issue_card(&second, None).await, 409, "card_exists");

    let other = add(m, &customer("李娜", &phone())).await;
    let taken = IssueCard {
        customer_id: other.id,
        number: Some(card.number.to_string()),
    };
    assert_err(m.issue_card(&taken, None).await, 409, "card_taken");

    let before = m.customer(c.id).await.expect("read").customer;
    let new = m
        .replace_card(card.number.as_str(), &ReplaceCard::default(), None)
        .await;
    let new = new.expect("replace");
    assert_ne!(new.number, card.number);
    assert_eq!((new.customer_id, &new.status), (c.id, &CardStatus::Active));
    let old = m
        .card(card.number.as_str())
        .await
        .expect("the old card is still known");
    let replaced = matches!(&old.card.status, CardStatus::Replaced { by, .. } if *by == new.number);
    assert!(replaced, "old card status: {:?}", old.card.status);
    assert_eq!(
        m.card(new.number.as_str())
            .await
            .expect("new card")
            .customer
            .id,
        c.id
    );
    let after = m.customer(c.id).await.expect("read");
    assert_eq!(
        (after.customer.id, after.customer.total_spend),
        (before.id, before.total_spend)
    );
    assert_eq!(after.customer.card.as_ref(), Some(&new.number));
    assert_eq!(after.cards.len(), 2);
    let again = m
        .replace_card(card.number.as_str(), &ReplaceCard::default(), None)
        .await;
    assert_err(again, 409, "card_replaced");

    let kiosk = srv.client(Role::Kiosk).await;
    let scan = |n: &str| KioskIdentify {
        phone: None,
        card: Some(n.to_string()),
    };
    let by_old = kiosk.kiosk_identify(&scan(card.number.as_str())).await;
    assert_err(by_old, 404, "customer_not_found");
    let by_new = kiosk.kiosk_identify(&scan(new.number.as_str())).await;
    assert_eq!(by_new.expect("identify by the new card").id, c.id);
    assert_err(m.card("NOPE-000000").await, 404, "not_found");
    srv.stop().await;
}
