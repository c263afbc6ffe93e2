//! The check-in flow's controller (CHK-1..5, CHK-7, CHK-8): plain state and rules over a
//! [`StoreApi`], with no Slint types, so every step is tested against a fake store.

use salon_shared::api::{
    BalkRequest, CheckInCustomer, CheckInRequest, CheckInResponse, KioskCustomer, KioskIdentify,
    KioskRegister, QuoteResponse, StylistQuote,
};
use salon_shared::client::{Client, ClientError};
use salon_shared::customer::Gender;
use salon_shared::{Phone, Service, ServiceId, StaffId};
use std::future::Future;

/// What the kiosk needs from the store server.
pub trait StoreApi {
    fn identify(
        &self,
        q: KioskIdentify,
    ) -> impl Future<Output = Result<KioskCustomer, ClientError>>;
    fn register(
        &self,
        r: KioskRegister,
        key: String,
    ) -> impl Future<Output = Result<KioskCustomer, ClientError>>;
    fn services(&self) -> impl Future<Output = Result<Vec<Service>, ClientError>>;
    fn quote(
        &self,
        services: Vec<ServiceId>,
    ) -> impl Future<Output = Result<QuoteResponse, ClientError>>;
    fn check_in(
        &self,
        r: CheckInRequest,
        key: String,
    ) -> impl Future<Output = Result<CheckInResponse, ClientError>>;
    fn balk(&self, b: BalkRequest, key: String) -> impl Future<Output = Result<(), ClientError>>;
}

impl StoreApi for Client {
    async fn identify(&self, q: KioskIdentify) -> Result<KioskCustomer, ClientError> {
        self.kiosk_identify(&q).await
    }
    async fn register(&self, r: KioskRegister, key: String) -> Result<KioskCustomer, ClientError> {
        self.kiosk_register(&r, Some(&key)).await
    }
    async fn services(&self) -> Result<Vec<Service>, ClientError> {
        Client::services(self, false).await
    }
    async fn quote(&self, services: Vec<ServiceId>) -> Result<QuoteResponse, ClientError> {
        Client::quote(self, &services).await
    }
    async fn check_in(
        &self,
        r: CheckInRequest,
        key: String,
    ) -> Result<CheckInResponse, ClientError> {
        Client::check_in(self, &r, Some(&key)).await
    }
    async fn balk(&self, b: BalkRequest, key: String) -> Result<(), ClientError> {
        Client::balk(self, &b, Some(&key)).await.map(|_| ())
    }
}

/// Where the customer is in the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Welcome,
    /// Typing a phone number on the keypad.
    Phone,
    /// A new customer: surname, how to address them, optional birthday, consent.
    Register,
    Services,
    /// Next available and each stylist's wait, side by side.
    Stylist,
    Ticket,
}

/// How a new customer wants to be addressed, picked without a keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Title {
    /// 女士
    Ms,
    /// 先生
    Mr,
}

/// The registration form, filled by taps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterForm {
    pub surname: String,
    pub title: Option<Title>,
    pub birthday: Option<chrono::NaiveDate>,
    pub consent: bool,
}

/// One customer's visit to the kiosk, from welcome to ticket.
pub struct CheckIn<A: StoreApi> {
    api: A,
    pub step: Step,
    /// Digits typed so far.
    pub phone: String,
    pub customer: Option<KioskCustomer>,
    pub form: RegisterForm,
    pub catalog: Vec<Service>,
    pub chosen: Vec<ServiceId>,
    pub quote: Option<QuoteResponse>,
    pub ticket: Option<CheckInResponse>,
    /// What to tell the customer when something went wrong (shown on the current step).
    pub problem: Option<String>,
    /// Fresh for each visit, so a retried write is performed once.
    visit: String,
}

/// The longest phone number the keypad takes (international numbers with their `+`).
const MAX_DIGITS: usize = 16;

