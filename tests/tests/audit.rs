//! The audit log (SEC-3): every write leaves an entry naming the device (and the signed-in
//! staff member); filters work; nothing can edit or delete the log; only managers read it.

mod common;

use common::*;
use salon_shared::api::*;
use salon_shared::client::Client;
use salon_shared::{DeviceId, Role, StaffId};
use salon_tests::TestServer;

/// The newest entry matching `action` exactly for `entity:id`.
async fn entry(m: &Client, entity: &str, id: impl ToString, action: &str) -> AuditEntry {
    let q = AuditQuery {
        entity: Some(entity.into()),
        entity_id: Some(id.to_string()),
        ..Default::default()
    };
    let all = m.audit(&q).await.expect("audit");
    all.into_iter()
        .find(|e| e.action == action)
        .unwrap_or_else(|| panic!("no {action} entry for {entity}:{}", id.to_string()))
}

#[track_caller]
fn by(e: &AuditEntry, device: DeviceId, name: &str, staff: Option<StaffId>) {
    assert_eq!(
        (e.device_id, e.device_name.as_str(), e.staff_id),
        (Some(device), name, staff),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_is_audited_with_its_device() {
    let srv = TestServer::start().await;
    let (boss, _, boss_id) = paired(&srv, Role::Manager, "office pc").await;
    let n = "office pc";
    let a = boss
        .create_customer(&customer("王芳", &phone()), None)
        .await
        .expect("c");
    let b = boss
        .create_customer(&customer("王芳芳", &phone()), None)
        .await
        .expect("c");
    let patch = CustomerPatch {
        tags: Some(["vip".to_string()].into()),
        ..Default::default()
    };
    boss.update_customer(a.id, &patch, None)
        .await
        .expect("update");
    let card = boss
        .issue_card(
            &IssueCard {
                customer_id: a.id,
                number: None,
            },
            None,
        )
        .await
        .expect("card");
    boss.replace_card(card.number.as_str(), &ReplaceCard::default(), None)
        .await
        .expect("replace");
    boss.merge_customers(a.id, b.id, None).await.expect("merge");
    boss.export_customer(a.id).await.expect("export");
    let e = boss
        .create_customer(&customer("赵强", &phone()), None)
        .await
        .expect("c");
    boss.erase_customer(e.id, None).await.expect("erase");
    for (id, action) in [
        (a.id, "customer.create"),
        (a.id, "customer.update"),
        (a.id, "card.issue"),
        (a.id, "card.replace"),
        (a.id, "customer.merge"),
        (b.id, "customer.merged_into"),
        (a.id, "customer.export"),
        (e.id, "customer.erase"),
    ] {
        by(
            &entry(&boss, "customer", id, action).await,
            boss_id,
            n,
            None,
        );
    }
    let upd = entry(&boss, "customer", a.id, "customer.update").await;
    assert_eq!(
        (upd.before["tags"].clone(), upd.after["tags"].clone()),
        (serde_json::json!([]), serde_json::json!(["vip"]))
    );

    let s = boss
        .create_service(&service("洗剪吹", "68"), None)
        .await
        .expect("service");
    boss.update_service(s.id, &service("洗剪吹", "78"), None)
        .await
        .expect("update");
    boss.retire_service(s.id).await.expect("retire");
    for action in ["service.create", "service.update", "service.retire"] {
        by(
            &entry(&boss, "service", s.id, action).await,
            boss_id,
            n,
            None,
        );
    }
    let su = entry(&boss, "service", s.id, "service.update").await;
    assert_eq!(
        (su.before["price"].as_str(), su.after["price"].as_str()),
        (Some("68.00"), Some("78.00"))
    );

    let st = boss
        .create_staff(&staff("小美", Some("1357")), None)
        .await
        .expect("staff");
    boss.update_staff(st.id, &staff("小美", None), None)
        .await
        .expect("update");
    for action in ["staff.create", "staff.update"] {
        by(
            &entry(&boss, "staff", st.id, action).await,
            boss_id,
            n,
            None,
        );
    }

    let code = boss.create_pairing_code(Role::Kiosk).await.expect("code");
    let (paired_resp, _) = srv
        .anonymous()
        .pair(&code.code, "door kiosk")
        .await
        .expect("pair");
    let kiosk_id = paired_resp.device.id;
    boss.revoke_device(kiosk_id).await.expect("revoke");
    by(
        &entry(&boss, "pairing_code", "-", "pairing_code.create").await,
        boss_id,
        n,
        None,
    );
    let created = entry(&boss, "device", kiosk_id, "device.create").await;
    assert_eq!(
        created.device_name, "door kiosk",
        "pairing is done by the new device"
    );
    by(
        &entry(&boss, "device", kiosk_id, "device.revoke").await,
        boss_id,
        n,
        None,
    );

    // The device filter finds this device's writes and nothing else.
    let mine = boss
        .audit(&AuditQuery {
            device_id: Some(boss_id.0),
            limit: Some(500),
            ..Default::default()
        })
        .await
        .expect("audit");
    assert!(mine.len() >= 16, "{}", mine.len());
    assert!(mine.iter().all(|e| e.device_id == Some(boss_id)));
    assert!(mine.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_carry_the_signed_in_staff_member() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let st = m
        .create_staff(&staff("Tony 老师", Some("2468")), None)
        .await
        .expect("staff");
    let (desk, _, desk_id) = paired(&srv, Role::FrontDesk, "front counter").await;
    let (_, signed) = desk.sign_in(st.id, "2468").await.expect("sign in");
    let with = signed
        .create_customer(&customer("王芳", &phone()), None)
        .await
        .expect("c");
    let without = desk
        .create_customer(&customer("李娜", &phone()), None)
        .await
        .expect("c");
    by(
        &entry(m, "customer", with.id, "customer.create").await,
        desk_id,
        "front counter",
        Some(st.id),
    );
    by(
        &entry(m, "customer", without.id, "customer.create").await,
        desk_id,
        "front counter",
        None,
    );
    by(
        &entry(m, "staff", st.id, "staff.sign_in").await,
        desk_id,
        "front counter",
        Some(st.id),
    );

    let q = AuditQuery {
        staff_id: Some(st.id.0),
        ..Default::default()
    };
    let staffs = m.audit(&q).await.expect("audit");
    let actions: Vec<&str> = staffs.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["customer.create", "staff.sign_in"]);

    // Filters: action prefix, entity, paging with before_seq and limit.
    let q = AuditQuery {
        action: Some("customer.".into()),
        ..Default::default()
    };
    let cust = m.audit(&q).await.expect("audit");
    assert_eq!(cust.len(), 2);
    assert!(cust.iter().all(|e| e.action.starts_with("customer.")));
    let all = m.audit(&AuditQuery::default()).await.expect("audit");
    let page = m
        .audit(&AuditQuery {
            before_seq: Some(all[1].seq),
            limit: Some(2),
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(page, all[2..4].to_vec());
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_cannot_be_edited_and_only_managers_read_it() {
    let srv = TestServer::start().await;
    let (_, token, _) = paired(&srv, Role::Manager, "office pc").await;
    srv.manager
        .create_customer(&customer("王芳", &phone()), None)
        .await
        .expect("c");
    let before = srv
        .manager
        .audit(&AuditQuery {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .expect("audit");
    let url = format!("{}/api/v1/audit", srv.base);
    let entry_body = r#"{"seq":1,"action":"customer.create","before":null,"after":null}"#;
    for method in ["PUT", "DELETE", "POST", "PATCH"] {
        let (status, body) = raw(method, &url, Some(&token), json(entry_body), &[]).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (405, "method_not_allowed"),
            "{method}"
        );
        let one = format!("{url}/{}", before[0].seq);
        let (status, body) = raw(method, &one, Some(&token), json(entry_body), &[]).await;
        assert!(
            (400..500).contains(&status) && status != 401,
            "{method} {one}: {status}"
        );
        error_code(&body);
    }
    let after = srv
        .manager
        .audit(&AuditQuery {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(after, before, "the log changed");

    // The published API has no operation other than GET on any audit path.
    let doc = srv.anonymous().openapi().await.expect("openapi");
    let paths = doc["paths"].as_object().expect("paths");
    let audit_paths: Vec<_> = paths.iter().filter(|(p, _)| p.contains("audit")).collect();
    assert!(!audit_paths.is_empty());
    for (p, ops) in audit_paths {
        let methods: Vec<&String> = ops.as_object().expect("operations").keys().collect();
        assert_eq!(methods, ["get"], "{p}");
    }

    for role in [Role::FrontDesk, Role::Stylist, Role::Kiosk] {
        let c = srv.client(role).await;
        assert_err(c.audit(&AuditQuery::default()).await, 403, "forbidden");
        let q = AuditQuery {
            entity: Some("customer".into()),
            entity_id: Some("1".into()),
            ..Default::default()
        };
        assert_err(c.audit(&q).await, 403, "forbidden");
    }
    srv.stop().await;
}
