//! Wire types of the money side: products and stock, service records, checkouts, refunds,
//! top-ups, packages, coupons, member settings, the customer 360 and the cash-up.

use crate::bill::{Bill, PayMethod, PointsRules, Settlement, Tender};
use crate::coupon::{Coupon, CouponDef};
use crate::ledger::{BonusRule, Package, PackageEntry, PointsEntry, PointsLot, ValueEntry};
use crate::schedule::Appointment;
use crate::tier::{TierRule, TierRules};
use crate::{CheckoutId, CouponDefId, CouponId, Customer, CustomerId, Money, PackageId};
use crate::{ProductId, ServiceId, StaffId, Tier};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

// ---- products and stock ----

/// A retail product, sold at checkout or used in services (stock in whole units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub brand: String,
    pub barcode: Option<String>,
    pub price: Money,
    pub stock: i64,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub name: String,
    #[serde(default)]
    pub brand: String,
    #[serde(default)]
    pub barcode: Option<String>,
    pub price: Money,
}

/// Why stock moved (INV-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockReason {
    /// Delivered by a supplier.
    Receive,
    /// Counted at stocktake: the difference.
    Adjust,
    Sell,
    UseInService,
    /// A refunded sale put the goods back.
    SaleRefunded,
    /// A service record's products were corrected.
    UseCorrected,
}

/// Stock received or counted, sent by the manager. Sales and service use move stock by
/// themselves.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockInput {
    /// `receive` (positive) or `adjust` (either sign), 1–100000 units.
    pub reason: StockReason,
    pub qty: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockMove {
    pub seq: u64,
    pub product_id: ProductId,
    pub at: DateTime<Utc>,
    pub reason: StockReason,
    pub qty: i64,
    pub stock_after: i64,
    pub checkout: Option<CheckoutId>,
    pub ticket: Option<u64>,
}

// ---- service records (REC-1) ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormulaKind {
    Colour,
    Perm,
    Treatment,
}

/// A colour or perm formula as the stylist writes it ("7/1 + 8/0 1:1, 6% 30 min").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Formula {
    pub kind: FormulaKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductUse {
    pub product_id: ProductId,
    pub qty: u32,
}

/// What the stylist records for a visit; saving again replaces it (stock follows the
/// difference in products used).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    pub services: Vec<ServiceId>,
    #[serde(default)]
    pub products_used: Vec<ProductUse>,
    #[serde(default)]
    pub formulas: Vec<Formula>,
    #[serde(default)]
    pub notes: String,
    /// The customer agreed to before/after photos of this visit. Saving without it deletes
    /// the visit's photos.
    #[serde(default)]
    pub photo_consent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhotoKind {
    Before,
    After,
}

#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PhotoQuery {
    /// `before` or `after` the service.
    pub kind: PhotoKind,
}

/// A before/after photo of a visit; the image itself is at
/// `/visits/{ticket_id}/photos/{n}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PhotoMeta {
    pub n: u32,
    pub kind: PhotoKind,
    pub content_type: String,
    pub bytes: u32,
    pub at: DateTime<Utc>,
}

/// The service record of one visit (one queue ticket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Visit {
    pub ticket_id: u64,
    pub day: NaiveDate,
    pub customer_id: CustomerId,
    pub stylist: Option<StaffId>,
    pub services: Vec<ServiceId>,
    pub products_used: Vec<ProductUse>,
    pub formulas: Vec<Formula>,
    pub notes: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<StaffId>,
    /// When the customer agreed to photos of this visit (REC-1); none, no photos.
    #[serde(default)]
    pub photo_consent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub photos: Vec<PhotoMeta>,
}

// ---- checkout (PAY-1..4) ----

/// One thing sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "type", deny_unknown_fields)]
pub enum SaleItem {
    Service { id: ServiceId, qty: u32 },
    Product { id: ProductId, qty: u32 },
}

/// A bill to price (preview) or to pay (checkout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutInput {
    /// The visit being paid for; a retail-only sale has none.
    #[serde(default)]
    pub ticket_id: Option<u64>,
    /// The member paying; none for an anonymous retail sale. Taken from the ticket if given.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// Whose level prices the services; taken from the ticket if given.
    #[serde(default)]
    pub stylist: Option<StaffId>,
    pub items: Vec<SaleItem>,
    /// Let the customer's packages pay for the services they cover (default yes).
    #[serde(default = "yes")]
    pub use_packages: bool,
    #[serde(default)]
    pub coupon: Option<CouponId>,
    #[serde(default)]
    pub points: u64,
    /// How it is paid; ignored by the preview.
    #[serde(default)]
    pub tenders: Vec<Tender>,
}

fn yes() -> bool {
    true
}

/// What a checkout is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CheckoutKind {
    Sale {
        ticket_id: Option<u64>,
        stylist: Option<StaffId>,
    },
    TopUp {
        paid: Money,
        bonus: Money,
    },
    PackageSale {
        package: PackageId,
        plan: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackageUse {
    pub package: PackageId,
    pub uses: u32,
}

/// Everything a checkout changed besides the payment, so a refund can reverse exactly that.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Effects {
    /// Points redeemed, by the lots they came from.
    pub points_redeemed: Vec<PointsLot>,
    pub points_earned: u64,
    pub package_uses: Vec<PackageUse>,
    pub coupon: Option<CouponId>,
    /// Stock taken per product (positive).
    pub stock: Vec<ProductUse>,
    /// Counted towards the member's tier (MEM-1).
    pub spend: Decimal,
    pub tier_before: Tier,
    pub tier_after: Tier,
    /// Stored value added (top-up plus bonus) or taken (payment).
    pub stored_value_in: Decimal,
    pub stored_value_out: Decimal,
}

