//! The one way crm rewrites who holds a customer: its `owner`, `backup`
//! and `pool_*` keys, everything else in the file kept byte for byte.
//! `reassign`, `staff leave`, and the pool's release, claim, assignment and
//! lock all go through [`rewrite`], so a change of ownership is made (and
//! whatever must travel with it added) in one place.

use std::collections::HashMap;

use rayon::prelude::*;
use toml_edit::Value;

use super::Writer;
use crate::model::document::{pool_values, Document};
use crate::model::fastparse;
use crate::model::pool::{PoolFields, POOL_KEYS};
use crate::model::{Customer, CustomerId};
use crate::store::layout;
use crate::store::snapshot::CustomerEntry;
use crate::store::write::Change;
use crate::store::Snapshot;
use crate::{Error, Result};

/// Customer files as read while planning, by id: applying the plan need
/// not read them again.
pub(crate) type Sources = HashMap<String, String>;

/// Who holds a customer after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ownership {
    /// The owner (a handle, or the pool).
    pub owner: String,
    /// The backup.
    pub backup: Option<String>,
    /// The pool keys.
    pub pool: PoolFields,
}

impl Ownership {
    /// `before`'s pool keys as a change of owner to someone leaves them:
    /// the release record and the claim record go (they were the previous
    /// owner's), a lock stays with the customer.
    pub fn handed_on(before: &PoolFields) -> PoolFields {
        PoolFields { locked_by: before.locked_by.clone(), locked_until: before.locked_until, ..PoolFields::default() }
    }
}

/// The customers of `ids` (each once, in order) with their file text,
/// read on all cores.
pub(crate) fn read_all(snapshot: &Snapshot<'_>, ids: &[CustomerId]) -> Result<Vec<(Customer, String)>> {
    let mut unique: Vec<&CustomerId> = Vec::with_capacity(ids.len());
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    for id in ids {
        if seen.insert(id) {
            unique.push(id);
        }
    }
    let entries = unique
        .into_iter()
        .map(|id| {
            let path = layout::customer_path(id);
            let oid = snapshot.blob_id(&path).ok_or_else(|| Error::UnknownCustomer(id.to_string()))?;
            Ok(CustomerEntry { path, shard: id.shard(), stem: id.to_string(), oid })
        })
        .collect::<Result<Vec<_>>>()?;
    snapshot.map_files(entries, |e, src| {
        let id = CustomerId::parse(&e.stem)?;
        Ok((Customer::parse(&id, &e.path, &src)?, src))
    })
}

/// Each customer of `ids` read (from `sources`, else the write's
/// snapshot) and rewritten to the ownership `after` gives it (from its
/// index in `ids` and the customer as it is), on all cores: the customer as
/// it was, and the change, in `ids` order.
pub(crate) fn rewrite(
    w: &Writer<'_>,
    ids: &[&str],
    mut sources: Sources,
    after: impl Fn(usize, &Customer) -> Result<Ownership> + Sync,
) -> Result<Vec<(Customer, Change)>> {
    let mut missing = Vec::new();
    for id in ids.iter().filter(|id| !sources.contains_key(**id)) {
        let id = CustomerId::parse(id)?;
        let path = layout::customer_path(&id);
        let oid = w.snapshot().blob_id(&path).ok_or_else(|| Error::UnknownCustomer(id.to_string()))?;
        missing.push(CustomerEntry { path, shard: id.shard(), stem: id.to_string(), oid });
    }
    sources.extend(w.snapshot().map_files(missing, |e, src| Ok((e.stem.clone(), src)))?);
    ids.par_iter()
        .enumerate()
        .map(|(i, id)| {
            let id = CustomerId::parse(id)?;
            let path = layout::customer_path(&id);
            let src = &sources[id.as_str()];
            // Customer::parse tries the fast reader first too; here its
            // answer also says whether the text can be edited directly.
            let (before, plain) = match fastparse::customer(&id, src) {
                Some(c) => (c, true),
                None => (Customer::parse(&id, &path, src)?, false),
            };
            let text = edit(&path, src, &before, plain, &after(i, &before)?)?;
            Ok((before, Change::write(path, text)))
        })
        .collect()
}

/// The text of customer file `path` with `after`'s owner, backup and pool
/// keys. A file in the fast reader's shape (`plain`) is edited as text in
/// the usual case (the same bytes as the editor gives, tested); anything
/// else goes through the full TOML editor.
fn edit(path: &str, src: &str, before: &Customer, plain: bool, after: &Ownership) -> Result<String> {
    let mut edits: Vec<(&str, Option<Value>)> = Vec::new();
    if after.owner != before.owner {
        edits.push(("owner", Some(Value::from(after.owner.as_str()))));
    }
    if after.backup != before.backup {
        edits.push(("backup", after.backup.as_deref().map(Value::from)));
    }
    let (old, new) = (pool_values(&before.pool), pool_values(&after.pool));
    for key in POOL_KEYS {
        let value = |list: &[(&str, Value)]| list.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let (was, is) = (value(&old), value(&new));
        if was.as_ref().map(ToString::to_string) != is.as_ref().map(ToString::to_string) {
            edits.push((key, is));
        }
    }
    let reprs: Vec<(&str, Option<String>)> =
        edits.iter().map(|(k, v)| (*k, v.as_ref().map(ToString::to_string))).collect();
    let reprs: Vec<(&str, Option<&str>)> = reprs.iter().map(|(k, v)| (*k, v.as_deref())).collect();
    if let Some(text) = plain.then(|| fastparse::edit_root(src, &reprs)).flatten() {
        return Ok(text);
    }
    let mut doc = Document::parse(path, src)?;
    for (key, value) in edits {
        match value {
            Some(v) => doc.set(key, v),
            None => {
                doc.remove(key);
            }
        }
    }
    Ok(doc.to_string())
}
