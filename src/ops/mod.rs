//! One module per action. An op takes the store and a plain request, and
//! returns a typed outcome; it never parses arguments or prints.

pub mod add;
pub mod agenda;
pub mod check;
pub mod complete;
pub mod demo;
pub mod doctor;
pub mod edit;
pub mod export;
pub mod find;
pub mod import;
pub mod init;
pub mod leave;
pub mod list;
pub mod log;
mod ownership;
pub mod pool;
pub mod reassign;
pub mod report;
pub(crate) mod reseal;
pub mod resolve;
pub mod seal;
pub mod show;
pub mod staff;
pub mod status;
pub mod sync;
pub mod touch;
pub mod unseal;
pub mod verify;
pub mod whoami;

use std::collections::BTreeMap;

use crate::model::authz::{self, Action};
use crate::model::validity;
use crate::model::{Customer, Handle, Staff, StoreConfig};
use crate::seal::ring::Keyring;
use crate::store::layout::CONFIG_FILE;
pub use crate::store::signing::SignChoice;
use crate::store::signing::Signer;
use crate::store::write::{Change, CommitSpec, Transaction};
pub use crate::store::write::{Stamp, Stamps};
use crate::store::Snapshot;
pub use crate::store::{Gpg, ObjectId, Repo, Store};
use crate::{Error, Result};

pub use crate::store::snapshot::{Readable, Unreadable};

/// How a writing command acts: who, and whether to sign.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The acting handle given explicitly (`CRM_USER`).
    pub actor: Option<String>,
    /// `--sign` / `--no-sign`.
    pub sign: SignChoice,
    /// Author and committer as git's environment sets them (or a generated
    /// history's); git's configuration and the clock otherwise.
    pub stamps: Stamps,
}

/// A write in progress: the locked store, its state, the actor and signer.
pub(crate) struct Writer<'s> {
    tx: Transaction<'s>,
    pub config: StoreConfig,
    pub staff: BTreeMap<Handle, Staff>,
    pub actor: Staff,
    signer: Option<Signer>,
    stamps: Stamps,
    /// The rings of the snapshot, opened once for every customer the
    /// write opens or seals.
    keyring: std::cell::OnceCell<Keyring<'s>>,
}

impl<'s> Writer<'s> {
    /// Locks the store, reads it, and settles who acts and how to sign,
    /// all before anything is written.
    pub fn start(store: &'s Store, opts: &WriteOptions) -> Result<Writer<'s>> {
        let tx = store.begin()?;
        let snapshot = tx.snapshot();
        let config = snapshot.config()?;
        let staff = snapshot.staff()?;
        let email = opts.stamps.committer.email.as_deref();
        let actor = store.actor(&staff, opts.actor.as_deref(), email)?;
        let signer = store.signer(opts.sign, config.policy.require_signed)?;
        store.refuse_unattributable(&actor, signer.as_ref(), email)?;
        let keyring = std::cell::OnceCell::new();
        Ok(Writer { tx, config, staff, actor, signer, stamps: opts.stamps.clone(), keyring })
    }

    /// The store as of the commit this write starts from.
    pub fn snapshot(&self) -> &Snapshot<'s> {
        self.tx.snapshot()
    }

    /// Refuses unless the actor may do `action`.
    pub fn authorize(&self, action: Action<'_>) -> Result<()> {
        authz::authorize(&self.actor, &self.config.policy, action)
            .map_err(|d| Error::Forbidden { actor: self.actor.handle.to_string(), action: d.reason })
    }

    /// An active staff member, or why not.
    pub fn active_person(&self, handle: &str) -> Result<&Staff> {
        active_person(&self.staff, handle)
    }

    /// Customer file `text` with its sealed values opened by the acting
    /// user's key, when the store is sealed and the key opens it; else as
    /// it is.
    pub fn opened(&self, id: &crate::model::CustomerId, path: &str, text: String) -> Result<String> {
        if self.config.seal.is_none() {
            return Ok(text);
        }
        Ok(crate::seal::record::open_text(id, path, &text, self.keyring()?).unwrap_or(text))
    }

