//! Errors of the customers context, each carrying the Capillary code a v2 client expects.

use super::model::CustomerId;
use crate::error::{CodedError, ErrorClass};

/// Warning (not an error): the registered identifier already belongs to a customer in another
/// source, so the new source account was combined into that customer.
pub const WARNING_COMBINED_ACROSS_SOURCES: u32 = 8050;
/// Message Capillary sends with [`WARNING_COMBINED_ACROSS_SOURCES`].
pub const WARNING_COMBINED_ACROSS_SOURCES_MESSAGE: &str =
    "Same Customer found in other sources,Combining";
/// Warning: an identifier in a re-registration was ignored because it already holds a
/// different value on the customer (it can only be changed through changeIdentifier).
pub const WARNING_IDENTIFIER_NOT_UPDATED: u32 = 91005;
/// Warning: the value already exists for some other user, so it was not applied.
pub const WARNING_EXISTS_FOR_OTHER_USER: u32 = 91007;

/// Longest first/last name, reason, label or other free text Fidelis stores for a customer.
pub const MAX_NAME_LEN: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    /// Generic validation failure (Capillary `400 Invalid input`).
    #[error("Invalid input: {0}")]
    InvalidInput(String),
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("Invalid mobile: {0}")]
    InvalidMobile(String),
    #[error("Invalid email: {0}")]
    InvalidEmail(String),
    #[error("Invalid external id: {0}")]
    InvalidExternalId(String),
    #[error("No valid primary identifier passed")]
    NoIdentifier,
    #[error("Invalid custom field: {0}")]
    InvalidCustomField(String),
    #[error("Loyalty customer cannot be converted to non-loyalty")]
    LoyaltyDowngrade,
    #[error("Invalid source: {0}")]
    InvalidSource(String),
    /// Same failure on the status endpoint, where Capillary documents 8003 instead of 8012.
    #[error("Invalid source: {0}")]
    InvalidStatusSource(String),
    #[error("Invalid source account: {0}")]
    InvalidSourceAccount(String),
    #[error("accountId is required for source {0}")]
    AccountIdRequired(String),
    #[error("Invalid identifier name: {0}")]
    InvalidIdentifierName(String),
    #[error("Invalid communication channel: {0}")]
    InvalidCommChannel(String),
    #[error("Customer not found for the given identifier")]
    NotFound,
    /// `entityType` of the customer light APIs other than `CUSTOMER` or `FLEET`.
    #[error("Invalid entity type passed: {0}")]
    InvalidEntityType(String),
    /// A `programId` the org does not have, on the customer light APIs.
    #[error("Invalid programId passed in request")]
    InvalidProgramId,
    #[error("startDate is after endDate")]
    StartAfterEnd,
    /// A customer id the org does not have, where Capillary answers 8009 (changeIdentifier).
    #[error("Invalid customer id")]
    InvalidCustomerId,
    #[error("Customer not found in the given source")]
    NotFoundInSource,
    #[error("Customer has been merged into another account")]
    Merged,
    #[error("Email already exists for another customer")]
    EmailExists,
    #[error("Mobile already exists for another customer")]
    MobileExists,
    #[error("External id already exists for another customer")]
    ExternalIdExists,
    #[error("Identifier {0} already exists for another customer")]
    IdentifierExists(String),
    /// The label is not one of the org's configured customer status labels.
    #[error("Invalid input: unknown customer status label {0}")]
    UnknownStatusLabel(String),
    /// DELETED is terminal: nothing moves a customer out of it.
    #[error("Customer status was marked to deleted and cannot be changed")]
    CustomerDeleted,
    #[error("Invalid subscription channel: {0}")]
    InvalidSubscriptionChannel(String),
    #[error("Invalid subscription priority: {0}")]
    InvalidSubscriptionPriority(String),
    #[error("Invalid subscription scope: {0}")]
    InvalidSubscriptionScope(String),
    #[error("Invalid subscription status: {0}")]
    InvalidSubscriptionStatus(String),
    /// `createDate` more than [`crate::customers::registration::MAX_CREATE_DATE_AHEAD`] ahead.
    #[error("Registration date is outside the allowed window")]
    RegistrationDateOutOfWindow,
    /// More customers in one request than a batch API takes (every customer it names,
    /// `parentCustomer` and `childCustomers` included).
    #[error(
        "Batch limit exceeded: at most {0} customers per request, parentCustomer and \
         childCustomers included"
    )]
    BatchLimit(usize),
    #[error(transparent)]
    Fleet(#[from] FleetError),
    /// A warning: a comm channel's mobile is not valid; the channel is left out.
    #[error("Invalid mobile in commChannels: {0}")]
    InvalidChannelMobile(String),
    /// A warning: a comm channel's email is not valid; the channel is left out.
    #[error("Invalid email in commChannels: {0}")]
    InvalidChannelEmail(String),
    /// Another request changed the same customer at the same moment.
    #[error("Concurrent actions on the same customer; retry")]
    Busy,
}

