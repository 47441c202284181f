//! The admin API for partner OAuth clients and OTP limits (Fidelis's own, under `/v2`
//! with the Capillary credentials): `identity` resource, API clients only.

use axum::extract::{Path, State};
use axum::Json;
use fidelis_app::identity::NewSecret;
use fidelis_app::AppError;
use fidelis_domain::identity::{ClientPatch, IdentityError, OtpConfig, OtpPatch, PointsValidation};
use fidelis_store::identity::ClientEntry;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{local_time, v2_page};
use crate::auth::Principal;
use crate::json::ApiJson;
use crate::{ApiError, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update))
        .routes(routes!(rotate_secret))
        .routes(routes!(otp_config, set_otp_config))
}

/// A partner client's settings; on create `clientId`, `redirectUris` and `scopes` are
/// required, on update only what is sent changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientBody {
    /// 3–64 letters, digits, `.`, `_`, `-` (create only).
    client_id: Option<String>,
    name: Option<String>,
    /// Exact redirect URIs: https, or http on loopback; no fragment.
    redirect_uris: Option<Vec<String>>,
    /// Space-separated, of `profile points coupons`.
    scopes: Option<String>,
    /// 60–86400, default 900.
    access_ttl_seconds: Option<i64>,
    /// 3600–31622400, default 30 days.
    refresh_ttl_seconds: Option<i64>,
    /// `false` disables the client and revokes its tokens.
    active: Option<bool>,
}

impl ClientBody {
    fn patch(self) -> ClientPatch {
        ClientPatch {
            name: self.name,
            redirect_uris: self.redirect_uris,
            scopes: self.scopes,
            access_ttl_seconds: self.access_ttl_seconds,
            refresh_ttl_seconds: self.refresh_ttl_seconds,
            active: self.active,
        }
    }
}

/// OTP limits to change; the others stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OtpBody {
    /// 60–600 seconds a code lives.
    ttl_seconds: Option<i64>,
    /// 1–10 wrong tries per code.
    max_attempts: Option<i64>,
    /// 0–600 seconds between two sends to one identifier.
    cooldown_seconds: Option<i64>,
    /// 1–100 sends per identifier and hour.
    per_hour: Option<i64>,
    /// 1–1000 sends per identifier and day.
    per_day: Option<i64>,
    /// Sends per org and hour.
    org_per_hour: Option<i64>,
    /// Sends asked for from one address per hour.
    ip_per_hour: Option<i64>,
    /// `required` or `optional`: whether `POST /v1.1/points/redeem` needs a validation code.
    points_validation: Option<String>,
}

fn client_json(e: &ClientEntry, tz: &jiff::tz::TimeZone) -> Value {
    let c = &e.client;
    json!({
        "clientId": c.client_id,
        "name": c.name,
        "redirectUris": c.redirect_uris,
        "scopes": c.scopes.to_string(),
        "accessTtlSeconds": c.access_ttl_seconds,
        "refreshTtlSeconds": c.refresh_ttl_seconds,
        "active": c.active,
        "managedBy": if e.from_file { "file" } else { "api" },
        "createdOn": local_time(e.created_at, tz),
        "lastUpdatedOn": local_time(e.updated_at, tz),
    })
}

fn otp_json(o: &OtpConfig) -> Value {
    json!({"entity": {
        "ttlSeconds": o.ttl_seconds,
        "maxAttempts": o.max_attempts,
        "cooldownSeconds": o.cooldown_seconds,
        "perHour": o.per_hour,
        "perDay": o.per_day,
        "orgPerHour": o.org_per_hour,
        "ipPerHour": o.ip_per_hour,
        "pointsValidation": o.points_validation.as_str(),
    }, "warnings": []})
}

async fn zone(state: &AppState, p: &Principal) -> Result<jiff::tz::TimeZone, ApiError> {
    Ok(state.app.config(p).await?.org.time_zone.clone())
}

fn with_secret(s: &NewSecret, tz: &jiff::tz::TimeZone) -> Json<Value> {
    let mut entity = client_json(&s.client, tz);
    entity["clientSecret"] = json!(s.secret);
    Json(json!({"entity": entity, "warnings": [
        {"code": 1621, "message": "clientSecret is shown this once; store it now"}
    ]}))
}

/// The org's partner clients (from the org file and from this API).
#[utoipa::path(get, path = "/v2/identity/clients", tag = "identity",
    responses((status = 200, description = "`{data, pagination}`")))]
