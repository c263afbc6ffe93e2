//! The check-in kiosk (CHK): its adapter — the wiring of the `Kiosk` global's check-in
//! callbacks, the role's loop on the network thread, and the view applied to the window —
//! over the plain-Rust [`controller`], which knows nothing of Slint.

pub mod controller;

use crate::app::{Cmd, Health, Link, Options, Outcome, Ui, key_of, model, sends};
use crate::device::Device;
use crate::pending::Pending;
use crate::scan::ScanDetector;
use crate::surnames::SURNAMES;
use chrono::Datelike;
use controller::{CheckIn, DatePart, SCORES, Step, StoreApi, Title};
use salon_shared::api::{
    BalkRequest, CheckInRequest, CheckInResponse, FeedbackInput, KioskCustomer, KioskIdentify,
    KioskRegister, QuoteResponse,
};
use salon_shared::client::{Client, ClientError};
use salon_shared::{Service, ServiceId, StaffId};
use salon_ui::{CategoryItem, Kiosk, KioskWindow, ServiceItem, StylistItem, SurnameItem};
use slint::{ComponentHandle, SharedString};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What a tap on the check-in screens asks for. The rating screens' taps (`Rate`,
/// `Phrase`, `SendFeedback`, `SkipFeedback`, `Done`) also reach the stylist tablet, which
/// hands the customer the same screens.
#[derive(Debug, Clone)]
pub(crate) enum KioskCmd {
    Start,
    Key(String),
    SubmitPhone,
    Cancel,
    Scanned(String),
    Surname(String),
    Title(Title),
    Birthday(DatePart, i32),
    BirthdayClear,
    Consent,
    Register,
    ConfirmAppointment,
    Category(usize),
    Service(ServiceId),
    ToStylist,
    Choose(Option<StaffId>),
    WalkAway,
    Done,
    Rate(usize, u8),
    Phrase(usize),
    SendFeedback,
    SkipFeedback,
}

impl From<KioskCmd> for Cmd {
    fn from(c: KioskCmd) -> Cmd {
        Cmd::Kiosk(c)
    }
}

/// The UI thread's side of the check-in screens: every callback becomes a command; card
/// scans are recognised right here.
pub(crate) fn wire(window: &KioskWindow, tx: &mpsc::UnboundedSender<Cmd>) {
    let k = window.global::<Kiosk>();
    let to = |c: KioskCmd| sends(tx, c);
    k.on_start(to(KioskCmd::Start));
    k.on_submit_phone(to(KioskCmd::SubmitPhone));
    k.on_cancel(to(KioskCmd::Cancel));
    k.on_birthday_clear(to(KioskCmd::BirthdayClear));
    k.on_toggle_consent(to(KioskCmd::Consent));
    k.on_submit_register(to(KioskCmd::Register));
    k.on_confirm_appointment(to(KioskCmd::ConfirmAppointment));
    k.on_to_stylist(to(KioskCmd::ToStylist));
    k.on_walk_away(to(KioskCmd::WalkAway));
    k.on_done(to(KioskCmd::Done));
    k.on_submit_feedback(to(KioskCmd::SendFeedback));
    k.on_skip_feedback(to(KioskCmd::SkipFeedback));

    let t = tx.clone();
    k.on_key(move |key| drop(t.send(KioskCmd::Key(key.to_string()).into())));
    let t = tx.clone();
    k.on_pick_surname(move |s| drop(t.send(KioskCmd::Surname(s.to_string()).into())));
    let t = tx.clone();
    k.on_pick_title(move |s| {
        let title = if s == "mr" { Title::Mr } else { Title::Ms };
        drop(t.send(KioskCmd::Title(title).into()))
    });
    let t = tx.clone();
    k.on_birthday_step(move |part, delta| {
        let part = match part.as_str() {
            "year" => DatePart::Year,
            "month" => DatePart::Month,
            _ => DatePart::Day,
        };
        drop(t.send(KioskCmd::Birthday(part, delta).into()))
    });
    let t = tx.clone();
    k.on_pick_category(move |i| drop(t.send(KioskCmd::Category(i.max(0) as usize).into())));
    let t = tx.clone();
    k.on_toggle_service(move |id| {
        drop(t.send(KioskCmd::Service(ServiceId(id.max(0) as u64)).into()))
    });
    let t = tx.clone();
    k.on_choose(move |id| {
        let stylist = (id >= 0).then_some(StaffId(id as u64));
        drop(t.send(KioskCmd::Choose(stylist).into()))
    });
    let t = tx.clone();
    k.on_rate(move |i, v| {
        drop(t.send(KioskCmd::Rate(i.max(0) as usize, v.clamp(0, 10) as u8).into()))
    });
    let t = tx.clone();
    k.on_toggle_phrase(move |i| drop(t.send(KioskCmd::Phrase(i.max(0) as usize).into())));

    // A card reader is a keyboard: a fast burst ending in Enter is a scan (CHK-1). It is
    // taken only while the kiosk is idle (welcome or keypad), never mid-way through
    // another customer's check-in.
    let detector = Rc::new(RefCell::new(ScanDetector::default()));
    let started = Instant::now();
    let weak = window.as_weak();
    let tx = tx.clone();
    k.on_raw_key(move |text| {
        let Some(w) = weak.upgrade() else { return };
        for c in text.chars() {
            let scan = detector.borrow_mut().key(c, started.elapsed());
            let screen = w.global::<Kiosk>().get_screen();
            if let Some(card) = scan
                && (screen == "welcome" || screen == "phone")
            {
                let _ = tx.send(KioskCmd::Scanned(card).into());
            }
        }
    });
}

