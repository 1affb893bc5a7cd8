//! The ring files of one or more trees of the repository, read on demand
//! through a handle of their own (the rings are opened from every core).

use std::path::Path;
use std::sync::{Arc, Mutex};

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

/// The rings of `trees`: a ring is read from the first tree that has it.
pub struct TreeRings {
    repo: SharedRepo,
    trees: Vec<Oid>,
}

impl TreeRings {
    /// The rings of `trees` (the first one is listed by [`RingFiles::ids`]).
    pub fn new(repo: SharedRepo, trees: Vec<Oid>) -> TreeRings {
        TreeRings { repo, trees }
    }

    fn with_repo<T>(&self, f: impl FnOnce(&Repository) -> Option<T>) -> Option<T> {
        f(&self.repo.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl RingFiles for TreeRings {
    fn read(&self, id: &str) -> Option<Vec<u8>> {
        let path = ring_path(id);
        self.with_repo(|repo| {
            self.trees
                .iter()
                .find_map(|tree| {
                    let entry = repo.find_tree(*tree).ok()?.get_path(Path::new(&path)).ok()?;
                    (entry.kind() == Some(ObjectType::Blob)).then(|| repo.find_blob(entry.id()).ok())?
                })
                .map(|blob| blob.content().to_vec())
        })
    }

    fn ids(&self) -> Vec<String> {
        self.with_repo(|repo| {
            let entry = repo.find_tree(*self.trees.first()?).ok()?.get_path(Path::new(RINGS_DIR)).ok()?;
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
