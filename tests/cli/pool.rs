//! The customer pool (公海): releases by each rule of `[pool]` (and the
//! exemptions and locks that keep customers out), claims within the
//! limits, forged claims and a service key overstepping its one permission
//! rejected by `crm verify`, and two clones claiming the same customer.
//!
//! Every command runs on a given day: `CRM_TODAY` and git's author and
//! committer dates are that day, as on a machine whose clock says so (a
//! pool change is dated by its commit, and verify holds it to that).

use std::path::{Path, PathBuf};

use crate::common::{customer_path, init_args, staff_email, Output, TestRepo, ADMIN_EMAIL};

/// The pool's rules in every test store.
const POOL: &str = "\n[pool]\nrelease_after_days = 30\nprospect_days = 60\nexempt_tiers = [\"key\"]\nclaim_limit = 2\nclaim_period_days = 7\nowned_cap = 5\ncooldown_days = 14\nclaim_in_region = true\n";

/// Everyone: handle, name, role, region (the admin's email is git's).
const PEOPLE: &[(&str, &str, &str, &str)] = &[
    ("li.na", "李娜", "manager", "华中"),
    ("zhang.wei", "张伟", "rep", "华中"),
    ("chen.jie", "陈杰", "rep", "华中"),
    ("wang.fang", "王芳", "rep", "华南"),
    ("pool-bot", "Pool job", "service", ""),
];

/// A store with [`PEOPLE`] and the `[pool]` rules; when `keys` is given
/// (every handle's public key, and the admin's as `liu.yang`), the store
/// requires signatures and each person is listed with their key.
fn store_with(repo: &TestRepo, keys: Option<&dyn Fn(&str) -> String>) {
    let admin_key = keys.map(|k| k("liu.yang"));
    let mut init = init_args(&[]);
    if let Some(k) = &admin_key {
        init.extend(["--key", k.as_str(), "--require-signed"]);
    }
    at(repo, "2026-10-01", None, &init).ok();
    for (handle, name, role, region) in PEOPLE {
        let email = staff_email(handle);
        let mut args = vec!["staff", "add", handle, "--name", name, "--email", &email, "--role", role, "-q"];
        if !region.is_empty() {
            args.extend(["--region", region]);
        }
        let key = keys.map(|k| k(handle));
        if let Some(k) = &key {
            args.extend(["--key", k.as_str()]);
        }
        at(repo, "2026-10-01", None, &args).ok();
    }
    let config = repo.read("crm.toml") + POOL;
    repo.write("crm.toml", config);
    repo.git_at("2026-10-01T10:00:00+08:00", &["commit", "-q", "-am", "The pool's rules"]);
}

/// `crm ARGS` on `day` as `user` (the admin when `None`).
#[track_caller]
fn at(repo: &TestRepo, day: &str, user: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = repo.crm_cmd();
    let stamp = format!("{day}T10:00:00+08:00");
    cmd.env("CRM_TODAY", day).env("GIT_AUTHOR_DATE", &stamp).env("GIT_COMMITTER_DATE", &stamp);
    if let Some(user) = user {
        let email = staff_email(user);
        cmd.env("CRM_USER", user).env("GIT_COMMITTER_EMAIL", &email).env("GIT_AUTHOR_EMAIL", &email);
    }
    cmd.args(args);
    repo.run(cmd)
}

/// `crm add -q --id ID --name ID --owner OWNER --region REGION --since SINCE EXTRA…` on 2026-10-02.
fn add(repo: &TestRepo, id: &str, owner: &str, region: &str, since: &str, extra: &[&str]) {
    add_on(repo, "2026-10-02", id, owner, region, since, extra);
}

/// [`add`] on `day`.
fn add_on(repo: &TestRepo, day: &str, id: &str, owner: &str, region: &str, since: &str, extra: &[&str]) {
    let mut args = vec!["add", "-q", "--id", id, "--name", id, "--owner", owner, "--region", region, "--since", since];
    args.extend_from_slice(extra);
    at(repo, day, None, &args).ok();
}

/// The unsigned test store with its customers: one due by each rule, and
/// one kept out by each exemption. On 2026-11-20 (30 days without a touch
/// since 2026-10-21, prospects since before 2026-09-21):
///
/// - `a-stale` (zhang.wei, 华中): no touch since 2026-09-01 — released, `no-touch`;
/// - `b-fresh` (zhang.wei): touched 2026-11-10 — stays;
/// - `c-prospect` (chen.jie): a prospect since 2026-08-01, touched lately — released, `unconverted`;
/// - `d-dormant` (wang.fang, 华南): dormant — stays;
/// - `e-key` (zhang.wei, key, backup li.na): due — goes to li.na, 华中's manager;
/// - `f-locked` (chen.jie): due, but li.na locked it — stays;
/// - `g-key-south` (wang.fang, key, 华南): due; 华南 has no manager — goes to liu.yang, the admin.
fn pool_store() -> TestRepo {
    let repo = TestRepo::empty();
    store_with(&repo, None);
    add(&repo, "a-stale", "zhang.wei", "华中", "2026-09-01", &[]);
    add(&repo, "b-fresh", "zhang.wei", "华中", "2026-09-01", &[]);
    add(&repo, "c-prospect", "chen.jie", "华中", "2026-08-01", &["--status", "prospect", "--tier", "prospect"]);
    add(&repo, "d-dormant", "wang.fang", "华南", "2025-01-01", &["--status", "dormant"]);
    add(&repo, "e-key", "zhang.wei", "华中", "2026-09-01", &["--tier", "key", "--backup", "li.na"]);
    add(&repo, "f-locked", "chen.jie", "华中", "2026-09-01", &[]);
    add(&repo, "g-key-south", "wang.fang", "华南", "2026-09-01", &["--tier", "key", "--backup", "zhang.wei"]);
    let touch = |user: &str, id: &str, date: &str| {
        at(&repo, date, Some(user), &["touch", "-q", id, "--kind", "call", "--summary", "Checked in", "--date", date])
            .ok();
    };
    touch("zhang.wei", "b-fresh", "2026-11-10");
    touch("chen.jie", "c-prospect", "2026-11-15");
    at(&repo, "2026-11-01", Some("li.na"), &["pool", "lock", "f-locked", "-q"]).ok();
    repo
}

fn owner(repo: &TestRepo, id: &str) -> String {
    repo.read_toml(&customer_path(id))["owner"].as_str().unwrap().to_string()
}

#[track_caller]
fn verify_passes(repo: &TestRepo) {
    let out = at(repo, "2026-12-31", None, &["verify"]);
    assert_eq!(out.code, 0, "verify should pass\n{out}");
}

/// The rule ids `crm verify` reports (exit 1 expected).
#[track_caller]
fn verify_rules(repo: &TestRepo, range: &str) -> Vec<String> {
    let out = at(repo, "2026-12-31", None, &["verify", range, "--format", "json"]);
    assert_eq!(out.code, 1, "verify should find violations\n{out}");
    out.json()["violations"].as_array().unwrap().iter().map(|v| v["rule"].as_str().unwrap().to_string()).collect()
}

