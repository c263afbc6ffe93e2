//! The redb store: typed tables over a versioned record encoding, the schema version and
//! its migrations, and the read helpers every handler uses. Writes go through `writer`.

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

#[derive(Debug, thiserror::Error)]
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

pub mod tables {
    //! Every table of the store, in one place.
    use super::Records;
    use crate::auth::{DeviceRecord, PairingRecord};
    use crate::writer::IdempotencyRecord;
    use redb::TableDefinition;
    use salon_shared::api::{AuditEntry, Event};
    use salon_shared::queue::Ticket;
    use salon_shared::rotation::Adjustment;
    use salon_shared::schedule::{Appointment, Roster};
    use salon_shared::{Customer, MemberCard, Service, Staff};

    /// `schema_version`, `server_id`, `store_name`, `time_zone`.
    pub const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
    /// Id and sequence counters: `customer`, `service`, `staff`, `device`, `audit`, `event`.
    pub const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");

    pub const CUSTOMERS: Records<u64, Customer> = Records::new("customers");
    pub const CUSTOMER_BY_PHONE: TableDefinition<&str, u64> =
        TableDefinition::new("customer_by_phone");
    /// (last four digits of the phone, customer id).
    pub const CUSTOMER_BY_LAST4: TableDefinition<(&str, u64), ()> =
        TableDefinition::new("customer_by_last4");
    /// (name search key, customer id); keys from `salon_shared::search::name_keys`.
    pub const CUSTOMER_BY_NAME: TableDefinition<(&str, u64), ()> =
        TableDefinition::new("customer_by_name");

    pub const CARDS: Records<&str, MemberCard> = Records::new("cards");
    /// (customer id, card number): every card a customer ever held.
    pub const CARDS_BY_CUSTOMER: TableDefinition<(u64, &str), ()> =
        TableDefinition::new("cards_by_customer");

    pub const SERVICES: Records<u64, Service> = Records::new("services");
    pub const STAFF: Records<u64, Staff> = Records::new("staff");

    /// Staff id → weekly template and exceptions.
    pub const ROSTERS: Records<u64, Roster> = Records::new("rosters");
    pub const TICKETS: Records<u64, Ticket> = Records::new("tickets");
    /// (store-local day "2026-11-23", ticket id).
    pub const TICKETS_BY_DAY: TableDefinition<(&str, u64), ()> =
        TableDefinition::new("tickets_by_day");
    /// (store-local day, ticket id) of tickets still open: what a check-in must read.
    pub const TICKETS_OPEN: TableDefinition<(&str, u64), ()> = TableDefinition::new("tickets_open");
    /// (day, ticket) → (stylist or 0, quoted low, quoted high, minutes waited), for every
    /// started ticket: what the wait report reads, a fixed-size row instead of a ticket.
    pub const WAIT_SAMPLES: TableDefinition<(&str, u64), (u64, u32, u32, u32)> =
        TableDefinition::new("wait_samples");
    /// (store-local day, stylist id) → their walk-in tally, for the rotation board.
    pub const WALK_INS: Records<(&str, u64), salon_shared::planner::WalkIns> =
        Records::new("walk_ins");
    pub const APPOINTMENTS: Records<u64, Appointment> = Records::new("appointments");
    /// (store-local day, appointment id).
    pub const APPOINTMENTS_BY_DAY: TableDefinition<(&str, u64), ()> =
        TableDefinition::new("appointments_by_day");
    /// (customer id, appointment id).
    pub const APPOINTMENTS_BY_CUSTOMER: TableDefinition<(u64, u64), ()> =
        TableDefinition::new("appointments_by_customer");
    /// (stylist id, service id) → their recent minutes for it, newest last.
    pub const SERVICE_TIMES: Records<(u64, u64), Vec<u32>> = Records::new("service_times");
    /// (store-local day, stylist id) → the manager's rotation adjustment that day.
    pub const ROTATION: Records<(&str, u64), Adjustment> = Records::new("rotation");
    pub const BALKS: Records<u64, salon_shared::api::Balk> = Records::new("balks");
    /// (store-local day, balk id).
    pub const BALKS_BY_DAY: TableDefinition<(&str, u64), ()> = TableDefinition::new("balks_by_day");
    /// Ticket id → the customer's rating of that visit (CHK-6): at most one per visit.
    pub const FEEDBACK: Records<u64, salon_shared::api::Feedback> = Records::new("feedback");
    /// (store-local day of the visit, ticket id), for listing a period's ratings.
    pub const FEEDBACK_BY_DAY: TableDefinition<(&str, u64), ()> =
        TableDefinition::new("feedback_by_day");
    /// (customer id, ticket id), so erasure can find a customer's comments (CUS-6).
    pub const FEEDBACK_BY_CUSTOMER: TableDefinition<(u64, u64), ()> =
        TableDefinition::new("feedback_by_customer");

