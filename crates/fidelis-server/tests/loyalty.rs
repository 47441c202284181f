//! Transactions: the documented examples (capillary-examples.md C.*), earning and expiry in
//! the demo org, tiers, repeated bills, concurrency, returns, outliers and bad input.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const C1: &str = include_str!("data/c1_regular.json");
const C2: &str = include_str!("data/c2_mixed.json");
const C3: &str = include_str!("data/c3_not_interested.json");

async fn register(app: &TestApp, mobile: &str) -> i64 {
    let body = json!({"profiles": [{"firstName": "Tom", "lastName": "Sawyer", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": mobile}]}]});
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    res["createdId"].as_i64().expect("createdId")
}

fn txn_path(mobile: &str) -> String {
    format!("/v2/transactions?source=instore&identifierName=mobile&identifierValue={mobile}")
}

async fn post_txn(app: &TestApp, mobile: &str, body: &Value) -> (u16, Value) {
    send(app.till(Method::POST, &txn_path(mobile)).json(body)).await
}

fn bill(number: &str, amount: &str) -> Value {
    json!({"type": "REGULAR", "billNumber": number, "billAmount": amount})
}

async fn balance(app: &TestApp, id: i64) -> Value {
    let (status, b) = app
        .get_as_demo(&format!("/v2/customers/points/balance/{id}"))
        .await;
    assert_eq!(status, 200, "{b}");
    b["totalPoints"].clone()
}

fn points(res: &Value) -> Value {
    res["sideEffects"][0]["awardedPoints"].clone()
}

both_backends!(c1_regular_bill_with_raw_side_effects, |app| {
    let id = register(&app, "6591230001").await;
    let body: Value = serde_json::from_str(C1).unwrap();
    let path = format!("{}&rawSideEffects=true&accountId=", txn_path("6591230001"));
    let (status, res) = send(app.till(Method::POST, &path).json(&body)).await;
    assert_eq!(status, 200, "{res}");
    let created = res["createdId"].as_i64().unwrap();
    // The sample names user group 1949, which this org does not have: the customer earns,
    // and the group's refusal is a warning (docs/groups.md).
    assert_eq!(res["warnings"][0]["code"], 1619, "{res}");
    assert_eq!(res["warnings"].as_array().unwrap().len(), 1, "{res}");
    assert_eq!(res["errors"], json!([]));
    let fx = &res["sideEffects"][0];
    assert_eq!(fx["type"], "points");
    assert_eq!(fx["entityType"], "USER");
    assert_eq!(fx["awardedPoints"], 20);
    assert_eq!(fx["rawAwardedPoints"], 20.0);
    let raw = &res["rawSideEffects"][0];
    assert_eq!(raw["type"], "AWARD");
    assert_eq!(raw["points"], "20.000");
    assert_eq!(raw["billNumber"], "num-1234");
    assert_eq!(raw["sourceType"], "Bill");
    assert_eq!(raw["sourceId"], created.to_string());
    assert_eq!(raw["awardedOn"], "25th Nov, 2026");
    assert_eq!(raw["expiryDate"], "25th Nov, 2027");
    assert_eq!(
        res["customerInfo"],
        json!({"firstName": "Tom", "lastName": "Sawyer"})
    );

    let (status, t) = app
        .get_as_demo(&format!("/v2/transactions/{created}"))
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["id"], created);
    assert_eq!(t["type"], "REGULAR");
    assert_eq!(t["customerId"], id);
    assert_eq!(t["outlierStatus"], "NORMAL");
    assert_eq!(t["billDetails"]["billNumber"], "num-1234");
    assert_eq!(t["billDetails"]["amount"], 200);
    assert_eq!(t["billDetails"]["grossAmount"], 110);
    assert_eq!(t["billDetails"]["billingTime"], "2026-11-25T12:00:00+08:00");
    assert_eq!(t["billDetails"]["billingStore"]["code"], "orchard");
    assert_eq!(t["deliveryStatus"], "SHIPPED");
    assert_eq!(t["lineItems"].as_array().unwrap().len(), 2);
    // Documented nesting: each line's fields under `details`, the tender's value as `amount`.
    assert_eq!(t["lineItems"][0]["details"]["returnableDays"], -1);
    assert_eq!(t["lineItems"][0]["details"]["qty"], 1.0);
    assert_eq!(t["lineItems"][0]["valid"], true);
    assert_eq!(t["lineItems"][0]["outlierStatus"], "NORMAL");
    assert_eq!(t["basketSize"], 2.0);
    assert_eq!(t["paymentModes"][0]["mode"], "Card Payment");
    assert_eq!(t["paymentModes"][0]["amount"], 5104);
    assert_eq!(
        t["billDetails"]["returnDetails"],
        json!({"canceled": false})
    );
    assert_eq!(t["extendedFields"]["ship_first_name"], "Ram");
    assert_eq!(t["customFields"]["paymentmode"], "cash");
    // Asked as another type, the transaction is not there.
    let (status, e) = app
        .get_as_demo(&format!("/v2/transactions/{created}?type=RETURN"))
        .await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["errors"][0]["code"], 625);

    // PUT updates the delivery status and fields only.
    let upd = json!({"id": created, "type": "REGULAR", "deliveryStatus": "DELIVERED",
        "customFields": {"gift": "yes"}});
    let (status, r) = send(app.till(Method::PUT, "/v2/transactions").json(&upd)).await;
    assert_eq!(status, 200, "{r}");
    let (_, t) = app
        .get_as_demo(&format!("/v2/transactions/{created}"))
        .await;
    assert_eq!(t["deliveryStatus"], "DELIVERED");
    assert_eq!(
        t["customFields"],
        json!({"paymentmode": "cash", "gift": "yes"})
    );
    assert_eq!(t["points"]["awarded"], 20);
});

both_backends!(c2_mixed_bill_returns_a_line_of_an_earlier_bill, |app| {
    let id = register(&app, "6591230002").await;
    let (status, first) = post_txn(&app, "6591230002", &bill("bill00075", "1500")).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(points(&first), 150);
    let body: Value = serde_json::from_str(C2).unwrap();
    let (status, res) = post_txn(&app, "6591230002", &body).await;
    assert_eq!(status, 200, "{res}");
    // 1900 earns 190; the returned 1200 of 1500 takes back 120 of bill00075's 150.
    assert_eq!(res["sideEffects"][0]["awardedPoints"], 190);
    assert_eq!(res["sideEffects"][1]["awardedPoints"], -120);
    assert_eq!(balance(&app, id).await, 220);
    // A mixed bill whose returned line names an unknown bill is refused whole.
    let mut bad = body.clone();
    bad["billNumber"] = json!("bill00077");
    bad["lineItemsV2"][0]["parentBillNumber"] = json!("nope");
    let (status, e) = post_txn(&app, "6591230002", &bad).await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["errors"][0]["code"], 625);
    assert_eq!(balance(&app, id).await, 220);
});

both_backends!(c3_not_interested_bill_needs_no_customer, |app| {
    let body: Value = serde_json::from_str(C3).unwrap();
    let (status, res) = send(
        app.till(Method::POST, "/v2/transactions?source=instore")
            .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let created = res["createdId"].as_i64().unwrap();
    assert_eq!(res["sideEffects"], json!([]));
    let (status, t) = app
        .get_as_demo(&format!("/v2/transactions/{created}?type=NOT_INTERESTED"))
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["customerId"], Value::Null);
    assert_eq!(t["billDetails"]["billNumber"], "bill12345");
    // Its return is recorded too, and earns nothing.
    let mut ret = body.clone();
    ret["type"] = json!("NOT_INTERESTED_RETURN");
    let (status, r) = send(
        app.till(Method::POST, "/v2/transactions?source=instore")
            .json(&ret),
    )
    .await;
    assert_eq!(status, 200, "{r}");
});

both_backends!(c5_bulk_items_fail_on_their_own, |app| {
    register(&app, "6591230003").await;
    let body = json!([
        {"identifierType": "mobile", "identifierValue": "6591230003", "source": "INSTORE",
         "type": "REGULAR", "billAmount": 4808, "billNumber": "bulk-1",
         "billingDate": "2026-11-25T14:10:00+08:00"},
        {"source": "INSTORE", "type": "REGULAR", "billAmount": 10, "billNumber": "bulk-2"},
    ]);
    let (status, res) = send(app.till(Method::POST, "/v2/transactions/bulk").json(&body)).await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(res["totalCount"], 2);
    assert_eq!(res["failureCount"], 1);
    let ok = &res["response"][0];
    assert!(ok["entityId"].as_i64().unwrap() > 0);
    assert_eq!(ok["result"]["billNumber"], "bulk-1");
    assert_eq!(ok["result"]["billingDate"], "2026-11-25T14:10:00+08:00");
    assert_eq!(ok["result"]["useDefaultFleetGroup"], false);
    assert_eq!(ok["result"]["sideEffects"][0]["awardedPoints"], 480);
    assert_eq!(ok["errors"], json!([]));
    let bad = &res["response"][1];
    assert_eq!(bad["errors"][0]["code"], 8084);
    assert_eq!(bad["errors"][0]["status"], false);
    assert!(bad["warnings"].is_array());
    let (status, _) = send(
        app.till(Method::POST, "/v2/transactions/bulk")
            .json(&json!([])),
    )
    .await;
    assert_eq!(status, 400);
});

both_backends!(
    demo_bill_earns_123_points_expiring_end_of_day_a_year_later,
    |app| {
        let id = register(&app, "6591230004").await;
        let (status, res) = post_txn(&app, "6591230004", &bill("B-1", "1234.56")).await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(points(&res), 123);
        assert_eq!(res["sideEffects"][0]["rawAwardedPoints"], 123.456);
        let (status, s) = app
            .get_as_demo(&format!("/v2/customers/{id}/pointsExpirySchedule"))
            .await;
        assert_eq!(status, 200, "{s}");
        let row = &s["expirySchedules"][0];
        assert_eq!(row["points"], 123);
        assert_eq!(row["expiryDate"], "2027-11-25");
        assert_eq!(row["expiryTime"], "2027-11-25T23:59:59+08:00");
        // Customer reads carry the program summary.
        let (status, c) = app.get_as_demo(&format!("/v2/customers/{id}")).await;
        assert_eq!(status, 200, "{c}");
        let program = &c["loyaltyProgramDetails"][0];
        assert_eq!(program["programTitle"], "Demo Rewards");
        assert_eq!(program["loyaltyPoints"], 123.0);
        assert_eq!(
            program["currentSlab"], "Silver",
            "1,234.56 passes the 1000 threshold"
        );
        assert_eq!(program["cumulativePurchases"], 1234.56);
        let (status, s) = app
        .get_as_demo("/v2/customers/lookup/pointsExpirySchedule?source=INSTORE&identifierName=mobile&identifierValue=6591230004")
        .await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["id"], id);
        assert_eq!(s["expirySchedules"].as_array().unwrap().len(), 1);
        let (status, b) = app
        .get_as_demo("/v2/customers/points/balance?source=INSTORE&identifierName=mobile&identifierValue=6591230004")
        .await;
        assert_eq!(status, 200, "{b}");
        assert_eq!(b["totalPoints"], 123);
        assert_eq!(b["entityType"], "CUSTOMER");
        assert_eq!(b["promisedPoints"], 0);
    }
);

