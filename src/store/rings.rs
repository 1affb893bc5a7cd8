//! The ring files of one or more trees of the repository, read on demand
//! through a handle of their own (the rings are opened from every core).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use git2::{ObjectType, Oid, Repository};

use crate::seal::ring::{ring_of_path, RingFiles, MAX_RING, RINGS_DIR};
use crate::{Error, Result};

/// A repository handle the rings of many trees can share.
pub type SharedRepo = Arc<Mutex<Repository>>;

/// A handle of its own on the repository `repo` opens.
pub fn shared(repo: &Repository) -> Result<SharedRepo> {
    let own = Repository::open(repo.path()).map_err(|e| Error::Git(e.message().to_string()))?;
    Ok(Arc::new(Mutex::new(own)))
}

/// The ring files of one tree: ring id to blob.
type Listing = HashMap<String, Oid>;

/// The rings of some trees: a ring is read from the first tree that has it.
pub struct TreeRings {
    repo: SharedRepo,
    /// The trees, or the commit whose tree it is.
    source: Source,
    /// Each tree's `rings/` listed, on the first read (most commits verify
    /// judges never need a ring; a large `rings/` is read once, not once
    /// per ring).
    listings: OnceLock<Vec<Listing>>,
}

enum Source {
    Trees(Vec<Oid>),
    Commit(Oid),
}

impl TreeRings {
    /// The rings of `trees` (the first one is listed by [`RingFiles::ids`]).
    pub fn new(repo: SharedRepo, trees: Vec<Oid>) -> TreeRings {
        TreeRings { repo, source: Source::Trees(trees), listings: OnceLock::new() }
    }

    /// The rings of commit `commit`'s tree.
    pub fn of_commit(repo: SharedRepo, commit: Oid) -> TreeRings {
        TreeRings { repo, source: Source::Commit(commit), listings: OnceLock::new() }
    }

    fn with_listings<T>(&self, f: impl FnOnce(&Repository, &[Listing]) -> T) -> T {
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let listings = self.listings.get_or_init(|| {
            let trees = match &self.source {
                Source::Trees(trees) => trees.clone(),
                Source::Commit(commit) => repo.find_commit(*commit).map(|c| vec![c.tree_id()]).unwrap_or_default(),
            };
            trees.iter().map(|t| listing(&repo, *t)).collect()
        });
        f(&repo, listings)
    }
}

/// The ring files of `tree`.
fn listing(repo: &Repository, tree: Oid) -> Listing {
    let dir = repo.find_tree(tree).ok().and_then(|t| {
        let entry = t.get_path(Path::new(RINGS_DIR)).ok()?;
        repo.find_tree(entry.id()).ok()
    });
    let Some(dir) = dir else { return Listing::new() };
    dir.iter()
        .filter(|e| e.kind() == Some(ObjectType::Blob))
        .filter_map(|e| {
            let path = format!("{RINGS_DIR}/{}", e.name().ok()?);
            Some((ring_of_path(&path)?.to_string(), e.id()))
        })
        .collect()
}

impl RingFiles for TreeRings {
    fn read(&self, id: &str) -> Option<Vec<u8>> {
        self.with_listings(|repo, listings| {
            let blob = *listings.iter().find_map(|l| l.get(id))?;
            let (size, _) = repo.odb().ok()?.read_header(blob).ok()?;
            (size <= MAX_RING).then_some(())?;
            Some(repo.find_blob(blob).ok()?.content().to_vec())
        })
    }

    fn has(&self, id: &str) -> bool {
        self.with_listings(|_, listings| listings.iter().any(|l| l.contains_key(id)))
    }

    fn ids(&self) -> Vec<String> {
        self.with_listings(|_, listings| listings.first().map(|l| l.keys().cloned().collect()).unwrap_or_default())
    }
}
