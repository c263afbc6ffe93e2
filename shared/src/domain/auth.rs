//! Who may do what (SEC-2): device roles and the one role × action table.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A paired device's role, fixed at pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Manager,
    FrontDesk,
    Stylist,
    Kiosk,
    /// The queue display screen (QUE-4): shows the live queue, knows nothing of customers.
    Display,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Manager,
        Role::FrontDesk,
        Role::Stylist,
        Role::Kiosk,
        Role::Display,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::FrontDesk => "front_desk",
            Role::Stylist => "stylist",
            Role::Kiosk => "kiosk",
            Role::Display => "display",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Every kind of request a device can make, grouped as the API's route families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Subscribe to the live event stream.
    Events,
    /// Read one customer's full profile.
    CustomerRead,
    /// List, filter and search customers.
    CustomerSearch,
    /// Create or edit a customer profile.
    CustomerWrite,
    /// Merge two duplicate customers.
    CustomerMerge,
    /// Export a customer's data or erase it (CUS-6).
    CustomerPrivacy,
    /// Identify or register the customer standing at the kiosk, seeing only them.
    KioskIdentify,
    ServiceRead,
    ServiceWrite,
    StaffRead,
    StaffWrite,
    CardRead,
    CardWrite,
    AuditRead,
    /// Create pairing codes, list and revoke device tokens.
    DeviceManage,
    /// Sign a staff member in with their PIN on this device.
    StaffSignIn,
    /// Configure reminder channels (SMTP, webhook) and see or retry the outbox (APT-4).
    NotifyManage,
    /// Check a customer in (kiosk, tablets) and record a balk (CHK-8).
    CheckIn,
    /// See the live queue (masked names) and the rotation board: staff devices and the queue
    /// display. Not the kiosk: the queue lists every customer waiting (SEC-2).
    QueueRead,
    /// Call, start, finish, mark no-show or left.
    QueueWork,
    /// Reassign and reorder tickets (front desk).
    QueueManage,
    /// Adjust the rotation board and edit rosters (manager).
    ScheduleManage,
    /// See rosters, appointments and availability.
    ScheduleRead,
    /// Book, move and cancel appointments.
    AppointmentWrite,
    /// Reports (wait accuracy, balks, no-shows) and the customers' ratings.
    ReportRead,
    /// Record a customer's rating of their finished visit (CHK-6).
    FeedbackWrite,
    /// Record what was done in a visit: services, products used, formulas, notes (REC-1).
    VisitWrite,
    /// Price and take payment for a bill, top up stored value, sell a package, hand a
    /// customer a coupon, and see those receipts (PAY, MEM, CPN-2 for one customer).
    Checkout,
    /// Refund or void a paid bill (PAY-3).
    Refund,
    /// The day's cash-up per payment method (PAY-4).
    CashUp,
    /// Products and stock, package plans, coupon definitions and member rules.
    SalesManage,
}

impl Action {
    pub const ALL: [Action; 31] = [
        Action::Events,
        Action::CustomerRead,
        Action::CustomerSearch,
        Action::CustomerWrite,
        Action::CustomerMerge,
        Action::CustomerPrivacy,
        Action::KioskIdentify,
        Action::ServiceRead,
        Action::ServiceWrite,
        Action::StaffRead,
        Action::StaffWrite,
        Action::CardRead,
        Action::CardWrite,
        Action::AuditRead,
        Action::DeviceManage,
        Action::StaffSignIn,
        Action::NotifyManage,
        Action::CheckIn,
        Action::QueueRead,
        Action::QueueWork,
        Action::QueueManage,
        Action::ScheduleManage,
        Action::ScheduleRead,
        Action::AppointmentWrite,
        Action::ReportRead,
        Action::FeedbackWrite,
        Action::VisitWrite,
        Action::Checkout,
        Action::Refund,
        Action::CashUp,
        Action::SalesManage,
    ];
}

