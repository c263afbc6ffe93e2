//! Appointment reminders and change notices (APT-4): an outbox of messages, each with one
//! delivery per channel (SMTP e-mail, and a webhook an SMS/WeChat gateway receives), the
//! notification settings, and the record of each delivery attempt with its backoff. The
//! sending itself is a background job (`jobs::deliver`), outside any transaction.
//!
//! Appointment operations call [`enqueue`] and [`cancel_pending`] inside their own write
//! transaction, so a message exists exactly when the change that caused it committed.

use super::{Kind, OpError};
use crate::store::{self, Records, StoreError, Tx, tables};
use chrono::{DateTime, Duration, Utc};
use lettre::message::Mailbox;
use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every message ever queued, by id.
pub const OUTBOX: Records<u64, OutboxMessage> = Records::new("outbox");
/// (appointment id, message id): an appointment's messages, for [`cancel_pending`].
pub const OUTBOX_BY_APPOINTMENT: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("outbox_by_appointment");
/// (when the message next needs the deliverer, Unix milliseconds, message id). A message is
/// here exactly while one of its deliveries is pending, so the deliverer never scans the
/// whole outbox.
pub const OUTBOX_DUE: TableDefinition<(i64, u64), ()> = TableDefinition::new("outbox_due");

/// The meta key of the settings (JSON).
const SETTINGS_KEY: &str = "notify_settings";
const DEFAULT_LEAD_MINUTES: u32 = 60;
const LEAD_RANGE: std::ops::RangeInclusive<u32> = 5..=1440;

/// Why a message was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Reminder,
    Changed,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Webhook,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its due time or its next attempt.
    Pending,
    Sent,
    /// Every attempt failed and the deliverer gave up; a manager may retry it.
    Failed,
    /// The channel was off or the customer has no address for it.
    Skipped,
    /// The appointment moved or was cancelled before this was sent.
    Cancelled,
}

/// One channel's delivery of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub channel: Channel,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A queued message and the state of its deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OutboxMessage {
    pub id: u64,
    pub kind: MessageKind,
    pub appointment_id: u64,
    pub customer_id: u64,
    pub to_email: Option<String>,
    pub to_phone: Option<String>,
    pub subject: String,
    /// Chinese first, then English.
    pub body: String,
    /// Not sent before this time.
    pub due_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub deliveries: Vec<Delivery>,
}

impl OutboxMessage {
    /// When the deliverer next has work for this message: the earliest pending delivery's
    /// next attempt, never before the message is due. `None` when nothing is pending.
    fn due_key(&self) -> Option<i64> {
        self.deliveries
            .iter()
            .filter(|d| d.state == DeliveryState::Pending)
            .map(|d| d.next_attempt_at.max(self.due_at).timestamp_millis())
            .min()
    }
}

/// What the appointment code queues; see [`enqueue`].
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub appointment_id: u64,
    pub customer_id: u64,
    pub to_email: Option<String>,
    pub to_phone: Option<String>,
    pub subject: String,
    pub body: String,
    pub due_at: DateTime<Utc>,
}

/// How e-mail reaches the SMTP server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text: only for a relay on the LAN.
    None,
    /// Plain connection upgraded with STARTTLS (usually port 587); TLS is required.
    #[default]
    Starttls,
    /// TLS from the first byte (usually port 465).
    Implicit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// The sender: `shop@example.com` or `Salon <shop@example.com>`.
    pub from: String,
    #[serde(default)]
    pub username: Option<String>,
    /// Write-only: never returned. On PUT, leaving it out keeps the stored one and an empty
    /// string removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Read-only: whether a password is stored.
    #[serde(default)]
    pub password_set: bool,
    #[serde(default)]
    pub tls: SmtpTls,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookSettings {
    /// `http://…` (the webhook is sent without TLS: point it at a gateway on the LAN).
    pub url: String,
    /// Write-only HMAC key: when set, requests carry `X-Salon-Signature: sha256=<hex>` of
    /// the body. On PUT, leaving it out keeps the stored one and an empty string removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Read-only: whether a secret is stored.
    #[serde(default)]
    pub secret_set: bool,
}

