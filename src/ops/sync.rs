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

use git2::{Commit, Oid, Repository, Tree};
use serde::Serialize;

use super::WriteOptions;
use crate::error::SyncConflict;
use crate::model::merge::{merge3, Merged};
use crate::model::timestamp::Timestamp;
use crate::store::history::{customer_of, Attribution};
use crate::store::remote::{self, Pushed};
use crate::store::sigcheck::Gpg;
use crate::store::signing::{self, Signer};
use crate::store::treediff::{self, Blob};
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
    let repo = store.repo();
    let branch = match &req.branch {
        Some(b) => b.clone(),
        None => {
            let head = repo.find_reference("HEAD")?;
            let name = head.symbolic_target().ok().flatten().unwrap_or_default();
            name.strip_prefix("refs/heads/").map(str::to_string).ok_or_else(|| {
                Error::invalid("branch", name, "HEAD is not on a branch; check one out or pass --branch")
            })?
        }
    };
    let remote = match &req.remote {
        Some(r) => r.clone(),
        None => repo.config()?.get_string(&format!("branch.{branch}.remote")).unwrap_or_else(|_| "origin".into()),
    };
    if repo.find_remote(&remote).is_err() {
        return Err(Error::invalid("remote", remote, "no such remote; add it with `git remote add NAME URL`"));
    }
    Ok((remote, branch))
}