    // ---- money (PAY, MEM, CPN, REC) ----
    pub const PRODUCTS: Records<u64, salon_shared::api::Product> = Records::new("products");
    /// (product id, seq) → one stock movement (INV-2).
    pub const STOCK_MOVES: Records<(u64, u64), salon_shared::api::StockMove> =
        Records::new("stock_moves");
    /// Ticket id → the service record of that visit (REC-1).
    pub const VISITS: Records<u64, salon_shared::api::Visit> = Records::new("visits");
    /// (ticket id, photo number) → the image bytes of a before/after photo (REC-1).
    pub const PHOTOS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("photos");
    /// (customer id, ticket id).
    pub const VISITS_BY_CUSTOMER: TableDefinition<(u64, u64), ()> =
        TableDefinition::new("visits_by_customer");
    /// Customer id → cached balances; always equal to the sums of the ledgers below.
    pub const WALLETS: Records<u64, crate::routes::members::Wallet> = Records::new("wallets");
    /// (customer id, seq) → a stored-value movement (MEM-3).
    pub const VALUE_LEDGER: Records<(u64, u64), salon_shared::ledger::ValueEntry> =
        Records::new("value_ledger");
    /// (customer id, seq) → a points movement (MEM-4).
    pub const POINTS_LEDGER: Records<(u64, u64), salon_shared::ledger::PointsEntry> =
        Records::new("points_ledger");
    pub const PACKAGE_PLANS: Records<u64, salon_shared::ledger::PackagePlan> =
        Records::new("package_plans");
    pub const PACKAGES: Records<u64, salon_shared::ledger::Package> = Records::new("packages");
    /// (customer id, package id).
    pub const PACKAGES_BY_CUSTOMER: TableDefinition<(u64, u64), ()> =
        TableDefinition::new("packages_by_customer");
    /// (package id, seq) → a package use movement (MEM-5).
    pub const PACKAGE_LEDGER: Records<(u64, u64), salon_shared::ledger::PackageEntry> =
        Records::new("package_ledger");
    pub const COUPON_DEFS: Records<u64, salon_shared::coupon::CouponDef> =
        Records::new("coupon_defs");
    pub const COUPONS: Records<u64, salon_shared::coupon::Coupon> = Records::new("coupons");
    /// (customer id, coupon id).
    pub const COUPONS_BY_CUSTOMER: TableDefinition<(u64, u64), ()> =
        TableDefinition::new("coupons_by_customer");
    pub const CHECKOUTS: Records<u64, salon_shared::api::Checkout> = Records::new("checkouts");
    /// (store-local day, checkout id), for the cash-up.
    pub const CHECKOUTS_BY_DAY: TableDefinition<(&str, u64), ()> =
        TableDefinition::new("checkouts_by_day");
    /// (customer id, checkout id).
    pub const CHECKOUTS_BY_CUSTOMER: TableDefinition<(u64, u64), ()> =
        TableDefinition::new("checkouts_by_customer");
    /// Ticket id → the checkout that paid for the visit: one per visit.
    pub const CHECKOUT_BY_TICKET: TableDefinition<u64, u64> =
        TableDefinition::new("checkout_by_ticket");
    /// Checkout id → its refund: at most one, and the checkout itself is never edited.
    pub const REFUNDS: Records<u64, salon_shared::api::Refund> = Records::new("refunds");
    /// (store-local day of the refund, checkout id).
    pub const REFUNDS_BY_DAY: TableDefinition<(&str, u64), ()> =
        TableDefinition::new("refunds_by_day");

    pub const DEVICES: Records<u64, DeviceRecord> = Records::new("devices");
    /// SHA-256 of a device token → device id. Tokens themselves are never stored.
    pub const DEVICE_BY_TOKEN: TableDefinition<&str, u64> = TableDefinition::new("device_by_token");
    pub const PAIRING_CODES: Records<&str, PairingRecord> = Records::new("pairing_codes");

    pub const AUDIT: Records<u64, AuditEntry> = Records::new("audit");
    /// ("entity:id", audit seq) for a record's history.
    pub const AUDIT_BY_ENTITY: TableDefinition<(&str, u64), ()> =
        TableDefinition::new("audit_by_entity");
    pub const EVENTS: Records<u64, Event> = Records::new("events");
    /// (device id, idempotency key) → the first answer.
    pub const IDEMPOTENCY: Records<(u64, &str), IdempotencyRecord> = Records::new("idempotency");
}

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
