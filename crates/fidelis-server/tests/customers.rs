//! Customers: the documented examples (capillary-examples.md B.*), lookups, updates,
//! status labels, subscriptions, identifier changes, tenant isolation and concurrency.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const B1: &str = include_str!("data/b1_register.json");

async fn post(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    send(app.till(Method::POST, path).json(body)).await
}

async fn put(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    send(app.till(Method::PUT, path).json(body)).await
}

fn instore(mobile: &str) -> Value {
    json!({"profiles": [{"firstName": "Ada", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": mobile}]}]})
}

async fn register(app: &TestApp, body: &Value) -> i64 {
    let (status, res) = post(app, "/v2/customers", body).await;
    assert_eq!(status, 200, "{res}");
    res["createdId"].as_i64().expect("createdId")
}

const INDIA_ORG: &str = r#"
[org]
code = "bharat"
name = "Bharat Retail"
time_zone = "Asia/Kolkata"
currency = "INR"
country = "IN"

[[concepts]]
code = "main"
name = "Main"

[[stores]]
code = "goa"
name = "Goa"
concept = "main"

[[tills]]
code = "sant.p_123"
store = "goa"
password = "goa-pw"
"#;

both_backends!(b1_full_registration_request, |app| {
    let body: Value = serde_json::from_str(B1).unwrap();
    let (status, res) = post(&app, "/v2/customers", &body).await;
    assert_eq!(status, 200, "{res}");
    let id = res["createdId"].as_i64().unwrap();
    assert!(id > 0);
    // The sample enrols in program 1016, which the demo org does not have: a warning.
    let warned: Vec<i64> = res["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["code"].as_i64())
        .collect();
    assert!(warned.contains(&1101), "{res}");
    assert_eq!(res["sideEffects"], json!([]));

    let (status, c) = app.get_as_demo(&format!("/v2/customers/{id}")).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["id"], id);
    let p = &c["profiles"][0];
    assert_eq!(p["firstName"], "Tom");
    assert_eq!(p["source"], "MOBILE_APP");
    assert_eq!(p["accountId"], "400");
    assert_eq!(p["fields"]["employee"], "true");
    let ids = p["identifiers"].as_array().unwrap();
    assert!(ids
        .iter()
        .any(|i| i["type"] == "mobile" && i["value"] == "919010000022"));
    assert!(ids
        .iter()
        .any(|i| i["type"] == "unionId" && i["value"] == "unionId_91901000002"));
    let card = ids.iter().find(|i| i["type"] == "cardnumber").unwrap();
    assert_eq!(card["value"], "test123112121");
    assert_eq!(card["seriesId"], 19);
    assert_eq!(card["statusLabel"], "ACTIVE");
    assert_eq!(card["extendedFields"]["card_balance"], 2000);
    let push = p["commChannels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "mobilePush")
        .unwrap();
    assert_eq!(push["value"], "abc123456");
    assert_eq!(push["primary"], true);
    assert_eq!(push["verified"], true);
    assert_eq!(c["loyaltyInfo"]["loyaltyType"], "loyalty");
    assert_eq!(c["extendedFields"]["gender"], "Male");
    assert_eq!(c["associatedWith"], "bukl.till");
    assert_eq!(c["fraudDetails"]["status"], "NOT_FRAUD");
    assert_eq!(c["customerStatus"]["status"], "ACTIVE");
    assert_eq!(c["customerStatus"]["label"], "active-customer");
    assert_eq!(c["cardDetails"][0]["cardNumber"], "test123112121");
    // A card of another issuer's series stays a plain identifier (no card id).
    assert!(c["cardDetails"][0].get("cardId").is_none(), "{c}");
    assert!(c["loyaltyProgramDetails"].is_array());
    assert_eq!(c["warnings"], json!([]));

    // The external-card variant (seriesCode) and lookup by card number.
    let ext = json!({"profiles": [{"source": "INSTORE", "identifiers": [
        {"type": "mobile", "value": "6591230001"},
        {"type": "cardnumber", "value": "EXTERNALCARD9875692", "seriesCode": "GOLDPHY98"}]}]});
    let ext_id = register(&app, &ext).await;
    let (status, res) = app
        .get_as_demo("/v2/customers/lookup?source=INSTORE&identifierName=cardnumber&identifierValue=EXTERNALCARD9875692")
        .await;
    assert_eq!(
        (status, res["entity"].as_i64()),
        (200, Some(ext_id)),
        "{res}"
    );
});

both_backends!(b2_minimal_instore_request, |app| {
    app.apply(INDIA_ORG).await;
    let body = json!({
      "associatedWith": "sant.p_123",
      "profiles": [{
          "firstName": "NeerajDec12", "lastName": "Loyal",
          "identifiers": [
            { "type": "mobile", "value": "9986000555" },
            { "type": "email", "value": "testdec12@gmail.com" },
            { "type": "externalId", "value": "test1223322" }],
          "fields": { "employee": "loyal", "dateofbirth": "01/01/1996" },
          "source": "INSTORE"
      }],
      "extendedFields": { "gender": "Male", "city": "Sattari", "state": "GOA",
        "area": "House no 2051,opposite  Sesa Goa  Colony,", "zip": "403505" },
      "referralCode": "xyzwqw"
    });
    let (status, res) = send(
        app.as_till("sant.p_123", "goa-pw", Method::POST, "/v2/customers")
            .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let id = res["createdId"].as_i64().unwrap();
    assert_eq!(res["warnings"], json!([]));
    assert_eq!(res["sideEffects"], json!([]));
    // Stored normalised: country code added, email lowercased.
    for (name, value) in [
        ("mobile", "919986000555"),
        ("email", "TESTDEC12@gmail.com"),
        ("externalId", "test1223322"),
    ] {
        let path = format!(
            "/v2/customers/lookup?source=INSTORE&identifierName={name}&identifierValue={value}"
        );
        let (status, res) = send(app.as_till("sant.p_123", "goa-pw", Method::GET, &path)).await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res, json!({"entity": id, "warnings": []}));
    }
    // Non-loyalty variant.
    let mut nl = body.clone();
    nl["loyaltyInfo"] = json!({"loyaltyType": "non_loyalty"});
    nl["profiles"][0]["identifiers"] = json!([{ "type": "mobile", "value": "9986000556" }]);
    let (status, res) = send(
        app.as_till("sant.p_123", "goa-pw", Method::POST, "/v2/customers")
            .json(&nl),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let path = format!("/v2/customers/{}", res["createdId"]);
    let (_, c) = send(app.as_till("sant.p_123", "goa-pw", Method::GET, &path)).await;
    assert_eq!(c["loyaltyInfo"]["loyaltyType"], "non_loyalty");
});

both_backends!(b3_b4_known_identifier_in_another_source_combines, |app| {
    let body: Value = serde_json::from_str(B1).unwrap();
    let first = register(&app, &body).await;
    let again = json!({"profiles": [{"firstName": "Tom", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "919010000022"}]}]});
    let (status, res) = post(&app, "/v2/customers", &again).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["createdId"], first);
    assert_eq!(
        res["warnings"],
        json!([{"status": false, "code": 8050, "message": "Same Customer found in other sources,Combining"}])
    );
    assert_eq!(res["sideEffects"], json!([]));
    let (_, c) = app.get_as_demo(&format!("/v2/customers/{first}")).await;
    assert_eq!(c["profiles"].as_array().unwrap().len(), 2);
    // Registering the same profile again refreshes it: no warning, same id.
    let (status, res) = post(&app, "/v2/customers", &again).await;
    assert_eq!((status, res["createdId"].as_i64()), (200, Some(first)));
    assert_eq!(res["warnings"], json!([]));
});

both_backends!(b5_lookup_customer_id, |app| {
    let id = register(&app, &instore("919111111111")).await;
    let (status, res) = app
        .get_as_demo("/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=919111111111")
        .await;
    assert_eq!(status, 200);
    assert_eq!(res, json!({"entity": id, "warnings": []}));
    // Any source, and a customer not in the given source (8065) or unknown (8015).
    let (status, res) = app
        .get_as_demo(
            "/v2/customers/lookup?source=ALL&identifierName=mobile&identifierValue=919111111111",
        )
        .await;
    assert_eq!((status, res["entity"].as_i64()), (200, Some(id)));
    let (status, res) = app
        .get_as_demo("/v2/customers/lookup?source=ECOMMERCE&identifierName=mobile&identifierValue=919111111111")
        .await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (404, Some(8065)),
        "{res}"
    );
    let (status, res) = app
        .get_as_demo("/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=919111111112")
        .await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (404, Some(8015)),
        "{res}"
    );
    // customerDetails by identifier.
    let (status, c) = app
        .get_as_demo("/v2/customers/lookup/customerDetails?source=INSTORE&identifierName=mobile&identifierValue=919111111111&embed=points,subscriptions")
        .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["id"], id);
    // As documented: subscriptionInfo.subscriptions, and the default program's pointsSummary.
    assert!(c["subscriptionInfo"]["subscriptions"].is_array(), "{c}");
    assert_eq!(c["pointsSummary"]["loyaltyPoints"], 0.0, "{c}");
    assert_eq!(c["pointsSummary"]["currentSlab"], "Bronze", "{c}");
    assert_eq!(c["pointsSummary"]["slabSNo"], 1, "{c}");
    assert_eq!(c["pointsSummary"].as_object().unwrap().len(), 14, "{c}");
    let (_, plain) = app.get_as_demo(&format!("/v2/customers/{id}")).await;
    assert!(plain.get("pointsSummary").is_none(), "{plain}");
});