/// Fleet (parent-child hierarchy) failures, codes 1600–1651 of Capillary's Group Loyalty API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    #[error("Fleet code {0} exists")]
    CodeExists(String),
    #[error("Fleet minimum number of roles {0} not met")]
    TooFewRoles(usize),
    #[error("Fleet maximum number of roles {0} exceeded")]
    TooManyRoles(usize),
    #[error("Fleet role code cannot be empty or null")]
    EmptyRoleCode,
    #[error("Max limit of {max} on total number of child per role exceeded for {role}")]
    MaxChildLimit { role: String, max: u32 },
    #[error("Duplicate fleet role codes passed in the payload")]
    DuplicateRole,
    #[error("Invalid child role code passed {0}")]
    InvalidChildRole(String),
    #[error("Cyclic hierarchy is not supported")]
    Cyclic,
    #[error("Fleet max child not passed for the role {0}")]
    MaxChildMissing(String),
    #[error("Fleet child role code not passed for the role {0}")]
    ChildRoleMissing(String),
    #[error("Fleet hierarchy code cannot be null or empty")]
    EmptyCode,
    #[error("Fleet hierarchy is not active")]
    Inactive,
    #[error("Role Code {0} is invalid")]
    UnknownRole(String),
    #[error("Fleet hierarchy code invalid {0}")]
    UnknownHierarchy(String),
    #[error("Fleet role code for the child customers doesn't qualify the hierarchy")]
    RoleDoesNotQualify,
    #[error("Total number of child for the role {role} can not exceed {max}")]
    TooManyChildren { role: String, max: u32 },
    #[error("Fleet parent customer {0} not mapped in the hierarchy")]
    ParentNotMapped(CustomerId),
    #[error("Customer is already mapped to a different hierarchy")]
    OtherHierarchy,
    #[error("Customer fleet user role can't be changed")]
    RoleChange,
    #[error("Company name is missing or longer than 100 characters")]
    CompanyName,
    #[error("Company with externalId {0} already exists")]
    CompanyExists(String),
    #[error("Company externalId is missing or invalid: {0}")]
    CompanyExternalId(String),
    /// Unknown, or deactivated: a deleted company takes no new customers or changes.
    #[error("Company {0} not found")]
    CompanyNotFound(String),
    #[error("Parent company {0} not found")]
    ParentCompanyNotFound(String),
    #[error("Company cannot be its own parent or the parent of an ancestor")]
    CompanyCyclic,
    #[error("Company hierarchyDefinitionCode invalid {0}")]
    CompanyHierarchy(String),
    #[error("Company extendedFields invalid: {0}")]
    CompanyFields(String),
    /// A company tree lives in one hierarchy: a sub-company takes its parent's, and the
    /// code does not change after creation.
    #[error("Company hierarchy mismatch: {0}")]
    CompanyHierarchyMismatch(String),
    #[error("Companies nest at most {0} levels deep")]
    CompanyTooDeep(usize),
}

