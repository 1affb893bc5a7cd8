//! `crm report portfolio`: what each owner holds.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::date::Date;
use crate::model::pool::POOL;
use crate::ops::list::is_stale_relationship;
use crate::store::snapshot::Readable;
use crate::store::Store;
use crate::Result;

/// Which owners to show.
#[derive(Debug, Clone, Default)]
pub struct PortfolioFilter {
    /// Only this owner.
    pub owner: Option<String>,
    /// Only customers in this region.
    pub region: Option<String>,
}

/// One owner's portfolio.
#[derive(Debug, Clone, Serialize)]
pub struct Portfolio {
    /// Owner handle.
    pub owner: String,
    /// Their name ("" when not in staff/).
    pub name: String,
    /// active or departed ("unknown" when not in staff/, "pool" for the
    /// customer pool's row).
    pub status: String,
    /// Customers owned.
    pub customers: usize,
    /// Key accounts owned.
    pub key_accounts: usize,
    /// Total value.
    pub value: u64,
    /// Active customers with no touch for `stale_after_days`.
    pub stale: usize,
    /// Next steps due within a week (or overdue).
    pub next_steps_due: usize,
    /// Customers claimed from the pool (and held since).
    pub claimed: usize,
}

/// Days ahead that count a next step as due.
pub const DUE_WITHIN_DAYS: i64 = 7;

/// Per-owner portfolios, by owner.
pub fn run(store: &Store, filter: &PortfolioFilter, today: Date) -> Result<Readable<Vec<Portfolio>>> {
    let head = store.head()?;
    let config = head.config()?;
    let Readable { value: staff, mut skipped } = head.readable_staff()?;
    if let Some(owner) = filter.owner.as_ref().filter(|o| *o != POOL) {
        if !head.has_entry(&crate::store::layout::staff_path(&crate::model::Handle::parse(owner)?)) {
            return Err(crate::Error::UnknownStaff(owner.clone()));
        }
    }
    let due = today.plus_days(DUE_WITHIN_DAYS);
    let mut rows: BTreeMap<String, Portfolio> = BTreeMap::new();
    let customers = head.readable_customers()?;
    skipped.extend(customers.skipped);
    for c in customers.value {
        if filter.owner.as_ref().is_some_and(|o| *o != c.owner) || filter.region.is_some() && c.region != filter.region
        {
            continue;
        }
        let row = rows.entry(c.owner.clone()).or_insert_with(|| {
            let person = crate::model::Handle::parse(&c.owner).ok().and_then(|h| staff.get(&h));
            let (name, status) = match person {
                _ if c.is_pooled() => ("公海 (the pool)".to_string(), "pool".to_string()),
                Some(p) => (p.name.clone(), p.status.to_string()),
                None => (String::new(), "unknown".to_string()),
            };
            Portfolio {
                owner: c.owner.clone(),
                name,
                status,
                customers: 0,
                key_accounts: 0,
                value: 0,
                stale: 0,
                next_steps_due: 0,
                claimed: 0,
            }
        });
        row.customers += 1;
        row.key_accounts += usize::from(c.tier == "key");
        row.value += c.value.unwrap_or(0);
        row.stale += usize::from(is_stale_relationship(&c, &config, today));
        row.next_steps_due += usize::from(c.next_date.is_some_and(|d| d <= due));
        row.claimed += usize::from(c.pool.claimed.is_some());
    }
    Ok(Readable { value: rows.into_values().collect(), skipped })
}
