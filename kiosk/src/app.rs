//! The app's shell: the only code that touches the generated Slint types. The UI thread
//! turns taps into [`Cmd`]s; a network thread (tokio) owns the connection, the pairing and
//! the controllers, and sends back plain view structs that the UI thread applies. The UI
//! never waits on the network.

use crate::checkin::{CheckIn, DatePart, SCORES, Step, StoreApi, Title};
use crate::device::Device;
use crate::display;
use crate::pending::Pending;
use crate::scan::ScanDetector;
use crate::surnames::SURNAMES;
use chrono::Datelike;
use salon_shared::api::{
    BalkRequest, CheckInRequest, CheckInResponse, FeedbackInput, KioskCustomer, KioskIdentify,
    KioskRegister, QueueQuery, QuoteResponse,
};
use salon_shared::client::{Client, ClientError, Discovered, Live, discover};
use salon_shared::{Role, Service, ServiceId, StaffId};
use salon_ui::{
    CalledItem, CategoryItem, Kiosk, KioskWindow, ServiceItem, StoreItem, StylistItem, SurnameItem,
    WaitingItem,
};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How the app was started.
#[derive(Debug, Clone)]
pub struct Options {
    /// A fixed server address (skips the mDNS search on the pairing screen).
    pub server: Option<String>,
    /// Keep mDNS on loopback (demos and tests on one machine).
    pub loopback_only: bool,
    /// Where the pairing and the unsent check-ins are kept.
    pub data_dir: PathBuf,
    /// Back to the welcome screen after this long without a tap (CHK-7).
    pub idle: Duration,
    /// How the device is listed in the back office after pairing.
    pub device_name: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            server: None,
            loopback_only: false,
            data_dir: crate::device::default_dir(),
            idle: Duration::from_secs(60),
            device_name: "Front door kiosk".into(),
        }
    }
}

/// What a tap asks the network side to do.
#[derive(Debug, Clone)]
enum Cmd {
    PickStore(usize),
    Address(String),
    PairKey(String),
    Pair,
    Unpair,
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

/// Wires the window to a network thread started here, which runs until the window is gone.
pub fn start(window: &KioskWindow, opts: Options) -> std::io::Result<()> {
    let (tx, rx) = mpsc::unbounded_channel();
    wire(window, tx);
    // Chinese first on every customer-facing screen; the customer may switch.
    let _ = slint::select_bundled_translation("zh_CN");
    let ui = Ui(window.as_weak());
    std::thread::Builder::new()
        .name("network".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(run(opts, ui, rx)),
                Err(e) => eprintln!("cannot start the network runtime: {e}"),
            }
        })?;
    Ok(())
}

