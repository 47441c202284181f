//! The points ledger (DESIGN principle 3): append-only entries, credit lots with an
//! expiry, and debits allocated to lots oldest-expiry-first. The domain decides (which
//! lots a debit takes and how much, what a credit pays off debt, what each lot holds
//! afterwards); this module writes what it decided.

use fidelis_domain::loyalty::ledger::{
    self as rules, Actor, Allocation, Balance, EntryId, EntryKind, EntrySource, ExpiryScheduleItem,
    LedgerEntry, Lot, LotId, SourceKind,
};
use fidelis_domain::loyalty::{EarningEntity, LoyaltyError, ProgramId};
use fidelis_domain::org::{Org, OrgId};
use jiff::Timestamp;
use rust_decimal::Decimal;
use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;
use sqlx::Any;

use super::balance::{self, entity_key, entity_of, BalanceRow, Holder};
use super::fixed::{from_milli, to_milli};
use super::rows::{self, EntryRow, LotRow, ENTRY_COLUMNS, LOT_COLUMNS};
use super::{LoyaltyContext, LoyaltyRepo, Tx};
use crate::time::to_db;
use crate::StoreError;

/// What a customer's points page shows for one program.
#[derive(Debug, Clone)]
pub struct PointsOverview {
    pub balance: Balance,
    pub schedule: Vec<ExpiryScheduleItem>,
    pub redeemed: Decimal,
    pub expired: Decimal,
}

/// Points to add. The lot's expiry follows the program's policy unless `expires_at` says
/// otherwise (`Some(None)`: never).
#[derive(Debug, Clone)]
pub struct Credit {
    pub kind: EntryKind,
    pub points: Decimal,
    pub source: EntrySource,
    pub rule: Option<String>,
    pub actor: Actor,
    pub reason: Option<String>,
    pub expires_at: Option<Option<Timestamp>>,
}

/// Points to take (redemption, negative adjustment).
#[derive(Debug, Clone)]
pub struct Debit {
    pub kind: EntryKind,
    pub points: Decimal,
    pub source: EntrySource,
    pub rule: Option<String>,
    pub actor: Actor,
    pub reason: Option<String>,
    /// At most one entry of this kind with this source (and reference) per holder: a
    /// repeat, even a concurrent one, finds the first under the balance lock and spends
    /// nothing (`Posted::repeated`).
    pub once: bool,
}

/// A written entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Posted {
    /// True when a `once` debit had been made before: `entry_id` and `points` are the
    /// first one's, and nothing new was written.
    pub repeated: bool,
    pub entry_id: EntryId,
    /// Signed: credits positive, debits negative.
    pub points: Decimal,
    pub lot_id: Option<LotId>,
    pub expires_at: Option<Timestamp>,
    pub allocations: Vec<Allocation>,
}

/// What one expiry run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryRun {
    pub entries: usize,
    pub lots: usize,
    pub points: Decimal,
}

/// Why an entry exists: written on every entry.
pub(crate) struct Why<'a> {
    pub source: &'a EntrySource,
    pub rule: Option<&'a str>,
    pub actor: &'a Actor,
    pub reason: Option<&'a str>,
}

/// Writes a credit: its entry, its lot (minus what pays off debt first) and the balance.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn post_credit(
    tx: &mut Tx,
    h: Holder,
    bal: &mut BalanceRow,
    kind: EntryKind,
    points: Decimal,
    expires_at: Option<Timestamp>,
    why: &Why<'_>,
    now: Timestamp,
) -> Result<(EntryId, LotId), StoreError> {
    let milli = to_milli(points)?;
    let settled = apply_credit(bal, kind, milli)?;
    write_credit(tx, h, kind, milli, settled, expires_at, why, now).await
}

/// What a credit of `milli` thousandths does to the balance row: it pays off debt first
/// (the settled part, returned, goes into no lot) and adds the rest to the balance.
pub(crate) fn apply_credit(
    bal: &mut BalanceRow,
    kind: EntryKind,
    milli: i64,
) -> Result<i64, StoreError> {
    let settled =
        to_milli(rules::settle_debt(from_milli(milli), from_milli(bal.debt)).debt_settled)?;
    bal.net += milli;
    bal.debt -= settled;
    if kind.creates_lot() {
        bal.lifetime_points += milli;
    }
    Ok(settled)
}

