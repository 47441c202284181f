//! The HTTP edge: bounded metrics labels, extractor rejections in the envelope, body
//! limits, connection timeouts.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use std::time::Duration;

use common::{send, DEMO_TILL};
use fidelis_domain::credentials::basic_header;
use fidelis_server::{EdgeLimits, ServeOptions};
use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The distinct values of `label` in the Prometheus text of the metrics listener.
async fn label_values(app: &common::TestApp, label: &str) -> BTreeSet<String> {
    let text = app
        .http
        .get(format!("{}/metrics", app.metrics_base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let needle = format!("{label}=\"");
    text.lines()
        .filter(|l| l.starts_with("fidelis_http_requests_total"))
        .filter_map(|l| {
            let start = l.find(&needle)? + needle.len();
            let len = l[start..].find('"')?;
            Some(l[start..start + len].to_string())
        })
        .collect()
}

both_backends!(invented_methods_do_not_grow_the_metrics_labels, |app| {
    // One ordinary request so the counter exists.
    let (status, _) = app.get_as_demo("/v1.1/organization/get.json").await;
    assert_eq!(status, 200);
    let before = label_values(&app, "method").await;
    assert!(before.contains("GET"), "{before:?}");
    for i in 0..50 {
        let method = Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
        let path = if i % 2 == 0 {
            "/v1.1/organization/get.json".to_string()
        } else {
            format!("/no/such/path/{i}")
        };
        let res = app.till(method, &path).send().await.unwrap();
        assert!(res.status().is_client_error(), "{}", res.status());
    }
    let methods = label_values(&app, "method").await;
    assert!(
        methods.difference(&before).count() <= 1,
        "{before:?} -> {methods:?}"
    );
    assert!(
        methods.iter().all(|m| !m.starts_with("INVENTED")),
        "{methods:?}"
    );
    let routes = label_values(&app, "route").await;
    assert!(
        routes.iter().all(|r| !r.contains("/no/such/path")),
        "{routes:?}"
    );
});

/// Sends raw bytes on a fresh connection and returns the status and JSON body of the
/// answer (the connection is closed by `Connection: close`).
async fn raw(app: &common::TestApp, request: &str) -> (u16, Value) {
    let addr = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered")
        .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    (status, serde_json::from_str(body).unwrap())
}

both_backends!(oversized_bodies_answer_413_in_the_envelope, |app| {
    let auth = basic_header(DEMO_TILL.0, DEMO_TILL.1);
    let ten_mb = 10 * 1024 * 1024;
    // Announced by Content-Length: refused before the body is sent (curl waits for
    // `100 Continue` before sending a large body).
    for (path, v1_1) in [("/v2/customers", false), ("/v1.1/points/redeem", true)] {
        let (status, body) = raw(
            &app,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
                 Content-Type: application/json\r\nContent-Length: {ten_mb}\r\n\
                 Expect: 100-continue\r\nConnection: close\r\n\r\n"
            ),
        )
        .await;
        assert_eq!(status, 413, "{body}");
        let message = if v1_1 {
            assert_eq!(body["response"]["status"]["code"], "413", "{body}");
            body["response"]["status"]["message"].clone()
        } else {
            assert_eq!(body["errors"][0]["code"], 413, "{body}");
            body["errors"][0]["message"].clone()
        };
        assert!(
            message.as_str().unwrap().contains("limit is 2097152 bytes"),
            "{body}"
        );
    }
    // Streamed without a length: cut off at the limit while it is read.
    let mut chunked = format!(
        "POST /v2/customers HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n"
    );
    let chunk = " ".repeat(64 * 1024);
    let mut sent = 0;
    let mut stream = TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(chunked.as_bytes()).await.unwrap();
    chunked.clear();
    // Up to 3 MiB, stopping as soon as the server closes its side.
    while sent < 3 * 1024 * 1024 {
        let frame = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        if stream.write_all(frame.as_bytes()).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":413"), "{answer}");
});

