//! The unit of work: one write transaction that several repositories' writes share, and
//! that commits once.
//!
//! ```ignore
//! let mut unit = db.unit().await?;
//! let card = db.loyalty().add_card_in(&mut unit, org, &new_card, now).await?;
//! db.customers().change_identifiers_in(&mut unit, org, customer, &account, &add, &[], now).await?;
//! unit.commit().await?; // both, or (on any error before this line) neither
//! ```
//!
//! - `Db::unit()` opens it: a transaction on the write pool that knows its [`Backend`], so
//!   repositories pick their SQL from the dialect (`Backend`'s methods) without asking the
//!   connection. On SQLite it begins `IMMEDIATE`, taking the single writer's lock at once.
//! - Repositories whose writes must compose take it as `&mut Unit` in their `…_in` methods
//!   (`CustomerRepo::register_in`, `LoyaltyRepo::enrol_in`, `LoyaltyRepo::add_card_in`, …).
//!   The `Db`-level methods of the same name without `_in` open a unit, do the same work
//!   and commit, so a caller with one write to make need not hold a unit.
//! - Each `_in` method is a step: when it fails, what it wrote is undone (a savepoint) and
//!   the unit can still be used — a caller may turn a refusal into a warning and go on — or
//!   dropped. Steps that lost a race for a unique value are retried inside their savepoint.
//! - `commit()` makes everything visible at once. A unit dropped without `commit()` is rolled
//!   back, so returning early with `?` undoes every step.
//! - Reads through `Db::reader()` do not see a unit's uncommitted writes; render what a unit
//!   wrote after it committed. On SQLite the unit holds the only write connection, so a
//!   `Db`-level write made while a unit is open waits for it: inside a unit, write only
//!   through `_in` methods.
//! - New kinds of writes that must happen with a business change (an outbox message, an
//!   audit row) take `&mut Unit` the same way and so commit or roll back with it.

use std::ops::{Deref, DerefMut};

use sqlx::{Any, AnyConnection, AnyPool, Executor};

use crate::{Backend, StoreError};

/// One open write transaction and the backend it runs on: see the
/// [module documentation](crate::unit).
///
/// It dereferences to the connection for the store's own queries; code outside the store
/// writes through repository methods.
pub struct Unit {
    tx: sqlx::Transaction<'static, Any>,
    backend: Backend,
    /// Savepoints open inside the transaction.
    depth: u32,
    /// A step could not be undone; the unit must not commit.
    broken: bool,
}

impl Unit {
    pub(crate) async fn begin(pool: &AnyPool, backend: Backend) -> Result<Self, StoreError> {
        let tx = match backend.begin_write() {
            Some(statement) => pool.begin_with(statement).await?,
            None => pool.begin().await?,
        };
        Ok(Self {
            tx,
            backend,
            depth: 0,
            broken: false,
        })
    }

    /// The backend this unit writes to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Makes every write of the unit visible at once.
    pub async fn commit(self) -> Result<(), StoreError> {
        if self.broken {
            return Err(StoreError::Corrupt(
                "a failed step of this unit of work could not be undone; nothing was committed"
                    .into(),
            ));
        }
        self.tx.commit().await?;
        Ok(())
    }

    /// Lets this unit's commit return before its writes are on disk: for bulk work whose
    /// source can be replayed (an import's batch, whose row keys commit with it). A crash
    /// of the database server may lose the last such commits, each whole, never a part;
    /// the next ordinary commit (an import's final report) makes every earlier one
    /// durable. PostgreSQL: `synchronous_commit = off` for this transaction; SQLite
    /// already commits so (`synchronous = NORMAL` in WAL mode).
    pub async fn commit_lazily(&mut self) -> Result<(), StoreError> {
        if let Some(sql) = self.backend.lazy_commit() {
            self.run(sql).await?;
        }
        Ok(())
    }

    /// Undoes every write of the unit (dropping it does the same, without waiting).
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// Starts a step: what is written until `end_step` can be undone on its own. Steps nest.
    ///
    /// ```ignore
    /// unit.begin_step().await?;
    /// let out = work(unit).await;
    /// unit.end_step(out).await
    /// ```
    pub async fn begin_step(&mut self) -> Result<(), StoreError> {
        let name = Self::savepoint(self.depth + 1);
        self.run(&format!("SAVEPOINT {name}")).await?;
        self.depth += 1;
        Ok(())
    }

    /// Ends the step `begin_step` started: keeps its writes when `out` is `Ok`, undoes them
    /// when it is an error (the unit stays usable), and passes `out` on.
    pub async fn end_step<T, E>(&mut self, out: Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let name = Self::savepoint(self.depth);
        self.depth = self.depth.saturating_sub(1);
        let end = match &out {
            Ok(_) => self.run(&format!("RELEASE SAVEPOINT {name}")).await,
            Err(_) => match self.run(&format!("ROLLBACK TO SAVEPOINT {name}")).await {
                Ok(()) => self.run(&format!("RELEASE SAVEPOINT {name}")).await,
                Err(e) => Err(e),
            },
        };
        if let Err(e) = end {
            self.broken = true;
            // The step's own error says more than the failed clean-up.
            return out.and(Err(e.into()));
        }
        out
    }

    fn savepoint(depth: u32) -> String {
        format!("fidelis_step_{depth}")
    }

    async fn run(&mut self, sql: &str) -> Result<(), StoreError> {
        (&mut *self.tx).execute(sql).await?;
        Ok(())
    }
}

impl Deref for Unit {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for Unit {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
