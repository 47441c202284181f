#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed step fails the test

//! Partner OAuth end to end: a third-party client library (the `oauth2` crate) against the
//! demo partner client, the hosted sign-in page driven as a browser would (GET the form,
//! POST it, follow the 303), the OTP read from the SMS the `file:` adapter delivered, and
//! the attacks of RFC 9700 each failing safely. Both backends.

mod common;

use common::sms::SmsApp;
use common::{send, Backend, ACME_ORG};
use jiff::SignedDuration;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    IntrospectionUrl, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RevocationUrl, Scope, TokenResponse, TokenUrl,
};
use reqwest::Method;
use serde_json::{json, Value};

const CLIENT: (&str, &str) = ("demo-partner", "demo-partner-secret");
const CALLBACK: &str = "http://127.0.0.1:8765/callback";
const MOBILE: &str = "6591239876";

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointSet, EndpointSet, EndpointSet>;

/// The server with SMS delivered to a file, and a registered customer.
struct Env {
    app: SmsApp,
    /// A browser: cookies are not needed, redirects are not followed.
    browser: reqwest::Client,
    customer: i64,
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn env(backend: Backend) -> Option<Env> {
    let app = SmsApp::start(backend).await?;
    let (status, res) = send(app.till(Method::POST, "/v2/customers").json(&json!({
        "profiles": [{"firstName": "Mei", "lastName": "Tan", "source": "INSTORE",
                      "identifiers": [{"type": "mobile", "value": MOBILE}]}]
    })))
    .await;
    assert_eq!(status, 200, "{res}");
    let customer = res["createdId"].as_i64().unwrap();
    Some(Env {
        app,
        browser: no_redirects(),
        customer,
    })
}

macro_rules! both {
    ($name:ident, |$env:ident| $body:block) => {
        mod $name {
            use super::*;

            async fn run(backend: Backend) {
                let Some($env) = env(backend).await else {
                    return;
                };
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    };
}

impl Env {
    fn issuer(&self, org: &str) -> String {
        self.app.url(&format!("/o/{org}"))
    }

    fn client(&self) -> Client {
        self.client_of("demo", CLIENT.0, CLIENT.1)
    }

    fn client_of(&self, org: &str, id: &str, secret: &str) -> Client {
        let iss = self.issuer(org);
        BasicClient::new(ClientId::new(id.into()))
            .set_client_secret(ClientSecret::new(secret.into()))
            .set_auth_uri(AuthUrl::new(format!("{iss}/oauth2/authorize")).unwrap())
            .set_token_uri(TokenUrl::new(format!("{iss}/oauth2/token")).unwrap())
            .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap())
            .set_revocation_url(RevocationUrl::new(format!("{iss}/oauth2/revoke")).unwrap())
            .set_introspection_url(
                IntrospectionUrl::new(format!("{iss}/oauth2/introspect")).unwrap(),
            )
    }

    /// The SMS messages delivered so far.
    async fn delivered(&self) -> Vec<Value> {
        self.app.delivered().await
    }

    /// The code in the last SMS delivered to `to`.
    async fn last_otp(&self, to: &str) -> String {
        self.app.last_code(to).await
    }

    async fn get(&self, url: &str) -> (u16, String, Option<String>) {
        page(self.browser.get(url)).await
    }

    /// Posts a form of the sign-in page with the request and CSRF token of `html`.
    async fn post(
        &self,
        org: &str,
        html: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let mut form = vec![
            ("request".to_string(), hidden(html, "request")),
            ("csrf".to_string(), hidden(html, "csrf")),
        ];
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let url = format!("{}/oauth2/authorize", self.issuer(org));
        page(self.browser.post(url).form(&form)).await
    }

    async fn identify(&self, html: &str, who: &str) -> (u16, String, Option<String>) {
        self.post("demo", html, &[("step", "identify"), ("identifier", who)])
            .await
    }

    async fn otp(&self, html: &str, code: &str) -> (u16, String, Option<String>) {
        self.post("demo", html, &[("step", "otp"), ("otp", code)])
            .await
    }

    /// Starts an authorization with the oauth2 crate: the URL, the state and the verifier.
    fn authorize_url(&self, scopes: &[&str]) -> (String, CsrfToken, PkceCodeVerifier) {
        self.authorize_url_of(&self.client(), scopes)
    }

    fn authorize_url_of(
        &self,
        client: &Client,
        scopes: &[&str],
    ) -> (String, CsrfToken, PkceCodeVerifier) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().map(|s| Scope::new(s.to_string())))
            .set_pkce_challenge(challenge)
            .url();
        (url.to_string(), state, verifier)
    }

    /// Signs the customer in on the page at `url` up to the consent page (or the
    /// redirect, when consent was given before). Returns the last page.
    async fn sign_in(&self, url: &str) -> (u16, String, Option<String>) {
        // Past the previous sign-in's resend cool-down.
        self.app.clock.advance(SignedDuration::from_secs(31));
        let (status, html, _) = self.get(url).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Demo Partner App"), "{html}");
        let (status, otp_page, _) = self.identify(&html, MOBILE).await;
        assert_eq!(status, 200, "{otp_page}");
        let code = self.last_otp(MOBILE).await;
        self.otp(&otp_page, &code).await
    }

