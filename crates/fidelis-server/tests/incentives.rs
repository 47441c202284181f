//! Incentives: coupon series (Capillary's documented bodies), issuing, redemption (the D.*
//! examples), limits under concurrency, validity in org time, store/concept restrictions,
//! promo codes, gift vouchers and incentives search.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::incentives::{issue, register, search, series_id};
use common::{send, TestApp, ACME_ORG};
use reqwest::Method;
use serde_json::{json, Value};

async fn post(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    send(app.till(Method::POST, path).json(body)).await
}

async fn create_series(app: &TestApp, series: Value) -> Value {
    let (status, res) = post(app, "/v2/coupon/series", &json!({"CouponSeriesV2": series})).await;
    assert_eq!(status, 200, "{res}");
    res
}

fn redeem_body(code: &str, mobile: &str, bill: &str, txn: &str) -> Value {
    json!({"redemptionRequestList": [{"code": code}], "user": {"mobile": mobile},
        "transactionNumber": txn, "billAmount": bill})
}

/// The documented create-series body (Capillary's "Create coupon Series" sample).
fn documented_series() -> Value {
    json!({
        "customPropertyMap": {"key1": "custom property 1", "key2": "val2",
            "standard_terms_and_conditions": "terms and condtion"},
        "description": "DIWALI 10% OFF",
        "discountCode": "XYZ123",
        "validTillDate": "2021-05-10T00:00:00+05:30",
        "expiryStrategyValue": 1,
        "maxCreate": -1,
        "maxRedeem": -1,
        "anyUser": false,
        "sameUserMultipleRedeem": false,
        "isReferralExistingUsersAllowed": false,
        "isMultipleUseAllowed": false,
        "isValidWithDiscountedItem": true,
        "smsTemplate": "Hi {{first_name}} {{last_name}} your voucher code {{voucher}}is valid {{valid_days_from_create}}. {{fullname}} {{offer_name}}",
        "isSMSDisabled": false,
        "info": "Evil coupon",
        "isMultipleVouchersPerUserAllowed": true,
        "doNotResendExistingVoucher": true,
        "mutualExclusiveSeriesIds": "[]",
        "maxVouchersPerUser": 11,
        "minDaysBetweenVouchers": 23,
        "discountValue": 500,
        "redemptionRange": "{\"dom\" : [1], \"dow\": [1], \"hours\": [1]}",
        "minBillAmount": 100,
        "maxBillAmount": 20000,
        "maxRedemptionsInSeriesPerUser": 122,
        "minDaysBetweenRedemption": 962,
        "redemptionValidFrom": "2020-11-18T00:00:00+05:30",
        "productInfo": [],
        "redemptionOrgEntityDetails": [],
        "targetUserDetails": {"validMaxUserTransactionLimit": 1,
            "validUserRegistrationStartTime": 0, "validUserRegistrationEndTime": 10000},
        "redemptionValidAfterDays": 22,
        "alphaNumeric": true,
        "randomCodeLength": 10,
        "resendMessageEnabled": true,
        "clientHandlingType": "DISC_CODE",
        "expiryStrategyType": "SERIES_EXPIRY",
        "discountType": "ABS"
    })
}

