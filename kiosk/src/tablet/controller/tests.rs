//! The tablet flow against a fake store: sign-in, queue, 360, record, checkout with split
//! payment and change, a retried payment that charges once, session expiry, feedback.

use super::*;
use chrono::{NaiveDate, Utc};
use rust_decimal_macros::dec;
use salon_shared::api::{Ticket, TicketSource, WaitRange};
use salon_shared::bill::{BillRequest, Item, ItemRef, PointsRules, price};
use salon_shared::staff::{StaffLevel, StaffRole};
use salon_shared::{Customer, ServiceCategory, Tier};
use std::sync::Mutex;

#[derive(Default)]
struct State {
    visits: BTreeMap<u64, Visit>,
    /// Keys of the checkouts performed, in order.
    charged: Vec<String>,
    /// Fail the next checkout with a network error after performing it (a lost answer).
    lose_next_answer: bool,
    session_expired: bool,
    feedback: Vec<FeedbackInput>,
    sales: Vec<String>,
}

fn sale_checkout() -> Checkout {
    Checkout {
        id: CheckoutId(9),
        number: "20261130-0009".into(),
        day: NaiveDate::from_ymd_opt(2026, 11, 30).expect("day"),
        at: Utc::now(),
        kind: salon_shared::api::CheckoutKind::TopUp {
            paid: m(dec!(1000)),
            bonus: m(dec!(100)),
        },
        customer_id: Some(CustomerId(7)),
        customer_name: None,
        bill: None,
        due: m(dec!(1000)),
        settlement: salon_shared::bill::settle(m(dec!(1000)), &[], dec!(0)).unwrap_or(
            salon_shared::bill::Settlement {
                payments: vec![],
                cash_tendered: Money::ZERO,
                change: Money::ZERO,
            },
        ),
        effects: Default::default(),
        staff_id: None,
        stored_value_after: None,
        points_after: None,
    }
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<State>>);

fn m(d: Decimal) -> Money {
    Money::new(d).expect("money")
}

fn staff(id: u64, name: &str) -> StaffView {
    StaffView {
        id: StaffId(id),
        name: name.into(),
        role: StaffRole::Stylist,
        level: StaffLevel::Senior,
        skills: [ServiceCategory::CutStyle].into(),
        active: true,
    }
}

fn service(id: u64, name: &str, price: Decimal) -> Service {
    Service {
        id: ServiceId(id),
        category: ServiceCategory::CutStyle,
        name: name.into(),
        description: String::new(),
        suitable_for: String::new(),
        price: m(price),
        level_prices: Default::default(),
        duration_min: 45,
        active: true,
        price_history: vec![],
        created_at: Utc::now(),
    }
}

fn entry(id: u64, stylist: u64, state: TicketState) -> QueueEntry {
    QueueEntry {
        ticket: Ticket {
            id,
            day: NaiveDate::from_ymd_opt(2026, 11, 30).expect("day"),
            number: format!("A{id:03}"),
            customer_id: CustomerId(7),
            services: vec![ServiceId(1)],
            requested: None,
            stylist: Some(StaffId(stylist)),
            source: TicketSource::WalkIn,
            state,
            rank: id as i64,
            created_at: Utc::now(),
            called_at: None,
            started_at: None,
            finished_at: None,
            quoted: WaitRange { low: 0, high: 10 },
        },
        position: 1,
        greeting: "王女士".into(),
        stylist_name: Some("Tony".into()),
        paid: false,
    }
}

fn customer() -> Customer {
    serde_json::from_value(serde_json::json!({
        "id": 7, "name": "王芳", "birthday": null, "age_band": null, "phone": "13800138000",
        "wechat": null, "email": null, "referrer": null, "region": null,
        "registered_at": Utc::now(), "consent_at": Utc::now(), "card": null, "last_visit_at": null,
        "care": {"allergies": ["PPD"]}
    }))
    .expect("customer")
}

fn err(status: u16, code: &str) -> ClientError {
    ClientError::Api {
        status,
        code: code.into(),
        message: String::new(),
    }
}

