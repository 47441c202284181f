//! Bills by the thousand (Connect+ imports): the same checks, rules and rows as
//! `record_bill_as_in`, written set-based, a handful of statements per batch instead of
//! several per bill.
//!
//! A batch runs in order: the bills' earners' balance rows are created and locked in one
//! statement and read in another, bill numbers are claimed in one upsert (the same
//! take-over rule as one bill's claim, so a duplicate within the window is refused, 604),
//! the awards are decided in memory by `bill_effect` bill after bill (a bill sees the tier
//! its predecessors reached), and bills, lots, entries and balances are written one
//! statement per table.
//! A number that repeats inside the batch starts a new segment, so every claim meets the
//! holder it would meet one bill at a time.

use std::collections::{BTreeMap, HashSet};

use fidelis_domain::loyalty::ledger::{EntryKind, EntrySource, LotId};
use fidelis_domain::loyalty::transaction::NewBill;
use fidelis_domain::loyalty::{EarningEntity, LoyaltyError, Program, TierChange, TransactionType};
use fidelis_domain::org::EntityId;
use jiff::Timestamp;
use sqlx::Arguments as _;

use super::balance::{self, Holder};
use super::bills::{admit, bill_effect, member_column, tier_change_kind, BillAward};
use super::fixed::{from_milli, to_milli};
use super::{LoyaltyContext, LoyaltyRepo};
use crate::batch::{
    execute, fetch_all, fetch_all_with, fetch_json, reserve_ids, Cell, Col, Own, Plan, Rows,
};
use crate::time::to_db;
use crate::{Backend, StoreError, Unit};

/// One bill's answer: its award, or the rule that refused it (nothing of it was written).
pub type BillAnswer = Result<BillAward, StoreError>;

impl LoyaltyRepo<'_> {
    /// Records `bills` (each with who earns it) in `unit`, in order; one answer per bill.
    /// An `Err` of the whole is a failure of storage: the unit must be rolled back.
    pub async fn record_bills_in(
        &self,
        unit: &mut Unit,
        ctx: &LoyaltyContext,
        bills: &[(NewBill, EarningEntity)],
        now: Timestamp,
    ) -> Result<Vec<BillAnswer>, StoreError> {
        let mut answers: Vec<Option<BillAnswer>> = Vec::with_capacity(bills.len());
        let mut segment: Vec<(usize, &Program)> = Vec::new();
        let mut numbers: HashSet<(String, String)> = HashSet::new();
        for (i, (bill, _)) in bills.iter().enumerate() {
            match admit(ctx, bill, now) {
                Err(e) => answers.push(Some(Err(e))),
                Ok(program) => {
                    let key = number_key(ctx, bill);
                    if numbers.contains(&key) {
                        write_segment(unit, ctx, bills, &segment, now, &mut answers).await?;
                        segment.clear();
                        numbers.clear();
                    }
                    numbers.insert(key);
                    segment.push((i, program));
                    answers.push(None);
                }
            }
        }
        write_segment(unit, ctx, bills, &segment, now, &mut answers).await?;
        answers
            .into_iter()
            .map(|a| a.ok_or_else(|| StoreError::Corrupt("a batch bill was not answered".into())))
            .collect()
    }
}

/// A bill number's claim key: its scope and number.
fn number_key(ctx: &LoyaltyContext, bill: &NewBill) -> (String, String) {
    let rule = &ctx.settings.bill_numbers;
    (
        rule.scope_key(bill.store_id, bill.till_id),
        bill.number().to_string(),
    )
}

