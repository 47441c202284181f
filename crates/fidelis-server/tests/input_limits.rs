#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test

//! Every text field of the main request bodies is held to the same two rules at the wire
//! boundary: no NUL (or other control character) and no more characters than its limit
//! (`fidelis_server::text_limits`, docs/limits.md). Each field gets a NUL and a value one
//! character over its limit; both answer 400 with code 400 in the API's envelope on both
//! backends, and no table of the database changes.

mod common;

use common::{send, TestApp};
use fidelis_server::text_limits::{max_chars, FIELD_VALUE_MAX, NAME_MAX};
use reqwest::Method;
use serde_json::{json, Value};

/// The mark in a body template that the value under test replaces.
const MARK: &str = "@@";

/// How the field under test is limited.
#[derive(Clone, Copy, Debug)]
enum Limit {
    /// By its own name in the table.
    Named(&'static str),
    /// As an extended- or custom-field value.
    FieldValue,
    /// An object key (a field name).
    Key,
}

impl Limit {
    fn max(self) -> usize {
        match self {
            Self::Named(name) => max_chars(name).expect("a limited field"),
            Self::FieldValue => FIELD_VALUE_MAX,
            Self::Key => NAME_MAX,
        }
    }

    /// What the refusal names.
    fn field(self) -> &'static str {
        match self {
            Self::Named(name) => name,
            Self::FieldValue => "field value",
            Self::Key => "field name",
        }
    }
}

struct Case {
    method: Method,
    path: String,
    limit: Limit,
    /// The body, with `MARK` where the value under test goes (as a value, or as a key).
    body: Value,
}

fn case(method: Method, path: &str, limit: Limit, body: Value) -> Case {
    Case {
        method,
        path: path.to_string(),
        limit,
        body,
    }
}

