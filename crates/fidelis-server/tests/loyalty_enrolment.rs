//! `loyaltyProgramEnrollments`: members moving from another platform keep their tier and
//! points; enrolment happens once per program, and what cannot be done is a warning.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

fn customer(mobile: &str, enrolments: Value) -> Value {
    json!({"profiles": [{"firstName": "Ena", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": mobile}]}],
        "loyaltyProgramEnrollments": enrolments})
}

async fn register(app: &TestApp, body: &Value) -> Value {
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(body)).await;
    assert_eq!(status, 200, "{res}");
    res
}

async fn default_program(app: &TestApp) -> i64 {
    let (_, res) = app.get_as_demo("/v2/organization/programs").await;
    res["data"][0]["programId"].as_i64().unwrap()
}

fn codes(res: &Value) -> Vec<i64> {
    res["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["code"].as_i64())
        .collect()
}

both_backends!(enrolment_carries_tier_and_points_once, |app| {
    let program = default_program(&app).await;
    let body = customer(
        "6590004001",
        json!([{"programId": program, "tierNumber": 2, "loyaltyPoints": 75,
                "pointsExpiryDate": "2027-02-11T16:36:17+05:30"}]),
    );
    let res = register(&app, &body).await;
    assert_eq!(codes(&res), Vec::<i64>::new(), "{res}");
    let id = res["createdId"].as_i64().unwrap();
    let (_, d) = app
        .get_as_demo(&format!("/v2/customers/{id}/loyaltyDetails"))
        .await;
    let p = &d["data"][0];
    assert_eq!(
        (&p["currentSlab"], &p["slabSNo"]),
        (&json!("Silver"), &json!(2)),
        "{d}"
    );
    assert_eq!(p["slabExpiryDate"], "2027-11-25T23:59:59+08:00");
    assert_eq!(p["loyaltyPoints"].as_f64(), Some(75.0));
    let (_, s) = app
        .get_as_demo(&format!("/v2/customers/{id}/pointsExpirySchedule"))
        .await;
    assert_eq!(s["expirySchedules"][0]["points"], 75, "{s}");
    assert_eq!(s["expirySchedules"][0]["expiryDate"], "2027-02-11");
    // The ledger explains the credit.
    let (_, l) = app
        .get_as_demo(&format!("/v2/customers/{id}/pointsLedger"))
        .await;
    assert!(l.to_string().contains("ENROLMENT"), "{l}");

    // The same registration again joins the customer; the enrolment is not repeated.
    let res = register(&app, &body).await;
    assert_eq!(res["createdId"], id);
    assert_eq!(codes(&res), vec![1103], "{res}");
    let (_, b) = app
        .get_as_demo(&format!("/v2/customers/points/balance/{id}"))
        .await;
    assert_eq!(b["totalPoints"].as_f64(), Some(75.0), "{b}");

    // Enrolment through an update, for a customer not enrolled yet, with its own tier expiry.
    let other = register(&app, &customer("6590004002", json!([]))).await;
    let other = other["createdId"].as_i64().unwrap();
    let update = json!({"loyaltyProgramEnrollments": [{"programId": program.to_string(),
        "tierNumber": "3", "tierExpiryDate": "2027-06-30T23:59:59+08:00"}]});
    let (status, res) = send(
        app.till(
            Method::PUT,
            &format!("/v2/customers/{other}?source=INSTORE"),
        )
        .json(&update),
    )
    .await;
    assert_eq!((status, codes(&res)), (200, vec![]), "{res}");
    let (_, d) = app
        .get_as_demo(&format!("/v2/customers/{other}/loyaltyDetails"))
        .await;
    assert_eq!(d["data"][0]["currentSlab"], "Gold", "{d}");
    assert_eq!(d["data"][0]["slabExpiryDate"], "2027-06-30T23:59:59+08:00");
});

both_backends!(
    enrolment_problems_are_warnings_and_the_customer_is_saved,
    |app| {
        let program = default_program(&app).await;
        let res = register(
        &app,
        &customer(
            "6590004003",
            json!([
                {"programId": 1016, "tierNumber": 234, "loyaltyPoints": 75},
                {"programId": program, "tierNumber": 9},
                {"programId": program, "loyaltyPoints": 10, "pointsExpiryDate": "2022-02-11T16:36:17+05:30"},
                {"programId": program, "loyaltyPoints": -5},
                {"programId": program, "loyaltyPoints": "lots"},
            ]),
        ),
    )
    .await;
        assert_eq!(codes(&res), vec![1101, 1102, 1104, 400, 400], "{res}");
        let id = res["createdId"].as_i64().unwrap();
        let (_, b) = app
            .get_as_demo(&format!("/v2/customers/points/balance/{id}"))
            .await;
        assert_eq!(b["totalPoints"].as_f64(), Some(0.0), "{b}");
        // Nothing was half-enrolled: a correct enrolment still goes through.
        let ok =
            json!({"loyaltyProgramEnrollments": [{"programId": program, "loyaltyPoints": 20}]});
        let (status, res) = send(
            app.till(Method::PUT, &format!("/v2/customers/{id}?source=INSTORE"))
                .json(&ok),
        )
        .await;
        assert_eq!((status, codes(&res)), (200, vec![]), "{res}");
        let (_, b) = app
            .get_as_demo(&format!("/v2/customers/points/balance/{id}"))
            .await;
        assert_eq!(b["totalPoints"].as_f64(), Some(20.0), "{b}");
    }
);

both_backends!(bulk_registration_enrols_each_customer, |app| {
    let program = default_program(&app).await;
    let body = json!([
        customer(
            "6590004011",
            json!([{"programId": program, "tierNumber": 2, "loyaltyPoints": 30}])
        ),
        customer("6590004012", json!([{"programId": 4242}])),
    ]);
    let (status, res) = send(app.till(Method::POST, "/v2/customers/bulk").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    let first = res[0]["entity"]["id"].as_i64().expect("first customer");
    assert_eq!(codes(&res[0]["entity"]), Vec::<i64>::new(), "{res}");
    assert_eq!(codes(&res[1]["entity"]), vec![1101], "{res}");
    let (_, d) = app
        .get_as_demo(&format!("/v2/customers/{first}/loyaltyDetails"))
        .await;
    assert_eq!(
        (
            &d["data"][0]["currentSlab"],
            d["data"][0]["loyaltyPoints"].as_f64()
        ),
        (&json!("Silver"), Some(30.0)),
        "{d}"
    );
});
