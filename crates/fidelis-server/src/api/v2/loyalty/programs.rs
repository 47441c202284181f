//! `GET /v2/organization/programs` and the customer's `loyaltyDetails`.

use axum::extract::{Path, Query, State};
use axum::Json;
use fidelis_domain::loyalty::ProgramKind;
use serde_json::{json, Value};

use super::{by_id, by_lookup, LoyaltyQuery};
use crate::auth::Principal;
use crate::loyalty::numbers::num;

use crate::loyalty::summary::program_summary;
use crate::loyalty::{Ctx, Customer};
use crate::{ApiError, AppState};

/// The org's loyalty programs with their tiers, and its partner programs.
#[utoipa::path(get, path = "/v2/organization/programs", tag = "loyalty",
    responses((status = 200, description = "`{data: [{programId, programName, programDescription, pointsToCurrencyRatio, partnerPrograms, default, …}], warnings, errors}`")))]
pub async fn programs(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let partners: Vec<Value> = ctx
        .loyalty
        .partner_programs
        .iter()
        .map(|pp| {
            json!({
                "partnerProgramId": pp.id,
                "partnerProgramName": pp.name,
                "partnerProgramDescription": pp.description,
                "partnerProgramType": pp.kind.as_str(),
                "partnerProgramTiers": pp.tiers.iter().enumerate()
                    .map(|(i, t)| json!({"tierNumber": i + 1, "tierName": t}))
                    .collect::<Vec<_>>(),
                // A supplementary program spends the main program's points: one for one.
                "pointsExchangeRate": pp.points_exchange_rate.map_or(json!(1.0), num),
                "membershipPeriodValue": pp.membership_months,
                "membershipPeriodType": pp.membership_months.map(|_| "MONTHS"),
                "tierBased": pp.tier_based(),
            })
        })
        .collect();
    let data: Vec<Value> = ctx
        .loyalty
        .programs
        .iter()
        .filter(|p| p.kind == ProgramKind::Default)
        .map(|p| {
            let tiers = p.tiers.as_ref();
            json!({
                "programId": p.id,
                "programName": p.name,
                "programDescription": p.name,
                // Fidelis redeems points at face value (as v1.1 `points_currency_ratio`).
                "pointsToCurrencyRatio": 1.0,
                "default": true,
                "programType": p.kind.as_str(),
                "pointsPerAmount": {"points": num(p.earn.points), "perAmount": num(p.earn.per_amount)},
                "tierBasis": tiers.map(|t| t.basis),
                "tiers": tiers.map(|t| t.tiers.iter().map(|s| json!({
                    "serialNumber": s.serial, "name": s.name, "threshold": num(s.threshold),
                })).collect::<Vec<_>>()).unwrap_or_default(),
                "partnerPrograms": partners,
            })
        })
        .collect();
    Ok(Json(json!({"data": data, "warnings": [], "errors": []})))
}

async fn details(state: &AppState, ctx: &Ctx, c: &Customer) -> Result<Json<Value>, ApiError> {
    let data: Vec<Value> = state
        .app
        .loyalty()
        .program_summaries(ctx, c.id)
        .await?
        .iter()
        .map(|s| program_summary(ctx, c.id, s))
        .collect();
    Ok(Json(json!({"data": data, "warnings": [], "errors": []})))
}

/// Loyalty summary per program for the customer holding an identifier.
#[utoipa::path(get, path = "/v2/customers/lookup/loyaltyDetails", tag = "loyalty",
    params(LoyaltyQuery),
    responses((status = 200, description = "`{data: [program summary], warnings, errors}`"),
              (status = 404, description = "8015 customer not found")))]
pub async fn details_by_lookup(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LoyaltyQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let c = by_lookup(&state, &ctx, &q).await?;
    details(&state, &ctx, &c).await
}

/// Loyalty summary per program for a customer id.
#[utoipa::path(get, path = "/v2/customers/{customerId}/loyaltyDetails", tag = "loyalty",
    params(("customerId" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "`{data: [program summary], warnings, errors}`"),
              (status = 404, description = "8015 customer not found")))]
pub async fn details_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let c = by_id(&state, &ctx, &raw).await?;
    details(&state, &ctx, &c).await
}
