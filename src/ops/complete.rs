//! What the shell completes from a store: customer ids (with their names),
//! staff handles, regions, tags and tiers. Customers come from the catalog
//! cache (`.git/crm/catalog`), as for `crm find`, so a TAB in a store of
//! 100,000 customers reads one file instead of 100,000; people from the
//! staff files, which are few.

use std::collections::BTreeSet;

use crate::model::search;
use crate::model::{Staff, StaffStatus};
use crate::store::catalog::Catalog;
use crate::store::Store;
use crate::Result;

/// One completion: the word to put on the command line, and what to show
/// beside it where the shell shows descriptions (zsh, fish).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The word.
    pub value: String,
    /// Its description.
    pub help: String,
}

/// The customers `prefix` may start: those whose id starts with it (the
/// name as description), sorted by id. Ids are ASCII, so a prefix with
/// other characters (`郑州`) is taken for the start of a name: then the
/// names are the words (`crm show` takes an exact name), with the id as
/// description (a name with a space is offered by its id).
pub fn customers(store: &Store, prefix: &str) -> Result<Vec<Candidate>> {
    let catalog = Catalog::load(&store.head()?)?;
    let mut found: Vec<Candidate> = if prefix.is_ascii() {
        // A line starts with its id: only matching lines are split.
        let entries = catalog.par_entries(|line| line.starts_with(prefix));
        let ids = entries.into_iter().filter(|e| e.readable && e.id.starts_with(prefix));
        ids.map(|e| Candidate { value: e.id.into(), help: e.fields().name.into() }).collect()
    } else {
        let wanted = search::one_line(prefix);
        let entries = catalog.par_entries(|line| line.contains(wanted.as_str()));
        let named = entries.into_iter().filter(|e| e.readable && e.fields().name.starts_with(wanted.as_str()));
        // A name with a space would reach the command line as two words:
        // such a customer is offered by its id.
        named
            .map(|e| match e.fields().name {
                name if name.contains(char::is_whitespace) => Candidate { value: e.id.into(), help: name.into() },
                name => Candidate { value: name.into(), help: e.id.into() },
            })
            .collect()
    };
    found.sort_unstable_by(|a, b| a.value.cmp(&b.value).then_with(|| a.help.cmp(&b.help)));
    Ok(found)
}

/// Whom a handle argument may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum People {
    /// Everyone in `staff/`.
    All,
    /// People with the company (new owners, backups).
    Active,
    /// People who have left (a rehire).
    Departed,
}

/// The staff handles `which` allows, sorted, with name, role, region and
/// departure as description.
pub fn staff(store: &Store, which: People) -> Result<Vec<Candidate>> {
    let staff = store.head()?.readable_staff()?.value;
    let keep = |p: &Staff| match which {
        People::All => true,
        People::Active => p.is_active() && p.is_person(),
        People::Departed => p.status == StaffStatus::Departed,
    };
    Ok(staff
        .values()
        .filter(|p| keep(p))
        .map(|p| Candidate { value: p.handle.to_string(), help: describe(p) })
        .collect())
}

/// `张伟, rep, 华中` or `赵磊, rep, 华北, left 2026-11-17`.
fn describe(p: &Staff) -> String {
    let mut parts = vec![p.name.clone(), p.role.to_string()];
    parts.extend(p.region.clone());
    if p.status == StaffStatus::Departed {
        parts.push(p.left.map_or_else(|| "left".to_string(), |d| format!("left {d}")));
    }
    parts.retain(|s| !s.is_empty());
    parts.join(", ")
}

/// The regions: `[policy] regions` when crm.toml lists them, else every
/// region a person or a customer has; sorted.
pub fn regions(store: &Store) -> Result<Vec<String>> {
    let head = store.head()?;
    let listed = head.config()?.policy.regions;
    if !listed.is_empty() {
        return Ok(listed);
    }
    let mut regions: BTreeSet<String> = head.readable_staff()?.value.into_values().filter_map(|p| p.region).collect();
    let catalog = Catalog::load(&head)?;
    for e in catalog.entries() {
        if !e.region.is_empty() && !regions.contains(e.region) {
            regions.insert(e.region.to_string());
        }
    }
    Ok(regions.into_iter().collect())
}

/// Every tag some customer carries, sorted.
pub fn tags(store: &Store) -> Result<Vec<String>> {
    let catalog = Catalog::load(&store.head()?)?;
    let mut tags = BTreeSet::new();
    for e in catalog.entries() {
        for tag in e.fields().tags.split(search::LIST_SEPARATOR).filter(|t| !t.is_empty()) {
            if !tags.contains(tag) {
                tags.insert(tag.to_string());
            }
        }
    }
    Ok(tags.into_iter().collect())
}

/// The tiers crm.toml allows, in its order.
pub fn tiers(store: &Store) -> Result<Vec<String>> {
    Ok(store.head()?.config()?.policy.tiers)
}
