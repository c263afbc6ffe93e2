//! The real `store-server` binary as a child process on a loopback port, for crash and
//! restart tests. The child is always killed when the guard is dropped.

use salon_shared::client::Client;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The server binary that `cargo test --workspace` built beside the test binaries.
pub fn binary() -> PathBuf {
    salon_tests::server_binary()
}

/// `store-server token create` on `data` (the server must not be running on it).
pub fn manager_token(data: &Path) -> String {
    let out = Command::new(binary())
        .args(["token", "create", "--data"])
        .arg(data)
        .args(["--role", "manager", "--name", "test office pc"])
        .output()
        .expect("token create runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "token create failed: {err}");
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(token.len() >= 32, "no token printed: {token:?}");
    token
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.local_addr().expect("address").port()
}

static STARTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A running server process; killed when dropped.
pub struct Proc {
    pub child: Child,
    pub client: Client,
    pub port: u16,
    log: PathBuf,
    out: PathBuf,
}

impl Proc {
    /// Starts the server on `data` with `--no-mdns` and waits until /health answers.
    pub async fn start(data: &Path, token: &str, extra: &[&str]) -> Proc {
        Proc::start_on(data, token, free_port(), extra).await
    }

    /// [`Proc::start`] on a given port, e.g. the one a previous run of the server used.
    pub async fn start_on(data: &Path, token: &str, port: u16, extra: &[&str]) -> Proc {
        let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let log = data.with_extension(format!("{port}-{n}.log"));
        let out = data.with_extension(format!("{port}-{n}.out"));
        let child = Command::new(binary())
            .arg("--data")
            .arg(data)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--no-mdns"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("server starts");
        let client = Client::new(format!("http://127.0.0.1:{port}")).with_token(token);
        let mut p = Proc {
            child,
            client,
            port,
            log,
            out,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if p.client.health().await.is_ok() {
                return p;
            }
            if let Ok(Some(status)) = p.child.try_wait() {
                panic!(
                    "server exited with {status} before it was ready:\n{}",
                    p.log_text()
                );
            }
            let late = Instant::now() > deadline;
            assert!(!late, "server not ready within 60 s:\n{}", p.log_text());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn stdout_text(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Sends `sig` (e.g. "-INT", "-TERM", "-9") and waits up to 10 s for the process to end.
    pub fn stop_with(&mut self, sig: &str) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([sig, &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill {sig} {pid} failed");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s;
            }
            let late = Instant::now() > deadline;
            assert!(!late, "server ignored {sig} for 10 s:\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
