//! `crm report handover` section by section (each non-empty and empty, JSON
//! fields one by one), the period, `--fail-on`, the Markdown and HTML
//! renderings; and `crm report portfolio`.
//!
//! Commits made by `crm` carry the current time, so tests that need them in
//! the report's period set "today" to HEAD's commit date; history with
//! controlled dates is made with plain git.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command as StdCommand;

use serde_json::{json, Value};

use crate::common::{customer_path, Output, TestRepo, TODAY};

/// Every section of the JSON report.
const SECTIONS: &[&str] = &[
    "pending",
    "changes",
    "unacknowledged",
    "no_backup",
    "stale",
    "coverage",
    "concentration",
    "exposure",
    "sabotage",
    "self_assigned",
    "touches_for_others",
];

/// Every `--fail-on` name.
const FAIL_ON: &[&str] = &[
    "pending",
    "overdue",
    "unacknowledged",
    "no-backup",
    "stale",
    "concentration",
    "exposure",
    "sabotage",
    "self-assigned",
];

/// `crm report handover ARGS --format json` on `today`.
#[track_caller]
fn report(repo: &TestRepo, today: &str, args: &[&str]) -> Value {
    let mut all = vec!["report", "handover", "--format", "json"];
    all.extend_from_slice(args);
    repo.crm_today(today, None, &all).ok().json()
}

/// The exit code of `crm report handover --fail-on LIST` on `today`.
#[track_caller]
fn fail_on(repo: &TestRepo, today: &str, list: &str) -> i32 {
    let out = repo.crm_findings(today, &["report", "handover", "--format", "json", "--fail-on", list]);
    assert!(out.code == 0 || out.code == 1, "--fail-on {list}\n{out}");
    if out.code == 1 {
        assert!(out.stderr.contains(list.split(',').next().unwrap()), "names the section\n{out}");
    }
    out.code
}

/// `date` plus `days`, as `YYYY-MM-DD`.
fn plus_days(date: &str, days: i64) -> String {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    (d + chrono::Duration::days(days)).format("%Y-%m-%d").to_string()
}

/// A hand-written customer file.
fn customer_toml(name: &str, owner: &str, extra: &str) -> String {
    format!(
        "name = \"{name}\"\nowner = \"{owner}\"\ntier = \"standard\"\nstatus = \"active\"\nsince = {TODAY}\n{extra}"
    )
}

/// `n` `[[contacts]]` tables named `PREFIX 0`, `PREFIX 1`, …, with a phone ending in `suffix` and an email.
fn contacts(prefix: &str, n: usize, suffix: &str) -> String {
    (0..n)
        .map(|i| {
            format!("\n[[contacts]]\nname = \"{prefix} {i}\"\nphone = \"+86 10 5555 {i:02}{suffix}\"\nemail = \"{prefix}{i}@example.cn\"\n")
        })
        .collect()
}

/// Adds everything and commits with plain git at `date`.
fn git_commit_at(repo: &TestRepo, date: &str, message: &str) {
    repo.git(&["add", "-A"]);
    repo.git_at(date, &["commit", "-q", "-m", message]);
}

/// The strings of a JSON array, sorted.
fn set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn strs(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn array(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

/// A store where every section has something: a departed rep whose
/// customers are overdue, a fresh handover nobody followed up, a key account
/// without backup, a stale and a too-big portfolio, an exposed region and a
/// deleted customer. Returns the store and its "today" (HEAD's date).
fn busy() -> (TestRepo, String) {
    let repo = TestRepo::standard();
    repo.crm(&["staff", "add", "zhao.lei", "--name", "赵磊", "--email", "zhao@example.com", "--role", "rep"]).ok();
    repo.write_customer("old-friend", &customer_toml("Old Friend", "zhao.lei", "value = 100\n"));
    repo.write_customer(
        "lonely-key",
        &customer_toml("Lonely Key", "wang.fang", "tier = \"key\"\n").replace("tier = \"standard\"\n", ""),
    );
    repo.write_customer(
        "ancient",
        &customer_toml("Ancient", "wang.fang", "").replace(&format!("since = {TODAY}"), "since = 2020-01-01"),
    );
    repo.write_customer("to-delete", &customer_toml("To Delete", "li.na", ""));
    repo.commit_all("import");
    repo.add_customer("Big", "zhang.wei", &["--id", "big", "--value", "9000000", "--region", "华中"]);
    repo.crm(&["staff", "leave", "zhao.lei", "--on", "2026-01-01"]).ok();
    repo.crm(&["reassign", "big", "--to", "li.na", "--reason", "rebalancing"]).ok();
    let today = repo.head_commit_date();
    repo.git(&["rm", "-q", &customer_path("to-delete")]);
    repo.git_at(&format!("{today}T00:00:00+00:00"), &["commit", "-q", "-m", "remove to-delete"]);
    (repo, today)
}

// --- the whole report -----------------------------------------------------

#[test]
fn every_section_is_empty_on_a_new_store_and_nothing_fails() {
    let repo = TestRepo::init();
    let r = report(&repo, TODAY, &[]);
    assert_eq!(r["company"], "Example Coach Co.");
    assert_eq!(r["currency"], "CNY");
    assert_eq!(r["today"], TODAY);
    assert_eq!(r["since"], "2026-11-19", "default period: 7 days back");
    assert_eq!(r["until"], TODAY);
    for section in SECTIONS {
        assert_eq!(r[section], json!([]), "{section}: {r}");
    }
    for name in FAIL_ON {
        assert_eq!(fail_on(&repo, TODAY, name), 0, "{name}");
    }
    assert_eq!(fail_on(&repo, TODAY, &FAIL_ON.join(",")), 0);
}

#[test]
fn every_fail_on_section_fails_when_it_has_entries() {
    let (repo, today) = busy();
    let r = report(&repo, &today, &[]);
    // busy has no manager self-assignment and no touch in another's name
    // (both have tests of their own).
    for section in SECTIONS.iter().filter(|s| !["self_assigned", "touches_for_others"].contains(s)) {
        assert!(!array(&r[section]).is_empty(), "{section} should have entries: {r}");
    }
    let before = repo.state();
    for name in FAIL_ON.iter().filter(|n| **n != "self-assigned") {
        assert_eq!(fail_on(&repo, &today, name), 1, "{name}");
    }
    assert_eq!(fail_on(&repo, &today, "pending,stale"), 1);
    assert_eq!(repo.state(), before, "reports write nothing");
}

#[test]
fn an_unknown_fail_on_section_is_bad_usage() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let out = repo.crm(&["report", "handover", "--fail-on", "bogus"]);
    repo.assert_refused(&out, 2, &["bogus"], &before);
    let out = repo.crm(&["report", "handover", "--fail-on", "pending,bogus"]);
    repo.assert_refused(&out, 2, &["bogus"], &before);
    assert_eq!(out.stdout, "", "no report before the refusal");
}

#[test]
fn a_bad_period_is_bad_usage() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let out = repo.crm(&["report", "handover", "--since", "yesterday"]);
    repo.assert_refused(&out, 2, &["yesterday"], &before);
    let out = repo.crm(&["report", "handover", "--until", "2026-02-30"]);
    repo.assert_refused(&out, 2, &["2026-02-30"], &before);
    // A period that ends before it starts.
    let out = repo.crm(&["report", "handover", "--since", "2026-12-01", "--until", "2026-11-01"]);
    repo.assert_refused(&out, 2, &["2026-12-01"], &before);
}

