//! "Sign in with Google": the redirect to the provider and its callback. The handlers only
//! carry the browser's secret cookie and the callback's parameters to
//! `fidelis_app::console` and render the outcome.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use fidelis_app::console::GoogleCallback;
use fidelis_app::AppError;

use super::pages::{error_page_back, render};
use super::session::{cookie, SESSION_COOKIE};
use crate::AppState;

/// The browser's secret for a Google sign-in under way. `SameSite=Lax`, unlike the session
/// cookie, because it must come back on the provider's cross-site redirect; it is sent
/// only to the Google routes, and the server honours it for ten minutes at most.
const GOOGLE_COOKIE: &str = "fidelis_console_google";
const GOOGLE_PATH: &str = "/console/login/google";
const BACK_TO_SIGN_IN: (&str, &str) = ("/console/login", "Back to sign-in");

fn google_cookie(value: String) -> Cookie<'static> {
    Cookie::build((GOOGLE_COOKIE, value))
        .path(GOOGLE_PATH)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .build()
}

fn refused(e: &AppError) -> Response {
    error_page_back(e, BACK_TO_SIGN_IN)
}

/// `GET /console/login/google`: off to the provider, with a fresh secret in the cookie.
pub async fn start(State(state): State<AppState>, jar: CookieJar) -> Response {
    match state.app.console().google_start().await {
        Ok(go) => (
            jar.add(google_cookie(go.browser_secret)),
            Redirect::to(&go.url),
        )
            .into_response(),
        Err(e) => refused(&e),
    }
}

/// Shown once signed in: the browser moves on to the console by itself. A redirect would
/// not do: a navigation that began on the provider's site does not carry the session's
/// `SameSite=Strict` cookie, even after a redirect to this site.
#[derive(Template)]
#[template(path = "console/signed_in.html")]
struct SignedInPage {
    name: String,
}

/// `GET /console/login/google/callback?state=…&code=…` (or `&error=…`).
pub async fn callback(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let first = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let callback = GoogleCallback {
        state: first("state"),
        code: first("code"),
        error: first("error"),
    };
    let secret = jar.get(GOOGLE_COOKIE).map(|c| c.value().to_string());
    let mut gone = google_cookie(String::new());
    gone.make_removal();
    let jar = jar.add(gone);
    match state
        .app
        .console()
        .google_finish(&callback, secret.as_deref())
        .await
    {
        Ok(signed) => {
            let page = SignedInPage {
                name: signed.session.name.clone(),
            };
            (
                jar.add(cookie(SESSION_COOKIE, signed.token)),
                render(StatusCode::OK, &page),
            )
                .into_response()
        }
        Err(e) => (jar, refused(&e)).into_response(),
    }
}
