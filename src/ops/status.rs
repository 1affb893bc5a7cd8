//! `crm status`: what is not shared yet, without touching the network —
//! local commits not pushed, and remote commits (as of the last fetch) not
//! integrated.

use git2::{Oid, Repository};
use serde::Serialize;

use super::sync::{target, SyncRequest};
use crate::model::date::Date;
use crate::store::history::commit_date;
use crate::store::Store;
use crate::Result;

/// One commit on one side.
#[derive(Debug, Clone, Serialize)]
pub struct Unshared {
    /// Commit id.
    pub commit: String,
    /// Committer date.
    pub date: Date,
    /// Subject line.
    pub subject: String,
    /// Author email.
    pub author: String,
}

/// Where the store stands against its remote.
#[derive(Debug, Clone, Serialize)]
pub struct StoreStatus {
    /// The remote.
    pub remote: String,
    /// The branch.
    pub branch: String,
    /// Whether the remote branch has ever been fetched.
    pub fetched: bool,
    /// Local commits not on the remote (newest first).
    pub ahead: Vec<Unshared>,
    /// Remote commits not integrated here (newest first).
    pub behind: Vec<Unshared>,
}

/// The store's status against `req`'s remote and branch.
pub fn run(store: &Store, req: &SyncRequest) -> Result<StoreStatus> {
    let repo = store.repo();
    let (remote, branch) = target(store, req)?;
    let local = repo.head().ok().and_then(|h| h.target());
    let upstream = repo.refname_to_id(&format!("refs/remotes/{remote}/{branch}")).ok();
    Ok(StoreStatus {
        fetched: upstream.is_some(),
        ahead: only_in(repo, local, upstream)?,
        behind: only_in(repo, upstream, local)?,
        remote,
        branch,
    })
}

fn only_in(repo: &Repository, tip: Option<Oid>, other: Option<Oid>) -> Result<Vec<Unshared>> {
    let Some(tip) = tip else { return Ok(Vec::new()) };
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    if let Some(o) = other {
        walk.hide(o)?;
    }
    walk.map(|oid| {
        let c = repo.find_commit(oid?)?;
        let author = c.author().email().unwrap_or_default().to_string();
        Ok(Unshared {
            commit: c.id().to_string(),
            date: commit_date(&c),
            subject: c.summary().ok().flatten().unwrap_or_default().to_string(),
            author,
        })
    })
    .collect()
}
