//! Tiers (Capillary "slabs"): upgrade as soon as the metric qualifies, renewal or
//! downgrade when a tier's validity ends.
//!
//! Rules (docs/loyalty.md):
//! * A member is in the highest tier whose threshold the qualifying metric reaches.
//! * An upgrade happens immediately and lasts `validity_months` from the upgrade day, ending
//!   at 23:59:59 local time. The lowest tier never expires.
//! * When the validity ends, the tier is renewed if the metric earned inside the validity
//!   window (since the last upgrade or renewal) still reaches the current tier's threshold;
//!   otherwise the member moves down (one tier, or straight to the tier the window metric
//!   qualifies for, per `DowngradeRule`).
//! * After a downgrade, upgrades count only what was earned after it (`requalify_base`),
//!   so a lifetime metric cannot lift the member straight back into the tier just lost.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::LoyaltyError;
use super::time::{add_months, end_of_local_day, local_date};

/// What a tier threshold is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TierBasis {
    LifetimePurchases,
    LifetimePoints,
}

impl TierBasis {
    /// The member's metric on this basis, from their lifetime totals.
    pub fn metric(self, lifetime_purchases: Decimal, lifetime_points: Decimal) -> Decimal {
        match self {
            Self::LifetimePurchases => lifetime_purchases,
            Self::LifetimePoints => lifetime_points,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// 1 = lowest.
    pub serial: u32,
    pub name: String,
    /// Minimum metric to qualify; the lowest tier's is 0.
    pub threshold: Decimal,
}

/// How far a member falls when a tier is not renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DowngradeRule {
    /// One tier down; the gentler and more common choice.
    #[default]
    OneTier,
    /// To the tier the window metric qualifies for (possibly several tiers down).
    ToQualifying,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierSet {
    pub basis: TierBasis,
    /// Ordered by serial, starting at 1.
    pub tiers: Vec<Tier>,
    /// `None`: tiers never expire.
    pub validity_months: Option<u32>,
    #[serde(default)]
    pub downgrade: DowngradeRule,
}

/// The distance to the next tier on the tier basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeGap {
    pub next_serial: u32,
    pub threshold: Decimal,
    pub current: Decimal,
    pub gap: Decimal,
}

/// A member's current tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierState {
    pub serial: u32,
    /// Start of the current validity window (upgrade, renewal or downgrade).
    pub since: Timestamp,
    pub valid_until: Option<Timestamp>,
    /// Metric value already "used" by a downgrade; upgrades look at metric − base.
    pub requalify_base: Decimal,
}

