//! The customer pool (公海): `crm pool list | release | assign | lock |
//! unlock` and `crm claim`. The rules are `model::pool`'s; every change is
//! one commit made through the write path every ownership change takes
//! ([`super::ownership`]), and `crm verify` judges it again.

pub mod assign;
pub mod claim;
pub mod list;
pub mod lock;
pub mod release;

use super::WriteOptions;
use crate::model::date::Date;
use crate::model::{Customer, CustomerId};
use rayon::prelude::*;

use crate::store::catalog::{Catalog, Entry};
use crate::store::layout;
use crate::store::snapshot::CustomerEntry;
use crate::store::Snapshot;
use crate::{Error, Result};

/// The day a pool change is made and recorded on: its commit's date (the
/// committer date git's environment sets, else `today`). `crm verify`
/// judges the change on that day, so the command must too.
pub fn day_of(opts: &WriteOptions, today: Date) -> Date {
    opts.stamps.committer.time.map_or(today, |t| t.date())
}

/// The customers of `ids` (each once, in order) with their file text.
fn read_each(snapshot: &Snapshot<'_>, ids: &[CustomerId]) -> Result<Vec<(Customer, String)>> {
    if ids.is_empty() {
        return Err(Error::Missing("customers: give one or more ids".into()));
    }
    crate::ops::ownership::read_all(snapshot, ids)
}

/// The readable catalog entries passing `keep` (judged on all cores), as
/// entries to read, sorted by id.
fn catalogued(catalog: &Catalog, keep: impl Fn(&Entry<'_>) -> bool + Sync) -> Result<Vec<CustomerEntry>> {
    let mut wanted = catalog
        .par_entries(|_| true)
        .into_par_iter()
        .filter(|e| e.readable && keep(e))
        .collect::<Vec<_>>()
        .into_iter()
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
    Ok(wanted)
}
