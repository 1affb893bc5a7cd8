//! Several people on one store: `crm sync` through a real bare repository
//! (a local path and `git daemon`), `crm status` offline, `crm doctor`, the
//! write lock, and finishing a write that was interrupted after moving the
//! branch. Every remote here is `git init --bare`, every clone `git clone`.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use crate::common::{customer_path, finish, has_program, init_args, Output, State, TestRepo, ADMIN_EMAIL};

/// A store shared through `shared.git`, with two clones: alice acts as
/// liu.yang (admin), bob as li.na (manager). Customers: acme (owner
/// zhang.wei). Staff: the standard fixture plus chen.jie (rep).
struct Team {
    repo: TestRepo,
    bare: PathBuf,
    alice: PathBuf,
    bob: PathBuf,
}

const LI_NA_EMAIL: &str = "li.na@example.com";

fn team() -> Team {
    let repo = TestRepo::standard();
    repo.crm(&["staff", "add", "chen.jie", "--name", "陈杰", "--email", "chen.jie@example.com", "--role", "rep"]).ok();
    assert_eq!(repo.add_customer("Acme", "zhang.wei", &[]), "acme");
    let bare = repo.share("shared.git");
    let url = bare.display().to_string();
    let alice = repo.clone_as(&url, "alice", "Liu Yang", ADMIN_EMAIL);
    let bob = repo.clone_as(&url, "bob", "Li Na", LI_NA_EMAIL);
    Team { repo, bare, alice, bob }
}

impl Team {
    #[track_caller]
    fn crm(&self, dir: &Path, args: &[&str]) -> Output {
        self.repo.crm_in(dir, args)
    }

    #[track_caller]
    fn git(&self, dir: &Path, args: &[&str]) -> String {
        self.repo.git_ok(dir, args)
    }

    /// `crm sync --format json`, which must succeed.
    #[track_caller]
    fn sync(&self, dir: &Path) -> serde_json::Value {
        self.crm(dir, &["sync", "--format", "json"]).ok().json()
    }

    fn head(&self, dir: &Path) -> String {
        self.git(dir, &["rev-parse", "HEAD"]).trim().to_string()
    }

    fn remote_head(&self) -> String {
        self.git(&self.bare, &["rev-parse", "refs/heads/main"]).trim().to_string()
    }

    fn state(&self, dir: &Path) -> State {
        State { head: self.head(dir), status: self.git(dir, &["status", "--porcelain", "--untracked-files=all"]) }
    }

    /// The customer ids `crm list` shows in `dir`.
    fn ids(&self, dir: &Path) -> Vec<String> {
        let list = self.crm(dir, &["list", "--format", "json"]).ok().json();
        let mut ids: Vec<String> =
            list.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    }

    fn show(&self, dir: &Path, id: &str) -> serde_json::Value {
        self.crm(dir, &["show", id, "--format", "json"]).ok().json()
    }

    /// The subjects of HEAD's history, newest first.
    fn subjects(&self, dir: &Path) -> Vec<String> {
        self.git(dir, &["log", "--format=%s"]).lines().map(str::to_string).collect()
    }

    /// The repository is sound and clean, and its history passes
    /// `crm verify`.
    #[track_caller]
    fn assert_healthy(&self, dir: &Path) {
        assert_sound(&self.repo, dir);
        assert_eq!(self.state(dir).status, "", "the work tree should match HEAD in {}", dir.display());
        let verify = self.crm(dir, &["verify", "--format", "json"]);
        assert_eq!(verify.code, 0, "crm verify failed in {}\n{verify}", dir.display());
        assert_eq!(verify.json()["violations"], serde_json::json!([]), "{verify}");
    }
}

/// `git fsck --full --strict` finds nothing, and no rebase is in progress.
#[track_caller]
pub(crate) fn assert_sound(repo: &TestRepo, dir: &Path) {
    let fsck = repo.git_in(dir, &["fsck", "--full", "--strict", "--no-dangling"]);
    assert_eq!(fsck.code, 0, "git fsck failed in {}\n{fsck}", dir.display());
    for word in ["error", "warning", "missing", "broken", "corrupt"] {
        assert!(!fsck.stderr.contains(word) && !fsck.stdout.contains(word), "git fsck: {word}\n{fsck}");
    }
    let git_dir = if dir.join(".git").is_dir() { dir.join(".git") } else { dir.to_path_buf() };
    for name in ["rebase-merge", "rebase-apply", "MERGE_HEAD", "CHERRY_PICK_HEAD"] {
        assert!(!git_dir.join(name).exists(), "{name} left in {}", git_dir.display());
    }
}

/// Every file of a work tree (outside `.git`) with its content.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// How many times `subject` occurs in `subjects`.
fn count(subjects: &[String], subject: &str) -> usize {
    subjects.iter().filter(|s| *s == subject).count()
}

