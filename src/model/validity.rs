//! What makes a customer valid under a store's policy and staff: one
//! definition, used by `add`, `edit` and `import` (which refuse a customer
//! with any problem) and by `check` and the handover report (which report
//! them). Departures are not invalidity: a customer owned by someone who
//! left is a pending handover (`check` and the report judge its deadline),
//! and naming a departed person anew is an action verify judges
//! (`assign-to-departed`), not a property of the file.

use std::collections::BTreeMap;

use super::customer::{Customer, Status, TouchKind};
use super::pool::ReleaseReason;
use super::rule_ids::CheckRule;
use super::{Handle, Policy, Staff};

/// What a store knows about a handle.
pub enum Person<'a> {
    /// No staff file.
    Unknown,
    /// A staff file that cannot be read.
    Unreadable,
    /// A staff member.
    Known(&'a Staff),
}

/// Staff to judge customers against.
pub trait Roster {
    /// What is known about `handle`.
    fn person(&self, handle: &str) -> Person<'_>;
}

impl Roster for BTreeMap<Handle, Staff> {
    fn person(&self, handle: &str) -> Person<'_> {
        match Handle::parse(handle).ok().and_then(|h| self.get(&h)) {
            Some(s) => Person::Known(s),
            None => Person::Unknown,
        }
    }
}

/// Staff as `check` reads them: every staff file, readable or not.
impl Roster for BTreeMap<String, Option<Staff>> {
    fn person(&self, handle: &str) -> Person<'_> {
        match self.get(handle) {
            Some(Some(s)) => Person::Known(s),
            Some(None) => Person::Unreadable,
            None => Person::Unknown,
        }
    }
}

/// Why a key account's backup is not a valid one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupProblem {
    /// It has none.
    Missing,
    /// The backup is the owner.
    SameAsOwner,
    /// The backup has left.
    Departed,
    /// The backup is no staff member.
    Unknown,
}

impl serde::Serialize for BackupProblem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

impl BackupProblem {
    /// How the handover report names it.
    pub fn label(self) -> &'static str {
        match self {
            BackupProblem::Missing => "missing",
            BackupProblem::SameAsOwner => "same as owner",
            BackupProblem::Departed => "departed",
            BackupProblem::Unknown => "unknown",
        }
    }
}

/// One way a customer is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The key concerned (`backup`, `touches[2].by`).
    pub field: String,
    /// The `check` rule it breaks.
    pub rule: CheckRule,
    /// What is wrong, in one sentence.
    pub message: String,
}

/// The key account backup problem of `c`, when the policy requires key
/// accounts to have an active backup who is not the owner.
pub fn key_backup_problem(c: &Customer, policy: &Policy, staff: &impl Roster) -> Option<BackupProblem> {
    if c.tier != "key" || !policy.key_backup {
        return None;
    }
    let Some(backup) = c.backup.as_deref() else { return Some(BackupProblem::Missing) };
    if backup == c.owner {
        return Some(BackupProblem::SameAsOwner);
    }
    match staff.person(backup) {
        Person::Known(s) if s.is_active() => None,
        Person::Known(_) => Some(BackupProblem::Departed),
        Person::Unknown | Person::Unreadable => Some(BackupProblem::Unknown),
    }
}

