//! A battery of bad requests against every write route: each is answered 4xx (never 5xx)
//! with the error shape, and the store is exactly as it was before.

mod common;

use common::*;
use salon_shared::Role;
use salon_shared::api::*;
use salon_tests::TestServer;

/// Every JSON write route: method, path, who calls it (M manager, K kiosk, A anonymous),
/// and a valid body the malformed variants are made from.
const ROUTES: &str = r#"
POST  /customers                M {"name":"赵强","phone":"13911110000","consent":true}
PATCH /customers/{F}            M {"tags":["vip"]}
POST  /customers/{F}/merge      M {"duplicate":{G}}
POST  /kiosk/identify           K {"phone":"13800138000"}
POST  /kiosk/register           K {"name":"周敏","phone":"13911110000","consent":true}
POST  /services                 M {"category":"cut_style","name":"精剪","price":"68","duration_min":45}
PUT   /services/{SVC}           M {"category":"cut_style","name":"精剪","price":"68","duration_min":45}
POST  /staff                    M {"name":"小美","role":"stylist","level":"junior","pin":"1357"}
PUT   /staff/{STAFF}            M {"name":"小美","role":"stylist","level":"junior","pin":"1357"}
POST  /cards                    M {"customer_id":{G}}
POST  /cards/{CARD}/replace     M {}
POST  /pairing-codes            M {"role":"kiosk"}
POST  /pair                     A {"code":"000000","device_name":"x"}
POST  /sessions                 M {"staff_id":{STAFF},"pin":"2468"}
POST  /feedback                 K {"ticket_id":{DONE},"overall":5,"service":5,"stylist":5,"environment":5,"recommend":9}
POST  /products                 M {"name":"洗发水","price":"60"}
POST  /products/{PROD}/stock    M {"reason":"receive","qty":5}
PUT   /visits/{DONE}            M {"services":[{SVC}]}
POST  /checkouts/preview        M {"customer_id":{F},"items":[{"type":"product","id":{PROD},"qty":1}]}
POST  /checkouts                M {"customer_id":{F},"items":[{"type":"product","id":{PROD},"qty":1}],"tenders":[{"method":"cash","amount":"60"}]}
POST  /checkouts/{CO}/refund    M {"reason":"换卡"}
PUT   /settings/members         M {SETTINGS}
POST  /customers/{F}/top-ups    M {"amount":"100","tenders":[{"method":"cash","amount":"100"}]}
POST  /package-plans            M {"name":"洗吹10次","service_id":{SVC},"uses":10,"price":"320"}
POST  /customers/{F}/packages   M {"plan_id":{PLAN},"tenders":[{"method":"cash","amount":"320"}]}
POST  /coupon-defs              M {"name":"满100减20","kind":{"kind":"threshold","min_spend":"100","off":"20"},"valid_from":"2026-01-01","valid_to":"2027-01-01"}
POST  /customers/{F}/coupons    M {"def_id":{DEF}}
"#;

/// Routes taking an id in the path: each gets ids that are not ids, and ids that are not there.
const ID_ROUTES: &str = r#"
PATCH /customers/{id}           M {"tags":["vip"]}
POST  /customers/{id}/merge     M {"duplicate":{G}}
POST  /customers/{id}/erase     M null
PUT   /services/{id}            M {"category":"cut_style","name":"精剪","price":"68","duration_min":45}
POST  /services/{id}/retire     M null
POST  /services/{id}/restore    M null
PUT   /staff/{id}               M {"name":"小美","role":"stylist","level":"junior","pin":"1357"}
POST  /devices/{id}/revoke      M null
POST  /products/{id}/stock      M {"reason":"receive","qty":5}
PUT   /visits/{id}              M {"services":[{SVC}]}
POST  /checkouts/{id}/refund    M {"reason":"换卡"}
POST  /customers/{id}/top-ups   M {"amount":"100","tenders":[{"method":"cash","amount":"100"}]}
POST  /customers/{id}/packages  M {"plan_id":{PLAN},"tenders":[{"method":"cash","amount":"320"}]}
POST  /customers/{id}/coupons   M {"def_id":{DEF}}
"#;

