//! A cache of first-parent history — every commit with its date, and the
//! ownership events it made — kept in `.git/crm/history` with the commit it
//! was built at. `crm log` and the
//! reports read it instead of comparing 100,000 trees; a new commit costs one
//! tree comparison to bring it up to date. History rewritten under it (a sync
//! that replayed local commits) drops only the events of commits that are
//! gone. A missing or damaged file is rebuilt: through `git log --raw` and
//! `git cat-file` running beside crm ([`super::history_scan`]), or, where
//! git cannot be used for it, by comparing trees with libgit2 on all cores.
//! The cache is never needed for correctness: deleting it changes no output.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use git2::{Oid, Repository, Tree};
use rayon::prelude::*;

use super::history::{commit_date, customer_of, holder_in, EventKind};
use super::history_scan::Scan;
#[cfg(test)]
use super::history_scan::Unavailable;
use super::layout::{toml_stem, CUSTOMERS_DIR};
use super::shallow::Boundary;
use super::treediff;
use crate::model::date::Date;
use crate::model::CustomerId;
use crate::Result;

const HEADER: &str = "crm history v3";

/// From how many new commits an update reads them through git rather
/// than comparing their trees one by one with libgit2 (a few milliseconds
/// each in a large store).
const SCAN_UPDATE_FROM: usize = 500;

/// How far building the history index has got, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Reading this many commits has begun.
    Start(u64),
    /// This many have been read.
    At(u64),
    /// Finished (or given up).
    Done,
}

/// What hears of a history index build's progress (the command line's
/// progress bar); called from any thread.
pub type ProgressFn = dyn Fn(Progress) + Send + Sync;

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
    /// For a release, why the customer went to the pool.
    pub pool_reason: Option<String>,
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Every first-parent commit (the parent of `steps[i]` is `steps[i + 1]`).
    pub steps: Vec<Step>,
    /// Every ownership event.
    pub events: Vec<RawEvent>,
}

/// First-parent history from `head`, from the cache (brought up to date and
/// saved) or built afresh; `progress` hears how a build goes.
pub fn load(repo: &Repository, head: Oid, progress: Option<&ProgressFn>) -> Result<History> {
    load_from(repo, head, fs::read_to_string(cache_path(repo)).ok(), progress)
}

/// [`load`], with the cache file's text already read (`None`: no cache).
fn load_from(repo: &Repository, head: Oid, text: Option<String>, progress: Option<&ProgressFn>) -> Result<History> {
    let path = cache_path(repo);
    let cached = text.as_deref().and_then(parse);
    drop(text);
    let history = match cached {
        Some((tip, history)) if tip == head => return Ok(history),
        Some((tip, history)) => match update(repo, head, tip, history, progress)? {
            Some(history) => history,
            None => build(repo, head, progress)?,
        },
        None => build(repo, head, progress)?,
    };
    let _ = save(&path, head, &history);
    Ok(history)
}

/// Every ownership event reachable from `head`, newest first.
pub fn events(repo: &Repository, head: Oid, progress: Option<&ProgressFn>) -> Result<Vec<RawEvent>> {
    Ok(load(repo, head, progress)?.events)
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
        return Ok(load(repo, head, None)?.events.into_iter().filter(|e| e.date >= since).collect());
    }
    let line = first_parent_line(repo, head)?;
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
fn update(
    repo: &Repository,
    head: Oid,
    tip: Oid,
    old: History,
    progress: Option<&ProgressFn>,
) -> Result<Option<History>> {
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
    // A long line of new commits (a fetch after weeks) is read through git.
    let scanned = match fresh.len() >= SCAN_UPDATE_FROM {
        true => Scan::start(repo, head, Some(base)).ok().and_then(|scan| scanned(scan, &fresh, progress)),
        false => None,
    };
    let mut new_events = match scanned {
        Some(events) => events,
        None => {
            let base_tree = repo.find_commit(base)?.tree_id();
            let mut line = fresh.clone();
            line.push((base, Date(chrono::NaiveDate::MIN), base_tree));
            events_of_line(repo, &line, true)?
        }
    };
    new_events.append(&mut events);
    let mut new_steps: Vec<Step> = fresh.iter().map(|(id, date, _)| Step { id: *id, date: *date }).collect();
    new_steps.append(&mut steps);
    Ok(Some(History { steps: new_steps, events: new_events }))
}