both_backends!(documented_create_series_and_issue_bodies, |app| {
    // The documented body, as published: its series ended on 2021-05-10.
    let s = create_series(&app, documented_series()).await;
    assert_eq!(s["description"], "DIWALI 10% OFF");
    assert_eq!(s["discountCode"], "XYZ123");
    assert_eq!(s["discountType"], "ABS");
    assert_eq!(s["discountValue"], 500);
    assert_eq!(s["maxCreate"], -1);
    assert_eq!(s["maxRedeem"], -1);
    assert_eq!(s["maxVouchersPerUser"], 11);
    assert_eq!(s["maxRedemptionsInSeriesPerUser"], 122);
    assert_eq!(s["minBillAmount"], 100);
    assert_eq!(s["maxBillAmount"], 20000);
    assert_eq!(s["randomCodeLength"], 10);
    assert_eq!(s["expiryStrategyType"], "SERIES_EXPIRY");
    assert_eq!(s["discountOn"], "BILL");
    assert_eq!(s["validTillDate"], "2021-05-10T23:59:59+08:00");
    assert_eq!(s["redemptionValidFrom"], "2020-11-18T02:30:00+08:00");
    // Fields Fidelis does not interpret are kept and echoed.
    assert_eq!(s["customPropertyMap"]["key2"], "val2");
    assert_eq!(s["info"], "Evil coupon");
    assert_eq!(s["minDaysBetweenVouchers"], 23);
    assert_eq!(s["warnings"], json!([]));
    assert_eq!(s["seriesCode"].as_str().unwrap().len(), 20);
    let old = s["id"].as_i64().unwrap();

    let customer = register(&app, "917500000005").await;
    // The documented issue body: one identifier given, the others empty.
    let issue_body = |series: i64| json!({"seriesId": series, "customer": {"id": customer, "mobile": "", "externalId": "", "email": ""}});
    let (status, res) = post(&app, "/v2/coupon/issue", &issue_body(old)).await;
    assert_eq!(status, 400, "{res}");
    assert_eq!(res["errors"][0]["code"], 712, "{res}");

    // The same body with a series still running issues a 10-symbol code.
    let mut running = documented_series();
    running["validTillDate"] = json!("2099-12-31T00:00:00+08:00");
    let s = create_series(&app, running).await;
    let (status, res) = post(
        &app,
        "/v2/coupon/issue",
        &issue_body(s["id"].as_i64().unwrap()),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["code"].as_str().unwrap().len(), 10);
    assert_eq!(res["seriesId"], s["id"]);
    assert_eq!(res["description"], "DIWALI 10% OFF");
    assert_eq!(res["discountType"], "ABS");
    assert_eq!(res["discountValue"], 500.0);
    assert_eq!(res["discountOn"], "BILL");
    assert_eq!(res["validTill"], "2099-12-31T23:59:59+08:00");
    assert_eq!(res["redemptionCount"], 0);
    assert_eq!(res["customer"]["id"], customer);
    assert_eq!(
        res["customer"]["profiles"][0]["identifiers"][0],
        json!({"type": "mobile", "value": "917500000005"})
    );
    // Bulk issue (documented body: seriesIds, customer id as a string).
    let (status, res) = post(
        &app,
        "/v2/coupon/bulk/issue?source=INSTORE",
        &json!({"seriesIds": [s["id"], old], "customer": {"id": customer.to_string()}}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["totalCount"], 2);
    assert_eq!(res["failureCount"], 1);
    assert_eq!(res["response"][0]["entityId"], s["id"]);
    assert_eq!(res["response"][1]["errors"][0]["code"], 712);
    // Both codes the customer holds.
    let (status, res) = app
        .get_as_demo(&format!("/v2/coupon?issuedToIds={customer}"))
        .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["data"].as_array().unwrap().len(), 2);
    // Bad bodies get clear answers.
    let (status, res) = post(
        &app,
        "/v2/coupon/series",
        &json!({"CouponSeriesV2": {"discountType": "HALF"}}),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].clone()),
        (400, json!(400)),
        "{res}"
    );
    let (status, res) = post(
        &app,
        "/v2/coupon/issue",
        &json!({"seriesId": 999999, "customer": {"id": customer}}),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].clone()),
        (404, json!(707)),
        "{res}"
    );
    let (status, res) = post(
        &app,
        "/v2/coupon/issue",
        &json!({"seriesId": old, "customer": {"mobile": "6591239999"}}),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].clone()),
        (404, json!(701)),
        "{res}"
    );
});

