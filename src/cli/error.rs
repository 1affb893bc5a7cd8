//! The command line's error: the library error mapped to the SPEC's exit
//! codes, with a hint where one helps. Printed as `error: …` / `hint: …`.

use crate::Error;

/// Exit code: success.
pub const OK: i32 = 0;
/// Exit code: `check`, `verify` or `report --fail-on` found problems.
pub const FOUND_PROBLEMS: i32 = 1;
/// Exit code: bad usage or invalid input; nothing written.
pub const BAD_INPUT: i32 = 2;
/// Exit code: the repository's state prevents it; nothing written.
pub const BLOCKED: i32 = 3;
/// Exit code: the commit was made, but finishing the write failed (run
/// `crm doctor`).
pub const UNFINISHED: i32 = 4;

/// An error on its way to the user.
#[derive(Debug)]
pub struct CliError {
    /// Process exit code.
    pub code: i32,
    /// One sentence.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

/// Result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError { code: BAD_INPUT, message: message.into(), hint: None }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> CliError {
        self.hint = Some(hint.into());
        self
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::InvalidValue { .. }
            | Error::Missing(_)
            | Error::Malformed { .. }
            | Error::InvalidUtf8 { .. }
            | Error::UnknownCustomer(_)
            | Error::Ambiguous { .. }
            | Error::UnknownStaff(_)
            | Error::Departed(_)
            | Error::Exists(_)
            | Error::Duplicate { .. }
            | Error::InvalidRows(_)
            | Error::InvalidCustomer { .. }
            | Error::NothingToDo(_)
            | Error::Forbidden { .. }
            | Error::Sealed { .. }
            | Error::Identity(_) => BAD_INPUT,
            Error::Unfinished { .. } => UNFINISHED,
            Error::NotAStore(_)
            | Error::MissingObject(_)
            | Error::Unsupported(_)
            | Error::Shallow(_)
            | Error::NotOnBranch { .. }
            | Error::AlreadyAStore(_)
            | Error::UnknownActor(_)
            | Error::Unattributable { .. }
            | Error::Dirty(_)
            | Error::Staged(_)
            | Error::Busy(_)
            | Error::Moved(_)
            | Error::SigningUnavailable(_)
            | Error::SigningFailed { .. }
            | Error::Git(_)
            | Error::Index { .. }
            | Error::Network(_)
            | Error::PushRefused { .. }
            | Error::SyncConflicts(_)
            | Error::Io { .. } => BLOCKED,
        };
        let hint = match &e {
            Error::NotAStore(_) => Some("run `crm init` to create a store, or `crm -C DIR …` to use one elsewhere"),
            Error::UnknownActor(_) => {
                Some("set `git config crm.user HANDLE` (or CRM_USER=HANDLE), or make user.email match your staff file")
            }
            Error::Dirty(_) => {
                Some("`git diff -- FILE` shows the changes; commit them with git, or `git restore FILE` to drop them")
            }
            Error::Staged(_) => Some(
                "`git diff --cached -- FILE` shows them; commit them with git, or `git restore --staged FILE` to unstage",
            ),
            Error::Busy(_) => Some("wait for the other command to finish; if none is running, delete the lock file"),
            Error::Unfinished { .. } => Some(
                "run `crm doctor` (or any crm write) to finish it; until then `git status` shows the change as undone \
                 and a plain `git commit` would undo it",
            ),
            Error::Malformed { .. } | Error::InvalidUtf8 { .. } => {
                Some("fix the file by hand, commit it, and run `crm check`")
            }
            Error::UnknownStaff(_) => Some("`crm staff list --all` shows everyone"),
            Error::Sealed { .. } => Some(
                "ask someone it is sealed to (its owner, backup, a manager of its region or an admin) to make the change; the nightly pool job (a service identity) opens customers with the store's recovery key: `git config crm.identity PATH` in its clone (examples/cron/pool-release.sh)",
            ),
            Error::Identity(_) => Some(
                "crm opens sealed values with your SSH private key: CRM_IDENTITY=PATH or `git config crm.identity PATH` (an ssh-ed25519 or ssh-rsa key file; an ssh-agent cannot decrypt)",
            ),
            Error::Duplicate { .. } => Some("if it really is a different customer, run the command again with --force"),
            Error::SyncConflicts(list) if list.iter().any(|c| c.claimed) => Some(
                "the customer is someone else's now; drop your claim (`crm status` lists your unpushed commits; `git reset --keep REMOTE/BRANCH` drops them), redo what else should stay, then run crm sync again",
            ),
            Error::SyncConflicts(_) => Some(
                "your commits and files are as they were; agree on the value, then either drop your unpushed commits (`crm status` lists them; `git reset --keep REMOTE/BRANCH`) and redo what should stay with crm, or ask the colleague to change theirs; then run crm sync again",
            ),
            Error::PushRefused { .. } => Some(
                "your commits are still here, on top of the server's: `crm verify @{upstream}..HEAD` shows what breaks the store's rules; fix it with a new commit, or drop only the commits it names with `git rebase -i @{upstream}` (deleting their lines keeps the rest of your work)",
            ),
            Error::Network(_) => Some("check the remote (`git remote -v`) and your access; every other command works offline"),
            Error::InvalidRows(_) => Some("fix these rows (or leave them out) and import the file again; --dry-run checks without writing"),
            Error::SigningFailed { .. } => Some(
                "check `git config user.signingkey` (a key gpg or ssh-keygen can use) and `git config gpg.format` (openpgp or ssh); for SSH: git config gpg.format ssh && git config user.signingkey ~/.ssh/id_ed25519.pub",
            ),
            Error::UnknownCustomer(_) => Some("`crm find TEXT` searches names, contacts and phones; `crm list` shows every id"),
            Error::Ambiguous { .. } => Some("`crm find TEXT` ranks the candidates"),
            Error::NotOnBranch { fix, .. } => Some(fix.as_str()),
            Error::Unattributable { fix, .. } => Some(fix.as_str()),
            Error::MissingObject(_) => Some(
                "fetch every object: `git fetch --refetch` (or `git -c remote.origin.partialclonefilter= fetch --refetch origin`), or clone without --filter",
            ),
            Error::Unsupported(_) => Some(
                "convert a copy for crm: `git clone --ref-format=files` (reftable); a SHA-256 repository cannot be converted",
            ),
            Error::Shallow(_) => Some("fetch the whole history: `git fetch --unshallow` (in CI: fetch-depth: 0, GIT_DEPTH: 0)"),
            _ => None,
        };
        let mut message = e.to_string();
        // Every item, so everything can be fixed in one go.
        let items: Vec<String> = match &e {
            Error::InvalidRows(rows) => rows.iter().map(|r| format!("  {r}")).collect(),
            Error::SyncConflicts(list) => list.iter().map(|c| format!("  {c}")).collect(),
            _ => Vec::new(),
        };
        if !items.is_empty() {
            message = format!("{message}:\n{}", items.join("\n"));
        }
        CliError { code, message, hint: hint.map(str::to_string) }
    }
}
