//! The in-store client app. Finds the store server (mDNS, or `--server URL`), pairs with a
//! code once, then runs the screens of the role it was paired as: the check-in kiosk, the
//! queue display or the stylist tablet. `main` only parses flags and opens the window.

use clap::Parser;
use kiosk::app::{self, Options};
use salon_ui::KioskWindow;
use slint::ComponentHandle;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The salon's in-store client app: the check-in kiosk, the queue display or the stylist
/// tablet, whichever this device was paired as.
///
/// Without --server the pairing screen lists the store servers found on the LAN by mDNS.
#[derive(Parser)]
#[command(name = "kiosk", version)]
struct Cli {
    /// The store server's address, e.g. http://HOST:PORT (skips the mDNS search).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Keep mDNS on loopback (demos and tests on one machine).
    #[arg(long)]
    mdns_loopback: bool,
    /// Where the pairing and unsent check-ins are kept [default: ~/.local/share/salon-client].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// How this device is listed in the back office [default: "Front door kiosk"].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Back to the welcome screen after this long without a tap, at least 5; a tablet signs
    /// its staff member out after three times as long [default: 60].
    #[arg(long, value_name = "SECONDS")]
    idle: Option<u64>,
    /// Where the tablet's camera saves photos, offered for before/after photos
    /// [default: ~/Pictures].
    #[arg(long, value_name = "DIR")]
    photos: Option<PathBuf>,
    /// Print the time to the first frame and the resident memory, then exit.
    #[arg(long)]
    startup_probe: bool,
}

impl Cli {
    /// The app's options: what the flags set, the defaults for the rest.
    fn options(self) -> Options {
        let default = Options::default();
        Options {
            server: self.server,
            loopback_only: self.mdns_loopback,
            data_dir: self.data.unwrap_or(default.data_dir),
            idle: self
                .idle
                .map_or(default.idle, |s| Duration::from_secs(s.max(5))),
            device_name: self.name.unwrap_or(default.device_name),
            photos: self.photos.unwrap_or(default.photos),
        }
    }
}

fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let cli = Cli::parse();
    let probe = cli.startup_probe;
    let opts = cli.options();
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_set_the_options_and_the_rest_keep_their_defaults() {
        Cli::command().debug_assert();
        let o = Cli::parse_from(["kiosk"]).options();
        let d = Options::default();
        assert_eq!((o.server, o.loopback_only), (None, false));
        assert_eq!(
            (o.data_dir, o.idle, o.device_name),
            (d.data_dir, d.idle, d.device_name)
        );
        assert_eq!(o.photos, d.photos);

        let o = Cli::parse_from([
            "kiosk",
            "--server",
            "http://127.0.0.1:8080",
            "--mdns-loopback",
            "--data",
            "door",
            "--name",
            "Waiting area TV",
            "--idle",
            "90",
            "--photos",
            "camera",
        ])
        .options();
        assert_eq!(o.server.as_deref(), Some("http://127.0.0.1:8080"));
        assert!(o.loopback_only);
        assert_eq!(o.data_dir, PathBuf::from("door"));
        assert_eq!(o.device_name, "Waiting area TV");
        assert_eq!(o.idle, Duration::from_secs(90));
        assert_eq!(o.photos, PathBuf::from("camera"));
    }

    #[test]
    fn idle_is_at_least_five_seconds() {
        let o = Cli::parse_from(["kiosk", "--idle", "1"]).options();
        assert_eq!(o.idle, Duration::from_secs(5));
        assert!(Cli::try_parse_from(["kiosk", "--idle", "soon"]).is_err());
        assert!(Cli::try_parse_from(["kiosk", "--bogus"]).is_err());
    }
}
