//! Wire types of the HTTP API (`/api/v1`). Domain records that are safe to send as they are
//! (customers to staff devices, services, cards) are re-used; everything else is defined here.

use crate::customer::{Gender, NewCustomer};
use crate::staff::StaffView;
use crate::{CardNo, Customer, CustomerId, DeviceId, MemberCard, Role, Source, StaffId, Tier};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

mod sales;
pub use sales::*;

pub use crate::customer::CustomerPatch;
pub use crate::service::ServiceInput;
pub use crate::staff::StaffInput;

/// The header a retried write carries so the server performs it once.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// The header carrying a staff member's sign-in session on a shared device.
pub const STAFF_SESSION: &str = "X-Staff-Session";

/// The one error shape: `{"error":{"code":"phone_invalid","message":"…"}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    /// Extra facts for some errors, e.g. `{"nearest_slots": [...]}` for a booking conflict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub store_name: String,
    /// The server's software version.
    pub version: String,
    pub api_version: String,
    /// A stable id of this store server, also advertised over mDNS.
    pub server_id: String,
    /// The store's offset from UTC in minutes: devices show times in the store's time.
    #[serde(default)]
    pub utc_offset_minutes: i32,
}

// ---- pairing, devices, staff sessions ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairingCodeRequest {
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PairingCode {
    /// Six digits the new device types in.
    pub code: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairRequest {
    pub code: String,
    /// How the device will be listed, e.g. "Front door kiosk".
    pub device_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PairResponse {
    /// The bearer token; shown once, stored by the server only as a hash.
    pub token: String,
    pub device: DeviceView,
    pub store_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceView {
    pub id: DeviceId,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub staff_id: StaffId,
    pub pin: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignInResponse {
    /// Sent back in the `X-Staff-Session` header on this device.
    pub session: String,
    pub staff: StaffView,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub device: DeviceView,
    pub staff: Option<StaffView>,
}

// ---- customers ----

/// A customer as listed in search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomerSummary {
    pub id: CustomerId,
    pub name: String,
    pub phone: Option<String>,
    pub tier: Tier,
    pub tags: Vec<String>,
    pub card: Option<CardNo>,
    pub last_visit_at: Option<DateTime<Utc>>,
    /// Allergies are shown even in a list, so nobody misses them.
    pub allergies: Vec<String>,
}

impl From<&Customer> for CustomerSummary {
    fn from(c: &Customer) -> Self {
        CustomerSummary {
            id: c.id,
            name: c.name.clone(),
            phone: c.phone.as_ref().map(|p| p.to_string()),
            tier: c.tier,
            tags: c.tags.iter().cloned().collect(),
            card: c.card.clone(),
            last_visit_at: c.last_visit_at,
            allergies: c.care.allergies.clone(),
        }
    }
}

/// Search and filters for the customer list (CUS-4). All given filters must match.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Phone number, last 4 digits, name (or its pinyin / initials) or card number.
    pub q: Option<String>,
    pub tag: Option<String>,
    pub tier: Option<Tier>,
    pub source: Option<Source>,
    /// 1–12.
    pub birthday_month: Option<u32>,
    /// Last visit on or after this date.
    pub visited_since: Option<NaiveDate>,
    /// Last visit before this date, or never.
    pub not_visited_since: Option<NaiveDate>,
    pub min_spend: Option<Decimal>,
    /// At most 200; default 50.
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerPage {
    pub items: Vec<CustomerSummary>,
    /// How many customers matched in all.
    pub total: usize,
}

/// A customer with their cards, as the profile screen shows them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerDetail {
    pub customer: Customer,
    pub cards: Vec<MemberCard>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The duplicate, which is folded into the customer in the path and then marked merged.
    pub duplicate: CustomerId,
}

/// Everything the store holds about one customer (CUS-6).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerExport {
    pub exported_at: DateTime<Utc>,
    pub customer: Customer,
    pub cards: Vec<MemberCard>,
    pub history: Vec<AuditEntry>,
    /// Their ratings of their visits, by day, then ticket (comments blank once erased).
    /// Defaulted so an export saved before ratings were included still reads.
    #[serde(default)]
    pub feedback: Vec<Feedback>,
    /// Their service records (with the list of their photos, each at its own address).
    #[serde(default)]
    pub visits: Vec<Visit>,
}

// ---- kiosk ----

/// How a customer at the kiosk identifies: exactly one of phone or card.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KioskIdentify {
    pub phone: Option<String>,
    pub card: Option<String>,
}

