//! The stylist and front-desk tablet (REC, PAY, MEM): its adapter — the wiring of the
//! `Tablet` global's callbacks, the role's loop on the network thread, the photo files, and
//! the view applied to the window — over the plain-Rust [`controller`], which knows nothing
//! of Slint. The customer rates the visit on the kiosk's rating screens, handed the tablet.

pub mod controller;

use crate::app::{Cmd, Health, Link, Options, Outcome, Ui, key_of, model, sends};
use crate::device::Device;
use crate::kiosk::KioskCmd;
use controller::{Rest, Sale, Screen, Session, TOP_UPS, Tablet as TabletFlow, TabletApi};
use salon_shared::api::{PhotoKind, QueueAction, SaleItem};
use salon_shared::bill::PayMethod;
use salon_shared::bill::Step as BillStep;
use salon_shared::client::Live;
use salon_shared::{CouponDefId, CouponId, CustomerId, Money, ProductId, ServiceId, StaffId};
use salon_ui::{
    ApptRow, Kiosk, KioskWindow, LineRow, PhotoRow, PickRow, StaffItem, Tablet, TicketRow, VisitRow,
};
use slint::{ComponentHandle, SharedString};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What a tap on the tablet's own screens asks for.
#[derive(Debug, Clone)]
pub(crate) enum TabletCmd {
    PickStaff(StaffId),
    PinKey(String),
    SignIn,
    SignOut,
    ShowMine(bool),
    Move(u64, QueueAction),
    OpenTicket(u64),
    OpenCustomer(CustomerId),
    Refresh,
    Back,
    ToRecord,
    ToCheckout,
    RecordService(ServiceId),
    RecordProduct(ProductId, i32),
    Formula(String),
    Notes(String),
    SaveRecord,
    Item(usize, i32),
    AddProduct(ProductId),
    TogglePackages,
    Coupon(CouponId),
    Points(i64),
    UseBalance(bool),
    PayRest(Rest),
    CashKey(String),
    Reference(String),
    Pay,
    HandOver,
    Done,
    PhotoConsent,
    AddPhoto(String, PhotoKind),
    ToSell,
    ChooseSale(Sale),
    SaleMethod(PayMethod),
    SaleReference(String),
    Sell,
    GiveCoupon(CouponDefId),
}

impl From<TabletCmd> for Cmd {
    fn from(c: TabletCmd) -> Cmd {
        Cmd::Tablet(c)
    }
}

