//! `crm reassign`: move customers to another owner, by id or in bulk
//! (everything one person owns, optionally narrowed by region and tier),
//! in one commit that records why.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{active_person, Message, WriteOptions, Writer};
use crate::model::authz::Action;
use crate::model::document::Document;
use crate::model::{Customer, CustomerId, Handle, Staff};
use crate::store::catalog::Catalog;
use crate::store::layout;
use crate::store::snapshot::CustomerEntry;
use crate::store::write::Change;
use crate::store::{Snapshot, Store};
use crate::{Error, Result};

/// Which customers to move.
#[derive(Debug, Clone)]
pub enum Selection {
    /// These customers.
    Ids(Vec<CustomerId>),
    /// Every customer `from` owns, narrowed by region and tier.
    Owner {
        /// The current owner.
        from: Handle,
        /// Only this region.
        region: Option<String>,
        /// Only this tier.
        tier: Option<String>,
    },
}

/// A reassignment to plan or apply.
#[derive(Debug, Clone)]
pub struct ReassignRequest {
    /// Which customers.
    pub selection: Selection,
    /// The new owner.
    pub to: String,
    /// Why; recorded in the commit.
    pub reason: String,
}

/// One customer's move.
#[derive(Debug, Clone, Serialize)]
pub struct Move {
    /// Customer id.
    pub customer: String,
    /// Customer name.
    pub name: String,
    /// Owner before.
    pub from: String,
    /// Owner after.
    pub to: String,
    /// Backup before.
    pub backup_before: Option<String>,
    /// Backup after: unchanged, except when the new owner was the backup
    /// (then the previous owner, if still active, else none).
    pub backup_after: Option<String>,
    /// Annual value.
    pub value: Option<u64>,
}

/// What `reassign` did (or, with `--dry-run`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct Reassigned {
    /// The moves.
    pub moves: Vec<Move>,
    /// The commit; `None` for a dry run.
    pub commit: Option<String>,
}

/// The moves `req` asks for, checked against the store; writes nothing.
pub fn plan(snapshot: &Snapshot<'_>, staff: &BTreeMap<Handle, Staff>, req: &ReassignRequest) -> Result<Vec<Move>> {
    super::non_empty("--reason", &req.reason)?;
    let to = active_person(staff, &req.to)?.handle.to_string();
    let chosen: Vec<Customer> = match &req.selection {
        Selection::Ids(ids) => {
            if ids.is_empty() {
                return Err(Error::Missing("customers to move: give ids or --from HANDLE".into()));
            }
            let mut unique: Vec<&CustomerId> = Vec::with_capacity(ids.len());
            for id in ids {
                if !unique.contains(&id) {
                    unique.push(id);
                }
            }
            unique.into_iter().map(|id| snapshot.existing_customer(id)).collect::<Result<_>>()?
        }
        Selection::Owner { from, region, tier } => {
            if !staff.contains_key(from) {
                return Err(Error::UnknownStaff(from.to_string()));
            }
            // The catalog says who owns what; only those files are read.
            let catalog = Catalog::load(snapshot)?;
            // A file that cannot be read might be theirs: refuse rather than skip it.
            if let Some(e) = catalog.entries().find(|e| !e.readable) {
                snapshot.existing_customer(&CustomerId::parse(e.id)?)?;
                return Err(Error::invalid(
                    "customer file",
                    e.id,
                    "cannot be read or is not where its id belongs; run crm check",
                ));
            }
            let mut wanted = catalog
                .entries()
                .filter(|e| {
                    e.owner == from.as_str()
                        && region.as_ref().is_none_or(|r| e.region == r)
                        && tier.as_ref().is_none_or(|t| e.tier == t)
                })
                .map(|e| {
                    let id = CustomerId::parse(e.id)?;
                    Ok(CustomerEntry {
                        path: layout::customer_path(&id),
                        shard: id.shard(),
                        stem: id.to_string(),
                        oid: e.blob()?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            wanted.sort_unstable_by(|a, b| a.stem.cmp(&b.stem));
            let mut all = snapshot.read_customers(wanted)?;
            all.retain(|c| {
                c.owner == from.as_str()
                    && region.as_ref().is_none_or(|r| c.region.as_ref() == Some(r))
                    && tier.as_ref().is_none_or(|t| &c.tier == t)
            });
            all
        }
    };
    let moves: Vec<Move> = chosen
        .into_iter()
        .filter(|c| c.owner != to)
        .map(|c| Move {
            backup_after: backup_after(&c, &to, staff),
            customer: c.id.to_string(),
            name: c.name,
            from: c.owner,
            to: to.clone(),
            backup_before: c.backup,
            value: c.value,
        })
        .collect();
    if moves.is_empty() {
        return Err(Error::NothingToDo(format!("no customer to move to {to}")));
    }
    Ok(moves)
}

/// The backup after moving `c` to `to`: unchanged, unless `to` was the
/// backup; then the previous owner if still active, else none.
fn backup_after(c: &Customer, to: &str, staff: &BTreeMap<Handle, Staff>) -> Option<String> {
    if c.backup.as_deref() != Some(to) {
        return c.backup.clone();
    }
    let previous = Handle::parse(&c.owner).ok()?;
    staff.get(&previous).filter(|s| s.is_active()).map(|s| s.handle.to_string())
}

/// Plans `req` against the current state without writing.
pub fn dry_run(store: &Store, req: &ReassignRequest) -> Result<Reassigned> {
    let head = store.head()?;
    Ok(Reassigned { moves: plan(&head, &head.staff()?, req)?, commit: None })
}

/// Moves the customers in one commit.
pub fn run(store: &Store, req: &ReassignRequest, opts: &WriteOptions) -> Result<Reassigned> {
    let w = Writer::start(store, opts)?;
    let moves = plan(&w.snapshot, &w.staff, req)?;
    let changes = apply(&w, &moves)?;
    let message = Message { subject: subject(&moves), action: "reassign", reason: Some(&req.reason) };
    let commit = w.commit(&message, changes)?;
    Ok(Reassigned { moves, commit: Some(commit.to_string()) })
}

/// The file changes that carry out `moves`, each checked against the
/// actor's rights: owner and backup set, everything else in the files kept.
pub(crate) fn apply(w: &Writer<'_>, moves: &[Move]) -> Result<Vec<Change>> {
    let mut changes = Vec::with_capacity(moves.len());
    for m in moves {
        let id = CustomerId::parse(&m.customer)?;
        let path = layout::customer_path(&id);
        let src = w.snapshot.text(&path)?.unwrap_or_default();
        let before = Customer::parse(&id, &path, &src)?;
        w.authorize(Action::ChangeOwnership { customer: &before })?;
        let mut doc = Document::parse(&path, &src)?;
        if m.to != before.owner {
            doc.set("owner", m.to.as_str());
        }
        if m.backup_after != before.backup {
            match &m.backup_after {
                Some(b) => doc.set("backup", b.as_str()),
                None => {
                    doc.remove("backup");
                }
            }
        }
        changes.push(Change::write(path, doc.to_string()));
    }
    Ok(changes)
}

fn subject(moves: &[Move]) -> String {
    let to = &moves[0].to;
    if let [m] = moves {
        return format!("reassign {}: {} -> {}", m.customer, m.from, to);
    }
    let mut from: Vec<&str> = moves.iter().map(|m| m.from.as_str()).collect();
    from.sort_unstable();
    from.dedup();
    match from.as_slice() {
        [one] => format!("reassign {} customers: {one} -> {to}", moves.len()),
        _ => format!("reassign {} customers to {to}", moves.len()),
    }
}