#[test]
fn two_clones_changing_different_customers_both_end_with_everything() {
    let t = team();
    t.crm(&t.alice, &["add", "--name", "Beta", "--owner", "zhang.wei"]).ok();
    t.crm(&t.alice, &["edit", "acme", "--set", "value=5000000"]).ok();
    t.crm(&t.bob, &["add", "--name", "Gamma", "--owner", "wang.fang"]).ok();
    t.crm(&t.bob, &["add", "--name", "Delta", "--owner", "chen.jie"]).ok();
    let bob_before = t.head(&t.bob);

    let first = t.sync(&t.alice);
    assert_eq!(first["remote"], "origin", "{first}");
    assert_eq!(first["branch"], "main", "{first}");
    assert_eq!((&first["received"], &first["replayed"], &first["pushed"]), (&0.into(), &0.into(), &2.into()));
    assert_eq!(first["attempts"], 1, "{first}");
    assert_eq!(first["head"], t.head(&t.alice).as_str());
    assert_eq!(t.remote_head(), t.head(&t.alice));

    let second = t.sync(&t.bob);
    assert_eq!((&second["received"], &second["replayed"], &second["pushed"]), (&2.into(), &2.into(), &2.into()));
    assert_ne!(t.head(&t.bob), bob_before, "bob's commits are replayed on top of alice's");
    assert_eq!(t.remote_head(), t.head(&t.bob));

    let third = t.sync(&t.alice);
    assert_eq!((&third["received"], &third["replayed"], &third["pushed"]), (&2.into(), &0.into(), &0.into()));
    let again = t.sync(&t.alice);
    assert_eq!((&again["received"], &again["pushed"], &again["attempts"]), (&0.into(), &0.into(), &1.into()));
    let text = t.crm(&t.alice, &["sync"]).ok();
    assert!(text.stdout.contains("up to date"), "{text}");

    assert_eq!(t.head(&t.alice), t.head(&t.bob));
    for dir in [&t.alice, &t.bob] {
        assert_eq!(t.ids(dir), ["acme", "beta", "delta", "gamma"]);
        assert_eq!(t.show(dir, "acme")["value"], 5000000);
        let subjects = t.subjects(dir);
        for s in ["add beta: Beta", "add gamma: Gamma", "add delta: Delta"] {
            assert_eq!(count(&subjects, s), 1, "{s:?} exactly once in\n{subjects:#?}");
        }
        assert_eq!(subjects.len(), t.repo.commit_count() + 4);
        t.assert_healthy(dir);
    }
    // Replayed commits keep their author and message; the work trees agree.
    let authors = t.git(&t.alice, &["log", "--format=%ae %s", "-4"]);
    assert!(authors.contains("li.na@example.com add gamma: Gamma"), "{authors}");
    assert!(authors.contains("li.na@example.com add delta: Delta"), "{authors}");
    let message = t.git(&t.alice, &["log", "-1", "--format=%B"]);
    assert_eq!(crate::common::trailer(&message, "Crm-Actor").as_deref(), Some("li.na"), "{message}");
    assert_eq!(files(&t.alice), files(&t.bob));
    // The server's history passes verify too (crm verify runs in bare repositories).
    let verify = t.crm(&t.bare, &["verify"]);
    assert_eq!(verify.code, 0, "{verify}");
    assert_sound(&t.repo, &t.bare);
}

#[test]
fn the_same_customer_changed_in_different_keys_is_merged() {
    let t = team();
    t.crm(&t.alice, &["edit", "acme", "--set", "value=5000000"]).ok();
    t.crm(&t.bob, &["edit", "acme", "--set", "next_step=Quote 20 electric coaches", "--set", "region=华中"]).ok();
    t.sync(&t.alice);
    let merged = t.sync(&t.bob);
    assert_eq!((&merged["received"], &merged["replayed"], &merged["pushed"]), (&1.into(), &1.into(), &1.into()));
    t.sync(&t.alice);
    assert_eq!(t.head(&t.alice), t.head(&t.bob));
    for dir in [&t.alice, &t.bob] {
        let acme = t.show(dir, "acme");
        assert_eq!(acme["value"], 5000000, "{acme}");
        assert_eq!(acme["next_step"], "Quote 20 electric coaches", "{acme}");
        assert_eq!(acme["region"], "华中", "{acme}");
        assert_eq!(acme["owner"], "zhang.wei", "{acme}");
        t.assert_healthy(dir);
        let check = t.crm(dir, &["check"]);
        assert_eq!(check.code, 0, "the merged file passes crm check\n{check}");
    }
    let path = customer_path("acme");
    let text = std::fs::read_to_string(t.alice.join(&path)).unwrap();
    assert_eq!(text, t.git(&t.alice, &["show", &format!("HEAD:{path}")]));
    assert_eq!(text.matches("value =").count(), 1, "{text}");
}

#[test]
fn touches_logged_on_both_sides_are_all_kept_theirs_first() {
    let t = team();
    t.crm(&t.alice, &["touch", "acme", "--kind", "call", "--summary", "Alice called"]).ok();
    t.crm(&t.bob, &["touch", "acme", "--kind", "visit", "--summary", "Bob visited"]).ok();
    t.sync(&t.alice);
    let merged = t.sync(&t.bob);
    assert_eq!((&merged["received"], &merged["replayed"]), (&1.into(), &1.into()), "{merged}");
    t.sync(&t.alice);
    assert_eq!(t.head(&t.alice), t.head(&t.bob));
    for dir in [&t.alice, &t.bob] {
        assert_eq!(touches(&t, dir, "acme"), ["liu.yang: Alice called", "li.na: Bob visited"]);
        t.assert_healthy(dir);
    }
}

/// A customer's touches as `by: summary`, oldest first.
fn touches(t: &Team, dir: &Path, id: &str) -> Vec<String> {
    let c = t.show(dir, id);
    c["touches"]
        .as_array()
        .unwrap_or_else(|| panic!("no touches in {c}"))
        .iter()
        .map(|x| format!("{}: {}", x["by"].as_str().unwrap(), x["summary"].as_str().unwrap()))
        .collect()
}

#[test]
fn a_touch_merged_after_several_remote_touches_goes_last() {
    // Alice logs two touches and pushes; bob logs one and syncs. Bob's
    // touch belongs after both of alice's (theirs first), not between
    // them: in between, the file's history would look rewritten (crm
    // verify: touch-history-rewritten) and alice's next touch could not be
    // merged any more.
    let t = team();
    t.crm(&t.alice, &["touch", "acme", "--kind", "call", "--summary", "Alice called"]).ok();
    t.crm(&t.alice, &["touch", "acme", "--kind", "visit", "--summary", "Alice visited"]).ok();
    t.sync(&t.alice);
    t.crm(&t.bob, &["touch", "acme", "--kind", "email", "--summary", "Bob wrote"]).ok();
    t.sync(&t.bob);
    assert_eq!(touches(&t, &t.bob, "acme"), ["liu.yang: Alice called", "liu.yang: Alice visited", "li.na: Bob wrote"]);
    t.assert_healthy(&t.bob);

    t.crm(&t.alice, &["touch", "acme", "--kind", "call", "--summary", "Alice called again"]).ok();
    let done = t.sync(&t.alice);
    assert_eq!((&done["received"], &done["replayed"]), (&1.into(), &1.into()), "{done}");
    assert_eq!(
        touches(&t, &t.alice, "acme"),
        ["liu.yang: Alice called", "liu.yang: Alice visited", "li.na: Bob wrote", "liu.yang: Alice called again"]
    );
    t.assert_healthy(&t.alice);
}

