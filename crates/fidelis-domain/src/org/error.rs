//! Failures of the org context: authentication, attribution and org reads.

use crate::error::{CodedError, ErrorClass};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgError {
    /// Missing, malformed or wrong credentials, an unknown till or client, an expired token.
    #[error("Authentication failed")]
    Unauthenticated,
    /// Too many wrong secrets for one till or API key within the window.
    #[error("Too many failed authentication attempts; try again later")]
    TooManyFailures,
    /// The API client may not use this resource this way.
    #[error("This API client has no {access} access to {resource}")]
    NotPermitted {
        access: &'static str,
        resource: String,
    },
    #[error("Attribution lookup value given without X-CAP-API-ATTRIBUTION-LOOKUP-TYPE")]
    AttributionTypeMissing,
    #[error("Invalid attribution lookup type {0}; use TILL or STORE_CODE")]
    InvalidAttributionType(String),
    #[error("No active {kind} with code {code}")]
    AttributionNotFound { kind: &'static str, code: String },
    #[error("Till not found")]
    TillNotFound,
    #[error("Configuration {0} is not set")]
    SettingNotFound(String),
    #[error("Invalid input: {0}")]
    InvalidInput(String),
}

impl CodedError for OrgError {
    fn code(&self) -> u32 {
        match self {
            Self::Unauthenticated => 401,
            Self::TooManyFailures => 429,
            Self::NotPermitted { .. } => 403,
            Self::AttributionTypeMissing => 1061,
            Self::InvalidAttributionType(_)
            | Self::AttributionNotFound { .. }
            | Self::InvalidInput(_) => 400,
            Self::TillNotFound | Self::SettingNotFound(_) => 404,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            Self::Unauthenticated => ErrorClass::Unauthenticated,
            Self::TooManyFailures => ErrorClass::RateLimited,
            Self::NotPermitted { .. } => ErrorClass::Forbidden,
            Self::AttributionTypeMissing
            | Self::InvalidAttributionType(_)
            | Self::AttributionNotFound { .. }
            | Self::InvalidInput(_) => ErrorClass::Invalid,
            Self::TillNotFound | Self::SettingNotFound(_) => ErrorClass::NotFound,
        }
    }
}