/// Domain-level mistakes: method, path, caller, expected status, body. `{REP:c:n}` is the
/// character c repeated n times.
const CASES: &str = r#"
POST  /customers          M 422 {"name":1,"phone":true}
POST  /customers          M 422 {"name":"赵强"}
POST  /customers          M 422 {"phone":"13911110000"}
POST  /customers          M 422 {"name":"{REP:长:10000}","phone":"13911110000"}
POST  /customers          M 422 {"name":"   ","phone":"13911110000"}
POST  /customers          M 422 {"name":"赵\u0007强","phone":"13911110000"}
POST  /customers          M 422 {"name":"赵强","phone":"12345"}
POST  /customers          M 409 {"name":"赵强","phone":"+86 138 0013 8000"}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","birthday":"{FUTURE}"}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","birthday":"1850-01-01"}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","birthday":"2020-02-30"}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","gender":"robot"}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","email":"not-an-email"}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","tags":"vip"}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","tags":["{REP:t:25}"]}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","tags":[{TAGS31}]}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","care":{"notes":"{REP:n:2001}"}}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","care":{"allergies":"PPD"}}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","referrer":999999}
POST  /customers          M 422 {"name":"赵强","phone":"13911110000","referrer":-1}
PATCH /customers/{F}      M 422 {"tags":"vip"}
PATCH /customers/{F}      M 422 {"name":""}
PATCH /customers/{F}      M 422 {"name":"{REP:长:33}"}
PATCH /customers/{F}      M 422 {"phone":"1380013800"}
PATCH /customers/{F}      M 409 {"phone":"13900139000"}
PATCH /customers/{F}      M 422 {"referrer":{F}}
PATCH /customers/{F}      M 422 {"birthday":"{FUTURE}"}
PATCH /customers/{F}      M 422 {"consent":"yes"}
POST  /customers/{F}/merge M 422 {"duplicate":"x"}
POST  /customers/{F}/merge M 422 {}
POST  /customers/{F}/merge M 422 {"duplicate":{F}}
POST  /customers/{F}/merge M 404 {"duplicate":999999}
POST  /customers/{F}/merge M 422 {"duplicate":-3}
POST  /kiosk/identify     K 422 {}
POST  /kiosk/identify     K 422 {"phone":"13800138000","card":"8800000001"}
POST  /kiosk/identify     K 422 {"phone":"123"}
POST  /kiosk/identify     K 422 {"card":"x"}
POST  /kiosk/identify     K 422 {"phone":13800138000}
POST  /kiosk/identify     K 404 {"phone":"13700000000"}
POST  /kiosk/register     K 422 {"name":"周敏","phone":"13911110000","consent":false}
POST  /kiosk/register     K 422 {"name":"周敏","phone":"13911110000"}
POST  /kiosk/register     K 422 {"name":"周敏","phone":"139","consent":true}
POST  /kiosk/register     K 422 {"name":"周敏","phone":"13911110000","consent":true,"tags":["vip"]}
POST  /kiosk/register     K 422 {"name":"周敏","phone":"13911110000","consent":true,"birthday":"{FUTURE}"}
POST  /kiosk/register     K 409 {"name":"周敏","phone":"13800138000","consent":true}
POST  /kiosk/register     K 422 {"name":"","phone":"13911110000","consent":true}
POST  /staff              M 422 {"name":"小美","role":"stylist","level":"junior"}
POST  /cards              M 422 {}
POST  /cards              M 422 {"customer_id":"abc"}
POST  /cards              M 404 {"customer_id":999999}
POST  /cards              M 422 {"customer_id":{G},"number":"12"}
POST  /cards              M 422 {"customer_id":{G},"number":"卡号123456"}
POST  /cards              M 409 {"customer_id":{F}}
POST  /cards              M 409 {"customer_id":{G},"number":"{CARD}"}
POST  /cards/x/replace    M 422 {}
POST  /cards/%E5%8D%A1%E5%8F%B7123456/replace M 422 {}
POST  /cards/NOPE-000000/replace M 404 {}
POST  /cards/{CARD}/replace M 422 {"number":"12"}
POST  /cards/{CARD}/replace M 409 {"number":"{CARD}"}
POST  /pairing-codes      M 422 {"role":"admin"}
POST  /pairing-codes      M 422 {}
POST  /pair               A 401 {"code":"000000","device_name":"new tablet"}
POST  /pair               A 422 {"code":"000000","device_name":""}
POST  /pair               A 422 {"code":"000000","device_name":"{REP:d:41}"}
POST  /pair               A 422 {"device_name":"new tablet"}
POST  /pair               A 422 {"code":123456,"device_name":"new tablet"}
POST  /sessions           M 422 {"staff_id":"abc","pin":"2468"}
POST  /sessions           M 422 {"staff_id":{STAFF}}
POST  /sessions           M 422 {"staff_id":{STAFF},"pin":2468}
POST  /sessions           M 401 {"staff_id":{STAFF},"pin":"0000"}
POST  /feedback           K 422 {"ticket_id":{DONE},"overall":0,"service":5,"stylist":5,"environment":5,"recommend":9}
POST  /feedback           K 422 {"ticket_id":{DONE},"overall":5,"service":6,"stylist":5,"environment":5,"recommend":9}
POST  /feedback           K 422 {"ticket_id":{DONE},"overall":5,"service":5,"stylist":5,"environment":5,"recommend":11}
POST  /feedback           K 422 {"ticket_id":{DONE},"overall":256,"service":5,"stylist":5,"environment":5,"recommend":9}
POST  /feedback           K 422 {"ticket_id":{DONE},"overall":-1,"service":5,"stylist":5,"environment":5,"recommend":9}
POST  /feedback           K 422 {"ticket_id":{DONE},"overall":"5","service":5,"stylist":5,"environment":5,"recommend":9}
POST  /feedback           K 422 {"ticket_id":{DONE},"overall":5,"service":5,"stylist":5,"environment":5,"recommend":9,"comment":"{REP:评:501}"}
POST  /feedback           K 422 {"ticket_id":{DONE},"overall":5,"service":5,"stylist":5,"environment":5,"recommend":9,"comment":7}
POST  /feedback           K 422 {"ticket_id":"x","overall":5,"service":5,"stylist":5,"environment":5,"recommend":9}
POST  /feedback           K 422 {"ticket_id":{DONE},"overall":5}
POST  /feedback           K 404 {"ticket_id":999999,"overall":5,"service":5,"stylist":5,"environment":5,"recommend":9}
POST  /feedback           K 409 {"ticket_id":{OPEN},"overall":5,"service":5,"stylist":5,"environment":5,"recommend":9}
POST  /products           M 422 {"name":"洗发水","price":"-1"}
POST  /products           M 422 {"name":"","price":"60"}
POST  /products           M 422 {"name":"洗发水","price":"60","barcode":"x"}
POST  /products/{PROD}/stock M 422 {"reason":"sell","qty":5}
POST  /products/{PROD}/stock M 422 {"reason":"receive","qty":0}
POST  /products/{PROD}/stock M 422 {"reason":"receive","qty":100001}
POST  /products/{PROD}/stock M 422 {"reason":"receive","qty":"5"}
POST  /products/{PROD}/stock M 409 {"reason":"adjust","qty":-1}
PUT   /visits/{OPEN}      M 409 {"services":[{SVC}]}
PUT   /visits/{DONE}      M 422 {"services":[]}
PUT   /visits/{DONE}      M 422 {"services":[999999]}
PUT   /visits/{DONE}      M 422 {"services":[{SVC}],"products_used":[{"product_id":{PROD},"qty":0}]}
PUT   /visits/{DONE}      M 409 {"services":[{SVC}],"products_used":[{"product_id":{PROD},"qty":1}]}
PUT   /visits/{DONE}      M 422 {"services":[{SVC}],"formulas":[{"kind":"colour","text":""}]}
PUT   /visits/{DONE}      M 422 {"services":[{SVC}],"notes":"{REP:n:1001}"}
POST  /checkouts          M 422 {"customer_id":{F},"items":[],"tenders":[]}
POST  /checkouts          M 422 {"customer_id":{F},"items":[{"type":"product","id":{PROD},"qty":1}],"tenders":[{"method":"cash","amount":"-60"}]}
POST  /checkouts          M 422 {"customer_id":{F},"items":[{"type":"product","id":{PROD},"qty":-1}],"tenders":[]}
POST  /checkouts          M 422 {"customer_id":{F},"items":[{"type":"product","id":{PROD},"qty":100}],"tenders":[]}
POST  /checkouts          M 422 {"customer_id":{F},"items":[{"type":"spell","id":1,"qty":1}],"tenders":[]}
POST  /checkouts          M 422 {"customer_id":{F},"items":[{"type":"service","id":999999,"qty":1}],"tenders":[]}
POST  /checkouts          M 404 {"customer_id":999999,"items":[{"type":"product","id":{PROD},"qty":1}],"tenders":[]}
POST  /checkouts          M 409 {"customer_id":{F},"points":1,"items":[{"type":"product","id":{PROD},"qty":1}],"tenders":[{"method":"cash","amount":"60"}]}
POST  /checkouts          M 422 {"customer_id":{F},"items":[{"type":"product","id":{PROD},"qty":1}],"tenders":[{"method":"mobile","amount":"60"}]}
POST  /checkouts          M 409 {"customer_id":{F},"items":[{"type":"product","id":{PROD},"qty":1}],"tenders":[{"method":"cash","amount":"60"}]}
POST  /checkouts          M 409 {"customer_id":{F},"items":[{"type":"product","id":{PROD},"qty":1}],"tenders":[{"method":"stored_value","amount":"60"}]}
POST  /checkouts          M 409 {"ticket_id":{OPEN},"items":[{"type":"service","id":{SVC},"qty":1}],"tenders":[]}
POST  /checkouts/{CO}/refund M 422 {"reason":""}
POST  /checkouts/{CO}/refund M 409 {"reason":"再退一次"}
POST  /customers/{F}/top-ups M 422 {"amount":"0","tenders":[]}
POST  /customers/{F}/top-ups M 422 {"amount":"1e9","tenders":[{"method":"cash","amount":"100"}]}
POST  /customers/{F}/top-ups M 422 {"amount":"100","tenders":[{"method":"stored_value","amount":"100"}]}
POST  /customers/{F}/top-ups M 422 {"amount":"100","tenders":[{"method":"cash","amount":"99"}]}
POST  /package-plans      M 422 {"name":"洗吹10次","service_id":{SVC},"uses":0,"price":"320"}
POST  /package-plans      M 422 {"name":"洗吹10次","service_id":{SVC},"uses":10,"price":"0"}
POST  /package-plans      M 422 {"name":"洗吹10次","service_id":999999,"uses":10,"price":"320"}
POST  /customers/{F}/packages M 422 {"plan_id":999999,"tenders":[]}
POST  /customers/{F}/packages M 409 {"plan_id":{PLAN},"tenders":[{"method":"stored_value","amount":"320"}]}
POST  /coupon-defs        M 422 {"name":"满10减20","kind":{"kind":"threshold","min_spend":"10","off":"20"},"valid_from":"2026-01-01","valid_to":"2027-01-01"}
POST  /coupon-defs        M 422 {"name":"零折","kind":{"kind":"percent","percent":0},"valid_from":"2026-01-01","valid_to":"2027-01-01"}
POST  /coupon-defs        M 422 {"name":"倒序","kind":{"kind":"percent","percent":10},"valid_from":"2027-01-01","valid_to":"2026-01-01"}
POST  /customers/{F}/coupons M 422 {"def_id":999999}
PUT   /settings/members   M 422 {SETTINGS_BAD}
"#;