#[test]
fn several_local_touches_of_a_customer_the_remote_touched_are_all_kept() {
    // Bob logs two touches offline while alice logs one: replaying bob's
    // second commit must append to the touches already merged by the first.
    let t = team();
    t.crm(&t.alice, &["touch", "acme", "--kind", "call", "--summary", "Alice called"]).ok();
    t.crm(&t.bob, &["touch", "acme", "--kind", "visit", "--summary", "Bob visited"]).ok();
    t.crm(&t.bob, &["touch", "acme", "--kind", "email", "--summary", "Bob wrote"]).ok();
    t.sync(&t.alice);
    let merged = t.sync(&t.bob);
    assert_eq!((&merged["received"], &merged["replayed"]), (&1.into(), &2.into()), "{merged}");
    t.sync(&t.alice);
    assert_eq!(t.head(&t.alice), t.head(&t.bob));
    for dir in [&t.alice, &t.bob] {
        assert_eq!(touches(&t, dir, "acme"), ["liu.yang: Alice called", "li.na: Bob visited", "li.na: Bob wrote"]);
        t.assert_healthy(dir);
    }
}

#[test]
fn the_same_key_set_differently_stops_with_nothing_changed() {
    let t = team();
    t.crm(&t.alice, &["reassign", "acme", "--to", "wang.fang", "--reason", "alice's plan"]).ok();
    // An unrelated change of bob's, before the conflicting one, is not pushed either.
    t.crm(&t.bob, &["add", "--name", "Gamma", "--owner", "wang.fang"]).ok();
    t.crm(&t.bob, &["reassign", "acme", "--to", "chen.jie", "--reason", "bob's plan"]).ok();
    t.sync(&t.alice);
    let before = t.state(&t.bob);
    let files_before = files(&t.bob);
    let refs_before = t.git(&t.bob, &["for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"]);
    let remote_before = t.remote_head();

    let out = t.crm(&t.bob, &["sync"]);
    assert_eq!(out.code, 3, "a conflict exits 3\n{out}");
    assert!(out.stderr.starts_with("error:"), "{out}");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("acme"))
        .unwrap_or_else(|| panic!("the error names the customer\n{out}"));
    for needle in ["owner", "chen.jie", "wang.fang", "li.na", "liu.yang"] {
        assert!(line.contains(needle), "the conflict line should name {needle:?}: {line}\n{out}");
    }
    // Ours (chen.jie, set by li.na) and theirs (wang.fang, set by liu.yang) are told apart.
    assert!(line.find("chen.jie").unwrap() < line.find("li.na").unwrap(), "{line}");
    assert!(line.find("wang.fang").unwrap() < line.find("liu.yang").unwrap(), "{line}");
    assert!(out.stdout.is_empty(), "{out}");

    assert_eq!(t.state(&t.bob), before, "HEAD or the work tree changed\n{out}");
    assert_eq!(files(&t.bob), files_before, "a file changed\n{out}");
    assert_eq!(t.git(&t.bob, &["for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"]), refs_before);
    assert_eq!(t.git(&t.bob, &["diff", "--cached", "--name-only"]), "");
    assert_eq!(t.subjects(&t.bob)[0], "reassign acme: zhang.wei -> chen.jie", "the local commit is still there");
    assert_eq!(t.remote_head(), remote_before, "nothing was pushed");
    assert_sound(&t.repo, &t.bob);
    let json = t.crm(&t.bob, &["sync", "--format", "json"]);
    assert_eq!(json.code, 3, "{json}");
    assert_eq!(t.state(&t.bob), before);

    // What the hint says: drop the local commit, sync, and redo what should stay.
    let st = t.crm(&t.bob, &["status", "--format", "json"]).ok().json();
    assert_eq!(st["ahead"].as_array().unwrap().len(), 2, "{st}");
    assert_eq!(st["behind"].as_array().unwrap().len(), 1, "{st}");
    assert!(!t.git(&t.bare, &["log", "--format=%s", "main"]).contains("gamma"), "nothing of bob's was pushed");
    t.git(&t.bob, &["reset", "-q", "--keep", "origin/main"]);
    t.crm(&t.bob, &["add", "--name", "Gamma", "--owner", "wang.fang"]).ok();
    t.sync(&t.bob);
    assert_eq!(t.show(&t.bob, "acme")["owner"], "wang.fang");
    assert_eq!(t.ids(&t.bob), ["acme", "gamma"]);
    t.assert_healthy(&t.bob);
}

#[test]
fn a_dirty_file_the_remote_changed_stops_sync_and_keeps_the_edit() {
    let t = team();
    t.crm(&t.alice, &["edit", "acme", "--set", "value=7"]).ok();
    t.sync(&t.alice);
    let path = customer_path("acme");
    let edited = format!("{}# a note being written\n", std::fs::read_to_string(t.bob.join(&path)).unwrap());
    std::fs::write(t.bob.join(&path), &edited).unwrap();
    let before = t.state(&t.bob);
    let out = t.crm(&t.bob, &["sync"]);
    assert_eq!(out.code, 3, "{out}");
    assert!(out.stderr.contains(&path), "the error names the file\n{out}");
    assert_eq!(t.state(&t.bob), before);
    assert_eq!(std::fs::read_to_string(t.bob.join(&path)).unwrap(), edited);
}