/// The kiosk controller's view of the server: whatever address the link has now.
#[derive(Clone)]
struct Api(Arc<RwLock<Client>>);

impl Api {
    fn get(&self) -> Client {
        crate::current(&self.0)
    }
}

impl StoreApi for Api {
    async fn identify(&self, q: KioskIdentify) -> Result<KioskCustomer, ClientError> {
        self.get().kiosk_identify(&q).await
    }
    async fn register(&self, r: KioskRegister, key: String) -> Result<KioskCustomer, ClientError> {
        self.get().kiosk_register(&r, Some(&key)).await
    }
    async fn services(&self) -> Result<Vec<Service>, ClientError> {
        self.get().services(false).await
    }
    async fn quote(&self, services: Vec<ServiceId>) -> Result<QuoteResponse, ClientError> {
        self.get().quote(&services).await
    }
    async fn check_in(
        &self,
        r: CheckInRequest,
        key: String,
    ) -> Result<CheckInResponse, ClientError> {
        self.get().check_in(&r, Some(&key)).await
    }
    async fn balk(&self, b: BalkRequest, key: String) -> Result<(), ClientError> {
        self.get().balk(&b, Some(&key)).await.map(|_| ())
    }
    async fn feedback(&self, f: FeedbackInput, key: String) -> Result<(), ClientError> {
        self.get().feedback(&f, Some(&key)).await.map(|_| ())
    }
}

/// A fresh id for one customer's visit to the kiosk (idempotency keys derive from it;
/// the server scopes keys to the device).
fn new_visit() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{nanos:x}-{:x}", std::process::id())
}

/// The check-in kiosk's loop: taps, the idle timer, the server's health and the check-ins
/// waiting to be sent, until the window closes or the pairing goes.
pub(crate) async fn run(
    opts: &Options,
    ui: &Ui,
    rx: &mut mpsc::UnboundedReceiver<Cmd>,
    device: Device,
) -> Outcome {
    let mut link = Link::new(device);
    let pending = Pending::load(opts.data_dir.join("pending.json"));
    let mut c = CheckIn::new(Api(link.client.clone()), pending, new_visit());
    ui.set(|k| k.set_surnames(model(surname_items())));
    show_kiosk(ui, &c);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut last_tap = Instant::now();
    let mut last_check: Option<Instant> = None;
    loop {
        tokio::select! {
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { return Outcome::Closed };
                last_tap = Instant::now();
                match cmd {
                    Cmd::Unpair => return Outcome::Unpaired,
                    Cmd::Kiosk(cmd) => handle(&mut c, cmd, ui).await,
                    _ => {}
                }
                show_kiosk(ui, &c);
            }
            _ = tick.tick() => {
                if last_check.is_none_or(|t| t.elapsed() >= Duration::from_secs(2)) {
                    last_check = Some(Instant::now());
                    match link.check(opts).await {
                        Health::Revoked => return Outcome::Unpaired,
                        Health::Offline => ui.online(false),
                        Health::Online => {
                            ui.online(true);
                            if c.pending_count() > 0 {
                                c.flush_pending().await;
                            }
                        }
                    }
                }
                if c.step != Step::Welcome && last_tap.elapsed() >= idle_limit(c.step, opts.idle) {
                    // Walking away from the waits counts as a balk (CHK-8).
                    c.walk_away(new_visit()).await;
                    show_kiosk(ui, &c);
                }
            }
        }
    }
}

