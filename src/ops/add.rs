//! `crm add`: a new customer file and one commit.

use serde::Serialize;

use super::{Message, WriteOptions, Writer};
use crate::model::authz::Action;
use crate::model::date::Date;
use crate::model::dedupe;
use crate::model::document::customer_toml;
use crate::model::{Contact, Customer, CustomerId};
use crate::store::catalog::Catalog;
use crate::store::layout;
use crate::store::write::Change;
use crate::store::{Snapshot, Store};
use crate::{Error, Result};

/// A customer to add.
#[derive(Debug, Clone, Default)]
pub struct AddCustomer {
    /// The id; derived from the name when `None`.
    pub id: Option<CustomerId>,
    /// Name.
    pub name: String,
    /// Owner's handle.
    pub owner: String,
    /// Backup's handle.
    pub backup: Option<String>,
    /// Tier (default `standard`).
    pub tier: Option<String>,
    /// Status (default `active`).
    pub status: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Annual value.
    pub value: Option<u64>,
    /// Contacts.
    pub contacts: Vec<Contact>,
    /// Tags.
    pub tags: Vec<String>,
    /// Relationship start (default: today).
    pub since: Option<Date>,
    /// Add even if it looks like an existing customer.
    pub force: bool,
}

/// What `add` did.
#[derive(Debug, Clone, Serialize)]
pub struct Added {
    /// The new customer.
    pub customer: Customer,
    /// Its file.
    pub path: String,
    /// The commit.
    pub commit: String,
}

/// Adds a customer.
pub fn run(store: &Store, req: &AddCustomer, today: Date, opts: &WriteOptions) -> Result<Added> {
    let w = Writer::start(store, opts)?;
    let customer = build(&w, req, today)?;
    w.authorize(Action::AddCustomer { customer: &customer })?;
    refuse_duplicate(w.snapshot(), &customer.name, &customer.contacts, customer.id.as_str(), req.force)?;
    let path = layout::customer_path(&customer.id);
    let message = Message { subject: format!("add {}: {}", customer.id, customer.name), action: "add", reason: None };
    let commit = w.commit(&message, vec![Change::write(path.clone(), customer_toml(&customer))])?;
    Ok(Added { customer, path, commit: commit.to_string() })
}

/// Fails with [`Error::Duplicate`] when a current customer has this name
/// or one of these contacts' emails or phones: asked before the rest of
/// an interactive `crm add`, so nobody answers questions for nothing.
pub fn check_duplicate(store: &Store, name: &str, contacts: &[Contact]) -> Result<()> {
    refuse_duplicate(&store.head()?, name, contacts, "", false)
}

/// Refuses a customer that shares a key with a current one, unless
/// `force`; a copy of a pooled customer is refused even then (it would be
/// a claim past every limit of the pool).
fn refuse_duplicate(
    snapshot: &Snapshot<'_>,
    name: &str,
    contacts: &[Contact],
    except: &str,
    force: bool,
) -> Result<()> {
    let keys = dedupe::keys(name, contacts);
    let Some(dup) = Catalog::load(snapshot)?.find_duplicate(&keys, except) else { return Ok(()) };
    if let Some(why) = super::pool::pooled_copy(snapshot, &dup) {
        return Err(Error::invalid("customer", name, why));
    }
    match force {
        true => Ok(()),
        false => Err(Error::Duplicate { new: name.to_string(), existing: dup.id, by: dup.by.into(), value: dup.value }),
    }
}

fn build(w: &Writer<'_>, req: &AddCustomer, today: Date) -> Result<Customer> {
    let name = super::non_empty("name", &req.name)?;
    let owner = w.active_person(&req.owner)?.handle.to_string();
    let backup = req.backup.as_deref().map(|b| w.active_person(b).map(|s| s.handle.to_string())).transpose()?;
    if backup.as_ref() == Some(&owner) {
        return Err(Error::invalid("backup", owner, "the backup must be someone other than the owner"));
    }
    let tier = req.tier.clone().unwrap_or_else(|| "standard".into());
    let status = req.status.clone().unwrap_or_else(|| "active".into());
    let id = match &req.id {
        Some(id) if w.snapshot().blob_id(&layout::customer_path(id)).is_some() => {
            return Err(Error::Exists(format!("customer `{id}`")))
        }
        Some(id) => id.clone(),
        None => free_id(w.snapshot(), &name)?,
    };
    let customer = Customer {
        backup,
        tier,
        status,
        region: req.region.clone(),
        since: Some(req.since.unwrap_or(today)),
        value: req.value,
        tags: req.tags.clone(),
        contacts: req.contacts.clone(),
        ..Customer::new(id, name, owner)
    };
    super::refuse_invalid(&customer, None, &w.config, &w.staff)?;
    Ok(customer)
}

/// The id derived from `name`, with `-2`, `-3`… when taken.
pub fn free_id(snapshot: &Snapshot<'_>, name: &str) -> Result<CustomerId> {
    let base = CustomerId::derive(name)
        .ok_or_else(|| Error::invalid("name", name, "no id can be derived from it; give one with --id"))?;
    let taken = |id: &CustomerId| snapshot.blob_id(&layout::customer_path(id)).is_some();
    if !taken(&base) {
        return Ok(base);
    }
    (2..).map(|n| base.with_suffix(n)).find(|id| !taken(id)).ok_or_else(|| Error::Exists(format!("customer `{base}`")))
}
