//! The reports managers read: `handover` (the weekly cron report on
//! departures, ownership changes and risks) and `portfolio` (per owner).

pub mod digest;
pub mod handover;
pub mod pool;
pub mod portfolio;

use std::collections::BTreeMap;

use crate::model::{Handle, Role, Staff};
use crate::store::Store;
use crate::Result;

/// Who the managers' reports go to: the active managers and admins, by
/// handle (staff files that cannot be read left out).
pub fn managers(store: &Store) -> Result<Vec<Staff>> {
    let staff = store.head()?.readable_staff()?.value;
    Ok(staff.into_values().filter(|p| p.is_active() && matches!(p.role, Role::Manager | Role::Admin)).collect())
}

/// Whether `handle` names an active staff member.
pub(crate) fn is_active(staff: &BTreeMap<Handle, Staff>, handle: &str) -> bool {
    Handle::parse(handle).ok().and_then(|h| staff.get(&h)).is_some_and(Staff::is_active)
}
