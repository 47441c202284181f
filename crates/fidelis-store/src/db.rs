//! The database handle: which backend, and the pools to reach it.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::{Backend, StoreError, Unit};

/// Pools for one database. On SQLite all writes go through a single connection, so write
/// transactions never race for the lock (SQLite allows one writer anyway) while reads run
/// in parallel under WAL. On PostgreSQL both names are the same pool.
/// PostgreSQL ends any statement running longer than this (the API's request timeout).
const STATEMENT_TIMEOUT: &str = "SET statement_timeout = '30s'";

#[derive(Clone, Debug)]
pub struct Db {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
    /// Access tokens as read (see `identity::cache`), shared by every clone.
    pub(crate) tokens: std::sync::Arc<crate::identity::TokenCache>,
}

impl Db {
    /// Connects to `url` (`sqlite://FILE`, `sqlite::memory:` or `postgres://…`), creating a
    /// missing SQLite file.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            let url = with_create_mode(url);
            let opts = quiet(AnyConnectOptions::from_str(&url)?);
            let write = sqlite_pool(1, WRITER_CACHE_KIB)
                .connect_with(opts.clone())
                .await?;
            let read = sqlite_pool(8, READER_CACHE_KIB).connect_with(opts).await?;
            Ok(Self {
                backend: Backend::Sqlite,
                read,
                write,
                tokens: Default::default(),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = quiet(AnyConnectOptions::from_str(url)?);
            let pool = AnyPoolOptions::new()
                .max_connections(32)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // No statement may hold a connection (and its locks) longer than
                        // a request may run.
                        conn.execute(STATEMENT_TIMEOUT).await?;
                        Ok(())
                    })
                })
                .connect_with(opts)
                .await?;
            Ok(Self {
                backend: Backend::Postgres,
                read: pool.clone(),
                write: pool,
                tokens: Default::default(),
            })
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations for this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.backend.migrator().run(&self.write).await?;
        Ok(())
    }

    /// The pool for reads that need no transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Opens a unit of work: one write transaction that repositories' `…_in` methods share
    /// and that commits once (see `crate::unit`).
    pub async fn unit(&self) -> Result<Unit, StoreError> {
        Unit::begin(&self.write, self.backend).await
    }

    /// Starts a write transaction: the same as [`Db::unit`].
    pub async fn begin(&self) -> Result<Unit, StoreError> {
        self.unit().await
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read.execute("SELECT 1").await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Statements are not logged: a slow one would be printed whole (bulk inserts run to
/// kilobytes, and values may be personal data). Latency is in the request metrics instead.
fn quiet(opts: AnyConnectOptions) -> AnyConnectOptions {
    use sqlx::ConnectOptions;
    opts.log_statements(log::LevelFilter::Off)
        .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(1))
}

/// SQLite's page cache of the one writing connection: every write of the deployment goes
/// through it, and index pages it keeps need not be read again (a bulk import touches
/// indexes all over the file). Readers keep SQLite's default.
const WRITER_CACHE_KIB: u32 = 64 * 1024;
const READER_CACHE_KIB: u32 = 2 * 1024;

/// Pages the write-ahead log holds before a commit copies them into the database file
/// (SQLite's default is 1,000). A page written by several commits in between is copied
/// once: a bulk import rewrites the same index pages batch after batch.
const WAL_CHECKPOINT_PAGES: u32 = 8 * 1024;

fn sqlite_pool(max: u32, cache_kib: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute(
                    format!(
                        "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                         PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                         PRAGMA cache_size = -{cache_kib}; \
                         PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES};"
                    )
                    .as_str(),
                )
                .await?;
                Ok(())
            })
        })
}

/// `sqlite://fidelis.db` must create the file on first start.
fn with_create_mode(url: &str) -> String {
    if url.contains(":memory:") || url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}
