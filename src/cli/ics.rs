//! The agenda as an iCalendar feed (RFC 5545) that Outlook, Google and
//! Apple Calendar, Feishu and DingTalk import or subscribe to: one all-day
//! event per dated next step, built with the `icalendar` crate.
//!
//! What calendars need from a feed, and why it is written this way:
//! - a UID that stays the same for the same next step (`ID-DATE@crm`), so a
//!   re-import or a subscription's refresh updates an event instead of
//!   adding a second one; a next step moved to another day is another
//!   event (a subscription drops the old one);
//! - a DTSTAMP that is a fact of the store, not of the moment the feed was
//!   written (HEAD's commit time), so the same store gives the same bytes
//!   and a cron job can publish only when something changed;
//! - `DTSTART;VALUE=DATE` and a `DTEND` the next day (the crate's
//!   `all_day` writes DTEND = DTSTART, an event of no length that RFC 5545
//!   forbids), free time (`TRANSP:TRANSPARENT`), `METHOD:PUBLISH`;
//! - CRLF line ends and lines of at most 75 octets, folded between UTF-8
//!   characters and never next to a space (lenient readers trim the ends
//!   of folded lines). The crate folds between characters but leaves a
//!   continuation line of 76 octets when exactly 75 bytes remain, so its
//!   folds are undone and made again here.
//!
//! Stale relationships and handovers have no day of their own and are left
//! out: as VTODOs they would be dropped by most of these calendars (Google
//! Calendar and Outlook ignore tasks in a subscribed feed), and as events
//! on an invented day they would move every day.

use icalendar::{Calendar, Component, Event, EventLike, Property};

use crate::model::date::Date;
use crate::ops::agenda::{Agenda, Item};

/// The longest line RFC 5545 allows, in octets, without its CRLF.
const LINE_LIMIT: usize = 75;

/// The feed of `agenda`'s dated next steps (overdue and due), as text with
/// CRLF line ends.
pub fn agenda(agenda: &Agenda) -> String {
    let mut cal = Calendar::empty();
    let name = format!("crm: {} ({})", agenda.name, agenda.person);
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", concat!("-//crm//crm agenda ", env!("CARGO_PKG_VERSION"), "//EN")),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", &text(&name)),
        ("X-WR-CALDESC", &text(&format!("Next steps of {} from crm agenda --for {}", agenda.name, agenda.person))),
        // How often a subscribed calendar should look again (Outlook reads
        // the X- form, RFC 7986 clients the other).
        ("X-PUBLISHED-TTL", "PT1H"),
    ] {
        cal.append_property(Property::new(key, value));
    }
    cal.append_property(Property::new("REFRESH-INTERVAL", "PT1H").add_parameter("VALUE", "DURATION").done());
    let stamp = chrono::DateTime::from_timestamp(agenda.revised.secs, 0).unwrap_or_default();
    for item in &agenda.items {
        if let Some(event) = event(item, &agenda.person, stamp) {
            cal.push(event);
        }
    }
    fold(&cal.to_string())
}

/// The all-day event of `item`'s next step, when it is overdue or due.
fn event(item: &Item, owner: &str, stamp: chrono::DateTime<chrono::Utc>) -> Option<Event> {
    use crate::ops::agenda::Kind;
    let date = item.next_date.filter(|_| item.kinds().any(|k| matches!(k, Kind::Overdue | Kind::Due)))?;
    let step = item.next_step.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("Next step");
    let name = text(&item.name);
    let mut description = format!("Customer: {} ({name})\nOwner: {owner}\nNext step: {}", item.customer, text(step));
    description.push_str(&format!("\n\ncrm show {}", item.customer));
    Some(
        Event::new()
            .uid(&uid(&item.customer, date))
            .timestamp(stamp)
            .starts(date.0)
            .ends(date.plus_days(1).0)
            .summary(&format!("{} — {name}", text(step)))
            .description(&description)
            .add_property("TRANSP", "TRANSPARENT")
            .done(),
    )
}

/// The event id of a customer's next step on `date`: the same for the same
/// step in every feed and every run.
pub fn uid(customer: &str, date: Date) -> String {
    format!("{customer}-{date}@crm")
}

