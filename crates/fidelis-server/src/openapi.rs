//! The OpenAPI document served at `/openapi.json`.
//!
//! Each handler declares its parameters, request body and the responses of its own rules
//! (`#[utoipa::path]`); `complete` then adds what the edge answers for every route alike,
//! so no operation, including ones added later, can leave them out:
//! - every error response carries the envelope of its API version (v1.1, v2, v3) as schema;
//! - 400 wherever there is a parameter or a body (it may not parse, may hold a control
//!   character or be over its length limit: `text_guard`, `text_limits`);
//! - 401, 403 and 429 on every authenticated operation (`auth`);
//! - 413 and 415 on every operation with a body, sign-in included (`serve::MAX_BODY_BYTES`,
//!   `ApiJson`);
//! - 503 on every operation (the request timeout, `edge`);
//! - on v1.1, every body and answer also as `application/xml` (`crate::xml`).

use serde_json::json;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response, Schema};

/// Marks a response the edge gives on every route, as opposed to one of the operation's
/// own rules (`tests/openapi.rs` requires an operation with input to declare one of those).
pub const EDGE_MARK: &str = "x-fidelis-edge";

/// Operations anyone may call: no 401, 403 or 429.
const PUBLIC: &[&str] = &[
    "/health",
    "/o/{org}/.well-known/oauth-authorization-server",
    "/.well-known/oauth-authorization-server/o/{org}",
    "/o/{org}/oauth2/authorize",
];

/// Operations that authenticate by their body rather than by headers: 401 and 429, no 403.
const SIGN_IN: &[&str] = &[
    "/v3/oauth/token/generate",
    "/o/{org}/oauth2/token",
    "/o/{org}/oauth2/revoke",
    "/o/{org}/oauth2/introspect",
];

/// The Auth Engine's paths (mobile and web): they authenticate by their body.
const AUTH_ENGINE: &str = "/auth/v1/";

/// The API version of a path, which decides its envelopes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V1_1,
    V2,
    V3,
    Other,
}

impl Version {
    fn of(path: &str) -> Self {
        if path.starts_with("/v1.1/") {
            Self::V1_1
        } else if path.starts_with("/v2/") {
            Self::V2
        } else if path.starts_with("/v3/") {
            Self::V3
        } else {
            Self::Other
        }
    }

    /// The schema of an error answer.
    fn error_schema(self) -> &'static str {
        match self {
            Self::V1_1 => "V1_1Envelope",
            Self::V3 => "V3Errors",
            Self::V2 | Self::Other => "V2Errors",
        }
    }

    /// The schema of a success answer, where the version has one envelope for all.
    fn success_schema(self) -> Option<&'static str> {
        match self {
            Self::V1_1 => Some("V1_1Envelope"),
            Self::V3 => Some("V3Data"),
            Self::V2 | Self::Other => None,
        }
    }
}

/// The envelopes, by name in `components.schemas`.
fn envelopes() -> Vec<(&'static str, serde_json::Value)> {
    let item = json!({
        "type": "object",
        "required": ["status", "code", "message"],
        "properties": {
            "status": {"type": "boolean", "enum": [false]},
            "code": {"type": "integer", "minimum": 0},
            "message": {"type": "string"}
        }
    });
    let v2_errors = json!({
        "type": "object",
        "description": "v2 error: `{errors: [{status: false, code, message}]}`",
        "required": ["errors"],
        "properties": {
            "errors": {"type": "array", "minItems": 1,
                       "items": {"$ref": "#/components/schemas/ErrorItem"}}
        }
    });
    // v3: the same list beside `data: null`.
    let mut v3_errors = v2_errors.clone();
    v3_errors["description"] = json!("v3 error: `{data: null, errors: [...]}`");
    v3_errors["required"] = json!(["data", "errors"]);
    v3_errors["properties"]["data"] = json!({"type": "null"});
    vec![
        ("ErrorItem", item),
        ("V2Errors", v2_errors),
        ("V3Errors", v3_errors),
        (
            "V3Data",
            json!({
                "type": "object",
                "description": "v3 success: `{data: {...}, errors: null}`",
                "required": ["data", "errors"],
                "properties": {
                    "data": {"type": "object"},
                    "errors": {"type": "null"}
                }
            }),
        ),
        (
            "V1_1Status",
            json!({
                "type": "object",
                "required": ["success", "code", "message"],
                "properties": {
                    "success": {"type": "string", "enum": ["true", "false"]},
                    "code": {"type": "string", "pattern": "^[0-9]+$"},
                    "message": {"type": "string"}
                }
            }),
        ),
        (
            "V1_1Envelope",
            json!({
                "type": "object",
                "description": "v1.1 answer: `{response: {status: {success, code, message}, ...}}`",
                "required": ["response"],
                "properties": {
                    "response": {
                        "type": "object",
                        "required": ["status"],
                        "properties": {"status": {"$ref": "#/components/schemas/V1_1Status"}}
                    }
                }
            }),
        ),
    ]
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn json_content(schema: RefOr<Schema>) -> Content {
    Content::new(Some(schema))
}

/// A JSON object of any shape: the success answers of v2 and the operations endpoints,
/// which are described in prose.
fn any_object() -> RefOr<Schema> {
    serde_json::from_value::<Schema>(json!({"type": "object"}))
        .map(RefOr::T)
        .unwrap_or_else(|_| RefOr::T(Schema::default()))
}

/// What the edge answers on every route: (status, when, applies).
fn edge_responses(
    has_input: bool,
    has_body: bool,
    auth: Auth,
) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if has_input {
        out.push((
            "400",
            "400 a parameter or body that does not parse, text with a control character, or \
             a text over its length limit (docs/limits.md)",
        ));
    }
    if auth != Auth::Public {
        out.push(("401", "401 missing or wrong credentials"));
        out.push(("429", "Too many failed sign-ins for this name and address"));
    }
    if auth == Auth::Headers {
        out.push((
            "403",
            "403 the API client may not use this resource (or attribution outside its org)",
        ));
    }
    if has_body && auth == Auth::Body {
        out.push(("413", "413 body over 16 KiB"));
    } else if has_body {
        out.push(("413", "413 body over 2 MiB"));
    }
    if has_body {
        out.push((
            "415",
            "415 body without Content-Type: application/json (v1.1: or application/xml)",
        ));
    }
    out.push(("503", "503 the request ran past the request timeout"));
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    Public,
    Body,
    Headers,
}

