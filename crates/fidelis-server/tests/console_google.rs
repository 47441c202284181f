//! "Sign in with Google" for the console, end to end: the real routes against an OpenID
//! provider on 127.0.0.1 (`common::oidc`) that publishes its discovery document and keys
//! and signs RS256 ID tokens. The right Workspace account of an invited staff user gets a
//! working session; every other account, and every spoiled or replayed answer, gets the
//! refusal page and no session.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::console::{Agent, Page};
use common::oidc::{Account, Tamper, CLIENT_ID};
use common::{TestApp, DEMO_ORG};
use reqwest::header::LOCATION;

const GOOGLE_STAFF: &str = "google.agent@demo-retail.example";

/// The demo org with a staff user who has no password (Google only).
async fn invite_google_staff(app: &TestApp) {
    app.apply(&format!(
        "{DEMO_ORG}\n[[console.staff]]\nemail = \"{GOOGLE_STAFF}\"\nname = \"Google Agent\"\n\
         role = \"standard\"\n"
    ))
    .await;
}

/// What one trip through Google gave: the callback's answer and its path (to replay).
struct Trip {
    page: Page,
    callback: String,
    /// The browser's secret cookie the callback was made with.
    secret: String,
}

/// Signs in with Google as `account`, the provider spoiling its token by `tamper`: from
/// the console's button to the provider and back to the callback, as a browser does.
async fn through_google(agent: &mut Agent<'_>, account: Account, tamper: Tamper) -> Trip {
    let provider = agent.app.google.as_ref().expect("a Google-enabled app");
    provider.next(account, tamper);
    let start = agent.get("/console/login/google").await;
    assert_eq!(start.status, 303, "{}", start.body);
    let authorize = start.location.unwrap();
    assert!(
        authorize.starts_with(&format!("{}/authorize?", provider.issuer)),
        "{authorize}"
    );
    for part in [
        "response_type=code",
        &format!("client_id={CLIENT_ID}"),
        "code_challenge_method=S256",
        "code_challenge=",
        "nonce=",
        "state=",
        "scope=openid",
    ] {
        assert!(authorize.contains(part), "{part} missing in {authorize}");
    }
    // At the provider (another site: none of the console's cookies go there).
    let res = agent.http.get(&authorize).send().await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let back = res.headers()[LOCATION].to_str().unwrap().to_string();
    let callback = back
        .strip_prefix(&agent.app.base)
        .unwrap_or_else(|| panic!("{back} is not this console"))
        .to_string();
    assert!(callback.starts_with("/console/login/google/callback?"));
    let secret = agent.cookies["fidelis_console_google"].clone();
    let page = agent.get(&callback).await;
    Trip {
        page,
        callback,
        secret,
    }
}

fn signed_in(agent: &Agent<'_>) -> bool {
    agent.cookies.contains_key("fidelis_console")
}

/// The refusal page: the console's look, the reason, no session, no internals.
fn assert_refused(agent: &Agent<'_>, page: &Page, status: u16, says: &str) {
    assert_eq!(page.status, status, "{}", page.body);
    assert!(page.body.contains(says), "{says}: {}", page.body);
    assert!(
        page.body.contains("Google sign-in refused"),
        "{}",
        page.body
    );
    assert!(page.body.contains("· Member Care</title>"), "{}", page.body);
    assert!(
        page.body.contains("href=\"/console/login\""),
        "{}",
        page.body
    );
    for internal in ["panicked", "src/", "Error {", "Crypto"] {
        assert!(!page.body.contains(internal), "{internal}: {}", page.body);
    }
    assert!(!signed_in(agent), "a session was issued");
}

async fn pinned_sub(app: &TestApp, email: &str) -> Option<String> {
    app.db
        .console()
        .staff_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .google_sub
}

