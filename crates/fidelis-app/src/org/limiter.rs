//! Failed-credential limiting, so that guessing a till's password or a client's secret is
//! slow without letting anyone lock the real owner out.
//!
//! - Failures are counted per (name, client address): after `MAX_FAILURES` within `WINDOW`
//!   that address is refused (429) for that name until the window passes. The real till,
//!   calling from its own address, is not affected.
//! - Failures are also counted per name from every address: past `SLOWDOWN_AFTER` each
//!   verification for the name waits first, doubling up to `MAX_DELAY`. A guesser spread
//!   over many addresses gets slower; the real till still signs in, a little later.
//!
//! A verified credential is cached before any of this is asked, so a till that signed in
//! recently does not notice an attack at all. Counters live in this process (each server
//! instance limits on its own). Keys are SHA-256 digests, so an attacker-chosen name costs
//! 64 bytes however long it is, and each map holds at most `MAX_TRACKED` keys.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use fidelis_domain::credentials::sha256_hex;
use fidelis_domain::org::OrgError;

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW: SignedDuration = SignedDuration::from_secs(300);
pub const SLOWDOWN_AFTER: u32 = 5;
const FIRST_DELAY: Duration = Duration::from_millis(50);
pub const MAX_DELAY: Duration = Duration::from_secs(1);
const MAX_TRACKED: usize = 100_000;

/// Failure counts by key digest, each with the start of its window.
#[derive(Default)]
struct Counts(HashMap<String, (u32, Timestamp)>);

impl Counts {
    fn live(&self, key: &str, now: Timestamp) -> u32 {
        match self.0.get(key) {
            Some((count, since)) if now < since.saturating_add(WINDOW).unwrap_or(now) => *count,
            _ => 0,
        }
    }

    fn add(&mut self, key: String, now: Timestamp) {
        if self.0.len() >= MAX_TRACKED {
            self.0
                .retain(|_, (_, since)| now < since.saturating_add(WINDOW).unwrap_or(now));
            if self.0.len() >= MAX_TRACKED {
                // Still full of live entries: forget them rather than grow without bound.
                self.0.clear();
            }
        }
        let entry = self.0.entry(key).or_insert((0, now));
        if now >= entry.1.saturating_add(WINDOW).unwrap_or(now) {
            *entry = (0, now);
        }
        entry.0 = entry.0.saturating_add(1);
    }
}

#[derive(Default)]
pub struct FailureLimiter {
    by_address: Mutex<Counts>,
    by_name: Mutex<Counts>,
}

fn pair_key(name: &str, from: Option<IpAddr>) -> String {
    let from = from.map_or_else(String::new, |a| a.to_string());
    sha256_hex(&format!("{from}\n{name}"))
}

/// The wait before a verification for a name with `failures` recent failures.
pub fn delay_for(failures: u32) -> Duration {
    if failures < SLOWDOWN_AFTER {
        return Duration::ZERO;
    }
    let doublings = (failures - SLOWDOWN_AFTER).min(16);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

impl FailureLimiter {
    /// Refuses `name` from `from` while that pair has too many recent failures; otherwise
    /// answers how long to wait before verifying (the per-name slow-down).
    pub fn check(
        &self,
        name: &str,
        from: Option<IpAddr>,
        now: Timestamp,
    ) -> Result<Duration, OrgError> {
        let pair = self
            .by_address
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .live(&pair_key(name, from), now);
        if pair >= MAX_FAILURES {
            return Err(OrgError::TooManyFailures);
        }
        let named = self
            .by_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .live(&sha256_hex(name), now);
        Ok(delay_for(named))
    }

    pub fn failed(&self, name: &str, from: Option<IpAddr>, now: Timestamp) {
        self.by_address
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(pair_key(name, from), now);
        self.by_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(sha256_hex(name), now);
    }

    /// A success clears the caller's own address; the name's count from elsewhere stays.
    pub fn succeeded(&self, name: &str, from: Option<IpAddr>) {
        self.by_address
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .remove(&pair_key(name, from));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn addr(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn an_address_is_refused_after_max_failures_until_the_window_passes() {
        let l = FailureLimiter::default();
        let attacker = addr("10.0.0.66");
        for _ in 0..MAX_FAILURES {
            assert!(l.check("till", attacker, t0()).is_ok());
            l.failed("till", attacker, t0());
        }
        assert_eq!(
            l.check("till", attacker, t0()),
            Err(OrgError::TooManyFailures)
        );
        assert!(l.check("other", attacker, t0()).is_ok());
        let later = t0().saturating_add(WINDOW).unwrap();
        assert_eq!(l.check("till", attacker, later), Ok(Duration::ZERO));
    }

    #[test]
    fn the_owner_from_another_address_is_slowed_not_refused() {
        let l = FailureLimiter::default();
        for _ in 0..100 {
            l.failed("till", addr("10.0.0.66"), t0());
        }
        let wait = l.check("till", addr("10.0.0.7"), t0()).unwrap();
        assert_eq!(wait, MAX_DELAY);
    }

    #[test]
    fn the_slow_down_starts_late_and_doubles_to_a_cap() {
        assert_eq!(delay_for(0), Duration::ZERO);
        assert_eq!(delay_for(SLOWDOWN_AFTER - 1), Duration::ZERO);
        assert_eq!(delay_for(SLOWDOWN_AFTER), FIRST_DELAY);
        assert_eq!(delay_for(SLOWDOWN_AFTER + 1), FIRST_DELAY * 2);
        assert_eq!(delay_for(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn long_names_are_kept_as_digests() {
        let l = FailureLimiter::default();
        let huge = "x".repeat(1 << 20);
        l.failed(&huge, addr("10.0.0.66"), t0());
        for map in [&l.by_address, &l.by_name] {
            let map = map.lock().unwrap();
            assert_eq!(map.0.len(), 1);
            assert!(
                map.0.keys().all(|k| k.len() == 64),
                "a digest, not the name"
            );
        }
    }

    #[test]
    fn success_clears_only_the_callers_address() {
        let l = FailureLimiter::default();
        let me = addr("10.0.0.7");
        for _ in 0..MAX_FAILURES - 1 {
            l.failed("till", me, t0());
        }
        l.succeeded("till", me);
        l.failed("till", me, t0());
        assert!(l.check("till", me, t0()).is_ok());
        // The name's count from every address is not reset by one success.
        assert_eq!(l.check("till", me, t0()), Ok(delay_for(MAX_FAILURES)));
    }
}
