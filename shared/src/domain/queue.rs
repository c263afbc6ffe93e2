//! The live queue (QUE-1/3): tickets and the only legal moves between their states.

use crate::{CustomerId, ServiceId, StaffId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    Waiting,
    /// Called to the chair, not yet started.
    Called,
    InService,
    Done,
    NoShow,
    /// Left before being served.
    Left,
}

impl TicketState {
    /// Still in the queue (waiting or called) — it holds a place and a stylist's time.
    pub fn is_queued(self) -> bool {
        matches!(self, TicketState::Waiting | TicketState::Called)
    }

    pub fn is_open(self) -> bool {
        self.is_queued() || self == TicketState::InService
    }
}

/// What a stylist or the front desk does to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueAction {
    Call,
    Start,
    Finish,
    NoShow,
    Left,
}

impl QueueAction {
    pub const ALL: [QueueAction; 5] = [
        QueueAction::Call,
        QueueAction::Start,
        QueueAction::Finish,
        QueueAction::NoShow,
        QueueAction::Left,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueAction::Call => "call",
            QueueAction::Start => "start",
            QueueAction::Finish => "finish",
            QueueAction::NoShow => "no_show",
            QueueAction::Left => "left",
        }
    }
}

/// Refused moves say what state the ticket is in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a ticket that is {from:?}")]
pub struct IllegalMove {
    pub from: TicketState,
    pub action: &'static str,
}

/// The state machine: the only legal moves.
pub fn transition(from: TicketState, action: QueueAction) -> Result<TicketState, IllegalMove> {
    use QueueAction as A;
    use TicketState as S;
    let to = match (from, action) {
        (S::Waiting | S::Called, A::Call) => S::Called,
        (S::Waiting | S::Called, A::Start) => S::InService,
        (S::InService, A::Finish) => S::Done,
        (S::Waiting | S::Called, A::NoShow) => S::NoShow,
        (S::Waiting | S::Called, A::Left) => S::Left,
        _ => {
            return Err(IllegalMove {
                from,
                action: action.as_str(),
            });
        }
    };
    Ok(to)
}

/// A quoted wait, in whole minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaitRange {
    pub low: u32,
    pub high: u32,
}

/// How the customer came to be in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TicketSource {
    WalkIn,
    Appointment { id: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ticket {
    pub id: u64,
    /// The store-local day the ticket belongs to.
    pub day: NaiveDate,
    /// Short number called out and shown on screens, per day: A001, A002 … (B for bookings).
    pub number: String,
    pub customer_id: CustomerId,
    pub services: Vec<ServiceId>,
    /// The stylist the customer asked for (点钟), if any.
    pub requested: Option<StaffId>,
    /// Who will serve them (the requested one, or the rotation's pick).
    pub stylist: Option<StaffId>,
    pub source: TicketSource,
    pub state: TicketState,
    /// Order among waiting tickets (smaller first); the front desk reorders by changing it.
    pub rank: i64,
    pub created_at: DateTime<Utc>,
    pub called_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The wait quoted at check-in, kept to measure the estimate (QUE-2).
    pub quoted: WaitRange,
}

impl Ticket {
    /// Minutes waited from check-in to the start of service, once started.
    pub fn actual_wait(&self) -> Option<i64> {
        self.started_at.map(|s| minutes_waited(self.created_at, s))
    }
}

/// Whole minutes from check-in to the start of service.
pub fn minutes_waited(checked_in: DateTime<Utc>, started: DateTime<Utc>) -> i64 {
    (started - checked_in).num_minutes().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use QueueAction as A;
    use TicketState as S;

    #[test]
    fn transition_table() {
        let all = [
            S::Waiting,
            S::Called,
            S::InService,
            S::Done,
            S::NoShow,
            S::Left,
        ];
        let legal = [
            (S::Waiting, A::Call, S::Called),
            (S::Called, A::Call, S::Called),
            (S::Waiting, A::Start, S::InService),
            (S::Called, A::Start, S::InService),
            (S::InService, A::Finish, S::Done),
            (S::Waiting, A::NoShow, S::NoShow),
            (S::Called, A::NoShow, S::NoShow),
            (S::Waiting, A::Left, S::Left),
            (S::Called, A::Left, S::Left),
        ];
        for from in all {
            for action in QueueAction::ALL {
                let want = legal
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                assert_eq!(transition(from, action).ok(), want, "{from:?} {action:?}");
            }
        }
    }

    #[test]
    fn finishing_a_ticket_never_started_is_refused() {
        let e = transition(S::Waiting, A::Finish).expect_err("illegal");
        assert_eq!(e.to_string(), "cannot finish a ticket that is Waiting");
    }
}
