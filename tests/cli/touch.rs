//! `crm touch`: interactions appended as `[[touches]]` by the acting person.

use crate::common::{customer_path, toml_date, trailer, TestRepo};

#[test]
fn touch_appends_a_touch_by_the_actor() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &["--backup", "li.na"]);
    let rel = customer_path(&id);

    repo.crm_as(
        "zhang.wei",
        &[
            "touch",
            &id,
            "--kind",
            "visit",
            "--summary",
            "Discussed 2027 fleet renewal",
            "--next-step",
            "Send quote",
            "--next-date",
            "2026-12-15",
        ],
    )
    .ok();
    let message = repo.message("HEAD");
    assert_eq!(trailer(&message, "Crm-Action").as_deref(), Some("touch"));
    assert_eq!(trailer(&message, "Crm-Actor").as_deref(), Some("zhang.wei"));
    assert_eq!(repo.changed_paths("HEAD"), [rel.as_str()]);

    // The backup (a manager here) logs a call on another date.
    repo.crm_as("li.na", &["touch", &id, "--kind", "call", "--summary", "Price check", "--date", "2026-11-20"]).ok();

    let c = repo.read_toml(&rel);
    let touches = c["touches"].as_array().unwrap();
    assert_eq!(touches.len(), 2, "appended, oldest entry first");
    let first = &touches[0];
    assert_eq!(toml_date(&first["date"]), "2026-11-26", "defaults to CRM_TODAY");
    assert_eq!(first["by"].as_str(), Some("zhang.wei"));
    assert_eq!(first["kind"].as_str(), Some("visit"));
    assert_eq!(first["summary"].as_str(), Some("Discussed 2027 fleet renewal"));
    let second = &touches[1];
    assert_eq!(toml_date(&second["date"]), "2026-11-20");
    assert_eq!(second["by"].as_str(), Some("li.na"));
    assert_eq!(second["kind"].as_str(), Some("call"));
    assert_eq!(c["next_step"].as_str(), Some("Send quote"));
    assert_eq!(toml_date(&c["next_date"]), "2026-12-15");
    assert_eq!(repo.status(), "");

    // list shows the latest touch.
    let rows = repo.crm(&["list", "--format", "json"]).ok().json();
    assert_eq!(rows[0]["last_touch"], "2026-11-26");
    assert_eq!(rows[0]["next_date"], "2026-12-15");
}

#[test]
fn touch_keeps_a_hand_edited_file_and_appends_at_the_end() {
    let repo = TestRepo::standard();
    let original = "# visited often\nname = \"Acme\"   # short name\nowner = \"zhang.wei\"\n\n[[touches]]\ndate = 2026-10-01\nby = \"zhang.wei\"\nkind = \"email\"\nsummary = \"Intro\"\n";
    let rel = repo.write_customer("acme", original);
    repo.commit_all("Add Acme by hand");
    repo.crm(&["touch", "acme", "--kind", "meeting", "--summary", "Kick-off"]).ok();
    let text = repo.read(&rel);
    assert!(text.starts_with(original), "{text}");
    let c = repo.read_toml(&rel);
    let touches = c["touches"].as_array().unwrap();
    assert_eq!(touches.len(), 2);
    assert_eq!(touches[1]["by"].as_str(), Some("liu.yang"));
    assert_eq!(touches[1]["kind"].as_str(), Some("meeting"));
}

#[test]
fn touch_with_an_invalid_kind_is_refused() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let before = repo.state();
    let out = repo.crm(&["touch", &id, "--kind", "party", "--summary", "Fun"]);
    repo.assert_refused(&out, 2, &["party", "visit"], &before);
}

#[test]
fn touch_refuses_bad_dates_empty_summaries_and_unknown_customers() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let before = repo.state();
    let touch = |extra: &[&str]| {
        let mut args = vec!["touch", &id, "--kind", "call"];
        args.extend_from_slice(extra);
        repo.crm(&args)
    };
    let out = touch(&["--summary", "x", "--date", "2026-02-30"]);
    repo.assert_refused(&out, 2, &["2026-02-30"], &before);
    let out = touch(&["--summary", "x", "--next-date", "soon"]);
    repo.assert_refused(&out, 2, &["soon"], &before);
    let out = touch(&["--summary", "  "]);
    repo.assert_refused(&out, 2, &["summary"], &before);
    let out = repo.crm(&["touch", "nosuch", "--kind", "call", "--summary", "x"]);
    repo.assert_refused(&out, 2, &["nosuch"], &before);
}

#[test]
fn touch_by_someone_unrelated_is_refused() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let before = repo.state();
    let out = repo.crm_as("wang.fang", &["touch", &id, "--kind", "call", "--summary", "Poaching"]);
    repo.assert_refused(&out, 2, &["wang.fang", &id], &before);
}
