//! Load from this process: event propagation to many devices, the sustained mixed load of a
//! Saturday, and a write load cut short by SIGKILL.

use crate::{Stats, stats};
use rust_decimal::Decimal;
use salon_shared::api::*;
use salon_shared::bill::{PayMethod, Tender};
use salon_shared::client::{Client, Live};
use salon_shared::queue::QueueAction;
use salon_shared::{CustomerId, Money, ServiceId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn cash(amount: Money) -> Vec<Tender> {
    vec![Tender {
        method: PayMethod::Cash,
        amount,
        reference: None,
    }]
}

fn walk_in(id: u64, service: ServiceId) -> CheckInRequest {
    CheckInRequest {
        customer: CheckInCustomer {
            id: Some(CustomerId(id)),
            ..Default::default()
        },
        services: vec![service],
        stylist: None,
    }
}

/// What the event-propagation run saw.
pub struct Propagation {
    pub latency: Stats,
    pub changes: usize,
    /// (device, change) pairs that never arrived.
    pub missing: usize,
}

/// `devices` event streams connected at once; `changes` queue changes made one after
/// another. Each sample is the time from sending the change to one device receiving it.
pub async fn propagation(
    client: &Client,
    devices: usize,
    changes: usize,
    first_customer: u64,
    service: ServiceId,
) -> anyhow::Result<Propagation> {
    type Seen = Arc<Mutex<HashMap<String, Vec<Instant>>>>;
    let seen: Seen = Arc::default();
    let connected = Arc::new(AtomicUsize::new(0));
    let mut listeners = Vec::new();
    for _ in 0..devices {
        let mut rx = client.subscribe();
        let (seen, connected) = (seen.clone(), connected.clone());
        listeners.push(tokio::spawn(async move {
            while let Some(live) = rx.recv().await {
                match live {
                    Live::Connected => {
                        connected.fetch_add(1, Ordering::SeqCst);
                    }
                    Live::Event(e) if e.kind == "queue.changed" => {
                        let now = Instant::now();
                        seen.lock()
                            .map_err(|_| ())
                            .map(|mut m| m.entry(e.entity_id).or_default().push(now))
                            .ok();
                    }
                    _ => {}
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while connected.load(Ordering::SeqCst) < devices {
        anyhow::ensure!(Instant::now() < deadline, "event streams did not connect");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut sent = Vec::with_capacity(changes);
    for i in 0..changes {
        let t = client
            .check_in(&walk_in(first_customer + i as u64, service), None)
            .await?
            .ticket;
        // Let the check-in's own event pass, then time the call.
        tokio::time::sleep(Duration::from_millis(10)).await;
        let at = Instant::now();
        client.queue_move(t.id, QueueAction::Call).await?;
        sent.push((t.id, at, t.id));
        client.queue_move(t.id, QueueAction::NoShow).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for l in &listeners {
        l.abort();
    }
    let seen = seen.lock().map_err(|_| anyhow::anyhow!("lock"))?.clone();
    let mut samples = Vec::new();
    let mut missing = 0;
    for (id, at, _) in &sent {
        // Each device gets two changes of this ticket (call, then no-show): the first
        // arrival after the call on each device is the call's.
        let arrivals = seen.get(&id.to_string()).cloned().unwrap_or_default();
        let after: Vec<Duration> = arrivals
            .iter()
            .filter(|a| **a >= *at)
            .map(|a| *a - *at)
            .collect();
        let mut firsts = after.clone();
        firsts.sort();
        // Two events per device: the call's arrivals are the earliest `devices` of them.
        firsts.truncate(devices);
        missing += devices.saturating_sub(firsts.len());
        samples.extend(firsts);
    }
    Ok(Propagation {
        latency: stats(samples),
        changes,
        missing,
    })
}

/// What the mixed load did.
pub struct Mixed {
    pub requests: u64,
    pub errors: u64,
    pub first_errors: Vec<String>,
    pub elapsed: Duration,
    pub latency: Stats,
    pub workers: usize,
}

/// `workers` devices, each serving customers start to finish for `run`: check-in, the
/// queue and the customer read, call, start, finish, the checkout, and reads in between —
/// 11 requests a customer, 5 of them durable writes.
pub async fn mixed(
    client: &Client,
    workers: usize,
    run: Duration,
    customers: u64,
    service: ServiceId,
) -> anyhow::Result<Mixed> {
    // After the customers `propagation` used, wrapping round the store.
    let next = Arc::new(AtomicU64::new(customers / 2 + 1_000));
    let stop = Instant::now() + run;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (c, next) = (client.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut ok, mut errors, mut first) = (0u64, 0u64, Vec::new());
            macro_rules! timed {
                ($e:expr) => {{
                    let t = Instant::now();
                    let r = $e.await;
                    lat.push(t.elapsed());
                    match r {
                        Ok(v) => {
                            ok += 1;
                            Some(v)
                        }
                        Err(e) => {
                            errors += 1;
                            if first.len() < 5 {
                                first.push(e.to_string());
                            }
                            None
                        }
                    }
                }};
            }
            while Instant::now() < stop {
                let id = 1 + next.fetch_add(1, Ordering::SeqCst) % customers;
                let Some(r) = timed!(c.check_in(&walk_in(id, service), None)) else {
                    continue;
                };
                let t = r.ticket.id;
                timed!(c.queue(&QueueQuery::default()));
                timed!(c.customer(CustomerId(id)));
                let q = CustomerQuery {
                    q: Some(format!("{:04}", id % 10_000)),
                    limit: Some(20),
                    ..Default::default()
                };
                timed!(c.search_customers(&q));
                timed!(c.queue_move(t, QueueAction::Call));
                timed!(c.queue_move(t, QueueAction::Start));
                timed!(c.queue(&QueueQuery::default()));
                timed!(c.queue_move(t, QueueAction::Finish));
                timed!(c.overview(CustomerId(id)));
                let Some(bill) = timed!(c.checkout_preview(&sale(t, service, Vec::new()))) else {
                    continue;
                };
                timed!(c.checkout(&sale(t, service, cash(bill.due)), None));
            }
            Ok::<_, anyhow::Error>((ok, errors, first, lat))
        }));
    }
    let (mut requests, mut errors, mut first_errors, mut lat) = (0, 0, Vec::new(), Vec::new());
    for t in tasks {
        let (ok, e, f, l) = t.await??;
        requests += ok + e;
        errors += e;
        first_errors.extend(f);
        lat.extend(l);
    }
    first_errors.truncate(5);
    Ok(Mixed {
        requests,
        errors,
        first_errors,
        elapsed: started.elapsed(),
        latency: stats(lat),
        workers,
    })
}

fn sale(ticket: u64, service: ServiceId, tenders: Vec<Tender>) -> CheckoutInput {
    CheckoutInput {
        ticket_id: Some(ticket),
        customer_id: None,
        stylist: None,
        items: vec![SaleItem::Service {
            id: service,
            qty: 1,
        }],
        use_packages: false,
        coupon: None,
        points: 0,
        tenders,
    }
}

/// Acknowledged writes of a load cut short.
#[derive(Default)]
pub struct Acked {
    pub customers: Vec<(CustomerId, String)>,
    /// Per writer: its member and the top-ups acknowledged to it.
    pub top_ups: HashMap<CustomerId, Decimal>,
}

/// `writers` devices, each registering customers and topping up its own member in turn,
/// until the server stops answering. Returns what was acknowledged.
pub async fn writes_until_killed(
    client: &Client,
    writers: usize,
    members: &[CustomerId],
    ready: Arc<AtomicUsize>,
) -> anyhow::Result<Acked> {
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut tasks = Vec::new();
    for (w, member) in members.iter().copied().enumerate().take(writers) {
        let (c, acked, ready) = (client.clone(), acked.clone(), ready.clone());
        tasks.push(tokio::spawn(async move {
            let mut failures = 0;
            for i in 0.. {
                let r = if i % 2 == 0 {
                    let phone = format!("1590{w:02}{i:05}");
                    let new = salon_shared::customer::NewCustomer {
                        name: format!("断电测试{w}-{i}"),
                        phone: phone.clone(),
                        consent: true,
                        ..Default::default()
                    };
                    c.create_customer(&new, None).await.map(|x| {
                        if let Ok(mut a) = acked.lock() {
                            a.customers.push((x.id, phone));
                        }
                    })
                } else {
                    let amount = Money::new(Decimal::from(100))?;
                    let top = TopUpInput {
                        amount,
                        tenders: cash(amount),
                    };
                    c.top_up(member, &top, None).await.map(|_| {
                        if let Ok(mut a) = acked.lock() {
                            *a.top_ups.entry(member).or_default() += Decimal::from(100);
                        }
                    })
                };
                match r {
                    Ok(()) => {
                        ready.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) if e.status().is_some() => anyhow::bail!("a valid write refused: {e}"),
                    Err(_) if failures >= 2 => break,
                    Err(_) => {
                        failures += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let mut a = acked.lock().map_err(|_| anyhow::anyhow!("lock"))?;
    Ok(std::mem::take(&mut *a))
}
