//! Redemptions and their reversal (reactivation), under the series' and the code's locks.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::incentives::redeem::{check, Ask, CodeState, Usage};
use fidelis_domain::incentives::{IncentivesError, RedemptionId, SeriesId};
use fidelis_domain::org::{EntityId, OrgId};
use jiff::Timestamp;

use super::codes::{coupon_from_row, lock_series, CouponRow, COUPON_COLUMNS};
use super::{count, CouponRecord, IncentivesRepo, RedemptionRecord, SeriesRecord};
use crate::loyalty::fixed::to_milli;
use crate::time::to_db;
use crate::{StoreError, Unit};

/// One redemption to record.
#[derive(Debug, Clone)]
pub struct NewRedemption {
    pub code: String,
    pub ask: Ask,
    pub transaction_number: Option<String>,
    pub till_id: Option<EntityId>,
    pub actor: String,
    pub now: Timestamp,
}

/// A redemption made, with the code after it and its series.
#[derive(Debug, Clone)]
pub struct Redeemed {
    pub redemption: RedemptionRecord,
    pub coupon: CouponRecord,
    pub series: SeriesRecord,
}

impl CouponRecord {
    /// The code's state as the redemption rules read it.
    pub fn state(&self) -> CodeState {
        CodeState {
            issued_at: self.issued_at,
            customer: self.customer_id,
            valid_till: self.valid_till,
            redemptions: count(self.redemptions),
            balance: self.balance,
        }
    }
}

async fn usage_in(
    conn: &mut sqlx::AnyConnection,
    org: OrgId,
    series: &SeriesRecord,
    coupon: &CouponRecord,
    customer: CustomerId,
) -> Result<Usage, StoreError> {
    let (by_code, by_series): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN coupon_id = $3 THEN 1 ELSE 0 END), 0), COUNT(*) \
         FROM coupon_redemptions WHERE org_id = $1 AND series_id = $2 AND customer_id = $4 \
         AND reversed_at IS NULL",
    )
    .bind(org.get())
    .bind(series.id.get())
    .bind(coupon.id.get())
    .bind(customer.get())
    .fetch_one(conn)
    .await?;
    Ok(Usage {
        series_active: series.is_active,
        series_redeemed: count(series.num_redeemed),
        code_by_customer: count(by_code),
        series_by_customer: count(by_series),
    })
}

/// The code's series id (immutable, so read without a lock), then both rows locked in the
/// order series → code.
async fn lock_code(
    unit: &mut Unit,
    org: OrgId,
    code: &str,
) -> Result<(SeriesRecord, CouponRecord), StoreError> {
    let code = fidelis_domain::incentives::code::normalise(code);
    let series: Option<i64> =
        sqlx::query_scalar("SELECT series_id FROM coupons WHERE org_id = $1 AND code = $2")
            .bind(org.get())
            .bind(&code)
            .fetch_optional(&mut **unit)
            .await?;
    let series = lock_series(
        unit,
        org,
        SeriesId::new(series.ok_or(IncentivesError::InvalidCode)?),
    )
    .await?;
    let lock = unit.backend().for_update();
    let row: Option<CouponRow> = sqlx::query_as(&format!(
        "SELECT {COUPON_COLUMNS} FROM coupons c JOIN coupon_series s \
         ON s.org_id = c.org_id AND s.id = c.series_id \
         WHERE c.org_id = $1 AND c.code = $2{}",
        // PostgreSQL locks only the code's row, not the joined series row again.
        if lock.is_empty() {
            ""
        } else {
            " FOR UPDATE OF c"
        }
    ))
    .bind(org.get())
    .bind(&code)
    .fetch_optional(&mut **unit)
    .await?;
    Ok((
        series,
        coupon_from_row(row.ok_or(IncentivesError::InvalidCode)?)?,
    ))
}

