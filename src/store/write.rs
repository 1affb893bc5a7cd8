//! Writing the store: one action becomes one commit, all or nothing.
//!
//! A [`Transaction`] holds git's own `index.lock` ([`super::lock`]) from the
//! moment it reads the store until the commit is in place, so a concurrent
//! `crm` or `git` command waits its turn or is refused ("store is busy")
//! instead of losing an update. The commit's tree is HEAD's tree with only
//! the changed paths (and the shard trees above them) rebuilt; the branch
//! moves by compare-and-swap on the commit we started from; only then are
//! the work tree files and their index entries updated, under a journal
//! ([`super::journal`]) that lets the next command finish a write that was
//! killed half-way.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use git2::{Commit, ErrorCode, ObjectType, Oid, Signature, Time, Tree};
use rayon::prelude::*;

use super::index_file::{IndexFile, Stat};
use super::journal::Pending;
use super::lock::{self, Lock};
use super::pack;
use super::signing::Signer;
use super::snapshot::blob_id;
use super::{is_unborn, ObjectId, Snapshot, Store};
use crate::model::timestamp::Timestamp;
use crate::{Error, Result};

/// A file to write (`Some`) or delete (`None`), by path from the store root.
#[derive(Debug, Clone)]
pub struct Change {
    /// Path relative to the store root, `/`-separated.
    pub path: String,
    /// New content, or `None` to delete the file.
    pub content: Option<Vec<u8>>,
}

impl Change {
    /// Writes `content` at `path`.
    pub fn write(path: impl Into<String>, content: impl Into<Vec<u8>>) -> Change {
        Change { path: path.into(), content: Some(content.into()) }
    }
}

/// What to commit.
#[derive(Debug, Clone)]
pub struct CommitSpec {
    /// The full commit message (subject, body, trailers).
    pub message: String,
    /// The files to change.
    pub changes: Vec<Change>,
    /// Who signs, when the commit is signed.
    pub signer: Option<Signer>,
    /// Author and committer.
    pub stamps: Stamps,
}

/// The author and committer of the commits a command makes, as far as
/// git's environment sets them (`GIT_AUTHOR_NAME`, `GIT_AUTHOR_EMAIL`,
/// `GIT_AUTHOR_DATE` and the `GIT_COMMITTER_*` three); the rest comes from
/// `user.name`, `user.email` and the clock, as in git.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamps {
    /// Who made the change, and when.
    pub author: Stamp,
    /// Who committed it, and when.
    pub committer: Stamp,
}

/// One person and time of a commit; each part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamp {
    /// The name.
    pub name: Option<String>,
    /// The email.
    pub email: Option<String>,
    /// The time.
    pub time: Option<Timestamp>,
}

impl Stamps {
    /// Author and committer time both `at`.
    pub fn at(at: Timestamp) -> Stamps {
        let stamp = Stamp { time: Some(at), ..Stamp::default() };
        Stamps { author: stamp.clone(), committer: stamp }
    }
}

/// The store locked for one write.
pub struct Transaction<'s> {
    store: &'s Store,
    _lock: Lock,
    parent: Option<Commit<'s>>,
    /// The store as of `parent`.
    snapshot: Snapshot<'s>,
}

/// What recovering an interrupted write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// No write was interrupted.
    Nothing,
    /// The branch had moved: the work tree and index were brought up to it.
    /// `kept` lists files left alone because someone has changed them since.
    Finished {
        /// The commit the interrupted write made.
        commit: Oid,
        /// Paths brought up to date.
        paths: usize,
        /// Paths left as they are.
        kept: Vec<String>,
    },
    /// The branch had not moved (or moved elsewhere): nothing to finish.
    Dropped,
}

