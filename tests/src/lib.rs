//! The end-to-end harness: a real store server on `127.0.0.1:0` with a real store file in a
//! temporary directory, and clients of any role paired through the real pairing flow.

use salon_shared::Role;
use salon_shared::client::Client;
use std::path::{Path, PathBuf};
use store_server::Mdns;
use tokio::sync::oneshot;

/// A store server running inside the test process.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A client holding a manager device's token.
    pub manager: Client,
    pub state: store_server::AppState,
    dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// An empty store in a fresh temporary directory, mDNS off.
    pub async fn start() -> TestServer {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut s = TestServer::start_in(dir.path(), Mdns::Off).await;
        s.dir = Some(dir);
        s
    }

    /// A store in `dir`, advertised as `mdns` says.
    pub async fn start_in(dir: &Path, mdns: Mdns) -> TestServer {
        let (state, stop_events) = store_server::open_with_offset(
            dir,
            Some("测试沙龙 Test Salon"),
            "Test Salon",
            Some(midday_offset(chrono::Utc::now())),
        )
        .expect("store opens");
        let token = store_server::ops::devices::device_token(&state, "test manager", Role::Manager)
            .await
            .expect("manager device created");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let st = state.clone();
        let task = tokio::spawn(async move {
            store_server::serve(listener, st, stop_events, mdns, async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        let manager = Client::new(base.clone()).with_token(token);
        TestServer {
            base,
            manager,
            state,
            dir: None,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A client with no token.
    pub fn anonymous(&self) -> Client {
        Client::new(self.base.clone())
    }

    /// Pairs a new device of `role` through a pairing code, as a real device would.
    pub async fn client(&self, role: Role) -> Client {
        let code = self
            .manager
            .create_pairing_code(role)
            .await
            .expect("pairing code");
        let (_, client) = self
            .anonymous()
            .pair(&code.code, &format!("test {}", role.as_str()))
            .await
            .expect("paired");
        client
    }

    pub fn data_dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.path().to_path_buf())
    }

    /// Stops serving (open event streams end).
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

/// A UTC offset under which `now` is about noon in the store, so that shifts, "today" and
/// bookings "tomorrow" never straddle midnight, whatever hour the tests run at.
pub fn midday_offset(now: chrono::DateTime<chrono::Utc>) -> chrono::FixedOffset {
    use chrono::Timelike;
    let since_midnight = i64::from(now.num_seconds_from_midnight());
    // Within ±12 h as real offsets are, rounded to a quarter hour.
    let secs = (12 * 3600 - since_midnight) / 900 * 900;
    chrono::FixedOffset::east_opt(secs as i32)
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"))
}

/// [`midday_offset`] as the server's `--utc-offset` flag takes it, e.g. `+05:15`.
pub fn midday_flag() -> String {
    let secs = midday_offset(chrono::Utc::now()).local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    format!(
        "{sign}{:02}:{:02}",
        secs.abs() / 3600,
        secs.abs() % 3600 / 60
    )
}

/// The `store-server` binary built beside this test binary (for crash and restart tests).
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let bin = dir.join(format!("store-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "store-server binary not found at {}: run the tests with `cargo test --workspace`",
        bin.display()
    );
    bin
}

/// Books `customer` for the store's first service at the latest free time on `day`.
pub async fn book_latest_slot(
    m: &Client,
    customer: salon_shared::CustomerId,
    day: chrono::NaiveDate,
) -> salon_shared::api::Appointment {
    let services = m.services(false).await.expect("services");
    let free = m
        .availability(day, &[services[0].id], None)
        .await
        .expect("availability");
    let (stylist, start) = free
        .stylists
        .iter()
        .find_map(|s| s.slots.last().map(|t| (s.stylist, *t)))
        .expect("a free slot later that day");
    m.book(
        &salon_shared::api::NewAppointment {
            customer_id: customer,
            stylist_id: stylist,
            services: vec![services[0].id],
            start,
            note: String::new(),
        },
        None,
    )
    .await
    .expect("booked")
}

/// A small real PNG (a warm gradient), as a tablet's camera would save a photo.
pub fn png_photo(size: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, size, size);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("png header");
        let mut data = Vec::with_capacity((size * size * 3) as usize);
        for y in 0..size {
            for x in 0..size {
                data.extend([156 + (x * 80 / size) as u8, 79 + (y * 120 / size) as u8, 61]);
            }
        }
        w.write_image_data(&data).expect("png data");
    }
    out
}

/// Working hours that cover the whole store-local day, every day of the week, so a test or a
/// demo works at any hour.
pub fn all_day() -> salon_shared::api::Roster {
    let hours = salon_shared::api::DayHours {
        start: chrono::NaiveTime::from_hms_opt(0, 0, 0).expect("time"),
        end: chrono::NaiveTime::from_hms_opt(23, 59, 0).expect("time"),
    };
    salon_shared::api::Roster {
        weekly: [Some(hours); 7],
        exceptions: Vec::new(),
    }
}

/// For tests that use mDNS: the mDNS library joins its multicast groups on every interface
/// before it can be limited to loopback, so such a test runs itself again inside a network
/// namespace of its own (`unshare -rn`) whose only interface is loopback. Returns true in
/// the outer run, after checking that the inner run passed that very test; the caller then
/// returns. Returns false inside the namespace, where the test does its work.
pub fn rerun_in_own_netns(test: &str) -> bool {
    const IN_NETNS: &str = "SALON_TEST_IN_NETNS";
    if std::env::var_os(IN_NETNS).is_some() {
        return false;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let out = std::process::Command::new("unshare")
        .args(["-rn", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
        .arg(exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(IN_NETNS, "1")
        .output()
        .expect("unshare (util-linux) and ip (iproute2) run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The inner run must have run this very test, not zero tests.
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{test} inside its network namespace failed:\n{text}"
    );
    true
}

pub mod app_driver;
