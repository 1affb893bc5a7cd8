//! `crm report handover`: the weekly report managers get from cron. One pass
//! over the current tree plus the first-parent history of the period (never
//! the whole history), in eight sections:
//!
//! 1. pending handovers of departed people (days left, or overdue);
//! 2. ownership changes in the period;
//! 3. unacknowledged handovers (no touch by the new owner since);
//! 4. key accounts without a valid backup;
//! 5. stale relationships by owner, and each owner's 30-day coverage;
//! 6. concentration of value and key accounts by owner and region;
//! 7. exposure: what a whole region leaving at once would orphan;
//! 8. sabotage signals: mass contact changes and deleted customers.

use std::collections::BTreeMap;

use serde::Serialize;

use super::is_active;
use super::pool::PoolReport;
use crate::model::date::Date;
use crate::model::named::named_enum;
use crate::model::validity::{self, BackupProblem};
use crate::model::{Customer, Handle, Policy, Staff, StoreConfig, Touch};
use crate::ops::list::is_stale_relationship;
pub use crate::store::history::OwnershipEvent;
use crate::store::history::{Attribution, HistoryQuery};
use crate::store::history_index::{History, RawEvent};
use crate::store::sigcheck::{Gpg, SigStatus};
use crate::store::snapshot::{Readable, Unreadable};
use crate::store::Store;
use crate::Result;

/// Contacts whose phone or email one person may change within
/// [`SABOTAGE_WINDOW_DAYS`] before it is reported as a sabotage signal.
pub const CONTACT_CHANGE_LIMIT: usize = 10;
/// The window over which one person's contact changes are added up (so a
/// wipe split over several commits is still seen).
pub const SABOTAGE_WINDOW_DAYS: i64 = 7;
/// The coverage window in days.
pub const COVERAGE_DAYS: i64 = 30;
/// The name the concentration section gives customers without a region.
pub const NO_REGION: &str = "(none)";

/// The report.
#[derive(Debug, Clone, Serialize)]
pub struct HandoverReport {
    /// Company name.
    pub company: String,
    /// Currency of values.
    pub currency: String,
    /// The day the report is for.
    pub today: Date,
    /// Start of the period.
    pub since: Date,
    /// End of the period.
    pub until: Date,
    /// 1. Departed people who still own customers.
    pub pending: Vec<PendingHandover>,
    /// 2. Ownership changes in the period, newest first.
    pub changes: Vec<OwnershipEvent>,
    /// 3. Recent handovers the new owner has not followed up.
    pub unacknowledged: Vec<Unacknowledged>,
    /// 4. Key accounts without a valid backup.
    pub no_backup: Vec<NoBackup>,
    /// 5a. Stale relationships, by owner.
    pub stale: Vec<StaleOwner>,
    /// 5b. Share of each owner's customers touched in the last 30 days.
    pub coverage: Vec<Coverage>,
    /// 6. Shares of value and key accounts by owner, then by region.
    pub concentration: Vec<Share>,
    /// 7. What each region leaving at once would orphan.
    pub exposure: Vec<Exposure>,
    /// 8. People with mass contact changes or deleted customers.
    pub sabotage: Vec<Sabotage>,
    /// 2b. Ownership changes in the period in which a manager gave a
    /// customer to themselves.
    pub self_assigned: Vec<OwnershipEvent>,
    /// 8b. Touches logged in the period in someone else's name (by admins,
    /// or arriving with imported customers).
    pub touches_for_others: Vec<TouchForOther>,
    /// 9: the customer pool (releases, claims, limits reached, customers
    /// going back and forth, and the longest waiting).
    pub pool: PoolReport,
    /// 0. Customer and staff files left out because they cannot be read.
    pub unreadable: Vec<Unreadable>,
    /// The names of the customers the sections name by id only (ownership
    /// changes, pending handovers, exposure, touches), by id: for
    /// renderings that show names beside ids. Not part of the JSON.
    #[serde(skip)]
    pub names: BTreeMap<String, String>,
    /// Every staff member's name, by handle (not part of the JSON).
    #[serde(skip)]
    pub people: BTreeMap<String, String>,
}

