//! The stylist tablet's controller (REC, PAY, MEM on screen): PIN sign-in, the live queue,
//! the customer 360, the service record, checkout with every member benefit, the receipt,
//! and handing the tablet to the customer to rate the visit. Plain state over a
//! [`TabletApi`], with no Slint types, so the whole flow is tested against a fake store.

use chrono::Offset;
use rust_decimal::Decimal;
use salon_shared::CouponDefId;
use salon_shared::api::{
    Appointment, Checkout, CheckoutInput, CustomerOverview, FeedbackInput, MemberSettings,
    PackageSaleInput, PhotoKind, PhotoMeta, Product, ProductUse, QueueAction, QueueEntry,
    QueueQuery, QueueView, SaleItem, SignInResponse, TicketState, TopUpInput, Visit, VisitInput,
};
use salon_shared::bill::{Bill, PayMethod, Tender};
use salon_shared::client::{Client, ClientError};
use salon_shared::coupon::CouponDef;
use salon_shared::coupon::CouponState;
use salon_shared::ledger::{BonusRule, PackagePlan};
use salon_shared::staff::StaffView;
use salon_shared::{
    CheckoutId, CouponId, CustomerId, Money, ProductId, Service, ServiceId, StaffId,
};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

/// What the tablet needs from the store server. Calls after sign-in carry the session.
pub trait TabletApi: Clone {
    fn staff(&self) -> impl Future<Output = Result<Vec<StaffView>, ClientError>>;
    fn sign_in(
        &self,
        staff: StaffId,
        pin: String,
    ) -> impl Future<Output = Result<SignInResponse, ClientError>>;
    fn sign_out(&self) -> impl Future<Output = Result<(), ClientError>>;
    fn queue(&self) -> impl Future<Output = Result<QueueView, ClientError>>;
    fn queue_move(
        &self,
        ticket: u64,
        a: QueueAction,
    ) -> impl Future<Output = Result<(), ClientError>>;
    fn appointments_today(&self) -> impl Future<Output = Result<Vec<Appointment>, ClientError>>;
    fn overview(
        &self,
        c: CustomerId,
    ) -> impl Future<Output = Result<CustomerOverview, ClientError>>;
    fn services(&self) -> impl Future<Output = Result<Vec<Service>, ClientError>>;
    fn products(&self) -> impl Future<Output = Result<Vec<Product>, ClientError>>;
    fn visit(&self, ticket: u64) -> impl Future<Output = Result<Option<Visit>, ClientError>>;
    fn record_visit(
        &self,
        ticket: u64,
        v: VisitInput,
        key: String,
    ) -> impl Future<Output = Result<Visit, ClientError>>;
    fn add_photo(
        &self,
        ticket: u64,
        kind: PhotoKind,
        content_type: String,
        bytes: Vec<u8>,
        key: String,
    ) -> impl Future<Output = Result<Visit, ClientError>>;
    fn photo(&self, ticket: u64, n: u32) -> impl Future<Output = Result<Vec<u8>, ClientError>>;
    fn member_settings(&self) -> impl Future<Output = Result<MemberSettings, ClientError>>;
    fn package_plans(&self) -> impl Future<Output = Result<Vec<PackagePlan>, ClientError>>;
    fn coupon_defs(&self) -> impl Future<Output = Result<Vec<CouponDef>, ClientError>>;
    fn top_up(
        &self,
        c: CustomerId,
        t: TopUpInput,
        key: String,
    ) -> impl Future<Output = Result<Checkout, ClientError>>;
    fn sell_package(
        &self,
        c: CustomerId,
        p: PackageSaleInput,
        key: String,
    ) -> impl Future<Output = Result<Checkout, ClientError>>;
    fn issue_coupon(
        &self,
        c: CustomerId,
        def: CouponDefId,
        key: String,
    ) -> impl Future<Output = Result<(), ClientError>>;
    fn preview(&self, c: CheckoutInput) -> impl Future<Output = Result<Bill, ClientError>>;
    fn checkout(
        &self,
        c: CheckoutInput,
        key: String,
    ) -> impl Future<Output = Result<Checkout, ClientError>>;
    fn receipt(&self, id: CheckoutId) -> impl Future<Output = Result<String, ClientError>>;
    fn feedback(
        &self,
        f: FeedbackInput,
        key: String,
    ) -> impl Future<Output = Result<(), ClientError>>;
}

/// The live client plus the signed-in staff member's session.
#[derive(Clone)]
pub struct Session {
    pub client: Arc<RwLock<Client>>,
    pub session: Arc<RwLock<Option<String>>>,
}

impl Session {
    pub fn new(client: Arc<RwLock<Client>>) -> Session {
        Session {
            client,
            session: Arc::new(RwLock::new(None)),
        }
    }

