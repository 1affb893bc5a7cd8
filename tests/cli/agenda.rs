//! `crm agenda`: a person's overdue and due next steps, the handovers they
//! have not followed up and their stale relationships, in that order; and
//! the same next steps as an iCalendar feed, read back here with an
//! independent parser (the `ical` crate, not the `icalendar` crate crm
//! writes with).

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::common::*;

/// A long Chinese next step: its event's lines must be folded.
const LONG_STEP: &str = "与采购部王建国经理讨论二〇二七年二十辆电动客车的报价和交付时间表，并确认付款条件";

/// A next step that makes its event's SUMMARY line exactly 150 octets
/// (`SUMMARY:` + step + ` — Soon`): the `icalendar` crate alone would fold
/// it into 75 + 76 octets.
fn booking_step() -> String {
    format!("Book the demo ride at https://example.com/{}", "r".repeat(150 - 8 - 42 - 9))
}

/// zhang.wei's customers, one for each place on the agenda (today is
/// 2026-11-26), and a few that must not be on it.
fn store() -> TestRepo {
    let repo = TestRepo::standard();
    let add = |id: &str, name: &str, owner: &str, extra: &[&str]| {
        let mut args = vec!["--id", id];
        args.extend_from_slice(extra);
        repo.add_customer(name, owner, &args);
    };
    let next = |id: &str, step: &str, date: &str| {
        let (step, date) = (format!("next_step={step}"), format!("next_date={date}"));
        repo.crm(&["edit", id, "--set", &step, "--set", &date]).ok();
    };
    add("stale-overdue", "Stale Overdue", "zhang.wei", &["--since", "2025-01-01"]);
    next("stale-overdue", "Renew the service contract", "2026-11-01");
    add("older", "郑州宇通客运集团", "zhang.wei", &[]);
    next("older", "Call back; bring the quote, v2", "2026-11-06");
    add("old", "Old", "zhang.wei", &[]);
    next("old", "Visit the depot", "2026-11-16");
    add("today", "洛阳公交集团", "zhang.wei", &[]);
    next("today", LONG_STEP, "2026-11-26");
    add("sooner", "Sooner", "zhang.wei", &[]);
    next("sooner", "Send the brochure", "2026-11-27");
    add("soon", "Soon", "zhang.wei", &[]);
    next("soon", &booking_step(), "2026-11-29");
    add("later", "Later", "zhang.wei", &[]);
    next("later", "Fleet day", "2026-12-10");
    add("handed", "Handed Over", "wang.fang", &[]);
    repo.crm(&["reassign", "handed", "--to", "zhang.wei", "--reason", "territory change"]).ok();
    add("key-stale", "Key Stale", "zhang.wei", &["--since", "2026-06-01", "--tier", "key", "--backup", "li.na"]);
    add("plain-stale", "Plain Stale", "zhang.wei", &["--since", "2025-01-01"]);
    add("dormant", "Dormant", "zhang.wei", &["--since", "2025-01-01", "--status", "dormant"]);
    add("fresh", "Fresh", "zhang.wei", &[]);
    add("not-mine", "Not Mine", "li.na", &["--since", "2025-01-01"]);
    next("not-mine", "Someone else's", "2026-11-01");
    repo
}

/// `crm agenda ARGS --format json` as `user`.
fn agenda(repo: &TestRepo, user: &str, args: &[&str]) -> Value {
    let mut all = vec!["agenda", "--format", "json"];
    all.extend_from_slice(args);
    repo.crm_as(user, &all).ok().json()
}

/// The agenda's rows as (kind, customer).
fn rows(agenda: &Value) -> Vec<(String, String)> {
    let items = agenda["items"].as_array().unwrap_or_else(|| panic!("no items in {agenda}"));
    items.iter().map(|i| (i["kind"].as_str().unwrap().into(), i["customer"].as_str().unwrap().into())).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, c)| (k.to_string(), c.to_string())).collect()
}

