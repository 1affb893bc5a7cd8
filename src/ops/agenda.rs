//! `crm agenda`: one person's day, one row per customer in the order to
//! work through them — customers the pool's rules will take from them
//! within `[pool] remind_days` (soonest first), next steps overdue (oldest
//! first), customers handed
//! to them that they have not touched since (the weekly report's
//! "unacknowledged handovers"), next steps due within the window (soonest
//! first), then their stale relationships (key accounts first).
//!
//! Fast for one person in a large store: the catalog cache says which
//! customers are theirs, so only those files are read (`crm list --owner`
//! reads them all); history, which handovers need, is read only when they
//! are asked for and the person owns customers, and then only the handover
//! window's commits are compared (from the history index when there is one,
//! else with a walk that reads every commit's date but compares only those).

use super::unseal::Opener;
use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::model::date::Date;
use crate::model::named::named_enum;
use crate::model::pool::{self, Due, ReleaseReason, POOL};
use crate::model::timestamp::Timestamp;
use crate::model::{Customer, Handle, Staff, StoreConfig};
use crate::ops::list::is_stale_relationship;
use crate::ops::report::handover::{handover_window, recent_handovers, unacknowledged, Unacknowledged};
use crate::store::catalog::Catalog;
use crate::store::snapshot::Readable;
use crate::store::Store;
use crate::Result;

/// Whose agenda, over which days.
#[derive(Debug, Clone)]
pub struct AgendaRequest {
    /// The person (a staff handle).
    pub person: String,
    /// Next steps dated on or before this day are due (and before today,
    /// overdue).
    pub until: Date,
    /// Whether to look for unacknowledged handovers (reads the history
    /// index; a calendar feed, which shows next steps only, skips it).
    pub handovers: bool,
}

named_enum! {
    /// Why a customer is on the agenda, most urgent first.
    Kind("agenda item") {
        Release = "release",
        Overdue = "overdue",
        Handover = "handover",
        Due = "due",
        Stale = "stale",
    }
}

/// One person's agenda.
#[derive(Debug, Clone, Serialize)]
pub struct Agenda {
    /// Their handle.
    pub person: String,
    /// Their name.
    pub name: String,
    /// The day it is for.
    pub today: Date,
    /// The last day of the window for due next steps.
    pub until: Date,
    /// One row per customer, most urgent first.
    pub items: Vec<Item>,
    /// When the store as read was last changed (HEAD's committer time): a
    /// calendar feed's DTSTAMP, the same for the same store.
    #[serde(skip)]
    pub revised: Timestamp,
}

/// A customer on the agenda.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// The most urgent reason it is here.
    pub kind: Kind,
    /// Its other reasons, most urgent first.
    pub also: Vec<Kind>,
    /// The day `kind` is about: the next step's date (overdue, due), the
    /// handover's (handover), the last touch or else the start of the
    /// relationship (stale; none when neither is known).
    pub date: Option<Date>,
    /// Days from today to `date` (negative: in the past).
    pub days: Option<i64>,
    /// Customer id.
    pub customer: String,
    /// Customer name.
    pub name: String,
    /// Tier.
    pub tier: String,
    /// Annual value.
    pub value: Option<u64>,
    /// The next step, if any.
    pub next_step: Option<String>,
    /// Its date.
    pub next_date: Option<Date>,
    /// When the customer was handed over to the person (unacknowledged
    /// handovers only).
    pub handed_over: Option<Date>,
    /// Who had it before (unacknowledged handovers only).
    pub from: Option<String>,
    /// The last touch, by anyone.
    pub last_touch: Option<Date>,
    /// When the relationship began.
    pub since: Option<Date>,
    /// When the pool's rules take it from the person, within `[pool]
    /// remind_days`.
    pub release: Option<Release>,
}

