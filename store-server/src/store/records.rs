//! Records that exist only in the store: what it keeps about paired devices and pairing
//! codes (token hashes, expiry), which neither the domain nor the API carries.

use chrono::{DateTime, Utc};
use salon_shared::api::DeviceView;
use salon_shared::{DeviceId, Role};
use serde::{Deserialize, Serialize};

/// A paired device as stored: the view plus the hash of its token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub view: DeviceView,
    pub token_hash: String,
}

/// A pairing code waiting for its device: the role it grants and until when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PairingRecord {
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    pub created_by: Option<DeviceId>,
}
