//! Goodwill requests (maker/checker): an agent or API client asks for points or a coupon
//! for a customer; small point requests are approved at once, the rest wait for a checker.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::LoyaltyError;

/// The request `type`; only goodwill requests are handled by this context.
pub const REQUEST_TYPE_GOODWILL: &str = "GOODWILL";

/// Checks the request `type` field (9006 otherwise).
/// Longest goodwill `reference_id`.
pub const MAX_REFERENCE_ID_LEN: usize = 100;

/// A goodwill request's reference id fits its limit.
pub fn check_reference_id(reference_id: &str) -> Result<(), LoyaltyError> {
    if reference_id.chars().count() > MAX_REFERENCE_ID_LEN {
        return Err(LoyaltyError::InvalidInput(format!(
            "reference_id is longer than {MAX_REFERENCE_ID_LEN} characters"
        )));
    }
    Ok(())
}

pub fn check_request_type(s: &str) -> Result<(), LoyaltyError> {
    if s.trim().eq_ignore_ascii_case(REQUEST_TYPE_GOODWILL) {
        Ok(())
    } else {
        Err(LoyaltyError::InvalidRequestType(s.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GoodwillBaseType {
    Points,
    Coupon,
}

impl GoodwillBaseType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Points => "POINTS",
            Self::Coupon => "COUPON",
        }
    }

    pub fn parse(s: &str) -> Result<Self, LoyaltyError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "POINTS" => Ok(Self::Points),
            "COUPON" => Ok(Self::Coupon),
            _ => Err(LoyaltyError::InvalidBaseType(s.to_string())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GoodwillStatus {
    Pending,
    Approved,
    Rejected,
}

impl GoodwillStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
        }
    }
}

/// The org's goodwill settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodwillConfig {
    /// Reasons an agent may pick (matched case-insensitively; a match takes the listed
    /// spelling).
    pub reasons: Vec<String>,
    /// Only the listed reasons are accepted (9009 otherwise). Off by default: a reason is
    /// free text, as Capillary documents it.
    #[serde(default)]
    pub only_listed_reasons: bool,
    /// Point requests up to and including this are approved at once; `None`: every
    /// request waits for a checker.
    pub auto_approve_cap: Option<Decimal>,
}

/// What happens to a new request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GoodwillDecision {
    AutoApproved,
    PendingApproval,
}

impl GoodwillDecision {
    pub fn status(self) -> GoodwillStatus {
        match self {
            Self::AutoApproved => GoodwillStatus::Approved,
            Self::PendingApproval => GoodwillStatus::Pending,
        }
    }
}

/// Points at or under the cap are approved at once.
pub fn decide(points: Decimal, auto_approve_cap: Option<Decimal>) -> GoodwillDecision {
    match auto_approve_cap {
        Some(cap) if points <= cap => GoodwillDecision::AutoApproved,
        _ => GoodwillDecision::PendingApproval,
    }
}

/// A goodwill request as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodwillRequest {
    pub base_type: GoodwillBaseType,
    pub points: Option<Decimal>,
    pub coupon_series_id: Option<i64>,
    pub reason: String,
    pub comments: Option<String>,
    /// `client_auto_approve`: when present it overrides the configured cap (true →
    /// processed now, false → always pending).
    pub client_auto_approve: Option<bool>,
}

impl GoodwillConfig {
    /// The listed spelling of `reason`; else the reason as given, or 9009 when only listed
    /// reasons are accepted.
    pub fn canonical_reason(&self, reason: &str) -> Result<String, LoyaltyError> {
        match self
            .reasons
            .iter()
            .find(|r| r.eq_ignore_ascii_case(reason.trim()))
        {
            Some(listed) => Ok(listed.clone()),
            None if self.only_listed_reasons => {
                Err(LoyaltyError::InvalidGoodwillReason(reason.to_string()))
            }
            None => Ok(reason.trim().to_string()),
        }
    }

    /// Validates a request and decides whether it is approved at once. Coupon requests
    /// wait for a checker unless the client asks for auto-approval: the cap is in points.
    pub fn submit(&self, req: &GoodwillRequest) -> Result<GoodwillDecision, LoyaltyError> {
        self.canonical_reason(&req.reason)?;
        let by_config = match req.base_type {
            GoodwillBaseType::Points => {
                let points = req.points.ok_or(LoyaltyError::InvalidPoints)?;
                if points <= Decimal::ZERO {
                    return Err(LoyaltyError::InvalidPoints);
                }
                decide(points, self.auto_approve_cap)
            }
            GoodwillBaseType::Coupon => {
                if req.coupon_series_id.is_none() {
                    return Err(LoyaltyError::CouponSeriesRequired);
                }
                GoodwillDecision::PendingApproval
            }
        };
        Ok(match req.client_auto_approve {
            Some(true) => GoodwillDecision::AutoApproved,
            Some(false) => GoodwillDecision::PendingApproval,
            None => by_config,
        })
    }
}

