//! Recording a transaction (the single POST and each bulk item), and reading one back.
//!
//! A mixed bill (a REGULAR bill whose line items include `RETURN` lines, each naming its
//! parent bill number) is recorded as the purchase plus one LINE_ITEM return per returned
//! line. Every parent bill must exist before anything is written (625); a return line
//! refused after the purchase was recorded (e.g. 627, more than is returnable) comes back
//! as a warning, and the purchase stands.

use fidelis_domain::customers::CustomerId;
use fidelis_domain::loyalty::details::DetailsPatch;
use fidelis_domain::loyalty::transaction::{outlier_status, OutlierStatus};
use fidelis_domain::loyalty::{EarningEntity, LoyaltyError, ReturnType, TransactionType};
use fidelis_domain::org::Entity;
use fidelis_store::incentives::Redeemed;
use fidelis_store::loyalty::{BillAward, BillRecord, NewBill, NewReturn, ReturnResult};
use fidelis_store::Unit;
use jiff::Timestamp;
use rust_decimal::Decimal;

use super::{Ctx, Customer, Ident, Loyalty};
use crate::groups::GroupRef;
use crate::incentives::{CodeAsk, RedeemInput};
use crate::AppError;

/// A checked transaction as the caller sent it.
#[derive(Debug, Clone)]
pub struct BillInput {
    pub kind: TransactionType,
    pub bill_number: String,
    pub amount: Option<Decimal>,
    pub billed_at: Option<Timestamp>,
    pub return_type: Option<ReturnType>,
    pub outlier: Option<OutlierStatus>,
    pub lines: Vec<LineInput>,
    /// The JSON document stored with the bill and echoed on reads.
    pub details: String,
    /// The group the bill is made for (`userGroup2Id`, …): it earns the bill's points.
    pub group: Option<GroupRef>,
    /// Codes redeemed with a REGULAR bill (`redeemCoupons`), in the bill's transaction.
    pub coupons: Vec<CodeAsk>,
}

/// A line item: what the rules look at, and the line as sent (JSON text).
#[derive(Debug, Clone)]
pub struct LineInput {
    pub kind: Option<TransactionType>,
    pub amount: Option<Decimal>,
    pub parent_bill_number: Option<String>,
    pub return_type: Option<ReturnType>,
    pub raw: String,
}

/// What recording a transaction did.
#[derive(Debug)]
pub struct Outcome {
    pub id: i64,
    pub customer: Option<Customer>,
    pub bill_number: String,
    pub billed_at: Timestamp,
    pub award: Option<BillAward>,
    /// A RETURN's reversal, or the reversals of a mixed bill's returned lines.
    pub returns: Vec<ReturnResult>,
    /// Refused return lines of a mixed bill.
    pub warnings: Vec<AppError>,
    /// The codes redeemed with the bill.
    pub redemptions: Vec<Redeemed>,
}

/// The bill to store for `bill`, made by the caller's till for `customer_id`.
/// The bill `customer` makes (transactions blocked for their status are refused, 8084's
/// kin; an outlier customer's bill is recorded as an outlier).
fn customer_bill(
    ctx: &Ctx,
    customer: &Customer,
    bill: &BillInput,
    now: Timestamp,
) -> Result<NewBill, AppError> {
    if !customer.status.accepts_transactions() {
        return Err(LoyaltyError::TransactionsBlocked.into());
    }
    if bill.amount.is_none() {
        return Err(LoyaltyError::InvalidInput("billAmount is required".into()).into());
    }
    let outlier = customer.status.is_outlier_for_transactions();
    Ok(new_bill(
        ctx,
        bill,
        customer.id,
        outlier,
        bill.billed_at.unwrap_or(now),
    ))
}

fn new_bill(
    ctx: &Ctx,
    bill: &BillInput,
    customer_id: CustomerId,
    outlier_customer: bool,
    billed_at: Timestamp,
) -> NewBill {
    NewBill {
        customer_id,
        program_id: None,
        bill_number: bill.bill_number.clone(),
        store_id: ctx.caller.store_id,
        till_id: ctx.caller.till_id,
        billed_at,
        amount: bill.amount.unwrap_or_default(),
        outlier_status: outlier_status(bill.outlier, outlier_customer),
        actor: ctx.actor(),
        details: bill.details.clone(),
    }
}

/// A RETURN line of a mixed bill, with its parent bill.
struct ReturnedLine {
    bill_id: i64,
    parent: String,
    kind: ReturnType,
    amount: Decimal,
    raw: String,
}

/// A transaction with the store and till it was recorded at.
#[derive(Debug, Clone)]
pub struct TransactionView {
    pub bill: BillRecord,
    pub store: Option<Entity>,
    pub till: Option<Entity>,
}

