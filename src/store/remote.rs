//! Network operations through the `git` command line, so that the user's
//! ssh config, agents and credential helpers work as they do for git.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::{Error, Result};

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// The remote branch now points at the pushed commit.
    Done,
    /// Someone pushed meanwhile: fetch, integrate, try again.
    Rejected,
}

fn git(root: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Network(format!("cannot run git ({e}); is git installed?")))
}

fn message(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines.join(" ")
}

/// Fetches `branch` of `remote` into `refs/remotes/<remote>/<branch>`.
/// Returns `false` when the remote has no such branch yet.
pub fn fetch(root: &Path, remote: &str, branch: &str) -> Result<bool> {
    let refspec = format!("+refs/heads/{branch}:refs/remotes/{remote}/{branch}");
    let out = git(root, &["fetch", "--quiet", "--no-tags", remote, &refspec])?;
    if out.status.success() {
        return Ok(true);
    }
    let why = message(&out);
    if why.contains("couldn't find remote ref") {
        return Ok(false);
    }
    Err(Error::Network(format!("git fetch {remote} failed: {why}")))
}

/// Pushes `commit` to `branch` of `remote`, only as a fast-forward.
pub fn push(root: &Path, remote: &str, commit: &str, branch: &str) -> Result<Pushed> {
    let refspec = format!("{commit}:refs/heads/{branch}");
    let out = git(root, &["push", "--quiet", "--porcelain", remote, &refspec])?;
    if out.status.success() {
        return Ok(Pushed::Done);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let why = message(&out);
    // Only git's own "[rejected]" for a branch that moved is a race; a
    // "[remote rejected]" (a hook, a protected branch, permissions) is the
    // server's answer and will not change by trying again.
    let raced = stdout.lines().filter(|l| l.starts_with('!')).any(|l| {
        let lost =
            l.contains("[rejected]") && ["non-fast-forward", "fetch first", "stale info"].iter().any(|w| l.contains(w));
        // The ref moved on the server between its check and its update.
        lost || (l.contains("[remote rejected]") && l.contains("failed to update ref"))
    }) || why.contains("cannot lock ref");
    if raced {
        return Ok(Pushed::Rejected);
    }
    // The server's own rules (a pre-receive hook, a protected branch): what
    // it said, line by line, as git showed it.
    if stdout.lines().any(|l| l.starts_with('!') && l.contains("[remote rejected]")) {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let said: Vec<String> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("remote:"))
            .map(|l| l.trim_end().trim_start_matches(' ').to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let reason = stdout.lines().find(|l| l.starts_with('!')).and_then(|l| l.split('(').nth(1));
        let said = match (said.is_empty(), reason) {
            (true, Some(r)) => vec![r.trim_end_matches(')').to_string()],
            _ => said,
        };
        return Err(Error::PushRefused { remote: remote.to_string(), said });
    }
    let detail = if why.is_empty() { stdout.trim().to_string() } else { why };
    Err(Error::Network(format!("git push {remote} failed: {detail}")))
}