// --- 1. pending -------------------------------------------------------------

#[test]
fn pending_lists_departed_owners_with_their_deadline() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme", "--value", "700"]);
    repo.add_customer("Beta", "zhang.wei", &["--id", "beta", "--value", "300"]);
    // A departed person who owns nothing is not pending.
    repo.crm(&["staff", "leave", "wang.fang", "--on", "2026-11-01"]).ok();
    assert_eq!(report(&repo, TODAY, &[])["pending"], json!([]));
    assert_eq!(fail_on(&repo, TODAY, "pending"), 0);

    repo.crm(&["staff", "leave", "zhang.wei", "--on", "2026-11-25"]).ok();
    let r = report(&repo, TODAY, &[]);
    let pending = array(&r["pending"]);
    assert_eq!(pending.len(), 1, "{r}");
    let p = &pending[0];
    assert_eq!(p["person"], "zhang.wei");
    assert_eq!(p["name"], "张伟");
    assert_eq!(p["left"], "2026-11-25");
    assert_eq!(p["deadline"], "2026-12-09");
    assert_eq!(p["days_left"], 13);
    assert_eq!(p["overdue"], false);
    assert_eq!(set(&p["customers"]), strs(&["acme", "beta"]));
    assert_eq!(p["value"], 1000);
    assert_eq!(fail_on(&repo, TODAY, "pending"), 1);
    assert_eq!(fail_on(&repo, TODAY, "overdue"), 0);
    assert_eq!(fail_on(&repo, "2026-12-10", "overdue"), 1);
}

#[test]
fn a_departure_without_a_left_date_is_overdue_everywhere() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    // Marked departed by hand, without `left`.
    let staff = repo.read("staff/zhang.wei.toml").replace("status = \"active\"", "status = \"departed\"");
    assert!(staff.contains("departed"), "{staff}");
    repo.write("staff/zhang.wei.toml", staff);
    repo.commit_all("zhang.wei left");
    let r = report(&repo, TODAY, &[]);
    let p = &r["pending"][0];
    assert_eq!(p["person"], "zhang.wei");
    assert_eq!(p["left"], Value::Null);
    assert_eq!(p["deadline"], Value::Null);
    assert_eq!(p["overdue"], true);
    assert_eq!(fail_on(&repo, TODAY, "overdue"), 1);
    let md = repo.crm(&["report", "handover", "--format", "md"]).ok().stdout;
    let row = md.lines().find(|l| l.starts_with("| zhang.wei |")).unwrap_or_else(|| panic!("no row\n{md}"));
    assert!(row.contains("OVERDUE"), "the Markdown must agree with overdue = true: {row}");
}

// --- 2. changes and the period ---------------------------------------------

#[test]
fn changes_list_adds_reassignments_handovers_and_removals() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    let add = repo.head();
    repo.add_customer("郑州宇通客运集团", "zhang.wei", &["--id", "yutong", "--tier", "key", "--backup", "li.na"]);
    repo.crm(&["reassign", "acme", "--to", "wang.fang", "--reason", "territory change"]).ok();
    let reassign = repo.head();
    repo.crm(&["staff", "leave", "zhang.wei", "--to", "li.na", "--reason", "joined a competitor"]).ok();
    let leave = repo.head();
    let today = repo.head_commit_date();

    let r = report(&repo, &today, &[]);
    let changes = array(&r["changes"]);
    assert_eq!(changes.len(), 4, "{r}");
    // Newest first.
    let c = &changes[0];
    assert_eq!(c["commit"], leave.as_str());
    assert_eq!(c["date"], today.as_str());
    assert!(c["time"].as_str().unwrap().starts_with(&today), "{c}");
    assert_eq!(c["action"], "reassign");
    assert_eq!(c["customer"], "yutong");
    assert_eq!(c["from"], "zhang.wei");
    assert_eq!(c["to"], "li.na");
    assert_eq!(c["actor"], "liu.yang");
    assert_eq!(c["signature"], "none");
    assert_eq!(c["reason"], "joined a competitor");

    let c = &changes[1];
    assert_eq!(c["commit"], reassign.as_str());
    assert_eq!(c["action"], "reassign");
    assert_eq!(c["customer"], "acme");
    assert_eq!(c["from"], "zhang.wei");
    assert_eq!(c["to"], "wang.fang");
    assert_eq!(c["actor"], "liu.yang");
    assert_eq!(c["reason"], "territory change");

    let c = &changes[3];
    assert_eq!(c["commit"], add.as_str());
    assert_eq!(c["action"], "add");
    assert_eq!(c["customer"], "acme");
    assert_eq!(c["from"], Value::Null);
    assert_eq!(c["to"], "zhang.wei");

    // A removal with plain git, attributed by the committer's email.
    repo.git(&["rm", "-q", &customer_path("acme")]);
    repo.git_at(&format!("{today}T23:59:00+00:00"), &["commit", "-q", "-m", "drop acme"]);
    let r = report(&repo, &today, &[]);
    let c = &r["changes"][0];
    assert_eq!(c["commit"], repo.head().as_str());
    assert_eq!(c["action"], "remove");
    assert_eq!(c["customer"], "acme");
    assert_eq!(c["from"], "wang.fang");
    assert_eq!(c["to"], Value::Null);
    assert_eq!(c["actor"], "liu.yang");
    assert_eq!(c["signature"], "none");
    assert_eq!(c["reason"], "drop acme", "the subject of a commit made without crm");

    // Nothing happened in 2020.
    assert_eq!(report(&repo, &today, &["--since", "2020-01-01", "--until", "2020-12-31"])["changes"], json!([]));
}