/// Writes a credit's lot and entry (`apply_credit` decided `settled`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write_credit(
    tx: &mut Tx,
    h: Holder,
    kind: EntryKind,
    milli: i64,
    settled: i64,
    expires_at: Option<Timestamp>,
    why: &Why<'_>,
    now: Timestamp,
) -> Result<(EntryId, LotId), StoreError> {
    if tx.backend().inserts_in_with() {
        insert_credit_pg(tx, h, kind, milli, settled, expires_at, why, now).await
    } else {
        let lot_id = insert_lot(tx, h, milli, settled, expires_at, why, now).await?;
        let entry_id = insert_entry(tx, h, kind, milli, Some(lot_id), 0, settled, why, now).await?;
        Ok((entry_id, lot_id))
    }
}

/// Binds `LOT_INSERT`'s parameters $1–$11.
fn bind_lot<'q, O>(
    q: QueryAs<'q, Any, O, AnyArguments<'q>>,
    h: Holder,
    milli: i64,
    settled: i64,
    expires_at: Option<Timestamp>,
    why: &'q Why<'q>,
    now: Timestamp,
) -> QueryAs<'q, Any, O, AnyArguments<'q>> {
    q.bind(h.org_id.get())
        .bind(h.key())
        .bind(h.program_id.get())
        .bind(milli)
        .bind(milli - settled)
        .bind(to_db(now))
        .bind(expires_at.map(to_db))
        .bind(why.source.kind.as_str())
        .bind(why.source.reference.as_deref())
        .bind(why.rule)
        .bind(why.reason)
}

const LOT_INSERT: &str = "INSERT INTO loyalty_lots (org_id, customer_id, program_id, points, \
     remaining, awarded_at, expires_at, source_kind, source_ref, rule, reason) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";

