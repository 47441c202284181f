//! Points: redemption (debits take the oldest-expiring lots first) and the reads of a
//! customer's points — program summary, balance, expiry schedule, expired points and the
//! explained ledger.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::identity::otp::{redemption_needs_code, ValidationType};
use fidelis_domain::loyalty::ledger::{
    explain, Balance, EntryKind, EntrySource, ExpiryScheduleItem, LedgerEntry, Lot, SourceKind,
};
use fidelis_domain::loyalty::{EarningEntity, LoyaltyError, Program, ProgramId};
use fidelis_store::loyalty::{Debit, MemberState, PointsOverview, Posted, TierChangeRecord};
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::{Ctx, Customer, LinkedProgram, Loyalty};
use crate::AppError;

/// What a redemption spends and why.
#[derive(Debug, Clone, Default)]
pub struct Redemption {
    pub program: Option<ProgramId>,
    pub points: Decimal,
    /// The bill or order the points paid for.
    pub reference: Option<String>,
    pub notes: Option<String>,
    /// Spend at most once for this reference (an idempotency key): a repeat returns the
    /// first redemption.
    pub once: bool,
}

/// A customer's standing in one program (`loyaltyDetails`, spec §1.2).
#[derive(Debug, Clone)]
pub struct ProgramSummary {
    pub program: Program,
    pub member: Option<MemberState>,
    pub balance: Balance,
    /// Points by kind of debit, as positive numbers.
    pub redeemed: Decimal,
    pub expired: Decimal,
    pub returned: Decimal,
    pub adjusted: Decimal,
    pub tier_changes: Vec<TierChangeRecord>,
    pub partners: Vec<LinkedProgram>,
}

fn debits(entries: &[LedgerEntry], kind: EntryKind) -> Decimal {
    entries
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| -e.points)
        .sum()
}

/// The points ledger entry by entry with the balance after each, the lots, and the balance.
#[derive(Debug, Clone)]
pub struct ExplainedLedger {
    /// Each entry with the balance after it.
    pub lines: Vec<(LedgerEntry, Decimal)>,
    pub lots: Vec<Lot>,
    pub balance: Balance,
}

