//! `crm report digest`: each person's own list, as `crm agenda` defines it
//! (the same items in the same order), for one person or for everyone at
//! once; as text, Markdown, HTML or JSON, in either language; and as one
//! mail per person (`--each --mail --out DIR`), read back with Python's
//! `email` package.

use serde_json::Value;

use crate::common::{customer_path, TestRepo, TODAY};
use crate::report_mail::parse_mail;

/// zhang.wei: an overdue next step (yutong), one due in 3 days (acme) and
/// a stale customer (ancient); wang.fang: a customer just handed over from
/// zhang.wei (gamma); li.na and liu.yang: nothing.
fn store() -> TestRepo {
    let repo = TestRepo::standard();
    repo.add_customer("郑州宇通客运集团", "zhang.wei", &["--id", "yutong", "--tier", "key", "--backup", "li.na"]);
    repo.add_customer("Acme", "zhang.wei", &["--id", "acme"]);
    repo.add_customer("Gamma", "zhang.wei", &["--id", "gamma"]);
    repo.crm(&["edit", "yutong", "--set", "next_step=Quote 20 coaches", "--set", "next_date=2026-11-20"]).ok();
    repo.crm(&["edit", "acme", "--set", "next_step=Visit", "--set", "next_date=2026-11-29"]).ok();
    repo.crm(&["reassign", "gamma", "--to", "wang.fang", "--reason", "closer to Guangzhou"]).ok();
    stale(&repo, "zhang.wei", &["ancient"]);
    repo
}

/// Customers of `owner` since 2020, never touched, committed with git.
fn stale(repo: &TestRepo, owner: &str, ids: &[&str]) {
    for id in ids {
        let toml = format!("name = \"Old {id}\"\nowner = \"{owner}\"\nstatus = \"active\"\nsince = 2020-01-01\n");
        repo.write(&customer_path(id), toml);
    }
    repo.commit_all("old customers");
}

fn json(repo: &TestRepo, args: &[&str]) -> Value {
    repo.crm(&[&["report", "digest", "--format", "json"][..], args].concat()).ok().json()
}