impl TierState {
    /// The instant after which what the member earns counts toward keeping the tier: the
    /// validity window is (`window_opens_after`, `valid_until`]. `last_change` is the change
    /// that produced this state. After an upgrade the window opens at the upgrade itself,
    /// so what earned the upgrade (recorded at `since`) does not renew it as well. After a
    /// renewal or downgrade `since` is one second past the old end, and the window opens at
    /// that old end: consecutive windows neither overlap nor leave a gap.
    pub fn window_opens_after(&self, last_change: Option<TierChangeKind>) -> Timestamp {
        match last_change {
            Some(TierChangeKind::Renew | TierChangeKind::Downgrade) => self
                .since
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .unwrap_or(self.since),
            Some(TierChangeKind::Upgrade) | None => self.since,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TierChangeKind {
    Upgrade,
    Renew,
    Downgrade,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierChange {
    pub from: u32,
    pub to: u32,
    pub kind: TierChangeKind,
    /// When the change takes effect (the old validity end for renewals and downgrades).
    pub effective_at: Timestamp,
    pub valid_until: Option<Timestamp>,
    pub requalify_base: Decimal,
}

impl TierChange {
    /// The member's state after this change.
    pub fn apply(&self) -> TierState {
        TierState {
            serial: self.to,
            since: self.effective_at,
            valid_until: self.valid_until,
            requalify_base: self.requalify_base,
        }
    }
}

impl TierSet {
    pub fn validate(&self) -> Result<(), LoyaltyError> {
        let bad = |m: &str| Err(LoyaltyError::InvalidConfig(m.to_string()));
        if self.tiers.is_empty() {
            return bad("a tier set needs at least one tier");
        }
        for (i, t) in self.tiers.iter().enumerate() {
            if t.serial as usize != i + 1 {
                return bad("tier serials must be 1, 2, 3, … in order");
            }
            if i == 0 && t.threshold != Decimal::ZERO {
                return bad("the lowest tier's threshold must be 0");
            }
            if i > 0 && t.threshold <= self.tiers[i - 1].threshold {
                return bad("tier thresholds must increase with the serial");
            }
        }
        if self.validity_months == Some(0) {
            return bad("tier validity must be at least one month");
        }
        Ok(())
    }

    /// How far a member in tier `serial` is from the next tier (`gapToUpgrade`): `None`
    /// in the top tier. The gap is never negative.
    pub fn gap_to_upgrade(
        &self,
        serial: u32,
        lifetime_purchases: Decimal,
        lifetime_points: Decimal,
    ) -> Option<UpgradeGap> {
        let next = self.tier(serial + 1)?;
        let current = self.basis.metric(lifetime_purchases, lifetime_points);
        Some(UpgradeGap {
            next_serial: next.serial,
            threshold: next.threshold,
            current,
            gap: (next.threshold - current).max(Decimal::ZERO),
        })
    }

    pub fn tier(&self, serial: u32) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.serial == serial)
    }

    pub fn by_name(&self, name: &str) -> Option<&Tier> {
        self.tiers
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The highest tier whose threshold `metric` reaches (1 if none).
    pub fn tier_for(&self, metric: Decimal) -> u32 {
        self.tiers
            .iter()
            .filter(|t| metric >= t.threshold)
            .map(|t| t.serial)
            .max()
            .unwrap_or(1)
    }

    /// A new member's state: the lowest tier, never expiring.
    pub fn initial_state(&self, now: Timestamp) -> TierState {
        TierState {
            serial: 1,
            since: now,
            valid_until: None,
            requalify_base: Decimal::ZERO,
        }
    }

    /// End of validity for a window counted from local day `from_day`: the same day
    /// `validity_months` later, at 23:59:59.
    fn validity_end(&self, serial: u32, from_day: Date, tz: &TimeZone) -> Option<Timestamp> {
        if serial <= 1 {
            return None;
        }
        let months = self.validity_months?;
        Some(end_of_local_day(
            add_months(from_day, i64::from(months)),
            tz,
        ))
    }

    /// Upgrade check, run after every metric change (e.g. each bill). `metric` is the
    /// lifetime value of the tier basis.
    pub fn evaluate_upgrade(
        &self,
        current: &TierState,
        metric: Decimal,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Option<TierChange> {
        let to = self.tier_for(metric - current.requalify_base);
        (to > current.serial).then(|| TierChange {
            from: current.serial,
            to,
            kind: TierChangeKind::Upgrade,
            effective_at: now,
            valid_until: self.validity_end(to, local_date(now, tz), tz),
            requalify_base: current.requalify_base,
        })
    }

    /// Expiry check, run by the tier job. Returns nothing while the tier is still valid.
    /// `window_metric` is what the member earned in the validity window (see
    /// `TierState::window_opens_after`); `lifetime_metric` is the lifetime value at the end
    /// of validity (it becomes the requalify base on a downgrade, so what the member earns
    /// after the old end counts toward the next upgrade even when the job runs late).
    pub fn evaluate_expiry(
        &self,
        current: &TierState,
        window_metric: Decimal,
        lifetime_metric: Decimal,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Option<TierChange> {
        let until = current.valid_until?;
        if now <= until || current.serial <= 1 {
            return None;
        }
        let threshold = self.tier(current.serial)?.threshold;
        // The next window continues from the old end, so neither a late job run nor
        // repeated renewals shift the member's dates.
        let next_start = until
            .checked_add(jiff::SignedDuration::from_secs(1))
            .unwrap_or(until);
        let until_day = local_date(until, tz);
        if window_metric >= threshold {
            return Some(TierChange {
                from: current.serial,
                to: current.serial,
                kind: TierChangeKind::Renew,
                effective_at: next_start,
                valid_until: self.validity_end(current.serial, until_day, tz),
                requalify_base: current.requalify_base,
            });
        }
        let to = match self.downgrade {
            DowngradeRule::OneTier => current.serial - 1,
            DowngradeRule::ToQualifying => self.tier_for(window_metric),
        }
        .max(1);
        Some(TierChange {
            from: current.serial,
            to,
            kind: TierChangeKind::Downgrade,
            effective_at: next_start,
            valid_until: self.validity_end(to, until_day, tz),
            requalify_base: lifetime_metric,
        })
    }

    /// The tier job's decision for one member, in order: the renewal or downgrade
    /// (`evaluate_expiry`, judged on `lifetime_at_end`, the lifetime metric as it stood
    /// when validity ended), then, after a downgrade, the upgrade a bill recorded after the
    /// old end would already have given (`lifetime_now`). The second only happens when the
    /// job runs late. Empty while the tier is still valid.
    pub fn at_validity_end(
        &self,
        current: &TierState,
        window_metric: Decimal,
        lifetime_at_end: Decimal,
        lifetime_now: Decimal,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Vec<TierChange> {
        let Some(change) = self.evaluate_expiry(current, window_metric, lifetime_at_end, now, tz)
        else {
            return Vec::new();
        };
        let after = change.apply();
        let mut changes = vec![change];
        if after.serial < current.serial {
            changes.extend(self.evaluate_upgrade(&after, lifetime_now, now, tz));
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loyalty::test_util::{d, demo_tiers};

    fn demo() -> TierSet {
        demo_tiers()
    }

    #[test]
    fn the_gap_to_upgrade_is_the_next_threshold_less_the_metric() {
        let t = demo();
        let g = t.gap_to_upgrade(1, d("600"), d("60")).unwrap();
        assert_eq!(g.next_serial, 2);
        assert_eq!(g.threshold, t.tier(2).unwrap().threshold);
        assert_eq!(g.current, d("600"));
        assert_eq!(g.gap, t.tier(2).unwrap().threshold - d("600"));
        let top = u32::try_from(t.tiers.len()).unwrap();
        assert_eq!(t.gap_to_upgrade(top, d("1"), d("1")), None);
        assert_eq!(t.gap_to_upgrade(1, d("99999"), d("0")).unwrap().gap, d("0"));
    }

    fn sg() -> TimeZone {
        TimeZone::get("Asia/Singapore").unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn tier_for_picks_highest_reached() {
        let t = demo();
        assert!(t.validate().is_ok());
        assert_eq!(t.tier_for(d("0")), 1);
        assert_eq!(t.tier_for(d("999.99")), 1);
        assert_eq!(t.tier_for(d("1000")), 2);
        assert_eq!(t.tier_for(d("4999")), 2);
        assert_eq!(t.tier_for(d("5000")), 3);
        assert_eq!(t.by_name("silver").map(|t| t.serial), Some(2));
    }

    #[test]
    fn upgrade_to_silver_at_1000_lasts_12_months_to_end_of_day() {
        let t = demo();
        let now = ts("2024-05-10T02:00:00Z");
        let s = t.initial_state(ts("2024-01-01T00:00:00Z"));
        assert_eq!(t.evaluate_upgrade(&s, d("999"), now, &sg()), None);
        let c = t.evaluate_upgrade(&s, d("1000"), now, &sg()).unwrap();
        assert_eq!((c.from, c.to, c.kind), (1, 2, TierChangeKind::Upgrade));
        assert_eq!(c.valid_until, Some(ts("2025-05-10T15:59:59Z")));
        // Straight to Gold when a single bill jumps past both thresholds.
        let c = t.evaluate_upgrade(&s, d("6000"), now, &sg()).unwrap();
        assert_eq!(c.to, 3);
    }

    #[test]
    fn renew_when_window_metric_meets_threshold() {
        let t = demo();
        let s = TierState {
            serial: 2,
            since: ts("2024-05-10T02:00:00Z"),
            valid_until: Some(ts("2025-05-10T15:59:59Z")),
            requalify_base: d("0"),
        };
        // Not yet expired.
        assert_eq!(
            t.evaluate_expiry(&s, d("0"), d("1000"), ts("2025-05-10T15:59:59Z"), &sg()),
            None
        );
        let late = ts("2025-05-13T00:00:00Z");
        let c = t
            .evaluate_expiry(&s, d("1200"), d("2200"), late, &sg())
            .unwrap();
        assert_eq!(c.kind, TierChangeKind::Renew);
        assert_eq!(c.to, 2);
        // Anchored to the old end, not to the (late) job run.
        assert_eq!(c.effective_at, ts("2025-05-10T16:00:00Z"));
        assert_eq!(c.valid_until, Some(ts("2026-05-10T15:59:59Z")));
    }

    #[test]
    fn downgrade_when_not_renewed_and_requalify_from_there() {
        let mut t = demo();
        let s = TierState {
            serial: 3,
            since: ts("2024-05-10T02:00:00Z"),
            valid_until: Some(ts("2025-05-10T15:59:59Z")),
            requalify_base: d("0"),
        };
        let now = ts("2025-05-11T00:00:00Z");
        let c = t
            .evaluate_expiry(&s, d("200"), d("7000"), now, &sg())
            .unwrap();
        assert_eq!((c.from, c.to, c.kind), (3, 2, TierChangeKind::Downgrade));
        assert!(c.valid_until.is_some());
        let after = c.apply();
        // Lifetime 7000 does not lift the member straight back to Gold.
        assert_eq!(t.evaluate_upgrade(&after, d("7000"), now, &sg()), None);
        assert_eq!(
            t.evaluate_upgrade(&after, d("12000"), now, &sg())
                .map(|c| c.to),
            Some(3)
        );
        t.downgrade = DowngradeRule::ToQualifying;
        let c = t
            .evaluate_expiry(&s, d("200"), d("7000"), now, &sg())
            .unwrap();
        assert_eq!(c.to, 1);
        assert_eq!(c.valid_until, None);
    }

    #[test]
    fn a_late_job_requalifies_on_what_was_earned_after_the_old_end() {
        let t = demo();
        let gold = TierState {
            serial: 3,
            since: ts("2024-05-10T02:00:00Z"),
            valid_until: Some(ts("2025-05-10T15:59:59Z")),
            requalify_base: d("0"),
        };
        let now = ts("2025-08-01T00:00:00Z");
        // Not renewed (200 in the window): down to Silver with base 7000; the 5000
        // earned since the old end qualifies for Gold again at once.
        let c = t.at_validity_end(&gold, d("200"), d("7000"), d("12000"), now, &sg());
        let kinds: Vec<_> = c.iter().map(|c| (c.kind, c.from, c.to)).collect();
        assert_eq!(
            kinds,
            vec![
                (TierChangeKind::Downgrade, 3, 2),
                (TierChangeKind::Upgrade, 2, 3)
            ]
        );
        assert_eq!(c[1].requalify_base, d("7000"));
        // 4999 since the old end: Silver it stays.
        let c = t.at_validity_end(&gold, d("200"), d("7000"), d("11999"), now, &sg());
        assert_eq!(c.len(), 1);
        // A renewal is never followed by an upgrade.
        let c = t.at_validity_end(&gold, d("5000"), d("7000"), d("99999"), now, &sg());
        assert_eq!(
            c.iter().map(|c| c.kind).collect::<Vec<_>>(),
            vec![TierChangeKind::Renew]
        );
        // Still valid: nothing.
        let early = ts("2025-05-10T15:59:59Z");
        assert!(t
            .at_validity_end(&gold, d("0"), d("0"), d("0"), early, &sg())
            .is_empty());
        assert_eq!(TierBasis::LifetimePoints.metric(d("10"), d("2")), d("2"));
        assert_eq!(
            TierBasis::LifetimePurchases.metric(d("10"), d("2")),
            d("10")
        );
    }

    #[test]
    fn windows_follow_each_other_without_gap_or_overlap() {
        let t = demo();
        let upgraded = TierState {
            serial: 2,
            since: ts("2024-05-10T02:00:00Z"),
            valid_until: Some(ts("2025-05-10T15:59:59Z")),
            requalify_base: d("0"),
        };
        // The upgrade's own bill (recorded at `since`) is outside the window.
        assert_eq!(
            upgraded.window_opens_after(Some(TierChangeKind::Upgrade)),
            upgraded.since
        );
        assert_eq!(upgraded.window_opens_after(None), upgraded.since);
        let renewed = t
            .evaluate_expiry(
                &upgraded,
                d("1000"),
                d("2000"),
                ts("2025-06-01T00:00:00Z"),
                &sg(),
            )
            .unwrap()
            .apply();
        // The next window opens exactly where the previous one closed.
        assert_eq!(
            renewed.window_opens_after(Some(TierChangeKind::Renew)),
            ts("2025-05-10T15:59:59Z")
        );
        let downgraded = t
            .evaluate_expiry(
                &renewed,
                d("0"),
                d("2000"),
                ts("2026-06-01T00:00:00Z"),
                &sg(),
            )
            .unwrap();
        assert_eq!(downgraded.kind, TierChangeKind::Downgrade);
        assert_eq!(downgraded.effective_at, ts("2026-05-10T16:00:00Z"));
        assert_eq!(
            downgraded
                .apply()
                .window_opens_after(Some(TierChangeKind::Downgrade)),
            ts("2026-05-10T15:59:59Z")
        );
    }

    #[test]
    fn lowest_tier_never_expires_and_bad_sets_are_rejected() {
        let t = demo();
        let s = t.initial_state(ts("2020-01-01T00:00:00Z"));
        assert_eq!(
            t.evaluate_expiry(&s, d("0"), d("0"), ts("2030-01-01T00:00:00Z"), &sg()),
            None
        );
        let mut bad = demo();
        bad.tiers[2].threshold = d("500");
        assert!(bad.validate().is_err());
        let mut bad = demo();
        bad.tiers[0].serial = 0;
        assert!(bad.validate().is_err());
    }
}
