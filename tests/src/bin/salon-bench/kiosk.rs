//! How fast the kiosk app starts to a usable welcome screen and how much memory it holds
//! (SPEC §4: ≤ 1 s, ≤ 80 MB): the release `kiosk` binary, paired with the bench's store,
//! launched in a real window several times — on the display in `DISPLAY`, or on an `Xvfb`
//! it starts itself — with the software renderer.

use salon_shared::Role;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

pub struct KioskFigures {
    /// Process spawn to the first frame of the welcome screen: median and worst of the runs.
    pub start_median: Duration,
    pub start_worst: Duration,
    /// As the app measured it, from its `main`.
    pub inside_ms: f64,
    pub rss_kb: u64,
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

/// Pairs a kiosk with the store at `base` (its `token` made beforehand) and starts it
/// `RUNS` times.
pub fn measure(
    base: &str,
    server_id: &str,
    store_name: &str,
    token: String,
) -> anyhow::Result<KioskFigures> {
    let bin = crate::beside_me("kiosk")?;
    let data = tempfile::tempdir()?;
    kiosk::device::Device {
        base_url: base.to_string(),
        server_id: server_id.to_string(),
        store_name: store_name.to_string(),
        token,
        role: Role::Kiosk,
        discovered: false,
    }
    .save(data.path())?;
    let (display, _xvfb) = display()?;
    println!(
        "kiosk: {} on DISPLAY={display}, software renderer, {RUNS} runs",
        bin.display()
    );
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        runs.push(one_run(&bin, data.path(), &display)?);
    }
    runs.sort_by_key(|r| r.wall);
    let median = &runs[RUNS / 2];
    Ok(KioskFigures {
        start_median: median.wall,
        start_worst: runs.last().map(|r| r.wall).unwrap_or_default(),
        inside_ms: median.inside_ms,
        rss_kb: runs.iter().map(|r| r.rss_kb).max().unwrap_or(0),
    })
}