    fn get(&self) -> Client {
        crate::current(&self.client).with_staff_session(crate::current(&self.session))
    }

    fn keep(&self, s: Option<String>) {
        if let Ok(mut g) = self.session.write() {
            *g = s;
        }
    }
}

impl TabletApi for Session {
    async fn staff(&self) -> Result<Vec<StaffView>, ClientError> {
        self.get().staff().await
    }
    async fn sign_in(&self, staff: StaffId, pin: String) -> Result<SignInResponse, ClientError> {
        let (r, _) = self
            .get()
            .with_staff_session(None)
            .sign_in(staff, &pin)
            .await?;
        self.keep(Some(r.session.clone()));
        Ok(r)
    }
    async fn sign_out(&self) -> Result<(), ClientError> {
        let r = self.get().sign_out().await;
        self.keep(None);
        r
    }
    async fn queue(&self) -> Result<QueueView, ClientError> {
        self.get()
            .queue(&QueueQuery {
                include_closed: true,
                ..Default::default()
            })
            .await
    }
    async fn queue_move(&self, ticket: u64, a: QueueAction) -> Result<(), ClientError> {
        self.get().queue_move(ticket, a).await.map(|_| ())
    }
    async fn appointments_today(&self) -> Result<Vec<Appointment>, ClientError> {
        self.get().appointments(&Default::default()).await
    }
    async fn overview(&self, c: CustomerId) -> Result<CustomerOverview, ClientError> {
        self.get().overview(c).await
    }
    async fn services(&self) -> Result<Vec<Service>, ClientError> {
        self.get().services(false).await
    }
    async fn products(&self) -> Result<Vec<Product>, ClientError> {
        self.get().products().await
    }
    async fn visit(&self, ticket: u64) -> Result<Option<Visit>, ClientError> {
        match self.get().visit(ticket).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }
    async fn record_visit(
        &self,
        ticket: u64,
        v: VisitInput,
        key: String,
    ) -> Result<Visit, ClientError> {
        self.get().record_visit(ticket, &v, Some(&key)).await
    }
    async fn add_photo(
        &self,
        ticket: u64,
        kind: PhotoKind,
        content_type: String,
        bytes: Vec<u8>,
        key: String,
    ) -> Result<Visit, ClientError> {
        self.get()
            .add_photo(ticket, kind, &content_type, bytes, Some(&key))
            .await
    }
    async fn photo(&self, ticket: u64, n: u32) -> Result<Vec<u8>, ClientError> {
        self.get().photo(ticket, n).await
    }
    async fn member_settings(&self) -> Result<MemberSettings, ClientError> {
        self.get().member_settings().await
    }
    async fn package_plans(&self) -> Result<Vec<PackagePlan>, ClientError> {
        self.get().package_plans().await
    }
    async fn coupon_defs(&self) -> Result<Vec<CouponDef>, ClientError> {
        self.get().coupon_defs().await
    }
    async fn top_up(
        &self,
        c: CustomerId,
        t: TopUpInput,
        key: String,
    ) -> Result<Checkout, ClientError> {
        self.get().top_up(c, &t, Some(&key)).await
    }
    async fn sell_package(
        &self,
        c: CustomerId,
        p: PackageSaleInput,
        key: String,
    ) -> Result<Checkout, ClientError> {
        self.get().sell_package(c, &p, Some(&key)).await
    }
    async fn issue_coupon(
        &self,
        c: CustomerId,
        def: CouponDefId,
        key: String,
    ) -> Result<(), ClientError> {
        self.get()
            .issue_coupon(c, def, Some(&key))
            .await
            .map(|_| ())
    }
    async fn preview(&self, c: CheckoutInput) -> Result<Bill, ClientError> {
        self.get().checkout_preview(&c).await
    }
    async fn checkout(&self, c: CheckoutInput, key: String) -> Result<Checkout, ClientError> {
        self.get().checkout(&c, Some(&key)).await
    }
    async fn receipt(&self, id: CheckoutId) -> Result<String, ClientError> {
        self.get().receipt(id).await
    }
    async fn feedback(&self, f: FeedbackInput, key: String) -> Result<(), ClientError> {
        self.get().feedback(&f, Some(&key)).await.map(|_| ())
    }
}

/// Which screen the tablet shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    SignIn,
    Queue,
    Customer,
    Record,
    Checkout,
    Receipt,
    /// Top-ups, package sales and coupons handed to the customer (front desk).
    Sell,
    /// The customer rates the visit on the tablet handed to them (CHK-6).
    Feedback,
    Thanks,
}

/// How the part not paid from stored value is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rest {
    Cash,
    Mobile,
}

