//! `crm init`, and finding the store from `-C`, subdirectories and places
//! that are not a store.

use crate::common::{TestRepo, ADMIN_EMAIL};

const INIT: &[&str] =
    &["init", "--company", "Example Coach Co.", "--admin", "liu.yang", "--name", "刘洋", "--email", ADMIN_EMAIL];

fn tree_files(repo: &TestRepo) -> Vec<String> {
    repo.git(&["ls-tree", "-r", "--name-only", "HEAD"]).lines().map(str::to_string).collect()
}

#[test]
fn init_in_an_empty_dir_makes_one_commit_with_settings_and_admin() {
    let repo = TestRepo::empty();
    let out = repo.crm(INIT).ok();
    assert!(out.stdout.contains("Created"), "{out}");
    // Signing is off by default, and init says how to turn it on.
    assert!(out.stderr.contains("user.signingkey"), "{out}");

    assert_eq!(repo.commit_count(), 1);
    assert_eq!(tree_files(&repo), ["crm.toml", "staff/liu.yang.toml"]);
    assert_eq!(repo.status(), "", "work tree and index match the commit");

    let config = repo.read_toml("crm.toml");
    assert_eq!(config["company"]["name"].as_str(), Some("Example Coach Co."));
    assert_eq!(config["policy"]["require_signed"].as_bool(), Some(false));

    let admin = repo.read_toml("staff/liu.yang.toml");
    assert_eq!(admin["name"].as_str(), Some("刘洋"));
    assert_eq!(admin["email"].as_str(), Some(ADMIN_EMAIL));
    assert_eq!(admin["role"].as_str(), Some("admin"));
    assert_eq!(admin["status"].as_str(), Some("active"));

    let message = repo.message("HEAD");
    assert!(message.contains("Crm-Action: init"), "{message}");
    assert!(message.contains("Crm-Actor: liu.yang"), "{message}");
}

#[test]
fn init_with_a_dir_argument_creates_that_dir() {
    let repo = TestRepo::empty();
    let mut args = INIT.to_vec();
    args.insert(1, "new-store");
    repo.crm_in(repo.root(), &args).ok();
    let store = repo.root().join("new-store");
    assert!(store.join("crm.toml").is_file());
    assert!(store.join("staff/liu.yang.toml").is_file());
    let log = repo.git_in(&store, &["rev-list", "--count", "HEAD"]);
    assert_eq!(log.stdout.trim(), "1", "{log}");
}

#[test]
fn init_adopts_an_existing_repository_and_keeps_its_files() {
    let repo = TestRepo::empty();
    repo.git(&["init", "-q"]);
    repo.write("README.md", "# Sales\n\nOur customers.\n");
    repo.write("docs/notes.txt", "keep me\n");
    repo.commit_all("Start the sales repository");
    let before = repo.head();

    let out = repo.crm(INIT).ok();
    assert!(out.stdout.contains("Turned"), "{out}");

    assert_eq!(repo.commit_count(), 2, "exactly one new commit");
    assert_eq!(repo.git(&["rev-parse", "HEAD^"]).trim(), before);
    assert_eq!(repo.changed_paths("HEAD"), ["crm.toml", "staff/liu.yang.toml"]);
    assert_eq!(tree_files(&repo), ["README.md", "crm.toml", "docs/notes.txt", "staff/liu.yang.toml"]);
    assert_eq!(repo.read("README.md"), "# Sales\n\nOur customers.\n");
    assert_eq!(repo.read("docs/notes.txt"), "keep me\n");
    assert_eq!(repo.status(), "");
}

#[test]
fn init_again_is_refused_with_exit_3() {
    let repo = TestRepo::init();
    let before = repo.state();
    let out = repo.crm(INIT);
    repo.assert_refused(&out, 3, &["already a crm store"], &before);
}

