//! The connect context: the files a dataflow has seen, the exactly-once keys of applied
//! rows, and run reports.
//!
//! A row's key is (dataflow, file digest, row number). The file part is one row of
//! `connect_files` (its id stands for dataflow and digest), and `claim_rows_in` writes the
//! row keys inside the unit of work that applies the rows: a key and its row's effect commit
//! together or not at all, and a key already present means the row was applied before.

use std::collections::BTreeMap;

use fidelis_domain::org::OrgId;
use jiff::Timestamp;
use sqlx::Arguments as _;

use crate::batch::{execute, fetch_all, Cell, Col, Own, Rows};
use crate::time::{from_db, to_db};
use crate::{Backend, Db, StoreError, Unit};

pub struct ConnectRepo<'a>(&'a Db);

impl Db {
    /// The connect context's repository (`connect` alone names the constructor).
    pub fn dataflows(&self) -> ConnectRepo<'_> {
        ConnectRepo(self)
    }
}

/// A run as it starts.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub dataflow: &'a str,
    pub template: &'a str,
    pub file_name: &'a str,
    pub digest: &'a str,
    pub dry_run: bool,
    pub started_at: Timestamp,
}

/// What a run counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// Data rows read.
    pub input: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub filtered: u64,
    /// Rows whose key was already recorded: applied by an earlier run, not again.
    pub skipped: u64,
    /// Failed rows by error code.
    pub errors: BTreeMap<String, u64>,
}

/// A stored run report.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub id: i64,
    pub dataflow: String,
    pub template: String,
    pub file_name: String,
    pub digest: String,
    pub dry_run: bool,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub counts: RunCounts,
    pub error_file: Option<String>,
}

const RUN_COLUMNS: &str = "id, dataflow, template, file_name, digest, dry_run, started_at, \
    finished_at, input_rows, succeeded, failed, filtered, skipped, error_counts, error_file";

type Row = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    Option<String>,
);

fn from_row(r: Row) -> Result<RunRecord, StoreError> {
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let errors: BTreeMap<String, u64> = serde_json::from_str(&r.13)
        .map_err(|e| StoreError::Corrupt(format!("connect_runs.error_counts: {e}")))?;
    Ok(RunRecord {
        id: r.0,
        dataflow: r.1,
        template: r.2,
        file_name: r.3,
        digest: r.4,
        dry_run: r.5 != 0,
        started_at: from_db(r.6)?,
        finished_at: r.7.map(from_db).transpose()?,
        counts: RunCounts {
            input: count(r.8),
            succeeded: count(r.9),
            failed: count(r.10),
            filtered: count(r.11),
            skipped: count(r.12),
            errors,
        },
        error_file: r.14,
    })
}

