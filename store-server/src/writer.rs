//! The one write path: a thread that owns the redb write side and commits requests in
//! groups. Each request runs as an operation inside the group's transaction together with
//! its audit entry, idempotency record and event, so one fsync makes them durable together.

use crate::error::ApiError;
use crate::store::{self, Records, StoreError, tables};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use redb::{Database, Durability, WriteTransaction};
use salon_shared::api::{AuditEntry, Event};
use salon_shared::{DeviceId, StaffId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::mpsc;
use tokio::sync::{broadcast, oneshot};

/// How many events the store keeps for devices that reconnect with `Last-Event-ID`.
pub const EVENTS_KEPT: u64 = 20_000;
/// The most requests committed by one fsync.
const MAX_BATCH: usize = 256;

/// Who is writing: recorded in the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub device_id: Option<DeviceId>,
    pub device_name: String,
    pub staff_id: Option<StaffId>,
}

impl Actor {
    /// Writes made by the server itself (demo data, the command line).
    pub fn system(what: &str) -> Actor {
        Actor {
            device_id: None,
            device_name: what.to_string(),
            staff_id: None,
        }
    }
}

/// An operation's answer: HTTP status and JSON body, as stored for idempotent replays.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reply {
    pub status: u16,
    pub body: serde_json::Value,
}

impl Reply {
    pub fn ok<T: Serialize>(status: StatusCode, body: &T) -> Reply {
        Reply {
            status: status.as_u16(),
            body: serde_json::to_value(body).unwrap_or_default(),
        }
    }
}

/// What an `Idempotency-Key` remembers: which request it was and what it answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub fingerprint: String,
    pub reply: Reply,
    pub at: DateTime<Utc>,
}

/// A write request's idempotency key, scoped to the device that sent it.
#[derive(Debug, Clone)]
pub struct IdemKey {
    pub device: u64,
    pub key: String,
    /// Hash of method, path and body: the same key with another request is refused.
    pub fingerprint: String,
}

type Op = Box<dyn FnMut(&mut Tx) -> Result<Reply, ApiError> + Send>;

struct Job {
    actor: Actor,
    idem: Option<IdemKey>,
    op: Op,
    reply: oneshot::Sender<Result<Reply, ApiError>>,
}

/// The transaction handle an operation writes through. Every write goes through here so
/// the writer knows whether a failed operation left changes behind.
pub struct Tx<'a> {
    pub w: &'a WriteTransaction,
    pub now: DateTime<Utc>,
    actor: &'a Actor,
    wrote: bool,
    events: Vec<Event>,
}

impl<'a> Tx<'a> {
    pub fn actor(&self) -> &Actor {
        self.actor
    }

    /// Call before the first write: the operation has passed every check.
    pub fn writing(&mut self) -> &WriteTransaction {
        self.wrote = true;
        self.w
    }

    pub fn get<'k, K: redb::Key + 'static, T: Serialize + serde::de::DeserializeOwned>(
        &self,
        table: &Records<K, T>,
        key: impl std::borrow::Borrow<K::SelfType<'k>>,
    ) -> Result<Option<T>, ApiError> {
        Ok(table.get_w(self.w, key)?)
    }

    pub fn put<'k, K: redb::Key + 'static, T: Serialize + serde::de::DeserializeOwned>(
        &mut self,
        table: &Records<K, T>,
        key: impl std::borrow::Borrow<K::SelfType<'k>>,
        value: &T,
    ) -> Result<(), ApiError> {
        table.put(self.writing(), key, value)?;
        Ok(())
    }

    pub fn next_id(&mut self, counter: &str) -> Result<u64, ApiError> {
        Ok(store::next_id(self.writing(), counter)?)
    }

    /// Records an audit entry for this change (SEC-3).
    pub fn audit(
        &mut self,
        action: &str,
        entity: &str,
        entity_id: impl ToString,
        before: impl Serialize,
        after: impl Serialize,
    ) -> Result<(), ApiError> {
        let seq = self.next_id("audit")?;
        let entity_id = entity_id.to_string();
        let entry = AuditEntry {
            seq,
            at: self.now,
            device_id: self.actor.device_id,
            device_name: self.actor.device_name.clone(),
            staff_id: self.actor.staff_id,
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id: entity_id.clone(),
            before: serde_json::to_value(before).unwrap_or_default(),
            after: serde_json::to_value(after).unwrap_or_default(),
        };
        tables::AUDIT.put(self.w, seq, &entry)?;
        let key = format!("{entity}:{entity_id}");
        self.w
            .open_table(tables::AUDIT_BY_ENTITY)
            .map_err(StoreError::from)?
            .insert((key.as_str(), seq), ())
            .map_err(StoreError::from)?;
        Ok(())
    }

    /// Appends an event, delivered to every device once the transaction commits.
    pub fn event(&mut self, kind: &str, entity_id: impl ToString) -> Result<(), ApiError> {
        let seq = self.next_id("event")?;
        let e = Event {
            seq,
            at: self.now,
            kind: kind.to_string(),
            entity_id: entity_id.to_string(),
        };
        tables::EVENTS.put(self.w, seq, &e)?;
        if seq > EVENTS_KEPT && seq % 1000 == 0 {
            let mut t = self
                .w
                .open_table(tables::EVENTS.definition())
                .map_err(StoreError::from)?;
            t.retain_in(..seq - EVENTS_KEPT, |_, _| false)
                .map_err(StoreError::from)?;
        }
        self.events.push(e);
        Ok(())
    }
}

