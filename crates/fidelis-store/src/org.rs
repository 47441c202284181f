//! The org repository: orgs, units, credentials, API clients, tokens and settings.

use std::collections::HashMap;

use fidelis_domain::org::{Entity, EntityId, EntityKind, Org, OrgFile, OrgId, Permissions};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use secrecy::ExposeSecret;

use crate::secrets::{hash_secret, verify_secret};
use crate::time::{from_db, to_db};
use crate::{Db, StoreError};

type Tx = crate::Unit;

/// What `apply` did, for the person who ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplySummary {
    pub org_id: OrgId,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deactivated: usize,
}

impl ApplySummary {
    pub fn changed(&self) -> bool {
        self.created + self.updated + self.deactivated > 0
    }
}

/// A till's stored login.
#[derive(Debug, Clone)]
pub struct TillLogin {
    pub org_id: OrgId,
    pub till_id: EntityId,
    pub password_hash: String,
}

/// A server-to-server API client.
#[derive(Debug, Clone)]
pub struct ApiClient {
    pub org_id: OrgId,
    pub id: i64,
    pub key: String,
    pub secret_hash: String,
    pub default_till_id: EntityId,
    pub token_ttl_seconds: i64,
    pub permissions: Permissions,
}

/// A live access token's owner.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub org_id: OrgId,
    pub client_id: i64,
    pub expires_at: Timestamp,
}

pub struct OrgRepo<'a>(&'a Db);

impl Db {
    pub fn orgs(&self) -> OrgRepo<'_> {
        OrgRepo(self)
    }
}

type OrgRow = (i64, String, String, String, String, String);
const ORG_COLUMNS: &str = "id, code, name, time_zone, currency, country";

fn org_from_row(r: OrgRow) -> Result<Org, StoreError> {
    let time_zone = TimeZone::get(&r.3)
        .map_err(|e| StoreError::Corrupt(format!("org {} time zone {:?}: {e}", r.0, r.3)))?;
    Ok(Org {
        id: OrgId::new(r.0),
        code: r.1,
        name: r.2,
        time_zone,
        currency: r.4,
        country: r.5,
    })
}

type EntityRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
);
const ENTITY_COLUMNS: &str =
    "id, kind, code, name, description, parent_id, concept_id, is_active, updated_at";

fn entity_from_row(r: EntityRow) -> Result<Entity, StoreError> {
    let kind = EntityKind::parse(&r.1)
        .ok_or_else(|| StoreError::Corrupt(format!("entity {} has kind {:?}", r.0, r.1)))?;
    Ok(Entity {
        id: EntityId::new(r.0),
        kind,
        code: r.2,
        name: r.3,
        description: r.4,
        parent_id: r.5.map(EntityId::new),
        concept_id: r.6.map(EntityId::new),
        is_active: r.7 != 0,
        updated_at: from_db(r.8)?,
    })
}

