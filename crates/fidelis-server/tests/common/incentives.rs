//! Helpers of the incentives tests: a customer, a series by code, issuing, search.

use reqwest::Method;
use serde_json::{json, Value};

use super::{send, TestApp};

/// Registers Tom Sawyer with `mobile`; his customer id.
pub async fn register(app: &TestApp, mobile: &str) -> i64 {
    let body = json!({"profiles": [{"firstName": "Tom", "lastName": "Sawyer", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": mobile}]}]});
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    res["createdId"].as_i64().expect("createdId")
}

/// The id of a series by its code.
pub async fn series_id(app: &TestApp, code: &str) -> i64 {
    let (status, res) = app.get_as_demo("/v2/coupon/series").await;
    assert_eq!(status, 200, "{res}");
    res["entity"]
        .as_array()
        .expect("entity")
        .iter()
        .find(|s| s["seriesCode"] == code)
        .unwrap_or_else(|| panic!("no series {code}: {res}"))["id"]
        .as_i64()
        .expect("id")
}

/// Issues one code of `series` to `customer`.
pub async fn issue(app: &TestApp, series: i64, customer: i64) -> String {
    let (status, res) = send(
        app.till(Method::POST, "/v2/coupon/issue")
            .json(&json!({"seriesId": series, "customer": {"id": customer}})),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    res["code"].as_str().expect("code").to_string()
}

/// `GET /v2/incentives/search?code=…`.
pub async fn search(app: &TestApp, code: &str) -> Value {
    let (status, res) = app
        .get_as_demo(&format!("/v2/incentives/search?code={code}"))
        .await;
    assert_eq!(status, 200, "{res}");
    res
}
