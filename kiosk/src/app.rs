//! The app's shell: how it starts, the plumbing between the UI thread and the network
//! thread, the pairing screen, and the dispatch to the role the device was paired as. The
//! UI thread turns taps into [`Cmd`]s; a network thread (tokio) owns the connection, the
//! pairing and one role's loop at a time, and sends back plain view structs that the UI
//! thread applies. The UI never waits on the network. Each role — [`crate::kiosk`],
//! [`crate::display`], [`crate::tablet`] — is a module of its own with its controller and
//! its adapter; this shell touches only the generated types of the pairing screen and what
//! every role shares (screen, store name, online, busy, language).

use crate::device::Device;
use crate::kiosk::KioskCmd;
use crate::tablet::TabletCmd;
use crate::{display, kiosk, tablet};
use salon_shared::Role;
use salon_shared::client::{Client, ClientError, Discovered, discover};
use salon_ui::{Kiosk, KioskWindow, StoreItem};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;
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

/// What a tap asks the network side to do. The pairing screen's commands are here; each
/// role's are its own enum, wrapped.
#[derive(Debug, Clone)]
pub(crate) enum Cmd {
    PickStore(usize),
    Address(String),
    PairKey(String),
    Pair,
    /// "Pair again", offered by every role.
    Unpair,
    /// The check-in kiosk's screens, including the rating screens the tablet reuses.
    Kiosk(KioskCmd),
    /// The stylist tablet's screens.
    Tablet(TabletCmd),
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

/// The UI thread's side: every callback becomes a command. The pairing screen and the
/// language switch are wired here, each role's screens by its own module.
fn wire(window: &KioskWindow, tx: mpsc::UnboundedSender<Cmd>) {
    let k = window.global::<Kiosk>();
    let to = |c: Cmd| sends(&tx, c);
    k.on_pair(to(Cmd::Pair));
    k.on_unpair(to(Cmd::Unpair));

    let t = tx.clone();
    k.on_pick_store(move |i| drop(t.send(Cmd::PickStore(i.max(0) as usize))));
    let t = tx.clone();
    k.on_use_address(move |a| drop(t.send(Cmd::Address(a.to_string()))));
    let t = tx.clone();
    k.on_pair_key(move |key| drop(t.send(Cmd::PairKey(key.to_string()))));

    // One line per role; a new role (the back office) wires its screens here too.
    kiosk::wire(window, &tx);
    tablet::wire(window, &tx);

    let weak = window.as_weak();
    k.on_set_language(move |lang| {
        if let Some(w) = weak.upgrade() {
            set_language(&w, &lang);
        }
    });
}

/// A callback that sends `cmd` to the network side (a send fails only once the network
/// thread is gone, and then there is nobody to tell).
pub(crate) fn sends(tx: &mpsc::UnboundedSender<Cmd>, cmd: impl Into<Cmd>) -> impl Fn() + 'static {
    let (tx, cmd) = (tx.clone(), cmd.into());
    move || {
        let _ = tx.send(cmd.clone());
    }
}

fn set_language(w: &KioskWindow, lang: &str) {
    let _ = slint::select_bundled_translation(if lang == "en" { "en" } else { "zh_CN" });
    w.global::<Kiosk>().set_language(lang.into());
}

/// The network side's handle on the window.
#[derive(Clone)]
pub(crate) struct Ui(slint::Weak<KioskWindow>);

impl Ui {
    pub(crate) fn set(&self, f: impl FnOnce(&Kiosk<'_>) + Send + 'static) {
        let _ = self
            .0
            .upgrade_in_event_loop(move |w| f(&w.global::<Kiosk>()));
    }

    /// Runs `f` with the window on the UI thread, for a role that sets more than `Kiosk`.
    pub(crate) fn window(&self, f: impl FnOnce(KioskWindow) + Send + 'static) {
        let _ = self.0.upgrade_in_event_loop(f);
    }

    pub(crate) fn online(&self, online: bool) {
        self.set(move |k| k.set_online(online));
    }

    pub(crate) fn busy(&self) {
        self.set(|k| k.set_busy(true));
    }

    /// Shows `screen`; coming back to the welcome screen also brings back Chinese.
    pub(crate) fn screen(&self, screen: &'static str) {
        let _ = self.0.upgrade_in_event_loop(move |w| {
            let k = w.global::<Kiosk>();
            if screen == "welcome" && k.get_screen() != "welcome" {
                set_language(&w, "zh");
            }
            k.set_screen(screen.into());
        });
    }
}

pub(crate) fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(items))
}

pub(crate) fn key_of<T: serde::Serialize>(t: &T) -> SharedString {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(SharedString::from))
        .unwrap_or_default()
}

/// Why a role's screen loop ended.
pub(crate) enum Outcome {
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
        // One module per role, each with its controller and its adapter. A new role (the
        // back office, next) is a module beside them, an arm here and a line in `wire`.
        let outcome = match device.role {
            Role::Kiosk => kiosk::run(&opts, &ui, &mut rx, device).await,
            Role::Display => display::run(&opts, &ui, &mut rx, device).await,
            Role::Stylist | Role::FrontDesk => tablet::run(&opts, &ui, &mut rx, device).await,
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
pub(crate) struct Link {
    /// Shared with the role's controller, so a new address reaches its calls too.
    pub(crate) client: Arc<RwLock<Client>>,
    device: Device,
    misses: u32,
}

pub(crate) enum Health {
    Online,
    Offline,
    Revoked,
}

impl Link {
    pub(crate) fn new(device: Device) -> Link {
        let client = Client::new(device.base_url.clone()).with_token(device.token.clone());
        Link {
            client: Arc::new(RwLock::new(client)),
            device,
            misses: 0,
        }
    }

    pub(crate) fn client(&self) -> Client {
        crate::current(&self.client)
    }

    pub(crate) async fn check(&mut self, opts: &Options) -> Health {
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

/// A role with no screens in this app (the manager's, for now): says so and offers to pair
/// again.
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
}
