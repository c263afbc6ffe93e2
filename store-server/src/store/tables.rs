//! Every table of the store, in one place.
use super::Records;
use super::records::{DeviceRecord, PairingRecord};
use super::writer::IdempotencyRecord;
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
pub const CUSTOMER_BY_PHONE: TableDefinition<&str, u64> = TableDefinition::new("customer_by_phone");
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
pub const TICKETS_BY_DAY: TableDefinition<(&str, u64), ()> = TableDefinition::new("tickets_by_day");
/// (store-local day, ticket id) of tickets still open: what a check-in must read.
pub const TICKETS_OPEN: TableDefinition<(&str, u64), ()> = TableDefinition::new("tickets_open");
/// (day, ticket) → (stylist or 0, quoted low, quoted high, minutes waited), for every
/// started ticket: what the wait report reads, a fixed-size row instead of a ticket.
pub const WAIT_SAMPLES: TableDefinition<(&str, u64), (u64, u32, u32, u32)> =
    TableDefinition::new("wait_samples");
/// (store-local day, stylist id) → their walk-in tally, for the rotation board.
pub const WALK_INS: Records<(&str, u64), salon_shared::planner::WalkIns> = Records::new("walk_ins");
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
pub const WALLETS: Records<u64, salon_shared::ledger::Wallet> = Records::new("wallets");
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
pub const COUPON_DEFS: Records<u64, salon_shared::coupon::CouponDef> = Records::new("coupon_defs");
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
pub const REFUNDS_BY_DAY: TableDefinition<(&str, u64), ()> = TableDefinition::new("refunds_by_day");

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
