//! Loyalty programs and their points policy: how points are earned and when they expire.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::error::LoyaltyError;
use super::tiers::{TierChange, TierSet, TierState};
use super::time::{add_days, add_months, end_of_local_day, local_date};
use super::transaction::OutlierStatus;

crate::id::id_type!(
    /// A loyalty program.
    ProgramId
);

/// Capillary's program types: the org's default program, time-boxed supplementary
/// programs, and programs run by an external partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProgramKind {
    Default,
    Supplementary,
    External,
}

impl ProgramKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "DEFAULT",
            Self::Supplementary => "SUPPLEMENTARY",
            Self::External => "EXTERNAL",
        }
    }
}

/// A loyalty program with its earn, expiry and tier rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub id: ProgramId,
    pub name: String,
    pub kind: ProgramKind,
    pub earn: EarnRule,
    pub expiry: ExpiryPolicy,
    /// `None` for a program without tiers.
    #[serde(default)]
    pub tiers: Option<TierSet>,
    /// `CONF_POINTS_RETURN_ENABLED`: when off, returns do not reverse points.
    #[serde(default = "yes")]
    pub points_return_enabled: bool,
}

fn yes() -> bool {
    true
}

impl Program {
    pub fn validate(&self) -> Result<(), LoyaltyError> {
        if self.name.trim().is_empty() {
            return Err(LoyaltyError::InvalidConfig("program name is empty".into()));
        }
        self.earn.validate()?;
        self.expiry.validate()?;
        if let Some(t) = &self.tiers {
            t.validate()?;
        }
        Ok(())
    }

    /// Finds a program by id among the org's programs.
    pub fn find(programs: &[Program], id: ProgramId) -> Result<&Program, LoyaltyError> {
        programs
            .iter()
            .find(|p| p.id == id)
            .ok_or(LoyaltyError::ProgramNotFound)
    }

    /// The org's default program (the one used when a request names none).
    pub fn default_of(programs: &[Program]) -> Result<&Program, LoyaltyError> {
        programs
            .iter()
            .find(|p| p.kind == ProgramKind::Default)
            .ok_or(LoyaltyError::ProgramNotFound)
    }

    /// What a REGULAR bill of `amount` earns a member who holds `tier` before it,
    /// recorded at `now`. Only bills whose outlier status earns (NORMAL) earn points and
    /// count toward lifetime purchases; the multiplier is that of the tier held before
    /// the bill; awarded points expire by the program's policy counted from `now`.
    pub fn earn_for_bill(
        &self,
        amount: Decimal,
        outlier: OutlierStatus,
        tier: &TierState,
        now: Timestamp,
        tz: &TimeZone,
    ) -> BillEarn {
        if !outlier.earns_points() {
            return BillEarn {
                award: PointsAward::NONE,
                expires_at: None,
                counts_as_purchase: false,
            };
        }
        let tier_serial = self.tiers.as_ref().map(|_| tier.serial);
        let award = self.earn.points_for(amount, tier_serial);
        let expires_at = if award.awarded > Decimal::ZERO {
            self.expiry.expiry_instant(now, tz)
        } else {
            None
        };
        BillEarn {
            award,
            expires_at,
            counts_as_purchase: true,
        }
    }

    /// The upgrade a member in `tier` qualifies for with these lifetime totals (run after
    /// each bill); `None` for a program without tiers or when no higher tier is reached.
    pub fn tier_upgrade(
        &self,
        tier: &TierState,
        lifetime_purchases: Decimal,
        lifetime_points: Decimal,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Option<TierChange> {
        let tiers = self.tiers.as_ref()?;
        let metric = tiers.basis.metric(lifetime_purchases, lifetime_points);
        tiers.evaluate_upgrade(tier, metric, now, tz)
    }
}

/// What a bill earns, decided before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillEarn {
    /// Capillary's `rawAwardedPoints` / `awardedPoints`; zero for a bill that does not earn.
    pub award: PointsAward,
    /// When the awarded points expire; `None` when nothing is awarded or they never expire.
    pub expires_at: Option<Timestamp>,
    /// The bill's amount adds to lifetime purchases (and so toward tiers).
    pub counts_as_purchase: bool,
}

