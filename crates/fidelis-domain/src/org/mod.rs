//! The org context: orgs, their units (zones, concepts, stores, tills), API clients and the
//! configuration store that later contexts extend.

pub mod config;
mod error;
pub mod model;

pub use config::{ConfigError, OrgFile};
pub use error::OrgError;
pub use model::*;
