//! Appointments end to end (APT-1..4, CHK-4): bookings that fit the stylist's shift and skills
//! and never overlap, the nearest free slots on a clash, moves and cancellations, availability,
//! lists, check-in against today's booking, no-shows after the grace period, roles and the
//! reminder queued in the outbox.

mod common;

use chrono::{DateTime, Duration, DurationRound, NaiveDate, Utc};
use common::*;
use salon_shared::api::{
    Appointment, AppointmentPatch, AppointmentQuery, AppointmentSettings, AppointmentState,
    NewAppointment, PeriodQuery, QueueQuery, ShiftException, TicketSource, TicketState,
};
use salon_shared::client::Client;
use salon_shared::{CustomerId, Role, ServiceCategory, ServiceId, StaffId};
use salon_tests::TestServer;
use store_server::ops::schedule::mark_no_shows;
use store_server::store::Actor;
use store_server::store::{StoreError, tables};

const CUT: ServiceCategory = ServiceCategory::CutStyle;
const COLOUR: ServiceCategory = ServiceCategory::Colour;
const PERM: ServiceCategory = ServiceCategory::Perm;

/// A salon with a cut (45 min), a wash (15 min), a colour (300 min) and a perm (400 min);
/// Amy cuts and colours, Ben cuts, Cici only colours; all work all day, every day.
struct Salon {
    srv: TestServer,
    cut: ServiceId,
    wash: ServiceId,
    colour: ServiceId,
    perm: ServiceId,
    amy: StaffId,
    ben: StaffId,
    cici: StaffId,
}

async fn salon() -> Salon {
    let srv = TestServer::start().await;
    let cut = offer(&srv, "洗剪吹", CUT, 45).await;
    let wash = offer(&srv, "洗发", CUT, 15).await;
    let colour = offer(&srv, "全头染", COLOUR, 300).await;
    let perm = offer(&srv, "烫发", PERM, 400).await;
    let amy = stylist(&srv, "Amy", &[CUT, COLOUR, PERM]).await;
    let ben = stylist(&srv, "Ben", &[CUT]).await;
    let cici = stylist(&srv, "Cici", &[COLOUR]).await;
    Salon {
        srv,
        cut,
        wash,
        colour,
        perm,
        amy,
        ben,
        cici,
    }
}

impl Salon {
    fn tomorrow(&self) -> NaiveDate {
        today(&self.srv) + Duration::days(1)
    }

    /// `h:m` tomorrow, store-local.
    fn at(&self, h: u32, m: u32) -> DateTime<Utc> {
        local(&self.srv, self.tomorrow(), h, m)
    }

    async fn customer(&self, name: &str) -> CustomerId {
        walk_in_customer(&self.srv, name).await.0.id
    }
}

fn booking(
    customer: CustomerId,
    stylist: StaffId,
    services: &[ServiceId],
    start: DateTime<Utc>,
) -> NewAppointment {
    NewAppointment {
        customer_id: customer,
        stylist_id: stylist,
        services: services.to_vec(),
        start,
        note: String::new(),
    }
}

fn move_to(start: DateTime<Utc>) -> AppointmentPatch {
    AppointmentPatch {
        start: Some(start),
        ..Default::default()
    }
}

async fn state_of(c: &Client, id: u64, day: NaiveDate) -> Appointment {
    c.appointments(&AppointmentQuery {
        day: Some(day),
        ..Default::default()
    })
    .await
    .expect("appointments")
    .into_iter()
    .find(|a| a.id == id)
    .unwrap_or_else(|| panic!("appointment {id} not listed on {day}"))
}

/// Books and cancels at `start`: proves the slot was free, and leaves it free.
async fn bookable(
    c: &Client,
    customer: CustomerId,
    stylist: StaffId,
    services: &[ServiceId],
    start: DateTime<Utc>,
) {
    let a = c
        .book(&booking(customer, stylist, services, start), None)
        .await
        .unwrap_or_else(|e| {
            panic!("offered slot {start} for stylist {stylist} is not bookable: {e}")
        });
    c.cancel_appointment(a.id, None).await.expect("cancelled");
}

