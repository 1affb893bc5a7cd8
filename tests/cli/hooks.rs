//! `examples/hooks/pre-receive` on a real bare repository: honest signed
//! pushes are accepted, a push with a commit that breaks a rule is rejected
//! (the remote ref stays where it was, the pusher sees the rule id), ref
//! deletions pass.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use crate::common::{Output, TestRepo};
use crate::verify::Signed;

pub(crate) const HOOK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/hooks/pre-receive");

/// A bare repository `server.git` next to the store, with `hook` installed
/// as its pre-receive hook, and the store's `origin` pointing at it.
pub(crate) fn server(repo: &TestRepo, hook: &[u8]) -> PathBuf {
    let bare = repo.root().join("server.git");
    let out = repo.git_in(repo.root(), &["init", "-q", "--bare", "server.git"]);
    assert_eq!(out.code, 0, "{out}");
    let installed = bare.join("hooks/pre-receive");
    std::fs::write(&installed, hook).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&installed, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    repo.git(&["remote", "add", "origin", &bare.display().to_string()]);
    bare
}

/// `git push ARGS` from the store, with `CRM` set to the built binary (the
/// hook inherits the environment).
pub(crate) fn push(repo: &TestRepo, args: &[&str]) -> Output {
    let mut cmd = StdCommand::new("git");
    cmd.env_clear();
    for (k, v) in repo.env_vars() {
        cmd.env(k, v);
    }
    cmd.env("CRM", env!("CARGO_BIN_EXE_crm")).current_dir(&repo.dir).arg("push").args(args);
    let out = cmd.output().expect("run git push");
    Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Where `refname` points in the bare repository (empty when absent).
pub(crate) fn remote_ref(repo: &TestRepo, bare: &Path, refname: &str) -> String {
    repo.git_in(bare, &["rev-parse", "--verify", "-q", refname]).stdout.trim().to_string()
}

#[cfg(unix)]
#[test]
fn the_example_hook_is_an_executable_bash_script() {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(HOOK).expect("examples/hooks/pre-receive").permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "executable by everyone: {mode:o}");
    let text = std::fs::read_to_string(HOOK).unwrap();
    assert!(text.starts_with("#!/usr/bin/env bash\n"), "{text}");
    let out = StdCommand::new("bash").arg("-n").arg(HOOK).output().unwrap();
    assert!(out.status.success(), "bash -n: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_pre_receive_hook_accepts_honest_pushes_and_rejects_violations() {
    let Some(s) = Signed::new() else { return };
    let repo = &s.repo;
    let bare = server(repo, &std::fs::read(HOOK).expect("examples/hooks/pre-receive"));

    // A new branch on the server: its whole history is verified.
    let out = push(repo, &["-q", "origin", "main"]);
    assert_eq!(out.code, 0, "an honest history is accepted\n{out}");
    assert_eq!(remote_ref(repo, &bare, "refs/heads/main"), s.base);

    // An honest update, made with crm.
    s.act_as("zhang.wei");
    repo.crm(&["touch", "-q", "yutong", "--kind", "call", "--summary", "Quote follow-up"]).ok();
    let honest = repo.head();
    let out = push(repo, &["-q", "origin", "main"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(remote_ref(repo, &bare, "refs/heads/main"), honest);

    // A rep taking another rep's customer with plain git, validly signed.
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    let bad = s.commit("take kinglong");
    let out = push(repo, &["origin", "main"]);
    assert_ne!(out.code, 0, "the push must be rejected\n{out}");
    assert!(out.stderr.contains("reassign-unauthorized"), "the pusher sees the rule\n{out}");
    assert!(out.stderr.contains("pre-receive hook declined"), "{out}");
    assert_eq!(remote_ref(repo, &bare, "refs/heads/main"), honest, "the remote ref is unchanged");
    let out = repo.git_in(&bare, &["cat-file", "-e", &bad]);
    assert_ne!(out.code, 0, "the rejected commit is not in the server's object store");

    // An unsigned commit on top of it: both are reported.
    s.append_touch("yutong", "zhang.wei", "Unsigned");
    s.commit_unsigned("touch yutong");
    let out = push(repo, &["origin", "main"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("unsigned") && out.stderr.contains("reassign-unauthorized"), "{out}");
    assert_eq!(remote_ref(repo, &bare, "refs/heads/main"), honest);

    // A new branch carrying the bad commit is rejected too (whole history).
    let out = push(repo, &["origin", &format!("{bad}:refs/heads/feature")]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("reassign-unauthorized"), "{out}");
    assert_eq!(remote_ref(repo, &bare, "refs/heads/feature"), "");

    // Back to honest work: accepted; a branch can be created and deleted.
    repo.git(&["reset", "-q", "--hard", &honest]);
    s.act_as("li.na");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    let moved = s.commit("reassign kinglong: wang.fang -> zhang.wei");
    let out = push(repo, &["-q", "origin", "main", &format!("{moved}:refs/heads/feature")]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(remote_ref(repo, &bare, "refs/heads/main"), moved);
    assert_eq!(remote_ref(repo, &bare, "refs/heads/feature"), moved);
    let out = push(repo, &["-q", "origin", ":refs/heads/feature"]);
    assert_eq!(out.code, 0, "deleting a ref is let through\n{out}");
    assert_eq!(remote_ref(repo, &bare, "refs/heads/feature"), "");
}

#[cfg(unix)]
#[test]
fn the_crm_binary_is_configurable_and_a_missing_one_rejects() {
    let Some(s) = Signed::new() else { return };
    let repo = &s.repo;
    let bare = server(repo, &std::fs::read(HOOK).unwrap());
    let push_with = |crm: &Path| {
        let mut cmd = StdCommand::new("git");
        cmd.env_clear();
        for (k, v) in repo.env_vars() {
            cmd.env(k, v);
        }
        let out = cmd.env("CRM", crm).current_dir(&repo.dir).args(["push", "origin", "main"]).output().unwrap();
        Output {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    };
    // A CRM that does not exist: the hook must not let the push through.
    let out = push_with(&repo.root().join("no-such-crm"));
    assert_ne!(out.code, 0, "a hook that cannot run crm must reject\n{out}");
    assert_eq!(remote_ref(repo, &bare, "refs/heads/main"), "");

    // A wrapper named by CRM is what the hook runs.
    let log = repo.root().join("crm-calls.log");
    let wrapper = repo.root().join("crm-wrapper");
    let script =
        format!("#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n", log.display(), env!("CARGO_BIN_EXE_crm"));
    std::fs::write(&wrapper, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = push_with(&wrapper);
    assert_eq!(out.code, 0, "{out}");
    let calls = std::fs::read_to_string(&log).expect("the wrapper ran");
    let zero = "0".repeat(40);
    assert!(
        calls.contains(&format!("verify --update {zero} {} refs/heads/main", s.base)),
        "each ref update is handed to crm: {calls}"
    );
    assert_eq!(remote_ref(repo, &bare, "refs/heads/main"), s.base);
}

/// The simplest hook there is: `crm -C "$GIT_DIR" verify NEW`. While a
/// pre-receive hook runs, git keeps the pushed objects in a quarantine
/// directory that it announces in `GIT_OBJECT_DIRECTORY` and
/// `GIT_ALTERNATE_OBJECT_DIRECTORIES`; crm must honour them, as every git
/// tool does, or it cannot see the commits it is asked to verify.
#[test]
fn crm_sees_the_pushed_commits_inside_a_pre_receive_hook() {
    let Some(s) = Signed::new() else { return };
    let repo = &s.repo;
    let hook = "#!/usr/bin/env bash\nwhile read -r old new ref; do\n  \"$CRM\" -C \"$GIT_DIR\" verify \"$new\" >&2 || exit 1\ndone\n";
    let bare = server(repo, hook.as_bytes());
    let out = push(repo, &["origin", "main"]);
    assert_eq!(out.code, 0, "crm verify could not see the pushed commits\n{out}");
    assert_eq!(remote_ref(repo, &bare, "refs/heads/main"), s.base);
}

/// The signed store pushed to a bare server with the example hook, and a
/// manager's signed reassign on top, pushed too; returns (server, the
/// reassign commit).
fn served_with_reassign(s: &Signed) -> (PathBuf, String) {
    let bare = server(&s.repo, &std::fs::read(HOOK).unwrap());
    assert_eq!(push(&s.repo, &["-q", "origin", "main"]).code, 0);
    s.act_as("li.na");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    let reassign = s.commit("reassign kinglong: wang.fang -> zhang.wei");
    let out = push(&s.repo, &["-q", "origin", "main"]);
    assert_eq!(out.code, 0, "{out}");
    (bare, reassign)
}

#[test]
fn the_hook_refuses_rewinds_and_replaced_commits_even_without_deny_non_fast_forwards() {
    let Some(s) = Signed::new() else { return };
    let (bare, reassign) = served_with_reassign(&s);
    // A force-push that rewinds main to before the reassign.
    s.repo.git(&["reset", "-q", "--hard", &s.base]);
    let out = push(&s.repo, &["-f", "origin", "main"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("non-fast-forward") && out.stderr.contains("may only move forward"), "{out}");
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/main"), reassign);

    // A sibling that replaces the manager's reassign with a touch.
    s.act_as("zhang.wei");
    s.append_touch("yutong", "zhang.wei", "Replacing history");
    s.commit("touch yutong");
    let out = push(&s.repo, &["-f", "origin", "main"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("non-fast-forward"), "{out}");
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/main"), reassign);

    // The honest way: on top of what the server has.
    s.repo.git(&["reset", "-q", "--hard", &reassign]);
    s.append_touch("yutong", "zhang.wei", "On top");
    let honest = s.commit("touch yutong");
    assert_eq!(push(&s.repo, &["-q", "origin", "main"]).code, 0);
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/main"), honest);
}

#[test]
fn the_hook_refuses_deleting_the_protected_branch_foreign_histories_and_replace_refs() {
    let Some(s) = Signed::new() else { return };
    let (bare, reassign) = served_with_reassign(&s);
    s.repo.git_in(&bare, &["config", "receive.denyNonFastForwards", "true"]);
    let out = push(&s.repo, &["origin", ":refs/heads/main"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("protected-branch-deleted"), "{out}");
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/main"), reassign);

    // A fabricated store with a root of its own, as a new branch.
    s.act_as("zhang.wei");
    s.repo.git(&["checkout", "-q", "--orphan", "fake"]);
    s.repo.git(&["commit", "-q", "-m", "a store of my own"]);
    let out = push(&s.repo, &["origin", "fake"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("foreign-root"), "{out}");
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/fake"), "");

    // A replace ref that would make git show another commit as the reassign.
    s.repo.git(&["checkout", "-q", "-f", "main"]);
    let out = push(&s.repo, &["origin", &format!("{}:refs/replace/{reassign}", s.base)]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("replace-ref"), "{out}");
    assert_eq!(remote_ref(&s.repo, &bare, &format!("refs/replace/{reassign}")), "");

    // Branches other than the protected one may come and go.
    assert_eq!(push(&s.repo, &["-q", "origin", &format!("{}:refs/heads/old", s.base)]).code, 0);
    assert_eq!(push(&s.repo, &["-q", "origin", ":refs/heads/old"]).code, 0);
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/old"), "");
}

#[test]
fn a_signed_draft_nobody_merged_cannot_be_replayed_by_someone_who_may_not_make_it() {
    let Some(s) = Signed::new() else { return };
    let bare = server(&s.repo, &std::fs::read(HOOK).unwrap());
    assert_eq!(push(&s.repo, &["-q", "origin", "main"]).code, 0);
    // li.na drafts a reassign of kinglong to zhang.wei on a branch, pushes
    // it for review, and abandons it.
    s.repo.git(&["checkout", "-q", "-b", "draft"]);
    s.act_as("li.na");
    s.set_owner("kinglong", "wang.fang", "zhang.wei");
    s.commit("reassign kinglong: wang.fang -> zhang.wei");
    assert_eq!(push(&s.repo, &["-q", "origin", "draft"]).code, 0, "her own draft is hers to push");
    s.repo.git(&["checkout", "-q", "main"]);
    s.act_as("zhang.wei");
    s.append_touch("yutong", "zhang.wei", "Meanwhile on main");
    let main = s.commit("touch yutong");
    assert_eq!(push(&s.repo, &["-q", "origin", "main"]).code, 0);
    // zhang.wei merges the draft into main: the customer would be his.
    s.act_as("zhang.wei");
    s.repo.git(&["merge", "-q", "--no-ff", "-m", "Merge branch 'draft'", "draft"]);
    let out = push(&s.repo, &["origin", "main"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("merge-unapproved"), "{out}");
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/main"), main);

    // li.na merging her own draft is her act: accepted.
    s.repo.git(&["reset", "-q", "--hard", &main]);
    s.act_as("li.na");
    s.repo.git(&["merge", "-q", "--no-ff", "-m", "Merge branch 'draft'", "draft"]);
    let merged = s.repo.head();
    let out = push(&s.repo, &["origin", "main"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/main"), merged);

    // Once published, anyone may merge main into their own work (the
    // reassign comes in through the merge's second parent).
    s.repo.git(&["checkout", "-q", "-b", "mine", &main]);
    s.act_as("zhang.wei");
    s.repo.crm(&["touch", "-q", "yutong", "--kind", "call", "--summary", "Routine"]).ok();
    let out = s.repo.git_out(&["merge", "-q", "--no-ff", "-m", "Merge branch 'main'", "main"]);
    assert_eq!(out.code, 0, "{out}");
    let pulled = s.repo.head();
    let out = push(&s.repo, &["origin", "mine:main"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/main"), pulled);
}

#[test]
fn the_hook_refuses_a_rollback_merge_that_fast_forwards() {
    let Some(s) = Signed::new() else { return };
    let (bare, reassign) = served_with_reassign(&s);
    // One unsigned merge, the old commit first and main second, with the
    // old tree: a fast-forward of main that undoes the manager's reassign.
    let old_tree = s.repo.git(&["rev-parse", &format!("{}^{{tree}}", s.base)]).trim().to_string();
    let args = ["commit-tree", &old_tree, "-p", &s.base, "-p", &reassign, "-m", "Merge", "--no-gpg-sign"];
    let rollback = s.repo.git(&args).trim().to_string();
    s.repo.git(&["update-ref", "refs/heads/main", &rollback]);
    let out = push(&s.repo, &["origin", "main"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("unsigned"), "{out}");
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/main"), reassign);

    // Signed by the rep who would get kinglong back: her own reassign.
    s.act_as("wang.fang");
    let signed = s.repo.git(&[&args[..8], &["-S"]].concat()).trim().to_string();
    s.repo.git(&["update-ref", "refs/heads/main", &signed]);
    let out = push(&s.repo, &["origin", "main"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("reassign-unauthorized"), "{out}");
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/main"), reassign);
}

#[test]
fn verify_update_refuses_bad_arguments_with_exit_2() {
    let Some(s) = Signed::new() else { return };
    let zero = "0".repeat(40);
    let before = s.repo.state();
    for args in [
        vec!["verify", "--update", "not-an-id", &s.base, "refs/heads/main"],
        vec!["verify", "--update", &zero, &s.base],
        vec!["verify", "HEAD", "--update", &zero, &s.base, "refs/heads/main"],
    ] {
        let out = s.repo.crm(&args);
        assert_eq!(out.code, 2, "{args:?}\n{out}");
        assert!(!out.stderr.contains("panicked"), "{out}");
    }
    assert_eq!(s.repo.state(), before);
    // Well formed: a new branch at the store's own history passes.
    let out = s.repo.crm(&["verify", "--update", &zero, &s.base, "refs/heads/other"]);
    assert_eq!(out.code, 0, "{out}");
}

/// `crm sync` against a server whose hook refuses: the hook's lines, one
/// per line as the server wrote them, and what to do with the commits that
/// are still local.
#[test]
fn crm_sync_shows_what_the_servers_hook_said_line_by_line() {
    let Some(s) = Signed::new() else { return };
    let (bare, reassign) = served_with_reassign(&s);
    s.repo.git(&["branch", "-q", "--set-upstream-to", "origin/main"]);
    s.act_as("zhang.wei");
    s.edit("crm.toml", |t| format!("{t}\n# mine now\n"));
    s.mark_departed("li.na");
    s.commit("settings of my own");
    let mut cmd = s.repo.crm_cmd();
    cmd.env("CRM", env!("CARGO_BIN_EXE_crm")).args(["sync"]);
    let out = s.repo.run(cmd);
    assert_eq!(out.code, 3, "{out}");
    assert!(
        out.stderr.starts_with("error: origin refused the push:\n  crm: push to refs/heads/main rejected:"),
        "{out}"
    );
    let rule_lines = out.stderr.lines().filter(|l| l.contains("error[")).count();
    assert!(rule_lines >= 2, "each violation on a line of its own\n{out}");
    assert!(out.stderr.contains("git rebase -i @{upstream}") && !out.stderr.contains("reset --hard"), "{out}");
    assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/main"), reassign);
}

/// The date rules at the server: a commit dated more than a day ahead of
/// the hook's today, or more than a day before its parent, is refused
/// (the pool's periods go by commit dates).
#[test]
fn the_hook_refuses_commits_dated_ahead_or_behind() {
    let Some(s) = Signed::new() else { return };
    let (bare, reassign) = served_with_reassign(&s);
    s.act_as("zhang.wei");
    for (date, rule) in [("2030-01-01T10:00:00+08:00", "dated-ahead"), ("2026-10-01T10:00:00+08:00", "dated-behind")] {
        s.repo.git(&["reset", "-q", "--hard", &reassign]);
        s.repo.git_at(date, &["commit", "-q", "--allow-empty", "-m", "wip"]);
        let out = push(&s.repo, &["origin", "main"]);
        assert_ne!(out.code, 0, "{out}");
        assert!(out.stderr.contains(rule), "{rule}\n{out}");
        assert_eq!(remote_ref(&s.repo, &bare, "refs/heads/main"), reassign);
    }
}