/// A touch whose `by` is not whoever committed it.
#[derive(Debug, Clone, Serialize)]
pub struct TouchForOther {
    /// Commit id.
    pub commit: String,
    /// Commit date.
    pub date: Date,
    /// Who committed it.
    pub actor: String,
    /// The customer.
    pub customer: String,
    /// Whose touch it says it is.
    pub by: String,
}

/// A departed person who still owns customers.
#[derive(Debug, Clone, Serialize)]
pub struct PendingHandover {
    /// Handle.
    pub person: String,
    /// Name.
    pub name: String,
    /// Last day.
    pub left: Option<Date>,
    /// Handover deadline.
    pub deadline: Option<Date>,
    /// Days until the deadline (negative: overdue by that many).
    pub days_left: i64,
    /// Whether the deadline has passed.
    pub overdue: bool,
    /// Customers they still own.
    pub customers: Vec<String>,
    /// Their total value.
    pub value: u64,
}

/// A handover the new owner has not acted on.
#[derive(Debug, Clone, Serialize)]
pub struct Unacknowledged {
    /// Customer id.
    pub customer: String,
    /// Customer name.
    pub name: String,
    /// The new owner.
    pub owner: String,
    /// Previous owner.
    pub from: Option<String>,
    /// When it was handed over.
    pub reassigned: Date,
    /// Days since.
    pub days: i64,
}

/// A key account without a valid backup.
#[derive(Debug, Clone, Serialize)]
pub struct NoBackup {
    /// Customer id.
    pub customer: String,
    /// Customer name.
    pub name: String,
    /// Owner.
    pub owner: String,
    /// Backup as written.
    pub backup: Option<String>,
    /// missing, departed, unknown or same-as-owner.
    pub problem: BackupProblem,
    /// Value.
    pub value: Option<u64>,
}

/// An owner's stale relationships.
#[derive(Debug, Clone, Serialize)]
pub struct StaleOwner {
    /// Owner.
    pub owner: String,
    /// The stale customers, longest untouched first.
    pub customers: Vec<StaleCustomer>,
}

/// A stale relationship.
#[derive(Debug, Clone, Serialize)]
pub struct StaleCustomer {
    /// Customer id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Last touch, if any.
    pub last_touch: Option<Date>,
    /// Days since the last touch (or since the relationship began).
    pub days: Option<i64>,
}

impl StaleCustomer {
    /// `c` as a stale relationship on `today` (whether it is one is
    /// [`is_stale_relationship`]'s to say).
    pub fn of(c: &Customer, today: Date) -> StaleCustomer {
        let last = c.last_touch();
        StaleCustomer {
            id: c.id.to_string(),
            name: c.name.clone(),
            last_touch: last,
            days: last.or(c.since).map(|d| d.days_until(today)),
        }
    }
}

/// How much of an owner's portfolio was touched recently.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Owner.
    pub owner: String,
    /// Customers owned.
    pub customers: usize,
    /// Of which touched in the last 30 days.
    pub touched: usize,
    /// touched / customers.
    pub share: f64,
}

/// A share of the business held by one owner or region.
#[derive(Debug, Clone, Serialize)]
pub struct Share {
    /// owner or region.
    pub kind: &'static str,
    /// Handle or region name.
    pub name: String,
    /// Customers.
    pub customers: usize,
    /// Total value.
    pub value: u64,
    /// Share of all value.
    pub value_share: f64,
    /// Key accounts.
    pub key_accounts: usize,
    /// Share of all key accounts.
    pub key_share: f64,
    /// An owner above `max_owner_share` of value.
    pub flagged: bool,
}

/// What a region's whole team leaving at once would orphan.
#[derive(Debug, Clone, Serialize)]
pub struct Exposure {
    /// Region.
    pub region: String,
    /// Its active people.
    pub people: Vec<String>,
    /// Customers with neither owner nor backup left.
    pub customers: Vec<String>,
    /// Their value.
    pub value: u64,
}