both_backends!(
    an_invited_workspace_account_signs_in_and_is_pinned,
    TestApp::start_google,
    |app| {
        invite_google_staff(&app).await;
        let login = Agent::new(&app).get("/console/login").await;
        assert!(
            login.body.contains("href=\"/console/login/google\""),
            "{}",
            login.body
        );

        // A session id planted before sign-in is never the one issued.
        let mut agent = Agent::new(&app);
        agent
            .cookies
            .insert("fidelis_console".into(), "planted-by-attacker".into());
        let trip = through_google(
            &mut agent,
            Account::workspace("google-sub-1", "Google.Agent@demo-retail.example"),
            Tamper::None,
        )
        .await;
        assert_eq!(trip.page.status, 200, "{}", trip.page.body);
        assert!(
            trip.page.body.contains("url=/console/search"),
            "{}",
            trip.page.body
        );
        trip.page.assert_session_cookie();
        assert_ne!(agent.cookies["fidelis_console"], "planted-by-attacker");
        // The sign-in's own cookie is gone.
        assert!(!agent.cookies.contains_key("fidelis_console_google"));

        // The session works like a password one.
        let search = agent.get("/console/search").await;
        assert_eq!(search.status, 200, "{}", search.body);
        assert!(search.body.contains("Google Agent"), "{}", search.body);
        assert_eq!(
            pinned_sub(&app, GOOGLE_STAFF).await.as_deref(),
            Some("google-sub-1")
        );

        // The same account again: in.
        let mut again = Agent::new(&app);
        let trip = through_google(
            &mut again,
            Account::workspace("google-sub-1", GOOGLE_STAFF),
            Tamper::None,
        )
        .await;
        assert_eq!(trip.page.status, 200, "{}", trip.page.body);
        assert!(signed_in(&again));

        // Another Google account with the same email (say, the address re-created): out.
        let mut impostor = Agent::new(&app);
        let trip = through_google(
            &mut impostor,
            Account::workspace("google-sub-2", GOOGLE_STAFF),
            Tamper::None,
        )
        .await;
        assert_refused(
            &impostor,
            &trip.page,
            403,
            "this Member Care user signs in with another Google account",
        );
        assert_eq!(
            pinned_sub(&app, GOOGLE_STAFF).await.as_deref(),
            Some("google-sub-1")
        );

        // A Google account pinned to one staff user cannot become another.
        let mut renamed = Agent::new(&app);
        let trip = through_google(
            &mut renamed,
            Account::workspace("google-sub-1", "agent@demo-retail.example"),
            Tamper::None,
        )
        .await;
        assert_refused(&renamed, &trip.page, 403, "another Google account");
        assert_eq!(pinned_sub(&app, "agent@demo-retail.example").await, None);

        // Staff with a password may also use Google.
        let mut admin = Agent::new(&app);
        let trip = through_google(
            &mut admin,
            Account::workspace("google-sub-admin", "admin@demo-retail.example"),
            Tamper::None,
        )
        .await;
        assert_eq!(trip.page.status, 200, "{}", trip.page.body);
        assert_eq!(admin.get("/console/admin/staff").await.status, 200);
    }
);

both_backends!(
    other_google_accounts_are_refused_with_a_clear_page,
    TestApp::start_google,
    |app| {
        invite_google_staff(&app).await;
        let verified = |email: &str, hd: Option<&str>| Account {
            sub: format!("sub-{email}"),
            email: email.into(),
            email_verified: true,
            hd: hd.map(Into::into),
        };
        let cases = [
            (
                verified(GOOGLE_STAFF, Some("other.example")),
                "Google accounts of other.example cannot sign in",
            ),
            (
                verified("someone@other.example", Some("other.example")),
                "someone@other.example is not a Member Care user",
            ),
            (
                verified(GOOGLE_STAFF, None),
                "this is not a Google Workspace account",
            ),
            (
                Account {
                    email_verified: false,
                    ..Account::workspace("sub-unverified", GOOGLE_STAFF)
                },
                "the email address of this Google account is not verified",
            ),
            (
                Account::workspace("sub-nobody", "nobody@demo-retail.example"),
                "nobody@demo-retail.example is not a Member Care user",
            ),
        ];
        for (account, says) in cases {
            let mut agent = Agent::new(&app);
            let trip = through_google(&mut agent, account, Tamper::None).await;
            assert_refused(&agent, &trip.page, 403, says);
            let page = agent.get("/console/search").await;
            assert_eq!(page.status, 303, "{says}: a refused sign-in reads pages");
        }
        // None of them pinned the invited user to their account.
        assert_eq!(pinned_sub(&app, GOOGLE_STAFF).await, None);

        // A staff user the org file no longer names is out too.
        app.apply(DEMO_ORG).await;
        let mut gone = Agent::new(&app);
        let trip = through_google(
            &mut gone,
            Account::workspace("sub-gone", GOOGLE_STAFF),
            Tamper::None,
        )
        .await;
        assert_refused(&gone, &trip.page, 403, "is not a Member Care user");
    }
);

