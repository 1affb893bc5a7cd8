//! Bringing local commits on top of the remote's, in memory (no work
//! tree, no index, no `.git/rebase-*`), for `crm sync`: files only one side
//! changed are taken as they are; a file both changed is merged key by key
//! ([`crate::model::merge`]); two different values for one key stop with
//! nothing changed. Replayed commits keep their message and author and are
//! signed again when the original was signed (or the store requires it).
//! Also the refs sync and status read: the branch's remote and its
//! tracking ref.

use git2::{Commit, Oid, Repository, Tree};
use serde::Serialize;

use super::history::{commit_date, customer_of, Attribution};
use super::sigcheck::Gpg;
use super::signing::{self, SignChoice, Signer};
use super::treediff::{self, Blob};
use super::write::Stamp;
use super::Snapshot;
use super::{ObjectId, Store};
use crate::error::SyncConflict;
use crate::model::customer::read_holder;
use crate::model::date::Date;
use crate::model::merge::{merge3, Conflict, Merged};
use crate::model::pool::POOL;
use crate::model::{Customer, CustomerId};
use crate::seal::record::{self, Resealer};
use crate::seal::ring::Keyring;
use crate::seal::value;
use crate::seal::Readers;
use crate::{Error, Result};

/// What one integration did.
pub struct Integrated {
    /// The branch's commit afterwards.
    pub head: ObjectId,
    /// Remote commits newly integrated.
    pub received: usize,
    /// Local commits replayed on top of the remote's.
    pub replayed: usize,
}

/// One commit on one side of a remote branch.
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

impl Store {
    /// The remote and branch to sync: the given ones, else the current
    /// branch and its upstream remote (else `origin`), which must exist.
    pub fn sync_target(&self, remote: Option<&str>, branch: Option<&str>) -> Result<(String, String)> {
        let repo = self.repo();
        let branch = match branch {
            Some(b) => b.to_string(),
            None => {
                let head = repo.find_reference("HEAD")?;
                let name = head.symbolic_target().ok().flatten().unwrap_or_default();
                name.strip_prefix("refs/heads/").map(str::to_string).ok_or_else(|| {
                    Error::invalid("branch", name, "HEAD is not on a branch; check one out or pass --branch")
                })?
            }
        };
        let remote = match remote {
            Some(r) => r.to_string(),
            None => repo.config()?.get_string(&format!("branch.{branch}.remote")).unwrap_or_else(|_| "origin".into()),
        };
        if repo.find_remote(&remote).is_err() {
            return Err(Error::invalid("remote", remote, "no such remote; add it with `git remote add NAME URL`"));
        }
        Ok((remote, branch))
    }

    /// Where `refs/remotes/REMOTE/BRANCH` points, if it exists.
    pub fn tracking(&self, remote: &str, branch: &str) -> Option<ObjectId> {
        self.repo().refname_to_id(&format!("refs/remotes/{remote}/{branch}")).ok().map(ObjectId::from)
    }

    /// Moves `refs/remotes/REMOTE/BRANCH` to `id` after a push, so that
    /// `crm status` is right until the next fetch.
    pub fn set_tracking(&self, remote: &str, branch: &str, id: ObjectId) {
        let name = format!("refs/remotes/{remote}/{branch}");
        let _ = self.repo().reference(&name, id.git(), true, "crm sync: pushed");
    }

    /// The current branch's commit, if any.
    pub fn head_id(&self) -> Option<ObjectId> {
        self.repo().head().ok().and_then(|h| h.target()).map(ObjectId::from)
    }

    /// How many commits are reachable from `tip` but not from `base`.
    pub fn count_between(&self, tip: ObjectId, base: Option<ObjectId>) -> Result<usize> {
        count_between(self.repo(), tip.git(), base.map(ObjectId::git))
    }

