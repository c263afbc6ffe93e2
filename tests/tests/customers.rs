//! Customer profiles through the real API: edits with history, unique phones, search and
//! filters, merging duplicates, export and erasure (CUS-1..6).

mod common;

use chrono::NaiveDate;
use common::*;
use salon_shared::api::*;
use salon_shared::customer::NewCustomer;
use salon_shared::{CustomerId, CustomerStatus, Role, ServiceCategory, Source, Tier};
use salon_tests::TestServer;

/// The ids a search finds, sorted.
async fn search(srv: &TestServer, q: CustomerQuery) -> Vec<CustomerId> {
    let page = srv.manager.search_customers(&q).await.expect("search");
    assert_eq!(page.total, page.items.len(), "test data fits one page");
    let mut ids: Vec<CustomerId> = page.items.iter().map(|c| c.id).collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<CustomerId>) -> Vec<CustomerId> {
    v.sort();
    v
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
    let c = add(&desk, &new).await;
    assert_eq!(c.phone.as_ref().map(|p| p.as_str()), Some("13800138000"));
    assert!(c.consent_at.is_some());
    let read = desk.customer(c.id).await.expect("read");
    assert_eq!((&read.customer, read.cards.len()), (&c, 0));

    let patch = CustomerPatch {
        name: Some("张晓明".into()),
        wechat: Some(Some("zxm_1990".into())),
        ..Default::default()
    };
    let updated = desk
        .update_customer(c.id, &patch, None)
        .await
        .expect("update");
    assert_eq!(updated.name, "张晓明");
    assert_eq!(updated.wechat.as_deref(), Some("zxm_1990"));
    assert_eq!(updated.tags, c.tags, "absent fields stay");
    assert_eq!(desk.customer(c.id).await.expect("read").customer, updated);

    let h = desk.customer_history(c.id).await.expect("history");
    let actions: Vec<&str> = h.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["customer.create", "customer.update"]);
    let upd = &h[1];
    assert_eq!(
        (&upd.before["name"], &upd.after["name"]),
        (&"张小明".into(), &"张晓明".into())
    );
    assert_eq!(
        (&upd.before["wechat"], &upd.after["wechat"]),
        (&serde_json::Value::Null, &"zxm_1990".into())
    );
    let me = desk.me().await.expect("me").device;
    let by_desk = |e: &AuditEntry| e.device_name == "test front_desk" && e.device_id == Some(me.id);
    assert!(h.iter().all(by_desk), "{h:?}");
    assert!(h[0].seq < h[1].seq);

    // Phone numbers are unique, however they are written.
    let twin = desk
        .create_customer(&customer("冒名", "+86 138-0013-8000"), None)
        .await;
    assert_err(twin, 409, "phone_taken");
    let other = add(&desk, &customer("李娜", &phone())).await;
    let steal = CustomerPatch {
        phone: Some("13800138000".into()),
        ..Default::default()
    };
    assert_err(
        desk.update_customer(other.id, &steal, None).await,
        409,
        "phone_taken",
    );
    assert_eq!(desk.customer(other.id).await.expect("read").customer, other);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_and_filters() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let day = NaiveDate::from_ymd_opt;
    let rows = [
        (
            "张小明",
            "13800138000",
            "vip",
            Source::Referral,
            day(1990, 5, 12),
        ),
        (
            "王芳",
            "13911118000",
            "vip 烫染",
            Source::WalkIn,
            day(1985, 5, 1),
        ),
        (
            "Anna Li",
            "+85291234567",
            "",
            Source::Online,
            day(1992, 11, 30),
        ),
        ("赵强", "13722223333", "", Source::Referral, None),
    ];
    let mut ids = Vec::new();
    for (name, phone, tags, source, birthday) in rows {
        let tags = tags.split_whitespace().map(String::from).collect();
        let new = NewCustomer {
            tags,
            source,
            birthday,
            ..customer(name, phone)
        };
        ids.push(add(m, &new).await.id);
    }
    let &[zxm, wf, anna, zq] = &ids[..] else {
        panic!("four customers")
    };
    let card = IssueCard {
        customer_id: zq,
        number: Some("vip-000123".into()),
    };
    let card = m.issue_card(&card, None).await.expect("card");
    assert_eq!(card.number.as_str(), "VIP-000123");

    let texts: &[(&str, &[CustomerId])] = &[
        ("13800138000", &[zxm]),
        ("138 0013 8000", &[zxm]),
        ("8000", &[zxm, wf]),
        ("4567", &[anna]),
        ("张小明", &[zxm]),
        ("小明", &[zxm]),
        ("zxm", &[zxm]),
        ("ZXM", &[zxm]),
        ("zhangxiaoming", &[zxm]),
        ("anna", &[anna]),
        ("VIP-000123", &[zq]),
        ("vip-000123", &[zq]),
        ("zxq", &[]),
        ("13800139999", &[]),
    ];
    for (text, want) in texts {
        assert_eq!(
            search(&srv, q(text)).await,
            sorted(want.to_vec()),
            "search {text:?}"
        );
    }
    type Filter = fn(&mut CustomerQuery);
    let filters: &[(&str, Filter, &[CustomerId])] = &[
        ("tag vip", |f| f.tag = Some("vip".into()), &[zxm, wf]),
        ("tag 烫染", |f| f.tag = Some("烫染".into()), &[wf]),
        (
            "referral",
            |f| f.source = Some(Source::Referral),
            &[zxm, zq],
        ),
        ("online", |f| f.source = Some(Source::Online), &[anna]),
        ("May", |f| f.birthday_month = Some(5), &[zxm, wf]),
        ("November", |f| f.birthday_month = Some(11), &[anna]),
        ("July", |f| f.birthday_month = Some(7), &[]),
        (
            "normal",
            |f| f.tier = Some(Tier::Normal),
            &[zxm, wf, anna, zq],
        ),
        ("gold", |f| f.tier = Some(Tier::Gold), &[]),
        (
            "vip walk-in",
            |f| (f.tag, f.source) = (Some("vip".into()), Some(Source::WalkIn)),
            &[wf],
        ),
        (
            "8000 referral",
            |f| (f.q, f.source) = (Some("8000".into()), Some(Source::Referral)),
            &[zxm],
        ),
        ("everyone", |_| {}, &[zxm, wf, anna, zq]),
    ];
    for (what, set, want) in filters {
        let mut f = CustomerQuery::default();
        set(&mut f);
        assert_eq!(
            search(&srv, f).await,
            sorted(want.to_vec()),
            "filter {what}"
        );
    }
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_keeps_cards_and_both_histories() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let keep = add(m, &customer("王芳", "13800138000")).await;
    let dup_new = NewCustomer {
        tags: ["新客".to_string()].into(),
        ..customer("王芳芳", "13911112222")
    };
    let dup = add(m, &dup_new).await;
    let card = IssueCard {
        customer_id: dup.id,
        number: None,
    };
    let card = m.issue_card(&card, None).await.expect("card");
    let patch = CustomerPatch {
        region: Some(Some("朝阳区".into())),
        ..Default::default()
    };
    m.update_customer(dup.id, &patch, None)
        .await
        .expect("update dup");

    let merged = m
        .merge_customers(keep.id, dup.id, None)
        .await
        .expect("merge");
    assert_eq!(
        (merged.id, &merged.merged_from[..]),
        (keep.id, &[dup.id][..])
    );
    assert_eq!(merged.card.as_ref(), Some(&card.number));
    assert!(merged.tags.contains("新客"));
    assert_eq!(merged.region.as_deref(), Some("朝阳区"));
    let kept = m.customer(keep.id).await.expect("read");
    assert_eq!(
        kept.cards.iter().map(|c| &c.number).collect::<Vec<_>>(),
        [&card.number]
    );
    let holder = m
        .card(card.number.as_str())
        .await
        .expect("card")
        .customer
        .id;
    assert_eq!(holder, keep.id, "the card moved to the kept customer");
    let gone = m
        .customer(dup.id)
        .await
        .expect("duplicate still readable")
        .customer;
    assert_eq!(gone.status, CustomerStatus::Merged { into: keep.id });
    assert!(
        search(&srv, q("13911112222")).await.is_empty(),
        "duplicate found by phone"
    );
    assert_eq!(
        search(&srv, q("王芳")).await,
        [keep.id],
        "duplicate found by name"
    );
    assert_eq!(search(&srv, CustomerQuery::default()).await, [keep.id]);
    assert_err(
        m.merge_customers(keep.id, dup.id, None).await,
        409,
        "customer_inactive",
    );

    let h = m.customer_history(keep.id).await.expect("history");
    let has = |id: CustomerId, action: &str| {
        h.iter()
            .any(|e| e.entity_id == id.to_string() && e.action == action)
    };
    assert!(
        has(keep.id, "customer.create") && has(keep.id, "customer.merge"),
        "{h:?}"
    );
    assert!(
        has(dup.id, "customer.create") && has(dup.id, "customer.update"),
        "{h:?}"
    );
    assert!(
        has(dup.id, "card.issue") && has(dup.id, "customer.merged_into"),
        "{h:?}"
    );
    assert!(
        h.windows(2).all(|w| w[0].seq < w[1].seq),
        "history in order"
    );

    let export = m.export_customer(keep.id).await.expect("export");
    assert_eq!((&export.customer, export.cards.len()), (&merged, 1));
    assert_eq!(export.history, h, "the export carries the whole history");
    srv.stop().await;
}

