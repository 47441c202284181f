//! Operations: health, Prometheus metrics, request metrics middleware.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use crate::AppState;

/// Liveness and database reachability.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "Serving, database reachable"),
              (status = 503, description = "Database unreachable")))]
pub async fn health(State(state): State<AppState>) -> Response {
    match state.app.ping().await {
        Ok(()) => Json(json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}

/// The process-wide Prometheus recorder (installed once, shared by every app in the process).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed");
        }
        handle
    })
}

pub async fn metrics_text() -> String {
    prometheus().render()
}

/// The ops listener (`/metrics`, `/health`) served from a thread and runtime of its own, so
/// that no load on the API's runtime delays an orchestrator's probe.
pub struct OpsServer {
    stopped: oneshot::Receiver<()>,
    release: oneshot::Sender<()>,
}

impl OpsServer {
    /// Serves `state`'s ops routes on `listener` until `stop` turns true.
    pub fn start(
        listener: TcpListener,
        state: AppState,
        mut stop: watch::Receiver<bool>,
    ) -> std::io::Result<Self> {
        let app = Router::new()
            .route("/metrics", get(metrics_text))
            .route("/health", get(health))
            .with_state(state);
        let listener = listener.into_std()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stopped_tx, stopped) = oneshot::channel();
        let (release, released) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("fidelis-ops".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(listener) {
                        Ok(listener) => {
                            let serving =
                                axum::serve(listener, app).with_graceful_shutdown(async move {
                                    let _ = stop.changed().await;
                                });
                            if let Err(e) = serving.await {
                                tracing::error!(error = %e, "the ops listener failed");
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "cannot serve the ops listener"),
                    }
                    let _ = stopped_tx.send(());
                    // Database connections this runtime opened (a health check's) are
                    // driven by it: it lives until the database is closed.
                    let _ = released.await;
                });
            })?;
        Ok(Self { stopped, release })
    }

    /// Waits (at most `limit`) for the listener to stop serving.
    pub async fn stopped(&mut self, limit: std::time::Duration) {
        let _ = tokio::time::timeout(limit, &mut self.stopped).await;
    }

    /// Lets the thread end, once the database is closed.
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

/// Counts requests and their latency by method and route template. Both labels come from
/// fixed sets, so no request can grow the label space: the method is one of the standard
/// ones or `OTHER`, the route is the matched template (not the raw path, ids would explode
/// it) or `unmatched`.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let method = method_label(req.method());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("fidelis_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("fidelis_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}

/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

/// The method label: a standard method by name, anything else `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_map_to_a_fixed_set() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(method_label(&Method::TRACE), "OTHER");
        assert_eq!(method_label(&Method::CONNECT), "OTHER");
        let invented = Method::from_bytes(b"FROBNICATE").unwrap();
        assert_eq!(method_label(&invented), "OTHER");
    }
}
