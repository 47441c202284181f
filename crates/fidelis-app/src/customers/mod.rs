//! The customers context: lookups, registration, profiles, identifiers, status,
//! subscriptions and fleet groups.

mod lookup;

pub use lookup::{resolve_brief, Lookup};