/// A paid bill. Never edited: a refund is its own record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Checkout {
    pub id: CheckoutId,
    /// Receipt number, per day: 20261130-0007.
    pub number: String,
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
    pub kind: CheckoutKind,
    pub customer_id: Option<CustomerId>,
    pub customer_name: Option<String>,
    /// The priced bill of a sale; top-ups and package sales have none.
    pub bill: Option<Bill>,
    pub due: Money,
    pub settlement: Settlement,
    pub effects: Effects,
    /// The signed-in staff member who took the money.
    pub staff_id: Option<StaffId>,
    /// Balances after the checkout, printed on the receipt.
    pub stored_value_after: Option<Decimal>,
    pub points_after: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundInput {
    /// Why (1–200 characters); kept in the audit log.
    pub reason: String,
}

/// A refund of a whole checkout: the money back by the methods it came in, and every
/// effect reversed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Refund {
    pub checkout_id: CheckoutId,
    pub checkout_number: String,
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
    pub reason: String,
    /// Paid back, per method (cash from the drawer, mobile through the payment provider,
    /// stored value onto the balance).
    pub payments: Vec<crate::bill::Payment>,
    /// Earned points taken back, and those the customer had already spent.
    pub points_reversed: u64,
    pub points_not_reversed: u64,
    pub staff_id: Option<StaffId>,
}

/// A checkout with its refund, if any, as listed and shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckoutView {
    pub checkout: Checkout,
    pub refund: Option<Refund>,
}

// ---- members: top-ups, packages, coupons, settings ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUpInput {
    /// Money paid in (cash or mobile); the bonus is added by the store's rules.
    pub amount: Money,
    pub tenders: Vec<Tender>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageSaleInput {
    pub plan_id: u64,
    pub tenders: Vec<Tender>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueCoupon {
    pub def_id: CouponDefId,
}

/// A coupon with what it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CouponView {
    pub coupon: Coupon,
    pub def: CouponDef,
}

/// The store's member rules (MEM-1, MEM-3, MEM-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberSettings {
    pub tiers: TierRules,
    pub points: PointsRules,
    /// Days earned points stay valid; `None`: they never expire.
    #[serde(default)]
    pub points_valid_days: Option<u32>,
    #[serde(default)]
    pub top_up_bonus: Vec<BonusRule>,
}

impl Default for MemberSettings {
    fn default() -> Self {
        let m = |d: i64| Money::new(Decimal::from(d)).unwrap_or(Money::ZERO);
        MemberSettings {
            tiers: TierRules::default(),
            points: PointsRules::default(),
            points_valid_days: None,
            top_up_bonus: vec![
                BonusRule {
                    min_paid: m(1000),
                    bonus: m(100),
                },
                BonusRule {
                    min_paid: m(3000),
                    bonus: m(500),
                },
            ],
        }
    }
}

/// A customer's balances (MEM-3, MEM-4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WalletView {
    pub stored_value: Decimal,
    pub points: u64,
    /// Points that will expire, soonest first.
    pub points_lots: Vec<PointsLot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NamedQty {
    pub name: String,
    pub qty: u32,
}

/// One past visit as the profile lists it (CUS-3, REC-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VisitSummary {
    pub ticket_id: u64,
    pub day: NaiveDate,
    pub number: String,
    pub stylist: Option<String>,
    pub services: Vec<String>,
    pub products_used: Vec<NamedQty>,
    pub formulas: Vec<Formula>,
    pub notes: String,
    pub photos: Vec<PhotoMeta>,
    pub amount: Option<Money>,
    pub methods: Vec<PayMethod>,
    pub checkout_id: Option<CheckoutId>,
    /// The customer's overall rating of the visit, 1–5.
    pub rating: Option<u8>,
}

/// Everything a stylist needs to see about a customer, allergies first (CUS-3).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerOverview {
    pub customer: Customer,
    pub tier_benefits: TierRule,
    pub wallet: WalletView,
    pub packages: Vec<Package>,
    pub coupons: Vec<CouponView>,
    /// Newest first, at most 50.
    pub visits: Vec<VisitSummary>,
    /// Today's and later appointments.
    pub appointments: Vec<Appointment>,
}

/// A customer's ledgers, newest last.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Ledgers {
    pub stored_value: Vec<ValueEntry>,
    pub points: Vec<PointsEntry>,
    pub packages: Vec<PackageEntry>,
}

// ---- daily cash-up (PAY-4) ----

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// Store-local day (default: today).
    pub day: Option<NaiveDate>,
}

/// Money in and out by one payment method on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MethodTotals {
    pub method: Option<PayMethod>,
    pub sales: Decimal,
    pub top_ups: Decimal,
    pub package_sales: Decimal,
    pub refunds: Decimal,
    pub net: Decimal,
    pub count: u32,
}

/// The Z report: what each method took and paid back on a day, and what benefits cost.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CashUp {
    pub day: NaiveDate,
    pub by_method: Vec<MethodTotals>,
    /// Cash the drawer should hold from the day's business: cash kept minus cash refunds.
    pub cash_in_drawer: Decimal,
    pub change_given: Decimal,
    pub checkouts: u32,
    pub refunds: u32,
    /// Sales before benefits, and what each benefit took off.
    pub gross_sales: Decimal,
    pub package_uses: Decimal,
    pub tier_discounts: Decimal,
    pub coupons: Decimal,
    pub points: Decimal,
    /// Top-up bonuses given: a liability, not income.
    pub bonus_given: Decimal,
    /// Money taken in minus money paid back, all methods except stored value (which moves
    /// money already taken).
    pub net_takings: Decimal,
}