#[test]
fn everyone_gets_their_agenda_and_people_with_nothing_get_nothing() {
    let repo = store();
    let each = json(&repo, &["--each"]);
    let people: Vec<&str> = each.as_array().unwrap().iter().map(|d| d["person"].as_str().unwrap()).collect();
    assert_eq!(people, ["wang.fang", "zhang.wei"]);
    for digest in each.as_array().unwrap() {
        let person = digest["person"].as_str().unwrap();
        let agenda = repo.crm(&["agenda", "--for", person, "--format", "json"]).ok().json();
        assert_eq!(digest["items"], agenda["items"], "{person}: the agenda's items, in its order");
        assert_eq!(digest["email"], format!("{person}@example.com"));
        assert_eq!(json(&repo, &["--for", person])["items"], agenda["items"], "{person}");
    }
    let kinds: Vec<&str> = each[1]["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["overdue", "due", "stale"]);
    assert_eq!(each[0]["items"][0]["kind"], "handover");
    // One person by name gets their list even when it is empty.
    assert_eq!(json(&repo, &["--for", "li.na"])["items"], serde_json::json!([]));
    let text = repo.crm(&["report", "digest", "--for", "li.na"]).ok().stdout;
    assert!(text.contains("Nothing on your list"), "{text}");
}

#[test]
fn a_list_reads_in_both_languages_and_as_html() {
    let repo = store();
    let md = repo.crm(&["report", "digest", "--for", "zhang.wei", "--format", "md"]).ok().stdout;
    assert!(md.starts_with("# 张伟 (zhang.wei): your list for 2026-11-26\n\n**1** overdue · **0** handovers to acknowledge · **1** due by 2026-12-03 · **1** stale accounts\n"), "{md}");
    for line in [
        "## Overdue next steps",
        "| 2026-11-20 | yutong | 郑州宇通客运集团 | Quote 20 coaches | 6 days overdue |",
        "## Next steps due by 2026-12-03",
        "| 2026-11-29 | acme | Acme | Visit | due in 3 days |",
        "## Stale accounts",
    ] {
        assert!(md.contains(line), "{line}\n{md}");
    }
    assert!(!md.contains("## Handovers to acknowledge"), "no empty sections\n{md}");
    let zh = repo.crm(&["report", "digest", "--for", "wang.fang", "--format", "md", "--lang", "zh-CN"]).ok().stdout;
    assert!(zh.starts_with("# 王芳（wang.fang）的待办：2026-11-26"), "{zh}");
    assert!(zh.contains("| gamma | Gamma |  | 6 天前从 zhang.wei 交接过来，此后未跟进 |"), "{zh}");
    let html = repo.crm(&["report", "digest", "--for", "zhang.wei", "--format", "html"]).ok().stdout;
    assert!(html.contains("<meta name=\"viewport\""), "{html}");
    assert!(html.contains(">郑州宇通客运集团</span>"), "a name beside its id\n{html}");
    assert!(!html.contains("<script") && !html.contains("<svg"), "{html}");
}

#[test]
fn a_long_stale_list_is_cut_and_says_where_the_rest_is() {
    let repo = store();
    let ids: Vec<String> = (0..30).map(|i| format!("old-{i:02}")).collect();
    stale(&repo, "li.na", &ids.iter().map(String::as_str).collect::<Vec<_>>());
    let md = repo.crm(&["report", "digest", "--for", "li.na", "--format", "md"]).ok().stdout;
    assert_eq!(md.matches("| never touched in ").count(), 25, "{md}");
    assert!(md.contains("_…and 5 more stale accounts: crm agenda --for li.na_"), "{md}");
    assert_eq!(json(&repo, &["--for", "li.na"])["items"].as_array().unwrap().len(), 30, "JSON has them all");
}

#[test]
fn each_person_gets_a_message_file_for_sendmail() {
    let repo = store();
    let out = repo.root().join("digests");
    let run =
        repo.crm(&["report", "digest", "--each", "--mail", "--out", out.to_str().unwrap(), "--lang", "zh-CN"]).ok();
    assert!(run.stdout.is_empty() && run.stderr.contains("Wrote 2 list(s)"), "{run}");
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["wang.fang.eml", "zhang.wei.eml"]);
    let message = std::fs::read_to_string(out.join("zhang.wei.eml")).unwrap();
    let Some(m) = parse_mail(&repo, &message) else { return };
    assert_eq!(m["defects"], serde_json::json!([]));
    assert_eq!(m["to"], serde_json::json!(["zhang.wei@example.com"]));
    assert_eq!(m["to_names"], serde_json::json!(["张伟"]));
    assert_eq!(m["subject"], "[crm] 你的待办（2026-11-26）：逾期 1，待确认交接 0，到期 1，长期未跟进 1");
    let html = repo.crm(&["report", "digest", "--for", "zhang.wei", "--format", "html", "--lang", "zh-CN"]).ok().stdout;
    assert_eq!(m["parts"][1]["content"], html.as_str(), "the HTML part is the list");
    let md = repo.crm(&["report", "digest", "--for", "zhang.wei", "--format", "md", "--lang", "zh-CN"]).ok().stdout;
    assert_eq!(m["parts"][0]["content"], md.as_str(), "the text part is its Markdown");
    // One person's message goes to stdout.
    let single = repo.crm(&["report", "digest", "--for", "zhang.wei", "--mail", "--lang", "zh-CN"]).ok().stdout;
    assert_eq!(single, message);
}

#[test]
fn digest_misuse_is_refused() {
    let repo = store();
    let before = repo.state();
    for (args, needles) in [
        (&["report", "digest"][..], &["--for"][..]),
        (&["report", "digest", "--each", "--for", "li.na"], &["--each", "--for"]),
        (&["report", "digest", "--each", "--mail"], &["--out DIR"]),
        (&["report", "digest", "--each", "--format", "html"], &["--out DIR"]),
        (&["report", "digest", "--for", "ghost"], &["ghost"]),
        (&["report", "digest", "--for", "li.na", "--within", "soon"], &["soon"]),
    ] {
        let out = repo.crm(args);
        repo.assert_refused(&out, 2, needles, &before);
    }
}

#[test]
fn a_person_without_a_usable_address_does_not_hold_up_the_others() {
    let repo = store();
    let staff = repo.read("staff/wang.fang.toml").replace("wang.fang@example.com", "wang.fang at example");
    repo.write("staff/wang.fang.toml", staff);
    repo.commit_all("a broken address");
    let out = repo.root().join("digests");
    let run = repo.crm_findings(TODAY, &["report", "digest", "--each", "--mail", "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.starts_with("Wrote 1 list(s)"), "{run}");
    assert!(run.stderr.contains("1 list(s) could not be made:\n  no message for wang.fang:"), "{run}");
    assert!(run.stderr.contains("\"wang.fang at example\""), "names the address\n{run}");
    let names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["zhang.wei.eml"]);
}
