//! Org-level types shared by every context.

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

crate::id::id_type!(
    /// A tenant (org).
    OrgId
);
crate::id::id_type!(
    /// A zone, concept, store or till.
    EntityId
);

/// A tenant: one brand running its programs on Fidelis.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: OrgId,
    pub code: String,
    pub name: String,
    pub time_zone: TimeZone,
    pub currency: String,
    pub country: String,
}

impl Org {
    /// The IANA name of the org's zone (e.g. `Asia/Singapore`).
    pub fn time_zone_name(&self) -> &str {
        self.time_zone.iana_name().unwrap_or("UTC")
    }
}

/// The kinds of org unit Capillary's entity API knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityKind {
    Zone,
    Concept,
    Store,
    Till,
}

impl EntityKind {
    pub const ALL: [EntityKind; 4] = [Self::Zone, Self::Concept, Self::Store, Self::Till];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Zone => "ZONE",
            Self::Concept => "CONCEPT",
            Self::Store => "STORE",
            Self::Till => "TILL",
        }
    }

    /// Parses the v1.1 `type` parameter; `STR_SERVER` is a till-like store server that
    /// Fidelis does not model separately, so it is not accepted.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

/// A zone, concept, store or till.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub id: EntityId,
    pub kind: EntityKind,
    pub code: String,
    pub name: String,
    pub description: String,
    /// Store → zone; till → store.
    pub parent_id: Option<EntityId>,
    /// Store → concept (its org unit).
    pub concept_id: Option<EntityId>,
    pub is_active: bool,
    pub updated_at: jiff::Timestamp,
}

/// What an API client may do with a group of resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    None,
    View,
    Modify,
}

impl Access {
    pub fn allows(self, write: bool) -> bool {
        match self {
            Access::None => false,
            Access::View => !write,
            Access::Modify => true,
        }
    }
}

/// An API client's permissions: a default level plus per-resource overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    pub default: Access,
    #[serde(default)]
    pub resources: std::collections::BTreeMap<String, Access>,
}

impl Permissions {
    pub fn full() -> Self {
        Self {
            default: Access::Modify,
            resources: Default::default(),
        }
    }

    pub fn allows(&self, resource: &str, write: bool) -> bool {
        self.resources
            .get(resource)
            .copied()
            .unwrap_or(self.default)
            .allows(write)
    }
}

/// The resource groups permissions are granted on (Capillary's API-client access groups).
pub const RESOURCES: &[&str] = &[
    "organization",
    "customers",
    "transactions",
    "loyalty",
    "incentives",
    "groups",
    "communications",
    "identity",
    "dataflows",
];

/// Resources only API clients may be granted: a till's credentials sit in a shop's POS and
/// never administer the org (partner OAuth clients and sign-in limits).
/// Dataflow uploads load whole files through the org's tills, so they are an API client's
/// too.
pub const ADMIN_RESOURCES: &[&str] = &["identity", "dataflows"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_fall_back_to_default() {
        let mut p = Permissions {
            default: Access::View,
            resources: Default::default(),
        };
        p.resources.insert("customers".into(), Access::Modify);
        p.resources.insert("transactions".into(), Access::None);
        assert!(p.allows("customers", true));
        assert!(p.allows("organization", false));
        assert!(!p.allows("organization", true));
        assert!(!p.allows("transactions", false));
    }

    #[test]
    fn entity_kind_parses_case_insensitively() {
        assert_eq!(EntityKind::parse("store"), Some(EntityKind::Store));
        assert_eq!(EntityKind::parse("TILL"), Some(EntityKind::Till));
        assert_eq!(EntityKind::parse("STR_SERVER"), None);
    }
}
