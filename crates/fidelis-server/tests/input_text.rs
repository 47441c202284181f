#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test

//! Text with a NUL or another control character gets the same documented 400 on both
//! backends, in every text field of the main request bodies and in query strings, and
//! nothing is written.

mod common;

use common::send;
use fidelis_domain::credentials::basic_header;
use reqwest::Method;
use serde_json::{json, Value};

const NUL: &str = "bad\u{0}text";
const ESC: &str = "bad\u{1b}text";

/// (method, path, body): each carries one control character in one text field.
fn cases(bad: &str) -> Vec<(Method, &'static str, Value)> {
    let profile = |first: &str, last: &str, mobile: &str| {
        json!({"profiles": [{"firstName": first, "lastName": last, "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": mobile}]}]})
    };
    vec![
        (
            Method::POST,
            "/v2/customers",
            profile(bad, "Ok", "6590000901"),
        ),
        (
            Method::POST,
            "/v2/customers",
            profile("Ok", bad, "6590000902"),
        ),
        (Method::POST, "/v2/customers", profile("Ok", "Ok", bad)),
        (
            Method::POST,
            "/v2/customers",
            json!({"profiles": [{"firstName": "Ok", "source": "INSTORE",
                "identifiers": [{"type": "mobile", "value": "6590000903"}]}],
                "extendedFields": {"city": bad}}),
        ),
        (
            Method::POST,
            "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue=6590000900",
            json!({"type": "REGULAR", "billNumber": bad, "billAmount": "10"}),
        ),
        (
            Method::POST,
            "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue=6590000900",
            json!({"type": "REGULAR", "billNumber": "B-1", "billAmount": "10", "note": bad}),
        ),
        (
            Method::POST,
            "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue=6590000900",
            json!({"type": "REGULAR", "billNumber": "B-2", "billAmount": "10",
                "lineItemsV2": [{"itemCode": bad, "amount": 10}]}),
        ),
        (
            Method::POST,
            "/v1.1/request/add?format=json",
            json!({"root": {"request": [{"type": "GOODWILL", "base_type": "POINTS", "points": 10,
                "reason": "Service recovery", "reference_id": bad,
                "customer": {"mobile": "6590000900"}}]}}),
        ),
        (
            Method::POST,
            "/v1.1/request/add?format=json",
            json!({"root": {"request": [{"type": "GOODWILL", "base_type": "POINTS", "points": 10,
                "reason": "Service recovery", "comments": bad,
                "customer": {"mobile": "6590000900"}}]}}),
        ),
        (
            Method::POST,
            "/v2/card",
            json!({"seriesCode": "DEMOCARD", "cardNumber": bad, "statusLabel": "NOT_ISSUED"}),
        ),
        (
            Method::POST,
            "/v2/card",
            json!({"seriesCode": "DEMOCARD", "cardNumber": "DC-T", "cardExternalId": bad,
                "statusLabel": "NOT_ISSUED"}),
        ),
    ]
}

/// The Capillary code of an error answer, v1.1 or v2.
fn code(v: &Value) -> Option<String> {
    v["errors"][0]["code"]
        .as_u64()
        .map(|c| c.to_string())
        .or_else(|| v["response"]["status"]["code"].as_str().map(String::from))
}

both_backends!(
    control_characters_in_bodies_are_400_and_write_nothing,
    |app| {
        let (status, res) = send(app.till(Method::POST, "/v2/customers").json(
            &json!({"profiles": [{"firstName": "Ann", "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": "6590000900"}]}]}),
        ))
        .await;
        assert_eq!(status, 200, "{res}");
        for bad in [NUL, ESC] {
            for (method, path, body) in cases(bad) {
                let (status, res) = send(app.till(method.clone(), path).json(&body)).await;
                assert_eq!(status, 400, "{method} {path} {body}: {res}");
                assert_eq!(code(&res).as_deref(), Some("400"), "{path}: {res}");
            }
        }
        // Nothing of it was written: one customer, no transaction, no card.
        for (table, n) in [
            ("customers", 1),
            ("loyalty_transactions", 0),
            ("loyalty_cards", 0),
        ] {
            let (count,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(app.db.reader())
                .await
                .unwrap();
            assert_eq!(count, n, "{table}");
        }
    }
);

both_backends!(
    control_characters_in_queries_and_credentials_are_refused,
    |app| {
        for query in [
            "/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=65%00",
            "/v2/customers/lookup?source=INSTORE%1B&identifierName=mobile&identifierValue=65",
        ] {
            let (status, res) = app.get_as_demo(query).await;
            assert_eq!(status, 400, "{query}: {res}");
            assert_eq!(code(&res).as_deref(), Some("400"), "{res}");
        }
        // A till code with a NUL is no till: 401, not a database error.
        let (status, res) = send(
            app.http
                .get(app.url("/v2/organization/till?code=demo.till"))
                .header("Authorization", basic_header("demo\u{0}till", "demo123")),
        )
        .await;
        assert_eq!(status, 401, "{res}");
        // Text with tabs and line breaks is fine.
        let (status, res) = send(app.till(Method::POST, "/v2/customers").json(
            &json!({"profiles": [{"firstName": "Ann", "source": "INSTORE",
                "identifiers": [{"type": "mobile", "value": "6590000904"}]}]}),
        ))
        .await;
        assert_eq!(status, 200, "{res}");
        let (status, res) = send(
            app.till(
                Method::POST,
                "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue=6590000904",
            )
            .json(
                &json!({"type": "REGULAR", "billNumber": "B-OK", "billAmount": "10",
                "note": "line one\nline two\tend"}),
            ),
        )
        .await;
        assert_eq!(status, 200, "{res}");
    }
);

both_backends!(over_long_keys_are_400_not_a_database_error, |app| {
    let long = "x".repeat(20_000);
    let (status, res) = send(app.till(Method::POST, "/v2/card").json(&json!({
        "seriesCode": "DEMOCARD", "cardNumber": "DC-LONG", "cardExternalId": long,
        "statusLabel": "NOT_ISSUED"})))
    .await;
    assert_eq!((status, code(&res).as_deref()), (400, Some("400")), "{res}");
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(
        &json!({"profiles": [{"firstName": "Ann", "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": "6590000905"}]}]}),
    ))
    .await;
    assert_eq!(status, 200, "{res}");
    let body = json!({"root": {"request": [{"type": "GOODWILL", "base_type": "POINTS",
        "points": 10, "reason": "Service recovery", "reference_id": long,
        "customer": {"mobile": "6590000905"}}]}});
    let (status, res) = send(
        app.till(Method::POST, "/v1.1/request/add?format=json")
            .json(&body),
    )
    .await;
    // Refused at the wire boundary, before any item is read: the request's own status.
    assert_eq!((status, code(&res).as_deref()), (400, Some("400")), "{res}");
});
