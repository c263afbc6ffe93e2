//! Staff (STF-1): roles, levels, skills and PINs. PINs never leave the server, and a staff
//! member who is deactivated is signed out of every device at once.

use super::devices::random_secret;
use super::{Kind, OpError};
use crate::AppState;
use crate::store::{Actor, IdemKey, StoreError, Tx, WriteError, tables};
use redb::ReadTransaction;
use salon_shared::api::StaffInput;
use salon_shared::staff::StaffView;
use salon_shared::{DomainError, StaffId};

/// Why a staff operation refused.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("staff member not found")]
    NotFound,
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError for StaffError {
    fn kind(&self) -> Kind {
        match self {
            StaffError::NotFound => Kind::NotFound,
            StaffError::Domain(e) => e.kind(),
            StaffError::Store(e) => e.kind(),
        }
    }
    fn code(&self) -> &'static str {
        match self {
            StaffError::NotFound => "not_found",
            StaffError::Domain(e) => e.code(),
            StaffError::Store(e) => e.code(),
        }
    }
}

pub fn list(r: &ReadTransaction) -> Result<Vec<StaffView>, StoreError> {
    Ok(tables::STAFF.all(r)?.iter().map(|s| s.view()).collect())
}

pub fn get(r: &ReadTransaction, id: StaffId) -> Result<StaffView, StaffError> {
    Ok(tables::STAFF
        .get(r, id.0)?
        .ok_or(StaffError::NotFound)?
        .view())
}

/// Checks a new staff member's details before anything is queued for the writer.
pub fn validate_new(input: &StaffInput) -> Result<(), StaffError> {
    input.clone().into_staff(StaffId(0), None, String::new())?;
    Ok(())
}

/// Adds a staff member (a PIN is required); `salt` salts their PIN's hash.
pub fn create(tx: &mut Tx, input: &StaffInput, salt: &str) -> Result<StaffView, StaffError> {
    let id = StaffId(tx.next_id("staff")?);
    let staff = input.clone().into_staff(id, None, salt.to_string())?;
    tx.put(&tables::STAFF, id.0, &staff)?;
    tx.audit(
        "staff.create",
        "staff",
        id,
        serde_json::Value::Null,
        staff.view(),
    )?;
    tx.event("staff.created", id)?;
    Ok(staff.view())
}

/// Changes a staff member; an input without `pin` keeps the current one. Deactivating them
/// ends their sessions on every device.
pub async fn update(
    s: &AppState,
    actor: Actor,
    idem: Option<IdemKey>,
    id: StaffId,
    input: StaffInput,
) -> Result<StaffView, WriteError<StaffError>> {
    let salt = random_secret(8);
    let view = s
        .writer
        .write(actor, idem, move |tx| {
            let before = tx.get(&tables::STAFF, id.0)?.ok_or(StaffError::NotFound)?;
            let after = input.clone().into_staff(id, Some(&before), salt.clone())?;
            tx.put(&tables::STAFF, id.0, &after)?;
            let pin_changed = after.pin_hash != before.pin_hash;
            let mut after_view = serde_json::to_value(after.view()).unwrap_or_default();
            after_view["pin_changed"] = pin_changed.into();
            tx.audit("staff.update", "staff", id, before.view(), after_view)?;
            tx.event("staff.updated", id)?;
            Ok(after.view())
        })
        .await?;
    if !view.active {
        s.volatile.end_sessions(|v| v.staff.id != id);
    }
    Ok(view)
}
