//! Reading what first-parent history did to customer files through the
//! `git` command line, for the history index ([`super::history_index`]).
//!
//! Comparing 100,000 commits' trees with libgit2 took minutes where `git
//! log --raw` takes seconds (issue 15): git keeps the trees it has just
//! unpacked for the next commit, libgit2 unpacks each one again through
//! its delta chain. So the index is built from two git processes running
//! beside crm: `git log --first-parent --raw` lists every changed path,
//! and `git cat-file --batch` reads each changed customer file as soon as
//! it is listed, so that reading the owners costs almost no time of its
//! own. crm parses both streams on two threads while its main thread
//! walks the same first-parent line with libgit2 — the commits and dates
//! of the index still come from libgit2, and git's list must name the very
//! same commits.
//!
//! Nothing here decides what the history is. Anything unexpected — no
//! `git`, one too old for `--diff-merges`, a partial clone (git would fetch
//! the missing objects), a missing object, a submodule where a customer
//! file should be, an answer crm does not understand — is [`Unavailable`],
//! and the caller compares the trees with libgit2 as it always did, which
//! gives the same result or the same error. The git CLI only reads: the
//! README allows reading history through it where it is measured faster.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use git2::{Oid, Repository};

use super::history::{customer_of, EventKind};
use super::history_index::{Progress, ProgressFn, RawEvent};
use super::layout::{toml_stem, CUSTOMERS_DIR};
use crate::model::customer::{read_holder, Holder};
use crate::model::date::Date;

/// Why git was not used; the caller reads with libgit2 instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl<E: std::fmt::Display> From<E> for Unavailable {
    fn from(e: E) -> Unavailable {
        Unavailable(e.to_string())
    }
}

/// Environment variables that would make a git process read another
/// repository, other objects or other history than the libgit2 handle
/// crm opened (which reads none of them): the child is given the git
/// directory itself.
const FOREIGN_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_COMMON_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_QUARANTINE_PATH",
    "GIT_SHALLOW_FILE",
    "GIT_GRAFT_FILE",
    "GIT_REPLACE_REF_BASE",
    "GIT_NO_REPLACE_OBJECTS",
];

/// git's cache of unpacked delta bases, for both processes. The default
/// (96 MB) is too small for a store's shard trees: in the benchmark's
/// fixture `git log --raw` spends twice the time re-unpacking them, and
/// `cat-file` reads its blobs at a third of the speed.
const DELTA_BASE_CACHE: i64 = 256 << 20;

/// The readers' buffers.
const READ_BUFFER: usize = 1 << 16;

/// A scan under way: the two git processes and the threads reading them.
/// Dropping it ends both processes.
pub struct Scan {
    log: Child,
    cat: Child,
    lister: Option<JoinHandle<Result<Listed, Unavailable>>>,
    reader: Option<JoinHandle<Result<Owners, Unavailable>>>,
    counts: Arc<Counts>,
    finished: mpsc::Receiver<()>,
}

/// How far the threads have got, for the progress display.
#[derive(Default)]
struct Counts {
    commits: AtomicUsize,
    asked: AtomicUsize,
    answered: AtomicUsize,
    /// Set when reading the blobs failed: the listing stops too.
    failed: AtomicBool,
}

/// What `git log` listed: every commit, newest first, and the changes to
/// customer files.
struct Listed {
    commits: Vec<Oid>,
    changes: Vec<Change>,
}

/// A customer file changed by the commit `commits[step]`.
struct Change {
    step: usize,
    customer: String,
    old: Option<Oid>,
    new: Option<Oid>,
}

/// The owner written in each blob read (`None`: no readable owner).
type Owners = HashMap<Oid, Option<Holder>>;

