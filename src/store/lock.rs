//! The store's write lock: git's own `.git/index.lock`, so `crm` and `git`
//! never write the index at the same time. A `crm` process writes its pid
//! (and, where `/proc` tells, when that process started) into the lock; a
//! lock whose process is gone (killed, crashed) — or whose pid now belongs
//! to a process started later — is stale and is taken over. A live lock is
//! waited for a little, then reported as "store is busy".

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// A held lock, released when dropped.
pub struct Lock(PathBuf);

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Who holds a lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A `crm` process that is still running.
    Running(u32),
    /// A `crm` process that no longer exists.
    Dead(u32),
    /// Not `crm` (git itself, or unknown).
    Other,
}

/// Reads who holds the lock at `path`.
pub fn holder(path: &Path) -> Holder {
    let Ok(text) = fs::read_to_string(path) else { return Holder::Other };
    let Some(rest) = text.strip_prefix("crm pid ") else { return Holder::Other };
    let mut words = rest.split_whitespace();
    let Some(pid) = words.next().and_then(|p| p.parse::<u32>().ok()) else { return Holder::Other };
    let started = match (words.next(), words.next()) {
        (Some("start"), Some(t)) => t.parse::<u64>().ok(),
        _ => None,
    };
    // Only where /proc tells (Linux); elsewhere assume it runs.
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return Holder::Running(pid);
    }
    match start_time(pid) {
        None => Holder::Dead(pid),
        // The pid was reused by a process started after the lock's.
        Some(now) if started.is_some_and(|t| t != now) => Holder::Dead(pid),
        Some(_) => Holder::Running(pid),
    }
}

/// When process `pid` started (clock ticks after boot, `/proc/PID/stat`
/// field 22), or `None` when there is no such process.
fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count
    // the fields after its closing parenthesis, which is field 3.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Takes the lock at `path`, waiting up to `wait` for a live holder and
/// taking over from a dead `crm` process at once.
pub fn acquire(path: &Path, wait: Duration) -> Result<Lock> {
    let start = Instant::now();
    loop {
        match fs::OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(mut file) => {
                let pid = std::process::id();
                let _ = match start_time(pid) {
                    Some(t) => writeln!(file, "crm pid {pid} start {t}"),
                    None => writeln!(file, "crm pid {pid}"),
                };
                return Ok(Lock(path.to_path_buf()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if let Holder::Dead(pid) = holder(path) {
                    take_over(path, pid)?;
                    continue;
                }
                if start.elapsed() >= wait {
                    return Err(Error::Busy(path.to_path_buf()));
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(e) => return Err(Error::io(path)(e)),
        }
    }
}

/// Removes the lock of dead process `pid` — only if it is still that one:
/// writers that find the same dead lock take turns here (an `flock` on a
/// file beside it), so none of them can delete a lock another has just
/// taken. Whatever the dead process left half-done is repaired by the
/// journal.
fn take_over(path: &Path, pid: u32) -> Result<()> {
    let guard_path = path.with_extension("lock.crm-takeover");
    let guard = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&guard_path)
        .map_err(Error::io(&guard_path))?;
    guard.lock().map_err(Error::io(&guard_path))?;
    if holder(path) == Holder::Dead(pid) {
        let _ = fs::remove_file(path);
    }
    let _ = guard.unlock();
    Ok(())
}
