//! The wrapper ("mobile") API for partner apps: `/mobile/v2/me…`, acting on the customer of
//! the presented OAuth access token and nobody else. Each call needs a scope; a missing
//! or bad token is 401 `invalid_token`, a missing scope 403 `insufficient_scope`, both with
//! `WWW-Authenticate: Bearer` (RFC 6750 §3). Other failures use the v2 error envelope.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fidelis_app::identity::{Grant, MeSubscription, MeUpdate};
use fidelis_app::incentives::{CodeAsk, RedeemInput, Who};
use fidelis_app::AppError;
use fidelis_domain::customers::CustomerId;
use fidelis_domain::identity::IdentityError;
use fidelis_domain::loyalty::ProgramId;
use fidelis_store::incentives::CouponFilter;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::local_time;
use crate::json::ApiJson;
use crate::{ApiError, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me, update_me))
        .routes(routes!(points))
        .routes(routes!(transactions))
        .routes(routes!(redeem_points))
        .routes(routes!(coupons))
        .routes(routes!(redeem_coupon))
}

/// An RFC 6750 bearer-token refusal.
pub struct BearerError(IdentityError);

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (status, challenge) = match &self.0 {
            IdentityError::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\""),
            ),
            _ => (
                StatusCode::UNAUTHORIZED,
                "Bearer error=\"invalid_token\"".to_string(),
            ),
        };
        let body = json!({"error": self.0.oauth_error(), "error_description": self.0.to_string()});
        let mut res = (status, Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        res
    }
}

/// The handler's failure: a bearer refusal, or an ordinary API error.
pub enum MobileError {
    Bearer(BearerError),
    Api(ApiError),
}

impl IntoResponse for MobileError {
    fn into_response(self) -> Response {
        match self {
            Self::Bearer(b) => b.into_response(),
            Self::Api(a) => a.into_response(),
        }
    }
}

impl From<AppError> for MobileError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Identity(
                i @ (IdentityError::InvalidToken | IdentityError::InsufficientScope(_)),
            ) => Self::Bearer(BearerError(i)),
            e => Self::Api(e.into()),
        }
    }
}

impl From<ApiError> for MobileError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

/// The grant of the request's bearer token.
pub struct Bearer(Grant);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = MobileError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, MobileError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(MobileError::Bearer(BearerError(
                IdentityError::InvalidToken,
            )))?;
        Ok(Self(state.app.identity().bearer(token).await?))
    }
}

impl Bearer {
    fn with(self, scope: &str) -> Result<Grant, MobileError> {
        self.0
            .require(scope)
            .map_err(|e| MobileError::Bearer(BearerError(e)))?;
        Ok(self.0)
    }
}

fn customer(g: &Grant) -> CustomerId {
    CustomerId::new(g.customer_id)
}

/// The customer: names, identifiers and tier per program (`profile`).
#[utoipa::path(get, path = "/mobile/v2/me", tag = "mobile", security(("bearer" = [])),
    responses((status = 200, description = "The token's customer", body = Object),
              (status = 401, description = "invalid_token", body = crate::oauth::OAuthError),
              (status = 403, description = "insufficient_scope", body = crate::oauth::OAuthError)))]
