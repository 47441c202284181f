//! Fidelis application layer: the one set of business operations that every surface calls.
//!
//! The Capillary API, the jobs inside `serve`, Connect+ dataflows and the console all run
//! the same commands and queries, found by bounded context (`org`, `customers`, `loyalty`).
//! Commands take domain inputs and the `Caller`, and return domain types or an `AppError`;
//! nothing here knows HTTP or JSON documents. Rules live in `fidelis-domain`, storage in
//! `fidelis-store`; this layer loads what a rule needs, calls it and stores the outcome.

pub mod comms;
pub mod connect;
pub mod console;
pub mod customers;
mod error;
pub mod groups;
pub mod identity;
pub mod incentives;
pub mod jobs;
pub mod loyalty;
pub mod org;

use std::sync::Arc;

use fidelis_domain::clock::Clock;
use fidelis_store::Db;

pub use error::AppError;
pub use org::Caller;

/// The wall clock, for production. Tests inject `FixedClock` instead.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// The application: the database, the clock and the caches every operation shares.
/// Cheap to clone; one per process.
#[derive(Clone)]
pub struct App {
    db: Db,
    clock: Arc<dyn Clock>,
    orgs: Arc<org::OrgCache>,
    auth: Arc<org::Authenticator>,
    delivery: Arc<comms::Delivery>,
    clients: Arc<identity::ClientVerifier>,
    /// "Sign in with Google" for the console, when the deployment configured it.
    google: Option<Arc<console::GoogleSignIn>>,
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            orgs: Arc::new(org::OrgCache::default()),
            auth: Arc::new(org::Authenticator::default()),
            delivery: Arc::new(comms::Delivery::default()),
            clients: Arc::new(identity::ClientVerifier::default()),
            google: None,
        }
    }

    /// The same app offering "Sign in with Google" to console staff.
    pub fn with_google(mut self, google: console::GoogleSignIn) -> Self {
        self.google = Some(Arc::new(google));
        self
    }

    /// The same app delivering messages through `delivery`'s gateways.
    pub fn with_delivery(mut self, delivery: comms::Delivery) -> Self {
        self.delivery = Arc::new(delivery);
        self
    }

    /// How messages leave (gateways per channel, lease length).
    pub fn delivery(&self) -> &comms::Delivery {
        &self.delivery
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// The database, for start-up work (migrations, org files) and shutdown.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Closes the database pools (at shutdown, after the last request).
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Forgets cached configuration and verified credentials, so the next request reads
    /// them afresh (after an org file was applied in this process).
    pub fn forget_cached(&self) {
        self.orgs.clear();
        self.auth.clear();
        self.clients.clear();
    }
}