/// A checker's verdict on a pending request. Only PENDING requests can be decided, and
/// the maker cannot check their own request.
pub fn check(
    current: GoodwillStatus,
    maker: &str,
    checker: &str,
    approve: bool,
) -> Result<GoodwillStatus, LoyaltyError> {
    if current != GoodwillStatus::Pending {
        return Err(LoyaltyError::RequestAlreadyDecided(current.as_str()));
    }
    if maker == checker {
        return Err(LoyaltyError::MakerCannotCheck);
    }
    Ok(if approve {
        GoodwillStatus::Approved
    } else {
        GoodwillStatus::Rejected
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;
    use crate::loyalty::test_util::d;

    fn demo() -> GoodwillConfig {
        GoodwillConfig {
            reasons: vec!["Service recovery".into(), "Birthday".into()],
            only_listed_reasons: true,
            auto_approve_cap: Some(d("500")),
        }
    }

    #[test]
    fn a_reason_is_free_text_unless_only_listed_ones_are_accepted() {
        let mut c = demo();
        assert_eq!(c.canonical_reason(" birthday ").unwrap(), "Birthday");
        assert_eq!(c.canonical_reason("Late").unwrap_err().code(), 9009);
        c.only_listed_reasons = false;
        assert_eq!(
            c.canonical_reason(" Late delivery ").unwrap(),
            "Late delivery"
        );
        assert_eq!(c.canonical_reason("BIRTHDAY").unwrap(), "Birthday");
    }

    fn points(p: &str, reason: &str) -> GoodwillRequest {
        GoodwillRequest {
            base_type: GoodwillBaseType::Points,
            points: Some(d(p)),
            coupon_series_id: None,
            reason: reason.into(),
            comments: None,
            client_auto_approve: None,
        }
    }

    #[test]
    fn cap_splits_auto_approved_from_pending() {
        assert_eq!(
            decide(d("200"), Some(d("500"))),
            GoodwillDecision::AutoApproved
        );
        assert_eq!(
            decide(d("500"), Some(d("500"))),
            GoodwillDecision::AutoApproved
        );
        assert_eq!(
            decide(d("800"), Some(d("500"))),
            GoodwillDecision::PendingApproval
        );
        assert_eq!(decide(d("1"), None), GoodwillDecision::PendingApproval);
        let c = demo();
        assert_eq!(
            c.submit(&points("200", "birthday"))
                .map(GoodwillDecision::status),
            Ok(GoodwillStatus::Approved)
        );
        assert_eq!(
            c.submit(&points("800", "Service recovery"))
                .map(GoodwillDecision::status),
            Ok(GoodwillStatus::Pending)
        );
    }

    #[test]
    fn reasons_points_and_overrides_are_checked() {
        let c = demo();
        assert_eq!(c.submit(&points("10", "Because")).unwrap_err().code(), 9009);
        assert_eq!(c.canonical_reason("BIRTHDAY"), Ok("Birthday".to_string()));
        assert!(c.submit(&points("0", "Birthday")).is_err());
        let mut r = points("800", "Birthday");
        r.client_auto_approve = Some(true);
        assert_eq!(c.submit(&r), Ok(GoodwillDecision::AutoApproved));
        r.client_auto_approve = Some(false);
        r.points = Some(d("1"));
        assert_eq!(c.submit(&r), Ok(GoodwillDecision::PendingApproval));
        let coupon = GoodwillRequest {
            base_type: GoodwillBaseType::Coupon,
            points: None,
            coupon_series_id: None,
            reason: "Birthday".into(),
            comments: None,
            client_auto_approve: None,
        };
        assert_eq!(c.submit(&coupon), Err(LoyaltyError::CouponSeriesRequired));
        assert_eq!(
            GoodwillBaseType::parse("coupon"),
            Ok(GoodwillBaseType::Coupon)
        );
        assert_eq!(GoodwillBaseType::parse("CASH").unwrap_err().code(), 9008);
        assert_eq!(check_request_type("RETRO").unwrap_err().code(), 9006);
    }

    #[test]
    fn only_pending_requests_are_checked_by_someone_else() {
        assert_eq!(
            check(GoodwillStatus::Pending, "maker", "checker", true),
            Ok(GoodwillStatus::Approved)
        );
        assert_eq!(
            check(GoodwillStatus::Pending, "maker", "checker", false),
            Ok(GoodwillStatus::Rejected)
        );
        assert_eq!(
            check(GoodwillStatus::Pending, "a", "a", true),
            Err(LoyaltyError::MakerCannotCheck)
        );
        assert!(check(GoodwillStatus::Rejected, "a", "b", true).is_err());
    }
}