/// The bill being put together on the checkout screen.
#[derive(Debug, Clone, Default)]
pub struct Cart {
    /// Services and products with their quantities, in the order added.
    pub items: Vec<SaleItem>,
    pub use_packages: bool,
    pub coupon: Option<CouponId>,
    pub points: u64,
    /// The priced bill, refreshed after every change.
    pub bill: Option<Bill>,
    /// Paid from the stored-value balance.
    pub stored: Decimal,
    pub rest: Option<Rest>,
    /// Cash handed over, typed on the keypad (in yuan).
    pub cash_given: String,
    pub reference: String,
    /// One key per bill the customer agreed to pay, so a retried payment charges once.
    pub key: String,
}

/// What the member sales screen offers and what was chosen.
#[derive(Debug, Clone, Default)]
pub struct Shop {
    pub plans: Vec<PackagePlan>,
    pub coupons: Vec<CouponDef>,
    pub bonus: Vec<BonusRule>,
    pub chosen: Option<Sale>,
    /// How it is paid: cash, mobile (with its reference) or, for a package, stored value.
    pub method: Option<PayMethod>,
    pub reference: String,
    pub key: String,
}

/// A member sale: stored value topped up, or a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sale {
    TopUp(Money),
    Package(u64),
}

/// The top-up amounts offered as one tap.
pub const TOP_UPS: [i64; 4] = [500, 1000, 2000, 3000];

/// The state of the tablet.
pub struct Tablet<A: TabletApi> {
    api: A,
    pub screen: Screen,
    pub problem: Option<&'static str>,
    pub staff: Vec<StaffView>,
    pub picked: Option<StaffId>,
    pub pin: String,
    pub me: Option<StaffView>,
    pub queue: Vec<QueueEntry>,
    pub appointments: Vec<Appointment>,
    pub mine_only: bool,
    pub catalog: Vec<Service>,
    pub products: Vec<Product>,
    /// The ticket the customer screen, the record and the checkout are about.
    pub ticket: Option<QueueEntry>,
    pub customer: Option<CustomerOverview>,
    pub record: VisitInput,
    /// The photos the visit being recorded already has.
    pub photos: Vec<PhotoMeta>,
    pub cart: Cart,
    pub paid: Option<Checkout>,
    /// The member sales screen: what the store sells and what is chosen.
    pub shop: Shop,
    pub receipt: String,
    pub scores: [Option<u8>; 5],
    /// The store's offset from UTC: times are shown in the store's time.
    pub offset: chrono::FixedOffset,
    /// Quick comment phrases tapped by the customer (the kiosk's list).
    pub phrases: [bool; crate::kiosk::controller::PHRASES.len()],
    seq: u64,
}

/// Each of the five feedback questions must be answered before sending.
pub const SCORES: usize = 5;

fn problem_of(e: &ClientError) -> &'static str {
    match e {
        ClientError::Network(_) => "offline",
        ClientError::Api {
            status: 401, code, ..
        } if code == "session_expired" || code == "staff_sign_in_required" => "signed_out",
        ClientError::Api { code, .. } => match code.as_str() {
            "invalid_pin" | "pin_invalid" | "unauthorized" => "pin_wrong",
            "balance_insufficient" => "balance_insufficient",
            "payment_short" => "payment_short",
            "payment_reference_required" => "reference_required",
            "stock_insufficient" => "stock_insufficient",
            "already_paid" => "already_paid",
            "coupon_not_applicable" => "coupon_not_applicable",
            "points_exceed_due" => "points_exceed_due",
            "already_rated" => "already_rated",
            "too_many_requests" => "too_many_attempts",
            "photo_consent_missing" => "photo_consent_missing",
            "too_many_photos" => "too_many_photos",
            "photo_invalid" | "content_type" | "body_too_large" => "photo_invalid",
            "coupon_limit" => "coupon_limit",
            _ => "failed",
        },
        ClientError::Decode(_) => "failed",
    }
}

impl<A: TabletApi> Tablet<A> {
    pub fn new(api: A) -> Tablet<A> {
        Tablet {
            api,
            screen: Screen::SignIn,
            problem: None,
            staff: Vec::new(),
            picked: None,
            pin: String::new(),
            me: None,
            queue: Vec::new(),
            appointments: Vec::new(),
            mine_only: true,
            catalog: Vec::new(),
            products: Vec::new(),
            ticket: None,
            customer: None,
            record: VisitInput::default(),
            photos: Vec::new(),
            cart: Cart::default(),
            paid: None,
            shop: Shop::default(),
            receipt: String::new(),
            scores: [None; 5],
            offset: chrono::FixedOffset::east_opt(0).unwrap_or(chrono::Utc.fix()),
            phrases: [false; crate::kiosk::controller::PHRASES.len()],
            seq: 0,
        }
    }

