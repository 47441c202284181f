//! `PUT /v2/customers/lookup/status` and `GET /v2/customers/{id}/statusLog`.

use axum::extract::{Path, Query, State};
use axum::Json;
use fidelis_app::customers::StatusUpdate;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::customers::{render, LookupQuery};
use crate::json::ApiJson;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusBody {
    pub reason: Option<String>,
    pub label: Option<String>,
    pub created_on: Option<String>,
}

/// Moves the customer to a status label. The response carries both documented shapes:
/// `createdId` + `warnings` (current) and `error` (2022).
#[utoipa::path(put, path = "/v2/customers/lookup/status", request_body = StatusBody, tag = "customers", params(LookupQuery),
    responses((status = 200, description = "`{createdId, warnings, error}`"),
              (status = 400, description = "Unknown label, missing reason, 3042 deleted"),
              (status = 404, description = "8015 customer not found")))]
pub async fn change_status(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LookupQuery>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<Value>, ApiError> {
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let change = StatusUpdate {
        label: body.label.as_deref(),
        reason: body.reason.as_deref(),
        created_on: body.created_on.as_deref(),
    };
    let id = app.change_status(&ctx, &q.lookup(), change).await?;
    Ok(Json(json!({"createdId": id, "warnings": [], "error": []})))
}

/// Status changes of a customer, newest first.
#[utoipa::path(get, path = "/v2/customers/{userId}/statusLog", tag = "customers",
    params(("userId" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "`{data, warnings, errors}`"),
              (status = 404, description = "8015 not found")))]
pub async fn status_log(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = super::customer_id(&raw)?;
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let entries = app.status_log(&ctx, id).await?;
    Ok(Json(render::status_log(&entries, id, &ctx.org)))
}
