//! Coupon series: what kind of incentive a series makes, its discount, its validity and
//! its limits. A series' rules are one value the redemption rules read as a whole.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::IncentivesError;
use crate::loyalty::time::{add_days, add_months, end_of_local_day, local_date};
use crate::org::EntityId;

crate::id::id_type!(
    /// A coupon series (Capillary's offer id).
    SeriesId
);
crate::id::id_type!(
    /// One code: an issued coupon, a promo code or a gift voucher.
    CouponId
);
crate::id::id_type!(
    /// One redemption of a code.
    RedemptionId
);

/// What a series makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IncentiveKind {
    /// Codes issued one per customer from a CSPRNG.
    Coupon,
    /// One public code any customer may redeem (e.g. `SUMMER22`).
    Promo,
    /// Codes with a face value spent in parts against bills.
    GiftVoucher,
}

impl IncentiveKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Coupon => "COUPON",
            Self::Promo => "PROMO",
            Self::GiftVoucher => "GIFT_VOUCHER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Coupon, Self::Promo, Self::GiftVoucher]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The name incentives search shows: `coupon`, `promo`, `giftVoucher`.
    pub fn search_name(self) -> &'static str {
        match self {
            Self::Coupon => "coupon",
            Self::Promo => "promo",
            Self::GiftVoucher => "giftVoucher",
        }
    }
}

/// `ABS` (an amount off) or `PERC` (a percentage of the bill).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DiscountType {
    Abs,
    Perc,
}

impl DiscountType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Abs => "ABS",
            Self::Perc => "PERC",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ABS" | "ABSOLUTE" => Some(Self::Abs),
            "PERC" | "PERCENTAGE" | "PERCENT" => Some(Self::Perc),
            _ => None,
        }
    }
}

/// When an issued code stops being valid. Every end is the end of an org-local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Expiry {
    /// With the series (`validTillDate`), or never when the series has no end.
    SeriesExpiry,
    /// The end of the local day `n` days after the day of issue.
    Days(u32),
    /// The end of the local day `n` calendar months after the day of issue.
    Months(u32),
}

/// The org units a series' codes may be redeemed at; empty lists mean anywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemableAt {
    #[serde(default)]
    pub stores: Vec<EntityId>,
    #[serde(default)]
    pub concepts: Vec<EntityId>,
    #[serde(default)]
    pub zones: Vec<EntityId>,
}

impl RedeemableAt {
    pub fn is_anywhere(&self) -> bool {
        self.stores.is_empty() && self.concepts.is_empty() && self.zones.is_empty()
    }

    /// Whether a till of `store` (in `concept` and `zone`) may redeem.
    pub fn allows(&self, at: &Place) -> bool {
        if self.is_anywhere() {
            return true;
        }
        let hit = |list: &[EntityId], id: Option<EntityId>| id.is_some_and(|i| list.contains(&i));
        hit(&self.stores, at.store) || hit(&self.concepts, at.concept) || hit(&self.zones, at.zone)
    }
}

/// Where a request comes from: the till's store, its concept and zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Place {
    pub store: Option<EntityId>,
    pub concept: Option<EntityId>,
    pub zone: Option<EntityId>,
}

/// The documented series fields Fidelis keeps as sent and echoes, but does not act on
/// (`customPropertyMap`, `smsTemplate`, `productInfo`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeptFields(pub serde_json::Map<String, serde_json::Value>);

/// A series' rules. `None` limits are unlimited (Capillary's `-1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesRules {
    pub kind: IncentiveKind,
    pub description: String,
    pub discount_code: String,
    pub discount_type: DiscountType,
    /// Amount off, percentage, or a gift voucher's face value.
    pub discount_value: Decimal,
    /// Cap on a percentage discount; zero means no cap.
    pub discount_upto: Decimal,
    /// The series' last valid instant (end of an org-local day).
    pub valid_till: Option<Timestamp>,
    pub expiry: Expiry,
    pub redemption_valid_from: Option<Timestamp>,
    /// Codes the series may issue in all.
    pub max_create: Option<u32>,
    /// Redemptions of the whole series.
    pub max_redeem: Option<u32>,
    /// Whether anyone may redeem a code, not only the customer it was issued to.
    pub any_user: bool,
    /// Whether one customer may redeem the same code more than once.
    pub same_user_multiple_redeem: bool,
    /// Whether one code may be redeemed more than once (promo codes, gift vouchers).
    pub multiple_use: bool,
    /// Redemptions in the series per customer.
    pub max_redemptions_per_user: Option<u32>,
    /// Codes of the series one customer may hold.
    pub max_vouchers_per_user: Option<u32>,
    pub min_bill_amount: Option<Decimal>,
    pub max_bill_amount: Option<Decimal>,
    #[serde(default)]
    pub redeemable_at: RedeemableAt,
    /// Length of the random part of issued codes.
    pub code_length: u32,
}

