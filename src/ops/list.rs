//! `crm list`: customers, filtered.

use rayon::prelude::*;
use serde::Serialize;

use super::unseal::Opener;
use crate::model::customer::Status;
use crate::model::date::Date;
use crate::model::ids;
use crate::model::named::named_enum;
use crate::model::pool::POOL;
use crate::model::{Customer, Handle, StoreConfig};
use crate::store::layout;
use crate::store::snapshot::Readable;
use crate::store::Store;
use crate::Result;

/// Which customers to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Owned by this handle.
    pub owner: Option<String>,
    /// In this region.
    pub region: Option<String>,
    /// Of this tier.
    pub tier: Option<String>,
    /// Carrying this tag.
    pub tag: Option<String>,
    /// With this status.
    pub status: Option<Status>,
    /// Only stale relationships: active customers with no touch for `stale_after_days` (as `crm check` and the reports count them).
    pub stale: bool,
    /// Only those with a next step due on or before this date.
    pub due: Option<Date>,
    /// Only customers whose owner has departed or is unknown.
    pub orphaned: bool,
    /// Order by these keys (then by id); by name when empty.
    pub sort: Vec<SortKey>,
    /// Largest, latest or last first.
    pub reverse: bool,
    /// At most this many rows (after sorting).
    pub limit: Option<usize>,
}

/// One customer in a list.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerRow {
    /// Customer id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Owner handle.
    pub owner: String,
    /// Backup handle.
    pub backup: Option<String>,
    /// Tier.
    pub tier: String,
    /// Status.
    pub status: String,
    /// Region.
    pub region: Option<String>,
    /// Annual value.
    pub value: Option<u64>,
    /// Date of the last touch.
    pub last_touch: Option<Date>,
    /// Next step.
    pub next_step: Option<String>,
    /// When the next step is due.
    pub next_date: Option<Date>,
}

impl From<&Customer> for CustomerRow {
    fn from(c: &Customer) -> Self {
        CustomerRow {
            id: c.id.to_string(),
            name: c.name.clone(),
            owner: c.owner.clone(),
            backup: c.backup.clone(),
            tier: c.tier.clone(),
            status: c.status.clone(),
            region: c.region.clone(),
            value: c.value,
            last_touch: c.last_touch(),
            next_step: c.next_step.clone(),
            next_date: c.next_date,
        }
    }
}

named_enum! {
    /// What `crm list` can sort by.
    SortKey("sort key") {
        Name = "name",
        Id = "id",
        Owner = "owner",
        Tier = "tier",
        Region = "region",
        Value = "value",
        LastTouch = "last-touch",
        NextDate = "next-date",
    }
}

/// Sorts `rows` by `keys` (names by their pinyin, so Chinese names come in
/// the order a Chinese reader expects), then by id.
fn sort(rows: &mut [CustomerRow], keys: &[SortKey], reverse: bool) {
    let keys = if keys.is_empty() { &[SortKey::Name][..] } else { keys };
    let spelled = |r: &CustomerRow| (ids::pinyin_keys(&r.name).0, r.name.clone());
    let names: std::collections::HashMap<String, (String, String)> = if keys.contains(&SortKey::Name) {
        rows.iter().map(|r| (r.id.clone(), spelled(r))).collect()
    } else {
        Default::default()
    };
    rows.sort_by(|a, b| {
        let by = |key: &SortKey| match key {
            SortKey::Name => names.get(&a.id).cmp(&names.get(&b.id)),
            SortKey::Id => a.id.cmp(&b.id),
            SortKey::Owner => a.owner.cmp(&b.owner),
            SortKey::Tier => a.tier.cmp(&b.tier),
            SortKey::Region => a.region.cmp(&b.region),
            SortKey::Value => a.value.cmp(&b.value),
            SortKey::LastTouch => a.last_touch.cmp(&b.last_touch),
            SortKey::NextDate => a.next_date.cmp(&b.next_date),
        };
        let order = keys.iter().map(by).fold(std::cmp::Ordering::Equal, std::cmp::Ordering::then);
        let order = order.then_with(|| a.id.cmp(&b.id));
        if reverse {
            order.reverse()
        } else {
            order
        }
    });
}