impl Store {
    /// Locks the store for one write (waiting a little for another writer,
    /// taking over from a dead one), finishes a write that was interrupted,
    /// and reads the commit this one starts from.
    pub fn begin(&self) -> Result<Transaction<'_>> {
        refuse_unless_on_a_branch(self.repo())?;
        let lock = lock::acquire(&self.repo().path().join("index.lock"), self.lock_wait)?;
        self.recover()?;
        let parent = match self.repo().head() {
            Ok(head) => Some(head.peel_to_commit()?),
            Err(e) if is_unborn(&e) => None,
            Err(e) => return Err(e.into()),
        };
        let tree = parent.as_ref().map(Commit::tree).transpose()?;
        Ok(Transaction { store: self, _lock: lock, parent, snapshot: Snapshot::new(self.repo(), tree) })
    }

    /// Finishes (or drops) a write that was interrupted between moving the
    /// branch and updating the work tree. Call with the lock held.
    pub fn recover(&self) -> Result<Recovery> {
        let repo = self.repo();
        pack::remove_temporary_files(repo);
        let Some(pending) = Pending::read(repo.path()) else { return Ok(Recovery::Nothing) };
        remove_temporary_files(self.root(), &pending.paths);
        let head = repo.head().ok().and_then(|h| h.target());
        if head != Some(pending.new) {
            Pending::clear(repo.path());
            return Ok(Recovery::Dropped);
        }
        let new_tree = repo.find_commit(pending.new)?.tree()?;
        let old_tree = pending.old.map(|o| repo.find_commit(o).and_then(|c| c.tree())).transpose()?;
        let blob =
            |tree: Option<&Tree>, path: &str| tree.and_then(|t| t.get_path(Path::new(path)).ok()).map(|e| e.id());
        let mut changes = Vec::new();
        let mut kept = Vec::new();
        let index = scratch_index(self)?;
        for path in &pending.paths {
            let (want, was) = (blob(Some(&new_tree), path), blob(old_tree.as_ref(), path));
            let on_disk = if index.skips_worktree(path) { was } else { hash_on_disk(&self.root().join(path))? };
            // A file that did not exist before is ours, even half-written.
            if on_disk != want && on_disk != was && was.is_some() {
                kept.push(path.clone());
                continue;
            }
            let content = want.map(|id| repo.find_blob(id).map(|b| b.content().to_vec())).transpose()?;
            changes.push(Change { path: path.clone(), content });
        }
        update_work_tree(self, index, &changes)?;
        Pending::clear(repo.path());
        Ok(Recovery::Finished { commit: pending.new, paths: changes.len(), kept })
    }
}

impl<'s> Transaction<'s> {
    /// The commit this write starts from (`None` before the first).
    pub fn snapshot_commit(&self) -> Option<Oid> {
        self.parent.as_ref().map(Commit::id)
    }

