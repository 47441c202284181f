//! Wire conformance: each fixture in `tests/conformance/` is a sample response from
//! Capillary's published API reference. The same call is made against Fidelis (with the
//! demo org's data) and the answer must have the sample's shape: every documented key, at
//! the same nesting, with the same JSON type (arrays are compared by their first element).
//! A documented key Fidelis does not answer is listed with the reason, and docs/api.md
//! says why; a listed key that Fidelis does answer fails the test, so the list stays true.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

/// The documented sample response of a fixture.
macro_rules! documented {
    ($name:literal) => {{
        let f: Value =
            serde_json::from_str(include_str!(concat!("conformance/", $name, ".json"))).unwrap();
        f["response"].clone()
    }};
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Objects whose keys are the caller's data, not the API's (only their type is compared).
const FREE_FORM: [&str; 5] = [
    "customFields",
    "extendedFields",
    "attributes",
    "fields",
    "customPropertyMap",
];

/// Where `ours` differs in shape from `doc`: `path: problem` for each documented key that is
/// missing or of another JSON type. A documented `null` matches anything.
fn differences(path: &str, ours: &Value, doc: &Value, out: &mut Vec<String>) {
    let free_form = FREE_FORM
        .iter()
        .any(|f| path == *f || path.ends_with(&format!(".{f}")));
    match (doc, ours) {
        (Value::Null, _) => {}
        (Value::Object(_), Value::Object(_)) if free_form => {}
        (Value::Object(d), Value::Object(o)) => {
            for (k, dv) in d {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match o.get(k) {
                    Some(ov) => differences(&p, ov, dv, out),
                    None => out.push(format!("{p}: missing")),
                }
            }
        }
        (Value::Array(d), Value::Array(o)) => {
            if let (Some(dv), Some(ov)) = (d.first(), o.first()) {
                differences(&format!("{path}[]"), ov, dv, out);
            }
        }
        (d, o) if kind(d) == kind(o) => {}
        (d, o) => out.push(format!("{path}: {} where documented {}", kind(o), kind(d))),
    }
}

/// Checks `ours` against the documented sample; `not_answered` lists the differences
/// Fidelis keeps on purpose.
fn conforms(name: &str, ours: &Value, doc: &Value, not_answered: &[&str]) {
    let mut diff = Vec::new();
    differences("", ours, doc, &mut diff);
    let unexpected: Vec<&String> = diff
        .iter()
        .filter(|d| !not_answered.iter().any(|n| d.starts_with(&format!("{n}:"))))
        .collect();
    let stale: Vec<&&str> = not_answered
        .iter()
        .filter(|n| !diff.iter().any(|d| d.starts_with(&format!("{n}:"))))
        .collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "{name}: differs from the documented sample in {unexpected:#?}; listed but conforming: \
         {stale:?}\nour answer: {ours}"
    );
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, res) = app.get_as_demo(path).await;
    assert_eq!(status, 200, "{path}: {res}");
    res
}

async fn post(app: &TestApp, method: Method, path: &str, body: &Value) -> Value {
    let (status, res) = send(app.till(method, path).json(body)).await;
    assert_eq!(status, 200, "{path}: {res}");
    res
}

fn person(mobile: &str) -> Value {
    json!({"profiles": [{"firstName": "Capillary", "lastName": "Customer", "source": "INSTORE",
        "fields": {"gender": "MALE"},
        "identifiers": [{"type": "mobile", "value": mobile}, {"type": "email", "value": format!("{mobile}@mail.com")}]}],
        "extendedFields": {"city": "Singapore"}})
}

both_backends!(documented_samples_of_organization_and_fleet, |app| {
    let res = get(&app, "/v2/organization/programs").await;
    conforms(
        "v2_organization_programs",
        &res,
        &documented!("v2_organization_programs"),
        &[],
    );

    for (ext, parent) in [("Purple2345", None), ("ppartner435", Some("Purple2345"))] {
        let mut body = json!({"name": format!("Company {ext}"), "externalId": ext,
            "hierarchyDefinitionCode": "fleet", "extendedFields": {"owner": "James"}});
        if let Some(p) = parent {
            body["parentCompany"] = json!({"externalId": p});
        }
        post(&app, Method::POST, "/v2/companies", &body).await;
    }
    let res = get(
        &app,
        "/v2/companies/all?limit=100&status=ACTIVE&sortOrder=DESC&sortBy=createdDate",
    )
    .await;
    conforms(
        "v2_companies_all",
        &res,
        &documented!("v2_companies_all"),
        &[],
    );

    let res = get(&app, "/v2/fleetHierarchy/all").await;
    conforms(
        "v2_fleet_hierarchy_all",
        &res,
        &documented!("v2_fleet_hierarchy_all"),
        &[
            "entity[].createdBy",
            "entity[].createdOn",
            "entity[].roles[].createdBy",
            "entity[].roles[].createdOn",
        ],
    );

    let mut owner = person("6591000071");
    owner["associationDetails"] = json!({"hierarchyCode": "fleet", "roleCode": "OWNER",
        "childCustomers": [person("6591000072"), person("6591000073")]});
    post(&app, Method::POST, "/v2/customers/bulk", &json!([owner])).await;
    let res = get(&app, "/v2/customers/bulk?source=INSTORE&associationEntityType=parentCustomer&associationEntityIdentifierType=mobile&associationEntityIdentifierValue=6591000071&limit=10&offset=0&sortOrder=DESC").await;
    conforms(
        "v2_customers_bulk_children",
        &res,
        &documented!("v2_customers_bulk_children"),
        &[],
    );
});

