//! Devices, pairing (SEC-1) and staff PIN sessions on shared devices (SEC-2): pairing codes,
//! device tokens (kept only as hashes), revocation, sign-in and the in-memory state that
//! need not survive a restart (sessions, rate limits, last use).

use super::{Kind, OpError};
use crate::AppState;
use crate::store::records::{DeviceRecord, PairingRecord};
use crate::store::{Actor, StoreError, Tx, WriteError, tables};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use redb::ReadTransaction;
use salon_shared::api::{
    DeviceView, PairRequest, PairResponse, PairingCode, SignInRequest, SignInResponse,
};
use salon_shared::staff::StaffView;
use salon_shared::text::clean;
use salon_shared::{DeviceId, DomainError, Role};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a pairing code is valid.
pub const PAIRING_TTL: Duration = Duration::minutes(10);
/// A staff session ends after this long without use (shared tablets).
pub const SESSION_IDLE: Duration = Duration::minutes(15);

/// Why a device operation refused.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("device not found")]
    NotFound,
    #[error("this pairing code is wrong or has expired")]
    PairingCodeInvalid,
    #[error("wrong staff member or PIN")]
    PinWrong,
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError for DeviceError {
    fn kind(&self) -> Kind {
        match self {
            DeviceError::NotFound => Kind::NotFound,
            DeviceError::PairingCodeInvalid | DeviceError::PinWrong => Kind::Unauthenticated,
            DeviceError::Throttled(e) => e.kind(),
            DeviceError::Domain(e) => e.kind(),
            DeviceError::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        match self {
            DeviceError::NotFound => "not_found",
            DeviceError::PairingCodeInvalid => "pairing_code_invalid",
            DeviceError::PinWrong => "pin_wrong",
            DeviceError::Throttled(e) => e.code(),
            DeviceError::Domain(e) => e.code(),
            DeviceError::Store(e) => e.code(),
        }
    }
}

/// Too many failed attempts from one device (or, for pairing, the whole store).
#[derive(Debug, thiserror::Error)]
#[error("too many failed attempts; wait a few minutes and try again")]
pub struct Throttled;

impl OpError for Throttled {
    fn kind(&self) -> Kind {
        Kind::TooMany
    }
    fn code(&self) -> &'static str {
        "too_many_attempts"
    }
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

/// A signed-in staff member on one device.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub staff: StaffView,
    pub device: DeviceId,
    pub last_used: DateTime<Utc>,
}

/// In-memory state that need not survive a restart: staff sessions (a restart signs staff
/// out, as a timeout would), failure counters for rate limiting, and devices' last use
/// (written to the store once a minute).
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
    ) -> Result<(), Throttled> {
        let mut m = self.limits.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((n, since)) = m.get(key) {
            if now - *since > window {
                m.remove(key);
            } else if *n >= max {
                return Err(Throttled);
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

    /// The staff member signed in on `device` with the session `token`, if it is still
    /// fresh; using it keeps it alive.
    pub fn session(&self, token: &str, device: DeviceId, now: DateTime<Utc>) -> Option<StaffView> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        match sessions.get_mut(&hash_token(token)) {
            Some(s) if s.device == device && now - s.last_used <= SESSION_IDLE => {
                s.last_used = now;
                Some(s.staff.clone())
            }
            _ => None,
        }
    }

    /// Ends every session `keep` says no to.
    pub fn end_sessions(&self, keep: impl Fn(&StaffSession) -> bool) {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, s| keep(s));
    }

    pub fn seen(&self, device: DeviceId, now: DateTime<Utc>) {
        self.last_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(device, now);
    }

    /// The device with its last use, counting uses not yet written to the store.
    pub fn with_last_seen(&self, mut v: DeviceView) -> DeviceView {
        if let Some(t) = self
            .last_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&v.id)
        {
            v.last_used_at = v.last_used_at.max(Some(*t));
        }
        v
    }
}

