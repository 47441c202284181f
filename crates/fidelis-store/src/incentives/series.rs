//! Coupon series: create, update, read.

use fidelis_domain::incentives::{
    IncentiveKind, IncentivesError, KeptFields, SeriesId, SeriesRules,
};
use fidelis_domain::org::OrgId;
use jiff::Timestamp;

use super::{random_code, IncentivesRepo, ManagedBy, SeriesRecord};
use crate::loyalty::apply::{from_json, to_json};
use crate::time::{from_db, to_db};
use crate::{StoreError, Unit};

pub(super) type SeriesRow = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<String>,
    i64,
    i64,
    Option<String>,
);

pub(super) const SERIES_COLUMNS: &str = "s.id, s.code, s.rules, s.extra, s.is_active, \
     s.num_issued, s.num_redeemed, s.created_by, s.created_at, s.updated_at, \
     (SELECT c.code FROM coupons c WHERE c.org_id = s.org_id AND c.series_id = s.id \
      AND s.kind = 'PROMO' AND c.customer_id IS NULL ORDER BY c.id LIMIT 1)";

pub(super) fn series_from_row(r: SeriesRow) -> Result<SeriesRecord, StoreError> {
    Ok(SeriesRecord {
        id: SeriesId::new(r.0),
        code: r.1,
        rules: from_json(&r.2, "coupon series rules")?,
        extra: from_json(&r.3, "coupon series fields")?,
        is_active: r.4 != 0,
        num_issued: r.5,
        num_redeemed: r.6,
        created_by: r.7,
        created_at: from_db(r.8)?,
        updated_at: from_db(r.9)?,
        promo_code: r.10,
    })
}

/// A new series.
#[derive(Debug, Clone)]
pub struct NewSeries<'a> {
    /// The series code; generated when `None`.
    pub code: Option<&'a str>,
    pub rules: &'a SeriesRules,
    pub extra: &'a KeptFields,
    /// A promo series' public code.
    pub promo_code: Option<&'a str>,
    pub actor: &'a str,
}

/// Writes a series row and, for a promo series, its one public code.
pub(super) async fn insert_series(
    unit: &mut Unit,
    org: OrgId,
    s: &NewSeries<'_>,
    managed_by: ManagedBy,
    now: Timestamp,
) -> Result<SeriesId, StoreError> {
    let code = match s.code {
        Some(c) => c.to_string(),
        None => random_code(20),
    };
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO coupon_series (org_id, code, kind, rules, extra, managed_by, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (org_id, code) DO NOTHING RETURNING id",
    )
    .bind(org.get())
    .bind(&code)
    .bind(s.rules.kind.as_str())
    .bind(to_json(s.rules)?)
    .bind(to_json(s.extra)?)
    .bind(managed_by.as_str())
    .bind(s.actor)
    .bind(to_db(now))
    .fetch_optional(&mut **unit)
    .await?;
    let id = SeriesId::new(id.ok_or(IncentivesError::SeriesCodeExists(code))?);
    if s.rules.kind == IncentiveKind::Promo {
        let promo = s.promo_code.ok_or_else(|| {
            IncentivesError::InvalidSeries("a promo series needs its code".into())
        })?;
        put_promo_code(unit, org, id, promo, s.actor, now).await?;
    }
    Ok(id)
}

/// Gives a promo series its public code (once; 400 when another series holds the code).
pub(super) async fn put_promo_code(
    unit: &mut Unit,
    org: OrgId,
    series: SeriesId,
    code: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO coupons (org_id, series_id, code, customer_id, issued_at, issued_by) \
         VALUES ($1, $2, $3, NULL, $4, $5) ON CONFLICT (org_id, code) DO NOTHING",
    )
    .bind(org.get())
    .bind(series.get())
    .bind(code)
    .bind(to_db(now))
    .bind(actor)
    .execute(&mut **unit)
    .await?;
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT series_id FROM coupons WHERE org_id = $1 AND code = $2")
            .bind(org.get())
            .bind(code)
            .fetch_optional(&mut **unit)
            .await?;
    if owner != Some(series.get()) {
        return Err(IncentivesError::CodeTaken(code.to_string()).into());
    }
    Ok(())
}

impl IncentivesRepo<'_> {
    /// Creates a series through the API (400 when its code or promo code is taken).
    pub async fn create_series(
        &self,
        org: OrgId,
        s: &NewSeries<'_>,
        now: Timestamp,
    ) -> Result<SeriesRecord, StoreError> {
        let mut unit = self.0.unit().await?;
        let id = insert_series(&mut unit, org, s, ManagedBy::Api, now).await?;
        unit.commit().await?;
        self.series(org, id).await
    }

    /// Replaces a series' rules and kept fields (its kind and code stay).
    pub async fn update_series(
        &self,
        org: OrgId,
        id: SeriesId,
        rules: &SeriesRules,
        extra: &KeptFields,
        active: bool,
        now: Timestamp,
    ) -> Result<SeriesRecord, StoreError> {
        let mut unit = self.0.unit().await?;
        let done = sqlx::query(
            "UPDATE coupon_series SET rules = $3, extra = $4, is_active = $5, updated_at = $6 \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org.get())
        .bind(id.get())
        .bind(to_json(rules)?)
        .bind(to_json(extra)?)
        .bind(i64::from(active))
        .bind(to_db(now))
        .execute(&mut *unit)
        .await?;
        if done.rows_affected() == 0 {
            return Err(IncentivesError::SeriesNotFound.into());
        }
        unit.commit().await?;
        self.series(org, id).await
    }

    /// A series (707 when the org has none of that id).
    pub async fn series(&self, org: OrgId, id: SeriesId) -> Result<SeriesRecord, StoreError> {
        let row: Option<SeriesRow> = sqlx::query_as(&format!(
            "SELECT {SERIES_COLUMNS} FROM coupon_series s WHERE s.org_id = $1 AND s.id = $2"
        ))
        .bind(org.get())
        .bind(id.get())
        .fetch_optional(self.0.reader())
        .await?;
        series_from_row(row.ok_or(IncentivesError::SeriesNotFound)?)
    }

    /// Every series of the org, oldest first.
    pub async fn all_series(&self, org: OrgId) -> Result<Vec<SeriesRecord>, StoreError> {
        let rows: Vec<SeriesRow> = sqlx::query_as(&format!(
            "SELECT {SERIES_COLUMNS} FROM coupon_series s WHERE s.org_id = $1 ORDER BY s.id"
        ))
        .bind(org.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter().map(series_from_row).collect()
    }
}
