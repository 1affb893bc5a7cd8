//! `crm pool release`: customers go back to the company's pool, by id (a
//! manager's decision, reason `manual`) or because the pool's rules make
//! them due (`--due`, the nightly job). A due customer of an exempt tier
//! goes to its region's manager instead. One commit for all of them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{day_of, read_each};
use crate::model::authz::Action;
use crate::model::date::{Date, Day, DayKey};
use crate::model::pool::{self, Due, Facts, PoolFields, ReleaseReason, Rules, POOL};
use crate::model::{Customer, CustomerId, Handle, Role, Staff, StoreConfig};
use crate::ops::ownership::{self, Ownership, Source, Sources};
use crate::ops::{Message, WriteOptions, Writer};
use crate::store::catalog::Catalog;
use crate::store::{Snapshot, Store};
use crate::{Error, Result};

/// Which customers to release.
#[derive(Debug, Clone)]
pub enum Selection {
    /// These customers (reason `manual`, unless a service identity asks:
    /// then each must be due).
    Ids(Vec<CustomerId>),
    /// Every customer the pool's rules make due.
    Due,
}

/// A release to plan or make.
#[derive(Debug, Clone)]
pub struct ReleaseRequest {
    /// Which customers.
    pub selection: Selection,
    /// Why, for the commit (required for a release by id).
    pub reason: Option<String>,
    /// Today (the day is the commit's: [`day_of`]).
    pub today: Date,
}

/// One customer released (or, for an exempt tier, handed to its manager).
#[derive(Debug, Clone, Serialize)]
pub struct Release {
    /// Customer id.
    pub customer: String,
    /// Customer name.
    pub name: String,
    /// Owner before.
    pub from: String,
    /// Owner after: `@pool`, or the region's manager.
    pub to: String,
    /// Why.
    pub reason: ReleaseReason,
    /// Region.
    pub region: Option<String>,
    /// Tier.
    pub tier: String,
    /// Value.
    pub value: Option<u64>,
    /// Last touch.
    pub last_touch: Option<Date>,
    /// The backup afterwards (a release to the pool has none).
    #[serde(skip)]
    backup: Option<String>,
    /// What the rules say of it (as planned: the file is not judged twice).
    #[serde(skip)]
    due: Option<Due>,
}

/// A due customer left where it is, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    /// Customer id.
    pub customer: String,
    /// Its owner.
    pub owner: String,
    /// Why it stays.
    pub why: String,
}

/// What a release did (or would do).
#[derive(Debug, Clone, Serialize)]
pub struct Released {
    /// The day of the release.
    pub day: Date,
    /// The customers released or handed to managers.
    pub releases: Vec<Release>,
    /// Due customers that stay where they are.
    pub held: Vec<Held>,
    /// The commit; `None` for a dry run or when nothing was due.
    pub commit: Option<String>,
}

/// The reason a due release records when none is given.
pub const DUE_REASON: &str = "due by the pool's rules";

/// Plans `req` against the current state, writing nothing. Who asks is
/// looked up, not required: it only decides a release's reason.
pub fn dry_run(store: &Store, req: &ReleaseRequest, opts: &WriteOptions) -> Result<Released> {
    let head = store.head()?;
    let day = day_of(opts, req.today);
    let staff = head.staff()?;
    let me = store.identify(&staff, opts.actor.as_deref(), opts.stamps.committer.email.as_deref()).ok();
    let (releases, held, _) = plan(&head, &staff, &head.config()?, me.as_ref().map(|(p, _)| p), req, day)?;
    Ok(Released { day, releases, held, commit: None })
}

