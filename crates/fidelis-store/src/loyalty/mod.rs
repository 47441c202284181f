//! The loyalty repository.

use fidelis_domain::loyalty::config::LoyaltyConfig;
use fidelis_domain::org::OrgId;
use jiff::Timestamp;

use crate::org::ApplySummary;
use crate::StoreError;

/// Writes the `[loyalty]` section of an org file, inside `apply`'s transaction.
pub(crate) async fn apply_config(
    _tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    _org_id: OrgId,
    _config: &LoyaltyConfig,
    _now: Timestamp,
    _summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    Ok(())
}
