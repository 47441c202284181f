//! Fresh, migrated databases for tests (feature `testing`): a SQLite file in a directory
//! removed with it, or a new PostgreSQL database on the server named by
//! `FIDELIS_TEST_POSTGRES_URL`. Without that variable the PostgreSQL half of a test says
//! loudly that it was skipped, except under `CI`, where a missing URL is a failure.

#![allow(clippy::expect_used, clippy::panic)]

use rand::Rng;
use sqlx::Connection;

use crate::{Backend, Db};

/// A test database; a SQLite file is deleted when this is dropped.
pub struct TestDb {
    pub db: Db,
    pub backend: Backend,
    dir: Option<std::path::PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn unique_name() -> String {
    format!("fidelis_t_{:016x}", rand::thread_rng().gen::<u64>())
}

/// A migrated database of `backend`, or `None` when the PostgreSQL half cannot run here.
pub async fn fresh(backend: Backend) -> Option<TestDb> {
    let (url, dir) = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(unique_name());
            std::fs::create_dir_all(&dir).expect("temp dir");
            (format!("sqlite://{}/fidelis.db", dir.display()), Some(dir))
        }
        Backend::Postgres => (postgres_database().await?, None),
    };
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    Some(TestDb { db, backend, dir })
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