impl<A: StoreApi> CheckIn<A> {
    /// `visit` is a unique id for this customer's visit (idempotency keys derive from it).
    pub fn new(api: A, visit: String) -> CheckIn<A> {
        CheckIn {
            api,
            step: Step::Welcome,
            phone: String::new(),
            customer: None,
            form: RegisterForm::default(),
            catalog: Vec::new(),
            chosen: Vec::new(),
            quote: None,
            ticket: None,
            problem: None,
            visit,
        }
    }

    /// Back to the welcome screen with nothing of this customer left (CHK-7).
    pub fn reset(&mut self, visit: String) {
        self.step = Step::Welcome;
        self.phone.clear();
        self.customer = None;
        self.form = RegisterForm::default();
        self.catalog.clear();
        self.chosen.clear();
        self.quote = None;
        self.ticket = None;
        self.problem = None;
        self.visit = visit;
    }

    pub fn start(&mut self) {
        self.step = Step::Phone;
    }

    pub fn digit(&mut self, c: char) {
        if (c.is_ascii_digit() || (c == '+' && self.phone.is_empty()))
            && self.phone.len() < MAX_DIGITS
        {
            self.phone.push(c);
            self.problem = None;
        }
    }

    pub fn backspace(&mut self) {
        self.phone.pop();
    }

    /// The number as typed, masked for the screen beside the keypad.
    pub fn phone_shown(&self) -> String {
        Phone::parse(&self.phone)
            .map(|p| p.masked())
            .unwrap_or_else(|_| self.phone.clone())
    }

    async fn identified(&mut self, r: Result<KioskCustomer, ClientError>, unknown: Step) {
        match r {
            Ok(c) => {
                self.customer = Some(c);
                self.load_services().await;
            }
            Err(e) if e.code() == "customer_not_found" => {
                self.step = unknown;
                if unknown == Step::Phone {
                    self.problem = Some("这张卡未登记，请输入手机号 · Card not known: please enter your phone number".into());
                }
            }
            Err(e) => self.problem = Some(explain(&e)),
        }
    }

    /// The keypad's OK: a returning customer goes on to services, a new one to registration.
    pub async fn submit_phone(&mut self) {
        if Phone::parse(&self.phone).is_err() {
            self.problem = Some("请输入正确的手机号 · Please enter a valid mobile number".into());
            return;
        }
        let r = self
            .api
            .identify(KioskIdentify {
                phone: Some(self.phone.clone()),
                card: None,
            })
            .await;
        self.identified(r, Step::Register).await;
    }

    /// A card scan from any screen of the flow.
    pub async fn scanned(&mut self, card: &str) {
        let r = self
            .api
            .identify(KioskIdentify {
                phone: None,
                card: Some(card.to_string()),
            })
            .await;
        self.identified(r, Step::Phone).await;
    }

    /// Registers the new customer from the form (consent is required).
    pub async fn submit_register(&mut self) {
        let (Some(title), false) = (self.form.title, self.form.surname.trim().is_empty()) else {
            self.problem =
                Some("请选择姓氏和称呼 · Please pick your surname and how to address you".into());
            return;
        };
        if !self.form.consent {
            self.problem =
                Some("请同意我们保存您的资料 · Please agree to us keeping your details".into());
            return;
        }
        let r = KioskRegister {
            name: self.form.surname.trim().to_string(),
            phone: self.phone.clone(),
            gender: match title {
                Title::Ms => Gender::Female,
                Title::Mr => Gender::Male,
            },
            birthday: self.form.birthday,
            consent: true,
        };
        let key = format!("{}-register", self.visit);
        match self.api.register(r, key).await {
            Ok(c) => {
                self.customer = Some(c);
                self.load_services().await;
            }
            Err(e) => self.problem = Some(explain(&e)),
        }
    }

    async fn load_services(&mut self) {
        match self.api.services().await {
            Ok(list) => {
                self.catalog = list.into_iter().filter(|s| s.active).collect();
                self.step = Step::Services;
                self.problem = None;
            }
            Err(e) => self.problem = Some(explain(&e)),
        }
    }

