//! Writes the `[loyalty]` section of an org file inside `OrgRepo::apply`'s transaction.
//! Programs and card series are matched by name and code; ones the file no longer names
//! are deactivated, never deleted, because ledger rows and cards refer to them.

use std::collections::{HashMap, HashSet};

use fidelis_domain::loyalty::cards::CardSeries;
use fidelis_domain::loyalty::config::{LoyaltyConfig, LoyaltySettings, ProgramRules, ProgramSpec};
use fidelis_domain::loyalty::ProgramId;
use fidelis_domain::org::OrgId;
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Tx;
use crate::org::ApplySummary;
use crate::time::to_db;
use crate::StoreError;

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("loyalty config: {e}")))
}

pub(crate) fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Writes the `[loyalty]` section of an org file, inside `apply`'s transaction.
pub(crate) async fn apply_config(
    tx: &mut Tx,
    org_id: OrgId,
    config: &LoyaltyConfig,
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    let program_ids = put_programs(tx, org_id, &config.programs, now, summary).await?;
    put_card_series(tx, org_id, config, &program_ids, now, summary).await?;
    put_settings(tx, org_id, &config.settings, summary).await
}

type ProgramRow = (i64, String, String, String, i64);

async fn put_programs(
    tx: &mut Tx,
    org_id: OrgId,
    specs: &[ProgramSpec],
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<HashMap<String, ProgramId>, StoreError> {
    let rows: Vec<(String, i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT name, id, kind, description, rules, is_active FROM loyalty_programs WHERE org_id = $1",
    )
    .bind(org_id.get())
    .fetch_all(&mut **tx)
    .await?;
    let mut existing: HashMap<String, ProgramRow> = rows
        .into_iter()
        .map(|r| (r.0, (r.1, r.2, r.3, r.4, r.5)))
        .collect();
    let mut ids = HashMap::new();
    for p in specs {
        let rules = to_json(&p.rules)?;
        let id = match existing.remove(&p.name) {
            Some((id, kind, description, stored, active))
                if kind == p.kind.as_str()
                    && description == p.description
                    && active != 0
                    && from_json::<ProgramRules>(&stored, "program rules")
                        .ok()
                        .as_ref()
                        == Some(&p.rules) =>
            {
                summary.unchanged += 1;
                id
            }
            Some((id, ..)) => {
                sqlx::query(
                    "UPDATE loyalty_programs SET kind = $3, description = $4, rules = $5, \
                     is_active = 1, updated_at = $6 WHERE org_id = $1 AND id = $2",
                )
                .bind(org_id.get())
                .bind(id)
                .bind(p.kind.as_str())
                .bind(&p.description)
                .bind(&rules)
                .bind(to_db(now))
                .execute(&mut **tx)
                .await?;
                summary.updated += 1;
                id
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO loyalty_programs (org_id, name, kind, description, rules, is_active, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id",
                )
                .bind(org_id.get())
                .bind(&p.name)
                .bind(p.kind.as_str())
                .bind(&p.description)
                .bind(&rules)
                .bind(to_db(now))
                .fetch_one(&mut **tx)
                .await?;
                summary.created += 1;
                id
            }
        };
        ids.insert(p.name.to_lowercase(), ProgramId::new(id));
    }
    for (id, .., active) in existing.into_values() {
        if active != 0 {
            deactivate(tx, "loyalty_programs", org_id, id, now).await?;
            summary.deactivated += 1;
        }
    }
    Ok(ids)
}

async fn put_card_series(
    tx: &mut Tx,
    org_id: OrgId,
    config: &LoyaltyConfig,
    program_ids: &HashMap<String, ProgramId>,
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    // Series created through the API are the API's; a file series of the same code takes
    // such a series over.
    let rows: Vec<(String, i64, String, i64, String)> = sqlx::query_as(
        "SELECT code, id, definition, is_active, managed_by FROM loyalty_card_series \
         WHERE org_id = $1",
    )
    .bind(org_id.get())
    .fetch_all(&mut **tx)
    .await?;
    let mut api = HashSet::new();
    let mut existing: HashMap<String, (i64, String, i64)> = HashMap::new();
    for (code, id, definition, active, managed_by) in rows {
        if managed_by == "API" {
            api.insert(code.clone());
        }
        existing.insert(code, (id, definition, active));
    }
    for c in &config.card_series {
        let program_id = match &c.program {
            Some(name) => Some(program_ids.get(&name.to_lowercase()).copied().ok_or_else(
                || StoreError::Corrupt(format!("card series program {name} vanished")),
            )?),
            None => None,
        };
        let want = CardSeries {
            program_id,
            ..c.series.clone()
        };
        let definition = to_json(&want)?;
        match existing.remove(&want.code) {
            Some((_, stored, active))
                if active != 0
                    && !api.contains(&want.code)
                    && from_json::<CardSeries>(&stored, "card series")
                        .ok()
                        .as_ref()
                        == Some(&want) =>
            {
                summary.unchanged += 1;
            }
            Some((id, ..)) => {
                sqlx::query(
                    "UPDATE loyalty_card_series SET definition = $3, program_id = $4, is_active = 1, \
                     managed_by = 'FILE', updated_at = $5 WHERE org_id = $1 AND id = $2",
                )
                .bind(org_id.get())
                .bind(id)
                .bind(&definition)
                .bind(program_id.map(ProgramId::get))
                .bind(to_db(now))
                .execute(&mut **tx)
                .await?;
                summary.updated += 1;
            }
            None => {
                sqlx::query(
                    "INSERT INTO loyalty_card_series (org_id, code, definition, program_id, is_active, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5)",
                )
                .bind(org_id.get())
                .bind(&want.code)
                .bind(&definition)
                .bind(program_id.map(ProgramId::get))
                .bind(to_db(now))
                .execute(&mut **tx)
                .await?;
                summary.created += 1;
            }
        }
    }
    for (code, (id, _, active)) in existing {
        if active != 0 && !api.contains(&code) {
            deactivate(tx, "loyalty_card_series", org_id, id, now).await?;
            summary.deactivated += 1;
        }
    }
    Ok(())
}

async fn put_settings(
    tx: &mut Tx,
    org_id: OrgId,
    settings: &LoyaltySettings,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    let current: Option<(String,)> =
        sqlx::query_as("SELECT settings FROM loyalty_settings WHERE org_id = $1")
            .bind(org_id.get())
            .fetch_optional(&mut **tx)
            .await?;
    let stored = current
        .as_ref()
        .and_then(|(s,)| from_json::<LoyaltySettings>(s, "loyalty settings").ok());
    if stored.as_ref() == Some(settings) {
        summary.unchanged += 1;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO loyalty_settings (org_id, settings) VALUES ($1, $2) \
         ON CONFLICT (org_id) DO UPDATE SET settings = excluded.settings",
    )
    .bind(org_id.get())
    .bind(to_json(settings)?)
    .execute(&mut **tx)
    .await?;
    if current.is_some() {
        summary.updated += 1;
    } else {
        summary.created += 1;
    }
    Ok(())
}

async fn deactivate(
    tx: &mut Tx,
    table: &str,
    org_id: OrgId,
    id: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "UPDATE {table} SET is_active = 0, updated_at = $3 WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id.get())
    .bind(id)
    .bind(to_db(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
