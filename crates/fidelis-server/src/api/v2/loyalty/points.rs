//! Points reads: balance, expiry schedule, expired points, and the ledger ("explain").

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::{by_id, by_lookup, LoyaltyQuery};
use crate::auth::Principal;

use crate::loyalty::summary;
use crate::loyalty::{Ctx, Customer};
use crate::{ApiError, AppState};

async fn balance(
    state: &AppState,
    ctx: &Ctx,
    c: &Customer,
    q: &LoyaltyQuery,
) -> Result<Json<Value>, ApiError> {
    let programs = q.programs(ctx, c)?;
    let total = state
        .app
        .loyalty()
        .net_balance(ctx, c.id, &programs)
        .await?;
    Ok(Json(summary::balance(c.id, &programs, total)))
}

/// Points balance of the customer holding an identifier (the light balance API).
#[utoipa::path(get, path = "/v2/customers/points/balance", tag = "loyalty", params(LoyaltyQuery),
    responses((status = 200, description = "`{entityId, entityType, programId, totalPoints, mainPoints, …}`"),
              (status = 404, description = "8015 customer not found")))]
pub async fn balance_by_lookup(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LoyaltyQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let c = by_lookup(&state, &ctx, &q).await?;
    balance(&state, &ctx, &c, &q).await
}

/// Points balance of a customer id.
#[utoipa::path(get, path = "/v2/customers/points/balance/{userId}", tag = "loyalty",
    params(("userId" = i64, Path, description = "Customer id"), LoyaltyQuery),
    responses((status = 200, description = "The balance"), (status = 404, description = "8015")))]
pub async fn balance_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    Query(q): Query<LoyaltyQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let c = by_id(&state, &ctx, &raw).await?;
    balance(&state, &ctx, &c, &q).await
}

async fn schedule(
    state: &AppState,
    ctx: &Ctx,
    c: &Customer,
    q: &LoyaltyQuery,
) -> Result<Json<Value>, ApiError> {
    let programs = q.programs(ctx, c)?;
    let (from, to) = q.window()?;
    let mut rows = state
        .app
        .loyalty()
        .expiry_schedule(ctx, c.id, &programs, from, to)
        .await?;
    if q.fetch_earliest_expiry_only.unwrap_or(false) {
        rows.truncate(1);
    }
    let rows: Vec<Value> = rows
        .iter()
        .map(|(program, i)| summary::expiry_item(ctx, *program, i))
        .collect();
    Ok(Json(json!({
        "id": c.id,
        "profiles": [],
        "loyaltyInfo": {},
        "segments": {},
        "extendedFields": {},
        "expirySchedules": rows,
        "warnings": [],
    })))
}

/// Upcoming points expiries of the customer holding an identifier, by org-local day.
#[utoipa::path(get, path = "/v2/customers/lookup/pointsExpirySchedule", tag = "loyalty",
    params(LoyaltyQuery),
    responses((status = 200, description = "`{id, expirySchedules: [{points, expiryDate, programId, …}], warnings}`"),
              (status = 404, description = "8015 customer not found")))]
pub async fn schedule_by_lookup(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LoyaltyQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let c = by_lookup(&state, &ctx, &q).await?;
    schedule(&state, &ctx, &c, &q).await
}

/// Upcoming points expiries of a customer id.
#[utoipa::path(get, path = "/v2/customers/{userId}/pointsExpirySchedule", tag = "loyalty",
    params(("userId" = i64, Path, description = "Customer id"), LoyaltyQuery),
    responses((status = 200, description = "The schedule"), (status = 404, description = "8015")))]
pub async fn schedule_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    Query(q): Query<LoyaltyQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let c = by_id(&state, &ctx, &raw).await?;
    schedule(&state, &ctx, &c, &q).await
}

async fn expired(
    state: &AppState,
    ctx: &Ctx,
    c: &Customer,
    q: &LoyaltyQuery,
) -> Result<Json<Value>, ApiError> {
    let programs = q.programs(ctx, c)?;
    let rows: Vec<Value> = state
        .app
        .loyalty()
        .expired_points(ctx, c.id, &programs)
        .await?
        .iter()
        .map(|(program, e)| summary::expired_item(ctx, *program, e))
        .collect();
    Ok(Json(
        json!({"id": c.id, "expiredPoints": rows, "warnings": []}),
    ))
}

/// Points the customer holding an identifier lost to expiry, newest first.
#[utoipa::path(get, path = "/v2/customers/lookup/expiredPoints", tag = "loyalty",
    params(LoyaltyQuery),
    responses((status = 200, description = "`{id, expiredPoints: [{points, expiredOn, programId}], warnings}`"),
              (status = 404, description = "8015 customer not found, 1101 program not found")))]
pub async fn expired_by_lookup(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LoyaltyQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let c = by_lookup(&state, &ctx, &q).await?;
    expired(&state, &ctx, &c, &q).await
}

/// Points a customer id lost to expiry, newest first.
#[utoipa::path(get, path = "/v2/customers/{userId}/expiredPoints", tag = "loyalty",
    params(("userId" = i64, Path, description = "Customer id"), LoyaltyQuery),
    responses((status = 200, description = "Expired points"),
              (status = 404, description = "8015 customer not found, 1101 program not found")))]
pub async fn expired_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    Query(q): Query<LoyaltyQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let c = by_id(&state, &ctx, &raw).await?;
    expired(&state, &ctx, &c, &q).await
}

/// Fidelis's explain API: every ledger entry of the customer in the program, oldest first,
/// with its source, rule, actor, reason, the lots it touched and the running balance.
#[utoipa::path(get, path = "/v2/customers/{userId}/pointsLedger", tag = "loyalty",
    params(("userId" = i64, Path, description = "Customer id"), LoyaltyQuery),
    responses((status = 200, description = "`{customerId, programId, balance, data: [entry]}`"),
              (status = 404, description = "8015 customer not found")))]
pub async fn ledger(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    Query(q): Query<LoyaltyQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let c = by_id(&state, &ctx, &raw).await?;
    let program =
        q.programs(&ctx, &c)?.into_iter().next().ok_or_else(|| {
            ApiError::from(fidelis_domain::loyalty::LoyaltyError::ProgramNotFound)
        })?;
    let l = state.app.loyalty().ledger(&ctx, c.id, program).await?;
    Ok(Json(summary::ledger(&ctx, c.id, program, &l)))
}
