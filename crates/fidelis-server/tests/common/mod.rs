//! The integration harness: a real server on a random port over a fresh database, SQLite
//! or PostgreSQL, with the demo org applied and a clock the test controls.
//!
//! `both_backends!` turns one async test body into a SQLite test and a PostgreSQL test.
//! PostgreSQL needs `FIDELIS_TEST_POSTGRES_URL` (a server URL whose user may create
//! databases; each test gets its own database). Without it the PostgreSQL half says loudly
//! that it was skipped, except under CI, where a missing URL is a failure.

#![allow(dead_code)]

use std::sync::Arc;

use fidelis_domain::clock::{Clock, FixedClock};
use fidelis_domain::credentials::basic_header;
use fidelis_domain::org::OrgFile;
use fidelis_server::AppState;
use fidelis_store::Db;
use serde_json::Value;
use sqlx::Connection;

pub const DEMO_ORG: &str = include_str!("../../../../examples/demo-org.toml");
pub const DEMO_TILL: (&str, &str) = ("demo.till", "demo123");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Arc<FixedClock>,
    pub db: Db,
    pub backend: Backend,
    _dir: Option<TempDir>,
}

/// A directory removed when the test ends.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique_name() -> String {
    use rand::Rng;
    format!("fidelis_t_{:016x}", rand::thread_rng().gen::<u64>())
}

impl TestApp {
    /// A server over a fresh database of `backend` with the demo org, or `None` when the
    /// PostgreSQL half cannot run here.
    pub async fn start(backend: Backend) -> Option<Self> {
        let (url, dir) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(unique_name());
                std::fs::create_dir_all(&dir).expect("temp dir");
                (
                    format!("sqlite://{}/fidelis.db", dir.display()),
                    Some(TempDir(dir)),
                )
            }
            Backend::Postgres => (postgres_database().await?, None),
        };
        let db = Db::connect(&url).await.expect("connect");
        db.migrate().await.expect("migrate");
        let clock = Arc::new(FixedClock::new("2026-11-25T04:00:00Z".parse().unwrap()));
        let app = Self::serve(db, clock, backend, dir).await;
        app.apply(DEMO_ORG).await;
        Some(app)
    }

    async fn serve(db: Db, clock: Arc<FixedClock>, backend: Backend, dir: Option<TempDir>) -> Self {
        let state = AppState::new(db.clone(), clock.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, fidelis_server::router(state))
                .await
                .unwrap();
        });
        Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            clock,
            db,
            backend,
            _dir: dir,
        }
    }

    /// Applies an org file; panics if it is invalid.
    pub async fn apply(&self, toml: &str) -> fidelis_store::org::ApplySummary {
        let file = OrgFile::parse("test.toml", toml).expect("valid org file");
        self.db
            .orgs()
            .apply(&file, self.clock.now())
            .await
            .expect("apply")
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

async fn postgres_database() -> Option<String> {
    let Ok(admin) = std::env::var("FIDELIS_TEST_POSTGRES_URL") else {
        if std::env::var_os("CI").is_some() {
            panic!("FIDELIS_TEST_POSTGRES_URL must be set under CI: the PostgreSQL half may not be skipped");
        }
        eprintln!(
            "\n*** SKIPPED: PostgreSQL half of this test (set FIDELIS_TEST_POSTGRES_URL, e.g. \
             postgres://postgres@127.0.0.1:5432/postgres) ***\n"
        );
        return None;
    };
    let name = unique_name();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, _) = admin.rsplit_once('/').expect("URL with a database");
    Some(format!("{base}/{name}"))
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