impl CodedError for FleetError {
    fn code(&self) -> u32 {
        match self {
            Self::CodeExists(_) => 1600,
            Self::TooFewRoles(_) => 1601,
            Self::TooManyRoles(_) => 1602,
            Self::EmptyRoleCode => 1603,
            Self::MaxChildLimit { .. } => 1605,
            Self::DuplicateRole => 1606,
            Self::InvalidChildRole(_) => 1607,
            Self::Cyclic => 1608,
            Self::Inactive => 1610,
            Self::MaxChildMissing(_) => 1611,
            Self::ChildRoleMissing(_) => 1612,
            Self::EmptyCode => 1613,
            Self::UnknownRole(_) => 1615,
            Self::UnknownHierarchy(_) => 1616,
            Self::RoleDoesNotQualify => 1617,
            Self::TooManyChildren { .. } => 1618,
            Self::ParentNotMapped(_) => 1625,
            Self::OtherHierarchy => 1626,
            Self::RoleChange => 1627,
            Self::CompanyName => 1701,
            Self::CompanyExists(_) => 1702,
            Self::CompanyExternalId(_) => 1703,
            Self::CompanyNotFound(_) => 1704,
            Self::ParentCompanyNotFound(_) => 1705,
            Self::CompanyCyclic => 1706,
            Self::CompanyHierarchy(_) => 1707,
            Self::CompanyFields(_) => 1708,
            Self::CompanyHierarchyMismatch(_) => 1709,
            Self::CompanyTooDeep(_) => 1710,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            Self::CodeExists(_)
            | Self::TooManyChildren { .. }
            | Self::OtherHierarchy
            | Self::RoleChange
            | Self::Inactive
            | Self::CompanyExists(_)
            | Self::CompanyCyclic
            | Self::CompanyHierarchyMismatch(_) => ErrorClass::Conflict,
            Self::UnknownHierarchy(_) | Self::CompanyNotFound(_) => ErrorClass::NotFound,
            Self::TooFewRoles(_)
            | Self::TooManyRoles(_)
            | Self::EmptyRoleCode
            | Self::MaxChildLimit { .. }
            | Self::DuplicateRole
            | Self::InvalidChildRole(_)
            | Self::Cyclic
            | Self::MaxChildMissing(_)
            | Self::ChildRoleMissing(_)
            | Self::EmptyCode
            | Self::UnknownRole(_)
            | Self::RoleDoesNotQualify
            | Self::ParentNotMapped(_)
            | Self::CompanyName
            | Self::CompanyExternalId(_)
            | Self::ParentCompanyNotFound(_)
            | Self::CompanyHierarchy(_)
            | Self::CompanyFields(_)
            | Self::CompanyTooDeep(_) => ErrorClass::Invalid,
        }
    }
}

impl CodedError for CustomerError {
    fn code(&self) -> u32 {
        match self {
            Self::InvalidInput(_) | Self::TooLong { .. } | Self::UnknownStatusLabel(_) => 400,
            Self::InvalidMobile(_) => 1001,
            Self::InvalidEmail(_) => 1002,
            Self::InvalidExternalId(_) => 1003,
            Self::NoIdentifier => 1007,
            Self::EmailExists => 1016,
            Self::InvalidCustomField(_) => 1017,
            Self::MobileExists => 1032,
            Self::ExternalIdExists => 1033,
            Self::RegistrationDateOutOfWindow => 1034,
            Self::LoyaltyDowngrade => 1046,
            Self::BatchLimit(_) => 1060,
            Self::InvalidSubscriptionChannel(_) => 1101,
            Self::InvalidSubscriptionPriority(_) => 1102,
            Self::InvalidSubscriptionScope(_) => 1103,
            Self::InvalidSubscriptionStatus(_) => 1106,
            Self::InvalidEntityType(_) => 1212,
            Self::InvalidProgramId => 1213,
            Self::StartAfterEnd => 1214,
            // Capillary's own message for a deleted customer ("customer status was marked
            // to deleted"); the status API documents no code of its own for it.
            Self::CustomerDeleted => 3042,
            Self::InvalidStatusSource(_) => 8003,
            Self::IdentifierExists(_) => 8008,
            Self::InvalidCustomerId => 8009,
            Self::InvalidCommChannel(_) => 8010,
            Self::InvalidSourceAccount(_) => 8011,
            Self::InvalidSource(_) => 8012,
            Self::InvalidIdentifierName(_) => 8013,
            Self::NotFound => 8015,
            Self::AccountIdRequired(_) => 8045,
            Self::NotFoundInSource => 8065,
            Self::Merged => 8069,
            Self::Fleet(e) => e.code(),
            Self::Busy => 521,
            Self::InvalidChannelMobile(_) => 8058,
            Self::InvalidChannelEmail(_) => 8057,
        }
    }

