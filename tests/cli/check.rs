//! `crm check`: every file of the store against the schema, the references
//! between files and the policy, with stable rule ids, in one run; exit 1 on
//! any error (or warning with `--deny-warnings`). The real-world broken files
//! of `tests/fixtures/bad-toml` (copied from the shared fixtures) each produce their rule at their line;
//! the machine formats (json, github, junit) are checked as CI reads them.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{customer_path, fast_shard, Output, TestRepo};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bad-toml");

/// One finding of `crm check --format json`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding {
    path: String,
    line: u64,
    column: u64,
    severity: String,
    rule: String,
    message: String,
}

/// The findings of a JSON report, checking the report's own counts.
#[track_caller]
fn findings(out: &Output) -> Vec<Finding> {
    let json = out.json();
    let list: Vec<Finding> = json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array\n{out}"))
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_else(|| panic!("finding without {k}: {f}")).to_string();
            assert!(f["help"].as_str().is_some_and(|h| !h.is_empty()), "finding without help: {f}");
            Finding {
                path: s("path"),
                line: f["line"].as_u64().expect("line"),
                column: f["column"].as_u64().expect("column"),
                severity: s("severity"),
                rule: s("rule"),
                message: s("message"),
            }
        })
        .collect();
    let errors = list.iter().filter(|f| f.severity == "error").count() as u64;
    let warnings = list.iter().filter(|f| f.severity == "warning").count() as u64;
    assert_eq!(json["errors"].as_u64(), Some(errors), "errors count\n{out}");
    assert_eq!(json["warnings"].as_u64(), Some(warnings), "warnings count\n{out}");
    assert!(json["files"].as_u64().is_some(), "files count\n{out}");
    list
}

/// `crm check ARGS --format json`: the output and its findings.
#[track_caller]
fn check_json(repo: &TestRepo, args: &[&str]) -> (Output, Vec<Finding>) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = repo.crm(&all);
    let list = findings(&out);
    (out, list)
}

/// `crm check --format json` with `CRM_TODAY=today`.
#[track_caller]
fn check_json_on(repo: &TestRepo, today: &str) -> (Output, Vec<Finding>) {
    let mut cmd = repo.crm_cmd();
    cmd.env("CRM_TODAY", today).args(["check", "--format", "json"]);
    let out = repo.run(cmd);
    let list = findings(&out);
    (out, list)
}

/// The findings about `path`.
fn about<'a>(list: &'a [Finding], path: &str) -> Vec<&'a Finding> {
    list.iter().filter(|f| f.path == path).collect()
}

/// The only finding about `path` (with rule `rule`), asserting there is one.
#[track_caller]
fn the<'a>(list: &'a [Finding], path: &str, rule: &str, out: &Output) -> &'a Finding {
    let found: Vec<_> = list.iter().filter(|f| f.path == path && f.rule == rule).collect();
    assert_eq!(found.len(), 1, "expected one {rule} finding about {path}\n{out}");
    found[0]
}

/// Copies fixture `stem` into the work tree at its shard path; returns the
/// path.
fn place_fixture(repo: &TestRepo, stem: &str) -> String {
    let rel = customer_path(stem);
    let bytes = std::fs::read(format!("{FIXTURES}/{stem}.toml")).expect("fixture");
    repo.write(&rel, bytes);
    rel
}

/// The standard store with fixture `stem` in the work tree.
fn store_with(stem: &str) -> (TestRepo, String) {
    let repo = TestRepo::standard();
    let rel = place_fixture(&repo, stem);
    (repo, rel)
}

/// A customer file with a touch, so that it is neither stale nor a key
/// account: only the lines given in `extra` can produce findings.
fn customer_toml(owner: &str, extra: &str) -> String {
    format!(
        "name = \"Acme Coach\"\nowner = \"{owner}\"\n{extra}\n[[touches]]\ndate = 2026-11-20\nby = \"{owner}\"\nkind = \"call\"\nsummary = \"Called\"\n"
    )
}

#[test]
fn a_clean_store_passes() {
    let repo = TestRepo::standard();
    repo.write_customer("acme", &customer_toml("zhang.wei", "tier = \"standard\""));
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 0, "{out}");
    assert!(list.is_empty(), "{out}");
    let out = repo.crm(&["check"]).ok();
    assert!(out.stdout.contains("0 error(s), 0 warning(s) in 6 file(s)"), "{out}");
}

