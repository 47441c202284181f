#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test

//! v1.1 points redemption with validation codes, on both backends: the code is sent by SMS
//! (`GET /v1.1/points/validationcode`), read from the message delivered, and spent by
//! `POST /v1.1/points/redeem`; no code, a wrong, reused, expired, superseded or other-points
//! code, and a sixth try are all 808, and nothing is spent.

mod common;

use common::sms::SmsApp;
use common::{send, DEMO_ORG};
use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{json, Value};

const MOBILE: &str = "6592240001";

/// A customer with 1000 points (a 10000 bill at the demo program's 10%), and its id.
async fn customer(app: &SmsApp) -> i64 {
    let body = json!({"profiles": [{"firstName": "Ada", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": MOBILE}]}]});
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    let path =
        format!("/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue={MOBILE}");
    let bill = json!({"type": "REGULAR", "billNumber": "PV-1", "billAmount": "10000"});
    let (status, r) = send(app.till(Method::POST, &path).json(&bill)).await;
    assert_eq!(status, 200, "{r}");
    let id = res["createdId"].as_i64().unwrap();
    assert_eq!(balance(app, id).await, 1000);
    id
}

async fn balance(app: &SmsApp, id: i64) -> Value {
    let (_, b) = app
        .get_as_demo(&format!("/v2/customers/points/balance/{id}"))
        .await;
    b["totalPoints"].clone()
}

/// Asks for a code for `points` (past the resend cool-down) and reads it from the SMS.
async fn code_for(app: &SmsApp, points: u32) -> String {
    app.clock.advance(SignedDuration::from_secs(31));
    let (status, r) = app
        .get_as_demo(&format!(
            "/v1.1/points/validationcode?mobile={MOBILE}&points={points}&format=json"
        ))
        .await;
    assert_eq!(status, 200, "{r}");
    let c = &r["response"]["validation_code"]["code"];
    assert_eq!(c["item_status"]["code"], "200", "{r}");
    assert_eq!(c["points"], points.to_string());
    assert!(c["mobile"].as_str().unwrap().ends_with(MOBILE), "{r}");
    app.last_code(MOBILE).await
}

/// Redeems `points` with `code` (none when `None`); the item's code and the HTTP status.
async fn redeem(app: &SmsApp, query: &str, points: u32, code: Option<&str>) -> (u16, Value) {
    let mut item = json!({"points_redeemed": points.to_string(),
        "customer": {"mobile": MOBILE}, "transaction_number": "R-1"});
    if let Some(c) = code {
        item["validation_code"] = json!(c);
    }
    let body = json!({"root": {"redeem": [item]}});
    let (status, r) = send(
        app.till(Method::POST, &format!("/v1.1/points/redeem{query}"))
            .json(&body),
    )
    .await;
    (
        status,
        r["response"]["responses"]["points"][0]["item_status"]["code"].clone(),
    )
}

fn wrong(code: &str) -> &'static str {
    if code == "000000" {
        "111111"
    } else {
        "000000"
    }
}

both_with_sms!(a_right_code_redeems_exactly_once, |app| {
    let id = customer(&app).await;
    let code = code_for(&app, 100).await;
    assert_eq!(
        redeem(&app, "?validation_type=SMS", 100, Some(&code)).await,
        (200, json!(800))
    );
    assert_eq!(balance(&app, id).await, 900);
    // Reused: refused, nothing spent.
    assert_eq!(
        redeem(&app, "?validation_type=SMS", 100, Some(&code)).await,
        (400, json!(808))
    );
    assert_eq!(balance(&app, id).await, 900);
});

both_with_sms!(no_code_or_a_wrong_code_is_808, |app| {
    let id = customer(&app).await;
    let code = code_for(&app, 100).await;
    // The org requires codes (the default): without validation_type, with NONE, or
    // skip_validation, a missing code is refused all the same.
    for query in [
        "",
        "?validation_type=SMS",
        "?validation_type=NONE",
        "?skip_validation=true",
    ] {
        assert_eq!(
            redeem(&app, query, 100, None).await,
            (400, json!(808)),
            "{query}"
        );
    }
    assert_eq!(
        redeem(&app, "", 100, Some(wrong(&code))).await,
        (400, json!(808))
    );
    // A code for other points does not fit either.
    assert_eq!(redeem(&app, "", 50, Some(&code)).await, (400, json!(808)));
    // Missed calls are not offered; an unknown type is bad input.
    assert_eq!(
        redeem(&app, "?validation_type=MISSED_CALL", 100, Some(&code)).await,
        (400, json!(823))
    );
    let (status, _) = redeem(&app, "?validation_type=FAX", 100, Some(&code)).await;
    assert_eq!(status, 400);
    assert_eq!(balance(&app, id).await, 1000);
    // Two wrong tries so far: the right code still works.
    assert_eq!(redeem(&app, "", 100, Some(&code)).await, (200, json!(800)));
});

both_with_sms!(the_sixth_try_is_refused_even_with_the_right_code, |app| {
    let id = customer(&app).await;
    let code = code_for(&app, 100).await;
    for _ in 0..5 {
        assert_eq!(
            redeem(&app, "", 100, Some(wrong(&code))).await,
            (400, json!(808))
        );
    }
    assert_eq!(redeem(&app, "", 100, Some(&code)).await, (400, json!(808)));
    assert_eq!(balance(&app, id).await, 1000);
});

both_with_sms!(expired_and_superseded_codes_are_refused, |app| {
    let id = customer(&app).await;
    let code = code_for(&app, 100).await;
    app.clock.advance(SignedDuration::from_secs(301));
    assert_eq!(redeem(&app, "", 100, Some(&code)).await, (400, json!(808)));
    let first = code_for(&app, 100).await;
    let second = code_for(&app, 100).await;
    if first != second {
        assert_eq!(redeem(&app, "", 100, Some(&first)).await, (400, json!(808)));
    }
    assert_eq!(balance(&app, id).await, 1000);
    assert_eq!(
        redeem(&app, "", 100, Some(&second)).await,
        (200, json!(800))
    );
    assert_eq!(balance(&app, id).await, 900);
});

both_with_sms!(
    codes_are_sent_within_the_limits_and_stored_as_hmacs,
    |app| {
        customer(&app).await;
        let code = code_for(&app, 100).await;
        // The resend cool-down holds for points codes too.
        let (status, r) = app
            .get_as_demo(&format!(
                "/v1.1/points/validationcode?mobile={MOBILE}&points=100"
            ))
            .await;
        assert_eq!(status, 429, "{r}");
        assert_eq!(r["response"]["status"]["code"], "1614", "{r}");
        // Unknown customer, points missing.
        let (status, _) = app
            .get_as_demo("/v1.1/points/validationcode?mobile=6590000009&points=100")
            .await;
        assert_eq!(status, 404);
        let (status, _) = app
            .get_as_demo(&format!("/v1.1/points/validation_code?mobile={MOBILE}"))
            .await;
        assert_eq!(status, 400);
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT code_hmac, txn, purpose FROM identity_otps")
                .fetch_all(app.db.reader())
                .await
                .unwrap();
        assert_eq!(rows.len(), 1);
        let (hmac, txn, purpose) = &rows[0];
        assert_eq!(hmac.len(), 64);
        assert!(!hmac.contains(&code) && !txn.contains(&code));
        assert_eq!(purpose, "points");
    }
);

both_with_sms!(an_org_may_make_codes_optional, |app| {
    app.apply(&format!(
        "{DEMO_ORG}\n[identity.otp]\npoints_validation = \"optional\"\n"
    ))
    .await;
    let id = customer(&app).await;
    assert_eq!(redeem(&app, "", 100, None).await, (200, json!(800)));
    assert_eq!(
        redeem(&app, "?validation_type=NONE", 100, None).await,
        (200, json!(800))
    );
    // Asked for, or brought, a code is still checked.
    assert_eq!(
        redeem(&app, "?validation_type=SMS", 100, None).await,
        (400, json!(808))
    );
    assert_eq!(
        redeem(&app, "", 100, Some("123456")).await,
        (400, json!(808))
    );
    assert_eq!(balance(&app, id).await, 800);
});

both_with_sms!(the_documented_xml_sample_redeems_with_its_code, |app| {
    let id = customer(&app).await;
    app.clock.advance(SignedDuration::from_secs(31));
    let res = app
        .till(
            Method::GET,
            &format!("/v1.1/points/validationcode?mobile={MOBILE}&points=10&format=xml"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("<validation_code>"), "{text}");
    assert!(
        text.contains("Validation Code Issued by SMS/Email"),
        "{text}"
    );
    let code = app.last_code(MOBILE).await;
    let body = |code: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<root><root><redeem><element>
  <customer><email /><external_id /><mobile>{MOBILE}</mobile></customer>
  <notes>10 points redemption by SMS.</notes><points_redeemed>10</points_redeemed>
  <transaction_number>red123</transaction_number><validation_code>{code}</validation_code>
</element></redeem></root></root>"#
        )
    };
    let post = |b: String| {
        app.till(
            Method::POST,
            "/v1.1/points/redeem?validation_type=SMS&format=xml",
        )
        .header("Content-Type", "application/xml")
        .body(b)
        .send()
    };
    let res = post(body("4PZGXC")).await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let text = res.text().await.unwrap();
    assert!(text.contains("<code>808</code>"), "{text}");
    let res = post(body(&code)).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("<code>800</code>"), "{text}");
    assert_eq!(balance(&app, id).await, 990);
});
