//! crm updates git's index itself (see `store::index_file`): after every
//! write, git must agree with it — the same entries `git add` would make,
//! stat data that needs no re-hashing, cached trees that match the commit —
//! whatever index version the person uses, and their own staged work must
//! survive it. An index crm cannot keep is refused, not damaged.

use crate::common::{customer_path, TestRepo};

/// Asserts that git sees crm's index as its own: nothing to commit, no
/// stat-dirty entry, and `git write-tree` (which trusts the cached trees)
/// giving HEAD's tree.
#[track_caller]
fn assert_git_agrees(repo: &TestRepo) {
    assert_eq!(repo.git(&["diff-files", "--name-only"]), "", "every entry's stat data matches its file");
    assert_eq!(repo.git(&["diff-index", "--cached", "--name-only", "HEAD"]), "", "index == HEAD");
    assert_eq!(repo.git(&["write-tree"]), repo.git(&["rev-parse", "HEAD^{tree}"]), "cached trees are not stale");
    assert_eq!(repo.status(), "");
}

fn every_kind_of_write(repo: &TestRepo) {
    let acme = repo.add_customer("Acme", "zhang.wei", &[]);
    assert_git_agrees(repo);
    repo.add_customer("Beta", "zhang.wei", &[]);
    repo.crm(&["edit", &acme, "--set", "tier=key", "--set", "backup=li.na"]).ok();
    assert_git_agrees(repo);
    repo.crm(&["touch", &acme, "--kind", "call", "--summary", "price list"]).ok();
    assert_git_agrees(repo);
    repo.crm(&["reassign", "--from", "zhang.wei", "--to", "li.na", "--reason", "territory", "--yes"]).ok();
    assert_git_agrees(repo);
    let staged = repo.git(&["ls-files", "-s", &customer_path(&acme)]);
    assert!(staged.contains(&repo.git(&["rev-parse", &format!("HEAD:{}", customer_path(&acme))]).trim().to_string()));
}

#[test]
fn git_agrees_with_the_index_after_every_write() {
    let repo = TestRepo::standard();
    // git's own commands leave a cached tree for every directory.
    repo.git(&["reset", "-q"]);
    every_kind_of_write(&repo);
    let index = std::fs::read(repo.path(".git/index")).unwrap();
    assert!(index.windows(4).any(|w| w == b"TREE"), "the cached trees are kept, not dropped");
    // A later plain-git commit builds on crm's entries.
    repo.write("README.md", "# Sales\n");
    repo.git(&["add", "README.md"]);
    repo.git(&["commit", "-q", "-m", "readme"]);
    let tree = repo.git(&["ls-tree", "-r", "--name-only", "HEAD"]);
    assert!(tree.contains(&customer_path("acme")) && tree.contains("README.md"), "{tree}");
}

#[test]
fn index_version_4_is_kept_and_understood() {
    let repo = TestRepo::standard();
    repo.git(&["update-index", "--index-version", "4"]);
    every_kind_of_write(&repo);
    assert_eq!(repo.git(&["update-index", "--show-index-version"]).trim(), "4");
    assert_eq!(repo.git(&["fsck", "--no-progress"]), "");
}

#[test]
fn staged_and_intent_to_add_entries_survive_a_write() {
    let repo = TestRepo::standard();
    repo.write("docs/plan.md", "plan\n");
    repo.git(&["add", "docs/plan.md"]);
    repo.write("notes.txt", "to do\n");
    repo.git(&["add", "-N", "notes.txt"]);
    let status = repo.status();
    assert!(status.contains("A  docs/plan.md") && status.contains(" A notes.txt"), "{status}");
    repo.add_customer("Acme", "zhang.wei", &[]);
    assert_eq!(repo.status(), status, "the person's staged work is as it was");
    assert_eq!(repo.changed_paths("HEAD"), [customer_path("acme")]);
}

#[test]
fn a_split_index_is_refused_without_changing_anything() {
    let repo = TestRepo::standard();
    // core.splitIndex turns it back on at git's next index write, so the
    // hint must turn the setting off too.
    repo.git(&["config", "core.splitIndex", "true"]);
    repo.git(&["update-index", "--split-index"]);
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]);
    repo.assert_refused(&out, 3, &[".git/index", "split", "core.splitIndex false", "--no-split-index"], &before);
    repo.git(&["config", "core.splitIndex", "false"]);
    repo.git(&["update-index", "--no-split-index"]);
    repo.git(&["status", "--porcelain"]);
    repo.add_customer("Acme", "zhang.wei", &[]);
    assert_git_agrees(&repo);
}

#[test]
fn a_truncated_index_is_refused_with_what_to_do() {
    let repo = TestRepo::standard();
    let index = repo.path(".git/index");
    let bytes = std::fs::read(&index).unwrap();
    std::fs::write(&index, &bytes[..bytes.len() / 2]).unwrap();
    let head = repo.head();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]);
    assert_eq!(out.code, 3, "{out}");
    assert!(out.stderr.contains("truncated") && out.stderr.contains("git reset"), "{out}");
    assert_eq!(repo.head(), head);
    assert_eq!(std::fs::read(&index).unwrap(), &bytes[..bytes.len() / 2], "left for the person to repair");
}
