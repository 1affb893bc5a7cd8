//! crm writes git's index itself (`store::index_file`), and the README
//! ("What a write leaves in `.git`") says what that keeps: index versions
//! 2, 3 and 4, the cached trees (`TREE`, invalidated above the changed
//! entries as git does), the resolve-undo data (`REUC`), intent-to-add,
//! skip-worktree and assume-unchanged entries, conflict stages and every
//! other entry with its stat data; what it drops because git rebuilds it
//! (the untracked cache `UNTR`, fsmonitor data `FSMN`, the offset tables
//! `EOIE` and `IEOT`); and what it refuses (a sparse index, `sdir`; a split
//! index is in `index.rs`).
//!
//! Each test puts a real store's index in one of those states with real
//! git, lets `crm` write, and then asks real git whether the index still
//! means what it meant: the same answers from `git ls-files` (entries,
//! flags, stat data, resolve-undo), `git status` and `git diff-files`
//! apart from what crm committed; the same entries, flags, cached trees and
//! resolve-undo data as the index git makes of the same change itself
//! (`git update-index` on a copy of the index crm started from); a clean
//! `git fsck`; `git write-tree` giving the commit's tree. The index bytes
//! are read here by this file's own parser (with its checksum), never by
//! crm's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha1::Digest;

use crate::common::{customer_path, fast_shard, TestRepo};

// ---------------------------------------------------------------------------
// The index file, read independently of crm.

/// Flag of an entry whose extended flags follow (on-disk `CE_EXTENDED`).
const EXTENDED: u16 = 0x4000;
/// Assume-unchanged (`CE_VALID`).
const ASSUME_VALID: u16 = 0x8000;
/// Extended flags: intent-to-add and skip-worktree.
const INTENT_TO_ADD: u16 = 0x2000;
const SKIP_WORKTREE: u16 = 0x4000;

/// `.git/index` as this test reads it.
#[derive(Debug, Clone)]
struct RawIndex {
    version: u32,
    /// (path, stage) → (flags without name length and stage, extended flags).
    entries: BTreeMap<(String, u16), (u16, u16)>,
    /// The extensions in file order: signature and data.
    extensions: Vec<(String, Vec<u8>)>,
}

impl RawIndex {
    fn read(path: &Path) -> RawIndex {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        assert!(bytes.len() >= 32 && &bytes[..4] == b"DIRC", "{} is not an index", path.display());
        let (body, trailer) = bytes.split_at(bytes.len() - 20);
        assert_eq!(sha1::Sha1::digest(body).as_slice(), trailer, "the index checksum is wrong");
        let word = |at: usize| u32::from_be_bytes(body[at..at + 4].try_into().unwrap());
        let version = word(4);
        assert!((2..=4).contains(&version), "index version {version}");
        let mut at = 12;
        let mut previous: Vec<u8> = Vec::new();
        let mut entries = BTreeMap::new();
        for _ in 0..word(8) {
            let start = at;
            let flags = u16::from_be_bytes([body[at + 60], body[at + 61]]);
            at += 62;
            let extended = if flags & EXTENDED != 0 {
                assert!(version >= 3, "extended flags in a version {version} index");
                at += 2;
                u16::from_be_bytes([body[at - 2], body[at - 1]])
            } else {
                0
            };
            let path = if version == 4 {
                // How many bytes of the previous path to drop (git's varint).
                let mut c = body[at];
                at += 1;
                let mut strip = u64::from(c & 0x7f);
                while c & 0x80 != 0 {
                    c = body[at];
                    at += 1;
                    strip = ((strip + 1) << 7) | u64::from(c & 0x7f);
                }
                let nul = at + body[at..].iter().position(|b| *b == 0).unwrap();
                let mut path = previous[..previous.len() - strip as usize].to_vec();
                path.extend_from_slice(&body[at..nul]);
                at = nul + 1;
                previous.clone_from(&path);
                path
            } else {
                let nul = at + body[at..].iter().position(|b| *b == 0).unwrap();
                let path = body[at..nul].to_vec();
                at = start + (nul - start + 8) / 8 * 8;
                path
            };
            let stage = (flags >> 12) & 3;
            let path = String::from_utf8(path).unwrap();
            entries.insert((path, stage), (flags & 0xc000, extended));
        }
        let mut extensions = Vec::new();
        while at < body.len() {
            let signature = String::from_utf8_lossy(&body[at..at + 4]).into_owned();
            let size = word(at + 4) as usize;
            extensions.push((signature, body[at + 8..at + 8 + size].to_vec()));
            at += 8 + size;
        }
        assert_eq!(at, body.len(), "the extensions end where the checksum starts");
        RawIndex { version, entries, extensions }
    }

