//! Read commands' output: `list`, `show`, `staff list`, `staff show`, `log`
//! in every `--format`; CJK-aware table alignment; filters; and a reader
//! that closes the pipe early (`crm list | head -1`).

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::common::{display_width, fast_shard, TestRepo};

/// The standard store with a Chinese-named key account and a Latin one.
fn store() -> TestRepo {
    let repo = TestRepo::standard();
    repo.add_customer(
        "郑州宇通客运集团",
        "zhang.wei",
        &["--tier", "key", "--backup", "li.na", "--region", "华中", "--value", "12000000", "--tag", "公交"],
    );
    repo.add_customer("Acme", "wang.fang", &["--region", "华南", "--value", "800"]);
    repo
}

#[track_caller]
fn assert_aligned(table: &str) {
    let lines: Vec<&str> = table.lines().filter(|l| !l.is_empty()).collect();
    assert!(lines.len() >= 3, "not a table:\n{table}");
    let widths: Vec<usize> = lines.iter().map(|l| display_width(l)).collect();
    assert!(widths.iter().all(|w| *w == widths[0]), "lines of different display widths {widths:?}:\n{table}");
}

#[test]
fn tables_line_up_with_chinese_text() {
    let repo = store();
    let out = repo.crm(&["list"]).ok();
    assert!(out.stdout.contains("郑州宇通客运集团") && out.stdout.contains("Acme"));
    assert_aligned(&out.stdout);
    assert_eq!(out.stdout.lines().count(), 6, "border, header, rule, 2 rows, border");

    let out = repo.crm(&["staff", "list"]).ok();
    assert!(out.stdout.contains("张伟"), "{out}");
    assert_aligned(&out.stdout);

    let out = repo.crm(&["log"]).ok();
    assert_aligned(&out.stdout);

    let out = repo.crm(&["staff", "show", "li.na"]).ok();
    assert_aligned(&out.stdout);
}

#[test]
fn list_in_every_format() {
    let repo = store();
    let rows = repo.crm(&["list", "--format", "json"]).ok().json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let yutong = rows.iter().find(|r| r["id"] == "zhengzhou-yutong-keyun-jituan").unwrap();
    assert_eq!(yutong["name"], "郑州宇通客运集团");
    assert_eq!(yutong["owner"], "zhang.wei");
    assert_eq!(yutong["backup"], "li.na");
    assert_eq!(yutong["tier"], "key");
    assert_eq!(yutong["value"], 12_000_000);

    let csv = repo.crm(&["list", "--format", "csv"]).ok().stdout;
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,name,owner"), "{csv}");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(csv.contains("郑州宇通客运集团"));

    let md = repo.crm(&["list", "--format", "md"]).ok().stdout;
    assert!(md.starts_with('|'), "{md}");
    assert!(md.lines().nth(1).unwrap().contains("---"), "{md}");
    assert_eq!(md.lines().count(), 4, "{md}");
}

