//! One definition of a well-formed store tree, shared by `check` (which
//! audits a whole tree) and `verify` (which audits only what each commit
//! changed). A work tree cannot show a tree's shape faithfully: a checkout
//! writes one file for two entries of the same name, an empty directory for
//! a submodule, and refuses `.git`. So the rules are judged on git's trees:
//!
//! - every tree: entry names are UTF-8, never empty, `.`, `..` or `.git`
//!   (in any case), sorted the way git sorts them and unique;
//! - `crm.toml`: a regular file; `staff/` and `customers/`: directories;
//! - `staff/HANDLE.toml`: regular files directly in `staff/`;
//! - `customers/XX/ID.toml`: regular files, one level below `customers/`,
//!   in the shard directory of their id;
//! - no record file larger than [`MAX_RECORD`] bytes (when sizes are
//!   audited).

use std::cmp::Ordering;

use git2::{ObjectType, Tree, TreeEntry};

use super::graph;
use super::layout::{toml_stem, CONFIG_FILE, CUSTOMERS_DIR, STAFF_DIR};
use super::treediff::{git_order, Trees};
use crate::model::ids::shard_of;
use crate::model::rule_ids::CheckRule;
use crate::model::{CustomerId, Handle};
use crate::Result;

/// Largest record file (1 MiB).
pub const MAX_RECORD: u64 = 1 << 20;

/// A way a tree breaks the store's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeProblem {
    /// Where, from the root (`/`-separated; undecodable bytes replaced).
    pub path: String,
    /// The `check` rule it breaks.
    pub rule: CheckRule,
    /// What is wrong.
    pub message: String,
}

/// Whether blob sizes are audited (a read per changed blob).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sizes {
    /// Read each blob's size and apply [`MAX_RECORD`].
    Audit,
    /// Skip sizes (the caller reads the files and measures them itself).
    Skip,
}

/// Where in the store a tree sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place<'a> {
    Root,
    Staff,
    Customers,
    Shard(&'a str),
    /// Below `customers/XX/`, or a shard directory with a wrong name.
    TooDeep,
    /// Outside the store's directories: only the name rules apply.
    Elsewhere,
}

/// Audits every entry of `tree`, its subtrees read through `trees`.
pub(crate) fn audit<'r>(trees: &Trees<'r>, tree: &Tree<'r>, sizes: Sizes) -> Result<Vec<ShapeProblem>> {
    audit_entries(trees, None, tree, sizes)
}

/// Audits the entries of `new` that are not the same in `old`, descending
/// only into subtrees whose ids differ (a one-file commit costs a handful
/// of tree reads, shared with a diff of the same trees through `trees`).
pub fn audit_changed<'r>(
    trees: &Trees<'r>,
    old: Option<&graph::Tree<'r>>,
    new: &graph::Tree<'r>,
    sizes: Sizes,
) -> Result<Vec<ShapeProblem>> {
    audit_entries(trees, old.map(graph::Tree::git), new.git(), sizes)
}

/// The entries of `new` not the same in `old`, audited.
fn audit_entries<'r>(
    trees: &Trees<'r>,
    old: Option<&Tree<'r>>,
    new: &Tree<'r>,
    sizes: Sizes,
) -> Result<Vec<ShapeProblem>> {
    let mut out = Vec::new();
    Auditor { trees, sizes, out: &mut out }.tree(old, new, "", Place::Root)?;
    Ok(out)
}

struct Auditor<'a, 'r> {
    trees: &'a Trees<'r>,
    sizes: Sizes,
    out: &'a mut Vec<ShapeProblem>,
}

