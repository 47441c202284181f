//! The Auth Engine (Capillary's customer authentication for a brand's own apps) at
//! `/auth/v1/...` (mobile apps) and `/auth/v1/web/...` (web apps). Thin handlers over
//! `fidelis_app::identity`'s `ae_*` commands; answers use Capillary's envelope
//! `{"status": {"success", "code", "message"}, "auth": {"token", "key"}, "user": {...}}`,
//! failures the same `status` with the 15xx code (docs/oauth.md, "Auth Engine").

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fidelis_app::identity::{AeAnswer, AeRequest};
use fidelis_app::AppError;
use fidelis_domain::error::{CodedError, ErrorClass};
use fidelis_domain::identity::{otp_code, AuthEngineError};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::ClientAddress;
use crate::error::status_for;
use crate::json::ApiJson;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token_generate))
        .routes(routes!(otp_generate))
        .routes(routes!(otp_validate))
        .routes(routes!(token_regenerate))
        .routes(routes!(password_validate))
        .routes(routes!(password_change))
        .routes(routes!(password_forget))
        .routes(routes!(web_token_generate))
        .routes(routes!(web_otp_generate))
        .routes(routes!(web_otp_validate))
        .routes(routes!(web_token_regenerate))
        .routes(routes!(web_password_validate))
        .routes(routes!(web_password_change))
        .routes(routes!(web_password_forget))
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::serve::SIGN_IN_MAX_BODY_BYTES,
        ))
}

/// The Auth Engine's answer: `status`, and on success `auth` and `user`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the wire shape only
pub struct AeEnvelope {
    /// `{"success": bool, "code": 200 | 15xx, "message"}`.
    status: AeStatus,
    /// `{"token", "key"}`: the VIEW or USER token; `key` (mobile, after `otp/validate`)
    /// regenerates tokens.
    auth: Option<Object>,
    /// `{"appRegistered", "sessionId", "role": "VIEW" | "USER", "userRegisteredForPassword"}`.
    user: Option<Object>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct AeStatus {
    success: bool,
    code: i64,
    message: String,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct Object {}

/// The body of every Auth Engine call (fields as Capillary names them).
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct AeBody {
    /// `MOBILE` or `EMAIL` (`USERNAME` needs passwords: 1524).
    #[schema(example = "MOBILE")]
    identifier_type: String,
    identifier_value: String,
    /// Required for mobile apps.
    device_id: Option<String>,
    /// The org code.
    brand: String,
    /// From `token/generate` (otp/generate, otp/validate).
    session_id: Option<String>,
    /// The code received (otp/validate).
    otp: Option<String>,
    /// The mobile key from `otp/validate` (mobile `token/regenerate`).
    key: Option<String>,
    /// The last USER token (web `token/regenerate`).
    expired_token: Option<String>,
}

#[derive(Clone, Copy)]
enum Op {
    TokenGenerate,
    OtpGenerate,
    OtpValidate,
    TokenRegenerate,
    Password,
}

/// A text field, or a number sent where a text is documented (`otp` is a "long").
fn text(body: &Value, name: &str) -> Result<Option<String>, AuthEngineError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(AuthEngineError::InvalidDetails(format!(
            "{name} must be a string"
        ))),
    }
}

/// The `otp` field: a text, or a number (Capillary documents it as a "long"); a number
/// has lost its leading zeros, so it is read back as the six-digit code it stands for.
fn otp(body: &Value) -> Result<Option<String>, AuthEngineError> {
    match body.get("otp") {
        Some(Value::Number(n)) => match n.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n < 1_000_000 => Ok(Some(otp_code(n))),
            _ => Ok(Some(n.to_string())),
        },
        _ => text(body, "otp"),
    }
}

fn request(web: bool, body: &Value) -> Result<AeRequest, AuthEngineError> {
    if !body.is_object() {
        return Err(AuthEngineError::InvalidDetails(
            "the body must be a JSON object".into(),
        ));
    }
    Ok(AeRequest {
        web,
        identifier_type: text(body, "identifierType")?,
        identifier_value: text(body, "identifierValue")?,
        device_id: text(body, "deviceId")?,
        brand: text(body, "brand")?,
        session_id: text(body, "sessionId")?,
        otp: otp(body)?,
        key: text(body, "key")?,
        expired_token: text(body, "expiredToken")?,
    })
}

fn no_store(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn ok(answer: Option<AeAnswer>) -> Response {
    let mut body = json!({"status": {"success": true, "code": 200, "message": "SUCCESS"}});
    if let Some(a) = answer {
        body["auth"] = json!({"token": a.token, "key": a.key});
        body["user"] = json!({
            "appRegistered": a.app_registered,
            "sessionId": a.session_id,
            "role": a.role,
            "userRegisteredForPassword": false,
        });
    }
    no_store((StatusCode::OK, Json(body)).into_response())
}

fn refusal(e: &AppError) -> Response {
    let (status, code, message) = if e.class() == ErrorClass::Internal {
        tracing::error!(error = %e, "internal error");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            "internal error; it has been logged".to_string(),
        )
    } else {
        // A 404 would read as "no such endpoint": the Auth Engine answers 400.
        let status = match status_for(e.class()) {
            StatusCode::NOT_FOUND => StatusCode::BAD_REQUEST,
            s => s,
        };
        (status, e.code(), e.to_string())
    };
    let body = json!({"status": {"success": false, "code": code, "message": message}});
    no_store((status, Json(body)).into_response())
}

