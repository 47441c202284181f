use std::sync::Arc;

use fidelis_domain::clock::Clock;
use fidelis_store::Db;

use crate::auth::AuthCache;
use crate::limiter::FailureLimiter;
use crate::org_cache::OrgCache;

/// The wall clock, for production. Tests inject `FixedClock` instead.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub auth: Arc<AuthCache>,
    pub failures: Arc<FailureLimiter>,
    pub orgs: Arc<OrgCache>,
}

impl AppState {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            auth: Arc::new(AuthCache::default()),
            failures: Arc::new(FailureLimiter::default()),
            orgs: Arc::new(OrgCache::default()),
        }
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
