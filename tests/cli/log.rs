//! `crm log`: ownership history derived from the trees, so changes made
//! with plain git count too; filters by customer, owner and date.

use serde_json::Value;

use crate::common::{customer_path, TestRepo};

fn events(repo: &TestRepo, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["log", "--format", "json"];
    all.extend_from_slice(args);
    let out = repo.crm(&all).ok();
    match out.json() {
        Value::Array(events) => events,
        other => panic!("not a JSON array: {other}"),
    }
}

/// `"ACTION CUSTOMER: FROM -> TO"` of each event, newest first.
fn summary(events: &[Value]) -> Vec<String> {
    let s = |v: &Value| v.as_str().unwrap_or("none").to_string();
    events
        .iter()
        .map(|e| format!("{} {}: {} -> {}", s(&e["action"]), s(&e["customer"]), s(&e["from"]), s(&e["to"])))
        .collect()
}

#[test]
fn an_owner_change_made_with_plain_git_is_a_reassign() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let rel = customer_path(&id);
    let text = repo.read(&rel);
    let changed = text.replace("owner = \"zhang.wei\"", "owner = \"wang.fang\"");
    assert_ne!(text, changed);
    repo.write(&rel, changed);
    repo.git(&["commit", "-q", "-am", "Give Acme to Fang"]);

    let log = events(&repo, &[&id]);
    assert_eq!(summary(&log), ["reassign acme: zhang.wei -> wang.fang", "add acme: none -> zhang.wei",]);
    let hand = &log[0];
    assert_eq!(hand["reason"], "Give Acme to Fang");
    assert_eq!(hand["signature"], "none");
    assert_eq!(hand["actor"], "liu.yang", "the committer's staff handle");
    assert_eq!(hand["commit"], repo.head().as_str());
    assert_eq!(hand["date"], "2026-11-20", "the commit's own date");

    // The table shows it as well.
    let out = repo.crm(&["log", &id]).ok();
    assert!(out.stdout.contains("Give Acme to Fang"), "{out}");
}

#[test]
fn json_events_have_the_documented_fields() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    repo.crm(&["reassign", &id, "--to", "li.na", "--reason", "region change"]).ok();
    let log = events(&repo, &[]);
    assert_eq!(log.len(), 2, "{log:?}");
    let mut keys: Vec<&str> = log[0].as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["action", "actor", "commit", "customer", "date", "from", "pool_reason", "reason", "signature", "time", "to"]
    );
    let e = &log[0];
    assert_eq!(e["action"], "reassign");
    assert_eq!(e["customer"], "acme");
    assert_eq!(e["from"], "zhang.wei");
    assert_eq!(e["to"], "li.na");
    assert_eq!(e["actor"], "liu.yang");
    assert_eq!(e["signature"], "none");
    assert_eq!(e["reason"], "region change");
    assert_eq!(e["commit"], repo.head().as_str());
    let commit = e["commit"].as_str().unwrap();
    assert!(commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()));
    let date = e["date"].as_str().unwrap();
    let time = e["time"].as_str().unwrap();
    assert_eq!(date.len(), 10, "{date}");
    assert!(time.starts_with(date) && time.contains('T'), "{time}");

    let add = &log[1];
    assert_eq!(add["action"], "add");
    assert_eq!(add["from"], Value::Null);
    assert_eq!(add["to"], "zhang.wei");
    assert_eq!(add["reason"], Value::Null);
}

/// History made with plain git at fixed dates (the committer's time zone
/// decides the date): alpha added 2026-03-01 (zhang.wei), beta added
/// 2026-06-01 (li.na), alpha moved to wang.fang 2026-09-01.
fn dated_history() -> TestRepo {
    let repo = TestRepo::standard();
    repo.write_customer("alpha", "name = \"Alpha\"\nowner = \"zhang.wei\"\n");
    repo.git(&["add", "-A"]);
    repo.git_at("2026-03-01T09:00:00+08:00", &["commit", "-q", "-m", "Add Alpha"]);
    repo.write_customer("beta", "name = \"Beta\"\nowner = \"li.na\"\n");
    repo.git(&["add", "-A"]);
    repo.git_at("2026-06-01T09:00:00+08:00", &["commit", "-q", "-m", "Add Beta"]);
    repo.write_customer("alpha", "name = \"Alpha\"\nowner = \"wang.fang\"\n");
    // 23:30 in Beijing is still 2026-09-01 there (15:30 UTC).
    repo.git_at("2026-09-01T23:30:00+08:00", &["commit", "-q", "-am", "Alpha to Fang"]);
    repo
}

