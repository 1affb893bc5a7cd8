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
use crate::model::CustomerId;
use crate::ops::ownership::Source;
use crate::store::Snapshot;
use crate::{Error, Result};

/// The day a pool change is made and recorded on: its commit's date (the
/// committer date git's environment sets, else `today`). `crm verify`
/// judges the change on that day, so the command must too.
pub fn day_of(opts: &WriteOptions, today: Date) -> Date {
    opts.stamps.committer.time.map_or(today, |t| t.date())
}

/// Why a new customer that shares a key with `dup` may not be written,
/// when `dup` is in the pool: a copy would be a claim past every limit.
pub(crate) fn pooled_copy(snapshot: &Snapshot<'_>, dup: &crate::model::dedupe::Duplicate) -> Option<String> {
    let id = CustomerId::parse(&dup.id).ok()?;
    snapshot.existing_customer(&id).ok().filter(|c| c.is_pooled())?;
    Some(format!(
        "shares its {} with {}, which is in the pool: claim it (crm claim {}) or ask a manager to assign it, rather than add a copy",
        dup.by, dup.id, dup.id
    ))
}

/// The customers of `ids` (each once, in order) with their files.
fn read_each(snapshot: &Snapshot<'_>, ids: &[CustomerId]) -> Result<Vec<Source>> {
    if ids.is_empty() {
        return Err(Error::Missing("customers: give one or more ids".into()));
    }
    crate::ops::ownership::read_all(snapshot, ids)
}