/// Writes the admitted bills `segment` (indexes into `bills`; no bill number twice) and
/// answers them.
async fn write_segment(
    unit: &mut Unit,
    ctx: &LoyaltyContext,
    bills: &[(NewBill, EarningEntity)],
    segment: &[(usize, &Program)],
    now: Timestamp,
    answers: &mut [Option<BillAnswer>],
) -> Result<(), StoreError> {
    if segment.is_empty() {
        return Ok(());
    }
    let org = ctx.org.id;
    let holder = |i: usize, p: &Program| Holder {
        org_id: org,
        entity: bills[i].1,
        program_id: p.id,
    };
    let mut balances = lock_balances(unit, segment.iter().map(|(i, p)| holder(*i, p)), now).await?;
    let txn_ids = reserve_ids(unit, "loyalty_transactions", segment.len()).await?;
    let won = claim_numbers(unit, ctx, bills, segment, &txn_ids).await?;

    // The awards, bill after bill, on the balances as locked.
    let mut txns = Rows::with_capacity(segment.len());
    let mut tier_changes = Rows::with_capacity(0);
    let mut credits = Vec::new();
    let mut awards = Vec::with_capacity(segment.len());
    for (k, (i, program)) in segment.iter().enumerate() {
        let (bill, earner) = &bills[*i];
        let txn_id = txn_ids[k];
        if !won.contains(&txn_id) {
            answers[*i] = Some(Err(LoyaltyError::DuplicateBill.into()));
            continue;
        }
        let h = holder(*i, program);
        let (bal, _) = balances
            .get_mut(&(h.key(), h.program_id.get()))
            .ok_or_else(|| StoreError::Corrupt("a batch balance was not locked".into()))?;
        let effect = bill_effect(program, bill, bal, now, &ctx.org.time_zone)?;
        txns.push([
            txn_id.into(),
            h.key().into(),
            h.program_id.get().into(),
            bill.number().into(),
            bill.store_id.map(EntityId::get).into(),
            bill.till_id.map(EntityId::get).into(),
            to_db(bill.billed_at).into(),
            to_milli(bill.amount)?.into(),
            bill.outlier_status.as_str().into(),
            bill.details.as_str().into(),
            to_milli(effect.earn.award.raw)?.into(),
            to_milli(effect.earn.award.awarded)?.into(),
            member_column(*earner, bill.customer_id).into(),
        ]);
        if let Some((milli, settled)) = effect.credit {
            credits.push((k, h, milli, settled, effect.earn.expires_at));
        }
        if let Some(c) = &effect.tier_change {
            tier_changes.push(tier_change_row(h, c, &EntrySource::bill(txn_id))?);
        }
        awards.push((
            *i,
            BillAward {
                transaction_id: txn_id,
                earner: *earner,
                program_id: program.id,
                raw_points: effect.earn.award.raw,
                points: effect.earn.award.awarded,
                lot_id: None,
                expires_at: effect.earn.expires_at,
                tier_change: effect.tier_change,
                lifetime_purchases: from_milli(bal.lifetime_purchases),
            },
        ));
    }
    insert_bills(unit, ctx, &txns, now).await?;
    insert_tier_changes(unit, ctx, &tier_changes).await?;

    let lot_ids = reserve_ids(unit, "loyalty_lots", credits.len()).await?;
    let mut lots = Rows::with_capacity(credits.len());
    let mut entries = Rows::with_capacity(credits.len());
    let mut lot_of = BTreeMap::new();
    for ((k, h, milli, settled, expires), lot_id) in credits.iter().zip(&lot_ids) {
        let (bill, _) = &bills[segment[*k].0];
        let txn_id = txn_ids[*k].to_string();
        lot_of.insert(txn_ids[*k], *lot_id);
        lots.push([
            (*lot_id).into(),
            h.key().into(),
            h.program_id.get().into(),
            (*milli).into(),
            (milli - settled).into(),
            expires.map(to_db).into(),
            txn_id.clone().into(),
        ]);
        entries.push([
            h.key().into(),
            h.program_id.get().into(),
            (*milli).into(),
            txn_id.into(),
            bill.actor.kind.as_str().into(),
            bill.actor.id.as_deref().into(),
            (*lot_id).into(),
            (*settled).into(),
        ]);
    }
    insert_credits(unit, ctx, &lots, &entries, now).await?;
    save_balances(unit, ctx, &balances, now).await?;

    for (i, mut award) in awards {
        award.lot_id = lot_of.get(&award.transaction_id).map(|l| LotId::new(*l));
        answers[i] = Some(Ok(award));
    }
    Ok(())
}

