//! Fleet customers: hierarchies, bulk registration with associations, role and cycle rules.

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

async fn bulk(app: &TestApp, method: Method, body: &Value) -> (u16, Value) {
    send(app.till(method, "/v2/customers/bulk").json(body)).await
}

both_backends!(owner_with_two_drivers_then_forbidden_links, |app| {
    let owner = with_association(
        person("6590000001"),
        json!({"hierarchyCode": "fleet", "roleCode": "OWNER",
               "childCustomers": [person("6590000002"), person("6590000003")]}),
    );
    let (status, res) = bulk(&app, Method::POST, &json!([owner])).await;
    assert_eq!(status, 200, "{res}");
    let el = &res[0];
    assert_eq!(el["childCount"], 2);
    assert_eq!(el["childSuccessCount"], 2);
    assert_eq!(el["childFailureCount"], 0);
    let owner_id = el["entity"]["id"].as_i64().unwrap();
    assert_eq!(el["entity"]["associationDetails"]["hierarchyCode"], "fleet");
    assert_eq!(el["entity"]["associationDetails"]["roleCode"], "OWNER");
    assert_eq!(
        el["entity"]["associationDetails"]["childRoleCode"],
        "DRIVER"
    );
    let driver = &el["childEntities"][0];
    assert_eq!(driver["associationDetails"]["roleCode"], "DRIVER");
    assert_eq!(driver["associationDetails"]["parentCustomerId"], owner_id);

    let (status, res) = app
        .get_as_demo("/v2/customers/bulk?source=INSTORE&associationEntityType=parentCustomer&associationEntityIdentifierType=mobile&associationEntityIdentifierValue=6590000001")
        .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        res["entity"]["customers"].as_array().unwrap().len(),
        2,
        "{res}"
    );
    assert_eq!(res["entity"]["count"], 2);
    assert_eq!(res["success"], true);

    // A third level: a driver under a driver.
    let third = with_association(
        person("6590000004"),
        json!({"hierarchyCode": "fleet", "roleCode": "DRIVER", "parentCustomer": person("6590000002")}),
    );
    let (status, res) = bulk(&app, Method::POST, &json!([third])).await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(res[0]["errors"][0]["code"], 1617, "{res}");
    // Children of a driver: the hierarchy has no role below DRIVER, and the element fails
    // whole.
    let below = with_association(
        person("6590000002"),
        json!({"hierarchyCode": "fleet", "roleCode": "DRIVER", "childCustomers": [person("6590000005")]}),
    );
    let (status, res) = bulk(&app, Method::PUT, &json!([below])).await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(res[0]["errors"][0]["code"], 1617, "{res}");
    // A cycle: the owner under its own driver.
    let cycle = with_association(
        person("6590000001"),
        json!({"hierarchyCode": "fleet", "roleCode": "DRIVER", "parentCustomer": person("6590000003")}),
    );
    let (status, res) = bulk(&app, Method::PUT, &json!([cycle])).await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(res[0]["errors"][0]["code"], 1608, "{res}");
    // Unknown hierarchy and role.
    let unknown = with_association(
        person("6590000006"),
        json!({"hierarchyCode": "nope", "roleCode": "OWNER"}),
    );
    let (_, res) = bulk(&app, Method::POST, &json!([unknown])).await;
    assert_eq!(res[0]["errors"][0]["code"], 1616, "{res}");
    let role = with_association(
        person("6590000006"),
        json!({"hierarchyCode": "fleet", "roleCode": "PILOT"}),
    );
    let (_, res) = bulk(&app, Method::POST, &json!([role])).await;
    assert_eq!(res[0]["errors"][0]["code"], 1615, "{res}");
    // Not an array, and over the batch limit.
    let (status, res) = bulk(&app, Method::POST, &json!({"profiles": []})).await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(400)),
        "{res}"
    );
    let many: Vec<Value> = (0..101)
        .map(|i| person(&format!("65900{:05}", i)))
        .collect();
    let (status, res) = bulk(&app, Method::POST, &json!(many)).await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(1060)),
        "{res}"
    );
});

