//! `GET /v2/customers/lookup`, `/lookup/customerDetails` and `/v2/customers/{id}`.

use axum::extract::{Path, Query, State};
use axum::Json;
use fidelis_app::customers::{Ctx, CustomerKey, CustomerView};
use fidelis_app::loyalty::CardRef;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::customers::{self, render, LookupQuery};
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
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let id = app.resolve(&ctx, &q.lookup()).await?;
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
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let embed = customers::embed(q.embed.as_deref())?;
    let lookup = q.lookup();
    let view = app
        .details(&ctx, CustomerKey::Lookup(&lookup), embed)
        .await?;
    with_loyalty(&state, &p, &ctx, &view, q.embed.as_deref()).await
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
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let embed = customers::embed(q.embed.as_deref())?;
    let view = app.details(&ctx, CustomerKey::Id(id), embed).await?;
    with_loyalty(&state, &p, &ctx, &view, q.embed.as_deref()).await
}

/// Renders the customer, with `loyaltyProgramDetails` from the loyalty context and, with
/// `embed=points`, the default program's `pointsSummary`.
async fn with_loyalty(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    view: &CustomerView,
    embed: Option<&str>,
) -> Result<Json<Value>, ApiError> {
    let mut body = render::customer(view, &ctx.org);
    let programs = crate::loyalty::summary::program_details(state, p, view.customer.id).await?;
    let listed = body["cardDetails"].as_array().cloned().unwrap_or_default();
    body["cardDetails"] = Value::Array(card_details(state, p, &listed).await?);
    if customers::embeds(embed, "points") {
        body["pointsSummary"] = crate::loyalty::summary::points_summary(programs.first());
    }
    body["loyaltyProgramDetails"] = Value::Array(programs);
    Ok(Json(body))
}

/// The customer's cards as `GET /v2/card` renders them (with `cardId` and `statusInfo`);
/// a card identifier the card registry does not know stays as the identifier describes it.
async fn card_details(
    state: &AppState,
    p: &Principal,
    listed: &[Value],
) -> Result<Vec<Value>, ApiError> {
    if listed.is_empty() {
        return Ok(Vec::new());
    }
    let loyalty = state.app.loyalty();
    let ctx = loyalty.context(p).await?;
    let mut out = Vec::with_capacity(listed.len());
    for entry in listed {
        let card = CardRef {
            number: entry["cardNumber"].as_str(),
            external_id: None,
        };
        match loyalty.card(&ctx, card).await {
            Ok(c) => {
                let mut c = crate::loyalty::cards::render_card(&ctx, &c);
                if let Some(obj) = c.as_object_mut() {
                    obj.remove("warnings");
                }
                out.push(c);
            }
            Err(e) if !e.is_internal() => out.push(entry.clone()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}