#[test]
fn rows_come_overdue_then_handovers_then_due_then_stale_key_accounts_first() {
    let repo = store();
    let a = agenda(&repo, "zhang.wei", &[]);
    assert_eq!(
        rows(&a),
        pairs(&[
            ("overdue", "stale-overdue"),
            ("overdue", "older"),
            ("overdue", "old"),
            ("handover", "handed"),
            ("due", "today"),
            ("due", "sooner"),
            ("due", "soon"),
            ("stale", "key-stale"),
            ("stale", "plain-stale"),
        ]),
        "{a}"
    );
    assert_eq!(
        (&a["person"], &a["name"], &a["today"], &a["until"]),
        (&json!("zhang.wei"), &json!("张伟"), &json!(TODAY), &json!("2026-12-03"))
    );
    // A customer with several reasons is one row, the others in `also`.
    assert_eq!(a["items"][0]["also"], json!(["stale"]), "{a}");
    assert_eq!(a["items"][0]["days"], -25, "{a}");
    let handed = &a["items"][3];
    assert_eq!(
        (&handed["date"], &handed["handed_over"], &handed["from"], &handed["days"]),
        (&json!("2026-11-20"), &json!("2026-11-20"), &json!("wang.fang"), &json!(-6)),
        "{a}"
    );
    assert_eq!(a["items"][7]["date"], "2026-06-01", "a stale row's date is the last touch or the start: {a}");
}

#[test]
fn every_item_has_the_documented_fields() {
    let repo = store();
    let a = agenda(&repo, "zhang.wei", &[]);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<BTreeSet<_>>();
    let top: BTreeSet<String> = ["person", "name", "today", "until", "items", "unreadable"].map(String::from).into();
    assert_eq!(keys(&a), top);
    let item: BTreeSet<String> = [
        "kind",
        "also",
        "date",
        "days",
        "customer",
        "name",
        "tier",
        "value",
        "next_step",
        "next_date",
        "handed_over",
        "from",
        "last_touch",
        "since",
        "release",
    ]
    .map(String::from)
    .into();
    for i in a["items"].as_array().unwrap() {
        assert_eq!(keys(i), item, "{i}");
    }
}

#[test]
fn the_window_decides_which_next_steps_are_due() {
    let repo = store();
    let due = |args: &[&str]| -> Vec<String> {
        rows(&agenda(&repo, "zhang.wei", args)).into_iter().filter(|(k, _)| k == "due").map(|(_, c)| c).collect()
    };
    assert_eq!(due(&[]), ["today", "sooner", "soon"]);
    assert_eq!(due(&["--within", "2w"]), ["today", "sooner", "soon", "later"]);
    assert_eq!(due(&["--within", "0d"]), ["today"]);
    assert_eq!(due(&["--within", "2026-11-28"]), ["today", "sooner"]);
    assert_eq!(agenda(&repo, "zhang.wei", &["--within", "1m"])["until"], "2026-12-26");
    // Overdue steps are listed whatever the window.
    let overdue = rows(&agenda(&repo, "zhang.wei", &["--within", "0d"])).into_iter().filter(|(k, _)| k == "overdue");
    assert_eq!(overdue.count(), 3);
    let before = repo.state();
    repo.assert_refused(&repo.crm_as("zhang.wei", &["agenda", "--within", "soon"]), 2, &["soon", "7d"], &before);
}