    fn key(&mut self, what: &str) -> String {
        self.seq += 1;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        format!("tablet-{what}-{nanos:x}-{}", self.seq)
    }

    /// Records a failed call; a lost sign-in sends the tablet back to the PIN screen.
    fn failed(&mut self, e: &ClientError) {
        let p = problem_of(e);
        if p == "signed_out" {
            self.signed_out();
        }
        self.problem = Some(p);
    }

    fn signed_out(&mut self) {
        self.me = None;
        self.pin.clear();
        self.picked = None;
        self.ticket = None;
        self.customer = None;
        self.screen = Screen::SignIn;
    }

    // ---- sign-in ----

    /// Loads the staff who can sign in here.
    pub async fn load_staff(&mut self) {
        match self.api.staff().await {
            Ok(s) => self.staff = s.into_iter().filter(|s| s.active).collect(),
            Err(e) => self.failed(&e),
        }
    }

    pub fn pick_staff(&mut self, id: StaffId) {
        self.picked = Some(id);
        self.pin.clear();
        self.problem = None;
    }

    pub fn pin_key(&mut self, k: &str) {
        if k == "back" {
            self.pin.pop();
        } else if self.pin.len() < 6 && k.chars().all(|c| c.is_ascii_digit()) {
            self.pin.push_str(k);
        }
    }

    pub async fn sign_in(&mut self) {
        let Some(id) = self.picked else {
            self.problem = Some("pick_yourself");
            return;
        };
        let pin = std::mem::take(&mut self.pin);
        match self.api.sign_in(id, pin).await {
            Ok(r) => {
                // Stylists see their own customers first; the front desk sees everyone.
                self.mine_only = matches!(
                    r.staff.role,
                    salon_shared::staff::StaffRole::Stylist
                        | salon_shared::staff::StaffRole::Beautician
                );
                self.me = Some(r.staff);
                self.problem = None;
                self.screen = Screen::Queue;
                self.refresh().await;
            }
            Err(e) => {
                self.problem = Some(match problem_of(&e) {
                    "offline" => "offline",
                    "too_many_attempts" => "too_many_attempts",
                    _ => "pin_wrong",
                });
            }
        }
    }

    /// Signs out (the button, or the tablet left alone).
    pub async fn sign_out(&mut self) {
        if self.me.is_some() {
            let _ = self.api.sign_out().await;
        }
        self.signed_out();
        self.problem = None;
    }

    // ---- the queue ----

    pub async fn refresh(&mut self) {
        if self.me.is_none() {
            return;
        }
        match self.api.queue().await {
            Ok(q) => self.queue = q.entries,
            Err(e) => return self.failed(&e),
        }
        match self.api.appointments_today().await {
            Ok(a) => self.appointments = a,
            Err(e) => return self.failed(&e),
        }
        if self.catalog.is_empty()
            && let Ok(s) = self.api.services().await
        {
            self.catalog = s;
        }
        if let Ok(p) = self.api.products().await {
            self.products = p.into_iter().filter(|p| p.active).collect();
        }
        // Keep the ticket in hand up to date (it may have been paid elsewhere).
        if let Some(t) = &self.ticket
            && let Some(now) = self.queue.iter().find(|e| e.ticket.id == t.ticket.id)
        {
            self.ticket = Some(now.clone());
        }
    }

    /// The tickets the queue screen lists: mine (or all), open ones first.
    pub fn shown_queue(&self) -> Vec<&QueueEntry> {
        let me = self.me.as_ref().map(|m| m.id);
        self.queue
            .iter()
            .filter(|e| !self.mine_only || e.ticket.stylist == me || e.ticket.stylist.is_none())
            .filter(|e| {
                e.ticket.state.is_open() || (e.ticket.state == TicketState::Done && !e.paid)
            })
            .collect()
    }

    pub async fn move_ticket(&mut self, ticket: u64, a: QueueAction) {
        match self.api.queue_move(ticket, a).await {
            Ok(()) => self.problem = None,
            Err(e) => self.failed(&e),
        }
        self.refresh().await;
    }

    // ---- the customer 360 ----

    pub async fn open_ticket(&mut self, ticket: u64) {
        let Some(t) = self.queue.iter().find(|e| e.ticket.id == ticket).cloned() else {
            return;
        };
        let customer = t.ticket.customer_id;
        self.ticket = Some(t);
        self.open_customer(customer).await;
    }

    pub async fn open_customer(&mut self, c: CustomerId) {
        if self
            .ticket
            .as_ref()
            .is_some_and(|t| t.ticket.customer_id != c)
        {
            self.ticket = None;
        }
        match self.api.overview(c).await {
            Ok(o) => {
                self.customer = Some(o);
                self.problem = None;
                self.screen = Screen::Customer;
            }
            Err(e) => self.failed(&e),
        }
    }

