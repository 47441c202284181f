//! The customers repository: profiles, identifiers, status, subscriptions, fleet links and
//! companies.
//!
//! Every write runs in one transaction that reads what the domain rules need and writes
//! the result. Writes that must commit with others (registration with its enrolment and
//! fleet links, a card with its identifier) have `…_in` forms that take a `Unit`.
//! Identifier uniqueness is the database's job (`customer_identifier_owners` and a unique
//! index per source account), so concurrent registrations cannot create two customers for
//! one identifier: the loser of a race retries and finds the winner.

mod bulk_load;
mod companies;
mod fleet;
mod model;
mod read;
mod register;
mod write;

pub use bulk_load::BulkCustomer;
pub use companies::Company;
pub use write::{IdentifierChange, Update};

use fidelis_domain::customers::config::CustomersConfig;
use fidelis_domain::customers::{CustomerId, CustomerStatus, FieldType, StatusLabel};
use fidelis_domain::org::OrgId;
use jiff::Timestamp;

pub use model::*;

use crate::org::ApplySummary;
use crate::time::to_db;
use crate::{Db, StoreError};

pub(crate) type Tx = crate::Unit;

pub struct CustomerRepo<'a>(&'a Db);

impl Db {
    pub fn customers(&self) -> CustomerRepo<'_> {
        CustomerRepo(self)
    }
}

/// How many times a write that lost a race is tried again.
const ATTEMPTS: usize = 6;

/// Runs `$work` (an expression using `$unit`) as a step of `$unit`, again (after undoing
/// it) while it loses races for unique values; `Busy` when it keeps losing.
macro_rules! retrying {
    ($unit:ident, $work:expr) => {{
        let mut out = Err($crate::customers::CustomersError::Busy);
        for _ in 0..$crate::customers::ATTEMPTS {
            $unit.begin_step().await?;
            let attempt = $work.await;
            match $unit.end_step(attempt).await {
                Err(e) if $crate::customers::is_unique_violation(&e) => continue,
                other => {
                    out = other;
                    break;
                }
            }
        }
        out
    }};
}
pub(crate) use retrying;

/// True when the database refused a write because of a unique index.
pub(crate) fn is_unique_violation(e: &CustomersError) -> bool {
    match e {
        CustomersError::Store(StoreError::Database(sqlx::Error::Database(d))) => {
            d.is_unique_violation()
        }
        CustomersError::Busy => true,
        _ => false,
    }
}

/// Writes the `[customers]` section of an org file, inside `apply`'s transaction.
pub(crate) async fn apply_config(
    tx: &mut Tx,
    org_id: OrgId,
    config: &CustomersConfig,
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    let before = settings_in(tx, org_id).await?;
    sqlx::query("DELETE FROM customer_status_labels WHERE org_id = $1")
        .bind(org_id.get())
        .execute(&mut **tx)
        .await?;
    for (i, l) in config.status_labels.iter().enumerate() {
        sqlx::query(
            "INSERT INTO customer_status_labels (org_id, name, name_key, status, position) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org_id.get())
        .bind(&l.name)
        .bind(l.name.to_lowercase())
        .bind(l.status.as_str())
        .bind(i as i64)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM customer_field_defs WHERE org_id = $1")
        .bind(org_id.get())
        .execute(&mut **tx)
        .await?;
    for (scope, map) in [
        ("extended", &config.extended_fields),
        ("custom", &config.custom_fields),
    ] {
        for (name, ty) in map {
            sqlx::query(
                "INSERT INTO customer_field_defs (org_id, scope, name, field_type) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(org_id.get())
            .bind(scope)
            .bind(name)
            .bind(field_type_name(*ty))
            .execute(&mut **tx)
            .await?;
        }
    }
    let after = settings_in(tx, org_id).await?;
    let was_empty = before.status_labels.is_empty()
        && before.extended_fields.is_empty()
        && before.custom_fields.is_empty();
    if before.status_labels == after.status_labels
        && before.extended_fields == after.extended_fields
        && before.custom_fields == after.custom_fields
    {
        summary.unchanged += 1;
    } else if was_empty {
        summary.created += 1;
    } else {
        summary.updated += 1;
    }
    fleet::apply_hierarchies(tx, org_id, &config.fleet_hierarchies, now, summary).await?;
    Ok(())
}

fn field_type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::String => "string",
        FieldType::Number => "number",
        FieldType::Boolean => "boolean",
        FieldType::Date => "date",
    }
}

async fn settings_in(
    conn: &mut sqlx::AnyConnection,
    org_id: OrgId,
) -> Result<CustomerSettings, StoreError> {
    let labels: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, status FROM customer_status_labels WHERE org_id = $1 ORDER BY position",
    )
    .bind(org_id.get())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = CustomerSettings::default();
    for (name, status) in labels {
        let status = CustomerStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("status label {name}: {status}")))?;
        out.status_labels.push(StatusLabel { name, status });
    }
    let fields: Vec<(String, String, String)> =
        sqlx::query_as("SELECT scope, name, field_type FROM customer_field_defs WHERE org_id = $1")
            .bind(org_id.get())
            .fetch_all(&mut *conn)
            .await?;
    for (scope, name, ty) in fields {
        let ty = FieldType::parse(&ty)
            .ok_or_else(|| StoreError::Corrupt(format!("field {name} type {ty}")))?;
        if scope == "extended" {
            out.extended_fields.insert(name, ty);
        } else {
            out.custom_fields.insert(name, ty);
        }
    }
    Ok(out)
}

impl CustomerRepo<'_> {
    /// The org's status labels and declared fields.
    pub async fn settings(&self, org_id: OrgId) -> Result<CustomerSettings, StoreError> {
        let mut conn = self.0.reader().acquire().await?;
        settings_in(&mut conn, org_id).await
    }
}

/// Locks a customer row for the rest of the transaction (a no-op update works as a row
/// lock on PostgreSQL and is harmless on SQLite, whose writer is already exclusive).
pub(crate) async fn lock_customer(tx: &mut Tx, org_id: OrgId, id: CustomerId) -> CResult<bool> {
    let n =
        sqlx::query("UPDATE customers SET updated_at = updated_at WHERE org_id = $1 AND id = $2")
            .bind(org_id.get())
            .bind(id.get())
            .execute(&mut **tx)
            .await?
            .rows_affected();
    Ok(n > 0)
}

pub(crate) fn now_db(t: Timestamp) -> i64 {
    to_db(t)
}
