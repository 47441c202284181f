//! A fresh database per test, SQLite or PostgreSQL, with the demo org applied.
//!
//! `both_backends!` turns one async test body into a SQLite test and a PostgreSQL test.
//! PostgreSQL needs `FIDELIS_TEST_POSTGRES_URL` (a server URL whose user may create
//! databases); without it the PostgreSQL half says loudly that it was skipped, except under
//! CI, where a missing URL is a failure.

#![allow(dead_code)]

use fidelis_domain::org::{Org, OrgFile};
use fidelis_store::Db;
use jiff::Timestamp;
use sqlx::Connection;

pub const DEMO_ORG: &str = include_str!("../../../../examples/demo-org.toml");

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

pub async fn sqlite() -> (Db, TempDir) {
    let dir = std::env::temp_dir().join(unique_name());
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = Db::connect(&format!("sqlite://{}/fidelis.db", dir.display()))
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    (db, TempDir(dir))
}

pub async fn postgres() -> Option<Db> {
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
    let db = Db::connect(&format!("{base}/{name}"))
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    Some(db)
}

/// Applies an org file and returns the org.
pub async fn apply(db: &Db, toml: &str, now: Timestamp) -> Org {
    let file = OrgFile::parse("test.toml", toml).expect("valid org file");
    let summary = db.orgs().apply(&file, now).await.expect("apply");
    db.orgs()
        .get(summary.org_id)
        .await
        .expect("read org")
        .expect("org exists")
}

/// Runs one async test body (`|db| { … }`, `db: Db`) against SQLite and PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($db: fidelis_store::Db) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (db, _dir) = $crate::harness::sqlite().await;
                body(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::harness::postgres().await {
                    body(db).await;
                }
            }
        }
    };
}
