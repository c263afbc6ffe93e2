//! The audit log (SEC-3), read-only and manager-only. No route writes or edits it.

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, Query};
use crate::store::{StoreError, tables};
use axum::extract::State;
use redb::ReadableDatabase;
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
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > 500 {
        return Err(ApiError::bad_request("bad_query", "limit must be 1–500"));
    }
    let r = s.db.begin_read().map_err(StoreError::from)?;
    let before = q.before_seq.unwrap_or(u64::MAX);
    let keep = |e: &AuditEntry| {
        q.entity.as_ref().is_none_or(|x| &e.entity == x)
            && q.entity_id.as_ref().is_none_or(|x| &e.entity_id == x)
            && q.action
                .as_ref()
                .is_none_or(|x| e.action.starts_with(x.as_str()))
            && q.device_id
                .is_none_or(|d| e.device_id.map(|x| x.0) == Some(d))
            && q.staff_id
                .is_none_or(|d| e.staff_id.map(|x| x.0) == Some(d))
    };
    let mut out = Vec::new();
    if let (Some(entity), Some(id)) = (&q.entity, &q.entity_id) {
        let key = format!("{entity}:{id}");
        let t = r
            .open_table(tables::AUDIT_BY_ENTITY)
            .map_err(StoreError::from)?;
        for item in t
            .range((key.as_str(), 0u64)..(key.as_str(), before))
            .map_err(StoreError::from)?
            .rev()
        {
            let seq = item.map_err(StoreError::from)?.0.value().1;
            if let Some(e) = tables::AUDIT.get(&r, seq)?
                && keep(&e)
            {
                out.push(e);
            }
            if out.len() >= limit {
                break;
            }
        }
    } else {
        let t = r
            .open_table(tables::AUDIT.definition())
            .map_err(StoreError::from)?;
        for item in t.range(..before).map_err(StoreError::from)?.rev() {
            let (_, v) = item.map_err(StoreError::from)?;
            let e = tables::AUDIT.decode(v.value())?;
            if keep(&e) {
                out.push(e);
            }
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(axum::Json(out))
}
