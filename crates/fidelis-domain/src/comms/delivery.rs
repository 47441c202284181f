//! The delivery schedule: what happens after each attempt. A gateway that accepted a
//! message moves it to Sent (or Delivered, when the gateway is its final destination); a
//! temporary failure is retried with exponential backoff, up to `MAX_ATTEMPTS`; a refusal
//! fails it at once.

use jiff::{SignedDuration, Timestamp};

use super::message::MessageStatus;

/// Attempts before a message that keeps failing temporarily is given up.
pub const MAX_ATTEMPTS: u32 = 8;
const FIRST_RETRY: SignedDuration = SignedDuration::from_secs(30);
const LONGEST_WAIT: SignedDuration = SignedDuration::from_secs(3600);

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The gateway took the message: `Sent` (it delivers onward) or `Delivered`.
    Accepted {
        status: MessageStatus,
        reference: Option<String>,
    },
    /// Worth another try (gateway down, timeout, temporary refusal).
    Temporary(String),
    /// The gateway refused the message itself (bad address, rejected content).
    Permanent(String),
}

/// What to do with a message after attempt number `attempts` (1 for the first) ended in
/// `outcome` at `now`: its new status and, when it stays queued, when to try again.
pub fn next_attempt(
    attempts: u32,
    outcome: &Outcome,
    now: Timestamp,
) -> (MessageStatus, Option<Timestamp>) {
    match outcome {
        Outcome::Accepted { status, .. } => (*status, None),
        Outcome::Permanent(_) => (MessageStatus::Failed, None),
        Outcome::Temporary(_) if attempts >= MAX_ATTEMPTS => (MessageStatus::Failed, None),
        Outcome::Temporary(_) => {
            let wait = backoff(attempts);
            (
                MessageStatus::Queued,
                Some(now.saturating_add(wait).unwrap_or(now)),
            )
        }
    }
}

/// The wait after the `attempts`-th failure: 30 s, 1 min, 2 min, … at most an hour.
pub fn backoff(attempts: u32) -> SignedDuration {
    let doublings = attempts.saturating_sub(1).min(16);
    let wait = FIRST_RETRY
        .checked_mul(1 << doublings)
        .unwrap_or(LONGEST_WAIT);
    wait.min(LONGEST_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn temporary_failures_back_off_then_fail() {
        let now = ts("2026-11-25T04:00:00Z");
        let tmp = Outcome::Temporary("connection refused".into());
        assert_eq!(
            next_attempt(1, &tmp, now),
            (MessageStatus::Queued, Some(ts("2026-11-25T04:00:30Z")))
        );
        assert_eq!(
            next_attempt(2, &tmp, now).1,
            Some(ts("2026-11-25T04:01:00Z"))
        );
        assert_eq!(
            next_attempt(3, &tmp, now).1,
            Some(ts("2026-11-25T04:02:00Z"))
        );
        assert_eq!(backoff(30), SignedDuration::from_secs(3600));
        assert_eq!(
            next_attempt(MAX_ATTEMPTS, &tmp, now),
            (MessageStatus::Failed, None)
        );
    }

    #[test]
    fn acceptance_and_refusal_end_the_schedule() {
        let now = ts("2026-11-25T04:00:00Z");
        let sent = Outcome::Accepted {
            status: MessageStatus::Sent,
            reference: None,
        };
        assert_eq!(next_attempt(1, &sent, now), (MessageStatus::Sent, None));
        assert_eq!(
            next_attempt(1, &Outcome::Permanent("550 no such user".into()), now),
            (MessageStatus::Failed, None)
        );
    }
}