/// Fetches, integrates and pushes.
pub fn run(store: &Store, req: &SyncRequest, opts: &WriteOptions) -> Result<SyncOutcome> {
    let (remote, branch) = target(store, req)?;
    let root = store.root();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let exists = remote::fetch(root, &remote, &branch)?;
        let tracking = format!("refs/remotes/{remote}/{branch}");
        let upstream = if exists { Some(store.repo().refname_to_id(&tracking)?) } else { None };
        let round = integrate(store, upstream, opts)?;
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
        let ahead = count_between(store.repo(), head, upstream)?;
        match remote::push(root, &remote, &head.to_string(), &branch)? {
            Pushed::Done => {
                // Keep the tracking ref honest for `crm status` until the next fetch.
                let _ = store.repo().reference(&tracking, head, true, "crm sync: pushed");
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

struct Round {
    head: Oid,
    received: usize,
    replayed: usize,
}

/// Commits reachable from `tip` but not from `base`.
fn count_between(repo: &Repository, tip: Oid, base: Option<Oid>) -> Result<usize> {
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    if let Some(b) = base {
        walk.hide(b)?;
    }
    Ok(walk.count())
}

/// Brings the local branch on top of `upstream` (under the store's lock).
fn integrate(store: &Store, upstream: Option<Oid>, opts: &WriteOptions) -> Result<Round> {
    let repo = store.repo();
    let tx = store.begin()?;
    let local = tx.snapshot_commit();
    let (Some(upstream), Some(local)) = (upstream, local) else {
        // Nothing on one side: nothing to integrate.
        let head = match (local, upstream) {
            (Some(l), _) => l,
            (None, Some(u)) => {
                tx.advance(u, "sync: first fetch")?;
                u
            }
            (None, None) => return Err(Error::Missing("commits: neither this store nor the remote has any".into())),
        };
        return Ok(Round { head, received: 0, replayed: 0 });
    };
    if local == upstream || repo.graph_descendant_of(local, upstream)? {
        return Ok(Round { head: local, received: 0, replayed: 0 });
    }
    let received = count_between(repo, upstream, Some(local))?;
    if repo.graph_descendant_of(upstream, local)? {
        tx.advance(upstream, "sync: fast-forward")?;
        return Ok(Round { head: upstream, received, replayed: 0 });
    }
    let config = tx.snapshot().config()?;
    let signer = signing::resolve(repo, opts.sign, config.policy.require_signed).ok().flatten();
    let mine = local_commits(repo, local, upstream)?;
    let mut tip = repo.find_commit(upstream)?;
    let mut replayed = 0;
    for commit in &mine {
        match replay(repo, commit, &tip, upstream, signer.as_ref(), config.policy.require_signed, opts.times.committer)?
        {
            Some(next) => {
                tip = repo.find_commit(next)?;
                replayed += 1;
            }
            None => continue,
        }
    }
    tx.advance(tip.id(), &format!("sync: {replayed} local commit(s) on top of the remote"))?;
    Ok(Round { head: tip.id(), received, replayed })
}

/// The local commits not on `upstream`, oldest first, along first parents.
fn local_commits<'r>(repo: &'r Repository, local: Oid, upstream: Oid) -> Result<Vec<Commit<'r>>> {
    let base = repo.merge_base(local, upstream)?;
    let mut out = Vec::new();
    let mut next = Some(repo.find_commit(local)?);
    while let Some(c) = next {
        if c.id() == base || repo.graph_descendant_of(base, c.id())? {
            break;
        }
        next = c.parent(0).ok();
        out.push(c);
    }
    out.reverse();
    Ok(out)
}

fn blob_at(tree: &Tree, path: &str) -> Option<Blob> {
    let e = tree.get_path(std::path::Path::new(path)).ok()?;
    (e.kind() == Some(git2::ObjectType::Blob)).then(|| Blob { id: e.id(), mode: e.filemode() })
}

fn text(repo: &Repository, blob: Option<Blob>) -> Result<Option<String>> {
    blob.map(|b| Ok(String::from_utf8_lossy(repo.find_blob(b.id)?.content()).into_owned())).transpose()
}

/// Replays `commit`'s changes on `tip`; `None` when they are already there.
fn replay(
    repo: &Repository,
    commit: &Commit,
    tip: &Commit,
    upstream: Oid,
    signer: Option<&Signer>,
    required: bool,
    committed: Option<Timestamp>,
) -> Result<Option<Oid>> {
    let parent_tree = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
    let changes = treediff::diff(repo, parent_tree.as_ref(), Some(&commit.tree()?), "")?;
    let tip_tree = tip.tree()?;
    let mut edits: Vec<(String, Option<Oid>)> = Vec::new();
    let mut conflicts = Vec::new();
    for change in changes {
        let theirs = blob_at(&tip_tree, &change.path);
        if theirs == change.old || theirs == change.new {
            edits.push((change.path.clone(), change.new.map(|b| b.id)));
            continue;
        }
        let merged = merge3(
            &change.path,
            text(repo, change.old)?.as_deref(),
            text(repo, change.new)?.as_deref(),
            text(repo, theirs)?.as_deref(),
        )?;
        match merged {
            Merged::Clean(content) => {
                let id = content.map(|c| repo.blob(c.as_bytes())).transpose()?;
                edits.push((change.path.clone(), id));
            }
            Merged::Conflicts(list) => {
                let ours_by = who(repo, commit);
                let theirs_by = last_change_by(repo, upstream, commit, &change.path)?;
                conflicts.extend(list.into_iter().map(|c| SyncConflict {
                    file: customer_of(&change.path),
                    key: c.key,
                    ours: c.ours,
                    ours_by: ours_by.clone(),
                    theirs: c.theirs,
                    theirs_by: theirs_by.clone(),
                }));
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(Error::SyncConflicts(conflicts));
    }
    let tree_id = crate::store::write::tree_with(repo, Some(&tip_tree), &edits, &|_| None)?;
    if tree_id == tip_tree.id() {
        return Ok(None);
    }
    let tree = repo.find_tree(tree_id)?;
    let committer = crate::store::write::identity(repo, committed)?;
    let message = commit.message().unwrap_or_default();
    let was_signed = repo.extract_signature(&commit.id(), None).is_ok();
    let id = match signer {
        Some(s) if was_signed || required => {
            let buffer = repo.commit_create_buffer(&commit.author(), &committer, message, &tree, &[tip])?;
            let payload = std::str::from_utf8(&buffer).map_err(|_| Error::invalid("commit", "", "not UTF-8"))?;
            repo.commit_signed(payload, s.sign(payload)?.trim_end(), Some("gpgsig"))?
        }
        None if was_signed || required => {
            return Err(Error::SigningUnavailable(
                "local commits must be signed again on top of the remote's, and signing is not configured".into(),
            ))
        }
        _ => repo.commit(None, &commit.author(), &committer, message, &tree, &[tip])?,
    };
    Ok(Some(id))
}

/// Who made a commit, for conflict reports.
fn who(repo: &Repository, commit: &Commit) -> String {
    Attribution::default()
        .actor(repo, commit, &Gpg::default())
        .map(|(actor, _)| format!("{actor}, {}", short(commit)))
        .unwrap_or_else(|_| short(commit))
}

fn short(commit: &Commit) -> String {
    commit.id().to_string()[..8].to_string()
}

/// Who last changed `path` on the remote side.
fn last_change_by(repo: &Repository, upstream: Oid, local: &Commit, path: &str) -> Result<String> {
    let base = repo.merge_base(upstream, local.id())?;
    let mut walk = repo.revwalk()?;
    walk.push(upstream)?;
    walk.hide(base)?;
    for oid in walk {
        let c = repo.find_commit(oid?)?;
        let before = c.parent(0).ok().map(|p| p.tree()).transpose()?.and_then(|t| blob_at(&t, path));
        if before != blob_at(&c.tree()?, path) {
            return Ok(who(repo, &c));
        }
    }
    Ok("?".into())
}