/// `s` as calendar text: line breaks as `\n` (which the crate escapes),
/// tabs as spaces, other control characters left out (RFC 5545 allows
/// none in TEXT).
fn text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// `ics` with every content line folded to at most [`LINE_LIMIT`] octets
/// (RFC 5545 §3.1), between UTF-8 characters, and where it can be, not
/// next to a space; folds already made are undone first.
fn fold(ics: &str) -> String {
    let unfolded = ics.replace("\r\n ", "");
    let mut out = String::with_capacity(unfolded.len() + unfolded.len() / 32);
    for line in unfolded.split_terminator("\r\n") {
        let mut rest = line;
        let mut limit = LINE_LIMIT;
        while rest.len() > limit {
            let at = break_at(rest, limit);
            out.push_str(&rest[..at]);
            out.push_str("\r\n ");
            rest = &rest[at..];
            // A continuation line starts with the space that marks it.
            limit = LINE_LIMIT - 1;
        }
        out.push_str(rest);
        out.push_str("\r\n");
    }
    out
}

/// Where to fold `line` to keep at most `limit` bytes before the break: the
/// last character boundary within it that has no whitespace on either side,
/// else the last character boundary.
fn break_at(line: &str, limit: usize) -> usize {
    let boundary = (1..=limit).rev().find(|&i| line.is_char_boundary(i)).unwrap_or(limit);
    let spaced = |i: usize| {
        let before = line[..i].chars().next_back().is_some_and(char::is_whitespace);
        let after = line[i..].chars().next().is_some_and(char::is_whitespace);
        before || after
    };
    (boundary.saturating_sub(16).max(1)..=boundary)
        .rev()
        .find(|&i| line.is_char_boundary(i) && !spaced(i))
        .unwrap_or(boundary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(ics: &str) -> Vec<&str> {
        ics.split_terminator("\r\n").collect()
    }

    #[test]
    fn folded_lines_keep_to_75_octets_and_whole_characters() {
        for n in 60..200 {
            for filler in ["a", "郑", "a b"] {
                let value: String = filler.repeat(n).chars().take(n).collect();
                let ics = fold(&format!("BEGIN:VEVENT\r\nSUMMARY:{value}\r\nEND:VEVENT\r\n"));
                assert!(ics.ends_with("\r\n") && !ics.replace("\r\n", "").contains(['\r', '\n']), "{ics:?}");
                for line in lines(&ics) {
                    assert!(line.len() <= LINE_LIMIT, "{} octets: {line:?}", line.len());
                }
                let unfolded = ics.replace("\r\n ", "");
                assert_eq!(lines(&unfolded)[1], format!("SUMMARY:{value}"));
            }
        }
    }

    #[test]
    fn folds_avoid_spaces_at_either_side() {
        let value = "Send a quote for the 2027 fleet renewal to the purchasing department and the CFO";
        let ics = fold(&format!("DESCRIPTION:{value}\r\n"));
        let physical = lines(&ics);
        assert!(physical.len() > 1, "{ics:?}");
        for line in &physical {
            assert!(!line.ends_with(' '), "{line:?}");
        }
        for line in &physical[1..] {
            assert!(line.starts_with(' ') && !line[1..].starts_with(' '), "{line:?}");
        }
    }

    #[test]
    fn the_crate_alone_would_write_a_76_octet_line() {
        // Why `fold` exists: keep this test while the crate needs it.
        let value = "x".repeat(150 - "SUMMARY:".len());
        let raw = Event::new().summary(&value).done().to_string();
        let longest = raw.split("\r\n").map(str::len).max().unwrap_or(0);
        assert_eq!(longest, 76, "{raw:?}");
        let fixed = fold(&raw).split("\r\n").map(str::len).max().unwrap_or(0);
        assert!(fixed <= LINE_LIMIT);
    }

    #[test]
    fn text_loses_control_characters_but_keeps_line_breaks() {
        assert_eq!(text("a\r\nb\rc\td\u{1b}[31me"), "a\nb\nc d[31me");
    }
}
