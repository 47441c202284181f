//! Redemption: all codes of a request at once, or each on its own (bulk); whether codes
//! are redeemable; reactivation.

use fidelis_domain::customers::CustomerStatus;
use fidelis_domain::incentives::redeem::{redemption_instant, redemptions_left, Ask, Usage};
use fidelis_domain::incentives::{IncentivesError, RedemptionId};
use fidelis_store::incentives::{CouponRecord, NewRedemption, Redeemed, SeriesRecord};
use fidelis_store::Unit;
use jiff::Timestamp;
use rust_decimal::Decimal;

use super::{Ctx, Incentives, Who, MAX_ITEMS};
use crate::loyalty::Customer;
use crate::AppError;

/// One code to redeem; `amount` is the part of a gift voucher to spend (default: the bill).
#[derive(Debug, Clone)]
pub struct CodeAsk {
    pub code: String,
    pub amount: Option<Decimal>,
}

/// A redemption request: the codes and the bill they are redeemed against.
#[derive(Debug, Clone)]
pub struct RedeemInput {
    pub codes: Vec<CodeAsk>,
    pub bill_amount: Decimal,
    pub transaction_number: Option<String>,
    /// `redemptionTime`; now when absent.
    pub at: Option<Timestamp>,
}

/// Whether a code is redeemable by a customer, as `is_redeemable` answers.
#[derive(Debug, Clone)]
pub struct Redeemability {
    pub code: String,
    pub found: Option<(SeriesRecord, CouponRecord, Usage)>,
    pub verdict: Result<(), IncentivesError>,
    pub redemptions_left: Option<u32>,
}

impl Incentives<'_> {
    fn checked(&self, input: &RedeemInput) -> Result<Timestamp, AppError> {
        if input.codes.is_empty() {
            return Err(
                IncentivesError::InvalidInput("redemptionRequestList is empty".into()).into(),
            );
        }
        if input.codes.len() > MAX_ITEMS {
            return Err(IncentivesError::TooMany(MAX_ITEMS).into());
        }
        if input.bill_amount < Decimal::ZERO {
            return Err(IncentivesError::InvalidBillAmount {
                amount: input.bill_amount,
                reason: "it must not be negative".into(),
            }
            .into());
        }
        Ok(redemption_instant(input.at, self.app.now())?)
    }

    fn new_redemption(
        &self,
        ctx: &Ctx,
        c: &Customer,
        input: &RedeemInput,
        at: Timestamp,
        code: &CodeAsk,
    ) -> NewRedemption {
        NewRedemption {
            code: code.code.clone(),
            ask: Ask {
                customer: c.id,
                at,
                bill_amount: input.bill_amount,
                amount: code.amount,
                place: ctx.place,
            },
            transaction_number: input.transaction_number.clone(),
            till_id: ctx.caller.till_id,
            actor: ctx.caller.name(),
            now: self.app.now(),
        }
    }

    /// Redeems every code of the request in one transaction: all of them, or (on the first
    /// refusal, which is returned) none.
    pub async fn redeem(
        &self,
        ctx: &Ctx,
        who: &Who,
        input: &RedeemInput,
    ) -> Result<(Customer, Vec<Redeemed>), AppError> {
        self.checked(input)?;
        let customer = self.customer(ctx, who).await?;
        let mut unit = self.app.db.unit().await?;
        let done = self.redeem_in(&mut unit, ctx, &customer, input).await?;
        unit.commit().await?;
        Ok((customer, done))
    }

    /// Redeems every code of the request for `customer` inside `unit` (with the bill they
    /// are redeemed against, for `redeemCoupons` of a transaction): the first refusal is
    /// returned, and the caller drops the unit.
    pub async fn redeem_in(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        customer: &Customer,
        input: &RedeemInput,
    ) -> Result<Vec<Redeemed>, AppError> {
        let at = self.checked(input)?;
        if customer.status == CustomerStatus::FraudConfirmed {
            return Err(IncentivesError::CustomerFraud.into());
        }
        let repo = self.app.db.incentives();
        let mut done = Vec::new();
        for code in &input.codes {
            let r = self.new_redemption(ctx, customer, input, at, code);
            done.push(repo.redeem_in(unit, ctx.org.id, &r).await?);
        }
        Ok(done)
    }

    /// Redeems each code on its own (bulk): successes are kept when others are refused.
    pub async fn redeem_each(
        &self,
        ctx: &Ctx,
        who: &Who,
        input: &RedeemInput,
    ) -> Result<(Customer, Vec<(String, Result<Redeemed, AppError>)>), AppError> {
        let at = self.checked(input)?;
        if input
            .transaction_number
            .as_deref()
            .is_none_or(|t| t.trim().is_empty())
        {
            return Err(IncentivesError::TransactionNumberRequired.into());
        }
        let customer = self.customer(ctx, who).await?;
        let repo = self.app.db.incentives();
        let mut unit = self.app.db.unit().await?;
        let mut out = Vec::new();
        for code in &input.codes {
            let r = self.new_redemption(ctx, &customer, input, at, code);
            match repo
                .redeem_in(&mut unit, ctx.org.id, &r)
                .await
                .map_err(AppError::from)
            {
                Err(e) if e.is_internal() => return Err(e),
                one => out.push((code.code.clone(), one)),
            }
        }
        unit.commit().await?;
        Ok((customer, out))
    }

    /// Whether each code is redeemable by the customer now, for a bill of `bill_amount`.
    pub async fn is_redeemable(
        &self,
        ctx: &Ctx,
        who: &Who,
        codes: &[String],
        bill_amount: Option<Decimal>,
    ) -> Result<(Customer, Vec<Redeemability>), AppError> {
        if codes.is_empty() || codes.len() > MAX_ITEMS {
            return Err(IncentivesError::TooMany(MAX_ITEMS).into());
        }
        let customer = self.customer(ctx, who).await?;
        let repo = self.app.db.incentives();
        let now = self.app.now();
        let mut out = Vec::new();
        for code in codes {
            let ask = Ask {
                customer: customer.id,
                at: now,
                bill_amount: bill_amount.unwrap_or(Decimal::ZERO),
                amount: None,
                place: ctx.place,
            };
            let one = match repo.redeemability(ctx.org.id, code, &ask).await {
                Ok((series, coupon, usage, verdict)) => {
                    let state = coupon.state();
                    // Without a bill amount the bill limits are not judged.
                    let verdict = match verdict {
                        Err(IncentivesError::InvalidBillAmount { .. }) if bill_amount.is_none() => {
                            Ok(())
                        }
                        v => v,
                    };
                    let left = redemptions_left(&series.rules, &state, &usage);
                    Redeemability {
                        code: coupon.code.clone(),
                        verdict,
                        redemptions_left: left,
                        found: Some((series, coupon, usage)),
                    }
                }
                Err(fidelis_store::StoreError::Incentives(e)) => Redeemability {
                    code: code.clone(),
                    found: None,
                    verdict: Err(e),
                    redemptions_left: Some(0),
                },
                Err(e) => return Err(e.into()),
            };
            out.push(one);
        }
        Ok((customer, out))
    }

    /// Reverses redemptions (all or none).
    pub async fn reactivate(&self, ctx: &Ctx, ids: &[RedemptionId]) -> Result<(), AppError> {
        if ids.is_empty() || ids.len() > MAX_ITEMS {
            return Err(IncentivesError::TooMany(MAX_ITEMS).into());
        }
        Ok(self
            .app
            .db
            .incentives()
            .reactivate(ctx.org.id, ids, self.app.now())
            .await?)
    }
}
