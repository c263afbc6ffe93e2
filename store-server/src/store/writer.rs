//! The one write path: a thread that owns the redb write side and commits requests in
//! groups. Each request runs as an operation inside the group's transaction together with
//! its audit entry, idempotency record and event, so one fsync makes them durable together.
//! The writer knows operations only as closures over [`Tx`] with an answer and an error of
//! their own; it knows nothing of HTTP.

use super::{Records, StoreError, tables};
use chrono::{DateTime, Utc};
use redb::{Database, Durability, WriteTransaction};
use salon_shared::api::{AuditEntry, Event};
use salon_shared::{DeviceId, StaffId};
use serde::de::DeserializeOwned;
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
    /// Writes made by the server itself (demo data, the command line, background jobs).
    pub fn system(what: &str) -> Actor {
        Actor {
            device_id: None,
            device_name: what.to_string(),
            staff_id: None,
        }
    }
}

/// What an `Idempotency-Key` remembers: which request it was and what it answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub fingerprint: String,
    pub reply: StoredAnswer,
    pub at: DateTime<Utc>,
}

/// The first answer to a keyed request, as JSON. Records written before the writer became
/// independent of HTTP also carry the answer's status, which is not needed and is ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredAnswer {
    pub body: serde_json::Value,
}

/// A write request's idempotency key, scoped to the device that sent it.
#[derive(Debug, Clone)]
pub struct IdemKey {
    pub device: u64,
    pub key: String,
    /// Hash of what the request is and its body: the same key with another request is
    /// refused.
    pub fingerprint: String,
}

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError<E> {
    /// The operation refused; nothing it did was kept.
    #[error(transparent)]
    Refused(E),
    /// This idempotency key was already used for a different request.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    /// The store could not save the group, or read back a remembered answer.
    #[error("the store could not save this change: {0}")]
    Store(StoreError),
    /// The writer thread is gone.
    #[error("the store's writer has stopped")]
    Stopped,
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

    pub fn get<'k, K: redb::Key + 'static, T: Serialize + DeserializeOwned>(
        &self,
        table: &Records<K, T>,
        key: impl std::borrow::Borrow<K::SelfType<'k>>,
    ) -> Result<Option<T>, StoreError> {
        table.get_w(self.w, key)
    }

    pub fn put<'k, K: redb::Key + 'static, T: Serialize + DeserializeOwned>(
        &mut self,
        table: &Records<K, T>,
        key: impl std::borrow::Borrow<K::SelfType<'k>>,
        value: &T,
    ) -> Result<(), StoreError> {
        table.put(self.writing(), key, value)
    }

    pub fn next_id(&mut self, counter: &str) -> Result<u64, StoreError> {
        super::next_id(self.writing(), counter)
    }

    /// Records an audit entry for this change (SEC-3).
    pub fn audit(
        &mut self,
        action: &str,
        entity: &str,
        entity_id: impl ToString,
        before: impl Serialize,
        after: impl Serialize,
    ) -> Result<(), StoreError> {
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
            .open_table(tables::AUDIT_BY_ENTITY)?
            .insert((key.as_str(), seq), ())?;
        Ok(())
    }

    /// Appends an event, delivered to every device once the transaction commits.
    pub fn event(&mut self, kind: &str, entity_id: impl ToString) -> Result<(), StoreError> {
        let seq = self.next_id("event")?;
        let e = Event {
            seq,
            at: self.now,
            kind: kind.to_string(),
            entity_id: entity_id.to_string(),
        };
        tables::EVENTS.put(self.w, seq, &e)?;
        if seq > EVENTS_KEPT && seq % 1000 == 0 {
            let mut t = self.w.open_table(tables::EVENTS.definition())?;
            t.retain_in(..seq - EVENTS_KEPT, |_, _| false)?;
        }
        self.events.push(e);
        Ok(())
    }
}

/// How a request's operation ended inside the group's transaction.
enum Ran {
    /// It succeeded; its answer as JSON when its idempotency record needs it.
    Answered(Option<serde_json::Value>),
    /// It refused.
    Refused,
}

/// A request waiting for the writer. Its outcome is kept inside until the group commits,
/// so the writer itself never sees an operation's answer or error type.
trait Work: Send {
    fn actor(&self) -> &Actor;
    fn idem(&self) -> Option<&IdemKey>;
    /// Runs the operation in `tx`.
    fn run(&mut self, tx: &mut Tx) -> Ran;
    /// Answers with what the request's key remembers instead of running: the first answer,
    /// or `None` when the key was used for another request.
    fn replay(&mut self, stored: Option<serde_json::Value>);
    /// Sends the outcome, or `failed` when the group could not be committed.
    fn finish(self: Box<Self>, failed: Option<&StoreError>);
}

/// Where a request's outcome arrives once its group has committed.
type Outcome<T, E> = oneshot::Receiver<Result<T, WriteError<E>>>;

struct Request<T, E, F> {
    actor: Actor,
    idem: Option<IdemKey>,
    op: F,
    outcome: Option<Result<T, WriteError<E>>>,
    reply: oneshot::Sender<Result<T, WriteError<E>>>,
}

