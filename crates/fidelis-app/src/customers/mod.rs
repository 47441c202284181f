//! The customers context: lookups, registration, profiles, identifiers, status,
//! subscriptions and fleet groups.
