//! Bad input made from the server's own OpenAPI document, for every route it lists: path ids
//! that are not ids (or not there), bodies that break the schema (malformed, of the wrong
//! content type, a required property missing, a property of the wrong type, huge values,
//! too large), query and header values of the wrong type, and callers without a valid
//! token. None is answered 5xx, every refusal has the error shape, and none changes the
//! store: its counters (each write takes an audit and an event number) and table sizes are
//! compared after every request, and everything the API shows before and after the battery.

mod common;

use common::*;
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableHandle};
use salon_shared::Role;
use salon_shared::api::*;
use salon_shared::bill::{PayMethod, Tender};
use salon_tests::TestServer;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// A string that breaks any field's length limit while its body stays under the API's
/// 64 KiB limit (bodies over the limit are a case of their own).
const HUGE: usize = 60_000;
/// Bodies just over the limits: the API's 64 KiB, and the photo upload's 2 MiB.
const OVER_API_LIMIT: usize = 70 * 1024;
const OVER_PHOTO_LIMIT: usize = 2 * 1024 * 1024 + 64 * 1024;
/// Marks a number written into the body as is (`serde_json` cannot hold 2^64).
const RAW: &str = "\u{1}";
/// Decimal fields besides `Money`: `rust_decimal` reads a JSON number as well as a string,
/// so a number there is not of the wrong type.
const DECIMALS: [&str; 4] = [
    "discount_percent",
    "points_multiplier",
    "earn_per_yuan",
    "percent",
];

/// Who sends a request.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Manager,
    Kiosk,
    /// No `Authorization` header.
    Nobody,
    /// A token no device holds.
    Bogus,
    /// The manager's token with a staff session that does not exist.
    BadSession,
}

/// What a request must be answered with (never a 5xx, never a change to the store).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Want {
    Status(u16),
    /// Any 4xx.
    Refused,
    /// Valid as far as the document says (a route that needs no token, a free-text query):
    /// any answer but a 5xx.
    Any,
}

struct Case {
    route: usize,
    what: String,
    /// The path as sent (`/api/v1/…`), with the query string.
    path: String,
    who: Who,
    headers: Vec<(&'static str, Vec<u8>)>,
    /// Content type (empty: none) and bytes.
    body: Option<(String, Vec<u8>)>,
    want: Want,
}

/// One operation of the document.
struct Route {
    method: String,
    template: String,
    op: Value,
}

impl Route {
    fn label(&self) -> String {
        format!("{} {}", self.method, self.template)
    }

    fn params(&self, place: &str) -> Vec<&Value> {
        self.op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter(|p| p["in"] == place).collect())
            .unwrap_or_default()
    }

    /// Routes marked `security: [{}]` need no token.
    fn public(&self) -> bool {
        self.op["security"].as_array().is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
        })
    }
}

/// Every operation in the document.
fn routes(doc: &Value) -> Vec<Route> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let mut op = op.clone();
            // Parameters shared by the path's operations belong to each of them.
            if let Some(shared) = item.get("parameters").and_then(Value::as_array) {
                let mut ps = op["parameters"].as_array().cloned().unwrap_or_default();
                ps.extend(shared.iter().cloned());
                op["parameters"] = Value::Array(ps);
            }
            out.push(Route {
                method: method.to_uppercase(),
                template: path.clone(),
                op,
            });
        }
    }
    out
}

// ---- the schema ----

/// Follows `$ref`s into `components.schemas`.
fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    let mut s = s;
    for _ in 0..32 {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                s = doc
                    .pointer(r.trim_start_matches('#'))
                    .unwrap_or(&Value::Null)
            }
            None => break,
        }
    }
    s
}

fn ref_name(s: &Value) -> Option<&str> {
    s.get("$ref")?.as_str()?.rsplit('/').next()
}

fn is_null(doc: &Value, s: &Value) -> bool {
    resolve(doc, s).get("type").and_then(Value::as_str) == Some("null")
}

/// The first variant of a `oneOf`/`anyOf`/`allOf` that is not `null`, or the schema.
fn pick<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    let r = resolve(doc, s);
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(v) = r
            .get(key)
            .and_then(Value::as_array)
            .and_then(|vs| vs.iter().find(|v| !is_null(doc, v)))
        {
            return pick(doc, v);
        }
    }
    r
}

/// The JSON types a schema takes; `None` when it takes anything.
fn types(doc: &Value, s: &Value) -> Option<BTreeSet<String>> {
    let r = resolve(doc, s);
    let mut out = BTreeSet::new();
    for key in ["oneOf", "anyOf", "allOf"] {
        for v in r.get(key).and_then(Value::as_array).into_iter().flatten() {
            out.extend(types(doc, v)?);
        }
    }
    match r.get("type") {
        Some(Value::String(t)) => {
            out.insert(t.clone());
        }
        Some(Value::Array(ts)) => out.extend(ts.iter().filter_map(Value::as_str).map(String::from)),
        _ => {}
    }
    for e in r
        .get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.insert(
            match e {
                Value::String(_) => "string",
                Value::Number(_) => "number",
                Value::Bool(_) => "boolean",
                _ => "null",
            }
            .to_string(),
        );
    }
    if r.get("properties").is_some() {
        out.insert("object".into());
    }
    if out.is_empty() { None } else { Some(out) }
}