/// zhang.wei's c1, c2, c3 (added 2026-10-01), moved with plain git on
/// 2026-10-25 (c1), 2026-11-05 (c2) and 2026-11-15 (c3).
fn dated_history() -> TestRepo {
    let repo = TestRepo::standard();
    for id in ["c1", "c2", "c3"] {
        repo.write_customer(id, &customer_toml(&id.to_uppercase(), "zhang.wei", ""));
    }
    git_commit_at(&repo, "2026-10-01T09:00:00+00:00", "import c1 c2 c3");
    for (id, to, date) in
        [("c1", "li.na", "2026-10-25"), ("c2", "li.na", "2026-11-05"), ("c3", "wang.fang", "2026-11-15")]
    {
        let rel = customer_path(id);
        repo.write(&rel, repo.read(&rel).replace("owner = \"zhang.wei\"", &format!("owner = \"{to}\"")));
        git_commit_at(&repo, &format!("{date}T09:00:00+00:00"), &format!("move {id} to {to}"));
    }
    repo
}

/// `(customer, action, date)` of the report's changes.
fn change_list(r: &Value) -> Vec<(String, String, String)> {
    array(&r["changes"])
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (s("customer"), s("action"), s("date"))
        })
        .collect()
}

#[test]
fn the_period_bounds_the_changes() {
    let repo = dated_history();
    let r = report(&repo, TODAY, &["--since", "2026-11-01", "--until", "2026-11-10"]);
    assert_eq!(r["since"], "2026-11-01");
    assert_eq!(r["until"], "2026-11-10");
    assert_eq!(change_list(&r), [("c2".into(), "reassign".into(), "2026-11-05".into())]);
    let c = &r["changes"][0];
    assert_eq!(c["from"], "zhang.wei");
    assert_eq!(c["to"], "li.na");
    assert_eq!(c["actor"], "liu.yang");
    assert_eq!(c["reason"], "move c2 to li.na");

    let r = report(&repo, TODAY, &["--since", "2026-10-01", "--until", "2026-11-30"]);
    let got: Vec<(String, String)> = change_list(&r).into_iter().map(|(c, a, _)| (c, a)).collect();
    let want: Vec<(String, String)> = [
        ("c3", "reassign"),
        ("c2", "reassign"),
        ("c1", "reassign"),
        // The import adds all three (same commit; any order).
    ]
    .iter()
    .map(|(c, a)| (c.to_string(), a.to_string()))
    .collect();
    assert_eq!(got[..3], want[..], "newest first");
    assert_eq!(
        got[3..].iter().map(|(c, a)| format!("{c} {a}")).collect::<BTreeSet<_>>(),
        strs(&["c1 add", "c2 add", "c3 add"])
    );

    // Relative periods count back from CRM_TODAY; the end day is included.
    let r = report(&repo, "2026-11-16", &["--since", "7d"]);
    assert_eq!(r["since"], "2026-11-09");
    assert_eq!(change_list(&r), [("c3".into(), "reassign".into(), "2026-11-15".into())]);
    let r = report(&repo, "2026-11-16", &["--since", "2w", "--until", "2026-11-15"]);
    assert_eq!(r["since"], "2026-11-02");
    let ids: Vec<String> = change_list(&r).into_iter().map(|(c, _, _)| c).collect();
    assert_eq!(ids, ["c3", "c2"]);
    let r = report(&repo, TODAY, &["--since", "2026-10-26", "--until", "2026-11-04"]);
    assert_eq!(r["changes"], json!([]));
}

// --- 3. unacknowledged --------------------------------------------------------

#[test]
fn a_handover_is_unacknowledged_until_the_new_owner_touches_the_customer() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    let today = repo.head_commit_date();
    assert_eq!(report(&repo, &today, &[])["unacknowledged"], json!([]), "an add is not a handover");
    repo.crm(&["reassign", "acme", "--to", "wang.fang", "--reason", "territory change"]).ok();
    let today = repo.head_commit_date();

    let r = report(&repo, &today, &[]);
    assert_eq!(
        r["unacknowledged"],
        json!([{
            "customer": "acme",
            "name": "Acme",
            "owner": "wang.fang",
            "from": "zhang.wei",
            "reassigned": today,
            "days": 0,
        }])
    );
    assert_eq!(report(&repo, &plus_days(&today, 3), &[])["unacknowledged"][0]["days"], 3);
    assert_eq!(fail_on(&repo, &today, "unacknowledged"), 1);

    // Touches by someone else, or dated before the handover, do not count.
    repo.crm_today(&today, Some("li.na"), &["touch", "acme", "--kind", "call", "--summary", "manager checked in"]).ok();
    let old = plus_days(&today, -30);
    let args = ["touch", "acme", "--kind", "call", "--summary", "backdated", "--date", &old];
    repo.crm_today(&today, Some("wang.fang"), &args).ok();
    assert_eq!(array(&report(&repo, &today, &[])["unacknowledged"]).len(), 1);

    repo.crm_today(&today, Some("wang.fang"), &["touch", "acme", "--kind", "visit", "--summary", "introduced myself"])
        .ok();
    assert_eq!(report(&repo, &today, &[])["unacknowledged"], json!([]));
    assert_eq!(fail_on(&repo, &today, "unacknowledged"), 0);
}