/// One person's mass contact changes (within [`SABOTAGE_WINDOW_DAYS`]) or
/// deleted customers.
#[derive(Debug, Clone, Serialize)]
pub struct Sabotage {
    /// Who did it.
    pub actor: String,
    /// Signature status of their commits ("good" only when all are).
    pub signature: SigStatus,
    /// First day of the window.
    pub from: Date,
    /// Last day of the window.
    pub to: Date,
    /// The commits that add up to it.
    pub commits: Vec<String>,
    /// Contacts whose phone or email was changed or removed in the window.
    pub contacts_changed: usize,
    /// Customers deleted in the period.
    pub customers_removed: Vec<String>,
}

named_enum! {
    /// A condition `--fail-on` can name: a report section with entries.
    Condition("condition") {
        Pending = "pending",
        Overdue = "overdue",
        Unacknowledged = "unacknowledged",
        NoBackup = "no-backup",
        Stale = "stale",
        Concentration = "concentration",
        Exposure = "exposure",
        Sabotage = "sabotage",
        SelfAssigned = "self-assigned",
        Unreadable = "unreadable",
    }
}

impl HandoverReport {
    /// Whether the report meets `condition`.
    pub fn has(&self, condition: Condition) -> bool {
        match condition {
            Condition::Pending => !self.pending.is_empty(),
            Condition::Overdue => self.pending.iter().any(|p| p.overdue),
            Condition::Unacknowledged => !self.unacknowledged.is_empty(),
            Condition::NoBackup => !self.no_backup.is_empty(),
            Condition::Stale => !self.stale.is_empty(),
            Condition::Concentration => self.concentration.iter().any(|s| s.flagged),
            Condition::Exposure => self.exposure.iter().any(|e| !e.customers.is_empty()),
            Condition::Sabotage => !self.sabotage.is_empty(),
            Condition::SelfAssigned => !self.self_assigned.is_empty(),
            Condition::Unreadable => !self.unreadable.is_empty(),
        }
    }
}

/// Builds the report for `since..=until` as of `today`.
pub fn run(store: &Store, since: Date, until: Date, today: Date, gpg: &Gpg) -> Result<HandoverReport> {
    let head = store.head()?;
    let config = head.config()?;
    let Readable { value: staff, skipped: mut unreadable } = head.readable_staff()?;
    // Only what the sections need stays in memory: no contacts, and of the
    // touches only the latest one and the owner's latest one.
    let Readable { value: customers, skipped } = head.map_readable_customers(|c| slim(c, false))?;
    unreadable.extend(skipped);
    let policy = &config.policy;
    // The history index knows every first-parent commit's date and every
    // ownership event; only the commits of the period are compared again,
    // for contact changes and deletions.
    let past = store.history()?;
    let recent_moves = recent_handovers(&past.events, policy, today);
    let (work, touches_for_others) = period_work(store, &past, since, until, gpg)?;
    let sabotage = sabotage(work, since);
    let query = HistoryQuery { since: Some(since), until: Some(until), ..HistoryQuery::default() };
    // The same index answers section 2: it is read once.
    let in_period = past.events.iter().filter(|e| e.date >= since && e.date <= until).cloned();
    let changes = store.describe(in_period, &query, gpg)?;
    let self_assigned = changes
        .iter()
        .filter(|e| e.to.as_deref() == Some(e.actor.as_str()) && e.from.is_some())
        .filter(|e| staff.values().any(|p| p.handle.as_str() == e.actor && p.role == crate::model::Role::Manager))
        .cloned()
        .collect();
    let pool = super::pool::report(&changes, &past.events, &customers, &staff, &config.pool, today);

    let mut report = HandoverReport {
        company: config.company.name.clone(),
        currency: config.company.currency.clone(),
        today,
        since,
        until,
        pending: pending(&staff, &customers, &config, today),
        changes,
        unacknowledged: unacknowledged(&customers, &recent_moves, today),
        no_backup: no_backup(&staff, &customers, &config.policy),
        stale: stale(&customers, &config, today),
        coverage: coverage(&customers, today),
        concentration: concentration(&customers, &config),
        exposure: exposure(&staff, &customers),
        sabotage,
        self_assigned,
        touches_for_others,
        pool,
        unreadable,
        names: BTreeMap::new(),
        people: staff.values().map(|p| (p.handle.to_string(), p.name.clone())).collect(),
    };
    report.names = names_of_mentioned(&report, &customers);
    Ok(report)
}