#[test]
fn malformed_is_a_syntax_error_at_line_3() {
    let (repo, rel) = store_with("malformed");
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    let f = the(&list, &rel, "toml-syntax", &out);
    assert_eq!((f.line, f.severity.as_str()), (3, "error"), "{out}");

    // The human format: position, rule, the source line, a marker, help, summary.
    let out = repo.crm(&["check"]);
    assert_eq!(out.code, 1, "{out}");
    let head = format!("{rel}:3:{}: error[toml-syntax]: ", f.column);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let at = lines.iter().position(|l| l.starts_with(&head)).unwrap_or_else(|| panic!("no {head:?} line\n{out}"));
    assert_eq!(lines[at + 1].trim_end(), "3 | tier =", "{out}");
    let marker = lines[at + 2];
    assert_eq!(marker.find('^'), Some("3 | ".len() + f.column as usize - 1), "the marker points at the column\n{out}");
    assert!(lines[at + 3].starts_with("  help: "), "{out}");
    assert!(out.stdout.contains("1 error(s), 0 warning(s) in 6 file(s)"), "{out}");
}

#[test]
fn invalid_utf8_names_the_file() {
    let (repo, rel) = store_with("invalid-utf8");
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    let f = the(&list, &rel, "invalid-utf8", &out);
    assert_eq!((f.line, f.severity.as_str()), (1, "error"), "{out}");
    assert!(f.message.contains("byte") || f.message.contains("line"), "{out}");
    let out = repo.crm(&["check"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains(&format!("{rel}:1:")), "the human report names the file\n{out}");
}

#[test]
fn duplicate_key_is_a_syntax_error_at_line_3() {
    let (repo, rel) = store_with("duplicate-key");
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    let f = the(&list, &rel, "toml-syntax", &out);
    assert_eq!(f.line, 3, "{out}");
    assert!(f.message.contains("owner"), "names the duplicated key\n{out}");
}

#[test]
fn wrong_types_are_both_reported_in_one_run() {
    let (repo, rel) = store_with("wrong-type");
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    let mut wrong: Vec<(u64, &str)> =
        about(&list, &rel).iter().filter(|f| f.rule == "wrong-type").map(|f| (f.line, f.message.as_str())).collect();
    wrong.sort();
    assert_eq!(wrong.len(), 2, "{out}");
    assert_eq!(wrong[0].0, 2, "{out}");
    assert!(wrong[0].1.contains("owner"), "{out}");
    assert_eq!(wrong[1].0, 3, "{out}");
    assert!(wrong[1].1.contains("value"), "{out}");
}

#[test]
fn impossible_date_is_an_invalid_date_at_line_3() {
    let (repo, rel) = store_with("impossible-date");
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    let f = the(&list, &rel, "invalid-date", &out);
    assert_eq!(f.line, 3, "{out}");
}

#[test]
fn missing_owner_is_a_missing_key() {
    let (repo, rel) = store_with("missing-owner");
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    let f = the(&list, &rel, "missing-key", &out);
    assert!(f.message.contains("owner"), "{out}");
}

#[test]
fn unknown_keys_are_a_warning_only() {
    let (repo, rel) = store_with("unknown-keys");
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 0, "a warning does not fail the check\n{out}");
    let f = the(&list, &rel, "unknown-key", &out);
    assert_eq!((f.line, f.severity.as_str()), (3, "warning"), "{out}");
    assert!(f.message.contains("fax"), "{out}");
    assert!(list.iter().all(|f| f.severity == "warning"), "{out}");

    // --deny-warnings turns it into a failure; the findings are the same.
    let (denied, denied_list) = check_json(&repo, &["--deny-warnings"]);
    assert_eq!(denied.code, 1, "{denied}");
    assert_eq!(denied_list, list);
    let out = repo.crm(&["check", "--deny-warnings"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains(&format!("{rel}:3:1: warning[unknown-key]: ")), "{out}");
}

#[test]
fn terminal_escapes_in_a_valid_file_never_reach_the_terminal_raw() {
    let (repo, rel) = store_with("terminal-escape");
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 0, "a valid file\n{out}");
    assert!(about(&list, &rel).iter().all(|f| f.severity == "warning"), "{out}");
    for format in ["human", "github", "junit", "json"] {
        let out = repo.crm(&["check", "--format", format]);
        assert_eq!(out.code, 0, "{out}");
        assert!(!out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'), "{format}: raw escape\n{out}");
    }

    // The same escapes written raw (not as TOML escapes) make a syntax error
    // whose source line is shown: escaped, too.
    let raw = "name = \"Evil \u{1b}[31mRed\u{1b}[0m \u{1b}]0;pwned\u{7} Co\"\nowner = \"li.na\"\n";
    let raw_rel = repo.write_customer("raw-escape", raw);
    for format in ["human", "github", "junit"] {
        let out = repo.crm(&["check", "--format", format]);
        assert_eq!(out.code, 1, "{out}");
        assert!(out.stdout.contains(&raw_rel), "{format}\n{out}");
        assert!(!out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'), "{format}: raw escape\n{out}");
    }
}

#[test]
fn escapes_in_file_names_never_reach_the_terminal_raw() {
    // A file name is data too: someone can commit
    // `customers/00/x<ESC>]0;pwned<BEL>.toml` with plain git.
    let repo = TestRepo::standard();
    let rel = "customers/00/x\u{1b}]0;pwned\u{7}\u{1b}[31m.toml";
    repo.write(rel, customer_toml("li.na", ""));
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    assert!(list.iter().any(|f| f.rule == "invalid-id" && f.path == rel), "JSON keeps the path exact\n{out}");
    for format in ["human", "github", "junit"] {
        let out = repo.crm(&["check", "--format", format]);
        assert_eq!(out.code, 1, "{out}");
        assert!(out.stdout.contains("invalid-id"), "{format}\n{out}");
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'),
            "{format}: the file name reached the terminal raw:\n{}",
            out.stdout.escape_debug()
        );
    }
}

/// What each fixture must produce: (stem, rule, line or 0 for any).
const EXPECTED: &[(&str, &str, u64)] = &[
    ("malformed", "toml-syntax", 3),
    ("invalid-utf8", "invalid-utf8", 0),
    ("duplicate-key", "toml-syntax", 3),
    ("wrong-type", "wrong-type", 2),
    ("wrong-type", "wrong-type", 3),
    ("impossible-date", "invalid-date", 3),
    ("missing-owner", "missing-key", 0),
    ("unknown-keys", "unknown-key", 3),
];

#[test]
fn every_fixture_problem_is_reported_in_one_run() {
    let repo = TestRepo::standard();
    let mut stems: Vec<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok()?.strip_suffix(".toml").map(str::to_string))
        .collect();
    stems.sort();
    assert_eq!(stems.len(), 8, "{stems:?}");
    for stem in &stems {
        place_fixture(&repo, stem);
    }
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    for (stem, rule, line) in EXPECTED {
        let rel = customer_path(stem);
        assert!(
            list.iter().any(|f| f.path == rel && f.rule == *rule && (*line == 0 || f.line == *line)),
            "missing {rule} (line {line}) for {rel}\n{out}"
        );
    }
    let errors = list.iter().filter(|f| f.severity == "error").count();
    assert_eq!(errors, 7, "seven errors, one per broken line\n{out}");
    let terminal = customer_path("terminal-escape");
    assert!(about(&list, &terminal).iter().all(|f| f.severity == "warning"), "{out}");
    // 1 crm.toml + 4 staff + 8 fixtures.
    assert_eq!(out.json()["files"], 13, "{out}");
}