#[test]
fn init_with_bad_input_creates_nothing() {
    let repo = TestRepo::empty();
    let mut args = INIT.to_vec();
    args[4] = "Liu Yang"; // --admin
    let out = repo.crm(&args);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("Liu Yang"), "{out}");
    assert!(!repo.dir.join(".git").exists(), "no repository was created");

    let mut args = INIT.to_vec();
    args[2] = "  "; // --company
    let out = repo.crm(&args);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("company"), "{out}");
    assert!(!repo.dir.join(".git").exists(), "no repository was created");
}

#[test]
fn dash_c_and_subdirectories_find_the_store() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);

    // -C relative to the current directory, and absolute.
    let out = repo.crm_in(repo.root(), &["-C", "store", "list", "--format", "csv"]).ok();
    assert!(out.stdout.contains(&id), "{out}");
    let store = repo.dir.display().to_string();
    let out = repo.crm_in(&repo.home(), &["-C", &store, "list", "--format", "csv"]).ok();
    assert!(out.stdout.contains(&id), "{out}");

    // From a subdirectory (even an untracked one) of the store.
    let sub = repo.dir.join("reports/2026");
    std::fs::create_dir_all(&sub).unwrap();
    let out = repo.crm_in(&sub, &["list", "--format", "csv"]).ok();
    assert!(out.stdout.contains(&id), "{out}");
    let out = repo.crm(&["-C", "reports/2026", "show", &id, "--format", "json"]).ok();
    assert_eq!(out.json()["id"], id.as_str());

    // Writing from a subdirectory writes at the store root.
    let out = repo.crm_in(&sub, &["add", "--name", "Beta", "--owner", "li.na"]).ok();
    assert!(out.stdout.contains("beta"), "{out}");
    assert!(repo.path(&crate::common::customer_path("beta")).is_file());
    assert!(!sub.join("customers").exists());
}

#[test]
fn outside_a_store_commands_exit_3() {
    let repo = TestRepo::empty();
    // Not a git repository at all.
    for args in [&["list"][..], &["add", "--name", "Acme", "--owner", "liu.yang"], &["log"]] {
        let out = repo.crm(args);
        assert_eq!(out.code, 3, "{args:?}\n{out}");
        assert!(out.stderr.contains("not inside a crm store"), "{out}");
    }
    // A git repository without crm.toml.
    repo.git(&["init", "-q"]);
    repo.write("README.md", "hello\n");
    repo.commit_all("first");
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "liu.yang"]);
    repo.assert_refused(&out, 3, &["not inside a crm store"], &before);
    // -C pointing elsewhere.
    let home = repo.home().display().to_string();
    let out = repo.crm(&["-C", &home, "list"]);
    assert_eq!(out.code, 3, "{out}");
}

#[test]
fn a_store_whose_crm_toml_was_deleted_is_not_a_store() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &[]);
    repo.git(&["rm", "-q", "crm.toml"]);
    repo.git(&["commit", "-q", "-m", "Remove the settings"]);
    let before = repo.state();
    let out = repo.crm(&["list"]);
    repo.assert_refused(&out, 3, &["not inside a crm store"], &before);
    let out = repo.crm(&["add", "--name", "Beta", "--owner", "li.na"]);
    repo.assert_refused(&out, 3, &["not inside a crm store"], &before);
}

#[test]
fn init_and_staff_add_say_what_each_person_must_configure() {
    let repo = TestRepo::empty();
    let out = repo
        .crm(&["init", "--company", "X", "--admin", "a.admin", "--name", "A", "--email", "a.admin@example.com"])
        .ok();
    assert!(out.stderr.contains("git config user.email a.admin@example.com"), "{out}");
    let json = repo.crm(&[
        "init",
        "--company",
        "X",
        "--admin",
        "b",
        "--name",
        "B",
        "--email",
        "b@example.com",
        "--format",
        "json",
    ]);
    assert_eq!(json.code, 3, "a store already: {json}");

    let ok = TestRepo::init();
    let added = ok
        .crm(&["staff", "add", "zhang.wei", "--name", "张伟", "--email", "zhang.wei@example.com", "--role", "rep"])
        .ok();
    assert!(added.stderr.contains("git config user.email zhang.wei@example.com"), "{added}");
    assert!(added.stderr.contains("crm whoami"), "{added}");
}
