//! `GET /v2/organization/till` and `GET /v2/organization/configs/{name}`.

use axum::extract::{Path, Query, State};
use axum::Json;
use fidelis_app::org::TillKey;
use fidelis_domain::org::{Entity, EntityId, Org};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::v1_1::caller_org;
use crate::auth::Principal;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TillQuery {
    code: Option<String>,
}

/// A till of the caller's org by code.
#[utoipa::path(get, path = "/v2/organization/till", tag = "organization", params(TillQuery),
    responses((status = 200, description = "The till"), (status = 404, description = "No such till")))]
pub async fn till_by_code(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<TillQuery>,
) -> Result<Json<Value>, ApiError> {
    let org = caller_org(&state, &p).await?;
    let code = q
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::invalid("Parameter code is required"))?;
    let till = state.app.till(&p, TillKey::Code(&code)).await?;
    Ok(till_json(&till, &org))
}

/// A till of the caller's org by id.
#[utoipa::path(get, path = "/v2/organization/till/{till_id}", tag = "organization",
    params(("till_id" = i64, Path, description = "Till id")),
    responses((status = 200, description = "The till"), (status = 404, description = "No such till")))]
pub async fn till_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(till_id): Path<EntityId>,
) -> Result<Json<Value>, ApiError> {
    let org = caller_org(&state, &p).await?;
    let till = state.app.till(&p, TillKey::Id(till_id)).await?;
    Ok(till_json(&till, &org))
}

fn till_json(t: &Entity, org: &Org) -> Json<Value> {
    Json(json!({
        "id": t.id,
        "code": t.code,
        "description": t.description,
        "name": t.name,
        "type": "TILL",
        "adminType": "GENERAL",
        "isActive": t.is_active,
        "isOuEnabled": t.parent_id.is_some(),
        "timeZone": org.time_zone_name(),
        "currency": org.currency,
        "language": "en",
        "warnings": [],
    }))
}

/// An org configuration value set through `fidelis apply` (`[settings]`).
#[utoipa::path(get, path = "/v2/organization/configs/{name}", tag = "organization",
    params(("name" = String, Path, description = "Configuration key")),
    responses((status = 200, description = "The value"), (status = 404, description = "Not configured")))]
pub async fn config(
    State(state): State<AppState>,
    p: Principal,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let text = state.app.setting(&p, &name).await?;
    // Capillary answers every value as text (`"value": "6"`).
    let value = match serde_json::from_str::<Value>(&text) {
        Ok(Value::String(s)) => s,
        _ => text,
    };
    Ok(Json(json!({
        "entityId": p.org_id,
        "keyName": name,
        "value": value,
        "scope": "ORG",
        "warnings": [],
    })))
}