#[test]
fn a_file_in_the_wrong_shard_directory_is_reported() {
    let repo = TestRepo::standard();
    let right = fast_shard("acme");
    let wrong = if right == "00" { "01" } else { "00" };
    let rel = format!("customers/{wrong}/acme.toml");
    repo.write(&rel, customer_toml("zhang.wei", ""));
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    let f = the(&list, &rel, "wrong-shard", &out);
    assert!(f.message.contains(&format!("customers/{right}/")), "names the right directory\n{out}");

    // Moved to the right place, it passes.
    std::fs::remove_file(repo.path(&rel)).unwrap();
    repo.write_customer("acme", &customer_toml("zhang.wei", ""));
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 0, "{out}");
    assert!(list.is_empty(), "{out}");
}

#[test]
fn an_invalid_id_file_name_is_reported() {
    let repo = TestRepo::standard();
    for stem in ["Acme_Coach", "-acme"] {
        let rel = format!("customers/{}/{stem}.toml", fast_shard(stem));
        repo.write(&rel, customer_toml("zhang.wei", ""));
        let (out, list) = check_json(&repo, &[]);
        assert_eq!(out.code, 1, "{out}");
        the(&list, &rel, "invalid-id", &out);
        std::fs::remove_file(repo.path(&rel)).unwrap();
    }
}

