//! Calendar dates as the store writes them (TOML local dates) and as users
//! type them (`2026-11-01`, or `7d` / `2w` / `3m` back from today).

use std::fmt;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

/// A calendar date: a TOML local date in files, `YYYY-MM-DD` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

impl Date {
    /// Parses `YYYY-MM-DD`, refusing dates that do not exist.
    pub fn parse(s: &str) -> Result<Self> {
        // The form crm writes, read without chrono's format parser.
        if let Some(date) = ymd(s).and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y as i32, m, d)) {
            return Ok(Date(date));
        }
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(Date)
            .map_err(|_| Error::invalid("date", s, "expected an existing date as YYYY-MM-DD"))
    }

    /// Parses a `WHEN`: a date, or a duration back from `today` such as
    /// `7d`, `2w`, `3m` or `1y`.
    pub fn parse_when(s: &str, today: Date) -> Result<Self> {
        Date::parse_offset(s, today, false)
    }

    /// Parses a date, or a duration ahead of `today` (`--due 2w`).
    pub fn parse_ahead(s: &str, today: Date) -> Result<Self> {
        Date::parse_offset(s, today, true)
    }

    fn parse_offset(s: &str, today: Date, ahead: bool) -> Result<Self> {
        let s = s.trim();
        let bad = || Error::invalid("date or duration", s, "use YYYY-MM-DD or a duration like 7d, 2w, 3m, 1y");
        if s.contains('-') {
            return Date::parse(s);
        }
        let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
        let n: u32 = digits.parse().map_err(|_| bad())?;
        let t = today.0;
        let date = match (unit, ahead) {
            ("d", false) => t.checked_sub_days(Days::new(n.into())),
            ("d", true) => t.checked_add_days(Days::new(n.into())),
            ("w", false) => t.checked_sub_days(Days::new(u64::from(n) * 7)),
            ("w", true) => t.checked_add_days(Days::new(u64::from(n) * 7)),
            ("m", false) => t.checked_sub_months(Months::new(n)),
            ("m", true) => t.checked_add_months(Months::new(n)),
            ("y", false) => t.checked_sub_months(Months::new(n.saturating_mul(12))),
            ("y", true) => t.checked_add_months(Months::new(n.saturating_mul(12))),
            _ => None,
        };
        date.map(Date).ok_or_else(bad)
    }

    /// Converts a TOML date value.
    pub fn from_toml(dt: &toml_datetime::Datetime) -> std::result::Result<Self, String> {
        match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())
                .map(Date)
                .ok_or_else(|| format!("{dt} is not a date that exists")),
            _ => Err(format!("expected a date like 2026-11-01, found {dt}")),
        }
    }

    /// This date as a TOML value.
    pub fn to_toml(self) -> toml_datetime::Datetime {
        let d = self.0;
        toml_datetime::Datetime {
            date: Some(toml_datetime::Date { year: d.year() as u16, month: d.month() as u8, day: d.day() as u8 }),
            time: None,
            offset: None,
        }
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        (later.0 - self.0).num_days()
    }

    /// The date `days` before this one (`None` before the calendar's start).
    pub fn days_before(self, days: u32) -> Option<Date> {
        self.0.checked_sub_days(Days::new(days.into())).map(Date)
    }

    /// The date `days` after this one.
    pub fn plus_days(self, days: i64) -> Date {
        Date(self.0 + chrono::Duration::days(days))
    }
}

/// The year, month and day of `YYYY-MM-DD` (digits in that shape, not
/// checked against a calendar).
fn ymd(s: &str) -> Option<(u32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    Some((digits(0..4)?, digits(5..7)?, digits(8..10)?))
}

/// A date as one number, `year * 10000 + month * 100 + day`: ordered as
/// dates are, and read from `YYYY-MM-DD` without a calendar. Judging the
/// pool's rules on 100,000 catalog lines needs only comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DayKey(i64);

/// A date type the pool's rules judge with: [`Date`] for a customer file,
/// [`DayKey`] for the catalog's lines.
pub trait Day: Copy + Ord {
    /// A date as crm writes it (`None` for anything else).
    fn read(s: &str) -> Option<Self>;
    /// `date` as this type.
    fn of(date: Date) -> Self;
}

impl Day for Date {
    fn read(s: &str) -> Option<Date> {
        Date::parse(s).ok()
    }

    fn of(date: Date) -> Date {
        date
    }
}

impl Day for DayKey {
    fn read(s: &str) -> Option<DayKey> {
        ymd(s).map(|(y, m, d)| DayKey(i64::from(y) * 10_000 + i64::from(m * 100 + d)))
    }

    fn of(date: Date) -> DayKey {
        let d = date.0;
        DayKey(i64::from(d.year()) * 10_000 + i64::from(d.month() * 100 + d.day()))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let dt = toml_datetime::Datetime::deserialize(d)?;
        Date::from_toml(&dt).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert!(Date::parse("2026-13-40").is_err());
        assert!(Date::parse("2026-02-30").is_err());
        assert_eq!(d("2024-02-29").to_string(), "2024-02-29");
    }

    #[test]
    fn durations_count_back_from_today() {
        let today = d("2026-11-26");
        assert_eq!(Date::parse_when("7d", today).unwrap(), d("2026-11-19"));
        assert_eq!(Date::parse_when("2w", today).unwrap(), d("2026-11-12"));
        assert_eq!(Date::parse_when("3m", today).unwrap(), d("2026-08-26"));
        assert_eq!(Date::parse_when("1y", today).unwrap(), d("2025-11-26"));
        assert_eq!(Date::parse_when("2026-01-01", today).unwrap(), d("2026-01-01"));
        assert!(Date::parse_when("soon", today).is_err());
        assert!(Date::parse_when("7x", today).is_err());
        assert_eq!(Date::parse_ahead("2w", today).unwrap(), d("2026-12-10"));
    }

    #[test]
    fn day_keys_order_as_dates_and_read_what_crm_writes() {
        let start = d("1999-12-25");
        let days: Vec<Date> = (0..800).map(|n| start.plus_days(n * 3)).collect();
        for pair in days.windows(2) {
            assert!(DayKey::of(pair[0]) < DayKey::of(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        for date in days {
            assert_eq!(DayKey::read(&date.to_string()), Some(DayKey::of(date)));
            assert_eq!(<Date as Day>::read(&date.to_string()), Some(date));
        }
        for text in ["", "*", "2026-1-01", "2026/01/01", "２０２６-01-01", "2026-01-011"] {
            assert_eq!(DayKey::read(text), None, "{text}");
        }
        assert_eq!(d("2026-03-01").days_before(1), Some(d("2026-02-28")));
    }

    #[test]
    fn toml_round_trip() {
        let date = d("2019-04-01");
        assert_eq!(Date::from_toml(&date.to_toml()).unwrap(), date);
    }
}
