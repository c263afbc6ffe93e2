//! What a paired device remembers across restarts: which store server, its address and the
//! token it was given (SEC-1). Kept in a small JSON file in the app's data folder.

use salon_shared::Role;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Where the server was last reached, e.g. `http://192.168.1.20:8080`.
    pub base_url: String,
    /// The server's stable id (from its mDNS record and /health): how the device finds the
    /// same store again when its address changes.
    pub server_id: String,
    pub store_name: String,
    /// The bearer token from pairing.
    pub token: String,
    pub role: Role,
    /// Whether the address came from mDNS (and may be looked up again) or was typed.
    pub discovered: bool,
}

fn file(dir: &Path) -> PathBuf {
    dir.join("device.json")
}

impl Device {
    /// The saved pairing, if there is a readable one.
    pub fn load(dir: &Path) -> Option<Device> {
        let bytes = std::fs::read(file(dir)).ok()?;
        serde_json::from_slice(&bytes)
            .inspect_err(|e| eprintln!("ignoring unreadable {}: {e}", file(dir).display()))
            .ok()
    }

    /// Saves the pairing atomically (a crash leaves the old file or the new one).
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join("device.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).unwrap_or_default())?;
        std::fs::rename(tmp, file(dir))
    }

    /// Forgets the pairing (the token was revoked, or the staff chose to pair again).
    pub fn forget(dir: &Path) {
        let _ = std::fs::remove_file(file(dir));
    }
}

/// The default data folder: `$XDG_DATA_HOME/salon-client`, else `~/.local/share/salon-client`,
/// else `./salon-client`.
pub fn default_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("salon-client")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_forgets() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(Device::load(dir.path()), None);
        let d = Device {
            base_url: "http://127.0.0.1:8080".into(),
            server_id: "abc".into(),
            store_name: "发艺".into(),
            token: "t".into(),
            role: Role::Kiosk,
            discovered: true,
        };
        d.save(dir.path()).expect("saved");
        assert_eq!(Device::load(dir.path()), Some(d));
        Device::forget(dir.path());
        assert_eq!(Device::load(dir.path()), None);
    }

    #[test]
    fn a_broken_file_means_pairing_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("device.json"), b"{").expect("write");
        assert_eq!(Device::load(dir.path()), None);
    }
}