#[test]
fn references_to_people_not_in_staff_are_errors() {
    let repo = TestRepo::standard();
    let rel = repo.write_customer("acme", &customer_toml("ghost", "backup = \"phantom\""));
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    let unknown: Vec<(u64, &str)> = about(&list, &rel)
        .iter()
        .filter(|f| f.rule == "unknown-person")
        .map(|f| (f.line, f.message.as_str()))
        .collect();
    // The owner (line 2), the backup (line 3), and the touch author (line 6).
    assert_eq!(unknown.iter().map(|u| u.0).collect::<Vec<_>>(), [2, 3, 6], "{out}");
    assert!(unknown[0].1.contains("ghost") && unknown[1].1.contains("phantom"), "{out}");
}

#[test]
fn key_accounts_need_an_active_backup_who_is_not_the_owner() {
    let repo = TestRepo::standard();
    let contacts = "[[contacts]]\nname = \"A\"\n\n[[contacts]]\nname = \"B\"\n";
    for (extra, fails) in [
        ("tier = \"key\"", true),
        ("tier = \"key\"\nbackup = \"zhang.wei\"", true),
        ("tier = \"key\"\nbackup = \"li.na\"", false),
    ] {
        let text = format!("{}{contacts}", customer_toml("zhang.wei", extra));
        let rel = repo.write_customer("yutong", &text);
        let (out, list) = check_json(&repo, &[]);
        let found = about(&list, &rel).iter().any(|f| f.rule == "key-without-backup" && f.severity == "error");
        assert_eq!(found, fails, "{extra:?}\n{out}");
        assert_eq!(out.code, i32::from(fails), "{extra:?}\n{out}");
    }
    // A departed backup is no backup.
    let staff =
        repo.read("staff/li.na.toml").replace("status = \"active\"", "status = \"departed\"\nleft = 2026-11-25");
    repo.write("staff/li.na.toml", staff);
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    the(&list, &customer_path("yutong"), "key-without-backup", &out);
}

/// The standard store with zhang.wei departed on `left` and one customer
/// of his.
fn store_with_departed_owner(left: &str) -> (TestRepo, String) {
    let repo = TestRepo::standard();
    let staff = repo.read("staff/zhang.wei.toml");
    assert!(staff.contains("status = \"active\""), "{staff}");
    let staff = staff.replace("status = \"active\"", &format!("status = \"departed\"\nleft = {left}\nrehire = false"));
    repo.write("staff/zhang.wei.toml", staff);
    let rel = repo
        .write_customer("yutong", &customer_toml("li.na", "").replace("owner = \"li.na\"", "owner = \"zhang.wei\""));
    (repo, rel)
}

#[test]
fn a_departed_owner_is_pending_within_the_handover_window_and_overdue_after() {
    // handover_days = 14: left 2026-11-20, due 2026-12-04.
    let (repo, rel) = store_with_departed_owner("2026-11-20");
    for (today, rule, code) in [
        ("2026-11-26", "handover-pending", 0),
        ("2026-12-04", "handover-pending", 0),
        ("2026-12-05", "handover-overdue", 1),
        ("2027-03-01", "handover-overdue", 1),
    ] {
        let (out, list) = check_json_on(&repo, today);
        assert_eq!(out.code, code, "{today}\n{out}");
        let f = the(&list, &rel, rule, &out);
        assert_eq!(f.line, 2, "at the owner line\n{out}");
        let other = if rule == "handover-pending" { "handover-overdue" } else { "handover-pending" };
        assert!(!list.iter().any(|f| f.rule == other), "{today}\n{out}");
        assert_eq!(f.severity, if code == 0 { "warning" } else { "error" }, "{out}");
    }
    // Handed over, nothing is left to report.
    repo.write_customer("yutong", &customer_toml("li.na", ""));
    let (out, list) = check_json_on(&repo, "2027-03-01");
    assert!(!list.iter().any(|f| f.rule.starts_with("handover")), "{out}");
}

