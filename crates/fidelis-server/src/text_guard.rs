//! One rule for every text a request carries: no NUL or other control characters (tab,
//! line feed and carriage return excepted, for notes and addresses). PostgreSQL refuses a
//! NUL in text where SQLite stores it, so without this the backends would disagree and
//! one of them would answer 500; with it both answer 400 before anything is read or written.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::{text_limits, ApiError};

/// A control character other than tab, line feed and carriage return.
pub fn is_forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether a JSON body might hold a forbidden character: raw ones are not valid JSON, so
/// only an escape `\u0000`–`\u001f` or `\u007f`–`\u009f` can bring one in. A cheap scan
/// over the bytes; only bodies it flags are parsed and walked.
fn may_hold_escape(body: &[u8]) -> bool {
    // `\u00` then 0/1 (C0), 7 (DEL among printables) or 8/9 (C1): flagged bodies are
    // walked exactly, so flagging a few harmless ones costs only time.
    body.windows(5).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2] == b'0'
            && w[3] == b'0'
            && matches!(w[4], b'0' | b'1' | b'7' | b'8' | b'9')
    })
}

fn value_has_forbidden(v: &Value) -> bool {
    match v {
        Value::String(s) => s.chars().any(is_forbidden),
        Value::Array(a) => a.iter().any(value_has_forbidden),
        Value::Object(o) => o
            .iter()
            .any(|(k, v)| k.chars().any(is_forbidden) || value_has_forbidden(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Refuses a JSON body with a forbidden character in any key or string value, or with a
/// text over its length limit (`text_limits`).
pub fn check_body(body: &[u8]) -> Result<(), ApiError> {
    if body.is_empty() {
        return Ok(());
    }
    // A body that is no JSON is left to the extractor, which names the problem.
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Ok(());
    };
    if may_hold_escape(body) && value_has_forbidden(&v) {
        return Err(ApiError::control_characters());
    }
    text_limits::check_json(&v).map_err(|e| ApiError::too_long(&e.field, e.max))
}

/// Whether a percent-encoded path or query decodes to a forbidden character (`%00`–`%1F`,
/// `%7F`, or a C1 control encoded as UTF-8 `%C2%80`–`%C2%9F`), tab, line feed and
/// carriage return excepted.
fn uri_has_forbidden(raw: &str) -> bool {
    let b = raw.as_bytes();
    let hex = |i: usize| -> Option<u8> {
        let s = std::str::from_utf8(b.get(i..i + 2)?).ok()?;
        u8::from_str_radix(s, 16).ok()
    };
    (0..b.len()).any(|i| {
        b[i] == b'%'
            && match hex(i + 1) {
                Some(0x09 | 0x0a | 0x0d) => false,
                Some(n) if n < 0x20 || n == 0x7f => true,
                Some(0xc2) => {
                    b.get(i + 3) == Some(&b'%')
                        && hex(i + 4).is_some_and(|n| (0x80..0xa0).contains(&n))
                }
                _ => false,
            }
    })
}

/// The query string's parameters within their length limits (`text_limits`); a query that
/// does not decode is left to the handler's extractor.
fn query_lengths(uri: &axum::http::Uri) -> Result<(), ApiError> {
    let Ok(axum::extract::Query(pairs)) =
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
    else {
        return Ok(());
    };
    text_limits::check_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| ApiError::too_long(&e.field, e.max))
}

/// Refuses a request whose path or query string carries a forbidden character, or a query
/// parameter over its length limit.
pub async fn check_uri(req: Request, next: Next) -> Response {
    let uri = req.uri();
    if uri_has_forbidden(uri.path()) || uri.query().is_some_and(uri_has_forbidden) {
        return ApiError::control_characters().into_response();
    }
    if let Err(e) = query_lengths(uri) {
        return e.into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_with_escaped_controls_are_refused() {
        assert!(check_body(br#"{"a": "x\u0000y"}"#).is_err());
        assert!(check_body(br#"{"a": ["ok", {"b": "\u001b"}]}"#).is_err());
        assert!(check_body(br#"{"a\u0000": 1}"#).is_err());
        assert!(check_body(br#"{"a": "\u0085"}"#).is_err());
        assert!(check_body(br#"{"note": "line one\nline two\ttab"}"#).is_ok());
        assert!(check_body(br#"{"a": "\u0041 is A", "b": "caf\u00e9"}"#).is_ok());
        // A literal backslash followed by text that looks like an escape is no control.
        assert!(check_body(br#"{"a": "\\u0000"}"#).is_ok());
    }

    #[test]
    fn uris_with_encoded_controls_are_refused() {
        assert!(uri_has_forbidden("identifierValue=ab%00cd"));
        assert!(uri_has_forbidden("x=%1F"));
        assert!(uri_has_forbidden("x=%7f"));
        assert!(uri_has_forbidden("/v2/customers/%C2%85"));
        assert!(!uri_has_forbidden("x=a%20b%0A"));
        assert!(!uri_has_forbidden("x=caf%C3%A9&y=%25"));
    }
}