/// Whether a string schema holds a decimal number (see `DECIMALS`).
fn decimal(s: &Value, field: &str) -> bool {
    ref_name(s) == Some("Money")
        || s["oneOf"]
            .as_array()
            .is_some_and(|vs| vs.iter().any(|v| ref_name(v) == Some("Money")))
        || DECIMALS.contains(&field)
}

/// Real records of the store, so that a body or a path names things that exist.
struct Ids {
    f: u64,
    g: u64,
    card: String,
    svc: u64,
    staff: u64,
    open: u64,
    done: u64,
    prod: u64,
    plan: u64,
    def: u64,
    coupon: u64,
    package: u64,
    sale: u64,
    appointment: u64,
    kiosk_device: u64,
}

impl Ids {
    fn by_field(&self, name: &str) -> Option<u64> {
        Some(match name {
            "ticket_id" => self.done,
            "plan_id" => self.plan,
            "def_id" => self.def,
            "duplicate" | "referrer" => self.g,
            "customer_id" => self.f,
            "stylist" | "stylist_id" | "staff_id" | "preferred_stylist" => self.staff,
            "service_id" => self.svc,
            "product_id" => self.prod,
            "coupon" => self.coupon,
            "appointment_id" => self.appointment,
            _ => return None,
        })
    }

    fn by_schema(&self, name: &str) -> Option<u64> {
        Some(match name {
            "CustomerId" => self.f,
            "ServiceId" => self.svc,
            "StaffId" => self.staff,
            "ProductId" => self.prod,
            "CouponId" => self.coupon,
            "CouponDefId" => self.def,
            "PackageId" => self.package,
            "CheckoutId" => self.sale,
            "DeviceId" => self.kiosk_device,
            _ => return None,
        })
    }

    /// A real value for a path parameter, by the collection it names.
    fn in_path(&self, template: &str, param: &str) -> String {
        let segments: Vec<&str> = template.split('/').collect();
        let at = segments
            .iter()
            .position(|s| *s == format!("{{{param}}}"))
            .unwrap_or(0);
        let collection = segments[at.saturating_sub(1)];
        match (collection, param) {
            (_, "action") => "call".into(),
            ("photos", _) => "1".into(),
            ("cards", _) => self.card.clone(),
            ("appointments", _) => self.appointment.to_string(),
            ("checkouts", _) => self.sale.to_string(),
            ("customers", _) => self.f.to_string(),
            ("devices", _) => self.kiosk_device.to_string(),
            ("products", _) => self.prod.to_string(),
            ("queue", _) => self.open.to_string(),
            ("rotation" | "staff", _) => self.staff.to_string(),
            ("services", _) => self.svc.to_string(),
            ("visits", _) => self.done.to_string(),
            _ => "1".into(),
        }
    }
}

/// A minimal valid-looking value of schema `s` for a field named `field`: required
/// properties only, the first non-null variant, the first enum value, the example, real ids.
fn sample(doc: &Value, s: &Value, field: &str, ids: &Ids, depth: usize) -> Value {
    if depth > 12 {
        return Value::Null;
    }
    let tys = types(doc, s).unwrap_or_default();
    if tys.contains("integer")
        && let Some(id) = ids
            .by_field(field)
            .or_else(|| ref_name(s).and_then(|n| ids.by_schema(n)))
    {
        return json!(id);
    }
    let r = resolve(doc, s);
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(v) = r
            .get(key)
            .and_then(Value::as_array)
            .and_then(|vs| vs.iter().find(|v| !is_null(doc, v)))
        {
            return sample(doc, v, field, ids, depth + 1);
        }
    }
    if let Some(e) = r["enum"].get(0) {
        return e.clone();
    }
    if let Some(e) = r.get("example").or_else(|| r["examples"].get(0)) {
        return e.clone();
    }
    let ty = match &r["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if r.get("properties").is_some() => "object",
        _ => "null",
    };
    match ty {
        "object" => {
            let mut o = serde_json::Map::new();
            for name in r["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                let p = &r["properties"][name];
                o.insert(name.into(), sample(doc, p, name, ids, depth + 1));
            }
            Value::Object(o)
        }
        "array" => json!([sample(doc, &r["items"], field, ids, depth + 1)]),
        "integer" => json!(r["minimum"].as_u64().unwrap_or(1).max(1)),
        "number" => json!(1),
        "boolean" => json!(true),
        "string" => match (r["format"].as_str(), field) {
            (Some("date"), _) => json!(chrono::Utc::now().date_naive().to_string()),
            (Some("date-time"), _) => {
                json!((chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339())
            }
            _ if decimal(s, field) => json!("10"),
            (_, "phone") => json!(phone()),
            (_, "pin") => json!("2468"),
            (_, "code") => json!("000000"),
            (_, "card") => json!(ids.card),
            (_, "number") => json!("NEWCARD-0001"),
            (_, "email") => json!("fuzz@example.com"),
            (_, "url") => json!("http://127.0.0.1:9/hook"),
            _ => json!("测试"),
        },
        _ => Value::Null,
    }
}

