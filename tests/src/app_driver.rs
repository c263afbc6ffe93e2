//! Drives the client app's real window without a display: Slint's testing backend with the
//! software renderer, a real event loop and real time. Elements are found by their
//! accessible label, and a look-up that finds nothing fails loudly. Used by the UI tests
//! and by the screenshot command.

use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use kiosk::app::{self, Options};
use kiosk::device::Device;
use salon_shared::Role;
use salon_ui::{Kiosk, KioskWindow, Tablet};
use slint::ComponentHandle;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Installs the headless backend (once per process, before any window).
pub fn init_backend() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: false,
        threading: true,
        renderer_name: Some("software".into()),
    })))
    .expect("the headless backend is installed once, before any window");
}

/// Runs `body` inside the Slint event loop (where the app's windows live) and returns when
/// it finishes; a panic in `body` fails the caller.
pub fn run_ui<F: std::future::Future<Output = ()> + 'static>(body: F) {
    let failed = std::rc::Rc::new(std::cell::Cell::new(true));
    let f2 = failed.clone();
    slint::spawn_local(async move {
        body.await;
        f2.set(false);
        let _ = slint::quit_event_loop();
    })
    .expect("spawn on the UI thread");
    slint::run_event_loop_until_quit().expect("event loop");
    assert!(!failed.get(), "the UI script did not finish");
}

/// Runs `f` on a tokio runtime and waits for it from the UI thread (which has no reactor).
pub async fn net<F>(rt: &tokio::runtime::Handle, f: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.spawn(f).await.expect("a step on the tokio runtime")
}

/// The tokio runtime that serves the store while the UI thread runs the screens.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A store server on 127.0.0.1:0 filled with the demo salon and `customers` customers.
pub fn demo_server(rt: &tokio::runtime::Runtime, customers: usize) -> crate::TestServer {
    rt.block_on(async {
        let srv = crate::TestServer::start().await;
        let s = srv.state.clone();
        tokio::task::spawn_blocking(move || {
            store_server::demo::fill(&s.db, &s.writer, customers, s.info.tz).expect("demo data")
        })
        .await
        .expect("demo data written");
        srv
    })
}

