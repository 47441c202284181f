//! Fleet hierarchies and the parent-child links between customers.

use fidelis_domain::customers::config::HierarchySpec;
use fidelis_domain::customers::{
    validate_association, AssociationRequest, CustomerError, CustomerId, FleetError,
    HierarchyConfig, Membership,
};
use fidelis_domain::org::OrgId;
use jiff::Timestamp;
use serde_json::{json, Value};

use super::{lock_customer, now_db, CResult, CustomerRepo, FleetMember, Hierarchy, Tx};
use crate::org::ApplySummary;
use crate::{StoreError, Unit};

/// Deepest parent chain followed; hierarchies have at most 8 roles.
const MAX_DEPTH: usize = 16;

fn definition(config: &HierarchyConfig, extra: &Value) -> String {
    json!({ "config": config, "extra": extra }).to_string()
}

fn parse(row: (i64, String, String, String, i64)) -> Result<Hierarchy, StoreError> {
    let doc: Value = serde_json::from_str(&row.3)
        .map_err(|e| StoreError::Corrupt(format!("hierarchy {}: {e}", row.0)))?;
    let mut config: HierarchyConfig = serde_json::from_value(doc["config"].clone())
        .map_err(|e| StoreError::Corrupt(format!("hierarchy {}: {e}", row.0)))?;
    config.active = row.4 != 0;
    Ok(Hierarchy {
        id: row.0,
        name: row.1,
        description: row.2,
        config,
        extra: doc["extra"].clone(),
    })
}

const HIERARCHY_COLUMNS: &str = "id, name, description, definition, is_active";

pub(crate) async fn apply_hierarchies(
    tx: &mut Tx,
    org_id: OrgId,
    specs: &[HierarchySpec],
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    for s in specs {
        let def = definition(&s.config, &Value::Null);
        let existing: Option<(String, String, String, i64)> = sqlx::query_as(
            "SELECT name, description, definition, is_active FROM fleet_hierarchies \
             WHERE org_id = $1 AND code = $2",
        )
        .bind(org_id.get())
        .bind(&s.config.code)
        .fetch_optional(&mut **tx)
        .await?;
        match existing {
            Some(e)
                if (e.0.as_str(), e.1.as_str(), e.2.as_str(), e.3)
                    == (&s.name, &s.description, &def, 1) =>
            {
                summary.unchanged += 1
            }
            Some(_) => {
                sqlx::query(
                    "UPDATE fleet_hierarchies SET name = $3, description = $4, definition = $5, \
                     from_file = 1, is_active = 1, updated_at = $6 WHERE org_id = $1 AND code = $2",
                )
                .bind(org_id.get())
                .bind(&s.config.code)
                .bind(&s.name)
                .bind(&s.description)
                .bind(&def)
                .bind(now_db(now))
                .execute(&mut **tx)
                .await?;
                summary.updated += 1;
            }
            None => {
                sqlx::query(
                    "INSERT INTO fleet_hierarchies (org_id, code, name, description, definition, \
                     from_file, is_active, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 1, 1, $6, $6)",
                )
                .bind(org_id.get())
                .bind(&s.config.code)
                .bind(&s.name)
                .bind(&s.description)
                .bind(&def)
                .bind(now_db(now))
                .execute(&mut **tx)
                .await?;
                summary.created += 1;
            }
        }
    }
    // Hierarchies the file used to declare and no longer names are deactivated.
    let codes: Vec<(String,)> = sqlx::query_as(
        "SELECT code FROM fleet_hierarchies WHERE org_id = $1 AND from_file = 1 AND is_active = 1",
    )
    .bind(org_id.get())
    .fetch_all(&mut **tx)
    .await?;
    for (code,) in codes {
        if !specs.iter().any(|s| s.config.code == code) {
            sqlx::query(
                "UPDATE fleet_hierarchies SET is_active = 0, updated_at = $3 \
                 WHERE org_id = $1 AND code = $2",
            )
            .bind(org_id.get())
            .bind(&code)
            .bind(now_db(now))
            .execute(&mut **tx)
            .await?;
            summary.deactivated += 1;
        }
    }
    Ok(())
}

async fn member_in(
    tx: &mut Tx,
    org_id: OrgId,
    customer: CustomerId,
) -> CResult<Option<FleetMember>> {
    let row: Option<(i64, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT m.hierarchy_id, h.code, m.role_code, m.parent_id FROM fleet_memberships m \
         JOIN fleet_hierarchies h ON h.org_id = m.org_id AND h.id = m.hierarchy_id \
         WHERE m.org_id = $1 AND m.customer_id = $2",
    )
    .bind(org_id.get())
    .bind(customer.get())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| FleetMember {
        customer_id: customer,
        hierarchy_id: r.0,
        hierarchy_code: r.1,
        role_code: r.2,
        parent_id: r.3.map(CustomerId::new),
    }))
}

