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
use crate::tablet::{Rest, Sale, Screen, Session, TOP_UPS, Tablet as TabletFlow};
use chrono::Datelike;
use salon_shared::api::PhotoKind;
use salon_shared::api::{
    BalkRequest, CheckInRequest, CheckInResponse, FeedbackInput, KioskCustomer, KioskIdentify,
    KioskRegister, QueueAction, QueueQuery, QuoteResponse, SaleItem,
};
use salon_shared::bill::PayMethod;
use salon_shared::bill::Step as BillStep;
use salon_shared::client::{Client, ClientError, Discovered, Live, discover};
use salon_shared::{CouponDefId, CouponId, CustomerId, Money, ProductId};
use salon_shared::{Role, Service, ServiceId, StaffId};
use salon_ui::{
    ApptRow, CalledItem, CategoryItem, Kiosk, KioskWindow, LineRow, PhotoRow, PickRow, ServiceItem,
    StaffItem, StoreItem, StylistItem, SurnameItem, Tablet, TicketRow, VisitRow, WaitingItem,
};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
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
    /// Where the tablet's camera saves photos: the newest are offered as before/after
    /// photos of a visit.
    pub photos: PathBuf,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            server: None,
            loopback_only: false,
            data_dir: crate::device::default_dir(),
            idle: Duration::from_secs(60),
            device_name: "Front door kiosk".into(),
            photos: std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join("Pictures"))
                .unwrap_or_else(|| PathBuf::from("Pictures")),
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
    // ---- the stylist tablet ----
    PickStaff(StaffId),
    PinKey(String),
    SignIn,
    SignOut,
    ShowMine(bool),
    Move(u64, QueueAction),
    OpenTicket(u64),
    OpenCustomer(CustomerId),
    Refresh,
    Back,
    ToRecord,
    ToCheckout,
    RecordService(ServiceId),
    RecordProduct(ProductId, i32),
    Formula(String),
    Notes(String),
    SaveRecord,
    Item(usize, i32),
    AddProduct(ProductId),
    TogglePackages,
    Coupon(CouponId),
    Points(i64),
    UseBalance(bool),
    PayRest(Rest),
    CashKey(String),
    Reference(String),
    Pay,
    HandOver,
    TabletDone,
    PhotoConsent,
    AddPhoto(String, PhotoKind),
    ToSell,
    ChooseSale(Sale),
    SaleMethod(PayMethod),
    SaleReference(String),
    Sell,
    GiveCoupon(CouponDefId),
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

    wire_tablet(window, &tx);

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

