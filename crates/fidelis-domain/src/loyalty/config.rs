//! The `[loyalty]` section of an org file: programs, tiers, card series, goodwill.

use serde::Deserialize;

use crate::org::config::Validator;

/// The section as written in the org file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoyaltySection {}

/// The validated section.
#[derive(Debug, Default, Clone)]
pub struct LoyaltyConfig {}

impl LoyaltySection {
    /// Validates the section, reporting problems through `v`.
    pub fn validate(self, _v: &mut Validator<'_>) -> LoyaltyConfig {
        LoyaltyConfig {}
    }
}