/// Replaces `MARK` (string values and object keys) in `v` with `text`.
fn fill(v: &Value, text: &str) -> Value {
    match v {
        Value::String(s) if s == MARK => Value::String(text.to_string()),
        Value::Array(items) => Value::Array(items.iter().map(|i| fill(i, text)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let k = if k == MARK {
                        text.to_string()
                    } else {
                        k.clone()
                    };
                    (k, fill(v, text))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

const MOBILE: &str = "6590000700";
const TXN: &str =
    "/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue=6590000700";
const LOOKUP: &str =
    "/v2/customers/lookup?source=INSTORE&identifierName=mobile&identifierValue=6590000700";

/// Every text field of the main POST and PUT bodies; `id` is an existing customer.
fn cases(id: i64) -> Vec<Case> {
    use Limit::{FieldValue, Key, Named};
    let profile = |first: &str, last: &str, mobile: &str, email: &str| {
        json!({"profiles": [{"firstName": first, "lastName": last, "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": mobile}, {"type": "email", "value": email}]}]})
    };
    let new_customer = |extra: Value| {
        let mut body = json!({"profiles": [{"firstName": "Ann", "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": "6590000701"}]}]});
        if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
            b.extend(extra);
        }
        body
    };
    let bill = |extra: Value| {
        let mut body = json!({"type": "REGULAR", "billNumber": "B-1", "billAmount": "10"});
        if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
            b.extend(extra);
        }
        body
    };
    let goodwill = |item: Value| {
        let mut base = json!({"type": "GOODWILL", "base_type": "POINTS", "points": 10,
            "reason": "Service recovery", "customer": {"mobile": MOBILE}});
        if let (Some(b), Value::Object(item)) = (base.as_object_mut(), item) {
            b.extend(item);
        }
        json!({"root": {"request": [base]}})
    };
    let card = |extra: Value| {
        let mut body = json!({"seriesCode": "DEMOCARD", "cardNumber": "DC-T1",
            "statusLabel": "NOT_ISSUED"});
        if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
            b.extend(extra);
        }
        body
    };
    let by_id = format!("/v2/customers/{id}");
    let change = format!("/v2/customers/{id}/changeIdentifier?source=INSTORE");
    let post = Method::POST;
    let put = Method::PUT;
    vec![
        // Customers add.
        case(
            post.clone(),
            "/v2/customers",
            Named("firstName"),
            profile(MARK, "Lee", "6590000701", "a@example.com"),
        ),
        case(
            post.clone(),
            "/v2/customers",
            Named("lastName"),
            profile("Ann", MARK, "6590000701", "a@example.com"),
        ),
        case(
            post.clone(),
            "/v2/customers",
            Named("value"),
            profile("Ann", "Lee", MARK, "a@example.com"),
        ),
        case(
            post.clone(),
            "/v2/customers",
            Named("value"),
            profile("Ann", "Lee", "6590000701", MARK),
        ),
        case(
            post.clone(),
            "/v2/customers",
            Named("source"),
            json!({"profiles": [{"firstName": "Ann", "source": MARK,
            "identifiers": [{"type": "mobile", "value": "6590000701"}]}]}),
        ),
        case(
            post.clone(),
            "/v2/customers",
            Named("type"),
            json!({"profiles": [{"firstName": "Ann", "source": "INSTORE",
            "identifiers": [{"type": MARK, "value": "6590000701"}]}]}),
        ),
        case(
            post.clone(),
            "/v2/customers",
            Named("value"),
            json!({"profiles": [{"firstName": "Ann", "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": "6590000701"}],
            "commChannels": [{"type": "email", "value": MARK, "primary": true}]}]}),
        ),
        case(
            post.clone(),
            "/v2/customers",
            FieldValue,
            new_customer(json!({"extendedFields": {"city": MARK}})),
        ),
        case(
            post.clone(),
            "/v2/customers",
            Key,
            new_customer(json!({"extendedFields": {MARK: "x"}})),
        ),
        case(
            post.clone(),
            "/v2/customers",
            FieldValue,
            json!({"profiles": [{"firstName": "Ann", "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": "6590000701"}], "fields": {"nickname": MARK}}]}),
        ),
        case(
            post.clone(),
            "/v2/customers",
            Named("statusLabelReason"),
            new_customer(json!({"statusLabel": "Active", "statusLabelReason": MARK})),
        ),
        case(
            post.clone(),
            "/v2/customers",
            Named("tierExpiryDate"),
            new_customer(
                json!({"loyaltyProgramEnrollments": [{"programId": 1, "tierExpiryDate": MARK}]}),
            ),
        ),
        // Customers update, by lookup and by id.
        case(
            put.clone(),
            LOOKUP,
            Named("firstName"),
            json!({"profiles": [{"firstName": MARK}]}),
        ),
        case(
            put.clone(),
            LOOKUP,
            FieldValue,
            json!({"extendedFields": {"city": MARK}}),
        ),
        case(
            put.clone(),
            &by_id,
            Named("lastName"),
            json!({"profiles": [{"lastName": MARK}]}),
        ),
        case(
            put.clone(),
            &by_id,
            Named("statusLabelReason"),
            json!({"statusLabel": "Active", "statusLabelReason": MARK}),
        ),
        // Status change.
        case(
            put.clone(),
            &LOOKUP.replace("/lookup?", "/lookup/status?"),
            Named("reason"),
            json!({"label": "Active", "reason": MARK}),
        ),
        // Identifiers change.
        case(
            post.clone(),
            &change,
            Named("value"),
            json!({"add": [{"type": "email", "value": MARK}]}),
        ),
        case(
            post.clone(),
            &change,
            Named("value"),
            json!({"remove": [{"type": "mobile", "value": MARK}]}),
        ),
        case(
            post.clone(),
            &change,
            Named("type"),
            json!({"add": [{"type": MARK, "value": "x@example.com"}]}),
        ),
        // Transactions add: body and query.
        case(
            post.clone(),
            TXN,
            Named("billNumber"),
            bill(json!({"billNumber": MARK})),
        ),
        case(
            post.clone(),
            TXN,
            Named("note"),
            bill(json!({"note": MARK})),
        ),
        case(
            post.clone(),
            TXN,
            Named("notInterestedReason"),
            json!({"type": "NOT_INTERESTED", "billNumber": "B-2", "notInterestedReason": MARK}),
        ),
        case(
            post.clone(),
            TXN,
            Named("itemCode"),
            bill(json!({"lineItemsV2": [{"itemCode": MARK, "amount": 10}]})),
        ),
        case(
            post.clone(),
            TXN,
            Named("description"),
            bill(json!({"lineItemsV2": [{"itemCode": "I-1", "description": MARK, "amount": 10}]})),
        ),
        case(
            post.clone(),
            TXN,
            Named("notes"),
            bill(json!({"paymentModes": [{"mode": "CASH", "value": 10, "notes": MARK}]})),
        ),
        case(
            post.clone(),
            TXN,
            Named("mode"),
            bill(json!({"paymentModes": [{"mode": MARK, "value": 10}]})),
        ),
        case(
            post.clone(),
            TXN,
            FieldValue,
            bill(json!({"extendedFields": {"ship_city": MARK}})),
        ),
        case(
            post.clone(),
            TXN,
            FieldValue,
            bill(json!({"customFields": {"channel": MARK}})),
        ),
        case(
            post.clone(),
            TXN,
            Named("currencyCode"),
            bill(json!({"currencyCode": MARK})),
        ),
        case(
            post.clone(),
            &TXN.replace("identifierValue=6590000700", "identifierValue=@@"),
            Named("identifierValue"),
            bill(json!({})),
        ),
        // Goodwill requests.
        case(
            post.clone(),
            "/v1.1/request/add?format=json",
            Named("reason"),
            goodwill(json!({"reason": MARK})),
        ),
        case(
            post.clone(),
            "/v1.1/request/add?format=json",
            Named("comments"),
            goodwill(json!({"comments": MARK})),
        ),
        case(
            post.clone(),
            "/v1.1/request/add?format=json",
            Named("reference_id"),
            goodwill(json!({"reference_id": MARK})),
        ),
        case(
            post.clone(),
            "/v1.1/request/add?format=json",
            Named("type"),
            goodwill(json!({"type": MARK})),
        ),
        case(
            post.clone(),
            "/v1.1/request/add?format=json",
            Named("mobile"),
            goodwill(json!({"customer": {"mobile": MARK}})),
        ),
        case(
            post.clone(),
            "/v1.1/request/add?format=json",
            Named("email"),
            goodwill(json!({"customer": {"email": MARK}})),
        ),
        case(
            post.clone(),
            "/v1.1/request/add?format=json",
            Named("external_id"),
            goodwill(json!({"customer": {"external_id": MARK}})),
        ),
        // Cards.
        case(
            post.clone(),
            "/v2/card",
            Named("cardNumber"),
            card(json!({"cardNumber": MARK})),
        ),
        case(
            post.clone(),
            "/v2/card",
            Named("cardExternalId"),
            card(json!({"cardExternalId": MARK})),
        ),
        case(
            post.clone(),
            "/v2/card",
            Named("seriesCode"),
            card(json!({"seriesCode": MARK})),
        ),
        case(
            post.clone(),
            "/v2/card",
            Named("statusLabel"),
            card(json!({"statusLabel": MARK})),
        ),
        case(
            post.clone(),
            "/v2/card",
            Named("reason"),
            card(json!({"statusInfo": {"reason": MARK}})),
        ),
        case(
            post.clone(),
            "/v2/card",
            FieldValue,
            card(json!({"extendedFields": {"color": MARK}})),
        ),
        case(
            post.clone(),
            "/v2/card",
            FieldValue,
            card(json!({"customFields": {"color": MARK}})),
        ),
        case(
            post.clone(),
            "/v2/card/series",
            Named("code"),
            json!({"code": MARK, "name": "S", "type": "DIGITAL"}),
        ),
        case(
            post.clone(),
            "/v2/card/series",
            Named("name"),
            json!({"code": "S1", "name": MARK, "type": "DIGITAL"}),
        ),
        // Companies and fleet hierarchies.
        case(
            post.clone(),
            "/v2/companies",
            Named("name"),
            json!({"name": MARK, "externalId": "C-1", "hierarchyDefinitionCode": "FLEET"}),
        ),
        case(
            post.clone(),
            "/v2/companies",
            Named("externalId"),
            json!({"name": "Acme", "externalId": MARK, "hierarchyDefinitionCode": "FLEET"}),
        ),
        case(
            post.clone(),
            "/v2/companies",
            Named("hierarchyDefinitionCode"),
            json!({"name": "Acme", "externalId": "C-1", "hierarchyDefinitionCode": MARK}),
        ),
        case(
            post.clone(),
            "/v2/companies",
            FieldValue,
            json!({"name": "Acme", "externalId": "C-1", "extendedFields": {"city": MARK}}),
        ),
        case(
            post.clone(),
            "/v2/companies",
            Named("externalId"),
            json!({"name": "Acme", "externalId": "C-1", "parentCompany": {"externalId": MARK}}),
        ),
        case(
            post.clone(),
            "/v2/fleetHierarchy",
            Named("code"),
            json!({"code": MARK, "name": "H", "roles": []}),
        ),
        case(
            post.clone(),
            "/v2/fleetHierarchy",
            Named("name"),
            json!({"code": "H1", "name": MARK, "roles": []}),
        ),
        case(
            post.clone(),
            "/v2/fleetHierarchy",
            Named("description"),
            json!({"code": "H1", "name": "H", "description": MARK}),
        ),
        case(
            post.clone(),
            "/v2/fleetHierarchy",
            Named("childRoleCode"),
            json!({"code": "H1", "name": "H", "roles": [{"code": "R", "childRoleCode": MARK}]}),
        ),
        // Token generation.
        case(
            post.clone(),
            "/v3/oauth/token/generate",
            Named("key"),
            json!({"key": MARK, "secret": "demo-secret"}),
        ),
        case(
            post,
            "/v3/oauth/token/generate",
            Named("secret"),
            json!({"key": "demo-key", "secret": MARK}),
        ),
    ]
}

