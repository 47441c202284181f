#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code
//! A failure of ours is never passed off as the caller's: when storage fails mid-request
//! the answer is a 500 in the documented envelope, without the database's words, and
//! nothing half-done is recorded.

mod common;

use common::{send, TestApp};
use reqwest::Method;
use serde_json::json;

async fn register(app: &TestApp, mobile: &str) {
    let body = json!({"profiles": [{"firstName": "Ada", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": mobile}]}]});
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
}

/// Makes every statement on `table` fail in the database (or restores it).
async fn break_table(app: &TestApp, table: &str, broken: bool) {
    let off = format!("{table}_off");
    let (from, to) = if broken {
        (table, off.as_str())
    } else {
        (off.as_str(), table)
    };
    sqlx::query(&format!("ALTER TABLE {from} RENAME TO {to}"))
        .execute(app.db.reader())
        .await
        .expect("rename");
}

/// Makes every customer lookup fail in the database (or restores it).
async fn break_identifiers(app: &TestApp, broken: bool) {
    break_table(app, "customer_identifier_owners", broken).await;
}

async fn transactions(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM loyalty_transactions")
        .fetch_one(app.db.reader())
        .await
        .expect("count");
    n
}

both_backends!(goodwill_storage_failure_is_a_500_without_detail, |app| {
    register(&app, "6591110001").await;
    break_identifiers(&app, true).await;
    let body = json!({"root": {"request": [{"type": "GOODWILL", "base_type": "POINTS",
        "points": 100, "reason": "Service recovery", "customer": {"mobile": "6591110001"}}]}});
    let res = app
        .till(Method::POST, "/v1.1/request/add?format=json")
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    break_identifiers(&app, false).await;
    assert_eq!(status, 500, "{text}");
    assert!(!text.to_lowercase().contains("database"), "{text}");
    assert!(!text.contains("9011"), "not a customer error: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json envelope");
    assert_eq!(v["response"]["status"]["code"], "500", "{text}");
});

both_backends!(
    not_interested_bill_is_not_filed_when_the_lookup_fails,
    |app| {
        register(&app, "6591110002").await;
        break_identifiers(&app, true).await;
        let bill = json!({"type": "NOT_INTERESTED", "billNumber": "NI-1", "billAmount": "100"});
        let (status, res) = send(
            app.till(
                Method::POST,
                "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue=6591110002",
            )
            .json(&bill),
        )
        .await;
        break_identifiers(&app, false).await;
        assert_eq!(status, 500, "{res}");
        assert_eq!(
            transactions(&app).await,
            0,
            "nothing filed under no customer"
        );
        // Once storage is back, the same bill is filed under its customer.
        let (status, res) = send(
            app.till(
                Method::POST,
                "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue=6591110002",
            )
            .json(&bill),
        )
        .await;
        assert_eq!(status, 200, "{res}");
        let (status, t) = app
            .get_as_demo(&format!(
                "/v2/transactions/{}?type=NOT_INTERESTED",
                res["createdId"]
            ))
            .await;
        assert_eq!(status, 200, "{t}");
        assert!(t["customerId"].as_i64().is_some_and(|id| id > 0), "{t}");
    }
);

both_backends!(registration_and_enrolment_commit_together, |app| {
    let (_, programs) = app.get_as_demo("/v2/organization/programs").await;
    let program = programs["data"][0]["programId"]
        .as_i64()
        .expect("program id");
    let body = json!({"profiles": [{"firstName": "Ena", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "6591110003"}]}],
        "loyaltyProgramEnrollments": [{"programId": program, "tierNumber": 2}]});
    // The enrolment's write fails: the registration must not stand without it.
    break_table(&app, "loyalty_balances", true).await;
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    break_table(&app, "loyalty_balances", false).await;
    assert_eq!(status, 500, "{res}");
    let lookup =
        "/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=6591110003";
    let (status, res) = app.get_as_demo(lookup).await;
    assert_eq!(status, 404, "no customer half-registered: {res}");
    // With storage back, the same request registers and enrols at once.
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    let id = res["createdId"].as_i64().expect("createdId");
    let (_, d) = app
        .get_as_demo(&format!("/v2/customers/{id}/loyaltyDetails"))
        .await;
    assert_eq!(d["data"][0]["slabSNo"], 2, "{d}");
});
