//! `transaction-v2-add` (and its filtered form) and `transaction-line-item-merge`: each
//! record is a REGULAR bill recorded as `POST /v2/transactions` records it, so points,
//! tiers and side effects are the API's. A merged record carries its rows' line items.

use fidelis_domain::loyalty::{LoyaltyError, TransactionType};
use fidelis_store::Unit;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use super::{field, open_fields, Connect, Ctx, Found, Record};
use crate::loyalty::{BillInput, Customer, Ident};
use crate::AppError;

/// The customer identifier fields of the templates, in the order they are tried.
pub(super) const IDENTIFIERS: [&str; 4] = ["mobile", "email", "externalId", "cardNumber"];

impl Connect<'_> {
    /// Records one bill (the path of a batch of transaction rows: see [`Connect::apply`]).
    pub(super) async fn add_transaction(
        &self,
        unit: &mut Unit,
        ctx: &Ctx,
        record: &Record,
        found: &mut Found,
    ) -> Result<i64, AppError> {
        let bill = bill(record)?;
        let customer = self.customer(ctx, record, "", found).await?;
        let award = self
            .app
            .loyalty()
            .record_bill_in(unit, &ctx.loyalty, &customer, &bill)
            .await?;
        Ok(award.transaction_id)
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

/// A number for the stored document: the decimal as a JSON number.
fn number(d: Decimal) -> Value {
    serde_json::Number::from_f64(f64::try_from(d).unwrap_or_default())
        .map_or(Value::Null, Value::Number)
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
        let mut line = Map::new();
        line.insert(
            "itemCode".into(),
            get("lineItem.itemCode").unwrap_or("").into(),
        );
        if let Some(d) = get("lineItem.description") {
            line.insert("description".into(), d.into());
        }
        for (key, name) in [
            ("qty", "lineItem.qty"),
            ("rate", "lineItem.rate"),
            ("amount", "lineItem.amount"),
        ] {
            if let Some(d) = decimal_of(get(name))? {
                line.insert(key.into(), number(d));
            }
        }
        lines.push(Value::Object(line));
    }
    let details = json!({
        "note": field(record, "note"),
        "grossAmount": decimal(record, "grossAmount")?.map(number),
        "discount": decimal(record, "discount")?.map(number),
        "extendedFields": open_fields(&record.fields, "extendedFields."),
        "customFields": open_fields(&record.fields, "customFields."),
        "paymentModes": [],
        "lineItems": lines,
    });
    Ok(BillInput {
        kind: TransactionType::Regular,
        bill_number: field(record, "billNumber").unwrap_or("").trim().to_string(),
        amount,
        billed_at: record.dates.get("billingDate").copied(),
        return_type: None,
        outlier: None,
        lines: Vec::new(),
        details: details.to_string(),
        group: None,
        coupons: Vec::new(),
    })
}