/// The UI thread's side of the tablet's screens: every callback of the `Tablet` global
/// becomes a command.
pub(crate) fn wire(window: &KioskWindow, tx: &mpsc::UnboundedSender<Cmd>) {
    let t = window.global::<Tablet>();
    let to = |c: TabletCmd| sends(tx, c);
    t.on_sign_in(to(TabletCmd::SignIn));
    t.on_sign_out(to(TabletCmd::SignOut));
    t.on_refresh(to(TabletCmd::Refresh));
    t.on_back(to(TabletCmd::Back));
    t.on_to_record(to(TabletCmd::ToRecord));
    t.on_to_checkout(to(TabletCmd::ToCheckout));
    t.on_save_record(to(TabletCmd::SaveRecord));
    t.on_k_toggle_packages(to(TabletCmd::TogglePackages));
    t.on_pay(to(TabletCmd::Pay));
    t.on_hand_over(to(TabletCmd::HandOver));
    t.on_done(to(TabletCmd::Done));
    t.on_r_photo_consent_toggle(to(TabletCmd::PhotoConsent));
    t.on_to_sell(to(TabletCmd::ToSell));
    t.on_sell(to(TabletCmd::Sell));
    let c = tx.clone();
    t.on_s_top_up(move |yuan| {
        let amount = Money::new(rust_decimal::Decimal::from(yuan.max(0))).unwrap_or(Money::ZERO);
        drop(c.send(TabletCmd::ChooseSale(Sale::TopUp(amount)).into()))
    });
    let c = tx.clone();
    t.on_s_plan(move |i| {
        drop(c.send(TabletCmd::ChooseSale(Sale::Package(i.max(0) as u64)).into()))
    });
    let c = tx.clone();
    t.on_s_pay_by(move |m| {
        let method = match m.as_str() {
            "mobile" => PayMethod::Mobile,
            "stored_value" => PayMethod::StoredValue,
            _ => PayMethod::Cash,
        };
        drop(c.send(TabletCmd::SaleMethod(method).into()))
    });
    let c = tx.clone();
    t.on_s_reference_edited(move |r| drop(c.send(TabletCmd::SaleReference(r.to_string()).into())));
    let c = tx.clone();
    t.on_s_coupon(move |i| {
        drop(c.send(TabletCmd::GiveCoupon(CouponDefId(i.max(0) as u64)).into()))
    });
    let c = tx.clone();
    t.on_r_add_photo(move |file, kind| {
        let kind = if kind == "after" {
            PhotoKind::After
        } else {
            PhotoKind::Before
        };
        drop(c.send(TabletCmd::AddPhoto(file.to_string(), kind).into()))
    });
    let id = |i: i32| i.max(0) as u64;
    let c = tx.clone();
    t.on_pick_staff(move |i| drop(c.send(TabletCmd::PickStaff(StaffId(id(i))).into())));
    let c = tx.clone();
    t.on_pin_key(move |k| drop(c.send(TabletCmd::PinKey(k.to_string()).into())));
    let c = tx.clone();
    t.on_show_mine(move |m| drop(c.send(TabletCmd::ShowMine(m).into())));
    let c = tx.clone();
    t.on_move(move |ticket, a| {
        let action = match a.as_str() {
            "call" => QueueAction::Call,
            "start" => QueueAction::Start,
            "finish" => QueueAction::Finish,
            _ => QueueAction::NoShow,
        };
        drop(c.send(TabletCmd::Move(id(ticket), action).into()))
    });
    let c = tx.clone();
    t.on_open_ticket(move |i| drop(c.send(TabletCmd::OpenTicket(id(i)).into())));
    let c = tx.clone();
    t.on_open_customer(move |i| drop(c.send(TabletCmd::OpenCustomer(CustomerId(id(i))).into())));
    let c = tx.clone();
    t.on_r_toggle_service(move |i| drop(c.send(TabletCmd::RecordService(ServiceId(id(i))).into())));
    let c = tx.clone();
    t.on_r_product(move |i, d| drop(c.send(TabletCmd::RecordProduct(ProductId(id(i)), d).into())));
    let c = tx.clone();
    t.on_r_formula_edited(move |s| drop(c.send(TabletCmd::Formula(s.to_string()).into())));
    let c = tx.clone();
    t.on_r_notes_edited(move |s| drop(c.send(TabletCmd::Notes(s.to_string()).into())));
    let c = tx.clone();
    t.on_k_item(move |i, d| drop(c.send(TabletCmd::Item(i.max(0) as usize, d).into())));
    let c = tx.clone();
    t.on_k_add_product(move |i| drop(c.send(TabletCmd::AddProduct(ProductId(id(i))).into())));
    let c = tx.clone();
    t.on_k_coupon(move |i| drop(c.send(TabletCmd::Coupon(CouponId(id(i))).into())));
    let c = tx.clone();
    t.on_k_points_step(move |d| drop(c.send(TabletCmd::Points(i64::from(d)).into())));
    let c = tx.clone();
    t.on_k_use_balance(move |on| drop(c.send(TabletCmd::UseBalance(on).into())));
    let c = tx.clone();
    t.on_k_pay_rest(move |r| {
        let rest = if r == "mobile" {
            Rest::Mobile
        } else {
            Rest::Cash
        };
        drop(c.send(TabletCmd::PayRest(rest).into()))
    });
    let c = tx.clone();
    t.on_k_cash_key(move |k| drop(c.send(TabletCmd::CashKey(k.to_string()).into())));
    let c = tx.clone();
    t.on_k_reference_edited(move |s| drop(c.send(TabletCmd::Reference(s.to_string()).into())));
}

/// A shared tablet signs its staff member out after this long without a tap.
fn tablet_idle(opts: &Options) -> Duration {
    opts.idle * 3
}

