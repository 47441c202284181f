//! Capillary API authentication: a till's Basic credentials or an API client's token become
//! a `Principal` of exactly one org.
//!
//! Secrets are stored as Argon2 hashes (slow on purpose), so a verified credential is cached
//! under the SHA-256 of what was presented: later requests cost a hash and a map lookup.
//! The cache never holds a secret, and an entry lives at most `CACHE_TTL`, so a changed
//! password or a deactivated till stops working within that time.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use fidelis_domain::credentials::{parse_basic, sha256_hex};
use fidelis_domain::org::{EntityId, EntityKind, OrgId, Permissions};
use fidelis_store::verify_secret;

use crate::{ApiError, AppState};

const CACHE_TTL: Duration = Duration::from_secs(60);
const CACHE_MAX: usize = 100_000;

pub const OAUTH_HEADER: &str = "x-cap-api-oauth-token";

/// Who is calling, on behalf of which till or store.
#[derive(Debug, Clone)]
pub struct Principal {
    pub org_id: OrgId,
    /// The till the request is attributed to (a client's default till unless overridden).
    pub till_id: Option<EntityId>,
    /// That till's code (who did it, in logs and records).
    pub till_code: Option<String>,
    /// The store of that till, or the store named by attribution headers.
    pub store_id: Option<EntityId>,
    /// The API client behind a token; `None` for a till's Basic credentials.
    pub client_id: Option<i64>,
    pub permissions: Permissions,
}

/// The resource group a router serves, checked against the principal's permissions.
#[derive(Debug, Clone, Copy)]
pub struct Resource(pub &'static str);

#[derive(Clone)]
struct Cached {
    principal: Principal,
    valid_until: jiff::Timestamp,
}

/// Verified credentials by digest.
#[derive(Default)]
pub struct AuthCache {
    entries: RwLock<HashMap<String, Cached>>,
}

impl AuthCache {
    fn get(&self, key: &str, now: jiff::Timestamp) -> Option<Principal> {
        let map = self.entries.read().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|c| c.valid_until > now)
            .map(|c| c.principal.clone())
    }

    fn put(&self, key: String, principal: Principal, now: jiff::Timestamp, ttl: Duration) {
        let mut map = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CACHE_MAX {
            map.retain(|_, c| c.valid_until > now);
            if map.len() >= CACHE_MAX {
                map.clear();
            }
        }
        map.insert(
            key,
            Cached {
                principal,
                valid_until: now.checked_add(ttl.min(CACHE_TTL)).unwrap_or(now),
            },
        );
    }

    /// Forgets every verified credential (after an org's configuration changes).
    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut principal = authenticate(parts, state).await?;
        attribute(parts, state, &mut principal).await?;
        if let Some(Resource(name)) = parts.extensions.get::<Resource>().copied() {
            let write = !matches!(parts.method, Method::GET | Method::HEAD);
            if !principal.permissions.allows(name, write) {
                return Err(ApiError::forbidden(format!(
                    "This API client has no {} access to {name}",
                    if write { "modify" } else { "view" }
                )));
            }
        }
        Ok(principal)
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    if let Some(token) = parts.headers.get(OAUTH_HEADER) {
        let token = token.to_str().map_err(|_| ApiError::unauthorized())?;
        return token_principal(token.trim(), state).await;
    }
    if let Some(basic) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let basic = basic.to_str().map_err(|_| ApiError::unauthorized())?;
        return basic_principal(basic, state).await;
    }
    Err(ApiError::unauthorized())
}

