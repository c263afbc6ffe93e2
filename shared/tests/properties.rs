//! Property tests of the queue and scheduling rules: bookings never overlap and stay inside
//! shifts, tickets only make legal moves, quotes are well-formed and never shrink when work
//! is added, the rotation board is a permutation, and free slots are really free.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use chrono::{Timelike, Utc};
use proptest::prelude::*;
use salon_shared::StaffId;
use salon_shared::estimate::{self, Expect, StylistLoad};
use salon_shared::queue::{QueueAction, TicketState, transition};
use salon_shared::rotation::{self, Adjustment, RotationEntry};
use salon_shared::schedule::{self, BookingConflict, DayHours, Interval, Roster, ShiftException};

/// Working hours as (start, end) in minutes after local midnight, on a half-hour grid.
type Hours = Option<(i64, i64)>;

fn tz() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("offset")
}
fn monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
}
/// `m` minutes after local midnight of `date`, as an instant.
fn at(date: NaiveDate, m: i64) -> DateTime<Utc> {
    let midnight = tz().from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("time"));
    midnight.single().expect("fixed offset").with_timezone(&Utc) + Duration::minutes(m)
}
fn day_hours((a, b): (i64, i64)) -> DayHours {
    let t = |m: i64| NaiveTime::from_hms_opt((m / 60) as u32, (m % 60) as u32, 0).expect("time");
    DayHours {
        start: t(a),
        end: t(b),
    }
}

/// Hours from 06:00 to 23:30 at the latest; some days off.
fn hours() -> impl Strategy<Value = Hours> {
    let span = (12i64..36).prop_flat_map(|a| (Just(a), a + 1..=47));
    prop::option::weighted(0.8, span.prop_map(|(a, b)| (a * 30, b * 30)))
}

/// A stylist's roster: a weekly template and a few dated exceptions in the week of `monday`.
fn roster() -> impl Strategy<Value = Roster> {
    let exception = (0u64..7, hours()).prop_map(|(d, h)| {
        let date = monday() + chrono::Days::new(d);
        match h {
            None => ShiftException::Leave { date },
            Some(h) => ShiftException::Hours {
                date,
                hours: day_hours(h),
            },
        }
    });
    (
        prop::array::uniform7(hours()),
        prop::collection::vec(exception, 0..4),
    )
        .prop_map(|(week, exceptions)| Roster {
            weekly: week.map(|h| h.map(day_hours)),
            exceptions,
        })
}

