//! Where `check` reads files from: the work tree (what a person is about
//! to commit, and what CI checked out) or a commit's tree (for bare
//! repositories and hooks). Links are reported, never followed; files are
//! read only up to a size limit, so a huge file cannot stall a check.

use std::fs;
use std::io::Read;
use std::path::Path;

use git2::{ObjectType, Repository, Tree, TreeWalkMode, TreeWalkResult};
use rayon::prelude::*;

use crate::store::layout::{CONFIG_FILE, CUSTOMERS_DIR, STAFF_DIR};
use crate::{Error, Result};

/// Largest record file read (1 MiB).
pub const MAX_FILE: u64 = 1 << 20;

/// A file found in the store.
#[derive(Debug)]
pub struct Entry {
    /// Path from the store root, `/`-separated.
    pub path: String,
    /// What is there.
    pub content: Content,
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

/// Every file of `crm.toml`, `staff/` and `customers/` in the work tree,
/// read on all cores.
pub fn from_work_tree(root: &Path) -> Result<Vec<Entry>> {
    let mut found = Vec::new();
    for top in [CONFIG_FILE, STAFF_DIR, CUSTOMERS_DIR] {
        match fs::symlink_metadata(root.join(top)) {
            Ok(meta) => walk(root, top.to_string(), meta.file_type(), &mut found)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(root.join(top))(e)),
        }
    }
    found.into_par_iter().map(|(rel, kind)| read(root, rel, kind)).collect()
}

/// Lists the files below `rel` (directories are descended, links not).
fn walk(root: &Path, rel: String, kind: fs::FileType, out: &mut Vec<(String, fs::FileType)>) -> Result<()> {
    if !kind.is_dir() {
        out.push((rel, kind));
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

fn read(root: &Path, rel: String, kind: fs::FileType) -> Result<Entry> {
    let full = root.join(&rel);
    let content = if kind.is_symlink() {
        Content::Link
    } else if !kind.is_file() {
        Content::Other
    } else {
        let file = fs::File::open(&full).map_err(Error::io(&full))?;
        let len = file.metadata().map_err(Error::io(&full))?.len();
        if len > MAX_FILE {
            Content::TooLarge(len)
        } else {
            let mut bytes = Vec::with_capacity(len as usize);
            file.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(Error::io(&full))?;
            Content::Bytes(bytes)
        }
    };
    Ok(Entry { path: rel, content })
}

/// Every file of `crm.toml`, `staff/` and `customers/` in a commit's tree.
pub fn from_tree(repo: &Repository, tree: &Tree) -> Result<Vec<Entry>> {
    let mut found = Vec::new();
    tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
        let path = format!("{dir}{}", entry.name().unwrap_or_default());
        let top = path.split('/').next().unwrap_or_default();
        if !(path == CONFIG_FILE || top == STAFF_DIR || top == CUSTOMERS_DIR) {
            return if dir.is_empty() { TreeWalkResult::Skip } else { TreeWalkResult::Ok };
        }
        if entry.kind() != Some(ObjectType::Tree) {
            found.push((path, entry.id(), entry.filemode(), entry.kind()));
        }
        TreeWalkResult::Ok
    })?;
    let mut out = Vec::with_capacity(found.len());
    for (path, id, mode, kind) in found {
        let content = match (kind, mode) {
            (Some(ObjectType::Blob), 0o120000) => Content::Link,
            (Some(ObjectType::Blob), _) => {
                let (size, _) = repo.odb()?.read_header(id)?;
                if size as u64 > MAX_FILE {
                    Content::TooLarge(size as u64)
                } else {
                    Content::Bytes(repo.find_blob(id)?.content().to_vec())
                }
            }
            _ => Content::Other,
        };
        out.push(Entry { path, content });
    }
    Ok(out)
}
