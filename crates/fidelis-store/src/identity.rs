//! The identity repository: partner clients and OTP settings from the org file, OTPs with
//! their counters, pending sign-in requests, authorization codes, tokens and consents.
//!
//! Single use and attempt limits are conditional updates (`… WHERE used_at IS NULL
//! RETURNING …`), so two requests racing for one code or one OTP cannot both win. OTP
//! sends lock the identifier's row in `identity_otp_subjects` before counting, so the send
//! limits hold across instances.

use fidelis_domain::identity::otp::{CodeState, OtpPurpose};
use fidelis_domain::identity::{
    ClientSpec, IdentityConfig, OtpConfig, PointsValidation, Scopes, SendCounts,
};
use fidelis_domain::org::OrgId;
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use secrecy::ExposeSecret;

use crate::org::ApplySummary;
use crate::time::{from_db, to_db};
use crate::{hash_secret, verify_secret, Db, StoreError, Unit};

pub struct IdentityRepo<'a>(&'a Db);

impl Db {
    pub fn identity(&self) -> IdentityRepo<'_> {
        IdentityRepo(self)
    }
}

/// A partner client as stored.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub client_id: String,
    pub name: String,
    pub secret_hash: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Scopes,
    pub access_ttl_seconds: i64,
    pub refresh_ttl_seconds: i64,
    pub active: bool,
}

/// The org's OTP key and limits.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    pub otp_key: Vec<u8>,
    pub otp: OtpConfig,
}

/// A sign-in request of the landing page.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub csrf_hash: String,
    pub identifier: Option<String>,
    pub customer_id: Option<i64>,
    pub authenticated_at: Option<Timestamp>,
    pub expires_at: Timestamp,
    pub done: bool,
}

/// An OTP as stored (its HMAC, never the code).
#[derive(Debug, Clone)]
pub struct OtpRecord {
    pub id: String,
    pub identifier: String,
    pub txn: String,
    pub code_hmac: String,
    pub attempts: i64,
    pub expires_at: Timestamp,
    pub used: bool,
    pub closed: bool,
}

impl OtpRecord {
    /// What the domain's verdict looks at.
    pub fn state(&self) -> CodeState {
        CodeState {
            attempts: self.attempts,
            used: self.used,
            closed: self.closed,
            expires_at: self.expires_at,
        }
    }
}

/// An Auth Engine session as stored.
#[derive(Debug, Clone)]
pub struct AeSessionRecord {
    pub session_hash: String,
    pub web: bool,
    pub identifier_type: String,
    pub identifier: String,
    pub device_id: String,
    pub view_token_hash: String,
    pub customer_id: Option<i64>,
    pub family: Option<String>,
    pub expires_at: Timestamp,
    pub validated: bool,
}

type AeSessionRow = (
    String,
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    i64,
    Option<i64>,
);

const AE_SESSION_COLUMNS: &str = "session_hash, web, identifier_type, identifier, device_id, \
     view_token_hash, customer_id, family, expires_at, validated_at";

fn ae_session_from(r: AeSessionRow) -> Result<AeSessionRecord, StoreError> {
    Ok(AeSessionRecord {
        session_hash: r.0,
        web: r.1 != 0,
        identifier_type: r.2,
        identifier: r.3,
        device_id: r.4,
        view_token_hash: r.5,
        customer_id: r.6,
        family: r.7,
        expires_at: from_db(r.8)?,
        validated: r.9.is_some(),
    })
}

/// A new OTP to store.
pub struct NewOtp<'a> {
    pub id: &'a str,
    pub purpose: OtpPurpose,
    pub identifier: &'a str,
    pub ip: &'a str,
    pub txn: &'a str,
    pub code_hmac: &'a str,
    pub expires_at: Timestamp,
}

/// An authorization code as stored.
#[derive(Debug, Clone)]
pub struct CodeRecord {
    pub code_hash: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub customer_id: i64,
    pub scope: String,
    pub family: String,
    pub expires_at: Timestamp,
}

/// An access or refresh token as stored.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub org_id: OrgId,
    pub token_hash: String,
    /// `access` or `refresh`.
    pub kind: String,
    pub family: String,
    pub client_id: String,
    pub customer_id: i64,
    pub scope: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub family_expires_at: Timestamp,
    pub spent: bool,
    pub revoked: bool,
}

pub const ACCESS: &str = "access";
pub const REFRESH: &str = "refresh";