/// How long a screen stays without a tap: the ticket and thanks screens go sooner.
fn idle_limit(step: Step, idle: Duration) -> Duration {
    match step {
        Step::Ticket => idle.min(Duration::from_secs(20)),
        Step::Thanks => idle.min(Duration::from_secs(8)),
        _ => idle,
    }
}

async fn handle<A: StoreApi>(c: &mut CheckIn<A>, cmd: KioskCmd, ui: &Ui) {
    let talks = matches!(
        cmd,
        KioskCmd::SubmitPhone
            | KioskCmd::Scanned(_)
            | KioskCmd::Register
            | KioskCmd::ConfirmAppointment
            | KioskCmd::ToStylist
            | KioskCmd::Choose(_)
            | KioskCmd::WalkAway
            | KioskCmd::SendFeedback
    );
    if talks {
        ui.busy();
    }
    let today = chrono::Local::now().date_naive();
    match cmd {
        KioskCmd::Start => c.start(),
        KioskCmd::Key(k) if k == "back" => c.backspace(),
        KioskCmd::Key(k) => k.chars().for_each(|ch| c.digit(ch)),
        KioskCmd::SubmitPhone => c.submit_phone().await,
        KioskCmd::Scanned(card) => {
            c.reset(new_visit());
            c.scanned(&card).await;
        }
        KioskCmd::Cancel | KioskCmd::Done => c.reset(new_visit()),
        KioskCmd::Surname(s) => {
            c.form.surname = s;
            c.problem = None;
        }
        KioskCmd::Title(t) => c.form.title = Some(t),
        KioskCmd::Birthday(part, delta) => c.form.step_birthday(part, delta, today),
        KioskCmd::BirthdayClear => c.form.birthday = None,
        KioskCmd::Consent => c.form.consent = !c.form.consent,
        KioskCmd::Register => c.submit_register().await,
        KioskCmd::ConfirmAppointment => c.confirm_appointment().await,
        KioskCmd::Category(i) => c.pick_category(i),
        KioskCmd::Service(id) => c.toggle_service(id),
        KioskCmd::ToStylist => c.to_stylist().await,
        KioskCmd::Choose(s) => c.choose(s).await,
        KioskCmd::WalkAway => c.walk_away(new_visit()).await,
        KioskCmd::Rate(i, v) => c.rate(i, v),
        KioskCmd::Phrase(i) => c.toggle_phrase(i),
        KioskCmd::SendFeedback => c.submit_feedback().await,
        KioskCmd::SkipFeedback => c.skip_feedback(),
    }
}

fn surname_items() -> Vec<SurnameItem> {
    SURNAMES
        .iter()
        .map(|(han, pinyin)| SurnameItem {
            han: (*han).into(),
            pinyin: (*pinyin).into(),
        })
        .collect()
}

fn screen_of(step: Step) -> &'static str {
    match step {
        Step::Welcome => "welcome",
        Step::Phone => "phone",
        Step::Register => "register",
        Step::Appointment => "appointment",
        Step::Services => "services",
        Step::Stylist => "stylist",
        Step::Ticket => "ticket",
        Step::Feedback => "feedback",
        Step::Thanks => "thanks",
    }
}

/// Everything the kiosk screens show, as plain data the UI thread turns into properties.
#[derive(Debug, Clone, Default)]
struct KioskView {
    problem: &'static str,
    phone_shown: String,
    greeting: String,
    masked_phone: String,
    tier: SharedString,
    surname: String,
    title: &'static str,
    birthday: [String; 3],
    consent: bool,
    appt_time: String,
    appt_stylist: String,
    appt_services: String,
    categories: Vec<CategoryItem>,
    category: i32,
    services: Vec<ServiceItem>,
    chosen_count: i32,
    chosen_total: String,
    chosen_minutes: i32,
    stylists: Vec<StylistItem>,
    ticket_number: String,
    position: i32,
    wait: (i32, i32),
    ticket_stylist: String,
    queued: bool,
    rate_number: String,
    rate_stylist: String,
    rate_services: String,
    scores: Vec<i32>,
    phrases: Vec<bool>,
}

