//! Capillary API authentication: a till's Basic credentials or an API client's token become
//! a `Caller` of exactly one org.
//!
//! Secrets are stored as Argon2 hashes (slow on purpose), so a verified credential is cached
//! under the SHA-256 of what was presented: later requests cost a hash and a map lookup.
//! The cache never holds a secret, and an entry lives at most `CACHE_TTL`, so a changed
//! password or a deactivated till stops working within that time.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use fidelis_domain::credentials::{parse_basic, sha256_hex, token_from_bytes};
use fidelis_domain::org::{EntityKind, OrgError, Permissions};
use fidelis_store::verify_secret;
use rand::RngCore;
use tokio::sync::Semaphore;

use super::limiter::FailureLimiter;
use super::Caller;
use crate::{App, AppError};

const CACHE_TTL: Duration = Duration::from_secs(60);
const CACHE_MAX: usize = 100_000;

#[derive(Clone)]
struct Cached {
    caller: Caller,
    valid_until: jiff::Timestamp,
}

/// Verified credentials by digest, the failed-attempt limiter, and the permits that bound
/// how many Argon2 verifications run at once (each allocates its memory block, so
/// unbounded verification is unbounded memory).
pub struct Authenticator {
    entries: RwLock<HashMap<String, Cached>>,
    failures: FailureLimiter,
    verifications: Semaphore,
}

impl Default for Authenticator {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            entries: RwLock::default(),
            failures: FailureLimiter::default(),
            verifications: Semaphore::new(cores),
        }
    }
}

impl Authenticator {
    fn get(&self, key: &str, now: jiff::Timestamp) -> Option<Caller> {
        let map = self.entries.read().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|c| c.valid_until > now)
            .map(|c| c.caller.clone())
    }

    fn put(&self, key: String, caller: Caller, now: jiff::Timestamp, ttl: Duration) {
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
                caller,
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

/// A freshly issued API token (shown once; only its hash is stored).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub ttl_seconds: i64,
}

/// How an attribution header names the till or store a request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributionKind {
    Till,
    Store,
}

impl AttributionKind {
    /// `TILL`/`TILL_CODE` or `STORE`/`STORE_CODE`, any case.
    pub fn parse(raw: &str) -> Result<Self, OrgError> {
        match raw.to_ascii_uppercase().as_str() {
            "TILL" | "TILL_CODE" => Ok(Self::Till),
            "STORE_CODE" | "STORE" => Ok(Self::Store),
            other => Err(OrgError::InvalidAttributionType(other.to_string())),
        }
    }
}

impl Authenticator {
    /// Checks `presented` against `hash`, at most one verification per core at a time.
    async fn verify(&self, presented: String, hash: String) -> Result<bool, AppError> {
        let internal = |e: String| AppError::Store(fidelis_store::StoreError::Corrupt(e));
        let _permit = self
            .verifications
            .acquire()
            .await
            .map_err(|e| internal(e.to_string()))?;
        metrics::counter!("fidelis_credential_verifications_total").increment(1);
        tokio::task::spawn_blocking(move || verify_secret(&presented, &hash))
            .await
            .map_err(|e| internal(e.to_string()))
    }
}

impl App {
    /// The caller behind an `Authorization: Basic` header of a till.
    pub async fn authenticate_basic(&self, header: &str) -> Result<Caller, AppError> {
        let auth = &self.auth;
        let key = format!("basic:{}", sha256_hex(header));
        if let Some(c) = auth.get(&key, self.now()) {
            return Ok(c);
        }
        let creds = parse_basic(header).map_err(|_| OrgError::Unauthenticated)?;
        if creds.username.chars().any(char::is_control) {
            return Err(OrgError::Unauthenticated.into());
        }
        let identity = format!("till:{}", creds.username);
        auth.failures.check(&identity, self.now())?;
        let login = self.db.orgs().till_login(&creds.username).await?;
        // An unknown till is verified against a dummy hash too, so the answer takes as long
        // as for a known till with a wrong password and does not reveal which codes exist.
        let hash = login
            .as_ref()
            .map_or_else(|| DUMMY_HASH.to_string(), |l| l.password_hash.clone());
        let ok = auth.verify(creds.password_md5.clone(), hash).await?;
        let login = match login {
            Some(l) if ok => l,
            _ => {
                auth.failures.failed(&identity, self.now());
                return Err(OrgError::Unauthenticated.into());
            }
        };
        auth.failures.succeeded(&identity);
        let till = self
            .db
            .orgs()
            .entity(login.org_id, login.till_id)
            .await?
            .ok_or(OrgError::Unauthenticated)?;
        let caller = Caller {
            org_id: login.org_id,
            till_id: Some(till.id),
            till_code: Some(till.code.clone()),
            store_id: till.parent_id,
            client_id: None,
            permissions: Permissions::full(),
        };
        auth.put(key, caller.clone(), self.now(), CACHE_TTL);
        Ok(caller)
    }

