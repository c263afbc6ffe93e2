//! The store server: one redb file behind an HTTP/JSON API with live events, advertised on
//! the LAN by mDNS. `main.rs` parses flags; everything else starts here.
//!
//! Three layers, each importing only the ones below it: `http` (the edge: extract, check
//! the role, call one operation, map its result) → `ops` (one module per business area,
//! over the writer's transaction; knows nothing of HTTP) → `store` (tables, encoding,
//! migrations, the group-commit writer). `jobs` is the background work, calling `ops` as
//! the routes do; `demo` and `synthetic` fill a store through the same operations.

pub mod demo;
pub mod http;
pub mod jobs;
pub mod mdns;
pub mod ops;
pub mod store;
pub mod synthetic;

use anyhow::Context;
use axum::Router;
use ops::devices::Volatile;
use redb::{Database, ReadableDatabase};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use store::Writer;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The largest request body accepted; every legitimate request is far smaller.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The running store: what handlers and background jobs share.
#[derive(Clone)]
pub struct AppState {
    pub db: Arc<Database>,
    pub writer: Writer,
    pub volatile: Arc<Volatile>,
    pub info: Arc<StoreInfo>,
    /// Flips to `true` on shutdown so open event streams end.
    pub stopping: watch::Receiver<bool>,
}

impl AppState {
    /// A read transaction on the store: a snapshot that never waits for the writer.
    pub fn read(&self) -> Result<redb::ReadTransaction, store::StoreError> {
        Ok(self.db.begin_read()?)
    }
}

/// Who this store is, as told to devices.
#[derive(Debug, Clone)]
pub struct StoreInfo {
    pub store_name: String,
    pub server_id: String,
    /// The store's offset from UTC: shifts and "today" are in this wall-clock time.
    pub tz: chrono::FixedOffset,
}

/// Where mDNS advertises the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mdns {
    Off,
    /// Every interface (the default in a salon).
    All,
    /// Only these interfaces (`lo` keeps it on loopback, for tests and demos).
    Interfaces(Vec<String>),
}

/// Opens the store under `data_dir` (creating it), runs migrations and starts the writer.
/// Returns the state and the sender that stops event streams.
/// `store_name` renames the store; `fallback_name` names a store that has no name yet.
pub fn open(
    data_dir: &Path,
    store_name: Option<&str>,
    fallback_name: &str,
) -> anyhow::Result<(AppState, watch::Sender<bool>)> {
    open_with_offset(data_dir, store_name, fallback_name, None)
}

/// [`open`], also setting the store's offset from UTC (kept in the store file). Without one,
/// a new store takes the host's current offset and an existing store keeps its own.
pub fn open_with_offset(
    data_dir: &Path,
    store_name: Option<&str>,
    fallback_name: &str,
    utc_offset: Option<chrono::FixedOffset>,
) -> anyhow::Result<(AppState, watch::Sender<bool>)> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
    let path = data_dir.join("store.redb");
    let db = Arc::new(
        store::open(&path).with_context(|| format!("cannot open store file {}", path.display()))?,
    );
    let info = init_meta(&db, store_name, fallback_name, utc_offset)?;
    // Every cached balance must equal its ledger (MEM-3). Checked beside the start, not
    // before it, so a big store still opens at once; a mismatch is logged loudly.
    let check = db.clone();
    std::thread::spawn(move || {
        let wrong = check
            .begin_read()
            .map_err(store::StoreError::from)
            .and_then(|r| ops::money::verify_ledgers(&r));
        match wrong {
            Ok(w) if w.is_empty() => tracing::debug!("ledgers balance"),
            Ok(w) => w
                .iter()
                .for_each(|m| tracing::error!("ledger mismatch: {m}")),
            Err(e) => tracing::error!("ledger check failed: {e}"),
        }
    });
    let writer = Writer::start(db.clone());
    let (stop_tx, stopping) = watch::channel(false);
    let state = AppState {
        db,
        writer,
        volatile: Arc::new(Volatile::default()),
        info: Arc::new(info),
        stopping,
    };
    Ok((state, stop_tx))
}

fn init_meta(
    db: &Database,
    store_name: Option<&str>,
    fallback_name: &str,
    utc_offset: Option<chrono::FixedOffset>,
) -> anyhow::Result<StoreInfo> {
    // Runs before the writer starts, so it may write directly.
    let w = store::begin_write(db)?;
    let info = {
        let r = db.begin_read()?;
        let server_id =
            store::meta_get(&r, "server_id")?.unwrap_or_else(|| ops::devices::random_secret(8));
        let current = store::meta_get(&r, "store_name")?;
        // Given, else the one kept in the store, else the host's (China has no daylight saving).
        let kept = store::meta_get(&r, "utc_offset_seconds")?
            .and_then(|s| s.parse::<i32>().ok())
            .and_then(chrono::FixedOffset::east_opt);
        let tz = utc_offset
            .or(kept)
            .unwrap_or_else(|| *chrono::Local::now().offset());
        let store_name = store_name
            .map(str::to_string)
            .or(current)
            .unwrap_or_else(|| fallback_name.to_string());
        StoreInfo {
            tz,
            store_name,
            server_id,
        }
    };
    store::meta_set(&w, "server_id", &info.server_id)?;
    store::meta_set(&w, "store_name", &info.store_name)?;
    store::meta_set(
        &w,
        "utc_offset_seconds",
        &info.tz.local_minus_utc().to_string(),
    )?;
    w.commit()?;
    Ok(info)
}

/// The whole HTTP API.
pub fn app(state: AppState) -> Router {
    http::router(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, advertising it by mDNS.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    stop: watch::Sender<bool>,
    mdns: Mdns,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    let advert = mdns::advertise(&mdns, &state.info, addr.port()).context("mDNS advertisement")?;
    jobs::spawn(&state);
    let app = app(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await?;
    if let Some(a) = advert {
        a.stop();
    }
    Ok(())
}

/// When no manager device is paired yet, creates a manager pairing code so the owner can
/// pair the back office from the box's console. Returns the code.
pub async fn bootstrap_pairing_code(
    state: &AppState,
) -> anyhow::Result<Option<salon_shared::api::PairingCode>> {
    let r = state.db.begin_read()?;
    let has_manager = store::tables::DEVICES
        .all(&r)?
        .iter()
        .any(|d| d.view.role == salon_shared::Role::Manager && d.view.revoked_at.is_none());
    drop(r);
    if has_manager {
        return Ok(None);
    }
    console_pairing_code(state, salon_shared::Role::Manager, "bootstrap")
        .await
        .map(Some)
}

/// Creates a pairing code for `role` on the server's own authority, for printing on the
/// box's console: the bootstrap manager code, and the demo's kiosk and display codes.
/// `why` goes into the audit entry, since no device asked for it.
pub async fn console_pairing_code(
    state: &AppState,
    role: salon_shared::Role,
    why: &'static str,
) -> anyhow::Result<salon_shared::api::PairingCode> {
    Ok(state
        .writer
        .write(store::Actor::system("start-up"), None, move |tx| {
            ops::devices::create_pairing_code(tx, role, None, Some(why))
        })
        .await?)
}
