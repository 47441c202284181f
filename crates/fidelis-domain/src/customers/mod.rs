//! The customers context: profiles per source account, identifiers and their normalisation,
//! status labels, subscriptions, fleet (parent-child) hierarchies and companies. Pure rules
//! only; the decisions recorded in `docs/customers.md` are implemented here.

pub mod channels;
pub mod companies;
pub mod config;
pub mod error;
pub mod fields;
pub mod fleet;
pub mod identifiers;
pub mod model;
pub mod registration;
pub mod status;
pub mod subscriptions;

pub use channels::{lenient_bool, ChannelFlags, CommChannel, CommChannelType};
pub use companies::{
    check_parent, normalise_company_external_id, validate_company, CompanyInput, MAX_COMPANY_DEPTH,
};
pub use error::{
    CustomerError, FleetError, MAX_NAME_LEN, WARNING_COMBINED_ACROSS_SOURCES,
    WARNING_COMBINED_ACROSS_SOURCES_MESSAGE, WARNING_EXISTS_FOR_OTHER_USER,
    WARNING_IDENTIFIER_NOT_UPDATED,
};
pub use fields::{validate_fields, FieldKind, FieldType};
pub use fleet::{
    validate_association, AssociationRequest, FleetRole, HierarchyConfig, HierarchyDefinition,
    Membership,
};
pub use identifiers::{
    normalise_email, normalise_external_id, normalise_identifier, normalise_mobile, normalise_name,
    Identifier, IdentifierType,
};
pub use model::{CustomerId, LoyaltyType, Source, SourceAccount};
pub use registration::{
    fill_identifiers, plan_registration, registration_date, validate_profile, validate_profiles,
    IdentifierFill, IdentifierOwner, Profile, RawCommChannel, RawIdentifier, RawProfile,
    RegistrationPlan,
};
pub use status::{
    change_status, find_label, initial_status, validate_labels, CurrentStatus, CustomerStatus,
    StatusChange, StatusChangeRequest, StatusLabel,
};
pub use subscriptions::{
    effective_status, from_comm_channels, upsert, validate_scope, Priority, Subscription,
    SubscriptionChannel, SubscriptionStatus,
};
