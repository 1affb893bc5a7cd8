//! What users see, pinned: the stdout, stderr and exit code of every
//! command in the demo store, and every `--help`, as reviewed snapshots in
//! `tests/cli/snapshots/`. A change of output is a diff to review.
//!
//! Runs are deterministic (`CRM_TODAY`, `GIT_AUTHOR_DATE`,
//! `GIT_COMMITTER_DATE`, `TZ`); what still differs between runs is
//! redacted at its own width, so tables keep their shape: commit ids and
//! SSH key material (the demo makes new keys each time) become `#`, the
//! temporary directory becomes `[TMP]` and crm's own directory `[BIN]`.
//!
//! To accept a change: `INSTA_UPDATE=always cargo test --test cli snapshots`,
//! then review `git diff tests/cli/snapshots/`.

use clap::CommandFactory;

use crate::common::*;

/// A demo store built for one test (`<root>/crm-demo`).
struct Demo {
    repo: TestRepo,
    dir: std::path::PathBuf,
}

impl Demo {
    /// Builds the demo store, or `None` (after saying so) without
    /// ssh-keygen outside CI.
    fn build() -> Option<Demo> {
        if !needs_program("ssh-keygen") {
            eprintln!("skipped: no ssh-keygen");
            return None;
        }
        let repo = TestRepo::empty();
        let out = repo.crm_in(repo.root(), &["demo"]).ok();
        let dir = repo.root().join("crm-demo");
        let demo = Demo { repo, dir };
        demo.snapshot("demo", "demo", &out);
        Some(demo)
    }

    /// Runs `crm ARGS` in the demo store as its admin, or as `user` (with
    /// their email and signing key, as on their own machine).
    fn crm(&self, user: Option<&str>, args: &[&str]) -> Output {
        self.act_as(user.unwrap_or("liu.yang"));
        let mut cmd = self.repo.crm_cmd();
        cmd.current_dir(&self.dir).args(args);
        let out = Output::of(cmd.output().expect("run crm"));
        self.act_as("liu.yang");
        assert!(!out.stderr.contains("panicked"), "crm panicked\n{out}");
        out
    }

    /// Points git's identity and signing key at `handle`'s (the demo's keys).
    fn act_as(&self, handle: &str) {
        let key = self.dir.join(".git/crm-demo-keys").join(format!("{handle}.pub"));
        self.repo.git_ok(&self.dir, &["config", "user.email", &format!("{handle}@example.com")]);
        self.repo.git_ok(&self.dir, &["config", "user.signingkey", &key.display().to_string()]);
    }

    /// Runs `crm ARGS` and snapshots what it printed under `name`.
    fn check(&self, name: &str, user: Option<&str>, args: &[&str]) {
        let out = self.crm(user, args);
        let shown = match user {
            Some(user) => format!("crm {}    # as {user}", args.join(" ")),
            None => format!("crm {}", args.join(" ")),
        };
        self.snapshot(name, &shown, &out);
    }

    fn snapshot(&self, name: &str, command: &str, out: &Output) {
        let text = redact(&out.to_string(), &self.repo, &self.dir);
        insta::with_settings!({ description => command, omit_expression => true }, {
            insta::assert_snapshot!(name, text);
        });
    }
}

