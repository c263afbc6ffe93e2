//! Shifts and appointments (APT-1..3): working hours from a weekly template and per-day
//! exceptions, booking conflicts, and free slots. Times are instants (UTC); shift hours are
//! the store's local wall-clock times, turned into instants with the store's UTC offset.

use crate::{CustomerId, DomainError, ServiceId, StaffId};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A half-open span of time `[start, end)`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Interval {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Interval {
        Interval { start, end }
    }

    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
}

/// Working hours on one day, local wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DayHours {
    #[schema(value_type = String, example = "10:00:00")]
    pub start: NaiveTime,
    #[schema(value_type = String, example = "21:00:00")]
    pub end: NaiveTime,
}

impl DayHours {
    pub fn validate(self) -> Result<DayHours, DomainError> {
        if self.start >= self.end {
            return Err(DomainError::invalid(
                "hours",
                "a shift must end after it starts",
            ));
        }
        Ok(self)
    }

    /// These hours on `date` as instants, with the store's offset from UTC.
    pub fn on(self, date: NaiveDate, tz: FixedOffset) -> Option<Interval> {
        let start = tz
            .from_local_datetime(&date.and_time(self.start))
            .single()?;
        let end = tz.from_local_datetime(&date.and_time(self.end)).single()?;
        Some(Interval::new(
            start.with_timezone(&Utc),
            end.with_timezone(&Utc),
        ))
    }
}

/// A change to the template on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ShiftException {
    /// A day off or leave.
    Leave { date: NaiveDate },
    /// Different hours that day (extra hours on a day off, a late start, …).
    Hours { date: NaiveDate, hours: DayHours },
}

impl ShiftException {
    pub fn date(&self) -> NaiveDate {
        match self {
            ShiftException::Leave { date } | ShiftException::Hours { date, .. } => *date,
        }
    }
}

/// A stylist's roster: a weekly template (Monday first) plus dated exceptions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct Roster {
    /// Seven entries, Monday to Sunday; `null` is a day off.
    pub weekly: [Option<DayHours>; 7],
    #[serde(default)]
    pub exceptions: Vec<ShiftException>,
}

impl Roster {
    pub fn validate(self) -> Result<Roster, DomainError> {
        for d in self.weekly.iter().flatten() {
            d.validate()?;
        }
        if self.exceptions.len() > 400 {
            return Err(DomainError::invalid("exceptions", "at most 400 exceptions"));
        }
        for e in &self.exceptions {
            if let ShiftException::Hours { hours, .. } = e {
                hours.validate()?;
            }
        }
        Ok(self)
    }

    /// The hours worked on `date`: the last exception for that date wins over the template.
    pub fn hours_on(&self, date: NaiveDate) -> Option<DayHours> {
        match self.exceptions.iter().rev().find(|e| e.date() == date) {
            Some(ShiftException::Leave { .. }) => None,
            Some(ShiftException::Hours { hours, .. }) => Some(*hours),
            None => self.weekly[date.weekday().num_days_from_monday() as usize],
        }
    }

    pub fn shift_on(&self, date: NaiveDate, tz: FixedOffset) -> Option<Interval> {
        self.hours_on(date)?.on(date, tz)
    }
}

/// Why a booking cannot go where it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingConflict {
    /// The stylist does not work that day (day off or leave).
    NotWorking,
    /// The appointment would start before or end after the shift.
    OutsideShift(Interval),
    /// It overlaps another appointment (or a walk-in already in the chair).
    Overlaps(Interval),
}

impl BookingConflict {
    pub fn code(&self) -> &'static str {
        match self {
            BookingConflict::NotWorking => "stylist_not_working",
            BookingConflict::OutsideShift(_) => "outside_shift",
            BookingConflict::Overlaps(_) => "slot_taken",
        }
    }

    pub fn message(&self, tz: FixedOffset) -> String {
        let hm = |t: DateTime<Utc>| t.with_timezone(&tz).format("%H:%M").to_string();
        match self {
            BookingConflict::NotWorking => "the stylist does not work that day".into(),
            BookingConflict::OutsideShift(s) => format!(
                "outside the stylist's shift ({}–{})",
                hm(s.start),
                hm(s.end)
            ),
            BookingConflict::Overlaps(o) => {
                format!("the stylist is booked {}–{}", hm(o.start), hm(o.end))
            }
        }
    }
}

/// Checks that `want` fits in `shift` and overlaps none of `busy`.
pub fn check_booking(
    shift: Option<Interval>,
    busy: &[Interval],
    want: Interval,
) -> Result<(), BookingConflict> {
    let shift = shift.ok_or(BookingConflict::NotWorking)?;
    if !shift.contains(&want) {
        return Err(BookingConflict::OutsideShift(shift));
    }
    match busy.iter().find(|b| b.overlaps(&want)) {
        Some(b) => Err(BookingConflict::Overlaps(*b)),
        None => Ok(()),
    }
}

/// Every start time, on a `step` grid from the shift's start and not before `not_before`,
/// where `length` fits in the shift without touching `busy`.
pub fn free_slots(
    shift: Option<Interval>,
    busy: &[Interval],
    length: Duration,
    step: Duration,
    not_before: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let Some(shift) = shift else {
        return Vec::new();
    };
    if step <= Duration::zero() || length <= Duration::zero() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut t = shift.start;
    while t + length <= shift.end {
        let want = Interval::new(t, t + length);
        if t >= not_before && !busy.iter().any(|b| b.overlaps(&want)) {
            out.push(t);
        }
        t += step;
    }
    out
}

