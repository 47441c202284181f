//! The document a bill loaded by a dataflow is stored with (as the API stores a posted
//! bill's body and echoes it on reads): note, amounts, free-form fields and line items.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

/// One line item of a bill.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentLine {
    pub item_code: String,
    pub description: Option<String>,
    pub qty: Option<Decimal>,
    pub rate: Option<Decimal>,
    pub amount: Option<Decimal>,
}

/// What is stored with a bill besides its number, amount and date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BillDocument {
    pub note: Option<String>,
    pub gross_amount: Option<Decimal>,
    pub discount: Option<Decimal>,
    pub extended_fields: BTreeMap<String, String>,
    pub custom_fields: BTreeMap<String, String>,
    pub lines: Vec<DocumentLine>,
}

/// A decimal as a JSON number, exactly as written (no float rounding).
fn number(d: Decimal) -> Value {
    d.normalize()
        .to_string()
        .parse::<serde_json::Number>()
        .map_or(Value::Null, Value::Number)
}

fn strings(fields: &BTreeMap<String, String>) -> Map<String, Value> {
    fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

impl BillDocument {
    /// The stored JSON text, in the API's field names.
    pub fn to_json(&self) -> String {
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|l| {
                let mut line = Map::new();
                line.insert("itemCode".into(), l.item_code.clone().into());
                if let Some(d) = &l.description {
                    line.insert("description".into(), d.clone().into());
                }
                for (key, value) in [("qty", l.qty), ("rate", l.rate), ("amount", l.amount)] {
                    if let Some(v) = value {
                        line.insert(key.into(), number(v));
                    }
                }
                Value::Object(line)
            })
            .collect();
        json!({
            "note": self.note,
            "grossAmount": self.gross_amount.map(number),
            "discount": self.discount.map(number),
            "extendedFields": strings(&self.extended_fields),
            "customFields": strings(&self.custom_fields),
            "paymentModes": [],
            "lineItems": lines,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_stored_as_written_and_absent_fields_stay_out() {
        let doc = BillDocument {
            gross_amount: Some("1049.90".parse().unwrap_or_default()),
            lines: vec![DocumentLine {
                item_code: "SKU-1".into(),
                qty: Some(Decimal::from(2)),
                amount: Some("0.10".parse().unwrap_or_default()),
                ..DocumentLine::default()
            }],
            ..BillDocument::default()
        };
        let v: Value = serde_json::from_str(&doc.to_json()).unwrap_or_default();
        assert_eq!(v["grossAmount"].to_string(), "1049.9");
        assert_eq!(v["lineItems"][0]["amount"].to_string(), "0.1");
        assert_eq!(v["lineItems"][0]["qty"], 2);
        assert!(v["lineItems"][0].get("rate").is_none());
        assert_eq!(v["note"], Value::Null);
    }
}
