//! The HTTP client of the store server's API, its live event stream, and the mDNS browser
//! that finds the server on the LAN. Used by the apps and by the end-to-end tests.

use crate::api::*;
use crate::bill::Bill;
use crate::coupon::{CouponDef, CouponDefInput};
use crate::customer::NewCustomer;
use crate::ledger::{PackagePlan, PackagePlanInput};
use crate::service::Service;
use crate::staff::StaffView;
use crate::{CheckoutId, CouponDefId, ProductId};
use crate::{Customer, CustomerId, DeviceId, MemberCard, Role, ServiceId, StaffId};
use chrono::NaiveDate;
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::IpAddr;
use std::time::Duration;

/// Why a call failed: the server said no (with its error code), or it could not be reached.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("{status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("store server unreachable: {0}")]
    Network(String),
    #[error("unexpected answer from the store server: {0}")]
    Decode(String),
}

impl ClientError {
    /// The server's error code, or "network"/"decode".
    pub fn code(&self) -> &str {
        match self {
            ClientError::Api { code, .. } => code,
            ClientError::Network(_) => "network",
            ClientError::Decode(_) => "decode",
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether retrying the same request (with the same idempotency key) may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ClientError::Network(_)) || self.status().is_some_and(|s| s >= 500)
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;

/// A connection to one store server, with this device's token and, on a shared device,
/// the signed-in staff member's session.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    staff_session: Option<String>,
}

impl Client {
    /// `base` is like `http://127.0.0.1:8080`.
    pub fn new(base: impl Into<String>) -> Client {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        Client {
            http,
            base: base.into().trim_end_matches('/').to_string(),
            token: None,
            staff_session: None,
        }
    }

    pub fn with_token(mut self, token: impl Into<String>) -> Client {
        self.token = Some(token.into());
        self
    }