impl<'r> Auditor<'_, 'r> {
    fn problem(&mut self, path: &str, rule: CheckRule, message: impl Into<String>) {
        self.out.push(ShapeProblem { path: path.to_string(), rule, message: message.into() });
    }

    fn tree(&mut self, old: Option<&Tree<'r>>, new: &Tree<'r>, prefix: &str, place: Place<'_>) -> Result<()> {
        let mut previous: Option<TreeEntry<'_>> = None;
        for entry in new.iter() {
            let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
            let path = format!("{prefix}{name}");
            if let Some(before) = &previous {
                match git_order(sort_key(before), sort_key(&entry)) {
                    Ordering::Less => {}
                    Ordering::Equal => self.problem(&path, CheckRule::MalformedTree, "appears twice in its directory"),
                    Ordering::Greater => {
                        self.problem(&path, CheckRule::MalformedTree, "is out of git's order in its tree")
                    }
                }
                if before.name_bytes() == entry.name_bytes() && sort_key(before) != sort_key(&entry) {
                    self.problem(&path, CheckRule::MalformedTree, "is both a file and a directory");
                }
            }
            let same = old.and_then(|o| o.get_name_bytes(entry.name_bytes()).map(|e| e.to_owned()));
            let unchanged = same.as_ref().is_some_and(|s| s.id() == entry.id() && s.filemode() == entry.filemode());
            if !unchanged {
                self.entry(&entry, same.as_ref(), &path, place)?;
            }
            previous = Some(entry);
        }
        Ok(())
    }

    fn entry(
        &mut self,
        entry: &TreeEntry<'_>,
        old: Option<&TreeEntry<'_>>,
        path: &str,
        place: Place<'_>,
    ) -> Result<()> {
        let Ok(name) = std::str::from_utf8(entry.name_bytes()) else {
            self.problem(path, CheckRule::MalformedTree, "has a name that is not UTF-8");
            return Ok(());
        };
        if let Some(why) = forbidden_name(name) {
            self.problem(path, CheckRule::MalformedTree, why);
            return Ok(());
        }
        let is_tree = entry.kind() == Some(ObjectType::Tree);
        let child = match (place, name) {
            (Place::Root, CONFIG_FILE) => return self.record(entry, path),
            (Place::Root, STAFF_DIR) => Place::Staff,
            (Place::Root, CUSTOMERS_DIR) => Place::Customers,
            (Place::Root | Place::Elsewhere, _) => Place::Elsewhere,
            (Place::Customers, shard) if is_tree && is_shard_name(shard) => Place::Shard(shard),
            (Place::Staff | Place::Shard(_), _) if is_tree && toml_stem(name).is_some() => {
                self.regular(entry, path);
                return Ok(());
            }
            (Place::Staff | Place::Customers | Place::Shard(_) | Place::TooDeep, _) if is_tree => Place::TooDeep,
            (Place::Staff, _) => return self.staff_file(entry, name, path),
            (Place::Shard(shard), _) => return self.customer_file(entry, name, shard, path),
            (Place::Customers | Place::TooDeep, _) => {
                let why = format!("store files belong at {STAFF_DIR}/HANDLE.toml or {CUSTOMERS_DIR}/XX/ID.toml");
                return self.misplaced_or_not_file(entry, path, why);
            }
        };
        if entry.kind() == Some(ObjectType::Commit) && child != Place::Elsewhere {
            self.problem(path, CheckRule::NotAFile, "is a submodule (gitlink); the store holds regular files only");
            return Ok(());
        }
        if !is_tree {
            if matches!(child, Place::Staff | Place::Customers) {
                self.problem(path, CheckRule::NotAFile, format!("`{name}` must be a directory"));
            }
            return Ok(());
        }
        let new = self.trees.get(entry.id())?;
        let old = match old {
            Some(o) if o.kind() == Some(ObjectType::Tree) => Some(self.trees.get(o.id())?),
            _ => None,
        };
        self.tree(old.as_ref(), &new, &format!("{path}/"), child)
    }

    fn misplaced_or_not_file(&mut self, entry: &TreeEntry<'_>, path: &str, why: String) -> Result<()> {
        if self.regular(entry, path) {
            self.problem(path, CheckRule::MisplacedFile, why);
        }
        Ok(())
    }

    fn staff_file(&mut self, entry: &TreeEntry<'_>, name: &str, path: &str) -> Result<()> {
        let Some(stem) = toml_stem(name) else { return Ok(()) };
        if Handle::parse(stem).is_err() {
            self.problem(path, CheckRule::InvalidHandle, format!("`{stem}` is not a valid handle"));
        }
        self.record(entry, path)
    }

    fn customer_file(&mut self, entry: &TreeEntry<'_>, name: &str, shard: &str, path: &str) -> Result<()> {
        let Some(stem) = toml_stem(name) else { return Ok(()) };
        if CustomerId::parse(stem).is_err() {
            self.problem(path, CheckRule::InvalidId, format!("`{stem}` is not a valid customer id"));
        } else if shard_of(stem) != shard {
            let want = shard_of(stem);
            self.problem(
                path,
                CheckRule::WrongShard,
                format!("belongs in {CUSTOMERS_DIR}/{want}/ (shard of `{stem}`), not {shard}/"),
            );
        }
        self.record(entry, path)
    }

    /// Whether `entry` is a regular blob; reports it when it is not.
    fn regular(&mut self, entry: &TreeEntry<'_>, path: &str) -> bool {
        match (entry.kind(), entry.filemode()) {
            (Some(ObjectType::Blob), 0o100644 | 0o100755) => true,
            (Some(ObjectType::Blob), 0o120000) => {
                self.problem(path, CheckRule::NotAFile, "is a symbolic link; crm does not follow links");
                false
            }
            (Some(ObjectType::Commit), _) => {
                self.problem(path, CheckRule::NotAFile, "is a submodule (gitlink); the store holds regular files only");
                false
            }
            (Some(ObjectType::Tree), _) => {
                self.problem(path, CheckRule::NotAFile, "is a directory where a file belongs");
                false
            }
            _ => {
                self.problem(path, CheckRule::NotAFile, "is not a regular file");
                false
            }
        }
    }

    /// A record file: regular, and within the size limit.
    fn record(&mut self, entry: &TreeEntry<'_>, path: &str) -> Result<()> {
        if !self.regular(entry, path) || self.sizes == Sizes::Skip {
            return Ok(());
        }
        let id = entry.id();
        let (size, _) = self.trees.repo().odb()?.read_header(id).map_err(|e| crate::Error::from_lookup(e, id))?;
        if size as u64 > MAX_RECORD {
            self.problem(
                path,
                CheckRule::FileTooLarge,
                format!("is {size} bytes; records are limited to {MAX_RECORD} bytes"),
            );
        }
        Ok(())
    }
}