/// `text` with the run's own values blanked: the commits of `repo` (whole
/// or abbreviated) and SSH key material become `#` of the same width, the
/// temporary directory `[TMP]`.
fn redact(text: &str, repo: &TestRepo, dir: &std::path::Path) -> String {
    let commits: Vec<String> =
        repo.git_in(dir, &["rev-list", "--all", "--reflog"]).stdout.lines().map(str::to_string).collect();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_crm")).parent().unwrap().display().to_string();
    let text = text.replace(&repo.root().display().to_string(), "[TMP]").replace(&bin, "[BIN]");
    let is_word = |c: char| c.is_ascii_alphanumeric() || "+/=".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find(is_word) {
        out.push_str(&rest[..start]);
        let end = rest[start..].find(|c: char| !is_word(c)).map_or(rest.len(), |e| start + e);
        let word = &rest[start..end];
        let commit = word.len() >= 7 && commits.iter().any(|c| c.starts_with(word));
        let key = word.len() > 40 && (word.starts_with("AAAA") || out.ends_with("SHA256:"));
        if commit || key {
            out.push_str(&"#".repeat(word.len()));
        } else {
            out.push_str(word);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn reading_commands_in_the_demo_store() {
    let Some(demo) = Demo::build() else { return };
    let yutong = "zhengzhou-yutong-keyun-jituan";
    let runs: &[(&str, &[&str])] = &[
        ("list", &["list"]),
        ("list-region-md", &["list", "--region", "华北", "--format", "md"]),
        ("list-stale", &["list", "--stale"]),
        ("list-due-csv", &["list", "--due", "2w", "--format", "csv"]),
        ("list-orphaned-json", &["list", "--orphaned", "--format", "json"]),
        ("agenda-nothing", &["agenda"]),
        ("agenda-for", &["agenda", "--for", "chen.jie"]),
        ("agenda-for-json", &["agenda", "--for", "zhao.lei", "--format", "json"]),
        ("agenda-unknown", &["agenda", "--for", "nobody"]),
        ("find", &["find", "zzyt"]),
        ("find-phone-json", &["find", "+86 371 5555 0101", "--format", "json"]),
        ("find-nothing", &["find", "qqqzzz"]),
        ("show", &["show", yutong]),
        ("show-json", &["show", yutong, "--format", "json"]),
        ("log-since", &["log", "--since", "1m"]),
        ("log-customer-json", &["log", yutong, "--format", "json"]),
        ("log-owner-md", &["log", "--owner", "zhao.lei", "--format", "md"]),
        ("staff-list-all", &["staff", "list", "--all"]),
        ("staff-show", &["staff", "show", "zhao.lei"]),
        ("report-handover", &["report", "handover"]),
        ("report-handover-md", &["report", "handover", "--format", "md"]),
        ("report-handover-json", &["report", "handover", "--format", "json"]),
        ("report-handover-html", &["report", "handover", "--format", "html"]),
        ("report-handover-fail-on", &["report", "handover", "--format", "json", "--fail-on", "overdue,no-backup"]),
        ("report-fail-on-unknown", &["report", "handover", "--fail-on", "overdue,bogus"]),
        ("report-portfolio", &["report", "portfolio"]),
        ("report-handover-zh-md", &["report", "handover", "--lang", "zh-CN", "--format", "md"]),
        ("report-handover-zh", &["report", "handover", "--lang", "zh-CN"]),
        ("report-portfolio-zh", &["report", "portfolio", "--lang", "zh-CN"]),
        ("report-digest-for", &["report", "digest", "--for", "chen.jie"]),
        ("report-digest-for-zh-md", &["report", "digest", "--for", "chen.jie", "--format", "md", "--lang", "zh-CN"]),
        ("report-digest-each-json", &["report", "digest", "--each", "--format", "json"]),
        ("check", &["check"]),
        ("check-json", &["check", "--format", "json"]),
        ("verify", &["verify"]),
        ("verify-json", &["verify", "--format", "json"]),
        ("status-without-remote", &["status"]),
        ("doctor", &["doctor"]),
        ("whoami", &["whoami"]),
        ("export-csv", &["export", "--region", "华中"]),
        ("export-json", &["export", "--owner", "anna.berg", "--format", "json"]),
        (
            "reassign-dry-run",
            &["reassign", "--from", "zhao.lei", "--to", "chen.jie", "--reason", "finish", "--dry-run"],
        ),
        ("leave-dry-run", &["staff", "leave", "wang.fang", "--spread", "--dry-run"]),
        ("show-unknown", &["show", "no-such-customer"]),
        ("list-bad-status", &["list", "--status", "sleeping"]),
        ("log-bad-since", &["log", "--since", "yesterday"]),
    ];
    for (name, args) in runs {
        demo.check(name, None, args);
    }
}

/// A fixed public key for the new hire (the demo store is sealed: everyone
/// needs an ssh-ed25519 key).
const ZHOU_MIN_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAN+N6HXP5QhmWto8sOgf+a1vHBbfZd12dO39eaLdcFl zhou.min";

#[test]
fn reading_commands_with_files_that_cannot_be_read() {
    let Some(demo) = Demo::build() else { return };
    // Two hand edits gone wrong, committed with plain git.
    let broken = [
        (customer_path("wuhan-gongjiao-jituan"), "name = \"武汉公交集团\"\nowner = \"zhang.wei\"\ntier = key\n"),
        (customer_path("keolis-lyon"), "name = \"Keolis Lyon\"\nowner = [\"anna.berg\"]\n"),
    ];
    for (path, text) in &broken {
        std::fs::write(demo.dir.join(path), text).unwrap();
        demo.repo.git_ok(&demo.dir, &["add", path]);
    }
    demo.repo.git_ok(&demo.dir, &["commit", "-q", "-m", "Hand edits"]);
    let runs: &[(&str, &[&str])] = &[
        ("unreadable-list", &["list", "--region", "华中"]),
        ("unreadable-find", &["find", "wuhan"]),
        ("unreadable-agenda-json", &["agenda", "--for", "zhang.wei", "--format", "json"]),
        ("unreadable-report-md", &["report", "handover", "--format", "md", "--fail-on", "unreadable,sabotage"]),
        ("unreadable-show", &["show", "wuhan-gongjiao-jituan"]),
    ];
    for (name, args) in runs {
        demo.check(name, None, args);
    }
}

#[test]
fn writing_commands_in_the_demo_store() {
    let Some(demo) = Demo::build() else { return };
    let csv = demo.repo.root().join("new.csv");
    std::fs::write(&csv, "客户名称,负责人,地区,联系人,电话\n洛阳公交集团,zhang.wei,华中,孙强,+86 379 6000 1234\n")
        .unwrap();
    let csv = csv.display().to_string();
    let runs: &[(&str, Option<&str>, &[&str])] = &[
        (
            "add",
            None,
            &["add", "--name", "许昌公交集团", "--owner", "zhang.wei", "--region", "华中", "--value", "2400000"],
        ),
        ("add-duplicate", None, &["add", "--name", "许昌公交集团有限公司", "--owner", "li.na"]),
        ("add-no-owner", None, &["add", "--name", "Acme"]),
        (
            "touch",
            Some("zhang.wei"),
            &[
                "touch",
                "xuchang-gongjiao-jituan",
                "--kind",
                "visit",
                "--summary",
                "Depot tour",
                "--next-date",
                "2026-12-10",
            ],
        ),
        (
            "touch-not-owner",
            Some("wang.fang"),
            &["touch", "xuchang-gongjiao-jituan", "--kind", "call", "--summary", "Called the depot"],
        ),
        (
            "touch-bad-kind",
            Some("zhang.wei"),
            &["touch", "xuchang-gongjiao-jituan", "--kind", "lunch", "--summary", "x"],
        ),
        ("edit", None, &["edit", "xuchang-gongjiao-jituan", "--set", "tier=key", "--set", "backup=li.na"]),
        ("edit-unknown-field", None, &["edit", "xuchang-gongjiao-jituan", "--set", "colour=red"]),
        ("reassign", None, &["reassign", "xuchang-gongjiao-jituan", "--to", "li.na", "--reason", "key account"]),
        ("reassign-to-departed", None, &["reassign", "xuchang-gongjiao-jituan", "--to", "zhao.lei", "--reason", "x"]),
        (
            "reassign-from",
            None,
            &["reassign", "--from", "zhao.lei", "--to", "chen.jie", "--reason", "finish the 华北 handover"],
        ),
        (
            "staff-add",
            None,
            &[
                "staff",
                "add",
                "zhou.min",
                "--name",
                "周敏",
                "--email",
                "zhou.min@example.com",
                "--role",
                "rep",
                "--region",
                "华中",
                "--key",
                ZHOU_MIN_KEY,
            ],
        ),
        (
            "staff-add-no-key",
            None,
            &["staff", "add", "wu.qiang", "--name", "吴强", "--email", "wu.qiang@example.com", "--role", "rep"],
        ),
        ("staff-leave", None, &["staff", "leave", "zhou.min", "--to", "zhang.wei", "--reason", "moved on"]),
        ("staff-rehire", None, &["staff", "rehire", "zhou.min"]),
        ("import-dry-run", None, &["import", "csv", &csv, "--dry-run"]),
        ("import", None, &["import", "csv", &csv]),
        ("import-again", None, &["import", "csv", &csv]),
        ("log-after-writes", None, &["log", "--since", "1w"]),
        ("sync-without-remote", None, &["sync"]),
        ("verify-after-writes", None, &["verify"]),
    ];
    for (name, user, args) in runs {
        demo.check(name, *user, args);
    }
}

#[test]
fn init_in_a_new_directory() {
    let repo = TestRepo::empty();
    let init: Vec<&str> = init_args(&[]).into_iter().filter(|a| *a != "-q").collect();
    let runs: &[(&str, &[&str])] = &[
        ("init", &init),
        ("init-again", &init),
        (
            "staff-add-first-rep",
            &["staff", "add", "zhang.wei", "--name", "张伟", "--email", "zhang.wei@example.com", "--role", "rep"],
        ),
        ("staff-list", &["staff", "list"]),
        ("list-empty", &["list"]),
        ("completions-bash", &["completions", "bash"]),
        ("completions-unknown-shell", &["completions", "cmd.exe"]),
        ("man", &["man"]),
    ];
    for (name, args) in runs {
        let out = repo.crm(args);
        let text = redact(&out.to_string(), &repo, &repo.dir);
        insta::with_settings!({ description => format!("crm {}", args.join(" ")), omit_expression => true }, {
            insta::assert_snapshot!(*name, text);
        });
    }
}

#[test]
fn every_help_page() {
    let repo = TestRepo::empty();
    let mut paths = Vec::new();
    collect(&crm::cli::Cli::command(), &mut Vec::new(), &mut paths);
    assert!(paths.len() > 20, "{paths:?}");
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = repo.crm_in(repo.root(), &args).ok();
        let name = if path.is_empty() { "help".to_string() } else { format!("help-{}", path.join("-")) };
        insta::with_settings!({ description => format!("crm {}", args.join(" ")), omit_expression => true }, {
            insta::assert_snapshot!(name, out.stdout);
        });
    }
}

/// Every command path (`[]`, `["staff"]`, `["staff", "add"]` …) but `help`.
fn collect(cmd: &clap::Command, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        prefix.push(sub.get_name().to_string());
        collect(sub, prefix, out);
        prefix.pop();
    }
}