/// The tablet's callbacks, each a command.
fn wire_tablet(window: &KioskWindow, tx: &mpsc::UnboundedSender<Cmd>) {
    let t = window.global::<Tablet>();
    let to = |c: Cmd| {
        let tx = tx.clone();
        move || {
            let _ = tx.send(c.clone());
        }
    };
    t.on_sign_in(to(Cmd::SignIn));
    t.on_sign_out(to(Cmd::SignOut));
    t.on_refresh(to(Cmd::Refresh));
    t.on_back(to(Cmd::Back));
    t.on_to_record(to(Cmd::ToRecord));
    t.on_to_checkout(to(Cmd::ToCheckout));
    t.on_save_record(to(Cmd::SaveRecord));
    t.on_k_toggle_packages(to(Cmd::TogglePackages));
    t.on_pay(to(Cmd::Pay));
    t.on_hand_over(to(Cmd::HandOver));
    t.on_done(to(Cmd::TabletDone));
    t.on_r_photo_consent_toggle(to(Cmd::PhotoConsent));
    t.on_to_sell(to(Cmd::ToSell));
    t.on_sell(to(Cmd::Sell));
    let c = tx.clone();
    t.on_s_top_up(move |yuan| {
        let amount = Money::new(rust_decimal::Decimal::from(yuan.max(0))).unwrap_or(Money::ZERO);
        drop(c.send(Cmd::ChooseSale(Sale::TopUp(amount))))
    });
    let c = tx.clone();
    t.on_s_plan(move |i| drop(c.send(Cmd::ChooseSale(Sale::Package(i.max(0) as u64)))));
    let c = tx.clone();
    t.on_s_pay_by(move |m| {
        let method = match m.as_str() {
            "mobile" => PayMethod::Mobile,
            "stored_value" => PayMethod::StoredValue,
            _ => PayMethod::Cash,
        };
        drop(c.send(Cmd::SaleMethod(method)))
    });
    let c = tx.clone();
    t.on_s_reference_edited(move |r| drop(c.send(Cmd::SaleReference(r.to_string()))));
    let c = tx.clone();
    t.on_s_coupon(move |i| drop(c.send(Cmd::GiveCoupon(CouponDefId(i.max(0) as u64)))));
    let c = tx.clone();
    t.on_r_add_photo(move |file, kind| {
        let kind = if kind == "after" {
            PhotoKind::After
        } else {
            PhotoKind::Before
        };
        drop(c.send(Cmd::AddPhoto(file.to_string(), kind)))
    });
    let id = |i: i32| i.max(0) as u64;
    let c = tx.clone();
    t.on_pick_staff(move |i| drop(c.send(Cmd::PickStaff(StaffId(id(i))))));
    let c = tx.clone();
    t.on_pin_key(move |k| drop(c.send(Cmd::PinKey(k.to_string()))));
    let c = tx.clone();
    t.on_show_mine(move |m| drop(c.send(Cmd::ShowMine(m))));
    let c = tx.clone();
    t.on_move(move |ticket, a| {
        let action = match a.as_str() {
            "call" => QueueAction::Call,
            "start" => QueueAction::Start,
            "finish" => QueueAction::Finish,
            _ => QueueAction::NoShow,
        };
        drop(c.send(Cmd::Move(id(ticket), action)))
    });
    let c = tx.clone();
    t.on_open_ticket(move |i| drop(c.send(Cmd::OpenTicket(id(i)))));
    let c = tx.clone();
    t.on_open_customer(move |i| drop(c.send(Cmd::OpenCustomer(CustomerId(id(i))))));
    let c = tx.clone();
    t.on_r_toggle_service(move |i| drop(c.send(Cmd::RecordService(ServiceId(id(i))))));
    let c = tx.clone();
    t.on_r_product(move |i, d| drop(c.send(Cmd::RecordProduct(ProductId(id(i)), d))));
    let c = tx.clone();
    t.on_r_formula_edited(move |s| drop(c.send(Cmd::Formula(s.to_string()))));
    let c = tx.clone();
    t.on_r_notes_edited(move |s| drop(c.send(Cmd::Notes(s.to_string()))));
    let c = tx.clone();
    t.on_k_item(move |i, d| drop(c.send(Cmd::Item(i.max(0) as usize, d))));
    let c = tx.clone();
    t.on_k_add_product(move |i| drop(c.send(Cmd::AddProduct(ProductId(id(i))))));
    let c = tx.clone();
    t.on_k_coupon(move |i| drop(c.send(Cmd::Coupon(CouponId(id(i))))));
    let c = tx.clone();
    t.on_k_points_step(move |d| drop(c.send(Cmd::Points(i64::from(d)))));
    let c = tx.clone();
    t.on_k_use_balance(move |on| drop(c.send(Cmd::UseBalance(on))));
    let c = tx.clone();
    t.on_k_pay_rest(move |r| {
        let rest = if r == "mobile" {
            Rest::Mobile
        } else {
            Rest::Cash
        };
        drop(c.send(Cmd::PayRest(rest)))
    });
    let c = tx.clone();
    t.on_k_cash_key(move |k| drop(c.send(Cmd::CashKey(k.to_string()))));
    let c = tx.clone();
    t.on_k_reference_edited(move |s| drop(c.send(Cmd::Reference(s.to_string()))));
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
            Role::Stylist | Role::FrontDesk => tablet(&opts, &ui, &mut rx, device).await,
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
        crate::current(&self.client)
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
        _ => {}
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

// ---------------------------------------------------------------- the stylist tablet

/// A shared tablet signs its staff member out after this long without a tap.
fn tablet_idle(opts: &Options) -> Duration {
    opts.idle * 3
}

async fn tablet(
    opts: &Options,
    ui: &Ui,
    rx: &mut mpsc::UnboundedReceiver<Cmd>,
    device: Device,
) -> Outcome {
    let mut link = Link::new(device);
    let mut t = TabletFlow::new(Session::new(link.client.clone()));
    if let Ok(h) = link.client().health().await
        && let Some(o) = chrono::FixedOffset::east_opt(h.utc_offset_minutes * 60)
    {
        t.offset = o;
    }
    t.load_staff().await;
    show_tablet(ui, &t, opts, Vec::new());
    let mut events = link.client().subscribe();
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
                if !matches!(
                    cmd,
                    Cmd::Formula(_) | Cmd::Notes(_) | Cmd::Reference(_) | Cmd::SaleReference(_)
                ) {
                    ui.busy();
                }
                handle_tablet(&mut t, cmd, opts).await;
                let photos = cache_photos(&t, opts).await;
                show_tablet(ui, &t, opts, photos);
            }
            live = events.recv() => {
                let changed = match live {
                    Some(Live::Event(e)) => e.kind.starts_with("queue.") || e.kind.starts_with("appointment.") || e.kind.starts_with("checkout."),
                    Some(Live::Connected) | Some(Live::Resync) => true,
                    Some(Live::Disconnected(_)) => false,
                    None => {
                        events = link.client().subscribe();
                        false
                    }
                };
                // The queue is live on its own screen; elsewhere it waits for the way back.
                if changed && t.screen == Screen::Queue {
                    t.refresh().await;
                    show_tablet(ui, &t, opts, Vec::new());
                }
            }
            _ = tick.tick() => {
                if last_check.is_none_or(|c| c.elapsed() >= Duration::from_secs(2)) {
                    last_check = Some(Instant::now());
                    match link.check(opts).await {
                        Health::Revoked => return Outcome::Unpaired,
                        Health::Offline => ui.online(false),
                        Health::Online => {
                            ui.online(true);
                            if t.staff.is_empty() {
                                t.load_staff().await;
                                show_tablet(ui, &t, opts, Vec::new());
                            }
                        }
                    }
                }
                if t.me.is_some() && last_tap.elapsed() >= tablet_idle(opts) {
                    t.sign_out().await;
                    show_tablet(ui, &t, opts, Vec::new());
                }
            }
        }
    }
}

