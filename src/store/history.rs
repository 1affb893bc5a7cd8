//! Ownership history derived from the trees, not from commit messages:
//! walking first-parent history, every commit that adds a customer file,
//! removes one, or changes its `owner` is an event, whoever made it and
//! however (with `crm` or with plain git). An owner changed to the pool is
//! a release; from the pool, a claim (or, made by someone else than the new
//! owner, an assignment).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, TimeZone};
use git2::{Commit, Oid, Repository};
use serde::Serialize;

use super::history_index;
use super::layout;
use super::sigcheck::{self, Gpg, KeyRing, SigStatus};
use super::Snapshot;
use crate::model::customer::{read_holder, Holder};
use crate::model::date::Date;
use crate::model::pool::POOL;
use crate::model::{CustomerId, Handle, Staff};
use crate::Result;

/// What happened to a customer's ownership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// The customer file appeared.
    Add,
    /// The owner changed.
    Reassign,
    /// The customer file was deleted.
    Remove,
    /// The owner became the pool.
    Release,
    /// The owner was the pool and the new owner took it.
    Claim,
    /// The owner was the pool and someone gave it to the new owner (known
    /// once the actor is: the history index stores it as a claim).
    Assign,
}

impl EventKind {
    /// The action as shown in tables.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Add => "add",
            EventKind::Reassign => "reassign",
            EventKind::Remove => "remove",
            EventKind::Release => "release",
            EventKind::Claim => "claim",
            EventKind::Assign => "assign",
        }
    }

    /// The event, if any, of a customer file going from `old` to `new`
    /// (blobs), whose holders are `from` and `to`; a release carries why.
    pub fn of(
        old: Option<Oid>,
        new: Option<Oid>,
        from: Option<&Holder>,
        to: Option<&Holder>,
    ) -> Option<(EventKind, Option<String>)> {
        let (was, is) = (from.map(|h| h.owner.as_str()), to.map(|h| h.owner.as_str()));
        let kind = match (old, new) {
            (None, Some(_)) => EventKind::Add,
            (Some(_), None) => EventKind::Remove,
            _ if was == is => return None,
            _ if is == Some(POOL) => EventKind::Release,
            _ if was == Some(POOL) => EventKind::Claim,
            _ => EventKind::Reassign,
        };
        let reason = (kind == EventKind::Release).then(|| to.and_then(|h| h.pool_reason.clone())).flatten();
        Some((kind, reason))
    }

    /// Whether the customer changed hands from one holder to another (a
    /// handover the new owner should follow up; of the changes from the
    /// pool, only assignments are, which the files tell from claims).
    pub fn hands_over(self) -> bool {
        matches!(self, EventKind::Reassign | EventKind::Claim | EventKind::Assign)
    }
}

/// One change of ownership, as found in the trees.
#[derive(Debug, Clone, Serialize)]
pub struct OwnershipEvent {
    /// Committer date of the commit, `YYYY-MM-DD` in its own time zone.
    pub date: Date,
    /// Committer time, RFC 3339.
    pub time: String,
    /// Full commit id.
    pub commit: String,
    /// add, reassign or remove.
    pub action: EventKind,
    /// Customer id.
    pub customer: String,
    /// Owner before (none for add).
    pub from: Option<String>,
    /// Owner after (none for remove).
    pub to: Option<String>,
    /// Who did it: the signer when the signature is good, else the staff
    /// member whose email is the committer's, else that email.
    pub actor: String,
    /// The commit's signature status.
    pub signature: SigStatus,
    /// `Crm-Reason:` trailer, or the subject of a commit made without crm.
    pub reason: Option<String>,
    /// For a release, why the customer went to the pool (its `pool_reason`).
    pub pool_reason: Option<String>,
}

/// Which events to return.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// Only this customer.
    pub customer: Option<CustomerId>,
    /// Only events where this person is the old or new owner.
    pub owner: Option<String>,
    /// Only commits on or after this date.
    pub since: Option<Date>,
    /// Only commits on or before this date.
    pub until: Option<Date>,
}

/// Says who made a commit, caching staff and keys per `staff/` tree (and
/// each staff file read, by blob, for the next tree).
#[derive(Default)]
pub struct Attribution {
    people: HashMap<Option<Oid>, (BTreeMap<Handle, Staff>, KeyRing)>,
    files: HashMap<Oid, Staff>,
}

impl Attribution {
    /// The actor of `commit` (the signer when the signature is good, else
    /// the staff member with the committer's email, else that email) and
    /// the signature status, judged by the staff files of the commit's tree.
    pub fn actor(&mut self, repo: &Repository, commit: &Commit, gpg: &Gpg) -> Result<(String, SigStatus)> {
        let snapshot = Snapshot::new(repo, Some(commit.tree()?));
        let (staff, ring) = self.people.entry(snapshot.staff_tree_id()).or_insert_with(|| {
            let staff = snapshot.staff_reusing(&mut self.files).unwrap_or_default();
            let ring = KeyRing::from_staff(&staff);
            (staff, ring)
        });
        let checked = sigcheck::check(repo, commit.id(), ring, gpg);
        Ok((actor_of(commit, checked.signer.as_ref(), staff), checked.status))
    }
}