impl<T, E, F> Work for Request<T, E, F>
where
    T: Serialize + DeserializeOwned + Send + 'static,
    E: Send + 'static,
    F: FnMut(&mut Tx) -> Result<T, E> + Send + 'static,
{
    fn actor(&self) -> &Actor {
        &self.actor
    }

    fn idem(&self) -> Option<&IdemKey> {
        self.idem.as_ref()
    }

    fn run(&mut self, tx: &mut Tx) -> Ran {
        match (self.op)(tx) {
            Ok(answer) => {
                let json = self
                    .idem
                    .is_some()
                    .then(|| serde_json::to_value(&answer).unwrap_or_default());
                self.outcome = Some(Ok(answer));
                Ran::Answered(json)
            }
            Err(e) => {
                self.outcome = Some(Err(WriteError::Refused(e)));
                Ran::Refused
            }
        }
    }

    fn replay(&mut self, stored: Option<serde_json::Value>) {
        self.outcome = Some(match stored {
            None => Err(WriteError::KeyReused),
            Some(json) => serde_json::from_value(json).map_err(|e| {
                WriteError::Store(StoreError::Corrupt {
                    table: "idempotency",
                    reason: e.to_string(),
                })
            }),
        });
    }

    fn finish(self: Box<Self>, failed: Option<&StoreError>) {
        let outcome = match (failed, self.outcome) {
            (Some(e), _) => Err(WriteError::Store(e.clone())),
            (None, Some(outcome)) => outcome,
            (None, None) => Err(WriteError::Store(StoreError::Db(
                "the request was not run".into(),
            ))),
        };
        let _ = self.reply.send(outcome);
    }
}

/// The handle through which every write is submitted.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::SyncSender<Box<dyn Work>>,
    pub events: broadcast::Sender<Event>,
}

impl Writer {
    /// Starts the writer thread over `db`.
    pub fn start(db: Arc<Database>) -> Writer {
        let (jobs, rx) = mpsc::sync_channel::<Box<dyn Work>>(4096);
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

    fn request<T, E, F>(
        actor: Actor,
        idem: Option<IdemKey>,
        op: F,
    ) -> (Box<dyn Work>, Outcome<T, E>)
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        E: Send + 'static,
        F: FnMut(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let work = Request {
            actor,
            idem,
            op,
            outcome: None,
            reply,
        };
        (Box::new(work), rx)
    }

    /// Runs `op` in the next group commit and waits until it is durable. A request with an
    /// idempotency key that was already answered gets that answer again and runs nothing.
    pub async fn write<T, E, F>(
        &self,
        actor: Actor,
        idem: Option<IdemKey>,
        op: F,
    ) -> Result<T, WriteError<E>>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        E: Send + 'static,
        F: FnMut(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        let (work, rx) = Self::request(actor, idem, op);
        let jobs = self.jobs.clone();
        // The queue is bounded; a full queue blocks this task's thread, not the runtime.
        tokio::task::spawn_blocking(move || jobs.send(work).map_err(|_| ()))
            .await
            .map_err(|_| WriteError::Stopped)?
            .map_err(|_| WriteError::Stopped)?;
        rx.await.map_err(|_| WriteError::Stopped)?
    }

    /// The same, from a plain thread (start-up, demo data, the command line).
    pub fn write_blocking<T, E, F>(&self, actor: Actor, op: F) -> Result<T, WriteError<E>>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        E: Send + 'static,
        F: FnMut(&mut Tx) -> Result<T, E> + Send + 'static,
    {
        let (work, rx) = Self::request(actor, None, op);
        self.jobs.send(work).map_err(|_| WriteError::Stopped)?;
        rx.blocking_recv().map_err(|_| WriteError::Stopped)?
    }
}

enum Group {
    Done(Vec<Event>),
    /// Request `i` refused after writing: its changes poison the transaction.
    Poisoned(usize),
}

fn run_batch(db: &Database, mut batch: Vec<Box<dyn Work>>, events: &broadcast::Sender<Event>) {
    loop {
        match try_batch(db, &mut batch) {
            Ok(Group::Done(evs)) => {
                for e in evs {
                    let _ = events.send(e);
                }
                for work in batch {
                    work.finish(None);
                }
                return;
            }
            Ok(Group::Poisoned(i)) => {
                // Answer the refused request and run the rest again in a fresh transaction.
                batch.remove(i).finish(None);
                if batch.is_empty() {
                    return;
                }
            }
            Err(e) => {
                tracing::error!("commit failed: {e}");
                for work in batch {
                    work.finish(Some(&e));
                }
                return;
            }
        }
    }
}

fn try_batch(db: &Database, batch: &mut [Box<dyn Work>]) -> Result<Group, StoreError> {
    let mut w = super::begin_write(db)?;
    // Said explicitly: an answered write is on disk (SEC-5).
    w.set_durability(Durability::Immediate)
        .map_err(|e| StoreError::Db(e.to_string()))?;
    let mut events = Vec::new();
    for (i, work) in batch.iter_mut().enumerate() {
        let now = Utc::now();
        if let Some(k) = work.idem()
            && let Some(rec) = tables::IDEMPOTENCY.get_w(&w, (k.device, k.key.as_str()))?
        {
            let same = rec.fingerprint == k.fingerprint;
            work.replay(same.then_some(rec.reply.body));
            continue;
        }
        let actor = work.actor().clone();
        let mut tx = Tx {
            w: &w,
            now,
            actor: &actor,
            wrote: false,
            events: Vec::new(),
        };
        match work.run(&mut tx) {
            Ran::Answered(json) => {
                events.append(&mut tx.events);
                if let (Some(k), Some(body)) = (work.idem(), json) {
                    let rec = IdempotencyRecord {
                        fingerprint: k.fingerprint.clone(),
                        reply: StoredAnswer { body },
                        at: now,
                    };
                    tables::IDEMPOTENCY.put(&w, (k.device, k.key.as_str()), &rec)?;
                }
            }
            Ran::Refused if tx.wrote => {
                drop(tx);
                w.abort()?;
                return Ok(Group::Poisoned(i));
            }
            Ran::Refused => {}
        }
    }
    w.commit()?;
    Ok(Group::Done(events))
}
