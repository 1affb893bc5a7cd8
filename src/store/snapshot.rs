//! A read-only view of the store as it is in one tree (usually HEAD's):
//! settings, staff and customers, read straight from git objects.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Tree};
use rayon::prelude::*;

use super::graph;
use super::layout::{self, CONFIG_FILE, CUSTOMERS_DIR, STAFF_DIR};
use super::treediff::Trees;
use super::treeshape::{self, Sizes};
use super::Repo;
use crate::model::schema::{from_toml, utf8_error_at};
use crate::model::{Customer, CustomerId, Handle, Staff, StoreConfig};
use crate::{Error, Result};

/// The store in one tree.
pub struct Snapshot<'r> {
    repo: &'r Repository,
    tree: Option<Tree<'r>>,
    /// Directory trees already looked up (a bulk command reads thousands of
    /// files from the same 256 shard directories).
    dirs: std::cell::RefCell<HashMap<String, Option<Tree<'r>>>>,
}

/// A file a reading command left out because it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unreadable {
    /// The file, from the store root.
    pub path: String,
    /// 1-based line of the problem (`None`: the file as a whole, as for
    /// a tree entry that breaks the store's shape).
    pub line: Option<usize>,
    /// 1-based column of the problem, with `line`.
    pub column: Option<usize>,
    /// Why, in one sentence (without the path).
    pub reason: String,
}

impl Unreadable {
    /// The file at `path`, left out for `e` (an error about its content).
    pub fn of(path: &str, e: Error) -> Unreadable {
        let at = |line, column, reason| Unreadable {
            path: path.to_string(),
            line: Some(line),
            column: Some(column),
            reason,
        };
        match e {
            Error::Malformed { line, column, message, .. } => at(line, column, message),
            Error::InvalidUtf8 { line, column, offset, .. } => {
                at(line, column, format!("invalid UTF-8 at byte {offset}"))
            }
            other => Unreadable { path: path.to_string(), line: None, column: None, reason: other.to_string() },
        }
    }
}

impl From<Unreadable> for Error {
    /// The error of a command that needed this very file.
    fn from(u: Unreadable) -> Error {
        let (line, column) = (u.line.unwrap_or(1), u.column.unwrap_or(1));
        Error::Malformed { path: u.path, line, column, message: u.reason }
    }
}

impl std::fmt::Display for Unreadable {
    /// `path:line:column: reason`, as compilers and `crm check` name a
    /// place (`path: reason` without a position).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{}:{line}:{column}: {}", self.path, self.reason),
            _ => write!(f, "{}: {}", self.path, self.reason),
        }
    }
}

/// What a reading command could read, and the files it had to leave out:
/// one bad file never hides all the others. In JSON, `value`'s fields (it
/// must be an object) and `unreadable: [{path, line, column, reason}]`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Readable<T> {
    /// Everything that could be read.
    #[serde(flatten)]
    pub value: T,
    /// The files left out.
    #[serde(rename = "unreadable")]
    pub skipped: Vec<Unreadable>,
}

/// Whether `e` concerns one file's content (it is left out and named), as
/// opposed to the repository (the command stops).
fn is_per_file(e: &Error) -> bool {
    matches!(e, Error::Malformed { .. } | Error::InvalidUtf8 { .. } | Error::InvalidValue { .. })
}

/// A customer file found in a tree.
#[derive(Debug, Clone)]
pub struct CustomerEntry {
    /// Path relative to the store root.
    pub path: String,
    /// The shard directory it sits in.
    pub shard: String,
    /// The file stem (not yet validated as an id).
    pub stem: String,
    /// The blob.
    pub oid: Oid,
}

impl Repo {
    /// A view of the store in `tree`.
    pub fn snapshot<'r>(&'r self, tree: &graph::Tree<'r>) -> Snapshot<'r> {
        Snapshot::new(&self.git, Some(tree.git().clone()))
    }
}

impl<'r> Snapshot<'r> {
    /// A view of `tree` (`None`: the empty store before the first commit).
    pub fn new(repo: &'r Repository, tree: Option<Tree<'r>>) -> Self {
        Snapshot { repo, tree, dirs: Default::default() }
    }

