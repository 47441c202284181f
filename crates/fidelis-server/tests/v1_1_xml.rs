//! The v1.1 API in XML, as Capillary documents every call beside JSON: `.xml` suffixes,
//! `format=xml`, `Accept` / `Content-Type: application/xml`. Each endpoint is called with
//! the documented XML sample body (data changed only where the demo org needs it), and the
//! answers are checked for being well-formed XML with the samples' element nesting. Bad and
//! hostile XML gets the v1.1 error envelope in XML, never a 500.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::incentives::{issue, register, series_id};
use common::{send, TestApp};
use quick_xml::events::Event;
use reqwest::Method;
use serde_json::json;

/// An element of an answer: name, `null="true"`, text and children in order.
#[derive(Debug, Default)]
struct Node {
    name: String,
    null: bool,
    text: String,
    children: Vec<Node>,
}

impl Node {
    /// The first descendant along `path` (`a/b/c`), or a panic naming the missing step.
    fn at(&self, path: &str) -> &Node {
        let mut n = self;
        for step in path.split('/') {
            n = n
                .children
                .iter()
                .find(|c| c.name == step)
                .unwrap_or_else(|| panic!("no <{step}> on the way to {path} in {self:#?}"));
        }
        n
    }

    fn text(&self, path: &str) -> &str {
        &self.at(path).text
    }

    /// All children named `name`.
    fn all(&self, name: &str) -> Vec<&Node> {
        self.children.iter().filter(|c| c.name == name).collect()
    }

    fn has(&self, name: &str) -> bool {
        self.children.iter().any(|c| c.name == name)
    }
}

/// Parses a whole answer strictly: one root element, matching end tags, no stray text.
fn parse(doc: &str) -> Node {
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let open = |e: &quick_xml::events::BytesStart<'_>| Node {
        name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
        null: e.attributes().any(|a| a.unwrap().key.as_ref() == b"null"),
        ..Node::default()
    };
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed: {e}\n{doc}"))
        {
            Event::Start(e) => {
                assert!(root.is_none(), "a second root element in {doc}");
                stack.push(open(&e));
            }
            Event::Empty(e) => {
                assert!(root.is_none(), "a second root element in {doc}");
                let n = open(&e);
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => root = Some(n),
                }
            }
            Event::End(_) => {
                let n = stack.pop().expect("balanced");
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => root = Some(n),
                }
            }
            Event::Text(t) => {
                let t = t.xml10_content().unwrap();
                match stack.last_mut() {
                    Some(p) => p.text.push_str(&t),
                    None => assert!(t.trim().is_empty(), "text outside the root: {doc}"),
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap();
                let c = quick_xml::escape::resolve_predefined_entity(&name)
                    .unwrap_or_else(|| panic!("entity {name} in an answer"));
                stack.last_mut().unwrap().text.push_str(c);
            }
            Event::Decl(_) => {}
            Event::Eof => break,
            other => panic!("unexpected {other:?} in an answer"),
        }
    }
    assert!(stack.is_empty(), "unclosed elements in {doc}");
    root.expect("a root element")
}

/// Sends, and checks the answer is XML: status and the parsed document.
async fn xml(req: reqwest::RequestBuilder) -> (u16, Node) {
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.text().await.unwrap();
    assert!(
        ct.starts_with("application/xml"),
        "{status} answered {ct}: {body}"
    );
    assert!(
        body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{body}"
    );
    let doc = parse(&body);
    assert_eq!(doc.name, "response", "{body}");
    (status, doc)
}

/// POSTs an XML body as a Capillary client does.
fn post_xml(app: &TestApp, path: &str, body: &str) -> reqwest::RequestBuilder {
    app.till(Method::POST, path)
        .header("Content-Type", "application/xml")
        .body(body.to_string())
}

fn status_ok(doc: &Node) {
    assert_eq!(doc.text("status/success"), "true", "{doc:#?}");
    assert_eq!(doc.text("status/code"), "200");
}