pub async fn list(State(state): State<AppState>, p: Principal) -> Result<Json<Value>, ApiError> {
    let all = state.app.identity().clients(&p).await?;
    let tz = zone(&state, &p).await?;
    let total = all.len();
    let data = all.iter().map(|e| client_json(e, &tz)).collect();
    Ok(Json(v2_page(data, total as i64, 0, total)))
}

/// Creates a partner client; its secret is in the answer, this once.
#[utoipa::path(post, path = "/v2/identity/clients", tag = "identity", request_body = ClientBody,
    responses((status = 200, description = "`{entity{…, clientSecret}, warnings}`"),
              (status = 400, description = "1604 invalid settings; 1619 the client id is taken")))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<ClientBody>,
) -> Result<Json<Value>, ApiError> {
    let id = body.client_id.clone().unwrap_or_default();
    let made = state
        .app
        .identity()
        .create_client(&p, &id, &body.patch())
        .await?;
    Ok(with_secret(&made, &zone(&state, &p).await?))
}

/// One partner client.
#[utoipa::path(get, path = "/v2/identity/clients/{clientId}", tag = "identity",
    params(("clientId" = String, Path, description = "The client id")),
    responses((status = 200, description = "`{entity, warnings}`"),
              (status = 404, description = "1618 no such client")))]
pub async fn get(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let e = state.app.identity().client_entry(&p, &id).await?;
    let tz = zone(&state, &p).await?;
    Ok(Json(
        json!({"entity": client_json(&e, &tz), "warnings": []}),
    ))
}

/// Changes a client this API created (`active: false` disables it and revokes its tokens).
#[utoipa::path(put, path = "/v2/identity/clients/{clientId}", tag = "identity",
    request_body = ClientBody,
    params(("clientId" = String, Path, description = "The client id")),
    responses((status = 200, description = "`{entity, warnings}`"),
              (status = 404, description = "1618 no such client"),
              (status = 400, description = "1604 invalid settings; 1620 the client is declared in the org file")))]
pub async fn update(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ClientBody>,
) -> Result<Json<Value>, ApiError> {
    if body.client_id.as_ref().is_some_and(|c| *c != id) {
        return Err(ApiError::invalid("clientId cannot be changed"));
    }
    let e = state
        .app
        .identity()
        .update_client(&p, &id, &body.patch())
        .await?;
    let tz = zone(&state, &p).await?;
    Ok(Json(
        json!({"entity": client_json(&e, &tz), "warnings": []}),
    ))
}

/// Replaces the client's secret: the old one stops working at once; the new one is in the
/// answer, this once.
#[utoipa::path(post, path = "/v2/identity/clients/{clientId}/secret", tag = "identity",
    request_body(content = Object, content_type = "application/json",
        description = "Nothing is read: send `{}` or no body"),
    params(("clientId" = String, Path, description = "The client id")),
    responses((status = 200, description = "`{entity{…, clientSecret}, warnings}`"),
              (status = 404, description = "1618 no such client"),
              (status = 400, description = "1620 the client is declared in the org file")))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let made = state.app.identity().rotate_client_secret(&p, &id).await?;
    Ok(with_secret(&made, &zone(&state, &p).await?))
}

/// The org's OTP limits (customer sign-in codes).
#[utoipa::path(get, path = "/v2/identity/otpConfig", tag = "identity",
    responses((status = 200, description = "`{entity, warnings}`")))]
pub async fn otp_config(
    State(state): State<AppState>,
    p: Principal,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(otp_json(&state.app.identity().otp_config(&p).await?)))
}

/// Changes the OTP limits sent; each must stay within its range.
#[utoipa::path(put, path = "/v2/identity/otpConfig", tag = "identity", request_body = OtpBody,
    responses((status = 200, description = "`{entity, warnings}`"),
              (status = 400, description = "1604 a limit outside its range, or an unknown pointsValidation")))]
pub async fn set_otp_config(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<OtpBody>,
) -> Result<Json<Value>, ApiError> {
    let points_validation = match b.points_validation.as_deref() {
        None => None,
        Some(p) => Some(PointsValidation::parse(p).ok_or_else(|| {
            ApiError::from(AppError::from(IdentityError::InvalidRequest(
                "pointsValidation must be \"required\" or \"optional\"".into(),
            )))
        })?),
    };
    let patch = OtpPatch {
        limits: [
            b.ttl_seconds,
            b.max_attempts,
            b.cooldown_seconds,
            b.per_hour,
            b.per_day,
            b.org_per_hour,
            b.ip_per_hour,
        ],
        points_validation,
    };
    let next = state.app.identity().set_otp_config(&p, &patch).await?;
    Ok(Json(otp_json(&next)))
}