/// The tablet's loop: taps, the queue's events, the server's health and the sign-out of an
/// idle staff member, until the window closes or the pairing goes.
pub(crate) async fn run(
    opts: &Options,
    ui: &Ui,
    rx: &mut mpsc::UnboundedReceiver<Cmd>,
    device: Device,
) -> Outcome {
    let mut link = Link::new(device);
    let mut t = TabletFlow::new(Session::new(link.client.clone()));
    if let Ok(h) = link.client().health().await
        && let Some(o) = chrono::FixedOffset::east_opt(h.utc_offset_minutes * 60)
    {
        t.offset = o;
    }
    t.load_staff().await;
    show_tablet(ui, &t, opts, Vec::new());
    let mut events = link.client().subscribe();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut last_tap = Instant::now();
    let mut last_check: Option<Instant> = None;
    loop {
        tokio::select! {
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { return Outcome::Closed };
                last_tap = Instant::now();
                if matches!(cmd, Cmd::Unpair) {
                    return Outcome::Unpaired;
                }
                if !matches!(
                    cmd,
                    Cmd::Tablet(
                        TabletCmd::Formula(_)
                            | TabletCmd::Notes(_)
                            | TabletCmd::Reference(_)
                            | TabletCmd::SaleReference(_)
                    )
                ) {
                    ui.busy();
                }
                match cmd {
                    Cmd::Tablet(cmd) => handle(&mut t, cmd, opts).await,
                    Cmd::Kiosk(cmd) => rating(&mut t, cmd).await,
                    _ => {}
                }
                let photos = cache_photos(&t, opts).await;
                show_tablet(ui, &t, opts, photos);
            }
            live = events.recv() => {
                let changed = match live {
                    Some(Live::Event(e)) => e.kind.starts_with("queue.") || e.kind.starts_with("appointment.") || e.kind.starts_with("checkout."),
                    Some(Live::Connected) | Some(Live::Resync) => true,
                    Some(Live::Disconnected(_)) => false,
                    None => {
                        events = link.client().subscribe();
                        false
                    }
                };
                // The queue is live on its own screen; elsewhere it waits for the way back.
                if changed && t.screen == Screen::Queue {
                    t.refresh().await;
                    show_tablet(ui, &t, opts, Vec::new());
                }
            }
            _ = tick.tick() => {
                if last_check.is_none_or(|c| c.elapsed() >= Duration::from_secs(2)) {
                    last_check = Some(Instant::now());
                    match link.check(opts).await {
                        Health::Revoked => return Outcome::Unpaired,
                        Health::Offline => ui.online(false),
                        Health::Online => {
                            ui.online(true);
                            if t.staff.is_empty() {
                                t.load_staff().await;
                                show_tablet(ui, &t, opts, Vec::new());
                            }
                        }
                    }
                }
                if t.me.is_some() && last_tap.elapsed() >= tablet_idle(opts) {
                    t.sign_out().await;
                    show_tablet(ui, &t, opts, Vec::new());
                }
            }
        }
    }
}

async fn handle<A: TabletApi>(t: &mut TabletFlow<A>, cmd: TabletCmd, opts: &Options) {
    match cmd {
        TabletCmd::PhotoConsent => t.toggle_photo_consent(),
        TabletCmd::ToSell => t.to_sell().await,
        TabletCmd::ChooseSale(sale) => t.choose_sale(sale),
        TabletCmd::SaleMethod(m) => t.sale_method(m),
        TabletCmd::SaleReference(r) => t.shop.reference = r,
        TabletCmd::Sell => t.sell().await,
        TabletCmd::GiveCoupon(d) => t.give_coupon(d).await,
        TabletCmd::AddPhoto(file, kind) => {
            // Only a file of the photo folder, by its bare name.
            let name = Path::new(&file).file_name().map(|n| n.to_os_string());
            let read = name.and_then(|n| std::fs::read(opts.photos.join(n)).ok());
            match (read, image_type(&file)) {
                (Some(bytes), Some(ct)) => t.add_photo(kind, ct, bytes).await,
                _ => t.problem = Some("photo_invalid"),
            }
        }
        TabletCmd::PickStaff(id) => t.pick_staff(id),
        TabletCmd::PinKey(k) => t.pin_key(&k),
        TabletCmd::SignIn => t.sign_in().await,
        TabletCmd::SignOut => t.sign_out().await,
        TabletCmd::ShowMine(m) => t.mine_only = m,
        TabletCmd::Move(ticket, a) => t.move_ticket(ticket, a).await,
        TabletCmd::OpenTicket(ticket) => t.open_ticket(ticket).await,
        TabletCmd::OpenCustomer(c) => t.open_customer(c).await,
        TabletCmd::Refresh => t.refresh().await,
        TabletCmd::Back => match t.screen {
            Screen::Record | Screen::Checkout | Screen::Sell => t.screen = Screen::Customer,
            _ => {
                t.back_to_queue();
                t.refresh().await;
            }
        },
        TabletCmd::ToRecord => t.to_record().await,
        TabletCmd::ToCheckout => t.to_checkout().await,
        TabletCmd::RecordService(id) => t.toggle_record_service(id),
        TabletCmd::RecordProduct(id, d) => t.record_product(id, d),
        TabletCmd::Formula(s) => t.set_formula(&s),
        TabletCmd::Notes(s) => t.record.notes = s,
        TabletCmd::SaveRecord => t.save_record().await,
        TabletCmd::Item(i, d) => t.change_item(i, d).await,
        TabletCmd::AddProduct(id) => t.add_product(id).await,
        TabletCmd::TogglePackages => t.toggle_packages().await,
        TabletCmd::Coupon(id) => t.pick_coupon(id).await,
        TabletCmd::Points(d) => t.step_points(d).await,
        TabletCmd::UseBalance(on) => t.use_balance(on),
        TabletCmd::PayRest(r) => t.pay_rest_by(r),
        TabletCmd::CashKey(k) => t.cash_key(&k),
        TabletCmd::Reference(s) => t.cart.reference = s,
        TabletCmd::Pay => t.pay().await,
        TabletCmd::HandOver => t.hand_over(),
        TabletCmd::Done => t.done().await,
    }
}

