//! The honest wait (QUE-2): each stylist's own learned service times, their chair, their
//! queue, their appointments and their shift end, turned into a range that leans long.

use crate::queue::WaitRange;
use crate::schedule::Interval;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Fewer recent samples than this and the catalog duration is used instead.
pub const MIN_SAMPLES: usize = 3;
/// How many recent samples per stylist and service are kept and used.
pub const MAX_SAMPLES: usize = 20;
/// With no history, the cautious end allows this much over the catalog duration.
const CATALOG_MARGIN: f64 = 1.25;
/// Quotes are rounded outwards to this many minutes: people read "15–25", not "17–23".
const ROUND_TO: i64 = 5;

/// Expected minutes for one piece of work: a typical figure and a cautious one.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Expect {
    pub typical: f64,
    pub cautious: f64,
}

impl std::ops::Add for Expect {
    type Output = Expect;
    fn add(self, o: Expect) -> Expect {
        Expect {
            typical: self.typical + o.typical,
            cautious: self.cautious + o.cautious,
        }
    }
}

/// How long this stylist takes for one service: the median of their recent times (robust to
/// the odd interrupted or forgotten ticket) and their 80th percentile as the cautious figure;
/// the catalog duration while they have too little history.
pub fn service_time(catalog_minutes: u16, recent: &[u32]) -> Expect {
    if recent.len() < MIN_SAMPLES {
        let c = f64::from(catalog_minutes);
        return Expect {
            typical: c,
            cautious: c * CATALOG_MARGIN,
        };
    }
    let mut v: Vec<f64> = recent
        .iter()
        .rev()
        .take(MAX_SAMPLES)
        .map(|m| f64::from(*m))
        .collect();
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[(((v.len() - 1) as f64) * p).round() as usize];
    let typical = q(0.5);
    Expect {
        typical,
        cautious: q(0.8).max(typical),
    }
}

/// Adds a finished service's minutes to the recent samples, keeping the newest.
pub fn record_sample(samples: &mut Vec<u32>, minutes: u32) {
    samples.push(minutes);
    if samples.len() > MAX_SAMPLES {
        let extra = samples.len() - MAX_SAMPLES;
        samples.drain(..extra);
    }
}

/// One stylist's situation when a customer asks for a quote.
#[derive(Debug, Clone, Default)]
pub struct StylistLoad {
    /// Today's working hours; `None` means not working today.
    pub shift: Option<Interval>,
    /// The work in the chair: when it started and how long it is expected to take in all.
    pub current: Option<(DateTime<Utc>, Expect)>,
    /// Work already queued for this stylist, in order.
    pub queued: Vec<Expect>,
    /// Booked appointments still to come; they keep their time and walk-ins fit around them.
    pub appointments: Vec<Interval>,
}

/// A length in (fractional) minutes as a duration.
pub fn minutes(m: f64) -> Duration {
    Duration::seconds((m * 60.0).round() as i64)
}

/// The earliest time `len` fits from `t` without touching an appointment.
fn fit(mut t: DateTime<Utc>, len: Duration, appointments: &[Interval]) -> DateTime<Utc> {
    while let Some(a) = appointments
        .iter()
        .find(|a| a.overlaps(&Interval::new(t, t + len)))
    {
        t = a.end;
    }
    t
}

/// When the stylist could start `next`, reading every duration with `pick`.
fn start(
    load: &StylistLoad,
    now: DateTime<Utc>,
    next: Expect,
    pick: fn(Expect) -> f64,
) -> Option<DateTime<Utc>> {
    let shift = load.shift?;
    let mut t = now.max(shift.start);
    if let Some((started, e)) = load.current {
        let total = minutes(pick(e));
        // A service running over its expected time is nearly done, but not done: allow a little.
        let remaining =
            (started + total - now).max(minutes(pick(e) * 0.1).min(Duration::minutes(5)));
        t = t.max(now + remaining);
    }
    for q in &load.queued {
        let len = minutes(pick(*q));
        t = fit(t, len, &load.appointments) + len;
    }
    Some(fit(t, minutes(pick(next)), &load.appointments))
}

/// The wait to quote for `next` with this stylist, or `None` when they are not working or
/// could not finish it before their shift ends. The low end uses typical times; the high
/// end cautious ones, rounded outwards, so the quote errs long rather than short.
pub fn quote(load: &StylistLoad, now: DateTime<Utc>, next: Expect) -> Option<WaitRange> {
    let shift = load.shift?;
    let typical = start(load, now, next, |e| e.typical)?;
    if typical + minutes(next.typical) > shift.end {
        return None;
    }
    let cautious = start(load, now, next, |e| e.cautious)?.max(typical);
    let low = (typical - now).num_minutes().max(0);
    let high = (cautious - now).num_minutes().max(0);
    let low = low / ROUND_TO * ROUND_TO;
    let high = ((high + ROUND_TO - 1) / ROUND_TO * ROUND_TO).max(low + ROUND_TO);
    Some(WaitRange {
        low: low as u32,
        high: high as u32,
    })
}

/// When the stylist is next free for `next` (the rotation board's first key).
pub fn free_at(load: &StylistLoad, now: DateTime<Utc>, next: Expect) -> Option<DateTime<Utc>> {
    start(load, now, next, |e| e.typical)
}

