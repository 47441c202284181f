//! `POST /v2/customers/{id}/changeIdentifier`: add/remove identifiers, issue/delink cards.

use axum::extract::{Path, Query, State};
use axum::Json;
use fidelis_app::AppError;
use fidelis_domain::customers::CustomerError;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::customers::wire::{identifier, identifier_change, IdentifierBody};
use crate::json::ApiJson;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ChangeBody {
    #[serde(default)]
    pub add: Vec<IdentifierBody>,
    #[serde(default)]
    pub remove: Vec<IdentifierBody>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SourceQuery {
    pub source: Option<String>,
    #[serde(rename = "accountId")]
    pub account_id: Option<String>,
}

/// Adds and removes identifiers of one source account. A card added with status label
/// `NOT_ISSUED` is delinked.
#[utoipa::path(post, path = "/v2/customers/{customerId}/changeIdentifier", request_body = ChangeBody, tag = "customers",
    params(("customerId" = i64, Path, description = "Customer id"), SourceQuery),
    responses((status = 200, description = "`{createdId, warnings}`"),
              (status = 400, description = "1032/1016/1033/8008 held by another customer, 8009 no such customer"),
              (status = 404, description = "8015 customer not found")))]
pub async fn change_identifier(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    Query(q): Query<SourceQuery>,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<Json<Value>, ApiError> {
    // An id the org does not have is 8009 here (Capillary's "invalid customer id").
    let invalid_id = |e: AppError| match e {
        AppError::Customers(CustomerError::NotFound) => CustomerError::InvalidCustomerId.into(),
        e => e,
    };
    let id = super::customer_id(&raw).map_err(|_| CustomerError::InvalidCustomerId)?;
    if body.add.is_empty() && body.remove.is_empty() {
        return Err(CustomerError::InvalidInput("add or remove is required".into()).into());
    }
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    // The account is settled before the identifiers are read, as Capillary reports it.
    let account = app
        .account(&ctx, id, q.source.as_deref(), q.account_id.as_deref())
        .await
        .map_err(invalid_id)?;
    let country = ctx.org.country.as_str();
    let add = body
        .add
        .iter()
        .map(|b| identifier_change(b, country))
        .collect::<Result<Vec<_>, _>>()?;
    let remove = body
        .remove
        .iter()
        .map(|b| identifier(b, country))
        .collect::<Result<Vec<_>, _>>()?;
    app.change_identifiers(&ctx, id, &account, &add, &remove)
        .await
        .map_err(invalid_id)?;
    Ok(Json(json!({"createdId": id, "warnings": []})))
}