#[test]
fn due_customers_go_to_the_pool_by_each_rule_and_exemptions_and_locks_keep_others() {
    let repo = pool_store();
    let before = repo.state();
    let plan =
        at(&repo, "2026-11-20", Some("li.na"), &["pool", "release", "--due", "--dry-run", "--format", "json"]).ok();
    assert_eq!(repo.state(), before, "a dry run writes nothing");
    let plan = plan.json();
    let moves: Vec<(String, String, String)> = plan["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["customer"].as_str().unwrap().into(),
                r["to"].as_str().unwrap().into(),
                r["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("a-stale", "@pool", "no-touch"),
        ("c-prospect", "@pool", "unconverted"),
        ("e-key", "li.na", "no-touch"),
        ("g-key-south", "liu.yang", "no-touch"),
    ];
    assert_eq!(moves, expected.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())), "{plan:#}");
    assert_eq!(plan["held"], serde_json::json!([]), "{plan:#}");

    // The nightly job, as the service identity: one commit for all of them.
    let commits = repo.commit_count();
    let out = at(&repo, "2026-11-20", Some("pool-bot"), &["pool", "release", "--due"]).ok();
    let says = "Released 2 customer(s) to the pool and handed 2 of an exempt tier to a manager or admin";
    assert!(out.stdout.contains(says), "{out}");
    assert_eq!(repo.commit_count(), commits + 1);
    let file = repo.read_toml(&customer_path("a-stale"));
    assert_eq!(file["owner"].as_str(), Some("@pool"));
    assert_eq!(file["pool_reason"].as_str(), Some("no-touch"));
    assert_eq!(file["pool_from"].as_str(), Some("zhang.wei"));
    assert_eq!(crate::common::toml_date(&file["pool_released"]), "2026-11-20");
    assert_eq!(owner(&repo, "e-key"), "li.na");
    assert_eq!(repo.read_toml(&customer_path("e-key"))["backup"].as_str(), Some("zhang.wei"));
    // 华南 has no manager: its key account goes to an admin, not nowhere.
    assert_eq!(owner(&repo, "g-key-south"), "liu.yang");
    for stays in ["b-fresh", "d-dormant", "f-locked"] {
        assert_ne!(owner(&repo, stays), "@pool", "{stays}");
    }
    verify_passes(&repo);
    let check = at(&repo, "2026-11-20", None, &["check"]);
    assert!(!check.stdout.contains("error["), "{check}");
    // An export edited and imported back keeps the pooled customers' rows.
    let exported = at(&repo, "2026-11-20", None, &["export", "--format", "csv"]).ok().stdout;
    assert!(exported.contains("@pool,"), "{exported}");
    let csv = repo.root().join("export.csv");
    std::fs::write(&csv, exported).unwrap();
    let csv = csv.display().to_string();
    at(&repo, "2026-11-20", None, &["import", "csv", &csv, "--update", "--yes"]).ok();
    assert_eq!(repo.commit_count(), commits + 1, "nothing changed, nothing written");

    // History shows releases as ownership events, with why.
    let log = at(&repo, "2026-11-20", None, &["log", "--format", "json"]).ok().json();
    let release = log.as_array().unwrap().iter().find(|e| e["customer"] == "a-stale").unwrap().clone();
    assert_eq!((release["action"].as_str(), release["pool_reason"].as_str()), (Some("release"), Some("no-touch")));
    assert_eq!(release["actor"], "pool-bot");
    let show = at(&repo, "2026-11-26", None, &["show", "a-stale"]).ok();
    assert!(show.stdout.contains("released for") && show.stdout.contains("no-touch"), "{show}");
    let list = at(&repo, "2026-11-26", None, &["pool", "list", "--format", "json"]).ok().json();
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["customer"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a-stale", "c-prospect"]);
    assert_eq!(list[0]["days"], 6);
    // On a narrow terminal the pool's own columns stay: how long, why, from whom.
    let mut narrow = repo.crm_cmd();
    narrow.env("COLUMNS", "60").env("CRM_TODAY", "2026-11-26").args(["pool", "list"]);
    let narrow = repo.run(narrow).ok();
    let header = narrow.stdout.lines().nth(1).unwrap_or_default().to_string();
    for kept in ["customer", "name", "days", "reason", "from"] {
        assert!(header.contains(kept), "{kept}\n{narrow}");
    }
    assert!(!header.contains("tier"), "{narrow}");
    let south = at(&repo, "2026-11-26", None, &["pool", "list", "--region", "华南", "--format", "json"]).ok();
    assert_eq!(south.json(), serde_json::json!([]));
    let south = at(&repo, "2026-11-26", None, &["pool", "list", "--region", "华南"]).ok();
    assert!(south.stderr.contains("No customer of region 华南 is in the pool."), "{south}");

    // A director who counts dormant customers as parked adds the status.
    let config = repo.read("crm.toml").replace(
        "claim_in_region = true\n",
        "claim_in_region = true\nrelease_statuses = [\"active\", \"prospect\", \"dormant\"]\n",
    );
    repo.write("crm.toml", config);
    repo.git_at("2026-11-20T11:00:00+08:00", &["commit", "-q", "-am", "Dormant customers are released too"]);
    let plan =
        at(&repo, "2026-11-20", Some("li.na"), &["pool", "release", "--due", "--dry-run", "--format", "json"]).ok();
    assert_eq!(plan.json()["releases"][0]["customer"], "d-dormant", "{plan}");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);

    // Nothing more is due the next night: no commit, exit 0.
    let again = at(&repo, "2026-11-21", Some("pool-bot"), &["pool", "release", "--due"]).ok();
    assert!(again.stderr.contains("Nothing is due"), "{again}");
    // The key account its manager now holds is still due: said, not skipped.
    assert!(
        again.stderr.contains("e-key is due (no-touch)")
            && again.stderr.contains("already with li.na, who receives such accounts"),
        "{again}"
    );
    assert_eq!(repo.commit_count(), commits + 1);
}

#[test]
fn reps_are_warned_on_their_agenda_and_digest_before_the_rules_take_a_customer() {
    let repo = pool_store();
    let releases = |day: &str, who: &str| -> Vec<(String, String, String, String)> {
        let out = at(&repo, day, None, &["agenda", "--for", who, "--format", "json"]).ok();
        let items = out.json()["items"].as_array().unwrap().clone();
        items
            .iter()
            .filter(|i| !i["release"].is_null())
            .map(|i| {
                let r = &i["release"];
                let word = |v: &serde_json::Value| v.as_str().unwrap().to_string();
                (word(&i["customer"]), word(&r["on"]), word(&r["reason"]), word(&r["to"]))
            })
            .collect()
    };
    let row = |id: &str, on: &str, reason: &str, to: &str| (id.into(), on.into(), reason.into(), to.into());
    // Tonight's run takes a-stale to the pool and e-key to li.na; b-fresh,
    // touched on 11-10, is not due within the week.
    assert_eq!(
        releases("2026-11-20", "zhang.wei"),
        [row("a-stale", "2026-11-20", "no-touch", "@pool"), row("e-key", "2026-11-20", "no-touch", "li.na")]
    );
    let table = at(&repo, "2026-11-20", None, &["agenda", "--for", "zhang.wei"]).ok();
    assert!(table.stderr.contains("2 to be taken back, 0 overdue"), "{table}");
    assert!(table.stdout.contains("goes to the pool tonight unless touched"), "{table}");
    assert!(table.stdout.contains("goes to li.na instead of the pool tonight unless touched"), "{table}");
    // A week ahead, b-fresh is warned of; a touch keeps a-stale.
    at(&repo, "2026-12-05", Some("zhang.wei"), &["touch", "-q", "a-stale", "--kind", "call", "--summary", "Hi"]).ok();
    let soon = releases("2026-12-05", "zhang.wei");
    assert_eq!(
        soon,
        [row("e-key", "2026-12-05", "no-touch", "li.na"), row("b-fresh", "2026-12-10", "no-touch", "@pool")]
    );
    let table = at(&repo, "2026-12-05", None, &["agenda", "--for", "zhang.wei"]).ok();
    assert!(table.stdout.contains("goes to the pool in 4 days unless touched"), "{table}");
    // The run that takes it is in the small hours of 12-10: 12-09 is the
    // last day to act, the day the row is dated.
    let json = at(&repo, "2026-12-05", None, &["agenda", "--for", "zhang.wei", "--format", "json"]).ok().json();
    let b = json["items"].as_array().unwrap().iter().find(|i| i["customer"] == "b-fresh").unwrap().clone();
    assert_eq!((b["date"].as_str(), b["days"].as_i64()), (Some("2026-12-09"), Some(4)), "{b}");
    let zh = at(&repo, "2026-12-08", None, &["agenda", "--for", "zhang.wei", "--lang", "zh-CN"]).ok();
    assert!(zh.stdout.contains("明晚收回公海，跟进即可保留") && zh.stdout.contains("类型"), "{zh}");
    // A prospect goes unless converted; a locked customer is not warned of.
    assert_eq!(releases("2026-11-20", "chen.jie"), [row("c-prospect", "2026-11-20", "unconverted", "@pool")]);
    let digest = at(&repo, "2026-11-20", None, &["report", "digest", "--for", "chen.jie", "--lang", "zh-CN"]).ok();
    assert!(digest.stdout.contains("即将被收回的客户") && digest.stdout.contains("1 即将收回 ·"), "{digest}");
    assert!(digest.stdout.contains("今晚收回公海，转化即可保留"), "{digest}");
    assert!(!digest.stdout.contains("f-locked"), "{digest}");
    // remind_days = 0 warns of tonight's only.
    let config = repo.read("crm.toml") + "remind_days = 0\n";
    repo.write("crm.toml", config);
    repo.git_at("2026-12-05T11:00:00+08:00", &["commit", "-q", "-am", "No warning ahead"]);
    assert_eq!(releases("2026-12-05", "zhang.wei"), [row("e-key", "2026-12-05", "no-touch", "li.na")]);
}

