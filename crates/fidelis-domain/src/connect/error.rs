//! Failures of the connect context's own operations (run reports).

use crate::error::{CodedError, ErrorClass};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("No dataflow run {0}")]
    RunNotFound(String),
    #[error("Invalid input: {0}")]
    InvalidInput(String),
}

impl CodedError for ConnectError {
    fn code(&self) -> u32 {
        match self {
            Self::RunNotFound(_) => 404,
            Self::InvalidInput(_) => 400,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            Self::RunNotFound(_) => ErrorClass::NotFound,
            Self::InvalidInput(_) => ErrorClass::Invalid,
        }
    }
}
