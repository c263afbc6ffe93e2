//! The service catalog (SVC-1/2). Services are retired, never deleted.

use super::{Kind, OpError};
use crate::store::{StoreError, Tx, tables};
use redb::ReadTransaction;
use salon_shared::service::ServiceInput;
use salon_shared::{DomainError, Service, ServiceId};

/// Why a catalog operation refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("service not found")]
    NotFound,
    /// A service named in a sale, a plan or a coupon that is not on offer.
    #[error("service {0} does not exist or is retired")]
    Unknown(ServiceId),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError for CatalogError {
    fn kind(&self) -> Kind {
        match self {
            CatalogError::NotFound => Kind::NotFound,
            CatalogError::Unknown(_) => Kind::Invalid,
            CatalogError::Domain(e) => e.kind(),
            CatalogError::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        match self {
            CatalogError::NotFound => "not_found",
            CatalogError::Unknown(_) => "service_unknown",
            CatalogError::Domain(e) => e.code(),
            CatalogError::Store(e) => e.code(),
        }
    }
}

/// The catalog, active services only unless `include_retired`.
pub fn list(r: &ReadTransaction, include_retired: bool) -> Result<Vec<Service>, StoreError> {
    let mut all = tables::SERVICES.all(r)?;
    all.retain(|s| s.active || include_retired);
    Ok(all)
}

pub fn get(r: &ReadTransaction, id: ServiceId) -> Result<Service, CatalogError> {
    tables::SERVICES.get(r, id.0)?.ok_or(CatalogError::NotFound)
}

/// Adds a service to the catalog.
pub fn create(tx: &mut Tx, valid: ServiceInput) -> Result<Service, CatalogError> {
    let id = ServiceId(tx.next_id("service")?);
    let svc = valid.into_service(id, tx.now);
    tx.put(&tables::SERVICES, id.0, &svc)?;
    tx.audit(
        "service.create",
        "service",
        id,
        serde_json::Value::Null,
        &svc,
    )?;
    tx.event("service.created", id)?;
    Ok(svc)
}

/// Changes a service. A new price applies from now on; past records keep theirs.
pub fn update(tx: &mut Tx, id: ServiceId, valid: ServiceInput) -> Result<Service, CatalogError> {
    let before = tx
        .get(&tables::SERVICES, id.0)?
        .ok_or(CatalogError::NotFound)?;
    let mut after = before.clone();
    valid.apply_to(&mut after, tx.now);
    tx.put(&tables::SERVICES, id.0, &after)?;
    tx.audit("service.update", "service", id, &before, &after)?;
    tx.event("service.updated", id)?;
    Ok(after)
}

/// Retires a service (hidden from new sales, kept for history) or offers it again.
pub fn set_active(tx: &mut Tx, id: ServiceId, active: bool) -> Result<Service, CatalogError> {
    let before = tx
        .get(&tables::SERVICES, id.0)?
        .ok_or(CatalogError::NotFound)?;
    let mut after = before.clone();
    after.active = active;
    tx.put(&tables::SERVICES, id.0, &after)?;
    tx.audit(
        if active {
            "service.restore"
        } else {
            "service.retire"
        },
        "service",
        id,
        &before,
        &after,
    )?;
    tx.event("service.updated", id)?;
    Ok(after)
}

/// The service, which must exist and be on offer (a retired one is not sold: SVC-2).
pub fn active_service(tx: &Tx, id: ServiceId) -> Result<Service, CatalogError> {
    tx.get(&tables::SERVICES, id.0)?
        .filter(|s| s.active)
        .ok_or(CatalogError::Unknown(id))
}
