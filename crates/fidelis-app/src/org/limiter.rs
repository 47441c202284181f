//! Failed-credential limiting: after `MAX_FAILURES` wrong secrets for one till code or API key
//! within `WINDOW`, further attempts for it are refused without checking the secret until
//! the window passes. It stops online guessing and keeps Argon2 from being used to burn CPU.
//! Counters live in this process; each server instance limits on its own.

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

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
        match map.get(identity) {
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
        }
        let entry = map.entry(identity.to_string()).or_insert((0, now));
        if now >= entry.1.saturating_add(WINDOW).unwrap_or(now) {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, identity: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(identity);
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
