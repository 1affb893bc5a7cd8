//! `TestRepo`: a hermetic temporary store for running the built `crm`
//! binary, plus helpers to look at the result with plain git.
//!
//! Hermetic means: a fresh temp directory per test, the environment cleared,
//! `HOME` pointing inside the temp directory with its own `.gitconfig`
//! (libgit2 ignores `GIT_CONFIG_GLOBAL`, so the file must be `$HOME/.gitconfig`),
//! no system git config, a fixed "today" (`CRM_TODAY`) and fixed dates for
//! commits made with the git command line. Nothing mutable is shared between
//! tests.

#![allow(dead_code)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

/// The fixed "today" of every test.
pub const TODAY: &str = "2026-11-26";
/// Author and committer date of commits made with the git command line.
pub const GIT_DATE: &str = "2026-11-20T10:00:00+08:00";
/// The admin's email, which is also git's `user.email` in every test.
pub const ADMIN_EMAIL: &str = "liu@example.com";

/// What one process run printed and how it ended.
pub struct Output {
    /// Standard output, as UTF-8 (lossy).
    pub stdout: String,
    /// Standard error, as UTF-8 (lossy).
    pub stderr: String,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.code, self.stdout, self.stderr)
    }
}

impl Output {
    fn from_process(out: std::process::Output) -> Output {
        Output {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// Asserts success; returns `self` for chaining.
    #[track_caller]
    pub fn ok(self) -> Output {
        assert_eq!(self.code, 0, "expected success\n{self}");
        self
    }

    /// Stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{self}"))
    }
}

/// HEAD and `git status --porcelain` at one moment, to assert "nothing
/// written".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// `git rev-parse HEAD` (empty before the first commit).
    pub head: String,
    /// `git status --porcelain --untracked-files=all`.
    pub status: String,
}

/// A temporary directory with a private HOME and a store directory.
pub struct TestRepo {
    tmp: tempfile::TempDir,
    /// The store's work tree (`<tmp>/store`).
    pub dir: PathBuf,
}

impl Drop for TestRepo {
    fn drop(&mut self) {
        // A gpg-agent started for this test's GNUPGHOME would outlive it.
        let gnupg = self.gnupg_home();
        let used = std::fs::read_dir(&gnupg).map(|d| d.count() > 0).unwrap_or(false);
        if used && has_program("gpgconf") {
            let mut cmd = StdCommand::new("gpgconf");
            cmd.args(["--kill", "gpg-agent"]);
            self.apply_env(&mut cmd);
            let _ = cmd.output();
        }
    }
}

