//! Bills and returns. A bill is recorded, its bill number claimed, its points credited and
//! the member's lifetime purchases and tier updated in one transaction.
//!
//! The rules are the domain's: `NewBill::check` refuses a bad bill before anything is
//! written, `Program::earn_for_bill` and `Program::tier_upgrade` decide the award, its
//! expiry and the tier, `reverse_for_return` and `plan_reversal` decide what a return
//! takes back and from which lots. This module reads, locks and writes.
//!
//! Bill-number uniqueness: `loyalty_bill_numbers` has one row per (org, scope, number),
//! scope being the store, the till or the whole org. A bill claims the row with an upsert
//! that takes the row over only when its holder is outside the uniqueness window, so two
//! bills racing for the same number meet on one primary-key row and the database, not a
//! read-then-write, decides which one is the duplicate (604).

use fidelis_domain::customers::CustomerId;
use fidelis_domain::groups::GroupId;
use fidelis_domain::loyalty::ledger::{Actor, EntryKind, EntrySource, LotId};
use fidelis_domain::loyalty::program::BillEarn;
use fidelis_domain::loyalty::returns::{plan_reversal, reverse_for_return, BillEarning};
use fidelis_domain::loyalty::transaction::{
    check_bill_number, check_return_dates, BillNumberUniqueness, NewBill, OutlierStatus,
};
use fidelis_domain::loyalty::{
    EarningEntity, LoyaltyError, Program, ProgramId, ReturnType, TierChange, TransactionType,
};
use fidelis_domain::org::{EntityId, OrgId};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::balance::{self, entity_of, BalanceRow, Holder};
use super::fixed::{from_milli, to_milli};
use super::ledger::{apply_credit, open_lots, post_debit, write_credit, Why};
use super::{LoyaltyContext, LoyaltyRepo, Tx};
use crate::time::{from_db, to_db};
use crate::{StoreError, Unit};

/// What a recorded bill earned.
#[derive(Debug, Clone, PartialEq)]
pub struct BillAward {
    pub transaction_id: i64,
    /// Who earned the points: the customer, or the group the bill was made for.
    pub earner: EarningEntity,
    pub program_id: ProgramId,
    pub raw_points: Decimal,
    pub points: Decimal,
    pub lot_id: Option<LotId>,
    pub expires_at: Option<Timestamp>,
    pub tier_change: Option<TierChange>,
    pub lifetime_purchases: Decimal,
}

/// A return against a recorded bill.
#[derive(Debug, Clone)]
pub struct NewReturn {
    pub customer_id: CustomerId,
    /// The returned bill's transaction id.
    pub bill_id: i64,
    /// The return's own number (often the bill's).
    pub bill_number: String,
    pub return_type: ReturnType,
    /// Returned amount for AMOUNT and LINE_ITEM returns; ignored for FULL and CANCELLED.
    pub amount: Decimal,
    pub returned_at: Timestamp,
    pub actor: Actor,
    /// As `NewBill::details`.
    pub details: String,
    pub store_id: Option<EntityId>,
    pub till_id: Option<EntityId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReturnResult {
    pub transaction_id: i64,
    pub amount: Decimal,
    pub points_reversed: Decimal,
    /// Reversed points no lot could cover (already spent): now owed as debt.
    pub shortfall: Decimal,
    pub fully_returned: bool,
}

/// A stored bill or return.
#[derive(Debug, Clone, PartialEq)]
pub struct BillRecord {
    pub id: i64,
    /// The customer who made it (0: a NOT_INTERESTED bill that names none).
    pub customer_id: CustomerId,
    /// The group it was made for and that earned its points, if any.
    pub group_id: Option<GroupId>,
    pub program_id: ProgramId,
    pub txn_type: String,
    pub bill_number: String,
    pub billed_at: Timestamp,
    pub amount: Decimal,
    pub points: Decimal,
    pub amount_returned: Decimal,
    pub points_reversed: Decimal,
    pub parent_id: Option<i64>,
    pub raw_points: Decimal,
    pub outlier_status: String,
    pub store_id: Option<EntityId>,
    pub till_id: Option<EntityId>,
    pub return_type: Option<String>,
    pub details: String,
    pub created_at: Timestamp,
}

/// The one place a bill is checked (`NewBill::check`: number, amount, billing date),
/// before anything is written, and the program it is recorded in.
pub(crate) fn admit<'c>(
    ctx: &'c LoyaltyContext,
    bill: &NewBill,
    now: Timestamp,
) -> Result<&'c Program, StoreError> {
    bill.check(&ctx.settings.billing_dates, now, &ctx.org.time_zone)?;
    Ok(ctx.program(bill.program_id)?)
}

