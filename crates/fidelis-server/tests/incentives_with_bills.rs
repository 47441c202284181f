//! Incentives that travel with other requests: codes redeemed inside `POST /v2/transactions`
//! (`redeemCoupons`, in the bill's database transaction) and coupons issued by goodwill
//! COUPON requests.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::incentives::{issue, register, search, series_id};
use common::{send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

/// A REGULAR bill for the customer with `mobile`, redeeming `coupons`.
async fn bill(
    app: &TestApp,
    mobile: &str,
    number: &str,
    amount: &str,
    coupons: Value,
) -> (u16, Value) {
    let body = json!({"type": "REGULAR", "billNumber": number, "billAmount": amount,
        "redeemCoupons": coupons});
    send(
        app.till(
            Method::POST,
            &format!(
                "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue={mobile}"
            ),
        )
        .json(&body),
    )
    .await
}

async fn points(app: &TestApp, customer: i64) -> Value {
    let (status, b) = app
        .get_as_demo(&format!("/v2/customers/points/balance/{customer}"))
        .await;
    assert_eq!(status, 200, "{b}");
    b["totalPoints"].clone()
}

both_backends!(coupons_redeemed_with_a_bill_commit_with_it, |app| {
    let customer = register(&app, "6592000001").await;
    let welcome = issue(&app, series_id(&app, "WELCOME10").await, customer).await;
    let voucher = issue(&app, series_id(&app, "GV50").await, customer).await;

    // A 600 SGD bill with a coupon, the public promo code and 20 SGD of a gift voucher.
    let coupons = json!([welcome, {"code": "summer22"}, {"code": voucher, "amount": 20}]);
    let (status, res) = bill(&app, "6592000001", "B-100", "600", coupons).await;
    assert_eq!(status, 200, "{res}");
    let created = res["createdId"].as_i64().unwrap();
    assert_eq!(res["sideEffects"][0]["awardedPoints"], 60, "{res}");
    let done = res["redemptions"]["couponRedemptions"].as_array().unwrap();
    assert_eq!(done.len(), 3, "{res}");
    assert_eq!(done[0]["code"], welcome);
    assert_eq!(done[0]["redemptionStatus"]["code"], 700);
    assert_eq!(done[0]["discountType"], "PERC");
    assert_eq!(done[1]["code"], "SUMMER22");
    assert_eq!(done[2]["code"], voucher);
    assert_eq!(done[2]["balance"], 30);
    assert_eq!(points(&app, customer).await, 60);

    // Each redemption names the bill it came with.
    let found = search(&app, &welcome).await;
    assert_eq!(found["status"], "redeemed", "{found}");
    assert_eq!(found["redemptions"][0]["transactionNumber"], "B-100");
    assert_eq!(found["redemptions"][0]["billAmount"], 600);
    assert_eq!(
        found["redemptions"][0]["redeemedOn"],
        "2026-11-25T12:00:00+08:00"
    );
    assert_eq!(search(&app, &voucher).await["balance"], 30);
    let (status, t) = app
        .get_as_demo(&format!("/v2/transactions/{created}"))
        .await;
    assert_eq!(status, 200, "{t}");

    // Plain codes work in the bulk API too, each element on its own.
    let item = json!({"identifierType": "mobile", "identifierValue": "6592000001",
        "source": "INSTORE", "type": "REGULAR", "billNumber": "B-101", "billAmount": 100,
        "redeemCoupons": [{"code": voucher, "amount": 30}]});
    let (status, res) = send(
        app.till(Method::POST, "/v2/transactions/bulk")
            .json(&json!([item])),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let result = &res["response"][0]["result"];
    assert_eq!(
        result["redemptions"]["couponRedemptions"][0]["balance"], 0,
        "{res}"
    );
    assert_eq!(search(&app, &voucher).await["status"], "exhausted");
});

both_backends!(
    a_refused_code_records_neither_the_bill_nor_any_code,
    |app| {
        let customer = register(&app, "6592000002").await;
        let welcome = issue(&app, series_id(&app, "WELCOME10").await, customer).await;

        // One good code and one unknown: 702, and nothing is written.
        let (status, res) = bill(
            &app,
            "6592000002",
            "B-200",
            "300",
            json!([welcome, "NOSUCHCODE"]),
        )
        .await;
        assert_eq!(
            (status, res["errors"][0]["code"].clone()),
            (400, json!(702)),
            "{res}"
        );
        assert_eq!(search(&app, &welcome).await["status"], "active");
        assert_eq!(points(&app, customer).await, 0);

        // The same bill number is still free, and the coupon still redeemable.
        let (status, res) = bill(&app, "6592000002", "B-200", "300", json!([welcome])).await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(points(&app, customer).await, 30);

        // Used up: a second bill with it is refused (716) and earns nothing.
        let (status, res) = bill(&app, "6592000002", "B-201", "300", json!([welcome])).await;
        assert_eq!(
            (status, res["errors"][0]["code"].clone()),
            (400, json!(716)),
            "{res}"
        );
        assert_eq!(points(&app, customer).await, 30);

        // Someone else's coupon (703) and a bad shape are refused the same way.
        let other = register(&app, "6592000003").await;
        let theirs = issue(&app, series_id(&app, "WELCOME10").await, other).await;
        let (status, res) = bill(&app, "6592000002", "B-202", "300", json!([theirs])).await;
        assert_eq!(status, 400, "{res}");
        assert!(res["errors"][0]["code"].as_u64().unwrap() >= 700, "{res}");
        assert_eq!(search(&app, &theirs).await["status"], "active");
        let (status, res) = bill(&app, "6592000002", "B-203", "300", json!("WELCOME")).await;
        assert_eq!(status, 400, "{res}");
        assert_eq!(points(&app, customer).await, 30);

        // Codes go with purchases only.
        let body = json!({"type": "RETURN", "returnType": "FULL", "billNumber": "B-200",
        "redeemCoupons": [theirs]});
        let (status, res) = send(
            app.till(
                Method::POST,
                "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue=6592000002",
            )
            .json(&body),
        )
        .await;
        assert_eq!(status, 400, "{res}");
        assert_eq!(points(&app, customer).await, 30);
    }
);

both_backends!(
    sixteen_bills_racing_for_one_coupon_record_exactly_one,
    |app| {
        let customer = register(&app, "6592000004").await;
        let welcome = issue(&app, series_id(&app, "WELCOME10").await, customer).await;
        let tasks: Vec<_> = (0..16)
        .map(|i| {
            let body = json!({"type": "REGULAR", "billNumber": format!("R-{i}"), "billAmount": 100,
                "redeemCoupons": [welcome]});
            let req = app
                .till(
                    Method::POST,
                    "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue=6592000004",
                )
                .json(&body);
            tokio::spawn(send(req))
        })
        .collect();
        let mut ok = 0;
        for t in tasks {
            let (status, res) = t.await.unwrap();
            match status {
                200 => ok += 1,
                400 => assert!(
                    [711, 716].contains(&res["errors"][0]["code"].as_u64().unwrap()),
                    "{res}"
                ),
                other => panic!("{other}: {res}"),
            }
        }
        assert_eq!(ok, 1);
        // One bill earned: 10 points, and the coupon has one redemption.
        assert_eq!(points(&app, customer).await, 10);
        assert_eq!(search(&app, &welcome).await["redemptionCount"], 1);
    }
);

/// The documented goodwill COUPON body, with the demo's data.
fn goodwill_coupon(mobile: &str, series: i64, reference: &str) -> Value {
    json!({"root": {"request": [{
        "customer": {"mobile": mobile, "external_id": "", "email": ""},
        "reason": "Service recovery",
        "comments": "Additional comment if required",
        "type": "GOODWILL",
        "base_type": "COUPON",
        "series_id": series.to_string(),
        "reference_id": reference
    }]}})
}

async fn coupons_of(app: &TestApp, customer: i64) -> Vec<Value> {
    let (status, res) = app
        .get_as_demo(&format!("/v2/coupon?issuedToIds={customer}"))
        .await;
    assert_eq!(status, 200, "{res}");
    res["data"].as_array().cloned().unwrap()
}

both_backends!(goodwill_coupon_requests_issue_a_coupon_once, |app| {
    let customer = register(&app, "6592000005").await;
    let welcome = series_id(&app, "WELCOME10").await;

    // Auto-approved by the client: the coupon is issued with the request.
    let add = "/v1.1/request/add?format=json&client_auto_approve=true";
    let (status, res) = send(app.till(Method::POST, add).json(&goodwill_coupon(
        "6592000005",
        welcome,
        "gw-1",
    )))
    .await;
    assert_eq!(status, 200, "{res}");
    let r = &res["response"]["requests"]["request"][0];
    assert_eq!(r["item_status"]["code"], 9100, "{res}");
    assert_eq!(r["status"], "APPROVED");
    let code = r["new_value"].as_str().unwrap().to_string();
    assert!(!code.is_empty(), "{res}");
    let found = search(&app, &code).await;
    assert_eq!(found["kind"], "coupon", "{found}");
    assert_eq!(found["status"], "active");
    assert_eq!(found["issuedTo"]["id"], customer);

    // The same reference again: the first request, no second coupon.
    let (status, res) = send(app.till(Method::POST, add).json(&goodwill_coupon(
        "6592000005",
        welcome,
        "gw-1",
    )))
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        res["response"]["requests"]["request"][0]["new_value"],
        code.as_str()
    );
    assert_eq!(coupons_of(&app, customer).await.len(), 1);

    // Without auto-approval the request waits; a checker's approval issues the coupon.
    let (status, res) = send(
        app.till(Method::POST, "/v1.1/request/add?format=json")
            .json(&goodwill_coupon("6592000005", welcome, "gw-2")),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let r = &res["response"]["requests"]["request"][0];
    assert_eq!(r["status"], "PENDING", "{res}");
    assert_eq!(r["new_value"], "");
    assert_eq!(coupons_of(&app, customer).await.len(), 1);
    let decision =
        json!({"root": {"request": [{"type": "GOODWILL", "base_type": "COUPON", "id": r["id"]}]}});
    let (status, ok) = app.approve_goodwill(&decision).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(coupons_of(&app, customer).await.len(), 2);
    // Approving again changes nothing.
    let (_, again) = app.approve_goodwill(&decision).await;
    assert_ne!(
        again["response"]["status"]["success"],
        json!(true),
        "{again}"
    );
    assert_eq!(coupons_of(&app, customer).await.len(), 2);

    // An unknown series is refused when the request is made (707), and nothing is filed.
    let (status, res) = send(app.till(Method::POST, add).json(&goodwill_coupon(
        "6592000005",
        987654,
        "gw-3",
    )))
    .await;
    let item = &res["response"]["requests"]["request"][0]["item_status"];
    assert_eq!((status, item["code"].clone()), (400, json!(707)), "{res}");
    assert_eq!(coupons_of(&app, customer).await.len(), 2);
    let (status, hist) = app
        .get_as_demo(&format!("/v2/customers/{customer}/goodwillRequest"))
        .await;
    assert_eq!(status, 200, "{hist}");
    assert_eq!(hist["data"].as_array().unwrap().len(), 2, "{hist}");
    assert!(
        hist["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["couponCode"] == code.as_str()),
        "{hist}"
    );
});
