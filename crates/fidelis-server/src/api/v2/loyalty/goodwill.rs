//! `GET /v2/customers/{customerId}/goodwillRequest`.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::by_id;
use crate::auth::Principal;
use crate::loyalty::goodwill::v2_request;
use crate::{ApiError, AppState};
use fidelis_domain::loyalty::ProgramId;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    pub request_id: Option<i64>,
    #[param(value_type = Option<i64>)]
    pub program_id: Option<ProgramId>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// A customer's goodwill requests, newest first.
#[utoipa::path(get, path = "/v2/customers/{customerId}/goodwillRequest", tag = "loyalty",
    params(("customerId" = i64, Path, description = "Customer id"), HistoryQuery),
    responses((status = 200, description = "`{pagination, data: [request], warnings}`"),
              (status = 404, description = "8015 customer not found")))]
pub async fn history(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let c = by_id(&state, &ctx, &raw).await?;
    let all = state.app.loyalty().goodwill_requests(&ctx, c.id).await?;
    let matching: Vec<_> = all
        .iter()
        .filter(|r| q.request_id.is_none_or(|id| r.id == id))
        .filter(|r| q.program_id.is_none_or(|id| r.program_id == id))
        .collect();
    let limit = q.limit.unwrap_or(10).clamp(1, 100);
    let offset = q.offset.unwrap_or(0);
    let data: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|r| v2_request(&ctx, r))
        .collect();
    Ok(Json(json!({
        "pagination": {"limit": limit, "offset": offset, "total": matching.len()},
        "data": data,
        "warnings": [],
        "errors": [],
    })))
}
