//! Uncommitted work is never overwritten: a file crm must write that differs
//! from HEAD (in the work tree or the index) stops the command with exit 3;
//! unrelated dirty, staged and untracked files are left alone and stay out
//! of crm's commit.

use crate::common::{customer_path, TestRepo};

fn store() -> (TestRepo, String) {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let rel = customer_path(&id);
    (repo, rel)
}

fn make_dirty(repo: &TestRepo, rel: &str) -> String {
    let dirty = repo.read(rel) + "# note to self: call them back\n";
    repo.write(rel, &dirty);
    dirty
}

#[test]
fn edit_refuses_a_file_with_uncommitted_changes() {
    let (repo, rel) = store();
    let dirty = make_dirty(&repo, &rel);
    let before = repo.state();
    assert!(before.status.contains(&rel));
    let out = repo.crm(&["edit", "acme", "--set", "tier=prospect"]);
    repo.assert_refused(&out, 3, &[&rel, "uncommitted"], &before);
    assert_eq!(repo.read(&rel), dirty, "the person's edit is kept");
}

#[test]
fn reassign_refuses_a_file_with_uncommitted_changes() {
    let (repo, rel) = store();
    repo.add_customer("Beta", "zhang.wei", &[]);
    let dirty = make_dirty(&repo, &rel);
    let before = repo.state();
    let out = repo.crm(&["reassign", "acme", "--to", "li.na", "--reason", "x"]);
    repo.assert_refused(&out, 3, &[&rel], &before);
    // In bulk, the whole move is refused, including the clean file.
    let out = repo.crm(&["reassign", "--from", "zhang.wei", "--to", "li.na", "--reason", "x", "--yes"]);
    repo.assert_refused(&out, 3, &[&rel], &before);
    assert_eq!(repo.read(&rel), dirty);
    let beta = repo.read_toml(&customer_path("beta"));
    assert_eq!(beta["owner"].as_str(), Some("zhang.wei"));
}

#[test]
fn touch_refuses_a_staged_but_uncommitted_change() {
    let (repo, rel) = store();
    let dirty = make_dirty(&repo, &rel);
    repo.git(&["add", &rel]);
    let before = repo.state();
    assert!(before.status.starts_with("M  "), "{}", before.status);
    let out = repo.crm(&["touch", "acme", "--kind", "call", "--summary", "x"]);
    repo.assert_refused(&out, 3, &[&rel, "staged", "git diff --cached", "git restore --staged"], &before);
    assert_eq!(repo.read(&rel), dirty);
}

#[test]
fn add_refuses_to_overwrite_an_untracked_file_at_its_path() {
    let repo = TestRepo::standard();
    let rel = customer_path("acme");
    let mine = "name = \"Acme\"\nowner = \"li.na\"\n# still drafting\n";
    repo.write(&rel, mine);
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]);
    repo.assert_refused(&out, 3, &[&rel], &before);
    assert_eq!(repo.read(&rel), mine);
}

#[test]
fn unrelated_dirty_staged_and_untracked_files_are_left_alone() {
    let (repo, rel) = store();
    repo.write("README.md", "# Sales\n");
    repo.write("docs/plan.md", "plan v1\n");
    repo.commit_all("Add docs");

    repo.write("README.md", "# Sales\n\nwork in progress\n");
    repo.write("docs/plan.md", "plan v2\n");
    repo.git(&["add", "docs/plan.md"]);
    repo.write("notes.txt", "untracked\n");
    let status_before = repo.status();

    repo.crm(&["edit", "acme", "--set", "tier=prospect"]).ok();

    assert_eq!(repo.changed_paths("HEAD"), [rel.as_str()], "only the customer");
    let stat = repo.git(&["show", "--stat", "--format=", "HEAD"]);
    assert!(stat.contains(&rel), "{stat}");
    assert!(!stat.contains("README") && !stat.contains("plan") && !stat.contains("notes"));
    assert_eq!(repo.status(), status_before, "the other changes are as they were");
    assert_eq!(repo.read("README.md"), "# Sales\n\nwork in progress\n");
    assert_eq!(repo.read("notes.txt"), "untracked\n");
    assert_eq!(repo.git(&["show", ":docs/plan.md"]), "plan v2\n", "still staged");
    assert_eq!(repo.git(&["show", "HEAD:docs/plan.md"]), "plan v1\n");
    assert_eq!(repo.git(&["show", "HEAD:README.md"]), "# Sales\n");
}

#[test]
fn a_held_lock_stops_writes_with_exit_3() {
    let (repo, _) = store();
    let lock = repo.dir.join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();
    let before_head = repo.head();
    let out = repo.crm(&["add", "--name", "Beta", "--owner", "zhang.wei"]);
    assert_eq!(out.code, 3, "{out}");
    assert!(out.stderr.contains("index.lock"), "{out}");
    assert_eq!(repo.head(), before_head);
    assert!(lock.exists(), "someone else's lock is not removed");
    std::fs::remove_file(&lock).unwrap();
    repo.crm(&["add", "--name", "Beta", "--owner", "zhang.wei"]).ok();
}

#[test]
fn concurrent_writers_never_lose_an_update() {
    let (repo, _) = store();
    let commits = repo.commit_count();
    let children: Vec<_> = (0..6)
        .map(|i| {
            repo.crm_std()
                .args(["add", "--name", &format!("Parallel {i}"), "--owner", "zhang.wei"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn crm")
        })
        .collect();
    let mut added = Vec::new();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        match out.status.code() {
            Some(0) => added.push(format!("parallel-{i}")),
            Some(3) => assert!(stderr.contains("busy"), "{stderr}"),
            other => panic!("exit {other:?}: {stderr}"),
        }
    }
    assert!(!added.is_empty(), "at least one writer got through");
    assert_eq!(repo.commit_count(), commits + added.len(), "one commit per success");
    let tree = repo.git(&["ls-tree", "-r", "--name-only", "HEAD"]);
    for id in &added {
        assert!(tree.contains(&customer_path(id)), "{id} lost:\n{tree}");
    }
    assert_eq!(repo.status(), "");
    assert!(!repo.dir.join(".git/index.lock").exists());
}
