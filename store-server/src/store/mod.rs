//! The redb store: typed tables over a versioned record encoding, the schema version and
//! its migrations, and the read helpers every operation uses. Writes go through `writer`.
//! This layer knows redb and nothing of HTTP or of the operations above it.

use redb::{Database, ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::path::Path;

/// The schema this build writes. A file with a newer one is refused, an older one migrated.
pub const SCHEMA_VERSION: u64 = 2;

/// The encoding version byte in front of every record. Records are JSON after it, so a new
/// optional field needs no migration; a changed meaning needs a new version byte.
const RECORD_V1: u8 = 1;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(String),
    #[error("stored record in {table} cannot be read: {reason}")]
    Corrupt { table: &'static str, reason: String },
    #[error(
        "store file has schema {found}, newer than this server's {SCHEMA_VERSION}: upgrade the server"
    )]
    TooNew { found: u64 },
}

macro_rules! db_err {
    ($($t:ty),*) => {$(impl From<$t> for StoreError {
        fn from(e: $t) -> Self { StoreError::Db(e.to_string()) }
    })*};
}
db_err!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// A table of records of type `T` keyed by `K`, stored as version byte + JSON.
pub struct Records<K: redb::Key + 'static, T> {
    def: TableDefinition<'static, K, &'static [u8]>,
    name: &'static str,
    _t: PhantomData<T>,
}

impl<K: redb::Key + 'static, T> Records<K, T> {
    pub const fn new(name: &'static str) -> Self {
        Records {
            def: TableDefinition::new(name),
            name,
            _t: PhantomData,
        }
    }
}

impl<K: redb::Key + 'static, T: Serialize + DeserializeOwned> Records<K, T> {
    pub fn decode(&self, bytes: &[u8]) -> Result<T, StoreError> {
        match bytes.split_first() {
            Some((&RECORD_V1, json)) => {
                serde_json::from_slice(json).map_err(|e| StoreError::Corrupt {
                    table: self.name,
                    reason: e.to_string(),
                })
            }
            Some((v, _)) => Err(StoreError::Corrupt {
                table: self.name,
                reason: format!("unknown record version {v}"),
            }),
            None => Err(StoreError::Corrupt {
                table: self.name,
                reason: "empty record".into(),
            }),
        }
    }

    pub fn encode(value: &T) -> Vec<u8> {
        let mut out = vec![RECORD_V1];
        // Serialising our own types to JSON cannot fail: they have string keys only.
        serde_json::to_writer(&mut out, value).unwrap_or_default();
        out
    }

    pub fn get<'k>(
        &self,
        r: &ReadTransaction,
        key: impl std::borrow::Borrow<K::SelfType<'k>>,
    ) -> Result<Option<T>, StoreError> {
        let t = match r.open_table(self.def) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        t.get(key)?.map(|v| self.decode(v.value())).transpose()
    }

    pub fn get_w<'k>(
        &self,
        w: &WriteTransaction,
        key: impl std::borrow::Borrow<K::SelfType<'k>>,
    ) -> Result<Option<T>, StoreError> {
        let t = w.open_table(self.def)?;
        t.get(key)?.map(|v| self.decode(v.value())).transpose()
    }

    pub fn put<'k>(
        &self,
        w: &WriteTransaction,
        key: impl std::borrow::Borrow<K::SelfType<'k>>,
        value: &T,
    ) -> Result<(), StoreError> {
        let mut t = w.open_table(self.def)?;
        t.insert(key, Self::encode(value).as_slice())?;
        Ok(())
    }

    /// Every record, in key order. For scans over small tables and filtered lists.
    pub fn all(&self, r: &ReadTransaction) -> Result<Vec<T>, StoreError> {
        let t = match r.open_table(self.def) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for item in t.iter()? {
            let (_, v) = item?;
            out.push(self.decode(v.value())?);
        }
        Ok(out)
    }

    pub fn definition(&self) -> TableDefinition<'static, K, &'static [u8]> {
        self.def
    }
}

pub mod records;
pub mod tables;
pub mod writer;

pub use writer::{Actor, IdemKey, Tx, WriteError, Writer};

