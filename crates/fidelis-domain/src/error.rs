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