/// The handle handlers use to submit writes.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::SyncSender<Job>,
    pub events: broadcast::Sender<Event>,
}

impl Writer {
    /// Starts the writer thread over `db`.
    pub fn start(db: Arc<Database>) -> Writer {
        let (jobs, rx) = mpsc::sync_channel::<Job>(4096);
        let (events, _) = broadcast::channel(4096);
        let ev = events.clone();
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(j) => batch.push(j),
                            Err(_) => break,
                        }
                    }
                    run_batch(&db, batch, &ev);
                }
            })
            .expect("the writer thread starts");
        Writer { jobs, events }
    }

    /// Runs `op` in the next group commit and waits until it is durable.
    pub async fn write(
        &self,
        actor: Actor,
        idem: Option<IdemKey>,
        op: impl FnMut(&mut Tx) -> Result<Reply, ApiError> + Send + 'static,
    ) -> Result<Reply, ApiError> {
        let (reply, rx) = oneshot::channel();
        let job = Job {
            actor,
            idem,
            op: Box::new(op),
            reply,
        };
        let jobs = self.jobs.clone();
        // The queue is bounded; a full queue blocks this task's thread, not the runtime.
        tokio::task::spawn_blocking(move || jobs.send(job).map_err(|_| ()))
            .await
            .map_err(|_| ApiError::internal("writer queue"))?
            .map_err(|_| ApiError::internal("writer stopped"))?;
        rx.await
            .map_err(|_| ApiError::internal("writer dropped the request"))?
    }

    /// The same, from a plain thread (start-up, demo data, command line).
    pub fn write_blocking(
        &self,
        actor: Actor,
        op: impl FnMut(&mut Tx) -> Result<Reply, ApiError> + Send + 'static,
    ) -> Result<Reply, ApiError> {
        let (reply, rx) = oneshot::channel();
        self.jobs
            .send(Job {
                actor,
                idem: None,
                op: Box::new(op),
                reply,
            })
            .map_err(|_| ApiError::internal("writer stopped"))?;
        rx.blocking_recv()
            .map_err(|_| ApiError::internal("writer dropped the request"))?
    }
}

enum Outcome {
    Done(Vec<Result<Reply, ApiError>>, Vec<Event>),
    /// Job `i` failed after writing: its changes poison the transaction.
    Poisoned(usize, ApiError),
}

fn run_batch(db: &Database, mut batch: Vec<Job>, events: &broadcast::Sender<Event>) {
    loop {
        match try_batch(db, &mut batch) {
            Ok(Outcome::Done(results, evs)) => {
                for e in evs {
                    let _ = events.send(e);
                }
                for (job, r) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(r);
                }
                return;
            }
            Ok(Outcome::Poisoned(i, err)) => {
                // Answer the failed job and run the rest again in a fresh transaction.
                let job = batch.remove(i);
                let _ = job.reply.send(Err(err));
                if batch.is_empty() {
                    return;
                }
            }
            Err(e) => {
                tracing::error!("commit failed: {e}");
                for job in batch {
                    let _ = job.reply.send(Err(ApiError::internal(
                        "the store could not save this change",
                    )));
                }
                return;
            }
        }
    }
}

fn try_batch(db: &Database, batch: &mut [Job]) -> Result<Outcome, StoreError> {
    let mut w = crate::store::begin_write(db)?;
    // Said explicitly: an answered write is on disk (SEC-5).
    w.set_durability(Durability::Immediate)
        .map_err(|e| StoreError::Db(e.to_string()))?;
    let mut results = Vec::with_capacity(batch.len());
    let mut events = Vec::new();
    for (i, job) in batch.iter_mut().enumerate() {
        let now = Utc::now();
        if let Some(k) = &job.idem
            && let Some(rec) = tables::IDEMPOTENCY.get_w(&w, (k.device, k.key.as_str()))?
        {
            results.push(if rec.fingerprint == k.fingerprint {
                Ok(rec.reply)
            } else {
                Err(ApiError::conflict(
                    "idempotency_key_reused",
                    "this Idempotency-Key was already used for a different request",
                ))
            });
            continue;
        }
        let mut tx = Tx {
            w: &w,
            now,
            actor: &job.actor,
            wrote: false,
            events: Vec::new(),
        };
        match (job.op)(&mut tx) {
            Ok(reply) => {
                if let Some(k) = &job.idem {
                    let rec = IdempotencyRecord {
                        fingerprint: k.fingerprint.clone(),
                        reply: reply.clone(),
                        at: now,
                    };
                    tables::IDEMPOTENCY.put(&w, (k.device, k.key.as_str()), &rec)?;
                }
                events.append(&mut tx.events);
                results.push(Ok(reply));
            }
            Err(e) if tx.wrote => {
                drop(tx);
                w.abort()?;
                return Ok(Outcome::Poisoned(i, e));
            }
            Err(e) => results.push(Err(e)),
        }
    }
    w.commit()?;
    Ok(Outcome::Done(results, events))
}
