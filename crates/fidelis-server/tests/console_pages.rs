//! The console's pages beyond search, over HTTP as a browser without script uses them:
//! the customer page's partner programs panel, goodwill found through a card (its program
//! pre-selected, its status shown) filed by an agent and decided by an admin, and the
//! admin pages (partner clients, OTP settings, dataflow runs) with their permission and
//! CSRF checks.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::console::{hidden, Agent, Page};
use common::incentives::{issue, series_id};
use common::{send, TestApp};
use fidelis_store::connect::{NewRun, RunCounts};
use reqwest::Method;
use serde_json::{json, Value};

const AGENT: (&str, &str) = ("agent@demo-retail.example", "demo-agent-pw");
const OWNER: (&str, &str) = ("admin@demo-retail.example", "demo-admin-pw");

async fn signed_in<'a>(app: &'a TestApp, who: (&str, &str)) -> Agent<'a> {
    let mut a = Agent::new(app);
    let page = a.sign_in(who.0, who.1).await;
    assert_eq!(page.status, 303, "{}", page.body);
    a
}

/// Registers a customer with a mobile and a card of `series` (external id `EXT-number`).
async fn register(app: &TestApp, first: &str, mobile: &str, card: Option<(&str, &str)>) -> i64 {
    let mut identifiers = vec![json!({"type": "mobile", "value": mobile})];
    if let Some((series, number)) = card {
        identifiers.push(
            json!({"type": "cardnumber", "value": number, "seriesCode": series,
            "statusLabel": "ACTIVE", "cardExternalId": format!("EXT-{number}")}),
        );
    }
    let body = json!({"profiles": [{"firstName": first, "lastName": "Test", "source": "INSTORE",
        "identifiers": identifiers}]});
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&body)).await;
    assert_eq!(status, 200, "{res}");
    res["createdId"].as_i64().unwrap()
}

async fn till_post(app: &TestApp, method: Method, path: &str, body: &Value) -> Value {
    let (status, res) = send(app.till(method, path).json(body)).await;
    assert_eq!(status, 200, "{path}: {res}");
    res
}

/// The customer's points in the default program, from the API.
async fn points(app: &TestApp, id: i64) -> f64 {
    let (status, b) = app
        .get_as_demo(&format!("/v2/customers/points/balance/{id}"))
        .await;
    assert_eq!(status, 200, "{b}");
    b["totalPoints"].as_f64().unwrap_or_else(|| panic!("{b}"))
}

fn contains_all(page: &Page, texts: &[&str]) {
    for t in texts {
        assert!(page.body.contains(t), "{t} missing: {}", page.body);
    }
}

/// The text of the `<option>` a `<select>` has selected.
fn selected_option(body: &str) -> String {
    let at = body.find(" selected>").expect("a selected option") + " selected>".len();
    body[at..].split('<').next().unwrap().to_string()
}

