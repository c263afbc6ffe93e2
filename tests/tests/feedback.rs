//! Rating a finished visit at the kiosk (CHK-6), and what identify tells the kiosk about the
//! customer's day: a booking to check in against (CHK-4), a visit still to rate.

mod common;

use chrono::{Duration, DurationRound, Utc};
use common::*;
use futures_util::StreamExt;
use salon_shared::api::*;
use salon_shared::client::{Client, Live};
use salon_shared::{Role, ServiceCategory};
use salon_tests::TestServer;
use store_server::store::Actor;
use store_server::store::{StoreError, tables};

fn at_door(phone: &str) -> KioskIdentify {
    KioskIdentify {
        phone: Some(phone.into()),
        card: None,
    }
}

fn rating(ticket_id: u64, overall: u8, recommend: u8, comment: &str) -> FeedbackInput {
    FeedbackInput {
        ticket_id,
        overall,
        service: 5,
        stylist: 4,
        environment: 3,
        recommend,
        comment: comment.into(),
        by: None,
    }
}

/// `f` as sent from the kiosk by the customer who identified with `phone`.
fn from_door(phone: &str, f: FeedbackInput) -> FeedbackInput {
    FeedbackInput {
        by: Some(at_door(phone)),
        ..f
    }
}

async fn feedback_audit(m: &Client) -> Vec<AuditEntry> {
    let q = AuditQuery {
        action: Some("feedback.".into()),
        ..Default::default()
    };
    m.audit(&q).await.expect("audit")
}

/// Moves a ticket, its times and its place in the by-day index `days` back, as if the visit
/// had happened then (no route makes a ticket on another day than today).
async fn move_back(srv: &TestServer, ticket: u64, days: i64) -> Ticket {
    srv.state
        .writer
        .write(Actor::system("test clock"), None, move |tx| {
            let mut t: Ticket = tx.get(&tables::TICKETS, ticket)?.expect("ticket exists");
            let back = Duration::days(days);
            let (was, day) = (t.day.to_string(), (t.day - back).to_string());
            t.day -= back;
            t.created_at -= back;
            for at in [&mut t.called_at, &mut t.started_at, &mut t.finished_at] {
                *at = at.map(|a| a - back);
            }
            tx.put(&tables::TICKETS, ticket, &t)?;
            let mut index =
                tx.w.open_table(tables::TICKETS_BY_DAY)
                    .map_err(StoreError::from)?;
            index
                .remove((was.as_str(), ticket))
                .map_err(StoreError::from)?;
            index
                .insert((day.as_str(), ticket), ())
                .map_err(StoreError::from)?;
            Ok::<_, StoreError>(t)
        })
        .await
        .expect("ticket moved back")
}

