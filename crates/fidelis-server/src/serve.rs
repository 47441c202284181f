//! Building the app and running it until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::http::HeaderName;
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use crate::edge::EdgeLimits;
use crate::{edge, ops, AppState};

/// The largest request body accepted, in bytes (2 MiB); larger bodies answer 413, before
/// the body is read when `Content-Length` announces it.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The largest sign-in body (a key and a secret), in bytes: anyone may send one, so it is
/// refused (413) long before it could cost memory.
pub const SIGN_IN_MAX_BODY_BYTES: usize = 16 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-cap-request-id");

#[derive(OpenApi)]
#[openapi(info(
    title = "Fidelis",
    description = "Loyalty and customer data platform; Capillary-compatible API. v1.1 calls \
                   also read and answer XML: a `.xml` path suffix, `format=xml`, or `Accept` / \
                   `Content-Type: application/xml` (docs/api.md, XML)."
))]
struct ApiDoc;

/// The whole HTTP app: API, health and the OpenAPI document, with the default limits.
pub fn router(state: AppState) -> Router {
    router_with(state, &EdgeLimits::default())
}

/// The whole HTTP app with handlers stopped after `limits.request_timeout`.
pub fn router_with(state: AppState, limits: &EdgeLimits) -> Router {
    let request_timeout = limits.request_timeout;
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::api::routes())
        .merge(crate::oauth::routes())
        .merge(crate::mobile::routes())
        .merge(crate::authengine::routes())
        .routes(routes!(ops::health))
        .split_for_parts();
    let mut doc = doc;
    crate::openapi::complete(&mut doc);
    let doc = std::sync::Arc::new(doc);
    let api = api
        .merge(crate::console::routes())
        .route(
            "/openapi.json",
            get(move || async move { Json(doc.as_ref().clone()) }),
        )
        .fallback(|| async { crate::ApiError::not_found("Resource not found") })
        .layer(from_fn(move |req: Request, next: Next| {
            edge::time_limit(request_timeout, req, next)
        }))
        .layer(from_fn(crate::text_guard::check_uri))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(from_fn(limit_body))
        .layer(from_fn(crate::error::render_errors))
        .layer(from_fn(ops::track))
        .with_state(state);
    // Around the whole router, so the v1.1 `.xml` / `.json` suffixes are removed before
    // routing; every other path passes through.
    Router::new()
        .fallback_service(api)
        .layer(from_fn(crate::xml::negotiate))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Refuses a body whose announced length is over `MAX_BODY_BYTES` without reading it (a
/// client that sent `Expect: 100-continue` never has to send it); bodies without a length
/// are cut off at the same limit as they are read. Dataflow uploads have their own limit
/// (`ConnectState::max_upload_bytes`), checked by their handler.
async fn limit_body(req: Request, next: Next) -> Response {
    if is_upload(req.uri().path()) {
        return next.run(req).await;
    }
    let announced = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match announced {
        Some(n) if n > MAX_BODY_BYTES as u64 => {
            crate::ApiError::payload_too_large().into_response()
        }
        _ => next.run(req).await,
    }
}

/// `POST /v2/dataflows/{name}/files`.
fn is_upload(path: &str) -> bool {
    path.strip_prefix("/v2/dataflows/")
        .and_then(|rest| rest.strip_suffix("/files"))
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// Where to listen: sockets already bound by the caller (the binary binds the configured
/// addresses; tests bind port 0).
#[derive(Debug)]
pub struct Listeners {
    pub api: TcpListener,
    pub metrics: TcpListener,
}

impl Listeners {
    /// Binds both addresses.
    pub async fn bind(api: SocketAddr, metrics: SocketAddr) -> std::io::Result<Self> {
        Ok(Self {
            api: listen(api)?,
            metrics: TcpListener::bind(metrics).await?,
        })
    }
}

/// The API listener, with a listen backlog as deep as the system allows (a burst of new
/// connections waits there while the edge accepts them; a full backlog drops new clients'
/// handshakes, and they retry only after a second).
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

const LISTEN_BACKLOG: u32 = 4096;

/// How `serve` runs besides answering requests.
#[derive(Debug)]
pub struct ServeOptions {
    /// Run the periodic jobs (points expiry, partner membership end, tier expiry). Tests that
    /// drive the jobs themselves turn this off.
    pub jobs: bool,
    /// Connection and request limits of the API listener.
    pub limits: EdgeLimits,
    /// Scheduled dataflows: each one's pickup polls its sources and hands files to the
    /// schedule's handler (the binary builds it from `[connect]`; see
    /// `fidelis_connect::sources::schedule`). Runs whether or not `jobs` does.
    pub dataflows: Option<fidelis_connect::sources::schedule::Schedule>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            jobs: true,
            limits: EdgeLimits::default(),
            dataflows: None,
        }
    }
}

/// Serves the API (within `options.limits`) and the metrics endpoint on `listeners` until
/// `shutdown` resolves, then finishes the requests in flight, stops the jobs and closes the
/// database.
pub async fn serve<F>(
    state: AppState,
    listeners: Listeners,
    options: ServeOptions,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let app = state.app.clone();
    let Listeners { api, metrics } = listeners;
    tracing::info!(api = %api.local_addr()?, metrics = %metrics.local_addr()?, "fidelis serving");
    ops::prometheus();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // The ops listener also answers /health, from its own thread: an orchestrator probing
    // it is not queued behind a flood of connections to the API listener.
    let mut ops_server = ops::OpsServer::start(metrics, state.clone(), stop_rx.clone())?;
    let jobs = options
        .jobs
        .then(|| fidelis_app::jobs::spawn(app.clone(), stop_rx.clone()));
    let dataflows = options
        .dataflows
        .map(|s| fidelis_connect::sources::schedule::spawn(app.clone(), s, stop_rx.clone()));
    edge::serve_connections(
        api,
        router_with(state, &options.limits),
        options.limits,
        async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests in flight");
            let _ = stop_tx.send(true);
        },
    )
    .await;
    ops_server.stopped(Duration::from_secs(5)).await;
    if let Some(jobs) = jobs {
        let _ = tokio::time::timeout(Duration::from_secs(5), jobs).await;
    }
    // A file being handled is left to finish briefly; one cut off stays in its source and
    // is taken again (its rows' exactly-once keys keep them from applying twice).
    if let Some(dataflows) = dataflows {
        let _ = tokio::time::timeout(Duration::from_secs(5), dataflows).await;
    }
    app.close().await;
    ops_server.release();
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C: the binary's shutdown signal for `serve`.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