/// The registration form on the kiosk: no free text beyond the name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KioskRegister {
    pub name: String,
    pub phone: String,
    #[serde(default)]
    pub gender: Gender,
    pub birthday: Option<NaiveDate>,
    pub consent: bool,
}

impl From<KioskRegister> for NewCustomer {
    fn from(r: KioskRegister) -> Self {
        NewCustomer {
            name: r.name,
            phone: r.phone,
            gender: r.gender,
            birthday: r.birthday,
            consent: r.consent,
            source: Source::WalkIn,
            ..Default::default()
        }
    }
}

/// What a kiosk may know about the customer at hand: enough to greet them, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KioskCustomer {
    pub id: CustomerId,
    /// "王女士" — how the screen greets them.
    pub greeting: String,
    pub masked_phone: String,
    pub tier: Tier,
    /// Today's booking not yet checked in: the kiosk checks them in against it (CHK-4).
    /// Filled by identify only.
    #[serde(default)]
    pub appointment: Option<KioskAppointment>,
    /// Today's finished visit still waiting for the customer's rating (CHK-6).
    /// Filled by identify only.
    #[serde(default)]
    pub to_rate: Option<KioskVisit>,
}

impl From<&Customer> for KioskCustomer {
    fn from(c: &Customer) -> Self {
        KioskCustomer {
            id: c.id,
            greeting: c.greeting_name(),
            masked_phone: c.phone.as_ref().map(|p| p.masked()).unwrap_or_default(),
            tier: c.tier,
            appointment: None,
            to_rate: None,
        }
    }
}

/// The customer's booking for today, as the kiosk confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KioskAppointment {
    pub id: u64,
    pub start: DateTime<Utc>,
    /// The start as the store's clock shows it, e.g. "14:30" (the kiosk's own clock may
    /// run in another zone).
    pub time: String,
    pub stylist_name: String,
    pub services: Vec<ServiceId>,
}

/// A finished visit the kiosk asks the customer to rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KioskVisit {
    pub ticket_id: u64,
    /// The ticket number they were called by, e.g. "A012".
    pub number: String,
    pub stylist_name: Option<String>,
    pub services: Vec<ServiceId>,
}

// ---- feedback (CHK-6, FDB-1) ----

/// A customer's ratings of one visit: each score 1–5, `recommend` 0–10 (the NPS question
/// "how likely are you to recommend us"). One rating per visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    /// The finished queue ticket of the visit.
    pub ticket_id: u64,
    pub overall: u8,
    pub service: u8,
    pub stylist: u8,
    pub environment: u8,
    pub recommend: u8,
    /// Optional, at most 500 characters.
    #[serde(default)]
    pub comment: String,
    /// Required from a kiosk: the phone number or card the customer gave there, which must
    /// be the visit's customer's (a kiosk rates only the visit of the customer at hand).
    #[serde(default)]
    pub by: Option<KioskIdentify>,
}

impl FeedbackInput {
    /// The same input with every score checked and the comment trimmed, or the first fault.
    /// Shared so a kiosk can check before sending what the server will refuse.
    pub fn validate(&self) -> Result<FeedbackInput, crate::DomainError> {
        use crate::feedback::{comment, recommend, score};
        Ok(FeedbackInput {
            ticket_id: self.ticket_id,
            overall: score("overall", self.overall)?,
            service: score("service", self.service)?,
            stylist: score("stylist", self.stylist)?,
            environment: score("environment", self.environment)?,
            recommend: recommend(self.recommend)?,
            comment: comment(&self.comment)?,
            by: self.by.clone(),
        })
    }
}

