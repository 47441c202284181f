//! Partner programs: supplementary (time-boxed memberships run by the brand) and external
//! (run by a partner, with a points exchange rate). Members are linked, their partner
//! tier updated (upgrade, renew, downgrade) and delinked; every step is an activity.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::LoyaltyError;
use super::time::{add_months, end_of_local_day, local_date};

crate::id::id_type!(
    /// A partner (supplementary or external) program: the id of its program.
    PartnerProgramId
);

/// At most this many partner programs in one link/update/delink item (2008).
pub const MAX_PROGRAMS_PER_REQUEST: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartnerProgramType {
    Supplementary,
    External,
}

impl PartnerProgramType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Supplementary => "SUPPLEMENTARY",
            Self::External => "EXTERNAL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerProgram {
    pub id: PartnerProgramId,
    pub name: String,
    pub description: String,
    pub kind: PartnerProgramType,
    /// Tier names, lowest first; tier number = position + 1. Empty: not tier-based.
    pub tiers: Vec<String>,
    /// Partner points per Fidelis point (external programs).
    pub points_exchange_rate: Option<Decimal>,
    /// Membership length for supplementary programs.
    pub membership_months: Option<u32>,
}

impl PartnerProgram {
    pub fn tier_based(&self) -> bool {
        !self.tiers.is_empty()
    }

    /// Tier number (1-based) for a name, case-insensitively.
    pub fn tier_number(&self, name: &str) -> Option<u32> {
        self.tiers
            .iter()
            .position(|t| t.eq_ignore_ascii_case(name.trim()))
            .and_then(|i| u32::try_from(i + 1).ok())
    }

    pub fn tier_name(&self, number: u32) -> Option<&str> {
        let i = usize::try_from(number).ok()?.checked_sub(1)?;
        self.tiers.get(i).map(String::as_str)
    }

    /// Finds a program by its name (`partnerProgramName`), case-insensitively (2006).
    pub fn find<'a>(
        programs: &'a [PartnerProgram],
        name: &str,
    ) -> Result<&'a PartnerProgram, LoyaltyError> {
        programs
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
            .ok_or(LoyaltyError::PartnerProgramNotFound)
    }

    /// Resolves a tier name to (number, canonical name); tier-based programs require one.
    fn resolve_tier(&self, name: Option<&str>) -> Result<Option<(u32, String)>, LoyaltyError> {
        match (
            self.tier_based(),
            name.map(str::trim).filter(|n| !n.is_empty()),
        ) {
            (true, None) => Err(LoyaltyError::PartnerTierNotFound(
                "partnerTierName is required for this program".into(),
            )),
            (false, Some(n)) => Err(LoyaltyError::PartnerTierNotFound(format!(
                "{n} (program has no tiers)"
            ))),
            (false, None) => Ok(None),
            (true, Some(n)) => {
                let num = self
                    .tier_number(n)
                    .ok_or_else(|| LoyaltyError::PartnerTierNotFound(n.to_string()))?;
                let canonical = self.tier_name(num).unwrap_or(n).to_string();
                Ok(Some((num, canonical)))
            }
        }
    }

    /// Default end of a supplementary membership that starts on `from_day`.
    fn membership_end(&self, from_day: Date, tz: &TimeZone) -> Option<Timestamp> {
        match self.kind {
            PartnerProgramType::Supplementary => {
                let months = self.membership_months?;
                Some(end_of_local_day(
                    add_months(from_day, i64::from(months)),
                    tz,
                ))
            }
            PartnerProgramType::External => None,
        }
    }
}

/// `updateType`. The API sample sends UPGRADE while an error message lists UPDATE;
/// both are accepted as an upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartnerUpdateType {
    Upgrade,
    Renew,
    Downgrade,
}

