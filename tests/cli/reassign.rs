//! `crm reassign`: by id and in bulk, one commit, the dry run, and every
//! refusal (exit 2, nothing written).

use crate::common::{customer_path, trailer, TestRepo};

/// The standard store with yutong (key, zhang.wei, backup li.na) and acme
/// (zhang.wei).
fn store() -> TestRepo {
    let repo = TestRepo::standard();
    repo.add_customer(
        "郑州宇通客运集团",
        "zhang.wei",
        &["--id", "yutong", "--tier", "key", "--backup", "li.na", "--region", "华中"],
    );
    repo.add_customer("Acme", "zhang.wei", &["--region", "华南"]);
    repo
}

fn owner(repo: &TestRepo, id: &str) -> String {
    repo.read_toml(&customer_path(id))["owner"].as_str().unwrap().to_string()
}

fn backup(repo: &TestRepo, id: &str) -> Option<String> {
    repo.read_toml(&customer_path(id)).get("backup").and_then(|b| b.as_str()).map(str::to_string)
}

#[test]
fn reassign_one_customer_by_id() {
    let repo = store();
    let commits = repo.commit_count();
    let reason = "zhang.wei moves to the export team";
    let out = repo.crm(&["reassign", "acme", "--to", "wang.fang", "--reason", reason]).ok();
    assert!(out.stdout.contains("wang.fang"), "{out}");
    assert_eq!(owner(&repo, "acme"), "wang.fang");
    assert_eq!(owner(&repo, "yutong"), "zhang.wei");
    assert_eq!(repo.commit_count(), commits + 1);
    assert_eq!(repo.changed_paths("HEAD"), [customer_path("acme")]);
    assert_eq!(repo.status(), "");

    let message = repo.message("HEAD");
    assert_eq!(message.lines().next(), Some("reassign acme: zhang.wei -> wang.fang"));
    assert_eq!(trailer(&message, "Crm-Action").as_deref(), Some("reassign"));
    assert_eq!(trailer(&message, "Crm-Actor").as_deref(), Some("liu.yang"));
    assert_eq!(trailer(&message, "Crm-Reason").as_deref(), Some(reason));
    assert!(message.contains(&format!("\n\n{reason}\n\n")), "reason in body");
}

#[test]
fn reassigning_to_the_backup_makes_the_old_owner_the_backup() {
    let repo = store();
    repo.crm(&["reassign", "yutong", "--to", "li.na", "--reason", "handover"]).ok();
    assert_eq!(owner(&repo, "yutong"), "li.na");
    assert_eq!(backup(&repo, "yutong").as_deref(), Some("zhang.wei"));
}

#[test]
fn bulk_reassign_moves_everything_in_exactly_one_commit() {
    let repo = store();
    for name in ["Gamma", "Delta", "Epsilon"] {
        repo.add_customer(name, "zhang.wei", &[]);
    }
    let other = repo.add_customer("Kept Elsewhere", "wang.fang", &[]);
    let moved = ["yutong", "acme", "gamma", "delta", "epsilon"];
    let commits = repo.commit_count();
    let old_head = repo.head();

    let out = repo
        .crm(&["reassign", "--from", "zhang.wei", "--to", "li.na", "--reason", "zhang.wei left the company", "--yes"])
        .ok();
    assert!(out.stdout.contains("5 customer"), "{out}");

    assert_eq!(repo.commit_count(), commits + 1, "one commit for the lot");
    assert_eq!(repo.git(&["rev-parse", "HEAD^"]).trim(), old_head);
    let mut changed = repo.changed_paths("HEAD");
    changed.sort();
    let mut expected: Vec<String> = moved.iter().map(|id| customer_path(id)).collect();
    expected.sort();
    assert_eq!(changed, expected);
    for id in moved {
        assert_eq!(owner(&repo, id), "li.na", "{id}");
    }
    assert_eq!(owner(&repo, &other), "wang.fang");
    let subject = repo.git(&["log", "-1", "--format=%s"]);
    assert_eq!(subject.trim(), "reassign 5 customers: zhang.wei -> li.na");
    assert_eq!(repo.status(), "");

    // crm log shows five reassign events from that one commit.
    let events = repo.crm(&["log", "--format", "json"]).ok().json();
    let head = repo.head();
    let from_head: Vec<_> = events.as_array().unwrap().iter().filter(|e| e["commit"] == head.as_str()).collect();
    assert_eq!(from_head.len(), 5);
    assert!(from_head.iter().all(|e| e["action"] == "reassign"
        && e["from"] == "zhang.wei"
        && e["to"] == "li.na"
        && e["reason"] == "zhang.wei left the company"));
}

