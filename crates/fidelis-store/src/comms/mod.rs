//! The comms repository: sender identities from the org file, and the outbox.
//!
//! A message is written with `enqueue_in`, inside the unit of work of the request that
//! causes it, so it exists exactly when that request's change does. The delivery worker
//! then `claim`s due messages — one conditional update that leases each row to one
//! worker (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's single writer serialises it)
//! and commits before any gateway is called — and records each attempt with `finish`,
//! which only the lease holder can do.

mod config;
mod outbox;

pub use outbox::{Claimed, Finish, MessageQuery, MessageRecord, NewMessage};

pub(crate) use config::apply_config;

use crate::Db;

pub struct CommsRepo<'a>(&'a Db);

impl Db {
    pub fn comms(&self) -> CommsRepo<'_> {
        CommsRepo(self)
    }
}
