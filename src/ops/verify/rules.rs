//! The rules `crm verify` judges history by, with stable ids. Like the
//! `check` rules, the ids are a public contract. The shape of every changed
//! tree is judged by `check`'s own tree rules ([`SHAPE_RULES`]), so there
//! is one definition of a well-formed store.

use crate::model::rule_ids::VerifyRule;
use crate::ops::check::rules::{self as check_rules, CheckRule, Rule, Severity};

/// The `check` rules verify applies to every tree a commit changes.
pub const SHAPE_RULES: &[CheckRule] = &[
    CheckRule::MalformedTree,
    CheckRule::NotAFile,
    CheckRule::MisplacedFile,
    CheckRule::InvalidId,
    CheckRule::InvalidHandle,
    CheckRule::WrongShard,
    CheckRule::FileTooLarge,
];

/// Every rule verify reports: its own, then the shape rules.
pub fn all() -> Vec<Rule> {
    VERIFY_RULES.iter().copied().chain(SHAPE_RULES.iter().map(|id| *check_rules::rule(*id))).collect()
}

/// The rule with id `id`.
pub fn find(id: &str) -> Option<Rule> {
    all().into_iter().find(|r| r.id == id)
}

const fn rule(rule: VerifyRule, what: &'static str, help: &'static str) -> Rule {
    Rule { id: rule.id(), severity: Severity::Error, what, help }
}