/// The customer rates the visit on the kiosk's rating screens, handed over on this tablet.
async fn rating<A: TabletApi>(t: &mut TabletFlow<A>, cmd: KioskCmd) {
    match cmd {
        KioskCmd::Rate(i, v) => t.rate(i, v),
        KioskCmd::Phrase(i) => t.toggle_phrase(i),
        KioskCmd::SendFeedback => t.send_feedback().await,
        KioskCmd::SkipFeedback | KioskCmd::Done => t.done().await,
        _ => {}
    }
}

/// The content type of a photo file, by its extension.
fn image_type(file: &str) -> Option<&'static str> {
    let ext = Path::new(file).extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        _ => None,
    }
}

/// The newest few photos in the photo folder, by file name.
fn newest_photos(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, String)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            image_type(&name)?;
            let at = e.metadata().ok()?.modified().ok()?;
            Some((at, name))
        })
        .collect();
    files.sort_by(|a, b| b.cmp(a));
    files.into_iter().take(3).map(|(_, n)| n).collect()
}

/// The photos of the customer's past visits on screen, fetched once into the device's
/// cache: (visit index, label, file).
async fn cache_photos<A: TabletApi>(
    t: &TabletFlow<A>,
    opts: &Options,
) -> Vec<(i32, String, PathBuf)> {
    let Some(o) = &t.customer else {
        return Vec::new();
    };
    if t.screen != Screen::Customer {
        return Vec::new();
    }
    let dir = opts.data_dir.join("photo-cache");
    let _ = std::fs::create_dir_all(&dir);
    let mut out = Vec::new();
    for (i, v) in o.visits.iter().enumerate() {
        for p in &v.photos {
            let ext = if p.content_type == "image/png" {
                "png"
            } else {
                "jpg"
            };
            let file = dir.join(format!("{}-{}.{ext}", v.ticket_id, p.n));
            if !file.exists() {
                match t.photo_bytes(v.ticket_id, p.n).await {
                    Some(bytes) => {
                        let _ = std::fs::write(&file, bytes);
                    }
                    None => continue,
                }
            }
            out.push((i as i32, format!("{}-{}", v.ticket_id, p.n), file));
        }
    }
    out
}

fn yuan(d: rust_decimal::Decimal) -> String {
    format!("¥{}", salon_shared::money::round(d))
}

fn line(kind: &str, text: impl Into<String>, amount: impl Into<String>, strong: bool) -> LineRow {
    LineRow {
        kind: kind.into(),
        text: text.into().into(),
        amount: amount.into().into(),
        strong,
    }
}