/// The names of the customers `r` names by id only.
fn names_of_mentioned(r: &HandoverReport, customers: &[Customer]) -> BTreeMap<String, String> {
    let events = r.changes.iter().chain(&r.self_assigned).map(|e| &e.customer);
    let mentioned: std::collections::HashSet<&str> = events
        .chain(r.pending.iter().flat_map(|p| &p.customers))
        .chain(r.exposure.iter().flat_map(|e| &e.customers))
        .chain(r.touches_for_others.iter().map(|t| &t.customer))
        .map(String::as_str)
        .collect();
    customers.iter().filter(|c| mentioned.contains(c.id.as_str())).map(|c| (c.id.to_string(), c.name.clone())).collect()
}

/// `c` without contacts, tags and notes, with only its latest touch and
/// its owner's (what the report's and the agenda's definitions look at),
/// and with its next step only if `next_step`.
pub(crate) fn slim(mut c: Customer, next_step: bool) -> Customer {
    let latest = c.touches.iter().max_by_key(|t| t.date).cloned();
    let owners = c.touches.iter().filter(|t| t.by == c.owner).max_by_key(|t| t.date).cloned();
    // Of a touch, the sections need its date and author.
    let bare = |t: Touch| Touch { summary: String::new(), kind: String::new(), ..t };
    c.touches = latest.into_iter().chain(owners).map(bare).collect();
    c.contacts = Vec::new();
    c.tags = Vec::new();
    c.notes = None;
    if !next_step {
        // The wrapped key is needed only to open the next step.
        c.next_step = None;
        c.seal = None;
    }
    c
}

fn pending(
    staff: &BTreeMap<Handle, Staff>,
    customers: &[Customer],
    config: &StoreConfig,
    today: Date,
) -> Vec<PendingHandover> {
    let mut out: Vec<PendingHandover> = staff
        .values()
        .filter(|s| !s.is_active())
        .filter_map(|s| {
            let owned: Vec<&Customer> = customers.iter().filter(|c| c.owner == s.handle.as_str()).collect();
            if owned.is_empty() {
                return None;
            }
            let deadline = s.left.map(|l| l.plus_days(i64::from(config.policy.handover_days)));
            let days_left = deadline.map_or(0, |d| today.days_until(d));
            Some(PendingHandover {
                person: s.handle.to_string(),
                name: s.name.clone(),
                left: s.left,
                deadline,
                days_left,
                overdue: days_left < 0 || deadline.is_none(),
                customers: owned.iter().map(|c| c.id.to_string()).collect(),
                value: owned.iter().filter_map(|c| c.value).sum(),
            })
        })
        .collect();
    out.sort_by_key(|p| (p.days_left, p.person.clone()));
    out
}

/// When each customer reassigned within the last `handover_days` (on the
/// commit dates of the history index) was last handed over, and by whom:
/// customer id → (date, previous owner).
pub type Handovers = BTreeMap<String, (Date, Option<String>)>;

/// The first day of the handover window ending `today`: handovers since
/// then wait to be acknowledged.
pub fn handover_window(policy: &Policy, today: Date) -> Date {
    today.plus_days(-i64::from(policy.handover_days))
}

/// The latest handover of each customer within the policy's handover
/// window ending `today`, from `events` (newest first, as the history
/// index holds them).
pub fn recent_handovers(events: &[RawEvent], policy: &Policy, today: Date) -> Handovers {
    let window = handover_window(policy, today);
    let mut moves = Handovers::new();
    for e in events.iter().filter(|e| e.action.hands_over() && e.date >= window) {
        moves.entry(e.customer.clone()).or_insert((e.date, e.from.clone()));
    }
    moves
}

