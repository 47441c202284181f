//! Extended fields (customer level) and custom fields (profile level): name → value maps
//! checked against the org's declared fields and types.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::{CustomerError, MAX_NAME_LEN};

/// The longest text value a field may hold.
pub const MAX_FIELD_VALUE_LEN: usize = 1000;
/// At most this many fields per map, so a body cannot grow a row without bound.
pub const MAX_FIELDS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Number,
    Boolean,
    Date,
}

impl FieldType {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "string" | "text" => Some(Self::String),
            "number" | "integer" | "int" | "double" => Some(Self::Number),
            "boolean" | "bool" => Some(Self::Boolean),
            "date" => Some(Self::Date),
            _ => None,
        }
    }
}

/// Which map is checked: they answer with different codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Extended,
    Custom,
}

impl FieldKind {
    fn error(self, msg: String) -> CustomerError {
        match self {
            Self::Extended => CustomerError::InvalidInput(format!("extendedFields: {msg}")),
            Self::Custom => CustomerError::InvalidCustomField(msg),
        }
    }
}

/// Checks `values` against `declared` (empty `declared` accepts any name) and returns them
/// with names lowercased. Null and empty values are dropped, as Capillary does by default.
pub fn validate_fields(
    kind: FieldKind,
    declared: &BTreeMap<String, FieldType>,
    values: &Map<String, Value>,
) -> Result<Map<String, Value>, CustomerError> {
    if values.len() > MAX_FIELDS {
        return Err(kind.error(format!("more than {MAX_FIELDS} fields")));
    }
    let mut out = Map::new();
    for (name, value) in values {
        let key = name.trim().to_lowercase();
        if key.is_empty() || key.chars().count() > MAX_NAME_LEN {
            return Err(kind.error(format!("invalid field name \"{name}\"")));
        }
        let value = match value {
            Value::Null => continue,
            Value::String(s) if s.trim().is_empty() => continue,
            Value::String(s) if s.chars().count() > MAX_FIELD_VALUE_LEN => {
                return Err(kind.error(format!(
                    "{name} is longer than {MAX_FIELD_VALUE_LEN} characters"
                )))
            }
            Value::Array(_) | Value::Object(_) => {
                return Err(kind.error(format!("{name} must be a single value")))
            }
            v => v.clone(),
        };
        if !declared.is_empty() {
            let ty = declared
                .get(&key)
                .ok_or_else(|| kind.error(format!("{name} is not a field of this org")))?;
            if !fits(*ty, &value) {
                return Err(kind.error(format!("{name} has the wrong type")));
            }
        }
        out.insert(key, value);
    }
    Ok(out)
}

fn fits(ty: FieldType, v: &Value) -> bool {
    match (ty, v) {
        (FieldType::String, _) => true,
        (FieldType::Number, Value::Number(_)) => true,
        (FieldType::Number, Value::String(s)) => s.trim().parse::<f64>().is_ok(),
        (FieldType::Boolean, Value::Bool(_)) => true,
        (FieldType::Boolean, Value::String(s)) => {
            matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "false")
        }
        (FieldType::Date, Value::String(s)) => looks_like_date(s.trim()),
        _ => false,
    }
}

/// `YYYY-MM-DD` (optionally with a time), `DD-MM-YYYY` or `DD/MM/YYYY`.
fn looks_like_date(s: &str) -> bool {
    let head: String = s.chars().take(10).collect();
    let b = head.as_bytes();
    if b.len() != 10 {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let iso = digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10);
    let dmy = digits(0..2)
        && (b[2] == b'-' || b[2] == b'/')
        && digits(3..5)
        && b[5] == b[2]
        && digits(6..10);
    iso || dmy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CodedError;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn open_org_accepts_any_scalar() {
        let out = validate_fields(
            FieldKind::Extended,
            &BTreeMap::new(),
            &map(json!({"Gender": "Male", "zip": 403505, "gone": null, "empty": " "})),
        )
        .unwrap();
        assert_eq!(Value::Object(out), json!({"gender": "Male", "zip": 403505}));
    }

    #[test]
    fn declared_fields_are_typed() {
        let declared: BTreeMap<String, FieldType> = [
            ("dateofbirth".to_string(), FieldType::Date),
            ("employee".to_string(), FieldType::Boolean),
        ]
        .into();
        let ok = map(json!({"employee": "true", "dateofbirth": "22-10-2000"}));
        assert!(validate_fields(FieldKind::Custom, &declared, &ok).is_ok());
        let unknown = map(json!({"shoe": "42"}));
        let e = validate_fields(FieldKind::Custom, &declared, &unknown).unwrap_err();
        assert_eq!(e.code(), 1017);
        let wrong = map(json!({"employee": "maybe"}));
        assert_eq!(
            validate_fields(FieldKind::Extended, &declared, &wrong)
                .unwrap_err()
                .code(),
            400
        );
        let nested = map(json!({"employee": {"a": 1}}));
        assert!(validate_fields(FieldKind::Custom, &BTreeMap::new(), &nested).is_err());
        let long = map(json!({"x": "y".repeat(1001)}));
        assert!(validate_fields(FieldKind::Custom, &BTreeMap::new(), &long).is_err());
    }
}
