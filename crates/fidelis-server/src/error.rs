//! The one place where failures become HTTP responses.
//!
//! A handler returns `ApiError`; its response carries the error as an extension with no
//! body, and the layer of the API version that served it (`render_v2`, `render_v1_1`,
//! `render_v3`) writes the envelope that version documents. So one error type serves every
//! surface, and 404/405 from the router and the plain-text rejections of axum's extractors
//! (query string, path parameters, bodies) get the same envelopes.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fidelis_domain::error::{CodedError, ErrorClass, Success};
use serde_json::json;

/// One failed item of an error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorItem {
    pub code: u32,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub items: Vec<ErrorItem>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            items: vec![ErrorItem {
                code,
                message: message.into(),
            }],
        }
    }

    /// Invalid input: HTTP 400, Capillary code 400 unless a sharper one is given.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 400, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 401, "Authentication failed")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, 403, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, 404, message)
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            415,
            "Unsupported media type: send Content-Type: application/json",
        )
    }

    /// A body over the edge's limit (`serve::MAX_BODY_BYTES`, `serve::SIGN_IN_MAX_BODY_BYTES`
    /// for sign-in): HTTP 413, code 413.
    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            413,
            format!(
                "Request body too large: the limit is {} bytes ({} for sign-in)",
                crate::serve::MAX_BODY_BYTES,
                crate::serve::SIGN_IN_MAX_BODY_BYTES
            ),
        )
    }

    /// An upload over the configured limit (`[connect] max_upload_bytes`): HTTP 413.
    pub fn upload_too_large(max: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            413,
            format!("File too large: the upload limit is {max} bytes"),
        )
    }

    /// A text with a NUL or another control character (`text_guard`).
    pub fn control_characters() -> Self {
        Self::invalid("Input is invalid: text must not contain NUL or other control characters")
    }

    /// A text over its length limit (`text_limits`): HTTP 400, code 400, naming the field.
    pub fn too_long(field: &str, max: usize) -> Self {
        Self::invalid(format!(
            "Input is invalid: {field} must be at most {max} characters"
        ))
    }

    /// A request the extractors could not parse (query string, path parameter, body):
    /// HTTP 400, code 400, naming the problem.
    pub fn unparsable(detail: &str) -> Self {
        Self::invalid(format!(
            "Input is invalid, Please check request parameters or input json: {detail}"
        ))
    }

    /// A handler ran past the request timeout and was stopped.
    pub fn timed_out(limit: std::time::Duration) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            503,
            format!(
                "The request took longer than {} ms and was stopped",
                limit.as_millis()
            ),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            "Internal error; it has been logged",
        )
    }

    pub fn first_code(&self) -> u32 {
        self.items.first().map(|i| i.code).unwrap_or(500)
    }

    pub fn first_message(&self) -> &str {
        self.items
            .first()
            .map(|i| i.message.as_str())
            .unwrap_or("Failed")
    }

    /// A failure of ours: a batch stops at it rather than reporting it per item.
    pub fn is_internal(&self) -> bool {
        self.status.is_server_error()
    }
}

/// How each class of domain failure is answered over HTTP.
pub fn status_for(class: ErrorClass) -> StatusCode {
    match class {
        ErrorClass::Invalid | ErrorClass::Conflict => StatusCode::BAD_REQUEST,
        ErrorClass::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorClass::Forbidden => StatusCode::FORBIDDEN,
        ErrorClass::NotFound => StatusCode::NOT_FOUND,
        ErrorClass::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorClass::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl<E: CodedError> From<E> for ApiError {
    fn from(e: E) -> Self {
        let class = e.class();
        if class == ErrorClass::Internal {
            tracing::error!(error = %e, "internal error");
            return ApiError::internal();
        }
        ApiError::new(status_for(class), e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = self.status;
        res.extensions_mut().insert(self);
        res
    }
}

/// The request-level `(code, message)` of a v1.1 batch from its items' outcomes.
pub fn batch_code(ok: usize, total: usize) -> (u32, &'static str) {
    match ok {
        n if n == total => (Success::Done.code(), "SUCCESS"),
        0 => (500, "All requests have failed due to errors"),
        _ => (Success::SomeFailed.code(), Success::SomeFailed.message()),
    }
}

/// One failed item `{"status": false, "code", "message"}` of a batch or a warnings list.
/// A failure of ours is reported without its detail (which is logged).
pub fn item_json<E: CodedError>(e: &E) -> serde_json::Value {
    if e.class() == ErrorClass::Internal {
        tracing::error!(error = %e, "internal error");
        return json!({"status": false, "code": 500, "message": "Internal error; it has been logged"});
    }
    json!({"status": false, "code": e.code(), "message": e.to_string()})
}

fn items_json(err: &ApiError) -> Vec<serde_json::Value> {
    err.items
        .iter()
        .map(|i| json!({"status": false, "code": i.code, "message": i.message}))
        .collect()
}

/// Fills a bodiless error response (ours, or the router's 404/405) with `body(err)`.
async fn render(req: Request, next: Next, body: fn(&ApiError) -> serde_json::Value) -> Response {
    let mut res = next.run(req).await;
    let err = match res.extensions_mut().remove::<ApiError>() {
        Some(e) => e,
        // A console page (say, its 404) is already what the person should see.
        None if is_page(&res) => return res,
        None if res.status() == StatusCode::NOT_FOUND => ApiError::not_found("Resource not found"),
        None if res.status() == StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            405,
            "Operation not supported",
        ),
        None if is_plain_text_error(&res) => {
            let (err, headers) = rejection(res).await;
            res = Response::new(Body::empty());
            *res.headers_mut() = headers;
            err
        }
        None => return res,
    };
    let mut out = (err.status, axum::Json(body(&err))).into_response();
    // Keep headers set on the way out (request id, Allow) on the rewritten response.
    for (name, value) in res.headers() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// An HTML page (the console's).
fn is_page(res: &Response) -> bool {
    res.headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// An error response with a plain-text body: an extractor's rejection, never one of ours.
fn is_plain_text_error(res: &Response) -> bool {
    let status = res.status();
    (status.is_client_error() || status.is_server_error())
        && res
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"))
}

/// The `ApiError` for an extractor's plain-text rejection, and the headers to keep.
async fn rejection(res: Response) -> (ApiError, axum::http::HeaderMap) {
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let err = match parts.status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::unsupported_media_type(),
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => ApiError::unparsable(&text),
        s if s.is_client_error() => ApiError::new(s, u32::from(s.as_u16()), text),
        s => {
            tracing::error!(status = %s, rejection = %text, "extractor failed");
            ApiError::internal()
        }
    };
    (err, parts.headers)
}

/// The v1.1 error envelope `{"response": {"status": {"success": "false", "code", "message"}}}`.
pub(crate) fn v1_1_error(e: &ApiError) -> serde_json::Value {
    json!({
        "response": {
            "status": {
                "success": "false",
                "code": e.first_code().to_string(),
                "message": e.first_message(),
            }
        }
    })
}

/// Writes the envelope of the API version the path belongs to: v1.1
/// `{"response": {"status": {"success": "false", "code": "n", "message": "…"}}}`, v3
/// `{"data": null, "errors": [...]}`, and v2 (and everything else)
/// `{"errors": [{"status": false, "code": n, "message": "…"}]}`.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let body: fn(&ApiError) -> serde_json::Value = if path.starts_with("/v1.1/") {
        v1_1_error
    } else if path.starts_with("/v3/") {
        |e| json!({ "data": null, "errors": items_json(e) })
    } else {
        |e| json!({ "errors": items_json(e) })
    };
    render(req, next, body).await
}
