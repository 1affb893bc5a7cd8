//! `crm verify`: judge every commit of a range by the authorisation rules,
//! against the store as it was in the commit's first parent (so nobody can
//! grant themselves a right in the commit that uses it).
//!
//! The actor of a commit is whoever signed it, checked against the keys in
//! the parent state's staff files; author and committer fields are never
//! trusted. Merges are judged twice: the commits a merge brings in are
//! judged in their own right *and* against the first-parent state at the
//! merge (so a branch forked before someone's departure cannot be merged
//! after it), and anything a merge changes on its own (an "evil merge") is
//! judged as the merge signer's own change.

pub mod rules;

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use git2::{Commit, Oid, Repository, Sort, Tree};
use serde::Serialize;

use crate::model::authz::{authorize, Action};
use crate::model::customer::Customer;
use crate::model::date::Date;
use crate::model::{CustomerId, Handle, Role, Staff, StoreConfig};
use crate::store::history::commit_date;
use crate::store::layout::{toml_stem, CONFIG_FILE, CUSTOMERS_DIR, STAFF_DIR};
use crate::store::sigcheck::{self, Gpg, KeyRing, SigStatus};
use crate::store::treediff::{self, Blob, FileChange};
use crate::store::Snapshot;
use crate::{Error, Result};

/// What to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    /// `A..B`, or a single revision (all its history); default HEAD.
    pub range: Option<String>,
    /// The trusted first commit: it and its history are not judged.
    pub root: Option<String>,
    /// How to check OpenPGP signatures.
    pub gpg: Gpg,
}

/// One broken rule.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// The commit.
    pub commit: String,
    /// Its committer date.
    pub date: Date,
    /// Who acted (the signer; for unsigned commits in stores that allow
    /// them, the staff member with the committer's email).
    pub actor: String,
    /// Whether the actor is known from a good signature.
    pub authenticated: bool,
    /// The file concerned (none for commit-wide rules such as signatures).
    pub path: Option<String>,
    /// Stable rule id.
    pub rule: &'static str,
    /// What is wrong.
    pub message: String,
}

/// The outcome of `verify`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Commits judged.
    pub commits: usize,
    /// Everything found, oldest commit first.
    pub violations: Vec<Violation>,
}

/// The store as of one commit, as far as judging needs it.
struct State {
    config: StoreConfig,
    staff: BTreeMap<Handle, Staff>,
    ring: KeyRing,
}

/// The actor of a commit, as far as it could be established.
#[derive(Clone)]
struct Actor {
    handle: String,
    person: Option<Staff>,
    authenticated: bool,
    forge: bool,
}

/// A state is known by its crm.toml blob and its staff/ tree.
type StateKey = (Option<Oid>, Option<Oid>);

struct Verifier<'r> {
    repo: &'r Repository,
    gpg: Gpg,
    states: HashMap<StateKey, Option<Rc<State>>>,
    violations: Vec<Violation>,
}

/// Judges every commit `req` selects.
pub fn run(repo: &Repository, req: &VerifyRequest) -> Result<VerifyReport> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let resolve = |rev: &str| {
        repo.revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|_| Error::invalid("revision", rev, "not a commit in this repository"))
    };
    match req.range.as_deref() {
        Some(range) if range.contains("..") => {
            let (from, to) = range.split_once("..").unwrap_or_default();
            walk.push(resolve(if to.is_empty() { "HEAD" } else { to })?)?;
            walk.hide(resolve(from)?)?;
        }
        Some(rev) => walk.push(resolve(rev)?)?,
        None => walk.push(resolve("HEAD")?)?,
    }
    let pinned = req.root.as_deref().map(resolve).transpose()?;
    if let Some(root) = pinned {
        walk.hide(root)?;
    }
    let mut v = Verifier { repo, gpg: req.gpg.clone(), states: HashMap::new(), violations: Vec::new() };
    let mut genesis_seen = pinned.is_some() || req.range.as_deref().is_some_and(|r| r.contains(".."));
    let mut commits = 0;
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        commits += 1;
        let parent = commit.parent(0).ok();
        let state = match &parent {
            Some(p) => v.state(&p.tree()?)?,
            None => None,
        };
        let Some(state) = state else {
            // The parent holds no store: this commit creates it.
            if v.touches_store(&commit)? && std::mem::replace(&mut genesis_seen, true) {
                let actor = Actor { handle: committer(&commit), person: None, authenticated: false, forge: false };
                v.violation(
                    &commit,
                    &actor,
                    None,
                    "second-genesis",
                    "creates the store again after the trusted root".into(),
                );
            }
            continue;
        };
        v.judge(&commit, &state)?;
    }
    Ok(VerifyReport { commits, violations: v.violations })
}