/// A customer the pool's rules take from its owner soon, unless they act.
#[derive(Debug, Clone, Serialize)]
pub struct Release {
    /// The day the rules make it due: the nightly run of that day (in the
    /// small hours, as `examples/cron/` runs it) takes it.
    pub on: Date,
    /// Which rule.
    pub reason: ReleaseReason,
    /// Where it goes: `@pool`, or for an exempt tier its region's manager,
    /// else an admin ([`pool::receiver`]).
    pub to: String,
}

impl Item {
    /// Every reason it is here, most urgent first.
    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        std::iter::once(self.kind).chain(self.also.iter().copied())
    }
}

/// The agenda of `req.person` on `today`, and the files that could not be
/// read (which may be theirs).
pub fn run(store: &Store, req: &AgendaRequest, today: Date) -> Result<Readable<Agenda>> {
    let head = store.head()?;
    let config = head.config()?;
    let handle = Handle::parse(&req.person)?;
    let person = head.person(&handle)?;
    // The tree says which files exist (and which the shape rules leave
    // out, as for `crm list`); the catalog who owns each.
    let Readable { value: files, mut skipped } = head.readable_customer_entries()?;
    let catalog = Catalog::load(&head)?;
    let wanted: HashSet<&str> =
        catalog.entries().filter(|e| !e.readable || e.owner == handle.as_str()).map(|e| e.id).collect();
    let files = files.into_iter().filter(|f| wanted.contains(f.stem.as_str())).collect();
    // Unreadable files are read too, for the reason they are left out.
    let Readable { value: mut customers, skipped: unreadable } = head.map_readable_entries(files, |c| c)?;
    skipped.extend(unreadable);
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    customers.retain(|c| c.owner == handle.as_str());

    let handovers = if req.handovers && !customers.is_empty() {
        // Only the handover window's events are needed: on a fresh clone,
        // without the history index, only its commits are compared. (Of the
        // handovers, `unacknowledged` keeps those of `customers`.)
        let events = store.recent_events(handover_window(&config.policy, today))?;
        let moves = recent_handovers(&events, &config.policy, today);
        unacknowledged(&customers, &moves, today).into_iter().map(|u| (u.customer.clone(), u)).collect()
    } else {
        BTreeMap::new()
    };
    let whose = Whose { person: handle.to_string(), name: person.name, revised: store.head_time()? };
    let staff = if customers.is_empty() { BTreeMap::new() } else { head.staff()? };
    let mut agenda =
        build(whose, &customers, &handovers, &Context { config: &config, staff: &staff }, req.until, today);
    open_next_steps(&mut agenda, &customers, &Opener::new(store, &config)?);
    Ok(Readable { value: agenda, skipped })
}

/// In a sealed store, the next steps on `agenda` opened as far as the
/// acting user's key allows (only the customers on it are opened).
pub(crate) fn open_next_steps(agenda: &mut Agenda, customers: &[Customer], opener: &Opener<'_>) {
    let sealed = |step: &Option<String>| step.as_deref().is_some_and(crate::seal::value::is_sealed);
    for item in agenda.items.iter_mut().filter(|i| sealed(&i.next_step)) {
        if let Some(c) = customers.iter().find(|c| c.id.as_str() == item.customer) {
            let mut c = c.clone();
            opener.open(&mut c);
            item.next_step = c.next_step;
        }
    }
}

/// Whose agenda it is, and when the store was last changed.
pub(crate) struct Whose {
    /// Their handle.
    pub person: String,
    /// Their name.
    pub name: String,
    /// HEAD's committer time.
    pub revised: Timestamp,
}

/// What an agenda is judged by: the settings, and the staff (who receives
/// a key account the pool's rules take).
pub(crate) struct Context<'a> {
    /// `crm.toml`.
    pub config: &'a StoreConfig,
    /// Everyone, by handle.
    pub staff: &'a BTreeMap<Handle, Staff>,
}