impl PartnerUpdateType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upgrade => "UPGRADE",
            Self::Renew => "RENEW",
            Self::Downgrade => "DOWNGRADE",
        }
    }

    pub fn parse(s: &str) -> Result<Self, LoyaltyError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "UPGRADE" | "UPDATE" => Ok(Self::Upgrade),
            "RENEW" => Ok(Self::Renew),
            "DOWNGRADE" => Ok(Self::Downgrade),
            _ => Err(LoyaltyError::InvalidPartnerUpdateType(s.to_string())),
        }
    }
}

/// Events in a member's partner-program history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivityType {
    Joined,
    Upgraded,
    Renewed,
    Downgraded,
    Delinked,
    /// The membership reached its expiry without renewal (recorded by the end job).
    Expired,
}

impl ActivityType {
    pub const ALL: [Self; 6] = [
        Self::Joined,
        Self::Upgraded,
        Self::Renewed,
        Self::Downgraded,
        Self::Delinked,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Joined => "JOINED",
            Self::Upgraded => "UPGRADED",
            Self::Renewed => "RENEWED",
            Self::Downgraded => "DOWNGRADED",
            Self::Delinked => "DELINKED",
            Self::Expired => "EXPIRED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One activity-history row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    pub partner_program_id: PartnerProgramId,
    pub activity: ActivityType,
    pub at: Timestamp,
    pub tier_name: Option<String>,
    pub tier_expiry: Option<Timestamp>,
}

/// A member's link to a partner program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub partner_program_id: PartnerProgramId,
    pub membership_id: String,
    pub tier_number: Option<u32>,
    pub tier_name: Option<String>,
    /// Tier (or, for supplementary programs, membership) expiry: 23:59:59 local.
    pub tier_expiry: Option<Timestamp>,
    pub start: Timestamp,
    pub delinked_at: Option<Timestamp>,
    pub last_updated: Timestamp,
    pub last_activity: ActivityType,
}

impl Membership {
    /// Linked and not expired: what Member Care lists and what link/update check.
    pub fn is_current(&self, now: Timestamp) -> bool {
        self.delinked_at.is_none() && self.tier_expiry.is_none_or(|e| now <= e)
    }

    /// Membership end shown to users: the delink time, else the expiry.
    pub fn end(&self) -> Option<Timestamp> {
        self.delinked_at.or(self.tier_expiry)
    }

    /// When the membership stopped, once that has been recorded (delinked, or ended by
    /// the end job at its expiry); `None` while it is open.
    pub fn ended_at(&self) -> Option<Timestamp> {
        match (self.delinked_at, self.last_activity) {
            (Some(at), _) => Some(at),
            (None, ActivityType::Expired) => self.tier_expiry,
            (None, _) => None,
        }
    }

    fn activity(&self, activity: ActivityType, at: Timestamp) -> ActivityEntry {
        ActivityEntry {
            partner_program_id: self.partner_program_id,
            activity,
            at,
            tier_name: self.tier_name.clone(),
            tier_expiry: self.tier_expiry,
        }
    }
}

/// A requested tier expiry date (org-local) as an instant; 2003 if it has passed.
fn expiry_from_date(date: Date, now: Timestamp, tz: &TimeZone) -> Result<Timestamp, LoyaltyError> {
    let at = end_of_local_day(date, tz);
    if at < now {
        Err(LoyaltyError::PartnerTierExpiryInPast)
    } else {
        Ok(at)
    }
}

/// What `linkToPartnerPrograms[].customerPartnerReference` carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRequest {
    pub membership_id: String,
    pub tier_name: Option<String>,
    pub tier_expiry: Option<Date>,
}

