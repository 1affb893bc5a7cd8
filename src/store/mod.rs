//! The store: a git work tree with `crm.toml` at its root. Reading goes
//! through git objects ([`Snapshot`]); writing builds one commit per action
//! ([`write`]), signed as git's configuration says ([`signing`]).

pub mod catalog;
pub mod changes;
pub mod graph;
pub mod history;
pub mod history_index;
pub mod history_scan;
pub mod holdings;
pub mod index_file;
pub mod journal;
pub mod layout;
pub mod lock;
pub mod pack;
pub mod rebase;
pub mod refs;
pub mod remote;
pub mod repair;
pub mod rings;
#[cfg(test)]
pub(crate) mod scratch;
pub mod shallow;
pub mod sigcheck;
pub mod signing;
pub mod snapshot;
pub mod source;
pub mod treediff;
pub mod treeshape;
pub mod whole;
pub mod write;

use crate::seal::record::KeySource;
use crate::seal::ring::Keyring;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use git2::{ErrorClass, ErrorCode, Repository};

pub use sigcheck::Gpg;
pub use snapshot::Snapshot;

use crate::model::{Handle, Staff};
use crate::{Error, Result};

/// An open store.
pub struct Store {
    repo: Repository,
    root: PathBuf,
    /// How long a write waits for another writer's lock.
    lock_wait: std::time::Duration,
    /// What hears how building the history index goes.
    progress: Option<Box<history_index::ProgressFn>>,
    /// The acting user's private keys for sealed values.
    keys: Option<Box<dyn KeySource>>,
}

/// The key source of a store nobody gave keys to.
struct NoKeys;

impl KeySource for NoKeys {
    fn identities(&self) -> Result<&[age::ssh::Identity]> {
        Ok(&[])
    }
}

/// How long a write waits for another writer by default.
pub const DEFAULT_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// A git object id (a commit's, in crm's outcomes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(git2::Oid);

impl ObjectId {
    /// The first 8 hex digits, as crm shows commits.
    pub fn short(&self) -> String {
        self.0.to_string()[..8].to_string()
    }

    /// Whether this is the all-zeros id (git's "no object").
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// The libgit2 id, for the store's own modules.
    pub(crate) fn git(self) -> git2::Oid {
        self.0
    }
}

impl std::str::FromStr for ObjectId {
    type Err = Error;

    /// Reads hex digits as libgit2 does (a shorter string is padded with
    /// zeros).
    fn from_str(hex: &str) -> Result<ObjectId> {
        Ok(ObjectId(git2::Oid::from_str(hex)?))
    }
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<git2::Oid> for ObjectId {
    fn from(id: git2::Oid) -> ObjectId {
        ObjectId(id)
    }
}

/// What named the acting person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// `CRM_USER`.
    Override,
    /// `git config crm.user`.
    CrmUser,
    /// Their staff email is this committer email.
    Email(String),
}

/// Whether [`Repo::create_or_open`] made a new repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// A new repository.
    Yes,
    /// One that was there.
    No,
}

/// A git repository read for history, store or not: `verify` and
/// `check REV` also run in bare repositories (a server's hooks), where
/// there is no work tree.
pub struct Repo {
    git: Repository,
}

impl Repo {
    /// Opens the repository around `dir`, with `object_dirs` added as
    /// alternates (a pre-receive hook's quarantine, which git names in
    /// `GIT_OBJECT_DIRECTORY` and libgit2 does not read; relative paths are
    /// from `dir`).
    pub fn open(dir: &Path, object_dirs: &[PathBuf]) -> Result<Repo> {
        let git = open_repository(dir, discover)?;
        let extra: Vec<PathBuf> = object_dirs
            .iter()
            .map(|d| if d.is_absolute() { d.clone() } else { dir.join(d) })
            .filter(|d| d.is_dir())
            .collect();
        add_alternates(&git, &extra)?;
        // The handles opened later on other threads see them too.
        let _ = EXTRA_OBJECTS.set((git.path().to_path_buf(), extra));
        Ok(Repo { git })
    }