/// Whether a relationship is stale on `today`: no touch within the
/// policy's `stale_after_days` (counting from `since` when never touched).
fn is_stale(c: &Customer, config: &StoreConfig, today: Date) -> bool {
    let last = c.last_touch().or(c.since);
    last.is_none_or(|d| d.days_until(today) > i64::from(config.policy.stale_after_days))
}

/// Whether `c` is a stale relationship on `today`: an active customer that
/// [`is_stale`], owned by someone. The one definition `crm check`, the
/// reports and `crm agenda` share (dormant and lost customers are not
/// followed up; pooled ones wait to be claimed).
pub fn is_stale_relationship(c: &Customer, config: &StoreConfig, today: Date) -> bool {
    c.status == "active" && !c.is_pooled() && is_stale(c, config, today)
}

/// The customers `filter` selects, in its order, and the files that cannot
/// be read.
pub fn run(store: &Store, filter: &ListFilter, today: Date) -> Result<Readable<Vec<CustomerRow>>> {
    let head = store.head()?;
    let config = head.config()?;
    let Readable { value: staff, mut skipped } = head.readable_staff()?;
    if let Some(owner) = filter.owner.as_ref().filter(|o| *o != POOL) {
        if !head.has_entry(&layout::staff_path(&Handle::parse(owner)?)) {
            return Err(crate::Error::UnknownStaff(owner.clone()));
        }
    }
    // An owner whose staff file cannot be read is not taken for departed
    // (the file is named on stderr); the pool is nobody's.
    let orphan = |c: &Customer| match Handle::parse(&c.owner) {
        _ if c.is_pooled() => false,
        Ok(h) => staff.get(&h).map_or_else(|| !head.has_entry(&layout::staff_path(&h)), |s| !s.is_active()),
        Err(_) => true,
    };
    let some = |want: &Option<String>, have: Option<&String>| want.as_ref().is_none_or(|w| have == Some(w));
    let customers = head.readable_customers()?;
    skipped.extend(customers.skipped);
    let rows = customers
        .value
        .iter()
        .filter(|c| {
            some(&filter.owner, Some(&c.owner))
                && some(&filter.region, c.region.as_ref())
                && some(&filter.tier, Some(&c.tier))
                && filter.status.is_none_or(|s| c.status == s.id())
                && filter.tag.as_ref().is_none_or(|t| c.tags.contains(t))
                && (!filter.stale || is_stale_relationship(c, &config, today))
                && filter.due.is_none_or(|due| c.next_date.is_some_and(|d| d <= due))
                && (!filter.orphaned || orphan(c))
        })
        .map(CustomerRow::from)
        .collect::<Vec<_>>();
    let mut rows = rows;
    sort(&mut rows, &filter.sort, filter.reverse);
    if let Some(limit) = filter.limit {
        rows.truncate(limit);
    }
    open_next_steps(store, &config, &customers.value, &mut rows)?;
    Ok(Readable { value: rows, skipped })
}

/// In a sealed store, the next step of each row listed, opened as far as
/// the acting user's key allows (only the rows shown are opened).
fn open_next_steps(
    store: &Store,
    config: &StoreConfig,
    customers: &[Customer],
    rows: &mut [CustomerRow],
) -> Result<()> {
    if config.seal.is_none() {
        return Ok(());
    }
    let opener = Opener::new(store, config)?;
    let by_id: std::collections::HashMap<&str, &Customer> = customers.iter().map(|c| (c.id.as_str(), c)).collect();
    rows.par_iter_mut().filter(|r| r.next_step.is_some()).for_each(|row| {
        if let Some(c) = by_id.get(row.id.as_str()) {
            let mut c = (*c).clone();
            opener.open(&mut c);
            row.next_step = c.next_step;
        }
    });
    Ok(())
}
