//! The Member Care console over HTTP, as a browser without script uses it: sign-in with
//! the form's CSRF cookie, the session cookie's attributes, search, the customer page,
//! sign-out, and the attacks (no CSRF token, wrong passwords, another org's session).

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::console::{hidden, register, Agent};
use common::incentives::{issue, series_id};
use common::{send, ACME_ORG};
use reqwest::Method;
use serde_json::json;

both_backends!(an_agent_signs_in_searches_and_reads_a_customer, |app| {
    let tan = register(&app, "Tan", "Wei Ming", "6591110001", Some("DEMO7001")).await;
    let other = register(&app, "Tanya", "Lim", "6591110002", None).await;
    let mut agent = Agent::new(&app);

    // Reading pages without a session leads to the sign-in form.
    let page = agent.get("/console/search").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/console/login"));

    let page = agent
        .sign_in("Agent@Demo-Retail.example", "demo-agent-pw")
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/console/search"));
    page.assert_session_cookie();

    // One hit by card number, by card external id or by mobile opens the customer.
    for q in ["DEMO7001", "EXT-DEMO7001", "6591110001", "+65 9111 0001"] {
        let page = agent.search(q).await;
        assert_eq!(page.status, 303, "{q}: {}", page.body);
        assert_eq!(
            page.location.as_deref(),
            Some(format!("/console/customers/{tan}").as_str()),
            "{q}"
        );
    }
    // A part of a name shared by two customers lists both.
    let page = agent.get("/console/search?q=tan").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!("/console/customers/{tan}")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("/console/customers/{other}")),
        "{}",
        page.body
    );
    assert!(page.body.contains("2 customer(s)"), "{}", page.body);
    let page = agent.get("/console/search?q=6599999999").await;
    assert!(page.body.contains("No customer matches"), "{}", page.body);

    // A message sent to the customer; the page shows it at the org's time (04:00Z is 12:00
    // in Singapore), whatever the server's own zone.
    let sms = json!({"root": {"sms": [{"to": "6591110001", "body": "Your order is ready",
        "scheduled_time": ""}]}});
    let (status, res) = send(
        app.till(Method::POST, "/v1.1/communications/sms?format=json")
            .json(&sms),
    )
    .await;
    assert_eq!(status, 200, "{res}");

    // The single view: identifiers, subscriptions, programs with points, interactions, all
    // in the org's zone.
    let page = agent.get(&format!("/console/customers/{tan}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for text in [
        "Tan Wei Ming",
        "6591110001",
        "DEMO7001",
        "Asia/Singapore",
        "Demo Rewards",
        // No bill yet: the first tier, as `loyaltyDetails` reports it.
        "<td>Bronze</td>",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }
    // A console page, not the API's JSON 404.
    let page = agent.get("/console/customers/999999").await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("<h1>Not found</h1>"), "{}", page.body);

    // Sign-out needs the form's token, then ends the session for good.
    let search = agent.get("/console/search").await;
    let csrf = hidden(&search.body, "csrf");
    let stolen = agent.cookies.clone();
    let page = agent.post("/console/logout", &[("csrf", "forged")]).await;
    assert_eq!(page.status, 403, "{}", page.body);
    let page = agent.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(page.status, 303);
    agent.cookies = stolen;
    let page = agent.get("/console/search").await;
    assert_eq!(page.status, 303, "an ended session still works");
});

both_backends!(
    sign_in_refuses_wrong_passwords_forged_forms_and_fixed_sessions,
    |app| {
        let mut agent = Agent::new(&app);
        for (email, password) in [
            ("agent@demo-retail.example", "wrong-password"),
            ("nobody@demo-retail.example", "demo-agent-pw"),
            ("not an email", "demo-agent-pw"),
        ] {
            let page = agent.sign_in(email, password).await;
            assert_eq!(page.status, 401, "{email}");
            assert!(
                page.body.contains("the email or password is wrong"),
                "{}",
                page.body
            );
            assert!(!agent.cookies.contains_key("fidelis_console"));
        }

        // A sign-in form posted without the form cookie (from another site) is refused.
        let mut stranger = Agent::new(&app);
        let page = stranger
            .post(
                "/console/login",
                &[
                    ("csrf", "x"),
                    ("email", "agent@demo-retail.example"),
                    ("password", "demo-agent-pw"),
                ],
            )
            .await;
        assert_eq!(page.status, 403, "{}", page.body);

        // A session id planted before sign-in is never the one issued.
        let mut victim = Agent::new(&app);
        victim
            .cookies
            .insert("fidelis_console".into(), "planted-by-attacker".into());
        let page = victim
            .sign_in("agent@demo-retail.example", "demo-agent-pw")
            .await;
        assert_eq!(page.status, 303);
        assert_ne!(victim.cookies["fidelis_console"], "planted-by-attacker");

        // Ten failures from one address stop that address for this email, even with the
        // right password.
        let mut guesser = Agent::new(&app);
        for _ in 0..10 {
            guesser
                .sign_in("admin@demo-retail.example", "guess-guess")
                .await;
        }
        let page = guesser
            .sign_in("admin@demo-retail.example", "demo-admin-pw")
            .await;
        assert_eq!(page.status, 429, "{}", page.body);
    }
);