/// The Capillary code and message of an error answer, v1.1, v2 or v3.
fn code_and_message(v: &Value) -> (Option<String>, String) {
    if let Some(code) = v["errors"][0]["code"].as_u64() {
        return (
            Some(code.to_string()),
            v["errors"][0]["message"].as_str().unwrap_or("").to_string(),
        );
    }
    let status = &v["response"]["status"];
    (
        status["code"].as_str().map(String::from),
        status["message"].as_str().unwrap_or("").to_string(),
    )
}

/// Rows per table, every table of the database.
async fn row_counts(app: &TestApp) -> Vec<(String, i64)> {
    let list = match app.backend {
        common::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        common::Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1"
        }
    };
    let tables: Vec<(String,)> = sqlx::query_as(list)
        .fetch_all(app.db.reader())
        .await
        .unwrap();
    let mut out = Vec::new();
    for (table,) in tables {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM \"{table}\""))
            .fetch_one(app.db.reader())
            .await
            .unwrap();
        out.push((table, n));
    }
    out
}

/// Sends `c` with `text` in place of the mark; the body goes as JSON, the path percent-encoded.
async fn send_case(app: &TestApp, c: &Case, text: &str) -> (u16, Value) {
    let path = c.path.replace(MARK, &encode(text));
    let req = if c.path.starts_with("/v3/") {
        app.http.request(c.method.clone(), app.url(&path))
    } else {
        app.till(c.method.clone(), &path)
    };
    send(req.json(&fill(&c.body, text))).await
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

both_backends!(every_text_field_refuses_nul_and_over_long_values, |app| {
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(
        &json!({"profiles": [{"firstName": "Ann", "source": "INSTORE",
            "identifiers": [{"type": "mobile", "value": MOBILE}]}]}),
    ))
    .await;
    assert_eq!(status, 200, "{res}");
    let id = res["createdId"].as_i64().expect("createdId");
    let before = row_counts(&app).await;
    let cases = cases(id);
    for c in &cases {
        let max = c.limit.max();
        // One character over the limit, and at the limit in characters but not in bytes
        // (a multi-byte character) to show characters are counted, not bytes.
        for (what, text) in [
            ("NUL", "bad\u{0}text".to_string()),
            ("over-long", "x".repeat(max + 1)),
            ("over-long multi-byte", "é".repeat(max + 1)),
        ] {
            let (status, res) = send_case(&app, c, &text).await;
            let (code, message) = code_and_message(&res);
            assert_eq!(
                (status, code.as_deref()),
                (400, Some("400")),
                "{what} in {:?} of {} {}: {res}",
                c.limit,
                c.method,
                c.path
            );
            if what != "NUL" {
                let expected = format!("{} must be at most {max} characters", c.limit.field());
                assert!(
                    message.contains(&expected),
                    "{what} {:?}: {message}",
                    c.limit
                );
            }
        }
    }
    // Nothing was written anywhere.
    assert_eq!(row_counts(&app).await, before);
    // At the limit, no field is refused for its length (the rules of the field may still
    // refuse the value itself).
    for c in &cases {
        let max = c.limit.max();
        let (_, res) = send_case(&app, c, &"é".repeat(max)).await;
        let (_, message) = code_and_message(&res);
        assert!(
            !message.contains("must be at most"),
            "at the limit {:?} of {} {}: {res}",
            c.limit,
            c.method,
            c.path
        );
    }
});

both_backends!(long_content_fields_are_limited_only_by_the_body, |app| {
    // A field the table names as long content (a message body) may be far longer than the
    // default; the same length under an unknown name is refused.
    let long = "y".repeat(50_000);
    let (status, res) = send(app.till(Method::POST, TXN).json(
        &json!({"type": "REGULAR", "billNumber": "B-9", "billAmount": "10",
                "message": long}),
    ))
    .await;
    let (_, message) = code_and_message(&res);
    assert!(!message.contains("must be at most"), "{status} {res}");
    let (status, res) = send(app.till(Method::POST, TXN).json(
        &json!({"type": "REGULAR", "billNumber": "B-10", "billAmount": "10",
                "somethingElse": long}),
    ))
    .await;
    let (code, message) = code_and_message(&res);
    assert_eq!((status, code.as_deref()), (400, Some("400")), "{res}");
    assert!(
        message.contains("somethingElse must be at most 255 characters"),
        "{message}"
    );
});
