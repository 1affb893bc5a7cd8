//! `crm staff leave` and `crm staff rehire`: handing over to one successor
//! (`--to`), spreading by value across the region (`--spread`), pending
//! handovers with their deadline, a whole region leaving, rehire, and every
//! refusal (exit 2, nothing written).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::{customer_path, toml_date, trailer, Output, TestRepo, TODAY};

/// Adds a staff member (as the admin).
fn add_staff(repo: &TestRepo, handle: &str, role: &str, region: &str) {
    let email = format!("{handle}@example.com");
    repo.crm(&["staff", "add", handle, "--name", handle, "--email", &email, "--role", role, "--region", region]).ok();
}

/// The admin, three people in 华北 (zhao.lei and sun.li reps, zhou.jie
/// manager) and wang.fang (rep, 华南).
fn north() -> TestRepo {
    let repo = TestRepo::init();
    add_staff(&repo, "zhao.lei", "rep", "华北");
    add_staff(&repo, "sun.li", "rep", "华北");
    add_staff(&repo, "zhou.jie", "manager", "华北");
    add_staff(&repo, "wang.fang", "rep", "华南");
    repo
}

/// The six customers of zhao.lei worth 100, 90, …, 50, no backups.
fn north_with_six() -> TestRepo {
    let repo = north();
    for value in [100, 90, 80, 70, 60, 50] {
        let id = format!("c{value}");
        let v = value.to_string();
        repo.add_customer(&format!("Customer {value}"), "zhao.lei", &["--id", &id, "--value", &v, "--region", "华北"]);
    }
    repo
}

fn customer(repo: &TestRepo, id: &str) -> toml::Table {
    repo.read_toml(&customer_path(id))
}

fn owner(repo: &TestRepo, id: &str) -> String {
    customer(repo, id)["owner"].as_str().unwrap().to_string()
}

fn backup(repo: &TestRepo, id: &str) -> Option<String> {
    customer(repo, id).get("backup").and_then(|b| b.as_str()).map(str::to_string)
}

fn staff_file(repo: &TestRepo, handle: &str) -> toml::Table {
    repo.read_toml(&format!("staff/{handle}.toml"))
}

fn is_active(repo: &TestRepo, handle: &str) -> bool {
    staff_file(repo, handle).get("status").and_then(|s| s.as_str()).unwrap_or("active") == "active"
}

