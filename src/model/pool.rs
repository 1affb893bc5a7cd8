//! The customer pool (公海): customers nobody follows up go back to the
//! company, and colleagues may claim them, within limits. Pure rules here;
//! `ops::pool` applies them before writing and `verify` to every commit.
//!
//! A pooled customer's owner is [`POOL`]; the `pool_*` keys of its file say
//! when it was released, why and from whom. A claim writes `pool_claimed`,
//! which the claim limit counts while the claimer owns the customer. A
//! manager's lock (`pool_locked_by`, optionally `pool_locked_until`) keeps
//! a customer out of automatic releases.

use std::collections::BTreeMap;

use serde::Serialize;

use super::authz::Denied;
use super::config::PoolPolicy;
use super::customer::{Customer, Status};
use super::date::{Date, Day};
use super::named::named_enum;
use super::rule_ids::VerifyRule;
use super::staff::{Role, Staff};
use super::Handle;

/// The owner of a pooled customer.
pub const POOL: &str = "@pool";

named_enum! {
    /// Why a customer went to the pool.
    ReleaseReason("release reason") {
        NoTouch = "no-touch",
        Unconverted = "unconverted",
        Manual = "manual",
        Returned = "returned",
    }
}

/// The `pool_*` keys of a customer file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PoolFields {
    /// `pool_released`: when it went to the pool.
    pub released: Option<Date>,
    /// `pool_reason`: why (a [`ReleaseReason`] word).
    pub reason: Option<String>,
    /// `pool_from`: who owned it before.
    pub from: Option<String>,
    /// `pool_claimed`: when its owner claimed it from the pool.
    pub claimed: Option<Date>,
    /// `pool_assigned`: when a manager assigned it from the pool to its owner.
    pub assigned: Option<Date>,
    /// `pool_locked_by`: the manager who locked it out of automatic releases.
    pub locked_by: Option<String>,
    /// `pool_locked_until`: the last day of the lock (none: until lifted).
    pub locked_until: Option<Date>,
}

/// The keys of [`PoolFields`] in a customer file, in file order: the
/// seven after name, owner and backup in the file format's key order.
pub const POOL_KEYS: &[&str] = super::document::CUSTOMER_KEYS.split_at(3).1.split_at(7).0;

impl PoolFields {
    /// Whether the file has none of the pool keys.
    pub fn is_empty(&self) -> bool {
        *self == PoolFields::default()
    }

    /// Whether a lock holds on `day`.
    pub fn locked_on(&self, day: Date) -> bool {
        self.locked_by.is_some() && self.locked_until.is_none_or(|until| day <= until)
    }
}

/// What due-ness depends on: a customer file, or the catalog's line of it
/// (its dates as `D`, see [`Day`]).
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a, D = Date> {
    /// Owner.
    pub owner: &'a str,
    /// Tier.
    pub tier: &'a str,
    /// Status.
    pub status: &'a str,
    /// Date of the latest touch.
    pub last_touch: Option<D>,
    /// Start of the relationship.
    pub since: Option<D>,
    /// Its last claim from the pool.
    pub claimed: Option<D>,
    /// Its last assignment from the pool.
    pub assigned: Option<D>,
    /// Whether a lock holds on the day judged.
    pub locked: bool,
}

impl<'a> Facts<'a> {
    /// The facts of `c` on `day`.
    pub fn of(c: &'a Customer, day: Date) -> Facts<'a> {
        Facts {
            owner: &c.owner,
            tier: &c.tier,
            status: &c.status,
            last_touch: c.last_touch(),
            since: c.since,
            claimed: c.pool.claimed,
            assigned: c.pool.assigned,
            locked: c.pool.locked_on(day),
        }
    }
}

/// What the rules say to do with a customer on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Release it to the pool, for this reason.
    Release(ReleaseReason),
    /// An exempt tier: hand it to its region's manager, for this reason.
    ToManager(ReleaseReason),
}

impl Due {
    /// The rule that made it due.
    pub fn reason(self) -> ReleaseReason {
        match self {
            Due::Release(r) | Due::ToManager(r) => r,
        }
    }
}