/// Every verify rule.
pub const VERIFY_RULES: &[Rule] = &[
    rule(
        VerifyRule::Unsigned,
        "a store commit without a signature where policy requires one",
        "sign commits: git config gpg.format ssh; git config user.signingkey KEY; git config commit.gpgsign true",
    ),
    rule(
        VerifyRule::BadSignature,
        "a signature that does not match the commit (altered after signing)",
        "the commit was tampered with; restore it from a trusted copy",
    ),
    rule(
        VerifyRule::UnknownKey,
        "signed by a key no staff member lists (in the parent state)",
        "an admin adds the key to staff/HANDLE.toml in an earlier commit",
    ),
    rule(
        VerifyRule::SignerDeparted,
        "signed by a person who was not active in the parent state",
        "a departed person's commits must be redone by an active colleague",
    ),
    rule(
        VerifyRule::UnknownActor,
        "an unsigned commit whose committer email matches no active staff member",
        "commit with the email in your staff file, or sign",
    ),
    rule(
        VerifyRule::SettingsUnauthorized,
        "crm.toml or staff/ changed by someone who is not an admin",
        "ask an admin to make the change",
    ),
    rule(VerifyRule::AddForOther, "a rep added a customer owned by someone else", "add customers you own, or ask a manager"),
    rule(
        VerifyRule::ReassignUnauthorized,
        "owner or backup changed by someone not allowed to",
        "ask someone with a role in reassign_roles",
    ),
    rule(
        VerifyRule::EditUnauthorized,
        "a customer edited by someone who is neither owner, backup nor in reassign_roles",
        "ask the owner or a manager",
    ),
    rule(
        VerifyRule::RemoveUnauthorized,
        "a customer file deleted by someone who is not an admin",
        "ask an admin; customers are rarely deleted, set status = \"lost\" instead",
    ),
    rule(
        VerifyRule::ActorDeparted,
        "a change by a person not active in the state it is judged against",
        "a departed person's changes (also on branches merged later) are refused",
    ),
    rule(
        VerifyRule::TouchHistoryRewritten,
        "a past [[touches]] entry edited or deleted (append-only) by a non-admin",
        "add a new touch instead of changing old ones",
    ),
    rule(
        VerifyRule::ForgeMergeChanges,
        "a merge signed by the forge's key that changes files itself",
        "forge merges may only combine the branches; redo the change in a signed commit",
    ),
    rule(VerifyRule::ForgeCommit, "a non-merge commit signed by the forge's key", "forge keys may sign merges only"),
    rule(
        VerifyRule::SecondGenesis,
        "a commit that re-creates the store (its parent has no crm.toml) after the trusted root",
        "pin the trusted first commit with --root",
    ),
    rule(
        VerifyRule::UnreadableRecord,
        "a changed customer file that cannot be parsed, so the change cannot be judged",
        "fix the file (crm check shows how)",
    ),
    rule(
        VerifyRule::RevokedKey,
        "signed by an OpenPGP key that is revoked or expired (or an expired signature)",
        "sign with a valid key; an admin lists the new key in staff/HANDLE.toml",
    ),
    rule(
        VerifyRule::OutOfRegion,
        "a manager acted on a customer of another region (manager_scope = \"region\")",
        "ask that region's manager or an admin",
    ),
    rule(
        VerifyRule::TouchForged,
        "a touch appended in someone else's name (its `by` is not the signer; admins and imports of new customers by managers excepted)",
        "log touches as yourself: crm touch ID …",
    ),
    rule(
        VerifyRule::UnknownPerson,
        "a customer handed to an owner or backup who is not in staff/ (in the state the commit leaves)",
        "hand it to an active staff member",
    ),
    rule(
        VerifyRule::AssignToDeparted,
        "a customer handed to an owner or backup who has departed",
        "hand it to an active staff member",
    ),
    rule(
        VerifyRule::ProtectedPath,
        "a file of [policy].protected_paths (CI, .gitattributes, .gitmodules, a path outside the store) changed by a non-admin",
        "ask an admin to make the change",
    ),
    rule(
        VerifyRule::MergeUnapproved,
        "a merge brings in someone else's change that was never on a protected branch and that its signer could not make",
        "let someone allowed to make the change merge it, or merge it through the forge",
    ),
    rule(
        VerifyRule::ReplaceRef,
        "a push to refs/replace/* (git would show other objects than the signed history)",
        "never push replace refs to the store's server",
    ),
    rule(
        VerifyRule::ProtectedBranchDeleted,
        "a push that deletes a protected branch ([policy].protected_branches)",
        "protected branches are never deleted",
    ),
    rule(
        VerifyRule::NonFastForward,
        "a push that rewinds a store branch or replaces commits it already has",
        "fetch, rebase your commits onto the server's (crm sync) and push again",
    ),
    rule(
        VerifyRule::DatedAhead,
        "a commit dated more than a day after the day verify runs, or a touch dated more than a day after that day (the pool's periods, cooldowns and a claim's place in history go by commit dates)",
        "set the computer's clock right and commit again: git commit --amend --no-edit --date=now with GIT_COMMITTER_DATE unset",
    ),
    rule(
        VerifyRule::DatedBehind,
        "a commit dated more than a day before its parent, in a ranged verify or the hook (the pool's periods, cooldowns and a claim's place in history go by commit dates)",
        "set the computer's clock right and commit again on top of the branch (crm sync does)",
    ),
    rule(VerifyRule::NotACommit, "a push that makes a branch or tag name something other than a commit", "push commits only"),
    rule(
        VerifyRule::ForeignRoot,
        "a pushed history that shares no commit with the protected branches",
        "branch from the store's history: git fetch, then git switch -c NAME origin/main",
    ),
    rule(
        VerifyRule::SealNotRotated,
        "a commit takes someone off a sealed customer's recipients but keeps a sealed value as it was (the data key they held still opens it)",
        "re-seal with a new data key: any crm write to the customer does it (`crm seal` re-seals every customer that needs it)",
    ),
    rule(
        VerifyRule::RingChanged,
        "a commit changes or removes a ring file (rings/ID.age); rings never change, the customers sealed under one rely on it",
        "restore the ring file (git checkout COMMIT^ -- rings/ID.age); crm writes new rings and never touches old ones",
    ),
    rule(
        VerifyRule::RingStranger,
        "a commit adds a ring whose made-by names a key that is not its committer's (later writes reuse a ring only when its maker is among its readers, so the maker must be who committed it)",
        "let crm make rings: any crm write makes the ring it needs and names its maker",
    ),
    rule(
        VerifyRule::ServiceNotPermitted,
        "a commit signed by a service identity that does anything but release due customers to the pool",
        "a service key signs `crm pool release --due` only; do everything else as a person",
    ),
    rule(
        VerifyRule::ReleaseUnauthorized,
        "a customer released to the pool by someone who is not a manager (of its region), an admin or a service identity",
        "ask the region's manager: crm pool release ID --reason …",
    ),
    rule(
        VerifyRule::ReleaseNotDue,
        "a customer released (or a key account handed to its manager) by a service identity when the pool's rules do not make it due, or any release of a locked customer",
        "release due customers only (crm pool release --due); a manager unlocks a customer first (crm pool unlock ID)",
    ),
    rule(
        VerifyRule::ClaimNotInPool,
        "a claim (pool_claimed written) of a customer that was not in the pool",
        "claim only pooled customers (crm pool list); ask the owner or a manager for others",
    ),
    rule(
        VerifyRule::ClaimUnauthorized,
        "a claim by someone who is not a rep or manager",
        "admins assign pooled customers instead: crm pool assign ID --to HANDLE",
    ),
    rule(
        VerifyRule::ClaimOutOfRegion,
        "a claim of another region's customer when [pool].claim_in_region is on",
        "claim customers of your own region; a manager or admin may assign others",
    ),
    rule(
        VerifyRule::ClaimCooldown,
        "a claim of a customer released from the claimer less than [pool].cooldown_days ago",
        "wait for the cooldown to end, or ask a manager to assign it",
    ),
    rule(
        VerifyRule::ClaimLimit,
        "a claim by someone who already claimed [pool].claim_limit customers within claim_period_days",
        "wait until earlier claims fall out of the period",
    ),
    rule(
        VerifyRule::ClaimHandedOn,
        "a rep handing on (to another owner, or back to the pool) a customer they claimed from the pool less than the longer of [pool].claim_period_days and cooldown_days ago",
        "keep it, or ask a manager of its region to reassign or release it",
    ),
    rule(
        VerifyRule::SinceMoved,
        "a rep moving a customer's since later, or removing it, where [pool] releases customers by their dates: the rules count from it",
        "set it as it was; a manager or admin may correct it",
    ),
    rule(
        VerifyRule::PoolFieldChanged,
        "a rep moving a customer out of an exempt tier, where [pool] releases customers by their dates: it keeps the customer from the pool",
        "set it as it was; a manager or admin may change it",
    ),
    rule(
        VerifyRule::OwnedCap,
        "a claim by someone who already owns [pool].owned_cap customers",
        "hand customers on (or let them go to the pool) before claiming more",
    ),
    rule(
        VerifyRule::LockUnauthorized,
        "a pool lock (pool_locked_by, pool_locked_until) set, changed or lifted by someone who is not a manager (of its region) or an admin",
        "ask the region's manager: crm pool lock ID",
    ),
    rule(
        VerifyRule::PoolRecord,
        "pool keys that do not match the change: a release or claim dated otherwise than its commit (later, more than a day before its parent, or in a commit dated more than a day after today: a day's slack for time zones), pool_from not the previous owner, an unknown reason, a new customer file with a pool record (or owned by @pool), or pool keys changed or left behind outside a release, claim, assignment or lock",
        "make pool changes with crm pool release / crm claim / crm pool assign / crm pool lock, and sync them the day they are made",
    ),
    rule(
        VerifyRule::AssignToService,
        "a customer handed to a service identity as owner or backup",
        "service identities own no customers; hand it to a person",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_in_the_readme_tables() {
        let readme = include_str!("../../../README.md");
        for rule in all().iter().chain(check_rules::RULES) {
            assert!(readme.contains(&format!("| `{}` |", rule.id)), "{} is missing from the README", rule.id);
        }
    }

    #[test]
    fn every_rule_the_authorisation_rules_name_has_an_entry() {
        let named = [
            "actor-departed",
            "add-for-other",
            "reassign-unauthorized",
            "edit-unauthorized",
            "touch-forged",
            "remove-unauthorized",
            "settings-unauthorized",
            "protected-path",
            "out-of-region",
        ];
        for id in named {
            assert!(find(id).is_some(), "{id}");
        }
        assert!(find("no-such-rule").is_none());
    }
}
