//! `store-server`: parses flags, sets up logging, opens the store and serves it.

use anyhow::Context;
use clap::{Parser, Subcommand};
use salon_shared::Role;
use std::net::SocketAddr;
use std::path::PathBuf;
use store_server::store::Actor;
use store_server::{Mdns, demo, ops};

#[derive(Parser)]
#[command(
    name = "store-server",
    version,
    about = "The salon's store server: one redb file, HTTP/JSON API, live events, mDNS."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Data directory holding store.redb.
    #[arg(long, default_value = "./salon-data")]
    data: PathBuf,
    /// Address and port to listen on.
    #[arg(long, default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// Fill an empty store with a demo salon (does nothing to a store with data).
    #[arg(long)]
    demo: bool,
    /// Advertise over mDNS only on this interface (repeatable; `lo` for loopback only).
    #[arg(long = "mdns-interface", value_name = "IFACE")]
    mdns_interface: Vec<String>,
    /// Do not advertise over mDNS at all.
    #[arg(long, conflicts_with = "mdns_interface")]
    no_mdns: bool,
    /// The store's name shown on devices (kept in the store file).
    #[arg(long)]
    store_name: Option<String>,
    /// The store's offset from UTC, e.g. +08:00 (kept in the store file; default: the
    /// host's offset when the store is created). Shifts and "today" use it.
    #[arg(long, value_parser = parse_offset, allow_hyphen_values = true)]
    utc_offset: Option<chrono::FixedOffset>,
}

#[derive(Subcommand)]
enum Command {
    /// Writes a synthetic store of any size into an empty data directory, reproducible from
    /// a seed (for benchmarks and load tests; default: a busy store after five years).
    Generate {
        #[arg(long, default_value = "./salon-data")]
        data: PathBuf,
        #[arg(long, default_value_t = 100_000)]
        customers: usize,
        #[arg(long, default_value_t = 1_000_000)]
        visits: usize,
        #[arg(long, default_value_t = 5)]
        years: u32,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Device tokens, for bootstrapping the first manager device on the server box.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a device token and print it (the server must not be running on this store).
    Create {
        #[arg(long, default_value = "./salon-data")]
        data: PathBuf,
        /// manager, front_desk, stylist, kiosk or display.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// How the device is listed.
        #[arg(long)]
        name: String,
    },
}

fn parse_offset(s: &str) -> Result<chrono::FixedOffset, String> {
    s.parse::<chrono::FixedOffset>()
        .map_err(|_| "the offset looks like +08:00".to_string())
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| "role must be manager, front_desk, stylist, kiosk or display".to_string())
}

/// One malloc arena for the whole process. glibc gives each thread its own and hands little
/// back: reading years of history on the runtime's threads while the page cache turns over
/// grew the server to about 190 MB with the cache itself capped at 64 MB; with one arena it
/// stays under 100 MB (SPEC §4: ≤ 150 MB). The threads here are few, so sharing costs nothing
/// measurable.
/// An explicit `MALLOC_ARENA_MAX` in the environment wins.
#[allow(unsafe_code)]
fn one_malloc_arena() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes glibc's allocator. It is called first thing in `main`,
    // before any other thread exists, with a valid option and value.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn main() -> anyhow::Result<()> {
    one_malloc_arena();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(Command::Generate {
        data,
        customers,
        visits,
        years,
        seed,
    }) = cli.command
    {
        anyhow::ensure!(customers > 0, "--customers must be at least 1");
        let (state, _stop) =
            store_server::open_with_offset(&data, None, demo::STORE_NAME, cli.utc_offset)?;
        let started = std::time::Instant::now();
        let size = store_server::synthetic::Size {
            customers,
            visits,
            years,
            seed,
        };
        let made =
            store_server::synthetic::generate(&state.db, &state.writer, state.info.tz, size)?;
        println!(
            "{} customers, {} visits ({} booked, {} rated), {} no-shows, {} bookings to come, \
             {} members holding balances, {} packages; written in {:.0} s to {}",
            made.customers,
            made.visits,
            made.booked_visits,
            made.ratings,
            made.no_shows,
            made.upcoming_bookings,
            made.members_with_balance,
            made.packages,
            started.elapsed().as_secs_f64(),
            data.join("store.redb").display()
        );
        return Ok(());
    }
    if let Some(Command::Token {
        action: TokenAction::Create { data, role, name },
    }) = cli.command
    {
        let (state, _stop) = store_server::open(&data, None, "Salon")?;
        let (token, _) = state
            .writer
            .write_blocking(Actor::system("command line"), move |tx| {
                ops::devices::create_device(tx, &name, role)
            })?;
        println!("{token}");
        return Ok(());
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (state, stop) = store_server::open_with_offset(
            &cli.data,
            cli.store_name.as_deref(),
            if cli.demo { demo::STORE_NAME } else { "Salon" },
            cli.utc_offset,
        )?;
        if cli.demo {
            let (db, w, tz) = (state.db.clone(), state.writer.clone(), state.info.tz);
            let filled = tokio::task::spawn_blocking(move || demo::fill(&db, &w, 240, tz)).await??;
            tracing::info!(
                "{}",
                if filled {
                    "demo salon written"
                } else {
                    "store has data: demo data not added"
                }
            );
        }
        let listener = tokio::net::TcpListener::bind(cli.listen)
            .await
            .with_context(|| format!("cannot listen on {}", cli.listen))?;
        let mdns = if cli.no_mdns {
            Mdns::Off
        } else if cli.mdns_interface.is_empty() {
            Mdns::All
        } else {
            Mdns::Interfaces(cli.mdns_interface.clone())
        };
        if let Some(code) = store_server::bootstrap_pairing_code(&state).await? {
            let port = listener.local_addr()?.port();
            println!("No manager device is paired yet. Pair one with code {} (valid until {}), e.g.", code.code, code.expires_at.format("%H:%M UTC"));
            println!(
                "  curl -X POST http://127.0.0.1:{port}/api/v1/pair -H 'content-type: application/json' -d '{{\"code\":\"{}\",\"device_name\":\"Back office\"}}'",
                code.code
            );
        }
        if cli.demo {
            // A demo is tried on one box: print codes to pair a kiosk, a queue display and a
            // stylist tablet at once, fresh at every start since codes expire and are
            // single-use.
            for (role, label) in [
                (Role::Kiosk, "Kiosk"),
                (Role::Display, "Queue display"),
                (Role::Stylist, "Stylist tablet"),
            ] {
                let code = store_server::console_pairing_code(&state, role, "demo").await?;
                println!(
                    "{label} pairing code: {} (valid until {})",
                    code.code,
                    code.expires_at.format("%H:%M UTC")
                );
            }
            let pins: Vec<String> = demo::STAFF
                .iter()
                .map(|(name, _, _, _, pin)| format!("{name} {pin}"))
                .collect();
            println!("Staff PINs for the tablet: {}", pins.join(", "));
        }
        tracing::info!(
            "store '{}' serving on http://{} (data in {})",
            state.info.store_name,
            listener.local_addr()?,
            cli.data.display()
        );
        store_server::serve(listener, state, stop, mdns, shutdown_signal()).await
    })
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