    /// Creates a repository at `dir` (its first branch named as git's
    /// `init.defaultBranch` says, else `main`), or opens the one whose root
    /// `dir` already is; tells which.
    pub fn create_or_open(dir: &Path) -> Result<(Repo, Created)> {
        match open_repository(dir, |p| Repository::open(p)) {
            Ok(git) => Ok((Repo { git }, Created::No)),
            Err(Error::NotAStore(_)) => {
                let branch = git2::Config::open_default()
                    .and_then(|c| c.get_string("init.defaultBranch"))
                    .unwrap_or_else(|_| "main".into());
                let mut opts = git2::RepositoryInitOptions::new();
                opts.initial_head(&branch);
                Ok((Repo { git: Repository::init_opts(dir, &opts)? }, Created::Yes))
            }
            Err(e) => Err(e),
        }
    }

    /// The repository's git directory (`.git`).
    pub fn git_dir(&self) -> &Path {
        self.git.path()
    }

    /// Sets `key` to `value` in the repository's own git config.
    pub fn set_config(&self, key: &str, value: &str) -> Result<()> {
        Ok(self.git.config()?.set_str(key, value)?)
    }

    /// The number of commits reachable from HEAD.
    pub fn commit_count(&self) -> Result<usize> {
        let mut walk = self.git.revwalk()?;
        walk.push_head()?;
        Ok(walk.count())
    }

    /// The libgit2 repository, for the store's own modules.
    pub(crate) fn git(&self) -> &Repository {
        &self.git
    }

    /// How to check OpenPGP signatures here: with git's `gpg.program`.
    pub fn gpg(&self) -> Gpg {
        Gpg::configured(&self.git)
    }
}

impl Store {
    /// The value of `key` in git config (repository, global, system), if
    /// set.
    pub fn config_value(&self, key: &str) -> Option<String> {
        self.repo.config().ok()?.get_string(key).ok()
    }

    /// Finds the store containing `start`: the git work tree above it whose
    /// committed tree has `crm.toml` at its root.
    pub fn open(start: &Path) -> Result<Store> {
        let repo = open_repository(start, discover)?;
        let root = repo.workdir().map(Path::to_path_buf).ok_or_else(|| Error::NotAStore(start.to_path_buf()))?;
        share_like_git(&repo);
        let store = Store { repo, root, lock_wait: DEFAULT_LOCK_WAIT, progress: None, keys: None };
        if !store.head()?.is_store() {
            return Err(Error::NotAStore(store.root));
        }
        Ok(store)
    }

    /// The store-to-be in a repository `init` has just prepared.
    pub fn from_repository(repo: Repo) -> Result<Store> {
        let repo = repo.git;
        let root = repo.workdir().map(Path::to_path_buf).ok_or_else(|| Error::NotAStore(repo.path().to_path_buf()))?;
        share_like_git(&repo);
        Ok(Store { repo, root, lock_wait: DEFAULT_LOCK_WAIT, progress: None, keys: None })
    }

    /// Sets how long a write waits for another writer's lock.
    pub fn set_lock_wait(&mut self, wait: std::time::Duration) {
        self.lock_wait = wait;
    }

    /// Sets what hears how building the history index goes (a progress
    /// bar): it can take a while on a fresh clone of a large store.
    pub fn set_progress(&mut self, progress: Box<history_index::ProgressFn>) {
        self.progress = Some(progress);
    }

    /// Sets where the acting user's private keys for sealed values come
    /// from (loaded only when a sealed value must be opened).
    pub fn set_keys(&mut self, keys: Box<dyn KeySource>) {
        self.keys = Some(keys);
    }

    /// The acting user's private keys for sealed values.
    pub fn keys(&self) -> &dyn KeySource {
        self.keys.as_deref().unwrap_or(&NoKeys)
    }

