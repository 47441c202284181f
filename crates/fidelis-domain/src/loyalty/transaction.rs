//! Transaction rules: types, return types, the bill to be recorded and its checks, the
//! billing-date window, bill-number uniqueness and outlier marking.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::LoyaltyError;
use super::ledger::Actor;
use super::program::ProgramId;
use super::time::{add_days, local_date};
use crate::customers::CustomerId;
use crate::org::EntityId;

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

    /// Bills that take their number for the uniqueness window (604 on a repeat). A
    /// NOT_INTERESTED_RETURN, like a RETURN, reuses the number of the bill it returns.
    pub fn claims_bill_number(self) -> bool {
        matches!(self, Self::Regular | Self::NotInterested)
    }
}

/// A bill to be recorded: a REGULAR bill of a registered customer (it earns), or a
/// NOT_INTERESTED / NOT_INTERESTED_RETURN bill kept for reporting.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBill {
    /// 0: no customer (a NOT_INTERESTED bill that names none).
    pub customer_id: CustomerId,
    /// `None`: the org's default program.
    pub program_id: Option<ProgramId>,
    pub bill_number: String,
    pub store_id: Option<EntityId>,
    pub till_id: Option<EntityId>,
    pub billed_at: Timestamp,
    /// The net amount (`billAmount`).
    pub amount: Decimal,
    pub outlier_status: OutlierStatus,
    pub actor: Actor,
    /// The JSON document of what else the bill carried (line items, notes…), echoed on reads.
    pub details: String,
}