    /// The caller behind an API token (`X-CAP-API-OAUTH-TOKEN`).
    pub async fn authenticate_token(&self, token: &str) -> Result<Caller, AppError> {
        let digest = sha256_hex(token);
        let key = format!("token:{digest}");
        if let Some(c) = self.auth.get(&key, self.now()) {
            return Ok(c);
        }
        let grant = self
            .db
            .orgs()
            .token(&digest)
            .await?
            .ok_or(OrgError::Unauthenticated)?;
        let now = self.now();
        if grant.expires_at <= now {
            return Err(OrgError::Unauthenticated.into());
        }
        let client = self
            .db
            .orgs()
            .api_client_by_id(grant.org_id, grant.client_id)
            .await?
            .ok_or(OrgError::Unauthenticated)?;
        let till = self
            .db
            .orgs()
            .entity(client.org_id, client.default_till_id)
            .await?;
        let caller = Caller {
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
        self.auth.put(key, caller.clone(), now, left);
        Ok(caller)
    }

    /// Exchanges an API client's key and secret for a token (`/v3/oauth/token/generate`).
    pub async fn issue_token(&self, key: &str, secret: &str) -> Result<IssuedToken, AppError> {
        let identity = format!("client:{key}");
        self.auth.failures.check(&identity, self.now())?;
        let client = self.db.orgs().api_client(key).await?;
        // Verify against a dummy hash for unknown keys too, so timing does not reveal which keys exist.
        let hash = match &client {
            Some(c) => c.secret_hash.clone(),
            None => DUMMY_HASH.to_string(),
        };
        let ok = self.auth.verify(secret.to_string(), hash).await?;
        let client = match client {
            Some(c) if ok => c,
            _ => {
                self.auth.failures.failed(&identity, self.now());
                return Err(OrgError::Unauthenticated.into());
            }
        };
        self.auth.failures.succeeded(&identity);
        let token = random_token();
        let now = self.now();
        let expires_at = now
            .checked_add(jiff::SignedDuration::from_secs(client.token_ttl_seconds))
            .map_err(|e| AppError::Store(fidelis_store::StoreError::Corrupt(e.to_string())))?;
        self.db
            .orgs()
            .insert_token(&sha256_hex(&token), &client, expires_at, now)
            .await?;
        Ok(IssuedToken {
            access_token: token,
            ttl_seconds: client.token_ttl_seconds,
        })
    }

    /// Applies an attribution header: the request acts for the named till or store of the
    /// caller's org (a `None` kind means a till).
    pub async fn attribute(
        &self,
        caller: &mut Caller,
        kind: Option<&str>,
        code: &str,
    ) -> Result<(), AppError> {
        let kind = match kind {
            None => AttributionKind::Till,
            Some(k) => AttributionKind::parse(k)?,
        };
        let entity_kind = match kind {
            AttributionKind::Till => EntityKind::Till,
            AttributionKind::Store => EntityKind::Store,
        };
        let entity = self
            .db
            .orgs()
            .entity_by_code(caller.org_id, entity_kind, code)
            .await?
            .filter(|e| e.is_active)
            .ok_or_else(|| OrgError::AttributionNotFound {
                kind: entity_kind.as_str(),
                code: code.to_string(),
            })?;
        match kind {
            AttributionKind::Till => {
                caller.till_id = Some(entity.id);
                caller.till_code = Some(entity.code.clone());
                caller.store_id = entity.parent_id;
            }
            AttributionKind::Store => {
                caller.till_id = None;
                caller.till_code = None;
                caller.store_id = Some(entity.id);
            }
        }
        Ok(())
    }
}

/// A token from 32 random bytes of the OS.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    token_from_bytes(&bytes)
}

/// A hash of a random secret nobody knows, to spend the same time on unknown keys.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| fidelis_store::hash_secret(&random_token()).unwrap_or_default());
