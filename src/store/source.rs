//! Where `check` reads files from: the work tree (what a person is about
//! to commit, and what CI checked out) or a commit's tree (for bare
//! repositories and hooks). Files are listed first and read later, one at
//! a time on every core, so a check of 100,000 customers never holds them
//! all in memory. Links are reported, never followed; files are read only
//! up to a size limit, so a huge file cannot stall a check.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, Tree, TreeWalkMode, TreeWalkResult};

use super::layout::{CONFIG_FILE, CUSTOMERS_DIR, STAFF_DIR};
use super::treediff::Trees;
use super::treeshape::{self, ShapeProblem, Sizes};
use super::{Repo, Store};
use crate::seal::ring::RINGS_DIR;
use crate::{Error, Result};

/// Largest record file read (1 MiB; the store's shape rule).
pub use super::treeshape::MAX_RECORD as MAX_FILE;

/// Where the files come from, and the commit tree they belong to (for the
/// shape rules a checkout cannot show).
#[derive(Debug, Clone)]
pub struct Source {
    place: Place,
    /// The git directory (each reading thread opens its own handle).
    git_dir: PathBuf,
    /// The commit's tree, if there is a commit.
    tree: Option<Oid>,
}

#[derive(Debug, Clone)]
enum Place {
    /// The work tree at `root`. `sparse` lists the store files a sparse
    /// checkout leaves out of it (path, blob, mode): they are read from the
    /// commit, so a check never covers only the cone without saying so.
    WorkTree { root: PathBuf, sparse: Vec<(String, Oid, i32)> },
    /// The commit's tree.
    Tree,
}

/// A repository handle for reading blobs on one thread.
pub struct Reader(Repository);

impl Store {
    /// The work tree's files, and HEAD's tree.
    pub fn work_tree_source(&self) -> Result<Source> {
        let head = self.head()?;
        let mut sparse = Vec::new();
        if let Some(tree) = head.tree() {
            for path in self.sparse_paths()? {
                if let Ok(entry) = tree.get_path(Path::new(&path)) {
                    sparse.push((path, entry.id(), entry.filemode()));
                }
            }
        }
        Ok(Source {
            place: Place::WorkTree { root: self.root().to_path_buf(), sparse },
            git_dir: self.repo().path().to_path_buf(),
            tree: head.tree().map(|t| t.id()),
        })
    }
}

impl Repo {
    /// The files of revision `rev`'s tree.
    pub fn revision_source(&self, rev: &str) -> Result<Source> {
        let tree = self
            .git()
            .revparse_single(rev)
            .and_then(|o| o.peel_to_tree())
            .map_err(|_| Error::invalid("revision", rev, "not a commit in this repository"))?;
        Ok(Source { place: Place::Tree, git_dir: self.git().path().to_path_buf(), tree: Some(tree.id()) })
    }
}

/// A file found in the store, not read yet.
#[derive(Debug, Clone)]
pub struct Item {
    /// Path from the store root, `/`-separated.
    pub path: String,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Disk(fs::FileType),
    Blob { id: Oid, mode: i32, blob: bool },
}

/// What a path holds.
#[derive(Debug)]
pub enum Content {
    /// A regular file's bytes.
    Bytes(Vec<u8>),
    /// A symbolic link (not followed).
    Link,
    /// A regular file over [`MAX_FILE`] bytes (not read).
    TooLarge(u64),
    /// Something else: a directory where a file belongs, a submodule.
    Other,
}

impl Source {
    /// Every file of `crm.toml`, `staff/`, `customers/` and `rings/`, in
    /// path order.
    pub fn list(&self) -> Result<Vec<Item>> {
        match &self.place {
            Place::WorkTree { root, sparse } => {
                let mut found = Vec::new();
                for top in [CONFIG_FILE, STAFF_DIR, CUSTOMERS_DIR, RINGS_DIR] {
                    match fs::symlink_metadata(root.join(top)) {
                        Ok(meta) => walk(root, top.to_string(), meta.file_type(), &mut found)?,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(Error::io(root.join(top))(e)),
                    }
                }
                let on_disk: std::collections::HashSet<String> = found.iter().map(|i| i.path.clone()).collect();
                for (path, id, mode) in sparse.iter().filter(|(path, ..)| !on_disk.contains(path)) {
                    found.push(Item { path: path.clone(), kind: Kind::Blob { id: *id, mode: *mode, blob: true } });
                }
                found.sort_by(|a, b| a.path.cmp(&b.path));
                Ok(found)
            }
            Place::Tree => {
                let own = super::reopen(&self.git_dir)?;
                match self.tree {
                    Some(tree) => list_tree(&own.find_tree(tree)?),
                    None => Ok(Vec::new()),
                }
            }
        }
    }