both_backends!(crossing_1000_lifetime_purchases_moves_to_silver, |app| {
    let id = register(&app, "6591230005").await;
    post_txn(&app, "6591230005", &bill("T-1", "600")).await;
    let (_, d) = app
        .get_as_demo(&format!("/v2/customers/{id}/loyaltyDetails"))
        .await;
    assert_eq!(d["data"][0]["currentSlab"], "Bronze");
    assert_eq!(d["data"][0]["nextSlab"], "Silver");
    let (status, _) = post_txn(&app, "6591230005", &bill("T-2", "500")).await;
    assert_eq!(status, 200);
    let (status, d) = app
        .get_as_demo("/v2/customers/lookup/loyaltyDetails?source=INSTORE&identifierName=mobile&identifierValue=6591230005")
        .await;
    assert_eq!(status, 200, "{d}");
    let p = &d["data"][0];
    assert_eq!(p["currentSlab"], "Silver");
    assert_eq!(p["slabSNo"], 2);
    assert_eq!(p["nextSlab"], "Gold");
    assert_eq!(p["nextSlabSerialNumber"], 3);
    assert_eq!(p["cumulativePurchases"], 1100.0);
    assert_eq!(p["loyaltyPoints"], 110.0);
    assert_eq!(p["totalAvailablePoints"], 110.0);
    assert_eq!(p["lifetimePoints"], 110.0);
    assert_eq!(p["loyaltyId"], id);
    assert_eq!(p["slabExpiryDate"], "2027-11-25T23:59:59+08:00");
    assert_eq!(p["tierHistory"][0]["activity"], "UPGRADED");
    assert_eq!(p["tierHistory"][0]["fromSlab"], "Bronze");
    assert_eq!(p["tierHistory"][0]["toSlab"], "Silver");
    assert_eq!(p["tierHistory"][0]["date"], "2026-11-25T12:00:00+08:00");
});

