//! `crm sync`: fetch, integrate, push — without ever losing a change on
//! either side, half-applying one, or leaving a repository mid-rebase.
//!
//! Local commits not on the remote are replayed on top of the remote branch
//! (a rebase done in memory: no work tree, no index, no `.git/rebase-*`).
//! Files only one side changed are taken as they are; a file both changed
//! is merged key by key ([`crate::model::merge`]); two different values for
//! one key stop the sync with nothing changed. Replayed commits keep their
//! message and author and are signed again with the user's key when the
//! original was signed (or the store requires it). The branch then moves by
//! compare-and-swap and the result is pushed; when someone pushed meanwhile,
//! the whole round is tried again, a few times, with growing pauses.

use std::time::Duration;

use serde::Serialize;

use super::WriteOptions;
use crate::store::remote::{self, Pushed};
use crate::store::Store;
use crate::{Error, Result};

/// What to sync with.
#[derive(Debug, Clone, Default)]
pub struct SyncRequest {
    /// The remote (default: the branch's upstream remote, else `origin`).
    pub remote: Option<String>,
    /// The branch (default: the current one).
    pub branch: Option<String>,
    /// How many times to try again when a push is rejected.
    pub retries: u32,
}

/// What `sync` did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncOutcome {
    /// The remote.
    pub remote: String,
    /// The branch.
    pub branch: String,
    /// Remote commits newly integrated.
    pub received: usize,
    /// Local commits replayed on top of the remote's.
    pub replayed: usize,
    /// Commits pushed.
    pub pushed: usize,
    /// The branch's commit afterwards.
    pub head: String,
    /// Rounds needed (more than 1 when someone pushed meanwhile).
    pub attempts: u32,
}

/// The remote and branch `req` means.
pub fn target(store: &Store, req: &SyncRequest) -> Result<(String, String)> {
    store.sync_target(req.remote.as_deref(), req.branch.as_deref())
}

/// Fetches, integrates and pushes.
pub fn run(store: &Store, req: &SyncRequest, opts: &WriteOptions) -> Result<SyncOutcome> {
    let (remote, branch) = target(store, req)?;
    let root = store.root();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let exists = remote::fetch(root, &remote, &branch)?;
        let upstream = if exists { store.tracking(&remote, &branch) } else { None };
        let round = store.integrate(upstream, opts.sign, &opts.stamps.committer)?;
        let head = round.head;
        let outcome = |pushed| SyncOutcome {
            remote: remote.clone(),
            branch: branch.clone(),
            received: round.received,
            replayed: round.replayed,
            pushed,
            head: head.to_string(),
            attempts: attempt,
        };
        if upstream == Some(head) {
            return Ok(outcome(0));
        }
        let ahead = store.count_between(head, upstream)?;
        match remote::push(root, &remote, &head.to_string(), &branch)? {
            Pushed::Done => {
                // Keep the tracking ref honest for `crm status` until the next fetch.
                store.set_tracking(&remote, &branch, head);
                return Ok(outcome(ahead));
            }
            Pushed::Rejected if attempt <= req.retries => {
                // Growing pauses with jitter, so colleagues who collided do
                // not collide again in step.
                let base = 200u64 << attempt.min(5);
                let jitter = u64::from(std::process::id().wrapping_mul(2_654_435_761).rotate_left(attempt)) % base;
                std::thread::sleep(Duration::from_millis(base + jitter));
            }
            Pushed::Rejected => {
                return Err(Error::Network(format!(
                    "git push {remote} was rejected {attempt} times (others keep pushing); nothing was lost, run crm sync again"
                )))
            }
        }
    }
}