/// The locked balance rows by (holder key, program), each with where it lies (PostgreSQL's
/// `ctid`, SQLite's `rowid`: a locked row stays put until this unit updates it).
type Balances = BTreeMap<(i64, i64), (balance::BalanceRow, Option<String>)>;

/// Creates the holders' balance rows where missing and locks them all, in key order (the
/// order every writer of several rows takes them in, so two batches never deadlock).
/// SQLite takes no row lock: the unit holds the database's write lock.
async fn lock_balances(
    unit: &mut Unit,
    holders: impl Iterator<Item = Holder>,
    now: Timestamp,
) -> Result<Balances, StoreError> {
    let mut keys = std::collections::BTreeSet::new();
    let mut org = None;
    for h in holders {
        org = Some(h.org_id);
        keys.insert((h.key(), h.program_id.get()));
    }
    let Some(org) = org else {
        return Ok(Balances::new());
    };
    let mut rows = Rows::with_capacity(keys.len());
    for (c, p) in &keys {
        rows.push([(*c).into(), (*p).into()]);
    }
    // The key (customer, program), the row's place, then the balance row's columns.
    type Locked = (
        i64,
        i64,
        Option<String>,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        Option<i64>,
        i64,
    );
    let backend = unit.backend();
    let cols = [Col::Int("c"), Col::Int("p")];
    let own: &Own<'_> = &|a| {
        a.add(org.get())?;
        a.add(to_db(now))
    };
    let found: Vec<Locked> = match backend {
        // One upsert, driven by the key's unique index whatever the table's statistics say,
        // creates the missing rows and locks the others: `DO UPDATE … WHERE false` locks a
        // conflicting row without writing a version of it. The row's one new version per
        // batch is the save's, which then fits on the row's own page (an update in place,
        // no new index entries; see migration 0025). The rows are then read, locked.
        Backend::Postgres => {
            execute(unit, backend, &rows, &cols, own, |source| {
                format!(
                    "INSERT INTO loyalty_balances (org_id, customer_id, program_id, \
                     tier_since, updated_at) SELECT $1, x.c, x.p, $2, $2 FROM {source} \
                     WHERE true ORDER BY x.c, x.p \
                     ON CONFLICT (org_id, customer_id, program_id) \
                     DO UPDATE SET updated_at = excluded.updated_at WHERE false"
                )
            })
            .await?;
            let own: &Own<'_> = &|a| a.add(org.get());
            fetch_all_with(Plan::Fresh, unit, backend, &rows, &cols, own, |source| {
                format!(
                    "SELECT customer_id, program_id, CAST(ctid AS text), {} \
                     FROM loyalty_balances WHERE org_id = $1 \
                     AND (customer_id, program_id) IN (SELECT x.c, x.p FROM {source})",
                    balance::COLUMNS,
                )
            })
            .await?
        }
        // No row locks (the unit holds the write lock): missing rows are created, then
        // all of them read as ONE row of JSON, not a row each (each returned row costs the
        // driver a hand-over between threads).
        Backend::Sqlite => {
            execute(unit, backend, &rows, &cols, own, |source| {
                format!(
                    "INSERT INTO loyalty_balances (org_id, customer_id, program_id, \
                     tier_since, updated_at) SELECT $1, x.c, x.p, $2, $2 FROM {source} \
                     WHERE true ON CONFLICT (org_id, customer_id, program_id) DO NOTHING"
                )
            })
            .await?;
            fetch_json(
                unit,
                backend,
                &rows,
                &cols,
                &|a| a.add(org.get()),
                "balance rows",
                |source| {
                    format!(
                        "SELECT json_group_array(json_array(customer_id, program_id, \
                         CAST(rowid AS TEXT), {})) FROM loyalty_balances WHERE org_id = $1 \
                         AND (customer_id, program_id) IN (SELECT x.c, x.p FROM {source})",
                        balance::COLUMNS,
                    )
                },
            )
            .await?
        }
    };
    let mut out = Balances::new();
    for r in found {
        out.insert(
            (r.0, r.1),
            (
                balance::from_row((r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10))?,
                r.2,
            ),
        );
    }
    if out.len() != keys.len() {
        return Err(StoreError::Corrupt(
            "a batch balance row was not returned".into(),
        ));
    }
    Ok(out)
}