/// The UI thread's side: every callback becomes a command; card scans and the language
/// switch are handled right here.
fn wire(window: &KioskWindow, tx: mpsc::UnboundedSender<Cmd>) {
    let k = window.global::<Kiosk>();
    let to = |c: Cmd| {
        let tx = tx.clone();
        move || {
            let _ = tx.send(c.clone());
        }
    };
    k.on_pair(to(Cmd::Pair));
    k.on_unpair(to(Cmd::Unpair));
    k.on_start(to(Cmd::Start));
    k.on_submit_phone(to(Cmd::SubmitPhone));
    k.on_cancel(to(Cmd::Cancel));
    k.on_birthday_clear(to(Cmd::BirthdayClear));
    k.on_toggle_consent(to(Cmd::Consent));
    k.on_submit_register(to(Cmd::Register));
    k.on_confirm_appointment(to(Cmd::ConfirmAppointment));
    k.on_to_stylist(to(Cmd::ToStylist));
    k.on_walk_away(to(Cmd::WalkAway));
    k.on_done(to(Cmd::Done));
    k.on_submit_feedback(to(Cmd::SendFeedback));
    k.on_skip_feedback(to(Cmd::SkipFeedback));

    let t = tx.clone();
    k.on_pick_store(move |i| drop(t.send(Cmd::PickStore(i.max(0) as usize))));
    let t = tx.clone();
    k.on_use_address(move |a| drop(t.send(Cmd::Address(a.to_string()))));
    let t = tx.clone();
    k.on_pair_key(move |key| drop(t.send(Cmd::PairKey(key.to_string()))));
    let t = tx.clone();
    k.on_key(move |key| drop(t.send(Cmd::Key(key.to_string()))));
    let t = tx.clone();
    k.on_pick_surname(move |s| drop(t.send(Cmd::Surname(s.to_string()))));
    let t = tx.clone();
    k.on_pick_title(move |s| {
        let title = if s == "mr" { Title::Mr } else { Title::Ms };
        drop(t.send(Cmd::Title(title)))
    });
    let t = tx.clone();
    k.on_birthday_step(move |part, delta| {
        let part = match part.as_str() {
            "year" => DatePart::Year,
            "month" => DatePart::Month,
            _ => DatePart::Day,
        };
        drop(t.send(Cmd::Birthday(part, delta)))
    });
    let t = tx.clone();
    k.on_pick_category(move |i| drop(t.send(Cmd::Category(i.max(0) as usize))));
    let t = tx.clone();
    k.on_toggle_service(move |id| drop(t.send(Cmd::Service(ServiceId(id.max(0) as u64)))));
    let t = tx.clone();
    k.on_choose(move |id| {
        let stylist = (id >= 0).then_some(StaffId(id as u64));
        drop(t.send(Cmd::Choose(stylist)))
    });
    let t = tx.clone();
    k.on_rate(move |i, v| drop(t.send(Cmd::Rate(i.max(0) as usize, v.clamp(0, 10) as u8))));
    let t = tx.clone();
    k.on_toggle_phrase(move |i| drop(t.send(Cmd::Phrase(i.max(0) as usize))));

    let weak = window.as_weak();
    k.on_set_language(move |lang| {
        if let Some(w) = weak.upgrade() {
            set_language(&w, &lang);
        }
    });

    // A card reader is a keyboard: a fast burst ending in Enter is a scan (CHK-1). It is
    // taken only while the kiosk is idle (welcome or keypad), never mid-way through
    // another customer's check-in.
    let detector = Rc::new(RefCell::new(ScanDetector::default()));
    let started = Instant::now();
    let weak = window.as_weak();
    k.on_raw_key(move |text| {
        let Some(w) = weak.upgrade() else { return };
        for c in text.chars() {
            let scan = detector.borrow_mut().key(c, started.elapsed());
            let screen = w.global::<Kiosk>().get_screen();
            if let Some(card) = scan
                && (screen == "welcome" || screen == "phone")
            {
                let _ = tx.send(Cmd::Scanned(card));
            }
        }
    });
}

fn set_language(w: &KioskWindow, lang: &str) {
    let _ = slint::select_bundled_translation(if lang == "en" { "en" } else { "zh_CN" });
    w.global::<Kiosk>().set_language(lang.into());
}

/// The network side's handle on the window.
#[derive(Clone)]
struct Ui(slint::Weak<KioskWindow>);

impl Ui {
    fn set(&self, f: impl FnOnce(&Kiosk<'_>) + Send + 'static) {
        let _ = self
            .0
            .upgrade_in_event_loop(move |w| f(&w.global::<Kiosk>()));
    }

    fn online(&self, online: bool) {
        self.set(move |k| k.set_online(online));
    }

    fn busy(&self) {
        self.set(|k| k.set_busy(true));
    }

    /// Shows `screen`; coming back to the welcome screen also brings back Chinese.
    fn screen(&self, screen: &'static str) {
        let _ = self.0.upgrade_in_event_loop(move |w| {
            let k = w.global::<Kiosk>();
            if screen == "welcome" && k.get_screen() != "welcome" {
                set_language(&w, "zh");
            }
            k.set_screen(screen.into());
        });
    }
}

fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(items))
}

fn key_of<T: serde::Serialize>(t: &T) -> SharedString {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(SharedString::from))
        .unwrap_or_default()
}

/// Why a role's screen loop ended.
enum Outcome {
    /// The window is gone: stop.
    Closed,
    /// The pairing is gone (revoked, or the staff asked to pair again).
    Unpaired,
}