/// The events of `line` read by `scan`, with progress; `None` when git
/// could not be used.
fn scanned(scan: Scan, line: &[(Oid, Date, Oid)], progress: Option<&ProgressFn>) -> Option<Vec<RawEvent>> {
    if let Some(progress) = progress {
        progress(Progress::Start(line.len() as u64));
    }
    let events = scan.events(line, progress);
    if let Some(progress) = progress {
        progress(Progress::Done);
    }
    events.ok()
}

/// The first-parent line from `head` to the root, newest first, as libgit2
/// reads it; an error at a shallow clone's boundary or a missing commit.
/// Read through a handle of its own: libgit2 keeps every commit it has
/// parsed in the handle's object cache (100 MB for 100,000 commits), which
/// goes with it.
fn first_parent_line(repo: &Repository, head: Oid) -> Result<Vec<(Oid, Date, Oid)>> {
    let own = super::reopen(repo.path());
    let repo = own.as_ref().unwrap_or(repo);
    let boundary = Boundary::of(repo);
    let mut line = Vec::new();
    let mut next = Some(head);
    while let Some(id) = next {
        let commit = repo.find_commit(id)?;
        line.push((id, commit_date(&commit), commit.tree_id()));
        boundary.check(id.into())?;
        next = commit.parent_id(0).ok();
    }
    Ok(line)
}

/// Builds all events from scratch: through git when it can be used (its
/// two processes start first and run while libgit2 walks the line), else
/// by comparing trees with libgit2 on all cores.
fn build(repo: &Repository, head: Oid, progress: Option<&ProgressFn>) -> Result<History> {
    let scan = Scan::start(repo, head, None);
    let line = first_parent_line(repo, head)?;
    let steps = line.iter().map(|(id, date, _)| Step { id: *id, date: *date }).collect();
    let events = match scan.ok().and_then(|scan| scanned(scan, &line, progress)) {
        Some(events) => events,
        None => compare_trees(repo, &line, progress)?,
    };
    Ok(History { steps, events })
}

/// Builds the history index both ways, for the tests that hold the two to
/// the same result: through git (an error when git could not be used) and
/// with libgit2.
#[cfg(test)]
pub(crate) fn build_both_ways(
    repo: &Repository,
    head: Oid,
) -> Result<(std::result::Result<History, Unavailable>, History)> {
    let line = first_parent_line(repo, head)?;
    let steps: Vec<Step> = line.iter().map(|(id, date, _)| Step { id: *id, date: *date }).collect();
    let by_git = Scan::start(repo, head, None)
        .and_then(|s| s.events(&line, None))
        .map(|events| History { steps: steps.clone(), events });
    Ok((by_git, History { steps, events: compare_trees(repo, &line, None)? }))
}

/// The events of `line` (to the root), comparing trees with libgit2 on
/// all cores.
fn compare_trees(repo: &Repository, line: &[(Oid, Date, Oid)], progress: Option<&ProgressFn>) -> Result<Vec<RawEvent>> {
    if let Some(progress) = progress {
        progress(Progress::Start(line.len() as u64));
    }
    let threads = rayon::current_num_threads().max(1);
    let chunk = line.len().div_ceil(threads * 4).max(64);
    let git_dir = repo.path().to_path_buf();
    let starts: Vec<usize> = (0..line.len()).step_by(chunk).collect();
    let read = AtomicUsize::new(0);
    let parts: Result<Vec<Vec<RawEvent>>> = starts
        .into_par_iter()
        .map(|start| {
            let own = super::reopen(&git_dir)?;
            // Each part also looks at the parent of its last commit.
            let end = (start + chunk + 1).min(line.len());
            let events = events_of_line(&own, &line[start..end], end < line.len());
            let judged = (start + chunk).min(line.len()) - start;
            let done = read.fetch_add(judged, Ordering::Relaxed) + judged;
            if let Some(progress) = progress {
                progress(Progress::At(done as u64));
            }
            events
        })
        .collect::<Result<_>>();
    if let Some(progress) = progress {
        progress(Progress::Done);
    }
    Ok(parts?.into_iter().flatten().collect())
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
            let (from, to) = (holder_in(repo, old)?, holder_in(repo, new)?);
            let Some((action, pool_reason)) = EventKind::of(old, new, from.as_ref(), to.as_ref()) else { continue };
            let (from, to) = (from.map(|h| h.owner), to.map(|h| h.owner));
            out.push(RawEvent { commit, date, action, customer: customer_of(&change.path), from, to, pool_reason });
        }
        current = parent;
    }
    Ok(out)
}