both_backends!(the_customer_page_shows_partner_programs_and_cards, |app| {
    let id = register(&app, "Pia", "6591120001", Some(("DEMOCARD", "DEMO8001"))).await;
    let link = json!({"linkCustomers": [{"customer": {"mobile": "6591120001"},
        "linkToPartnerPrograms": [{"partnerProgramName": "SkyMiles", "customerPartnerReference":
            {"partnerMembershipId": "SKY-4242", "partnerTierName": "Silver",
             "partnerTierExpiryDate": "2027-06-30"}}]}]});
    let res = till_post(&app, Method::POST, "/v2/partnerProgram/linkCustomer", &link).await;
    assert_eq!(
        res["linkCustomers"][0]["linkToPartnerPrograms"][0]["partnerLinkStatus"]["code"], 200,
        "{res}"
    );
    // A day later the member is upgraded: a second activity, and a new last update.
    app.clock.advance(jiff::SignedDuration::from_hours(24));
    let upgrade = json!({"customersPartnerUpdates": [{"customer": {"mobile": "6591120001"},
        "partnerProgramUpdates": [{"partnerProgramName": "SkyMiles", "updateType": "UPGRADE",
            "updateDetails": {"updatedTierName": "Gold", "updatedTierExpiryDate": "2027-12-31"}}]}]});
    till_post(
        &app,
        Method::POST,
        "/v2/partnerProgram/customerPartnerProgramUpdate",
        &upgrade,
    )
    .await;

    let mut agent = signed_in(&app, AGENT).await;
    let page = agent.get(&format!("/console/customers/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let start = page
        .body
        .find("Supplementary and external programs")
        .expect("the partner panel");
    let end = page.body[start..].find("<h2 id=\"cards\">").unwrap() + start;
    let panel = Page {
        body: page.body[start..end].to_string(),
        ..page
    };
    // The listing: name, program id, membership id, tier, tier expiry (end of the day in
    // Singapore), status.
    contains_all(
        &panel,
        &[
            "<td>SkyMiles</td>",
            "<td>SKY-4242</td>",
            "<td>Gold</td>",
            "<td>2027-12-31 23:59 +08:00</td>",
            "<td>Active</td>",
        ],
    );
    // View more: type, membership start and end, last update and its activity.
    contains_all(
        &panel,
        &[
            "<summary>View more",
            "<dt>Type</dt><dd>External</dd>",
            "<dt>Membership start</dt><dd>2026-11-25 12:00 +08:00</dd>",
            "<dt>Membership end</dt><dd>2027-12-31 23:59 +08:00</dd>",
            "<dt>Last updated</dt><dd>2026-11-26 12:00 +08:00</dd>",
            "<dt>Last activity</dt><dd>UPGRADED</dd>",
        ],
    );
    // The activity history, oldest first, in a <details> that opens without script.
    let history = panel.body.find("<summary>Activity History").unwrap();
    let joined = panel.body[history..].find("JOINED").expect("JOINED");
    let upgraded = panel.body[history..].find("UPGRADED").expect("UPGRADED");
    assert!(joined < upgraded, "{}", panel.body);
    contains_all(
        &panel,
        &[
            "<td>2026-11-25 12:00 +08:00</td><td>JOINED</td><td>Silver</td><td>2027-06-30 23:59 +08:00</td>",
        ],
    );
    // Demo Plus is not linked, so it is not listed.
    assert!(!panel.body.contains("Demo Plus"), "{}", panel.body);

    // The card with its status; nothing else yet.
    contains_all(
        &page_of(&mut agent, id).await,
        &[
            "<td>DEMO8001</td><td>EXT-DEMO8001</td><td>DEMOCARD</td>",
            "<td>ACTIVE</td>",
            "No transactions.",
            "No coupons issued",
            "Not a member of any group.",
        ],
    );
    // A bill, a coupon and a group show in their panels.
    let bill = json!({"type": "REGULAR", "billNumber": "B-8001", "billAmount": "250"});
    till_post(
        &app,
        Method::POST,
        "/v2/transactions?source=instore&identifierName=mobile&identifierValue=6591120001",
        &bill,
    )
    .await;
    let code = issue(&app, series_id(&app, "WELCOME10").await, id).await;
    let group = till_post(
        &app,
        Method::POST,
        "/v2/userGroup2",
        &json!({"externalId": "pia-family", "groupName": "Pia's family", "maxGroupSize": 4}),
    )
    .await["entity"]
        .as_i64()
        .unwrap();
    till_post(
        &app,
        Method::POST,
        &format!("/v2/userGroup2/join?id={group}"),
        &json!([{"userId": id, "primaryMember": true}]),
    )
    .await;
    let page = page_of(&mut agent, id).await;
    contains_all(
        &page,
        &[
            "<td>B-8001</td><td>REGULAR</td><td>2026-11-26 12:00 +08:00</td><td>SGD 250</td><td>25</td>",
            &format!("/console/incentives?code={code}"),
            "WELCOME10 — Welcome: 10% off the bill",
            "<td>Pia&#39;s family</td><td>pia-family</td><td>primary</td>",
        ],
    );
});

async fn page_of(agent: &mut Agent<'_>, id: i64) -> Page {
    let page = agent.get(&format!("/console/customers/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

both_backends!(
    goodwill_found_through_a_card_preselects_its_program,
    |app| {
        register(&app, "Ida", "6591120011", Some(("DEMOCARD", "DEMO8011"))).await;
        register(&app, "Pat", "6591120012", Some(("PLUSCARD", "PLUS8012"))).await;
        let mut agent = signed_in(&app, AGENT).await;

        // A DEMOCARD card names Demo Rewards, by number and by external id.
        for q in ["DEMO8011", "EXT-DEMO8011"] {
            let page = agent.get(&format!("/console/goodwill?q={q}")).await;
            assert_eq!(page.status, 200, "{}", page.body);
            assert_eq!(selected_option(&page.body), "Demo Rewards", "{q}");
            contains_all(&page, &["Ida Test", "ACTIVE", "DEMO8011", "EXT-DEMO8011"]);
        }
        // A PLUSCARD card names Demo Plus; every program of the org can still be picked.
        let page = agent.get("/console/goodwill?q=PLUS8012").await;
        assert_eq!(selected_option(&page.body), "Demo Plus", "{}", page.body);
        contains_all(&page, &[">Demo Rewards</option>", ">SkyMiles</option>"]);

        // A suspended card still finds its customer, shows its status and names its program.
        till_post(
            &app,
            Method::PUT,
            "/v2/card",
            &json!({"cardNumber": "PLUS8012", "statusLabel": "Lost or stolen",
                "statusInfo": {"reason": "reported lost"}}),
        )
        .await;
        for q in ["PLUS8012", "EXT-PLUS8012"] {
            let page = agent.get(&format!("/console/goodwill?q={q}")).await;
            assert_eq!(page.status, 200, "{}", page.body);
            assert_eq!(selected_option(&page.body), "Demo Plus", "{q}");
            contains_all(&page, &["SUSPENDED", "Lost or stolen", "Pat Test"]);
        }
        // By mobile: no card, the default program.
        let page = agent.get("/console/goodwill?q=6591120011").await;
        assert_eq!(selected_option(&page.body), "Demo Rewards");
        assert!(!page.body.contains("Card status"), "{}", page.body);
        let page = agent.get("/console/goodwill?q=NOSUCHCARD").await;
        contains_all(&page, &["No customer has the identifier"]);
    }
);

both_backends!(
    an_agent_files_goodwill_and_an_admin_approves_it_once,
    |app| {
        let id = register(&app, "Gus", "6591120021", Some(("DEMOCARD", "DEMO8021"))).await;
        app.apply(&format!(
        "{}\n[[console.staff]]\nemail = \"checker@demo-retail.example\"\nname = \"Demo Checker\"\n\
         role = \"admin\"\npassword = \"demo-checker-pw\"\n",
        common::DEMO_ORG
    ))
        .await;
        let mut agent = signed_in(&app, AGENT).await;
        let form = agent.get("/console/goodwill?q=DEMO8021").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let program = program_of(&form.body);
        let fields = [
            ("csrf", hidden(&form.body, "csrf")),
            ("customer", hidden(&form.body, "customer")),
            ("reference", hidden(&form.body, "reference")),
            ("program", program),
            ("points", "800".to_string()),
            ("reason", "Service recovery".to_string()),
            ("comments", "late delivery".to_string()),
        ];
        let form_data: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();

        // Over the auto-approval limit (500): the request waits for a checker.
        let filed = agent.post("/console/goodwill", &form_data).await;
        assert_eq!(filed.status, 200, "{}", filed.body);
        contains_all(&filed, &["PENDING", "Gus Test", "Demo Rewards", "800"]);
        let request = {
            let at = filed.body.find("Goodwill request ").unwrap() + "Goodwill request ".len();
            filed.body[at..]
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .to_string()
        };
        // The same form posted again files nothing new.
        let again = agent.post("/console/goodwill", &form_data).await;
        assert!(
            again.body.contains(&format!("Goodwill request {request}<")),
            "{}",
            again.body
        );
        assert_eq!(points(&app, id).await, 0.0);

        // The queue lists it; a Standard agent sees no decision buttons and cannot decide.
        let queue = agent.get("/console/goodwill/requests").await;
        assert_eq!(queue.status, 200, "{}", queue.body);
        assert_eq!(
            queue.body.matches("late delivery").count(),
            1,
            "{}",
            queue.body
        );
        assert!(!queue.body.contains("/approve"), "{}", queue.body);
        let csrf = hidden(&queue.body, "csrf");
        let approve = format!("/console/goodwill/requests/{request}/approve");
        let page = agent.post(&approve, &[("csrf", &csrf)]).await;
        assert_eq!(page.status, 403, "{}", page.body);
        assert_eq!(points(&app, id).await, 0.0);

        // An admin approves it: the points land once; approving again changes nothing.
        let mut checker = signed_in(&app, ("checker@demo-retail.example", "demo-checker-pw")).await;
        let queue = checker.get("/console/goodwill/requests").await;
        assert!(queue.body.contains(&approve), "{}", queue.body);
        let csrf = hidden(&queue.body, "csrf");
        let page = checker.post(&approve, &[("csrf", "forged")]).await;
        assert_eq!(page.status, 403, "{}", page.body);
        let page = checker.post(&approve, &[("csrf", &csrf)]).await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(
            page.location.as_deref(),
            Some(format!("/console/goodwill/requests?approved={request}").as_str())
        );
        assert_eq!(points(&app, id).await, 800.0);
        let page = checker.post(&approve, &[("csrf", &csrf)]).await;
        assert!(page.status.is_client_error(), "{}", page.body);
        let reject = format!("/console/goodwill/requests/{request}/reject");
        let page = checker.post(&reject, &[("csrf", &csrf)]).await;
        assert!(page.status.is_client_error(), "{}", page.body);
        assert_eq!(points(&app, id).await, 800.0);
        let queue = checker.get("/console/goodwill/requests").await;
        assert!(!queue.body.contains("late delivery"), "{}", queue.body);

        // The customer page shows the points and the approved request.
        let page = page_of(&mut agent, id).await;
        let row = page.body.find("<td>Demo Rewards</td>").unwrap();
        let row = &page.body[row..row + page.body[row..].find("</tr>").unwrap()];
        assert!(row.ends_with("<td>800</td>"), "{row}");
        contains_all(
            &page,
            &[
                "APPROVED",
                "agent@demo-retail.example",
                "checker@demo-retail.example",
            ],
        );

        // A small request is approved at once (the org's auto-approval limit).
        let form = agent.get(&format!("/console/goodwill?customer={id}")).await;
        let small = [
            ("csrf", hidden(&form.body, "csrf")),
            ("customer", id.to_string()),
            ("reference", hidden(&form.body, "reference")),
            ("program", program_of(&form.body)),
            ("points", "50".to_string()),
            ("reason", "Birthday".to_string()),
        ];
        let small: Vec<(&str, &str)> = small.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = agent.post("/console/goodwill", &small).await;
        contains_all(&page, &["APPROVED"]);
        assert_eq!(points(&app, id).await, 850.0);
    }
);

/// The value of the selected program option.
fn program_of(body: &str) -> String {
    let at = body.find(" selected>").unwrap();
    let opt = body[..at].rfind("value=\"").unwrap() + "value=\"".len();
    body[opt..at].trim_end_matches('"').to_string()
}

/// Every new form refuses a POST without this session's CSRF token.
const FORMS: [&str; 8] = [
    "/console/goodwill",
    "/console/goodwill/requests/1/approve",
    "/console/goodwill/requests/1/reject",
    "/console/admin/clients",
    "/console/admin/clients/demo-partner/rotate",
    "/console/admin/clients/demo-partner/disable",
    "/console/admin/clients/demo-partner/enable",
    "/console/admin/otp",
];

both_backends!(forms_without_the_csrf_token_are_refused, |app| {
    let mut owner = signed_in(&app, OWNER).await;
    for path in FORMS {
        for form in [vec![("csrf", "forged")], vec![]] {
            let page = owner.post(path, &form).await;
            assert_eq!(page.status, 403, "{path}: {}", page.body);
            assert!(page.body.contains("reload the page"), "{}", page.body);
        }
    }
    // Nothing changed: the file's client still works with its secret.
    let page = owner.get("/console/admin/clients").await;
    assert!(page.body.contains("demo-partner"), "{}", page.body);
    assert!(!page.body.contains("disabled"), "{}", page.body);
});

both_backends!(a_standard_agent_gets_403_on_every_admin_page, |app| {
    let mut agent = signed_in(&app, AGENT).await;
    for path in [
        "/console/admin/clients",
        "/console/admin/otp",
        "/console/admin/runs",
        "/console/admin/runs/1",
    ] {
        let page = agent.get(path).await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
    }
    let csrf = hidden(&agent.get("/console/search").await.body, "csrf");
    for (path, extra) in [
        (
            "/console/admin/clients",
            vec![
                ("client_id", "sneaky-app"),
                ("redirect_uris", "https://x.example/cb"),
                ("scopes", "profile"),
            ],
        ),
        ("/console/admin/clients/demo-partner/disable", vec![]),
        ("/console/admin/clients/demo-partner/rotate", vec![]),
        ("/console/admin/otp", vec![("ttl_seconds", "600")]),
    ] {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(extra);
        let page = agent.post(path, &form).await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
    }
    // The header offers the admin pages only to admins.
    let page = agent.get("/console/search").await;
    for link in [
        "/console/admin/clients",
        "/console/admin/otp",
        "/console/admin/runs",
    ] {
        assert!(!page.body.contains(link), "{link}");
    }
    assert!(page.body.contains("/console/goodwill/requests"));
    let mut owner = signed_in(&app, OWNER).await;
    let page = owner.get("/console/search").await;
    for link in [
        "/console/admin/clients",
        "/console/admin/otp",
        "/console/admin/runs",
    ] {
        assert!(page.body.contains(link), "{link}");
    }
});

/// The token endpoint's answer to a refresh with a made-up token: 401 `invalid_client`
/// when the secret is not the client's (or the client is disabled), 400 `invalid_grant`
/// when the client authenticated.
async fn token_status(app: &TestApp, client: &str, secret: &str) -> u16 {
    let (status, body) = send(
        app.http
            .post(app.url("/o/demo/oauth2/token"))
            .basic_auth(client, Some(secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")]),
    )
    .await;
    let expected = match status {
        401 => "invalid_client",
        400 => "invalid_grant",
        other => panic!("{other}: {body}"),
    };
    assert_eq!(body["error"], expected, "{body}");
    status
}

fn secret_of(page: &Page) -> String {
    let at = page.body.find("id=\"secret\">").expect("the secret") + "id=\"secret\">".len();
    page.body[at..].split('<').next().unwrap().to_string()
}

both_backends!(
    an_admin_creates_rotates_and_disables_a_partner_client,
    |app| {
        let mut owner = signed_in(&app, OWNER).await;
        let page = owner.get("/console/admin/clients").await;
        assert_eq!(page.status, 200, "{}", page.body);
        contains_all(&page, &["demo-partner", "declared in the org file"]);
        let csrf = hidden(&page.body, "csrf");

        let created = owner
            .post(
                "/console/admin/clients",
                &[
                    ("csrf", &csrf),
                    ("client_id", "loyalty-app"),
                    ("name", "Loyalty App"),
                    (
                        "redirect_uris",
                        "https://app.example/callback\r\nhttp://127.0.0.1:9000/cb",
                    ),
                    ("scopes", "profile points"),
                    ("access_ttl_seconds", ""),
                    ("refresh_ttl_seconds", ""),
                ],
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.body);
        let secret = secret_of(&created);
        assert!(secret.starts_with("fid_sk_"), "{secret}");
        contains_all(
            &created,
            &[
                "shown this once",
                "https://app.example/callback",
                "points profile",
            ],
        );
        assert_eq!(token_status(&app, "loyalty-app", &secret).await, 400);

        // The list never shows a secret again.
        let page = owner.get("/console/admin/clients").await;
        contains_all(
            &page,
            &["loyalty-app", "Loyalty App", "http://127.0.0.1:9000/cb"],
        );
        assert!(!page.body.contains(&secret));
        assert!(!page.body.contains("fid_sk_"));
        // The same id again is refused.
        let page = owner
            .post(
                "/console/admin/clients",
                &[
                    ("csrf", &csrf),
                    ("client_id", "loyalty-app"),
                    ("redirect_uris", "https://app.example/callback"),
                    ("scopes", "profile"),
                ],
            )
            .await;
        assert!(page.status.is_client_error(), "{}", page.body);

        // Rotating: the old secret stops working, the new one works.
        let rotated = owner
            .post(
                "/console/admin/clients/loyalty-app/rotate",
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(rotated.status, 200, "{}", rotated.body);
        let new_secret = secret_of(&rotated);
        assert_ne!(new_secret, secret);
        assert_eq!(token_status(&app, "loyalty-app", &secret).await, 401);
        assert_eq!(token_status(&app, "loyalty-app", &new_secret).await, 400);

        // Disabling: the client no longer authenticates; enabling brings it back.
        let page = owner
            .post(
                "/console/admin/clients/loyalty-app/disable",
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        let page = owner.get(page.location.as_deref().unwrap()).await;
        contains_all(&page, &["loyalty-app is disabled", "<td>disabled</td>"]);
        assert_eq!(token_status(&app, "loyalty-app", &new_secret).await, 401);
        let page = owner
            .post(
                "/console/admin/clients/loyalty-app/enable",
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(token_status(&app, "loyalty-app", &new_secret).await, 400);

        // The org file's client is read-only here.
        let page = owner
            .post(
                "/console/admin/clients/demo-partner/rotate",
                &[("csrf", &csrf)],
            )
            .await;
        assert!(page.status.is_client_error(), "{}", page.body);
        assert_eq!(
            token_status(&app, "demo-partner", "demo-partner-secret").await,
            400
        );
    }
);

both_backends!(an_admin_reads_and_changes_the_otp_settings, |app| {
    let mut owner = signed_in(&app, OWNER).await;
    let page = owner.get("/console/admin/otp").await;
    assert_eq!(page.status, 200, "{}", page.body);
    contains_all(
        &page,
        &[
            "name=\"ttl_seconds\" value=\"300\"",
            "name=\"max_attempts\" value=\"5\"",
            "<option value=\"required\" selected>",
        ],
    );
    let csrf = hidden(&page.body, "csrf");
    let page = owner
        .post(
            "/console/admin/otp",
            &[
                ("csrf", &csrf),
                ("ttl_seconds", "120"),
                ("max_attempts", "3"),
                ("points_validation", "optional"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let page = owner.get("/console/admin/otp").await;
    contains_all(
        &page,
        &[
            "name=\"ttl_seconds\" value=\"120\"",
            "name=\"max_attempts\" value=\"3\"",
            "name=\"per_hour\" value=\"5\"",
            "<option value=\"optional\" selected>",
        ],
    );
    // A limit outside its range is refused and nothing changes.
    let page = owner
        .post(
            "/console/admin/otp",
            &[("csrf", &csrf), ("ttl_seconds", "5")],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    let page = owner.get("/console/admin/otp").await;
    contains_all(&page, &["name=\"ttl_seconds\" value=\"120\""]);
});

both_backends!(an_admin_lists_dataflow_runs_and_reads_one, |app| {
    let connect = app.state.app.connect();
    let org = connect.org("demo").await.unwrap();
    let started_at = "2026-11-25T02:00:00Z".parse().unwrap();
    let run = NewRun {
        dataflow: "nightly-customers",
        template: "customer-add",
        file_name: "customers-2026-11-25.csv",
        digest: "abc123",
        dry_run: false,
        started_at,
    };
    let id = connect.start_run(org, &run).await.unwrap();
    let counts = RunCounts {
        input: 10,
        succeeded: 7,
        failed: 2,
        filtered: 0,
        skipped: 1,
        errors: [("8015".to_string(), 2)].into_iter().collect(),
    };
    connect
        .update_run(org, id, &counts, Some("errors/customers.csv"), true)
        .await
        .unwrap();

    let mut owner = signed_in(&app, OWNER).await;
    let page = owner.get("/console/admin/runs").await;
    assert_eq!(page.status, 200, "{}", page.body);
    contains_all(
        &page,
        &[
            &format!("/console/admin/runs/{id}"),
            "nightly-customers",
            "customers-2026-11-25.csv",
            "2026-11-25 10:00 +08:00",
            "80.00%",
        ],
    );
    let page = owner.get(&format!("/console/admin/runs/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    contains_all(
        &page,
        &[
            "customer-add",
            "abc123",
            "errors/customers.csv",
            "<td>8015</td><td>2</td>",
            "2026-11-25 12:00 +08:00",
        ],
    );
    assert_eq!(owner.get("/console/admin/runs/999999").await.status, 404);
});
