//! The in-store client app. Finds the store server (mDNS, or `--server URL`), pairs with a
//! code once, then runs the screens of the role it was paired as: the check-in kiosk or the
//! queue display.

use kiosk::app::{self, Options};
use salon_ui::KioskWindow;
use slint::ComponentHandle;
use std::time::{Duration, Instant};

const HELP: &str = "kiosk [--server http://HOST:PORT] [--mdns-loopback] [--data DIR] [--name NAME] [--idle SECONDS] [--photos DIR] [--startup-probe]
  Without --server the pairing screen lists the store servers found on the LAN by mDNS.
  --data DIR        where the pairing and unsent check-ins are kept (default ~/.local/share/salon-client)
  --name NAME       how this device is listed in the back office (default \"Front door kiosk\")
  --idle SECONDS    back to the welcome screen after this long without a tap (default 60;
                    a tablet signs its staff member out after three times as long)
  --photos DIR      where the tablet's camera saves photos, offered for before/after photos
                    (default ~/Pictures)
  --startup-probe   print the time to the first frame and the resident memory, then exit";

fn args() -> anyhow::Result<(Options, bool)> {
    let mut o = Options::default();
    let mut probe = false;
    let mut it = std::env::args().skip(1);
    let value = |it: &mut dyn Iterator<Item = String>, flag: &str| {
        it.next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value; see --help"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--server" => o.server = Some(value(&mut it, "--server")?),
            "--mdns-loopback" => o.loopback_only = true,
            "--data" => o.data_dir = value(&mut it, "--data")?.into(),
            "--name" => o.device_name = value(&mut it, "--name")?,
            "--photos" => o.photos = value(&mut it, "--photos")?.into(),
            "--idle" => {
                let s: u64 = value(&mut it, "--idle")?.parse()?;
                o.idle = Duration::from_secs(s.max(5));
            }
            "--startup-probe" => probe = true,
            "--help" | "-h" => {
                println!("{HELP}");
                std::process::exit(0);
            }
            other => anyhow::bail!("unknown argument {other}; see --help"),
        }
    }
    Ok((o, probe))
}

fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let (opts, probe) = args()?;
    let window = KioskWindow::new()?;
    app::start(&window, opts)?;
    if probe {
        startup_probe(&window, started);
    }
    window.run()?;
    Ok(())
}

/// For the benchmark: once the welcome screen (or the display) is up and a frame of it has
/// been rendered, prints the time since start and then the resident memory, and quits.
fn startup_probe(window: &KioskWindow, started: Instant) {
    let weak = window.as_weak();
    let done = std::cell::Cell::new(false);
    let poll = slint::Timer::default();
    poll.start(
        slint::TimerMode::Repeated,
        Duration::from_millis(5),
        move || {
            let Some(w) = weak.upgrade() else { return };
            let screen = w.global::<salon_ui::Kiosk>().get_screen();
            if done.get() || (screen != "welcome" && screen != "display") {
                return;
            }
            done.set(true);
            // Rendering the frame here (the software renderer draws it on this thread)
            // counts the drawing in the start-up time, not just the state change.
            if let Err(e) = w.window().take_snapshot() {
                eprintln!("cannot render: {e}");
            }
            println!(
                "startup_ms={:.1} screen={screen}",
                started.elapsed().as_secs_f64() * 1000.0
            );
            // Let the window settle before reading the memory.
            slint::Timer::single_shot(Duration::from_millis(1500), || {
                println!("rss_kb={}", rss_kb().unwrap_or(0));
                let _ = slint::quit_event_loop();
            });
        },
    );
    // The timer lives as long as the app.
    std::mem::forget(poll);
}

fn rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