#[test]
fn log_filters_by_customer_owner_and_dates() {
    let repo = dated_history();
    let reassign = "reassign alpha: zhang.wei -> wang.fang";
    let add_beta = "add beta: none -> li.na";
    let add_alpha = "add alpha: none -> zhang.wei";

    let all = events(&repo, &[]);
    assert_eq!(summary(&all), [reassign, add_beta, add_alpha]);
    let dates: Vec<_> = all.iter().map(|e| e["date"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2026-09-01", "2026-06-01", "2026-03-01"]);
    assert_eq!(all[0]["reason"], "Alpha to Fang");

    assert_eq!(summary(&events(&repo, &["alpha"])), [reassign, add_alpha]);
    assert_eq!(summary(&events(&repo, &["--owner", "li.na"])), [add_beta]);
    assert_eq!(summary(&events(&repo, &["--owner", "wang.fang"])), [reassign]);
    assert_eq!(summary(&events(&repo, &["--owner", "zhang.wei"])), [reassign, add_alpha]);
    assert_eq!(summary(&events(&repo, &["--since", "2026-05-01"])), [reassign, add_beta]);
    assert_eq!(summary(&events(&repo, &["--until", "2026-07-01"])), [add_beta, add_alpha]);
    assert_eq!(summary(&events(&repo, &["--since", "2026-05-01", "--until", "2026-07-01"])), [add_beta]);
    // Both ends are inclusive.
    assert_eq!(summary(&events(&repo, &["--since", "2026-06-01", "--until", "2026-06-01"])), [add_beta]);
    // A duration counts back from CRM_TODAY (2026-11-26): 3m = 2026-08-26.
    assert_eq!(summary(&events(&repo, &["--since", "3m"])), [reassign]);
    assert_eq!(summary(&events(&repo, &["alpha", "--until", "2026-08-31"])), [add_alpha]);
    // One customer's table leaves out the customer column (its id on every row).
    let header = |args: &[&str]| repo.crm(args).ok().stdout.lines().nth(1).unwrap_or_default().to_string();
    assert!(header(&["log"]).contains("customer"), "{}", header(&["log"]));
    let one = header(&["log", "alpha"]);
    assert!(!one.contains("customer") && one.contains("action") && one.contains("from"), "{one}");
}

#[test]
fn a_deleted_customer_file_is_a_remove() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    repo.git(&["rm", "-q", &customer_path(&id)]);
    repo.git(&["commit", "-q", "-m", "Drop Acme"]);
    let log = events(&repo, &[&id]);
    assert_eq!(summary(&log), ["remove acme: zhang.wei -> none", "add acme: none -> zhang.wei",]);
    assert_eq!(log[0]["reason"], "Drop Acme");
}

#[test]
fn log_of_an_unknown_customer_is_refused() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &[]);
    let before = repo.state();
    let out = repo.crm(&["log", "nosuch"]);
    repo.assert_refused(&out, 2, &["nosuch"], &before);
    let out = repo.crm(&["log", "--since", "soon"]);
    repo.assert_refused(&out, 2, &["soon"], &before);
    let out = repo.crm(&["log", "--until", "2026-02-30"]);
    repo.assert_refused(&out, 2, &["2026-02-30"], &before);
}

#[test]
fn an_unsigned_change_by_someone_not_on_the_staff_shows_their_email() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let rel = customer_path(&id);
    let text = repo.read(&rel).replace("owner = \"zhang.wei\"", "owner = \"wang.fang\"");
    repo.write(&rel, text);
    repo.git(&[
        "-c",
        "user.email=outsider@example.org",
        "-c",
        "user.name=Outsider",
        "commit",
        "-q",
        "-am",
        "Move Acme",
    ]);
    let log = events(&repo, &[&id]);
    assert_eq!(log[0]["action"], "reassign");
    assert_eq!(log[0]["signature"], "none");
    let actor = log[0]["actor"].as_str().unwrap();
    assert!(actor.contains("outsider@example.org"), "{actor}");
}