    pub fn toggle_service(&mut self, id: ServiceId) {
        match self.chosen.iter().position(|s| *s == id) {
            Some(i) => {
                self.chosen.remove(i);
            }
            None if self.chosen.len() < 5 => self.chosen.push(id),
            None => {}
        }
    }

    /// On to the stylist choice, with every wait fetched for the chosen services.
    pub async fn to_stylist(&mut self) {
        if self.chosen.is_empty() {
            self.problem = Some("请至少选择一项服务 · Please choose at least one service".into());
            return;
        }
        match self.api.quote(self.chosen.clone()).await {
            Ok(q) => {
                self.quote = Some(q);
                self.step = Step::Stylist;
                self.problem = None;
            }
            Err(e) => self.problem = Some(explain(&e)),
        }
    }

    /// Joins the queue with `stylist` (or next available when `None`).
    pub async fn choose(&mut self, stylist: Option<StaffId>) {
        let Some(c) = &self.customer else { return };
        let req = CheckInRequest {
            customer: CheckInCustomer {
                id: Some(c.id),
                ..Default::default()
            },
            services: self.chosen.clone(),
            stylist,
        };
        match self
            .api
            .check_in(req, format!("{}-checkin", self.visit))
            .await
        {
            Ok(t) => {
                self.ticket = Some(t);
                self.step = Step::Ticket;
                self.problem = None;
            }
            Err(e) => self.problem = Some(explain(&e)),
        }
    }

    /// The customer saw the waits and walks away: counted with the quote they saw (CHK-8).
    pub async fn walk_away(&mut self, visit: String) {
        if self.step == Step::Stylist
            && let Some(q) = self.quote.as_ref().and_then(|q| q.next_available.as_ref())
        {
            let b = BalkRequest {
                quoted: q.wait,
                stylist: Some(q.stylist),
                services: self.chosen.clone(),
                customer_id: self.customer.as_ref().map(|c| c.id),
            };
            // A lost balk costs a statistic, not a customer: no retry queue for it.
            let _ = self.api.balk(b, format!("{}-balk", self.visit)).await;
        }
        self.reset(visit);
    }

    /// The stylists to show, next available first.
    pub fn choices(&self) -> Vec<(Option<StaffId>, StylistQuote)> {
        let Some(q) = &self.quote else {
            return Vec::new();
        };
        q.next_available
            .iter()
            .map(|n| (None, n.clone()))
            .chain(q.stylists.iter().map(|s| (Some(s.stylist), s.clone())))
            .collect()
    }
}

