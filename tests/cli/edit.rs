//! `crm edit`: one value changes, every other byte of a hand-edited file
//! stays; the owner and impossible values are refused.

use crate::common::{toml_date, trailer, TestRepo};

/// A file as a person writes it: comments, odd key order, extra spaces, an
/// unknown key, digit separators, a table with a trailing comment.
const HAND_EDITED: &str = r#"# Acme — hand-maintained, see contract 2019-17
tier   =   "standard"    # upgrade next year?
owner = "zhang.wei"   # since the 2019 tender
name = "Acme Coaches"

fax = "+86 371 0000"   # unknown key, must survive
value = 1_200_000
region="华中"

[[contacts]]   # the buyer
name = "王建国"
email = "wang@acme.cn"
"#;

fn store_with_hand_edited_file() -> (TestRepo, String) {
    let repo = TestRepo::standard();
    let rel = repo.write_customer("acme", HAND_EDITED);
    repo.commit_all("Add Acme by hand");
    (repo, rel)
}

#[test]
fn edit_changes_only_that_value_byte_for_byte() {
    let (repo, rel) = store_with_hand_edited_file();
    let commits = repo.commit_count();
    let out = repo.crm(&["edit", "acme", "--set", "tier=prospect"]).ok();
    assert!(out.stdout.contains("tier"), "{out}");

    let expected = HAND_EDITED.replace(
        r#"tier   =   "standard"    # upgrade next year?"#,
        r#"tier   =   "prospect"    # upgrade next year?"#,
    );
    assert_ne!(expected, HAND_EDITED);
    assert_eq!(repo.read(&rel), expected);
    assert_eq!(repo.git(&["show", &format!("HEAD:{rel}")]), expected);
    assert_eq!(repo.commit_count(), commits + 1);
    assert_eq!(repo.changed_paths("HEAD"), [rel]);
    assert_eq!(repo.status(), "");
    let message = repo.message("HEAD");
    assert_eq!(trailer(&message, "Crm-Action").as_deref(), Some("edit"));
    assert_eq!(trailer(&message, "Crm-Actor").as_deref(), Some("liu.yang"));
}

#[test]
fn edit_sets_new_keys_and_unsets_old_ones_keeping_comments() {
    let (repo, rel) = store_with_hand_edited_file();
    repo.crm(&[
        "edit",
        "acme",
        "--set",
        "next_step=Quote 20 electric coaches",
        "--set",
        "next_date=2026-12-15",
        "--unset",
        "region",
        "--add-contact",
        "李静 <li.jing@acme.cn>",
    ])
    .ok();
    let text = repo.read(&rel);
    for kept in [
        "# Acme — hand-maintained, see contract 2019-17\n",
        "owner = \"zhang.wei\"   # since the 2019 tender\n",
        "fax = \"+86 371 0000\"   # unknown key, must survive\n",
        "value = 1_200_000\n",
        "[[contacts]]   # the buyer\n",
    ] {
        assert!(text.contains(kept), "lost {kept:?}:\n{text}");
    }
    assert!(!text.contains("region"), "{text}");
    let c = repo.read_toml(&rel);
    assert_eq!(c["next_step"].as_str(), Some("Quote 20 electric coaches"));
    assert_eq!(toml_date(&c["next_date"]), "2026-12-15");
    let contacts = c["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[1]["email"].as_str(), Some("li.jing@acme.cn"));
}

#[test]
fn edit_refuses_to_change_the_owner() {
    let (repo, rel) = store_with_hand_edited_file();
    let before = repo.state();
    let out = repo.crm(&["edit", "acme", "--set", "owner=li.na"]);
    repo.assert_refused(&out, 2, &["owner", "reassign"], &before);
    assert_eq!(repo.read(&rel), HAND_EDITED);
}

#[test]
fn edit_refuses_an_impossible_date() {
    let (repo, rel) = store_with_hand_edited_file();
    let before = repo.state();
    let out = repo.crm(&["edit", "acme", "--set", "next_date=2026-13-40"]);
    repo.assert_refused(&out, 2, &["2026-13-40"], &before);
    assert_eq!(repo.read(&rel), HAND_EDITED);
}

#[test]
fn edit_refuses_bad_keys_and_values() {
    let (repo, _) = store_with_hand_edited_file();
    let before = repo.state();
    let cases: &[(&[&str], &[&str])] = &[
        (&["--set", "fax=1"], &["fax"]),
        (&["--set", "tier"], &["tier", "KEY=VALUE"]),
        (&["--set", "tier=gold"], &["gold"]),
        (&["--set", "status=happy"], &["happy"]),
        (&["--set", "value=lots"], &["lots"]),
        (&["--set", "value=-3"], &["-3"]),
        (&["--set", "name="], &["name"]),
        (&["--set", "backup=ghost"], &["ghost"]),
        (&["--set", "backup=zhang.wei"], &["backup"]),
        (&["--set", "tier=standard"], &["nothing to do"]),
        (&["--unset", "name"], &["name"]),
        (&["--set", "tier=key"], &["backup"]),
        (&[], &["--set"]),
    ];
    for (extra, needles) in cases {
        let mut args = vec!["edit", "acme"];
        args.extend_from_slice(extra);
        let out = repo.crm(&args);
        repo.assert_refused(&out, 2, needles, &before);
    }
    let out = repo.crm(&["edit", "nosuch", "--set", "tier=key"]);
    repo.assert_refused(&out, 2, &["nosuch"], &before);
}

#[test]
fn edit_by_someone_unrelated_is_refused() {
    let (repo, _) = store_with_hand_edited_file();
    let before = repo.state();
    let out = repo.crm_as("wang.fang", &["edit", "acme", "--set", "tier=prospect"]);
    repo.assert_refused(&out, 2, &["wang.fang", "acme"], &before);
    // The owner may; with no [pool] rules, `since` too, either way.
    repo.crm_as("zhang.wei", &["edit", "acme", "--set", "tier=prospect"]).ok();
    repo.crm_as("zhang.wei", &["edit", "acme", "--set", "since=2026-11-01"]).ok();
    repo.crm_as("zhang.wei", &["edit", "acme", "--unset", "since"]).ok();
}