#[test]
fn a_change_merged_from_a_side_branch_is_dated_at_the_merge() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let rel = customer_path(&id);
    let main = repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim().to_string();
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write(&rel, repo.read(&rel).replace("owner = \"zhang.wei\"", "owner = \"wang.fang\""));
    repo.git(&["commit", "-q", "-am", "Side: Acme to Fang"]);
    let side = repo.head();
    repo.git(&["checkout", "-q", &main]);
    repo.git_at("2026-11-21T10:00:00+08:00", &["merge", "-q", "--no-ff", "-m", "Merge the side branch", "side"]);

    let log = events(&repo, &[&id]);
    assert_eq!(summary(&log), ["reassign acme: zhang.wei -> wang.fang", "add acme: none -> zhang.wei"]);
    assert_eq!(log[0]["commit"], repo.head().as_str(), "first-parent history: the merge");
    assert_ne!(log[0]["commit"], side.as_str());
    assert_eq!(log[0]["reason"], "Merge the side branch");
    assert_eq!(log[0]["date"], "2026-11-21");
}

#[test]
fn the_history_cache_changes_nothing_but_speed() {
    let repo = TestRepo::standard();
    let a = repo.add_customer("Acme", "zhang.wei", &[]);
    repo.crm(&["reassign", &a, "--to", "li.na", "--reason", "first"]).ok();
    let cached = repo.crm(&["log", "--format", "json"]).ok().stdout;
    assert!(repo.path(".git/crm/history").is_file(), "log keeps its index under .git/crm");

    // Without the cache, the same answer (and the cache is rebuilt).
    std::fs::remove_file(repo.path(".git/crm/history")).unwrap();
    assert_eq!(repo.crm(&["log", "--format", "json"]).ok().stdout, cached);

    // A damaged cache is rebuilt, not trusted.
    std::fs::write(repo.path(".git/crm/history"), "crm history v1 0123\nE\tgarbage\n").unwrap();
    assert_eq!(repo.crm(&["log", "--format", "json"]).ok().stdout, cached);

    // New commits, with crm or plain git, are added to it.
    let rel = customer_path(&a);
    repo.write(&rel, repo.read(&rel).replace("owner = \"li.na\"", "owner = \"wang.fang\""));
    repo.git(&["commit", "-q", "-am", "by hand"]);
    assert_eq!(summary(&events(&repo, &[&a]))[0], "reassign acme: li.na -> wang.fang");

    // History rewritten under the cache (a commit replaced) drops its events.
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.write(&rel, repo.read(&rel).replace("owner = \"li.na\"", "owner = \"zhang.wei\""));
    repo.git(&["commit", "-q", "-am", "other hand edit"]);
    let after = summary(&events(&repo, &[&a]));
    assert_eq!(after[0], "reassign acme: li.na -> zhang.wei");
    assert!(!after.iter().any(|e| e.contains("wang.fang")), "{after:?}");
    // The index is at HEAD now: one customer's log reads only its lines of
    // it, and says what a log without the index says, field for field.
    let from_index = repo.crm(&["log", &a, "--format", "json"]).ok().stdout;
    std::fs::remove_file(repo.path(".git/crm/history")).unwrap();
    assert_eq!(summary(&events(&repo, &[&a])), after);
    std::fs::remove_dir_all(repo.path(".git/crm")).unwrap();
    assert_eq!(repo.crm(&["log", &a, "--format", "json"]).ok().stdout, from_index);

    // Without the full index, one customer's log walks that file's path only
    // and keeps a small cache of its own; the answers are the same.
    std::fs::remove_dir_all(repo.path(".git/crm")).unwrap();
    assert_eq!(summary(&events(&repo, &[&a])), after);
    assert!(repo.path(&format!(".git/crm/paths/{a}")).is_file());
    assert_eq!(summary(&events(&repo, &[&a])), after, "from the cache");
    repo.crm(&["reassign", &a, "--to", "wang.fang", "--reason", "again"]).ok();
    let updated = summary(&events(&repo, &[&a]));
    assert_eq!(updated[0], "reassign acme: zhang.wei -> wang.fang");
    assert_eq!(&updated[1..], &after[..]);
}