/// The page cache: the hot part of a busy store (customer indexes, today's queue and the
/// recent history) fits, and the server stays well inside its memory budget (SPEC §4) however
/// large the file grows. redb's own default is 1 GiB.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Opens (or creates) the store file, runs migrations, and returns the database.
pub fn open(path: &Path) -> Result<Database, StoreError> {
    let db = redb::Builder::new()
        .set_cache_size(CACHE_BYTES)
        .create(path)?;
    migrate(&db)?;
    Ok(db)
}

/// A write transaction that also records the allocator state, so reopening the file after a
/// crash (kill -9, power cut) takes milliseconds instead of a walk over the whole file: with
/// five years of history that walk takes several seconds (SPEC §4: restart ≤ 2 s). Each
/// commit costs a second, small fsync for it.
pub fn begin_write(db: &Database) -> Result<WriteTransaction, StoreError> {
    let mut w = db.begin_write()?;
    w.set_quick_repair(true);
    Ok(w)
}

/// Files a started ticket's wait for the wait report (again when the ticket changes).
pub fn put_wait_sample(
    w: &WriteTransaction,
    t: &salon_shared::queue::Ticket,
) -> Result<(), StoreError> {
    let Some(started) = t.started_at else {
        return Ok(());
    };
    let waited = salon_shared::queue::minutes_waited(t.created_at, started);
    let row = (
        t.stylist.map_or(0, |s| s.0),
        t.quoted.low,
        t.quoted.high,
        u32::try_from(waited).unwrap_or(u32::MAX),
    );
    let day = t.day.to_string();
    w.open_table(tables::WAIT_SAMPLES)?
        .insert((day.as_str(), t.id), row)?;
    Ok(())
}

/// Brings an older file up to [`SCHEMA_VERSION`], creating every table on a new file.
pub fn migrate(db: &Database) -> Result<(), StoreError> {
    let w = begin_write(db)?;
    {
        let mut meta = w.open_table(tables::META)?;
        let found = match meta.get("schema_version")? {
            Some(v) => v.value().parse::<u64>().map_err(|e| StoreError::Corrupt {
                table: "meta",
                reason: e.to_string(),
            })?,
            None => 0,
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { found });
        }
        // Version 0: a new file. Later versions add steps here, each in this transaction.
        // 1 → 2: the wait report's samples, taken from the tickets.
        if (1..2).contains(&found) {
            let tickets = w.open_table(tables::TICKETS.definition())?;
            for item in tickets.iter()? {
                let (_, v) = item?;
                put_wait_sample(&w, &tables::TICKETS.decode(v.value())?)?;
            }
        }
        if found < SCHEMA_VERSION {
            meta.insert("schema_version", SCHEMA_VERSION.to_string().as_str())?;
        }
    }
    create_tables(&w)?;
    w.commit()?;
    Ok(())
}

