//! The queue display (QUE-4): its adapter — the role's loop, which redraws the board
//! whenever the queue changes, and the code that puts the [`board::Board`] on the window.

pub mod board;

use crate::app::{Cmd, Health, Link, Options, Outcome, Ui, model};
use crate::device::Device;
use salon_shared::api::QueueQuery;
use salon_shared::client::Live;
use salon_ui::{CalledItem, Kiosk, WaitingItem};
use std::time::Duration;
use tokio::sync::mpsc;

/// The queue display's loop: the board follows the queue's events and a health check every
/// few seconds, until the window closes or the pairing goes.
pub(crate) async fn run(
    opts: &Options,
    ui: &Ui,
    rx: &mut mpsc::UnboundedReceiver<Cmd>,
    device: Device,
) -> Outcome {
    let mut link = Link::new(device);
    ui.screen("display");
    let mut events = link.client().subscribe();
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        let refresh = tokio::select! {
            cmd = rx.recv() => match cmd {
                None => return Outcome::Closed,
                Some(Cmd::Unpair) => return Outcome::Unpaired,
                Some(_) => false,
            },
            live = events.recv() => match live {
                Some(Live::Event(e)) => e.kind.starts_with("queue.") || e.kind.starts_with("appointment."),
                Some(Live::Connected) | Some(Live::Resync) => true,
                Some(Live::Disconnected(_)) => {
                    ui.online(false);
                    false
                }
                None => {
                    events = link.client().subscribe();
                    false
                }
            },
            _ = tick.tick() => {
                match link.check(opts).await {
                    Health::Revoked => return Outcome::Unpaired,
                    Health::Online => true,
                    Health::Offline => {
                        ui.online(false);
                        false
                    }
                }
            }
        };
        if refresh {
            match link.client().queue(&QueueQuery::default()).await {
                Ok(q) => {
                    let b = board::board(&q);
                    ui.set(move |k| apply_board(k, b));
                    ui.online(true);
                }
                Err(_) => ui.online(false),
            }
        }
    }
}

fn apply_board(k: &Kiosk<'_>, b: board::Board) {
    let lines = |v: Vec<board::Line>| {
        model(
            v.into_iter()
                .map(|l| CalledItem {
                    number: l.number.into(),
                    greeting: l.name.into(),
                    stylist: l.stylist.into(),
                })
                .collect(),
        )
    };
    k.set_called(lines(b.called));
    k.set_serving(lines(b.serving));
    k.set_waiting_count(b.waiting as i32);
    k.set_waiting_by_stylist(model(
        b.waiting_by_stylist
            .into_iter()
            .map(|(s, n)| WaitingItem {
                stylist: s.into(),
                count: n as i32,
            })
            .collect(),
    ));
}
