//! What a transaction carries besides its bill (`deliveryStatus`, `extendedFields`,
//! `customFields`), kept as one JSON object, and how `PUT /v2/transactions` changes it.

use serde_json::{Map, Value};

/// A change through `PUT /v2/transactions`: a new delivery status, and field keys to add
/// or overwrite (keys not named stay as they are).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetailsPatch {
    pub delivery_status: Option<String>,
    pub extended_fields: Map<String, Value>,
    pub custom_fields: Map<String, Value>,
}

/// The stored details are not what they must be (a JSON object whose field groups are
/// objects); they are left as they are rather than replaced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored transaction details are not valid: {0}")]
pub struct CorruptDetails(pub String);

/// `stored` with `patch` applied.
pub fn merge_details(stored: &str, patch: &DetailsPatch) -> Result<String, CorruptDetails> {
    let mut details = match serde_json::from_str::<Value>(stored) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(CorruptDetails("not a JSON object".into())),
        Err(e) => return Err(CorruptDetails(e.to_string())),
    };
    if let Some(s) = &patch.delivery_status {
        details.insert("deliveryStatus".into(), Value::String(s.clone()));
    }
    for (key, fields) in [
        ("extendedFields", &patch.extended_fields),
        ("customFields", &patch.custom_fields),
    ] {
        if fields.is_empty() {
            continue;
        }
        let group = details
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
        match group {
            Value::Object(m) => m.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone()))),
            Value::Null => *group = Value::Object(fields.clone()),
            _ => return Err(CorruptDetails(format!("{key} is not an object"))),
        }
    }
    Ok(Value::Object(details).to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn patch(v: Value) -> DetailsPatch {
        let obj = |k: &str| v[k].as_object().cloned().unwrap_or_default();
        DetailsPatch {
            delivery_status: v["deliveryStatus"].as_str().map(String::from),
            extended_fields: obj("extendedFields"),
            custom_fields: obj("customFields"),
        }
    }

    fn merged(stored: &str, p: Value) -> Value {
        serde_json::from_str(&merge_details(stored, &patch(p)).unwrap()).unwrap()
    }

    #[test]
    fn named_keys_are_added_or_overwritten_and_the_rest_kept() {
        let stored = json!({"lineItems": [1], "deliveryStatus": "PLACED",
            "extendedFields": {"a": 1, "b": 2}, "customFields": {"x": "y"}})
        .to_string();
        assert_eq!(
            merged(
                &stored,
                json!({"deliveryStatus": "SHIPPED", "extendedFields": {"b": 3, "c": 4}})
            ),
            json!({"lineItems": [1], "deliveryStatus": "SHIPPED",
                "extendedFields": {"a": 1, "b": 3, "c": 4}, "customFields": {"x": "y"}})
        );
    }

    #[test]
    fn a_missing_group_is_created() {
        assert_eq!(
            merged("{}", json!({"customFields": {"gift": "yes"}})),
            json!({"customFields": {"gift": "yes"}})
        );
        assert_eq!(
            merged(
                r#"{"customFields": null}"#,
                json!({"customFields": {"g": 1}})
            ),
            json!({"customFields": {"g": 1}})
        );
    }

    #[test]
    fn corrupt_details_are_refused_not_replaced() {
        let p = patch(json!({"extendedFields": {"a": 1}}));
        assert!(merge_details("not json", &p).is_err());
        assert!(merge_details("[1, 2]", &p).is_err());
        assert!(merge_details(r#"{"extendedFields": "text"}"#, &p).is_err());
        // A group the patch does not touch is not judged.
        assert!(merge_details(
            r#"{"customFields": "text"}"#,
            &patch(json!({"extendedFields": {"a": 1}}))
        )
        .is_ok());
    }
}