both_backends!(spoiled_tokens_are_refused, TestApp::start_google, |app| {
    invite_google_staff(&app).await;
    let account = || Account::workspace("google-sub-1", GOOGLE_STAFF);
    // A first sign-in, so the provider has a nonce to replay.
    let mut first = Agent::new(&app);
    let trip = through_google(&mut first, account(), Tamper::None).await;
    assert_eq!(trip.page.status, 200, "{}", trip.page.body);

    for (tamper, says) in [
        (Tamper::Audience, "it was issued for another application"),
        (Tamper::Expired, "it has expired"),
        (Tamper::Forged, "its signature does not verify"),
        (
            Tamper::Issuer,
            "it was not issued by the configured provider",
        ),
        (Tamper::PreviousNonce, "it belongs to another sign-in"),
    ] {
        let mut agent = Agent::new(&app);
        let trip = through_google(&mut agent, account(), tamper).await;
        assert_refused(
            &agent,
            &trip.page,
            401,
            &format!("sign-in token was refused: {says}"),
        );
    }
});

both_backends!(
    a_callback_is_good_once_in_its_browser_within_ten_minutes,
    TestApp::start_google,
    |app| {
        invite_google_staff(&app).await;
        let account = || Account::workspace("google-sub-1", GOOGLE_STAFF);
        let mut agent = Agent::new(&app);
        let trip = through_google(&mut agent, account(), Tamper::None).await;
        assert_eq!(trip.page.status, 200, "{}", trip.page.body);
        let cookie = trip
            .page
            .set_cookies
            .iter()
            .find(|c| c.starts_with("fidelis_console_google="))
            .unwrap();
        assert!(cookie.contains("Max-Age=0"), "{cookie}");

        // The same callback again, with the browser's secret put back: its state and nonce
        // were used.
        let provider = app.google.as_ref().unwrap();
        let mut thief = Agent::new(&app);
        thief
            .cookies
            .insert("fidelis_console_google".into(), trip.secret.clone());
        let exchanges = provider.token_requests();
        let page = thief.get(&trip.callback).await;
        assert_refused(&thief, &page, 401, "expired or was already used");
        assert_eq!(
            provider.token_requests(),
            exchanges,
            "the code was sent again"
        );

        // A callback of a sign-in started in another browser (no secret cookie, or another
        // one) is refused, so nobody can be signed in as someone else.
        let mut victim = Agent::new(&app);
        let mut attacker = Agent::new(&app);
        provider.next(account(), Tamper::None);
        let start = attacker.get("/console/login/google").await;
        let res = attacker
            .http
            .get(start.location.unwrap())
            .send()
            .await
            .unwrap();
        let back = res.headers()[LOCATION].to_str().unwrap().to_string();
        let page = victim.get(back.strip_prefix(&app.base).unwrap()).await;
        assert_refused(&victim, &page, 401, "expired or was already used");
        // … and that sign-in is spent.
        let page = attacker.get(back.strip_prefix(&app.base).unwrap()).await;
        assert_refused(&attacker, &page, 401, "expired or was already used");

        // Ten minutes after the start is too late.
        let mut slow = Agent::new(&app);
        provider.next(account(), Tamper::None);
        let start = slow.get("/console/login/google").await;
        let res = slow.http.get(start.location.unwrap()).send().await.unwrap();
        let back = res.headers()[LOCATION].to_str().unwrap().to_string();
        app.clock.advance(jiff::SignedDuration::from_mins(10));
        let page = slow.get(back.strip_prefix(&app.base).unwrap()).await;
        assert_refused(&slow, &page, 401, "expired or was already used");

        // The person cancelled at Google.
        let mut cancelled = Agent::new(&app);
        let start = cancelled.get("/console/login/google").await;
        let location = start.location.unwrap();
        let state = location
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("state="))
            .unwrap()
            .to_string();
        let page = cancelled
            .get(&format!(
                "/console/login/google/callback?error=access_denied&state={state}"
            ))
            .await;
        assert_refused(
            &cancelled,
            &page,
            401,
            "Google did not sign you in (access_denied)",
        );
    }
);

both_backends!(without_google_settings_there_is_no_google_sign_in, |app| {
    let mut agent = Agent::new(&app);
    let login = agent.get("/console/login").await;
    assert_eq!(login.status, 200);
    assert!(
        !login.body.contains("Sign in with Google"),
        "{}",
        login.body
    );
    for path in [
        "/console/login/google",
        "/console/login/google/callback?state=x&code=y",
    ] {
        let page = agent.get(path).await;
        assert_refused(
            &agent,
            &page,
            404,
            "sign-in with Google is not configured on this server",
        );
    }
});