impl TestRepo {
    /// A temp directory with HOME set up and an empty `store/` directory
    /// (not a git repository yet).
    pub fn empty() -> TestRepo {
        let tmp = tempfile::Builder::new().prefix("crm-test-").tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        let home = root.join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            home.join(".gitconfig"),
            format!("[user]\n\tname = Liu Yang\n\temail = {ADMIN_EMAIL}\n[init]\n\tdefaultBranch = main\n"),
        )
        .unwrap();
        let gnupg = root.join("gnupg");
        std::fs::create_dir_all(&gnupg).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let dir = root.join("store");
        std::fs::create_dir_all(&dir).unwrap();
        TestRepo { tmp, dir }
    }

    /// A store made by `crm init` with the admin liu.yang (刘洋).
    pub fn init() -> TestRepo {
        let repo = TestRepo::empty();
        repo.crm(&init_args(&[])).ok();
        repo
    }

    /// The standard fixture: [`TestRepo::init`] plus zhang.wei (rep, 华中),
    /// li.na (manager, 华中) and wang.fang (rep, 华南).
    pub fn standard() -> TestRepo {
        let repo = TestRepo::init();
        for (handle, name, role, region) in [
            ("zhang.wei", "张伟", "rep", "华中"),
            ("li.na", "李娜", "manager", "华中"),
            ("wang.fang", "王芳", "rep", "华南"),
        ] {
            let email = format!("{handle}@example.com");
            repo.crm(&["staff", "add", handle, "--name", name, "--email", &email, "--role", role, "--region", region])
                .ok();
        }
        repo
    }

    /// The temp directory holding everything.
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// The private HOME.
    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    /// The private GNUPGHOME.
    pub fn gnupg_home(&self) -> PathBuf {
        self.root().join("gnupg")
    }

    /// The environment every process gets, after `env_clear`.
    pub fn env_vars(&self) -> Vec<(String, String)> {
        vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".into(), self.home().display().to_string()),
            ("GNUPGHOME".into(), self.gnupg_home().display().to_string()),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            ("GIT_AUTHOR_DATE".into(), GIT_DATE.into()),
            ("GIT_COMMITTER_DATE".into(), GIT_DATE.into()),
            ("TZ".into(), "UTC".into()),
            ("CRM_TODAY".into(), TODAY.into()),
        ]
    }

    fn apply_env(&self, cmd: &mut StdCommand) {
        cmd.env_clear();
        for (k, v) in self.env_vars() {
            cmd.env(k, v);
        }
    }

    /// A `crm` command with the test environment, run in the store dir.
    pub fn crm_cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::cargo_bin("crm").expect("crm binary");
        cmd.env_clear();
        for (k, v) in self.env_vars() {
            cmd.env(k, v);
        }
        cmd.current_dir(&self.dir);
        cmd
    }

    /// A `std::process::Command` for `crm` with the test environment, run in
    /// the store dir (for tests that need to drive the pipes themselves).
    pub fn crm_std(&self) -> StdCommand {
        let mut cmd = StdCommand::new(env!("CARGO_BIN_EXE_crm"));
        self.apply_env(&mut cmd);
        cmd.current_dir(&self.dir);
        cmd
    }

    /// Runs a prepared `crm` command and checks it did not panic.
    #[track_caller]
    pub fn run(&self, mut cmd: assert_cmd::Command) -> Output {
        let out = Output::from_process(cmd.output().expect("run crm"));
        assert!(!out.stderr.contains("panicked") && !out.stderr.contains("RUST_BACKTRACE"), "crm panicked\n{out}");
        if out.code != 0 {
            assert!(
                out.stderr.is_empty() || out.stderr.starts_with("error:"),
                "a failure must print `error: …` on stderr\n{out}"
            );
        }
        out
    }

    /// `crm ARGS` in the store dir, as git's `user.email` (liu.yang).
    #[track_caller]
    pub fn crm(&self, args: &[&str]) -> Output {
        let mut cmd = self.crm_cmd();
        cmd.args(args);
        self.run(cmd)
    }

    /// `crm ARGS` acting as `user` (`CRM_USER`).
    #[track_caller]
    pub fn crm_as(&self, user: &str, args: &[&str]) -> Output {
        let mut cmd = self.crm_cmd();
        let email = staff_email(user);
        cmd.env("CRM_USER", user).env("GIT_COMMITTER_EMAIL", &email).env("GIT_AUTHOR_EMAIL", &email).args(args);
        self.run(cmd)
    }

    /// `crm ARGS` started in `dir`.
    #[track_caller]
    pub fn crm_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = self.crm_cmd();
        cmd.current_dir(dir).args(args);
        self.run(cmd)
    }

    /// `git ARGS` in `dir`, whatever the outcome.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = StdCommand::new("git");
        self.apply_env(&mut cmd);
        cmd.current_dir(dir).args(args);
        Output::from_process(cmd.output().expect("run git"))
    }

    /// `git ARGS` in the store dir, whatever the outcome.
    pub fn git_out(&self, args: &[&str]) -> Output {
        self.git_in(&self.dir, args)
    }

    /// `git ARGS` in the store dir, which must succeed; its stdout.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_out(args);
        assert_eq!(out.code, 0, "git {args:?} failed\n{out}");
        out.stdout
    }

    /// `git ARGS` with author and committer date `date` (ISO 8601).
    #[track_caller]
    pub fn git_at(&self, date: &str, args: &[&str]) -> String {
        let mut cmd = StdCommand::new("git");
        self.apply_env(&mut cmd);
        cmd.env("GIT_AUTHOR_DATE", date).env("GIT_COMMITTER_DATE", date).current_dir(&self.dir).args(args);
        let out = Output::from_process(cmd.output().expect("run git"));
        assert_eq!(out.code, 0, "git {args:?} failed\n{out}");
        out.stdout
    }

    /// `git rev-parse HEAD` (empty when there is no commit).
    pub fn head(&self) -> String {
        self.git_out(&["rev-parse", "--verify", "-q", "HEAD"]).stdout.trim().to_string()
    }

    /// `git status --porcelain` (with every untracked file).
    pub fn status(&self) -> String {
        self.git(&["status", "--porcelain", "--untracked-files=all"])
    }

    /// The number of commits reachable from HEAD.
    pub fn commit_count(&self) -> usize {
        self.git(&["rev-list", "--count", "HEAD"]).trim().parse().unwrap()
    }

    /// HEAD and status now.
    pub fn state(&self) -> State {
        State { head: self.head(), status: self.status() }
    }

    /// Asserts that a command failed with `code`, printed an error naming
    /// every one of `needles`, and wrote nothing (HEAD and status as
    /// `before`).
    #[track_caller]
    pub fn assert_refused(&self, out: &Output, code: i32, needles: &[&str], before: &State) {
        assert_eq!(out.code, code, "wrong exit code\n{out}");
        assert!(out.stderr.starts_with("error:"), "no `error:` line\n{out}");
        for needle in needles {
            assert!(out.stderr.contains(needle), "the error should name {needle:?}\n{out}");
        }
        assert_eq!(&self.state(), before, "something was written\n{out}");
    }

    /// A path in the store.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// A file of the work tree, as text.
    #[track_caller]
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// A file of the work tree, parsed as TOML.
    #[track_caller]
    pub fn read_toml(&self, rel: &str) -> toml::Table {
        self.read(rel).parse().unwrap_or_else(|e| panic!("{rel} is not TOML: {e}"))
    }

    /// Writes a work tree file, creating its directories.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// `git add -A && git commit -m MESSAGE` with the fixed git date.
    #[track_caller]
    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// Writes `customers/<xx>/<id>.toml` by hand (not committed); returns
    /// its path.
    pub fn write_customer(&self, id: &str, toml: &str) -> String {
        let rel = customer_path(id);
        self.write(&rel, toml);
        rel
    }

    /// `crm add --name NAME --owner OWNER EXTRA…` (as the admin); returns the
    /// new customer's id.
    #[track_caller]
    pub fn add_customer(&self, name: &str, owner: &str, extra: &[&str]) -> String {
        let mut args = vec!["add", "--name", name, "--owner", owner, "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.crm(&args).ok();
        out.json()["customer"]["id"].as_str().unwrap_or_else(|| panic!("no customer.id in\n{out}")).to_string()
    }

    /// The paths a commit changed.
    pub fn changed_paths(&self, rev: &str) -> Vec<String> {
        self.git(&["diff-tree", "--no-commit-id", "--name-only", "-r", "--root", rev])
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The full message of a commit.
    pub fn message(&self, rev: &str) -> String {
        self.git(&["log", "-1", "--format=%B", rev])
    }

    /// Runs `ssh-keygen` to make an ed25519 key without passphrase at
    /// `<tmp>/NAME`; returns the public key line, or `None` when ssh-keygen
    /// is missing.
    pub fn ssh_key(&self, name: &str) -> Option<String> {
        self.ssh_key_at(&self.root().join(name))
    }

    /// Like [`TestRepo::ssh_key`], at `key` (its directory is created).
    pub fn ssh_key_at(&self, key: &Path) -> Option<String> {
        if !needs_program("ssh-keygen") {
            return None;
        }
        std::fs::create_dir_all(key.parent().unwrap()).unwrap();
        let comment = key.file_name().unwrap().to_string_lossy().into_owned();
        let mut cmd = StdCommand::new("ssh-keygen");
        self.apply_env(&mut cmd);
        cmd.args(["-t", "ed25519", "-N", "", "-q", "-C", &comment, "-f"]).arg(key);
        let out = Output::from_process(cmd.output().expect("run ssh-keygen"));
        assert_eq!(out.code, 0, "ssh-keygen failed\n{out}");
        let public = std::fs::read_to_string(format!("{}.pub", key.display())).unwrap();
        Some(public.trim().to_string())
    }

    /// Runs gpg (with the test's GNUPGHOME); `None` when gpg is missing.
    pub fn gpg(&self, args: &[&str]) -> Option<Output> {
        if !needs_program("gpg") {
            return None;
        }
        let mut cmd = StdCommand::new("gpg");
        self.apply_env(&mut cmd);
        cmd.args(args);
        Some(Output::from_process(cmd.output().expect("run gpg")))
    }

    /// Makes an ed25519 OpenPGP signing key without passphrase for `uid`
    /// (`Name <email>`) in the test's GNUPGHOME; returns its fingerprint, or
    /// `None` when gpg is missing.
    pub fn gpg_key(&self, uid: &str) -> Option<String> {
        let out = self.gpg(&["--batch", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never"])?;
        assert_eq!(out.code, 0, "gpg key generation failed\n{out}");
        let listing = self.gpg(&["--batch", "--with-colons", "--list-secret-keys", uid])?;
        let fingerprint = listing
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|rest| rest.split(':').find(|f| f.len() == 40))
            .unwrap_or_else(|| panic!("no fingerprint in\n{listing}"));
        Some(fingerprint.to_string())
    }
}

/// `crm init` of the standard store (admin liu.yang, 刘洋), then `extra`.
pub fn init_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "init",
        "-q",
        "--company",
        "Example Coach Co.",
        "--admin",
        "liu.yang",
        "--name",
        "刘洋",
        "--email",
        ADMIN_EMAIL,
    ];
    args.extend_from_slice(extra);
    args
}

