//! Transaction rules: types, return types, the billing-date window, bill-number
//! uniqueness and outlier marking.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::error::LoyaltyError;
use super::time::{add_days, local_date};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransactionType {
    Regular,
    Return,
    NotInterested,
    NotInterestedReturn,
}

impl TransactionType {
    pub const ALL: [TransactionType; 4] = [
        Self::Regular,
        Self::Return,
        Self::NotInterested,
        Self::NotInterestedReturn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regular => "REGULAR",
            Self::Return => "RETURN",
            Self::NotInterested => "NOT_INTERESTED",
            Self::NotInterestedReturn => "NOT_INTERESTED_RETURN",
        }
    }

    /// Parses the wire value (case-insensitive); unknown values are code 605.
    pub fn parse(s: &str) -> Result<Self, LoyaltyError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| LoyaltyError::InvalidTransactionType(s.to_string()))
    }

    pub fn is_return(self) -> bool {
        matches!(self, Self::Return | Self::NotInterestedReturn)
    }

    /// Only REGULAR bills earn; NOT_INTERESTED bills come from non-members.
    pub fn earns_points(self) -> bool {
        self == Self::Regular
    }

    /// REGULAR bills need a registered customer; NOT_INTERESTED ones have none.
    pub fn needs_customer(self) -> bool {
        matches!(self, Self::Regular | Self::Return)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReturnType {
    Amount,
    Full,
    LineItem,
    /// Treated like FULL: a cancelled order reverses everything it earned.
    Cancelled,
}

impl ReturnType {
    pub const ALL: [ReturnType; 4] = [Self::Amount, Self::Full, Self::LineItem, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Amount => "AMOUNT",
            Self::Full => "FULL",
            Self::LineItem => "LINE_ITEM",
            Self::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Result<Self, LoyaltyError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| LoyaltyError::InvalidReturnType(s.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutlierStatus {
    Normal,
    Internal,
    Fraud,
    Outlier,
    Test,
    Deleted,
    Failed,
    Other,
}

impl OutlierStatus {
    pub const ALL: [OutlierStatus; 8] = [
        Self::Normal,
        Self::Internal,
        Self::Fraud,
        Self::Outlier,
        Self::Test,
        Self::Deleted,
        Self::Failed,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::Internal => "INTERNAL",
            Self::Fraud => "FRAUD",
            Self::Outlier => "OUTLIER",
            Self::Test => "TEST",
            Self::Deleted => "DELETED",
            Self::Failed => "FAILED",
            Self::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Result<Self, LoyaltyError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| LoyaltyError::InvalidOutlierStatus(s.to_string()))
    }

    /// Only NORMAL bills earn points and count toward tiers; the others are stored
    /// for reporting.
    pub fn earns_points(self) -> bool {
        self == Self::Normal
    }
}

/// The outlier status a bill is stored with. An explicit `outlierStatus` in the request
/// overrides configuration (as documented); otherwise bills of a suspended customer are
/// marked OUTLIER so that they are kept but earn nothing.
pub fn outlier_status(requested: Option<OutlierStatus>, customer_suspended: bool) -> OutlierStatus {
    match requested {
        Some(s) => s,
        None if customer_suspended => OutlierStatus::Outlier,
        None => OutlierStatus::Normal,
    }
}

/// How far from "today" (org-local) a billing date may be. Counted in whole local days
/// so that a till a few minutes ahead never fails and "30 days back" means calendar days.
/// The default accepts any past date and nothing after today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BillingDateWindow {
    /// Oldest allowed: today − `max_past_days`. `None`: any past date.
    pub max_past_days: Option<u32>,
    /// Latest allowed: today + `max_future_days` (0 = up to the end of today).
    pub max_future_days: u32,
}

/// Bills dated before this are taken as garbage (e.g. a zero epoch from a broken till).
const EARLIEST_BILL_YEAR: i16 = 2000;

impl BillingDateWindow {
    /// Checks a billing date against the window, in the org's zone: 621 for an
    /// implausible date, 643 too old, 644 too far ahead.
    pub fn check(
        &self,
        billing: Timestamp,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Result<(), LoyaltyError> {
        let day = local_date(billing, tz);
        if day.year() < EARLIEST_BILL_YEAR {
            return Err(LoyaltyError::BillingDateOutOfRange);
        }
        let today = local_date(now, tz);
        if day > add_days(today, i64::from(self.max_future_days)) {
            return Err(LoyaltyError::BillingDateInFuture {
                max_future_days: self.max_future_days,
            });
        }
        if let Some(past) = self.max_past_days {
            if day < add_days(today, -i64::from(past)) {
                return Err(LoyaltyError::BillingDateTooOld {
                    max_past_days: past,
                });
            }
        }
        Ok(())
    }
}

/// A return must not predate the purchase it returns (624).
pub fn check_return_dates(
    purchase_at: Timestamp,
    return_at: Timestamp,
) -> Result<(), LoyaltyError> {
    if return_at < purchase_at {
        Err(LoyaltyError::ReturnBeforePurchase)
    } else {
        Ok(())
    }
}

/// Which bills a bill number must differ from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BillNumberScope {
    Org,
    #[default]
    Store,
    Till,
}

/// `CONF_LOYALTY_BILL_NUMBER_UNIQUE_IN_DAYS`: a REGULAR bill number may not repeat within
/// the window (error 604). Storage runs the query (atomically, with a unique index);
/// this type only says which window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillNumberUniqueness {
    pub scope: BillNumberScope,
    /// `None`: unique forever.
    pub unique_in_days: Option<u32>,
}

impl Default for BillNumberUniqueness {
    fn default() -> Self {
        Self {
            scope: BillNumberScope::Store,
            unique_in_days: Some(365),
        }
    }
}

impl BillNumberUniqueness {
    /// The earliest billing instant an existing bill must have to clash with one billed
    /// at `billing`; `None` means every earlier bill clashes.
    pub fn window_start(&self, billing: Timestamp) -> Option<Timestamp> {
        let days = self.unique_in_days?;
        Some(
            billing
                .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(days)))
                .unwrap_or(Timestamp::MIN),
        )
    }

    /// True when an existing bill with the same number (same scope) billed at
    /// `existing` clashes with a new one billed at `billing`.
    pub fn clashes(&self, existing: Timestamp, billing: Timestamp) -> bool {
        match self.unique_in_days {
            None => true,
            Some(days) => {
                let gap = existing.duration_since(billing).abs();
                gap < jiff::SignedDuration::from_hours(24 * i64::from(days))
            }
        }
    }
}

