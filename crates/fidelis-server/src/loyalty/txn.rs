//! Recording one transaction (the single POST and each bulk item).
//!
//! A mixed bill (a REGULAR bill whose `lineItemsV2` include `RETURN` lines, each naming
//! its `parentBillNumber`) is recorded as the purchase plus one LINE_ITEM return per
//! returned line. Every parent bill must exist before anything is written (625); a return
//! line refused after the purchase was recorded (e.g. 627, more than is returnable) comes
//! back as a warning, and the purchase stands.

use axum::http::StatusCode;
use fidelis_domain::loyalty::transaction::outlier_status;
use fidelis_domain::loyalty::{LoyaltyError, ReturnType, TransactionType};
use fidelis_store::loyalty::{BillAward, NewBill, NewReturn, ReturnResult};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde_json::json;

use super::wire::Bill;
use super::{find_customer, Ctx, Customer, Ident};
use crate::{ApiError, AppState};

/// What recording a transaction did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: i64,
    pub customer: Option<Customer>,
    pub bill_number: String,
    pub billed_at: Timestamp,
    pub award: Option<BillAward>,
    /// A RETURN's reversal, or the reversals of a mixed bill's returned lines.
    pub returns: Vec<ReturnResult>,
    pub warnings: Vec<(u32, String)>,
}

fn no_identifier() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        606,
        "Customer identifier (identifierName and identifierValue) is required",
    )
}

/// Finds the customer a transaction names. REGULAR and RETURN need one; a NOT_INTERESTED
/// bill may name one it is then filed under, and otherwise has none.
async fn customer(
    state: &AppState,
    ctx: &Ctx,
    who: &Ident,
    kind: TransactionType,
) -> Result<Option<Customer>, ApiError> {
    if !who.given() {
        return if kind.needs_customer() {
            Err(no_identifier())
        } else {
            Ok(None)
        };
    }
    let c = match find_customer(state, ctx, who).await {
        Ok(c) => c,
        Err(_) if !kind.needs_customer() => return Ok(None),
        Err(e) => return Err(e),
    };
    if !c.status.accepts_transactions() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            681,
            "Transactions are blocked for this customer",
        ));
    }
    Ok(Some(c))
}

pub async fn record(
    state: &AppState,
    ctx: &Ctx,
    who: &Ident,
    bill: Bill,
) -> Result<Outcome, ApiError> {
    let now = state.now();
    let customer = customer(state, ctx, who, bill.kind).await?;
    let billed_at = bill.billed_at.unwrap_or(now);
    let mut out = Outcome {
        id: 0,
        customer: customer.clone(),
        bill_number: bill.bill_number.clone(),
        billed_at,
        award: None,
        returns: Vec::new(),
        warnings: Vec::new(),
    };
    let new_bill = |customer_id: i64| NewBill {
        customer_id,
        program_id: None,
        bill_number: bill.bill_number.clone(),
        store_id: ctx.principal.store_id,
        till_id: ctx.principal.till_id,
        billed_at,
        amount: bill.amount.unwrap_or_default(),
        outlier_status: outlier_status(
            bill.outlier,
            customer
                .as_ref()
                .is_some_and(|c| c.status.is_outlier_for_transactions()),
        ),
        actor: ctx.actor(),
        details: bill.details.to_string(),
    };
    let repo = state.db.loyalty();
    match (bill.kind, &customer) {
        (TransactionType::Regular, Some(c)) => {
            if bill.amount.is_none() {
                return Err(ApiError::invalid("Invalid input: billAmount is required"));
            }
            let returned = returned_lines(state, ctx, c.id, &bill).await?;
            let award = repo.record_bill(&ctx.loyalty, &new_bill(c.id), now).await?;
            out.id = award.transaction_id;
            out.award = Some(award);
            for (bill_id, parent, ret_type, amount, raw) in returned {
                let ret = NewReturn {
                    customer_id: c.id,
                    bill_id,
                    bill_number: parent,
                    return_type: ret_type,
                    amount,
                    returned_at: billed_at,
                    actor: ctx.actor(),
                    details: json!({"lineItems": [raw], "mixedBillId": out.id}).to_string(),
                    store_id: ctx.principal.store_id,
                    till_id: ctx.principal.till_id,
                };
                match repo.record_return(&ctx.loyalty, &ret, now).await {
                    Ok(r) => out.returns.push(r),
                    Err(e) => {
                        let e = ApiError::from(e);
                        if e.status.is_server_error() {
                            return Err(e);
                        }
                        let msg = e
                            .items
                            .first()
                            .map(|i| i.message.clone())
                            .unwrap_or_default();
                        out.warnings.push((e.first_code(), msg));
                    }
                }
            }
        }
        (TransactionType::Return, Some(c)) => {
            let return_type = bill
                .return_type
                .ok_or_else(|| LoyaltyError::InvalidReturnType("(missing)".into()))?;
            let original = repo
                .find_bill(ctx.loyalty.org.id, c.id, &bill.bill_number)
                .await?
                .ok_or(LoyaltyError::BillNotFound)?;
            let amount = match return_type {
                ReturnType::Amount => bill
                    .amount
                    .ok_or_else(|| ApiError::invalid("Invalid input: billAmount is required"))?,
                ReturnType::LineItem if !bill.lines.is_empty() => {
                    bill.lines.iter().filter_map(|l| l.amount).sum()
                }
                ReturnType::LineItem => bill.amount.unwrap_or_default(),
                ReturnType::Full | ReturnType::Cancelled => Decimal::ZERO,
            };
            let ret = NewReturn {
                customer_id: c.id,
                bill_id: original.id,
                bill_number: bill.bill_number.clone(),
                return_type,
                amount,
                returned_at: billed_at,
                actor: ctx.actor(),
                details: bill.details.to_string(),
                store_id: ctx.principal.store_id,
                till_id: ctx.principal.till_id,
            };
            let r = repo.record_return(&ctx.loyalty, &ret, now).await?;
            out.id = r.transaction_id;
            out.returns.push(r);
        }
        (kind, c) => {
            let customer_id = c.as_ref().map(|c| c.id).unwrap_or(0);
            out.id = repo
                .record_not_interested(&ctx.loyalty, &new_bill(customer_id), kind, now)
                .await?;
        }
    }
    Ok(out)
}

type Returned = (i64, String, ReturnType, Decimal, serde_json::Value);

/// The RETURN lines of a mixed bill, each with its parent bill (625 when one is missing).
async fn returned_lines(
    state: &AppState,
    ctx: &Ctx,
    customer_id: i64,
    bill: &Bill,
) -> Result<Vec<Returned>, ApiError> {
    let mut out = Vec::new();
    for l in bill
        .lines
        .iter()
        .filter(|l| l.kind == Some(TransactionType::Return))
    {
        let parent = l
            .parent_bill_number
            .clone()
            .ok_or(LoyaltyError::BillNotFound)?;
        let found = state
            .db
            .loyalty()
            .find_bill(ctx.loyalty.org.id, customer_id, &parent)
            .await?
            .ok_or(LoyaltyError::BillNotFound)?;
        let amount = l.amount.unwrap_or_default();
        let kind = l.return_type.unwrap_or(ReturnType::LineItem);
        out.push((found.id, parent, kind, amount, l.raw.clone()));
    }
    Ok(out)
}