    /// The whole browser part: a code for `scopes`, with its verifier.
    async fn code(&self, scopes: &[&str]) -> (String, PkceCodeVerifier) {
        self.code_of(&self.client(), scopes).await
    }

    async fn code_of(&self, client: &Client, scopes: &[&str]) -> (String, PkceCodeVerifier) {
        let (url, state, verifier) = self.authorize_url_of(client, scopes);
        let (status, html, location) = self.sign_in(&url).await;
        let location = if status == 303 {
            location.unwrap()
        } else {
            assert_eq!(status, 200, "{html}");
            assert!(html.contains("asks to"), "{html}");
            let (status, _, location) = self
                .post("demo", &html, &[("step", "consent"), ("decision", "allow")])
                .await;
            assert_eq!(status, 303);
            location.unwrap()
        };
        let q = query(&location);
        assert!(location.starts_with(CALLBACK), "{location}");
        assert_eq!(q["state"], *state.secret());
        (q["code"].clone(), verifier)
    }

    async fn tokens(&self, scopes: &[&str]) -> oauth2::basic::BasicTokenResponse {
        self.tokens_of(&self.client(), scopes).await
    }

    async fn tokens_of(
        &self,
        client: &Client,
        scopes: &[&str],
    ) -> oauth2::basic::BasicTokenResponse {
        let (code, verifier) = self.code_of(client, scopes).await;
        client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .request_async(&no_redirects())
            .await
            .unwrap()
    }

    async fn mobile(&self, token: &str, path: &str) -> (u16, Value, Option<String>) {
        let res = self
            .app
            .http
            .get(self.app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let challenge = res
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_string());
        (status, res.json().await.unwrap_or(Value::Null), challenge)
    }

    /// A raw token-endpoint call with the demo client's Basic credentials.
    async fn token_call(&self, org: &str, form: &[(&str, &str)]) -> (u16, Value) {
        send(
            self.app
                .http
                .post(format!("{}/oauth2/token", self.issuer(org)))
                .basic_auth(CLIENT.0, Some(CLIENT.1))
                .form(form),
        )
        .await
    }

    async fn refresh(&self, token: &str) -> (u16, Value) {
        self.token_call(
            "demo",
            &[("grant_type", "refresh_token"), ("refresh_token", token)],
        )
        .await
    }