impl Fake {
    fn check(&self) -> Result<(), ClientError> {
        if self.0.lock().expect("lock").session_expired {
            return Err(err(401, "session_expired"));
        }
        Ok(())
    }
}

impl TabletApi for Fake {
    async fn staff(&self) -> Result<Vec<StaffView>, ClientError> {
        Ok(vec![staff(1, "Tony"), staff(2, "Amy")])
    }
    async fn sign_in(&self, staff_id: StaffId, pin: String) -> Result<SignInResponse, ClientError> {
        if pin != "2468" {
            return Err(err(401, "invalid_pin"));
        }
        Ok(SignInResponse {
            session: "s".into(),
            staff: staff(staff_id.0, "Tony"),
            expires_at: Utc::now(),
        })
    }
    async fn sign_out(&self) -> Result<(), ClientError> {
        Ok(())
    }
    async fn queue(&self) -> Result<QueueView, ClientError> {
        self.check()?;
        Ok(QueueView {
            day: NaiveDate::from_ymd_opt(2026, 11, 30).expect("day"),
            entries: vec![
                entry(1, 1, TicketState::InService),
                entry(2, 2, TicketState::Waiting),
                entry(3, 1, TicketState::Done),
            ],
            waiting: 1,
            in_service: 1,
        })
    }
    async fn queue_move(&self, _ticket: u64, _a: QueueAction) -> Result<(), ClientError> {
        self.check()
    }
    async fn appointments_today(&self) -> Result<Vec<Appointment>, ClientError> {
        Ok(vec![])
    }
    async fn overview(&self, _c: CustomerId) -> Result<CustomerOverview, ClientError> {
        self.check()?;
        Ok(CustomerOverview {
            customer: customer(),
            tier_benefits: salon_shared::tier::TierRules::default().benefits(Tier::Normal),
            wallet: salon_shared::api::WalletView {
                stored_value: dec!(50),
                points: 300,
                points_lots: vec![],
            },
            packages: vec![],
            coupons: vec![],
            visits: vec![],
            appointments: vec![],
        })
    }
    async fn services(&self) -> Result<Vec<Service>, ClientError> {
        Ok(vec![
            service(1, "洗剪吹", dec!(88)),
            service(2, "染发", dec!(388)),
        ])
    }
    async fn products(&self) -> Result<Vec<Product>, ClientError> {
        Ok(vec![Product {
            id: ProductId(5),
            name: "发膜".into(),
            brand: String::new(),
            barcode: None,
            price: m(dec!(60)),
            stock: 3,
            active: true,
            created_at: Utc::now(),
        }])
    }
    async fn visit(&self, ticket: u64) -> Result<Option<Visit>, ClientError> {
        self.check()?;
        Ok(self.0.lock().expect("lock").visits.get(&ticket).cloned())
    }
    async fn record_visit(
        &self,
        ticket: u64,
        v: VisitInput,
        _key: String,
    ) -> Result<Visit, ClientError> {
        self.check()?;
        let visit = Visit {
            ticket_id: ticket,
            day: NaiveDate::from_ymd_opt(2026, 11, 30).expect("day"),
            customer_id: CustomerId(7),
            stylist: Some(StaffId(1)),
            services: v.services,
            products_used: v.products_used,
            formulas: v.formulas,
            notes: v.notes,
            recorded_at: Utc::now(),
            recorded_by: Some(StaffId(1)),
            photo_consent_at: v.photo_consent.then(Utc::now),
            photos: vec![],
        };
        self.0
            .lock()
            .expect("lock")
            .visits
            .insert(ticket, visit.clone());
        Ok(visit)
    }
    async fn add_photo(
        &self,
        ticket: u64,
        kind: PhotoKind,
        content_type: String,
        bytes: Vec<u8>,
        _key: String,
    ) -> Result<Visit, ClientError> {
        let mut s = self.0.lock().expect("lock");
        let v = s
            .visits
            .get_mut(&ticket)
            .ok_or_else(|| err(409, "visit_not_recorded"))?;
        if v.photo_consent_at.is_none() {
            return Err(err(409, "photo_consent_missing"));
        }
        let n = v.photos.len() as u32 + 1;
        v.photos.push(PhotoMeta {
            n,
            kind,
            content_type,
            bytes: bytes.len() as u32,
            at: Utc::now(),
        });
        Ok(v.clone())
    }
    async fn photo(&self, _ticket: u64, _n: u32) -> Result<Vec<u8>, ClientError> {
        Ok(vec![0x89, b'P', b'N', b'G'])
    }
    async fn member_settings(&self) -> Result<MemberSettings, ClientError> {
        Ok(MemberSettings::default())
    }
    async fn package_plans(&self) -> Result<Vec<PackagePlan>, ClientError> {
        Ok(vec![PackagePlan {
            id: 4,
            name: "洗吹10次卡".into(),
            service_id: ServiceId(1),
            uses: 10,
            price: m(dec!(320)),
            valid_days: None,
            active: true,
        }])
    }
    async fn coupon_defs(&self) -> Result<Vec<CouponDef>, ClientError> {
        Ok(vec![])
    }
    async fn top_up(
        &self,
        c: CustomerId,
        t: TopUpInput,
        key: String,
    ) -> Result<Checkout, ClientError> {
        self.0.lock().expect("lock").sales.push(format!(
            "top-up {} by {:?} for {c} ({key})",
            t.amount, t.tenders[0].method
        ));
        Ok(sale_checkout())
    }
    async fn sell_package(
        &self,
        c: CustomerId,
        p: PackageSaleInput,
        _key: String,
    ) -> Result<Checkout, ClientError> {
        self.0.lock().expect("lock").sales.push(format!(
            "plan {} by {:?} for {c}",
            p.plan_id, p.tenders[0].method
        ));
        Ok(sale_checkout())
    }
    async fn issue_coupon(
        &self,
        _c: CustomerId,
        _def: CouponDefId,
        _key: String,
    ) -> Result<(), ClientError> {
        Err(err(409, "coupon_limit"))
    }
    async fn preview(&self, c: CheckoutInput) -> Result<Bill, ClientError> {
        self.check()?;
        let items = c
            .items
            .iter()
            .map(|i| match *i {
                SaleItem::Service { id, qty } => Item {
                    item: ItemRef::Service {
                        id,
                        category: ServiceCategory::CutStyle,
                    },
                    name: "s".into(),
                    unit_price: m(if id == ServiceId(1) {
                        dec!(88)
                    } else {
                        dec!(388)
                    }),
                    qty,
                },
                SaleItem::Product { id, qty } => Item {
                    item: ItemRef::Product { id },
                    name: "p".into(),
                    unit_price: m(dec!(60)),
                    qty,
                },
            })
            .collect();
        price(&BillRequest {
            items,
            packages: vec![],
            tier: None,
            coupon: None,
            points: c.points,
            points_balance: 300,
            points_rules: PointsRules::default(),
        })
        .map_err(|e| err(422, e.code()))
    }
    async fn checkout(&self, c: CheckoutInput, key: String) -> Result<Checkout, ClientError> {
        self.check()?;
        let bill = self.preview(c.clone()).await?;
        let settlement = salon_shared::bill::settle(bill.due, &c.tenders, dec!(50))
            .map_err(|e| err(422, e.code()))?;
        let mut s = self.0.lock().expect("lock");
        if !s.charged.contains(&key) {
            s.charged.push(key);
        }
        if std::mem::take(&mut s.lose_next_answer) {
            return Err(ClientError::Network("answer lost".into()));
        }
        Ok(Checkout {
            id: CheckoutId(s.charged.len() as u64),
            number: "20261130-0001".into(),
            day: NaiveDate::from_ymd_opt(2026, 11, 30).expect("day"),
            at: Utc::now(),
            kind: salon_shared::api::CheckoutKind::Sale {
                ticket_id: c.ticket_id,
                stylist: None,
            },
            customer_id: Some(CustomerId(7)),
            customer_name: Some("王芳".into()),
            due: bill.due,
            bill: Some(bill),
            settlement,
            effects: Default::default(),
            staff_id: Some(StaffId(1)),
            stored_value_after: None,
            points_after: None,
        })
    }
    async fn receipt(&self, _id: CheckoutId) -> Result<String, ClientError> {
        Ok("应付 Due  88.00".into())
    }
    async fn feedback(&self, f: FeedbackInput, _key: String) -> Result<(), ClientError> {
        self.0.lock().expect("lock").feedback.push(f);
        Ok(())
    }
}