/// The handovers in `moves` of `customers` whose owner has logged no touch
/// dated on or after the handover: the report's section 3 and `crm
/// agenda`'s handovers, one definition. Longest waiting first.
pub fn unacknowledged(customers: &[Customer], moves: &Handovers, today: Date) -> Vec<Unacknowledged> {
    let by_id: BTreeMap<&str, &Customer> = customers.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut out: Vec<Unacknowledged> = moves
        .iter()
        .filter_map(|(id, (date, from))| {
            let c = by_id.get(id.as_str()).filter(|c| !c.is_pooled())?;
            // A claim is no handover: its owner chose it (and the pool's
            // rules take it back if it is neglected). Its file says so.
            if from.as_deref() == Some(crate::model::pool::POOL) && c.pool.claimed.is_some() {
                return None;
            }
            let touched = c.touches.iter().any(|t| t.by == c.owner && t.date >= *date);
            (!touched).then(|| Unacknowledged {
                customer: id.clone(),
                name: c.name.clone(),
                owner: c.owner.clone(),
                from: from.clone(),
                reassigned: *date,
                days: date.days_until(today),
            })
        })
        .collect();
    out.sort_by_key(|u| (std::cmp::Reverse(u.days), u.customer.clone()));
    out
}

fn no_backup(staff: &BTreeMap<Handle, Staff>, customers: &[Customer], policy: &Policy) -> Vec<NoBackup> {
    customers
        .iter()
        .filter(|c| !c.is_pooled())
        .filter_map(|c| {
            let problem = validity::key_backup_problem(c, policy, staff)?;
            Some(NoBackup {
                customer: c.id.to_string(),
                name: c.name.clone(),
                owner: c.owner.clone(),
                backup: c.backup.clone(),
                problem,
                value: c.value,
            })
        })
        .collect()
}

fn stale(customers: &[Customer], config: &StoreConfig, today: Date) -> Vec<StaleOwner> {
    let mut by_owner: BTreeMap<String, Vec<StaleCustomer>> = BTreeMap::new();
    for c in customers.iter().filter(|c| is_stale_relationship(c, config, today)) {
        by_owner.entry(c.owner.clone()).or_default().push(StaleCustomer::of(c, today));
    }
    by_owner
        .into_iter()
        .map(|(owner, mut list)| {
            list.sort_by_key(|s| (std::cmp::Reverse(s.days.unwrap_or(i64::MAX)), s.id.clone()));
            StaleOwner { owner, customers: list }
        })
        .collect()
}

fn coverage(customers: &[Customer], today: Date) -> Vec<Coverage> {
    let since = today.plus_days(-COVERAGE_DAYS);
    let mut by_owner: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for c in customers.iter().filter(|c| !c.is_pooled()) {
        let entry = by_owner.entry(&c.owner).or_default();
        entry.0 += 1;
        entry.1 += usize::from(c.last_touch().is_some_and(|d| d >= since));
    }
    by_owner
        .into_iter()
        .map(|(owner, (n, touched))| Coverage {
            owner: owner.to_string(),
            customers: n,
            touched,
            share: touched as f64 / n as f64,
        })
        .collect()
}