    async fn introspect(&self, org: &str, client: (&str, &str), token: &str) -> Value {
        let (status, body) = send(
            self.app
                .http
                .post(format!("{}/oauth2/introspect", self.issuer(org)))
                .basic_auth(client.0, Some(client.1))
                .form(&[("token", token)]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

fn expect_error(status: u16, body: &Value, want: u16, error: &str) {
    assert_eq!(
        (status, body["error"].as_str()),
        (want, Some(error)),
        "{body}"
    );
}

async fn page(req: reqwest::RequestBuilder) -> (u16, String, Option<String>) {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, res.text().await.unwrap(), location)
}

/// The value of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

fn query(location: &str) -> std::collections::HashMap<String, String> {
    reqwest::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

both!(full_flow_with_a_third_party_client, |env| {
    let tokens = env.tokens(&["profile", "points", "coupons"]).await;
    let access = tokens.access_token().secret().clone();
    assert!(access.starts_with("fid_at_"));
    assert_eq!(tokens.token_type(), &oauth2::basic::BasicTokenType::Bearer);
    assert_eq!(
        tokens.expires_in(),
        Some(std::time::Duration::from_secs(900))
    );
    let (status, points, _) = env.mobile(&access, "/mobile/v2/me/points").await;
    assert_eq!(status, 200, "{points}");
    assert_eq!(points["programs"][0]["programName"], "Demo Rewards");
    assert_eq!(points["programs"][0]["balance"], json!("0"));
    let (status, me, _) = env.mobile(&access, "/mobile/v2/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], env.customer);
    assert_eq!(me["firstName"], "Mei");

    // Refresh: new tokens; the old access token still works until it expires.
    let refresh = tokens.refresh_token().unwrap().clone();
    let renewed = env
        .client()
        .exchange_refresh_token(&refresh)
        .request_async(&no_redirects())
        .await
        .unwrap();
    let access2 = renewed.access_token().secret().clone();
    assert_ne!(access2, access);
    assert_ne!(renewed.refresh_token().unwrap().secret(), refresh.secret());
    assert_eq!(env.mobile(&access2, "/mobile/v2/me/points").await.0, 200);

    // Revoke; the revoked token is refused.
    // The oauth2 crate revokes only over https; RFC 7009 is one form post.
    let (status, _) = send(
        env.app
            .http
            .post(format!("{}/oauth2/revoke", env.issuer("demo")))
            .basic_auth(CLIENT.0, Some(CLIENT.1))
            .form(&[
                ("token", access2.as_str()),
                ("token_type_hint", "access_token"),
            ]),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body, challenge) = env.mobile(&access2, "/mobile/v2/me/points").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_token");
    assert_eq!(challenge.as_deref(), Some("Bearer error=\"invalid_token\""));

    // Signing in again with the same scopes skips the consent screen.
    let (url, _, _) = env.authorize_url(&["points"]);
    let (status, _, location) = env.sign_in(&url).await;
    assert_eq!(status, 303);
    assert!(query(&location.unwrap()).contains_key("code"));
});

both!(metadata_has_every_rfc_8414_field, |env| {
    let (status, m) = send(
        env.app.http.get(
            env.app
                .url("/o/demo/.well-known/oauth-authorization-server"),
        ),
    )
    .await;
    assert_eq!(status, 200, "{m}");
    let iss = env.issuer("demo");
    assert_eq!(m["issuer"], iss);
    assert_eq!(
        m["authorization_endpoint"],
        format!("{iss}/oauth2/authorize")
    );
    assert_eq!(m["token_endpoint"], format!("{iss}/oauth2/token"));
    assert_eq!(m["revocation_endpoint"], format!("{iss}/oauth2/revoke"));
    assert_eq!(
        m["introspection_endpoint"],
        format!("{iss}/oauth2/introspect")
    );
    assert_eq!(m["response_types_supported"], json!(["code"]));
    assert_eq!(
        m["grant_types_supported"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        m["scopes_supported"],
        json!(["profile", "points", "coupons"])
    );
    assert_eq!(
        m["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
    let (status, same) = send(
        env.app.http.get(
            env.app
                .url("/.well-known/oauth-authorization-server/o/demo"),
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(same, m);
    let (status, err) = send(
        env.app.http.get(
            env.app
                .url("/o/nosuch/.well-known/oauth-authorization-server"),
        ),
    )
    .await;
    expect_error(status, &err, 400, "invalid_request");
});

both!(
    a_redirect_uri_off_by_one_character_gets_an_error_page,
    |env| {
        let (url, _, _) = env.authorize_url(&["points"]);
        for (from, to) in [
            (CALLBACK, "http://127.0.0.1:8765/callbacK"),
            (CALLBACK, "http://127.0.0.1:8765/callback/"),
            ("client_id=demo-partner", "client_id=demo-partnr"),
        ] {
            let enc = |s: &str| s.replace(':', "%3A").replace('/', "%2F");
            let bad = url.replace(&enc(from), &enc(to)).replace(from, to);
            assert_ne!(bad, url);
            let (status, html, location) = env.get(&bad).await;
            assert_eq!(status, 400, "{html}");
            assert_eq!(location, None);
            assert!(html.contains("Sign-in failed"), "{html}");
        }
    }
);

both!(pkce_is_required_and_s256_only, |env| {
    let base = format!(
        "{}/oauth2/authorize?response_type=code&client_id=demo-partner&redirect_uri={}&scope=points&state=xyz",
        env.issuer("demo"),
        CALLBACK.replace(':', "%3A").replace('/', "%2F")
    );
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    for extra in [
        String::new(),
        format!("&code_challenge={challenge}"),
        format!("&code_challenge={challenge}&code_challenge_method=plain"),
    ] {
        let (status, _, location) = env.get(&format!("{base}{extra}")).await;
        assert_eq!(status, 303);
        let q = query(&location.unwrap());
        assert_eq!(q["error"], "invalid_request");
        assert_eq!(q["state"], "xyz");
    }
    // A wrong verifier, and none, are refused at the token endpoint.
    let (code, _) = env.code(&["points"]).await;
    let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let (status, err) = env
        .token_call(
            "demo",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", wrong),
            ],
        )
        .await;
    expect_error(status, &err, 400, "invalid_grant");
    let (code, _) = env.code(&["points"]).await;
    let (status, err) = env
        .token_call(
            "demo",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
    expect_error(status, &err, 400, "invalid_request");
    // A bad client secret is invalid_client, 401.
    let (status, err) = send(
        env.app
            .http
            .post(format!("{}/oauth2/token", env.issuer("demo")))
            .basic_auth(CLIENT.0, Some("wrong-secret-wrong"))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")]),
    )
    .await;
    expect_error(status, &err, 401, "invalid_client");
});

both!(a_replayed_code_is_refused_and_revokes_its_tokens, |env| {
    let (code, verifier) = env.code(&["points"]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier.secret().as_str()),
    ];
    let (status, first) = env.token_call("demo", &form).await;
    assert_eq!(status, 200, "{first}");
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(env.mobile(access, "/mobile/v2/me/points").await.0, 200);
    let (status, err) = env.token_call("demo", &form).await;
    expect_error(status, &err, 400, "invalid_grant");
    assert_eq!(env.mobile(access, "/mobile/v2/me/points").await.0, 401);
    let refresh = first["refresh_token"].as_str().unwrap();
    let (status, _) = env.refresh(refresh).await;
    assert_eq!(status, 400);
});

both!(a_reused_refresh_token_revokes_the_family, |env| {
    let tokens = env.tokens(&["points"]).await;
    let first_refresh = tokens.refresh_token().unwrap().secret().clone();
    let (status, second) = env.refresh(&first_refresh).await;
    assert_eq!(status, 200, "{second}");
    let access2 = second["access_token"].as_str().unwrap();
    assert_eq!(env.mobile(access2, "/mobile/v2/me/points").await.0, 200);
    // Narrowing is allowed, widening is not.
    let (status, err) = env
        .token_call(
            "demo",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", second["refresh_token"].as_str().unwrap()),
                ("scope", "points coupons"),
            ],
        )
        .await;
    expect_error(status, &err, 400, "invalid_scope");
    // The first refresh token again: refused, and every token of the grant revoked.
    let (status, err) = env.refresh(&first_refresh).await;
    expect_error(status, &err, 400, "invalid_grant");
    assert_eq!(env.mobile(access2, "/mobile/v2/me/points").await.0, 401);
    assert_eq!(
        env.mobile(tokens.access_token().secret(), "/mobile/v2/me/points")
            .await
            .0,
        401
    );
    let (status, _) = env
        .token_call(
            "demo",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", second["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 400);
});

const ACME_PARTNER: &str = r#"
[[identity.clients]]
client_id = "acme-partner"
secret = "acme-partner-secret"
redirect_uris = ["http://127.0.0.1:8765/callback"]
scopes = "profile points"
"#;

both!(a_token_of_one_org_is_inactive_at_another, |env| {
    env.app.apply(&format!("{ACME_ORG}{ACME_PARTNER}")).await;
    let tokens = env.tokens(&["points"]).await;
    let access = tokens.access_token().secret();
    let at_demo = env.introspect("demo", CLIENT, access).await;
    assert_eq!(at_demo["active"], true, "{at_demo}");
    assert_eq!(at_demo["client_id"], "demo-partner");
    assert_eq!(at_demo["sub"], env.customer.to_string());
    assert_eq!(at_demo["scope"], "points");
    let at_acme = env
        .introspect("acme", ("acme-partner", "acme-partner-secret"), access)
        .await;
    assert_eq!(at_acme, json!({"active": false}));
    // Nor can the demo client authenticate at acme, or acme's revoke the demo token.
    let (status, err) = env
        .token_call(
            "acme",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens.refresh_token().unwrap().secret()),
            ],
        )
        .await;
    expect_error(status, &err, 401, "invalid_client");
    let (status, _) = send(
        env.app
            .http
            .post(format!("{}/oauth2/revoke", env.issuer("acme")))
            .basic_auth("acme-partner", Some("acme-partner-secret"))
            .form(&[("token", access.as_str())]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(env.mobile(access, "/mobile/v2/me/points").await.0, 200);
    // Garbage is inactive too.
    assert_eq!(
        env.introspect("demo", CLIENT, "fid_at_nope").await,
        json!({"active": false})
    );
});

both!(a_token_without_points_gets_403_on_the_points_api, |env| {
    let tokens = env.tokens(&["profile"]).await;
    let access = tokens.access_token().secret();
    let (status, body, challenge) = env.mobile(access, "/mobile/v2/me/points").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "insufficient_scope");
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer error=\"insufficient_scope\", scope=\"points\"")
    );
    assert_eq!(env.mobile(access, "/mobile/v2/me/coupons").await.0, 403);
    assert_eq!(env.mobile(access, "/mobile/v2/me").await.0, 200);
    let (status, _, _) = env.mobile("fid_at_forged", "/mobile/v2/me").await;
    assert_eq!(status, 401);
});

/// The OTP page of a fresh authorization.
async fn otp_page(env: &Env) -> String {
    let (url, _, _) = env.authorize_url(&["points"]);
    let (_, html, _) = env.get(&url).await;
    let (status, otp, _) = env.identify(&html, MOBILE).await;
    assert_eq!(status, 200, "{otp}");
    otp
}

both!(the_sixth_wrong_otp_finds_the_code_dead, |env| {
    let page = otp_page(&env).await;
    let code = env.last_otp(MOBILE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..=4).rev() {
        let (status, html, _) = env.otp(&page, wrong).await;
        assert_eq!(status, 400);
        assert!(html.contains(&format!("{left} tries left")), "{html}");
    }
    let (status, html, _) = env.otp(&page, wrong).await;
    assert_eq!(status, 400);
    assert!(html.contains("no longer valid"), "{html}");
    // The sixth try, even with the right code, is refused.
    let (status, html, location) = env.otp(&page, &code).await;
    assert_eq!((status, location), (400, None));
    assert!(html.contains("no longer valid"), "{html}");
});

both!(an_otp_after_five_minutes_is_refused, |env| {
    let page = otp_page(&env).await;
    let code = env.last_otp(MOBILE).await;
    env.app.clock.advance(SignedDuration::from_secs(301));
    let (status, html, location) = env.otp(&page, &code).await;
    assert_eq!((status, location), (400, None));
    assert!(html.contains("no longer valid"), "{html}");
});

both!(otp_sends_beyond_the_hourly_limit_are_refused, |env| {
    let (url, _, _) = env.authorize_url(&["points"]);
    let (_, html, _) = env.get(&url).await;
    // Too soon after the first: the cool-down.
    assert_eq!(env.identify(&html, MOBILE).await.0, 200);
    let (status, body, _) = env.identify(&html, MOBILE).await;
    assert_eq!(status, 429, "{body}");
    for _ in 0..4 {
        env.app.clock.advance(SignedDuration::from_secs(31));
        let (status, body, _) = env.identify(&html, MOBILE).await;
        assert_eq!(status, 200, "{body}");
    }
    env.app.clock.advance(SignedDuration::from_secs(31));
    let (status, body, _) = env.identify(&html, MOBILE).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("too many codes"), "{body}");
    assert_eq!(env.delivered().await.len(), 5);
    // An hour later the window has moved on (for a new sign-in: this one has expired).
    env.app.clock.advance(SignedDuration::from_secs(3600));
    let (url, _, _) = env.authorize_url(&["points"]);
    let (_, html, _) = env.get(&url).await;
    assert_eq!(env.identify(&html, MOBILE).await.0, 200);
});

both!(a_forged_csrf_token_is_refused, |env| {
    let (url, _, _) = env.authorize_url(&["points"]);
    let (_, html, _) = env.get(&url).await;
    let forged = html.replace(&hidden(&html, "csrf"), "fid_cs_forged");
    let (status, body, location) = env.identify(&forged, MOBILE).await;
    assert_eq!((status, location), (403, None));
    assert!(
        body.contains("not valid for this sign-in request"),
        "{body}"
    );
    assert!(env.delivered().await.is_empty());
    // Another request's token does not fit either.
    let (url2, _, _) = env.authorize_url(&["points"]);
    let (_, other, _) = env.get(&url2).await;
    let mixed = html.replace(&hidden(&html, "csrf"), &hidden(&other, "csrf"));
    assert_eq!(env.identify(&mixed, MOBILE).await.0, 403);
});

both!(an_unregistered_customer_is_told_so, |env| {
    let (url, _, _) = env.authorize_url(&["points"]);
    let (_, html, _) = env.get(&url).await;
    let (status, body, _) = env.identify(&html, "6590000001").await;
    assert_eq!(status, 400);
    assert!(body.contains("no customer is registered"), "{body}");
    assert!(env.delivered().await.is_empty());
});

both!(secrets_are_stored_only_as_hashes, |env| {
    let (code, verifier) = env.code(&["points"]).await;
    let otp = env.last_otp(MOBILE).await;
    let tokens = env
        .client()
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(verifier)
        .request_async(&no_redirects())
        .await
        .unwrap();
    let raw = [
        tokens.access_token().secret().clone(),
        tokens.refresh_token().unwrap().secret().clone(),
        code.clone(),
        CLIENT.1.to_string(),
    ];
    let mut seen = 0;
    for (table, cols) in [
        (
            "identity_tokens",
            "token_hash || '|' || family || '|' || scope",
        ),
        (
            "identity_codes",
            "code_hash || '|' || family || '|' || code_challenge",
        ),
        (
            "identity_otps",
            "code_hmac || '|' || id || '|' || identifier || '|' || txn",
        ),
        ("identity_clients", "secret_hash || '|' || client_id"),
        (
            "identity_requests",
            "id || '|' || csrf_hash || '|' || code_challenge",
        ),
    ] {
        let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT {cols} FROM {table}"))
            .fetch_all(env.app.db.reader())
            .await
            .unwrap();
        assert!(!rows.is_empty(), "{table}");
        for (row,) in rows {
            seen += 1;
            for secret in &raw {
                assert!(
                    !row.contains(secret.as_str()),
                    "{table} holds a raw secret: {row}"
                );
            }
            if table == "identity_otps" {
                let hmac = row.split('|').next().unwrap();
                assert_eq!(hmac.len(), 64);
                assert!(!hmac.contains(&otp));
            }
        }
    }
    assert!(seen >= 6);
    let (hash,): (String,) =
        sqlx::query_as("SELECT secret_hash FROM identity_clients WHERE client_id = 'demo-partner'")
            .fetch_one(env.app.db.reader())
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let (token_hash,): (String,) =
        sqlx::query_as("SELECT token_hash FROM identity_tokens WHERE kind = 'access'")
            .fetch_one(env.app.db.reader())
            .await
            .unwrap();
    assert_eq!(
        token_hash,
        fidelis_domain::credentials::sha256_hex(tokens.access_token().secret())
    );
    let _ = RefreshToken::new(String::new());
});

impl Env {
    async fn mobile_post(
        &self,
        token: &str,
        path: &str,
        key: Option<&str>,
        body: Value,
    ) -> (u16, Value) {
        let mut req = self
            .app
            .http
            .post(self.app.url(path))
            .bearer_auth(token)
            .json(&body);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        send(req).await
    }
}

both!(points_and_coupons_through_the_wrapper_api, |env| {
    // 1000 SGD earns 100 points (1 per 10).
    let path =
        format!("/v2/transactions?source=INSTORE&identifierName=mobile&identifierValue={MOBILE}");
    let bill = json!({"type": "REGULAR", "billNumber": "B-1", "billAmount": "1000"});
    let (status, res) = send(env.app.till(Method::POST, &path).json(&bill)).await;
    assert_eq!(status, 200, "{res}");
    let (series,): (i64,) = sqlx::query_as("SELECT id FROM coupon_series WHERE code = 'WELCOME10'")
        .fetch_one(env.app.db.reader())
        .await
        .unwrap();
    let (status, issued) = send(
        env.app
            .till(Method::POST, "/v2/coupon/issue")
            .json(&json!({"seriesId": series, "customer": {"id": env.customer}})),
    )
    .await;
    assert_eq!(status, 200, "{issued}");
    let code = issued["code"].as_str().unwrap().to_string();

    let tokens = env.tokens(&["points", "coupons"]).await;
    let at = tokens.access_token().secret();
    let (_, points, _) = env.mobile(at, "/mobile/v2/me/points").await;
    assert_eq!(points["programs"][0]["balance"], json!("100"), "{points}");
    assert_eq!(
        points["programs"][0]["expirySchedule"][0]["points"],
        json!("100"),
        "{points}"
    );

    // Spending once per key; more than the balance is refused in the v2 envelope.
    let redeem = json!({"points": "30"});
    let (status, first) = env
        .mobile_post(
            at,
            "/mobile/v2/me/points/redeem",
            Some("k-1"),
            redeem.clone(),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["redeemed"].clone(), first["balance"].clone()),
        (json!("30"), json!("70"))
    );
    let (status, again) = env
        .mobile_post(at, "/mobile/v2/me/points/redeem", Some("k-1"), redeem)
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["repeated"].clone(), again["balance"].clone()),
        (json!(true), json!("70"))
    );
    assert_eq!(again["entryId"], first["entryId"]);
    // Sixteen at once with one new key: one spends, the others get it back.
    let racing = (0..16).map(|_| {
        env.mobile_post(
            at,
            "/mobile/v2/me/points/redeem",
            Some("k-race"),
            json!({"points": "10"}),
        )
    });
    let answers = futures::future::join_all(racing).await;
    let entries: std::collections::HashSet<String> = answers
        .iter()
        .map(|(status, a)| {
            assert_eq!(*status, 200, "{a}");
            a["entryId"].to_string()
        })
        .collect();
    assert_eq!(entries.len(), 1, "{answers:?}");
    let (_, points, _) = env.mobile(at, "/mobile/v2/me/points").await;
    assert_eq!(points["programs"][0]["balance"], json!("60"), "{points}");
    let (status, err) = env
        .mobile_post(
            at,
            "/mobile/v2/me/points/redeem",
            None,
            json!({"points": "61"}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["errors"][0]["code"], 813, "{err}");
    let (_, txns, _) = env.mobile(at, "/mobile/v2/me/transactions").await;
    let kinds: Vec<&str> = txns["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["REDEMPTION", "REDEMPTION", "CREDIT"], "{txns}");

    // Coupons: listed, redeemed once.
    let (status, list, _) = env.mobile(at, "/mobile/v2/me/coupons").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["coupons"][0]["code"], code.as_str());
    let body = json!({"code": code, "billAmount": "50", "transactionNumber": "T-1"});
    let (status, done) = env
        .mobile_post(at, "/mobile/v2/me/coupons/redeem", None, body.clone())
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["redeemed"][0]["code"], code.as_str());
    let (status, err) = env
        .mobile_post(at, "/mobile/v2/me/coupons/redeem", None, body)
        .await;
    assert_eq!(status, 400, "{err}");
    assert!(err["errors"][0]["code"].is_number(), "{err}");
});

// ---- The admin API for partner clients and OTP limits, and PUT /mobile/v2/me ----

impl Env {
    /// An admin request as the demo org's API client (token auth).
    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let token = self.app.token("demo-key", "demo-secret").await;
        let mut req = self
            .app
            .http
            .request(method, self.app.url(path))
            .header("X-CAP-API-OAUTH-TOKEN", token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        send(req).await
    }
}

both!(partner_clients_are_managed_through_the_admin_api, |env| {
    // A till's credentials never administer the org.
    let (status, res) = send(env.app.till(Method::GET, "/v2/identity/clients")).await;
    assert_eq!(status, 403, "{res}");

    let (status, list) = env.admin(Method::GET, "/v2/identity/clients", None).await;
    assert_eq!(status, 200, "{list}");
    let demo = &list["data"][0];
    assert_eq!(
        (demo["clientId"].clone(), demo["managedBy"].clone()),
        (json!("demo-partner"), json!("file"))
    );
    // The org file's clients change only with the file.
    let (status, res) = env
        .admin(
            Method::PUT,
            "/v2/identity/clients/demo-partner",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(
        (status, res["errors"][0]["code"].clone()),
        (400, json!(1620)),
        "{res}"
    );
    let (status, _) = env
        .admin(
            Method::POST,
            "/v2/identity/clients/demo-partner/secret",
            None,
        )
        .await;
    assert_eq!(status, 400);

    // The same rules as the org file: https or loopback, known scopes, lifetimes in range.
    for bad in [
        json!({"clientId": "web-app", "redirectUris": ["http://evil.example/cb"], "scopes": "points"}),
        json!({"clientId": "web-app", "redirectUris": [CALLBACK], "scopes": "points admin"}),
        json!({"clientId": "web-app", "redirectUris": [CALLBACK], "scopes": "points", "accessTtlSeconds": 5}),
        json!({"clientId": "a b", "redirectUris": [CALLBACK], "scopes": "points"}),
        json!({"clientId": "web-app", "scopes": "points"}),
    ] {
        let (status, res) = env
            .admin(Method::POST, "/v2/identity/clients", Some(bad.clone()))
            .await;
        assert_eq!(status, 400, "{bad} → {res}");
        assert_eq!(res["errors"][0]["code"], json!(1604), "{res}");
    }

    let (status, made) = env
        .admin(
            Method::POST,
            "/v2/identity/clients",
            Some(
                json!({"clientId": "web-app", "name": "Demo Partner App Web",
                        "redirectUris": [CALLBACK], "scopes": "profile points"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    assert_eq!(made["entity"]["managedBy"], json!("api"));
    assert_eq!(made["entity"]["accessTtlSeconds"], json!(900));
    let secret = made["entity"]["clientSecret"].as_str().unwrap().to_string();
    assert!(
        secret.starts_with("fid_sk_") && secret.len() > 40,
        "{secret}"
    );
    // Shown once: reading the client never shows it again, and the table holds a hash.
    let (_, read) = env
        .admin(Method::GET, "/v2/identity/clients/web-app", None)
        .await;
    assert!(read["entity"].get("clientSecret").is_none(), "{read}");
    let (hash,): (String,) =
        sqlx::query_as("SELECT secret_hash FROM identity_clients WHERE client_id = 'web-app'")
            .fetch_one(env.app.db.reader())
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(&secret));
    let (status, res) = env
        .admin(
            Method::POST,
            "/v2/identity/clients",
            Some(json!({"clientId": "web-app", "redirectUris": [CALLBACK], "scopes": "points"})),
        )
        .await;
    assert_eq!(
        (status, res["errors"][0]["code"].clone()),
        (400, json!(1619))
    );

    // The new client signs a customer in with the secret it was given.
    let web = env.client_of("demo", "web-app", &secret);
    let tokens = env.tokens_of(&web, &["points"]).await;
    let at = tokens.access_token().secret().clone();
    let (status, _, _) = env.mobile(&at, "/mobile/v2/me/points").await;
    assert_eq!(status, 200);
    let live = env.introspect("demo", ("web-app", &secret), &at).await;
    assert_eq!(live["active"], json!(true), "{live}");

    // Rotation: the old secret stops working at once, the new one works.
    let (status, rotated) = env
        .admin(Method::POST, "/v2/identity/clients/web-app/secret", None)
        .await;
    assert_eq!(status, 200, "{rotated}");
    let fresh = rotated["entity"]["clientSecret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(fresh, secret);
    let (status, res) = send(
        env.app
            .http
            .post(format!("{}/oauth2/introspect", env.issuer("demo")))
            .basic_auth("web-app", Some(&secret))
            .form(&[("token", at.as_str())]),
    )
    .await;
    assert_eq!(
        (status, res["error"].clone()),
        (401, json!("invalid_client"))
    );
    let live = env.introspect("demo", ("web-app", &fresh), &at).await;
    assert_eq!(live["active"], json!(true));

    // Narrowing scopes and lifetimes; then disabling revokes every token it holds.
    let (status, changed) = env
        .admin(
            Method::PUT,
            "/v2/identity/clients/web-app",
            Some(json!({"scopes": "points", "accessTtlSeconds": 600})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (
            changed["entity"]["scopes"].clone(),
            changed["entity"]["accessTtlSeconds"].clone()
        ),
        (json!("points"), json!(600))
    );
    let (status, off) = env
        .admin(
            Method::PUT,
            "/v2/identity/clients/web-app",
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(
        (status, off["entity"]["active"].clone()),
        (200, json!(false))
    );
    let (status, _, challenge) = env.mobile(&at, "/mobile/v2/me/points").await;
    assert_eq!(status, 401);
    assert!(challenge.unwrap().contains("invalid_token"));
    let refresh = tokens.refresh_token().unwrap().secret().clone();
    let (status, res) = send(
        env.app
            .http
            .post(format!("{}/oauth2/token", env.issuer("demo")))
            .basic_auth("web-app", Some(&fresh))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]),
    )
    .await;
    assert_eq!(
        (status, res["error"].clone()),
        (401, json!("invalid_client"))
    );

    // Another org's API client sees none of this org's clients.
    env.app.apply(ACME_ORG).await;
    let acme = env.app.token("acme-key", "acme-secret").await;
    let (status, res) = send(
        env.app
            .http
            .get(env.app.url("/v2/identity/clients/web-app"))
            .header("X-CAP-API-OAUTH-TOKEN", acme),
    )
    .await;
    assert_eq!(
        (status, res["errors"][0]["code"].clone()),
        (404, json!(1618))
    );

    // An unknown client is 404 to change, too.
    let (status, _) = env
        .admin(
            Method::PUT,
            "/v2/identity/clients/nobody",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, 404);
});

both!(otp_limits_are_set_through_the_admin_api_and_hold, |env| {
    let (status, cfg) = env.admin(Method::GET, "/v2/identity/otpConfig", None).await;
    assert_eq!(status, 200, "{cfg}");
    assert_eq!(cfg["entity"]["maxAttempts"], json!(5));
    let (status, res) = env
        .admin(
            Method::PUT,
            "/v2/identity/otpConfig",
            Some(json!({"maxAttempts": 0})),
        )
        .await;
    assert_eq!(status, 400, "{res}");
    let (status, cfg) = env
        .admin(
            Method::PUT,
            "/v2/identity/otpConfig",
            Some(json!({"maxAttempts": 2, "perHour": 3})),
        )
        .await;
    assert_eq!(status, 200, "{cfg}");
    assert_eq!(
        (
            cfg["entity"]["maxAttempts"].clone(),
            cfg["entity"]["ttlSeconds"].clone()
        ),
        (json!(2), json!(300))
    );
    // The sign-in page now allows two wrong tries per code.
    let page = otp_page(&env).await;
    let wrong = if env.last_otp(MOBILE).await == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (_, html, _) = env.otp(&page, wrong).await;
    assert!(html.contains("1 tries left"), "{html}");
    let (_, html, _) = env.otp(&page, wrong).await;
    assert!(html.contains("no longer valid"), "{html}");
    // Re-applying an org file without an [identity.otp] section keeps the limits.
    env.app.apply(common::DEMO_ORG).await;
    let (_, cfg) = env.admin(Method::GET, "/v2/identity/otpConfig", None).await;
    assert_eq!(cfg["entity"]["maxAttempts"], json!(2), "{cfg}");
});

both!(
    the_customer_changes_names_and_subscriptions_with_put_me,
    |env| {
        let tokens = env.tokens(&["profile"]).await;
        let at = tokens.access_token().secret();
        let put = |body: Value| {
            send(
                env.app
                    .http
                    .put(env.app.url("/mobile/v2/me"))
                    .bearer_auth(at)
                    .json(&body),
            )
        };
        let (status, me) = put(json!({"firstName": "  Meiling ", "subscriptions": [
            {"channel": "SMS", "status": "OPTOUT", "priority": "BULK"}
        ]}))
        .await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(
            (me["firstName"].clone(), me["lastName"].clone()),
            (json!("Meiling"), json!("Tan"))
        );
        let sms_bulk = me["subscriptions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["channel"] == "SMS" && s["priority"] == "BULK")
            .cloned();
        assert_eq!(sms_bulk.unwrap()["status"], json!("UNSUBSCRIBED"), "{me}");
        // The Capillary API sees the same customer.
        let (_, c) = env
            .app
            .get_as_demo(&format!("/v2/customers/{}", env.customer))
            .await;
        assert_eq!(c["profiles"][0]["firstName"], json!("Meiling"), "{c}");

        // A bad channel changes nothing, names included.
        let (status, res) = put(json!({"lastName": "Lim", "subscriptions": [
            {"channel": "PIGEON", "status": "OPTIN"}
        ]}))
        .await;
        assert_eq!(status, 400, "{res}");
        let (_, me, _) = env.mobile(at, "/mobile/v2/me").await;
        assert_eq!(me["lastName"], json!("Tan"));
        let (status, _) = put(json!({"firstName": "x".repeat(101)})).await;
        assert_eq!(status, 400);
        let (status, _) = put(json!({})).await;
        assert_eq!(status, 400);
        // Without the profile scope the change is refused.
        let points_only = env.tokens(&["points"]).await;
        let (status, _) = send(
            env.app
                .http
                .put(env.app.url("/mobile/v2/me"))
                .bearer_auth(points_only.access_token().secret())
                .json(&json!({"firstName": "Eve"})),
        )
        .await;
        assert_eq!(status, 403);
    }
);