/// Links a member. Fails with 2005 if the customer is not enrolled in loyalty or is
/// already linked (a current membership exists), 2007 for a missing/unknown tier, 2003
/// for an expiry date in the past.
pub fn link(
    program: &PartnerProgram,
    existing: Option<&Membership>,
    enrolled_in_loyalty: bool,
    req: &LinkRequest,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<(Membership, ActivityEntry), LoyaltyError> {
    if !enrolled_in_loyalty {
        return Err(LoyaltyError::NotEnrolledInLoyalty);
    }
    if existing.is_some_and(|m| m.is_current(now)) {
        return Err(LoyaltyError::PartnerAlreadyLinked);
    }
    if req.membership_id.trim().is_empty() {
        return Err(LoyaltyError::PartnerFieldMissing("partnerMembershipId"));
    }
    let tier = program.resolve_tier(req.tier_name.as_deref())?;
    let tier_expiry = match req.tier_expiry {
        Some(d) => Some(expiry_from_date(d, now, tz)?),
        None => program.membership_end(local_date(now, tz), tz),
    };
    let (tier_number, tier_name) = tier.unzip();
    let m = Membership {
        partner_program_id: program.id,
        membership_id: req.membership_id.trim().to_string(),
        tier_number,
        tier_name,
        tier_expiry,
        start: now,
        delinked_at: None,
        last_updated: now,
        last_activity: ActivityType::Joined,
    };
    let a = m.activity(ActivityType::Joined, now);
    Ok((m, a))
}

/// Updates a current membership's tier. UPGRADE must move to a higher tier, DOWNGRADE to
/// a lower one, RENEW keeps the tier (its name may be omitted) and extends the expiry:
/// to the given date, else for supplementary programs by the membership length from the
/// old expiry day. Programs without tiers can only be renewed.
pub fn update(
    program: &PartnerProgram,
    existing: Option<&Membership>,
    update_type: PartnerUpdateType,
    tier_name: Option<&str>,
    tier_expiry: Option<Date>,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<(Membership, ActivityEntry), LoyaltyError> {
    let current = existing
        .filter(|m| m.is_current(now))
        .ok_or(LoyaltyError::PartnerNotLinked)?;
    let requested = match (update_type, tier_name) {
        (PartnerUpdateType::Renew, None) => current.tier_number.zip(current.tier_name.clone()),
        _ => program.resolve_tier(tier_name)?,
    };
    let from = current.tier_number.unwrap_or(0);
    let to = requested.as_ref().map(|(n, _)| *n).unwrap_or(0);
    let (ok, activity) = match update_type {
        PartnerUpdateType::Upgrade => (program.tier_based() && to > from, ActivityType::Upgraded),
        PartnerUpdateType::Downgrade => {
            (program.tier_based() && to < from, ActivityType::Downgraded)
        }
        PartnerUpdateType::Renew => (to == from, ActivityType::Renewed),
    };
    if !ok {
        return Err(LoyaltyError::PartnerUpdateMismatch(update_type.as_str()));
    }
    let new_expiry = match tier_expiry {
        Some(d) => Some(expiry_from_date(d, now, tz)?),
        None if update_type == PartnerUpdateType::Renew => {
            let from_day = local_date(current.tier_expiry.unwrap_or(now).max(now), tz);
            program.membership_end(from_day, tz).or(current.tier_expiry)
        }
        None => current.tier_expiry,
    };
    let (tier_number, tier_name) = requested.unzip();
    let m = Membership {
        tier_number,
        tier_name,
        tier_expiry: new_expiry,
        last_updated: now,
        last_activity: activity,
        ..current.clone()
    };
    let a = m.activity(activity, now);
    Ok((m, a))
}

/// Ends a membership (2004 when there is none).
pub fn delink(
    existing: Option<&Membership>,
    now: Timestamp,
) -> Result<(Membership, ActivityEntry), LoyaltyError> {
    let current = existing
        .filter(|m| m.is_current(now))
        .ok_or(LoyaltyError::PartnerNotLinked)?;
    let m = Membership {
        delinked_at: Some(now),
        last_updated: now,
        last_activity: ActivityType::Delinked,
        ..current.clone()
    };
    let a = m.activity(ActivityType::Delinked, now);
    Ok((m, a))
}

/// Ends a membership whose expiry has passed (the membership-end job). The activity and
/// the last-updated date are the expiry instant itself, not the time of the run, so a late
/// or repeated run records the same thing. `None` when nothing is due: the membership is
/// still current, has no expiry, was delinked, or has already been ended.
pub fn expire(existing: &Membership, now: Timestamp) -> Option<(Membership, ActivityEntry)> {
    let end = existing.tier_expiry?;
    if now <= end || existing.ended_at().is_some() {
        return None;
    }
    let m = Membership {
        last_updated: existing.last_updated.max(end),
        last_activity: ActivityType::Expired,
        ..existing.clone()
    };
    let a = m.activity(ActivityType::Expired, end);
    Some((m, a))
}

/// 2008: too many programs in one request item.
pub fn check_program_count(n: usize) -> Result<(), LoyaltyError> {
    if n > MAX_PROGRAMS_PER_REQUEST {
        Err(LoyaltyError::TooManyPartnerPrograms(
            MAX_PROGRAMS_PER_REQUEST,
        ))
    } else {
        Ok(())
    }
}

/// `activityType` of the history API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistoryActivityType {
    LinkingUpdates,
    BenefitsAvailed,
}

impl HistoryActivityType {
    pub fn parse(s: &str) -> Result<Self, LoyaltyError> {
        match s.trim() {
            x if x.eq_ignore_ascii_case("linkingUpdates") => Ok(Self::LinkingUpdates),
            x if x.eq_ignore_ascii_case("benefitsAvailed") => Ok(Self::BenefitsAvailed),
            _ => Err(LoyaltyError::InvalidActivityType(s.to_string())),
        }
    }

    /// Supplementary memberships carry no partner benefits (2018).
    pub fn check_for(self, program: &PartnerProgram) -> Result<(), LoyaltyError> {
        if self == Self::BenefitsAvailed && program.kind == PartnerProgramType::Supplementary {
            Err(LoyaltyError::NoBenefitsOnSupplementary)
        } else {
            Ok(())
        }
    }
}

/// The history query's interval must be ordered and shorter than one calendar year in
/// the org's zone (2013).
pub fn check_history_range(
    start: Timestamp,
    end: Timestamp,
    tz: &TimeZone,
) -> Result<(), LoyaltyError> {
    let year_later = start
        .to_zoned(tz.clone())
        .checked_add(jiff::Span::new().years(1))
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::MAX);
    if end < start || end >= year_later {
        Err(LoyaltyError::HistoryIntervalTooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;
    use crate::loyalty::test_util::{d, ts};

    fn sg() -> TimeZone {
        TimeZone::get("Asia/Singapore").unwrap()
    }

    fn skymiles() -> PartnerProgram {
        PartnerProgram {
            id: PartnerProgramId::new(7),
            name: "SkyMiles".into(),
            description: String::new(),
            kind: PartnerProgramType::External,
            tiers: vec!["Blue".into(), "Silver".into(), "Gold".into()],
            points_exchange_rate: Some(d("0.5")),
            membership_months: None,
        }
    }

    fn demo_plus() -> PartnerProgram {
        PartnerProgram {
            id: PartnerProgramId::new(8),
            name: "Demo Plus".into(),
            description: String::new(),
            kind: PartnerProgramType::Supplementary,
            tiers: vec!["Plus".into()],
            points_exchange_rate: None,
            membership_months: Some(12),
        }
    }

    fn req(tier: Option<&str>, expiry: Option<Date>) -> LinkRequest {
        LinkRequest {
            membership_id: "SM-1".into(),
            tier_name: tier.map(String::from),
            tier_expiry: expiry,
        }
    }

    #[test]
    fn link_rules() {
        let p = skymiles();
        let now = ts("2024-06-15T04:00:00Z");
        let (m, a) = link(
            &p,
            None,
            true,
            &req(Some("silver"), Some(Date::constant(2025, 1, 31))),
            now,
            &sg(),
        )
        .unwrap();
        assert_eq!(m.tier_number, Some(2));
        assert_eq!(m.tier_name.as_deref(), Some("Silver"));
        assert_eq!(m.tier_expiry, Some(ts("2025-01-31T15:59:59Z")));
        assert_eq!(a.activity, ActivityType::Joined);
        let e = link(&p, Some(&m), true, &req(Some("Blue"), None), now, &sg()).unwrap_err();
        assert_eq!(e.code(), 2005);
        let e = link(&p, None, false, &req(Some("Blue"), None), now, &sg()).unwrap_err();
        assert_eq!(e.code(), 2005);
        let e = link(&p, None, true, &req(None, None), now, &sg()).unwrap_err();
        assert_eq!(e.code(), 2007);
        let e = link(&p, None, true, &req(Some("Platinum"), None), now, &sg()).unwrap_err();
        assert_eq!(e.code(), 2007);
        // Yesterday (local) is in the past; today is still fine.
        let e = link(
            &p,
            None,
            true,
            &req(Some("Blue"), Some(Date::constant(2024, 6, 14))),
            now,
            &sg(),
        )
        .unwrap_err();
        assert_eq!(e.code(), 2003);
        assert!(link(
            &p,
            None,
            true,
            &req(Some("Blue"), Some(Date::constant(2024, 6, 15))),
            now,
            &sg()
        )
        .is_ok());
    }

    #[test]
    fn supplementary_membership_defaults_to_its_length() {
        let p = demo_plus();
        let now = ts("2024-06-15T04:00:00Z");
        let (m, _) = link(&p, None, true, &req(Some("Plus"), None), now, &sg()).unwrap();
        assert_eq!(m.tier_expiry, Some(ts("2025-06-15T15:59:59Z")));
        let (r, a) = update(
            &p,
            Some(&m),
            PartnerUpdateType::Renew,
            None,
            None,
            now,
            &sg(),
        )
        .unwrap();
        assert_eq!(a.activity, ActivityType::Renewed);
        assert_eq!(r.tier_expiry, Some(ts("2026-06-15T15:59:59Z")));
        // After expiry the membership is no longer current: update says link first, and
        // linking again is allowed.
        let later = ts("2025-06-16T00:00:00Z");
        assert_eq!(
            update(
                &p,
                Some(&m),
                PartnerUpdateType::Renew,
                None,
                None,
                later,
                &sg()
            )
            .unwrap_err()
            .code(),
            2004
        );
        assert!(link(&p, Some(&m), true, &req(Some("Plus"), None), later, &sg()).is_ok());
    }

    #[test]
    fn update_and_delink_rules() {
        let p = skymiles();
        let now = ts("2024-06-15T04:00:00Z");
        let (m, _) = link(&p, None, true, &req(Some("Silver"), None), now, &sg()).unwrap();
        let up = PartnerUpdateType::parse("UPDATE").unwrap();
        let (g, a) = update(
            &p,
            Some(&m),
            up,
            Some("Gold"),
            Some(Date::constant(2025, 6, 30)),
            now,
            &sg(),
        )
        .unwrap();
        assert_eq!(
            (g.tier_number, a.activity),
            (Some(3), ActivityType::Upgraded)
        );
        assert_eq!(
            update(
                &p,
                Some(&m),
                PartnerUpdateType::Upgrade,
                Some("Blue"),
                None,
                now,
                &sg()
            )
            .unwrap_err()
            .code(),
            2009
        );
        let (b, a) = update(
            &p,
            Some(&g),
            PartnerUpdateType::Downgrade,
            Some("Blue"),
            None,
            now,
            &sg(),
        )
        .unwrap();
        assert_eq!(
            (b.tier_number, a.activity),
            (Some(1), ActivityType::Downgraded)
        );
        assert_eq!(b.tier_expiry, g.tier_expiry);
        assert_eq!(
            update(
                &p,
                Some(&g),
                PartnerUpdateType::Renew,
                Some("Silver"),
                None,
                now,
                &sg()
            )
            .unwrap_err()
            .code(),
            2009
        );
        assert_eq!(
            update(&p, None, PartnerUpdateType::Renew, None, None, now, &sg())
                .unwrap_err()
                .code(),
            2004
        );
        assert_eq!(
            PartnerUpdateType::parse("SIDEGRADE").unwrap_err().code(),
            2009
        );
        let (x, a) = delink(Some(&g), now).unwrap();
        assert_eq!(a.activity, ActivityType::Delinked);
        assert_eq!(x.end(), Some(now));
        assert_eq!(delink(Some(&x), now).unwrap_err().code(), 2004);
    }

    #[test]
    fn expired_memberships_end_once_at_their_expiry() {
        let p = demo_plus();
        let now = ts("2024-06-15T04:00:00Z");
        let (m, _) = link(&p, None, true, &req(Some("Plus"), None), now, &sg()).unwrap();
        assert_eq!(m.ended_at(), None);
        // Through the last second of the expiry day nothing is due.
        assert_eq!(expire(&m, ts("2025-06-15T15:59:59Z")), None);
        let late = ts("2025-07-01T00:00:00Z");
        let (e, a) = expire(&m, late).unwrap();
        assert_eq!(a.activity, ActivityType::Expired);
        assert_eq!(a.at, ts("2025-06-15T15:59:59Z"));
        assert_eq!(e.last_updated, a.at);
        assert_eq!(e.ended_at(), Some(a.at));
        assert_eq!(e.end(), Some(a.at));
        assert!(!e.is_current(late));
        // Ending is recorded once; delinked or open-ended memberships are never due.
        assert_eq!(expire(&e, late), None);
        let (d, _) = delink(Some(&m), now).unwrap();
        assert_eq!(d.ended_at(), Some(now));
        assert_eq!(expire(&d, late), None);
        let (x, _) = link(
            &skymiles(),
            None,
            true,
            &req(Some("Blue"), None),
            now,
            &sg(),
        )
        .unwrap();
        assert_eq!(expire(&x, late), None);
        // A membership can be linked again once ended.
        assert!(link(&p, Some(&e), true, &req(Some("Plus"), None), late, &sg()).is_ok());
        assert_eq!(ActivityType::parse("EXPIRED"), Some(ActivityType::Expired));
        assert_eq!(ActivityType::parse("nope"), None);
        let missing = LinkRequest {
            membership_id: " ".into(),
            tier_name: Some("Plus".into()),
            tier_expiry: None,
        };
        assert_eq!(
            link(&p, None, true, &missing, now, &sg())
                .unwrap_err()
                .code(),
            2002
        );
    }

    #[test]
    fn lookups_and_history_checks() {
        let ps = vec![skymiles(), demo_plus()];
        assert_eq!(
            PartnerProgram::find(&ps, "skymiles").map(|p| p.id),
            Ok(PartnerProgramId::new(7))
        );
        assert_eq!(PartnerProgram::find(&ps, "Nope").unwrap_err().code(), 2006);
        assert!(check_program_count(50).is_ok());
        assert_eq!(check_program_count(51).unwrap_err().code(), 2008);
        let tz = sg();
        assert!(
            check_history_range(ts("2024-01-01T00:00:00Z"), ts("2024-12-31T00:00:00Z"), &tz)
                .is_ok()
        );
        assert_eq!(
            check_history_range(ts("2024-01-01T00:00:00Z"), ts("2025-01-01T00:00:00Z"), &tz)
                .unwrap_err()
                .code(),
            2013
        );
        assert_eq!(
            HistoryActivityType::parse("linkingupdates"),
            Ok(HistoryActivityType::LinkingUpdates)
        );
        assert_eq!(HistoryActivityType::parse("x").unwrap_err().code(), 2014);
        assert_eq!(
            HistoryActivityType::BenefitsAvailed
                .check_for(&ps[1])
                .unwrap_err()
                .code(),
            2018
        );
    }
}
