//! The bills an earning entity earned, filtered and paged (the group transactions API),
//! and what became of each bill's points: issued, returned, redeemed, expired, left.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::ledger::{EntryKind, SourceKind};
use fidelis_domain::loyalty::{EarningEntity, TransactionType};
use fidelis_domain::org::OrgId;
use jiff::Timestamp;
use rust_decimal::Decimal;

use super::balance::entity_key;
use super::bills::{bill_from_row, BillRecord, BILL_COLUMNS};
use super::fixed::from_milli;
use super::LoyaltyRepo;
use crate::time::{from_db, to_db};
use crate::StoreError;

/// Which of an earner's bills to list.
#[derive(Debug, Clone, Default)]
pub struct BillFilter {
    pub kind: Option<TransactionType>,
    pub id: Option<i64>,
    pub bill_number: Option<String>,
    /// Bills made by this customer (a group's member).
    pub member: Option<CustomerId>,
    /// Billed at or after.
    pub from: Option<Timestamp>,
    /// Billed before.
    pub until: Option<Timestamp>,
    /// Oldest first; newest first otherwise.
    pub ascending: bool,
    pub offset: u32,
    pub limit: u32,
}

/// What became of the points a bill earned (its lot), as positive amounts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BillPoints {
    pub issued: Decimal,
    pub redeemed: Decimal,
    pub expired: Decimal,
    pub returned: Decimal,
    /// Still in the lot (spendable until `expires_at`).
    pub remaining: Decimal,
    pub expires_at: Option<Timestamp>,
}

impl LoyaltyRepo<'_> {
    /// The earner's bills and returns that match `f`, by billing time then id.
    pub async fn earner_bills(
        &self,
        org_id: OrgId,
        earner: EarningEntity,
        f: &BillFilter,
    ) -> Result<Vec<BillRecord>, StoreError> {
        let dir = if f.ascending { "ASC" } else { "DESC" };
        let rows = sqlx::query(&format!(
            "SELECT {BILL_COLUMNS} FROM loyalty_transactions \
             WHERE org_id = $1 AND customer_id = $2 \
             AND ($3 = '' OR txn_type = $3) AND ($4 = 0 OR id = $4) \
             AND ($5 = '' OR bill_number = $5) AND ($6 = 0 OR member_id = $6) \
             AND billed_at >= $7 AND billed_at < $8 \
             ORDER BY billed_at {dir}, id {dir} LIMIT $9 OFFSET $10"
        ))
        .bind(org_id.get())
        .bind(entity_key(earner))
        .bind(f.kind.map(TransactionType::as_str).unwrap_or(""))
        .bind(f.id.unwrap_or(0))
        .bind(f.bill_number.as_deref().map(str::trim).unwrap_or(""))
        .bind(f.member.map(CustomerId::get).unwrap_or(0))
        .bind(f.from.map(to_db).unwrap_or(i64::MIN))
        .bind(f.until.map(to_db).unwrap_or(i64::MAX))
        .bind(i64::from(f.limit))
        .bind(i64::from(f.offset))
        .fetch_all(self.0.reader())
        .await?;
        rows.iter()
            .map(|r| bill_from_row(r).map(|(b, _)| b))
            .collect()
    }

    /// What became of `bill`'s points: its lot (found through its source, the bill) and
    /// the debits that drew on it.
    pub async fn bill_points(
        &self,
        org_id: OrgId,
        bill: &BillRecord,
    ) -> Result<BillPoints, StoreError> {
        let lot: Option<(i64, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, points, remaining, expires_at FROM loyalty_lots \
             WHERE org_id = $1 AND customer_id = $2 AND program_id = $3 \
             AND source_kind = $4 AND source_ref = $5 ORDER BY id LIMIT 1",
        )
        .bind(org_id.get())
        .bind(entity_key(bill.earner()))
        .bind(bill.program_id.get())
        .bind(SourceKind::Bill.as_str())
        .bind(bill.id.to_string())
        .fetch_optional(self.0.reader())
        .await?;
        let mut out = BillPoints {
            issued: bill.points,
            returned: bill.points_reversed,
            ..BillPoints::default()
        };
        let Some((lot_id, _, remaining, expires_at)) = lot else {
            return Ok(out);
        };
        out.remaining = from_milli(remaining);
        out.expires_at = expires_at.map(from_db).transpose()?;
        let drawn: Vec<(String, i64)> = sqlx::query_as(
            "SELECT e.kind, CAST(COALESCE(SUM(a.points), 0) AS BIGINT) FROM loyalty_allocations a \
             JOIN loyalty_entries e ON e.org_id = a.org_id AND e.id = a.entry_id \
             WHERE a.org_id = $1 AND a.lot_id = $2 GROUP BY e.kind",
        )
        .bind(org_id.get())
        .bind(lot_id)
        .fetch_all(self.0.reader())
        .await?;
        for (kind, milli) in drawn {
            let points = from_milli(milli).abs();
            if kind == EntryKind::Redemption.as_str() {
                out.redeemed += points;
            } else if kind == EntryKind::Expiry.as_str() {
                out.expired += points;
            }
        }
        Ok(out)
    }
}
