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
        let token =
            store_server::routes::devices::device_token(&state, "test manager", Role::Manager)
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
pub mod app_driver;