/// Releases the customers in one commit (managers of their region,
/// admins, or a service identity for due ones).
pub fn run(store: &Store, req: &ReleaseRequest, opts: &WriteOptions) -> Result<Released> {
    let w = Writer::start(store, opts)?;
    let day = day_of(opts, req.today);
    if matches!(req.selection, Selection::Due) && w.actor.role == Role::Rep {
        return Err(Error::Forbidden {
            actor: w.actor.handle.to_string(),
            action: "release due customers (the nightly job, managers and admins do; \
                     return a customer of your own with crm pool release ID --reason …)"
                .into(),
        });
    }
    let (releases, held, sources) = plan(w.snapshot(), &w.staff, &w.config, Some(&w.actor), req, day)?;
    if releases.is_empty() {
        return Ok(Released { day, releases, held, commit: None });
    }
    let ids: Vec<&str> = releases.iter().map(|r| r.customer.as_str()).collect();
    let edited = ownership::rewrite(&w, &ids, sources, |i, before| Ok(after(&releases[i], before, day)))?;
    let mut changes = Vec::with_capacity(edited.len());
    for (r, (before, change)) in releases.iter().zip(edited) {
        let due = r.due;
        match r.to == POOL {
            true => {
                let exempt = w.config.pool.exempts(&before.tier);
                w.authorize(Action::Release { customer: &before, due, exempt })?;
                if let Some(d) = pool::judge_hand_on(&w.actor, &before, POOL, &w.config.pool, day) {
                    return Err(Error::Forbidden { actor: w.actor.handle.to_string(), action: d.reason });
                }
            }
            false => w.authorize(Action::HandToManager { customer: &before, due })?,
        }
        changes.push(change);
    }
    let reason = req.reason.clone().unwrap_or_else(|| DUE_REASON.into());
    let message = Message { subject: subject(&releases), action: "pool-release", reason: Some(&reason) };
    let commit = w.commit(&message, changes)?;
    Ok(Released { day, releases, held, commit: Some(commit.to_string()) })
}

/// The ownership a release gives `before`: to the pool with no owner and
/// no backup (the backup of a customer nobody holds would keep reading it,
/// and back up whoever claims it), or to whoever receives an exempt
/// tier's accounts ([`pool::receiver`]).
fn after(r: &Release, before: &Customer, day: Date) -> Ownership {
    if r.to == POOL {
        let pool = PoolFields {
            released: Some(day),
            reason: Some(r.reason.id().to_string()),
            from: Some(before.owner.clone()),
            ..PoolFields::default()
        };
        return Ownership { owner: POOL.into(), backup: None, pool };
    }
    Ownership { owner: r.to.clone(), backup: r.backup.clone(), pool: Ownership::handed_on(&before.pool) }
}

/// The releases `req` asks for on `day`, the due customers held back, and
/// the files read. `actor` (when known) decides what a release by id may
/// be: a service identity's must be due, a rep's is their own return.
fn plan(
    snapshot: &Snapshot<'_>,
    staff: &BTreeMap<Handle, Staff>,
    config: &StoreConfig,
    actor: Option<&Staff>,
    req: &ReleaseRequest,
    day: Date,
) -> Result<(Vec<Release>, Vec<Held>, Sources)> {
    // A misspelt exempt tier would let the accounts it was meant to keep
    // go to the pool, by the rules or by their owners.
    config.require_known_exempt_tiers()?;
    let chosen = match &req.selection {
        Selection::Ids(ids) => {
            crate::ops::non_empty("--reason", req.reason.as_deref().unwrap_or_default())?;
            read_each(snapshot, ids)?
        }
        Selection::Due => due_now(snapshot, config, day)?,
    };
    let rules = Rules::<Date>::on(&config.pool, day);
    let mut releases = Vec::with_capacity(chosen.len());
    let mut held = Vec::new();
    let mut sources = Sources::with_capacity(chosen.len());
    for source in chosen {
        let c = &source.customer;
        let due = rules.due(&Facts::of(c, day));
        let release = match (&req.selection, due) {
            (Selection::Ids(_), _) => by_id(c, due, actor, day)?,
            (Selection::Due, Some(Due::Release(reason))) => Some(release(c, POOL.into(), reason, None, due)),
            (Selection::Due, Some(Due::ToManager(reason))) => match pool::receiver(c.region.as_deref(), staff) {
                Some(m) if m.handle.as_str() == c.owner => {
                    let why = format!(
                        "{} is due ({reason}) but its tier {} is exempt and it is already with {}, who receives such accounts",
                        c.id, c.tier, m.handle
                    );
                    held.push(Held { customer: c.id.to_string(), owner: c.owner.clone(), why });
                    None
                }
                Some(m) => {
                    let backup = crate::ops::reassign::backup_after(c, m.handle.as_str(), staff);
                    Some(release(c, m.handle.to_string(), reason, backup, due))
                }
                None => {
                    let why = format!(
                        "{} is due ({reason}) but its tier {} is exempt and there is no active manager of its region and no active admin to take it",
                        c.id, c.tier
                    );
                    held.push(Held { customer: c.id.to_string(), owner: c.owner.clone(), why });
                    None
                }
            },
            (Selection::Due, None) => None,
        };
        if let Some(r) = release {
            sources.insert(c.id.to_string(), source);
            releases.push(r);
        }
    }
    Ok((releases, held, sources))
}