both_backends!(repeated_bill_number_is_604_and_awards_nothing, |app| {
    let id = register(&app, "6591230006").await;
    let (status, _) = post_txn(&app, "6591230006", &bill("DUP-1", "100")).await;
    assert_eq!(status, 200);
    let (status, e) = post_txn(&app, "6591230006", &bill("DUP-1", "900")).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["errors"][0]["code"], 604);
    assert_eq!(balance(&app, id).await, 10);
});

both_backends!(concurrent_bills_for_one_customer_all_count, |app| {
    let id = register(&app, "6591230007").await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..32 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let amount = format!("{}", 10 * (i + 1));
            let (status, res) =
                post_txn(&app, "6591230007", &bill(&format!("C-{i}"), &amount)).await;
            assert_eq!(status, 200, "{res}");
            points(&res).as_i64().unwrap()
        }));
    }
    let mut sum = 0;
    for t in tasks {
        sum += t.await.unwrap();
    }
    assert_eq!(sum, (1..=32).sum::<i64>());
    assert_eq!(balance(&app, id).await, sum);
});

both_backends!(full_and_partial_returns_reverse_points, |app| {
    let id = register(&app, "6591230008").await;
    post_txn(&app, "6591230008", &bill("R-1", "1234.56")).await;
    let ret = |t: &str, amount: &str| json!({"type": "RETURN", "billNumber": "R-1", "returnType": t, "billAmount": amount});
    let (status, r) = post_txn(&app, "6591230008", &ret("AMOUNT", "617.28")).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(points(&r), -61);
    assert_eq!(balance(&app, id).await, 62);
    let (status, t) = app
        .get_as_demo(&format!("/v2/transactions/{}?type=RETURN", r["createdId"]))
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["returnType"], "AMOUNT");
    let (status, r) = post_txn(&app, "6591230008", &ret("FULL", "")).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(points(&r), -62);
    assert_eq!(balance(&app, id).await, 0);
    let (status, e) = post_txn(&app, "6591230008", &ret("FULL", "")).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["errors"][0]["code"], 628);
    // A line-item return reverses in proportion to the returned lines' amounts.
    post_txn(&app, "6591230008", &bill("R-2", "1000")).await;
    let body = json!({"type": "RETURN", "billNumber": "R-2", "returnType": "LINE_ITEM",
        "lineItemsV2": [{"itemCode": "a", "amount": 250}]});
    let (status, r) = post_txn(&app, "6591230008", &body).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(points(&r), -25);
    assert_eq!(balance(&app, id).await, 75);
    let (status, e) = post_txn(
        &app,
        "6591230008",
        &json!({"type": "RETURN", "billNumber": "NOPE",
        "returnType": "FULL"}),
    )
    .await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["errors"][0]["code"], 625);
});

