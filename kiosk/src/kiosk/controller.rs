//! The check-in flow's controller (CHK-1..8): plain state and rules over a [`StoreApi`],
//! with no Slint types, so every step is tested against a fake store.

use crate::pending::{Pending, PendingCheckIn};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use salon_shared::api::{
    BalkRequest, CheckInCustomer, CheckInRequest, CheckInResponse, FeedbackInput, KioskCustomer,
    KioskIdentify, KioskRegister, QuoteResponse, StylistQuote,
};
use salon_shared::client::{Client, ClientError};
use salon_shared::customer::Gender;
use salon_shared::{Phone, Service, ServiceCategory, ServiceId, StaffId};
use std::future::Future;

/// What the kiosk needs from the store server.
pub trait StoreApi: Clone {
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
    fn feedback(
        &self,
        f: FeedbackInput,
        key: String,
    ) -> impl Future<Output = Result<(), ClientError>>;
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
    async fn feedback(&self, f: FeedbackInput, key: String) -> Result<(), ClientError> {
        Client::feedback(self, &f, Some(&key)).await.map(|_| ())
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
    /// A customer with a booking today confirms it (CHK-4).
    Appointment,
    Services,
    /// Next available and each stylist's wait, side by side.
    Stylist,
    Ticket,
    /// Rating today's finished visit (CHK-6).
    Feedback,
    Thanks,
}

/// What went wrong, as a code the screens translate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    PhoneInvalid,
    CardUnknown,
    NeedName,
    NeedConsent,
    NeedService,
    NeedRatings,
    Offline,
    AlreadyCheckedIn,
    StylistUnavailable,
    AlreadyRated,
    Failed,
}

impl Problem {
    pub fn code(self) -> &'static str {
        match self {
            Problem::PhoneInvalid => "phone_invalid",
            Problem::CardUnknown => "card_unknown",
            Problem::NeedName => "need_name",
            Problem::NeedConsent => "need_consent",
            Problem::NeedService => "need_service",
            Problem::NeedRatings => "need_ratings",
            Problem::Offline => "offline",
            Problem::AlreadyCheckedIn => "already_checked_in",
            Problem::StylistUnavailable => "stylist_unavailable",
            Problem::AlreadyRated => "already_rated",
            Problem::Failed => "failed",
        }
    }

    /// What a customer is told when a call fails.
    fn of(e: &ClientError) -> Problem {
        match e.code() {
            _ if e.is_retryable() => Problem::Offline,
            "already_checked_in" => Problem::AlreadyCheckedIn,
            "no_stylist_available" | "stylist_unavailable" => Problem::StylistUnavailable,
            "already_rated" => Problem::AlreadyRated,
            _ => Problem::Failed,
        }
    }
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
    pub birthday: Option<NaiveDate>,
    pub consent: bool,
}

/// Which part of the birthday a stepper moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePart {
    Year,
    Month,
    Day,
}

impl RegisterForm {
    /// Moves one part of the birthday by `delta`, starting from 1990-01-01 when none is set;
    /// the day is kept within the month and the date never in the future or before 1900.
    pub fn step_birthday(&mut self, part: DatePart, delta: i32, today: NaiveDate) {
        let d = self
            .birthday
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(today));
        let (mut y, mut m, mut day) = (d.year(), d.month() as i32, d.day() as i32);
        match part {
            DatePart::Year => y += delta,
            DatePart::Month => m = (m - 1 + delta).rem_euclid(12) + 1,
            DatePart::Day => day += delta,
        }
        y = y.clamp(1900, today.year());
        let m = m as u32;
        let last = (28..=31)
            .rev()
            .find(|&n| NaiveDate::from_ymd_opt(y, m, n).is_some())
            .unwrap_or(28);
        let day = if part == DatePart::Day {
            (day - 1).rem_euclid(last as i32) as u32 + 1
        } else {
            (day as u32).min(last)
        };
        self.birthday = NaiveDate::from_ymd_opt(y, m, day).map(|b| b.min(today));
    }
}