#[test]
fn unknown_tier_status_and_touch_kind_are_reported() {
    let repo = TestRepo::standard();
    let text = "name = \"Acme\"\nowner = \"zhang.wei\"\ntier = \"gold\"\nstatus = \"sleeping\"\n\n[[touches]]\ndate = 2026-11-20\nby = \"zhang.wei\"\nkind = \"fax\"\nsummary = \"Faxed\"\n";
    let rel = repo.write_customer("acme", text);
    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(the(&list, &rel, "unknown-tier", &out).line, 3, "{out}");
    assert_eq!(the(&list, &rel, "unknown-status", &out).line, 4, "{out}");
    assert_eq!(the(&list, &rel, "unknown-kind", &out).line, 9, "{out}");
    assert!(the(&list, &rel, "unknown-tier", &out).message.contains("gold"), "{out}");

    // A tier added to the policy is known.
    let config = repo.read("crm.toml").replace("tiers = [\"key\",", "tiers = [\"gold\", \"key\",");
    assert!(config.contains("\"gold\""), "{config}");
    repo.write("crm.toml", config);
    let (out, list) = check_json(&repo, &[]);
    assert!(!list.iter().any(|f| f.rule == "unknown-tier"), "{out}");
}

#[test]
fn github_format_is_one_workflow_command_per_finding() {
    let repo = TestRepo::standard();
    let malformed = place_fixture(&repo, "malformed");
    place_fixture(&repo, "unknown-keys");
    let (_, list) = check_json(&repo, &[]);
    let out = repo.crm(&["check", "--format", "github"]);
    assert_eq!(out.code, 1, "{out}");
    let lines: Vec<&str> = out.stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), list.len(), "one line per finding\n{out}");
    for line in &lines {
        assert!(line.starts_with("::error file=") || line.starts_with("::warning file="), "{line}\n{out}");
    }
    let error = format!("::error file={malformed},line=3,");
    assert!(lines.iter().any(|l| l.starts_with(&error) && l.contains("title=toml-syntax")), "{out}");
    assert!(lines.iter().any(|l| l.starts_with("::warning file=") && l.contains("title=unknown-key")), "{out}");
}