/// Claims the segment's bill numbers for their reserved transaction ids in one upsert;
/// the ids whose claim held. A holder is taken over only outside the uniqueness window
/// (`claim_bill_number`'s rule, the window being a fixed span around each bill).
async fn claim_numbers(
    unit: &mut Unit,
    ctx: &LoyaltyContext,
    bills: &[(NewBill, EarningEntity)],
    segment: &[(usize, &Program)],
    txn_ids: &[i64],
) -> Result<HashSet<i64>, StoreError> {
    let rule = &ctx.settings.bill_numbers;
    // In key order, the order in which any two batches then wait for each other's claims
    // (batches applied at once never deadlock).
    let mut claims: Vec<_> = segment
        .iter()
        .zip(txn_ids)
        .map(|((i, _), id)| {
            let bill = &bills[*i].0;
            (number_key(ctx, bill), to_db(bill.billed_at), *id)
        })
        .collect();
    claims.sort_unstable();
    let mut rows = Rows::with_capacity(claims.len());
    for ((scope, number), billed_at, id) in claims {
        rows.push([scope.into(), number.into(), billed_at.into(), id.into()]);
    }
    // Wider than any real window and far from overflowing a timestamp's arithmetic.
    let span = rule
        .window_start(Timestamp::MAX)
        .map(|start| to_db(Timestamp::MAX) - to_db(start))
        .map(|s| s.min(1 << 60));
    let backend = unit.backend();
    let cols = [Col::Text("s"), Col::Text("n"), Col::Int("b"), Col::Int("t")];
    let own: &Own<'_> = &|a| {
        a.add(ctx.org.id.get())?;
        a.add(i64::from(span.is_some()))?;
        a.add(span.unwrap_or(0))
    };
    let upsert = |source: &str| {
        format!(
            "INSERT INTO loyalty_bill_numbers (org_id, scope_key, bill_number, billed_at, \
             transaction_id) SELECT $1, x.s, x.n, x.b, x.t FROM {source} WHERE true \
             ON CONFLICT (org_id, scope_key, bill_number) DO UPDATE \
             SET billed_at = excluded.billed_at, transaction_id = excluded.transaction_id \
             WHERE $2 = 1 AND (loyalty_bill_numbers.billed_at <= excluded.billed_at - $3 \
             OR loyalty_bill_numbers.billed_at >= excluded.billed_at + $3)"
        )
    };
    let won: Vec<(i64,)> = match backend {
        Backend::Postgres => {
            fetch_all(unit, backend, &rows, &cols, own, |source| {
                format!("{} RETURNING transaction_id", upsert(source))
            })
            .await?
        }
        // The claims' holders afterwards, as ONE row of JSON (see `lock_balances`): a claim
        // held when its number's holder is the bill's own fresh id. The unit holds the
        // write lock, so nothing comes between.
        Backend::Sqlite => {
            execute(unit, backend, &rows, &cols, own, upsert).await?;
            let holders: Vec<i64> = fetch_json(
                unit,
                backend,
                &rows,
                &cols,
                &|a| a.add(ctx.org.id.get()),
                "bill-number holders",
                |source| {
                    format!(
                        "SELECT json_group_array(transaction_id) FROM loyalty_bill_numbers \
                         WHERE org_id = $1 \
                         AND (scope_key, bill_number) IN (SELECT x.s, x.n FROM {source})"
                    )
                },
            )
            .await?;
            holders.into_iter().map(|id| (id,)).collect()
        }
    };
    let ours: HashSet<i64> = txn_ids.iter().copied().collect();
    Ok(won
        .into_iter()
        .map(|(id,)| id)
        .filter(|id| ours.contains(id))
        .collect())
}

