//! `POST /v3/oauth/token/generate`: client credentials for server-to-server integrations.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::ClientAddress;
use crate::json::ApiJson;
use crate::{ApiError, AppState};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    key: String,
    secret: String,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Exchanges an API client's key and secret for an access token. Tokens are opaque, stored
/// only as their SHA-256 digest, and expire after the client's configured lifetime.
#[utoipa::path(post, path = "/v3/oauth/token/generate", tag = "auth", request_body = TokenRequest,
    responses((status = 200, description = "`{data: {accessToken, ttlSeconds}, errors: null}`"),
              (status = 401, description = "Unknown key or wrong secret")))]
pub async fn generate_token(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<Value>, ApiError> {
    let t = state.app.issue_token(&req.key, &req.secret, from).await?;
    Ok(Json(json!({
        "data": {"accessToken": t.access_token, "ttlSeconds": t.ttl_seconds},
        "errors": null,
    })))
}