#[test]
fn sync_pushes_a_branch_the_remote_does_not_have_yet() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &[]);
    let out = repo.git_in(repo.root(), &["init", "-q", "--bare", "empty.git"]);
    assert_eq!(out.code, 0, "{out}");
    repo.git(&["remote", "add", "origin", &repo.root().join("empty.git").display().to_string()]);
    let done = repo.crm(&["sync", "--format", "json"]).ok().json();
    assert_eq!(done["pushed"], repo.commit_count(), "{done}");
    assert_eq!(done["received"], 0, "{done}");
    let bare = repo.root().join("empty.git");
    assert_eq!(repo.git_ok(&bare, &["rev-parse", "main"]).trim(), repo.head());
    let again = repo.crm(&["sync", "--format", "json"]).ok().json();
    assert_eq!(again["pushed"], 0, "{again}");
}

/// A third clone, carol (wang.fang), with one commit ready to push: the
/// colleague whose push lands while alice's is on its way.
fn carol_with_a_commit(t: &Team) -> PathBuf {
    let carol = t.repo.clone_as(&t.bare.display().to_string(), "carol", "Wang Fang", "wang.fang@example.com");
    t.crm(&carol, &["add", "--name", "Carol Co", "--owner", "wang.fang"]).ok();
    carol
}

/// Installs a `pre-receive` hook in the shared repository that, the first
/// time only, pushes carol's commit into it and then lets the push go on.
/// receive-pack locks the branch only after pre-receive, so the push being
/// received then fails its compare-and-swap ("failed to update ref"): a real
/// race between two pushes, made deterministic.
fn race_once_on_the_server(t: &Team, carol: &Path) {
    let hook = t.bare.join("hooks/pre-receive");
    let marker = t.repo.root().join("raced");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ncat >/dev/null\n[ -e '{marker}' ] && exit 0\ntouch '{marker}'\n\
             unset GIT_DIR GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n\
             git -C '{carol}' push -q origin HEAD:main >&2 || exit 1\nexit 0\n",
            marker = marker.display(),
            carol = carol.display()
        ),
    )
    .unwrap();
    make_executable(&hook);
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_push_that_loses_a_race_on_the_server_is_retried() {
    let t = team();
    let carol = carol_with_a_commit(&t);
    let carols = t.head(&carol);
    race_once_on_the_server(&t, &carol);
    t.crm(&t.alice, &["add", "--name", "Beta", "--owner", "zhang.wei"]).ok();

    let done = t.sync(&t.alice);
    assert_eq!(done["attempts"], 2, "the first push must lose the race\n{done}");
    assert_eq!((&done["received"], &done["replayed"], &done["pushed"]), (&1.into(), &1.into(), &1.into()));
    assert!(t.repo.root().join("raced").exists(), "the hook ran");
    assert_eq!(t.remote_head(), t.head(&t.alice));
    assert_eq!(t.git(&t.alice, &["rev-parse", "HEAD~1"]).trim(), carols, "alice's commit is on top of carol's");
    let subjects = t.subjects(&t.alice);
    assert_eq!(count(&subjects, "add beta: Beta"), 1);
    assert_eq!(count(&subjects, "add carol-co: Carol Co"), 1);
    assert_eq!(t.ids(&t.alice), ["acme", "beta", "carol-co"]);
    t.assert_healthy(&t.alice);
    let text = {
        t.crm(&t.alice, &["add", "--name", "Zeta", "--owner", "zhang.wei"]).ok();
        t.crm(&t.alice, &["sync"]).ok()
    };
    assert!(text.stdout.contains("pushed 1 commit"), "{text}");
}

#[test]
fn a_push_rejected_as_non_fast_forward_is_retried() {
    // The classic race as the client sees it: between crm's fetch and its
    // push, carol pushes. A `git` wrapper on crm's PATH does carol's push
    // right before crm's first `git push`, so the push is refused by git
    // itself ("[rejected] … (fetch first)").
    let t = team();
    let carol = carol_with_a_commit(&t);
    let real_git = which("git");
    let wrap = t.repo.root().join("wrap");
    std::fs::create_dir_all(&wrap).unwrap();
    let marker = t.repo.root().join("pushed-first");
    let script = format!(
        "#!/bin/sh\nfor a in \"$@\"; do\n  if [ \"$a\" = push ] && [ ! -e '{marker}' ]; then\n    touch '{marker}'\n    \
         '{git}' -C '{carol}' push -q origin HEAD:main >&2 || exit 1\n  fi\ndone\nexec '{git}' \"$@\"\n",
        marker = marker.display(),
        git = real_git.display(),
        carol = carol.display()
    );
    std::fs::write(wrap.join("git"), script).unwrap();
    make_executable(&wrap.join("git"));
    let path = format!("{}:{}", wrap.display(), std::env::var("PATH").unwrap_or_default());

    t.crm(&t.alice, &["add", "--name", "Beta", "--owner", "zhang.wei"]).ok();
    let out = t.repo.crm_env_in(&t.alice, &[("PATH", &path)], &["sync", "--format", "json"]).ok();
    let done = out.json();
    assert!(marker.exists(), "the wrapper ran");
    assert_eq!(done["attempts"], 2, "the first push must be rejected\n{out}");
    assert_eq!((&done["received"], &done["replayed"], &done["pushed"]), (&1.into(), &1.into(), &1.into()));
    assert_eq!(t.remote_head(), t.head(&t.alice));
    assert_eq!(t.ids(&t.alice), ["acme", "beta", "carol-co"]);
    t.assert_healthy(&t.alice);
}

#[test]
fn sync_gives_up_after_its_retries_and_loses_nothing() {
    let t = team();
    let carol = carol_with_a_commit(&t);
    race_once_on_the_server(&t, &carol);
    t.crm(&t.alice, &["add", "--name", "Beta", "--owner", "zhang.wei"]).ok();
    let before = t.state(&t.alice);
    let out = t.crm(&t.alice, &["sync", "--retries", "0"]);
    assert_eq!(out.code, 3, "{out}");
    assert!(out.stderr.contains("rejected"), "{out}");
    assert_eq!(t.state(&t.alice), before, "nothing changed\n{out}");
    assert_eq!(t.subjects(&t.alice)[0], "add beta: Beta");
    // The next sync gets carol's commit and pushes alice's.
    let done = t.sync(&t.alice);
    assert_eq!((&done["received"], &done["replayed"], &done["attempts"]), (&1.into(), &1.into(), &1.into()));
    assert_eq!(t.ids(&t.alice), ["acme", "beta", "carol-co"]);
    t.assert_healthy(&t.alice);
}