async fn signed_in(fake: &Fake) -> Tablet<Fake> {
    let mut t = Tablet::new(fake.clone());
    t.load_staff().await;
    t.pick_staff(StaffId(1));
    for k in ["2", "4", "6", "8"] {
        t.pin_key(k);
    }
    t.sign_in().await;
    t
}

#[tokio::test]
async fn pin_sign_in_then_my_queue() {
    let fake = Fake::default();
    let mut t = Tablet::new(fake.clone());
    t.load_staff().await;
    assert_eq!(t.staff.len(), 2);
    t.sign_in().await;
    assert_eq!(
        (t.screen, t.problem),
        (Screen::SignIn, Some("pick_yourself"))
    );
    t.pick_staff(StaffId(1));
    for k in ["1", "1", "1", "1"] {
        t.pin_key(k);
    }
    t.sign_in().await;
    assert_eq!(
        (t.screen, t.problem, t.pin.as_str()),
        (Screen::SignIn, Some("pin_wrong"), "")
    );

    let t = signed_in(&fake).await;
    assert_eq!(t.screen, Screen::Queue);
    // Mine: my ticket in service and my finished, unpaid one; not Amy's.
    let mine: Vec<u64> = t.shown_queue().iter().map(|e| e.ticket.id).collect();
    assert_eq!(mine, vec![1, 3]);
}