/// Validates a bill number: non-empty, at most 50 characters, no control characters.
pub fn check_bill_number(bill_number: &str) -> Result<(), LoyaltyError> {
    let b = bill_number.trim();
    if b.is_empty() || b.chars().count() > 50 || b.chars().any(char::is_control) {
        Err(LoyaltyError::InvalidBillNumber)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;
    use crate::loyalty::test_util::ts;

    #[test]
    fn types_parse_and_say_what_earns() {
        assert_eq!(
            TransactionType::parse("regular"),
            Ok(TransactionType::Regular)
        );
        assert_eq!(
            TransactionType::parse("NOT_INTERESTED_RETURN"),
            Ok(TransactionType::NotInterestedReturn)
        );
        assert_eq!(TransactionType::parse("GIFT").unwrap_err().code(), 605);
        assert!(TransactionType::Regular.earns_points());
        assert!(!TransactionType::NotInterested.earns_points());
        assert!(TransactionType::NotInterestedReturn.is_return());
        assert_eq!(ReturnType::parse("line_item"), Ok(ReturnType::LineItem));
        assert!(ReturnType::parse("PARTIAL").is_err());
    }

    #[test]
    fn suspended_customers_bills_are_outliers_unless_overridden() {
        assert_eq!(outlier_status(None, false), OutlierStatus::Normal);
        assert_eq!(outlier_status(None, true), OutlierStatus::Outlier);
        assert_eq!(
            outlier_status(Some(OutlierStatus::Test), false),
            OutlierStatus::Test
        );
        assert_eq!(
            outlier_status(Some(OutlierStatus::Normal), true),
            OutlierStatus::Normal
        );
        assert!(!OutlierStatus::Outlier.earns_points());
        assert_eq!(OutlierStatus::parse("fraud"), Ok(OutlierStatus::Fraud));
    }

    #[test]
    fn billing_window_uses_local_days() {
        let tz = TimeZone::get("Asia/Singapore").unwrap();
        let w = BillingDateWindow {
            max_past_days: Some(30),
            max_future_days: 0,
        };
        let now = ts("2024-06-15T04:00:00Z"); // 12:00 SGT
        assert!(w.check(now, now, &tz).is_ok());
        // Later today (23:30 local) is fine; tomorrow is not.
        assert!(w.check(ts("2024-06-15T15:30:00Z"), now, &tz).is_ok());
        let e = w.check(ts("2024-06-15T16:30:00Z"), now, &tz).unwrap_err();
        assert_eq!(e.code(), 644);
        // 30 local days back from 2024-06-15 is 2024-05-16.
        assert!(w.check(ts("2024-05-15T16:00:00Z"), now, &tz).is_ok());
        let e = w.check(ts("2024-05-15T15:59:59Z"), now, &tz).unwrap_err();
        assert_eq!(e.code(), 643);
        let e = w.check(ts("1970-01-01T00:00:00Z"), now, &tz).unwrap_err();
        assert_eq!(e.code(), 621);
        assert!(BillingDateWindow::default()
            .check(ts("2005-01-01T00:00:00Z"), now, &tz)
            .is_ok());
    }

    #[test]
    fn bill_number_rules() {
        let u = BillNumberUniqueness {
            scope: BillNumberScope::Store,
            unique_in_days: Some(10),
        };
        let t = ts("2024-06-15T00:00:00Z");
        assert!(u.clashes(ts("2024-06-06T00:00:01Z"), t));
        assert!(!u.clashes(ts("2024-06-05T00:00:00Z"), t));
        assert_eq!(u.window_start(t), Some(ts("2024-06-05T00:00:00Z")));
        let forever = BillNumberUniqueness {
            scope: BillNumberScope::Org,
            unique_in_days: None,
        };
        assert!(forever.clashes(ts("2001-01-01T00:00:00Z"), t));
        assert_eq!(forever.window_start(t), None);
        assert_eq!(LoyaltyError::DuplicateBill.code(), 604);
        assert!(check_bill_number("num-1234").is_ok());
        assert_eq!(check_bill_number(" ").unwrap_err().code(), 602);
        assert!(check_return_dates(t, ts("2024-06-14T00:00:00Z")).is_err());
    }
}