async fn insert_bills(
    unit: &mut Unit,
    ctx: &LoyaltyContext,
    rows: &Rows<13>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let backend = unit.backend();
    execute(
        unit,
        backend,
        rows,
        &[
            Col::Int("id"),
            Col::Int("c"),
            Col::Int("p"),
            Col::Text("n"),
            Col::Int("s"),
            Col::Int("t"),
            Col::Int("b"),
            Col::Int("a"),
            Col::Text("o"),
            Col::Text("d"),
            Col::Int("r"),
            Col::Int("w"),
            Col::Int("m"),
        ],
        &|a| {
            a.add(ctx.org.id.get())?;
            a.add(TransactionType::Regular.as_str())?;
            a.add(to_db(now))
        },
        |source| {
            format!(
                "INSERT INTO loyalty_transactions (id, org_id, customer_id, program_id, \
                 txn_type, bill_number, store_id, till_id, billed_at, amount, outlier_status, \
                 created_at, details, raw_points, points, member_id) \
                 SELECT x.id, $1, x.c, x.p, $2, x.n, x.s, x.t, x.b, x.a, x.o, $3, x.d, x.r, \
                 x.w, x.m FROM {source}"
            )
        },
    )
    .await
    .map(drop)
}

/// A tier change's row for [`insert_tier_changes`].
fn tier_change_row(
    h: Holder,
    c: &TierChange,
    source: &EntrySource,
) -> Result<[Cell; 10], StoreError> {
    Ok([
        h.key().into(),
        h.program_id.get().into(),
        tier_change_kind(c.kind).into(),
        i64::from(c.from).into(),
        i64::from(c.to).into(),
        to_db(c.effective_at).into(),
        c.valid_until.map(to_db).into(),
        to_milli(c.requalify_base)?.into(),
        source.kind.as_str().into(),
        source.reference.as_deref().into(),
    ])
}

/// The batch's tier changes, in one statement (one bill's go through `record_tier_change`).
async fn insert_tier_changes(
    unit: &mut Unit,
    ctx: &LoyaltyContext,
    rows: &Rows<10>,
) -> Result<(), StoreError> {
    let backend = unit.backend();
    execute(
        unit,
        backend,
        rows,
        &[
            Col::Int("c"),
            Col::Int("p"),
            Col::Text("k"),
            Col::Int("f"),
            Col::Int("t"),
            Col::Int("e"),
            Col::Int("v"),
            Col::Int("r"),
            Col::Text("sk"),
            Col::Text("sr"),
        ],
        &|a| a.add(ctx.org.id.get()),
        |source| {
            format!(
                "INSERT INTO loyalty_tier_changes (org_id, customer_id, program_id, kind, \
                 from_serial, to_serial, effective_at, valid_until, requalify_base, \
                 source_kind, source_ref) \
                 SELECT $1, x.c, x.p, x.k, x.f, x.t, x.e, x.v, x.r, x.sk, x.sr FROM {source}"
            )
        },
    )
    .await
    .map(drop)
}