/// `root` with the value at `pointer` replaced (or added to its object).
fn with(root: &Value, pointer: &str, v: Value) -> Value {
    let mut out = root.clone();
    if pointer.is_empty() {
        return v;
    }
    let (parent, last) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    match out.pointer_mut(parent) {
        Some(Value::Object(o)) => {
            o.insert(last.to_string(), v);
        }
        Some(Value::Array(a)) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                *slot = v;
            }
        }
        _ => {}
    }
    out
}

/// `root` without the property at `pointer`.
fn without(root: &Value, pointer: &str) -> Value {
    let mut out = root.clone();
    let (parent, last) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    if let Some(Value::Object(o)) = out.pointer_mut(parent) {
        o.remove(last);
    }
    out
}

/// The body text, with `RAW` numbers written out as they are.
fn text(v: &Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_default()
        .replace("\"\\u0001", "")
        .replace("\\u0001\"", "")
}

fn raw_number(n: &str) -> Value {
    Value::String(format!("{RAW}{n}{RAW}"))
}

/// Values that a field of schema `s` must refuse: other JSON types, unknown enum values,
/// malformed dates, out-of-range and huge numbers, huge strings.
fn bad_values(doc: &Value, s: &Value, field: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    // A field that takes any JSON value has no wrong type (none is listed today).
    let Some(tys) = types(doc, s) else {
        return out;
    };
    let has = |t: &str| tys.contains(t);
    let r = pick(doc, s);
    // A decimal string also reads a JSON number: not a wrong type there (see DECIMALS).
    let decimal_text = has("string") && decimal(s, field);
    let takes_integer = has("integer") || has("number") || decimal_text;
    let takes_fraction = has("number") || decimal_text;
    let others = [
        ("a string", !has("string"), json!("not-valid")),
        ("a number", !takes_integer, json!(12345)),
        ("a fraction", !takes_fraction, json!(1.5)),
        ("a boolean", !has("boolean"), json!(true)),
        ("an object", !has("object"), json!({"x": 1})),
        ("an array", !has("array"), json!([1])),
        ("null", !has("null"), Value::Null),
    ];
    for (what, wrong, v) in others {
        if wrong {
            out.push((what.to_string(), v));
        }
    }
    if r["enum"].is_array() && has("string") {
        out.push(("an unknown enum value".into(), json!("no_such_value")));
    }
    match r["format"].as_str() {
        Some("date") => out.push(("a date that is none".into(), json!("2020-13-45"))),
        Some("date-time") => out.push(("a time that is none".into(), json!("yesterday"))),
        _ => {}
    }
    if r["pattern"].is_string() {
        out.push(("a string off the pattern".into(), json!("!")));
    }
    if has("integer") || has("number") {
        for n in ["18446744073709551616", "1e308", "-1e308"] {
            out.push((format!("the number {n}"), raw_number(n)));
        }
        if r["minimum"].as_f64().is_some_and(|m| m >= 0.0) {
            out.push(("-1 (below the minimum)".into(), json!(-1)));
        }
    }
    if has("string") {
        if decimal(s, field) {
            for n in ["18446744073709551616", "1e308", "-1e308", "-1"] {
                out.push((format!("the decimal {n:?}"), json!(n)));
            }
        }
        // A tender's reference is read only for mobile payments (1–64 characters); the
        // base tender is cash, whose reference the server drops: any text there is valid.
        if field != "reference" {
            out.push((format!("a string of {HUGE} bytes"), json!("x".repeat(HUGE))));
        }
    }
    out
}

/// Every way to break a valid-looking `base` of schema `s` at `pointer`: bad values for the
/// node itself, and for objects each required property missing, an unknown property where
/// none is allowed, and the same for each property; arrays through their first element.
fn break_body(
    doc: &Value,
    s: &Value,
    root: &Value,
    pointer: &str,
    field: &str,
    depth: usize,
    out: &mut Vec<(String, Value)>,
) {
    let at = if pointer.is_empty() { "/" } else { pointer };
    for (what, v) in bad_values(doc, s, field) {
        out.push((format!("{at} = {what}"), with(root, pointer, v)));
    }
    let Some(node) = root.pointer(pointer) else {
        return;
    };
    if depth > 5 {
        return;
    }
    let r = pick(doc, s);
    if let Value::Object(present) = node {
        for name in r["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if present.contains_key(name) {
                out.push((
                    format!("{pointer}/{name} missing"),
                    without(root, &format!("{pointer}/{name}")),
                ));
            }
        }
        if r["additionalProperties"] == json!(false) {
            out.push((
                format!("{pointer}/unknown_field added"),
                with(root, &format!("{pointer}/unknown_field"), json!(1)),
            ));
        }
        for (name, p) in r["properties"].as_object().into_iter().flatten() {
            let child = format!("{pointer}/{name}");
            break_body(doc, p, root, &child, name, depth + 1, out);
        }
    }
    if let Value::Array(items) = node
        && !items.is_empty()
    {
        let child = format!("{pointer}/0");
        break_body(doc, &r["items"], root, &child, field, depth + 1, out);
    }
}

