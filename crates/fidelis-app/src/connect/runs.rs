//! Run reports: one per file run, started before the first row and updated as batches
//! commit, so a run that died shows how far it got (and no `finished_at`).

use fidelis_domain::connect::ConnectError;
use fidelis_domain::org::OrgId;
use fidelis_store::connect::{NewRun, RunCounts, RunRecord};

use super::Connect;
use crate::AppError;

/// A page of runs, newest first, and how many runs there are in all.
#[derive(Debug, Clone)]
pub struct RunPage {
    pub runs: Vec<RunRecord>,
    pub total: i64,
}

/// Runs a page lists at most.
pub const MAX_PAGE: i64 = 100;

impl Connect<'_> {
    /// Starts the report of a run.
    pub async fn start_run(&self, org: OrgId, run: &NewRun<'_>) -> Result<i64, AppError> {
        Ok(self.app.db.dataflows().start_run(org, run).await?)
    }

    /// Writes a run's counts so far; `finished` ends it (now).
    pub async fn update_run(
        &self,
        org: OrgId,
        id: i64,
        counts: &RunCounts,
        error_file: Option<&str>,
        finished: bool,
    ) -> Result<(), AppError> {
        let at = finished.then(|| self.app.now());
        Ok(self
            .app
            .db
            .dataflows()
            .update_run(org, id, counts, error_file, at)
            .await?)
    }

    /// The org's runs, newest first: `limit` (1–100) of them after `offset`.
    pub async fn runs(&self, org: OrgId, limit: i64, offset: i64) -> Result<RunPage, AppError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let offset = offset.max(0);
        let (runs, total) = self.app.db.dataflows().runs(org, limit, offset).await?;
        Ok(RunPage { runs, total })
    }

    /// One run of the org (404-class when there is none).
    pub async fn run(&self, org: OrgId, id: i64) -> Result<RunRecord, AppError> {
        Ok(self
            .app
            .db
            .dataflows()
            .run(org, id)
            .await?
            .ok_or_else(|| ConnectError::RunNotFound(id.to_string()))?)
    }
}

/// Accuracy of a run in percent: rows applied (now or before) among the rows that were
/// to be applied (read, less filtered); 100 when there were none.
pub fn accuracy(c: &RunCounts) -> f64 {
    let due = c.input.saturating_sub(c.filtered);
    if due == 0 {
        return 100.0;
    }
    let ok = c.succeeded + c.skipped;
    (ok as f64 * 10_000.0 / due as f64).round() / 100.0
}
