//! `transaction-v2-add` (and its filtered form) and `transaction-line-item-merge`: each
//! record is a REGULAR bill recorded as `POST /v2/transactions` records it, so points,
//! tiers and side effects are the API's. A merged record carries its rows' line items.

use std::collections::{BTreeMap, HashMap};

use fidelis_domain::connect::{BillDocument, DocumentLine};
use fidelis_domain::customers::{normalise_identifier, CustomerError, IdentifierType};
use fidelis_domain::loyalty::{LoyaltyError, TransactionType};
use fidelis_store::Unit;
use rust_decimal::Decimal;

use super::{field, Connect, Ctx, Found, Ready, Record, Refused};
use crate::loyalty::{BillInput, Customer, Ident};
use crate::AppError;

/// The customer identifier fields of the templates, in the order they are tried.
pub(super) const IDENTIFIERS: [&str; 4] = ["mobile", "email", "externalId", "cardNumber"];

impl Connect<'_> {
    /// The bills `records` describe with the customers they name, one answer each. Only
    /// reads (no unit): done before a batch takes the write lock, so another batch can be
    /// written meanwhile.
    pub(super) async fn bills_of(
        &self,
        ctx: &Ctx,
        records: &[&Record],
        found: &mut Found,
    ) -> Result<Vec<Result<(Customer, BillInput), AppError>>, AppError> {
        let customers = self.customers(ctx, records, found).await?;
        Ok(records
            .iter()
            .zip(customers)
            .map(|(record, customer)| bill(record).and_then(|b| Ok((customer?, b))))
            .collect())
    }

    /// Records the prepared bills of `new` set-based in `unit`
    /// (`Loyalty::record_bills_in`); one answer per record: the transaction id or why it
    /// was refused (nothing of it written).
    pub(super) async fn record_bills(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        new: &[&Ready],
    ) -> Result<Vec<Result<i64, Refused>>, AppError> {
        let mut answers: Vec<Option<Result<i64, Refused>>> = Vec::with_capacity(new.len());
        let mut valid = Vec::with_capacity(new.len());
        let mut at = Vec::with_capacity(new.len());
        for (i, r) in new.iter().enumerate() {
            match &r.bill {
                Some(Ok(pair)) => {
                    valid.push(pair.clone());
                    at.push(i);
                    answers.push(None);
                }
                Some(Err(refused)) => answers.push(Some(Err(refused.clone()))),
                None => answers.push(None),
            }
        }
        let written = self
            .app
            .loyalty()
            .record_bills_in(unit, &ctx.loyalty, &valid)
            .await?;
        for (i, answer) in at.into_iter().zip(written) {
            answers[i] = Some(Refused::unless_internal(answer.map(|a| a.transaction_id))?);
        }
        answers
            .into_iter()
            .map(|a| {
                a.ok_or_else(|| {
                    fidelis_store::StoreError::Corrupt("a bill record was not prepared".into())
                        .into()
                })
            })
            .collect()
    }

    /// The customers `records` name, one answer each: identifiers of one kind are looked up
    /// together in one query; card numbers (which also name a program) one by one.
    async fn customers(
        &self,
        ctx: &Ctx,
        records: &[&Record],
        found: &mut Found,
    ) -> Result<Vec<Result<Customer, AppError>>, AppError> {
        let org = &ctx.loyalty.loyalty.org;
        let mut wanted: Vec<Result<(IdentifierType, String), AppError>> =
            Vec::with_capacity(records.len());
        let mut by_kind: HashMap<IdentifierType, Vec<String>> = HashMap::new();
        for record in records {
            let named = IDENTIFIERS
                .iter()
                .find_map(|n| Some((*n, field(record, n)?)))
                .ok_or_else(|| LoyaltyError::CustomerIdentifierRequired.into())
                .and_then(|(n, v)| {
                    let kind = IdentifierType::parse(n)?;
                    let value = match kind {
                        IdentifierType::CardNumber => v.trim().to_string(),
                        k => normalise_identifier(k, v, &org.country)?,
                    };
                    Ok((kind, value))
                });
            if let Ok((kind, value)) = &named {
                if *kind != IdentifierType::CardNumber {
                    by_kind.entry(*kind).or_default().push(value.clone());
                }
            }
            wanted.push(named);
        }
        let mut known: HashMap<(IdentifierType, String), Customer> = HashMap::new();
        for (kind, values) in by_kind {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            let found = self
                .app
                .db
                .customers()
                .lookup_statuses(org.id, kind, &values)
                .await?;
            known.extend(
                found
                    .into_iter()
                    .map(|(v, (id, status))| ((kind, v), Customer::unnamed(id, status))),
            );
        }
        let mut out = Vec::with_capacity(records.len());
        for (record, named) in records.iter().zip(wanted) {
            out.push(match named {
                Err(e) => Err(e),
                Ok((IdentifierType::CardNumber, _)) => self.customer(ctx, record, "", found).await,
                Ok(key) => known
                    .get(&key)
                    .cloned()
                    .ok_or_else(|| CustomerError::NotFound.into()),
            });
        }
        Ok(out)
    }

    /// The customer the record's identifier fields (after `prefix`) name; found once per
    /// batch.
    pub(super) async fn customer(
        &self,
        ctx: &Ctx,
        record: &Record,
        prefix: &str,
        found: &mut Found,
    ) -> Result<Customer, AppError> {
        let (name, value) = IDENTIFIERS
            .iter()
            .find_map(|n| Some((*n, field(record, &format!("{prefix}{n}"))?)))
            .ok_or(LoyaltyError::CustomerIdentifierRequired)?;
        let key = (name.to_string(), value.trim().to_string());
        if let Some(c) = found.get(&key) {
            return Ok(c.clone());
        }
        let who = Ident {
            name: Some(name.to_string()),
            value: Some(value.to_string()),
            source: None,
            account_id: None,
        };
        let c = self.app.loyalty().find_customer(&ctx.loyalty, &who).await?;
        found.insert(key, c.clone());
        Ok(c)
    }
}

