//! The HTTP edge: bounded metrics labels, extractor rejections in the envelope, body
//! limits, connection timeouts.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use reqwest::Method;

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
