//! The rotation board (轮牌, QUE-5): who takes the next walk-in that asked for no one.

use crate::StaffId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The manager's hand on the board for one stylist today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RotationAdjustment)]
pub struct Adjustment {
    /// Off the board for now (on a break, in training).
    #[serde(default)]
    pub paused: bool,
    /// Added to the walk-ins counted today: +1 moves a stylist back a turn, −1 forward.
    #[serde(default)]
    pub turns: i32,
}

/// One stylist's line on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RotationEntry {
    pub stylist: StaffId,
    /// When they could start a new walk-in.
    pub free_at: DateTime<Utc>,
    pub walk_ins_today: u32,
    pub last_assigned_at: Option<DateTime<Utc>>,
    pub adjustment: Adjustment,
}

/// The board in turn order: free soonest (to the minute; everyone free now ties), then
/// fewest walk-ins today (with the manager's adjustment), then assigned least recently.
/// Paused stylists are left out.
pub fn order(entries: &[RotationEntry], now: DateTime<Utc>) -> Vec<StaffId> {
    let mut v: Vec<&RotationEntry> = entries.iter().filter(|e| !e.adjustment.paused).collect();
    v.sort_by_key(|e| {
        let free = (e.free_at.max(now) - now).num_minutes();
        let turns = i64::from(e.walk_ins_today) + i64::from(e.adjustment.turns);
        (free, turns, e.last_assigned_at, e.stylist)
    });
    v.into_iter().map(|e| e.stylist).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0)
            .single()
            .expect("time")
    }
    fn entry(id: u64, free_in: i64, walk_ins: u32, last: Option<i64>) -> RotationEntry {
        RotationEntry {
            stylist: StaffId(id),
            free_at: now() + Duration::minutes(free_in),
            walk_ins_today: walk_ins,
            last_assigned_at: last.map(|m| now() - Duration::minutes(m)),
            adjustment: Adjustment::default(),
        }
    }

    #[test]
    fn order_table() {
        let cases: Vec<(&str, Vec<RotationEntry>, Vec<u64>)> = vec![
            (
                "free soonest first",
                vec![entry(1, 30, 0, None), entry(2, 0, 5, None)],
                vec![2, 1],
            ),
            (
                "all free: fewest walk-ins",
                vec![entry(1, -10, 3, None), entry(2, 0, 1, None)],
                vec![2, 1],
            ),
            (
                "same count: assigned least recently",
                vec![entry(1, 0, 2, Some(5)), entry(2, 0, 2, Some(50))],
                vec![2, 1],
            ),
            (
                "never assigned goes first",
                vec![entry(1, 0, 2, Some(50)), entry(2, 0, 2, None)],
                vec![2, 1],
            ),
        ];
        for (name, entries, want) in cases {
            assert_eq!(
                order(&entries, now()),
                want.into_iter().map(StaffId).collect::<Vec<_>>(),
                "{name}"
            );
        }
    }

    #[test]
    fn the_manager_adjusts_the_board() {
        let mut a = entry(1, 0, 1, None);
        let b = entry(2, 0, 2, None);
        assert_eq!(
            order(&[a.clone(), b.clone()], now()),
            vec![StaffId(1), StaffId(2)]
        );
        a.adjustment.turns = 2;
        assert_eq!(
            order(&[a.clone(), b.clone()], now()),
            vec![StaffId(2), StaffId(1)]
        );
        a.adjustment = Adjustment {
            paused: true,
            turns: 0,
        };
        assert_eq!(order(&[a, b], now()), vec![StaffId(2)]);
    }
}
