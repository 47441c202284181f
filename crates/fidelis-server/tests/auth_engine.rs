#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test

//! The Auth Engine (`/auth/v1/...`, Capillary-compatible) end to end on both backends:
//! session → OTP read from the SMS actually delivered → USER token → the wrapper API →
//! regenerate; and the documented refusals (1505, 1506, 1518, 1525, 1529, 1534, …).

mod common;

use common::sms::SmsApp;
use common::{send, ACME_ORG};
use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{json, Value};

const MOBILE: &str = "6591237777";
const DEVICE: &str = "device-1";

async fn register(app: &SmsApp, mobile: &str) -> i64 {
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&json!({
        "profiles": [{"firstName": "Ana", "source": "INSTORE",
                      "identifiers": [{"type": "mobile", "value": mobile}]}]
    })))
    .await;
    assert_eq!(status, 200, "{res}");
    res["createdId"].as_i64().unwrap()
}

async fn call(app: &SmsApp, path: &str, body: Value) -> (u16, Value) {
    let res = app
        .http
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert_eq!(
        res.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "{path}"
    );
    (status, res.json().await.unwrap())
}

fn base(extra: Value) -> Value {
    let mut b = json!({"identifierType": "MOBILE", "identifierValue": MOBILE,
                       "deviceId": DEVICE, "brand": "demo"});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

fn refused(status: u16, body: &Value, http: u16, code: i64) {
    assert_eq!(status, http, "{body}");
    assert_eq!(body["status"]["success"], false, "{body}");
    assert_eq!(body["status"]["code"], code, "{body}");
}

/// token/generate: the session id.
async fn session(app: &SmsApp, prefix: &str) -> String {
    let (status, body) = call(app, &format!("{prefix}/token/generate"), base(json!({}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["status"],
        json!({"success": true, "code": 200, "message": "SUCCESS"})
    );
    assert_eq!(body["user"]["role"], "VIEW");
    assert!(body["auth"]["token"]
        .as_str()
        .unwrap()
        .starts_with("fid_vt_"));
    assert_eq!(body["auth"]["key"], Value::Null);
    let id = body["user"]["sessionId"].as_str().unwrap().to_string();
    assert!(id.starts_with("D-"), "{id}");
    id
}

/// token/generate and otp/generate: the session id and the code delivered.
async fn session_with_code(app: &SmsApp, prefix: &str) -> (String, String) {
    app.clock.advance(SignedDuration::from_secs(31));
    let id = session(app, prefix).await;
    let (status, body) = call(
        app,
        &format!("{prefix}/otp/generate"),
        base(json!({"sessionId": id})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"status": {"success": true, "code": 200, "message": "SUCCESS"}})
    );
    let code = app.last_code(MOBILE).await;
    (id, code)
}

async fn mobile_get(app: &SmsApp, token: &str, path: &str) -> (u16, Value) {
    send(app.http.get(app.url(path)).bearer_auth(token)).await
}

both_with_sms!(
    full_flow_token_otp_user_token_wrapper_api_and_regenerate,
    |app| {
        let customer = register(&app, MOBILE).await;
        let (session_id, code) = session_with_code(&app, "/auth/v1").await;
        // The OTP is a number in Capillary's docs: accepted as one.
        let otp: i64 = code.parse().unwrap();
        let (status, body) = call(
            &app,
            "/auth/v1/otp/validate",
            base(json!({"sessionId": session_id, "otp": otp})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["user"]["role"], "USER");
        assert_eq!(body["user"]["sessionId"], Value::Null);
        assert_eq!(body["user"]["userRegisteredForPassword"], false);
        let token = body["auth"]["token"].as_str().unwrap().to_string();
        let key = body["auth"]["key"].as_str().unwrap().to_string();
        assert!(key.starts_with("fid_ak_"), "{key}");

        // The USER token is a bearer for this customer's wrapper API.
        let (status, me) = mobile_get(&app, &token, "/mobile/v2/me").await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["id"], customer);
        let (status, points) = mobile_get(&app, &token, "/mobile/v2/me/points").await;
        assert_eq!(status, 200, "{points}");
        assert_eq!(
            mobile_get(&app, &token, "/mobile/v2/me/coupons").await.0,
            200
        );
        // The key and the VIEW token are no bearers.
        assert_eq!(mobile_get(&app, &key, "/mobile/v2/me").await.0, 401);

        // The session and its code are spent.
        let (status, body) = call(
            &app,
            "/auth/v1/otp/validate",
            base(json!({"sessionId": session_id, "otp": code})),
        )
        .await;
        refused(status, &body, 400, 1505);

        // Once the token has expired, the key regenerates one (same device and identifier).
        app.clock.advance(SignedDuration::from_secs(16 * 60));
        assert_eq!(
            mobile_get(&app, &token, "/mobile/v2/me/points").await.0,
            401
        );
        let (status, body) =
            call(&app, "/auth/v1/token/regenerate", base(json!({"key": key}))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["user"]["role"], "USER");
        let fresh = body["auth"]["token"].as_str().unwrap().to_string();
        assert_ne!(fresh, token);
        assert_eq!(
            mobile_get(&app, &fresh, "/mobile/v2/me/points").await.0,
            200
        );
        // The key is kept (again works), but not from another device or for another customer.
        let (status, _) = call(&app, "/auth/v1/token/regenerate", base(json!({"key": key}))).await;
        assert_eq!(status, 200);
        let (status, body) = call(
            &app,
            "/auth/v1/token/regenerate",
            base(json!({"key": key, "deviceId": "other-device"})),
        )
        .await;
        refused(status, &body, 400, 1508);
        let (status, body) = call(
            &app,
            "/auth/v1/token/regenerate",
            base(json!({"key": key, "identifierValue": "6591230000"})),
        )
        .await;
        refused(status, &body, 401, 1525);
        let (status, body) = call(
            &app,
            "/auth/v1/token/regenerate",
            base(json!({"key": "fid_ak_forged"})),
        )
        .await;
        refused(status, &body, 401, 1525);
    }
);

both_with_sms!(web_flow_regenerates_from_the_last_token_once, |app| {
    register(&app, MOBILE).await;
    let (session_id, code) = session_with_code(&app, "/auth/v1/web").await;
    // A web session is not a mobile one.
    let (status, body) = call(
        &app,
        "/auth/v1/otp/validate",
        base(json!({"sessionId": session_id, "otp": code})),
    )
    .await;
    refused(status, &body, 400, 1505);
    let (status, body) = call(
        &app,
        "/auth/v1/web/otp/validate",
        base(json!({"sessionId": session_id, "otp": code})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["auth"]["key"], Value::Null);
    let token = body["auth"]["token"].as_str().unwrap().to_string();
    app.clock.advance(SignedDuration::from_secs(20 * 60));
    let (status, body) = call(
        &app,
        "/auth/v1/web/token/regenerate",
        base(json!({"expiredToken": token})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let fresh = body["auth"]["token"].as_str().unwrap().to_string();
    assert_eq!(mobile_get(&app, &fresh, "/mobile/v2/me").await.0, 200);
    // The old token regenerates once: presented again, the whole sign-in is revoked.
    let (status, body) = call(
        &app,
        "/auth/v1/web/token/regenerate",
        base(json!({"expiredToken": token})),
    )
    .await;
    refused(status, &body, 401, 1525);
    assert_eq!(mobile_get(&app, &fresh, "/mobile/v2/me").await.0, 401);
    // Past the web sign-in's 30 days: 1529.
    let (session_id, code) = session_with_code(&app, "/auth/v1/web").await;
    let (_, body) = call(
        &app,
        "/auth/v1/web/otp/validate",
        base(json!({"sessionId": session_id, "otp": code})),
    )
    .await;
    let token = body["auth"]["token"].as_str().unwrap().to_string();
    app.clock.advance(SignedDuration::from_hours(31 * 24));
    let (status, body) = call(
        &app,
        "/auth/v1/web/token/regenerate",
        base(json!({"expiredToken": token})),
    )
    .await;
    refused(status, &body, 401, 1529);
});

both_with_sms!(
    wrong_otps_then_the_sixth_try_is_refused_even_when_right,
    |app| {
        register(&app, MOBILE).await;
        let (session_id, code) = session_with_code(&app, "/auth/v1").await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..4 {
            let (status, body) = call(
                &app,
                "/auth/v1/otp/validate",
                base(json!({"sessionId": session_id, "otp": wrong})),
            )
            .await;
            refused(status, &body, 400, 1506);
        }
        let (status, body) = call(
            &app,
            "/auth/v1/otp/validate",
            base(json!({"sessionId": session_id, "otp": wrong})),
        )
        .await;
        refused(status, &body, 400, 1518);
        let (status, body) = call(
            &app,
            "/auth/v1/otp/validate",
            base(json!({"sessionId": session_id, "otp": code})),
        )
        .await;
        refused(status, &body, 400, 1518);
    }
);

both_with_sms!(
    sessions_expire_and_must_match_identifier_device_and_brand,
    |app| {
        register(&app, MOBILE).await;
        app.apply(ACME_ORG).await;
        // Unknown session, no session, and an OTP before any was sent.
        let id = session(&app, "/auth/v1").await;
        for s in [json!("D-forged"), Value::Null] {
            let (status, body) =
                call(&app, "/auth/v1/otp/generate", base(json!({"sessionId": s}))).await;
            refused(status, &body, 400, 1505);
        }
        let (status, body) = call(
            &app,
            "/auth/v1/otp/validate",
            base(json!({"sessionId": id, "otp": "123456"})),
        )
        .await;
        refused(status, &body, 400, 1537);
        // Another identifier, another device, another brand (org A's session at org B).
        let (status, body) = call(
            &app,
            "/auth/v1/otp/generate",
            base(json!({"sessionId": id, "identifierValue": "6591230000"})),
        )
        .await;
        refused(status, &body, 400, 1541);
        let (status, body) = call(
            &app,
            "/auth/v1/otp/generate",
            base(json!({"sessionId": id, "deviceId": "other"})),
        )
        .await;
        refused(status, &body, 400, 1508);
        let (status, body) = call(
            &app,
            "/auth/v1/otp/generate",
            base(json!({"sessionId": id, "brand": "acme"})),
        )
        .await;
        refused(status, &body, 400, 1505);
        // Unknown brand, missing device, bad identifier type, passwords.
        let (status, body) = call(
            &app,
            "/auth/v1/token/generate",
            base(json!({"brand": "nope"})),
        )
        .await;
        refused(status, &body, 400, 1519);
        let (status, body) = call(
            &app,
            "/auth/v1/token/generate",
            base(json!({"deviceId": null})),
        )
        .await;
        refused(status, &body, 400, 1519);
        let (status, body) = call(
            &app,
            "/auth/v1/token/generate",
            base(json!({"identifierType": "FAX"})),
        )
        .await;
        refused(status, &body, 400, 1546);
        let (status, body) = call(
            &app,
            "/auth/v1/password/validate",
            base(json!({"sessionId": id, "password": "x"})),
        )
        .await;
        refused(status, &body, 403, 1524);
        // Nobody has this number: 1515, nothing sent.
        let (status, body) = call(
            &app,
            "/auth/v1/token/generate",
            base(json!({"identifierValue": "6590000001"})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let stranger = body["user"]["sessionId"].as_str().unwrap().to_string();
        let (status, body) = call(
            &app,
            "/auth/v1/otp/generate",
            base(json!({"sessionId": stranger, "identifierValue": "6590000001"})),
        )
        .await;
        refused(status, &body, 400, 1515);
        assert!(app.delivered().await.is_empty());
        // After 15 minutes the session is gone, code or not.
        let (status, _) = call(
            &app,
            "/auth/v1/otp/generate",
            base(json!({"sessionId": id})),
        )
        .await;
        assert_eq!(status, 200);
        let code = app.last_code(MOBILE).await;
        app.clock.advance(SignedDuration::from_secs(15 * 60 + 1));
        let (status, body) = call(
            &app,
            "/auth/v1/otp/validate",
            base(json!({"sessionId": id, "otp": code})),
        )
        .await;
        refused(status, &body, 400, 1505);
    }
);

both_with_sms!(a_token_of_one_org_regenerates_nothing_at_another, |app| {
    register(&app, MOBILE).await;
    app.apply(ACME_ORG).await;
    let (session_id, code) = session_with_code(&app, "/auth/v1").await;
    let (_, body) = call(
        &app,
        "/auth/v1/otp/validate",
        base(json!({"sessionId": session_id, "otp": code})),
    )
    .await;
    let key = body["auth"]["key"].as_str().unwrap().to_string();
    let (status, body) = call(
        &app,
        "/auth/v1/token/regenerate",
        base(json!({"key": key, "brand": "acme"})),
    )
    .await;
    refused(status, &body, 401, 1525);
});

both_with_sms!(otp_sends_are_limited_per_customer, |app| {
    register(&app, MOBILE).await;
    let id = session(&app, "/auth/v1").await;
    let generate = || {
        call(
            &app,
            "/auth/v1/otp/generate",
            base(json!({"sessionId": id})),
        )
    };
    assert_eq!(generate().await.0, 200);
    // The resend cool-down.
    let (status, body) = generate().await;
    refused(status, &body, 429, 1503);
    for _ in 0..4 {
        app.clock.advance(SignedDuration::from_secs(31));
        assert_eq!(generate().await.0, 200);
    }
    app.clock.advance(SignedDuration::from_secs(31));
    let (status, body) = generate().await;
    refused(status, &body, 429, 1534);
    assert_eq!(app.delivered().await.len(), 5);
    // Only the newest code counts.
    let codes: Vec<String> = app
        .delivered()
        .await
        .iter()
        .map(|m| m["body"].as_str().unwrap()[..6].to_string())
        .collect();
    let newest = codes.last().unwrap().clone();
    if let Some(old) = codes.iter().rev().skip(1).find(|c| **c != newest) {
        let (status, body) = call(
            &app,
            "/auth/v1/otp/validate",
            base(json!({"sessionId": id, "otp": old})),
        )
        .await;
        refused(status, &body, 400, 1506);
    }
    let (status, body) = call(
        &app,
        "/auth/v1/otp/validate",
        base(json!({"sessionId": id, "otp": newest})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
});

both_with_sms!(
    sessions_codes_tokens_and_keys_are_stored_only_as_hashes,
    |app| {
        register(&app, MOBILE).await;
        app.clock.advance(SignedDuration::from_secs(31));
        let (status, body) = call(&app, "/auth/v1/token/generate", base(json!({}))).await;
        assert_eq!(status, 200);
        let view = body["auth"]["token"].as_str().unwrap().to_string();
        let session_id = body["user"]["sessionId"].as_str().unwrap().to_string();
        call(
            &app,
            "/auth/v1/otp/generate",
            base(json!({"sessionId": session_id})),
        )
        .await;
        let code = app.last_code(MOBILE).await;
        let (_, body) = call(
            &app,
            "/auth/v1/otp/validate",
            base(json!({"sessionId": session_id, "otp": code})),
        )
        .await;
        let token = body["auth"]["token"].as_str().unwrap().to_string();
        let key = body["auth"]["key"].as_str().unwrap().to_string();
        let raw = [
            view.as_str(),
            session_id.as_str(),
            token.as_str(),
            key.as_str(),
        ];
        for (table, cols) in [
            (
                "identity_ae_sessions",
                "session_hash || '|' || view_token_hash || '|' || identifier || '|' || device_id",
            ),
            (
                "identity_tokens",
                "token_hash || '|' || family || '|' || kind",
            ),
            ("identity_otps", "code_hmac || '|' || txn || '|' || purpose"),
        ] {
            let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT {cols} FROM {table}"))
                .fetch_all(app.db.reader())
                .await
                .unwrap();
            assert!(!rows.is_empty(), "{table}");
            for (row,) in rows {
                for secret in raw {
                    assert!(!row.contains(secret), "{table} holds a raw secret: {row}");
                }
                let first = row.split('|').next().unwrap();
                assert_eq!(first.len(), 64, "{table}: {row}");
                assert!(!first.contains(&code), "{table}: {row}");
            }
        }
        let sha = fidelis_domain::credentials::sha256_hex;
        let (kinds,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM identity_tokens WHERE token_hash = $1 OR token_hash = $2",
        )
        .bind(sha(&token))
        .bind(sha(&key))
        .fetch_one(app.db.reader())
        .await
        .unwrap();
        assert_eq!(kinds, 2);
        let (sessions,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM identity_ae_sessions WHERE session_hash = $1")
                .bind(sha(&session_id))
                .fetch_one(app.db.reader())
                .await
                .unwrap();
        assert_eq!(sessions, 1);
        let (purpose,): (String,) = sqlx::query_as("SELECT purpose FROM identity_otps")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
        assert_eq!(purpose, "auth_engine");
    }
);
