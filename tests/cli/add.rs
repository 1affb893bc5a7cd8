//! `crm add`: where the file goes, what the commit says, ids, and every
//! kind of bad input (exit 2, nothing written).

use crate::common::{customer_path, shard, toml_date, trailer, TestRepo};

#[test]
fn add_writes_the_customer_file_at_its_sha256_shard() {
    let repo = TestRepo::standard();
    let commits = repo.commit_count();
    let out = repo
        .crm(&[
            "add",
            "--name",
            "Acme Coaches, Ltd.",
            "--owner",
            "zhang.wei",
            "--region",
            "华中",
            "--value",
            "1200000",
            "--contact",
            "王建国 <wang@acme.cn> +86 371 5555 0101",
            "--tag",
            "公交",
            "--tag",
            "electric",
        ])
        .ok();

    let id = "acme-coaches-ltd";
    let rel = format!("customers/{}/{id}.toml", shard(id));
    assert!(out.stdout.contains(&rel), "the output names the file\n{out}");
    assert!(repo.path(&rel).is_file(), "{rel} was not written");
    assert_eq!(repo.commit_count(), commits + 1);
    assert_eq!(repo.changed_paths("HEAD"), [rel.as_str()]);
    assert_eq!(repo.status(), "", "work tree and index match the commit");

    let c = repo.read_toml(&rel);
    assert!(!c.contains_key("id"), "the id is the file stem only");
    assert_eq!(c["name"].as_str(), Some("Acme Coaches, Ltd."));
    assert_eq!(c["owner"].as_str(), Some("zhang.wei"));
    assert_eq!(c["tier"].as_str(), Some("standard"));
    assert_eq!(c["status"].as_str(), Some("active"));
    assert_eq!(c["region"].as_str(), Some("华中"));
    assert_eq!(c["value"].as_integer(), Some(1_200_000));
    assert_eq!(toml_date(&c["since"]), "2026-11-26", "since defaults to today");
    let tags: Vec<_> = c["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(tags, ["公交", "electric"]);
    let contact = &c["contacts"].as_array().unwrap()[0];
    assert_eq!(contact["name"].as_str(), Some("王建国"));
    assert_eq!(contact["email"].as_str(), Some("wang@acme.cn"));
    assert_eq!(contact["phone"].as_str(), Some("+86 371 5555 0101"));
    assert!(!repo.read(&rel).contains('\r'), "\\n line endings");
}

#[test]
fn add_commit_has_subject_and_trailers_naming_the_actor() {
    let repo = TestRepo::standard();
    repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]).ok();
    let message = repo.message("HEAD");
    assert_eq!(message.lines().next(), Some("add acme: Acme"), "{message}");
    assert_eq!(trailer(&message, "Crm-Action").as_deref(), Some("add"));
    assert_eq!(trailer(&message, "Crm-Actor").as_deref(), Some("liu.yang"));
    // git itself reads the trailers.
    let parsed = repo.git(&["log", "-1", "--format=%(trailers:key=Crm-Action,valueonly)"]);
    assert_eq!(parsed.trim(), "add");
    let author = repo.git(&["log", "-1", "--format=%an <%ae>|%cn <%ce>"]);
    assert_eq!(author.trim(), "Liu Yang <liu@example.com>|Liu Yang <liu@example.com>");

    // CRM_USER names another actor; so does git config crm.user.
    repo.crm_as("zhang.wei", &["add", "--name", "Beta", "--owner", "zhang.wei"]).ok();
    assert_eq!(trailer(&repo.message("HEAD"), "Crm-Actor").as_deref(), Some("zhang.wei"));
    repo.git(&["config", "crm.user", "li.na"]);
    // An unsigned commit is its committer's for `crm verify`: naming li.na
    // while committing as liu would make a commit verify rejects.
    let before = repo.state();
    let refused = repo.crm(&["add", "--name", "Gamma", "--owner", "wang.fang"]);
    repo.assert_refused(
        &refused,
        3,
        &["li.na", "<liu@example.com>", "git config user.email li.na@example.com"],
        &before,
    );
    repo.git(&["config", "user.email", "li.na@example.com"]);
    repo.crm(&["add", "--name", "Gamma", "--owner", "wang.fang"]).ok();
    assert_eq!(trailer(&repo.message("HEAD"), "Crm-Actor").as_deref(), Some("li.na"));
    let verified = repo.crm(&["verify", "--format", "json"]).ok().json();
    assert_eq!(verified["violations"], serde_json::json!([]), "{verified}");
}

#[test]
fn chinese_names_become_pinyin_ids() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("郑州宇通客运集团", "zhang.wei", &["--backup", "li.na", "--tier", "key"]);
    assert_eq!(id, "zhengzhou-yutong-keyun-jituan");
    let rel = customer_path(&id);
    assert_eq!(repo.read_toml(&rel)["name"].as_str(), Some("郑州宇通客运集团"));
    assert_eq!(repo.changed_paths("HEAD"), [rel]);
}