async fn handle_tablet<A: crate::tablet::TabletApi>(
    t: &mut TabletFlow<A>,
    cmd: Cmd,
    opts: &Options,
) {
    match cmd {
        Cmd::PhotoConsent => t.toggle_photo_consent(),
        Cmd::ToSell => t.to_sell().await,
        Cmd::ChooseSale(sale) => t.choose_sale(sale),
        Cmd::SaleMethod(m) => t.sale_method(m),
        Cmd::SaleReference(r) => t.shop.reference = r,
        Cmd::Sell => t.sell().await,
        Cmd::GiveCoupon(d) => t.give_coupon(d).await,
        Cmd::AddPhoto(file, kind) => {
            // Only a file of the photo folder, by its bare name.
            let name = Path::new(&file).file_name().map(|n| n.to_os_string());
            let read = name.and_then(|n| std::fs::read(opts.photos.join(n)).ok());
            match (read, image_type(&file)) {
                (Some(bytes), Some(ct)) => t.add_photo(kind, ct, bytes).await,
                _ => t.problem = Some("photo_invalid"),
            }
        }
        Cmd::PickStaff(id) => t.pick_staff(id),
        Cmd::PinKey(k) => t.pin_key(&k),
        Cmd::SignIn => t.sign_in().await,
        Cmd::SignOut => t.sign_out().await,
        Cmd::ShowMine(m) => t.mine_only = m,
        Cmd::Move(ticket, a) => t.move_ticket(ticket, a).await,
        Cmd::OpenTicket(ticket) => t.open_ticket(ticket).await,
        Cmd::OpenCustomer(c) => t.open_customer(c).await,
        Cmd::Refresh => t.refresh().await,
        Cmd::Back => match t.screen {
            Screen::Record | Screen::Checkout | Screen::Sell => t.screen = Screen::Customer,
            _ => {
                t.back_to_queue();
                t.refresh().await;
            }
        },
        Cmd::ToRecord => t.to_record().await,
        Cmd::ToCheckout => t.to_checkout().await,
        Cmd::RecordService(id) => t.toggle_record_service(id),
        Cmd::RecordProduct(id, d) => t.record_product(id, d),
        Cmd::Formula(s) => t.set_formula(&s),
        Cmd::Notes(s) => t.record.notes = s,
        Cmd::SaveRecord => t.save_record().await,
        Cmd::Item(i, d) => t.change_item(i, d).await,
        Cmd::AddProduct(id) => t.add_product(id).await,
        Cmd::TogglePackages => t.toggle_packages().await,
        Cmd::Coupon(id) => t.pick_coupon(id).await,
        Cmd::Points(d) => t.step_points(d).await,
        Cmd::UseBalance(on) => t.use_balance(on),
        Cmd::PayRest(r) => t.pay_rest_by(r),
        Cmd::CashKey(k) => t.cash_key(&k),
        Cmd::Reference(s) => t.cart.reference = s,
        Cmd::Pay => t.pay().await,
        Cmd::HandOver => t.hand_over(),
        Cmd::Rate(i, v) => t.rate(i, v),
        Cmd::Phrase(i) => t.toggle_phrase(i),
        Cmd::SendFeedback => t.send_feedback().await,
        Cmd::SkipFeedback | Cmd::Done | Cmd::TabletDone => t.done().await,
        _ => {}
    }
}