both_backends!(sign_in_bodies_are_refused_over_16_kib, |app| {
    // Anyone may send a sign-in: a big key is refused before it costs memory…
    let key = "k".repeat(20 * 1024);
    let (status, body) = send(
        app.http
            .post(app.url("/v3/oauth/token/generate"))
            .json(&serde_json::json!({"key": key, "secret": "demo-secret"})),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["code"].clone()),
        (413, serde_json::json!(413)),
        "{body}"
    );
    // … and a real one still signs in.
    let (status, body) = send(
        app.http
            .post(app.url("/v3/oauth/token/generate"))
            .json(&serde_json::json!({"key": "demo-key", "secret": "demo-secret"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
});

both_backends!(unparsable_query_and_path_answer_in_the_envelope, |app| {
    // A number that is not a number in the query string.
    let (status, body) =
        send(app.till(Method::GET, "/v2/customers/1/goodwillRequest?limit=abc")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["code"], 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("limit: invalid digit"),
        "{body}"
    );
    // A path parameter that is not UTF-8.
    let (status, body) = send(app.till(Method::GET, "/v2/customers/%FF")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["code"], 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("customerId"),
        "{body}"
    );
    // A customer id that is not a number is a customer not found, as before.
    let (status, body) = send(app.till(Method::GET, "/v2/customers/abc")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["errors"][0]["code"], 8015, "{body}");
    // JSON syntax errors too, and the v1.1 envelope for v1.1 paths.
    let (status, body) = send(
        app.till(Method::POST, "/v1.1/points/redeem")
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["response"]["status"]["code"], "400", "{body}");
});

/// A server whose edge limits are short enough to watch.
async fn with_limits(backend: common::Backend, limits: EdgeLimits) -> Option<common::TestApp> {
    let options = ServeOptions {
        jobs: false,
        limits,
        ..ServeOptions::default()
    };
    common::TestApp::start_with(backend, options).await
}

/// Reads until the server closes the connection; returns what it sent and when it closed.
async fn until_closed(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    // A reset is a close too, so only the timeout is an error.
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection");
    (answer, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_request_heads_are_cut_off() {
    let limits = EdgeLimits {
        header_read_timeout: Duration::from_millis(500),
        ..EdgeLimits::default()
    };
    let app = with_limits(common::Backend::Sqlite, limits).await.unwrap();
    let mut stream = TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(b"GET /health HT").await.unwrap();
    let (answer, after) = until_closed(&mut stream).await;
    assert!(
        after >= Duration::from_millis(400),
        "closed after {after:?}"
    );
    assert!(after < Duration::from_secs(3), "closed after {after:?}");
    assert!(
        !String::from_utf8_lossy(&answer).contains("200 OK"),
        "{answer:?}"
    );
    // The server still answers whole requests.
    let (status, _) = send(app.http.get(app.url("/health"))).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed() {
    let limits = EdgeLimits {
        keep_alive_timeout: Duration::from_millis(500),
        ..EdgeLimits::default()
    };
    let app = with_limits(common::Backend::Sqlite, limits).await.unwrap();
    let mut stream = TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, after) = until_closed(&mut stream).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        after >= Duration::from_millis(400),
        "closed after {after:?}"
    );
    assert!(after < Duration::from_secs(3), "closed after {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_the_longest_idle_connection_makes_room() {
    let limits = EdgeLimits {
        max_connections: 2,
        ..EdgeLimits::default()
    };
    let app = with_limits(common::Backend::Sqlite, limits).await.unwrap();
    let addr = app.base.trim_start_matches("http://").to_string();
    // Two connections fill the cap and send nothing.
    let mut oldest = TcpStream::connect(&addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _newer = TcpStream::connect(&addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A third client is served at once, not after the idle ones time out.
    let started = Instant::now();
    let mut third = TcpStream::connect(&addr).await.unwrap();
    third
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = until_closed(&mut third).await;
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "{answer:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // The connection idle the longest was the one closed.
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), oldest.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
}