type ClientRow = (String, String, String, String, String, i64, i64, i64);
type SettingsRow = (String, i64, i64, i64, i64, i64, i64, i64, String);
type CodeRow = (String, String, String, String, i64, String, String, i64);
type RequestRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    i64,
    Option<i64>,
);
type TokenRow = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

const TOKEN_COLUMNS: &str = "org_id, token_hash, kind, family, client_id, customer_id, scope, \
     created_at, expires_at, family_expires_at, spent_at, revoked_at";

fn client_from(r: ClientRow) -> Result<ClientRecord, StoreError> {
    Ok(ClientRecord {
        redirect_uris: serde_json::from_str(&r.3)
            .map_err(|e| StoreError::Corrupt(format!("redirect_uris of {}: {e}", r.0)))?,
        scopes: Scopes::parse(&r.4)
            .map_err(|e| StoreError::Corrupt(format!("scopes of {}: {e}", r.0)))?,
        client_id: r.0,
        name: r.1,
        secret_hash: r.2,
        access_ttl_seconds: r.5,
        refresh_ttl_seconds: r.6,
        active: r.7 != 0,
    })
}

fn request_from(r: RequestRow) -> Result<RequestRecord, StoreError> {
    Ok(RequestRecord {
        id: r.0,
        client_id: r.1,
        redirect_uri: r.2,
        scope: r.3,
        state: r.4,
        code_challenge: r.5,
        csrf_hash: r.6,
        identifier: r.7,
        customer_id: r.8,
        authenticated_at: r.9.map(from_db).transpose()?,
        expires_at: from_db(r.10)?,
        done: r.11.is_some(),
    })
}

fn token_from(r: TokenRow) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        org_id: OrgId::new(r.0),
        token_hash: r.1,
        kind: r.2,
        family: r.3,
        client_id: r.4,
        customer_id: r.5,
        scope: r.6,
        created_at: from_db(r.7)?,
        expires_at: from_db(r.8)?,
        family_expires_at: from_db(r.9)?,
        spent: r.10.is_some(),
        revoked: r.11.is_some(),
    })
}

pub(crate) async fn apply_config(
    tx: &mut Unit,
    org_id: OrgId,
    config: &IdentityConfig,
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    for c in &config.clients {
        put_client(tx, org_id, c, now, summary).await?;
    }
    let names: Vec<&str> = config
        .clients
        .iter()
        .map(|c| c.client_id.as_str())
        .collect();
    let active: Vec<(String,)> = sqlx::query_as(
        "SELECT client_id FROM identity_clients \
         WHERE org_id = $1 AND is_active = 1 AND managed_by = 'file'",
    )
    .bind(org_id.get())
    .fetch_all(&mut **tx)
    .await?;
    for (id,) in active
        .into_iter()
        .filter(|(id,)| !names.contains(&id.as_str()))
    {
        sqlx::query(
            "UPDATE identity_clients SET is_active = 0, updated_at = $3 \
             WHERE org_id = $1 AND client_id = $2",
        )
        .bind(org_id.get())
        .bind(id)
        .bind(to_db(now))
        .execute(&mut **tx)
        .await?;
        summary.deactivated += 1;
    }
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    // The first apply stores the OTP key and limits; later ones change the limits only
    // when the file states them (otherwise they stay as the admin API left them).
    let o = config.otp.unwrap_or_default();
    let on_conflict = if config.otp.is_some() {
        "DO UPDATE SET otp_ttl_seconds = excluded.otp_ttl_seconds, \
         otp_max_attempts = excluded.otp_max_attempts, \
         otp_cooldown_seconds = excluded.otp_cooldown_seconds, otp_per_hour = excluded.otp_per_hour, \
         otp_per_day = excluded.otp_per_day, otp_org_per_hour = excluded.otp_org_per_hour, \
         otp_ip_per_hour = excluded.otp_ip_per_hour, \
         points_validation = excluded.points_validation"
    } else {
        "DO NOTHING"
    };
    sqlx::query(&format!(
        "INSERT INTO identity_settings (org_id, otp_key, otp_ttl_seconds, otp_max_attempts, \
         otp_cooldown_seconds, otp_per_hour, otp_per_day, otp_org_per_hour, otp_ip_per_hour, \
         points_validation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (org_id) {on_conflict}"
    ))
    .bind(org_id.get())
    .bind(hex_encode(&key))
    .bind(o.ttl_seconds)
    .bind(o.max_attempts)
    .bind(o.cooldown_seconds)
    .bind(o.per_hour)
    .bind(o.per_day)
    .bind(o.org_per_hour)
    .bind(o.ip_per_hour)
    .bind(o.points_validation.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(s: &str) -> Result<Vec<u8>, StoreError> {
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| StoreError::Corrupt("OTP key is not hex".into()))
        })
        .collect()
}

