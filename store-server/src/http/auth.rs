//! `Auth`: who is calling (a paired device, and the staff member signed in on it), checked
//! against the role × action table before a handler does anything else.

use super::ApiError;
use crate::AppState;
use crate::ops::devices::device_by_token;
use crate::store::{Actor, IdemKey, StoreError};
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use chrono::Utc;
use redb::ReadableDatabase;
use salon_shared::api::{DeviceView, IDEMPOTENCY_KEY, STAFF_SESSION};
use salon_shared::auth::allows;
use salon_shared::staff::StaffView;
use salon_shared::{Action, Role, StaffId};
use serde::Serialize;
use sha2::{Digest, Sha256};

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
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("a {} device may not do this", self.device.role.as_str()),
            ))
        }
    }

    /// Who the audit log names for this request's writes.
    pub fn actor(&self) -> Actor {
        Actor {
            device_id: Some(self.device.id),
            device_name: self.device.name.clone(),
            staff_id: self.staff_id(),
        }
    }

    /// The idempotency key of this request bound to what the request is.
    pub fn idem(&self, what: &str, body: &impl Serialize) -> Option<IdemKey> {
        self.idempotency_key.as_ref().map(|k| IdemKey {
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

    /// The staff member taking money or writing a record. On a shared tablet that is
    /// whoever signed in with their PIN; a manager's own device may act without one.
    pub fn cashier(&self) -> Result<Option<StaffId>, ApiError> {
        match (&self.staff, self.device.role) {
            (Some(s), _) => Ok(Some(s.id)),
            (None, Role::Manager) => Ok(None),
            (None, _) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "staff_sign_in_required",
                "money is taken by a signed-in staff member: sign in with your PIN",
            )),
        }
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
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "this device is not paired: send its token as 'Authorization: Bearer …'",
                )
            })?;
        let r = state.db.begin_read().map_err(StoreError::from)?;
        let Some(device) = device_by_token(&r, token)? else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "this device's token is unknown or was revoked: pair it again",
            ));
        };
        let now = Utc::now();
        state.volatile.seen(device.id, now);
        let staff = match parts
            .headers
            .get(STAFF_SESSION)
            .and_then(|v| v.to_str().ok())
        {
            None => None,
            Some(s) => Some(state.volatile.session(s, device.id, now).ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "session_expired",
                    "the staff sign-in has expired: sign in again with your PIN",
                )
            })?),
        };
        let idempotency_key = match parts.headers.get(IDEMPOTENCY_KEY) {
            None => None,
            Some(v) => {
                let k = v.to_str().ok().map(str::trim).filter(|k| {
                    (1..=128).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
                });
                Some(
                    k.ok_or_else(|| {
                        ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "bad_idempotency_key",
                            "Idempotency-Key must be 1–128 visible ASCII characters",
                        )
                    })?
                    .to_string(),
                )
            }
        };
        Ok(Auth {
            device,
            staff,
            idempotency_key,
        })
    }
}