#[test]
fn bulk_reassign_narrowed_by_region() {
    let repo = store();
    repo.crm(&[
        "reassign",
        "--from",
        "zhang.wei",
        "--region",
        "华南",
        "--to",
        "wang.fang",
        "--reason",
        "south",
        "--yes",
    ])
    .ok();
    assert_eq!(owner(&repo, "acme"), "wang.fang");
    assert_eq!(owner(&repo, "yutong"), "zhang.wei");
    assert_eq!(repo.changed_paths("HEAD"), [customer_path("acme")]);
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let repo = store();
    let before = repo.state();
    let out = repo
        .crm(&[
            "reassign",
            "--from",
            "zhang.wei",
            "--to",
            "li.na",
            "--reason",
            "handover",
            "--dry-run",
            "--format",
            "json",
        ])
        .ok();
    assert_eq!(repo.state(), before, "a dry run writes nothing");
    let plan = out.json();
    assert!(plan["commit"].is_null(), "a dry run has no commit: {plan}");
    let moves = plan["moves"].as_array().expect("an array of moves");
    assert_eq!(moves.len(), 2);
    let mut ids: Vec<_> = moves.iter().map(|m| m["customer"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["acme", "yutong"]);
    for m in moves {
        assert_eq!(m["from"], "zhang.wei");
        assert_eq!(m["to"], "li.na");
    }
    let yutong = moves.iter().find(|m| m["customer"] == "yutong").unwrap();
    assert_eq!(yutong["backup_before"], "li.na");
    assert_eq!(yutong["backup_after"], "zhang.wei");

    let out = repo.crm(&["reassign", "acme", "--to", "li.na", "--reason", "x", "--dry-run"]).ok();
    assert!(out.stdout.contains("acme") && out.stdout.contains("li.na"), "{out}");
    assert_eq!(repo.state(), before);
}

#[test]
fn reassign_to_an_unknown_person_is_refused() {
    let repo = store();
    let before = repo.state();
    let out = repo.crm(&["reassign", "acme", "--to", "ghost", "--reason", "x"]);
    repo.assert_refused(&out, 2, &["ghost"], &before);
    let out = repo.crm(&["reassign", "--from", "ghost", "--to", "li.na", "--reason", "x", "--yes"]);
    repo.assert_refused(&out, 2, &["ghost"], &before);
}

#[test]
fn reassign_to_a_departed_person_is_refused() {
    let repo = store();
    let staff = "staff/wang.fang.toml";
    let text = repo.read(staff).replace("status = \"active\"", "status = \"departed\"");
    assert!(text.contains("departed"));
    repo.write(staff, text + "left = 2026-11-01\n");
    repo.commit_all("wang.fang has left");
    let before = repo.state();
    let out = repo.crm(&["reassign", "acme", "--to", "wang.fang", "--reason", "x"]);
    repo.assert_refused(&out, 2, &["wang.fang", "departed"], &before);
}

#[test]
fn reassign_of_an_unknown_customer_is_refused() {
    let repo = store();
    let before = repo.state();
    let out = repo.crm(&["reassign", "acme", "nosuch", "--to", "li.na", "--reason", "x"]);
    repo.assert_refused(&out, 2, &["nosuch"], &before);
    assert_eq!(owner(&repo, "acme"), "zhang.wei", "all or nothing");
}

#[test]
fn reassign_without_a_reason_is_refused() {
    let repo = store();
    let before = repo.state();
    let out = repo.crm(&["reassign", "acme", "--to", "li.na"]);
    repo.assert_refused(&out, 2, &["--reason"], &before);
    let out = repo.crm(&["reassign", "acme", "--to", "li.na", "--reason", "  "]);
    repo.assert_refused(&out, 2, &["reason"], &before);
}

#[test]
fn reassign_to_the_current_owner_is_nothing_to_do() {
    let repo = store();
    let before = repo.state();
    let out = repo.crm(&["reassign", "acme", "--to", "zhang.wei", "--reason", "x"]);
    repo.assert_refused(&out, 2, &["nothing to do"], &before);
}

#[test]
fn a_rep_cannot_take_another_reps_customer() {
    let repo = store();
    let before = repo.state();
    let out = repo.crm_as("wang.fang", &["reassign", "acme", "--to", "wang.fang", "--reason", "mine now"]);
    repo.assert_refused(&out, 2, &["wang.fang", "acme"], &before);
    let out = repo.crm_as(
        "wang.fang",
        &["reassign", "--from", "zhang.wei", "--to", "wang.fang", "--reason", "mine now", "--yes"],
    );
    repo.assert_refused(&out, 2, &["wang.fang"], &before);
    // An owner may hand their own customer to someone else.
    repo.crm_as("zhang.wei", &["reassign", "acme", "--to", "wang.fang", "--reason", "she covers 华南"]).ok();
    assert_eq!(owner(&repo, "acme"), "wang.fang");
    assert_eq!(trailer(&repo.message("HEAD"), "Crm-Actor").as_deref(), Some("zhang.wei"));
}

#[test]
fn reassign_changes_only_the_owner_value_of_a_hand_edited_file() {
    let repo = TestRepo::standard();
    let original = "# key account\nname   = \"Acme\"\nowner  = \"zhang.wei\"   # since 2019\nfax = \"+86 371 0000\"\n\n[[touches]]\ndate = 2026-10-01\nby = \"zhang.wei\"\nkind = \"visit\"\nsummary = \"Intro\"\n";
    let rel = repo.write_customer("acme", original);
    repo.commit_all("Add Acme by hand");
    repo.crm(&["reassign", "acme", "--to", "li.na", "--reason", "handover"]).ok();
    let expected = original.replace("owner  = \"zhang.wei\"   # since 2019", "owner  = \"li.na\"   # since 2019");
    assert_eq!(repo.read(&rel), expected);
}

#[test]
fn handover_from_a_departed_owner_drops_them_as_backup() {
    let repo = store();
    let rel = "staff/zhang.wei.toml";
    let text = repo.read(rel).replace("status = \"active\"", "status = \"departed\"");
    repo.write(rel, text);
    repo.commit_all("zhang.wei has left");
    repo.crm(&["reassign", "--from", "zhang.wei", "--to", "li.na", "--reason", "handover", "--yes"]).ok();
    assert_eq!(owner(&repo, "yutong"), "li.na");
    assert_eq!(owner(&repo, "acme"), "li.na");
    // li.na was yutong's backup; the departed previous owner does not
    // become the backup.
    assert_eq!(backup(&repo, "yutong"), None);
}

#[test]
fn a_repeated_id_is_moved_once() {
    let repo = store();
    let out = repo
        .crm(&["reassign", "acme", "acme", "--to", "li.na", "--reason", "typo in a script", "--format", "json"])
        .ok();
    let moves = out.json()["moves"].as_array().unwrap().len();
    assert_eq!(moves, 1, "one customer moved\n{out}");
    let subject = repo.git(&["log", "-1", "--format=%s"]);
    assert_eq!(subject.trim(), "reassign acme: zhang.wei -> li.na");
}