/// The device holding `token`, unless it is unknown or revoked.
pub fn device_by_token(r: &ReadTransaction, token: &str) -> Result<Option<DeviceView>, StoreError> {
    let id = r
        .open_table(tables::DEVICE_BY_TOKEN)?
        .get(hash_token(token).as_str())?
        .map(|v| v.value());
    let rec = match id {
        Some(id) => tables::DEVICES.get(r, id)?,
        None => None,
    };
    Ok(rec.filter(|d| d.view.revoked_at.is_none()).map(|d| d.view))
}

/// A fresh six-digit pairing code that no other device's code still holds.
fn unused_pairing_code(tx: &Tx) -> Result<String, StoreError> {
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

/// Creates a short-lived code a new device exchanges for a token of `role`. `why` goes into
/// the audit entry when the server itself asked (the console's bootstrap and demo codes).
pub fn create_pairing_code(
    tx: &mut Tx,
    role: Role,
    created_by: Option<DeviceId>,
    why: Option<&str>,
) -> Result<PairingCode, StoreError> {
    let code = unused_pairing_code(tx)?;
    let rec = PairingRecord {
        role,
        expires_at: tx.now + PAIRING_TTL,
        created_by,
    };
    tx.put(&tables::PAIRING_CODES, code.as_str(), &rec)?;
    let mut after = serde_json::json!({ "role": role });
    if let Some(why) = why {
        after[why] = true.into();
    }
    tx.audit(
        "pairing_code.create",
        "pairing_code",
        "-",
        serde_json::Value::Null,
        after,
    )?;
    Ok(PairingCode {
        code,
        role,
        expires_at: rec.expires_at,
    })
}

/// Creates a device with a fresh token; returns the token (shown once) and the device.
pub fn create_device(
    tx: &mut Tx,
    name: &str,
    role: Role,
) -> Result<(String, DeviceView), DeviceError> {
    let name = clean("device_name", name, 1, 40)?;
    let token = random_secret(32);
    let hash = hash_token(&token);
    let id = DeviceId(tx.next_id("device")?);
    let view = DeviceView {
        id,
        name,
        role,
        created_at: tx.now,
        last_used_at: None,
        revoked_at: None,
    };
    tx.put(
        &tables::DEVICES,
        id.0,
        &DeviceRecord {
            view: view.clone(),
            token_hash: hash.clone(),
        },
    )?;
    tx.w.open_table(tables::DEVICE_BY_TOKEN)
        .map_err(StoreError::from)?
        .insert(hash.as_str(), id.0)
        .map_err(StoreError::from)?;
    tx.audit(
        "device.create",
        "device",
        id,
        serde_json::Value::Null,
        &view,
    )?;
    tx.event("device.created", id)?;
    Ok((token, view))
}

/// Pairs a device directly, without a code (the command line and tests); returns its token.
pub async fn device_token(
    s: &AppState,
    name: &str,
    role: Role,
) -> Result<String, WriteError<DeviceError>> {
    let name = name.to_string();
    s.writer
        .write(Actor::system("direct pairing"), None, move |tx| {
            Ok(create_device(tx, &name, role)?.0)
        })
        .await
}

/// Exchanges a pairing code for a new device's token. Six digits are guessable without a
/// limit, so the whole store gets ten misses a minute.
pub async fn pair(s: &AppState, req: PairRequest) -> Result<PairResponse, WriteError<DeviceError>> {
    let now = Utc::now();
    s.volatile
        .check_limit("pair", 10, Duration::minutes(1), now)
        .map_err(|e| WriteError::Refused(e.into()))?;
    clean("device_name", &req.device_name, 1, 40).map_err(|e| WriteError::Refused(e.into()))?;
    let store_name = s.info.store_name.clone();
    let actor = Actor {
        device_id: None,
        device_name: req.device_name.clone(),
        staff_id: None,
    };
    let result = s
        .writer
        .write(actor, None, move |tx| {
            let code = req.code.trim();
            let rec = tx
                .get(&tables::PAIRING_CODES, code)?
                .filter(|p| p.expires_at >= tx.now)
                .ok_or(DeviceError::PairingCodeInvalid)?;
            tx.writing()
                .open_table(tables::PAIRING_CODES.definition())
                .map_err(StoreError::from)?
                .remove(code)
                .map_err(StoreError::from)?;
            let (token, device) = create_device(tx, &req.device_name, rec.role)?;
            Ok(PairResponse {
                token,
                device,
                store_name: store_name.clone(),
            })
        })
        .await;
    if matches!(
        &result,
        Err(WriteError::Refused(DeviceError::PairingCodeInvalid))
    ) {
        s.volatile.record_failure("pair", now);
    }
    result
}

/// Every paired device with its last use.
pub fn list(r: &ReadTransaction, volatile: &Volatile) -> Result<Vec<DeviceView>, StoreError> {
    Ok(tables::DEVICES
        .all(r)?
        .into_iter()
        .map(|d| volatile.with_last_seen(d.view))
        .collect())
}

/// Revokes a device's token at once; its staff sessions end with it.
pub async fn revoke(
    s: &AppState,
    actor: Actor,
    id: u64,
) -> Result<DeviceView, WriteError<DeviceError>> {
    let r = s
        .writer
        .write(actor, None, move |tx| {
            let before = tx.get(&tables::DEVICES, id)?.ok_or(DeviceError::NotFound)?;
            if before.view.revoked_at.is_some() {
                return Ok(before.view);
            }
            let mut after = before.clone();
            after.view.revoked_at = Some(tx.now);
            tx.put(&tables::DEVICES, id, &after)?;
            tx.w.open_table(tables::DEVICE_BY_TOKEN)
                .map_err(StoreError::from)?
                .remove(before.token_hash.as_str())
                .map_err(StoreError::from)?;
            tx.audit("device.revoke", "device", id, &before.view, &after.view)?;
            tx.event("device.revoked", id)?;
            Ok(after.view)
        })
        .await;
    s.volatile.end_sessions(|v| v.device.0 != id);
    r
}

/// Signs a staff member in on a shared device with their PIN (five misses per device in
/// five minutes). The session lives in memory; the sign-in is audited.
pub async fn sign_in(
    s: &AppState,
    device: DeviceId,
    mut actor: Actor,
    req: &SignInRequest,
) -> Result<SignInResponse, WriteError<DeviceError>> {
    let now = Utc::now();
    let key = format!("pin:{device}");
    s.volatile
        .check_limit(&key, 5, Duration::minutes(5), now)
        .map_err(|e| WriteError::Refused(e.into()))?;
    let staff = s
        .read()
        .and_then(|r| tables::STAFF.get(&r, req.staff_id.0))
        .map_err(WriteError::Store)?
        .filter(|st| st.active && st.pin_matches(&req.pin));
    let Some(staff) = staff else {
        s.volatile.record_failure(&key, now);
        return Err(WriteError::Refused(DeviceError::PinWrong));
    };
    s.volatile.clear_failures(&key);
    let token = random_secret(24);
    let session = StaffSession {
        staff: staff.view(),
        device,
        last_used: now,
    };
    s.volatile
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(hash_token(&token), session);
    actor.staff_id = Some(staff.id);
    let body = SignInResponse {
        session: token,
        staff: staff.view(),
        expires_at: now + SESSION_IDLE,
    };
    s.writer
        .write(actor, None, move |tx| {
            tx.writing();
            tx.audit(
                "staff.sign_in",
                "staff",
                body.staff.id,
                serde_json::Value::Null,
                serde_json::Value::Null,
            )?;
            Ok::<_, DeviceError>(body.clone())
        })
        .await
}

/// Signs the staff member of session `token` out.
pub fn sign_out(volatile: &Volatile, token: &str) {
    volatile
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&hash_token(token));
}

/// Writes devices' last-use times (collected in memory) to the store.
pub fn record_last_seen(tx: &mut Tx, seen: &[(DeviceId, DateTime<Utc>)]) -> Result<(), StoreError> {
    for (id, at) in seen {
        if let Some(mut d) = tx.get(&tables::DEVICES, id.0)? {
            d.view.last_used_at = d.view.last_used_at.max(Some(*at));
            tx.put(&tables::DEVICES, id.0, &d)?;
        }
    }
    Ok(())
}
