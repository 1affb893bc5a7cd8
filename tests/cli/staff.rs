//! `crm staff add`: admins only, one file per person, and refusals that
//! write nothing.

use crate::common::{trailer, TestRepo};

#[test]
fn staff_add_writes_one_file_in_one_commit() {
    let repo = TestRepo::init();
    let commits = repo.commit_count();
    repo.crm(&[
        "staff",
        "add",
        "chen.jie",
        "--name",
        "陈杰",
        "--email",
        "chen.jie@example.com",
        "--role",
        "rep",
        "--region",
        "华东",
        "--key",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDummyKeyForTestsOnly chen@laptop",
    ])
    .ok();
    assert_eq!(repo.commit_count(), commits + 1);
    assert_eq!(repo.changed_paths("HEAD"), ["staff/chen.jie.toml"]);
    let person = repo.read_toml("staff/chen.jie.toml");
    assert_eq!(person["name"].as_str(), Some("陈杰"));
    assert_eq!(person["email"].as_str(), Some("chen.jie@example.com"));
    assert_eq!(person["role"].as_str(), Some("rep"));
    assert_eq!(person["region"].as_str(), Some("华东"));
    assert_eq!(person["status"].as_str(), Some("active"));
    assert_eq!(crate::common::toml_date(&person["joined"]), "2026-11-26");
    assert_eq!(person["keys"].as_array().unwrap().len(), 1);
    let message = repo.message("HEAD");
    assert_eq!(trailer(&message, "Crm-Actor").as_deref(), Some("liu.yang"));
    assert_eq!(repo.status(), "");
}

#[test]
fn only_admins_add_staff() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let args = ["staff", "add", "chen.jie", "--name", "陈杰", "--email", "chen.jie@example.com", "--role", "rep"];
    for who in ["li.na", "zhang.wei"] {
        let out = repo.crm_as(who, &args);
        repo.assert_refused(&out, 2, &[who, "admin"], &before);
    }
}

#[test]
fn staff_add_refuses_bad_and_duplicate_input() {
    let repo = TestRepo::standard();
    let before = repo.state();
    let add = |handle: &str, email: &str, role: &str| {
        repo.crm(&["staff", "add", handle, "--name", "Someone", "--email", email, "--role", role])
    };
    let out = add("zhang.wei", "other@example.com", "rep");
    repo.assert_refused(&out, 2, &["zhang.wei", "already exists"], &before);
    let out = add("chen.jie", "zhang.wei@example.com", "rep");
    repo.assert_refused(&out, 2, &["zhang.wei@example.com"], &before);
    let out = add("Chen Jie", "chen@example.com", "rep");
    repo.assert_refused(&out, 2, &["Chen Jie"], &before);
    let out = add("chen.jie", "chen@example.com", "boss");
    repo.assert_refused(&out, 2, &["boss"], &before);
    let out = add("chen.jie", " ", "rep");
    repo.assert_refused(&out, 2, &["email"], &before);
}

#[test]
fn departed_people_are_listed_only_with_all() {
    let repo = TestRepo::standard();
    let rel = "staff/wang.fang.toml";
    let text = repo.read(rel).replace("status = \"active\"", "status = \"departed\"");
    repo.write(rel, text);
    repo.commit_all("wang.fang has left");
    let handles = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["staff", "list", "--format", "json"];
        all.extend_from_slice(args);
        repo.crm(&all)
            .ok()
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["handle"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(handles(&[]), ["li.na", "liu.yang", "zhang.wei"]);
    assert_eq!(handles(&["--all"]), ["li.na", "liu.yang", "wang.fang", "zhang.wei"]);
    // A departed person may no longer act.
    let before = repo.state();
    let out = repo.crm_as("wang.fang", &["add", "--name", "Acme", "--owner", "wang.fang"]);
    repo.assert_refused(&out, 2, &["wang.fang", "departed"], &before);
}
