//! Codes: issuing coupons and gift vouchers (random codes, unique per org), and reads.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::incentives::{CouponId, IncentiveKind, IncentivesError, SeriesId};
use fidelis_domain::org::{EntityId, OrgId};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::series::{series_from_row, SeriesRow, SERIES_COLUMNS};
use super::{count, random_code, CouponRecord, IncentivesRepo, RedemptionRecord};
use crate::loyalty::fixed::{from_milli, to_milli};
use crate::time::{from_db, to_db};
use crate::{StoreError, Unit};

/// A random code collides with an existing one about never; a few tries make it certain.
const CODE_TRIES: usize = 8;

pub(super) type CouponRow = (
    i64,
    i64,
    String,
    String,
    Option<i64>,
    i64,
    Option<i64>,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

pub(super) const COUPON_COLUMNS: &str = "c.id, c.series_id, s.kind, c.code, c.customer_id, \
     c.issued_at, c.valid_till, c.redemptions, c.balance, c.issued_by, c.issued_store_id";

pub(super) fn coupon_from_row(r: CouponRow) -> Result<CouponRecord, StoreError> {
    Ok(CouponRecord {
        id: CouponId::new(r.0),
        series_id: SeriesId::new(r.1),
        kind: IncentiveKind::parse(&r.2)
            .ok_or_else(|| StoreError::Corrupt(format!("incentive kind {:?}", r.2)))?,
        code: r.3,
        customer_id: r.4.map(CustomerId::new),
        issued_at: from_db(r.5)?,
        valid_till: r.6.map(from_db).transpose()?,
        redemptions: r.7,
        balance: r.8.map(from_milli),
        issued_by: r.9,
        issued_store_id: r.10.map(EntityId::new),
    })
}

type RedemptionRow = (
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

pub(super) const REDEMPTION_COLUMNS: &str = "id, coupon_id, series_id, customer_id, \
     transaction_number, bill_amount, amount, redeemed_at, till_id, store_id, actor, reversed_at";

pub(super) fn redemption_from_row(r: RedemptionRow) -> Result<RedemptionRecord, StoreError> {
    Ok(RedemptionRecord {
        id: fidelis_domain::incentives::RedemptionId::new(r.0),
        coupon_id: CouponId::new(r.1),
        series_id: SeriesId::new(r.2),
        customer_id: r.3.map(CustomerId::new),
        transaction_number: r.4,
        bill_amount: from_milli(r.5),
        amount: from_milli(r.6),
        redeemed_at: from_db(r.7)?,
        till_id: r.8.map(EntityId::new),
        store_id: r.9.map(EntityId::new),
        actor: r.10,
        reversed_at: r.11.map(from_db).transpose()?,
    })
}

/// Who issues, where, and when.
#[derive(Debug, Clone)]
pub struct Issuer<'a> {
    pub actor: &'a str,
    pub store: Option<EntityId>,
    pub tz: &'a TimeZone,
    pub now: Timestamp,
}

/// Which codes to read; any of the lists may be empty.
#[derive(Debug, Clone, Default)]
pub struct CouponFilter {
    pub ids: Vec<CouponId>,
    pub codes: Vec<String>,
    pub customers: Vec<CustomerId>,
}

/// Locks a series row until the unit ends (on PostgreSQL; SQLite's writer excludes all).
pub(super) async fn lock_series(
    unit: &mut Unit,
    org: OrgId,
    id: SeriesId,
) -> Result<super::SeriesRecord, StoreError> {
    let lock = unit.backend().for_update();
    let row: Option<SeriesRow> = sqlx::query_as(&format!(
        "SELECT {SERIES_COLUMNS} FROM coupon_series s WHERE s.org_id = $1 AND s.id = $2{lock}"
    ))
    .bind(org.get())
    .bind(id.get())
    .fetch_optional(&mut **unit)
    .await?;
    series_from_row(row.ok_or(IncentivesError::SeriesNotFound)?)
}

impl IncentivesRepo<'_> {
    /// Issues one code of a series to a customer inside `unit`: the series row is locked,
    /// so the series' and the customer's limits hold under concurrency.
    pub async fn issue_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        series: SeriesId,
        customer: CustomerId,
        by: &Issuer<'_>,
    ) -> Result<CouponRecord, StoreError> {
        unit.begin_step().await?;
        let out = issue(unit, org, series, customer, by).await;
        unit.end_step(out).await
    }

    /// Issues one code in its own transaction.
    pub async fn issue(
        &self,
        org: OrgId,
        series: SeriesId,
        customer: CustomerId,
        by: &Issuer<'_>,
    ) -> Result<CouponRecord, StoreError> {
        let mut unit = self.0.unit().await?;
        let c = self.issue_in(&mut unit, org, series, customer, by).await?;
        unit.commit().await?;
        Ok(c)
    }

    /// A code of the org (case-insensitive), with its series.
    pub async fn coupon_by_code(
        &self,
        org: OrgId,
        code: &str,
    ) -> Result<Option<CouponRecord>, StoreError> {
        let row: Option<CouponRow> = sqlx::query_as(&format!(
            "SELECT {COUPON_COLUMNS} FROM coupons c JOIN coupon_series s \
             ON s.org_id = c.org_id AND s.id = c.series_id WHERE c.org_id = $1 AND c.code = $2"
        ))
        .bind(org.get())
        .bind(fidelis_domain::incentives::code::normalise(code))
        .fetch_optional(self.0.reader())
        .await?;
        row.map(coupon_from_row).transpose()
    }

    /// Codes by id, code or holder, newest first (at most 1000).
    pub async fn coupons(
        &self,
        org: OrgId,
        f: &CouponFilter,
    ) -> Result<Vec<CouponRecord>, StoreError> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut push = |rows: Vec<CouponRow>| -> Result<(), StoreError> {
            for r in rows {
                if seen.insert(r.0) {
                    out.push(coupon_from_row(r)?);
                }
            }
            Ok(())
        };
        let select = format!(
            "SELECT {COUPON_COLUMNS} FROM coupons c JOIN coupon_series s \
             ON s.org_id = c.org_id AND s.id = c.series_id WHERE c.org_id = $1"
        );
        for id in &f.ids {
            push(
                sqlx::query_as(&format!("{select} AND c.id = $2"))
                    .bind(org.get())
                    .bind(id.get())
                    .fetch_all(self.0.reader())
                    .await?,
            )?;
        }
        for code in &f.codes {
            push(
                sqlx::query_as(&format!("{select} AND c.code = $2"))
                    .bind(org.get())
                    .bind(fidelis_domain::incentives::code::normalise(code))
                    .fetch_all(self.0.reader())
                    .await?,
            )?;
        }
        for customer in &f.customers {
            push(
                sqlx::query_as(&format!(
                    "{select} AND c.customer_id = $2 ORDER BY c.id DESC LIMIT 1000"
                ))
                .bind(org.get())
                .bind(customer.get())
                .fetch_all(self.0.reader())
                .await?,
            )?;
        }
        Ok(out)
    }

    /// A code's redemptions, oldest first.
    pub async fn redemptions(
        &self,
        org: OrgId,
        coupon: CouponId,
    ) -> Result<Vec<RedemptionRecord>, StoreError> {
        let rows: Vec<RedemptionRow> = sqlx::query_as(&format!(
            "SELECT {REDEMPTION_COLUMNS} FROM coupon_redemptions \
             WHERE org_id = $1 AND coupon_id = $2 ORDER BY id"
        ))
        .bind(org.get())
        .bind(coupon.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter().map(redemption_from_row).collect()
    }
}