/// `customer → new owner` of a plan's ownership moves (from ≠ to).
fn owner_moves(plan: &Value) -> BTreeMap<String, String> {
    plan["moves"]
        .as_array()
        .unwrap_or_else(|| panic!("no moves in {plan}"))
        .iter()
        .filter(|m| m["from"] != m["to"])
        .map(|m| (m["customer"].as_str().unwrap().to_string(), m["to"].as_str().unwrap().to_string()))
        .collect()
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

/// The ids `crm list --orphaned` prints.
fn orphaned(repo: &TestRepo) -> BTreeSet<String> {
    let out = repo.crm(&["list", "--orphaned", "--format", "json"]).ok();
    out.json().as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

fn handover_json(repo: &TestRepo, today: &str) -> Value {
    repo.crm_today(today, None, &["report", "handover", "--format", "json"]).ok().json()
}

// --- --to ---------------------------------------------------------------

#[test]
fn leave_to_hands_everything_over_in_one_commit() {
    let repo = TestRepo::standard();
    // Owned by the leaver: one whose backup is the successor, one whose
    // backup is someone else.
    repo.add_customer("郑州宇通客运集团", "zhang.wei", &["--id", "yutong", "--tier", "key", "--backup", "li.na"]);
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme", "--backup", "wang.fang", "--value", "500"]);
    // Backed up by the leaver: owned by someone else, and by the successor.
    repo.add_customer("Gamma", "wang.fang", &["--id", "gamma", "--tier", "key", "--backup", "zhang.wei"]);
    repo.add_customer("Delta", "li.na", &["--id", "delta", "--tier", "key", "--backup", "zhang.wei"]);
    repo.add_customer("Untouched", "wang.fang", &["--id", "untouched"]);
    let commits = repo.commit_count();
    let old_head = repo.head();

    let reason = "joined a competitor";
    let out = repo
        .crm(&[
            "staff",
            "leave",
            "zhang.wei",
            "--on",
            "2026-11-30",
            "--to",
            "li.na",
            "--no-rehire",
            "--reason",
            reason,
            "--yes",
            "--format",
            "json",
        ])
        .ok();

    assert_eq!(repo.commit_count(), commits + 1, "one commit for the whole departure");
    assert_eq!(repo.git(&["rev-parse", "HEAD^"]).trim(), old_head);
    assert_eq!(repo.status(), "");

    let plan = out.json();
    assert_eq!(plan["person"], "zhang.wei");
    assert_eq!(plan["left"], "2026-11-30");
    assert_eq!(plan["rehire"], false);
    assert_eq!(plan["deadline"], "2026-12-14", "left + handover_days (14)");
    assert_eq!(plan["pending"], serde_json::json!([]));
    assert_eq!(plan["commit"].as_str(), Some(repo.head().as_str()));
    assert_eq!(
        owner_moves(&plan),
        BTreeMap::from([("acme".to_string(), "li.na".to_string()), ("yutong".to_string(), "li.na".to_string())])
    );

    // The staff file.
    let person = staff_file(&repo, "zhang.wei");
    assert_eq!(person["status"].as_str(), Some("departed"));
    assert_eq!(toml_date(&person["left"]), "2026-11-30");
    assert_eq!(person["rehire"].as_bool(), Some(false));
    assert_eq!(person["name"].as_str(), Some("张伟"), "the rest of the file is kept");

    // Ownership.
    assert_eq!(owner(&repo, "yutong"), "li.na");
    assert_eq!(owner(&repo, "acme"), "li.na");
    assert_eq!(backup(&repo, "acme").as_deref(), Some("wang.fang"), "a valid backup is kept");
    let yutong_backup = backup(&repo, "yutong").expect("the key account keeps a backup");
    assert_ne!(yutong_backup, "li.na", "the new owner cannot be the backup");
    assert_ne!(yutong_backup, "zhang.wei", "the leaver cannot be the backup");
    assert!(is_active(&repo, &yutong_backup));

    // Backup duties of the leaver get someone new, never the owner.
    assert_eq!(owner(&repo, "gamma"), "wang.fang");
    assert_eq!(backup(&repo, "gamma").as_deref(), Some("li.na"), "the leaver's region colleague first");
    assert_eq!(owner(&repo, "delta"), "li.na");
    let delta_backup = backup(&repo, "delta").expect("delta keeps a backup");
    assert_ne!(delta_backup, "li.na");
    assert_ne!(delta_backup, "zhang.wei");
    assert!(is_active(&repo, &delta_backup));

    // Exactly the files involved.
    let mut changed = repo.changed_paths("HEAD");
    changed.sort();
    let mut expected: Vec<String> = ["yutong", "acme", "gamma", "delta"].iter().map(|id| customer_path(id)).collect();
    expected.push("staff/zhang.wei.toml".into());
    expected.sort();
    assert_eq!(changed, expected);

    // The commit message.
    let message = repo.message("HEAD");
    assert_eq!(message.lines().next(), Some("staff leave zhang.wei: 2 customers to li.na"));
    assert_eq!(trailer(&message, "Crm-Action").as_deref(), Some("staff-leave"));
    assert_eq!(trailer(&message, "Crm-Actor").as_deref(), Some("liu.yang"));
    assert_eq!(trailer(&message, "Crm-Reason").as_deref(), Some(reason));

    // Nothing is left behind, and the store is consistent.
    assert!(orphaned(&repo).is_empty());
    let report = handover_json(&repo, TODAY);
    assert_eq!(report["pending"], serde_json::json!([]));
    assert_eq!(report["no_backup"], serde_json::json!([]));
    repo.crm(&["check"]).ok();
}

#[test]
fn leave_defaults_to_today_and_rehire_eligible() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    let out = repo.crm(&["staff", "leave", "zhang.wei", "--to", "wang.fang", "--format", "json"]).ok();
    let plan = out.json();
    assert_eq!(plan["left"], TODAY);
    assert_eq!(plan["rehire"], true);
    let person = staff_file(&repo, "zhang.wei");
    assert_eq!(toml_date(&person["left"]), TODAY);
    assert_eq!(person["rehire"].as_bool(), Some(true));
    assert_eq!(owner(&repo, "acme"), "wang.fang");
    assert_eq!(trailer(&repo.message("HEAD"), "Crm-Action").as_deref(), Some("staff-leave"));
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    let before = repo.state();
    let out = repo.crm(&["staff", "leave", "zhang.wei", "--to", "li.na", "--dry-run", "--format", "json"]).ok();
    assert_eq!(repo.state(), before);
    let plan = out.json();
    assert_eq!(plan["commit"], Value::Null);
    assert_eq!(owner_moves(&plan), BTreeMap::from([("acme".to_string(), "li.na".to_string())]));
    assert!(is_active(&repo, "zhang.wei"));
    assert_eq!(owner(&repo, "acme"), "zhang.wei");

    let out = repo.crm(&["staff", "leave", "zhang.wei", "--to", "li.na", "--dry-run"]).ok();
    assert!(out.stdout.contains("would leave"), "{out}");
    assert!(out.stdout.contains("acme") && out.stdout.contains("li.na"), "{out}");
    assert_eq!(repo.state(), before);
}

// --- --spread -----------------------------------------------------------

#[test]
fn spread_balances_by_value_greedily_and_deterministically() {
    let repo = north_with_six();
    let before = repo.state();
    let commits = repo.commit_count();
    let args = ["staff", "leave", "zhao.lei", "--spread", "--yes", "--format", "json"];
    let dry: Vec<&str> = args.iter().copied().chain(["--dry-run"]).collect();
    let first = repo.crm(&dry).ok().json();
    let second = repo.crm(&dry).ok().json();
    assert_eq!(first, second, "the same plan twice");
    assert_eq!(repo.state(), before, "dry runs write nothing");

    // Biggest first, each to whoever has the least value so far (ties: fewer
    // customers, then handle): 100 sun.li, 90 zhou.jie, 80 zhou.jie, 70
    // sun.li, 60 sun.li, 50 zhou.jie.
    let expected: BTreeMap<String, String> = [
        ("c100", "sun.li"),
        ("c90", "zhou.jie"),
        ("c80", "zhou.jie"),
        ("c70", "sun.li"),
        ("c60", "sun.li"),
        ("c50", "zhou.jie"),
    ]
    .iter()
    .map(|(c, h)| (c.to_string(), h.to_string()))
    .collect();
    assert_eq!(owner_moves(&first), expected);

    let done = repo.crm(&args).ok().json();
    assert_eq!(done["moves"], first["moves"], "the run does what the dry run said");
    assert_eq!(repo.commit_count(), commits + 1, "one commit");

    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for value in [100, 90, 80, 70, 60, 50] {
        let id = format!("c{value}");
        let new_owner = owner(&repo, &id);
        assert_eq!(new_owner, expected[&id], "{id}");
        *totals.entry(new_owner).or_default() += value;
    }
    assert_eq!(totals, BTreeMap::from([("sun.li".to_string(), 230), ("zhou.jie".to_string(), 220)]));
    let spread = totals.values().max().unwrap() - totals.values().min().unwrap();
    assert!(spread <= 100, "no more apart than the biggest customer: {totals:?}");

    let message = repo.message("HEAD");
    assert_eq!(message.lines().next(), Some("staff leave zhao.lei: 6 customers spread"));
    assert_eq!(trailer(&message, "Crm-Action").as_deref(), Some("staff-leave"));
    assert_eq!(staff_file(&repo, "zhao.lei")["status"].as_str(), Some("departed"));
}

#[test]
fn spread_never_makes_an_owner_their_own_backup() {
    let repo = north();
    // By value and handle alone, k1 would go to sun.li, its backup.
    repo.add_customer("K1", "zhao.lei", &["--id", "k1", "--tier", "key", "--backup", "sun.li", "--value", "100"]);
    repo.add_customer("K2", "zhao.lei", &["--id", "k2", "--tier", "key", "--backup", "zhou.jie", "--value", "90"]);
    repo.add_customer("K3", "zhao.lei", &["--id", "k3", "--tier", "key", "--backup", "wang.fang", "--value", "10"]);
    // The leaver is backup of a colleague's customer.
    repo.add_customer("B1", "sun.li", &["--id", "b1", "--tier", "key", "--backup", "zhao.lei", "--value", "5"]);
    repo.crm(&["staff", "leave", "zhao.lei", "--spread", "--yes"]).ok();

    assert_eq!(owner(&repo, "k1"), "zhou.jie", "not to its backup sun.li");
    assert_eq!(owner(&repo, "k2"), "sun.li", "not to its backup zhou.jie");
    assert_eq!(owner(&repo, "b1"), "sun.li");
    for id in ["k1", "k2", "k3", "b1"] {
        let (o, b) = (owner(&repo, id), backup(&repo, id).unwrap_or_else(|| panic!("{id} lost its backup")));
        assert_ne!(o, "zhao.lei", "{id} still owned by the leaver");
        assert_ne!(b, "zhao.lei", "{id} still backed by the leaver");
        assert_ne!(o, b, "{id}: owner is backup");
        assert!(is_active(&repo, &b), "{id}: backup {b} not active");
    }
    assert_eq!(backup(&repo, "k1").as_deref(), Some("sun.li"), "a valid backup is kept");
    assert_eq!(backup(&repo, "k2").as_deref(), Some("zhou.jie"));
    let report = handover_json(&repo, TODAY);
    assert_eq!(report["no_backup"], serde_json::json!([]), "{report}");
}

#[test]
fn spread_falls_back_to_reps_of_other_regions() {
    let repo = TestRepo::init();
    add_staff(&repo, "lone.wolf", "rep", "西北");
    add_staff(&repo, "zhang.wei", "rep", "华中");
    add_staff(&repo, "wang.fang", "rep", "华南");
    add_staff(&repo, "li.na", "manager", "华中");
    for value in [40, 30, 20, 10] {
        let (id, v) = (format!("w{value}"), value.to_string());
        repo.add_customer(&id, "lone.wolf", &["--id", &id, "--value", &v, "--region", "西北"]);
    }
    let out = repo.crm(&["staff", "leave", "lone.wolf", "--spread", "--format", "json"]).ok();
    let moves = owner_moves(&out.json());
    assert_eq!(moves.len(), 4, "{out}");
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for value in [40, 30, 20, 10] {
        let id = format!("w{value}");
        let o = owner(&repo, &id);
        assert!(o == "zhang.wei" || o == "wang.fang", "{id} went to {o}: only active reps take over");
        *totals.entry(o).or_default() += value;
    }
    assert_eq!(totals, BTreeMap::from([("wang.fang".to_string(), 50), ("zhang.wei".to_string(), 50)]));
}

// --- no successor: pending handovers -------------------------------------

#[test]
fn leave_without_successor_leaves_pending_handovers_that_count_down() {
    let repo = TestRepo::standard();
    repo.add_customer("郑州宇通客运集团", "zhang.wei", &["--id", "yutong", "--tier", "key", "--backup", "li.na"]);
    repo.crm(&["edit", "yutong", "--set", "value=5000000"]).ok();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme", "--value", "1000000"]);
    repo.add_customer("Backed", "wang.fang", &["--id", "backed", "--tier", "key", "--backup", "zhang.wei"]);
    repo.add_customer("Other", "wang.fang", &["--id", "other"]);

    let out = repo.crm(&["staff", "leave", "zhang.wei", "--on", "2026-11-20", "--format", "json"]).ok();
    let plan = out.json();
    assert_eq!(plan["moves"], serde_json::json!([]));
    assert_eq!(set(&plan["pending"]), strs(&["acme", "yutong"]));
    assert_eq!(plan["deadline"], "2026-12-04");
    assert_eq!(repo.changed_paths("HEAD"), ["staff/zhang.wei.toml"], "only the staff file");
    assert_eq!(repo.message("HEAD").lines().next(), Some("staff leave zhang.wei: 2 customers pending handover"));
    assert_eq!(owner(&repo, "yutong"), "zhang.wei");
    assert_eq!(owner(&repo, "acme"), "zhang.wei");
    assert_eq!(backup(&repo, "backed").as_deref(), Some("zhang.wei"), "backups stay too");

    assert_eq!(orphaned(&repo), strs(&["acme", "yutong"]));

    // days_left counts down to the deadline, then goes negative.
    for (today, days_left, overdue) in [
        (TODAY, 8, false),
        ("2026-12-01", 3, false),
        ("2026-12-04", 0, false),
        ("2026-12-05", -1, true),
        ("2027-01-15", -42, true),
    ] {
        let report = handover_json(&repo, today);
        let pending = report["pending"].as_array().unwrap();
        assert_eq!(pending.len(), 1, "{today}: {report}");
        let p = &pending[0];
        assert_eq!(p["person"], "zhang.wei");
        assert_eq!(p["name"], "张伟");
        assert_eq!(p["left"], "2026-11-20");
        assert_eq!(p["deadline"], "2026-12-04");
        assert_eq!(set(&p["customers"]), strs(&["acme", "yutong"]));
        assert_eq!(p["value"], 6_000_000);
        assert_eq!(p["days_left"], days_left, "{today}");
        assert_eq!(p["overdue"], overdue, "{today}");
    }

    // --fail-on overdue only fails once the deadline has passed.
    let before = repo.state();
    let fail = ["report", "handover", "--fail-on", "overdue", "--format", "json"];
    assert_eq!(repo.crm_findings(TODAY, &fail).code, 0);
    let late = repo.crm_findings("2027-01-15", &fail);
    assert_eq!(late.code, 1, "{late}");
    assert!(late.stderr.contains("overdue"), "names the failing section\n{late}");
    assert_eq!(late.json()["pending"][0]["overdue"], true);
    assert_eq!(repo.crm_findings(TODAY, &["report", "handover", "--fail-on", "pending"]).code, 1);
    assert_eq!(repo.state(), before, "reports write nothing");

    // Handing over later clears it.
    repo.crm(&["reassign", "--from", "zhang.wei", "--to", "li.na", "--reason", "handover", "--yes"]).ok();
    assert!(orphaned(&repo).is_empty());
    assert_eq!(handover_json(&repo, "2027-01-15")["pending"], serde_json::json!([]));
    assert_eq!(repo.crm_findings("2027-01-15", &fail).code, 0);
}

#[test]
fn a_whole_region_leaving_shows_in_exposure_and_pending() {
    let repo = north();
    repo.add_customer("N1", "zhao.lei", &["--id", "n1", "--tier", "key", "--backup", "sun.li", "--value", "300"]);
    repo.add_customer("N2", "sun.li", &["--id", "n2", "--tier", "key", "--backup", "zhou.jie", "--value", "200"]);
    repo.add_customer("N3", "zhou.jie", &["--id", "n3", "--value", "100"]);
    repo.add_customer("S1", "wang.fang", &["--id", "s1", "--tier", "key", "--backup", "sun.li", "--value", "50"]);
    repo.add_customer("S2", "wang.fang", &["--id", "s2", "--value", "10"]);

    let exposure = |report: &Value| -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>, u64)> {
        report["exposure"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let key = e["region"].as_str().unwrap().to_string();
                (key, (set(&e["people"]), set(&e["customers"]), e["value"].as_u64().unwrap()))
            })
            .collect()
    };

    let report = handover_json(&repo, TODAY);
    let before = exposure(&report);
    assert_eq!(before["华北"], (strs(&["sun.li", "zhao.lei", "zhou.jie"]), strs(&["n1", "n2", "n3"]), 600));
    assert_eq!(before["华南"], (strs(&["wang.fang"]), strs(&["s2"]), 10), "s1's backup is still there");
    assert_eq!(report["pending"], serde_json::json!([]));

    repo.crm(&["staff", "leave", "zhao.lei", "--on", "2026-11-20"]).ok();
    let middle = exposure(&handover_json(&repo, TODAY));
    assert_eq!(middle["华北"], (strs(&["sun.li", "zhou.jie"]), strs(&["n1", "n2", "n3"]), 600));

    repo.crm(&["staff", "leave", "sun.li", "--on", "2026-11-22"]).ok();
    repo.crm(&["staff", "leave", "zhou.jie", "--on", "2026-11-24"]).ok();
    let report = handover_json(&repo, TODAY);
    let after = exposure(&report);
    assert!(!after.contains_key("华北"), "nobody active is left in 华北: {report}");
    assert_eq!(after["华南"], (strs(&["wang.fang"]), strs(&["s1", "s2"]), 60), "s1 lost its backup");

    let pending: Vec<(String, Vec<String>, u64, i64)> = report["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let customers =
                p["customers"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
            (
                p["person"].as_str().unwrap().to_string(),
                customers,
                p["value"].as_u64().unwrap(),
                p["days_left"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pending,
        [
            ("zhao.lei".to_string(), vec!["n1".to_string()], 300, 8),
            ("sun.li".to_string(), vec!["n2".to_string()], 200, 10),
            ("zhou.jie".to_string(), vec!["n3".to_string()], 100, 12),
        ],
        "most urgent first"
    );
    let no_backup: BTreeMap<String, String> = report["no_backup"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["customer"].as_str().unwrap().to_string(), b["problem"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        no_backup,
        BTreeMap::from([
            ("n1".to_string(), "departed".to_string()),
            ("n2".to_string(), "departed".to_string()),
            ("s1".to_string(), "departed".to_string()),
        ])
    );
    assert_eq!(orphaned(&repo), strs(&["n1", "n2", "n3"]));
    let fail = repo.crm_findings(TODAY, &["report", "handover", "--fail-on", "exposure,pending"]);
    assert_eq!(fail.code, 1, "{fail}");
    assert!(fail.stderr.contains("exposure") && fail.stderr.contains("pending"), "{fail}");
}

// --- rehire -------------------------------------------------------------

#[test]
fn rehire_brings_back_an_eligible_person() {
    let repo = TestRepo::standard();
    repo.crm(&["staff", "leave", "zhang.wei", "--on", "2026-11-01"]).ok();
    let commits = repo.commit_count();
    let out = repo.crm(&["staff", "rehire", "zhang.wei", "--format", "json"]).ok();
    assert_eq!(out.json()["person"], "zhang.wei");
    assert_eq!(out.json()["commit"].as_str(), Some(repo.head().as_str()));
    assert_eq!(repo.commit_count(), commits + 1);
    assert_eq!(repo.changed_paths("HEAD"), ["staff/zhang.wei.toml"]);
    let person = staff_file(&repo, "zhang.wei");
    assert_eq!(person["status"].as_str(), Some("active"));
    assert!(!person.contains_key("left") && !person.contains_key("rehire"), "{person:?}");
    assert_eq!(trailer(&repo.message("HEAD"), "Crm-Action").as_deref(), Some("staff-rehire"));
    // Active again: can own customers and leave again.
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    repo.crm(&["staff", "leave", "zhang.wei", "--to", "li.na"]).ok();
    assert_eq!(owner(&repo, "acme"), "li.na");
}

#[test]
fn rehire_is_refused_after_no_rehire() {
    let repo = TestRepo::standard();
    repo.crm(&["staff", "leave", "zhang.wei", "--on", "2026-11-01", "--no-rehire"]).ok();
    let before = repo.state();
    let out = repo.crm(&["staff", "rehire", "zhang.wei"]);
    repo.assert_refused(&out, 2, &["zhang.wei", "rehire"], &before);
    assert_eq!(staff_file(&repo, "zhang.wei")["status"].as_str(), Some("departed"));
}

// --- refusals -----------------------------------------------------------

#[track_caller]
fn refused(repo: &TestRepo, args: &[&str], needles: &[&str]) -> Output {
    let before = repo.state();
    let out = repo.crm(args);
    repo.assert_refused(&out, 2, needles, &before);
    out
}

#[test]
fn leave_of_an_unknown_person_is_refused() {
    let repo = TestRepo::standard();
    refused(&repo, &["staff", "leave", "nobody", "--to", "li.na"], &["nobody"]);
    refused(&repo, &["staff", "leave", "nobody"], &["nobody"]);
}

#[test]
fn leaving_twice_is_refused() {
    let repo = TestRepo::standard();
    repo.crm(&["staff", "leave", "zhang.wei", "--on", "2026-11-20"]).ok();
    let out = refused(&repo, &["staff", "leave", "zhang.wei"], &["zhang.wei", "2026-11-20"]);
    // The handle is named as a handle, not run together with the date.
    assert!(out.stderr.contains("`zhang.wei`"), "{out}");
}

#[test]
fn leave_to_a_departed_unknown_or_the_leaver_is_refused() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    repo.crm(&["staff", "leave", "wang.fang", "--to", "li.na"]).ok();
    refused(&repo, &["staff", "leave", "zhang.wei", "--to", "wang.fang"], &["wang.fang"]);
    refused(&repo, &["staff", "leave", "zhang.wei", "--to", "ghost"], &["ghost"]);
    refused(&repo, &["staff", "leave", "zhang.wei", "--to", "zhang.wei"], &["zhang.wei"]);
    assert!(is_active(&repo, "zhang.wei"));
    assert_eq!(owner(&repo, "acme"), "zhang.wei");
}

#[test]
fn spread_with_nobody_left_is_refused() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    repo.crm(&["staff", "leave", "li.na"]).ok();
    repo.crm(&["staff", "leave", "wang.fang"]).ok();
    refused(&repo, &["staff", "leave", "zhang.wei", "--spread"], &["zhang.wei"]);
    refused(&repo, &["staff", "leave", "zhang.wei", "--spread", "--dry-run"], &["zhang.wei"]);
    assert!(is_active(&repo, "zhang.wei"));
}

#[test]
fn rehire_of_an_active_or_unknown_person_is_refused() {
    let repo = TestRepo::standard();
    refused(&repo, &["staff", "rehire", "zhang.wei"], &["zhang.wei"]);
    refused(&repo, &["staff", "rehire", "nobody"], &["nobody"]);
}

#[test]
fn leave_needs_an_admin_and_a_valid_date() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    let before = repo.state();
    let out = repo.crm_as("li.na", &["staff", "leave", "zhang.wei", "--to", "li.na"]);
    repo.assert_refused(&out, 2, &["li.na"], &before);
    refused(&repo, &["staff", "leave", "zhang.wei", "--on", "2026-13-01"], &["2026-13-01"]);
    let before = repo.state();
    let out = repo.crm(&["staff", "leave", "zhang.wei", "--to", "li.na", "--spread"]);
    assert_eq!(out.code, 2, "--to and --spread conflict\n{out}");
    assert_eq!(repo.state(), before);
}

#[test]
fn the_last_active_admin_cannot_leave() {
    let repo = TestRepo::standard();
    // Nobody could ever change staff/ or crm.toml again.
    refused(&repo, &["staff", "leave", "liu.yang"], &["liu.yang"]);
    refused(&repo, &["staff", "leave", "liu.yang", "--to", "li.na"], &["liu.yang"]);
    // With a second admin, the first may go.
    add_staff(&repo, "chen.jing", "admin", "华中");
    repo.crm(&["staff", "leave", "liu.yang"]).ok();
    assert!(!is_active(&repo, "liu.yang"));
}
