//! The queue display's model (QUE-4): who is called, who is in service, how many wait for
//! whom — from the live queue, with names masked for a screen everyone can see.

use salon_shared::api::{QueueEntry, QueueView, TicketState};

/// One line of the big screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: String,
    /// "王女士", or a first letter and stars for a name that is not a surname + title.
    pub name: String,
    pub stylist: String,
}

/// How many called numbers the big screen shows (the newest; older calls have been
/// answered or will be called again).
pub const CALLED_SHOWN: usize = 4;
/// How many chairs in service the side column lists.
pub const SERVING_SHOWN: usize = 8;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Board {
    /// Called to a chair, newest first.
    pub called: Vec<Line>,
    pub serving: Vec<Line>,
    pub waiting: usize,
    /// Waiting tickets per stylist, in the order stylists first appear in the queue.
    pub waiting_by_stylist: Vec<(String, usize)>,
}

/// A name safe for a shared screen: "王女士" stays (surname and title only); anything else
/// keeps its first character.
pub fn mask(greeting: &str) -> String {
    if greeting.ends_with("女士") || greeting.ends_with("先生") {
        return greeting.to_string();
    }
    match greeting.chars().next() {
        Some(c) => format!("{c}**"),
        None => String::new(),
    }
}

fn line(e: &QueueEntry) -> Line {
    Line {
        number: e.ticket.number.clone(),
        name: mask(&e.greeting),
        stylist: e.stylist_name.clone().unwrap_or_default(),
    }
}

pub fn board(q: &QueueView) -> Board {
    let mut called: Vec<&QueueEntry> = q
        .entries
        .iter()
        .filter(|e| e.ticket.state == TicketState::Called)
        .collect();
    called.sort_by_key(|e| std::cmp::Reverse(e.ticket.called_at));
    let mut b = Board {
        called: called.into_iter().take(CALLED_SHOWN).map(line).collect(),
        serving: q
            .entries
            .iter()
            .filter(|e| e.ticket.state == TicketState::InService)
            .take(SERVING_SHOWN)
            .map(line)
            .collect(),
        ..Board::default()
    };
    for e in q
        .entries
        .iter()
        .filter(|e| e.ticket.state == TicketState::Waiting)
    {
        b.waiting += 1;
        let name = e.stylist_name.clone().unwrap_or_default();
        match b.waiting_by_stylist.iter_mut().find(|(n, _)| *n == name) {
            Some((_, n)) => *n += 1,
            None => b.waiting_by_stylist.push((name, 1)),
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use salon_shared::api::{Ticket, TicketSource, WaitRange};
    use salon_shared::{CustomerId, StaffId};

    fn entry(
        number: &str,
        greeting: &str,
        stylist: &str,
        state: TicketState,
        called: i64,
    ) -> QueueEntry {
        let at = chrono::DateTime::from_timestamp(1_790_000_000 + called, 0).expect("time");
        QueueEntry {
            ticket: Ticket {
                id: 1,
                day: at.date_naive(),
                number: number.into(),
                customer_id: CustomerId(1),
                services: vec![],
                requested: None,
                stylist: Some(StaffId(1)),
                source: TicketSource::WalkIn,
                state,
                rank: 0,
                created_at: at,
                called_at: (state != TicketState::Waiting).then_some(at),
                started_at: None,
                finished_at: None,
                quoted: WaitRange { low: 0, high: 5 },
            },
            position: 0,
            greeting: greeting.into(),
            stylist_name: Some(stylist.into()),
            paid: false,
        }
    }

    #[test]
    fn names_are_masked() {
        assert_eq!(mask("王女士"), "王女士");
        assert_eq!(mask("欧阳先生"), "欧阳先生");
        assert_eq!(mask("Anna Smith"), "A**");
        assert_eq!(mask("张三丰"), "张**");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn the_board_groups_the_queue() {
        let q = QueueView {
            day: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
            entries: vec![
                entry("A001", "王女士", "Lily", TicketState::InService, 0),
                entry("A002", "Anna Smith", "Lily", TicketState::Called, 10),
                entry("A003", "李先生", "Max", TicketState::Called, 20),
                entry("A004", "赵女士", "Lily", TicketState::Waiting, 0),
                entry("A005", "钱先生", "Max", TicketState::Waiting, 0),
                entry("A006", "孙女士", "Lily", TicketState::Waiting, 0),
            ],
            waiting: 3,
            in_service: 1,
        };
        let b = board(&q);
        let numbers: Vec<&str> = b.called.iter().map(|l| l.number.as_str()).collect();
        assert_eq!(numbers, ["A003", "A002"], "newest call first");
        assert_eq!(b.called[1].name, "A**");
        assert_eq!(b.serving.len(), 1);
        assert_eq!(b.waiting, 3);
        assert_eq!(
            b.waiting_by_stylist,
            vec![("Lily".to_string(), 2), ("Max".to_string(), 1)]
        );
    }

    #[test]
    fn a_busy_saturday_fits_the_screen() {
        let entries = (0..20)
            .map(|i| {
                entry(
                    &format!("A{i:03}"),
                    "王女士",
                    "Lily",
                    TicketState::Called,
                    i,
                )
            })
            .chain((0..20).map(|i| entry("B001", "李先生", "Max", TicketState::InService, i)))
            .collect();
        let q = QueueView {
            day: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
            entries,
            waiting: 0,
            in_service: 20,
        };
        let b = board(&q);
        let numbers: Vec<&str> = b.called.iter().map(|l| l.number.as_str()).collect();
        assert_eq!(
            numbers,
            ["A019", "A018", "A017", "A016"],
            "the newest calls"
        );
        assert_eq!(b.serving.len(), SERVING_SHOWN);
    }
}