/// The outbound channels (both off by default) and the reminder lead time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotifySettings {
    #[serde(default)]
    pub smtp: Option<SmtpSettings>,
    #[serde(default)]
    pub webhook: Option<WebhookSettings>,
    /// Minutes before an appointment its reminder is due, 5–1440; default 60.
    #[serde(default = "default_lead")]
    pub reminder_lead_minutes: u32,
}

fn default_lead() -> u32 {
    DEFAULT_LEAD_MINUTES
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            smtp: None,
            webhook: None,
            reminder_lead_minutes: DEFAULT_LEAD_MINUTES,
        }
    }
}

/// Why an outbox operation refused.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("{0}")]
    InvalidSettings(String),
    #[error("{0}")]
    BadMessage(String),
    #[error("{0}")]
    BadQuery(&'static str),
    #[error("message not found")]
    NotFound,
    #[error("this message has no failed delivery")]
    NothingToRetry,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError for NotifyError {
    fn kind(&self) -> Kind {
        match self {
            NotifyError::InvalidSettings(_) => Kind::Invalid,
            NotifyError::BadMessage(_) | NotifyError::BadQuery(_) => Kind::BadInput,
            NotifyError::NotFound => Kind::NotFound,
            NotifyError::NothingToRetry => Kind::Conflict,
            NotifyError::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        match self {
            NotifyError::InvalidSettings(_) => "invalid_settings",
            NotifyError::BadMessage(_) => "bad_message",
            NotifyError::BadQuery(_) => "bad_query",
            NotifyError::NotFound => "not_found",
            NotifyError::NothingToRetry => "nothing_to_retry",
            NotifyError::Store(e) => e.code(),
        }
    }
}

fn invalid(message: impl Into<String>) -> NotifyError {
    NotifyError::InvalidSettings(message.into())
}

/// An optional text field as given: blank means absent, for both secrets and names.
fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl NotifySettings {
    /// Checks settings sent by a manager. Secrets stay as sent (`None` = keep the stored one,
    /// `""` = remove it) until [`NotifySettings::keep_secrets_from`].
    pub fn validate(mut self) -> Result<NotifySettings, NotifyError> {
        if !LEAD_RANGE.contains(&self.reminder_lead_minutes) {
            return Err(invalid("reminder_lead_minutes must be 5–1440"));
        }
        if let Some(s) = &mut self.smtp {
            s.host = s.host.trim().to_string();
            if s.host.is_empty()
                || s.host.len() > 253
                || s.host.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(invalid("smtp.host must be a host name or address"));
            }
            if s.port == 0 {
                return Err(invalid("smtp.port must be 1–65535"));
            }
            s.from = s.from.trim().to_string();
            if s.from.len() > 320 || s.from.parse::<Mailbox>().is_err() {
                return Err(invalid("smtp.from must be an e-mail address"));
            }
            s.username = trimmed(&s.username);
            if [&s.username, &s.password]
                .iter()
                .any(|v| v.as_ref().is_some_and(|v| v.len() > 256))
            {
                return Err(invalid(
                    "smtp.username and smtp.password are at most 256 bytes",
                ));
            }
        }
        if let Some(w) = &mut self.webhook {
            w.url = w.url.trim().to_string();
            if w.url.starts_with("https://") {
                return Err(invalid(
                    "webhook.url: https is not supported yet; use an http:// gateway or relay on the LAN",
                ));
            }
            let has_host = reqwest::Url::parse(&w.url).is_ok_and(|u| u.host_str().is_some());
            if !w.url.starts_with("http://") || w.url.len() > 2048 || !has_host {
                return Err(invalid("webhook.url must be an http:// address"));
            }
            if w.secret.as_ref().is_some_and(|v| v.len() > 256) {
                return Err(invalid("webhook.secret is at most 256 bytes"));
            }
        }
        Ok(self)
    }

    /// Fills secrets left out of a PUT from the stored settings, and drops emptied ones.
    pub fn keep_secrets_from(mut self, stored: &NotifySettings) -> NotifySettings {
        if let Some(s) = &mut self.smtp {
            s.password = match &s.password {
                None => stored.smtp.as_ref().and_then(|o| o.password.clone()),
                given => trimmed(given).and(given.clone()),
            };
            s.password_set = s.password.is_some();
        }
        if let Some(w) = &mut self.webhook {
            w.secret = match &w.secret {
                None => stored.webhook.as_ref().and_then(|o| o.secret.clone()),
                given => trimmed(given).and(given.clone()),
            };
            w.secret_set = w.secret.is_some();
        }
        self
    }

    /// The settings without their secrets, as returned and audited.
    pub fn redacted(&self) -> NotifySettings {
        let mut out = self.clone();
        if let Some(s) = &mut out.smtp {
            s.password_set = s.password.take().is_some();
        }
        if let Some(w) = &mut out.webhook {
            w.secret_set = w.secret.take().is_some();
        }
        out
    }
}

fn parse_settings(raw: Option<String>) -> Result<NotifySettings, StoreError> {
    match raw {
        None => Ok(NotifySettings::default()),
        Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
            table: "meta",
            reason: format!("{SETTINGS_KEY}: {e}"),
        }),
    }
}