#[tokio::test]
async fn record_then_checkout_split_with_change_charged_once() {
    let fake = Fake::default();
    let mut t = signed_in(&fake).await;
    t.open_ticket(1).await;
    assert_eq!(t.screen, Screen::Customer);
    assert_eq!(
        t.customer
            .as_ref()
            .map(|c| c.customer.care.allergies.clone()),
        Some(vec!["PPD".to_string()])
    );

    // The record starts from the services checked in for.
    t.to_record().await;
    assert_eq!(
        (t.screen, t.record.services.clone()),
        (Screen::Record, vec![ServiceId(1)])
    );
    t.toggle_record_service(ServiceId(2));
    t.record_product(ProductId(5), 1);
    t.record_product(ProductId(5), 1);
    t.record_product(ProductId(5), -1);
    t.set_formula("7/1 + 8/0 1:1 6%");
    // Photos need the customer's consent, recorded with the visit.
    t.add_photo(PhotoKind::Before, "image/png", vec![1, 2, 3])
        .await;
    assert_eq!(
        (t.problem, t.photos.len()),
        (Some("photo_consent_missing"), 0)
    );
    t.toggle_photo_consent();
    t.add_photo(PhotoKind::Before, "image/png", vec![1, 2, 3])
        .await;
    assert_eq!(
        (t.problem, t.photos.len(), t.screen),
        (None, 1, Screen::Record)
    );
    t.save_record().await;
    assert_eq!(t.screen, Screen::Customer);
    let saved = fake
        .0
        .lock()
        .expect("lock")
        .visits
        .get(&1)
        .cloned()
        .expect("saved");
    assert_eq!(saved.services, vec![ServiceId(1), ServiceId(2)]);
    assert_eq!(
        saved.products_used,
        vec![ProductUse {
            product_id: ProductId(5),
            qty: 1
        }]
    );
    assert_eq!(saved.formulas[0].text, "7/1 + 8/0 1:1 6%");

    // The bill starts from the record: 88 + 388; a product is added.
    t.to_checkout().await;
    assert_eq!(t.screen, Screen::Checkout);
    assert_eq!(t.due(), dec!(476));
    t.add_product(ProductId(5)).await;
    assert_eq!(t.due(), dec!(536));
    t.step_points(100).await;
    assert_eq!(t.due(), dec!(535));
    t.step_points(1000).await;
    assert_eq!((t.cart.points, t.due()), (300, dec!(533)));

    // 50 from stored value, the rest in cash: 400 is short, 600 gives 117 change.
    t.use_balance(true);
    assert_eq!((t.cart.stored, t.rest_due()), (dec!(50), dec!(483)));
    t.pay().await;
    assert_eq!(t.problem, Some("choose_payment"));
    t.pay_rest_by(Rest::Cash);
    for k in ["4", "0", "0"] {
        t.cash_key(k);
    }
    t.pay().await;
    assert_eq!(
        (t.screen, t.problem),
        (Screen::Checkout, Some("payment_short"))
    );
    t.cash_key("¥600");
    assert_eq!(t.change(), Some(dec!(117)));

    // The answer is lost on the way back: paying again sends the same key.
    fake.0.lock().expect("lock").lose_next_answer = true;
    t.pay().await;
    assert_eq!((t.screen, t.problem), (Screen::Checkout, Some("offline")));
    t.pay().await;
    assert_eq!(t.screen, Screen::Receipt);
    assert_eq!(
        fake.0.lock().expect("lock").charged.len(),
        1,
        "one bill, one charge"
    );
    assert!(t.receipt.contains("88.00"));
    let paid = t.paid.clone().expect("paid");
    assert_eq!(paid.settlement.change.amount(), dec!(117));

    // The customer rates the visit on the tablet.
    t.hand_over();
    t.rate(0, 5);
    t.send_feedback().await;
    assert_eq!(t.problem, Some("need_ratings"));
    for q in 1..SCORES {
        t.rate(q, 4);
    }
    t.send_feedback().await;
    assert_eq!(t.screen, Screen::Thanks);
    assert_eq!(fake.0.lock().expect("lock").feedback[0].ticket_id, 1);
    t.done().await;
    assert_eq!(t.screen, Screen::Queue);
}