    pub fn back_to_queue(&mut self) {
        self.screen = Screen::Queue;
        self.ticket = None;
        self.customer = None;
        self.problem = None;
    }

    // ---- the service record (REC-1) ----

    pub async fn to_record(&mut self) {
        let Some(t) = self.ticket.clone() else { return };
        (self.record, self.photos) = match self.api.visit(t.ticket.id).await {
            Ok(Some(v)) => (
                VisitInput {
                    services: v.services,
                    products_used: v.products_used,
                    formulas: v.formulas,
                    notes: v.notes,
                    photo_consent: v.photo_consent_at.is_some(),
                },
                v.photos,
            ),
            Ok(None) => (
                VisitInput {
                    services: t.ticket.services.clone(),
                    ..Default::default()
                },
                Vec::new(),
            ),
            Err(e) => return self.failed(&e),
        };
        self.problem = None;
        self.screen = Screen::Record;
    }

    pub fn toggle_record_service(&mut self, id: ServiceId) {
        if let Some(i) = self.record.services.iter().position(|s| *s == id) {
            self.record.services.remove(i);
        } else {
            self.record.services.push(id);
        }
    }

    pub fn record_product(&mut self, id: ProductId, delta: i32) {
        let used = &mut self.record.products_used;
        match used.iter().position(|u| u.product_id == id) {
            Some(i) => {
                let q = (used[i].qty as i32 + delta).clamp(0, 99) as u32;
                if q == 0 {
                    used.remove(i);
                } else {
                    used[i].qty = q;
                }
            }
            None if delta > 0 => used.push(ProductUse {
                product_id: id,
                qty: delta as u32,
            }),
            None => {}
        }
    }

    /// The formula text: one colour formula (the most common record); empty removes it.
    pub fn set_formula(&mut self, text: &str) {
        self.record
            .formulas
            .retain(|f| f.kind != salon_shared::api::FormulaKind::Colour);
        if !text.trim().is_empty() {
            self.record.formulas.insert(
                0,
                salon_shared::api::Formula {
                    kind: salon_shared::api::FormulaKind::Colour,
                    text: text.trim().to_string(),
                },
            );
        }
    }

    pub fn formula(&self) -> String {
        self.record
            .formulas
            .iter()
            .find(|f| f.kind == salon_shared::api::FormulaKind::Colour)
            .map(|f| f.text.clone())
            .unwrap_or_default()
    }

    pub fn toggle_photo_consent(&mut self) {
        self.record.photo_consent = !self.record.photo_consent;
    }

    /// Adds a photo to the visit: the record is saved first (with the customer's consent,
    /// which photos need), and the tablet stays on the record.
    pub async fn add_photo(&mut self, kind: PhotoKind, content_type: &str, bytes: Vec<u8>) {
        let Some(t) = self.ticket.clone() else { return };
        if !self.record.photo_consent {
            self.problem = Some("photo_consent_missing");
            return;
        }
        if self.record.services.is_empty() {
            self.problem = Some("need_service");
            return;
        }
        let key = self.key("visit");
        if let Err(e) = self
            .api
            .record_visit(t.ticket.id, self.record.clone(), key)
            .await
        {
            return self.failed(&e);
        }
        let key = self.key("photo");
        match self
            .api
            .add_photo(t.ticket.id, kind, content_type.to_string(), bytes, key)
            .await
        {
            Ok(v) => {
                self.photos = v.photos;
                self.problem = None;
            }
            Err(e) => self.failed(&e),
        }
    }

    /// A photo's image, for the screens.
    pub async fn photo_bytes(&self, ticket: u64, n: u32) -> Option<Vec<u8>> {
        self.api.photo(ticket, n).await.ok()
    }

    pub async fn save_record(&mut self) {
        let Some(t) = self.ticket.clone() else { return };
        if self.record.services.is_empty() {
            self.problem = Some("need_service");
            return;
        }
        let key = self.key("visit");
        match self
            .api
            .record_visit(t.ticket.id, self.record.clone(), key)
            .await
        {
            Ok(_) => {
                self.problem = None;
                self.open_customer(t.ticket.customer_id).await;
            }
            Err(e) => self.failed(&e),
        }
    }

    // ---- checkout (PAY-1..2) ----