/// The stored settings (defaults when never set), secrets included.
pub fn settings(r: &ReadTransaction) -> Result<NotifySettings, StoreError> {
    parse_settings(store::meta_get(r, SETTINGS_KEY)?)
}

/// The same inside a write transaction, which sees the transaction's own changes.
fn settings_w(w: &WriteTransaction) -> Result<NotifySettings, StoreError> {
    let t = w.open_table(tables::META)?;
    let raw = t.get(SETTINGS_KEY)?.map(|v| v.value().to_string());
    parse_settings(raw)
}

fn lead_of(s: Result<NotifySettings, StoreError>) -> Duration {
    let minutes = s.map_or_else(
        |e| {
            // A reminder at the default time beats failing the appointment's write.
            tracing::error!("notification settings unreadable, using the default lead: {e}");
            DEFAULT_LEAD_MINUTES
        },
        |s| s.reminder_lead_minutes,
    );
    Duration::minutes(minutes.into())
}

/// How long before an appointment its reminder is due.
pub fn reminder_lead(r: &ReadTransaction) -> Duration {
    lead_of(settings(r))
}

/// [`reminder_lead`] inside a write operation.
pub fn reminder_lead_tx(tx: &Tx) -> Duration {
    lead_of(settings_w(tx.w))
}

/// Stores validated settings (secrets not sent are kept) and audits them without secrets.
/// Returns what was stored, secrets included.
pub fn save_settings(tx: &mut Tx, input: NotifySettings) -> Result<NotifySettings, StoreError> {
    let stored = settings_w(tx.w)?;
    let next = input.keep_secrets_from(&stored);
    let json = serde_json::to_string(&next).unwrap_or_default();
    store::meta_set(tx.writing(), SETTINGS_KEY, &json)?;
    tx.audit(
        "notify_settings.update",
        "notify_settings",
        "-",
        stored.redacted(),
        next.redacted(),
    )?;
    tx.event("notify_settings.updated", "-")?;
    Ok(next)
}

/// Writes a message and moves it in the due index (`before` is its previous state).
fn save(tx: &mut Tx, before: Option<&OutboxMessage>, m: &OutboxMessage) -> Result<(), StoreError> {
    tx.put(&OUTBOX, m.id, m)?;
    let mut due = tx.w.open_table(OUTBOX_DUE)?;
    if let Some(k) = before.and_then(OutboxMessage::due_key) {
        due.remove((k, m.id))?;
    }
    if let Some(k) = m.due_key() {
        due.insert((k, m.id), ())?;
    }
    Ok(())
}