/// The credits' lots and their ledger entries (`earn` credits of bills).
async fn insert_credits(
    unit: &mut Unit,
    ctx: &LoyaltyContext,
    lots: &Rows<7>,
    entries: &Rows<8>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let backend = unit.backend();
    let bill = EntrySource::bill(0);
    execute(
        unit,
        backend,
        lots,
        &[
            Col::Int("id"),
            Col::Int("c"),
            Col::Int("p"),
            Col::Int("v"),
            Col::Int("r"),
            Col::Int("e"),
            Col::Text("s"),
        ],
        &|a| {
            a.add(ctx.org.id.get())?;
            a.add(to_db(now))?;
            a.add(bill.kind.as_str())?;
            a.add("earn")
        },
        |source| {
            format!(
                "INSERT INTO loyalty_lots (id, org_id, customer_id, program_id, points, \
                 remaining, awarded_at, expires_at, source_kind, source_ref, rule, reason) \
                 SELECT x.id, $1, x.c, x.p, x.v, x.r, $2, x.e, $3, x.s, $4, NULL FROM {source}"
            )
        },
    )
    .await?;
    execute(
        unit,
        backend,
        entries,
        &[
            Col::Int("c"),
            Col::Int("p"),
            Col::Int("v"),
            Col::Text("s"),
            Col::Text("ak"),
            Col::Text("ai"),
            Col::Int("l"),
            Col::Int("d"),
        ],
        &|a| {
            a.add(ctx.org.id.get())?;
            a.add(EntryKind::Credit.as_str())?;
            a.add(to_db(now))?;
            a.add(bill.kind.as_str())
        },
        |source| {
            format!(
                "INSERT INTO loyalty_entries (org_id, customer_id, program_id, kind, points, \
                 at, source_kind, source_ref, rule, actor_kind, actor_id, reason, lot_id, \
                 shortfall, debt_settled) \
                 SELECT $1, x.c, x.p, $2, x.v, $3, $4, x.s, 'earn', x.ak, x.ai, NULL, x.l, 0, \
                 x.d FROM {source}"
            )
        },
    )
    .await
    .map(drop)
}

/// Writes the locked balance rows back in one statement.
async fn save_balances(
    unit: &mut Unit,
    ctx: &LoyaltyContext,
    balances: &Balances,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut rows = Rows::with_capacity(balances.len());
    for ((c, p), (b, at)) in balances {
        rows.push([
            (*c).into(),
            (*p).into(),
            b.net.into(),
            b.debt.into(),
            b.lifetime_points.into(),
            b.lifetime_purchases.into(),
            i64::from(b.tier.serial).into(),
            to_db(b.tier.since).into(),
            b.tier.valid_until.map(to_db).into(),
            to_milli(b.tier.requalify_base)?.into(),
            at.as_deref().into(),
        ]);
    }
    let backend = unit.backend();
    let cols = [
        Col::Int("c"),
        Col::Int("p"),
        Col::Int("net"),
        Col::Int("debt"),
        Col::Int("lp"),
        Col::Int("lu"),
        Col::Int("ts"),
        Col::Int("tsi"),
        Col::Int("tv"),
        Col::Int("tr"),
        Col::Text("at"),
    ];
    let own: &Own<'_> = &|a| {
        a.add(ctx.org.id.get())?;
        a.add(to_db(now))
    };
    // Each row where it lies (PostgreSQL's `ctid`, SQLite's `rowid`; the row is locked, so
    // it has not moved), not looked up by its key; the key is checked all the same, and
    // every row must have been written.
    let place = match backend {
        Backend::Postgres => "b.ctid = CAST(x.at AS tid)",
        Backend::Sqlite => "b.rowid = CAST(x.at AS INTEGER)",
    };
    let saved = execute(unit, backend, &rows, &cols, own, |source| {
        format!(
            "UPDATE loyalty_balances AS b SET net = x.net, debt = x.debt, \
             lifetime_points = x.lp, lifetime_purchases = x.lu, tier_serial = x.ts, \
             tier_since = x.tsi, tier_valid_until = x.tv, tier_requalify_base = x.tr, \
             updated_at = $2 FROM {source} WHERE {place} AND b.org_id = $1 \
             AND b.customer_id = x.c AND b.program_id = x.p"
        )
    })
    .await?;
    if saved != balances.len() as u64 {
        return Err(StoreError::Corrupt(format!(
            "{saved} of {} locked balance rows were saved",
            balances.len()
        )));
    }
    Ok(())
}
