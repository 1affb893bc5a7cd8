//! `crm staff add | list | show`: the people of the company, with the
//! customers and value each one holds.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Message, WriteOptions, Writer};
use crate::model::authz::Action;
use crate::model::date::Date;
use crate::model::document::staff_toml;
use crate::model::{Customer, Handle, Role, Staff, StaffStatus};
use crate::seal::{Readers, Recipient};
use crate::store::layout;
use crate::store::snapshot::Readable;
use crate::store::write::Change;
use crate::store::Store;
use crate::{Error, Result};

/// A person to add.
#[derive(Debug, Clone)]
pub struct AddStaff {
    /// Handle (file stem).
    pub handle: Handle,
    /// Display name.
    pub name: String,
    /// Email, matched against git's `user.email`.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Region.
    pub region: Option<String>,
    /// Public signing keys.
    pub keys: Vec<String>,
    /// First day (default: today).
    pub joined: Date,
}

/// Adds a staff member (admins only); returns the new record.
pub fn add(store: &Store, req: &AddStaff, opts: &WriteOptions) -> Result<Staff> {
    let w = Writer::start(store, opts)?;
    w.authorize(Action::ChangeSettings)?;
    if w.staff.contains_key(&req.handle) {
        return Err(Error::Exists(format!("staff member `{}`", req.handle)));
    }
    let email = super::non_empty("email", &req.email)?;
    if let Some(other) = w.staff.values().find(|s| s.email.eq_ignore_ascii_case(&email)) {
        return Err(Error::Exists(format!("a staff member with email {email} (`{}`)", other.handle)));
    }
    if w.config.seal.is_some() && !req.keys.iter().any(|k| Recipient::parse(k).is_ok()) {
        let need =
            "in a sealed store everyone needs an ssh-ed25519 (or ssh-rsa) key, for customers to be sealed to them";
        return Err(match req.keys.iter().find_map(|k| Recipient::parse(k).err().map(|e| (k, e.0))) {
            Some((key, why)) => {
                Error::invalid("key", key.chars().take(40).collect::<String>(), format!("{need}: {why}"))
            }
            None => Error::Missing(format!("--key: {need}")),
        });
    }
    if let Some(region) = &req.region {
        if !w.config.policy.allows_region(region) {
            return Err(Error::invalid("region", region, format!("allowed: {}", w.config.policy.regions.join(", "))));
        }
    }
    let person = Staff {
        handle: req.handle.clone(),
        name: super::non_empty("name", &req.name)?,
        email,
        role: req.role,
        region: req.region.clone(),
        status: StaffStatus::Active,
        joined: Some(req.joined),
        left: None,
        rehire: None,
        keys: req.keys.iter().map(|k| k.trim().to_string()).collect(),
    };
    if let Some(seal) = &w.config.seal {
        refuse_shared_tag(&w, seal, &person)?;
    }
    let message =
        Message { subject: format!("staff add {}: {}", person.handle, person.role), action: "staff-add", reason: None };
    let change = Change::write(layout::staff_path(&person.handle), staff_toml(&person));
    w.commit(&message, vec![change])?;
    Ok(person)
}

/// A staff member with what they hold.
#[derive(Debug, Clone, Serialize)]
pub struct StaffSummary {
    /// The person.
    #[serde(flatten)]
    pub person: Staff,
    /// Customers they own.
    pub customers: usize,
    /// Key accounts they own.
    pub key_accounts: usize,
    /// Total value of their customers.
    pub value: u64,
    /// Customers where they are the backup.
    pub backup_for: usize,
}

fn summarize(staff: BTreeMap<Handle, Staff>, customers: &[Customer]) -> Vec<StaffSummary> {
    let mut out: BTreeMap<Handle, StaffSummary> = staff
        .into_iter()
        .map(|(h, person)| (h, StaffSummary { person, customers: 0, key_accounts: 0, value: 0, backup_for: 0 }))
        .collect();
    for c in customers {
        if let Some(s) = Handle::parse(&c.owner).ok().and_then(|h| out.get_mut(&h)) {
            s.customers += 1;
            s.key_accounts += usize::from(c.tier == "key");
            s.value += c.value.unwrap_or(0);
        }
        if let Some(s) = c.backup.as_deref().and_then(|b| Handle::parse(b).ok()).and_then(|h| out.get_mut(&h)) {
            s.backup_for += 1;
        }
    }
    out.into_values().collect()
}

/// Everyone (or only active people), with customer counts and value, and
/// the files that cannot be read.
pub fn list(store: &Store, include_departed: bool) -> Result<Readable<Vec<StaffSummary>>> {
    let head = store.head()?;
    let Readable { value: staff, mut skipped } = head.readable_staff()?;
    let customers = head.readable_customers()?;
    skipped.extend(customers.skipped);
    let mut rows = summarize(staff, &customers.value);
    rows.retain(|s| include_departed || s.person.is_active());
    Ok(Readable { value: rows, skipped })
}

/// One person in full: summary and their customers.
#[derive(Debug, Clone, Serialize)]
pub struct StaffDetail {
    /// Counts and value.
    #[serde(flatten)]
    pub summary: StaffSummary,
    /// Ids of the customers they own.
    pub owns: Vec<String>,
    /// Ids of the customers where they are the backup.
    pub backs_up: Vec<String>,
}

/// One staff member, with their customers, and the files that cannot be
/// read.
pub fn show(store: &Store, handle: &Handle) -> Result<Readable<StaffDetail>> {
    let head = store.head()?;
    let person = head.person(handle)?;
    let Readable { value: customers, skipped } = head.readable_customers()?;
    let mine = |f: &dyn Fn(&Customer) -> bool| customers.iter().filter(|c| f(c)).map(|c| c.id.to_string()).collect();
    let owns = mine(&|c| c.owner == handle.as_str());
    let backs_up = mine(&|c| c.backup.as_deref() == Some(handle.as_str()));
    let summary = summarize(BTreeMap::from([(handle.clone(), person)]), &customers).remove(0);
    Ok(Readable { value: StaffDetail { summary, owns, backs_up }, skipped })
}

/// Refuses `person` when the sealing policy would not use one of their
/// keys because an active person's key or a recovery key has its tag (a
/// sealed file names its readers by tag only): the rule
/// [`Readers`] applies, asked with them on the staff.
fn refuse_shared_tag(w: &Writer<'_>, seal: &crate::model::config::SealConfig, person: &Staff) -> Result<()> {
    let mut staff = w.staff.clone();
    staff.insert(person.handle.clone(), person.clone());
    let readers = Readers::new(&w.config, seal, &staff);
    match readers.keyless.iter().find(|(h, _)| h == person.handle.as_str()) {
        Some((_, why)) => Err(Error::invalid("key", person.handle.as_str(), why.clone())),
        None => Ok(()),
    }
}