/// The hours the roster should give on `date`, worked out independently of `hours_on`: the
/// last exception for the date wins, otherwise the template's weekday.
fn expected_hours(r: &Roster, date: NaiveDate) -> Hours {
    let minutes = |h: DayHours| {
        let m = |t: NaiveTime| i64::from(t.num_seconds_from_midnight() / 60);
        (m(h.start), m(h.end))
    };
    let exception = r.exceptions.iter().rfind(|e| e.date() == date);
    match exception {
        Some(ShiftException::Leave { .. }) => None,
        Some(ShiftException::Hours { hours, .. }) => Some(minutes(*hours)),
        None => r.weekly[date.weekday().num_days_from_monday() as usize].map(minutes),
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Book `stylist` from `start` (minutes after midnight) for `len` minutes.
    Book {
        stylist: usize,
        start: i64,
        len: i64,
    },
    /// Move the `pick`-th accepted booking (wrapping) to a new time and length.
    Move { pick: usize, start: i64, len: i64 },
    /// Cancel the `pick`-th accepted booking (wrapping).
    Cancel { pick: usize },
}

fn op() -> impl Strategy<Value = Op> {
    // Starts on a 5-minute grid from 05:00, so that many fall inside a shift and some
    // outside; lengths of 15 minutes to 4 hours. Booking is the commonest move.
    let when = ((60i64..288).prop_map(|s| s * 5), 15i64..=240);
    let book = (0usize..3, when.clone());
    let book = book.prop_map(|(stylist, (start, len))| Op::Book {
        stylist,
        start,
        len,
    });
    let shift = (any::<usize>(), when);
    let shift = shift.prop_map(|(pick, (start, len))| Op::Move { pick, start, len });
    let cancel = any::<usize>().prop_map(|pick| Op::Cancel { pick });
    prop_oneof![4 => book, 2 => shift, 1 => cancel]
}

/// Asks `check_booking` about `want` (minutes) for a stylist with `hours` and `others`, and
/// checks its answer against the rule worked out by hand, in the same order of precedence:
/// not working, then outside the shift, then an overlap with one of `others`.
fn check(date: NaiveDate, hours: Hours, others: &[(i64, i64)], want: (i64, i64)) -> bool {
    let iv = |(a, b): (i64, i64)| Interval::new(at(date, a), at(date, b));
    let busy: Vec<Interval> = others.iter().copied().map(iv).collect();
    let got = schedule::check_booking(hours.map(iv), &busy, iv(want));
    let (ok, clashes) = (got.is_ok(), |b: &(i64, i64)| b.0 < want.1 && want.0 < b.1);
    match (hours, got) {
        (None, got) => assert_eq!(got, Err(BookingConflict::NotWorking)),
        (Some(h), got) if want.0 < h.0 || want.1 > h.1 => {
            assert_eq!(got, Err(BookingConflict::OutsideShift(iv(h))));
        }
        (Some(_), Err(BookingConflict::Overlaps(b))) => {
            let named = others.iter().copied().filter(clashes).map(iv);
            assert!(
                named.clone().any(|c| c == b),
                "{b:?} is no clash with {want:?}"
            );
        }
        (Some(_), got) => assert_eq!(got.is_ok(), !others.iter().any(clashes), "{want:?}"),
    }
    ok
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a) Bookings accepted only when `check_booking` says so never overlap and stay
    /// inside the shift, through bookings, moves and cancellations; refusals are real.
    #[test]
    fn accepted_bookings_never_overlap(
        rosters in prop::array::uniform3(roster()),
        day in 0u64..7,
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let date = monday() + chrono::Days::new(day);
        let hours: Vec<Hours> = rosters.iter().map(|r| expected_hours(r, date)).collect();
        for (r, h) in rosters.iter().zip(&hours) {
            let iv = h.map(|(a, b)| Interval::new(at(date, a), at(date, b)));
            prop_assert_eq!(r.shift_on(date, tz()), iv);
        }
        let mut accepted: Vec<Vec<(i64, i64)>> = vec![Vec::new(); 3];
        for op in ops {
            match op {
                Op::Book { stylist, start, len } => {
                    let want = (start, start + len);
                    if check(date, hours[stylist], &accepted[stylist], want) {
                        accepted[stylist].push(want);
                    }
                }
                Op::Move { pick, start, len } => {
                    let Some((s, i)) = nth(&accepted, pick) else { continue };
                    // A moved booking is checked against the stylist's other bookings only.
                    let old = accepted[s].remove(i);
                    let want = (start, start + len);
                    let ok = check(date, hours[s], &accepted[s], want);
                    accepted[s].insert(i, if ok { want } else { old });
                }
                Op::Cancel { pick } => {
                    if let Some((s, i)) = nth(&accepted, pick) {
                        accepted[s].remove(i);
                    }
                }
            }
            for (mine, h) in accepted.iter().zip(&hours) {
                for (i, a) in mine.iter().enumerate() {
                    let inside = h.is_some_and(|(open, close)| open <= a.0 && a.1 <= close);
                    prop_assert!(inside, "{a:?} outside {h:?}");
                    for b in &mine[i + 1..] {
                        prop_assert!(a.1 <= b.0 || b.1 <= a.0, "{a:?} overlaps {b:?}");
                    }
                }
            }
        }
    }
}

