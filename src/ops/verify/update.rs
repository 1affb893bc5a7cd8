//! `crm verify --update OLD NEW REF`: what a server's pre-receive hook asks
//! of one ref update, so the rules live in crm, not in shell.
//!
//! What the server already has was accepted: it is trusted, and it may not
//! be dropped. So an update is refused when it
//! - touches `refs/replace/*` (replace refs make plain git show other
//!   objects than the signed commits);
//! - deletes a protected branch (`[policy] protected_branches`, by default
//!   the server's default branch);
//! - moves a store branch to a commit that does not contain its old value
//!   (a rewind, or a signed commit replaced by a sibling);
//! - names something that is not a commit, or (for a branch or tag) a
//!   history that shares nothing with the protected branches (a fabricated
//!   store), or re-creates the store;
//! - brings any commit that breaks a rule: the new commits are judged with
//!   every existing ref trusted, and protected branches as the frontier of
//!   what is published.

use super::{judge_history, VerifyReport, Violation, Walk};
use crate::model::date::Date;
use crate::model::rule_ids::VerifyRule;
use crate::store::layout::CONFIG_FILE;
use crate::store::sigcheck::Gpg;
use crate::store::{ObjectId, Repo};
use crate::{Error, Result};

/// One line of what git gives a pre-receive hook.
#[derive(Debug, Clone)]
pub struct RefUpdate {
    /// The ref's value on the server (all zeros: it does not exist).
    pub old: String,
    /// The value pushed (all zeros: delete the ref).
    pub new: String,
    /// The full ref name.
    pub refname: String,
}

/// Judges one ref update against the server's current refs; `today` dates
/// refusals that concern no commit.
pub fn run(repo: &Repo, update: &RefUpdate, gpg: &Gpg, today: Date) -> Result<VerifyReport> {
    crate::store::verify_object_hashes();
    let old = object_id(&update.old)?;
    let new = object_id(&update.new)?;
    let refname = update.refname.as_str();
    let protected = protected_branches(repo)?;
    let refusal = |commit: Option<ObjectId>, rule: &'static str, message: String| {
        let report = VerifyReport {
            commits: 0,
            violations: vec![Violation {
                commit: commit.map(|c| c.to_string()).unwrap_or_default(),
                date: commit.and_then(|c| repo.find_commit(c).ok()).map_or(today, |c| c.date()),
                actor: "-".into(),
                authenticated: false,
                path: Some(refname.to_string()),
                rule,
                message,
            }],
        };
        Ok(report)
    };
    if refname.starts_with("refs/replace/") {
        return refusal(
            new.or(old),
            VerifyRule::ReplaceRef.id(),
            "replace refs would make git show other objects".into(),
        );
    }
    let Some(new) = new else {
        if protected.iter().any(|(name, _)| name == refname) {
            return refusal(
                old,
                VerifyRule::ProtectedBranchDeleted.id(),
                format!("{refname} is protected and may not be deleted"),
            );
        }
        return Ok(VerifyReport { commits: 0, violations: Vec::new() });
    };
    let Some(tip) = repo.peel_to_commit(new) else {
        return refusal(
            Some(new),
            VerifyRule::NotACommit.id(),
            format!("{refname} would name something that is not a commit"),
        );
    };
    if let Some(old) = old {
        let rewinds = refname.starts_with("refs/heads/")
            && holds_store(repo, old)
            && tip != old
            && !repo.descendant_of(tip, old)?;
        if rewinds {
            let msg = format!("{refname} may only move forward: the new commit does not contain {}", old.short());
            return refusal(Some(tip), VerifyRule::NonFastForward.id(), msg);
        }
    }
    let tips: Vec<ObjectId> = protected.iter().map(|(_, id)| *id).collect();
    // Branches and tags must grow from the store's history; other
    // namespaces (git notes) hold histories of their own.
    let mut related = tips.is_empty() || !(refname.starts_with("refs/heads/") || refname.starts_with("refs/tags/"));
    for t in &tips {
        related |= matches!(repo.merge_base(*t, tip), Ok(Some(_)));
    }
    if !related {
        let msg = format!("{refname} would hold a history that shares no commit with the protected branches");
        return refusal(Some(tip), VerifyRule::ForeignRoot.id(), msg);
    }
    let walk = Walk {
        tips: vec![tip],
        // The commits every branch and tag names: what the server has
        // accepted.
        hidden: repo.commits_under(&["refs/heads/", "refs/tags/"])?,
        genesis_trusted: !tips.is_empty(),
        hidden_is_frontier: false,
        frontier: (!tips.is_empty()).then_some(tips),
        today: Some(today),
    };
    judge_history(repo, &walk, gpg, &[])
}

/// The id in a hook line (`None` for all zeros).
fn object_id(hex: &str) -> Result<Option<ObjectId>> {
    let id: ObjectId = hex.parse().map_err(|_| Error::invalid("object id", hex, "not a hexadecimal object id"))?;
    Ok((!id.is_zero()).then_some(id))
}

/// The protected branches that exist, with their commits. The policy is
/// read from the default branch's tip: what the server accepted last.
fn protected_branches(repo: &Repo) -> Result<Vec<(String, ObjectId)>> {
    let Some(default) = repo.head_branch() else { return Ok(Vec::new()) };
    let Some(tip) = repo.ref_target(&default) else { return Ok(Vec::new()) };
    let tree = repo.find_commit(tip)?.tree()?;
    let names = match repo.snapshot(&tree).config() {
        Ok(config) if !config.policy.protected_branches.is_empty() => config
            .policy
            .protected_branches
            .iter()
            .map(|b| if b.starts_with("refs/") { b.clone() } else { format!("refs/heads/{b}") })
            .collect(),
        _ => vec![default],
    };
    Ok(names.into_iter().filter_map(|name| repo.ref_target(&name).map(|id| (name, id))).collect())
}

fn holds_store(repo: &Repo, commit: ObjectId) -> bool {
    repo.find_commit(commit).and_then(|c| c.tree()).is_ok_and(|t| t.entry_id(CONFIG_FILE).is_some())
}