/// Claims the bill number for `txn_id`; false when a bill inside the window holds it.
///
/// The rule is `BillNumberUniqueness`: its scope key and window bounds are the statement's
/// parameters. The comparison stays in SQL so that the claim is one atomic upsert: the
/// holder is taken over only when it was billed at or outside the window's bounds
/// (no bound: unique forever, never taken over).
pub(crate) async fn claim_bill_number(
    tx: &mut Tx,
    org_id: OrgId,
    rule: &BillNumberUniqueness,
    bill: &NewBill,
    txn_id: i64,
) -> Result<bool, StoreError> {
    let free_before = rule.window_start(bill.billed_at).map(to_db);
    let free_after = rule.window_end(bill.billed_at).map(to_db);
    let won: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO loyalty_bill_numbers (org_id, scope_key, bill_number, billed_at, transaction_id) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (org_id, scope_key, bill_number) DO UPDATE \
         SET billed_at = excluded.billed_at, transaction_id = excluded.transaction_id \
         WHERE loyalty_bill_numbers.billed_at <= $6 OR loyalty_bill_numbers.billed_at >= $7 \
         RETURNING transaction_id",
    )
    .bind(org_id.get())
    .bind(rule.scope_key(bill.store_id, bill.till_id))
    .bind(bill.number())
    .bind(to_db(bill.billed_at))
    .bind(txn_id)
    .bind(free_before.unwrap_or(i64::MIN))
    .bind(free_after.unwrap_or(i64::MAX))
    .fetch_optional(&mut **tx)
    .await?;
    Ok(won.is_some())
}

/// A tier change's `kind` column.
pub(crate) fn tier_change_kind(kind: fidelis_domain::loyalty::TierChangeKind) -> &'static str {
    match kind {
        fidelis_domain::loyalty::TierChangeKind::Upgrade => "UPGRADE",
        fidelis_domain::loyalty::TierChangeKind::Renew => "RENEW",
        fidelis_domain::loyalty::TierChangeKind::Downgrade => "DOWNGRADE",
    }
}

