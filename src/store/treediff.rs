//! Comparing two trees by descending only into subtrees whose ids differ,
//! so a one-file commit in a store of 100,000 customers costs a handful of
//! tree reads, not a walk of everything.

use git2::{ObjectType, Repository, Tree};

use super::graph;
use super::{ObjectId, Repo};
use crate::Result;

/// A blob as it is in one tree: id and file mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blob {
    /// The blob id.
    pub id: ObjectId,
    /// The file mode (0o100644, 0o120000 for a link…).
    pub mode: i32,
}

/// A path whose blob differs between two trees.
#[derive(Debug, Clone)]
pub struct FileChange {
    /// Path from the root, `/`-separated.
    pub path: String,
    /// Before (`None`: added).
    pub old: Option<Blob>,
    /// After (`None`: deleted).
    pub new: Option<Blob>,
}

/// Trees read at most once while they are needed: `verify` diffs each
/// commit and then checks the shape of the same changed trees, and a shard
/// tree of a large store is tens of KB to inflate (and, with hash checks on,
/// to hash) — over libgit2's size limit for its own object cache.
pub struct Trees<'r> {
    repo: &'r Repository,
    seen: std::cell::RefCell<std::collections::HashMap<git2::Oid, Tree<'r>>>,
}

impl Repo {
    /// An empty memo of this repository's trees.
    pub fn trees(&self) -> Trees<'_> {
        Trees::new(&self.git)
    }
}

impl<'r> Trees<'r> {
    /// An empty memo over `repo`.
    pub(crate) fn new(repo: &'r Repository) -> Trees<'r> {
        Trees { repo, seen: Default::default() }
    }

    /// The repository the trees come from.
    pub(crate) fn repo(&self) -> &'r Repository {
        self.repo
    }

    /// Forgets every tree once more than `limit` are kept (a memo shared
    /// by many commits stays bounded).
    pub fn trim(&self, limit: usize) {
        let mut seen = self.seen.borrow_mut();
        if seen.len() > limit {
            seen.clear();
        }
    }

    /// The blob at `path` below `root`, its trees read through the memo.
    pub fn blob_at(&self, root: &graph::Tree<'r>, path: &str) -> Result<Option<Blob>> {
        let mut tree = root.git().clone();
        let mut parts = path.split('/').peekable();
        while let Some(name) = parts.next() {
            let (kind, id, mode) = match tree.get_name(name) {
                Some(entry) => (entry.kind(), entry.id(), entry.filemode()),
                None => return Ok(None),
            };
            if parts.peek().is_none() {
                return Ok((kind == Some(ObjectType::Blob)).then_some(Blob { id: id.into(), mode }));
            }
            if kind != Some(ObjectType::Tree) {
                return Ok(None);
            }
            tree = self.get(id)?;
        }
        Ok(None)
    }

    /// The tree `id`, read on first use.
    pub(crate) fn get(&self, id: git2::Oid) -> Result<Tree<'r>> {
        if let Some(tree) = self.seen.borrow().get(&id) {
            return Ok(tree.clone());
        }
        let tree = self.repo.find_tree(id).map_err(|e| crate::Error::from_lookup(e, id))?;
        self.seen.borrow_mut().insert(id, tree.clone());
        Ok(tree)
    }
}

/// Every file that differs between `old` and `new` (either may be absent),
/// with `prefix` put before each path.
pub fn diff<'r>(
    repo: &'r Repository,
    old: Option<&Tree<'r>>,
    new: Option<&Tree<'r>>,
    prefix: &str,
) -> Result<Vec<FileChange>> {
    let mut out = Vec::new();
    diff_into(&Trees::new(repo), old, new, prefix, &mut out)?;
    Ok(out)
}

/// Every file that differs between `old` and `new` (either may be absent),
/// subtrees read through `trees`.
pub fn diff_in<'r>(
    trees: &Trees<'r>,
    old: Option<&graph::Tree<'r>>,
    new: Option<&graph::Tree<'r>>,
) -> Result<Vec<FileChange>> {
    let mut out = Vec::new();
    diff_into(trees, old.map(graph::Tree::git), new.map(graph::Tree::git), "", &mut out)?;
    Ok(out)
}

