//! Writes a customer already confirmed must never be lost to a Wi-Fi drop or a server
//! restart: they wait here with their idempotency key, on disk, and are retried until the
//! server answers. The same key means the server performs each of them once.

use crate::kiosk::controller::StoreApi;
use salon_shared::api::{CheckInRequest, CheckInResponse};
use salon_shared::client::ClientError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// One confirmed check-in not yet acknowledged by the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingCheckIn {
    pub key: String,
    pub request: CheckInRequest,
}

/// The queue of unacknowledged check-ins, kept in a JSON file (or only in memory when it
/// has no file, as in tests).
#[derive(Debug, Default)]
pub struct Pending {
    path: Option<PathBuf>,
    items: Vec<PendingCheckIn>,
}

impl Pending {
    /// Loads the queue from `path` (empty when the file does not exist or is unreadable,
    /// which is reported once so a broken file never blocks the kiosk).
    pub fn load(path: PathBuf) -> Pending {
        let items = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                eprintln!(
                    "ignoring unreadable pending check-ins in {}: {e}",
                    path.display()
                );
                Vec::new()
            }),
            Err(_) => Vec::new(),
        };
        Pending {
            path: Some(path),
            items,
        }
    }

    pub fn items(&self) -> &[PendingCheckIn] {
        &self.items
    }

    /// Adds a confirmed check-in and writes the queue to disk before anything is sent.
    pub fn push(&mut self, item: PendingCheckIn) -> std::io::Result<()> {
        self.items.push(item);
        self.save()
    }

    /// Drops the check-in with `key` (answered by the server).
    pub fn remove(&mut self, key: &str) {
        self.items.retain(|i| i.key != key);
        self.save_or_log();
    }

    fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(&self.items).unwrap_or_default())?;
        // Rename is atomic: a crash leaves the old queue or the new one, never half of one.
        std::fs::rename(&tmp, path)
    }

    fn save_or_log(&self) {
        if let Err(e) = self.save() {
            eprintln!("cannot save pending check-ins: {e}");
        }
    }

    /// Sends every waiting check-in once. Answered ones (accepted, or refused for good, such
    /// as "already checked in") leave the queue; ones that could not reach the server stay.
    /// Returns the server's answers, in order.
    pub async fn flush<A: StoreApi>(
        &mut self,
        api: &A,
    ) -> Vec<(String, Result<CheckInResponse, ClientError>)> {
        let mut answered = Vec::new();
        let mut keep = Vec::new();
        for item in std::mem::take(&mut self.items) {
            let r = api.check_in(item.request.clone(), item.key.clone()).await;
            match &r {
                Err(e) if e.is_retryable() => keep.push(item),
                _ => answered.push((item.key.clone(), r)),
            }
        }
        self.items = keep;
        self.save_or_log();
        answered
    }
}

/// Backoff between retries while the server is unreachable: 0.5 s doubling to 10 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500)
        .saturating_mul(2u32.saturating_pow(attempt.min(5)))
        .min(Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;
    use salon_shared::CustomerId;
    use salon_shared::api::CheckInCustomer;

    fn item(key: &str) -> PendingCheckIn {
        PendingCheckIn {
            key: key.into(),
            request: CheckInRequest {
                customer: CheckInCustomer {
                    id: Some(CustomerId(7)),
                    ..Default::default()
                },
                services: vec![salon_shared::ServiceId(1)],
                stylist: None,
            },
        }
    }

    #[test]
    fn survives_a_restart() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("pending.json");
        let mut p = Pending::load(path.clone());
        p.push(item("k1")).expect("saved");
        p.push(item("k2")).expect("saved");
        let again = Pending::load(path);
        let keys: Vec<&str> = again.items().iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["k1", "k2"]);
        assert_eq!(
            again.items()[0].request.services,
            item("k1").request.services
        );
    }

    #[test]
    fn a_broken_file_does_not_block_the_kiosk() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("pending.json");
        std::fs::write(&path, b"{not json").expect("write");
        assert!(Pending::load(path).items().is_empty());
    }

    #[tokio::test]
    async fn an_unreachable_server_keeps_the_check_in() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut p = Pending::load(dir.path().join("pending.json"));
        p.push(item("k1")).expect("saved");
        // Nothing listens on port 9 of loopback: the write must stay queued.
        let client = salon_shared::client::Client::new("http://127.0.0.1:9");
        let answers = p.flush(&client).await;
        assert!(answers.is_empty());
        assert_eq!(p.items().len(), 1);
        assert_eq!(p.items()[0].key, "k1");
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(10), Duration::from_secs(10));
    }
}
