//! The console context's errors. Pages render them as a message to the person; the codes
//! keep them apart in logs and tests.

use super::google::GoogleRefusal;
use crate::error::{CodedError, ErrorClass};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsoleError {
    /// Unknown email, wrong password, inactive staff: one message for all, so the answer
    /// does not tell which emails exist.
    #[error("the email or password is wrong")]
    BadCredentials,
    #[error("too many failed sign-ins from here; wait a few minutes and try again")]
    TooManyAttempts,
    #[error("your session has ended; sign in again")]
    SignedOut,
    #[error(
        "the form has expired or did not come from this console; reload the page and try again"
    )]
    Csrf,
    #[error("your role does not allow this page")]
    Forbidden,
    #[error("{0}")]
    Invalid(String),
    #[error("no staff user {0}")]
    UnknownStaff(String),
    #[error("a staff user {0} already exists")]
    StaffExists(String),
    /// A refused Google sign-in, saying why.
    #[error("{0}")]
    Google(GoogleRefusal),
    #[error("invalid console data: {0}")]
    Corrupt(String),
}

impl CodedError for ConsoleError {
    fn code(&self) -> u32 {
        match self {
            Self::BadCredentials => 1701,
            Self::TooManyAttempts => 1702,
            Self::SignedOut => 1703,
            Self::Csrf => 1704,
            Self::Forbidden => 1705,
            Self::Invalid(_) => 1706,
            Self::UnknownStaff(_) => 1707,
            Self::StaffExists(_) => 1708,
            Self::Google(_) => 1709,
            Self::Corrupt(_) => 500,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            Self::BadCredentials | Self::SignedOut => ErrorClass::Unauthenticated,
            Self::Google(GoogleRefusal::NotConfigured) => ErrorClass::NotFound,
            Self::Google(r) if r.is_about_the_account() => ErrorClass::Forbidden,
            Self::Google(_) => ErrorClass::Unauthenticated,
            Self::TooManyAttempts => ErrorClass::RateLimited,
            Self::Csrf | Self::Forbidden => ErrorClass::Forbidden,
            Self::Invalid(_) => ErrorClass::Invalid,
            Self::UnknownStaff(_) => ErrorClass::NotFound,
            Self::StaffExists(_) => ErrorClass::Conflict,
            Self::Corrupt(_) => ErrorClass::Internal,
        }
    }
}

impl From<GoogleRefusal> for ConsoleError {
    fn from(r: GoogleRefusal) -> Self {
        Self::Google(r)
    }
}