/// Whether the policy's automatic rules make a customer due on `day`, and
/// what to do with it ([`Rules::due`]).
pub fn due(f: &Facts<'_>, pool: &PoolPolicy, day: Date) -> Option<Due> {
    Rules::on(pool, day).due(f)
}

/// The pool's automatic rules on one day, worked out once to judge many
/// customers: for each rule, the latest start that makes a customer due.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'p, D> {
    pool: &'p PoolPolicy,
    /// The latest activity the no-touch rule releases.
    no_touch: Option<D>,
    /// The latest start (or claim) of a prospect the prospect rule releases.
    prospect: Option<D>,
}

impl<'p, D: Day> Rules<'p, D> {
    /// The rules of `pool` on `day`.
    pub fn on(pool: &'p PoolPolicy, day: Date) -> Rules<'p, D> {
        let latest = |days: Option<u32>| days.and_then(|n| day.days_before(n)).map(D::of);
        Rules { pool, no_touch: latest(pool.release_after_days), prospect: latest(pool.prospect_days) }
    }

    /// Whether the rules make a customer due, and what to do with it.
    /// Pooled and locked customers are never due; the no-touch rule looks
    /// at the latest of its last touch, `since` and the day its owner took
    /// it from the pool (claim or assignment); the prospect rule at the
    /// latest of `since` and that day.
    pub fn due(&self, f: &Facts<'_, D>) -> Option<Due> {
        if f.owner == POOL || f.locked {
            return None;
        }
        let older = |start: Option<D>, latest: Option<D>| start.zip(latest).is_some_and(|(s, l)| s <= l);
        let taken = f.claimed.max(f.assigned);
        let active = [f.last_touch, f.since, taken].into_iter().flatten().max();
        // A status that is none of the known words (`Active`) cannot keep a
        // customer from the pool: `crm check` reports it, the rule does not
        // stop at it.
        let worked = Status::parse(f.status).is_none_or(|s| self.pool.release_statuses.contains(&s));
        let reason = if worked && older(active, self.no_touch) {
            ReleaseReason::NoTouch
        } else if f.status == "prospect" && older(f.since.max(taken), self.prospect) {
            ReleaseReason::Unconverted
        } else {
            return None;
        };
        Some(if self.pool.exempts(f.tier) { Due::ToManager(reason) } else { Due::Release(reason) })
    }
}

/// The first day from `first` to `last` on which the rules make `c` due,
/// and what they say then: what a rep is warned of before the nightly job
/// acts. The rules' answer changes only on the day a rule's count runs out
/// (a start plus a rule's days) or the day after a lock ends, so only
/// those days (and `first`) are judged, each by [`Rules::due`].
pub fn next_due(c: &Customer, pool: &PoolPolicy, first: Date, last: Date) -> Option<(Date, Due)> {
    let starts = [c.last_touch(), c.since, c.pool.claimed, c.pool.assigned];
    let periods = [pool.release_after_days, pool.prospect_days];
    let ends = starts.iter().flatten().flat_map(|s| periods.iter().flatten().map(|n| s.plus_days((*n).into())));
    let unlocked = c.pool.locked_until.map(|until| until.plus_days(1));
    let mut days: Vec<Date> =
        std::iter::once(first).chain(ends).chain(unlocked).filter(|d| first <= *d && *d <= last).collect();
    days.sort();
    days.dedup();
    days.into_iter().find_map(|day| Rules::<Date>::on(pool, day).due(&Facts::of(c, day)).map(|due| (day, due)))
}

/// Who a due customer of an exempt tier goes to instead of the pool: the
/// first active manager of its region by handle, else (no region, or a
/// region without a manager) the first active admin. Were it left with its
/// rep, a key account given no region, or a region nobody manages, would
/// never leave them.
pub fn receiver<'s>(region: Option<&str>, staff: &'s BTreeMap<Handle, Staff>) -> Option<&'s Staff> {
    let active = |role: Role| staff.values().filter(move |s| s.is_active() && s.role == role);
    let manager = region.and_then(|r| active(Role::Manager).find(|s| s.region.as_deref() == Some(r)));
    manager.or_else(|| active(Role::Admin).next())
}