fn which(program: &str) -> PathBuf {
    assert!(has_program(program), "{program} not on PATH");
    let paths = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&paths).map(|d| d.join(program)).find(|p| p.is_file()).unwrap()
}

/// A `git daemon` serving the test's temp directory; killed when dropped.
struct Daemon {
    child: Child,
    port: u16,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn git_daemon(repo: &TestRepo) -> Daemon {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
    // `git daemon` runs `git-daemon` as a child and would outlive a kill of
    // `git`: start the daemon program itself.
    let exec_path = repo.git_ok(repo.root(), &["--exec-path"]);
    let mut cmd = StdCommand::new(Path::new(exec_path.trim()).join("git-daemon"));
    cmd.env_clear();
    for (k, v) in repo.env_vars() {
        cmd.env(k, v);
    }
    let child = cmd
        .arg("--export-all")
        .arg(format!("--base-path={}", repo.root().display()))
        .arg(format!("--port={port}"))
        .args(["--reuseaddr", "--listen=127.0.0.1", "--enable=receive-pack"])
        .arg(repo.root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start git daemon");
    let daemon = Daemon { child, port };
    let start = Instant::now();
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "git daemon does not accept connections on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    daemon
}

#[test]
fn sync_over_the_git_protocol() {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &[]);
    repo.share("shared.git");
    let daemon = git_daemon(&repo);
    let url = format!("git://127.0.0.1:{}/shared.git", daemon.port);
    let alice = repo.clone_as(&url, "alice", "Liu Yang", ADMIN_EMAIL);
    let bob = repo.clone_as(&url, "bob", "Li Na", LI_NA_EMAIL);

    repo.crm_in(&alice, &["add", "--name", "Beta", "--owner", "zhang.wei"]).ok();
    repo.crm_in(&alice, &["touch", "acme", "--kind", "call", "--summary", "Alice called"]).ok();
    repo.crm_in(&bob, &["add", "--name", "Gamma", "--owner", "wang.fang"]).ok();
    repo.crm_in(&bob, &["touch", "acme", "--kind", "visit", "--summary", "Bob visited"]).ok();
    let a = repo.crm_in(&alice, &["sync", "--format", "json"]).ok().json();
    assert_eq!(a["pushed"], 2, "{a}");
    let b = repo.crm_in(&bob, &["sync", "--format", "json"]).ok().json();
    assert_eq!((&b["received"], &b["replayed"], &b["pushed"]), (&2.into(), &2.into(), &2.into()));
    let a = repo.crm_in(&alice, &["sync", "--format", "json"]).ok().json();
    assert_eq!(a["received"], 2, "{a}");

    let bare = repo.root().join("shared.git");
    let remote = repo.git_ok(&bare, &["rev-parse", "main"]);
    for dir in [&alice, &bob] {
        assert_eq!(repo.git_ok(dir, &["rev-parse", "HEAD"]), remote);
        let acme = repo.crm_in(dir, &["show", "acme", "--format", "json"]).ok().json();
        assert_eq!(acme["touches"].as_array().unwrap().len(), 2, "{acme}");
        let list = repo.crm_in(dir, &["list", "--format", "json"]).ok().json();
        assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
        assert_sound(&repo, dir);
        repo.crm_in(dir, &["verify"]).ok();
    }
    drop(daemon);
}

/// A git config for signing with the SSH key `<tmp>/KEY`.
fn sign_with(repo: &TestRepo, dir: &Path, key: &str, allowed: &Path) {
    let public = repo.root().join(format!("{key}.pub")).display().to_string();
    for (k, v) in [
        ("gpg.format", "ssh"),
        ("user.signingkey", public.as_str()),
        ("gpg.ssh.allowedSignersFile", &allowed.display().to_string()),
    ] {
        repo.git_ok(dir, &["config", k, v]);
    }
}

#[test]
fn replayed_commits_of_a_signed_store_are_signed_again() {
    let repo = TestRepo::empty();
    let (Some(liu), Some(lina)) = (repo.ssh_key("liu_key"), repo.ssh_key("lina_key")) else {
        eprintln!("skipped: ssh-keygen not found");
        return;
    };
    let allowed = repo.root().join("allowed_signers");
    std::fs::write(&allowed, format!("{ADMIN_EMAIL} {liu}\n{LI_NA_EMAIL} {lina}\n")).unwrap();
    repo.git(&["init", "-q"]);
    sign_with(&repo, &repo.dir, "liu_key", &allowed);
    repo.crm(&init_args(&["--key", &liu, "--require-signed"])).ok();
    repo.crm(&["staff", "add", "li.na", "--name", "李娜", "--email", LI_NA_EMAIL, "--role", "manager", "--key", &lina])
        .ok();
    repo.crm(&["staff", "add", "zhang.wei", "--name", "张伟", "--email", "zhang.wei@example.com", "--role", "rep"])
        .ok();
    repo.add_customer("Acme", "zhang.wei", &[]);
    let bare = repo.share("shared.git");
    let url = bare.display().to_string();
    let alice = repo.clone_as(&url, "alice", "Liu Yang", ADMIN_EMAIL);
    sign_with(&repo, &alice, "liu_key", &allowed);
    let bob = repo.clone_as(&url, "bob", "Li Na", LI_NA_EMAIL);
    sign_with(&repo, &bob, "lina_key", &allowed);

    repo.crm_in(&alice, &["add", "--name", "Beta", "--owner", "zhang.wei"]).ok();
    repo.crm_in(&alice, &["touch", "acme", "--kind", "call", "--summary", "Alice called"]).ok();
    repo.crm_in(&bob, &["add", "--name", "Gamma", "--owner", "li.na"]).ok();
    repo.crm_in(&bob, &["touch", "acme", "--kind", "visit", "--summary", "Bob visited"]).ok();
    let original = repo.git_ok(&bob, &["rev-parse", "HEAD"]);
    repo.crm_in(&alice, &["sync"]).ok();
    let done = repo.crm_in(&bob, &["sync", "--format", "json"]).ok().json();
    assert_eq!(done["replayed"], 2, "{done}");
    assert_ne!(repo.git_ok(&bob, &["rev-parse", "HEAD"]), original, "the commits were rewritten");
    repo.crm_in(&alice, &["sync"]).ok();

    for dir in [&alice, &bob] {
        for rev in repo.git_ok(dir, &["rev-list", "HEAD"]).lines() {
            let out = repo.git_in(dir, &["verify-commit", rev]);
            assert_eq!(out.code, 0, "git verify-commit {rev} failed in {}\n{out}", dir.display());
        }
        let top = repo.git_ok(dir, &["log", "-2", "--format=%G? %GS %ae %s"]);
        assert_eq!(
            top,
            format!(
                "G {LI_NA_EMAIL} {LI_NA_EMAIL} touch acme: visit by li.na\nG {LI_NA_EMAIL} {LI_NA_EMAIL} add gamma: Gamma\n"
            ),
            "bob's replayed commits are signed by bob"
        );
        let verify = repo.crm_in(dir, &["verify", "--format", "json"]);
        assert_eq!(verify.code, 0, "{verify}");
        assert_eq!(verify.json()["violations"], serde_json::json!([]));
        let acme = repo.crm_in(dir, &["show", "acme", "--format", "json"]).ok().json();
        assert_eq!(acme["touches"].as_array().unwrap().len(), 2, "{acme}");
        assert_sound(&repo, dir);
    }
    let log = repo.crm_in(&alice, &["log", "--format", "json"]).ok().json();
    let gamma = log.as_array().unwrap().iter().find(|e| e["customer"] == "gamma").expect("gamma's add");
    assert_eq!((&gamma["actor"], &gamma["signature"]), (&"li.na".into(), &"good".into()), "{gamma}");
    let server = repo.crm_in(&bare, &["verify"]);
    assert_eq!(server.code, 0, "{server}");
}

#[test]
fn status_and_every_other_command_work_offline() {
    let t = team();
    t.crm(&t.bob, &["add", "--name", "Gamma", "--owner", "wang.fang"]).ok();
    t.sync(&t.bob);
    t.crm(&t.alice, &["add", "--name", "Beta", "--owner", "zhang.wei"]).ok();
    t.git(&t.alice, &["fetch", "-q", "origin"]);
    let away = t.repo.root().join("shared-away.git");
    std::fs::rename(&t.bare, &away).unwrap();

    let st = t.crm(&t.alice, &["status", "--format", "json"]).ok().json();
    assert_eq!((&st["remote"], &st["branch"], &st["fetched"]), (&"origin".into(), &"main".into(), &true.into()));
    let side = |key: &str| -> Vec<(String, String)> {
        st[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["subject"].as_str().unwrap().to_string(), c["author"].as_str().unwrap().to_string()))
            .collect()
    };
    assert_eq!(side("ahead"), [("add beta: Beta".to_string(), ADMIN_EMAIL.to_string())], "{st}");
    assert_eq!(side("behind"), [("add gamma: Gamma".to_string(), LI_NA_EMAIL.to_string())], "{st}");
    assert_eq!(st["ahead"][0]["commit"], t.head(&t.alice).as_str());
    assert_eq!(st["ahead"][0]["date"], t.git(&t.alice, &["log", "-1", "--format=%cs"]).trim());
    let table = t.crm(&t.alice, &["status"]).ok();
    assert!(table.stdout.contains("add beta: Beta") && table.stdout.contains("add gamma: Gamma"), "{table}");

