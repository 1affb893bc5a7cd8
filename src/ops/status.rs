//! `crm status`: what is not shared yet, without touching the network —
//! local commits not pushed, and remote commits (as of the last fetch) not
//! integrated.

use serde::Serialize;

use super::sync::{target, SyncRequest};
pub use crate::store::rebase::Unshared;
use crate::store::Store;
use crate::Result;

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
    let (remote, branch) = target(store, req)?;
    let local = store.head_id();
    let upstream = store.tracking(&remote, &branch);
    Ok(StoreStatus {
        fetched: upstream.is_some(),
        ahead: store.unshared(local, upstream)?,
        behind: store.unshared(upstream, local)?,
        remote,
        branch,
    })
}
