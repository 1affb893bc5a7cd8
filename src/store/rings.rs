//! The ring files of one or more trees of the repository, read on demand
//! through a handle of their own (the rings are opened from every core),
//! and, for writes, what they say remembered in `.git/crm/rings`, so that
//! finding a ring to reuse does not read every one.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use git2::{ObjectType, Oid, Repository};

use crate::seal::ring::{is_ring_id, ring_of_path, RingFiles, RingInfo, MAX_RING, RINGS_DIR};
use crate::{Error, Result};

/// A repository handle the rings of many trees can share.
pub type SharedRepo = Arc<Mutex<Repository>>;

/// A handle of its own on the repository `repo` opens.
pub fn shared(repo: &Repository) -> Result<SharedRepo> {
    let own = super::reopen(repo.path()).map_err(|e| Error::Git(e.message().to_string()))?;
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
    /// What ring files said, kept by earlier commands, if this reader
    /// keeps it.
    memory: Option<Memory>,
}

/// What ring files said, kept in a file of `.git/crm/` (a line per ring:
/// id, maker, tags): a ring's id is the hash of its file, so a line never
/// goes stale, and a lost or damaged file only costs reading the rings
/// again.
struct Memory {
    path: PathBuf,
    /// The file as read on first use, and what this command added.
    known: OnceLock<Mutex<HashMap<String, RingInfo>>>,
}

impl Memory {
    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<String, RingInfo>> {
        let known = self.known.get_or_init(|| {
            Mutex::new(fs::read_to_string(&self.path).map(|text| read_memory(&text)).unwrap_or_default())
        });
        known.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The lines of a memory file that read as one.
fn read_memory(text: &str) -> HashMap<String, RingInfo> {
    let line = |l: &str| {
        let mut parts = l.split('\t');
        let (id, maker, tags) = (parts.next()?, parts.next()?, parts.next()?);
        let maker = (maker != "-").then(|| maker.to_string());
        let tags: BTreeSet<String> = tags.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect();
        (is_ring_id(id) && parts.next().is_none()).then(|| (id.to_string(), RingInfo { tags, maker }))
    };
    text.lines().filter_map(line).collect()
}

/// The memory file for `infos`.
fn memory_text(infos: &HashMap<String, RingInfo>) -> String {
    let mut lines: Vec<String> = infos
        .iter()
        .map(|(id, info)| {
            let tags = info.tags.iter().map(String::as_str).collect::<Vec<_>>().join(",");
            format!("{id}\t{}\t{tags}\n", info.maker.as_deref().unwrap_or("-"))
        })
        .collect();
    lines.sort_unstable();
    lines.concat()
}

enum Source {
    Trees(Vec<Oid>),
    Commit(Oid),
}

impl TreeRings {
    /// The rings of `trees` (the first one is listed by [`RingFiles::ids`]).
    pub fn new(repo: SharedRepo, trees: Vec<Oid>) -> TreeRings {
        TreeRings { repo, source: Source::Trees(trees), listings: OnceLock::new(), memory: None }
    }

    /// The rings of commit `commit`'s tree.
    pub fn of_commit(repo: SharedRepo, commit: Oid) -> TreeRings {
        TreeRings { repo, source: Source::Commit(commit), listings: OnceLock::new(), memory: None }
    }

    /// The same, remembering what rings say in file `path`
    /// ([`RingFiles::remembered`]).
    pub fn remembering(mut self, path: PathBuf) -> TreeRings {
        self.memory = Some(Memory { path, known: OnceLock::new() });
        self
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

    fn remembered(&self, id: &str) -> Option<RingInfo> {
        self.memory.as_ref()?.known().get(id).cloned()
    }

    fn remember(&self, infos: &[(String, RingInfo)]) {
        let Some(memory) = &self.memory else { return };
        let mut known = memory.known();
        known.extend(infos.iter().cloned());
        // Kept when it can be: without it, the rings are read again.
        let _ = super::whole::write(&memory.path, memory_text(&known).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_rings_say_reads_back_as_written_and_odd_lines_are_left_out() {
        let id = "0123456789abcdef0123456789abcdef".to_string();
        let info = RingInfo { tags: BTreeSet::from(["AAAAAA".into(), "BBBBBB".into()]), maker: Some("AAAAAA".into()) };
        let anonymous = RingInfo { tags: BTreeSet::from(["CCCCCC".into()]), maker: None };
        let other = "fedcba9876543210fedcba9876543210".to_string();
        let infos = HashMap::from([(id.clone(), info), (other.clone(), anonymous)]);
        let text = memory_text(&infos);
        assert_eq!(read_memory(&text), infos);
        let odd = format!("{text}not-an-id\t-\tAAAAAA\n{id}\tAAAAAA\n{id}\t-\tA\textra\n");
        assert_eq!(read_memory(&odd), infos, "lines that are not one are left out:\n{odd}");
    }
}