both_backends!(
    organization_answers_in_xml_by_suffix_format_and_accept,
    |app| {
        // The documented URL form: `get.{xml/json}`.
        let (status, doc) = xml(app.till(Method::GET, "/v1.1/organization/get.xml")).await;
        assert_eq!(status, 200);
        status_ok(&doc);
        let org = doc.at("organization");
        for field in [
            "id",
            "name",
            "currency",
            "timezone",
            "timezone_offset",
            "country",
        ] {
            assert!(org.has(field), "{field} missing: {org:#?}");
        }
        assert!(org.text("timezone_offset").starts_with("UTC"));
        // By Accept, without a suffix; and `format=xml`.
        let (status, by_accept) = xml(app
            .till(Method::GET, "/v1.1/organization/get")
            .header("Accept", "application/xml"))
        .await;
        assert_eq!(status, 200);
        assert_eq!(by_accept.text("organization/id"), org.text("id"));
        let (status, entities) = xml(app.till(
            Method::GET,
            "/v1.1/organization/entities?format=xml&type=STORE",
        ))
        .await;
        assert_eq!(status, 200);
        status_ok(&entities);
        let stores = entities.at("organization/entities").all("entity");
        assert!(stores.len() >= 2, "{entities:#?}");
        for s in stores {
            assert_eq!(s.text("item_status/success"), "true");
            assert!(!s.text("code").is_empty());
        }
        // JSON is unchanged: `.json`, no suffix, `format=json` beats `Accept`.
        let (status, body) = app.get_as_demo("/v1.1/organization/get.json").await;
        assert_eq!(status, 200);
        assert_eq!(
            body["response"]["organization"]["id"].to_string(),
            org.text("id")
        );
        let res = app
            .till(Method::GET, "/v1.1/organization/get?format=json")
            .header("Accept", "application/xml")
            .send()
            .await
            .unwrap();
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        // Refusals are in the v1.1 envelope, in XML too.
        let (status, doc) = xml(app.as_till(
            "demo.till",
            "wrong",
            Method::GET,
            "/v1.1/organization/get.xml",
        ))
        .await;
        assert_eq!(status, 401);
        assert_eq!(doc.text("status/success"), "false");
        assert_eq!(doc.text("status/code"), "401");
        let (status, doc) = xml(app.till(Method::GET, "/v1.1/no/such/call.xml")).await;
        assert_eq!(status, 404);
        assert_eq!(doc.text("status/code"), "404");
    }
);

both_backends!(coupons_redeem_check_and_get_in_xml, |app| {
    let customer = register(&app, "447911123456").await;
    let welcome = series_id(&app, "WELCOME10").await;
    let code = issue(&app, welcome, customer).await;
    let (status, doc) = xml(app.till(
        Method::GET,
        &format!(
            "/v1.1/coupon/isredeemable?format=xml&details=true&code={code}&mobile=447911123456"
        ),
    ))
    .await;
    assert_eq!(status, 200);
    status_ok(&doc);
    let r = doc.at("coupons/redeemable");
    assert_eq!(r.text("is_redeemable"), "true");
    assert_eq!(r.text("item_status/code"), "700");
    assert_eq!(r.text("series_info/discount_type"), "PERC");

    // The documented redeem sample, with the code issued above.
    let sample = format!(
        r#"<root>
<coupon>
<code>{code}</code>
<customer>
<mobile>447911123456</mobile>
<email></email>
<external_id></external_id>
<card_number></card_number>
</customer>
<custom_fields>
<!-- Optional, as Specified by the Brand -->
<field>
    <name>Sport</name>
    <value>Soccer</value>
</field>
</custom_fields>
<redemption_time></redemption_time>
<transaction>
<number>bill-110</number>
<amount>1000</amount>
</transaction>
</coupon>
</root>
"#
    );
    let (status, doc) = xml(post_xml(&app, "/v1.1/coupon/redeem?format=xml", &sample)).await;
    assert_eq!(status, 200);
    status_ok(&doc);
    let c = doc.at("coupons/coupon");
    assert_eq!(c.text("code"), code);
    assert_eq!(c.text("customer/mobile"), "447911123456");
    assert_eq!(c.text("transaction/number"), "bill-110");
    assert_eq!(c.text("transaction/amount"), "1000.00");
    assert_eq!(c.text("item_status/code"), "700");
    assert_eq!(
        c.text("item_status/message"),
        "Coupon processing successful"
    );
    // The same again: every item refused, the item says why.
    let (status, doc) = xml(post_xml(&app, "/v1.1/coupon/redeem", &sample)).await;
    assert_eq!(status, 400);
    assert_eq!(doc.text("status/success"), "false");
    assert_eq!(doc.text("coupons/coupon/item_status/code"), "716");

    let (status, doc) =
        xml(app.till(Method::GET, &format!("/v1.1/coupon/get.xml?code={code}"))).await;
    assert_eq!(status, 200);
    let c = doc.at("coupons/coupon");
    assert_eq!(c.text("redemption_info/redeemed"), "true");
    assert_eq!(c.text("transaction/number"), "bill-110");
    assert_eq!(c.text("customer/user_id"), customer.to_string());
    let (status, doc) = xml(app.till(Method::GET, "/v1.1/coupon/get.xml?code=NOPE")).await;
    assert_eq!(status, 400);
    assert_eq!(doc.text("status/code"), "702");
});