async fn run(opts: Options, ui: Ui, mut rx: mpsc::UnboundedReceiver<Cmd>) {
    loop {
        let device = match Device::load(&opts.data_dir) {
            Some(d) => d,
            None => match pair(&opts, &ui, &mut rx).await {
                Some(d) => d,
                None => return,
            },
        };
        let name = device.store_name.clone();
        ui.set(move |k| k.set_store_name(name.into()));
        let outcome = match device.role {
            Role::Kiosk => kiosk(&opts, &ui, &mut rx, device).await,
            Role::Display => show_queue(&opts, &ui, &mut rx, device).await,
            other => other_role(&ui, &mut rx, other).await,
        };
        match outcome {
            Outcome::Closed => return,
            Outcome::Unpaired => Device::forget(&opts.data_dir),
        }
    }
}

// ---------------------------------------------------------------- connection and pairing

/// `192.168.1.20` → `http://192.168.1.20:8080`; full URLs are kept.
fn normalize(address: &str) -> String {
    let a = address.trim().trim_end_matches('/');
    let with_scheme = if a.contains("://") {
        a.to_string()
    } else {
        format!("http://{a}")
    };
    let host = with_scheme.split("://").nth(1).unwrap_or_default();
    if host.contains(':') && !host.ends_with(']') {
        with_scheme
    } else {
        format!("{with_scheme}:8080")
    }
}

/// The pairing screen: stores found by mDNS (or a typed address) and a six-digit code.
async fn pair(opts: &Options, ui: &Ui, rx: &mut mpsc::UnboundedReceiver<Cmd>) -> Option<Device> {
    let mut address = opts.server.clone().unwrap_or_default();
    let mut code = String::new();
    let mut stores: Vec<Discovered> = Vec::new();
    let (found_tx, mut found_rx) = mpsc::channel(4);
    let browsing = opts.server.is_none();
    let browser = browsing.then(|| {
        let loopback = opts.loopback_only;
        tokio::spawn(async move {
            loop {
                if let Ok(found) = discover(Duration::from_millis(1500), loopback).await
                    && found_tx.send(found).await.is_err()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        })
    });
    let show = |stores: &[Discovered], address: &str, code: &str, problem: &'static str| {
        let items: Vec<StoreItem> = stores
            .iter()
            .map(|d| StoreItem {
                name: d.store_name.clone().into(),
                address: d.base_url().unwrap_or_default().into(),
            })
            .collect();
        let (address, code) = (address.to_string(), code.to_string());
        let searching = browsing && stores.is_empty();
        ui.set(move |k| {
            k.set_stores(model(items));
            k.set_address(address.into());
            k.set_pairing_code(code.into());
            k.set_searching(searching);
            k.set_problem(problem.into());
            k.set_busy(false);
        });
        ui.screen("connect");
    };
    show(&stores, &address, &code, "");
    let device = loop {
        tokio::select! {
            Some(found) = found_rx.recv() => {
                stores = found;
                show(&stores, &address, &code, "");
            }
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { break None };
                match cmd {
                    Cmd::PickStore(i) => {
                        if let Some(url) = stores.get(i).and_then(|d| d.base_url()) {
                            address = url;
                        }
                    }
                    // Typed into the field: already on screen, nothing to redraw.
                    Cmd::Address(a) => {
                        address = a;
                        continue;
                    }
                    Cmd::PairKey(k) if k == "back" => {
                        code.pop();
                    }
                    Cmd::PairKey(k) if code.len() < 6 && k.chars().all(|c| c.is_ascii_digit()) => {
                        code.push_str(&k);
                    }
                    Cmd::Pair => {
                        ui.busy();
                        match pair_with(opts, &address, &code, &stores).await {
                            Ok(d) => break Some(d),
                            Err(problem) => {
                                code.clear();
                                show(&stores, &address, &code, problem);
                                continue;
                            }
                        }
                    }
                    _ => continue,
                }
                show(&stores, &address, &code, "");
            }
        }
    };
    if let Some(b) = browser {
        b.abort();
    }
    device
}