/// Every way `c` is invalid under `policy` and `staff`, in file order.
pub fn problems(c: &Customer, policy: &Policy, staff: &impl Roster) -> Vec<Invalid> {
    let mut out = Vec::new();
    let mut add = |field: &str, rule, message: String| out.push(Invalid { field: field.into(), rule, message });
    if c.name.trim().is_empty() {
        add("name", CheckRule::InvalidValue, "`name` must not be empty".into());
    }
    if c.is_pooled() {
        for (field, problem) in pool_problems(c) {
            add(field, CheckRule::PoolFields, problem);
        }
    } else if let Person::Unknown = staff.person(&c.owner) {
        add("owner", CheckRule::UnknownPerson, format!("owner `{}` is not in staff/", c.owner));
    }
    if !c.is_pooled() && (c.pool.released.is_some() || c.pool.reason.is_some() || c.pool.from.is_some()) {
        let message =
            format!("release keys (pool_released, pool_reason, pool_from) on a customer owned by `{}`", c.owner);
        add("pool_released", CheckRule::PoolFields, message);
    }
    if let Some(b) = c.backup.as_deref().filter(|b| matches!(staff.person(b), Person::Unknown)) {
        add("backup", CheckRule::UnknownPerson, format!("backup `{b}` is not in staff/"));
    }
    match (&c.backup, key_backup_problem(c, policy, staff)) {
        (_, Some(problem)) => {
            let why = match problem {
                BackupProblem::Missing => "has no backup".to_string(),
                BackupProblem::SameAsOwner => "has its owner as backup".to_string(),
                BackupProblem::Departed | BackupProblem::Unknown => {
                    format!("has backup `{}`, who is not an active staff member", c.backup.as_deref().unwrap_or(""))
                }
            };
            let message = format!("key account {why} (policy.key_backup: key accounts need an active backup)");
            add("backup", CheckRule::KeyWithoutBackup, message);
        }
        (Some(b), None) if *b == c.owner => {
            add("backup", CheckRule::InvalidValue, "the backup must be someone other than the owner".into());
        }
        _ => {}
    }
    if !policy.allows_tier(&c.tier) {
        add("tier", CheckRule::UnknownTier, format!("tier `{}` is not one of {}", c.tier, policy.tiers.join(", ")));
    }
    if let Some(region) = c.region.as_deref().filter(|r| !policy.allows_region(r)) {
        let known = policy.regions.join(", ");
        add("region", CheckRule::UnknownRegion, format!("region `{region}` is not one of [policy].regions: {known}"));
    }
    if Status::parse(&c.status).is_none() {
        add("status", CheckRule::UnknownStatus, format!("status `{}` is not one of {}", c.status, Status::known()));
    }
    for (i, t) in c.touches.iter().enumerate() {
        if let Person::Unknown = staff.person(&t.by) {
            add(
                &format!("touches[{i}].by"),
                CheckRule::UnknownPerson,
                format!("touch by `{}` who is not in staff/", t.by),
            );
        }
        if TouchKind::parse(&t.kind).is_none() {
            let message = format!("touch kind `{}` is not one of {}", t.kind, TouchKind::known());
            add(&format!("touches[{i}].kind"), CheckRule::UnknownKind, message);
        }
    }
    out
}