/// Waits `d` without blocking the event loop.
pub async fn pause(d: Duration) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    slint::Timer::single_shot(d, move || {
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// One app window, with its own data folder.
pub struct App {
    pub window: KioskWindow,
    pub data_dir: PathBuf,
}

/// How long a step may take before a test gives up on it.
const PATIENCE: Duration = Duration::from_secs(15);

impl App {
    /// Opens the app with `data_dir` as its folder (a saved pairing there is used); its
    /// photo folder is `data_dir/camera`.
    pub fn open(data_dir: &Path, server: Option<String>, idle: Duration) -> App {
        let window = KioskWindow::new().expect("window");
        window
            .window()
            .set_size(slint::LogicalSize::new(1280.0, 800.0));
        app::start(
            &window,
            Options {
                server,
                loopback_only: true,
                data_dir: data_dir.to_path_buf(),
                idle,
                device_name: "UI test kiosk".into(),
                // A tablet's camera folder: tests put photos there.
                photos: data_dir.join("camera"),
            },
        )
        .expect("app starts");
        window.show().expect("window shows");
        App {
            window,
            data_dir: data_dir.to_path_buf(),
        }
    }

    /// Opens the app already paired with `base` as `role` with `token`; `rt` runs the
    /// look-up of the server's identity (the UI thread has no tokio reactor).
    pub async fn paired(
        rt: &tokio::runtime::Handle,
        data_dir: &Path,
        base: &str,
        token: &str,
        role: Role,
        idle: Duration,
    ) -> App {
        let client = salon_shared::client::Client::new(base);
        let health = net(rt, async move { client.health().await })
            .await
            .expect("server health");
        Device {
            base_url: base.to_string(),
            server_id: health.server_id,
            store_name: health.store_name,
            token: token.to_string(),
            role,
            discovered: false,
        }
        .save(data_dir)
        .expect("pairing saved");
        App::open(data_dir, None, idle)
    }

    /// A kiosk freshly paired with `srv`, on its welcome screen, with its data folder.
    pub async fn new_kiosk(
        rt: &tokio::runtime::Handle,
        srv: &crate::TestServer,
        idle: Duration,
    ) -> (App, tempfile::TempDir) {
        App::new_kiosk_via(rt, srv, &srv.base, idle).await
    }

    /// A kiosk paired with `srv` that reaches it at `base` (e.g. through a relay).
    pub async fn new_kiosk_via(
        rt: &tokio::runtime::Handle,
        srv: &crate::TestServer,
        base: &str,
        idle: Duration,
    ) -> (App, tempfile::TempDir) {
        let s = srv.state.clone();
        let token = net(rt, async move {
            store_server::ops::devices::device_token(&s, "door kiosk", Role::Kiosk)
                .await
                .expect("kiosk token")
        })
        .await;
        let dir = tempfile::tempdir().expect("data dir");
        let app = App::paired(rt, dir.path(), base, &token, Role::Kiosk, idle).await;
        app.on("welcome").await;
        (app, dir)
    }

    /// A stylist tablet (or front-desk tablet, by `role`) freshly paired with `srv`, on its
    /// sign-in screen with the staff listed.
    pub async fn new_tablet(
        rt: &tokio::runtime::Handle,
        srv: &crate::TestServer,
        role: Role,
        idle: Duration,
    ) -> (App, tempfile::TempDir) {
        let s = srv.state.clone();
        let token = net(rt, async move {
            store_server::ops::devices::device_token(&s, "salon tablet", role)
                .await
                .expect("tablet token")
        })
        .await;
        let dir = tempfile::tempdir().expect("data dir");
        let app = App::paired(rt, dir.path(), &srv.base, &token, role, idle).await;
        app.on("signin").await;
        app.until("the staff list", |a| {
            slint::Model::row_count(&a.tablet().get_staff()) > 0
        })
        .await;
        (app, dir)
    }

    pub fn kiosk(&self) -> Kiosk<'_> {
        self.window.global::<Kiosk>()
    }

    pub fn tablet(&self) -> Tablet<'_> {
        self.window.global::<Tablet>()
    }

    pub fn screen(&self) -> String {
        self.kiosk().get_screen().to_string()
    }

    /// Every element labelled `label`; panics when there is none.
    pub fn find(&self, label: &str) -> ElementHandle {
        ElementHandle::find_by_accessible_label(&self.window, label)
            .next()
            .unwrap_or_else(|| {
                panic!(
                    "no element labelled {label:?} on screen {:?} (is the UI compiled with SLINT_EMIT_DEBUG_INFO=1?)",
                    self.screen()
                )
            })
    }

    pub fn has(&self, label: &str) -> bool {
        ElementHandle::find_by_accessible_label(&self.window, label)
            .next()
            .is_some()
    }

    /// Taps the element labelled `label`.
    pub fn tap(&self, label: &str) {
        self.find(label).invoke_accessible_default_action();
    }

    /// Waits until `ok` holds, failing with `what` after a while.
    pub async fn until(&self, what: &str, ok: impl Fn(&App) -> bool) {
        let start = Instant::now();
        while !ok(self) {
            if start.elapsed() > PATIENCE {
                panic!(
                    "timed out waiting for {what}; screen {:?}, problem {:?}",
                    self.screen(),
                    self.kiosk().get_problem()
                );
            }
            pause(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the screen shows the problem with `code`.
    pub async fn problem(&self, code: &str) {
        self.until(&format!("problem {code}"), |a| {
            a.kiosk().get_problem() == code
        })
        .await;
    }

    /// Waits for `screen` and for the answer to the last tap to be shown.
    pub async fn on(&self, screen: &str) {
        self.until(&format!("screen {screen}"), |a| {
            a.screen() == screen && !a.kiosk().get_busy()
        })
        .await;
    }

    /// Taps `digits` on the on-screen keypad and waits until they are on screen.
    pub async fn type_digits(&self, digits: &str) {
        for d in digits.chars() {
            self.tap(&format!("key {d}"));
        }
        let n = digits.len();
        self.until("the typed digits", move |a| {
            let shown = a.kiosk().get_phone_shown();
            shown.contains("****") || shown.len() == n
        })
        .await;
    }

    /// On the services screen: taps the first service shown and goes on to the stylists.
    pub async fn choose_first_service(&self) {
        self.on("services").await;
        let name = slint::Model::row_data(&self.kiosk().get_services(), 0)
            .expect("the first category lists services")
            .name;
        self.tap(&format!("service {name}"));
        self.until("the service is chosen", |a| {
            a.kiosk().get_chosen_count() == 1
        })
        .await;
        self.tap("next");
        self.on("stylist").await;
    }

    /// Types `text` as a card reader does: a fast burst of keys ending in Enter.
    pub fn scan(&self, text: &str) {
        for c in text.chars().chain(['\n']) {
            self.kiosk().invoke_raw_key(c.to_string().into());
        }
    }

    /// Renders the window to a PNG file.
    pub fn snapshot(&self, path: &Path) {
        let shot = self.window.window().take_snapshot().expect("snapshot");
        let file = std::fs::File::create(path).expect("png file");
        let mut enc = png::Encoder::new(file, shot.width(), shot.height());
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("png header");
        w.write_image_data(shot.as_bytes()).expect("png data");
    }
}
