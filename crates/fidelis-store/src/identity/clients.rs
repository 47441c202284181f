//! Partner clients managed through the admin API, next to those the org file declares.
//! Each client has one manager: the file's clients change only with the file, the API's
//! only through the API (`managed_by`), so neither silently undoes the other.

use fidelis_domain::identity::{ClientSettings, OtpConfig, Scopes};
use fidelis_domain::org::OrgId;
use jiff::Timestamp;

use super::{client_from, ClientRecord, ClientRow, IdentityRepo};
use crate::time::{from_db, to_db};
use crate::{StoreError, Unit};

const FILE: &str = "file";
const API: &str = "api";

/// A client with who manages it and when it last changed.
#[derive(Debug, Clone)]
pub struct ClientEntry {
    pub client: ClientRecord,
    /// Declared in the org file (so read-only through the API).
    pub from_file: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A client to create (its secret already hashed).
#[derive(Debug, Clone)]
pub struct NewClient {
    pub client_id: String,
    pub name: String,
    pub secret_hash: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Scopes,
    pub access_ttl_seconds: i64,
    pub refresh_ttl_seconds: i64,
}

const COLUMNS: &str = "client_id, name, secret_hash, redirect_uris, scopes, access_ttl_seconds, \
     refresh_ttl_seconds, is_active, managed_by, created_at, updated_at";

type EntryRow = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    i64,
    i64,
);

fn entry_from(r: EntryRow) -> Result<ClientEntry, StoreError> {
    let (from_file, created_at, updated_at) = (r.8 == FILE, from_db(r.9)?, from_db(r.10)?);
    let row: ClientRow = (r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7);
    Ok(ClientEntry {
        client: client_from(row)?,
        from_file,
        created_at,
        updated_at,
    })
}

fn uris_json(uris: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(uris).map_err(|e| StoreError::Corrupt(format!("redirect_uris: {e}")))
}

/// Whether the org file manages client `id` (false for an unknown one).
pub(super) async fn managed_by_file(
    tx: &mut Unit,
    org_id: OrgId,
    id: &str,
) -> Result<bool, StoreError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT managed_by FROM identity_clients WHERE org_id = $1 AND client_id = $2",
    )
    .bind(org_id.get())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some_and(|(m,)| m == FILE))
}

impl IdentityRepo<'_> {
    /// Every client of the org, active or not, by id.
    pub async fn clients(&self, org: OrgId) -> Result<Vec<ClientEntry>, StoreError> {
        let rows: Vec<EntryRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM identity_clients WHERE org_id = $1 ORDER BY client_id"
        ))
        .bind(org.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter().map(entry_from).collect()
    }

    /// One client with its manager.
    pub async fn client_entry(
        &self,
        org: OrgId,
        client_id: &str,
    ) -> Result<Option<ClientEntry>, StoreError> {
        let row: Option<EntryRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM identity_clients WHERE org_id = $1 AND client_id = $2"
        ))
        .bind(org.get())
        .bind(client_id)
        .fetch_optional(self.0.reader())
        .await?;
        row.map(entry_from).transpose()
    }

    /// Creates an API-managed client; `false` when the id is taken (by any client).
    pub async fn create_client(
        &self,
        org: OrgId,
        c: &NewClient,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut unit = self.0.unit().await?;
        let done = sqlx::query(
            "INSERT INTO identity_clients (org_id, client_id, name, secret_hash, redirect_uris, \
             scopes, access_ttl_seconds, refresh_ttl_seconds, is_active, managed_by, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10) \
             ON CONFLICT (org_id, client_id) DO NOTHING",
        )
        .bind(org.get())
        .bind(&c.client_id)
        .bind(&c.name)
        .bind(&c.secret_hash)
        .bind(uris_json(&c.redirect_uris)?)
        .bind(c.scopes.to_string())
        .bind(c.access_ttl_seconds)
        .bind(c.refresh_ttl_seconds)
        .bind(API)
        .bind(to_db(now))
        .execute(&mut *unit)
        .await?;
        unit.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Changes an API-managed client; `false` when there is none of that id.
    pub async fn update_client(
        &self,
        org: OrgId,
        client_id: &str,
        c: &ClientSettings,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut unit = self.0.unit().await?;
        let done = sqlx::query(
            "UPDATE identity_clients SET name = $3, redirect_uris = $4, scopes = $5, \
             access_ttl_seconds = $6, refresh_ttl_seconds = $7, is_active = $8, updated_at = $9 \
             WHERE org_id = $1 AND client_id = $2 AND managed_by = $10",
        )
        .bind(org.get())
        .bind(client_id)
        .bind(&c.name)
        .bind(uris_json(&c.redirect_uris)?)
        .bind(c.scopes.to_string())
        .bind(c.access_ttl_seconds)
        .bind(c.refresh_ttl_seconds)
        .bind(i64::from(c.active))
        .bind(to_db(now))
        .bind(API)
        .execute(&mut *unit)
        .await?;
        unit.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces an API-managed client's secret hash; `false` when there is none of that id.
    pub async fn set_client_secret(
        &self,
        org: OrgId,
        client_id: &str,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut unit = self.0.unit().await?;
        let done = sqlx::query(
            "UPDATE identity_clients SET secret_hash = $3, updated_at = $4 \
             WHERE org_id = $1 AND client_id = $2 AND managed_by = $5",
        )
        .bind(org.get())
        .bind(client_id)
        .bind(secret_hash)
        .bind(to_db(now))
        .bind(API)
        .execute(&mut *unit)
        .await?;
        unit.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets the org's OTP limits (its key stays); `false` before the org was applied.
    pub async fn set_otp_config(&self, org: OrgId, o: &OtpConfig) -> Result<bool, StoreError> {
        let mut unit = self.0.unit().await?;
        let done = sqlx::query(
            "UPDATE identity_settings SET otp_ttl_seconds = $2, otp_max_attempts = $3, \
             otp_cooldown_seconds = $4, otp_per_hour = $5, otp_per_day = $6, \
             otp_org_per_hour = $7, otp_ip_per_hour = $8, points_validation = $9 \
             WHERE org_id = $1",
        )
        .bind(org.get())
        .bind(o.ttl_seconds)
        .bind(o.max_attempts)
        .bind(o.cooldown_seconds)
        .bind(o.per_hour)
        .bind(o.per_day)
        .bind(o.org_per_hour)
        .bind(o.ip_per_hour)
        .bind(o.points_validation.as_str())
        .execute(&mut *unit)
        .await?;
        unit.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Revokes every token the client holds (when it is disabled).
    pub async fn revoke_client_tokens(
        &self,
        org: OrgId,
        client_id: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut unit = self.0.unit().await?;
        let done = sqlx::query(
            "UPDATE identity_tokens SET revoked_at = $3 \
             WHERE org_id = $1 AND client_id = $2 AND revoked_at IS NULL",
        )
        .bind(org.get())
        .bind(client_id)
        .bind(to_db(now))
        .execute(&mut *unit)
        .await?;
        unit.commit().await?;
        self.0
            .tokens
            .forget(|t| t.org_id == org && t.client_id == client_id);
        Ok(done.rows_affected())
    }
}
