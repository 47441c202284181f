//! The console's staff users and sessions.

use fidelis_domain::console::{ConsoleConfig, Role, StaffSpec};
use fidelis_domain::org::OrgId;
use jiff::Timestamp;
use secrecy::ExposeSecret;

use crate::org::{claim, ApplySummary};
use crate::time::{from_db, to_db};
use crate::{hash_secret, verify_secret, Db, StoreError, Unit};

pub struct ConsoleRepo<'a>(&'a Db);

impl Db {
    pub fn console(&self) -> ConsoleRepo<'_> {
        ConsoleRepo(self)
    }
}

/// A staff user as stored.
#[derive(Debug, Clone)]
pub struct StaffRecord {
    pub id: i64,
    pub org_id: OrgId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub google_sub: Option<String>,
    pub active: bool,
}

/// A live session's staff user.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub staff: StaffRecord,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
}

type StaffRow = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
);

#[derive(sqlx::FromRow)]
struct SessionRow {
    created_at: i64,
    last_seen_at: i64,
    id: i64,
    org_id: i64,
    email: String,
    name: String,
    role: String,
    password_hash: Option<String>,
    google_sub: Option<String>,
    is_active: i64,
}

const STAFF_COLUMNS: &str =
    "s.id, s.org_id, s.email, s.name, s.role, s.password_hash, s.google_sub, s.is_active";

fn staff(r: StaffRow) -> Result<StaffRecord, StoreError> {
    let role = Role::parse(&r.4).ok_or_else(|| StoreError::Corrupt(format!("role {}", r.4)))?;
    Ok(StaffRecord {
        id: r.0,
        org_id: OrgId::new(r.1),
        email: r.2,
        name: r.3,
        role,
        password_hash: r.5,
        google_sub: r.6,
        active: r.7 != 0,
    })
}

