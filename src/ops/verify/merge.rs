//! How a merge is judged.
//!
//! **Against which state.** A parent that is an ancestor of another parent
//! adds nothing: the merge is judged against the newest parent, and
//! everything it changes relative to that parent is its signer's own
//! change (a merge of an old commit that takes the old tree rolls nothing
//! back quietly). Of diverged parents, the one whose line changed the
//! policy last wins; when both lines changed it, the merge must pass
//! against each.
//!
//! **What is brought in.** Path by path, against the merge base: a path the
//! reference parent left as the base had it, and that the merge takes from
//! another parent (the clean three-way result), is brought in: the commits
//! of that side that changed it are judged again against the reference
//! state, as their signers' acts. Anything else the merge changes is the
//! merge signer's own. With a frontier (a ranged verify or a server hook),
//! the merge signer also answers for what they bring in from someone else
//! that was never published on a protected branch: a signed draft nobody
//! merged cannot be replayed by someone who may not make it.

use std::collections::HashMap;
use std::rc::Rc;

use super::state::{Actor, State};
use super::{change, Verifier};
use crate::model::rule_ids::VerifyRule;
use crate::store::graph::{Commit, Order, Tree};
use crate::store::sigcheck::SigStatus;
use crate::store::treediff::{self, Blob, FileChange, Trees};
use crate::store::{ObjectId, Repo};
use crate::Result;

/// The parent a commit is judged against, and the state(s) it is judged in.
pub(super) struct Reference<'r> {
    pub parent: Commit<'r>,
    pub states: Vec<Rc<State>>,
}

/// A commit of a merged side that changed a path: (commit, before, after).
type SideChange = (ObjectId, Option<Blob>, Option<Blob>);

/// One other parent of a merge.
struct Side<'r> {
    commit: Commit<'r>,
    tree: Tree<'r>,
    /// The merge base with the reference parent (none: unrelated histories).
    base: Option<Tree<'r>>,
    /// What each commit of this side (not in the reference) changed, by
    /// path: (commit, before, after); read on first use.
    changes: Option<HashMap<String, Vec<SideChange>>>,
}

/// The other parents of one merge.
pub(super) struct Sides<'r> {
    repo: &'r Repo,
    reference: ObjectId,
    sides: Vec<Side<'r>>,
}

