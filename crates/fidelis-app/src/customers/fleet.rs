//! Fleet hierarchies (`/v2/fleetHierarchy`): definitions of parent-child roles.

use fidelis_domain::customers::{FleetError, HierarchyDefinition};
use fidelis_store::customers::Hierarchy;

use super::Customers;
use crate::{AppError, Caller};

/// How a hierarchy is named: its id (as sent) or its code.
#[derive(Debug, Clone, Copy)]
pub enum HierarchyKey<'a> {
    Id(&'a str),
    Code(&'a str),
}

impl Customers<'_> {
    /// A new hierarchy (1600 if the code exists; 1601–1613 for a bad definition).
    pub async fn create_hierarchy(
        &self,
        caller: &Caller,
        def: &HierarchyDefinition,
    ) -> Result<i64, AppError> {
        Ok(self
            .app
            .db
            .customers()
            .create_hierarchy(
                caller.org_id,
                &def.name,
                &def.description,
                &def.config,
                &def.extra,
                self.app.now(),
            )
            .await?)
    }

    /// Replaces the definition of the hierarchy with the same code (1616 if none).
    pub async fn update_hierarchy(
        &self,
        caller: &Caller,
        def: &HierarchyDefinition,
    ) -> Result<i64, AppError> {
        Ok(self
            .app
            .db
            .customers()
            .update_hierarchy(
                caller.org_id,
                &def.name,
                &def.description,
                &def.config,
                &def.extra,
                self.app.now(),
            )
            .await?)
    }

    /// One active hierarchy (1616 unknown, 1610 inactive).
    pub async fn hierarchy(
        &self,
        caller: &Caller,
        key: HierarchyKey<'_>,
    ) -> Result<Hierarchy, AppError> {
        let repo = self.app.db.customers();
        let found = match key {
            HierarchyKey::Id(id) => {
                let n = id
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| FleetError::UnknownHierarchy(id.into()))?;
                repo.hierarchy_by_id(caller.org_id, n)
                    .await?
                    .ok_or_else(|| FleetError::UnknownHierarchy(id.into()))?
            }
            HierarchyKey::Code(code) => repo
                .hierarchy_by_code(caller.org_id, code)
                .await?
                .ok_or_else(|| FleetError::UnknownHierarchy(code.into()))?,
        };
        if !found.config.active {
            return Err(FleetError::Inactive.into());
        }
        Ok(found)
    }

    /// The org's active hierarchies.
    pub async fn hierarchies(&self, caller: &Caller) -> Result<Vec<Hierarchy>, AppError> {
        Ok(self.app.db.customers().hierarchies(caller.org_id).await?)
    }
}
