//! The groups context's errors, each with its Capillary code (the 16xx codes of the
//! userGroup2 resource, `403` for a missing mandatory field, `8015` for an unknown member).

use crate::error::{CodedError, ErrorClass};

use super::MAX_GROUP_SIZE;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    #[error("Field {0} is mandatory")]
    FieldMandatory(&'static str),
    #[error("Group id {0} is invalid")]
    InvalidGroupId(String),
    #[error("User {user} does not belong to group {group}.")]
    NotInGroup { user: i64, group: i64 },
    #[error("User {user} already present in group {group}.")]
    AlreadyInGroup { user: i64, group: i64 },
    #[error("Group transfer not allowed for primary member {0}")]
    PrimaryCannotTransfer(i64),
    #[error("Group id/externalId/primary userId {0} passed is not valid.")]
    GroupNotFound(String),
    #[error("Group external Id {0} already exists.")]
    ExternalIdExists(String),
    #[error("Group externalId can't be null")]
    ExternalIdMissing,
    #[error("Group query param is not passed.")]
    GroupSelectorMissing,
    #[error("Customer is already a member of the group.")]
    AlreadyMember,
    #[error("Primary member exists for the group.")]
    PrimaryExists,
    #[error("Total members in the group reached maximum group capacity {0}.")]
    GroupFull(u32),
    #[error("Group max size can not exceed product limit {MAX_GROUP_SIZE}")]
    MaxSizeAboveLimit,
    #[error("Group max size field should be a positive value.")]
    MaxSizeNotPositive,
    #[error("Invalid permission code {0} passed.")]
    InvalidPermission(String),
    #[error("User is primary member in a different group.")]
    PrimaryElsewhere,
    #[error("Nothing to update in the group")]
    NothingToUpdate,
    #[error("Group details not passed.")]
    DetailsMissing,
    #[error("Group details passed are not valid: {0}")]
    DetailsInvalid(String),
    #[error("Customer not found for the given identifiers.")]
    CustomerNotFound,
    #[error("Invalid user group {0} for the request")]
    RequestGroupInvalid(String),
}

impl CodedError for GroupError {
    fn code(&self) -> u32 {
        use GroupError::*;
        match self {
            FieldMandatory(_) => 403,
            InvalidGroupId(_) => 1619,
            NotInGroup { .. } => 1620,
            AlreadyInGroup { .. } => 1623,
            PrimaryCannotTransfer(_) => 1624,
            GroupNotFound(_) => 1632,
            ExternalIdExists(_) => 1633,
            ExternalIdMissing => 1634,
            GroupSelectorMissing => 1635,
            AlreadyMember => 1636,
            PrimaryExists => 1637,
            GroupFull(_) => 1638,
            MaxSizeAboveLimit => 1639,
            MaxSizeNotPositive => 1640,
            InvalidPermission(_) => 1641,
            PrimaryElsewhere => 1642,
            NothingToUpdate => 1643,
            DetailsMissing => 1644,
            DetailsInvalid(_) => 1645,
            CustomerNotFound => 8015,
            RequestGroupInvalid(_) => 93026,
        }
    }

    fn class(&self) -> ErrorClass {
        use GroupError::*;
        match self {
            InvalidGroupId(_) | GroupNotFound(_) | CustomerNotFound => ErrorClass::NotFound,
            ExternalIdExists(_)
            | AlreadyMember
            | AlreadyInGroup { .. }
            | PrimaryExists
            | GroupFull(_)
            | PrimaryElsewhere => ErrorClass::Conflict,
            _ => ErrorClass::Invalid,
        }
    }
}