both_backends!(a_standard_agent_cannot_reach_admin_pages, |app| {
    let mut agent = Agent::new(&app);
    assert_eq!(
        agent
            .sign_in("agent@demo-retail.example", "demo-agent-pw")
            .await
            .status,
        303
    );
    let page = agent.get("/console/admin/staff").await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        page.body.contains("your role does not allow this page"),
        "{}",
        page.body
    );
    assert!(!agent
        .get("/console/search")
        .await
        .body
        .contains("/console/admin/staff"));

    let mut admin = Agent::new(&app);
    assert_eq!(
        admin
            .sign_in("admin@demo-retail.example", "demo-admin-pw")
            .await
            .status,
        303
    );
    let page = admin.get("/console/admin/staff").await;
    assert_eq!(page.status, 200, "{}", page.body);
    for text in ["agent@demo-retail.example", "Org Owner", "Standard"] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
});

both_backends!(an_agent_looks_up_coupons_promo_codes_and_vouchers, |app| {
    let ada = register(&app, "Ada", "Coupon", "6591110021", None).await;
    let welcome = issue(&app, series_id(&app, "WELCOME10").await, ada).await;
    let voucher = issue(&app, series_id(&app, "GV50").await, ada).await;
    let mut agent = Agent::new(&app);
    agent
        .sign_in("agent@demo-retail.example", "demo-agent-pw")
        .await;
    let look = |code: &str| format!("/console/incentives?code={code}");

    let page = agent.get(&look(&welcome)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for text in [
        "Coupon",
        "WELCOME10",
        "Ada Coupon",
        &format!("/console/customers/{ada}"),
        "+08:00",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let page = agent.get(&look("SUMMER22")).await;
    for text in ["Promo code", "Summer: 5 SGD off", "unlimited", "2099-12-31"] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let page = agent.get(&look(&voucher)).await;
    for text in ["Gift voucher", "GV50", "SGD 50 of 50"] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let page = agent.get(&look("NOSUCHCODE")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("is invalid"), "{}", page.body);
    assert!(!page.body.contains("Redemptions left"), "{}", page.body);
});

both_backends!(a_session_of_another_org_sees_none_of_its_customers, |app| {
    let demo_customer = register(&app, "Ada", "Demo", "6591110009", None).await;
    app.apply(&format!(
        "{ACME_ORG}\n[[console.staff]]\nemail = \"agent@acme.example\"\nname = \"Acme Agent\"\n\
         role = \"standard\"\npassword = \"acme-agent-pw\"\n"
    ))
    .await;
    let mut acme = Agent::new(&app);
    assert_eq!(
        acme.sign_in("agent@acme.example", "acme-agent-pw")
            .await
            .status,
        303
    );
    let page = acme
        .get(&format!("/console/customers/{demo_customer}"))
        .await;
    assert_eq!(page.status, 404, "{}", page.body);
    let page = acme.get("/console/search?q=6591110009").await;
    assert!(page.body.contains("No customer matches"), "{}", page.body);
});

both_backends!(
    an_identifier_opens_its_customer_even_if_a_name_contains_it,
    |app| {
        let holder = register(&app, "Ada", "Card", "6591110011", Some("DEMO7011")).await;
        let named = register(&app, "Demo7011", "Lookalike", "6591110012", None).await;
        let mut agent = Agent::new(&app);
        assert_eq!(
            agent
                .sign_in("agent@demo-retail.example", "demo-agent-pw")
                .await
                .status,
            303
        );
        // The card number is the holder's; the name that contains it is not searched.
        let page = agent.search("DEMO7011").await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(
            page.location.as_deref(),
            Some(format!("/console/customers/{holder}").as_str())
        );
        // A fragment that is no identifier still finds the name.
        let page = agent.search("demo701").await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(
            page.location.as_deref(),
            Some(format!("/console/customers/{named}").as_str())
        );
    }
);
