//! Row ↔ domain mapping for lots and ledger entries.

use fidelis_domain::loyalty::ledger::{
    Actor, ActorKind, Allocation, EntryId, EntryKind, EntrySource, LedgerEntry, Lot, LotId,
    SourceKind,
};

use super::fixed::from_milli;
use crate::time::from_db;
use crate::StoreError;

pub(crate) const LOT_COLUMNS: &str =
    "id, points, remaining, awarded_at, expires_at, source_kind, source_ref, rule, reason";
pub(crate) type LotRow = (
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn source(kind: &str, reference: Option<String>) -> Result<EntrySource, StoreError> {
    let kind = SourceKind::parse(kind)
        .ok_or_else(|| StoreError::Corrupt(format!("ledger source kind {kind:?}")))?;
    Ok(EntrySource { kind, reference })
}

pub(crate) fn lot(r: LotRow) -> Result<Lot, StoreError> {
    Ok(Lot {
        lot_id: LotId::new(r.0),
        points: from_milli(r.1),
        remaining: from_milli(r.2),
        awarded_at: from_db(r.3)?,
        expires_at: r.4.map(from_db).transpose()?,
        source: source(&r.5, r.6)?,
        rule: r.7,
        reason: r.8,
    })
}

pub(crate) const ENTRY_COLUMNS: &str = "id, kind, points, at, source_kind, source_ref, rule, \
     actor_kind, actor_id, reason, lot_id, shortfall, debt_settled";
pub(crate) type EntryRow = (
    i64,
    String,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
    i64,
);

pub(crate) fn entry(r: EntryRow, allocations: Vec<Allocation>) -> Result<LedgerEntry, StoreError> {
    let kind = EntryKind::parse(&r.1)
        .ok_or_else(|| StoreError::Corrupt(format!("ledger entry kind {:?}", r.1)))?;
    let actor_kind = ActorKind::parse(&r.7)
        .ok_or_else(|| StoreError::Corrupt(format!("ledger actor kind {:?}", r.7)))?;
    Ok(LedgerEntry {
        entry_id: EntryId::new(r.0),
        kind,
        points: from_milli(r.2),
        at: from_db(r.3)?,
        source: source(&r.4, r.5)?,
        rule: r.6,
        actor: Actor {
            kind: actor_kind,
            id: r.8,
        },
        reason: r.9,
        lot_id: r.10.map(LotId::new),
        allocations,
        shortfall: from_milli(r.11),
        debt_settled: from_milli(r.12),
    })
}
