//! The comms context's errors with Capillary's communications codes (41xx SMS, 42xx email).

use crate::error::{CodedError, ErrorClass};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommsError {
    /// An SMS that cannot be accepted (no recipient, no body, a body too long).
    #[error("Unable to send message: {0}")]
    InvalidSms(String),
    #[error("SMS not found")]
    SmsNotFound,
    /// An email that cannot be accepted (subject, body, attachments).
    #[error("Unable to send email: {0}")]
    InvalidEmail(String),
    #[error("Email not found")]
    EmailNotFound,
    /// A recipient, cc, bcc or from address that is not an email address.
    #[error("Invalid email id: {0}")]
    InvalidAddress(String),
    /// Paging or filter parameters of an interactions query.
    #[error("Invalid input: {0}")]
    InvalidQuery(String),
    #[error("invalid comms configuration: {0}")]
    InvalidConfig(String),
}

impl CodedError for CommsError {
    fn code(&self) -> u32 {
        match self {
            Self::InvalidSms(_) => 4101,
            Self::SmsNotFound => 4102,
            Self::InvalidEmail(_) => 4201,
            Self::EmailNotFound => 4202,
            Self::InvalidAddress(_) => 4208,
            Self::InvalidQuery(_) => 400,
            Self::InvalidConfig(_) => 500,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            Self::InvalidSms(_)
            | Self::InvalidEmail(_)
            | Self::InvalidAddress(_)
            | Self::InvalidQuery(_) => ErrorClass::Invalid,
            Self::SmsNotFound | Self::EmailNotFound => ErrorClass::NotFound,
            Self::InvalidConfig(_) => ErrorClass::Internal,
        }
    }
}
