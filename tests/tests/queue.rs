//! The walk-in queue end to end (QUE-1..5, CHK-3/5/8): check-in by phone, card or on-the-spot
//! registration, the only legal ticket moves, requested stylist (点钟) against next available
//! (轮钟), the rotation board (轮牌) and the manager's hand on it, honest and learned waits,
//! reordering and reassigning, the kiosk's limits, retried check-ins and balks.

mod common;

use chrono::{Duration as Minutes, Utc};
use common::*;
use salon_shared::api::{
    Adjustment, BalkRequest, CheckInCustomer, CheckInResponse, DayHours, IssueCard, PeriodQuery,
    QueueAction, QueueEntry, QueueQuery, QueueView, ShiftException, StaffInput, Ticket,
    TicketSource, TicketState, WaitRange,
};
use salon_shared::client::{Client, Live};
use salon_shared::{Gender, Role, ServiceCategory, ServiceId, StaffId};
use salon_tests::TestServer;
use std::time::Duration;
use store_server::store::tables;
use store_server::store::{Actor, StoreError};

const CUT: ServiceCategory = ServiceCategory::CutStyle;
const COLOUR: ServiceCategory = ServiceCategory::Colour;

/// The next event of `kind` about `entity_id` within 2 s, skipping unrelated ones; its seq.
async fn expect_event(
    rx: &mut tokio::sync::mpsc::Receiver<Live>,
    kind: &str,
    entity_id: u64,
) -> u64 {
    let id = entity_id.to_string();
    let wait = async {
        loop {
            match rx.recv().await {
                Some(Live::Event(e)) if e.kind == kind && e.entity_id == id => return e.seq,
                Some(Live::Event(_)) | Some(Live::Connected) => {}
                other => panic!("subscription ended or resynced: {other:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(2), wait)
        .await
        .unwrap_or_else(|_| panic!("no {kind} event for {entity_id} within 2 s"))
}

async fn connected(rx: &mut tokio::sync::mpsc::Receiver<Live>) {
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("connects within 5 s");
    assert_eq!(first, Some(Live::Connected));
}

/// Today's queue with closed tickets, as the front desk sees it.
async fn whole_queue(c: &Client) -> QueueView {
    c.queue(&QueueQuery {
        stylist: None,
        include_closed: true,
    })
    .await
    .expect("queue")
}

fn entry(q: &QueueView, ticket: u64) -> QueueEntry {
    q.entries
        .iter()
        .find(|e| e.ticket.id == ticket)
        .cloned()
        .unwrap_or_else(|| panic!("ticket {ticket} not in the queue: {q:?}"))
}

/// The waiting line of one stylist: ticket ids in position order, with their positions.
async fn line(c: &Client, stylist: StaffId) -> Vec<(u64, u32)> {
    let q = c
        .queue(&QueueQuery {
            stylist: Some(stylist.0),
            include_closed: false,
        })
        .await
        .expect("queue");
    let mut v: Vec<(u64, u32)> = q
        .entries
        .iter()
        .filter(|e| e.ticket.state == TicketState::Waiting)
        .map(|e| (e.ticket.id, e.position))
        .collect();
    v.sort_by_key(|(_, p)| *p);
    v
}

async fn serve_fully(c: &Client, ticket: u64) {
    for a in [QueueAction::Call, QueueAction::Start, QueueAction::Finish] {
        c.queue_move(ticket, a).await.expect("legal move");
    }
}

/// Moves a ticket's check-in and start back by `minutes`, as if that much time had passed
/// since (the test cannot wait half an hour for a haircut).
async fn backdate(srv: &TestServer, ticket: u64, minutes: i64) {
    srv.state
        .writer
        .write(Actor::system("test clock"), None, move |tx| {
            let mut t: Ticket = tx.get(&tables::TICKETS, ticket)?.expect("ticket exists");
            t.created_at -= Minutes::minutes(minutes);
            t.started_at = t.started_at.map(|s| s - Minutes::minutes(minutes));
            tx.put(&tables::TICKETS, ticket, &t)?;
            Ok::<_, StoreError>(())
        })
        .await
        .expect("ticket backdated");
}

fn wait_of(q: &salon_shared::api::QuoteResponse, stylist: StaffId) -> WaitRange {
    q.stylists
        .iter()
        .find(|s| s.stylist == stylist)
        .unwrap_or_else(|| panic!("stylist {stylist} not quoted: {q:?}"))
        .wait
}

#[track_caller]
fn assert_honest(w: WaitRange) {
    assert!(
        w.high >= w.low + 5,
        "a quote is a range at least 5 minutes wide: {w:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_in_call_start_finish_is_seen_live_by_other_devices() {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 30).await;
    let s = stylist(&srv, "Tony 老师", &[CUT]).await;
    let desk = srv.client(Role::FrontDesk).await;
    let chair = srv.client(Role::Stylist).await;
    let mut rx = chair.subscribe();
    connected(&mut rx).await;
    let (wang, wang_phone) = walk_in_customer(&srv, "王芳").await;
    let (_li, li_phone) = walk_in_customer(&srv, "李娜").await;

    let first = desk
        .check_in(&check_in(by_phone(&wang_phone), &[cut], None), None)
        .await
        .expect("checked in");
    let seq_in = expect_event(&mut rx, "queue.checked_in", first.ticket.id).await;
    assert_eq!(first.ticket.number, "A001");
    assert_eq!(first.ticket.day, today(&srv));
    assert_eq!(first.ticket.state, TicketState::Waiting);
    assert_eq!(first.ticket.customer_id, wang.id);
    assert_eq!(first.ticket.stylist, Some(s));
    assert_eq!(first.ticket.requested, None, "nobody was asked for");
    assert_eq!(first.ticket.source, TicketSource::WalkIn);
    assert_eq!(first.position, 1);
    assert_eq!(first.stylist_name.as_deref(), Some("Tony 老师"));
    assert_eq!(first.customer.greeting, "王女士");
    assert_eq!(first.appointment_id, None);
    assert_eq!(
        first.wait, first.ticket.quoted,
        "the quote shown is the one kept"
    );
    assert_honest(first.wait);

    let second = desk
        .check_in(&check_in(by_phone(&li_phone), &[cut], Some(s)), None)
        .await
        .expect("checked in");
    expect_event(&mut rx, "queue.checked_in", second.ticket.id).await;
    assert_eq!(second.ticket.number, "A002");
    assert_eq!(second.position, 2, "behind 王女士 for the same stylist");
    assert_honest(second.wait);
    assert!(
        second.wait.low >= first.wait.low + 30,
        "the second customer waits for the first one's 30-minute cut: {:?} then {:?}",
        first.wait,
        second.wait
    );

    let mut last = seq_in;
    let called = chair
        .queue_move(first.ticket.id, QueueAction::Call)
        .await
        .expect("call");
    assert_eq!(called.state, TicketState::Called);
    assert!(called.called_at.is_some());
    let seq = expect_event(&mut rx, "queue.changed", first.ticket.id).await;
    assert!(seq > last, "events in order: {last} then {seq}");
    last = seq;
    let q = whole_queue(&desk).await;
    assert_eq!(
        entry(&q, first.ticket.id).position,
        0,
        "called: no longer in line"
    );
    assert_eq!(entry(&q, second.ticket.id).position, 1, "now next in line");

    let started = chair
        .queue_move(first.ticket.id, QueueAction::Start)
        .await
        .expect("start");
    assert_eq!(started.state, TicketState::InService);
    assert!(started.started_at.is_some());
    let seq = expect_event(&mut rx, "queue.changed", first.ticket.id).await;
    assert!(seq > last, "events in order: {last} then {seq}");
    last = seq;
    let q = whole_queue(&desk).await;
    assert_eq!((q.waiting, q.in_service), (1, 1));
    assert_eq!(
        q.entries[0].ticket.id, first.ticket.id,
        "the chair is listed first"
    );

    let done = chair
        .queue_move(first.ticket.id, QueueAction::Finish)
        .await
        .expect("finish");
    assert_eq!(done.state, TicketState::Done);
    assert!(done.finished_at.is_some());
    let seq = expect_event(&mut rx, "queue.changed", first.ticket.id).await;
    assert!(seq > last, "events in order: {last} then {seq}");

    let open = desk.queue(&QueueQuery::default()).await.expect("queue");
    assert_eq!(open.day, today(&srv));
    assert_eq!((open.waiting, open.in_service), (1, 0));
    assert!(
        open.entries.iter().all(|e| e.ticket.id != first.ticket.id),
        "closed tickets are hidden by default"
    );
    let all = whole_queue(&desk).await;
    assert_eq!(entry(&all, first.ticket.id).ticket.state, TicketState::Done);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn illegal_moves_are_refused_and_change_nothing() {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 30).await;
    let s = stylist(&srv, "Tony", &[CUT]).await;
    let desk = srv.client(Role::FrontDesk).await;
    let mut tickets = Vec::new();
    for name in ["王芳", "李娜", "张伟"] {
        let (_, p) = walk_in_customer(&srv, name).await;
        let r = desk
            .check_in(&check_in(by_phone(&p), &[cut], Some(s)), None)
            .await
            .expect("check-in");
        tickets.push(r.ticket.id);
    }
    let (waiting, done, left) = (tickets[0], tickets[1], tickets[2]);
    serve_fully(&desk, done).await;
    desk.queue_move(left, QueueAction::Left)
        .await
        .expect("left");
    let before = whole_queue(&desk).await;

    assert_err(
        desk.queue_move(waiting, QueueAction::Finish).await,
        409,
        "illegal_move",
    );
    assert_err(
        desk.queue_move(done, QueueAction::Start).await,
        409,
        "illegal_move",
    );
    assert_err(
        desk.queue_move(done, QueueAction::NoShow).await,
        409,
        "illegal_move",
    );
    assert_err(
        desk.queue_move(left, QueueAction::Call).await,
        409,
        "illegal_move",
    );
    assert_err(
        desk.queue_move(left, QueueAction::Start).await,
        409,
        "illegal_move",
    );
    assert_err(desk.reorder(done, 1).await, 409, "illegal_move");
    assert_err(
        desk.queue_move(999_999, QueueAction::Call).await,
        404,
        "not_found",
    );

    let after = whole_queue(&desk).await;
    for id in [waiting, done, left] {
        assert_eq!(
            entry(&after, id).ticket,
            entry(&before, id).ticket,
            "ticket {id} untouched"
        );
    }
    assert_eq!(entry(&after, waiting).ticket.state, TicketState::Waiting);
    assert_eq!(entry(&after, done).ticket.state, TicketState::Done);
    assert_eq!(entry(&after, left).ticket.state, TicketState::Left);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requested_stylist_or_next_available_among_those_who_can() {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 30).await;
    let colour = offer(&srv, "染发", COLOUR, 60).await;
    let a = stylist(&srv, "阿杰 cut", &[CUT]).await;
    let b = stylist(&srv, "Bella cut+colour", &[CUT, COLOUR]).await;
    let c = stylist(&srv, "Coco colour", &[COLOUR]).await;
    let off = hire(&srv, "Dora not rostered", &[CUT]).await;
    let desk = srv.client(Role::FrontDesk).await;
    let ids = |q: &salon_shared::api::QuoteResponse| {
        let mut v: Vec<StaffId> = q.stylists.iter().map(|s| s.stylist).collect();
        v.sort();
        v
    };

    let q = desk.quote(&[cut]).await.expect("quote");
    assert_eq!(
        ids(&q),
        vec![a, b],
        "everyone who cuts and works today, nobody else: {q:?}"
    );
    for sq in &q.stylists {
        assert_eq!(sq.wait.low, 0, "all free now: {sq:?}");
        assert_honest(sq.wait);
        assert!(!sq.name.is_empty());
    }
    let next = q.next_available.clone().expect("someone is free");
    assert!([a, b].contains(&next.stylist));
    assert_eq!(
        ids(&desk.quote(&[cut, colour]).await.expect("quote")),
        vec![b],
        "only Bella does both"
    );
    let qc = desk.quote(&[colour]).await.expect("quote");
    assert_eq!(ids(&qc), vec![b, c]);
    assert!(
        qc.next_available
            .is_some_and(|n| [b, c].contains(&n.stylist))
    );
    assert_err(desk.quote(&[]).await, 422, "services_invalid");
    assert_err(
        desk.quote(&[ServiceId(9_999)]).await,
        422,
        "service_unknown",
    );

    let (_, p1) = walk_in_customer(&srv, "王芳").await;
    for who in [c, off, StaffId(9_999)] {
        assert_err(
            desk.check_in(&check_in(by_phone(&p1), &[cut], Some(who)), None)
                .await,
            409,
            "stylist_unavailable",
        );
    }
    assert_eq!(
        whole_queue(&desk).await.entries.len(),
        0,
        "a refused check-in leaves no ticket"
    );

    let asked = desk
        .check_in(&check_in(by_phone(&p1), &[cut], Some(a)), None)
        .await
        .expect("点钟");
    assert_eq!(asked.ticket.requested, Some(a));
    assert_eq!(asked.ticket.stylist, Some(a));
    assert_eq!(asked.stylist_name.as_deref(), Some("阿杰 cut"));

    // 阿杰 is now busy with 王女士: next available is Bella, and the check-in gets what the
    // quote promised.
    let q = desk.quote(&[cut]).await.expect("quote");
    let next = q.next_available.clone().expect("someone is free");
    assert_eq!(next.stylist, b, "the free stylist goes first: {q:?}");
    assert!(
        wait_of(&q, a).low >= 30,
        "阿杰 has a 30-minute cut ahead: {q:?}"
    );
    let (_, p2) = walk_in_customer(&srv, "李娜").await;
    let rotated = desk
        .check_in(&check_in(by_phone(&p2), &[cut], None), None)
        .await
        .expect("轮钟");
    assert_eq!(rotated.ticket.requested, None);
    assert_eq!(rotated.ticket.stylist, Some(next.stylist));
    assert_eq!(rotated.wait, next.wait);
    assert_eq!(rotated.position, 1);

    let (_, p3) = walk_in_customer(&srv, "赵敏").await;
    let both = desk
        .check_in(&check_in(by_phone(&p3), &[cut, colour], None), None)
        .await
        .expect("check-in");
    assert_eq!(
        both.ticket.stylist,
        Some(b),
        "only Bella can do a cut and a colour"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_stylists_who_can_finish_today_are_offered() {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 30).await;
    let here = stylist(&srv, "Here all day", &[CUT]).await;
    let leaving = stylist(&srv, "Leaving in 20 min", &[CUT]).await;
    let on_leave = stylist(&srv, "On leave today", &[CUT]).await;
    let gone = stylist(&srv, "No longer with us", &[CUT]).await;
    let desk = srv.client(Role::FrontDesk).await;
    let now = Utc::now().with_timezone(&srv.state.info.tz);
    let end = now.time() + Minutes::minutes(20);
    assert!(
        end > now.time() && now.time() > end - Minutes::hours(2),
        "the harness keeps the store clock away from midnight"
    );
    let mut r = all_day();
    r.exceptions.push(ShiftException::Hours {
        date: today(&srv),
        hours: DayHours {
            start: end - Minutes::hours(2),
            end,
        },
    });
    srv.manager.set_roster(leaving, &r).await.expect("roster");
    let mut r = all_day();
    r.exceptions
        .push(ShiftException::Leave { date: today(&srv) });
    srv.manager.set_roster(on_leave, &r).await.expect("roster");
    let input = StaffInput {
        active: false,
        ..staff("No longer with us", None)
    };
    srv.manager
        .update_staff(gone, &input, None)
        .await
        .expect("deactivated");

    let q = desk.quote(&[cut]).await.expect("quote");
    let quoted: Vec<StaffId> = q.stylists.iter().map(|s| s.stylist).collect();
    assert_eq!(
        quoted,
        vec![here],
        "a 30-minute cut fits only Here's day: {q:?}"
    );
    assert_eq!(q.next_available.map(|n| n.stylist), Some(here));
    let board = desk.rotation(&[cut]).await.expect("rotation");
    assert_eq!(
        board
            .entries
            .iter()
            .map(|l| l.entry.stylist)
            .collect::<Vec<_>>(),
        vec![here],
        "{board:?}"
    );
    let (_, p) = walk_in_customer(&srv, "王芳").await;
    for who in [leaving, on_leave, gone] {
        assert_err(
            desk.check_in(&check_in(by_phone(&p), &[cut], Some(who)), None)
                .await,
            409,
            "stylist_unavailable",
        );
    }
    let short = offer(&srv, "刘海修剪", CUT, 10).await;
    let q = desk.quote(&[short]).await.expect("quote");
    assert!(
        q.stylists.iter().any(|s| s.stylist == leaving),
        "a 10-minute trim still fits before leaving: {q:?}"
    );
    let r = desk
        .check_in(&check_in(by_phone(&p), &[short], Some(leaving)), None)
        .await
        .expect("check-in");
    assert_eq!(r.ticket.stylist, Some(leaving));
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_spreads_walk_ins_and_the_manager_adjusts_it() {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 30).await;
    let x = stylist(&srv, "Xavier", &[CUT]).await;
    let y = stylist(&srv, "Yoyo", &[CUT]).await;
    let z = stylist(&srv, "Zack", &[CUT]).await;
    let desk = srv.client(Role::FrontDesk).await;
    let pause = Adjustment {
        paused: true,
        turns: 0,
    };
    let next = |desk: Client| async move {
        desk.quote(&[cut])
            .await
            .expect("quote")
            .next_available
            .map(|n| n.stylist)
    };
    // Each walk-in is served at once, so everyone is free again for the next one.
    let walk_in = |desk: Client, i: u32| {
        let srv = &srv;
        async move {
            let expected = desk
                .quote(&[cut])
                .await
                .expect("quote")
                .next_available
                .map(|n| n.stylist);
            let (_, p) = walk_in_customer(srv, &format!("客人{i}")).await;
            let r = desk
                .check_in(&check_in(by_phone(&p), &[cut], None), None)
                .await
                .expect("check-in");
            assert_eq!(
                r.ticket.stylist, expected,
                "the quote's pick is the one assigned"
            );
            serve_fully(&desk, r.ticket.id).await;
            r.ticket.stylist.expect("assigned")
        }
    };

    // Xavier starts the day on a break.
    srv.manager
        .adjust_rotation(x, &pause)
        .await
        .expect("paused");
    let mut picks = vec![
        walk_in(desk.clone(), 1).await,
        walk_in(desk.clone(), 2).await,
    ];
    srv.manager
        .adjust_rotation(x, &Adjustment::default())
        .await
        .expect("back");
    for i in 3..=6 {
        picks.push(walk_in(desk.clone(), i).await);
    }
    // With everyone free: fewest walk-ins today first (Zack before Yoyo, who had one; Xavier
    // back with none), then whoever was given one least recently (Yoyo, not Xavier).
    assert_eq!(picks, vec![y, z, x, y, z, x]);

    // A requested stylist (点钟) does not use up a turn.
    let (_, p) = walk_in_customer(&srv, "点钟客").await;
    let r = desk
        .check_in(&check_in(by_phone(&p), &[cut], Some(y)), None)
        .await
        .expect("check-in");
    serve_fully(&desk, r.ticket.id).await;
    let board = desk.rotation(&[cut]).await.expect("rotation");
    let turns: Vec<(u32, StaffId, u32)> = board
        .entries
        .iter()
        .map(|l| (l.turn, l.entry.stylist, l.entry.walk_ins_today))
        .collect();
    assert_eq!(turns, vec![(1, y, 2), (2, z, 2), (3, x, 2)], "{board:?}");
    assert!(
        board
            .entries
            .iter()
            .all(|l| !l.name.is_empty() && !l.entry.adjustment.paused)
    );

    // Only a manager moves people on the board.
    assert_err(desk.adjust_rotation(y, &pause).await, 403, "forbidden");
    let stylist_device = srv.client(Role::Stylist).await;
    assert_err(
        stylist_device.adjust_rotation(y, &pause).await,
        403,
        "forbidden",
    );
    assert_err(
        srv.manager.adjust_rotation(StaffId(9_999), &pause).await,
        404,
        "not_found",
    );
    let too_many = Adjustment {
        paused: false,
        turns: 51,
    };
    assert_err(
        srv.manager.adjust_rotation(x, &too_many).await,
        422,
        "invalid",
    );
    assert_eq!(
        next(desk.clone()).await,
        Some(y),
        "refusals changed nothing"
    );

    // Yoyo goes on a break: off the board and never picked.
    assert_eq!(
        srv.manager
            .adjust_rotation(y, &pause)
            .await
            .expect("paused"),
        pause
    );
    let board = desk.rotation(&[cut]).await.expect("rotation");
    let turns: Vec<(u32, StaffId)> = board
        .entries
        .iter()
        .map(|l| (l.turn, l.entry.stylist))
        .collect();
    assert_eq!(
        turns,
        vec![(1, z), (2, x), (0, y)],
        "paused is turn 0, listed last: {board:?}"
    );
    assert!(board.entries[2].entry.adjustment.paused);
    assert_eq!(next(desk.clone()).await, Some(z));
    assert_eq!(walk_in(desk.clone(), 7).await, z, "not the paused stylist");
    assert_eq!(
        next(desk.clone()).await,
        Some(x),
        "Xavier: 2 walk-ins, Zack 3"
    );

    // The manager moves Xavier back two turns: 2 + 2 is more than Zack's 3.
    let back = Adjustment {
        paused: false,
        turns: 2,
    };
    assert_eq!(
        srv.manager
            .adjust_rotation(x, &back)
            .await
            .expect("adjusted"),
        back
    );
    let board = desk.rotation(&[cut]).await.expect("rotation");
    let turns: Vec<(u32, StaffId)> = board
        .entries
        .iter()
        .map(|l| (l.turn, l.entry.stylist))
        .collect();
    assert_eq!(turns, vec![(1, z), (2, x), (0, y)], "{board:?}");
    let x_line = board
        .entries
        .iter()
        .find(|l| l.entry.stylist == x)
        .expect("x on the board");
    assert_eq!(
        (x_line.entry.adjustment, x_line.entry.walk_ins_today),
        (back, 2)
    );
    assert_eq!(next(desk.clone()).await, Some(z));
    assert_eq!(walk_in(desk.clone(), 8).await, z);

    // Back from the break with two walk-ins today: Yoyo is first again.
    srv.manager
        .adjust_rotation(y, &Adjustment::default())
        .await
        .expect("unpaused");
    let board = desk.rotation(&[cut]).await.expect("rotation");
    assert!(board.entries.iter().all(|l| l.turn > 0), "{board:?}");
    assert_eq!(board.entries[0].entry.stylist, y, "{board:?}");
    assert_eq!(walk_in(desk.clone(), 9).await, y);

    // Yoyo 3, Xavier 2 (+2), Zack 4. A walk-in who leaves before being served costs no turn;
    // one handed to another stylist counts for the one who serves them.
    let tally = |desk: Client| async move {
        let board = desk.rotation(&[cut]).await.expect("rotation");
        let mut v: Vec<(StaffId, u32)> = board
            .entries
            .iter()
            .map(|l| (l.entry.stylist, l.entry.walk_ins_today))
            .collect();
        v.sort();
        v
    };
    assert_eq!(tally(desk.clone()).await, vec![(x, 2), (y, 3), (z, 4)]);
    let (_, p) = walk_in_customer(&srv, "客人10").await;
    let gone = desk
        .check_in(&check_in(by_phone(&p), &[cut], None), None)
        .await
        .expect("check-in");
    assert_eq!(gone.ticket.stylist, Some(y));
    assert_eq!(
        tally(desk.clone()).await,
        vec![(x, 2), (y, 4), (z, 4)],
        "counted when assigned"
    );
    desk.queue_move(gone.ticket.id, QueueAction::Left)
        .await
        .expect("left");
    assert_eq!(
        tally(desk.clone()).await,
        vec![(x, 2), (y, 3), (z, 4)],
        "a customer who left costs no turn"
    );
    assert_eq!(next(desk.clone()).await, Some(y));
    let (_, p) = walk_in_customer(&srv, "客人11").await;
    let handed = desk
        .check_in(&check_in(by_phone(&p), &[cut], None), None)
        .await
        .expect("check-in");
    assert_eq!(handed.ticket.stylist, Some(y));
    desk.reassign(handed.ticket.id, x)
        .await
        .expect("reassigned");
    assert_eq!(
        tally(desk.clone()).await,
        vec![(x, 3), (y, 3), (z, 4)],
        "the turn follows the customer"
    );
    assert_eq!(
        next(desk.clone()).await,
        Some(y),
        "Yoyo is free again and has had fewest"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_grows_with_the_queue_and_learns_each_stylists_pace() {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 30).await;
    let s = stylist(&srv, "Tony", &[CUT]).await;
    let desk = srv.client(Role::FrontDesk).await;

    let free = wait_of(&desk.quote(&[cut]).await.expect("quote"), s);
    assert_eq!(free.low, 0, "nobody waiting: {free:?}");
    assert_honest(free);
    let (_, p1) = walk_in_customer(&srv, "王芳").await;
    let first = desk
        .check_in(&check_in(by_phone(&p1), &[cut], Some(s)), None)
        .await
        .expect("check-in");
    assert_eq!(first.wait, free);
    let one_ahead = wait_of(&desk.quote(&[cut]).await.expect("quote"), s);
    assert_honest(one_ahead);
    assert!(
        one_ahead.low >= 30,
        "a 30-minute cut ahead (no history yet: the catalog time): {one_ahead:?}"
    );
    assert!(one_ahead.high > free.high);
    let (_, p2) = walk_in_customer(&srv, "李娜").await;
    let second = desk
        .check_in(&check_in(by_phone(&p2), &[cut], Some(s)), None)
        .await
        .expect("check-in");
    assert_eq!(
        second.wait, one_ahead,
        "the check-in quotes what the screen showed"
    );
    assert_eq!(second.position, 2);
    let two_ahead = wait_of(&desk.quote(&[cut]).await.expect("quote"), s);
    assert!(
        two_ahead.low >= one_ahead.low + 30 && two_ahead.high > one_ahead.high,
        "{one_ahead:?} then {two_ahead:?}"
    );

    // Tony's cuts actually take 12 minutes: three of them teach the estimate his pace.
    let (_, p3) = walk_in_customer(&srv, "张伟").await;
    let third = desk
        .check_in(&check_in(by_phone(&p3), &[cut], Some(s)), None)
        .await
        .expect("check-in");
    for t in [first.ticket.id, second.ticket.id, third.ticket.id] {
        desk.queue_move(t, QueueAction::Start).await.expect("start");
        backdate(&srv, t, 12).await;
        let done = desk
            .queue_move(t, QueueAction::Finish)
            .await
            .expect("finish");
        assert_eq!(
            (done.finished_at.expect("finished") - done.started_at.expect("started")).num_minutes(),
            12
        );
    }
    let free_again = wait_of(&desk.quote(&[cut]).await.expect("quote"), s);
    assert_eq!(free_again.low, 0, "{free_again:?}");
    let (_, p4) = walk_in_customer(&srv, "赵敏").await;
    desk.check_in(&check_in(by_phone(&p4), &[cut], Some(s)), None)
        .await
        .expect("check-in");
    let learned = wait_of(&desk.quote(&[cut]).await.expect("quote"), s);
    assert_honest(learned);
    assert!(
        learned.low <= 12 && learned.high >= 12 && learned.high < 30,
        "one of Tony's 12-minute cuts ahead, not the catalog's 30: {learned:?} (before learning: {one_ahead:?})"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_desk_reorders_and_reassigns_within_the_rules() {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 30).await;
    let s = stylist(&srv, "Sam", &[CUT]).await;
    let r = stylist(&srv, "Rita", &[CUT]).await;
    let colourist = stylist(&srv, "Coco colour only", &[COLOUR]).await;
    let desk = srv.client(Role::FrontDesk).await;
    let mut t = Vec::new();
    for name in ["王芳", "李娜", "张伟"] {
        let (_, p) = walk_in_customer(&srv, name).await;
        t.push(
            desk.check_in(&check_in(by_phone(&p), &[cut], Some(s)), None)
                .await
                .expect("check-in")
                .ticket,
        );
    }
    let (_, p) = walk_in_customer(&srv, "赵敏").await;
    let rita_first = desk
        .check_in(&check_in(by_phone(&p), &[cut], Some(r)), None)
        .await
        .expect("check-in")
        .ticket;
    assert_eq!(
        line(&desk, s).await,
        vec![(t[0].id, 1), (t[1].id, 2), (t[2].id, 3)]
    );

    // 张伟 is in a hurry and Sam agrees: first in line.
    let moved = desk.reorder(t[2].id, 1).await.expect("reordered");
    assert_eq!(moved.id, t[2].id);
    assert_eq!(moved.state, TicketState::Waiting);
    assert_eq!(
        line(&desk, s).await,
        vec![(t[2].id, 1), (t[0].id, 2), (t[1].id, 3)]
    );
    assert_eq!(
        line(&desk, r).await,
        vec![(rita_first.id, 1)],
        "other lines untouched"
    );
    let q = whole_queue(&desk).await;
    assert_eq!(
        entry(&q, rita_first.id).ticket,
        rita_first,
        "Rita's customer is unchanged"
    );
    // A position past the end puts the ticket last.
    desk.reorder(t[2].id, 99).await.expect("reordered");
    assert_eq!(
        line(&desk, s).await,
        vec![(t[0].id, 1), (t[1].id, 2), (t[2].id, 3)]
    );
    desk.reorder(t[2].id, 1).await.expect("reordered");
    assert_err(desk.reorder(t[2].id, 0).await, 422, "invalid");

    // A colourist cannot take a haircut; Rita can.
    assert_err(
        desk.reassign(t[1].id, colourist).await,
        409,
        "stylist_unavailable",
    );
    assert_err(
        desk.reassign(t[1].id, StaffId(9_999)).await,
        409,
        "stylist_unavailable",
    );
    assert_eq!(
        entry(&whole_queue(&desk).await, t[1].id).ticket.stylist,
        Some(s),
        "a refused reassignment changes nothing"
    );
    let re = desk.reassign(t[1].id, r).await.expect("reassigned");
    assert_eq!(re.stylist, Some(r));
    assert_eq!(line(&desk, s).await, vec![(t[2].id, 1), (t[0].id, 2)]);
    let rita = line(&desk, r).await;
    let mut ids: Vec<u64> = rita.iter().map(|(id, _)| *id).collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![t[1].id, rita_first.id],
        "李娜 is now in Rita's line: {rita:?}"
    );
    assert_eq!(rita.iter().map(|(_, p)| *p).collect::<Vec<_>>(), vec![1, 2]);

    // Reassigning and reordering are the front desk's: a stylist's device may not.
    let chair = srv.client(Role::Stylist).await;
    assert_err(chair.reorder(t[0].id, 1).await, 403, "forbidden");
    assert_err(chair.reassign(t[0].id, r).await, 403, "forbidden");
    // Once in the chair, a ticket stays with its stylist.
    desk.queue_move(t[2].id, QueueAction::Start)
        .await
        .expect("start");
    assert_err(desk.reassign(t[2].id, r).await, 409, "illegal_move");
    assert_err(desk.reorder(t[2].id, 2).await, 409, "illegal_move");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_in_by_phone_card_or_registration_once_at_a_time() {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 30).await;
    stylist(&srv, "Tony", &[CUT]).await;
    let desk = srv.client(Role::FrontDesk).await;

    let (wang, wang_phone) = walk_in_customer(&srv, "王芳").await;
    let r = desk
        .check_in(&check_in(by_phone(&wang_phone), &[cut], None), None)
        .await
        .expect("by phone");
    assert_eq!(r.customer.id, wang.id);
    assert_err(
        desk.check_in(&check_in(by_phone(&wang_phone), &[cut], None), None)
            .await,
        409,
        "already_checked_in",
    );
    let by_id = CheckInCustomer {
        id: Some(wang.id),
        ..Default::default()
    };
    assert_err(
        desk.check_in(&check_in(by_id.clone(), &[cut], None), None)
            .await,
        409,
        "already_checked_in",
    );
    desk.queue_move(r.ticket.id, QueueAction::Start)
        .await
        .expect("start");
    assert_err(
        desk.check_in(&check_in(by_id.clone(), &[cut], None), None)
            .await,
        409,
        "already_checked_in",
    );
    desk.queue_move(r.ticket.id, QueueAction::Finish)
        .await
        .expect("finish");
    let again = desk
        .check_in(&check_in(by_id, &[cut], None), None)
        .await
        .expect("back later the same day");
    assert_ne!(again.ticket.id, r.ticket.id);

    let (li, _) = walk_in_customer(&srv, "李娜").await;
    let card = srv
        .manager
        .issue_card(
            &IssueCard {
                customer_id: li.id,
                number: None,
            },
            None,
        )
        .await
        .expect("card issued");
    let by_card = CheckInCustomer {
        card: Some(card.number.to_string()),
        ..Default::default()
    };
    let r = desk
        .check_in(&check_in(by_card, &[cut], None), None)
        .await
        .expect("by card");
    assert_eq!(r.customer.id, li.id);
    assert_eq!(r.ticket.customer_id, li.id);

    let new_phone = phone();
    let register = newcomer("赵敏", &new_phone.clone(), Gender::Female, true);
    let r = desk
        .check_in(&check_in(register, &[cut], None), None)
        .await
        .expect("registered on the spot");
    assert_eq!(r.customer.greeting, "赵女士");
    assert!(!r.customer.masked_phone.contains(&new_phone));
    let found = srv
        .manager
        .search_customers(&q(&new_phone))
        .await
        .expect("search");
    assert_eq!(
        found.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![r.customer.id],
        "the new customer was saved"
    );
    assert_eq!(r.ticket.customer_id, r.customer.id);

    let no_consent = newcomer("钱多多", &phone(), Gender::Female, false);
    assert_err(
        desk.check_in(&check_in(no_consent, &[cut], None), None)
            .await,
        422,
        "consent_required",
    );
    assert_err(
        desk.check_in(&check_in(by_phone(&phone()), &[cut], None), None)
            .await,
        404,
        "customer_not_found",
    );
    let two = CheckInCustomer {
        phone: Some(wang_phone.clone()),
        card: Some(card.number.to_string()),
        ..Default::default()
    };
    assert_err(
        desk.check_in(&check_in(two, &[cut], None), None).await,
        422,
        "identify_one",
    );
    let (_, p) = walk_in_customer(&srv, "孙丽").await;
    assert_err(
        desk.check_in(&check_in(by_phone(&p), &[], None), None)
            .await,
        422,
        "services_invalid",
    );
    let open = desk.queue(&QueueQuery::default()).await.expect("queue");
    assert_eq!(open.waiting, 3, "李娜, 赵敏 and 王芳 again: {open:?}");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_checks_in_and_the_display_shows_the_queue_without_personal_data() {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 30).await;
    let s = stylist(&srv, "Tony", &[CUT]).await;
    let other = stylist(&srv, "Rita", &[CUT]).await;
    let (kiosk, kiosk_token, _) = paired(&srv, Role::Kiosk, "front door kiosk").await;
    let (screen, screen_token, _) = paired(&srv, Role::Display, "waiting-area screen").await;
    let (_, p) = walk_in_customer(&srv, "王芳").await;
    let (_, p2) = walk_in_customer(&srv, "李娜").await;

    let q = kiosk
        .quote(&[cut])
        .await
        .expect("the kiosk shows the waits");
    assert_eq!(q.stylists.len(), 2);
    let r = kiosk
        .check_in(&check_in(by_phone(&p), &[cut], Some(s)), None)
        .await
        .expect("kiosk check-in");
    assert_eq!(r.customer.greeting, "王女士");
    assert!(
        !r.customer.masked_phone.contains(&p),
        "{}",
        r.customer.masked_phone
    );
    kiosk
        .check_in(&check_in(by_phone(&p2), &[cut], None), None)
        .await
        .expect("kiosk check-in");
    let p3 = phone();
    let newcomer = newcomer("周杰", &p3.clone(), Gender::Male, true);
    let r3 = kiosk
        .check_in(&check_in(newcomer, &[cut], None), None)
        .await
        .expect("registered at the kiosk");
    assert_eq!(r3.customer.greeting, "周先生");

    // The kiosk lists no one (SEC-2): the queue greets every customer waiting, so it is
    // refused to the kiosk, whatever the filter. The wall display shows it instead.
    let queue_url = format!("{}/api/v1/queue", srv.base);
    let (status, body) = raw("GET", &queue_url, Some(&kiosk_token), None, &[]).await;
    assert_eq!((status, error_code(&body).as_str()), (403, "forbidden"));
    assert_err(kiosk.queue(&QueueQuery::default()).await, 403, "forbidden");
    let closed_too = QueueQuery {
        stylist: Some(s.0),
        include_closed: true,
    };
    assert_err(kiosk.queue(&closed_too).await, 403, "forbidden");
    let view = screen
        .queue(&QueueQuery::default())
        .await
        .expect("the display reads the queue");
    assert_eq!(view.waiting, 3);
    assert_eq!(entry(&view, r.ticket.id).greeting, "王女士");
    let (status, body) = raw("GET", &queue_url, Some(&screen_token), None, &[]).await;
    assert_eq!(status, 200, "{body}");
    let text = body.to_string();
    for secret in [p.as_str(), p2.as_str(), p3.as_str(), "王芳", "李娜", "周杰"] {
        assert!(
            !text.contains(secret),
            "the shared screen shows {secret}: {text}"
        );
    }
    assert!(
        text.contains("王女士") && text.contains("李女士") && text.contains("周先生"),
        "{text}"
    );
    // The rotation board goes with the queue (`QueueRead`): the display's, not the kiosk's,
    // which has the check-in quote (above) for the waits it shows.
    assert_err(kiosk.rotation(&[cut]).await, 403, "forbidden");
    screen
        .rotation(&[cut])
        .await
        .expect("the display may show the board");

    // The kiosk cannot work the queue.
    for a in QueueAction::ALL {
        assert_err(kiosk.queue_move(r.ticket.id, a).await, 403, "forbidden");
    }
    assert_err(kiosk.reorder(r.ticket.id, 1).await, 403, "forbidden");
    assert_err(kiosk.reassign(r.ticket.id, other).await, 403, "forbidden");
    assert_err(
        kiosk
            .adjust_rotation(
                s,
                &Adjustment {
                    paused: true,
                    turns: 0,
                },
            )
            .await,
        403,
        "forbidden",
    );
    assert_err(
        kiosk.wait_report(&PeriodQuery::default()).await,
        403,
        "forbidden",
    );
    let after = whole_queue(&srv.manager).await;
    assert_eq!(entry(&after, r.ticket.id).ticket, r.ticket, "nothing moved");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_check_in_makes_one_ticket() {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 30).await;
    stylist(&srv, "Tony", &[CUT]).await;
    let kiosk = srv.client(Role::Kiosk).await;
    let (wang, p) = walk_in_customer(&srv, "王芳").await;
    let req = check_in(by_phone(&p), &[cut], None);

    let first: CheckInResponse = kiosk
        .check_in(&req, Some("kiosk-tap-1"))
        .await
        .expect("check-in");
    let again = kiosk
        .check_in(&req, Some("kiosk-tap-1"))
        .await
        .expect("the retry is answered like the first");
    assert_eq!(again.ticket, first.ticket);
    assert_eq!(again.position, first.position);
    assert_eq!(again.wait, first.wait);
    let q = whole_queue(&srv.manager).await;
    assert_eq!(
        q.entries
            .iter()
            .filter(|e| e.ticket.customer_id == wang.id)
            .count(),
        1,
        "{q:?}"
    );
    // The same key for a different request is refused; a new tap without a key is a new attempt.
    let other = check_in(by_phone(&p), &[cut], None);
    let mut changed = other.clone();
    changed.stylist = Some(salon_shared::StaffId(999));
    assert_err(
        kiosk.check_in(&changed, Some("kiosk-tap-1")).await,
        409,
        "idempotency_key_reused",
    );
    // A kiosk names the customer at hand by phone or card, never by a bare id.
    let mut by_id = other.clone();
    by_id.customer = CheckInCustomer {
        id: Some(wang.id),
        ..Default::default()
    };
    assert_err(
        kiosk.check_in(&by_id, Some("kiosk-tap-9")).await,
        403,
        "kiosk_needs_phone_or_card",
    );
    assert_err(
        kiosk.check_in(&other, None).await,
        409,
        "already_checked_in",
    );

    let (_, p2) = walk_in_customer(&srv, "李娜").await;
    let next = kiosk
        .check_in(&check_in(by_phone(&p2), &[cut], None), Some("kiosk-tap-2"))
        .await
        .expect("check-in");
    assert_eq!(
        next.ticket.number, "A002",
        "the retry did not use up a number"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balks_and_the_wait_report() {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 30).await;
    let s = stylist(&srv, "Tony", &[CUT]).await;
    let desk = srv.client(Role::FrontDesk).await;
    let kiosk = srv.client(Role::Kiosk).await;

    let mut tickets = Vec::new();
    for name in ["王芳", "李娜", "张伟", "赵敏"] {
        let (_, p) = walk_in_customer(&srv, name).await;
        tickets.push(
            desk.check_in(&check_in(by_phone(&p), &[cut], Some(s)), None)
                .await
                .expect("check-in")
                .ticket
                .id,
        );
    }
    // 王芳 waited an hour (far over her quote) before her cut; 李娜 was served at once and is
    // done; 张伟 is in the chair; 赵敏 is still waiting.
    backdate(&srv, tickets[0], 60).await;
    serve_fully(&desk, tickets[0]).await;
    serve_fully(&desk, tickets[1]).await;
    desk.queue_move(tickets[2], QueueAction::Start)
        .await
        .expect("start");
    let started = 3;

    let quote = kiosk.quote(&[cut]).await.expect("quote");
    let seen = wait_of(&quote, s);
    let walked = kiosk
        .balk(
            &BalkRequest {
                quoted: seen,
                stylist: Some(s),
                services: vec![cut],
                customer_id: None,
            },
            None,
        )
        .await
        .expect("balk recorded");
    assert_eq!(walked.quoted, seen);
    assert_eq!(walked.day, today(&srv));
    desk.balk(
        &BalkRequest {
            quoted: WaitRange { low: 60, high: 90 },
            stylist: None,
            services: vec![cut],
            customer_id: None,
        },
        None,
    )
    .await
    .expect("balk recorded");
    assert_err(
        desk.balk(
            &BalkRequest {
                quoted: WaitRange { low: 30, high: 10 },
                stylist: None,
                services: vec![],
                customer_id: None,
            },
            None,
        )
        .await,
        422,
        "invalid",
    );

    assert_err(
        desk.wait_report(&PeriodQuery::default()).await,
        403,
        "forbidden",
    );
    let report = srv
        .manager
        .wait_report(&PeriodQuery::default())
        .await
        .expect("report");
    assert_eq!(report.to, today(&srv));
    assert_eq!(
        report.overall.tickets, started,
        "every started ticket, no others: {report:?}"
    );
    assert_eq!(report.balks, 2);
    assert!(
        (report.balk_mean_quote_high - f64::from(seen.high + 90) / 2.0).abs() < 1e-9,
        "{report:?}"
    );
    assert!(report.overall.mae_minutes >= 0.0);
    for share in [report.overall.under_quoted, report.overall.within_range] {
        assert!((0.0..=1.0).contains(&share), "{report:?}");
    }

    // The figures are those of the tickets themselves.
    let q = whole_queue(&srv.manager).await;
    let samples: Vec<(WaitRange, i64)> = q
        .entries
        .iter()
        .filter_map(|e| Some((e.ticket.quoted, e.ticket.actual_wait()?)))
        .collect();
    assert_eq!(samples.len(), started);
    let n = samples.len() as f64;
    let mae = samples
        .iter()
        .map(|(w, a)| (*a as f64 - f64::from(w.low + w.high) / 2.0).abs())
        .sum::<f64>()
        / n;
    let under = samples
        .iter()
        .filter(|(w, a)| *a > i64::from(w.high))
        .count() as f64
        / n;
    assert!(
        (report.overall.mae_minutes - mae).abs() < 1e-6,
        "{report:?} vs {mae}"
    );
    assert!(
        (report.overall.under_quoted - under).abs() < 1e-9,
        "{report:?} vs {under}"
    );
    assert!(
        report.overall.under_quoted > 0.0,
        "王芳's hour over the quote counts: {report:?}"
    );
    let day = report
        .by_day
        .iter()
        .find(|d| d.day == today(&srv))
        .expect("today in the report");
    assert_eq!((day.accuracy.tickets, day.balks), (started, 2));
    assert_eq!(report.by_stylist.len(), 1);
    assert_eq!(
        (
            report.by_stylist[0].stylist,
            report.by_stylist[0].accuracy.tickets
        ),
        (s, started)
    );
    assert_eq!(report.by_stylist[0].name, "Tony");

    let yesterday = today(&srv) - Minutes::days(1);
    let before = srv
        .manager
        .wait_report(&PeriodQuery {
            from: Some(yesterday),
            to: Some(yesterday),
        })
        .await
        .expect("report");
    assert_eq!(
        (before.overall.tickets, before.balks),
        (0, 0),
        "nothing happened yesterday"
    );
    assert_err(
        srv.manager
            .wait_report(&PeriodQuery {
                from: Some(today(&srv)),
                to: Some(yesterday),
            })
            .await,
        400,
        "bad_query",
    );
    srv.stop().await;
}