/// The content type of a photo file, by its extension.
fn image_type(file: &str) -> Option<&'static str> {
    let ext = Path::new(file).extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        _ => None,
    }
}

/// The newest few photos in the photo folder, by file name.
fn newest_photos(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, String)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            image_type(&name)?;
            let at = e.metadata().ok()?.modified().ok()?;
            Some((at, name))
        })
        .collect();
    files.sort_by(|a, b| b.cmp(a));
    files.into_iter().take(3).map(|(_, n)| n).collect()
}

/// The photos of the customer's past visits on screen, fetched once into the device's
/// cache: (visit index, label, file).
async fn cache_photos<A: crate::tablet::TabletApi>(
    t: &TabletFlow<A>,
    opts: &Options,
) -> Vec<(i32, String, PathBuf)> {
    let Some(o) = &t.customer else {
        return Vec::new();
    };
    if t.screen != Screen::Customer {
        return Vec::new();
    }
    let dir = opts.data_dir.join("photo-cache");
    let _ = std::fs::create_dir_all(&dir);
    let mut out = Vec::new();
    for (i, v) in o.visits.iter().enumerate() {
        for p in &v.photos {
            let ext = if p.content_type == "image/png" {
                "png"
            } else {
                "jpg"
            };
            let file = dir.join(format!("{}-{}.{ext}", v.ticket_id, p.n));
            if !file.exists() {
                match t.photo_bytes(v.ticket_id, p.n).await {
                    Some(bytes) => {
                        let _ = std::fs::write(&file, bytes);
                    }
                    None => continue,
                }
            }
            out.push((i as i32, format!("{}-{}", v.ticket_id, p.n), file));
        }
    }
    out
}

fn yuan(d: rust_decimal::Decimal) -> String {
    format!("¥{}", salon_shared::money::round(d))
}

fn line(kind: &str, text: impl Into<String>, amount: impl Into<String>, strong: bool) -> LineRow {
    LineRow {
        kind: kind.into(),
        text: text.into().into(),
        amount: amount.into().into(),
        strong,
    }
}

/// Everything the tablet's screens show, as plain data.
#[derive(Default)]
struct TabletView {
    screen: &'static str,
    problem: &'static str,
    staff: Vec<StaffItem>,
    picked: i32,
    pin: String,
    me: String,
    mine_only: bool,
    tickets: Vec<TicketRow>,
    appointments: Vec<ApptRow>,
    c_name: String,
    c_greeting: String,
    c_phone: String,
    c_tier: SharedString,
    c_allergies: String,
    c_notes: String,
    c_tags: String,
    c_balances: Vec<LineRow>,
    c_packages: Vec<LineRow>,
    c_coupons: Vec<LineRow>,
    c_visits: Vec<VisitRow>,
    c_ticket: String,
    can_record: bool,
    can_checkout: bool,
    r_services: Vec<PickRow>,
    r_products: Vec<PickRow>,
    r_formula: String,
    r_notes: String,
    r_photo_consent: bool,
    r_photo_count: i32,
    r_photo_files: Vec<SharedString>,
    k_items: Vec<PickRow>,
    k_products: Vec<PickRow>,
    k_coupons: Vec<PickRow>,
    k_use_packages: bool,
    k_points: i32,
    k_points_balance: i32,
    k_lines: Vec<LineRow>,
    k_due: String,
    k_balance: String,
    k_stored_on: bool,
    k_rest_due: String,
    k_rest: &'static str,
    k_cash_given: String,
    k_change: String,
    k_reference: String,
    receipt: String,
    receipt_number: String,
    can_rate: bool,
    s_top_ups: Vec<PickRow>,
    s_plans: Vec<PickRow>,
    s_coupons: Vec<PickRow>,
    s_method: &'static str,
    s_price: String,
    s_package: bool,
    s_reference: String,
    scores: Vec<i32>,
    phrases: Vec<bool>,
    rate_number: String,
    rate_stylist: String,
    rate_services: String,
}