/// A credit's lot (minus what pays off debt).
async fn insert_lot(
    tx: &mut Tx,
    h: Holder,
    milli: i64,
    settled: i64,
    expires_at: Option<Timestamp>,
    why: &Why<'_>,
    now: Timestamp,
) -> Result<LotId, StoreError> {
    let (lot_id,): (i64,) = bind_lot(
        sqlx::query_as(LOT_INSERT),
        h,
        milli,
        settled,
        expires_at,
        why,
        now,
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(LotId::new(lot_id))
}

/// The lot and its entry in one round trip, for PostgreSQL (SQLite cannot insert inside a
/// `WITH`). Every bill's award goes through here, so the saved round trip counts.
#[allow(clippy::too_many_arguments)]
async fn insert_credit_pg(
    tx: &mut Tx,
    h: Holder,
    kind: EntryKind,
    milli: i64,
    settled: i64,
    expires_at: Option<Timestamp>,
    why: &Why<'_>,
    now: Timestamp,
) -> Result<(EntryId, LotId), StoreError> {
    let sql = format!(
        "WITH lot AS ({LOT_INSERT}) \
         INSERT INTO loyalty_entries (org_id, customer_id, program_id, kind, points, at, \
         source_kind, source_ref, rule, actor_kind, actor_id, reason, lot_id, shortfall, \
         debt_settled) SELECT $1, $2, $3, $12, $4, $6, $8, $9, $10, $13, $14, $11, lot.id, 0, $15 \
         FROM lot RETURNING id, lot_id"
    );
    let (entry_id, lot_id): (i64, i64) = bind_lot(
        sqlx::query_as(&sql),
        h,
        milli,
        settled,
        expires_at,
        why,
        now,
    )
    .bind(kind.as_str())
    .bind(why.actor.kind.as_str())
    .bind(why.actor.id.as_deref())
    .bind(settled)
    .fetch_one(&mut **tx)
    .await?;
    Ok((EntryId::new(entry_id), LotId::new(lot_id)))
}

/// Writes a debit drawn from `allocations` of the holder's open `lots` (as read under the
/// lock), plus a `shortfall` no lot covered (debt). What each lot holds afterwards is
/// `apply_allocations`'s answer; `lots` is left holding it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn post_debit(
    tx: &mut Tx,
    h: Holder,
    bal: &mut BalanceRow,
    kind: EntryKind,
    lots: &mut [Lot],
    allocations: &[Allocation],
    shortfall: Decimal,
    why: &Why<'_>,
    now: Timestamp,
) -> Result<EntryId, StoreError> {
    // Amounts as stored (thousandths), so that lots, allocation rows and entry add up.
    let allocations = allocations
        .iter()
        .map(|a| {
            Ok(Allocation {
                lot_id: a.lot_id,
                points: from_milli(to_milli(a.points)?),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let read = lots
        .iter()
        .map(|l| to_milli(l.remaining))
        .collect::<Result<Vec<_>, _>>()?;
    rules::apply_allocations(lots, &allocations).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let shortfall = to_milli(shortfall)?;
    let mut total = shortfall;
    for a in &allocations {
        total += to_milli(a.points)?;
    }
    let entry_id = insert_entry(tx, h, kind, -total, None, shortfall, 0, why, now).await?;
    let mut drawn: Vec<usize> = Vec::with_capacity(allocations.len());
    for (seq, a) in allocations.iter().enumerate() {
        sqlx::query(
            "INSERT INTO loyalty_allocations (org_id, entry_id, seq, lot_id, points) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(h.org_id.get())
        .bind(entry_id.get())
        .bind(i64::try_from(seq).unwrap_or(i64::MAX))
        .bind(a.lot_id.get())
        .bind(to_milli(a.points)?)
        .execute(&mut **tx)
        .await?;
        if let Some(i) = lots.iter().position(|l| l.lot_id == a.lot_id) {
            if !drawn.contains(&i) {
                drawn.push(i);
            }
        }
    }
    // Each lot drawn from, once. The value read under the lock guards the write, so a lot
    // changed behind the lock fails loudly instead of being overwritten.
    for i in drawn {
        let done = sqlx::query(
            "UPDATE loyalty_lots SET remaining = $3 \
             WHERE org_id = $1 AND id = $2 AND remaining = $4",
        )
        .bind(h.org_id.get())
        .bind(lots[i].lot_id.get())
        .bind(to_milli(lots[i].remaining)?)
        .bind(read[i])
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Corrupt(format!(
                "lot {} changed behind the balance lock",
                lots[i].lot_id
            )));
        }
    }
    bal.net -= total;
    bal.debt += shortfall;
    Ok(entry_id)
}

#[allow(clippy::too_many_arguments)]
async fn insert_entry(
    tx: &mut Tx,
    h: Holder,
    kind: EntryKind,
    points: i64,
    lot_id: Option<LotId>,
    shortfall: i64,
    debt_settled: i64,
    why: &Why<'_>,
    now: Timestamp,
) -> Result<EntryId, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO loyalty_entries (org_id, customer_id, program_id, kind, points, at, \
         source_kind, source_ref, rule, actor_kind, actor_id, reason, lot_id, shortfall, \
         debt_settled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         RETURNING id",
    )
    .bind(h.org_id.get())
    .bind(h.key())
    .bind(h.program_id.get())
    .bind(kind.as_str())
    .bind(points)
    .bind(to_db(now))
    .bind(why.source.kind.as_str())
    .bind(why.source.reference.as_deref())
    .bind(why.rule)
    .bind(why.actor.kind.as_str())
    .bind(why.actor.id.as_deref())
    .bind(why.reason)
    .bind(lot_id.map(LotId::get))
    .bind(shortfall)
    .bind(debt_settled)
    .fetch_one(&mut **tx)
    .await?;
    Ok(EntryId::new(id))
}

/// The holder's lots that still hold points, read inside the locking transaction.
pub(crate) async fn open_lots(tx: &mut Tx, h: Holder) -> Result<Vec<Lot>, StoreError> {
    let rows: Vec<LotRow> = sqlx::query_as(&format!(
        "SELECT {LOT_COLUMNS} FROM loyalty_lots \
         WHERE org_id = $1 AND customer_id = $2 AND program_id = $3 AND remaining > 0"
    ))
    .bind(h.org_id.get())
    .bind(h.key())
    .bind(h.program_id.get())
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter().map(rows::lot).collect()
}

impl LoyaltyRepo<'_> {
    fn holder(ctx: &LoyaltyContext, entity: EarningEntity, program_id: ProgramId) -> Holder {
        Holder {
            org_id: ctx.org.id,
            entity,
            program_id,
        }
    }

    /// Credits points to a customer or group in a program (the org's default when `None`).
    pub async fn credit(
        &self,
        ctx: &LoyaltyContext,
        entity: impl Into<EarningEntity>,
        program_id: Option<ProgramId>,
        c: &Credit,
        now: Timestamp,
    ) -> Result<Posted, StoreError> {
        c.kind.check_credit(c.points)?;
        let program = ctx.program(program_id)?;
        let h = Self::holder(ctx, entity.into(), program.id);
        let expires_at = c
            .expires_at
            .unwrap_or_else(|| program.expiry.expiry_instant(now, &ctx.org.time_zone));
        let why = Why {
            source: &c.source,
            rule: c.rule.as_deref(),
            actor: &c.actor,
            reason: c.reason.as_deref(),
        };
        let mut tx = self.0.begin().await?;
        let mut bal = balance::lock(&mut tx, h, now).await?;
        let (entry_id, lot_id) = post_credit(
            &mut tx, h, &mut bal, c.kind, c.points, expires_at, &why, now,
        )
        .await?;
        balance::save(&mut tx, h, &bal, now).await?;
        tx.commit().await?;
        Ok(Posted {
            repeated: false,
            entry_id,
            points: c.points,
            lot_id: Some(lot_id),
            expires_at,
            allocations: Vec::new(),
        })
    }

    /// Debits points, oldest-expiring lot first; 813 when the usable balance is short.
    pub async fn debit(
        &self,
        ctx: &LoyaltyContext,
        entity: impl Into<EarningEntity>,
        program_id: Option<ProgramId>,
        d: &Debit,
        now: Timestamp,
    ) -> Result<Posted, StoreError> {
        d.kind.check_debit(d.points)?;
        let program = ctx.program(program_id)?;
        let h = Self::holder(ctx, entity.into(), program.id);
        let why = Why {
            source: &d.source,
            rule: d.rule.as_deref(),
            actor: &d.actor,
            reason: d.reason.as_deref(),
        };
        let mut tx = self.0.begin().await?;
        let mut bal = balance::lock(&mut tx, h, now).await?;
        if d.once {
            // Under the holder's balance lock, so two concurrent repeats cannot both pass.
            let first: Option<(i64, i64)> = sqlx::query_as(
                "SELECT id, points FROM loyalty_entries WHERE org_id = $1 AND customer_id = $2 \
                 AND program_id = $3 AND kind = $4 AND source_kind = $5 AND source_ref = $6 \
                 ORDER BY id LIMIT 1",
            )
            .bind(h.org_id.get())
            .bind(h.key())
            .bind(h.program_id.get())
            .bind(d.kind.as_str())
            .bind(d.source.kind.as_str())
            .bind(d.source.reference.as_deref())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((id, points)) = first {
                return Ok(Posted {
                    repeated: true,
                    entry_id: EntryId::new(id),
                    points: from_milli(points),
                    lot_id: None,
                    expires_at: None,
                    allocations: Vec::new(),
                });
            }
        }
        let mut lots = open_lots(&mut tx, h).await?;
        let allocations =
            rules::allocate_debit(&lots, d.points, now).map_err(LoyaltyError::from)?;
        let entry_id = post_debit(
            &mut tx,
            h,
            &mut bal,
            d.kind,
            &mut lots,
            &allocations,
            Decimal::ZERO,
            &why,
            now,
        )
        .await?;
        balance::save(&mut tx, h, &bal, now).await?;
        tx.commit().await?;
        Ok(Posted {
            repeated: false,
            entry_id,
            points: -d.points,
            lot_id: None,
            expires_at: None,
            allocations,
        })
    }

    /// Writes off every lot of the org whose expiry has passed, one entry per customer and
    /// program, each in its own transaction. Expired lots are left with nothing, so a
    /// second run finds nothing to do.
    pub async fn expire_due(&self, org_id: OrgId, now: Timestamp) -> Result<ExpiryRun, StoreError> {
        let holders: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT DISTINCT customer_id, program_id FROM loyalty_lots \
             WHERE org_id = $1 AND remaining > 0 AND expires_at IS NOT NULL AND expires_at < $2",
        )
        .bind(org_id.get())
        .bind(to_db(now))
        .fetch_all(self.0.reader())
        .await?;
        let source = EntrySource::bare(SourceKind::ExpiryJob);
        let actor = Actor::system();
        let why = Why {
            source: &source,
            rule: None,
            actor: &actor,
            reason: Some("points expired"),
        };
        let mut run = ExpiryRun::default();
        for (key, program_id) in holders {
            let h = Holder {
                org_id,
                entity: entity_of(key),
                program_id: ProgramId::new(program_id),
            };
            let mut tx = self.0.begin().await?;
            let mut bal = balance::lock(&mut tx, h, now).await?;
            let mut lots = open_lots(&mut tx, h).await?;
            let due = rules::expire_due(&lots, now);
            if due.is_empty() {
                continue;
            }
            post_debit(
                &mut tx,
                h,
                &mut bal,
                EntryKind::Expiry,
                &mut lots,
                &due,
                Decimal::ZERO,
                &why,
                now,
            )
            .await?;
            balance::save(&mut tx, h, &bal, now).await?;
            tx.commit().await?;
            run.entries += 1;
            run.lots += due.len();
            run.points += due.iter().map(|a| a.points).sum::<Decimal>();
        }
        Ok(run)
    }

    /// Every lot of the customer or group in the program, spent or not, in id order.
    pub async fn lots(
        &self,
        org_id: OrgId,
        entity: impl Into<EarningEntity>,
        program_id: ProgramId,
    ) -> Result<Vec<Lot>, StoreError> {
        let rows: Vec<LotRow> = sqlx::query_as(&format!(
            "SELECT {LOT_COLUMNS} FROM loyalty_lots \
             WHERE org_id = $1 AND customer_id = $2 AND program_id = $3 ORDER BY id"
        ))
        .bind(org_id.get())
        .bind(entity_key(entity.into()))
        .bind(program_id.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter().map(rows::lot).collect()
    }

    /// Spendable points at `now` (lots not yet expired), debt, and their net.
    pub async fn balance(
        &self,
        org_id: OrgId,
        entity: impl Into<EarningEntity>,
        program_id: ProgramId,
        now: Timestamp,
    ) -> Result<Balance, StoreError> {
        let h = Holder {
            org_id,
            entity: entity.into(),
            program_id,
        };
        let lots = self.lots(org_id, h.entity, program_id).await?;
        let debt = balance::read(self.0.reader(), h)
            .await?
            .map(|b| from_milli(b.debt))
            .unwrap_or_default();
        Ok(rules::derive_balance(&lots, debt, now))
    }

    /// A customer's points page from one read of the lots: the balance, the expiry
    /// schedule, and the points redeemed and expired (as positive numbers).
    pub async fn points_overview(
        &self,
        org: &Org,
        entity: impl Into<EarningEntity>,
        program_id: ProgramId,
        now: Timestamp,
    ) -> Result<PointsOverview, StoreError> {
        let h = Holder {
            org_id: org.id,
            entity: entity.into(),
            program_id,
        };
        let lots = self.lots(org.id, h.entity, program_id).await?;
        let debt = balance::read(self.0.reader(), h)
            .await?
            .map(|b| from_milli(b.debt))
            .unwrap_or_default();
        let sums: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, CAST(SUM(points) AS BIGINT) FROM loyalty_entries \
             WHERE org_id = $1 AND customer_id = $2 AND program_id = $3 AND kind IN ($4, $5) \
             GROUP BY kind",
        )
        .bind(org.id.get())
        .bind(entity_key(h.entity))
        .bind(program_id.get())
        .bind(EntryKind::Redemption.as_str())
        .bind(EntryKind::Expiry.as_str())
        .fetch_all(self.0.reader())
        .await?;
        let debited = |kind: EntryKind| {
            sums.iter()
                .find(|(k, _)| k == kind.as_str())
                .map(|(_, p)| -from_milli(*p))
                .unwrap_or_default()
        };
        Ok(PointsOverview {
            balance: rules::derive_balance(&lots, debt, now),
            schedule: rules::expiry_schedule(&lots, now, &org.time_zone),
            redeemed: debited(EntryKind::Redemption),
            expired: debited(EntryKind::Expiry),
        })
    }

    /// The ledger in (time, id) order with each debit's allocations, for "explain".
    pub async fn entries(
        &self,
        org_id: OrgId,
        entity: impl Into<EarningEntity>,
        program_id: ProgramId,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let key = entity_key(entity.into());
        let rows: Vec<EntryRow> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM loyalty_entries \
             WHERE org_id = $1 AND customer_id = $2 AND program_id = $3 ORDER BY at, id"
        ))
        .bind(org_id.get())
        .bind(key)
        .bind(program_id.get())
        .fetch_all(self.0.reader())
        .await?;
        let allocs: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT a.entry_id, a.lot_id, a.points FROM loyalty_allocations a \
             JOIN loyalty_entries e ON e.org_id = a.org_id AND e.id = a.entry_id \
             WHERE e.org_id = $1 AND e.customer_id = $2 AND e.program_id = $3 \
             ORDER BY a.entry_id, a.seq",
        )
        .bind(org_id.get())
        .bind(key)
        .bind(program_id.get())
        .fetch_all(self.0.reader())
        .await?;
        rows.into_iter()
            .map(|r| {
                let mine = allocs
                    .iter()
                    .filter(|a| a.0 == r.0)
                    .map(|a| Allocation {
                        lot_id: LotId::new(a.1),
                        points: from_milli(a.2),
                    })
                    .collect();
                rows::entry(r, mine)
            })
            .collect()
    }

    /// Upcoming expiries by org-local date.
    pub async fn expiry_schedule(
        &self,
        org: &Org,
        entity: impl Into<EarningEntity>,
        program_id: ProgramId,
        now: Timestamp,
    ) -> Result<Vec<ExpiryScheduleItem>, StoreError> {
        let lots = self.lots(org.id, entity, program_id).await?;
        Ok(rules::expiry_schedule(&lots, now, &org.time_zone))
    }
}
