//! Commit times as git takes them from `GIT_AUTHOR_DATE` and
//! `GIT_COMMITTER_DATE`, so that scripted and tested histories are the same
//! commit for commit: git's own raw form (`@1764000000 +0800`), RFC 2822
//! (`Thu, 26 Nov 2026 09:00:00 +0800`) and ISO 8601
//! (`2026-11-26T09:00:00+08:00`, `2026-11-26 09:00:00 +0800`). A time
//! without a zone is local time, as in git.

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, TimeZone};

use crate::{Error, Result};

/// A point in time with the zone it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub secs: i64,
    /// The zone's offset from UTC, in minutes.
    pub offset_minutes: i32,
}

impl Timestamp {
    /// `secs` in UTC.
    pub fn utc(secs: i64) -> Timestamp {
        Timestamp { secs, offset_minutes: 0 }
    }

    /// The calendar date in the timestamp's own zone (as git shows a
    /// commit's date).
    pub fn date(&self) -> super::date::Date {
        let offset = FixedOffset::east_opt(self.offset_minutes * 60).unwrap_or(FixedOffset::east_opt(0).expect("UTC"));
        let at = offset.timestamp_opt(self.secs, 0).single().unwrap_or_default();
        super::date::Date(at.date_naive())
    }

    /// Parses a date in one of the forms git accepts in its environment
    /// variables (see the module documentation); `what` names the source in
    /// the error.
    pub fn parse_git(what: &str, s: &str) -> Result<Timestamp> {
        let s = s.trim();
        raw(s)
            .or_else(|| DateTime::parse_from_rfc2822(s).ok().map(Timestamp::from))
            .or_else(|| DateTime::parse_from_rfc3339(s).ok().map(Timestamp::from))
            .or_else(|| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %z").ok().map(Timestamp::from))
            .or_else(|| local(s))
            .ok_or_else(|| {
                Error::invalid(
                    what,
                    s,
                    "use a date git reads, such as 2026-11-26T09:00:00+08:00, \"Thu, 26 Nov 2026 09:00:00 +0800\" or @1795654800 +0800",
                )
            })
    }
}

impl From<DateTime<FixedOffset>> for Timestamp {
    fn from(t: DateTime<FixedOffset>) -> Timestamp {
        Timestamp { secs: t.timestamp(), offset_minutes: t.offset().local_minus_utc() / 60 }
    }
}

/// Git's internal form: seconds since the epoch (optionally after `@`) and
/// a `+hhmm` zone.
fn raw(s: &str) -> Option<Timestamp> {
    let (secs, zone) = s.split_once(' ')?;
    let secs: i64 = secs.strip_prefix('@').unwrap_or(secs).parse().ok()?;
    let offset_minutes = zone_minutes(zone)?;
    Some(Timestamp { secs, offset_minutes })
}

/// `+0800` → 480.
fn zone_minutes(zone: &str) -> Option<i32> {
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = &zone[1..];
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    (minutes < 60).then_some(sign * (hours * 60 + minutes))
}

/// A date and time without a zone, read as local time.
fn local(s: &str) -> Option<Timestamp> {
    let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(s, format).ok())?;
    let t = Local.from_local_datetime(&naive).earliest()?;
    Some(Timestamp::from(t.fixed_offset()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_form_git_documents() {
        let expected = Timestamp { secs: 1_795_654_800, offset_minutes: 480 };
        for s in [
            "@1795654800 +0800",
            "1795654800 +0800",
            "Thu, 26 Nov 2026 09:00:00 +0800",
            "2026-11-26T09:00:00+08:00",
            "2026-11-26 09:00:00 +0800",
        ] {
            assert_eq!(Timestamp::parse_git("GIT_AUTHOR_DATE", s).unwrap(), expected, "{s}");
        }
        let west = Timestamp::parse_git("GIT_AUTHOR_DATE", "@0 -0130").unwrap();
        assert_eq!(west, Timestamp { secs: 0, offset_minutes: -90 });
    }

    #[test]
    fn refuses_what_git_would_refuse_with_the_variable_named() {
        for s in ["", "yesterday", "1795654800", "@1795654800 +08", "2026-13-01T00:00:00Z", "1 +0860"] {
            let err = Timestamp::parse_git("GIT_COMMITTER_DATE", s).unwrap_err().to_string();
            assert!(err.contains("GIT_COMMITTER_DATE"), "{s}: {err}");
        }
    }
}
