//! The synthetic store the benchmark runs on: written through the server's own storage
//! code, consistent (balances equal their ledgers, every visit has its ticket, record and
//! paid checkout, counts add up), served by the real API, and the same for the same seed.

use redb::{ReadableDatabase, ReadableTableMetadata};
use salon_shared::api::{CheckoutKind, PeriodQuery};
use salon_shared::queue::TicketState;
use salon_tests::TestServer;
use store_server::store::tables;
use store_server::synthetic::{Generated, Size, generate};

const SIZE: Size = Size {
    customers: 600,
    visits: 6_000,
    years: 2,
    seed: 7,
};

async fn generated(srv: &TestServer, size: Size) -> Result<Generated, String> {
    let s = srv.state.clone();
    tokio::task::spawn_blocking(move || generate(&s.db, &s.writer, s.info.tz, size))
        .await
        .expect("generator thread")
        .map_err(|e| e.code().to_string())
}

/// What the store holds, without the times of writing: customers with their visit counts,
/// spend and tier, and the tickets per day.
fn content(srv: &TestServer) -> serde_json::Value {
    let r = srv.state.db.begin_read().expect("read");
    let customers: Vec<_> = tables::CUSTOMERS
        .all(&r)
        .expect("customers")
        .into_iter()
        .map(|c| {
            (
                c.name,
                c.phone,
                c.visit_count,
                c.total_spend,
                c.tier,
                c.card,
            )
        })
        .collect();
    let mut per_day = std::collections::BTreeMap::<String, usize>::new();
    for t in tables::TICKETS.all(&r).expect("tickets") {
        *per_day.entry(t.day.to_string()).or_default() += 1;
    }
    serde_json::json!({"customers": customers, "per_day": per_day})
}

fn rows(srv: &TestServer, def: redb::TableDefinition<u64, &[u8]>) -> usize {
    let r = srv.state.db.begin_read().expect("read");
    r.open_table(def).expect("table").len().expect("len") as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_store_is_consistent_and_served() {
    let srv = TestServer::start().await;
    let made = generated(&srv, SIZE).await.expect("generated");
    assert_eq!(made.customers, SIZE.customers);
    assert_eq!(made.visits, SIZE.visits);
    assert_eq!(rows(&srv, tables::TICKETS.definition()), SIZE.visits);
    assert_eq!(rows(&srv, tables::VISITS.definition()), SIZE.visits);
    assert_eq!(rows(&srv, tables::FEEDBACK.definition()), made.ratings);
    assert!(made.ratings > SIZE.visits / 5 && made.ratings < SIZE.visits / 2);
    assert!(made.booked_visits > 0 && made.no_shows > 0 && made.upcoming_bookings > 0);
    assert!(made.members_with_balance > SIZE.customers / 5 && made.packages > 0);

    let r = srv.state.db.begin_read().expect("read");
    let wrong = store_server::ops::money::verify_ledgers(&r).expect("ledger check");
    assert!(wrong.is_empty(), "ledgers do not balance: {wrong:?}");
    let tickets = tables::TICKETS.all(&r).expect("tickets");
    let checkouts = tables::CHECKOUTS.all(&r).expect("checkouts");
    let today = chrono::Utc::now()
        .with_timezone(&srv.state.info.tz)
        .date_naive();
    assert!(
        tickets
            .iter()
            .all(|t| t.state == TicketState::Done && t.day < today)
    );
    let first = tickets.iter().map(|t| t.day).min().expect("tickets");
    assert!((today - first).num_days() <= 365 * 2 && (today - first).num_days() > 700);
    let sales = checkouts
        .iter()
        .filter(|c| matches!(c.kind, CheckoutKind::Sale { .. }))
        .count();
    assert_eq!(sales, SIZE.visits, "every visit is paid once");
    for c in checkouts.iter().filter(|c| c.bill.is_some()) {
        let paid: rust_decimal::Decimal = c
            .settlement
            .payments
            .iter()
            .map(|p| p.amount.amount())
            .sum();
        assert_eq!(paid, c.due.amount(), "checkout {} is paid in full", c.id);
    }
    let customers = tables::CUSTOMERS.all(&r).expect("customers");
    let visits: u32 = customers.iter().map(|c| c.visit_count).sum();
    assert_eq!(visits as usize, SIZE.visits);
    let spend: rust_decimal::Decimal = customers.iter().map(|c| c.total_spend).sum();
    let due: rust_decimal::Decimal = checkouts.iter().map(|c| c.due.amount()).sum();
    assert_eq!(spend, due, "lifetime spend is what the checkouts took");
    drop(r);

    // The API serves it: a regular's profile lists their visits; the reports cover a year.
    let m = &srv.manager;
    let regular = m
        .overview(salon_shared::CustomerId(1))
        .await
        .expect("overview");
    assert!(!regular.visits.is_empty() && regular.visits.iter().all(|v| v.amount.is_some()));
    let year = PeriodQuery {
        from: Some(today - chrono::Duration::days(365)),
        to: Some(today - chrono::Duration::days(1)),
    };
    let ratings = m.ratings_report(&year).await.expect("ratings report");
    assert!(ratings.store.ratings > 0);
    let page = m
        .search_customers(&salon_shared::api::CustomerQuery {
            q: Some(customers[10].name.clone()),
            ..Default::default()
        })
        .await
        .expect("search");
    assert!(page.items.iter().any(|c| c.id == customers[10].id));

    // Only into an empty store.
    assert_eq!(
        generated(&srv, SIZE).await.expect_err("refused"),
        "store_not_empty"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_makes_the_same_store() {
    let small = Size {
        customers: 200,
        visits: 1_500,
        years: 1,
        seed: 11,
    };
    let a = TestServer::start().await;
    let b = TestServer::start().await;
    let c = TestServer::start().await;
    let made_a = generated(&a, small).await.expect("a");
    let made_b = generated(&b, small).await.expect("b");
    generated(&c, Size { seed: 12, ..small }).await.expect("c");
    assert_eq!(made_a, made_b);
    assert_eq!(content(&a), content(&b));
    assert_ne!(content(&a), content(&c), "another seed, another store");
}
