//! The live event stream: server-sent events for every change, resumable by `Last-Event-ID`.

use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::store::{StoreError, tables};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use redb::{ReadableDatabase, ReadableTable};
use salon_shared::Action;
use salon_shared::api::{ErrorBody, Event, READY, RESYNC};
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;

fn sse(e: &Event) -> SseEvent {
    SseEvent::default()
        .event("change")
        .id(e.seq.to_string())
        .data(serde_json::to_string(e).unwrap_or_default())
}

fn resync() -> SseEvent {
    SseEvent::default().event(RESYNC).data("{}")
}

/// Server-sent events: `change` events (id = sequence number) and `resync` when the
/// device missed more than the store kept or fell behind.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(("Last-Event-ID" = Option<u64>, Header, description = "Resume after this sequence number")),
    responses((status = 200, description = "text/event-stream of change and resync events"), (status = 401, body = ErrorBody)))]
pub async fn events(
    State(s): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    auth.require(Action::Events)?;
    let last: Option<u64> = headers
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    // Subscribe before reading the backlog so nothing falls between the two.
    let mut rx = s.writer.events.subscribe();
    let mut backlog = Vec::new();
    let mut gap = false;
    let mut resume_from = 0;
    // A device starting afresh is told where the stream stands, so that after a drop it
    // resumes from there and misses nothing written while it was away.
    let mut ready = None;
    if last.is_none() {
        let r = s.db.begin_read().map_err(StoreError::from)?;
        let t = r
            .open_table(tables::EVENTS.definition())
            .map_err(StoreError::from)?;
        let newest = t
            .last()
            .map_err(StoreError::from)?
            .map_or(0, |(k, _)| k.value());
        resume_from = newest;
        ready = Some(Event {
            seq: newest,
            at: chrono::Utc::now(),
            kind: READY.into(),
            entity_id: String::new(),
        });
    }
    if let Some(last) = last {
        let r = s.db.begin_read().map_err(StoreError::from)?;
        let t = r
            .open_table(tables::EVENTS.definition())
            .map_err(StoreError::from)?;
        let first_kept = t.first().map_err(StoreError::from)?.map(|(k, _)| k.value());
        let newest = t
            .last()
            .map_err(StoreError::from)?
            .map(|(k, _)| k.value())
            .unwrap_or(0);
        // Missed more than the store kept, or resuming from a sequence this store never
        // issued (another store, or a restored backup): the device must reload.
        gap = first_kept.is_some_and(|f| f > last.saturating_add(1)) || last > newest;
        resume_from = last.min(newest);
        if !gap {
            for item in t.range(last + 1..).map_err(StoreError::from)?.take(10_000) {
                let (_, v) = item.map_err(StoreError::from)?;
                backlog.push(tables::EVENTS.decode(v.value())?);
            }
        }
    }
    let mut stopping = s.stopping.clone();
    let device = auth.device.id;
    let stream = async_stream(move |tx| async move {
        if gap && tx.send(resync()).await.is_err() {
            return;
        }
        if let Some(e) = &ready
            && tx.send(sse(e)).await.is_err()
        {
            return;
        }
        let mut sent = resume_from;
        for e in &backlog {
            if tx.send(sse(e)).await.is_err() {
                return;
            }
            sent = e.seq;
        }
        loop {
            tokio::select! {
                r = rx.recv() => match r {
                    Ok(e) if e.seq <= sent => {}
                    Ok(e) => {
                        sent = e.seq;
                        if tx.send(sse(&e)).await.is_err() { return; }
                        // A revoked device's open stream ends with its revocation.
                        if e.kind == "device.revoked" && e.entity_id == device.to_string() { return; }
                    }
                    Err(RecvError::Lagged(_)) => {
                        if tx.send(resync()).await.is_err() { return; }
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = stopping.changed() => return,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// A stream fed by a task through a small channel; the task ends when the client leaves.
fn async_stream<F, Fut>(f: F) -> impl Stream<Item = Result<SseEvent, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<SseEvent>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    tokio::spawn(f(tx));
    futures_util::StreamExt::map(tokio_stream::wrappers::ReceiverStream::new(rx), Ok)
}