impl<'r> Sides<'r> {
    pub fn new(repo: &'r Repo, reference: &Reference<'r>, parents: &[Commit<'r>]) -> Result<Sides<'r>> {
        let mut sides = Vec::new();
        for parent in parents.iter().filter(|p| p.id() != reference.parent.id()) {
            let base = repo.merge_base(reference.parent.id(), parent.id())?;
            let base = base.map(|id| repo.find_commit(id).and_then(|c| c.tree())).transpose()?;
            sides.push(Side { commit: parent.clone(), tree: parent.tree()?, base, changes: None });
        }
        Ok(Sides { repo, reference: reference.parent.id(), sides })
    }

    /// The side `change` (reference parent → merge) is the clean three-way
    /// result of, if any.
    pub fn origin(&self, trees: &Trees<'r>, change: &FileChange) -> Result<Option<usize>> {
        let path = change.path.as_str();
        let at_base = |s: &Side<'r>| s.base.as_ref().map(|b| trees.blob_at(b, path)).transpose();
        for (i, side) in self.sides.iter().enumerate() {
            if trees.blob_at(&side.tree, path)? != change.new || at_base(side)? != Some(change.old) {
                continue;
            }
            // Every other side agrees, or left the path as its base had it.
            let mut clean = true;
            for s in &self.sides {
                let theirs = trees.blob_at(&s.tree, path)?;
                clean &= theirs == change.new || at_base(s)? == Some(theirs);
            }
            if clean {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// The commits of side `i` that changed `path`: (commit, before, after).
    fn changes_of(&mut self, trees: &Trees<'r>, i: usize, path: &str) -> Result<Vec<SideChange>> {
        let side = &mut self.sides[i];
        if side.changes.is_none() {
            let mut by_path: HashMap<String, Vec<_>> = HashMap::new();
            for commit in self.repo.walk(&[side.commit.id()], &[self.reference], Order::Unsorted)? {
                let commit = commit?;
                let Ok(parent) = commit.first_parent() else { continue };
                for c in treediff::diff_in(trees, Some(&parent.tree()?), Some(&commit.tree()?))? {
                    by_path.entry(c.path).or_default().push((commit.id(), c.old, c.new));
                }
            }
            side.changes = Some(by_path);
        }
        Ok(side.changes.as_ref().and_then(|m| m.get(path)).cloned().unwrap_or_default())
    }
}

impl<'r> Verifier<'r> {
    /// The reference parent among the parents that hold a store.
    pub(super) fn reference(&mut self, stored: Vec<(Commit<'r>, Rc<State>)>) -> Result<Reference<'r>> {
        // Drop every parent another parent already contains.
        let mut newest: Vec<(Commit<'r>, Rc<State>)> = Vec::new();
        for (i, (parent, state)) in stored.iter().enumerate() {
            let mut contained = false;
            for (j, (other, _)) in stored.iter().enumerate() {
                let same = other.id() == parent.id();
                if (same && j < i) || (!same && self.repo.descendant_of(other.id(), parent.id())?) {
                    contained = true;
                    break;
                }
            }
            if !contained {
                newest.push((parent.clone(), state.clone()));
            }
        }
        // Of diverged lines, the one whose policy changed last.
        let lines: Vec<ObjectId> = newest.iter().map(|(p, _)| self.policy_commit_of(p.id())).collect();
        let mut latest: Vec<usize> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let mut older = false;
            for (j, other) in lines.iter().enumerate() {
                if other == line {
                    older |= j < i;
                } else {
                    older |= self.repo.descendant_of(*other, *line)?;
                }
            }
            if !older {
                latest.push(i);
            }
        }
        let parent = newest[latest[0]].0.clone();
        let mut states: Vec<Rc<State>> = Vec::new();
        for &i in &latest {
            if !states.iter().any(|s| Rc::ptr_eq(s, &newest[i].1)) {
                states.push(newest[i].1.clone());
            }
        }
        Ok(Reference { parent, states })
    }

    /// Judges a change `merge` brings in from side `side`: each commit of
    /// that side that made part of it, as its signer's act against the
    /// state at the merge; and, with a frontier, the merge signer for what
    /// they bring in unpublished from someone else.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn brought_in(
        &mut self,
        merge: &Commit<'r>,
        merger: &Actor,
        state: &State,
        after: Option<&State>,
        sides: &mut Sides<'r>,
        side: usize,
        change: &FileChange,
    ) -> Result<()> {
        for (oid, before, now) in sides.changes_of(&self.trees, side, &change.path)? {
            let branch_commit = self.repo.find_commit(oid)?;
            let parent_tree = branch_commit.first_parent()?.tree()?;
            // Who made it, by the keys of the branch commit's own parent.
            let Some(own_state) = self.state(&parent_tree)? else { continue };
            let checked = self.repo.check_signature(oid, &own_state.ring, &self.gpg);
            let handle = match (checked.status, checked.signer) {
                (SigStatus::Good, Some(h)) => h,
                // Unsigned or badly signed branch commits are reported when
                // the branch commit itself is judged.
                _ => continue,
            };
            // Judged by their record at the merge; someone who is not there
            // at all was hired on the branch, and their branch record holds.
            let person = state.staff.get(&handle).or_else(|| own_state.staff.get(&handle)).cloned();
            let author = Actor { handle: handle.to_string(), person, authenticated: true, forge: false };
            let part = FileChange { path: change.path.clone(), old: before, new: now };
            let context = format!("in {} merged by {}", oid.short(), merge.id().short());
            // Its pool records are dated by the commit that made them.
            let parent_day = branch_commit.first_parent()?.date();
            let merge_dates = self.pool.redate(branch_commit.date(), parent_day);
            self.own_change(merge, &author, state, after, &part, Some(&context))?;
            if author.handle != merger.handle && !merger.forge && !self.published(oid)? {
                let keys = self.keys;
                let keyring = super::keyring_of(&self.rings, &self.ring_cache, &keys, merge);
                for (_, why) in change::assess(self.repo, &mut self.pool, merger, state, after, &part, &keyring)? {
                    let msg = format!(
                        "brings in {}'s unpublished change from {}, which the merge's signer could not make: {why}",
                        author.handle,
                        oid.short()
                    );
                    self.violation(merge, merger, Some(&change.path), VerifyRule::MergeUnapproved.id(), msg);
                }
            }
            self.pool.redate(merge_dates.0, merge_dates.1);
        }
        Ok(())
    }

    /// Whether `oid` is on a protected branch already (reachable from the
    /// frontier). Without a frontier every change counts as published.
    fn published(&mut self, oid: ObjectId) -> Result<bool> {
        let Some(frontier) = self.frontier.clone() else { return Ok(true) };
        // A commit of the walk is reachable from no hidden commit; one
        // outside it is reachable from a hidden one.
        if self.walked.contains(&oid) {
            return Ok(false);
        }
        if self.hidden_is_frontier {
            return Ok(true);
        }
        if let Some(&known) = self.published.get(&oid) {
            return Ok(known);
        }
        let mut found = false;
        for tip in frontier {
            if tip == oid || self.repo.descendant_of(tip, oid)? {
                found = true;
                break;
            }
        }
        self.published.insert(oid, found);
        Ok(found)
    }
}
