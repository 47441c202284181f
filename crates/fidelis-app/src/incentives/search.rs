//! Incentives search: any code of the org, whatever its kind, with what a Member Care
//! agent needs to diagnose it. An unknown code (or another org's) is simply not found.

use fidelis_domain::incentives::redeem::{code_status, redemptions_left, CodeStatus, Usage};
use fidelis_store::incentives::{CouponFilter, CouponRecord, RedemptionRecord, SeriesRecord};

use super::{Ctx, Incentives, MAX_ITEMS};
use crate::loyalty::Customer;
use crate::AppError;

/// A code found by search.
#[derive(Debug, Clone)]
pub struct Found {
    pub coupon: CouponRecord,
    pub series: SeriesRecord,
    pub status: CodeStatus,
    /// `None`: unlimited.
    pub redemptions_left: Option<u32>,
    pub holder: Option<Customer>,
    pub redemptions: Vec<RedemptionRecord>,
}

impl Incentives<'_> {
    /// The code of the org, or `None`.
    pub async fn search(&self, ctx: &Ctx, code: &str) -> Result<Option<Found>, AppError> {
        let repo = self.app.db.incentives();
        let Some(coupon) = repo.coupon_by_code(ctx.org.id, code).await? else {
            return Ok(None);
        };
        let series = repo.series(ctx.org.id, coupon.series_id).await?;
        let redemptions = repo.redemptions(ctx.org.id, coupon.id).await?;
        let holder = match coupon.customer_id {
            Some(id) => {
                let lctx = self.app.loyalty().context(&ctx.caller).await?;
                Some(self.app.loyalty().customer_by_id(&lctx, id).await?)
            }
            None => None,
        };
        let live = |r: &&RedemptionRecord| r.reversed_at.is_none();
        let by_holder = u32::try_from(
            redemptions
                .iter()
                .filter(live)
                .filter(|r| r.customer_id.is_some() && r.customer_id == coupon.customer_id)
                .count(),
        )
        .unwrap_or(u32::MAX);
        let usage = Usage {
            series_active: series.is_active,
            series_redeemed: u32::try_from(series.num_redeemed).unwrap_or(0),
            code_by_customer: by_holder,
            series_by_customer: by_holder,
        };
        let state = coupon.state();
        Ok(Some(Found {
            status: code_status(&series.rules, &state, &usage, self.app.now()),
            redemptions_left: redemptions_left(&series.rules, &state, &usage),
            coupon,
            series,
            holder,
            redemptions,
        }))
    }

    /// Codes with their series, by id, code or holder.
    pub async fn coupons(
        &self,
        ctx: &Ctx,
        filter: &CouponFilter,
    ) -> Result<Vec<(CouponRecord, SeriesRecord)>, AppError> {
        let n = filter.ids.len() + filter.codes.len() + filter.customers.len();
        if n == 0 {
            return Err(fidelis_domain::incentives::IncentivesError::InvalidInput(
                "give issuedToIds, couponIds or couponCodes".into(),
            )
            .into());
        }
        if n > MAX_ITEMS {
            return Err(fidelis_domain::incentives::IncentivesError::TooMany(MAX_ITEMS).into());
        }
        let repo = self.app.db.incentives();
        let mut out = Vec::new();
        let mut series: std::collections::HashMap<i64, SeriesRecord> = Default::default();
        for c in repo.coupons(ctx.org.id, filter).await? {
            let s = match series.get(&c.series_id.get()) {
                Some(s) => s.clone(),
                None => {
                    let s = repo.series(ctx.org.id, c.series_id).await?;
                    series.insert(c.series_id.get(), s.clone());
                    s
                }
            };
            out.push((c, s));
        }
        Ok(out)
    }
}
