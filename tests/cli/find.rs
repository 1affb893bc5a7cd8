//! `crm find`: one ranked list across every field a rep remembers a
//! customer by, from the catalog cache, kept current by every write.

use crate::common::*;

fn store() -> TestRepo {
    let repo = TestRepo::standard();
    repo.add_customer(
        "郑州宇通客运集团",
        "zhang.wei",
        &["--contact", "王建国 <wang@yutong.cn> +86 371 5555 0101", "--tag", "electric", "--backup", "li.na"],
    );
    repo.add_customer("Nordic Coach AB", "wang.fang", &["--contact", "Anna Berg <anna@nordic.se>"]);
    repo.add_customer("郑州公交集团", "li.na", &[]);
    repo
}

fn ids(repo: &TestRepo, query: &str) -> Vec<String> {
    let out = repo.crm(&["find", query, "--format", "json"]);
    out.json().as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_customer_is_found_by_what_a_rep_remembers() {
    let repo = store();
    let yutong = "zhengzhou-yutong-keyun-jituan";
    for query in
        ["zzyt", "宇通", "yutong", "王建国", "wang@yutong", "electric", "5555 0101", "+8637155550101", "037155550101"]
    {
        assert_eq!(ids(&repo, query).first().map(String::as_str), Some(yutong), "{query}");
    }
    assert_eq!(ids(&repo, "anna berg"), ["nordic-coach-ab"]);
    let json = repo.crm(&["find", "5555 0101", "--format", "json"]).ok().json();
    assert_eq!(json[0]["matched"], "phone", "{json}");
    assert_eq!(json[0]["owner"], "zhang.wei", "{json}");
}

#[test]
fn the_best_match_comes_first_and_limit_cuts_the_list() {
    let repo = store();
    // Both Zhengzhou customers match 郑州; 郑州宇通 only one of them, first.
    assert_eq!(ids(&repo, "郑州").len(), 2);
    let yutong = ids(&repo, "郑州宇通");
    assert_eq!(yutong, ["zhengzhou-yutong-keyun-jituan"]);
    // A contiguous match outranks letters scattered across a longer name.
    let ranked = ids(&repo, "zhengzhougongjiao");
    assert_eq!(ranked.first().map(String::as_str), Some("zhengzhou-gongjiao-jituan"), "{ranked:?}");
    assert_eq!(
        repo.crm(&["find", "zhengzhou", "--limit", "1", "--format", "json"]).ok().json().as_array().unwrap().len(),
        1
    );
}

#[test]
fn find_sees_every_write_at_once() {
    let repo = store();
    assert!(ids(&repo, "Lars Holm").is_empty());
    repo.crm(&["edit", "nordic-coach-ab", "--add-contact", "Lars Holm <lars@nordic.se> +46 8 123 4567"]).ok();
    assert_eq!(ids(&repo, "Lars Holm"), ["nordic-coach-ab"]);
    assert_eq!(ids(&repo, "081234567"), ["nordic-coach-ab"]);
    // The cache is only a cache: without it, the same answer.
    std::fs::remove_file(repo.path(".git/crm/catalog")).ok();
    assert_eq!(ids(&repo, "Lars Holm"), ["nordic-coach-ab"]);
}

#[test]
fn nothing_found_is_exit_1_and_an_empty_query_is_refused() {
    let repo = store();
    let none = repo.crm(&["find", "qqqzzz"]);
    assert_eq!(none.code, 1, "{none}");
    assert!(none.stderr.contains("no customer matches `qqqzzz`"), "{none}");
    let before = repo.state();
    repo.assert_refused(&repo.crm(&["find", "  "]), 2, &["query"], &before);
    // `search` is the same command.
    assert_eq!(repo.crm(&["search", "zzyt"]).ok().stdout, repo.crm(&["find", "zzyt"]).ok().stdout);
}

#[test]
fn commands_take_an_exact_name_or_a_unique_start_of_the_id() {
    let repo = store();
    let yutong = "zhengzhou-yutong-keyun-jituan";
    let by_name = repo.crm(&["show", "郑州宇通客运集团", "--format", "json"]).ok().json();
    assert_eq!(by_name["id"], yutong);
    let by_prefix = repo.crm(&["show", "zhengzhou-y", "--format", "json"]).ok().json();
    assert_eq!(by_prefix["id"], yutong);
    repo.crm(&["touch", "zhengzhou-y", "--kind", "call", "--summary", "by prefix"]).ok();
    repo.crm(&["reassign", "郑州宇通客运集团", "--to", "li.na", "--reason", "by name"]).ok();
    assert_eq!(repo.crm(&["log", "zhengzhou-y", "--format", "json"]).ok().json()[0]["to"], "li.na");

    // Two customers start with `zhengzhou`: refused, both named, nothing written.
    let before = repo.state();
    let out = repo.crm(&["touch", "zhengzhou", "--kind", "call", "--summary", "x"]);
    repo.assert_refused(&out, 2, &["zhengzhou-gongjiao-jituan", "zhengzhou-yutong-keyun-jituan", "crm find"], &before);
    repo.assert_refused(&repo.crm(&["show", "郑州"]), 2, &["no customer `郑州`", "crm find"], &before);
}
