//! Where a device's event stream starts (SEC-5's companion: nothing a device was told is
//! lost across a drop). Events are appended by the writer with the change they describe;
//! a device resumes after the last sequence number it saw.

use crate::store::{StoreError, tables};
use redb::{ReadTransaction, ReadableTable};
use salon_shared::api::{Event, READY};

/// The most missed events sent on reconnection before the device is told to reload.
const BACKLOG_MAX: usize = 10_000;

/// What a (re)connecting device is sent before live events.
#[derive(Debug)]
pub struct Resume {
    /// The device missed more than the store kept, or names a sequence this store never
    /// issued (another store, a restored backup): it must reload everything.
    pub gap: bool,
    /// A device starting afresh is told where the stream stands, so that after a drop it
    /// resumes from there and misses nothing written while it was away.
    pub ready: Option<Event>,
    /// The events after the device's last one, oldest first.
    pub backlog: Vec<Event>,
    /// The newest sequence number the device has (or is about to have) seen.
    pub resume_from: u64,
}

/// Where the stream of a device that last saw `last` (or nothing) starts.
pub fn resume(
    r: &ReadTransaction,
    last: Option<u64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Resume, StoreError> {
    let t = r.open_table(tables::EVENTS.definition())?;
    let newest = t.last()?.map_or(0, |(k, _)| k.value());
    let Some(last) = last else {
        return Ok(Resume {
            gap: false,
            ready: Some(Event {
                seq: newest,
                at: now,
                kind: READY.into(),
                entity_id: String::new(),
            }),
            backlog: Vec::new(),
            resume_from: newest,
        });
    };
    let first_kept = t.first()?.map(|(k, _)| k.value());
    let gap = first_kept.is_some_and(|f| f > last.saturating_add(1)) || last > newest;
    let mut backlog = Vec::new();
    if !gap {
        for item in t.range(last + 1..)?.take(BACKLOG_MAX) {
            let (_, v) = item?;
            backlog.push(tables::EVENTS.decode(v.value())?);
        }
    }
    Ok(Resume {
        gap,
        ready: None,
        backlog,
        resume_from: last.min(newest),
    })
}