both_backends!(documented_samples_of_transactions_and_goodwill, |app| {
    let body = json!({"profiles": [{"firstName": "Tom", "lastName": "Sawyer", "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": "919999999999"}, {"type": "email", "value": "tom.sawyer@example.com"}, {"type": "externalId", "value": "ts1234"}]}]});
    let customer = post(&app, Method::POST, "/v2/customers", &body).await["createdId"]
        .as_i64()
        .unwrap();
    let bill: Value = serde_json::from_str(include_str!("data/c1_regular.json")).unwrap();
    let created = post(
        &app,
        Method::POST,
        "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue=919999999999",
        &bill,
    )
    .await["createdId"]
        .as_i64()
        .unwrap();
    let res = get(&app, &format!("/v2/transactions/{created}?type=REGULAR")).await;
    conforms(
        "v2_transaction_get",
        &res,
        &documented!("v2_transaction_get"),
        &[
            "attribution.createdBy.timeZoneId",
            "attribution.createdBy.currencyId",
            "attribution.createdBy.languageId",
            "billDetails.billingStore.timeZoneId",
            "billDetails.billingStore.currencyId",
            "billDetails.billingStore.languageId",
            "creditNote",
            "useV2",
            "lineItems[].id",
            "paymentModes[].attributes",
            "paymentModes[].id",
            "paymentModes[].orgPaymentModeId",
            "lifeTimePurchases",
        ],
    );

    let add = |points: u32, reference: &str| {
        json!({"root": {"request": [{"customer": {"mobile": "919999999999"},
            "comments": "pls issue a coupon for the failed transaction", "reason": "BILL_ISSUE",
            "type": "GOODWILL", "base_type": "POINTS", "points": points.to_string(),
            "reference_id": reference}]}})
    };
    post(
        &app,
        Method::POST,
        "/v1.1/request/add?format=json",
        &add(450, "gw-1"),
    )
    .await;
    let pending = post(
        &app,
        Method::POST,
        "/v1.1/request/add?format=json",
        &add(800, "gw-2"),
    )
    .await;
    let id = pending["response"]["requests"]["request"][0]["id"].clone();
    let decision = json!({"root": {"request": [{"type": "GOODWILL", "base_type": "POINTS",
        "id": id, "points": "800", "updated_comments": "Seems to a valid request. hence approving"}]}});
    let (status, res) = app.approve_goodwill(&decision).await;
    assert_eq!(status, 200, "{res}");
    conforms(
        "v11_request_approve",
        &res,
        &documented!("v11_request_approve"),
        &[],
    );
    let res = get(&app, &format!("/v2/customers/{customer}/goodwillRequest")).await;
    conforms(
        "v2_goodwill_history",
        &res,
        &documented!("v2_goodwill_history"),
        &[
            "data[].addedBy.id",
            "data[].addedBy.timeZoneId",
            "data[].addedBy.currencyId",
            "data[].addedBy.languageId",
            "data[].updatedBy.id",
            "data[].updatedBy.timeZoneId",
            "data[].updatedBy.currencyId",
            "data[].updatedBy.languageId",
            "data[].updatedComments",
        ],
    );
});

both_backends!(documented_samples_of_cards, |app| {
    let all = get(&app, "/v2/card/series/get/all").await;
    let series = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "DEMOCARD")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let res = post(
        &app,
        Method::POST,
        "/v2/card/generate",
        &json!({"seriesId": series, "count": 6, "statusLabel": "NOT_ISSUED"}),
    )
    .await;
    conforms(
        "v2_card_generate",
        &res,
        &documented!("v2_card_generate"),
        &[],
    );
    let number = res["entity"][0].as_str().unwrap().to_string();
    let res = get(&app, &format!("/v2/card/generation/logs/{series}")).await;
    conforms(
        "v2_card_generation_log",
        &res,
        &documented!("v2_card_generation_log"),
        &["entity[].createdBy", "entity[].fileHandle"],
    );
    let res = get(&app, &format!("/v2/card?number={number}")).await;
    conforms(
        "v2_card_get",
        &res,
        &documented!("v2_card_get"),
        &[
            "entityCode",
            "entityId",
            "issuedDate",
            "maxActiveCards",
            "statusInfo.createdBy",
            "statusInfo.id",
            "statusInfo.labelId",
        ],
    );
    let update = json!({"code": "DEMOCARD", "name": "Gold Card 23", "type": "PHYSICAL",
        "expiryDays": 500, "cardExpiryEnabled": true,
        "cardGenerationConfiguration": {"prefix": "DEMO", "suffix": "", "length": 12, "method": "DEFAULT"},
        "cardGenerationEnabled": true, "isActive": true, "trigger": "SERIES_ID",
        "maxActiveCardsPerCustomer": 3});
    let res = post(
        &app,
        Method::PUT,
        &format!("/v2/card/series/{series}"),
        &update,
    )
    .await;
    conforms(
        "v2_card_series_update",
        &res,
        &documented!("v2_card_series_update"),
        &["lastUpdateBy", "cardGenerationConfiguration.lastUpdatedBy"],
    );
});
