//! The reports in the reader's language: `[report] lang` in crm.toml and
//! `--lang` (the flag wins) choose English or Chinese words, units (万) and
//! statuses for the table, Markdown and HTML forms; JSON is the same in
//! both; an unknown language is refused.

use crate::common::TestRepo;

/// A store with a departed rep who still owns a customer worth 125,000 and
/// a key account whose backup left.
pub(crate) fn store() -> TestRepo {
    let repo = TestRepo::standard();
    repo.add_customer("郑州宇通客运集团", "wang.fang", &["--id", "yutong", "--value", "125000", "--region", "华南"]);
    repo.add_customer(
        "Acme",
        "zhang.wei",
        &["--id", "acme", "--value", "12000000", "--tier", "key", "--backup", "li.na"],
    );
    repo.crm(&["staff", "leave", "wang.fang"]).ok();
    repo.crm(&["staff", "leave", "li.na", "--to", "zhang.wei"]).ok();
    repo
}

/// Sets `[report]` in crm.toml to `settings` and commits it with git.
fn set_report(repo: &TestRepo, settings: &str) {
    let config = repo.read("crm.toml");
    repo.write("crm.toml", format!("{config}\n[report]\n{settings}\n"));
    repo.commit_all("report settings");
}

#[test]
fn reports_are_english_by_default_and_chinese_when_crm_toml_says_so() {
    let repo = store();
    let md = |extra: &[&str]| {
        let mut args = vec!["report", "handover", "--format", "md"];
        args.extend_from_slice(extra);
        repo.crm(&args).ok().stdout
    };
    let english = md(&[]);
    assert!(english.starts_with("# Handover report — Example Coach Co."), "{english}");
    assert!(english.contains("| wang.fang | 王芳 |"), "{english}");
    assert!(english.contains("| 125,000 |"), "{english}");

    set_report(&repo, "lang = \"zh-CN\"");
    let chinese = md(&[]);
    assert!(chinese.starts_with("# 交接报告 — Example Coach Co."), "{chinese}");
    for words in
        ["## 1. 待交接", "| 人员 | 名称 | 离职日期 | 截止日期 | 状态 |", "还剩 14 天", "12.5万", "待交接人员 **1**"]
    {
        assert!(chinese.contains(words), "{words}\n{chinese}");
    }
    // The key account's backup left (and the handover took it away): its
    // problem in words.
    assert!(chinese.contains("| acme | Acme | zhang.wei |  | 未设置 | 1,200万 |"), "{chinese}");
    assert!(!chinese.contains("days left") && !chinese.contains("Pending handovers"), "{chinese}");

    // The flag wins over crm.toml.
    assert_eq!(md(&["--lang", "en"]), english);
    let table = repo.crm(&["report", "handover"]).ok().stdout;
    assert!(table.starts_with("交接报告"), "{table}");
    assert!(table.contains("4. 没有有效备份的重点客户"), "{table}");
    let html = repo.crm(&["report", "handover", "--format", "html"]).ok().stdout;
    assert!(html.contains("lang=\"zh-CN\""), "{html}");
    assert!(html.contains("各负责人的客户金额") && html.contains("12.5万"), "{html}");

    let portfolio = repo.crm(&["report", "portfolio", "--format", "md"]).ok().stdout;
    assert!(
        portfolio.starts_with("| 负责人 | 名称 | 状态 | 客户数 | 重点客户 | 金额 | 长期未跟进 | 即将到期 |"),
        "{portfolio}"
    );
    assert!(portfolio.contains("| wang.fang | 王芳 | 已离职 | 1 | 0 | 12.5万 |"), "{portfolio}");
    let english = repo.crm(&["report", "portfolio", "--format", "md", "--lang", "en"]).ok().stdout;
    assert!(english.contains("| wang.fang | 王芳 | departed | 1 | 0 | 125,000 |"), "{english}");
}

#[test]
fn json_and_csv_are_the_same_in_every_language() {
    let repo = store();
    for args in [
        &["report", "handover", "--format", "json"][..],
        &["report", "portfolio", "--format", "json"],
        &["report", "portfolio", "--format", "csv"],
    ] {
        let en = repo.crm(&[args, &["--lang", "en"]].concat()).ok().stdout;
        let zh = repo.crm(&[args, &["--lang", "zh-CN"]].concat()).ok().stdout;
        assert_eq!(en, zh, "{args:?}");
    }
}

#[test]
fn an_unknown_language_is_refused() {
    let repo = store();
    let before = repo.state();
    let out = repo.crm(&["report", "handover", "--lang", "fr"]);
    repo.assert_refused(&out, 2, &["unknown language `fr` (known: en, zh-CN)"], &before);

    set_report(&repo, "lang = \"fr\"");
    let before = repo.state();
    let out = repo.crm(&["report", "portfolio"]);
    repo.assert_refused(&out, 2, &["crm.toml", "unknown language `fr` (known: en, zh-CN)"], &before);
    // `crm check` names the line.
    let out = repo.crm(&["check"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("crm.toml:") && out.stdout.contains("unknown language `fr`"), "{out}");
}