both_backends!(hierarchy_api_and_max_children, |app| {
    let def = json!({"code": "tiny", "name": "Tiny", "roles": [
        {"code": "BOSS", "childRoleCode": "CREW", "maxChild": 1, "permissions": [{"permissionCode": "earn_points", "permissionValue": true}]},
        {"code": "CREW"}]});
    let (status, res) = send(app.till(Method::POST, "/v2/fleetHierarchy").json(&def)).await;
    assert_eq!(status, 200, "{res}");
    let id = res["entity"].as_i64().unwrap();
    assert_eq!(res["warnings"], json!([]));
    let (status, res) = send(app.till(Method::POST, "/v2/fleetHierarchy").json(&def)).await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(1600)),
        "{res}"
    );
    let (status, res) = app
        .get_as_demo(&format!("/v2/fleetHierarchy?id={id}"))
        .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["code"], "tiny");
    assert_eq!(res["roles"][0]["maxChild"], 1);
    assert_eq!(
        res["roles"][0]["permissions"][0]["permissionCode"],
        "earn_points"
    );
    assert_eq!(res["active"], true);
    let (_, res) = app.get_as_demo("/v2/fleetHierarchy").await;
    assert_eq!(res["data"].as_array().unwrap().len(), 2);
    // Capillary's documented list and update-by-id paths.
    let (status, res) = app.get_as_demo("/v2/fleetHierarchy/all").await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["entity"].as_array().unwrap().len(), 2, "{res}");
    let mut renamed = def.clone();
    renamed["name"] = json!("Tiny, renamed");
    let (status, res) = send(
        app.till(Method::PUT, &format!("/v2/fleetHierarchy/{id}"))
            .json(&renamed),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res, json!({"entity": id, "warnings": []}));
    let (_, res) = app
        .get_as_demo(&format!("/v2/fleetHierarchy?id={id}"))
        .await;
    assert_eq!(res["name"], "Tiny, renamed");
    let mut recoded = def.clone();
    recoded["code"] = json!("fleet");
    let (status, _) = send(
        app.till(Method::PUT, &format!("/v2/fleetHierarchy/{id}"))
            .json(&recoded),
    )
    .await;
    assert_eq!(status, 400);
    let (status, res) = send(
        app.till(Method::PUT, "/v2/fleetHierarchy/987654")
            .json(&renamed),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (404, Some(1616)),
        "{res}"
    );
    let (status, res) = app.get_as_demo("/v2/fleetHierarchy?code=fleet").await;
    assert_eq!(
        (status, res["roles"][0]["maxChild"].as_i64()),
        (200, Some(50))
    );
    for (bad, code) in [
        (json!({"code": "x", "roles": [{"code": "A"}]}), 1601),
        (
            json!({"code": "", "roles": [{"code": "A", "childRoleCode": "B", "maxChild": 1}, {"code": "B"}]}),
            1613,
        ),
        (
            json!({"code": "x", "roles": [{"code": "A", "childRoleCode": "B", "maxChild": 1}, {"code": "B", "childRoleCode": "A", "maxChild": 1}]}),
            1608,
        ),
        (
            json!({"code": "x", "roles": [{"code": "A", "childRoleCode": "B", "maxChild": 30001}, {"code": "B"}]}),
            1605,
        ),
        (
            json!({"code": "x", "roles": [{"code": "A", "childRoleCode": "Z", "maxChild": 1}, {"code": "B"}]}),
            1607,
        ),
    ] {
        let (status, res) = send(app.till(Method::POST, "/v2/fleetHierarchy").json(&bad)).await;
        assert_eq!(
            (status, res["errors"][0]["code"].as_i64()),
            (400, Some(code)),
            "{bad}: {res}"
        );
    }
    let (status, res) = app.get_as_demo("/v2/fleetHierarchy?code=missing").await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (404, Some(1616))
    );

    let boss = with_association(
        person("6590001001"),
        json!({"hierarchyCode": "tiny", "roleCode": "BOSS",
        "childCustomers": [person("6590001002"), person("6590001003")]}),
    );
    let (status, res) = bulk(&app, Method::POST, &json!([boss])).await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(res[0]["errors"][0]["code"], 1618, "{res}");
    // With one child the element fits the hierarchy.
    let boss = with_association(
        person("6590001001"),
        json!({"hierarchyCode": "tiny", "roleCode": "BOSS",
        "childCustomers": [person("6590001002")]}),
    );
    let (status, res) = bulk(&app, Method::POST, &json!([boss])).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res[0]["childSuccessCount"], 1);
    assert_eq!(res[0]["childFailureCount"], 0);
    // A customer in one hierarchy cannot join another (1626).
    let other = with_association(
        person("6590001001"),
        json!({"hierarchyCode": "fleet", "roleCode": "OWNER"}),
    );
    let (_, res) = bulk(&app, Method::POST, &json!([other])).await;
    assert_eq!(res[0]["errors"][0]["code"], 1626, "{res}");
});

