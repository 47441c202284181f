//! Companies: the `/v2/companies` API, sub-companies, deactivation, and customers linked
//! through `fleetCompany` in `/v2/customers/bulk`.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

fn person(mobile: &str) -> Value {
    json!({"profiles": [{"firstName": format!("P{mobile}"), "source": "INSTORE",
        "identifiers": [{"type": "mobile", "value": mobile}]}]})
}

fn with_association(mut c: Value, details: Value) -> Value {
    c["associationDetails"] = details;
    c
}

async fn company(app: &TestApp, method: Method, body: &Value) -> (u16, Value) {
    send(app.till(method, "/v2/companies").json(body)).await
}

async fn create(app: &TestApp, ext: &str, parent: Option<&str>) -> Value {
    let mut body = json!({"name": format!("Company {ext}"), "externalId": ext,
        "hierarchyDefinitionCode": "fleet"});
    if let Some(p) = parent {
        body["parentCompany"] = json!({"externalId": p});
    }
    let (status, res) = company(app, Method::POST, &body).await;
    assert_eq!(status, 200, "{res}");
    res
}

fn code(res: &Value) -> Option<i64> {
    res["errors"][0]["code"].as_i64()
}

async fn bulk(app: &TestApp, method: Method, body: &Value) -> (u16, Value) {
    send(app.till(method, "/v2/customers/bulk").json(body)).await
}

both_backends!(company_api_and_sub_companies, |app| {
    let body = json!({"name": "Acme Logistics", "externalId": "ACME",
        "hierarchyDefinitionCode": "fleet", "extendedFields": {"Region": "North"}});
    let (status, res) = company(&app, Method::POST, &body).await;
    assert_eq!(status, 200, "{res}");
    let acme_id = res["companyId"].as_i64().unwrap();
    assert_eq!(res["externalId"], "ACME");
    assert_eq!(res["name"], "Acme Logistics");
    assert_eq!(res["hierarchyDefinitionCode"], "fleet");
    assert_eq!(res["extendedFields"], json!({"region": "North"}));
    assert_eq!(res["warnings"], json!([]));
    let east = create(&app, "ACME-EAST", Some("ACME")).await;
    assert_eq!(east["parentCompany"]["companyId"], acme_id);
    assert_eq!(east["parentCompany"]["externalId"], "ACME");

    let (status, res) = app.get_as_demo("/v2/companies?externalId=ACME-EAST").await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["companyId"], east["companyId"]);
    let (status, res) = app.get_as_demo("/v2/companies?limit=1&offset=1").await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["data"].as_array().unwrap().len(), 1);
    assert_eq!(res["data"][0]["externalId"], "ACME-EAST");
    assert_eq!(
        res["pagination"],
        json!({"limit": 1, "offset": 1, "total": 2})
    );
    assert_eq!(res["data"][0]["isActive"], true, "{res}");
    // Capillary's "Get Org Companies" call, as documented: newest first.
    let (status, res) = app
        .get_as_demo("/v2/companies/all?limit=100&status=ACTIVE&sortOrder=DESC&sortBy=createdDate")
        .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        res["pagination"],
        json!({"limit": 100, "offset": 0, "sortBy": "createdDate", "sortOrder": "DESC", "total": 2})
    );
    let order: Vec<&str> = res["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["externalId"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["ACME-EAST", "ACME"]);
    assert_eq!(res["data"][0]["parentCompany"]["externalId"], "ACME");
    let (_, res) = app
        .get_as_demo("/v2/companies/all?limit=1&offset=1&sortOrder=DESC")
        .await;
    assert_eq!(res["data"][0]["externalId"], "ACME", "{res}");
    let (_, res) = app.get_as_demo("/v2/companies/all?limit=1&offset=1").await;
    assert_eq!(res["data"][0]["externalId"], "ACME-EAST", "{res}");
    let (status, _) = app
        .get_as_demo("/v2/companies/all?sortOrder=SIDEWAYS")
        .await;
    assert_eq!(status, 400);

    // Update: name and fields change, the parent is kept when not named.
    let (status, res) = company(
        &app,
        Method::PUT,
        &json!({"externalId": "ACME-EAST", "name": "Acme East", "extendedFields": {"size": 3}}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["name"], "Acme East");
    assert_eq!(res["extendedFields"], json!({"size": 3}));
    assert_eq!(res["parentCompany"]["externalId"], "ACME");

    // Duplicate externalId, bad hierarchy, missing name, unknown parent.
    let (status, res) = company(&app, Method::POST, &body).await;
    assert_eq!((status, code(&res)), (400, Some(1702)), "{res}");
    let mut bad = body.clone();
    bad["externalId"] = json!("OTHER");
    bad["hierarchyDefinitionCode"] = json!("nope");
    let (status, res) = company(&app, Method::POST, &bad).await;
    assert_eq!((status, code(&res)), (400, Some(1707)), "{res}");
    let (status, res) = company(
        &app,
        Method::POST,
        &json!({"externalId": "X", "hierarchyDefinitionCode": "fleet"}),
    )
    .await;
    assert_eq!((status, code(&res)), (400, Some(1701)), "{res}");
    let (_, res) = company(
        &app,
        Method::POST,
        &json!({"externalId": "X", "name": "X", "hierarchyDefinitionCode": "fleet",
            "parentCompany": {"externalId": "GHOST"}}),
    )
    .await;
    assert_eq!(code(&res), Some(1705), "{res}");
    let (status, res) = company(
        &app,
        Method::POST,
        &json!({"name": "X", "hierarchyDefinitionCode": "fleet"}),
    )
    .await;
    assert_eq!((status, code(&res)), (400, Some(1703)), "{res}");

    // Cycles: ACME under its own sub-company, or under itself.
    let (status, res) = company(
        &app,
        Method::PUT,
        &json!({"externalId": "ACME", "parentCompany": {"externalId": "ACME-EAST"}}),
    )
    .await;
    assert_eq!((status, code(&res)), (400, Some(1706)), "{res}");
    let (_, res) = company(
        &app,
        Method::PUT,
        &json!({"externalId": "ACME", "parentCompany": {"externalId": "ACME"}}),
    )
    .await;
    assert_eq!(code(&res), Some(1706), "{res}");
    // The hierarchy of a company does not change.
    let (_, res) = company(
        &app,
        Method::PUT,
        &json!({"externalId": "ACME", "hierarchyDefinitionCode": "other"}),
    )
    .await;
    assert_eq!(code(&res), Some(1709), "{res}");
    // A blank parent makes a top company.
    let (status, res) = company(
        &app,
        Method::PUT,
        &json!({"externalId": "ACME-EAST", "parentCompany": {"externalId": ""}}),
    )
    .await;
    assert_eq!(
        (status, res["parentCompany"].clone()),
        (200, Value::Null),
        "{res}"
    );
    let (status, res) = app.get_as_demo("/v2/companies?externalId=NOPE").await;
    assert_eq!((status, code(&res)), (404, Some(1704)), "{res}");
    let (status, res) = company(
        &app,
        Method::PUT,
        &json!({"externalId": "NOPE", "name": "x"}),
    )
    .await;
    assert_eq!((status, code(&res)), (404, Some(1704)), "{res}");
});

