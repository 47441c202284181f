//! The identity context's errors. OAuth endpoints render them as RFC 6749 §5.2 `error`
//! values (`oauth_error`); the wrapper API as RFC 6750 bearer errors.

use crate::error::{CodedError, ErrorClass};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("unknown organisation")]
    UnknownOrg,
    /// Unknown, inactive or wrongly authenticated client.
    #[error("client authentication failed")]
    InvalidClient,
    /// A code, refresh token or verifier that is invalid, expired, spent or not this
    /// client's.
    #[error("{0}")]
    InvalidGrant(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidScope(String),
    #[error("unsupported grant_type")]
    UnsupportedGrantType,
    #[error("unsupported response_type: only `code` is supported")]
    UnsupportedResponseType,
    /// The sign-in page's request is unknown, expired or already finished.
    #[error("this sign-in request has expired or is unknown; start again from the app")]
    RequestExpired,
    #[error("the form is not valid for this sign-in request; start again from the app")]
    Csrf,
    #[error("no customer is registered with this mobile number or email")]
    NotRegistered,
    #[error("enter a mobile number or an email address")]
    InvalidIdentifier,
    #[error("the code is wrong; {remaining} tries left")]
    WrongOtp { remaining: i64 },
    /// Expired, used, superseded or out of tries.
    #[error("the code is no longer valid; ask for a new one")]
    OtpDead,
    #[error("a code was sent moments ago; wait {0} seconds before asking again")]
    OtpCooldown(i64),
    #[error("too many codes were asked for; try again later")]
    OtpLimit,
    #[error("the access token is invalid, expired or revoked")]
    InvalidToken,
    #[error("the access token does not carry the `{0}` scope")]
    InsufficientScope(String),
    #[error("no partner client `{0}` in this org")]
    UnknownClient(String),
    #[error("a partner client `{0}` already exists")]
    ClientExists(String),
    /// Changes to a client the org file declares go through the file.
    #[error(
        "partner client `{0}` is declared in the org file; change it there and apply the file"
    )]
    ManagedByFile(String),
    #[error("invalid identity configuration: {0}")]
    Corrupt(String),
}

impl IdentityError {
    /// The RFC 6749 / RFC 6750 `error` value.
    pub fn oauth_error(&self) -> &'static str {
        match self {
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::InvalidScope(_) => "invalid_scope",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::OtpLimit | Self::OtpCooldown(_) => "slow_down",
            Self::Corrupt(_) => "server_error",
            _ => "invalid_request",
        }
    }
}

impl CodedError for IdentityError {
    fn code(&self) -> u32 {
        match self {
            Self::UnknownOrg => 1601,
            Self::InvalidClient => 1602,
            Self::InvalidGrant(_) => 1603,
            Self::InvalidRequest(_) => 1604,
            Self::InvalidScope(_) => 1605,
            Self::UnsupportedGrantType => 1606,
            Self::UnsupportedResponseType => 1607,
            Self::RequestExpired => 1608,
            Self::Csrf => 1609,
            Self::NotRegistered => 1610,
            Self::InvalidIdentifier => 1611,
            Self::WrongOtp { .. } => 1612,
            Self::OtpDead => 1613,
            Self::OtpCooldown(_) => 1614,
            Self::OtpLimit => 1615,
            Self::InvalidToken => 1616,
            Self::InsufficientScope(_) => 1617,
            Self::UnknownClient(_) => 1618,
            Self::ClientExists(_) => 1619,
            Self::ManagedByFile(_) => 1620,
            Self::Corrupt(_) => 500,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            Self::UnknownOrg | Self::NotRegistered | Self::UnknownClient(_) => ErrorClass::NotFound,
            Self::ClientExists(_) | Self::ManagedByFile(_) => ErrorClass::Conflict,
            Self::InvalidClient | Self::InvalidToken => ErrorClass::Unauthenticated,
            Self::Csrf | Self::InsufficientScope(_) => ErrorClass::Forbidden,
            Self::OtpCooldown(_) | Self::OtpLimit => ErrorClass::RateLimited,
            Self::Corrupt(_) => ErrorClass::Internal,
            _ => ErrorClass::Invalid,
        }
    }
}
