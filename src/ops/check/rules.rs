//! The rules `crm check` applies: a stable id for each, its severity, and
//! the one line of help printed with every finding. The ids are a public
//! contract (CI configurations filter on them); never rename one.

use serde::Serialize;

pub use crate::model::rule_ids::CheckRule;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check.
    Error,
    /// Reported; fails only with `--deny-warnings`.
    Warning,
}

/// One rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable id.
    pub id: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What the rule checks, for the README and `junit` output.
    pub what: &'static str,
    /// How to fix a finding.
    pub help: &'static str,
}

const fn error(rule: CheckRule, what: &'static str, help: &'static str) -> Rule {
    Rule { id: rule.id(), severity: Severity::Error, what, help }
}

const fn warning(rule: CheckRule, what: &'static str, help: &'static str) -> Rule {
    Rule { id: rule.id(), severity: Severity::Warning, what, help }
}

/// Every rule, in [`CheckRule`]'s order (the README's).
pub const RULES: &[Rule] = &[
    error(
        CheckRule::TomlSyntax,
        "the file is not valid TOML (includes duplicate keys)",
        "fix the TOML at the marked position",
    ),
    error(CheckRule::InvalidUtf8, "the file is not UTF-8", "re-save the file as UTF-8 (iconv -f GBK -t UTF-8 FILE)"),
    error(
        CheckRule::InvalidDate,
        "a date that does not exist or is not a date",
        "write dates as YYYY-MM-DD with a real month and day",
    ),
    error(
        CheckRule::WrongType,
        "a key holds the wrong kind of value",
        "see the file format in the README for each key's type",
    ),
    error(CheckRule::MissingKey, "a required key is absent", "add the key; customers need `name` and `owner`"),
    error(CheckRule::InvalidValue, "a value is out of range (empty name, negative value)", "correct the value"),
    error(
        CheckRule::MissingConfig,
        "crm.toml is missing or unreadable",
        "restore crm.toml at the store root (git log -- crm.toml)",
    ),
    error(CheckRule::InvalidId, "a customer file name is not a valid id", "rename the file to [a-z0-9][a-z0-9-]*.toml"),
    error(
        CheckRule::InvalidHandle,
        "a staff file name is not a valid handle",
        "rename the file to [a-z0-9][a-z0-9._-]*.toml",
    ),
    error(
        CheckRule::WrongShard,
        "a customer file is not in the shard directory its id belongs to",
        "git mv the file to the directory named in the message",
    ),
    error(
        CheckRule::MisplacedFile,
        "a file under customers/ is not at customers/XX/ID.toml",
        "move it to customers/XX/ID.toml, or out of customers/",
    ),
    error(
        CheckRule::DuplicateId,
        "two customer files have the same id",
        "merge the two files into one and delete the other",
    ),
    error(
        CheckRule::MalformedTree,
        "a git tree no checkout shows faithfully: a name twice, out of order, not UTF-8, `.`, `..` or `.git`",
        "rewrite the commit with plain git (git rm --cached the entry, commit again); never craft trees by hand",
    ),
    error(
        CheckRule::NotAFile,
        "a symlink or other non-file in the store",
        "replace it with a regular file; crm never follows links",
    ),
    error(
        CheckRule::FileTooLarge,
        "a record file larger than 1 MiB",
        "a customer file should be a few KiB; split out attachments",
    ),
    error(
        CheckRule::UnknownPerson,
        "owner, backup or touch author not in staff/",
        "add the person with `crm staff add` or correct the handle",
    ),
    error(
        CheckRule::HandoverOverdue,
        "the owner left more than handover_days ago",
        "hand the customer over: crm reassign ID --to HANDLE --reason …",
    ),
    error(
        CheckRule::KeyWithoutBackup,
        "a key account without an active backup who is not the owner",
        "crm edit ID --set backup=HANDLE",
    ),
    error(CheckRule::UnknownTier, "a tier not listed in crm.toml", "use one of [policy].tiers"),
    error(CheckRule::UnknownRegion, "a region not listed in crm.toml", "use one of [policy].regions"),
    error(
        CheckRule::UnknownStatus,
        "a status other than prospect, active, dormant, lost (customers) or active, departed (staff)",
        "use one of the listed statuses",
    ),
    error(
        CheckRule::UnknownKind,
        "a touch kind other than visit, call, email, meeting, other",
        "use one of the listed kinds",
    ),
    error(
        CheckRule::SharedKey,
        "one signing key listed for two staff members",
        "each person signs with their own key; remove it from one of the files",
    ),
    error(
        CheckRule::InvalidStaff,
        "a staff file that does not fit the schema",
        "see the staff file format in the README",
    ),
    error(
        CheckRule::PoolFields,
        "a pooled customer (owner \"@pool\") without its release date and reason, or with a lock; or release keys on a customer someone owns",
        "restore the file from the release commit (git log -p -- FILE), or reassign the customer properly",
    ),
    warning(
        CheckRule::UnknownKey,
        "a key crm does not know (kept on rewrite)",
        "remove it, or ignore this warning if you use the key yourself",
    ),
    warning(
        CheckRule::HandoverPending,
        "the owner has left; the handover deadline has not passed yet",
        "hand the customer over before the deadline",
    ),
    warning(
        CheckRule::OwnerConcentration,
        "one owner holds more than max_owner_share of total value",
        "spread the accounts: crm reassign …",
    ),
    warning(
        CheckRule::StaleRelationship,
        "an active customer with no touch for stale_after_days",
        "visit or call, then `crm touch ID`",
    ),
    warning(
        CheckRule::SingleThreaded,
        "a key account with fewer than 2 contacts",
        "add a contact: crm edit ID --add-contact \"Name <email> phone\"",
    ),
    warning(
        CheckRule::StrayFile,
        "a file under customers/ or staff/ that is not .toml",
        "remove it or move it out of the store's directories",
    ),
    error(
        CheckRule::SealRecipients,
        "a sealed customer's data key is not sealed for exactly the people the policy entitles and the recovery keys (or its ring is wrapped for others than its sealed_key names)",
        "any crm write to the customer re-seals it (`crm seal` re-seals every customer that needs it)",
    ),
    error(
        CheckRule::SealClearValue,
        "a field crm.toml's [seal] seals is in the clear",
        "`crm seal` seals it; the clear text stays in history",
    ),
    error(
        CheckRule::SealMalformed,
        "a sealed value, sealed key or ring file that is not well-formed, or a customer whose ring file is missing",
        "restore the value or the ring file from history (`git log -p -- FILE`); it cannot be opened as it is",
    ),
    error(
        CheckRule::SealUnopenable,
        "with --identity: a value that does not open with its customer's data key (changed, or moved from another customer or field)",
        "restore the value from history (`git log -p -- FILE`)",
    ),
    error(
        CheckRule::SealNoKey,
        "an active staff member without an ssh-ed25519 or ssh-rsa key in a sealed store: nothing can be sealed to them",
        "add an ssh-ed25519 key to their staff file (`ssh-keygen -t ed25519`); ECDSA and OpenPGP keys cannot receive sealed data",
    ),
];

/// The severity and help of a rule.
pub fn rule(id: CheckRule) -> &'static Rule {
    &RULES[id as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_rule_in_its_order() {
        assert_eq!(RULES.len(), CheckRule::ALL.len());
        for rule in CheckRule::ALL {
            assert_eq!(super::rule(*rule).id, rule.id());
        }
    }
}