fn instant(v: &serde_json::Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a time: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_inside_the_shift_lasts_as_long_as_its_services() {
    let s = salon().await;
    let desk = s.srv.client(Role::FrontDesk).await;
    let wang = s.customer("王芳").await;
    let mut req = booking(wang, s.ben, &[s.cut, s.wash], s.at(10, 0));
    req.note = "想剪短一点".into();

    let a = desk.book(&req, Some("book-wang-1")).await.expect("booked");
    assert_eq!(a.start, s.at(10, 0));
    assert_eq!(a.end, s.at(11, 0), "45 + 15 minutes");
    assert_eq!(a.end - a.start, Duration::minutes(60));
    assert_eq!((a.customer_id, a.stylist_id), (wang, s.ben));
    assert_eq!(a.services, vec![s.cut, s.wash]);
    assert_eq!(a.state, AppointmentState::Booked);
    assert_eq!(a.note, "想剪短一点");
    assert_eq!(a.ticket_id, None);
    let again = desk
        .book(&req, Some("book-wang-1"))
        .await
        .expect("a retry answers the same");
    assert_eq!(again, a);
    let listed = desk
        .appointments(&AppointmentQuery {
            day: Some(s.tomorrow()),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(listed, vec![a], "booked once");
    s.srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clash_is_refused_with_the_nearest_slots_that_really_are_free() {
    let s = salon().await;
    let (_, token, _) = paired(&s.srv, Role::FrontDesk, "front desk").await;
    let desk = &s.srv.manager;
    let wang = s.customer("王芳").await;
    let li = s.customer("李娜").await;
    let first = desk
        .book(&booking(wang, s.ben, &[s.cut], s.at(10, 0)), None)
        .await
        .expect("booked");

    let clash = booking(li, s.ben, &[s.cut], s.at(10, 30));
    assert_err(desk.book(&clash, None).await, 409, "slot_taken");
    let body = serde_json::to_vec(&clash).expect("json");
    let (status, err) = raw(
        "POST",
        &format!("{}/api/v1/appointments", s.srv.base),
        Some(&token),
        Some(("application/json", body)),
        &[],
    )
    .await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"]["code"], "slot_taken", "{err}");
    let nearest: Vec<DateTime<Utc>> = err["error"]["details"]["nearest_slots"]
        .as_array()
        .unwrap_or_else(|| panic!("no nearest_slots in {err}"))
        .iter()
        .map(instant)
        .collect();
    assert!(!nearest.is_empty(), "{err}");
    for t in &nearest {
        let end = *t + Duration::minutes(45);
        assert!(
            end <= first.start || *t >= first.end,
            "{t} overlaps the booking 10:00–10:45: {err}"
        );
        bookable(desk, li, s.ben, &[s.cut], *t).await;
    }
    assert!(
        nearest.contains(&s.at(10, 45)),
        "right after the booking is the nearest: {nearest:?}"
    );
    let taken = desk
        .book(&booking(li, s.ben, &[s.cut], s.at(10, 45)), None)
        .await
        .expect("a suggested slot books");
    assert_eq!((taken.start, taken.end), (s.at(10, 45), s.at(11, 30)));

    // Another stylist at the same time, and bookings that start as another ends, are no clash.
    desk.book(&booking(li, s.amy, &[s.cut], s.at(10, 30)), None)
        .await
        .expect("Amy is free");
    let zhang = s.customer("张伟").await;
    desk.book(&booking(zhang, s.ben, &[s.wash], s.at(9, 45)), None)
        .await
        .expect("ends as the first begins");
    desk.book(&booking(zhang, s.ben, &[s.wash], s.at(11, 30)), None)
        .await
        .expect("begins as the second ends");
    assert_err(
        desk.book(&booking(zhang, s.ben, &[s.wash], s.at(10, 40)), None)
            .await,
        409,
        "slot_taken",
    );
    s.srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_shift_or_on_leave_is_refused() {
    let s = salon().await;
    let desk = s.srv.client(Role::FrontDesk).await;
    let wang = s.customer("王芳").await;
    let dana = hire(&s.srv, "Dana 10–20", &[CUT]).await;
    let mut roster = all_day();
    roster.weekly = [Some(hours((10, 0), (20, 0))); 7];
    s.srv
        .manager
        .set_roster(dana, &roster)
        .await
        .expect("roster");

    assert_err(
        desk.book(&booking(wang, dana, &[s.cut], s.at(9, 30)), None)
            .await,
        409,
        "outside_shift",
    );
    assert_err(
        desk.book(&booking(wang, dana, &[s.cut], s.at(19, 30)), None)
            .await,
        409,
        "outside_shift",
    );
    assert_err(
        desk.book(&booking(wang, s.ben, &[s.cut], s.at(23, 30)), None)
            .await,
        409,
        "outside_shift",
    );
    desk.book(&booking(wang, dana, &[s.cut], s.at(19, 15)), None)
        .await
        .expect("ends as the shift ends");
    desk.book(&booking(wang, dana, &[s.cut], s.at(10, 0)), None)
        .await
        .expect("starts as the shift starts");

    let mut leave = all_day();
    leave
        .exceptions
        .push(ShiftException::Leave { date: s.tomorrow() });
    s.srv
        .manager
        .set_roster(s.ben, &leave)
        .await
        .expect("leave");
    assert_eq!(s.srv.manager.roster(s.ben).await.expect("roster"), leave);
    assert_err(
        desk.book(&booking(wang, s.ben, &[s.cut], s.at(12, 0)), None)
            .await,
        409,
        "stylist_not_working",
    );
    let after = local(&s.srv, s.tomorrow() + Duration::days(1), 12, 0);
    desk.book(&booking(wang, s.ben, &[s.cut], after), None)
        .await
        .expect("back the day after");
    let free = desk
        .availability(s.tomorrow(), &[s.cut], Some(s.ben))
        .await
        .expect("availability");
    assert!(
        free.stylists.iter().all(|st| st.slots.is_empty()),
        "no slots on a leave day: {free:?}"
    );

    let nobody = hire(&s.srv, "Eve no roster", &[CUT]).await;
    assert_err(
        desk.book(&booking(wang, nobody, &[s.cut], s.at(12, 0)), None)
            .await,
        409,
        "stylist_not_working",
    );
    let listed = desk
        .appointments(&AppointmentQuery {
            day: Some(s.tomorrow()),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.len(), 2, "only the two that fit: {listed:?}");
    s.srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impossible_bookings_are_refused_before_anything_is_written() {
    let s = salon().await;
    let desk = s.srv.client(Role::FrontDesk).await;
    let wang = s.customer("王芳").await;
    let now = Utc::now();

    assert_err(
        desk.book(
            &booking(wang, s.ben, &[s.cut], now - Duration::hours(2)),
            None,
        )
        .await,
        422,
        "in_past",
    );
    assert_err(
        desk.book(
            &booking(wang, s.ben, &[s.cut], now + Duration::days(400)),
            None,
        )
        .await,
        422,
        "too_far",
    );
    assert_err(
        desk.book(&booking(wang, s.cici, &[s.cut], s.at(10, 0)), None)
            .await,
        422,
        "stylist_cannot_perform",
    );
    assert_err(
        desk.book(&booking(wang, s.ben, &[s.cut, s.colour], s.at(10, 0)), None)
            .await,
        422,
        "stylist_cannot_perform",
    );
    assert_err(
        desk.book(&booking(wang, s.amy, &[s.perm, s.colour], s.at(1, 0)), None)
            .await,
        422,
        "too_long",
    );
    assert_err(
        desk.book(&booking(wang, s.ben, &[], s.at(10, 0)), None)
            .await,
        422,
        "services_invalid",
    );
    assert_err(
        desk.book(
            &booking(wang, s.ben, &[ServiceId(9_999)], s.at(10, 0)),
            None,
        )
        .await,
        422,
        "service_unknown",
    );
    assert_err(
        desk.book(
            &booking(CustomerId(9_999), s.ben, &[s.cut], s.at(10, 0)),
            None,
        )
        .await,
        404,
        "not_found",
    );
    assert_err(
        desk.book(&booking(wang, StaffId(9_999), &[s.cut], s.at(10, 0)), None)
            .await,
        404,
        "not_found",
    );
    assert!(
        desk.appointments(&AppointmentQuery {
            customer: Some(wang.0),
            ..Default::default()
        })
        .await
        .expect("list")
        .is_empty(),
        "nothing was booked"
    );

    // The limits themselves are fine: a long day's perm, and a booking a few months ahead.
    let perm = desk
        .book(&booking(wang, s.amy, &[s.perm], s.at(8, 0)), None)
        .await
        .expect("400 minutes");
    assert_eq!(perm.end - perm.start, Duration::minutes(400));
    let ahead = local(&s.srv, today(&s.srv) + Duration::days(300), 12, 0);
    desk.book(&booking(wang, s.ben, &[s.cut], ahead), None)
        .await
        .expect("300 days ahead");
    s.srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_rechecks_the_diary_and_cancelling_frees_the_slot() {
    let s = salon().await;
    let desk = s.srv.client(Role::FrontDesk).await;
    let (wang, li, zhang) = (
        s.customer("王芳").await,
        s.customer("李娜").await,
        s.customer("张伟").await,
    );
    let a1 = desk
        .book(&booking(wang, s.ben, &[s.cut], s.at(10, 0)), None)
        .await
        .expect("booked");
    let a2 = desk
        .book(&booking(li, s.ben, &[s.cut], s.at(14, 0)), None)
        .await
        .expect("booked");

    let moved = desk
        .move_appointment(a1.id, &move_to(s.at(11, 0)), None)
        .await
        .expect("moved");
    assert_eq!((moved.start, moved.end), (s.at(11, 0), s.at(11, 45)));
    assert_eq!(moved.state, AppointmentState::Booked);
    assert_eq!(state_of(&desk, a1.id, s.tomorrow()).await, moved);
    desk.book(&booking(zhang, s.ben, &[s.cut], s.at(10, 0)), None)
        .await
        .expect("the old time is free again");

    assert_err(
        desk.move_appointment(a1.id, &move_to(s.at(14, 15)), None)
            .await,
        409,
        "slot_taken",
    );
    assert_err(
        desk.move_appointment(a1.id, &move_to(s.at(13, 30)), None)
            .await,
        409,
        "slot_taken",
    );
    assert_err(
        desk.move_appointment(a1.id, &move_to(s.at(10, 30)), None)
            .await,
        409,
        "slot_taken",
    );
    assert_err(
        desk.move_appointment(a1.id, &move_to(Utc::now() - Duration::hours(3)), None)
            .await,
        422,
        "in_past",
    );
    let to_cici = AppointmentPatch {
        stylist_id: Some(s.cici),
        ..Default::default()
    };
    assert_err(
        desk.move_appointment(a1.id, &to_cici, None).await,
        422,
        "stylist_cannot_perform",
    );
    assert_eq!(
        state_of(&desk, a1.id, s.tomorrow()).await,
        moved,
        "refused moves change nothing"
    );
    let snug = desk
        .move_appointment(a1.id, &move_to(s.at(13, 15)), None)
        .await
        .expect("ends as the next begins");
    assert_eq!(snug.end, a2.start);
    // A longer service list is rechecked; moving within its own time is no clash with itself.
    let longer = AppointmentPatch {
        services: Some(vec![s.cut, s.wash]),
        ..Default::default()
    };
    assert_err(
        desk.move_appointment(a1.id, &longer, None).await,
        409,
        "slot_taken",
    );
    desk.move_appointment(a1.id, &move_to(s.at(13, 0)), None)
        .await
        .expect("overlaps only itself");
    let next_day = s.tomorrow() + Duration::days(1);
    let other_day = desk
        .move_appointment(a1.id, &move_to(local(&s.srv, next_day, 14, 0)), None)
        .await
        .expect("to another day");
    assert_eq!(state_of(&desk, a1.id, next_day).await, other_day);
    let tomorrow = desk
        .appointments(&AppointmentQuery {
            day: Some(s.tomorrow()),
            ..Default::default()
        })
        .await
        .expect("list");
    assert!(
        tomorrow.iter().all(|a| a.id != a1.id),
        "no longer listed on its old day: {tomorrow:?}"
    );
    let to_amy = AppointmentPatch {
        stylist_id: Some(s.amy),
        start: Some(s.at(14, 0)),
        ..Default::default()
    };
    let with_amy = desk
        .move_appointment(a1.id, &to_amy, None)
        .await
        .expect("to another stylist");
    assert_eq!((with_amy.stylist_id, with_amy.start), (s.amy, s.at(14, 0)));

    let cancelled = desk
        .cancel_appointment(a2.id, None)
        .await
        .expect("cancelled");
    assert_eq!(cancelled.state, AppointmentState::Cancelled);
    let replaced = desk
        .book(&booking(zhang, s.ben, &[s.cut], s.at(14, 0)), None)
        .await
        .expect("the cancelled slot is free");
    assert_eq!(replaced.start, a2.start);
    assert_err(
        desk.move_appointment(a2.id, &move_to(s.at(16, 0)), None)
            .await,
        409,
        "appointment_closed",
    );
    assert_err(
        desk.cancel_appointment(a2.id, None).await,
        409,
        "appointment_closed",
    );
    assert_err(
        desk.move_appointment(999_999, &move_to(s.at(16, 0)), None)
            .await,
        404,
        "not_found",
    );
    assert_eq!(
        state_of(&desk, a2.id, s.tomorrow()).await.state,
        AppointmentState::Cancelled
    );
    s.srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn availability_offers_only_slots_that_can_be_booked() {
    let s = salon().await;
    let stylist_device = s.srv.client(Role::Stylist).await;
    let desk = &s.srv.manager;
    let wang = s.customer("王芳").await;
    // Ben works 10:00–14:00 tomorrow only, and is booked 11:00–11:45; Amy is booked 15:00–15:45.
    let mut short = all_day();
    short.exceptions.push(ShiftException::Hours {
        date: s.tomorrow(),
        hours: hours((10, 0), (14, 0)),
    });
    desk.set_roster(s.ben, &short).await.expect("roster");
    let off = hire(&s.srv, "Eve no roster", &[CUT]).await;
    desk.book(&booking(wang, s.ben, &[s.cut], s.at(11, 0)), None)
        .await
        .expect("booked");
    desk.book(&booking(wang, s.amy, &[s.cut], s.at(15, 0)), None)
        .await
        .expect("booked");

    let av = stylist_device
        .availability(s.tomorrow(), &[s.cut], None)
        .await
        .expect("availability");
    assert_eq!(av.day, s.tomorrow());
    assert_eq!(av.minutes, 45);
    let listed: Vec<StaffId> = av.stylists.iter().map(|st| st.stylist).collect();
    assert!(
        listed.contains(&s.amy) && listed.contains(&s.ben),
        "{listed:?}"
    );
    assert!(!listed.contains(&s.cici), "Cici does not cut: {listed:?}");
    let slots = |id: StaffId| {
        av.stylists
            .iter()
            .find(|st| st.stylist == id)
            .map(|st| st.slots.clone())
            .unwrap_or_default()
    };
    assert!(slots(off).is_empty(), "not working, nothing offered");
    let ben = slots(s.ben);
    let want: Vec<DateTime<Utc>> = [
        (10, 0),
        (10, 15),
        (11, 45),
        (12, 0),
        (12, 15),
        (12, 30),
        (12, 45),
        (13, 0),
        (13, 15),
    ]
    .iter()
    .map(|(h, m)| s.at(*h, *m))
    .collect();
    assert_eq!(ben, want, "Ben's free 45-minute starts on the quarter hour");
    for t in &ben {
        bookable(desk, wang, s.ben, &[s.cut], *t).await;
    }

    let amy = slots(s.amy);
    assert!(
        amy.len() > 80,
        "Amy is free most of the day: {} slots",
        amy.len()
    );
    for t in &amy {
        let end = *t + Duration::minutes(45);
        assert!(
            end <= s.at(15, 0) || *t >= s.at(15, 45),
            "{t} overlaps Amy's booking"
        );
        assert_eq!(
            *t,
            t.duration_trunc(Duration::minutes(15)).expect("trunc"),
            "on the quarter hour"
        );
    }
    assert!(amy.contains(&s.at(14, 15)) && amy.contains(&s.at(15, 45)));
    for t in [
        s.at(14, 30),
        s.at(14, 45),
        s.at(15, 0),
        s.at(15, 15),
        s.at(15, 30),
    ] {
        assert!(!amy.contains(&t), "{t} is taken");
    }
    for t in [
        amy[0],
        s.at(14, 15),
        s.at(15, 45),
        *amy.last().expect("slots"),
    ] {
        bookable(desk, wang, s.amy, &[s.cut], t).await;
    }

    let only_ben = desk
        .availability(s.tomorrow(), &[s.cut], Some(s.ben))
        .await
        .expect("availability");
    assert_eq!(only_ben.stylists.len(), 1);
    assert_eq!(only_ben.stylists[0].slots, want);
    let colour = desk
        .availability(s.tomorrow(), &[s.colour], None)
        .await
        .expect("availability");
    let mut colourists: Vec<StaffId> = colour.stylists.iter().map(|st| st.stylist).collect();
    colourists.sort();
    assert_eq!(colourists, vec![s.amy, s.cici]);
    assert_eq!(colour.minutes, 300);
    assert_err(
        desk.availability(today(&s.srv) - Duration::days(1), &[s.cut], None)
            .await,
        400,
        "bad_query",
    );
    assert_err(
        desk.availability(s.tomorrow(), &[], None).await,
        422,
        "services_invalid",
    );
    s.srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn todays_availability_starts_after_the_queue() {
    let s = salon().await;
    let desk = s.srv.client(Role::FrontDesk).await;
    for name in ["王芳", "李娜"] {
        let (_, p) = walk_in_customer(&s.srv, name).await;
        desk.check_in(&check_in(by_phone(&p), &[s.cut], Some(s.ben)), None)
            .await
            .expect("walk-in for Ben");
    }
    let before = Utc::now();
    let av = desk
        .availability(today(&s.srv), &[s.cut], None)
        .await
        .expect("availability");
    let after = Utc::now();
    let slots = |id: StaffId| {
        av.stylists
            .iter()
            .find(|st| st.stylist == id)
            .map(|st| st.slots.clone())
            .expect("listed")
    };
    let amy = slots(s.amy);
    assert!(!amy.is_empty(), "Amy is free today");
    assert!(
        amy[0] >= before && amy[0] <= after + Duration::minutes(15),
        "Amy's first slot is the next quarter hour: {}",
        amy[0]
    );
    let ben = slots(s.ben);
    assert!(!ben.is_empty(), "Ben is free later today");
    assert!(
        ben[0] >= before + Duration::minutes(90),
        "two 45-minute cuts come first: {}",
        ben[0]
    );
    assert!(
        ben[0] <= after + Duration::minutes(90 + 15),
        "then Ben is free: {}",
        ben[0]
    );
    let zhang = s.customer("张伟").await;
    bookable(&desk, zhang, s.ben, &[s.cut], ben[0]).await;
    bookable(&desk, zhang, s.amy, &[s.cut], amy[0]).await;
    s.srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appointments_are_listed_by_day_stylist_and_customer() {
    let s = salon().await;
    let desk = s.srv.client(Role::FrontDesk).await;
    let (wang, li) = (s.customer("王芳").await, s.customer("李娜").await);
    let later = s.tomorrow() + Duration::days(1);
    let w1 = desk
        .book(&booking(wang, s.amy, &[s.cut], s.at(10, 0)), None)
        .await
        .expect("booked");
    let w2 = desk
        .book(
            &booking(wang, s.ben, &[s.cut], local(&s.srv, later, 10, 0)),
            None,
        )
        .await
        .expect("booked");
    let l1 = desk
        .book(&booking(li, s.ben, &[s.cut], s.at(9, 0)), None)
        .await
        .expect("booked");
    let l2 = desk
        .book(&booking(li, s.amy, &[s.cut], s.at(12, 0)), None)
        .await
        .expect("booked");
    let ids = |v: Vec<Appointment>| v.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let list = |q: AppointmentQuery| {
        let desk = desk.clone();
        async move { ids(desk.appointments(&q).await.expect("list")) }
    };

    assert_eq!(
        list(AppointmentQuery {
            day: Some(s.tomorrow()),
            ..Default::default()
        })
        .await,
        vec![l1.id, w1.id, l2.id],
        "in time order"
    );
    assert_eq!(
        list(AppointmentQuery {
            day: Some(later),
            ..Default::default()
        })
        .await,
        vec![w2.id]
    );
    assert_eq!(
        list(AppointmentQuery {
            day: Some(s.tomorrow()),
            stylist: Some(s.amy.0),
            ..Default::default()
        })
        .await,
        vec![w1.id, l2.id]
    );
    assert_eq!(
        list(AppointmentQuery {
            day: Some(s.tomorrow()),
            stylist: Some(s.ben.0),
            ..Default::default()
        })
        .await,
        vec![l1.id]
    );
    assert_eq!(
        list(AppointmentQuery {
            customer: Some(wang.0),
            ..Default::default()
        })
        .await,
        vec![w1.id, w2.id],
        "every day"
    );
    assert_eq!(
        list(AppointmentQuery {
            customer: Some(li.0),
            stylist: Some(s.amy.0),
            ..Default::default()
        })
        .await,
        vec![l2.id]
    );
    assert_eq!(
        list(AppointmentQuery {
            day: Some(s.tomorrow()),
            customer: Some(li.0),
            ..Default::default()
        })
        .await,
        vec![l1.id, l2.id]
    );
    assert!(
        list(AppointmentQuery {
            day: Some(today(&s.srv)),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    desk.cancel_appointment(l2.id, None)
        .await
        .expect("cancelled");
    let cancelled = desk
        .appointments(&AppointmentQuery {
            customer: Some(li.0),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(
        cancelled.iter().find(|a| a.id == l2.id).map(|a| a.state),
        Some(AppointmentState::Cancelled),
        "kept, marked cancelled"
    );

    let chair = s.srv.client(Role::Stylist).await;
    assert_eq!(
        ids(chair
            .appointments(&AppointmentQuery {
                day: Some(s.tomorrow()),
                ..Default::default()
            })
            .await
            .expect("a stylist reads the diary"))
        .len(),
        3
    );
    s.srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_with_a_booking_today_checks_in_against_it() {
    let s = salon().await;
    let desk = s.srv.client(Role::FrontDesk).await;
    let kiosk = s.srv.client(Role::Kiosk).await;
    let (wang, wang_phone) = walk_in_customer(&s.srv, "王芳").await;
    let (_, li_phone) = walk_in_customer(&s.srv, "李娜").await;
    let start = (Utc::now() + Duration::minutes(10))
        .duration_trunc(Duration::minutes(1))
        .expect("trunc");
    assert_eq!(
        start.with_timezone(&s.srv.state.info.tz).date_naive(),
        today(&s.srv),
        "the harness keeps the store clock away from midnight"
    );
    let a = desk
        .book(&booking(wang.id, s.amy, &[s.cut, s.wash], start), None)
        .await
        .expect("booked for today");

    // 李娜 walks in first and asks for Amy: she is served around 王芳's booking.
    let walk_in = kiosk
        .check_in(&check_in(by_phone(&li_phone), &[s.cut], Some(s.amy)), None)
        .await
        .expect("walk-in");
    assert_eq!(walk_in.position, 1);
    assert_eq!(walk_in.ticket.number, "A001");
    // 王芳 arrives and taps only her phone: no need to choose anything again.
    let r = kiosk
        .check_in(&check_in(by_phone(&wang_phone), &[], None), None)
        .await
        .expect("checked in");
    assert!(r.ticket.number.starts_with('B'), "{}", r.ticket.number);
    assert_eq!(r.ticket.number, "B001");
    assert_eq!(r.appointment_id, Some(a.id));
    assert_eq!(r.ticket.source, TicketSource::Appointment { id: a.id });
    assert_eq!(r.ticket.stylist, Some(s.amy));
    assert_eq!(r.ticket.requested, Some(s.amy));
    assert_eq!(r.ticket.services, a.services);
    assert_eq!(r.ticket.state, TicketState::Waiting);
    assert!(r.wait.high >= r.wait.low + 5, "{:?}", r.wait);
    assert!(
        r.wait.low <= 10,
        "her booking starts in about 10 minutes: {:?}",
        r.wait
    );
    assert_eq!(r.stylist_name.as_deref(), Some("Amy"));
    let amy_line = desk
        .queue(&QueueQuery {
            stylist: Some(s.amy.0),
            include_closed: false,
        })
        .await
        .expect("queue");
    let place = |id: u64| {
        amy_line
            .entries
            .iter()
            .find(|e| e.ticket.id == id)
            .map(|e| e.position)
    };
    assert_eq!(
        r.position, 1,
        "an arrived booked customer is next for her stylist"
    );
    assert_eq!(
        (place(r.ticket.id), place(walk_in.ticket.id)),
        (Some(1), Some(2)),
        "{amy_line:?}"
    );

    let after = state_of(&desk, a.id, today(&s.srv)).await;
    assert_eq!(after.state, AppointmentState::CheckedIn);
    assert_eq!(after.ticket_id, Some(r.ticket.id));
    let q = desk.queue(&QueueQuery::default()).await.expect("queue");
    assert!(
        q.entries.iter().any(|e| e.ticket.id == r.ticket.id),
        "in the live queue"
    );
    assert_err(
        desk.move_appointment(a.id, &move_to(start + Duration::minutes(30)), None)
            .await,
        409,
        "appointment_closed",
    );
    assert_err(
        desk.cancel_appointment(a.id, None).await,
        409,
        "appointment_closed",
    );
    assert_err(
        kiosk
            .check_in(&check_in(by_phone(&wang_phone), &[], None), None)
            .await,
        409,
        "already_checked_in",
    );

    // Her booking still holds Amy's time: nobody else can be booked over it.
    let zhang = s.customer("张伟").await;
    assert_err(
        desk.book(&booking(zhang, s.amy, &[s.cut], start), None)
            .await,
        409,
        "slot_taken",
    );

    // Called but gone when her turn came: the booking is a no-show too.
    let t = desk
        .queue_move(r.ticket.id, salon_shared::api::QueueAction::NoShow)
        .await
        .expect("no-show");
    assert_eq!(t.state, TicketState::NoShow);
    assert_eq!(
        state_of(&desk, a.id, today(&s.srv)).await.state,
        AppointmentState::NoShow
    );
    s.srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_today_cannot_start_while_the_chair_is_taken() {
    let s = salon().await;
    let desk = s.srv.client(Role::FrontDesk).await;
    // Ben starts a 45-minute cut on a walk-in now.
    let (_, p) = walk_in_customer(&s.srv, "王芳").await;
    let r = desk
        .check_in(&check_in(by_phone(&p), &[s.cut], Some(s.ben)), None)
        .await
        .expect("walk-in");
    desk.queue_move(r.ticket.id, salon_shared::api::QueueAction::Start)
        .await
        .expect("in the chair");
    let soon = (Utc::now() + Duration::minutes(10))
        .duration_trunc(Duration::minutes(1))
        .expect("trunc");
    let av = desk
        .availability(today(&s.srv), &[s.cut], Some(s.ben))
        .await
        .expect("availability");
    assert!(
        av.stylists[0]
            .slots
            .iter()
            .all(|t| *t >= r.ticket.created_at + Duration::minutes(45)),
        "no slot is offered while the cut is under way: {av:?}"
    );
    let li = s.customer("李娜").await;
    // The schedule's own rule: a booking may not overlap "a walk-in already in the chair".
    assert_err(
        desk.book(&booking(li, s.ben, &[s.cut], soon), None).await,
        409,
        "slot_taken",
    );
    desk.book(&booking(li, s.amy, &[s.cut], soon), None)
        .await
        .expect("Amy's chair is free");
    let later = soon + Duration::minutes(60);
    desk.book(&booking(li, s.ben, &[s.cut], later), None)
        .await
        .expect("after the cut");
    s.srv.stop().await;
}

/// Runs the no-show sweep now; returns how many it marked.
async fn sweep(srv: &TestServer) -> u64 {
    let info = srv.state.info.clone();
    srv.state
        .writer
        .write(Actor::system("test sweep"), None, move |tx| {
            mark_no_shows(tx, &info)
        })
        .await
        .expect("sweep runs")
}

/// Writes an appointment straight into the store (the API rightly refuses past bookings).
async fn insert_past(srv: &TestServer, a: Appointment) -> Appointment {
    let day = a
        .start
        .with_timezone(&srv.state.info.tz)
        .date_naive()
        .to_string();
    srv.state
        .writer
        .write(Actor::system("test data"), None, move |tx| {
            let mut a = a.clone();
            a.id = tx.next_id("appointment")?;
            tx.put(&tables::APPOINTMENTS, a.id, &a)?;
            tx.w.open_table(tables::APPOINTMENTS_BY_DAY)
                .map_err(StoreError::from)?
                .insert((day.as_str(), a.id), ())
                .map_err(StoreError::from)?;
            tx.w.open_table(tables::APPOINTMENTS_BY_CUSTOMER)
                .map_err(StoreError::from)?
                .insert((a.customer_id.0, a.id), ())
                .map_err(StoreError::from)?;
            Ok::<_, StoreError>(a)
        })
        .await
        .expect("inserted")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_missed_past_the_grace_period_is_a_no_show() {
    let s = salon().await;
    let desk = s.srv.client(Role::FrontDesk).await;
    let (wang, li, zhang) = (
        s.customer("王芳").await,
        s.customer("李娜").await,
        s.customer("张伟").await,
    );
    assert_eq!(
        desk.appointment_settings()
            .await
            .expect("settings")
            .grace_minutes,
        15,
        "the default grace"
    );
    assert_err(
        desk.set_appointment_settings(&AppointmentSettings { grace_minutes: 0 })
            .await,
        403,
        "forbidden",
    );
    assert_err(
        s.srv
            .manager
            .set_appointment_settings(&AppointmentSettings { grace_minutes: 241 })
            .await,
        422,
        "invalid",
    );

    let now = Utc::now()
        .duration_trunc(Duration::seconds(1))
        .expect("trunc");
    let template = Appointment {
        id: 0,
        customer_id: wang,
        stylist_id: s.ben,
        services: vec![s.cut],
        start: now - Duration::minutes(10),
        end: now + Duration::minutes(35),
        state: AppointmentState::Booked,
        note: String::new(),
        created_at: now - Duration::days(2),
        ticket_id: None,
    };
    let late = insert_past(&s.srv, template.clone()).await;
    let arrived = insert_past(
        &s.srv,
        Appointment {
            customer_id: li,
            stylist_id: s.amy,
            state: AppointmentState::CheckedIn,
            ticket_id: Some(77),
            ..template.clone()
        },
    )
    .await;
    let upcoming = desk
        .book(&booking(zhang, s.ben, &[s.cut], s.at(10, 0)), None)
        .await
        .expect("booked");
    let day = late.start.with_timezone(&s.srv.state.info.tz).date_naive();
    assert_eq!(
        state_of(&desk, late.id, day).await.state,
        AppointmentState::Booked
    );

    // Ten minutes late is within the 15-minute grace.
    sweep(&s.srv).await;
    assert_eq!(
        state_of(&desk, late.id, day).await.state,
        AppointmentState::Booked,
        "still within the grace period"
    );

    let set = s
        .srv
        .manager
        .set_appointment_settings(&AppointmentSettings { grace_minutes: 0 })
        .await
        .expect("grace 0");
    assert_eq!(set.grace_minutes, 0);
    assert_eq!(
        desk.appointment_settings()
            .await
            .expect("settings")
            .grace_minutes,
        0
    );
    let marked = sweep(&s.srv).await;
    assert!(marked <= 1, "only the late one: {marked}");
    assert_eq!(
        state_of(&desk, late.id, day).await.state,
        AppointmentState::NoShow
    );
    assert_eq!(
        state_of(&desk, arrived.id, day).await.state,
        AppointmentState::CheckedIn,
        "arrived: not a no-show"
    );
    assert_eq!(
        state_of(&desk, upcoming.id, s.tomorrow()).await.state,
        AppointmentState::Booked,
        "not due yet"
    );
    assert_eq!(sweep(&s.srv).await, 0, "a second sweep marks nothing again");
    assert_err(
        desk.move_appointment(late.id, &move_to(s.at(12, 0)), None)
            .await,
        409,
        "appointment_closed",
    );

    assert_err(
        desk.no_show_report(&PeriodQuery::default()).await,
        403,
        "forbidden",
    );
    let report = s
        .srv
        .manager
        .no_show_report(&PeriodQuery::default())
        .await
        .expect("report");
    assert_eq!((report.due, report.no_shows), (2, 1), "{report:?}");
    assert!((report.rate - 0.5).abs() < 1e-9, "{report:?}");
    let tomorrow = s.tomorrow();
    let ahead = s
        .srv
        .manager
        .no_show_report(&PeriodQuery {
            from: Some(tomorrow),
            to: Some(tomorrow),
        })
        .await
        .expect("report");
    assert_eq!(
        (ahead.due, ahead.no_shows),
        (0, 0),
        "tomorrow's booking is not due"
    );
    s.srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_the_reminder_in_the_outbox() {
    let s = salon().await;
    let kiosk = s.srv.client(Role::Kiosk).await;
    let chair = s.srv.client(Role::Stylist).await;
    let (desk, desk_token, _) = paired(&s.srv, Role::FrontDesk, "front desk").await;
    let token = manager_token(&s.srv).await;
    let wang = s.customer("王芳").await;
    let req = booking(wang, s.ben, &[s.cut], s.at(15, 0));

    assert_err(kiosk.book(&req, None).await, 403, "forbidden");
    assert_err(
        kiosk.appointments(&AppointmentQuery::default()).await,
        403,
        "forbidden",
    );
    assert_err(
        kiosk.availability(s.tomorrow(), &[s.cut], None).await,
        403,
        "forbidden",
    );
    let a = desk.book(&req, None).await.expect("the front desk books");
    let seen = chair
        .appointments(&AppointmentQuery {
            day: Some(s.tomorrow()),
            ..Default::default()
        })
        .await
        .expect("a stylist reads");
    assert_eq!(seen, vec![a.clone()]);
    chair
        .availability(s.tomorrow(), &[s.cut], None)
        .await
        .expect("a stylist sees free slots");
    assert_err(kiosk.cancel_appointment(a.id, None).await, 403, "forbidden");

    let outbox_url = format!("{}/api/v1/outbox", s.srv.base);
    let (status, _) = raw("GET", &outbox_url, Some(&desk_token), None, &[]).await;
    assert_eq!(status, 403, "the outbox is the manager's");
    let (status, outbox) = raw("GET", &outbox_url, Some(&token), None, &[]).await;
    assert_eq!(status, 200, "{outbox}");
    let messages = outbox
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {outbox}"));
    let for_a = |kind: &str| -> Vec<serde_json::Value> {
        messages
            .iter()
            .filter(|m| m["appointment_id"] == a.id && m["kind"] == kind)
            .cloned()
            .collect()
    };
    let reminders = for_a("reminder");
    assert_eq!(reminders.len(), 1, "one reminder for the booking: {outbox}");
    let r = &reminders[0];
    assert_eq!(r["customer_id"], wang.0);
    assert_eq!(
        instant(&r["due_at"]),
        a.start - Duration::minutes(60),
        "due an hour before by default: {r}"
    );
    let deliveries = r["deliveries"].as_array().expect("deliveries");
    assert!(!deliveries.is_empty(), "{r}");
    for d in deliveries {
        assert_eq!(d["state"], "skipped", "no channel is configured: {d}");
    }

    desk.cancel_appointment(a.id, None)
        .await
        .expect("cancelled");
    let (_, outbox) = raw("GET", &outbox_url, Some(&token), None, &[]).await;
    let cancelled: Vec<&serde_json::Value> = outbox
        .as_array()
        .expect("list")
        .iter()
        .filter(|m| m["appointment_id"] == a.id && m["kind"] == "cancelled")
        .collect();
    assert_eq!(
        cancelled.len(),
        1,
        "the customer is told of the cancellation: {outbox}"
    );
    s.srv.stop().await;
}