impl ConsoleRepo<'_> {
    /// The staff user with this (lower-case) email, in whichever org.
    pub async fn staff_by_email(&self, email: &str) -> Result<Option<StaffRecord>, StoreError> {
        let row: Option<StaffRow> = sqlx::query_as(&format!(
            "SELECT {STAFF_COLUMNS} FROM console_staff s WHERE s.email = $1"
        ))
        .bind(email)
        .fetch_optional(self.0.reader())
        .await?;
        row.map(staff).transpose()
    }

    /// Every staff user of the org, by email.
    pub async fn staff(&self, org_id: OrgId) -> Result<Vec<StaffRecord>, StoreError> {
        let rows: Vec<StaffRow> = sqlx::query_as(&format!(
            "SELECT {STAFF_COLUMNS} FROM console_staff s WHERE s.org_id = $1 ORDER BY s.email"
        ))
        .bind(org_id.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter().map(staff).collect()
    }

    /// Pins a staff user to the Google account `sub` (first Google sign-in). False when the
    /// user is already pinned to another account, or the account to another user (a race
    /// between two first sign-ins has one winner).
    pub async fn pin_google_sub(&self, staff_id: i64, sub: &str) -> Result<bool, StoreError> {
        let mut unit = self.0.unit().await?;
        let pinned = sqlx::query(
            "UPDATE console_staff SET google_sub = $2 WHERE id = $1 AND google_sub IS NULL",
        )
        .bind(staff_id)
        .bind(sub)
        .execute(&mut *unit)
        .await;
        match pinned {
            Ok(done) if done.rows_affected() == 1 => {
                unit.commit().await?;
                return Ok(true);
            }
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        drop(unit);
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT google_sub FROM console_staff WHERE id = $1")
                .bind(staff_id)
                .fetch_optional(self.0.reader())
                .await?;
        Ok(row.and_then(|r| r.0).is_some_and(|s| s == sub))
    }

    /// Records a Google sign-in under way (hashes only) and forgets those started before
    /// `stale_before`, which can no longer finish.
    pub async fn start_google_login(
        &self,
        state_hash: &str,
        browser_hash: &str,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> Result<(), StoreError> {
        let mut unit = self.0.unit().await?;
        sqlx::query("DELETE FROM console_google_logins WHERE created_at < $1")
            .bind(to_db(stale_before))
            .execute(&mut *unit)
            .await?;
        sqlx::query(
            "INSERT INTO console_google_logins (state_hash, browser_hash, created_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(state_hash)
        .bind(browser_hash)
        .bind(to_db(now))
        .execute(&mut *unit)
        .await?;
        unit.commit().await
    }

    /// Takes the Google sign-in under way stored under `state_hash`: its browser hash and
    /// when it started. It is deleted, so a second callback with the same state finds
    /// nothing.
    pub async fn take_google_login(
        &self,
        state_hash: &str,
    ) -> Result<Option<(String, Timestamp)>, StoreError> {
        let mut unit = self.0.unit().await?;
        let row: Option<(String, i64)> = sqlx::query_as(
            "DELETE FROM console_google_logins WHERE state_hash = $1 \
             RETURNING browser_hash, created_at",
        )
        .bind(state_hash)
        .fetch_optional(&mut *unit)
        .await?;
        unit.commit().await?;
        row.map(|(browser, at)| Ok((browser, from_db(at)?)))
            .transpose()
    }

    /// Stores a new session under the hash of its token.
    pub async fn create_session(
        &self,
        token_hash: &str,
        s: &StaffRecord,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut unit = self.0.unit().await?;
        sqlx::query(
            "INSERT INTO console_sessions (token_hash, org_id, staff_id, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(token_hash)
        .bind(s.org_id.get())
        .bind(s.id)
        .bind(to_db(now))
        .execute(&mut *unit)
        .await?;
        unit.commit().await
    }

    /// The session stored under `token_hash`, with its (active or not) staff user.
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT x.created_at, x.last_seen_at, s.id, s.org_id, s.email, s.name, s.role, \
                 s.password_hash, s.google_sub, s.is_active \
                 FROM console_sessions x JOIN console_staff s ON s.id = x.staff_id \
                 AND s.org_id = x.org_id WHERE x.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.0.reader())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(SessionRecord {
            created_at: from_db(r.created_at)?,
            last_seen_at: from_db(r.last_seen_at)?,
            staff: staff((
                r.id,
                r.org_id,
                r.email,
                r.name,
                r.role,
                r.password_hash,
                r.google_sub,
                r.is_active,
            ))?,
        }))
    }

    pub async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<(), StoreError> {
        let mut unit = self.0.unit().await?;
        sqlx::query("UPDATE console_sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(to_db(now))
            .execute(&mut *unit)
            .await?;
        unit.commit().await
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let mut unit = self.0.unit().await?;
        sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *unit)
            .await?;
        unit.commit().await
    }
}

/// Writes the org file's `[console]` staff: new ones created, changed ones updated, ones the
/// file no longer names deactivated (their sessions end with them).
pub(crate) async fn apply_config(
    tx: &mut Unit,
    org_id: OrgId,
    config: &ConsoleConfig,
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    for s in &config.staff {
        claim(tx, "staff", &s.email, org_id).await?;
        put_staff(tx, org_id, s, now, summary).await?;
    }
    let active: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, email FROM console_staff WHERE org_id = $1 AND is_active = 1 \
         AND managed_by = 'file'",
    )
    .bind(org_id.get())
    .fetch_all(&mut **tx)
    .await?;
    for (id, email) in active {
        if config.staff.iter().any(|s| s.email == email) {
            continue;
        }
        sqlx::query("UPDATE console_staff SET is_active = 0, updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(to_db(now))
            .execute(&mut **tx)
            .await?;
        end_sessions(tx, id).await?;
        summary.deactivated += 1;
    }
    sqlx::query(
        "INSERT INTO console_settings (org_id, google_domain) VALUES ($1, $2) \
         ON CONFLICT (org_id) DO UPDATE SET google_domain = excluded.google_domain",
    )
    .bind(org_id.get())
    .bind(config.google_domain.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn end_sessions(tx: &mut Unit, staff_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM console_sessions WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn put_staff(
    tx: &mut Unit,
    org_id: OrgId,
    s: &StaffSpec,
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    let existing: Option<(i64, String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT id, name, role, password_hash, is_active FROM console_staff \
         WHERE org_id = $1 AND email = $2",
    )
    .bind(org_id.get())
    .bind(&s.email)
    .fetch_optional(&mut **tx)
    .await?;
    // An unchanged password keeps its hash (hashing again would change it on every apply).
    let hash = match (&s.password, existing.as_ref().and_then(|e| e.3.as_ref())) {
        (None, _) => None,
        (Some(p), Some(h)) if verify_secret(p.expose_secret(), h) => Some(h.clone()),
        (Some(p), _) => Some(hash_secret(p.expose_secret())?),
    };
    if let Some((id, name, role, old_hash, active)) = &existing {
        if *name == s.name && *role == s.role.as_str() && *old_hash == hash && *active != 0 {
            summary.unchanged += 1;
            return Ok(());
        }
        // A changed password or role ends the staff user's sessions.
        end_sessions(tx, *id).await?;
        summary.updated += 1;
    } else {
        summary.created += 1;
    }
    sqlx::query(
        "INSERT INTO console_staff (org_id, email, name, role, password_hash, \
         managed_by, is_active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'file', 1, $6, $6) ON CONFLICT (org_id, email) DO UPDATE \
         SET name = excluded.name, role = excluded.role, password_hash = excluded.password_hash, \
         is_active = 1, updated_at = excluded.updated_at",
    )
    .bind(org_id.get())
    .bind(&s.email)
    .bind(&s.name)
    .bind(s.role.as_str())
    .bind(&hash)
    .bind(to_db(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl ConsoleRepo<'_> {
    /// The org's Google Workspace domain, if Google sign-in is configured.
    pub async fn google_domain(&self, org_id: OrgId) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT google_domain FROM console_settings WHERE org_id = $1")
                .bind(org_id.get())
                .fetch_optional(self.0.reader())
                .await?;
        Ok(row.and_then(|r| r.0))
    }
}

impl ConsoleRepo<'_> {
    /// Up to `limit` customers whose first name, last name or full name contains `fragment`
    /// (any case), newest first.
    pub async fn customers_named(
        &self,
        org_id: OrgId,
        fragment: &str,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let escaped: String = fragment
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT DISTINCT customer_id FROM customer_profiles WHERE org_id = $1 AND \
             (LOWER(COALESCE(first_name, '')) LIKE $2 ESCAPE '\\' \
              OR LOWER(COALESCE(last_name, '')) LIKE $2 ESCAPE '\\' \
              OR LOWER(COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')) LIKE $2 ESCAPE '\\') \
             ORDER BY customer_id DESC LIMIT $3",
        )
        .bind(org_id.get())
        .bind(pattern)
        .bind(limit)
        .fetch_all(self.0.reader())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