fn committer(commit: &Commit) -> String {
    format!("<{}>", commit.committer().email().unwrap_or_default())
}

impl<'r> Verifier<'r> {
    /// The store in `tree`, or `None` when the tree holds no store.
    fn state(&mut self, tree: &Tree) -> Result<Option<Rc<State>>> {
        let snapshot = Snapshot::new(self.repo, Some(tree.clone()));
        let key = (snapshot.blob_id(CONFIG_FILE), snapshot.staff_tree_id());
        if let Some(s) = self.states.get(&key) {
            return Ok(s.clone());
        }
        let state = if key.0.is_none() {
            None
        } else {
            // A broken crm.toml is judged by the strictest reading of it.
            let config = snapshot.config().unwrap_or_else(|_| StoreConfig {
                company: crate::model::Company { name: String::new(), currency: String::new() },
                policy: crate::model::Policy { require_signed: true, ..Default::default() },
            });
            let staff = staff_leniently(&snapshot);
            let mut ring = KeyRing::from_staff(&staff);
            ring.add_forge_keys(&config.policy.forge_keys);
            Some(Rc::new(State { config, staff, ring }))
        };
        self.states.insert(key, state.clone());
        Ok(state)
    }

    fn touches_store(&self, commit: &Commit) -> Result<bool> {
        let parent = commit.parent(0).ok().map(|p| p.tree()).transpose()?;
        let changes = treediff::diff(self.repo, parent.as_ref(), Some(&commit.tree()?), "")?;
        Ok(changes.iter().any(|c| is_store_path(&c.path)))
    }

    fn violation(&mut self, commit: &Commit, actor: &Actor, path: Option<&str>, rule: &'static str, message: String) {
        self.violations.push(Violation {
            commit: commit.id().to_string(),
            date: commit_date(commit),
            actor: actor.handle.clone(),
            authenticated: actor.authenticated,
            path: path.map(str::to_string),
            rule,
            message,
        });
    }

    /// Establishes who made `commit` under `state`, reporting signature
    /// problems. `None` when no actor can be trusted.
    fn actor(&mut self, commit: &Commit, state: &State) -> Option<Actor> {
        let checked = sigcheck::check(self.repo, commit.id(), &state.ring, &self.gpg);
        let required = state.config.policy.require_signed;
        let unknown = Actor { handle: committer(commit), person: None, authenticated: false, forge: false };
        match checked.status {
            SigStatus::Good if checked.forge => {
                Some(Actor { handle: "forge".into(), person: None, authenticated: true, forge: true })
            }
            SigStatus::Good => {
                let handle = checked.signer?;
                let person = state.staff.get(&handle).cloned();
                let actor = Actor { handle: handle.to_string(), person, authenticated: true, forge: false };
                if actor.person.as_ref().is_some_and(|p| !p.is_active()) {
                    let msg = format!("signed by {handle}, who had departed before this commit");
                    self.violation(commit, &actor, None, "signer-departed", msg);
                    return None;
                }
                Some(actor)
            }
            SigStatus::Bad => {
                self.violation(
                    commit,
                    &unknown,
                    None,
                    "bad-signature",
                    "the signature does not match the commit".into(),
                );
                None
            }
            SigStatus::UnknownKey => {
                let msg = "signed by a key that no staff member lists".to_string();
                self.violation(commit, &unknown, None, "unknown-key", msg);
                None
            }
            SigStatus::None if required => {
                self.violation(commit, &unknown, None, "unsigned", "the store requires signed commits".into());
                None
            }
            SigStatus::None => {
                let email = commit.committer().email().unwrap_or_default().to_string();
                match state.staff.values().find(|s| s.email.eq_ignore_ascii_case(&email)) {
                    Some(s) => Some(Actor {
                        handle: s.handle.to_string(),
                        person: Some(s.clone()),
                        authenticated: false,
                        forge: false,
                    }),
                    None => {
                        let msg = format!("unsigned, and the committer <{email}> is no staff member");
                        self.violation(commit, &unknown, None, "unknown-actor", msg);
                        None
                    }
                }
            }
        }
    }