impl Loyalty<'_> {
    /// Whether `points` can be spent now, and the net balance.
    pub async fn can_redeem(
        &self,
        ctx: &Ctx,
        c: &Customer,
        program: Option<ProgramId>,
        points: Decimal,
    ) -> Result<(bool, Decimal), AppError> {
        if points <= Decimal::ZERO {
            return Err(LoyaltyError::InvalidPoints.into());
        }
        let program = ctx.program_id(program.or(c.card_program))?;
        let b = self
            .app
            .db
            .loyalty()
            .balance(ctx.loyalty.org.id, c.id, program, self.app.now())
            .await?;
        Ok((b.net >= points && b.available >= points, b.net))
    }

    /// Spends points (813 when the balance is short).
    pub async fn redeem(
        &self,
        ctx: &Ctx,
        c: &Customer,
        r: &Redemption,
    ) -> Result<Posted, AppError> {
        // A `once` redemption is checked by the store under the balance lock, after it has
        // looked for the first one (a repeat must find it even when the balance is spent).
        if !r.once {
            let (fits, available) = self.can_redeem(ctx, c, r.program, r.points).await?;
            if !fits {
                return Err(LoyaltyError::InsufficientPoints {
                    requested: r.points,
                    available,
                }
                .into());
            }
        }
        let d = Debit {
            kind: EntryKind::Redemption,
            points: r.points,
            source: match &r.reference {
                Some(reference) => EntrySource::new(SourceKind::Redemption, reference.clone()),
                None => EntrySource::bare(SourceKind::Redemption),
            },
            rule: Some("redeem".into()),
            actor: ctx.actor(),
            reason: r.notes.clone(),
            once: r.once && r.reference.is_some(),
        };
        Ok(self
            .app
            .db
            .loyalty()
            .debit(&ctx.loyalty, c.id, r.program, &d, self.app.now())
            .await?)
    }

    /// Spends points after checking the redemption's validation code when the org or the
    /// request needs one (`redemption_needs_code`): a wrong code is 808 and costs a try;
    /// a right one is spent only once the balance is known to cover the points, then the
    /// points are spent.
    pub async fn redeem_validated(
        &self,
        ctx: &Ctx,
        c: &Customer,
        r: &Redemption,
        validation_type: Option<ValidationType>,
        code: Option<&str>,
    ) -> Result<Posted, AppError> {
        let org = &ctx.loyalty.org;
        let identity = self.app.identity();
        let given = code.is_some_and(|c| !c.trim().is_empty());
        let setting = identity.points_validation(org).await?;
        if redemption_needs_code(setting, validation_type, given)? {
            if r.points <= Decimal::ZERO {
                return Err(LoyaltyError::InvalidPoints.into());
            }
            let right = identity
                .check_points_code(org, c.id.get(), r.points, code)
                .await?;
            let (fits, available) = self.can_redeem(ctx, c, r.program, r.points).await?;
            if !fits && !r.once {
                return Err(LoyaltyError::InsufficientPoints {
                    requested: r.points,
                    available,
                }
                .into());
            }
            identity.spend_points_code(org, &right).await?;
        }
        self.redeem(ctx, c, r).await
    }

    /// One program's summary for a customer or a group.
    pub async fn program_summary(
        &self,
        ctx: &Ctx,
        entity: impl Into<EarningEntity>,
        program: &Program,
    ) -> Result<ProgramSummary, AppError> {
        let entity: EarningEntity = entity.into();
        let repo = self.app.db.loyalty();
        let org = ctx.loyalty.org.id;
        let entries = repo.entries(org, entity, program.id).await?;
        Ok(ProgramSummary {
            program: program.clone(),
            member: repo.member(org, entity, program.id).await?,
            balance: repo
                .balance(org, entity, program.id, self.app.now())
                .await?,
            redeemed: debits(&entries, EntryKind::Redemption),
            expired: debits(&entries, EntryKind::Expiry),
            returned: debits(&entries, EntryKind::ReturnReversal),
            adjusted: -debits(&entries, EntryKind::Adjustment),
            tier_changes: repo.tier_changes(org, entity, program.id).await?,
            // Partner programs are a customer's own.
            partners: match entity.customer() {
                Some(c) => self.linked_programs(ctx, c).await?,
                None => Vec::new(),
            },
        })
    }

    /// Balance, expiry schedule, redeemed and expired points of a customer in every
    /// program they can belong to (the partner app's points page).
    pub async fn points_overview<'c>(
        &self,
        ctx: &'c Ctx,
        customer: CustomerId,
    ) -> Result<Vec<(&'c Program, PointsOverview)>, AppError> {
        let mut out = Vec::new();
        for program in ctx.member_programs() {
            let o = self
                .app
                .db
                .loyalty()
                .points_overview(&ctx.loyalty.org, customer, program.id, self.app.now())
                .await?;
            out.push((program, o));
        }
        Ok(out)
    }

    /// The summaries of every program a customer (or group) can belong to.
    pub async fn program_summaries(
        &self,
        ctx: &Ctx,
        entity: impl Into<EarningEntity>,
    ) -> Result<Vec<ProgramSummary>, AppError> {
        let entity: EarningEntity = entity.into();
        let mut out = Vec::new();
        for program in ctx.member_programs() {
            out.push(self.program_summary(ctx, entity, program).await?);
        }
        Ok(out)
    }

    /// A customer's balance in one program (the default when `None`).
    pub async fn balance(
        &self,
        ctx: &Ctx,
        customer_id: CustomerId,
        program: Option<ProgramId>,
    ) -> Result<Balance, AppError> {
        let program = ctx.program_id(program)?;
        Ok(self
            .app
            .db
            .loyalty()
            .balance(ctx.loyalty.org.id, customer_id, program, self.app.now())
            .await?)
    }

    /// The net balance over `programs`.
    pub async fn net_balance(
        &self,
        ctx: &Ctx,
        customer_id: CustomerId,
        programs: &[&Program],
    ) -> Result<Decimal, AppError> {
        let mut total = Decimal::ZERO;
        for p in programs {
            total += self
                .app
                .db
                .loyalty()
                .balance(ctx.loyalty.org.id, customer_id, p.id, self.app.now())
                .await?
                .net;
        }
        Ok(total)
    }

    /// Upcoming expiries of `programs`, ascending, between local days `from` and `to`
    /// (inclusive), each with its program.
    pub async fn expiry_schedule(
        &self,
        ctx: &Ctx,
        entity: impl Into<EarningEntity>,
        programs: &[&Program],
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<Vec<(ProgramId, ExpiryScheduleItem)>, AppError> {
        let entity: EarningEntity = entity.into();
        let mut rows = Vec::new();
        for p in programs {
            let items = self
                .app
                .db
                .loyalty()
                .expiry_schedule(&ctx.loyalty.org, entity, p.id, self.app.now())
                .await?;
            rows.extend(
                items
                    .into_iter()
                    .filter(|i| from.is_none_or(|f| i.date >= f) && to.is_none_or(|t| i.date <= t))
                    .map(|i| (p.id, i)),
            );
        }
        rows.sort_by_key(|r| r.1.date);
        Ok(rows)
    }

    /// Points written off by the expiry job, newest first, each with its program.
    pub async fn expired_points(
        &self,
        ctx: &Ctx,
        entity: impl Into<EarningEntity>,
        programs: &[&Program],
    ) -> Result<Vec<(ProgramId, LedgerEntry)>, AppError> {
        let entity: EarningEntity = entity.into();
        let mut rows = Vec::new();
        for p in programs {
            let entries = self
                .app
                .db
                .loyalty()
                .entries(ctx.loyalty.org.id, entity, p.id)
                .await?;
            rows.extend(
                entries
                    .into_iter()
                    .filter(|e| e.kind == EntryKind::Expiry)
                    .map(|e| (p.id, e)),
            );
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.1.at));
        Ok(rows)
    }

    pub async fn ledger(
        &self,
        ctx: &Ctx,
        customer_id: CustomerId,
        program: &Program,
    ) -> Result<ExplainedLedger, AppError> {
        let repo = self.app.db.loyalty();
        let org = ctx.loyalty.org.id;
        let entries = repo.entries(org, customer_id, program.id).await?;
        let lines = explain(&entries)
            .into_iter()
            .map(|l| (l.entry.clone(), l.balance_after))
            .collect();
        Ok(ExplainedLedger {
            lines,
            lots: repo.lots(org, customer_id, program.id).await?,
            balance: repo
                .balance(org, customer_id, program.id, self.app.now())
                .await?,
        })
    }
}
