//! An org's configuration (the org, its customer settings, its loyalty programs), read on
//! every request, kept for a few seconds: without it a customer lookup paid five queries
//! for configuration before its own one. Configuration changes only through `fidelis
//! apply`, which may run in another process, so entries expire after `TTL` rather than
//! being invalidated; a changed org file takes effect within that time.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use fidelis_domain::org::{Org, OrgId};
use fidelis_store::customers::CustomerSettings;
use fidelis_store::loyalty::LoyaltyContext;
use jiff::{SignedDuration, Timestamp};

use crate::{App, AppError};
use fidelis_domain::org::OrgError;

pub const TTL: SignedDuration = SignedDuration::from_secs(5);

/// One org's configuration as of `loaded_at`.
pub struct OrgConfig {
    pub org: Org,
    pub customers: CustomerSettings,
    pub loyalty: LoyaltyContext,
    pub comms: fidelis_domain::comms::CommsConfig,
}

#[derive(Default)]
pub struct OrgCache {
    entries: RwLock<HashMap<OrgId, (Timestamp, Arc<OrgConfig>)>>,
    /// Org codes (as in issuer URLs) to ids; a code never changes its org.
    codes: RwLock<HashMap<String, OrgId>>,
}

impl OrgCache {
    /// Forgets everything, so the next request reads the configuration afresh.
    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The configuration of the org with `code`, or `None` when there is none.
    pub async fn by_code(&self, app: &App, code: &str) -> Result<Option<Arc<OrgConfig>>, AppError> {
        let known = self
            .codes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(code)
            .copied();
        let id = match known {
            Some(id) => id,
            None => {
                let Some(org) = app.db.orgs().by_code(code).await? else {
                    return Ok(None);
                };
                let mut codes = self.codes.write().unwrap_or_else(|e| e.into_inner());
                // Codes asked for are real orgs only, so the map stays as small as the
                // number of orgs.
                codes.insert(org.code.clone(), org.id);
                org.id
            }
        };
        self.get(app, id).await.map(Some)
    }

    pub async fn get(&self, app: &App, org_id: OrgId) -> Result<Arc<OrgConfig>, AppError> {
        let now = app.now();
        {
            let map = self.entries.read().unwrap_or_else(|e| e.into_inner());
            if let Some((until, config)) = map.get(&org_id) {
                if now < *until {
                    return Ok(config.clone());
                }
            }
        }
        let org = app
            .db
            .orgs()
            .get(org_id)
            .await?
            .ok_or(OrgError::Unauthenticated)?;
        let customers = app.db.customers().settings(org_id).await?;
        let loyalty = app
            .db
            .loyalty()
            .context(org_id)
            .await?
            .ok_or(OrgError::Unauthenticated)?;
        let comms = app.db.comms().config(org_id).await?;
        let config = Arc::new(OrgConfig {
            org,
            customers,
            loyalty,
            comms,
        });
        let until = now.saturating_add(TTL).unwrap_or(now);
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(org_id, (until, config.clone()));
        Ok(config)
    }
}
