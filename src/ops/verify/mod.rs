//! `crm verify`: judge every commit of a range by the authorisation rules,
//! so that a history verify accepts is one in which every change to every
//! store path was made, or approved, by someone the policy allowed at that
//! point.
//!
//! - The actor of a commit is whoever signed it, checked against the keys of
//!   the trusted state it is judged against; author and committer fields are
//!   never trusted. When the policy requires signatures, every commit's
//!   signature is checked, whatever it changes.
//! - A commit is judged against the state of its *reference parent*: its
//!   only parent, or for a merge the most recent trusted state among its
//!   parents ([`merge`]), so a merge can never step back to an older state.
//! - Everything a commit changes relative to that parent is the signer's own
//!   change, except what a merge cleanly brings in from another parent; that
//!   is judged in the commits that made it, again against the state at the
//!   merge ([`merge`]).
//! - Every changed tree must be well formed ([`treeshape`]), the rules
//!   `check` applies to a whole tree.
//!
//! [`update`] adds what a server hook needs on top: no rewinds, no deletion
//! of protected branches, no foreign roots, no replace refs.

mod change;
mod merge;
mod pool;
pub mod rules;
mod state;
pub mod update;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use serde::Serialize;

use crate::model::date::Date;
use crate::model::rule_ids::{CheckRule, VerifyRule};
use crate::seal::record::KeyList;
use crate::seal::ring::{Keyring, RingCache};
use crate::store::graph::{self, Commit, Order};
use crate::store::layout::CONFIG_FILE;
use crate::store::rings::SharedRepo;
use crate::store::shallow::Boundary;
use crate::store::sigcheck::Gpg;
use crate::store::treediff::{self, FileChange, Trees};
use crate::store::treeshape::{self, Sizes};
use crate::store::{ObjectId, Repo};
use crate::Result;
use state::{Actor, State, StateKey};
use std::sync::Arc;

/// What to verify.
#[derive(Clone, Default)]
pub struct VerifyRequest {
    /// `A..B`, or a single revision (all its history); default HEAD.
    pub range: Option<String>,
    /// The trusted first commit: it and its history are not judged.
    pub root: Option<String>,
    /// How to check OpenPGP signatures.
    pub gpg: Gpg,
    /// In a sealed store, private keys (CI's recovery key) to open every
    /// sealed value with: values that do not open, and touch summaries a
    /// rotation changed, are then found too.
    pub identities: Vec<age::ssh::Identity>,
    /// Today: a pool release or claim in a commit dated later is refused.
    pub today: Option<Date>,
}