/// What is wrong with the pool keys of a pooled customer: each with the
/// key concerned.
fn pool_problems(c: &Customer) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if c.pool.released.is_none() {
        out.push(("owner", "a pooled customer without `pool_released`, the day it was released".to_string()));
    }
    match c.pool.reason.as_deref() {
        None => out.push(("owner", "a pooled customer without `pool_reason`".to_string())),
        Some(r) if ReleaseReason::parse(r).is_none() => {
            out.push(("pool_reason", format!("pool_reason `{r}` is not one of {}", ReleaseReason::known())))
        }
        Some(_) => {}
    }
    if c.pool.locked_by.is_some() || c.pool.locked_until.is_some() {
        out.push((
            "pool_locked_by",
            "a pooled customer cannot be locked; the lock belongs to an owner's customer".into(),
        ));
    }
    if c.pool.claimed.is_some() {
        out.push(("pool_claimed", "a pooled customer has no claim; `pool_claimed` goes with an owner".into()));
    }
    if c.pool.assigned.is_some() {
        out.push(("pool_assigned", "a pooled customer has no assignment; `pool_assigned` goes with an owner".into()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::staff::{Role, StaffStatus};
    use crate::model::{CustomerId, Touch};

    fn person(handle: &str, active: bool) -> (Handle, Staff) {
        let staff = Staff {
            handle: Handle::parse(handle).unwrap(),
            name: handle.into(),
            email: format!("{handle}@example.com"),
            role: Role::Rep,
            region: None,
            status: if active { StaffStatus::Active } else { StaffStatus::Departed },
            joined: None,
            left: None,
            rehire: None,
            keys: Vec::new(),
        };
        (staff.handle.clone(), staff)
    }

    fn staff() -> BTreeMap<Handle, Staff> {
        [person("zhang.wei", true), person("li.na", true), person("zhao.lei", false)].into_iter().collect()
    }

    fn key_account(backup: Option<&str>) -> Customer {
        Customer {
            backup: backup.map(str::to_string),
            tier: "key".into(),
            ..Customer::new(CustomerId::parse("acme").unwrap(), "Acme".into(), "zhang.wei".into())
        }
    }

    fn rules(c: &Customer) -> Vec<(String, CheckRule)> {
        problems(c, &Policy::default(), &staff()).into_iter().map(|p| (p.field, p.rule)).collect()
    }

    #[test]
    fn a_key_account_needs_an_active_backup_who_is_not_the_owner() {
        let policy = Policy::default();
        let judge = |b: Option<&str>| key_backup_problem(&key_account(b), &policy, &staff());
        assert_eq!(judge(Some("li.na")), None);
        assert_eq!(judge(None), Some(BackupProblem::Missing));
        assert_eq!(judge(Some("zhang.wei")), Some(BackupProblem::SameAsOwner));
        assert_eq!(judge(Some("zhao.lei")), Some(BackupProblem::Departed));
        assert_eq!(judge(Some("nobody")), Some(BackupProblem::Unknown));
        let relaxed = Policy { key_backup: false, ..Policy::default() };
        assert_eq!(key_backup_problem(&key_account(None), &relaxed, &staff()), None);
    }

    #[test]
    fn every_problem_is_named_with_its_field_and_rule() {
        let mut c = key_account(Some("nobody"));
        c.status = "sleeping".into();
        c.tier = "platinum".into();
        c.touches.push(Touch {
            date: crate::model::date::Date::parse("2026-11-01").unwrap(),
            by: "ghost".into(),
            kind: "lunch".into(),
            summary: "x".into(),
        });
        assert_eq!(
            rules(&c),
            [
                ("backup".to_string(), CheckRule::UnknownPerson),
                ("tier".to_string(), CheckRule::UnknownTier),
                ("status".to_string(), CheckRule::UnknownStatus),
                ("touches[0].by".to_string(), CheckRule::UnknownPerson),
                ("touches[0].kind".to_string(), CheckRule::UnknownKind),
            ]
        );
        let mut own_backup = key_account(None);
        own_backup.tier = "standard".into();
        own_backup.backup = Some("zhang.wei".into());
        assert_eq!(rules(&own_backup), [("backup".to_string(), CheckRule::InvalidValue)]);
        assert!(rules(&key_account(Some("li.na"))).is_empty());
    }

    #[test]
    fn a_pooled_customer_needs_its_release_record_and_no_claim_or_lock() {
        let mut c = key_account(Some("li.na"));
        c.owner = crate::model::pool::POOL.into();
        assert_eq!(
            rules(&c),
            [("owner".to_string(), CheckRule::PoolFields), ("owner".to_string(), CheckRule::PoolFields)]
        );
        c.pool.released = crate::model::date::Date::parse("2026-11-01").ok();
        c.pool.reason = Some("manual".into());
        assert!(rules(&c).is_empty());
        c.pool.reason = Some("bored".into());
        c.pool.locked_by = Some("li.na".into());
        assert_eq!(
            rules(&c),
            [("pool_reason".to_string(), CheckRule::PoolFields), ("pool_locked_by".to_string(), CheckRule::PoolFields)]
        );
        let mut owned = key_account(Some("li.na"));
        owned.pool.from = Some("zhang.wei".into());
        assert_eq!(rules(&owned), [("pool_released".to_string(), CheckRule::PoolFields)]);
        owned.pool = Default::default();
        owned.pool.claimed = crate::model::date::Date::parse("2026-11-01").ok();
        assert!(rules(&owned).is_empty(), "a claim record goes with its owner");
    }

    #[test]
    fn a_departed_owner_is_a_handover_not_an_invalid_customer() {
        let mut c = key_account(Some("li.na"));
        c.owner = "zhao.lei".into();
        assert!(rules(&c).is_empty());
    }
}