pub async fn me(State(state): State<AppState>, b: Bearer) -> Result<Json<Value>, MobileError> {
    let g = b.with("profile")?;
    let app = &state.app;
    let caller = g.caller();
    let record = app
        .db()
        .customers()
        .get(g.org_id, customer(&g))
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::from(IdentityError::InvalidToken))?;
    let first = record.profiles.first();
    let identifiers: Vec<Value> = record
        .profiles
        .iter()
        .flat_map(|p| p.identifiers.iter())
        .map(|i| json!({"type": i.kind, "value": i.value}))
        .collect();
    let ctx = app.loyalty().context(&caller).await?;
    let summaries = app.loyalty().program_summaries(&ctx, customer(&g)).await?;
    let tiers: Vec<Value> = summaries
        .iter()
        .map(|s| {
            let tier = match (&s.program.tiers, &s.member) {
                (Some(t), Some(m)) => t.tier(m.tier.serial).map(|l| l.name.clone()),
                _ => None,
            };
            json!({"programId": s.program.id.get(), "programName": s.program.name, "tier": tier})
        })
        .collect();
    let customers = app.customers();
    let cctx = customers.context(&caller).await?;
    let subscriptions: Vec<Value> = customers
        .subscriptions(&cctx, fidelis_app::customers::CustomerKey::Id(customer(&g)))
        .await?
        .iter()
        .filter(|s| s.org_unit_id.is_none())
        .map(|s| {
            json!({
                "channel": s.channel.as_str(),
                "priority": s.priority.as_str(),
                "status": s.status.as_str(),
            })
        })
        .collect();
    Ok(Json(json!({
        "id": record.id.get(),
        "firstName": first.and_then(|p| p.first_name.clone()),
        "lastName": first.and_then(|p| p.last_name.clone()),
        "identifiers": identifiers,
        "status": record.status.as_str(),
        "programs": tiers,
        "subscriptions": subscriptions,
    })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeBody {
    first_name: Option<String>,
    last_name: Option<String>,
    /// Channel subscriptions to set, org-wide.
    #[serde(default)]
    subscriptions: Vec<MeSubscriptionBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeSubscriptionBody {
    /// `SMS`, `EMAIL`, …
    channel: String,
    /// `OPTIN` or `OPTOUT`.
    status: String,
    /// `BULK` (promotional) or `TRANS` (transactional); both when absent.
    priority: Option<String>,
}

/// Changes the customer's names and subscriptions (`profile`); answers the customer.
#[utoipa::path(put, path = "/mobile/v2/me", tag = "mobile", security(("bearer" = [])),
    request_body = MeBody,
    responses((status = 200, description = "The token's customer, changed", body = Object),
              (status = 400, description = "A name too long, or an unknown channel or status"),
              (status = 401, description = "invalid_token", body = crate::oauth::OAuthError),
              (status = 403, description = "insufficient_scope", body = crate::oauth::OAuthError)))]
pub async fn update_me(
    State(state): State<AppState>,
    b: Bearer,
    ApiJson(body): ApiJson<MeBody>,
) -> Result<Json<Value>, MobileError> {
    let g = b.with("profile")?;
    let up = MeUpdate {
        first_name: body.first_name,
        last_name: body.last_name,
        subscriptions: body
            .subscriptions
            .into_iter()
            .map(|s| MeSubscription {
                channel: s.channel,
                status: s.status,
                priority: s.priority,
            })
            .collect(),
    };
    state.app.identity().update_me(&g, &up).await?;
    me(State(state), Bearer(g)).await
}

/// Points per program and the expiry schedule (`points`).
#[utoipa::path(get, path = "/mobile/v2/me/points", tag = "mobile", security(("bearer" = [])),
    responses((status = 200, description = "Balances and expiry schedule", body = Object),
              (status = 401, description = "invalid_token", body = crate::oauth::OAuthError),
              (status = 403, description = "insufficient_scope", body = crate::oauth::OAuthError)))]
pub async fn points(State(state): State<AppState>, b: Bearer) -> Result<Json<Value>, MobileError> {
    let g = b.with("points")?;
    let loyalty = state.app.loyalty();
    let ctx = loyalty.context(&g.caller()).await?;
    let list: Vec<Value> = loyalty
        .points_overview(&ctx, customer(&g))
        .await?
        .iter()
        .map(|(program, o)| {
            let expiring: Vec<Value> = o
                .schedule
                .iter()
                .map(|i| json!({"date": i.date.to_string(), "points": i.points}))
                .collect();
            json!({
                "programId": program.id.get(),
                "programName": program.name,
                "balance": o.balance.net,
                "available": o.balance.available,
                "redeemed": o.redeemed,
                "expired": o.expired,
                "expirySchedule": expiring,
            })
        })
        .collect();
    Ok(Json(json!({"programs": list})))
}

/// The points ledger, newest first (`points`).
#[utoipa::path(get, path = "/mobile/v2/me/transactions", tag = "mobile", security(("bearer" = [])),
    responses((status = 200, description = "Ledger entries per program", body = Object),
              (status = 401, description = "invalid_token", body = crate::oauth::OAuthError),
              (status = 403, description = "insufficient_scope", body = crate::oauth::OAuthError)))]