// ---- the cases ----

/// Values that are not ids, and an id that is not there, for a path parameter.
fn bad_path_values() -> Vec<(&'static str, String)> {
    vec![
        ("not a number", "abc".into()),
        ("negative", "-1".into()),
        ("beyond u64", "99999999999999999999".into()),
        ("a fraction", "1.5".into()),
        ("not there", "999999".into()),
        ("a NUL", "%00".into()),
        ("with a NUL inside", "1%001".into()),
        ("a space", "%20".into()),
        ("very long", "9".repeat(5000)),
        ("very long text", "长".repeat(3000)),
    ]
}

/// Query values a parameter of schema `s` must refuse; free text takes anything.
fn bad_query_values(doc: &Value, s: &Value) -> Vec<(String, String, Want)> {
    let r = pick(doc, s);
    let tys = types(doc, s).unwrap_or_default();
    let mut out: Vec<(String, String, Want)> = Vec::new();
    let mut refuse = |what: &str, v: &str| out.push((what.into(), v.into(), Want::Refused));
    if tys.contains("integer") || tys.contains("number") {
        refuse("not a number", "abc");
        refuse("beyond u64", "99999999999999999999");
        refuse("1e308", "1e308");
        refuse("a fraction", "1.5");
        refuse("empty", "");
        if r["minimum"].as_f64().is_some_and(|m| m >= 0.0) {
            refuse("negative", "-1");
        }
    } else if tys.contains("boolean") {
        refuse("not a boolean", "maybe");
        refuse("a number", "2");
        refuse("empty", "");
    } else if r["enum"].is_array() {
        refuse("an unknown enum value", "no_such_value");
        refuse("empty", "");
    } else if r["format"] == "date" {
        refuse("a date that is none", "2020-13-45");
        refuse("not a date", "tomorrow");
        refuse("beyond the calendar", "99999999-01-01");
    } else {
        // Any text is a string: a search that finds nothing, or a refusal, are both fine.
        out.push(("a huge string".into(), "q".repeat(HUGE), Want::Any));
        out.push(("a NUL".into(), "%00".into(), Want::Any));
    }
    out
}

/// Header values a parameter must refuse. `Idempotency-Key` is 1–128 visible ASCII
/// characters (the API's rule); a header the server only reads when it can (`Last-Event-ID`,
/// as browsers resend whatever id they last saw) may be ignored.
fn bad_header_values(name: &str) -> Vec<(String, Vec<u8>, Want)> {
    if name.eq_ignore_ascii_case(IDEMPOTENCY_KEY) {
        return vec![
            ("129 characters".into(), vec![b'k'; 129], Want::Status(400)),
            (
                "with a space".into(),
                b"has space".to_vec(),
                Want::Status(400),
            ),
            (
                "not ASCII".into(),
                "键".as_bytes().to_vec(),
                Want::Status(400),
            ),
        ];
    }
    [
        "abc",
        "-1",
        "18446744073709551616",
        "18446744073709551615",
        "1e308",
    ]
    .iter()
    .map(|v| (format!("{v:?}"), v.as_bytes().to_vec(), Want::Any))
    .collect()
}