#[test]
fn handovers_by_departure_are_unacknowledged_too() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    repo.add_customer("Beta", "zhang.wei", &["--id", "beta"]);
    repo.crm(&["staff", "leave", "zhang.wei", "--to", "li.na"]).ok();
    let today = repo.head_commit_date();
    let r = report(&repo, &today, &[]);
    let list: BTreeSet<(String, String, String)> = array(&r["unacknowledged"])
        .iter()
        .map(|u| {
            (
                u["customer"].as_str().unwrap().into(),
                u["owner"].as_str().unwrap().into(),
                u["from"].as_str().unwrap().into(),
            )
        })
        .collect();
    let li = |c: &str| (c.to_string(), "li.na".to_string(), "zhang.wei".to_string());
    assert_eq!(list, BTreeSet::from([li("acme"), li("beta")]));
    // Older than the handover window (14 days): no longer reported.
    assert_eq!(report(&repo, &plus_days(&today, 15), &[])["unacknowledged"], json!([]));
}

// --- 4. no_backup -------------------------------------------------------------

#[test]
fn key_accounts_without_a_valid_backup_name_the_problem() {
    let repo = TestRepo::standard();
    let key = |backup: Option<&str>| {
        let b = backup.map(|b| format!("backup = \"{b}\"\n")).unwrap_or_default();
        format!("{b}value = 10\n")
    };
    let write = |id: &str, owner: &str, tier: &str, extra: String| {
        let text = customer_toml(id, owner, &extra).replace("tier = \"standard\"", &format!("tier = \"{tier}\""));
        repo.write_customer(id, &text);
    };
    write("missing", "zhang.wei", "key", key(None));
    write("same", "zhang.wei", "key", key(Some("zhang.wei")));
    write("ghost", "zhang.wei", "key", key(Some("nobody")));
    write("gone", "zhang.wei", "key", key(Some("wang.fang")));
    write("fine", "zhang.wei", "key", key(Some("li.na")));
    write("small", "zhang.wei", "standard", key(None));
    repo.commit_all("import key accounts");
    let r = report(&repo, TODAY, &[]);
    let problems: BTreeMap<String, String> = array(&r["no_backup"])
        .iter()
        .map(|b| (b["customer"].as_str().unwrap().to_string(), b["problem"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        problems,
        BTreeMap::from([
            ("missing".to_string(), "missing".to_string()),
            ("same".to_string(), "same as owner".to_string()),
            ("ghost".to_string(), "unknown".to_string()),
        ])
    );

    repo.crm(&["staff", "leave", "wang.fang", "--on", "2026-11-20"]).ok();
    let r = report(&repo, TODAY, &[]);
    let gone = array(&r["no_backup"]).iter().find(|b| b["customer"] == "gone").unwrap_or_else(|| panic!("{r}"));
    assert_eq!(
        *gone,
        json!({"customer": "gone", "name": "gone", "owner": "zhang.wei", "backup": "wang.fang", "problem": "departed", "value": 10})
    );
    let missing = array(&r["no_backup"]).iter().find(|b| b["customer"] == "missing").unwrap();
    assert_eq!(missing["backup"], Value::Null);
    assert_eq!(missing["problem"], "missing");
    assert_eq!(array(&r["no_backup"]).len(), 4);
    assert_eq!(fail_on(&repo, TODAY, "no-backup"), 1);
}

#[test]
fn key_accounts_with_active_backups_are_not_listed() {
    let repo = TestRepo::standard();
    repo.add_customer("Yutong", "zhang.wei", &["--tier", "key", "--backup", "li.na"]);
    repo.add_customer("Small", "zhang.wei", &[]);
    assert_eq!(report(&repo, TODAY, &[])["no_backup"], json!([]));
    assert_eq!(fail_on(&repo, TODAY, "no-backup"), 0);
}

// --- 5. stale and coverage ----------------------------------------------------

#[test]
fn stale_relationships_are_grouped_by_owner() {
    let repo = TestRepo::standard();
    repo.add_customer("A1", "zhang.wei", &["--id", "a1"]);
    repo.add_customer("A2", "zhang.wei", &["--id", "a2"]);
    repo.add_customer("B1", "li.na", &["--id", "b1"]);
    repo.add_customer("Sleeping", "li.na", &["--id", "sleeping"]);
    repo.crm(&["edit", "sleeping", "--set", "status=dormant"]).ok();
    repo.crm(&["touch", "a1", "--kind", "call", "--summary", "hello", "--date", "2026-11-01"]).ok();
    // Fresh: added today.
    assert_eq!(report(&repo, TODAY, &[])["stale"], json!([]));
    assert_eq!(fail_on(&repo, TODAY, "stale"), 0);

    // stale_after_days = 90: a2 (since 2026-11-26) is stale only after 90
    // days; a1 (touched 2026-11-01) already.
    let r = report(&repo, "2027-02-24", &[]);
    assert_eq!(
        r["stale"],
        json!([{"owner": "zhang.wei", "customers": [
            {"id": "a1", "name": "A1", "last_touch": "2026-11-01", "days": 115},
        ]}])
    );
    let r = report(&repo, "2027-06-01", &[]);
    assert_eq!(
        r["stale"],
        json!([
            {"owner": "li.na", "customers": [{"id": "b1", "name": "B1", "last_touch": null, "days": 187}]},
            {"owner": "zhang.wei", "customers": [
                {"id": "a1", "name": "A1", "last_touch": "2026-11-01", "days": 212},
                {"id": "a2", "name": "A2", "last_touch": null, "days": 187},
            ]},
        ]),
        "by owner, longest untouched first; dormant customers are not stale"
    );
    assert_eq!(fail_on(&repo, "2027-06-01", "stale"), 1);
}

#[test]
fn coverage_counts_touches_of_the_last_30_days() {
    let repo = TestRepo::standard();
    repo.add_customer("A1", "zhang.wei", &["--id", "a1"]);
    repo.add_customer("A2", "zhang.wei", &["--id", "a2"]);
    repo.add_customer("B1", "li.na", &["--id", "b1"]);
    repo.crm(&["touch", "a1", "--kind", "call", "--summary", "hello"]).ok();
    repo.crm(&["touch", "b1", "--kind", "call", "--summary", "long ago", "--date", "2026-10-01"]).ok();
    let r = report(&repo, TODAY, &[]);
    assert_eq!(
        r["coverage"],
        json!([
            {"owner": "li.na", "customers": 1, "touched": 0, "share": 0.0},
            {"owner": "zhang.wei", "customers": 2, "touched": 1, "share": 0.5},
        ])
    );
    // 30 days later the touch of a1 still counts; 31 days later it does not.
    assert_eq!(report(&repo, "2026-12-26", &[])["coverage"][1]["touched"], 1);
    assert_eq!(report(&repo, "2026-12-27", &[])["coverage"][1]["touched"], 0);
}

// --- 6. concentration -----------------------------------------------------------

#[test]
fn concentration_flags_an_owner_above_the_limit() {
    let repo = TestRepo::standard();
    // Four owners with 25% each: at the limit, not above it.
    for (id, owner, region) in
        [("a", "zhang.wei", "华中"), ("b", "li.na", "华中"), ("c", "wang.fang", "华南"), ("d", "liu.yang", "华南")]
    {
        repo.add_customer(id, owner, &["--id", id, "--value", "100", "--region", region]);
    }
    let r = report(&repo, TODAY, &[]);
    let rows = array(&r["concentration"]);
    assert_eq!(rows.len(), 6, "4 owners and 2 regions: {r}");
    assert!(rows.iter().all(|s| s["flagged"] == false), "{r}");
    assert_eq!(fail_on(&repo, TODAY, "concentration"), 0);

    repo.add_customer(
        "Yutong",
        "zhang.wei",
        &["--id", "yutong", "--value", "400", "--tier", "key", "--backup", "li.na"],
    );
    let r = report(&repo, TODAY, &[]);
    let rows = array(&r["concentration"]);
    assert_eq!(
        rows[0],
        json!({"kind": "owner", "name": "zhang.wei", "customers": 2, "value": 500, "value_share": 0.625,
               "key_accounts": 1, "key_share": 1.0, "flagged": true}),
        "biggest first"
    );
    let flagged: Vec<&str> =
        rows.iter().filter(|s| s["flagged"] == true).map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(flagged, ["zhang.wei"]);
    let region = rows.iter().find(|s| s["kind"] == "region" && s["name"] == "华中").unwrap();
    assert_eq!(region["customers"], 2, "yutong has no region");
    assert_eq!(region["value"], 200);
    assert_eq!(region["value_share"], 0.25);
    assert_eq!(region["flagged"], false, "regions are not flagged");
    let none = rows.iter().find(|s| s["kind"] == "region" && s["name"] == "(none)").unwrap();
    assert_eq!(none["value"], 400);
    assert_eq!(fail_on(&repo, TODAY, "concentration"), 1);
}

// --- 7. exposure ----------------------------------------------------------------

#[test]
fn exposure_lists_what_a_region_leaving_would_orphan() {
    let repo = TestRepo::standard();
    // Only admins (no region): nothing to list.
    let empty = TestRepo::init();
    empty.add_customer("Acme", "liu.yang", &[]);
    assert_eq!(report(&empty, TODAY, &[])["exposure"], json!([]));
    assert_eq!(fail_on(&empty, TODAY, "exposure"), 0);

    // Covered across regions: nothing exposed, but the regions are listed.
    repo.add_customer("Safe", "zhang.wei", &["--id", "safe", "--backup", "wang.fang", "--value", "5"]);
    let r = report(&repo, TODAY, &[]);
    assert_eq!(
        r["exposure"],
        json!([
            {"region": "华中", "people": ["li.na", "zhang.wei"], "customers": [], "value": 0},
            {"region": "华南", "people": ["wang.fang"], "customers": [], "value": 0},
        ])
    );
    assert_eq!(fail_on(&repo, TODAY, "exposure"), 0);

    repo.add_customer(
        "Inside",
        "zhang.wei",
        &["--id", "inside", "--tier", "key", "--backup", "li.na", "--value", "70"],
    );
    repo.add_customer("Alone", "wang.fang", &["--id", "alone", "--value", "30"]);
    let r = report(&repo, TODAY, &[]);
    let by_region: BTreeMap<String, (BTreeSet<String>, u64)> = array(&r["exposure"])
        .iter()
        .map(|e| (e["region"].as_str().unwrap().to_string(), (set(&e["customers"]), e["value"].as_u64().unwrap())))
        .collect();
    assert_eq!(by_region["华中"], (strs(&["inside"]), 70));
    assert_eq!(by_region["华南"], (strs(&["alone"]), 30));
    assert_eq!(fail_on(&repo, TODAY, "exposure"), 1);
}

// --- 8. sabotage ----------------------------------------------------------------

/// The standard store with three customers holding 4, 4 and 3 contacts
/// (11 in all), imported with plain git.
fn with_contacts() -> TestRepo {
    let repo = TestRepo::standard();
    for (id, n) in [("k1", 4), ("k2", 4), ("k3", 3)] {
        repo.write_customer(id, &(customer_toml(id, "zhang.wei", "") + &contacts(id, n, "0")));
    }
    repo.commit_all("import contacts");
    repo
}

/// Changes the phone of the first `n` contacts of `id` (by hand).
fn change_phones(repo: &TestRepo, id: &str, n: usize, from: &str, to: &str) {
    let rel = customer_path(id);
    let mut text = repo.read(&rel);
    for i in 0..n {
        text = text.replace(&format!("5555 {i:02}{from}\""), &format!("5555 {i:02}{to}\""));
    }
    repo.write(&rel, text);
}

#[test]
fn a_commit_changing_eleven_contacts_is_a_sabotage_signal() {
    let repo = with_contacts();
    assert_eq!(report(&repo, TODAY, &[])["sabotage"], json!([]), "adding contacts is not sabotage");

    change_phones(&repo, "k1", 4, "0", "9");
    change_phones(&repo, "k2", 4, "0", "9");
    change_phones(&repo, "k3", 3, "0", "9");
    repo.commit_all("update phone numbers");
    let commit = repo.head();
    let r = report(&repo, TODAY, &[]);
    assert_eq!(
        r["sabotage"],
        json!([{
            "actor": "liu.yang",
            "signature": "none",
            "from": "2026-11-20",
            "to": "2026-11-20",
            "commits": [commit],
            "contacts_changed": 11,
            "customers_removed": [],
        }])
    );
    assert_eq!(fail_on(&repo, TODAY, "sabotage"), 1);
    // Outside the period: not listed.
    assert_eq!(report(&repo, TODAY, &["--since", "2026-11-21"])["sabotage"], json!([]));
}

#[test]
fn a_commit_changing_ten_contacts_is_not_a_sabotage_signal() {
    let repo = with_contacts();
    change_phones(&repo, "k1", 4, "0", "9");
    change_phones(&repo, "k2", 4, "0", "9");
    change_phones(&repo, "k3", 2, "0", "9");
    repo.commit_all("update phone numbers");
    assert_eq!(report(&repo, TODAY, &[])["sabotage"], json!([]));
    assert_eq!(fail_on(&repo, TODAY, "sabotage"), 0);
}

#[test]
fn deleting_a_customer_with_git_is_a_sabotage_signal() {
    let repo = with_contacts();
    repo.git(&["rm", "-q", &customer_path("k2"), &customer_path("k3")]);
    repo.git(&["commit", "-q", "-m", "clean up"]);
    let r = report(&repo, TODAY, &[]);
    let s = array(&r["sabotage"]);
    assert_eq!(s.len(), 1, "{r}");
    assert_eq!(s[0]["commits"], json!([repo.head()]));
    assert_eq!(s[0]["actor"], "liu.yang");
    assert_eq!(s[0]["contacts_changed"], 0);
    assert_eq!(set(&s[0]["customers_removed"]), strs(&["k2", "k3"]));
}

#[test]
fn a_backdated_commit_does_not_hide_sabotage_in_the_period() {
    let repo = with_contacts();
    change_phones(&repo, "k1", 4, "0", "9");
    change_phones(&repo, "k2", 4, "0", "9");
    change_phones(&repo, "k3", 3, "0", "9");
    git_commit_at(&repo, "2026-11-21T09:00:00+00:00", "update phone numbers");
    let sabotage = repo.head();
    // A later commit whose clock says January (a wrong laptop clock, or
    // GIT_COMMITTER_DATE set on purpose).
    repo.write_customer("k4", &customer_toml("k4", "zhang.wei", ""));
    git_commit_at(&repo, "2026-01-05T09:00:00+00:00", "add k4");
    let r = report(&repo, TODAY, &[]);
    let s = array(&r["sabotage"]);
    assert_eq!(s.len(), 1, "{r}");
    assert_eq!(s[0]["commits"], json!([sabotage]), "{r}");
}

#[test]
fn a_wipe_split_over_several_commits_in_a_week_is_one_sabotage_signal() {
    let repo = with_contacts();
    change_phones(&repo, "k1", 4, "0", "9");
    git_commit_at(&repo, "2026-11-14T09:00:00+00:00", "k1 phones");
    let first = repo.head();
    change_phones(&repo, "k2", 4, "0", "9");
    git_commit_at(&repo, "2026-11-17T09:00:00+00:00", "k2 phones");
    let second = repo.head();
    change_phones(&repo, "k3", 3, "0", "9");
    git_commit_at(&repo, "2026-11-20T09:00:00+00:00", "k3 phones");
    let third = repo.head();
    let r = report(&repo, TODAY, &[]);
    let s = array(&r["sabotage"]);
    assert_eq!(s.len(), 1, "{r}");
    assert_eq!(s[0]["actor"], "liu.yang");
    assert_eq!(s[0]["contacts_changed"], 11, "the week before the last commit counts, also before the period");
    assert_eq!((s[0]["from"].as_str(), s[0]["to"].as_str()), (Some("2026-11-14"), Some("2026-11-20")));
    assert_eq!(set(&s[0]["commits"]), strs(&[&first, &second, &third]));
    assert_eq!(fail_on(&repo, TODAY, "sabotage"), 1);
}

#[test]
fn contact_changes_spread_over_more_than_a_week_or_over_people_are_no_signal() {
    let repo = with_contacts();
    change_phones(&repo, "k1", 4, "0", "9");
    change_phones(&repo, "k2", 4, "0", "9");
    git_commit_at(&repo, "2026-11-12T09:00:00+00:00", "k1 and k2 phones");
    change_phones(&repo, "k3", 3, "0", "9");
    git_commit_at(&repo, "2026-11-20T09:00:00+00:00", "k3 phones");
    assert_eq!(report(&repo, TODAY, &[])["sabotage"], json!([]), "8 days apart");

    let repo = with_contacts();
    change_phones(&repo, "k1", 4, "0", "9");
    change_phones(&repo, "k2", 4, "0", "9");
    git_commit_at(&repo, "2026-11-19T09:00:00+00:00", "k1 and k2 phones");
    change_phones(&repo, "k3", 3, "0", "9");
    repo.git(&["add", "-A"]);
    repo.git_at("2026-11-20T09:00:00+00:00", &["-c", "user.email=zhang.wei@example.com", "commit", "-q", "-m", "k3"]);
    assert_eq!(report(&repo, TODAY, &[])["sabotage"], json!([]), "two people, 8 and 3");
}

#[test]
fn a_manager_giving_a_customer_to_themselves_is_listed() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &["--region", "华中"]);
    // Unsigned store: the committer's email names the actor.
    repo.git(&["config", "user.email", "li.na@example.com"]);
    repo.crm(&["reassign", &id, "--to", "li.na", "--reason", "I will handle it"]).ok();
    let taken = repo.head();
    repo.git(&["config", "user.email", crate::common::ADMIN_EMAIL]);
    repo.crm(&["reassign", &id, "--to", "liu.yang", "--reason", "the admin takes over"]).ok();
    let today = repo.head_commit_date();
    let r = report(&repo, &today, &[]);
    let s = array(&r["self_assigned"]);
    assert_eq!(s.len(), 1, "only the manager's, not the admin's\n{r}");
    assert_eq!((s[0]["commit"].as_str(), s[0]["actor"].as_str()), (Some(taken.as_str()), Some("li.na")));
    assert_eq!(fail_on(&repo, &today, "self-assigned"), 1);
    let md = repo.crm_today(&today, None, &["report", "handover", "--format", "md"]).ok().stdout;
    assert!(md.contains("## 2b. Customers managers gave to themselves"), "{md}");
}

