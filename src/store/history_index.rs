//! A cache of first-parent history — every commit with its date, and the
//! ownership events it made — kept in `.git/crm/history` with the commit it
//! was built at. `crm log` and the
//! reports read it instead of comparing 100,000 trees; a new commit costs one
//! tree comparison to bring it up to date. History rewritten under it (a sync
//! that replayed local commits) drops only the events of commits that are
//! gone. A missing or damaged file is rebuilt, on all cores; the cache is
//! never needed for correctness: deleting it changes no output.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Tree};
use rayon::prelude::*;

use super::history::{commit_date, customer_of, owner_in, EventKind};
use super::layout::{toml_stem, CUSTOMERS_DIR};
use super::shallow::Boundary;
use super::treediff;
use crate::model::date::Date;
use crate::model::CustomerId;
use crate::Result;

const HEADER: &str = "crm history v2";

/// One change of ownership, without who made it (that is looked up only for
/// the events shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// The commit.
    pub commit: Oid,
    /// Its committer date.
    pub date: Date,
    /// add, reassign or remove.
    pub action: EventKind,
    /// Customer id.
    pub customer: String,
    /// Owner before.
    pub from: Option<String>,
    /// Owner after.
    pub to: Option<String>,
}

/// One first-parent commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The commit.
    pub id: Oid,
    /// Its committer date.
    pub date: Date,
}

/// First-parent history from a commit: every step, newest first, and every
/// ownership event, newest first.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Every first-parent commit (the parent of `steps[i]` is `steps[i + 1]`).
    pub steps: Vec<Step>,
    /// Every ownership event.
    pub events: Vec<RawEvent>,
}

/// First-parent history from `head`, from the cache (brought up to date and
/// saved) or built afresh.
pub fn load(repo: &Repository, head: Oid) -> Result<History> {
    let path = cache_path(repo);
    let cached = fs::read_to_string(&path).ok().and_then(|t| parse(&t));
    let history = match cached {
        Some((tip, history)) if tip == head => return Ok(history),
        Some((tip, history)) => match update(repo, head, tip, history)? {
            Some(history) => history,
            None => build(repo, head)?,
        },
        None => build(repo, head)?,
    };
    let _ = save(&path, head, &history);
    Ok(history)
}

/// Every ownership event reachable from `head`, newest first.
pub fn events(repo: &Repository, head: Oid) -> Result<Vec<RawEvent>> {
    Ok(load(repo, head)?.events)
}

/// The ownership events from `head` made by first-parent commits dated
/// `since` or later, newest first: the same events as [`load`]'s, from the
/// cache when there is one. Without it, every first-parent commit's date is
/// read (a backdated commit cannot hide older ones) but only the commits of
/// the period are compared with their parents, and no cache is written: on
/// a fresh clone of 100,000 commits that takes seconds, where building the
/// whole index takes minutes.
pub fn recent_events(repo: &Repository, head: Oid, since: Date) -> Result<Vec<RawEvent>> {
    if cache_path(repo).exists() {
        return Ok(load(repo, head)?.events.into_iter().filter(|e| e.date >= since).collect());
    }
    let boundary = Boundary::of(repo);
    let mut line = Vec::new();
    let mut next = Some(head);
    while let Some(id) = next {
        let commit = repo.find_commit(id)?;
        line.push((id, commit_date(&commit), commit.tree_id()));
        boundary.check(id.into())?;
        next = commit.parent_id(0).ok();
    }
    let mut out = Vec::new();
    for (i, step) in line.iter().enumerate().filter(|(_, s)| s.1 >= since) {
        // The commit and its parent (none for the root).
        let pair = &line[i..(i + 2).min(line.len())];
        out.extend(events_of_line(repo, pair, pair.len() == 2)?.into_iter().filter(|e| e.commit == step.0));
    }
    Ok(out)
}

fn cache_path(repo: &Repository) -> PathBuf {
    repo.path().join("crm").join("history")
}

