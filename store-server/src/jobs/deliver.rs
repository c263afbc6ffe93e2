//! The outbox deliverer: sends due reminders and notices by SMTP e-mail and by webhook,
//! outside any transaction, then records each attempt through `ops::notify::record`, which
//! schedules the retries. Delivery is at least once: a crash between sending and recording
//! sends again, so the webhook carries `X-Salon-Message-Id` for the receiver to drop repeats.
//!
//! The webhook is plain HTTP (a gateway or relay on the LAN): reqwest's rustls support needs
//! aws-lc-rs or a process-wide crypto provider, which would break every other reqwest client
//! in the workspace. E-mail supports plain, STARTTLS and implicit TLS (rustls with ring).

use crate::AppState;
use crate::ops::notify::{
    self, Backoff, Channel, DeliveryState, MessageKind, NotifySettings, OUTBOX, OUTBOX_DUE,
    OutboxMessage, Outcome, SmtpSettings, SmtpTls, WebhookSettings,
};
use crate::store::{Actor, StoreError, WriteError};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use redb::{ReadTransaction, ReadableDatabase};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::broadcast::error::RecvError;

/// Longest stored error text: enough to diagnose, small enough to keep records small.
const MAX_ERROR_CHARS: usize = 500;

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
    pub fn new(state: AppState, cfg: DelivererConfig) -> Result<Deliverer, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            // A webhook answers, it does not send us elsewhere; the target is on the LAN.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()?;
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
                    tracing::warn!("outbox delivery pass failed: {e}");
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
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<usize, WriteError<StoreError>> {
        let (settings, due) = self.read_due(now).map_err(WriteError::Store)?;
        let n = due.len();
        let results = futures_util::future::join_all(
            due.into_iter().map(|m| self.deliver(&settings, m, now)),
        )
        .await;
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
        Ok(n)
    }

    fn read_due(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(NotifySettings, Vec<OutboxMessage>), StoreError> {
        let r = self.state.db.begin_read()?;
        Ok((notify::settings(&r)?, self.due_messages(&r, now)?))
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
    ) -> Result<(), WriteError<StoreError>> {
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
                notify::record(tx, id, &outcomes, backoff, now)
            })
            .await
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

/// The deliverer with the production configuration, until the server stops. Spawn it once.
pub async fn run_deliverer(state: AppState) {
    match Deliverer::new(state, DelivererConfig::default()) {
        Ok(d) => d.run().await,
        Err(e) => tracing::error!("the outbox deliverer cannot start: {}", describe(&e)),
    }
}