    fn judge(&mut self, commit: &Commit, state: &State) -> Result<()> {
        let first = commit.parent(0)?;
        let base = first.tree()?;
        let tree = commit.tree()?;
        let changes: Vec<FileChange> = treediff::diff(self.repo, Some(&base), Some(&tree), "")?
            .into_iter()
            .filter(|c| is_store_path(&c.path))
            .collect();
        if changes.is_empty() {
            return Ok(());
        }
        let Some(actor) = self.actor(commit, state) else { return Ok(()) };
        if commit.parent_count() < 2 {
            if actor.forge {
                self.violation(commit, &actor, None, "forge-commit", "the forge's key signs merges only".into());
                return Ok(());
            }
            for change in &changes {
                self.judge_change(commit, &actor, state, change, None)?;
            }
            return Ok(());
        }
        // A merge: each change either comes from another parent or is the
        // merge's own.
        let others: Vec<Commit> = commit.parents().skip(1).collect();
        for change in &changes {
            let mut brought_from = None;
            for other in &others {
                let theirs = blob_at(&other.tree()?, &change.path);
                if theirs == change.new {
                    brought_from = Some(other.clone());
                    break;
                }
            }
            match brought_from {
                Some(other) => self.judge_brought_in(commit, state, &first, &other, change)?,
                None if actor.forge => {
                    let msg = "a forge merge may not change files itself".to_string();
                    self.violation(commit, &actor, Some(&change.path), "forge-merge-changes", msg);
                }
                None => self.judge_change(commit, &actor, state, change, None)?,
            }
        }
        Ok(())
    }

    /// Judges the branch commits that produced a change a merge brings in,
    /// against the state at the merge's first parent.
    fn judge_brought_in(
        &mut self,
        merge: &Commit,
        state: &State,
        first: &Commit,
        other: &Commit,
        change: &FileChange,
    ) -> Result<()> {
        let mut walk = self.repo.revwalk()?;
        walk.push(other.id())?;
        walk.hide(first.id())?;
        for oid in walk {
            let branch_commit = self.repo.find_commit(oid?)?;
            let Ok(parent) = branch_commit.parent(0) else { continue };
            let before = blob_at(&parent.tree()?, &change.path);
            let after = blob_at(&branch_commit.tree()?, &change.path);
            if before == after {
                continue;
            }
            // Who made it, by the keys of the branch commit's own parent.
            let Some(own_state) = self.state(&parent.tree()?)? else { continue };
            let checked = sigcheck::check(self.repo, branch_commit.id(), &own_state.ring, &self.gpg);
            let handle = match (checked.status, checked.signer) {
                (SigStatus::Good, Some(h)) => h,
                // Unsigned or badly signed branch commits are reported when
                // the branch commit itself is judged.
                _ => continue,
            };
            // Judged by their record at the merge; someone who is not there
            // at all was hired on the branch, and their branch record holds.
            let person = state.staff.get(&handle).or_else(|| own_state.staff.get(&handle)).cloned();
            let actor = Actor { handle: handle.to_string(), person, authenticated: true, forge: false };
            let branch_change = FileChange { path: change.path.clone(), old: before, new: after };
            let context =
                format!("in {} merged by {}", &branch_commit.id().to_string()[..8], &merge.id().to_string()[..8]);
            self.judge_change(merge, &actor, state, &branch_change, Some(&context))?;
        }
        Ok(())
    }