both_backends!(d1_d2_redeem_single_as_documented, |app| {
    // Everything happens in June 2020, when the documented redemption took place.
    app.clock.set("2020-06-10T02:00:00Z".parse().unwrap());
    let customer = register(&app, "917575757575").await;
    let s = create_series(
        &app,
        json!({"description": "10 units", "discountType": "ABS", "discountValue": 10,
            "validTillDate": "2119-07-10T00:00:00Z"}),
    )
    .await;
    let code = issue(&app, s["id"].as_i64().unwrap(), customer).await;
    let older = issue(&app, s["id"].as_i64().unwrap(), customer).await;
    app.clock.set("2020-06-12T06:00:00Z".parse().unwrap());
    // D.1, with the issued code.
    let body = json!({
        "redemptionRequestList": [{"code": code}],
        "user": {"mobile": "917575757575"},
        "transactionNumber": "ZDCsdss",
        "billAmount": "2000",
        "redemptionTime": "2020-06-12"
    });
    let (status, res) = post(&app, "/v2/coupon/redeem", &body).await;
    assert_eq!(status, 200, "{res}");
    // D.2
    let r = &res["redemption"][0];
    assert!(r["id"].as_i64().unwrap() > 0);
    assert_eq!(r["currencyInput"], false);
    assert_eq!(r["localToBaseCurrencyExchangeRate"], 0);
    assert_eq!(r["warnings"], json!([]));
    assert_eq!(r["appendedErrorMessage"], "");
    assert_eq!(r["code"], code);
    assert_eq!(r["discountCode"], "NO_VALUE");
    assert_eq!(r["seriesCode"], s["id"]);
    assert_eq!(r["isAbsolute"], true);
    assert_eq!(r["couponValue"], 10.0);
    assert_eq!(
        r["redemptionStatus"],
        json!({"statusCode": {"status": true, "message": "Coupon processing successful", "code": 700},
            "warnings": [], "warningsAsStatusCode": [], "message": "Coupon processing successful",
            "code": 700, "success": true})
    );
    assert_eq!(r["discountType"], "ABS");
    assert_eq!(r["discountValue"], 10);
    assert_eq!(r["discountUpto"], 0);
    assert_eq!(
        res["redemptionStatus"],
        json!({"status": true, "message": "Coupon processing successful", "code": 700})
    );
    assert_eq!(res["customer"]["id"], customer);
    assert_eq!(res["customer"]["profiles"][0]["firstName"], "Tom");
    assert_eq!(res["warnings"], json!([]));
    // A date-only redemptionTime is the start of that day in the org's zone.
    let found = search(&app, &code).await;
    assert_eq!(
        found["redemptions"][0]["redeemedOn"],
        "2020-06-12T00:00:00+08:00"
    );
    assert_eq!(found["redemptions"][0]["transactionNumber"], "ZDCsdss");
    assert_eq!(found["status"], "redeemed");
    // Again: the same customer cannot redeem it twice.
    let (status, res) = post(&app, "/v2/coupon/redeem", &body).await;
    assert_eq!(
        (status, res["errors"][0]["code"].clone()),
        (400, json!(716)),
        "{res}"
    );

    // The older sample: a zone-less redemptionTime is org-local wall time.
    let code = older;
    let body = json!({"billAmount": "2000", "transactionNumber": "numbr9227550121",
        "user": {"mobile": "917575757575"}, "redemptionTime": "2020-06-11 11:49:59",
        "redemptionRequestList": [{"code": code}]});
    let (status, res) = post(&app, "/v2/coupon/redeem", &body).await;
    assert_eq!(status, 200, "{res}");
    let found = search(&app, &code).await;
    assert_eq!(
        found["redemptions"][0]["redeemedOn"],
        "2020-06-11T11:49:59+08:00"
    );
    // A redemption time in the future is refused (739); an unknown code is 702.
    let code = issue(&app, s["id"].as_i64().unwrap(), customer).await;
    let mut later = redeem_body(&code, "917575757575", "2000", "t-1");
    later["redemptionTime"] = json!("2020-06-13 00:00:00");
    let (status, res) = post(&app, "/v2/coupon/redeem", &later).await;
    assert_eq!(
        (status, res["errors"][0]["code"].clone()),
        (400, json!(739)),
        "{res}"
    );
    let (status, res) = post(
        &app,
        "/v2/coupon/redeem",
        &redeem_body("NOSUCHCODE", "917575757575", "10", "t"),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].clone()),
        (400, json!(702)),
        "{res}"
    );
});

