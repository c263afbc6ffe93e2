//! Devices, pairing and staff sessions (SEC-1/2): who is calling, and may they.

use crate::AppState;
use crate::error::ApiError;
use crate::store::tables;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use redb::ReadableDatabase;
use salon_shared::api::{DeviceView, IDEMPOTENCY_KEY, STAFF_SESSION};
use salon_shared::auth::allows;
use salon_shared::staff::StaffView;
use salon_shared::{Action, DeviceId, Role, StaffId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a pairing code is valid.
pub const PAIRING_TTL: Duration = Duration::minutes(10);
/// A staff session ends after this long without use (shared tablets).
pub const SESSION_IDLE: Duration = Duration::minutes(15);

/// A paired device as stored: the view plus the hash of its token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub view: DeviceView,
    pub token_hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairingRecord {
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    pub created_by: Option<DeviceId>,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh random secret, hex encoded.
pub fn random_secret(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill(&mut b[..]);
    hex::encode(b)
}

/// A fresh six-digit pairing code that no other device's code still holds.
pub fn unused_pairing_code(tx: &crate::writer::Tx) -> Result<String, ApiError> {
    loop {
        let c = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        if tx
            .get(&tables::PAIRING_CODES, c.as_str())?
            .is_none_or(|p| p.expires_at < tx.now)
        {
            return Ok(c);
        }
    }
}

/// A signed-in staff member on one device.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub staff: StaffView,
    pub device: DeviceId,
    pub last_used: DateTime<Utc>,
}

/// In-memory state that need not survive a restart: staff sessions (a restart signs staff
/// out, as a timeout would) and failure counters for rate limiting.
#[derive(Default)]
pub struct Volatile {
    pub sessions: Mutex<HashMap<String, StaffSession>>,
    limits: Mutex<HashMap<String, (u32, DateTime<Utc>)>>,
    pub last_seen: Mutex<HashMap<DeviceId, DateTime<Utc>>>,
}

impl Volatile {
    /// Refuses when `key` has failed `max` times within `window`.
    pub fn check_limit(
        &self,
        key: &str,
        max: u32,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let mut m = self.limits.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((n, since)) = m.get(key) {
            if now - *since > window {
                m.remove(key);
            } else if *n >= max {
                return Err(ApiError::too_many(
                    "too many failed attempts; wait a few minutes and try again",
                ));
            }
        }
        Ok(())
    }

    pub fn record_failure(&self, key: &str, now: DateTime<Utc>) {
        let mut m = self.limits.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(key.to_string()).or_insert((0, now)).0 += 1;
    }

    pub fn clear_failures(&self, key: &str) {
        self.limits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

/// The caller of a request: a paired device, and the staff member signed in on it.
#[derive(Debug, Clone)]
pub struct Auth {
    pub device: DeviceView,
    pub staff: Option<StaffView>,
    /// The request's `Idempotency-Key`, if any.
    pub idempotency_key: Option<String>,
}

impl Auth {
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if allows(self.device.role, action) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "a {} device may not do this",
                self.device.role.as_str()
            )))
        }
    }

    pub fn actor(&self) -> crate::writer::Actor {
        crate::writer::Actor {
            device_id: Some(self.device.id),
            device_name: self.device.name.clone(),
            staff_id: self.staff.as_ref().map(|s| s.id),
        }
    }

    /// The idempotency key of this request bound to what the request is.
    pub fn idem(&self, what: &str, body: &impl Serialize) -> Option<crate::writer::IdemKey> {
        self.idempotency_key
            .as_ref()
            .map(|k| crate::writer::IdemKey {
                device: self.device.id.0,
                key: k.clone(),
                fingerprint: hex::encode(Sha256::digest(
                    format!(
                        "{what}\n{}",
                        serde_json::to_string(body).unwrap_or_default()
                    )
                    .as_bytes(),
                )),
            })
    }

    pub fn staff_id(&self) -> Option<StaffId> {
        self.staff.as_ref().map(|s| s.id)
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = header
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "unauthenticated",
                    "this device is not paired: send its token as 'Authorization: Bearer …'",
                )
            })?;
        let hash = hash_token(token);
        let r = state
            .db
            .begin_read()
            .map_err(|e| ApiError::internal(&e.to_string()))?;
        let id = {
            let t = r
                .open_table(tables::DEVICE_BY_TOKEN)
                .map_err(|e| ApiError::internal(&e.to_string()))?;
            t.get(hash.as_str())
                .map_err(|e| ApiError::internal(&e.to_string()))?
                .map(|v| v.value())
        };
        let rec = match id {
            Some(id) => tables::DEVICES.get(&r, id)?,
            None => None,
        };
        let Some(rec) = rec.filter(|d| d.view.revoked_at.is_none()) else {
            return Err(ApiError::unauthorized(
                "invalid_token",
                "this device's token is unknown or was revoked: pair it again",
            ));
        };
        let now = Utc::now();
        state
            .volatile
            .last_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(rec.view.id, now);

        let staff = match parts
            .headers
            .get(STAFF_SESSION)
            .and_then(|v| v.to_str().ok())
        {
            None => None,
            Some(s) => {
                let mut sessions = state
                    .volatile
                    .sessions
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                match sessions.get_mut(&hash_token(s)) {
                    Some(sess)
                        if sess.device == rec.view.id && now - sess.last_used <= SESSION_IDLE =>
                    {
                        sess.last_used = now;
                        Some(sess.staff.clone())
                    }
                    _ => {
                        return Err(ApiError::unauthorized(
                            "session_expired",
                            "the staff sign-in has expired: sign in again with your PIN",
                        ));
                    }
                }
            }
        };
        let idempotency_key = match parts.headers.get(IDEMPOTENCY_KEY) {
            None => None,
            Some(v) => {
                let k = v.to_str().ok().map(str::trim).filter(|k| {
                    (1..=128).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
                });
                Some(
                    k.ok_or_else(|| {
                        ApiError::bad_request(
                            "bad_idempotency_key",
                            "Idempotency-Key must be 1–128 visible ASCII characters",
                        )
                    })?
                    .to_string(),
                )
            }
        };
        Ok(Auth {
            device: rec.view,
            staff,
            idempotency_key,
        })
    }
}