fn save(path: &Path, tip: Oid, history: &History) -> std::io::Result<()> {
    super::whole::write(path, text(tip, history).as_bytes())
}

/// The cache file's text: the header with the tip, then each step (`C`
/// line) followed by its events (`E` lines).
fn text(tip: Oid, history: &History) -> String {
    let mut text = String::with_capacity(history.steps.len() * 60 + history.events.len() * 60);
    let _ = writeln!(text, "{HEADER} {tip}");
    let mut events = history.events.iter().peekable();
    for step in &history.steps {
        let _ = writeln!(text, "C\t{}\t{}", step.id, step.date);
        while let Some(e) = events.next_if(|e| e.commit == step.id) {
            let o = |v: &Option<String>| v.clone().unwrap_or_default();
            let (action, reason) = (action_code(e.action), o(&e.pool_reason));
            let _ = writeln!(text, "E\t{}\t{action}\t{}\t{}\t{reason}", e.customer, o(&e.from), o(&e.to));
        }
    }
    text
}

/// How an event's action is written in the caches (an assignment is
/// stored as the claim it is in the trees).
fn action_code(action: EventKind) -> char {
    match action {
        EventKind::Add => 'a',
        EventKind::Reassign => 'r',
        EventKind::Remove => 'd',
        EventKind::Release => 'p',
        EventKind::Claim | EventKind::Assign => 'c',
    }
}

fn action_of(code: &str) -> Option<EventKind> {
    match code {
        "a" => Some(EventKind::Add),
        "r" => Some(EventKind::Reassign),
        "d" => Some(EventKind::Remove),
        "p" => Some(EventKind::Release),
        "c" => Some(EventKind::Claim),
        _ => None,
    }
}

fn parse(text: &str) -> Option<(Oid, History)> {
    let mut lines = text.lines();
    let tip = tip_of(lines.next()?)?;
    let mut events = Vec::new();
    let mut steps = Vec::new();
    let mut current: Option<&Step> = None;
    for line in lines {
        match line.split_once('\t')? {
            ("C", fields) => {
                steps.push(step_of(fields)?);
                current = steps.last();
            }
            ("E", fields) => events.push(event_of(fields, current?)?),
            _ => return None,
        }
    }
    Some((tip, History { steps, events }))
}

/// The tip named by the cache file's header line.
fn tip_of(header: &str) -> Option<Oid> {
    Oid::from_str(header.strip_prefix(HEADER)?.trim()).ok()
}

/// A step from the fields of its `C` line: commit, date.
fn step_of(fields: &str) -> Option<Step> {
    let (id, date) = fields.split_once('\t')?;
    Some(Step { id: Oid::from_str(id).ok()?, date: Date::parse(date).ok()? })
}

/// An event of `step` from the fields of its `E` line: customer, action,
/// owner before, owner after, pool reason.
fn event_of(fields: &str, step: &Step) -> Option<RawEvent> {
    let mut f = fields.split('\t');
    let customer = f.next()?.to_string();
    let action = action_of(f.next()?)?;
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let (from, to, pool_reason) = (some(f.next()?), some(f.next()?), some(f.next()?));
    Some(RawEvent { commit: step.id, date: step.date, action, customer, from, to, pool_reason })
}

/// The events of customer `id` in the cache file's `text`, newest first,
/// when the file is at `head`: only that customer's lines, found by
/// substring, and the step line above each are read (`crm log ID` and `crm
/// show` need a few lines of a file of a million). `None` when the file is
/// at another commit or a line read is damaged.
fn customer_lines(text: &str, head: Oid, id: &CustomerId) -> Option<Vec<RawEvent>> {
    let (header, _) = text.split_once('\n')?;
    if tip_of(header)? != head {
        return None;
    }
    let needle = format!("\nE\t{id}\t");
    let step_start = memchr::memmem::FinderRev::new(b"\nC\t");
    let mut out = Vec::new();
    for at in memchr::memmem::find_iter(text.as_bytes(), needle.as_bytes()) {
        let line_end = |from: usize| memchr::memchr(b'\n', &text.as_bytes()[from..]).map_or(text.len(), |n| from + n);
        let c = step_start.rfind(&text.as_bytes()[..=at])?;
        let step = step_of(text.get(c + 3..line_end(c + 1))?)?;
        out.push(event_of(text.get(at + 3..line_end(at + 1))?, &step)?);
    }
    Some(out)
}

