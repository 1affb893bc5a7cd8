//! Real-world broken files (`tests/fixtures/bad-toml` (copied from the shared fixtures)), committed
//! with plain git as `customers/<xx>/<stem>.toml`: a command that needs the
//! file itself (show, edit, a bulk write) fails with exit 2 naming the file
//! (and line), never a panic; a command that reads every file (list, export,
//! staff list, reports) shows everything else, names the file on stderr and
//! exits 1; escapes in valid data never reach the terminal raw.

use crate::common::{customer_path, TestRepo};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bad-toml");

/// The standard store with fixture `stem` committed at its shard path;
/// returns the store and the file's path.
fn store_with(stem: &str) -> (TestRepo, String) {
    let repo = TestRepo::standard();
    let rel = customer_path(stem);
    let bytes = std::fs::read(format!("{FIXTURES}/{stem}.toml")).expect("fixture");
    repo.write(&rel, bytes);
    repo.commit_all(&format!("Add {stem} by hand"));
    (repo, rel)
}

#[test]
fn malformed_file_is_named_with_its_line() {
    let (repo, rel) = store_with("malformed");
    let before = repo.state();
    let where_ = format!("{rel}:3:");
    let out = repo.crm(&["show", "malformed"]);
    repo.assert_refused(&out, 2, &[&where_], &before);
    let out = repo.crm(&["edit", "malformed", "--set", "tier=key"]);
    repo.assert_refused(&out, 2, &[&where_], &before);
    assert_left_out(&repo, &format!("{rel}:3:8: "));
}

#[test]
fn invalid_utf8_file_is_named() {
    let (repo, rel) = store_with("invalid-utf8");
    let before = repo.state();
    let out = repo.crm(&["show", "invalid-utf8"]);
    repo.assert_refused(&out, 2, &[&rel, "UTF-8"], &before);
    assert_left_out(&repo, &format!("{rel}:1:13: invalid UTF-8 at byte 12"));
}

/// Every command that reads all customers lists the others (zhang.wei's
/// `acme`), names the file on stderr (a warning starting with `place`) and
/// exits 1.
#[track_caller]
fn assert_left_out(repo: &TestRepo, place: &str) {
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let before = repo.state();
    let reads: &[&[&str]] = &[
        &["list"],
        &["list", "--format", "json"],
        &["export", "--format", "json"],
        &["staff", "list"],
        &["staff", "show", "zhang.wei"],
        &["report", "portfolio"],
        &["report", "handover", "--format", "md"],
    ];
    for args in reads {
        let out = repo.crm_left_out(args, &[place]);
        let shown = out.stdout.contains(&id) || out.stdout.contains("zhang.wei");
        assert!(shown, "{args:?} shows what it could read\n{out}");
    }
    assert_eq!(repo.state(), before);
    let report = repo.crm_left_out(&["report", "handover", "--format", "json"], &[place]);
    let path = place.split(':').next().unwrap_or_default();
    assert_eq!(report.json()["unreadable"][0]["path"], path, "{report}");
}

#[test]
fn schema_errors_name_the_file_and_line() {
    for (stem, needles) in [
        ("duplicate-key", &[":3:", "owner"][..]),
        ("wrong-type", &[":2:", "owner"]),
        ("impossible-date", &[":3:"]),
        ("missing-owner", &["owner"]),
    ] {
        let (repo, rel) = store_with(stem);
        let before = repo.state();
        let out = repo.crm(&["show", stem]);
        let mut all = vec![rel.as_str()];
        all.extend_from_slice(needles);
        repo.assert_refused(&out, 2, &all, &before);
        // Reassigning everyone's customers must read this file too.
        let out = repo.crm(&["reassign", "--from", "li.na", "--to", "zhang.wei", "--reason", "x", "--yes"]);
        repo.assert_refused(&out, 2, &[&rel], &before);
    }
}

#[test]
fn unknown_keys_are_read_and_kept_on_rewrite() {
    let (repo, rel) = store_with("unknown-keys");
    let json = repo.crm(&["show", "unknown-keys", "--format", "json"]).ok().json();
    assert_eq!(json["name"], "Extra Keys");
    repo.crm(&["edit", "unknown-keys", "--set", "tier=prospect"]).ok();
    let text = repo.read(&rel);
    assert!(text.contains("fax = \"+86 371 0000\"\n"), "{text}");
}

#[test]
fn terminal_escapes_in_names_never_reach_the_terminal_raw() {
    let (repo, _) = store_with("terminal-escape");
    for args in [
        &["show", "terminal-escape"][..],
        &["show", "terminal-escape", "--format", "md"],
        &["show", "terminal-escape", "--format", "csv"],
        &["list"],
        &["list", "--format", "md"],
        &["list", "--format", "csv"],
        &["staff", "show", "li.na"],
    ] {
        let out = repo.crm(args).ok();
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'),
            "{args:?} printed raw control characters:\n{}",
            out.stdout.escape_debug()
        );
        assert!(!out.stderr.contains('\u{1b}'), "{args:?}");
    }
    // JSON keeps the data exact, escaped the JSON way.
    let out = repo.crm(&["show", "terminal-escape", "--format", "json"]).ok();
    assert!(!out.stdout.contains('\u{1b}'));
    assert_eq!(out.json()["name"], "Evil \u{1b}[31mRed\u{1b}[0m \u{1b}]0;pwned\u{7} Co");
}

#[test]
fn malformed_staff_file_and_settings_are_named() {
    let repo = TestRepo::standard();
    repo.write("staff/zhang.wei.toml", "name = \"张伟\"\nemail = \"zhang.wei@example.com\"\nrole = \"boss\"\n");
    repo.commit_all("Promote zhang.wei by hand");
    let before = repo.state();
    let out = repo.crm_left_out(&["staff", "list"], &["staff/zhang.wei.toml:3:"]);
    assert!(out.stdout.contains("li.na") && !out.stdout.contains("zhang.wei"), "the others are listed\n{out}");
    assert_eq!(repo.state(), before);
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "li.na"]);
    repo.assert_refused(&out, 2, &["staff/zhang.wei.toml:3:"], &before);

    let repo = TestRepo::standard();
    let text = repo.read("crm.toml").replace("stale_after_days = 90", "stale_after_days = \"ninety\"");
    let line = 1 + text.lines().position(|l| l.contains("ninety")).expect("crm.toml has stale_after_days");
    repo.write("crm.toml", text);
    repo.commit_all("Break the settings");
    let before = repo.state();
    let out = repo.crm(&["list"]);
    repo.assert_refused(&out, 2, &[&format!("crm.toml:{line}:")], &before);
}

#[test]
fn an_unknown_policy_value_is_named_with_its_line() {
    let repo = TestRepo::standard();
    let text = repo.read("crm.toml").replace("manager_scope = \"region\"", "manager_scope = \"planet\"");
    let line = 1 + text.lines().position(|l| l.contains("planet")).expect("crm.toml has manager_scope");
    repo.write("crm.toml", text);
    repo.commit_all("A scope that does not exist");
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "li.na"]);
    repo.assert_refused(&out, 2, &[&format!("crm.toml:{line}:"), "planet"], &before);
    let out = repo.crm(&["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    let finding = out.json()["findings"].as_array().unwrap().iter().find(|f| f["path"] == "crm.toml").cloned();
    let finding = finding.unwrap_or_else(|| panic!("crm.toml is named\n{out}"));
    assert_eq!((finding["rule"].as_str(), finding["line"].as_u64()), (Some("missing-config"), Some(line as u64)));
}
