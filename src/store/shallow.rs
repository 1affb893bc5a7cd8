//! Shallow clones (`git clone --depth`, the default checkout of CI
//! services): libgit2 shows the commits at the boundary as roots. Nothing
//! read from history may take such a commit for the beginning of the store
//! — a "root" there invents an add of every customer, and trusts a history
//! nobody has seen — so readers ask [`Boundary::check`] for each commit
//! they step back from.

use std::collections::HashSet;

use git2::{Oid, Repository};

use super::{ObjectId, Repo};
use crate::{Error, Result};

/// The commits whose parents a shallow clone does not have.
#[derive(Debug, Default)]
pub struct Boundary(HashSet<Oid>);

impl Boundary {
    /// The boundary of `repo` (empty for a full clone).
    pub fn of(repo: &Repository) -> Boundary {
        if !repo.is_shallow() {
            return Boundary::default();
        }
        let text = std::fs::read_to_string(repo.commondir().join("shallow")).unwrap_or_default();
        Boundary(text.lines().filter_map(|l| Oid::from_str(l.trim()).ok()).collect())
    }

    /// An error when the parents of `commit` are cut off.
    pub fn check(&self, commit: ObjectId) -> Result<()> {
        if self.0.contains(&commit.git()) {
            return Err(Error::Shallow(commit.to_string()));
        }
        Ok(())
    }
}

impl Repo {
    /// The commits whose parents this (shallow) clone does not have.
    pub fn shallow_boundary(&self) -> Boundary {
        Boundary::of(&self.git)
    }
}