/// The scores of the feedback screen: overall, service, stylist, environment (1–5) and
/// "would you recommend us" (0–10).
pub const SCORES: usize = 5;

/// Quick comment phrases a customer can tap instead of typing (no pinyin keyboard on a
/// kiosk). Stored in Chinese, the store's language; the screens show them translated.
pub const PHRASES: [&str; 6] = [
    "非常专业",
    "热情周到",
    "效果很满意",
    "环境舒适干净",
    "等待太久",
    "价格偏高",
];

/// The comment made of the phrases tapped, in the list's order.
pub fn comment_of(on: &[bool]) -> String {
    PHRASES
        .iter()
        .zip(on)
        .filter(|(_, on)| **on)
        .map(|(p, _)| *p)
        .collect::<Vec<_>>()
        .join("；")
}

/// One customer's visit to the kiosk, from welcome to ticket or rating.
pub struct CheckIn<A: StoreApi> {
    api: A,
    pub step: Step,
    /// Digits typed so far.
    pub phone: String,
    pub customer: Option<KioskCustomer>,
    /// How the customer at hand identified (phone or card): the check-in names them the
    /// same way, since a kiosk may not check anyone in by a bare id.
    identified_by: CheckInCustomer,
    pub form: RegisterForm,
    pub catalog: Vec<Service>,
    /// The category shown on the services screen (index into [`CheckIn::categories`]).
    pub category: usize,
    pub chosen: Vec<ServiceId>,
    pub quote: Option<QuoteResponse>,
    pub ticket: Option<CheckInResponse>,
    /// The check-in was confirmed but the server could not be reached: it waits in
    /// `pending` and is sent when the connection is back.
    pub queued: bool,
    pub scores: [Option<u8>; SCORES],
    pub phrases: [bool; PHRASES.len()],
    /// What to tell the customer when something went wrong (shown on the current step).
    pub problem: Option<Problem>,
    /// Confirmed check-ins not yet acknowledged, kept on disk.
    pending: Pending,
    /// Fresh for each visit, so a retried write is performed once.
    visit: String,
}

/// The longest phone number the keypad takes (international numbers with their `+`).
const MAX_DIGITS: usize = 16;
/// The most services one check-in takes.
const MAX_SERVICES: usize = 5;

impl<A: StoreApi> CheckIn<A> {
    /// `visit` is a unique id for this customer's visit (idempotency keys derive from it).
    pub fn new(api: A, pending: Pending, visit: String) -> CheckIn<A> {
        CheckIn {
            api,
            step: Step::Welcome,
            phone: String::new(),
            customer: None,
            identified_by: CheckInCustomer::default(),
            form: RegisterForm::default(),
            catalog: Vec::new(),
            category: 0,
            chosen: Vec::new(),
            quote: None,
            ticket: None,
            queued: false,
            scores: [None; SCORES],
            phrases: [false; PHRASES.len()],
            problem: None,
            pending,
            visit,
        }
    }

    /// Back to the welcome screen with nothing of this customer left (CHK-7).
    pub fn reset(&mut self, visit: String) {
        let pending = std::mem::take(&mut self.pending);
        *self = CheckIn::new(self.api.clone(), pending, visit);
    }

