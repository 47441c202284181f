//! `PUT /v2/customers/lookup/status` and `GET /v2/customers/{id}/statusLog`.

use axum::extract::{Path, Query, State};
use axum::Json;
use fidelis_domain::customers::{CustomerError, Source, StatusChangeRequest};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::customers::{self, render, Ctx, LookupQuery};
use crate::json::ApiJson;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusBody {
    pub reason: Option<String>,
    pub label: Option<String>,
    pub created_on: Option<String>,
}

/// Moves the customer to a status label. The response carries both documented shapes:
/// `createdId` + `warnings` (current) and `error` (2022).
#[utoipa::path(put, path = "/v2/customers/lookup/status", tag = "customers", params(LookupQuery),
    responses((status = 200, description = "`{createdId, warnings, error}`"),
              (status = 400, description = "Unknown label, missing reason, 3042 deleted")))]
pub async fn change_status(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LookupQuery>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<Value>, ApiError> {
    let source = q.source.as_deref().unwrap_or("");
    if !source.trim().eq_ignore_ascii_case("ALL") && Source::parse(source).is_err() {
        return Err(CustomerError::InvalidStatusSource(source.to_string()).into());
    }
    let ctx = Ctx::load(&state, &p).await?;
    let id = customers::resolve(&state, &ctx, &q).await?;
    let label = body
        .label
        .as_deref()
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| CustomerError::InvalidInput("label is required".into()))?;
    let created_on = match body
        .created_on
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(t) => Some(t.parse::<jiff::Timestamp>().map_err(|_| {
            CustomerError::InvalidInput(format!("createdOn {t} is not YYYY-MM-DDTHH:MM:SSZ"))
        })?),
        None => None,
    };
    let req = StatusChangeRequest {
        label,
        reason: body.reason.as_deref().unwrap_or(""),
        created_on,
        actor: &ctx.actor.name,
    };
    state
        .db
        .customers()
        .change_status(ctx.org.id, id, req, state.now())
        .await?;
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
    let ctx = Ctx::load(&state, &p).await?;
    let repo = state.db.customers();
    if !repo.exists(ctx.org.id, id).await? {
        return Err(CustomerError::NotFound.into());
    }
    let entries = repo.status_log(ctx.org.id, id).await?;
    Ok(Json(render::status_log(&entries, id, &ctx.org)))
}
