//! Length limits on every text a request carries, by the name of the field that carries it.
//!
//! One table for every body and query string of every endpoint: a string is limited by the
//! JSON key (or query parameter) it is the value of, a string in an array by the array's
//! key, and the values of an extended- or custom-field map by the field-value limit whatever
//! the field is called. A name the table does not list gets `DEFAULT_MAX`, and every object
//! key and parameter name `NAME_MAX`. The limits are Capillary's where its documentation
//! gives one, ours otherwise (docs/limits.md lists them with their source); every one keeps
//! a stored and indexed value well inside PostgreSQL's index row size, so a long value is a
//! 400 on both backends before anything is read or written, never a database error.

use fidelis_domain::customers::error::MAX_NAME_LEN;
use fidelis_domain::customers::fields::MAX_FIELD_VALUE_LEN;
use fidelis_domain::customers::identifiers::MAX_IDENTIFIER_LEN;
use fidelis_domain::loyalty::cards::MAX_EXTERNAL_ID_LEN;
use fidelis_domain::loyalty::goodwill::MAX_REFERENCE_ID_LEN;
use serde_json::Value;

/// Characters of a text whose field the table does not name.
pub const DEFAULT_MAX: usize = 255;

/// Characters of an object key or a query parameter name.
pub const NAME_MAX: usize = 100;

/// Characters of an extended- or custom-field value (the customer rules' limit).
pub const FIELD_VALUE_MAX: usize = MAX_FIELD_VALUE_LEN;

/// Characters of free text (notes, comments, reasons, descriptions, addresses).
pub const FREE_TEXT_MAX: usize = 1000;

/// Characters of URLs and opaque tokens (a promotion engine's applied-promotion identifiers
/// are base64 of about 300 characters in Capillary's own sample).
pub const OPAQUE_MAX: usize = 2048;

/// Fields whose text is limited, in characters, by more or less than `DEFAULT_MAX`. Where
/// the domain's rules have a limit for the field, it is the same number.
pub const LIMITS: &[(&[&str], usize)] = &[
    (&["mobile"], 20),
    (
        &[
            "cardNumber",
            "card_number",
            "cardnumber",
            "cardExternalId",
            "card_external_id",
        ],
        MAX_EXTERNAL_ID_LEN,
    ),
    (
        &[
            "code",
            "seriesCode",
            "series_code",
            "hierarchyCode",
            "hierarchyDefinitionCode",
            "roleCode",
            "childRoleCode",
            "statusLabel",
            "status_label",
        ],
        50,
    ),
    (
        &["firstName", "lastName", "firstname", "lastname", "name"],
        MAX_NAME_LEN,
    ),
    (
        &["externalId", "external_id", "accountId", "account_id"],
        MAX_IDENTIFIER_LEN,
    ),
    (&["reference_id", "referenceId"], MAX_REFERENCE_ID_LEN),
    (
        &[
            "billNumber",
            "bill_number",
            "transactionNumber",
            "transaction_number",
            "itemCode",
            "item_code",
        ],
        100,
    ),
    (&["notes"], 250),
    (&["email"], 254),
    (&["notInterestedReason"], 255),
    (
        &[
            "note",
            "comments",
            "updated_comments",
            "reason",
            "statusLabelReason",
            "description",
            "address",
        ],
        FREE_TEXT_MAX,
    ),
    (
        &[
            "appliedPromotionIdentifiers",
            "url",
            "imageUrl",
            "thumbnailUrl",
            "termAndConditionsUrl",
            "termNConditionsUrl",
            "filePath",
            "secureFilePath",
        ],
        OPAQUE_MAX,
    ),
];

/// Fields of long content (message bodies, attachments) limited only by the request body
/// limit (`serve::MAX_BODY_BYTES`).
pub const BODY_ONLY: &[&str] = &["body", "message", "fileData", "file_data"];

/// Maps from field names to values (`extendedFields`, `custom_fields`, …).
pub const FIELD_MAPS: &[&str] = &[
    "extendedFields",
    "extended_fields",
    "customFields",
    "custom_fields",
    "fields",
];

/// The most characters a text under `name` may have; `None`: only the body limit.
pub fn max_chars(name: &str) -> Option<usize> {
    if BODY_ONLY.contains(&name) {
        return None;
    }
    Some(
        LIMITS
            .iter()
            .find(|(names, _)| names.contains(&name))
            .map_or(DEFAULT_MAX, |(_, max)| *max),
    )
}