/// Which way to round a computed points value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoundingMode {
    /// Toward zero for awards: the customer never gets a fraction they did not earn.
    Down,
    /// Half away from zero.
    Nearest,
    Up,
}

/// A rounding mode and the number of decimal places kept (0 = whole points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rounding {
    pub mode: RoundingMode,
    #[serde(default)]
    pub scale: u32,
}

impl Rounding {
    pub const WHOLE_DOWN: Rounding = Rounding {
        mode: RoundingMode::Down,
        scale: 0,
    };

    pub fn apply(self, value: Decimal) -> Decimal {
        let strategy = match self.mode {
            RoundingMode::Down => RoundingStrategy::ToZero,
            RoundingMode::Nearest => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::Up => RoundingStrategy::AwayFromZero,
        };
        value
            .round_dp_with_strategy(self.scale, strategy)
            .normalize()
    }

    /// Rounds toward zero at the same scale; used for reversals, which must never take
    /// back more than the proportion returned.
    pub fn floor(self, value: Decimal) -> Decimal {
        value
            .round_dp_with_strategy(self.scale, RoundingStrategy::ToZero)
            .normalize()
    }
}

/// Points per currency amount: `points` for every `per_amount` of the bill's net amount
/// (`billAmount`), times the member's tier multiplier, then rounded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarnRule {
    pub points: Decimal,
    pub per_amount: Decimal,
    pub rounding: Rounding,
    /// Tier serial → multiplier; tiers not listed earn at 1×.
    #[serde(default)]
    pub tier_multipliers: Vec<(u32, Decimal)>,
}

/// What a bill earns, before and after rounding (Capillary's `rawAwardedPoints` and
/// `awardedPoints`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsAward {
    pub raw: Decimal,
    pub awarded: Decimal,
}

impl PointsAward {
    pub const NONE: PointsAward = PointsAward {
        raw: Decimal::ZERO,
        awarded: Decimal::ZERO,
    };
}

impl EarnRule {
    /// 1 point per 10 units, rounded down to whole points (the demo program).
    pub fn one_per(per_amount: Decimal) -> Self {
        Self {
            points: Decimal::ONE,
            per_amount,
            rounding: Rounding::WHOLE_DOWN,
            tier_multipliers: Vec::new(),
        }
    }

    pub fn validate(&self) -> Result<(), LoyaltyError> {
        if self.per_amount <= Decimal::ZERO || self.points < Decimal::ZERO {
            return Err(LoyaltyError::InvalidConfig(
                "earn rule needs per_amount > 0 and points >= 0".into(),
            ));
        }
        if self.rounding.scale > 6 {
            return Err(LoyaltyError::InvalidConfig(
                "points precision is at most 6 decimal places".into(),
            ));
        }
        if self
            .tier_multipliers
            .iter()
            .any(|(_, m)| *m < Decimal::ZERO)
        {
            return Err(LoyaltyError::InvalidConfig(
                "tier multipliers must not be negative".into(),
            ));
        }
        Ok(())
    }

    pub fn multiplier(&self, tier_serial: Option<u32>) -> Decimal {
        tier_serial
            .and_then(|s| self.tier_multipliers.iter().find(|(t, _)| *t == s))
            .map(|(_, m)| *m)
            .unwrap_or(Decimal::ONE)
    }

    /// Points for a net amount. Non-positive amounts earn nothing (negative amounts are
    /// not considered, as in Capillary). The multiplier is applied before rounding so
    /// that 1.5× on 123.4 raw points is 185, not 184.5 → 184 after rounding twice.
    pub fn points_for(&self, amount: Decimal, tier_serial: Option<u32>) -> PointsAward {
        if amount <= Decimal::ZERO || self.per_amount <= Decimal::ZERO {
            return PointsAward::NONE;
        }
        let raw = (amount / self.per_amount)
            .checked_mul(self.points)
            .and_then(|r| r.checked_mul(self.multiplier(tier_serial)))
            .unwrap_or(Decimal::ZERO);
        PointsAward {
            raw,
            awarded: self.rounding.apply(raw),
        }
    }
}

/// When awarded points expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExpiryPolicy {
    /// At the end of the local day `days` calendar days after the award day.
    AfterDays {
        days: u32,
    },
    /// At the end of the last local day of the month `months` after the award month
    /// (0 = the award month itself).
    EndOfMonth {
        months: u32,
    },
    Never,
}