fn tablet_view<A: crate::tablet::TabletApi>(t: &TabletFlow<A>) -> TabletView {
    let now = chrono::Utc::now();
    let mut v = TabletView {
        screen: match t.screen {
            Screen::SignIn => "signin",
            Screen::Queue => "queue",
            Screen::Customer => "customer",
            Screen::Record => "record",
            Screen::Checkout => "checkout",
            Screen::Receipt => "receipt",
            Screen::Sell => "sell",
            Screen::Feedback => "feedback",
            Screen::Thanks => "thanks",
        },
        problem: t.problem.unwrap_or(""),
        staff: t
            .staff
            .iter()
            .map(|s| StaffItem {
                id: s.id.0 as i32,
                name: s.name.clone().into(),
                role: key_of(&s.role),
            })
            .collect(),
        picked: t.picked.map_or(-1, |s| s.0 as i32),
        pin: "●".repeat(t.pin.len()),
        me: t.me.as_ref().map(|m| m.name.clone()).unwrap_or_default(),
        mine_only: t.mine_only,
        scores: t.scores.iter().map(|s| s.map_or(-1, i32::from)).collect(),
        phrases: t.phrases.to_vec(),
        receipt: t.receipt.clone(),
        receipt_number: t
            .paid
            .as_ref()
            .map(|p| p.number.clone())
            .unwrap_or_default(),
        ..TabletView::default()
    };
    let names = |ids: &[ServiceId]| {
        ids.iter()
            .map(|s| t.service_name(*s))
            .collect::<Vec<_>>()
            .join("、")
    };
    v.tickets = t
        .shown_queue()
        .into_iter()
        .map(|e| TicketRow {
            id: e.ticket.id as i32,
            number: e.ticket.number.clone().into(),
            name: e.greeting.clone().into(),
            services: names(&e.ticket.services).into(),
            stylist: e.stylist_name.clone().unwrap_or_default().into(),
            state: key_of(&e.ticket.state),
            waited: (now - e.ticket.created_at).num_minutes().max(0) as i32,
            paid: e.paid,
        })
        .collect();
    v.appointments = t
        .appointments
        .iter()
        .filter(|a| {
            t.mine_only
                .then(|| t.me.as_ref().map(|m| m.id))
                .flatten()
                .is_none_or(|me| a.stylist_id == me)
        })
        .map(|a| ApptRow {
            customer: a.customer_id.0 as i32,
            time: a
                .start
                .with_timezone(&t.offset)
                .format("%H:%M")
                .to_string()
                .into(),
            services: names(&a.services).into(),
            stylist: t.staff_name(a.stylist_id).into(),
            state: key_of(&a.state),
        })
        .collect();
    if let Some(o) = &t.customer {
        let c = &o.customer;
        v.c_name = c.name.clone();
        v.c_greeting = c.greeting_name();
        v.c_phone = c.phone.as_ref().map(|p| p.to_string()).unwrap_or_default();
        v.c_tier = key_of(&c.tier);
        v.c_allergies = c.care.allergies.join("、");
        v.c_notes = c.care.notes.clone();
        v.c_tags = c.tags.iter().cloned().collect::<Vec<_>>().join(" · ");
        v.c_balances = vec![
            line("stored_value", "", yuan(o.wallet.stored_value), true),
            line("points_held", "", o.wallet.points.to_string(), true),
            line(
                "discount",
                "",
                format!("{}%", o.tier_benefits.discount_percent.normalize()),
                false,
            ),
            line("spend", "", yuan(c.total_spend), false),
        ];
        let today = now.with_timezone(&t.offset).date_naive();
        v.c_packages = o
            .packages
            .iter()
            .filter(|p| p.usable(today))
            .map(|p| {
                line(
                    "plain",
                    p.name.clone(),
                    format!("{}/{}", p.remaining, p.uses),
                    false,
                )
            })
            .collect();
        v.c_coupons = t
            .usable_coupons()
            .into_iter()
            .map(|cv| {
                line(
                    "plain",
                    cv.def.name.clone(),
                    format!("→ {}", cv.def.valid_to),
                    false,
                )
            })
            .collect();
        v.c_visits = o
            .visits
            .iter()
            .map(|x| VisitRow {
                day: x.day.to_string().into(),
                services: x.services.join("、").into(),
                stylist: x.stylist.clone().unwrap_or_default().into(),
                amount: x
                    .amount
                    .map(|a| yuan(a.amount()))
                    .unwrap_or_default()
                    .into(),
                formulas: x
                    .formulas
                    .iter()
                    .map(|f| f.text.clone())
                    .collect::<Vec<_>>()
                    .join("；")
                    .into(),
                notes: x.notes.clone().into(),
                products: x
                    .products_used
                    .iter()
                    .map(|p| format!("{} ×{}", p.name, p.qty))
                    .collect::<Vec<_>>()
                    .join("、")
                    .into(),
                rating: x.rating.map_or(0, i32::from),
            })
            .collect();
    }
    if let Some(e) = &t.ticket {
        use salon_shared::api::TicketState as S;
        v.c_ticket = e.ticket.number.clone();
        v.can_record = matches!(e.ticket.state, S::InService | S::Done);
        v.can_checkout = v.can_record && !e.paid;
        v.rate_number = e.ticket.number.clone();
        v.rate_stylist = e.stylist_name.clone().unwrap_or_default();
        v.rate_services = names(&e.ticket.services);
    }
    // The service record.
    let used = t.record_qty();
    v.r_services = t
        .catalog
        .iter()
        .map(|s| PickRow {
            id: s.id.0 as i32,
            name: s.name.clone().into(),
            detail: yuan(s.price.amount()).into(),
            qty: 0,
            selected: t.record.services.contains(&s.id),
        })
        .collect();
    v.r_products = t
        .products
        .iter()
        .map(|p| PickRow {
            id: p.id.0 as i32,
            name: p.name.clone().into(),
            detail: p.brand.clone().into(),
            qty: used.get(&p.id).copied().unwrap_or(0) as i32,
            selected: used.contains_key(&p.id),
        })
        .collect();
    v.r_formula = t.formula();
    v.r_notes = t.record.notes.clone();
    v.r_photo_consent = t.record.photo_consent;
    v.r_photo_count = t.photos.len() as i32;
    // Checkout.
    let cart = &t.cart;
    v.k_items = cart
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let (name, qty, unit) = match *it {
                SaleItem::Service { id, qty } => (
                    t.service_name(id),
                    qty,
                    t.catalog
                        .iter()
                        .find(|s| s.id == id)
                        .map(|s| s.price.amount()),
                ),
                SaleItem::Product { id, qty } => (
                    t.product_name(id),
                    qty,
                    t.products
                        .iter()
                        .find(|p| p.id == id)
                        .map(|p| p.price.amount()),
                ),
            };
            // The price the bill charges (by the stylist's level), else the list price.
            let unit = cart
                .bill
                .as_ref()
                .and_then(|b| b.items.get(i))
                .map(|b| b.unit_price.amount())
                .or(unit);
            PickRow {
                id: i as i32,
                name: name.into(),
                detail: unit.map(yuan).unwrap_or_default().into(),
                qty: qty as i32,
                selected: false,
            }
        })
        .collect();
    v.k_products = t
        .products
        .iter()
        .filter(|p| p.stock > 0)
        .map(|p| PickRow {
            id: p.id.0 as i32,
            name: p.name.clone().into(),
            detail: yuan(p.price.amount()).into(),
            qty: 0,
            selected: false,
        })
        .collect();
    v.k_coupons = t
        .usable_coupons()
        .into_iter()
        .map(|cv| PickRow {
            id: cv.coupon.id.0 as i32,
            name: cv.def.name.clone().into(),
            detail: SharedString::new(),
            qty: 0,
            selected: cart.coupon == Some(cv.coupon.id),
        })
        .collect();
    v.k_use_packages = cart.use_packages;
    v.k_points = cart.points as i32;
    v.k_points_balance = t.points_balance() as i32;
    if let Some(b) = &cart.bill {
        for i in &b.items {
            v.k_lines.push(line(
                "item",
                format!("{} ×{}", i.name, i.qty),
                yuan(i.amount.amount()),
                false,
            ));
        }
        v.k_lines
            .push(line("subtotal", "", yuan(b.subtotal.amount()), true));
        for a in &b.adjustments {
            let (kind, text) = match &a.step {
                BillStep::Package {
                    name,
                    uses,
                    remaining,
                    ..
                } => ("package", format!("{name} ×{uses} ({remaining})")),
                BillStep::TierDiscount { percent, .. } => ("tier", percent.normalize().to_string()),
                BillStep::Coupon { name, .. } => ("coupon", name.clone()),
                BillStep::Points { points } => ("points", points.to_string()),
            };
            v.k_lines.push(line(
                kind,
                text,
                format!("-{}", yuan(a.amount.amount())),
                false,
            ));
        }
        if b.tier_discount_skipped {
            v.k_lines.push(line("tier_skipped", "", "", false));
        }
    }
    v.k_due = yuan(t.due());
    v.k_balance = yuan(t.balance());
    v.k_stored_on = !cart.stored.is_zero();
    v.k_rest_due = yuan(t.rest_due());
    v.k_rest = match cart.rest {
        Some(Rest::Cash) => "cash",
        Some(Rest::Mobile) => "mobile",
        None => "",
    };
    v.k_cash_given = cart.cash_given.clone();
    v.k_change = t.change().map(yuan).unwrap_or_else(|| "—".into());
    v.k_reference = cart.reference.clone();
    // The receipt of a visit can be handed over for a rating; a top-up's cannot.
    v.can_rate = t.paid.as_ref().is_some_and(|p| {
        matches!(
            p.kind,
            salon_shared::api::CheckoutKind::Sale {
                ticket_id: Some(_),
                ..
            }
        )
    });
    // Member sales.
    let shop = &t.shop;
    v.s_top_ups = TOP_UPS
        .iter()
        .map(|y| {
            let amount = Money::new(rust_decimal::Decimal::from(*y)).unwrap_or(Money::ZERO);
            let bonus = salon_shared::ledger::bonus_for(amount, &shop.bonus);
            PickRow {
                id: *y as i32,
                name: yuan(amount.amount()).into(),
                detail: if bonus.amount().is_zero() {
                    SharedString::new()
                } else {
                    format!("+{}", yuan(bonus.amount())).into()
                },
                qty: 0,
                selected: shop.chosen == Some(Sale::TopUp(amount)),
            }
        })
        .collect();
    v.s_plans = shop
        .plans
        .iter()
        .map(|p| PickRow {
            id: p.id as i32,
            name: p.name.clone().into(),
            detail: format!(
                "{} · {} × {}",
                yuan(p.price.amount()),
                t.service_name(p.service_id),
                p.uses
            )
            .into(),
            qty: 0,
            selected: shop.chosen == Some(Sale::Package(p.id)),
        })
        .collect();
    v.s_coupons = shop
        .coupons
        .iter()
        .map(|d| PickRow {
            id: d.id.0 as i32,
            name: d.name.clone().into(),
            detail: format!("→ {}", d.valid_to).into(),
            qty: 0,
            selected: false,
        })
        .collect();
    v.s_method = match shop.method {
        Some(PayMethod::Cash) => "cash",
        Some(PayMethod::Mobile) => "mobile",
        Some(PayMethod::StoredValue) => "stored_value",
        None => "",
    };
    v.s_price = t.sale_price().map(|m| yuan(m.amount())).unwrap_or_default();
    v.s_package = matches!(shop.chosen, Some(Sale::Package(_)));
    v.s_reference = shop.reference.clone();
    v
}