    /// The repository this view reads.
    pub fn repo(&self) -> &'r Repository {
        self.repo
    }

    /// The tree this view reads.
    pub fn tree(&self) -> Option<&Tree<'r>> {
        self.tree.as_ref()
    }

    /// The blob id at `path`, if there is a file there.
    pub fn blob_id(&self, path: &str) -> Option<Oid> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let entry = self.dir_tree(dir)?.get_name(name)?.to_owned();
        (entry.kind() == Some(ObjectType::Blob)).then(|| entry.id())
    }

    /// The tree of directory `dir` ("" for the root), read once per
    /// snapshot: a shard tree of a large store is a deep delta to unpack.
    pub fn dir_tree(&self, dir: &str) -> Option<Tree<'r>> {
        let root = self.tree.as_ref()?;
        if dir.is_empty() {
            return Some(root.clone());
        }
        let mut dirs = self.dirs.borrow_mut();
        let tree = dirs.entry(dir.to_string()).or_insert_with(|| {
            let entry = root.get_path(Path::new(dir)).ok()?;
            self.repo.find_tree(entry.id()).ok()
        });
        tree.clone()
    }

    /// The text of the file at `path`, checked to be UTF-8.
    pub fn text(&self, path: &str) -> Result<Option<String>> {
        match self.blob_id(path) {
            Some(oid) => self.text_of(path, oid).map(Some),
            None => Ok(None),
        }
    }

    /// The text of blob `oid`, which is the file at `path`.
    pub fn text_of(&self, path: &str, oid: Oid) -> Result<String> {
        // The work tree's copy when it is this very blob (cheaper than
        // unpacking a deltified object), else the object.
        if let Some(text) = self.repo.workdir().and_then(|w| same_on_disk(w, path, oid)) {
            return Ok(text);
        }
        text_of(self.repo, path, oid)
    }

    /// Whether this tree holds a store (has `crm.toml`).
    pub fn is_store(&self) -> bool {
        self.blob_id(CONFIG_FILE).is_some()
    }

    /// `crm.toml`.
    pub fn config(&self) -> Result<StoreConfig> {
        let src = self.text(CONFIG_FILE)?.ok_or_else(|| Error::Missing(format!("{CONFIG_FILE} in the store")))?;
        from_toml(CONFIG_FILE, &src)
    }

    /// Every staff member, by handle.
    pub fn staff(&self) -> Result<BTreeMap<Handle, Staff>> {
        self.staff_reusing(&mut HashMap::new())
    }

    /// [`Snapshot::staff`], taking each file already read in `known` (by
    /// blob) from there and adding the others: the staff trees of a
    /// history's commits share most of their files.
    pub fn staff_reusing(&self, known: &mut HashMap<Oid, Staff>) -> Result<BTreeMap<Handle, Staff>> {
        let mut staff = BTreeMap::new();
        let Some(dir) = self.subtree(STAFF_DIR)? else {
            return Ok(staff);
        };
        for entry in dir.iter() {
            let Some(stem) = entry.name().ok().and_then(layout::toml_stem) else {
                continue;
            };
            let handle = Handle::parse(stem)?;
            let mut person = match known.get(&entry.id()) {
                Some(person) => person.clone(),
                None => {
                    let path = format!("{STAFF_DIR}/{stem}.toml");
                    let person: Staff = from_toml(&path, &self.text_of(&path, entry.id())?)?;
                    known.entry(entry.id()).or_insert(person).clone()
                }
            };
            person.handle = handle.clone();
            staff.insert(handle, person);
        }
        Ok(staff)
    }

    /// The handles the files in `staff/` are named for (names that are no
    /// valid handle left out; the files are not read).
    pub fn staff_handles(&self) -> Result<Vec<Handle>> {
        let Some(dir) = self.subtree(STAFF_DIR)? else { return Ok(Vec::new()) };
        Ok(dir.iter().filter_map(|e| Handle::parse(layout::toml_stem(e.name().ok()?)?).ok()).collect())
    }

    /// Whether the tree has an entry at `path` (a file, readable or not,
    /// or anything else).
    pub fn has_entry(&self, path: &str) -> bool {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        self.dir_tree(dir).is_some_and(|t| t.get_name(name).is_some())
    }

    /// The tree id of `staff/`, to tell whether staff changed between trees.
    pub fn staff_tree_id(&self) -> Option<Oid> {
        let entry = self.tree.as_ref()?.get_name(STAFF_DIR)?;
        Some(entry.id())
    }

    /// One staff member.
    pub fn person(&self, handle: &Handle) -> Result<Staff> {
        let path = layout::staff_path(handle);
        let src = self.text(&path)?.ok_or_else(|| Error::UnknownStaff(handle.to_string()))?;
        let mut person: Staff = from_toml(&path, &src)?;
        person.handle = handle.clone();
        Ok(person)
    }

    /// The subtree at `path`, if there is one.
    pub fn subtree(&self, path: &str) -> Result<Option<Tree<'r>>> {
        let Some(tree) = &self.tree else {
            return Ok(None);
        };
        match tree.get_path(std::path::Path::new(path)) {
            Ok(e) if e.kind() == Some(ObjectType::Tree) => Ok(Some(self.repo.find_tree(e.id())?)),
            _ => Ok(None),
        }
    }

    /// The `*.toml` entries of the shard directories, shape unchecked.
    fn entries_unchecked(&self, trees: &Trees<'r>) -> Result<Vec<CustomerEntry>> {
        let mut out = Vec::new();
        let Some(customers) = self.subtree(CUSTOMERS_DIR)? else {
            return Ok(out);
        };
        for shard in customers.iter() {
            // (A name that is not UTF-8 is reported by the shape rules.)
            let Some(shard_name) = shard.name().ok().filter(|_| shard.kind() == Some(ObjectType::Tree)) else {
                continue;
            };
            for file in trees.get(shard.id())?.iter() {
                let Some(stem) = file.name().ok().and_then(layout::toml_stem) else {
                    continue;
                };
                out.push(CustomerEntry {
                    path: format!("{CUSTOMERS_DIR}/{shard_name}/{stem}.toml"),
                    shard: shard_name.to_string(),
                    stem: stem.to_string(),
                    oid: file.id(),
                });
            }
        }
        Ok(out)
    }

    /// Every staff member whose file can be read, and the files that
    /// cannot.
    pub fn readable_staff(&self) -> Result<Readable<BTreeMap<Handle, Staff>>> {
        let mut staff = BTreeMap::new();
        let mut skipped = Vec::new();
        let Some(dir) = self.subtree(STAFF_DIR)? else { return Ok(Readable { value: staff, skipped }) };
        for entry in dir.iter() {
            let Some(stem) = entry.name().ok().and_then(layout::toml_stem) else { continue };
            let path = format!("{STAFF_DIR}/{stem}.toml");
            let person = Handle::parse(stem).and_then(|handle| {
                let mut person: Staff = from_toml(&path, &self.text_of(&path, entry.id())?)?;
                person.handle = handle;
                Ok(person)
            });
            match person {
                Ok(p) => {
                    staff.insert(p.handle.clone(), p);
                }
                Err(e) if is_per_file(&e) => skipped.push(Unreadable::of(&path, e)),
                Err(e) => return Err(e),
            }
        }
        Ok(Readable { value: staff, skipped })
    }

    /// Every customer file entry of a well-formed shape, and the entries the
    /// shape rules leave out (both copies of a name listed twice, a copy in
    /// the wrong shard, a link or submodule…).
    pub fn readable_customer_entries(&self) -> Result<Readable<Vec<CustomerEntry>>> {
        let Some(root) = self.tree.as_ref() else { return Ok(Readable { value: Vec::new(), skipped: Vec::new() }) };
        let under = format!("{CUSTOMERS_DIR}/");
        // The shape check and the listing read the same shard trees once.
        let trees = Trees::new(self.repo);
        let skipped: Vec<Unreadable> = treeshape::audit(&trees, root, Sizes::Skip)?
            .into_iter()
            .filter(|p| p.path.starts_with(&under) || p.path == CUSTOMERS_DIR)
            .map(|p| Unreadable {
                path: p.path,
                line: None,
                column: None,
                reason: format!("the committed tree {}", p.message),
            })
            .collect();
        let left_out: std::collections::HashSet<&str> = skipped.iter().map(|s| s.path.as_str()).collect();
        let mut entries = self.entries_unchecked(&trees)?;
        entries.retain(|e| !left_out.contains(e.path.as_str()));
        Ok(Readable { value: entries, skipped })
    }

    /// Every customer that can be read, passed through `keep`, and the
    /// files that cannot (in path order).
    pub fn map_readable_customers<T: Send>(&self, keep: impl Fn(Customer) -> T + Sync) -> Result<Readable<Vec<T>>> {
        let Readable { value: entries, skipped } = self.readable_customer_entries()?;
        let mut read = self.map_readable_entries(entries, keep)?;
        read.skipped.extend(skipped);
        read.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(read)
    }

    /// The customers of `entries` that can be read, passed through `keep`,
    /// and the files that cannot (in `entries` order).
    pub fn map_readable_entries<T: Send>(
        &self,
        entries: Vec<CustomerEntry>,
        keep: impl Fn(Customer) -> T + Sync,
    ) -> Result<Readable<Vec<T>>> {
        let mut skipped = Vec::new();
        let judge = |_: &mut (), e: &CustomerEntry, text: Result<String>| {
            let parsed =
                text.and_then(|text| CustomerId::parse(&e.stem).and_then(|id| Customer::parse(&id, &e.path, &text)));
            match parsed {
                Ok(c) => Ok(Ok(keep(c))),
                Err(err) if is_per_file(&err) => Ok(Err(Unreadable::of(&e.path, err))),
                Err(err) => Err(err),
            }
        };
        let read = self.map_texts(entries, || (), judge)?;
        let mut value = Vec::with_capacity(read.len());
        for r in read {
            match r {
                Ok(v) => value.push(v),
                Err(u) => skipped.push(u),
            }
        }
        Ok(Readable { value, skipped })
    }

    /// Every customer that can be read, and the files that cannot.
    pub fn readable_customers(&self) -> Result<Readable<Vec<Customer>>> {
        self.map_readable_customers(|c| c)
    }

    /// One customer, or `None` when there is no such file; an error when
    /// its shard holds the name twice (which copy git shows is arbitrary)
    /// or holds something other than a file there (a directory, a link).
    pub fn customer(&self, id: &CustomerId) -> Result<Option<Customer>> {
        const FILE: i32 = 0o100644;
        const EXECUTABLE: i32 = 0o100755;
        let path = layout::customer_path(id);
        let (dir, name) = path.rsplit_once('/').unwrap_or_default();
        if let Some(shard) = self.dir_tree(dir) {
            let mut same = shard.iter().filter(|e| e.name_bytes() == name.as_bytes());
            let why = match (same.next(), same.next()) {
                (_, Some(_)) => Some("holds this file twice"),
                (Some(e), None) if ![FILE, EXECUTABLE].contains(&e.filemode()) => {
                    Some("holds a directory, link or submodule where this file belongs")
                }
                _ => None,
            };
            if let Some(why) = why {
                let message = format!("the committed tree {why}; run `crm check`");
                return Err(Error::Malformed { path, line: 1, column: 1, message });
            }
        }
        match self.text(&path)? {
            Some(src) => Customer::parse(id, &path, &src).map(Some),
            None => Ok(None),
        }
    }

    /// One customer that must exist.
    pub fn existing_customer(&self, id: &CustomerId) -> Result<Customer> {
        self.customer(id)?.ok_or_else(|| Error::UnknownCustomer(id.to_string()))
    }

    /// `f` of each file's entry and text, on all cores (each thread with
    /// its own handle on the repository), in `entries` order; the first
    /// error stops it.
    pub fn map_files<T: Send>(
        &self,
        entries: Vec<CustomerEntry>,
        f: impl Fn(&CustomerEntry, String) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        self.map_texts(entries, || (), |_, e, text| f(e, text?))
    }

    /// [`Snapshot::map_files`] with state of each thread's own, made by
    /// `init` (a memo that pays off over many files).
    pub fn map_files_with<S, T: Send>(
        &self,
        entries: Vec<CustomerEntry>,
        init: impl Fn() -> S + Sync,
        f: impl Fn(&mut S, &CustomerEntry, String) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        self.map_texts(entries, init, |state, e, text| f(state, e, text?))
    }

    /// `f` of each thread's state (made by `init`), each file's entry and
    /// its text (or why the text cannot be had: not UTF-8, say), like
    /// [`Snapshot::map_files`].
    fn map_texts<S, T: Send>(
        &self,
        entries: Vec<CustomerEntry>,
        init: impl Fn() -> S + Sync,
        f: impl Fn(&mut S, &CustomerEntry, Result<String>) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        const SMALL: usize = 256;
        let workdir = self.repo.workdir().map(Path::to_path_buf);
        let read = |repo: &Repository, state: &mut S, e: &CustomerEntry| -> Result<T> {
            let text = match workdir.as_deref().and_then(|w| same_on_disk(w, &e.path, e.oid)) {
                Some(text) => Ok(text),
                None => text_of(repo, &e.path, e.oid),
            };
            f(state, e, text)
        };
        if entries.len() <= SMALL {
            let mut state = init();
            return entries.iter().map(|e| read(self.repo, &mut state, e)).collect();
        }
        let git_dir = self.repo.path().to_path_buf();
        entries
            .par_iter()
            .map_init(
                || (super::reopen(&git_dir), init()),
                |(own, state), e| match own {
                    Ok(repo) => read(repo, state, e),
                    Err(err) => Err(Error::Git(err.message().to_string())),
                },
            )
            .collect()
    }
}