/// Brings cached events at `tip` up to `head`; `None` when it is simpler to
/// rebuild (the common ancestor is not on `head`'s first-parent line).
fn update(repo: &Repository, head: Oid, tip: Oid, old: History) -> Result<Option<History>> {
    let History { mut steps, mut events } = old;
    let Ok(base) = repo.merge_base(head, tip) else { return Ok(None) };
    // Commits of the old line that are gone (rewritten by a sync).
    let mut gone = HashSet::new();
    let mut next = Some(tip);
    while let Some(id) = next.filter(|id| *id != base) {
        gone.insert(id);
        next = repo.find_commit(id)?.parent_id(0).ok();
    }
    if next.is_none() {
        return Ok(None);
    }
    events.retain(|e| !gone.contains(&e.commit));
    steps.retain(|s| !gone.contains(&s.id));
    // Commits of the new line, newest first.
    let boundary = Boundary::of(repo);
    let mut fresh = Vec::new();
    let mut next = Some(head);
    while let Some(id) = next.filter(|id| *id != base) {
        let commit = repo.find_commit(id)?;
        fresh.push((id, commit_date(&commit), commit.tree_id()));
        boundary.check(id.into())?;
        next = commit.parent_id(0).ok();
    }
    if next.is_none() {
        return Ok(None);
    }
    let base_tree = repo.find_commit(base)?.tree_id();
    let mut line = fresh;
    line.push((base, Date(chrono::NaiveDate::MIN), base_tree));
    let mut new_events = events_of_line(repo, &line, true)?;
    new_events.append(&mut events);
    let mut new_steps: Vec<Step> =
        line[..line.len() - 1].iter().map(|(id, date, _)| Step { id: *id, date: *date }).collect();
    new_steps.append(&mut steps);
    Ok(Some(History { steps: new_steps, events: new_events }))
}

/// Builds all events from scratch, comparing trees on all cores.
fn build(repo: &Repository, head: Oid) -> Result<History> {
    let boundary = Boundary::of(repo);
    let mut line = Vec::new();
    let mut next = Some(head);
    while let Some(id) = next {
        let commit = repo.find_commit(id)?;
        line.push((id, commit_date(&commit), commit.tree_id()));
        boundary.check(id.into())?;
        next = commit.parent_id(0).ok();
    }
    let threads = rayon::current_num_threads().max(1);
    let chunk = line.len().div_ceil(threads * 4).max(64);
    let git_dir = repo.path().to_path_buf();
    let starts: Vec<usize> = (0..line.len()).step_by(chunk).collect();
    let parts: Vec<Vec<RawEvent>> = starts
        .into_par_iter()
        .map(|start| {
            let own = Repository::open(&git_dir)?;
            // Each part also looks at the parent of its last commit.
            let end = (start + chunk + 1).min(line.len());
            events_of_line(&own, &line[start..end], end < line.len())
        })
        .collect::<Result<_>>()?;
    let steps = line.iter().map(|(id, date, _)| Step { id: *id, date: *date }).collect();
    Ok(History { steps, events: parts.into_iter().flatten().collect() })
}

/// The events of a first-parent line (newest first); with `last_is_base`,
/// the last entry only serves as the parent of the one before it.
fn events_of_line(repo: &Repository, line: &[(Oid, Date, Oid)], last_is_base: bool) -> Result<Vec<RawEvent>> {
    let mut out = Vec::new();
    let judged = if last_is_base { line.len().saturating_sub(1) } else { line.len() };
    let tree = |id: Oid| -> Result<Tree<'_>> { Ok(repo.find_tree(id)?) };
    let mut current = match line.first() {
        Some((_, _, t)) => Some(tree(*t)?),
        None => return Ok(out),
    };
    for i in 0..judged {
        let (commit, date, _) = line[i];
        let parent = line.get(i + 1).map(|(_, _, t)| tree(*t)).transpose()?;
        for change in treediff::diff_dir(repo, parent.as_ref(), current.as_ref(), CUSTOMERS_DIR)? {
            if toml_stem(&change.path).is_none() {
                continue;
            }
            let (old, new) = (change.old.map(|b| b.id.git()), change.new.map(|b| b.id.git()));
            let (from, to) = (owner_in(repo, old)?, owner_in(repo, new)?);
            let action = match (old, new) {
                (None, Some(_)) => EventKind::Add,
                (Some(_), None) => EventKind::Remove,
                _ if from != to => EventKind::Reassign,
                _ => continue,
            };
            out.push(RawEvent { commit, date, action, customer: customer_of(&change.path), from, to });
        }
        current = parent;
    }
    Ok(out)
}