    // Writes and reads need no network.
    t.crm(&t.alice, &["add", "--name", "Delta", "--owner", "chen.jie"]).ok();
    t.crm(&t.alice, &["reassign", "beta", "--to", "li.na", "--reason", "offline handover"]).ok();
    t.crm(&t.alice, &["touch", "acme", "--kind", "call", "--summary", "On the train"]).ok();
    assert_eq!(t.ids(&t.alice), ["acme", "beta", "delta"]);
    t.crm(&t.alice, &["log"]).ok();
    t.crm(&t.alice, &["show", "beta"]).ok();
    let st = t.crm(&t.alice, &["status", "--format", "json"]).ok().json();
    assert_eq!(st["ahead"].as_array().unwrap().len(), 4, "{st}");
    assert_eq!(st["ahead"][0]["subject"], "touch acme: call by liu.yang", "newest first\n{st}");

    let before = t.state(&t.alice);
    let out = t.crm(&t.alice, &["sync"]);
    assert_eq!(out.code, 3, "{out}");
    assert!(out.stderr.starts_with("error:") && out.stderr.contains("fetch"), "{out}");
    assert!(out.stderr.contains("origin"), "the error names the remote\n{out}");
    assert_eq!(out.stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{out}");
    assert_eq!(t.state(&t.alice), before, "nothing changed");

    // Back online, everything goes through.
    std::fs::rename(&away, &t.bare).unwrap();
    let done = t.sync(&t.alice);
    assert_eq!((&done["received"], &done["replayed"], &done["pushed"]), (&1.into(), &4.into(), &4.into()));
    assert_eq!(t.ids(&t.alice), ["acme", "beta", "delta", "gamma"]);
    t.assert_healthy(&t.alice);

    // A remote never fetched.
    t.git(&t.alice, &["remote", "add", "other", "/nonexistent/other.git"]);
    let st = t.crm(&t.alice, &["status", "--remote", "other", "--format", "json"]).ok().json();
    assert_eq!((&st["remote"], &st["fetched"]), (&"other".into(), &false.into()), "{st}");
    assert_eq!(st["behind"], serde_json::json!([]), "{st}");
    let table = t.crm(&t.alice, &["status", "--remote", "other"]).ok();
    assert!(table.stdout.contains("not been fetched"), "{table}");
    let out = t.crm(&t.alice, &["status", "--remote", "nosuch"]);
    assert_eq!(out.code, 2, "{out}");
    let before = t.state(&t.alice);
    let out = t.crm(&t.alice, &["sync", "--remote", "nosuch"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("nosuch"), "{out}");
    assert_eq!(t.state(&t.alice), before);
}

/// Writes `.git/index.lock` with `content`.
fn hold_lock(repo: &TestRepo, content: &str) -> PathBuf {
    let lock = repo.path(".git/index.lock");
    std::fs::write(&lock, content).unwrap();
    lock
}

/// A pid no process has.
fn dead_pid() -> u32 {
    (999_999..).find(|p| !Path::new(&format!("/proc/{p}")).exists()).unwrap()
}

#[test]
fn two_adds_started_together_both_succeed() {
    let repo = TestRepo::standard();
    let before = repo.commit_count();
    let dir = repo.dir.clone();
    let start = |name: &str| repo.spawn_crm_in(&dir, &[], &["add", "--name", name, "--owner", "zhang.wei"]);
    let (a, b) = (start("Acme"), start("Beta"));
    let (a, b) = (finish(a), finish(b));
    assert_eq!((a.code, b.code), (0, 0), "{a}\n{b}");

    // While a (pretend) live crm holds the lock, both wait, then both go.
    let lock = hold_lock(&repo, &format!("crm pid {}\n", std::process::id()));
    let (mut c, mut d) = (start("Gamma"), start("Delta"));
    std::thread::sleep(Duration::from_millis(400));
    assert!(c.try_wait().unwrap().is_none() && d.try_wait().unwrap().is_none(), "both wait for the lock");
    std::fs::remove_file(&lock).unwrap();
    let (c, d) = (finish(c), finish(d));
    assert_eq!((c.code, d.code), (0, 0), "{c}\n{d}");

    assert_eq!(repo.commit_count(), before + 4);
    let list = repo.crm(&["list", "--format", "json"]).ok().json();
    let mut ids: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["acme", "beta", "delta", "gamma"]);
    assert_eq!(repo.status(), "");
    assert_eq!(repo.git_out(&["diff", "--cached", "--quiet"]).code, 0);
    assert!(!lock.exists());
    assert_sound(&repo, &repo.dir);
}

#[test]
fn a_lock_held_by_someone_alive_makes_writes_busy() {
    let repo = TestRepo::standard();
    let before = repo.state();
    for content in ["", "not crm\n", &format!("crm pid {}\n", std::process::id())] {
        let lock = hold_lock(&repo, content);
        let started = Instant::now();
        let out = repo.crm_env_in(
            &repo.dir,
            &[("CRM_LOCK_TIMEOUT", "0.2")],
            &["add", "--name", "Acme", "--owner", "zhang.wei"],
        );
        let took = started.elapsed();
        repo.assert_refused(&out, 3, &["store is busy", "index.lock"], &before);
        assert!(took >= Duration::from_millis(200), "it waited for the lock ({took:?})");
        assert!(took < Duration::from_secs(3), "it honoured CRM_LOCK_TIMEOUT ({took:?})");
        assert_eq!(std::fs::read_to_string(&lock).unwrap(), content, "someone else's lock is left alone");

        let doctor = repo.crm(&["doctor", "--format", "json"]);
        assert_eq!(doctor.code, 1, "a live lock is a problem the doctor cannot repair\n{doctor}");
        assert_eq!(doctor.json()["problems"].as_array().unwrap().len(), 1, "{doctor}");
        assert!(lock.exists());
        std::fs::remove_file(&lock).unwrap();
    }
    repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]).ok();
}

