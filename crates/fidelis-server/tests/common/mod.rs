//! The integration harness: a real server on a random port over a fresh database, SQLite
//! or PostgreSQL, with the demo org applied and a clock the test controls.
//!
//! `both_backends!` turns one async test body into a SQLite test and a PostgreSQL test;
//! databases come from `fidelis_store::testing` (see there for FIDELIS_TEST_POSTGRES_URL).

#![allow(dead_code)]

pub mod console;
pub mod incentives;
pub mod oidc;
pub mod sms;

use std::sync::Arc;
use std::time::Duration;

use fidelis_domain::clock::{Clock, FixedClock};
use fidelis_domain::credentials::basic_header;
use fidelis_domain::org::OrgFile;
use fidelis_server::{AppState, Listeners, ServeOptions};
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
    /// The metrics listener's base URL (`/metrics` lives there).
    pub metrics_base: String,
    pub http: reqwest::Client,
    pub clock: Arc<FixedClock>,
    pub db: Db,
    pub backend: Backend,
    pub state: AppState,
    /// The OpenID provider of `start_google`.
    pub google: Option<oidc::Provider>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _db: fidelis_store::testing::TestDb,
}

impl TestApp {
    /// The production serve path (`fidelis_server::serve`, background jobs off so tests
    /// drive them by hand) on loopback port 0 over a fresh database of `backend` with the
    /// demo org, or `None` when the PostgreSQL half cannot run here.
    pub async fn start(backend: Backend) -> Option<Self> {
        let options = ServeOptions {
            jobs: false,
            ..ServeOptions::default()
        };
        Self::start_with(backend, options).await
    }

    /// Like `start`, with the given serve options (edge limits, jobs).
    pub async fn start_with(backend: Backend, options: ServeOptions) -> Option<Self> {
        Self::start_delivering(backend, options, Default::default()).await
    }

    /// Like `start_with`, delivering messages through `delivery`'s gateways (the worker
    /// runs with the jobs; tests with jobs off call `app.comms().deliver_due` by hand).
    pub async fn start_delivering(
        backend: Backend,
        options: ServeOptions,
        delivery: fidelis_app::comms::Delivery,
    ) -> Option<Self> {
        Self::start_connected(backend, options, delivery, Default::default()).await
    }

    /// Like `start_delivering`, knowing the dataflows of `connect` (uploads).
    pub async fn start_connected(
        backend: Backend,
        options: ServeOptions,
        delivery: fidelis_app::comms::Delivery,
        connect: fidelis_server::ConnectState,
    ) -> Option<Self> {
        Self::start_full(backend, options, delivery, connect, None).await
    }

    /// Like `start`, offering "Sign in with Google" through a test OpenID provider
    /// (`self.google`) that issues tokens at the app's clock.
    pub async fn start_google(backend: Backend) -> Option<Self> {
        let provider = oidc::Provider::start().await;
        let options = ServeOptions {
            jobs: false,
            ..ServeOptions::default()
        };
        let mut app = Self::start_full(
            backend,
            options,
            Default::default(),
            Default::default(),
            Some(&provider.issuer),
        )
        .await?;
        provider.use_clock(app.clock.clone());
        app.google = Some(provider);
        Some(app)
    }

    async fn start_full(
        backend: Backend,
        options: ServeOptions,
        delivery: fidelis_app::comms::Delivery,
        connect: fidelis_server::ConnectState,
        google_issuer: Option<&str>,
    ) -> Option<Self> {
        let test_db = fidelis_store::testing::fresh(backend).await?;
        let db = test_db.db.clone();
        let clock = Arc::new(FixedClock::new("2026-11-25T04:00:00Z".parse().unwrap()));
        let loopback: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
        let listeners = Listeners::bind(loopback, loopback).await.unwrap();
        let addr = listeners.api.local_addr().unwrap();
        let metrics_addr = listeners.metrics.local_addr().unwrap();
        let mut app = fidelis_app::App::new(db.clone(), clock.clone()).with_delivery(delivery);
        if let Some(issuer) = google_issuer {
            let settings = fidelis_app::console::GoogleSettings {
                client_id: oidc::CLIENT_ID.into(),
                client_secret: oidc::CLIENT_SECRET.to_string().into(),
                issuer: issuer.into(),
                redirect_url: format!("http://{addr}/console/login/google/callback"),
            };
            app = app.with_google(fidelis_app::console::GoogleSignIn::new(&settings).unwrap());
        }
        let state = AppState::new(app).with_connect(connect);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(fidelis_server::serve(
            state.clone(),
            listeners,
            options,
            async move {
                let _ = stopped.await;
            },
        ));
        let app = Self {
            base: format!("http://{addr}"),
            metrics_base: format!("http://{metrics_addr}"),
            http: reqwest::Client::new(),
            clock,
            db,
            backend,
            state,
            google: None,
            stop: Some(stop),
            server: Some(server),
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

    /// A checker's decision on goodwill requests, as the second demo till (the maker of a
    /// request cannot check it).
    pub async fn approve_goodwill(&self, decision: &Value) -> (u16, Value) {
        send(
            self.as_till(
                "demo.till2",
                "demo456",
                reqwest::Method::POST,
                "/v1.1/request/approve",
            )
            .json(decision),
        )
        .await
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

/// Stops the server when the test ends (also on panic) and waits for it to finish, so its
/// connections are closed before the test database is dropped.
impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(server) = self.server.take() else {
            return;
        };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        // Waiting inside a runtime needs block_in_place, which only the multi-threaded
        // runtime (the one `both_backends!` uses) offers.
        if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
            tokio::task::block_in_place(|| {
                handle.block_on(async {
                    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
                })
            });
        }
    }
}

/// Sends a request and returns status and JSON body (Null when the body is not JSON).
pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Runs one async test body against SQLite and against PostgreSQL; the app comes from
/// `TestApp::start`, or from the given starter (`both_backends!(name, TestApp::start_google,
/// |app| { … })`).
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$app:ident| $body:block) => {
        $crate::both_backends!($name, $crate::common::TestApp::start, |$app| $body);
    };
    ($name:ident, $start:path, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: $crate::common::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $start($crate::common::Backend::Sqlite).await.unwrap();
                body(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $start($crate::common::Backend::Postgres).await {
                    body(app).await;
                }
            }
        }
    };
}