/// Everything the tablet's screens show, as plain data.
#[derive(Default)]
struct TabletView {
    screen: &'static str,
    problem: &'static str,
    staff: Vec<StaffItem>,
    picked: i32,
    pin: String,
    me: String,
    mine_only: bool,
    tickets: Vec<TicketRow>,
    appointments: Vec<ApptRow>,
    c_name: String,
    c_greeting: String,
    c_phone: String,
    c_tier: SharedString,
    c_allergies: String,
    c_notes: String,
    c_tags: String,
    c_balances: Vec<LineRow>,
    c_packages: Vec<LineRow>,
    c_coupons: Vec<LineRow>,
    c_visits: Vec<VisitRow>,
    c_ticket: String,
    can_record: bool,
    can_checkout: bool,
    r_services: Vec<PickRow>,
    r_products: Vec<PickRow>,
    r_formula: String,
    r_notes: String,
    r_photo_consent: bool,
    r_photo_count: i32,
    r_photo_files: Vec<SharedString>,
    k_items: Vec<PickRow>,
    k_products: Vec<PickRow>,
    k_coupons: Vec<PickRow>,
    k_use_packages: bool,
    k_points: i32,
    k_points_balance: i32,
    k_lines: Vec<LineRow>,
    k_due: String,
    k_balance: String,
    k_stored_on: bool,
    k_rest_due: String,
    k_rest: &'static str,
    k_cash_given: String,
    k_change: String,
    k_reference: String,
    receipt: String,
    receipt_number: String,
    can_rate: bool,
    s_top_ups: Vec<PickRow>,
    s_plans: Vec<PickRow>,
    s_coupons: Vec<PickRow>,
    s_method: &'static str,
    s_price: String,
    s_package: bool,
    s_reference: String,
    scores: Vec<i32>,
    phrases: Vec<bool>,
    rate_number: String,
    rate_stylist: String,
    rate_services: String,
}

