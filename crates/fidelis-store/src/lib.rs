//! Fidelis storage.
//!
//! One `Db` over SQLite (embedded default) or PostgreSQL, and one repository per bounded
//! context; writes that must commit together share a [`Unit`] of work. Queries are written
//! once in the SQL both backends accept (`$n` parameters, `RETURNING`, `ON CONFLICT`); what
//! differs per backend lives in `dialect`. Instants are BIGINT microseconds (UTC) and flags
//! BIGINT 0/1: the types every backend maps the same way.

mod batch;
pub mod comms;
pub mod connect;
pub mod console;
pub mod customers;
mod db;
mod dialect;
mod error;
pub mod groups;
pub mod identity;
pub mod incentives;
pub mod jobs;
pub mod loyalty;
pub mod org;
mod secrets;
#[cfg(feature = "testing")]
pub mod testing;
mod time;
pub mod unit;

pub use db::Db;
pub use dialect::Backend;
pub use error::StoreError;
pub use secrets::{hash_secret, verify_secret, verify_secret_in, HashMemory};
pub use unit::Unit;
