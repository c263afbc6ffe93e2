//! The audit log (SEC-3), read-only and manager-only. No route writes or edits it.

use crate::AppState;
use crate::http::{ApiError, Auth, Query};
use crate::ops::audit;
use axum::extract::State;
use salon_shared::Action;
use salon_shared::api::{AuditEntry, AuditQuery, ErrorBody};

/// Audit entries, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = ErrorBody)))]
pub async fn audit_list(
    State(s): State<AppState>,
    auth: Auth,
    Query(q): Query<AuditQuery>,
) -> Result<axum::Json<Vec<AuditEntry>>, ApiError> {
    auth.require(Action::AuditRead)?;
    Ok(axum::Json(audit::list(&s.read()?, &q)?))
}
