//! The connect context: the rows of Connect+ dataflows applied through the same commands
//! as the API (registration, bills, redemptions, goodwill), so points, tiers, coupons and
//! side effects happen exactly as they do for a till, and run reports.
//!
//! Exactly once: [`Connect::apply`] takes a batch of records (a data row, or the rows of
//! one merged bill) and applies them in ONE unit of work together with their keys
//! (dataflow, file digest, row number; see `fidelis_store::connect`). A record whose key is
//! already stored is answered [`Applied::AlreadyApplied`] and not applied again; a record
//! refused by a rule is undone on its own (its key too), so the rest of the batch commits.
//! A crash mid-batch leaves neither the batch's effects nor its keys.
//!
//! Bills (the transaction templates) are written set-based, a handful of statements per
//! batch (`Loyalty::record_bills_in`): a refused bill writes nothing, so it needs no
//! savepoint. Their customers are looked up before the unit begins (no write lock held
//! while reading), and on PostgreSQL a batch is written in two parts at once
//! ([`Connect::parallel_parts`]). The other templates run each record as a step of the unit.

mod customers;
mod rewards;
mod runs;
mod transactions;

use std::collections::{BTreeMap, HashMap};

use fidelis_domain::connect::{ConnectError, Template};
use fidelis_domain::error::CodedError;
use fidelis_domain::org::{OrgId, Permissions};
use fidelis_store::Unit;
use jiff::Timestamp;

pub use runs::{accuracy, RunPage, MAX_PAGE};

use crate::loyalty::{BillInput, Customer};
use crate::{App, AppError, Caller};

/// One effect of a file: a data row, or the consecutive rows of one bill merged
/// (`transaction-line-item-merge`).
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// The file's row numbers this record stands for (from 1, the header not counted).
    pub rows: Vec<u64>,
    /// API field → value, as the dataflow mapped them (the first row's, when merged).
    pub fields: BTreeMap<String, String>,
    /// Date fields read as instants.
    pub dates: BTreeMap<String, Timestamp>,
    /// The line-item fields of each merged row (`lineItem.*`).
    pub lines: Vec<BTreeMap<String, String>>,
}

impl Record {
    /// The value naming the record's customer (its first identifier field, in the order
    /// the templates try them): records with the same key are one customer's.
    pub fn customer_key(&self) -> Option<&str> {
        transactions::IDENTIFIERS
            .iter()
            .find_map(|n| field(self, n).map(str::trim))
    }
}

/// A record with what applying it needs, read before its unit ([`Connect::prepare`]).
#[derive(Debug, Clone)]
pub struct Ready {
    pub record: Record,
    /// The bill templates' customer and bill, or why the record has none.
    bill: Option<Result<(Customer, BillInput), Refused>>,
}

/// Why a record was refused (the API's code and message), kept to answer it.
#[derive(Debug, Clone)]
struct Refused {
    code: String,
    message: String,
}

impl Refused {
    fn of(e: &AppError) -> Self {
        Refused {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }

    /// A step's answer: a refusal by a rule is the record's; a failure of ours the batch's.
    fn unless_internal(r: Result<i64, AppError>) -> Result<Result<i64, Refused>, AppError> {
        match r {
            Ok(id) => Ok(Ok(id)),
            Err(e) if e.is_internal() => Err(e),
            Err(e) => Ok(Err(Refused::of(&e))),
        }
    }
}

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Applied now; the id of what it made (customer, bill, redemption, request).
    Done { id: i64 },
    /// Its key was stored by an earlier run: applied then, not again.
    AlreadyApplied,
    /// Refused, with the API's code and message.
    Failed { code: String, message: String },
}

/// What applying rows needs, loaded once per run (and per till for rows naming theirs).
pub struct Ctx {
    pub template: Template,
    pub caller: Caller,
    pub customers: crate::customers::Ctx,
    pub loyalty: crate::loyalty::Ctx,
    pub incentives: crate::incentives::Ctx,
}

/// The connect operations of an `App`.
pub struct Connect<'a> {
    app: &'a App,
}

impl App {
    pub fn connect(&self) -> Connect<'_> {
        Connect { app: self }
    }
}

/// Customers found in one batch, by identifier, so a file's repeated customers are looked
/// up once per batch.
type Found = HashMap<(String, String), Customer>;