#[test]
fn show_in_every_format() {
    let repo = store();
    let id = "zhengzhou-yutong-keyun-jituan";
    let json = repo.crm(&["show", id, "--format", "json"]).ok().json();
    assert_eq!(json["id"], id);
    assert_eq!(json["name"], "郑州宇通客运集团");
    assert_eq!(json["owner"], "zhang.wei");
    assert_eq!(json["path"], crate::common::customer_path(id).as_str());
    let history = json["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["action"], "add");

    let csv = repo.crm(&["show", id, "--format", "csv"]).ok().stdout;
    assert!(csv.starts_with("field,value\n"), "{csv}");
    assert!(csv.contains("owner,zhang.wei"), "{csv}");

    let md = repo.crm(&["show", id, "--format", "md"]).ok().stdout;
    assert!(md.starts_with("# 郑州宇通客运集团"), "{md}");
    assert!(md.contains("| owner | zhang.wei |"), "{md}");

    let table = repo.crm(&["show", id]).ok().stdout;
    assert!(table.contains("郑州宇通客运集团") && table.contains("li.na"), "{table}");

    let before = repo.state();
    let out = repo.crm(&["show", "nosuch"]);
    repo.assert_refused(&out, 2, &["nosuch"], &before);
}

#[test]
fn staff_list_and_show_in_every_format() {
    let repo = store();
    let people = repo.crm(&["staff", "list", "--format", "json"]).ok().json();
    let people = people.as_array().unwrap();
    let handles: Vec<_> = people.iter().map(|p| p["handle"].as_str().unwrap()).collect();
    assert_eq!(handles, ["li.na", "liu.yang", "wang.fang", "zhang.wei"]);
    let zhang = &people[3];
    assert_eq!(zhang["customers"], 1);
    assert_eq!(zhang["key_accounts"], 1);
    assert_eq!(zhang["value"], 12_000_000);
    assert_eq!(people[0]["backup_for"], 1);

    let csv = repo.crm(&["staff", "list", "--format", "csv"]).ok().stdout;
    assert!(csv.starts_with("handle,name,role"), "{csv}");
    assert_eq!(csv.lines().count(), 5);
    let md = repo.crm(&["staff", "list", "--format", "md"]).ok().stdout;
    assert!(md.starts_with('|'), "{md}");

    let show = repo.crm(&["staff", "show", "zhang.wei", "--format", "json"]).ok().json();
    assert_eq!(show["handle"], "zhang.wei");
    assert_eq!(show["name"], "张伟");
    assert_eq!(show["role"], "rep");
    assert_eq!(show["owns"][0], "zhengzhou-yutong-keyun-jituan");
    let csv = repo.crm(&["staff", "show", "zhang.wei", "--format", "csv"]).ok().stdout;
    assert!(csv.starts_with("field,value\n"), "{csv}");
    let md = repo.crm(&["staff", "show", "zhang.wei", "--format", "md"]).ok().stdout;
    assert!(md.starts_with('|') || md.starts_with('#'), "{md}");

    let before = repo.state();
    let out = repo.crm(&["staff", "show", "ghost"]);
    repo.assert_refused(&out, 2, &["ghost"], &before);
}

#[test]
fn log_in_every_format() {
    let repo = store();
    let json = repo.crm(&["log", "--format", "json"]).ok().json();
    assert_eq!(json.as_array().unwrap().len(), 2);
    let csv = repo.crm(&["log", "--format", "csv"]).ok().stdout;
    assert!(csv.starts_with("date,commit,action,customer"), "{csv}");
    assert_eq!(csv.lines().count(), 3);
    let md = repo.crm(&["log", "--format", "md"]).ok().stdout;
    assert!(md.starts_with('|'), "{md}");
    let out = repo.crm(&["log", "--format", "yaml"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("yaml"), "{out}");
}

#[test]
fn list_filters() {
    let repo = store();
    repo.write_customer(
        "old-friend",
        "name = \"Old Friend\"\nowner = \"zhang.wei\"\nsince = 2025-01-01\ntier = \"prospect\"\nstatus = \"dormant\"\nnext_date = 2026-12-01\ntags = [\"legacy\"]\n",
    );
    repo.commit_all("Add an old customer by hand");
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "--format", "json"];
        all.extend_from_slice(args);
        let rows = repo.crm(&all).ok().json();
        let mut ids: Vec<String> =
            rows.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    let yutong = "zhengzhou-yutong-keyun-jituan";
    assert_eq!(ids(&[]).len(), 3);
    assert_eq!(ids(&["--owner", "zhang.wei"]), ["old-friend", yutong]);
    assert_eq!(ids(&["--region", "华南"]), ["acme"]);
    assert_eq!(ids(&["--tier", "key"]), [yutong]);
    assert_eq!(ids(&["--tag", "公交"]), [yutong]);
    assert_eq!(ids(&["--status", "dormant"]), ["old-friend"]);
    assert_eq!(ids(&["--due", "1w"]), ["old-friend"]);
    assert_eq!(ids(&["--due", "2026-11-30"]), Vec::<String>::new());
    // Untouched for two years, but dormant: not a stale relationship (the
    // definition check, the reports and agenda use) until it is active.
    assert_eq!(ids(&["--stale"]), Vec::<String>::new());
    let file = crate::common::customer_path("old-friend");
    repo.write(&file, repo.read(&file).replace("status = \"dormant\"", "status = \"active\""));
    repo.commit_all("Wake the old customer up");
    assert_eq!(ids(&["--stale"]), ["old-friend"]);
    let out = repo.crm(&["list", "--due", "soon"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("soon"), "{out}");
}

#[test]
fn a_reader_closing_the_pipe_early_is_not_an_error() {
    let repo = TestRepo::init();
    // Enough customers that the output is far larger than a pipe buffer.
    for i in 0..1000 {
        let id = format!("customer-{i:04}");
        repo.write(
            &format!("customers/{}/{id}.toml", fast_shard(&id)),
            format!("name = \"客户 {i}\"\nowner = \"liu.yang\"\n"),
        );
    }
    repo.commit_all("Import 1000 customers");
    for format in ["table", "json"] {
        let full = repo.crm(&["list", "--format", format]).ok();
        assert!(full.stdout.len() > 96 * 1024, "{} bytes", full.stdout.len());
    }

    for format in ["table", "json"] {
        let mut child = repo
            .crm_std()
            .args(["list", "--format", format])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn crm");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        assert!(!first.is_empty());
        drop(reader); // like `head -1`
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "--format {format}: panicked on a closed pipe:\n{stderr}");
        assert_eq!(out.status.code(), Some(0), "--format {format}: a closed pipe is not an error:\n{stderr}");
    }
}

#[test]
fn an_invalid_crm_today_is_refused() {
    let repo = store();
    let mut cmd = repo.crm_cmd();
    cmd.env("CRM_TODAY", "2026-13-01").arg("list");
    let out = repo.run(cmd);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("CRM_TODAY") && out.stderr.contains("2026-13-01"), "{out}");
}

#[test]
fn list_is_sorted_by_name_in_pinyin_order_and_sort_reverse_limit_apply() {
    let repo = TestRepo::standard();
    repo.add_customer("郑州宇通客运集团", "zhang.wei", &["--value", "300"]);
    repo.add_customer("Almaty Avtobus", "zhang.wei", &["--value", "100"]);
    repo.add_customer("北京公交集团", "li.na", &["--value", "200"]);
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "--format", "json"];
        all.extend_from_slice(args);
        let out = repo.crm(&all).ok().json();
        out.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
    };
    // 北京 reads beijing: between Almaty and 郑州 (zhengzhou).
    assert_eq!(ids(&[]), ["almaty-avtobus", "beijing-gongjiao-jituan", "zhengzhou-yutong-keyun-jituan"]);
    assert_eq!(
        ids(&["--sort", "value", "--reverse", "--limit", "2"]),
        ["zhengzhou-yutong-keyun-jituan", "beijing-gongjiao-jituan"]
    );
    assert_eq!(
        ids(&["--sort", "owner,value"]),
        ["beijing-gongjiao-jituan", "almaty-avtobus", "zhengzhou-yutong-keyun-jituan"]
    );
    let before = repo.state();
    repo.assert_refused(
        &repo.crm(&["list", "--sort", "colour"]),
        2,
        &["unknown sort key `colour`", "last-touch"],
        &before,
    );
}