/// Limits on how long a generated code is.
pub const CODE_LENGTH: std::ops::RangeInclusive<u32> = 6..=20;
pub const DEFAULT_CODE_LENGTH: u32 = 8;

impl SeriesRules {
    /// A series of `kind` with Capillary's defaults: single-use coupons for the customer they
    /// were issued to; promo codes and gift vouchers any customer may redeem repeatedly.
    pub fn new(kind: IncentiveKind, discount_type: DiscountType, value: Decimal) -> Self {
        let shared = kind != IncentiveKind::Coupon;
        Self {
            kind,
            description: String::new(),
            discount_code: "NO_VALUE".into(),
            discount_type,
            discount_value: value,
            discount_upto: Decimal::ZERO,
            valid_till: None,
            expiry: Expiry::SeriesExpiry,
            redemption_valid_from: None,
            max_create: None,
            max_redeem: None,
            any_user: shared,
            same_user_multiple_redeem: shared,
            multiple_use: shared,
            max_redemptions_per_user: None,
            max_vouchers_per_user: None,
            min_bill_amount: None,
            max_bill_amount: None,
            redeemable_at: RedeemableAt::default(),
            code_length: DEFAULT_CODE_LENGTH,
        }
    }

    /// Refuses rules no code could be redeemed under.
    pub fn validate(&self) -> Result<(), IncentivesError> {
        let bad = |m: &str| Err(IncentivesError::InvalidSeries(m.to_string()));
        if self.discount_value < Decimal::ZERO || self.discount_upto < Decimal::ZERO {
            return bad("discountValue and discountUpto must not be negative");
        }
        if self.discount_type == DiscountType::Perc && self.discount_value > Decimal::ONE_HUNDRED {
            return bad("a percentage discount is at most 100");
        }
        if self.kind == IncentiveKind::GiftVoucher
            && (self.discount_type != DiscountType::Abs || self.discount_value <= Decimal::ZERO)
        {
            return bad("a gift voucher has a positive ABS face value (discountValue)");
        }
        if let (Some(min), Some(max)) = (self.min_bill_amount, self.max_bill_amount) {
            if min > max {
                return bad("minBillAmount is greater than maxBillAmount");
            }
        }
        if let (Some(from), Some(till)) = (self.redemption_valid_from, self.valid_till) {
            if from > till {
                return bad("redemptionValidFrom is after validTillDate");
            }
        }
        if !CODE_LENGTH.contains(&self.code_length) {
            return bad("randomCodeLength must be from 6 to 20");
        }
        if self.description.chars().count() > 500 || self.discount_code.chars().count() > 100 {
            return bad("description is at most 500 and discountCode at most 100 characters");
        }
        Ok(())
    }

    pub fn is_absolute(&self) -> bool {
        self.discount_type == DiscountType::Abs
    }

    /// Whether the series itself still runs at `at`.
    pub fn running(&self, at: Timestamp) -> bool {
        self.valid_till.is_none_or(|t| at <= t)
    }