fn concentration(customers: &[Customer], config: &StoreConfig) -> Vec<Share> {
    let total_value: u64 = customers.iter().filter_map(|c| c.value).sum();
    let total_key = customers.iter().filter(|c| c.tier == "key").count();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let mut out = Vec::new();
    for kind in ["owner", "region"] {
        let mut groups: BTreeMap<String, (usize, u64, usize)> = BTreeMap::new();
        // The pool is nobody's share: it has no owner row.
        for c in customers.iter().filter(|c| kind == "region" || !c.is_pooled()) {
            let name = match kind {
                "owner" => c.owner.clone(),
                _ => c.region.clone().unwrap_or_else(|| NO_REGION.into()),
            };
            let g = groups.entry(name).or_default();
            g.0 += 1;
            g.1 += c.value.unwrap_or(0);
            g.2 += usize::from(c.tier == "key");
        }
        let mut rows: Vec<Share> = groups
            .into_iter()
            .map(|(name, (n, value, key))| {
                let value_share = ratio(value, total_value);
                Share {
                    kind,
                    flagged: kind == "owner" && value_share > config.policy.max_owner_share,
                    name,
                    customers: n,
                    value,
                    value_share,
                    key_accounts: key,
                    key_share: ratio(key as u64, total_key as u64),
                }
            })
            .collect();
        rows.sort_by(|a, b| b.value.cmp(&a.value).then(a.name.cmp(&b.name)));
        out.extend(rows);
    }
    out
}

fn exposure(staff: &BTreeMap<Handle, Staff>, customers: &[Customer]) -> Vec<Exposure> {
    let mut regions: BTreeMap<String, Exposure> = BTreeMap::new();
    let mut region_of: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for s in staff.values().filter(|s| s.is_active()) {
        if let Some(r) = &s.region {
            region_of.insert(s.handle.as_str(), r);
            let e = regions.entry(r.clone()).or_insert_with(|| Exposure {
                region: r.clone(),
                people: Vec::new(),
                customers: Vec::new(),
                value: 0,
            });
            e.people.push(s.handle.to_string());
        }
    }
    for c in customers.iter().filter(|c| !c.is_pooled()) {
        // Where the owner and backup sit (None: gone already, or no region).
        let owner = region_of.get(c.owner.as_str()).copied();
        let backup = c.backup.as_deref().and_then(|b| region_of.get(b).copied());
        let backup_gone_already = backup.is_none() && c.backup.as_deref().is_none_or(|b| !is_active(staff, b));
        let owner_gone_already = owner.is_none() && !is_active(staff, &c.owner);
        for region in [owner, backup].into_iter().flatten().collect::<std::collections::BTreeSet<_>>() {
            let owner_lost = owner == Some(region) || owner_gone_already;
            let backup_lost = backup == Some(region) || backup_gone_already;
            if owner_lost && backup_lost {
                if let Some(e) = regions.get_mut(region) {
                    e.customers.push(c.id.to_string());
                    e.value += c.value.unwrap_or(0);
                }
            }
        }
    }
    regions.into_values().collect()
}

/// A commit's contact changes and deletions, by its actor.
type Work = (String, SigStatus, ContactWork);

/// The period's commits (and the sabotage window before it) compared file
/// by file: each actor's contact changes and deletions, and the touches
/// logged in someone else's name.
fn period_work(
    store: &Store,
    past: &History,
    since: Date,
    until: Date,
    gpg: &Gpg,
) -> Result<(Vec<Work>, Vec<TouchForOther>)> {
    let lookback = since.plus_days(1 - SABOTAGE_WINDOW_DAYS);
    let mut attribution = Attribution::default();
    let mut work = Vec::new();
    let mut touches_for_others = Vec::new();
    store.for_each_change(past, lookback, until, |step| {
        let mut done =
            ContactWork { commit: step.commit.to_string(), date: step.date, contacts: 0, removed: Vec::new() };
        let mut logged = Vec::new();
        for file in &step.files {
            let change = store.read_change(file)?;
            if change.removed {
                done.removed.push(change.id.clone());
            }
            done.contacts += changed_contacts(change.before.as_ref(), change.after.as_ref());
            let known = change.before.as_ref().map_or(0, |b| b.touches.len());
            if step.date >= since {
                let new_touches = change.after.iter().flat_map(|a| a.touches.iter().skip(known));
                logged.extend(new_touches.map(|t| (change.id.clone(), t.by.clone())));
            }
        }
        if done.contacts == 0 && done.removed.is_empty() && logged.is_empty() {
            return Ok(());
        }
        let (actor, signature) = store.commit_actor(&mut attribution, step.commit, gpg)?;
        for (customer, by) in logged.into_iter().filter(|(_, by)| *by != actor) {
            touches_for_others.push(TouchForOther {
                commit: done.commit.clone(),
                date: step.date,
                actor: actor.clone(),
                customer,
                by,
            });
        }
        if done.contacts > 0 || !done.removed.is_empty() {
            work.push((actor, signature, done));
        }
        Ok(())
    })?;
    Ok((work, touches_for_others))
}