fn cases(doc: &Value, routes: &[Route], ids: &Ids) -> Vec<Case> {
    let mut out = Vec::new();
    for (i, route) in routes.iter().enumerate() {
        let mut cs: Vec<Case> = Vec::new();
        let path_params: Vec<String> = route
            .params("path")
            .iter()
            .filter_map(|p| p["name"].as_str().map(String::from))
            .collect();
        let fill = |over: Option<(&str, &str)>| {
            let mut p = route.template.clone();
            for name in &path_params {
                let v = match over {
                    Some((n, v)) if n == name => v.to_string(),
                    _ => ids.in_path(&route.template, name),
                };
                p = p.replace(&format!("{{{name}}}"), &v);
            }
            p
        };
        // Required query parameters, with valid-looking values.
        let base_query: Vec<(String, String)> = route
            .params("query")
            .iter()
            .filter(|p| p["required"] == json!(true))
            .map(|p| {
                let name = p["name"].as_str().unwrap_or_default().to_string();
                let v = sample(doc, &p["schema"], &name, ids, 0);
                let v = v
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string());
                (name, v)
            })
            .collect();
        let query = |over: Option<(&str, &str)>| {
            let mut q: Vec<(String, String)> = base_query
                .iter()
                .filter(|(n, _)| over.is_none_or(|(o, _)| o != n))
                .cloned()
                .collect();
            if let Some((n, v)) = over {
                q.push((n.to_string(), v.to_string()));
            }
            if q.is_empty() {
                String::new()
            } else {
                let pairs: Vec<String> = q.iter().map(|(n, v)| format!("{n}={v}")).collect();
                format!("?{}", pairs.join("&"))
            }
        };
        // The body: JSON from the schema, or bytes of the content type the route takes.
        let content = route.op["requestBody"]["content"].as_object();
        let json_schema = content
            .and_then(|c| c.get("application/json"))
            .map(|c| &c["schema"]);
        let other_type =
            content.and_then(|c| c.keys().find(|k| k.as_str() != "application/json").cloned());
        let base_json = json_schema.map(|s| sample(doc, s, "", ids, 0));
        let base_body: Option<(String, Vec<u8>)> = match (&base_json, &other_type) {
            (Some(v), _) => Some(("application/json".into(), text(v).into_bytes())),
            // An upload that passes the server's own checks, so that the rest is reached:
            // a JPEG's magic number and some bytes.
            (None, Some(ct)) => {
                let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
                b.resize(256, 0);
                Some((ct.clone(), b))
            }
            (None, None) => None,
        };
        let base_path = format!("{}{}", fill(None), query(None));
        let case = |what: String, path: String, body: Option<(String, Vec<u8>)>, want: Want| Case {
            route: i,
            what,
            path,
            who: Who::Manager,
            headers: Vec::new(),
            body,
            want,
        };

        // Path parameters: values that are not ids, ids that are not there.
        for name in &path_params {
            for (what, v) in bad_path_values() {
                let path = format!("{}{}", fill(Some((name, &v))), query(None));
                cs.push(case(
                    format!("path {{{name}}} {what}"),
                    path,
                    base_body.clone(),
                    Want::Refused,
                ));
            }
        }
        // Query parameters of the wrong type, and huge.
        for p in route.params("query") {
            let name = p["name"].as_str().unwrap_or_default();
            for (what, v, want) in bad_query_values(doc, &p["schema"]) {
                let path = format!("{}{}", fill(None), query(Some((name, &v))));
                cs.push(case(
                    format!("query {name} {what}"),
                    path,
                    base_body.clone(),
                    want,
                ));
            }
        }
        // Header parameters.
        for p in route.params("header") {
            let name = p["name"].as_str().unwrap_or_default();
            let Some(name) = [IDEMPOTENCY_KEY, "Last-Event-ID"]
                .into_iter()
                .find(|n| n.eq_ignore_ascii_case(name))
            else {
                panic!(
                    "{}: header {name} is new: teach this test its rules",
                    route.label()
                );
            };
            for (what, v, want) in bad_header_values(name) {
                let mut c = case(
                    format!("header {name} {what}"),
                    base_path.clone(),
                    base_body.clone(),
                    want,
                );
                c.headers.push((name, v));
                cs.push(c);
            }
        }
        // JSON bodies: not JSON, not an object, not the schema.
        if let (Some(schema), Some(base)) = (json_schema, &base_json) {
            let j = |s: &str| Some(("application/json".to_string(), s.as_bytes().to_vec()));
            let base_text = text(base);
            // Not JSON at all: 400. Broken further in, a body may fail to fit the schema
            // before the parser reaches the break (422): either is a refusal.
            let syntax = [
                ("malformed JSON", "{".to_string(), Want::Status(400)),
                ("an unclosed key", r#"{""#.to_string(), Want::Status(400)),
                ("an empty body", String::new(), Want::Status(400)),
                (
                    "trailing garbage",
                    format!("{base_text} trailing"),
                    Want::Refused,
                ),
                (
                    "a deep nesting",
                    format!("{}{}", "[".repeat(300), "]".repeat(300)),
                    Want::Refused,
                ),
            ];
            for (what, b, want) in syntax {
                cs.push(case(format!("body {what}"), base_path.clone(), j(&b), want));
            }
            let mut utf8 = b"{\"".to_vec();
            utf8.extend([0xff, 0xfe]);
            utf8.extend(b"\":1}");
            cs.push(case(
                "body not UTF-8".into(),
                base_path.clone(),
                Some(("application/json".into(), utf8)),
                Want::Status(400),
            ));
            for (what, b) in [
                ("an array", "[]"),
                ("a number", "42"),
                ("null", "null"),
                ("a string", r#""text""#),
                ("true", "true"),
            ] {
                cs.push(case(
                    format!("body {what}"),
                    base_path.clone(),
                    j(b),
                    Want::Status(422),
                ));
            }
            for ct in ["text/plain", "application/x-www-form-urlencoded", ""] {
                cs.push(case(
                    format!("body as content type {ct:?}"),
                    base_path.clone(),
                    Some((ct.to_string(), base_text.clone().into_bytes())),
                    Want::Status(415),
                ));
            }
            let mut big = base.clone();
            if let Value::Object(o) = &mut big {
                o.insert("padding".into(), json!("x".repeat(OVER_API_LIMIT)));
            } else {
                big = json!(["x".repeat(OVER_API_LIMIT)]);
            }
            cs.push(case(
                "body over 64 KiB".into(),
                base_path.clone(),
                j(&text(&big)),
                Want::Status(413),
            ));
            let mut broken = Vec::new();
            break_body(doc, schema, base, "", "", 0, &mut broken);
            for (what, v) in broken {
                cs.push(case(
                    format!("body {what}"),
                    base_path.clone(),
                    j(&text(&v)),
                    Want::Refused,
                ));
            }
        }
        // Other bodies (photos): the wrong type, not the type, empty, too large.
        if let (None, Some(ct), Some((_, good))) = (json_schema, &other_type, &base_body) {
            let bytes = |ct: &str, b: Vec<u8>| Some((ct.to_string(), b));
            let bodies = [
                (
                    "as text/plain",
                    bytes("text/plain", good.clone()),
                    Want::Status(415),
                ),
                (
                    "with no content type",
                    bytes("", good.clone()),
                    Want::Status(415),
                ),
                (
                    "as JSON",
                    bytes("application/json", b"{}".to_vec()),
                    Want::Status(415),
                ),
                (
                    "not an image",
                    bytes(ct, b"GIF89a not what it says".repeat(4)),
                    Want::Status(422),
                ),
                ("empty", bytes(ct, Vec::new()), Want::Status(422)),
                (
                    "over 2 MiB",
                    bytes(ct, [good.clone(), vec![0; OVER_PHOTO_LIMIT]].concat()),
                    Want::Status(413),
                ),
            ];
            for (what, body, want) in bodies {
                cs.push(case(format!("body {what}"), base_path.clone(), body, want));
            }
        }
        // Callers: the valid-looking request without a token, with a token no device holds,
        // and with a staff session that does not exist; a kiosk sending the first bad
        // request (which must stay refused whoever sends it).
        let need = if route.public() {
            Want::Any
        } else {
            Want::Status(401)
        };
        for (who, what) in [
            (Who::Nobody, "no token"),
            (Who::Bogus, "a token no device holds"),
            (Who::BadSession, "a staff session that does not exist"),
        ] {
            let mut c = case(what.into(), base_path.clone(), base_body.clone(), need);
            c.who = who;
            cs.push(c);
        }
        if let Some(first) = cs
            .iter()
            .find(|c| c.want != Want::Any && c.who == Who::Manager)
        {
            let c = Case {
                route: i,
                what: format!("kiosk: {}", first.what),
                path: first.path.clone(),
                who: Who::Kiosk,
                headers: first.headers.clone(),
                body: first.body.clone(),
                want: Want::Refused,
            };
            cs.push(c);
        } else if route.method == "GET" {
            let mut c = case("kiosk".into(), base_path.clone(), None, Want::Any);
            c.who = Who::Kiosk;
            cs.push(c);
        }
        out.extend(cs);
    }
    out
}

// ---- sending and watching ----

struct Tokens {
    manager: String,
    kiosk: String,
}

async fn send(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    c: &Case,
    tokens: &Tokens,
) -> Result<(u16, Value), String> {
    let method: reqwest::Method = method.parse().map_err(|e| format!("method: {e}"))?;
    let mut b = http.request(method, format!("{base}{}", c.path));
    b = match c.who {
        Who::Manager => b.bearer_auth(&tokens.manager),
        Who::Kiosk => b.bearer_auth(&tokens.kiosk),
        Who::Nobody => b,
        Who::Bogus => b.bearer_auth("0123456789abcdef-no-such-device"),
        Who::BadSession => b
            .bearer_auth(&tokens.manager)
            .header(STAFF_SESSION, "no-such-session"),
    };
    for (k, v) in &c.headers {
        let v = reqwest::header::HeaderValue::from_bytes(v).map_err(|e| format!("header: {e}"))?;
        b = b.header(*k, v);
    }
    if let Some((ct, bytes)) = &c.body {
        if !ct.is_empty() {
            b = b.header(reqwest::header::CONTENT_TYPE, ct);
        }
        b = b.body(bytes.clone());
    }
    let resp = b.send().await.map_err(|e| format!("no answer: {e:?}"))?;
    let status = resp.status().as_u16();
    let stream = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if stream {
        // An event stream that opened: never ends, and is closed by dropping it.
        return Ok((status, Value::Null));
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| format!("body lost: {e:?}"))?;
    Ok((
        status,
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
    ))
}

/// The API's error shape, as `common::error_code` asserts it.
fn error_shape(v: &Value) -> bool {
    v["error"]["code"].as_str().is_some_and(|c| !c.is_empty())
        && v["error"]["message"].is_string()
        && v.as_object().map(|o| o.len()) == Some(1)
}

/// The store at a glance, read after every request: every counter (each write takes an
/// audit and an event sequence number in the same transaction), the settings and the
/// number of rows of every table.
fn glance(srv: &TestServer) -> BTreeMap<String, String> {
    let r = srv.state.db.begin_read().expect("read");
    let mut out = BTreeMap::new();
    let counters = r
        .open_table(store_server::store::tables::COUNTERS)
        .expect("counters");
    for item in counters.iter().expect("counters") {
        let (k, v) = item.expect("counter");
        out.insert(format!("counter {}", k.value()), v.value().to_string());
    }
    let meta = r
        .open_table(store_server::store::tables::META)
        .expect("meta");
    for item in meta.iter().expect("meta") {
        let (k, v) = item.expect("meta");
        out.insert(format!("meta {}", k.value()), v.value().to_string());
    }
    for table in r.list_tables().expect("tables") {
        let name = table.name().to_string();
        let t = r.open_untyped_table(table).expect("table");
        out.insert(format!("rows {name}"), t.len().expect("rows").to_string());
    }
    out
}

fn changes(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> String {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let short = |v: Option<&String>| {
                v.map(|v| v.chars().take(60).collect::<String>())
                    .unwrap_or_else(|| "-".into())
            };
            format!("{k}: {} → {}", short(a.get(k)), short(b.get(k)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Everything observable about the store through the API (a trimmed `bad_input` snapshot).
async fn snapshot(srv: &TestServer, ids: &Ids) -> Value {
    let m = &srv.manager;
    let all = CustomerQuery {
        limit: Some(200),
        ..Default::default()
    };
    let customers = m.search_customers(&all).await.expect("search");
    let details =
        futures_util::future::join_all(customers.items.iter().map(|c| m.customer(c.id))).await;
    let audit = m
        .audit(&AuditQuery {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .expect("audit");
    let devices: Vec<_> = m
        .devices()
        .await
        .expect("devices")
        .into_iter()
        .map(|d| (d.id, d.name, d.role, d.revoked_at))
        .collect();
    let f = salon_shared::CustomerId(ids.f);
    let day = chrono::Utc::now().date_naive();
    let appointments = AppointmentQuery::default();
    json!({
        "total": customers.total,
        "details": details.into_iter().map(|d| d.expect("detail")).collect::<Vec<_>>(),
        "card": m.card(&ids.card).await.expect("card"),
        "services": m.services(true).await.expect("services"),
        "staff": m.staff().await.expect("staff"),
        "roster": m.roster(salon_shared::StaffId(ids.staff)).await.expect("roster"),
        "newest_audit": audit.iter().map(|a| a.seq).max(),
        "audit": audit,
        "devices": devices,
        "feedback": m.feedback_list(&PeriodQuery::default()).await.expect("feedback"),
        "queue": m.queue(&QueueQuery { include_closed: true, ..Default::default() }).await.expect("queue").entries,
        "visit": m.visit(ids.done).await.expect("visit"),
        "checkouts": m.checkouts(None).await.expect("checkouts"),
        "products": m.products().await.expect("products"),
        "plans": m.package_plans().await.expect("plans"),
        "coupon_defs": m.coupon_defs().await.expect("coupon defs"),
        "member_settings": m.member_settings().await.expect("settings"),
        "appointment_settings": m.appointment_settings().await.expect("settings"),
        "notification_settings": m.notification_settings().await.expect("settings"),
        "appointments": m.appointments(&appointments).await.expect("appointments"),
        "tomorrow": m.appointments(&AppointmentQuery { day: Some(day + chrono::Duration::days(1)), ..Default::default() }).await.expect("appointments"),
        "overview": m.overview(f).await.expect("overview"),
        "ledgers": m.ledgers(f).await.expect("ledgers"),
    })
}

/// A store with a little of everything, so that ids in paths and bodies name real records.
async fn setup(srv: &TestServer) -> (Ids, Tokens) {
    let m = &srv.manager;
    let (_, manager, _) = paired(srv, Role::Manager, "office pc").await;
    let (_, kiosk, kiosk_device) = paired(srv, Role::Kiosk, "door kiosk").await;
    let f = add(m, &customer("王芳", &phone())).await;
    let g = add(m, &customer("李娜", &phone())).await;
    let card = card_for(m, f.id).await;
    let svc = m
        .create_service(&service("洗剪吹", "68"), None)
        .await
        .expect("service");
    let st = m
        .create_staff(&staff("Tony 老师", Some("2468")), None)
        .await
        .expect("staff");
    m.set_roster(st.id, &all_day()).await.expect("roster");
    let prod = m
        .create_product(&ProductInput {
            name: "洗发水".into(),
            brand: String::new(),
            barcode: None,
            price: money("60"),
        })
        .await
        .expect("product");
    m.move_stock(
        prod.id,
        &StockInput {
            reason: StockReason::Receive,
            qty: 10,
        },
        None,
    )
    .await
    .expect("stock");
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
    // F's visit: recorded with a photo, finished and paid. G waits.
    let done = visit(f.id).await;
    for a in [QueueAction::Call, QueueAction::Start] {
        m.queue_move(done, a).await.expect("moved");
    }
    let record = VisitInput {
        services: vec![svc.id],
        photo_consent: true,
        ..Default::default()
    };
    m.record_visit(done, &record, None).await.expect("recorded");
    m.add_photo(
        done,
        PhotoKind::Before,
        "image/png",
        salon_tests::png_photo(4),
        None,
    )
    .await
    .expect("photo");
    m.queue_move(done, QueueAction::Finish)
        .await
        .expect("finished");
    let mut sale = CheckoutInput {
        ticket_id: Some(done),
        customer_id: None,
        stylist: None,
        items: vec![SaleItem::Service { id: svc.id, qty: 1 }],
        use_packages: true,
        coupon: None,
        points: 0,
        tenders: vec![],
    };
    let due = m.checkout_preview(&sale).await.expect("preview").due;
    sale.tenders = vec![Tender {
        method: PayMethod::Cash,
        amount: due,
        reference: None,
    }];
    let sale = m.checkout(&sale, None).await.expect("paid");
    let open = visit(g.id).await;
    // Money: a package plan sold to F, a coupon issued to F, a top-up.
    let plan = ten_use_plan(m, svc.id).await;
    let def = coupon_100_off_20(m).await;
    let coupon = m
        .issue_coupon(f.id, def.id, None)
        .await
        .expect("coupon")
        .coupon;
    let cash = |amount: &str| Tender {
        method: PayMethod::Cash,
        amount: money(amount),
        reference: None,
    };
    m.top_up(
        f.id,
        &TopUpInput {
            amount: money("100"),
            tenders: vec![cash("100")],
        },
        None,
    )
    .await
    .expect("top-up");
    m.sell_package(
        f.id,
        &PackageSaleInput {
            plan_id: plan.id,
            tenders: vec![cash("320")],
        },
        None,
    )
    .await
    .expect("package");
    let package = m.overview(f.id).await.expect("overview").packages[0].id;
    let tomorrow = today(srv) + chrono::Duration::days(1);
    let appointment = salon_tests::book_latest_slot(m, g.id, tomorrow).await;
    let ids = Ids {
        f: f.id.0,
        g: g.id.0,
        card,
        svc: svc.id.0,
        staff: st.id.0,
        open,
        done,
        prod: prod.id.0,
        plan: plan.id,
        def: def.id.0,
        coupon: coupon.id.0,
        package: package.0,
        sale: sale.id.0,
        appointment: appointment.id,
        kiosk_device: kiosk_device.0,
    };
    (ids, Tokens { manager, kiosk })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_from_the_openapi_document_is_refused_and_changes_nothing() {
    let srv = TestServer::start().await;
    let doc = srv
        .anonymous()
        .openapi()
        .await
        .expect("the OpenAPI document");
    let routes = routes(&doc);
    assert!(
        routes.len() > 20,
        "the document lists only {} routes",
        routes.len()
    );
    let (ids, tokens) = setup(&srv).await;
    let cases = cases(&doc, &routes, &ids);
    let before = snapshot(&srv, &ids).await;

    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("http client");
    let mut last = glance(&srv);
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut per_route = vec![0usize; routes.len()];
    let mut wrong = Vec::new();
    for c in &cases {
        let route = &routes[c.route];
        per_route[c.route] += 1;
        let who = match c.who {
            Who::Manager => String::new(),
            w => format!(" [{w:?}]"),
        };
        let label = format!("{} {}{who}: {}", route.method, c.path, c.what);
        let label: String = label.chars().take(240).collect();
        let (status, v) = match send(&http, &srv.base, &route.method, c, &tokens).await {
            Ok(answer) => answer,
            Err(e) => {
                wrong.push((c.route, format!("{label}: {e}")));
                continue;
            }
        };
        *statuses.entry(status).or_default() += 1;
        let got: String = v.to_string().chars().take(200).collect();
        let ok = match c.want {
            Want::Status(s) => status == s,
            Want::Refused => (400..500).contains(&status),
            Want::Any => status < 500,
        };
        if !ok {
            let line = format!("{label}: want {:?}, got {status} {got}", c.want);
            wrong.push((c.route, line));
        } else if (400..600).contains(&status) && !error_shape(&v) {
            let line = format!("{label}: {status} without the error shape: {got}");
            wrong.push((c.route, line));
        }
        let now = glance(&srv);
        if now != last {
            let line = format!(
                "{label}: answered {status}, changed the store: {}",
                changes(&last, &now)
            );
            wrong.push((c.route, line));
            last = now;
        }
    }
    let after = snapshot(&srv, &ids).await;

    let uncovered: Vec<String> = routes
        .iter()
        .zip(&per_route)
        .filter(|(_, n)| **n == 0)
        .map(|(r, _)| r.label())
        .collect();
    println!(
        "fuzz_openapi: {} routes covered, {} requests sent, statuses seen {statuses:?}",
        routes.len() - uncovered.len(),
        cases.len(),
    );
    assert!(uncovered.is_empty(), "routes without a case: {uncovered:?}");
    // Findings by route, then the first of them in full.
    let mut by_route: BTreeMap<String, usize> = BTreeMap::new();
    for (r, _) in &wrong {
        *by_route.entry(routes[*r].label()).or_default() += 1;
    }
    let shown: Vec<&str> = wrong.iter().take(60).map(|(_, l)| l.as_str()).collect();
    assert!(
        wrong.is_empty(),
        "{} findings in {} requests, by route {by_route:#?}\n{}{}",
        wrong.len(),
        cases.len(),
        shown.join("\n"),
        if wrong.len() > shown.len() {
            "\n…"
        } else {
            ""
        },
    );
    assert_eq!(after, before, "a refused request changed the store");
    srv.stop().await;
}
