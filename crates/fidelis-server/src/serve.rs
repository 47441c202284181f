//! Building the app and running it until told to stop.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::HeaderName;
use axum::middleware::from_fn;
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{ops, AppState};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-cap-request-id");

#[derive(OpenApi)]
#[openapi(info(
    title = "Fidelis",
    description = "Loyalty and customer data platform; Capillary-compatible API"
))]
struct ApiDoc;

/// The whole HTTP app: API, health and the OpenAPI document.
pub fn router(state: AppState) -> Router {
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::api::routes())
        .routes(routes!(ops::health))
        .split_for_parts();
    let doc = std::sync::Arc::new(doc);
    api.route(
        "/openapi.json",
        get(move || async move { Json(doc.as_ref().clone()) }),
    )
    .fallback(|| async { crate::ApiError::not_found("Resource not found") })
    .layer(from_fn(crate::error::render_errors))
    .layer(from_fn(ops::track))
    .layer(TraceLayer::new_for_http())
    .layer(PropagateRequestIdLayer::new(REQUEST_ID))
    .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
    .with_state(state)
}

/// Where to listen.
#[derive(Debug, Clone)]
pub struct Listeners {
    pub api: SocketAddr,
    pub metrics: SocketAddr,
}

/// Serves the API and the metrics endpoint until SIGTERM or Ctrl-C, then finishes the
/// requests in flight.
pub async fn serve(state: AppState, listeners: Listeners) -> std::io::Result<()> {
    let app = state.app.clone();
    let api = TcpListener::bind(listeners.api).await?;
    let metrics = TcpListener::bind(listeners.metrics).await?;
    tracing::info!(api = %api.local_addr()?, metrics = %metrics.local_addr()?, "fidelis serving");
    ops::prometheus();
    let metrics_app = Router::new().route("/metrics", get(ops::metrics_text));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let jobs = fidelis_app::jobs::spawn(app.clone(), stop_rx.clone());
    let mut metrics_stop = stop_rx.clone();
    let metrics_task = tokio::spawn(async move {
        axum::serve(metrics, metrics_app)
            .with_graceful_shutdown(async move {
                let _ = metrics_stop.changed().await;
            })
            .await
    });
    axum::serve(api, router(state))
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            let _ = stop_tx.send(true);
        })
        .await?;
    let _ = tokio::time::timeout(Duration::from_secs(5), metrics_task).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), jobs).await;
    app.db().close().await;
    Ok(())
}

async fn shutdown_signal() {
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
