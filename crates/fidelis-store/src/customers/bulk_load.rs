//! Bulk loading of customers whose rows were already validated and normalised (benchmarks,
//! migrations from another platform). It writes many customers per statement, so a million
//! load in about a minute; it does not merge with existing customers, so a row whose
//! identifier is already taken fails the whole batch.

use fidelis_domain::customers::{CustomerId, IdentifierType, Source};
use fidelis_domain::org::OrgId;
use jiff::Timestamp;

use crate::time::to_db;
use crate::StoreError;

use super::CustomerRepo;

/// One customer to load: a single source profile with its identifiers.
#[derive(Debug, Clone)]
pub struct BulkCustomer {
    pub source: Source,
    pub first_name: String,
    pub last_name: String,
    pub identifiers: Vec<(IdentifierType, String)>,
}

/// Customers per transaction.
const BATCH: usize = 1000;
/// Rows per INSERT statement. SQLite looks `$n` parameters up by name, linearly, so a
/// statement with thousands of them parses in quadratic time; a hundred rows is cheap.
const ROWS_PER_STATEMENT: usize = 100;

impl CustomerRepo<'_> {
    /// Inserts `customers` as new ACTIVE loyalty customers; returns their ids in order.
    pub async fn bulk_load(
        &self,
        org_id: OrgId,
        customers: &[BulkCustomer],
        now: Timestamp,
    ) -> Result<Vec<CustomerId>, StoreError> {
        let mut ids = Vec::with_capacity(customers.len());
        for batch in customers.chunks(BATCH) {
            ids.extend(self.load_batch(org_id, batch, to_db(now)).await?);
        }
        if let Some(sql) = self.0.backend().after_explicit_customer_ids() {
            if !customers.is_empty() {
                // Ids were given explicitly; move the id allocation past them.
                sqlx::query(sql).execute(self.0.reader()).await?;
            }
        }
        // The tables may have grown many times over: without fresh statistics the planner
        // keeps treating them as small (PostgreSQL then scans an org's identifiers to look
        // up a few hundred of them).
        if !customers.is_empty() {
            let mut tx = self.0.begin().await?;
            for table in [
                "customers",
                "customer_profiles",
                "customer_identifiers",
                "customer_identifier_owners",
            ] {
                sqlx::query(&format!("ANALYZE {table}"))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok(ids)
    }

    async fn load_batch(
        &self,
        org_id: OrgId,
        batch: &[BulkCustomer],
        now: i64,
    ) -> Result<Vec<CustomerId>, StoreError> {
        let mut tx = self.0.begin().await?;
        let (max,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM customers")
            .fetch_one(&mut *tx)
            .await?;
        let ids: Vec<i64> = (1..=batch.len() as i64).map(|i| max + i).collect();

        let customers: Vec<(i64, &BulkCustomer)> = ids.iter().copied().zip(batch).collect();
        for rows in customers.chunks(ROWS_PER_STATEMENT) {
            let sql = values_sql(
                "INSERT INTO customers (id, org_id, loyalty_type, status, created_at, updated_at) VALUES ",
                6,
                rows.len(),
            );
            let mut q = sqlx::query(&sql);
            for (id, _) in rows {
                q = q
                    .bind(*id)
                    .bind(org_id.get())
                    .bind("loyalty")
                    .bind("ACTIVE")
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;

            let sql = values_sql(
                "INSERT INTO customer_profiles (org_id, customer_id, source, account_id, first_name, \
                 last_name, created_at, updated_at) VALUES ",
                8,
                rows.len(),
            );
            let mut q = sqlx::query(&sql);
            for (id, c) in rows {
                q = q
                    .bind(org_id.get())
                    .bind(*id)
                    .bind(c.source.as_str())
                    .bind("")
                    .bind(&c.first_name)
                    .bind(&c.last_name)
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
        }

        let idents: Vec<(i64, &str, IdentifierType, &str)> = customers
            .iter()
            .flat_map(|(id, c)| {
                c.identifiers
                    .iter()
                    .map(move |(kind, value)| (*id, c.source.as_str(), *kind, value.as_str()))
            })
            .collect();
        for rows in idents.chunks(ROWS_PER_STATEMENT) {
            let sql = values_sql(
                "INSERT INTO customer_identifiers (org_id, customer_id, source, account_id, kind, \
                 value, created_at) VALUES ",
                7,
                rows.len(),
            );
            let mut q = sqlx::query(&sql);
            for (id, source, kind, value) in rows {
                q = q
                    .bind(org_id.get())
                    .bind(*id)
                    .bind(*source)
                    .bind("")
                    .bind(kind.as_str())
                    .bind(*value)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;

            let sql = values_sql(
                "INSERT INTO customer_identifier_owners (org_id, kind, value, customer_id) VALUES ",
                4,
                rows.len(),
            );
            let mut q = sqlx::query(&sql);
            for (id, _, kind, value) in rows {
                q = q
                    .bind(org_id.get())
                    .bind(kind.as_str())
                    .bind(*value)
                    .bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(ids.into_iter().map(CustomerId::new).collect())
    }

    /// How many customers the org has.
    pub async fn count(&self, org_id: OrgId) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customers WHERE org_id = $1")
            .bind(org_id.get())
            .fetch_one(self.0.reader())
            .await?;
        Ok(n)
    }
}

/// `prefix` followed by `rows` groups of `cols` numbered parameters.
fn values_sql(prefix: &str, cols: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(prefix.len() + rows * cols * 5);
    sql.push_str(prefix);
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&(r * cols + c + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_numbered_row_by_row() {
        assert_eq!(super::values_sql("V ", 2, 2), "V ($1,$2),($3,$4)");
    }
}