both_backends!(d3_is_redeemable_as_documented, |app| {
    let customer = register(&app, "917601000000").await;
    let s = create_series(
        &app,
        json!({"description": "15% off", "discountType": "PERC", "discountValue": 15,
            "isMultipleUseAllowed": true, "sameUserMultipleRedeem": true}),
    )
    .await;
    let a = issue(&app, s["id"].as_i64().unwrap(), customer).await;
    let b = issue(&app, s["id"].as_i64().unwrap(), customer).await;
    let (status, res) = app
        .get_as_demo(&format!(
            "/v2/coupon/is_redeemable?mobile=917601000000&code={a},{b}&details=false"
        ))
        .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["customer"]["id"], customer);
    assert_eq!(
        res["redemption"][0],
        json!({"appendedErrorMessage": "", "code": a, "isAbsolute": false, "isRedeemable": true,
            "numberOfRedemptionsByUser": 0, "redemptionsLeft": -1, "warnings": []})
    );
    assert_eq!(res["redemption"][1]["code"], b);
    assert_eq!(
        res["redemptionStatus"],
        json!({"code": 700, "message": "Coupon isRedeem successful", "status": true})
    );
    assert_eq!(res["warnings"], json!([]));
    // A single-use WELCOME10 coupon has one redemption left, then none.
    let welcome = series_id(&app, "WELCOME10").await;
    let w = issue(&app, welcome, customer).await;
    let (_, res) = app
        .get_as_demo(&format!(
            "/v2/coupon/is_redeemable?mobile=917601000000&code={w}"
        ))
        .await;
    assert_eq!(res["redemption"][0]["redemptionsLeft"], 1);
    let (status, _) = post(
        &app,
        "/v2/coupon/redeem",
        &redeem_body(&w, "917601000000", "80", "b-1"),
    )
    .await;
    assert_eq!(status, 200);
    let (_, res) = app
        .get_as_demo(&format!(
            "/v2/coupon/is_redeemable?mobile=917601000000&code={w},NOPE"
        ))
        .await;
    assert_eq!(res["redemption"][0]["isRedeemable"], false);
    assert_eq!(res["redemption"][0]["numberOfRedemptionsByUser"], 1);
    assert_eq!(res["redemption"][0]["redemptionsLeft"], 0);
    assert_eq!(res["redemption"][0]["redemptionStatus"]["code"], 716);
    assert_eq!(res["redemption"][1]["redemptionStatus"]["code"], 702);
});

both_backends!(
    concurrent_redemptions_of_a_single_use_coupon_succeed_once,
    |app| {
        register(&app, "6591000001").await;
        let customer = register(&app, "6591000002").await;
        let welcome = series_id(&app, "WELCOME10").await;
        let code = issue(&app, welcome, customer).await;
        let body = redeem_body(&code, "6591000002", "100", "race-1");
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let req = app.till(Method::POST, "/v2/coupon/redeem").json(&body);
                tokio::spawn(send(req))
            })
            .collect();
        let mut ok = 0;
        let mut refused = Vec::new();
        for t in tasks {
            let (status, res) = t.await.unwrap();
            match status {
                200 => {
                    assert_eq!(res["redemptionStatus"]["code"], 700, "{res}");
                    assert_eq!(res["redemption"][0]["discountAmount"], 10, "{res}");
                    ok += 1;
                }
                _ => refused.push(res["errors"][0]["code"].as_i64().unwrap()),
            }
        }
        assert_eq!(ok, 1);
        assert_eq!(refused.len(), 63);
        assert!(
            refused.iter().all(|c| *c == 711 || *c == 716),
            "{refused:?}"
        );
        let found = search(&app, &code).await;
        assert_eq!(found["redemptionCount"], 1);
        assert_eq!(found["redemptions"].as_array().unwrap().len(), 1);
    }
);

