//! Foundation: authentication, envelopes, org reads, tenant isolation, org files.

// Test code: helpers and test bodies outside #[test] functions may unwrap and panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{send, ACME_ORG, DEMO_TILL};
use fidelis_domain::credentials::basic_header;
use reqwest::Method;
use serde_json::json;

both_backends!(basic_auth_reads_the_demo_org, |app| {
    let (status, body) = app.get_as_demo("/v1.1/organization/get.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["status"]["success"], "true");
    let org = &body["response"]["organization"];
    assert_eq!(org["name"], "Demo Retail");
    assert_eq!(org["timezone"], "Asia/Singapore");
    assert_eq!(org["timezone_offset"], "UTC+08:00");
    assert_eq!(org["currency"], "SGD");
});

both_backends!(bad_credentials_get_401_in_the_envelope, |app| {
    let wrong_password = app.as_till(
        DEMO_TILL.0,
        "wrong",
        Method::GET,
        "/v2/organization/till?code=demo.till",
    );
    let unknown_till = app.as_till(
        "no.such.till",
        "demo123",
        Method::GET,
        "/v2/organization/till?code=demo.till",
    );
    let malformed = app
        .http
        .get(app.url("/v2/organization/till?code=demo.till"))
        .header("Authorization", "Basic not-base64!!");
    let no_colon = app
        .http
        .get(app.url("/v2/organization/till?code=demo.till"))
        .header("Authorization", "Basic ZGVtby50aWxs");
    let garbage_token = app
        .http
        .get(app.url("/v2/organization/till?code=demo.till"))
        .header("X-CAP-API-OAUTH-TOKEN", "garbage");
    let nothing = app
        .http
        .get(app.url("/v2/organization/till?code=demo.till"));
    for req in [
        wrong_password,
        unknown_till,
        malformed,
        no_colon,
        garbage_token,
        nothing,
    ] {
        let (status, body) = send(req).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(
            body,
            json!({"errors": [{"status": false, "code": 401, "message": "Authentication failed"}]})
        );
    }
    // v1.1 paths answer in the v1.1 envelope.
    let (status, body) = send(app.as_till(
        DEMO_TILL.0,
        "wrong",
        Method::GET,
        "/v1.1/organization/get.json",
    ))
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["response"]["status"]["success"], "false");
    assert_eq!(body["response"]["status"]["code"], "401");
});

both_backends!(oauth_tokens_work_until_they_expire, |app| {
    let token = app.token("demo-key", "demo-secret").await;
    let call = || {
        app.http
            .get(app.url("/v1.1/organization/get.json"))
            .header("X-CAP-API-OAUTH-TOKEN", &token)
    };
    let (status, body) = send(call()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["response"]["organization"]["timezone"],
        "Asia/Singapore"
    );

    app.clock.advance(jiff::SignedDuration::from_secs(3601));
    let (status, body) = send(call()).await;
    assert_eq!(status, 401, "an expired token must be refused: {body}");
});