/// Every ownership event of one customer, newest first. From the history
/// index when there is one; otherwise from a small per-customer cache
/// (`.git/crm/paths/<id>`) kept up to date by walking first-parent history
/// and comparing only that file's path — the way `git log -- path` does, so
/// the first `crm log ID` in a large store does not wait for the full index.
pub fn customer_events(
    repo: &Repository,
    head: Oid,
    id: &CustomerId,
    progress: Option<&ProgressFn>,
) -> Result<Vec<RawEvent>> {
    if let Ok(text) = fs::read_to_string(cache_path(repo)) {
        if let Some(events) = customer_lines(&text, head, id) {
            return Ok(events);
        }
        let history = load_from(repo, head, Some(text), progress)?;
        return Ok(history.events.into_iter().filter(|e| e.customer == id.as_str()).collect());
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
    let (from, to) = (holder_in(repo, before)?, holder_in(repo, newer.blob)?);
    let Some((action, pool_reason)) = EventKind::of(before, newer.blob, from.as_ref(), to.as_ref()) else {
        return Ok(());
    };
    let (from, to) = (from.map(|h| h.owner), to.map(|h| h.owner));
    out.push(RawEvent {
        commit: newer.commit,
        date: newer.date,
        action,
        customer: id.to_string(),
        from,
        to,
        pool_reason,
    });
    Ok(())
}

const PATH_HEADER: &str = "crm path v2";

fn save_path_cache(path: &Path, tip: Oid, events: &[RawEvent]) -> std::io::Result<()> {
    let mut text = format!("{PATH_HEADER} {tip}\n");
    for e in events {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let (action, reason) = (action_code(e.action), o(&e.pool_reason));
        let _ = writeln!(text, "{}\t{}\t{action}\t{}\t{}\t{reason}", e.commit, e.date, o(&e.from), o(&e.to));
    }
    super::whole::write(path, text.as_bytes())
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
        let (from, to, pool_reason) = (some(f.next()?), some(f.next()?), some(f.next()?));
        events.push(RawEvent { commit, date, action, customer: customer.clone(), from, to, pool_reason });
    }
    Some((tip, events))
}

#[cfg(test)]
mod tests {
    //! The history index read through git ([`super::super::history_scan`])
    //! held to the libgit2 tree comparison it replaced, on a history made
    //! to trip it up.
    use std::collections::{BTreeMap, HashMap};

    use git2::{Oid, Repository};

    use super::*;
    use crate::store::scratch::Scratch;

    /// What a path holds in a test tree.
    #[derive(Clone)]
    enum Entry {
        File(Vec<u8>, i32),
        Submodule(Oid),
    }

    fn file(text: &str) -> Entry {
        Entry::File(text.as_bytes().to_vec(), 0o100644)
    }

    fn customer(owner: &str) -> Entry {
        file(&format!("name = \"Customer of {owner}\"\nowner = \"{owner}\"\n"))
    }

    /// A tree of `files` (paths as bytes, any depth), with the blobs
    /// already written (by content).
    fn tree_with(repo: &Repository, files: &BTreeMap<Vec<u8>, Entry>, blobs: &mut HashMap<Vec<u8>, Oid>) -> Oid {
        let mut here = repo.treebuilder(None).unwrap();
        let mut dirs: BTreeMap<Vec<u8>, BTreeMap<Vec<u8>, Entry>> = BTreeMap::new();
        for (path, entry) in files {
            match path.iter().position(|b| *b == b'/') {
                Some(at) => {
                    dirs.entry(path[..at].to_vec()).or_default().insert(path[at + 1..].to_vec(), entry.clone());
                }
                None => {
                    let (id, mode) = match entry {
                        Entry::File(bytes, mode) => {
                            (*blobs.entry(bytes.clone()).or_insert_with(|| repo.blob(bytes).unwrap()), *mode)
                        }
                        Entry::Submodule(id) => (*id, 0o160000),
                    };
                    here.insert(path.clone(), id, mode).unwrap();
                }
            }
        }
        for (name, files) in dirs {
            here.insert(name, tree_with(repo, &files, blobs), 0o040000).unwrap();
        }
        here.write().unwrap()
    }

