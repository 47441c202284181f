//! Whether a code may be redeemed, and for how much: one pure function over the series'
//! rules, the code's state and the usage counts the store read under its row locks.

use jiff::Timestamp;
use rust_decimal::Decimal;

use super::series::{IncentiveKind, Place, SeriesRules};
use super::IncentivesError;
use crate::customers::CustomerId;

/// A code as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeState {
    pub issued_at: Timestamp,
    /// The customer it was issued to (`None` for a promo code).
    pub customer: Option<CustomerId>,
    pub valid_till: Option<Timestamp>,
    /// Redemptions not reactivated.
    pub redemptions: u32,
    /// A gift voucher's balance.
    pub balance: Option<Decimal>,
}

/// What the store counted, under the series' and the code's row locks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub series_active: bool,
    /// Redemptions of the whole series.
    pub series_redeemed: u32,
    /// Redemptions of this code by the redeeming customer.
    pub code_by_customer: u32,
    /// Redemptions in the series by the redeeming customer.
    pub series_by_customer: u32,
}

/// One redemption asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    pub customer: CustomerId,
    /// When it happened (`redemptionTime`, else now).
    pub at: Timestamp,
    pub bill_amount: Decimal,
    /// For a gift voucher: how much of it to spend (default: the bill amount).
    pub amount: Option<Decimal>,
    pub place: Place,
}

/// What a successful redemption takes: the discount (or the part of a voucher spent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Granted {
    pub amount: Decimal,
}

/// Checks one redemption, in the order a cashier would explain a refusal: the series, the
/// code's dates, where and by whom it is redeemed, how often, then the bill.
pub fn check(
    rules: &SeriesRules,
    code: &CodeState,
    usage: &Usage,
    ask: &Ask,
) -> Result<Granted, IncentivesError> {
    if !usage.series_active || !rules.running(ask.at) {
        return Err(IncentivesError::SeriesExpired);
    }
    if ask.at < code.issued_at {
        return Err(IncentivesError::RedemptionBeforeIssue);
    }
    if code.valid_till.is_some_and(|t| ask.at > t) {
        return Err(IncentivesError::CouponExpired);
    }
    if let Some(from) = rules.redemption_valid_from.filter(|f| ask.at < *f) {
        return Err(IncentivesError::NotYetValid(from.to_string()));
    }
    if !rules.redeemable_at.allows(&ask.place) {
        return Err(IncentivesError::NotRedeemableHere);
    }
    if !rules.any_user && code.customer.is_some_and(|c| c != ask.customer) {
        return Err(IncentivesError::NotIssuedToCustomer);
    }
    if !rules.multiple_use && code.redemptions > 0 {
        return Err(if usage.code_by_customer > 0 {
            IncentivesError::SameCouponTwice
        } else {
            IncentivesError::AlreadyRedeemed
        });
    }
    if !rules.same_user_multiple_redeem && usage.code_by_customer > 0 {
        return Err(IncentivesError::SameCouponTwice);
    }
    if let Some(max) = rules
        .max_redemptions_per_user
        .filter(|m| usage.series_by_customer >= *m)
    {
        return Err(IncentivesError::MaxRedemptionsPerCustomer(max));
    }
    if let Some(max) = rules.max_redeem.filter(|m| usage.series_redeemed >= *m) {
        return Err(IncentivesError::MaxRedemptionsReached(max));
    }
    check_bill(rules, ask.bill_amount)?;
    let amount = match rules.kind {
        IncentiveKind::GiftVoucher => {
            let balance = code.balance.unwrap_or(Decimal::ZERO);
            if balance <= Decimal::ZERO {
                return Err(IncentivesError::VoucherExhausted);
            }
            let wanted = ask.amount.unwrap_or(ask.bill_amount);
            if wanted <= Decimal::ZERO {
                return Err(IncentivesError::InvalidBillAmount {
                    amount: wanted,
                    reason: "the amount to spend must be positive".into(),
                });
            }
            wanted.min(balance)
        }
        IncentiveKind::Coupon | IncentiveKind::Promo => rules.discount(ask.bill_amount),
    };
    Ok(Granted { amount })
}

fn check_bill(rules: &SeriesRules, bill: Decimal) -> Result<(), IncentivesError> {
    let refuse = |reason: String| {
        Err(IncentivesError::InvalidBillAmount {
            amount: bill,
            reason,
        })
    };
    if bill < Decimal::ZERO {
        return refuse("it must not be negative".into());
    }
    if let Some(min) = rules.min_bill_amount.filter(|m| bill < *m) {
        return refuse(format!("the coupon needs a bill of at least {min}"));
    }
    if let Some(max) = rules.max_bill_amount.filter(|m| bill > *m) {
        return refuse(format!("the coupon applies to bills up to {max}"));
    }
    Ok(())
}