async fn basic_principal(header: &str, state: &AppState) -> Result<Principal, ApiError> {
    let key = format!("basic:{}", sha256_hex(header));
    if let Some(p) = state.auth.get(&key, state.now()) {
        return Ok(p);
    }
    let creds = parse_basic(header).map_err(|_| ApiError::unauthorized())?;
    let identity = format!("till:{}", creds.username);
    state.failures.check(&identity, state.now())?;
    let login = state
        .db
        .orgs()
        .till_login(&creds.username)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let hash = login.password_hash.clone();
    let presented = creds.password_md5.clone();
    let ok = tokio::task::spawn_blocking(move || verify_secret(&presented, &hash))
        .await
        .map_err(|_| ApiError::internal())?;
    if !ok {
        state.failures.failed(&identity, state.now());
        return Err(ApiError::unauthorized());
    }
    state.failures.succeeded(&identity);
    let till = state
        .db
        .orgs()
        .entity(login.org_id, login.till_id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let principal = Principal {
        org_id: login.org_id,
        till_id: Some(till.id),
        till_code: Some(till.code.clone()),
        store_id: till.parent_id,
        client_id: None,
        permissions: Permissions::full(),
    };
    state
        .auth
        .put(key, principal.clone(), state.now(), CACHE_TTL);
    Ok(principal)
}

async fn token_principal(token: &str, state: &AppState) -> Result<Principal, ApiError> {
    let digest = sha256_hex(token);
    let key = format!("token:{digest}");
    if let Some(p) = state.auth.get(&key, state.now()) {
        return Ok(p);
    }
    let grant = state
        .db
        .orgs()
        .token(&digest)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let now = state.now();
    if grant.expires_at <= now {
        return Err(ApiError::unauthorized());
    }
    let client = state
        .db
        .orgs()
        .api_client_by_id(grant.org_id, grant.client_id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let till = state
        .db
        .orgs()
        .entity(client.org_id, client.default_till_id)
        .await?;
    let principal = Principal {
        org_id: client.org_id,
        till_id: till.as_ref().map(|t| t.id),
        till_code: till.as_ref().map(|t| t.code.clone()),
        store_id: till.and_then(|t| t.parent_id),
        client_id: Some(client.id),
        permissions: client.permissions,
    };
    let left = Duration::from_secs(
        grant
            .expires_at
            .as_second()
            .saturating_sub(now.as_second())
            .max(0) as u64,
    );
    state.auth.put(key, principal.clone(), now, left);
    Ok(principal)
}

/// Applies the attribution headers: a token's `X-CAP-API-ATTRIBUTION-ENTITY-TYPE/-CODE` or a
/// till's on-behalf-of `X-CAP-API-ATTRIBUTION-LOOKUP-TYPE/-LOOKUP`. The named till or store
/// must belong to the caller's org.
async fn attribute(parts: &Parts, state: &AppState, p: &mut Principal) -> Result<(), ApiError> {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let (kind, code) = if p.client_id.is_some() {
        (
            header("x-cap-api-attribution-entity-type"),
            header("x-cap-api-attribution-entity-code"),
        )
    } else {
        (
            header("x-cap-api-attribution-lookup-type"),
            header("x-cap-api-attribution-lookup"),
        )
    };
    let code = match (kind, code) {
        (_, None) => return Ok(()),
        (None, Some(_)) if p.client_id.is_none() => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                1061,
                "Attribution lookup value given without X-CAP-API-ATTRIBUTION-LOOKUP-TYPE",
            ))
        }
        (_, Some(code)) => code,
    };
    let entity_kind = match kind.unwrap_or("TILL").to_ascii_uppercase().as_str() {
        "TILL" | "TILL_CODE" => EntityKind::Till,
        "STORE_CODE" | "STORE" => EntityKind::Store,
        other => {
            return Err(ApiError::invalid(format!(
                "Invalid attribution lookup type {other}; use TILL or STORE_CODE"
            )))
        }
    };
    let entity = state
        .db
        .orgs()
        .entity_by_code(p.org_id, entity_kind, code)
        .await?
        .filter(|e| e.is_active)
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "No active {} with code {code}",
                entity_kind.as_str()
            ))
        })?;
    match entity_kind {
        EntityKind::Till => {
            p.till_id = Some(entity.id);
            p.till_code = Some(entity.code.clone());
            p.store_id = entity.parent_id;
        }
        _ => {
            p.till_id = None;
            p.till_code = None;
            p.store_id = Some(entity.id);
        }
    }
    Ok(())
}