/// Who holds the customer of a blob (`None` for no blob, or one with no
/// readable owner); a blob missing from the clone is an error.
pub fn holder_in(repo: &Repository, blob: Option<Oid>) -> crate::Result<Option<Holder>> {
    let Some(id) = blob else { return Ok(None) };
    let blob = repo.find_blob(id).map_err(|e| crate::Error::from_lookup(e, id))?;
    Ok(std::str::from_utf8(blob.content()).ok().and_then(read_holder))
}

/// The customer id of a customer file path.
pub fn customer_of(path: &str) -> String {
    path.rsplit('/').next().and_then(layout::toml_stem).unwrap_or(path).to_string()
}

/// The ownership events `query` selects, newest first, along first-parent
/// history from `head` (from the history index, [`super::history_index`]).
/// `progress` hears how building the index goes.
pub fn ownership_events(
    repo: &Repository,
    head: Oid,
    query: &HistoryQuery,
    gpg: &Gpg,
    progress: Option<&history_index::ProgressFn>,
) -> Result<Vec<OwnershipEvent>> {
    let events = match &query.customer {
        Some(id) => history_index::customer_events(repo, head, id, progress)?,
        None => history_index::events(repo, head, progress)?,
    };
    describe(repo, events, query, gpg)
}

/// The events of `events` that `query` selects, with who made them, their
/// signature status and reason (looked up once per commit).
pub fn describe(
    repo: &Repository,
    events: impl IntoIterator<Item = history_index::RawEvent>,
    query: &HistoryQuery,
    gpg: &Gpg,
) -> Result<Vec<OwnershipEvent>> {
    let mut attribution = Attribution::default();
    let mut described: HashMap<Oid, (String, SigStatus, Option<String>, String)> = HashMap::new();
    let mut out = Vec::new();
    for e in events {
        let selected = query.customer.as_ref().is_none_or(|id| id.as_str() == e.customer)
            && query.owner.as_ref().is_none_or(|o| e.from.as_ref() == Some(o) || e.to.as_ref() == Some(o))
            && query.since.is_none_or(|since| e.date >= since)
            && query.until.is_none_or(|until| e.date <= until);
        if !selected {
            continue;
        }
        let (actor, signature, reason, time) = match described.entry(e.commit) {
            std::collections::hash_map::Entry::Occupied(known) => known.get().clone(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let commit = repo.find_commit(e.commit)?;
                let (actor, signature) = attribution.actor(repo, &commit, gpg)?;
                let time = commit_time(&commit).to_rfc3339();
                slot.insert((actor, signature, reason_of(&commit), time)).clone()
            }
        };
        let action = match e.action {
            EventKind::Claim if e.to.as_deref() != Some(actor.as_str()) => EventKind::Assign,
            other => other,
        };
        out.push(OwnershipEvent {
            date: e.date,
            time,
            commit: e.commit.to_string(),
            action,
            customer: e.customer,
            from: e.from,
            to: e.to,
            actor,
            signature,
            reason,
            pool_reason: e.pool_reason,
        });
    }
    Ok(out)
}

/// The committer time in the committer's time zone.
pub fn commit_time(commit: &Commit) -> DateTime<FixedOffset> {
    let t = commit.committer().when();
    let offset =
        FixedOffset::east_opt(t.offset_minutes() * 60).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
    offset.timestamp_opt(t.seconds(), 0).single().unwrap_or_default()
}

/// The committer date in the committer's time zone.
pub fn commit_date(commit: &Commit) -> Date {
    Date(commit_time(commit).date_naive())
}

fn actor_of(commit: &Commit, signer: Option<&Handle>, staff: &BTreeMap<Handle, Staff>) -> String {
    if let Some(handle) = signer {
        return handle.to_string();
    }
    let committer = commit.committer();
    let email = committer.email().unwrap_or_default();
    staff
        .values()
        .find(|s| s.email.eq_ignore_ascii_case(email))
        .map_or_else(|| format!("<{email}>"), |s| s.handle.to_string())
}

fn reason_of(commit: &Commit) -> Option<String> {
    let message = commit.message().unwrap_or_default();
    let trailers = git2::message_trailers_strs(message).ok();
    let trailer =
        |key: &str| trailers.as_ref()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.to_string());
    trailer("Crm-Reason").or_else(|| match trailer("Crm-Action") {
        Some(_) => None,
        None => commit.summary().ok().flatten().map(str::to_string),
    })
}
