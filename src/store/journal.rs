//! Crash safety for the step after the commit: a write moves the branch
//! first and updates the work tree and index second. Between the two, a
//! journal (`.git/crm/pending`) names the old and new commits and the paths;
//! if the process dies there, the next write (or `crm doctor`) finds the
//! journal and finishes the job — or, if the branch never moved, drops it.
//! Either way the store is as before the action or as after it, never half.

use std::fs;
use std::path::PathBuf;

use git2::Oid;

use crate::{Error, Result};

/// A write between moving the branch and updating the work tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The commit the write started from.
    pub old: Option<Oid>,
    /// The commit it made.
    pub new: Oid,
    /// The paths it changes.
    pub paths: Vec<String>,
}

/// Where the journal lives.
pub fn path(git_dir: &std::path::Path) -> PathBuf {
    git_dir.join("crm").join("pending")
}

impl Pending {
    /// Writes the journal (durably, before the branch moves).
    pub fn write(&self, git_dir: &std::path::Path) -> Result<()> {
        let file = path(git_dir);
        let dir = file.parent().unwrap_or(git_dir);
        fs::create_dir_all(dir).map_err(Error::io(dir))?;
        let old = self.old.map_or_else(|| "none".to_string(), |o| o.to_string());
        let mut text = format!("old {old}\nnew {}\n", self.new);
        for p in &self.paths {
            text.push_str(p);
            text.push('\n');
        }
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(Error::io(dir))?;
        std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(Error::io(&file))?;
        tmp.as_file().sync_all().map_err(Error::io(&file))?;
        tmp.persist(&file).map_err(|e| Error::io(&file)(e.error))?;
        Ok(())
    }

    /// Reads the journal, if there is one.
    pub fn read(git_dir: &std::path::Path) -> Option<Pending> {
        let text = fs::read_to_string(path(git_dir)).ok()?;
        let mut lines = text.lines();
        let old = lines.next()?.strip_prefix("old ")?;
        let old = if old == "none" { None } else { Some(Oid::from_str(old).ok()?) };
        let new = Oid::from_str(lines.next()?.strip_prefix("new ")?).ok()?;
        Some(Pending { old, new, paths: lines.map(str::to_string).collect() })
    }

    /// Removes the journal.
    pub fn clear(git_dir: &std::path::Path) {
        let _ = fs::remove_file(path(git_dir));
    }
}