    pub fn start(&mut self) {
        self.step = Step::Phone;
        self.problem = None;
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
                let next = if c.to_rate.is_some() {
                    Step::Feedback
                } else if c.appointment.is_some() {
                    Step::Appointment
                } else {
                    Step::Services
                };
                self.customer = Some(c);
                self.problem = None;
                // Every next step names services, so the catalog comes first.
                if self.load_catalog().await {
                    self.step = next;
                }
            }
            Err(e) if e.code() == "customer_not_found" => {
                self.step = unknown;
                self.problem = (unknown == Step::Phone).then_some(Problem::CardUnknown);
            }
            Err(e) => self.problem = Some(Problem::of(&e)),
        }
    }

    /// The keypad's OK: a returning customer goes on, a new one to registration.
    pub async fn submit_phone(&mut self) {
        if Phone::parse(&self.phone).is_err() {
            self.problem = Some(Problem::PhoneInvalid);
            return;
        }
        self.identified_by = CheckInCustomer {
            phone: Some(self.phone.clone()),
            ..Default::default()
        };
        let r = self
            .api
            .identify(KioskIdentify {
                phone: Some(self.phone.clone()),
                card: None,
            })
            .await;
        self.identified(r, Step::Register).await;
    }

    /// A card scan (the screens pass it on only while the kiosk is idle).
    pub async fn scanned(&mut self, card: &str) {
        self.identified_by = CheckInCustomer {
            card: Some(card.to_string()),
            ..Default::default()
        };
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
            self.problem = Some(Problem::NeedName);
            return;
        };
        if !self.form.consent {
            self.problem = Some(Problem::NeedConsent);
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
                if self.load_catalog().await {
                    self.step = Step::Services;
                }
            }
            Err(e) => self.problem = Some(Problem::of(&e)),
        }
    }

    /// Loads the services on offer; false (with the problem set) when that failed.
    async fn load_catalog(&mut self) -> bool {
        match self.api.services().await {
            Ok(list) => {
                self.catalog = list.into_iter().filter(|s| s.active).collect();
                self.category = 0;
                self.problem = None;
                true
            }
            Err(e) => {
                self.problem = Some(Problem::of(&e));
                false
            }
        }
    }

    /// The names of `ids` from the catalog, for the booking and rating screens.
    pub fn service_names(&self, ids: &[ServiceId]) -> String {
        ids.iter()
            .filter_map(|id| self.catalog.iter().find(|s| s.id == *id))
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }

    /// The categories that have services, in the catalog's fixed order.
    pub fn categories(&self) -> Vec<ServiceCategory> {
        ServiceCategory::ALL
            .into_iter()
            .filter(|c| self.catalog.iter().any(|s| s.category == *c))
            .collect()
    }

    /// The services of the category on screen.
    pub fn shown_services(&self) -> Vec<&Service> {
        let Some(cat) = self.categories().get(self.category).copied() else {
            return Vec::new();
        };
        self.catalog.iter().filter(|s| s.category == cat).collect()
    }

    pub fn pick_category(&mut self, i: usize) {
        if i < self.categories().len() {
            self.category = i;
        }
    }

    pub fn toggle_service(&mut self, id: ServiceId) {
        match self.chosen.iter().position(|s| *s == id) {
            Some(i) => {
                self.chosen.remove(i);
            }
            None if self.chosen.len() < MAX_SERVICES && self.catalog.iter().any(|s| s.id == id) => {
                self.chosen.push(id);
                self.problem = None;
            }
            None => {}
        }
    }

    /// The chosen services' base prices added up, and their minutes.
    pub fn chosen_total(&self) -> (Decimal, u32) {
        self.catalog
            .iter()
            .filter(|s| self.chosen.contains(&s.id))
            .fold((Decimal::ZERO, 0), |(p, m), s| {
                (p + s.price.amount(), m + u32::from(s.duration_min))
            })
    }

    /// On to the stylist choice, with every wait fetched for the chosen services.
    pub async fn to_stylist(&mut self) {
        if self.chosen.is_empty() {
            self.problem = Some(Problem::NeedService);
            return;
        }
        match self.api.quote(self.chosen.clone()).await {
            Ok(q) => {
                self.quote = Some(q);
                self.step = Step::Stylist;
                self.problem = None;
            }
            Err(e) => self.problem = Some(Problem::of(&e)),
        }
    }

    /// Joins the queue with `stylist` (or next available when `None`).
    pub async fn choose(&mut self, stylist: Option<StaffId>) {
        let services = self.chosen.clone();
        self.confirm(services, stylist).await;
    }

    /// Checks the customer in against today's booking (CHK-4).
    pub async fn confirm_appointment(&mut self) {
        self.confirm(Vec::new(), None).await;
    }

    /// The customer confirmed: the check-in is kept on disk first, then sent. If the
    /// server cannot be reached it stays queued and is retried with the same key.
    async fn confirm(&mut self, services: Vec<ServiceId>, stylist: Option<StaffId>) {
        if self.customer.is_none() {
            return;
        }
        let item = PendingCheckIn {
            key: format!("{}-checkin", self.visit),
            request: CheckInRequest {
                customer: self.identified_by.clone(),
                services,
                stylist,
            },
        };
        if let Err(e) = self.pending.push(item.clone()) {
            eprintln!("cannot keep the check-in on disk: {e}");
        }
        let r = self.api.check_in(item.request, item.key.clone()).await;
        if !matches!(&r, Err(e) if e.is_retryable()) {
            self.pending.remove(&item.key);
        }
        match r {
            Ok(t) => {
                self.ticket = Some(t);
                self.step = Step::Ticket;
                self.problem = None;
            }
            Err(e) if e.is_retryable() => {
                self.queued = true;
                self.step = Step::Ticket;
                self.problem = None;
            }
            Err(e) => self.problem = Some(Problem::of(&e)),
        }
    }

    /// Sends the check-ins still waiting from earlier network drops; returns how many
    /// are still waiting.
    pub async fn flush_pending(&mut self) -> usize {
        self.pending.flush(&self.api).await;
        self.pending.items().len()
    }

    pub fn pending_count(&self) -> usize {
        self.pending.items().len()
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

    /// Sets score `i` (see [`SCORES`]); out-of-range taps are ignored.
    pub fn rate(&mut self, i: usize, value: u8) {
        let max = if i == SCORES - 1 { 10 } else { 5 };
        let min = if i == SCORES - 1 { 0 } else { 1 };
        if i < SCORES && (min..=max).contains(&value) {
            self.scores[i] = Some(value);
            self.problem = None;
        }
    }

    pub fn toggle_phrase(&mut self, i: usize) {
        if let Some(p) = self.phrases.get_mut(i) {
            *p = !*p;
        }
    }

    /// Sends the ratings of today's visit; every question needs an answer.
    pub async fn submit_feedback(&mut self) {
        let Some(visit) = self.customer.as_ref().and_then(|c| c.to_rate.as_ref()) else {
            return;
        };
        let [
            Some(overall),
            Some(service),
            Some(stylist),
            Some(environment),
            Some(recommend),
        ] = self.scores
        else {
            self.problem = Some(Problem::NeedRatings);
            return;
        };
        let comment = comment_of(&self.phrases);
        let f = FeedbackInput {
            ticket_id: visit.ticket_id,
            overall,
            service,
            stylist,
            environment,
            recommend,
            comment,
            by: Some(KioskIdentify {
                phone: self.identified_by.phone.clone(),
                card: self.identified_by.card.clone(),
            }),
        };
        match self
            .api
            .feedback(f, format!("{}-feedback", self.visit))
            .await
        {
            Ok(()) => {
                self.step = Step::Thanks;
                self.problem = None;
            }
            // Rated already (another device, or a retry that got through): nothing to add.
            Err(e) if e.code() == "already_rated" => {
                self.step = Step::Thanks;
                self.problem = None;
            }
            Err(e) => self.problem = Some(Problem::of(&e)),
        }
    }

    /// Not rating now: a booking still to check in comes next, else the services.
    pub fn skip_feedback(&mut self) {
        if let Some(c) = &mut self.customer {
            c.to_rate = None;
        }
        self.scores = [None; SCORES];
        self.phrases = [false; PHRASES.len()];
        self.problem = None;
        self.step = if self
            .customer
            .as_ref()
            .is_some_and(|c| c.appointment.is_some())
        {
            Step::Appointment
        } else {
            Step::Services
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use salon_shared::api::{Ticket, TicketSource, TicketState, WaitRange};
    use salon_shared::{CustomerId, Money, StaffLevel, Tier};
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
            appointment: None,
            to_rate: None,
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
                // A customer whose visit today is finished and not yet rated.
                (Some("13700137000"), _) => Ok(KioskCustomer {
                    to_rate: Some(salon_shared::api::KioskVisit {
                        ticket_id: 42,
                        number: "A007".into(),
                        stylist_name: Some("S3".into()),
                        services: vec![ServiceId(1)],
                    }),
                    ..known()
                }),
                // A customer with a booking at 15:00 today.
                (Some("13600136000"), _) => Ok(KioskCustomer {
                    appointment: Some(salon_shared::api::KioskAppointment {
                        id: 9,
                        start: chrono::Utc::now(),
                        time: "15:00".into(),
                        stylist_name: "S4".into(),
                        services: vec![ServiceId(1)],
                    }),
                    ..known()
                }),
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
                appointment: None,
                to_rate: None,
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
            assert!(
                r.customer.id.is_none()
                    && (r.customer.phone.is_some() || r.customer.card.is_some()),
                "the kiosk names the customer by phone or card: {:?}",
                r.customer
            );
            let ticket = Ticket {
                id: 1,
                day: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
                number: "A001".into(),
                customer_id: CustomerId(7),
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
        async fn feedback(&self, f: FeedbackInput, key: String) -> Result<(), ClientError> {
            self.log(format!(
                "feedback {} {} {} {} {} {} {:?} {:?} {key}",
                f.ticket_id,
                f.overall,
                f.service,
                f.stylist,
                f.environment,
                f.recommend,
                f.comment,
                f.by.and_then(|b| b.phone)
            ))
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
        let mut c = CheckIn::new(&fake, Pending::default(), "v1".into());
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
        let mut c = CheckIn::new(&fake, Pending::default(), "v2".into());
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
        assert_eq!(c.problem, Some(Problem::NeedConsent));
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
        let mut c = CheckIn::new(&fake, Pending::default(), "v3".into());
        run(c.scanned("8800000001"));
        assert_eq!(c.step, Step::Services);
        c.reset("v4".into());
        run(c.scanned("8899999999"));
        assert_eq!(
            c.step,
            Step::Phone,
            "an unknown card falls back to the keypad"
        );
        assert_eq!(c.problem, Some(Problem::CardUnknown));
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
        let mut c = CheckIn::new(&fake, Pending::default(), "v5".into());
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
        let mut c = CheckIn::new(&fake, Pending::default(), "v7".into());
        c.start();
        for d in "13800138000".chars() {
            c.digit(d);
        }
        run(c.submit_phone());
        assert_eq!(c.step, Step::Phone);
        assert_eq!(c.problem, Some(Problem::Offline));
    }

    #[test]
    fn the_keypad_takes_digits_only() {
        let fake = Fake::default();
        let mut c = CheckIn::new(&fake, Pending::default(), "v8".into());
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
    /// A kiosk where `phone` was typed and sent, over a fresh fake store.
    fn typed(phone: &str, visit: &str) -> CheckIn<&'static Fake> {
        let fake: &'static Fake = Box::leak(Box::default());
        let mut c = CheckIn::new(fake, Pending::default(), visit.into());
        c.start();
        for d in phone.chars() {
            c.digit(d);
        }
        run(c.submit_phone());
        c
    }

    #[test]
    fn a_finished_visit_is_rated_once_every_question_is_answered() {
        let mut c = typed("13700137000", "v9");
        assert_eq!(c.step, Step::Feedback, "a visit to rate comes first");
        c.rate(0, 5);
        c.rate(1, 4);
        c.rate(2, 5);
        c.rate(3, 9); // out of range for a 1–5 score: ignored
        c.rate(4, 10);
        run(c.submit_feedback());
        assert_eq!(c.step, Step::Feedback);
        assert_eq!(c.problem, Some(Problem::NeedRatings));
        c.rate(3, 3);
        c.toggle_phrase(0);
        c.toggle_phrase(4);
        run(c.submit_feedback());
        assert_eq!(c.step, Step::Thanks);
        assert!(
            c.api
                .calls
                .borrow()
                .iter()
                .any(|s| s
                    == "feedback 42 5 4 5 3 10 \"非常专业；等待太久\" Some(\"13700137000\") v9-feedback"),
            "{:?}",
            c.api.calls.borrow()
        );
    }

    #[test]
    fn skipping_the_rating_goes_on_to_the_services() {
        let mut c = typed("13700137000", "v10");
        c.skip_feedback();
        assert_eq!(c.step, Step::Services);
        assert!(c.customer.as_ref().is_some_and(|k| k.to_rate.is_none()));
    }

    #[test]
    fn a_booked_customer_checks_in_against_the_booking() {
        let mut c = typed("13600136000", "v11");
        assert_eq!(c.step, Step::Appointment);
        run(c.confirm_appointment());
        assert_eq!(c.step, Step::Ticket);
        assert!(
            c.api
                .calls
                .borrow()
                .iter()
                .any(|s| s == "check_in None v11-checkin")
        );
    }

    #[test]
    fn a_confirmed_check_in_survives_a_network_drop() {
        let fake = Fake::default();
        let mut c = CheckIn::new(&fake, Pending::default(), "v12".into());
        run(c.scanned("8800000001"));
        c.toggle_service(ServiceId(1));
        run(c.to_stylist());
        // The network drops between the quote and the customer's tap.
        let down = Fake {
            down: true,
            ..Default::default()
        };
        let mut c2 = CheckIn::new(&down, Pending::default(), "v12".into());
        c2.customer = c.customer.clone();
        c2.chosen = c.chosen.clone();
        c2.quote = c.quote.clone();
        c2.step = Step::Stylist;
        run(c2.choose(None));
        assert_eq!(c2.step, Step::Ticket);
        assert!(c2.queued, "the customer is told it will be sent");
        assert_eq!(c2.pending_count(), 1);
        // The next customer starts while it still waits; the retry keeps its key.
        c2.reset("v13".into());
        assert_eq!(
            c2.pending_count(),
            1,
            "a reset keeps what the kiosk owes the server"
        );
        assert_eq!(run(c2.flush_pending()), 1, "still down");
        assert!(
            down.calls
                .borrow()
                .iter()
                .filter(|s| s.as_str() == "check_in None v12-checkin")
                .count()
                >= 2
        );
    }

    #[test]
    fn services_are_grouped_by_category_and_totalled() {
        let fake = Fake::default();
        let mut c = CheckIn::new(&fake, Pending::default(), "v14".into());
        run(c.scanned("8800000001"));
        assert_eq!(c.categories(), vec![ServiceCategory::CutStyle]);
        assert_eq!(c.shown_services().len(), 1);
        c.toggle_service(ServiceId(99)); // not in the catalog
        assert!(c.chosen.is_empty());
        c.toggle_service(ServiceId(1));
        assert_eq!(c.chosen_total(), (Decimal::from(68), 45));
        c.toggle_service(ServiceId(1));
        assert!(c.chosen.is_empty());
    }

    #[test]
    fn birthday_steppers_stay_on_real_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        let cases: &[(Option<NaiveDate>, DatePart, i32, Option<NaiveDate>)] = &[
            (None, DatePart::Year, 1, d(1991, 1, 1)),
            (d(1990, 1, 31), DatePart::Month, 1, d(1990, 2, 28)),
            (d(1990, 12, 5), DatePart::Month, 1, d(1990, 1, 5)),
            (d(1990, 3, 1), DatePart::Day, -1, d(1990, 3, 31)),
            (d(2026, 11, 30), DatePart::Year, 1, d(2026, 11, 30)),
            (d(1900, 5, 5), DatePart::Year, -1, d(1900, 5, 5)),
            (d(2000, 2, 29), DatePart::Year, 1, d(2001, 2, 28)),
        ];
        for (from, part, delta, want) in cases {
            let mut f = RegisterForm {
                birthday: *from,
                ..Default::default()
            };
            f.step_birthday(*part, *delta, today);
            assert_eq!(f.birthday, *want, "{from:?} {part:?} {delta}");
        }
    }
}
