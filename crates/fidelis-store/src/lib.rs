//! Fidelis storage.
//!
//! One `Db` over SQLite (embedded default) or PostgreSQL, and one repository per bounded
//! context. Queries are written once in the SQL both backends accept (`$n` parameters,
//! `RETURNING`, `ON CONFLICT`); only the migrations differ per backend. Instants are BIGINT
//! microseconds (UTC) and flags BIGINT 0/1: the types every backend maps the same way.

pub mod customers;
mod db;
mod error;
pub mod jobs;
pub mod loyalty;
pub mod org;
mod secrets;
#[cfg(feature = "testing")]
pub mod testing;
mod time;

pub use db::{Backend, Db};
pub use error::StoreError;
pub use secrets::{hash_secret, verify_secret};