fn tablet_view<A: TabletApi>(t: &TabletFlow<A>) -> TabletView {
    let now = chrono::Utc::now();
    let mut v = TabletView {
        screen: match t.screen {
            Screen::SignIn => "signin",
            Screen::Queue => "queue",
            Screen::Customer => "customer",
            Screen::Record => "record",
            Screen::Checkout => "checkout",
            Screen::Receipt => "receipt",
            Screen::Sell => "sell",
            Screen::Feedback => "feedback",
            Screen::Thanks => "thanks",
        },
        problem: t.problem.unwrap_or(""),
        staff: t
            .staff
            .iter()
            .map(|s| StaffItem {
                id: s.id.0 as i32,
                name: s.name.clone().into(),
                role: key_of(&s.role),
            })
            .collect(),
        picked: t.picked.map_or(-1, |s| s.0 as i32),
        pin: "●".repeat(t.pin.len()),
        me: t.me.as_ref().map(|m| m.name.clone()).unwrap_or_default(),
        mine_only: t.mine_only,
        scores: t.scores.iter().map(|s| s.map_or(-1, i32::from)).collect(),
        phrases: t.phrases.to_vec(),
        receipt: t.receipt.clone(),
        receipt_number: t
            .paid
            .as_ref()
            .map(|p| p.number.clone())
            .unwrap_or_default(),
        ..TabletView::default()
    };
    let names = |ids: &[ServiceId]| {
        ids.iter()
            .map(|s| t.service_name(*s))
            .collect::<Vec<_>>()
            .join("、")
    };
    v.tickets = t
        .shown_queue()
        .into_iter()
        .map(|e| TicketRow {
            id: e.ticket.id as i32,
            number: e.ticket.number.clone().into(),
            name: e.greeting.clone().into(),
            services: names(&e.ticket.services).into(),
            stylist: e.stylist_name.clone().unwrap_or_default().into(),
            state: key_of(&e.ticket.state),
            waited: (now - e.ticket.created_at).num_minutes().max(0) as i32,
            paid: e.paid,
        })
        .collect();
    v.appointments = t
        .appointments
        .iter()
        .filter(|a| {
            t.mine_only
                .then(|| t.me.as_ref().map(|m| m.id))
                .flatten()
                .is_none_or(|me| a.stylist_id == me)
        })
        .map(|a| ApptRow {
            customer: a.customer_id.0 as i32,
            time: a
                .start
                .with_timezone(&t.offset)
                .format("%H:%M")
                .to_string()
                .into(),
            services: names(&a.services).into(),
            stylist: t.staff_name(a.stylist_id).into(),
            state: key_of(&a.state),
        })
        .collect();
    if let Some(o) = &t.customer {
        let c = &o.customer;
        v.c_name = c.name.clone();
        v.c_greeting = c.greeting_name();
        v.c_phone = c.phone.as_ref().map(|p| p.to_string()).unwrap_or_default();
        v.c_tier = key_of(&c.tier);
        v.c_allergies = c.care.allergies.join("、");
        v.c_notes = c.care.notes.clone();
        v.c_tags = c.tags.iter().cloned().collect::<Vec<_>>().join(" · ");
        v.c_balances = vec![
            line("stored_value", "", yuan(o.wallet.stored_value), true),
            line("points_held", "", o.wallet.points.to_string(), true),
            line(
                "discount",
                "",
                format!("{}%", o.tier_benefits.discount_percent.normalize()),
                false,
            ),
            line("spend", "", yuan(c.total_spend), false),
        ];
        let today = now.with_timezone(&t.offset).date_naive();
        v.c_packages = o
            .packages
            .iter()
            .filter(|p| p.usable(today))
            .map(|p| {
                line(
                    "plain",
                    p.name.clone(),
                    format!("{}/{}", p.remaining, p.uses),
                    false,
                )
            })
            .collect();
        v.c_coupons = t
            .usable_coupons()
            .into_iter()
            .map(|cv| {
                line(
                    "plain",
                    cv.def.name.clone(),
                    format!("→ {}", cv.def.valid_to),
                    false,
                )
            })
            .collect();
        v.c_visits = o
            .visits
            .iter()
            .map(|x| VisitRow {
                day: x.day.to_string().into(),
                services: x.services.join("、").into(),
                stylist: x.stylist.clone().unwrap_or_default().into(),
                amount: x
                    .amount
                    .map(|a| yuan(a.amount()))
                    .unwrap_or_default()
                    .into(),
                formulas: x
                    .formulas
                    .iter()
                    .map(|f| f.text.clone())
                    .collect::<Vec<_>>()
                    .join("；")
                    .into(),
                notes: x.notes.clone().into(),
                products: x
                    .products_used
                    .iter()
                    .map(|p| format!("{} ×{}", p.name, p.qty))
                    .collect::<Vec<_>>()
                    .join("、")
                    .into(),
                rating: x.rating.map_or(0, i32::from),
            })
            .collect();
    }
    if let Some(e) = &t.ticket {
        use salon_shared::api::TicketState as S;
        v.c_ticket = e.ticket.number.clone();
        v.can_record = matches!(e.ticket.state, S::InService | S::Done);
        v.can_checkout = v.can_record && !e.paid;
        v.rate_number = e.ticket.number.clone();
        v.rate_stylist = e.stylist_name.clone().unwrap_or_default();
        v.rate_services = names(&e.ticket.services);
    }
    // The service record.
    let used = t.record_qty();
    v.r_services = t
        .catalog
        .iter()
        .map(|s| PickRow {
            id: s.id.0 as i32,
            name: s.name.clone().into(),
            detail: yuan(s.price.amount()).into(),
            qty: 0,
            selected: t.record.services.contains(&s.id),
        })
        .collect();
    v.r_products = t
        .products
        .iter()
        .map(|p| PickRow {
            id: p.id.0 as i32,
            name: p.name.clone().into(),
            detail: p.brand.clone().into(),
            qty: used.get(&p.id).copied().unwrap_or(0) as i32,
            selected: used.contains_key(&p.id),
        })
        .collect();
    v.r_formula = t.formula();
    v.r_notes = t.record.notes.clone();
    v.r_photo_consent = t.record.photo_consent;
    v.r_photo_count = t.photos.len() as i32;
    // Checkout.
    let cart = &t.cart;
    v.k_items = cart
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let (name, qty, unit) = match *it {
                SaleItem::Service { id, qty } => (
                    t.service_name(id),
                    qty,
                    t.catalog
                        .iter()
                        .find(|s| s.id == id)
                        .map(|s| s.price.amount()),
                ),
                SaleItem::Product { id, qty } => (
                    t.product_name(id),
                    qty,
                    t.products
                        .iter()
                        .find(|p| p.id == id)
                        .map(|p| p.price.amount()),
                ),
            };
            // The price the bill charges (by the stylist's level), else the list price.
            let unit = cart
                .bill
                .as_ref()
                .and_then(|b| b.items.get(i))
                .map(|b| b.unit_price.amount())
                .or(unit);
            PickRow {
                id: i as i32,
                name: name.into(),
                detail: unit.map(yuan).unwrap_or_default().into(),
                qty: qty as i32,
                selected: false,
            }
        })
        .collect();
    v.k_products = t
        .products
        .iter()
        .filter(|p| p.stock > 0)
        .map(|p| PickRow {
            id: p.id.0 as i32,
            name: p.name.clone().into(),
            detail: yuan(p.price.amount()).into(),
            qty: 0,
            selected: false,
        })
        .collect();
    v.k_coupons = t
        .usable_coupons()
        .into_iter()
        .map(|cv| PickRow {
            id: cv.coupon.id.0 as i32,
            name: cv.def.name.clone().into(),
            detail: SharedString::new(),
            qty: 0,
            selected: cart.coupon == Some(cv.coupon.id),
        })
        .collect();
    v.k_use_packages = cart.use_packages;
    v.k_points = cart.points as i32;
    v.k_points_balance = t.points_balance() as i32;
    if let Some(b) = &cart.bill {
        for i in &b.items {
            v.k_lines.push(line(
                "item",
                format!("{} ×{}", i.name, i.qty),
                yuan(i.amount.amount()),
                false,
            ));
        }
        v.k_lines
            .push(line("subtotal", "", yuan(b.subtotal.amount()), true));
        for a in &b.adjustments {
            let (kind, text) = match &a.step {
                BillStep::Package {
                    name,
                    uses,
                    remaining,
                    ..
                } => ("package", format!("{name} ×{uses} ({remaining})")),
                BillStep::TierDiscount { percent, .. } => ("tier", percent.normalize().to_string()),
                BillStep::Coupon { name, .. } => ("coupon", name.clone()),
                BillStep::Points { points } => ("points", points.to_string()),
            };
            v.k_lines.push(line(
                kind,
                text,
                format!("-{}", yuan(a.amount.amount())),
                false,
            ));
        }
        if b.tier_discount_skipped {
            v.k_lines.push(line("tier_skipped", "", "", false));
        }
    }
    v.k_due = yuan(t.due());
    v.k_balance = yuan(t.balance());
    v.k_stored_on = !cart.stored.is_zero();
    v.k_rest_due = yuan(t.rest_due());
    v.k_rest = match cart.rest {
        Some(Rest::Cash) => "cash",
        Some(Rest::Mobile) => "mobile",
        None => "",
    };
    v.k_cash_given = cart.cash_given.clone();
    v.k_change = t.change().map(yuan).unwrap_or_else(|| "—".into());
    v.k_reference = cart.reference.clone();
    // The receipt of a visit can be handed over for a rating; a top-up's cannot.
    v.can_rate = t.paid.as_ref().is_some_and(|p| {
        matches!(
            p.kind,
            salon_shared::api::CheckoutKind::Sale {
                ticket_id: Some(_),
                ..
            }
        )
    });
    // Member sales.
    let shop = &t.shop;
    v.s_top_ups = TOP_UPS
        .iter()
        .map(|y| {
            let amount = Money::new(rust_decimal::Decimal::from(*y)).unwrap_or(Money::ZERO);
            let bonus = salon_shared::ledger::bonus_for(amount, &shop.bonus);
            PickRow {
                id: *y as i32,
                name: yuan(amount.amount()).into(),
                detail: if bonus.amount().is_zero() {
                    SharedString::new()
                } else {
                    format!("+{}", yuan(bonus.amount())).into()
                },
                qty: 0,
                selected: shop.chosen == Some(Sale::TopUp(amount)),
            }
        })
        .collect();
    v.s_plans = shop
        .plans
        .iter()
        .map(|p| PickRow {
            id: p.id as i32,
            name: p.name.clone().into(),
            detail: format!(
                "{} · {} × {}",
                yuan(p.price.amount()),
                t.service_name(p.service_id),
                p.uses
            )
            .into(),
            qty: 0,
            selected: shop.chosen == Some(Sale::Package(p.id)),
        })
        .collect();
    v.s_coupons = shop
        .coupons
        .iter()
        .map(|d| PickRow {
            id: d.id.0 as i32,
            name: d.name.clone().into(),
            detail: format!("→ {}", d.valid_to).into(),
            qty: 0,
            selected: false,
        })
        .collect();
    v.s_method = match shop.method {
        Some(PayMethod::Cash) => "cash",
        Some(PayMethod::Mobile) => "mobile",
        Some(PayMethod::StoredValue) => "stored_value",
        None => "",
    };
    v.s_price = t.sale_price().map(|m| yuan(m.amount())).unwrap_or_default();
    v.s_package = matches!(shop.chosen, Some(Sale::Package(_)));
    v.s_reference = shop.reference.clone();
    v
}