/// The agenda of a person owning `customers`, with the unacknowledged
/// handovers among them (by customer id): the one definition of what is
/// on it and in which order, for `crm agenda` and `crm report digest`.
pub(crate) fn build(
    whose: Whose,
    customers: &[Customer],
    handovers: &BTreeMap<String, Unacknowledged>,
    cx: &Context<'_>,
    until: Date,
    today: Date,
) -> Agenda {
    let mut items: Vec<Item> = customers
        .iter()
        .filter_map(|c| {
            let reasons = Reasons {
                handover: handovers.get(c.id.as_str()),
                stale: is_stale_relationship(c, cx.config, today),
                release: release(c, cx, today),
            };
            item(c, reasons, until, today)
        })
        .collect();
    items.sort_by(|a, b| order(a).cmp(&order(b)));
    Agenda { person: whose.person, name: whose.name, today, until, items, revised: whose.revised }
}

impl Release {
    /// The last day its owner can act: the day before the run that takes
    /// it (today, when that run is tonight's or was missed).
    pub fn last_day(&self, today: Date) -> Date {
        self.on.plus_days(-1).max(today)
    }
}

/// When the pool's rules take `c` from its owner within `[pool]
/// remind_days` of `today`, and to whom. A key account that would stay
/// (its owner already receives such accounts, or nobody does) is not.
fn release(c: &Customer, cx: &Context<'_>, today: Date) -> Option<Release> {
    let last = today.plus_days(cx.config.pool.remind_days.into());
    let (on, due) = pool::next_due(c, &cx.config.pool, today, last)?;
    let to = match due {
        Due::Release(_) => POOL.to_string(),
        Due::ToManager(_) => match pool::receiver(c.region.as_deref(), cx.staff) {
            Some(m) if m.handle.as_str() != c.owner => m.handle.to_string(),
            _ => return None,
        },
    };
    Some(Release { on, reason: due.reason(), to })
}

/// Why a customer may be on the agenda, besides its next step.
struct Reasons<'a> {
    handover: Option<&'a Unacknowledged>,
    stale: bool,
    release: Option<Release>,
}

/// `c`'s row, when it has a reason to be on the agenda.
fn item(c: &Customer, reasons: Reasons<'_>, until: Date, today: Date) -> Option<Item> {
    let Reasons { handover, stale, release } = reasons;
    let mut kinds = Vec::new();
    match c.next_date {
        Some(d) if d < today => kinds.push(Kind::Overdue),
        Some(d) if d <= until => kinds.push(Kind::Due),
        _ => {}
    }
    if release.is_some() {
        kinds.push(Kind::Release);
    }
    if handover.is_some() {
        kinds.push(Kind::Handover);
    }
    if stale {
        kinds.push(Kind::Stale);
    }
    kinds.sort();
    let (&kind, also) = kinds.split_first()?;
    let date = match kind {
        Kind::Overdue | Kind::Due => c.next_date,
        Kind::Release => release.as_ref().map(|r| r.last_day(today)),
        Kind::Handover => handover.map(|h| h.reassigned),
        // As the report counts a stale relationship's days.
        Kind::Stale => c.last_touch().or(c.since),
    };
    Some(Item {
        kind,
        also: also.to_vec(),
        date,
        days: date.map(|d| today.days_until(d)),
        customer: c.id.to_string(),
        name: c.name.clone(),
        tier: c.tier.clone(),
        value: c.value,
        next_step: c.next_step.clone(),
        next_date: c.next_date,
        handed_over: handover.map(|h| h.reassigned),
        from: handover.and_then(|h| h.from.clone()),
        last_touch: c.last_touch(),
        since: c.since,
        release,
    })
}

/// Where a row goes: by kind; overdue, releases, handovers and due by
/// date, oldest first; stale key accounts before the others, each longest untouched
/// first (never touched, with no start date, first of all); then by id.
fn order(item: &Item) -> (Kind, bool, Option<Date>, &str) {
    let other_tier = item.kind == Kind::Stale && item.tier != "key";
    (item.kind, other_tier, item.date, item.customer.as_str())
}