fn save(path: &Path, tip: Oid, history: &History) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(path);
    fs::create_dir_all(dir)?;
    let mut text = String::with_capacity(history.steps.len() * 60 + history.events.len() * 60);
    let _ = writeln!(text, "{HEADER} {tip}");
    let mut events = history.events.iter().peekable();
    for step in &history.steps {
        let _ = writeln!(text, "C\t{}\t{}", step.id, step.date);
        while let Some(e) = events.next_if(|e| e.commit == step.id) {
            let action = match e.action {
                EventKind::Add => 'a',
                EventKind::Reassign => 'r',
                EventKind::Remove => 'd',
            };
            let o = |v: &Option<String>| v.clone().unwrap_or_default();
            let _ = writeln!(text, "E\t{}\t{action}\t{}\t{}", e.customer, o(&e.from), o(&e.to));
        }
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn action_code(action: EventKind) -> char {
    match action {
        EventKind::Add => 'a',
        EventKind::Reassign => 'r',
        EventKind::Remove => 'd',
    }
}

fn action_of(code: &str) -> Option<EventKind> {
    match code {
        "a" => Some(EventKind::Add),
        "r" => Some(EventKind::Reassign),
        "d" => Some(EventKind::Remove),
        _ => None,
    }
}

fn parse(text: &str) -> Option<(Oid, History)> {
    let mut lines = text.lines();
    let tip = Oid::from_str(lines.next()?.strip_prefix(HEADER)?.trim()).ok()?;
    let mut events = Vec::new();
    let mut steps = Vec::new();
    let mut current: Option<(Oid, Date)> = None;
    for line in lines {
        let mut f = line.split('\t');
        match f.next()? {
            "C" => {
                let step = Step { id: Oid::from_str(f.next()?).ok()?, date: Date::parse(f.next()?).ok()? };
                current = Some((step.id, step.date));
                steps.push(step);
            }
            "E" => {
                let (commit, date) = current?;
                let customer = f.next()?.to_string();
                let action = action_of(f.next()?)?;
                let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
                let (from, to) = (some(f.next()?), some(f.next()?));
                events.push(RawEvent { commit, date, action, customer, from, to });
            }
            _ => return None,
        }
    }
    Some((tip, History { steps, events }))
}

/// Every ownership event of one customer, newest first. From the history
/// index when there is one; otherwise from a small per-customer cache
/// (`.git/crm/paths/<id>`) kept up to date by walking first-parent history
/// and comparing only that file's path — the way `git log -- path` does, so
/// the first `crm log ID` in a large store does not wait for the full index.
pub fn customer_events(repo: &Repository, head: Oid, id: &CustomerId) -> Result<Vec<RawEvent>> {
    if cache_path(repo).exists() {
        return Ok(load(repo, head)?.events.into_iter().filter(|e| e.customer == id.as_str()).collect());
    }
    let file = repo.path().join("crm").join("paths").join(id.as_str());
    let cached = fs::read_to_string(&file).ok().and_then(|t| parse_path_cache(&t, id));
    let events = match cached {
        Some((tip, events)) if tip == head => return Ok(events),
        Some((tip, mut events)) => match path_walk(repo, head, Some(tip), id)? {
            (mut fresh, true) => {
                fresh.append(&mut events);
                fresh
            }
            (fresh, false) => fresh,
        },
        None => path_walk(repo, head, None, id)?.0,
    };
    let _ = save_path_cache(&file, head, &events);
    Ok(events)
}

/// The state of one customer file in one commit.
struct FileAt {
    commit: Oid,
    date: Date,
    customers: Option<Oid>,
    shard: Option<Oid>,
    blob: Option<Oid>,
}

/// Walks from `head` towards `stop` (or the root), reading only the trees on
/// the customer's path and only when their ids change. Returns the events
/// and whether `stop` was reached.
fn path_walk(repo: &Repository, head: Oid, stop: Option<Oid>, id: &CustomerId) -> Result<(Vec<RawEvent>, bool)> {
    let (shard, file) = (id.shard(), format!("{id}.toml"));
    let mut events = Vec::new();
    let mut newer: Option<FileAt> = None;
    let mut next = Some(head);
    let mut reached = false;
    let boundary = Boundary::of(repo);
    while let Some(oid) = next {
        let commit = repo.find_commit(oid)?;
        let tree = commit.tree()?;
        let customers = tree.get_name(CUSTOMERS_DIR).map(|e| e.id());
        let (shard_id, blob) = match &newer {
            Some(n) if n.customers == customers => (n.shard, n.blob),
            _ => {
                let shard_id = match customers {
                    Some(c) => repo.find_tree(c).ok().and_then(|t| t.get_name(&shard).map(|e| e.id())),
                    None => None,
                };
                match &newer {
                    Some(n) if n.shard == shard_id => (shard_id, n.blob),
                    _ => {
                        let blob = shard_id.and_then(|s| repo.find_tree(s).ok()?.get_name(&file).map(|e| e.id()));
                        (shard_id, blob)
                    }
                }
            }
        };
        let here = FileAt { commit: oid, date: commit_date(&commit), customers, shard: shard_id, blob };
        if let Some(n) = &newer {
            push_change(repo, n, here.blob, id, &mut events)?;
        }
        if Some(oid) == stop {
            reached = true;
            break;
        }
        boundary.check(oid.into())?;
        next = commit.parent_id(0).ok();
        newer = Some(here);
    }
    if !reached {
        if let Some(n) = &newer {
            push_change(repo, n, None, id, &mut events)?;
        }
    }
    Ok((events, reached))
}

/// The event, if any, of `newer` against the version before it.
fn push_change(
    repo: &Repository,
    newer: &FileAt,
    before: Option<Oid>,
    id: &CustomerId,
    out: &mut Vec<RawEvent>,
) -> Result<()> {
    if newer.blob == before {
        return Ok(());
    }
    let (from, to) = (owner_in(repo, before)?, owner_in(repo, newer.blob)?);
    let action = match (before, newer.blob) {
        (None, Some(_)) => EventKind::Add,
        (Some(_), None) => EventKind::Remove,
        _ if from != to => EventKind::Reassign,
        _ => return Ok(()),
    };
    out.push(RawEvent { commit: newer.commit, date: newer.date, action, customer: id.to_string(), from, to });
    Ok(())
}

const PATH_HEADER: &str = "crm path v1";

fn save_path_cache(path: &Path, tip: Oid, events: &[RawEvent]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(path);
    fs::create_dir_all(dir)?;
    let mut text = format!("{PATH_HEADER} {tip}\n");
    for e in events {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let _ = writeln!(text, "{}\t{}\t{}\t{}\t{}", e.commit, e.date, action_code(e.action), o(&e.from), o(&e.to));
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn parse_path_cache(text: &str, id: &CustomerId) -> Option<(Oid, Vec<RawEvent>)> {
    let mut lines = text.lines();
    let tip = Oid::from_str(lines.next()?.strip_prefix(PATH_HEADER)?.trim()).ok()?;
    let customer = id.to_string();
    let mut events = Vec::new();
    for line in lines {
        let mut f = line.split('\t');
        let commit = Oid::from_str(f.next()?).ok()?;
        let date = Date::parse(f.next()?).ok()?;
        let action = action_of(f.next()?)?;
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let (from, to) = (some(f.next()?), some(f.next()?));
        events.push(RawEvent { commit, date, action, customer: customer.clone(), from, to });
    }
    Some((tip, events))
}