fn db_count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl ConnectRepo<'_> {
    /// The id standing for (dataflow, digest) in row keys, created on first sight.
    pub async fn file_id(
        &self,
        org_id: OrgId,
        dataflow: &str,
        digest: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut unit = self.0.unit().await?;
        sqlx::query(
            "INSERT INTO connect_files (org_id, dataflow, digest, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, dataflow, digest) DO NOTHING",
        )
        .bind(org_id.get())
        .bind(dataflow)
        .bind(digest)
        .bind(to_db(now))
        .execute(&mut *unit)
        .await?;
        let (id,): (i64,) = sqlx::query_as(
            "SELECT id FROM connect_files WHERE org_id = $1 AND dataflow = $2 AND digest = $3",
        )
        .bind(org_id.get())
        .bind(dataflow)
        .bind(digest)
        .fetch_one(&mut *unit)
        .await?;
        unit.commit().await?;
        Ok(id)
    }

    /// Records the keys of `rows` of file `file_id` in `unit`; returns the rows whose key
    /// was new (the others were applied before and must be skipped).
    pub async fn claim_rows_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        file_id: i64,
        rows: &[u64],
    ) -> Result<Vec<u64>, StoreError> {
        let mut keys = Rows::with_capacity(rows.len());
        for row in rows {
            keys.push([Cell::from(db_count(*row))]);
        }
        let backend = unit.backend();
        let cols = [Col::Int("n")];
        let own: &Own<'_> = &|a| {
            a.add(org_id.get())?;
            a.add(file_id)
        };
        let mut claimed: Vec<u64> = match backend {
            Backend::Postgres => {
                let won: Vec<(i64,)> = fetch_all(unit, backend, &keys, &cols, own, |source| {
                    format!(
                        "INSERT INTO connect_rows (org_id, file_id, row_number) \
                         SELECT $1, $2, x.n FROM {source} WHERE true \
                         ON CONFLICT (org_id, file_id, row_number) DO NOTHING \
                         RETURNING row_number"
                    )
                })
                .await?;
                won.into_iter()
                    .map(|(n,)| u64::try_from(n).unwrap_or(0))
                    .collect()
            }
            // The unit holds SQLite's write lock, so the keys found first are all the insert
            // can meet, and the insert need not return the rest: each returned row costs the
            // driver a hand-over between threads (a third of an import's wakeups).
            Backend::Sqlite => {
                let found: Vec<(i64,)> = fetch_all(unit, backend, &keys, &cols, own, |source| {
                    format!(
                        "SELECT row_number FROM connect_rows WHERE org_id = $1 AND file_id = $2 \
                         AND row_number IN (SELECT x.n FROM {source})"
                    )
                })
                .await?;
                execute(unit, backend, &keys, &cols, own, |source| {
                    format!(
                        "INSERT INTO connect_rows (org_id, file_id, row_number) \
                         SELECT $1, $2, x.n FROM {source} WHERE true \
                         ON CONFLICT (org_id, file_id, row_number) DO NOTHING"
                    )
                })
                .await?;
                let found: std::collections::HashSet<i64> =
                    found.into_iter().map(|(n,)| n).collect();
                rows.iter()
                    .copied()
                    .filter(|n| !found.contains(&db_count(*n)))
                    .collect()
            }
        };
        claimed.sort_unstable();
        Ok(claimed)
    }

    /// Removes the keys of `rows` again in `unit`: rows that failed are not applied, so a
    /// later run of the same file tries them again.
    pub async fn release_rows_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        file_id: i64,
        rows: &[u64],
    ) -> Result<(), StoreError> {
        let mut keys = Rows::with_capacity(rows.len());
        for row in rows {
            keys.push([Cell::from(db_count(*row))]);
        }
        let backend = unit.backend();
        execute(
            unit,
            backend,
            &keys,
            &[Col::Int("n")],
            &|a| {
                a.add(org_id.get())?;
                a.add(file_id)
            },
            |source| {
                format!(
                    "DELETE FROM connect_rows WHERE org_id = $1 AND file_id = $2 \
                     AND row_number IN (SELECT x.n FROM {source})"
                )
            },
        )
        .await
        .map(drop)
    }

    /// Starts a run report; its counts are written by `finish_run`.
    pub async fn start_run(&self, org_id: OrgId, run: &NewRun<'_>) -> Result<i64, StoreError> {
        let mut unit = self.0.unit().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO connect_runs (org_id, dataflow, template, file_name, digest, dry_run, \
             started_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(org_id.get())
        .bind(run.dataflow)
        .bind(run.template)
        .bind(run.file_name)
        .bind(run.digest)
        .bind(i64::from(run.dry_run))
        .bind(to_db(run.started_at))
        .fetch_one(&mut *unit)
        .await?;
        unit.commit().await?;
        Ok(id)
    }

    /// Writes a run's counts so far; `finished_at` set ends it.
    pub async fn update_run(
        &self,
        org_id: OrgId,
        id: i64,
        counts: &RunCounts,
        error_file: Option<&str>,
        finished_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let errors = serde_json::to_string(&counts.errors)
            .map_err(|e| StoreError::Corrupt(format!("error counts: {e}")))?;
        let mut unit = self.0.unit().await?;
        sqlx::query(
            "UPDATE connect_runs SET input_rows = $3, succeeded = $4, failed = $5, filtered = $6, \
             skipped = $7, error_counts = $8, error_file = $9, finished_at = $10 \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id.get())
        .bind(id)
        .bind(db_count(counts.input))
        .bind(db_count(counts.succeeded))
        .bind(db_count(counts.failed))
        .bind(db_count(counts.filtered))
        .bind(db_count(counts.skipped))
        .bind(errors)
        .bind(error_file)
        .bind(finished_at.map(to_db))
        .execute(&mut *unit)
        .await?;
        unit.commit().await?;
        Ok(())
    }

    /// The org's runs, newest first: `limit` of them after skipping `offset`, and how many
    /// there are in all.
    pub async fn runs(
        &self,
        org_id: OrgId,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<RunRecord>, i64), StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} FROM connect_runs WHERE org_id = $1 \
             ORDER BY id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(org_id.get())
        .bind(limit)
        .bind(offset)
        .fetch_all(self.0.reader())
        .await?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM connect_runs WHERE org_id = $1")
                .bind(org_id.get())
                .fetch_one(self.0.reader())
                .await?;
        let runs = rows.into_iter().map(from_row).collect::<Result<_, _>>()?;
        Ok((runs, total))
    }

    /// One run of the org.
    pub async fn run(&self, org_id: OrgId, id: i64) -> Result<Option<RunRecord>, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} FROM connect_runs WHERE org_id = $1 AND id = $2"
        ))
        .bind(org_id.get())
        .bind(id)
        .fetch_optional(self.0.reader())
        .await?;
        row.map(from_row).transpose()
    }
}