#[test]
fn colliding_ids_get_numeric_suffixes() {
    let repo = TestRepo::standard();
    // Names that differ but make the same slug; the third is a deliberate
    // duplicate name, allowed with --force.
    let first = repo.add_customer("Acme", "zhang.wei", &[]);
    let second = repo.add_customer("ACME!", "zhang.wei", &["--force"]);
    let third = repo.add_customer("Acme", "li.na", &["--force"]);
    let ids = [first, second, third];
    assert_eq!(ids, ["acme", "acme-2", "acme-3"]);
    for id in &ids {
        assert!(repo.path(&customer_path(id)).is_file(), "{id}");
    }
    // An explicit id that is taken is refused.
    let before = repo.state();
    let out = repo.crm(&["add", "--id", "acme", "--name", "X", "--owner", "li.na"]);
    repo.assert_refused(&out, 2, &["acme", "already exists"], &before);
}

#[test]
fn duplicates_are_refused_unless_forced() {
    let repo = TestRepo::standard();
    repo.add_customer("郑州宇通客运集团", "zhang.wei", &["--contact", "王建国 <wang@example.cn> +86 371 5555 0101"]);
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "郑州宇通客运集团有限公司", "--owner", "li.na"]);
    repo.assert_refused(&out, 2, &["zhengzhou-yutong-keyun-jituan", "same name", "--force"], &before);
    let out = repo.crm(&["add", "--name", "Other Co", "--owner", "li.na", "--contact", "W <WANG@example.cn>"]);
    repo.assert_refused(&out, 2, &["zhengzhou-yutong-keyun-jituan", "same email"], &before);
    let out = repo.crm(&["add", "--name", "Third Co", "--owner", "li.na", "--contact", "Z 0371-5555-0101"]);
    repo.assert_refused(&out, 2, &["zhengzhou-yutong-keyun-jituan", "same phone"], &before);
    let id = repo.add_customer("Other Co", "li.na", &["--contact", "W <wang@example.cn>", "--force"]);
    assert_eq!(id, "other-co");
    // The cache of keys is an optimisation only: without it the same answer.
    std::fs::remove_file(repo.path(".git/crm/catalog")).unwrap();
    let out = repo.crm(&["add", "--name", "郑州宇通客运集团 Co., Ltd.", "--owner", "li.na"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn explicit_id_is_used_as_given() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("郑州宇通客运集团", "zhang.wei", &["--id", "yutong-zhengzhou"]);
    assert_eq!(id, "yutong-zhengzhou");
    assert!(repo.path(&customer_path("yutong-zhengzhou")).is_file());
}

#[test]
fn missing_name_or_owner_without_a_terminal_names_the_flag() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let out = repo.crm(&["add", "--owner", "zhang.wei"]);
    repo.assert_refused(&out, 2, &["--name"], &before);
    let out = repo.crm(&["add", "--name", "Acme"]);
    repo.assert_refused(&out, 2, &["--owner"], &before);
}

#[test]
fn invalid_ids_are_refused() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let long = "a".repeat(64);
    for bad in ["a/b", "..", "Acme", "-acme", "a_b", "", &long] {
        let flag = format!("--id={bad}");
        let out = repo.crm(&["add", &flag, "--name", "Acme", "--owner", "zhang.wei"]);
        repo.assert_refused(&out, 2, &["customer id", &format!("`{bad}`")], &before);
    }
    // A name from which no id can be derived.
    let out = repo.crm(&["add", "--name", "!!!", "--owner", "zhang.wei"]);
    repo.assert_refused(&out, 2, &["--id"], &before);
}

#[test]
fn unknown_owner_or_backup_is_refused() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "ghost"]);
    repo.assert_refused(&out, 2, &["ghost"], &before);
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei", "--backup", "nobody"]);
    repo.assert_refused(&out, 2, &["nobody"], &before);
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei", "--backup", "zhang.wei"]);
    repo.assert_refused(&out, 2, &["backup", "zhang.wei"], &before);
}

#[test]
fn bad_values_are_refused() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let add = |value: &str| repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei", "--value", value]);
    repo.assert_refused(&add("-5"), 2, &["-5"], &before);
    repo.assert_refused(&add("lots"), 2, &["lots", "value"], &before);
    repo.assert_refused(&add("1.5"), 2, &["1.5"], &before);
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei", "--value=-5"]);
    repo.assert_refused(&out, 2, &["-5", "negative"], &before);
}

#[test]
fn empty_name_is_refused() {
    let repo = TestRepo::standard();
    let before = repo.state();
    for name in ["", "   "] {
        let out = repo.crm(&["add", "--name", name, "--owner", "zhang.wei"]);
        repo.assert_refused(&out, 2, &["name"], &before);
    }
}

