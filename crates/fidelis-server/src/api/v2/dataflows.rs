//! `GET /v2/dataflows/runs` and `GET /v2/dataflows/runs/{id}`: Connect+ run reports
//! (Fidelis's own resource, in the v2 envelopes).

use axum::extract::{Path, Query, State};
use axum::Json;
use fidelis_app::connect::accuracy;
use fidelis_store::connect::RunRecord;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{local_time, v2_page};
use crate::auth::Principal;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RunsQuery {
    /// Runs per page (1–100, default 20).
    limit: Option<i64>,
    /// Runs to skip (newest first).
    offset: Option<i64>,
}

/// The org's dataflow runs, newest first.
#[utoipa::path(get, path = "/v2/dataflows/runs", tag = "dataflows", params(RunsQuery),
    responses((status = 200, description = "`{data, pagination{limit, offset, total}}`"),
              (status = 400, description = "limit or offset is not a number")))]
pub async fn runs(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<RunsQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q
        .limit
        .unwrap_or(20)
        .clamp(1, fidelis_app::connect::MAX_PAGE);
    let offset = q.offset.unwrap_or(0).max(0);
    let page = state.app.connect().runs(p.org_id, limit, offset).await?;
    let tz = state.app.config(&p).await?.org.time_zone.clone();
    let data = page.runs.iter().map(|r| run_json(r, &tz)).collect();
    let total = usize::try_from(page.total).unwrap_or(0);
    Ok(Json(v2_page(data, limit, offset, total)))
}

/// One dataflow run.
#[utoipa::path(get, path = "/v2/dataflows/runs/{id}", tag = "dataflows",
    params(("id" = i64, Path, description = "Run id")),
    responses((status = 200, description = "`{entity, warnings}`"),
              (status = 404, description = "No such run")))]
pub async fn run(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = id.trim().parse::<i64>().unwrap_or(0);
    let r = state.app.connect().run(p.org_id, id).await?;
    let tz = state.app.config(&p).await?.org.time_zone.clone();
    Ok(Json(json!({"entity": run_json(&r, &tz), "warnings": []})))
}

fn run_json(r: &RunRecord, tz: &jiff::tz::TimeZone) -> Value {
    let c = &r.counts;
    json!({
        "id": r.id,
        "dataflow": r.dataflow,
        "template": r.template,
        "fileName": r.file_name,
        "fileDigest": r.digest,
        "dryRun": r.dry_run,
        "startedOn": local_time(r.started_at, tz),
        "finishedOn": r.finished_at.map(|t| local_time(t, tz)),
        "inputRows": c.input,
        "succeeded": c.succeeded,
        "failed": c.failed,
        "filtered": c.filtered,
        "alreadyApplied": c.skipped,
        "accuracy": accuracy(c),
        "errorCounts": c.errors,
        "errorFile": r.error_file,
    })
}