/// Whether `person` may claim `customer` as far as who they are goes: an
/// active rep or manager, of the customer's region when claims are limited
/// to it. The limits that change from day to day ([`judge_claim`]) are
/// not part of it.
pub fn may_claim(person: &Staff, customer: &Customer, pool: &PoolPolicy) -> Result<(), Denied> {
    if !person.is_active() {
        return Err(Denied { rule: VerifyRule::ActorDeparted, reason: "act: they have departed".into() });
    }
    if person.role == Role::Service {
        return Err(Denied {
            rule: VerifyRule::ServiceNotPermitted,
            reason: "claim customers (a service identity only releases due customers)".into(),
        });
    }
    if !matches!(person.role, Role::Rep | Role::Manager) {
        return Err(Denied {
            rule: VerifyRule::ClaimUnauthorized,
            reason: format!("claim customers from the pool (reps and managers claim; {}s assign)", person.role),
        });
    }
    match customer.region.as_deref() {
        Some(region) if pool.claim_in_region && person.region.as_deref() != Some(region) => Err(Denied {
            rule: VerifyRule::ClaimOutOfRegion,
            reason: format!(
                "claim {}, a customer of region {region} ({} is in {}; claims are limited to one's region)",
                customer.id,
                person.handle,
                person.region.as_deref().unwrap_or("no region")
            ),
        }),
        _ => Ok(()),
    }
}

/// Who may claim a pooled customer: the one place that says so, for the
/// commands, for `verify` and for whatever must follow the set (a sealed
/// store seals a pooled customer to these people, with the region's
/// managers and the admins, who may assign it). Active reps and managers
/// passing [`may_claim`]; the day-to-day limits are left out, so the set
/// changes only with staff, policy or the customer's region.
pub fn claimants<'s>(
    customer: &Customer,
    staff: &'s BTreeMap<Handle, Staff>,
    pool: &PoolPolicy,
) -> impl Iterator<Item = &'s Staff> {
    let customer = customer.clone();
    let pool = pool.clone();
    staff.values().filter(move |s| s.is_active() && may_claim(s, &customer, &pool).is_ok())
}

/// Where a claimer stands before a claim: how many customers they own and
/// how many of those they claimed within the claim period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    /// Customers owned.
    pub owned: usize,
    /// Of those, claimed within the claim period ending on the day of the claim.
    pub claimed: usize,
}

/// Whether a claim made on `claimed` counts against a claim on `day`: it
/// falls within the claim period ending on `day`, or after `day` (a claim
/// dated before the claims it follows must not get a fresh quota).
pub fn in_claim_period(claimed: Date, day: Date, pool: &PoolPolicy) -> bool {
    claimed.days_until(day) < i64::from(pool.claim_period_days.max(1))
}

/// Everything wrong with `person` claiming `before` (the customer as it is
/// in the pool) on `day`, given their standing: pool membership, who they
/// are ([`may_claim`]), the cooldown, the claim limit and the owned cap.
pub fn judge_claim(person: &Staff, before: &Customer, standing: Standing, pool: &PoolPolicy, day: Date) -> Vec<Denied> {
    let mut out = Vec::new();
    if before.owner != POOL {
        out.push(Denied {
            rule: VerifyRule::ClaimNotInPool,
            reason: format!("claim {}: it is not in the pool (owner {})", before.id, before.owner),
        });
        return out;
    }
    if let Err(d) = may_claim(person, before, pool) {
        out.push(d);
    }
    let me = person.handle.as_str();
    if let (Some(from), Some(released)) = (before.pool.from.as_deref(), before.pool.released) {
        let free = released.plus_days(i64::from(pool.cooldown_days));
        if from == me && day < free {
            out.push(Denied {
                rule: VerifyRule::ClaimCooldown,
                reason: format!(
                    "claim {} again before {free}: it was released from {me} on {released} (cooldown {} days)",
                    before.id, pool.cooldown_days
                ),
            });
        }
    }
    if let Some(limit) = pool.claim_limit {
        if standing.claimed >= limit as usize {
            out.push(Denied {
                rule: VerifyRule::ClaimLimit,
                reason: format!(
                    "claim {}: {me} has claimed {} customer(s) in the last {} days (claim_limit {limit})",
                    before.id, standing.claimed, pool.claim_period_days
                ),
            });
        }
    }
    if let Some(cap) = pool.owned_cap {
        if standing.owned >= cap as usize {
            out.push(Denied {
                rule: VerifyRule::OwnedCap,
                reason: format!("claim {}: {me} owns {} customers (owned_cap {cap})", before.id, standing.owned),
            });
        }
    }
    out
}