both_backends!(
    concurrent_spends_of_a_gift_voucher_stop_at_its_balance,
    |app| {
        let customer = register(&app, "6591000003").await;
        register(&app, "6591000004").await;
        let gv = series_id(&app, "GV50").await;
        let code = issue(&app, gv, customer).await;
        // 64 tills spend 5 SGD each; a voucher may be spent by anyone who holds the code.
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let body = redeem_body(&code, "6591000004", "5", &format!("gv-{i}"));
                tokio::spawn(send(
                    app.till(Method::POST, "/v2/coupon/redeem").json(&body),
                ))
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            let (status, res) = t.await.unwrap();
            if status == 200 {
                assert_eq!(res["redemption"][0]["discountAmount"], 5, "{res}");
                ok += 1;
            } else {
                assert_eq!(res["errors"][0]["code"], 736, "{res}");
            }
        }
        assert_eq!(ok, 10);
        let found = search(&app, &code).await;
        assert_eq!(found["balance"], 0);
        assert_eq!(found["status"], "exhausted");
        assert_eq!(found["redemptions"].as_array().unwrap().len(), 10);
    }
);

both_backends!(
    welcome10_is_redeemable_through_2359_org_time_on_its_last_day,
    |app| {
        // Issued at 12:00 Singapore time on 2026-11-25: valid through 2026-12-25 23:59:59 there.
        let customer = register(&app, "6591000005").await;
        let welcome = series_id(&app, "WELCOME10").await;
        let first = issue(&app, welcome, customer).await;
        let second = issue(&app, welcome, customer).await;
        assert_eq!(
            search(&app, &first).await["validTill"],
            "2026-12-25T23:59:59+08:00"
        );
        app.clock.set("2026-12-25T15:59:00Z".parse().unwrap()); // 23:59 SGT
        let (status, res) = post(
            &app,
            "/v2/coupon/redeem",
            &redeem_body(&first, "6591000005", "250", "late-1"),
        )
        .await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["redemption"][0]["discountAmount"], 25);
        app.clock.set("2026-12-25T16:00:00Z".parse().unwrap()); // 00:00 SGT the next day
        let (status, res) = post(
            &app,
            "/v2/coupon/redeem",
            &redeem_body(&second, "6591000005", "250", "late-2"),
        )
        .await;
        assert_eq!(
            (status, res["errors"][0]["code"].clone()),
            (400, json!(713)),
            "{res}"
        );
        assert_eq!(search(&app, &second).await["status"], "expired");
    }
);

async fn concept_id(app: &TestApp, code: &str) -> i64 {
    let (_, res) = app
        .get_as_demo("/v1.1/organization/entities?type=CONCEPT")
        .await;
    let e = res["response"]["organization"]["entities"]["entity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == code)
        .unwrap()
        .clone();
    e["id"]
        .as_i64()
        .or_else(|| e["id"].as_str().and_then(|s| s.parse().ok()))
        .unwrap()
}

both_backends!(a_fashion_only_coupon_is_refused_at_a_marina_till, |app| {
    let customer = register(&app, "6591000006").await;
    let fashion = concept_id(&app, "fashion").await;
    let s = create_series(
        &app,
        json!({"description": "Fashion 20 off", "discountType": "ABS", "discountValue": 20,
            "redemptionOrgEntityDetails": [{"redemptionOrgEntityType": "CONCEPT", "orgEntityId": fashion}]}),
    )
    .await;
    assert_eq!(s["redemptionOrgEntityDetails"][0]["orgEntityId"], fashion);
    let code = issue(&app, s["id"].as_i64().unwrap(), customer).await;
    let body = redeem_body(&code, "6591000006", "100", "m-1");
    let (status, res) = send(
        app.as_till("demo.till2", "demo456", Method::POST, "/v2/coupon/redeem")
            .json(&body),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].clone()),
        (400, json!(735)),
        "{res}"
    );
    let (status, res) = post(&app, "/v2/coupon/redeem", &body).await; // orchard: fashion
    assert_eq!(status, 200, "{res}");
    // A restriction naming a unit the org does not have is refused.
    let (status, res) = post(
        &app,
        "/v2/coupon/series",
        &json!({"CouponSeriesV2": {"discountValue": 1, "redemptionOrgEntityDetails":
            [{"redemptionOrgEntityType": "STORE", "orgEntityId": fashion}]}}),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].clone()),
        (400, json!(400)),
        "{res}"
    );
});

