use fidelis_domain::error::{CodedError, ErrorClass};
use fidelis_domain::incentives::IncentivesError;
use fidelis_domain::loyalty::LoyaltyError;

/// A storage failure: the database could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Conflict(String),
    /// A loyalty rule refused the operation (e.g. a repeated bill number, 604).
    #[error(transparent)]
    Loyalty(#[from] LoyaltyError),
    /// An incentives rule refused the operation (e.g. a coupon already redeemed, 711).
    #[error(transparent)]
    Incentives(#[from] IncentivesError),
}

impl CodedError for StoreError {
    fn code(&self) -> u32 {
        match self {
            StoreError::Loyalty(e) => e.code(),
            StoreError::Incentives(e) => e.code(),
            StoreError::Conflict(_) => 400,
            StoreError::Database(_)
            | StoreError::Migration(_)
            | StoreError::UnsupportedUrl(_)
            | StoreError::Corrupt(_) => 500,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            StoreError::Loyalty(e) => e.class(),
            StoreError::Incentives(e) => e.class(),
            StoreError::Conflict(_) => ErrorClass::Conflict,
            StoreError::Database(_)
            | StoreError::Migration(_)
            | StoreError::UnsupportedUrl(_)
            | StoreError::Corrupt(_) => ErrorClass::Internal,
        }
    }
}
