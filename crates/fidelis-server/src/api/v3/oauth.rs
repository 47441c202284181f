//! `POST /v3/oauth/token/generate`: client credentials for server-to-server integrations.

use axum::extract::State;
use axum::Json;
use fidelis_domain::credentials::{sha256_hex, token_from_bytes};
use fidelis_store::verify_secret;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{json, Value};

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
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<Json<Value>, ApiError> {
    let identity = format!("client:{}", req.key);
    state.failures.check(&identity, state.now())?;
    let client = state.db.orgs().api_client(&req.key).await?;
    // Verify against a dummy hash for unknown keys too, so timing does not reveal which keys exist.
    let (hash, known) = match &client {
        Some(c) => (c.secret_hash.clone(), true),
        None => (DUMMY_HASH.to_string(), false),
    };
    let secret = req.secret;
    let ok = tokio::task::spawn_blocking(move || verify_secret(&secret, &hash))
        .await
        .map_err(|_| ApiError::internal())?;
    let client = match client {
        Some(c) if ok && known => c,
        _ => {
            state.failures.failed(&identity, state.now());
            return Err(ApiError::unauthorized());
        }
    };
    state.failures.succeeded(&identity);
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = token_from_bytes(&bytes);
    let now = state.now();
    let expires_at = now
        .checked_add(jiff::SignedDuration::from_secs(client.token_ttl_seconds))
        .map_err(|_| ApiError::internal())?;
    state
        .db
        .orgs()
        .insert_token(&sha256_hex(&token), &client, expires_at, now)
        .await?;
    Ok(Json(json!({
        "data": {"accessToken": token, "ttlSeconds": client.token_ttl_seconds},
        "errors": null,
    })))
}

/// A hash of a random secret nobody knows, to spend the same time on unknown keys.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    fidelis_store::hash_secret(&token_from_bytes(&bytes)).unwrap_or_default()
});