#[test]
fn touches_logged_in_someone_elses_name_are_listed() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let rel = customer_path(&id);
    let text = repo.read(&rel)
        + "\n[[touches]]\ndate = 2026-11-20\nby = \"zhang.wei\"\nkind = \"call\"\nsummary = \"from his notes\"\n";
    repo.write(&rel, text);
    repo.commit_all("log zhang.wei's call");
    let logged = repo.head();
    repo.git(&["config", "user.email", "zhang.wei@example.com"]);
    repo.crm(&["touch", &id, "--kind", "visit", "--summary", "his own"]).ok();
    let today = repo.head_commit_date();
    let r = report(&repo, &today, &["--since", "2026-11-01"]);
    let date = repo.git(&["log", "-1", "--format=%cs", &logged]).trim().to_string();
    assert_eq!(
        r["touches_for_others"],
        json!([{"commit": logged, "date": date, "actor": "liu.yang", "customer": id, "by": "zhang.wei"}]),
        "{r}"
    );
}

// --- renderings -----------------------------------------------------------------

const HEADINGS: &[&str] = &[
    "## 1. Pending handovers",
    "## 2. Ownership changes in the period",
    "## 3. Unacknowledged handovers",
    "## 4. Key accounts without a valid backup",
    "## 5a. Stale relationships",
    "## 5b. Coverage",
    "## 6. Concentration",
    "## 7. Exposure",
    "## 8. Sabotage signals",
];