/// The `pick`-th accepted booking over all stylists, wrapping: (stylist, index).
fn nth(accepted: &[Vec<(i64, i64)>], pick: usize) -> Option<(usize, usize)> {
    let all: Vec<(usize, usize)> = accepted
        .iter()
        .enumerate()
        .flat_map(|(s, v)| (0..v.len()).map(move |i| (s, i)))
        .collect();
    (!all.is_empty()).then(|| all[pick % all.len()])
}

/// The ticket state machine as QUE-1 states it: a ticket still in the queue may be called
/// (again), started, marked a no-show or marked as having left; only one in the chair may be
/// finished; nothing else is allowed.
fn legal(from: TicketState, action: QueueAction) -> Option<TicketState> {
    use QueueAction as A;
    match action {
        A::Finish => (from == TicketState::InService).then_some(TicketState::Done),
        _ if !from.is_queued() => None,
        A::Call => Some(TicketState::Called),
        A::Start => Some(TicketState::InService),
        A::NoShow => Some(TicketState::NoShow),
        A::Left => Some(TicketState::Left),
    }
}

fn action() -> impl Strategy<Value = QueueAction> {
    prop::sample::select(QueueAction::ALL.to_vec())
}

const STATES: [TicketState; 6] = [
    TicketState::Waiting,
    TicketState::Called,
    TicketState::InService,
    TicketState::Done,
    TicketState::NoShow,
    TicketState::Left,
];

fn expect() -> impl Strategy<Value = Expect> {
    (5.0f64..120.0, 1.0f64..1.8).prop_map(|(typical, k)| Expect {
        typical,
        cautious: typical * k,
    })
}

/// A stylist's situation at `now()`: maybe a shift, maybe someone in the chair, a queue and
/// bookings, all at random offsets (bookings may even overlap each other).
fn load() -> impl Strategy<Value = StylistLoad> {
    let shift = prop::option::weighted(0.9, (-480i64..120, 300i64..900));
    let current = prop::option::of((0i64..300, expect()));
    let queued = prop::collection::vec(expect(), 0..6);
    let appointments = prop::collection::vec((-120i64..720, 5i64..240), 0..5);
    (shift, current, queued, appointments).prop_map(|(shift, current, queued, appts)| {
        let span = |(a, len): (i64, i64)| Interval::new(now() + mins(a), now() + mins(a + len));
        StylistLoad {
            shift: shift.map(span),
            current: current.map(|(ago, e)| (now() - mins(ago), e)),
            queued,
            appointments: appts.into_iter().map(span).collect(),
        }
    })
}