both_backends!(delete_deactivates_sub_companies_not_customers, |app| {
    create(&app, "TOP", None).await;
    create(&app, "MID", Some("TOP")).await;
    create(&app, "LOW", Some("MID")).await;
    create(&app, "ASIDE", None).await;
    let driver = with_association(
        person("6590002001"),
        json!({"fleetCompany": {"externalId": "LOW"}}),
    );
    let (status, res) = bulk(&app, Method::POST, &json!([driver])).await;
    assert_eq!(status, 200, "{res}");
    let customer = res[0]["entity"]["id"].as_i64().unwrap();

    let (status, res) = send(app.till(Method::DELETE, "/v2/companies?externalId=MID")).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["success"], true);
    for (ext, want) in [("TOP", 200), ("MID", 404), ("LOW", 404), ("ASIDE", 200)] {
        let (status, res) = app
            .get_as_demo(&format!("/v2/companies?externalId={ext}"))
            .await;
        assert_eq!(status, want, "{ext}: {res}");
    }
    let (_, res) = app.get_as_demo("/v2/companies").await;
    assert_eq!(res["pagination"]["total"], 2, "{res}");
    // The customer stays active; the deactivated company takes nobody new.
    let (status, res) = app.get_as_demo(&format!("/v2/customers/{customer}")).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["customerStatus"]["status"], "ACTIVE");
    let again = with_association(
        person("6590002002"),
        json!({"fleetCompany": {"externalId": "LOW"}}),
    );
    let (status, res) = bulk(&app, Method::POST, &json!([again])).await;
    assert_eq!(
        (status, res[0]["errors"][0]["code"].as_i64()),
        (201, Some(1704)),
        "{res}"
    );
    let (status, res) = send(app.till(Method::DELETE, "/v2/companies?externalId=LOW")).await;
    assert_eq!((status, code(&res)), (404, Some(1704)), "{res}");
    // A deactivated company keeps its externalId.
    let (_, res) = company(
        &app,
        Method::POST,
        &json!({"name": "Again", "externalId": "MID", "hierarchyDefinitionCode": "fleet"}),
    )
    .await;
    assert_eq!(code(&res), Some(1702), "{res}");
    // A sub-company cannot go under a deactivated one.
    let (_, res) = company(
        &app,
        Method::PUT,
        &json!({"externalId": "ASIDE", "parentCompany": {"externalId": "MID"}}),
    )
    .await;
    assert_eq!(code(&res), Some(1705), "{res}");
});

