//! The incentives context's errors, each with its Capillary code (spec §4.3: the v1.1
//! coupon codes, which v2 reports inside `redemptionStatus`). Where the documentation has
//! no code, the one Fidelis uses is listed in docs/incentives.md.

use rust_decimal::Decimal;

use crate::error::{CodedError, ErrorClass};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncentivesError {
    // --- series -------------------------------------------------------------------------
    #[error("Invalid coupon series: {0}")]
    InvalidSeries(String),
    #[error("Coupon series not found")]
    SeriesNotFound,
    #[error("Coupon series code already exists: {0}")]
    SeriesCodeExists(String),
    #[error("Code {0} is already in use in this org")]
    CodeTaken(String),
    #[error("Coupon series has expired or is inactive")]
    SeriesExpired,
    #[error("The coupon series has issued its maximum of {0} coupons")]
    MaxIssued(u32),
    #[error("The customer already holds the maximum of {0} coupons of this series")]
    MaxIssuedToCustomer(u32),
    #[error("Promo codes are not issued: the code is public")]
    PromoNotIssued,

    // --- redemption -----------------------------------------------------------------------
    #[error("Customer not found")]
    CustomerNotFound,
    #[error("Invalid coupon code")]
    InvalidCode,
    #[error("Coupon is not issued to this customer")]
    NotIssuedToCustomer,
    #[error("Coupon already redeemed")]
    AlreadyRedeemed,
    #[error("Coupon has expired")]
    CouponExpired,
    #[error("Coupon series has reached its maximum of {0} redemptions")]
    MaxRedemptionsReached(u32),
    #[error("Cannot redeem the same coupon multiple times")]
    SameCouponTwice,
    #[error("Transaction number is required")]
    TransactionNumberRequired,
    #[error("Customer has reached the maximum of {0} redemptions in this series")]
    MaxRedemptionsPerCustomer(u32),
    #[error("Coupon is not redeemable before {0}")]
    NotYetValid(String),
    #[error("Invalid redemption date: it lies in the future")]
    RedemptionInFuture,
    #[error("Invalid redemption date: it is before the code was issued")]
    RedemptionBeforeIssue,
    #[error("Invalid transaction amount {amount}: {reason}")]
    InvalidBillAmount { amount: Decimal, reason: String },
    #[error("Coupon is not redeemable at this store")]
    NotRedeemableHere,
    #[error("Gift voucher has no balance left")]
    VoucherExhausted,
    #[error("Customer is marked as fraud")]
    CustomerFraud,
    #[error("Redemption not found: {0}")]
    RedemptionNotFound(i64),
    #[error("Redemption {0} was already reactivated")]
    AlreadyReactivated(i64),

    // --- requests as a whole -------------------------------------------------------------
    #[error("Invalid input: {0}")]
    InvalidInput(String),
    #[error("At most {0} items in one request")]
    TooMany(usize),
}

impl CodedError for IncentivesError {
    fn code(&self) -> u32 {
        use IncentivesError::*;
        match self {
            InvalidSeries(_) | InvalidInput(_) | TooMany(_) => 400,
            SeriesNotFound => 707,
            SeriesCodeExists(_) | CodeTaken(_) => 400,
            SeriesExpired => 712,
            // 722: "Unable to issue coupon".
            MaxIssued(_) => 722,
            MaxIssuedToCustomer(_) => 722,
            PromoNotIssued => 707,
            CustomerNotFound => 701,
            InvalidCode => 702,
            NotIssuedToCustomer => 703,
            AlreadyRedeemed => 711,
            CouponExpired => 713,
            MaxRedemptionsReached(_) => 714,
            SameCouponTwice => 716,
            TransactionNumberRequired => 718,
            MaxRedemptionsPerCustomer(_) => 728,
            NotYetValid(_) => 729,
            RedemptionInFuture | RedemptionBeforeIssue => 739,
            InvalidBillAmount { .. } => 733,
            NotRedeemableHere => 735,
            VoucherExhausted => 736,
            CustomerFraud => 740,
            RedemptionNotFound(_) => 702,
            AlreadyReactivated(_) => 706,
        }
    }

    fn class(&self) -> ErrorClass {
        use IncentivesError::*;
        match self {
            SeriesNotFound | CustomerNotFound | RedemptionNotFound(_) => ErrorClass::NotFound,
            SeriesCodeExists(_)
            | CodeTaken(_)
            | SeriesExpired
            | MaxIssued(_)
            | MaxIssuedToCustomer(_)
            | AlreadyRedeemed
            | CouponExpired
            | MaxRedemptionsReached(_)
            | SameCouponTwice
            | MaxRedemptionsPerCustomer(_)
            | NotYetValid(_)
            | NotRedeemableHere
            | VoucherExhausted
            | CustomerFraud
            | AlreadyReactivated(_)
            | NotIssuedToCustomer => ErrorClass::Conflict,
            InvalidSeries(_)
            | PromoNotIssued
            | InvalidCode
            | TransactionNumberRequired
            | RedemptionInFuture
            | RedemptionBeforeIssue
            | InvalidBillAmount { .. }
            | InvalidInput(_)
            | TooMany(_) => ErrorClass::Invalid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_coupon_catalogue() {
        assert_eq!(IncentivesError::AlreadyRedeemed.code(), 711);
        assert_eq!(IncentivesError::SameCouponTwice.code(), 716);
        assert_eq!(IncentivesError::NotRedeemableHere.code(), 735);
        assert_eq!(IncentivesError::CouponExpired.code(), 713);
        assert_eq!(
            IncentivesError::SeriesNotFound.class(),
            ErrorClass::NotFound
        );
        assert_eq!(IncentivesError::InvalidCode.class(), ErrorClass::Invalid);
    }
}
