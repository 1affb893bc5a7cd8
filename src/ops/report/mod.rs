//! The reports managers read: `handover` (the weekly cron report on
//! departures, ownership changes and risks) and `portfolio` (per owner).

pub mod handover;
pub mod pool;
pub mod portfolio;

use std::collections::BTreeMap;

use crate::model::{Handle, Staff};

/// Whether `handle` names an active staff member.
pub(crate) fn is_active(staff: &BTreeMap<Handle, Staff>, handle: &str) -> bool {
    Handle::parse(handle).ok().and_then(|h| staff.get(&h)).is_some_and(Staff::is_active)
}
