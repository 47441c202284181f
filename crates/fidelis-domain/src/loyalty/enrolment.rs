//! Enrolment with carried-over state (`loyaltyProgramEnrollments` at registration): a brand
//! moving its members keeps their tier and points. The member starts in the named tier
//! and gets the points as one credit; both may carry their own expiry.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use rust_decimal::Decimal;

use super::error::LoyaltyError;
use super::program::{Program, ProgramId};
use super::tiers::{TierChange, TierChangeKind};

/// One `loyaltyProgramEnrollments[]` element, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentRequest {
    pub program_id: ProgramId,
    /// 1 = lowest; absent: the lowest.
    pub tier_number: Option<u32>,
    pub points: Option<Decimal>,
    pub tier_expiry: Option<Timestamp>,
    pub points_expiry: Option<Timestamp>,
}

/// What enrolling writes: the starting tier (a change from tier 1, when higher) and the
/// points credit with its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub program_id: ProgramId,
    pub tier: Option<TierChange>,
    pub points: Decimal,
    pub points_expiry: Option<Timestamp>,
}

/// Checks a request against its program: the tier must exist (1102), points must not be
/// negative (400), and expiry dates must lie ahead (1104).
pub fn plan(
    program: &Program,
    req: &EnrolmentRequest,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Enrolment, LoyaltyError> {
    let points = req.points.unwrap_or(Decimal::ZERO);
    if points < Decimal::ZERO {
        return Err(LoyaltyError::InvalidPoints);
    }
    for at in [req.tier_expiry, req.points_expiry].into_iter().flatten() {
        if at <= now {
            return Err(LoyaltyError::EnrolmentExpiryInPast);
        }
    }
    let serial = req.tier_number.unwrap_or(1);
    let tier = match (&program.tiers, serial) {
        (_, 1) => None,
        (Some(set), s) if set.tier(s).is_some() => {
            // The tier lasts until the given date, else the program's usual validity.
            let valid_until = req.tier_expiry.or_else(|| {
                set.evaluate_upgrade(
                    &set.initial_state(now),
                    set.tiers[(s - 1) as usize].threshold,
                    now,
                    tz,
                )
                .and_then(|c| c.valid_until)
            });
            Some(TierChange {
                from: 1,
                to: s,
                kind: TierChangeKind::Upgrade,
                effective_at: now,
                valid_until,
                requalify_base: Decimal::ZERO,
            })
        }
        _ => return Err(LoyaltyError::EnrolmentTierNotFound(serial)),
    };
    let points_expiry = req
        .points_expiry
        .or_else(|| program.expiry.expiry_instant(now, tz));
    Ok(Enrolment {
        program_id: program.id,
        tier,
        points,
        points_expiry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;
    use crate::loyalty::program::{EarnRule, ExpiryPolicy, ProgramKind};
    use crate::loyalty::test_util::{d, demo_tiers, ts};

    fn demo() -> Program {
        Program {
            id: ProgramId::new(1),
            name: "Demo Rewards".into(),
            kind: ProgramKind::Default,
            earn: EarnRule::one_per(d("10")),
            expiry: ExpiryPolicy::AfterDays { days: 365 },
            tiers: Some(demo_tiers()),
            points_return_enabled: true,
        }
    }

    fn req(tier: Option<u32>) -> EnrolmentRequest {
        EnrolmentRequest {
            program_id: ProgramId::new(1),
            tier_number: tier,
            points: Some(d("75")),
            tier_expiry: None,
            points_expiry: None,
        }
    }

    #[test]
    fn carries_tier_and_points_with_their_expiry() {
        let tz = TimeZone::get("Asia/Singapore").unwrap();
        let now = ts("2026-11-25T04:00:00Z");
        let e = plan(&demo(), &req(Some(3)), now, &tz).unwrap();
        let tier = e.tier.unwrap();
        assert_eq!((tier.from, tier.to), (1, 3));
        // Twelve months on, at the end of that local day.
        assert_eq!(tier.valid_until, Some(ts("2027-11-25T15:59:59Z")));
        assert_eq!(e.points, d("75"));
        assert_eq!(e.points_expiry, Some(ts("2027-11-25T15:59:59Z")));
        let mut given = req(Some(2));
        given.tier_expiry = Some(ts("2027-02-11T11:06:17Z"));
        given.points_expiry = Some(ts("2027-03-01T00:00:00Z"));
        let e = plan(&demo(), &given, now, &tz).unwrap();
        assert_eq!(e.tier.unwrap().valid_until, given.tier_expiry);
        assert_eq!(e.points_expiry, given.points_expiry);
        assert_eq!(plan(&demo(), &req(None), now, &tz).unwrap().tier, None);
    }

    #[test]
    fn refuses_unknown_tiers_past_dates_and_negative_points() {
        let tz = TimeZone::UTC;
        let now = ts("2026-11-25T04:00:00Z");
        assert_eq!(
            plan(&demo(), &req(Some(234)), now, &tz).unwrap_err().code(),
            1102
        );
        assert_eq!(
            plan(&demo(), &req(Some(0)), now, &tz).unwrap_err().code(),
            1102
        );
        let mut past = req(Some(2));
        past.tier_expiry = Some(ts("2022-02-11T11:06:17Z"));
        assert_eq!(plan(&demo(), &past, now, &tz).unwrap_err().code(), 1104);
        let mut negative = req(None);
        negative.points = Some(d("-1"));
        assert_eq!(plan(&demo(), &negative, now, &tz).unwrap_err().code(), 400);
    }
}
