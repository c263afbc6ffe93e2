//! Health and the OpenAPI document: the two routes that need no token.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use salon_shared::api::Health;
use std::sync::OnceLock;

static DOCUMENT: OnceLock<serde_json::Value> = OnceLock::new();

pub(crate) fn set_document(doc: utoipa::openapi::OpenApi) {
    let _ = DOCUMENT.set(serde_json::to_value(doc).unwrap_or_default());
}

/// Liveness, store name and version.
#[utoipa::path(get, path = "/api/v1/health", tag = "system", security(()), responses((status = 200, body = Health)))]
pub async fn health(State(s): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        store_name: s.info.store_name.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        api_version: salon_shared::API_VERSION.into(),
        server_id: s.info.server_id.clone(),
        utc_offset_minutes: s.info.tz.local_minus_utc() / 60,
    })
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system", security(()), responses((status = 200, description = "OpenAPI 3 document")))]
pub async fn openapi_json() -> Json<serde_json::Value> {
    Json(DOCUMENT.get().cloned().unwrap_or_default())
}
