//! Fidelis business rules and types.
//!
//! Everything here is pure: no HTTP, no SQL, no clock reads. Each bounded context is one
//! module; storage and transport live in `fidelis-store` and `fidelis-server`.

pub mod clock;
pub mod comms;
pub mod connect;
pub mod console;
pub mod credentials;
pub mod customers;
pub mod error;
pub mod groups;
pub mod id;
pub mod identity;
pub mod incentives;
pub mod loyalty;
pub mod org;
