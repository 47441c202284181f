//! How a domain error is classified. Each context has its own error enum; it tells the
//! Capillary code and the class, and the server maps the class to HTTP in one place.

/// The broad kind of failure, independent of transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The request itself is wrong (validation, unknown enum value, malformed input).
    Invalid,
    /// Credentials missing or wrong.
    Unauthenticated,
    /// Authenticated, but not allowed to do this.
    Forbidden,
    /// The thing asked for does not exist (in this org).
    NotFound,
    /// The request conflicts with current state (duplicate, repeated bill, terminal status).
    Conflict,
    /// Too many requests.
    RateLimited,
    /// Our fault; never the caller's input.
    Internal,
}

/// Implemented by every context's error type.
pub trait CodedError: std::error::Error {
    /// The Capillary application code (e.g. 8015, 1001, 604).
    fn code(&self) -> u32;
    fn class(&self) -> ErrorClass;
}

/// Capillary's codes for what went well, reported with each item of a batch and in v1.1
/// status blocks. Failures carry their codes in each context's error enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Success {
    /// A whole request, or one item, succeeded.
    Done,
    /// Some items of a batch failed (the batch still answers).
    SomeFailed,
    /// A customer named by a batch item was found.
    CustomerRetrieved,
    /// An org entity search matched.
    EntityFound,
    /// Points can be redeemed.
    PointsRedeemable,
    PointsRedeemed,
    GoodwillAdded,
    RequestUpdated,
    /// A coupon was redeemed (or issued).
    CouponProcessed,
    /// Coupons were checked for redeemability.
    CouponChecked,
    /// An SMS was accepted (queued) or fetched.
    SmsDone,
    /// An email was accepted (queued) or fetched.
    EmailDone,
}

impl Success {
    pub fn code(self) -> u32 {
        match self {
            Self::Done => 200,
            Self::SomeFailed => 201,
            Self::CustomerRetrieved => 1000,
            Self::EntityFound => 3200,
            Self::PointsRedeemable | Self::PointsRedeemed => 800,
            Self::GoodwillAdded => 9100,
            Self::RequestUpdated => 9000,
            Self::CouponProcessed | Self::CouponChecked => 700,
            Self::SmsDone => 4100,
            Self::EmailDone => 4200,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Done => "Success",
            Self::SomeFailed => "Some requests have failed due to errors",
            Self::CustomerRetrieved => "Customer successfully retrieved",
            Self::EntityFound => "Entity search successful",
            Self::PointsRedeemable => "Points can be redeemed",
            Self::PointsRedeemed => "Points redeemed successfully",
            Self::GoodwillAdded => "Goodwill request added successfully",
            Self::RequestUpdated => "Request updated successfully",
            Self::CouponProcessed => "Coupon processing successful",
            Self::CouponChecked => "Coupon isRedeem successful",
            Self::SmsDone => "Message sent successfully",
            Self::EmailDone => "Email sent successfully",
        }
    }
}
