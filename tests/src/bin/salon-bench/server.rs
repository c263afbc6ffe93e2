//! The release `store-server` as a child process on a loopback port: generating the store,
//! device tokens, starting (timed to the first answer), resident memory, SIGKILL.

use salon_shared::client::Client;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn store_server() -> anyhow::Result<PathBuf> {
    crate::beside_me("store-server")
}

/// `store-server generate` into `data`; returns what it printed.
pub fn generate(data: &Path, size: &[String]) -> anyhow::Result<String> {
    // About noon in the store whatever the hour here, so its stylists are at work and the
    // day's queue has room.
    let out = Command::new(store_server()?)
        .args(["--utc-offset", &salon_tests::midday_flag()])
        .arg("generate")
        .arg("--data")
        .arg(data)
        .args(size)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "generate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `store-server token create` (the server must not be running on `data`).
pub fn token(data: &Path, role: &str, name: &str) -> anyhow::Result<String> {
    let out = Command::new(store_server()?)
        .args(["token", "create", "--data"])
        .arg(data)
        .args(["--role", role, "--name", name])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A running server; killed when dropped.
pub struct Server {
    pub child: Child,
    pub client: Client,
    pub base: String,
    log: PathBuf,
}

impl Server {
    /// Starts the server on `data` at `port` and waits for /health. Returns it with the time
    /// from spawning the process to the first answer.
    pub async fn start(data: &Path, port: u16, token: &str) -> anyhow::Result<(Server, Duration)> {
        let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
        let log = data.join(format!("server-{}.log", started.as_millis()));
        let base = format!("http://127.0.0.1:{port}");
        let client = Client::new(base.clone()).with_token(token);
        let t = Instant::now();
        let child = Command::new(store_server()?)
            .arg("--data")
            .arg(data)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--no-mdns"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()?;
        let mut s = Server {
            child,
            client,
            base,
            log,
        };
        loop {
            if s.client.health().await.is_ok() {
                return Ok((s, t.elapsed()));
            }
            if let Some(status) = s.child.try_wait()? {
                anyhow::bail!("server exited with {status}:\n{}", s.log_text());
            }
            anyhow::ensure!(
                t.elapsed() < Duration::from_secs(120),
                "server not ready in 120 s"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Resident memory now and at its peak, in KiB, from /proc.
    pub fn memory_kb(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill_9(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}