#[test]
fn a_lock_left_by_a_dead_crm_is_taken_over() {
    let repo = TestRepo::standard();
    let pid = dead_pid();
    let lock = hold_lock(&repo, &format!("crm pid {pid}\n"));
    let before = repo.commit_count();
    repo.crm_env_in(&repo.dir, &[("CRM_LOCK_TIMEOUT", "0")], &["add", "--name", "Acme", "--owner", "zhang.wei"]).ok();
    assert_eq!(repo.commit_count(), before + 1);
    assert!(!lock.exists(), "the lock is released");
    assert_eq!(repo.status(), "");

    hold_lock(&repo, &format!("crm pid {pid}\n"));
    let doctor = repo.crm(&["doctor", "--format", "json"]).ok().json();
    let repaired = doctor["repaired"].as_array().unwrap();
    assert_eq!(repaired.len(), 1, "{doctor}");
    assert!(repaired[0].as_str().unwrap().contains(&pid.to_string()), "{doctor}");
    assert_eq!(doctor["problems"], serde_json::json!([]));
    assert!(!lock.exists());
    let healthy = repo.crm(&["doctor"]).ok();
    assert!(healthy.stdout.contains("healthy"), "{healthy}");
}

/// Leaves the store as a write killed after moving the branch would: the
/// journal names HEAD~1 → HEAD and `path`, and the file and its index entry
/// are still HEAD~1's.
fn interrupt_last_write(repo: &TestRepo, path: &str) -> String {
    let prev = repo.git(&["rev-parse", "HEAD~1"]).trim().to_string();
    let head = repo.head();
    repo.write(".git/crm/pending", format!("old {prev}\nnew {head}\n{path}\n"));
    repo.git(&["checkout", &prev, "--", path]);
    assert_eq!(repo.status(), format!("M  {path}\n"), "the file is as before the write");
    head
}

fn reassigned_store() -> (TestRepo, String) {
    let repo = TestRepo::standard();
    repo.add_customer("Acme", "zhang.wei", &[]);
    repo.crm(&["reassign", "acme", "--to", "li.na", "--reason", "handover"]).ok();
    (repo, customer_path("acme"))
}

