//! Fresh, migrated databases for tests (feature `testing`): a SQLite file in a directory
//! removed with it, or a new PostgreSQL database on the server named by
//! `FIDELIS_TEST_POSTGRES_URL`. Without that variable the PostgreSQL half of a test says
//! loudly that it was skipped, except under `CI`, where a missing URL is a failure.

// Test support: a database that cannot be set up ends the test with a clear message.
#![allow(clippy::expect_used, clippy::panic)]

use rand::Rng;
use sqlx::Connection;

use crate::{Backend, Db};

/// A test database. When it is dropped (also when the test panics) a SQLite directory is
/// deleted and a PostgreSQL database is dropped.
pub struct TestDb {
    pub db: Db,
    pub backend: Backend,
    /// The database's URL, for a child process (the binary) to open it too.
    pub url: String,
    // Declared after `db`, so this pool handle is gone before the database is dropped.
    _cleanup: Cleanup,
}

/// What `fresh` created, removed when this is dropped: from the moment it exists, so a
/// failed connect or migration leaves nothing behind either.
struct Cleanup {
    dir: Option<std::path::PathBuf>,
    postgres: Option<PostgresDatabase>,
}

/// A database created on a PostgreSQL server for one test.
struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(pg) = self.postgres.take() {
            // This runs inside the test's runtime, which may be shutting down or be a
            // current-thread one: use a thread with its own runtime, and wait for it.
            // WITH (FORCE) ends any connection a pool clone still holds.
            match std::thread::spawn(move || drop_postgres_database(&pg)).join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("could not drop test database {e}"),
                Err(_) => eprintln!("could not drop a test database: the dropping thread panicked"),
            }
        }
    }
}

fn drop_postgres_database(pg: &PostgresDatabase) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&pg.admin_url)
            .await
            .map_err(|e| format!("{}: {e}", pg.name))?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name))
            .execute(&mut conn)
            .await
            .map_err(|e| format!("{}: {e}", pg.name))?;
        let _ = conn.close().await;
        Ok(())
    })
}

fn unique_name() -> String {
    format!("fidelis_t_{:016x}", rand::thread_rng().gen::<u64>())
}

/// A migrated database of `backend`, or `None` when the PostgreSQL half cannot run here.
pub async fn fresh(backend: Backend) -> Option<TestDb> {
    let (url, dir, postgres) = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(unique_name());
            std::fs::create_dir_all(&dir).expect("temp dir");
            (
                format!("sqlite://{}/fidelis.db", dir.display()),
                Some(dir),
                None,
            )
        }
        Backend::Postgres => {
            let (url, created) = postgres_database().await?;
            (url, None, Some(created))
        }
    };
    let cleanup = Cleanup { dir, postgres };
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    Some(TestDb {
        db,
        backend,
        url,
        _cleanup: cleanup,
    })
}

async fn postgres_database() -> Option<(String, PostgresDatabase)> {
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
    let _ = conn.close().await;
    let (base, _) = admin.rsplit_once('/').expect("URL with a database");
    let url = format!("{base}/{name}");
    Some((
        url,
        PostgresDatabase {
            admin_url: admin,
            name,
        },
    ))
}