async fn run(
    state: &AppState,
    web: bool,
    op: Op,
    ip: Option<std::net::IpAddr>,
    body: &Value,
) -> Response {
    let r = match request(web, body) {
        Ok(r) => r,
        Err(e) => return refusal(&e.into()),
    };
    let id = state.app.identity();
    let ip = ip.map(|a| a.to_string()).unwrap_or_default();
    let result = match op {
        Op::TokenGenerate => id.ae_token_generate(&r).await.map(Some),
        Op::OtpGenerate => id.ae_otp_generate(&r, &ip).await.map(|()| None),
        Op::OtpValidate => id.ae_otp_validate(&r).await.map(Some),
        Op::TokenRegenerate => id.ae_token_regenerate(&r).await.map(Some),
        Op::Password => Err(AuthEngineError::PasswordNotEnabled.into()),
    };
    match result {
        Ok(a) => ok(a),
        Err(e) => refusal(&e),
    }
}

macro_rules! endpoint {
    ($name:ident, $path:literal, $web:expr, $op:expr, $doc:literal, $ok:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "authengine", request_body = AeBody,
            responses((status = 200, description = $ok, body = AeEnvelope),
                      (status = 400, description = "1505 invalid session, 1506 invalid OTP, 1508 device mismatch, 1515 no such customer, 1518 out of OTP tries, 1519 invalid details (unknown brand, missing field), 1537 no OTP sent, 1541 identifier mismatch, 1546 invalid identifierType", body = AeEnvelope),
                      (status = 401, description = "1525 cannot regenerate, 1529 token expired", body = AeEnvelope),
                      (status = 403, description = "1524 password is not enabled for the brand", body = AeEnvelope),
                      (status = 429, description = "1534 too many OTPs for the customer, 1503 resend cool-down", body = AeEnvelope)))]
        pub async fn $name(
            State(state): State<AppState>,
            ClientAddress(ip): ClientAddress,
            ApiJson(body): ApiJson<Value>,
        ) -> Response {
            run(&state, $web, $op, ip, &body).await
        }
    };
}

endpoint!(
    token_generate,
    "/auth/v1/token/generate",
    false,
    Op::TokenGenerate,
    "Opens a 15-minute session for a mobile app: `sessionId` and a VIEW token.",
    "`auth.token` (VIEW), `user.sessionId`, `user.role` VIEW"
);
endpoint!(
    otp_generate,
    "/auth/v1/otp/generate",
    false,
    Op::OtpGenerate,
    "Sends an OTP for the session to its mobile number (SMS) or email.",
    "`status` only: the code was sent"
);
endpoint!(
    otp_validate,
    "/auth/v1/otp/validate",
    false,
    Op::OtpValidate,
    "Validates the session's OTP: a USER token and the mobile `key`.",
    "`auth.token` (USER, 15 minutes), `auth.key`, `user.role` USER"
);
endpoint!(
    token_regenerate,
    "/auth/v1/token/regenerate",
    false,
    Op::TokenRegenerate,
    "A new USER token from the mobile `key`.",
    "`auth.token` (USER)"
);
endpoint!(
    password_validate,
    "/auth/v1/password/validate",
    false,
    Op::Password,
    "Password sign-in: not enabled for any brand (1524).",
    "never"
);
endpoint!(
    password_change,
    "/auth/v1/password/change",
    false,
    Op::Password,
    "Password change: not enabled for any brand (1524).",
    "never"
);
endpoint!(
    password_forget,
    "/auth/v1/password/forget",
    false,
    Op::Password,
    "Password reset: not enabled for any brand (1524).",
    "never"
);
endpoint!(
    web_token_generate,
    "/auth/v1/web/token/generate",
    true,
    Op::TokenGenerate,
    "Opens a 15-minute session for a web app: `sessionId` and a VIEW token.",
    "`auth.token` (VIEW), `user.sessionId`, `user.role` VIEW"
);
endpoint!(
    web_otp_generate,
    "/auth/v1/web/otp/generate",
    true,
    Op::OtpGenerate,
    "Sends an OTP for the web session to its mobile number (SMS) or email.",
    "`status` only: the code was sent"
);
endpoint!(
    web_otp_validate,
    "/auth/v1/web/otp/validate",
    true,
    Op::OtpValidate,
    "Validates the web session's OTP: a USER token (no key on the web).",
    "`auth.token` (USER, 15 minutes), `user.role` USER"
);
endpoint!(
    web_token_regenerate,
    "/auth/v1/web/token/regenerate",
    true,
    Op::TokenRegenerate,
    "A new USER token from the last one (`expiredToken`), which is spent.",
    "`auth.token` (USER)"
);
endpoint!(
    web_password_validate,
    "/auth/v1/web/password/validate",
    true,
    Op::Password,
    "Password sign-in: not enabled for any brand (1524).",
    "never"
);
endpoint!(
    web_password_change,
    "/auth/v1/web/password/change",
    true,
    Op::Password,
    "Password change: not enabled for any brand (1524).",
    "never"
);
endpoint!(
    web_password_forget,
    "/auth/v1/web/password/forget",
    true,
    Op::Password,
    "Password reset: not enabled for any brand (1524).",
    "never"
);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::otp;

    #[test]
    fn an_otp_sent_as_a_number_keeps_its_leading_zeros() {
        assert_eq!(otp(&json!({"otp": 12345})), Ok(Some("012345".into())));
        assert_eq!(otp(&json!({"otp": 7})), Ok(Some("000007".into())));
        assert_eq!(otp(&json!({"otp": "012345"})), Ok(Some("012345".into())));
        // Not a six-digit code: compared as sent, and refused as wrong.
        assert_eq!(otp(&json!({"otp": 12345678})), Ok(Some("12345678".into())));
        assert_eq!(otp(&json!({})), Ok(None));
    }
}