both_backends!(b6_update_by_lookup_and_by_id, |app| {
    let id = register(&app, &instore("919999000001")).await;
    let body = json!({"profiles": [{"firstName": "Becky", "lastName": "Thatcher", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "919999000001"}],
        "fields": {"employee": "false"}}],
        "extendedFields": {"city": "Hannibal"}});
    let (status, res) = put(
        &app,
        "/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=919999000001",
        &body,
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        res,
        json!({"createdId": id, "warnings": [], "sideEffects": []})
    );
    let (_, c) = app.get_as_demo(&format!("/v2/customers/{id}")).await;
    assert_eq!(c["profiles"][0]["firstName"], "Becky");
    assert_eq!(c["profiles"][0]["fields"]["employee"], "false");
    assert_eq!(c["extendedFields"]["city"], "Hannibal");

    // By id; loyalty → non_loyalty is refused (1046).
    let down = json!({"loyaltyInfo": {"loyaltyType": "non_loyalty"}});
    let (status, res) = put(&app, &format!("/v2/customers/{id}"), &down).await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(1046)),
        "{res}"
    );
    // A different mobile in an update is not applied (91005 warning).
    let other = json!({"profiles": [{"source": "INSTORE", "identifiers": [{"type": "mobile", "value": "919999000002"}]}]});
    let (status, res) = put(&app, &format!("/v2/customers/{id}"), &other).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["warnings"][0]["code"], 91005);
});

