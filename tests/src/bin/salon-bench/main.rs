//! `salon-bench`: measures every quality target of SPEC §4 on this machine, each beside
//! the machine's own limit measured in the same run, and writes the table to BENCHMARKS.md.
//!
//! It generates a synthetic store (default: 100,000 customers, 1,000,000 visits over five
//! years) with `store-server generate`, runs the release `store-server` on it as a separate
//! process on 127.0.0.1 with its durable store file, loads it from this process (the load
//! generator shares the machine, as SPEC §4 says), kills it with SIGKILL under write load
//! and restarts it, then starts the release `kiosk` app in a real window. All traffic goes
//! to 127.0.0.1.
//!
//! `cargo build --release --workspace --bins && target/release/salon-bench`
//! Flags (`--help`): `--customers N --visits N --years N --seed N` (the store), `--out FILE`
//! (default BENCHMARKS.md), `--no-kiosk`.

mod kiosk;
mod load;
mod server;

use clap::Parser;
use salon_shared::api::CustomerQuery;
use std::io::Write;
use std::time::{Duration, Instant};

const SAMPLES: usize = 1_000;

/// A binary built beside this one (`cargo build --release --workspace --bins`).
pub fn beside_me(name: &str) -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .map(|d| d.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
        .ok_or_else(|| anyhow::anyhow!("no folder beside {}", exe.display()))?;
    anyhow::ensure!(
        bin.exists(),
        "{} not found: build everything first with `cargo build --release --workspace --bins`",
        bin.display()
    );
    Ok(bin)
}

pub struct Stats {
    pub n: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

pub fn stats(mut v: Vec<Duration>) -> Stats {
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
        max: v.last().copied().unwrap_or_default(),
    }
}

pub fn ms(d: Duration) -> String {
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
/// requests are timed. Returns their times and the wash & cut the six can all do.
pub async fn checkins(
    client: &salon_shared::client::Client,
    customers: u64,
) -> anyhow::Result<(Stats, salon_shared::ServiceId)> {
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
                id: Some(salon_shared::CustomerId(customers / 4 + i as u64)),
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
    Ok((stats(v), services[0]))
}

/// Checkouts of the day's finished visits, one at a time: the service plus a retail
/// product, paid partly from stored value and partly in cash with change, every effect
/// (ledgers, stock, tier spend, points) in the same durable transaction. Only the
/// checkout requests are timed; the top-ups that fund them are not.
pub async fn checkouts(client: &salon_shared::client::Client) -> anyhow::Result<Stats> {
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

/// Measures every quality target of SPEC §4 on this machine and writes the table to
/// BENCHMARKS.md. Build everything first: `cargo build --release --workspace --bins`.
#[derive(Parser)]
#[command(name = "salon-bench", version)]
struct Options {
    /// Customers in the generated store.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    customers: u64,
    /// Visits in the generated store.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    visits: u64,
    /// Years of history in the generated store.
    #[arg(long, value_name = "N", default_value_t = 5)]
    years: u32,
    /// Seed of the generated store (the same seed makes the same store).
    #[arg(long, value_name = "N", default_value_t = 42)]
    seed: u64,
    /// Where the report is written.
    #[arg(long, value_name = "FILE", default_value = "BENCHMARKS.md")]
    out: std::path::PathBuf,
    /// Skip the kiosk app's start-up time and memory.
    #[arg(long)]
    no_kiosk: bool,
}

impl Options {
    /// The store's size, as flags of `store-server generate` (whose own defaults are the
    /// ones above).
    fn size(&self) -> Vec<String> {
        [
            ("--customers", self.customers),
            ("--visits", self.visits),
            ("--years", u64::from(self.years)),
            ("--seed", self.seed),
        ]
        .into_iter()
        .flat_map(|(flag, n)| [flag.to_string(), n.to_string()])
        .collect()
    }
}

/// What this machine is: CPU, cores, memory, kernel, and the file system under the store.
fn machine(dir: &std::path::Path) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_kb: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let run = |cmd: &str, args: &[&str]| {
        std::process::Command::new(cmd)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let kernel = run("uname", &["-sr"]);
    let fs = run(
        "df",
        &["--output=fstype,source", &dir.display().to_string()],
    );
    let fs = fs
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" on ");
    format!(
        "{cpu}, {cores} cores available, {:.1} GiB RAM, {kernel}, store file on {fs}",
        mem_kb as f64 / 1024.0 / 1024.0
    )
}

fn main() -> anyhow::Result<()> {
    let o = Options::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(o))
}