both_backends!(suspended_customers_bills_are_outliers, |app| {
    let id = register(&app, "6591230009").await;
    let q = "/v2/customers/lookup/status?source=INSTORE&identifierName=mobile&identifierValue=6591230009";
    let (status, r) = send(
        app.till(Method::PUT, q)
            .json(&json!({"reason": "checks", "label": "suspended-suspicious"})),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let (status, res) = post_txn(&app, "6591230009", &bill("S-1", "500")).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(points(&res), 0);
    let (_, t) = app
        .get_as_demo(&format!("/v2/transactions/{}", res["createdId"]))
        .await;
    assert_eq!(t["outlierStatus"], "OUTLIER");
    assert_eq!(balance(&app, id).await, 0);
});

both_backends!(bad_input_gets_documented_codes, |app| {
    register(&app, "6591230010").await;
    let path = txn_path("6591230010");
    let raw = |body: &'static str| {
        app.till(Method::POST, &path)
            .header("Content-Type", "application/json")
            .body(body)
    };
    let (status, e) = send(raw("{\"type\": \"REGULAR\", ")).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["errors"][0]["code"], 400);
    let cases = [
        (
            json!({"type": "REGULAR", "billNumber": "x", "billAmount": true}),
            400,
            601,
        ),
        (
            json!({"type": "GIFT", "billNumber": "x", "billAmount": 1}),
            400,
            605,
        ),
        (
            json!({"type": "RETURN", "billNumber": "x", "returnType": "PARTIAL"}),
            400,
            626,
        ),
        (
            json!({"type": "REGULAR", "billNumber": "", "billAmount": 1}),
            400,
            602,
        ),
        (
            json!({"type": "REGULAR", "billNumber": "x", "billAmount": "ten"}),
            400,
            601,
        ),
        (
            json!({"type": "REGULAR", "billNumber": "x", "billAmount": 1, "outlierStatus": "WEIRD"}),
            400,
            400,
        ),
        (
            json!({"type": "REGULAR", "billNumber": "x", "billAmount": 1, "deliveryStatus": "LOST"}),
            400,
            400,
        ),
        (
            json!({"type": "REGULAR", "billNumber": "x", "billAmount": 1, "billingDate": "soon"}),
            400,
            400,
        ),
        (
            json!({"type": "REGULAR", "billNumber": "x", "billAmount": 1, "billingDate": "2026-11-27T10:00:00+08:00"}),
            400,
            643,
        ),
        (
            json!({"type": "REGULAR", "billNumber": "x", "billAmount": 1, "billingDate": "1999-01-01T00:00:00Z"}),
            400,
            621,
        ),
        (
            json!({"type": "REGULAR", "billNumber": "x", "lineItemsV2": "no"}),
            400,
            400,
        ),
        (json!({"type": "REGULAR", "billNumber": "x"}), 400, 400),
        (json!(["not", "an", "object"]), 400, 400),
    ];
    for (body, http, code) in cases {
        let (status, e) = post_txn(&app, "6591230010", &body).await;
        assert_eq!(
            (status, e["errors"][0]["code"].as_u64()),
            (http, Some(code)),
            "{body} → {e}"
        );
    }
    let (status, e) = post_txn(&app, "6591239999", &bill("y", "1")).await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["errors"][0]["code"], 8015);
    let (status, e) = send(
        app.till(Method::POST, "/v2/transactions?source=INSTORE")
            .json(&bill("y", "1")),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["errors"][0]["code"], 606);
    let (status, e) = send(
        app.till(
            Method::POST,
            "/v2/transactions?source=INSTORE&identifierName=fax&identifierValue=1",
        )
        .json(&bill("y", "1")),
    )
    .await;
    assert!(status == 400 || status == 404, "{e}");
    let (status, _) = app.get_as_demo("/v2/transactions/abc").await;
    assert_eq!(status, 404);
    let (status, _) = app.get_as_demo("/v2/transactions/1?type=ODD").await;
    assert_eq!(status, 400);
});