fn now() -> DateTime<Utc> {
    at(monday(), 14 * 60 + 7)
}
fn mins(m: i64) -> Duration {
    Duration::minutes(m)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (b) Through any sequence of actions a ticket changes state only by a legal move;
    /// refusals name the state it is in; a closed ticket never changes again; Done is only
    /// ever reached from InService.
    #[test]
    fn tickets_only_make_legal_moves(
        start in prop::sample::select(STATES.to_vec()),
        actions in prop::collection::vec(action(), 0..30),
    ) {
        let mut state = start;
        let mut served = state == TicketState::InService;
        for action in actions {
            let terminal = !state.is_open();
            match transition(state, action) {
                Ok(next) => {
                    prop_assert_eq!(Some(next), legal(state, action));
                    prop_assert!(!terminal, "{:?} left a closed state by {:?}", state, action);
                    if next == TicketState::Done {
                        prop_assert!(served, "Done without being served");
                    }
                    state = next;
                }
                Err(e) => {
                    prop_assert_eq!(legal(state, action), None);
                    prop_assert_eq!((e.from, e.action), (state, action.as_str()));
                }
            }
            served |= state == TicketState::InService;
        }
    }

    /// (c) Quotes are ranges of at least five minutes on a five-minute grid, and one more job
    /// queued anywhere never makes the quote earlier (or makes an impossible one possible).
    #[test]
    fn quotes_are_well_formed_and_grow_with_the_queue(
        load in load(),
        next in expect(),
        extra in expect(),
        at_place in any::<usize>(),
    ) {
        let before = estimate::quote(&load, now(), next);
        if let Some(w) = before {
            prop_assert!(w.high >= w.low + 5 && w.low % 5 == 0 && w.high % 5 == 0, "{:?}", w);
        }
        let mut more = load.clone();
        more.queued.insert(at_place % (load.queued.len() + 1), extra);
        match (before, estimate::quote(&more, now(), next)) {
            (None, after) => prop_assert_eq!(after, None),
            (Some(_), None) => {}
            (Some(b), Some(a)) => {
                prop_assert!(a.low >= b.low && a.high >= b.high, "{:?} then {:?}", b, a);
            }
        }
    }

    /// (c) The rotation board lists every stylist not paused, each exactly once, free
    /// soonest first.
    #[test]
    fn rotation_is_a_permutation_of_the_stylists_on_the_board(
        lines in prop::collection::vec(
            (-60i64..240, 0u32..10, prop::option::of(0i64..300), any::<bool>(), -3i32..3),
            0..10,
        ),
    ) {
        let entries: Vec<RotationEntry> = lines
            .iter()
            .enumerate()
            .map(|(i, &(free, walk_ins, last, paused, turns))| RotationEntry {
                stylist: StaffId(i as u64 * 7 % 11 + 1),
                free_at: now() + mins(free),
                walk_ins_today: walk_ins,
                last_assigned_at: last.map(|m| now() - mins(m)),
                adjustment: Adjustment { paused, turns },
            })
            .collect();
        let order = rotation::order(&entries, now());
        let mut got = order.clone();
        let on_board = entries.iter().filter(|e| !e.adjustment.paused);
        let mut want: Vec<StaffId> = on_board.map(|e| e.stylist).collect();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
        let free = |id: &StaffId| {
            let e = entries.iter().find(|e| e.stylist == *id).expect("listed");
            (e.free_at.max(now()) - now()).num_minutes()
        };
        prop_assert!(order.windows(2).all(|w| free(&w[0]) <= free(&w[1])));
    }

    /// (d) Every free slot is on the grid, not too early, and accepted by `check_booking`;
    /// and every grid start that `check_booking` accepts is offered.
    #[test]
    fn free_slots_are_exactly_the_bookable_grid_starts(
        shift in prop::option::weighted(0.9, (-300i64..300, 0i64..900)),
        busy in prop::collection::vec((-300i64..1200, 1i64..120), 0..5),
        length in 1i64..200,
        step in 1i64..90,
        not_before in -400i64..1000,
    ) {
        let span = |(a, len): (i64, i64)| Interval::new(now() + mins(a), now() + mins(a + len));
        let (shift, busy) = (shift.map(span), busy.into_iter().map(span).collect::<Vec<_>>());
        let not_before = now() + mins(not_before);
        let slots = schedule::free_slots(shift, &busy, mins(length), mins(step), not_before);
        let bookable = |t: DateTime<Utc>| {
            let want = Interval::new(t, t + mins(length));
            t >= not_before && schedule::check_booking(shift, &busy, want).is_ok()
        };
        prop_assert!(slots.windows(2).all(|w| w[0] < w[1]), "not in order");
        for t in &slots {
            let s = shift.expect("no slots without a shift");
            prop_assert_eq!((*t - s.start).num_minutes() % step, 0, "off the grid");
            prop_assert!(bookable(*t), "{} is not bookable", t);
        }
        if let Some(s) = shift {
            let grid = (0..).map(|k| s.start + mins(k * step)).take_while(|t| *t <= s.end);
            for t in grid.filter(|t| bookable(*t)) {
                prop_assert!(slots.contains(&t), "{} bookable but not offered", t);
            }
        }
    }
}
