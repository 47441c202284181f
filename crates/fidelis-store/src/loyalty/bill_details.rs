//! Changing what a bill carried (`PUT /v2/transactions`): read, merge and write in one
//! transaction with the bill's row locked, so concurrent changes each keep the other's keys.

use fidelis_domain::loyalty::details::{merge_details, DetailsPatch};
use fidelis_domain::loyalty::{LoyaltyError, TransactionType};
use fidelis_domain::org::OrgId;

use super::{LoyaltyRepo, Tx};
use crate::{StoreError, Unit};

impl LoyaltyRepo<'_> {
    /// Applies `patch` to the details of bill `id` of type `txn_type` (625 when there is
    /// none). Details that are not a JSON object are an internal error, and stay as they are.
    pub async fn update_bill_details(
        &self,
        org_id: OrgId,
        id: i64,
        txn_type: TransactionType,
        patch: &DetailsPatch,
    ) -> Result<(), StoreError> {
        let mut unit = self.0.unit().await?;
        update_tx(&mut unit, org_id, id, txn_type, patch).await?;
        unit.commit().await
    }

    /// `update_bill_details` as a step of `unit`.
    pub async fn update_bill_details_in(
        &self,
        unit: &mut Unit,
        org_id: OrgId,
        id: i64,
        txn_type: TransactionType,
        patch: &DetailsPatch,
    ) -> Result<(), StoreError> {
        unit.begin_step().await?;
        let out = update_tx(unit, org_id, id, txn_type, patch).await;
        unit.end_step(out).await
    }
}

async fn update_tx(
    tx: &mut Tx,
    org_id: OrgId,
    id: i64,
    txn_type: TransactionType,
    patch: &DetailsPatch,
) -> Result<(), StoreError> {
    let row: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT details FROM loyalty_transactions \
         WHERE org_id = $1 AND id = $2 AND txn_type = $3{}",
        tx.backend().for_update()
    ))
    .bind(org_id.get())
    .bind(id)
    .bind(txn_type.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let (stored,) = row.ok_or(LoyaltyError::BillNotFound)?;
    let details = merge_details(&stored, patch)
        .map_err(|e| StoreError::Corrupt(format!("transaction {id}: {e}")))?;
    let n =
        sqlx::query("UPDATE loyalty_transactions SET details = $3 WHERE org_id = $1 AND id = $2")
            .bind(org_id.get())
            .bind(id)
            .bind(details)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    if n != 1 {
        return Err(StoreError::Corrupt(format!(
            "transaction {id}: the details update changed {n} rows"
        )));
    }
    Ok(())
}
