//! `/v2/transactions`: add (single and bulk), get, update. Thin handlers over
//! `crate::loyalty`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use fidelis_domain::loyalty::details::DetailsPatch;
use fidelis_domain::loyalty::{LoyaltyError, TransactionType};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Principal;
use crate::json::ApiJson;
use crate::loyalty::wire::{delivery_status, object, TxnBody};
use crate::loyalty::{render, Ctx, Ident};
use crate::{ApiError, AppState};
use fidelis_app::loyalty::Outcome;

/// Capillary's transaction batch limit (672 beyond it).
const MAX_BATCH: usize = 100;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add, update))
        .routes(routes!(bulk))
        .routes(routes!(get))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AddQuery {
    /// `INSTORE` (any case), `ECOMMERCE`, …
    pub source: Option<String>,
    /// `mobile`, `email`, `externalId`, `id`, `cardnumber`, `cardExternalId`, …
    pub identifier_name: Option<String>,
    pub identifier_value: Option<String>,
    pub account_id: Option<String>,
    /// `true`: also return the points engine's raw side effects.
    pub raw_side_effects: Option<bool>,
}

impl AddQuery {
    fn ident(&self) -> Ident {
        Ident {
            name: self.identifier_name.clone(),
            value: self.identifier_value.clone(),
            source: self.source.clone(),
            account_id: self.account_id.clone(),
        }
    }
}

/// Adds a REGULAR, RETURN, NOT_INTERESTED or NOT_INTERESTED_RETURN transaction.
#[utoipa::path(post, path = "/v2/transactions", tag = "transactions", params(AddQuery),
    request_body = TxnBody,
    responses((status = 200, description = "`{createdId, warnings, errors, sideEffects, customerInfo}`"),
              (status = 400, description = "601 amount not a number, 604 repeated bill number, 605 type, 606 no identifier, 626 return type, 643/644 date window, …"),
              (status = 404, description = "8015 customer not found, 625 bill to return not found")))]
pub async fn add(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<AddQuery>,
    ApiJson(body): ApiJson<TxnBody>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let bill = body.check(ctx.tz())?;
    let out = state
        .app
        .loyalty()
        .record_transaction(&ctx, &q.ident(), bill)
        .await?;
    Ok(Json(render::posted(
        &ctx,
        &out,
        q.raw_side_effects.unwrap_or(false),
    )))
}

/// Adds up to 100 transactions; each element names its customer in the body.
#[utoipa::path(post, path = "/v2/transactions/bulk", tag = "transactions",
    request_body = Vec<TxnBody>,
    responses((status = 200, description = "`{response: [{entityId, result, errors, warnings}], totalCount, failureCount}`"),
              (status = 201, description = "One or more items failed"),
              (status = 400, description = "672 batch limit, or not an array")))]
pub async fn bulk(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(items): ApiJson<Vec<Value>>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(LoyaltyError::TransactionBatchLimit(MAX_BATCH).into());
    }
    let ctx = state.app.loyalty().context(&p).await?;
    let mut out = Vec::with_capacity(items.len());
    let mut failed = 0;
    for item in &items {
        let result = bulk_item(&state, &ctx, item).await;
        match &result {
            Err(e) if e.is_internal() => return Err(e.clone()),
            Err(_) => failed += 1,
            Ok(_) => {}
        }
        out.push(render::bulk_item(item, &ctx, result.as_ref()));
    }
    let status = if failed > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({"response": out, "totalCount": items.len(), "failureCount": failed})),
    ))
}

async fn bulk_item(state: &AppState, ctx: &Ctx, item: &Value) -> Result<Outcome, ApiError> {
    let body: TxnBody = serde_json::from_value(item.clone())
        .map_err(|e| ApiError::invalid(format!("Input is invalid: {e}")))?;
    let bill = body.check(ctx.tz())?;
    let who = body.ident()?;
    if bill.kind.needs_customer() && !who.given() {
        return Err(LoyaltyError::CustomerDetailsNotSent.into());
    }
    Ok(state
        .app
        .loyalty()
        .record_transaction(ctx, &who, bill)
        .await?)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetQuery {
    /// REGULAR (default), RETURN, NOT_INTERESTED or NOT_INTERESTED_RETURN.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A transaction by id.
#[utoipa::path(get, path = "/v2/transactions/{id}", tag = "transactions",
    params(("id" = i64, Path, description = "Transaction id"), GetQuery),
    responses((status = 200, description = "The transaction"),
              (status = 404, description = "625 no such transaction of that type")))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    Query(q): Query<GetQuery>,
) -> Result<Json<Value>, ApiError> {
    let kind = TransactionType::parse(q.kind.as_deref().unwrap_or("REGULAR"))?;
    let ctx = state.app.loyalty().context(&p).await?;
    let t = state
        .app
        .loyalty()
        .transaction_view(&ctx, &raw, kind)
        .await?;
    Ok(Json(render::transaction(
        &ctx,
        &t.bill,
        t.store.as_ref(),
        t.till.as_ref(),
    )))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateBody {
    /// The transaction id.
    #[schema(value_type = i64)]
    pub id: Option<Value>,
    /// Its type (default REGULAR).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[schema(value_type = Option<String>)]
    pub delivery_status: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub extended_fields: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<Value>,
}

/// Updates a transaction's delivery status, extended and custom fields (nothing else is
/// updatable; points do not change).
#[utoipa::path(put, path = "/v2/transactions", tag = "transactions", request_body = UpdateBody,
    responses((status = 200, description = "`{id, warnings, errors}`"),
              (status = 404, description = "625 no such transaction")))]
pub async fn update(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<Value>, ApiError> {
    let kind = TransactionType::parse(body.kind.as_deref().unwrap_or("REGULAR"))?;
    let ctx = state.app.loyalty().context(&p).await?;
    let raw = crate::loyalty::numbers::text("id", body.id.as_ref())?.unwrap_or_default();
    let patch = DetailsPatch {
        delivery_status: delivery_status(body.delivery_status.as_ref())?,
        extended_fields: object("extendedFields", body.extended_fields.as_ref())?,
        custom_fields: object("customFields", body.custom_fields.as_ref())?,
    };
    let id = state
        .app
        .loyalty()
        .update_transaction(&ctx, &raw, kind, &patch)
        .await?;
    Ok(Json(json!({"id": id, "warnings": [], "errors": []})))
}