fn kiosk_view<A: StoreApi>(c: &CheckIn<A>) -> KioskView {
    let mut v = KioskView {
        problem: c.problem.map(|p| p.code()).unwrap_or(""),
        phone_shown: c.phone_shown(),
        surname: c.form.surname.clone(),
        title: match c.form.title {
            Some(Title::Ms) => "ms",
            Some(Title::Mr) => "mr",
            None => "",
        },
        birthday: c
            .form
            .birthday
            .map(|b| {
                [
                    b.year().to_string(),
                    b.month().to_string(),
                    b.day().to_string(),
                ]
            })
            .unwrap_or_default(),
        consent: c.form.consent,
        scores: c.scores.iter().map(|s| s.map_or(-1, i32::from)).collect(),
        phrases: c.phrases.to_vec(),
        queued: c.queued,
        category: c.category as i32,
        ..KioskView::default()
    };
    debug_assert_eq!(v.scores.len(), SCORES);
    if let Some(k) = &c.customer {
        v.greeting = k.greeting.clone();
        v.masked_phone = k.masked_phone.clone();
        v.tier = key_of(&k.tier);
        if let Some(a) = &k.appointment {
            v.appt_time = a.time.clone();
            v.appt_stylist = a.stylist_name.clone();
            v.appt_services = c.service_names(&a.services);
        }
        if let Some(r) = &k.to_rate {
            v.rate_number = r.number.clone();
            v.rate_stylist = r.stylist_name.clone().unwrap_or_default();
            v.rate_services = c.service_names(&r.services);
        }
    }
    v.categories = c
        .categories()
        .iter()
        .map(|cat| CategoryItem {
            key: key_of(cat),
            count: c.catalog.iter().filter(|s| s.category == *cat).count() as i32,
        })
        .collect();
    v.services = c
        .shown_services()
        .into_iter()
        .map(|s| {
            let varies = s.level_prices.values().any(|p| *p != s.price);
            ServiceItem {
                id: s.id.0 as i32,
                name: s.name.clone().into(),
                price: format!("¥{}{}", s.price, if varies { "+" } else { "" }).into(),
                minutes: i32::from(s.duration_min),
                selected: c.chosen.contains(&s.id),
            }
        })
        .collect();
    let (total, minutes) = c.chosen_total();
    v.chosen_count = c.chosen.len() as i32;
    v.chosen_total = format!("¥{total}");
    v.chosen_minutes = minutes as i32;
    v.stylists = c
        .choices()
        .into_iter()
        .map(|(id, q)| StylistItem {
            id: id.map_or(-1, |s| s.0 as i32),
            name: q.name.into(),
            level: key_of(&q.level),
            low: q.wait.low as i32,
            high: q.wait.high as i32,
            next: id.is_none(),
        })
        .collect();
    if let Some(t) = &c.ticket {
        v.ticket_number = t.ticket.number.clone();
        v.position = t.position as i32;
        v.wait = (t.wait.low as i32, t.wait.high as i32);
        v.ticket_stylist = t.stylist_name.clone().unwrap_or_default();
    }
    v
}

fn show_kiosk<A: StoreApi>(ui: &Ui, c: &CheckIn<A>) {
    let v = kiosk_view(c);
    ui.set(move |k| {
        k.set_busy(false);
        k.set_problem(v.problem.into());
        k.set_phone_shown(v.phone_shown.into());
        k.set_greeting(v.greeting.into());
        k.set_masked_phone(v.masked_phone.into());
        k.set_tier(v.tier);
        k.set_surname(v.surname.into());
        k.set_title(v.title.into());
        k.set_birthday(model(v.birthday.map(SharedString::from).to_vec()));
        k.set_consent(v.consent);
        k.set_appt_time(v.appt_time.into());
        k.set_appt_stylist(v.appt_stylist.into());
        k.set_appt_services(v.appt_services.into());
        k.set_categories(model(v.categories));
        k.set_category(v.category);
        k.set_services(model(v.services));
        k.set_chosen_count(v.chosen_count);
        k.set_chosen_total(v.chosen_total.into());
        k.set_chosen_minutes(v.chosen_minutes);
        k.set_stylists(model(v.stylists));
        k.set_ticket_number(v.ticket_number.into());
        k.set_position(v.position);
        k.set_wait_low(v.wait.0);
        k.set_wait_high(v.wait.1);
        k.set_ticket_stylist(v.ticket_stylist.into());
        k.set_queued(v.queued);
        k.set_rate_number(v.rate_number.into());
        k.set_rate_stylist(v.rate_stylist.into());
        k.set_rate_services(v.rate_services.into());
        k.set_scores(model(v.scores));
        k.set_phrase_on(model(v.phrases));
    });
    ui.screen(screen_of(c.step));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_and_thanks_screens_clear_sooner() {
        let idle = Duration::from_secs(60);
        assert_eq!(idle_limit(Step::Stylist, idle), idle);
        assert_eq!(idle_limit(Step::Ticket, idle), Duration::from_secs(20));
        assert_eq!(
            idle_limit(Step::Thanks, Duration::from_secs(1)),
            Duration::from_secs(1)
        );
    }
}