#[test]
fn key_account_without_backup_is_refused() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei", "--tier", "key"]);
    repo.assert_refused(&out, 2, &["backup", "key account"], &before);
    repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei", "--tier", "key", "--backup", "li.na"]).ok();
}

#[test]
fn unknown_tier_status_and_bad_contact_are_refused() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let base = ["add", "--name", "Acme", "--owner", "zhang.wei"];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        repo.crm(&args)
    };
    repo.assert_refused(&with(&["--tier", "gold"]), 2, &["gold"], &before);
    repo.assert_refused(&with(&["--status", "happy"]), 2, &["happy"], &before);
    repo.assert_refused(&with(&["--since", "2026-02-30"]), 2, &["2026-02-30"], &before);
    repo.assert_refused(&with(&["--contact", "Bob <not an email>"]), 2, &["not an email"], &before);
}

#[test]
fn a_rep_may_add_only_customers_they_own() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let out = repo.crm_as("zhang.wei", &["add", "--name", "Acme", "--owner", "wang.fang"]);
    repo.assert_refused(&out, 2, &["zhang.wei"], &before);
    repo.crm_as("zhang.wei", &["add", "--name", "Acme", "--owner", "zhang.wei"]).ok();
    // A manager may add for anyone.
    repo.crm_as("li.na", &["add", "--name", "Beta", "--owner", "wang.fang"]).ok();
}

#[test]
fn unknown_actor_is_refused() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let out = repo.crm_as("ghost", &["add", "--name", "Acme", "--owner", "zhang.wei"]);
    repo.assert_refused(&out, 2, &["ghost"], &before);
    repo.git(&["config", "user.email", "stranger@example.com"]);
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]);
    repo.assert_refused(&out, 3, &["stranger@example.com"], &before);
}

#[test]
fn add_json_output_describes_the_new_customer() {
    let repo = TestRepo::standard();
    let out =
        repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei", "--value", "1,200,000", "--format", "json"]).ok();
    let json = out.json();
    assert_eq!(json["customer"]["id"], "acme");
    assert_eq!(json["customer"]["owner"], "zhang.wei");
    assert_eq!(json["customer"]["value"], 1_200_000);
    assert_eq!(json["path"], customer_path("acme").as_str());
    assert_eq!(json["commit"], repo.head().as_str());
}

#[test]
fn names_with_terminal_escapes_are_not_echoed_raw() {
    let repo = TestRepo::standard();
    let out = repo.crm(&["add", "--name", "Evil \u{1b}[31mRed\u{1b}[0m Co", "--owner", "li.na"]).ok();
    assert!(
        !out.stdout.contains('\u{1b}') && !out.stderr.contains('\u{1b}'),
        "the confirmation line must not send ESC to the terminal\n{}",
        out.stdout.escape_debug()
    );
}

#[test]
fn regions_listed_in_the_policy_are_enforced() {
    let repo = TestRepo::standard();
    let text = repo.read("crm.toml");
    let line = text.lines().find(|l| l.starts_with("regions")).expect("a regions line").to_string();
    repo.write("crm.toml", text.replace(&line, "regions = [\"华中\", \"华南\"]"));
    repo.commit_all("Fix the regions");
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei", "--region", "西北"]);
    repo.assert_refused(&out, 2, &["西北", "华中"], &before);
    repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei", "--region", "华南"]).ok();
}

#[test]
fn commit_times_come_from_git_author_date_and_git_committer_date() {
    let repo = TestRepo::standard();
    let mut cmd = repo.crm_cmd();
    cmd.env("GIT_AUTHOR_DATE", "Thu, 26 Nov 2026 09:00:00 +0800")
        .env("GIT_COMMITTER_DATE", "@1795662000 -0130")
        .args(["add", "--name", "Acme", "--owner", "zhang.wei"]);
    repo.run(cmd).ok();
    let times = repo.git(&["log", "-1", "--format=%ad|%cd", "--date=raw", "HEAD"]);
    assert_eq!(times.trim(), "1795654800 +0800|1795662000 -0130");

    // The same command with the same dates makes the same commit.
    let first = repo.head();
    repo.git(&["reset", "--hard", "HEAD~1"]);
    let mut again = repo.crm_cmd();
    again
        .env("GIT_AUTHOR_DATE", "2026-11-26T09:00:00+08:00")
        .env("GIT_COMMITTER_DATE", "2026-11-26 01:30:00 -0130")
        .args(["add", "--name", "Acme", "--owner", "zhang.wei"]);
    repo.run(again).ok();
    assert_eq!(repo.head(), first, "commits are deterministic");
}

#[test]
fn an_unreadable_git_committer_date_is_refused_before_anything_is_written() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let mut cmd = repo.crm_cmd();
    cmd.env("GIT_COMMITTER_DATE", "next tuesday").args(["add", "--name", "Acme", "--owner", "zhang.wei"]);
    let out = repo.run(cmd);
    repo.assert_refused(&out, 2, &["GIT_COMMITTER_DATE", "next tuesday"], &before);
}