    fn signatures(&self) -> Vec<&str> {
        self.extensions.iter().map(|(s, _)| s.as_str()).collect()
    }

    fn extension(&self, signature: &str) -> Option<&[u8]> {
        self.extensions.iter().find(|(s, _)| s == signature).map(|(_, d)| d.as_slice())
    }

    /// The stage-0 entry's (flags, extended flags).
    #[track_caller]
    fn flags(&self, path: &str) -> (u16, u16) {
        *self.entries.get(&(path.to_string(), 0)).unwrap_or_else(|| panic!("no entry for {path}"))
    }

    /// The directories whose cached tree is valid (`""` is the root), from
    /// the `TREE` extension.
    fn valid_cached_trees(&self) -> Vec<String> {
        fn walk(data: &mut &[u8], prefix: &str, out: &mut Vec<String>) {
            let nul = data.iter().position(|b| *b == 0).unwrap();
            let name = String::from_utf8(data[..nul].to_vec()).unwrap();
            *data = &data[nul + 1..];
            let newline = data.iter().position(|b| *b == b'\n').unwrap();
            let header = std::str::from_utf8(&data[..newline]).unwrap().to_string();
            *data = &data[newline + 1..];
            let (entries, subtrees) = header.split_once(' ').unwrap();
            let path = match (prefix, name.as_str()) {
                ("", n) => n.to_string(),
                (p, n) => format!("{p}/{n}"),
            };
            if entries.parse::<i64>().unwrap() >= 0 {
                *data = &data[20..];
                out.push(path.clone());
            }
            for _ in 0..subtrees.parse::<usize>().unwrap() {
                walk(data, &path, out);
            }
        }
        let mut out = Vec::new();
        if let Some(mut data) = self.extension("TREE") {
            walk(&mut data, "", &mut out);
            assert!(data.is_empty(), "the TREE extension has bytes after its trees");
        }
        out.sort();
        out
    }
}

// ---------------------------------------------------------------------------
// Real git's view.