impl Scan {
    /// Starts listing the first-parent history from `head` (down to, not
    /// including, `base`). Returns at once: the caller walks the same line
    /// with libgit2 meanwhile and then calls [`Scan::events`].
    pub fn start(repo: &Repository, head: Oid, base: Option<Oid>) -> Result<Scan, Unavailable> {
        if repo.is_shallow() {
            return Err(Unavailable("a shallow clone".into()));
        }
        if is_partial_clone(repo) {
            return Err(Unavailable("a partial clone: git would fetch what is missing".into()));
        }
        let cache =
            repo.config().and_then(|c| c.get_i64("core.deltaBaseCacheLimit")).unwrap_or(0).max(DELTA_BASE_CACHE);
        let git = |args: &[&str]| {
            let mut cmd = Command::new("git");
            cmd.arg("--git-dir").arg(repo.path()).arg("--no-replace-objects");
            cmd.args(["-c", &format!("core.deltaBaseCacheLimit={cache}")]);
            cmd.args(args).current_dir(repo.path()).stderr(Stdio::null());
            for name in FOREIGN_ENV {
                cmd.env_remove(name);
            }
            // A partial clone is refused above; this stops a lazy fetch
            // in any case (git 2.45 and newer).
            cmd.env("GIT_NO_LAZY_FETCH", "1");
            cmd
        };
        let mut cat = git(&["cat-file", "--batch", "--buffer"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let range = match base {
            Some(base) => vec![head.to_string(), format!("^{base}")],
            None => vec![head.to_string()],
        };
        let mut args = vec![
            "-c",
            "log.showRoot=true",
            "log",
            "--first-parent",
            "--diff-merges=first-parent",
            "--raw",
            "--no-renames",
            "--no-abbrev",
            "--no-relative",
            "--ignore-submodules=none",
            "--no-color",
            "--no-show-signature",
            "--no-notes",
            "-z",
            "--format=%H",
        ];
        args.extend(range.iter().map(String::as_str));
        args.push("--");
        // Into a pipe, git log flushes after every commit unless told not to.
        let log = git(&args).env("GIT_FLUSH", "0").stdin(Stdio::null()).stdout(Stdio::piped()).spawn();
        let mut log = match log {
            Ok(log) => log,
            Err(e) => {
                let _ = cat.kill();
                let _ = cat.wait();
                return Err(e.into());
            }
        };
        let (Some(listing), Some(requests), Some(blobs)) = (log.stdout.take(), cat.stdin.take(), cat.stdout.take())
        else {
            for child in [&mut log, &mut cat] {
                let _ = child.kill();
                let _ = child.wait();
            }
            return Err(Unavailable("no pipes to git".into()));
        };
        let blobs = Batched::new(blobs);
        let counts = Arc::new(Counts::default());
        let (done, finished) = mpsc::channel();
        let lister = {
            let (counts, done) = (counts.clone(), done.clone());
            std::thread::spawn(move || {
                let listed = list(listing, requests, &counts);
                let _ = done.send(());
                listed
            })
        };
        let reader = {
            let counts = counts.clone();
            std::thread::spawn(move || {
                let owners = read_owners(blobs, &counts);
                let _ = done.send(());
                owners
            })
        };
        Ok(Scan { log, cat, lister: Some(lister), reader: Some(reader), counts, finished })
    }

    /// The ownership events of `line` — the commits from `head` down to
    /// `base`, newest first, with their dates and trees, as libgit2 walked
    /// them — newest first; `progress` hears how many commits have been
    /// read.
    pub fn events(
        mut self,
        line: &[(Oid, Date, Oid)],
        progress: Option<&ProgressFn>,
    ) -> Result<Vec<RawEvent>, Unavailable> {
        let mut running = 2;
        let mut shown = 0;
        while running > 0 {
            match self.finished.recv_timeout(Duration::from_millis(100)) {
                Ok(()) => running -= 1,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if let Some(progress) = progress {
                // A commit counts as read once its files are: the listing
                // runs ahead of the reading by a few thousand blobs.
                let listed = self.counts.commits.load(Ordering::Relaxed);
                let asked = self.counts.asked.load(Ordering::Relaxed).max(1);
                let answered = self.counts.answered.load(Ordering::Relaxed).min(asked);
                let at = (listed as u128 * answered as u128 / asked as u128) as usize;
                if at > shown {
                    shown = at;
                    progress(Progress::At(at as u64));
                }
            }
        }
        let listed = join(self.lister.take())?;
        let owners = join(self.reader.take())?;
        for (name, child) in [("git log", &mut self.log), ("git cat-file", &mut self.cat)] {
            let status = child.wait()?;
            if !status.success() {
                return Err(Unavailable(format!("{name} failed ({status})")));
            }
        }
        if listed.commits.len() != line.len() || listed.commits.iter().zip(line).any(|(a, (b, _, _))| a != b) {
            return Err(Unavailable("git log listed other commits than libgit2 walked".into()));
        }
        let holder = |blob: Option<Oid>| -> Result<Option<Holder>, Unavailable> {
            match blob {
                None => Ok(None),
                Some(id) => owners.get(&id).cloned().ok_or_else(|| Unavailable(format!("blob {id} was not read"))),
            }
        };
        let mut events = Vec::new();
        for change in listed.changes {
            let (from, to) = (holder(change.old)?, holder(change.new)?);
            let Some((action, pool_reason)) = EventKind::of(change.old, change.new, from.as_ref(), to.as_ref()) else {
                continue;
            };
            let (from, to) = (from.map(|h| h.owner), to.map(|h| h.owner));
            let (commit, date, _) = line[change.step];
            events.push(RawEvent { commit, date, action, customer: change.customer, from, to, pool_reason });
        }
        Ok(events)
    }
}

impl Drop for Scan {
    fn drop(&mut self) {
        // Both are done when the scan ran to its end; otherwise (an error,
        // a walk that failed) they must not be left running or waiting.
        for child in [&mut self.log, &mut self.cat] {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        if let Some(lister) = self.lister.take() {
            let _ = lister.join();
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

fn join<T>(handle: Option<JoinHandle<Result<T, Unavailable>>>) -> Result<T, Unavailable> {
    match handle.map(JoinHandle::join) {
        Some(Ok(result)) => result,
        _ => Err(Unavailable("a reading thread failed".into())),
    }
}

/// cat-file's answers, read in large pieces. cat-file writes 4 KB at a
/// time, and a reader that keeps up is woken for each: 80,000 times for
/// the benchmark's history, a tenth of the CPU time in the kernel. Once
/// the stream has proved long, a read that would find less than
/// [`BATCH`] bytes waits for more, a millisecond at a time (five at
/// most), in a pipe widened to hold several batches.
struct Batched {
    pipe: ChildStdout,
    read: usize,
}

/// See [`Batched`].
const BATCH: usize = 256 << 10;

impl Batched {
    fn new(pipe: ChildStdout) -> Batched {
        #[cfg(target_os = "linux")]
        // SAFETY: F_SETPIPE_SZ on a pipe this process holds (1 MB, the
        // most an unprivileged process may ask for by default); a refusal
        // leaves the pipe as it was.
        unsafe {
            libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, (4 * BATCH) as libc::c_int);
        }
        Batched { pipe, read: 0 }
    }
}

impl Read for Batched {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read >= 4 * BATCH {
            for _ in 0..5 {
                let mut waiting: libc::c_int = 0;
                // SAFETY: FIONREAD writes one int: the bytes in the pipe.
                let asked = unsafe { libc::ioctl(self.pipe.as_raw_fd(), libc::FIONREAD, &mut waiting) };
                if asked != 0 || waiting as usize >= BATCH.min(buf.len()) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let n = self.pipe.read(buf)?;
        self.read += n;
        Ok(n)
    }
}

/// Whether git would fetch missing objects from a promisor remote.
fn is_partial_clone(repo: &Repository) -> bool {
    let Ok(config) = repo.config() else { return true };
    if config.get_string("extensions.partialclone").is_ok() {
        return true;
    }
    let Ok(mut entries) = config.entries(Some(r"^remote\..*\.promisor$")) else { return true };
    let mut promisor = false;
    while let Some(Ok(entry)) = entries.next() {
        promisor |=
            entry.value().is_ok_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "no" | "off" | "0"));
    }
    promisor
}

/// One `:old-mode new-mode old-id new-id status` line of `--raw`.
struct RawLine {
    old: Side,
    new: Side,
}

/// One side of a raw line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// No file (or a directory).
    Absent,
    /// A file or a symbolic link: a blob.
    Blob(Oid),
    /// A submodule (or a mode git reads as one).
    Gitlink,
}

fn parse_raw(line: &[u8]) -> Result<RawLine, Unavailable> {
    let text = std::str::from_utf8(line.strip_prefix(b":").unwrap_or(line))?;
    let fields: Vec<&str> = text.split(' ').collect();
    let [old_mode, new_mode, old_id, new_id, _status] = fields[..] else {
        return Err(Unavailable(format!("unexpected raw line {text:?}")));
    };
    let side = |mode: &str, id: &str| -> Result<Side, Unavailable> {
        let mode = u32::from_str_radix(mode, 8)?;
        Ok(match mode & 0o170000 {
            0 if mode == 0 => Side::Absent,
            0o100000 | 0o120000 => Side::Blob(Oid::from_str(id)?),
            0o040000 => Side::Absent,
            _ => Side::Gitlink,
        })
    };
    Ok(RawLine { old: side(old_mode, old_id)?, new: side(new_mode, new_id)? })
}

/// The path as libgit2's tree comparison names it: components that are
/// not UTF-8 become empty (as `TreeEntry::name` gives nothing for them).
fn libgit2_path(raw: &[u8]) -> String {
    let mut path = String::with_capacity(raw.len());
    for (i, part) in raw.split(|b| *b == b'/').enumerate() {
        if i > 0 {
            path.push('/');
        }
        path.push_str(std::str::from_utf8(part).unwrap_or(""));
    }
    path
}

/// Reads `git log --raw -z --format=%H`: asks `requests` (cat-file) for
/// every changed customer file not asked for yet, and returns the commits
/// and the changes, each commit's in git's tree order.
fn list(listing: ChildStdout, requests: ChildStdin, counts: &Counts) -> Result<Listed, Unavailable> {
    let mut input = BufReader::with_capacity(READ_BUFFER, listing);
    let mut requests = BufWriter::with_capacity(1 << 14, requests);
    let mut asked: HashSet<Oid> = HashSet::new();
    let mut listed = Listed { commits: Vec::new(), changes: Vec::new() };
    // The current commit's changes, with their raw paths for the order.
    let mut current: Vec<(Vec<u8>, Change)> = Vec::new();
    let flush = |current: &mut Vec<(Vec<u8>, Change)>, listed: &mut Listed| {
        // git lists a commit's changes in tree order unless configured
        // otherwise (diff.orderFile); libgit2's comparison yields them in
        // tree order, which for the files of a tree is byte order.
        current.sort_by(|a, b| a.0.cmp(&b.0));
        listed.changes.extend(current.drain(..).map(|(_, c)| c));
    };
    let prefix = format!("{CUSTOMERS_DIR}/");
    let mut token = Vec::new();
    let mut pending: Option<RawLine> = None;
    loop {
        token.clear();
        if input.read_until(0, &mut token)? == 0 {
            break;
        }
        if counts.failed.load(Ordering::Relaxed) {
            return Err(Unavailable("reading the blobs failed".into()));
        }
        if token.last() == Some(&0) {
            token.pop();
        }
        if let Some(raw) = pending.take() {
            // The path of the raw line before.
            let Some(step) = listed.commits.len().checked_sub(1) else {
                return Err(Unavailable("a change before any commit".into()));
            };
            if !token.starts_with(prefix.as_bytes()) {
                continue;
            }
            let path = libgit2_path(&token);
            if toml_stem(&path).is_none() {
                continue;
            }
            if raw.old == Side::Gitlink || raw.new == Side::Gitlink {
                return Err(Unavailable(format!("{path} is a submodule in some commit")));
            }
            let blob = |side: Side| match side {
                Side::Blob(id) => Some(id),
                _ => None,
            };
            let (old, new) = (blob(raw.old), blob(raw.new));
            for id in [old, new].into_iter().flatten() {
                if asked.insert(id) {
                    writeln!(requests, "{id}")?;
                    counts.asked.fetch_add(1, Ordering::Relaxed);
                }
            }
            current.push((token.clone(), Change { step, customer: customer_of(&path), old, new }));
            continue;
        }
        let text = token.trim_ascii_start();
        if text.is_empty() {
            continue;
        }
        if text.starts_with(b":") {
            pending = Some(parse_raw(text)?);
            continue;
        }
        let id = Oid::from_str(std::str::from_utf8(text)?.trim())?;
        flush(&mut current, &mut listed);
        listed.commits.push(id);
        counts.commits.fetch_add(1, Ordering::Relaxed);
    }
    if pending.is_some() {
        return Err(Unavailable("a raw line without its path".into()));
    }
    flush(&mut current, &mut listed);
    requests.flush()?;
    Ok(listed)
}

/// Reads `git cat-file --batch` answers: who holds the customer of each
/// blob, as [`super::history::holder_in`] reads it.
fn read_owners(blobs: Batched, counts: &Counts) -> Result<Owners, Unavailable> {
    let mut input = BufReader::with_capacity(BATCH, blobs);
    let mut owners = Owners::new();
    let mut header = Vec::new();
    let mut body = Vec::new();
    let result = loop {
        header.clear();
        match input.read_until(b'\n', &mut header) {
            Ok(0) => break Ok(()),
            Ok(_) => {}
            Err(e) => break Err(Unavailable::from(e)),
        }
        let line = String::from_utf8_lossy(&header);
        let mut fields = line.split_ascii_whitespace();
        let (Some(id), Some("blob"), Some(size)) = (fields.next(), fields.next(), fields.next()) else {
            // "<id> missing", or not a blob: libgit2 says what it is.
            break Err(Unavailable(format!("cat-file: {}", line.trim_end())));
        };
        let (Ok(id), Ok(size)) = (Oid::from_str(id), size.parse::<usize>()) else {
            break Err(Unavailable(format!("cat-file: {}", line.trim_end())));
        };
        body.resize(size + 1, 0);
        if let Err(e) = input.read_exact(&mut body) {
            break Err(e.into());
        }
        owners.insert(id, std::str::from_utf8(&body[..size]).ok().and_then(read_holder));
        counts.answered.fetch_add(1, Ordering::Relaxed);
    };
    // Read to the end whatever happened: cat-file must not be left
    // blocked on a full pipe while the lister still writes to it (the
    // lister stops at its next line, and cat-file then at the end of its
    // input).
    if result.is_err() {
        counts.failed.store(true, Ordering::Relaxed);
    }
    let _ = std::io::copy(&mut input, &mut std::io::sink());
    result.map(|()| owners)
}
