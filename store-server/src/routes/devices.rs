//! Pairing (SEC-1), device tokens, and staff PIN sessions on shared devices (SEC-2).

use super::respond;
use crate::AppState;
use crate::auth::{
    Auth, DeviceRecord, PAIRING_TTL, PairingRecord, StaffSession, hash_token, random_secret,
    unused_pairing_code,
};
use crate::error::{ApiError, Json, Path};
use crate::store::{StoreError, tables};
use crate::writer::{Actor, Reply, Tx};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, Utc};
use redb::ReadableDatabase;
use salon_shared::api::*;
use salon_shared::text::clean;
use salon_shared::{Action, DeviceId, Role};

/// Creates a device with a fresh token; returns the token (shown once) and the device.
pub fn create_device(
    tx: &mut Tx,
    name: &str,
    role: Role,
) -> Result<(String, DeviceView), ApiError> {
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
pub async fn device_token(s: &AppState, name: &str, role: Role) -> Result<String, ApiError> {
    let name = name.to_string();
    let reply = s
        .writer
        .write(Actor::system("direct pairing"), None, move |tx| {
            let (token, _) = create_device(tx, &name, role)?;
            Ok(Reply {
                status: 201,
                body: token.into(),
            })
        })
        .await?;
    Ok(reply.body.as_str().unwrap_or_default().to_string())
}

/// Create a short-lived code a new device exchanges for a token of `role`.
#[utoipa::path(post, path = "/api/v1/pairing-codes", tag = "devices", request_body = PairingCodeRequest,
    responses((status = 201, body = PairingCode), (status = 403, body = ErrorBody)))]
pub async fn pairing_code_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(req): Json<PairingCodeRequest>,
) -> Result<Response, ApiError> {
    auth.require(Action::DeviceManage)?;
    let created_by = Some(auth.device.id);
    Ok(respond(
        s.writer
            .write(auth.actor(), None, move |tx| {
                let code = unused_pairing_code(tx)?;
                let rec = PairingRecord {
                    role: req.role,
                    expires_at: tx.now + PAIRING_TTL,
                    created_by,
                };
                tx.put(&tables::PAIRING_CODES, code.as_str(), &rec)?;
                tx.audit(
                    "pairing_code.create",
                    "pairing_code",
                    "-",
                    serde_json::Value::Null,
                    serde_json::json!({"role": req.role}),
                )?;
                Ok(Reply::ok(
                    StatusCode::CREATED,
                    &PairingCode {
                        code,
                        role: req.role,
                        expires_at: rec.expires_at,
                    },
                ))
            })
            .await,
    ))
}

/// Exchange a pairing code for this device's token. Needs no token; rate-limited.
#[utoipa::path(post, path = "/api/v1/pair", tag = "devices", security(()), request_body = PairRequest,
    responses((status = 201, body = PairResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn pair(
    State(s): State<AppState>,
    Json(req): Json<PairRequest>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    // Six digits are guessable without a limit: ten misses a minute for the whole store.
    s.volatile
        .check_limit("pair", 10, Duration::minutes(1), now)?;
    clean("device_name", &req.device_name, 1, 40)?;
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
                .filter(|p| p.expires_at >= tx.now);
            let Some(rec) = rec else {
                return Err(ApiError::unauthorized(
                    "pairing_code_invalid",
                    "this pairing code is wrong or has expired",
                ));
            };
            tx.writing()
                .open_table(tables::PAIRING_CODES.definition())
                .map_err(StoreError::from)?
                .remove(code)
                .map_err(StoreError::from)?;
            let (token, device) = create_device(tx, &req.device_name, rec.role)?;
            Ok(Reply::ok(
                StatusCode::CREATED,
                &PairResponse {
                    token,
                    device,
                    store_name: store_name.clone(),
                },
            ))
        })
        .await;
    if matches!(&result, Err(e) if e.code == "pairing_code_invalid") {
        s.volatile.record_failure("pair", now);
    }
    Ok(respond(result))
}

fn with_last_seen(s: &AppState, mut v: DeviceView) -> DeviceView {
    if let Some(t) = s
        .volatile
        .last_seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&v.id)
    {
        v.last_used_at = v.last_used_at.max(Some(*t));
    }
    v
}