fn membership(m: &FleetMember) -> Membership {
    Membership {
        hierarchy_code: m.hierarchy_code.clone(),
        role_code: m.role_code.clone(),
    }
}

impl CustomerRepo<'_> {
    /// `POST /v2/fleetHierarchy`: a new hierarchy, refused with 1600 if the code is taken.
    pub async fn create_hierarchy(
        &self,
        org_id: OrgId,
        name: &str,
        description: &str,
        config: &HierarchyConfig,
        extra: &Value,
        now: Timestamp,
    ) -> CResult<i64> {
        config.ordered_roles()?;
        let mut tx = self.0.begin().await?;
        let (id,): (i64,) = match sqlx::query_as(
            "INSERT INTO fleet_hierarchies (org_id, code, name, description, definition, \
             from_file, is_active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 0, 1, $6, $6) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(org_id.get())
        .bind(&config.code)
        .bind(name)
        .bind(description)
        .bind(definition(config, extra))
        .bind(now_db(now))
        .fetch_optional(&mut *tx)
        .await?
        {
            Some(row) => row,
            None => return Err(FleetError::CodeExists(config.code.clone()).into()),
        };
        tx.commit().await?;
        Ok(id)
    }

    /// `PUT /v2/fleetHierarchy`: replaces the definition of an existing hierarchy.
    pub async fn update_hierarchy(
        &self,
        org_id: OrgId,
        name: &str,
        description: &str,
        config: &HierarchyConfig,
        extra: &Value,
        now: Timestamp,
    ) -> CResult<i64> {
        config.ordered_roles()?;
        let mut tx = self.0.begin().await?;
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE fleet_hierarchies SET name = $3, description = $4, definition = $5, \
             is_active = $6, updated_at = $7 WHERE org_id = $1 AND code = $2 RETURNING id",
        )
        .bind(org_id.get())
        .bind(&config.code)
        .bind(name)
        .bind(description)
        .bind(definition(config, extra))
        .bind(i64::from(config.active))
        .bind(now_db(now))
        .fetch_optional(&mut *tx)
        .await?;
        let (id,) = row.ok_or_else(|| FleetError::UnknownHierarchy(config.code.clone()))?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn hierarchy_by_code(&self, org_id: OrgId, code: &str) -> CResult<Option<Hierarchy>> {
        let row: Option<(i64, String, String, String, i64)> = sqlx::query_as(&format!(
            "SELECT {HIERARCHY_COLUMNS} FROM fleet_hierarchies WHERE org_id = $1 AND code = $2"
        ))
        .bind(org_id.get())
        .bind(code.trim())
        .fetch_optional(self.0.reader())
        .await?;
        Ok(row.map(parse).transpose()?)
    }

    pub async fn hierarchy_by_id(&self, org_id: OrgId, id: i64) -> CResult<Option<Hierarchy>> {
        let row: Option<(i64, String, String, String, i64)> = sqlx::query_as(&format!(
            "SELECT {HIERARCHY_COLUMNS} FROM fleet_hierarchies WHERE org_id = $1 AND id = $2"
        ))
        .bind(org_id.get())
        .bind(id)
        .fetch_optional(self.0.reader())
        .await?;
        Ok(row.map(parse).transpose()?)
    }

    pub async fn hierarchies(&self, org_id: OrgId) -> CResult<Vec<Hierarchy>> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(&format!(
            "SELECT {HIERARCHY_COLUMNS} FROM fleet_hierarchies \
             WHERE org_id = $1 AND is_active = 1 ORDER BY id"
        ))
        .bind(org_id.get())
        .fetch_all(self.0.reader())
        .await?;
        Ok(rows.into_iter().map(parse).collect::<Result<_, _>>()?)
    }

    pub async fn fleet_member(
        &self,
        org_id: OrgId,
        customer: CustomerId,
    ) -> CResult<Option<FleetMember>> {
        let mut tx = self.0.begin().await?;
        let m = member_in(&mut tx, org_id, customer).await?;
        tx.commit().await?;
        Ok(m)
    }

    /// Children of `parent`, oldest link first.
    pub async fn fleet_children(
        &self,
        org_id: OrgId,
        parent: CustomerId,
        limit: i64,
    ) -> CResult<Vec<CustomerId>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT customer_id FROM fleet_memberships WHERE org_id = $1 AND parent_id = $2 \
             ORDER BY created_at, customer_id LIMIT $3",
        )
        .bind(org_id.get())
        .bind(parent.get())
        .bind(limit)
        .fetch_all(self.0.reader())
        .await?;
        Ok(rows.into_iter().map(|r| CustomerId::new(r.0)).collect())
    }

    /// Maps `customer` into hierarchy `h` with `role` and no parent (a top of the tree); a
    /// step of `unit`: nothing of it remains when it fails.
    pub async fn fleet_place_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        h: &Hierarchy,
        customer: CustomerId,
        role: &str,
        now: Timestamp,
    ) -> CResult<FleetMember> {
        unit.begin_step().await?;
        let out = place_tx(unit, org_id, h, customer, role, now).await;
        unit.end_step(out).await
    }

    /// Links `child` (in `child_role`) under `parent`. The parent row is locked first, so
    /// its child count and ancestor chain cannot change before the link is written; a step
    /// of `unit`: nothing of it remains when it fails.
    #[allow(clippy::too_many_arguments)]
    pub async fn fleet_link_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        h: &Hierarchy,
        child: CustomerId,
        child_role: &str,
        parent: CustomerId,
        now: Timestamp,
    ) -> CResult<FleetMember> {
        unit.begin_step().await?;
        let out = link_tx(unit, org_id, h, child, child_role, parent, now).await;
        unit.end_step(out).await
    }
}

