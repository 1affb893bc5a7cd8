//! `crm doctor`: finds and repairs what an interrupted or crashed command
//! can leave behind — a stale lock, a write that moved the branch but not
//! the work tree — and reports what it must not repair itself (a person's
//! uncommitted edits to store files).

use std::time::Duration;

use serde::Serialize;

use crate::store::repair::{BranchLock, Dirty, WriteLock};
use crate::store::write::Recovery;
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

/// Examines the store and repairs what is safe to repair.
pub fn run(store: &Store) -> Result<Diagnosis> {
    let mut d = Diagnosis::default();
    match store.write_lock() {
        WriteLock::Free => {}
        WriteLock::Dead(pid) => {
            d.repaired.push(format!("removed the lock left by crm process {pid}, which no longer runs"))
        }
        WriteLock::Running(pid) => {
            d.problems.push(format!("crm process {pid} is writing (it holds .git/index.lock); wait for it"));
            return Ok(d);
        }
        WriteLock::Other => {
            d.problems.push(
                "git holds .git/index.lock; if no git command is running, delete the file and run crm doctor again"
                    .into(),
            );
            return Ok(d);
        }
    }
    match store.recover_interrupted_write()? {
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
    match store.clear_stale_branch_lock(STALE_REF_LOCK) {
        BranchLock::Absent => {}
        BranchLock::Removed { name, age } => d
            .repaired
            .push(format!("removed {name}.lock, left {} s ago by a git or crm process that was killed", age.as_secs())),
        BranchLock::Fresh { name, path } => d.problems.push(format!(
            "{name}.lock exists: a git command is updating the branch; if none is running, delete {}",
            path.display()
        )),
    }
    for dirty in store.tidy_store_files()? {
        match dirty {
            Dirty::RemovedTemporary(path) => {
                d.repaired.push(format!("removed {path}, a temporary file of an interrupted write"))
            }
            Dirty::Changed(path) => d
                .problems
                .push(format!("{path} has uncommitted changes; commit them with git or `git checkout -- {path}`")),
        }
    }
    Ok(d)
}
