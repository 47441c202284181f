//! User groups (userGroup2): the documented examples (capillary-examples.md E.*), the
//! group as an earning entity of the ledger (default-program enrolment at creation, group
//! bills, expiry, the group transactions API), member rules and `maxGroupSize` under
//! concurrency.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use fidelis_app::jobs::{run, ExpiryReport, JobRun, PointsExpiry};
use reqwest::Method;
use serde_json::{json, Value};

async fn register(app: &TestApp, mobile: &str) -> i64 {
    let body = json!({"profiles": [{"firstName": "Ann", "lastName": "Lee", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": mobile}]}]});
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    res["createdId"].as_i64().expect("createdId")
}

async fn create(app: &TestApp, external_id: &str, max: i64) -> i64 {
    let body = json!({"externalId": external_id, "groupName": "name_purple", "maxGroupSize": max});
    let (status, res) = send(app.till(Method::POST, "/v2/userGroup2").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    res["entity"].as_i64().expect("entity")
}

async fn join(app: &TestApp, group: i64, members: Value) -> (u16, Value) {
    send(
        app.till(Method::POST, &format!("/v2/userGroup2/join?id={group}"))
            .json(&members),
    )
    .await
}

async fn get_group(app: &TestApp, query: &str) -> Value {
    let (status, g) = app.get_as_demo(&format!("/v2/userGroup2?{query}")).await;
    assert_eq!(status, 200, "{g}");
    g
}

fn error_code(res: &Value) -> Value {
    res["errors"][0]["code"].clone()
}

fn item_code(res: &Value, i: usize) -> Value {
    res["response"][i]["errors"][0]["code"].clone()
}

async fn bill(app: &TestApp, mobile: &str, body: Value) -> (u16, Value) {
    let path =
        format!("/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue={mobile}");
    send(app.till(Method::POST, &path).json(&body)).await
}

async fn customer_points(app: &TestApp, id: i64) -> Value {
    let (status, b) = app
        .get_as_demo(&format!("/v2/customers/points/balance/{id}"))
        .await;
    assert_eq!(status, 200, "{b}");
    b["totalPoints"].clone()
}

both_backends!(e1_create_then_get_shows_bronze_and_zero_points, |app| {
    // E.1 as documented.
    let body =
        json!({"externalId": "purple_externalId", "groupName": "name_purple", "maxGroupSize": 110});
    let (status, res) = send(app.till(Method::POST, "/v2/userGroup2").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["warnings"], json!([]));
    let id = res["entity"].as_i64().unwrap();
    assert!(id > 0);

    // E.2: read at once, by id and by external id, with loyalty details (never nulls).
    let g = get_group(
        &app,
        &format!("id={id}&expiredPoints=true&expirySchedules=true"),
    )
    .await;
    assert_eq!(g["id"], id);
    assert_eq!(g["externalId"], "purple_externalId");
    assert_eq!(g["groupStatus"], "ACTIVE");
    assert_eq!(g["groupName"], "name_purple");
    assert_eq!(g["maxGroupSize"], 110);
    assert_eq!(g["createdOn"], "2026-11-25T12:00:00+08:00");
    assert_eq!(g["fleetGroupUsers"], json!([]));
    assert_eq!(g["totalActiveMembers"], 0);
    assert_eq!(g["totalExitedMembers"], 0);
    assert_eq!(g["expiredPoints"], json!([]));
    assert_eq!(g["expirySchedules"], json!([]));
    assert_eq!(g["warnings"], json!([]));
    for (k, v) in g.as_object().unwrap() {
        assert!(!v.is_null(), "{k} is null in {g}");
    }
    let s = &g["pointsSummaries"][0];
    assert_eq!(g["pointsSummaries"].as_array().unwrap().len(), 1, "{g}");
    assert_eq!(s["programTitle"], "Demo Rewards");
    assert_eq!(s["currentSlab"], "Bronze");
    assert_eq!(s["slabSNo"], 1);
    assert_eq!(s["nextSlab"], "Silver");
    assert_eq!(s["loyaltyPoints"], 0.0);
    assert_eq!(s["lifetimePoints"], 0.0);
    assert_eq!(s["userGroup2Id"], id);
    assert_eq!(s["loyaltyId"], id, "enrolled at creation: {s}");
    for (k, v) in s.as_object().unwrap() {
        assert!(!v.is_null() || k == "slabExpiryDate", "{k} is null in {s}");
    }
    let gap = &g["gapToUpgrade"][0];
    assert_eq!(gap["upgradeBasedOn"], "CUMULATIVE_PURCHASES");
    assert_eq!(gap["upgradeThreshold"], 1000.0);
    assert_eq!(gap["customerUpgradeEntityValues"]["gapToUpgrade"], 1000.0);
    let by_external = get_group(&app, "externalId=purple_externalId").await;
    assert_eq!(by_external["id"], id);

    // The documented refusals.
    let refused = [
        (
            json!({"externalId": "purple_externalId", "maxGroupSize": 5}),
            1633,
        ),
        (json!({"groupName": "x", "maxGroupSize": 5}), 1634),
        (json!({"externalId": " ", "maxGroupSize": 5}), 1634),
        (json!({"externalId": "other"}), 403),
        (json!({"externalId": "other", "maxGroupSize": 0}), 1640),
        (json!({"externalId": "other", "maxGroupSize": 30001}), 1639),
        (json!({"externalId": "other", "maxGroupSize": "many"}), 400),
    ];
    for (body, code) in refused {
        let (status, res) = send(app.till(Method::POST, "/v2/userGroup2").json(&body)).await;
        assert_eq!(status, 400, "{body} → {res}");
        assert_eq!(error_code(&res), code, "{body} → {res}");
    }
    let (status, res) = app.get_as_demo("/v2/userGroup2?id=999999").await;
    assert_eq!((status, error_code(&res)), (404, json!(1619)), "{res}");
    let (status, res) = app.get_as_demo("/v2/userGroup2?externalId=nope").await;
    assert_eq!((status, error_code(&res)), (404, json!(1632)), "{res}");
    let (status, res) = app.get_as_demo("/v2/userGroup2").await;
    assert_eq!((status, error_code(&res)), (400, json!(1635)), "{res}");
});

both_backends!(e3_join_and_e4_leave_with_member_rules, |app| {
    let group = create(&app, "purple", 110).await;
    let ann = register(&app, "6588670000").await;
    let bob = register(&app, "6588670001").await;
    let cat = register(&app, "6588670002").await;

    // E.3 as documented, for a customer of this org.
    let (status, res) = join(
        &app,
        group,
        json!([{"userId": ann, "primaryMember": false, "permissions": ["block_points_redemption"]}]),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let expected = json!({"userId": ann, "groupId": group, "permissions": ["block_points_redemption"],
        "defaultGroup": false, "active": true, "primaryMember": false});
    assert_eq!(res["response"][0]["entityId"], expected);
    assert_eq!(res["response"][0]["result"], expected);
    assert_eq!(res["response"][0]["warnings"], json!([]));
    assert_eq!(res["totalCount"], 1);
    assert_eq!(res["failureCount"], 0);

    // Each element on its own: a primary member, a repeat, an unknown customer, a bad
    // permission, a second primary.
    let (status, res) = join(
        &app,
        group,
        json!([
            {"userId": bob, "primaryMember": true},
            {"userId": ann},
            {"userId": 987654321},
            {"userId": cat, "permissions": ["fly"]},
            {"userId": cat, "primaryMember": true},
        ]),
    )
    .await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(res["totalCount"], 5);
    assert_eq!(res["failureCount"], 4);
    assert_eq!(res["response"][0]["result"]["defaultGroup"], true);
    assert_eq!(res["response"][0]["result"]["primaryMember"], true);
    assert_eq!(item_code(&res, 1), 1636, "{res}");
    assert_eq!(item_code(&res, 2), 8015, "{res}");
    assert_eq!(item_code(&res, 3), 1641, "{res}");
    assert_eq!(item_code(&res, 4), 1637, "{res}");

    // Primary in one group only.
    let other = create(&app, "orange", 5).await;
    let (_, res) = join(&app, other, json!([{"userId": bob, "primaryMember": true}])).await;
    assert_eq!(item_code(&res, 0), 1642, "{res}");

    let g = get_group(&app, &format!("primaryUserId={bob}")).await;
    assert_eq!(g["id"], group);
    assert_eq!(g["totalActiveMembers"], 2);
    assert_eq!(g["fleetGroupUsers"].as_array().unwrap().len(), 2);

    // E.4 as documented (by mobile), then again: no longer a member.
    let leave = format!(
        "/v2/userGroup2/{group}/leave?source=INSTORE&accountId=&identifierName=mobile&identifierValue=6588670000"
    );
    let (status, res) = send(app.till(Method::DELETE, &leave)).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res, json!({"warnings": [], "errors": [], "success": true}));
    let (status, res) = send(app.till(Method::DELETE, &leave)).await;
    assert_eq!((status, error_code(&res)), (400, json!(1620)), "{res}");
    let g = get_group(&app, &format!("id={group}")).await;
    assert_eq!(g["totalActiveMembers"], 1);
    assert_eq!(g["totalExitedMembers"], 1);
    let (status, res) = send(app.till(
        Method::DELETE,
        "/v2/userGroup2/abc/leave?source=INSTORE&identifierName=mobile&identifierValue=6588670000",
    ))
    .await;
    assert_eq!((status, error_code(&res)), (404, json!(1619)), "{res}");
    // A member who left may join again.
    let (status, res) = join(&app, group, json!([{"userId": ann}])).await;
    assert_eq!(status, 200, "{res}");
});

both_backends!(
    a_group_bill_earns_for_the_group_and_a_members_own_bill_for_the_member,
    |app| {
        let group = create(&app, "family", 10).await;
        let ann = register(&app, "6590000001").await;
        let outsider = register(&app, "6590000002").await;
        let (status, res) =
            join(&app, group, json!([{"userId": ann, "primaryMember": true}])).await;
        assert_eq!(status, 200, "{res}");

        // 600 SGD made for the group: 60 points to the group, none to Ann.
        let (status, res) = bill(
        &app,
        "6590000001",
        json!({"type": "REGULAR", "billNumber": "grp-1", "billAmount": "600", "userGroup2Id": group,
               "extendedFields": {"ship_first_name": "Ann"}, "customFields": {"paymentmode": "cash"},
               "lineItemsV2": [{"itemCode": "sku_1", "amount": 600, "rate": 600, "qty": 1}]}),
    )
    .await;
        assert_eq!(status, 200, "{res}");
        let group_bill = res["createdId"].as_i64().unwrap();
        assert_eq!(res["sideEffects"][0]["entityType"], "USERGROUP2");
        assert_eq!(res["sideEffects"][0]["awardedPoints"], 60);

        let g = get_group(&app, &format!("id={group}&expirySchedules=true")).await;
        let s = &g["pointsSummaries"][0];
        assert_eq!(s["loyaltyPoints"], 60.0, "{g}");
        assert_eq!(s["lifetimePoints"], 60.0);
        assert_eq!(s["currentSlab"], "Bronze");
        assert_eq!(g["lifeTimePurchases"], 600);
        assert_eq!(
            g["expirySchedules"],
            json!([{"points": 60.0, "expiryDate": "2027-11-25",
                "expiryDateISO": "2027-11-25T23:59:59+08:00", "programId": s["programId"]}])
        );
        assert_eq!(
            g["gapToUpgrade"][0]["customerUpgradeEntityValues"]["gapToUpgrade"],
            400.0
        );
        assert_eq!(
            customer_points(&app, ann).await,
            0,
            "the group's bill is not Ann's"
        );

        // Ann's own bill: 30 points to Ann, nothing to the group.
        let (status, res) = bill(
            &app,
            "6590000001",
            json!({"type": "REGULAR", "billNumber": "own-1", "billAmount": "300"}),
        )
        .await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["sideEffects"][0]["entityType"], "USER");
        assert_eq!(customer_points(&app, ann).await, 30);
        let g = get_group(&app, &format!("id={group}")).await;
        assert_eq!(g["pointsSummaries"][0]["loyaltyPoints"], 60.0);

        // The group transactions API shows the group's bill only (E.5's query).
        let path = format!(
        "/v2/userGroup2/transactions?type=REGULAR&limit=100&enbed=EXTENDEDFIELDS,CUSTOMFIELDS,LINEITEMS,PAYMENTDETAILS&order=ASC&primaryUserId={ann}"
    );
        let (status, t) = app.get_as_demo(&path).await;
        assert_eq!(status, 200, "{t}");
        assert_eq!(t["warnings"], json!([]));
        assert_eq!(t["errors"], json!([]));
        let data = t["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "{t}");
        let d = &data[0];
        assert_eq!(d["id"], group_bill);
        assert_eq!(d["type"], "REGULAR");
        assert_eq!(d["customerId"], ann);
        let p = &d["pointSummary"];
        assert_eq!(p["issuedPoints"], 60.0);
        assert_eq!(p["returnedPoints"], 0.0);
        assert_eq!(p["redeemedPoints"], 0.0);
        assert_eq!(p["expiredPoints"], 0.0);
        assert_eq!(p["availablePoints"], 60.0);
        assert_eq!(p["expiryDate"], "2027-11-25T23:59:59+08:00");
        assert_eq!(p["programId"], s["programId"]);
        assert_eq!(d["userGroup2"]["id"], group);
        assert_eq!(d["userGroup2"]["groupStatus"], "ACTIVE");
        assert_eq!(d["userGroup2"]["primaryUserId"], ann);
        assert_eq!(d["billDetails"]["amount"], 600);
        assert_eq!(d["billDetails"]["billNumber"], "grp-1");
        assert_eq!(d["billDetails"]["billingTime"], "2026-11-25T12:00:00+08:00");
        assert_eq!(d["billDetails"]["billingStore"]["code"], "orchard");
        assert_eq!(d["extendedFields"]["ship_first_name"], "Ann");
        assert_eq!(d["customFields"]["paymentmode"], "cash");
        assert_eq!(d["lineItems"][0]["details"]["itemCode"], "sku_1");
        // Without embed the extras are left out; filters narrow the list.
        let (_, t) = app
            .get_as_demo(&format!("/v2/userGroup2/transactions?id={group}"))
            .await;
        assert_eq!(t["data"][0]["lineItems"], json!([]));
        assert_eq!(t["data"][0]["customFields"], json!({}));
        for (q, n) in [
            ("billNumber=grp-1", 1),
            ("billNumber=own-1", 0),
            (&format!("customerId={ann}") as &str, 1),
            (&format!("customerId={outsider}"), 0),
            (&format!("transactionId={group_bill}"), 1),
            ("type=RETURN", 0),
            ("startDate=2026-11-25T12:00:00%2B08:00", 1),
            ("endDate=2026-11-25T12:00:00%2B08:00", 0),
            ("externalId=family&offset=1", 0),
            (
                "source=INSTORE&identifierName=mobile&identifierValue=6590000001",
                1,
            ),
        ] {
            let sep = if q.starts_with("externalId") || q.starts_with("source") {
                ""
            } else {
                "&id="
            };
            let path = if sep.is_empty() {
                format!("/v2/userGroup2/transactions?{q}")
            } else {
                format!("/v2/userGroup2/transactions?{q}{sep}{group}")
            };
            let (status, t) = app.get_as_demo(&path).await;
            assert_eq!(status, 200, "{path}: {t}");
            assert_eq!(t["data"].as_array().unwrap().len(), n, "{path}: {t}");
        }
        let (status, t) = app
            .get_as_demo("/v2/userGroup2/transactions?type=REGULAR")
            .await;
        assert_eq!((status, error_code(&t)), (400, json!(1635)), "{t}");
        let (status, t) = app
            .get_as_demo(&format!(
                "/v2/userGroup2/transactions?id={group}&embed=EVERYTHING"
            ))
            .await;
        assert_eq!(status, 400, "{t}");

        // A customer who is not a member cannot bill for the group: the sale stands and earns
        // for the customer, with the group's refusal as a warning. The same for a group that
        // does not exist.
        let (status, res) = bill(
        &app,
        "6590000002",
        json!({"type": "REGULAR", "billNumber": "grp-2", "billAmount": "100", "userGroup2Id": group}),
    )
    .await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["warnings"][0]["code"], 1620, "{res}");
        assert_eq!(res["sideEffects"][0]["entityType"], "USER");
        assert_eq!(customer_points(&app, outsider).await, 10);
        let (status, res) = bill(
        &app,
        "6590000001",
        json!({"type": "REGULAR", "billNumber": "grp-3", "billAmount": "100", "userGroup2ExternalId": "nope"}),
    )
    .await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["warnings"][0]["code"], 1632, "{res}");
        assert_eq!(customer_points(&app, ann).await, 40);
        let g = get_group(&app, &format!("id={group}")).await;
        assert_eq!(g["pointsSummaries"][0]["loyaltyPoints"], 60.0);
        let (_, t) = app
            .get_as_demo(&format!("/v2/userGroup2/transactions?id={group}"))
            .await;
        assert_eq!(t["data"].as_array().unwrap().len(), 1, "{t}");

        // Ann returns the group's bill: the group, not Ann, loses its points.
        let (status, res) = bill(
        &app,
        "6590000001",
        json!({"type": "RETURN", "billNumber": "grp-1", "returnType": "FULL", "billAmount": "600"}),
    )
    .await;
        assert_eq!(status, 200, "{res}");
        let g = get_group(&app, &format!("id={group}")).await;
        assert_eq!(g["pointsSummaries"][0]["loyaltyPoints"], 0.0, "{g}");
        assert_eq!(customer_points(&app, ann).await, 40);
        let (_, t) = app
            .get_as_demo(&format!(
                "/v2/userGroup2/transactions?id={group}&type=RETURN"
            ))
            .await;
        assert_eq!(t["data"].as_array().unwrap().len(), 1, "{t}");
        let (_, t) = app
            .get_as_demo(&format!(
                "/v2/userGroup2/transactions?id={group}&type=REGULAR"
            ))
            .await;
        assert_eq!(t["data"][0]["pointSummary"]["returnedPoints"], 60.0, "{t}");
        assert_eq!(t["data"][0]["pointSummary"]["availablePoints"], 0.0, "{t}");
    }
);

both_backends!(group_points_expire_like_a_customers, |app| {
    let group = create(&app, "expiring", 10).await;
    let ann = register(&app, "6590000011").await;
    join(&app, group, json!([{"userId": ann}])).await;
    let bulk = json!([{"identifierType": "mobile", "identifierValue": "6590000011", "source": "INSTORE",
        "type": "REGULAR", "billNumber": "grp-bulk", "billAmount": "250",
        "userGroup2PrimaryUserIdentifierType": "mobile", "userGroup2PrimaryUserIdentifierVale": "nobody",
        "userGroup2Id": group}]);
    let (status, res) = send(app.till(Method::POST, "/v2/transactions/bulk").json(&bulk)).await;
    assert_eq!(status, 200, "{res}");
    // Just after the end of the local day a year later, the job writes the points off.
    app.clock.set("2027-11-25T16:00:00Z".parse().unwrap());
    match run(&app.state.app, &PointsExpiry, "a").await.unwrap() {
        JobRun::Ran(ExpiryReport { entries, .. }) => assert_eq!(entries, 1),
        other => panic!("expected a run, got {other:?}"),
    }
    let g = get_group(
        &app,
        &format!("id={group}&expiredPoints=true&expirySchedules=true"),
    )
    .await;
    assert_eq!(g["pointsSummaries"][0]["loyaltyPoints"], 0.0, "{g}");
    assert_eq!(g["pointsSummaries"][0]["expired"], 25.0, "{g}");
    assert_eq!(g["expiredPoints"][0]["points"], 25.0, "{g}");
    assert_eq!(g["expiredPoints"][0]["expiredOn"], "2027-11-26");
    assert_eq!(g["expirySchedules"], json!([]));
    let (_, t) = app
        .get_as_demo(&format!("/v2/userGroup2/transactions?id={group}"))
        .await;
    assert_eq!(t["data"][0]["pointSummary"]["expiredPoints"], 25.0, "{t}");
    assert_eq!(t["data"][0]["pointSummary"]["availablePoints"], 0.0, "{t}");
});

both_backends!(
    forty_concurrent_joins_to_a_group_of_ten_admit_exactly_ten,
    |app| {
        let group = create(&app, "crowd", 10).await;
        let mut ids = Vec::new();
        for i in 0..40 {
            ids.push(register(&app, &format!("659100{i:04}")).await);
        }
        let mut tasks = Vec::new();
        for id in ids {
            let req = app
                .till(Method::POST, &format!("/v2/userGroup2/join?id={group}"))
                .json(&json!([{"userId": id}]));
            tasks.push(tokio::spawn(send(req)));
        }
        let mut admitted = 0;
        let mut full = 0;
        for t in tasks {
            let (status, res) = t.await.unwrap();
            match status {
                200 => admitted += 1,
                201 if item_code(&res, 0) == 1638 => full += 1,
                _ => panic!("unexpected {status} {res}"),
            }
        }
        assert_eq!((admitted, full), (10, 30));
        let g = get_group(&app, &format!("id={group}")).await;
        assert_eq!(g["totalActiveMembers"], 10);
        assert_eq!(g["fleetGroupUsers"].as_array().unwrap().len(), 10);
    }
);

both_backends!(update_transfer_and_delete, |app| {
    let a = create(&app, "team-a", 3).await;
    let b = create(&app, "team-b", 1).await;
    let p = register(&app, "6592000001").await;
    let m = register(&app, "6592000002").await;
    let n = register(&app, "6592000003").await;
    join(
        &app,
        a,
        json!([{"userId": p, "primaryMember": true}, {"userId": m}, {"userId": n}]),
    )
    .await;

    // The documented update (id as a string, blank externalId).
    let upd = json!({"id": a.to_string(), "externalId": "", "groupName": "newName2", "maxGroupSize": 1110});
    let (status, res) = send(app.till(Method::PUT, "/v2/userGroup2").json(&upd)).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        res,
        json!({"id": a, "groupName": "newName2", "maxGroupSize": 1110, "warnings": []})
    );
    for (body, status, code) in [
        (json!({"id": a}), 400, 1643),
        (json!({"groupName": "x"}), 400, 1644),
        (json!({"id": a, "maxGroupSize": 2}), 400, 1645),
        (json!({"id": a, "maxGroupSize": -1}), 400, 1640),
        (json!({"externalId": "nope", "groupName": "x"}), 404, 1632),
    ] {
        let (s, res) = send(app.till(Method::PUT, "/v2/userGroup2").json(&body)).await;
        assert_eq!(
            (s, error_code(&res)),
            (status, json!(code)),
            "{body}: {res}"
        );
    }

    // The documented transfer; the primary member cannot move, nor into a full group.
    let t = |users: Value| json!({"leaveGroupId": a, "joinGroupId": b, "userIds": users});
    let (status, res) = send(
        app.till(Method::POST, "/v2/userGroup2/transfer")
            .json(&t(json!([m]))),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res, json!({"warnings": [], "errors": [], "success": true}));
    for (users, code) in [(json!([p]), 1624), (json!([n]), 1638), (json!([m]), 1620)] {
        let (status, res) = send(
            app.till(Method::POST, "/v2/userGroup2/transfer")
                .json(&t(users.clone())),
        )
        .await;
        assert_eq!(
            (status, error_code(&res)),
            (400, json!(code)),
            "{users}: {res}"
        );
    }
    let (status, res) = send(
        app.till(Method::POST, "/v2/userGroup2/transfer")
            .json(&json!({"leaveGroupId": a, "userIds": [n]})),
    )
    .await;
    assert_eq!((status, error_code(&res)), (400, json!(403)), "{res}");
    let ga = get_group(&app, &format!("id={a}")).await;
    let gb = get_group(&app, &format!("id={b}")).await;
    assert_eq!(
        (
            ga["totalActiveMembers"].clone(),
            gb["totalActiveMembers"].clone()
        ),
        (json!(2), json!(1))
    );

    // Delete: the group shows DELETED, takes no members, and its external id is free.
    let (status, res) = send(app.till(Method::DELETE, "/v2/userGroup2?externalId=team-a")).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res, json!({"warnings": []}));
    let g = get_group(&app, &format!("id={a}")).await;
    assert_eq!(g["groupStatus"], "DELETED");
    assert_eq!(g["totalActiveMembers"], 0);
    let (status, res) = join(&app, a, json!([{"userId": m}])).await;
    assert_eq!((status, error_code(&res)), (404, json!(1619)), "{res}");
    let again = create(&app, "team-a", 5).await;
    assert_ne!(again, a);
    let (status, res) = send(app.till(Method::DELETE, &format!("/v2/userGroup2?id={a}"))).await;
    assert_eq!((status, error_code(&res)), (404, json!(1619)), "{res}");
});

both_backends!(groups_stay_inside_their_org, |app| {
    let group = create(&app, "private", 10).await;
    app.apply(common::ACME_ORG).await;
    let acme = |m: Method, path: &str| app.as_till("acme.till", "acme-pw", m, path);
    let (status, res) = send(acme(Method::GET, &format!("/v2/userGroup2?id={group}"))).await;
    assert_eq!((status, error_code(&res)), (404, json!(1619)), "{res}");
    let (status, res) = send(acme(
        Method::GET,
        &format!("/v2/userGroup2/transactions?id={group}"),
    ))
    .await;
    assert_eq!((status, error_code(&res)), (404, json!(1619)), "{res}");
    // The same external id is free in another org.
    let body = json!({"externalId": "private", "maxGroupSize": 3});
    let (status, res) = send(acme(Method::POST, "/v2/userGroup2").json(&body)).await;
    assert_eq!(status, 200, "{res}");
});

both_backends!(group_goodwill_is_credited_to_the_group, |app| {
    let group = create(&app, "goodwill", 10).await;
    let ann = register(&app, "6593000001").await;
    join(&app, group, json!([{"userId": ann, "primaryMember": true}])).await;
    let request = |points: i64, info: Value| {
        json!({"type": "GOODWILL", "baseType": "POINTS",
               "goodwillRequest": {"comments": "late delivery", "points": points, "reason": "Service recovery"},
               "earningEntityType": "USERGROUP2", "userGroup2IdentificationInfo": info,
               "comments": "group goodwill"})
    };
    let by_id = json!({"identifierType": "id", "identifierValue": group.to_string(), "source": "INSTORE", "accountId": ""});
    // Within the auto-approval cap: credited to the group at once, not to its member.
    let (status, res) = send(
        app.till(Method::POST, "/v2/requests")
            .json(&request(200, by_id.clone())),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert!(res["createdId"].as_i64().unwrap() > 0);
    assert_eq!(res["warnings"], json!([]));
    let g = get_group(&app, &format!("id={group}&expirySchedules=true")).await;
    assert_eq!(g["pointsSummaries"][0]["loyaltyPoints"], 200.0, "{g}");
    assert_eq!(customer_points(&app, ann).await, 0);

    // Above the cap: pending until another user approves it.
    let by_external = json!({"identifierType": "externalId", "identifierValue": "goodwill"});
    let (status, res) = send(
        app.till(Method::POST, "/v2/requests")
            .json(&request(800, by_external)),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let pending = res["createdId"].clone();
    let g = get_group(&app, &format!("id={group}")).await;
    assert_eq!(g["pointsSummaries"][0]["loyaltyPoints"], 200.0, "{g}");
    let decision =
        json!({"root": {"request": [{"type": "GOODWILL", "base_type": "POINTS", "id": pending}]}});
    let (status, ok) = app.approve_goodwill(&decision).await;
    assert_eq!(status, 200, "{ok}");
    let g = get_group(&app, &format!("id={group}")).await;
    assert_eq!(g["pointsSummaries"][0]["loyaltyPoints"], 1000.0, "{g}");
    assert_eq!(customer_points(&app, ann).await, 0);

    // The documented refusals.
    let mut no_info = request(10, Value::Null);
    no_info
        .as_object_mut()
        .unwrap()
        .remove("userGroup2IdentificationInfo");
    let mut customer = request(10, by_id.clone());
    customer["earningEntityType"] = json!("CUSTOMER");
    let mut bad_program = request(10, by_id.clone());
    bad_program["programId"] = json!(987654);
    let mut bad_type = request(10, by_id.clone());
    bad_type["type"] = json!("FAVOUR");
    let mut coupon = request(10, by_id.clone());
    coupon["baseType"] = json!("COUPON");
    for (body, code) in [
        (
            request(
                10,
                json!({"identifierType": "id", "identifierValue": "999999"}),
            ),
            93026,
        ),
        (
            request(
                10,
                json!({"identifierType": "id", "identifierValue": "abc"}),
            ),
            93026,
        ),
        (no_info, 400),
        (customer, 400),
        (bad_program, 1101),
        (bad_type, 9006),
        (coupon, 9008),
    ] {
        let (status, res) = send(app.till(Method::POST, "/v2/requests").json(&body)).await;
        assert_ne!(status, 200, "{body}: {res}");
        assert!(status < 500, "{body}: {res}");
        assert_eq!(error_code(&res), code, "{body}: {res}");
    }
    let g = get_group(&app, &format!("id={group}")).await;
    assert_eq!(g["pointsSummaries"][0]["loyaltyPoints"], 1000.0, "{g}");
});
