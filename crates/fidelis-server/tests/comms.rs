//! Communications on the wire: examples F.* (SMS) and G.* (email) of the spec, sender
//! resolution per OU, attachments, errors, tenant isolation and interactions in the org's
//! time zone. Delivery through real gateways is in `comms_gateways.rs`.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use common::{send, TestApp, ACME_ORG};
use fidelis_domain::comms::Channel;
use reqwest::Method;
use serde_json::{json, Value};

/// A 1×1 PNG.
pub const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    send(app.till(Method::POST, path).json(&body)).await
}

async fn messages(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM comms_messages")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    n
}

async fn sms(app: &TestApp, to: &str, sender: Option<&str>) -> Value {
    let mut item = json!({"to": to, "body": "Your order is ready", "scheduled_time": ""});
    if let Some(s) = sender {
        item["sender"] = json!(s);
    }
    let (status, res) = post(
        app,
        "/v1.1/communications/sms?format=json",
        json!({"root": {"sms": [item]}}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    res["response"]["sms"].clone()
}

async fn register(app: &TestApp, mobile: &str, email: &str) -> i64 {
    let body = json!({"profiles": [{"firstName": "Tom", "source": "INSTORE", "identifiers": [
        {"type": "mobile", "value": mobile}, {"type": "email", "value": email}]}]});
    let (status, res) = post(app, "/v2/customers", body).await;
    assert_eq!(status, 200, "{res}");
    res["createdId"].as_i64().unwrap()
}

both_backends!(
    f1_f2_f3_sms_is_queued_then_fetched_with_the_sender_used,
    |app| {
        // F.1 as published: its sender is not configured for the demo org.
        let f1 = json!({"root": {"sms": [{
            "to": "447700900000",
            "body": "Hi, wish you a happy wedding anniversary!",
            "scheduled_time": "2012-08-05 22:00:00IST",
            "sender": "918000000000"
        }]}});
        let (status, res) = post(&app, "/v1.1/communications/sms?format=json", f1).await;
        assert_eq!(status, 200, "{res}");
        // F.2: the documented shape; the message is queued in the outbox.
        let r = &res["response"];
        assert_eq!(r["status"]["success"], "true");
        assert_eq!(r["status"]["code"], "200");
        let sms = &r["sms"];
        let id = sms["id"].as_str().unwrap().to_string();
        assert!(id.parse::<i64>().is_ok(), "{sms}");
        assert_eq!(sms["to"], "447700900000");
        assert_eq!(sms["status"], "Queued");
        assert_eq!(sms["scheduled_time"], "2012-08-05 22:00:00IST");
        assert_eq!(sms["item_status"]["code"], 4100);
        // F.3: the fetch names the sender actually used: the org default.
        let (status, res) = app
            .get_as_demo(&format!("/v1.1/communications/sms?format=json&id={id}"))
            .await;
        assert_eq!(status, 200, "{res}");
        let got = &res["response"]["sms"];
        for key in ["id", "to", "status", "scheduled_time", "message", "sender"] {
            assert!(got.get(key).is_some(), "{key} missing from {got}");
        }
        assert_eq!(got["id"], id.as_str());
        assert_eq!(got["message"], "Hi, wish you a happy wedding anniversary!");
        assert_eq!(got["sender"], "DEMORTL");
        assert_eq!(got["status"], "Queued");
        assert_eq!(got["ou"], Value::Null);
    }
);

both_backends!(
    endpoints_are_in_the_openapi_document_and_the_org_shows_its_sms_hours,
    |app| {
        let doc: Value = app
            .http
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (path, method) in [
            ("/v1.1/communications/sms", "post"),
            ("/v1.1/communications/sms", "get"),
            ("/v1.1/communications/email", "post"),
            ("/v1.1/communications/email", "get"),
            ("/v2/communications/email", "post"),
            ("/v2/customers/{id}/interactions", "get"),
            ("/v1.1/customer/interaction", "get"),
        ] {
            assert!(
                doc["paths"][path][method]["responses"].is_object(),
                "{method} {path}"
            );
        }
        let (status, res) = app.get_as_demo("/v1.1/organization/get.json").await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["response"]["organization"]["min_sms_hour"], 9);
        assert_eq!(res["response"]["organization"]["max_sms_hour"], 21);
    }
);

both_backends!(ou_sender_ids_are_used_and_unknown_ones_fall_back, |app| {
    let fashion = sms(&app, "6591230001", Some("DEMOFSH")).await;
    assert_eq!(
        (fashion["sender"].as_str(), fashion["ou"].as_str()),
        (Some("DEMOFSH"), Some("fashion"))
    );
    let beauty = sms(&app, "6591230001", Some("demobty")).await;
    assert_eq!(
        (beauty["sender"].as_str(), beauty["ou"].as_str()),
        (Some("DEMOBTY"), Some("beauty"))
    );
    let unknown = sms(&app, "6591230001", Some("NOSUCH")).await;
    assert_eq!(
        (unknown["sender"].as_str(), unknown["ou"].as_str()),
        (Some("DEMORTL"), None)
    );
    let none = sms(&app, "6591230001", None).await;
    assert_eq!(none["sender"], "DEMORTL");
    // A national number is read in the org's country (SG).
    let national = sms(&app, "91230002", None).await;
    assert_eq!(national["to"], "6591230002");
    // What the fetch says is what the outbox holds.
    let id: i64 = fashion["id"].as_str().unwrap().parse().unwrap();
    let org = app.db.orgs().by_code("demo").await.unwrap().unwrap().id;
    let stored = app
        .db
        .comms()
        .get(org, Channel::Sms, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.sender, "DEMOFSH");
    assert_eq!(stored.requested_sender.as_deref(), Some("DEMOFSH"));
});

fn g1(file_data: &str) -> Value {
    json!({"root": {"email": [{
        "to": "tom.sawyer@example.com",
        "cc": "cashier1@example.com, cashier2@example.com",
        "bcc": "storemanager@example.com",
        "from": "store1@store.com",
        "subject": "Testing email",
        "body": "Dear Tom,\n            Thanks for visiting our store. Hope you had a pleasant experience.\n        ",
        "attachments": {"attachment": [{
            "file_name": "sample.pdf",
            "file_type": "pdf",
            "file_data": file_data,
            "file_encoding_type": "base64"
        }]},
        "scheduled_time": "2016-08-05 22:00:21"
    }]}})
}

both_backends!(
    g1_published_placeholder_is_not_base64_and_nothing_is_queued,
    |app| {
        let placeholder = "  -- base64_encoded file contents\n                adsdsadd21121dasd12123123assdad1212123\n                234234234234234234\n                24234234\n            ";
        let (status, res) = post(
            &app,
            "/v1.1/communications/email?format=json",
            g1(placeholder),
        )
        .await;
        assert_eq!(status, 400, "{res}");
        assert_eq!(res["response"]["status"]["code"], "4201");
        assert!(
            res["response"]["status"]["message"]
                .as_str()
                .unwrap()
                .contains("not valid base64"),
            "{res}"
        );
        assert_eq!(messages(&app).await, 0);
    }
);

both_backends!(g1_g2_email_with_a_pdf_is_queued_and_fetched, |app| {
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
    // The published data, repaired into real base64 (wrapped over lines as mail tools do).
    let encoded = base64::engine::general_purpose::STANDARD.encode(pdf);
    let wrapped = format!("{}\n                {}", &encoded[..20], &encoded[20..]);
    let (status, res) = post(&app, "/v1.1/communications/email?format=json", g1(&wrapped)).await;
    assert_eq!(status, 200, "{res}");
    // G.2's shape.
    let email = &res["response"]["email"];
    assert_eq!(res["response"]["status"]["success"], "true");
    assert_eq!(email["to"], "tom.sawyer@example.com");
    assert_eq!(email["cc"], "cashier1@example.com, cashier2@example.com");
    assert_eq!(email["bcc"], "storemanager@example.com");
    assert_eq!(email["status"], "Queued");
    assert_eq!(email["subject"], "Testing email");
    assert!(email["description"]
        .as_str()
        .unwrap()
        .starts_with("Dear Tom,"));
    assert_eq!(email["scheduled_time"], "2016-08-05 22:00:21");
    // store1@store.com is not the org's: the email leaves from the org default.
    assert_eq!(email["from"], "Demo Retail <noreply@demo-retail.example>");
    assert_eq!(email["attachments"][0]["file_type"], "application/pdf");
    assert_eq!(email["attachments"][0]["size"], pdf.len());
    let id = email["id"].as_str().unwrap();
    let (status, res) = app
        .get_as_demo(&format!("/v1.1/communications/email?id={id}"))
        .await;
    assert_eq!(status, 200, "{res}");
    let got = &res["response"]["email"];
    for key in [
        "id",
        "to",
        "cc",
        "subject",
        "description",
        "status",
        "sent_time",
    ] {
        assert!(got.get(key).is_some(), "{key} missing from {got}");
    }
    assert_eq!(got["status"], "Queued");
    let org = app.db.orgs().by_code("demo").await.unwrap().unwrap().id;
    let stored = app
        .db
        .comms()
        .get(org, Channel::Email, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.attachments[0].bytes, pdf);
    assert_eq!(
        stored.cc,
        vec!["cashier1@example.com", "cashier2@example.com"]
    );
});

both_backends!(g3_v2_email_decodes_a_base64_png, |app| {
    let body = json!({"root": {"email": [{
        "to": "tom.sawyer@example.com",
        "from": "noreply@demo-retail.example",
        "subject": "Your receipt",
        "body": "Thanks for shopping with us.",
        "attachments": {"attachment": [
            {"fileName": "logo.png", "fileType": "png", "fileData": PNG, "fileEncodingType": "base64"},
            {"fileName": "terms.txt", "fileType": "txt", "fileData": "Plain terms, attached as given."}
        ]},
        "scheduledTime": "2016-08-05 22:00:21"
    }]}});
    let (status, res) = post(&app, "/v2/communications/email", body).await;
    assert_eq!(status, 200, "{res}");
    let email = &res["response"]["email"];
    assert_eq!(email["scheduledTime"], "2016-08-05 22:00:21");
    assert_eq!(email["status"], "Queued");
    assert_eq!(email["attachments"][0]["fileType"], "image/png");
    let org = app.db.orgs().by_code("demo").await.unwrap().unwrap().id;
    let stored = app
        .db
        .comms()
        .get(
            org,
            Channel::Email,
            email["id"].as_str().unwrap().parse().unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.attachments[0].bytes,
        base64::engine::general_purpose::STANDARD
            .decode(PNG)
            .unwrap()
    );
    assert_eq!(stored.attachments[0].mime_type, "image/png");
    assert_eq!(
        stored.attachments[1].bytes,
        b"Plain terms, attached as given."
    );
    assert_eq!(stored.attachments[1].mime_type, "text/plain");
    assert_eq!(stored.sender, "Demo Retail <noreply@demo-retail.example>");
});

both_backends!(bad_messages_get_documented_codes_and_queue_nothing, |app| {
    let cases = [
        (
            "/v1.1/communications/sms",
            json!({"root": {"sms": [{"to": "12", "body": "x"}]}}),
            400,
            "4101",
        ),
        (
            "/v1.1/communications/sms",
            json!({"root": {"sms": [{"to": "6591230001"}]}}),
            400,
            "4101",
        ),
        (
            "/v1.1/communications/sms",
            json!({"root": {"sms": [{"to": "6591230001", "body": "x".repeat(1601)}]}}),
            400,
            "4101",
        ),
        (
            "/v1.1/communications/sms",
            json!({"root": {"sms": [{"to": ["6591230001"], "body": "x"}]}}),
            400,
            "400",
        ),
        ("/v1.1/communications/sms", json!({"root": {}}), 400, "400"),
        (
            "/v1.1/communications/sms?format=yaml",
            json!({"root": {"sms": [{"to": "6591230001", "body": "x"}]}}),
            400,
            "400",
        ),
        (
            "/v1.1/communications/email",
            json!({"root": {"email": [{"to": "not-an-address", "subject": "s", "body": "b"}]}}),
            400,
            "4208",
        ),
        (
            "/v1.1/communications/email",
            json!({"root": {"email": [{"to": "t@example.com", "cc": "x", "subject": "s", "body": "b"}]}}),
            400,
            "4208",
        ),
        (
            "/v1.1/communications/email",
            json!({"root": {"email": [{"to": "t@example.com", "body": "b"}]}}),
            400,
            "4201",
        ),
        (
            "/v1.1/communications/email",
            json!({"root": {"email": [{"to": "t@example.com", "subject": "s", "body": "b",
            "attachments": {"attachment": [{"file_name": "a.png", "file_type": "png", "file_data": "@@@", "file_encoding_type": "base64"}]}}]}}),
            400,
            "4201",
        ),
    ];
    for (path, body, http, code) in cases {
        let (status, res) = post(&app, path, body.clone()).await;
        assert_eq!(status, http, "{path} {body} → {res}");
        assert_eq!(
            res["response"]["status"]["code"], code,
            "{path} {body} → {res}"
        );
    }
    // v2 errors use the same codes in the v2 envelope.
    let (status, res) = post(&app, "/v2/communications/email", json!({"root": {"email": [{"to": "t@example.com", "subject": "s", "body": "b",
        "attachments": {"attachment": [{"fileName": "a.png", "fileData": "!!", "fileEncodingType": "base64"}]}}]}})).await;
    assert_eq!(status, 400, "{res}");
    assert_eq!(res["errors"][0]["code"], 4201);
    assert_eq!(messages(&app).await, 0);
    // One bad element among good ones fails alone.
    let (status, res) = post(
        &app,
        "/v1.1/communications/sms",
        json!({"root": {"sms": [
        {"to": "6591230001", "body": "ok"}, {"to": "1", "body": "bad"}]}}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["response"]["status"]["code"], "201");
    assert_eq!(res["response"]["sms"][0]["item_status"]["code"], 4100);
    assert_eq!(res["response"]["sms"][1]["item_status"]["code"], 4101);
    assert_eq!(messages(&app).await, 1);
    // Unknown ids.
    for (path, http, code) in [
        ("/v1.1/communications/sms?id=999999", 404, "4102"),
        ("/v1.1/communications/sms?id=abc", 404, "4102"),
        ("/v1.1/communications/email?id=999999", 404, "4202"),
        ("/v1.1/communications/sms", 400, "400"),
    ] {
        let (status, res) = app.get_as_demo(path).await;
        assert_eq!(
            (status, res["response"]["status"]["code"].as_str()),
            (http, Some(code)),
            "{path} {res}"
        );
    }
});

both_backends!(messages_stay_inside_their_org, |app| {
    let sent = sms(&app, "6591230001", Some("DEMOFSH")).await;
    let id = sent["id"].as_str().unwrap();
    app.apply(ACME_ORG).await;
    let acme = |method, path: &str| app.as_till("acme.till", "acme-pw", method, path);
    let (status, res) = send(acme(
        Method::GET,
        &format!("/v1.1/communications/sms?id={id}"),
    ))
    .await;
    assert_eq!(status, 404, "{res}");
    // Acme has no comms configuration: it sends under its own code, never the demo's.
    let (status, res) = send(acme(Method::POST, "/v1.1/communications/sms").json(
        &json!({"root": {"sms": [{"to": "12125550123", "body": "hi", "sender": "DEMOFSH"}]}}),
    ))
    .await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["response"]["sms"]["sender"], "ACME");
});

both_backends!(interactions_list_messages_newest_first_in_org_time, |app| {
    let id = register(&app, "6591230003", "tom@example.com").await;
    let first = sms(&app, "6591230003", Some("DEMOFSH")).await;
    app.clock.advance(jiff::SignedDuration::from_secs(60));
    let (status, res) = post(
        &app,
        "/v1.1/communications/email",
        json!({"root": {"email": [{
        "to": "TOM@example.com", "subject": "Welcome", "body": "Hello Tom,\nwelcome."}]}}),
    )
    .await;
    assert_eq!(status, 200, "{res}");
    // Someone else's message is not Tom's interaction.
    sms(&app, "6591230004", None).await;

    let (status, page) = app
        .get_as_demo(&format!("/v2/customers/{id}/interactions"))
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["pagination"]["total"], 2);
    let data = page["data"].as_array().unwrap();
    assert_eq!(data[0]["channel"], "EMAIL");
    assert_eq!(data[0]["subject"], "Welcome");
    assert_eq!(data[0]["summary"], "Hello Tom,");
    assert_eq!(
        data[0]["sender"],
        "Demo Retail <noreply@demo-retail.example>"
    );
    // 04:01Z is 12:01 in Singapore.
    assert_eq!(data[0]["createdOn"], "2026-11-25T12:01:00+08:00");
    assert_eq!(data[1]["channel"], "SMS");
    assert_eq!(
        data[1]["id"].as_i64().unwrap().to_string(),
        first["id"].as_str().unwrap()
    );
    assert_eq!(data[1]["sender"], "DEMOFSH");
    assert_eq!(data[1]["ou"], "fashion");
    assert_eq!(data[1]["status"], "Queued");
    assert_eq!(data[1]["createdOn"], "2026-11-25T12:00:00+08:00");
    assert_eq!(data[1]["sentOn"], Value::Null);
    // Paging and channel filter.
    let (_, page) = app
        .get_as_demo(&format!("/v2/customers/{id}/interactions?limit=1&offset=1"))
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["data"][0]["channel"], "SMS");
    let (_, page) = app
        .get_as_demo(&format!("/v2/customers/{id}/interactions?channel=sms"))
        .await;
    assert_eq!(page["pagination"]["total"], 1);
    for bad in ["limit=0", "limit=101", "offset=-1", "channel=pigeon"] {
        let (status, res) = app
            .get_as_demo(&format!("/v2/customers/{id}/interactions?{bad}"))
            .await;
        assert_eq!(status, 400, "{bad} {res}");
    }
    let (status, res) = app.get_as_demo("/v2/customers/99999999/interactions").await;
    assert_eq!(status, 404, "{res}");

    // v1.1, by mobile, email or id.
    for q in [
        "mobile=6591230003",
        "email=tom@example.com",
        &format!("id={id}"),
    ] {
        let (status, res) = app
            .get_as_demo(&format!("/v1.1/customer/interaction?{q}&format=json"))
            .await;
        assert_eq!(status, 200, "{q} {res}");
        let c = &res["response"]["customer"];
        assert_eq!(c["id"], id.to_string());
        assert_eq!(c["mobile"], "6591230003");
        assert_eq!(c["email"], "tom@example.com");
        let network = &c["interactions"]["network"][0];
        assert_eq!(network["name"], "capillary");
        let kinds = network["interaction"].as_array().unwrap();
        assert_eq!(kinds[0]["type"], "sms");
        assert_eq!(kinds[0]["count"], "1");
        let m = &kinds[0]["messages"]["message"][0];
        assert_eq!(m["sender"], "DEMOFSH");
        assert_eq!(m["receiver"], "6591230003");
        assert_eq!(m["sent_time"], "2026-11-25 12:00:00");
        assert_eq!(m["sent_at"], "2026-11-25T12:00:00+08:00");
        assert_eq!(kinds[1]["type"], "email");
        assert_eq!(kinds[1]["messages"]["message"][0]["subject"], "Welcome");
    }
    let (_, res) = app
        .get_as_demo("/v1.1/customer/interaction?mobile=6591230003&type=email")
        .await;
    assert_eq!(
        res["response"]["customer"]["interactions"]["network"][0]["interaction"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Dates are org days: the 25th holds both, the 26th nothing.
    let (_, res) = app
        .get_as_demo("/v1.1/customer/interaction?mobile=6591230003&start_date=2026-11-26")
        .await;
    assert_eq!(
        res["response"]["customer"]["interactions"]["network"][0]["interaction"][0]["count"],
        "0"
    );
    let (_, res) = app.get_as_demo("/v1.1/customer/interaction?mobile=6591230003&start_date=2026-11-25&end_date=2026-11-25").await;
    assert_eq!(
        res["response"]["customer"]["interactions"]["network"][0]["interaction"][0]["count"],
        "1"
    );
    for bad in ["", "mobile=6591230003&start_date=25-11-2026", "id=abc"] {
        let (status, res) = app
            .get_as_demo(&format!("/v1.1/customer/interaction?{bad}"))
            .await;
        assert_eq!(status, 400, "{bad} {res}");
    }
    let (status, _) = app
        .get_as_demo("/v1.1/customer/interaction?mobile=6591239999")
        .await;
    assert_eq!(status, 404);
});