/// Waits for the event of `kind` about `entity_id` among those the store kept.
async fn event_seen(c: &Client, kind: &str, entity_id: &str) -> Event {
    let stream = c.events_once(Some(0)).await.expect("event stream");
    let mut stream = std::pin::pin!(stream);
    let find = async {
        while let Some(item) = stream.next().await {
            if let Live::Event(e) = item
                && e.kind == kind
                && e.entity_id == entity_id
            {
                return e;
            }
        }
        panic!("the event stream ended without {kind} {entity_id}");
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), find)
        .await
        .unwrap_or_else(|_| panic!("no {kind} event for {entity_id} within 5 s"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_visit_is_rated_once_at_the_kiosk() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let cut = offer(&srv, "洗剪吹", ServiceCategory::CutStyle, 45).await;
    let tony = stylist(&srv, "Tony", &[ServiceCategory::CutStyle]).await;
    let kiosk = srv.client(Role::Kiosk).await;
    let display = srv.client(Role::Display).await;
    let (wang, p) = walk_in_customer(&srv, "王芳").await;

    let checked_in = kiosk
        .check_in(&check_in(by_phone(&p), &[cut], Some(tony)), None)
        .await
        .expect("checked in");
    let ticket = checked_in.ticket;
    assert_eq!(
        (checked_in.customer.appointment, checked_in.customer.to_rate),
        (None, None),
        "a check-in answer tells neither"
    );

    // Waiting, called, in the chair: nothing to rate yet, and a rating is refused.
    let mut moves = [QueueAction::Call, QueueAction::Start].into_iter();
    loop {
        let who = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
        assert_eq!(who.to_rate, None, "ticket not finished");
        let early = kiosk.feedback(&rating(ticket.id, 5, 9, ""), None).await;
        assert_err(early, 409, "visit_not_finished");
        match moves.next() {
            Some(a) => {
                m.queue_move(ticket.id, a).await.expect("moved");
            }
            None => break,
        }
    }
    m.queue_move(ticket.id, QueueAction::Finish)
        .await
        .expect("finished");

    let who = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
    assert_eq!(who.id, wang.id);
    assert_eq!(who.appointment, None, "no booking today");
    assert_eq!(
        who.to_rate,
        Some(KioskVisit {
            ticket_id: ticket.id,
            number: ticket.number.clone(),
            stylist_name: Some("Tony".into()),
            services: vec![cut],
        })
    );

    // Bad answers are refused before anything is written.
    let long = "好".repeat(501);
    for (bad, code) in [
        (rating(ticket.id, 0, 9, ""), "rating_invalid"),
        (rating(ticket.id, 6, 9, ""), "rating_invalid"),
        (rating(ticket.id, 5, 11, ""), "rating_invalid"),
        (rating(ticket.id, 5, 9, &long), "comment_too_long"),
    ] {
        assert_err(kiosk.feedback(&bad, Some("rate-wang")).await, 422, code);
    }
    assert_err(
        kiosk.feedback(&rating(999_999, 5, 9, ""), None).await,
        404,
        "ticket_not_found",
    );
    assert_err(
        display.feedback(&rating(ticket.id, 5, 9, ""), None).await,
        403,
        "forbidden",
    );
    let listed = m.feedback_list(&PeriodQuery::default()).await;
    assert!(listed.expect("list").is_empty(), "a refusal was stored");
    assert!(feedback_audit(m).await.is_empty(), "a refusal was audited");
    let still = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
    assert_eq!(
        still.to_rate, who.to_rate,
        "refusals left the visit unrated"
    );

    // The failed attempts were not remembered: the same key now rates the visit.
    // The kiosk must name the visit's customer, as they identified at it.
    let input = rating(ticket.id, 5, 10, "  Tony 剪得很好，下次还来  ");
    assert_err(kiosk.feedback(&input, None).await, 403, "not_your_visit");
    let (_, other) = walk_in_customer(&srv, "李娜").await;
    for who in [other.as_str(), "13900000000"] {
        assert_err(
            kiosk.feedback(&from_door(who, input.clone()), None).await,
            403,
            "not_your_visit",
        );
    }
    let input = from_door(&p, input);
    let first = kiosk
        .feedback(&input, Some("rate-wang"))
        .await
        .expect("rated");
    assert_eq!(first.ticket_id, ticket.id);
    assert_eq!(first.day, ticket.day);
    assert_eq!(first.customer_id, wang.id);
    assert_eq!(first.stylist, Some(tony));
    assert_eq!(first.services, vec![cut]);
    let scores = (
        first.overall,
        first.service,
        first.stylist_score,
        first.environment,
        first.recommend,
    );
    assert_eq!(scores, (5, 5, 4, 3, 10));
    assert_eq!(first.comment, "Tony 剪得很好，下次还来", "trimmed");

    // A retry after a lost answer returns the first answer and stores nothing more.
    let again = kiosk.feedback(&input, Some("rate-wang")).await;
    assert_eq!(again.expect("replayed"), first);
    // The same key for another request is refused, a fresh one finds the visit rated.
    let changed = rating(ticket.id, 1, 0, "");
    assert_err(
        kiosk.feedback(&changed, Some("rate-wang")).await,
        409,
        "idempotency_key_reused",
    );
    assert_err(
        kiosk.feedback(&changed, Some("rate-wang-2")).await,
        409,
        "already_rated",
    );
    assert_err(kiosk.feedback(&changed, None).await, 409, "already_rated");
    let desk = srv.client(Role::FrontDesk).await;
    assert_err(desk.feedback(&changed, None).await, 409, "already_rated");

    let who = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
    assert_eq!(who.to_rate, None, "the visit is rated");

    let listed = m.feedback_list(&PeriodQuery::default()).await;
    assert_eq!(listed.expect("list"), std::slice::from_ref(&first));
    let day_before = PeriodQuery {
        from: Some(ticket.day - Duration::days(7)),
        to: Some(ticket.day - Duration::days(1)),
    };
    let listed = m.feedback_list(&day_before).await;
    assert!(
        listed.expect("list").is_empty(),
        "filed under the visit's day"
    );
    let audit = feedback_audit(m).await;
    assert_eq!(audit.len(), 1, "stored once: {audit:?}");
    assert_eq!(
        (audit[0].action.as_str(), audit[0].entity.as_str()),
        ("feedback.create", "customer")
    );
    assert_eq!(audit[0].entity_id, wang.id.to_string());
    assert_eq!(audit[0].after, serde_json::to_value(&first).expect("json"));
    event_seen(&display, "feedback.created", &ticket.id.to_string()).await;

    assert_err(
        kiosk.feedback_list(&PeriodQuery::default()).await,
        403,
        "forbidden",
    );
    assert_err(
        display.feedback_list(&PeriodQuery::default()).await,
        403,
        "forbidden",
    );
    assert_err(
        desk.feedback_list(&PeriodQuery::default()).await,
        403,
        "forbidden",
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_rates_only_todays_visits_staff_also_older_ones() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let cut = offer(&srv, "洗剪吹", ServiceCategory::CutStyle, 45).await;
    let tony = stylist(&srv, "Tony", &[ServiceCategory::CutStyle]).await;
    let kiosk = srv.client(Role::Kiosk).await;
    let desk = srv.client(Role::FrontDesk).await;
    let (wang, p) = walk_in_customer(&srv, "王芳").await;
    let (at_kiosk, phone) = (&kiosk, p.as_str());
    let finished = move || async move {
        let t = at_kiosk
            .check_in(&check_in(by_phone(phone), &[cut], Some(tony)), None)
            .await
            .expect("checked in")
            .ticket;
        for a in [QueueAction::Start, QueueAction::Finish] {
            m.queue_move(t.id, a).await.expect("moved");
        }
        t
    };
    let yesterday = today(&srv) - Duration::days(1);
    let last_week = today(&srv) - Duration::days(7);
    let old = move_back(&srv, finished().await.id, 1).await;
    let older = move_back(&srv, finished().await.id, 7).await;
    assert_eq!(
        (old.day, old.state, older.day),
        (yesterday, TicketState::Done, last_week)
    );
    let who = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
    assert_eq!(who.to_rate, None, "no visit of today to offer");

    // At the kiosk an older visit is refused, keyed or not, before anything is written.
    let input = rating(old.id, 5, 9, "上次剪得不错");
    let refused = kiosk.feedback(&input, Some("rate-old")).await;
    assert_err(refused, 409, "visit_not_today");
    assert_err(kiosk.feedback(&input, None).await, 409, "visit_not_today");
    let long_ago = rating(older.id, 1, 0, "");
    assert_err(
        kiosk.feedback(&long_ago, None).await,
        409,
        "visit_not_today",
    );
    let whole_week = PeriodQuery {
        from: Some(last_week),
        to: Some(today(&srv)),
    };
    let listed = m.feedback_list(&whole_week).await.expect("list");
    assert!(listed.is_empty(), "a refusal was stored: {listed:?}");
    assert!(feedback_audit(m).await.is_empty(), "a refusal was audited");

    // A staff device takes the customer's call-back about yesterday's visit, and the
    // rating is filed under that day.
    let first = m.feedback(&input, Some("rate-old")).await.expect("rated");
    assert_eq!(
        (first.ticket_id, first.day, first.customer_id),
        (old.id, yesterday, wang.id)
    );
    assert_eq!(first.comment, "上次剪得不错");
    let by_desk = desk.feedback(&long_ago, None).await.expect("rated");
    assert_eq!((by_desk.ticket_id, by_desk.day), (older.id, last_week));
    let yesterdays = PeriodQuery {
        from: Some(yesterday),
        to: Some(yesterday),
    };
    let listed = m.feedback_list(&yesterdays).await.expect("list");
    assert_eq!(listed, std::slice::from_ref(&first));
    assert_eq!(feedback_audit(m).await.len(), 2);
    // Rated now, yet the kiosk is still told it is not today's: that check comes first.
    assert_err(kiosk.feedback(&input, None).await, 409, "visit_not_today");
    assert_err(m.feedback(&input, None).await, 409, "already_rated");

    // Today's visit is the kiosk's to rate, as ever; the key of its refused attempt was not
    // remembered, so it may be used again.
    let now = finished().await;
    let who = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
    assert_eq!(who.to_rate.map(|v| v.ticket_id), Some(now.id));
    let rated = kiosk
        .feedback(&from_door(&p, rating(now.id, 4, 8, "")), Some("rate-old"))
        .await
        .expect("today's visit rated at the kiosk");
    assert_eq!(rated.day, today(&srv));
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_latest_unrated_visit_of_today_is_offered() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let cut = offer(&srv, "快剪", ServiceCategory::CutStyle, 30).await;
    let tony = stylist(&srv, "Tony", &[ServiceCategory::CutStyle]).await;
    let amy = stylist(&srv, "Amy", &[ServiceCategory::CutStyle]).await;
    let kiosk = srv.client(Role::Kiosk).await;
    let (_, p) = walk_in_customer(&srv, "王芳").await;
    let (_, other) = walk_in_customer(&srv, "李娜").await;

    let visit = |st| {
        let (kiosk, p) = (kiosk.clone(), p.clone());
        async move {
            let t = kiosk
                .check_in(&check_in(by_phone(&p), &[cut], Some(st)), None)
                .await
                .expect("checked in")
                .ticket;
            for a in [QueueAction::Start, QueueAction::Finish] {
                m.queue_move(t.id, a).await.expect("moved");
            }
            t
        }
    };
    let morning = visit(tony).await;
    let afternoon = visit(amy).await;
    // Another customer's finished visit is never offered to her.
    let li = kiosk
        .check_in(&check_in(by_phone(&other), &[cut], Some(tony)), None)
        .await
        .expect("li checked in")
        .ticket;
    for a in [QueueAction::Start, QueueAction::Finish] {
        m.queue_move(li.id, a).await.expect("moved");
    }

    let offered = |who: KioskCustomer| who.to_rate.map(|v| (v.ticket_id, v.stylist_name));
    let who = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
    assert_eq!(offered(who), Some((afternoon.id, Some("Amy".into()))));
    kiosk
        .feedback(&from_door(&p, rating(afternoon.id, 4, 8, "")), None)
        .await
        .expect("rated");
    let who = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
    assert_eq!(offered(who), Some((morning.id, Some("Tony".into()))));
    kiosk
        .feedback(&from_door(&p, rating(morning.id, 4, 8, "")), None)
        .await
        .expect("rated");
    let who = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
    assert_eq!(who.to_rate, None);
    let listed: Vec<u64> = m
        .feedback_list(&PeriodQuery::default())
        .await
        .expect("list")
        .iter()
        .map(|f| f.ticket_id)
        .collect();
    assert_eq!(listed, [morning.id, afternoon.id], "by day, then ticket");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identify_shows_todays_booking_until_checked_in() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let cut = offer(&srv, "洗剪吹", ServiceCategory::CutStyle, 45).await;
    let wash = offer(&srv, "洗头", ServiceCategory::CutStyle, 15).await;
    let tony = stylist(&srv, "Tony", &[ServiceCategory::CutStyle]).await;
    let amy = stylist(&srv, "Amy", &[ServiceCategory::CutStyle]).await;
    let kiosk = srv.client(Role::Kiosk).await;
    let (wang, p) = walk_in_customer(&srv, "王芳").await;
    let (li, li_phone) = walk_in_customer(&srv, "李娜").await;
    let soon = |minutes: i64| {
        (Utc::now() + Duration::minutes(minutes))
            .duration_trunc(Duration::minutes(1))
            .expect("trunc")
    };
    let (at20, at30, at60, at150) = (soon(20), soon(30), soon(60), soon(150));
    assert_eq!(
        at150.with_timezone(&srv.state.info.tz).date_naive(),
        today(&srv),
        "the harness keeps the store clock away from midnight"
    );
    let book = |customer, stylist, services: Vec<_>, start| NewAppointment {
        customer_id: customer,
        stylist_id: stylist,
        services,
        start,
        note: String::new(),
    };
    let booked = |a| async move { m.book(&a, None).await.expect("booked") };

    let who = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
    assert_eq!(who.appointment, None, "nothing booked yet");
    // Tomorrow's booking, a cancelled earlier one and someone else's are not hers today;
    // of her two bookings today the earlier one is the one she checks in against.
    let tomorrow = at60 + Duration::days(1);
    booked(book(wang.id, tony, vec![cut], tomorrow)).await;
    let cancelled = booked(book(wang.id, amy, vec![cut], at20)).await;
    m.cancel_appointment(cancelled.id, None)
        .await
        .expect("cancelled");
    booked(book(wang.id, tony, vec![cut], at150)).await;
    let first = booked(book(wang.id, tony, vec![cut, wash], at60)).await;
    booked(book(li.id, amy, vec![cut], at30)).await;

    let who = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
    assert_eq!(
        who.appointment,
        Some(KioskAppointment {
            id: first.id,
            start: first.start,
            time: first
                .start
                .with_timezone(&srv.state.info.tz)
                .format("%H:%M")
                .to_string(),
            stylist_name: "Tony".into(),
            services: vec![cut, wash],
        })
    );
    assert_eq!(who.to_rate, None);
    let li_seen = kiosk
        .kiosk_identify(&at_door(&li_phone))
        .await
        .expect("identify");
    assert_ne!(li_seen.appointment.map(|a| a.id), Some(first.id));

    let r = kiosk
        .check_in(&check_in(by_phone(&p), &[], None), None)
        .await
        .expect("checked in");
    assert_eq!(
        r.appointment_id,
        Some(first.id),
        "against the booking shown"
    );
    assert_eq!(
        r.customer.appointment, None,
        "a check-in answer tells neither"
    );
    // The booking is checked in: the later one is what remains for today.
    let who = kiosk.kiosk_identify(&at_door(&p)).await.expect("identify");
    let left = who.appointment.map(|a| (a.stylist_name, a.start));
    assert_eq!(left, Some(("Tony".to_string(), at150)));

    // With only one booking, checking in leaves nothing.
    let li_in = kiosk
        .check_in(&check_in(by_phone(&li_phone), &[], None), None)
        .await
        .expect("li checked in");
    assert!(li_in.appointment_id.is_some());
    let li_seen = kiosk
        .kiosk_identify(&at_door(&li_phone))
        .await
        .expect("identify");
    assert_eq!(li_seen.appointment, None);

    let registered = kiosk
        .kiosk_register(
            &KioskRegister {
                name: "周敏".into(),
                phone: phone(),
                gender: Default::default(),
                birthday: None,
                consent: true,
            },
            None,
        )
        .await
        .expect("registered");
    assert_eq!((registered.appointment, registered.to_rate), (None, None));
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_a_customer_blanks_their_comments_but_keeps_the_scores() {
    let srv = TestServer::start().await;
    let m = &srv.manager;
    let cut = offer(&srv, "洗剪吹", ServiceCategory::CutStyle, 45).await;
    let tony = stylist(&srv, "Tony", &[ServiceCategory::CutStyle]).await;
    let kiosk = srv.client(Role::Kiosk).await;
    let mut rated = Vec::new();
    for name in ["王芳", "李娜"] {
        let (c, p) = walk_in_customer(&srv, name).await;
        let t = kiosk
            .check_in(&check_in(by_phone(&p), &[cut], Some(tony)), None)
            .await
            .expect("checked in")
            .ticket;
        for a in [QueueAction::Start, QueueAction::Finish] {
            m.queue_move(t.id, a).await.expect("moved");
        }
        let comment = format!("我是{name}，电话 {p}");
        let f = kiosk
            .feedback(&from_door(&p, rating(t.id, 4, 7, &comment)), None)
            .await
            .expect("rated");
        rated.push((c.id, f));
    }
    let (wang, wang_rating) = rated[0].clone();
    m.erase_customer(wang, None).await.expect("erased");

    let listed = m
        .feedback_list(&PeriodQuery::default())
        .await
        .expect("list");
    let blanked = Feedback {
        comment: String::new(),
        ..wang_rating
    };
    assert_eq!(
        listed,
        [blanked, rated[1].1.clone()],
        "only hers is blanked"
    );
    let text = serde_json::to_string(&feedback_audit(m).await).expect("json");
    assert!(
        !text.contains("王芳"),
        "the audit log kept her comment: {text}"
    );
    assert!(
        text.contains("李娜"),
        "another customer's entry was redacted"
    );
    srv.stop().await;
}