    /// Starts the bill: the services recorded (or checked in for), packages used by default.
    pub async fn to_checkout(&mut self) {
        let Some(t) = self.ticket.clone() else { return };
        let recorded = match self.api.visit(t.ticket.id).await {
            Ok(v) => v,
            Err(e) => return self.failed(&e),
        };
        let services = recorded
            .as_ref()
            .map(|v| v.services.clone())
            .unwrap_or(t.ticket.services.clone());
        let key = self.key("checkout");
        self.cart = Cart {
            items: services
                .into_iter()
                .map(|id| SaleItem::Service { id, qty: 1 })
                .collect(),
            use_packages: true,
            key,
            ..Cart::default()
        };
        self.screen = Screen::Checkout;
        self.reprice().await;
    }

    fn input(&self) -> CheckoutInput {
        let mut tenders = Vec::new();
        let due = self
            .cart
            .bill
            .as_ref()
            .map(|b| b.due.amount())
            .unwrap_or_default();
        let money = |d: Decimal| Money::new(d).unwrap_or(Money::ZERO);
        if !self.cart.stored.is_zero() {
            tenders.push(Tender {
                method: PayMethod::StoredValue,
                amount: money(self.cart.stored),
                reference: None,
            });
        }
        let rest = due - self.cart.stored;
        if rest > Decimal::ZERO {
            match self.cart.rest {
                Some(Rest::Cash) => tenders.push(Tender {
                    method: PayMethod::Cash,
                    amount: money(self.cash_given().unwrap_or(rest)),
                    reference: None,
                }),
                Some(Rest::Mobile) => tenders.push(Tender {
                    method: PayMethod::Mobile,
                    amount: money(rest),
                    reference: Some(self.cart.reference.clone()),
                }),
                None => {}
            }
        }
        CheckoutInput {
            ticket_id: self.ticket.as_ref().map(|t| t.ticket.id),
            customer_id: None,
            stylist: None,
            items: self.cart.items.clone(),
            use_packages: self.cart.use_packages,
            coupon: self.cart.coupon,
            points: self.cart.points,
            tenders,
        }
    }

    /// Prices the cart again; a change to the bill resets how it is paid.
    pub async fn reprice(&mut self) {
        let mut input = self.input();
        input.tenders.clear();
        if input.items.is_empty() {
            self.cart.bill = None;
            self.problem = Some("bill_empty");
            return;
        }
        match self.api.preview(input).await {
            Ok(b) => {
                self.cart.bill = Some(b);
                self.cart.stored = Decimal::ZERO;
                self.cart.rest = None;
                self.cart.cash_given.clear();
                self.problem = None;
            }
            Err(e) => self.failed(&e),
        }
    }

    pub fn balance(&self) -> Decimal {
        self.customer
            .as_ref()
            .map(|c| c.wallet.stored_value)
            .unwrap_or_default()
    }

    pub fn points_balance(&self) -> u64 {
        self.customer
            .as_ref()
            .map(|c| c.wallet.points)
            .unwrap_or_default()
    }