async fn pair_with(
    opts: &Options,
    address: &str,
    code: &str,
    stores: &[Discovered],
) -> Result<Device, &'static str> {
    let base = normalize(address);
    let client = Client::new(base.clone());
    let health = client.health().await.map_err(|_| "no_server")?;
    let (resp, _) = client
        .pair(code, &opts.device_name)
        .await
        .map_err(|e| match e {
            ClientError::Network(_) => "no_server",
            _ => "pair_failed",
        })?;
    let device = Device {
        discovered: stores
            .iter()
            .any(|d| d.server_id == health.server_id && d.base_url().as_deref() == Some(&base)),
        base_url: base,
        server_id: health.server_id,
        store_name: resp.store_name,
        token: resp.token,
        role: resp.device.role,
    };
    if let Err(e) = device.save(&opts.data_dir) {
        eprintln!("cannot save the pairing: {e}");
    }
    Ok(device)
}

/// The connection to the paired server, shared by the screens' calls. When the server
/// moves to another address, the device looks it up again by its id over mDNS.
struct Link {
    client: Arc<RwLock<Client>>,
    device: Device,
    misses: u32,
}

enum Health {
    Online,
    Offline,
    Revoked,
}

impl Link {
    fn new(device: Device) -> Link {
        let client = Client::new(device.base_url.clone()).with_token(device.token.clone());
        Link {
            client: Arc::new(RwLock::new(client)),
            device,
            misses: 0,
        }
    }