async fn issue(
    unit: &mut Unit,
    org: OrgId,
    series_id: SeriesId,
    customer: CustomerId,
    by: &Issuer<'_>,
) -> Result<CouponRecord, StoreError> {
    let series = lock_series(unit, org, series_id).await?;
    let held: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM coupons WHERE org_id = $1 AND series_id = $2 AND customer_id = $3",
    )
    .bind(org.get())
    .bind(series_id.get())
    .bind(customer.get())
    .fetch_one(&mut **unit)
    .await?;
    let rules = &series.rules;
    rules.check_issue(
        series.is_active,
        by.now,
        count(series.num_issued),
        count(held),
    )?;
    let valid_till = rules.code_valid_till(by.now, by.tz);
    let balance = match rules.kind {
        IncentiveKind::GiftVoucher => Some(to_milli(rules.discount_value)?),
        _ => None,
    };
    for _ in 0..CODE_TRIES {
        let code = random_code(rules.code_length);
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO coupons (org_id, series_id, code, customer_id, issued_at, valid_till, \
             balance, issued_by, issued_store_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (org_id, code) DO NOTHING RETURNING id",
        )
        .bind(org.get())
        .bind(series_id.get())
        .bind(&code)
        .bind(customer.get())
        .bind(to_db(by.now))
        .bind(valid_till.map(to_db))
        .bind(balance)
        .bind(by.actor)
        .bind(by.store.map(EntityId::get))
        .fetch_optional(&mut **unit)
        .await?;
        let Some(id) = id else { continue };
        sqlx::query(
            "UPDATE coupon_series SET num_issued = num_issued + 1 WHERE org_id = $1 AND id = $2",
        )
        .bind(org.get())
        .bind(series_id.get())
        .execute(&mut **unit)
        .await?;
        return Ok(CouponRecord {
            id: CouponId::new(id),
            series_id,
            kind: rules.kind,
            code,
            customer_id: Some(customer),
            issued_at: by.now,
            valid_till,
            redemptions: 0,
            balance: balance.map(from_milli),
            issued_by: Some(by.actor.to_string()),
            issued_store_id: by.store,
        });
    }
    Err(StoreError::Corrupt(
        "no free coupon code after several random draws".into(),
    ))
}