impl NewBill {
    /// The checks every bill passes before anything about it is written: its number
    /// (602), its amount (400) and its billing date against the org's window in the org's
    /// zone (621, 644, 643).
    pub fn check(
        &self,
        window: &BillingDateWindow,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Result<(), LoyaltyError> {
        check_bill_number(&self.bill_number)?;
        check_bill_amount(self.amount)?;
        window.check(self.billed_at, now, tz)
    }

    /// The number as stored and compared: surrounding blanks are not part of it.
    pub fn number(&self) -> &str {
        self.bill_number.trim()
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
    /// implausible date, 644 too old, 643 too far ahead.
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

/// `CONF_LOYALTY_BILL_NUMBER_UNIQUE_IN_DAYS`: a bill number may not repeat within the
/// window (error 604) among the bills of its scope. This type decides the scope and the
/// window; storage claims the number atomically with exactly those values, so two bills
/// racing for one number are told apart by the database.
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
    /// Which bills a number must differ from: those of the same store, till or org.
    /// A bill without a store (or till) shares the scope of every other such bill.
    pub fn scope_key(&self, store_id: Option<EntityId>, till_id: Option<EntityId>) -> String {
        match self.scope {
            BillNumberScope::Org => "org".into(),
            BillNumberScope::Store => format!("store:{}", store_id.map_or(0, EntityId::get)),
            BillNumberScope::Till => format!("till:{}", till_id.map_or(0, EntityId::get)),
        }
    }

    /// With `window_end`, the window around a bill billed at `billing`: an earlier bill
    /// with the same number (same scope) clashes when it was billed strictly between the
    /// two. `None`: no bound on that side (unique forever).
    pub fn window_start(&self, billing: Timestamp) -> Option<Timestamp> {
        let days = self.window()?;
        Some(billing.checked_sub(days).unwrap_or(Timestamp::MIN))
    }

    /// See `window_start`.
    pub fn window_end(&self, billing: Timestamp) -> Option<Timestamp> {
        let days = self.window()?;
        Some(billing.checked_add(days).unwrap_or(Timestamp::MAX))
    }

    fn window(&self) -> Option<jiff::SignedDuration> {
        let days = self.unique_in_days?;
        Some(jiff::SignedDuration::from_hours(24 * i64::from(days)))
    }
}

/// A bill amount is the net amount paid; it is never negative (a refund is a return).
pub fn check_bill_amount(amount: Decimal) -> Result<(), LoyaltyError> {
    if amount < Decimal::ZERO {
        Err(LoyaltyError::InvalidBillAmount(amount))
    } else {
        Ok(())
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
        assert_eq!(e.code(), 643);
        // 30 local days back from 2024-06-15 is 2024-05-16.
        assert!(w.check(ts("2024-05-15T16:00:00Z"), now, &tz).is_ok());
        let e = w.check(ts("2024-05-15T15:59:59Z"), now, &tz).unwrap_err();
        assert_eq!(e.code(), 644);
        let e = w.check(ts("1970-01-01T00:00:00Z"), now, &tz).unwrap_err();
        assert_eq!(e.code(), 621);
        assert!(BillingDateWindow::default()
            .check(ts("2005-01-01T00:00:00Z"), now, &tz)
            .is_ok());
    }

    #[test]
    fn bill_number_window_and_scope() {
        let u = BillNumberUniqueness {
            scope: BillNumberScope::Store,
            unique_in_days: Some(10),
        };
        let t = ts("2024-06-15T00:00:00Z");
        // Bills strictly inside (start, end) clash; ones exactly 10 days away do not.
        assert_eq!(u.window_start(t), Some(ts("2024-06-05T00:00:00Z")));
        assert_eq!(u.window_end(t), Some(ts("2024-06-25T00:00:00Z")));
        assert_eq!(
            u.scope_key(Some(EntityId::new(7)), Some(EntityId::new(3))),
            "store:7"
        );
        assert_eq!(u.scope_key(None, Some(EntityId::new(3))), "store:0");
        let till = BillNumberUniqueness {
            scope: BillNumberScope::Till,
            ..u
        };
        assert_eq!(
            till.scope_key(Some(EntityId::new(7)), Some(EntityId::new(3))),
            "till:3"
        );
        let forever = BillNumberUniqueness {
            scope: BillNumberScope::Org,
            unique_in_days: None,
        };
        assert_eq!(forever.window_start(t), None);
        assert_eq!(forever.window_end(t), None);
        assert_eq!(
            forever.scope_key(Some(EntityId::new(7)), Some(EntityId::new(3))),
            "org"
        );
        // The window saturates instead of overflowing.
        let huge = BillNumberUniqueness {
            scope: BillNumberScope::Org,
            unique_in_days: Some(u32::MAX),
        };
        assert_eq!(huge.window_start(t), Some(Timestamp::MIN));
        assert_eq!(huge.window_end(t), Some(Timestamp::MAX));
        assert_eq!(LoyaltyError::DuplicateBill.code(), 604);
        assert!(check_return_dates(t, ts("2024-06-14T00:00:00Z")).is_err());
        assert!(TransactionType::NotInterested.claims_bill_number());
        assert!(!TransactionType::NotInterestedReturn.claims_bill_number());
    }

    fn new_bill(number: &str, amount: &str) -> NewBill {
        NewBill {
            customer_id: CustomerId::new(1),
            program_id: None,
            bill_number: number.into(),
            store_id: Some(EntityId::new(1)),
            till_id: None,
            billed_at: ts("2024-06-15T04:00:00Z"),
            amount: amount.parse().unwrap(),
            outlier_status: OutlierStatus::Normal,
            actor: Actor::system(),
            details: "{}".into(),
        }
    }

    #[test]
    fn a_bill_is_checked_for_number_amount_and_date() {
        let tz = TimeZone::get("Asia/Singapore").unwrap();
        let now = ts("2024-06-15T04:00:00Z");
        let w = BillingDateWindow::default();
        assert!(new_bill("num-1234", "0").check(&w, now, &tz).is_ok());
        assert_eq!(new_bill(" num-1 ", "1").number(), "num-1");
        let code = |b: NewBill| b.check(&w, now, &tz).unwrap_err().code();
        assert_eq!(code(new_bill(" ", "1")), 602);
        assert_eq!(code(new_bill(&"x".repeat(51), "1")), 602);
        assert!(new_bill(&"é".repeat(50), "1").check(&w, now, &tz).is_ok());
        assert_eq!(code(new_bill("a\tb", "1")), 602);
        let e = new_bill("n", "-0.01").check(&w, now, &tz).unwrap_err();
        assert_eq!(e.code(), 631);
        assert!(e.to_string().contains("billAmount"), "{e}");
        let mut late = new_bill("n", "1");
        late.billed_at = ts("2024-06-16T16:00:00Z");
        assert_eq!(code(late), 643);
    }
}
