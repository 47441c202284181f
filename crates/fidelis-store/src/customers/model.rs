//! What the customers repository reads and writes.

use fidelis_domain::customers::{
    CustomerError, CustomerId, CustomerStatus, FieldType, FleetError, LoyaltyType, Profile,
    StatusLabel,
};
use fidelis_domain::error::{CodedError, ErrorClass};
use fidelis_domain::org::EntityId;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use crate::StoreError;

/// A failure of a customers operation: a rule said no, or the database failed.
#[derive(Debug, thiserror::Error)]
pub enum CustomersError {
    #[error(transparent)]
    Rule(#[from] CustomerError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Concurrent actions on the same customer; retry")]
    Busy,
}

impl From<FleetError> for CustomersError {
    fn from(e: FleetError) -> Self {
        Self::Rule(CustomerError::Fleet(e))
    }
}

impl From<sqlx::Error> for CustomersError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

impl CodedError for CustomersError {
    fn code(&self) -> u32 {
        match self {
            Self::Rule(e) => e.code(),
            Self::Store(e) => e.code(),
            Self::Busy => CustomerError::Busy.code(),
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            Self::Rule(e) => e.class(),
            Self::Store(e) => e.class(),
            Self::Busy => CustomerError::Busy.class(),
        }
    }
}

pub type CResult<T> = Result<T, CustomersError>;

/// The org's customer configuration as stored by `apply`.
#[derive(Debug, Clone, Default)]
pub struct CustomerSettings {
    pub status_labels: Vec<StatusLabel>,
    pub extended_fields: BTreeMap<String, FieldType>,
    pub custom_fields: BTreeMap<String, FieldType>,
}

/// A communication channel as stored and echoed (`meta`/`attributes` kept as sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelRecord {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    pub primary: bool,
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<bool>,
    #[serde(default)]
    pub meta: Value,
    #[serde(default)]
    pub attributes: Value,
}

/// One profile of a registration or update, already validated.
#[derive(Debug, Clone)]
pub struct NewProfile {
    pub profile: Profile,
    pub fields: Map<String, Value>,
    pub channels: Vec<ChannelRecord>,
    /// Card number → card details (`seriesId`, `statusLabel`, …) stored with the identifier.
    pub cards: BTreeMap<String, Value>,
}

/// Who did it, for attribution and the status log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub till_id: Option<EntityId>,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub profiles: Vec<NewProfile>,
    pub loyalty_type: Option<LoyaltyType>,
    pub extended_fields: Map<String, Value>,
    pub associated_with: Option<String>,
    pub created_at: Timestamp,
    pub status_label: Option<String>,
    pub status_reason: Option<String>,
}

/// The outcome of a registration or update.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub customer_id: CustomerId,
    pub created: bool,
    pub warnings: Vec<(u32, String)>,
}

#[derive(Debug, Clone)]
pub struct IdentifierRecord {
    pub kind: String,
    pub value: String,
    pub details: Value,
}

#[derive(Debug, Clone)]
pub struct ProfileRecord {
    pub source: String,
    pub account_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub fields: Value,
    pub channels: Value,
    pub identifiers: Vec<IdentifierRecord>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What bills and points need to know about a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerBrief {
    pub id: CustomerId,
    pub status: CustomerStatus,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CustomerRecord {
    pub id: CustomerId,
    pub loyalty_type: LoyaltyType,
    pub status: CustomerStatus,
    pub status_label: Option<String>,
    pub extended_fields: Value,
    pub associated_with: Option<String>,
    pub created_till_id: Option<EntityId>,
    pub modified_till_id: Option<EntityId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub profiles: Vec<ProfileRecord>,
}

#[derive(Debug, Clone)]
pub struct StatusLogEntry {
    pub label: String,
    pub prev_label: Option<String>,
    pub status: CustomerStatus,
    pub prev_status: CustomerStatus,
    pub reason: String,
    pub actor: String,
    pub created_on: Timestamp,
    pub recorded_at: Timestamp,
}

/// A stored fleet hierarchy.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub config: fidelis_domain::customers::HierarchyConfig,
    /// Fields the API accepted but Fidelis does not act on (permissions, automation flags).
    pub extra: Value,
}

/// A customer's place in a fleet hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetMember {
    pub customer_id: CustomerId,
    pub hierarchy_id: i64,
    pub hierarchy_code: String,
    pub role_code: String,
    pub parent_id: Option<CustomerId>,
}