fn complete_operation(path: &str, op: &mut Operation) {
    let version = Version::of(path);
    let auth = if PUBLIC.contains(&path) {
        Auth::Public
    } else if SIGN_IN.contains(&path) || path.starts_with(AUTH_ENGINE) {
        Auth::Body
    } else {
        Auth::Headers
    };
    let has_body = op.request_body.is_some();
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let responses = &mut op.responses.responses;
    for (status, description) in edge_responses(has_params || has_body, has_body, auth) {
        responses.entry(status.to_string()).or_insert_with(|| {
            let mut response = Response::new(description);
            response.extensions = Some(Extensions::from_iter([(EDGE_MARK, json!(true))]));
            RefOr::T(response)
        });
    }
    if path.starts_with("/o/") || path.starts_with("/.well-known/") {
        own_refusals(responses, "OAuthError");
    } else if path.starts_with(AUTH_ENGINE) {
        own_refusals(responses, "AeEnvelope");
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        // Redirects have no body.
        if !response.content.is_empty() || status.starts_with('3') {
            continue;
        }
        let schema = if status.starts_with('2') {
            version
                .success_schema()
                .map(schema_ref)
                .unwrap_or_else(any_object)
        } else if path == "/health" {
            any_object()
        } else {
            schema_ref(version.error_schema())
        };
        response
            .content
            .insert("application/json".to_string(), json_content(schema));
    }
    if version == Version::V1_1 {
        also_xml(op);
    }
}

/// v1.1 also reads and answers XML (`crate::xml`, docs/api.md "XML"): the JSON schemas
/// again under `application/xml`, describing the JSON the XML converts to and from.
fn also_xml(op: &mut Operation) {
    const JSON: &str = "application/json";
    const XML: &str = "application/xml";
    if let Some(body) = op.request_body.as_mut() {
        if let Some(c) = body.content.get(JSON).cloned() {
            body.content.insert(XML.to_string(), c);
        }
    }
    for response in op.responses.responses.values_mut() {
        if let RefOr::T(r) = response {
            if let Some(c) = r.content.get(JSON).cloned() {
                r.content.insert(XML.to_string(), c);
            }
        }
    }
}

/// The OAuth endpoints refuse in RFC 6749 JSON (or an HTML page), the Auth Engine in its
/// own envelope, but a request the edge refuses before the handler runs (a control
/// character in the path, a body that is not JSON) gets the v2 envelope: their own 4xx
/// answers may be either.
fn own_refusals(responses: &mut std::collections::BTreeMap<String, RefOr<Response>>, schema: &str) {
    let either = serde_json::from_value::<Schema>(json!({"oneOf": [
        {"$ref": format!("#/components/schemas/{schema}")},
        {"$ref": "#/components/schemas/V2Errors"}
    ]}));
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let edge = response
            .extensions
            .as_ref()
            .is_some_and(|e| e.contains_key(EDGE_MARK));
        if !status.starts_with('4') || edge {
            continue;
        }
        let schema = match &either {
            Ok(s) if response.content.contains_key("application/json") => RefOr::T(s.clone()),
            _ => schema_ref("V2Errors"),
        };
        response
            .content
            .insert("application/json".to_string(), json_content(schema));
    }
}

/// Adds the edge's responses and the envelopes to every operation of `doc`.
pub fn complete(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in envelopes() {
        if let Ok(schema) = serde_json::from_value::<Schema>(schema) {
            components
                .schemas
                .insert(name.to_string(), RefOr::T(schema));
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        for op in [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            complete_operation(path, op);
        }
    }
}