/// Minimal XML well-formedness check: balanced, properly nested elements,
/// quoted attributes, only the predefined entities, one root. Returns the
/// start tags as (name, attributes) and the text inside `<failure>`s.
#[track_caller]
fn parse_xml(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut rest =
        xml.strip_prefix("<?xml").map(|r| &r[r.find("?>").expect("end of declaration") + 2..]).unwrap_or(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut tags = Vec::new();
    let mut roots = 0;
    let check_text = |text: &str| {
        assert!(!text.contains('\u{1b}'), "raw control character in XML text");
        let mut t = text;
        while let Some(i) = t.find('&') {
            let end = t[i..].find(';').unwrap_or_else(|| panic!("unterminated entity in {text:?}"));
            let entity = &t[i + 1..i + end];
            assert!(
                ["amp", "lt", "gt", "quot", "apos"].contains(&entity) || entity.starts_with('#'),
                "unknown entity &{entity}; in {text:?}"
            );
            t = &t[i + end..];
        }
    };
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        check_text(text);
        if stack.is_empty() {
            assert!(text.trim().is_empty(), "text outside the root element: {text:?}");
        }
        let close = rest[open..].find('>').expect("unterminated tag") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().unwrap_or_else(|| panic!("</{name}> without a start tag"));
            assert_eq!(top, name.trim(), "mis-nested elements");
            continue;
        }
        let empty = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, mut attrs_src) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{tag}");
        let mut attrs = Vec::new();
        loop {
            attrs_src = attrs_src.trim_start();
            if attrs_src.is_empty() {
                break;
            }
            let eq = attrs_src.find('=').unwrap_or_else(|| panic!("attribute without value in <{tag}>"));
            let key = attrs_src[..eq].trim().to_string();
            let after = &attrs_src[eq + 1..];
            assert!(after.starts_with('"'), "unquoted attribute {key} in <{tag}>");
            let end = after[1..].find('"').expect("unterminated attribute") + 1;
            let value = &after[1..end];
            assert!(!value.contains('<'), "`<` in attribute {key}");
            check_text(value);
            attrs.push((key, value.to_string()));
            attrs_src = &after[end + 1..];
        }
        if stack.is_empty() {
            roots += 1;
        }
        tags.push((name.to_string(), attrs));
        if !empty {
            stack.push(name.to_string());
        }
    }
    check_text(rest);
    assert!(rest.trim().is_empty(), "text after the root element");
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    assert_eq!(roots, 1, "exactly one root element");
    tags
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[test]
fn junit_format_is_well_formed_xml_with_one_test_case_per_rule() {
    let repo = TestRepo::standard();
    for stem in ["malformed", "wrong-type", "unknown-keys", "terminal-escape"] {
        place_fixture(&repo, stem);
    }
    let out = repo.crm(&["check", "--format", "junit"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.starts_with("<?xml"), "{out}");
    let tags = parse_xml(&out.stdout);

    let rules = crm::ops::check::rules::RULES;
    let cases: Vec<&Vec<(String, String)>> = tags.iter().filter(|(n, _)| n == "testcase").map(|(_, a)| a).collect();
    assert_eq!(cases.len(), rules.len(), "one test case per rule\n{out}");
    let names: Vec<&str> = cases.iter().map(|a| attr(a, "name").expect("testcase name")).collect();
    for rule in rules {
        assert!(names.contains(&rule.id), "no test case for {}\n{out}", rule.id);
    }
    let suites: Vec<_> = tags.iter().filter(|(n, _)| n == "testsuite").collect();
    assert_eq!(suites.len(), 1, "{out}");
    assert_eq!(attr(&suites[0].1, "tests"), Some(rules.len().to_string().as_str()), "{out}");

    // A <failure> directly inside the test case of each failing rule, and no other.
    let mut failing = Vec::new();
    let mut current = None;
    for (name, attrs) in &tags {
        match name.as_str() {
            "testcase" => current = attr(attrs, "name"),
            "failure" => failing.push(current.expect("failure outside a testcase")),
            _ => {}
        }
    }
    failing.sort_unstable();
    let (_, list) = check_json(&repo, &[]);
    let mut expected: Vec<&str> = list.iter().map(|f| f.rule.as_str()).collect();
    expected.sort_unstable();
    expected.dedup();
    assert_eq!(failing, expected, "{out}");
    assert!(failing.contains(&"toml-syntax") && failing.contains(&"wrong-type"), "{out}");
    let failures = list.iter().map(|f| f.rule.as_str()).collect::<std::collections::BTreeSet<_>>().len();
    assert_eq!(attr(&suites[0].1, "failures"), Some(failures.to_string().as_str()), "{out}");
}

#[test]
fn junit_of_a_clean_store_has_no_failures() {
    let repo = TestRepo::standard();
    let out = repo.crm(&["check", "--format", "junit"]).ok();
    let tags = parse_xml(&out.stdout);
    assert!(!tags.iter().any(|(n, _)| n == "failure"), "{out}");
    assert_eq!(tags.iter().filter(|(n, _)| n == "testcase").count(), crm::ops::check::rules::RULES.len());
}

#[cfg(unix)]
#[test]
fn a_symlink_is_never_followed() {
    let repo = TestRepo::standard();
    let rel = customer_path("passwd");
    std::fs::create_dir_all(repo.path(&rel).parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", repo.path(&rel)).unwrap();
    let staff_link = "staff/root.toml";
    std::os::unix::fs::symlink("/etc/passwd", repo.path(staff_link)).unwrap();
    repo.commit_all("Link /etc/passwd");
    assert_eq!(repo.git(&["ls-files", "-s", &rel]).split_whitespace().next(), Some("120000"), "committed as a link");

    for rev in [None, Some("HEAD")] {
        let mut args = vec![];
        if let Some(rev) = rev {
            args.extend(["--rev", rev]);
        }
        let (out, list) = check_json(&repo, &args);
        assert_eq!(out.code, 1, "{rev:?}\n{out}");
        the(&list, &rel, "not-a-file", &out);
        the(&list, staff_link, "not-a-file", &out);
        for format in ["human", "json", "github", "junit"] {
            let mut all = vec!["check", "--format", format];
            all.extend_from_slice(&args);
            let out = repo.crm(&all);
            assert_eq!(out.code, 1, "{out}");
            assert!(
                !out.stdout.contains("root:") && !out.stderr.contains("root:"),
                "{format}: /etc/passwd leaked\n{out}"
            );
        }
    }
}

#[test]
fn a_huge_file_is_not_read() {
    let repo = TestRepo::standard();
    let mut text = customer_toml("zhang.wei", "");
    let filler = "# padding padding padding padding padding padding padding padding padding padding\n";
    text.reserve(10 << 20);
    while text.len() < 10 << 20 {
        text.push_str(filler);
    }
    let rel = repo.write_customer("huge", &text);
    let started = Instant::now();
    let (out, list) = check_json(&repo, &[]);
    let took = started.elapsed();
    assert_eq!(out.code, 1, "{out}");
    let f = the(&list, &rel, "file-too-large", &out);
    assert!(f.message.contains(&text.len().to_string()), "{out}");
    assert!(took < Duration::from_secs(5), "check took {took:?}");

    repo.commit_all("Add a huge file");
    let started = Instant::now();
    let (out, list) = check_json(&repo, &["--rev", "HEAD"]);
    assert_eq!(out.code, 1, "{out}");
    the(&list, &rel, "file-too-large", &out);
    assert!(started.elapsed() < Duration::from_secs(5), "check --rev took {:?}", started.elapsed());
}

#[test]
fn rev_checks_a_commit_instead_of_the_work_tree() {
    let repo = TestRepo::standard();
    let rel = place_fixture(&repo, "malformed");
    repo.commit_all("Add a broken file by hand");
    // Fixed in the work tree only.
    repo.write(&rel, customer_toml("li.na", ""));

    let (out, list) = check_json(&repo, &[]);
    assert_eq!(out.code, 0, "the work tree is fine\n{out}");
    assert!(list.is_empty(), "{out}");
    let (out, list) = check_json(&repo, &["--rev", "HEAD"]);
    assert_eq!(out.code, 1, "HEAD holds the broken file\n{out}");
    assert_eq!(the(&list, &rel, "toml-syntax", &out).line, 3, "{out}");
    let (out, list) = check_json(&repo, &["--rev", "HEAD~1"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(list.is_empty(), "{out}");

    // An untracked broken file is not part of HEAD.
    place_fixture(&repo, "missing-owner");
    let (out, _) = check_json(&repo, &["--rev", "HEAD~1"]);
    assert_eq!(out.code, 0, "{out}");
    let (out, _) = check_json(&repo, &[]);
    assert_eq!(out.code, 1, "{out}");

    let out = repo.crm(&["check", "--rev", "no-such-rev"]);
    assert_eq!(out.code, 2, "an unknown revision is bad input\n{out}");
    assert!(out.stderr.contains("no-such-rev"), "{out}");
}

#[test]
fn rev_works_in_a_bare_repository() {
    let repo = TestRepo::standard();
    place_fixture(&repo, "duplicate-key");
    repo.commit_all("Add a broken file by hand");
    let bare = repo.root().join("bare.git");
    let out = repo.git_in(repo.root(), &["clone", "-q", "--bare", "store", "bare.git"]);
    assert_eq!(out.code, 0, "{out}");
    let out = repo.crm_in(&bare, &["check", "--rev", "HEAD", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    let list = findings(&out);
    assert!(list.iter().any(|f| f.rule == "toml-syntax" && f.line == 3), "{out}");
    let out = repo.crm_in(&bare, &["check", "--rev", "HEAD~1"]);
    assert_eq!(out.code, 0, "{out}");
}

#[test]
fn findings_are_sorted_errors_first() {
    let repo = TestRepo::standard();
    for stem in ["unknown-keys", "malformed", "wrong-type"] {
        place_fixture(&repo, stem);
    }
    let (out, list) = check_json(&repo, &[]);
    let severities: Vec<&str> = list.iter().map(|f| f.severity.as_str()).collect();
    let first_warning = severities.iter().position(|s| *s == "warning").unwrap_or(severities.len());
    assert!(severities[first_warning..].iter().all(|s| *s == "warning"), "{out}");
    let value: Value = out.json();
    assert_eq!(value["errors"], 3, "{out}");
}