/// The files that differ in the subtree at `dir` of two trees.
pub fn diff_dir(repo: &Repository, old: Option<&Tree>, new: Option<&Tree>, dir: &str) -> Result<Vec<FileChange>> {
    let sub = |t: Option<&Tree>| -> Result<Option<Tree<'_>>> {
        match t.and_then(|t| t.get_name(dir)) {
            Some(e) if e.kind() == Some(ObjectType::Tree) => Ok(Some(repo.find_tree(e.id())?)),
            _ => Ok(None),
        }
    };
    let (a, b) = (sub(old)?, sub(new)?);
    if a.as_ref().map(Tree::id) == b.as_ref().map(Tree::id) {
        return Ok(Vec::new());
    }
    diff(repo, a.as_ref(), b.as_ref(), &format!("{dir}/"))
}

/// An entry's name as git sorts it: a tree sorts as if its name ended in `/`.
fn sort_key<'a>(e: &'a git2::TreeEntry<'_>) -> (&'a [u8], bool) {
    (e.name_bytes(), e.kind() == Some(ObjectType::Tree))
}

pub(crate) fn git_order(a: (&[u8], bool), b: (&[u8], bool)) -> std::cmp::Ordering {
    let slash = |(name, is_tree): (&[u8], bool)| -> Vec<u8> {
        let mut v = name.to_vec();
        if is_tree {
            v.push(b'/');
        }
        v
    };
    match a.0.cmp(b.0) {
        // Only names where one is a prefix of the other need the slash rule.
        std::cmp::Ordering::Equal => a.1.cmp(&b.1),
        _ if a.0.starts_with(b.0) || b.0.starts_with(a.0) => slash(a).cmp(&slash(b)),
        other => other,
    }
}

/// Walks both trees' sorted entries side by side (no lookups, no copies of
/// unchanged names) and descends into subtrees whose ids differ.
fn diff_into<'r>(
    trees: &Trees<'r>,
    old: Option<&Tree<'r>>,
    new: Option<&Tree<'r>>,
    prefix: &str,
    out: &mut Vec<FileChange>,
) -> Result<()> {
    let mut a = old.map(|t| t.iter()).into_iter().flatten().peekable();
    let mut b = new.map(|t| t.iter()).into_iter().flatten().peekable();
    loop {
        let order = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => {
                if x.name_bytes() == y.name_bytes() && x.id() == y.id() && x.filemode() == y.filemode() {
                    a.next();
                    b.next();
                    continue;
                }
                git_order(sort_key(x), sort_key(y))
            }
        };
        let (x, y) = match order {
            std::cmp::Ordering::Less => (a.next(), None),
            std::cmp::Ordering::Greater => (None, b.next()),
            std::cmp::Ordering::Equal => (a.next(), b.next()),
        };
        let name = x.as_ref().or(y.as_ref()).and_then(|e| e.name().ok()).unwrap_or_default();
        let path = format!("{prefix}{name}");
        let tree_of = |e: &Option<git2::TreeEntry<'_>>| -> Result<Option<Tree<'r>>> {
            match e {
                Some(e) if e.kind() == Some(ObjectType::Tree) => Ok(Some(trees.get(e.id())?)),
                _ => Ok(None),
            }
        };
        let blob_of = |e: &Option<git2::TreeEntry<'_>>| match e {
            Some(e) if e.kind() == Some(ObjectType::Blob) => Some(Blob { id: e.id().into(), mode: e.filemode() }),
            _ => None,
        };
        let (ta, tb) = (tree_of(&x)?, tree_of(&y)?);
        if ta.is_some() || tb.is_some() {
            diff_into(trees, ta.as_ref(), tb.as_ref(), &format!("{path}/"), out)?;
        }
        let (ba, bb) = (blob_of(&x), blob_of(&y));
        if (ba.is_some() || bb.is_some()) && ba != bb {
            out.push(FileChange { path, old: ba, new: bb });
        }
    }
    Ok(())
}
