//! The points-expiry job: end-of-day expiry a year on, idempotent runs, one holder at a time.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use fidelis_app::jobs::{run, ExpiryReport, JobRun, PointsExpiry};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::json;

async fn balance(app: &TestApp, id: i64) -> serde_json::Value {
    let (status, b) = app
        .get_as_demo(&format!("/v2/customers/points/balance/{id}"))
        .await;
    assert_eq!(status, 200, "{b}");
    b["totalPoints"].clone()
}

both_backends!(expiry_job_runs_once_per_lease_and_is_idempotent, |app| {
    let body = json!({"profiles": [{"firstName": "Ada", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "6591239001"}]}]});
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    let id = res["createdId"].as_i64().unwrap();
    let (status, res) = send(
        app.till(
            Method::POST,
            "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue=6591239001",
        )
        .json(&json!({"type": "REGULAR", "billNumber": "job-1", "billAmount": "1234.56"})),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(balance(&app, id).await, 123);

    // Nothing is due yet.
    assert!(matches!(
        run(&app.state.app, &PointsExpiry, "a").await.unwrap(),
        JobRun::Ran(ExpiryReport { entries: 0, .. })
    ));
    // 2026-11-25 12:00 SGT + 365 days ends 2027-11-25 23:59:59 SGT; a day later it is gone.
    app.clock
        .advance(jiff::SignedDuration::from_hours(24 * 366));
    match run(&app.state.app, &PointsExpiry, "a").await.unwrap() {
        JobRun::Ran(ExpiryReport {
            entries, points, ..
        }) => {
            assert_eq!(entries, 1);
            assert_eq!(points, Decimal::from(123));
        }
        other => panic!("expected a run, got {other:?}"),
    }
    assert_eq!(balance(&app, id).await, 0);
    // A second server is kept out while the lease lives; a second run expires nothing more.
    assert_eq!(
        run(&app.state.app, &PointsExpiry, "b").await.unwrap(),
        JobRun::Skipped
    );
    assert!(matches!(
        run(&app.state.app, &PointsExpiry, "a").await.unwrap(),
        JobRun::Ran(ExpiryReport { entries: 0, .. })
    ));
    // Once the lease lapses, another server takes over.
    app.clock.advance(jiff::SignedDuration::from_secs(301));
    assert!(matches!(
        run(&app.state.app, &PointsExpiry, "b").await.unwrap(),
        JobRun::Ran(ExpiryReport { entries: 0, .. })
    ));
    // The ledger says why the points went.
    let (status, ledger) = app
        .get_as_demo(&format!("/v2/customers/{id}/pointsLedger"))
        .await;
    assert_eq!(status, 200, "{ledger}");
    assert!(ledger.to_string().contains("EXPIRY"), "{ledger}");
});
