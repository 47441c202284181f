//! Local-calendar helpers: everything a person reads as a date (expiry, tier validity) is a
//! day in the org's zone, and "expires on D" means the last second of D there.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// The org-local calendar date of an instant.
pub fn local_date(at: Timestamp, tz: &TimeZone) -> Date {
    tz.to_datetime(at).date()
}

/// 23:59:59 on `date` in `tz`, as an instant. If a DST fold repeats that wall time, the
/// later instant is used so the whole local day is covered. Dates beyond jiff's range
/// saturate to `Timestamp::MAX` (only reachable with absurd configuration).
pub fn end_of_local_day(date: Date, tz: &TimeZone) -> Timestamp {
    let dt = date.at(23, 59, 59, 0);
    tz.to_ambiguous_timestamp(dt)
        .later()
        .unwrap_or(Timestamp::MAX)
}

/// 00:00:00 on `date` in `tz` (the earlier instant in a fold; after the gap if midnight
/// is skipped).
pub fn start_of_local_day(date: Date, tz: &TimeZone) -> Timestamp {
    tz.to_ambiguous_timestamp(date.at(0, 0, 0, 0))
        .compatible()
        .unwrap_or(Timestamp::MIN)
}

/// `date` plus whole calendar days, saturating at the end of jiff's range.
pub fn add_days(date: Date, days: i64) -> Date {
    date.checked_add(Span::new().days(days))
        .unwrap_or(if days >= 0 { Date::MAX } else { Date::MIN })
}

/// `date` plus calendar months (Jan 31 + 1 month = Feb 28/29), saturating.
pub fn add_months(date: Date, months: i64) -> Date {
    date.checked_add(Span::new().months(months))
        .unwrap_or(if months >= 0 { Date::MAX } else { Date::MIN })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_of_day_is_local() {
        let tz = TimeZone::get("Asia/Singapore").unwrap();
        let d = Date::constant(2024, 3, 1);
        assert_eq!(end_of_local_day(d, &tz).to_string(), "2024-03-01T15:59:59Z");
        assert_eq!(
            start_of_local_day(d, &tz).to_string(),
            "2024-02-29T16:00:00Z"
        );
    }
}
