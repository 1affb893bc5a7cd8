//! The library's error type: one variant per thing a user can get wrong or a
//! system can fail at, each carrying what it concerns (path, id, handle).
//!
//! Exit codes are not decided here; `cli::error` maps each variant to the
//! SPEC's codes.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `crm`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No store was found from the starting directory upwards.
    #[error("{0} is not inside a crm store (no crm.toml at the root of a git work tree)")]
    NotAStore(PathBuf),
    /// `init` was asked to create a store where one already is.
    #[error("{0} is already a crm store")]
    AlreadyAStore(PathBuf),
    /// A value given by the user (flag, field) is not acceptable.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidValue {
        /// Which kind of value (customer id, handle, date, --value…).
        what: String,
        /// The value as given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// A write would leave a customer invalid (the definition `check`
    /// applies): every problem, one per line.
    #[error("{id} would be invalid: {}", .problems.join("; "))]
    InvalidCustomer {
        /// The customer.
        id: String,
        /// What is wrong, one sentence each.
        problems: Vec<String>,
    },
    /// The commit a write would make would not be its actor's for `crm
    /// verify` (wrong committer email, or a key not listed for them).
    #[error("commits made now would not count as {handle}'s: {why}")]
    Unattributable {
        /// The acting person.
        handle: String,
        /// Why not.
        why: String,
        /// What to configure.
        fix: String,
    },
    /// A customer reference fits several customers.
    #[error("`{query}` could be {}: give more of the id", list_candidates(.candidates))]
    Ambiguous {
        /// What was given.
        query: String,
        /// The customers it fits: (id, name).
        candidates: Vec<(String, String)>,
    },
    /// A required input was not given and could not be asked for.
    #[error("missing {0}")]
    Missing(String),
    /// A file in the store is not valid TOML or does not fit the schema.
    #[error("{path}:{line}:{column}: {message}")]
    Malformed {
        /// Path relative to the store root.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A file in the store is not UTF-8.
    #[error("{path}:{line}:{column}: invalid UTF-8 at byte {offset}")]
    InvalidUtf8 {
        /// Path relative to the store root.
        path: String,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// No customer has this id.
    #[error("no customer `{0}`")]
    UnknownCustomer(String),
    /// No staff member has this handle.
    #[error("no staff member `{0}`")]
    UnknownStaff(String),
    /// The staff member exists but has left.
    #[error("staff member `{0}` has departed")]
    Departed(String),
    /// Something with this key already exists.
    #[error("{0} already exists")]
    Exists(String),
    /// A new customer looks like one already in the store.
    #[error("{new} looks like existing customer `{existing}` (same {by}: {value})")]
    Duplicate {
        /// The new customer's name (or row).
        new: String,
        /// The id of the customer it matches.
        existing: String,
        /// name, email or phone.
        by: String,
        /// The matching value.
        value: String,
    },
    /// Rows of an import that cannot be imported (all of them, listed).
    #[error("{} invalid row(s); nothing was imported", .0.len())]
    InvalidRows(Vec<RowError>),
    /// The request would change nothing.
    #[error("nothing to do: {0}")]
    NothingToDo(String),
    /// The acting person may not do this under the store's rules.
    #[error("{actor} may not {action}")]
    Forbidden {
        /// Handle of the acting person.
        actor: String,
        /// What was refused.
        action: String,
    },
    /// A write must re-seal a customer the acting user cannot open.
    #[error("{id} is sealed and {why}")]
    Sealed {
        /// The customer.
        id: String,
        /// Why it cannot be opened or re-sealed.
        why: String,
    },
    /// The private key for sealed values cannot be loaded or used.
    #[error("{0}")]
    Identity(String),
    /// git's identity matches no staff member.
    #[error("your git identity <{0}> matches no staff member")]
    UnknownActor(String),
    /// A file the command must write has uncommitted changes.
    #[error("{0} has uncommitted changes; commit or discard them first")]
    Dirty(String),
    /// A file the command must write has changes staged in the index.
    #[error("{0} has staged changes that are not committed; commit or unstage them first")]
    Staged(String),
    /// Another process holds the store's lock.
    #[error("store is busy: {0} exists (another crm or git command is running)")]
    Busy(PathBuf),
    /// HEAD is not on a branch, or a git operation (rebase, merge, bisect…)
    /// is in progress: a commit now would land where it can be dropped.
    #[error("{what}; crm writes only on a branch with no git operation in progress")]
    NotOnBranch {
        /// What git is in the middle of.
        what: String,
        /// The commands that end it.
        fix: String,
    },
    /// The commit was made and the branch moved, but bringing the work tree
    /// and index up to it failed: the write is journaled, not lost.
    #[error("commit {commit} was made and the branch moved, but updating the work tree and index failed: {source}")]
    Unfinished {
        /// The commit made.
        commit: String,
        /// What failed.
        source: Box<Error>,
    },
    /// An object the command needs is not in this clone (a partial clone
    /// made with `--filter`, or a damaged repository): it is never read as
    /// "absent".
    #[error("object {0} is missing from this clone (a partial clone made with --filter?)")]
    MissingObject(String),
    /// The history the command needs ends at a shallow clone's boundary.
    #[error("this clone is shallow: the history before commit {0} is missing")]
    Shallow(String),
    /// A repository format crm's git library cannot read.
    #[error("{0}, which crm cannot read yet (it needs a SHA-1 repository with files refs)")]
    Unsupported(String),
    /// The branch moved while the command was working.
    #[error("the branch {0} changed while crm was writing; run the command again")]
    Moved(String),
    /// Signing is required but cannot be done with the current configuration.
    #[error("cannot sign: {0}")]
    SigningUnavailable(String),
    /// The signing program failed.
    #[error("signing with {program} failed: {message}")]
    SigningFailed {
        /// The program that was run.
        program: String,
        /// What it printed.
        message: String,
    },
    /// Git's index file cannot be read or kept as it is.
    #[error("the git index {path} {reason}")]
    Index {
        /// The index file.
        path: PathBuf,
        /// What is wrong with it (and what to do).
        reason: String,
    },
    /// A network operation (fetch, push) failed.
    #[error("{0}")]
    Network(String),
    /// The server refused a push by its own rules (a pre-receive hook, a
    /// protected branch): what it said, line by line.
    #[error("{remote} refused the push:{}", said.iter().map(|l| format!("\n  {l}")).collect::<String>())]
    PushRefused {
        /// The remote.
        remote: String,
        /// The server's lines (git's `remote:` lines), in order.
        said: Vec<String>,
    },
    /// Sync found changes on both sides that cannot be merged.
    #[error("sync stopped: {} conflicting change(s); nothing was changed", .0.len())]
    SyncConflicts(Vec<SyncConflict>),
    /// A git operation failed (libgit2's message).
    #[error("git: {0}")]
    Git(String),
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// One change that sync cannot merge: both sides set a key differently.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncConflict {
    /// The file (customer files: their id).
    pub file: String,
    /// The key both changed.
    pub key: String,
    /// The local value (`None`: removed).
    pub ours: Option<String>,
    /// Who set the local value.
    pub ours_by: String,
    /// The remote value (`None`: removed).
    pub theirs: Option<String>,
    /// Who set the remote value.
    pub theirs_by: String,
    /// Whether both sides claimed the same customer from the pool (the
    /// key is `owner`): the remote's claim came first.
    pub claimed: bool,
}

impl std::fmt::Display for SyncConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "(removed)".into());
        if self.claimed {
            return write!(
                f,
                "{}: you claimed it from the pool for {} (here, by {}), but {} claimed it first (remote, by {})",
                self.file,
                v(&self.ours),
                self.ours_by,
                v(&self.theirs),
                self.theirs_by
            );
        }
        write!(
            f,
            "{}: {} = {} (here, by {}) but {} (remote, by {})",
            self.file,
            self.key,
            v(&self.ours),
            self.ours_by,
            v(&self.theirs),
            self.theirs_by
        )
    }
}

/// One bad row of an import.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// Row number, counting the header as row 1.
    pub row: usize,
    /// The column (header) concerned.
    pub column: String,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}, column {}: {}", self.row, self.column, self.reason)
    }
}

impl Error {
    /// Shorthand for [`Error::InvalidValue`].
    pub fn invalid(what: &str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidValue { what: what.to_string(), value: value.into(), reason: reason.into() }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

/// Up to ten candidates, `id (name)`, then how many more.
fn list_candidates(candidates: &[(String, String)]) -> String {
    const SHOWN: usize = 10;
    let mut out: Vec<String> = candidates.iter().take(SHOWN).map(|(id, name)| format!("{id} ({name})")).collect();
    if candidates.len() > SHOWN {
        out.push(format!("and {} more", candidates.len() - SHOWN));
    }
    out.join(", ")
}