/// Redemptions still possible for the customer (`None`: unlimited), as `redemptionsLeft`.
pub fn redemptions_left(rules: &SeriesRules, code: &CodeState, usage: &Usage) -> Option<u32> {
    let mut left: Option<u32> = None;
    let mut cap = |n: u32| left = Some(left.map_or(n, |l| l.min(n)));
    if !rules.multiple_use {
        cap(u32::from(code.redemptions == 0));
    }
    if !rules.same_user_multiple_redeem {
        cap(u32::from(usage.code_by_customer == 0));
    }
    if let Some(m) = rules.max_redemptions_per_user {
        cap(m.saturating_sub(usage.series_by_customer));
    }
    if let Some(m) = rules.max_redeem {
        cap(m.saturating_sub(usage.series_redeemed));
    }
    left
}

/// The instant a redemption happened: `redemptionTime` when given (never in the future,
/// 739), else now.
pub fn redemption_instant(
    given: Option<Timestamp>,
    now: Timestamp,
) -> Result<Timestamp, IncentivesError> {
    match given {
        Some(t) if t > now => Err(IncentivesError::RedemptionInFuture),
        Some(t) => Ok(t),
        None => Ok(now),
    }
}

/// What incentives search says about a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStatus {
    /// Redeemable now (by its holder, or by anyone for promo codes and vouchers).
    Active,
    /// A single-use code that was used.
    Redeemed,
    /// Past its last valid instant, or its series ended.
    Expired,
    /// A voucher with no balance, or a series with no redemptions left.
    Exhausted,
    /// Not redeemable before `redemptionValidFrom`.
    NotYetValid,
    /// Its series was deactivated.
    Inactive,
}

impl CodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Redeemed => "redeemed",
            Self::Expired => "expired",
            Self::Exhausted => "exhausted",
            Self::NotYetValid => "notYetValid",
            Self::Inactive => "inactive",
        }
    }
}

