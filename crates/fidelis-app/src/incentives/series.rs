//! Series and issuing.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::incentives::{
    IncentiveKind, IncentivesError, KeptFields, SeriesId, SeriesRules,
};
use fidelis_store::incentives::{CouponRecord, Issuer, NewSeries, SeriesRecord};

use super::{Ctx, Incentives, Who, MAX_ITEMS};
use crate::loyalty::Customer;
use crate::AppError;

/// A series to create: its rules and the fields kept as sent.
#[derive(Debug, Clone)]
pub struct SeriesInput {
    pub rules: SeriesRules,
    pub extra: KeptFields,
    /// A promo series' public code (`genericCode`).
    pub promo_code: Option<String>,
    pub active: bool,
}

impl Incentives<'_> {
    pub async fn create_series(
        &self,
        ctx: &Ctx,
        input: &SeriesInput,
    ) -> Result<SeriesRecord, AppError> {
        input.rules.validate()?;
        let promo = input
            .promo_code
            .as_deref()
            .map(fidelis_domain::incentives::code::normalise);
        match (input.rules.kind, &promo) {
            (IncentiveKind::Promo, None) => {
                return Err(IncentivesError::InvalidSeries(
                    "a PROMO series needs its public code in genericCode".into(),
                )
                .into())
            }
            (IncentiveKind::Promo, Some(c))
                if !fidelis_domain::incentives::code::valid_public_code(c) =>
            {
                return Err(IncentivesError::InvalidSeries(
                    "genericCode must be 3-40 letters, digits, '-' or '_'".into(),
                )
                .into())
            }
            _ => {}
        }
        let actor = ctx.caller.name();
        let new = NewSeries {
            code: None,
            rules: &input.rules,
            extra: &input.extra,
            promo_code: promo.as_deref(),
            actor: &actor,
        };
        let repo = self.app.db.incentives();
        let s = repo.create_series(ctx.org.id, &new, self.app.now()).await?;
        if input.active {
            Ok(s)
        } else {
            Ok(repo
                .update_series(ctx.org.id, s.id, &s.rules, &s.extra, false, self.app.now())
                .await?)
        }
    }

    /// Replaces a series' rules (its kind stays what it was created as).
    pub async fn update_series(
        &self,
        ctx: &Ctx,
        id: SeriesId,
        input: &SeriesInput,
    ) -> Result<SeriesRecord, AppError> {
        let current = self.series(ctx, id).await?;
        let mut rules = input.rules.clone();
        rules.kind = current.rules.kind;
        rules.validate()?;
        Ok(self
            .app
            .db
            .incentives()
            .update_series(
                ctx.org.id,
                id,
                &rules,
                &input.extra,
                input.active,
                self.app.now(),
            )
            .await?)
    }

    /// A series (707 when the org has none).
    pub async fn series(&self, ctx: &Ctx, id: SeriesId) -> Result<SeriesRecord, AppError> {
        Ok(self.app.db.incentives().series(ctx.org.id, id).await?)
    }

    /// Series by id; every series of the org when `ids` is empty.
    pub async fn series_list(
        &self,
        ctx: &Ctx,
        ids: &[SeriesId],
    ) -> Result<Vec<SeriesRecord>, AppError> {
        if ids.len() > MAX_ITEMS {
            return Err(IncentivesError::TooMany(MAX_ITEMS).into());
        }
        let repo = self.app.db.incentives();
        if ids.is_empty() {
            return Ok(repo.all_series(ctx.org.id).await?);
        }
        let mut out = Vec::new();
        for id in ids {
            out.push(repo.series(ctx.org.id, *id).await?);
        }
        Ok(out)
    }

    fn issuer<'c>(&self, ctx: &'c Ctx, actor: &'c str) -> Issuer<'c> {
        Issuer {
            actor,
            store: ctx.place.store,
            tz: ctx.tz(),
            now: self.app.now(),
        }
    }

    /// Issues one code of a series to the customer a request names.
    pub async fn issue(
        &self,
        ctx: &Ctx,
        series: SeriesId,
        who: &Who,
    ) -> Result<(Customer, CouponRecord, SeriesRecord), AppError> {
        let customer = self.customer(ctx, who).await?;
        let coupon = self.issue_to(ctx, series, customer.id).await?;
        let s = self.series(ctx, series).await?;
        Ok((customer, coupon, s))
    }

    /// Issues one code of a series to a customer known by id.
    pub async fn issue_to(
        &self,
        ctx: &Ctx,
        series: SeriesId,
        customer: CustomerId,
    ) -> Result<CouponRecord, AppError> {
        let actor = ctx.caller.name();
        Ok(self
            .app
            .db
            .incentives()
            .issue(ctx.org.id, series, customer, &self.issuer(ctx, &actor))
            .await?)
    }

    /// Issues one code of each series to one customer; each series succeeds or fails on
    /// its own.
    pub async fn issue_bulk(
        &self,
        ctx: &Ctx,
        series: &[SeriesId],
        who: &Who,
    ) -> Result<
        (
            Customer,
            Vec<(SeriesId, Result<(CouponRecord, SeriesRecord), AppError>)>,
        ),
        AppError,
    > {
        if series.is_empty() || series.len() > MAX_ITEMS {
            return Err(IncentivesError::TooMany(MAX_ITEMS).into());
        }
        let customer = self.customer(ctx, who).await?;
        let mut out = Vec::new();
        for id in series {
            let one = match self.issue_to(ctx, *id, customer.id).await {
                Ok(c) => self.series(ctx, *id).await.map(|s| (c, s)),
                Err(e) => Err(e),
            };
            match one {
                Err(e) if e.is_internal() => return Err(e),
                other => out.push((*id, other)),
            }
        }
        Ok((customer, out))
    }
}

impl Incentives<'_> {
    /// Refuses restrictions naming units the org does not have (or of another kind).
    pub async fn check_places(
        &self,
        ctx: &Ctx,
        places: &[(
            fidelis_domain::org::EntityKind,
            fidelis_domain::org::EntityId,
        )],
    ) -> Result<(), AppError> {
        for (kind, id) in places {
            let e = self.app.db.orgs().entity(ctx.org.id, *id).await?;
            if e.is_none_or(|e| e.kind != *kind) {
                return Err(IncentivesError::InvalidSeries(format!(
                    "no {} with id {id} in this org",
                    kind.as_str()
                ))
                .into());
            }
        }
        Ok(())
    }
}
