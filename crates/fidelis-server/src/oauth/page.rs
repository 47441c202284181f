//! The hosted sign-in page: identifier → OTP → consent → `303` back to the client.
//!
//! Server-rendered HTML forms, no script. Every form posts back to the authorize URL with
//! the pending request's id, its CSRF token and the step. An unknown client or redirect
//! URI gets an error page and never a redirect; other request errors go back to the
//! client's verified redirect URI with `error` and `state`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use fidelis_app::identity::{AfterSignIn, AuthorizeParams, AuthorizeRefusal, Started};
use fidelis_app::AppError;
use fidelis_domain::error::{CodedError, ErrorClass};
use fidelis_domain::identity::IdentityError;
use fidelis_domain::org::Org;

use crate::auth::ClientAddress;
use crate::error::status_for;
use crate::AppState;

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Headers every page carries: not framed (clickjacking), not cached, no referrer.
fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let doc = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}\
         input,button{{font-size:1.1rem;padding:.4rem;margin:.3rem 0}}.error{{color:#b00020}}</style></head>\
         <body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    );
    crate::html::page(status, doc)
}

/// The status a page shows an error with: never 404 (the router's 404s are the API's) nor
/// 401 (a browser has no credentials to offer; an unknown client is a bad request).
fn status_of(e: &AppError) -> StatusCode {
    match status_for(e.class()) {
        StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED => StatusCode::BAD_REQUEST,
        s => s,
    }
}

fn message_of(e: &AppError) -> String {
    if matches!(e, AppError::Identity(IdentityError::InvalidClient)) {
        return "This app is not registered here.".into();
    }
    if e.class() == ErrorClass::Internal {
        tracing::error!(error = %e, "internal error on the sign-in page");
        return "Something went wrong on our side; please try again.".into();
    }
    e.to_string()
}

fn error_page(e: &AppError) -> Response {
    let body = format!(
        "<p class=\"error\">{}</p><p>Go back to the app you came from and try again.</p>",
        escape(&message_of(e))
    );
    html(status_of(e), "Sign-in failed", &body)
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            res.headers_mut().insert(header::LOCATION, v);
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(_) => error_page(&AppError::from(IdentityError::InvalidRequest(
            "the redirect URI cannot be used".into(),
        ))),
    }
}

fn form(org: &Org, s: &Started, step: &str, inner: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/o/{org}/oauth2/authorize\">\
         <input type=\"hidden\" name=\"request\" value=\"{r}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{c}\">\
         <input type=\"hidden\" name=\"step\" value=\"{step}\">{inner}</form>",
        org = escape(&org.code),
        r = escape(&s.request.id),
        c = escape(&s.csrf),
    )
}

fn notice(message: Option<&str>) -> String {
    message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default()
}

fn identify_page(org: &Org, s: &Started, status: StatusCode, message: Option<&str>) -> Response {
    let body = format!(
        "<p><strong>{client}</strong> asks to use your {org} account.</p>{n}{f}",
        client = escape(&s.client.name),
        org = escape(&org.name),
        n = notice(message),
        f = form(
            org,
            s,
            "identify",
            "<label for=\"identifier\">Mobile number or email</label><br>\
             <input id=\"identifier\" name=\"identifier\" autocomplete=\"username\" required><br>\
             <button type=\"submit\">Send me a code</button>"
        )
    );
    html(status, &format!("Sign in to {}", org.name), &body)
}

fn otp_page(
    org: &Org,
    s: &Started,
    sent_to: &str,
    identifier: &str,
    status: StatusCode,
    message: Option<&str>,
) -> Response {
    let resend = format!(
        "<input type=\"hidden\" name=\"identifier\" value=\"{}\"><button type=\"submit\">Send a new code</button>",
        escape(identifier)
    );
    let body = format!(
        "<p>We sent a six-digit code to {to}.</p>{n}{f}{again}",
        to = escape(sent_to),
        n = notice(message),
        f = form(
            org,
            s,
            "otp",
            &format!(
                "<input type=\"hidden\" name=\"identifier\" value=\"{}\">\
                 <label for=\"otp\">Code</label><br>\
                 <input id=\"otp\" name=\"otp\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required><br>\
                 <button type=\"submit\">Sign in</button>",
                escape(identifier)
            )
        ),
        again = form(org, s, "identify", &resend),
    );
    html(status, "Enter your code", &body)
}

fn consent_page(org: &Org, s: &Started) -> Response {
    let scopes: String = s
        .request
        .scope
        .split(' ')
        .map(|sc| {
            let what = match sc {
                "profile" => "see and update your name and subscriptions",
                "points" => "see your points and transactions, and redeem points",
                "coupons" => "see and redeem your coupons",
                other => other,
            };
            format!("<li>{}</li>", escape(what))
        })
        .collect();
    let body = format!(
        "<p><strong>{client}</strong> asks to:</p><ul>{scopes}</ul>{f}",
        client = escape(&s.client.name),
        f = form(
            org,
            s,
            "consent",
            "<button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button> \
             <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>"
        )
    );
    html(
        StatusCode::OK,
        &format!("Allow access to your {} account?", org.name),
        &body,
    )
}

