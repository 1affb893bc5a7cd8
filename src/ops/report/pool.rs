//! The handover report's pool section: what went to the pool in the
//! period and why, who took what out of it, who has reached the pool's
//! limits, which customers go back and forth between the pool and reps, and
//! what has waited longest.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::config::PoolPolicy;
use crate::model::date::Date;
use crate::model::pool::{self, POOL};
use crate::model::{Customer, Handle, Staff};
use crate::store::history::{EventKind, OwnershipEvent};
use crate::store::history_index::RawEvent;

/// Releases within this many days ending today that make a customer
/// "bouncing" when there are two or more.
pub const BOUNCE_DAYS: i64 = 90;
/// How many of the customers longest in the pool the report lists.
pub const OLDEST_SHOWN: usize = 10;

/// The pool section.
#[derive(Debug, Clone, Serialize)]
pub struct PoolReport {
    /// Customers in the pool today.
    pub in_pool: usize,
    /// Releases in the period (newest first).
    pub released: Vec<OwnershipEvent>,
    /// Claims and assignments from the pool in the period (newest first).
    pub claimed: Vec<OwnershipEvent>,
    /// People who have reached a limit of the pool today.
    pub limits: Vec<LimitReached>,
    /// Customers released twice or more within [`BOUNCE_DAYS`].
    pub bouncing: Vec<Bouncing>,
    /// The customers longest in the pool.
    pub oldest: Vec<Waiting>,
}

/// A person at one of the pool's limits.
#[derive(Debug, Clone, Serialize)]
pub struct LimitReached {
    /// Handle.
    pub person: String,
    /// Customers owned.
    pub owned: usize,
    /// `owned_cap`, when set.
    pub owned_cap: Option<u32>,
    /// Claims within the claim period ending today.
    pub claimed: usize,
    /// `claim_limit`, when set.
    pub claim_limit: Option<u32>,
}

/// A customer that keeps going back to the pool.
#[derive(Debug, Clone, Serialize)]
pub struct Bouncing {
    /// Customer id.
    pub customer: String,
    /// Releases within the window.
    pub releases: usize,
    /// Whom it was released from, oldest first.
    pub from: Vec<String>,
    /// Who holds it now.
    pub owner: Option<String>,
}

/// A customer waiting in the pool.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    /// Customer id.
    pub customer: String,
    /// Name.
    pub name: String,
    /// Region.
    pub region: Option<String>,
    /// When it was released.
    pub released: Option<Date>,
    /// Days in the pool.
    pub days: Option<i64>,
    /// Why.
    pub reason: Option<String>,
}

/// The pool section from the period's ownership `changes`, the whole
/// history's `events` (newest first), today's customers and staff.
pub fn report(
    changes: &[OwnershipEvent],
    events: &[RawEvent],
    customers: &[Customer],
    staff: &BTreeMap<Handle, Staff>,
    policy: &PoolPolicy,
    today: Date,
) -> PoolReport {
    let pick = |kinds: &[EventKind]| changes.iter().filter(|e| kinds.contains(&e.action)).cloned().collect();
    let mut oldest: Vec<Waiting> = customers.iter().filter(|c| c.owner == POOL).map(|c| waiting(c, today)).collect();
    let in_pool = oldest.len();
    oldest.sort_by(|a, b| a.released.cmp(&b.released).then_with(|| a.customer.cmp(&b.customer)));
    oldest.truncate(OLDEST_SHOWN);
    PoolReport {
        in_pool,
        released: pick(&[EventKind::Release]),
        claimed: pick(&[EventKind::Claim, EventKind::Assign]),
        limits: limits(customers, staff, policy, today),
        bouncing: bouncing(events, customers, today),
        oldest,
    }
}

fn waiting(c: &Customer, today: Date) -> Waiting {
    Waiting {
        customer: c.id.to_string(),
        name: c.name.clone(),
        region: c.region.clone(),
        released: c.pool.released,
        days: c.pool.released.map(|d| d.days_until(today)),
        reason: c.pool.reason.clone(),
    }
}

/// The active people at the claim limit or the owned cap today.
fn limits(
    customers: &[Customer],
    staff: &BTreeMap<Handle, Staff>,
    policy: &PoolPolicy,
    today: Date,
) -> Vec<LimitReached> {
    if policy.claim_limit.is_none() && policy.owned_cap.is_none() {
        return Vec::new();
    }
    let mut held: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for c in customers {
        let entry = held.entry(c.owner.as_str()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(c.pool.claimed.is_some_and(|d| pool::in_claim_period(d, today, policy)));
    }
    let reached = |n: usize, limit: Option<u32>| limit.is_some_and(|l| n >= l as usize);
    staff
        .values()
        .filter(|s| s.is_active() && s.is_person())
        .filter_map(|s| {
            let (owned, claimed) = held.get(s.handle.as_str()).copied().unwrap_or_default();
            (reached(owned, policy.owned_cap) || reached(claimed, policy.claim_limit)).then(|| LimitReached {
                person: s.handle.to_string(),
                owned,
                owned_cap: policy.owned_cap,
                claimed,
                claim_limit: policy.claim_limit,
            })
        })
        .collect()
}

/// The customers released twice or more within [`BOUNCE_DAYS`] ending
/// `today`, most releases first.
fn bouncing(events: &[RawEvent], customers: &[Customer], today: Date) -> Vec<Bouncing> {
    let since = today.plus_days(-BOUNCE_DAYS);
    let mut released: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in events.iter().rev().filter(|e| e.action == EventKind::Release && e.date >= since && e.date <= today) {
        released.entry(e.customer.as_str()).or_default().push(e.from.as_deref().unwrap_or(""));
    }
    let owner: BTreeMap<&str, &str> = customers.iter().map(|c| (c.id.as_str(), c.owner.as_str())).collect();
    let mut out: Vec<Bouncing> = released
        .into_iter()
        .filter(|(_, from)| from.len() >= 2)
        .map(|(id, from)| Bouncing {
            customer: id.to_string(),
            releases: from.len(),
            from: from.into_iter().map(str::to_string).collect(),
            owner: owner.get(id).map(|o| o.to_string()),
        })
        .collect();
    out.sort_by(|a, b| b.releases.cmp(&a.releases).then_with(|| a.customer.cmp(&b.customer)));
    out
}
