//! Customers: bad input of every kind gets a documented code in the v2 envelope, never a 500.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn post_raw(app: &TestApp, path: &str, body: &str) -> (u16, Value) {
    send(
        app.till(Method::POST, path)
            .header("Content-Type", "application/json")
            .body(body.to_string()),
    )
    .await
}

fn profile(source: &str, ids: Value) -> Value {
    json!({"profiles": [{"source": source, "identifiers": ids}]})
}

fn code(res: &Value) -> Option<i64> {
    res["errors"][0]["code"].as_i64()
}

both_backends!(bad_registrations_get_documented_codes, |app| {
    let long = "x".repeat(101);
    let cases: Vec<(&str, String, u16, i64)> = vec![
        ("malformed JSON", "{\"profiles\": [".into(), 400, 400),
        ("not an object", "[1,2]".into(), 400, 400),
        ("profiles wrong type", json!({"profiles": "tom"}).to_string(), 400, 400),
        ("firstName wrong type", json!({"profiles": [{"firstName": 7, "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": "6591234000"}]}]}).to_string(), 400, 400),
        ("no profiles", json!({}).to_string(), 400, 400),
        ("no identifiers", profile("INSTORE", json!([])).to_string(), 400, 1007),
        ("unknown source", profile("POS", json!([{"type": "mobile", "value": "6591234000"}])).to_string(), 400, 8012),
        ("missing source", json!({"profiles": [{"identifiers": [{"type": "mobile", "value": "6591234000"}]}]}).to_string(), 400, 8012),
        ("multi-account source without account", profile("WECHAT", json!([{"type": "mobile", "value": "6591234000"}])).to_string(), 400, 8045),
        ("unknown identifier type", profile("INSTORE", json!([{"type": "phone", "value": "6591234000"}])).to_string(), 400, 8013),
        ("invalid mobile", profile("INSTORE", json!([{"type": "mobile", "value": "12"}])).to_string(), 400, 1001),
        ("invalid email", profile("INSTORE", json!([{"type": "email", "value": "not-an-email"}])).to_string(), 400, 1002),
        ("over-long external id", profile("INSTORE", json!([{"type": "externalId", "value": long}])).to_string(), 400, 1003),
        ("identifier value wrong type", profile("INSTORE", json!([{"type": "mobile", "value": {"a": 1}}])).to_string(), 400, 400),
        ("over-long first name", json!({"profiles": [{"firstName": long, "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": "6591234000"}]}]}).to_string(), 400, 400),
        ("unknown comm channel", json!({"profiles": [{"source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": "6591234000"}],
            "commChannels": [{"type": "fax", "value": "1"}]}]}).to_string(), 400, 8010),
        ("non-boolean flag", json!({"profiles": [{"source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": "6591234000"}],
            "commChannels": [{"type": "mobile", "value": "6591234000", "primary": "perhaps"}]}]}).to_string(), 400, 400),
        ("unknown loyalty type", json!({"loyaltyInfo": {"loyaltyType": "gold"},
            "profiles": [{"source": "INSTORE", "identifiers": [{"type": "mobile", "value": "6591234000"}]}]}).to_string(), 400, 400),
        ("bad createDate", json!({"createDate": "yesterday",
            "profiles": [{"source": "INSTORE", "identifiers": [{"type": "mobile", "value": "6591234000"}]}]}).to_string(), 400, 400),
        ("future createDate", json!({"createDate": "2030-01-01T00:00:00+08:00",
            "profiles": [{"source": "INSTORE", "identifiers": [{"type": "mobile", "value": "6591234000"}]}]}).to_string(), 400, 1034),
        ("nested extended field", json!({"extendedFields": {"gender": {"x": 1}},
            "profiles": [{"source": "INSTORE", "identifiers": [{"type": "mobile", "value": "6591234000"}]}]}).to_string(), 400, 400),
        ("over-long custom field", json!({"profiles": [{"source": "INSTORE", "fields": {"note": "y".repeat(1001)},
            "identifiers": [{"type": "mobile", "value": "6591234000"}]}]}).to_string(), 400, 400),
    ];
    for (what, body, status, want) in cases {
        let (got, res) = post_raw(&app, "/v2/customers", &body).await;
        assert_eq!((got, code(&res)), (status, Some(want)), "{what}: {res}");
        assert_eq!(res["errors"][0]["status"], false, "{what}");
    }
    // Nothing above created a customer.
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customers")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(n, 0);
    // Wrong content type.
    let (status, res) = send(app.till(Method::POST, "/v2/customers").body("{}")).await;
    assert_eq!((status, code(&res)), (415, Some(415)), "{res}");
});