#[tokio::test]
async fn an_expired_session_signs_out() {
    let fake = Fake::default();
    let mut t = signed_in(&fake).await;
    fake.0.lock().expect("lock").session_expired = true;
    t.open_ticket(1).await;
    assert_eq!(
        (t.screen, t.problem, t.me.is_none()),
        (Screen::SignIn, Some("signed_out"), true)
    );
}

#[tokio::test]
async fn mobile_payment_needs_its_reference() {
    let fake = Fake::default();
    let mut t = signed_in(&fake).await;
    t.open_ticket(1).await;
    t.to_checkout().await;
    t.pay_rest_by(Rest::Mobile);
    t.pay().await;
    assert_eq!(t.problem, Some("reference_required"));
    t.cart.reference = "WX4200012".into();
    t.pay().await;
    assert_eq!(t.screen, Screen::Receipt);
}

#[tokio::test]
async fn member_sales_from_the_profile() {
    let fake = Fake::default();
    let mut t = signed_in(&fake).await;
    t.open_ticket(1).await;
    t.to_sell().await;
    assert_eq!((t.screen, t.shop.plans.len()), (Screen::Sell, 1));
    t.sell().await;
    assert_eq!(t.problem, Some("choose_sale"));
    // A top-up cannot be paid from stored value.
    t.choose_sale(Sale::TopUp(m(dec!(1000))));
    t.sale_method(PayMethod::StoredValue);
    assert_eq!(t.shop.method, None);
    t.sale_method(PayMethod::Cash);
    t.sell().await;
    assert_eq!(t.screen, Screen::Receipt);
    // Back to the customer, not the queue, after a member sale.
    t.done().await;
    assert_eq!(t.screen, Screen::Customer);
    t.to_sell().await;
    t.choose_sale(Sale::Package(4));
    t.sale_method(PayMethod::StoredValue);
    assert_eq!(t.sale_price(), Some(m(dec!(320))));
    t.sell().await;
    let sales = fake.0.lock().expect("lock").sales.clone();
    assert_eq!(sales.len(), 2);
    assert!(
        sales[0].starts_with("top-up 1000.00 by Cash for 7"),
        "{sales:?}"
    );
    assert_eq!(sales[1], "plan 4 by StoredValue for 7");
    t.give_coupon(CouponDefId(1)).await;
    assert_eq!(t.problem, Some("coupon_limit"));
}
