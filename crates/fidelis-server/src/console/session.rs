//! The console's cookies. The session cookie holds the session's secret token
//! (`HttpOnly`, `Secure`, `SameSite=Strict`, host-only); before sign-in a separate cookie
//! carries the sign-in form's CSRF token (double submit), since there is no session yet.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use fidelis_app::console::Session;
use fidelis_app::AppError;
use fidelis_domain::console::ConsoleError;

use super::pages::error_page;
use crate::AppState;

pub const SESSION_COOKIE: &str = "fidelis_console";
pub const LOGIN_COOKIE: &str = "fidelis_console_login";

pub fn cookie(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/console")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .build()
}

pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut c = cookie(name, String::new());
    c.make_removal();
    c
}

/// A signed-in staff user and the cookie's token. Without a live session a page redirects
/// to the sign-in page.
pub struct Staff {
    pub session: Session,
    pub token: String,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
            return Err(Redirect::to("/console/login").into_response());
        };
        match state.app.console().session(&token).await {
            Ok(session) => Ok(Staff { session, token }),
            Err(AppError::Console(ConsoleError::SignedOut)) => Err((
                jar.add(removal(SESSION_COOKIE)),
                Redirect::to("/console/login"),
            )
                .into_response()),
            Err(e) => Err(error_page(&e)),
        }
    }
}