fn show_tablet<A: crate::tablet::TabletApi>(
    ui: &Ui,
    t: &TabletFlow<A>,
    opts: &Options,
    photos: Vec<(i32, String, PathBuf)>,
) {
    let mut v = tablet_view(t);
    if t.screen == Screen::Record {
        v.r_photo_files = newest_photos(&opts.photos)
            .into_iter()
            .map(SharedString::from)
            .collect();
    }
    let _ = ui.0.upgrade_in_event_loop(move |w| {
        let k = w.global::<Kiosk>();
        k.set_busy(false);
        k.set_problem(v.problem.into());
        k.set_greeting(v.c_greeting.into());
        k.set_masked_phone(SharedString::new());
        k.set_tier(v.c_tier.clone());
        k.set_rate_number(v.rate_number.into());
        k.set_rate_stylist(v.rate_stylist.into());
        k.set_rate_services(v.rate_services.into());
        k.set_scores(model(v.scores));
        k.set_phrase_on(model(v.phrases));
        let t = w.global::<Tablet>();
        t.set_staff(model(v.staff));
        t.set_picked(v.picked);
        t.set_pin_shown(v.pin.into());
        t.set_me(v.me.into());
        t.set_mine_only(v.mine_only);
        t.set_tickets(model(v.tickets));
        t.set_appointments(model(v.appointments));
        t.set_c_name(v.c_name.into());
        t.set_c_phone(v.c_phone.into());
        t.set_c_tier(v.c_tier);
        t.set_c_allergies(v.c_allergies.into());
        t.set_c_notes(v.c_notes.into());
        t.set_c_tags(v.c_tags.into());
        t.set_c_balances(model(v.c_balances));
        t.set_c_packages(model(v.c_packages));
        t.set_c_coupons(model(v.c_coupons));
        t.set_c_visits(model(v.c_visits));
        t.set_c_photos(model(
            photos
                .into_iter()
                .map(|(visit, label, file)| PhotoRow {
                    visit,
                    label: label.into(),
                    image: slint::Image::load_from_path(&file).unwrap_or_default(),
                })
                .collect(),
        ));
        t.set_r_photo_consent(v.r_photo_consent);
        t.set_r_photo_count(v.r_photo_count);
        t.set_r_photo_files(model(v.r_photo_files));
        t.set_c_ticket(v.c_ticket.into());
        t.set_can_record(v.can_record);
        t.set_can_checkout(v.can_checkout);
        t.set_r_services(model(v.r_services));
        t.set_r_products(model(v.r_products));
        // Text being typed stays as typed; Rust's copy only fills a fresh screen.
        if t.get_r_formula().as_str() != v.r_formula {
            t.set_r_formula(v.r_formula.into());
        }
        if t.get_r_notes().as_str() != v.r_notes {
            t.set_r_notes(v.r_notes.into());
        }
        t.set_k_items(model(v.k_items));
        t.set_k_products(model(v.k_products));
        t.set_k_coupons(model(v.k_coupons));
        t.set_k_use_packages(v.k_use_packages);
        t.set_k_points(v.k_points);
        t.set_k_points_balance(v.k_points_balance);
        t.set_k_lines(model(v.k_lines));
        t.set_k_due(v.k_due.into());
        t.set_k_balance(v.k_balance.into());
        t.set_k_stored_on(v.k_stored_on);
        t.set_k_rest_due(v.k_rest_due.into());
        t.set_k_rest(v.k_rest.into());
        t.set_k_cash_given(v.k_cash_given.into());
        t.set_k_change(v.k_change.into());
        if t.get_k_reference().as_str() != v.k_reference {
            t.set_k_reference(v.k_reference.into());
        }
        t.set_receipt(v.receipt.into());
        t.set_receipt_number(v.receipt_number.into());
        t.set_can_rate(v.can_rate);
        t.set_s_top_ups(model(v.s_top_ups));
        t.set_s_plans(model(v.s_plans));
        t.set_s_coupons(model(v.s_coupons));
        t.set_s_method(v.s_method.into());
        t.set_s_price(v.s_price.into());
        t.set_s_package(v.s_package);
        if t.get_s_reference().as_str() != v.s_reference {
            t.set_s_reference(v.s_reference.into());
        }
        k.set_screen(v.screen.into());
    });
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