impl IncentivesRepo<'_> {
    /// Redeems one code inside `unit`, as one step: a refusal writes nothing.
    pub async fn redeem_in(
        &self,
        unit: &mut Unit,
        org: OrgId,
        r: &NewRedemption,
    ) -> Result<Redeemed, StoreError> {
        unit.begin_step().await?;
        let out = redeem(unit, org, r).await;
        unit.end_step(out).await
    }

    /// Whether a customer could redeem a code now, and how often still (a read: the answer
    /// may change before a redemption, which decides under locks).
    pub async fn redeemability(
        &self,
        org: OrgId,
        code: &str,
        ask: &Ask,
    ) -> Result<
        (
            SeriesRecord,
            CouponRecord,
            Usage,
            Result<(), IncentivesError>,
        ),
        StoreError,
    > {
        let coupon = self
            .coupon_by_code(org, code)
            .await?
            .ok_or(IncentivesError::InvalidCode)?;
        let series = self.series(org, coupon.series_id).await?;
        let mut conn = self.0.reader().acquire().await?;
        let usage = usage_in(&mut conn, org, &series, &coupon, ask.customer).await?;
        let verdict = check(&series.rules, &coupon.state(), &usage, ask).map(|_| ());
        Ok((series, coupon, usage, verdict))
    }

    /// Usage counts of a code by one customer (for reads).
    pub async fn usage(
        &self,
        org: OrgId,
        series: &SeriesRecord,
        coupon: &CouponRecord,
        customer: CustomerId,
    ) -> Result<Usage, StoreError> {
        let mut conn = self.0.reader().acquire().await?;
        usage_in(&mut conn, org, series, coupon, customer).await
    }

    /// Reverses redemptions: each code gets its use (and a voucher its amount) back. All or
    /// nothing: an unknown or already reversed id refuses the whole request.
    pub async fn reactivate(
        &self,
        org: OrgId,
        ids: &[RedemptionId],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut unit = self.0.unit().await?;
        for id in ids {
            let row: Option<(i64, i64, i64, Option<i64>)> = sqlx::query_as(
                "SELECT series_id, coupon_id, amount, reversed_at FROM coupon_redemptions \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org.get())
            .bind(id.get())
            .fetch_optional(&mut *unit)
            .await?;
            let (series, coupon, amount, _) =
                row.ok_or(IncentivesError::RedemptionNotFound(id.get()))?;
            lock_series(&mut unit, org, SeriesId::new(series)).await?;
            let done = sqlx::query(
                "UPDATE coupon_redemptions SET reversed_at = $3 \
                 WHERE org_id = $1 AND id = $2 AND reversed_at IS NULL",
            )
            .bind(org.get())
            .bind(id.get())
            .bind(to_db(now))
            .execute(&mut *unit)
            .await?;
            if done.rows_affected() == 0 {
                return Err(IncentivesError::AlreadyReactivated(id.get()).into());
            }
            sqlx::query(
                "UPDATE coupons SET redemptions = redemptions - 1, \
                 balance = CASE WHEN balance IS NULL THEN NULL ELSE balance + $3 END \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org.get())
            .bind(coupon)
            .bind(amount)
            .execute(&mut *unit)
            .await?;
            sqlx::query(
                "UPDATE coupon_series SET num_redeemed = num_redeemed - 1 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org.get())
            .bind(series)
            .execute(&mut *unit)
            .await?;
        }
        unit.commit().await
    }
}

async fn redeem(unit: &mut Unit, org: OrgId, r: &NewRedemption) -> Result<Redeemed, StoreError> {
    let (series, mut coupon) = lock_code(unit, org, &r.code).await?;
    let usage = usage_in(unit, org, &series, &coupon, r.ask.customer).await?;
    let granted = check(&series.rules, &coupon.state(), &usage, &r.ask)?;
    let amount = to_milli(granted.amount)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO coupon_redemptions (org_id, coupon_id, series_id, customer_id, \
         transaction_number, bill_amount, amount, redeemed_at, recorded_at, till_id, store_id, \
         actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(org.get())
    .bind(coupon.id.get())
    .bind(series.id.get())
    .bind(r.ask.customer.get())
    .bind(r.transaction_number.as_deref())
    .bind(to_milli(r.ask.bill_amount)?)
    .bind(amount)
    .bind(to_db(r.ask.at))
    .bind(to_db(r.now))
    .bind(r.till_id.map(EntityId::get))
    .bind(r.ask.place.store.map(EntityId::get))
    .bind(&r.actor)
    .fetch_one(&mut **unit)
    .await?;
    sqlx::query(
        "UPDATE coupons SET redemptions = redemptions + 1, \
         balance = CASE WHEN balance IS NULL THEN NULL ELSE balance - $3 END \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org.get())
    .bind(coupon.id.get())
    .bind(amount)
    .execute(&mut **unit)
    .await?;
    sqlx::query(
        "UPDATE coupon_series SET num_redeemed = num_redeemed + 1 WHERE org_id = $1 AND id = $2",
    )
    .bind(org.get())
    .bind(series.id.get())
    .execute(&mut **unit)
    .await?;
    coupon.redemptions += 1;
    coupon.balance = coupon.balance.map(|b| b - granted.amount);
    let redemption = RedemptionRecord {
        id: RedemptionId::new(id),
        coupon_id: coupon.id,
        series_id: series.id,
        customer_id: Some(r.ask.customer),
        transaction_number: r.transaction_number.clone(),
        bill_amount: r.ask.bill_amount,
        amount: granted.amount,
        redeemed_at: r.ask.at,
        till_id: r.till_id,
        store_id: r.ask.place.store,
        actor: Some(r.actor.clone()),
        reversed_at: None,
    };
    Ok(Redeemed {
        redemption,
        coupon,
        series,
    })
}