both_backends!(a_bulk_element_is_written_whole_or_not_at_all, |app| {
    async fn exists(app: &TestApp, mobile: &str) -> bool {
        let (status, _) = app
            .get_as_demo(&format!(
                "/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue={mobile}"
            ))
            .await;
        status == 200
    }
    // Children count toward the batch limit: one element with 3,000 children is refused
    // whole, and nobody is registered.
    let children: Vec<Value> = (0..3000)
        .map(|i| person(&format!("659{:07}", 2_000_000 + i)))
        .collect();
    let big = with_association(
        person("6590009001"),
        json!({"hierarchyCode": "fleet", "roleCode": "OWNER", "childCustomers": children}),
    );
    let (status, res) = bulk(&app, Method::POST, &json!([big])).await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(1060)),
        "{res}"
    );
    assert!(!exists(&app, "6590009001").await);
    assert!(!exists(&app, "6592000000").await);
    assert!(!exists(&app, "6592002999").await);
    // 99 elements plus two children is over the limit too.
    let mut many: Vec<Value> = (0..98)
        .map(|i| person(&format!("659{:07}", 3_000_000 + i)))
        .collect();
    many.push(with_association(
        person("6590009002"),
        json!({"hierarchyCode": "fleet", "roleCode": "OWNER",
               "childCustomers": [person("6590009003"), person("6590009004")]}),
    ));
    let (status, res) = bulk(&app, Method::POST, &json!(many)).await;
    assert_eq!(
        (status, res["errors"][0]["code"].as_i64()),
        (400, Some(1060)),
        "{res}"
    );
    assert!(!exists(&app, "6593000000").await);
    // Links that break max-children (1618): the element fails, and none of its
    // customers is created.
    let def = json!({"code": "duo", "name": "Duo", "roles": [
        {"code": "LEAD", "childRoleCode": "MATE", "maxChild": 1}, {"code": "MATE"}]});
    let (status, res) = send(app.till(Method::POST, "/v2/fleetHierarchy").json(&def)).await;
    assert_eq!(status, 200, "{res}");
    let lead = with_association(
        person("6590009101"),
        json!({"hierarchyCode": "duo", "roleCode": "LEAD",
               "childCustomers": [person("6590009102"), person("6590009103")]}),
    );
    let (status, res) = bulk(&app, Method::POST, &json!([lead])).await;
    assert_eq!(status, 201, "{res}");
    assert_eq!(res[0]["errors"][0]["code"], 1618, "{res}");
    assert_eq!(res[0]["entity"], Value::Null, "{res}");
    for mobile in ["6590009101", "6590009102", "6590009103"] {
        assert!(!exists(&app, mobile).await, "{mobile} was created");
    }
    // Within the limit, the element is written whole.
    let lead = with_association(
        person("6590009101"),
        json!({"hierarchyCode": "duo", "roleCode": "LEAD",
               "childCustomers": [person("6590009102")]}),
    );
    let (status, res) = bulk(&app, Method::POST, &json!([lead])).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res[0]["childSuccessCount"], 1, "{res}");
    assert!(exists(&app, "6590009102").await);
});