fn delivery(channel: Channel, at: DateTime<Utc>, skip: Option<&str>) -> Delivery {
    Delivery {
        channel,
        state: if skip.is_some() {
            DeliveryState::Skipped
        } else {
            DeliveryState::Pending
        },
        attempts: 0,
        next_attempt_at: at,
        last_error: skip.map(str::to_string),
        sent_at: None,
    }
}

/// Queues a message inside the caller's write transaction. Each channel configured now gets
/// a pending delivery; a channel that is off, or an address the customer lacks, is skipped.
pub fn enqueue(tx: &mut Tx, m: NewMessage) -> Result<u64, NotifyError> {
    // Checked before the first write so a bad message never poisons the group commit.
    for (what, text, max) in [("subject", &m.subject, 200), ("body", &m.body, 4000)] {
        if text.trim().is_empty() || text.chars().count() > max {
            return Err(NotifyError::BadMessage(format!(
                "a message {what} must be 1–{max} characters"
            )));
        }
    }
    let s = settings_w(tx.w)?;
    let to_email = trimmed(&m.to_email);
    let to_phone = trimmed(&m.to_phone);
    let email_skip = match (&s.smtp, &to_email) {
        (None, _) => Some("e-mail is off"),
        (_, None) => Some("no e-mail address"),
        (_, Some(a)) if a.parse::<Mailbox>().is_err() => Some("invalid e-mail address"),
        _ => None,
    };
    let webhook_skip = match (&s.webhook, &to_phone) {
        (None, _) => Some("webhook is off"),
        (_, None) => Some("no phone number"),
        _ => None,
    };
    let id = tx.next_id("outbox")?;
    let msg = OutboxMessage {
        id,
        kind: m.kind,
        appointment_id: m.appointment_id,
        customer_id: m.customer_id,
        to_email,
        to_phone,
        subject: m.subject,
        body: m.body,
        due_at: m.due_at,
        created_at: tx.now,
        deliveries: vec![
            delivery(Channel::Email, m.due_at, email_skip),
            delivery(Channel::Webhook, m.due_at, webhook_skip),
        ],
    };
    save(tx, None, &msg)?;
    tx.w.open_table(OUTBOX_BY_APPOINTMENT)
        .map_err(StoreError::from)?
        .insert((m.appointment_id, id), ())
        .map_err(StoreError::from)?;
    Ok(id)
}

/// Cancels the pending deliveries of an appointment's messages of `kind`, e.g. its reminder
/// when it moves or is cancelled. Deliveries already sent or given up are left as they are.
pub fn cancel_pending(
    tx: &mut Tx,
    appointment_id: u64,
    kind: MessageKind,
) -> Result<(), StoreError> {
    let ids = crate::store::ids_under_id(tx.w, OUTBOX_BY_APPOINTMENT, appointment_id)?;
    for id in ids {
        let Some(before) = tx.get(&OUTBOX, id)? else {
            continue;
        };
        if before.kind != kind || before.due_key().is_none() {
            continue;
        }
        let mut after = before.clone();
        for d in &mut after.deliveries {
            if d.state == DeliveryState::Pending {
                d.state = DeliveryState::Cancelled;
            }
        }
        save(tx, Some(&before), &after)?;
    }
    Ok(())
}

/// Erasure (CUS-6): strips the addresses and text of every message about these
/// appointments and withdraws what was not yet sent.
pub fn forget(tx: &mut Tx, appointment_ids: &[u64]) -> Result<(), StoreError> {
    for &appointment_id in appointment_ids {
        let ids = crate::store::ids_under_id(tx.w, OUTBOX_BY_APPOINTMENT, appointment_id)?;
        for id in ids {
            let Some(before) = tx.get(&OUTBOX, id)? else {
                continue;
            };
            let mut after = before.clone();
            after.to_email = None;
            after.to_phone = None;
            after.body = "已删除 / erased".into();
            for d in &mut after.deliveries {
                if d.state == DeliveryState::Pending {
                    d.state = DeliveryState::Cancelled;
                }
            }
            save(tx, Some(&before), &after)?;
        }
    }
    Ok(())
}

