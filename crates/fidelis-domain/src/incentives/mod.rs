//! The incentives context: coupon series, the coupons issued from them, promo codes, gift
//! vouchers and their redemptions. Validity windows end at org-local day boundaries, and
//! every rule takes the instant it judges from its caller (the injected clock).

pub mod code;
pub mod config;
pub mod error;
pub mod redeem;
pub mod series;

pub use error::IncentivesError;
pub use series::{
    CouponId, DiscountType, Expiry, IncentiveKind, KeptFields, Place, RedeemableAt, RedemptionId,
    SeriesId, SeriesRules,
};