impl OrgRepo<'_> {
    pub async fn get(&self, org_id: OrgId) -> Result<Option<Org>, StoreError> {
        let row: Option<OrgRow> =
            sqlx::query_as(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = $1"))
                .bind(org_id.get())
                .fetch_optional(self.0.reader())
                .await?;
        row.map(org_from_row).transpose()
    }

    pub async fn by_code(&self, code: &str) -> Result<Option<Org>, StoreError> {
        let row: Option<OrgRow> =
            sqlx::query_as(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE code = $1"))
                .bind(code)
                .fetch_optional(self.0.reader())
                .await?;
        row.map(org_from_row).transpose()
    }

    /// Units of the org, optionally of one kind, in id order.
    pub async fn entities(
        &self,
        org_id: OrgId,
        kind: Option<EntityKind>,
    ) -> Result<Vec<Entity>, StoreError> {
        let rows: Vec<EntityRow> = sqlx::query_as(&format!(
            "SELECT {ENTITY_COLUMNS} FROM entities \
             WHERE org_id = $1 AND ($2 = '' OR kind = $2) ORDER BY id"
        ))
        .bind(org_id.get())
        .bind(kind.map(EntityKind::as_str).unwrap_or(""))
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter().map(entity_from_row).collect()
    }

    pub async fn entity(&self, org_id: OrgId, id: EntityId) -> Result<Option<Entity>, StoreError> {
        let row: Option<EntityRow> = sqlx::query_as(&format!(
            "SELECT {ENTITY_COLUMNS} FROM entities WHERE org_id = $1 AND id = $2"
        ))
        .bind(org_id.get())
        .bind(id.get())
        .fetch_optional(self.0.reader())
        .await?;
        row.map(entity_from_row).transpose()
    }

    pub async fn entity_by_code(
        &self,
        org_id: OrgId,
        kind: EntityKind,
        code: &str,
    ) -> Result<Option<Entity>, StoreError> {
        let row: Option<EntityRow> = sqlx::query_as(&format!(
            "SELECT {ENTITY_COLUMNS} FROM entities WHERE org_id = $1 AND kind = $2 AND code = $3"
        ))
        .bind(org_id.get())
        .bind(kind.as_str())
        .bind(code)
        .fetch_optional(self.0.reader())
        .await?;
        row.map(entity_from_row).transpose()
    }

    /// Finds an active till's login by its deployment-wide code.
    pub async fn till_login(&self, code: &str) -> Result<Option<TillLogin>, StoreError> {
        let row: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT e.org_id, e.id, c.password_hash FROM directory d \
             JOIN entities e ON e.org_id = d.org_id AND e.kind = 'TILL' AND e.code = d.name \
             JOIN till_credentials c ON c.org_id = e.org_id AND c.till_id = e.id \
             WHERE d.kind = 'till' AND d.name = $1 AND e.is_active = 1",
        )
        .bind(code)
        .fetch_optional(self.0.reader())
        .await?;
        Ok(row.map(|(org_id, till_id, password_hash)| TillLogin {
            org_id: OrgId::new(org_id),
            till_id: EntityId::new(till_id),
            password_hash,
        }))
    }

    /// Finds an active API client by its deployment-wide key.
    pub async fn api_client(&self, key: &str) -> Result<Option<ApiClient>, StoreError> {
        let row: Option<(i64, i64, String, String, i64, i64, String)> = sqlx::query_as(
            "SELECT c.org_id, c.id, c.client_key, c.secret_hash, c.default_till_id, \
                    c.token_ttl_seconds, c.permissions \
             FROM directory d JOIN api_clients c ON c.org_id = d.org_id AND c.client_key = d.name \
             WHERE d.kind = 'api_client' AND d.name = $1 AND c.is_active = 1",
        )
        .bind(key)
        .fetch_optional(self.0.reader())
        .await?;
        row.map(|r| {
            Ok(ApiClient {
                org_id: OrgId::new(r.0),
                id: r.1,
                key: r.2,
                secret_hash: r.3,
                default_till_id: EntityId::new(r.4),
                token_ttl_seconds: r.5,
                permissions: serde_json::from_str(&r.6)
                    .map_err(|e| StoreError::Corrupt(format!("client permissions: {e}")))?,
            })
        })
        .transpose()
    }

    pub async fn api_client_by_id(
        &self,
        org_id: OrgId,
        id: i64,
    ) -> Result<Option<ApiClient>, StoreError> {
        let key: Option<(String,)> =
            sqlx::query_as("SELECT client_key FROM api_clients WHERE org_id = $1 AND id = $2")
                .bind(org_id.get())
                .bind(id)
                .fetch_optional(self.0.reader())
                .await?;
        match key {
            Some((key,)) => self.api_client(&key).await,
            None => Ok(None),
        }
    }

    /// Records an issued access token by its digest.
    pub async fn insert_token(
        &self,
        token_hash: &str,
        client: &ApiClient,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.0.begin().await?;
        // Expired tokens are swept as new ones are issued, so the table stays small.
        sqlx::query(
            "DELETE FROM access_tokens WHERE org_id = $1 AND client_id = $2 AND expires_at < $3",
        )
        .bind(client.org_id.get())
        .bind(client.id)
        .bind(to_db(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO access_tokens (token_hash, org_id, client_id, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(client.org_id.get())
        .bind(client.id)
        .bind(to_db(expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn token(&self, token_hash: &str) -> Result<Option<TokenGrant>, StoreError> {
        let row: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT org_id, client_id, expires_at FROM access_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.0.reader())
        .await?;
        row.map(|(org_id, client_id, exp)| {
            Ok(TokenGrant {
                org_id: OrgId::new(org_id),
                client_id,
                expires_at: from_db(exp)?,
            })
        })
        .transpose()
    }

    /// A configuration value of the org (`GET /v2/organization/configs/{name}`).
    pub async fn setting(
        &self,
        org_id: OrgId,
        name: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT value FROM org_settings WHERE org_id = $1 AND name = $2")
                .bind(org_id.get())
                .bind(name)
                .fetch_optional(self.0.reader())
                .await?;
        row.map(|(v,)| {
            serde_json::from_str(&v)
                .map_err(|e| StoreError::Corrupt(format!("setting {name}: {e}")))
        })
        .transpose()
    }

    /// Makes the stored org match `file`, in one transaction: all of it or none of it.
    pub async fn apply(&self, file: &OrgFile, now: Timestamp) -> Result<ApplySummary, StoreError> {
        let mut tx = self.0.begin().await?;
        // The org's id is set once its row is written, just below.
        let mut summary = ApplySummary {
            org_id: OrgId::new(0),
            created: 0,
            updated: 0,
            unchanged: 0,
            deactivated: 0,
        };
        let org_id = upsert_org(&mut tx, file, now, &mut summary).await?;
        summary.org_id = org_id;

        let mut units = Units::load(&mut tx, org_id).await?;
        let mut ids: HashMap<(EntityKind, String), EntityId> = HashMap::new();
        for (kind, list) in [
            (EntityKind::Zone, &file.zones),
            (EntityKind::Concept, &file.concepts),
        ] {
            for u in list {
                let want = Unit::new(kind, &u.code, &u.name, &u.description, None, None);
                let id = units.put(&mut tx, org_id, want, now, &mut summary).await?;
                ids.insert((kind, u.code.clone()), id);
            }
        }
        for s in &file.stores {
            let zone = s
                .zone
                .as_ref()
                .and_then(|z| ids.get(&(EntityKind::Zone, z.clone())).copied());
            let concept = s
                .concept
                .as_ref()
                .and_then(|c| ids.get(&(EntityKind::Concept, c.clone())).copied());
            let want = Unit::new(
                EntityKind::Store,
                &s.code,
                &s.name,
                &s.description,
                zone,
                concept,
            );
            let id = units.put(&mut tx, org_id, want, now, &mut summary).await?;
            ids.insert((EntityKind::Store, s.code.clone()), id);
        }
        for t in &file.tills {
            claim(&mut tx, "till", &t.code, org_id).await?;
            let store = ids.get(&(EntityKind::Store, t.store.clone())).copied();
            let want = Unit::new(EntityKind::Till, &t.code, &t.name, "", store, None);
            let id = units.put(&mut tx, org_id, want, now, &mut summary).await?;
            ids.insert((EntityKind::Till, t.code.clone()), id);
            set_till_password(
                &mut tx,
                org_id,
                id,
                t.password.expose_secret(),
                &mut summary,
            )
            .await?;
        }
        summary.deactivated += units.deactivate_rest(&mut tx, org_id, now).await?;

        for c in &file.api_clients {
            claim(&mut tx, "api_client", &c.key, org_id).await?;
            let till = ids
                .get(&(EntityKind::Till, c.default_till.clone()))
                .copied()
                .ok_or_else(|| StoreError::Corrupt(format!("till {} vanished", c.default_till)))?;
            put_api_client(&mut tx, org_id, c, till, now, &mut summary).await?;
        }
        summary.deactivated += deactivate_other_clients(&mut tx, org_id, file, now).await?;

        for (name, value) in &file.settings {
            put_setting(&mut tx, org_id, name, value, &mut summary).await?;
        }
        crate::customers::apply_config(&mut tx, org_id, &file.customers, now, &mut summary).await?;
        crate::loyalty::apply_config(&mut tx, org_id, &file.loyalty, now, &mut summary).await?;
        let tz = &file.org.time_zone;
        crate::incentives::apply_config(&mut tx, org_id, &file.incentives, tz, now, &mut summary)
            .await?;
        crate::comms::apply_config(&mut tx, org_id, &file.comms, &mut summary).await?;
        crate::identity::apply_config(&mut tx, org_id, &file.identity, now, &mut summary).await?;
        crate::console::apply_config(&mut tx, org_id, &file.console, now, &mut summary).await?;
        tx.commit().await?;
        Ok(summary)
    }
}

async fn upsert_org(
    tx: &mut Tx,
    file: &OrgFile,
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<OrgId, StoreError> {
    let o = &file.org;
    let tz = o.time_zone.iana_name().unwrap_or("UTC");
    let existing: Option<OrgRow> =
        sqlx::query_as(&format!("SELECT {ORG_COLUMNS} FROM orgs WHERE code = $1"))
            .bind(&o.code)
            .fetch_optional(&mut **tx)
            .await?;
    match existing {
        Some(r)
            if (r.2.as_str(), r.3.as_str(), r.4.as_str(), r.5.as_str())
                == (o.name.as_str(), tz, o.currency.as_str(), o.country.as_str()) =>
        {
            summary.unchanged += 1;
            Ok(OrgId::new(r.0))
        }
        Some(r) => {
            sqlx::query(
                "UPDATE orgs SET name = $2, time_zone = $3, currency = $4, country = $5, updated_at = $6 \
                 WHERE id = $1",
            )
            .bind(r.0)
            .bind(&o.name)
            .bind(tz)
            .bind(&o.currency)
            .bind(&o.country)
            .bind(to_db(now))
            .execute(&mut **tx)
            .await?;
            summary.updated += 1;
            Ok(OrgId::new(r.0))
        }
        None => {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO orgs (code, name, time_zone, currency, country, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(&o.code)
            .bind(&o.name)
            .bind(tz)
            .bind(&o.currency)
            .bind(&o.country)
            .bind(to_db(now))
            .fetch_one(&mut **tx)
            .await?;
            summary.created += 1;
            Ok(OrgId::new(id))
        }
    }
}

/// Registers a deployment-wide name (till code, API key) for this org, refusing one that
/// another org already holds.
pub(crate) async fn claim(
    tx: &mut Tx,
    kind: &str,
    name: &str,
    org_id: OrgId,
) -> Result<(), StoreError> {
    let owner: Option<(i64,)> =
        sqlx::query_as("SELECT org_id FROM directory WHERE kind = $1 AND name = $2")
            .bind(kind)
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
    match owner {
        Some((o,)) if o == org_id.get() => Ok(()),
        Some(_) => Err(StoreError::Conflict(format!(
            "{} \"{name}\" is already used by another org; it must be unique across the deployment",
            kind.replace('_', " ")
        ))),
        None => {
            sqlx::query("INSERT INTO directory (kind, name, org_id) VALUES ($1, $2, $3)")
                .bind(kind)
                .bind(name)
                .bind(org_id.get())
                .execute(&mut **tx)
                .await?;
            Ok(())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Unit {
    kind: EntityKind,
    code: String,
    name: String,
    description: String,
    parent_id: Option<EntityId>,
    concept_id: Option<EntityId>,
}

impl Unit {
    fn new(
        kind: EntityKind,
        code: &str,
        name: &str,
        description: &str,
        parent_id: Option<EntityId>,
        concept_id: Option<EntityId>,
    ) -> Self {
        Self {
            kind,
            code: code.into(),
            name: name.into(),
            description: description.into(),
            parent_id,
            concept_id,
        }
    }
}

/// The org's units as stored, so apply can tell created / updated / unchanged apart.
struct Units {
    existing: HashMap<(EntityKind, String), (EntityId, Unit, bool)>,
    kept: std::collections::HashSet<EntityId>,
}

impl Units {
    async fn load(tx: &mut Tx, org_id: OrgId) -> Result<Self, StoreError> {
        let rows: Vec<EntityRow> = sqlx::query_as(&format!(
            "SELECT {ENTITY_COLUMNS} FROM entities WHERE org_id = $1"
        ))
        .bind(org_id.get())
        .fetch_all(&mut **tx)
        .await?;
        let mut existing = HashMap::new();
        for r in rows {
            let e = entity_from_row(r)?;
            let unit = Unit::new(
                e.kind,
                &e.code,
                &e.name,
                &e.description,
                e.parent_id,
                e.concept_id,
            );
            existing.insert((e.kind, e.code), (e.id, unit, e.is_active));
        }
        Ok(Self {
            existing,
            kept: Default::default(),
        })
    }

    async fn put(
        &mut self,
        tx: &mut Tx,
        org_id: OrgId,
        want: Unit,
        now: Timestamp,
        summary: &mut ApplySummary,
    ) -> Result<EntityId, StoreError> {
        let key = (want.kind, want.code.clone());
        let id = match self.existing.get(&key) {
            Some((id, have, active)) if *have == want && *active => {
                summary.unchanged += 1;
                *id
            }
            Some((id, _, _)) => {
                sqlx::query(
                    "UPDATE entities SET name = $3, description = $4, parent_id = $5, concept_id = $6, \
                     is_active = 1, updated_at = $7 WHERE org_id = $1 AND id = $2",
                )
                .bind(org_id.get())
                .bind(id.get())
                .bind(&want.name)
                .bind(&want.description)
                .bind(want.parent_id.map(EntityId::get))
                .bind(want.concept_id.map(EntityId::get))
                .bind(to_db(now))
                .execute(&mut **tx)
                .await?;
                summary.updated += 1;
                *id
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO entities (org_id, kind, code, name, description, parent_id, concept_id, \
                     is_active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) \
                     RETURNING id",
                )
                .bind(org_id.get())
                .bind(want.kind.as_str())
                .bind(&want.code)
                .bind(&want.name)
                .bind(&want.description)
                .bind(want.parent_id.map(EntityId::get))
                .bind(want.concept_id.map(EntityId::get))
                .bind(to_db(now))
                .fetch_one(&mut **tx)
                .await?;
                summary.created += 1;
                EntityId::new(id)
            }
        };
        self.kept.insert(id);
        Ok(id)
    }

    /// Units the file no longer names are deactivated, never deleted: history refers to them.
    async fn deactivate_rest(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let mut n = 0;
        for (id, _, active) in self.existing.values() {
            if *active && !self.kept.contains(id) {
                sqlx::query("UPDATE entities SET is_active = 0, updated_at = $3 WHERE org_id = $1 AND id = $2")
                    .bind(org_id.get())
                    .bind(id.get())
                    .bind(to_db(now))
                    .execute(&mut **tx)
                    .await?;
                n += 1;
            }
        }
        Ok(n)
    }
}

async fn set_till_password(
    tx: &mut Tx,
    org_id: OrgId,
    till_id: EntityId,
    password: &str,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    // Tills authenticate with md5hex(password), so that is what the slow hash protects.
    let presented = fidelis_domain::credentials::md5_hex(password);
    let current: Option<(String,)> = sqlx::query_as(
        "SELECT password_hash FROM till_credentials WHERE org_id = $1 AND till_id = $2",
    )
    .bind(org_id.get())
    .bind(till_id.get())
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((hash,)) = &current {
        if verify_secret(&presented, hash) {
            return Ok(());
        }
    }
    let hash = hash_secret(&presented)?;
    sqlx::query(
        "INSERT INTO till_credentials (org_id, till_id, password_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id, till_id) DO UPDATE SET password_hash = excluded.password_hash",
    )
    .bind(org_id.get())
    .bind(till_id.get())
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    if current.is_some() {
        summary.updated += 1;
    }
    Ok(())
}

async fn put_api_client(
    tx: &mut Tx,
    org_id: OrgId,
    c: &fidelis_domain::org::config::ApiClientSpec,
    till_id: EntityId,
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    let permissions = serde_json::to_string(&c.permissions)
        .map_err(|e| StoreError::Corrupt(format!("permissions: {e}")))?;
    let existing: Option<(i64, String, String, i64, i64, String, i64)> = sqlx::query_as(
        "SELECT id, name, secret_hash, default_till_id, token_ttl_seconds, permissions, is_active \
         FROM api_clients WHERE org_id = $1 AND client_key = $2",
    )
    .bind(org_id.get())
    .bind(&c.key)
    .fetch_optional(&mut **tx)
    .await?;
    let secret = c.secret.expose_secret();
    match existing {
        Some(r)
            if r.1 == c.name
                && r.3 == till_id.get()
                && r.4 == c.token_ttl_seconds
                && r.5 == permissions
                && r.6 != 0
                && verify_secret(secret, &r.2) =>
        {
            summary.unchanged += 1;
        }
        Some(r) => {
            let hash = if verify_secret(secret, &r.2) {
                r.2.clone()
            } else {
                hash_secret(secret)?
            };
            sqlx::query(
                "UPDATE api_clients SET name = $3, secret_hash = $4, default_till_id = $5, \
                 token_ttl_seconds = $6, permissions = $7, is_active = 1, updated_at = $8 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org_id.get())
            .bind(r.0)
            .bind(&c.name)
            .bind(hash)
            .bind(till_id.get())
            .bind(c.token_ttl_seconds)
            .bind(&permissions)
            .bind(to_db(now))
            .execute(&mut **tx)
            .await?;
            summary.updated += 1;
        }
        None => {
            sqlx::query(
                "INSERT INTO api_clients (org_id, client_key, name, secret_hash, default_till_id, \
                 token_ttl_seconds, permissions, is_active, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)",
            )
            .bind(org_id.get())
            .bind(&c.key)
            .bind(&c.name)
            .bind(hash_secret(secret)?)
            .bind(till_id.get())
            .bind(c.token_ttl_seconds)
            .bind(&permissions)
            .bind(to_db(now))
            .execute(&mut **tx)
            .await?;
            summary.created += 1;
        }
    }
    Ok(())
}

async fn deactivate_other_clients(
    tx: &mut Tx,
    org_id: OrgId,
    file: &OrgFile,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let active: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, client_key FROM api_clients WHERE org_id = $1 AND is_active = 1",
    )
    .bind(org_id.get())
    .fetch_all(&mut **tx)
    .await?;
    let mut n = 0;
    for (id, key) in active {
        if !file.api_clients.iter().any(|c| c.key == key) {
            sqlx::query("UPDATE api_clients SET is_active = 0, updated_at = $3 WHERE org_id = $1 AND id = $2")
                .bind(org_id.get())
                .bind(id)
                .bind(to_db(now))
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM access_tokens WHERE org_id = $1 AND client_id = $2")
                .bind(org_id.get())
                .bind(id)
                .execute(&mut **tx)
                .await?;
            n += 1;
        }
    }
    Ok(n)
}

async fn put_setting(
    tx: &mut Tx,
    org_id: OrgId,
    name: &str,
    value: &serde_json::Value,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    let text = value.to_string();
    let current: Option<(String,)> =
        sqlx::query_as("SELECT value FROM org_settings WHERE org_id = $1 AND name = $2")
            .bind(org_id.get())
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
    match current {
        Some((v,)) if v == text => summary.unchanged += 1,
        other => {
            sqlx::query(
                "INSERT INTO org_settings (org_id, name, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (org_id, name) DO UPDATE SET value = excluded.value",
            )
            .bind(org_id.get())
            .bind(name)
            .bind(&text)
            .execute(&mut **tx)
            .await?;
            if other.is_some() {
                summary.updated += 1;
            } else {
                summary.created += 1;
            }
        }
    }
    Ok(())
}