/// A release by id of `c`: refused when it is pooled or locked, or, for a
/// service identity, not due. A rep's release of their own customer is a
/// return (reason `returned`); a manager's or admin's is `manual`.
fn by_id(c: &Customer, due: Option<Due>, actor: Option<&Staff>, day: Date) -> Result<Option<Release>> {
    if c.owner == POOL {
        return Err(Error::invalid("customer", c.id.as_str(), "is already in the pool"));
    }
    if c.pool.locked_on(day) {
        let until = c.pool.locked_until.map_or(String::new(), |u| format!(" until {u}"));
        let by = c.pool.locked_by.as_deref().unwrap_or_default();
        return Err(Error::invalid(
            "customer",
            c.id.as_str(),
            format!("is locked by {by}{until}; a manager lifts the lock first: crm pool unlock {}", c.id),
        ));
    }
    let reason = match actor.map(|a| a.role) {
        Some(Role::Service) => None,
        Some(Role::Rep) => Some(ReleaseReason::Returned),
        _ => Some(ReleaseReason::Manual),
    };
    if let Some(reason) = reason {
        return Ok(Some(release(c, POOL.into(), reason, None, due)));
    }
    match due {
        Some(Due::Release(reason)) => Ok(Some(release(c, POOL.into(), reason, None, due))),
        _ => Err(Error::invalid(
            "customer",
            c.id.as_str(),
            "is not due for release by the pool's rules; a service identity releases due customers only",
        )),
    }
}

fn release(c: &Customer, to: String, reason: ReleaseReason, backup: Option<String>, due: Option<Due>) -> Release {
    Release {
        customer: c.id.to_string(),
        name: c.name.clone(),
        from: c.owner.clone(),
        to,
        reason,
        region: c.region.clone(),
        tier: c.tier.clone(),
        value: c.value,
        last_touch: c.last_touch(),
        backup,
        due,
    }
}

/// Every customer due on `day`, with its file: the catalog says which
/// might be, and those files are read and judged again. A file that cannot
/// be read cannot be judged, and stays.
fn due_now(snapshot: &Snapshot<'_>, config: &StoreConfig, day: Date) -> Result<Vec<Source>> {
    let catalog = Catalog::load(snapshot)?;
    // The catalog's dates are compared as numbers, without a calendar.
    let rules = Rules::<DayKey>::on(&config.pool, day);
    let key = DayKey::of(day);
    let wanted = catalog.files(|e| e.facts(key).is_some_and(|f| rules.due(&f).is_some()))?;
    ownership::read_files(snapshot, wanted)
}

fn subject(releases: &[Release]) -> String {
    if let [r] = releases {
        return format!("pool release {}: {} -> {}", r.customer, r.from, r.to);
    }
    let pooled = releases.iter().filter(|r| r.to == POOL).count();
    match releases.len() - pooled {
        0 => format!("pool release {pooled} customers"),
        n => format!("pool release {pooled} customers, {n} to their region's manager"),
    }
}
