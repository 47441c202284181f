//! Capillary API authentication: a till's Basic credentials or an API client's token become
//! a `Caller` of exactly one org.
//!
//! Secrets are stored as Argon2 hashes (slow on purpose), so a verified credential is cached
//! under the SHA-256 of what was presented: later requests cost a hash and a map lookup.
//! The cache never holds a secret, and an entry lives at most `CACHE_TTL`, so a changed
//! password or a deactivated till stops working within that time.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use fidelis_domain::credentials::{parse_basic, sha256_hex, token_from_bytes};
use fidelis_domain::org::{EntityKind, OrgError, Permissions};
use fidelis_store::org::ApiClient;
use fidelis_store::{verify_secret_in, HashMemory};
use rand::RngCore;
use tokio::sync::Semaphore;

use super::flight::{Flights, Verdict};
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

/// Verified credentials by digest, the failed-attempt limiter, the verifications in flight
/// (one per presented credential: concurrent requests with the same credential wait for
/// it rather than verify again), and the permits that bound how many Argon2 verifications
/// run at once (each allocates its memory block, so unbounded verification is unbounded
/// memory).
pub struct Authenticator {
    entries: RwLock<HashMap<String, Cached>>,
    failures: FailureLimiter,
    till_flights: Flights<Caller>,
    client_flights: Flights<ApiClient>,
    verifications: Semaphore,
    /// One Argon2 memory block per permit, reused.
    memories: Mutex<Vec<HashMemory>>,
}