/// A code's status at `now`.
pub fn code_status(
    rules: &SeriesRules,
    code: &CodeState,
    usage: &Usage,
    now: Timestamp,
) -> CodeStatus {
    if !usage.series_active {
        return CodeStatus::Inactive;
    }
    if !rules.running(now) || code.valid_till.is_some_and(|t| now > t) {
        return CodeStatus::Expired;
    }
    if rules.redemption_valid_from.is_some_and(|f| now < f) {
        return CodeStatus::NotYetValid;
    }
    if !rules.multiple_use && code.redemptions > 0 {
        return CodeStatus::Redeemed;
    }
    let empty_voucher = rules.kind == IncentiveKind::GiftVoucher
        && code.balance.unwrap_or(Decimal::ZERO) <= Decimal::ZERO;
    if empty_voucher || rules.max_redeem.is_some_and(|m| usage.series_redeemed >= m) {
        return CodeStatus::Exhausted;
    }
    CodeStatus::Active
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incentives::series::{DiscountType, Expiry, RedeemableAt};
    use crate::org::EntityId;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn ask(customer: i64, at: &str, bill: &str) -> Ask {
        Ask {
            customer: CustomerId::new(customer),
            at: ts(at),
            bill_amount: d(bill),
            amount: None,
            place: Place::default(),
        }
    }

    fn active() -> Usage {
        Usage {
            series_active: true,
            ..Usage::default()
        }
    }

    fn welcome() -> (SeriesRules, CodeState) {
        let mut r = SeriesRules::new(IncentiveKind::Coupon, DiscountType::Perc, d("10"));
        r.expiry = Expiry::Days(30);
        let code = CodeState {
            issued_at: ts("2026-11-25T04:00:00Z"),
            customer: Some(CustomerId::new(1)),
            valid_till: Some(ts("2026-12-25T15:59:59Z")),
            redemptions: 0,
            balance: None,
        };
        (r, code)
    }

    #[test]
    fn a_single_use_coupon_redeems_once_for_its_customer_until_its_last_second() {
        let (r, mut code) = welcome();
        let ok = check(&r, &code, &active(), &ask(1, "2026-12-25T15:59:00Z", "200")).unwrap();
        assert_eq!(ok.amount, d("20"));
        assert_eq!(
            check(&r, &code, &active(), &ask(1, "2026-12-25T16:00:00Z", "200")),
            Err(IncentivesError::CouponExpired)
        );
        assert_eq!(
            check(&r, &code, &active(), &ask(2, "2026-12-01T00:00:00Z", "200")),
            Err(IncentivesError::NotIssuedToCustomer)
        );
        assert_eq!(
            check(&r, &code, &active(), &ask(1, "2026-11-25T03:59:59Z", "200")),
            Err(IncentivesError::RedemptionBeforeIssue)
        );
        code.redemptions = 1;
        let mine = Usage {
            code_by_customer: 1,
            ..active()
        };
        assert_eq!(
            check(&r, &code, &mine, &ask(1, "2026-12-01T00:00:00Z", "200")),
            Err(IncentivesError::SameCouponTwice)
        );
        let mut anyone = r.clone();
        anyone.any_user = true;
        assert_eq!(
            check(
                &anyone,
                &code,
                &active(),
                &ask(2, "2026-12-01T00:00:00Z", "200")
            ),
            Err(IncentivesError::AlreadyRedeemed)
        );
    }

    #[test]
    fn limits_bills_places_and_dates() {
        let (mut r, code) = welcome();
        r.max_redeem = Some(5);
        let full = Usage {
            series_redeemed: 5,
            ..active()
        };
        let at = "2026-12-01T00:00:00Z";
        assert_eq!(
            check(&r, &code, &full, &ask(1, at, "10")),
            Err(IncentivesError::MaxRedemptionsReached(5))
        );
        r.max_redemptions_per_user = Some(2);
        let mine = Usage {
            series_by_customer: 2,
            ..active()
        };
        assert_eq!(
            check(&r, &code, &mine, &ask(1, at, "10")),
            Err(IncentivesError::MaxRedemptionsPerCustomer(2))
        );
        r.min_bill_amount = Some(d("100"));
        assert!(check(&r, &code, &active(), &ask(1, at, "10"))
            .unwrap_err()
            .to_string()
            .contains("at least 100"));
        r.min_bill_amount = None;
        r.redemption_valid_from = Some(ts("2026-12-02T00:00:00Z"));
        assert!(matches!(
            check(&r, &code, &active(), &ask(1, at, "10")),
            Err(IncentivesError::NotYetValid(_))
        ));
        r.redemption_valid_from = None;
        r.redeemable_at = RedeemableAt {
            stores: vec![EntityId::new(9)],
            ..Default::default()
        };
        assert_eq!(
            check(&r, &code, &active(), &ask(1, at, "10")),
            Err(IncentivesError::NotRedeemableHere)
        );
        assert_eq!(
            check(&r, &code, &Usage::default(), &ask(1, at, "10")),
            Err(IncentivesError::SeriesExpired)
        );
    }

    #[test]
    fn a_voucher_is_spent_in_parts_until_empty() {
        let r = SeriesRules::new(IncentiveKind::GiftVoucher, DiscountType::Abs, d("50"));
        let mut v = CodeState {
            issued_at: ts("2026-11-25T04:00:00Z"),
            customer: Some(CustomerId::new(1)),
            valid_till: None,
            redemptions: 3,
            balance: Some(d("7.5")),
        };
        let mut a = ask(2, "2026-12-01T00:00:00Z", "5");
        assert_eq!(check(&r, &v, &active(), &a).unwrap().amount, d("5"));
        a.amount = Some(d("20"));
        assert_eq!(check(&r, &v, &active(), &a).unwrap().amount, d("7.5"));
        v.balance = Some(Decimal::ZERO);
        assert_eq!(
            check(&r, &v, &active(), &a),
            Err(IncentivesError::VoucherExhausted)
        );
    }

    #[test]
    fn statuses_and_instants() {
        let (r, mut code) = welcome();
        let now = ts("2026-12-01T00:00:00Z");
        assert_eq!(code_status(&r, &code, &active(), now), CodeStatus::Active);
        assert_eq!(
            code_status(&r, &code, &active(), ts("2026-12-25T16:00:00Z")),
            CodeStatus::Expired
        );
        assert_eq!(
            code_status(&r, &code, &Usage::default(), now),
            CodeStatus::Inactive
        );
        code.redemptions = 1;
        assert_eq!(code_status(&r, &code, &active(), now), CodeStatus::Redeemed);
        assert_eq!(redemption_instant(None, now), Ok(now));
        assert_eq!(
            redemption_instant(Some(ts("2026-12-02T00:00:00Z")), now),
            Err(IncentivesError::RedemptionInFuture)
        );
    }

    #[test]
    fn redemptions_left_is_the_tightest_limit() {
        let (mut r, code) = welcome();
        assert_eq!(redemptions_left(&r, &code, &active()), Some(1));
        r.multiple_use = true;
        r.same_user_multiple_redeem = true;
        assert_eq!(redemptions_left(&r, &code, &active()), None);
        r.max_redemptions_per_user = Some(3);
        let u = Usage {
            series_by_customer: 1,
            ..active()
        };
        assert_eq!(redemptions_left(&r, &code, &u), Some(2));
    }
}
