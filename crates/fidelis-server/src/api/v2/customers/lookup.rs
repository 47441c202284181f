//! `GET /v2/customers/lookup`, `/lookup/customerDetails` and `/v2/customers/{id}`.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::customers::{self, Ctx, Embed, LookupQuery};
use crate::{ApiError, AppState};

/// The customer id holding an identifier.
#[utoipa::path(get, path = "/v2/customers/lookup", tag = "customers", params(LookupQuery),
    responses((status = 200, description = "`{entity, warnings}`"),
              (status = 404, description = "8015 not found, 8065 not in that source")))]
pub async fn lookup(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LookupQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = Ctx::load(&state, &p).await?;
    let id = customers::resolve(&state, &ctx, &q).await?;
    Ok(Json(json!({"entity": id, "warnings": []})))
}

/// The full customer holding an identifier.
#[utoipa::path(get, path = "/v2/customers/lookup/customerDetails", tag = "customers",
    params(LookupQuery),
    responses((status = 200, description = "The customer object"),
              (status = 404, description = "8015 not found")))]
pub async fn details_by_lookup(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LookupQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = Ctx::load(&state, &p).await?;
    let embed = Embed::parse(q.embed.as_deref())?;
    let id = customers::resolve(&state, &ctx, &q).await?;
    with_loyalty(
        &state,
        &p,
        id,
        customers::details(&state, &ctx, id, &embed).await?,
    )
    .await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DetailsQuery {
    pub embed: Option<String>,
}

/// The full customer by id.
#[utoipa::path(get, path = "/v2/customers/{customerId}", tag = "customers",
    params(("customerId" = i64, Path, description = "Customer id"), DetailsQuery),
    responses((status = 200, description = "The customer object"),
              (status = 404, description = "8015 not found")))]
pub async fn details_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    Query(q): Query<DetailsQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = super::customer_id(&raw)?;
    let ctx = Ctx::load(&state, &p).await?;
    let embed = Embed::parse(q.embed.as_deref())?;
    with_loyalty(
        &state,
        &p,
        id,
        customers::details(&state, &ctx, id, &embed).await?,
    )
    .await
}

/// Fills the read's `loyaltyProgramDetails` from the loyalty context.
async fn with_loyalty(
    state: &AppState,
    p: &Principal,
    id: i64,
    mut body: Value,
) -> Result<Json<Value>, ApiError> {
    body["loyaltyProgramDetails"] =
        Value::Array(crate::loyalty::summary::program_details(state, p, id).await?);
    Ok(Json(body))
}