both_backends!(concurrent_transaction_updates_keep_every_key, |app| {
    register(&app, "6591230031").await;
    let (status, res) = post_txn(&app, "6591230031", &bill("bill-upd-1", "100")).await;
    assert_eq!(status, 200, "{res}");
    let created = res["createdId"].as_i64().expect("createdId");
    // Sixteen updates at once, each adding its own key: none may lose another's.
    let puts = (0..16).map(|i| {
        let upd = json!({"id": created, "extendedFields": {format!("key{i}"): i}});
        send(app.till(Method::PUT, "/v2/transactions").json(&upd))
    });
    for (status, r) in futures::future::join_all(puts).await {
        assert_eq!(status, 200, "{r}");
    }
    let (status, t) = app
        .get_as_demo(&format!("/v2/transactions/{created}"))
        .await;
    assert_eq!(status, 200, "{t}");
    let fields = t["extendedFields"].as_object().expect("extendedFields");
    let missing: Vec<String> = (0..16)
        .map(|i| format!("key{i}"))
        .filter(|k| !fields.contains_key(k))
        .collect();
    assert!(missing.is_empty(), "lost {missing:?} in {t}");
});

both_backends!(corrupt_transaction_details_are_not_overwritten, |app| {
    register(&app, "6591230032").await;
    let (status, res) = post_txn(&app, "6591230032", &bill("bill-upd-2", "100")).await;
    assert_eq!(status, 200, "{res}");
    let created = res["createdId"].as_i64().expect("createdId");
    sqlx::query("UPDATE loyalty_transactions SET details = 'not json' WHERE id = $1")
        .bind(created)
        .execute(app.db.reader())
        .await
        .expect("corrupt the details");
    let upd = json!({"id": created, "extendedFields": {"gift": "yes"}});
    let (status, r) = send(app.till(Method::PUT, "/v2/transactions").json(&upd)).await;
    assert_eq!(status, 500, "{r}");
    let (details,): (String,) =
        sqlx::query_as("SELECT details FROM loyalty_transactions WHERE id = $1")
            .bind(created)
            .fetch_one(app.db.reader())
            .await
            .expect("details");
    assert_eq!(
        details, "not json",
        "the stored details are kept for repair"
    );
});

