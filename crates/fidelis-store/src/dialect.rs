//! Every difference between SQLite and PostgreSQL that the repositories see, in one place.
//!
//! Queries are written once in the SQL both accept (`$n` parameters, `RETURNING`,
//! `ON CONFLICT`); what cannot be is asked of the [`Backend`] here: how a write transaction
//! starts, how a row is locked, which migrations apply, and the few statements only
//! PostgreSQL can run in one round trip. Repositories learn the backend from the unit of
//! work they write in ([`crate::Unit::backend`]), never from the connection's name.

use std::borrow::Cow;

use sqlx::migrate::Migrator;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The database a [`crate::Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The migrations of this backend.
    pub(crate) fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// The statement that opens a write transaction, when the driver's plain `BEGIN` is not
    /// the one wanted. SQLite takes the write lock at once (`IMMEDIATE`), so a transaction
    /// that reads before it writes never fails to upgrade its lock halfway through.
    pub(crate) fn begin_write(self) -> Option<Cow<'static, str>> {
        match self {
            Backend::Sqlite => Some(Cow::Borrowed("BEGIN IMMEDIATE")),
            Backend::Postgres => None,
        }
    }

    /// Appended to a `SELECT` that must lock the rows it reads until the transaction ends.
    /// PostgreSQL needs the explicit row lock; SQLite rejects `FOR UPDATE`, and needs none:
    /// its write transaction already excludes every other writer.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// The statement that lets the current transaction's commit return before it is on
    /// disk (`Unit::commit_lazily`); none where every commit is already so.
    pub(crate) fn lazy_commit(self) -> Option<&'static str> {
        match self {
            Backend::Postgres => Some("SET LOCAL synchronous_commit = off"),
            Backend::Sqlite => None,
        }
    }

    /// Appended to the `SELECT` that picks rows to lease: PostgreSQL locks them and skips
    /// rows another transaction is leasing, so concurrent workers take different rows;
    /// SQLite's single writer already runs one lease at a time.
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// Whether a credit's lot and ledger entry can be inserted in one statement (a data-
    /// modifying `WITH`, which PostgreSQL has and SQLite has not).
    pub(crate) fn inserts_in_with(self) -> bool {
        match self {
            Backend::Postgres => true,
            Backend::Sqlite => false,
        }
    }

    /// What must run after rows were inserted into `customers` with explicit ids, so later
    /// inserts do not collide with them: PostgreSQL's identity sequence does not see such
    /// ids, SQLite's rowid allocation does.
    pub(crate) fn after_explicit_customer_ids(self) -> Option<&'static str> {
        match self {
            Backend::Postgres => Some(
                "SELECT setval(pg_get_serial_sequence('customers', 'id'), \
                 (SELECT MAX(id) FROM customers))",
            ),
            Backend::Sqlite => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Backend;

    #[test]
    fn only_postgres_locks_rows_explicitly() {
        assert_eq!(Backend::Postgres.for_update(), " FOR UPDATE");
        assert_eq!(Backend::Sqlite.for_update(), "");
    }

    #[test]
    fn sqlite_takes_the_write_lock_when_a_unit_begins() {
        assert_eq!(
            Backend::Sqlite.begin_write().as_deref(),
            Some("BEGIN IMMEDIATE")
        );
        assert_eq!(Backend::Postgres.begin_write(), None);
    }
}
