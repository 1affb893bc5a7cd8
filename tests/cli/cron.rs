//! The cron examples run as cron runs them, with a fake `sendmail` on the
//! PATH that keeps each message it is given: the weekly handover report
//! verifies what the pull brought and puts a violation at the top of the
//! managers' mail, mails only when action is needed, and fails loudly when
//! crm fails; the daily digest mails each person their own list.

use std::path::{Path, PathBuf};

use crate::common::{Output, TestRepo};
use crate::report_lang::store;
use crate::report_mail::parse_mail;

const WEEKLY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/cron/weekly-handover-report.sh");
const DIGEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/cron/daily-digest.sh");

/// A store (see [`store`]) published to a bare `server.git`, and the
/// clone the cron job keeps (`<root>/cron`), with a fake sendmail.
struct Setup {
    repo: TestRepo,
    clone: PathBuf,
    /// Where the fake sendmail leaves messages (`mail-N.eml`) and its
    /// arguments (`args-N`).
    outbox: PathBuf,
    bin: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let repo = store();
        let root = repo.root().to_path_buf();
        repo.git_ok(&root, &["clone", "-q", "--bare", repo.dir.to_str().unwrap(), "server.git"]);
        repo.git(&["remote", "add", "origin", root.join("server.git").to_str().unwrap()]);
        repo.git_ok(&root, &["clone", "-q", "server.git", "cron"]);
        let (outbox, bin) = (root.join("outbox"), root.join("bin"));
        std::fs::create_dir_all(&outbox).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        let fake = format!(
            "#!/bin/sh\nn=$(ls {0} | grep -c '^mail-')\necho \"$@\" > {0}/args-$n\ncat > {0}/mail-$n.eml\n",
            outbox.display()
        );
        std::fs::write(bin.join("sendmail"), fake).unwrap();
        make_executable(&bin.join("sendmail"));
        Setup { clone: root.join("cron"), repo, outbox, bin }
    }

    /// Runs a cron script on the clone, with the fake sendmail first on PATH.
    fn run(&self, script: &str, env: &[(&str, &str)]) -> Output {
        let mut cmd = std::process::Command::new("bash");
        cmd.env_clear();
        for (k, v) in self.repo.env_vars() {
            cmd.env(k, v);
        }
        let path = format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap_or_default());
        cmd.env("PATH", path).env("CRM", env!("CARGO_BIN_EXE_crm")).envs(env.iter().copied());
        Output::of(cmd.arg(script).arg(&self.clone).output().expect("run bash"))
    }

    /// The messages sendmail was given so far, with the arguments of each.
    fn sent(&self) -> Vec<(String, String)> {
        let count = std::fs::read_dir(&self.outbox).unwrap().count() / 2;
        let read = |name: String| std::fs::read_to_string(self.outbox.join(name)).unwrap();
        (0..count).map(|n| (read(format!("args-{n}")).trim().to_string(), read(format!("mail-{n}.eml")))).collect()
    }

    /// Pushes the store's commits to the server.
    fn push(&self) {
        self.repo.git(&["push", "-q", "origin", "main"]);
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_cron_examples_are_executable_bash_scripts() {
    use std::os::unix::fs::PermissionsExt;
    for script in [WEEKLY, DIGEST] {
        let mode = std::fs::metadata(script).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{script}: {mode:o}");
        let out = std::process::Command::new("bash").arg("-n").arg(script).output().unwrap();
        assert!(out.status.success(), "bash -n {script}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn the_weekly_report_is_mailed_when_action_is_needed_and_verified_history_carries_no_warning() {
    let s = Setup::new();
    // An honest change the pull brings: the owner logs a call.
    s.repo.crm_as("zhang.wei", &["touch", "acme", "--kind", "call", "--summary", "Quote follow-up"]).ok();
    s.push();
    let out = s.run(WEEKLY, &[]);
    assert_eq!(out.code, 0, "{out}");
    let sent = s.sent();
    assert_eq!(sent.len(), 1, "a departed rep still owns a customer: pending\n{out}");
    assert_eq!(sent[0].0, "-t");
    let Some(m) = parse_mail(&s.repo, &sent[0].1) else { return };
    let subject = m["subject"].as_str().unwrap();
    assert!(subject.starts_with("[crm] Handover report — Example Coach Co."), "{subject}");
    assert_eq!(m["to"], serde_json::json!(["liu@example.com"]), "the active admin; the manager has left");
    assert!(!m["parts"][1]["content"].as_str().unwrap().contains("Read this first"), "{m}");

    // Nothing in the named sections and nothing new: no mail.
    let out = s.run(WEEKLY, &[("FAIL_ON", "sabotage")]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(s.sent().len(), 1, "no second mail\n{out}");
}

#[test]
fn a_violation_in_what_the_pull_brought_goes_at_the_top_of_the_managers_mail() {
    let s = Setup::new();
    // A rep takes a colleague's customer with plain git: verify refuses it.
    let path = crate::common::customer_path("yutong");
    let text = s.repo.read(&path).replace("owner = \"wang.fang\"", "owner = \"zhang.wei\"");
    s.repo.write(&path, text);
    s.repo.git(&["add", "-A"]);
    s.repo.git(&["-c", "user.email=zhang.wei@example.com", "commit", "-q", "-m", "mine now"]);
    s.push();
    // Even when no section needs action, the warning is mailed.
    let out = s.run(WEEKLY, &[("FAIL_ON", "sabotage")]);
    assert_eq!(out.code, 0, "{out}");
    let sent = s.sent();
    assert_eq!(sent.len(), 1, "{out}");
    let Some(m) = parse_mail(&s.repo, &sent[0].1) else { return };
    let subject = m["subject"].as_str().unwrap();
    assert!(subject.starts_with("[crm] WARNING, read first: Handover report"), "{subject}");
    for part in [&m["parts"][0]["content"], &m["parts"][1]["content"]] {
        let body = part.as_str().unwrap();
        let warning = body.find("Read this first").unwrap_or_else(|| panic!("{body}"));
        let violation = body.find("reassign-unauthorized").unwrap_or_else(|| panic!("{body}"));
        let first_section = body.find("1. Pending handovers").unwrap();
        assert!(warning < violation && violation < first_section, "{body}");
        assert!(body.contains("may have been tampered with"), "{body}");
    }
}

#[test]
fn a_failing_report_is_an_error_for_cron_and_sends_nothing() {
    let s = Setup::new();
    s.repo.write("crm.toml", "not toml at all = = =\n");
    s.repo.commit_all("broken settings");
    s.push();
    let out = s.run(WEEKLY, &[]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("error: crm report handover exited 2"), "{out}");
    assert!(s.sent().is_empty(), "{out}");
}

#[test]
fn the_daily_digest_mails_each_person_their_own_list() {
    let s = Setup::new();
    s.repo.crm(&["edit", "acme", "--set", "next_step=Visit", "--set", "next_date=2026-11-28"]).ok();
    s.push();
    let out = s.run(DIGEST, &[]);
    assert_eq!(out.code, 0, "{out}");
    let sent = s.sent();
    assert_eq!(sent.len(), 1, "only zhang.wei has something on his list\n{out}");
    assert_eq!(sent[0].0, "-t");
    let Some(m) = parse_mail(&s.repo, &sent[0].1) else { return };
    assert_eq!(m["to"], serde_json::json!(["zhang.wei@example.com"]));
    assert!(m["parts"][1]["content"].as_str().unwrap().contains("due in 2 days"), "{m}");
}