    /// The store being written.
    pub fn store(&self) -> &'s Store {
        self.store
    }

    /// The store as of the commit this write starts from.
    pub fn snapshot(&self) -> &Snapshot<'s> {
        &self.snapshot
    }

    /// Commits `spec` on top of the starting commit, moves the branch, then
    /// brings the work tree and index up to date. Returns the new commit.
    pub fn commit(self, spec: CommitSpec) -> Result<ObjectId> {
        let repo = self.store.repo();
        let base = self.snapshot.tree();
        let index = scratch_index(self.store)?;
        self.refuse_uncommitted_edits(&index, &spec.changes)?;

        let contents: Vec<&[u8]> = spec.changes.iter().filter_map(|c| c.content.as_deref()).collect();
        let ids = pack::blob_ids(&contents);
        let mut next = ids.iter();
        let mut blobs = Vec::with_capacity(spec.changes.len());
        for change in &spec.changes {
            let oid = if change.content.is_some() { next.next().copied() } else { None };
            blobs.push((change.path.clone(), oid));
        }
        // The directory trees the snapshot has read need not be read again.
        let build_tree = || tree_with(repo, base, &blobs, &|dir| self.snapshot.dir_tree(dir));
        let tree_id = if contents.len() < pack::PACK_THRESHOLD {
            pack::write_loose(repo, &contents)?;
            build_tree()?
        } else {
            // The pack is written on another thread while the trees are
            // built here; the branch moves only after both are done.
            let pack_dir = pack::pack_dir(repo);
            std::thread::scope(|s| {
                let packing = s.spawn(|| pack::pack_blobs(&pack_dir, &contents, &ids));
                let tree = build_tree();
                let packed = packing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                packed.and(tree)
            })?
        };
        let tree = repo.find_tree(tree_id)?;
        let author = identity(repo, &spec.stamps.author)?;
        let committer = identity(repo, &spec.stamps.committer)?;
        let parents: Vec<&Commit> = self.parent.iter().collect();
        let message = tidy(&spec.message);
        let commit_id = match &spec.signer {
            Some(signer) => {
                let buffer = repo.commit_create_buffer(&author, &committer, &message, &tree, &parents)?;
                let payload = std::str::from_utf8(&buffer).map_err(|_| Error::invalid("commit", "", "not UTF-8"))?;
                let signature = signer.sign(payload)?;
                repo.commit_signed(payload, signature.trim_end(), Some("gpgsig"))?
            }
            None => repo.commit(None, &author, &committer, &message, &tree, &parents)?,
        };
        self.finish(index, commit_id, message.lines().next().unwrap_or_default(), &spec.changes)?;
        Ok(ObjectId::from(commit_id))
    }

    /// Moves the branch to `target` (a commit made elsewhere, e.g. by
    /// `sync`) and brings the work tree and index up to it, refusing first
    /// if a file that changes has uncommitted edits.
    pub fn advance(self, target: Oid, subject: &str) -> Result<()> {
        let repo = self.store.repo();
        let base = self.snapshot.tree();
        let tree = repo.find_commit(target)?.tree()?;
        let mut changes = Vec::new();
        for c in super::treediff::diff(repo, base, Some(&tree), "")? {
            let content = c.new.map(|b| repo.find_blob(b.id.git()).map(|b| b.content().to_vec())).transpose()?;
            changes.push(Change { path: c.path, content });
        }
        let index = scratch_index(self.store)?;
        self.refuse_uncommitted_edits(&index, &changes)?;
        self.finish(index, target, subject, &changes)
    }

    /// Journals the write, moves the branch, updates the work tree.
    fn finish(&self, index: IndexFile, commit: Oid, subject: &str, changes: &[Change]) -> Result<()> {
        let git_dir = self.store.repo().path();
        let paths = changes.iter().map(|c| c.path.clone()).collect();
        Pending { old: self.parent.as_ref().map(Commit::id), new: commit, paths }.write(git_dir)?;
        if let Err(e) = self.move_branch(commit, subject) {
            Pending::clear(git_dir);
            return Err(e);
        }
        // From here on the commit exists and the branch names it: a failure
        // leaves the journal for `crm doctor` (or the next write) to finish.
        update_work_tree(self.store, index, changes)
            .map_err(|e| Error::Unfinished { commit: commit.to_string(), source: Box::new(e) })?;
        Pending::clear(git_dir);
        Ok(())
    }

    /// Refuses when a file to be written differs from the starting commit in
    /// the work tree or the index: that is someone's uncommitted work.
    fn refuse_uncommitted_edits(&self, index: &IndexFile, changes: &[Change]) -> Result<()> {
        for change in changes {
            let path = Path::new(&change.path);
            let committed = self.snapshot.blob_id(&change.path);
            let staged = index.staged(&change.path);
            if staged != committed {
                return Err(Error::Staged(change.path.clone()));
            }
            // Outside a sparse checkout there is no file to hold edits.
            if index.skips_worktree(&change.path) {
                continue;
            }
            // The index's stat data vouches for most files without reading them.
            let full = self.store.root().join(path);
            let vouched = fs::symlink_metadata(&full).is_ok_and(|m| index.vouches_for(&change.path, &m));
            let dirty = || Error::Dirty(change.path.clone());
            if !vouched && !holds_blob(&full, committed).map_err(|_| dirty())? {
                return Err(dirty());
            }
        }
        Ok(())
    }

    /// Points the current branch at `new`, if it still points at the parent.
    fn move_branch(&self, new: Oid, subject: &str) -> Result<()> {
        let repo = self.store.repo();
        let head = repo.find_reference("HEAD")?;
        let name = head.symbolic_target().ok().flatten().unwrap_or("HEAD").to_string();
        let log = format!("crm: {subject}");
        let result = match &self.parent {
            Some(old) => repo.reference_matching(&name, new, true, old.id(), &log),
            None => repo.reference(&name, new, false, &log),
        };
        match result {
            Ok(_) => Ok(()),
            // A lock file on the branch is another writer, or one that was
            // killed (`crm doctor` removes a stale one): not a moved branch.
            Err(_) if branch_lock(repo, &name).exists() => Err(Error::Busy(branch_lock(repo, &name))),
            Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Exists | ErrorCode::Locked) => {
                Err(Error::Moved(name))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The index a write builds before renaming it over `.git/index`.
pub(crate) const SCRATCH_INDEX: &str = "crm-index.tmp";

/// The lock file git and libgit2 create while they update branch `name`
/// (branches live in the common git directory).
pub fn branch_lock(repo: &git2::Repository, name: &str) -> std::path::PathBuf {
    repo.commondir().join(format!("{name}.lock"))
}

/// Refuses to write when HEAD is detached or git is in the middle of a
/// rebase, merge, cherry-pick, revert or bisect: a commit then lands where
/// `git rebase --abort` (and the like) would drop it.
fn refuse_unless_on_a_branch(repo: &git2::Repository) -> Result<()> {
    use git2::RepositoryState as S;
    let (what, fix) = match repo.state() {
        S::Clean => match repo.head_detached() {
            Ok(true) => ("HEAD is detached (not on a branch)", "switch to the branch to write on: `git switch main`"),
            _ => return Ok(()),
        },
        S::Rebase | S::RebaseInteractive | S::RebaseMerge | S::ApplyMailbox | S::ApplyMailboxOrRebase => {
            ("a rebase is in progress", "finish it with `git rebase --continue`, or end it with `git rebase --abort`")
        }
        S::Merge => ("a merge is in progress", "finish it with `git commit`, or end it with `git merge --abort`"),
        S::CherryPick | S::CherryPickSequence => {
            ("a cherry-pick is in progress", "finish it with `git cherry-pick --continue` or `--abort`")
        }
        S::Revert | S::RevertSequence => {
            ("a revert is in progress", "finish it with `git revert --continue` or `--abort`")
        }
        S::Bisect => ("a bisect is in progress", "end it with `git bisect reset`"),
    };
    Err(Error::NotOnBranch { what: what.into(), fix: fix.into() })
}

/// The blob id of the regular file at `path` (`None` when absent); an
/// error for anything that is not a regular file.
fn hash_on_disk(path: &Path) -> Result<Option<Oid>> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => Ok(Some(blob_id(&fs::read(path).map_err(Error::io(path))?))),
        Ok(_) => Err(Error::invalid("file", path.display().to_string(), "is not a regular file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path)(e)),
    }
}

/// Whether the file at `path` holds `blob` (`None`: the file is absent), as
/// git would store it: a checkout with `core.autocrlf` or `eol=crlf` has
/// CRLF line ends that git turns back into LF when it hashes the file.
fn holds_blob(path: &Path, blob: Option<Oid>) -> Result<bool> {
    let raw = match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => fs::read(path).map_err(Error::io(path))?,
        Ok(_) => return Err(Error::invalid("file", path.display().to_string(), "is not a regular file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(blob.is_none()),
        Err(e) => return Err(Error::io(path)(e)),
    };
    if Some(blob_id(&raw)) == blob {
        return Ok(true);
    }
    if !raw.windows(2).any(|w| w == b"\r\n") {
        return Ok(false);
    }
    let mut lf = Vec::with_capacity(raw.len());
    for (i, b) in raw.iter().enumerate() {
        if !(*b == b'\r' && raw.get(i + 1) == Some(&b'\n')) {
            lf.push(*b);
        }
    }
    Ok(Some(blob_id(&lf)) == blob)
}

/// Removes the temporary files (`.crm-*`) a killed write may have left in
/// the directories of `paths`.
fn remove_temporary_files(root: &Path, paths: &[String]) {
    let mut dirs: Vec<&str> = paths.iter().filter_map(|p| p.rsplit_once('/').map(|(d, _)| d)).collect();
    dirs.sort_unstable();
    dirs.dedup();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(root.join(dir)) else { continue };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".crm-") {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// The index, read once, to check against and then to update and put in
/// place of the real one (whose `index.lock` the transaction holds).
fn scratch_index(store: &Store) -> Result<IndexFile> {
    IndexFile::read(&store.repo().path().join("index"))
}

/// Writes the changed files (atomically, by rename) and their entries in
/// `index` (from [`scratch_index`]), which then replaces the real index;
/// every other file and staged change is left alone.
fn update_work_tree(store: &Store, mut index: IndexFile, changes: &[Change]) -> Result<()> {
    let root = store.root();
    // Deletions first (they may remove emptied directories), then the
    // files, written on all cores. A path a sparse checkout leaves out gets
    // its index entry only, as git's own commands do.
    for change in changes.iter().filter(|c| c.content.is_none() && !index.skips_worktree(&c.path)) {
        remove_with_empty_parents(root, &root.join(&change.path))?;
    }
    let entries = changes
        .par_iter()
        .map(|change| {
            let Some(content) = &change.content else { return Ok((change.path.clone(), None)) };
            if index.skips_worktree(&change.path) {
                return Ok((change.path.clone(), Some((blob_id(content), Stat::absent_file()))));
            }
            let meta = write_atomically(&root.join(&change.path), content)?;
            Ok((change.path.clone(), Some((blob_id(content), Stat::of(&meta)))))
        })
        .collect::<Result<Vec<_>>>()?;
    index.apply(&entries);
    index.smudge_racily_clean(root);
    let git_dir = store.repo().path();
    let scratch = git_dir.join(SCRATCH_INDEX);
    index.write(&scratch)?;
    let index_path = git_dir.join("index");
    fs::rename(&scratch, &index_path).map_err(Error::io(&index_path))?;
    Ok(())
}

/// Author or committer: `stamp`'s parts, else git's `user.name` and
/// `user.email`, and now.
pub fn identity(repo: &git2::Repository, stamp: &Stamp) -> Result<Signature<'static>> {
    let config = repo.config()?;
    let configured = |key: &str| config.get_string(key).ok().filter(|v| !v.trim().is_empty());
    let (Some(name), Some(email)) = (
        stamp.name.clone().or_else(|| configured("user.name")),
        stamp.email.clone().or_else(|| configured("user.email")),
    ) else {
        return Err(Error::Missing("git identity: set `git config user.name` and `git config user.email`".into()));
    };
    Ok(match stamp.time {
        Some(t) => Signature::new(&name, &email, &Time::new(t.secs, t.offset_minutes))?,
        None => Signature::now(&name, &email)?,
    })
}

/// A commit message as git would leave it: no trailing blank lines, one
/// final newline.
fn tidy(message: &str) -> String {
    format!("{}\n", message.trim_end())
}

type Edit<'a> = (Vec<&'a str>, Option<Oid>);

/// Directory trees already read, by path (`""` the root): a lookup that
/// saves unpacking them again, or nothing.
pub type KnownTrees<'a, 'r> = &'a dyn Fn(&str) -> Option<Tree<'r>>;

/// `base` with each path set to a blob (or removed, for `None`); only the
/// trees on those paths are rebuilt.
pub fn tree_with<'r>(
    repo: &'r git2::Repository,
    base: Option<&Tree<'r>>,
    blobs: &[(String, Option<Oid>)],
    known: KnownTrees<'_, 'r>,
) -> Result<Oid> {
    let edits: Vec<Edit<'_>> = blobs.iter().map(|(path, oid)| (path.split('/').collect(), *oid)).collect();
    match update_tree(repo, base, "", &edits, known)? {
        Some(id) => Ok(id),
        None => Ok(repo.treebuilder(None)?.write()?),
    }
}

/// Rebuilds `base` (the tree of directory `dir`) with `edits` applied,
/// touching only the trees on the edited paths. Returns `None` when the
/// tree ends up empty.
fn update_tree<'r>(
    repo: &'r git2::Repository,
    base: Option<&Tree<'r>>,
    dir: &str,
    edits: &[Edit<'_>],
    known: KnownTrees<'_, 'r>,
) -> Result<Option<Oid>> {
    let mut builder = repo.treebuilder(base)?;
    let mut by_name: BTreeMap<&str, Vec<Edit<'_>>> = BTreeMap::new();
    for (parts, oid) in edits {
        by_name.entry(parts[0]).or_default().push((parts[1..].to_vec(), *oid));
    }
    for (name, group) in by_name {
        let file_edit = group.iter().find(|(rest, _)| rest.is_empty());
        let new = match file_edit {
            Some((_, oid)) => oid.map(|o| (o, 0o100644)),
            None => {
                let path = if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") };
                let sub = match base.and_then(|t| t.get_name(name)) {
                    Some(e) if e.kind() == Some(ObjectType::Tree) => match known(&path).filter(|t| t.id() == e.id()) {
                        Some(t) => Some(t),
                        None => Some(repo.find_tree(e.id())?),
                    },
                    _ => None,
                };
                update_tree(repo, sub.as_ref(), &path, &group, known)?.map(|o| (o, 0o040000))
            }
        };
        match new {
            Some((oid, mode)) => {
                builder.insert(name, oid, mode)?;
            }
            None => {
                if builder.get(name)?.is_some() {
                    builder.remove(name)?;
                }
            }
        }
    }
    if builder.is_empty() {
        return Ok(None);
    }
    Ok(Some(builder.write()?))
}

/// Writes a file through a temporary sibling and a rename; returns its
/// metadata as written.
fn write_atomically(path: &Path, content: &[u8]) -> Result<fs::Metadata> {
    let dir = path.parent().unwrap_or(Path::new("."));
    // A new file cannot hold anyone's work: write it in place. (Killed
    // half-way, it is a file the journal says we were creating, and the
    // next write finishes it.)
    let create = || fs::OpenOptions::new().write(true).create_new(true).open(path);
    let created = match create() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(Error::io(dir))?;
            create()
        }
        other => other,
    };
    if let Ok(mut file) = created {
        file.write_all(content).map_err(Error::io(path))?;
        return file.metadata().map_err(Error::io(path));
    }
    let mut tmp = tempfile::Builder::new().prefix(".crm-").tempfile_in(dir).map_err(Error::io(dir))?;
    tmp.write_all(content).map_err(Error::io(path))?;
    // The file keeps its mode (a temporary file is created 0600).
    if let Ok(meta) = fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions()).map_err(Error::io(path))?;
    }
    tmp.persist(path).map_err(|e| Error::io(path)(e.error))?;
    // After the rename: it may change the file's ctime.
    fs::metadata(path).map_err(Error::io(path))
}

/// Deletes a file, then its parent directories up to `root` while empty.
fn remove_with_empty_parents(root: &Path, path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(path)(e)),
    }
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| *d != root) {
        if fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}
