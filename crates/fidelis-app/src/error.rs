//! The application's error: a failure of one bounded context's rules, or of storage.
//! Each context's enum (in `fidelis-domain`) carries its Capillary codes; the server maps
//! this one type to HTTP in one place.

use fidelis_domain::comms::CommsError;
use fidelis_domain::connect::ConnectError;
use fidelis_domain::console::ConsoleError;
use fidelis_domain::customers::{CustomerError, FleetError};
use fidelis_domain::error::{CodedError, ErrorClass};
use fidelis_domain::groups::GroupError;
use fidelis_domain::identity::{AuthEngineError, IdentityError};
use fidelis_domain::incentives::IncentivesError;
use fidelis_domain::loyalty::LoyaltyError;
use fidelis_domain::org::OrgError;
use fidelis_store::customers::CustomersError;
use fidelis_store::groups::GroupsError;
use fidelis_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error(transparent)]
    Customers(#[from] CustomerError),
    #[error(transparent)]
    Loyalty(#[from] LoyaltyError),
    #[error(transparent)]
    Groups(#[from] GroupError),
    #[error(transparent)]
    Incentives(#[from] IncentivesError),
    #[error(transparent)]
    Comms(#[from] CommsError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    AuthEngine(#[from] AuthEngineError),
    #[error(transparent)]
    Console(#[from] ConsoleError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<GroupsError> for AppError {
    fn from(e: GroupsError) -> Self {
        match e {
            GroupsError::Rule(e) => AppError::Groups(e),
            GroupsError::Store(e) => AppError::Store(e),
        }
    }
}

impl From<FleetError> for AppError {
    fn from(e: FleetError) -> Self {
        AppError::Customers(e.into())
    }
}

impl From<CustomersError> for AppError {
    fn from(e: CustomersError) -> Self {
        match e {
            CustomersError::Rule(e) => AppError::Customers(e),
            CustomersError::Store(e) => AppError::Store(e),
            CustomersError::Busy => AppError::Customers(CustomerError::Busy),
        }
    }
}

impl AppError {
    /// True when the failure is ours (storage, inconsistency), never the caller's input.
    pub fn is_internal(&self) -> bool {
        self.class() == ErrorClass::Internal
    }
}

impl CodedError for AppError {
    fn code(&self) -> u32 {
        match self {
            AppError::Org(e) => e.code(),
            AppError::Customers(e) => e.code(),
            AppError::Loyalty(e) => e.code(),
            AppError::Groups(e) => e.code(),
            AppError::Incentives(e) => e.code(),
            AppError::Comms(e) => e.code(),
            AppError::Identity(e) => e.code(),
            AppError::AuthEngine(e) => e.code(),
            AppError::Console(e) => e.code(),
            AppError::Connect(e) => e.code(),
            AppError::Store(e) => e.code(),
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            AppError::Org(e) => e.class(),
            AppError::Customers(e) => e.class(),
            AppError::Loyalty(e) => e.class(),
            AppError::Groups(e) => e.class(),
            AppError::Incentives(e) => e.class(),
            AppError::Comms(e) => e.class(),
            AppError::Identity(e) => e.class(),
            AppError::AuthEngine(e) => e.class(),
            AppError::Console(e) => e.class(),
            AppError::Connect(e) => e.class(),
            AppError::Store(e) => e.class(),
        }
    }
}