/// Expiry further out than this is a configuration mistake.
const MAX_EXPIRY_DAYS: u32 = 100 * 366;

impl ExpiryPolicy {
    pub fn validate(&self) -> Result<(), LoyaltyError> {
        let ok = match *self {
            Self::AfterDays { days } => days <= MAX_EXPIRY_DAYS,
            Self::EndOfMonth { months } => months <= 1200,
            Self::Never => true,
        };
        if ok {
            Ok(())
        } else {
            Err(LoyaltyError::InvalidConfig(
                "points expiry is limited to 100 years".into(),
            ))
        }
    }

    /// When points awarded at `awarded_at` expire: 23:59:59 local time on the target day
    /// in the org's zone, or `None` for points that never expire.
    pub fn expiry_instant(&self, awarded_at: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let award_day = local_date(awarded_at, tz);
        let day = match *self {
            Self::AfterDays { days } => add_days(award_day, i64::from(days)),
            Self::EndOfMonth { months } => {
                add_months(award_day.first_of_month(), i64::from(months)).last_of_month()
            }
            Self::Never => return None,
        };
        Some(end_of_local_day(day, tz))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loyalty::test_util::d;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn demo_earn_rounds_down_to_whole_points() {
        let rule = EarnRule::one_per(d("10"));
        let a = rule.points_for(d("1234.56"), None);
        assert_eq!(a.raw, d("123.456"));
        assert_eq!(a.awarded, d("123"));
        assert_eq!(rule.points_for(d("9.99"), None).awarded, d("0"));
        assert_eq!(rule.points_for(d("-50"), None).awarded, d("0"));
    }

    #[test]
    fn rounding_modes_and_precision() {
        let mut rule = EarnRule::one_per(d("10"));
        rule.rounding = Rounding {
            mode: RoundingMode::Nearest,
            scale: 0,
        };
        assert_eq!(rule.points_for(d("1235"), None).awarded, d("124"));
        assert_eq!(rule.points_for(d("1234.9"), None).awarded, d("123"));
        rule.rounding.mode = RoundingMode::Up;
        assert_eq!(rule.points_for(d("1230.01"), None).awarded, d("124"));
        rule.rounding = Rounding {
            mode: RoundingMode::Down,
            scale: 2,
        };
        assert_eq!(rule.points_for(d("1234.56"), None).awarded, d("123.45"));
    }

    #[test]
    fn tier_multiplier_applies_before_rounding() {
        let mut rule = EarnRule::one_per(d("10"));
        rule.tier_multipliers = vec![(2, d("1.5"))];
        assert_eq!(rule.points_for(d("1234"), Some(2)).awarded, d("185"));
        assert_eq!(rule.points_for(d("1234"), Some(1)).awarded, d("123"));
        assert_eq!(rule.points_for(d("1234"), None).awarded, d("123"));
    }

    #[test]
    fn demo_expiry_is_end_of_day_in_singapore_365_days_later() {
        let tz = TimeZone::get("Asia/Singapore").unwrap();
        let p = ExpiryPolicy::AfterDays { days: 365 };
        // 2024-03-01 09:30 in Singapore → 2025-03-01 23:59:59 +08:00.
        let exp = p.expiry_instant(ts("2024-03-01T01:30:00Z"), &tz).unwrap();
        assert_eq!(exp, ts("2025-03-01T15:59:59Z"));
        // 23:30 UTC is already the next day in Singapore.
        let exp = p.expiry_instant(ts("2024-02-29T23:30:00Z"), &tz).unwrap();
        assert_eq!(exp, ts("2025-03-01T15:59:59Z"));
    }

    #[test]
    fn new_york_expiry_is_dst_correct() {
        let tz = TimeZone::get("America/New_York").unwrap();
        let p = ExpiryPolicy::AfterDays { days: 30 };
        // Awarded in winter (EST, -05:00); expires after the March DST change (EDT, -04:00).
        let exp = p.expiry_instant(ts("2024-02-20T15:00:00Z"), &tz).unwrap();
        assert_eq!(exp, ts("2024-03-22T03:59:59Z"));
        assert_eq!(
            exp.to_zoned(tz.clone()).to_string(),
            "2024-03-21T23:59:59-04:00[America/New_York]"
        );
        // Awarded in summer; expires after the November change, back on EST.
        let exp = p.expiry_instant(ts("2024-10-20T15:00:00Z"), &tz).unwrap();
        assert_eq!(exp, ts("2024-11-20T04:59:59Z"));
        // Late evening local is still the award day even though UTC is the next day.
        let exp = ExpiryPolicy::AfterDays { days: 0 }
            .expiry_instant(ts("2024-03-10T03:00:00Z"), &tz)
            .unwrap();
        assert_eq!(exp, ts("2024-03-10T04:59:59Z"));
    }

    #[test]
    fn end_of_month_and_never() {
        let tz = TimeZone::get("Asia/Singapore").unwrap();
        let at = ts("2024-01-31T04:00:00Z");
        let p = ExpiryPolicy::EndOfMonth { months: 1 };
        assert_eq!(p.expiry_instant(at, &tz), Some(ts("2024-02-29T15:59:59Z")));
        let p = ExpiryPolicy::EndOfMonth { months: 0 };
        assert_eq!(p.expiry_instant(at, &tz), Some(ts("2024-01-31T15:59:59Z")));
        assert_eq!(ExpiryPolicy::Never.expiry_instant(at, &tz), None);
    }

    fn demo_program() -> Program {
        Program {
            id: ProgramId::new(1),
            name: "Demo".into(),
            kind: ProgramKind::Default,
            earn: EarnRule {
                tier_multipliers: vec![(2, d("1.5"))],
                ..EarnRule::one_per(d("10"))
            },
            expiry: ExpiryPolicy::AfterDays { days: 365 },
            tiers: Some(crate::loyalty::test_util::demo_tiers()),
            points_return_enabled: true,
        }
    }

    #[test]
    fn a_bill_earns_at_the_tier_it_was_billed_in_and_expires_by_policy() {
        let tz = TimeZone::get("Asia/Singapore").unwrap();
        let now = ts("2024-03-01T01:30:00Z");
        let p = demo_program();
        let bronze = p.tiers.as_ref().unwrap().initial_state(now);
        let silver = TierState {
            serial: 2,
            ..bronze.clone()
        };
        let e = p.earn_for_bill(d("1234"), OutlierStatus::Normal, &silver, now, &tz);
        assert_eq!((e.award.raw, e.award.awarded), (d("185.1"), d("185")));
        assert_eq!(e.expires_at, Some(ts("2025-03-01T15:59:59Z")));
        assert!(e.counts_as_purchase);
        let e = p.earn_for_bill(d("1234"), OutlierStatus::Normal, &bronze, now, &tz);
        assert_eq!(e.award.awarded, d("123"));
        // Nothing awarded: no expiry, but the amount still counts as a purchase.
        let e = p.earn_for_bill(d("9"), OutlierStatus::Normal, &bronze, now, &tz);
        assert_eq!((e.award.awarded, e.expires_at), (d("0"), None));
        assert!(e.counts_as_purchase);
        // Outliers earn nothing and do not count.
        let e = p.earn_for_bill(d("1234"), OutlierStatus::Outlier, &silver, now, &tz);
        assert_eq!(e.award, PointsAward::NONE);
        assert!(!e.counts_as_purchase);
        // Without tiers no multiplier applies, whatever the stored tier says.
        let flat = Program {
            tiers: None,
            ..demo_program()
        };
        let e = flat.earn_for_bill(d("1234"), OutlierStatus::Normal, &silver, now, &tz);
        assert_eq!(e.award.awarded, d("123"));
        assert_eq!(
            flat.tier_upgrade(&bronze, d("9999"), d("9999"), now, &tz),
            None
        );
        let up = p
            .tier_upgrade(&bronze, d("1000"), d("0"), now, &tz)
            .unwrap();
        assert_eq!((up.from, up.to), (1, 2));
        assert_eq!(p.tier_upgrade(&bronze, d("999"), d("5000"), now, &tz), None);
    }

    #[test]
    fn validation_rejects_bad_rules() {
        let mut rule = EarnRule::one_per(d("0"));
        assert!(rule.validate().is_err());
        rule.per_amount = d("10");
        assert!(rule.validate().is_ok());
        assert!(ExpiryPolicy::AfterDays { days: 100_000 }
            .validate()
            .is_err());
    }
}