/// How many contacts of a customer had their phone or email changed or
/// removed between two versions of its file.
/// What one commit did to contacts and customers.
#[derive(Debug)]
struct ContactWork {
    commit: String,
    date: Date,
    contacts: usize,
    removed: Vec<String>,
}

/// The people whose contact changes within any [`SABOTAGE_WINDOW_DAYS`]
/// days ending in the period exceed [`CONTACT_CHANGE_LIMIT`], or who deleted
/// customers in the period; `work` is in newest-first commit order.
fn sabotage(work: Vec<Work>, since: Date) -> Vec<Sabotage> {
    let mut by_actor: BTreeMap<String, Vec<(SigStatus, ContactWork)>> = BTreeMap::new();
    for (actor, signature, done) in work.into_iter().rev() {
        by_actor.entry(actor).or_default().push((signature, done));
    }
    let mut out = Vec::new();
    for (actor, done) in by_actor {
        let removed: Vec<String> =
            done.iter().filter(|(_, d)| d.date >= since).flat_map(|(_, d)| d.removed.clone()).collect();
        // The busiest window ending on a day of the period.
        let mut best: Option<(usize, Vec<&(SigStatus, ContactWork)>)> = None;
        for (_, end) in done.iter().filter(|(_, d)| d.date >= since) {
            let start = end.date.plus_days(1 - SABOTAGE_WINDOW_DAYS);
            let window: Vec<_> = done.iter().filter(|(_, d)| d.date >= start && d.date <= end.date).collect();
            let count = window.iter().map(|(_, d)| d.contacts).sum();
            if best.as_ref().is_none_or(|(n, _)| count > *n) {
                best = Some((count, window));
            }
        }
        let Some((contacts, window)) = best else { continue };
        if contacts <= CONTACT_CHANGE_LIMIT && removed.is_empty() {
            continue;
        }
        let window: Vec<&(SigStatus, ContactWork)> = if contacts > CONTACT_CHANGE_LIMIT {
            window
        } else {
            done.iter().filter(|(_, d)| d.date >= since && !d.removed.is_empty()).collect()
        };
        let signature = window.iter().map(|(s, _)| *s).find(|s| *s != SigStatus::Good).unwrap_or(SigStatus::Good);
        out.push(Sabotage {
            actor,
            signature,
            from: window.iter().map(|(_, d)| d.date).min().unwrap_or(since),
            to: window.iter().map(|(_, d)| d.date).max().unwrap_or(since),
            commits: window.iter().map(|(_, d)| d.commit.clone()).collect(),
            contacts_changed: if contacts > CONTACT_CHANGE_LIMIT { contacts } else { 0 },
            customers_removed: removed,
        });
    }
    out
}

/// Contacts whose phone or email changed or that were removed between two
/// versions of a customer (none when either is missing). Sealed values
/// compare as ciphertexts, which stay as they are while their text does;
/// across a re-sealing that took someone off (every value sealed again)
/// only removed contacts can be counted without a key.
fn changed_contacts(before: Option<&Customer>, after: Option<&Customer>) -> usize {
    let (Some(before), Some(after)) = (before, after) else { return 0 };
    if crate::seal::record::loses_recipients(before, after) {
        return before.contacts.len().saturating_sub(after.contacts.len());
    }
    before
        .contacts
        .iter()
        .filter(|b| b.phone.is_some() || b.email.is_some())
        .filter(|b| match after.contacts.iter().find(|a| a.name == b.name) {
            Some(a) => a.phone != b.phone || a.email != b.email,
            None => true,
        })
        .count()
}