    pub fn with_staff_session(mut self, session: Option<String>) -> Client {
        self.staff_session = session;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    fn builder(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut b = self.http.request(method, self.url(path));
        if let Some(t) = &self.token {
            b = b.bearer_auth(t);
        }
        if let Some(s) = &self.staff_session {
            b = b.header(STAFF_SESSION, s);
        }
        b
    }

    /// Sends a request and returns the body of a successful answer; an error answer becomes
    /// `ClientError::Api` with its code.
    async fn send_raw(&self, b: reqwest::RequestBuilder) -> Result<(StatusCode, Vec<u8>)> {
        let resp = b
            .send()
            .await
            .map_err(|e| ClientError::Network(e.to_string()))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Network(e.to_string()))?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(e) => ClientError::Api {
                    status: status.as_u16(),
                    code: e.error.code,
                    message: e.error.message,
                },
                Err(_) => ClientError::Api {
                    status: status.as_u16(),
                    code: "http_error".into(),
                    message: String::from_utf8_lossy(&bytes).into_owned(),
                },
            });
        }
        Ok((status, bytes.to_vec()))
    }

    async fn send<T: DeserializeOwned>(&self, b: reqwest::RequestBuilder) -> Result<T> {
        let (status, bytes) = self.send_raw(b).await?;
        let bytes = if status == StatusCode::NO_CONTENT || bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes).map_err(|e| ClientError::Decode(e.to_string()))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(self.builder(Method::GET, path)).await
    }

    async fn write<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
        key: Option<&str>,
    ) -> Result<T> {
        let mut b = self.builder(method, path).json(body);
        if let Some(k) = key {
            b = b.header(IDEMPOTENCY_KEY, k);
        }
        self.send(b).await
    }

    // ---- public ----

    pub async fn health(&self) -> Result<Health> {
        self.get("/health").await
    }

    pub async fn openapi(&self) -> Result<serde_json::Value> {
        self.get("/openapi.json").await
    }

    /// Exchanges a pairing code for a token; returns the response and a client using it.
    pub async fn pair(&self, code: &str, device_name: &str) -> Result<(PairResponse, Client)> {
        let r: PairResponse = self
            .write(
                Method::POST,
                "/pair",
                &PairRequest {
                    code: code.into(),
                    device_name: device_name.into(),
                },
                None,
            )
            .await?;
        let c = self.clone().with_token(r.token.clone());
        Ok((r, c))
    }

    // ---- devices and staff sessions ----

    pub async fn create_pairing_code(&self, role: Role) -> Result<PairingCode> {
        self.write(
            Method::POST,
            "/pairing-codes",
            &PairingCodeRequest { role },
            None,
        )
        .await
    }

    pub async fn devices(&self) -> Result<Vec<DeviceView>> {
        self.get("/devices").await
    }

    pub async fn revoke_device(&self, id: DeviceId) -> Result<DeviceView> {
        self.write(Method::POST, &format!("/devices/{id}/revoke"), &(), None)
            .await
    }

    pub async fn me(&self) -> Result<Me> {
        self.get("/me").await
    }

    /// Signs a staff member in; returns a client that carries their session.
    pub async fn sign_in(&self, staff_id: StaffId, pin: &str) -> Result<(SignInResponse, Client)> {
        let r: SignInResponse = self
            .write(
                Method::POST,
                "/sessions",
                &SignInRequest {
                    staff_id,
                    pin: pin.into(),
                },
                None,
            )
            .await?;
        let c = self.clone().with_staff_session(Some(r.session.clone()));
        Ok((r, c))
    }

    pub async fn sign_out(&self) -> Result<()> {
        self.send(self.builder(Method::DELETE, "/sessions/current"))
            .await
    }

    pub async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.send(self.builder(Method::GET, "/audit").query(q))
            .await
    }

    // ---- customers ----

    pub async fn create_customer(&self, c: &NewCustomer, key: Option<&str>) -> Result<Customer> {
        self.write(Method::POST, "/customers", c, key).await
    }

    pub async fn customer(&self, id: CustomerId) -> Result<CustomerDetail> {
        self.get(&format!("/customers/{id}")).await
    }

    pub async fn update_customer(
        &self,
        id: CustomerId,
        p: &CustomerPatch,
        key: Option<&str>,
    ) -> Result<Customer> {
        self.write(Method::PATCH, &format!("/customers/{id}"), p, key)
            .await
    }

    pub async fn search_customers(&self, q: &CustomerQuery) -> Result<CustomerPage> {
        self.send(self.builder(Method::GET, "/customers").query(q))
            .await
    }

    pub async fn customer_history(&self, id: CustomerId) -> Result<Vec<AuditEntry>> {
        self.get(&format!("/customers/{id}/history")).await
    }

    pub async fn merge_customers(
        &self,
        keep: CustomerId,
        duplicate: CustomerId,
        key: Option<&str>,
    ) -> Result<Customer> {
        self.write(
            Method::POST,
            &format!("/customers/{keep}/merge"),
            &MergeRequest { duplicate },
            key,
        )
        .await
    }

    pub async fn export_customer(&self, id: CustomerId) -> Result<CustomerExport> {
        self.get(&format!("/customers/{id}/export")).await
    }

    pub async fn erase_customer(&self, id: CustomerId, key: Option<&str>) -> Result<Customer> {
        self.write(Method::POST, &format!("/customers/{id}/erase"), &(), key)
            .await
    }

    // ---- kiosk ----

    pub async fn kiosk_identify(&self, q: &KioskIdentify) -> Result<KioskCustomer> {
        self.write(Method::POST, "/kiosk/identify", q, None).await
    }

    pub async fn kiosk_register(
        &self,
        r: &KioskRegister,
        key: Option<&str>,
    ) -> Result<KioskCustomer> {
        self.write(Method::POST, "/kiosk/register", r, key).await
    }

    // ---- catalog and staff ----

    pub async fn services(&self, include_retired: bool) -> Result<Vec<Service>> {
        self.send(
            self.builder(Method::GET, "/services")
                .query(&ServiceQuery { include_retired }),
        )
        .await
    }

    pub async fn service(&self, id: ServiceId) -> Result<Service> {
        self.get(&format!("/services/{id}")).await
    }

    pub async fn create_service(&self, s: &ServiceInput, key: Option<&str>) -> Result<Service> {
        self.write(Method::POST, "/services", s, key).await
    }

    pub async fn update_service(
        &self,
        id: ServiceId,
        s: &ServiceInput,
        key: Option<&str>,
    ) -> Result<Service> {
        self.write(Method::PUT, &format!("/services/{id}"), s, key)
            .await
    }

    pub async fn retire_service(&self, id: ServiceId) -> Result<Service> {
        self.write(Method::POST, &format!("/services/{id}/retire"), &(), None)
            .await
    }

    pub async fn staff(&self) -> Result<Vec<StaffView>> {
        self.get("/staff").await
    }

    pub async fn create_staff(&self, s: &StaffInput, key: Option<&str>) -> Result<StaffView> {
        self.write(Method::POST, "/staff", s, key).await
    }

    pub async fn update_staff(
        &self,
        id: StaffId,
        s: &StaffInput,
        key: Option<&str>,
    ) -> Result<StaffView> {
        self.write(Method::PUT, &format!("/staff/{id}"), s, key)
            .await
    }

    // ---- member cards ----

    pub async fn issue_card(&self, r: &IssueCard, key: Option<&str>) -> Result<MemberCard> {
        self.write(Method::POST, "/cards", r, key).await
    }

    pub async fn card(&self, number: &str) -> Result<CardLookup> {
        self.get(&format!("/cards/{}", urlencode(number))).await
    }

    pub async fn replace_card(
        &self,
        number: &str,
        r: &ReplaceCard,
        key: Option<&str>,
    ) -> Result<MemberCard> {
        self.write(
            Method::POST,
            &format!("/cards/{}/replace", urlencode(number)),
            r,
            key,
        )
        .await
    }

    // ---- check-in and queue ----

    /// The waits for `services`: next available and each eligible stylist.
    pub async fn quote(&self, services: &[ServiceId]) -> Result<QuoteResponse> {
        self.send(
            self.builder(Method::GET, "/check-ins/quote")
                .query(&ServicesParam {
                    services: Some(ids(services)),
                }),
        )
        .await
    }

    pub async fn check_in(&self, r: &CheckInRequest, key: Option<&str>) -> Result<CheckInResponse> {
        self.write(Method::POST, "/check-ins", r, key).await
    }

    pub async fn queue(&self, q: &QueueQuery) -> Result<QueueView> {
        self.send(self.builder(Method::GET, "/queue").query(q))
            .await
    }

    /// Call, start, finish, no-show or left.
    pub async fn queue_move(&self, ticket: u64, action: QueueAction) -> Result<Ticket> {
        self.write(
            Method::POST,
            &format!("/queue/{ticket}/{}", action.as_str()),
            &(),
            None,
        )
        .await
    }

    pub async fn reassign(&self, ticket: u64, stylist: StaffId) -> Result<Ticket> {
        self.write(
            Method::POST,
            &format!("/queue/{ticket}/reassign"),
            &Reassign { stylist },
            None,
        )
        .await
    }

    pub async fn reorder(&self, ticket: u64, position: u32) -> Result<Ticket> {
        self.write(
            Method::POST,
            &format!("/queue/{ticket}/reorder"),
            &Reorder { position },
            None,
        )
        .await
    }

    pub async fn rotation(&self, services: &[ServiceId]) -> Result<RotationView> {
        self.send(
            self.builder(Method::GET, "/rotation")
                .query(&ServicesParam {
                    services: Some(ids(services)),
                }),
        )
        .await
    }

    pub async fn adjust_rotation(&self, stylist: StaffId, a: &Adjustment) -> Result<Adjustment> {
        self.write(Method::PUT, &format!("/rotation/{stylist}"), a, None)
            .await
    }

    pub async fn balk(&self, b: &BalkRequest, key: Option<&str>) -> Result<Balk> {
        self.write(Method::POST, "/balks", b, key).await
    }

    pub async fn wait_report(&self, q: &PeriodQuery) -> Result<WaitReport> {
        self.send(self.builder(Method::GET, "/reports/waits").query(q))
            .await
    }

    pub async fn no_show_report(&self, q: &PeriodQuery) -> Result<NoShowReport> {
        self.send(self.builder(Method::GET, "/reports/no-shows").query(q))
            .await
    }

    // ---- feedback ----

    /// Rates a finished visit (CHK-6). Retry with the same `key` after a network failure:
    /// the rating is stored once and the first answer returned.
    pub async fn feedback(&self, f: &FeedbackInput, key: Option<&str>) -> Result<Feedback> {
        self.write(Method::POST, "/feedback", f, key).await
    }

    /// The ratings of the visits in a period of store-local days (manager).
    pub async fn ratings_report(&self, q: &PeriodQuery) -> Result<RatingsReport> {
        self.send(self.builder(Method::GET, "/reports/ratings").query(q))
            .await
    }

    pub async fn feedback_list(&self, q: &PeriodQuery) -> Result<Vec<Feedback>> {
        self.send(self.builder(Method::GET, "/feedback").query(q))
            .await
    }

    /// The reminder channels' settings (secrets omitted), as JSON.
    pub async fn notification_settings(&self) -> Result<serde_json::Value> {
        self.get("/settings/notifications").await
    }

    // ---- rosters and appointments ----

    pub async fn roster(&self, staff: StaffId) -> Result<Roster> {
        self.get(&format!("/staff/{staff}/roster")).await
    }

    pub async fn set_roster(&self, staff: StaffId, r: &Roster) -> Result<Roster> {
        self.write(Method::PUT, &format!("/staff/{staff}/roster"), r, None)
            .await
    }

    pub async fn book(&self, a: &NewAppointment, key: Option<&str>) -> Result<Appointment> {
        self.write(Method::POST, "/appointments", a, key).await
    }

    pub async fn appointments(&self, q: &AppointmentQuery) -> Result<Vec<Appointment>> {
        self.send(self.builder(Method::GET, "/appointments").query(q))
            .await
    }

    pub async fn move_appointment(
        &self,
        id: u64,
        p: &AppointmentPatch,
        key: Option<&str>,
    ) -> Result<Appointment> {
        self.write(Method::PATCH, &format!("/appointments/{id}"), p, key)
            .await
    }

    pub async fn cancel_appointment(&self, id: u64, key: Option<&str>) -> Result<Appointment> {
        self.write(
            Method::POST,
            &format!("/appointments/{id}/cancel"),
            &(),
            key,
        )
        .await
    }

    pub async fn availability(
        &self,
        day: chrono::NaiveDate,
        services: &[ServiceId],
        stylist: Option<StaffId>,
    ) -> Result<Availability> {
        let q = AvailabilityQuery {
            day,
            services: ids(services),
            stylist: stylist.map(|s| s.0),
        };
        self.send(self.builder(Method::GET, "/availability").query(&q))
            .await
    }

    pub async fn appointment_settings(&self) -> Result<AppointmentSettings> {
        self.get("/settings/appointments").await
    }

    pub async fn set_appointment_settings(
        &self,
        s: &AppointmentSettings,
    ) -> Result<AppointmentSettings> {
        self.write(Method::PUT, "/settings/appointments", s, None)
            .await
    }

    // ---- products, service records ----

    pub async fn create_product(&self, p: &ProductInput) -> Result<Product> {
        self.write(Method::POST, "/products", p, None).await
    }

    pub async fn products(&self) -> Result<Vec<Product>> {
        self.get("/products").await
    }

    pub async fn move_stock(
        &self,
        id: ProductId,
        m: &StockInput,
        key: Option<&str>,
    ) -> Result<Product> {
        self.write(Method::POST, &format!("/products/{id}/stock"), m, key)
            .await
    }

    pub async fn stock_moves(&self, id: ProductId) -> Result<Vec<StockMove>> {
        self.get(&format!("/products/{id}/stock")).await
    }

    pub async fn record_visit(
        &self,
        ticket: u64,
        v: &VisitInput,
        key: Option<&str>,
    ) -> Result<Visit> {
        self.write(Method::PUT, &format!("/visits/{ticket}"), v, key)
            .await
    }

    pub async fn visit(&self, ticket: u64) -> Result<Visit> {
        self.get(&format!("/visits/{ticket}")).await
    }

    /// Adds a JPEG or PNG photo to a recorded visit whose customer agreed to photos.
    pub async fn add_photo(
        &self,
        ticket: u64,
        kind: PhotoKind,
        content_type: &str,
        bytes: Vec<u8>,
        key: Option<&str>,
    ) -> Result<Visit> {
        let mut b = self
            .builder(Method::POST, &format!("/visits/{ticket}/photos"))
            .query(&PhotoQuery { kind })
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes);
        if let Some(k) = key {
            b = b.header(IDEMPOTENCY_KEY, k);
        }
        self.send(b).await
    }

    /// A photo's image bytes.
    pub async fn photo(&self, ticket: u64, n: u32) -> Result<Vec<u8>> {
        let (_, bytes) = self
            .send_raw(self.builder(Method::GET, &format!("/visits/{ticket}/photos/{n}")))
            .await?;
        Ok(bytes)
    }

    // ---- checkout ----

    pub async fn checkout_preview(&self, c: &CheckoutInput) -> Result<Bill> {
        self.write(Method::POST, "/checkouts/preview", c, None)
            .await
    }

    pub async fn checkout(&self, c: &CheckoutInput, key: Option<&str>) -> Result<Checkout> {
        self.write(Method::POST, "/checkouts", c, key).await
    }

    pub async fn checkout_get(&self, id: CheckoutId) -> Result<CheckoutView> {
        self.get(&format!("/checkouts/{id}")).await
    }

    pub async fn checkouts(&self, day: Option<NaiveDate>) -> Result<Vec<CheckoutView>> {
        self.send(
            self.builder(Method::GET, "/checkouts")
                .query(&DayQuery { day }),
        )
        .await
    }

    pub async fn refund(&self, id: CheckoutId, reason: &str, key: Option<&str>) -> Result<Refund> {
        let body = RefundInput {
            reason: reason.into(),
        };
        self.write(Method::POST, &format!("/checkouts/{id}/refund"), &body, key)
            .await
    }

    /// The printable receipt text.
    pub async fn receipt(&self, id: CheckoutId) -> Result<String> {
        let (_, bytes) = self
            .send_raw(self.builder(Method::GET, &format!("/checkouts/{id}/receipt")))
            .await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    pub async fn cash_up(&self, day: Option<NaiveDate>) -> Result<CashUp> {
        self.send(
            self.builder(Method::GET, "/reports/cash-up")
                .query(&DayQuery { day }),
        )
        .await
    }

    // ---- members ----

    pub async fn member_settings(&self) -> Result<MemberSettings> {
        self.get("/settings/members").await
    }

    pub async fn put_member_settings(&self, m: &MemberSettings) -> Result<MemberSettings> {
        self.write(Method::PUT, "/settings/members", m, None).await
    }

    pub async fn top_up(
        &self,
        customer: CustomerId,
        t: &TopUpInput,
        key: Option<&str>,
    ) -> Result<Checkout> {
        self.write(
            Method::POST,
            &format!("/customers/{customer}/top-ups"),
            t,
            key,
        )
        .await
    }

    pub async fn create_package_plan(&self, p: &PackagePlanInput) -> Result<PackagePlan> {
        self.write(Method::POST, "/package-plans", p, None).await
    }

    pub async fn package_plans(&self) -> Result<Vec<PackagePlan>> {
        self.get("/package-plans").await
    }

    pub async fn sell_package(
        &self,
        customer: CustomerId,
        p: &PackageSaleInput,
        key: Option<&str>,
    ) -> Result<Checkout> {
        self.write(
            Method::POST,
            &format!("/customers/{customer}/packages"),
            p,
            key,
        )
        .await
    }

    pub async fn create_coupon_def(&self, d: &CouponDefInput) -> Result<CouponDef> {
        self.write(Method::POST, "/coupon-defs", d, None).await
    }

    pub async fn coupon_defs(&self) -> Result<Vec<CouponDef>> {
        self.get("/coupon-defs").await
    }

    pub async fn issue_coupon(
        &self,
        customer: CustomerId,
        def_id: CouponDefId,
        key: Option<&str>,
    ) -> Result<CouponView> {
        let body = IssueCoupon { def_id };
        self.write(
            Method::POST,
            &format!("/customers/{customer}/coupons"),
            &body,
            key,
        )
        .await
    }

    pub async fn overview(&self, customer: CustomerId) -> Result<CustomerOverview> {
        self.get(&format!("/customers/{customer}/overview")).await
    }

    pub async fn ledgers(&self, customer: CustomerId) -> Result<Ledgers> {
        self.get(&format!("/customers/{customer}/ledgers")).await
    }

    // ---- live events ----

    /// Opens the event stream once, resuming after `last_seq` if given.
    pub async fn events_once(
        &self,
        last_seq: Option<u64>,
    ) -> Result<impl futures_util::Stream<Item = Live> + use<>> {
        let mut b = self
            .builder(Method::GET, "/events")
            .header("Accept", "text/event-stream")
            .timeout(Duration::from_secs(86_400 * 365));
        if let Some(s) = last_seq {
            b = b.header("Last-Event-ID", s.to_string());
        }
        let resp = b
            .send()
            .await
            .map_err(|e| ClientError::Network(e.to_string()))?;
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            return Err(ClientError::Api {
                status,
                code: "events_refused".into(),
                message: format!("event stream refused: {status}"),
            });
        }
        use eventsource_stream::Eventsource;
        Ok(resp
            .bytes_stream()
            .eventsource()
            .filter_map(|m| async move {
                match m {
                    Ok(ev) if ev.event == RESYNC => Some(Live::Resync),
                    Ok(ev) if ev.event == "message" || ev.event == "change" => {
                        serde_json::from_str(&ev.data).ok().map(Live::Event)
                    }
                    Ok(_) => None,
                    Err(e) => Some(Live::Disconnected(e.to_string())),
                }
            }))
    }

    /// Subscribes to live events for as long as the receiver is kept, reconnecting with
    /// backoff after a drop and resuming from the last event seen (the server answers
    /// `Resync` when it cannot fill the gap).
    pub fn subscribe(&self) -> tokio::sync::mpsc::Receiver<Live> {
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        let client = self.clone();
        tokio::spawn(async move {
            let mut last: Option<u64> = None;
            let mut backoff = Duration::from_millis(100);
            loop {
                match client.events_once(last).await {
                    Ok(stream) => {
                        if tx.send(Live::Connected).await.is_err() {
                            return;
                        }
                        backoff = Duration::from_millis(100);
                        let mut stream = std::pin::pin!(stream);
                        while let Some(item) = stream.next().await {
                            if let Live::Event(e) = &item {
                                last = Some(e.seq);
                                // Only where the stream starts: nothing changed.
                                if e.kind == crate::api::READY {
                                    continue;
                                }
                            }
                            let stop = matches!(item, Live::Disconnected(_));
                            if tx.send(item).await.is_err() {
                                return;
                            }
                            if stop {
                                break;
                            }
                        }
                        if tx
                            .send(Live::Disconnected("stream ended".into()))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(e) => {
                        if tx.send(Live::Disconnected(e.to_string())).await.is_err() {
                            return;
                        }
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        });
        rx
    }
}

/// What a live subscription delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    Connected,
    Event(Event),
    /// Events were missed: reload whatever is on screen.
    Resync,
    Disconnected(String),
}

fn ids(services: &[ServiceId]) -> String {
    services
        .iter()
        .map(|s| s.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A store server found on the LAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub store_name: String,
    pub server_id: String,
    pub api_version: String,
    pub addresses: Vec<IpAddr>,
    pub port: u16,
}

impl Discovered {
    /// The URL to use, preferring IPv4.
    pub fn base_url(&self) -> Option<String> {
        let ip = self
            .addresses
            .iter()
            .find(|a| a.is_ipv4())
            .or(self.addresses.first())?;
        Some(match ip {
            IpAddr::V4(v4) => format!("http://{v4}:{}", self.port),
            IpAddr::V6(v6) => format!("http://[{v6}]:{}", self.port),
        })
    }
}

/// Browses the LAN for store servers for `wait`, returning each one found once.
/// `loopback_only` keeps the browse off every real network (tests and demos on one box).
pub async fn discover(wait: Duration, loopback_only: bool) -> Result<Vec<Discovered>> {
    tokio::task::spawn_blocking(move || discover_blocking(wait, loopback_only))
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?
}

fn discover_blocking(wait: Duration, loopback_only: bool) -> Result<Vec<Discovered>> {
    use mdns_sd::{IfKind, ServiceDaemon, ServiceEvent};
    let err = |e: mdns_sd::Error| ClientError::Network(format!("mDNS: {e}"));
    let daemon = ServiceDaemon::new().map_err(err)?;
    if loopback_only {
        daemon.disable_interface(IfKind::All).map_err(err)?;
        daemon.enable_interface(IfKind::LoopbackV4).map_err(err)?;
    }
    let rx = daemon.browse(crate::SERVICE_TYPE).map_err(err)?;
    let deadline = std::time::Instant::now() + wait;
    let mut found: Vec<Discovered> = Vec::new();
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(ServiceEvent::ServiceResolved(s)) => {
                let prop = |k: &str| {
                    s.txt_properties
                        .get_property_val_str(k)
                        .unwrap_or_default()
                        .to_string()
                };
                let mut addresses: Vec<IpAddr> =
                    s.addresses.iter().map(|a| a.to_ip_addr()).collect();
                addresses.sort();
                let d = Discovered {
                    store_name: prop("store_name"),
                    server_id: prop("server_id"),
                    api_version: prop("api_version"),
                    addresses,
                    port: s.port,
                };
                match found.iter_mut().find(|f| f.server_id == d.server_id) {
                    Some(f) => *f = d,
                    None => found.push(d),
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let _ = daemon.shutdown();
    Ok(found)
}