#[track_caller]
fn assert_finished(repo: &TestRepo, path: &str, rev: &str) {
    assert_eq!(repo.read(path), repo.git(&["show", &format!("{rev}:{path}")]));
    assert_eq!(repo.status(), "");
    assert_eq!(repo.git_out(&["diff", "--cached", "--quiet"]).code, 0);
    assert!(!repo.path(".git/crm/pending").exists(), "the journal is cleared");
}

#[test]
fn doctor_finishes_a_write_interrupted_after_the_commit() {
    let (repo, path) = reassigned_store();
    let head = interrupt_last_write(&repo, &path);
    let doctor = repo.crm(&["doctor", "--format", "json"]).ok().json();
    let repaired = doctor["repaired"].as_array().unwrap();
    assert_eq!(repaired.len(), 1, "{doctor}");
    assert!(repaired[0].as_str().unwrap().contains(&head[..8]), "{doctor}");
    assert_eq!(doctor["problems"], serde_json::json!([]), "{doctor}");
    assert_eq!(repo.head(), head);
    assert_finished(&repo, &path, "HEAD");
    assert_eq!(repo.crm(&["show", "acme", "--format", "json"]).ok().json()["owner"], "li.na");
}

#[test]
fn the_next_write_finishes_an_interrupted_one() {
    let (repo, path) = reassigned_store();
    let head = interrupt_last_write(&repo, &path);
    repo.crm(&["add", "--name", "Beta", "--owner", "zhang.wei"]).ok();
    assert_eq!(repo.git(&["rev-parse", "HEAD~1"]).trim(), head);
    assert_finished(&repo, &path, "HEAD");
    assert_eq!(repo.changed_paths("HEAD"), [customer_path("beta")]);
}

#[test]
fn doctor_leaves_a_hand_edit_made_after_the_interruption() {
    let (repo, path) = reassigned_store();
    interrupt_last_write(&repo, &path);
    let edited = format!("{}# edited by hand\n", repo.read(&path));
    repo.write(&path, &edited);
    let doctor = repo.crm(&["doctor", "--format", "json"]);
    assert_eq!(doctor.code, 1, "{doctor}");
    let problems = doctor.json()["problems"].clone();
    assert!(problems.as_array().unwrap().iter().any(|p| p.as_str().unwrap().contains(&path)), "{doctor}");
    assert_eq!(repo.read(&path), edited, "the edit is kept");
}

#[test]
fn doctor_drops_the_journal_of_a_commit_that_never_landed() {
    let (repo, _) = reassigned_store();
    let head = repo.head();
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
    let orphan = repo.git(&["commit-tree", tree.trim(), "-p", &head, "-m", "never landed"]);
    repo.write(".git/crm/pending", format!("old {head}\nnew {}\ncrm.toml\n", orphan.trim()));
    let doctor = repo.crm(&["doctor", "--format", "json"]).ok().json();
    assert_eq!(doctor["repaired"].as_array().unwrap().len(), 1, "{doctor}");
    assert_eq!(repo.head(), head);
    assert!(!repo.path(".git/crm/pending").exists());
    assert_eq!(repo.status(), "");
}

#[test]
fn doctor_removes_the_temporary_file_of_an_interrupted_write() {
    // A write killed while writing a file leaves its temporary sibling
    // (`.crm-XXXXXX`, renamed over the file once complete) next to it; the
    // stress test `a_killed_bulk_handover_is_all_or_nothing` meets this.
    let (repo, path) = reassigned_store();
    interrupt_last_write(&repo, &path);
    let stray = format!("{}/.crm-Ab12Cd", path.rsplit_once('/').unwrap().0);
    repo.write(&stray, &repo.read(&path)[..20]);
    let doctor = repo.crm(&["doctor", "--format", "json"]);
    assert_eq!(doctor.code, 0, "{doctor}");
    assert_finished(&repo, &path, "HEAD");
}

#[test]
fn a_customer_deleted_on_one_side_and_changed_on_the_other_is_a_conflict() {
    let t = team();
    let path = customer_path("acme");
    t.git(&t.alice, &["rm", "-q", &path]);
    t.git(&t.alice, &["commit", "-q", "-m", "remove acme"]);
    t.sync(&t.alice);
    t.crm(&t.bob, &["touch", "acme", "--kind", "call", "--summary", "Still a customer"]).ok();
    let before = t.state(&t.bob);
    let out = t.crm(&t.bob, &["sync"]);
    assert_eq!(out.code, 3, "{out}");
    assert!(out.stderr.lines().any(|l| l.contains("acme") && l.contains("liu.yang") && l.contains("li.na")), "{out}");
    assert_eq!(t.state(&t.bob), before);
}

#[test]
fn sync_leaves_unrelated_uncommitted_work_alone() {
    let t = team();
    t.crm(&t.alice, &["add", "--name", "Beta", "--owner", "zhang.wei"]).ok();
    t.sync(&t.alice);
    // Bob: a local commit, a hand edit of a file the remote did not change,
    // and an untracked file.
    t.crm(&t.bob, &["add", "--name", "Gamma", "--owner", "wang.fang"]).ok();
    let path = customer_path("acme");
    let edited = format!("{}# call back in spring\n", std::fs::read_to_string(t.bob.join(&path)).unwrap());
    std::fs::write(t.bob.join(&path), &edited).unwrap();
    std::fs::write(t.bob.join("notes.txt"), "mine\n").unwrap();
    let done = t.sync(&t.bob);
    assert_eq!((&done["received"], &done["replayed"], &done["pushed"]), (&1.into(), &1.into(), &1.into()));
    assert_eq!(std::fs::read_to_string(t.bob.join(&path)).unwrap(), edited);
    assert_eq!(std::fs::read_to_string(t.bob.join("notes.txt")).unwrap(), "mine\n");
    assert_eq!(t.state(&t.bob).status, format!(" M {path}\n?? notes.txt\n"));
    assert_eq!(t.ids(&t.bob), ["acme", "beta", "gamma"]);
    assert!(!t.git(&t.bare, &["show", &format!("main:{path}")]).contains("spring"), "the edit was not pushed");
}
