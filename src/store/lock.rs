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
        let pid = std::process::id();
        let text = match start_time(pid) {
            Some(t) => format!("crm pid {pid} start {t}\n"),
            None => format!("crm pid {pid}\n"),
        };
        match create_holding(path, &text) {
            Ok(()) => {
                remove_dead_siblings(path);
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

/// The sibling a process writes its lock's text to before linking it in.
fn sibling(path: &Path, pid: u32) -> PathBuf {
    path.with_extension(format!("lock.crm-new-{pid}"))
}

/// Creates the lock file at `path` holding `text`, whole: the text goes to
/// a sibling first, which is linked in place (a link fails when the name
/// exists). A process killed half-way never leaves an empty lock, which
/// nobody could tell from git's own. Where links are not supported, the
/// file is created, then written.
fn create_holding(path: &Path, text: &str) -> std::io::Result<()> {
    let sibling = sibling(path, std::process::id());
    fs::write(&sibling, text)?;
    let linked = fs::hard_link(&sibling, path);
    let _ = fs::remove_file(&sibling);
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            let mut file = fs::OpenOptions::new().write(true).create_new(true).open(path)?;
            file.write_all(text.as_bytes())
        }
        other => other,
    }
}

/// Removes the siblings ([`create_holding`]) that processes killed before
/// they could remove them left beside `path`.
fn remove_dead_siblings(path: &Path) {
    // Only where /proc tells whether a process runs (Linux).
    if !Path::new("/proc").is_dir() {
        return;
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return };
    let prefix = format!("{}.crm-new-", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let pid = file.to_string_lossy().strip_prefix(&prefix).and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| p != std::process::id() && start_time(p).is_none()) {
            let _ = fs::remove_file(entry.path());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_created_whole_once_and_a_dead_writers_sibling_is_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.lock");
        // What a writer killed between writing its sibling and linking it
        // leaves (a pid no process has).
        let dead = sibling(&path, u32::MAX - 7);
        fs::write(&dead, "crm pid 4294967288\n").unwrap();
        let lock = acquire(&path, Duration::ZERO).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(&format!("crm pid {} ", std::process::id())), "{text}");
        assert_eq!(holder(&path), Holder::Running(std::process::id()));
        let left: Vec<String> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(left, ["index.lock"], "no sibling is left beside the lock");
        // A second writer finds it taken.
        let err = create_holding(&path, "crm pid 1\n").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
        drop(lock);
        assert!(!path.exists());
    }
}