    /// The rings of `snapshot`'s tree, opened with the acting user's keys.
    pub fn keyring<'s>(&'s self, snapshot: &Snapshot<'_>) -> Result<Keyring<'s>> {
        let trees = snapshot.tree().map(|t| t.id()).into_iter().collect();
        let memory = self.repo.path().join("crm").join("rings");
        let files = rings::TreeRings::new(rings::shared(&self.repo)?, trees).remembering(memory);
        Ok(Keyring::new(Box::new(files), self.keys(), Default::default()))
    }

    /// What hears how building the history index goes, if anything.
    pub(crate) fn progress(&self) -> Option<&history_index::ProgressFn> {
        self.progress.as_deref()
    }

    /// The git repository.
    pub(crate) fn repo(&self) -> &Repository {
        &self.repo
    }

    /// How to check OpenPGP signatures: with git's `gpg.program`.
    pub fn gpg(&self) -> Gpg {
        Gpg::configured(&self.repo)
    }

    /// Who signs this store's commits, as `choice` and git's configuration
    /// say; refuses when the store requires signing and nobody can sign.
    pub fn signer(&self, choice: signing::SignChoice, required: bool) -> Result<Option<signing::Signer>> {
        signing::resolve(&self.repo, choice, required)
    }

    /// The work tree root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The store as of the current commit (empty before the first one).
    pub fn head(&self) -> Result<Snapshot<'_>> {
        let tree = match self.repo.head() {
            Ok(head) => Some(head.peel_to_tree()?),
            Err(e) if is_unborn(&e) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(Snapshot::new(&self.repo, tree))
    }

    /// When the current commit was made (its committer time): the moment
    /// the store as it is now was last revised.
    pub fn head_time(&self) -> Result<crate::model::timestamp::Timestamp> {
        let commit = self.repo.head()?.peel_to_commit()?;
        Ok(history::commit_time(&commit).into())
    }

    /// The store files a sparse checkout leaves out of the work tree.
    pub fn sparse_paths(&self) -> Result<Vec<String>> {
        let index = index_file::IndexFile::read(&self.repo.path().join("index"))?;
        let in_store = |p: &String| p == layout::CONFIG_FILE || p.starts_with("staff/") || p.starts_with("customers/");
        Ok(index.skipped_paths().into_iter().filter(in_store).collect())
    }

    /// The staff member acting: the handle given (from `CRM_USER`), else git
    /// config `crm.user`, else the person whose email is git's `user.email`.
    pub fn actor(&self, staff: &BTreeMap<Handle, Staff>, given: Option<&str>, email: Option<&str>) -> Result<Staff> {
        self.identify(staff, given, email).map(|(actor, _)| actor)
    }

    /// The acting person, as [`Store::actor`], and what named them.
    pub fn identify(
        &self,
        staff: &BTreeMap<Handle, Staff>,
        given: Option<&str>,
        email: Option<&str>,
    ) -> Result<(Staff, Named)> {
        let configured = self.repo.config()?.get_string("crm.user").ok();
        let named = match (given, configured) {
            (Some(handle), _) => Some((handle.to_string(), Named::Override)),
            (None, Some(handle)) => Some((handle, Named::CrmUser)),
            (None, None) => None,
        };
        if let Some((handle, how)) = named {
            let handle = Handle::parse(handle.trim())?;
            let person = staff.get(&handle).cloned().ok_or_else(|| Error::UnknownStaff(handle.to_string()))?;
            return Ok((person, how));
        }
        let email = self.committer_email(email);
        let person = staff.values().find(|s| s.email.eq_ignore_ascii_case(email.trim())).cloned();
        person.map(|p| (p, Named::Email(email.clone()))).ok_or(Error::UnknownActor(email))
    }

    /// The committer email of the commits crm makes: `given` (git's
    /// `GIT_COMMITTER_EMAIL`), else `user.email`.
    pub fn committer_email(&self, given: Option<&str>) -> String {
        given.map(str::to_string).unwrap_or_else(|| {
            self.repo.config().and_then(|c| c.get_string("user.email")).unwrap_or_default().trim().to_string()
        })
    }