/// A stored rating, tied to the visit, its customer, stylist and services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Feedback {
    pub ticket_id: u64,
    pub day: NaiveDate,
    pub customer_id: CustomerId,
    pub stylist: Option<StaffId>,
    pub services: Vec<ServiceId>,
    pub overall: u8,
    pub service: u8,
    pub stylist_score: u8,
    pub environment: u8,
    pub recommend: u8,
    pub comment: String,
    pub at: DateTime<Utc>,
}

impl Feedback {
    pub fn answers(&self) -> crate::feedback::Answers {
        [
            self.overall,
            self.service,
            self.stylist_score,
            self.environment,
            self.recommend,
        ]
    }
}

/// The ratings of a period rolled up for the store, per stylist and per service (FDB-1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatingsReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub store: crate::feedback::Scores,
    pub by_stylist: Vec<NamedScores>,
    pub by_service: Vec<NamedScores>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NamedScores {
    pub id: u64,
    pub name: String,
    pub scores: crate::feedback::Scores,
}

// ---- cards ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueCard {
    pub customer_id: CustomerId,
    /// The number printed on the card; the server picks one when absent.
    pub number: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceCard {
    /// The new card's number; the server picks one when absent.
    pub number: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CardLookup {
    pub card: MemberCard,
    pub customer: CustomerSummary,
}

// ---- services and staff ----

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// Include retired services (for history screens).
    #[serde(default)]
    pub include_retired: bool,
}

// ---- audit and events ----

/// One audited write (SEC-3). Append-only: no route edits or deletes these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub device_id: Option<DeviceId>,
    pub device_name: String,
    pub staff_id: Option<StaffId>,
    /// e.g. "customer.update".
    pub action: String,
    /// e.g. "customer".
    pub entity: String,
    pub entity_id: String,
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// Prefix of the action, e.g. "customer." for every customer change.
    pub action: Option<String>,
    pub device_id: Option<u64>,
    pub staff_id: Option<u64>,
    /// Only entries with a smaller sequence number (for paging backwards).
    pub before_seq: Option<u64>,
    /// At most 500; default 100.
    pub limit: Option<usize>,
}

/// A change pushed to every device. Devices re-fetch what they show; the event carries
/// no personal data, so every role may receive every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// Store-wide sequence number, also the SSE event id.
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// e.g. "customer.created", "service.updated".
    pub kind: String,
    pub entity_id: String,
}

/// The SSE event name telling a device it missed events and must reload its state.
pub const RESYNC: &str = "resync";
/// The kind of the first event on a stream opened without `Last-Event-ID`: its sequence
/// number is where the stream starts, for the device to resume from after a drop.
pub const READY: &str = "stream.ready";

// ---- check-in, queue, rotation (QUE, CHK-3/4/8) ----

use crate::ServiceId;
pub use crate::queue::{QueueAction, Ticket, TicketSource, TicketState, WaitRange};
pub use crate::rotation::{Adjustment, RotationEntry};
pub use crate::schedule::{Appointment, AppointmentState, DayHours, Roster, ShiftException};

/// Who is checking in: exactly one of an id (from the kiosk's identify), a phone number or a
/// card number, or `register` for a new customer registered on the spot.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInCustomer {
    pub id: Option<CustomerId>,
    pub phone: Option<String>,
    pub card: Option<String>,
    pub register: Option<KioskRegister>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    pub customer: CheckInCustomer,
    /// Ignored when the customer has an appointment today: they are checked in against it.
    #[serde(default)]
    pub services: Vec<ServiceId>,
    /// The stylist asked for (点钟); absent means next available (轮钟).
    pub stylist: Option<StaffId>,
}

/// What the customer is shown after checking in (CHK-5).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckInResponse {
    pub ticket: Ticket,
    /// 1 means next in line for their stylist.
    pub position: u32,
    pub stylist_name: Option<String>,
    pub wait: WaitRange,
    pub customer: KioskCustomer,
    /// Set when they were checked in against today's appointment (CHK-4).
    pub appointment_id: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServicesParam {
    /// Comma-separated service ids, e.g. `1,4`.
    pub services: Option<String>,
}

