//! `/v2/partnerProgram/*`: link, tier update and delink of partner and supplementary
//! programs, and a member's activity history. Thin handlers over `crate::loyalty::partner`.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::Value;

use crate::auth::Principal;
use crate::json::ApiJson;
use crate::loyalty::partner::{self, DelinkBody, HistoryQuery, LinkBody, UpdateBody};
use crate::{ApiError, AppState};

/// Links customers to partner programs.
#[utoipa::path(post, path = "/v2/partnerProgram/linkCustomer", tag = "loyalty",
    request_body = LinkBody,
    responses((status = 200, description = "`{linkCustomers: [{customer{id, mobile, email, externalId, status}, linkToPartnerPrograms: [{partnerProgramName, partnerLinkStatus}]}], warnings}`"),
              (status = 201, description = "One or more items failed: 2002 missing field, 2003 expiry in the past, 2005 already linked / not enrolled, 2006 program, 2007 tier, 2008 more than 50 programs, 8015 customer"),
              (status = 400, description = "No customers, or 1060 more than 100")))]
pub async fn link(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<LinkBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let (status, out) = partner::link(&state, &ctx, &body).await?;
    Ok((status, Json(out)))
}

/// Upgrades, renews or downgrades customers' partner tiers.
#[utoipa::path(post, path = "/v2/partnerProgram/customerPartnerProgramUpdate", tag = "loyalty",
    request_body = UpdateBody,
    responses((status = 200, description = "`{customersPartnerUpdates: [{customer{…, status}, partnerProgramUpdates: [{partnerProgramName, updateType, updateStatus}]}], warnings}`"),
              (status = 201, description = "One or more items failed: 2002, 2003, 2004 not linked, 2006, 2007, 2008, 2009 update type, 8015"),
              (status = 400, description = "No customers, or 1060 more than 100")))]
pub async fn update(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let (status, out) = partner::update(&state, &ctx, &body).await?;
    Ok((status, Json(out)))
}

/// Removes customers from partner programs.
#[utoipa::path(post, path = "/v2/partnerProgram/deLinkCustomer", tag = "loyalty",
    request_body = DelinkBody,
    responses((status = 200, description = "`{deLinkCustomers: [{customer{…, status}, deLinkFromPartnerPrograms: [{partnerProgramName, partnerDeLinkStatus}]}], warnings}`"),
              (status = 201, description = "One or more items failed: 2002, 2004 not linked, 2006, 2008, 8015"),
              (status = 400, description = "No customers, or 1060 more than 100")))]
pub async fn delink(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<DelinkBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let (status, out) = partner::delink(&state, &ctx, &body).await?;
    Ok((status, Json(out)))
}

/// A member's partner-program details and activity history.
#[utoipa::path(get, path = "/v2/partnerProgram/customerActivityHistory", tag = "loyalty",
    params(HistoryQuery),
    responses((status = 200, description = "`{partnerProgramDetails{…}, customerActivityHistory: [{activityType, activityDate, …}], notes, uniqueId, warnings, errors}`"),
              (status = 400, description = "2002 no partnerProgramId, 2013 interval of a year or more, 2014 activityType, 2018 benefits of a supplementary program"),
              (status = 404, description = "2006 program, 2011 never linked, 8015 customer")))]
pub async fn history(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = state.app.loyalty().context(&p).await?;
    let unique_id = headers
        .get("x-cap-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Ok(Json(partner::history(&state, &ctx, &q, unique_id).await?))
}