/// Puts a message's failed deliveries back to pending with a fresh set of attempts.
pub fn retry(tx: &mut Tx, id: u64) -> Result<OutboxMessage, NotifyError> {
    let before = tx.get(&OUTBOX, id)?.ok_or(NotifyError::NotFound)?;
    if !before
        .deliveries
        .iter()
        .any(|d| d.state == DeliveryState::Failed)
    {
        return Err(NotifyError::NothingToRetry);
    }
    let mut after = before.clone();
    for d in &mut after.deliveries {
        if d.state == DeliveryState::Failed {
            d.state = DeliveryState::Pending;
            d.attempts = 0;
            d.next_attempt_at = tx.now;
        }
    }
    save(tx, Some(&before), &after)?;
    tx.audit(
        "outbox.retry",
        "outbox",
        id,
        &before.deliveries,
        &after.deliveries,
    )?;
    tx.event("outbox.updated", id)?;
    Ok(after)
}

/// Messages newest first, those with a delivery in `state` only if given; `before_id` pages.
pub fn list(
    r: &ReadTransaction,
    state: Option<DeliveryState>,
    before_id: Option<u64>,
    limit: usize,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let t = match r.open_table(OUTBOX.definition()) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for item in t.range(..before_id.unwrap_or(u64::MAX))?.rev() {
        let (_, v) = item?;
        let m = OUTBOX.decode(v.value())?;
        if state.is_none_or(|s| m.deliveries.iter().any(|d| d.state == s)) {
            out.push(m);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// The delay after failed attempt `n` is `base · 2ⁿ⁻¹`, at most `max`; after `attempts`
/// failures the delivery is given up (Failed).
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: std::time::Duration,
    pub max: std::time::Duration,
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: std::time::Duration::from_secs(30),
            max: std::time::Duration::from_secs(3600),
            attempts: 8,
        }
    }
}

impl Backoff {
    /// The wait after the `attempt`-th failure (1-based).
    pub fn delay(&self, attempt: u32) -> std::time::Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }
}

/// The result of one send.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent,
    Failed(String),
    /// The channel was turned off after the message was queued.
    Skipped(&'static str),
}

/// Records the outcomes of one pass over message `id`. A delivery no longer pending was
/// cancelled while it was being sent and keeps its new state.
pub fn record(
    tx: &mut Tx,
    id: u64,
    outcomes: &[(Channel, Outcome)],
    backoff: Backoff,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(before) = tx.get(&OUTBOX, id)? else {
        return Ok(());
    };
    let mut after = before.clone();
    for (channel, outcome) in outcomes {
        let Some(d) = after
            .deliveries
            .iter_mut()
            .find(|d| d.channel == *channel && d.state == DeliveryState::Pending)
        else {
            continue;
        };
        match outcome {
            Outcome::Sent => {
                d.attempts += 1;
                d.state = DeliveryState::Sent;
                d.sent_at = Some(now);
                d.last_error = None;
            }
            Outcome::Failed(e) => {
                d.attempts += 1;
                d.last_error = Some(e.clone());
                if d.attempts >= backoff.attempts {
                    d.state = DeliveryState::Failed;
                } else {
                    let wait =
                        Duration::from_std(backoff.delay(d.attempts)).unwrap_or(Duration::hours(1));
                    d.next_attempt_at = now + wait;
                }
            }
            Outcome::Skipped(why) => {
                d.state = DeliveryState::Skipped;
                d.last_error = Some((*why).to_string());
            }
        }
    }
    if after != before {
        save(tx, Some(&before), &after)?;
    }
    Ok(())
}
