//! `PUT /v2/customers/{id}` and `PUT /v2/customers/lookup`.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::Value;

use crate::auth::Principal;
use crate::customers::{self, wire::CustomerBody, LookupQuery};
use crate::json::ApiJson;
use crate::loyalty::enrolment::requests;
use crate::{ApiError, AppState};

/// Updates names, fields, channels and loyalty type (identifiers change through
/// `changeIdentifier`).
#[utoipa::path(put, path = "/v2/customers/{customerId}", request_body = CustomerBody, tag = "customers",
    params(("customerId" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "`{createdId, warnings, sideEffects}`"),
              (status = 404, description = "8015 not found")))]
pub async fn update_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<CustomerBody>,
) -> Result<Json<Value>, ApiError> {
    let id = super::customer_id(&raw)?;
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let (up, warnings) = body.update(&ctx)?;
    let loyalty = state.app.loyalty().context(&p).await?;
    let (enrolments, mut refused) = requests(&loyalty, &body.loyalty_program_enrollments);
    let mut saved = app
        .update(&ctx, id, &up, warnings, &loyalty, &enrolments)
        .await?;
    saved.warnings.append(&mut refused);
    Ok(Json(customers::saved_json(&saved)))
}

/// Updates the customer holding an identifier.
#[utoipa::path(put, path = "/v2/customers/lookup", request_body = CustomerBody, tag = "customers", params(LookupQuery),
    responses((status = 200, description = "`{createdId, warnings, sideEffects}`"),
              (status = 404, description = "8015 not found")))]
pub async fn update_by_lookup(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LookupQuery>,
    ApiJson(body): ApiJson<CustomerBody>,
) -> Result<Json<Value>, ApiError> {
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let id = app.resolve(&ctx, &q.lookup()).await?;
    let (up, warnings) = body.update(&ctx)?;
    let loyalty = state.app.loyalty().context(&p).await?;
    let (enrolments, mut refused) = requests(&loyalty, &body.loyalty_program_enrollments);
    let mut saved = app
        .update(&ctx, id, &up, warnings, &loyalty, &enrolments)
        .await?;
    saved.warnings.append(&mut refused);
    Ok(Json(customers::saved_json(&saved)))
}
