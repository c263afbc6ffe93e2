//! Newtype ids, so a customer id can never be passed where a staff id is meant.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A customer's id, assigned by the store server.
    CustomerId
);
id_type!(
    /// A catalog service's id.
    ServiceId
);
id_type!(
    /// A staff member's id.
    StaffId
);
id_type!(
    /// A paired device's id.
    DeviceId
);
id_type!(
    /// A retail product's id (products sold and products used in a service).
    ProductId
);
id_type!(
    /// A checkout: one paid bill.
    CheckoutId
);
id_type!(
    /// A package (次卡) a customer bought: so many uses of one service.
    PackageId
);
id_type!(
    /// A coupon definition (the kind of coupon a campaign hands out).
    CouponDefId
);
id_type!(
    /// One coupon issued to one customer, redeemable once.
    CouponId
);
