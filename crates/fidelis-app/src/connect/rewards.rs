//! `coupon-redeem` (a code redeemed against a bill, as `POST /v2/coupon/redeem`) and
//! `goodwill-points` (a goodwill request, auto-approved within the org's limits, as
//! `POST /v1.1/request/add`).

use fidelis_domain::customers::CustomerStatus;
use fidelis_domain::incentives::IncentivesError;
use fidelis_domain::loyalty::{LoyaltyError, ProgramId};
use fidelis_store::Unit;
use rust_decimal::Decimal;

use super::transactions::decimal;
use super::{field, Connect, Ctx, Found, Record};
use crate::incentives::{CodeAsk, RedeemInput};
use crate::loyalty::{GoodwillInput, V1Identifiers};
use crate::AppError;

impl Connect<'_> {
    pub(super) async fn redeem_coupon(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        record: &Record,
        found: &mut Found,
    ) -> Result<i64, AppError> {
        let customer = match self.customer(ctx, record, "", found).await {
            Ok(c) => c,
            // The redemption API's code for a customer it cannot find.
            Err(AppError::Customers(_)) | Err(AppError::Loyalty(_)) => {
                return Err(IncentivesError::CustomerNotFound.into())
            }
            Err(e) => return Err(e),
        };
        if customer.status == CustomerStatus::FraudConfirmed {
            return Err(IncentivesError::CustomerFraud.into());
        }
        let input = RedeemInput {
            codes: vec![CodeAsk {
                code: field(record, "code").unwrap_or("").trim().to_string(),
                amount: None,
            }],
            bill_amount: decimal(record, "billAmount")?.unwrap_or(Decimal::ZERO),
            transaction_number: field(record, "transactionNumber").map(str::to_string),
            at: record.dates.get("redemptionTime").copied(),
        };
        let done = self
            .app
            .incentives()
            .redeem_in(unit, &ctx.incentives, &customer, &input)
            .await?;
        Ok(done.first().map_or(0, |r| r.redemption.id.get()))
    }

    pub(super) async fn give_goodwill(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        record: &Record,
    ) -> Result<i64, AppError> {
        let text = |n: &str| field(record, n).map(|v| v.trim().to_string());
        let program_id = match text("programId") {
            Some(p) => Some(ProgramId::new(p.parse::<i64>().map_err(|_| {
                LoyaltyError::InvalidInput(format!("programId `{p}` is not a number"))
            })?)),
            None => None,
        };
        let input = GoodwillInput {
            kind: Some("GOODWILL".into()),
            base_type: Some("POINTS".into()),
            customer: V1Identifiers {
                id: None,
                mobile: text("mobile"),
                email: text("email"),
                external_id: text("externalId"),
                card_number: text("cardNumber"),
            },
            program_id,
            points: decimal(record, "points")?,
            coupon_series_id: None,
            reference_id: None,
            reason: text("reason"),
            comments: text("comments"),
            auto_approve: None,
        };
        let r = self
            .app
            .loyalty()
            .submit_goodwill_in(unit, &ctx.loyalty, &input)
            .await?;
        Ok(r.id)
    }
}
