//! Companies of fleet hierarchies, their parent companies and the customers linked to them.
//!
//! Writes that place or remove a company lock the row of its hierarchy first: a company
//! tree lives in one hierarchy, so two concurrent moves cannot each pass the cycle check
//! and together close a loop.

use fidelis_domain::customers::{
    check_parent, CompanyInput, CustomerError, CustomerId, FleetError,
};
use fidelis_domain::org::OrgId;
use jiff::Timestamp;
use serde_json::Value;

use super::{lock_customer, now_db, CResult, CustomerRepo, Tx};
use crate::{StoreError, Unit};

/// Deepest parent chain followed when reading ancestors (above the domain's limit, so a
/// tree at the limit is still measured exactly).
const MAX_WALK: usize = fidelis_domain::customers::MAX_COMPANY_DEPTH + 2;

/// A stored company.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub hierarchy_id: i64,
    pub hierarchy_code: String,
    pub parent_id: Option<i64>,
    pub parent_external_id: Option<String>,
    pub parent_name: Option<String>,
    pub extended_fields: Value,
    pub active: bool,
}

type Row = (
    i64,
    String,
    String,
    i64,
    String,
    Option<i64>,
    Option<String>,
    String,
    i64,
    Option<String>,
);

const SELECT: &str = "SELECT c.id, c.external_id, c.name, c.hierarchy_id, h.code, c.parent_id, \
     p.external_id, c.extended_fields, c.is_active, p.name FROM companies c \
     JOIN fleet_hierarchies h ON h.org_id = c.org_id AND h.id = c.hierarchy_id \
     LEFT JOIN companies p ON p.org_id = c.org_id AND p.id = c.parent_id";

fn parse(r: Row) -> Result<Company, StoreError> {
    let extended_fields = serde_json::from_str(&r.7)
        .map_err(|e| StoreError::Corrupt(format!("company {}: {e}", r.0)))?;
    Ok(Company {
        id: r.0,
        external_id: r.1,
        name: r.2,
        hierarchy_id: r.3,
        hierarchy_code: r.4,
        parent_id: r.5,
        parent_external_id: r.6,
        parent_name: r.9,
        extended_fields,
        active: r.8 != 0,
    })
}

async fn by_external_id(
    conn: &mut sqlx::AnyConnection,
    org_id: OrgId,
    external_id: &str,
) -> CResult<Option<Company>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE c.org_id = $1 AND c.external_id = $2"
    ))
    .bind(org_id.get())
    .bind(external_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(parse).transpose()?)
}

async fn active(tx: &mut Tx, org_id: OrgId, external_id: &str) -> CResult<Company> {
    by_external_id(tx, org_id, external_id)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| FleetError::CompanyNotFound(external_id.to_string()).into())
}