pub(crate) async fn record_tier_change(
    tx: &mut Tx,
    h: Holder,
    c: &TierChange,
    source: &EntrySource,
) -> Result<(), StoreError> {
    let kind = tier_change_kind(c.kind);
    sqlx::query(
        "INSERT INTO loyalty_tier_changes (org_id, customer_id, program_id, kind, from_serial, \
         to_serial, effective_at, valid_until, requalify_base, source_kind, source_ref) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(h.org_id.get())
    .bind(h.key())
    .bind(h.program_id.get())
    .bind(kind)
    .bind(i64::from(c.from))
    .bind(i64::from(c.to))
    .bind(to_db(c.effective_at))
    .bind(c.valid_until.map(to_db))
    .bind(to_milli(c.requalify_base)?)
    .bind(source.kind.as_str())
    .bind(source.reference.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) const BILL_COLUMNS: &str =
    "id, customer_id, program_id, txn_type, bill_number, billed_at, amount, \
     points, amount_returned, points_reversed, parent_id, outlier_status, raw_points, \
     store_id, till_id, return_type, details, created_at, member_id";

impl BillRecord {
    /// Who earned the bill's points (and loses them on a return).
    pub fn earner(&self) -> EarningEntity {
        match self.group_id {
            Some(g) => EarningEntity::Group(g),
            None => EarningEntity::Customer(self.customer_id),
        }
    }
}

/// The `member_id` column: the customer who made a bill the group earns.
pub(crate) fn member_column(earner: EarningEntity, customer_id: CustomerId) -> Option<i64> {
    match earner {
        EarningEntity::Group(_) => Some(customer_id.get()),
        EarningEntity::Customer(_) => None,
    }
}

/// A `BILL_COLUMNS` row (more columns than sqlx's tuple rows take) and its outlier status.
pub(crate) fn bill_from_row(r: &AnyRow) -> Result<(BillRecord, String), StoreError> {
    let outlier: String = r.try_get(11)?;
    let member: Option<i64> = r.try_get(18)?;
    let (customer_id, group_id) = match entity_of(r.try_get(1)?) {
        EarningEntity::Customer(c) => (c, None),
        EarningEntity::Group(g) => (CustomerId::new(member.unwrap_or(0)), Some(g)),
    };
    Ok((
        BillRecord {
            id: r.try_get(0)?,
            customer_id,
            group_id,
            program_id: ProgramId::new(r.try_get(2)?),
            txn_type: r.try_get(3)?,
            bill_number: r.try_get(4)?,
            billed_at: from_db(r.try_get(5)?)?,
            amount: from_milli(r.try_get(6)?),
            points: from_milli(r.try_get(7)?),
            amount_returned: from_milli(r.try_get(8)?),
            points_reversed: from_milli(r.try_get(9)?),
            parent_id: r.try_get(10)?,
            outlier_status: outlier.clone(),
            raw_points: from_milli(r.try_get(12)?),
            store_id: r.try_get::<Option<i64>, _>(13)?.map(EntityId::new),
            till_id: r.try_get::<Option<i64>, _>(14)?.map(EntityId::new),
            return_type: r.try_get(15)?,
            details: r.try_get(16)?,
            created_at: from_db(r.try_get(17)?)?,
        },
        outlier,
    ))
}

impl LoyaltyRepo<'_> {
    /// Records a REGULAR bill and awards its points, all in one transaction. A bill number
    /// already used inside the window is 604 and changes nothing.
    pub async fn record_bill(
        &self,
        ctx: &LoyaltyContext,
        bill: &NewBill,
        now: Timestamp,
    ) -> Result<BillAward, StoreError> {
        self.record_bill_as(ctx, bill, bill.customer_id.into(), now)
            .await
    }

    /// `record_bill` with the points, lifetime purchases and tier going to `earner`: the
    /// customer who made the bill, or a group the bill was made for (the bill still names
    /// its customer, as the member who made it).
    pub async fn record_bill_as(
        &self,
        ctx: &LoyaltyContext,
        bill: &NewBill,
        earner: EarningEntity,
        now: Timestamp,
    ) -> Result<BillAward, StoreError> {
        let program = admit(ctx, bill, now)?;
        // Its own unit: an error drops it, which undoes everything (no savepoint needed).
        let mut unit = self.0.unit().await?;
        let award = award_bill(&mut unit, ctx, program, bill, earner, now).await?;
        unit.commit().await?;
        Ok(award)
    }

    /// `record_bill_as` as one step of `unit`, so other writes (coupons redeemed with the
    /// bill) commit or roll back with it. A refused bill writes nothing.
    pub async fn record_bill_as_in(
        &self,
        unit: &mut Unit,
        ctx: &LoyaltyContext,
        bill: &NewBill,
        earner: EarningEntity,
        now: Timestamp,
    ) -> Result<BillAward, StoreError> {
        let program = admit(ctx, bill, now)?;
        unit.begin_step().await?;
        let out = award_bill(unit, ctx, program, bill, earner, now).await;
        unit.end_step(out).await
    }

    /// Records a return and reverses its share of the bill's points: from the bill's own
    /// lot first, then other lots, the rest as debt.
    pub async fn record_return(
        &self,
        ctx: &LoyaltyContext,
        ret: &NewReturn,
        now: Timestamp,
    ) -> Result<ReturnResult, StoreError> {
        check_bill_number(&ret.bill_number)?;
        let Some(found) = self.bill(ctx.org.id, ret.bill_id).await? else {
            return Err(LoyaltyError::BillNotFound.into());
        };
        if found.customer_id != ret.customer_id
            || found.txn_type != TransactionType::Regular.as_str()
        {
            return Err(LoyaltyError::BillNotFound.into());
        }
        let program = ctx.program(Some(found.program_id))?;
        // The bill's earner loses what the return takes back: the customer, or the
        // group the customer made the bill for.
        let h = Holder {
            org_id: ctx.org.id,
            entity: found.earner(),
            program_id: program.id,
        };
        let mut tx = self.0.begin().await?;
        // Returns of one bill are the same customer's, so the balance lock serializes them;
        // the bill is read again under it.
        let mut bal = balance::lock(&mut tx, h, now).await?;
        let row = sqlx::query(&format!(
            "SELECT {BILL_COLUMNS} FROM loyalty_transactions WHERE org_id = $1 AND id = $2"
        ))
        .bind(h.org_id.get())
        .bind(ret.bill_id)
        .fetch_one(&mut *tx)
        .await?;
        let (original, outlier) = bill_from_row(&row)?;
        check_return_dates(original.billed_at, ret.returned_at)?;
        let counted = OutlierStatus::parse(&outlier)
            .map_err(|_| StoreError::Corrupt(format!("outlier status {outlier:?}")))?
            .earns_points();
        let earning = BillEarning {
            bill_amount: original.amount,
            points_earned: original.points,
            amount_returned: original.amount_returned,
            points_reversed: original.points_reversed,
            counted_as_purchase: counted,
        };
        let outcome = reverse_for_return(
            &earning,
            ret.return_type,
            ret.amount,
            program.earn.rounding,
            program.points_return_enabled,
        )?;
        let (ret_id,): (i64,) = sqlx::query_as(
            "INSERT INTO loyalty_transactions (org_id, customer_id, program_id, txn_type, bill_number, \
             billed_at, amount, outlier_status, points, return_type, parent_id, created_at, \
             details, store_id, till_id, member_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             RETURNING id",
        )
        .bind(h.org_id.get())
        .bind(h.key())
        .bind(h.program_id.get())
        .bind(TransactionType::Return.as_str())
        .bind(ret.bill_number.trim())
        .bind(to_db(ret.returned_at))
        .bind(to_milli(outcome.amount)?)
        .bind(&outlier)
        .bind(to_milli(outcome.points_to_reverse)?)
        .bind(ret.return_type.as_str())
        .bind(original.id)
        .bind(to_db(now))
        .bind(&ret.details)
        .bind(ret.store_id.map(EntityId::get))
        .bind(ret.till_id.map(EntityId::get))
        .bind(member_column(h.entity, ret.customer_id))
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE loyalty_transactions SET amount_returned = amount_returned + $3, \
             points_reversed = points_reversed + $4 WHERE org_id = $1 AND id = $2",
        )
        .bind(h.org_id.get())
        .bind(original.id)
        .bind(to_milli(outcome.amount)?)
        .bind(to_milli(outcome.points_to_reverse)?)
        .execute(&mut *tx)
        .await?;
        let mut shortfall = Decimal::ZERO;
        if outcome.points_to_reverse > Decimal::ZERO {
            let mut lots = open_lots(&mut tx, h).await?;
            let plan = plan_reversal(
                &lots,
                &EntrySource::bill(original.id),
                outcome.points_to_reverse,
                now,
            );
            let source = EntrySource::bill(ret_id);
            let why = Why {
                source: &source,
                rule: Some("return"),
                actor: &ret.actor,
                reason: None,
            };
            post_debit(
                &mut tx,
                h,
                &mut bal,
                EntryKind::ReturnReversal,
                &mut lots,
                &plan.allocations,
                plan.shortfall,
                &why,
                now,
            )
            .await?;
            shortfall = plan.shortfall;
        }
        bal.lifetime_purchases -= to_milli(outcome.purchases_reversed)?;
        balance::save(&mut tx, h, &bal, now).await?;
        tx.commit().await?;
        Ok(ReturnResult {
            transaction_id: ret_id,
            amount: outcome.amount,
            points_reversed: outcome.points_to_reverse,
            shortfall,
            fully_returned: outcome.fully_returned,
        })
    }

    /// A stored bill or return by id.
    pub async fn bill(&self, org_id: OrgId, id: i64) -> Result<Option<BillRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {BILL_COLUMNS} FROM loyalty_transactions WHERE org_id = $1 AND id = $2"
        ))
        .bind(org_id.get())
        .bind(id)
        .fetch_optional(self.0.reader())
        .await?;
        row.map(|r| bill_from_row(&r).map(|(b, _)| b)).transpose()
    }
}

