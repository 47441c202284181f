//! Numbers on the wire: Capillary's samples send amounts as numbers or as strings
//! (`"billAmount": "200"`), and show points as JSON numbers.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::ApiError;

/// A decimal from a number or a numeric string; `None` for absent, null or "".
pub fn decimal(field: &str, v: Option<&Value>) -> Result<Option<Decimal>, ApiError> {
    let bad = || ApiError::invalid(format!("Invalid input: {field} must be a number"));
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(s.trim()))
            .map(Some)
            .map_err(|_| bad()),
        Some(Value::Number(n)) => n
            .to_string()
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .map(Some)
            .map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// A string from a string or a number; `None` for absent, null or "".
pub fn text(field: &str, v: Option<&Value>) -> Result<Option<String>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ApiError::invalid(format!(
            "Invalid input: {field} must be a string"
        ))),
    }
}

/// A JSON number: whole values as integers, others as floats.
pub fn num(d: Decimal) -> Value {
    let d = d.normalize();
    if d.scale() == 0 {
        if let Some(i) = d.to_i64() {
            return Value::from(i);
        }
    }
    d.to_f64().map(Value::from).unwrap_or(Value::Null)
}

/// Always a float (`rawAwardedPoints: 123.456`).
pub fn float(d: Decimal) -> Value {
    d.to_f64().map(Value::from).unwrap_or(Value::Null)
}

/// Capillary's raw side effects carry numbers as strings with three decimals.
pub fn milli_text(d: Decimal) -> String {
    format!("{:.3}", d.round_dp(3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_strings_both_count() {
        let d = |v: Value| decimal("x", Some(&v)).unwrap();
        assert_eq!(d(json!("200")), Some(Decimal::from(200)));
        assert_eq!(d(json!(100.5)), Some("100.5".parse().unwrap()));
        assert_eq!(d(json!("")), None);
        assert!(decimal("x", Some(&json!(true))).is_err());
        assert!(decimal("x", Some(&json!("abc"))).is_err());
        assert_eq!(num("123.000".parse().unwrap()), json!(123));
        assert_eq!(num("1.5".parse().unwrap()), json!(1.5));
        assert_eq!(milli_text("1500".parse().unwrap()), "1500.000");
        assert_eq!(text("b", Some(&json!(12))).unwrap().as_deref(), Some("12"));
    }
}