    /// The rings of the snapshot, with the acting user's keys.
    pub fn keyring(&self) -> Result<&Keyring<'s>> {
        if let Some(keyring) = self.keyring.get() {
            return Ok(keyring);
        }
        // Rings this write makes name the actor's own key as their maker:
        // one sealing can use, so the ring is reusable when they read it.
        let maker =
            self.actor.keys.iter().find_map(|k| crate::seal::Recipient::parse(k).ok().map(|r| r.tag().to_string()));
        let keyring = self.tx.store().keyring(self.tx.snapshot())?.made_by(maker);
        Ok(self.keyring.get_or_init(|| keyring))
    }

    /// Commits `changes` with a message built from its parts.
    /// Customer files are sealed as the policy after the change wants
    /// (with whatever other customers the change re-seals).
    pub fn commit(self, message: &Message<'_>, changes: Vec<Change>) -> Result<ObjectId> {
        Ok(self.commit_counting(message, changes)?.0)
    }

    /// [`Writer::commit`], also saying how many customer files the commit
    /// wrote.
    pub fn commit_counting(self, message: &Message<'_>, changes: Vec<Change>) -> Result<(ObjectId, usize)> {
        let changes = match self.config.seal.is_some() || changes.iter().any(|c| c.path == CONFIG_FILE) {
            true => reseal::reseal_changes(self.tx.snapshot(), self.keyring()?, &self.config, &self.staff, changes)?,
            false => changes,
        };
        let written = changes.iter().filter(|c| c.path.starts_with("customers/")).count();
        let text = message.render(self.actor.handle.as_str());
        let commit = self.tx.commit(CommitSpec { message: text, changes, signer: self.signer, stamps: self.stamps })?;
        Ok((commit, written))
    }
}

/// An active staff member of `staff` who can hold customers (as owner or
/// backup), or why not.
pub fn active_person<'a>(staff: &'a BTreeMap<Handle, Staff>, handle: &str) -> Result<&'a Staff> {
    let h = Handle::parse(handle)?;
    let person = staff.get(&h).ok_or_else(|| Error::UnknownStaff(handle.to_string()))?;
    if !person.is_active() {
        return Err(Error::Departed(handle.to_string()));
    }
    if !person.is_person() {
        return Err(Error::invalid("staff member", handle, "is a service identity, which holds no customers"));
    }
    Ok(person)
}

/// The parts of a commit message: subject, optional body, and the trailers
/// `Crm-Action`, `Crm-Actor` and `Crm-Reason`.
pub struct Message<'a> {
    /// First line.
    pub subject: String,
    /// The `Crm-Action` trailer.
    pub action: &'a str,
    /// Why; becomes the body and the `Crm-Reason` trailer.
    pub reason: Option<&'a str>,
}

impl Message<'_> {
    /// The full message text for `actor`.
    pub fn render(&self, actor: &str) -> String {
        let mut text = format!("{}\n\n", self.subject);
        let reason = self.reason.map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "));
        if let Some(r) = &reason {
            text.push_str(&format!("{r}\n\n"));
        }
        text.push_str(&format!("Crm-Action: {}\nCrm-Actor: {actor}\n", self.action));
        if let Some(r) = &reason {
            text.push_str(&format!("Crm-Reason: {r}\n"));
        }
        text
    }
}

/// Trims a required text value, refusing an empty one.
pub fn non_empty(what: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(what, value, "must not be empty"));
    }
    Ok(v.to_string())
}

/// Refuses to write `customer` when the shared definition of a valid
/// customer ([`validity`]) finds anything wrong with it that `before` (the
/// version it replaces, if any) did not already have: a write never makes a
/// customer worse, and a problem it did not cause (a backup who left since)
/// does not block an unrelated edit.
fn refuse_invalid(
    customer: &Customer,
    before: Option<&Customer>,
    config: &StoreConfig,
    staff: &BTreeMap<Handle, Staff>,
) -> Result<()> {
    let old = before.map(|b| validity::problems(b, &config.policy, staff)).unwrap_or_default();
    let problems: Vec<_> = validity::problems(customer, &config.policy, staff)
        .into_iter()
        .filter(|p| !old.iter().any(|o| o.field == p.field && o.rule == p.rule))
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::InvalidCustomer {
        id: customer.id.to_string(),
        problems: problems.into_iter().map(|p| p.message).collect(),
    })
}

/// Refuses a write that must read every customer file, since any of them
/// may be one it changes (`who`'s), when some cannot be read: names the
/// first with its place, and counts the others.
fn refuse_unreadable(skipped: Vec<Unreadable>, what: &str, who: &str) -> Result<()> {
    let others = skipped.len().saturating_sub(1);
    let Some(mut first) = skipped.into_iter().next() else { return Ok(()) };
    let more = match others {
        0 => String::new(),
        n => format!(" (and {n} other file(s): `crm check` lists them)"),
    };
    first.reason = format!(
        "{}; {what} reads every customer file, since any may be {who}'s, so nothing was written{more}",
        first.reason
    );
    Err(first.into())
}

/// Sets the process-wide options for how crm reads git objects; call once
/// at the start of `main`, before any thread starts.
pub fn setup_process() {
    crate::store::tune_libgit2();
}