/// One broken rule.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash)]
pub struct Violation {
    /// The commit (for ref rules, the pushed tip or the ref's old value).
    pub commit: String,
    /// Its committer date.
    pub date: Date,
    /// Who acted (the signer; for unsigned commits in stores that allow
    /// them, the staff member with the committer's email).
    pub actor: String,
    /// Whether the actor is known from a good signature.
    pub authenticated: bool,
    /// The file (or ref) concerned; none for commit-wide rules such as
    /// signatures.
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

/// Which commits to judge, and what is trusted.
#[derive(Debug, Clone, Default)]
struct Walk {
    /// Judge these and their history…
    tips: Vec<ObjectId>,
    /// …except these and their history, which are trusted.
    hidden: Vec<ObjectId>,
    /// Commits known to be published on a protected branch: a merge's
    /// signer answers for what it brings in from anywhere else. `None` in a
    /// full-history verify, where nothing tells a published side from a
    /// draft (see the README).
    frontier: Option<Vec<ObjectId>>,
    /// Whether `hidden` is exactly the frontier (a ranged verify): then a
    /// commit outside the walk is published without asking the graph.
    hidden_is_frontier: bool,
    /// Whether a store already exists before the walk (a commit creating
    /// one is then a second genesis).
    genesis_trusted: bool,
    /// Today, when known.
    today: Option<Date>,
}

/// Judges every commit `req` selects, reading every object with its hash
/// checked (they may have been crafted by a hostile client).
pub fn run(repo: &Repo, req: &VerifyRequest) -> Result<VerifyReport> {
    crate::store::verify_object_hashes();
    let mut walk = Walk { today: req.today, ..Walk::default() };
    match req.range.as_deref() {
        Some(range) if range.contains("..") => {
            let (from, to) = range.split_once("..").unwrap_or_default();
            let from = repo.resolve(from)?;
            let tip = repo.resolve(if to.is_empty() { "HEAD" } else { to })?;
            walk.tips.push(tip);
            walk.hidden.push(from);
            // A range a server's protected branch already holds (the weekly
            // job's `OLD..origin/main`) was published there, merges and all:
            // nothing it brings in is a draft.
            walk.frontier = (!on_a_servers_protected_branch(repo, tip)?).then(|| vec![from]);
            walk.hidden_is_frontier = req.root.is_none();
            walk.genesis_trusted = true;
        }
        Some(rev) => walk.tips.push(repo.resolve(rev)?),
        None => walk.tips.push(repo.resolve("HEAD")?),
    }
    if let Some(root) = req.root.as_deref() {
        walk.hidden.push(repo.resolve(root)?);
        walk.genesis_trusted = true;
    }
    judge_history(repo, &walk, &req.gpg, &req.identities)
}

/// Whether a remote-tracking ref of a protected branch (`[policy]
/// protected_branches` as `tip` says them, else HEAD's branch) holds `tip`.
fn on_a_servers_protected_branch(repo: &Repo, tip: ObjectId) -> Result<bool> {
    let config = repo.snapshot(&repo.find_commit(tip)?.tree()?).config().ok();
    let mut names: Vec<String> = config.map(|c| c.policy.protected_branches).unwrap_or_default();
    if names.is_empty() {
        names.extend(repo.head_branch());
    }
    for name in names {
        let short = name.strip_prefix("refs/heads/").unwrap_or(&name);
        for server in repo.remote_tips(short)? {
            if server == tip || repo.descendant_of(server, tip)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn judge_history(repo: &Repo, walk: &Walk, gpg: &Gpg, identities: &[age::ssh::Identity]) -> Result<VerifyReport> {
    let commits_to_judge = repo.walk(&walk.tips, &walk.hidden, Order::ParentsFirst)?;
    let mut v = Verifier {
        repo,
        keys: KeyList(identities),
        rings: crate::store::rings::shared(repo.git())?,
        ring_cache: Default::default(),
        gpg: gpg.clone(),
        states: HashMap::new(),
        policy_commit: HashMap::new(),
        frontier: walk.frontier.clone(),
        hidden_is_frontier: walk.hidden_is_frontier,
        walked: HashSet::new(),
        published: HashMap::new(),
        seen: HashSet::new(),
        violations: Vec::new(),
        genesis_seen: walk.genesis_trusted,
        boundary: repo.shallow_boundary(),
        trees: repo.trees(),
        pool: pool::PoolJudge::new(walk.today),
    };
    let mut commits = 0;
    for commit in commits_to_judge {
        let commit = commit?;
        commits += 1;
        v.commit(&commit)?;
        v.walked.insert(commit.id());
    }
    Ok(VerifyReport { commits, violations: v.violations })
}

/// The judge of one walk: caches of states and ancestry, and what it found.
struct Verifier<'r> {
    repo: &'r Repo,
    /// Keys to open sealed values with (none: only what needs no key).
    keys: KeyList<'r>,
    /// Where the rings of the judged commits are read from.
    rings: SharedRepo,
    /// The rings worked out so far (a ring is the same in every commit).
    ring_cache: Arc<RingCache>,
    gpg: Gpg,
    states: HashMap<StateKey, Option<Rc<State>>>,
    /// For each judged commit, the last commit of its reference line that
    /// changed the policy state: which of two diverged states is newer.
    policy_commit: HashMap<ObjectId, ObjectId>,
    frontier: Option<Vec<ObjectId>>,
    hidden_is_frontier: bool,
    /// The commits judged so far (the walk yields parents first).
    walked: HashSet<ObjectId>,
    /// Whether a commit is reachable from the frontier (cached).
    published: HashMap<ObjectId, bool>,
    seen: HashSet<Violation>,
    violations: Vec<Violation>,
    genesis_seen: bool,
    boundary: Boundary,
    trees: Trees<'r>,
    /// What the pool's rules need of the commit being judged (and today,
    /// when known: no commit may be dated after it).
    pool: pool::PoolJudge<'r>,
}

/// The rings of `commit`'s tree (a ring removed by the commit is its
/// violation, not a parent's ring), opened with `keys`.
fn keyring_of<'k>(rings: &SharedRepo, cache: &Arc<RingCache>, keys: &'k KeyList<'_>, commit: &Commit) -> Keyring<'k> {
    let files = crate::store::rings::TreeRings::of_commit(Arc::clone(rings), commit.id().git());
    Keyring::new(Box::new(files), keys, Arc::clone(cache))
}

/// How many trees the walk keeps read (a shard tree of a 100,000-customer
/// store is about 30 KB).
const TREES_KEPT: usize = 768;

impl<'r> Verifier<'r> {
    fn commit(&mut self, commit: &Commit<'r>) -> Result<()> {
        // A shallow clone's boundary is no root: what lies before it is
        // unknown, not empty.
        self.boundary.check(commit.id())?;
        let parents: Vec<Commit<'r>> = commit.parents().collect();
        let mut stored = Vec::new();
        for parent in &parents {
            if let Some(state) = self.state(&parent.tree()?)? {
                stored.push((parent.clone(), state));
            }
        }
        if stored.is_empty() {
            self.genesis(commit, parents.first())?;
            self.policy_commit.insert(commit.id(), commit.id());
            return Ok(());
        }
        let reference = self.reference(stored)?;
        self.judge(commit, &reference, &parents)?;
        let line = self.policy_commit_of(reference.parent.id());
        let changed = state::key(&commit.tree()?) != state::key(&reference.parent.tree()?);
        self.policy_commit.insert(commit.id(), if changed { commit.id() } else { line });
        Ok(())
    }

    /// A commit whose parents hold no store: it creates one, which only the
    /// first commit of an untrusted history may do.
    fn genesis(&mut self, commit: &Commit<'r>, parent: Option<&Commit<'r>>) -> Result<()> {
        let before = parent.map(Commit::tree).transpose()?;
        // A memo of its own: the walk's is trimmed as commits are judged,
        // and a long history before the store is never judged.
        let changes = treediff::diff_in(&self.repo.trees(), before.as_ref(), Some(&commit.tree()?))?;
        if changes.iter().any(|c| state::is_store_path(&c.path)) && std::mem::replace(&mut self.genesis_seen, true) {
            let actor = Actor::unknown(commit);
            let msg = "creates the store again after the trusted root".to_string();
            self.violation(commit, &actor, None, VerifyRule::SecondGenesis.id(), msg);
        }
        Ok(())
    }

    /// The commit that last changed the policy on `oid`'s line; a commit
    /// outside the walk (trusted) stands for itself.
    fn policy_commit_of(&self, oid: ObjectId) -> ObjectId {
        self.policy_commit.get(&oid).copied().unwrap_or(oid)
    }

    fn violation(&mut self, commit: &Commit, actor: &Actor, path: Option<&str>, rule: &'static str, message: String) {
        let v = Violation {
            commit: commit.id().to_string(),
            date: commit.date(),
            actor: actor.handle.clone(),
            authenticated: actor.authenticated,
            path: path.map(str::to_string),
            rule,
            message,
        };
        if self.seen.insert(v.clone()) {
            self.violations.push(v);
        }
    }

    /// Judges `commit` against its reference parent's state(s).
    fn judge(&mut self, commit: &Commit<'r>, reference: &merge::Reference<'r>, parents: &[Commit<'r>]) -> Result<()> {
        let base = reference.parent.tree()?;
        let tree = commit.tree()?;
        self.pool.start(base.clone(), commit.date(), reference.parent.date());
        // The trees of a commit are read again by the next commit and by a
        // merge of its branch: one bounded memo for the whole walk.
        self.trees.trim(TREES_KEPT);
        let changes = treediff::diff_in(&self.trees, Some(&base), Some(&tree))?;
        let shape = treeshape::audit_changed(&self.trees, Some(&base), &tree, Sizes::Audit)?;
        let after = self.state(&tree)?;
        let mut sides = None;
        for state in &reference.states {
            let policy = &state.config.policy;
            let relevant: Vec<&FileChange> =
                changes.iter().filter(|c| state::is_store_path(&c.path) || policy.is_protected_path(&c.path)).collect();
            if relevant.is_empty() && shape.is_empty() && !policy.require_signed {
                continue;
            }
            let Some(actor) = self.actor(commit, state) else { continue };
            // The pool's periods, cooldowns and a claim's place in history
            // go by commit dates: one dated ahead would hold every honest
            // commit after it to a day that has not come.
            if let Some(today) = self.pool.today().filter(|t| commit.date() > t.plus_days(1)) {
                let msg = format!("dated {}, after today ({today})", commit.date());
                self.violation(commit, &actor, None, VerifyRule::DatedAhead.id(), msg);
            }
            // Nor may one go back: an empty commit dated weeks before its
            // parent would let the next claims be dated out of the claim
            // period. Checked where commits are new (a range, the hook);
            // old history may hold a clock's mistakes.
            let parent_day = reference.parent.date();
            if self.frontier.is_some() && commit.date() < parent_day.plus_days(-1) {
                let msg = format!("dated {}, before its parent commit ({parent_day})", commit.date());
                self.violation(commit, &actor, None, VerifyRule::DatedBehind.id(), msg);
            }
            for p in &shape {
                self.violation(commit, &actor, Some(&p.path), p.rule.id(), p.message.clone());
            }
            if parents.len() < 2 {
                if actor.forge && !relevant.is_empty() {
                    let msg = "the forge's key signs merges only".to_string();
                    self.violation(commit, &actor, None, VerifyRule::ForgeCommit.id(), msg);
                    continue;
                }
                for change in relevant {
                    self.own_change(commit, &actor, state, after.as_deref(), change, None)?;
                }
                self.seals_left_behind(commit, &actor, after.as_deref(), &tree, &changes)?;
                continue;
            }
            let sides = match &mut sides {
                Some(sides) => sides,
                None => sides.insert(merge::Sides::new(self.repo, reference, parents)?),
            };
            for change in relevant {
                match sides.origin(&self.trees, change)? {
                    Some(side) => self.brought_in(commit, &actor, state, after.as_deref(), sides, side, change)?,
                    None if actor.forge => {
                        let msg = "a forge merge may not change files itself".to_string();
                        self.violation(commit, &actor, Some(&change.path), VerifyRule::ForgeMergeChanges.id(), msg);
                    }
                    None => self.own_change(commit, &actor, state, after.as_deref(), change, None)?,
                }
            }
            // A merge that changes who may read (its own change, or one it
            // brings in) leaves the same duty: customers from the other side
            // were sealed for the readers before it.
            self.seals_left_behind(commit, &actor, after.as_deref(), &tree, &changes)?;
        }
        Ok(())
    }

    /// A commit that changes who may read sealed customers (staff/,
    /// crm.toml, compared with its reference parent: for a merge, also what
    /// it brings in) must leave every customer it changes that for sealed
    /// to the right people: each one sealed to the wrong people is a
    /// violation. Nothing to do when neither changed.
    fn seals_left_behind(
        &mut self,
        commit: &Commit,
        actor: &Actor,
        after: Option<&State>,
        tree: &graph::Tree<'r>,
        changes: &[FileChange],
    ) -> Result<()> {
        let readers_changed = changes.iter().any(|c| c.path == CONFIG_FILE || c.path.starts_with("staff/"));
        let Some(readers) = after.and_then(|s| s.readers.as_ref()).filter(|_| readers_changed) else {
            return Ok(());
        };
        let written: HashSet<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        let snapshot = self.repo.snapshot(tree);
        let entries = snapshot
            .readable_customer_entries()?
            .value
            .into_iter()
            .filter(|e| !written.contains(e.path.as_str()))
            .collect();
        let found = snapshot.map_files(entries, |e, text| {
            let Ok(id) = crate::model::CustomerId::parse(&e.stem) else { return Ok(Vec::new()) };
            let Ok(c) = crate::model::Customer::parse(&id, &e.path, &text) else { return Ok(Vec::new()) };
            let Some(diff) = crate::seal::audit::recipients(&c, readers) else { return Ok(Vec::new()) };
            let list = |who: BTreeSet<String>| who.into_iter().collect::<Vec<_>>().join(", ");
            let mut out = Vec::new();
            if !diff.extra.is_empty() {
                let msg = format!("takes {} off its readers but leaves it sealed to them", list(diff.extra));
                out.push((e.path.clone(), VerifyRule::SealNotRotated.id(), msg));
            }
            if !diff.missing.is_empty() {
                let msg = format!("makes {} its readers but does not seal it to them", list(diff.missing));
                out.push((e.path.clone(), CheckRule::SealRecipients.id(), msg));
            }
            Ok(out)
        })?;
        for (path, rule, message) in found.into_iter().flatten() {
            self.violation(commit, actor, Some(&path), rule, message);
        }
        Ok(())
    }

    /// Judges `change` as `actor`'s own, made in `commit`.
    fn own_change(
        &mut self,
        commit: &Commit,
        actor: &Actor,
        state: &State,
        after: Option<&State>,
        change: &FileChange,
        context: Option<&str>,
    ) -> Result<()> {
        let suffix = context.map(|c| format!(" ({c}, judged against the state at the merge)")).unwrap_or_default();
        let keys = self.keys;
        let keyring = keyring_of(&self.rings, &self.ring_cache, &keys, commit);
        for (rule, message) in change::assess(self.repo, &mut self.pool, actor, state, after, change, &keyring)? {
            self.violation(commit, actor, Some(&change.path), rule, format!("{message}{suffix}"));
        }
        Ok(())
    }
}