/// Sections `busy` leaves empty.
const EMPTY_IN_BUSY: &[&str] = &["2b. Customers managers gave", "8b. Touches logged", "9"];

#[test]
fn markdown_is_ready_to_mail() {
    let (repo, today) = busy();
    // A pipe in a name must not break the table.
    repo.crm(&["edit", "big", "--set", "name=Big | Bigger"]).ok();
    let out = repo.crm_today(&today, None, &["report", "handover", "--format", "md"]).ok();
    let md = &out.stdout;
    assert!(md.starts_with("# Handover report"), "{md}");
    let mut at = 0;
    for h in HEADINGS {
        let found = md[at..].find(h).unwrap_or_else(|| panic!("{h} missing or out of order\n{md}"));
        at += found + h.len();
    }
    // Every section here has rows: a header row and a `| --- |` rule, then
    // rows with as many cells as the header.
    for section in md.split("\n## ").skip(1) {
        if EMPTY_IN_BUSY.iter().any(|e| section.starts_with(e)) {
            assert!(section.lines().any(|l| l.starts_with('_')), "an empty section says so\n{section}");
            continue;
        }
        let lines: Vec<&str> = section.lines().filter(|l| l.starts_with('|')).collect();
        assert!(lines.len() >= 3, "no table in\n{section}");
        assert!(lines[1].starts_with("| --- |"), "no rule in\n{section}");
        let cells = |l: &str| l.replace("\\|", "").matches('|').count();
        for line in &lines {
            assert_eq!(cells(line), cells(lines[0]), "ragged row {line:?} in\n{section}");
        }
    }
    assert!(md.contains("Big \\| Bigger"), "{md}");
}

