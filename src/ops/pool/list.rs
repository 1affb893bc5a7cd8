//! `crm pool list`: the customers waiting in the pool, longest waiting
//! first. The catalog says which they are; only their files are read.

use serde::Serialize;

use crate::model::date::Date;
use crate::model::pool::POOL;
use crate::model::Customer;
use crate::store::catalog::Catalog;
use crate::store::snapshot::Readable;
use crate::store::Store;
use crate::Result;

/// Which pooled customers to list.
#[derive(Debug, Clone)]
pub struct PoolListRequest {
    /// Only this region.
    pub region: Option<String>,
    /// Today, for the days in the pool.
    pub today: Date,
}

/// One customer in the pool.
#[derive(Debug, Clone, Serialize)]
pub struct Pooled {
    /// Customer id.
    pub customer: String,
    /// Name.
    pub name: String,
    /// Region.
    pub region: Option<String>,
    /// Tier.
    pub tier: String,
    /// Status.
    pub status: String,
    /// Value.
    pub value: Option<u64>,
    /// When it was released.
    pub released: Option<Date>,
    /// Days in the pool.
    pub days: Option<i64>,
    /// Why it was released.
    pub reason: Option<String>,
    /// Whom it was released from.
    pub from: Option<String>,
    /// Its last touch.
    pub last_touch: Option<Date>,
}

/// The pooled customers `req` selects, longest in the pool first, and the
/// files that cannot be read.
pub fn run(store: &Store, req: &PoolListRequest) -> Result<Readable<Vec<Pooled>>> {
    let head = store.head()?;
    let catalog = Catalog::load(&head)?;
    let wanted = catalog.files(|e| e.owner == POOL && req.region.as_deref().is_none_or(|r| e.region == r))?;
    let read = head.map_readable_entries(wanted, |c| pooled(&c, req.today))?;
    let mut rows = read.value;
    rows.sort_by(|a, b| a.released.cmp(&b.released).then_with(|| a.customer.cmp(&b.customer)));
    Ok(Readable { value: rows, skipped: read.skipped })
}

fn pooled(c: &Customer, today: Date) -> Pooled {
    Pooled {
        customer: c.id.to_string(),
        name: c.name.clone(),
        region: c.region.clone(),
        tier: c.tier.clone(),
        status: c.status.clone(),
        value: c.value,
        released: c.pool.released,
        days: c.pool.released.map(|d| d.days_until(today)),
        reason: c.pool.reason.clone(),
        from: c.pool.from.clone(),
        last_touch: c.last_touch(),
    }
}
