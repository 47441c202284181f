//! Goodwill requests: filed by an agent or integration (maker), approved or rejected by a
//! checker, auto-approved within the org's limits; approved points are credited once per
//! reference id.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::incentives::SeriesId;
use fidelis_domain::loyalty::goodwill::{
    check_reference_id, check_request_type, GoodwillBaseType, GoodwillRequest, GoodwillStatus,
};
use fidelis_domain::loyalty::{LoyaltyError, ProgramId};
use fidelis_store::incentives::Issuer;
use fidelis_store::loyalty::{GoodwillRecord, NewGoodwill};
use fidelis_store::Unit;
use rust_decimal::Decimal;

use super::{Ctx, Customer, Loyalty, V1Identifiers};
use crate::AppError;

/// One goodwill request as sent.
#[derive(Debug, Clone, Default)]
pub struct GoodwillInput {
    /// `GOODWILL` (the only request type).
    pub kind: Option<String>,
    /// `POINTS` or `COUPON`.
    pub base_type: Option<String>,
    pub customer: V1Identifiers,
    pub program_id: Option<ProgramId>,
    pub points: Option<Decimal>,
    pub coupon_series_id: Option<String>,
    pub reference_id: Option<String>,
    pub reason: Option<String>,
    pub comments: Option<String>,
    /// The client asks for approval without a checker (within the org's limits).
    pub auto_approve: Option<bool>,
}

/// The request `input` describes, checked (9006 type, 9008 base type, reference id), for
/// no customer yet (customer id 0: a group's request, or one the caller fills in).
pub(crate) fn new_goodwill(ctx: &Ctx, input: &GoodwillInput) -> Result<NewGoodwill, AppError> {
    check_request_type(input.kind.as_deref().unwrap_or(""))?;
    if let Some(r) = &input.reference_id {
        check_reference_id(r)?;
    }
    let base_type = GoodwillBaseType::parse(input.base_type.as_deref().unwrap_or(""))?;
    let coupon_series_id = match &input.coupon_series_id {
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| LoyaltyError::InvalidInput(format!("Invalid series_id {s}")))?,
        ),
        None => None,
    };
    Ok(NewGoodwill {
        customer_id: CustomerId::new(0),
        program_id: input.program_id,
        reference_id: input.reference_id.clone(),
        request: GoodwillRequest {
            base_type,
            points: input.points,
            coupon_series_id,
            reason: input.reason.clone().unwrap_or_default(),
            comments: input.comments.clone(),
            client_auto_approve: input.auto_approve,
        },
        maker: ctx.user(),
    })
}

