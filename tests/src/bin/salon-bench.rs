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
    p50: Duration,
    p99: Duration,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
    Stats {
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
        "| customer creates from {concurrent} devices at once | {rate:.0} writes/s | | | 1 / fsync p50 = {:.0} commits/s |",
        1.0 / fsync.p50.as_secs_f64()
    );
    server.stop().await;
    Ok(())
}