#[test]
fn a_lock_is_a_managers_and_keeps_a_customer_out_until_it_ends() {
    let repo = pool_store();
    let before = repo.state();
    let refused = at(&repo, "2026-11-20", Some("zhang.wei"), &["pool", "lock", "a-stale"]);
    repo.assert_refused(&refused, 2, &["zhang.wei may not lock", "managers and admins"], &before);
    let refused = at(&repo, "2026-11-20", Some("li.na"), &["pool", "release", "f-locked", "--reason", "idle"]);
    repo.assert_refused(&refused, 2, &["f-locked", "locked by li.na", "crm pool unlock f-locked"], &before);
    let refused = at(&repo, "2026-11-20", Some("li.na"), &["pool", "unlock", "a-stale"]);
    repo.assert_refused(&refused, 2, &["a-stale is not locked"], &before);
    let refused = at(&repo, "2026-11-20", Some("li.na"), &["pool", "lock", "a-stale", "--until", "2026-11-19"]);
    repo.assert_refused(&refused, 2, &["2026-11-19", "is before today (2026-11-20)"], &before);
    let refused = at(&repo, "2026-11-20", Some("li.na"), &["pool", "lock", "f-locked"]);
    repo.assert_refused(&refused, 2, &["already locked by li.na"], &before);

    // A lock with an end: due again once it has passed.
    at(&repo, "2026-11-20", Some("li.na"), &["pool", "lock", "a-stale", "--until", "2026-11-25"]).ok();
    let file = repo.read_toml(&customer_path("a-stale"));
    assert_eq!(file["pool_locked_by"].as_str(), Some("li.na"));
    let due = |day: &str| -> Vec<String> {
        let plan = at(&repo, day, Some("li.na"), &["pool", "release", "--due", "--dry-run", "--format", "json"]).ok();
        plan.json()["releases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["customer"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!due("2026-11-25").contains(&"a-stale".to_string()));
    assert!(due("2026-11-26").contains(&"a-stale".to_string()));
    at(&repo, "2026-11-26", Some("li.na"), &["pool", "unlock", "f-locked", "-q"]).ok();
    assert!(repo.read_toml(&customer_path("f-locked")).get("pool_locked_by").is_none());
    at(&repo, "2026-11-26", Some("li.na"), &["pool", "release", "f-locked", "--reason", "nobody follows it up"]).ok();
    assert_eq!(repo.read_toml(&customer_path("f-locked"))["pool_reason"].as_str(), Some("manual"));
    verify_passes(&repo);
}

#[test]
fn claims_respect_region_cooldown_limit_and_cap() {
    let repo = pool_store();
    at(&repo, "2026-11-20", Some("pool-bot"), &["pool", "release", "--due", "-q"]).ok();
    at(&repo, "2026-11-20", Some("li.na"), &["pool", "unlock", "f-locked", "-q"]).ok();
    at(&repo, "2026-11-20", Some("li.na"), &["pool", "release", "b-fresh", "f-locked", "--reason", "x", "-q"]).ok();
    let before = repo.state();
    // Not in the pool; another region; released from the claimer lately.
    let refused = at(&repo, "2026-11-21", Some("zhang.wei"), &["claim", "e-key"]);
    repo.assert_refused(&refused, 2, &["e-key: it is not in the pool (owner li.na)"], &before);
    let refused = at(&repo, "2026-11-21", Some("wang.fang"), &["claim", "c-prospect"]);
    repo.assert_refused(&refused, 2, &["a customer of region 华中", "wang.fang is in 华南"], &before);
    let refused = at(&repo, "2026-11-21", Some("zhang.wei"), &["claim", "a-stale"]);
    repo.assert_refused(&refused, 2, &["again before 2026-12-04", "cooldown 14 days"], &before);

    // Two claims in the period; the third is one too many.
    let out = at(&repo, "2026-11-21", Some("zhang.wei"), &["claim", "c-prospect"]).ok();
    assert!(out.stdout.contains("Claimed c-prospect (c-prospect); zhang.wei now owns"), "{out}");
    let file = repo.read_toml(&customer_path("c-prospect"));
    assert_eq!(crate::common::toml_date(&file["pool_claimed"]), "2026-11-21");
    assert!(file.get("pool_released").is_none() && file.get("pool_from").is_none());
    at(&repo, "2026-11-22", Some("zhang.wei"), &["claim", "f-locked", "-q"]).ok();
    let before = repo.state();
    let refused = at(&repo, "2026-11-23", Some("zhang.wei"), &["claim", "b-fresh"]);
    repo.assert_refused(&refused, 2, &["claimed 2 customer(s) in the last 7 days", "claim_limit 2"], &before);
    // In one command, the claims before count: the message says so.
    add_on(&repo, "2026-11-23", "x-extra", "zhang.wei", "华中", "2026-09-01", &[]);
    at(&repo, "2026-11-23", Some("li.na"), &["pool", "release", "x-extra", "--reason", "x", "-q"]).ok();
    let before = repo.state();
    let refused = at(&repo, "2026-11-23", Some("chen.jie"), &["claim", "a-stale", "b-fresh", "x-extra"]);
    let says = ["claim x-extra: chen.jie has claimed 2", "counting the 2 before it in this claim; nothing was claimed"];
    repo.assert_refused(&refused, 2, &says, &before);
    // A week later the period has moved on, and the cooldown has ended.
    at(&repo, "2026-12-04", Some("zhang.wei"), &["claim", "a-stale", "-q"]).ok();
    let owned = at(&repo, "2026-12-04", None, &["list", "--owner", "zhang.wei", "--format", "json"]).ok().json();
    assert_eq!(owned.as_array().unwrap().len(), 3, "{owned:#}");
    verify_passes(&repo);

    // The cap: chen.jie already owns five.
    for id in ["h1", "h2", "h3", "h4", "h5"] {
        add_on(&repo, "2026-12-04", id, "chen.jie", "华中", "2026-12-01", &[]);
    }
    let before = repo.state();
    let refused = at(&repo, "2026-12-05", Some("chen.jie"), &["claim", "b-fresh"]);
    repo.assert_refused(&refused, 2, &["chen.jie owns 5 customers (owned_cap 5)"], &before);
    // A manager may still assign it; an admin may not claim.
    let refused = at(&repo, "2026-12-05", None, &["claim", "b-fresh"]);
    repo.assert_refused(&refused, 2, &["reps and managers claim"], &before);
    let out = at(
        &repo,
        "2026-12-05",
        Some("li.na"),
        &["pool", "assign", "b-fresh", "--to", "chen.jie", "--reason", "knows them"],
    )
    .ok();
    assert!(out.stdout.starts_with("Assigned b-fresh to chen.jie"), "{out}");
    let log = at(&repo, "2026-12-05", None, &["log", "b-fresh", "--format", "json"]).ok().json();
    assert_eq!(log[0]["action"], "assign", "{log:#}");
    verify_passes(&repo);
    // The assignment starts the clock again: last touched 2026-11-10, so due
    // by the touch on 2026-12-10, but assigned on 2026-12-05.
    let file = repo.read_toml(&customer_path("b-fresh"));
    assert_eq!(crate::common::toml_date(&file["pool_assigned"]), "2026-12-05");
    assert!(file.get("pool_claimed").is_none());
    let due = |day: &str| {
        let plan = at(&repo, day, Some("li.na"), &["pool", "release", "--due", "--dry-run", "--format", "json"]).ok();
        plan.json()["releases"].as_array().unwrap().iter().any(|r| r["customer"] == "b-fresh")
    };
    assert!(!due("2026-12-20"));
    assert!(due("2027-01-05"));
    // An admin, who does not claim, may assign one to themselves.
    let out = at(&repo, "2026-12-05", None, &["pool", "assign", "x-extra", "--to", "liu.yang"]).ok();
    assert!(out.stdout.starts_with("Assigned x-extra to liu.yang"), "{out}");
    verify_passes(&repo);
}

#[test]
fn pool_commands_refuse_bad_input_and_write_nothing() {
    let repo = pool_store();
    let before = repo.state();
    let out = at(&repo, "2026-11-20", Some("li.na"), &["pool", "release"]);
    repo.assert_refused(&out, 2, &["<CUSTOMERS>"], &before);
    let out = at(&repo, "2026-11-20", Some("li.na"), &["pool", "release", "a-stale"]);
    repo.assert_refused(&out, 2, &["missing --reason"], &before);
    let out = at(&repo, "2026-11-20", Some("chen.jie"), &["pool", "release", "a-stale", "--reason", "bored"]);
    repo.assert_refused(&out, 2, &["chen.jie may not release a-stale"], &before);
    let out = at(&repo, "2026-11-20", Some("pool-bot"), &["pool", "release", "b-fresh", "--reason", "x"]);
    repo.assert_refused(&out, 2, &["b-fresh", "not due"], &before);
    let out = at(&repo, "2026-11-20", Some("pool-bot"), &["add", "--name", "Bot Co", "--owner", "zhang.wei"]);
    repo.assert_refused(&out, 2, &["pool-bot may not", "service identity"], &before);
    let out = at(&repo, "2026-11-20", Some("li.na"), &["pool", "assign", "a-stale", "--to", "chen.jie"]);
    repo.assert_refused(&out, 2, &["`a-stale`: is not in the pool", "crm reassign"], &before);
    let out = at(&repo, "2026-11-20", None, &["reassign", "a-stale", "--to", "pool-bot", "--reason", "x"]);
    repo.assert_refused(&out, 2, &["pool-bot", "service identity"], &before);
    let out = at(&repo, "2026-11-20", Some("zhang.wei"), &["claim", "nobody"]);
    repo.assert_refused(&out, 2, &["nobody"], &before);
    // The nightly release is not a rep's to run (a preview is).
    let out = at(&repo, "2026-11-20", Some("zhang.wei"), &["pool", "release", "--due", "--yes"]);
    repo.assert_refused(&out, 2, &["zhang.wei may not release due customers", "crm pool release ID"], &before);
    at(&repo, "2026-11-20", Some("zhang.wei"), &["pool", "release", "--due", "--dry-run"]).ok();
    // Moving `since` later would restart the rules' clock without a touch.
    let out = at(&repo, "2026-11-20", Some("zhang.wei"), &["edit", "a-stale", "--set", "since=2026-11-15"]);
    repo.assert_refused(&out, 2, &["zhang.wei may not move the since of a-stale to 2026-11-15"], &before);
    let out = at(&repo, "2026-11-20", Some("zhang.wei"), &["edit", "a-stale", "--unset", "since"]);
    repo.assert_refused(&out, 2, &["zhang.wei may not remove the since of a-stale"], &before);
    // Nor may a rep take a key account out of its exempt tier.
    let out = at(&repo, "2026-11-20", Some("zhang.wei"), &["edit", "e-key", "--set", "tier=standard"]);
    let says = ["zhang.wei may not move e-key out of the tier key ([pool] exempt_tiers)"];
    repo.assert_refused(&out, 2, &says, &before);
    // Nor would a touch dated ahead: a touch is something that happened.
    let args = ["touch", "a-stale", "--kind", "call", "--summary", "x", "--date", "2030-01-01"];
    let out = at(&repo, "2026-11-20", Some("zhang.wei"), &args);
    repo.assert_refused(&out, 2, &["2030-01-01", "is after today (2026-11-20)"], &before);
    at(&repo, "2026-11-20", Some("zhang.wei"), &["edit", "a-stale", "--set", "since=2026-08-01", "-q"]).ok();
    at(&repo, "2026-11-20", Some("li.na"), &["edit", "a-stale", "--set", "since=2026-09-01", "-q"]).ok();
    // Filling in a missing one only makes it due sooner.
    at(&repo, "2026-11-20", Some("li.na"), &["edit", "a-stale", "--unset", "since", "-q"]).ok();
    at(&repo, "2026-11-20", Some("zhang.wei"), &["edit", "a-stale", "--set", "since=2019-04-01", "-q"]).ok();
    // Assigning a pooled customer to oneself would be a claim by another name.
    at(&repo, "2026-11-20", Some("li.na"), &["pool", "release", "a-stale", "--reason", "x", "-q"]).ok();
    let before = repo.state();
    let out = at(&repo, "2026-11-20", Some("li.na"), &["pool", "assign", "a-stale", "--to", "li.na"]);
    repo.assert_refused(&out, 2, &["would go to you, li.na", "crm claim a-stale"], &before);
    // A copy of a pooled customer would be a claim past every limit.
    for force in [&[][..], &["--force"][..]] {
        let mut args = vec!["add", "--name", "a-stale", "--owner", "zhang.wei", "--region", "华中"];
        args.extend_from_slice(force);
        let out = at(&repo, "2026-11-20", Some("zhang.wei"), &args);
        let says =
            ["shares its name with a-stale, which is in the pool: claim it (crm claim a-stale) or ask a manager"];
        repo.assert_refused(&out, 2, &says, &before);
    }
    let csv = repo.root().join("copy.csv");
    std::fs::write(&csv, "id,name,owner,region\na-stale-2,a-stale,zhang.wei,华中\n").unwrap();
    let csv = csv.display().to_string();
    let out = at(&repo, "2026-11-20", Some("zhang.wei"), &["import", "csv", &csv, "--yes", "--force"]);
    repo.assert_refused(&out, 2, &["shares its name with a-stale, which is in the pool"], &before);
}

#[test]
fn misspelt_words_neither_park_customers_nor_send_key_accounts_to_the_pool() {
    let repo = pool_store();
    // A status that is no status (written with plain git) parks nothing:
    // a-stale stays due, and crm check names the word.
    let path = customer_path("a-stale");
    repo.write(&path, repo.read(&path).replace("status = \"active\"", "status = \"Active\""));
    repo.git_at("2026-11-19T10:00:00+08:00", &["commit", "-q", "-am", "Active"]);
    let plan =
        at(&repo, "2026-11-20", Some("li.na"), &["pool", "release", "--due", "--dry-run", "--format", "json"]).ok();
    let due: Vec<String> =
        plan.json()["releases"].as_array().unwrap().iter().map(|r| r["customer"].to_string()).collect();
    assert!(due.contains(&"\"a-stale\"".to_string()), "{plan}");
    let rules = |out: &Output| -> Vec<String> {
        out.json()["findings"].as_array().unwrap().iter().map(|f| format!("{} {}", f["path"], f["rule"])).collect()
    };
    let check = at(&repo, "2026-11-20", None, &["check", "--format", "json"]);
    assert!(rules(&check).contains(&format!("\"{path}\" \"unknown-status\"")), "{check}");

    // An exempt tier the policy does not know exempts nothing: the nightly
    // job refuses to run rather than pool the key accounts.
    let config = repo.read("crm.toml").replace("exempt_tiers = [\"key\"]", "exempt_tiers = [\"Key\"]");
    repo.write("crm.toml", config);
    repo.git_at("2026-11-19T11:00:00+08:00", &["commit", "-q", "-am", "Key accounts"]);
    let before = repo.state();
    let out = at(&repo, "2026-11-20", Some("pool-bot"), &["pool", "release", "--due"]);
    let says = ["[pool] exempt_tiers entry `Key`", "is not one of [policy] tiers (key, standard, prospect)"];
    repo.assert_refused(&out, 2, &says, &before);
    // Nor may the owner of a key account return it meanwhile.
    let out = at(&repo, "2026-11-20", Some("zhang.wei"), &["pool", "release", "e-key", "--reason", "x"]);
    repo.assert_refused(&out, 2, &says, &before);
    let check = at(&repo, "2026-11-20", None, &["check", "--format", "json"]);
    assert!(rules(&check).contains(&"\"crm.toml\" \"invalid-value\"".to_string()), "{check}");
    assert!(check.stdout.contains("exempt_tiers entry `Key` is not one of [policy] tiers"), "{check}");

    // A status list with a word that is no status is refused on reading.
    let config = repo.read("crm.toml").replace("exempt_tiers = [\"Key\"]", "release_statuses = [\"actve\"]");
    repo.write("crm.toml", config);
    repo.git_at("2026-11-19T12:00:00+08:00", &["commit", "-q", "-am", "Statuses"]);
    let before = repo.state();
    let out = at(&repo, "2026-11-20", Some("pool-bot"), &["pool", "release", "--due"]);
    repo.assert_refused(
        &out,
        2,
        &["crm.toml", "unknown status `actve` (known: prospect, active, dormant, lost)"],
        &before,
    );
    // verify, and so the server's hook, refuses such a crm.toml: it would
    // stop every crm command, for everyone.
    let out = at(&repo, "2026-11-20", None, &["verify", "HEAD~1..HEAD", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    let v = &out.json()["violations"][0];
    assert_eq!(v["rule"], "unreadable-record", "{out}");
    assert!(v["message"].as_str().unwrap().contains("crm.toml cannot be read"), "{out}");
    // Nor may crm.toml go: the store would end for everyone.
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.git_at("2026-11-19T13:00:00+08:00", &["rm", "-q", "crm.toml"]);
    repo.git_at("2026-11-19T13:00:00+08:00", &["commit", "-q", "-m", "No settings"]);
    let out = at(&repo, "2026-11-20", None, &["verify", "HEAD~1..HEAD", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("crm.toml removed"), "{out}");
    // Nor in a merge that removes it while taking a colleague's work.
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.git(&["checkout", "-q", "-b", "side"]);
    at(&repo, "2026-11-19", Some("li.na"), &["touch", "-q", "a-stale", "--kind", "call", "--summary", "x"]).ok();
    repo.git(&["checkout", "-q", "-"]);
    repo.git_at("2026-11-19T14:00:00+08:00", &["merge", "-q", "--no-ff", "--no-commit", "side"]);
    repo.git(&["rm", "-q", "crm.toml"]);
    repo.git_at("2026-11-19T14:00:00+08:00", &["commit", "-q", "-m", "Merge side"]);
    let out = at(&repo, "2026-11-20", None, &["verify", "HEAD~1..HEAD", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("crm.toml removed"), "{out}");
}

#[test]
fn a_change_of_owner_takes_the_claim_record_with_it() {
    let repo = pool_store();
    at(&repo, "2026-11-20", Some("pool-bot"), &["pool", "release", "--due", "-q"]).ok();
    at(&repo, "2026-11-21", Some("zhang.wei"), &["claim", "c-prospect", "-q"]).ok();
    assert!(repo.read_toml(&customer_path("c-prospect")).get("pool_claimed").is_some());
    at(&repo, "2026-11-22", Some("li.na"), &["reassign", "c-prospect", "--to", "chen.jie", "--reason", "x", "-q"]).ok();
    assert!(repo.read_toml(&customer_path("c-prospect")).get("pool_claimed").is_none());
    verify_passes(&repo);
    // The reports count the pool: the portfolio's row, the handover section.
    let rows = at(&repo, "2026-11-26", None, &["report", "portfolio", "--format", "json"]).ok().json();
    let pool = rows.as_array().unwrap().iter().find(|r| r["owner"] == "@pool").unwrap().clone();
    assert_eq!((pool["status"].as_str(), pool["customers"].as_u64()), (Some("pool"), Some(1)));
    let report =
        at(&repo, "2026-11-26", None, &["report", "handover", "--since", "7d", "--format", "json"]).ok().json();
    assert_eq!(report["pool"]["in_pool"], 1);
    assert_eq!(report["pool"]["released"].as_array().unwrap().len(), 2, "{:#}", report["pool"]);
    assert_eq!(report["pool"]["claimed"][0]["to"], "zhang.wei");
    assert_eq!(report["pool"]["oldest"][0]["customer"], "a-stale");
    assert!(report["concentration"].as_array().unwrap().iter().all(|s| s["name"] != "@pool"));
    // In Chinese, the releases' reasons too (crm's own text for a due release).
    let args = ["report", "handover", "--since", "7d", "--lang", "zh-CN", "--format", "md"];
    let md = at(&repo, "2026-11-26", None, &args).ok().stdout;
    let released = md.split("## 9a.").nth(1).unwrap_or_default();
    assert!(released.contains("长期未跟进: 按公海规则到期") && released.contains("未转化: 按公海规则到期"), "{md}");
    assert!(!released.contains("no-touch") && !released.contains("due by"), "{md}");
}

#[test]
fn customers_going_back_and_forth_are_reported() {
    let repo = pool_store();
    at(&repo, "2026-11-20", Some("li.na"), &["pool", "release", "b-fresh", "--reason", "x", "-q"]).ok();
    at(&repo, "2026-11-21", Some("chen.jie"), &["claim", "b-fresh", "-q"]).ok();
    at(&repo, "2026-11-22", Some("li.na"), &["pool", "release", "b-fresh", "--reason", "again", "-q"]).ok();
    let report = at(&repo, "2026-11-26", None, &["report", "handover", "--format", "md"]).ok();
    let section = report.stdout.split("## 9d.").nth(1).unwrap_or_default();
    assert!(section.contains("| b-fresh | 2 | zhang.wei, chen.jie | @pool |"), "{report}");
    verify_passes(&repo);

    // A claim is no handover to acknowledge (its owner chose it); an
    // assignment from the pool is, and says so.
    at(&repo, "2026-11-23", Some("li.na"), &["pool", "release", "a-stale", "--reason", "x", "-q"]).ok();
    // A backup left on a pooled file (as releases before did) backs up
    // nobody: the claimer starts without it.
    let path = customer_path("a-stale");
    repo.write(&path, repo.read(&path).replace("owner = \"@pool\"", "owner = \"@pool\"\nbackup = \"wang.fang\""));
    repo.git_at("2026-11-23T10:00:00+08:00", &["commit", "-q", "-am", "A release of old"]);
    at(&repo, "2026-11-23", Some("chen.jie"), &["claim", "a-stale", "-q"]).ok();
    assert!(repo.read_toml(&path).get("backup").is_none(), "{}", repo.read(&path));
    at(&repo, "2026-11-23", Some("li.na"), &["pool", "assign", "b-fresh", "--to", "zhang.wei", "-q"]).ok();
    let kinds = |who: &str| -> Vec<String> {
        let out = at(&repo, "2026-11-24", None, &["agenda", "--for", who, "--format", "json"]).ok();
        out.json()["items"].as_array().unwrap().iter().map(|i| format!("{} {}", i["kind"], i["customer"])).collect()
    };
    assert!(!kinds("chen.jie").contains(&"\"handover\" \"a-stale\"".to_string()), "{:?}", kinds("chen.jie"));
    assert!(kinds("zhang.wei").contains(&"\"handover\" \"b-fresh\"".to_string()), "{:?}", kinds("zhang.wei"));
    let table = at(&repo, "2026-11-24", None, &["agenda", "--for", "zhang.wei"]).ok();
    assert!(table.stdout.contains("assigned to you from the pool yesterday, not touched since"), "{table}");
}

// -- signed stores: forged claims and a service key --------------------------

/// A store requiring signatures, every person with an ed25519 key; commits
/// are switched between people with repo-local git config.
struct Signed {
    repo: TestRepo,
}

impl Signed {
    fn new() -> Option<Signed> {
        let repo = TestRepo::empty();
        let mut keys = std::collections::BTreeMap::new();
        for handle in std::iter::once("liu.yang").chain(PEOPLE.iter().map(|p| p.0)) {
            keys.insert(handle.to_string(), repo.ssh_key(&handle.replace('.', "_"))?);
        }
        repo.git(&["init", "-q"]);
        repo.git(&["config", "gpg.format", "ssh"]);
        repo.git(&["config", "commit.gpgsign", "true"]);
        let s = Signed { repo };
        s.act_as("liu.yang");
        store_with(&s.repo, Some(&|h: &str| keys[h].clone()));
        add(&s.repo, "a-stale", "zhang.wei", "华中", "2026-09-01", &[]);
        add(&s.repo, "b-fresh", "zhang.wei", "华中", "2026-09-01", &[]);
        add(&s.repo, "k-other", "chen.jie", "华中", "2026-09-01", &[]);
        add(&s.repo, "m-third", "wang.fang", "华中", "2026-09-01", &["--status", "lost"]);
        s.act_as("zhang.wei");
        at(
            &s.repo,
            "2026-11-10",
            None,
            &["touch", "-q", "b-fresh", "--kind", "call", "--summary", "x", "--date", "2026-11-10"],
        )
        .ok();
        Some(s)
    }

    fn key(&self, handle: &str) -> PathBuf {
        self.repo.root().join(handle.replace('.', "_"))
    }

    fn act_as(&self, handle: &str) {
        let email = if handle == "liu.yang" { ADMIN_EMAIL.to_string() } else { staff_email(handle) };
        self.repo.git(&["config", "user.email", &email]);
        self.repo.git(&["config", "user.signingkey", &self.key(handle).display().to_string()]);
    }

    /// Writes a customer file by hand and commits it with plain git (signed
    /// by whoever acts) on `day`; returns the range to verify.
    fn forge(&self, day: &str, id: &str, edit: impl Fn(String) -> String) -> String {
        let head = self.repo.head();
        let path = customer_path(id);
        self.repo.write(&path, edit(self.repo.read(&path)));
        self.repo.git_at(&format!("{day}T10:00:00+08:00"), &["commit", "-q", "-am", &format!("by hand: {id}")]);
        assert!(self.repo.git(&["cat-file", "commit", "HEAD"]).contains("gpgsig"), "the forgery is signed");
        format!("{head}..HEAD")
    }
}

#[test]
fn forged_claims_past_the_limit_or_outside_the_pool_are_rejected_by_verify() {
    let Some(s) = Signed::new() else { return };
    s.act_as("li.na");
    at(&s.repo, "2026-11-20", None, &["pool", "release", "a-stale", "b-fresh", "--reason", "idle", "-q"]).ok();
    s.act_as("chen.jie");
    at(&s.repo, "2026-11-21", None, &["claim", "a-stale", "b-fresh"]).ok();
    verify_passes(&s.repo);
    let claimed = s.repo.head();

    // zhang.wei takes a customer that is not in the pool: his own claim
    // record, written by hand.
    s.act_as("zhang.wei");
    let range = s.forge("2026-11-22", "k-other", |text| {
        text.replace("owner = \"chen.jie\"", "owner = \"zhang.wei\"\npool_claimed = 2026-11-22")
    });
    let rules = verify_rules(&s.repo, &range);
    assert!(rules.contains(&"claim-not-in-pool".to_string()), "{rules:?}");
    assert!(rules.contains(&"reassign-unauthorized".to_string()), "{rules:?}");

    // chen.jie, at the limit (two claims this week), claims a third by hand.
    s.repo.git(&["reset", "-q", "--hard", &claimed]);
    s.act_as("li.na");
    at(&s.repo, "2026-11-22", None, &["pool", "release", "m-third", "--reason", "idle", "-q"]).ok();
    s.act_as("chen.jie");
    let before = s.repo.state();
    let refused = at(&s.repo, "2026-11-23", None, &["claim", "m-third"]);
    s.repo.assert_refused(&refused, 2, &["claim_limit 2"], &before);
    let range = s.forge("2026-11-23", "m-third", |text| {
        let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("pool_")).collect();
        kept.join("\n").replace("owner = \"@pool\"", "owner = \"chen.jie\"\npool_claimed = 2026-11-23") + "\n"
    });
    assert_eq!(verify_rules(&s.repo, &range), ["claim-limit"]);
    // The same claim backdated out of the period is caught by its date.
    s.repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let range = s.forge("2026-11-23", "m-third", |text| {
        let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("pool_")).collect();
        kept.join("\n").replace("owner = \"@pool\"", "owner = \"chen.jie\"\npool_claimed = 2026-11-01") + "\n"
    });
    assert!(verify_rules(&s.repo, &range).contains(&"pool-record".to_string()));
}

#[test]
fn a_rep_returns_a_customer_of_their_own_to_the_pool_but_no_one_elses_and_no_key_account() {
    let Some(s) = Signed::new() else { return };
    s.act_as("liu.yang");
    add(&s.repo, "k-key", "zhang.wei", "华中", "2026-09-01", &["--tier", "key", "--backup", "li.na"]);
    s.act_as("zhang.wei");
    at(&s.repo, "2026-11-19", None, &["edit", "a-stale", "--set", "backup=chen.jie", "-q"]).ok();
    let dry = at(
        &s.repo,
        "2026-11-20",
        None,
        &["pool", "release", "a-stale", "--reason", "x", "--dry-run", "--format", "json"],
    );
    assert_eq!(dry.ok().json()["releases"][0]["reason"], "returned");
    at(&s.repo, "2026-11-20", None, &["pool", "release", "a-stale", "--reason", "moved to Wuhan", "-q"]).ok();
    let file = s.repo.read_toml(&customer_path("a-stale"));
    assert_eq!((file["owner"].as_str(), file["pool_reason"].as_str()), (Some("@pool"), Some("returned")));
    assert_eq!(file["pool_from"].as_str(), Some("zhang.wei"));
    assert!(file.get("backup").is_none(), "a pooled customer has no backup: {file:?}");
    verify_passes(&s.repo);
    // Given up is given up: the cooldown holds.
    let before = s.repo.state();
    let refused = at(&s.repo, "2026-11-21", None, &["claim", "a-stale"]);
    s.repo.assert_refused(&refused, 2, &["released from zhang.wei"], &before);
    // Not a colleague's customer, and not a key account.
    let refused = at(&s.repo, "2026-11-21", None, &["pool", "release", "k-other", "--reason", "x"]);
    s.repo.assert_refused(
        &refused,
        2,
        &["zhang.wei may not release k-other to the pool (its owner, managers"],
        &before,
    );
    let refused = at(&s.repo, "2026-11-21", None, &["pool", "release", "k-key", "--reason", "x"]);
    let says = ["zhang.wei may not release k-key to the pool: a key account goes to the region's manager"];
    s.repo.assert_refused(&refused, 2, &says, &before);
    // Nor by taking it out of its tier first, with crm or by hand.
    let refused = at(&s.repo, "2026-11-21", None, &["edit", "k-key", "--set", "tier=standard"]);
    s.repo.assert_refused(&refused, 2, &["zhang.wei may not move k-key out of the tier key"], &before);
    let range = s.forge("2026-11-21", "k-key", |text| text.replace("tier = \"key\"", "tier = \"Key\""));
    assert_eq!(verify_rules(&s.repo, &range), ["pool-field-changed"]);
    s.repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    // The same by hand: verify names each (this one also keeps its backup).
    let range = s.forge("2026-11-21", "k-key", |text| {
        text.replace(
            "owner = \"zhang.wei\"",
            "owner = \"@pool\"\npool_released = 2026-11-21\npool_reason = \"returned\"\npool_from = \"zhang.wei\"",
        )
    });
    assert_eq!(verify_rules(&s.repo, &range), ["release-unauthorized", "pool-record"]);
    s.repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let range = s.forge("2026-11-21", "b-fresh", |text| {
        text.replace(
            "owner = \"zhang.wei\"",
            "owner = \"@pool\"\npool_released = 2026-11-21\npool_reason = \"no-touch\"\npool_from = \"zhang.wei\"",
        )
    });
    assert_eq!(verify_rules(&s.repo, &range), ["pool-record"], "a rep's release is a return, not the rules'");
    s.repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    // A return that keeps a backup of its own choosing, to read what the
    // next owner writes.
    let range = s.forge("2026-11-21", "b-fresh", |text| {
        let released =
            "owner = \"@pool\"\nbackup = \"zhang.wei\"\npool_released = 2026-11-21\npool_reason = \"returned\"";
        text.replace("owner = \"zhang.wei\"", &format!("{released}\npool_from = \"zhang.wei\""))
    });
    assert_eq!(verify_rules(&s.repo, &range), ["pool-record"]);
    s.repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    s.act_as("chen.jie");
    let range = s.forge("2026-11-21", "b-fresh", |text| {
        text.replace(
            "owner = \"zhang.wei\"",
            "owner = \"@pool\"\npool_released = 2026-11-21\npool_reason = \"returned\"\npool_from = \"zhang.wei\"",
        )
    });
    assert_eq!(verify_rules(&s.repo, &range), ["release-unauthorized"]);

    s.repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    s.act_as("zhang.wei");
    // A return keeping a backup it had: the backup would read and touch
    // what the next owner writes.
    at(&s.repo, "2026-11-21", None, &["edit", "b-fresh", "--set", "backup=wang.fang", "-q"]).ok();
    let range = s.forge("2026-11-21", "b-fresh", |text| {
        let released = "owner = \"@pool\"\npool_released = 2026-11-21\npool_reason = \"returned\"";
        text.replace("owner = \"zhang.wei\"", &format!("{released}\npool_from = \"zhang.wei\""))
    });
    assert_eq!(verify_rules(&s.repo, &range.replace("HEAD~1..", "HEAD~2..")), ["pool-record"]);
    s.repo.git(&["reset", "-q", "--hard", "HEAD~2"]);
    // A misspelt exempt tier exempts nothing for crm, which refuses; nor
    // for verify, which judges a rep's return as of an exempt account.
    s.act_as("liu.yang");
    let config = s.repo.read("crm.toml").replace("exempt_tiers = [\"key\"]", "exempt_tiers = [\"Key\"]");
    s.repo.write("crm.toml", config);
    s.repo.git_at("2026-11-21T09:00:00+08:00", &["commit", "-q", "-am", "Key"]);
    s.act_as("zhang.wei");
    let range = s.forge("2026-11-21", "k-key", |text| {
        let released = "owner = \"@pool\"\npool_released = 2026-11-21\npool_reason = \"returned\"";
        let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("backup")).collect();
        kept.join("\n").replace("owner = \"zhang.wei\"", &format!("{released}\npool_from = \"zhang.wei\"")) + "\n"
    });
    let out = at(&s.repo, "2026-12-31", None, &["verify", &range]);
    assert_eq!(verify_rules(&s.repo, &range), ["release-unauthorized"], "{out}");
    s.repo.git(&["reset", "-q", "--hard", "HEAD~2"]);
    // A customer claimed is kept as long as a hand-on would be: returned at
    // once, a friend's claim would give it back to the rep it was released
    // from, inside their cooldown.
    s.act_as("li.na");
    at(&s.repo, "2026-11-21", None, &["pool", "release", "k-other", "--reason", "idle", "-q"]).ok();
    s.act_as("zhang.wei");
    at(&s.repo, "2026-11-22", None, &["claim", "k-other", "-q"]).ok();
    let before = s.repo.state();
    let refused = at(&s.repo, "2026-11-23", None, &["pool", "release", "k-other", "--reason", "not for me"]);
    let says =
        ["zhang.wei may not return k-other to the pool before 2026-12-06: they claimed it from the pool on 2026-11-22"];
    s.repo.assert_refused(&refused, 2, &says, &before);
    let range = s.forge("2026-11-23", "k-other", |text| {
        let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("pool_")).collect();
        kept.join("\n").replace(
            "owner = \"zhang.wei\"",
            "owner = \"@pool\"\npool_released = 2026-11-23\npool_reason = \"returned\"\npool_from = \"zhang.wei\"",
        ) + "\n"
    });
    assert_eq!(verify_rules(&s.repo, &range), ["claim-handed-on"]);
}

/// `text`, a pooled customer's file, as a claim by `by` on `day` writes it.
fn claimed_by_hand(text: &str, by: &str, day: &str) -> String {
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("pool_")).collect();
    kept.join("\n").replace("owner = \"@pool\"", &format!("owner = \"{by}\"\npool_claimed = {day}")) + "\n"
}

#[test]
fn backdated_claims_handed_on_claims_and_forged_pool_records_are_rejected() {
    let Some(s) = Signed::new() else { return };
    let start = s.repo.head();
    // The service key releases a due customer and changes its backup too.
    s.act_as("pool-bot");
    let range = s.forge("2026-11-20", "a-stale", |text| {
        let pooled = "owner = \"@pool\"\nbackup = \"chen.jie\"\npool_released = 2026-11-20\npool_reason = \"no-touch\"\npool_from = \"zhang.wei\"";
        text.replace("owner = \"zhang.wei\"", pooled)
    });
    assert_eq!(verify_rules(&s.repo, &range), ["service-not-permitted"]);
    s.repo.git(&["reset", "-q", "--hard", &start]);

    // k-other's backup is wang.fang of 华南; li.na releases three.
    s.act_as("liu.yang");
    at(&s.repo, "2026-11-19", None, &["edit", "k-other", "--set", "backup=wang.fang", "-q"]).ok();
    s.act_as("li.na");
    let args = ["pool", "release", "a-stale", "b-fresh", "k-other", "m-third", "--reason", "idle", "-q"];
    at(&s.repo, "2026-11-20", None, &args).ok();
    let released = s.repo.head();

    // A pooled customer's former backup may not edit it (here: into their
    // region).
    s.act_as("wang.fang");
    let before = s.repo.state();
    let refused = at(&s.repo, "2026-11-21", None, &["edit", "k-other", "--set", "region=华南"]);
    s.repo.assert_refused(&refused, 2, &["wang.fang may not edit k-other, which is in the pool"], &before);
    let range = s.forge("2026-11-21", "k-other", |text| text.replace("region = \"华中\"", "region = \"华南\""));
    assert_eq!(verify_rules(&s.repo, &range), ["edit-unauthorized"]);
    s.repo.git(&["reset", "-q", "--hard", &released]);

    // chen.jie claims two (the limit), then a third in a commit dated a
    // day earlier: the later claims still count.
    s.act_as("chen.jie");
    at(&s.repo, "2026-11-21", None, &["claim", "a-stale", "b-fresh", "-q"]).ok();
    let claimed = s.repo.head();
    let range = s.forge("2026-11-20", "m-third", |text| claimed_by_hand(&text, "chen.jie", "2026-11-20"));
    assert_eq!(verify_rules(&s.repo, &range), ["claim-limit"]);
    s.repo.git(&["reset", "-q", "--hard", &claimed]);

    // Handing a claim straight on (here back to zhang.wei, in his
    // cooldown) is refused; a manager may reassign it.
    let before = s.repo.state();
    let refused = at(&s.repo, "2026-11-22", None, &["reassign", "b-fresh", "--to", "zhang.wei", "--reason", "his"]);
    s.repo.assert_refused(
        &refused,
        2,
        &["hand on b-fresh before 2026-12-05", "claimed it from the pool on 2026-11-21"],
        &before,
    );
    let csv = s.repo.root().join("hand-on.csv");
    std::fs::write(&csv, "id,name,owner,region\nb-fresh,b-fresh,zhang.wei,华中\n").unwrap();
    let csv = csv.display().to_string();
    let refused = at(&s.repo, "2026-11-22", None, &["import", "csv", &csv, "--update", "--yes"]);
    s.repo.assert_refused(&refused, 2, &["hand on b-fresh before 2026-12-05"], &before);
    let range = s.forge("2026-11-22", "b-fresh", |text| {
        let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("pool_")).collect();
        kept.join("\n").replace("owner = \"chen.jie\"", "owner = \"zhang.wei\"") + "\n"
    });
    assert_eq!(verify_rules(&s.repo, &range), ["claim-handed-on"]);
    s.repo.git(&["reset", "-q", "--hard", &claimed]);
    s.act_as("li.na");
    at(&s.repo, "2026-11-22", None, &["reassign", "b-fresh", "--to", "zhang.wei", "--reason", "his", "-q"]).ok();
    verify_passes(&s.repo);

    // A rep adds customers with a lock in a manager's name, or a claim
    // record dated years ahead, to keep them out of the pool.
    s.act_as("zhang.wei");
    let head = s.repo.head();
    let template = s.repo.read(&customer_path("a-stale"));
    let kept = |l: &&str| !["pool_", "owner = ", "backup = "].iter().any(|k| l.starts_with(k));
    let owned = template.lines().filter(kept).collect::<Vec<_>>().join("\n") + "\n";
    for (id, key) in [("z-locked", "pool_locked_by = \"li.na\""), ("z-claimed", "pool_claimed = 2030-01-01")] {
        let text = owned.replace("name = \"a-stale\"", &format!("name = \"{id}\"\nowner = \"zhang.wei\"\n{key}"));
        let path = customer_path(id);
        std::fs::create_dir_all(s.repo.path(&path).parent().unwrap()).unwrap();
        s.repo.write(&path, text);
    }
    s.repo.git(&["add", "-A"]);
    s.repo.git_at("2026-11-23T10:00:00+08:00", &["commit", "-q", "-m", "two more"]);
    let mut rules = verify_rules(&s.repo, &format!("{head}..HEAD"));
    rules.sort();
    assert_eq!(rules, ["lock-unauthorized", "pool-record", "pool-record"]);

    // A commit dated years ahead would make every honest claim after it
    // "dated before its parent": it is refused itself.
    s.repo.git(&["reset", "-q", "--hard", &head]);
    let range = s.forge("2030-01-01", "b-fresh", |text| text + "\n# notes for 2030\n");
    assert_eq!(verify_rules(&s.repo, &range), ["dated-ahead"]);
    // Nor back: an empty commit dated weeks before its parent would let the
    // next claims be dated out of the claim period.
    s.repo.git(&["reset", "-q", "--hard", &head]);
    s.repo.git_at("2026-10-20T10:00:00+08:00", &["commit", "-q", "--allow-empty", "-m", "wip"]);
    assert_eq!(verify_rules(&s.repo, &format!("{head}..HEAD")), ["dated-behind"]);
    s.repo.git(&["reset", "-q", "--hard", &head]);
    let range = s.forge("2026-11-23", "b-fresh", |text| text.replace("since = 2026-09-01", "since = 2026-11-20"));
    assert_eq!(verify_rules(&s.repo, &range), ["since-moved"]);
    s.repo.git(&["reset", "-q", "--hard", &head]);
    let range = s.forge("2026-11-23", "b-fresh", |text| {
        text + "\n[[touches]]\ndate = 2030-01-01\nby = \"zhang.wei\"\nkind = \"call\"\nsummary = \"later\"\n"
    });
    assert_eq!(verify_rules(&s.repo, &range), ["dated-ahead"]);
}

