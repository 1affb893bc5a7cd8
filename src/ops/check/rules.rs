//! The rules `crm check` applies: a stable id for each, its severity, and
//! the one line of help printed with every finding. The ids are a public
//! contract (CI configurations filter on them); never rename one.

use serde::Serialize;

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

const fn error(id: &'static str, what: &'static str, help: &'static str) -> Rule {
    Rule { id, severity: Severity::Error, what, help }
}

const fn warning(id: &'static str, what: &'static str, help: &'static str) -> Rule {
    Rule { id, severity: Severity::Warning, what, help }
}

/// Every rule, in the order the README lists them.
pub const RULES: &[Rule] = &[
    error("toml-syntax", "the file is not valid TOML (includes duplicate keys)", "fix the TOML at the marked position"),
    error("invalid-utf8", "the file is not UTF-8", "re-save the file as UTF-8 (iconv -f GBK -t UTF-8 FILE)"),
    error(
        "invalid-date",
        "a date that does not exist or is not a date",
        "write dates as YYYY-MM-DD with a real month and day",
    ),
    error("wrong-type", "a key holds the wrong kind of value", "see the file format in the README for each key's type"),
    error("missing-key", "a required key is absent", "add the key; customers need `name` and `owner`"),
    error("invalid-value", "a value is out of range (empty name, negative value)", "correct the value"),
    error(
        "missing-config",
        "crm.toml is missing or unreadable",
        "restore crm.toml at the store root (git log -- crm.toml)",
    ),
    error("invalid-id", "a customer file name is not a valid id", "rename the file to [a-z0-9][a-z0-9-]*.toml"),
    error("invalid-handle", "a staff file name is not a valid handle", "rename the file to [a-z0-9][a-z0-9._-]*.toml"),
    error(
        "wrong-shard",
        "a customer file is not in the shard directory its id belongs to",
        "git mv the file to the directory named in the message",
    ),
    error(
        "misplaced-file",
        "a file under customers/ is not at customers/XX/ID.toml",
        "move it to customers/XX/ID.toml, or out of customers/",
    ),
    error("duplicate-id", "two customer files have the same id", "merge the two files into one and delete the other"),
    error(
        "malformed-tree",
        "a git tree no checkout shows faithfully: a name twice, out of order, not UTF-8, `.`, `..` or `.git`",
        "rewrite the commit with plain git (git rm --cached the entry, commit again); never craft trees by hand",
    ),
    error(
        "not-a-file",
        "a symlink or other non-file in the store",
        "replace it with a regular file; crm never follows links",
    ),
    error(
        "file-too-large",
        "a record file larger than 1 MiB",
        "a customer file should be a few KiB; split out attachments",
    ),
    error(
        "unknown-person",
        "owner, backup or touch author not in staff/",
        "add the person with `crm staff add` or correct the handle",
    ),
    error(
        "handover-overdue",
        "the owner left more than handover_days ago",
        "hand the customer over: crm reassign ID --to HANDLE --reason …",
    ),
    error(
        "key-without-backup",
        "a key account without an active backup who is not the owner",
        "crm edit ID --set backup=HANDLE",
    ),
    error("unknown-tier", "a tier not listed in crm.toml", "use one of [policy].tiers"),
    error("unknown-region", "a region not listed in crm.toml", "use one of [policy].regions"),
    error(
        "unknown-status",
        "a status other than prospect, active, dormant, lost (customers) or active, departed (staff)",
        "use one of the listed statuses",
    ),
    error("unknown-kind", "a touch kind other than visit, call, email, meeting, other", "use one of the listed kinds"),
    error(
        "shared-key",
        "one signing key listed for two staff members",
        "each person signs with their own key; remove it from one of the files",
    ),
    error("invalid-staff", "a staff file that does not fit the schema", "see the staff file format in the README"),
    warning(
        "unknown-key",
        "a key crm does not know (kept on rewrite)",
        "remove it, or ignore this warning if you use the key yourself",
    ),
    warning(
        "handover-pending",
        "the owner has left; the handover deadline has not passed yet",
        "hand the customer over before the deadline",
    ),
    warning(
        "owner-concentration",
        "one owner holds more than max_owner_share of total value",
        "spread the accounts: crm reassign …",
    ),
    warning(
        "stale-relationship",
        "an active customer with no touch for stale_after_days",
        "visit or call, then `crm touch ID`",
    ),
    warning(
        "single-threaded",
        "a key account with fewer than 2 contacts",
        "add a contact: crm edit ID --add-contact \"Name <email> phone\"",
    ),
    warning(
        "stray-file",
        "a file under customers/ or staff/ that is not .toml",
        "remove it or move it out of the store's directories",
    ),
];

/// The rule with this id.
pub fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}
