//! `kiosk-bench`: how fast the kiosk app starts to a usable welcome screen and how much
//! memory it holds (SPEC §4: ≤ 1 s, ≤ 80 MB). It starts a demo store on 127.0.0.1:0, pairs
//! a kiosk, then launches the release `kiosk` binary in a real window several times — on
//! the display in `DISPLAY`, or on an `Xvfb` it starts itself — with the software renderer.
//!
//! `cargo build --release -p kiosk && cargo run --release -p salon-tests --bin kiosk-bench`

use salon_shared::Role;
use salon_tests::TestServer;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn kiosk_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .map(|d| d.join(format!("kiosk{}", std::env::consts::EXE_SUFFIX)))
        .ok_or_else(|| anyhow::anyhow!("no folder beside {}", exe.display()))?;
    anyhow::ensure!(
        bin.exists(),
        "{} not found: build it first with `cargo build --release -p kiosk`",
        bin.display()
    );
    Ok(bin)
}

/// A private X server when there is no display; stopped on drop.
struct Xvfb(Option<Child>);

impl Drop for Xvfb {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn display() -> anyhow::Result<(String, Xvfb)> {
    if let Ok(d) = std::env::var("DISPLAY") {
        return Ok((d, Xvfb(None)));
    }
    let n = 90 + std::process::id() % 100;
    let child = Command::new("Xvfb")
        .args([
            &format!(":{n}"),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            anyhow::anyhow!("no DISPLAY and cannot start Xvfb ({e}): apt-get install xvfb")
        })?;
    let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
    let start = Instant::now();
    while !socket.exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((format!(":{n}"), Xvfb(Some(child))))
}

struct Run {
    /// From spawning the process to the first frame of the welcome screen.
    wall: Duration,
    /// As the app measured it, from its `main`.
    inside_ms: f64,
    rss_kb: u64,
}

fn one_run(bin: &PathBuf, data: &std::path::Path, display: &str) -> anyhow::Result<Run> {
    let t = Instant::now();
    let mut child = Command::new(bin)
        .arg("--data")
        .arg(data)
        .arg("--startup-probe")
        .env("DISPLAY", display)
        .env("SLINT_BACKEND", "winit-software")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut wall = None;
    let mut inside_ms = 0.0;
    let mut rss_kb = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if let Some(rest) = line.strip_prefix("startup_ms=") {
            wall = Some(t.elapsed());
            inside_ms = rest.split_whitespace().next().unwrap_or("0").parse()?;
        } else if let Some(kb) = line.strip_prefix("rss_kb=") {
            rss_kb = kb.trim().parse()?;
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    Ok(Run {
        wall: wall.ok_or_else(|| anyhow::anyhow!("the kiosk never showed its welcome screen"))?,
        inside_ms,
        rss_kb,
    })
}

fn main() -> anyhow::Result<()> {
    let bin = kiosk_binary()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let srv = rt.block_on(TestServer::start());
    let s = srv.state.clone();
    let token = rt.block_on(async move {
        let s2 = s.clone();
        tokio::task::spawn_blocking(move || {
            store_server::demo::fill(&s2.db, &s2.writer, 240, s2.info.tz)
        })
        .await?
        .map_err(|e| anyhow::anyhow!(e.message))?;
        store_server::routes::devices::device_token(&s, "bench kiosk", Role::Kiosk)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))
    })?;
    let health = rt.block_on(srv.manager.health())?;
    let data = tempfile::tempdir()?;
    kiosk::device::Device {
        base_url: srv.base.clone(),
        server_id: health.server_id,
        store_name: health.store_name,
        token,
        role: Role::Kiosk,
        discovered: false,
    }
    .save(data.path())?;
    let (display, _xvfb) = display()?;
    println!(
        "kiosk-bench: {} on DISPLAY={display}, software renderer, {RUNS} runs",
        bin.display()
    );
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        runs.push(one_run(&bin, data.path(), &display)?);
    }
    runs.sort_by_key(|r| r.wall);
    let median = &runs[RUNS / 2];
    let worst = runs.last().map(|r| r.wall).unwrap_or_default();
    let rss = runs.iter().map(|r| r.rss_kb).max().unwrap_or(0);
    println!();
    println!("| what | measured | target (SPEC §4) |");
    println!("|---|---|---|");
    println!(
        "| kiosk start to usable welcome screen (process spawn → first frame), median of {RUNS} | {:.0} ms (worst {:.0} ms; {:.0} ms from main) | ≤ 1 s |",
        median.wall.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0,
        median.inside_ms
    );
    println!(
        "| kiosk resident memory, welcome screen shown | {:.1} MB | ≤ 80 MB |",
        rss as f64 / 1024.0
    );
    rt.block_on(srv.stop());
    Ok(())
}
