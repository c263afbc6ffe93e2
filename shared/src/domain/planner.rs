//! The queue planner: from today's tickets, appointments, rosters and learned times, each
//! stylist's load, their quote for a new customer, and the rotation board. The server and the
//! busy-day simulation both use it, so what is simulated is what runs.

use crate::estimate::{self, Expect, StylistLoad};
use crate::queue::{Ticket, TicketState, WaitRange};
use crate::rotation::{self, Adjustment, RotationEntry};
use crate::schedule::{Appointment, AppointmentState, Interval, Roster};
use crate::{Service, ServiceId, Staff, StaffId, StaffRole};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::collections::HashMap;

/// Everything the planner reads, for one store-local day.
#[derive(Debug, Clone, Default)]
pub struct Board {
    pub now: DateTime<Utc>,
    pub day: NaiveDate,
    pub tz: Option<FixedOffset>,
    pub staff: Vec<Staff>,
    pub rosters: HashMap<StaffId, Roster>,
    pub services: HashMap<ServiceId, Service>,
    /// Today's tickets: at least every open one (waiting, called, in service).
    pub tickets: Vec<Ticket>,
    /// Today's walk-in tally per stylist for the rotation board. `None`: count it from
    /// `tickets`, which must then hold the whole day.
    pub walk_ins: Option<HashMap<StaffId, WalkIns>>,
    /// Today's appointments.
    pub appointments: Vec<Appointment>,
    /// Recent minutes per (stylist, service).
    pub samples: HashMap<(StaffId, ServiceId), Vec<u32>>,
    pub adjustments: HashMap<StaffId, Adjustment>,
}

/// Walk-ins who asked for nobody that a stylist was given today, and when the last came.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WalkIns {
    pub count: u32,
    pub last_at: Option<DateTime<Utc>>,
}

/// A stylist's quote, as the check-in screen shows it side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StylistWait {
    pub stylist: StaffId,
    pub wait: WaitRange,
}

impl Board {
    fn tz(&self) -> FixedOffset {
        self.tz
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
    }

    /// Stylists and beauticians who are active and may perform every one of `services`.
    pub fn can_serve(&self, stylist: &Staff, services: &[ServiceId]) -> bool {
        stylist.active
            && matches!(stylist.role, StaffRole::Stylist | StaffRole::Beautician)
            && services.iter().all(|id| {
                self.services
                    .get(id)
                    .is_some_and(|s| stylist.can_perform(s.category))
            })
    }

    pub fn shift(&self, stylist: StaffId) -> Option<Interval> {
        self.rosters.get(&stylist)?.shift_on(self.day, self.tz())
    }

    /// The expected length of `services` done by `stylist`, from their own history.
    pub fn job(&self, stylist: StaffId, services: &[ServiceId]) -> Expect {
        services
            .iter()
            .filter_map(|id| self.services.get(id))
            .map(|s| {
                estimate::service_time(
                    s.duration_min,
                    self.samples
                        .get(&(stylist, s.id))
                        .map(Vec::as_slice)
                        .unwrap_or(&[]),
                )
            })
            .fold(Expect::default(), |a, b| a + b)
    }

    /// The stylist's situation now: their chair, their queue in order, their bookings to come.
    pub fn load(&self, stylist: StaffId) -> StylistLoad {
        self.load_ahead_of(stylist, None)
    }

