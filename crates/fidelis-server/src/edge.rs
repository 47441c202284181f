//! The connection edge: how many connections are served at once, and how long a client may
//! take to send a request, stay idle between requests, or keep a handler busy.
//!
//! `axum::serve` has none of these knobs, so the API listener is served here on hyper's
//! HTTP/1.1 connection builder directly.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::ApiError;

/// Limits on the API's connections and requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeLimits {
    /// Connections served at once; further clients wait in the listen backlog until one
    /// closes.
    pub max_connections: usize,
    /// Time a client has to send a complete request head (request line and headers),
    /// counted from when the connection is ready for a request; past it the connection is
    /// closed. Also bounds how long an idle keep-alive connection stays open.
    pub header_read_timeout: Duration,
    /// Time a handler has to answer; past it the request answers 503 (code 503).
    pub request_timeout: Duration,
    /// An idle keep-alive connection (no request in flight, nothing received) is closed
    /// after this long.
    pub keep_alive_timeout: Duration,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            keep_alive_timeout: Duration::from_secs(20),
        }
    }
}

/// Stops a handler that runs past `limit`: the request answers 503 in the envelope and the
/// handler's work is dropped (its database transaction, if any, rolls back).
pub async fn time_limit(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(timeout = ?limit, "request timed out");
            ApiError::timed_out(limit).into_response()
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then lets the
/// requests in flight finish (idle connections close at once) and returns when every
/// connection is closed.
pub async fn serve_connections<F>(
    listener: TcpListener,
    app: Router,
    limits: EdgeLimits,
    shutdown: F,
) where
    F: Future<Output = ()>,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let open_conns = Arc::new(Registry::default());
    // Connections watch `stop` to start their graceful shutdown and hold `open` until
    // they are closed.
    let (stop_tx, stop_rx) = watch::channel(false);
    let (open_tx, open_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Per-connection failures (reset before accept) and resource
                    // exhaustion (too many open files): wait a little, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            // At the cap: the connection idle the longest (no request in flight) gives its
            // slot to this one and closes, so clients that hold connections open without
            // using them cannot keep others out.
            Err(_) => match open_conns.evict_longest_idle() {
                Some(permit) => {
                    metrics::counter!("fidelis_connections_evicted_total").increment(1);
                    permit
                }
                // Every connection is busy: wait briefly for one to finish, else close this one.
                None => {
                    let wait = tokio::time::timeout(EVICTION_WAIT, permits.clone().acquire_owned());
                    match wait.await {
                        Ok(Ok(permit)) => permit,
                        Ok(Err(_)) => break,
                        Err(_) => {
                            metrics::counter!("fidelis_connections_refused_total").increment(1);
                            continue;
                        }
                    }
                }
            },
        };
        let (id, activity) = open_conns.add(permit);
        let app = app.clone();
        let stop = stop_rx.clone();
        let open = open_rx.clone();
        let registry = open_conns.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, app, limits, stop, activity).await;
            registry.remove(id);
            drop(open);
        });
        // Let the new connection read what it was sent before the next is accepted: under
        // a flood of connections a client's request is then in flight (and its connection
        // safe from eviction) before a thousand newer connections can push it out.
        tokio::task::yield_now().await;
    }
    drop(listener);
    drop(open_rx);
    let _ = stop_tx.send(true);
    open_tx.closed().await;
}

/// How long a connection accepted at the cap waits for another to close.
const EVICTION_WAIT: Duration = Duration::from_secs(1);

/// The open connections with the slot (permit) each holds, so that the one idle the
/// longest can hand its slot to a new connection at the cap.
#[derive(Default)]
struct Registry(std::sync::Mutex<(u64, HashMap<u64, Slot>)>);

struct Slot {
    activity: Arc<Activity>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Registry {
    fn add(&self, permit: OwnedSemaphorePermit) -> (u64, Arc<Activity>) {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.0 += 1;
        let id = inner.0;
        let activity = Arc::new(Activity::new());
        let slot = Slot {
            activity: activity.clone(),
            permit: Some(permit),
        };
        inner.1.insert(id, slot);
        (id, activity)
    }

    /// Forgets a closed connection, freeing its slot if it still holds one.
    fn remove(&self, id: u64) {
        let slot = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .remove(&id);
        drop(slot);
    }

    /// Takes the slot of the connection with no request in flight that moved bytes least
    /// recently, and tells it to close.
    fn evict_longest_idle(&self) -> Option<OwnedSemaphorePermit> {
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let slot = inner
            .1
            .values_mut()
            .filter(|s| s.permit.is_some() && s.activity.in_flight.load(Ordering::Relaxed) == 0)
            .min_by_key(|s| s.activity.last())?;
        slot.activity.evicted.notify_one();
        slot.permit.take()
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: EdgeLimits,
    mut stop: watch::Receiver<bool>,
    activity: Arc<Activity>,
) {
    let _ = stream.set_nodelay(true);
    // Handlers see the client's address (the credential limiter counts by it).
    let peer = ConnectInfo(peer);
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let busy = activity.busy();
            let app = app.clone();
            let mut req = req.map(axum::body::Body::new);
            req.extensions_mut().insert(peer);
            async move {
                let res = app.oneshot(req).await;
                drop(busy);
                res
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut conn = pin!(builder.serve_connection(io, service));
    let mut closing = *stop.borrow();
    if closing {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        let idle_at = activity.idle_deadline(limits.keep_alive_timeout);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection closed with an error");
                }
                break;
            }
            changed = stop.changed(), if !closing => {
                if changed.is_err() || *stop.borrow() {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            // Evicted at the connection cap: nothing is in flight, so close at once.
            () = activity.evicted.notified() => break,
            () = tokio::time::sleep_until(idle_at), if !closing => {
                if activity.is_idle(limits.keep_alive_timeout) {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// When a connection last moved bytes, how many of its requests are in flight, and whether
/// it has been told to make room.
struct Activity {
    started: Instant,
    /// Milliseconds since `started`.
    last: AtomicU64,
    in_flight: AtomicUsize,
    evicted: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            last: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            evicted: Notify::new(),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.fetch_max(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.started + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }

    fn idle_deadline(&self, keep_alive: Duration) -> Instant {
        self.last() + keep_alive
    }

    fn is_idle(&self, keep_alive: Duration) -> bool {
        self.in_flight.load(Ordering::Relaxed) == 0 && self.last().elapsed() >= keep_alive
    }

    /// Marks a request in flight until the guard is dropped.
    fn busy(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.touch();
        Busy(self.clone())
    }
}

struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A TCP stream that records when bytes last moved.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::middleware::from_fn;
    use axum::routing::get;

    #[tokio::test]
    async fn slow_handlers_answer_503_in_the_envelope() {
        let limit = Duration::from_millis(50);
        let app = Router::new()
            .route(
                "/v2/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route("/v2/fast", get(|| async { "quick" }))
            .layer(from_fn(move |req: Request, next: Next| {
                time_limit(limit, req, next)
            }))
            .layer(from_fn(crate::error::render_errors));
        let request = |path: &str| Request::builder().uri(path).body(Body::empty()).unwrap();
        let res = app.clone().oneshot(request("/v2/slow")).await.unwrap();
        assert_eq!(res.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["errors"][0]["code"], 503, "{body}");
        let res = app.oneshot(request("/v2/fast")).await.unwrap();
        assert_eq!(res.status(), axum::http::StatusCode::OK);
    }
}
