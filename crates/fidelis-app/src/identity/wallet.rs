//! What the wrapper API does beyond reading: spending points once per `Idempotency-Key`.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::{EntryKind, ProgramId};
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
        if let Some(reference) = &reference {
            let ledger = loyalty.ledger(&ctx, customer, &program).await?;
            let before = ledger.lines.iter().find(|(e, _)| {
                e.kind == EntryKind::Redemption && e.source.reference.as_deref() == Some(reference)
            });
            if let Some((e, _)) = before {
                return Ok(Spent {
                    entry_id: e.entry_id.get(),
                    points: -e.points,
                    balance: ledger.balance.net,
                    repeated: true,
                });
            }
        }
        let c = loyalty.customer_by_id(&ctx, customer).await?;
        let r = Redemption {
            program: Some(program.id),
            points,
            reference,
            notes,
        };
        let posted = loyalty.redeem(&ctx, &c, &r).await?;
        let balance = loyalty.balance(&ctx, customer, Some(program.id)).await?;
        Ok(Spent {
            entry_id: posted.entry_id.get(),
            points: -posted.points,
            balance: balance.net,
            repeated: false,
        })
    }
}
