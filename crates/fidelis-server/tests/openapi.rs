#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test

//! `/openapi.json` describes every operation completely: a request body on every POST, PUT
//! and PATCH; every path parameter; at least one success and one client-error response, and
//! where the operation takes input a client error of its own rules (not only the edge's);
//! and a JSON schema on every response, the API version's error envelope on every error.
//! An operation added later without these fails here.

mod common;

use common::{Backend, TestApp};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

async fn document() -> Value {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let res = app.http.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The envelope schema an error response of `path` must use.
fn error_envelope(path: &str) -> &'static str {
    if path.starts_with("/v1.1/") {
        "#/components/schemas/V1_1Envelope"
    } else if path.starts_with("/v3/") {
        "#/components/schemas/V3Errors"
    } else {
        "#/components/schemas/V2Errors"
    }
}

/// The OAuth endpoints and the wrapper API answer their own refusals in RFC 6749 / 6750
/// JSON rather than an API envelope (the edge's answers keep the v2 envelope).
fn oauth_error(path: &str, status: &str) -> bool {
    path.starts_with("/o/")
        || path.starts_with("/.well-known/")
        || (path.starts_with("/mobile/") && matches!(status, "401" | "403"))
}

/// What is missing from one operation, as readable lines.
fn problems(path: &str, method: &str, item: &Value, op: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let name = format!("{} {path}", method.to_uppercase());
    if matches!(method, "post" | "put" | "patch") {
        let content = &op["requestBody"]["content"];
        // The OAuth endpoints take forms (RFC 6749).
        let form = path.starts_with("/o/")
            && !content["application/x-www-form-urlencoded"]["schema"].is_null();
        // Dataflow uploads take the file itself.
        let file = path.starts_with("/v2/dataflows/") && !content["text/csv"]["schema"].is_null();
        if content["application/json"]["schema"].is_null() && !form && !file {
            out.push(format!("{name}: no JSON request body"));
        }
    }
    // Path parameters: each `{name}` declared `in: path` on the operation or its path.
    let declared: Vec<&str> = [&op["parameters"], &item["parameters"]]
        .into_iter()
        .filter_map(Value::as_array)
        .flatten()
        .filter(|p| p["in"] == "path")
        .filter_map(|p| p["name"].as_str())
        .collect();
    for segment in path.split('/') {
        if let Some(param) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if !declared.contains(&param) {
                out.push(format!("{name}: path parameter {param} not declared"));
            }
        }
    }
    let Some(responses) = op["responses"].as_object() else {
        out.push(format!("{name}: no responses"));
        return out;
    };
    if !responses.keys().any(|s| s.starts_with('2')) {
        out.push(format!("{name}: no success response"));
    }
    // Only health, which takes no input and no credentials, cannot be refused.
    if path != "/health" && !responses.keys().any(|s| s.starts_with('4')) {
        out.push(format!("{name}: no 4xx response"));
    }
    // An operation that takes input says how its own rules refuse it, besides the answers
    // the edge gives on every route (marked `x-fidelis-edge`).
    let has_input =
        !op["requestBody"].is_null() || op["parameters"].as_array().is_some_and(|p| !p.is_empty());
    let own_refusal = responses
        .iter()
        .any(|(status, r)| status.starts_with('4') && r["x-fidelis-edge"] != true);
    if has_input && !own_refusal {
        out.push(format!("{name}: no 4xx of its own rules"));
    }
    for (status, response) in responses {
        let schema = &response["content"]["application/json"]["schema"];
        // Redirects have no body; the sign-in page is HTML.
        let html = path.starts_with("/o/") && !response["content"]["text/html"].is_null();
        if status.starts_with('3') || html {
            continue;
        }
        if schema.is_null() {
            out.push(format!("{name}: response {status} has no JSON schema"));
        } else if !status.starts_with('2') && path != "/health" {
            let own = response["x-fidelis-edge"] != true;
            // OAuth and the Auth Engine refuse in their own shape, or the edge's v2 one.
            let own_shape = if path.starts_with("/auth/v1/") {
                "#/components/schemas/AeEnvelope"
            } else {
                "#/components/schemas/OAuthError"
            };
            let either = schema["oneOf"].as_array().is_some_and(|s| {
                s.iter().any(|r| r["$ref"] == own_shape)
                    && s.iter()
                        .any(|r| r["$ref"] == "#/components/schemas/V2Errors")
            });
            let expected = if oauth_error(path, status) && own {
                "#/components/schemas/OAuthError"
            } else {
                error_envelope(path)
            };
            let oauth_path = path.starts_with("/o/")
                || path.starts_with("/.well-known/")
                || path.starts_with("/auth/v1/");
            if own && either && oauth_path {
                continue;
            }
            if schema["$ref"].as_str() != Some(expected) {
                out.push(format!("{name}: response {status} is not {expected}"));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_declares_body_parameters_and_responses() {
    let doc = document().await;
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    let mut missing = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            let op = &item[method];
            if op.is_null() {
                continue;
            }
            operations += 1;
            missing.extend(problems(path, method, item, op));
        }
    }
    assert!(operations >= 60, "only {operations} operations documented");
    assert!(
        missing.is_empty(),
        "incomplete operations:\n{}",
        missing.join("\n")
    );
    // The envelopes the responses point at exist.
    for name in ["V2Errors", "V3Errors", "V1_1Envelope", "ErrorItem"] {
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "no {name} schema"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edge_responses_are_declared_where_they_can_happen() {
    let doc = document().await;
    let op = |path: &str, method: &str| doc["paths"][path][method].clone();
    let codes = |op: &Value| -> Vec<String> {
        op["responses"]
            .as_object()
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default()
    };
    // An authenticated operation with a body: every edge answer.
    let register = codes(&op("/v2/customers", "post"));
    for status in ["200", "400", "401", "403", "413", "415", "429", "503"] {
        assert!(
            register.contains(&status.to_string()),
            "POST /v2/customers lacks {status}: {register:?}"
        );
    }
    // The edge's answers are marked as such; the operation's own are not.
    let txn = op("/v2/transactions", "post");
    assert_eq!(txn["responses"]["401"]["x-fidelis-edge"], true);
    assert!(txn["responses"]["404"]["x-fidelis-edge"].is_null(), "{txn}");
    // Health needs no credentials and has no input.
    let health = codes(&op("/health", "get"));
    assert!(!health.contains(&"401".to_string()), "{health:?}");
    assert!(!health.contains(&"415".to_string()), "{health:?}");
    // v1.1 answers in its own envelope, also on success.
    let v1 = op("/v1.1/request/add", "post");
    assert_eq!(
        v1["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/V1_1Envelope"
    );
}
