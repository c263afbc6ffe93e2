//! The live event stream: server-sent events for every change, resumable by `Last-Event-ID`.

use crate::AppState;
use crate::http::{ApiError, Auth};
use crate::ops::events;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use salon_shared::Action;
use salon_shared::api::{ErrorBody, Event, RESYNC};
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
    let events::Resume {
        gap,
        ready,
        backlog,
        resume_from,
    } = events::resume(&s.read()?, last, chrono::Utc::now())?;
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
