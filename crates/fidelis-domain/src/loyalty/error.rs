//! The loyalty context's errors, each with its Capillary code.
//!
//! Codes come from the public API documentation (transactions 6xx, cards 30xx and 70x,
//! partner programs 20xx, requests 90xx). Where the documentation gives only a range
//! (e.g. "626–639 return rules"), the specific number Fidelis uses is listed in
//! docs/loyalty.md.

use rust_decimal::Decimal;

use crate::error::{CodedError, ErrorClass};

use super::cards::CardStatus;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoyaltyError {
    // --- configuration -------------------------------------------------------------------
    #[error("invalid loyalty configuration: {0}")]
    InvalidConfig(String),
    #[error("invalid program id")]
    ProgramNotFound,

    // --- transactions ----------------------------------------------------------------------
    #[error("invalid bill number")]
    InvalidBillNumber,
    #[error("invalid bill amount {0}: billAmount must not be negative")]
    InvalidBillAmount(Decimal),
    /// An amount that is no number (Capillary: "Invalid transaction amount").
    #[error("Invalid transaction amount: `{0}` is not a number")]
    AmountNotANumber(String),
    #[error("bill number already exists")]
    DuplicateBill,
    #[error("invalid transaction type: {0}")]
    InvalidTransactionType(String),
    #[error("invalid return type: {0}")]
    InvalidReturnType(String),
    #[error("invalid outlier status: {0}")]
    InvalidOutlierStatus(String),
    #[error("billing date out of range")]
    BillingDateOutOfRange,
    #[error("billing date is older than the allowed {max_past_days} days")]
    BillingDateTooOld { max_past_days: u32 },
    #[error("billing date is later than the allowed {max_future_days} days ahead")]
    BillingDateInFuture { max_future_days: u32 },
    #[error("return date is before the purchase date")]
    ReturnBeforePurchase,
    #[error("bill number does not exist")]
    BillNotFound,
    #[error("returned amount {requested} exceeds the amount still returnable {returnable}")]
    ReturnExceedsBill {
        requested: Decimal,
        returnable: Decimal,
    },
    #[error("bill has already been fully returned")]
    BillAlreadyReturned,
    #[error("returned amount must be positive")]
    InvalidReturnAmount,

    // --- points -------------------------------------------------------------------------
    #[error("points must be positive")]
    InvalidPoints,
    #[error("insufficient points: requested {requested}, available {available}")]
    InsufficientPoints {
        requested: Decimal,
        available: Decimal,
    },
    /// No validation code, a wrong, spent, expired or superseded one, or one out of tries.
    #[error("Unable to redeem. Validation code is invalid")]
    ValidationCodeInvalid,
    #[error("Missed call redemption is disabled for your organization")]
    MissedCallDisabled,
    #[error("Unable to issue OTP: the customer has no mobile number or email")]
    ValidationCodeNotIssued,

    // --- goodwill requests ----------------------------------------------------------------
    #[error("invalid request type: {0}")]
    InvalidRequestType(String),
    #[error("invalid request base type: {0}")]
    InvalidBaseType(String),
    #[error("goodwill reason is not one of the configured reasons: {0}")]
    InvalidGoodwillReason(String),
    #[error("request not found")]
    RequestNotFound,
    #[error("request is already {0}")]
    RequestAlreadyDecided(&'static str),
    #[error("the maker of a request cannot approve it")]
    MakerCannotCheck,
    #[error("coupon series is required for a coupon request")]
    CouponSeriesRequired,

    // --- cards ------------------------------------------------------------------------------
    #[error("card status change from {from:?} to {to:?} is not allowed")]
    CardTransitionNotAllowed { from: CardStatus, to: CardStatus },
    #[error("card number already exists")]
    CardNumberExists,
    #[error("card does not exist")]
    CardNotFound,
    #[error("card cannot be linked")]
    CardNotLinkable,
    #[error("maximum active cards per customer exceeded")]
    MaxActiveCardsExceeded,
    #[error("card generation is not enabled for this series")]
    CardGenerationDisabled,
    #[error("card series has run out of numbers")]
    CardNumbersExhausted,
    #[error("invalid card series: {0}")]
    InvalidCardSeries(String),
    #[error("series code empty")]
    CardSeriesCodeEmpty,
    #[error("series type is empty")]
    CardSeriesTypeEmpty,
    #[error("tier {0} does not exist in the program")]
    EnrolmentTierNotFound(u32),
    #[error("an enrolment expiry date must lie in the future")]
    EnrolmentExpiryInPast,
    #[error("already enrolled in the program; enrolment data ignored")]
    AlreadyEnrolled,
    #[error("card series not found")]
    CardSeriesNotFound,
    #[error("card series code already exists")]
    CardSeriesCodeExists,
    #[error("status label is invalid: {0}")]
    InvalidCardStatusLabel(String),
    #[error("card external id already exists")]
    CardExternalIdExists,
    #[error("card number and card external id name different cards")]
    CardIdentityMismatch,
    #[error("at most {0} cards in one request")]
    TooManyCards(u32),

    // --- partner programs ----------------------------------------------------------------
    #[error("partner tier expiry date is in the past")]
    PartnerTierExpiryInPast,
    #[error("customer is not linked to the partner program; link first")]
    PartnerNotLinked,
    #[error("customer is already linked to the partner program")]
    PartnerAlreadyLinked,
    #[error("customer must be enrolled in the loyalty program first")]
    NotEnrolledInLoyalty,
    #[error("partner program not found")]
    PartnerProgramNotFound,
    #[error("partner tier not found: {0}")]
    PartnerTierNotFound(String),
    #[error("a request may name at most {0} partner programs")]
    TooManyPartnerPrograms(usize),
    #[error("invalid update type: {0}; allowed UPGRADE, RENEW, DOWNGRADE")]
    InvalidPartnerUpdateType(String),
    #[error("the new tier does not match the update type {0}")]
    PartnerUpdateMismatch(&'static str),
    #[error("activity history interval must be shorter than one year")]
    HistoryIntervalTooLong,
    #[error("invalid activity type: {0}")]
    InvalidActivityType(String),
    #[error("supplementary memberships have no benefits")]
    NoBenefitsOnSupplementary,
    #[error("{0} is required")]
    PartnerFieldMissing(&'static str),
    #[error("no partner program activity found for the customer")]
    PartnerActivityNotFound,

    // --- requests as a whole -------------------------------------------------------------
    #[error("Invalid input: {0}")]
    InvalidInput(String),
    #[error("{field} is longer than {max} characters")]
    FieldTooLong { field: &'static str, max: usize },
    #[error("Customer identifier (identifierName and identifierValue) is required")]
    CustomerIdentifierRequired,
    #[error("Customer details not sent")]
    CustomerDetailsNotSent,
    #[error("No customer identifier given")]
    NoCustomerIdentifier,
    #[error("Transactions are blocked for this customer")]
    TransactionsBlocked,
    #[error("A batch holds 1 to {0} transactions")]
    TransactionBatchLimit(usize),
    #[error("Batch limit exceeded: at most {0} customers per request")]
    CustomerBatchLimit(usize),
    #[error("Customer is not registered")]
    GoodwillCustomerNotRegistered,
    #[error("No customer identifier given")]
    GoodwillNoIdentifier,
    /// A warning of card generation: some numbers of the range were taken already.
    #[error("Few Card numbers already exists")]
    CardNumbersExisted,
}

impl CodedError for LoyaltyError {
    fn code(&self) -> u32 {
        use LoyaltyError::*;
        match self {
            InvalidConfig(_) => 400,
            ProgramNotFound => 1101,
            InvalidBillNumber => 602,
            // "Transaction amount cannot be negative."
            InvalidBillAmount(_) => 631,
            AmountNotANumber(_) => 601,
            DuplicateBill => 604,
            InvalidTransactionType(_) => 605,
            InvalidReturnType(_) => 626,
            InvalidOutlierStatus(_) => 400,
            BillingDateOutOfRange => 621,
            // Capillary: 643 "exceeds the accepted future date limit", 644 "cannot be
            // less than the accepted past date limit".
            BillingDateTooOld { .. } => 644,
            BillingDateInFuture { .. } => 643,
            ReturnBeforePurchase => 624,
            BillNotFound => 625,
            ReturnExceedsBill { .. } => 627,
            BillAlreadyReturned => 628,
            InvalidReturnAmount => 629,
            InvalidPoints => 400,
            InsufficientPoints { .. } => 813,
            ValidationCodeInvalid => 808,
            MissedCallDisabled => 823,
            ValidationCodeNotIssued => 860,
            InvalidRequestType(_) => 9006,
            InvalidBaseType(_) => 9008,
            InvalidGoodwillReason(_) => 9009,
            RequestNotFound => 9013,
            RequestAlreadyDecided(_) => 9014,
            MakerCannotCheck => 9015,
            CouponSeriesRequired => 9010,
            CardTransitionNotAllowed { .. } => 3013,
            CardNumberExists => 3009,
            CardNotFound => 3010,
            CardNotLinkable => 3027,
            MaxActiveCardsExceeded => 3036,
            CardGenerationDisabled => 703,
            CardNumbersExhausted => 702,
            InvalidCardSeries(_) => 3000,
            CardSeriesCodeEmpty => 3001,
            CardSeriesTypeEmpty => 3003,
            EnrolmentTierNotFound(_) => 1102,
            AlreadyEnrolled => 1103,
            EnrolmentExpiryInPast => 1104,
            CardSeriesNotFound => 3004,
            CardSeriesCodeExists => 3002,
            InvalidCardStatusLabel(_) => 3017,
            CardExternalIdExists => 3045,
            CardIdentityMismatch => 3046,
            TooManyCards(_) => 1060,
            PartnerTierExpiryInPast => 2003,
            PartnerNotLinked => 2004,
            PartnerAlreadyLinked | NotEnrolledInLoyalty => 2005,
            PartnerProgramNotFound => 2006,
            PartnerTierNotFound(_) => 2007,
            TooManyPartnerPrograms(_) => 2008,
            InvalidPartnerUpdateType(_) | PartnerUpdateMismatch(_) => 2009,
            HistoryIntervalTooLong => 2013,
            InvalidActivityType(_) => 2014,
            NoBenefitsOnSupplementary => 2018,
            PartnerFieldMissing(_) => 2002,
            PartnerActivityNotFound => 2011,
            InvalidInput(_) | NoCustomerIdentifier => 400,
            FieldTooLong { .. } => 685,
            CustomerIdentifierRequired => 606,
            CustomerDetailsNotSent => 8084,
            TransactionsBlocked => 681,
            TransactionBatchLimit(_) => 672,
            CustomerBatchLimit(_) => 1060,
            GoodwillCustomerNotRegistered => 9011,
            GoodwillNoIdentifier => 9019,
            CardNumbersExisted => 3059,
        }
    }

    fn class(&self) -> ErrorClass {
        use LoyaltyError::*;
        match self {
            ProgramNotFound
            | BillNotFound
            | RequestNotFound
            | CardNotFound
            | CardSeriesNotFound
            | PartnerProgramNotFound
            | PartnerTierNotFound(_)
            | PartnerActivityNotFound => ErrorClass::NotFound,
            DuplicateBill
            | BillAlreadyReturned
            | InsufficientPoints { .. }
            | RequestAlreadyDecided(_)
            | CardTransitionNotAllowed { .. }
            | CardNumberExists
            | CardSeriesCodeExists
            | CardExternalIdExists
            | AlreadyEnrolled
            | CardNotLinkable
            | MaxActiveCardsExceeded
            | CardNumbersExhausted
            | PartnerNotLinked
            | PartnerAlreadyLinked
            | NotEnrolledInLoyalty => ErrorClass::Conflict,
            MakerCannotCheck => ErrorClass::Forbidden,
            GoodwillCustomerNotRegistered => ErrorClass::NotFound,
            TransactionsBlocked => ErrorClass::Conflict,
            InvalidConfig(_)
            | InvalidBillNumber
            | InvalidBillAmount(_)
            | AmountNotANumber(_)
            | InvalidTransactionType(_)
            | InvalidReturnType(_)
            | InvalidOutlierStatus(_)
            | BillingDateOutOfRange
            | BillingDateTooOld { .. }
            | BillingDateInFuture { .. }
            | ReturnBeforePurchase
            | ReturnExceedsBill { .. }
            | InvalidReturnAmount
            | InvalidPoints
            | ValidationCodeInvalid
            | MissedCallDisabled
            | ValidationCodeNotIssued
            | InvalidRequestType(_)
            | InvalidBaseType(_)
            | InvalidGoodwillReason(_)
            | CouponSeriesRequired
            | CardGenerationDisabled
            | InvalidCardSeries(_)
            | CardSeriesCodeEmpty
            | CardSeriesTypeEmpty
            | EnrolmentTierNotFound(_)
            | EnrolmentExpiryInPast
            | InvalidCardStatusLabel(_)
            | CardIdentityMismatch
            | TooManyCards(_)
            | PartnerTierExpiryInPast
            | TooManyPartnerPrograms(_)
            | InvalidPartnerUpdateType(_)
            | PartnerUpdateMismatch(_)
            | HistoryIntervalTooLong
            | InvalidActivityType(_)
            | NoBenefitsOnSupplementary
            | PartnerFieldMissing(_)
            | InvalidInput(_)
            | FieldTooLong { .. }
            | CustomerIdentifierRequired
            | CustomerDetailsNotSent
            | NoCustomerIdentifier
            | TransactionBatchLimit(_)
            | CustomerBatchLimit(_)
            | GoodwillNoIdentifier => ErrorClass::Invalid,
            CardNumbersExisted => ErrorClass::Conflict,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_classes_follow_the_spec() {
        assert_eq!(LoyaltyError::DuplicateBill.code(), 604);
        assert_eq!(LoyaltyError::DuplicateBill.class(), ErrorClass::Conflict);
        let e = LoyaltyError::CardTransitionNotAllowed {
            from: CardStatus::Expired,
            to: CardStatus::Deleted,
        };
        assert_eq!(e.code(), 3013);
        assert_eq!(LoyaltyError::PartnerTierExpiryInPast.code(), 2003);
        assert_eq!(LoyaltyError::PartnerNotLinked.code(), 2004);
        assert_eq!(
            LoyaltyError::PartnerProgramNotFound.class(),
            ErrorClass::NotFound
        );
        assert_eq!(
            LoyaltyError::BillingDateTooOld { max_past_days: 1 }.code(),
            644
        );
        assert_eq!(LoyaltyError::InvalidBaseType("X".into()).code(), 9008);
    }
}