#[test]
fn markdown_says_when_a_section_is_empty() {
    let repo = TestRepo::init();
    let md = repo.crm(&["report", "handover", "--format", "md"]).ok().stdout;
    assert!(md.starts_with("# Handover report"), "{md}");
    for h in HEADINGS {
        assert!(md.contains(h), "{h}\n{md}");
    }
    assert!(!md.contains("| --- |"), "no tables without rows\n{md}");
    assert!(md.contains("_No departed person still owns customers._"), "{md}");
}

/// Checks that `text` is well-formed XML with Python's parser.
#[track_caller]
fn assert_well_formed(repo: &TestRepo, text: &str) {
    let path = repo.root().join("report.html");
    std::fs::write(&path, text).unwrap();
    let out = StdCommand::new("python3")
        .args(["-c", "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])"])
        .arg(&path)
        .output()
        .expect("run python3");
    let out = Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    };
    assert_eq!(out.code, 0, "not well-formed XML\n{out}\n--- html ---\n{text}");
}

#[track_caller]
fn assert_self_contained(html: &str) {
    assert_eq!(html.matches("<table class=\"chart\"").count(), 2, "two charts\n{html}");
    assert!(!html.to_lowercase().contains("<script"), "no scripts\n{html}");
    assert!(!html.contains("http://") && !html.contains("https://"), "external link\n{html}");
}

#[test]
fn html_is_well_formed_self_contained_and_escaped() {
    let (repo, today) = busy();
    let name = "<script>alert('x')</script> & \"Söhne\" <b>";
    repo.crm(&["edit", "big", "--set", &format!("name={name}")]).ok();
    let out = repo.crm_today(&today, None, &["report", "handover", "--format", "html"]).ok();
    let html = &out.stdout;
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert_well_formed(&repo, html);
    assert_self_contained(html);
    assert!(html.contains("&lt;script&gt;"), "the name is shown, escaped\n{html}");
    for h in HEADINGS {
        assert!(html.contains(&format!("\">{}", &h[3..])), "{h}\n{html}");
    }
}

