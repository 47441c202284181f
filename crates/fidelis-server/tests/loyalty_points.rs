//! Loyalty reads and points movements outside bills: programs, the points ledger,
//! goodwill requests (maker/checker, idempotent reference ids) and points redemption.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn register(app: &TestApp, mobile: &str) -> i64 {
    let body = json!({"profiles": [{"firstName": "Ada", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": mobile}]}]});
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    res["createdId"].as_i64().expect("createdId")
}

async fn earn(app: &TestApp, mobile: &str, number: &str, amount: &str) {
    let path =
        format!("/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue={mobile}");
    let body = json!({"type": "REGULAR", "billNumber": number, "billAmount": amount});
    let (status, res) = send(app.till(Method::POST, &path).json(&body)).await;
    assert_eq!(status, 200, "{res}");
}

async fn balance(app: &TestApp, id: i64) -> Value {
    let (_, b) = app
        .get_as_demo(&format!("/v2/customers/points/balance/{id}"))
        .await;
    b["totalPoints"].clone()
}

fn goodwill(mobile: &str, reference: &str, points: u32) -> Value {
    json!({"root": {"request": [{"customer": {"mobile": mobile}, "reference_id": reference,
        "reason": "Service recovery", "comments": "late delivery", "type": "GOODWILL",
        "base_type": "POINTS", "points": points}]}})
}

async fn add(app: &TestApp, body: &Value) -> (u16, Value) {
    send(
        app.till(Method::POST, "/v1.1/request/add?format=json")
            .json(body),
    )
    .await
}

both_backends!(programs_list_tiers_and_partner_programs, |app| {
    let (status, res) = app.get_as_demo("/v2/organization/programs").await;
    assert_eq!(status, 200, "{res}");
    let p = &res["data"][0];
    assert_eq!(p["programName"], "Demo Rewards");
    assert_eq!(p["default"], true);
    assert!(p["programId"].as_i64().unwrap() > 0);
    assert_eq!(p["pointsToCurrencyRatio"], 1.0);
    assert_eq!(p["programDescription"], "Demo Rewards");
    let tiers: Vec<&str> = p["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tiers, ["Bronze", "Silver", "Gold"]);
    let partners = p["partnerPrograms"].as_array().unwrap();
    assert_eq!(partners[0]["partnerProgramName"], "Demo Plus");
    assert_eq!(partners[0]["partnerProgramType"], "SUPPLEMENTARY");
    assert_eq!(partners[1]["partnerProgramName"], "SkyMiles");
    assert_eq!(partners[1]["pointsExchangeRate"], 0.5);
    assert_eq!(
        partners[1]["partnerProgramTiers"][2],
        json!({"tierNumber": 3, "tierName": "Gold"})
    );
});

both_backends!(
    goodwill_auto_approves_small_requests_and_waits_for_a_checker,
    |app| {
        let id = register(&app, "6592230001").await;
        let (status, res) = add(&app, &goodwill("6592230001", "ref-200", 200)).await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["response"]["status"]["code"], "200");
        let r = &res["response"]["requests"]["request"][0];
        assert_eq!(r["status"], "APPROVED");
        assert_eq!(r["item_status"]["code"], 9100);
        assert_eq!(balance(&app, id).await, 200);
        // The same reference again is the same request: nothing more is credited.
        let (status, again) = add(&app, &goodwill("6592230001", "ref-200", 200)).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again["response"]["requests"]["request"][0]["id"], r["id"]);
        assert_eq!(balance(&app, id).await, 200);

        let (_, res) = add(&app, &goodwill("6592230001", "ref-800", 800)).await;
        let pending = &res["response"]["requests"]["request"][0];
        assert_eq!(pending["status"], "PENDING");
        assert_eq!(balance(&app, id).await, 200);
        let decision = json!({"root": {"request": [{"type": "GOODWILL", "base_type": "POINTS",
        "id": pending["id"], "updated_comments": "ok"}]}});
        // The maker cannot check their own request.
        let (status, own) = send(
            app.till(Method::POST, "/v1.1/request/approve")
                .json(&decision),
        )
        .await;
        assert_eq!(status, 400, "{own}");
        assert_eq!(
            own["response"]["requests"]["request"][0]["item_status"]["code"],
            9015
        );
        let (status, ok) = app.approve_goodwill(&decision).await;
        assert_eq!(status, 200, "{ok}");
        let done = &ok["response"]["requests"]["request"][0];
        assert_eq!(done["status"], "APPROVED");
        assert_eq!(done["item_status"]["code"], 9000);
        // The documented `requests.goodwill` element.
        let g = &ok["response"]["requests"]["goodwill"];
        assert_eq!(g["type"], "POINTS", "{ok}");
        assert_eq!(g["status"], "APPROVED");
        assert_eq!(g["updated_comments"], "ok");
        assert_eq!(g["customer"]["mobile"], "6592230001");
        assert!(g["added_on"].as_str().unwrap().ends_with("+08:00"), "{g}");
        assert_eq!(balance(&app, id).await, 1000);
        let (status, twice) = send(
            app.as_till(
                "demo.till2",
                "demo456",
                Method::POST,
                "/v1.1/request/reject",
            )
            .json(&decision),
        )
        .await;
        assert_eq!(status, 400, "{twice}");
        assert_eq!(
            twice["response"]["requests"]["request"][0]["item_status"]["code"],
            9014
        );

        let (status, h) = app
            .get_as_demo(&format!("/v2/customers/{id}/goodwillRequest"))
            .await;
        assert_eq!(status, 200, "{h}");
        assert_eq!(h["pagination"]["total"], 2);
        // Capillary's documented keys.
        assert_eq!(h["data"][0]["goodwillStatus"], "APPROVED", "{h}");
        assert_eq!(h["data"][0]["goodwillType"], "POINTS");
        assert_eq!(h["data"][0]["approvedValue"], "800");
        assert_eq!(h["data"][0]["points"], 800);
        assert_eq!(h["data"][0]["updatedBy"]["code"], "demo.till2");
        assert_eq!(h["data"][0]["userId"], id);
        assert_eq!(h["data"][0]["requestId"], h["data"][0]["id"]);
        assert_eq!(h["data"][0]["oneStep"], false);

        // A reason is free text, as documented…
        let mut free = goodwill("6592230001", "ref-free", 10);
        free["root"]["request"][0]["reason"] = json!("Because");
        let (status, r) = add(&app, &free).await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(
            r["response"]["requests"]["request"][0]["reason"], "Because",
            "{r}"
        );
        // … unless the org accepts only its listed reasons.
        app.apply(&common::DEMO_ORG.replace(
            "[loyalty.goodwill]\n",
            "[loyalty.goodwill]\nonly_listed_reasons = true\n",
        ))
        .await;
        // Per-item failures: unknown reason, unknown customer, bad base type.
        let mut bad = goodwill("6592230001", "ref-x", 10);
        bad["root"]["request"][0]["reason"] = json!("Because");
        let (status, e) = add(&app, &bad).await;
        assert_eq!(status, 400, "{e}");
        assert_eq!(e["response"]["status"]["code"], "500");
        assert_eq!(
            e["response"]["requests"]["request"][0]["item_status"]["code"],
            9009
        );
        let (_, e) = add(&app, &goodwill("6592239999", "ref-y", 10)).await;
        assert_eq!(
            e["response"]["requests"]["request"][0]["item_status"]["code"],
            9011
        );
        let mut coupon = goodwill("6592230001", "ref-c", 0);
        coupon["root"]["request"][0]["base_type"] = json!("VOUCHER");
        let (_, e) = add(&app, &coupon).await;
        assert_eq!(
            e["response"]["requests"]["request"][0]["item_status"]["code"],
            9008
        );
        coupon["root"]["request"][0]["base_type"] = json!("COUPON");
        // A series that does not exist is refused when the request is made (707).
        coupon["root"]["request"][0]["series_id"] = json!("987654");
        let (_, e) = add(&app, &coupon).await;
        assert_eq!(
            e["response"]["requests"]["request"][0]["item_status"]["code"],
            707
        );
        let welcome = common::incentives::series_id(&app, "WELCOME10").await;
        coupon["root"]["request"][0]["series_id"] = json!(welcome.to_string());
        let (status, c) = add(&app, &coupon).await;
        assert_eq!(status, 200, "{c}");
        assert_eq!(c["response"]["requests"]["request"][0]["status"], "PENDING");
        let (status, _) = send(
            app.till(Method::POST, "/v1.1/request/add")
                .json(&json!({"root": 1})),
        )
        .await;
        assert_eq!(status, 400);
    }
);

both_backends!(
    redemption_spends_points_and_the_ledger_explains_them,
    |app| {
        // The ledger is the point here: this org redeems without validation codes
        // (tests/points_validation.rs covers them).
        app.apply(&format!(
            "{}\n[identity.otp]\npoints_validation = \"optional\"\n",
            common::DEMO_ORG
        ))
        .await;
        let id = register(&app, "6592230002").await;
        earn(&app, "6592230002", "L-1", "1000").await;
        let (status, r) = app
            .get_as_demo("/v1.1/points/isredeemable?mobile=6592230002&points=60&format=json")
            .await;
        assert_eq!(status, 200, "{r}");
        let red = &r["response"]["points"]["redeemable"];
        assert_eq!(red["is_redeemable"], "true");
        assert_eq!(red["item_status"]["code"], 800);
        let (_, r) = app
            .get_as_demo("/v1.1/points/isredeemable?mobile=6592230002&points=500")
            .await;
        assert_eq!(
            r["response"]["points"]["redeemable"]["is_redeemable"],
            "false"
        );

        let body = json!({"root": {"redeem": [{"points_redeemed": "60", "transaction_number": "R-77",
        "customer": {"mobile": "6592230002"}, "notes": "coffee"}]}});
        let (status, r) = send(app.till(Method::POST, "/v1.1/points/redeem").json(&body)).await;
        assert_eq!(status, 200, "{r}");
        let item = &r["response"]["responses"]["points"][0];
        assert_eq!(item["item_status"]["code"], 800);
        assert_eq!(item["balance"], 40);
        assert_eq!(balance(&app, id).await, 40);
        let (status, r) = send(app.till(Method::POST, "/v1.1/points/redeem").json(&body)).await;
        assert_eq!(status, 400, "{r}");
        assert_eq!(
            r["response"]["responses"]["points"][0]["item_status"]["code"],
            813
        );
        assert_eq!(balance(&app, id).await, 40);

        let (status, l) = app
            .get_as_demo(&format!("/v2/customers/{id}/pointsLedger"))
            .await;
        assert_eq!(status, 200, "{l}");
        let e = l["data"].as_array().unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0]["kind"], "CREDIT");
        assert_eq!(e[0]["points"], 100);
        assert_eq!(e[0]["source"]["kind"], "BILL");
        assert_eq!(e[0]["rule"], "earn");
        assert_eq!(e[0]["actor"], json!({"kind": "TILL", "id": "demo.till"}));
        assert_eq!(e[0]["expiresAt"], "2027-11-25T23:59:59+08:00");
        assert_eq!(e[1]["kind"], "REDEMPTION");
        assert_eq!(e[1]["points"], -60);
        assert_eq!(
            e[1]["source"],
            json!({"kind": "REDEMPTION", "reference": "R-77"})
        );
        assert_eq!(e[1]["reason"], "coffee");
        assert_eq!(e[1]["balanceAfter"], 40);
        assert_eq!(e[1]["allocations"][0]["points"], 60);
        assert_eq!(l["balance"]["net"], 40);

        let (status, d) = app
            .get_as_demo(&format!("/v2/customers/{id}/loyaltyDetails"))
            .await;
        assert_eq!(status, 200, "{d}");
        assert_eq!(d["data"][0]["redeemed"], 60.0);
        let (status, x) = app
            .get_as_demo(&format!("/v2/customers/{id}/expiredPoints"))
            .await;
        assert_eq!(status, 200, "{x}");
        assert_eq!(x["expiredPoints"], json!([]));
        let (status, e) = app.get_as_demo("/v2/customers/999999/pointsLedger").await;
        assert_eq!(status, 404, "{e}");
        assert_eq!(e["errors"][0]["code"], 8015);
        let (status, e) = app
            .get_as_demo(&format!("/v2/customers/{id}/pointsLedger?programId=4242"))
            .await;
        assert_eq!(status, 400, "{e}");
        assert_eq!(e["errors"][0]["code"], 1213);

        // The light APIs' documented refusals: unknown program 1213, entity type 1212, a
        // window that ends before it starts 1214, an unknown source 8012.
        let lookup = "identifierName=mobile&identifierValue=6592230002";
        for (path, code) in [
            (format!("/v2/customers/points/balance/{id}?programId=4242"), 1213),
            (format!("/v2/customers/points/balance?source=INSTORE&{lookup}&programId=x"), 1213),
            (format!("/v2/customers/points/balance/{id}?entityType=SHOP"), 1212),
            (format!("/v2/customers/points/balance?source=INSTORE&{lookup}&entityType=SHOP"), 1212),
            (format!("/v2/customers/{id}/pointsExpirySchedule?startDate=2027-02-01&endDate=2027-01-01"), 1214),
            (format!("/v2/customers/lookup/pointsExpirySchedule?source=INSTORE&{lookup}&startDate=2027-02-01&endDate=2027-01-01"), 1214),
            (format!("/v2/customers/points/balance/{id}?source=SHOPFLOOR"), 8012),
            (format!("/v2/customers/{id}/expiredPoints?source=SHOPFLOOR"), 8012),
        ] {
            let (status, e) = app.get_as_demo(&path).await;
            assert_eq!((status, e["errors"][0]["code"].as_u64()), (400, Some(code)), "{path}: {e}");
        }
        // The documented values pass.
        for path in [
            format!("/v2/customers/points/balance/{id}?entityType=CUSTOMER&source=ALL"),
            format!(
                "/v2/customers/{id}/pointsExpirySchedule?startDate=2027-01-01&endDate=2027-02-01"
            ),
        ] {
            let (status, e) = app.get_as_demo(&path).await;
            assert_eq!(status, 200, "{path}: {e}");
        }
    }
);