/// One stylist's wait for the chosen services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StylistQuote {
    pub stylist: StaffId,
    pub name: String,
    pub level: crate::StaffLevel,
    pub wait: WaitRange,
}

/// The check-in screen's choice: next available and every eligible stylist, side by side.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuoteResponse {
    pub next_available: Option<StylistQuote>,
    pub stylists: Vec<StylistQuote>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only this stylist's tickets.
    pub stylist: Option<u64>,
    /// Include finished, no-show and left tickets of today.
    #[serde(default)]
    pub include_closed: bool,
}

/// A ticket as the queue screens list it: masked name for shared screens.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueueEntry {
    pub ticket: Ticket,
    /// Position among the stylist's waiting tickets (1 = next); 0 once called or later.
    pub position: u32,
    /// "王女士" — safe on any screen.
    pub greeting: String,
    pub stylist_name: Option<String>,
    /// The visit has been paid (and not refunded).
    #[serde(default)]
    pub paid: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueueView {
    pub day: NaiveDate,
    pub entries: Vec<QueueEntry>,
    pub waiting: usize,
    pub in_service: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reassign {
    pub stylist: StaffId,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reorder {
    /// The new place among the stylist's waiting tickets, 1 = next.
    pub position: u32,
}

/// The rotation board in turn order (QUE-5).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotationView {
    pub entries: Vec<RotationLine>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RotationLine {
    pub turn: u32,
    pub name: String,
    pub entry: RotationEntry,
}

/// A customer who saw a quote and walked away (CHK-8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Balk {
    pub id: u64,
    pub at: DateTime<Utc>,
    pub day: NaiveDate,
    pub quoted: WaitRange,
    pub stylist: Option<StaffId>,
    pub services: Vec<ServiceId>,
    pub customer_id: Option<CustomerId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BalkRequest {
    pub quoted: WaitRange,
    pub stylist: Option<StaffId>,
    #[serde(default)]
    pub services: Vec<ServiceId>,
    pub customer_id: Option<CustomerId>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First store-local day, inclusive (default: 30 days ago).
    pub from: Option<NaiveDate>,
    /// Last store-local day, inclusive (default: today).
    pub to: Option<NaiveDate>,
}

/// How honest the waits were (QUE-2) and what they cost (CHK-8).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WaitReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub overall: crate::estimate::Accuracy,
    pub by_day: Vec<DayAccuracy>,
    pub by_stylist: Vec<StylistAccuracy>,
    pub balks: usize,
    /// Mean of the balked quotes' high ends, in minutes.
    pub balk_mean_quote_high: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DayAccuracy {
    pub day: NaiveDate,
    pub accuracy: crate::estimate::Accuracy,
    pub balks: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StylistAccuracy {
    pub stylist: StaffId,
    pub name: String,
    pub accuracy: crate::estimate::Accuracy,
}

// ---- appointments (APT) ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppointment {
    pub customer_id: CustomerId,
    pub stylist_id: StaffId,
    pub services: Vec<ServiceId>,
    pub start: DateTime<Utc>,
    #[serde(default)]
    pub note: String,
}

/// A move or change: absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentPatch {
    pub stylist_id: Option<StaffId>,
    pub services: Option<Vec<ServiceId>>,
    pub start: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AppointmentQuery {
    /// Store-local day.
    pub day: Option<NaiveDate>,
    pub stylist: Option<u64>,
    pub customer: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    pub day: NaiveDate,
    /// Comma-separated service ids.
    pub services: String,
    pub stylist: Option<u64>,
}

/// Free start times for the services on a day, per stylist (APT-3).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Availability {
    pub day: NaiveDate,
    pub minutes: u32,
    pub stylists: Vec<StylistSlots>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StylistSlots {
    pub stylist: StaffId,
    pub name: String,
    pub slots: Vec<DateTime<Utc>>,
}

/// Appointment settings: how late a customer may be before the booking counts as a no-show.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentSettings {
    pub grace_minutes: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoShowReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Appointments whose time has passed (not cancelled).
    pub due: usize,
    pub no_shows: usize,
    pub rate: f64,
}