#[test]
fn a_handover_leaves_the_agenda_once_the_new_owner_touches_the_customer() {
    let repo = store();
    let kinds = |id: &str| -> Vec<String> {
        rows(&agenda(&repo, "zhang.wei", &[])).into_iter().filter(|(_, c)| c == id).map(|(k, _)| k).collect()
    };
    assert_eq!(kinds("handed"), ["handover"]);
    // Someone else's touch does not count.
    repo.crm_as("li.na", &["touch", "handed", "--kind", "call", "--summary", "manager checked in"]).ok();
    assert_eq!(kinds("handed"), ["handover"]);
    repo.crm_as("zhang.wei", &["touch", "handed", "--kind", "visit", "--summary", "introduced myself"]).ok();
    assert!(kinds("handed").is_empty());
    // A touch also ends staleness, and an overdue step stays until it moves.
    repo.crm_as("zhang.wei", &["touch", "stale-overdue", "--kind", "call", "--summary", "hello"]).ok();
    let a = agenda(&repo, "zhang.wei", &[]);
    assert_eq!(a["items"][0]["customer"], "stale-overdue", "{a}");
    assert_eq!(a["items"][0]["also"], json!([]), "{a}");
}

#[test]
fn handovers_are_found_without_the_history_index_and_none_is_built() {
    let repo = store();
    repo.crm(&["report", "handover"]).ok();
    assert!(repo.path(".git/crm/history").exists(), "the index exists after a report");
    let with_index = agenda(&repo, "zhang.wei", &[]);
    std::fs::remove_dir_all(repo.path(".git/crm")).unwrap();
    let without = agenda(&repo, "zhang.wei", &[]);
    assert_eq!(without, with_index);
    assert_eq!(rows(&without)[3], ("handover".to_string(), "handed".to_string()), "{without}");
    assert!(!repo.path(".git/crm/history").exists(), "a walk of the window only, no index");
}