/// What is wrong with `actor` changing what the pool's rules read of
/// `before` into `after`'s, when the pool releases customers by their
/// dates. Managers and admins may set these fields either way; a rep may
/// not, in their own favour:
/// - move `since` later or remove it (`since-moved`): the rules count from
///   it, and a customer with no date is never due, so a neglected customer
///   would stay without a single touch. Moving it earlier, or filling in a
///   missing one, only makes it due sooner.
/// - move it out of an exempt tier (`pool-field-changed`): a standard
///   customer may be returned to the pool, and goes there when due.
///
/// Its region is not among them: a due key account goes to its region's
/// manager, or to an admin when there is none ([`receiver`]).
pub fn judge_pool_fields(actor: &Staff, pool: &PoolPolicy, before: &Customer, after: &Customer) -> Option<Denied> {
    let dated_rules = pool.release_after_days.is_some() || pool.prospect_days.is_some();
    if !dated_rules || matches!(actor.role, Role::Manager | Role::Admin) {
        return None;
    }
    let id = &before.id;
    let since = match (before.since, after.since) {
        (Some(old), Some(new)) if new > old => Some(format!("move the since of {id} to {new}")),
        (Some(_), None) => Some(format!("remove the since of {id}")),
        _ => None,
    };
    if let Some(what) = since {
        return Some(Denied {
            rule: VerifyRule::SinceMoved,
            reason: format!("{what}: the pool's rules count from it (managers and admins may)"),
        });
    }
    (pool.exempts(&before.tier) && !pool.exempts(&after.tier)).then(|| Denied {
        rule: VerifyRule::PoolFieldChanged,
        reason: format!(
            "move {id} out of the tier {} ([pool] exempt_tiers), which keeps it from the pool (a manager may)",
            before.tier
        ),
    })
}