both_backends!(a_negative_bill_amount_writes_nothing, |app| {
    let id = register(&app, "6591230011").await;
    for amount in ["-100", "-0.01"] {
        let (status, e) = post_txn(&app, "6591230011", &bill("NEG-1", amount)).await;
        assert_eq!(status, 400, "{amount} → {e}");
        assert_eq!(e["errors"][0]["code"], 631, "{amount} → {e}");
        let message = e["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("billAmount"), "{message}");
    }
    let body = json!({"type": "NOT_INTERESTED", "billNumber": "NEG-2", "billAmount": -5});
    let (status, e) = post_txn(&app, "6591230011", &body).await;
    assert_eq!(
        (status, e["errors"][0]["code"].as_u64()),
        (400, Some(631)),
        "{e}"
    );
    // Nothing was written: the number is still free and the balance untouched.
    assert_eq!(balance(&app, id).await, 0);
    let (status, res) = post_txn(&app, "6591230011", &bill("NEG-1", "100")).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(points(&res), 10);
    // On a return, a negative amount is a returned amount that is not positive.
    let body = json!({"type": "RETURN", "billNumber": "NEG-1", "returnType": "AMOUNT",
        "billAmount": "-10"});
    let (status, e) = post_txn(&app, "6591230011", &body).await;
    assert_eq!(
        (status, e["errors"][0]["code"].as_u64()),
        (400, Some(629)),
        "{e}"
    );
    assert_eq!(balance(&app, id).await, 10);
});