    /// The customer's coupons that can still be used.
    pub fn usable_coupons(&self) -> Vec<&salon_shared::api::CouponView> {
        self.customer
            .as_ref()
            .map(|c| {
                c.coupons
                    .iter()
                    .filter(|v| v.coupon.state == CouponState::Issued)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub async fn change_item(&mut self, index: usize, delta: i32) {
        if let Some(it) = self.cart.items.get_mut(index) {
            let q = match it {
                SaleItem::Service { qty, .. } | SaleItem::Product { qty, .. } => qty,
            };
            let n = (*q as i32 + delta).clamp(0, 99) as u32;
            if n == 0 {
                self.cart.items.remove(index);
            } else {
                *q = n;
            }
        }
        self.reprice().await;
    }

    pub async fn add_product(&mut self, id: ProductId) {
        match self
            .cart
            .items
            .iter_mut()
            .find(|i| matches!(i, SaleItem::Product { id: p, .. } if *p == id))
        {
            Some(SaleItem::Product { qty, .. }) => *qty = (*qty + 1).min(99),
            _ => self.cart.items.push(SaleItem::Product { id, qty: 1 }),
        }
        self.reprice().await;
    }

    pub async fn toggle_packages(&mut self) {
        self.cart.use_packages = !self.cart.use_packages;
        self.reprice().await;
    }

    pub async fn pick_coupon(&mut self, id: CouponId) {
        self.cart.coupon = if self.cart.coupon == Some(id) {
            None
        } else {
            Some(id)
        };
        self.reprice().await;
        if self.cart.bill.is_none() && self.cart.coupon == Some(id) {
            // Refused (e.g. threshold not met): take it off again, keep the message.
            let p = self.problem;
            self.cart.coupon = None;
            self.reprice().await;
            self.problem = p;
        }
    }

    /// Points to redeem, in steps of 100 (1 CNY by default), within balance and the bill.
    pub async fn step_points(&mut self, delta: i64) {
        let before = self.cart.points;
        let max = self.points_balance();
        self.cart.points = (self.cart.points as i64 + delta).clamp(0, max as i64) as u64;
        self.reprice().await;
        if self.cart.bill.is_none() {
            let p = self.problem;
            self.cart.points = before;
            self.reprice().await;
            self.problem = p;
        }
    }

    pub fn due(&self) -> Decimal {
        self.cart
            .bill
            .as_ref()
            .map(|b| b.due.amount())
            .unwrap_or_default()
    }

    /// Pays as much as possible from the stored-value balance (or none of it).
    pub fn use_balance(&mut self, on: bool) {
        self.cart.stored = if on {
            self.balance().min(self.due())
        } else {
            Decimal::ZERO
        };
        if self.due() - self.cart.stored <= Decimal::ZERO {
            self.cart.rest = None;
        }
    }

    /// Chooses how the part left after stored value is paid; nothing to choose when the
    /// balance covers the bill.
    pub fn pay_rest_by(&mut self, r: Rest) {
        self.cart.rest = (self.rest_due() > Decimal::ZERO).then_some(r);
        self.cart.cash_given.clear();
    }

    pub fn cash_key(&mut self, k: &str) {
        let given = &mut self.cart.cash_given;
        match k {
            "back" => {
                given.pop();
            }
            "." if !given.contains('.') => given.push('.'),
            d if d.len() == 1 && d.chars().all(|c| c.is_ascii_digit()) && given.len() < 8 => {
                given.push_str(d)
            }
            // A quick note: ¥100, ¥200 …
            note if note.starts_with('¥') => *given = note.trim_start_matches('¥').to_string(),
            _ => {}
        }
    }

    pub fn cash_given(&self) -> Option<Decimal> {
        self.cart.cash_given.parse::<Decimal>().ok()
    }

    /// What is left for cash or mobile after the stored value.
    pub fn rest_due(&self) -> Decimal {
        (self.due() - self.cart.stored).max(Decimal::ZERO)
    }

    pub fn change(&self) -> Option<Decimal> {
        match self.cart.rest {
            Some(Rest::Cash) => self
                .cash_given()
                .map(|g| g - self.rest_due())
                .filter(|c| *c >= Decimal::ZERO),
            _ => None,
        }
    }

    /// Takes the payment. Sent again after a network drop with the same key, it charges once.
    pub async fn pay(&mut self) {
        if self.cart.bill.is_none() {
            self.problem = Some("bill_empty");
            return;
        }
        if self.rest_due() > Decimal::ZERO {
            match self.cart.rest {
                None => return self.problem = Some("choose_payment"),
                Some(Rest::Cash) if self.change().is_none() => {
                    return self.problem = Some("payment_short");
                }
                Some(Rest::Mobile) if self.cart.reference.trim().is_empty() => {
                    return self.problem = Some("reference_required");
                }
                _ => {}
            }
        }
        let input = self.input();
        let key = self.cart.key.clone();
        match self.api.checkout(input, key).await {
            Ok(co) => {
                self.receipt = self.api.receipt(co.id).await.unwrap_or_default();
                self.paid = Some(co);
                self.problem = None;
                self.screen = Screen::Receipt;
            }
            Err(e) => self.failed(&e),
        }
    }

    // ---- member sales: top-ups, packages, coupons (MEM-3, MEM-5, CPN-2) ----

    pub async fn to_sell(&mut self) {
        if self.customer.is_none() {
            return;
        }
        let today = chrono::Utc::now().with_timezone(&self.offset).date_naive();
        let (plans, coupons, settings) = (
            self.api.package_plans().await,
            self.api.coupon_defs().await,
            self.api.member_settings().await,
        );
        match (plans, coupons, settings) {
            (Ok(p), Ok(c), Ok(s)) => {
                let key = self.key("sale");
                self.shop = Shop {
                    plans: p.into_iter().filter(|p| p.active).collect(),
                    coupons: c
                        .into_iter()
                        .filter(|c| c.active && c.valid_to >= today)
                        .collect(),
                    bonus: s.top_up_bonus,
                    key,
                    ..Shop::default()
                };
                self.problem = None;
                self.screen = Screen::Sell;
            }
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => self.failed(&e),
        }
    }

    pub fn choose_sale(&mut self, sale: Sale) {
        self.shop.chosen = Some(sale);
        if matches!(sale, Sale::TopUp(_)) && self.shop.method == Some(PayMethod::StoredValue) {
            self.shop.method = None;
        }
    }

    pub fn sale_method(&mut self, m: PayMethod) {
        // Stored value cannot top up stored value.
        let top_up = matches!(self.shop.chosen, Some(Sale::TopUp(_)));
        self.shop.method = (!(top_up && m == PayMethod::StoredValue)).then_some(m);
    }

    /// What the chosen sale costs.
    pub fn sale_price(&self) -> Option<Money> {
        match self.shop.chosen? {
            Sale::TopUp(m) => Some(m),
            Sale::Package(id) => self.shop.plans.iter().find(|p| p.id == id).map(|p| p.price),
        }
    }

    pub async fn sell(&mut self) {
        let (Some(c), Some(sale), Some(price)) = (
            self.customer.as_ref().map(|o| o.customer.id),
            self.shop.chosen,
            self.sale_price(),
        ) else {
            self.problem = Some("choose_sale");
            return;
        };
        let Some(method) = self.shop.method else {
            self.problem = Some("choose_payment");
            return;
        };
        if method == PayMethod::Mobile && self.shop.reference.trim().is_empty() {
            self.problem = Some("reference_required");
            return;
        }
        let tenders = vec![Tender {
            method,
            amount: price,
            reference: (method == PayMethod::Mobile).then(|| self.shop.reference.clone()),
        }];
        let key = self.shop.key.clone();
        let done = match sale {
            Sale::TopUp(amount) => {
                self.api
                    .top_up(c, TopUpInput { amount, tenders }, key)
                    .await
            }
            Sale::Package(plan_id) => {
                self.api
                    .sell_package(c, PackageSaleInput { plan_id, tenders }, key)
                    .await
            }
        };
        match done {
            Ok(co) => {
                self.receipt = self.api.receipt(co.id).await.unwrap_or_default();
                self.paid = Some(co);
                self.problem = None;
                self.screen = Screen::Receipt;
            }
            Err(e) => self.failed(&e),
        }
    }

    /// Hands a coupon to the customer (within its per-customer limit).
    pub async fn give_coupon(&mut self, def: CouponDefId) {
        let Some(c) = self.customer.as_ref().map(|o| o.customer.id) else {
            return;
        };
        let key = self.key("coupon");
        match self.api.issue_coupon(c, def, key).await {
            Ok(()) => {
                self.problem = None;
                if let Ok(o) = self.api.overview(c).await {
                    self.customer = Some(o);
                }
            }
            Err(e) => self.failed(&e),
        }
    }

    // ---- the customer rates the visit on the tablet (CHK-6) ----

    pub fn hand_over(&mut self) {
        self.scores = [None; SCORES];
        self.phrases = [false; crate::kiosk::controller::PHRASES.len()];
        self.problem = None;
        self.screen = Screen::Feedback;
    }

    pub fn rate(&mut self, question: usize, score: u8) {
        if question < SCORES {
            self.scores[question] = Some(score);
        }
    }

    pub fn toggle_phrase(&mut self, i: usize) {
        if let Some(p) = self.phrases.get_mut(i) {
            *p = !*p;
        }
    }

    pub async fn send_feedback(&mut self) {
        let Some(t) = self.ticket.clone() else { return };
        let [
            Some(overall),
            Some(service),
            Some(stylist),
            Some(environment),
            Some(recommend),
        ] = self.scores
        else {
            self.problem = Some("need_ratings");
            return;
        };
        let f = FeedbackInput {
            ticket_id: t.ticket.id,
            overall,
            service,
            stylist,
            environment,
            recommend,
            comment: crate::kiosk::controller::comment_of(&self.phrases),
            by: None,
        };
        let key = self.key("feedback");
        match self.api.feedback(f, key).await {
            Ok(()) | Err(ClientError::Api { status: 409, .. }) => {
                self.problem = None;
                self.screen = Screen::Thanks;
            }
            Err(e) => self.failed(&e),
        }
    }

    /// Back to the queue after the receipt or the customer's rating.
    pub async fn done(&mut self) {
        let sale_only = self
            .paid
            .as_ref()
            .is_some_and(|p| !matches!(p.kind, salon_shared::api::CheckoutKind::Sale { .. }));
        if sale_only && let Some(c) = self.customer.as_ref().map(|o| o.customer.id) {
            self.paid = None;
            self.receipt.clear();
            self.open_customer(c).await;
            return;
        }
        self.back_to_queue();
        self.paid = None;
        self.receipt.clear();
        self.refresh().await;
    }

    /// Names for ids, for the screens.
    pub fn service_name(&self, id: ServiceId) -> String {
        self.catalog
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    }

    pub fn product_name(&self, id: ProductId) -> String {
        self.products
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    }

    pub fn staff_name(&self, id: StaffId) -> String {
        self.staff
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }

    /// How many of each product the record uses.
    pub fn record_qty(&self) -> BTreeMap<ProductId, u32> {
        self.record
            .products_used
            .iter()
            .map(|u| (u.product_id, u.qty))
            .collect()
    }
}

#[cfg(test)]
mod tests;