fn create_tables(w: &WriteTransaction) -> Result<(), StoreError> {
    use tables::*;
    w.open_table(COUNTERS)?;
    w.open_table(CUSTOMERS.definition())?;
    w.open_table(CUSTOMER_BY_PHONE)?;
    w.open_table(CUSTOMER_BY_LAST4)?;
    w.open_table(CUSTOMER_BY_NAME)?;
    w.open_table(CARDS.definition())?;
    w.open_table(CARDS_BY_CUSTOMER)?;
    w.open_table(SERVICES.definition())?;
    w.open_table(STAFF.definition())?;
    w.open_table(DEVICES.definition())?;
    w.open_table(DEVICE_BY_TOKEN)?;
    w.open_table(PAIRING_CODES.definition())?;
    w.open_table(AUDIT.definition())?;
    w.open_table(AUDIT_BY_ENTITY)?;
    w.open_table(EVENTS.definition())?;
    w.open_table(IDEMPOTENCY.definition())?;
    w.open_table(ROSTERS.definition())?;
    w.open_table(TICKETS.definition())?;
    w.open_table(TICKETS_BY_DAY)?;
    w.open_table(TICKETS_OPEN)?;
    w.open_table(WAIT_SAMPLES)?;
    w.open_table(WALK_INS.definition())?;
    w.open_table(APPOINTMENTS.definition())?;
    w.open_table(APPOINTMENTS_BY_DAY)?;
    w.open_table(APPOINTMENTS_BY_CUSTOMER)?;
    w.open_table(SERVICE_TIMES.definition())?;
    w.open_table(ROTATION.definition())?;
    w.open_table(BALKS.definition())?;
    w.open_table(BALKS_BY_DAY)?;
    w.open_table(FEEDBACK.definition())?;
    w.open_table(FEEDBACK_BY_DAY)?;
    w.open_table(FEEDBACK_BY_CUSTOMER)?;
    w.open_table(PRODUCTS.definition())?;
    w.open_table(STOCK_MOVES.definition())?;
    w.open_table(VISITS.definition())?;
    w.open_table(WALLETS.definition())?;
    w.open_table(VALUE_LEDGER.definition())?;
    w.open_table(POINTS_LEDGER.definition())?;
    w.open_table(PACKAGE_PLANS.definition())?;
    w.open_table(PACKAGES.definition())?;
    w.open_table(PACKAGE_LEDGER.definition())?;
    w.open_table(COUPON_DEFS.definition())?;
    w.open_table(COUPONS.definition())?;
    w.open_table(CHECKOUTS.definition())?;
    w.open_table(REFUNDS.definition())?;
    w.open_table(VISITS_BY_CUSTOMER)?;
    w.open_table(PHOTOS)?;
    w.open_table(PACKAGES_BY_CUSTOMER)?;
    w.open_table(COUPONS_BY_CUSTOMER)?;
    w.open_table(CHECKOUTS_BY_DAY)?;
    w.open_table(CHECKOUTS_BY_CUSTOMER)?;
    w.open_table(CHECKOUT_BY_TICKET)?;
    w.open_table(REFUNDS_BY_DAY)?;
    Ok(())
}

pub fn meta_get(r: &impl Txn, key: &str) -> Result<Option<String>, StoreError> {
    let t = r.open(tables::META)?;
    Ok(t.get(key)?.map(|v| v.value().to_string()))
}

pub fn meta_set(w: &WriteTransaction, key: &str, value: &str) -> Result<(), StoreError> {
    w.open_table(tables::META)?.insert(key, value)?;
    Ok(())
}

/// Takes the next value of a counter (ids start at 1).
pub fn next_id(w: &WriteTransaction, counter: &str) -> Result<u64, StoreError> {
    let mut t = w.open_table(tables::COUNTERS)?;
    let next = t.get(counter)?.map(|v| v.value()).unwrap_or(0) + 1;
    t.insert(counter, next)?;
    Ok(next)
}

pub fn counter(r: &ReadTransaction, counter: &str) -> Result<u64, StoreError> {
    let t = r.open_table(tables::COUNTERS)?;
    Ok(t.get(counter)?.map(|v| v.value()).unwrap_or(0))
}

/// Ids in a `(prefix, id)` index whose first part starts with `prefix`, at most `limit`.
pub fn index_prefix(
    r: &ReadTransaction,
    def: TableDefinition<(&str, u64), ()>,
    prefix: &str,
    limit: usize,
) -> Result<Vec<u64>, StoreError> {
    let t = r.open_table(def)?;
    let mut out = Vec::new();
    for item in t.range((prefix, 0u64)..)? {
        let (k, _) = item?;
        let (key, id) = k.value();
        if !key.starts_with(prefix) || out.len() >= limit {
            break;
        }
        out.push(id);
    }
    Ok(out)
}

/// Read access shared by read and write transactions, so the same loading code can run in a
/// request's read snapshot or inside the writer's transaction (seeing its own group's writes).
pub trait Txn {
    type Table<'t, K: redb::Key + 'static, V: redb::Value + 'static>: ReadableTable<K, V>
    where
        Self: 't;
    fn open<'t, K: redb::Key + 'static, V: redb::Value + 'static>(
        &'t self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<Self::Table<'t, K, V>, StoreError>;
}

impl Txn for ReadTransaction {
    type Table<'t, K: redb::Key + 'static, V: redb::Value + 'static> = redb::ReadOnlyTable<K, V>;
    fn open<'t, K: redb::Key + 'static, V: redb::Value + 'static>(
        &'t self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<Self::Table<'t, K, V>, StoreError> {
        Ok(self.open_table(def)?)
    }
}