/// One row of the table.
struct Row {
    what: String,
    measured: String,
    target: &'static str,
    limit: String,
    met: Option<bool>,
}

fn row(
    what: impl Into<String>,
    measured: String,
    target: &'static str,
    limit: String,
    met: Option<bool>,
) -> Row {
    Row {
        what: what.into(),
        measured,
        target,
        limit,
        met,
    }
}

/// A report's time: its first request, and the median of three more.
async fn report_ms(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
) -> anyhow::Result<(Duration, Duration)> {
    let mut times = Vec::new();
    for _ in 0..4 {
        let t = Instant::now();
        let r = http
            .get(format!("{base}/api/v1{path}"))
            .bearer_auth(token)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
        r.bytes().await?;
        times.push(t.elapsed());
    }
    let first = times.remove(0);
    times.sort();
    Ok((first, times[1]))
}

async fn run(o: Options) -> anyhow::Result<()> {
    use salon_shared::client::Client;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("store");
    let machine = machine(dir.path());
    println!("salon-bench on {machine}");
    let fsync = raw_fsync(dir.path());

    let made = server::generate(&data, &o.size())?;
    println!("generated: {made}");
    let file_mb = std::fs::metadata(data.join("store.redb"))?.len() as f64 / 1e6;
    let manager = server::token(&data, "manager", "bench office")?;
    let kiosk_token = server::token(&data, "kiosk", "bench kiosk")?;
    let port = server::free_port()?;
    let (srv, cold_start) = server::Server::start(&data, port, &manager).await?;
    let client = srv.client.clone();
    let health = client.health().await?;
    let (idle_kb, _) = srv.memory_kb();

    let mut rtt = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let t = Instant::now();
        client.health().await?;
        rtt.push(t.elapsed());
    }
    let rtt = stats(rtt);

    // Searches the front desk makes, for customers the store holds: whole phone, last four
    // digits, name, pinyin initials.
    let mut queries = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES as u64 {
        let id = 1 + (i * 7919) % o.customers;
        let c = client
            .customer(salon_shared::CustomerId(id))
            .await?
            .customer;
        let phone = c.phone.map(|p| p.to_string()).unwrap_or_default();
        queries.push(match i % 4 {
            0 => phone,
            1 => phone
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect(),
            2 => c.name,
            _ => ["wf", "ln", "zw", "cj", "ly"][i as usize % 5].to_string(),
        });
    }
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

    // Reports over the longest period one covers (366 days), on five years of history.
    let http = reqwest::Client::new();
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (
        today - chrono::Duration::days(366),
        today - chrono::Duration::days(1),
    );
    let mut reports = Vec::new();
    // The longest period a report covers.
    let year = format!("{from} to {to}, a year");
    for (name, path) in [
        (
            format!("wait accuracy, {year}"),
            format!("/reports/waits?from={from}&to={to}"),
        ),
        (
            format!("ratings, {year}"),
            format!("/reports/ratings?from={from}&to={to}"),
        ),
        (
            format!("no-shows, {year}"),
            format!("/reports/no-shows?from={from}&to={to}"),
        ),
        (
            format!("cash-up of {to}"),
            format!("/reports/cash-up?day={to}"),
        ),
    ] {
        reports.push((name, report_ms(&http, &srv.base, &manager, &path).await?));
    }

    // The all-day stylists' wash & cut: the store's own stylists go home at nine.
    let (checkin, service) = checkins(&client, o.customers).await?;
    let checkout = checkouts(&client).await?;
    let devices = 50;
    // Customers from the middle of the store, so the regulars' long histories are among them.
    let prop = load::propagation(&client, devices, 200, o.customers / 2, service).await?;
    let mixed = load::mixed(&client, 32, Duration::from_secs(20), o.customers, service).await?;
    let (rss_kb, peak_kb) = srv.memory_kb();

    // SIGKILL under write load, then the restart.
    let members = [11u64, 12, 13, 14].map(salon_shared::CustomerId);
    let mut before = Vec::new();
    for m in members {
        before.push(client.overview(m).await?.wallet.stored_value);
    }
    let ready = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let load = {
        let (c, ready) = (client.clone(), ready.clone());
        tokio::spawn(async move { load::writes_until_killed(&c, 4, &members, ready).await })
    };
    while ready.load(std::sync::atomic::Ordering::SeqCst) < 200 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    srv.kill_9()?;
    let acked = load.await??;
    let (srv, restart) = server::Server::start(&data, port, &manager).await?;
    let client: Client = srv.client.clone();
    let mut lost = Vec::new();
    for (id, phone) in &acked.customers {
        match client.customer(*id).await {
            Ok(d) if d.customer.phone.as_ref().map(|p| p.to_string()).as_ref() == Some(phone) => {}
            other => lost.push(format!(
                "customer {id}: {:?}",
                other.map(|d| d.customer.phone)
            )),
        }
    }
    for (m, was) in members.iter().zip(&before) {
        let acked_sum = acked.top_ups.get(m).copied().unwrap_or_default();
        let now = client.overview(*m).await?.wallet.stored_value;
        let ledger: rust_decimal::Decimal = client
            .ledgers(*m)
            .await?
            .stored_value
            .iter()
            .map(|e| e.amount)
            .sum();
        // The one top-up in flight at the kill may have committed unanswered.
        let in_flight = now - was - acked_sum;
        if in_flight != rust_decimal::Decimal::ZERO && in_flight != rust_decimal::Decimal::from(100)
        {
            lost.push(format!(
                "member {m}: {was} + acknowledged {acked_sum} but {now}"
            ));
        }
        if ledger != now {
            lost.push(format!(
                "member {m}: balance {now} but ledger sums to {ledger}"
            ));
        }
    }
    let writes = acked.customers.len()
        + acked
            .top_ups
            .values()
            .map(|v| {
                (v / rust_decimal::Decimal::from(100))
                    .to_string()
                    .parse::<usize>()
                    .unwrap_or(0)
            })
            .sum::<usize>();
    drop(srv);

    let kiosk = if !o.no_kiosk {
        let (srv, _) = server::Server::start(&data, port, &manager).await?;
        let k = tokio::task::spawn_blocking({
            let (base, id, name) = (
                srv.base.clone(),
                health.server_id.clone(),
                health.store_name.clone(),
            );
            move || kiosk::measure(&base, &id, &name, kiosk_token)
        })
        .await??;
        drop(srv);
        Some(k)
    } else {
        None
    };

    let ms1 = |d: Duration| d.as_secs_f64() * 1000.0;
    let limit = format!(
        "fsync p50 {} + round trip p50 {}",
        ms(fsync.p50),
        ms(rtt.p50)
    );
    let mut rows = vec![
        row(
            "raw fdatasync of a 4 KiB write (the disk's limit)",
            format!("p50 {} · p99 {}", ms(fsync.p50), ms(fsync.p99)),
            "—",
            "—".into(),
            None,
        ),
        row(
            "loopback HTTP round trip, GET /health (the network's limit)",
            format!("p50 {} · p99 {}", ms(rtt.p50), ms(rtt.p99)),
            "—",
            "—".into(),
            None,
        ),
        row(
            format!(
                "check-in served and committed durably ({} walk-ins, queue of ~{QUEUE_DEPTH})",
                checkin.n
            ),
            format!("p50 {} · p99 {}", ms(checkin.p50), ms(checkin.p99)),
            "p50 ≤ 1 ms, p99 ≤ 3 ms",
            limit.clone(),
            Some(
                checkin.p50 <= Duration::from_millis(1) && checkin.p99 <= Duration::from_millis(3),
            ),
        ),
        row(
            format!(
                "a queue change reaching every event stream, {devices} devices connected ({} changes, {} deliveries missing)",
                prop.changes, prop.missing
            ),
            format!(
                "p50 {} · p99 {} · max {}",
                ms(prop.latency.p50),
                ms(prop.latency.p99),
                ms(prop.latency.max)
            ),
            "p99 ≤ 20 ms",
            format!("round trip p50 {}", ms(rtt.p50)),
            Some(prop.latency.p99 <= Duration::from_millis(20) && prop.missing == 0),
        ),
        row(
            format!(
                "sustained mixed load: {} devices × {:.0} s, each customer check-in → reads → call → start → finish → price → checkout (5 of 11 requests durable writes)",
                mixed.workers,
                mixed.elapsed.as_secs_f64()
            ),
            format!(
                "{:.0} requests/s, {} errors (request p50 {} · p99 {})",
                mixed.requests as f64 / mixed.elapsed.as_secs_f64(),
                mixed.errors,
                ms(mixed.latency.p50),
                ms(mixed.latency.p99)
            ),
            "≥ 5,000 requests/s, no errors",
            format!(
                "1 / fsync p50 = {:.0} commits/s",
                1.0 / fsync.p50.as_secs_f64()
            ),
            Some(
                mixed.errors == 0 && mixed.requests as f64 / mixed.elapsed.as_secs_f64() >= 5000.0,
            ),
        ),
        row(
            format!(
                "customer search over {} customers (phone, last 4, name, initials; {} searches)",
                o.customers, search.n
            ),
            format!("p50 {} · p99 {}", ms(search.p50), ms(search.p99)),
            "p99 ≤ 5 ms",
            format!("round trip p50 {}", ms(rtt.p50)),
            Some(search.p99 <= Duration::from_millis(5)),
        ),
    ];
    for (name, (first, again)) in &reports {
        rows.push(row(
            format!("report: {name}, on the five-year store"),
            format!(
                "first {:.0} ms, then {:.0} ms (median of 3)",
                ms1(*first),
                ms1(*again)
            ),
            "≤ 500 ms",
            "—".into(),
            Some(*first <= Duration::from_millis(500) && *again <= Duration::from_millis(500)),
        ));
    }
    rows.push(row(format!("checkout of a finished visit ({}: service + product, stored value + cash with change, durable)", checkout.n), format!("p50 {} · p99 {}", ms(checkout.p50), ms(checkout.p99)), "none of its own (a durable write: p50 ≤ 1 ms, p99 ≤ 3 ms)", limit.clone(), None));
    if let Some(k) = &kiosk {
        rows.push(row(
            "kiosk app: start to usable welcome screen (spawn → first frame, median of 5)",
            format!(
                "{:.0} ms (worst {:.0} ms; {:.0} ms from main)",
                ms1(k.start_median),
                ms1(k.start_worst),
                k.inside_ms
            ),
            "≤ 1 s",
            "—".into(),
            Some(k.start_worst <= Duration::from_secs(1)),
        ));
        rows.push(row(
            "kiosk app resident memory, welcome screen shown",
            format!("{:.1} MB", k.rss_kb as f64 / 1024.0),
            "≤ 80 MB",
            "—".into(),
            Some(k.rss_kb <= 80 * 1024),
        ));
    }
    rows.push(row(format!("store-server resident memory with the generated store ({file_mb:.0} MB file), after all of the above"), format!("{:.1} MB now, {:.1} MB peak ({:.1} MB just after start)", rss_kb as f64 / 1024.0, peak_kb as f64 / 1024.0, idle_kb as f64 / 1024.0), "≤ 150 MB", "—".into(), Some(peak_kb <= 150 * 1024)));
    rows.push(row(format!("restart after kill -9 under write load (4 devices; {writes} writes acknowledged before the kill)"), format!("{:.0} ms to the first answer; {} acknowledged writes lost", ms1(restart), lost.len()), "≤ 2 s, nothing committed lost", format!("clean start {:.0} ms", ms1(cold_start)), Some(restart <= Duration::from_secs(2) && lost.is_empty())));

    let mut table = String::from(
        "| what | measured | target (SPEC §4) | machine limit, same run | met |\n|---|---|---|---|---|\n",
    );
    for r in &rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        table.push_str(&format!(
            "| {} | {} | {} | {} | {met} |\n",
            r.what, r.measured, r.target, r.limit
        ));
    }
    println!();
    print!("{table}");
    if !lost.is_empty() {
        println!("\nLOST after kill -9:\n{}", lost.join("\n"));
    }
    if !mixed.first_errors.is_empty() {
        println!(
            "\nfirst errors under mixed load:\n{}",
            mixed.first_errors.join("\n")
        );
    }
    // Notes written by hand below the table are kept.
    let notes = std::fs::read_to_string(&o.out)
        .ok()
        .and_then(|old| old.find("\n## Notes").map(|at| old[at..].to_string()))
        .unwrap_or_default();
    let doc = format!(
        "# Benchmarks\n\nMeasured by `salon-bench` (see the README) on {}.\n\n**Machine:** {machine}.\n\n**Store:** {made}; {file_mb:.0} MB. The server ran as its own release process on 127.0.0.1 with a durable store file (one fsync per group commit); the load came from the bench process on the same machine.\n\n{table}{notes}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
    );
    std::fs::write(&o.out, doc)?;
    println!("\nwritten to {}", o.out.display());
    let _ = std::io::stdout().flush();
    Ok(())
}
