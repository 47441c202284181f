//! Operations: health, Prometheus metrics, request metrics middleware.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;

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
