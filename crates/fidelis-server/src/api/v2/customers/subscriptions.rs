//! `POST`/`GET /v2/customers/{id}/subscriptions` and `/v2/customers/lookup/subscriptions`.

use axum::extract::{Path, Query, State};
use axum::Json;
use fidelis_app::customers::{CustomerKey, SubscriptionRequest, SubscriptionsUpdate};
use fidelis_domain::customers::Subscription;
use fidelis_domain::org::EntityId;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::customers::{render, LookupQuery};
use crate::json::ApiJson;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionBody {
    pub communication_id: Option<Value>,
    pub campaign_id: Option<Value>,
    pub reason: Option<String>,
    pub scope: Option<ScopeBody>,
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionItem>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopeBody {
    pub scope: Option<String>,
    pub sub_scope: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
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

impl SubscriptionBody {
    fn update(&self) -> SubscriptionsUpdate<'_> {
        let scope = self.scope.as_ref();
        SubscriptionsUpdate {
            scope: scope.and_then(|s| s.scope.as_deref()),
            sub_scope: scope.and_then(|s| s.sub_scope.as_deref()),
            subscriptions: self
                .subscriptions
                .iter()
                .map(|item| SubscriptionRequest {
                    channel: &item.channel,
                    priority: &item.priority,
                    status: &item.kind,
                    // Numbers and strings alike; anything else is refused as not a number.
                    org_unit_id: match &item.org_unit_id {
                        None | Some(Value::Null) => None,
                        Some(Value::String(s)) => Some(s.clone()),
                        Some(v) => Some(v.to_string()),
                    },
                })
                .collect(),
        }
    }

    /// The subscriptions as set, with what the request said about them.
    fn echo(&self, subs: &[Subscription]) -> Value {
        let echo: Vec<Value> = self
            .subscriptions
            .iter()
            .zip(subs)
            .map(|(item, s)| {
                json!({
                    "channel": s.channel.as_str(),
                    "accountId": item.account_id,
                    "priority": s.priority.as_str(),
                    "type": s.status.as_type(),
                    "orgUnitId": s.org_unit_id.map_or(-1, EntityId::get),
                    "sourceName": item.source_name,
                })
            })
            .collect();
        json!({
            "communicationId": self.communication_id.clone().unwrap_or(json!(-1)),
            "campaignId": self.campaign_id.clone().unwrap_or(json!(-1)),
            "reason": self.reason,
            "scope": {"scope": "USER", "subScope": "NONE"},
            "subscriptions": echo,
            "warnings": [],
        })
    }
}

fn list_json(subs: &[Subscription]) -> Value {
    json!({
        "subscriptions": render::subscriptions(subs),
        "campaignId": 0,
        "communicationId": 0,
        "warnings": [],
    })
}

/// Sets subscriptions (channel × priority × org unit) of a customer.
#[utoipa::path(post, path = "/v2/customers/{customerId}/subscriptions", request_body = SubscriptionBody, tag = "customers",
    params(("customerId" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "Echo of the subscriptions"),
              (status = 400, description = "1101 channel, 1102 priority, 1103 scope, 1106 type"),
              (status = 404, description = "8015 customer not found")))]
pub async fn post_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<SubscriptionBody>,
) -> Result<Json<Value>, ApiError> {
    let id = super::customer_id(&raw)?;
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let subs = app
        .set_subscriptions(&ctx, CustomerKey::Id(id), &body.update())
        .await?;
    Ok(Json(body.echo(&subs)))
}

/// A customer's subscriptions.
#[utoipa::path(get, path = "/v2/customers/{customerId}/subscriptions", tag = "customers",
    params(("customerId" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "`{subscriptions, campaignId, communicationId, warnings}`"),
              (status = 404, description = "8015 customer not found")))]
pub async fn get_by_id(
    State(state): State<AppState>,
    p: Principal,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = super::customer_id(&raw)?;
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let subs = app.subscriptions(&ctx, CustomerKey::Id(id)).await?;
    Ok(Json(list_json(&subs)))
}

/// Sets subscriptions of the customer holding an identifier.
#[utoipa::path(post, path = "/v2/customers/lookup/subscriptions", request_body = SubscriptionBody, tag = "customers",
    params(LookupQuery),
    responses((status = 200, description = "Echo of the subscriptions"),
              (status = 400, description = "1101 channel, 1102 priority, 1103 scope, 1106 type"),
              (status = 404, description = "8015 customer not found")))]
pub async fn post_by_lookup(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LookupQuery>,
    ApiJson(body): ApiJson<SubscriptionBody>,
) -> Result<Json<Value>, ApiError> {
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let lookup = q.lookup();
    let subs = app
        .set_subscriptions(&ctx, CustomerKey::Lookup(&lookup), &body.update())
        .await?;
    Ok(Json(body.echo(&subs)))
}

/// Subscriptions of the customer holding an identifier.
#[utoipa::path(get, path = "/v2/customers/lookup/subscriptions", tag = "customers",
    params(LookupQuery),
    responses((status = 200, description = "`{subscriptions, campaignId, communicationId, warnings}`"),
              (status = 404, description = "8015 customer not found")))]
pub async fn get_by_lookup(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<LookupQuery>,
) -> Result<Json<Value>, ApiError> {
    let app = state.app.customers();
    let ctx = app.context(&p).await?;
    let lookup = q.lookup();
    let subs = app
        .subscriptions(&ctx, CustomerKey::Lookup(&lookup))
        .await?;
    Ok(Json(list_json(&subs)))
}