impl Loyalty<'_> {
    /// The customer of a goodwill request: 9019 when none is named, 9011 when nobody has the
    /// identifier; a failure to look is an error of ours, not the caller's.
    async fn requester(&self, ctx: &Ctx, ids: &V1Identifiers) -> Result<Customer, AppError> {
        match self.find_v1_customer(ctx, ids).await {
            Ok(c) => Ok(c),
            Err(AppError::Loyalty(LoyaltyError::NoCustomerIdentifier)) => {
                Err(LoyaltyError::GoodwillNoIdentifier.into())
            }
            Err(AppError::Customers(_)) => Err(LoyaltyError::GoodwillCustomerNotRegistered.into()),
            Err(e) => Err(e),
        }
    }

    /// Files one goodwill request. An auto-approved COUPON request issues its coupon in
    /// the same transaction.
    pub async fn submit_goodwill(
        &self,
        ctx: &Ctx,
        input: &GoodwillInput,
    ) -> Result<GoodwillRecord, AppError> {
        // Looked up before the unit opens: on SQLite the unit holds the only writer.
        let g = self.checked_goodwill(ctx, input).await?;
        let mut unit = self.app.db.unit().await?;
        let r = self.file_goodwill_in(&mut unit, ctx, &g).await?;
        unit.commit().await?;
        Ok(r)
    }

    /// `submit_goodwill` inside `unit` (a dataflow row's request commits with its key):
    /// refused, it writes nothing and the unit stays usable.
    pub async fn submit_goodwill_in(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        input: &GoodwillInput,
    ) -> Result<GoodwillRecord, AppError> {
        let g = self.checked_goodwill(ctx, input).await?;
        self.file_goodwill_in(unit, ctx, &g).await
    }

    /// The request `input` asks for, for its customer, checked.
    async fn checked_goodwill(
        &self,
        ctx: &Ctx,
        input: &GoodwillInput,
    ) -> Result<NewGoodwill, AppError> {
        let mut g = new_goodwill(ctx, input)?;
        let customer = self.requester(ctx, &input.customer).await?;
        g.customer_id = customer.id;
        // A card names its linked program unless the request names one.
        g.program_id = g.program_id.or(customer.card_program);
        if let Some(series) = g.request.coupon_series_id {
            // An unknown series is refused now, not when a checker approves.
            self.app
                .db
                .incentives()
                .series(ctx.loyalty.org.id, SeriesId::new(series))
                .await?;
        }
        Ok(g)
    }

    /// Files a checked request for its customer in `unit`, issuing an auto-approved coupon.
    async fn file_goodwill_in(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        g: &NewGoodwill,
    ) -> Result<GoodwillRecord, AppError> {
        let now = self.app.now();
        let r = self
            .app
            .db
            .loyalty()
            .submit_goodwill_in(unit, &ctx.loyalty, g, g.customer_id.into(), now)
            .await?;
        self.issue_goodwill_coupon(unit, ctx, r).await
    }

    /// Approves or rejects one request (`kind` defaults to `GOODWILL`). An approved COUPON
    /// request issues its coupon in the same transaction.
    pub async fn decide_goodwill(
        &self,
        ctx: &Ctx,
        kind: Option<&str>,
        id: Option<&str>,
        approve: bool,
    ) -> Result<GoodwillRecord, AppError> {
        check_request_type(kind.unwrap_or("GOODWILL"))?;
        let id = id
            .and_then(|s| s.trim().parse::<i64>().ok())
            .ok_or(LoyaltyError::RequestNotFound)?;
        let mut unit = self.app.db.unit().await?;
        let r = self
            .app
            .db
            .loyalty()
            .decide_goodwill_in(
                &mut unit,
                &ctx.loyalty,
                id,
                &ctx.user(),
                approve,
                self.app.now(),
            )
            .await?;
        let r = self.issue_goodwill_coupon(&mut unit, ctx, r).await?;
        unit.commit().await?;
        Ok(r)
    }

    /// Issues the coupon of an approved COUPON request that has none yet, inside `unit`: a
    /// series that cannot issue (707, 722) refuses the approval.
    async fn issue_goodwill_coupon(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        mut r: GoodwillRecord,
    ) -> Result<GoodwillRecord, AppError> {
        let (GoodwillStatus::Approved, GoodwillBaseType::Coupon, Some(series), None) =
            (r.status, r.base_type, r.coupon_series_id, &r.coupon_code)
        else {
            return Ok(r);
        };
        let Some(customer) = r.earner.customer() else {
            return Err(LoyaltyError::InvalidBaseType("COUPON for a group".into()).into());
        };
        let org = &ctx.loyalty.org;
        let by = Issuer {
            actor: r.checker.as_deref().unwrap_or(&r.maker),
            store: ctx.caller.store_id,
            tz: &org.time_zone,
            now: self.app.now(),
        };
        let coupon = self
            .app
            .db
            .incentives()
            .issue_in(unit, org.id, SeriesId::new(series), customer, &by)
            .await?;
        self.app
            .db
            .loyalty()
            .link_goodwill_coupon_in(unit, org.id, r.id, coupon.id.get())
            .await?;
        r.coupon_code = Some(coupon.code);
        Ok(r)
    }

    /// A customer's goodwill requests, newest first.
    pub async fn goodwill_requests(
        &self,
        ctx: &Ctx,
        customer_id: CustomerId,
    ) -> Result<Vec<GoodwillRecord>, AppError> {
        Ok(self
            .app
            .db
            .loyalty()
            .goodwill_requests(ctx.loyalty.org.id, customer_id)
            .await?)
    }
}