/// The text of blob `oid` of `repo`, which is the file at `path`, checked to
/// be UTF-8.
fn text_of(repo: &Repository, path: &str, oid: Oid) -> Result<String> {
    let blob = repo.find_blob(oid).map_err(|e| Error::from_lookup(e, oid))?;
    String::from_utf8(blob.content().to_vec()).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let (line, column) = utf8_error_at(e.as_bytes(), offset);
        Error::InvalidUtf8 { path: path.to_string(), line, column, offset }
    })
}

/// The work tree's copy of `path` when it holds exactly blob `oid`: reading
/// a file is much cheaper than unpacking a deeply deltified object, and the
/// hash proves the content is the same.
pub fn same_on_disk(workdir: &Path, path: &str, oid: Oid) -> Option<String> {
    let full = workdir.join(path);
    // Only a regular file: a FIFO or a link to a device would block the
    // read forever.
    if !std::fs::symlink_metadata(&full).ok()?.is_file() {
        return None;
    }
    let bytes = std::fs::read(full).ok()?;
    if blob_id(&bytes) != oid {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// Git's object id of a blob with these bytes (`git hash-object`), with a
/// plain SHA-1: libgit2's collision-detecting one is several times slower,
/// and a mismatch here only means reading the object instead.
pub fn blob_id(bytes: &[u8]) -> Oid {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    Oid::from_bytes(&h.finalize()).unwrap_or(Oid::ZERO_SHA1)
}

#[cfg(test)]
mod tests {
    use crate::store::scratch::Scratch;

    #[test]
    fn staff_handles_are_the_valid_names_of_staff_files() {
        let s = Scratch::new();
        let files =
            [("crm.toml", ""), ("staff/li.na.toml", "not [toml"), ("staff/Li Na.toml", ""), ("staff/notes.md", "")];
        let with_staff = s.commit(&[], &files, "a@example.com", 1_000);
        let without = s.commit(&[], &[("crm.toml", "")], "a@example.com", 1_000);
        let handles = |id| {
            let tree = s.repo.find_commit(id).unwrap().tree().unwrap();
            s.repo.snapshot(&tree).staff_handles().unwrap().iter().map(ToString::to_string).collect::<Vec<_>>()
        };
        assert_eq!(handles(with_staff), ["li.na"]);
        assert!(handles(without).is_empty());
    }
}
