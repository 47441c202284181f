//! The nine transaction date formats of Connect+, by the names Capillary's release notes
//! give them, so a dataflow can name a format as a user copies it from there. A value
//! without a zone is a wall-clock time in the org's zone; a value with one is that instant.

use jiff::civil::DateTime;
use jiff::fmt::strtime;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// A date format of a file column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `yyyy-MM-dd HH:mm:ss`: 2022-02-03 19:00:00
    IsoLocal,
    /// `dd-MM-yyyy HH:mm:ss`: 03-02-2022 19:00:00
    DayDashMonth,
    /// `dd/MM/yyyy HH:mm:ss`: 03/02/2022 19:00:00
    DaySlashMonth,
    /// `yyyy-MM-dd HH:mm:ss Z`: 2017-05-11 15:46:48 Z (or an offset such as +0800)
    IsoZone,
    /// `yyyy-MM-dd HH:mm:ssXXX`: 2022-02-03 12:08:56.235-07:00 (fraction optional)
    IsoOffset,
    /// `dd-MMM-yy HH:mm:ss`: 03-Feb-22 19:00:00
    DayMonthName,
    /// `M/D/YY HH:mm:ss`: 2/3/22 19:00:00
    UsShort,
    /// `D/M/YY HH:mm:ss`: 3/2/22 19:00:00
    DayFirstShort,
    /// `MM/DD/YY HH:mm:ss`: 02/03/22 19:00:00
    UsPadded,
}

/// Why a value does not read as a date of its format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("unknown date format `{0}`; use one of: {names}", names = DateFormat::names())]
    UnknownFormat(String),
    #[error("`{value}` is not a date in the format `{format}`")]
    Invalid { value: String, format: &'static str },
}

impl DateFormat {
    pub const ALL: [Self; 9] = [
        Self::IsoLocal,
        Self::DayDashMonth,
        Self::DaySlashMonth,
        Self::IsoZone,
        Self::IsoOffset,
        Self::DayMonthName,
        Self::UsShort,
        Self::DayFirstShort,
        Self::UsPadded,
    ];

    /// The name as Capillary writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::IsoLocal => "yyyy-MM-dd HH:mm:ss",
            Self::DayDashMonth => "dd-MM-yyyy HH:mm:ss",
            Self::DaySlashMonth => "dd/MM/yyyy HH:mm:ss",
            Self::IsoZone => "yyyy-MM-dd HH:mm:ss Z",
            Self::IsoOffset => "yyyy-MM-dd HH:mm:ssXXX",
            Self::DayMonthName => "dd-MMM-yy HH:mm:ss",
            Self::UsShort => "M/D/YY HH:mm:ss",
            Self::DayFirstShort => "D/M/YY HH:mm:ss",
            Self::UsPadded => "MM/DD/YY HH:mm:ss",
        }
    }

    fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// The format with this name, exactly as listed.
    pub fn parse_name(name: &str) -> Result<Self, DateError> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == name.trim())
            .ok_or_else(|| DateError::UnknownFormat(name.to_string()))
    }

    /// The `strptime` pattern of the wall-clock part.
    fn pattern(self) -> &'static str {
        match self {
            Self::IsoLocal | Self::IsoZone | Self::IsoOffset => "%Y-%m-%d %H:%M:%S",
            Self::DayDashMonth => "%d-%m-%Y %H:%M:%S",
            Self::DaySlashMonth => "%d/%m/%Y %H:%M:%S",
            Self::DayMonthName => "%d-%b-%y %H:%M:%S",
            Self::UsShort | Self::UsPadded => "%m/%d/%y %H:%M:%S",
            Self::DayFirstShort => "%d/%m/%y %H:%M:%S",
        }
    }

    /// The instant `raw` names; zone-less values are read in `zone`.
    pub fn parse(self, raw: &str, zone: &TimeZone) -> Result<Timestamp, DateError> {
        let invalid = || DateError::Invalid {
            value: raw.to_string(),
            format: self.name(),
        };
        let raw = raw.trim();
        let (wall, offset) = match self {
            Self::IsoZone => split_zone(raw).ok_or_else(invalid)?,
            Self::IsoOffset => split_offset(raw).ok_or_else(invalid)?,
            _ => (raw, None),
        };
        let (wall, nanos) = split_fraction(wall).ok_or_else(invalid)?;
        let dt: DateTime = strtime::parse(self.pattern(), wall)
            .and_then(|tm| tm.to_datetime())
            .map_err(|_| invalid())?;
        let dt = dt
            .with()
            .subsec_nanosecond(nanos)
            .build()
            .map_err(|_| invalid())?;
        match offset {
            Some(o) => o.to_timestamp(dt).map_err(|_| invalid()),
            None => zone
                .to_ambiguous_zoned(dt)
                .compatible()
                .map(|z| z.timestamp())
                .map_err(|_| invalid()),
        }
    }
}

/// `… Z` (UTC) or `… +0800` / `… +08:00`.
fn split_zone(raw: &str) -> Option<(&str, Option<Offset>)> {
    let (wall, zone) = raw.rsplit_once(' ')?;
    if zone == "Z" || zone == "z" {
        return Some((wall, Some(Offset::UTC)));
    }
    Some((wall, Some(offset(zone)?)))
}

