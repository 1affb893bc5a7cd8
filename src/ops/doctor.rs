//! `crm doctor`: finds and repairs what an interrupted or crashed command
//! can leave behind — a stale lock, a write that moved the branch but not
//! the work tree — and reports what it must not repair itself (a person's
//! uncommitted edits to store files).

use std::time::Duration;

use serde::Serialize;

use crate::store::lock::{self, Holder};
use crate::store::write::{self, Recovery};
use crate::store::Store;
use crate::Result;

/// What the doctor found and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diagnosis {
    /// What was repaired.
    pub repaired: Vec<String>,
    /// What is still wrong (with what to do).
    pub problems: Vec<String>,
}

/// How old a branch's lock file must be to be taken for one a killed
/// process left (git holds it for milliseconds).
pub const STALE_REF_LOCK: Duration = Duration::from_secs(60);

/// Removes the current branch's lock file when a killed git or crm left
/// it (it makes every write fail), or reports a fresh one.
fn branch_lock(store: &Store, d: &mut Diagnosis) {
    let repo = store.repo();
    let Some(name) =
        repo.find_reference("HEAD").ok().and_then(|h| h.symbolic_target().ok().flatten().map(str::to_string))
    else {
        return;
    };
    let path = write::branch_lock(repo, &name);
    let Ok(meta) = std::fs::metadata(&path) else { return };
    let age = meta.modified().ok().and_then(|m| m.elapsed().ok()).unwrap_or_default();
    if age >= STALE_REF_LOCK && std::fs::remove_file(&path).is_ok() {
        d.repaired
            .push(format!("removed {name}.lock, left {} s ago by a git or crm process that was killed", age.as_secs()));
    } else {
        d.problems.push(format!(
            "{name}.lock exists: a git command is updating the branch; if none is running, delete {}",
            path.display()
        ));
    }
}

/// Examines the store and repairs what is safe to repair.
pub fn run(store: &Store) -> Result<Diagnosis> {
    let mut d = Diagnosis::default();
    let lock_path = store.repo().path().join("index.lock");
    if lock_path.exists() {
        match lock::holder(&lock_path) {
            Holder::Dead(pid) => {
                d.repaired.push(format!("removed the lock left by crm process {pid}, which no longer runs"))
            }
            Holder::Running(pid) => {
                d.problems.push(format!("crm process {pid} is writing (it holds .git/index.lock); wait for it"));
                return Ok(d);
            }
            Holder::Other => {
                d.problems.push(
                    "git holds .git/index.lock; if no git command is running, delete the file and run crm doctor again"
                        .into(),
                );
                return Ok(d);
            }
        }
    }
    // Taking the lock clears a dead holder; recovery runs under it.
    let held = lock::acquire(&lock_path, Duration::ZERO)?;
    match store.recover()? {
        Recovery::Nothing => {}
        Recovery::Dropped => d.repaired.push("dropped the journal of a write whose commit never landed".into()),
        Recovery::Finished { commit, paths, kept } => {
            let short = &commit.to_string()[..8];
            d.repaired.push(format!("finished writing {paths} file(s) of commit {short}, which was interrupted"));
            for p in kept {
                d.problems.push(format!("{p} was changed by hand after commit {short}; `git diff -- {p}` shows how"));
            }
        }
    }
    drop(held);
    let _ = std::fs::remove_file(store.repo().path().join("crm-index.tmp"));
    branch_lock(store, &mut d);
    let statuses = store.repo().statuses(None)?;
    for entry in statuses.iter() {
        let Ok(path) = entry.path() else { continue };
        let in_store = path == "crm.toml" || path.starts_with("staff/") || path.starts_with("customers/");
        // A temporary file of crm's own, left by a write that was killed.
        let ours = path.rsplit('/').next().is_some_and(|name| name.starts_with(".crm-"));
        if in_store && ours && entry.status().is_wt_new() {
            if std::fs::remove_file(store.root().join(path)).is_ok() {
                d.repaired.push(format!("removed {path}, a temporary file of an interrupted write"));
            }
            continue;
        }
        if in_store && !entry.status().is_ignored() {
            d.problems
                .push(format!("{path} has uncommitted changes; commit them with git or `git checkout -- {path}`"));
        }
    }
    Ok(d)
}