pub async fn transactions(
    State(state): State<AppState>,
    b: Bearer,
) -> Result<Json<Value>, MobileError> {
    let g = b.with("points")?;
    let app = &state.app;
    let ctx = app.loyalty().context(&g.caller()).await?;
    let tz = app.config(&g.caller()).await?.org.time_zone.clone();
    let mut out = Vec::new();
    for program in ctx.member_programs() {
        let ledger = app.loyalty().ledger(&ctx, customer(&g), program).await?;
        for (e, after) in ledger.lines.iter().rev() {
            out.push(json!({
                "programId": program.id.get(),
                "type": e.kind.as_str(),
                "points": e.points,
                "balanceAfter": after,
                "at": local_time(e.at, &tz),
                "reference": e.source.reference,
            }));
        }
    }
    Ok(Json(json!({"transactions": out})))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedeemPoints {
    /// Points to spend (more than zero, at most the balance).
    #[schema(value_type = String)]
    points: Decimal,
    /// The program; the default program when absent.
    program_id: Option<i64>,
    notes: Option<String>,
}

/// Spends points (`points`); an `Idempotency-Key` header makes a retry spend once.
#[utoipa::path(post, path = "/mobile/v2/me/points/redeem", tag = "mobile", security(("bearer" = [])),
    request_body = RedeemPoints,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retried request with the same key spends once")),
    responses((status = 200, description = "Redeemed", body = Object),
              (status = 400, description = "Invalid points or balance too low"),
              (status = 401, description = "invalid_token", body = crate::oauth::OAuthError),
              (status = 403, description = "insufficient_scope", body = crate::oauth::OAuthError)))]
pub async fn redeem_points(
    State(state): State<AppState>,
    b: Bearer,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<RedeemPoints>,
) -> Result<Json<Value>, MobileError> {
    let g = b.with("points")?;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let spent = state
        .app
        .identity()
        .redeem_points(
            &g,
            body.program_id.map(ProgramId::new),
            body.points,
            key,
            body.notes,
        )
        .await?;
    Ok(Json(json!({
        "redeemed": spent.points,
        "entryId": spent.entry_id,
        "balance": spent.balance,
        "repeated": spent.repeated,
    })))
}

/// The customer's coupons (`coupons`).
#[utoipa::path(get, path = "/mobile/v2/me/coupons", tag = "mobile", security(("bearer" = [])),
    responses((status = 200, description = "Coupons issued to the customer", body = Object),
              (status = 401, description = "invalid_token", body = crate::oauth::OAuthError),
              (status = 403, description = "insufficient_scope", body = crate::oauth::OAuthError)))]
pub async fn coupons(State(state): State<AppState>, b: Bearer) -> Result<Json<Value>, MobileError> {
    let g = b.with("coupons")?;
    let app = &state.app;
    let ctx = app.incentives().context(&g.caller()).await?;
    let filter = CouponFilter {
        customers: vec![customer(&g)],
        ..CouponFilter::default()
    };
    let now = app.now();
    let list: Vec<Value> = app
        .incentives()
        .coupons(&ctx, &filter)
        .await?
        .into_iter()
        .filter(|(c, _)| c.valid_till.is_none_or(|t| t > now))
        .map(|(c, s)| {
            json!({
                "code": c.code,
                "seriesId": s.id.get(),
                "description": s.rules.description,
                "issuedOn": local_time(c.issued_at, ctx.tz()),
                "validTill": c.valid_till.map(|t| local_time(t, ctx.tz())),
                "redemptions": c.redemptions,
            })
        })
        .collect();
    Ok(Json(json!({"coupons": list})))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedeemCoupon {
    code: String,
    /// The bill the coupon is redeemed against.
    #[schema(value_type = Option<String>)]
    bill_amount: Option<Decimal>,
    transaction_number: Option<String>,
}

/// Redeems one of the customer's coupons (`coupons`).
#[utoipa::path(post, path = "/mobile/v2/me/coupons/redeem", tag = "mobile", security(("bearer" = [])),
    request_body = RedeemCoupon,
    responses((status = 200, description = "Redeemed", body = Object),
              (status = 400, description = "The coupon cannot be redeemed"),
              (status = 401, description = "invalid_token", body = crate::oauth::OAuthError),
              (status = 403, description = "insufficient_scope", body = crate::oauth::OAuthError)))]
pub async fn redeem_coupon(
    State(state): State<AppState>,
    b: Bearer,
    ApiJson(body): ApiJson<RedeemCoupon>,
) -> Result<Json<Value>, MobileError> {
    let g = b.with("coupons")?;
    let app = &state.app;
    let ctx = app.incentives().context(&g.caller()).await?;
    let who = Who {
        id: Some(g.customer_id.to_string()),
        ..Who::default()
    };
    let input = RedeemInput {
        codes: vec![CodeAsk {
            code: body.code,
            amount: None,
        }],
        bill_amount: body.bill_amount.unwrap_or_default(),
        transaction_number: body.transaction_number,
        at: None,
    };
    let (_, done) = app.incentives().redeem(&ctx, &who, &input).await?;
    let redeemed: Vec<Value> = done
        .iter()
        .map(|r| json!({"code": r.coupon.code, "redemptionId": r.redemption.id.get()}))
        .collect();
    Ok(Json(json!({"redeemed": redeemed})))
}