async fn put_client(
    tx: &mut Unit,
    org_id: OrgId,
    c: &ClientSpec,
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    let uris = serde_json::to_string(&c.redirect_uris)
        .map_err(|e| StoreError::Corrupt(format!("redirect_uris: {e}")))?;
    let scopes = c.scopes.to_string();
    let existing: Option<ClientRow> = sqlx::query_as(
        "SELECT client_id, name, secret_hash, redirect_uris, scopes, access_ttl_seconds, \
         refresh_ttl_seconds, is_active FROM identity_clients WHERE org_id = $1 AND client_id = $2",
    )
    .bind(org_id.get())
    .bind(&c.client_id)
    .fetch_optional(&mut **tx)
    .await?;
    let secret = c.secret.expose_secret();
    let hash = match &existing {
        Some(r) if verify_secret(secret, &r.2) => r.2.clone(),
        _ => hash_secret(secret)?,
    };
    if let Some(r) = &existing {
        let same = r.1 == c.name
            && r.2 == hash
            && r.3 == uris
            && r.4 == scopes
            && r.5 == c.access_ttl_seconds
            && r.6 == c.refresh_ttl_seconds
            && r.7 != 0
            && managed_by_file(tx, org_id, &c.client_id).await?;
        if same {
            summary.unchanged += 1;
            return Ok(());
        }
        summary.updated += 1;
    } else {
        summary.created += 1;
    }
    sqlx::query(
        "INSERT INTO identity_clients (org_id, client_id, name, secret_hash, redirect_uris, scopes, \
         access_ttl_seconds, refresh_ttl_seconds, is_active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) ON CONFLICT (org_id, client_id) DO UPDATE \
         SET name = excluded.name, secret_hash = excluded.secret_hash, \
         redirect_uris = excluded.redirect_uris, scopes = excluded.scopes, \
         access_ttl_seconds = excluded.access_ttl_seconds, \
         refresh_ttl_seconds = excluded.refresh_ttl_seconds, is_active = 1, \
         managed_by = 'file', updated_at = excluded.updated_at",
    )
    .bind(org_id.get())
    .bind(&c.client_id)
    .bind(&c.name)
    .bind(hash)
    .bind(uris)
    .bind(scopes)
    .bind(c.access_ttl_seconds)
    .bind(c.refresh_ttl_seconds)
    .bind(to_db(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

mod cache;
mod clients;

pub(crate) use cache::TokenCache;
use clients::managed_by_file;
pub use clients::{ClientEntry, NewClient};

impl IdentityRepo<'_> {
    /// A partner client of the org (also an inactive one).
    pub async fn client(
        &self,
        org: OrgId,
        client_id: &str,
    ) -> Result<Option<ClientRecord>, StoreError> {
        let row: Option<ClientRow> = sqlx::query_as(
            "SELECT client_id, name, secret_hash, redirect_uris, scopes, access_ttl_seconds, \
             refresh_ttl_seconds, is_active FROM identity_clients WHERE org_id = $1 AND client_id = $2",
        )
        .bind(org.get())
        .bind(client_id)
        .fetch_optional(self.0.reader())
        .await?;
        row.map(client_from).transpose()
    }

    /// The org's OTP key and limits (`None` before its org file was applied).
    pub async fn settings(&self, org: OrgId) -> Result<Option<IdentitySettings>, StoreError> {
        let row: Option<SettingsRow> = sqlx::query_as(
            "SELECT otp_key, otp_ttl_seconds, otp_max_attempts, otp_cooldown_seconds, \
             otp_per_hour, otp_per_day, otp_org_per_hour, otp_ip_per_hour, points_validation \
             FROM identity_settings WHERE org_id = $1",
        )
        .bind(org.get())
        .fetch_optional(self.0.reader())
        .await?;
        row.map(|r| {
            Ok(IdentitySettings {
                otp_key: hex_decode(&r.0)?,
                otp: OtpConfig {
                    ttl_seconds: r.1,
                    max_attempts: r.2,
                    cooldown_seconds: r.3,
                    per_hour: r.4,
                    per_day: r.5,
                    org_per_hour: r.6,
                    ip_per_hour: r.7,
                    points_validation: PointsValidation::parse(&r.8).ok_or_else(|| {
                        StoreError::Corrupt(format!("points_validation `{}`", r.8))
                    })?,
                },
            })
        })
        .transpose()
    }

    /// Stores a new sign-in request.
    pub async fn create_request(
        &self,
        org: OrgId,
        r: &RequestRecord,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut unit = self.0.unit().await?;
        sqlx::query(
            "INSERT INTO identity_requests (org_id, id, client_id, redirect_uri, scope, state, \
             code_challenge, csrf_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(org.get())
        .bind(&r.id)
        .bind(&r.client_id)
        .bind(&r.redirect_uri)
        .bind(&r.scope)
        .bind(&r.state)
        .bind(&r.code_challenge)
        .bind(&r.csrf_hash)
        .bind(to_db(now))
        .bind(to_db(r.expires_at))
        .execute(&mut *unit)
        .await?;
        unit.commit().await
    }

    pub async fn request(&self, org: OrgId, id: &str) -> Result<Option<RequestRecord>, StoreError> {
        let row: Option<RequestRow> = sqlx::query_as(
            "SELECT id, client_id, redirect_uri, scope, state, code_challenge, csrf_hash, \
             identifier, customer_id, authenticated_at, expires_at, done_at \
             FROM identity_requests WHERE org_id = $1 AND id = $2",
        )
        .bind(org.get())
        .bind(id)
        .fetch_optional(self.0.reader())
        .await?;
        row.map(request_from).transpose()
    }

    /// Records who is signing in on a request (before the OTP is sent), inside `unit`.
    pub async fn set_request_customer_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        id: &str,
        identifier: &str,
        customer_id: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE identity_requests SET identifier = $3, customer_id = $4, authenticated_at = NULL \
             WHERE org_id = $1 AND id = $2 AND done_at IS NULL",
        )
        .bind(org.get())
        .bind(id)
        .bind(identifier)
        .bind(customer_id)
        .execute(&mut **unit)
        .await?;
        Ok(())
    }

    /// Marks the request's customer as signed in (the OTP was right).
    pub async fn authenticate_request_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        id: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE identity_requests SET authenticated_at = $3 \
             WHERE org_id = $1 AND id = $2 AND done_at IS NULL",
        )
        .bind(org.get())
        .bind(id)
        .bind(to_db(now))
        .execute(&mut **unit)
        .await?;
        Ok(())
    }

    /// Ends a request once: false when it was already ended.
    pub async fn finish_request_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "UPDATE identity_requests SET done_at = $3 \
             WHERE org_id = $1 AND id = $2 AND done_at IS NULL RETURNING id",
        )
        .bind(org.get())
        .bind(id)
        .bind(to_db(now))
        .fetch_optional(&mut **unit)
        .await?;
        Ok(row.is_some())
    }

    /// Locks the send counters of `subjects` (identifier, IP, org) for the rest of `unit`
    /// and counts the sends of the last hour and day.
    pub async fn lock_and_count_sends_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        identifier: &str,
        ip: &str,
        now: Timestamp,
    ) -> Result<SendCounts, StoreError> {
        // Lock in a fixed order so concurrent sends cannot deadlock.
        for subject in [format!("id:{identifier}"), format!("ip:{ip}")] {
            sqlx::query(
                "INSERT INTO identity_otp_subjects (org_id, subject, touched_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (org_id, subject) DO UPDATE SET touched_at = excluded.touched_at",
            )
            .bind(org.get())
            .bind(subject)
            .bind(to_db(now))
            .execute(&mut **unit)
            .await?;
        }
        let hour = to_db(now - SignedDuration::from_hours(1));
        let day = to_db(now - SignedDuration::from_hours(24));
        let (last, id_hour, id_day): (Option<i64>, i64, i64) = sqlx::query_as(
            "SELECT MAX(created_at), COALESCE(SUM(CASE WHEN created_at > $3 THEN 1 ELSE 0 END), 0), \
             COUNT(*) FROM identity_otps WHERE org_id = $1 AND identifier = $2 AND created_at > $4",
        )
        .bind(org.get())
        .bind(identifier)
        .bind(hour)
        .bind(day)
        .fetch_one(&mut **unit)
        .await?;
        let (ip_hour,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM identity_otps WHERE org_id = $1 AND ip = $2 AND created_at > $3",
        )
        .bind(org.get())
        .bind(ip)
        .bind(hour)
        .fetch_one(&mut **unit)
        .await?;
        let (org_hour,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM identity_otps WHERE org_id = $1 AND created_at > $2",
        )
        .bind(org.get())
        .bind(hour)
        .fetch_one(&mut **unit)
        .await?;
        Ok(SendCounts {
            last_sent: last.map(from_db).transpose()?,
            identifier_hour: id_hour,
            identifier_day: id_day,
            ip_hour,
            org_hour,
        })
    }

    /// Stores a new OTP for its purpose and subject (`txn`), closing the ones it supersedes.
    pub async fn insert_otp_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        otp: &NewOtp<'_>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE identity_otps SET closed = 1 WHERE org_id = $1 AND purpose = $2 AND txn = $3 \
             AND closed = 0",
        )
        .bind(org.get())
        .bind(otp.purpose.as_str())
        .bind(otp.txn)
        .execute(&mut **unit)
        .await?;
        sqlx::query(
            "INSERT INTO identity_otps (org_id, id, identifier, ip, txn, code_hmac, created_at, \
             expires_at, purpose) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(org.get())
        .bind(otp.id)
        .bind(otp.identifier)
        .bind(otp.ip)
        .bind(otp.txn)
        .bind(otp.code_hmac)
        .bind(to_db(now))
        .bind(to_db(otp.expires_at))
        .bind(otp.purpose.as_str())
        .execute(&mut **unit)
        .await?;
        Ok(())
    }

    /// The newest OTP of a purpose and subject, live or not (its state decides).
    pub async fn newest_otp(
        &self,
        org: OrgId,
        purpose: OtpPurpose,
        txn: &str,
    ) -> Result<Option<OtpRecord>, StoreError> {
        type Row = (String, String, String, String, i64, i64, Option<i64>, i64);
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, identifier, txn, code_hmac, attempts, expires_at, used_at, closed \
             FROM identity_otps WHERE org_id = $1 AND purpose = $2 AND txn = $3 \
             ORDER BY created_at DESC, closed ASC LIMIT 1",
        )
        .bind(org.get())
        .bind(purpose.as_str())
        .bind(txn)
        .fetch_optional(self.0.reader())
        .await?;
        row.map(|r| {
            Ok(OtpRecord {
                id: r.0,
                identifier: r.1,
                txn: r.2,
                code_hmac: r.3,
                attempts: r.4,
                expires_at: from_db(r.5)?,
                used: r.6.is_some(),
                closed: r.7 != 0,
            })
        })
        .transpose()
    }

    /// Counts a wrong try; the code dies at `max` tries. Returns the tries so far, or
    /// `None` when the code was no longer live.
    pub async fn otp_wrong(
        &self,
        org: OrgId,
        id: &str,
        max: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut unit = self.0.unit().await?;
        let row: Option<(i64,)> = sqlx::query_as(
            "UPDATE identity_otps SET attempts = attempts + 1, \
             closed = CASE WHEN attempts + 1 >= $3 THEN 1 ELSE 0 END \
             WHERE org_id = $1 AND id = $2 AND closed = 0 RETURNING attempts",
        )
        .bind(org.get())
        .bind(id)
        .bind(max)
        .fetch_optional(&mut *unit)
        .await?;
        unit.commit().await?;
        Ok(row.map(|r| r.0))
    }

    /// Spends a live, unexpired OTP once: false when another request spent it first.
    pub async fn otp_use_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        id: &str,
        max: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "UPDATE identity_otps SET used_at = $3, closed = 1 WHERE org_id = $1 AND id = $2 \
             AND closed = 0 AND used_at IS NULL AND attempts < $4 AND expires_at > $3 RETURNING id",
        )
        .bind(org.get())
        .bind(id)
        .bind(to_db(now))
        .bind(max)
        .fetch_optional(&mut **unit)
        .await?;
        Ok(row.is_some())
    }

    /// Stores an authorization code (its hash).
    pub async fn insert_code_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        c: &CodeRecord,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO identity_codes (org_id, code_hash, client_id, redirect_uri, code_challenge, \
             customer_id, scope, family, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(org.get())
        .bind(&c.code_hash)
        .bind(&c.client_id)
        .bind(&c.redirect_uri)
        .bind(&c.code_challenge)
        .bind(c.customer_id)
        .bind(&c.scope)
        .bind(&c.family)
        .bind(to_db(now))
        .bind(to_db(c.expires_at))
        .execute(&mut **unit)
        .await?;
        Ok(())
    }

    /// Spends a code: `Ok(Some)` the first time, `Err(family)` when it exists but was
    /// spent before (a replay), `Ok(None)` when there is no such code.
    pub async fn take_code_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<Result<Option<CodeRecord>, String>, StoreError> {
        let row: Option<CodeRow> = sqlx::query_as(
            "UPDATE identity_codes SET used_at = $3 WHERE org_id = $1 AND code_hash = $2 \
             AND used_at IS NULL RETURNING code_hash, client_id, redirect_uri, code_challenge, \
             customer_id, scope, family, expires_at",
        )
        .bind(org.get())
        .bind(code_hash)
        .bind(to_db(now))
        .fetch_optional(&mut **unit)
        .await?;
        if let Some(r) = row {
            return Ok(Ok(Some(CodeRecord {
                code_hash: r.0,
                client_id: r.1,
                redirect_uri: r.2,
                code_challenge: r.3,
                customer_id: r.4,
                scope: r.5,
                family: r.6,
                expires_at: from_db(r.7)?,
            })));
        }
        let spent: Option<(String,)> = sqlx::query_as(
            "SELECT family FROM identity_codes WHERE org_id = $1 AND code_hash = $2",
        )
        .bind(org.get())
        .bind(code_hash)
        .fetch_optional(&mut **unit)
        .await?;
        Ok(match spent {
            Some((family,)) => Err(family),
            None => Ok(None),
        })
    }

    /// Stores a token (its hash).
    pub async fn insert_token_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        t: &TokenRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO identity_tokens (org_id, token_hash, kind, family, client_id, customer_id, \
             scope, created_at, expires_at, family_expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(org.get())
        .bind(&t.token_hash)
        .bind(&t.kind)
        .bind(&t.family)
        .bind(&t.client_id)
        .bind(t.customer_id)
        .bind(&t.scope)
        .bind(to_db(t.created_at))
        .bind(to_db(t.expires_at))
        .bind(to_db(t.family_expires_at))
        .execute(&mut **unit)
        .await?;
        Ok(())
    }

    /// A token by hash, of any org (the wrapper API learns the org from the token).
    pub async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let cache = &self.0.tokens;
        if let Some(t) = cache.get(token_hash) {
            return Ok(Some(t));
        }
        let generation = cache.generation();
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM identity_tokens WHERE token_hash = $1");
        let row: Option<TokenRow> = sqlx::query_as(&sql)
            .bind(token_hash)
            .fetch_optional(self.0.reader())
            .await?;
        let t = row.map(token_from).transpose()?;
        if let Some(t) = &t {
            cache.keep(generation, t);
        }
        Ok(t)
    }

    /// Spends a refresh token once (rotation): false when it was spent or revoked before.
    pub async fn spend_refresh_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.spend_token_in(unit, org, token_hash, REFRESH, now)
            .await
    }

    /// Spends a token of `kind` once: false when it was spent or revoked before.
    pub async fn spend_token_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        token_hash: &str,
        kind: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "UPDATE identity_tokens SET spent_at = $3 WHERE org_id = $1 AND token_hash = $2 \
             AND kind = $4 AND spent_at IS NULL AND revoked_at IS NULL RETURNING token_hash",
        )
        .bind(org.get())
        .bind(token_hash)
        .bind(to_db(now))
        .bind(kind)
        .fetch_optional(&mut **unit)
        .await?;
        Ok(row.is_some())
    }

    /// Revokes every token of a family (a code's grant); returns how many were live.
    pub async fn revoke_family(
        &self,
        org: OrgId,
        family: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut unit = self.0.unit().await?;
        let done = sqlx::query(
            "UPDATE identity_tokens SET revoked_at = $3 WHERE org_id = $1 AND family = $2 \
             AND revoked_at IS NULL",
        )
        .bind(org.get())
        .bind(family)
        .bind(to_db(now))
        .execute(&mut *unit)
        .await?;
        unit.commit().await?;
        self.0
            .tokens
            .forget(|t| t.org_id == org && t.family == family);
        Ok(done.rows_affected())
    }

    /// Revokes one token.
    pub async fn revoke_token(
        &self,
        org: OrgId,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut unit = self.0.unit().await?;
        sqlx::query(
            "UPDATE identity_tokens SET revoked_at = $3 WHERE org_id = $1 AND token_hash = $2 \
             AND revoked_at IS NULL",
        )
        .bind(org.get())
        .bind(token_hash)
        .bind(to_db(now))
        .execute(&mut *unit)
        .await?;
        unit.commit().await?;
        self.0.tokens.forget(|t| t.token_hash == token_hash);
        Ok(())
    }

    /// The scopes the customer granted the client so far.
    pub async fn consent(
        &self,
        org: OrgId,
        customer_id: i64,
        client_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT scope FROM identity_consents WHERE org_id = $1 AND customer_id = $2 AND client_id = $3",
        )
        .bind(org.get())
        .bind(customer_id)
        .bind(client_id)
        .fetch_optional(self.0.reader())
        .await?;
        Ok(row.map(|r| r.0))
    }

    pub async fn put_consent_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        customer_id: i64,
        client_id: &str,
        scope: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO identity_consents (org_id, customer_id, client_id, scope, granted_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, customer_id, client_id) DO UPDATE \
             SET scope = excluded.scope, granted_at = excluded.granted_at",
        )
        .bind(org.get())
        .bind(customer_id)
        .bind(client_id)
        .bind(scope)
        .bind(to_db(now))
        .execute(&mut **unit)
        .await?;
        Ok(())
    }

    /// Stores a new Auth Engine session.
    pub async fn insert_ae_session(
        &self,
        org: OrgId,
        r: &AeSessionRecord,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut unit = self.0.unit().await?;
        sqlx::query(
            "INSERT INTO identity_ae_sessions (org_id, session_hash, web, identifier_type, \
             identifier, device_id, view_token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(org.get())
        .bind(&r.session_hash)
        .bind(i64::from(r.web))
        .bind(&r.identifier_type)
        .bind(&r.identifier)
        .bind(&r.device_id)
        .bind(&r.view_token_hash)
        .bind(to_db(now))
        .bind(to_db(r.expires_at))
        .execute(&mut *unit)
        .await?;
        unit.commit().await
    }

    /// An Auth Engine session by the hash of its id.
    pub async fn ae_session(
        &self,
        org: OrgId,
        session_hash: &str,
    ) -> Result<Option<AeSessionRecord>, StoreError> {
        let sql = format!(
            "SELECT {AE_SESSION_COLUMNS} FROM identity_ae_sessions \
             WHERE org_id = $1 AND session_hash = $2"
        );
        let row: Option<AeSessionRow> = sqlx::query_as(&sql)
            .bind(org.get())
            .bind(session_hash)
            .fetch_optional(self.0.reader())
            .await?;
        row.map(ae_session_from).transpose()
    }

    /// The session whose validation issued the token family `family`.
    pub async fn ae_session_of_family(
        &self,
        org: OrgId,
        family: &str,
    ) -> Result<Option<AeSessionRecord>, StoreError> {
        let sql = format!(
            "SELECT {AE_SESSION_COLUMNS} FROM identity_ae_sessions WHERE org_id = $1 AND family = $2"
        );
        let row: Option<AeSessionRow> = sqlx::query_as(&sql)
            .bind(org.get())
            .bind(family)
            .fetch_optional(self.0.reader())
            .await?;
        row.map(ae_session_from).transpose()
    }

    /// Records the customer an Auth Engine session's code is sent to, inside `unit`.
    pub async fn set_ae_customer_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        session_hash: &str,
        customer_id: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE identity_ae_sessions SET customer_id = $3 \
             WHERE org_id = $1 AND session_hash = $2 AND validated_at IS NULL",
        )
        .bind(org.get())
        .bind(session_hash)
        .bind(customer_id)
        .execute(&mut **unit)
        .await?;
        Ok(())
    }

    /// Ends a live session once, naming the token family it issued: false when it was
    /// validated before or has expired.
    pub async fn validate_ae_session_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        session_hash: &str,
        family: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "UPDATE identity_ae_sessions SET validated_at = $3, family = $4 \
             WHERE org_id = $1 AND session_hash = $2 AND validated_at IS NULL AND expires_at > $3 \
             RETURNING session_hash",
        )
        .bind(org.get())
        .bind(session_hash)
        .bind(to_db(now))
        .bind(family)
        .fetch_optional(&mut **unit)
        .await?;
        Ok(row.is_some())
    }
}
