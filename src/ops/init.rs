//! `crm init`: create a store (or adopt an existing git repository as one)
//! with its first admin, in one commit.

use std::path::PathBuf;

use serde::Serialize;

use super::{Message, WriteOptions};
use crate::model::document::staff_toml;
use crate::model::{Handle, Role, Staff, StaffStatus};
use crate::seal::Recipient;
use crate::store::layout::{self, CONFIG_FILE};
use crate::store::write::{Change, CommitSpec};
use crate::store::{Created, Repo, Store};
use crate::{Error, Result};

/// What to create.
#[derive(Debug, Clone)]
pub struct InitRequest {
    /// Where: an empty or missing directory, or a git repository's root.
    pub dir: PathBuf,
    /// Company name.
    pub company: String,
    /// The first admin's handle.
    pub admin: Handle,
    /// The admin's display name.
    pub name: String,
    /// The admin's email.
    pub email: String,
    /// The admin's public signing key.
    pub key: Option<String>,
    /// Write `require_signed = true`.
    pub require_signed: bool,
    /// Currency of customer values.
    pub currency: String,
    /// Recovery public keys of a sealed store (empty: not sealed).
    pub recovery: Vec<String>,
}

/// What `init` did.
#[derive(Debug, Clone, Serialize)]
pub struct InitOutcome {
    /// The store's root directory.
    pub root: PathBuf,
    /// The first commit.
    pub commit: String,
    /// Whether an existing git repository was adopted.
    pub adopted: bool,
    /// Whether the store requires signed commits.
    pub require_signed: bool,
    /// Whether the store is sealed.
    pub sealed: bool,
    /// The committer email of the commits made here, when it is not the
    /// admin's: their later unsigned commits would not count as theirs.
    pub other_email: Option<String>,
}

/// Creates the store described by `req`.
pub fn run(req: &InitRequest, opts: &WriteOptions) -> Result<InitOutcome> {
    let company = super::non_empty("company name", &req.company)?;
    let name = super::non_empty("name", &req.name)?;
    let email = super::non_empty("email", &req.email)?;
    if !req.recovery.is_empty() {
        for key in &req.recovery {
            Recipient::parse(key).map_err(|e| Error::invalid("recovery key", key.trim(), e.0))?;
        }
        let usable = req.key.as_deref().map(Recipient::parse);
        if !matches!(usable, Some(Ok(_))) {
            let why = match usable {
                Some(Err(e)) => e.0,
                _ => "no --key was given".into(),
            };
            return Err(Error::invalid(
                "admin key",
                req.key.clone().unwrap_or_default(),
                format!(
                    "a sealed store needs the admin's ssh-ed25519 (or ssh-rsa) public key, to seal customers to: {why}"
                ),
            ));
        }
    }
    std::fs::create_dir_all(&req.dir).map_err(Error::io(&req.dir))?;
    let (repo, created) = Repo::create_or_open(&req.dir)?;
    let adopted = created == Created::No;
    let store = Store::from_repository(repo)?;
    if store.head()?.is_store() {
        return Err(Error::AlreadyAStore(store.root().to_path_buf()));
    }
    let signer = store.signer(opts.sign, req.require_signed)?;
    let admin = Staff {
        handle: req.admin.clone(),
        name,
        email,
        role: Role::Admin,
        region: None,
        status: StaffStatus::Active,
        joined: None,
        left: None,
        rehire: None,
        keys: req.key.iter().map(|k| k.trim().to_string()).collect(),
    };
    let admin_email = admin.email.clone();
    let changes = vec![
        Change::write(CONFIG_FILE, config_toml(&company, &req.currency, req.require_signed, &req.recovery)),
        Change::write(layout::staff_path(&req.admin), staff_toml(&admin)),
    ];
    let message = Message { subject: format!("init store for {company}"), action: "init", reason: None };
    let tx = store.begin()?;
    let commit = tx.commit(CommitSpec {
        message: message.render(req.admin.as_str()),
        changes,
        signer,
        stamps: opts.stamps.clone(),
    })?;
    Ok(InitOutcome {
        root: store.root().to_path_buf(),
        commit: commit.to_string(),
        adopted,
        require_signed: req.require_signed,
        sealed: !req.recovery.is_empty(),
        other_email: Some(store.committer_email(opts.stamps.committer.email.as_deref()))
            .filter(|e| !e.eq_ignore_ascii_case(&admin_email)),
    })
}

/// The text of a new `crm.toml`, with the policy spelled out and explained.
pub fn config_toml(company: &str, currency: &str, require_signed: bool, recovery: &[String]) -> String {
    let quote = |s: &str| toml_edit::Value::from(s).to_string();
    let seal = if recovery.is_empty() {
        String::new()
    } else {
        let keys: Vec<String> = recovery.iter().map(|k| format!("  {},\n", quote(k.trim()))).collect();
        format!(
            "\n[seal]                      # contacts, notes, next steps and touch summaries sealed to whom the policy entitles\nrecovery = [\n{}]\n# fields = [\"contacts.name\", \"contacts.title\", \"contacts.phone\", \"contacts.email\", \"notes\", \"next_step\", \"touches.summary\"]\n",
            keys.concat()
        )
    };
    format!(
        r#"[company]
name = {company}
currency = {currency}

[policy]
require_signed = {require_signed}     # every store commit must be signed by a staff key
stale_after_days = 90       # no touch for this long = stale relationship
handover_days = 14          # a departed person's customers must be reassigned within this
key_backup = true           # key accounts need an active backup who is not the owner
max_owner_share = 0.25      # warn when one owner holds more than this share of total value
reassign_roles = ["manager", "admin"]   # who may move customers between other people
tiers = ["key", "standard", "prospect"]
regions = []                # empty = free text
manager_scope = "region"    # managers act on their own region's customers; "company" for all
protected_branches = []     # never deleted or rewound on the server; empty = its default branch
# protected_paths = [".gitattributes", ".gitmodules", ".github/", …]   # admins only (default list in the README)
{seal}"#,
        company = quote(company),
        currency = quote(currency),
    )
}