    /// A history built commit by commit, each from the previous files.
    struct Line<'s> {
        s: &'s Scratch,
        files: BTreeMap<Vec<u8>, Entry>,
        head: Option<Oid>,
        time: i64,
        blobs: HashMap<Vec<u8>, Oid>,
    }

    impl<'s> Line<'s> {
        fn new(s: &'s Scratch) -> Line<'s> {
            Line { s, files: BTreeMap::new(), head: None, time: 1_700_000_000, blobs: HashMap::new() }
        }

        fn set(&mut self, path: impl AsRef<[u8]>, entry: Entry) -> &mut Self {
            self.files.insert(path.as_ref().to_vec(), entry);
            self
        }

        fn remove(&mut self, path: impl AsRef<[u8]>) -> &mut Self {
            self.files.remove(path.as_ref());
            self
        }

        /// Commits the files on the head (and `others`), at a time zone
        /// of `offset` minutes.
        fn commit_merging(&mut self, others: &[Oid], offset: i32) -> Oid {
            let git = &self.s.repo.git;
            self.time += 7_200;
            let tree = git.find_tree(tree_with(git, &self.files, &mut self.blobs)).unwrap();
            let who =
                git2::Signature::new("Someone", "someone@example.com", &git2::Time::new(self.time, offset)).unwrap();
            let parents: Vec<git2::Commit> =
                self.head.iter().chain(others).map(|id| git.find_commit(*id).unwrap()).collect();
            let parents: Vec<&git2::Commit> = parents.iter().collect();
            let id = git.commit(None, &who, &who, "test", &tree, &parents).unwrap();
            self.head = Some(id);
            id
        }

        fn commit(&mut self) -> Oid {
            self.commit_merging(&[], 480)
        }
    }

    /// Builds the index of `head` both ways and asserts they agree.
    fn assert_same_both_ways(repo: &Repository, head: Oid) -> History {
        let (by_git, by_libgit2) = build_both_ways(repo, head).unwrap();
        let by_git = by_git.expect("git can be used here");
        assert_eq!(by_git.steps, by_libgit2.steps);
        assert_eq!(by_git.events, by_libgit2.events);
        by_git
    }

    #[test]
    fn git_and_libgit2_read_a_hostile_history_alike() {
        let s = Scratch::new();
        let mut line = Line::new(&s);
        line.set("crm.toml", file("company = \"T\"\n"))
            .set("customers/aa/acme.toml", customer("li.na"))
            .set("customers/aa/beta.toml", customer("li.na"))
            .set("customers/direct.toml", customer("wang.fang"))
            .set("customers/a/b/deep.toml", customer("zhang.wei"))
            .set("customers/aa/notes.txt", file("not a customer\n"))
            .set("staff/li.na.toml", file("x\n"));
        line.commit();
        // Names that are not UTF-8, a file and a directory.
        line.set(b"customers/aa/\xff.toml", customer("li.na"))
            .set(b"customers/\xfe/hidden.toml", customer("li.na"))
            .set(b"customers/\xfe/other.toml", customer("wang.fang"));
        line.commit();
        // A reassign, an edit keeping the owner, an unreadable file, a
        // file with no owner, a link, a copy, bytes that are not UTF-8.
        line.set("customers/aa/acme.toml", customer("wang.fang"))
            .set("customers/aa/beta.toml", file("name = \"Beta\"\nowner = \"li.na\"\nregion = \"x\"\n"))
            .set("customers/direct.toml", file("owner = = \"broken\"\n"))
            .set("customers/bb/nobody.toml", file("name = \"Nobody\"\n"))
            .set("customers/bb/link.toml", Entry::File(b"../aa/acme.toml".to_vec(), 0o120000))
            .set("customers/bb/copy.toml", customer("wang.fang"))
            .set("customers/bb/latin1.toml", Entry::File(b"owner = \"\xe9\"\n".to_vec(), 0o100644));
        line.commit();
        // A mode change only; a file becoming a directory and back.
        line.set(
            "customers/aa/acme.toml",
            Entry::File(b"name = \"Customer of wang.fang\"\nowner = \"wang.fang\"\n".to_vec(), 0o100755),
        )
        .remove("customers/bb/copy.toml")
        .set("customers/bb/copy.toml/inner.toml", customer("zhang.wei"));
        line.commit();
        line.remove("customers/bb/copy.toml/inner.toml").set("customers/bb/copy.toml", customer("li.na"));
        line.commit();
        // An empty commit, at an odd time zone.
        line.commit_merging(&[], -690);
        // A side branch merged: first-parent history sees the merge only.
        let before_side = line.head.unwrap();
        let main_files = line.files.clone();
        line.set("customers/cc/side.toml", customer("li.na")).set("customers/aa/acme.toml", customer("zhang.wei"));
        let side1 = line.commit();
        line.set("customers/cc/side.toml", customer("wang.fang"));
        let side2 = line.commit();
        let side_files = line.files.clone();
        line.head = Some(before_side);
        line.files = main_files;
        line.set("customers/dd/main.toml", customer("li.na"));
        line.commit();
        line.files = side_files;
        line.set("customers/dd/main.toml", customer("li.na"));
        line.commit_merging(&[side2], 480);
        assert_ne!(side1, side2);
        // A revert to an earlier blob; a removal; customers/ gone and back
        // as a file, then as a directory again.
        line.set("customers/aa/acme.toml", customer("li.na")).remove("customers/aa/beta.toml");
        line.commit();
        let all = line.files.clone();
        line.files.retain(|p, _| !p.starts_with(b"customers/"));
        line.commit();
        line.set("customers", file("not a directory\n"));
        line.commit();
        line.files = all;
        let head = line.commit();

        let history = assert_same_both_ways(&s.repo.git, head);
        assert_eq!(history.steps.len(), 12);
        let seen = |customer: &str, action: EventKind| {
            history.events.iter().filter(|e| e.customer == customer && e.action == action).count()
        };
        assert_eq!(seen("acme", EventKind::Reassign), 3, "{:#?}", history.events);
        // Added, removed with customers/, added again.
        assert_eq!(seen("hidden", EventKind::Add), 2, "a directory that is not UTF-8 reads as empty");
        assert_eq!(seen("side", EventKind::Add), 2, "the merge adds it");
        assert_eq!(seen("deep", EventKind::Remove), 1);
        assert_eq!(seen("inner", EventKind::Add), 1);
        let merge = history.steps[4].id;
        assert!(history.events.iter().any(|e| e.commit == merge && e.customer == "side"));
        assert!(history.events.iter().all(|e| e.customer != "notes"));
    }

    #[test]
    fn a_submodule_among_customer_files_is_left_to_libgit2() {
        let s = Scratch::new();
        let mut line = Line::new(&s);
        line.set("crm.toml", file("company = \"T\"\n")).set("customers/aa/acme.toml", customer("li.na"));
        let first = line.commit();
        line.set("customers/aa/acme.toml", Entry::Submodule(first));
        let head = line.commit();
        let (by_git, by_libgit2) = build_both_ways(&s.repo.git, head).unwrap();
        assert!(matches!(by_git, Err(Unavailable(_))), "{by_git:?}");
        assert_eq!(by_libgit2.events.len(), 2, "added, then removed: a submodule is no customer file");
        // The index is still built (by libgit2).
        assert_eq!(load(&s.repo.git, head, None).unwrap(), by_libgit2);
    }

    #[test]
    fn a_long_update_is_read_through_git_and_agrees() {
        let s = Scratch::new();
        let mut line = Line::new(&s);
        line.set("crm.toml", file("company = \"T\"\n")).set("customers/aa/acme.toml", customer("li.na"));
        let first = line.commit();
        let cached = load(&s.repo.git, first, None).unwrap();
        let owners = ["li.na", "wang.fang", "zhang.wei"];
        for i in 0..SCAN_UPDATE_FROM + 20 {
            line.set(format!("customers/{:02x}/c{}.toml", i % 7, i % 50), customer(owners[i % 3]));
            if i % 97 == 0 {
                line.remove("customers/aa/acme.toml");
            }
            line.commit();
        }
        let head = line.head.unwrap();
        // Progress is heard only from the scan: the libgit2 update says nothing.
        let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let progress = {
            let heard = heard.clone();
            move |p: Progress| heard.lock().unwrap().push(p)
        };
        let updated = update(&s.repo.git, head, first, cached, Some(&progress)).unwrap().expect("first is on the line");
        assert_eq!(heard.lock().unwrap().first(), Some(&Progress::Start(SCAN_UPDATE_FROM as u64 + 20)));
        let (_, rebuilt) = build_both_ways(&s.repo.git, head).unwrap();
        assert_eq!(updated, rebuilt);
        assert!(updated.events.len() > SCAN_UPDATE_FROM);

        // History rewritten under the index (a rebase, a reset and a
        // fetch): the last 300 commits replaced by 600 others.
        line.head = Some(updated.steps[300].id);
        for i in 0..600 {
            line.set(format!("customers/{:02x}/r{}.toml", i % 5, i % 40), customer(owners[(i + 1) % 3]));
            line.commit();
        }
        let rewritten = line.head.unwrap();
        heard.lock().unwrap().clear();
        let after =
            update(&s.repo.git, rewritten, head, updated, Some(&progress)).unwrap().expect("the base is on the line");
        assert_eq!(heard.lock().unwrap().first(), Some(&Progress::Start(600)));
        let (_, rebuilt) = build_both_ways(&s.repo.git, rewritten).unwrap();
        assert_eq!(after, rebuilt);
        // (and git could be used: the scan of that range succeeds alone)
        let fresh = &first_parent_line(&s.repo.git, rewritten).unwrap()[..600];
        let base = Some(rebuilt.steps[600].id);
        assert!(Scan::start(&s.repo.git, rewritten, base).and_then(|scan| scan.events(fresh, None)).is_ok());
        assert!(after.events.iter().all(|e| rebuilt.steps.iter().any(|s| s.id == e.commit)));
    }

    #[test]
    fn progress_is_reported_from_start_to_done() {
        let s = Scratch::new();
        let mut line = Line::new(&s);
        line.set("crm.toml", file("company = \"T\"\n"));
        for i in 0..30 {
            line.set(format!("customers/aa/c{i}.toml"), customer("li.na"));
            line.commit();
        }
        let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let progress = {
            let heard = heard.clone();
            move |p: Progress| heard.lock().unwrap().push(p)
        };
        load(&s.repo.git, line.head.unwrap(), Some(&progress)).unwrap();
        let heard = heard.lock().unwrap().clone();
        assert_eq!(heard.first(), Some(&Progress::Start(30)));
        assert_eq!(heard.last(), Some(&Progress::Done));
        assert!(heard.iter().all(|p| !matches!(p, Progress::At(n) if *n > 30)), "{heard:?}");
    }

    #[test]
    fn one_customers_lines_are_what_the_whole_file_says_of_it() {
        let oid = |n: u8| Oid::from_bytes(&[n; 20]).unwrap();
        let steps: Vec<Step> =
            (1..=6).rev().map(|n| Step { id: oid(n), date: Date::parse(&format!("2026-0{n}-01")).unwrap() }).collect();
        let event = |step: u8, customer: &str, action, from: Option<&str>, to: Option<&str>| RawEvent {
            commit: oid(step),
            date: Date::parse(&format!("2026-0{step}-01")).unwrap(),
            action,
            customer: customer.into(),
            from: from.map(Into::into),
            to: to.map(Into::into),
            pool_reason: (action == EventKind::Release).then(|| "no-touch".into()),
        };
        // Newest first, as the index holds them; "acme" is the start of
        // another id, and a step may have no event or several.
        let events = vec![
            event(6, "acme", EventKind::Release, Some("li.na"), Some("@pool")),
            event(6, "acme-2", EventKind::Reassign, Some("li.na"), Some("wang.fang")),
            event(4, "acme-2", EventKind::Add, None, Some("li.na")),
            event(3, "acme", EventKind::Reassign, Some("wang.fang"), Some("li.na")),
            event(1, "acme", EventKind::Add, None, Some("wang.fang")),
        ];
        let history = History { steps, events };
        let text = text(oid(6), &history);
        let (_, parsed) = parse(&text).unwrap();
        assert_eq!(parsed, history);
        for id in ["acme", "acme-2", "zeta"] {
            let id = CustomerId::parse(id).unwrap();
            let whole: Vec<RawEvent> = parsed.events.iter().filter(|e| e.customer == id.as_str()).cloned().collect();
            assert_eq!(customer_lines(&text, oid(6), &id), Some(whole), "{id}");
        }
        let acme = CustomerId::parse("acme").unwrap();
        assert_eq!(customer_lines(&text, oid(5), &acme), None, "a file at another commit is not read this way");
        let damaged = text.replace("C\t0303", "C\tzz03");
        assert_eq!(customer_lines(&damaged, oid(6), &acme), None, "a damaged step line above an event");
    }
}