/// The permission table. A kiosk never reads or lists customers: it only sees the
/// customer it identified, through [`Action::KioskIdentify`], and the waits it quotes them
/// ([`Action::CheckIn`]).
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Manager => true,
        Role::FrontDesk => !matches!(
            action,
            CustomerPrivacy
                | ServiceWrite
                | StaffWrite
                | AuditRead
                | DeviceManage
                | NotifyManage
                | ScheduleManage
                | ReportRead
                | SalesManage
        ),
        Role::Stylist => matches!(
            action,
            Events
                | CustomerRead
                | CustomerSearch
                | CustomerWrite
                | ServiceRead
                | StaffRead
                | CardRead
                | StaffSignIn
                | CheckIn
                | QueueRead
                | QueueWork
                | ScheduleRead
                | AppointmentWrite
                | FeedbackWrite
                | VisitWrite
                | Checkout
        ),
        // Check-in and feedback only (SEC-2). No `QueueRead`: the queue lists every waiting
        // customer's greeting and id, and the kiosk stands where anyone can tap it.
        Role::Kiosk => matches!(
            action,
            Events | KioskIdentify | ServiceRead | StaffRead | CheckIn | FeedbackWrite
        ),
        // A screen on the wall, often in reach of customers: it reads the queue (masked
        // names) and the names it shows, and may change nothing.
        Role::Display => matches!(action, Events | QueueRead | ServiceRead | StaffRead),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kiosk_sees_no_customers() {
        for a in [
            Action::CustomerRead,
            Action::CustomerSearch,
            Action::CustomerWrite,
            Action::CardRead,
            Action::CustomerPrivacy,
            // The queue lists everyone waiting.
            Action::QueueRead,
        ] {
            assert!(!allows(Role::Kiosk, a), "{a:?}");
        }
        assert!(allows(Role::Kiosk, Action::KioskIdentify));
    }

    #[test]
    fn the_kiosk_checks_in_and_takes_ratings_and_nothing_more() {
        let allowed: Vec<Action> = Action::ALL
            .into_iter()
            .filter(|a| allows(Role::Kiosk, *a))
            .collect();
        assert_eq!(
            allowed,
            [
                Action::Events,
                Action::KioskIdentify,
                Action::ServiceRead,
                Action::StaffRead,
                Action::CheckIn,
                Action::FeedbackWrite,
            ]
        );
    }

    #[test]
    fn the_queue_is_read_by_staff_devices_and_the_display_only() {
        for r in Role::ALL {
            assert_eq!(allows(r, Action::QueueRead), r != Role::Kiosk, "{r:?}");
        }
    }

    #[test]
    fn display_reads_the_queue_and_nothing_else() {
        let allowed: Vec<Action> = Action::ALL
            .into_iter()
            .filter(|a| allows(Role::Display, *a))
            .collect();
        assert_eq!(
            allowed,
            [
                Action::Events,
                Action::ServiceRead,
                Action::StaffRead,
                Action::QueueRead
            ]
        );
    }

    #[test]
    fn customers_rate_from_the_kiosk_and_staff_devices_but_not_the_wall() {
        for r in Role::ALL {
            assert_eq!(
                allows(r, Action::FeedbackWrite),
                r != Role::Display,
                "{r:?}"
            );
        }
        // Reading the ratings is a report: the manager's.
        for r in Role::ALL {
            assert_eq!(allows(r, Action::ReportRead), r == Role::Manager, "{r:?}");
        }
    }

    #[test]
    fn only_managers_manage() {
        for a in [
            Action::DeviceManage,
            Action::AuditRead,
            Action::CustomerPrivacy,
            Action::ServiceWrite,
            Action::StaffWrite,
            Action::NotifyManage,
        ] {
            for r in Role::ALL {
                assert_eq!(allows(r, a), r == Role::Manager, "{r:?} {a:?}");
            }
        }
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("display"), Some(Role::Display));
        assert_eq!(Role::parse("admin"), None);
    }
}