/// A text over its limit: the field (or `"field name"` for a key) and the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLong {
    pub field: String,
    pub max: usize,
}

/// How the strings under one key are limited.
#[derive(Clone, Copy)]
enum Rule<'a> {
    /// By the key's own limit.
    Named(&'a str),
    /// As an extended- or custom-field value, whatever the field is called.
    FieldValue,
}

fn over(text: &str, max: usize) -> bool {
    // Counting characters only when the bytes could be too many.
    text.len() > max && text.chars().count() > max
}

fn name_ok(name: &str) -> Result<(), TooLong> {
    if over(name, NAME_MAX) {
        return Err(TooLong {
            field: "field name".to_string(),
            max: NAME_MAX,
        });
    }
    Ok(())
}

fn check_text(text: &str, rule: Rule<'_>) -> Result<(), TooLong> {
    let (field, max) = match rule {
        Rule::Named(name) => match max_chars(name) {
            Some(max) => (name, max),
            None => return Ok(()),
        },
        Rule::FieldValue => ("field value", FIELD_VALUE_MAX),
    };
    if over(text, max) {
        return Err(TooLong {
            field: field.to_string(),
            max,
        });
    }
    Ok(())
}

fn walk(v: &Value, rule: Rule<'_>) -> Result<(), TooLong> {
    match v {
        Value::String(s) => check_text(s, rule),
        Value::Array(items) => items.iter().try_for_each(|item| walk(item, rule)),
        Value::Object(map) => {
            let in_field_map = matches!(rule, Rule::Named(name) if FIELD_MAPS.contains(&name))
                || matches!(rule, Rule::FieldValue);
            map.iter().try_for_each(|(k, v)| {
                name_ok(k)?;
                // Inside a field map the keys are field names and every text below them,
                // at any depth (v1.1 `{"field": [{"name", "value"}]}`), a field value.
                let child = if in_field_map {
                    Rule::FieldValue
                } else {
                    Rule::Named(k)
                };
                walk(v, child)
            })
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// The first text of a JSON document over its limit.
pub fn check_json(v: &Value) -> Result<(), TooLong> {
    walk(v, Rule::Named(""))
}

/// The first query parameter (name or value) over its limit.
pub fn check_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), TooLong> {
    pairs.into_iter().try_for_each(|(name, value)| {
        name_ok(name)?;
        check_text(value, Rule::Named(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn long(n: usize) -> String {
        "é".repeat(n)
    }

    #[test]
    fn limits_count_characters_by_field() {
        assert!(check_json(&json!({"firstName": long(100)})).is_ok());
        assert_eq!(
            check_json(&json!({"profiles": [{"firstName": long(101)}]})),
            Err(TooLong {
                field: "firstName".into(),
                max: 100
            })
        );
        assert!(check_json(&json!({"mobile": "1".repeat(21)})).is_err());
        assert!(check_json(&json!({"somethingNew": "x".repeat(255)})).is_ok());
        assert!(check_json(&json!({"somethingNew": "x".repeat(256)})).is_err());
        assert!(check_json(&json!({"note": "x".repeat(1000)})).is_ok());
        assert!(check_json(&json!({"message": "x".repeat(100_000)})).is_ok());
    }

    #[test]
    fn field_maps_limit_values_whatever_the_field_is_called() {
        // A field named like a short key is still a field value.
        assert!(check_json(&json!({"extendedFields": {"mobile": "x".repeat(200)}})).is_ok());
        assert!(check_json(&json!({"extendedFields": {"city": "x".repeat(1000)}})).is_ok());
        assert!(check_json(&json!({"extendedFields": {"city": "x".repeat(1001)}})).is_err());
        // v1.1 `{"field": [{"name", "value"}]}` lists: values at any depth are field values.
        assert!(check_json(
            &json!({"custom_fields": {"field": [{"name": "a", "value": "x".repeat(1000)}]}})
        )
        .is_ok());
        assert!(check_json(
            &json!({"custom_fields": {"field": [{"name": "a", "value": "x".repeat(1001)}]}})
        )
        .is_err());
        assert!(check_json(&json!({"fields": {"x".repeat(101): "v"}})).is_err());
    }

    #[test]
    fn query_pairs_use_the_same_table() {
        assert!(check_pairs([("identifierValue", "x")]).is_ok());
        assert!(check_pairs([("mobile", "1".repeat(21).as_str())]).is_err());
        let name = "n".repeat(101);
        assert!(check_pairs([(name.as_str(), "v")]).is_err());
    }
}
