//! The Member Care console: server-rendered pages under `/console` (askama templates, no
//! script needed to read). Handlers parse the form or query, call `fidelis-app`'s console
//! commands and render; the session cookie and CSRF checks live in `session`, "Sign in with
//! Google" in `google`.

mod admin;
mod goodwill;
mod google;
mod pages;
mod panels;
mod session;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(pages::home))
        .route("/console/login", get(pages::login_form).post(pages::login))
        .route("/console/login/google", get(google::start))
        .route("/console/login/google/callback", get(google::callback))
        .route("/console/logout", post(pages::logout))
        .route("/console/search", get(pages::search))
        .route("/console/customers/{id}", get(pages::customer))
        .route("/console/incentives", get(pages::incentives))
        .route("/console/admin/staff", get(pages::staff))
        .route(
            "/console/goodwill",
            get(goodwill::find).post(goodwill::file),
        )
        .route("/console/goodwill/requests", get(goodwill::queue))
        .route(
            "/console/goodwill/requests/{id}/approve",
            post(goodwill::approve),
        )
        .route(
            "/console/goodwill/requests/{id}/reject",
            post(goodwill::reject),
        )
        .route(
            "/console/admin/clients",
            get(admin::clients).post(admin::create_client),
        )
        .route(
            "/console/admin/clients/{id}/rotate",
            post(admin::rotate_secret),
        )
        .route(
            "/console/admin/clients/{id}/disable",
            post(admin::disable_client),
        )
        .route(
            "/console/admin/clients/{id}/enable",
            post(admin::enable_client),
        )
        .route("/console/admin/otp", get(admin::otp).post(admin::set_otp))
        .route("/console/admin/runs", get(admin::runs))
        .route("/console/admin/runs/{id}", get(admin::run))
}