/// Bad prices and durations (whitespace-separated JSON values), each sent to POST /services
/// and PUT /services/{SVC}.
const PRICES: &str = r#""-1" "1e9" "0.001" -1 1e9 0.001 "abc" "" null "1000000.01""#;
const DURATIONS: &str = r#"0 4 601 100000 -5 "45" 45.5"#;
/// Bad staff fields, each sent to POST /staff and PUT /staff/{STAFF}.
const STAFF_EXTRA: &str = r#"
"pin":"12"  "pin":"abcd"  "pin":"1234567"  "pin":1234  "pin":"1357","skills":["flying"]
"pin":"1357","active":"yes"  "pin":"1357","role":"boss"  "pin":"1357","level":"god"
"#;

struct Case {
    method: String,
    path: String,
    who: char,
    content_type: &'static str,
    body: Vec<u8>,
    /// The expected status; 0 for "any 4xx".
    want: u16,
}

fn case(method: &str, path: &str, who: &str, body: &str, want: u16) -> Case {
    let who = who.chars().next().unwrap_or('M');
    let (method, path) = (method.to_string(), path.to_string());
    let body = body.as_bytes().to_vec();
    Case {
        method,
        path,
        who,
        content_type: "application/json",
        body,
        want,
    }
}

/// What every JSON route must refuse, whatever its body type.
fn malformed(method: &str, path: &str, who: &str, valid: &str) -> Vec<Case> {
    let unknown = match valid {
        "{}" => r#"{"unknown_field":1}"#.to_string(),
        v => format!(r#"{}, "unknown_field": 1}}"#, v.trim_end_matches('}')),
    };
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let huge = format!(
        r#"{{"name":"{}","phone":"13911110000"}}"#,
        "x".repeat(70 * 1024)
    );
    let json_cases = [
        ("{", 400),
        ("", 400),
        (&format!("{valid} trailing"), 400),
        ("null", 422),
        ("[]", 422),
        (r#""a string""#, 422),
        ("42", 422),
        (&deep, 0),
        (&unknown, 422),
        (&huge, 413),
    ];
    let mut v: Vec<Case> = json_cases
        .iter()
        .map(|(b, w)| case(method, path, who, b, *w))
        .collect();
    let mut utf8 = case(method, path, who, "", 400);
    utf8.body = b"{\"\xff\xfe\":1}".to_vec();
    v.push(utf8);
    for ct in ["text/plain", "application/x-www-form-urlencoded", ""] {
        v.push(Case {
            content_type: ct,
            ..case(method, path, who, valid, 415)
        });
    }
    v
}

/// Path ids that are not ids (400), and ids that are not there (404).
fn bad_ids(method: &str, path: &str, who: &str, body: &str) -> Vec<Case> {
    let ids = [
        ("abc", 400),
        ("-1", 400),
        ("99999999999999999999999", 400),
        ("1.5", 400),
    ];
    let more = [("%20", 400), ("999999", 404), ("18446744073709551615", 404)];
    let with = |(id, want): &(&str, u16)| case(method, &path.replace("{id}", id), who, body, *want);
    ids.iter().chain(more.iter()).map(with).collect()
}

/// Fills in `{F}`, `{G}`, `{CARD}`, … and `{REP:c:n}`.
fn expand(s: &str, vars: &[(&str, String)]) -> String {
    let mut s = vars.iter().fold(s.to_string(), |s, (k, v)| s.replace(k, v));
    while let Some(start) = s.find("{REP:") {
        let end = start + s[start..].find('}').expect("closing brace");
        let mut parts = s[start + 5..end].split(':');
        let c = parts.next().expect("character");
        let n: usize = parts.next().and_then(|n| n.parse().ok()).expect("count");
        s.replace_range(start..=end, &c.repeat(n));
    }
    s
}

fn cases(vars: &[(&str, String)]) -> Vec<Case> {
    let mut out = Vec::new();
    let fields = |l: &str| {
        let l = l.trim();
        let (method, rest) = l.split_once(char::is_whitespace).expect("method");
        let (path, rest) = rest
            .trim_start()
            .split_once(char::is_whitespace)
            .expect("path");
        let (who, rest) = rest
            .trim_start()
            .split_once(char::is_whitespace)
            .expect("caller");
        (
            method.to_string(),
            path.to_string(),
            who.to_string(),
            rest.trim_start().to_string(),
        )
    };
    for line in expand(ROUTES, vars)
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let (m, p, w, body) = fields(line);
        out.extend(malformed(&m, &p, &w, &body));
    }
    for line in expand(ID_ROUTES, vars)
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let (m, p, w, body) = fields(line);
        out.extend(bad_ids(&m, &p, &w, &body));
    }
    for line in expand(CASES, vars).lines().filter(|l| !l.trim().is_empty()) {
        let (m, p, w, rest) = fields(line);
        let (want, body) = rest.split_once(' ').expect("status and body");
        out.push(case(&m, &p, &w, body, want.parse().expect("status")));
    }
    let svc = |price: &str, minutes: &str| {
        format!(
            r#"{{"category":"cut_style","name":"精剪","price":{price},"duration_min":{minutes}}}"#
        )
    };
    let mut svc_bad: Vec<String> = PRICES.split_whitespace().map(|p| svc(p, "45")).collect();
    svc_bad.extend(DURATIONS.split_whitespace().map(|d| svc(r#""68""#, d)));
    let staff =
        |extra: &str| format!(r#"{{"name":"小美","role":"stylist","level":"junior",{extra}}}"#);
    let staff_bad = STAFF_EXTRA.split_whitespace().map(staff);
    let svc_path = expand("/services/{SVC}", vars);
    let staff_path = expand("/staff/{STAFF}", vars);
    for b in svc_bad {
        out.push(case("POST", "/services", "M", &b, 422));
        out.push(case("PUT", &svc_path, "M", &b, 422));
    }
    for b in staff_bad {
        out.push(case("POST", "/staff", "M", &b, 422));
        out.push(case("PUT", &staff_path, "M", &b, 422));
    }
    out
}

/// Everything observable about the store's contents.
async fn snapshot(srv: &TestServer, f: salon_shared::CustomerId, card: &str) -> serde_json::Value {
    let m = &srv.manager;
    let all = CustomerQuery {
        limit: Some(200),
        ..Default::default()
    };
    let customers = m.search_customers(&all).await.expect("search");
    let details =
        futures_util::future::join_all(customers.items.iter().map(|c| m.customer(c.id))).await;
    let audit_q = AuditQuery {
        limit: Some(500),
        ..Default::default()
    };
    let devices = m.devices().await.expect("devices");
    let devices: Vec<_> = devices
        .into_iter()
        .map(|d| (d.id, d.name, d.role, d.revoked_at))
        .collect();
    serde_json::json!({
        "total": customers.total,
        "details": details.into_iter().map(|d| d.expect("detail")).collect::<Vec<_>>(),
        "f": m.customer(f).await.expect("f"),
        "card": m.card(card).await.expect("card"),
        "services": m.services(true).await.expect("services"),
        "staff": m.staff().await.expect("staff"),
        "audit": m.audit(&audit_q).await.expect("audit"),
        "devices": devices,
        "feedback": m.feedback_list(&PeriodQuery::default()).await.expect("feedback"),
        "queue": m.queue(&QueueQuery { include_closed: true, ..Default::default() }).await.expect("queue").entries,
        "checkouts": m.checkouts(None).await.expect("checkouts"),
        "products": m.products().await.expect("products"),
        "plans": m.package_plans().await.expect("plans"),
        "coupon_defs": m.coupon_defs().await.expect("coupon defs"),
        "settings": m.member_settings().await.expect("settings"),
        "overview": m.overview(f).await.expect("overview"),
        "ledgers": m.ledgers(f).await.expect("ledgers"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_writes_are_refused_and_change_nothing() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let (_, manager_token, _) = paired(&srv, Role::Manager, "office pc").await;
    let (_, kiosk_token, _) = paired(&srv, Role::Kiosk, "door kiosk").await;
    let f = m
        .create_customer(&customer("王芳", "13800138000"), None)
        .await
        .expect("f");
    let g = m
        .create_customer(&customer("李娜", "13900139000"), None)
        .await
        .expect("g");
    let card = card_for(m, f.id).await;
    let svc = m
        .create_service(&service("洗剪吹", "68"), None)
        .await
        .expect("service");
    let st = m
        .create_staff(&staff("Tony 老师", Some("2468")), None)
        .await
        .expect("staff");
    // A finished visit for F and a waiting one for G, to rate (or fail to).
    m.set_roster(st.id, &all_day()).await.expect("roster");
    let visit = |who: salon_shared::CustomerId| {
        let req = CheckInRequest {
            customer: CheckInCustomer {
                id: Some(who),
                ..Default::default()
            },
            services: vec![svc.id],
            stylist: Some(st.id),
        };
        async move { m.check_in(&req, None).await.expect("checked in").ticket.id }
    };
    let done = visit(f.id).await;
    for a in [QueueAction::Start, QueueAction::Finish] {
        m.queue_move(done, a).await.expect("moved");
    }
    let open = visit(g.id).await;
    // Money: a product with no stock, a package plan, a coupon, and a refunded top-up.
    let prod = m
        .create_product(&ProductInput {
            name: "洗发水".into(),
            brand: String::new(),
            barcode: None,
            price: money("60"),
        })
        .await
        .expect("product");
    let plan = m
        .create_package_plan(&salon_shared::ledger::PackagePlanInput {
            name: "洗吹10次".into(),
            service_id: svc.id,
            uses: 10,
            price: money("320"),
            valid_days: None,
        })
        .await
        .expect("plan");
    let def: salon_shared::coupon::CouponDefInput = serde_json::from_str(
        r#"{"name":"满100减20","kind":{"kind":"threshold","min_spend":"100","off":"20"},"valid_from":"2026-01-01","valid_to":"2028-12-31"}"#,
    )
    .expect("coupon json");
    let def = m.create_coupon_def(&def).await.expect("coupon def");
    let top: TopUpInput =
        serde_json::from_str(r#"{"amount":"100","tenders":[{"method":"cash","amount":"100"}]}"#)
            .expect("top-up json");
    let co = m.top_up(f.id, &top, None).await.expect("top-up");
    m.refund(co.id, "换卡", None).await.expect("refunded");
    let settings = MemberSettings::default();
    let mut bad_settings = serde_json::to_value(&settings).expect("json");
    bad_settings["tiers"]["rules"][1]["discount_percent"] = serde_json::json!("101");
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(2);
    let tags31: Vec<String> = (0..31).map(|i| format!("\"t{i}\"")).collect();
    let vars = [
        ("{F}", f.id.to_string()),
        ("{G}", g.id.to_string()),
        ("{CARD}", card.clone()),
        ("{SVC}", svc.id.to_string()),
        ("{STAFF}", st.id.to_string()),
        ("{FUTURE}", tomorrow.to_string()),
        ("{TAGS31}", tags31.join(",")),
        ("{DONE}", done.to_string()),
        ("{OPEN}", open.to_string()),
        ("{PROD}", prod.id.to_string()),
        ("{PLAN}", plan.id.to_string()),
        ("{DEF}", def.id.to_string()),
        ("{CO}", co.id.to_string()),
        ("{SETTINGS_BAD}", bad_settings.to_string()),
        (
            "{SETTINGS}",
            serde_json::to_string(&settings).expect("json"),
        ),
    ];
    let before = snapshot(&srv, f.id, &card).await;

    let cases = cases(&vars);
    let mut wrong = Vec::new();
    for c in &cases {
        let url = format!("{}/api/v1{}", srv.base, c.path);
        let token = match c.who {
            'K' => Some(kiosk_token.as_str()),
            'A' => None,
            _ => Some(manager_token.as_str()),
        };
        let body = Some((c.content_type, c.body.clone()));
        let (status, v) = raw(&c.method, &url, token, body, &[]).await;
        let shape = v["error"]["code"].is_string() && v["error"]["message"].is_string();
        let ok = status == c.want || (c.want == 0 && (400..500).contains(&status));
        if !ok || !shape {
            let shown: String = String::from_utf8_lossy(&c.body).chars().take(120).collect();
            let got: String = v.to_string().chars().take(200).collect();
            let (method, path, ct, want) = (&c.method, &c.path, c.content_type, c.want);
            wrong.push(format!(
                "{method} {path} [{ct}] {shown}: want {want}, got {status} {got}"
            ));
        }
    }
    assert!(cases.len() > 250, "only {} cases", cases.len());
    let n = cases.len();
    assert!(
        wrong.is_empty(),
        "{} of {n} answered wrongly:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    let after = snapshot(&srv, f.id, &card).await;
    assert_eq!(after, before, "a refused request changed the store");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_are_400_and_unknown_things_404() {
    let srv = TestServer::start().await;
    let (_, token, _) = paired(&srv, Role::Manager, "office pc").await;
    let get = |p: String| {
        let url = format!("{}/api/v1{p}", srv.base);
        let token = token.clone();
        async move { raw("GET", &url, Some(&token), None, &[]).await }
    };
    let bad = "/customers?limit=0 /customers?limit=201 /customers?limit=abc /customers?offset=-1
        /customers?birthday_month=13 /customers?birthday_month=0 /customers?tier=diamond
        /customers?source=tv /customers?visited_since=2020-13-01 /customers?min_spend=lots
        /customers?colour=red /audit?limit=0 /audit?limit=501 /audit?device_id=abc
        /audit?sneaky=1 /services?include_retired=maybe /customers/abc /customers/-1/history
        /services/99999999999999999999999 /staff/1.5 /checkouts/abc /checkouts?day=2026-13-01
        /reports/cash-up?day=tomorrow /customers/abc/overview /visits/-1 /reports/ratings?from=x";
    let q65 = format!("/customers?q={}", "q".repeat(65));
    for p in bad.split_whitespace().map(String::from).chain([q65]) {
        let (status, v) = get(p.clone()).await;
        assert_eq!(status, 400, "{p}: {v}");
        error_code(&v);
    }
    let missing = "/customers/999999 /services/0 /staff/18446744073709551615 /cards/NOPE-000000
        /no/such/route /checkouts/999999 /checkouts/999999/receipt /customers/999999/overview
        /customers/999999/ledgers /visits/999999 /products/999999/stock";
    for p in missing.split_whitespace() {
        let (status, v) = get(p.to_string()).await;
        assert_eq!((status, error_code(&v).as_str()), (404, "not_found"), "{p}");
    }
    srv.stop().await;
}
