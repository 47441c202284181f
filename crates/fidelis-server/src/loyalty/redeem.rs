//! Points redemption as a service: the v1.1 points endpoints use it, and so can any other
//! surface that spends a customer's points. Debits take the oldest-expiring lots first.

use fidelis_domain::loyalty::ledger::{EntryKind, EntrySource, SourceKind};
use fidelis_domain::loyalty::{LoyaltyError, ProgramId};
use fidelis_store::loyalty::{Debit, Posted};
use rust_decimal::Decimal;

use super::{Ctx, Customer};
use crate::{ApiError, AppState};

/// What a customer could spend now: (requested points fit, available balance).
pub async fn check(
    state: &AppState,
    ctx: &Ctx,
    c: &Customer,
    program: Option<ProgramId>,
    points: Decimal,
) -> Result<(bool, Decimal), ApiError> {
    if points <= Decimal::ZERO {
        return Err(LoyaltyError::InvalidPoints.into());
    }
    let program = ctx.program_id(program.or(c.card_program))?;
    let b = state
        .db
        .loyalty()
        .balance(ctx.loyalty.org.id, c.id, program, state.now())
        .await?;
    Ok((b.net >= points && b.available >= points, b.net))
}

/// Spends `points` (813 when the balance is short), recording `reference` (the bill or
/// order the points paid for) and `notes` on the ledger entry.
pub async fn redeem(
    state: &AppState,
    ctx: &Ctx,
    c: &Customer,
    program: Option<ProgramId>,
    points: Decimal,
    reference: Option<String>,
    notes: Option<String>,
) -> Result<Posted, ApiError> {
    let (fits, available) = check(state, ctx, c, program, points).await?;
    if !fits {
        return Err(LoyaltyError::InsufficientPoints {
            requested: points,
            available,
        }
        .into());
    }
    let d = Debit {
        kind: EntryKind::Redemption,
        points,
        source: match reference {
            Some(r) => EntrySource::new(SourceKind::Redemption, r),
            None => EntrySource::bare(SourceKind::Redemption),
        },
        rule: Some("redeem".into()),
        actor: ctx.actor(),
        reason: notes,
    };
    Ok(state
        .db
        .loyalty()
        .debit(&ctx.loyalty, c.id, program, &d, state.now())
        .await?)
}