    /// The same, counting only queued tickets ahead of `(rank, id)` when given: what stands
    /// between a ticket already in the queue and the chair.
    pub fn load_ahead_of(&self, stylist: StaffId, place: Option<(i64, u64)>) -> StylistLoad {
        let mine = || {
            self.tickets
                .iter()
                .filter(move |t| t.stylist == Some(stylist))
        };
        let current = mine().find(|t| t.state == TicketState::InService).map(|t| {
            (
                t.started_at.unwrap_or(self.now),
                self.job(stylist, &t.services),
            )
        });
        let mut queued: Vec<&Ticket> = mine()
            .filter(|t| t.state.is_queued() && place.is_none_or(|p| (t.rank, t.id) < p))
            .collect();
        queued.sort_by_key(|t| (t.rank, t.id));
        let appointments = self
            .appointments
            .iter()
            .filter(|a| {
                a.stylist_id == stylist && a.state == AppointmentState::Booked && a.end > self.now
            })
            // A booking holds at least this stylist's own cautious time for its services, not
            // just the catalog length: a slow stylist's bookings overrun and push the queue.
            .map(|a| {
                let own = estimate::minutes(self.job(stylist, &a.services).cautious);
                Interval::new(a.start, a.end.max(a.start + own))
            })
            .collect();
        StylistLoad {
            shift: self.shift(stylist),
            current,
            queued: queued
                .iter()
                .map(|t| self.job(stylist, &t.services))
                .collect(),
            appointments,
        }
    }

    /// The wait of a ticket already queued with `stylist`, from what is ahead of it.
    pub fn wait_of(&self, ticket: &Ticket) -> Option<WaitRange> {
        let stylist = ticket.stylist?;
        estimate::quote(
            &self.load_ahead_of(stylist, Some((ticket.rank, ticket.id))),
            self.now,
            self.job(stylist, &ticket.services),
        )
    }

    /// The wait for a new customer wanting `services` from `stylist`.
    pub fn quote(&self, stylist: StaffId, services: &[ServiceId]) -> Option<WaitRange> {
        let s = self.staff.iter().find(|s| s.id == stylist)?;
        if !self.can_serve(s, services) {
            return None;
        }
        estimate::quote(&self.load(stylist), self.now, self.job(stylist, services))
    }

    /// Each eligible stylist's wait if requested (点钟), in staff order.
    pub fn quotes(&self, services: &[ServiceId]) -> Vec<StylistWait> {
        self.staff
            .iter()
            .filter_map(|s| {
                self.quote(s.id, services).map(|wait| StylistWait {
                    stylist: s.id,
                    wait,
                })
            })
            .collect()
    }

    /// The rotation board for a walk-in wanting `services`.
    pub fn rotation(&self, services: &[ServiceId]) -> Vec<RotationEntry> {
        let mut entries = Vec::new();
        for s in self.staff.iter().filter(|s| self.can_serve(s, services)) {
            let load = self.load(s.id);
            // Not working now or unable to fit the job today: not on today's board.
            if estimate::quote(&load, self.now, self.job(s.id, services)).is_none() {
                continue;
            }
            let Some(free_at) = estimate::free_at(&load, self.now, self.job(s.id, services)) else {
                continue;
            };
            let tally = self.walk_ins_of(s.id);
            entries.push(RotationEntry {
                stylist: s.id,
                free_at,
                walk_ins_today: tally.count,
                last_assigned_at: tally.last_at,
                adjustment: self.adjustments.get(&s.id).copied().unwrap_or_default(),
            });
        }
        entries
    }

    /// The stylist's walk-in tally today (walk-ins who asked for nobody and did not leave).
    pub fn walk_ins_of(&self, stylist: StaffId) -> WalkIns {
        if let Some(m) = &self.walk_ins {
            return m.get(&stylist).copied().unwrap_or_default();
        }
        let mine = self.tickets.iter().filter(|t| {
            t.stylist == Some(stylist) && t.requested.is_none() && t.state != TicketState::Left
        });
        WalkIns {
            count: mine.clone().count() as u32,
            last_at: mine.map(|t| t.created_at).max(),
        }
    }

    /// "Next available" (轮钟): the rotation's pick and their wait.
    pub fn next_available(&self, services: &[ServiceId]) -> Option<StylistWait> {
        let entries = self.rotation(services);
        let first = *rotation::order(&entries, self.now).first()?;
        Some(StylistWait {
            stylist: first,
            wait: self.quote(first, services)?,
        })
    }
}