/// A plain `git pull` (a merge) brings in a manager's release made days
/// before the rep's own last commit: the release is dated by the commit
/// that made it, not by the merge's first parent.
#[test]
fn a_release_brought_in_by_a_merge_is_dated_by_its_own_commit() {
    let Some(s) = Signed::new() else { return };
    let base = s.repo.head();
    s.repo.git(&["checkout", "-q", "-b", "shared"]);
    s.act_as("li.na");
    at(&s.repo, "2026-11-20", None, &["pool", "release", "a-stale", "--reason", "idle", "-q"]).ok();
    s.repo.git(&["checkout", "-q", "main"]);
    s.act_as("zhang.wei");
    let args = ["touch", "-q", "b-fresh", "--kind", "call", "--summary", "x", "--date", "2026-11-25"];
    at(&s.repo, "2026-11-25", None, &args).ok();
    s.repo.git_at("2026-11-25T18:00:00+08:00", &["merge", "-q", "--no-edit", "shared"]);
    assert_eq!(owner(&s.repo, "a-stale"), "@pool");
    verify_passes(&s.repo);
    // Before it is pushed, the range holds li.na's unpublished release,
    // which zhang.wei could not make: his merge answers for it.
    let range = format!("{base}..HEAD");
    assert_eq!(verify_rules(&s.repo, &range), ["merge-unapproved"]);
    // Once the server's main holds it (the weekly job's OLD..origin/main),
    // it was published there, merge and all.
    s.repo.share("server.git");
    let out = at(&s.repo, "2026-12-31", None, &["verify", &format!("{base}..origin/main")]);
    assert_eq!(out.code, 0, "{out}");
}