/// Asserts nothing the store answers about customer `id` (record, history, audit, export)
/// still holds any of `secrets`.
async fn assert_forgotten(srv: &TestServer, id: CustomerId, secrets: &[&str]) {
    let m = &srv.manager;
    let audit_q = AuditQuery {
        entity: Some("customer".into()),
        entity_id: Some(id.to_string()),
        ..Default::default()
    };
    let json = |v: serde_json::Result<String>| v.expect("json");
    let texts = [
        (
            "record",
            json(serde_json::to_string(&m.customer(id).await.expect("read"))),
        ),
        (
            "history",
            json(serde_json::to_string(
                &m.customer_history(id).await.expect("history"),
            )),
        ),
        (
            "audit",
            json(serde_json::to_string(
                &m.audit(&audit_q).await.expect("audit"),
            )),
        ),
        (
            "export",
            json(serde_json::to_string(
                &m.export_customer(id).await.expect("export"),
            )),
        ),
    ];
    for (what, text) in &texts {
        for s in secrets {
            assert!(
                !text.contains(s),
                "customer {id}: {s:?} still in the {what} after erasure: {text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erase_removes_personal_data_and_keeps_totals() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let c = add(
        m,
        &NewCustomer {
            wechat: Some("wf_1990".into()),
            ..customer("王芳", "13800138000")
        },
    )
    .await;
    let patch = CustomerPatch {
        region: Some(Some("朝阳区".into())),
        ..Default::default()
    };
    m.update_customer(c.id, &patch, None).await.expect("update");
    let card = IssueCard {
        customer_id: c.id,
        number: None,
    };
    m.issue_card(&card, None).await.expect("card");
    // A rated visit, its comment naming her: the export carries it (CUS-6 is everything
    // the store holds about her).
    let cut = offer(&srv, "洗剪吹", ServiceCategory::CutStyle, 45).await;
    let tony = stylist(&srv, "Tony", &[ServiceCategory::CutStyle]).await;
    let ticket = m
        .check_in(&check_in(by_phone("13800138000"), &[cut], Some(tony)), None)
        .await
        .expect("checked in")
        .ticket;
    for a in [QueueAction::Start, QueueAction::Finish] {
        m.queue_move(ticket.id, a).await.expect("moved");
    }
    let rating = FeedbackInput {
        ticket_id: ticket.id,
        overall: 4,
        service: 5,
        stylist: 3,
        environment: 2,
        recommend: 7,
        comment: "王芳，住朝阳区，下次还找 Tony".into(),
        by: None,
    };
    let rated = m.feedback(&rating, None).await.expect("rated");
    let export = m.export_customer(c.id).await.expect("export");
    assert_eq!(export.feedback, std::slice::from_ref(&rated));
    assert_eq!(
        (rated.ticket_id, rated.customer_id, rated.comment.as_str()),
        (ticket.id, c.id, "王芳，住朝阳区，下次还找 Tony")
    );

    let before = m.customer(c.id).await.expect("read").customer;
    let erased = m.erase_customer(c.id, None).await.expect("erase");
    // The rating stays in her export with its scores; only the comment is gone.
    let export = m.export_customer(c.id).await.expect("export");
    let blanked = Feedback {
        comment: String::new(),
        ..rated
    };
    assert_eq!(export.feedback, [blanked]);
    assert_eq!(
        (erased.id, erased.total_spend),
        (before.id, before.total_spend)
    );
    assert_eq!(
        (erased.visit_count, erased.registered_at),
        (before.visit_count, before.registered_at)
    );
    assert_eq!(
        (&erased.phone, &erased.wechat, &erased.card),
        (&None, &None, &None)
    );
    assert!(!erased.name.contains("王芳"), "{}", erased.name);
    assert!(matches!(erased.status, CustomerStatus::Erased { .. }));
    for text in ["13800138000", "8000", "王芳", "wf"] {
        assert!(
            search(&srv, q(text)).await.is_empty(),
            "erased customer found by {text}"
        );
    }
    assert!(search(&srv, CustomerQuery::default()).await.is_empty());
    let kiosk = srv.client(Role::Kiosk).await;
    let at_door = KioskIdentify {
        phone: Some("13800138000".into()),
        card: None,
    };
    assert_err(
        kiosk.kiosk_identify(&at_door).await,
        404,
        "customer_not_found",
    );
    assert_err(m.erase_customer(c.id, None).await, 409, "customer_inactive");

    let audit_q = AuditQuery {
        entity: Some("customer".into()),
        entity_id: Some(c.id.to_string()),
        ..Default::default()
    };
    let audit = m.audit(&audit_q).await.expect("audit");
    let create = audit
        .iter()
        .find(|e| e.action == "customer.create")
        .expect("create entry kept");
    assert!(create.after["redacted"].is_string(), "{create:?}");
    assert!(audit.iter().any(|e| e.action == "customer.erase"));
    assert_forgotten(&srv, c.id, &["13800138000", "王芳", "wf_1990", "朝阳区"]).await;
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_a_merged_customer_forgets_the_duplicate_too() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let keep = add(m, &customer("王芳", "13800138000")).await;
    let dup = add(m, &customer("王芳芳", "13911112222")).await;
    // The duplicate rated a visit before the merge: it is the kept customer's rating now.
    let cut = offer(&srv, "洗剪吹", ServiceCategory::CutStyle, 45).await;
    let tony = stylist(&srv, "Tony", &[ServiceCategory::CutStyle]).await;
    let ticket = m
        .check_in(&check_in(by_phone("13911112222"), &[cut], Some(tony)), None)
        .await
        .expect("checked in")
        .ticket;
    for a in [QueueAction::Start, QueueAction::Finish] {
        m.queue_move(ticket.id, a).await.expect("moved");
    }
    let rating = FeedbackInput {
        ticket_id: ticket.id,
        overall: 5,
        service: 5,
        stylist: 5,
        environment: 5,
        recommend: 10,
        comment: "王芳芳 13911112222".into(),
        by: None,
    };
    let rated = m.feedback(&rating, None).await.expect("rated");
    m.merge_customers(keep.id, dup.id, None)
        .await
        .expect("merge");
    let export = m.export_customer(keep.id).await.expect("export");
    assert_eq!(export.feedback, std::slice::from_ref(&rated));
    assert_eq!(rated.customer_id, dup.id);
    m.erase_customer(keep.id, None).await.expect("erase");
    let export = m.export_customer(keep.id).await.expect("export");
    let scores = |f: &Feedback| (f.ticket_id, f.overall, f.recommend, f.comment.clone());
    let kept: Vec<_> = export.feedback.iter().map(scores).collect();
    assert_eq!(kept, [(ticket.id, 5, 10, String::new())], "scores kept");
    // The duplicate's history is the erased customer's history (and is in its export).
    let secrets = ["13800138000", "13911112222", "王芳"];
    assert_forgotten(&srv, keep.id, &secrets).await;
    assert_forgotten(&srv, dup.id, &secrets).await;
    srv.stop().await;
}
