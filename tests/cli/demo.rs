//! `crm demo`: the README's first command must build a store that every
//! other command accepts, with a history that plain git and `crm verify`
//! both find signed.

use crate::common::*;

#[test]
fn the_demo_builds_a_signed_store_that_verifies() {
    if !needs_program("ssh-keygen") {
        eprintln!("skipped: no ssh-keygen");
        return;
    }
    let repo = TestRepo::empty();
    let out = repo.crm_in(repo.root(), &["demo", "sample", "--format", "json"]).ok();
    let done = out.json();
    assert_eq!(done["customers"], 40, "{out}");
    assert_eq!(done["staff"], 8, "{out}");
    let dir = repo.root().join("sample");

    // Every commit is signed, and git itself says so.
    let verify = repo.git_in(&dir, &["verify-commit", "HEAD"]);
    assert_eq!(verify.code, 0, "{verify}");
    let unsigned = repo.git_in(&dir, &["log", "--format=%G?"]).stdout;
    assert!(unsigned.lines().all(|l| l == "G"), "not all commits are signed:\n{unsigned}");
    assert_eq!(unsigned.lines().count() as u64, done["commits"].as_u64().unwrap());

    // crm's own guard accepts the history and finds no errors in the files.
    let verified = repo.crm_in(&dir, &["verify", "--format", "json"]).ok().json();
    assert_eq!(verified["violations"].as_array().unwrap().len(), 0, "{verified}");
    let checked = repo.crm_in(&dir, &["check", "--format", "json"]).ok().json();
    assert_eq!(checked["errors"], 0, "{checked}");

    // A departed rep whose customers were only partly handed over.
    let orphans = repo.crm_in(&dir, &["list", "--orphaned", "--format", "json"]).ok().json();
    let orphans = orphans.as_array().unwrap();
    assert!(!orphans.is_empty() && orphans.iter().all(|c| c["owner"] == "zhao.lei"), "{orphans:?}");
    let log = repo.crm_in(&dir, &["log", "--owner", "zhao.lei", "--format", "json"]).ok().json();
    let handed: Vec<_> = log.as_array().unwrap().iter().filter(|e| e["action"] == "reassign").collect();
    assert!(!handed.is_empty() && handed.iter().all(|e| e["signature"] == "good"), "{log}");

    // Mixed Chinese and Latin names, several regions, two years of touches.
    let list = repo.crm_in(&dir, &["list", "--format", "json"]).ok().json();
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(names.iter().any(|n| n.is_ascii()) && names.iter().any(|n| !n.is_ascii()));
    let regions: std::collections::BTreeSet<_> =
        list.as_array().unwrap().iter().map(|c| c["region"].to_string()).collect();
    assert!(regions.len() >= 4, "{regions:?}");

    // The demo acts as the admin afterwards: a command works right away.
    let moved =
        repo.crm_in(&dir, &["reassign", "--from", "zhao.lei", "--to", "chen.jie", "--reason", "finish", "--yes"]);
    moved.ok();
    assert_eq!(repo.git_in(&dir, &["verify-commit", "HEAD"]).code, 0);
}

#[test]
fn the_demo_refuses_a_directory_with_files() {
    let repo = TestRepo::empty();
    std::fs::create_dir_all(repo.root().join("taken")).unwrap();
    std::fs::write(repo.root().join("taken/file.txt"), "mine").unwrap();
    let out = repo.crm_in(repo.root(), &["demo", "taken"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("taken"), "{out}");
    assert_eq!(std::fs::read_to_string(repo.root().join("taken/file.txt")).unwrap(), "mine");
}

#[test]
fn the_demo_says_how_to_type_crm_when_it_is_not_on_the_path() {
    if !needs_program("ssh-keygen") {
        eprintln!("skipped: no ssh-keygen");
        return;
    }
    let repo = TestRepo::empty();
    let out = repo.crm_in(repo.root(), &["demo", "a"]).ok();
    let export = out.stdout.lines().find(|l| l.trim_start().starts_with("export PATH=")).expect("an export line");
    // The printed line, then a "Try next" command exactly as printed.
    let script = format!("{export}\ncd {}\ncrm list --stale --format json", repo.root().join("a").display());
    let mut bash = std::process::Command::new("bash");
    bash.env_clear().envs(repo.env_vars()).arg("-c").arg(&script);
    let ran = Output::of(bash.output().unwrap());
    assert_eq!(ran.code, 0, "{ran}");
    assert!(ran.stdout.trim_start().starts_with('['), "{ran}");

    // With crm on the PATH, nothing is said.
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_crm")).parent().unwrap().display().to_string();
    let mut cmd = repo.crm_cmd();
    cmd.current_dir(repo.root()).env("PATH", format!("{bin}:{}", std::env::var("PATH").unwrap())).args(["demo", "b"]);
    let quiet = repo.run(cmd).ok();
    assert!(!quiet.stdout.contains("export PATH"), "{quiet}");
}