#[test]
fn a_service_key_may_release_due_customers_and_nothing_else() {
    let Some(s) = Signed::new() else { return };
    s.act_as("pool-bot");
    let out = at(&s.repo, "2026-11-20", None, &["pool", "release", "--due"]).ok();
    assert!(out.stdout.contains("Released 2 customer(s)"), "{out}");
    assert!(s.repo.git(&["cat-file", "commit", "HEAD"]).contains("gpgsig"), "the release is signed");
    verify_passes(&s.repo);
    let released = s.repo.head();

    // Anything else it signs is rejected: a touch, a reassign, a release
    // of a customer that is not due, its crm.toml.
    let range = s.forge("2026-11-21", "b-fresh", |text| {
        text + "\n[[touches]]\ndate = 2026-11-21\nby = \"pool-bot\"\nkind = \"call\"\nsummary = \"bot\"\n"
    });
    assert!(verify_rules(&s.repo, &range).contains(&"service-not-permitted".to_string()));
    s.repo.git(&["reset", "-q", "--hard", &released]);
    let range = s.forge("2026-11-21", "b-fresh", |text| text.replace("owner = \"zhang.wei\"", "owner = \"chen.jie\""));
    assert!(verify_rules(&s.repo, &range).contains(&"service-not-permitted".to_string()));
    s.repo.git(&["reset", "-q", "--hard", &released]);
    let range = s.forge("2026-11-21", "b-fresh", |text| {
        let pooled =
            "owner = \"@pool\"\npool_released = 2026-11-21\npool_reason = \"no-touch\"\npool_from = \"zhang.wei\"";
        text.replace("owner = \"zhang.wei\"", pooled)
    });
    assert_eq!(verify_rules(&s.repo, &range), ["release-not-due"]);
    s.repo.git(&["reset", "-q", "--hard", &released]);
    let config = s.repo.read("crm.toml").replace("claim_limit = 2", "claim_limit = 200");
    s.repo.write("crm.toml", config);
    s.repo.git_at("2026-11-21T10:00:00+08:00", &["commit", "-q", "-am", "more claims"]);
    assert!(verify_rules(&s.repo, &format!("{released}..HEAD")).contains(&"service-not-permitted".to_string()));
}

