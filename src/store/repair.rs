//! What an interrupted command can leave in a repository, found and (where
//! it is safe) removed: the lock files git and crm take, crm's scratch
//! index, a write's journal, and crm's temporary files in the work tree.
//! `crm doctor` decides what to tell the user; this module knows where
//! git keeps things.

use std::path::PathBuf;
use std::time::Duration;

use super::layout::{CONFIG_FILE, CUSTOMERS_DIR, STAFF_DIR};
use super::lock::{self, Holder, Lock};
use super::write::{self, Recovery};
use super::Store;
use crate::Result;

/// Who holds the store's write lock (`.git/index.lock`), if anyone.
pub enum WriteLock {
    /// Nobody.
    Free,
    /// A crm process that no longer runs; taking the lock clears it.
    Dead(u32),
    /// A crm process that is still writing.
    Running(u32),
    /// git itself, or something unknown.
    Other,
}

/// The current branch's lock file (`refs/heads/NAME.lock`).
pub enum BranchLock {
    /// None, or HEAD names no branch.
    Absent,
    /// Older than the limit: left by a killed process, and removed.
    Removed {
        /// The branch's full name.
        name: String,
        /// How old it was.
        age: Duration,
    },
    /// Younger than the limit: a git command may be updating the branch.
    Fresh {
        /// The branch's full name.
        name: String,
        /// The lock file.
        path: PathBuf,
    },
}

/// A store file that differs from the commit.
pub enum Dirty {
    /// A temporary file of crm's own, left by a killed write, now removed.
    RemovedTemporary(String),
    /// Changed by hand (or by a write that could not finish).
    Changed(String),
}

impl Store {
    /// Who holds the write lock.
    pub fn write_lock(&self) -> WriteLock {
        let path = self.repo().path().join("index.lock");
        if !path.exists() {
            return WriteLock::Free;
        }
        match lock::holder(&path) {
            Holder::Dead(pid) => WriteLock::Dead(pid),
            Holder::Running(pid) => WriteLock::Running(pid),
            Holder::Other => WriteLock::Other,
        }
    }

    /// Takes the write lock at once (clearing a dead holder's), finishes
    /// or drops an interrupted write under it, and removes the scratch
    /// index a killed write can leave.
    pub fn recover_interrupted_write(&self) -> Result<Recovery> {
        let held: Lock = lock::acquire(&self.repo().path().join("index.lock"), Duration::ZERO)?;
        let recovery = self.recover()?;
        drop(held);
        let _ = std::fs::remove_file(self.repo().path().join(write::SCRATCH_INDEX));
        Ok(recovery)
    }

    /// Removes the current branch's lock file when it is older than
    /// `stale` (git holds it for milliseconds), or reports it.
    pub fn clear_stale_branch_lock(&self, stale: Duration) -> BranchLock {
        let repo = self.repo();
        let head = repo.find_reference("HEAD").ok();
        let Some(name) = head.and_then(|h| h.symbolic_target().ok().flatten().map(str::to_string)) else {
            return BranchLock::Absent;
        };
        let path = write::branch_lock(repo, &name);
        let Ok(meta) = std::fs::metadata(&path) else { return BranchLock::Absent };
        let age = meta.modified().ok().and_then(|m| m.elapsed().ok()).unwrap_or_default();
        if age >= stale && std::fs::remove_file(&path).is_ok() {
            BranchLock::Removed { name, age }
        } else {
            BranchLock::Fresh { name, path }
        }
    }

    /// Store files that differ from the commit, after removing crm's own
    /// temporary files among them.
    pub fn tidy_store_files(&self) -> Result<Vec<Dirty>> {
        let mut out = Vec::new();
        for entry in self.repo().statuses(None)?.iter() {
            let Ok(path) = entry.path() else { continue };
            let in_store = path == CONFIG_FILE
                || path.starts_with(&format!("{STAFF_DIR}/"))
                || path.starts_with(&format!("{CUSTOMERS_DIR}/"));
            let ours = path.rsplit('/').next().is_some_and(|name| name.starts_with(".crm-"));
            if in_store && ours && entry.status().is_wt_new() {
                if std::fs::remove_file(self.root().join(path)).is_ok() {
                    out.push(Dirty::RemovedTemporary(path.to_string()));
                }
            } else if in_store && !entry.status().is_ignored() {
                out.push(Dirty::Changed(path.to_string()));
            }
        }
        Ok(out)
    }
}
