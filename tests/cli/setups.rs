//! The git setups companies actually have, and faults: linked worktrees,
//! `--separate-git-dir` checkouts, shallow clones, a rebase in progress, a
//! full disk after the branch moved. After every write, plain git must
//! agree that nothing was lost or invented (`git fsck --full --strict`,
//! `git status`).

use std::path::Path;

use crate::common::{customer_path, init_args, needs_program, TestRepo, ADMIN_EMAIL};

/// A CSV of `n` new customers owned by liu.yang, written next to the store.
fn csv_of(repo: &TestRepo, n: usize) -> String {
    let mut text = String::from("name,owner\n");
    for i in 0..n {
        text.push_str(&format!("Worktree Customer {i:03},liu.yang\n"));
    }
    let path = repo.root().join(format!("customers-{n}.csv"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `git fsck --full --strict` in `dir` passes.
#[track_caller]
fn fsck(repo: &TestRepo, dir: &Path) {
    let out = repo.git_in(dir, &["fsck", "--full", "--strict", "--no-progress"]);
    assert_eq!(out.code, 0, "git fsck found problems\n{out}");
}

#[test]
fn a_bulk_write_in_a_linked_worktree_stores_its_objects_where_git_looks() {
    let repo = TestRepo::init();
    let wt = repo.root().join("wt");
    repo.git(&["worktree", "add", "-q", "-b", "side", &wt.display().to_string()]);
    let csv = csv_of(&repo, 70);
    let out = repo.crm_in(&wt, &["import", "csv", &csv, "--yes", "-q"]);
    assert_eq!(out.code, 0, "{out}");
    let commit = repo.git_in(&wt, &["rev-parse", "HEAD"]).stdout.trim().to_string();
    fsck(&repo, &wt);
    assert_eq!(repo.git_in(&wt, &["status", "--porcelain"]).stdout, "", "the worktree is clean");
    // The worktree's own git directory holds no pack.
    let own = repo.path(".git/worktrees/wt/objects");
    assert!(!own.exists(), "objects written to {}", own.display());
    // Removing the (clean) worktree loses nothing.
    let out = repo.git_in(repo.root(), &["-C", "store", "worktree", "remove", &wt.display().to_string()]);
    assert_eq!(out.code, 0, "{out}");
    let out = repo.git_out(&["ls-tree", "-r", &commit, "--", "customers"]);
    assert_eq!(out.stdout.lines().count(), 70, "{out}");
    let out = repo.git_out(&["cat-file", "-e", &format!("{commit}:{}", customer_path("worktree-customer-069"))]);
    assert_eq!(out.code, 0, "the blob is in the shared object store\n{out}");
    fsck(&repo, &repo.dir);
}

#[test]
fn a_separate_git_dir_checkout_is_written_in_its_own_work_tree() {
    let repo = TestRepo::empty();
    let git_dir = repo.root().join("git-dir");
    repo.git(&["init", "-q", "--separate-git-dir", &git_dir.display().to_string()]);
    repo.crm(&init_args(&[])).ok();
    let id = repo.add_customer("Acme", "liu.yang", &[]);
    assert!(repo.path(&customer_path(&id)).is_file(), "written in the work tree");
    assert!(!repo.root().join("customers").exists(), "nothing next to the git directory");
    assert_eq!(repo.status(), "", "git sees the same files as HEAD");
    // check reads the work tree the person is in.
    repo.write(&customer_path("broken"), "name = \n");
    let out = repo.crm(&["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains(&customer_path("broken")), "{out}");
    fsck(&repo, &repo.dir);
}

#[test]
fn writes_are_refused_during_a_rebase_a_bisect_or_on_a_detached_head() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let head = repo.head();
    // Detached HEAD.
    repo.git(&["checkout", "-q", "--detach"]);
    let before = repo.state();
    let out = repo.crm(&["touch", &id, "--kind", "call", "--summary", "x"]);
    repo.assert_refused(&out, 3, &["detached", "git switch"], &before);
    repo.git(&["checkout", "-q", "main"]);
    // A rebase stopped for editing.
    repo.add_customer("Beta", "zhang.wei", &[]);
    let out = repo.git_out(&["-c", "sequence.editor=sed -i s/^pick/edit/", "rebase", "-q", "-i", &head]);
    assert_eq!(out.code, 0, "{out}");
    let before = repo.state();
    let out = repo.crm(&["touch", &id, "--kind", "call", "--summary", "x"]);
    repo.assert_refused(&out, 3, &["rebase", "git rebase --continue"], &before);
    repo.git(&["rebase", "--abort"]);
    // A bisect.
    repo.git(&["bisect", "start"]);
    let before = repo.state();
    let out = repo.crm(&["touch", &id, "--kind", "call", "--summary", "x"]);
    repo.assert_refused(&out, 3, &["bisect", "git bisect reset"], &before);
    repo.git(&["bisect", "reset"]);
    repo.crm(&["touch", &id, "--kind", "call", "--summary", "x"]).ok();
}

#[cfg(unix)]
#[test]
fn rewritten_customer_files_keep_their_mode() {
    use std::os::unix::fs::PermissionsExt;
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let path = repo.path(&customer_path(&id));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let created = mode(&path);
    assert_eq!(created & 0o044, 0o044, "readable by group and others like any git checkout: {created:o}");
    repo.crm(&["touch", &id, "--kind", "call", "--summary", "rewrite"]).ok();
    assert_eq!(mode(&path), created, "a rewrite keeps the mode");
    repo.crm(&["reassign", &id, "--to", "wang.fang", "--reason", "x"]).ok();
    assert_eq!(mode(&path), created);
    assert_eq!(repo.status(), "");
}

/// `crm ARGS` under strace, with `fault` (an strace injection such as
/// `error=ENOSPC`) on the rename that puts crm's new index in place — the
/// step after the branch has moved.
fn crm_renaming_index_with(repo: &TestRepo, fault: &str, args: &[&str]) -> std::process::Command {
    let scratch_index = repo.path(".git/crm-index.tmp").display().to_string();
    let mut cmd = std::process::Command::new("strace");
    cmd.env_clear();
    for (k, v) in repo.env_vars() {
        cmd.env(k, v);
    }
    cmd.current_dir(&repo.dir).args(["-f", "-qq", "-o", "/dev/null", "-P", &scratch_index]);
    let syscalls = "rename,renameat,renameat2";
    cmd.args(["-e", &format!("trace={syscalls}"), "-e", &format!("inject={syscalls}:{fault}")]);
    cmd.arg(env!("CARGO_BIN_EXE_crm")).args(args);
    cmd
}

#[test]
fn a_full_disk_after_the_branch_moved_says_the_commit_was_made_and_doctor_repairs() {
    if !needs_program("strace") {
        eprintln!("skipped: strace not found");
        return;
    }
    let repo = TestRepo::standard();
    let before = repo.head();
    // Putting the new index in place (a rename of crm's scratch index)
    // fails with ENOSPC: the commit is made and the branch moved first.
    let mut cmd = crm_renaming_index_with(&repo, "error=ENOSPC", &["add", "--name", "Acme", "--owner", "zhang.wei"]);
    let out = crate::common::Output::of(cmd.output().unwrap());
    assert_eq!(out.code, 4, "exit 4: written, not finished\n{out}");
    assert!(out.stderr.contains("was made") && out.stderr.contains("crm doctor"), "{out}");
    let after = repo.head();
    assert_ne!(after, before, "the branch moved");
    assert_eq!(repo.git(&["log", "-1", "--format=%an", &after]).trim(), "Liu Yang");
    // Nothing else is lost: doctor finishes the write.
    let out = repo.crm(&["doctor"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(repo.status(), "", "index and work tree match HEAD again");
    assert!(repo.path(&customer_path("acme")).is_file());
}

#[test]
fn an_edit_racily_clean_in_the_index_stays_visible_after_a_crm_write() {
    // On a file system with one-second timestamps (here: git told to
    // compare only seconds and sizes), an edit made in the same second as
    // the index was written looks clean by its stat data; git smudges such
    // entries when it rewrites the index, and so must crm.
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    repo.git(&["config", "core.checkStat", "minimal"]);
    repo.git(&["config", "core.trustctime", "false"]);
    repo.write("notes.txt", "version one\n");
    let when = "@1700000000";
    let touch = |path: &Path| {
        let out = std::process::Command::new("touch").args(["-d", when]).arg(path).output().unwrap();
        assert!(out.status.success());
    };
    touch(&repo.path("notes.txt"));
    repo.git(&["add", "notes.txt"]);
    repo.git(&["commit", "-q", "-m", "notes"]);
    touch(&repo.path(".git/index"));
    // Same size, same second: only the content differs.
    repo.write("notes.txt", "version two\n");
    touch(&repo.path("notes.txt"));
    // (Without writing the index: git would smudge the entry itself.)
    let status = repo.git(&["--no-optional-locks", "status", "--porcelain"]);
    assert_eq!(status, " M notes.txt\n", "git sees the racy edit");
    repo.crm(&["touch", &id, "--kind", "call", "--summary", "later"]).ok();
    assert_eq!(repo.status(), " M notes.txt\n", "the edit is still visible after crm rewrote the index");
    assert_eq!(repo.read("notes.txt"), "version two\n");
}

/// A bare server holding the standard store with `n` more customers (the
/// first then reassigned), and a clone of it made with `args` (`--depth 1`,
/// `--filter=blob:none`).
fn clone_with(repo: &TestRepo, n: usize, args: &[&str]) -> std::path::PathBuf {
    let ids: Vec<String> = (0..n).map(|i| repo.add_customer(&format!("Customer {i}"), "zhang.wei", &[])).collect();
    repo.crm(&["reassign", &ids[0], "--to", "wang.fang", "--reason", "rebalancing"]).ok();
    let server = repo.root().join("server.git");
    let out = repo.git_in(repo.root(), &["clone", "-q", "--bare", "store", "server.git"]);
    assert_eq!(out.code, 0, "{out}");
    repo.git_in(&server, &["config", "uploadpack.allowFilter", "true"]);
    let url = format!("file://{}", server.display());
    let mut all = vec!["clone", "-q"];
    all.extend_from_slice(args);
    all.extend([url.as_str(), "clone"]);
    let out = repo.git_in(repo.root(), &all);
    assert_eq!(out.code, 0, "{out}");
    repo.root().join("clone")
}

#[test]
fn a_shallow_clone_is_never_read_as_the_start_of_history() {
    let repo = TestRepo::standard();
    let clone = clone_with(&repo, 3, &["--depth", "1"]);
    assert_eq!(repo.git_in(&clone, &["rev-parse", "--is-shallow-repository"]).stdout.trim(), "true");
    let listed = repo.crm_in(&clone, &["list", "--format", "json"]);
    let id = listed.json()[0]["id"].as_str().expect("a customer").to_string();
    for args in [&["verify"][..], &["log"], &["log", id.as_str()], &["report", "handover"]] {
        let out = repo.crm_in(&clone, args);
        assert_eq!(out.code, 3, "{args:?}\n{out}");
        assert!(out.stderr.contains("shallow") && out.stderr.contains("git fetch --unshallow"), "{args:?}\n{out}");
    }
    assert!(!clone.join(".git/crm/history").exists(), "nothing computed over a cut history is cached");
    // What needs no history works; a range above the boundary verifies.
    assert_eq!(repo.crm_in(&clone, &["list"]).code, 0);
    let out = repo.git_in(&clone, &["fetch", "-q", "--unshallow"]);
    assert_eq!(out.code, 0, "{out}");
    let out = repo.crm_in(&clone, &["log", "--format", "json"]);
    assert_eq!(out.code, 0, "{out}");
    let adds = out.json().as_array().unwrap().iter().filter(|e| e["action"] == "add").count();
    assert_eq!(adds, 3, "one add per customer, made when it was added\n{out}");
    let reassigns = out.json().as_array().unwrap().iter().filter(|e| e["action"] == "reassign").count();
    assert_eq!(reassigns, 1, "{out}");
    assert_eq!(repo.crm_in(&clone, &["verify"]).code, 0);
}

#[test]
fn a_partial_clone_never_reads_a_missing_blob_as_no_owner() {
    let repo = TestRepo::standard();
    let clone = clone_with(&repo, 3, &["--filter=blob:none"]);
    // The checkout fetched HEAD's blobs; the reassigned customer's first
    // version is not in the clone.
    for args in [&["log", "--format", "json"][..], &["verify"], &["report", "handover", "--since", "2000-01-01"]] {
        let out = repo.crm_in(&clone, args);
        assert_eq!(out.code, 3, "{args:?}\n{out}");
        assert!(out.stderr.contains("missing") && out.stderr.contains("--filter"), "{args:?}\n{out}");
    }
    assert!(!clone.join(".git/crm/history").exists(), "nothing computed over missing objects is cached");
    // Once the objects are there, the history is the real one.
    let out = repo.git_in(&clone, &["-c", "remote.origin.partialclonefilter=", "fetch", "-q", "--refetch", "origin"]);
    assert_eq!(out.code, 0, "{out}");
    let out = repo.crm_in(&clone, &["log", "--format", "json"]);
    assert_eq!(out.code, 0, "{out}");
    let reassigns = out.json().as_array().unwrap().iter().filter(|e| e["action"] == "reassign").count();
    assert_eq!(reassigns, 1, "{out}");
}

#[test]
fn a_branch_lock_left_by_a_killed_process_is_named_and_doctor_removes_it() {
    let repo = TestRepo::standard();
    let lock = repo.path(".git/refs/heads/main.lock");
    std::fs::write(&lock, "").unwrap();
    let before = repo.state();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]);
    repo.assert_refused(&out, 3, &["busy", "refs/heads/main.lock"], &before);
    // A fresh lock may be a running git: reported, not removed.
    let out = repo.crm(&["doctor", "--format", "json"]);
    assert!(out.stdout.contains("main.lock"), "{out}");
    assert!(lock.exists());
    // Ten minutes old: a killed process left it.
    let out = std::process::Command::new("touch").args(["-d", "10 minutes ago"]).arg(&lock).output().unwrap();
    assert!(out.status.success());
    let out = repo.crm(&["doctor", "--format", "json"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.json()["repaired"].to_string().contains("main.lock"), "{out}");
    assert!(!lock.exists());
    repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]).ok();
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_a_write_quietly_and_releases_the_lock() {
    use std::process::Stdio;
    let repo = TestRepo::standard();
    let before = repo.head();
    // The reader is gone before crm prints the JSON of what it wrote.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = repo.crm_std();
    cmd.args(["add", "--name", "Acme", "--owner", "zhang.wei", "--format", "json"]);
    let out = cmd.stdout(Stdio::from(writer)).stderr(Stdio::piped()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "nothing to say about a closed pipe");
    assert_ne!(repo.head(), before, "the write was done");
    assert!(!repo.path(".git/index.lock").exists(), "the lock is released");
    assert_eq!(repo.status(), "");
}

#[cfg(unix)]
#[test]
fn a_fifo_at_a_customer_path_never_hangs_a_reading_command() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let path = repo.path(&customer_path(&id));
    std::fs::remove_file(&path).unwrap();
    let out = std::process::Command::new("mkfifo").arg(&path).output().unwrap();
    assert!(out.status.success());
    for args in [&["show", id.as_str()][..], &["list"]] {
        let mut child = repo.crm_std().args(args).stdout(std::process::Stdio::piped()).spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let status = status.unwrap_or_else(|| panic!("crm {args:?} hung on the FIFO"));
        assert_eq!(status.code(), Some(0), "{args:?}: the committed file is read from git instead");
    }
}

#[test]
fn reftable_and_sha256_repositories_are_refused_with_a_sentence() {
    let repo = TestRepo::empty();
    for (args, needle) in [
        (&["init", "-q", "--ref-format=reftable", "rt"][..], "reftable"),
        (&["init", "-q", "--object-format=sha256", "sh"], "SHA-256"),
    ] {
        let out = repo.git_in(repo.root(), args);
        if out.code != 0 {
            eprintln!("skipped: this git cannot make {needle} repositories");
            continue;
        }
        let dir = repo.root().join(args[3]);
        let out = repo.crm_in(&dir, &["list"]);
        assert_eq!(out.code, 3, "{out}");
        assert!(out.stderr.contains(needle) && !out.stderr.contains("class="), "{out}");
    }
}

#[test]
fn sync_stops_at_once_when_the_server_refuses_for_good() {
    let repo = TestRepo::standard();
    // A server that refuses the update for good ("[remote rejected] …
    // branch is currently checked out"), as a protected branch or a
    // permission does: trying again cannot help.
    let out = repo.git_in(repo.root(), &["clone", "-q", "store", "server"]);
    assert_eq!(out.code, 0, "{out}");
    repo.git(&["remote", "add", "origin", &repo.root().join("server").display().to_string()]);
    repo.git(&["fetch", "-q", "origin"]);
    repo.git(&["branch", "-q", "-u", "origin/main"]);
    repo.add_customer("Acme", "zhang.wei", &[]);
    let started = std::time::Instant::now();
    let out = repo.crm(&["sync"]);
    assert_eq!(out.code, 3, "{out}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "no retries: {:?}", started.elapsed());
    assert!(out.stderr.contains("checked out"), "the server's reason\n{out}");
    assert!(!out.stderr.contains("others keep pushing"), "{out}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_lock_whose_pid_now_belongs_to_another_program_is_taken_over() {
    let repo = TestRepo::standard();
    // The lock of a crm process that died; its pid (here: this test's own,
    // certainly alive) has since been given to a process started later.
    let lock = repo.path(".git/index.lock");
    std::fs::write(&lock, format!("crm pid {} start 1\n", std::process::id())).unwrap();
    let started = std::time::Instant::now();
    let out = repo.crm(&["add", "--name", "Acme", "--owner", "zhang.wei"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "no waiting for a lock nobody holds");
    assert!(!lock.exists());
    // A lock of a live crm (the same pid and start) is still respected.
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", std::process::id())).unwrap();
    let start = stat[stat.rfind(')').unwrap() + 1..].split_whitespace().nth(19).unwrap().to_string();
    std::fs::write(&lock, format!("crm pid {} start {start}\n", std::process::id())).unwrap();
    let before = repo.state();
    let out =
        repo.crm_env_in(&repo.dir, &[("CRM_LOCK_TIMEOUT", "0.2")], &["add", "--name", "Beta", "--owner", "zhang.wei"]);
    repo.assert_refused(&out, 3, &["busy"], &before);
    std::fs::remove_file(&lock).unwrap();
}

#[test]
fn a_crlf_checkout_is_not_taken_for_uncommitted_edits() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let rel = customer_path(&id);
    repo.git(&["config", "core.autocrlf", "true"]);
    std::fs::remove_file(repo.path(&rel)).unwrap();
    repo.git(&["checkout", "--", &rel]);
    assert!(repo.read(&rel).contains("\r\n"), "git checked the file out with CRLF");
    assert_eq!(repo.status(), "", "git sees no change");
    repo.crm(&["touch", &id, "--kind", "call", "--summary", "on a Windows checkout"]).ok();
    assert_eq!(repo.status(), "");
    // A real edit is still refused.
    let edited = repo.read(&rel).replace("Acme", "Acme Coaches");
    repo.write(&rel, edited);
    let before = repo.state();
    let out = repo.crm(&["touch", &id, "--kind", "call", "--summary", "x"]);
    repo.assert_refused(&out, 3, &[&rel, "uncommitted"], &before);
}

#[cfg(unix)]
#[test]
fn a_group_shared_repository_stays_writable_for_the_group() {
    // Two people (uids 4101 and 4102, group 4100) share a clone made with
    // `git init --shared=group`; runs only where the test may switch users.
    let is_root = std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout == b"0\n");
    if !is_root || !needs_program("setpriv") {
        eprintln!("skipped: needs root and setpriv to act as two users");
        return;
    }
    let repo = TestRepo::empty();
    repo.git(&["init", "-q", "--shared=group"]);
    let home = repo.root().join("home-b");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".gitconfig"), "[safe]\n\tdirectory = *\n[user]\n\tname = B\n\temail = b@example.com\n")
        .unwrap();
    let as_user = |uid: &str, program: &str, args: &[&str]| {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid", uid, "--regid", "4100", "--clear-groups", program]).args(args);
        cmd.env_clear().current_dir(&repo.dir);
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default()).env("HOME", &home).env("CRM_USER", "liu.yang");
        cmd.env("GIT_COMMITTER_EMAIL", ADMIN_EMAIL);
        crate::common::Output::of(cmd.output().unwrap())
    };
    for dir in [repo.root(), home.as_path()] {
        let out = std::process::Command::new("chown").args(["-R", "4101:4100"]).arg(dir).output().unwrap();
        assert!(out.status.success());
    }
    let crm = env!("CARGO_BIN_EXE_crm");
    let out = as_user("4101", crm, &init_args(&[]));
    assert_eq!(out.code, 0, "{out}");
    let out = as_user("4101", crm, &["add", "-q", "--name", "Acme", "--owner", "liu.yang"]);
    assert_eq!(out.code, 0, "{out}");
    // The other person: plain git, then crm, then the first again.
    std::fs::write(repo.path("notes.txt"), "shared\n").unwrap();
    let out = as_user("4102", "git", &["add", "notes.txt"]);
    assert_eq!(out.code, 0, "{out}");
    let out = as_user("4102", "git", &["commit", "-q", "-m", "notes"]);
    assert_eq!(out.code, 0, "git of the second person can add objects\n{out}");
    let out = as_user("4102", crm, &["add", "-q", "--name", "Beta", "--owner", "liu.yang"]);
    assert_eq!(out.code, 0, "{out}");
    let out = as_user("4101", crm, &["add", "-q", "--name", "Gamma", "--owner", "liu.yang"]);
    assert_eq!(out.code, 0, "{out}");
    let out = as_user("4101", "git", &["fsck", "--no-progress"]);
    assert_eq!(out.code, 0, "{out}");
}

#[test]
fn a_sparse_checkout_keeps_customers_outside_its_cone_and_check_still_sees_them() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let rel = customer_path(&id);
    repo.write(&customer_path("broken"), "name = \"Broken\"\nowner = \"nobody\"\n");
    repo.commit_all("a customer with an unknown owner");
    let out = repo.git_out(&["sparse-checkout", "set", "--no-cone", "/crm.toml", "/staff/"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(!repo.path(&rel).exists(), "outside the cone");
    // A write to a customer outside the cone: committed, left outside.
    repo.crm(&["touch", &id, "--kind", "call", "--summary", "from a sparse checkout"]).ok();
    assert!(repo.git(&["show", &format!("HEAD:{rel}")]).contains("from a sparse checkout"));
    assert!(!repo.path(&rel).exists(), "still outside the cone");
    assert_eq!(repo.status(), "", "git agrees with the index");
    assert!(repo.git(&["ls-files", "-v", &rel]).starts_with("S "), "still skip-worktree");
    // check covers the files outside the cone, from the commit.
    let out = repo.crm(&["check", "--format", "json"]);
    assert_eq!(out.code, 1, "{out}");
    let findings = out.json()["findings"].as_array().unwrap().clone();
    assert!(
        findings.iter().any(|f| f["path"] == customer_path("broken").as_str() && f["rule"] == "unknown-person"),
        "{out}"
    );
    assert_eq!(out.json()["files"], 7, "crm.toml, four staff files and the two customers\n{out}");
}

#[test]
fn a_plain_git_commit_during_a_crm_write_cannot_undo_it() {
    if !needs_program("strace") {
        eprintln!("skipped: strace not found");
        return;
    }
    let repo = TestRepo::standard();
    repo.write("notes.txt", "staged by hand\n");
    repo.git(&["add", "notes.txt"]);
    // crm pauses after moving the branch, just before its index goes in
    // place: the moment a commit built from the old index would undo it.
    let args = ["add", "-q", "--name", "Acme", "--owner", "zhang.wei"];
    let mut cmd = crm_renaming_index_with(&repo, "delay_enter=1500000", &args);
    let before = repo.head();
    let crm = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    // Wait for the branch to move, then commit with plain git.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while repo.head() == before && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let during = repo.git_out(&["commit", "-q", "-m", "notes"]);
    assert_ne!(during.code, 0, "git waits for crm's index lock instead of committing the old index\n{during}");
    assert!(during.stderr.contains("index.lock"), "{during}");
    let out = crate::common::Output::of(crm.wait_with_output().unwrap());
    assert_eq!(out.code, 0, "{out}");
    // Afterwards the person's commit has both: nothing was undone.
    repo.git(&["commit", "-q", "-m", "notes"]);
    let tree = repo.git(&["ls-tree", "-r", "--name-only", "HEAD"]);
    assert!(tree.contains(&customer_path("acme")) && tree.contains("notes.txt"), "{tree}");
    assert_eq!(repo.status(), "");
}

#[test]
fn verify_reads_objects_with_their_hash_checked() {
    let repo = TestRepo::standard();
    let id = repo.add_customer("Acme", "zhang.wei", &[]);
    let blob = repo.git(&["rev-parse", &format!("HEAD:{}", customer_path(&id))]).trim().to_string();
    // Swap the loose object's bytes for another valid object's: the name
    // no longer matches the content (a tampered object store).
    let other = repo.git(&["rev-parse", "HEAD:crm.toml"]).trim().to_string();
    let path = |oid: &str| repo.path(&format!(".git/objects/{}/{}", &oid[..2], &oid[2..]));
    assert!(path(&blob).exists() && path(&other).exists(), "both objects are loose");
    let bytes = std::fs::read(path(&other)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path(&blob), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::write(path(&blob), bytes).unwrap();
    let out = repo.crm(&["verify"]);
    assert_eq!(out.code, 3, "{out}");
    assert!(out.stderr.contains(&blob[..7]) || out.stderr.contains("hash"), "{out}");
}