    /// Judges one file change by `actor` under `state`.
    fn judge_change(
        &mut self,
        commit: &Commit,
        actor: &Actor,
        state: &State,
        change: &FileChange,
        context: Option<&str>,
    ) -> Result<()> {
        let path = change.path.as_str();
        let suffix = context.map(|c| format!(" ({c}, judged against the state at the merge)")).unwrap_or_default();
        let Some(person) = actor.person.clone() else {
            let msg = format!("{} is not in staff/ of the parent state{suffix}", actor.handle);
            self.violation(commit, actor, Some(path), "actor-departed", msg);
            return Ok(());
        };
        if [change.old, change.new].iter().flatten().any(|b| b.mode == 0o120000) {
            self.violation(commit, actor, Some(path), "not-a-file", format!("a symlink in the store{suffix}"));
            return Ok(());
        }
        let policy = &state.config.policy;
        let deny = |v: &mut Self, action: Action<'_>| {
            if let Err(d) = authorize(&person, policy, action) {
                v.violation(
                    commit,
                    actor,
                    Some(path),
                    d.rule,
                    format!("{} may not {}{suffix}", actor.handle, d.reason),
                );
            }
        };
        if path == CONFIG_FILE || path.starts_with(&format!("{STAFF_DIR}/")) {
            deny(self, Action::ChangeSettings);
            return Ok(());
        }
        let read = |b: Option<Blob>| -> Result<Option<std::result::Result<Customer, ()>>> {
            let Some(b) = b else { return Ok(None) };
            let blob = self.repo.find_blob(b.id)?;
            let stem = path.rsplit('/').next().and_then(toml_stem).unwrap_or_default();
            let parsed = std::str::from_utf8(blob.content())
                .ok()
                .zip(CustomerId::parse(stem).ok())
                .and_then(|(text, id)| Customer::parse(&id, path, text).ok());
            Ok(Some(parsed.ok_or(())))
        };
        let (old, new) = (read(change.old)?, read(change.new)?);
        match (old, new) {
            (None, None) => {}
            (Some(_), None) => deny(self, Action::RemoveCustomer),
            (_, Some(Err(()))) | (Some(Err(())), _) => {
                let msg = format!("cannot be parsed, so the change cannot be judged{suffix}");
                self.violation(commit, actor, Some(path), "unreadable-record", msg);
            }
            (None, Some(Ok(new))) => deny(self, Action::AddCustomer { owner: &new.owner }),
            (Some(Ok(old)), Some(Ok(new))) => {
                let ownership = old.owner != new.owner || old.backup != new.backup;
                if ownership {
                    deny(self, Action::ChangeOwnership { customer: &old });
                }
                let mut same_owner = new.clone();
                same_owner.owner.clone_from(&old.owner);
                same_owner.backup.clone_from(&old.backup);
                if !ownership || same_owner != old {
                    deny(self, Action::EditCustomer { customer: &old });
                }
                let kept =
                    new.touches.len() >= old.touches.len() && new.touches[..old.touches.len()] == old.touches[..];
                if !kept && person.role != Role::Admin {
                    let msg = format!(
                        "{} changed or removed past touches; the interaction log is append-only{suffix}",
                        actor.handle
                    );
                    self.violation(commit, actor, Some(path), "touch-history-rewritten", msg);
                }
            }
        }
        Ok(())
    }
}

/// Staff of a snapshot, skipping files that cannot be read (a broken staff
/// file grants nothing).
fn staff_leniently(snapshot: &Snapshot<'_>) -> BTreeMap<Handle, Staff> {
    if let Ok(staff) = snapshot.staff() {
        return staff;
    }
    let mut staff = BTreeMap::new();
    let Ok(Some(dir)) = snapshot.subtree(STAFF_DIR) else { return staff };
    for entry in dir.iter() {
        let Some(handle) = entry.name().and_then(toml_stem).and_then(|s| Handle::parse(s).ok()) else { continue };
        if let Ok(person) = snapshot.person(&handle) {
            staff.insert(handle, person);
        }
    }
    staff
}

fn is_store_path(path: &str) -> bool {
    path == CONFIG_FILE || path.starts_with(&format!("{STAFF_DIR}/")) || path.starts_with(&format!("{CUSTOMERS_DIR}/"))
}

fn blob_at(tree: &Tree, path: &str) -> Option<Blob> {
    let entry = tree.get_path(std::path::Path::new(path)).ok()?;
    (entry.kind() == Some(git2::ObjectType::Blob)).then(|| Blob { id: entry.id(), mode: entry.filemode() })
}
