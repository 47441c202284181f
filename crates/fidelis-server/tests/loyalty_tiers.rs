//! The tier job: renewal and downgrade when a tier's validity ends, shown where upgrades
//! show; and end-of-day points expiry in a zone with daylight saving time.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use fidelis_app::jobs::{run, JobRun, PointsExpiry, TierExpiry, TierReport};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn at(app: &TestApp, instant: &str) {
    app.clock.set(instant.parse().unwrap());
}

async fn register(app: &TestApp, mobile: &str) -> i64 {
    let body = json!({"profiles": [{"firstName": "Tia", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": mobile}]}]});
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    res["createdId"].as_i64().expect("createdId")
}

async fn post_txn(app: &TestApp, mobile: &str, body: Value) {
    let path =
        format!("/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue={mobile}");
    let (status, res) = send(app.till(Method::POST, &path).json(&body)).await;
    assert_eq!(status, 200, "{res}");
}

async fn buy(app: &TestApp, mobile: &str, number: &str, amount: &str) {
    post_txn(
        app,
        mobile,
        json!({"type": "REGULAR", "billNumber": number, "billAmount": amount}),
    )
    .await;
}

/// The default program's `loyaltyDetails` element.
async fn details(app: &TestApp, id: i64) -> Value {
    let (status, d) = app
        .get_as_demo(&format!("/v2/customers/{id}/loyaltyDetails"))
        .await;
    assert_eq!(status, 200, "{d}");
    d["data"][0].clone()
}

fn ran(renewed: usize, downgraded: usize) -> JobRun<TierReport> {
    JobRun::Ran(TierReport {
        orgs: 1,
        renewed,
        downgraded,
        upgraded: 0,
        skipped: 0,
    })
}

both_backends!(tiers_renew_or_downgrade_when_validity_ends, |app| {
    // 2026-11-25 12:00 in Singapore: three members reach Silver with one bill each.
    let (a, b, c) = ("6591240001", "6591240002", "6591240003");
    let id_a = register(&app, a).await;
    let id_b = register(&app, b).await;
    let id_c = register(&app, c).await;
    buy(&app, a, "A-1", "1200").await;
    buy(&app, b, "B-1", "1200").await;
    buy(&app, c, "C-1", "1200").await;
    let silver = details(&app, id_a).await;
    assert_eq!(silver["currentSlab"], "Silver");
    assert_eq!(silver["slabExpiryDate"], "2027-11-25T23:59:59+08:00");

    // Inside the window B buys 1,000 more; C buys 1,500 and returns 600 of it (net 900).
    at(&app, "2027-03-05T04:00:00Z");
    buy(&app, b, "B-2", "1000").await;
    buy(&app, c, "C-2", "1500").await;
    post_txn(
        &app,
        c,
        json!({"type": "RETURN", "billNumber": "C-2", "returnType": "AMOUNT", "billAmount": "600"}),
    )
    .await;

    // At 23:59:59 on the last day the tiers still hold.
    at(&app, "2027-11-25T15:59:59Z");
    assert_eq!(
        run(&app.state.app, &TierExpiry, "a").await.unwrap(),
        ran(0, 0)
    );
    assert_eq!(details(&app, id_a).await["currentSlab"], "Silver");

    // Three days later (a late run changes no dates): A bought nothing in the window and
    // C only 900 net, so both fall to Bronze; B bought 1,000 and keeps Silver a year more.
    at(&app, "2027-11-28T04:00:00Z");
    assert_eq!(
        run(&app.state.app, &TierExpiry, "a").await.unwrap(),
        ran(1, 2)
    );
    for id in [id_a, id_c] {
        let p = details(&app, id).await;
        assert_eq!(p["currentSlab"], "Bronze", "{p}");
        assert_eq!(p["slabSNo"], 1);
        assert_eq!(p["slabExpiryDate"], Value::Null);
        let h = &p["tierHistory"];
        assert_eq!(h.as_array().unwrap().len(), 2, "{h}");
        assert_eq!(h[0]["activity"], "UPGRADED");
        assert_eq!(h[1]["activity"], "DOWNGRADED");
        assert_eq!(h[1]["fromSlab"], "Silver");
        assert_eq!(h[1]["toSlab"], "Bronze");
        // Effective the moment the old validity ended, not when the job ran.
        assert_eq!(h[1]["date"], "2027-11-26T00:00:00+08:00");
        assert_eq!(h[1]["validUntil"], Value::Null);
        assert_eq!(h[1]["source"], "EXPIRY_JOB");
        assert_eq!(h[1]["sourceId"], "tier-expiry");
    }
    let p = details(&app, id_b).await;
    assert_eq!(p["currentSlab"], "Silver");
    assert_eq!(p["slabExpiryDate"], "2028-11-25T23:59:59+08:00");
    assert_eq!(p["tierHistory"][1]["activity"], "RENEWED");
    assert_eq!(p["tierHistory"][1]["fromSlab"], "Silver");
    assert_eq!(p["tierHistory"][1]["toSlab"], "Silver");
    assert_eq!(p["tierHistory"][1]["date"], "2027-11-26T00:00:00+08:00");
    assert_eq!(
        p["tierHistory"][1]["validUntil"],
        "2028-11-25T23:59:59+08:00"
    );
    // Customer reads show the same activity.
    let (status, cust) = app.get_as_demo(&format!("/v2/customers/{id_a}")).await;
    assert_eq!(status, 200, "{cust}");
    let program = &cust["loyaltyProgramDetails"][0];
    assert_eq!(program["currentSlab"], "Bronze");
    assert_eq!(program["tierHistory"][1]["activity"], "DOWNGRADED");

    // Running again at the same instant changes nothing; a second server is kept out.
    assert_eq!(
        run(&app.state.app, &TierExpiry, "a").await.unwrap(),
        ran(0, 0)
    );
    assert_eq!(
        run(&app.state.app, &TierExpiry, "b").await.unwrap(),
        JobRun::Skipped
    );
    for id in [id_a, id_b, id_c] {
        let h = details(&app, id).await["tierHistory"].clone();
        assert_eq!(h.as_array().unwrap().len(), 2, "{h}");
    }

    // After the downgrade only new purchases count toward Silver: A's lifetime 1,700 is
    // not enough, 2,200 (1,000 since the downgrade) is.
    buy(&app, a, "A-2", "500").await;
    assert_eq!(details(&app, id_a).await["currentSlab"], "Bronze");
    buy(&app, a, "A-3", "500").await;
    let p = details(&app, id_a).await;
    assert_eq!(p["currentSlab"], "Silver");
    assert_eq!(p["slabExpiryDate"], "2028-11-28T23:59:59+08:00");

    // A year on, B's renewed window holds no purchases (the 1,000 belonged to the first
    // window): B is downgraded. A's Silver runs to 2028-11-28 and is left alone.
    at(&app, "2028-11-27T04:00:00Z");
    assert_eq!(
        run(&app.state.app, &TierExpiry, "b").await.unwrap(),
        ran(0, 1)
    );
    let p = details(&app, id_b).await;
    assert_eq!(p["currentSlab"], "Bronze");
    let h = p["tierHistory"].as_array().unwrap().clone();
    assert_eq!(h.len(), 3);
    assert_eq!(h[2]["activity"], "DOWNGRADED");
    assert_eq!(h[2]["date"], "2028-11-26T00:00:00+08:00");
    assert_eq!(details(&app, id_a).await["currentSlab"], "Silver");
});

const NYC_ORG: &str = r#"
[org]
code = "nyc"
name = "NYC Stores"
time_zone = "America/New_York"
currency = "USD"
country = "US"

[[concepts]]
code = "main"
name = "NYC Main"

[[stores]]
code = "soho"
name = "SoHo"
concept = "main"

[[tills]]
code = "nyc.till"
store = "soho"
password = "nyc-pw"

[[loyalty.programs]]
name = "NYC Rewards"
kind = "DEFAULT"
earn = { points = 1, per_amount = 1, rounding = "DOWN", precision = 0 }
expiry = { type = "AFTER_DAYS", days = 90 }
"#;

fn nyc(app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.as_till("nyc.till", "nyc-pw", method, path)
}

async fn nyc_get(app: &TestApp, path: &str) -> Value {
    let (status, body) = send(nyc(app, Method::GET, path)).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Runs the points-expiry job and returns the points it wrote off.
async fn expire(app: &TestApp) -> Decimal {
    match run(&app.state.app, &PointsExpiry, "a").await.unwrap() {
        JobRun::Ran(r) => r.points,
        JobRun::Skipped => panic!("the only holder was kept out"),
    }
}

both_backends!(new_york_points_expire_at_local_midnight_across_dst, |app| {
    // 2027-01-15 12:00 EST (−05:00).
    at(&app, "2027-01-15T17:00:00Z");
    app.apply(NYC_ORG).await;
    let body = json!({"profiles": [{"firstName": "Ny", "source": "INSTORE",
        "identifiers": [{"type": "email", "value": "ny@example.com"}]}]});
    let (status, res) = send(nyc(&app, Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    let id = res["createdId"].as_i64().unwrap();
    let bill = |number: &str, amount: &str| {
        nyc(
            &app,
            Method::POST,
            "/v2/transactions?source=INSTORE&identifierName=email&identifierValue=ny@example.com",
        )
        .json(&json!({"type": "REGULAR", "billNumber": number, "billAmount": amount}))
    };
    let (status, res) = send(bill("NY-1", "100")).await;
    assert_eq!(status, 200, "{res}");

    // 90 days on is 2027-04-15, after the March change: the end of that day is EDT.
    let s = nyc_get(&app, &format!("/v2/customers/{id}/pointsExpirySchedule")).await;
    assert_eq!(s["expirySchedules"][0]["points"], 100, "{s}");
    assert_eq!(s["expirySchedules"][0]["expiryDate"], "2027-04-15");
    assert_eq!(
        s["expirySchedules"][0]["expiryTime"],
        "2027-04-15T23:59:59-04:00"
    );
    let l = nyc_get(&app, &format!("/v2/customers/{id}/pointsLedger")).await;
    assert_eq!(
        l["data"][0]["expiresAt"], "2027-04-15T23:59:59-04:00",
        "{l}"
    );

    // Usable through 23:59:59 EDT (03:59:59Z), gone from the next second.
    at(&app, "2027-04-16T03:59:59Z");
    assert_eq!(expire(&app).await, Decimal::ZERO);
    let b = nyc_get(&app, &format!("/v2/customers/points/balance/{id}")).await;
    assert_eq!(b["totalPoints"], 100, "{b}");
    at(&app, "2027-04-16T04:00:00Z");
    assert_eq!(expire(&app).await, Decimal::from(100));
    let l = nyc_get(&app, &format!("/v2/customers/{id}/pointsLedger")).await;
    assert_eq!(l["data"][1]["kind"], "EXPIRY", "{l}");
    assert_eq!(l["data"][1]["at"], "2027-04-16T00:00:00-04:00");
    assert_eq!(l["balance"]["available"], 0);

    // 2027-08-20 12:00 EDT: 90 days on is 2027-11-18, after the November change (EST).
    at(&app, "2027-08-20T16:00:00Z");
    let (status, res) = send(bill("NY-2", "50")).await;
    assert_eq!(status, 200, "{res}");
    let s = nyc_get(&app, &format!("/v2/customers/{id}/pointsExpirySchedule")).await;
    let rows = s["expirySchedules"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{s}");
    assert_eq!(rows[0]["points"], 50);
    assert_eq!(rows[0]["expiryDate"], "2027-11-18");
    assert_eq!(rows[0]["expiryTime"], "2027-11-18T23:59:59-05:00");

    at(&app, "2027-11-19T04:59:59Z");
    assert_eq!(expire(&app).await, Decimal::ZERO);
    let b = nyc_get(&app, &format!("/v2/customers/points/balance/{id}")).await;
    assert_eq!(b["totalPoints"], 50, "{b}");
    at(&app, "2027-11-19T05:00:00Z");
    assert_eq!(expire(&app).await, Decimal::from(50));
    let l = nyc_get(&app, &format!("/v2/customers/{id}/pointsLedger")).await;
    let last = l["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "EXPIRY", "{l}");
    assert_eq!(last["at"], "2027-11-19T00:00:00-05:00");
    assert_eq!(last["points"], -50);
    let s = nyc_get(&app, &format!("/v2/customers/{id}/pointsExpirySchedule")).await;
    assert_eq!(s["expirySchedules"], json!([]));
});