impl Connect<'_> {
    /// The org with `code`.
    pub async fn org(&self, code: &str) -> Result<OrgId, AppError> {
        Ok(self
            .app
            .orgs
            .by_code(self.app, code)
            .await?
            .ok_or_else(|| ConnectError::InvalidInput(format!("no org has the code `{code}`")))?
            .org
            .id)
    }

    /// The org of the till `code` (till codes are unique across the deployment).
    pub async fn org_of_till(&self, code: &str) -> Result<Option<OrgId>, AppError> {
        Ok(self.app.db.orgs().till_login(code).await?.map(|l| l.org_id))
    }

    /// The context of rows of `template` attributed to `till` of org `org_id`: the dataflow
    /// acts as that till, with full access (whoever runs it holds the database).
    pub async fn context(
        &self,
        org_id: OrgId,
        template: Template,
        till: &str,
    ) -> Result<Ctx, AppError> {
        let mut caller = Caller {
            org_id,
            till_id: None,
            till_code: None,
            store_id: None,
            client_id: None,
            permissions: Permissions::full(),
        };
        self.app.attribute(&mut caller, None, till).await?;
        Ok(Ctx {
            template,
            customers: self.app.customers().context(&caller).await?,
            loyalty: self.app.loyalty().context(&caller).await?,
            incentives: self.app.incentives().context(&caller).await?,
            caller,
        })
    }

    /// Into how many parts a batch of `ctx`'s records may be split by customer
    /// ([`Record::customer_key`]) and applied at once, each part in a unit of its own: two
    /// for bills on PostgreSQL (the server writes both at once, on two connections), else
    /// one (SQLite writes one unit at a time: two parts measured 5–10 % slower than one;
    /// the other templates keep the file's order).
    pub fn parallel_parts(&self, ctx: &Ctx) -> usize {
        match (ctx.template.records_bills(), self.app.db.backend()) {
            (true, fidelis_store::Backend::Postgres) => 2,
            _ => 1,
        }
    }

    /// The id standing for (dataflow, file digest) in row keys.
    pub async fn file_id(
        &self,
        org_id: OrgId,
        dataflow: &str,
        digest: &str,
    ) -> Result<i64, AppError> {
        Ok(self
            .app
            .db
            .dataflows()
            .file_id(org_id, dataflow, digest, self.app.now())
            .await?)
    }

    /// Reads what applying `records` needs before any unit begins: for the bill templates,
    /// each record's customer (looked up together) and bill, or why it has none. No write
    /// lock is held meanwhile, so a run prepares its next batch while the last is written.
    /// On a failure of ours (storage) the records come back with the error, to be retried.
    pub async fn prepare(
        &self,
        ctx: &Ctx,
        records: Vec<Record>,
    ) -> Result<Vec<Ready>, (AppError, Vec<Record>)> {
        if !ctx.template.records_bills() {
            return Ok(records
                .into_iter()
                .map(|record| Ready { record, bill: None })
                .collect());
        }
        let mut found = Found::new();
        let all: Vec<&Record> = records.iter().collect();
        let mut bills = match self.bills_of(ctx, &all, &mut found).await {
            Ok(b) => b,
            Err(e) => return Err((e, records)),
        };
        let internal = |b: &Result<_, AppError>| b.as_ref().is_err_and(AppError::is_internal);
        if let Some(at) = bills.iter().position(internal) {
            if let Err(e) = bills.swap_remove(at) {
                return Err((e, records));
            }
        }
        Ok(records
            .into_iter()
            .zip(bills)
            .map(|(record, bill)| Ready {
                record,
                bill: Some(bill.map_err(|e| Refused::of(&e))),
            })
            .collect())
    }

    /// Applies a batch of prepared records of file `file_id` in one unit of work with their
    /// keys; one answer per record, in order. `dry_run` does all of it and rolls it back. An
    /// error is a failure of ours (storage): nothing of the batch was kept.
    pub async fn apply(
        &self,
        ctx: &Ctx,
        file_id: i64,
        ready: &[Ready],
        dry_run: bool,
    ) -> Result<Vec<Applied>, AppError> {
        let org = ctx.caller.org_id;
        let repo = self.app.db.dataflows();
        let mut unit = self.app.db.unit().await?;
        // The file can be run again: a batch lost with a crashed server is applied then
        // (its keys went with it); the run's final report commits durably, and with it
        // every batch before it.
        unit.commit_lazily().await?;
        let rows: Vec<u64> = ready
            .iter()
            .flat_map(|r| r.record.rows.iter().copied())
            .collect();
        let claimed = repo.claim_rows_in(&mut unit, org, file_id, &rows).await?;
        let is_new = |r: &Ready| {
            r.record
                .rows
                .first()
                .is_some_and(|n| claimed.binary_search(n).is_ok())
        };
        let new: Vec<&Ready> = ready.iter().filter(|r| is_new(r)).collect();
        let done = if ctx.template.records_bills() {
            self.record_bills(&mut unit, ctx, &new).await?
        } else {
            let mut found = Found::new();
            let mut done = Vec::with_capacity(new.len());
            for r in &new {
                unit.begin_step().await?;
                let one = self.apply_one(&mut unit, ctx, &r.record, &mut found).await;
                done.push(Refused::unless_internal(unit.end_step(one).await)?);
            }
            done
        };
        let mut done = done.into_iter();
        let mut out = Vec::with_capacity(ready.len());
        let mut release = Vec::new();
        for r in ready {
            if !is_new(r) {
                out.push(Applied::AlreadyApplied);
                continue;
            }
            match done.next() {
                Some(Ok(id)) => out.push(Applied::Done { id }),
                Some(Err(Refused { code, message })) => {
                    release.extend(r.record.rows.iter().copied());
                    out.push(Applied::Failed { code, message });
                }
                None => {
                    return Err(fidelis_store::StoreError::Corrupt(
                        "a batch record was not answered".into(),
                    )
                    .into())
                }
            }
        }
        repo.release_rows_in(&mut unit, org, file_id, &release)
            .await?;
        if dry_run {
            unit.rollback().await?;
        } else {
            unit.commit().await?;
        }
        Ok(out)
    }

    /// One record's effect, by its template, as steps of `unit`.
    async fn apply_one(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        record: &Record,
        found: &mut Found,
    ) -> Result<i64, AppError> {
        match ctx.template {
            Template::CustomerAdd => self.add_customer(unit, ctx, record).await,
            Template::FleetCustomers => self.link_fleet(unit, ctx, record).await,
            // Bills are prepared and written set-based (`record_bills`), never one by one.
            Template::TransactionAdd
            | Template::TransactionAddWithFilter
            | Template::TransactionLineItemMerge => Err(fidelis_store::StoreError::Corrupt(
                "a bill record reached the one-by-one path".into(),
            )
            .into()),
            Template::CouponRedeem => self.redeem_coupon(unit, ctx, record, found).await,
            Template::GoodwillPoints => self.give_goodwill(unit, ctx, record).await,
        }
    }
}

/// A mapped field's value, if the row has one.
fn field<'r>(record: &'r Record, name: &str) -> Option<&'r str> {
    record
        .fields
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
}