    fn client(&self) -> Client {
        match self.client.read() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    async fn check(&mut self, opts: &Options) -> Health {
        match self.client().me().await {
            Ok(_) => {
                self.misses = 0;
                Health::Online
            }
            Err(e) if e.status() == Some(401) => Health::Revoked,
            Err(_) => {
                self.misses += 1;
                if self.misses.is_multiple_of(3) && self.device.discovered && opts.server.is_none()
                {
                    self.rediscover(opts).await;
                }
                Health::Offline
            }
        }
    }

    async fn rediscover(&mut self, opts: &Options) {
        let Ok(found) = discover(Duration::from_secs(2), opts.loopback_only).await else {
            return;
        };
        let Some(url) = found
            .iter()
            .find(|d| d.server_id == self.device.server_id)
            .and_then(|d| d.base_url())
        else {
            return;
        };
        if url != self.device.base_url {
            self.device.base_url = url.clone();
            let _ = self.device.save(&opts.data_dir);
            let client = Client::new(url).with_token(self.device.token.clone());
            if let Ok(mut c) = self.client.write() {
                *c = client;
            }
        }
    }
}

/// The kiosk controller's view of the server: whatever address the link has now.
#[derive(Clone)]
struct Api(Arc<RwLock<Client>>);

impl Api {
    fn get(&self) -> Client {
        match self.0.read() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
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

async fn other_role(ui: &Ui, rx: &mut mpsc::UnboundedReceiver<Cmd>, role: Role) -> Outcome {
    ui.set(move |k| k.set_role(role.as_str().into()));
    ui.screen("other-role");
    loop {
        match rx.recv().await {
            None => return Outcome::Closed,
            Some(Cmd::Unpair) => return Outcome::Unpaired,
            Some(_) => {}
        }
    }
}

// ---------------------------------------------------------------- the check-in kiosk

async fn kiosk(
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
                if matches!(cmd, Cmd::Unpair) {
                    return Outcome::Unpaired;
                }
                handle(&mut c, cmd, ui).await;
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

async fn handle<A: StoreApi>(c: &mut CheckIn<A>, cmd: Cmd, ui: &Ui) {
    let talks = matches!(
        cmd,
        Cmd::SubmitPhone
            | Cmd::Scanned(_)
            | Cmd::Register
            | Cmd::ConfirmAppointment
            | Cmd::ToStylist
            | Cmd::Choose(_)
            | Cmd::WalkAway
            | Cmd::SendFeedback
    );
    if talks {
        ui.busy();
    }
    let today = chrono::Local::now().date_naive();
    match cmd {
        Cmd::Start => c.start(),
        Cmd::Key(k) if k == "back" => c.backspace(),
        Cmd::Key(k) => k.chars().for_each(|ch| c.digit(ch)),
        Cmd::SubmitPhone => c.submit_phone().await,
        Cmd::Scanned(card) => {
            c.reset(new_visit());
            c.scanned(&card).await;
        }
        Cmd::Cancel | Cmd::Done => c.reset(new_visit()),
        Cmd::Surname(s) => {
            c.form.surname = s;
            c.problem = None;
        }
        Cmd::Title(t) => c.form.title = Some(t),
        Cmd::Birthday(part, delta) => c.form.step_birthday(part, delta, today),
        Cmd::BirthdayClear => c.form.birthday = None,
        Cmd::Consent => c.form.consent = !c.form.consent,
        Cmd::Register => c.submit_register().await,
        Cmd::ConfirmAppointment => c.confirm_appointment().await,
        Cmd::Category(i) => c.pick_category(i),
        Cmd::Service(id) => c.toggle_service(id),
        Cmd::ToStylist => c.to_stylist().await,
        Cmd::Choose(s) => c.choose(s).await,
        Cmd::WalkAway => c.walk_away(new_visit()).await,
        Cmd::Rate(i, v) => c.rate(i, v),
        Cmd::Phrase(i) => c.toggle_phrase(i),
        Cmd::SendFeedback => c.submit_feedback().await,
        Cmd::SkipFeedback => c.skip_feedback(),
        Cmd::PickStore(_) | Cmd::Address(_) | Cmd::PairKey(_) | Cmd::Pair | Cmd::Unpair => {}
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

// ---------------------------------------------------------------- the queue display

async fn show_queue(
    opts: &Options,
    ui: &Ui,
    rx: &mut mpsc::UnboundedReceiver<Cmd>,
    device: Device,
) -> Outcome {
    let mut link = Link::new(device);
    ui.screen("display");
    let mut events = link.client().subscribe();
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        let refresh = tokio::select! {
            cmd = rx.recv() => match cmd {
                None => return Outcome::Closed,
                Some(Cmd::Unpair) => return Outcome::Unpaired,
                Some(_) => false,
            },
            live = events.recv() => match live {
                Some(Live::Event(e)) => e.kind.starts_with("queue.") || e.kind.starts_with("appointment."),
                Some(Live::Connected) | Some(Live::Resync) => true,
                Some(Live::Disconnected(_)) => {
                    ui.online(false);
                    false
                }
                None => {
                    events = link.client().subscribe();
                    false
                }
            },
            _ = tick.tick() => {
                match link.check(opts).await {
                    Health::Revoked => return Outcome::Unpaired,
                    Health::Online => true,
                    Health::Offline => {
                        ui.online(false);
                        false
                    }
                }
            }
        };
        if refresh {
            match link.client().queue(&QueueQuery::default()).await {
                Ok(q) => {
                    let b = display::board(&q);
                    ui.set(move |k| apply_board(k, b));
                    ui.online(true);
                }
                Err(_) => ui.online(false),
            }
        }
    }
}

fn apply_board(k: &Kiosk<'_>, b: display::Board) {
    let lines = |v: Vec<display::Line>| {
        model(
            v.into_iter()
                .map(|l| CalledItem {
                    number: l.number.into(),
                    greeting: l.name.into(),
                    stylist: l.stylist.into(),
                })
                .collect(),
        )
    };
    k.set_called(lines(b.called));
    k.set_serving(lines(b.serving));
    k.set_waiting_count(b.waiting as i32);
    k.set_waiting_by_stylist(model(
        b.waiting_by_stylist
            .into_iter()
            .map(|(s, n)| WaitingItem {
                stylist: s.into(),
                count: n as i32,
            })
            .collect(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_completed() {
        let cases = [
            ("192.168.1.20", "http://192.168.1.20:8080"),
            ("192.168.1.20:9000", "http://192.168.1.20:9000"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            (" salon-box.local ", "http://salon-box.local:8080"),
            ("http://[::1]", "http://[::1]:8080"),
            ("http://[::1]:81", "http://[::1]:81"),
        ];
        for (typed, want) in cases {
            assert_eq!(normalize(typed), want, "{typed}");
        }
    }

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
