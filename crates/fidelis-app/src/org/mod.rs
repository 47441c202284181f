//! The org context: who is calling (authentication and attribution), the org's
//! configuration as every operation sees it, and reads of its units and settings.

mod auth;
mod cache;
mod flight;
mod limiter;

use std::sync::Arc;

use fidelis_domain::org::{Entity, EntityId, EntityKind, OrgError, OrgId, Permissions};

pub use auth::{AttributionKind, Authenticator, IssuedToken};
pub use cache::{OrgCache, OrgConfig, TTL};
pub use limiter::{MAX_FAILURES, WINDOW};

use crate::{App, AppError};

/// Who is calling, on behalf of which till or store.
#[derive(Debug, Clone)]
pub struct Caller {
    pub org_id: OrgId,
    /// The till the request is attributed to (a client's default till unless overridden).
    pub till_id: Option<EntityId>,
    /// That till's code (who did it, in logs and records).
    pub till_code: Option<String>,
    /// The store of that till, or the store named by attribution headers.
    pub store_id: Option<EntityId>,
    /// The API client behind a token; `None` for a till's Basic credentials.
    pub client_id: Option<i64>,
    pub permissions: Permissions,
}

impl Caller {
    /// Refuses a resource the caller's permissions do not cover.
    pub fn check_access(&self, resource: &str, write: bool) -> Result<(), OrgError> {
        let admin_by_till =
            self.client_id.is_none() && fidelis_domain::org::ADMIN_RESOURCES.contains(&resource);
        if self.permissions.allows(resource, write) && !admin_by_till {
            Ok(())
        } else {
            Err(OrgError::NotPermitted {
                access: if write { "modify" } else { "view" },
                resource: resource.to_string(),
            })
        }
    }

    /// The name recorded as who did something: the till code, or the API client.
    pub fn name(&self) -> String {
        match (&self.till_code, self.client_id) {
            (Some(code), _) => code.clone(),
            (None, Some(c)) => format!("api-client:{c}"),
            (None, None) => "api".to_string(),
        }
    }
}

impl App {
    /// The caller's org configuration (cached for a few seconds).
    pub async fn config(&self, caller: &Caller) -> Result<Arc<OrgConfig>, AppError> {
        self.orgs.get(self, caller.org_id).await
    }

    /// The org's units of one kind (all kinds when `None`).
    pub async fn entities(
        &self,
        caller: &Caller,
        kind: Option<EntityKind>,
    ) -> Result<Vec<Entity>, AppError> {
        Ok(self.db.orgs().entities(caller.org_id, kind).await?)
    }

    /// One unit of the caller's org by id, if it exists.
    pub async fn entity(&self, caller: &Caller, id: EntityId) -> Result<Option<Entity>, AppError> {
        Ok(self.db.orgs().entity(caller.org_id, id).await?)
    }

    /// A till of the caller's org by code or id.
    pub async fn till(&self, caller: &Caller, key: TillKey<'_>) -> Result<Entity, AppError> {
        let orgs = self.db.orgs();
        let till = match key {
            TillKey::Code(code) => {
                orgs.entity_by_code(caller.org_id, EntityKind::Till, code)
                    .await?
            }
            TillKey::Id(id) => orgs.entity(caller.org_id, id).await?,
        };
        Ok(till
            .filter(|e| e.kind == EntityKind::Till)
            .ok_or(OrgError::TillNotFound)?)
    }

    /// A configuration value set by the org file (`[settings]`), as JSON text.
    pub async fn setting(&self, caller: &Caller, name: &str) -> Result<String, AppError> {
        Ok(self
            .db
            .orgs()
            .setting(caller.org_id, name)
            .await?
            .map(|v| v.to_string())
            .ok_or_else(|| OrgError::SettingNotFound(name.to_string()))?)
    }

    /// Whether the database answers (for health checks).
    pub async fn ping(&self) -> Result<(), AppError> {
        Ok(self.db.ping().await?)
    }
}

/// How a till is named.
#[derive(Debug, Clone, Copy)]
pub enum TillKey<'a> {
    Code(&'a str),
    Id(EntityId),
}
