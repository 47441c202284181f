//! The incentives repository: coupon series, codes (issued coupons, promo codes, gift
//! vouchers) and redemptions.
//!
//! Every limit is decided under row locks inside one write transaction: a redemption locks
//! its series row, then its code's row (always in that order, as issuing does), reads the
//! usage counts, asks the domain (`incentives::redeem::check`) and writes. On PostgreSQL the
//! locks are `FOR UPDATE`; SQLite's write transaction already excludes every other writer.
//! So 64 concurrent redemptions of a single-use coupon see one another's writes, and only
//! one of them can find the coupon unredeemed.

mod apply;
mod codes;
mod redeem;
mod series;

use fidelis_domain::customers::CustomerId;
use fidelis_domain::incentives::{
    CouponId, IncentiveKind, KeptFields, RedemptionId, SeriesId, SeriesRules,
};
use fidelis_domain::org::EntityId;
use jiff::Timestamp;
use rust_decimal::Decimal;

pub(crate) use apply::apply_config;
pub use codes::{CouponFilter, Issuer};
pub use redeem::{NewRedemption, Redeemed};
pub use series::NewSeries;

use crate::Db;

pub struct IncentivesRepo<'a>(&'a Db);

impl Db {
    pub fn incentives(&self) -> IncentivesRepo<'_> {
        IncentivesRepo(self)
    }
}

/// Who created a series: an org file (`FILE`) or the API (`API`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagedBy {
    File,
    Api,
}

impl ManagedBy {
    fn as_str(self) -> &'static str {
        match self {
            Self::File => "FILE",
            Self::Api => "API",
        }
    }
}

/// A coupon series as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRecord {
    pub id: SeriesId,
    pub code: String,
    pub rules: SeriesRules,
    /// Fields of Capillary's series body that Fidelis keeps and echoes without reading.
    pub extra: KeptFields,
    pub is_active: bool,
    pub num_issued: i64,
    pub num_redeemed: i64,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// A promo series' public code.
    pub promo_code: Option<String>,
}

/// One code: an issued coupon, a promo code or a gift voucher.
#[derive(Debug, Clone, PartialEq)]
pub struct CouponRecord {
    pub id: CouponId,
    pub series_id: SeriesId,
    pub kind: IncentiveKind,
    pub code: String,
    pub customer_id: Option<CustomerId>,
    pub issued_at: Timestamp,
    pub valid_till: Option<Timestamp>,
    /// Redemptions not reactivated.
    pub redemptions: i64,
    pub balance: Option<Decimal>,
    pub issued_by: Option<String>,
    pub issued_store_id: Option<EntityId>,
}

/// One redemption.
#[derive(Debug, Clone, PartialEq)]
pub struct RedemptionRecord {
    pub id: RedemptionId,
    pub coupon_id: CouponId,
    pub series_id: SeriesId,
    pub customer_id: Option<CustomerId>,
    pub transaction_number: Option<String>,
    pub bill_amount: Decimal,
    /// The discount given, or the part of a gift voucher spent.
    pub amount: Decimal,
    pub redeemed_at: Timestamp,
    pub till_id: Option<EntityId>,
    pub store_id: Option<EntityId>,
    pub actor: Option<String>,
    pub reversed_at: Option<Timestamp>,
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// `n` random symbols of the code alphabet, from the operating system's CSPRNG.
fn random_code(n: u32) -> String {
    use rand::RngCore;
    let mut bytes = vec![0u8; usize::try_from(n).unwrap_or(8)];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    fidelis_domain::incentives::code::code_from_random(&bytes)
}