both_backends!(b7_status_change_and_log, |app| {
    // B.7 uses a label named "Active"; give the org one.
    let with_label = format!(
        "{}\n[[customers.status_labels]]\nlabel = \"Active\"\nstatus = \"ACTIVE\"\n",
        common::DEMO_ORG
    );
    app.apply(&with_label).await;
    let id = register(&app, &instore("919999000001")).await;
    let q = "/v2/customers/lookup/status?source=INSTORE&identifierName=mobile&identifierValue=919999000001";
    let (status, res) = put(
        &app,
        q,
        &json!({"reason": "testing2", "createdOn": "2021-09-16T12:10:45Z", "label": "Active"}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["createdId"], id);
    assert_eq!(res["warnings"], json!([]));
    assert_eq!(res["error"], json!([]));

    let (status, res) = put(
        &app,
        q,
        &json!({"reason": "chargebacks", "label": "fraud-review"}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let (status, log) = app
        .get_as_demo(&format!("/v2/customers/{id}/statusLog"))
        .await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(log["warnings"], json!([]));
    assert_eq!(log["errors"], json!([]));
    let data = log["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["label"], "fraud-review");
    assert_eq!(data[0]["prevLabel"], "Active");
    assert_eq!(data[0]["status"], "FRAUD_SUSPECTED");
    assert_eq!(data[0]["isActive"], true);
    assert_eq!(data[0]["entityId"], id);
    assert_eq!(data[1]["label"], "Active");
    assert_eq!(data[1]["reason"], "testing2");
    assert_eq!(data[1]["createdOn"], "2021-09-16T20:10:45+08:00");
    let (_, c) = app.get_as_demo(&format!("/v2/customers/{id}")).await;
    assert_eq!(c["fraudDetails"]["status"], "MARKED");

    // Unknown label, missing reason, bad source.
    let (status, res) = put(&app, q, &json!({"reason": "x", "label": "no-such-label"})).await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(400)),
        "{res}"
    );
    let (status, res) = put(&app, q, &json!({"label": "Active"})).await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(400)),
        "{res}"
    );
    let bad_source = q.replace("INSTORE", "POS");
    let (status, res) = put(
        &app,
        &bad_source,
        &json!({"reason": "x", "label": "Active"}),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(8003)),
        "{res}"
    );
});

