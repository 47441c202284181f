//! Job leases: a periodic job runs on whichever server holds its lease. Taking a lease is
//! one conditional upsert, so two servers asking at once cannot both get it, and a lease
//! whose holder died lapses at `expires_at`.

use fidelis_domain::org::OrgId;
use jiff::Timestamp;

use crate::time::to_db;
use crate::{Db, StoreError};

pub struct JobRepo<'a>(&'a Db);

impl Db {
    pub fn jobs(&self) -> JobRepo<'_> {
        JobRepo(self)
    }
}

impl JobRepo<'_> {
    /// Takes or renews lease `name` for `holder` until `until`. False when another holder's
    /// lease is still live.
    pub async fn lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.0.begin().await?;
        let row: Option<(String,)> = sqlx::query_as(
            "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4 \
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(to_db(until))
        .bind(to_db(now))
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.is_some_and(|(h,)| h == holder))
    }

    /// Gives lease `name` up early (on shutdown), if `holder` has it.
    pub async fn release(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let mut tx = self.0.begin().await?;
        sqlx::query("DELETE FROM job_leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every org, for jobs that visit them all.
    pub async fn org_ids(&self) -> Result<Vec<OrgId>, StoreError> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM orgs ORDER BY id")
            .fetch_all(self.0.reader())
            .await?;
        Ok(rows.into_iter().map(|(id,)| OrgId::new(id)).collect())
    }
}
