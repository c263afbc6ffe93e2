//! Card and barcode scanners act as keyboards (CHK-1): a fast burst of characters ending in
//! Enter is a scan, wherever the focus is. People type far slower than a scanner, so the
//! gap between keys tells them apart.

use std::time::Duration;

/// Keys closer together than this belong to one scan.
pub const MAX_GAP: Duration = Duration::from_millis(50);
/// Shorter bursts are taken as typing (a card number has at least six characters).
pub const MIN_LEN: usize = 6;

/// Watches key presses and reports a completed scan.
#[derive(Debug, Default)]
pub struct ScanDetector {
    burst: String,
    /// When the last key of the burst came, as time since an arbitrary start.
    last: Option<Duration>,
}

impl ScanDetector {
    /// Feeds one key press at time `at` (monotonic). `'\n'` or `'\r'` is Enter. Returns the
    /// scanned text when Enter closes a burst fast and long enough to be a scanner's.
    pub fn key(&mut self, c: char, at: Duration) -> Option<String> {
        let in_burst = self
            .last
            .is_some_and(|last| at.saturating_sub(last) <= MAX_GAP);
        if !in_burst {
            self.burst.clear();
        }
        self.last = Some(at);
        if c == '\n' || c == '\r' {
            let scan = std::mem::take(&mut self.burst);
            self.last = None;
            return (in_burst && scan.chars().count() >= MIN_LEN).then_some(scan);
        }
        if c.is_control() {
            self.burst.clear();
        } else {
            self.burst.push(c);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(d: &mut ScanDetector, text: &str, start_ms: u64, gap_ms: u64) -> Option<String> {
        let mut out = None;
        for (i, c) in text.chars().enumerate() {
            out = d.key(c, Duration::from_millis(start_ms + i as u64 * gap_ms));
        }
        out
    }

    #[test]
    fn scans_and_typing_table() {
        let cases: &[(&str, u64, Option<&str>)] = &[
            ("8800001234\n", 8, Some("8800001234")),
            ("VIP-000123\r", 20, Some("VIP-000123")),
            ("8800001234\n", 200, None), // a person typing
            ("12345\n", 5, None),        // too short for a card
            ("\n", 5, None),
        ];
        for (text, gap, want) in cases {
            let mut d = ScanDetector::default();
            assert_eq!(
                feed(&mut d, text, 1000, *gap).as_deref(),
                *want,
                "{text:?} every {gap} ms"
            );
        }
    }

    #[test]
    fn a_pause_starts_a_new_burst() {
        let mut d = ScanDetector::default();
        assert_eq!(feed(&mut d, "138", 0, 10), None);
        // A second later the scanner fires: the earlier keys are not part of it.
        assert_eq!(
            feed(&mut d, "8800001234\n", 1000, 10).as_deref(),
            Some("8800001234")
        );
        // And the detector is ready for the next one.
        assert_eq!(
            feed(&mut d, "8800009999\n", 5000, 10).as_deref(),
            Some("8800009999")
        );
    }
}
