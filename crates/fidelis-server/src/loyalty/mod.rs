//! The loyalty context on the wire: request bodies parsed into `fidelis_app::loyalty`
//! inputs, and its results rendered in Capillary's shapes. The operations themselves are
//! the application's; handlers in `api::v2::transactions`, `api::v2::loyalty` and
//! `api::v1_1` call them.

pub mod cards;
pub mod dates;
pub mod enrolment;
pub mod goodwill;
pub mod numbers;
pub mod partner;
pub mod render;
pub mod summary;
pub mod wire;

pub use fidelis_app::loyalty::{Ctx, Customer, Ident};