#[test]
fn html_of_an_empty_store_is_well_formed() {
    let repo = TestRepo::init();
    let html = repo.crm(&["report", "handover", "--format", "html"]).ok().stdout;
    assert_well_formed(&repo, &html);
    assert_self_contained(&html);
}

#[test]
fn the_table_names_every_section() {
    let (repo, today) = busy();
    let out = repo.crm_today(&today, None, &["report", "handover"]).ok();
    assert!(out.stdout.starts_with("Handover report — Example Coach Co."), "{out}");
    for h in HEADINGS {
        assert!(out.stdout.contains(&h[3..]), "{h}\n{out}");
    }
    assert!(out.stdout.contains("OVERDUE"), "{out}");
}

// --- portfolio ------------------------------------------------------------------

/// zhang.wei: yutong (key, 1000, 华中, next step in 7 days) and acme (500,
/// 华南, next step in 8 days); li.na: gamma (200, 华中, next step past) and a
/// dormant one; a departed owner's customer.
fn portfolio_store() -> TestRepo {
    let repo = TestRepo::standard();
    let key = ["--id", "yutong", "--tier", "key", "--backup", "li.na", "--value", "1000", "--region", "华中"];
    repo.add_customer("郑州宇通客运集团", "zhang.wei", &key);
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme", "--value", "500", "--region", "华南"]);
    repo.add_customer("Gamma", "li.na", &["--id", "gamma", "--value", "200", "--region", "华中"]);
    repo.add_customer("Sleeping", "li.na", &["--id", "sleeping", "--region", "华中"]);
    repo.add_customer("Orphan", "wang.fang", &["--id", "orphan", "--value", "50"]);
    repo.crm(&["edit", "yutong", "--set", "next_date=2026-12-03", "--set", "next_step=Quote"]).ok();
    repo.crm(&["edit", "acme", "--set", "next_date=2026-12-04", "--set", "next_step=Visit"]).ok();
    repo.crm(&["edit", "gamma", "--set", "next_date=2026-11-01", "--set", "next_step=Call back"]).ok();
    repo.crm(&["edit", "sleeping", "--set", "status=dormant"]).ok();
    repo.crm(&["staff", "leave", "wang.fang"]).ok();
    repo
}

fn portfolio(repo: &TestRepo, today: &str, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["report", "portfolio", "--format", "json"];
    all.extend_from_slice(args);
    repo.crm_today(today, None, &all).ok().json().as_array().unwrap().clone()
}

#[test]
fn portfolio_per_owner() {
    let repo = portfolio_store();
    let rows = portfolio(&repo, TODAY, &[]);
    assert_eq!(
        rows,
        [
            json!({"owner": "li.na", "name": "李娜", "status": "active", "customers": 2, "key_accounts": 0,
                   "value": 200, "stale": 0, "next_steps_due": 1, "claimed": 0}),
            json!({"owner": "wang.fang", "name": "王芳", "status": "departed", "customers": 1, "key_accounts": 0,
                   "value": 50, "stale": 0, "next_steps_due": 0, "claimed": 0}),
            json!({"owner": "zhang.wei", "name": "张伟", "status": "active", "customers": 2, "key_accounts": 1,
                   "value": 1500, "stale": 0, "next_steps_due": 1, "claimed": 0}),
        ]
    );
    // A year on, every active customer is stale and every next step due.
    let later = portfolio(&repo, "2027-11-26", &[]);
    let stale: Vec<(u64, u64)> =
        later.iter().map(|r| (r["stale"].as_u64().unwrap(), r["next_steps_due"].as_u64().unwrap())).collect();
    assert_eq!(stale, [(1, 1), (1, 0), (2, 2)], "the dormant customer is not stale");
}

#[test]
fn portfolio_filters_by_owner_and_region() {
    let repo = portfolio_store();
    let rows = portfolio(&repo, TODAY, &["--owner", "zhang.wei"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["owner"], "zhang.wei");
    assert_eq!(rows[0]["value"], 1500);

    let rows = portfolio(&repo, TODAY, &["--region", "华中"]);
    let summary: Vec<(String, u64, u64)> = rows
        .iter()
        .map(|r| {
            (r["owner"].as_str().unwrap().to_string(), r["customers"].as_u64().unwrap(), r["value"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(summary, [("li.na".to_string(), 2, 200), ("zhang.wei".to_string(), 1, 1000)]);

    let rows = portfolio(&repo, TODAY, &["--owner", "zhang.wei", "--region", "华南"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["customers"], 1);
    assert_eq!(rows[0]["key_accounts"], 0);
    assert_eq!(rows[0]["next_steps_due"], 0, "2026-12-04 is 8 days away");

    let out = repo.crm(&["report", "portfolio"]).ok();
    for word in ["owner", "zhang.wei", "李娜", "1,500"] {
        assert!(out.stdout.contains(word), "{word}\n{out}");
    }
}

#[test]
fn portfolio_of_an_unknown_owner_is_refused() {
    let repo = portfolio_store();
    let before = repo.state();
    let out = repo.crm(&["report", "portfolio", "--owner", "ghost"]);
    repo.assert_refused(&out, 2, &["ghost"], &before);
}

#[test]
fn portfolio_shows_owners_missing_from_staff() {
    let repo = TestRepo::standard();
    repo.write_customer("stray", &customer_toml("Stray", "nobody", "value = 7\n"));
    repo.commit_all("stray customer");
    let rows = portfolio(&repo, TODAY, &[]);
    assert_eq!(
        rows,
        [json!({"owner": "nobody", "name": "", "status": "unknown", "customers": 1, "key_accounts": 0,
                "value": 7, "stale": 0, "next_steps_due": 0, "claimed": 0})]
    );
}