both_backends!(goodwill_requests_and_points_in_xml, |app| {
    let id = register(&app, "919011111111").await;
    // "For goodwill points", with the customer registered above and a reason the demo org
    // configures.
    let points = |n: u32, comments: &str| {
        format!(
            r#"<root>
   <request>
      <customer>
         <id>{id}</id>
		 <mobile></mobile>
		 <email></email>
		 <external_id></external_id>
      </customer>
      <comments>{comments}</comments>
      <reason>Service recovery</reason>
      <type>GOODWILL</type>
      <base_type>POINTS</base_type>
      <points>{n}</points>
   </request>
</root>"#
        )
    };
    let (status, doc) = xml(post_xml(
        &app,
        "/v1.1/request/add?format=xml",
        &points(200, "API Service request - Awarding him 200 points."),
    ))
    .await;
    assert_eq!(status, 200, "{doc:#?}");
    status_ok(&doc);
    let r = doc.at("requests/request");
    assert_eq!(r.text("status"), "APPROVED");
    assert_eq!(r.text("item_status/code"), "9100");
    assert_eq!(r.text("customer/id"), id.to_string());

    // Over the org's cap: pending, then rejected with the documented reject body.
    let (_, doc) = xml(post_xml(&app, "/v1.1/request/add.xml", &points(800, "big"))).await;
    let pending = doc.at("requests/request");
    assert_eq!(pending.text("status"), "PENDING");
    let reject = format!(
        r#"<root>
    <request>
        <type>GOODWILL</type>
        <base_type>POINTS</base_type>
        <id>{}</id>
        <updated_comments>outlier</updated_comments>
    </request>
</root>"#,
        pending.text("id")
    );
    let (status, doc) = xml(app
        .as_till(
            "demo.till2",
            "demo456",
            Method::POST,
            "/v1.1/request/reject",
        )
        .header("Content-Type", "application/xml")
        .body(reject))
    .await;
    assert_eq!(status, 200);
    let done = doc.at("requests/request");
    assert_eq!(done.text("status"), "REJECTED");
    assert_eq!(done.text("item_status/code"), "9000");

    // "For Goodwill Coupon" as published (a converter's `<root><root>…<element>` shape).
    let welcome = series_id(&app, "WELCOME10").await;
    let coupon = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<root>
   <root>
      <request>
         <element>
            <base_type>COUPON</base_type>
            <comments>Additional comment if required</comments>
            <customer>
               <email />
               <external_id />
               <mobile>919011111111</mobile>
            </customer>
            <reason>Service recovery</reason>
            <series_id>{welcome}</series_id>
            <type>GOODWILL</type>
         </element>
      </request>
   </root>
</root>"#
    );
    let (status, doc) = xml(post_xml(&app, "/v1.1/request/add?format=xml", &coupon)).await;
    assert_eq!(status, 200);
    let req = doc.at("requests/request");
    assert_eq!(req.text("status"), "PENDING");
    // The documented approve body, by a checker.
    let approve = format!(
        r#"<root>
    <request>
        <type>GOODWILL</type>
        <base_type>COUPON</base_type>
        <id>{}</id>
<updated_comments>Seems to a valid request. hence approving</updated_comments>
    </request>
</root>"#,
        req.text("id")
    );
    let (status, doc) = xml(app
        .as_till(
            "demo.till2",
            "demo456",
            Method::POST,
            "/v1.1/request/approve.xml",
        )
        .header("Content-Type", "text/xml")
        .body(approve))
    .await;
    assert_eq!(status, 200);
    let done = doc.at("requests/request");
    assert_eq!(done.text("status"), "APPROVED");
    assert!(!done.text("new_value").is_empty(), "{done:#?}");

    // Points: 200 credited above.
    let (status, doc) = xml(app.till(
        Method::GET,
        "/v1.1/points/isredeemable?format=xml&mobile=919011111111&points=10",
    ))
    .await;
    assert_eq!(status, 200);
    let r = doc.at("points/redeemable");
    assert_eq!(r.text("is_redeemable"), "true");
    assert_eq!(r.text("item_status/code"), "800");
    // The documented redeem sample (converter shape), for this customer.
    let redeem = r#"<?xml version="1.0" encoding="UTF-8"?>
<root>
   <root>
      <redeem>
         <element>
            <customer>
               <email />
               <external_id />
               <mobile>919011111111</mobile>
			   <card_number></card_number>
            </customer>
            <notes>10 points redemption by SMS.</notes>
            <points_redeemed>10</points_redeemed>
            <till_id />
            <transaction_number>red123</transaction_number>
			<external_reference_number>toms12d</external_reference_number>
            <validation_code>4PZGXC</validation_code>
			<group_redemption>false</group_redemption>
         </element>
      </redeem>
   </root>
</root>"#;
    // Its validation code was never issued to this customer: 808, nothing spent (a code
    // that was issued redeems: tests/points_validation.rs, also in XML).
    let (status, doc) = xml(post_xml(&app, "/v1.1/points/redeem?format=xml", redeem)).await;
    assert_eq!(status, 400);
    assert_eq!(doc.text("status/success"), "false");
    let p = doc.at("responses/points");
    assert_eq!(p.text("item_status/code"), "808");
    // And the balance as JSON, for the record.
    let (_, b) = app
        .get_as_demo(&format!("/v2/customers/points/balance/{id}"))
        .await;
    assert_eq!(b["totalPoints"], 200);
});

