//! `crm edit`: change fields other than the owner (which only `reassign`
//! changes, so that every change of owner carries a reason).

use serde::Serialize;
use toml_edit::Value;

use super::{Message, WriteOptions, Writer};
use crate::model::authz::Action;
use crate::model::date::Date;
use crate::model::document::{contact_table, string_array, Document};
use crate::model::pool;
use crate::model::{Contact, Customer, CustomerId};
use crate::store::layout;
use crate::store::write::Change;
use crate::store::Store;
use crate::{Error, Result};

/// Keys `edit --set` accepts.
pub const EDITABLE: &[&str] =
    &["name", "backup", "tier", "status", "region", "since", "value", "tags", "next_step", "next_date", "notes"];
/// Keys `edit --unset` accepts.
pub const REMOVABLE: &[&str] = &["backup", "region", "since", "value", "tags", "next_step", "next_date", "notes"];

/// Changes to one customer.
#[derive(Debug, Clone)]
pub struct EditRequest {
    /// Which customer.
    pub id: CustomerId,
    /// `KEY=VALUE` pairs to set.
    pub set: Vec<(String, String)>,
    /// Keys to remove.
    pub unset: Vec<String>,
    /// Contacts to append.
    pub add_contacts: Vec<Contact>,
}

/// What `edit` did.
#[derive(Debug, Clone, Serialize)]
pub struct Edited {
    /// The customer after the change.
    pub customer: Customer,
    /// The keys changed.
    pub changed: Vec<String>,
    /// The commit.
    pub commit: String,
}

/// Applies `req` in one commit.
pub fn run(store: &Store, req: &EditRequest, opts: &WriteOptions) -> Result<Edited> {
    if req.set.is_empty() && req.unset.is_empty() && req.add_contacts.is_empty() {
        return Err(Error::Missing("--set KEY=VALUE, --unset KEY or --add-contact".into()));
    }
    let w = Writer::start(store, opts)?;
    let before = w.snapshot().existing_customer(&req.id)?;
    let path = layout::customer_path(&req.id);
    let mut doc = Document::parse(&path, &w.snapshot().text(&path)?.unwrap_or_default())?;
    let mut changed = Vec::new();
    for (key, raw) in &req.set {
        doc.set(key, typed_value(&w, key, raw)?);
        changed.push(key.clone());
    }
    for key in &req.unset {
        if !REMOVABLE.contains(&key.as_str()) {
            return Err(Error::invalid("key to unset", key, format!("removable keys: {}", REMOVABLE.join(", "))));
        }
        if doc.remove(key) {
            changed.push(key.clone());
        }
    }
    for contact in &req.add_contacts {
        doc.push_table("contacts", contact_table(contact));
        changed.push("contacts".into());
    }
    let text = doc.to_string();
    let after = Customer::parse(&req.id, &path, &text)?;
    if after == before {
        return Err(Error::NothingToDo(format!("{} already has these values", req.id)));
    }
    super::refuse_invalid(&after, Some(&before), &w.config, &w.staff)?;
    let ownership = after.backup != before.backup;
    w.authorize(if ownership {
        Action::ChangeOwnership { customer: &before }
    } else {
        Action::EditCustomer { customer: &before }
    })?;
    if let Some(d) = pool::judge_pool_fields(&w.actor, &w.config.pool, &before, &after) {
        return Err(Error::Forbidden { actor: w.actor.handle.to_string(), action: d.reason });
    }
    changed.dedup();
    let message = Message { subject: format!("edit {}: {}", req.id, changed.join(", ")), action: "edit", reason: None };
    let commit = w.commit(&message, vec![Change::write(path, text)])?;
    Ok(Edited { customer: after, changed, commit: commit.to_string() })
}

/// Checks `raw` for `key` and turns it into the TOML value to write.
fn typed_value(w: &Writer<'_>, key: &str, raw: &str) -> Result<Value> {
    Ok(match key {
        "name" | "next_step" | "notes" => super::non_empty(key, raw)?.into(),
        // Naming someone is an action: they must be active now.
        "backup" => w.active_person(raw)?.handle.as_str().into(),
        "tier" | "status" | "region" => super::non_empty(key, raw)?.into(),
        "since" | "next_date" => Date::parse(raw)?.to_toml().into(),
        "value" => parse_value(raw)?.into(),
        "tags" => {
            let tags: Vec<String> =
                raw.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
            string_array(&tags).into()
        }
        "owner" => {
            return Err(Error::invalid("key", key, "the owner changes only with `crm reassign`, which records why"))
        }
        _ => return Err(Error::invalid("key", key, format!("editable keys: {}", EDITABLE.join(", ")))),
    })
}

/// Parses an annual value: a non-negative whole number (`_` and `,` allowed
/// as digit separators).
pub fn parse_value(raw: &str) -> Result<i64> {
    let digits: String = raw.trim().chars().filter(|c| *c != '_' && *c != ',').collect();
    match digits.parse::<i64>() {
        Ok(v) if v >= 0 => Ok(v),
        Ok(_) => Err(Error::invalid("value", raw, "must not be negative")),
        Err(_) => Err(Error::invalid("value", raw, "expected a whole number like 1200000")),
    }
}