    fn class(&self) -> ErrorClass {
        match self {
            Self::NotFound | Self::NotFoundInSource | Self::Merged => ErrorClass::NotFound,
            Self::EmailExists
            | Self::MobileExists
            | Self::ExternalIdExists
            | Self::IdentifierExists(_)
            | Self::CustomerDeleted
            | Self::LoyaltyDowngrade
            | Self::Busy => ErrorClass::Conflict,
            Self::Fleet(e) => e.class(),
            Self::InvalidInput(_)
            | Self::TooLong { .. }
            | Self::InvalidMobile(_)
            | Self::InvalidEmail(_)
            | Self::InvalidExternalId(_)
            | Self::NoIdentifier
            | Self::InvalidCustomField(_)
            | Self::InvalidSource(_)
            | Self::InvalidCustomerId
            | Self::InvalidEntityType(_)
            | Self::InvalidProgramId
            | Self::StartAfterEnd
            | Self::InvalidStatusSource(_)
            | Self::InvalidSourceAccount(_)
            | Self::AccountIdRequired(_)
            | Self::InvalidIdentifierName(_)
            | Self::InvalidCommChannel(_)
            | Self::UnknownStatusLabel(_)
            | Self::InvalidSubscriptionChannel(_)
            | Self::InvalidSubscriptionPriority(_)
            | Self::InvalidSubscriptionScope(_)
            | Self::InvalidSubscriptionStatus(_)
            | Self::RegistrationDateOutOfWindow
            | Self::BatchLimit(_)
            | Self::InvalidChannelMobile(_)
            | Self::InvalidChannelEmail(_) => ErrorClass::Invalid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_capillary() {
        assert_eq!(CustomerError::InvalidMobile("x".into()).code(), 1001);
        assert_eq!(CustomerError::InvalidEmail("x".into()).code(), 1002);
        assert_eq!(CustomerError::NotFound.code(), 8015);
        assert_eq!(CustomerError::EmailExists.code(), 1016);
        assert_eq!(CustomerError::MobileExists.code(), 1032);
        assert_eq!(CustomerError::ExternalIdExists.code(), 1033);
        assert_eq!(
            CustomerError::InvalidIdentifierName("x".into()).code(),
            8013
        );
        assert_eq!(CustomerError::InvalidSource("x".into()).code(), 8012);
        assert_eq!(CustomerError::InvalidStatusSource("x".into()).code(), 8003);
        assert_eq!(CustomerError::AccountIdRequired("x".into()).code(), 8045);
        assert_eq!(WARNING_COMBINED_ACROSS_SOURCES, 8050);
        assert_eq!(CustomerError::from(FleetError::Cyclic).code(), 1608);
        assert_eq!(CustomerError::RegistrationDateOutOfWindow.code(), 1034);
        assert_eq!(CustomerError::BatchLimit(100).code(), 1060);
    }

    #[test]
    fn classes_are_sensible() {
        assert_eq!(CustomerError::NotFound.class(), ErrorClass::NotFound);
        assert_eq!(CustomerError::MobileExists.class(), ErrorClass::Conflict);
        assert_eq!(CustomerError::CustomerDeleted.class(), ErrorClass::Conflict);
        assert_eq!(
            CustomerError::InvalidMobile("1".into()).class(),
            ErrorClass::Invalid
        );
        assert_eq!(
            CustomerError::from(FleetError::TooManyChildren {
                role: "OWNER".into(),
                max: 1
            })
            .class(),
            ErrorClass::Conflict
        );
    }
}
