//! The audit log (SEC-3), read-only: entries newest first, filtered. Entries are written
//! only by the writer's `Tx::audit`, in the transaction of the change they describe.

use super::{Kind, OpError};
use crate::store::{StoreError, tables};
use redb::ReadTransaction;
use salon_shared::api::{AuditEntry, AuditQuery};

/// A query the log cannot answer.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("limit must be 1–500")]
    Limit,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError for AuditError {
    fn kind(&self) -> Kind {
        match self {
            AuditError::Limit => Kind::BadInput,
            AuditError::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        match self {
            AuditError::Limit => "bad_query",
            AuditError::Store(e) => e.code(),
        }
    }
}

/// Audit entries, newest first, filtered.
pub fn list(r: &ReadTransaction, q: &AuditQuery) -> Result<Vec<AuditEntry>, AuditError> {
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > 500 {
        return Err(AuditError::Limit);
    }
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
            if let Some(e) = tables::AUDIT.get(r, seq)?
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
    Ok(out)
}