both_backends!(
    incentives_search_finds_coupons_promo_codes_and_vouchers,
    |app| {
        let customer = register(&app, "6591000007").await;
        let welcome = series_id(&app, "WELCOME10").await;
        let coupon = issue(&app, welcome, customer).await;
        let found = search(&app, &coupon).await;
        assert_eq!(found["kind"], "coupon");
        assert_eq!(found["status"], "active");
        assert_eq!(found["series"]["seriesCode"], "WELCOME10");
        assert_eq!(found["series"]["discountType"], "PERC");
        assert_eq!(found["series"]["discountValue"], 10);
        assert_eq!(found["issuedTo"]["id"], customer);
        assert_eq!(found["validTill"], "2026-12-25T23:59:59+08:00");
        assert_eq!(found["redemptionsLeft"], 1);
        assert_eq!(found["redemptions"], json!([]));

        // SUMMER22: one public code, any customer, 5 SGD off.
        let (status, res) = post(
            &app,
            "/v2/coupon/redeem",
            &redeem_body("summer22", "6591000007", "100", "s-1"),
        )
        .await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["redemption"][0]["discountAmount"], 5);
        let found = search(&app, "SUMMER22").await;
        assert_eq!(found["kind"], "promo");
        assert_eq!(found["status"], "active");
        assert_eq!(found["issuedTo"], Value::Null);
        assert_eq!(found["validTill"], "2099-12-31T23:59:59+08:00");
        assert_eq!(found["redemptionsLeft"], -1);
        assert_eq!(found["redemptions"][0]["customerId"], customer);
        assert_eq!(found["redemptions"][0]["amount"], 5);
        // Promo codes are public: they are not issued.
        let summer = series_id(&app, "SUMMER22").await;
        let (status, res) = post(
            &app,
            "/v2/coupon/issue",
            &json!({"seriesId": summer, "customer": {"id": customer}}),
        )
        .await;
        assert_eq!(
            (status, res["errors"][0]["code"].clone()),
            (400, json!(707)),
            "{res}"
        );

        // A GV50 voucher spent in part: 20 of 50, by the amount the till asks for.
        let gv = series_id(&app, "GV50").await;
        let voucher = issue(&app, gv, customer).await;
        let body = json!({"redemptionRequestList": [{"code": voucher, "amount": 20}],
        "user": {"id": customer}, "transactionNumber": "v-1", "billAmount": "120"});
        let (status, res) = post(&app, "/v2/coupon/redeem", &body).await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["redemption"][0]["balance"], 30);
        let found = search(&app, &voucher).await;
        assert_eq!(found["kind"], "giftVoucher");
        assert_eq!(found["status"], "active");
        assert_eq!(found["faceValue"], 50);
        assert_eq!(found["balance"], 30);
        assert_eq!(found["redemptions"][0]["amount"], 20);
        assert_eq!(found["redemptions"][0]["billAmount"], 120);

        // Unknown codes, and codes of another org, are invalid and nothing more.
        assert_eq!(
            search(&app, "NOSUCHCODE").await,
            json!({"code": "NOSUCHCODE", "status": "invalid", "warnings": []})
        );
        app.apply(ACME_ORG).await;
        for code in ["SUMMER22", coupon.as_str(), voucher.as_str()] {
            let (status, res) = send(app.as_till(
                "acme.till",
                "acme-pw",
                Method::GET,
                &format!("/v2/incentives/search?code={code}"),
            ))
            .await;
            assert_eq!(status, 200, "{res}");
            assert_eq!(res["status"], "invalid", "{res}");
            assert!(res.get("kind").is_none(), "{res}");
        }
        let (status, _) = app.get_as_demo("/v2/incentives/search").await;
        assert_eq!(status, 400);
    }
);

