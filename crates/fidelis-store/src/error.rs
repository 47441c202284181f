use fidelis_domain::error::{CodedError, ErrorClass};

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
}

impl CodedError for StoreError {
    fn code(&self) -> u32 {
        match self {
            StoreError::Conflict(_) => 400,
            _ => 500,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            StoreError::Conflict(_) => ErrorClass::Conflict,
            _ => ErrorClass::Internal,
        }
    }
}