both_backends!(status_label_at_registration, |app| {
    let mut body = instore("6591234567");
    body["statusLabel"] = json!("suspended-suspicious");
    body["statusLabelReason"] = json!("Chargeback pattern");
    let id = register(&app, &body).await;
    let (_, c) = app.get_as_demo(&format!("/v2/customers/{id}")).await;
    assert_eq!(
        c["customerStatus"],
        json!({"status": "SUSPENDED", "label": "suspended-suspicious"})
    );
    let (_, log) = app
        .get_as_demo(&format!("/v2/customers/{id}/statusLog"))
        .await;
    assert_eq!(log["data"][0]["label"], "suspended-suspicious");
    assert_eq!(log["data"][0]["status"], "SUSPENDED");
    assert_eq!(log["data"][0]["reason"], "Chargeback pattern");

    // Unknown label: clear error and no customer.
    let mut bad = instore("6591234568");
    bad["statusLabel"] = json!("vip-gold");
    let (status, res) = post(&app, "/v2/customers", &bad).await;
    assert_eq!(status, 400, "{res}");
    assert_eq!(res["errors"][0]["code"], 400);
    assert!(res["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("vip-gold"));
    let (status, _) = app
        .get_as_demo(
            "/v2/customers/lookup?source=ALL&identifierName=mobile&identifierValue=6591234568",
        )
        .await;
    assert_eq!(status, 404);
    // Straight into DELETED is refused.
    let mut deleted = instore("6591234569");
    deleted["statusLabel"] = json!("deleted-by-request");
    let (status, _) = post(&app, "/v2/customers", &deleted).await;
    assert_eq!(status, 400);
});

both_backends!(deleted_is_terminal_and_frees_identifiers, |app| {
    let id = register(&app, &instore("6591230002")).await;
    let q = "/v2/customers/lookup/status?source=INSTORE&identifierName=mobile&identifierValue=6591230002";
    let (status, res) = put(
        &app,
        q,
        &json!({"reason": "GDPR request", "label": "deleted-by-request"}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    // The identifier is free: lookups miss and the person may register again.
    let (status, res) = put(
        &app,
        q,
        &json!({"reason": "oops", "label": "active-customer"}),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (404, Some(8015)),
        "{res}"
    );
    let again = register(&app, &instore("6591230002")).await;
    assert_ne!(again, id);
    let (_, old) = app.get_as_demo(&format!("/v2/customers/{id}")).await;
    assert_eq!(old["customerStatus"]["status"], "DELETED");
    let (status, res) = put(
        &app,
        &format!("/v2/customers/{id}"),
        &json!({"extendedFields": {"city": "x"}}),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(3042)),
        "{res}"
    );
});

both_backends!(subscriptions_from_channels_and_api, |app| {
    let body = json!({"profiles": [{"source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "6591230003"}, {"type": "email", "value": "sub@example.com"}],
        "commChannels": [
            {"type": "mobile", "value": "6591230003", "primary": "true", "subscribed": "false"},
            {"type": "email", "value": "sub@example.com", "primary": true, "subscribed": true},
            {"type": "whatsapp", "value": "6591230003", "subscribed": false}]}]});
    let id = register(&app, &body).await;
    let (status, res) = app
        .get_as_demo(&format!("/v2/customers/{id}/subscriptions"))
        .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["campaignId"], 0);
    assert_eq!(res["communicationId"], 0);
    assert_eq!(res["warnings"], json!([]));
    let find = |res: &Value, ch: &str, pr: &str| -> Value {
        res["subscriptions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["channel"] == ch && s["priority"] == pr)
            .map(|s| s["type"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(find(&res, "SMS", "BULK"), "OPTOUT");
    assert_eq!(find(&res, "SMS", "TRANS"), "OPTIN");
    assert_eq!(find(&res, "EMAIL", "BULK"), "OPTIN");
    assert_eq!(find(&res, "WHATSAPP", "BULK"), "OPTOUT");

    let sub = json!({"communicationId": -1, "campaignId": -1, "reason": "asked at till",
        "scope": {"scope": "USER", "subScope": "NONE"},
        "subscriptions": [
            {"channel": "MOBILE", "accountId": "", "priority": "TRANS", "type": "OPTOUT", "orgUnitId": -1, "sourceName": "INSTORE"},
            {"channel": "email", "priority": "BULK", "type": "OPTOUT"}]});
    let (status, res) = post(&app, &format!("/v2/customers/{id}/subscriptions"), &sub).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["subscriptions"][0]["channel"], "SMS");
    assert_eq!(res["scope"], json!({"scope": "USER", "subScope": "NONE"}));
    let (_, res) = app
        .get_as_demo("/v2/customers/lookup/subscriptions?source=INSTORE&identifierName=mobile&identifierValue=6591230003")
        .await;
    assert_eq!(find(&res, "SMS", "TRANS"), "OPTOUT");
    assert_eq!(find(&res, "EMAIL", "BULK"), "OPTOUT");
    assert_eq!(find(&res, "EMAIL", "TRANS"), "OPTIN");

    for (item, code) in [
        (
            json!({"channel": "pigeon", "priority": "BULK", "type": "OPTIN"}),
            1101,
        ),
        (
            json!({"channel": "SMS", "priority": "URGENT", "type": "OPTIN"}),
            1102,
        ),
        (
            json!({"channel": "SMS", "priority": "BULK", "type": "MAYBE"}),
            1106,
        ),
    ] {
        let (status, res) = post(
            &app,
            &format!("/v2/customers/{id}/subscriptions"),
            &json!({"subscriptions": [item]}),
        )
        .await;
        assert_eq!(
            (status, res["errors"][0]["code"].as_i64()),
            (400, Some(code)),
            "{res}"
        );
    }
    let bad_scope = json!({"scope": {"scope": "ORG"}, "subscriptions": [{"channel": "SMS", "priority": "BULK", "type": "OPTIN"}]});
    let (status, res) = post(
        &app,
        &format!("/v2/customers/{id}/subscriptions"),
        &bad_scope,
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(1103)),
        "{res}"
    );
});

both_backends!(change_identifier_adds_removes_and_links_cards, |app| {
    let id = register(&app, &instore("6591230004")).await;
    let other = register(
        &app,
        &json!({"profiles": [{"source": "INSTORE",
        "identifiers": [{"type": "email", "value": "taken@example.com"}]}]}),
    )
    .await;
    let path = format!("/v2/customers/{id}/changeIdentifier?source=INSTORE");
    let add = json!({"add": [{"type": "email", "value": "Ada@Example.com"},
        {"type": "cardnumber", "value": "DEMO0001", "seriesCode": "DEMOCARD", "statusLabel": "ACTIVE", "cardExternalId": "EXT-1"}]});
    let (status, res) = post(&app, &path, &add).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res, json!({"createdId": id, "warnings": []}));
    for (name, value) in [
        ("email", "ada@example.com"),
        ("cardnumber", "DEMO0001"),
        ("cardExternalId", "EXT-1"),
    ] {
        let (status, res) = app
            .get_as_demo(&format!(
                "/v2/customers/lookup?source=INSTORE&identifierName={name}&identifierValue={value}"
            ))
            .await;
        assert_eq!(
            (status, res["entity"].as_i64()),
            (200, Some(id)),
            "{name}: {res}"
        );
    }
    // Someone else's email: 1016. Delink the card; swap the mobile.
    let (status, res) = post(
        &app,
        &path,
        &json!({"add": [{"type": "email", "value": "taken@example.com"}]}),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(1016)),
        "{res}"
    );
    assert!(other > 0);
    // A customer the org does not have: 8009, as documented.
    let (status, res) = post(
        &app,
        "/v2/customers/987654/changeIdentifier?source=INSTORE",
        &json!({"add": [{"type": "email", "value": "nobody@example.com"}]}),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(8009)),
        "{res}"
    );
    let (status, res) = post(
        &app,
        &path,
        &json!({"add": [{"type": "cardnumber", "value": "DEMO0001", "statusLabel": "NOT_ISSUED"}]}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let (status, _) = app
        .get_as_demo("/v2/customers/lookup?source=INSTORE&identifierName=cardExternalId&identifierValue=EXT-1")
        .await;
    assert_eq!(status, 404);
    let swap = json!({"remove": [{"type": "mobile", "value": "6591230004"}], "add": [{"type": "mobile", "value": "6591230005"}]});
    let (status, res) = post(&app, &path, &swap).await;
    assert_eq!(status, 200, "{res}");
    let (_, res) = app
        .get_as_demo(
            "/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=6591230005",
        )
        .await;
    assert_eq!(res["entity"], id);
    let (status, res) = post(&app, &path, &json!({})).await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(400))
    );
    let (status, res) = post(
        &app,
        &format!("/v2/customers/{id}/changeIdentifier?source=ECOMMERCE"),
        &add,
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (404, Some(8065)),
        "{res}"
    );
});

both_backends!(customers_are_invisible_to_other_orgs, |app| {
    let id = register(&app, &instore("6591230006")).await;
    app.apply(
        r#"
[org]
code = "acme"
name = "Acme"
time_zone = "UTC"
currency = "USD"
country = "SG"

[[concepts]]
code = "main"
name = "Main"

[[stores]]
code = "dt"
name = "Downtown"
concept = "main"

[[tills]]
code = "acme.till"
store = "dt"
password = "acme-pw"
"#,
    )
    .await;
    let acme = |m: Method, p: &str| app.as_till("acme.till", "acme-pw", m, p);
    let (status, res) = send(acme(
        Method::GET,
        "/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=6591230006",
    ))
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (404, Some(8015)),
        "{res}"
    );
    for path in [
        format!("/v2/customers/{id}"),
        format!("/v2/customers/{id}/statusLog"),
        format!("/v2/customers/{id}/subscriptions"),
    ] {
        let (status, _) = send(acme(Method::GET, &path)).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = send(
        acme(Method::PUT, &format!("/v2/customers/{id}"))
            .json(&json!({"extendedFields": {"a": "b"}})),
    )
    .await;
    assert_eq!(status, 404);
    // The same mobile registers independently in the other org.
    let (status, res) =
        send(acme(Method::POST, "/v2/customers").json(&instore("6591230006"))).await;
    assert_eq!(status, 200, "{res}");
    assert_ne!(res["createdId"].as_i64(), Some(id));
});

both_backends!(
    concurrent_registrations_of_one_mobile_create_one_customer,
    |app| {
        let mut tasks = Vec::new();
        for i in 0..16 {
            let req = app
                .till(Method::POST, "/v2/customers")
                .json(&json!({"profiles": [{
            "firstName": format!("Racer{i}"), "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": "+65 9123 0007"}]}]}));
            tasks.push(tokio::spawn(send(req)));
        }
        let mut ids = std::collections::BTreeSet::new();
        for t in tasks {
            let (status, res) = t.await.unwrap();
            assert_eq!(status, 200, "{res}");
            ids.insert(res["createdId"].as_i64().unwrap());
        }
        assert_eq!(ids.len(), 1, "{ids:?}");
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customers")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
);

both_backends!(demo_customer_config_applies_idempotently, |app| {
    let again = app.apply(common::DEMO_ORG).await;
    assert!(!again.changed(), "{again:?}");
});
