//! Failed-credential limiting: after `MAX_FAILURES` wrong secrets for one till code or API key
//! within `WINDOW`, further attempts for it are refused without checking the secret until
//! the window passes. It stops online guessing and keeps Argon2 from being used to burn CPU.
//! Counters live in this process; each server instance limits on its own. Identities are
//! kept as their SHA-256 digest, so an attacker-chosen name costs 64 bytes however long it
//! is, and at most `MAX_TRACKED` are kept.

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

use fidelis_domain::credentials::sha256_hex;
use fidelis_domain::org::OrgError;

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW: SignedDuration = SignedDuration::from_secs(300);
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub struct FailureLimiter {
    failures: Mutex<HashMap<String, (u32, Timestamp)>>,
}

impl FailureLimiter {
    /// Refuses `identity` while it has too many recent failures.
    pub fn check(&self, identity: &str, now: Timestamp) -> Result<(), OrgError> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&sha256_hex(identity)) {
            Some((count, since))
                if *count >= MAX_FAILURES && now < since.saturating_add(WINDOW).unwrap_or(now) =>
            {
                Err(OrgError::TooManyFailures)
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, identity: &str, now: Timestamp) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, since)| now < since.saturating_add(WINDOW).unwrap_or(now));
            if map.len() >= MAX_TRACKED {
                // Still full of live entries: forget them rather than grow without bound.
                map.clear();
            }
        }
        let entry = map.entry(sha256_hex(identity)).or_insert((0, now));
        if now >= entry.1.saturating_add(WINDOW).unwrap_or(now) {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, identity: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&sha256_hex(identity));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_until_the_window_passes() {
        let l = FailureLimiter::default();
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert!(l.check("till", t0).is_ok());
            l.failed("till", t0);
        }
        assert_eq!(l.check("till", t0), Err(OrgError::TooManyFailures));
        assert!(l.check("other", t0).is_ok());
        let later = t0.saturating_add(WINDOW).unwrap();
        assert!(l.check("till", later).is_ok());
    }

    #[test]
    fn long_identities_are_kept_as_digests() {
        let l = FailureLimiter::default();
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let huge = "x".repeat(1 << 20);
        l.failed(&huge, t0);
        let map = l.failures.lock().unwrap();
        assert_eq!(map.len(), 1);
        assert!(map.keys().all(|k| k.len() == 64), "a digest, not the name");
    }

    #[test]
    fn success_clears_the_count() {
        let l = FailureLimiter::default();
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        for _ in 0..MAX_FAILURES - 1 {
            l.failed("till", t0);
        }
        l.succeeded("till");
        l.failed("till", t0);
        assert!(l.check("till", t0).is_ok());
    }
}