/// What is wrong with `actor` handing on `before`, a customer they own,
/// on `day`: a rep keeps a customer they claimed from the pool for the
/// claim period or the cooldown, whichever is longer; otherwise a claim
/// handed straight on would count against nobody's limit, and would give
/// the customer back to the rep it was released from within their
/// cooldown. Returning it to the pool is handing it on too (to whoever
/// claims it next, the rep it was released from included). Managers and
/// admins may reassign or release it.
pub fn judge_hand_on(actor: &Staff, before: &Customer, to: &str, pool: &PoolPolicy, day: Date) -> Option<Denied> {
    let claimed = before.pool.claimed?;
    if actor.role != Role::Rep || before.owner != actor.handle.as_str() {
        return None;
    }
    let days = pool.claim_period_days.max(pool.cooldown_days);
    let free = claimed.plus_days(i64::from(days));
    let (act, manager) = match to == POOL {
        true => (format!("return {} to the pool", before.id), "release"),
        false => (format!("hand on {}", before.id), "reassign"),
    };
    (day < free).then(|| Denied {
        rule: VerifyRule::ClaimHandedOn,
        reason: format!(
            "{act} before {free}: they claimed it from the pool on {claimed}, and a claimer keeps a claimed customer {days} days (a manager may {manager} it)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::date::DayKey;
    use crate::model::{CustomerId, StaffStatus};

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn person(handle: &str, role: Role, region: &str) -> Staff {
        Staff {
            handle: Handle::parse(handle).unwrap(),
            name: handle.into(),
            email: format!("{handle}@x"),
            role,
            region: Some(region.into()),
            status: StaffStatus::Active,
            joined: None,
            left: None,
            rehire: None,
            keys: vec![],
        }
    }

    fn pooled(region: &str) -> Customer {
        let mut c = Customer::new(CustomerId::parse("acme").unwrap(), "Acme".into(), POOL.into());
        c.region = Some(region.into());
        c.pool.released = Some(day("2026-11-01"));
        c.pool.from = Some("zhang.wei".into());
        c.pool.reason = Some("no-touch".into());
        c
    }

    fn facts<'a>(owner: &'a str, tier: &'a str, status: &'a str, touched: &str) -> Facts<'a> {
        Facts {
            owner,
            tier,
            status,
            last_touch: Some(day(touched)),
            since: Some(day("2025-01-01")),
            claimed: None,
            assigned: None,
            locked: false,
        }
    }

    #[test]
    fn the_next_due_day_is_when_a_rules_count_runs_out_or_a_lock_ends() {
        let pool = PoolPolicy { release_after_days: Some(30), prospect_days: Some(60), ..PoolPolicy::default() };
        let mut c = Customer::new(CustomerId::parse("acme").unwrap(), "Acme".into(), "zhang.wei".into());
        c.status = "active".into();
        c.since = Some(day("2026-10-01"));
        let today = day("2026-10-25");
        let week = today.plus_days(7);
        assert_eq!(next_due(&c, &pool, today, week), Some((day("2026-10-31"), Due::Release(ReleaseReason::NoTouch))));
        assert_eq!(next_due(&c, &pool, today, day("2026-10-30")), None, "not within the window");
        c.pool.locked_by = Some("li.na".into());
        c.pool.locked_until = Some(day("2026-11-01"));
        assert_eq!(next_due(&c, &pool, today, week), None, "locked all week");
        assert_eq!(
            next_due(&c, &pool, today, today.plus_days(14)),
            Some((day("2026-11-02"), Due::Release(ReleaseReason::NoTouch)))
        );
        c.pool = PoolFields::default();
        c.status = "prospect".into();
        let prospect = PoolPolicy { release_after_days: None, ..pool.clone() };
        assert_eq!(
            next_due(&c, &prospect, day("2026-11-25"), day("2026-12-02")),
            Some((day("2026-11-30"), Due::Release(ReleaseReason::Unconverted)))
        );
        c.tier = "key".into();
        let late = day("2026-12-05");
        assert_eq!(
            next_due(&c, &pool, late, late),
            Some((late, Due::ToManager(ReleaseReason::NoTouch))),
            "due already"
        );
        c.owner = POOL.into();
        assert_eq!(next_due(&c, &pool, late, late), None);
    }

    #[test]
    fn each_rule_makes_a_customer_due_unless_locked_pooled_or_exempt() {
        let pool = PoolPolicy { release_after_days: Some(30), prospect_days: Some(90), ..PoolPolicy::default() };
        let today = day("2026-11-26");
        assert_eq!(
            due(&facts("a", "standard", "active", "2026-10-27"), &pool, today),
            Some(Due::Release(ReleaseReason::NoTouch))
        );
        assert_eq!(due(&facts("a", "standard", "active", "2026-10-28"), &pool, today), None);
        assert_eq!(due(&facts("a", "standard", "dormant", "2026-01-01"), &pool, today), None);
        let parked = PoolPolicy { release_statuses: vec![Status::Active, Status::Dormant], ..pool.clone() };
        assert_eq!(
            due(&facts("a", "standard", "dormant", "2026-01-01"), &parked, today),
            Some(Due::Release(ReleaseReason::NoTouch))
        );
        assert_eq!(
            due(&facts("a", "standard", "Active", "2026-01-01"), &pool, today),
            Some(Due::Release(ReleaseReason::NoTouch)),
            "a misspelt status does not park a customer"
        );
        let mut prospect = facts("a", "prospect", "prospect", "2026-11-20");
        assert_eq!(due(&prospect, &pool, today), Some(Due::Release(ReleaseReason::Unconverted)));
        prospect.claimed = Some(day("2026-10-01"));
        assert_eq!(due(&prospect, &pool, today), None, "a claim starts the clock again");
        let mut assigned = facts("a", "standard", "active", "2026-01-01");
        assigned.assigned = Some(day("2026-11-20"));
        assert_eq!(due(&assigned, &pool, today), None, "so does an assignment from the pool");
        assert_eq!(
            due(&facts("a", "key", "active", "2026-01-01"), &pool, today),
            Some(Due::ToManager(ReleaseReason::NoTouch))
        );
        let mut locked = facts("a", "standard", "active", "2026-01-01");
        locked.locked = true;
        assert_eq!(due(&locked, &pool, today), None);
        assert_eq!(due(&facts(POOL, "standard", "active", "2026-01-01"), &pool, today), None);
        assert_eq!(due(&facts("a", "standard", "active", "2020-01-01"), &PoolPolicy::default(), today), None);
    }

    #[test]
    fn the_catalogs_day_keys_judge_as_dates_do() {
        let pool = PoolPolicy { release_after_days: Some(30), prospect_days: Some(90), ..PoolPolicy::default() };
        let today = day("2026-03-01");
        let (by_date, by_key) = (Rules::<Date>::on(&pool, today), Rules::<DayKey>::on(&pool, today));
        let dates: Vec<Option<Date>> =
            [None].into_iter().chain((0..130).map(|n| Some(today.plus_days(-n - 1)))).collect();
        let mut verdicts = std::collections::BTreeMap::new();
        for status in ["active", "prospect", "dormant"] {
            for (&touch, &since) in dates.iter().zip(dates.iter().rev()).step_by(3) {
                for claimed in [None, Some(day("2026-01-31")), Some(day("2025-12-01"))] {
                    let assigned = claimed.map(|c| c.plus_days(-20));
                    let f = Facts {
                        owner: "a",
                        tier: "standard",
                        status,
                        last_touch: touch,
                        since,
                        claimed,
                        assigned,
                        locked: false,
                    };
                    let key = |d: Option<Date>| d.map(DayKey::of);
                    let k = Facts {
                        owner: "a",
                        tier: "standard",
                        status,
                        last_touch: key(touch),
                        since: key(since),
                        claimed: key(claimed),
                        assigned: key(assigned),
                        locked: false,
                    };
                    assert_eq!(by_date.due(&f), by_key.due(&k), "{f:?}");
                    *verdicts.entry(format!("{:?}", by_date.due(&f))).or_insert(0) += 1;
                }
            }
        }
        // Every verdict was reached, each many times: the grid crosses both
        // rules' cut-off days.
        assert_eq!(verdicts.len(), 3, "{verdicts:?}");
        assert!(verdicts.values().all(|&n| n > 10), "{verdicts:?}");
    }

    #[test]
    fn locks_hold_until_their_last_day() {
        let mut f = PoolFields { locked_by: Some("li.na".into()), ..PoolFields::default() };
        assert!(f.locked_on(day("2030-01-01")));
        f.locked_until = Some(day("2026-11-30"));
        assert!(f.locked_on(day("2026-11-30")));
        assert!(!f.locked_on(day("2026-12-01")));
    }

    #[test]
    fn claims_are_judged_by_region_cooldown_limit_and_cap() {
        let pool = PoolPolicy { claim_limit: Some(2), owned_cap: Some(10), ..PoolPolicy::default() };
        let rep = person("zhang.wei", Role::Rep, "华中");
        let rules = |who: &Staff, c: &Customer, s: Standing, on: &str| -> Vec<VerifyRule> {
            judge_claim(who, c, s, &pool, day(on)).into_iter().map(|d| d.rule).collect()
        };
        let c = pooled("华中");
        assert_eq!(rules(&rep, &c, Standing::default(), "2026-11-26"), [VerifyRule::ClaimCooldown]);
        assert!(rules(&rep, &c, Standing::default(), "2026-12-01").is_empty());
        let other = person("chen.jie", Role::Rep, "华东");
        assert_eq!(rules(&other, &c, Standing::default(), "2026-11-26"), [VerifyRule::ClaimOutOfRegion]);
        let busy = Standing { owned: 10, claimed: 2 };
        assert_eq!(rules(&rep, &c, busy, "2026-12-01"), [VerifyRule::ClaimLimit, VerifyRule::OwnedCap]);
        let mut owned = c.clone();
        owned.owner = "wang.fang".into();
        assert_eq!(rules(&rep, &owned, Standing::default(), "2026-12-01"), [VerifyRule::ClaimNotInPool]);
        let service = person("cron", Role::Service, "华中");
        assert_eq!(rules(&service, &c, Standing::default(), "2026-12-01"), [VerifyRule::ServiceNotPermitted]);
        let admin = person("liu.yang", Role::Admin, "华中");
        assert_eq!(rules(&admin, &c, Standing::default(), "2026-12-01"), [VerifyRule::ClaimUnauthorized]);
    }

    #[test]
    fn claimants_are_the_active_reps_and_managers_of_the_region() {
        let mut staff = BTreeMap::new();
        for p in [
            person("zhang.wei", Role::Rep, "华中"),
            person("li.na", Role::Manager, "华中"),
            person("chen.jie", Role::Rep, "华东"),
            person("liu.yang", Role::Admin, "华中"),
            person("cron", Role::Service, "华中"),
        ] {
            staff.insert(p.handle.clone(), p);
        }
        let names = |pool: &PoolPolicy| -> Vec<String> {
            claimants(&pooled("华中"), &staff, pool).map(|s| s.handle.to_string()).collect()
        };
        assert_eq!(names(&PoolPolicy::default()), ["li.na", "zhang.wei"]);
        let anywhere = PoolPolicy { claim_in_region: false, ..PoolPolicy::default() };
        assert_eq!(names(&anywhere), ["chen.jie", "li.na", "zhang.wei"]);
        let to = |region: Option<&str>| receiver(region, &staff).map(|s| s.handle.to_string());
        assert_eq!(to(Some("华中")).as_deref(), Some("li.na"));
        assert_eq!(to(Some("华东")).as_deref(), Some("liu.yang"), "no manager there: an admin");
        assert_eq!(to(None).as_deref(), Some("liu.yang"), "no region: an admin");
    }

    #[test]
    fn the_pool_keys_are_the_files_pool_keys_in_order() {
        let full = PoolFields {
            released: Some(day("2026-11-01")),
            reason: Some("manual".into()),
            from: Some("zhang.wei".into()),
            claimed: Some(day("2026-11-02")),
            assigned: Some(day("2026-11-03")),
            locked_by: Some("li.na".into()),
            locked_until: Some(day("2026-11-04")),
        };
        let written: Vec<(&str, String)> =
            crate::model::document::pool_values(&full).into_iter().map(|(k, v)| (k, v.to_string())).collect();
        let expected = [
            ("pool_released", "2026-11-01"),
            ("pool_reason", "\"manual\""),
            ("pool_from", "\"zhang.wei\""),
            ("pool_claimed", "2026-11-02"),
            ("pool_assigned", "2026-11-03"),
            ("pool_locked_by", "\"li.na\""),
            ("pool_locked_until", "2026-11-04"),
        ];
        assert_eq!(written, expected.map(|(k, v)| (k, v.to_string())));
    }

    #[test]
    fn the_claim_period_counts_back_from_the_day() {
        let pool = PoolPolicy { claim_period_days: 7, ..PoolPolicy::default() };
        assert!(in_claim_period(day("2026-11-20"), day("2026-11-26"), &pool));
        assert!(!in_claim_period(day("2026-11-19"), day("2026-11-26"), &pool));
        // A later claim counts: a backdated claim gets no fresh quota.
        assert!(in_claim_period(day("2026-11-27"), day("2026-11-26"), &pool));
    }
}
