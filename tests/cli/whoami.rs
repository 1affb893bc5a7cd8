//! `crm whoami`: who crm takes you for, why, and whether verify will agree
//! — decided exactly as a write decides it.

use crate::common::*;

#[test]
fn whoami_names_the_person_and_what_named_them() {
    let repo = TestRepo::standard();
    let me = repo.crm(&["whoami", "--format", "json"]).ok().json();
    assert_eq!(me["handle"], "liu.yang", "{me}");
    assert_eq!(me["named_by"], format!("user.email <{ADMIN_EMAIL}>"), "{me}");
    assert_eq!(me["signing"], "none", "{me}");
    assert_eq!(me["attributable"], true, "{me}");

    let as_rep = repo.crm_as("zhang.wei", &["whoami", "--format", "json"]).ok().json();
    assert_eq!(as_rep["handle"], "zhang.wei", "{as_rep}");
    assert_eq!(as_rep["named_by"], "CRM_USER", "{as_rep}");
    assert_eq!(as_rep["committer_email"], "zhang.wei@example.com", "{as_rep}");
}

#[test]
fn the_crm_user_trap_is_named_with_its_fix_and_a_write_is_refused_alike() {
    let repo = TestRepo::standard();
    repo.git(&["config", "crm.user", "zhang.wei"]);
    let me = repo.crm(&["whoami", "--format", "json"]);
    assert_eq!(me.code, 3, "{me}");
    let json = me.json();
    assert_eq!(json["attributable"], false, "{me}");
    assert_eq!(json["named_by"], "git config crm.user", "{me}");
    assert!(me.stderr.contains("git config user.email zhang.wei@example.com"), "{me}");

    let before = repo.state();
    let write = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]);
    repo.assert_refused(&write, 3, &["zhang.wei", "git config user.email zhang.wei@example.com"], &before);

    repo.git(&["config", "user.email", "zhang.wei@example.com"]);
    repo.crm(&["whoami"]).ok();
    repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]).ok();
    let verified = repo.crm(&["verify", "--format", "json"]).ok().json();
    assert_eq!(verified["violations"], serde_json::json!([]), "{verified}");
}

#[test]
fn an_email_no_staff_file_lists_is_unknown() {
    let repo = TestRepo::standard();
    repo.git(&["config", "user.email", "stranger@example.com"]);
    let out = repo.crm(&["whoami"]);
    assert_eq!(out.code, 3, "{out}");
    assert!(out.stderr.contains("stranger@example.com"), "{out}");
}

#[test]
fn owner_me_is_the_person_whoami_names() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &[]);
    repo.add_customer("Beta", "li.na", &[]);
    let mine = repo.crm_as("zhang.wei", &["list", "--owner", "me", "--format", "json"]).ok().json();
    let ids: Vec<&str> = mine.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["acme"]);
    let log = repo.crm_as("li.na", &["log", "--owner", "me", "--format", "json"]).ok().json();
    assert!(log.as_array().unwrap().iter().all(|e| e["to"] == "li.na" || e["from"] == "li.na"), "{log}");
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
    let export = repo.crm_as("zhang.wei", &["export", "--owner", "me", "--format", "json"]).ok().json();
    assert_eq!(export.as_array().unwrap().len(), 1, "{export}");
    // Nobody to be: the same refusal as whoami.
    repo.git(&["config", "user.email", "stranger@example.com"]);
    assert_eq!(repo.crm(&["list", "--owner", "me"]).code, 3);
}
