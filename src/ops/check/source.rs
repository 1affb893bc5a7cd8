//! Where `check` reads files from: the work tree (what a person is about
//! to commit, and what CI checked out) or a commit's tree (for bare
//! repositories and hooks). Links are reported, never followed; files are
//! read only up to a size limit, so a huge file cannot stall a check.

use std::fs;
use std::io::Read;
use std::path::Path;

use git2::{ObjectType, Repository, Tree, TreeWalkMode, TreeWalkResult};

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

/// Every file of `crm.toml`, `staff/` and `customers/` in the work tree.
pub fn from_work_tree(root: &Path) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for top in [CONFIG_FILE, STAFF_DIR, CUSTOMERS_DIR] {
        walk(root, top, &mut out)?;
    }
    Ok(out)
}

fn walk(root: &Path, rel: &str, out: &mut Vec<Entry>) -> Result<()> {
    let full = root.join(rel);
    let meta = match fs::symlink_metadata(&full) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(full)(e)),
    };
    let content = if meta.file_type().is_symlink() {
        Content::Link
    } else if meta.is_dir() {
        let mut names: Vec<String> = fs::read_dir(&full)
            .map_err(Error::io(&full))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| !n.starts_with(".crm-"))
            .collect();
        names.sort();
        for name in names {
            walk(root, &format!("{rel}/{name}"), out)?;
        }
        return Ok(());
    } else if !meta.is_file() {
        Content::Other
    } else if meta.len() > MAX_FILE {
        Content::TooLarge(meta.len())
    } else {
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        let file = fs::File::open(&full).map_err(Error::io(&full))?;
        file.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(Error::io(&full))?;
        Content::Bytes(bytes)
    };
    out.push(Entry { path: rel.to_string(), content });
    Ok(())
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