// -- two clones claim the same customer --------------------------------------

#[test]
fn two_clones_claim_the_same_customer_and_exactly_one_wins_after_sync() {
    let repo = pool_store();
    at(&repo, "2026-11-20", Some("pool-bot"), &["pool", "release", "--due", "-q"]).ok();
    let url = repo.share("server.git").display().to_string();
    let clone = |name: &str, who: &str| -> PathBuf { repo.clone_as(&url, name, who, &staff_email(who)) };
    let (zw, cj) = (clone("zw", "zhang.wei"), clone("cj", "chen.jie"));
    let claim = |dir: &Path| {
        let mut cmd = repo.crm_cmd();
        cmd.current_dir(dir).env("CRM_TODAY", "2026-12-10").env("GIT_COMMITTER_DATE", "2026-12-10T10:00:00+08:00");
        cmd.env("GIT_AUTHOR_DATE", "2026-12-10T10:00:00+08:00").args(["claim", "c-prospect"]);
        repo.run(cmd)
    };
    claim(&zw).ok();
    claim(&cj).ok();
    let sync = |dir: &Path| repo.crm_env_in(dir, &[("CRM_TODAY", "2026-12-10")], &["sync"]);
    sync(&cj).ok();
    let loser_head = repo.git_ok(&zw, &["rev-parse", "HEAD"]);
    let lost = sync(&zw);
    assert_eq!(lost.code, 3, "{lost}");
    assert!(
        lost.stderr.contains("c-prospect: you claimed it from the pool for zhang.wei")
            && lost.stderr.contains("but chen.jie claimed it first"),
        "{lost}"
    );
    assert!(lost.stderr.contains("hint: the customer is someone else's now"), "{lost}");
    assert_eq!(repo.git_ok(&zw, &["rev-parse", "HEAD"]), loser_head, "nothing changed in the losing clone");
    let on_server =
        repo.git_in(repo.root(), &["--git-dir", &url, "show", &format!("main:{}", customer_path("c-prospect"))]);
    assert!(on_server.stdout.contains("owner = \"chen.jie\""), "{on_server}");
    // Dropping the claim as the hint says brings the clone in line.
    repo.git_ok(&zw, &["reset", "-q", "--keep", "origin/main"]);
    sync(&zw).ok();
    let verified = repo.crm_env_in(&zw, &[("CRM_TODAY", "2026-12-31")], &["verify"]);
    assert_eq!(verified.code, 0, "{verified}");
}

