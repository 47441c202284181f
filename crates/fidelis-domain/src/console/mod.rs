//! The Member Care console: staff, their roles and what each role may do, sessions, the
//! search box. Pure rules; the pages are in `fidelis-server::console`, the commands in
//! `fidelis-app::console`.

pub mod config;
pub mod error;
pub mod google;
pub mod role;
pub mod search;
pub mod session;

pub use config::{ConsoleConfig, StaffSpec};
pub use error::ConsoleError;
pub use google::{GoogleAccount, GoogleRefusal};
pub use role::{Permission, Role};
pub use search::SearchTerm;
pub use session::SessionPolicy;