    /// Opens what reading needs on one thread (a repository handle, when
    /// some files come from git).
    pub fn opener(&self) -> Result<Option<Reader>> {
        match &self.place {
            Place::WorkTree { sparse, .. } if sparse.is_empty() => Ok(None),
            _ => Ok(Some(Reader(super::reopen(&self.git_dir)?))),
        }
    }

    /// Reads one listed file.
    pub fn read(&self, item: &Item, reader: Option<&Reader>) -> Result<Content> {
        match (&item.kind, &self.place, reader) {
            (Kind::Disk(kind), Place::WorkTree { root, .. }, _) => read_disk(&root.join(&item.path), *kind),
            (Kind::Blob { id, mode, blob }, _, Some(reader)) => read_blob(&reader.0, *id, *mode, *blob),
            _ => Ok(Content::Other),
        }
    }

    /// What the shape rules find wrong with the commit's tree (file sizes
    /// are left to the reading).
    pub fn shape_problems(&self) -> Result<Vec<ShapeProblem>> {
        let Some(tree) = self.tree else { return Ok(Vec::new()) };
        let repo = super::reopen(&self.git_dir)?;
        let tree = repo.find_tree(tree)?;
        let trees = Trees::new(&repo);
        treeshape::audit(&trees, &tree, Sizes::Skip)
    }
}

/// Lists the files below `rel` (directories are descended, links not).
fn walk(root: &Path, rel: String, kind: fs::FileType, out: &mut Vec<Item>) -> Result<()> {
    if !kind.is_dir() {
        out.push(Item { path: rel, kind: Kind::Disk(kind) });
        return Ok(());
    }
    let full = root.join(&rel);
    let mut entries: Vec<(String, fs::FileType)> = Vec::new();
    for entry in fs::read_dir(&full).map_err(Error::io(&full))? {
        let entry = entry.map_err(Error::io(&full))?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        if !name.starts_with(".crm-") {
            entries.push((name, entry.file_type().map_err(Error::io(entry.path()))?));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in entries {
        walk(root, format!("{rel}/{name}"), kind, out)?;
    }
    Ok(())
}

fn read_disk(full: &Path, kind: fs::FileType) -> Result<Content> {
    if kind.is_symlink() {
        return Ok(Content::Link);
    }
    if !kind.is_file() {
        return Ok(Content::Other);
    }
    let file = fs::File::open(full).map_err(Error::io(full))?;
    let len = file.metadata().map_err(Error::io(full))?.len();
    if len > MAX_FILE {
        return Ok(Content::TooLarge(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(Error::io(full))?;
    Ok(Content::Bytes(bytes))
}

fn list_tree(tree: &Tree) -> Result<Vec<Item>> {
    let mut found = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        let path = format!("{dir}{}", entry.name().unwrap_or_default());
        let top = path.split('/').next().unwrap_or_default();
        if !(path == CONFIG_FILE || [STAFF_DIR, CUSTOMERS_DIR, RINGS_DIR].contains(&top)) {
            return if dir.is_empty() { TreeWalkResult::Skip } else { TreeWalkResult::Ok };
        }
        if entry.kind() != Some(ObjectType::Tree) {
            let blob = entry.kind() == Some(ObjectType::Blob);
            found.push(Item { path, kind: Kind::Blob { id: entry.id(), mode: entry.filemode(), blob } });
        }
        TreeWalkResult::Ok
    })?;
    Ok(found)
}

fn read_blob(repo: &Repository, id: Oid, mode: i32, blob: bool) -> Result<Content> {
    if !blob {
        return Ok(Content::Other);
    }
    if mode == 0o120000 {
        return Ok(Content::Link);
    }
    let (size, _) = repo.odb()?.read_header(id)?;
    if size as u64 > MAX_FILE {
        return Ok(Content::TooLarge(size as u64));
    }
    Ok(Content::Bytes(repo.find_blob(id)?.content().to_vec()))
}
