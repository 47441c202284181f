//! The Auth Engine (Capillary's customer authentication for a brand's own apps):
//! `token/generate` opens a 15-minute session with a VIEW token, `otp/generate` sends a
//! code for the session, `otp/validate` turns a right code into a USER token (and, for
//! mobile apps, a `key` that regenerates tokens), `token/regenerate` issues a new USER
//! token from the key (mobile) or the last token (web). Errors carry Capillary's 15xx
//! codes (capillary-api.md §9.2).

use jiff::SignedDuration;

use crate::error::{CodedError, ErrorClass};

/// How long a session from `token/generate` lives.
pub const SESSION_TTL: SignedDuration = SignedDuration::from_secs(15 * 60);
/// How long a USER token lives.
pub const USER_TOKEN_TTL: SignedDuration = SignedDuration::from_secs(15 * 60);
/// How long a mobile `key` regenerates tokens ("non-expiring": ten years).
pub const KEY_TTL: SignedDuration = SignedDuration::from_hours(10 * 365 * 24);
/// How long a web sign-in may be kept alive by regenerating its token.
pub const WEB_FAMILY_TTL: SignedDuration = SignedDuration::from_hours(30 * 24);

/// The client name Auth Engine tokens carry (mobile apps, web apps).
pub const MOBILE_CLIENT: &str = "auth-engine";
pub const WEB_CLIENT: &str = "auth-engine-web";
/// The scopes of a USER token on the wrapper API: the customer's own data.
pub const USER_SCOPES: &str = "coupons points profile";

/// Prefixes of the session id, the VIEW token and the mobile key.
pub const SESSION_PREFIX: &str = "D-";
pub const VIEW_PREFIX: &str = "fid_vt_";
pub const KEY_PREFIX: &str = "fid_ak_";
/// The token kind of a mobile key (beside OAuth's `access` and `refresh`).
pub const KEY_KIND: &str = "ae_key";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthEngineError {
    #[error("Unable to generate OTP: {0}")]
    OtpNotGenerated(String),
    #[error("Invalid session.")]
    InvalidSession,
    #[error("Invalid OTP.")]
    InvalidOtp,
    #[error("Device ID does not match with the device ID used to generate token/session.")]
    DeviceMismatch,
    #[error("User does not exist.")]
    UserNotFound,
    #[error("Reached the maximum allowed OTP retry attempts, Authenticate form the start.")]
    MaxRetries,
    #[error("Invalid details passed: {0}")]
    InvalidDetails(String),
    #[error("Password is not enabled for the brand.")]
    PasswordNotEnabled,
    #[error("Cannot regenerate token, please authenticate again.")]
    CannotRegenerate,
    #[error("Token has expired.")]
    TokenExpired,
    #[error("Reached the maximum number of OTPs allowed per customer.")]
    MaxOtps,
    #[error("OTP is not generated for the provided details. Please generate OTP and try again.")]
    NoOtp,
    #[error("Identifier used to generate session does not match with the identifier used to generate or validate OTP.")]
    IdentifierMismatch,
    #[error("Invalid identifierType passed.")]
    InvalidIdentifierType,
}

impl CodedError for AuthEngineError {
    fn code(&self) -> u32 {
        match self {
            Self::OtpNotGenerated(_) => 1503,
            Self::InvalidSession => 1505,
            Self::InvalidOtp => 1506,
            Self::DeviceMismatch => 1508,
            Self::UserNotFound => 1515,
            Self::MaxRetries => 1518,
            Self::InvalidDetails(_) => 1519,
            Self::PasswordNotEnabled => 1524,
            Self::CannotRegenerate => 1525,
            Self::TokenExpired => 1529,
            Self::MaxOtps => 1534,
            Self::NoOtp => 1537,
            Self::IdentifierMismatch => 1541,
            Self::InvalidIdentifierType => 1546,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            Self::UserNotFound => ErrorClass::NotFound,
            Self::CannotRegenerate | Self::TokenExpired => ErrorClass::Unauthenticated,
            Self::OtpNotGenerated(_) | Self::MaxOtps => ErrorClass::RateLimited,
            Self::PasswordNotEnabled => ErrorClass::Forbidden,
            _ => ErrorClass::Invalid,
        }
    }
}

/// The `identifierType` of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AeIdentifierType {
    Mobile,
    Email,
}

impl AeIdentifierType {
    /// `MOBILE` or `EMAIL`; `USERNAME` needs passwords, which no brand has enabled.
    pub fn parse(s: &str) -> Result<Self, AuthEngineError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "MOBILE" => Ok(Self::Mobile),
            "EMAIL" => Ok(Self::Email),
            "USERNAME" => Err(AuthEngineError::PasswordNotEnabled),
            _ => Err(AuthEngineError::InvalidIdentifierType),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mobile => "MOBILE",
            Self::Email => "EMAIL",
        }
    }

    /// The identifier, normalised as the customers context stores it.
    pub fn normalise(self, raw: &str, country: &str) -> Result<String, AuthEngineError> {
        let raw = raw.trim();
        let bad = || {
            AuthEngineError::InvalidDetails(format!(
                "`{}` is not a valid {}",
                raw.escape_default(),
                self.as_str().to_ascii_lowercase()
            ))
        };
        if raw.is_empty() || raw.len() > 254 {
            return Err(bad());
        }
        match self {
            Self::Mobile => {
                crate::customers::identifiers::normalise_mobile(raw, country).map_err(|_| bad())
            }
            Self::Email => crate::customers::identifiers::normalise_email(raw).map_err(|_| bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_types_and_codes() {
        assert_eq!(
            AeIdentifierType::parse("mobile"),
            Ok(AeIdentifierType::Mobile)
        );
        assert_eq!(
            AeIdentifierType::parse("USERNAME"),
            Err(AuthEngineError::PasswordNotEnabled)
        );
        assert_eq!(AeIdentifierType::parse("FAX").unwrap_err().code(), 1546);
        assert_eq!(AuthEngineError::InvalidSession.code(), 1505);
        assert_eq!(AuthEngineError::MaxRetries.code(), 1518);
        assert!(AeIdentifierType::Email
            .normalise("not-an-email", "SG")
            .is_err());
    }
}
