//! The OAuth 2.0 authorization server for partner apps, one issuer per org at
//! `{base}/o/{org_code}`: RFC 8414 metadata, the hosted sign-in page (`page`), and the
//! token, revocation (RFC 7009) and introspection (RFC 7662) endpoints.
//!
//! These endpoints speak OAuth, not Capillary: errors are RFC 6749 §5.2 JSON
//! (`{"error", "error_description"}`) and token answers carry `Cache-Control: no-store`.

mod page;

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use fidelis_app::identity::TokenSet;
use fidelis_app::AppError;
use fidelis_domain::error::{CodedError, ErrorClass};
use fidelis_domain::identity::{form_decode, IdentityError, KNOWN_SCOPES};
use fidelis_domain::org::Org;
use fidelis_store::identity::ClientRecord;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(metadata))
        .routes(routes!(metadata_rfc8414))
        .routes(routes!(page::authorize, page::step))
        .routes(routes!(token))
        .routes(routes!(revoke))
        .routes(routes!(introspect))
}

/// An RFC 6749 §5.2 / RFC 6750 §3 error answer.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the wire shape only
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`,
    /// `invalid_scope`, `invalid_token`, `insufficient_scope`, `server_error`, …
    error: String,
    error_description: Option<String>,
}

/// The issuer of an org: `{base}/o/{org_code}`, `base` from the request's Host.
fn issuer(headers: &HeaderMap, org: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}/o/{org}")
}

/// An RFC 6749 §5.2 error answer.
pub(crate) fn oauth_error(e: &AppError) -> Response {
    let (status, error, description) = match e {
        AppError::Identity(i) => {
            let status = match i {
                IdentityError::InvalidClient => StatusCode::UNAUTHORIZED,
                IdentityError::UnknownOrg => StatusCode::BAD_REQUEST,
                IdentityError::Corrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            };
            (status, i.oauth_error(), i.to_string())
        }
        e if e.class() == ErrorClass::Internal => {
            tracing::error!(error = %e, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal error; it has been logged".to_string(),
            )
        }
        e => (StatusCode::BAD_REQUEST, "invalid_request", e.to_string()),
    };
    let mut res = (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    no_store(res.headers_mut());
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"fidelis\""),
        );
    }
    res
}

fn no_store(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn metadata_document(headers: &HeaderMap, org: &Org) -> Value {
    let iss = issuer(headers, &org.code);
    json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth2/authorize"),
        "token_endpoint": format!("{iss}/oauth2/token"),
        "revocation_endpoint": format!("{iss}/oauth2/revoke"),
        "introspection_endpoint": format!("{iss}/oauth2/introspect"),
        "scopes_supported": KNOWN_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "service_documentation": "https://github.com/fidelis/fidelis/blob/main/docs/oauth.md",
    })
}

async fn metadata_for(state: &AppState, headers: &HeaderMap, org: &str) -> Response {
    match state.app.identity().org(org).await {
        Ok(o) => Json(metadata_document(headers, &o)).into_response(),
        Err(e) => oauth_error(&e),
    }
}

/// RFC 8414 metadata of the org's authorization server.
#[utoipa::path(get, path = "/o/{org}/.well-known/oauth-authorization-server", tag = "oauth",
    params(("org" = String, Path, description = "The org code")),
    responses((status = 200, description = "RFC 8414 metadata", body = Object),
              (status = 400, description = "Unknown org (RFC 6749 error JSON)", body = OAuthError)))]
pub async fn metadata(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Response {
    metadata_for(&state, &headers, &org).await
}

/// The same metadata at the RFC 8414 §3.1 location for an issuer with a path.
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server/o/{org}", tag = "oauth",
    params(("org" = String, Path, description = "The org code")),
    responses((status = 200, description = "RFC 8414 metadata", body = Object),
              (status = 400, description = "Unknown org (RFC 6749 error JSON)", body = OAuthError)))]
pub async fn metadata_rfc8414(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> Response {
    metadata_for(&state, &headers, &org).await
}

/// The client's id and secret, from Basic credentials (RFC 6749 §2.3.1) or the form.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(String, String), AppError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Basic ")
                .or_else(|| h.strip_prefix("basic "))
        });
    let in_form = form.get("client_secret").is_some();
    match basic {
        Some(_) if in_form => Err(IdentityError::InvalidRequest(
            "use one client authentication method, not two".into(),
        )
        .into()),
        Some(b) => {
            let decoded = STANDARD
                .decode(b.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .ok_or(IdentityError::InvalidClient)?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or(IdentityError::InvalidClient)?;
            Ok((
                form_decode(id).ok_or(IdentityError::InvalidClient)?,
                form_decode(secret).ok_or(IdentityError::InvalidClient)?,
            ))
        }
        None => match (form.get("client_id"), form.get("client_secret")) {
            (Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
            _ => Err(IdentityError::InvalidClient.into()),
        },
    }
}

async fn authenticated(
    state: &AppState,
    org: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(Org, ClientRecord), AppError> {
    let id = state.app.identity();
    let org = id.org(org).await?;
    let (client_id, secret) = client_credentials(headers, form)?;
    let client = id.authenticate_client(&org, &client_id, &secret).await?;
    Ok((org, client))
}

fn required<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, AppError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| IdentityError::InvalidRequest(format!("{name} is required")).into())
}

fn tokens_json(t: &TokenSet) -> Response {
    let mut res = Json(json!({
        "access_token": t.access_token,
        "token_type": "Bearer",
        "expires_in": t.expires_in,
        "refresh_token": t.refresh_token,
        "scope": t.scope,
    }))
    .into_response();
    no_store(res.headers_mut());
    res
}

/// The token endpoint: `authorization_code` (with PKCE) and `refresh_token` grants.
#[utoipa::path(post, path = "/o/{org}/oauth2/token", tag = "oauth",
    params(("org" = String, Path, description = "The org code")),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded",
        description = "grant_type, code, redirect_uri, code_verifier | refresh_token, scope; client_id and client_secret unless sent as Basic credentials"),
    responses((status = 200, description = "Tokens (Cache-Control: no-store)", body = Object),
              (status = 400, description = "RFC 6749 §5.2 error", body = OAuthError),
              (status = 401, description = "invalid_client", body = OAuthError)))]
pub async fn token(
    State(state): State<AppState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let out = async {
        let (org, client) = authenticated(&state, &org, &headers, &form).await?;
        let id = state.app.identity();
        match required(&form, "grant_type")? {
            "authorization_code" => {
                id.exchange_code(
                    &org,
                    &client,
                    required(&form, "code")?,
                    form.get("redirect_uri").map(String::as_str),
                    form.get("code_verifier").map(String::as_str),
                )
                .await
            }
            "refresh_token" => {
                id.refresh(
                    &org,
                    &client,
                    required(&form, "refresh_token")?,
                    form.get("scope").map(String::as_str),
                )
                .await
            }
            _ => Err(IdentityError::UnsupportedGrantType.into()),
        }
    }
    .await;
    match out {
        Ok(t) => tokens_json(&t),
        Err(e) => oauth_error(&e),
    }
}

/// RFC 7009 revocation: 200 whether or not the token was known.
#[utoipa::path(post, path = "/o/{org}/oauth2/revoke", tag = "oauth",
    params(("org" = String, Path, description = "The org code")),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded",
        description = "token, token_type_hint (a hint only); client credentials"),
    responses((status = 200, description = "Revoked (or unknown)"),
              (status = 400, description = "RFC 6749 §5.2 error", body = OAuthError),
              (status = 401, description = "invalid_client", body = OAuthError)))]
pub async fn revoke(
    State(state): State<AppState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let out = async {
        let (org, client) = authenticated(&state, &org, &headers, &form).await?;
        state
            .app
            .identity()
            .revoke(&org, &client, required(&form, "token")?)
            .await
    }
    .await;
    match out {
        Ok(()) => {
            let mut res = StatusCode::OK.into_response();
            no_store(res.headers_mut());
            res
        }
        Err(e) => oauth_error(&e),
    }
}

/// RFC 7662 introspection for the org's partner clients.
#[utoipa::path(post, path = "/o/{org}/oauth2/introspect", tag = "oauth",
    params(("org" = String, Path, description = "The org code")),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded",
        description = "token, token_type_hint; client credentials"),
    responses((status = 200, description = "{\"active\": …} and, when active, scope, client_id, sub, exp, iat, token_type", body = Object),
              (status = 400, description = "RFC 6749 §5.2 error", body = OAuthError),
              (status = 401, description = "invalid_client", body = OAuthError)))]
pub async fn introspect(
    State(state): State<AppState>,
    Path(org): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let out = async {
        let (org, _client) = authenticated(&state, &org, &headers, &form).await?;
        state
            .app
            .identity()
            .introspect(&org, required(&form, "token")?)
            .await
    }
    .await;
    let body = match out {
        Ok(Some(t)) => json!({
            "active": true,
            "scope": t.scope,
            "client_id": t.client_id,
            "sub": t.customer_id.to_string(),
            "exp": t.expires_at.as_second(),
            "iat": t.created_at.as_second(),
            "token_type": if t.kind == "access" { "Bearer" } else { "refresh_token" },
        }),
        Ok(None) => json!({"active": false}),
        Err(e) => return oauth_error(&e),
    };
    let mut res = Json(body).into_response();
    no_store(res.headers_mut());
    res
}