both_backends!(token_generation_refuses_bad_input, |app| {
    let url = app.url("/v3/oauth/token/generate");
    let (status, body) = send(
        app.http
            .post(&url)
            .json(&json!({"key": "demo-key", "secret": "nope"})),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["data"], serde_json::Value::Null);
    assert_eq!(body["errors"][0]["code"], 401);
    let (status, _) = send(
        app.http
            .post(&url)
            .json(&json!({"key": "unknown", "secret": "demo-secret"})),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = send(
        app.http
            .post(&url)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["code"], 400);
    let (status, body) = send(app.http.post(&url).json(&json!({"key": 5}))).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = send(app.http.post(&url).body("key=demo-key")).await;
    assert_eq!(status, 415, "{body}");
    assert_eq!(body["errors"][0]["code"], 415);
});

both_backends!(documented_basic_example_is_accepted, |app| {
    // capillary-examples.md A.1: till store.server / server123.
    app.apply(&common::DEMO_ORG.replace(
        "[[tills]]\ncode = \"demo.till2\"",
        "[[tills]]\ncode = \"store.server\"\nstore = \"orchard\"\npassword = \"server123\"\n\n[[tills]]\ncode = \"demo.till2\"",
    ))
    .await;
    let (status, body) = send(
        app.http
            .get(app.url("/v2/organization/till?code=store.server"))
            .header(
                "Authorization",
                "Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3",
            ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"], "store.server");
    assert_eq!(body["type"], "TILL");
});

both_backends!(two_orgs_never_see_each_other, |app| {
    app.apply(ACME_ORG).await;
    let acme = |path: &str| app.as_till("acme.till", "acme-pw", Method::GET, path);
    let (status, body) = send(acme("/v1.1/organization/get.json")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["response"]["organization"]["timezone"],
        "America/New_York"
    );

    // Acme cannot read the demo org's till, by code or by id.
    let (status, demo_till) = app
        .get_as_demo("/v2/organization/till?code=demo.till")
        .await;
    assert_eq!(status, 200);
    let (status, _) = send(acme("/v2/organization/till?code=demo.till")).await;
    assert_eq!(status, 404);
    let (status, _) = send(acme(&format!("/v2/organization/till/{}", demo_till["id"]))).await;
    assert_eq!(status, 404);
    // Entity listings hold only the caller's units.
    let (_, list) = send(acme("/v1.1/organization/entities")).await;
    let codes: Vec<_> = list["response"]["organization"]["entities"]["entity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["main", "downtown", "acme.till"]);
    // A token belongs to its client's org only, and attribution cannot point across orgs.
    let token = app.token("acme-key", "acme-secret").await;
    let (status, body) = send(
        app.http
            .get(app.url("/v2/organization/till?code=demo.till"))
            .header("X-CAP-API-OAUTH-TOKEN", &token),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = send(
        app.http
            .get(app.url("/v1.1/organization/get.json"))
            .header("X-CAP-API-OAUTH-TOKEN", &token)
            .header("X-CAP-API-ATTRIBUTION-ENTITY-TYPE", "STORE_CODE")
            .header("X-CAP-API-ATTRIBUTION-ENTITY-CODE", "orchard"),
    )
    .await;
    assert_eq!(status, 400);
    // Basic credentials of one org with the password of the other are refused.
    let (status, _) = send(app.as_till(
        "acme.till",
        "demo123",
        Method::GET,
        "/v1.1/organization/get.json",
    ))
    .await;
    assert_eq!(status, 401);
});

both_backends!(a_till_code_names_one_org_only, |app| {
    let stolen = ACME_ORG
        .replace("code = \"acme.till\"", "code = \"demo.till\"")
        .replace(
            "default_till = \"acme.till\"",
            "default_till = \"demo.till\"",
        );
    let file = fidelis_domain::org::OrgFile::parse("acme.toml", &stolen).unwrap();
    let err = app
        .db
        .orgs()
        .apply(&file, "2026-11-25T04:00:00Z".parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("already used by another org"),
        "{err}"
    );
    // Nothing of the refused file was written.
    assert!(app.db.orgs().by_code("acme").await.unwrap().is_none());
});

both_backends!(entities_filter_by_type_and_parent, |app| {
    let (status, body) = app
        .get_as_demo("/v1.1/organization/entities?type=STORE")
        .await;
    assert_eq!(status, 200, "{body}");
    let stores = body["response"]["organization"]["entities"]["entity"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(stores.len(), 2);
    assert!(stores
        .iter()
        .all(|s| s["type"] == "STORE" && s["item_status"]["code"] == "3200"));
    let (_, body) = app
        .get_as_demo("/v1.1/organization/entities?type=STORE&parent_identifier_type=CONCEPT_CODE&parent_identifier_value=fashion")
        .await;
    let stores = body["response"]["organization"]["entities"]["entity"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(stores.len(), 1);
    assert_eq!(stores[0]["code"], "orchard");
    let (status, body) = app
        .get_as_demo("/v1.1/organization/entities?type=PLANET")
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["response"]["status"]["code"], "400");
});

both_backends!(every_response_has_a_request_id, |app| {
    for req in [
        app.till(Method::GET, "/v1.1/organization/get.json"),
        app.http.get(app.url("/v1.1/organization/get.json")),
        app.http.get(app.url("/v2/no/such/thing")),
        app.http.get(app.url("/health")),
    ] {
        let res = req.send().await.unwrap();
        let id = res
            .headers()
            .get("x-cap-request-id")
            .expect("request id header");
        assert!(!id.is_empty());
    }
    let (status, body) = send(app.http.get(app.url("/v2/no/such/thing"))).await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["code"], 404);
    let (status, body) = send(app.till(Method::DELETE, "/v1.1/organization/get.json")).await;
    assert_eq!(status, 405);
    assert_eq!(body["response"]["status"]["code"], "405");
});

both_backends!(attribution_headers_resolve_within_the_org, |app| {
    let token = app.token("demo-key", "demo-secret").await;
    let with = |kind: &str, code: &str| {
        app.http
            .get(app.url("/v1.1/organization/get.json"))
            .header("X-CAP-API-OAUTH-TOKEN", &token)
            .header("X-CAP-API-ATTRIBUTION-ENTITY-TYPE", kind)
            .header("X-CAP-API-ATTRIBUTION-ENTITY-CODE", code)
    };
    assert_eq!(send(with("STORE_CODE", "marina")).await.0, 200);
    assert_eq!(send(with("TILL", "demo.till2")).await.0, 200);
    assert_eq!(send(with("STORE_CODE", "nowhere")).await.0, 400);
    assert_eq!(send(with("PLANET", "x")).await.0, 400);
    // Basic: a lookup value without its type is error 1061.
    let (status, body) = send(
        app.till(Method::GET, "/v1.1/organization/get.json")
            .header("X-CAP-API-ATTRIBUTION-LOOKUP", "demo.till2"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["response"]["status"]["code"], "1061");
});

both_backends!(client_permissions_are_enforced, |app| {
    let limited = common::DEMO_ORG.replace(
        "access = \"modify\"",
        "access = \"modify\"\nresources = { organization = \"none\" }",
    );
    app.apply(&limited).await;
    let token = app.token("demo-key", "demo-secret").await;
    let (status, body) = send(
        app.http
            .get(app.url("/v2/organization/till?code=demo.till"))
            .header("X-CAP-API-OAUTH-TOKEN", &token),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["errors"][0]["code"], 403);
});

both_backends!(applying_the_same_file_twice_changes_nothing, |app| {
    let again = app.apply(common::DEMO_ORG).await;
    assert!(!again.changed(), "{again:?}");
    let (status, _) = app.get_as_demo("/v1.1/organization/get.json").await;
    assert_eq!(status, 200);
    // A changed password takes effect; the old one stops working.
    app.apply(&common::DEMO_ORG.replace("password = \"demo123\"", "password = \"rotated\""))
        .await;
    let (status, _) = send(app.as_till(
        "demo.till",
        "rotated",
        Method::GET,
        "/v1.1/organization/get.json",
    ))
    .await;
    assert_eq!(status, 200);
    // The old password works at most until the verified-credential cache entry lapses.
    app.clock.advance(jiff::SignedDuration::from_secs(61));
    let (status, _) = send(
        app.http
            .get(app.url("/v1.1/organization/get.json"))
            .header("Authorization", basic_header("demo.till", "demo123")),
    )
    .await;
    assert_eq!(status, 401);
});

both_backends!(org_configs_come_from_settings, |app| {
    app.apply(&format!(
        "{}\n[settings]\nCONF_MAX_CARDS_PER_ORG = 3\n",
        common::DEMO_ORG
    ))
    .await;
    let (status, body) = app
        .get_as_demo("/v2/organization/configs/CONF_MAX_CARDS_PER_ORG")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"], "3");
    assert_eq!(body["scope"], "ORG");
    let (status, body) = app.get_as_demo("/v2/organization/configs/NOPE").await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["code"], 404);
});

/// A client whose connections leave from `address` (any 127.x address is loopback).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

both_backends!(
    a_guesser_is_refused_but_the_real_till_is_only_slowed,
    |app| {
        let org = "/v1.1/organization/get.json";
        let attacker = client_from("127.0.0.66");
        let real = client_from("127.0.0.7");
        let as_till = |client: &reqwest::Client, code: &str, password: &str| {
            client
                .get(app.url(org))
                .header("Authorization", basic_header(code, password))
        };
        for _ in 0..10 {
            let (status, _) = send(as_till(&attacker, DEMO_TILL.0, "guess")).await;
            assert_eq!(status, 401);
        }
        // From the guessing address even the right password is refused for a while …
        let (status, body) = send(as_till(&attacker, DEMO_TILL.0, DEMO_TILL.1)).await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(body["response"]["status"]["code"], "429", "{body}");
        // … and no more verifications are spent on it.
        let before = verifications(&app).await;
        assert_eq!(send(as_till(&attacker, DEMO_TILL.0, "guess")).await.0, 429);
        assert_eq!(verifications(&app).await, before);
        // The real till at its own address signs in (slowed, not refused); other tills from
        // the guessing address are unaffected.
        let started = std::time::Instant::now();
        assert_eq!(send(as_till(&real, DEMO_TILL.0, DEMO_TILL.1)).await.0, 200);
        assert!(started.elapsed() >= std::time::Duration::from_millis(50));
        assert_eq!(
            send(as_till(&attacker, "demo.till2", "demo456")).await.0,
            200
        );
        // The refusal lifts after the window.
        app.clock.advance(jiff::SignedDuration::from_secs(301));
        assert_eq!(
            send(as_till(&attacker, DEMO_TILL.0, DEMO_TILL.1)).await.0,
            200
        );

        // Same for API client secrets.
        let token = |client: &reqwest::Client, secret: &str| {
            client
                .post(app.url("/v3/oauth/token/generate"))
                .json(&json!({"key": "demo-key", "secret": secret}))
        };
        for _ in 0..10 {
            assert_eq!(send(token(&attacker, "guess")).await.0, 401);
        }
        let (status, body) = send(token(&attacker, "demo-secret")).await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(body["data"], serde_json::Value::Null);
        let (status, body) = send(token(&real, "demo-secret")).await;
        assert_eq!(status, 200, "{body}");
    }
);

both_backends!(concurrent_sign_ins_with_one_credential_verify_once, |app| {
    let before = verifications(&app).await;
    let requests = (0..32).map(|_| send(app.till(Method::GET, "/v1.1/organization/get.json")));
    for (status, body) in futures::future::join_all(requests).await {
        assert_eq!(status, 200, "{body}");
    }
    let spent = verifications(&app).await - before;
    assert!(spent <= 2, "{spent} verifications for one credential");
});

both_backends!(
    configuration_changes_reach_a_running_server_within_seconds,
    |app| {
        let (_, body) = app.get_as_demo("/v1.1/organization/get.json").await;
        assert_eq!(body["response"]["organization"]["name"], "Demo Retail");
        // Another process applies a changed file; this server's cache is not told.
        let renamed =
            common::DEMO_ORG.replace("name = \"Demo Retail\"", "name = \"Demo Retail Group\"");
        let file = fidelis_domain::org::OrgFile::parse("demo.toml", &renamed).unwrap();
        app.db
            .orgs()
            .apply(&file, "2026-11-25T04:00:00Z".parse().unwrap())
            .await
            .unwrap();
        let (_, body) = app.get_as_demo("/v1.1/organization/get.json").await;
        assert_eq!(
            body["response"]["organization"]["name"], "Demo Retail",
            "served from the cache"
        );
        app.clock.advance(jiff::SignedDuration::from_secs(6));
        let (_, body) = app.get_as_demo("/v1.1/organization/get.json").await;
        assert_eq!(
            body["response"]["organization"]["name"],
            "Demo Retail Group"
        );
    }
);

both_backends!(metrics_are_served_on_their_own_listener, |app| {
    assert_eq!(send(app.http.get(app.url("/health"))).await.0, 200);
    let text = app
        .http
        .get(format!("{}/metrics", app.metrics_base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("fidelis_http_requests_total"), "{text}");
    // The API listener does not serve metrics.
    assert_eq!(send(app.http.get(app.url("/metrics"))).await.0, 404);
    // The ops listener answers /health too (orchestrators probe it there).
    let (status, body) = send(app.http.get(format!("{}/health", app.metrics_base))).await;
    assert_eq!((status, body), (200, serde_json::json!({"status": "ok"})));
});

/// Argon2 verifications done so far by this server (its metrics endpoint).
async fn verifications(app: &common::TestApp) -> u64 {
    let text = app
        .http
        .get(format!("{}/metrics", app.metrics_base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find(|l| l.starts_with("fidelis_credential_verifications_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

both_backends!(unknown_and_known_tills_cost_the_same_work, |app| {
    // A wrong password for a real till and any password for a till that does not exist
    // cost exactly one Argon2 verification each, so the answer takes as long either way and
    // timing does not tell which till codes exist (measured, not asserted on time here:
    // the suite runs in parallel on a shared machine).
    for code in ["demo.till", "no.such.till"] {
        let before = verifications(&app).await;
        let (status, _) = send(app.as_till(
            code,
            "wrong-password",
            Method::GET,
            "/v1.1/organization/get.json",
        ))
        .await;
        assert_eq!(status, 401);
        assert_eq!(verifications(&app).await, before + 1, "{code}");
    }
});