fn show_tablet<A: TabletApi>(
    ui: &Ui,
    t: &TabletFlow<A>,
    opts: &Options,
    photos: Vec<(i32, String, PathBuf)>,
) {
    let mut v = tablet_view(t);
    if t.screen == Screen::Record {
        v.r_photo_files = newest_photos(&opts.photos)
            .into_iter()
            .map(SharedString::from)
            .collect();
    }
    ui.window(move |w| {
        let k = w.global::<Kiosk>();
        k.set_busy(false);
        k.set_problem(v.problem.into());
        k.set_greeting(v.c_greeting.into());
        k.set_masked_phone(SharedString::new());
        k.set_tier(v.c_tier.clone());
        k.set_rate_number(v.rate_number.into());
        k.set_rate_stylist(v.rate_stylist.into());
        k.set_rate_services(v.rate_services.into());
        k.set_scores(model(v.scores));
        k.set_phrase_on(model(v.phrases));
        let t = w.global::<Tablet>();
        t.set_staff(model(v.staff));
        t.set_picked(v.picked);
        t.set_pin_shown(v.pin.into());
        t.set_me(v.me.into());
        t.set_mine_only(v.mine_only);
        t.set_tickets(model(v.tickets));
        t.set_appointments(model(v.appointments));
        t.set_c_name(v.c_name.into());
        t.set_c_phone(v.c_phone.into());
        t.set_c_tier(v.c_tier);
        t.set_c_allergies(v.c_allergies.into());
        t.set_c_notes(v.c_notes.into());
        t.set_c_tags(v.c_tags.into());
        t.set_c_balances(model(v.c_balances));
        t.set_c_packages(model(v.c_packages));
        t.set_c_coupons(model(v.c_coupons));
        t.set_c_visits(model(v.c_visits));
        t.set_c_photos(model(
            photos
                .into_iter()
                .map(|(visit, label, file)| PhotoRow {
                    visit,
                    label: label.into(),
                    image: slint::Image::load_from_path(&file).unwrap_or_default(),
                })
                .collect(),
        ));
        t.set_r_photo_consent(v.r_photo_consent);
        t.set_r_photo_count(v.r_photo_count);
        t.set_r_photo_files(model(v.r_photo_files));
        t.set_c_ticket(v.c_ticket.into());
        t.set_can_record(v.can_record);
        t.set_can_checkout(v.can_checkout);
        t.set_r_services(model(v.r_services));
        t.set_r_products(model(v.r_products));
        // Text being typed stays as typed; Rust's copy only fills a fresh screen.
        if t.get_r_formula().as_str() != v.r_formula {
            t.set_r_formula(v.r_formula.into());
        }
        if t.get_r_notes().as_str() != v.r_notes {
            t.set_r_notes(v.r_notes.into());
        }
        t.set_k_items(model(v.k_items));
        t.set_k_products(model(v.k_products));
        t.set_k_coupons(model(v.k_coupons));
        t.set_k_use_packages(v.k_use_packages);
        t.set_k_points(v.k_points);
        t.set_k_points_balance(v.k_points_balance);
        t.set_k_lines(model(v.k_lines));
        t.set_k_due(v.k_due.into());
        t.set_k_balance(v.k_balance.into());
        t.set_k_stored_on(v.k_stored_on);
        t.set_k_rest_due(v.k_rest_due.into());
        t.set_k_rest(v.k_rest.into());
        t.set_k_cash_given(v.k_cash_given.into());
        t.set_k_change(v.k_change.into());
        if t.get_k_reference().as_str() != v.k_reference {
            t.set_k_reference(v.k_reference.into());
        }
        t.set_receipt(v.receipt.into());
        t.set_receipt_number(v.receipt_number.into());
        t.set_can_rate(v.can_rate);
        t.set_s_top_ups(model(v.s_top_ups));
        t.set_s_plans(model(v.s_plans));
        t.set_s_coupons(model(v.s_coupons));
        t.set_s_method(v.s_method.into());
        t.set_s_price(v.s_price.into());
        t.set_s_package(v.s_package);
        if t.get_s_reference().as_str() != v.s_reference {
            t.set_s_reference(v.s_reference.into());
        }
        k.set_screen(v.screen.into());
    });
}