/// The `n` free starts closest to `want` (earlier or later), in time order.
pub fn nearest(free: &[DateTime<Utc>], want: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    let mut v: Vec<DateTime<Utc>> = free.to_vec();
    v.sort_by_key(|t| ((*t - want).num_seconds().abs(), *t));
    v.truncate(n);
    v.sort();
    v
}

/// Where an appointment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentState {
    Booked,
    /// The customer arrived and was checked in against it (CHK-4).
    CheckedIn,
    Cancelled,
    /// Not arrived by the start plus the grace period.
    NoShow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Appointment {
    pub id: u64,
    pub customer_id: CustomerId,
    pub stylist_id: StaffId,
    pub services: Vec<ServiceId>,
    pub start: DateTime<Utc>,
    /// Follows from the services' durations.
    pub end: DateTime<Utc>,
    pub state: AppointmentState,
    pub note: String,
    pub created_at: DateTime<Utc>,
    /// The queue ticket made when the customer checked in.
    pub ticket_id: Option<u64>,
}

impl Appointment {
    pub fn interval(&self) -> Interval {
        Interval::new(self.start, self.end)
    }

    /// Booked and not cancelled or missed: it holds the stylist's time.
    pub fn holds_time(&self) -> bool {
        matches!(
            self.state,
            AppointmentState::Booked | AppointmentState::CheckedIn
        )
    }
}

/// The longest appointment the store accepts; anything longer is a typo.
pub const MAX_APPOINTMENT: Duration = Duration::hours(10);
/// How far ahead bookings are taken.
pub const MAX_BOOKING_AHEAD_DAYS: i64 = 366;

#[cfg(test)]
mod tests {
    use super::*;

    fn tz() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).expect("offset")
    }
    fn t(h: u32, m: u32) -> DateTime<Utc> {
        tz().with_ymd_and_hms(2026, 11, 23, h, m, 0)
            .single()
            .expect("time")
            .with_timezone(&Utc)
    }
    fn hours(a: u32, b: u32) -> DayHours {
        DayHours {
            start: NaiveTime::from_hms_opt(a, 0, 0).expect("t"),
            end: NaiveTime::from_hms_opt(b, 0, 0).expect("t"),
        }
    }
    fn monday() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    #[test]
    fn roster_exceptions_override_the_template() {
        let mut r = Roster {
            weekly: [Some(hours(10, 20)), None, None, None, None, None, None],
            exceptions: vec![],
        };
        assert_eq!(r.hours_on(monday()), Some(hours(10, 20)));
        assert_eq!(r.hours_on(monday().succ_opt().expect("d")), None);
        r.exceptions.push(ShiftException::Leave { date: monday() });
        assert_eq!(r.hours_on(monday()), None);
        r.exceptions.push(ShiftException::Hours {
            date: monday(),
            hours: hours(12, 22),
        });
        assert_eq!(r.hours_on(monday()), Some(hours(12, 22)));
        assert_eq!(
            r.shift_on(monday(), tz()),
            Some(Interval::new(t(12, 0), t(22, 0)))
        );
        assert!(
            Roster {
                weekly: [Some(hours(20, 10)), None, None, None, None, None, None],
                exceptions: vec![]
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn booking_table() {
        let shift = Some(Interval::new(t(10, 0), t(20, 0)));
        let busy = [Interval::new(t(13, 0), t(14, 0))];
        let cases = [
            (None, (10, 0, 11, 0), Some("stylist_not_working")),
            (shift, (9, 30, 10, 30), Some("outside_shift")),
            (shift, (19, 30, 20, 30), Some("outside_shift")),
            (shift, (12, 30, 13, 30), Some("slot_taken")),
            (shift, (13, 59, 14, 30), Some("slot_taken")),
            (shift, (12, 0, 13, 0), None),
            (shift, (14, 0, 15, 0), None),
            (shift, (10, 0, 20, 0), Some("slot_taken")),
        ];
        for (s, (a, b, c, d), want) in cases {
            let got = check_booking(s, &busy, Interval::new(t(a, b), t(c, d)))
                .err()
                .map(|e| e.code());
            assert_eq!(got, want, "{a}:{b}-{c}:{d}");
        }
    }

    #[test]
    fn free_slots_skip_busy_time_and_the_past() {
        let shift = Some(Interval::new(t(10, 0), t(13, 0)));
        let busy = [Interval::new(t(11, 0), t(12, 0))];
        let free = free_slots(
            shift,
            &busy,
            Duration::minutes(60),
            Duration::minutes(30),
            t(10, 0),
        );
        assert_eq!(free, vec![t(10, 0), t(12, 0)]);
        let later = free_slots(
            shift,
            &busy,
            Duration::minutes(60),
            Duration::minutes(30),
            t(10, 15),
        );
        assert_eq!(later, vec![t(12, 0)]);
        assert_eq!(
            nearest(&[t(10, 0), t(12, 0), t(15, 0)], t(11, 45), 2),
            vec![t(10, 0), t(12, 0)]
        );
    }
}
