//! Access tokens as read, kept for [`TTL`]: the wrapper API and introspection read a token
//! on every call, and this saves that round trip. Every revocation through this repository
//! forgets what it revokes at once, so in this process a revoked token is refused on the
//! next call; another process sharing the database sees a revocation within [`TTL`]. A
//! read that raced with a revocation is not kept (the generation moved on meanwhile).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use super::TokenRecord;

pub const TTL: Duration = Duration::from_secs(2);
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<String, (Instant, TokenRecord)>>,
    generation: AtomicU64,
}

impl TokenCache {
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn get(&self, hash: &str) -> Option<TokenRecord> {
        let map = self.entries.read().unwrap_or_else(|e| e.into_inner());
        map.get(hash)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, t)| t.clone())
    }

    /// Keeps an access token read at `generation`, unless something was revoked since.
    pub(crate) fn keep(&self, generation: u64, t: &TokenRecord) {
        if t.kind != super::ACCESS {
            return;
        }
        let mut map = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if self.generation() != generation {
            return;
        }
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (at, _)| at.elapsed() < TTL);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(t.token_hash.clone(), (Instant::now(), t.clone()));
    }

    /// Forgets the tokens `revoked` picks (after they were revoked in the database).
    pub(crate) fn forget(&self, revoked: impl Fn(&TokenRecord) -> bool) {
        let mut map = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.retain(|_, (_, t)| !revoked(t));
    }
}

#[cfg(test)]
mod tests {
    use fidelis_domain::org::OrgId;
    use jiff::Timestamp;

    use super::*;

    fn token(hash: &str, kind: &str, family: &str) -> TokenRecord {
        TokenRecord {
            org_id: OrgId::new(1),
            token_hash: hash.into(),
            kind: kind.into(),
            family: family.into(),
            client_id: "app".into(),
            customer_id: 7,
            scope: "points".into(),
            created_at: Timestamp::UNIX_EPOCH,
            expires_at: Timestamp::UNIX_EPOCH,
            family_expires_at: Timestamp::UNIX_EPOCH,
            spent: false,
            revoked: false,
        }
    }

    #[test]
    fn revocations_forget_what_they_revoke() {
        let c = TokenCache::default();
        c.keep(c.generation(), &token("a", "access", "f1"));
        c.keep(c.generation(), &token("b", "access", "f2"));
        c.keep(c.generation(), &token("r", "refresh", "f1"));
        assert!(c.get("a").is_some() && c.get("b").is_some());
        assert!(
            c.get("r").is_none(),
            "refresh tokens change when spent: never kept"
        );
        c.forget(|t| t.family == "f1");
        assert!(c.get("a").is_none());
        assert!(c.get("b").is_some());
    }

    #[test]
    fn a_read_that_raced_a_revocation_is_not_kept() {
        let c = TokenCache::default();
        let before = c.generation();
        c.forget(|t| t.token_hash == "a");
        c.keep(before, &token("a", "access", "f1"));
        assert!(c.get("a").is_none());
    }
}