/// What a bill does to its earner's balance row, by the domain's rules, applied to `bal`
/// in memory: the award (at the tier held before the bill), the credit and the debt it
/// settles, the lifetime purchases and the tier upgrade they bring. Both the one-bill path
/// and the batch path (`bill_batch`) write what this decides.
pub(crate) struct BillEffect {
    pub earn: BillEarn,
    /// The credit in thousandths and the part of it that settled debt.
    pub credit: Option<(i64, i64)>,
    pub tier_change: Option<TierChange>,
}

pub(crate) fn bill_effect(
    program: &Program,
    bill: &NewBill,
    bal: &mut BalanceRow,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<BillEffect, StoreError> {
    let earn = program.earn_for_bill(bill.amount, bill.outlier_status, &bal.tier, now, tz);
    let credit = if earn.award.awarded > Decimal::ZERO {
        let milli = to_milli(earn.award.awarded)?;
        Some((milli, apply_credit(bal, EntryKind::Credit, milli)?))
    } else {
        None
    };
    let mut tier_change = None;
    if earn.counts_as_purchase {
        bal.lifetime_purchases += to_milli(bill.amount)?;
        tier_change = program.tier_upgrade(
            &bal.tier,
            from_milli(bal.lifetime_purchases),
            from_milli(bal.lifetime_points),
            now,
            tz,
        );
    }
    if let Some(c) = &tier_change {
        bal.tier = c.apply();
    }
    Ok(BillEffect {
        earn,
        credit,
        tier_change,
    })
}

/// Writes a bill admitted to `program` and its award (the body of `record_bill_as_in`).
async fn award_bill(
    tx: &mut Tx,
    ctx: &LoyaltyContext,
    program: &Program,
    bill: &NewBill,
    earner: EarningEntity,
    now: Timestamp,
) -> Result<BillAward, StoreError> {
    let h = Holder {
        org_id: ctx.org.id,
        entity: earner,
        program_id: program.id,
    };
    // The balance row first: the award depends on the member's tier. With the award
    // known, the bill row is written once, complete.
    let mut bal = balance::lock(tx, h, now).await?;
    let effect = bill_effect(program, bill, &mut bal, now, &ctx.org.time_zone)?;
    let earn = &effect.earn;
    let (txn_id,): (i64,) = sqlx::query_as(
        "INSERT INTO loyalty_transactions (org_id, customer_id, program_id, txn_type, bill_number, \
         store_id, till_id, billed_at, amount, outlier_status, created_at, details, raw_points, \
         points, member_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(h.org_id.get())
    .bind(h.key())
    .bind(h.program_id.get())
    .bind(TransactionType::Regular.as_str())
    .bind(bill.number())
    .bind(bill.store_id.map(EntityId::get))
    .bind(bill.till_id.map(EntityId::get))
    .bind(to_db(bill.billed_at))
    .bind(to_milli(bill.amount)?)
    .bind(bill.outlier_status.as_str())
    .bind(to_db(now))
    .bind(&bill.details)
    .bind(to_milli(earn.award.raw)?)
    .bind(to_milli(earn.award.awarded)?)
    .bind(member_column(earner, bill.customer_id))
    .fetch_one(&mut **tx)
    .await?;
    if !claim_bill_number(tx, h.org_id, &ctx.settings.bill_numbers, bill, txn_id).await? {
        return Err(LoyaltyError::DuplicateBill.into());
    }
    let source = EntrySource::bill(txn_id);
    let mut lot_id = None;
    if let Some((milli, settled)) = effect.credit {
        let why = Why {
            source: &source,
            rule: Some("earn"),
            actor: &bill.actor,
            reason: None,
        };
        let (_, l) = write_credit(
            tx,
            h,
            EntryKind::Credit,
            milli,
            settled,
            earn.expires_at,
            &why,
            now,
        )
        .await?;
        lot_id = Some(l);
    }
    if let Some(c) = &effect.tier_change {
        record_tier_change(tx, h, c, &source).await?;
    }
    balance::save(tx, h, &bal, now).await?;
    Ok(BillAward {
        transaction_id: txn_id,
        earner,
        program_id: program.id,
        raw_points: earn.award.raw,
        points: earn.award.awarded,
        lot_id,
        expires_at: earn.expires_at,
        tier_change: effect.tier_change,
        lifetime_purchases: from_milli(bal.lifetime_purchases),
    })
}