both_backends!(bulk_fleet_company_links_and_lists_customers, |app| {
    let acme = create(&app, "ACME", None).await;
    let acme_id = acme["companyId"].as_i64().unwrap();
    // Company only, then an owner with two drivers, all in the company.
    let solo = with_association(
        person("6590003001"),
        json!({"fleetCompany": {"externalId": "ACME"}}),
    );
    let owner = with_association(
        person("6590003002"),
        json!({"roleCode": "OWNER", "fleetCompany": {"externalId": "ACME"},
               "childCustomers": [person("6590003003"), person("6590003004")]}),
    );
    let (status, res) = bulk(&app, Method::POST, &json!([solo, owner])).await;
    assert_eq!(status, 200, "{res}");
    let fc = json!({"externalId": "ACME", "companyId": acme_id});
    assert_eq!(
        res[0]["entity"]["associationDetails"]["fleetCompany"], fc,
        "{res}"
    );
    let el = &res[1];
    assert_eq!(el["entity"]["associationDetails"]["hierarchyCode"], "fleet");
    assert_eq!(el["entity"]["associationDetails"]["roleCode"], "OWNER");
    assert_eq!(el["entity"]["associationDetails"]["fleetCompany"], fc);
    assert_eq!(el["childSuccessCount"], 2);
    assert_eq!(
        el["childEntities"][1]["associationDetails"]["fleetCompany"],
        fc
    );

    let list = "/v2/customers/bulk?associationEntityType=company&associationEntityIdentifierType=externalId&associationEntityIdentifierValue=ACME";
    let (status, res) = app.get_as_demo(list).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["pagination"]["total"], 4, "{res}");
    let data = res["data"].as_array().unwrap();
    assert_eq!(data.len(), 4);
    assert!(data
        .iter()
        .all(|c| c["associationDetails"]["fleetCompany"] == fc));
    let (_, res) = app.get_as_demo(&format!("{list}&limit=3&offset=3")).await;
    assert_eq!(res["data"].as_array().unwrap().len(), 1, "{res}");

    // PUT moves a customer to another company.
    create(&app, "BETA", None).await;
    let moved = with_association(
        person("6590003001"),
        json!({"fleetCompany": {"externalId": "BETA"}}),
    );
    let (status, res) = bulk(&app, Method::PUT, &json!([moved])).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        res[0]["associationDetails"]["fleetCompany"]["externalId"],
        "BETA"
    );
    let (_, res) = app.get_as_demo(list).await;
    assert_eq!(res["pagination"]["total"], 3, "{res}");

    // Unknown company: the element fails with 1704, and so does the listing.
    let ghost = with_association(
        person("6590003009"),
        json!({"fleetCompany": {"externalId": "GHOST"}}),
    );
    let (status, res) = bulk(&app, Method::POST, &json!([ghost])).await;
    assert_eq!(
        (status, res[0]["errors"][0]["code"].as_i64()),
        (201, Some(1704)),
        "{res}"
    );
    let (status, res) = app
        .get_as_demo("/v2/customers/bulk?associationEntityType=company&associationEntityIdentifierType=externalId&associationEntityIdentifierValue=GHOST")
        .await;
    assert_eq!((status, code(&res)), (404, Some(1704)), "{res}");
    let (status, res) = app
        .get_as_demo("/v2/customers/bulk?associationEntityType=company&associationEntityIdentifierType=mobile&associationEntityIdentifierValue=1")
        .await;
    assert_eq!((status, code(&res)), (400, Some(400)), "{res}");
});

both_backends!(companies_are_found_by_extended_field, |app| {
    // Company fields are free-form: the org declares fields for customers only.
    for (ext, region, size) in [
        ("c-north-1", "North", 12),
        ("c-north-2", "north", 30),
        ("c-south", "South", 12),
    ] {
        let (status, res) = send(app.till(Method::POST, "/v2/companies").json(&json!({
            "name": ext, "externalId": ext, "hierarchyDefinitionCode": "fleet",
            "extendedFields": {"region": region, "fleet_size": size}
        })))
        .await;
        assert_eq!(status, 200, "{res}");
    }
    let (status, res) = app
        .get_as_demo("/v2/companies/extendedFieldSearch?extendedFieldName=region&q=NORTH")
        .await;
    assert_eq!(status, 200, "{res}");
    let ids: Vec<_> = res["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["externalId"].clone())
        .collect();
    assert_eq!(ids, [json!("c-north-1"), json!("c-north-2")]);
    assert_eq!(res["pagination"]["total"], 2);
    let (_, res) = app
        .get_as_demo("/v2/companies/extendedFieldSearch?name=fleet_size&value=12&limit=1&offset=1")
        .await;
    assert_eq!(res["pagination"]["total"], 2);
    assert_eq!(res["data"][0]["externalId"], "c-south");
    let (status, res) = app
        .get_as_demo("/v2/companies/extendedFieldSearch?name=region")
        .await;
    assert_eq!(status, 400, "{res}");
    assert_eq!(res["errors"][0]["code"], 1708);
});
