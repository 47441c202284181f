//! The incentives context on the wire: Capillary's coupon series body parsed into
//! `fidelis_app::incentives` inputs, and series, coupons, redemptions and search results
//! rendered in Capillary's shapes. Handlers live in `api::v2::incentives` and
//! `api::v1_1::coupon`.

pub mod render;
pub mod wire;

pub use fidelis_app::incentives::Ctx;
