//! Cards: series, generation, status labels and transitions, issuing through the customer's
//! identifiers, and a card resolving to its linked program in any card status.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn post(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    send(app.till(Method::POST, path).json(body)).await
}

async fn put(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    send(app.till(Method::PUT, path).json(body)).await
}

fn code(res: &Value) -> Option<i64> {
    res["errors"][0]["code"].as_i64()
}

async fn series_id(app: &TestApp, code: &str) -> i64 {
    let (status, res) = app.get_as_demo("/v2/card/series/get/all").await;
    assert_eq!(status, 200, "{res}");
    res["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == code)
        .and_then(|s| s["id"].as_i64())
        .unwrap_or_else(|| panic!("series {code} in {res}"))
}

async fn program_id(app: &TestApp, name: &str) -> i64 {
    let (_, res) = app.get_as_demo("/v2/organization/programs").await;
    let p = res["data"][0]["partnerPrograms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["partnerProgramName"] == name)
        .map(|p| p["partnerProgramId"].clone())
        .unwrap_or_else(|| {
            assert_eq!(res["data"][0]["programName"], name, "{res}");
            res["data"][0]["programId"].clone()
        });
    p.as_i64().unwrap()
}

/// Adds a NOT_ISSUED card to a series by code.
async fn add_card(app: &TestApp, series: &str, number: &str, external: &str) -> i64 {
    let (status, res) = post(
        app,
        "/v2/card",
        &json!({"seriesCode": series, "cardNumber": number, "cardExternalId": external,
                "statusLabel": "NOT_ISSUED", "statusInfo": {"reason": "stock"}}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    res["entity"].as_i64().expect("card id")
}

/// Registers a customer holding `card`.
async fn register_with_card(app: &TestApp, mobile: &str, card: &str) -> (u16, Value) {
    let body = json!({"profiles": [{"firstName": "Cara", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": mobile},
                        {"type": "cardnumber", "value": card, "statusLabel": "ACTIVE"}]}]});
    post(app, "/v2/customers", &body).await
}

async fn card(app: &TestApp, number: &str) -> Value {
    let (status, res) = app.get_as_demo(&format!("/v2/card?number={number}")).await;
    assert_eq!(status, 200, "{res}");
    res
}

async fn set_label(app: &TestApp, number: &str, label: &str) -> (u16, Value) {
    put(
        app,
        "/v2/card",
        &json!({"cardNumber": number, "statusLabel": label, "statusInfo": {"reason": "agent"}}),
    )
    .await
}

both_backends!(series_are_created_read_and_updated, |app| {
    let democard = series_id(&app, "DEMOCARD").await;
    let (status, res) = app
        .get_as_demo(&format!("/v2/card/series/{democard}"))
        .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        (&res["type"], &res["programName"], &res["expiryDays"]),
        (&json!("DIGITAL"), &json!("Demo Rewards"), &json!(730))
    );
    let plus = program_id(&app, "Demo Plus").await;
    let body = json!({"code": "GOLDPHY", "name": "Gold physical", "type": "PHYSICAL",
        "expiryDays": 365, "maxActiveCardsPerCustomer": 1, "programId": plus,
        "cardGenerationEnabled": true,
        "cardGenerationConfiguration": {"prefix": "GP", "suffix": "X", "offset": 7, "length": 8, "method": "DEFAULT"}});
    let (status, res) = post(&app, "/v2/card/series", &body).await;
    assert_eq!(status, 200, "{res}");
    let id = res["entity"].as_i64().unwrap();
    let (status, res) = post(&app, "/v2/card/series", &body).await;
    assert_eq!((status, code(&res)), (400, Some(3002)), "{res}");
    for bad in [
        json!({"code": "BAD CODE", "type": "DIGITAL"}),
        json!({"code": "OK1", "type": "PLASTIC"}),
        json!({"code": "OK3", "type": "DIGITAL", "cardGenerationEnabled": true}),
        json!({"code": "OK4", "type": "DIGITAL", "cardGenerationConfiguration": {"prefix": "A-", "length": 5}}),
    ] {
        let (status, res) = post(&app, "/v2/card/series", &bad).await;
        assert_eq!((status, code(&res)), (400, Some(3000)), "{bad}: {res}");
    }
    // Capillary's card page: 3001 "Series code empty", 3003 "Series type is empty".
    for (bad, want) in [
        (json!({"code": "", "type": "DIGITAL"}), 3001),
        (json!({"type": "DIGITAL"}), 3001),
        (json!({"code": "OK2"}), 3003),
        (json!({"code": "OK2", "type": " "}), 3003),
    ] {
        let (status, res) = post(&app, "/v2/card/series", &bad).await;
        assert_eq!((status, code(&res)), (400, Some(want)), "{bad}: {res}");
    }
    let (status, res) = post(
        &app,
        "/v2/card/series",
        &json!({"code": "OK5", "type": "DIGITAL", "programId": 999_999}),
    )
    .await;
    assert_eq!(code(&res), Some(1101), "{status} {res}");
    // Update keeps the code, changes the rest.
    let (status, res) = put(
        &app,
        &format!("/v2/card/series/{id}"),
        &json!({"code": "OTHER", "name": "Gold plastic", "maxActiveCardsPerCustomer": 2}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    // The answer is the series as updated.
    assert_eq!(
        (&res["id"], &res["name"]),
        (&json!(id), &json!("Gold plastic")),
        "{res}"
    );
    assert_eq!(res["warnings"], json!([]));
    let (_, res) = app.get_as_demo(&format!("/v2/card/series/{id}")).await;
    assert_eq!(
        (
            &res["code"],
            &res["name"],
            &res["maxActiveCardsPerCustomer"],
            &res["programId"]
        ),
        (
            &json!("GOLDPHY"),
            &json!("Gold plastic"),
            &json!(2),
            &json!(plus)
        ),
        "{res}"
    );
    let (status, res) = app.get_as_demo("/v2/card/series/424242").await;
    assert_eq!((status, code(&res)), (404, Some(3004)), "{res}");
    let (status, res) = app.get_as_demo("/v2/card/series/abc").await;
    assert_eq!((status, code(&res)), (404, Some(3004)), "{res}");
    // An org file applied again leaves API series alone.
    app.apply(common::DEMO_ORG).await;
    let (_, res) = app.get_as_demo(&format!("/v2/card/series/{id}")).await;
    assert_eq!(res["isActive"], true, "{res}");
});

both_backends!(generation_numbers_cards_without_repeats, |app| {
    let democard = series_id(&app, "DEMOCARD").await;
    let (status, res) = post(
        &app,
        "/v2/card/generate",
        &json!({"seriesId": democard, "count": 3}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        res["entity"],
        json!(["DEMO00100000", "DEMO00100001", "DEMO00100002"])
    );
    // A number added by hand ahead of the sequence is skipped and reported.
    add_card(&app, "DEMOCARD", "DEMO00100004", "EXT-HAND").await;
    let (status, res) = post(
        &app,
        "/v2/card/generate",
        &json!({"seriesId": democard, "count": 3, "statusLabel": "NOT_ISSUED"}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["entity"], json!(["DEMO00100003", "DEMO00100005"]));
    assert_eq!(res["warnings"][0]["code"], 3059);
    assert_eq!(res["warnings"][0]["duplicates"], json!(["DEMO00100004"]));
    let (status, res) = app
        .get_as_demo(&format!("/v2/card/generation/logs/{democard}"))
        .await;
    assert_eq!(status, 200, "{res}");
    let last = &res["entity"][0];
    assert_eq!(
        (
            &last["count"],
            &last["generatedCount"],
            &last["duplicateCount"]
        ),
        (&json!(3), &json!(2), &json!(1)),
        "{res}"
    );
    assert_eq!(
        (&last["firstCardNumber"], &last["lastCardNumber"]),
        (&json!("DEMO00100003"), &json!("DEMO00100005"))
    );
    assert_eq!(res["entity"].as_array().unwrap().len(), 2);
    let c = card(&app, "DEMO00100005").await;
    assert_eq!(
        (&c["statusInfo"]["status"], &c["customerId"]),
        (&json!("NOT_ISSUED"), &json!(0))
    );
    // Generation off, bad label, bad count.
    let plus = series_id(&app, "PLUSCARD").await;
    let (status, res) = post(
        &app,
        "/v2/card/generate",
        &json!({"seriesId": plus, "count": 1}),
    )
    .await;
    assert_eq!((status, code(&res)), (400, Some(703)), "{res}");
    let (status, res) = post(
        &app,
        "/v2/card/generate",
        &json!({"seriesId": democard, "count": 1, "statusLabel": "CARD BLOCKED"}),
    )
    .await;
    assert_eq!((status, code(&res)), (400, Some(3017)), "{res}");
    for count in [0, 50_001] {
        let (status, res) = post(
            &app,
            "/v2/card/generate",
            &json!({"seriesId": democard, "count": count}),
        )
        .await;
        assert_eq!((status, code(&res)), (400, Some(1060)), "{res}");
    }
    // Concurrent generation never hands out a number twice.
    let gen = json!({"seriesId": democard, "count": 5});
    let runs = (0..4).map(|_| post(&app, "/v2/card/generate", &gen));
    let mut all: Vec<String> = Vec::new();
    for (status, res) in futures::future::join_all(runs).await {
        assert_eq!(status, 200, "{res}");
        all.extend(
            res["entity"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string()),
        );
    }
    let before = all.len();
    all.sort();
    all.dedup();
    assert_eq!((before, all.len()), (20, 20));
});

both_backends!(cards_are_added_issued_and_change_status, |app| {
    let id = add_card(&app, "DEMOCARD", "DC-1", "EXT-DC-1").await;
    let c = card(&app, "DC-1").await;
    assert_eq!(c["id"], id);
    assert_eq!(c["statusInfo"]["label"], "NOT_ISSUED");
    assert_eq!(c["transactionNotAllowed"], true);
    // Taken number, taken external id, a new card under a non-NOT_ISSUED or unknown label.
    for (body, want) in [
        (
            json!({"seriesCode": "DEMOCARD", "cardNumber": "DC-1", "statusLabel": "NOT_ISSUED"}),
            3009,
        ),
        (
            json!({"seriesCode": "DEMOCARD", "cardNumber": "DC-2", "cardExternalId": "EXT-DC-1"}),
            3045,
        ),
        (
            json!({"seriesCode": "DEMOCARD", "cardNumber": "DC-2", "statusLabel": "ACTIVE"}),
            3017,
        ),
        (
            json!({"seriesCode": "DEMOCARD", "cardNumber": "DC-2", "statusLabel": "Misplaced"}),
            3017,
        ),
        (json!({"seriesCode": "NOPE", "cardNumber": "DC-2"}), 3004),
        (json!({"seriesId": 987_654, "cardNumber": "DC-2"}), 3004),
    ] {
        let (status, res) = post(&app, "/v2/card", &body).await;
        assert_eq!(code(&res), Some(want), "{status} {body}: {res}");
        assert!(status == 400 || status == 404 || status == 409, "{status}");
    }
    let (status, res) = post(&app, "/v2/card", &json!({"seriesCode": "DEMOCARD"})).await;
    assert_eq!(status, 400, "{res}");

    // Issued at registration: ACTIVE, held by the customer, expiring 730 days on.
    let (status, res) = register_with_card(&app, "6590001001", "DC-1").await;
    assert_eq!(status, 200, "{res}");
    let customer = res["createdId"].as_i64().unwrap();
    let c = card(&app, "DC-1").await;
    assert_eq!(
        (
            &c["statusInfo"]["status"],
            &c["customerId"],
            &c["cardExternalId"]
        ),
        (&json!("ACTIVE"), &json!(customer), &json!("EXT-DC-1"))
    );
    assert_eq!(c["issuedDate"], "2026-11-25T04:00:00Z");
    assert_eq!(c["expiryDate"], "2028-11-24T15:59:59Z");
    // The customer's cardDetails carry the card as documented: id and status.
    let (status, res) = app.get_as_demo(&format!("/v2/customers/{customer}")).await;
    assert_eq!(status, 200, "{res}");
    let details = &res["cardDetails"][0];
    assert_eq!(
        (
            &details["cardId"],
            &details["cardNumber"],
            &details["statusInfo"]["status"]
        ),
        (&json!(id), &json!("DC-1"), &json!("ACTIVE")),
        "{res}"
    );
    // Its external id now finds the customer too.
    let (status, res) = app
        .get_as_demo("/v2/customers/lookup?source=INSTORE&identifierName=cardExternalId&identifierValue=EXT-DC-1")
        .await;
    assert_eq!(
        (status, res["entity"].as_i64()),
        (200, Some(customer)),
        "{res}"
    );

    // Someone else cannot take an issued card.
    let body = json!({"profiles": [{"source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "6590001002"}]}]});
    let (_, res) = post(&app, "/v2/customers", &body).await;
    let other = res["createdId"].as_i64().unwrap();
    let (status, res) = post(
        &app,
        &format!("/v2/customers/{other}/changeIdentifier?source=INSTORE"),
        &json!({"add": [{"type": "cardnumber", "value": "DC-1"}]}),
    )
    .await;
    assert_eq!(status, 400, "{res}");
    assert_eq!(card(&app, "DC-1").await["customerId"], customer);

    // Transitions: ACTIVE → org label "Lost or stolen" (SUSPENDED) → EXPIRED; EXPIRED → DELETED refused.
    let (status, res) = set_label(&app, "DC-1", "lost or stolen").await;
    assert_eq!(status, 200, "{res}");
    // The answer is the card as updated.
    assert_eq!(
        (&res["cardNumber"], &res["statusInfo"]["label"]),
        (&json!("DC-1"), &json!("Lost or stolen")),
        "{res}"
    );
    let c = card(&app, "DC-1").await;
    assert_eq!(
        (
            &c["statusInfo"]["label"],
            &c["statusInfo"]["status"],
            &c["statusInfo"]["reason"]
        ),
        (
            &json!("Lost or stolen"),
            &json!("SUSPENDED"),
            &json!("agent")
        )
    );
    let (status, res) = set_label(&app, "DC-1", "ACTIVE").await;
    assert_eq!((status, code(&res)), (400, Some(3013)), "{res}");
    let (status, res) = set_label(&app, "DC-1", "CARD EXPIRED").await;
    assert_eq!(status, 200, "{res}");
    let (status, res) = set_label(&app, "DC-1", "DELETED").await;
    assert_eq!((status, code(&res)), (400, Some(3013)), "{res}");
    let (status, res) = set_label(&app, "DC-1", "Misplaced").await;
    assert_eq!((status, code(&res)), (400, Some(3017)), "{res}");
    add_card(&app, "DEMOCARD", "DC-3", "EXT-DC-3").await;
    let (status, res) = set_label(&app, "DC-3", "EXPIRED").await;
    assert_eq!((status, code(&res)), (400, Some(3013)), "{res}");
    // Number and external id naming different cards; unknown cards.
    let (status, res) = put(
        &app,
        "/v2/card",
        &json!({"cardNumber": "DC-3", "cardExternalId": "EXT-DC-1", "statusLabel": "SUSPENDED"}),
    )
    .await;
    assert_eq!((status, code(&res)), (400, Some(3046)), "{res}");
    let (status, res) = app.get_as_demo("/v2/card?number=NOPE").await;
    assert_eq!((status, code(&res)), (404, Some(3010)), "{res}");
    let (status, res) = set_label(&app, "NOPE", "SUSPENDED").await;
    assert_eq!((status, code(&res)), (404, Some(3010)), "{res}");

    // The status log, newest first.
    let (status, res) = app.get_as_demo("/v2/card/statusLog?number=DC-1").await;
    assert_eq!(status, 200, "{res}");
    let labels: Vec<&str> = res["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["CARD EXPIRED", "Lost or stolen", "ACTIVE", "NOT_ISSUED"]
    );

    // The labels an org can use.
    let (_, res) = app.get_as_demo("/v2/genericStatus/card/labels").await;
    let has = |label: &str, status: &str| {
        res["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["label"] == label && l["status"] == status)
    };
    assert!(
        has("CARD BLOCKED", "SUSPENDED") && has("Lost or stolen", "SUSPENDED"),
        "{res}"
    );
});

both_backends!(delinked_cards_can_be_issued_again_and_limits_hold, |app| {
    let plus = program_id(&app, "Demo Plus").await;
    let (status, res) = post(
        &app,
        "/v2/card/series",
        &json!({"code": "ONEONLY", "type": "PHYSICAL", "maxActiveCardsPerCustomer": 1, "programId": plus}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    add_card(&app, "ONEONLY", "ONE-1", "EXT-ONE-1").await;
    add_card(&app, "ONEONLY", "ONE-2", "EXT-ONE-2").await;
    let (status, res) = register_with_card(&app, "6590002001", "ONE-1").await;
    assert_eq!(status, 200, "{res}");
    let first = res["createdId"].as_i64().unwrap();
    let path = format!("/v2/customers/{first}/changeIdentifier?source=INSTORE");
    let (status, res) = post(
        &app,
        &path,
        &json!({"add": [{"type": "cardnumber", "value": "ONE-2", "seriesCode": "ONEONLY"}]}),
    )
    .await;
    assert_eq!((status, code(&res)), (400, Some(3036)), "{res}");
    // Delink ONE-1: NOT_ISSUED again, and another customer may take it.
    let (status, res) = post(
        &app,
        &path,
        &json!({"add": [{"type": "cardnumber", "value": "ONE-1", "statusLabel": "NOT_ISSUED"}]}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let c = card(&app, "ONE-1").await;
    assert_eq!(
        (&c["statusInfo"]["status"], &c["customerId"]),
        (&json!("NOT_ISSUED"), &json!(0))
    );
    let (status, res) = register_with_card(&app, "6590002002", "ONE-1").await;
    assert_eq!(status, 200, "{res}");
    let second = res["createdId"].as_i64().unwrap();
    assert_eq!(card(&app, "ONE-1").await["customerId"], second);
    // A suspended card issued again to its holder is ACTIVE again.
    set_label(&app, "ONE-1", "CARD BLOCKED").await;
    let (status, res) = post(
        &app,
        &format!("/v2/customers/{second}/changeIdentifier?source=INSTORE"),
        &json!({"add": [{"type": "cardnumber", "value": "ONE-1", "statusLabel": "ACTIVE"}]}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(card(&app, "ONE-1").await["statusInfo"]["status"], "ACTIVE");
});

both_backends!(a_card_resolves_to_its_linked_program_in_any_status, |app| {
    let rewards = program_id(&app, "Demo Rewards").await;
    let plus = program_id(&app, "Demo Plus").await;
    add_card(&app, "PLUSCARD", "PLUS-1", "EXT-PLUS-1").await;
    add_card(&app, "DEMOCARD", "DEMO-1", "EXT-DEMO-1").await;
    let (status, res) = register_with_card(&app, "6590003001", "PLUS-1").await;
    assert_eq!(status, 200, "{res}");
    let customer = res["createdId"].as_i64().unwrap();
    let path = format!("/v2/customers/{customer}/changeIdentifier?source=INSTORE");
    let (status, res) = post(
        &app,
        &path,
        &json!({"add": [{"type": "cardnumber", "value": "DEMO-1"}]}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(card(&app, "PLUS-1").await["programId"], plus);
    assert_eq!(card(&app, "DEMO-1").await["programId"], rewards);

    let resolves = |name: &'static str, value: &'static str, want: i64| {
        let app = &app;
        async move {
            let (status, res) = app
                .get_as_demo(&format!(
                    "/v2/customers/points/balance?source=INSTORE&identifierName={name}&identifierValue={value}"
                ))
                .await;
            assert_eq!(status, 200, "{name}={value}: {res}");
            assert_eq!(
                (res["entityId"].as_i64(), res["programId"].as_i64()),
                (Some(customer), Some(want)),
                "{name}={value}: {res}"
            );
        }
    };
    // Any status: ACTIVE, SUSPENDED, EXPIRED for one card; DELETED for the other.
    for label in [None, Some("CARD BLOCKED"), Some("EXPIRED")] {
        if let Some(l) = label {
            let (status, res) = set_label(&app, "PLUS-1", l).await;
            assert_eq!(status, 200, "{res}");
        }
        resolves("cardnumber", "PLUS-1", plus).await;
        resolves("cardExternalId", "EXT-PLUS-1", plus).await;
    }
    let (status, res) = set_label(&app, "DEMO-1", "DELETED").await;
    assert_eq!(status, 200, "{res}");
    resolves("cardnumber", "DEMO-1", rewards).await;
    resolves("cardExternalId", "EXT-DEMO-1", rewards).await;
    // Other identifiers keep the default program; an explicit programId wins over the card.
    resolves("mobile", "6590003001", rewards).await;
    let (_, res) = app
        .get_as_demo(&format!(
            "/v2/customers/points/balance?source=INSTORE&identifierName=cardnumber&identifierValue=PLUS-1&programId={rewards}"
        ))
        .await;
    assert_eq!(res["programId"], rewards, "{res}");

    // Goodwill by card number goes to the card's program (the expired card too).
    let body = json!({"root": {"request": [{"customer": {"card_number": "PLUS-1"},
        "reference_id": "card-gw-1", "reason": "Birthday", "type": "GOODWILL",
        "base_type": "POINTS", "points": 50}]}});
    let (status, res) = post(&app, "/v1.1/request/add?format=json", &body).await;
    assert_eq!(status, 200, "{res}");
    let (_, res) = app
        .get_as_demo(&format!("/v2/customers/{customer}/goodwillRequest"))
        .await;
    assert_eq!(res["data"][0]["programId"], plus, "{res}");
    let (_, res) = app
        .get_as_demo(&format!(
            "/v2/customers/points/balance/{customer}?programId={plus}"
        ))
        .await;
    assert_eq!(res["totalPoints"].as_f64(), Some(50.0), "{res}");
});

both_backends!(cards_stay_inside_their_org, |app| {
    add_card(&app, "DEMOCARD", "SECRET-1", "EXT-SECRET-1").await;
    let democard = series_id(&app, "DEMOCARD").await;
    app.apply(common::ACME_ORG).await;
    let acme = |m: Method, p: &str| app.as_till("acme.till", "acme-pw", m, p);
    let (status, res) = send(acme(Method::GET, "/v2/card?number=SECRET-1")).await;
    assert_eq!((status, code(&res)), (404, Some(3010)), "{res}");
    let (status, res) = send(acme(Method::GET, &format!("/v2/card/series/{democard}"))).await;
    assert_eq!((status, code(&res)), (404, Some(3004)), "{res}");
    let (status, res) = send(
        acme(Method::PUT, "/v2/card")
            .json(&json!({"cardNumber": "SECRET-1", "statusLabel": "DELETED"})),
    )
    .await;
    assert_eq!((status, code(&res)), (404, Some(3010)), "{res}");
    let (status, res) = send(
        acme(Method::POST, "/v2/card").json(&json!({"seriesId": democard, "cardNumber": "ACME-1"})),
    )
    .await;
    assert_eq!((status, code(&res)), (404, Some(3004)), "{res}");
    let (_, res) = send(acme(Method::GET, "/v2/card/series/get/all")).await;
    assert_eq!(res["data"], json!([]), "{res}");
    // The demo org's card is untouched.
    assert_eq!(
        card(&app, "SECRET-1").await["statusInfo"]["status"],
        "NOT_ISSUED"
    );
});

both_backends!(bulk_updates_succeed_or_fail_per_card, |app| {
    add_card(&app, "DEMOCARD", "BULK-1", "EXT-BULK-1").await;
    add_card(&app, "DEMOCARD", "BULK-2", "EXT-BULK-2").await;
    let items = json!([
        {"cardNumber": "BULK-1", "statusLabel": "CARD BLOCKED",
         "extendedFields": {"vehicle_number": "KA01B2020"}, "mappedEntity": {"type": "TILL", "value": "x"}},
        {"cardNumber": "NOPE", "statusLabel": "SUSPENDED"},
        {"cardNumber": "BULK-2", "statusLabel": "EXPIRED"},
    ]);
    let (status, res) = send(app.till(Method::PUT, "/v2/card/bulk").json(&items)).await;
    assert_eq!(status, 201, "{res}");
    let r = res["response"].as_array().unwrap();
    assert_eq!(r[0]["errors"], json!([]), "{res}");
    assert_eq!(r[0]["entityId"]["statusInfo"]["label"], "CARD BLOCKED");
    assert_eq!(r[1]["errors"][0]["code"], 3010, "{res}");
    assert_eq!(r[1]["entityId"]["cardNumber"], "NOPE");
    assert_eq!(r[2]["errors"][0]["code"], 3013, "{res}");
    let c = card(&app, "BULK-1").await;
    assert_eq!(
        (
            &c["statusInfo"]["status"],
            &c["extendedFields"]["vehicle_number"]
        ),
        (&json!("SUSPENDED"), &json!("KA01B2020"))
    );
    assert_eq!(
        card(&app, "BULK-2").await["statusInfo"]["status"],
        "NOT_ISSUED"
    );
    // All good: 200. Too many: 1060.
    let ok = json!([{"cardNumber": "BULK-2", "statusLabel": "SUSPENDED"}]);
    let (status, res) = send(app.till(Method::PUT, "/v2/card/bulk").json(&ok)).await;
    assert_eq!(status, 200, "{res}");
    let many: Vec<Value> = (0..201)
        .map(|i| json!({"cardNumber": format!("N{i}"), "statusLabel": "SUSPENDED"}))
        .collect();
    let (status, res) = send(app.till(Method::PUT, "/v2/card/bulk").json(&many)).await;
    assert_eq!((status, code(&res)), (400, Some(1060)), "{res}");
});

both_backends!(a_card_added_with_a_customer_is_issued_at_once, |app| {
    let body = json!({"profiles": [{"source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "6590005001"}]}]});
    let (_, res) = post(&app, "/v2/customers", &body).await;
    let customer = res["createdId"].as_i64().unwrap();
    let add = json!({"seriesCode": "DEMOCARD", "cardNumber": "NEW-1", "cardExternalId": "EXT-NEW-1",
        "customerId": customer, "extendedFields": {"custom_card_name": "Tom"}});
    let (status, res) = post(&app, "/v2/card", &add).await;
    assert_eq!(status, 200, "{res}");
    let c = card(&app, "NEW-1").await;
    assert_eq!(
        (
            &c["statusInfo"]["status"],
            &c["customerId"],
            &c["extendedFields"]["custom_card_name"]
        ),
        (&json!("ACTIVE"), &json!(customer), &json!("Tom"))
    );
    let (status, res) = app
        .get_as_demo("/v2/customers/lookup?source=INSTORE&identifierName=cardExternalId&identifierValue=EXT-NEW-1")
        .await;
    assert_eq!(
        (status, res["entity"].as_i64()),
        (200, Some(customer)),
        "{res}"
    );
    // The same number again, an unknown customer, a NOT_ISSUED label with a customer.
    let (status, res) = post(&app, "/v2/card", &add).await;
    assert_eq!((status, code(&res)), (400, Some(3009)), "{res}");
    let (status, res) = post(
        &app,
        "/v2/card",
        &json!({"seriesCode": "DEMOCARD", "cardNumber": "NEW-2", "customerId": 987_654}),
    )
    .await;
    assert_eq!((status, code(&res)), (404, Some(8015)), "{res}");
    let (status, _) = app.get_as_demo("/v2/card?number=NEW-2").await;
    assert_eq!(status, 404, "no card is left behind");
    let (status, res) = post(
        &app,
        "/v2/card",
        &json!({"seriesCode": "DEMOCARD", "cardNumber": "NEW-3", "customerId": customer,
                "statusLabel": "NOT_ISSUED"}),
    )
    .await;
    assert_eq!((status, code(&res)), (400, Some(3017)), "{res}");
});

both_backends!(a_card_added_with_a_customer_is_one_unit_of_work, |app| {
    let plus = program_id(&app, "Demo Plus").await;
    let (status, res) = post(
        &app,
        "/v2/card/series",
        &json!({"code": "SOLO", "type": "PHYSICAL", "maxActiveCardsPerCustomer": 1, "programId": plus}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    add_card(&app, "SOLO", "SOLO-1", "EXT-SOLO-1").await;
    let (status, res) = register_with_card(&app, "6590007001", "SOLO-1").await;
    assert_eq!(status, 200, "{res}");
    let customer = res["createdId"].as_i64().unwrap();
    // Past the series' active-card limit: refused, and no card is left behind.
    let (status, res) = post(
        &app,
        "/v2/card",
        &json!({"seriesCode": "SOLO", "cardNumber": "SOLO-2", "customerId": customer}),
    )
    .await;
    assert_eq!((status, code(&res)), (400, Some(3036)), "{res}");
    let (status, res) = app.get_as_demo("/v2/card?number=SOLO-2").await;
    assert_eq!(status, 404, "no card is left behind: {res}");
    // The same new card added to the customer many times at once: it is added once, and
    // every other request hears that the number exists.
    let add = json!({"seriesCode": "DEMOCARD", "cardNumber": "RACE-1", "customerId": customer,
        "statusInfo": {"reason": "welcome"}});
    let adds = (0..16).map(|_| post(&app, "/v2/card", &add));
    let results = futures::future::join_all(adds).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let exists = results
        .iter()
        .filter(|(s, r)| (*s, code(r)) == (400, Some(3009)))
        .count();
    assert_eq!((ok, exists), (1, 15), "{results:?}");
    let c = card(&app, "RACE-1").await;
    assert_eq!(
        (&c["statusInfo"]["status"], &c["customerId"]),
        (&json!("ACTIVE"), &json!(customer))
    );
});

both_backends!(concurrent_card_updates_keep_every_field, |app| {
    add_card(&app, "DEMOCARD", "DC-CONC", "EXT-CONC").await;
    // Sixteen updates at once, each adding its own extended field: none may lose another's.
    let puts = (0..16).map(|i| {
        let body = json!({"cardNumber": "DC-CONC", "extendedFields": {format!("k{i}"): i}});
        let app = &app;
        async move { put(app, "/v2/card", &body).await }
    });
    for (status, res) in futures::future::join_all(puts).await {
        assert_eq!(status, 200, "{res}");
    }
    let c = card(&app, "DC-CONC").await;
    let fields = c["extendedFields"].as_object().expect("extendedFields");
    let missing: Vec<String> = (0..16)
        .map(|i| format!("k{i}"))
        .filter(|k| !fields.contains_key(k))
        .collect();
    assert!(missing.is_empty(), "lost {missing:?} in {c}");
});