/// `git ARGS` in the store with `GIT_INDEX_FILE=index` and `stdin`; must succeed.
#[track_caller]
fn git_on_index(repo: &TestRepo, index: &Path, args: &[&str], stdin: &str) -> String {
    let mut cmd = Command::new("git");
    cmd.env_clear();
    for (k, v) in repo.env_vars() {
        cmd.env(k, v);
    }
    cmd.env("GIT_INDEX_FILE", index).current_dir(&repo.dir).args(args);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run git");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `git ls-files --stage --debug`: each entry's stage line with its stat
/// data and flags, by (path, stage).
fn ls_files_debug(text: &str) -> BTreeMap<(String, String), String> {
    let mut blocks: Vec<String> = Vec::new();
    for line in text.lines() {
        match blocks.last_mut() {
            Some(block) if line.starts_with(' ') => {
                block.push('\n');
                block.push_str(line);
            }
            _ => blocks.push(line.to_string()),
        }
    }
    blocks
        .into_iter()
        .map(|block| {
            let first = block.lines().next().unwrap();
            let (info, path) = first.split_once('\t').unwrap();
            let stage = info.rsplit(' ').next().unwrap();
            ((path.to_string(), stage.to_string()), block)
        })
        .collect()
}

/// What git says about the index and the work tree, to compare before and
/// after a crm write.
#[derive(Debug, Clone)]
struct Seen {
    /// A copy of the index file.
    index_copy: PathBuf,
    raw: RawIndex,
    /// `git ls-files --stage --debug`, by (path, stage).
    entries: BTreeMap<(String, String), String>,
    /// `git ls-files -v` (tags: `S` skip-worktree, lower case assume-unchanged).
    tags: Vec<String>,
    /// `git ls-files --resolve-undo`.
    resolve_undo: String,
    /// `git status --porcelain --untracked-files=all`.
    status: String,
    /// `git diff-files --name-status`: entries whose file differs.
    unstaged: String,
}

/// Reads what git sees, without letting git write the index
/// (`--no-optional-locks`), and keeps a copy of the index.
fn seen(repo: &TestRepo, copy_name: &str) -> Seen {
    let index_copy = repo.root().join(copy_name);
    std::fs::copy(repo.path(".git/index"), &index_copy).unwrap();
    let git = |args: &[&str]| {
        let mut all = vec!["--no-optional-locks"];
        all.extend_from_slice(args);
        repo.git(&all)
    };
    Seen {
        raw: RawIndex::read(&index_copy),
        index_copy,
        entries: ls_files_debug(&git(&["ls-files", "--stage", "--debug"])),
        tags: git(&["ls-files", "-v"]).lines().map(str::to_string).collect(),
        resolve_undo: git(&["ls-files", "--resolve-undo"]),
        status: git(&["status", "--porcelain", "--untracked-files=all"]),
        unstaged: git(&["diff-files", "--name-status"]),
    }
}

/// The extensions crm drops because git rebuilds them.
const REBUILT_BY_GIT: [&str; 4] = ["UNTR", "FSMN", "EOIE", "IEOT"];

/// Asserts that the index crm left means what `before` meant, apart from
/// the entries of `changed` (the paths crm's commit changed, written from
/// it), and returns what git sees now. `dropped` lists the extensions the
/// test put in the index that crm is expected to drop.
#[track_caller]
fn assert_index_kept(repo: &TestRepo, before: &Seen, dropped: &[&str]) -> Seen {
    let changed = repo.changed_paths("HEAD");
    assert!(!changed.is_empty(), "crm committed nothing");
    let after = seen(repo, "index.after");
    let keep = |path: &str| !changed.iter().any(|c| c == path);

    // The file: same version, the same extensions but the rebuildable ones.
    assert_eq!(after.raw.version, before.raw.version, "the index version is kept");
    for d in dropped {
        assert!(before.raw.signatures().contains(d), "test setup: the index had no {d}: {:?}", before.raw.signatures());
    }
    let expected: Vec<&str> = before.raw.signatures().into_iter().filter(|s| !REBUILT_BY_GIT.contains(s)).collect();
    assert_eq!(after.raw.signatures(), expected, "extensions before: {:?}", before.raw.signatures());
    assert_eq!(after.raw.extension("REUC"), before.raw.extension("REUC"), "resolve-undo kept byte for byte");

    // git's answers, apart from what crm committed.
    let unchanged = |m: &BTreeMap<(String, String), String>| -> BTreeMap<(String, String), String> {
        m.iter().filter(|((p, _), _)| keep(p)).map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    assert_eq!(unchanged(&after.entries), unchanged(&before.entries), "entries, stat data and flags kept");
    let tags =
        |t: &[String]| -> Vec<String> { t.iter().filter(|l| keep(l.split_once(' ').unwrap().1)).cloned().collect() };
    assert_eq!(tags(&after.tags), tags(&before.tags), "git ls-files -v");
    assert_eq!(after.resolve_undo, before.resolve_undo, "git ls-files --resolve-undo");
    assert_eq!(after.status, before.status, "git status (crm's change is committed)");
    assert_eq!(after.unstaged, before.unstaged, "git diff-files");

    // The entries crm wrote: the committed blob at stage 0, and stat data
    // that vouches for the file (unless a sparse checkout leaves it out).
    for path in &changed {
        let staged = repo.git(&["ls-files", "--stage", "--", path]);
        let blob = repo.git(&["rev-parse", &format!("HEAD:{path}")]);
        assert_eq!(staged, format!("100644 {} 0\t{path}\n", blob.trim()), "the entry crm wrote");
        let (_, extended) = after.raw.flags(path);
        if extended & SKIP_WORKTREE == 0 {
            let out = repo.git_out(&["--no-optional-locks", "diff-files", "--quiet", "--", path]);
            assert_eq!(out.code, 0, "the stat data of {path} matches its file\n{out}");
        }
    }

    // The index git itself makes of the same change, from the same start.
    let by_git = repo.root().join("index.by-git");
    std::fs::copy(&before.index_copy, &by_git).unwrap();
    let info: String = changed
        .iter()
        .map(|p| format!("100644 {}\t{p}\n", repo.git(&["rev-parse", &format!("HEAD:{p}")]).trim()))
        .collect();
    git_on_index(repo, &by_git, &["update-index", "--add", "--index-info"], &info);
    let git_made = RawIndex::read(&by_git);
    assert_eq!(
        git_on_index(repo, &after.index_copy, &["ls-files", "--stage"], ""),
        git_on_index(repo, &by_git, &["ls-files", "--stage"], ""),
        "the same entries as git's own index for the change"
    );
    let flags = |raw: &RawIndex| -> BTreeMap<(String, u16), (u16, u16)> {
        raw.entries.iter().filter(|((p, _), _)| keep(p)).map(|(k, v)| (k.clone(), *v)).collect()
    };
    assert_eq!(flags(&after.raw), flags(&git_made), "the same flags on every other entry");
    assert_eq!(after.raw.valid_cached_trees(), git_made.valid_cached_trees(), "the cached trees git would keep valid");
    assert_eq!(after.raw.extension("REUC"), git_made.extension("REUC"));

    let out = repo.git_out(&["fsck", "--no-dangling", "--no-progress"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "git fsck\n{out}");
    after
}

/// `git write-tree` (which trusts the valid cached trees) gives HEAD's tree:
/// no cached tree above a changed entry was left valid. Writes the index.
#[track_caller]
fn assert_cached_trees_match_head(repo: &TestRepo) {
    assert_eq!(repo.git(&["write-tree"]), repo.git(&["rev-parse", "HEAD^{tree}"]), "git write-tree");
}

/// A CSV of `n` new customers (ids `bulk-customer-NNN`), next to the store.
fn csv_of(repo: &TestRepo, n: usize) -> String {
    let mut text = String::from("name,owner\n");
    for i in 0..n {
        text.push_str(&format!("Bulk Customer {i:03},zhang.wei\n"));
    }
    let path = repo.root().join("bulk.csv");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A store whose index git wrote at `version`, with its cached trees, an
/// assume-unchanged entry and staged work beside crm's files.
fn store_at_version(version: &str) -> TestRepo {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &[]);
    repo.write("docs/plan.md", "plan\n");
    repo.git(&["add", "docs/plan.md"]);
    repo.git(&["commit", "-q", "-m", "plan"]);
    repo.git(&["update-index", "--assume-unchanged", "docs/plan.md"]);
    repo.git(&["update-index", "--index-version", version]);
    repo.git(&["write-tree"]);
    repo
}

/// One customer added, then a bulk import (a pack and 70 entries), each
/// checked against what git makes of it.
#[track_caller]
fn single_and_bulk_writes_keep_the_index(repo: &TestRepo, version: u32) {
    let before = seen(repo, "index.before");
    assert_eq!(before.raw.version, version, "test setup");
    assert!(before.raw.valid_cached_trees().contains(&"staff".to_string()), "test setup: {before:?}");
    assert_eq!(before.raw.flags("docs/plan.md").0 & ASSUME_VALID, ASSUME_VALID, "test setup");
    let beta = repo.add_customer("Beta", "zhang.wei", &[]);
    let after = assert_index_kept(repo, &before, &[]);
    let trees = after.raw.valid_cached_trees();
    let shard = format!("customers/{}", fast_shard(&beta));
    assert!(trees.contains(&"staff".to_string()), "cached trees away from the change stay valid: {trees:?}");
    assert!(!trees.iter().any(|t| t.is_empty() || t == "customers" || *t == shard), "{trees:?}");

    let before = seen(repo, "index.before");
    let out = repo.crm(&["import", "csv", &csv_of(repo, 70), "--yes", "-q"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(repo.changed_paths("HEAD").len(), 70);
    assert_index_kept(repo, &before, &[]);
    assert!(repo.git(&["ls-files", "-v", "docs/plan.md"]).starts_with("h "), "still assume-unchanged");
    assert_cached_trees_match_head(repo);
}

#[test]
fn index_version_2_with_cached_trees_is_kept() {
    let repo = store_at_version("2");
    single_and_bulk_writes_keep_the_index(&repo, 2);
}

#[test]
fn index_version_4_with_cached_trees_is_kept() {
    let repo = store_at_version("4");
    single_and_bulk_writes_keep_the_index(&repo, 4);
}

/// Version 3 only exists with extended flags (git writes 2 without them):
/// intent-to-add and skip-worktree entries.
#[test]
fn index_version_3_with_extended_flags_is_kept() {
    let repo = store_at_version("3");
    repo.write("todo.txt", "later\n");
    repo.git(&["add", "-N", "todo.txt"]);
    let acme = customer_path("acme");
    repo.git(&["update-index", "--skip-worktree", &acme]);
    std::fs::remove_file(repo.path(&acme)).unwrap();
    single_and_bulk_writes_keep_the_index(&repo, 3);
}

/// `git add -N`: the entry keeps its flag (and so stays out of commits and
/// shows as ` A`), in the version it forces (3) and in version 4.
#[test]
fn intent_to_add_entries_are_kept_in_versions_3_and_4() {
    for version in ["2", "4"] {
        let repo = TestRepo::standard();
        repo.git(&["update-index", "--index-version", version]);
        repo.write("notes.txt", "to do\n");
        repo.write("customers/00/draft.toml", "name = \"Draft\"\n");
        repo.git(&["add", "-N", "notes.txt", "customers/00/draft.toml"]);
        repo.git(&["write-tree"]);
        let before = seen(&repo, "index.before");
        assert_eq!(before.raw.version, if version == "2" { 3 } else { 4 }, "test setup");
        assert!(before.status.contains(" A notes.txt"), "test setup: {}", before.status);
        repo.add_customer("Acme", "zhang.wei", &[]);
        let after = assert_index_kept(&repo, &before, &[]);
        for path in ["notes.txt", "customers/00/draft.toml"] {
            assert_eq!(after.raw.flags(path), (EXTENDED, INTENT_TO_ADD), "{path} is still intent-to-add");
        }
        assert_eq!(repo.changed_paths("HEAD"), [customer_path("acme")], "intent-to-add files stay out of the commit");
        assert_cached_trees_match_head(&repo);
        // The person's next plain commit still needs `git add`.
        repo.git(&["commit", "-q", "-m", "nothing staged", "--allow-empty"]);
        assert!(repo.status().contains(" A notes.txt"));
    }
}

/// A customer outside the work tree (skip-worktree, as a sparse checkout
/// leaves it): a write to it keeps the flag and writes no file; the other
/// skip-worktree entries keep theirs.
#[test]
fn skip_worktree_entries_are_kept_in_versions_3_and_4() {
    for version in ["2", "4"] {
        let repo = TestRepo::standard();
        let acme = repo.add_customer("Acme", "zhang.wei", &[]);
        let beta = repo.add_customer("Beta", "zhang.wei", &[]);
        repo.git(&["update-index", "--index-version", version]);
        let (acme_path, beta_path) = (customer_path(&acme), customer_path(&beta));
        for path in [&acme_path, &beta_path] {
            repo.git(&["update-index", "--skip-worktree", path]);
            std::fs::remove_file(repo.path(path)).unwrap();
        }
        repo.git(&["write-tree"]);
        let before = seen(&repo, "index.before");
        assert_eq!(before.raw.version, if version == "2" { 3 } else { 4 }, "test setup");
        repo.crm(&["touch", &acme, "--kind", "call", "--summary", "outside the checkout"]).ok();
        let after = assert_index_kept(&repo, &before, &[]);
        assert_eq!(repo.changed_paths("HEAD"), std::slice::from_ref(&acme_path));
        for path in [&acme_path, &beta_path] {
            assert_eq!(after.raw.flags(path), (EXTENDED, SKIP_WORKTREE), "{path} is still skip-worktree");
            assert!(repo.git(&["ls-files", "-v", path]).starts_with("S "), "{path}");
            assert!(!repo.path(path).exists(), "{path} is still outside the work tree");
        }
        let before = seen(&repo, "index.before");
        let gamma = repo.add_customer("Gamma", "zhang.wei", &[]);
        let after = assert_index_kept(&repo, &before, &[]);
        assert_eq!(after.raw.flags(&customer_path(&gamma)), (0, 0), "a new customer is in the work tree");
        assert_eq!(repo.status(), "");
        assert_cached_trees_match_head(&repo);
    }
}

/// A resolved merge conflict leaves resolve-undo data (`REUC`), which
/// `git checkout -m` uses to bring the conflict back; an unresolved one
/// leaves stages 1–3. A crm write keeps both, in versions 2 and 4.
#[test]
fn resolve_undo_data_and_conflict_stages_are_kept() {
    for version in ["2", "4"] {
        let repo = TestRepo::standard();
        repo.write("a.txt", "base\n");
        repo.write("b.txt", "base\n");
        repo.commit_all("base");
        repo.git(&["checkout", "-q", "-b", "side"]);
        repo.write("a.txt", "side\n");
        repo.write("b.txt", "side\n");
        repo.commit_all("side");
        repo.git(&["checkout", "-q", "main"]);
        repo.write("a.txt", "main\n");
        repo.write("b.txt", "main\n");
        repo.commit_all("main");
        assert_ne!(repo.git_out(&["merge", "-q", "side"]).code, 0, "test setup: a conflict");
        repo.write("a.txt", "resolved\n");
        repo.write("b.txt", "resolved\n");
        repo.git(&["add", "a.txt", "b.txt"]);
        repo.git(&["commit", "-q", "--no-edit"]);
        // b.txt back in conflict (its resolve-undo record is used up).
        repo.git(&["checkout", "-m", "b.txt"]);
        repo.git(&["update-index", "--index-version", version]);
        let before = seen(&repo, "index.before");
        assert!(before.resolve_undo.contains("a.txt"), "test setup: {}", before.resolve_undo);
        assert!(before.raw.extension("REUC").is_some(), "test setup");
        assert_eq!(repo.git(&["ls-files", "-u"]).lines().count(), 3, "test setup");
        repo.add_customer("Acme", "zhang.wei", &[]);
        assert_index_kept(&repo, &before, &[]);
        assert_eq!(repo.git(&["ls-files", "-u", "b.txt"]).lines().count(), 3, "b.txt's conflict is kept");
        // The resolve-undo data still works.
        repo.git(&["checkout", "-m", "a.txt"]);
        assert_eq!(repo.git(&["ls-files", "-u", "a.txt"]).lines().count(), 3, "a.txt's conflict came back");
        assert!(repo.read("a.txt").contains("<<<<<<<"), "{}", repo.read("a.txt"));
    }
}

/// The untracked cache is dropped (git rebuilds it at its next status),
/// and git still lists the same untracked files — also in the shard
/// directory crm just wrote into.
#[test]
fn the_untracked_cache_is_dropped_and_git_still_sees_untracked_files() {
    let repo = TestRepo::standard();
    repo.git(&["config", "core.untrackedCache", "true"]);
    let acme = customer_path("acme");
    let shard = Path::new(&acme).parent().unwrap().display().to_string();
    repo.write("scratch.txt", "mine\n");
    repo.write(&format!("{shard}/draft.txt"), "draft\n");
    repo.git(&["update-index", "--untracked-cache"]);
    repo.git(&["status", "--porcelain"]);
    let before = seen(&repo, "index.before");
    assert!(before.status.contains(&format!("?? {shard}/draft.txt")), "test setup: {}", before.status);
    repo.add_customer("Acme", "zhang.wei", &[]);
    assert_index_kept(&repo, &before, &["UNTR"]);
    // git's next status writes the cache again.
    repo.git(&["status", "--porcelain"]);
    assert!(RawIndex::read(&repo.path(".git/index")).signatures().contains(&"UNTR"));
    assert_eq!(repo.status(), before.status);
}

/// `index.threads`, `index.recordEndOfIndexEntries` and
/// `index.recordOffsetTable` make git write `EOIE` and `IEOT` (in version 4
/// the entries are then prefix-compressed in blocks); crm reads such an
/// index and drops both, and git writes them again next time.
#[test]
fn offset_tables_are_dropped_and_git_writes_them_again() {
    for version in ["2", "4"] {
        let repo = TestRepo::standard();
        repo.add_customer("Acme", "zhang.wei", &[]);
        repo.add_customer("Beta", "zhang.wei", &[]);
        // `index.threads true` leaves IEOT out of so small an index; a
        // number of threads does not.
        repo.git(&["config", "index.threads", "4"]);
        repo.git(&["config", "index.recordEndOfIndexEntries", "true"]);
        repo.git(&["config", "index.recordOffsetTable", "true"]);
        repo.git(&["update-index", "--index-version", version]);
        repo.git(&["write-tree"]);
        repo.git(&["update-index", "--force-write-index"]);
        let before = seen(&repo, "index.before");
        repo.add_customer("Gamma", "zhang.wei", &[]);
        assert_index_kept(&repo, &before, &["EOIE", "IEOT"]);
        assert_cached_trees_match_head(&repo);
        repo.git(&["update-index", "--force-write-index"]);
        let rewritten = RawIndex::read(&repo.path(".git/index"));
        assert!(rewritten.signatures().contains(&"EOIE") && rewritten.signatures().contains(&"IEOT"));
        assert_eq!(repo.status(), "");
    }
}

/// fsmonitor data is dropped; git asks its hook again.
#[test]
fn fsmonitor_data_is_dropped() {
    let repo = TestRepo::standard();
    // A hook (protocol 2) that reports every path as possibly changed.
    let hook = repo.root().join("fsmonitor-hook");
    std::fs::write(&hook, "#!/bin/sh\nprintf 'token\\0/\\0'\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    repo.git(&["config", "core.fsmonitor", &hook.display().to_string()]);
    repo.git(&["config", "core.fsmonitorHookVersion", "2"]);
    repo.write("scratch.txt", "mine\n");
    repo.git(&["status", "--porcelain"]);
    let before = seen(&repo, "index.before");
    repo.add_customer("Acme", "zhang.wei", &[]);
    assert_index_kept(&repo, &before, &["FSMN"]);
    assert_eq!(repo.status(), "?? scratch.txt\n");
}

/// Every extension at once, in version 4.
#[test]
fn all_kept_and_dropped_extensions_together_in_version_4() {
    let repo = TestRepo::standard();
    repo.write("a.txt", "base\n");
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("a.txt", "side\n");
    repo.commit_all("side");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("a.txt", "main\n");
    repo.commit_all("main");
    assert_ne!(repo.git_out(&["merge", "-q", "side"]).code, 0, "test setup: a conflict");
    repo.write("a.txt", "resolved\n");
    repo.git(&["add", "a.txt"]);
    repo.git(&["commit", "-q", "--no-edit"]);
    let acme = repo.add_customer("Acme", "zhang.wei", &[]);
    repo.git(&["update-index", "--skip-worktree", &customer_path(&acme)]);
    std::fs::remove_file(repo.path(&customer_path(&acme))).unwrap();
    repo.write("notes.txt", "to do\n");
    repo.git(&["add", "-N", "notes.txt"]);
    repo.write("scratch.txt", "mine\n");
    for (key, value) in [
        ("core.untrackedCache", "true"),
        ("index.threads", "4"),
        ("index.recordEndOfIndexEntries", "true"),
        ("index.recordOffsetTable", "true"),
    ] {
        repo.git(&["config", key, value]);
    }
    repo.git(&["update-index", "--index-version", "4", "--untracked-cache"]);
    repo.git(&["write-tree"]);
    repo.git(&["status", "--porcelain"]);
    let before = seen(&repo, "index.before");
    assert_eq!(before.raw.signatures(), ["IEOT", "TREE", "REUC", "UNTR", "EOIE"], "test setup");
    repo.crm(&["touch", &acme, "--kind", "visit", "--summary", "all at once"]).ok();
    assert_index_kept(&repo, &before, &["IEOT", "UNTR", "EOIE"]);
    repo.add_customer("Beta", "zhang.wei", &[]);
    assert_cached_trees_match_head(&repo);
    assert_eq!(repo.git(&["ls-files", "-v", &customer_path(&acme)]).get(..2), Some("S "));
    assert_eq!(repo.status(), " A notes.txt\n?? scratch.txt\n");
}

/// A sparse index (`sdir`: whole directories as one entry) is refused, the
/// index left as it was; the same sparse checkout with a full index works.
#[test]
fn a_sparse_index_is_refused_and_a_full_one_in_the_same_checkout_works() {
    let repo = TestRepo::standard();
    let acme = repo.add_customer("Acme", "zhang.wei", &[]);
    repo.git(&["sparse-checkout", "set", "--cone", "--sparse-index", "staff"]);
    let before = repo.state();
    let index = std::fs::read(repo.path(".git/index")).unwrap();
    assert!(RawIndex::read(&repo.path(".git/index")).signatures().contains(&"sdir"), "test setup");
    let out = repo.crm(&["add", "--name", "Beta", "--owner", "zhang.wei"]);
    assert_eq!(std::fs::read(repo.path(".git/index")).unwrap(), index, "the index is untouched\n{out}");
    repo.assert_refused(&out, 3, &[".git/index", "sparse", "git sparse-checkout reapply --no-sparse-index"], &before);

    // The fix the message names keeps the checkout sparse.
    repo.git(&["sparse-checkout", "reapply", "--no-sparse-index"]);
    let before = seen(&repo, "index.before");
    assert!(!before.raw.signatures().contains(&"sdir"), "test setup");
    repo.crm(&["touch", &acme, "--kind", "call", "--summary", "sparse"]).ok();
    let after = assert_index_kept(&repo, &before, &[]);
    assert_eq!(after.raw.flags(&customer_path(&acme)), (EXTENDED, SKIP_WORKTREE));
    assert_eq!(repo.status(), "");
}