/// A decimal field (601 when it is no number).
pub(super) fn decimal(record: &Record, name: &str) -> Result<Option<Decimal>, AppError> {
    decimal_of(field(record, name))
}

fn decimal_of(v: Option<&str>) -> Result<Option<Decimal>, AppError> {
    v.map(|v| {
        v.trim()
            .parse::<Decimal>()
            .map_err(|_| LoyaltyError::AmountNotANumber(v.to_string()).into())
    })
    .transpose()
}

/// The free-form fields under `prefix` (`extendedFields.`), by their name after it.
fn named(fields: &BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_string(), v.clone())))
        .collect()
}

/// The bill a record describes.
fn bill(record: &Record) -> Result<BillInput, AppError> {
    let amount = decimal(record, "billAmount")?;
    let mut lines = Vec::with_capacity(record.lines.len());
    for l in &record.lines {
        let get = |k: &str| {
            l.get(k)
                .map(String::as_str)
                .filter(|v| !v.trim().is_empty())
        };
        lines.push(DocumentLine {
            item_code: get("lineItem.itemCode").unwrap_or("").to_string(),
            description: get("lineItem.description").map(str::to_string),
            qty: decimal_of(get("lineItem.qty"))?,
            rate: decimal_of(get("lineItem.rate"))?,
            amount: decimal_of(get("lineItem.amount"))?,
        });
    }
    let details = BillDocument {
        note: field(record, "note").map(str::to_string),
        gross_amount: decimal(record, "grossAmount")?,
        discount: decimal(record, "discount")?,
        extended_fields: named(&record.fields, "extendedFields."),
        custom_fields: named(&record.fields, "customFields."),
        lines,
    };
    Ok(BillInput {
        kind: TransactionType::Regular,
        bill_number: field(record, "billNumber").unwrap_or("").trim().to_string(),
        amount,
        billed_at: record.dates.get("billingDate").copied(),
        return_type: None,
        outlier: None,
        lines: Vec::new(),
        details: details.to_json(),
        group: None,
        coupons: Vec::new(),
    })
}