/// How well quotes matched reality.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct Accuracy {
    pub tickets: usize,
    /// Mean absolute error of the quote's midpoint, in minutes.
    pub mae_minutes: f64,
    /// Share of customers who waited longer than the high end of their quote.
    pub under_quoted: f64,
    /// Share whose wait fell inside the quoted range.
    pub within_range: f64,
}

/// Accuracy over (quote, actual minutes waited) pairs.
pub fn accuracy(samples: impl IntoIterator<Item = (WaitRange, i64)>) -> Accuracy {
    let (mut n, mut err, mut under, mut within) = (0usize, 0.0, 0usize, 0usize);
    for (q, actual) in samples {
        n += 1;
        let mid = (f64::from(q.low) + f64::from(q.high)) / 2.0;
        err += (actual as f64 - mid).abs();
        under += usize::from(actual > i64::from(q.high));
        within += usize::from(actual >= i64::from(q.low) && actual <= i64::from(q.high));
    }
    if n == 0 {
        return Accuracy::default();
    }
    let n_f = n as f64;
    Accuracy {
        tickets: n,
        mae_minutes: err / n_f,
        under_quoted: under as f64 / n_f,
        within_range: within as f64 / n_f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0)
            .single()
            .expect("time")
    }
    fn e(typical: f64, cautious: f64) -> Expect {
        Expect { typical, cautious }
    }
    fn day() -> Option<Interval> {
        Some(Interval::new(t(2, 0), t(13, 0)))
    }

    #[test]
    fn learned_times_table() {
        let cases: &[(u16, &[u32], f64, f64)] = &[
            (45, &[], 45.0, 56.25),
            (45, &[30, 32], 45.0, 56.25),
            (45, &[30, 32, 34], 32.0, 34.0),
            (45, &[30, 31, 32, 33, 200], 32.0, 33.0), // one forgotten ticket does not move it
            (60, &[70, 72, 75, 80, 90], 75.0, 80.0),
        ];
        for (catalog, recent, typical, cautious) in cases {
            assert_eq!(
                service_time(*catalog, recent),
                e(*typical, *cautious),
                "{recent:?}"
            );
        }
        let mut s: Vec<u32> = (0..25).collect();
        record_sample(&mut s, 99);
        assert_eq!(s.len(), MAX_SAMPLES);
        assert_eq!(s.last(), Some(&99));
    }

    #[test]
    fn quote_table() {
        let now = t(4, 0);
        type Case = (&'static str, StylistLoad, Option<(u32, u32)>);
        let cases: Vec<Case> = vec![
            (
                "free now",
                StylistLoad {
                    shift: day(),
                    ..Default::default()
                },
                Some((0, 5)),
            ),
            ("not working", StylistLoad::default(), None),
            (
                "before shift",
                StylistLoad {
                    shift: Some(Interval::new(t(5, 0), t(13, 0))),
                    ..Default::default()
                },
                Some((60, 65)),
            ),
            (
                "in the chair, 20 of 40 min done",
                StylistLoad {
                    shift: day(),
                    current: Some((t(3, 40), e(40.0, 50.0))),
                    ..Default::default()
                },
                Some((20, 30)),
            ),
            (
                "overrunning: a little more, not zero",
                StylistLoad {
                    shift: day(),
                    current: Some((t(3, 0), e(40.0, 50.0))),
                    ..Default::default()
                },
                Some((0, 5)),
            ),
            (
                "two queued",
                StylistLoad {
                    shift: day(),
                    queued: vec![e(30.0, 40.0), e(30.0, 40.0)],
                    ..Default::default()
                },
                Some((60, 80)),
            ),
            (
                "an appointment in the way",
                StylistLoad {
                    shift: day(),
                    appointments: vec![Interval::new(t(4, 10), t(5, 0))],
                    ..Default::default()
                },
                Some((60, 60 + 5)),
            ),
            (
                "would end after the shift",
                StylistLoad {
                    shift: Some(Interval::new(t(2, 0), t(4, 20))),
                    ..Default::default()
                },
                None,
            ),
        ];
        for (name, load, want) in cases {
            let got = quote(&load, now, e(30.0, 40.0)).map(|w| (w.low, w.high));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn the_high_end_is_never_below_the_low_end() {
        let load = StylistLoad {
            shift: day(),
            queued: vec![e(33.0, 33.0)],
            ..Default::default()
        };
        let w = quote(&load, t(4, 0), e(20.0, 20.0)).expect("quote");
        assert!(w.high >= w.low + 5, "{w:?}");
    }

    #[test]
    fn accuracy_table() {
        let q = WaitRange { low: 10, high: 20 };
        let a = accuracy([(q, 15), (q, 25), (q, 5), (q, 20)]);
        assert_eq!(a.tickets, 4);
        assert_eq!(a.mae_minutes, (0.0 + 10.0 + 10.0 + 5.0) / 4.0);
        assert_eq!(a.under_quoted, 0.25);
        assert_eq!(a.within_range, 0.5);
        assert_eq!(accuracy([]), Accuracy::default());
    }
}
