//! Quiet hours and opt-outs for bulk (promotional) messages. Transactional messages (the
//! communications API) go out at any time; bulk SMS only inside the org's sending window,
//! in the org's own time, and never to a customer who unsubscribed from the channel's
//! bulk messages.

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::customers::{Priority, Subscription, SubscriptionChannel, SubscriptionStatus};

/// The window of the org's day in which bulk SMS may go out: `[from, to)`, org time. A
/// window whose end is before its start runs over midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub from: Time,
    pub to: Time,
}

impl QuietHours {
    /// Whether a bulk SMS may go out at `now` in zone `tz`.
    pub fn allows(&self, now: Timestamp, tz: &TimeZone) -> bool {
        let t = now.to_zoned(tz.clone()).time();
        if self.from <= self.to {
            self.from <= t && t < self.to
        } else {
            t >= self.from || t < self.to
        }
    }

    /// The first instant at or after `now` at which bulk SMS may go out: `now` inside the
    /// window, else the window's next start in the org's zone (DST-correct).
    pub fn next_opening(&self, now: Timestamp, tz: &TimeZone) -> Timestamp {
        if self.allows(now, tz) {
            return now;
        }
        let local = now.to_zoned(tz.clone());
        let today = local.date().to_datetime(self.from);
        let candidate = today
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(now);
        if candidate > now {
            return candidate;
        }
        local
            .date()
            .checked_add(1.day())
            .ok()
            .and_then(|d| d.to_datetime(self.from).to_zoned(tz.clone()).ok())
            .map(|z| z.timestamp())
            .unwrap_or(now)
    }
}

/// Whether a bulk message on `channel` may go to a customer with `subscriptions`: not when
/// the customer unsubscribed from the channel's bulk messages (for every OU or for `ou`).
pub fn bulk_recipient_allowed(
    subscriptions: &[Subscription],
    channel: SubscriptionChannel,
    ou: Option<crate::org::EntityId>,
) -> bool {
    !subscriptions.iter().any(|s| {
        s.channel == channel
            && s.priority == Priority::Bulk
            && s.status == SubscriptionStatus::Unsubscribed
            && (s.org_unit_id.is_none() || s.org_unit_id == ou)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::EntityId;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn demo() -> QuietHours {
        QuietHours {
            from: Time::constant(9, 0, 0, 0),
            to: Time::constant(21, 0, 0, 0),
        }
    }

    #[test]
    fn bulk_sms_goes_out_between_nine_and_nine_org_time() {
        let sg = TimeZone::get("Asia/Singapore").unwrap();
        // 04:00Z is 12:00 in Singapore.
        assert!(demo().allows(ts("2026-11-25T04:00:00Z"), &sg));
        // 13:00Z is 21:00 in Singapore: closed; 00:59Z is 08:59: closed.
        assert!(!demo().allows(ts("2026-11-25T13:00:00Z"), &sg));
        assert!(!demo().allows(ts("2026-11-25T00:59:00Z"), &sg));
        assert!(demo().allows(ts("2026-11-25T01:00:00Z"), &sg));
        // The server's own zone never matters: the same instant in Kolkata is 18:30.
        assert_eq!(
            demo().next_opening(ts("2026-11-25T14:00:00Z"), &sg),
            ts("2026-11-26T01:00:00Z")
        );
        assert_eq!(
            demo().next_opening(ts("2026-11-25T00:00:00Z"), &sg),
            ts("2026-11-25T01:00:00Z")
        );
        assert_eq!(
            demo().next_opening(ts("2026-11-25T04:00:00Z"), &sg),
            ts("2026-11-25T04:00:00Z")
        );
    }

    #[test]
    fn windows_follow_dst_and_may_cross_midnight() {
        let ny = TimeZone::get("America/New_York").unwrap();
        // 09:00 New York is 14:00Z in winter and 13:00Z in summer.
        assert_eq!(
            demo().next_opening(ts("2026-01-15T05:00:00Z"), &ny),
            ts("2026-01-15T14:00:00Z")
        );
        assert_eq!(
            demo().next_opening(ts("2026-07-15T05:00:00Z"), &ny),
            ts("2026-07-15T13:00:00Z")
        );
        let night = QuietHours {
            from: Time::constant(22, 0, 0, 0),
            to: Time::constant(6, 0, 0, 0),
        };
        let utc = TimeZone::UTC;
        assert!(night.allows(ts("2026-01-15T23:00:00Z"), &utc));
        assert!(night.allows(ts("2026-01-15T05:59:00Z"), &utc));
        assert!(!night.allows(ts("2026-01-15T12:00:00Z"), &utc));
    }

    #[test]
    fn opted_out_customers_get_no_bulk_messages() {
        let unsub = |ou: Option<i64>| Subscription {
            channel: SubscriptionChannel::Sms,
            priority: Priority::Bulk,
            org_unit_id: ou.map(EntityId::new),
            status: SubscriptionStatus::Unsubscribed,
        };
        assert!(bulk_recipient_allowed(&[], SubscriptionChannel::Sms, None));
        assert!(!bulk_recipient_allowed(
            &[unsub(None)],
            SubscriptionChannel::Sms,
            None
        ));
        assert!(!bulk_recipient_allowed(
            &[unsub(None)],
            SubscriptionChannel::Sms,
            Some(EntityId::new(7))
        ));
        assert!(!bulk_recipient_allowed(
            &[unsub(Some(7))],
            SubscriptionChannel::Sms,
            Some(EntityId::new(7))
        ));
        assert!(bulk_recipient_allowed(
            &[unsub(Some(7))],
            SubscriptionChannel::Sms,
            Some(EntityId::new(8))
        ));
        assert!(bulk_recipient_allowed(
            &[unsub(None)],
            SubscriptionChannel::Email,
            None
        ));
        let trans = Subscription {
            priority: Priority::Trans,
            ..unsub(None)
        };
        assert!(bulk_recipient_allowed(
            &[trans],
            SubscriptionChannel::Sms,
            None
        ));
    }
}
