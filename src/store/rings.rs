//! The ring files of one or more trees of the repository, read on demand
//! through a handle of their own (the rings are opened from every core).

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use git2::{ObjectType, Oid, Repository};

use crate::seal::ring::{ring_of_path, ring_path, RingFiles, RINGS_DIR};
use crate::{Error, Result};

/// A repository handle the rings of many trees can share.
pub type SharedRepo = Arc<Mutex<Repository>>;

/// A handle of its own on the repository `repo` opens.
pub fn shared(repo: &Repository) -> Result<SharedRepo> {
    let own = Repository::open(repo.path()).map_err(|e| Error::Git(e.message().to_string()))?;
    Ok(Arc::new(Mutex::new(own)))
}

/// The rings of some trees: a ring is read from the first tree that has it.
pub struct TreeRings {
    repo: SharedRepo,
    trees: OnceLock<Vec<Oid>>,
    /// The commit whose tree and parents' trees these are, worked out on
    /// the first read (most commits judged never need a ring).
    commit: Option<Oid>,
}

impl TreeRings {
    /// The rings of `trees` (the first one is listed by [`RingFiles::ids`]).
    pub fn new(repo: SharedRepo, trees: Vec<Oid>) -> TreeRings {
        TreeRings { repo, trees: OnceLock::from(trees), commit: None }
    }

    /// The rings of commit `commit`'s tree, then of its parents' trees.
    pub fn of_commit(repo: SharedRepo, commit: Oid) -> TreeRings {
        TreeRings { repo, trees: OnceLock::new(), commit: Some(commit) }
    }

    fn with_repo<T>(&self, f: impl FnOnce(&Repository, &[Oid]) -> Option<T>) -> Option<T> {
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let trees = self.trees.get_or_init(|| self.commit.map(|c| commit_trees(&repo, c)).unwrap_or_default());
        f(&repo, trees)
    }
}

/// The tree of `commit` and its parents' trees.
fn commit_trees(repo: &Repository, commit: Oid) -> Vec<Oid> {
    let Ok(commit) = repo.find_commit(commit) else { return Vec::new() };
    std::iter::once(commit.tree_id()).chain(commit.parents().map(|p| p.tree_id())).collect()
}

impl RingFiles for TreeRings {
    fn read(&self, id: &str) -> Option<Vec<u8>> {
        let path = ring_path(id);
        self.with_repo(|repo, trees| {
            trees
                .iter()
                .find_map(|tree| {
                    let entry = repo.find_tree(*tree).ok()?.get_path(Path::new(&path)).ok()?;
                    (entry.kind() == Some(ObjectType::Blob)).then(|| repo.find_blob(entry.id()).ok())?
                })
                .map(|blob| blob.content().to_vec())
        })
    }

    fn ids(&self) -> Vec<String> {
        self.with_repo(|repo, trees| {
            let entry = repo.find_tree(*trees.first()?).ok()?.get_path(Path::new(RINGS_DIR)).ok()?;
            let dir = repo.find_tree(entry.id()).ok()?;
            let mut ids = Vec::new();
            for e in dir.iter() {
                let path = format!("{RINGS_DIR}/{}", e.name().unwrap_or_default());
                ids.extend(ring_of_path(&path).map(str::to_string));
            }
            Some(ids)
        })
        .unwrap_or_default()
    }
}
