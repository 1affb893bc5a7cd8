//! `crm reassign`: move customers to another owner, by id or in bulk
//! (everything one person owns, optionally narrowed by region and tier),
//! in one commit that records why.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ownership::{self, Ownership, Source};
use super::{active_person, Message, WriteOptions, Writer};
use crate::model::authz::Action;
use crate::model::date::Date;
use crate::model::pool;
use crate::model::{Customer, CustomerId, Handle, Staff};
use crate::store::catalog::Catalog;
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
    /// Today (a commit dated by git's environment is judged on its day).
    pub today: Date,
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
fn plan(
    snapshot: &Snapshot<'_>,
    staff: &BTreeMap<Handle, Staff>,
    req: &ReassignRequest,
) -> Result<(Vec<Move>, Sources)> {
    super::non_empty("--reason", &req.reason)?;
    let to = active_person(staff, &req.to)?.handle.to_string();
    let chosen: Vec<Source> = match &req.selection {
        Selection::Ids(ids) => by_ids(snapshot, ids)?,
        Selection::Owner { from, region, tier } => by_owner(snapshot, staff, from, region.as_ref(), tier.as_ref())?,
    };
    let mut sources = Sources::with_capacity(chosen.len());
    let mut moves = Vec::with_capacity(chosen.len());
    for source in chosen.into_iter().filter(|s| s.customer.owner != to) {
        let c = &source.customer;
        moves.push(Move {
            backup_after: backup_after(c, &to, staff),
            customer: c.id.to_string(),
            name: c.name.clone(),
            from: c.owner.clone(),
            to: to.clone(),
            backup_before: c.backup.clone(),
            value: c.value,
        });
        sources.insert(c.id.to_string(), source);
    }
    if moves.is_empty() {
        return Err(Error::NothingToDo(format!("no customer to move to {to}")));
    }
    Ok((moves, sources))
}

/// The customers named by id (each once), with their files.
fn by_ids(snapshot: &Snapshot<'_>, ids: &[CustomerId]) -> Result<Vec<Source>> {
    if ids.is_empty() {
        return Err(Error::Missing("customers to move: give ids or --from HANDLE".into()));
    }
    ownership::read_all(snapshot, ids)
}

/// The customers `from` owns (in `region`, of `tier`), with their files:
/// the catalog says which files to read.
fn by_owner(
    snapshot: &Snapshot<'_>,
    staff: &BTreeMap<Handle, Staff>,
    from: &Handle,
    region: Option<&String>,
    tier: Option<&String>,
) -> Result<Vec<Source>> {
    if !staff.contains_key(from) {
        return Err(Error::UnknownStaff(from.to_string()));
    }
    // The catalog says who owns what; only those files are read.
    let catalog = Catalog::load(snapshot)?;
    // A file that cannot be read might be theirs: refuse rather than skip it.
    let skipped = snapshot.map_readable_entries(catalog.unreadable(), |_| ())?.skipped;
    super::refuse_unreadable(skipped, "reassign --from", from.as_str())?;
    let wanted = catalog.files(|e| {
        e.owner == from.as_str() && region.is_none_or(|r| e.region == r) && tier.is_none_or(|t| e.tier == t)
    })?;
    let mut all = ownership::read_files(snapshot, wanted)?;
    all.retain(|s| {
        let c = &s.customer;
        c.owner == from.as_str()
            && region.is_none_or(|r| c.region.as_ref() == Some(r))
            && tier.is_none_or(|t| &c.tier == t)
    });
    Ok(all)
}

/// The backup after moving `c` to `to`: unchanged, unless `to` was the
/// backup; then the previous owner if still active, else none.
pub(crate) fn backup_after(c: &Customer, to: &str, staff: &BTreeMap<Handle, Staff>) -> Option<String> {
    if c.backup.as_deref() != Some(to) {
        return c.backup.clone();
    }
    let previous = Handle::parse(&c.owner).ok()?;
    staff.get(&previous).filter(|s| s.is_active()).map(|s| s.handle.to_string())
}

/// Plans `req` against the current state without writing.
pub fn dry_run(store: &Store, req: &ReassignRequest) -> Result<Reassigned> {
    let head = store.head()?;
    Ok(Reassigned { moves: plan(&head, &head.staff()?, req)?.0, commit: None })
}

/// Moves the customers in one commit.
pub fn run(store: &Store, req: &ReassignRequest, opts: &WriteOptions) -> Result<Reassigned> {
    let w = Writer::start(store, opts)?;
    let (moves, sources) = plan(w.snapshot(), &w.staff, req)?;
    let changes = apply(&w, &moves, sources, super::pool::day_of(opts, req.today))?;
    let message = Message { subject: subject(&moves), action: "reassign", reason: Some(&req.reason) };
    let commit = w.commit(&message, changes)?;
    Ok(Reassigned { moves, commit: Some(commit.to_string()) })
}

/// Customer files as read while planning, by id.
pub(crate) use super::ownership::Sources;

/// The file changes that carry out `moves`, each checked against the
/// actor's rights: owner and backup set (a change of owner takes the pool's
/// release and claim records with it), everything else in the files kept.
/// Files not in `sources` are read; all are edited on all cores.
pub(crate) fn apply(w: &Writer<'_>, moves: &[Move], sources: Sources, day: Date) -> Result<Vec<Change>> {
    let ids: Vec<&str> = moves.iter().map(|m| m.customer.as_str()).collect();
    let edited = ownership::rewrite(w, &ids, sources, |i, before| {
        let m = &moves[i];
        let pool = if m.to != before.owner { Ownership::handed_on(&before.pool) } else { before.pool.clone() };
        Ok(Ownership { owner: m.to.clone(), backup: m.backup_after.clone(), pool })
    })?;
    let mut changes = Vec::with_capacity(edited.len());
    for (m, (before, change)) in moves.iter().zip(edited) {
        w.authorize(Action::ChangeOwnership { customer: &before })?;
        if let Some(d) = pool::judge_hand_on(&w.actor, &before, &m.to, &w.config.pool, day) {
            return Err(Error::Forbidden { actor: w.actor.handle.to_string(), action: d.reason });
        }
        changes.push(change);
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
