//! The rules `crm verify` judges history by, with stable ids. Like the
//! `check` rules, the ids are a public contract.

use crate::ops::check::rules::{Rule, Severity};

const fn rule(id: &'static str, what: &'static str, help: &'static str) -> Rule {
    Rule { id, severity: Severity::Error, what, help }
}

/// Every verify rule.
pub const VERIFY_RULES: &[Rule] = &[
    rule(
        "unsigned",
        "a store commit without a signature where policy requires one",
        "sign commits: git config gpg.format ssh; git config user.signingkey KEY; git config commit.gpgsign true",
    ),
    rule(
        "bad-signature",
        "a signature that does not match the commit (altered after signing)",
        "the commit was tampered with; restore it from a trusted copy",
    ),
    rule(
        "unknown-key",
        "signed by a key no staff member lists (in the parent state)",
        "an admin adds the key to staff/HANDLE.toml in an earlier commit",
    ),
    rule(
        "signer-departed",
        "signed by a person who was not active in the parent state",
        "a departed person's commits must be redone by an active colleague",
    ),
    rule(
        "unknown-actor",
        "an unsigned commit whose committer email matches no active staff member",
        "commit with the email in your staff file, or sign",
    ),
    rule(
        "settings-unauthorized",
        "crm.toml or staff/ changed by someone who is not an admin",
        "ask an admin to make the change",
    ),
    rule("add-for-other", "a rep added a customer owned by someone else", "add customers you own, or ask a manager"),
    rule(
        "reassign-unauthorized",
        "owner or backup changed by someone not allowed to",
        "ask someone with a role in reassign_roles",
    ),
    rule(
        "edit-unauthorized",
        "a customer edited by someone who is neither owner, backup nor in reassign_roles",
        "ask the owner or a manager",
    ),
    rule(
        "remove-unauthorized",
        "a customer file deleted by someone who is not an admin",
        "ask an admin; customers are rarely deleted, set status = \"lost\" instead",
    ),
    rule(
        "actor-departed",
        "a change by a person not active in the state it is judged against",
        "a departed person's changes (also on branches merged later) are refused",
    ),
    rule(
        "touch-history-rewritten",
        "a past [[touches]] entry edited or deleted (append-only) by a non-admin",
        "add a new touch instead of changing old ones",
    ),
    rule(
        "forge-merge-changes",
        "a merge signed by the forge's key that changes files itself",
        "forge merges may only combine the branches; redo the change in a signed commit",
    ),
    rule("forge-commit", "a non-merge commit signed by the forge's key", "forge keys may sign merges only"),
    rule(
        "second-genesis",
        "a commit that re-creates the store (its parent has no crm.toml) after the trusted root",
        "pin the trusted first commit with --root",
    ),
    rule(
        "unreadable-record",
        "a changed customer file that cannot be parsed, so the change cannot be judged",
        "fix the file (crm check shows how)",
    ),
    rule(
        "not-a-file",
        "a symlink or other non-file committed under customers/ or staff/",
        "replace it with a regular file",
    ),
];
