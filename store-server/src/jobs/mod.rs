//! Background work, in one place: what the server does on its own while it runs. Each job
//! calls the same operations the routes do, as the `system` actor, and ends when the server
//! stops. `spawn` starts them all; the scheduled jobs to come (campaigns, backups, report
//! rollups) start here too.

pub mod deliver;

use crate::AppState;
use crate::ops::{devices, schedule};
use crate::store::Actor;
use chrono::{DateTime, Utc};
use salon_shared::DeviceId;
use std::future::Future;
use std::time::Duration;

/// Starts every background job on the current runtime.
pub fn spawn(state: &AppState) {
    tokio::spawn(every(
        state.clone(),
        Duration::from_secs(60),
        flush_last_seen,
    ));
    tokio::spawn(every(
        state.clone(),
        Duration::from_secs(30),
        sweep_no_shows,
    ));
    tokio::spawn(deliver::run_deliverer(state.clone()));
}

/// Runs `job` every `period` (first after one period) until the server stops.
async fn every<F, Fut>(s: AppState, period: Duration, job: F)
where
    F: Fn(AppState) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut stopping = s.stopping.clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = stopping.changed() => return,
        }
        job(s.clone()).await;
    }
}

/// Writes devices' last-use times, collected in memory, so they survive a restart without
/// a write on every request.
async fn flush_last_seen(s: AppState) {
    let seen: Vec<(DeviceId, DateTime<Utc>)> = s
        .volatile
        .last_seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .drain()
        .collect();
    if seen.is_empty() {
        return;
    }
    let r = s
        .writer
        .write(Actor::system("last-use"), None, move |tx| {
            devices::record_last_seen(tx, &seen)
        })
        .await;
    if let Err(e) = r {
        tracing::warn!("recording devices' last use: {e}");
    }
}

/// Marks booked appointments not checked in by their start plus the grace period as
/// no-shows.
async fn sweep_no_shows(s: AppState) {
    let info = s.info.clone();
    let r = s
        .writer
        .write(Actor::system("no-show sweep"), None, move |tx| {
            schedule::mark_no_shows(tx, &info)
        })
        .await;
    if let Err(e) = r {
        tracing::warn!("no-show sweep: {e}");
    }
}