/// Every paired device with its last use.
#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", responses((status = 200, body = Vec<DeviceView>), (status = 403, body = ErrorBody)))]
pub async fn device_list(
    State(s): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<DeviceView>>, ApiError> {
    auth.require(Action::DeviceManage)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    Ok(axum::Json(
        tables::DEVICES
            .all(&r)?
            .into_iter()
            .map(|d| with_last_seen(&s, d.view))
            .collect(),
    ))
}

/// Revoke a device's token at once.
#[utoipa::path(post, path = "/api/v1/devices/{id}/revoke", tag = "devices", params(("id" = u64, Path)),
    responses((status = 200, body = DeviceView), (status = 404, body = ErrorBody)))]
pub async fn device_revoke(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<u64>,
) -> Result<Response, ApiError> {
    auth.require(Action::DeviceManage)?;
    let r = s
        .writer
        .write(auth.actor(), None, move |tx| {
            let before = tx
                .get(&tables::DEVICES, id)?
                .ok_or_else(|| ApiError::not_found("device"))?;
            if before.view.revoked_at.is_some() {
                return Ok(Reply::ok(StatusCode::OK, &before.view));
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
            Ok(Reply::ok(StatusCode::OK, &after.view))
        })
        .await;
    // A revoked device's staff sessions end with it.
    s.volatile
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|_, v| v.device.0 != id);
    Ok(respond(r))
}

/// This device, and the staff member signed in on it.
#[utoipa::path(get, path = "/api/v1/me", tag = "devices", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(State(s): State<AppState>, auth: Auth) -> axum::Json<Me> {
    axum::Json(Me {
        device: with_last_seen(&s, auth.device),
        staff: auth.staff,
    })
}

/// Sign a staff member in on this shared device with their PIN (rate-limited).
#[utoipa::path(post, path = "/api/v1/sessions", tag = "devices", request_body = SignInRequest,
    responses((status = 201, body = SignInResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn session_create(
    State(s): State<AppState>,
    auth: Auth,
    Json(req): Json<SignInRequest>,
) -> Result<Response, ApiError> {
    auth.require(Action::StaffSignIn)?;
    let now = Utc::now();
    let key = format!("pin:{}", auth.device.id);
    s.volatile.check_limit(&key, 5, Duration::minutes(5), now)?;
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let staff = tables::STAFF
        .get(&r, req.staff_id.0)?
        .filter(|st| st.active && st.pin_matches(&req.pin));
    let Some(staff) = staff else {
        s.volatile.record_failure(&key, now);
        return Err(ApiError::unauthorized(
            "pin_wrong",
            "wrong staff member or PIN",
        ));
    };
    s.volatile.clear_failures(&key);
    let token = random_secret(24);
    let session = StaffSession {
        staff: staff.view(),
        device: auth.device.id,
        last_used: now,
    };
    s.volatile
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(hash_token(&token), session);
    let mut actor = auth.actor();
    actor.staff_id = Some(staff.id);
    let body = SignInResponse {
        session: token,
        staff: staff.view(),
        expires_at: now + crate::auth::SESSION_IDLE,
    };
    Ok(respond(
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
                Ok(Reply::ok(StatusCode::CREATED, &body))
            })
            .await,
    ))
}

/// Sign the staff member out of this device.
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "devices", responses((status = 204)))]
pub async fn session_delete(
    State(s): State<AppState>,
    auth: Auth,
    headers: axum::http::HeaderMap,
) -> StatusCode {
    if let Some(tok) = headers.get(STAFF_SESSION).and_then(|v| v.to_str().ok()) {
        s.volatile
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&hash_token(tok));
    }
    let _ = auth;
    StatusCode::NO_CONTENT
}

/// Writes devices' last-use times every minute, so they survive a restart without a
/// write on every request.
pub async fn flush_last_seen(s: AppState) {
    let mut stopping = s.stopping.clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            _ = stopping.changed() => return,
        }
        let seen: Vec<(DeviceId, chrono::DateTime<Utc>)> = s
            .volatile
            .last_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        if seen.is_empty() {
            continue;
        }
        let _ = s
            .writer
            .write(Actor::system("last-use"), None, move |tx| {
                for (id, at) in &seen {
                    if let Some(mut d) = tx.get(&tables::DEVICES, id.0)? {
                        d.view.last_used_at = d.view.last_used_at.max(Some(*at));
                        tx.put(&tables::DEVICES, id.0, &d)?;
                    }
                }
                Ok(Reply {
                    status: 204,
                    body: serde_json::Value::Null,
                })
            })
            .await;
    }
}