// -- the nightly job ---------------------------------------------------------

#[test]
fn the_nightly_cron_job_releases_due_customers_signed_by_the_service_key_and_pushes() {
    let Some(s) = Signed::new() else { return };
    let url = s.repo.share("server.git").display().to_string();
    let job = s.repo.clone_as(&url, "pool-job", "Pool job", &staff_email("pool-bot"));
    for (k, v) in [("gpg.format", "ssh"), ("commit.gpgsign", "true")] {
        s.repo.git_ok(&job, &["config", k, v]);
    }
    s.repo.git_ok(&job, &["config", "user.signingkey", &s.key("pool-bot").display().to_string()]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cron/pool-release.sh");
    let bin = Path::new(env!("CARGO_BIN_EXE_crm"));
    let run = || {
        let mut cmd = std::process::Command::new("bash");
        cmd.env_clear();
        for (k, v) in s.repo.env_vars() {
            cmd.env(k, v);
        }
        let stamp = "2026-11-20T02:15:00+08:00";
        cmd.env("CRM", bin)
            .env("CRM_TODAY", "2026-11-20")
            .env("GIT_COMMITTER_DATE", stamp)
            .env("GIT_AUTHOR_DATE", stamp);
        Output::of(cmd.arg(&script).arg(&job).output().expect("run the job"))
    };
    let out = run();
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("Released 2 customer(s) to the pool"), "{out}");
    let git_dir = ["--git-dir", url.as_str()];
    let server = |args: &[&str]| s.repo.git_in(s.repo.root(), &[&git_dir[..], args].concat()).stdout;
    assert!(server(&["log", "-1", "--format=%s%n%G?", "main"]).starts_with("pool release 2 customers"));
    assert!(server(&["show", &format!("main:{}", customer_path("a-stale"))]).contains("owner = \"@pool\""));
    let verified = s.repo.crm_in(s.repo.root(), &["-C", &url, "verify"]);
    assert_eq!(verified.code, 0, "the server's history verifies\n{verified}");
    // The next night nothing is due: no commit, exit 0.
    let head = server(&["rev-parse", "main"]);
    let again = run();
    assert_eq!(again.code, 0, "{again}");
    assert_eq!(server(&["rev-parse", "main"]), head);
}
