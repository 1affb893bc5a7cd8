//! Drafts of the settings are no approvals. A server keeps branches that
//! were never published (a protected branch never had them): an admin's
//! draft of `crm.toml` or `staff/` pushed for review is one. Someone else
//! who builds on it — commits on top of it, a merge that takes its side as
//! the reference — would otherwise be judged by settings nobody approved
//! (a looser claim limit, a person hired only there). So in a server hook,
//! a commit whose settings come from someone else's unpublished draft is
//! judged again by the last published settings of its line, and what only
//! the draft allows is reported (`draft-settings`). Commits new in the
//! same push are being published by it, and judged as their signers' acts.

use super::merge::Reference;
use super::Verifier;
use crate::model::rule_ids::VerifyRule;
use crate::store::graph::{Commit, Tree};
use crate::store::sigcheck::SigStatus;
use crate::store::ObjectId;
use crate::Result;

impl<'r> Verifier<'r> {
    /// Judges `commit` again by the last published settings of its
    /// reference line when another person's unpublished draft changed them
    /// since (see the module's text).
    pub(super) fn judge_without_drafts(
        &mut self,
        commit: &Commit<'r>,
        reference: &Reference<'r>,
        parents: &[Commit<'r>],
    ) -> Result<()> {
        let Some((draft, published)) = self.draft_settings(reference.parent.id())? else { return Ok(()) };
        let Some(state) = self.state(&published)? else { return Ok(()) };
        let Some(signer) = self.signer(draft)? else { return Ok(()) };
        let Some(actor) = reference.states.first().and_then(|s| self.actor(commit, s)) else { return Ok(()) };
        if actor.handle == signer {
            return Ok(());
        }
        let mark = self.violations.len();
        let seen = self.seen.clone();
        let published_reference = Reference { parent: reference.parent.clone(), states: vec![state] };
        self.judge(commit, &published_reference, parents)?;
        let only_by_the_draft: Vec<_> = self.violations.drain(mark..).collect();
        self.seen = seen;
        for v in only_by_the_draft {
            let message = format!(
                "allowed only by {signer}'s unpublished change of the settings in {}, which no protected branch has: {}",
                draft.short(),
                v.message
            );
            self.violation(commit, &actor, v.path.as_deref(), VerifyRule::DraftSettings.id(), message);
        }
        Ok(())
    }

    /// The unpublished commit that last changed the settings of `parent`'s
    /// line, with the tree of the last published one before it; none when
    /// the line's settings are published or new in this walk.
    fn draft_settings(&mut self, parent: ObjectId) -> Result<Option<(ObjectId, Tree<'r>)>> {
        let mut at = self.policy_commit_of(parent);
        let mut draft = None;
        while !self.walked.contains(&at) && !self.published(at)? {
            draft.get_or_insert(at);
            let Some(first) = self.repo.find_commit(at)?.parents().next() else { return Ok(None) };
            at = self.policy_commit_of(first.id());
        }
        match draft {
            Some(draft) => Ok(Some((draft, self.repo.find_commit(at)?.tree()?))),
            None => Ok(None),
        }
    }

    /// Who signed `commit`, by the keys of its parent's state.
    fn signer(&mut self, commit: ObjectId) -> Result<Option<String>> {
        let Some(parent) = self.repo.find_commit(commit)?.parents().next() else { return Ok(None) };
        let Some(state) = self.state(&parent.tree()?)? else { return Ok(None) };
        let checked = self.repo.check_signature(commit, &state.ring, &self.gpg);
        Ok(match (checked.status, checked.signer) {
            (SigStatus::Good, Some(h)) => Some(h.to_string()),
            _ => None,
        })
    }
}