/// The email the test fixtures give `handle` in `staff/`: the admin's is
/// git's `user.email` ([`ADMIN_EMAIL`]), everyone else's `HANDLE@example.com`.
pub fn staff_email(handle: &str) -> String {
    if handle == "liu.yang" {
        ADMIN_EMAIL.to_string()
    } else {
        format!("{handle}@example.com")
    }
}

/// Whether `program` can be run (found on PATH).
pub fn has_program(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Whether `program`, which a test needs, is on PATH. A test skips
/// without it on a developer's machine; under `CI=true` (set by `.ci/run`
/// and by CI services) a missing tool fails the run instead, so no test is
/// skipped silently where everything should run.
#[track_caller]
pub fn needs_program(program: &str) -> bool {
    let found = has_program(program);
    if !found && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{program} is needed by this test and CI=true: install it (.ci/run does)");
    }
    found
}

/// The shard of `id`, computed the way the SPEC documents it, with the
/// coreutils tool: `printf %s ID | sha256sum | cut -c1-2`.
pub fn shard(id: &str) -> String {
    let out = StdCommand::new("sh")
        .args(["-c", "printf %s \"$1\" | sha256sum | cut -c1-2", "sh", id])
        .output()
        .expect("run sha256sum");
    assert!(out.status.success(), "sha256sum failed");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The shard of `id`, in-process (for tests that write hundreds of files;
/// [`shard`] is the independent check).
pub fn fast_shard(id: &str) -> String {
    use sha2::Digest;
    format!("{:02x}", sha2::Sha256::digest(id.as_bytes())[0])
}

/// `customers/<xx>/<id>.toml`, with the shard from `sha256sum`.
pub fn customer_path(id: &str) -> String {
    format!("customers/{}/{id}.toml", shard(id))
}

/// Display width in terminal columns: CJK ideographs, CJK punctuation and
/// full-width forms take two columns; everything else (ASCII, box drawing)
/// one.
pub fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFF01..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// The trailers of a commit message, as `(key, value)` pairs.
pub fn trailers(message: &str) -> Vec<(String, String)> {
    let last_paragraph = message.trim_end().rsplit("\n\n").next().unwrap_or_default();
    last_paragraph.lines().filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The value of trailer `key` in `message`.
pub fn trailer(message: &str, key: &str) -> Option<String> {
    trailers(message).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A TOML date value as `YYYY-MM-DD`.
#[track_caller]
pub fn toml_date(v: &toml::Value) -> String {
    v.as_datetime().unwrap_or_else(|| panic!("not a date: {v}")).to_string()
}

impl TestRepo {
    /// `crm ARGS` with "today" set to `today` (`CRM_TODAY`), acting as
    /// `user` (`CRM_USER`) when given.
    #[track_caller]
    pub fn crm_today(&self, today: &str, user: Option<&str>, args: &[&str]) -> Output {
        let mut cmd = self.crm_cmd();
        cmd.env("CRM_TODAY", today);
        if let Some(user) = user {
            let email = staff_email(user);
            cmd.env("CRM_USER", user).env("GIT_COMMITTER_EMAIL", &email).env("GIT_AUTHOR_EMAIL", &email);
        }
        cmd.args(args);
        self.run(cmd)
    }

    /// The committer date of HEAD as `YYYY-MM-DD` in the committer's time
    /// zone (`crm` takes its commit times from `GIT_COMMITTER_DATE`, as git does).
    pub fn head_commit_date(&self) -> String {
        self.git(&["log", "-1", "--format=%cs", "HEAD"]).trim().to_string()
    }

    /// Like [`TestRepo::crm_today`], for commands whose exit code 1 means
    /// "found problems" (`report --fail-on`): a non-zero exit need not print
    /// `error: …`; still checks that `crm` did not panic.
    #[track_caller]
    pub fn crm_findings(&self, today: &str, args: &[&str]) -> Output {
        let mut cmd = self.crm_std();
        cmd.env("CRM_TODAY", today).args(args);
        let out = cmd.output().expect("run crm");
        let out = Output {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        };
        assert!(!out.stderr.contains("panicked") && !out.stderr.contains("RUST_BACKTRACE"), "crm panicked\n{out}");
        out
    }
}

impl TestRepo {
    /// `crm ARGS` in a store where files cannot be read: asserts the
    /// command exited 1 and named each on stderr, one `warning: PATH:LINE:COL:
    /// reason` line each, starting (after `warning: `) with one of
    /// `unreadable` each, then the hint; returns the output, for what it
    /// showed.
    #[track_caller]
    pub fn crm_left_out(&self, args: &[&str], unreadable: &[&str]) -> Output {
        let out = self.crm_findings(TODAY, args);
        assert_eq!(out.code, 1, "{args:?} exits 1 when files are left out\n{out}");
        let warnings: Vec<&str> = out.stderr.lines().filter_map(|l| l.strip_prefix("warning: ")).collect();
        assert_eq!(warnings.len(), unreadable.len(), "{args:?}: one warning per file\n{out}");
        for place in unreadable {
            assert!(warnings.iter().any(|w| w.starts_with(place)), "{args:?} names {place}\n{out}");
        }
        let hint = format!("hint: {} file(s) could not be read and were left out", unreadable.len());
        assert!(out.stderr.contains(&hint), "{args:?}\n{out}");
        out
    }
}

// Multi-writer helpers (sync, status, doctor, the write lock): a bare
// repository as the shared remote, clones of it, and `crm` processes that
// run at the same time.

impl Output {
    /// The output of a finished process.
    pub fn of(out: std::process::Output) -> Output {
        Output::from_process(out)
    }
}

impl TestRepo {
    /// Makes a bare repository `<tmp>/NAME` holding the store's `main`, and
    /// sets it as the store's `origin` (upstream of `main`); returns its path.
    #[track_caller]
    pub fn share(&self, name: &str) -> PathBuf {
        let bare = self.root().join(name);
        let out = self.git_in(self.root(), &["init", "-q", "--bare", name]);
        assert_eq!(out.code, 0, "git init --bare failed\n{out}");
        self.git(&["remote", "add", "origin", &bare.display().to_string()]);
        self.git(&["push", "-q", "-u", "origin", "main"]);
        bare
    }

    /// Clones `url` into `<tmp>/NAME` with git identity `person <email>`;
    /// returns the clone's work tree.
    #[track_caller]
    pub fn clone_as(&self, url: &str, name: &str, person: &str, email: &str) -> PathBuf {
        let out = self.git_in(self.root(), &["clone", "-q", url, name]);
        assert_eq!(out.code, 0, "git clone {url} failed\n{out}");
        let dir = self.root().join(name);
        for (key, value) in [("user.name", person), ("user.email", email)] {
            let out = self.git_in(&dir, &["config", key, value]);
            assert_eq!(out.code, 0, "git config failed\n{out}");
        }
        dir
    }

    /// `git ARGS` in `dir`, which must succeed; its stdout.
    #[track_caller]
    pub fn git_ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.git_in(dir, args);
        assert_eq!(out.code, 0, "git {args:?} in {} failed\n{out}", dir.display());
        out.stdout
    }

    /// `crm ARGS` started in `dir` with extra environment variables.
    #[track_caller]
    pub fn crm_env_in(&self, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
        let mut cmd = self.crm_cmd();
        cmd.current_dir(dir).envs(env.iter().copied()).args(args);
        self.run(cmd)
    }

    /// Starts `crm ARGS` in `dir` with extra environment variables (stdin
    /// closed, stdout and stderr piped) without waiting for it.
    pub fn spawn_crm_in(&self, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Child {
        let mut cmd = self.crm_std();
        cmd.current_dir(dir)
            .envs(env.iter().copied())
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().expect("start crm")
    }
}

/// Waits for a process from [`TestRepo::spawn_crm_in`]; checks that it did
/// not panic and that a failure printed `error: …`.
#[track_caller]
pub fn finish(child: std::process::Child) -> Output {
    let out = Output::of(child.wait_with_output().expect("wait for crm"));
    assert!(!out.stderr.contains("panicked") && !out.stderr.contains("RUST_BACKTRACE"), "crm panicked\n{out}");
    if out.code > 1 {
        assert!(out.stderr.starts_with("error:"), "a failure must print `error: …` on stderr\n{out}");
    }
    out
}
