//! The integration harness: a real server on a random port over a fresh database, SQLite
//! or PostgreSQL, with the demo org applied and a clock the test controls.
//!
//! `both_backends!` turns one async test body into a SQLite test and a PostgreSQL test;
//! databases come from `fidelis_store::testing` (see there for FIDELIS_TEST_POSTGRES_URL).

#![allow(dead_code)]

use std::sync::Arc;

use fidelis_domain::clock::{Clock, FixedClock};
use fidelis_domain::credentials::basic_header;
use fidelis_domain::org::OrgFile;
use fidelis_server::AppState;
use fidelis_store::Db;
use serde_json::Value;

pub const DEMO_ORG: &str = include_str!("../../../../examples/demo-org.toml");
pub const DEMO_TILL: (&str, &str) = ("demo.till", "demo123");

/// A second org (New York, till `acme.till` / `acme-pw`, API client `acme-key`) for
/// tenant-isolation tests.
pub const ACME_ORG: &str = r#"
[org]
code = "acme"
name = "Acme Stores"
time_zone = "America/New_York"
currency = "USD"
country = "US"

[[concepts]]
code = "main"
name = "Acme Main"

[[stores]]
code = "downtown"
name = "Downtown"
concept = "main"

[[tills]]
code = "acme.till"
store = "downtown"
password = "acme-pw"

[[api_clients]]
key = "acme-key"
secret = "acme-secret"
default_till = "acme.till"
token_ttl_seconds = 600
"#;

pub use fidelis_store::Backend;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Arc<FixedClock>,
    pub db: Db,
    pub backend: Backend,
    pub state: AppState,
    _db: fidelis_store::testing::TestDb,
}

impl TestApp {
    /// A server over a fresh database of `backend` with the demo org, or `None` when the
    /// PostgreSQL half cannot run here.
    pub async fn start(backend: Backend) -> Option<Self> {
        let test_db = fidelis_store::testing::fresh(backend).await?;
        let db = test_db.db.clone();
        let clock = Arc::new(FixedClock::new("2026-11-25T04:00:00Z".parse().unwrap()));
        let state = AppState::new(fidelis_app::App::new(db.clone(), clock.clone()));
        let served = state.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, fidelis_server::router(served))
                .await
                .unwrap();
        });
        let app = Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            clock,
            db,
            backend,
            state,
            _db: test_db,
        };
        app.apply(DEMO_ORG).await;
        Some(app)
    }

    /// Applies an org file; panics if it is invalid.
    pub async fn apply(&self, toml: &str) -> fidelis_store::org::ApplySummary {
        let file = OrgFile::parse("test.toml", toml).expect("valid org file");
        let summary = self
            .db
            .orgs()
            .apply(&file, self.clock.now())
            .await
            .expect("apply");
        // As a server would see it once its configuration cache has expired.
        self.state.app.forget_cached();
        summary
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request as the demo till (Basic auth).
    pub fn till(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.as_till(DEMO_TILL.0, DEMO_TILL.1, method, path)
    }

    pub fn as_till(
        &self,
        code: &str,
        password: &str,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("Authorization", basic_header(code, password))
    }

    pub async fn get_as_demo(&self, path: &str) -> (u16, Value) {
        send(self.till(reqwest::Method::GET, path)).await
    }

    /// A fresh token for an API client.
    pub async fn token(&self, key: &str, secret: &str) -> String {
        let (status, body) = send(
            self.http
                .post(self.url("/v3/oauth/token/generate"))
                .json(&serde_json::json!({"key": key, "secret": secret})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["accessToken"]
            .as_str()
            .expect("token")
            .to_string()
    }
}

/// Sends a request and returns status and JSON body (Null when the body is not JSON).
pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Runs one async test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: $crate::common::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::TestApp::start($crate::common::Backend::Sqlite).await.unwrap();
                body(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::common::TestApp::start($crate::common::Backend::Postgres).await {
                    body(app).await;
                }
            }
        }
    };
}