/// The work of `CustomerRepo::fleet_place_in`, in `tx`.
async fn place_tx(
    tx: &mut Tx,
    org_id: OrgId,
    h: &Hierarchy,
    customer: CustomerId,
    role: &str,
    now: Timestamp,
) -> CResult<FleetMember> {
    if !h.config.active {
        return Err(FleetError::Inactive.into());
    }
    let role = h
        .config
        .role(role)
        .map(|r| r.code.clone())
        .ok_or_else(|| FleetError::UnknownRole(role.to_string()))?;
    if !lock_customer(tx, org_id, customer).await? {
        return Err(CustomerError::NotFound.into());
    }
    let member = match member_in(tx, org_id, customer).await? {
        Some(m) if m.hierarchy_id != h.id => return Err(FleetError::OtherHierarchy.into()),
        Some(m) if !m.role_code.eq_ignore_ascii_case(&role) => {
            return Err(FleetError::RoleChange.into())
        }
        Some(m) => m,
        None => {
            sqlx::query(
                "INSERT INTO fleet_memberships (org_id, customer_id, hierarchy_id, role_code, \
                 parent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, NULL, $5, $5)",
            )
            .bind(org_id.get())
            .bind(customer.get())
            .bind(h.id)
            .bind(&role)
            .bind(now_db(now))
            .execute(&mut **tx)
            .await?;
            FleetMember {
                customer_id: customer,
                hierarchy_id: h.id,
                hierarchy_code: h.config.code.clone(),
                role_code: role,
                parent_id: None,
            }
        }
    };
    Ok(member)
}

/// The work of `CustomerRepo::fleet_link_in`, in `tx`.
async fn link_tx(
    tx: &mut Tx,
    org_id: OrgId,
    h: &Hierarchy,
    child: CustomerId,
    child_role: &str,
    parent: CustomerId,
    now: Timestamp,
) -> CResult<FleetMember> {
    if !lock_customer(tx, org_id, parent).await? {
        return Err(CustomerError::NotFound.into());
    }
    let parent_m = member_in(tx, org_id, parent).await?;
    let child_m = member_in(tx, org_id, child).await?;
    if child_m.as_ref().and_then(|m| m.parent_id) == Some(parent) {
        return child_m.ok_or_else(|| CustomerError::NotFound.into());
    }
    let mut ancestors = Vec::new();
    let mut cur = parent_m.as_ref().and_then(|m| m.parent_id);
    while let Some(a) = cur {
        if ancestors.len() >= MAX_DEPTH || ancestors.contains(&a) {
            return Err(FleetError::Cyclic.into());
        }
        ancestors.push(a);
        cur = member_in(tx, org_id, a).await?.and_then(|m| m.parent_id);
    }
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM fleet_memberships WHERE org_id = $1 AND parent_id = $2",
    )
    .bind(org_id.get())
    .bind(parent.get())
    .fetch_one(&mut **tx)
    .await?;
    let child_ms = child_m.as_ref().map(membership);
    let parent_ms = parent_m.as_ref().map(membership);
    validate_association(
        &h.config,
        &AssociationRequest {
            child,
            child_role,
            child_membership: child_ms.as_ref(),
            parent,
            parent_membership: parent_ms.as_ref(),
            parent_child_count: u32::try_from(count).unwrap_or(u32::MAX),
            parent_ancestors: &ancestors,
        },
    )?;
    let role = h
        .config
        .role(child_role)
        .map(|r| r.code.clone())
        .unwrap_or_else(|| child_role.to_string());
    sqlx::query(
        "INSERT INTO fleet_memberships (org_id, customer_id, hierarchy_id, role_code, \
         parent_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (org_id, customer_id) DO UPDATE SET parent_id = excluded.parent_id, \
         updated_at = excluded.updated_at",
    )
    .bind(org_id.get())
    .bind(child.get())
    .bind(h.id)
    .bind(&role)
    .bind(parent.get())
    .bind(now_db(now))
    .execute(&mut **tx)
    .await?;
    Ok(FleetMember {
        customer_id: child,
        hierarchy_id: h.id,
        hierarchy_code: h.config.code.clone(),
        role_code: role,
        parent_id: Some(parent),
    })
}