both_backends!(duplicate_identifiers_are_refused, |app| {
    let a = profile(
        "INSTORE",
        json!([{"type": "mobile", "value": "6591234001"}]),
    );
    let b = profile(
        "INSTORE",
        json!([{"type": "email", "value": "b@example.com"}, {"type": "externalId", "value": "B-1"}]),
    );
    let (s1, _) = send(app.till(Method::POST, "/v2/customers").json(&a)).await;
    let (s2, _) = send(app.till(Method::POST, "/v2/customers").json(&b)).await;
    assert_eq!((s1, s2), (200, 200));
    for (ids, want) in [
        (
            json!([{"type": "mobile", "value": "6591234001"}, {"type": "email", "value": "b@example.com"}]),
            1016,
        ),
        (
            json!([{"type": "email", "value": "b@example.com"}, {"type": "mobile", "value": "+6591234001"}]),
            1016,
        ),
        (
            json!([{"type": "externalId", "value": "B-1"}, {"type": "mobile", "value": "6591234001"}]),
            1033,
        ),
        (
            json!([{"type": "mobile", "value": "6591234002"}, {"type": "mobile", "value": "6591234003"}]),
            400,
        ),
    ] {
        let (status, res) = send(
            app.till(Method::POST, "/v2/customers")
                .json(&profile("INSTORE", ids)),
        )
        .await;
        assert_eq!((status, code(&res)), (400, Some(want)), "{res}");
    }
    // The same mobile twice in one request is one identifier.
    let twice = profile(
        "INSTORE",
        json!([{"type": "mobile", "value": "6591234004"}, {"type": "mobile", "value": "+65 9123 4004"}]),
    );
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&twice)).await;
    assert_eq!(status, 200, "{res}");
});

both_backends!(bad_lookups_get_documented_codes, |app| {
    for (path, status, want) in [
        ("/v2/customers/lookup?identifierName=mobile&identifierValue=6591234000", 400, 8012),
        ("/v2/customers/lookup?source=POS&identifierName=mobile&identifierValue=6591234000", 400, 8012),
        ("/v2/customers/lookup?source=INSTORE&identifierName=phone&identifierValue=6591234000", 400, 8013),
        ("/v2/customers/lookup?source=INSTORE&identifierName=mobile", 400, 8013),
        ("/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=12", 400, 1001),
        ("/v2/customers/lookup?source=WECHAT&identifierName=mobile&identifierValue=6591234000", 400, 8045),
        ("/v2/customers/lookup/customerDetails?source=INSTORE&identifierName=mobile&identifierValue=6591234000&embed=everything", 400, 400),
        ("/v2/customers/abc", 404, 8015),
        ("/v2/customers/-5", 404, 8015),
        ("/v2/customers/99999999999999999999999", 404, 8015),
        ("/v2/customers/123/statusLog", 404, 8015),
    ] {
        let (got, res) = app.get_as_demo(path).await;
        assert_eq!((got, code(&res)), (status, Some(want)), "{path}: {res}");
    }
    let (status, res) = send(app.till(Method::PUT, "/v2/customers/lookup/status?source=INSTORE&identifierName=mobile&identifierValue=6591234000")
        .header("Content-Type", "application/json").body("{\"label\": 5}")).await;
    assert_eq!((status, code(&res)), (400, Some(400)), "{res}");
});
