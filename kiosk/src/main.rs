//! The in-store client app. Today it finds the store server (mDNS, or `--server URL`) and
//! shows the kiosk's welcome screen with a live connection state; the check-in flow
//! builds on this.

use salon_shared::client::{Client, discover};
use salon_ui::KioskWindow;
use slint::ComponentHandle;
use std::time::Duration;

struct Args {
    server: Option<String>,
    loopback_only: bool,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        server: None,
        loopback_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--server" => {
                a.server = Some(
                    it.next()
                        .ok_or_else(|| anyhow::anyhow!("--server needs a URL"))?,
                )
            }
            "--mdns-loopback" => a.loopback_only = true,
            "--help" | "-h" => {
                println!(
                    "kiosk [--server http://HOST:PORT] [--mdns-loopback]\n  Without --server the app looks for the store server on the LAN by mDNS."
                );
                std::process::exit(0);
            }
            other => anyhow::bail!("unknown argument {other}; see --help"),
        }
    }
    Ok(a)
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    let window = KioskWindow::new()?;
    window.set_status("正在寻找门店服务器… Looking for the store server…".into());
    let weak = window.as_weak();
    // The network lives on its own runtime thread; the UI thread never waits on it.
    std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(_) => return,
        };
        rt.block_on(connect(args, weak));
    });
    window.run()?;
    Ok(())
}

fn show(weak: &slint::Weak<KioskWindow>, store: Option<String>, status: String, online: bool) {
    let _ = weak.upgrade_in_event_loop(move |w| {
        if let Some(name) = store {
            w.set_store_name(name.into());
        }
        w.set_status(status.into());
        w.set_online(online);
    });
}

async fn connect(args: Args, weak: slint::Weak<KioskWindow>) {
    let base = loop {
        if let Some(s) = &args.server {
            break s.clone();
        }
        match discover(Duration::from_secs(2), args.loopback_only).await {
            Ok(found) => {
                if let Some(url) = found.first().and_then(|d| d.base_url()) {
                    break url;
                }
            }
            Err(e) => show(&weak, None, format!("mDNS: {e}"), false),
        }
    };
    let client = Client::new(base.clone());
    loop {
        match client.health().await {
            Ok(h) => show(
                &weak,
                Some(h.store_name),
                format!("已连接 Connected · {base}"),
                true,
            ),
            Err(_) => show(
                &weak,
                None,
                format!("离线，正在重连… Offline, reconnecting · {base}"),
                false,
            ),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
