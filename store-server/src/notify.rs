//! Appointment reminders and change notices (APT-4): an outbox of messages, each with one
//! delivery per channel (SMTP e-mail, and a webhook an SMS/WeChat gateway receives), sent
//! by a background deliverer outside any transaction and retried with backoff.
//!
//! Appointment operations call [`enqueue`] and [`cancel_pending`] inside their own write
//! transaction, so a message exists exactly when the change that caused it committed.
//! Delivery is at least once: a crash between sending and recording sends again, so the
//! webhook carries `X-Salon-Message-Id` for the receiver to drop repeats.
//!
//! The webhook is plain HTTP (a gateway or relay on the LAN): reqwest's rustls support needs
//! aws-lc-rs or a process-wide crypto provider, which would break every other reqwest client
//! in the workspace. E-mail supports plain, STARTTLS and implicit TLS (rustls with ring).

use crate::AppState;
use crate::error::ApiError;
use crate::store::{self, Records, StoreError, tables};
use crate::writer::{Actor, Reply, Tx};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use redb::{ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::sync::broadcast::error::RecvError;
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
/// Longest stored error text: enough to diagnose, small enough to keep records small.
const MAX_ERROR_CHARS: usize = 500;

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

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_settings",
        message,
    )
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
    pub fn validate(mut self) -> Result<NotifySettings, ApiError> {
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
pub fn save_settings(tx: &mut Tx, input: NotifySettings) -> Result<NotifySettings, ApiError> {
    let stored = settings_w(tx.w)?;
    let next = input.keep_secrets_from(&stored);
    let json = serde_json::to_string(&next).map_err(|e| ApiError::internal(&e.to_string()))?;
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
fn save(tx: &mut Tx, before: Option<&OutboxMessage>, m: &OutboxMessage) -> Result<(), ApiError> {
    tx.put(&OUTBOX, m.id, m)?;
    let mut due = tx.w.open_table(OUTBOX_DUE).map_err(StoreError::from)?;
    if let Some(k) = before.and_then(OutboxMessage::due_key) {
        due.remove((k, m.id)).map_err(StoreError::from)?;
    }
    if let Some(k) = m.due_key() {
        due.insert((k, m.id), ()).map_err(StoreError::from)?;
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
pub fn enqueue(tx: &mut Tx, m: NewMessage) -> Result<u64, ApiError> {
    // Checked before the first write so a bad message never poisons the group commit.
    for (what, text, max) in [("subject", &m.subject, 200), ("body", &m.body, 4000)] {
        if text.trim().is_empty() || text.chars().count() > max {
            return Err(ApiError::bad_request(
                "bad_message",
                format!("a message {what} must be 1–{max} characters"),
            ));
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
pub fn cancel_pending(tx: &mut Tx, appointment_id: u64, kind: MessageKind) -> Result<(), ApiError> {
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
pub fn forget(tx: &mut Tx, appointment_ids: &[u64]) -> Result<(), ApiError> {
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
pub fn retry(tx: &mut Tx, id: u64) -> Result<OutboxMessage, ApiError> {
    let before = tx
        .get(&OUTBOX, id)?
        .ok_or_else(|| ApiError::not_found("message"))?;
    if !before
        .deliveries
        .iter()
        .any(|d| d.state == DeliveryState::Failed)
    {
        return Err(ApiError::conflict(
            "nothing_to_retry",
            "this message has no failed delivery",
        ));
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

/// How the deliverer works; the default is the production one, tests shorten the times.
#[derive(Debug, Clone, Copy)]
pub struct DelivererConfig {
    /// How often the due index is checked (also after every committed write with an event).
    pub poll: std::time::Duration,
    /// The longest one send may take, per channel.
    pub timeout: std::time::Duration,
    pub backoff: Backoff,
    /// The most messages sent in one pass.
    pub batch: usize,
}

impl Default for DelivererConfig {
    fn default() -> Self {
        DelivererConfig {
            poll: std::time::Duration::from_secs(1),
            timeout: std::time::Duration::from_secs(10),
            backoff: Backoff::default(),
            batch: 16,
        }
    }
}

/// The result of one send.
#[derive(Debug, Clone)]
enum Outcome {
    Sent,
    Failed(String),
    /// The channel was turned off after the message was queued.
    Skipped(&'static str),
}

/// The fields of a message a webhook receives (its deliveries are the server's business).
#[derive(Serialize)]
struct WebhookPayload<'a> {
    id: u64,
    kind: MessageKind,
    appointment_id: u64,
    customer_id: u64,
    to_email: &'a Option<String>,
    to_phone: &'a Option<String>,
    subject: &'a str,
    body: &'a str,
    due_at: DateTime<Utc>,
}

/// `hex(HMAC-SHA256(secret, body))`, as sent in `X-Salon-Signature: sha256=…`.
pub fn signature(secret: &str, body: &[u8]) -> Result<String, String> {
    // HMAC takes keys of any length, so this cannot fail in practice.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|e| e.to_string())?;
    mac.update(body);
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// An error with its causes, which reqwest and lettre keep in `source()`. A cause whose
/// text the message already includes is not repeated.
fn describe(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cur = c.source();
    }
    s.chars().take(MAX_ERROR_CHARS).collect()
}

/// Sends due deliveries and records their outcomes; see [`run_deliverer`].
pub struct Deliverer {
    state: AppState,
    cfg: DelivererConfig,
    http: reqwest::Client,
}

impl Deliverer {
    pub fn new(state: AppState, cfg: DelivererConfig) -> Result<Deliverer, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            // A webhook answers, it does not send us elsewhere; the target is on the LAN.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| ApiError::internal(&describe(&e)))?;
        Ok(Deliverer { state, cfg, http })
    }

    /// Delivers until the server stops: every `poll`, and whenever a write commits.
    pub async fn run(self) {
        let mut stopping = self.state.stopping.clone();
        let mut events = self.state.writer.events.subscribe();
        loop {
            if *stopping.borrow() {
                return;
            }
            let busy = match self.deliver_due(Utc::now()).await {
                Ok(n) => n >= self.cfg.batch,
                Err(e) => {
                    tracing::warn!("outbox delivery pass failed: {}", e.message);
                    false
                }
            };
            if busy {
                // More is due than one pass takes: go on without waiting.
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.cfg.poll) => {}
                r = events.recv() => if let Err(RecvError::Closed) = r { return },
                r = stopping.changed() => if r.is_err() { return },
            }
        }
    }

    /// One pass at time `now`: sends every delivery due by then (at most `batch` messages)
    /// and records the outcomes. Returns how many messages were handled.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<usize, ApiError> {
        let (settings, due) = {
            let r = self.state.db.begin_read().map_err(StoreError::from)?;
            (settings(&r)?, self.due_messages(&r, now)?)
        };
        let n = due.len();
        let results = futures_util::future::join_all(
            due.into_iter().map(|m| self.deliver(&settings, m, now)),
        )
        .await;
        results.into_iter().collect::<Result<Vec<()>, ApiError>>()?;
        Ok(n)
    }

    fn due_messages(
        &self,
        r: &ReadTransaction,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let t = match r.open_table(OUTBOX_DUE) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for item in t
            .range(..=(now.timestamp_millis(), u64::MAX))?
            .take(self.cfg.batch)
        {
            let id = item?.0.value().1;
            out.extend(OUTBOX.get(r, id)?);
        }
        Ok(out)
    }

    /// Sends one message's due deliveries, outside any transaction, then records them.
    async fn deliver(
        &self,
        s: &NotifySettings,
        m: OutboxMessage,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let mut outcomes = Vec::new();
        for d in &m.deliveries {
            if d.state != DeliveryState::Pending || d.next_attempt_at > now || m.due_at > now {
                continue;
            }
            let outcome = match (d.channel, &s.smtp, &s.webhook) {
                (Channel::Email, Some(smtp), _) => self.bounded(self.send_email(smtp, &m)).await,
                (Channel::Webhook, _, Some(hook)) => {
                    self.bounded(self.send_webhook(hook, &m)).await
                }
                (Channel::Email, None, _) => Outcome::Skipped("e-mail was turned off"),
                (Channel::Webhook, _, None) => Outcome::Skipped("webhook was turned off"),
            };
            if let Outcome::Failed(e) = &outcome {
                tracing::warn!("outbox message {} by {:?} failed: {e}", m.id, d.channel);
            }
            outcomes.push((d.channel, outcome));
        }
        if outcomes.is_empty() {
            return Ok(());
        }
        let (id, backoff) = (m.id, self.cfg.backoff);
        self.state
            .writer
            .write(Actor::system("outbox"), None, move |tx| {
                record(tx, id, &outcomes, backoff, now)?;
                Ok(Reply::ok(StatusCode::OK, &()))
            })
            .await?;
        Ok(())
    }

    /// Runs a send with the configured time limit.
    async fn bounded(&self, send: impl Future<Output = Result<(), String>>) -> Outcome {
        match tokio::time::timeout(self.cfg.timeout, send).await {
            Ok(Ok(())) => Outcome::Sent,
            Ok(Err(e)) => Outcome::Failed(e),
            Err(_) => Outcome::Failed("timed out".into()),
        }
    }

    async fn send_email(&self, s: &SmtpSettings, m: &OutboxMessage) -> Result<(), String> {
        let to = m
            .to_email
            .as_deref()
            .ok_or("no e-mail address")?
            .parse::<Mailbox>()
            .map_err(|e| describe(&e))?;
        let from = s.from.parse::<Mailbox>().map_err(|e| describe(&e))?;
        let email = Message::builder()
            .from(from)
            .to(to)
            .subject(m.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(m.body.clone())
            .map_err(|e| describe(&e))?;
        let builder = match s.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| describe(&e))?,
            SmtpTls::Implicit => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(|e| describe(&e))?
            }
        };
        let mut builder = builder.port(s.port).timeout(Some(self.cfg.timeout));
        if let Some(user) = &s.username {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                s.password.clone().unwrap_or_default(),
            ));
        }
        builder
            .build()
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| describe(&e))
    }

    async fn send_webhook(&self, w: &WebhookSettings, m: &OutboxMessage) -> Result<(), String> {
        let body = serde_json::to_vec(&WebhookPayload {
            id: m.id,
            kind: m.kind,
            appointment_id: m.appointment_id,
            customer_id: m.customer_id,
            to_email: &m.to_email,
            to_phone: &m.to_phone,
            subject: &m.subject,
            body: &m.body,
            due_at: m.due_at,
        })
        .map_err(|e| e.to_string())?;
        let mut req = self
            .http
            .post(&w.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Salon-Message-Id", m.id.to_string());
        if let Some(secret) = &w.secret {
            req = req.header(
                "X-Salon-Signature",
                format!("sha256={}", signature(secret, &body)?),
            );
        }
        let resp = req.body(body).send().await.map_err(|e| describe(&e))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(format!("the webhook answered HTTP {}", resp.status()))
        }
    }
}

/// Records the outcomes of one pass over message `id`. A delivery no longer pending was
/// cancelled while it was being sent and keeps its new state.
fn record(
    tx: &mut Tx,
    id: u64,
    outcomes: &[(Channel, Outcome)],
    backoff: Backoff,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
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

/// The deliverer with the production configuration, until the server stops. Spawn it once.
pub async fn run_deliverer(state: AppState) {
    match Deliverer::new(state, DelivererConfig::default()) {
        Ok(d) => d.run().await,
        Err(e) => tracing::error!("the outbox deliverer cannot start: {}", e.message),
    }
}