fn sort_key<'a>(e: &'a TreeEntry<'_>) -> (&'a [u8], bool) {
    (e.name_bytes(), e.kind() == Some(ObjectType::Tree))
}

/// A shard directory's name: two lowercase hex digits.
fn is_shard_name(name: &str) -> bool {
    name.len() == 2 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why git itself would refuse to check out an entry with this name (the
/// rules of git's `verify_path`, including the spellings NTFS and HFS+
/// resolve to `.git`), or `None`.
fn forbidden_name(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.contains('/') || name.contains('\0') {
        return Some("has an empty or impossible name");
    }
    if name == "." || name == ".." {
        return Some("is named `.` or `..`");
    }
    // HFS+ ignores some zero-width characters; NTFS ignores trailing dots
    // and spaces and knows `.git` by its short name `git~1`.
    let folded: String = name.chars().filter(|c| !is_hfs_ignorable(*c)).collect::<String>().to_ascii_lowercase();
    let trimmed = folded.trim_end_matches(['.', ' ']);
    if trimmed == ".git" || trimmed == "git~1" || trimmed.starts_with(".git:") {
        return Some("is named like git's own directory `.git`, which no checkout can hold");
    }
    None
}

fn is_hfs_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_git_refuses_are_forbidden() {
        for name in [".", "..", ".git", ".GIT", ".Git.", ".git ", "git~1", ".g\u{200c}it", ""] {
            assert!(forbidden_name(name).is_some(), "{name:?}");
        }
        for name in [".gitattributes", "git", ".gitx", "a.toml", "客户.toml"] {
            assert!(forbidden_name(name).is_none(), "{name:?}");
        }
    }

    #[test]
    fn shard_names_are_two_lowercase_hex_digits() {
        assert!(is_shard_name("0a") && is_shard_name("ff"));
        assert!(!is_shard_name("0A") && !is_shard_name("0") && !is_shard_name("0ab") && !is_shard_name("zz"));
    }
}