impl Txn for WriteTransaction {
    type Table<'t, K: redb::Key + 'static, V: redb::Value + 'static> = redb::Table<'t, K, V>;
    fn open<'t, K: redb::Key + 'static, V: redb::Value + 'static>(
        &'t self,
        def: TableDefinition<'static, K, V>,
    ) -> Result<Self::Table<'t, K, V>, StoreError> {
        Ok(self.open_table(def)?)
    }
}

impl<K: redb::Key + 'static, T: Serialize + DeserializeOwned> Records<K, T> {
    /// `get` through either kind of transaction.
    pub fn get_in<'k>(
        &self,
        txn: &impl Txn,
        key: impl std::borrow::Borrow<K::SelfType<'k>>,
    ) -> Result<Option<T>, StoreError> {
        let t = txn.open(self.def)?;
        t.get(key)?.map(|v| self.decode(v.value())).transpose()
    }

    /// Every record, through either kind of transaction.
    pub fn all_in(&self, txn: &impl Txn) -> Result<Vec<T>, StoreError> {
        let t = txn.open(self.def)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            out.push(self.decode(item?.1.value())?);
        }
        Ok(out)
    }
}

/// Ids filed under exactly `key` in a `(key, id)` index.
pub fn ids_under(
    txn: &impl Txn,
    def: TableDefinition<'static, (&'static str, u64), ()>,
    key: &str,
) -> Result<Vec<u64>, StoreError> {
    let t = txn.open(def)?;
    let mut out = Vec::new();
    for item in t.range((key, 0u64)..=(key, u64::MAX))? {
        out.push(item?.0.value().1);
    }
    Ok(out)
}

/// Second parts filed under `key` in a `(key, id)` index keyed by number.
pub fn ids_under_id(
    txn: &impl Txn,
    def: TableDefinition<'static, (u64, u64), ()>,
    key: u64,
) -> Result<Vec<u64>, StoreError> {
    let t = txn.open(def)?;
    let mut out = Vec::new();
    for item in t.range((key, 0u64)..=(key, u64::MAX))? {
        out.push(item?.0.value().1);
    }
    Ok(out)
}

/// Files `(a, b)` in a two-number index.
pub fn link(
    w: &WriteTransaction,
    def: TableDefinition<'static, (u64, u64), ()>,
    a: u64,
    b: u64,
) -> Result<(), StoreError> {
    w.open_table(def)?.insert((a, b), ())?;
    Ok(())
}

/// Removes `(a, b)` from a two-number index.
pub fn unlink(
    w: &WriteTransaction,
    def: TableDefinition<'static, (u64, u64), ()>,
    a: u64,
    b: u64,
) -> Result<(), StoreError> {
    w.open_table(def)?.remove((a, b))?;
    Ok(())
}

/// Files `id` under `day` in a `(day, id)` index.
pub fn link_day(
    w: &WriteTransaction,
    def: TableDefinition<'static, (&'static str, u64), ()>,
    day: chrono::NaiveDate,
    id: u64,
) -> Result<(), StoreError> {
    let day = day.to_string();
    w.open_table(def)?.insert((day.as_str(), id), ())?;
    Ok(())
}

/// Every record keyed `(key, …)` in a table keyed by two numbers, in order.
pub fn records_under<T: Serialize + DeserializeOwned>(
    txn: &impl Txn,
    records: &Records<(u64, u64), T>,
    key: u64,
) -> Result<Vec<T>, StoreError> {
    let t = txn.open(records.definition())?;
    let mut out = Vec::new();
    for item in t.range((key, 0u64)..=(key, u64::MAX))? {
        out.push(records.decode(item?.1.value())?);
    }
    Ok(out)
}

/// Every record filed under `day` in a `(day, id)` index.
pub fn by_day<T: Serialize + DeserializeOwned>(
    txn: &impl Txn,
    index: TableDefinition<'static, (&'static str, u64), ()>,
    records: &Records<u64, T>,
    day: chrono::NaiveDate,
) -> Result<Vec<T>, StoreError> {
    let t = txn.open(records.definition())?;
    let mut out = Vec::new();
    for id in ids_under(txn, index, &day.to_string())? {
        if let Some(v) = t.get(id)? {
            out.push(records.decode(v.value())?);
        }
    }
    Ok(out)
}