/// `…-07:00`, `…+0800` or `…Z` right after the seconds (and an optional fraction).
fn split_offset(raw: &str) -> Option<(&str, Option<Offset>)> {
    if let Some(wall) = raw.strip_suffix('Z') {
        return Some((wall, Some(Offset::UTC)));
    }
    // The sign of the offset is the last '+' or '-' (the date's dashes come before it).
    let at = raw.rfind(['+', '-'])?;
    let (wall, zone) = raw.split_at(at);
    if wall.len() < 19 {
        return None;
    }
    Some((wall, Some(offset(zone)?)))
}

/// `+08:00`, `+0800` or `+08`.
fn offset(s: &str) -> Option<Offset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours: i32 = digits.get(0..2)?.parse().ok()?;
    let minutes: i32 = digits
        .get(2..)
        .filter(|m| !m.is_empty())
        .map_or(Some(0), |m| m.parse().ok())?;
    if hours > 18 || minutes > 59 {
        return None;
    }
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

/// Splits `….235` into the wall clock and nanoseconds (0 when there is no fraction).
fn split_fraction(wall: &str) -> Option<(&str, i32)> {
    let Some((whole, frac)) = wall.rsplit_once('.') else {
        return Some((wall, 0));
    };
    if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: i32 = format!("{frac:0<9}").parse().ok()?;
    Some((whole, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sg() -> TimeZone {
        TimeZone::get("Asia/Singapore").unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn every_documented_example_reads_as_its_instant() {
        // Zone-less examples are 2022-02-03 19:00 in Singapore: 11:00 UTC.
        let cases = [
            (
                "yyyy-MM-dd HH:mm:ss",
                "2022-02-03 19:00:00",
                "2022-02-03T11:00:00Z",
            ),
            (
                "dd-MM-yyyy HH:mm:ss",
                "03-02-2022 19:00:00",
                "2022-02-03T11:00:00Z",
            ),
            (
                "dd/MM/yyyy HH:mm:ss",
                "03/02/2022 19:00:00",
                "2022-02-03T11:00:00Z",
            ),
            (
                "yyyy-MM-dd HH:mm:ss Z",
                "2017-05-11 15:46:48 Z",
                "2017-05-11T15:46:48Z",
            ),
            (
                "yyyy-MM-dd HH:mm:ssXXX",
                "2022-02-03 12:08:56.235-07:00",
                "2022-02-03T19:08:56.235Z",
            ),
            (
                "dd-MMM-yy HH:mm:ss",
                "03-Feb-22 19:00:00",
                "2022-02-03T11:00:00Z",
            ),
            ("M/D/YY HH:mm:ss", "2/3/22 19:00:00", "2022-02-03T11:00:00Z"),
            ("D/M/YY HH:mm:ss", "3/2/22 19:00:00", "2022-02-03T11:00:00Z"),
            (
                "MM/DD/YY HH:mm:ss",
                "02/03/22 19:00:00",
                "2022-02-03T11:00:00Z",
            ),
        ];
        for (name, value, want) in cases {
            let f = DateFormat::parse_name(name).unwrap();
            assert_eq!(f.parse(value, &sg()), Ok(at(want)), "{name}: {value}");
        }
    }

    #[test]
    fn offsets_come_in_every_spelling() {
        let f = DateFormat::IsoZone;
        let want = at("2022-02-03T11:00:00Z");
        for v in [
            "2022-02-03 19:00:00 +0800",
            "2022-02-03 19:00:00 +08:00",
            "2022-02-03 11:00:00 Z",
        ] {
            assert_eq!(f.parse(v, &TimeZone::UTC), Ok(want), "{v}");
        }
        let f = DateFormat::IsoOffset;
        for v in [
            "2022-02-03 19:00:00+08:00",
            "2022-02-03 19:00:00+0800",
            "2022-02-03 11:00:00Z",
        ] {
            assert_eq!(f.parse(v, &TimeZone::UTC), Ok(want), "{v}");
        }
    }

    #[test]
    fn impossible_and_mismatched_values_are_refused() {
        let bad = [
            (DateFormat::IsoLocal, "2022-02-30 19:00:00"),
            (DateFormat::IsoLocal, "2022-02-03"),
            (DateFormat::IsoLocal, "03-02-2022 19:00:00"),
            (DateFormat::DaySlashMonth, "31/04/2022 10:00:00"),
            (DateFormat::UsShort, "13/2/22 19:00:00"),
            (DateFormat::DayMonthName, "03-Foo-22 19:00:00"),
            (DateFormat::IsoLocal, "2022-02-03 25:00:00"),
            (DateFormat::IsoZone, "2022-02-03 19:00:00"),
            (DateFormat::IsoOffset, "2022-02-03 19:00:00+25:00"),
            (DateFormat::IsoLocal, ""),
        ];
        for (f, v) in bad {
            assert!(f.parse(v, &sg()).is_err(), "{} accepted {v:?}", f.name());
        }
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let e = DateFormat::parse_name("yyyy/MM/dd").unwrap_err();
        assert!(e.to_string().contains("dd-MMM-yy HH:mm:ss"), "{e}");
    }

    #[test]
    fn a_wall_clock_time_skipped_by_dst_moves_forward() {
        // 2022-03-13 02:30 does not exist in New York; compatible resolution is 03:30 EDT.
        let ny = TimeZone::get("America/New_York").unwrap();
        let t = DateFormat::IsoLocal
            .parse("2022-03-13 02:30:00", &ny)
            .unwrap();
        assert_eq!(t, at("2022-03-13T07:30:00Z"));
    }
}
