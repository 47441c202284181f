//! The `[customers]` section of an org file: customer status labels, fleet hierarchies.

use serde::Deserialize;

use crate::org::config::Validator;

/// The section as written in the org file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomersSection {}

/// The validated section.
#[derive(Debug, Default, Clone)]
pub struct CustomersConfig {}

impl CustomersSection {
    /// Validates the section, reporting problems through `v`.
    pub fn validate(self, _v: &mut Validator<'_>) -> CustomersConfig {
        CustomersConfig {}
    }
}