    /// Refuses, before anything is written, a write whose commit `crm
    /// verify` would not take for `actor`'s: an unsigned commit is theirs by
    /// its committer email, a signed one by the key it is signed with.
    pub fn refuse_unattributable(
        &self,
        actor: &Staff,
        signer: Option<&signing::Signer>,
        email: Option<&str>,
    ) -> Result<()> {
        let handle = actor.handle.to_string();
        match signer {
            None => {
                let email = self.committer_email(email);
                if email.eq_ignore_ascii_case(&actor.email) {
                    return Ok(());
                }
                Err(Error::Unattributable {
                    handle,
                    why: format!(
                        "the commit would be unsigned and its committer <{email}>, while staff/{}.toml says <{}>",
                        actor.handle, actor.email
                    ),
                    fix: format!("run `git config user.email {}` (or sign your commits with a key listed there)", actor.email),
                })
            }
            Some(signer) => match signer.ssh_public_key() {
                Some(key) if !actor.has_key(&key) => Err(Error::Unattributable {
                    handle,
                    why: format!("the commit would be signed with a key staff/{}.toml does not list", actor.handle),
                    fix: format!(
                        "use your own key (`git config user.signingkey`), or ask an admin to list this one in staff/{}.toml: {key}",
                        actor.handle
                    ),
                }),
                _ => Ok(()),
            },
        }
    }
}

/// Honours `core.sharedRepository` (a repository several people write, such
/// as a cron job's clone on a server): git makes what it creates writable
/// by the group (and readable by everyone, for `all`), and so must crm —
/// or the next person's `git commit` cannot add objects to a directory crm
/// created. libgit2 ignores the setting, so crm widens its process umask
/// accordingly before it writes anything; directories keep the group
/// through the setgid bit `git init --shared` sets.
fn share_like_git(repo: &Repository) {
    let Ok(value) = repo.config().and_then(|c| c.get_string("core.sharedRepository")) else { return };
    let allow: u32 = match value.trim().to_ascii_lowercase().as_str() {
        "group" | "true" | "1" => 0o070,
        "all" | "world" | "everybody" | "2" => 0o075,
        mode if mode.starts_with('0') && mode.len() > 1 => match u32::from_str_radix(mode, 8) {
            // A file mode: its read bits also allow searching directories.
            Ok(m) => (m | ((m & 0o444) >> 2)) & 0o077,
            Err(_) => return,
        },
        _ => return,
    };
    // SAFETY: umask only swaps the process's file-creation mask.
    unsafe {
        let old = libc::umask(0o022);
        libc::umask(old & !allow as libc::mode_t);
    }
}

/// Object directories every handle on one git directory reads besides its
/// own ([`Repo::open`]'s: a pre-receive hook's quarantine), with that git
/// directory.
static EXTRA_OBJECTS: OnceLock<(PathBuf, Vec<PathBuf>)> = OnceLock::new();

/// Another handle on the repository at `git_dir` (for another thread, or to
/// drop its object cache), reading the same objects as the handle
/// [`Repo::open`] opened: in a pre-receive hook the pushed commits and the
/// files they add are only in the quarantine.
pub fn reopen(git_dir: &Path) -> std::result::Result<Repository, git2::Error> {
    let repo = Repository::open(git_dir)?;
    if let Some((_, extra)) = EXTRA_OBJECTS.get().filter(|(dir, _)| dir == repo.path()) {
        add_alternates(&repo, extra)?;
    }
    Ok(repo)
}

fn add_alternates(repo: &Repository, dirs: &[PathBuf]) -> std::result::Result<(), git2::Error> {
    let odb = repo.odb()?;
    for dir in dirs {
        odb.add_disk_alternate(&dir.to_string_lossy())?;
    }
    Ok(())
}