async fn lock_hierarchy(tx: &mut Tx, org_id: OrgId, id: i64) -> CResult<()> {
    sqlx::query(
        "UPDATE fleet_hierarchies SET updated_at = updated_at WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id.get())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `parent` and its ancestors, nearest first; stops early on a loop in stored data.
async fn chain(tx: &mut Tx, org_id: OrgId, parent: i64) -> CResult<Vec<i64>> {
    let mut out = vec![parent];
    let mut cur = parent;
    while out.len() < MAX_WALK {
        let row: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT parent_id FROM companies WHERE org_id = $1 AND id = $2")
                .bind(org_id.get())
                .bind(cur)
                .fetch_optional(&mut **tx)
                .await?;
        match row.and_then(|r| r.0) {
            Some(p) if out.contains(&p) => break,
            Some(p) => {
                out.push(p);
                cur = p;
            }
            None => break,
        }
    }
    Ok(out)
}

/// The parent named by `input` (active, same hierarchy) after the cycle and depth checks.
async fn parent_of(
    tx: &mut Tx,
    org_id: OrgId,
    company: Option<i64>,
    hierarchy_id: i64,
    external_id: &str,
) -> CResult<i64> {
    let p = by_external_id(tx, org_id, external_id)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| FleetError::ParentCompanyNotFound(external_id.to_string()))?;
    if p.hierarchy_id != hierarchy_id {
        return Err(FleetError::CompanyHierarchyMismatch(format!(
            "parent company {} is in hierarchy {}",
            p.external_id, p.hierarchy_code
        ))
        .into());
    }
    check_parent(company, &chain(tx, org_id, p.id).await?)?;
    Ok(p.id)
}

impl CustomerRepo<'_> {
    /// `POST /v2/companies`: 1707 unknown or inactive hierarchy, 1705/1709/1710 parent,
    /// 1702 externalId taken (also by a deactivated company).
    pub async fn create_company(
        &self,
        org_id: OrgId,
        input: &CompanyInput,
        now: Timestamp,
    ) -> CResult<Company> {
        let code = input.hierarchy_code.as_deref().unwrap_or("");
        let mut tx = self.0.begin().await?;
        let h: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, is_active FROM fleet_hierarchies WHERE org_id = $1 AND code = $2",
        )
        .bind(org_id.get())
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?;
        let hierarchy_id = match h {
            Some((id, 1)) => id,
            _ => return Err(FleetError::CompanyHierarchy(code.to_string()).into()),
        };
        lock_hierarchy(&mut tx, org_id, hierarchy_id).await?;
        let parent = match input.parent.as_ref().and_then(Option::as_deref) {
            Some(p) => Some(parent_of(&mut tx, org_id, None, hierarchy_id, p).await?),
            None => None,
        };
        let fields = Value::Object(input.extended_fields.clone().unwrap_or_default());
        let inserted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO companies (org_id, external_id, name, hierarchy_id, parent_id, \
             extended_fields, is_active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(org_id.get())
        .bind(&input.external_id)
        .bind(input.name.as_deref().unwrap_or(""))
        .bind(hierarchy_id)
        .bind(parent)
        .bind(fields.to_string())
        .bind(now_db(now))
        .fetch_optional(&mut *tx)
        .await?;
        if inserted.is_none() {
            return Err(FleetError::CompanyExists(input.external_id.clone()).into());
        }
        let c = active(&mut tx, org_id, &input.external_id).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// `PUT /v2/companies`: changes name, fields and parent of an active company (1704);
    /// its hierarchy cannot change (1709).
    pub async fn update_company(
        &self,
        org_id: OrgId,
        input: &CompanyInput,
        now: Timestamp,
    ) -> CResult<Company> {
        let mut tx = self.0.begin().await?;
        let c = active(&mut tx, org_id, &input.external_id).await?;
        if let Some(code) = &input.hierarchy_code {
            if !code.eq_ignore_ascii_case(&c.hierarchy_code) {
                return Err(FleetError::CompanyHierarchyMismatch(format!(
                    "company {} is in hierarchy {}",
                    c.external_id, c.hierarchy_code
                ))
                .into());
            }
        }
        lock_hierarchy(&mut tx, org_id, c.hierarchy_id).await?;
        let parent = match &input.parent {
            None => c.parent_id,
            Some(None) => None,
            Some(Some(p)) => Some(parent_of(&mut tx, org_id, Some(c.id), c.hierarchy_id, p).await?),
        };
        let fields = match &input.extended_fields {
            Some(f) => Value::Object(f.clone()),
            None => c.extended_fields.clone(),
        };
        sqlx::query(
            "UPDATE companies SET name = $3, parent_id = $4, extended_fields = $5, \
             updated_at = $6 WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id.get())
        .bind(c.id)
        .bind(input.name.as_deref().unwrap_or(&c.name))
        .bind(parent)
        .bind(fields.to_string())
        .bind(now_db(now))
        .execute(&mut *tx)
        .await?;
        let c = active(&mut tx, org_id, &input.external_id).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// `DELETE /v2/companies`: deactivates the company and every active sub-company below
    /// it; linked customers are untouched. Returns how many companies were deactivated.
    pub async fn deactivate_company(
        &self,
        org_id: OrgId,
        external_id: &str,
        now: Timestamp,
    ) -> CResult<usize> {
        let mut tx = self.0.begin().await?;
        let c = active(&mut tx, org_id, external_id).await?;
        lock_hierarchy(&mut tx, org_id, c.hierarchy_id).await?;
        let mut done = Vec::new();
        let mut todo = vec![c.id];
        while let Some(id) = todo.pop() {
            if done.contains(&id) {
                continue;
            }
            done.push(id);
            let subs: Vec<(i64,)> = sqlx::query_as(
                "SELECT id FROM companies WHERE org_id = $1 AND parent_id = $2 AND is_active = 1",
            )
            .bind(org_id.get())
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            todo.extend(subs.into_iter().map(|r| r.0));
        }
        for id in &done {
            sqlx::query(
                "UPDATE companies SET is_active = 0, updated_at = $3 WHERE org_id = $1 AND id = $2",
            )
            .bind(org_id.get())
            .bind(id)
            .bind(now_db(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done.len())
    }

    /// A company by externalId, active or not.
    pub async fn company(&self, org_id: OrgId, external_id: &str) -> CResult<Option<Company>> {
        let mut conn = self.0.reader().acquire().await?;
        by_external_id(&mut conn, org_id, external_id).await
    }

    /// Active companies, oldest first, and how many there are in all.
    pub async fn companies(
        &self,
        org_id: OrgId,
        limit: i64,
        offset: i64,
    ) -> CResult<(Vec<Company>, i64)> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE c.org_id = $1 AND c.is_active = 1 ORDER BY c.id LIMIT $2 OFFSET $3"
        ))
        .bind(org_id.get())
        .bind(limit)
        .bind(offset)
        .fetch_all(self.0.reader())
        .await?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM companies WHERE org_id = $1 AND is_active = 1")
                .bind(org_id.get())
                .fetch_one(self.0.reader())
                .await?;
        let list = rows.into_iter().map(parse).collect::<Result<_, _>>()?;
        Ok((list, total))
    }

    /// Every active company of the org, oldest first (orgs have tens or hundreds).
    pub async fn all_companies(&self, org_id: OrgId) -> CResult<Vec<Company>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE c.org_id = $1 AND c.is_active = 1 ORDER BY c.id"
        ))
        .bind(org_id.get())
        .fetch_all(self.0.reader())
        .await?;
        Ok(rows.into_iter().map(parse).collect::<Result<_, _>>()?)
    }

    /// Links `customer` to the active company `external_id` (1704), replacing any earlier
    /// company of that customer; a step of `unit`: nothing of it remains when it fails.
    pub async fn link_company_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        external_id: &str,
        customer: CustomerId,
        now: Timestamp,
    ) -> CResult<Company> {
        unit.begin_step().await?;
        let out = link_company_tx(unit, org_id, external_id, customer, now).await;
        unit.end_step(out).await
    }

    /// The company a customer is linked to, if any (even a deactivated one).
    pub async fn customer_company(
        &self,
        org_id: OrgId,
        customer: CustomerId,
    ) -> CResult<Option<Company>> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "{SELECT} JOIN company_customers l ON l.org_id = c.org_id AND l.company_id = c.id \
             WHERE l.org_id = $1 AND l.customer_id = $2"
        ))
        .bind(org_id.get())
        .bind(customer.get())
        .fetch_optional(self.0.reader())
        .await?;
        Ok(row.map(parse).transpose()?)
    }

    /// Customers linked to a company, oldest link first, and how many there are in all.
    pub async fn company_customers(
        &self,
        org_id: OrgId,
        company: i64,
        limit: i64,
        offset: i64,
    ) -> CResult<(Vec<CustomerId>, i64)> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT customer_id FROM company_customers WHERE org_id = $1 AND company_id = $2 \
             ORDER BY created_at, customer_id LIMIT $3 OFFSET $4",
        )
        .bind(org_id.get())
        .bind(company)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.0.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM company_customers WHERE org_id = $1 AND company_id = $2",
        )
        .bind(org_id.get())
        .bind(company)
        .fetch_one(self.0.reader())
        .await?;
        Ok((
            rows.into_iter().map(|r| CustomerId::new(r.0)).collect(),
            total,
        ))
    }
}

async fn link_company_tx(
    tx: &mut Tx,
    org_id: OrgId,
    external_id: &str,
    customer: CustomerId,
    now: Timestamp,
) -> CResult<Company> {
    let c = active(tx, org_id, external_id).await?;
    // Taken in the order deactivation takes it, then re-read: a company deactivated
    // meanwhile is not linked.
    lock_hierarchy(tx, org_id, c.hierarchy_id).await?;
    let c = active(tx, org_id, external_id).await?;
    if !lock_customer(tx, org_id, customer).await? {
        return Err(CustomerError::NotFound.into());
    }
    sqlx::query(
        "INSERT INTO company_customers (org_id, customer_id, company_id, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (org_id, customer_id) \
         DO UPDATE SET company_id = excluded.company_id, updated_at = excluded.updated_at",
    )
    .bind(org_id.get())
    .bind(customer.get())
    .bind(c.id)
    .bind(now_db(now))
    .execute(&mut **tx)
    .await?;
    Ok(c)
}
