//! Fidelis HTTP surfaces.
//!
//! `api` holds the Capillary-compatible API (one module per version and context), `auth`
//! turns credentials into a `Principal`, `error` is the one place domain errors become HTTP,
//! and `ops` serves health, metrics and the OpenAPI document.

mod api;
pub mod auth;
mod authengine;
mod comms;
mod console;
mod customers;
mod edge;
mod error;
mod groups;
mod html;
mod incentives;
mod json;
mod loyalty;
mod mobile;
mod oauth;
mod openapi;
mod ops;
mod serve;
mod state;
mod text_guard;
pub mod text_limits;
mod xml;

pub use error::ApiError;
pub use serve::{
    router, router_with, serve, shutdown_signal, EdgeLimits, Listeners, ServeOptions,
    MAX_BODY_BYTES,
};
pub use state::{AppState, ConnectState, DEFAULT_MAX_UPLOAD_BYTES};
