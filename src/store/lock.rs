//! The store's write lock: git's own `.git/index.lock`, so `crm` and `git`
//! never write the index at the same time. A `crm` process writes its pid
//! into the lock; a lock whose process is gone (killed, crashed) is stale
//! and is taken over. A live lock is waited for a little, then reported as
//! "store is busy".

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
    let Some(pid) = text.strip_prefix("crm pid ").and_then(|p| p.trim().parse::<u32>().ok()) else {
        return Holder::Other;
    };
    // Only where /proc tells (Linux); elsewhere assume it runs.
    let proc = Path::new("/proc");
    if proc.is_dir() && !proc.join(pid.to_string()).exists() {
        Holder::Dead(pid)
    } else {
        Holder::Running(pid)
    }
}

/// Takes the lock at `path`, waiting up to `wait` for a live holder and
/// taking over from a dead `crm` process at once.
pub fn acquire(path: &Path, wait: Duration) -> Result<Lock> {
    let start = Instant::now();
    loop {
        match fs::OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(mut file) => {
                let _ = writeln!(file, "crm pid {}", std::process::id());
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
