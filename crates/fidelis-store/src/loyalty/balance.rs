//! The per-earner (customer or group), per-program balance row: the lock every points write takes first,
//! and the cached sums and tier state kept in the same transaction as the ledger.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::groups::GroupId;
use fidelis_domain::loyalty::{EarningEntity, ProgramId, TierState};
use fidelis_domain::org::OrgId;
use jiff::Timestamp;

use super::fixed::{from_milli, to_milli};
use super::Tx;
use crate::time::{from_db, to_db};
use crate::StoreError;

/// Who a balance row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Holder {
    pub org_id: OrgId,
    pub entity: EarningEntity,
    pub program_id: ProgramId,
}

impl Holder {
    /// The earning entity's key in the ledger tables' `customer_id` column.
    pub fn key(&self) -> i64 {
        entity_key(self.entity)
    }
}

/// The ledger tables (balances, lots, entries, tier changes) key their rows by earning
/// entity in the `customer_id` column: a customer's id as it is (ids are positive), a
/// group's id negated. Every read by customer id therefore sees only that customer's
/// rows, and a group's rows only through its own key.
pub(crate) fn entity_key(e: EarningEntity) -> i64 {
    match e {
        EarningEntity::Customer(c) => c.get(),
        EarningEntity::Group(g) => -g.get(),
    }
}

/// `entity_key` back.
pub(crate) fn entity_of(key: i64) -> EarningEntity {
    if key < 0 {
        EarningEntity::Group(GroupId::new(-key))
    } else {
        EarningEntity::Customer(CustomerId::new(key))
    }
}

/// The row as locked; amounts in thousandths.
#[derive(Debug, Clone)]
pub(crate) struct BalanceRow {
    pub net: i64,
    pub debt: i64,
    pub lifetime_points: i64,
    pub lifetime_purchases: i64,
    pub tier: TierState,
}

pub(crate) type Row = (i64, i64, i64, i64, i64, i64, Option<i64>, i64);
pub(crate) const COLUMNS: &str =
    "net, debt, lifetime_points, lifetime_purchases, tier_serial, tier_since, \
                       tier_valid_until, tier_requalify_base";

pub(crate) fn from_row(r: Row) -> Result<BalanceRow, StoreError> {
    Ok(BalanceRow {
        net: r.0,
        debt: r.1,
        lifetime_points: r.2,
        lifetime_purchases: r.3,
        tier: TierState {
            serial: u32::try_from(r.4)
                .map_err(|_| StoreError::Corrupt(format!("tier serial {}", r.4)))?,
            since: from_db(r.5)?,
            valid_until: r.6.map(from_db).transpose()?,
            requalify_base: from_milli(r.7),
        },
    })
}

/// Creates the row if needed and locks it until the transaction ends, in one statement:
/// the no-op update on conflict takes the row lock on PostgreSQL (SQLite has one writer).
pub(crate) async fn lock(tx: &mut Tx, h: Holder, now: Timestamp) -> Result<BalanceRow, StoreError> {
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO loyalty_balances (org_id, customer_id, program_id, tier_since, updated_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (org_id, customer_id, program_id) \
         DO UPDATE SET updated_at = loyalty_balances.updated_at RETURNING {COLUMNS}"
    ))
    .bind(h.org_id.get())
    .bind(h.key())
    .bind(h.program_id.get())
    .bind(to_db(now))
    .fetch_one(&mut **tx)
    .await?;
    from_row(row)
}

/// Writes the row back; only valid while `lock`'s transaction is open.
pub(crate) async fn save(
    tx: &mut Tx,
    h: Holder,
    b: &BalanceRow,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE loyalty_balances SET net = $4, debt = $5, lifetime_points = $6, \
         lifetime_purchases = $7, tier_serial = $8, tier_since = $9, tier_valid_until = $10, \
         tier_requalify_base = $11, updated_at = $12 \
         WHERE org_id = $1 AND customer_id = $2 AND program_id = $3",
    )
    .bind(h.org_id.get())
    .bind(h.key())
    .bind(h.program_id.get())
    .bind(b.net)
    .bind(b.debt)
    .bind(b.lifetime_points)
    .bind(b.lifetime_purchases)
    .bind(i64::from(b.tier.serial))
    .bind(to_db(b.tier.since))
    .bind(b.tier.valid_until.map(to_db))
    .bind(to_milli(b.tier.requalify_base)?)
    .bind(to_db(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The row without locking, for reads.
pub(crate) async fn read(
    pool: &sqlx::AnyPool,
    h: Holder,
) -> Result<Option<BalanceRow>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM loyalty_balances \
         WHERE org_id = $1 AND customer_id = $2 AND program_id = $3"
    ))
    .bind(h.org_id.get())
    .bind(h.key())
    .bind(h.program_id.get())
    .fetch_optional(pool)
    .await?;
    row.map(from_row).transpose()
}
