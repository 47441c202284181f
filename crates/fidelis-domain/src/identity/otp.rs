//! One OTP mechanism for every flow that proves a customer holds an identifier: partner
//! OAuth sign-in, the Auth Engine's sessions and points redemption. A code belongs to
//! (org, purpose, subject) — the pending OAuth request, the Auth Engine session, or the
//! customer redeeming — and may be bound to more (the points a redemption code is for).
//! The same rules and org limits hold for all: the verdict on a presented code is decided
//! here, the counters live in the database.

use jiff::Timestamp;

use super::PointsValidation;
use crate::loyalty::LoyaltyError;

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpPurpose {
    /// The hosted sign-in page of partner OAuth (subject: the pending request).
    OAuth,
    /// An Auth Engine session (subject: the session).
    AuthEngine,
    /// A v1.1 points redemption (subject: the customer; bound to the points).
    Points,
}

impl OtpPurpose {
    /// The name stored beside each code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OAuth => "oauth",
            Self::AuthEngine => "auth_engine",
            Self::Points => "points",
        }
    }

    /// What the message calls the code.
    pub fn noun(self) -> &'static str {
        match self {
            Self::OAuth | Self::AuthEngine => "sign-in code",
            Self::Points => "points redemption code",
        }
    }
}

/// The newest code of a subject, as the database holds it.
#[derive(Debug, Clone, Copy)]
pub struct CodeState {
    pub attempts: i64,
    pub used: bool,
    /// Closed without being used: superseded, or out of tries.
    pub closed: bool,
    pub expires_at: Timestamp,
}

/// What may be done with a presented code, before it is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpVerdict {
    /// Compare it (and count a wrong try).
    Compare,
    /// Every try was used: refused even when right.
    Exhausted,
    /// None was sent, or it was used, superseded or expired.
    Dead,
}

/// The verdict on the subject's newest code (`None`: none was ever sent).
pub fn judge(newest: Option<&CodeState>, max_attempts: i64, now: Timestamp) -> OtpVerdict {
    match newest {
        None => OtpVerdict::Dead,
        Some(c) if c.attempts >= max_attempts => OtpVerdict::Exhausted,
        Some(c) if c.used || c.closed || c.expires_at <= now => OtpVerdict::Dead,
        Some(_) => OtpVerdict::Compare,
    }
}

/// The `validation_type` of `POST /v1.1/points/redeem`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationType {
    Sms,
    MissedCall,
    /// `NONE` or `INVALID` (Capillary's "skip validation" value).
    None,
}

impl ValidationType {
    /// Parses the documented values (case-insensitive); `Err` names the bad value.
    pub fn parse(s: &str) -> Result<Self, LoyaltyError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "SMS" | "EMAIL" | "OTP" => Ok(Self::Sms),
            "MISSED_CALL" => Ok(Self::MissedCall),
            "NONE" | "INVALID" | "" => Ok(Self::None),
            _ => Err(LoyaltyError::InvalidInput(format!(
                "validation_type must be SMS, MISSED_CALL or NONE, not `{}`",
                s.escape_default()
            ))),
        }
    }
}

/// Whether a redemption must present a valid code.
///
/// An org that requires validation (the default, as Capillary's docs mark
/// `validation_code` mandatory) checks every redemption, whatever `validation_type` or
/// `skip_validation` say; an org that made it optional checks when the request asks for
/// it (`validation_type=SMS`) or brings a code (a wrong code never passes).
pub fn redemption_needs_code(
    org: PointsValidation,
    validation_type: Option<ValidationType>,
    code_given: bool,
) -> Result<bool, LoyaltyError> {
    if validation_type == Some(ValidationType::MissedCall) {
        return Err(LoyaltyError::MissedCallDisabled);
    }
    Ok(match org {
        PointsValidation::Required => true,
        PointsValidation::Optional => validation_type == Some(ValidationType::Sms) || code_given,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn now() -> Timestamp {
        "2026-11-25T04:00:00Z".parse().unwrap()
    }

    fn live() -> CodeState {
        CodeState {
            attempts: 0,
            used: false,
            closed: false,
            expires_at: now() + SignedDuration::from_mins(5),
        }
    }

    #[test]
    fn the_newest_code_decides() {
        assert_eq!(judge(None, 5, now()), OtpVerdict::Dead);
        assert_eq!(judge(Some(&live()), 5, now()), OtpVerdict::Compare);
        let tried = CodeState {
            attempts: 5,
            closed: true,
            ..live()
        };
        assert_eq!(judge(Some(&tried), 5, now()), OtpVerdict::Exhausted);
        let used = CodeState {
            used: true,
            closed: true,
            ..live()
        };
        assert_eq!(judge(Some(&used), 5, now()), OtpVerdict::Dead);
        let old = CodeState {
            expires_at: now(),
            ..live()
        };
        assert_eq!(judge(Some(&old), 5, now()), OtpVerdict::Dead);
    }

    #[test]
    fn the_org_decides_whether_redemptions_need_a_code() {
        use PointsValidation::*;
        let sms = Some(ValidationType::Sms);
        let none = Some(ValidationType::None);
        assert!(redemption_needs_code(Required, None, false).unwrap());
        assert!(redemption_needs_code(Required, none, false).unwrap());
        assert!(!redemption_needs_code(Optional, None, false).unwrap());
        assert!(!redemption_needs_code(Optional, none, false).unwrap());
        assert!(redemption_needs_code(Optional, sms, false).unwrap());
        assert!(redemption_needs_code(Optional, None, true).unwrap());
        assert_eq!(
            redemption_needs_code(Optional, Some(ValidationType::MissedCall), false),
            Err(LoyaltyError::MissedCallDisabled)
        );
        assert_eq!(ValidationType::parse("sms").unwrap(), ValidationType::Sms);
        assert_eq!(ValidationType::parse("NONE").unwrap(), ValidationType::None);
        assert!(ValidationType::parse("FAX").is_err());
    }
}