/// The landing page: checks the authorization request and asks who is signing in.
#[utoipa::path(get, path = "/o/{org}/oauth2/authorize", tag = "oauth",
    params(("org" = String, Path, description = "The org code"),
           ("response_type" = String, Query, description = "`code`"),
           ("client_id" = String, Query, description = "The partner client"),
           ("redirect_uri" = Option<String>, Query, description = "A registered redirect URI, byte for byte"),
           ("scope" = Option<String>, Query, description = "Space-separated: profile points coupons"),
           ("state" = Option<String>, Query, description = "Returned verbatim"),
           ("code_challenge" = String, Query, description = "PKCE challenge"),
           ("code_challenge_method" = String, Query, description = "`S256`")),
    responses((status = 200, description = "The sign-in form (HTML)", content_type = "text/html"),
              (status = 303, description = "Back to the client with `error` and `state`"),
              (status = 400, description = "Unknown org, client or redirect URI: an error page, no redirect (HTML)", content_type = "text/html")))]
pub async fn authorize(
    State(state): State<AppState>,
    Path(org): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = state.app.identity();
    let org = match id.org(&org).await {
        Ok(o) => o,
        Err(e) => return error_page(&e),
    };
    let p = AuthorizeParams {
        response_type: q.get("response_type").cloned(),
        client_id: q.get("client_id").cloned(),
        redirect_uri: q.get("redirect_uri").cloned(),
        scope: q.get("scope").cloned(),
        state: q.get("state").cloned(),
        code_challenge: q.get("code_challenge").cloned(),
        code_challenge_method: q.get("code_challenge_method").cloned(),
    };
    match id.begin(&org, &p).await {
        Ok(s) => identify_page(&org, &s, StatusCode::OK, None),
        Err(AuthorizeRefusal::Page(e)) => error_page(&e),
        Err(AuthorizeRefusal::Redirect { location }) => see_other(&location),
    }
}

/// One step of the sign-in page (`step` = identify, otp or consent).
#[utoipa::path(post, path = "/o/{org}/oauth2/authorize", tag = "oauth",
    params(("org" = String, Path, description = "The org code")),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded",
        description = "request, csrf, step (identify | otp | consent) and identifier, otp or decision"),
    responses((status = 200, description = "The next form (HTML)", content_type = "text/html"),
              (status = 303, description = "Back to the client with `code` and `state` (or `error`)"),
              (status = 400, description = "Wrong input or an expired request (HTML)", content_type = "text/html"),
              (status = 403, description = "A CSRF token not issued for this request (HTML)", content_type = "text/html"),
              (status = 429, description = "Too many codes asked for (HTML)", content_type = "text/html")))]
pub async fn step(
    State(state): State<AppState>,
    Path(org): Path<String>,
    ClientAddress(ip): ClientAddress,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let id = state.app.identity();
    let org = match id.org(&org).await {
        Ok(o) => o,
        Err(e) => return error_page(&e),
    };
    let field = |name: &str| f.get(name).map(String::as_str).unwrap_or_default();
    let s = match id.pending(&org, field("request"), field("csrf")).await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    let ip = ip.map(|a| a.to_string()).unwrap_or_default();
    match field("step") {
        "identify" => match id.send_otp(&org, &s, field("identifier"), &ip).await {
            Ok(to) => otp_page(&org, &s, &to, field("identifier"), StatusCode::OK, None),
            Err(e) => identify_page(&org, &s, status_of(&e), Some(&message_of(&e))),
        },
        "otp" => match id.verify_otp(&org, &s, field("otp")).await {
            Ok(signed) => match id.after_sign_in(&org, signed).await {
                Ok(AfterSignIn::Consent(s)) => consent_page(&org, &s),
                Ok(AfterSignIn::Redirect(location)) => see_other(&location),
                Err(e) => error_page(&e),
            },
            Err(e @ AppError::Identity(IdentityError::WrongOtp { .. })) => otp_page(
                &org,
                &s,
                "you",
                field("identifier"),
                status_of(&e),
                Some(&message_of(&e)),
            ),
            Err(e) => identify_page(&org, &s, status_of(&e), Some(&message_of(&e))),
        },
        "consent" => match id.consent(&org, &s, field("decision") == "allow").await {
            Ok(location) => see_other(&location),
            Err(e) => error_page(&e),
        },
        _ => error_page(&AppError::from(IdentityError::InvalidRequest(
            "unknown step".into(),
        ))),
    }
}
