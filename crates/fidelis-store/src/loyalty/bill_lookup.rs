//! Bills that earn nothing (NOT_INTERESTED and its return), finding a bill by number for a
//! return, and updating what a bill carried.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::{LoyaltyError, NewBill, TransactionType};
use fidelis_domain::org::{EntityId, OrgId};
use jiff::Timestamp;

use super::bills::{admit, bill_from_row, claim_bill_number, BillRecord, BILL_COLUMNS};
use super::fixed::to_milli;
use super::{LoyaltyContext, LoyaltyRepo};
use crate::time::to_db;
use crate::StoreError;

impl LoyaltyRepo<'_> {
    /// Stores a NOT_INTERESTED or NOT_INTERESTED_RETURN bill: kept for reporting, no
    /// points, no tier. `customer_id` 0 means no customer. A NOT_INTERESTED bill claims
    /// its number like a REGULAR one (604 on a repeat); its return reuses the number.
    pub async fn record_not_interested(
        &self,
        ctx: &LoyaltyContext,
        bill: &NewBill,
        txn_type: TransactionType,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        if !matches!(
            txn_type,
            TransactionType::NotInterested | TransactionType::NotInterestedReturn
        ) {
            return Err(LoyaltyError::InvalidTransactionType(txn_type.as_str().into()).into());
        }
        let program = admit(ctx, bill, now)?;
        let mut tx = self.0.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO loyalty_transactions (org_id, customer_id, program_id, txn_type, bill_number, \
             store_id, till_id, billed_at, amount, outlier_status, created_at, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(ctx.org.id.get())
        .bind(bill.customer_id.get())
        .bind(program.id.get())
        .bind(txn_type.as_str())
        .bind(bill.number())
        .bind(bill.store_id.map(EntityId::get))
        .bind(bill.till_id.map(EntityId::get))
        .bind(to_db(bill.billed_at))
        .bind(to_milli(bill.amount)?)
        .bind(bill.outlier_status.as_str())
        .bind(to_db(now))
        .bind(&bill.details)
        .fetch_one(&mut *tx)
        .await?;
        if txn_type.claims_bill_number()
            && !claim_bill_number(&mut tx, ctx.org.id, &ctx.settings.bill_numbers, bill, id).await?
        {
            tx.rollback().await?;
            return Err(LoyaltyError::DuplicateBill.into());
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The customer's latest REGULAR bill with this number (what a return refers to): one
    /// the customer earned, or one the customer made for a group (`member_id`).
    pub async fn find_bill(
        &self,
        org_id: OrgId,
        customer_id: CustomerId,
        bill_number: &str,
    ) -> Result<Option<BillRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {BILL_COLUMNS} FROM loyalty_transactions WHERE org_id = $1 \
             AND bill_number = $2 AND (customer_id = $3 OR member_id = $3) \
             AND txn_type = 'REGULAR' \
             ORDER BY billed_at DESC, id DESC LIMIT 1"
        ))
        .bind(org_id.get())
        .bind(bill_number.trim())
        .bind(customer_id.get())
        .fetch_optional(self.0.reader())
        .await?;
        row.map(|r| bill_from_row(&r).map(|(b, _)| b)).transpose()
    }

    /// Replaces what a bill carried (the transactions PUT); false when there is no such bill.
    pub async fn update_details(
        &self,
        org_id: OrgId,
        id: i64,
        details: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.0.begin().await?;
        let done = sqlx::query(
            "UPDATE loyalty_transactions SET details = $3 WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id.get())
        .bind(id)
        .bind(details)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
