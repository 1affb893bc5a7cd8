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

use git2::{ObjectType, Oid, Repository};

use super::{judge_history, VerifyReport, Violation, Walk};
use crate::model::date::Date;
use crate::model::rule_ids::VerifyRule;
use crate::store::history::commit_date;
use crate::store::layout::CONFIG_FILE;
use crate::store::sigcheck::Gpg;
use crate::store::Repo;
use crate::store::Snapshot;
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
    let repo = repo.git();
    let old = object_id(&update.old)?;
    let new = object_id(&update.new)?;
    let refname = update.refname.as_str();
    let protected = protected_branches(repo)?;
    let refusal = |commit: Option<Oid>, rule: &'static str, message: String| {
        let report = VerifyReport {
            commits: 0,
            violations: vec![Violation {
                commit: commit.map(|c| c.to_string()).unwrap_or_default(),
                date: commit.and_then(|c| repo.find_commit(c).ok()).map_or(today, |c| commit_date(&c)),
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
    let Ok(tip) = repo.find_object(new, None).and_then(|o| o.peel(ObjectType::Commit)) else {
        return refusal(
            Some(new),
            VerifyRule::NotACommit.id(),
            format!("{refname} would name something that is not a commit"),
        );
    };
    let tip = tip.id();
    if let Some(old) = old {
        let rewinds = refname.starts_with("refs/heads/")
            && holds_store(repo, old)
            && tip != old
            && !repo.graph_descendant_of(tip, old)?;
        if rewinds {
            let msg = format!("{refname} may only move forward: the new commit does not contain {}", short(old));
            return refusal(Some(tip), VerifyRule::NonFastForward.id(), msg);
        }
    }
    let tips: Vec<Oid> = protected.iter().map(|(_, oid)| *oid).collect();
    // Branches and tags must grow from the store's history; other
    // namespaces (git notes) hold histories of their own.
    let mut related = tips.is_empty() || !(refname.starts_with("refs/heads/") || refname.starts_with("refs/tags/"));
    for t in &tips {
        related |= repo.merge_base(*t, tip).is_ok();
    }
    if !related {
        let msg = format!("{refname} would hold a history that shares no commit with the protected branches");
        return refusal(Some(tip), VerifyRule::ForeignRoot.id(), msg);
    }
    let walk = Walk {
        tips: vec![tip],
        hidden: existing_refs(repo)?,
        genesis_trusted: !tips.is_empty(),
        hidden_is_frontier: false,
        frontier: (!tips.is_empty()).then_some(tips),
    };
    judge_history(repo, &walk, gpg)
}

/// The id in a hook line (`None` for all zeros).
fn object_id(hex: &str) -> Result<Option<Oid>> {
    let oid = Oid::from_str(hex).map_err(|_| Error::invalid("object id", hex, "not a hexadecimal object id"))?;
    Ok((!oid.is_zero()).then_some(oid))
}

/// The protected branches that exist, with their commits. The policy is
/// read from the default branch's tip: what the server accepted last.
fn protected_branches(repo: &Repository) -> Result<Vec<(String, Oid)>> {
    let default = repo.find_reference("HEAD").ok().and_then(|h| h.symbolic_target().ok().flatten().map(str::to_string));
    let Some(default) = default else { return Ok(Vec::new()) };
    let Ok(tip) = repo.refname_to_id(&default) else { return Ok(Vec::new()) };
    let tree = repo.find_commit(tip)?.tree()?;
    let names = match Snapshot::new(repo, Some(tree)).config() {
        Ok(config) if !config.policy.protected_branches.is_empty() => config
            .policy
            .protected_branches
            .iter()
            .map(|b| if b.starts_with("refs/") { b.clone() } else { format!("refs/heads/{b}") })
            .collect(),
        _ => vec![default],
    };
    Ok(names.into_iter().filter_map(|name| repo.refname_to_id(&name).ok().map(|oid| (name, oid))).collect())
}

/// The commits every branch and tag names: what the server has accepted.
fn existing_refs(repo: &Repository) -> Result<Vec<Oid>> {
    let mut out = Vec::new();
    for reference in repo.references()? {
        let reference = reference?;
        let name = reference.name().unwrap_or_default();
        if !(name.starts_with("refs/heads/") || name.starts_with("refs/tags/")) {
            continue;
        }
        if let Ok(commit) = reference.peel_to_commit() {
            out.push(commit.id());
        }
    }
    Ok(out)
}

fn holds_store(repo: &Repository, commit: Oid) -> bool {
    repo.find_commit(commit).and_then(|c| c.tree()).is_ok_and(|t| t.get_name(CONFIG_FILE).is_some())
}

fn short(oid: Oid) -> String {
    oid.to_string()[..8].to_string()
}
