//! What the wrapper API does beyond reading: spending points once per `Idempotency-Key`.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::ProgramId;
use rust_decimal::Decimal;

use super::{Grant, Identity};
use crate::loyalty::Redemption;
use crate::AppError;

/// A redemption made (or found, for a repeated key): the points spent and the balance now.
#[derive(Debug, Clone)]
pub struct Spent {
    pub entry_id: i64,
    pub points: Decimal,
    pub balance: Decimal,
    /// True when the key had been used before and nothing new was spent.
    pub repeated: bool,
}

impl Identity<'_> {
    /// Spends the grant's customer's points. With a `key`, the redemption is recorded under
    /// `mobile:{client}:{key}`; a request repeating the key gets the first answer back.
    pub async fn redeem_points(
        &self,
        g: &Grant,
        program: Option<ProgramId>,
        points: Decimal,
        key: Option<&str>,
        notes: Option<String>,
    ) -> Result<Spent, AppError> {
        let loyalty = self.app.loyalty();
        let ctx = loyalty.context(&g.caller()).await?;
        let customer = CustomerId::new(g.customer_id);
        let program = ctx.loyalty.program(program)?.clone();
        let reference = key.map(|k| format!("mobile:{}:{k}", g.client_id));
        let c = loyalty.customer_by_id(&ctx, customer).await?;
        let r = Redemption {
            program: Some(program.id),
            points,
            once: reference.is_some(),
            reference,
            notes,
        };
        // With a key, the store spends at most once for it, atomically: a repeat (even a
        // concurrent one) gets the first redemption back.
        let posted = loyalty.redeem(&ctx, &c, &r).await?;
        let balance = loyalty.balance(&ctx, customer, Some(program.id)).await?;
        Ok(Spent {
            entry_id: posted.entry_id.get(),
            points: -posted.points,
            balance: balance.net,
            repeated: posted.repeated,
        })
    }
}
