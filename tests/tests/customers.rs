//! Customer profiles (history, search, filters, merge, export, erase), the service catalog,
//! staff PINs and member cards, through the real API.

mod common;

use chrono::NaiveDate;
use common::*;
use salon_shared::api::*;
use salon_shared::card::CardStatus;
use salon_shared::customer::NewCustomer;
use salon_shared::{CustomerId, CustomerStatus, Role, Source, Tier};
use salon_tests::TestServer;

async fn search(srv: &TestServer, q: CustomerQuery) -> Vec<CustomerId> {
    let page = srv.manager.search_customers(&q).await.expect("search");
    assert_eq!(page.total, page.items.len(), "test data fits one page");
    page.items.iter().map(|c| c.id).collect()
}

fn q(text: &str) -> CustomerQuery {
    CustomerQuery { q: Some(text.into()), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_read_update_keep_history() {
    let srv = TestServer::start().await;
    let desk = srv.client(Role::FrontDesk).await;
    let new = NewCustomer {
        tags: ["vip".to_string()].into(),
        birthday: NaiveDate::from_ymd_opt(1990, 5, 12),
        ..customer("张小明", "138 0013 8000")
    };
    let c = desk.create_customer(&new, None).await.expect("create");
    assert_eq!(c.phone.as_ref().map(|p| p.as_str()), Some("13800138000"));
    assert!(c.consent_at.is_some());
    let read = desk.customer(c.id).await.expect("read");
    assert_eq!(read.customer, c);
    assert!(read.cards.is_empty());

    let patch = CustomerPatch {
        name: Some("张晓明".into()),
        wechat: Some(Some("zxm_1990".into())),
        ..Default::default()
    };
    let updated = desk.update_customer(c.id, &patch, None).await.expect("update");
    assert_eq!((updated.name.as_str(), updated.wechat.as_deref()), ("张晓明", Some("zxm_1990")));
    assert_eq!(updated.tags, c.tags, "absent fields stay");
    assert_eq!(desk.customer(c.id).await.expect("read").customer, updated);

    let h = desk.customer_history(c.id).await.expect("history");
    let actions: Vec<&str> = h.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["customer.create", "customer.update"]);
    let upd = &h[1];
    assert_eq!(upd.before["name"], "张小明");
    assert_eq!(upd.after["name"], "张晓明");
    assert_eq!(upd.after["wechat"], "zxm_1990");
    assert!(upd.before["wechat"].is_null());
    let me = desk.me().await.expect("me").device;
    assert!(h.iter().all(|e| e.device_name == "test front_desk" && e.device_id == Some(me.id)), "{h:?}");
    assert!(h[0].seq < h[1].seq);

    // Phone numbers are unique, however they are written.
    assert_err(desk.create_customer(&customer("冒名", "+86 138-0013-8000"), None).await, 409, "phone_taken");
    let other = desk.create_customer(&customer("李娜", &phone()), None).await.expect("create");
    let steal = CustomerPatch { phone: Some("13800138000".into()), ..Default::default() };
    assert_err(desk.update_customer(other.id, &steal, None).await, 409, "phone_taken");
    assert_eq!(desk.customer(other.id).await.expect("read").customer, other);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_and_filters() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let mk = |name: &str, phone: &str, tags: &[&str], source: Source, bday: Option<(i32, u32, u32)>| NewCustomer {
        tags: tags.iter().map(|t| t.to_string()).collect(),
        source,
        birthday: bday.and_then(|(y, mo, d)| NaiveDate::from_ymd_opt(y, mo, d)),
        ..customer(name, phone)
    };
    let zxm = m.create_customer(&mk("张小明", "13800138000", &["vip"], Source::Referral, Some((1990, 5, 12))), None).await.expect("c");
    let wf = m.create_customer(&mk("王芳", "13911118000", &["vip", "烫染"], Source::WalkIn, Some((1985, 5, 1))), None).await.expect("c");
    let anna = m.create_customer(&mk("Anna Li", "+85291234567", &[], Source::Online, Some((1992, 11, 30))), None).await.expect("c");
    let zq = m.create_customer(&mk("赵强", "13722223333", &[], Source::Referral, None), None).await.expect("c");

    assert_eq!(search(&srv, q("13800138000")).await, [zxm.id]);
    assert_eq!(search(&srv, q("138 0013 8000")).await, [zxm.id]);
    let mut last4 = search(&srv, q("8000")).await;
    last4.sort();
    assert_eq!(last4, [zxm.id, wf.id]);
    assert_eq!(search(&srv, q("4567")).await, [anna.id]);
    assert_eq!(search(&srv, q("张小明")).await, [zxm.id]);
    assert_eq!(search(&srv, q("小明")).await, [zxm.id]);
    assert_eq!(search(&srv, q("zxm")).await, [zxm.id]);
    assert_eq!(search(&srv, q("ZXM")).await, [zxm.id]);
    assert_eq!(search(&srv, q("zhangxiaoming")).await, [zxm.id]);
    assert_eq!(search(&srv, q("anna")).await, [anna.id]);
    assert!(search(&srv, q("zxq")).await.is_empty());
    assert!(search(&srv, q("13800139999")).await.is_empty());

    let card = m.issue_card(&IssueCard { customer_id: zq.id, number: Some("vip-000123".into()) }, None).await.expect("card");
    assert_eq!(card.number.as_str(), "VIP-000123");
    assert_eq!(search(&srv, q("VIP-000123")).await, [zq.id]);
    assert_eq!(search(&srv, q("vip-000123")).await, [zq.id]);

    let f = |f: fn(&mut CustomerQuery)| {
        let mut q = CustomerQuery::default();
        f(&mut q);
        q
    };
    let sorted = |mut v: Vec<CustomerId>| {
        v.sort();
        v
    };
    assert_eq!(sorted(search(&srv, f(|q| q.tag = Some("vip".into()))).await), [zxm.id, wf.id]);
    assert_eq!(search(&srv, f(|q| q.tag = Some("烫染".into()))).await, [wf.id]);
    assert_eq!(sorted(search(&srv, f(|q| q.source = Some(Source::Referral))).await), [zxm.id, zq.id]);
    assert_eq!(search(&srv, f(|q| q.source = Some(Source::Online))).await, [anna.id]);
    assert_eq!(sorted(search(&srv, f(|q| q.birthday_month = Some(5))).await), [zxm.id, wf.id]);
    assert_eq!(search(&srv, f(|q| q.birthday_month = Some(11))).await, [anna.id]);
    assert!(search(&srv, f(|q| q.birthday_month = Some(7))).await.is_empty());
    assert_eq!(search(&srv, f(|q| q.tier = Some(Tier::Normal))).await.len(), 4);
    assert!(search(&srv, f(|q| q.tier = Some(Tier::Gold))).await.is_empty());
    let both = CustomerQuery { tag: Some("vip".into()), source: Some(Source::WalkIn), ..Default::default() };
    assert_eq!(search(&srv, both).await, [wf.id]);
    let text_and_filter = CustomerQuery { q: Some("8000".into()), source: Some(Source::Referral), ..Default::default() };
    assert_eq!(search(&srv, text_and_filter).await, [zxm.id]);
    assert_eq!(search(&srv, CustomerQuery::default()).await.len(), 4);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_keeps_cards_and_both_histories() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let keep = m.create_customer(&customer("王芳", "13800138000"), None).await.expect("c");
    let dup_new = NewCustomer { tags: ["新客".to_string()].into(), ..customer("王芳芳", "13911112222") };
    let dup = m.create_customer(&dup_new, None).await.expect("c");
    let card = m.issue_card(&IssueCard { customer_id: dup.id, number: None }, None).await.expect("card");
    let patch = CustomerPatch { region: Some(Some("朝阳区".into())), ..Default::default() };
    m.update_customer(dup.id, &patch, None).await.expect("update dup");

    let merged = m.merge_customers(keep.id, dup.id, None).await.expect("merge");
    assert_eq!(merged.id, keep.id);
    assert_eq!(merged.merged_from, [dup.id]);
    assert_eq!(merged.card.as_ref(), Some(&card.number));
    assert!(merged.tags.contains("新客"));
    assert_eq!(merged.region.as_deref(), Some("朝阳区"));
    let kept = m.customer(keep.id).await.expect("read");
    assert_eq!(kept.cards.iter().map(|c| &c.number).collect::<Vec<_>>(), [&card.number]);
    assert_eq!(m.card(card.number.as_str()).await.expect("card").customer.id, keep.id);
    let gone = m.customer(dup.id).await.expect("duplicate still readable").customer;
    assert_eq!(gone.status, CustomerStatus::Merged { into: keep.id });
    assert!(search(&srv, q("13911112222")).await.is_empty(), "duplicate found by phone");
    assert_eq!(search(&srv, q("王芳")).await, [keep.id], "duplicate found by name");
    assert_eq!(search(&srv, CustomerQuery::default()).await, [keep.id]);
    assert_err(m.merge_customers(keep.id, dup.id, None).await, 409, "customer_inactive");

    let h = m.customer_history(keep.id).await.expect("history");
    let has = |id: CustomerId, action: &str| h.iter().any(|e| e.entity_id == id.to_string() && e.action == action);
    assert!(has(keep.id, "customer.create") && has(keep.id, "customer.merge"), "{h:?}");
    assert!(has(dup.id, "customer.create") && has(dup.id, "customer.update") && has(dup.id, "card.issue"), "{h:?}");
    assert!(h.windows(2).all(|w| w[0].seq < w[1].seq), "history in order");

    let export = m.export_customer(keep.id).await.expect("export");
    assert_eq!(export.customer, merged);
    assert_eq!(export.cards.len(), 1);
    assert_eq!(export.history, h, "export carries the whole history");
    srv.stop().await;
}

/// Asserts nothing the store answers about customer `id` (record, history, audit, export)
/// still holds any of `secrets`.
async fn assert_forgotten(srv: &TestServer, id: CustomerId, secrets: &[&str]) {
    let m = &srv.manager;
    let audit_q = AuditQuery { entity: Some("customer".into()), entity_id: Some(id.to_string()), ..Default::default() };
    let texts = [
        ("record", serde_json::to_string(&m.customer(id).await.expect("read")).expect("json")),
        ("history", serde_json::to_string(&m.customer_history(id).await.expect("history")).expect("json")),
        ("audit", serde_json::to_string(&m.audit(&audit_q).await.expect("audit")).expect("json")),
        ("export", serde_json::to_string(&m.export_customer(id).await.expect("export")).expect("json")),
    ];
    for (what, text) in &texts {
        for s in secrets {
            assert!(!text.contains(s), "customer {id}: {s:?} still in the {what} after erasure: {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erase_removes_personal_data_and_keeps_totals() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let c = m.create_customer(&NewCustomer { wechat: Some("wf_1990".into()), ..customer("王芳", "13800138000") }, None).await.expect("c");
    let patch = CustomerPatch { region: Some(Some("朝阳区".into())), ..Default::default() };
    m.update_customer(c.id, &patch, None).await.expect("update");
    m.issue_card(&IssueCard { customer_id: c.id, number: None }, None).await.expect("card");

    let before = m.customer(c.id).await.expect("read").customer;
    let erased = m.erase_customer(c.id, None).await.expect("erase");
    assert_eq!((erased.id, erased.total_spend, erased.visit_count), (before.id, before.total_spend, before.visit_count));
    assert_eq!((erased.phone.as_ref(), erased.wechat.as_deref(), erased.card.as_ref()), (None, None, None));
    assert!(!erased.name.contains("王芳"), "{}", erased.name);
    assert!(matches!(erased.status, CustomerStatus::Erased { .. }));
    assert!(search(&srv, q("13800138000")).await.is_empty());
    assert!(search(&srv, q("8000")).await.is_empty());
    assert!(search(&srv, q("王芳")).await.is_empty());
    assert!(search(&srv, CustomerQuery::default()).await.is_empty());
    let kiosk = srv.client(Role::Kiosk).await;
    let found = kiosk.kiosk_identify(&KioskIdentify { phone: Some("13800138000".into()), card: None }).await;
    assert_err(found, 404, "customer_not_found");
    assert_err(m.erase_customer(c.id, None).await, 409, "customer_inactive");

    let audit_q = AuditQuery { entity: Some("customer".into()), entity_id: Some(c.id.to_string()), ..Default::default() };
    let audit = m.audit(&audit_q).await.expect("audit");
    let create = audit.iter().find(|e| e.action == "customer.create").expect("create entry kept");
    assert!(create.after["redacted"].is_string(), "{create:?}");
    assert!(audit.iter().any(|e| e.action == "customer.erase"));
    assert_forgotten(&srv, c.id, &["13800138000", "王芳", "wf_1990", "朝阳区"]).await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_a_merged_customer_forgets_the_duplicate_too() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let keep = m.create_customer(&customer("王芳", "13800138000"), None).await.expect("c");
    let dup = m.create_customer(&customer("王芳芳", "13911112222"), None).await.expect("c");
    m.merge_customers(keep.id, dup.id, None).await.expect("merge");
    m.erase_customer(keep.id, None).await.expect("erase");
    // The duplicate's history is the erased customer's history (and is in its export).
    assert_forgotten(&srv, keep.id, &["13800138000", "13911112222", "王芳"]).await;
    assert_forgotten(&srv, dup.id, &["13800138000", "13911112222", "王芳"]).await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_keep_price_history_and_retire() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let s = m.create_service(&service("洗剪吹", "68"), None).await.expect("create");
    assert_eq!((s.price, s.active, s.price_history.len()), (money("68"), true, 0));
    let other = m.create_service(&service("头皮护理", "198"), None).await.expect("create");
    let up = m.update_service(s.id, &service("洗剪吹", "88.50"), None).await.expect("update");
    assert_eq!(up.price, money("88.5"));
    assert_eq!(up.price_history.len(), 1);
    assert_eq!((up.price_history[0].old, up.price_history[0].new), (money("68"), money("88.50")));
    let renamed = m.update_service(s.id, &service("精剪", "88.50"), None).await.expect("update");
    assert_eq!(renamed.price_history.len(), 1, "a rename is not a price change");
    assert_eq!(m.service(s.id).await.expect("get"), renamed);

    let retired = m.retire_service(s.id).await.expect("retire");
    assert!(!retired.active);
    let active: Vec<_> = m.services(false).await.expect("list").iter().map(|x| x.id).collect();
    assert_eq!(active, [other.id]);
    let all = m.services(true).await.expect("list");
    assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), [s.id, other.id]);
    assert!(all.iter().any(|x| x.id == s.id && !x.active && x.price_history.len() == 1));
    assert_eq!(m.service(s.id).await.expect("still readable").name, "精剪");
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
    let (status, updated) = raw("PUT", &url(&format!("/staff/{id}")), Some(&token), json(update), &[]).await;
    assert_eq!((status, updated["level"].as_str()), (200, Some("director")), "{updated}");
    let mut texts = vec![created.to_string(), updated.to_string()];
    for path in ["/staff".to_string(), format!("/staff/{id}"), "/audit?entity=staff".to_string()] {
        let (status, v) = raw("GET", &url(&path), Some(&token), None, &[]).await;
        assert_eq!(status, 200, "{path}: {v}");
        texts.push(v.to_string());
    }
    let desk = srv.client(Role::FrontDesk).await;
    let staff_id = salon_shared::StaffId(id);
    assert_err(desk.sign_in(staff_id, "135790").await.map(|r| r.0), 401, "pin_wrong");
    let (signed, _) = desk.sign_in(staff_id, "864213").await.expect("new PIN works");
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
    let c = m.create_customer(&customer("王芳", "13800138000"), None).await.expect("c");
    let card = m.issue_card(&IssueCard { customer_id: c.id, number: None }, None).await.expect("issue");
    assert_eq!((card.customer_id, &card.status), (c.id, &CardStatus::Active));
    let look = m.card(card.number.as_str()).await.expect("look up");
    assert_eq!((look.card.clone(), look.customer.id), (card.clone(), c.id));
    assert_eq!(look.customer.card.as_ref(), Some(&card.number));
    let second = m.issue_card(&IssueCard { customer_id: c.id, number: Some("VIP-777777".into()) }, None).await;
    assert_err(second, 409, "card_exists");

    let other = m.create_customer(&customer("李娜", &phone()), None).await.expect("c");
    let taken = IssueCard { customer_id: other.id, number: Some(card.number.to_string()) };
    assert_err(m.issue_card(&taken, None).await, 409, "card_taken");

    let before = m.customer(c.id).await.expect("read").customer;
    let new = m.replace_card(card.number.as_str(), &ReplaceCard::default(), None).await.expect("replace");
    assert_ne!(new.number, card.number);
    assert_eq!((new.customer_id, &new.status), (c.id, &CardStatus::Active));
    let old = m.card(card.number.as_str()).await.expect("old card still known");
    assert!(matches!(&old.card.status, CardStatus::Replaced { by, .. } if *by == new.number), "{:?}", old.card.status);
    let look = m.card(new.number.as_str()).await.expect("new card");
    assert_eq!(look.customer.id, c.id);
    let after = m.customer(c.id).await.expect("read");
    assert_eq!((after.customer.id, after.customer.total_spend), (before.id, before.total_spend));
    assert_eq!(after.customer.card.as_ref(), Some(&new.number));
    assert_eq!(after.cards.len(), 2);
    assert_err(m.replace_card(card.number.as_str(), &ReplaceCard::default(), None).await, 409, "card_replaced");

    let kiosk = srv.client(Role::Kiosk).await;
    let by_old = kiosk.kiosk_identify(&KioskIdentify { phone: None, card: Some(card.number.to_string()) }).await;
    assert_err(by_old, 404, "customer_not_found");
    let by_new = kiosk.kiosk_identify(&KioskIdentify { phone: None, card: Some(new.number.to_string()) }).await;
    assert_eq!(by_new.expect("identify by new card").id, c.id);
    assert_err(m.card("NOPE-000000").await, 404, "not_found");
    srv.stop().await;
}
