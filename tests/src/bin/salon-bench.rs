//! `salon-bench`: measures the store server on this machine, with the machine's own limits
//! beside each figure. It starts its own server on loopback with a durable store file in a
//! temporary directory and sends traffic to 127.0.0.1 only.
//!
//! Run it as a release build: `cargo run --release -p salon-tests --bin salon-bench`.

use salon_shared::api::CustomerQuery;
use salon_shared::customer::NewCustomer;
use salon_tests::TestServer;
use std::io::Write;
use std::time::{Duration, Instant};
use store_server::Mdns;

const CUSTOMERS: usize = 10_000;
const SAMPLES: usize = 1_000;

struct Stats {
    n: usize,
    p50: Duration,
    p99: Duration,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let at = |q: f64| {
        v.get(((v.len() as f64 * q) as usize).min(v.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Stats {
        n: v.len(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// The disk's own limit: a small write plus `fdatasync`, as a commit needs at least once.
fn raw_fsync(dir: &std::path::Path) -> Stats {
    let mut f = std::fs::File::create(dir.join("fsync-probe")).expect("probe file");
    let block = [7u8; 4096];
    let mut v = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        f.write_all(&block).expect("write");
        let t = Instant::now();
        f.sync_data().expect("fdatasync");
        v.push(t.elapsed());
    }
    stats(v)
}

/// Check-ins measured in a Saturday-sized day.
const CHECKINS: usize = 300;
/// Waiting customers kept in the queue while measuring (stylists serve the oldest).
const QUEUE_DEPTH: usize = 20;

/// Six stylists working all day, a short catalog, then `CHECKINS` walk-ins checked in one
/// at a time, the oldest served whenever more than `QUEUE_DEPTH` wait. Only the check-in
/// requests are timed.
async fn checkins(client: &salon_shared::client::Client) -> anyhow::Result<Stats> {
    use salon_shared::api::*;
    use salon_shared::{Money, ServiceCategory, StaffLevel, StaffRole};
    let hours = DayHours {
        start: chrono::NaiveTime::MIN,
        end: chrono::NaiveTime::from_hms_opt(23, 59, 0).unwrap_or_default(),
    };
    let mut services = Vec::new();
    let catalog = [
        ("洗剪吹", 45, ServiceCategory::CutStyle),
        ("精剪", 50, ServiceCategory::CutStyle),
        ("头皮护理", 45, ServiceCategory::HairCare),
    ];
    for (name, minutes, category) in catalog {
        let input = ServiceInput {
            category,
            name: name.into(),
            description: String::new(),
            suitable_for: String::new(),
            price: Money::new(rust_decimal::Decimal::from(88))?,
            level_prices: Default::default(),
            duration_min: minutes,
        };
        services.push(client.create_service(&input, None).await?.id);
    }
    for i in 0..6 {
        let st = StaffInput {
            name: format!("设计师{i}"),
            role: StaffRole::Stylist,
            level: StaffLevel::Stylist,
            skills: [ServiceCategory::CutStyle, ServiceCategory::HairCare].into(),
            pin: Some("1234".into()),
            active: true,
        };
        let id = client.create_staff(&st, None).await?.id;
        client
            .set_roster(
                id,
                &Roster {
                    weekly: [Some(hours); 7],
                    exceptions: Vec::new(),
                },
            )
            .await?;
    }
    let mut v = Vec::with_capacity(CHECKINS);
    for i in 0..CHECKINS {
        let req = CheckInRequest {
            customer: CheckInCustomer {
                phone: Some(format!("135{:08}", i)),
                ..Default::default()
            },
            services: vec![services[i % services.len()]],
            stylist: None,
        };
        let t = Instant::now();
        client
            .check_in(&req, Some(&format!("bench-checkin-{i}")))
            .await?;
        v.push(t.elapsed());
        let q = client.queue(&QueueQuery::default()).await?;
        let waiting: Vec<&QueueEntry> = q
            .entries
            .iter()
            .filter(|e| e.ticket.state == TicketState::Waiting)
            .collect();
        if waiting.len() > QUEUE_DEPTH {
            let id = waiting[0].ticket.id;
            for a in [QueueAction::Start, QueueAction::Finish] {
                client.queue_move(id, a).await?;
            }
        }
    }
    Ok(stats(v))
}

/// Checkouts of the day's finished visits, one at a time: the service plus a retail
/// product, paid partly from stored value and partly in cash with change, every effect
/// (ledgers, stock, tier spend, points) in the same durable transaction. Only the
/// checkout requests are timed; the top-ups that fund them are not.
async fn checkouts(client: &salon_shared::client::Client) -> anyhow::Result<Stats> {
    use salon_shared::Money;
    use salon_shared::api::*;
    use salon_shared::bill::{PayMethod, Tender};
    let money = |d: i64| Money::new(rust_decimal::Decimal::from(d));
    let product = client
        .create_product(&ProductInput {
            name: "修护洗发水".into(),
            brand: String::new(),
            barcode: None,
            price: money(60)?,
        })
        .await?
        .id;
    let receive = StockInput {
        reason: StockReason::Receive,
        qty: 10_000,
    };
    client.move_stock(product, &receive, None).await?;
    let q = client
        .queue(&QueueQuery {
            include_closed: true,
            ..Default::default()
        })
        .await?;
    let done: Vec<Ticket> = q
        .entries
        .into_iter()
        .filter(|e| e.ticket.state == TicketState::Done && !e.paid)
        .map(|e| e.ticket)
        .collect();
    let mut v = Vec::with_capacity(done.len());
    for (i, t) in done.iter().enumerate() {
        let top = TopUpInput {
            amount: money(100)?,
            tenders: vec![Tender {
                method: PayMethod::Cash,
                amount: money(100)?,
                reference: None,
            }],
        };
        client.top_up(t.customer_id, &top, None).await?;
        let input = CheckoutInput {
            ticket_id: Some(t.id),
            customer_id: None,
            stylist: None,
            items: vec![
                SaleItem::Service {
                    id: t.services[0],
                    qty: 1,
                },
                SaleItem::Product {
                    id: product,
                    qty: 1,
                },
            ],
            use_packages: true,
            coupon: None,
            points: 0,
            tenders: vec![
                Tender {
                    method: PayMethod::StoredValue,
                    amount: money(50)?,
                    reference: None,
                },
                Tender {
                    method: PayMethod::Cash,
                    amount: money(200)?,
                    reference: None,
                },
            ],
        };
        let start = Instant::now();
        client
            .checkout(&input, Some(&format!("bench-checkout-{i}")))
            .await?;
        v.push(start.elapsed());
    }
    Ok(stats(v))
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    println!(
        "salon-bench: store file in {} (durable: one fsync per commit)",
        dir.path().display()
    );
    let server = TestServer::start_in(dir.path(), Mdns::Off).await;
    let fill = Instant::now();
    let writer = server.state.writer.clone();
    tokio::task::spawn_blocking(move || store_server::demo::add_customers(&writer, CUSTOMERS, 7))
        .await?
        .map_err(|e| anyhow::anyhow!(e.message))?;
    println!(
        "filled {CUSTOMERS} customers in {:.1} s",
        fill.elapsed().as_secs_f64()
    );
    let client = server.manager.clone();

    let fsync = raw_fsync(dir.path());

    let mut rtt = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let t = Instant::now();
        client.health().await?;
        rtt.push(t.elapsed());
    }
    let rtt = stats(rtt);

    let mut create = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let c = NewCustomer {
            name: format!("测试{i}"),
            phone: format!("135{:08}", i),
            consent: true,
            ..Default::default()
        };
        let t = Instant::now();
        client
            .create_customer(&c, Some(&format!("bench-{i}")))
            .await?;
        create.push(t.elapsed());
    }
    let create = stats(create);

    // Searches the front desk makes: whole phone, last four digits, name, pinyin initials.
    let queries: Vec<String> = (0..SAMPLES)
        .map(|i| match i % 4 {
            0 => format!("135{:08}", i / 4),
            1 => format!("{:04}", (i * 37) % 10_000),
            2 => ["王芳", "李娜", "张伟", "陈静", "刘洋"][i % 5].to_string(),
            _ => ["wf", "ln", "zw", "cj", "ly"][i % 5].to_string(),
        })
        .collect();
    let mut search = Vec::with_capacity(SAMPLES);
    for q in &queries {
        let query = CustomerQuery {
            q: Some(q.clone()),
            limit: Some(20),
            ..Default::default()
        };
        let t = Instant::now();
        client.search_customers(&query).await?;
        search.push(t.elapsed());
    }
    let search = stats(search);

    // Group commit: many devices writing at once share fsyncs.
    let concurrent = 32;
    let per_task = 50;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..concurrent {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per_task {
                let n = NewCustomer {
                    name: format!("并发{k}-{i}"),
                    phone: format!("137{:04}{:04}", k, i),
                    consent: true,
                    ..Default::default()
                };
                c.create_customer(&n, None).await.map(|_| ())?;
            }
            Ok::<(), salon_shared::client::ClientError>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let rate = (concurrent * per_task) as f64 / t.elapsed().as_secs_f64();

    let checkin = checkins(&client).await?;
    let checkout = checkouts(&client).await?;

    println!();
    println!("| what | p50 | p99 | target (SPEC §4) | machine limit, same run |");
    println!("|---|---|---|---|---|");
    println!(
        "| raw fdatasync of a 4 KiB write | {} | {} | — | (this is the limit) |",
        ms(fsync.p50),
        ms(fsync.p99)
    );
    println!(
        "| loopback HTTP round trip (GET /health) | {} | {} | — | (this is the limit) |",
        ms(rtt.p50),
        ms(rtt.p99)
    );
    println!(
        "| customer create, durable, one at a time | {} | {} | durable write p50 ≤ 1 ms, p99 ≤ 3 ms | fsync p50 {} + round trip p50 {} |",
        ms(create.p50),
        ms(create.p99),
        ms(fsync.p50),
        ms(rtt.p50)
    );
    println!(
        "| customer search on {CUSTOMERS} customers (phone, last 4, name, initials) | {} | {} | p99 ≤ 5 ms | round trip p50 {} |",
        ms(search.p50),
        ms(search.p99),
        ms(rtt.p50)
    );
    println!(
        "| check-in (walk-in, next available, durable), queue of ~{QUEUE_DEPTH} | {} | {} | p50 ≤ 1 ms, p99 ≤ 3 ms | fsync p50 {} + round trip p50 {} |",
        ms(checkin.p50),
        ms(checkin.p99),
        ms(fsync.p50),
        ms(rtt.p50)
    );
    println!(
        "| checkout of a finished visit ({} of them: service + product, stored value + cash with change, durable) | {} | {} | no own target; as a durable write p50 ≤ 1 ms, p99 ≤ 3 ms | fsync p50 {} + round trip p50 {} |",
        checkout.n,
        ms(checkout.p50),
        ms(checkout.p99),
        ms(fsync.p50),
        ms(rtt.p50)
    );
    println!(
        "| customer creates from {concurrent} devices at once | {rate:.0} writes/s | | | 1 / fsync p50 = {:.0} commits/s |",
        1.0 / fsync.p50.as_secs_f64()
    );
    server.stop().await;
    Ok(())
}