    /// The commits reachable from `tip` but not from `other`, newest
    /// first.
    pub fn unshared(&self, tip: Option<ObjectId>, other: Option<ObjectId>) -> Result<Vec<Unshared>> {
        let repo = self.repo();
        let Some(tip) = tip else { return Ok(Vec::new()) };
        let mut walk = repo.revwalk()?;
        walk.push(tip.git())?;
        if let Some(o) = other {
            walk.hide(o.git())?;
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

    /// Brings the local branch on top of `upstream` under the store's
    /// lock: a fast-forward when it can, else the local commits replayed,
    /// signed as `sign` says, committed as `committer` says.
    pub fn integrate(&self, upstream: Option<ObjectId>, sign: SignChoice, committer: &Stamp) -> Result<Integrated> {
        let repo = self.repo();
        let tx = self.begin()?;
        let local = tx.snapshot_commit();
        let (Some(upstream), Some(local)) = (upstream.map(ObjectId::git), local) else {
            // Nothing on one side: nothing to integrate.
            let head = match (local, upstream) {
                (Some(l), _) => l,
                (None, Some(u)) => {
                    tx.advance(u.git(), "sync: first fetch")?;
                    u.git()
                }
                (None, None) => {
                    return Err(Error::Missing("commits: neither this store nor the remote has any".into()))
                }
            };
            return Ok(Integrated { head: head.into(), received: 0, replayed: 0 });
        };
        if local == upstream || repo.graph_descendant_of(local, upstream)? {
            return Ok(Integrated { head: local.into(), received: 0, replayed: 0 });
        }
        let received = count_between(repo, upstream, Some(local))?;
        if repo.graph_descendant_of(upstream, local)? {
            tx.advance(upstream, "sync: fast-forward")?;
            return Ok(Integrated { head: upstream.into(), received, replayed: 0 });
        }
        let config = tx.snapshot().config()?;
        let required = config.policy.require_signed;
        let signer = signing::resolve(repo, sign, required).ok().flatten();
        let mine = local_commits(repo, local, upstream)?;
        let mut tip = repo.find_commit(upstream)?;
        // Sealed customers both sides changed merge on their opened values,
        // re-sealed as the remote's policy wants.
        let shared = Snapshot::new(repo, Some(tip.tree()?));
        let shared_config = shared.config()?;
        let readers = match &shared_config.seal {
            Some(seal) => Some(Readers::new(&shared_config, seal, &shared.staff()?)),
            None => None,
        };
        // Rings come from the remote's tree or ours (a ring never changes).
        let files =
            super::rings::TreeRings::new(super::rings::shared(repo)?, vec![tip.tree_id(), local_tree(repo, local)?]);
        let keyring = Keyring::new(Box::new(files), self.keys(), Default::default());
        let resealer = shared_config.seal.as_ref().zip(readers.as_ref()).map(|(cfg, readers)| Resealer {
            cfg,
            readers,
            keyring: &keyring,
        });
        let mut replayed = 0;
        for commit in &mine {
            let ctx = Replay { signer: signer.as_ref(), required, committed: committer, resealer: resealer.as_ref() };
            if let Some(next) = replay(repo, commit, &tip, upstream, &ctx)? {
                tip = repo.find_commit(next)?;
                replayed += 1;
            }
        }
        tx.advance(tip.id(), &format!("sync: {replayed} local commit(s) on top of the remote"))?;
        Ok(Integrated { head: tip.id().into(), received, replayed })
    }
}

/// The tree of commit `id`.
fn local_tree(repo: &Repository, id: Oid) -> Result<Oid> {
    Ok(repo.find_commit(id)?.tree_id())
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
    (e.kind() == Some(git2::ObjectType::Blob)).then(|| Blob { id: e.id().into(), mode: e.filemode() })
}

fn text(repo: &Repository, blob: Option<Blob>) -> Result<Option<String>> {
    blob.map(|b| Ok(String::from_utf8_lossy(repo.find_blob(b.id.git())?.content()).into_owned())).transpose()
}

/// How commits are replayed.
struct Replay<'a> {
    /// Who signs the replayed commits.
    signer: Option<&'a Signer>,
    /// Whether the store requires signatures.
    required: bool,
    /// The committer of the replayed commits.
    committed: &'a Stamp,
    /// In a sealed store: what re-seals a merged customer.
    resealer: Option<&'a Resealer<'a>>,
}

/// Replays `commit`'s changes on `tip`; `None` when they are already there.
fn replay(repo: &Repository, commit: &Commit, tip: &Commit, upstream: Oid, ctx: &Replay<'_>) -> Result<Option<Oid>> {
    let Replay { signer, required, committed, resealer } = *ctx;
    let parent_tree = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
    let changes = treediff::diff(repo, parent_tree.as_ref(), Some(&commit.tree()?), "")?;
    let tip_tree = tip.tree()?;
    let mut edits: Vec<(String, Option<Oid>)> = Vec::new();
    let mut conflicts = Vec::new();
    for change in changes {
        let theirs = blob_at(&tip_tree, &change.path);
        if theirs == change.new {
            edits.push((change.path.clone(), change.new.map(|b| b.id.git())));
            continue;
        }
        if theirs == change.old && resealer.is_none() {
            edits.push((change.path.clone(), change.new.map(|b| b.id.git())));
            continue;
        }
        if theirs == change.old {
            // Ours as it is, sealed for who may read it on the remote's side
            // (a departure there takes someone off what we wrote here).
            let (theirs, ours) = (text(repo, theirs)?, text(repo, change.new)?);
            let content = reseal_for(resealer, &change.path, theirs.as_deref(), ours)?;
            edits.push((change.path.clone(), content.map(|c| repo.blob(c.as_bytes())).transpose()?));
            continue;
        }
        let (base, ours, theirs) = (text(repo, change.old)?, text(repo, change.new)?, text(repo, theirs)?);
        let sides = [base.as_deref(), ours.as_deref(), theirs.as_deref()];
        let sealed = match resealer {
            Some(resealer) => merge_sealed(resealer, &change.path, sides)?,
            None => None,
        };
        let merged = match sealed {
            Some(merged) => merged,
            None => merge3(&change.path, base.as_deref(), ours.as_deref(), theirs.as_deref())?,
        };
        match merged {
            Merged::Clean(content) => {
                let content = reseal_for(resealer, &change.path, theirs.as_deref(), content)?;
                let id = content.map(|c| repo.blob(c.as_bytes())).transpose()?;
                edits.push((change.path.clone(), id));
            }
            Merged::Conflicts(list) => {
                let ours_by = who(repo, commit);
                let theirs_by = last_change_by(repo, upstream, commit, &change.path)?;
                // Both sides took it from the pool: that is the conflict,
                // whatever else differs (a sealed file is sealed again for
                // each claimer), and whoever pushed first has it.
                let pooled = base.as_deref().and_then(read_holder).is_some_and(|h| h.owner == POOL);
                let owner = |t: &Option<String>| t.as_deref().and_then(read_holder).map(|h| h.owner);
                let (our_owner, their_owner) = (owner(&ours), owner(&theirs));
                let taken = |o: &Option<String>| o.as_deref().is_some_and(|o| o != POOL);
                if pooled && taken(&our_owner) && taken(&their_owner) && our_owner != their_owner {
                    conflicts.push(SyncConflict {
                        file: customer_of(&change.path),
                        key: "owner".into(),
                        ours: our_owner,
                        ours_by,
                        theirs: their_owner,
                        theirs_by,
                        claimed: true,
                    });
                    continue;
                }
                // A sealed value the user could not open is named, not shown.
                let shown = |v: Option<String>| {
                    v.map(|v| if v.contains(value::PREFIX) { "(a sealed value)".into() } else { v })
                };
                conflicts.extend(list.into_iter().map(|c| SyncConflict {
                    file: customer_of(&change.path),
                    claimed: false,
                    key: c.key,
                    ours: shown(c.ours),
                    ours_by: ours_by.clone(),
                    theirs: shown(c.theirs),
                    theirs_by: theirs_by.clone(),
                }));
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(Error::SyncConflicts(conflicts));
    }
    if let Some(resealer) = resealer {
        for (path, file) in resealer.keyring.take_made() {
            edits.push((path, Some(repo.blob(file.as_bytes())?)));
        }
    }
    let tree_id = crate::store::write::tree_with(repo, Some(&tip_tree), &edits, &|_| None)?;
    if tree_id == tip_tree.id() {
        return Ok(None);
    }
    let tree = repo.find_tree(tree_id)?;
    let committer = super::write::identity(repo, committed)?;
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

/// `content`, the new text of `path` on top of `theirs`, sealed as the
/// remote's policy wants when it is a customer file of a sealed store
/// (unchanged when it already is, or is no customer file).
fn reseal_for(
    resealer: Option<&Resealer<'_>>,
    path: &str,
    theirs: Option<&str>,
    content: Option<String>,
) -> Result<Option<String>> {
    let (Some(resealer), Some(text)) = (resealer, content.as_deref()) else { return Ok(content) };
    let Ok(id) = CustomerId::parse(&customer_of(path)) else { return Ok(content) };
    if !path.starts_with("customers/") {
        return Ok(content);
    }
    Ok(Some(resealer.reseal(&id, path, theirs, text)?.unwrap_or_else(|| text.to_string())))
}

/// The merge of a sealed customer file both sides changed, on its opened
/// values (the replay seals it again, as every customer file it writes;
/// `None`: not a sealed customer file, the plain merge applies). When the acting user's key cannot open
/// all three versions, the plain merge of ciphertexts is right only if
/// every side seals under the same data key; otherwise it is a conflict.
fn merge_sealed(
    resealer: &Resealer<'_>,
    path: &str,
    [base, ours, theirs]: [Option<&str>; 3],
) -> Result<Option<Merged>> {
    let Ok(id) = CustomerId::parse(&customer_of(path)) else {
        return Ok(None);
    };
    let seal_of = |side: Option<&str>| side.and_then(|t| Customer::parse(&id, path, t).ok()).and_then(|c| c.seal);
    let seals = [seal_of(base), seal_of(ours), seal_of(theirs)];
    if !path.starts_with("customers/") || seals.iter().all(Option::is_none) {
        return Ok(None);
    }
    let open = |side: Option<&str>| match side {
        Some(text) => record::open_text(&id, path, text, resealer.keyring).map(Some),
        None => Some(None),
    };
    let (Some(b), Some(o), Some(t)) = (open(base), open(ours), open(theirs)) else {
        let same_key = seals.iter().flatten().map(|s| &s.key).collect::<std::collections::HashSet<_>>().len() <= 1;
        if same_key {
            return Ok(None);
        }
        return Ok(Some(Merged::Conflicts(vec![Conflict {
            key: "sealed_key".into(),
            ours: Some("(values sealed under the data key you can open)".into()),
            theirs: Some("(sealed again for other readers, which your key does not open)".into()),
        }])));
    };
    Ok(Some(merge3(path, b.as_deref(), o.as_deref(), t.as_deref())?))
}

/// Who made a commit, for conflict reports.
fn who(repo: &Repository, commit: &Commit) -> String {
    Attribution::default()
        .actor(repo, commit, &Gpg::default())
        .map(|(actor, _)| format!("{actor}, {}", ObjectId::from(commit.id()).short()))
        .unwrap_or_else(|_| ObjectId::from(commit.id()).short())
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