/// What a customer is told when a call fails.
fn explain(e: &ClientError) -> String {
    match e {
        ClientError::Network(_) => "网络暂时中断，正在重试 · The connection dropped, retrying".into(),
        ClientError::Api { code, .. } if code == "already_checked_in" => "您已在排队中 · You are already in the queue".into(),
        ClientError::Api { code, .. } if code == "no_stylist_available" || code == "stylist_unavailable" => {
            "所选设计师今天无法服务，请另选 · That stylist cannot take this today, please choose another".into()
        }
        _ => "出了点问题，请联系前台 · Something went wrong, please ask at the front desk".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use salon_shared::api::{Ticket, TicketSource, TicketState, WaitRange};
    use salon_shared::{CustomerId, Money, ServiceCategory, StaffLevel, Tier};
    use std::cell::RefCell;

    /// A store in memory: one known customer (phone 13800138000, card 8800000001).
    #[derive(Default)]
    struct Fake {
        down: bool,
        calls: RefCell<Vec<String>>,
    }

    fn err(code: &str, status: u16) -> ClientError {
        ClientError::Api {
            status,
            code: code.into(),
            message: String::new(),
        }
    }

    fn known() -> KioskCustomer {
        KioskCustomer {
            id: CustomerId(7),
            greeting: "王女士".into(),
            masked_phone: "138****8000".into(),
            tier: Tier::Gold,
        }
    }

    impl Fake {
        fn log(&self, s: String) -> Result<(), ClientError> {
            self.calls.borrow_mut().push(s);
            if self.down {
                Err(ClientError::Network("down".into()))
            } else {
                Ok(())
            }
        }
    }

    impl StoreApi for &Fake {
        async fn identify(&self, q: KioskIdentify) -> Result<KioskCustomer, ClientError> {
            self.log(format!("identify {:?} {:?}", q.phone, q.card))?;
            match (q.phone.as_deref(), q.card.as_deref()) {
                (Some("13800138000"), _) | (_, Some("8800000001")) => Ok(known()),
                _ => Err(err("customer_not_found", 404)),
            }
        }
        async fn register(
            &self,
            r: KioskRegister,
            key: String,
        ) -> Result<KioskCustomer, ClientError> {
            self.log(format!("register {} {:?} {key}", r.name, r.gender))?;
            Ok(KioskCustomer {
                id: CustomerId(8),
                greeting: format!("{}先生", r.name),
                masked_phone: "139****0000".into(),
                tier: Tier::Normal,
            })
        }
        async fn services(&self) -> Result<Vec<Service>, ClientError> {
            self.log("services".into())?;
            let input = salon_shared::service::ServiceInput {
                category: ServiceCategory::CutStyle,
                name: "洗剪吹".into(),
                description: String::new(),
                suitable_for: String::new(),
                price: Money::new(68.into()).expect("money"),
                level_prices: Default::default(),
                duration_min: 45,
            };
            Ok(vec![input.into_service(ServiceId(1), chrono::Utc::now())])
        }
        async fn quote(&self, services: Vec<ServiceId>) -> Result<QuoteResponse, ClientError> {
            self.log(format!("quote {services:?}"))?;
            let q = |id, low| StylistQuote {
                stylist: StaffId(id),
                name: format!("S{id}"),
                level: StaffLevel::Senior,
                wait: WaitRange {
                    low,
                    high: low + 10,
                },
            };
            Ok(QuoteResponse {
                next_available: Some(q(3, 5)),
                stylists: vec![q(3, 5), q(4, 40)],
            })
        }
        async fn check_in(
            &self,
            r: CheckInRequest,
            key: String,
        ) -> Result<CheckInResponse, ClientError> {
            self.log(format!("check_in {:?} {key}", r.stylist))?;
            let ticket = Ticket {
                id: 1,
                day: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
                number: "A001".into(),
                customer_id: r.customer.id.expect("id"),
                services: r.services,
                requested: r.stylist,
                stylist: Some(r.stylist.unwrap_or(StaffId(3))),
                source: TicketSource::WalkIn,
                state: TicketState::Waiting,
                rank: 0,
                created_at: chrono::Utc::now(),
                called_at: None,
                started_at: None,
                finished_at: None,
                quoted: WaitRange { low: 5, high: 15 },
            };
            Ok(CheckInResponse {
                position: 1,
                stylist_name: Some("S3".into()),
                wait: ticket.quoted,
                customer: known(),
                appointment_id: None,
                ticket,
            })
        }
        async fn balk(&self, b: BalkRequest, key: String) -> Result<(), ClientError> {
            self.log(format!("balk {}-{} {key}", b.quoted.low, b.quoted.high))
        }
    }

    fn run<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn returning_customer_by_phone_gets_a_ticket() {
        let fake = Fake::default();
        let mut c = CheckIn::new(&fake, "v1".into());
        c.start();
        for d in "13800138000".chars() {
            c.digit(d);
        }
        assert_eq!(c.phone_shown(), "138****8000");
        run(c.submit_phone());
        assert_eq!(c.step, Step::Services);
        assert_eq!(
            c.customer.as_ref().map(|k| k.greeting.as_str()),
            Some("王女士")
        );
        c.toggle_service(ServiceId(1));
        run(c.to_stylist());
        assert_eq!(c.step, Step::Stylist);
        let choices = c.choices();
        assert_eq!(choices.len(), 3, "next available plus each stylist");
        assert_eq!(choices[0].0, None);
        run(c.choose(Some(StaffId(4))));
        assert_eq!(c.step, Step::Ticket);
        assert_eq!(
            c.ticket.as_ref().map(|t| t.ticket.number.as_str()),
            Some("A001")
        );
        assert!(
            fake.calls
                .borrow()
                .iter()
                .any(|s| s == "check_in Some(StaffId(4)) v1-checkin")
        );
    }

    #[test]
    fn a_new_number_goes_to_registration_and_needs_consent() {
        let fake = Fake::default();
        let mut c = CheckIn::new(&fake, "v2".into());
        c.start();
        for d in "13900139000".chars() {
            c.digit(d);
        }
        run(c.submit_phone());
        assert_eq!(c.step, Step::Register);
        c.form.surname = "李".into();
        c.form.title = Some(Title::Mr);
        run(c.submit_register());
        assert_eq!(c.step, Step::Register, "no consent, no registration");
        assert!(c.problem.is_some());
        c.form.consent = true;
        run(c.submit_register());
        assert_eq!(c.step, Step::Services);
        assert_eq!(
            c.customer.as_ref().map(|k| k.greeting.as_str()),
            Some("李先生")
        );
        assert!(
            fake.calls
                .borrow()
                .iter()
                .any(|s| s == "register 李 Male v2-register")
        );
    }

    #[test]
    fn card_scans_and_bad_numbers() {
        let fake = Fake::default();
        let mut c = CheckIn::new(&fake, "v3".into());
        run(c.scanned("8800000001"));
        assert_eq!(c.step, Step::Services);
        c.reset("v4".into());
        run(c.scanned("8899999999"));
        assert_eq!(
            c.step,
            Step::Phone,
            "an unknown card falls back to the keypad"
        );
        assert!(c.problem.is_some());
        for d in "123".chars() {
            c.digit(d);
        }
        run(c.submit_phone());
        assert_eq!(c.step, Step::Phone);
        assert!(
            fake.calls
                .borrow()
                .iter()
                .all(|s| !s.contains("Some(\"123\")")),
            "an invalid number is not sent"
        );
    }

    #[test]
    fn walking_away_records_a_balk_and_forgets_the_customer() {
        let fake = Fake::default();
        let mut c = CheckIn::new(&fake, "v5".into());
        run(c.scanned("8800000001"));
        c.toggle_service(ServiceId(1));
        run(c.to_stylist());
        run(c.walk_away("v6".into()));
        assert_eq!(c.step, Step::Welcome);
        assert!(c.customer.is_none() && c.chosen.is_empty() && c.quote.is_none());
        assert!(fake.calls.borrow().iter().any(|s| s == "balk 5-15 v5-balk"));
    }

    #[test]
    fn a_network_drop_keeps_the_step_and_says_so() {
        let fake = Fake {
            down: true,
            ..Default::default()
        };
        let mut c = CheckIn::new(&fake, "v7".into());
        c.start();
        for d in "13800138000".chars() {
            c.digit(d);
        }
        run(c.submit_phone());
        assert_eq!(c.step, Step::Phone);
        assert!(c.problem.as_deref().is_some_and(|p| p.contains("retrying")));
    }

    #[test]
    fn the_keypad_takes_digits_only() {
        let fake = Fake::default();
        let mut c = CheckIn::new(&fake, "v8".into());
        for ch in "+86a138-0013 8000+".chars() {
            c.digit(ch);
        }
        assert_eq!(
            c.phone, "+8613800138000",
            "letters, dashes, spaces and a late + are ignored"
        );
        for _ in 0..10 {
            c.digit('9');
        }
        assert_eq!(c.phone.len(), MAX_DIGITS);
        c.backspace();
        assert_eq!(c.phone.len(), MAX_DIGITS - 1);
    }
}