both_backends!(
    series_updates_reads_bulk_redemption_and_reactivation,
    |app| {
        let customer = register(&app, "6591000008").await;
        let s = create_series(
            &app,
            json!({"description": "Five off", "discountValue": 5, "maxRedeem": 2}),
        )
        .await;
        let id = s["id"].as_i64().unwrap();
        // Update (flat body with id), then read by ids.
        let (status, res) = send(app.till(Method::PUT, "/v2/coupon/series").json(
        &json!({"id": id, "description": "Seven off", "discountValue": 7, "maxRedeem": 2, "minBillAmount": 50}),
    ))
    .await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["discountValue"], 7);
        let (status, res) = app
            .get_as_demo(&format!("/v2/coupon/series?ids={id}"))
            .await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["entity"][0]["description"], "Seven off");
        assert_eq!(res["entity"][0]["minBillAmount"], 50);
        let (status, res) = app.get_as_demo("/v2/coupon/series?ids=999999").await;
        assert_eq!(
            (status, res["errors"][0]["code"].clone()),
            (404, json!(707))
        );

        let a = issue(&app, id, customer).await;
        let b = issue(&app, id, customer).await;
        let c = issue(&app, id, customer).await;
        // Bulk: a bill under the minimum fails alone (733) … then two succeed, the third hits maxRedeem.
        let bulk = |codes: &[&str], bill: &str| {
            json!({"redemptionRequestList": codes.iter().map(|c| json!({"code": c})).collect::<Vec<_>>(),
            "redemptionTime": "2026-11-25 12:00:00", "transactionNumber": "bulk-1",
            "user": {"id": customer}, "billAmount": bill})
        };
        let (status, res) = post(
            &app,
            "/v2/coupon/bulk/redeem?source=INSTORE",
            &bulk(&[&a], "10"),
        )
        .await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["failureCount"], 1);
        assert_eq!(res["response"][0]["errors"][0]["code"], 733);
        let (status, res) = post(
            &app,
            "/v2/coupon/bulk/redeem?source=INSTORE",
            &bulk(&[&a, &b, &c], "100"),
        )
        .await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["totalCount"], 3);
        assert_eq!(res["failureCount"], 1);
        assert_eq!(
            res["response"][0]["result"]["redemptionStatus"]["code"],
            700
        );
        assert_eq!(res["response"][2]["errors"][0]["code"], 714);
        let first = res["response"][0]["entityId"].as_i64().unwrap();
        // Without a transaction number the bulk API refuses (718).
        let mut no_txn = bulk(&[&c], "100");
        no_txn["transactionNumber"] = Value::Null;
        let (status, res) = post(&app, "/v2/coupon/bulk/redeem", &no_txn).await;
        assert_eq!(
            (status, res["errors"][0]["code"].clone()),
            (400, json!(718)),
            "{res}"
        );
        // Reactivating the first redemption frees both the coupon and the series' count.
        let (status, res) = post(
            &app,
            "/v2/coupon/reactivate",
            &json!({"redemptionIds": [first]}),
        )
        .await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res, json!({"warnings": [], "errors": [], "success": true}));
        let (status, res) = post(
            &app,
            "/v2/coupon/reactivate",
            &json!({"redemptionIds": [first]}),
        )
        .await;
        assert_eq!(
            (status, res["errors"][0]["code"].clone()),
            (400, json!(706)),
            "{res}"
        );
        let found = search(&app, &a).await;
        assert_eq!(found["status"], "active");
        assert_eq!(found["redemptions"][0]["reactivated"], true);
        let (status, res) = post(
            &app,
            "/v2/coupon/redeem",
            &json!({"redemptionRequestList": [{"code": c}],
        "user": {"id": customer}, "billAmount": 100}),
        )
        .await;
        assert_eq!(status, 200, "{res}");
        // Coupons by code and by id.
        let (status, res) = app
            .get_as_demo(&format!("/v2/coupon?couponCodes={a}&couponCodes={b}"))
            .await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["data"].as_array().unwrap().len(), 2);
        let (status, _) = app.get_as_demo("/v2/coupon").await;
        assert_eq!(status, 400);
    }
);