/// The repository containing `start`, found the way git finds it: upwards
/// from `start`, following a `.git` file (linked worktrees,
/// `--separate-git-dir`) to the git directory while keeping `start`'s work
/// tree. (`Repository::discover` re-opens the git directory by path, and
/// libgit2 then guesses the work tree as that directory's parent.)
pub fn discover(start: &Path) -> std::result::Result<Repository, git2::Error> {
    Repository::open_ext(start, git2::RepositoryOpenFlags::empty(), std::iter::empty::<&std::ffi::OsStr>())
}

/// Opens a repository with `open`, explaining git's ownership check and
/// reporting a missing one as [`Error::NotAStore`].
pub fn open_repository(
    dir: &Path,
    open: fn(&Path) -> std::result::Result<Repository, git2::Error>,
) -> Result<Repository> {
    open(dir).map_err(|e| match (e.class(), e.code()) {
        (_, ErrorCode::NotFound) => Error::NotAStore(dir.to_path_buf()),
        (ErrorClass::Repository, _) if e.message().contains("extensions.refstorage") => {
            Error::Unsupported(format!("{} keeps its refs in reftable", dir.display()))
        }
        (ErrorClass::Repository, _) if e.message().contains("object format") => {
            Error::Unsupported(format!("{} uses SHA-256 object ids", dir.display()))
        }
        (ErrorClass::Config, _) | (_, ErrorCode::Owner) => Error::Git(format!(
            "{} is owned by another user; if you trust it, run `git config --global --add safe.directory {}`",
            dir.display(),
            dir.display()
        )),
        _ => Error::from(e),
    })
}

/// Sets libgit2's process-wide options for how `crm` reads: objects whose
/// hashes need no second check on every read (each one is checked when it
/// is written), and pack files mapped in smaller windows with a cap, so a
/// walk over a large history does not keep the whole pack resident.
/// Call once, before any thread starts.
pub fn tune_libgit2() {
    git2::opts::strict_hash_verification(false);
    // Trees are only built from objects crm has just written or read.
    git2::opts::strict_object_creation(false);
    // SAFETY: called at the start of `main`, before any thread is spawned,
    // as `git_libgit2_opts` requires for these global settings.
    unsafe {
        let _ = git2::opts::set_mwindow_size(4 << 20);
        // Mapped pack windows count in the peak memory: on a store repacked
        // by `git gc`, 96 MB of them took the weekly report to 266 MB.
        let _ = git2::opts::set_mwindow_mapped_limit(32 << 20);
    }
}

/// Turns libgit2's hash check of every object read back on: `verify`
/// judges objects a hostile client may have crafted, so it reads nothing
/// unchecked. Call before reading them.
pub fn verify_object_hashes() {
    git2::opts::strict_hash_verification(true);
}

impl From<git2::Error> for Error {
    fn from(e: git2::Error) -> Error {
        Error::Git(e.message().to_string())
    }
}

impl Error {
    /// A libgit2 error, with an object that is not in the repository
    /// reported as [`Error::MissingObject`] (naming `id`).
    pub fn from_lookup(e: git2::Error, id: git2::Oid) -> Self {
        match (e.class(), e.code()) {
            (ErrorClass::Odb, ErrorCode::NotFound) => Error::MissingObject(id.to_string()),
            _ => Error::from(e),
        }
    }
}

/// Whether a git error says HEAD points at a branch with no commits yet.
pub(crate) fn is_unborn(e: &git2::Error) -> bool {
    matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound)
}

#[cfg(test)]
mod tests {
    use super::ObjectId;

    #[test]
    fn object_ids_parse_like_libgit2() {
        let zero: ObjectId = "0000000000000000000000000000000000000000".parse().unwrap();
        assert!(zero.is_zero());
        let short: ObjectId = "abc".parse().unwrap();
        assert_eq!(short.to_string(), format!("abc{}", "0".repeat(37)));
        assert!("xyz".parse::<ObjectId>().is_err());
    }
}
