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

/// A customer file as read while planning a change of ownership: applying
/// the plan neither reads nor parses it again.
pub(crate) struct Source {
    /// The customer it holds.
    pub customer: Customer,
    /// Its text.
    text: String,
    /// Whether the fast reader took it: then its keys are edited as text.
    plain: bool,
}

impl Source {
    /// The customer file `path` (of customer `stem`) with its text.
    fn read(path: &str, stem: &str, text: String) -> Result<Source> {
        let id = CustomerId::parse(stem)?;
        // Customer::parse tries the fast reader first too; here its answer
        // also says whether the text can be edited directly.
        let (customer, plain) = match fastparse::customer(&id, &text) {
            Some(c) => (c, true),
            None => (Customer::parse(&id, path, &text)?, false),
        };
        Ok(Source { customer, text, plain })
    }
}

/// Customer files as read while planning, by id.
pub(crate) type Sources = HashMap<String, Source>;

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

/// The customer files of `entries`, read on all cores.
pub(crate) fn read_files(snapshot: &Snapshot<'_>, entries: Vec<CustomerEntry>) -> Result<Vec<Source>> {
    snapshot.map_files(entries, |e, text| Source::read(&e.path, &e.stem, text))
}

/// The customers of `ids` (each once, in order), read on all cores.
pub(crate) fn read_all(snapshot: &Snapshot<'_>, ids: &[CustomerId]) -> Result<Vec<Source>> {
    let mut unique: Vec<&CustomerId> = Vec::with_capacity(ids.len());
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    for id in ids {
        if seen.insert(id) {
            unique.push(id);
        }
    }
    let entries = unique.into_iter().map(|id| entry(snapshot, id)).collect::<Result<Vec<_>>>()?;
    read_files(snapshot, entries)
}

/// The file of customer `id` in `snapshot`.
fn entry(snapshot: &Snapshot<'_>, id: &CustomerId) -> Result<CustomerEntry> {
    let path = layout::customer_path(id);
    let oid = snapshot.blob_id(&path).ok_or_else(|| Error::UnknownCustomer(id.to_string()))?;
    Ok(CustomerEntry { path, shard: id.shard(), stem: id.to_string(), oid })
}

/// Each customer of `ids` (each once) taken from `sources` (else read from
/// the write's snapshot) and rewritten to the ownership `after` gives it
/// (from its index in `ids` and the customer as it is), on all cores: the
/// customer as it was, and the change, in `ids` order.
pub(crate) fn rewrite(
    w: &Writer<'_>,
    ids: &[&str],
    mut sources: Sources,
    after: impl Fn(usize, &Customer) -> Result<Ownership> + Sync,
) -> Result<Vec<(Customer, Change)>> {
    let mut missing = Vec::new();
    for id in ids.iter().filter(|id| !sources.contains_key(**id)) {
        missing.push(entry(w.snapshot(), &CustomerId::parse(id)?)?);
    }
    for source in read_files(w.snapshot(), missing)? {
        sources.insert(source.customer.id.to_string(), source);
    }
    let chosen = ids
        .iter()
        .map(|id| sources.remove(*id).ok_or_else(|| Error::invalid("customer", *id, "is named twice in one change")))
        .collect::<Result<Vec<Source>>>()?;
    chosen
        .into_par_iter()
        .enumerate()
        .map(|(i, source)| {
            let path = layout::customer_path(&source.customer.id);
            let text = edit(&path, &source, &after(i, &source.customer)?)?;
            Ok((source.customer, Change::write(path, text)))
        })
        .collect()
}

/// The text of customer file `path` with `after`'s owner, backup and pool
/// keys. A file in the fast reader's shape is edited as text in the usual
/// case (the same bytes as the editor gives, tested); anything else goes
/// through the full TOML editor.
fn edit(path: &str, source: &Source, after: &Ownership) -> Result<String> {
    let (src, before) = (source.text.as_str(), &source.customer);
    let edits = changes(before, after);
    let reprs: Vec<(&str, Option<String>)> = edits.iter().map(|(k, v)| (*k, v.as_ref().map(repr))).collect();
    let reprs: Vec<(&str, Option<&str>)> = reprs.iter().map(|(k, v)| (*k, v.as_deref())).collect();
    if let Some(text) = source.plain.then(|| fastparse::edit_root(src, &reprs)).flatten() {
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

/// `v` as toml_edit writes a new value: a string with nothing to escape
/// and a date are spelled here, anything else by toml_edit (a release
/// writes four values into each of thousands of files).
fn repr(v: &Value) -> String {
    match v {
        Value::String(s) if !s.value().contains(['"', '\\']) && !s.value().contains(char::is_control) => {
            ["\"", s.value(), "\""].concat()
        }
        Value::Datetime(d) => d.value().to_string(),
        _ => v.to_string(),
    }
}

/// The top-level keys to set (to a value) or remove (none) for `before`
/// to have the ownership `after`, in file order.
fn changes(before: &Customer, after: &Ownership) -> Vec<(&'static str, Option<Value>)> {
    let mut edits: Vec<(&str, Option<Value>)> = Vec::new();
    if after.owner != before.owner {
        edits.push(("owner", Some(Value::from(after.owner.as_str()))));
    }
    if after.backup != before.backup {
        edits.push(("backup", after.backup.as_deref().map(Value::from)));
    }
    if after.pool == before.pool {
        return edits;
    }
    let (old, mut new) = (pool_values(&before.pool), pool_values(&after.pool));
    for key in POOL_KEYS {
        let was = old.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        let is = new.iter().position(|(k, _)| k == key).map(|i| new.swap_remove(i).1);
        let same = match (was, &is) {
            (None, None) => true,
            (Some(was), Some(is)) => repr(was) == repr(is),
            _ => false,
        };
        if !same {
            edits.push((key, is));
        }
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_spelled_as_toml_edit_spells_them() {
        let mut values: Vec<Value> =
            ["zhang.wei", "@pool", "no-touch", "张伟", "it's", "a\"b", "a\\b", "tab\there", "", "\u{7f}", "é\u{2028}"]
                .into_iter()
                .map(Value::from)
                .collect();
        values.push(Value::from(crate::model::date::Date::parse("2026-11-20").unwrap().to_toml()));
        for v in &values {
            assert_eq!(repr(v), v.to_string(), "{v:?}");
        }
    }
}
