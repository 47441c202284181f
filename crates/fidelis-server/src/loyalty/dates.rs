//! Dates on the transactions API (docs/loyalty.md, "Dates on the API").
//!
//! An ISO 8601 instant with an offset or `Z` is taken as that instant. A date-time without
//! an offset is wall-clock time in the org's zone (DESIGN principle 2), not the server's
//! or a cluster's. A bare date is the start of that local day. Absent or empty: now.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::ApiError;

/// Parses `field`'s value, or `None` when it is absent or empty.
pub fn parse(field: &str, raw: Option<&str>, tz: &TimeZone) -> Result<Option<Timestamp>, ApiError> {
    let Some(text) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(Some(t));
    }
    let local = text.replace(' ', "T").parse::<DateTime>().or_else(|_| {
        text.parse::<Date>()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    });
    local
        .ok()
        .and_then(|dt| dt.to_zoned(tz.clone()).ok())
        .map(|z| Some(z.timestamp()))
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "Invalid input: {field} {text:?} is not an ISO 8601 date-time (e.g. 2026-11-25T12:00:00+08:00)"
            ))
        })
}

/// `2026-11-25T12:00:00+08:00`: an instant as the org sees it.
pub fn iso(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// `25th Nov, 2026`, the style of Capillary's raw side effects.
pub fn spoken_date(t: Timestamp, tz: &TimeZone) -> String {
    let z = t.to_zoned(tz.clone());
    let day = z.day();
    let suffix = match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{day}{suffix} {}", z.strftime("%b, %Y"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_win_and_local_times_are_the_orgs() {
        let tz = TimeZone::get("Asia/Singapore").unwrap();
        let t = |s: &str| {
            parse("billingDate", Some(s), &tz)
                .unwrap()
                .unwrap()
                .to_string()
        };
        assert_eq!(t("2026-11-25T10:00:00+05:30"), "2026-11-25T04:30:00Z");
        assert_eq!(t("2026-11-25T10:00:00Z"), "2026-11-25T10:00:00Z");
        assert_eq!(t("2026-11-25 10:00:00"), "2026-11-25T02:00:00Z");
        assert_eq!(t("2026-11-25"), "2026-11-24T16:00:00Z");
        assert_eq!(parse("x", Some(" "), &tz).unwrap(), None);
        assert!(parse("x", Some("yesterday"), &tz).is_err());
        let at: Timestamp = "2026-11-23T04:00:00Z".parse().unwrap();
        assert_eq!(spoken_date(at, &tz), "23rd Nov, 2026");
        assert_eq!(iso(at, &tz), "2026-11-23T12:00:00+08:00");
    }
}
