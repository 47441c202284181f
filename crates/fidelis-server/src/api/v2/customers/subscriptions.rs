//! `POST`/`GET /v2/customers/{id}/subscriptions` and `/v2/customers/lookup/subscriptions`.

use axum::extract::{Path, Query, State};
use axum::Json;
use fidelis_domain::customers::{
    effective_status, validate_scope, CustomerError, Priority, Subscription, SubscriptionChannel,
    SubscriptionStatus,
};
use fidelis_domain::org::EntityKind;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::customers::{self, render, Ctx, LookupQuery};
use crate::json::ApiJson;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionBody {
    pub communication_id: Option<Value>,
    pub campaign_id: Option<Value>,
    pub reason: Option<String>,
    pub scope: Option<ScopeBody>,
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionItem>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeBody {
    pub scope: Option<String>,
    pub sub_scope: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionItem {
    pub channel: String,
    pub account_id: Option<Value>,
    pub priority: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub org_unit_id: Option<Value>,
    pub source_name: Option<String>,
}

async fn set(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    body: &SubscriptionBody,
) -> Result<Value, ApiError> {
    let scope = body.scope.as_ref();
    validate_scope(
        scope.and_then(|s| s.scope.as_deref()),
        scope.and_then(|s| s.sub_scope.as_deref()),
    )?;
    if body.subscriptions.is_empty() {
        return Err(CustomerError::InvalidInput("subscriptions is required".into()).into());
    }
    let mut subs = Vec::new();
    let mut echo = Vec::new();
    for item in &body.subscriptions {
        let ou = match &item.org_unit_id {
            None | Some(Value::Null) => None,
            Some(v) => {
                let n = match v {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                }
                .ok_or_else(|| CustomerError::InvalidInput("orgUnitId must be a number".into()))?;
                (n > 0).then_some(n)
            }
        };
        if let Some(ou) = ou {
            let unit = state.db.orgs().entity(ctx.org.id, ou).await?;
            if !unit.is_some_and(|u| u.kind == EntityKind::Concept) {
                return Err(ApiError::invalid(format!(
                    "Invalid input: orgUnitId {ou} is not an org unit"
                )));
            }
        }
        let s = Subscription {
            channel: SubscriptionChannel::parse(&item.channel)?,
            priority: Priority::parse(&item.priority)?,
            org_unit_id: ou,
            status: SubscriptionStatus::parse(&item.kind)?,
        };
        echo.push(json!({
            "channel": s.channel.as_str(),
            "accountId": item.account_id,
            "priority": s.priority.as_str(),
            "type": s.status.as_type(),
            "orgUnitId": ou.unwrap_or(-1),
            "sourceName": item.source_name,
        }));
        subs.push(s);
    }
    state
        .db
        .customers()
        .set_subscriptions(ctx.org.id, id, &subs, state.now())
        .await?;
    Ok(json!({
        "communicationId": body.communication_id.clone().unwrap_or(json!(-1)),
        "campaignId": body.campaign_id.clone().unwrap_or(json!(-1)),
        "reason": body.reason,
        "scope": {"scope": "USER", "subScope": "NONE"},
        "subscriptions": echo,
        "warnings": [],
    }))
}

/// Stored records plus, for the customer's SMS and email channels, the effective status
/// of both priorities (subscribed when nothing was recorded).
async fn list(state: &AppState, ctx: &Ctx, id: i64) -> Result<Value, ApiError> {
    let repo = state.db.customers();
    let c = repo
        .get(ctx.org.id, id)
        .await?
        .ok_or(CustomerError::NotFound)?;
    let mut subs = repo.subscriptions(ctx.org.id, id).await?;
    let has = |kind: &str| {
        c.profiles.iter().any(|p| {
            p.identifiers.iter().any(|i| i.kind == kind)
                || p.channels
                    .as_array()
                    .is_some_and(|a| a.iter().any(|ch| ch["type"] == kind))
        })
    };
    let mut channels = Vec::new();
    if has("mobile") {
        channels.push(SubscriptionChannel::Sms);
    }
    if has("email") {
        channels.push(SubscriptionChannel::Email);
    }
    for channel in channels {
        for priority in [Priority::Trans, Priority::Bulk] {
            let known = subs
                .iter()
                .any(|s| s.channel == channel && s.priority == priority && s.org_unit_id.is_none());
            if !known {
                subs.push(Subscription {
                    channel,
                    priority,
                    org_unit_id: None,
                    status: effective_status(&subs, channel, priority, None),
                });
            }
        }
    }
    subs.sort_by_key(|s| (s.channel, s.priority, s.org_unit_id));
    Ok(json!({
        "subscriptions": render::subscriptions(&subs),
        "campaignId": 0,
        "communicationId": 0,
        "warnings": [],
    }))
}

/// Sets subscriptions (channel × priority × org unit) of a customer.
#[utoipa::path(post, path = "/v2/customers/{customerId}/subscriptions", tag = "customers",
    params(("customerId" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "Echo of the subscriptions"),
              (status = 400, description = "1101 channel, 1102 priority, 1103 scope, 1106 type")))]
pub async fn post_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<SubscriptionBody>,
) -> Result<Json<Value>, ApiError> {
    let id = super::customer_id(&raw)?;
    let ctx = Ctx::load(&state, &p).await?;
    Ok(Json(set(&state, &ctx, id, &body).await?))
}

/// A customer's subscriptions.
#[utoipa::path(get, path = "/v2/customers/{customerId}/subscriptions", tag = "customers",
    params(("customerId" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "`{subscriptions, campaignId, communicationId, warnings}`")))]
pub async fn get_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = super::customer_id(&raw)?;
    let ctx = Ctx::load(&state, &p).await?;
    Ok(Json(list(&state, &ctx, id).await?))
}

/// Sets subscriptions of the customer holding an identifier.
#[utoipa::path(post, path = "/v2/customers/lookup/subscriptions", tag = "customers",
    params(LookupQuery),
    responses((status = 200, description = "Echo of the subscriptions")))]
pub async fn post_by_lookup(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LookupQuery>,
    ApiJson(body): ApiJson<SubscriptionBody>,
) -> Result<Json<Value>, ApiError> {
    let ctx = Ctx::load(&state, &p).await?;
    let id = customers::resolve(&state, &ctx, &q).await?;
    Ok(Json(set(&state, &ctx, id, &body).await?))
}

/// Subscriptions of the customer holding an identifier.
#[utoipa::path(get, path = "/v2/customers/lookup/subscriptions", tag = "customers",
    params(LookupQuery),
    responses((status = 200, description = "`{subscriptions, campaignId, communicationId, warnings}`")))]
pub async fn get_by_lookup(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LookupQuery>,
) -> Result<Json<Value>, ApiError> {
    let ctx = Ctx::load(&state, &p).await?;
    let id = customers::resolve(&state, &ctx, &q).await?;
    Ok(Json(list(&state, &ctx, id).await?))
}