both_backends!(v1_1_coupon_redeem_isredeemable_and_get, |app| {
    let customer = register(&app, "447911123456").await;
    let welcome = series_id(&app, "WELCOME10").await;
    let code = issue(&app, welcome, customer).await;
    let (status, res) = app
        .get_as_demo(&format!(
            "/v1.1/coupon/isredeemable?format=json&details=true&code={code}&mobile=447911123456"
        ))
        .await;
    assert_eq!(status, 200, "{res}");
    let r = &res["response"]["coupons"]["redeemable"];
    assert_eq!(r["mobile"], "447911123456");
    assert_eq!(r["code"], code);
    assert_eq!(r["is_redeemable"], "true");
    assert_eq!(r["item_status"]["code"], 700);
    assert_eq!(r["series_info"]["discount_type"], "PERC");
    assert_eq!(r["series_info"]["valid_till"], "2026-12-25");
    // The documented v1.1 redeem body, with the issued code.
    let body = json!({"root": {"coupon": [{"code": code,
        "customer": {"mobile": "447911123456", "email": "", "external_id": "", "card_number": ""},
        "custom_fields": {"field": [{"name": "Sport", "value": "Soccer"}]},
        "transaction": [{"number": "bill-110", "amount": "1000"}]}]}});
    let (status, res) = post(&app, "/v1.1/coupon/redeem?format=json", &body).await;
    assert_eq!(status, 200, "{res}");
    let c = &res["response"]["coupons"]["coupon"];
    assert_eq!(res["response"]["status"]["success"], "true");
    assert_eq!(c["code"], code);
    assert_eq!(c["is_absolute"], "false");
    assert_eq!(c["coupon_value"], "10");
    assert_eq!(
        c["transaction"],
        json!({"amount": "1000.00", "number": "bill-110"})
    );
    assert_eq!(c["item_status"]["code"], 700);
    assert_eq!(c["item_status"]["message"], "Coupon processing successful");
    // Again: refused, and the v1.1 envelope says why.
    let (status, res) = post(&app, "/v1.1/coupon/redeem?format=json", &body).await;
    assert_eq!(status, 400, "{res}");
    assert_eq!(
        res["response"]["coupons"]["coupon"]["item_status"]["code"],
        716
    );
    let (_, res) = app
        .get_as_demo(&format!(
            "/v1.1/coupon/isredeemable?code={code}&mobile=447911123456"
        ))
        .await;
    assert_eq!(
        res["response"]["coupons"]["redeemable"]["is_redeemable"],
        "false"
    );
    // Details: redeemed, when and where.
    let (status, res) = app
        .get_as_demo(&format!("/v1.1/coupon/get?format=json&code={code}"))
        .await;
    assert_eq!(status, 200, "{res}");
    let c = &res["response"]["coupons"]["coupon"][0];
    assert_eq!(c["customer"]["user_id"], customer.to_string());
    assert_eq!(c["redemption_info"]["redeemed"], "true");
    assert_eq!(c["redemption_info"]["redeemed_at"], "demo.till");
    assert_eq!(c["transaction"]["number"], "bill-110");
    assert_eq!(c["valid_till"], "2026-12-25");
    let (status, res) = app.get_as_demo("/v1.1/coupon/get?code=NOPE").await;
    assert_eq!(status, 400, "{res}");
    assert_eq!(res["response"]["status"]["code"], "702");
});
