//! Writes the `[incentives]` section of an org file inside `OrgRepo::apply`'s transaction.
//! Series are matched by code; file series the file no longer names are deactivated (codes
//! and redemptions refer to them); series created through the API are left alone unless
//! the file declares the same code, which then takes the series over.

use std::collections::HashMap;

use fidelis_domain::incentives::config::IncentivesConfig;
use fidelis_domain::incentives::SeriesRules;
use fidelis_domain::org::{EntityId, EntityKind, OrgId};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::series::{insert_series, put_promo_code, NewSeries};
use super::ManagedBy;
use crate::loyalty::apply::{from_json, to_json};
use crate::org::ApplySummary;
use crate::time::to_db;
use crate::{StoreError, Unit};

const ACTOR: &str = "org-file";

async fn entity_ids(
    tx: &mut Unit,
    org: OrgId,
    kind: EntityKind,
    codes: &[String],
) -> Result<Vec<EntityId>, StoreError> {
    let mut ids = Vec::new();
    for code in codes {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM entities WHERE org_id = $1 AND kind = $2 AND code = $3",
        )
        .bind(org.get())
        .bind(kind.as_str())
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
        ids.push(EntityId::new(id.ok_or_else(|| {
            StoreError::Corrupt(format!("{} {code} vanished", kind.as_str()))
        })?));
    }
    Ok(ids)
}

pub(crate) async fn apply_config(
    tx: &mut Unit,
    org: OrgId,
    config: &IncentivesConfig,
    tz: &TimeZone,
    now: Timestamp,
    summary: &mut ApplySummary,
) -> Result<(), StoreError> {
    let rows: Vec<(String, i64, String, i64, String)> = sqlx::query_as(
        "SELECT code, id, rules, is_active, managed_by FROM coupon_series WHERE org_id = $1",
    )
    .bind(org.get())
    .fetch_all(&mut **tx)
    .await?;
    let mut existing: HashMap<String, (i64, String, bool, bool)> = rows
        .into_iter()
        .map(|(code, id, rules, active, by)| (code, (id, rules, active != 0, by == "FILE")))
        .collect();
    let extra = fidelis_domain::incentives::KeptFields::default();
    for spec in &config.series {
        let stores = entity_ids(tx, org, EntityKind::Store, &spec.stores).await?;
        let concepts = entity_ids(tx, org, EntityKind::Concept, &spec.concepts).await?;
        let rules = spec.rules(tz, &stores, &concepts);
        let promo = Some(spec.code.as_str());
        match existing.remove(&spec.code) {
            Some((_, stored, true, true))
                if from_json::<SeriesRules>(&stored, "coupon series rules")
                    .ok()
                    .as_ref()
                    == Some(&rules) =>
            {
                summary.unchanged += 1;
            }
            Some((id, ..)) => {
                sqlx::query(
                    "UPDATE coupon_series SET kind = $3, rules = $4, is_active = 1, \
                     managed_by = 'FILE', updated_at = $5 WHERE org_id = $1 AND id = $2",
                )
                .bind(org.get())
                .bind(id)
                .bind(rules.kind.as_str())
                .bind(to_json(&rules)?)
                .bind(to_db(now))
                .execute(&mut **tx)
                .await?;
                if rules.kind == fidelis_domain::incentives::IncentiveKind::Promo {
                    let series = fidelis_domain::incentives::SeriesId::new(id);
                    put_promo_code(tx, org, series, &spec.code, ACTOR, now).await?;
                }
                summary.updated += 1;
            }
            None => {
                let new = NewSeries {
                    code: Some(&spec.code),
                    rules: &rules,
                    extra: &extra,
                    promo_code: promo,
                    actor: ACTOR,
                };
                insert_series(tx, org, &new, ManagedBy::File, now).await?;
                summary.created += 1;
            }
        }
    }
    for (id, _, active, file) in existing.into_values() {
        if active && file {
            sqlx::query(
                "UPDATE coupon_series SET is_active = 0, updated_at = $3 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org.get())
            .bind(id)
            .bind(to_db(now))
            .execute(&mut **tx)
            .await?;
            summary.deactivated += 1;
        }
    }
    Ok(())
}