impl Loyalty<'_> {
    /// Finds the customer a transaction names. REGULAR and RETURN need one; a NOT_INTERESTED
    /// bill may name one it is then filed under, and otherwise has none.
    async fn customer(
        &self,
        ctx: &Ctx,
        who: &Ident,
        kind: TransactionType,
    ) -> Result<Option<Customer>, AppError> {
        if !who.given() {
            return if kind.needs_customer() {
                Err(LoyaltyError::CustomerIdentifierRequired.into())
            } else {
                Ok(None)
            };
        }
        let c = match self.find_customer(ctx, who).await {
            Ok(c) => c,
            // An unknown customer does not stop a NOT_INTERESTED bill; a failure to look does.
            Err(AppError::Customers(_)) if !kind.needs_customer() => return Ok(None),
            Err(e) => return Err(e),
        };
        if !c.status.accepts_transactions() {
            return Err(LoyaltyError::TransactionsBlocked.into());
        }
        Ok(Some(c))
    }

    /// Records one transaction for the customer `who` names.
    pub async fn record_transaction(
        &self,
        ctx: &Ctx,
        who: &Ident,
        bill: BillInput,
    ) -> Result<Outcome, AppError> {
        let now = self.app.now();
        let customer = self.customer(ctx, who, bill.kind).await?;
        let billed_at = bill.billed_at.unwrap_or(now);
        let mut out = Outcome {
            id: 0,
            customer: customer.clone(),
            bill_number: bill.bill_number.clone(),
            billed_at,
            award: None,
            returns: Vec::new(),
            warnings: Vec::new(),
            redemptions: Vec::new(),
        };
        if !bill.coupons.is_empty() && bill.kind != TransactionType::Regular {
            return Err(LoyaltyError::InvalidInput(
                "redeemCoupons is accepted with REGULAR bills only".into(),
            )
            .into());
        }
        let caller = &ctx.caller;
        let outlier = customer
            .as_ref()
            .is_some_and(|c| c.status.is_outlier_for_transactions());
        let new_bill =
            |customer_id: CustomerId| new_bill(ctx, &bill, customer_id, outlier, billed_at);
        let repo = self.app.db.loyalty();
        match (bill.kind, &customer) {
            (TransactionType::Regular, Some(c)) => {
                if bill.amount.is_none() {
                    return Err(LoyaltyError::InvalidInput("billAmount is required".into()).into());
                }
                // A group that cannot take the bill (unknown, deleted, the customer not a
                // member) does not lose the sale: the customer earns, with a warning.
                let earner = match &bill.group {
                    Some(g) => match self.app.groups().bill_group(ctx, g, c.id).await {
                        Ok(group) => EarningEntity::Group(group),
                        Err(e) if !e.is_internal() => {
                            out.warnings.push(e);
                            EarningEntity::Customer(c.id)
                        }
                        Err(e) => return Err(e),
                    },
                    None => EarningEntity::Customer(c.id),
                };
                let returned = self.returned_lines(ctx, c.id, &bill).await?;
                let award = if bill.coupons.is_empty() {
                    repo.record_bill_as(&ctx.loyalty, &new_bill(c.id), earner, now)
                        .await?
                } else {
                    // The bill and its coupons: both, or (a code refused) neither.
                    let incentives = self.app.incentives();
                    let ictx = incentives.context(&ctx.caller).await?;
                    let redeem = RedeemInput {
                        codes: bill.coupons.clone(),
                        bill_amount: bill.amount.unwrap_or_default(),
                        transaction_number: Some(bill.bill_number.clone()),
                        at: Some(billed_at),
                    };
                    let mut unit = self.app.db.unit().await?;
                    let award = repo
                        .record_bill_as_in(&mut unit, &ctx.loyalty, &new_bill(c.id), earner, now)
                        .await?;
                    out.redemptions = incentives.redeem_in(&mut unit, &ictx, c, &redeem).await?;
                    unit.commit().await?;
                    award
                };
                out.id = award.transaction_id;
                out.award = Some(award);
                for line in returned {
                    let ret = NewReturn {
                        customer_id: c.id,
                        bill_id: line.bill_id,
                        bill_number: line.parent,
                        return_type: line.kind,
                        amount: line.amount,
                        returned_at: billed_at,
                        actor: ctx.actor(),
                        // The returned line as sent, and the mixed bill it came with.
                        details: format!(
                            r#"{{"lineItems":[{}],"mixedBillId":{}}}"#,
                            line.raw, out.id
                        ),
                        store_id: caller.store_id,
                        till_id: caller.till_id,
                    };
                    match repo.record_return(&ctx.loyalty, &ret, now).await {
                        Ok(r) => out.returns.push(r),
                        Err(e) => {
                            let e = AppError::from(e);
                            if e.is_internal() {
                                return Err(e);
                            }
                            out.warnings.push(e);
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
                    ReturnType::Amount => bill.amount.ok_or_else(|| {
                        LoyaltyError::InvalidInput("billAmount is required".into())
                    })?,
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
                    details: bill.details.clone(),
                    store_id: caller.store_id,
                    till_id: caller.till_id,
                };
                let r = repo.record_return(&ctx.loyalty, &ret, now).await?;
                out.id = r.transaction_id;
                out.returns.push(r);
            }
            (kind, Some(c)) => {
                out.id = repo
                    .record_not_interested(&ctx.loyalty, &new_bill(c.id), kind, now)
                    .await?;
            }
            (kind, None) => {
                // Filed under no customer (customer id 0 in storage).
                out.id = repo
                    .record_not_interested(&ctx.loyalty, &new_bill(CustomerId::new(0)), kind, now)
                    .await?;
            }
        }
        Ok(out)
    }

    /// A REGULAR bill of a known customer as one step of `unit`, so many bills (a
    /// dataflow's rows) share one unit of work with their exactly-once keys. Groups, coupons
    /// and return lines stay with `record_transaction`.
    pub async fn record_bill_in(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        customer: &Customer,
        bill: &BillInput,
    ) -> Result<BillAward, AppError> {
        let now = self.app.now();
        let nb = customer_bill(ctx, customer, bill, now)?;
        let earner = EarningEntity::Customer(customer.id);
        Ok(self
            .app
            .db
            .loyalty()
            .record_bill_as_in(unit, &ctx.loyalty, &nb, earner, now)
            .await?)
    }

    /// `record_bill_in` for many bills at once, written set-based (imports); one answer
    /// per bill, in order. An `Err` of the whole is a failure of storage.
    pub async fn record_bills_in(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        bills: &[(Customer, BillInput)],
    ) -> Result<Vec<Result<BillAward, AppError>>, AppError> {
        let now = self.app.now();
        let mut answers: Vec<Option<Result<BillAward, AppError>>> = Vec::with_capacity(bills.len());
        let mut admitted = Vec::with_capacity(bills.len());
        let mut at = Vec::with_capacity(bills.len());
        for (i, (customer, bill)) in bills.iter().enumerate() {
            match customer_bill(ctx, customer, bill, now) {
                Ok(nb) => {
                    admitted.push((nb, EarningEntity::Customer(customer.id)));
                    at.push(i);
                    answers.push(None);
                }
                Err(e) => answers.push(Some(Err(e))),
            }
        }
        let written = self
            .app
            .db
            .loyalty()
            .record_bills_in(unit, &ctx.loyalty, &admitted, now)
            .await?;
        for (i, answer) in at.into_iter().zip(written) {
            answers[i] = Some(answer.map_err(AppError::from));
        }
        Ok(answers.into_iter().flatten().collect())
    }

    /// The RETURN lines of a mixed bill, each with its parent bill (625 when one is missing).
    async fn returned_lines(
        &self,
        ctx: &Ctx,
        customer_id: CustomerId,
        bill: &BillInput,
    ) -> Result<Vec<ReturnedLine>, AppError> {
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
            let found = self
                .app
                .db
                .loyalty()
                .find_bill(ctx.loyalty.org.id, customer_id, &parent)
                .await?
                .ok_or(LoyaltyError::BillNotFound)?;
            out.push(ReturnedLine {
                bill_id: found.id,
                parent,
                kind: l.return_type.unwrap_or(ReturnType::LineItem),
                amount: l.amount.unwrap_or_default(),
                raw: l.raw.clone(),
            });
        }
        Ok(out)
    }

    /// Updates a transaction's delivery status, extended and custom fields (points do not
    /// change); the merge happens under the row's lock, so concurrent updates keep each other.
    pub async fn update_transaction(
        &self,
        ctx: &Ctx,
        id: &str,
        kind: TransactionType,
        patch: &DetailsPatch,
    ) -> Result<i64, AppError> {
        let id = id
            .trim()
            .parse::<i64>()
            .map_err(|_| LoyaltyError::BillNotFound)?;
        self.app
            .db
            .loyalty()
            .update_bill_details(ctx.loyalty.org.id, id, kind, patch)
            .await?;
        Ok(id)
    }

    /// A transaction of `kind` by id (625 when there is none of that type).
    pub async fn transaction(
        &self,
        ctx: &Ctx,
        id: &str,
        kind: TransactionType,
    ) -> Result<BillRecord, AppError> {
        let id = id
            .trim()
            .parse::<i64>()
            .map_err(|_| LoyaltyError::BillNotFound)?;
        Ok(self
            .app
            .db
            .loyalty()
            .bill(ctx.loyalty.org.id, id)
            .await?
            .filter(|b| b.txn_type == kind.as_str())
            .ok_or(LoyaltyError::BillNotFound)?)
    }

    /// `transaction`, with its store and till.
    pub async fn transaction_view(
        &self,
        ctx: &Ctx,
        id: &str,
        kind: TransactionType,
    ) -> Result<TransactionView, AppError> {
        let bill = self.transaction(ctx, id, kind).await?;
        let orgs = self.app.db.orgs();
        let org = ctx.loyalty.org.id;
        let store = match bill.store_id {
            Some(id) => orgs.entity(org, id).await?,
            None => None,
        };
        let till = match bill.till_id {
            Some(id) => orgs.entity(org, id).await?,
            None => None,
        };
        Ok(TransactionView { bill, store, till })
    }
}