    /// The last valid instant of a code issued at `issued` (`None`: no end): the end of the
    /// org-local day the expiry strategy names, never after the series' own end.
    pub fn code_valid_till(&self, issued: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let day = local_date(issued, tz);
        let own = match self.expiry {
            Expiry::SeriesExpiry => None,
            Expiry::Days(n) => Some(end_of_local_day(add_days(day, i64::from(n)), tz)),
            Expiry::Months(n) => Some(end_of_local_day(add_months(day, i64::from(n)), tz)),
        };
        match (own, self.valid_till) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The discount a bill of `amount` gets: the amount off (at most the bill), or the
    /// percentage rounded to cents, capped by `discountUpto` when it is set.
    pub fn discount(&self, bill: Decimal) -> Decimal {
        let bill = bill.max(Decimal::ZERO);
        match self.discount_type {
            DiscountType::Abs => self.discount_value.min(bill),
            DiscountType::Perc => {
                let d = (bill * self.discount_value / Decimal::ONE_HUNDRED).round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                if self.discount_upto > Decimal::ZERO {
                    d.min(self.discount_upto)
                } else {
                    d
                }
            }
        }
    }

    /// Whether `issued` codes may be joined by one more, and a customer holding `held`.
    pub fn check_issue(
        &self,
        active: bool,
        at: Timestamp,
        issued: u32,
        held: u32,
    ) -> Result<(), IncentivesError> {
        if self.kind == IncentiveKind::Promo {
            return Err(IncentivesError::PromoNotIssued);
        }
        if !active || !self.running(at) {
            return Err(IncentivesError::SeriesExpired);
        }
        if let Some(max) = self.max_create.filter(|m| issued >= *m) {
            return Err(IncentivesError::MaxIssued(max));
        }
        if let Some(max) = self.max_vouchers_per_user.filter(|m| held >= *m) {
            return Err(IncentivesError::MaxIssuedToCustomer(max));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn thirty_days_from_issue_ends_at_local_midnight() {
        let tz = TimeZone::get("Asia/Singapore").unwrap();
        let mut r = SeriesRules::new(IncentiveKind::Coupon, DiscountType::Perc, d("10"));
        r.expiry = Expiry::Days(30);
        let issued: Timestamp = "2026-11-25T04:00:00Z".parse().unwrap(); // 12:00 SGT
        let till = r.code_valid_till(issued, &tz).unwrap();
        assert_eq!(till.to_string(), "2026-12-25T15:59:59Z"); // 23:59:59 SGT
        r.valid_till = Some("2026-12-01T15:59:59Z".parse().unwrap());
        assert_eq!(
            r.code_valid_till(issued, &tz).unwrap().to_string(),
            "2026-12-01T15:59:59Z"
        );
        r.expiry = Expiry::SeriesExpiry;
        r.valid_till = None;
        assert_eq!(r.code_valid_till(issued, &tz), None);
    }

    #[test]
    fn discounts_are_capped() {
        let mut r = SeriesRules::new(IncentiveKind::Coupon, DiscountType::Perc, d("10"));
        assert_eq!(r.discount(d("2000")), d("200"));
        assert_eq!(r.discount(d("12.345")), d("1.23"));
        r.discount_upto = d("50");
        assert_eq!(r.discount(d("2000")), d("50"));
        let abs = SeriesRules::new(IncentiveKind::Promo, DiscountType::Abs, d("5"));
        assert_eq!(abs.discount(d("3")), d("3"));
        assert_eq!(abs.discount(d("30")), d("5"));
    }

    #[test]
    fn issue_limits() {
        let now: Timestamp = "2026-11-25T04:00:00Z".parse().unwrap();
        let mut r = SeriesRules::new(IncentiveKind::Coupon, DiscountType::Abs, d("5"));
        r.max_create = Some(2);
        r.max_vouchers_per_user = Some(1);
        assert!(r.check_issue(true, now, 1, 0).is_ok());
        assert_eq!(
            r.check_issue(true, now, 2, 0),
            Err(IncentivesError::MaxIssued(2))
        );
        assert_eq!(
            r.check_issue(true, now, 0, 1),
            Err(IncentivesError::MaxIssuedToCustomer(1))
        );
        assert_eq!(
            r.check_issue(false, now, 0, 0),
            Err(IncentivesError::SeriesExpired)
        );
        let p = SeriesRules::new(IncentiveKind::Promo, DiscountType::Abs, d("5"));
        assert_eq!(
            p.check_issue(true, now, 0, 0),
            Err(IncentivesError::PromoNotIssued)
        );
    }

    #[test]
    fn validation_refuses_impossible_series() {
        let mut r = SeriesRules::new(IncentiveKind::Coupon, DiscountType::Perc, d("120"));
        assert!(r.validate().is_err());
        r.discount_value = d("10");
        assert!(r.validate().is_ok());
        r.min_bill_amount = Some(d("100"));
        r.max_bill_amount = Some(d("10"));
        assert!(r.validate().is_err());
        let gv = SeriesRules::new(IncentiveKind::GiftVoucher, DiscountType::Perc, d("50"));
        assert!(gv.validate().is_err());
    }

    #[test]
    fn restrictions_match_store_concept_or_zone() {
        let fashion = EntityId::new(2);
        let at = RedeemableAt {
            concepts: vec![fashion],
            ..Default::default()
        };
        let orchard = Place {
            store: Some(EntityId::new(10)),
            concept: Some(fashion),
            zone: None,
        };
        let marina = Place {
            store: Some(EntityId::new(11)),
            concept: Some(EntityId::new(3)),
            zone: None,
        };
        assert!(at.allows(&orchard));
        assert!(!at.allows(&marina));
        assert!(!at.allows(&Place::default()));
        assert!(RedeemableAt::default().allows(&Place::default()));
    }
}