both_backends!(communications_in_xml, |app| {
    // The documented SMS sample.
    let sms = r#"<root>
   <sms>
      <to>447911123456</to>
      <body>Hi, wish you a happy wedding anniversary!</body>
      <scheduled_time>2012-08-05 22:00:00IST</scheduled_time>
   </sms>
</root>"#;
    let (status, doc) = xml(post_xml(&app, "/v1.1/communications/sms?format=xml", sms)).await;
    assert_eq!(status, 200);
    status_ok(&doc);
    let s = doc.at("sms");
    assert_eq!(s.text("to"), "447911123456");
    assert_eq!(s.text("status"), "Queued");
    assert_eq!(s.text("scheduled_time"), "2012-08-05 22:00:00IST");
    let (status, doc) = xml(app.till(
        Method::GET,
        &format!("/v1.1/communications/sms.xml?id={}", s.text("id")),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        doc.text("sms/message"),
        "Hi, wish you a happy wedding anniversary!"
    );
    assert_eq!(doc.text("sms/sender"), "DEMORTL");

    // The documented email sample: its "-- optional" notes removed and its placeholder
    // file data replaced by real base64 (CDATA sections as published).
    let email = r#"<?xml version="1.0" encoding="UTF-8"?>
<root>
    <email>
        <to>tom.sawyer@example.com</to>
        <cc>cashier1@example.com, cashier2@example.com</cc>
        <bcc>storemanager@example.com</bcc>
        <from>store1@store.com</from>
        <subject><![CDATA[Testing email]]></subject>
        <body><![CDATA[Dear Tom,
            Thanks for visiting our store. Hope you had a pleasant experience.
            ]]>
        </body>
        <attachments>
            <attachment>
            <file_name>sample.pdf</file_name>
            <file_type>pdf</file_type>
            <file_data><![CDATA[JVBERi0xLjQKJSVFT0YK]]></file_data>
        </attachment>
        </attachments>
        <scheduled_time>2016-08-05 22:00:21</scheduled_time>
    </email>
</root>"#;
    let (status, doc) = xml(post_xml(&app, "/v1.1/communications/email", email)).await;
    assert_eq!(status, 200);
    status_ok(&doc);
    let e = doc.at("email");
    assert_eq!(e.text("to"), "tom.sawyer@example.com");
    assert_eq!(e.text("subject"), "Testing email");
    assert_eq!(e.text("status"), "Queued");
    assert!(e.text("description").starts_with("Dear Tom,"));
    assert_eq!(e.text("attachments/file_name"), "sample.pdf");
    // JSON null is `null="true"`: no OU was named.
    assert!(e.at("ou").null, "{e:#?}");
    let (status, doc) = xml(app.till(
        Method::GET,
        &format!("/v1.1/communications/email?format=xml&id={}", e.text("id")),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(doc.text("email/to"), "tom.sawyer@example.com");
    let (status, doc) = xml(app.till(Method::GET, "/v1.1/communications/sms.xml?id=999999")).await;
    assert_eq!(status, 404);
    assert_eq!(doc.text("status/code"), "4102");
    let (status, doc) = xml(app.till(
        Method::GET,
        "/v1.1/customer/interaction?format=xml&mobile=447911123456",
    ))
    .await;
    assert!(status == 200 || status == 404, "{doc:#?}");
    assert!(doc.has("status"));
});

both_backends!(malformed_xml_is_a_400_in_the_envelope, |app| {
    for bad in [
        "<root><coupon><code>X</code></root>",
        "<root><coupon>",
        "",
        "not xml at all",
        "<root/><root/>",
        "<root><coupon><code>a &nbsp; b</code></coupon></root>",
        "<root>text<coupon/></root>",
    ] {
        let (status, doc) = xml(post_xml(&app, "/v1.1/coupon/redeem", bad)).await;
        assert_eq!(status, 400, "{bad:?}");
        assert_eq!(doc.text("status/success"), "false");
        assert_eq!(doc.text("status/code"), "400");
        assert!(doc.text("status/message").contains("XML"), "{doc:#?}");
    }
    // Well-formed, but not what the call reads: the handler's own refusal, in XML.
    let (status, doc) = xml(post_xml(
        &app,
        "/v1.1/points/redeem",
        "<root><other/></root>",
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(doc.text("status/code"), "400");
    // A JSON body asking for an XML answer is read as JSON.
    let (status, doc) = xml(app
        .till(Method::POST, "/v1.1/points/redeem?format=xml")
        .json(&json!({"root": {"redeem": [{"points_redeemed": "10",
                "customer": {"mobile": "6500000000"}}]}})))
    .await;
    assert_eq!(status, 400);
    assert_eq!(doc.text("status/success"), "false");
    // Other APIs ignore XML headers: v2 stays JSON.
    let (status, body) = send(
        app.till(Method::GET, "/v2/coupon/series")
            .header("Accept", "application/xml"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
});

both_backends!(xml_bombs_are_refused_at_a_bounded_cost, |app| {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<root><sms><to>447911123456</to><body>&lol9;</body></sms></root>"#;
    // An external entity, and a reference to one never declared.
    let external = r#"<?xml version="1.0"?>
<!DOCTYPE root [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<root><sms><to>447911123456</to><body>&xxe;</body></sms></root>"#;
    let undeclared = "<root><sms><to>447911123456</to><body>&lol9;</body></sms></root>";
    // Nesting a hundred thousand deep, within the body limit.
    let deep = "<a>".repeat(100_000) + &"</a>".repeat(100_000);
    // Two hundred thousand empty elements, within the body limit.
    let wide = format!("<root>{}</root>", "<x/>".repeat(200_000));
    for (what, body) in [
        ("billion laughs", laughs.to_string()),
        ("external entity", external.to_string()),
        ("undeclared entity", undeclared.to_string()),
        ("deep nesting", deep),
        ("many elements", wide),
    ] {
        let started = Instant::now();
        let (status, doc) = xml(post_xml(&app, "/v1.1/communications/sms", &body)).await;
        assert_eq!(status, 400, "{what}");
        assert_eq!(doc.text("status/code"), "400", "{what}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what} took {:?}",
            started.elapsed()
        );
    }
    // Nothing was queued, and the server still answers.
    let (status, _) = app.get_as_demo("/v1.1/organization/get.json").await;
    assert_eq!(status, 200);
    // Over the body limit: 413, in XML.
    let huge = format!(
        "<root>{}</root>",
        "x".repeat(fidelis_server::MAX_BODY_BYTES)
    );
    let (status, doc) = xml(post_xml(&app, "/v1.1/communications/sms", &huge)).await;
    assert_eq!(status, 413);
    assert_eq!(doc.text("status/code"), "413");
});

both_backends!(the_openapi_document_declares_xml_on_v1_1_only, |app| {
    let (status, doc) = send(app.http.get(app.url("/openapi.json"))).await;
    assert_eq!(status, 200);
    let mut v1_1 = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            let is_v1_1 = path.starts_with("/v1.1/");
            v1_1 += usize::from(is_v1_1);
            if !op["requestBody"].is_null() {
                let content = &op["requestBody"]["content"];
                assert_eq!(
                    !content["application/xml"].is_null(),
                    is_v1_1,
                    "{method} {path} body"
                );
            }
            for (code, r) in responses {
                if r["content"]["application/json"].is_null() {
                    continue;
                }
                assert_eq!(
                    r["content"]["application/xml"]["schema"],
                    if is_v1_1 {
                        r["content"]["application/json"]["schema"].clone()
                    } else {
                        serde_json::Value::Null
                    },
                    "{method} {path} {code}"
                );
            }
        }
    }
    assert!(v1_1 >= 13, "{v1_1} v1.1 operations");
});