#[test]
fn handovers_and_stale_accounts_are_the_reports_own() {
    let repo = store();
    repo.add_customer("Wang One", "wang.fang", &["--id", "w1"]);
    repo.crm(&["staff", "leave", "wang.fang", "--to", "li.na"]).ok();
    let report = repo.crm(&["report", "handover", "--format", "json"]).ok().json();
    for person in ["zhang.wei", "li.na"] {
        let a = agenda(&repo, "liu.yang", &["--for", person]);
        let of_kind = |kind: &str| -> BTreeSet<String> {
            let items = a["items"].as_array().unwrap().iter();
            let with = items.filter(|i| i["kind"] == kind || i["also"].as_array().unwrap().iter().any(|k| k == kind));
            with.map(|i| i["customer"].as_str().unwrap().to_string()).collect()
        };
        let unacknowledged: BTreeSet<String> = report["unacknowledged"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["owner"] == person)
            .map(|u| u["customer"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(of_kind("handover"), unacknowledged, "{person}: {a}");
        let stale: BTreeSet<String> = report["stale"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["owner"] == person)
            .flat_map(|s| s["customers"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(of_kind("stale"), stale, "{person}: {a}");
        assert!(!of_kind("handover").is_empty() && !of_kind("stale").is_empty(), "{person}: {a}");
    }
}

#[test]
fn for_names_whose_agenda_and_me_is_the_acting_person() {
    let repo = store();
    let mine = agenda(&repo, "zhang.wei", &[]);
    assert_eq!(agenda(&repo, "zhang.wei", &["--for", "me"]), mine);
    // Anyone may read a colleague's agenda: the store is readable.
    assert_eq!(agenda(&repo, "wang.fang", &["--for", "zhang.wei"]), mine);
    let theirs = agenda(&repo, "zhang.wei", &["--for", "li.na"]);
    assert_eq!(rows(&theirs), pairs(&[("overdue", "not-mine")]), "{theirs}");
    // The admin (git's user.email) owns nothing.
    let out = repo.crm(&["agenda"]).ok();
    assert_eq!(out.stdout, "", "{out}");
    assert!(out.stderr.contains("Nothing on the agenda of liu.yang (刘洋)"), "{out}");
}

#[test]
fn an_unknown_person_is_refused_and_nothing_changes() {
    let repo = store();
    let before = repo.state();
    repo.assert_refused(&repo.crm(&["agenda", "--for", "ghost"]), 2, &["ghost", "crm staff list"], &before);
    repo.assert_refused(&repo.crm(&["agenda", "--for", "Not A Handle"]), 2, &["Not A Handle"], &before);
    // Nobody to be: exit 3, and the hint names --for.
    repo.git(&["config", "user.email", "stranger@example.com"]);
    let before = repo.state();
    repo.assert_refused(&repo.crm(&["agenda"]), 3, &["stranger@example.com", "--for HANDLE"], &before);
    repo.crm(&["agenda", "--for", "zhang.wei"]).ok();
}

#[test]
fn table_csv_and_markdown_show_the_same_rows() {
    let repo = store();
    let table = repo.crm_as("zhang.wei", &["agenda"]).ok();
    assert!(
        table.stderr.contains(
            "张伟 (zhang.wei) on 2026-11-26: 3 overdue, 1 handover(s) to follow up, 3 due by 2026-12-03, 3 stale"
        ),
        "{table}"
    );
    for needle in ["kind", "next step", "郑州宇通客运集团", "20 days overdue", "due tomorrow", "due in 3 days"]
    {
        assert!(table.stdout.contains(needle), "{needle}\n{table}");
    }
    assert!(table.stdout.contains("handed over from wang.fang 6 days ago, not touched since"), "{table}");
    assert!(table.stdout.contains("key account, never touched in 178 days"), "{table}");
    assert!(table.stdout.contains("25 days overdue; never touched in 694 days"), "{table}");

    let csv = repo.crm_as("zhang.wei", &["agenda", "--format", "csv"]).ok();
    let mut reader = csv::Reader::from_reader(csv.stdout.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(headers, ["kind", "date", "customer", "name", "next step", "why"]);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 9, "{csv}");
    assert_eq!(
        records[1].iter().collect::<Vec<_>>(),
        ["overdue", "2026-11-06", "older", "郑州宇通客运集团", "Call back; bring the quote, v2", "20 days overdue"]
    );
    assert!(csv.stderr.is_empty(), "{csv}");

    let md = repo.crm_as("zhang.wei", &["agenda", "--format", "md"]).ok().stdout;
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "| kind | date | customer | name | next step | why |");
    assert_eq!(lines.len(), 2 + 9, "{md}");
    assert!(lines[4].starts_with("| overdue | 2026-11-16 | old | Old | Visit the depot |"), "{md}");
}

#[test]
fn an_empty_agenda_is_not_an_error_in_any_format() {
    let repo = store();
    repo.crm(&["staff", "add", "new.rep", "--name", "新人", "--email", "new.rep@example.com", "--role", "rep"]).ok();
    let table = repo.crm(&["agenda", "--for", "new.rep"]).ok();
    assert_eq!(table.stdout, "");
    assert!(table.stderr.starts_with("Nothing on the agenda of new.rep (新人)"), "{table}");
    assert_eq!(repo.crm(&["-q", "agenda", "--for", "new.rep"]).ok().stderr, "");
    assert_eq!(repo.crm(&["agenda", "--for", "new.rep", "--format", "json"]).ok().json()["items"], json!([]));
    assert_eq!(
        repo.crm(&["agenda", "--for", "new.rep", "--format", "csv"]).ok().stdout,
        "kind,date,customer,name,next step,why\n"
    );
    let ics = repo.crm(&["agenda", "--for", "new.rep", "--ics"]).ok().stdout;
    let cal = parse_ics(&ics);
    assert!(cal.events.is_empty());
    assert_eq!(property(&cal.properties, "X-WR-CALNAME"), "crm: 新人 (new.rep)");
}

#[test]
fn a_file_that_cannot_be_read_is_named_and_the_rest_is_shown() {
    let repo = store();
    repo.write_customer("broken", "name = \"Broken\"\nowner = \"zhang.wei\"\nnext_date = 2026-02-30\n");
    repo.commit_all("a hand edit gone wrong");
    let path = customer_path("broken");
    let out = repo.crm_left_out(&["agenda", "--for", "zhang.wei", "--format", "json"], &[&format!("{path}:3:13: ")]);
    assert_eq!(out.json()["items"].as_array().unwrap().len(), 9, "{out}");
    let left_out =
        json!([{"path": path, "line": 3, "column": 13, "reason": "invalid date, expected day between 01 and 28"}]);
    assert_eq!(out.json()["unreadable"], left_out, "{out}");
}

// --- the iCalendar feed --------------------------------------------------------

/// `ics` read by the `ical` crate: exactly one calendar.
fn parse_ics(ics: &str) -> ical::parser::ical::component::IcalCalendar {
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()));
    let cal = calendars.next().unwrap_or_else(|| panic!("no calendar in\n{ics}")).expect("a valid calendar");
    assert!(calendars.next().is_none(), "one calendar only\n{ics}");
    cal
}

/// The value of property `name` (which must be there once).
#[track_caller]
fn property(props: &[ical::property::Property], name: &str) -> String {
    let found: Vec<_> = props.iter().filter(|p| p.name == name).collect();
    assert_eq!(found.len(), 1, "{name} in {props:?}");
    found[0].value.clone().unwrap_or_default()
}

/// The parameters of property `name`.
fn params(props: &[ical::property::Property], name: &str) -> Vec<(String, Vec<String>)> {
    props.iter().find(|p| p.name == name).and_then(|p| p.params.clone()).unwrap_or_default()
}

/// RFC 5545 TEXT unescaped (the `ical` crate leaves values as written).
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

#[test]
fn the_feed_is_one_all_day_event_per_overdue_or_due_next_step() {
    let repo = store();
    let ics = repo.crm_as("zhang.wei", &["agenda", "--ics"]).ok().stdout;
    let cal = parse_ics(&ics);
    assert_eq!(property(&cal.properties, "VERSION"), "2.0");
    assert!(property(&cal.properties, "PRODID").starts_with("-//crm//"), "{ics}");
    assert_eq!(property(&cal.properties, "X-WR-CALNAME"), "crm: 张伟 (zhang.wei)");
    assert_eq!(property(&cal.properties, "METHOD"), "PUBLISH");

    let events: Vec<(String, String, String)> = cal
        .events
        .iter()
        .map(|e| (property(&e.properties, "UID"), property(&e.properties, "DTSTART"), property(&e.properties, "DTEND")))
        .collect();
    let expected = [
        ("stale-overdue", "20261101", "20261102"),
        ("older", "20261106", "20261107"),
        ("old", "20261116", "20261117"),
        ("today", "20261126", "20261127"),
        ("sooner", "20261127", "20261128"),
        ("soon", "20261129", "20261130"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(id, start, end)| {
            let date = format!("{}-{}-{}", &start[..4], &start[4..6], &start[6..]);
            (format!("{id}-{date}@crm"), start.to_string(), end.to_string())
        })
        .collect();
    assert_eq!(events, expected, "handovers without a next step and stale accounts have no day: left out\n{ics}");
    for e in &cal.events {
        assert_eq!(params(&e.properties, "DTSTART"), [("VALUE".to_string(), vec!["DATE".to_string()])], "{ics}");
        assert_eq!(params(&e.properties, "DTEND"), [("VALUE".to_string(), vec!["DATE".to_string()])], "{ics}");
        // HEAD's commit time (GIT_COMMITTER_DATE) in UTC, not the clock.
        assert_eq!(property(&e.properties, "DTSTAMP"), "20261120T020000Z", "{ics}");
        assert_eq!(property(&e.properties, "TRANSP"), "TRANSPARENT", "{ics}");
    }

    // Summaries and descriptions survive folding and escaping whole.
    let summary = |i: usize| unescape(&property(&cal.events[i].properties, "SUMMARY"));
    assert_eq!(summary(3), format!("{LONG_STEP} — 洛阳公交集团"));
    assert_eq!(summary(1), "Call back; bring the quote, v2 — 郑州宇通客运集团");
    assert_eq!(summary(5), format!("{} — Soon", booking_step()));
    let description = unescape(&property(&cal.events[3].properties, "DESCRIPTION"));
    assert!(description.starts_with("Customer: today (洛阳公交集团)\nOwner: zhang.wei\n"), "{description:?}");
    assert!(description.contains(LONG_STEP), "{description:?}");

    // The window is --within's; a later run of the same store is the same feed.
    let wider = parse_ics(&repo.crm_as("zhang.wei", &["agenda", "--ics", "--within", "2w"]).ok().stdout);
    assert_eq!(wider.events.len(), 7);
    assert_eq!(repo.crm_as("zhang.wei", &["agenda", "--ics"]).ok().stdout, ics);
}

#[test]
fn the_feed_has_crlf_line_ends_and_lines_of_at_most_75_octets() {
    let repo = store();
    let out = repo.crm_as("zhang.wei", &["agenda", "--ics", "--within", "2w"]).ok();
    let bytes = out.stdout.as_bytes();
    assert!(bytes.ends_with(b"END:VCALENDAR\r\n"), "{out}");
    assert!(!out.stdout.replace("\r\n", "").contains(['\r', '\n']), "a bare CR or LF\n{out}");
    let mut folded = 0;
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let line = line.strip_suffix(b"\r").expect("CRLF");
        assert!(line.len() <= 75, "{} octets: {:?}", line.len(), String::from_utf8_lossy(line));
        // Folding never splits a character: each line is UTF-8 on its own.
        let text = std::str::from_utf8(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        if let Some(rest) = text.strip_prefix(' ') {
            folded += 1;
            assert!(!rest.starts_with(' '), "{text:?}");
        }
    }
    assert!(folded >= 3, "the long Chinese next step must be folded\n{out}");
}

#[test]
fn ics_and_format_do_not_go_together() {
    let repo = store();
    let out = repo.crm_as("zhang.wei", &["agenda", "--ics", "--format", "json"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("--format"), "{out}");
}

#[test]
fn the_cron_example_publishes_a_feed_per_active_person_and_rewrites_only_changes() {
    use std::os::unix::fs::MetadataExt;
    let repo = store();
    let out = repo.root().join("feeds");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cron/agenda-feeds.sh");
    let run = || {
        let mut cmd = std::process::Command::new("bash");
        cmd.env_clear();
        for (k, v) in repo.env_vars() {
            cmd.env(k, v);
        }
        cmd.env("CRM", env!("CARGO_BIN_EXE_crm")).arg(&script).arg(&repo.dir).arg(&out);
        let result = Output::of(cmd.output().expect("run bash"));
        assert_eq!(result.code, 0, "{result}");
        result
    };
    run();
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["li.na.ics", "liu.yang.ics", "wang.fang.ics", "zhang.wei.ics"]);
    let feed = |handle: &str| std::fs::read_to_string(out.join(format!("{handle}.ics"))).unwrap();
    // A month ahead by default: `later` (2026-12-10) is in.
    assert_eq!(parse_ics(&feed("zhang.wei")).events.len(), 7);
    assert!(parse_ics(&feed("liu.yang")).events.is_empty());
    let inode = |handle: &str| std::fs::metadata(out.join(format!("{handle}.ics"))).unwrap().ino();
    let before = (inode("zhang.wei"), inode("li.na"));
    run();
    assert_eq!((inode("zhang.wei"), inode("li.na")), before, "unchanged feeds are left alone");
    let args = [
        "touch",
        "soon",
        "--kind",
        "call",
        "--summary",
        "moved",
        "--next-step",
        "Demo ride",
        "--next-date",
        "2026-12-01",
    ];
    repo.crm_as("zhang.wei", &args).ok();
    run();
    assert_ne!(inode("zhang.wei"), before.0, "a changed feed is replaced");
    assert_eq!(inode("li.na"), before.1);
    assert!(feed("zhang.wei").contains("UID:soon-2026-12-01@crm\r\n"));
}
