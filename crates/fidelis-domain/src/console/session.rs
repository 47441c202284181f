//! How long a console session lives: it ends after a spell of inactivity or, however
//! active, after an absolute limit (an agent signs in once per shift).

use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: SignedDuration,
    pub absolute: SignedDuration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: SignedDuration::from_mins(60),
            absolute: SignedDuration::from_hours(12),
        }
    }
}

impl SessionPolicy {
    /// Whether a session created at `created` and last used at `last_seen` still holds at
    /// `now`.
    pub fn alive(&self, created: Timestamp, last_seen: Timestamp, now: Timestamp) -> bool {
        now.duration_since(last_seen) < self.idle && now.duration_since(created) < self.absolute
    }

    /// Whether `last_seen` is old enough to be worth writing again (so a busy agent's every
    /// click is not a write).
    pub fn should_touch(&self, last_seen: Timestamp, now: Timestamp) -> bool {
        now.duration_since(last_seen) >= SignedDuration::from_mins(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn a_session_ends_when_idle_or_too_old() {
        let p = SessionPolicy::default();
        let created = at("2026-12-01T08:00:00Z");
        assert!(p.alive(created, created, at("2026-12-01T08:59:00Z")));
        assert!(!p.alive(created, created, at("2026-12-01T09:00:00Z")));
        // Active all day still ends after twelve hours.
        assert!(p.alive(
            created,
            at("2026-12-01T19:50:00Z"),
            at("2026-12-01T19:59:00Z")
        ));
        assert!(!p.alive(
            created,
            at("2026-12-01T19:59:00Z"),
            at("2026-12-01T20:00:00Z")
        ));
    }

    #[test]
    fn last_seen_is_written_at_most_once_a_minute() {
        let p = SessionPolicy::default();
        let seen = at("2026-12-01T08:00:00Z");
        assert!(!p.should_touch(seen, at("2026-12-01T08:00:59Z")));
        assert!(p.should_touch(seen, at("2026-12-01T08:01:00Z")));
    }
}