impl Default for Authenticator {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            entries: RwLock::default(),
            failures: FailureLimiter::default(),
            till_flights: Flights::default(),
            client_flights: Flights::default(),
            verifications: Semaphore::new(cores),
            memories: Mutex::default(),
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
    /// Applies the limiter's verdict and the slow-down for `name` seen from `from`.
    async fn admit(
        &self,
        name: &str,
        from: Option<IpAddr>,
        now: jiff::Timestamp,
    ) -> Result<(), OrgError> {
        let wait = self.failures.check(name, from, now)?;
        if !wait.is_zero() {
            metrics::counter!("fidelis_credential_slowdowns_total").increment(1);
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Records the outcome of a verification for `name` from `from`.
    fn conclude<T>(
        &self,
        verdict: Verdict<T>,
        name: &str,
        from: Option<IpAddr>,
        now: jiff::Timestamp,
    ) -> Result<T, AppError> {
        match verdict {
            Verdict::Accepted(granted) => {
                self.failures.succeeded(name, from);
                Ok(granted)
            }
            Verdict::Refused => {
                self.failures.failed(name, from, now);
                Err(OrgError::Unauthenticated.into())
            }
            Verdict::Failed(e) => Err(AppError::Store(fidelis_store::StoreError::Corrupt(e))),
        }
    }

    /// Checks `presented` against `hash`, at most one verification per core at a time, each
    /// in a memory block kept from earlier verifications.
    async fn verify(&self, presented: String, hash: String) -> Result<bool, AppError> {
        let internal = |e: String| AppError::Store(fidelis_store::StoreError::Corrupt(e));
        let _permit = self
            .verifications
            .acquire()
            .await
            .map_err(|e| internal(e.to_string()))?;
        metrics::counter!("fidelis_credential_verifications_total").increment(1);
        let mut memory = self
            .memories
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default();
        let (ok, memory) = tokio::task::spawn_blocking(move || {
            let ok = verify_secret_in(&presented, &hash, &mut memory);
            (ok, memory)
        })
        .await
        .map_err(|e| internal(e.to_string()))?;
        self.memories
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(memory);
        Ok(ok)
    }
}

impl App {
    /// The caller behind an `Authorization: Basic` header of a till, presented from `from`.
    pub async fn authenticate_basic(
        &self,
        header: &str,
        from: Option<IpAddr>,
    ) -> Result<Caller, AppError> {
        let auth = &self.auth;
        let key = format!("basic:{}", sha256_hex(header));
        if let Some(c) = auth.get(&key, self.now()) {
            return Ok(c);
        }
        let creds = parse_basic(header).map_err(|_| OrgError::Unauthenticated)?;
        if creds.username.chars().any(char::is_control) {
            return Err(OrgError::Unauthenticated.into());
        }
        let name = format!("till:{}", creds.username);
        auth.admit(&name, from, self.now()).await?;
        let verdict = auth
            .till_flights
            .run(&key, || async {
                self.verify_till(&creds.username, creds.password_md5.clone(), &key)
                    .await
                    .unwrap_or_else(|e| Verdict::Failed(e.to_string()))
            })
            .await;
        auth.conclude(verdict, &name, from, self.now())
    }

    /// One verification of a till's credentials; a success is cached under `key`.
    async fn verify_till(
        &self,
        code: &str,
        password_md5: String,
        key: &str,
    ) -> Result<Verdict<Caller>, AppError> {
        let login = self.db.orgs().till_login(code).await?;
        // An unknown till is verified against a dummy hash too, so the answer takes as long
        // as for a known till with a wrong password and does not reveal which codes exist.
        let hash = login
            .as_ref()
            .map_or_else(|| DUMMY_HASH.to_string(), |l| l.password_hash.clone());
        let ok = self.auth.verify(password_md5, hash).await?;
        let Some(login) = login.filter(|_| ok) else {
            return Ok(Verdict::Refused);
        };
        let Some(till) = self.db.orgs().entity(login.org_id, login.till_id).await? else {
            return Ok(Verdict::Refused);
        };
        let caller = Caller {
            org_id: login.org_id,
            till_id: Some(till.id),
            till_code: Some(till.code.clone()),
            store_id: till.parent_id,
            client_id: None,
            permissions: Permissions::full(),
        };
        self.auth
            .put(key.to_string(), caller.clone(), self.now(), CACHE_TTL);
        Ok(Verdict::Accepted(caller))
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

    /// Exchanges an API client's key and secret, presented from `from`, for a token
    /// (`/v3/oauth/token/generate`).
    pub async fn issue_token(
        &self,
        key: &str,
        secret: &str,
        from: Option<IpAddr>,
    ) -> Result<IssuedToken, AppError> {
        let name = format!("client:{key}");
        self.auth.admit(&name, from, self.now()).await?;
        let flight = format!("client:{}", sha256_hex(&format!("{key}\n{secret}")));
        let verdict = self
            .auth
            .client_flights
            .run(&flight, || async {
                self.verify_client(key, secret)
                    .await
                    .unwrap_or_else(|e| Verdict::Failed(e.to_string()))
            })
            .await;
        let client = self.auth.conclude(verdict, &name, from, self.now())?;
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

    /// One verification of an API client's secret.
    async fn verify_client(&self, key: &str, secret: &str) -> Result<Verdict<ApiClient>, AppError> {
        let client = self.db.orgs().api_client(key).await?;
        // Verify against a dummy hash for unknown keys too, so timing does not reveal which keys exist.
        let hash = client
            .as_ref()
            .map_or_else(|| DUMMY_HASH.to_string(), |c| c.secret_hash.clone());
        let ok = self.auth.verify(secret.to_string(), hash).await?;
        Ok(client
            .filter(|_| ok)
            .map_or(Verdict::Refused, Verdict::Accepted))
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

impl App {
    /// Checks a password of a person (a console staff user) named `name`, presented from
    /// `from`: the same limiter, slow-down and bounded verification as API credentials.
    /// Without a stored `hash` (unknown name, Google-only staff) the answer is no, after a
    /// verification against a dummy hash, so timing does not tell which names exist.
    pub(crate) async fn verify_password(
        &self,
        name: &str,
        from: Option<IpAddr>,
        presented: &str,
        hash: Option<String>,
    ) -> Result<bool, AppError> {
        let auth = &self.auth;
        auth.admit(name, from, self.now()).await?;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_string());
        let ok = auth.verify(presented.to_string(), hash).await? && known;
        if ok {
            auth.failures.succeeded(name, from);
        } else {
            auth.failures.failed(name, from, self.now());
        }
        Ok(ok)
    }
}

/// A hash of a random secret nobody knows, to spend the same time on unknown keys.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| fidelis_store::hash_secret(&random_token()).unwrap_or_default());
