//! Git's index (`.git/index`), read and written by crm itself.
//!
//! A write changes a few entries of an index that holds every customer
//! file. libgit2 hashes the whole file with its collision-detecting SHA-1
//! when it reads it and again when it writes it, and checks every path:
//! most of the time of a one-customer `crm add` in a store of 100,000. This
//! module reads the entries as they are (git itself does not verify the
//! checksum on read either), replaces the changed ones in one merge pass,
//! invalidates the cached trees above them as git does, and writes the file
//! back with a plain SHA-1.
//!
//! Formats: versions 2, 3 and 4 (prefix-compressed paths); the `TREE` and
//! `REUC` extensions are kept, other optional ones (untracked cache,
//! fsmonitor, offset tables) are dropped as libgit2 drops them, and an
//! index needing an extension crm does not know (split or sparse index) is
//! refused with a clear message rather than damaged.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use git2::Oid;
use sha1::{Digest, Sha1};

use crate::{Error, Result};

const SIGNATURE: &[u8] = b"DIRC";
const HASH_LEN: usize = 20;
/// Stat data (40 bytes), object id (20), flags (2).
const FIXED_LEN: usize = 62;
const FLAG_EXTENDED: u16 = 0x4000;
const FLAG_STAGE: u16 = 0x3000;
/// The extended flag of an entry a sparse checkout leaves out of the work
/// tree (git's `CE_SKIP_WORKTREE`).
const SKIP_WORKTREE: u16 = 0x4000;
const NAME_MASK: u16 = 0x0fff;
const MODE_FILE: u32 = 0o100644;
/// A submodule entry's mode (never racy: git does not smudge gitlinks).
const GITLINK: u32 = 0o160000;

/// The stat data git keeps to tell a file unchanged without reading it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stat {
    ctime: (u32, u32),
    mtime: (u32, u32),
    dev: u32,
    ino: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u32,
}

impl Stat {
    /// The stat data of a regular file that is not in the work tree (a
    /// sparse checkout's skip-worktree entry): its mode, and zeros.
    pub fn absent_file() -> Stat {
        Stat { mode: MODE_FILE, ..Stat::default() }
    }

    /// The stat data of a regular file git would record (mode 100644).
    pub fn of(meta: &fs::Metadata) -> Stat {
        // The index keeps the low 32 bits, as git does.
        Stat {
            ctime: (meta.ctime() as u32, meta.ctime_nsec() as u32),
            mtime: (meta.mtime() as u32, meta.mtime_nsec() as u32),
            dev: meta.dev() as u32,
            ino: meta.ino() as u32,
            mode: MODE_FILE,
            uid: meta.uid(),
            gid: meta.gid(),
            size: meta.len() as u32,
        }
    }

    fn read(b: &[u8]) -> Stat {
        let w = |i: usize| u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
        Stat {
            ctime: (w(0), w(1)),
            mtime: (w(2), w(3)),
            dev: w(4),
            ino: w(5),
            mode: w(6),
            uid: w(7),
            gid: w(8),
            size: w(9),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        let words = [
            self.ctime.0,
            self.ctime.1,
            self.mtime.0,
            self.mtime.1,
            self.dev,
            self.ino,
            self.mode,
            self.uid,
            self.gid,
            self.size,
        ];
        for w in words {
            out.extend_from_slice(&w.to_be_bytes());
        }
    }

    /// Whether a file with stat data `now` is, as far as stat tells, the one
    /// recorded (git's comparison: times, inode, size, owner).
    fn matches(&self, now: &Stat) -> bool {
        (self.mtime, self.ctime, self.ino, self.size, self.uid, self.gid)
            == (now.mtime, now.ctime, now.ino, now.size, now.uid, now.gid)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    stat: Stat,
    oid: [u8; HASH_LEN],
    /// Flags without the name length (recomputed on write).
    flags: u16,
    /// Extended flags (version 3 and later; 0 when none).
    extended: u16,
    path: Vec<u8>,
}

impl Entry {
    fn stage(&self) -> u16 {
        (self.flags & FLAG_STAGE) >> 12
    }
}

/// A change to make: the file at `path` now has this blob and stat data,
/// or (`None`) is gone.
pub type IndexChange = (String, Option<(Oid, Stat)>);

/// An index file in memory.
#[derive(Debug, Clone)]
pub struct IndexFile {
    version: u32,
    entries: Vec<Entry>,
    tree: Option<CacheTree>,
    /// Extensions kept byte for byte (resolve-undo).
    kept: Vec<u8>,
    /// When the file was last written (entries at or after it are "racy":
    /// their stat data cannot vouch for their content).
    written: Option<(u32, u32)>,
    /// The paths [`IndexFile::apply`] just set, sorted.
    fresh: Vec<Vec<u8>>,
}

impl IndexFile {
    /// Reads the index at `path`; an absent file is an empty index.
    pub fn read(path: &Path) -> Result<IndexFile> {
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Ok(IndexFile {
                    version: 2,
                    entries: Vec::new(),
                    tree: None,
                    kept: Vec::new(),
                    written: None,
                    fresh: Vec::new(),
                })
            }
            Err(e) => return Err(Error::io(path)(e)),
        };
        let written = fs::metadata(path).ok().map(|m| (m.mtime() as u32, m.mtime_nsec() as u32));
        let mut index =
            parse(&bytes).map_err(|reason| Error::Index { path: path.to_path_buf(), reason: reason.to_string() })?;
        index.written = written;
        Ok(index)
    }

    /// The blob staged at `path` (stage 0), if any.
    pub fn staged(&self, path: &str) -> Option<Oid> {
        let at = self.find(path.as_bytes()).ok()?;
        Oid::from_bytes(&self.entries[at].oid).ok()
    }

    /// Whether `path` is left out of the work tree by a sparse checkout
    /// (its entry has the skip-worktree bit): git neither expects nor writes
    /// the file.
    pub fn skips_worktree(&self, path: &str) -> bool {
        self.find(path.as_bytes()).is_ok_and(|at| self.entries[at].extended & SKIP_WORKTREE != 0)
    }

    /// Every path a sparse checkout leaves out of the work tree.
    pub fn skipped_paths(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.extended & SKIP_WORKTREE != 0)
            .filter_map(|e| String::from_utf8(e.path.clone()).ok())
            .collect()
    }

    /// Whether the file at `path`, with metadata `meta`, is the one staged
    /// there, as far as its stat data can tell without reading it: `false`
    /// means "read it to know".
    pub fn vouches_for(&self, path: &str, meta: &fs::Metadata) -> bool {
        let Ok(at) = self.find(path.as_bytes()) else { return false };
        let e = &self.entries[at];
        let racy = self.written.is_none_or(|w| e.stat.mtime >= w);
        !racy && meta.is_file() && e.stat.matches(&Stat::of(meta))
    }

    /// Applies `changes`: every stage of each path is replaced by the new
    /// entry (or removed), in one pass over the entries. Entries kept that
    /// were racily clean (changed in the same timestamp the index was
    /// written in) are smudged as git smudges them: their size is zeroed,
    /// so git compares their content instead of trusting their stat data
    /// once the rewritten index is newer than them.
    pub fn apply(&mut self, changes: &[IndexChange]) {
        let mut changes: Vec<&IndexChange> = changes.iter().collect();
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        changes.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        let changed: Vec<&[u8]> = changes.iter().map(|(p, _)| p.as_bytes()).collect();
        if let Some(tree) = &mut self.tree {
            for (path, _) in &changes {
                tree.invalidate(path.as_bytes());
            }
        }
        let old = std::mem::take(&mut self.entries);
        let mut merged = Vec::with_capacity(old.len() + changes.len());
        let mut old = old.into_iter().peekable();
        for (path, new) in changes {
            let path = path.as_bytes();
            while let Some(e) = old.next_if(|e| e.path.as_slice() < path) {
                merged.push(e);
            }
            let mut skipped = false;
            while let Some(e) = old.next_if(|e| e.path.as_slice() == path) {
                skipped |= e.extended & SKIP_WORKTREE != 0;
            }
            if let Some((oid, stat)) = new {
                let mut id = [0; HASH_LEN];
                id.copy_from_slice(oid.as_bytes());
                // A path outside a sparse checkout stays outside it.
                let extended = if skipped { SKIP_WORKTREE } else { 0 };
                merged.push(Entry { stat: *stat, oid: id, flags: 0, extended, path: path.to_vec() });
            }
        }
        merged.extend(old);
        self.entries = merged;
        self.fresh = changed.iter().map(|p| p.to_vec()).collect();
    }

    /// Smudges the entries that were racily clean (their file changed in
    /// the same timestamp the index was last written in, so their stat
    /// data cannot vouch for it) and whose file no longer holds the staged
    /// blob, as git does when it writes an index: their size is zeroed, so
    /// git compares their content instead of trusting their stat data once
    /// the rewritten index is newer than them. Entries just applied are
    /// known to be right. `root` is the work tree.
    pub fn smudge_racily_clean(&mut self, root: &Path) {
        let written = self.written;
        for e in &mut self.entries {
            let racy = written.is_none_or(|w| e.stat.mtime >= w) && e.stat.mode != GITLINK && e.stat.size != 0;
            if !racy || self.fresh.binary_search(&e.path).is_ok() {
                continue;
            }
            let Ok(path) = std::str::from_utf8(&e.path) else { continue };
            let full = root.join(path);
            let Ok(meta) = fs::symlink_metadata(&full) else { continue };
            // A different size shows the change to git whatever else it
            // compares (core.checkStat, core.trustctime); the same size may not.
            if !meta.is_file() || meta.len() as u32 != e.stat.size {
                continue;
            }
            let same = fs::read(&full).is_ok_and(|bytes| super::snapshot::blob_id(&bytes).as_bytes() == e.oid);
            if !same {
                e.stat.size = 0;
            }
        }
    }

    /// Writes the index to `path` (replacing it).
    pub fn write(&self, path: &Path) -> Result<()> {
        fs::write(path, self.to_bytes()).map_err(Error::io(path))
    }

    fn to_bytes(&self) -> Vec<u8> {
        let extended = self.entries.iter().any(|e| e.extended != 0);
        let version: u32 = match self.version {
            4 => 4,
            _ if extended => 3,
            _ => 2,
        };
        let mut out = Vec::with_capacity(64 + self.entries.len() * 96);
        out.extend_from_slice(SIGNATURE);
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&(self.entries.len() as u32).to_be_bytes());
        let mut previous: &[u8] = &[];
        for e in &self.entries {
            let start = out.len();
            e.stat.write(&mut out);
            out.extend_from_slice(&e.oid);
            let has_extended = e.extended != 0;
            let flags = (e.flags & !(FLAG_EXTENDED | NAME_MASK))
                | if has_extended { FLAG_EXTENDED } else { 0 }
                | e.path.len().min(NAME_MASK as usize) as u16;
            out.extend_from_slice(&flags.to_be_bytes());
            if has_extended {
                out.extend_from_slice(&e.extended.to_be_bytes());
            }
            if version == 4 {
                let common = previous.iter().zip(&e.path).take_while(|(a, b)| a == b).count();
                write_varint(&mut out, (previous.len() - common) as u64);
                out.extend_from_slice(&e.path[common..]);
                out.push(0);
                previous = &e.path;
            } else {
                out.extend_from_slice(&e.path);
                // One to eight NULs, to a multiple of eight bytes.
                let len = out.len() - start;
                out.resize(start + (len + 8) / 8 * 8, 0);
            }
        }
        if let Some(tree) = &self.tree {
            let mut data = Vec::new();
            tree.write(&mut data);
            out.extend_from_slice(b"TREE");
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            out.extend_from_slice(&data);
        }
        out.extend_from_slice(&self.kept);
        let hash = Sha1::digest(&out);
        out.extend_from_slice(&hash);
        out
    }

    /// The position of `path`'s stage-0 entry, or where it would go.
    fn find(&self, path: &[u8]) -> std::result::Result<usize, usize> {
        self.entries.binary_search_by(|e| (e.path.as_slice(), e.stage()).cmp(&(path, 0)))
    }
}

/// Parses an index file; the error says what is wrong with it.
fn parse(bytes: &[u8]) -> std::result::Result<IndexFile, &'static str> {
    const TRUNCATED: &str = "is truncated; run `git reset` to rebuild it";
    if bytes.len() < 12 + HASH_LEN || &bytes[..4] != SIGNATURE {
        return Err("is not a git index; run `git reset` to rebuild it");
    }
    let word = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(4);
    if !(2..=4).contains(&version) {
        return Err("has a version crm does not know (only 2, 3 and 4)");
    }
    let count = word(8) as usize;
    let end = bytes.len() - HASH_LEN;
    let mut at = 12;
    let mut entries = Vec::with_capacity(count);
    let mut previous: Vec<u8> = Vec::new();
    for _ in 0..count {
        if at + FIXED_LEN > end {
            return Err(TRUNCATED);
        }
        let stat = Stat::read(&bytes[at..at + 40]);
        let mut oid = [0; HASH_LEN];
        oid.copy_from_slice(&bytes[at + 40..at + 60]);
        let flags = u16::from_be_bytes([bytes[at + 60], bytes[at + 61]]);
        let mut cursor = at + FIXED_LEN;
        let mut extended = 0;
        if flags & FLAG_EXTENDED != 0 {
            if version < 3 || cursor + 2 > end {
                return Err(TRUNCATED);
            }
            extended = u16::from_be_bytes([bytes[cursor], bytes[cursor + 1]]);
            cursor += 2;
        }
        let path = if version == 4 {
            let (strip, used) = read_varint(&bytes[cursor..end]).ok_or(TRUNCATED)?;
            cursor += used;
            let keep = previous.len().checked_sub(strip as usize).ok_or(TRUNCATED)?;
            let nul = memchr::memchr(0, &bytes[cursor..end]).ok_or(TRUNCATED)?;
            let mut path = previous[..keep].to_vec();
            path.extend_from_slice(&bytes[cursor..cursor + nul]);
            cursor += nul + 1;
            previous.clone_from(&path);
            path
        } else {
            let nul = memchr::memchr(0, &bytes[cursor..end]).ok_or(TRUNCATED)?;
            let path = bytes[cursor..cursor + nul].to_vec();
            cursor = at + (cursor - at + nul + 8) / 8 * 8;
            path
        };
        if cursor > end {
            return Err(TRUNCATED);
        }
        entries.push(Entry { stat, oid, flags: flags & !(FLAG_EXTENDED | NAME_MASK), extended, path });
        at = cursor;
    }
    let mut tree = None;
    let mut kept = Vec::new();
    while at + 8 <= end {
        let signature = &bytes[at..at + 4];
        let size = word(at + 4) as usize;
        let data = bytes.get(at + 8..at + 8 + size).filter(|_| at + 8 + size <= end).ok_or(TRUNCATED)?;
        match signature {
            b"TREE" => tree = Some(CacheTree::parse(&mut &data[..]).ok_or("has a damaged TREE extension")?),
            b"REUC" => kept.extend_from_slice(&bytes[at..at + 8 + size]),
            s if s[0].is_ascii_uppercase() => {} // optional: dropped, as libgit2 does
            b"sdir" => {
                return Err("is a sparse index, which crm cannot keep; run `git sparse-checkout reapply \
                            --no-sparse-index` (the same sparse checkout, with a full index)")
            }
            _ => {
                return Err("uses an extension crm cannot keep (a split index); \
                            run `git config core.splitIndex false && git update-index --no-split-index`")
            }
        }
        at += 8 + size;
    }
    if at != end {
        return Err(TRUNCATED);
    }
    Ok(IndexFile { version, entries, tree, kept, written: None, fresh: Vec::new() })
}

/// Git's variable-length integer of index version 4 (and of offset deltas).
fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut used = 0;
    let mut c = *bytes.first()?;
    used += 1;
    let mut value = u64::from(c & 0x7f);
    while c & 0x80 != 0 {
        c = *bytes.get(used)?;
        used += 1;
        value = ((value + 1) << 7) | u64::from(c & 0x7f);
    }
    Some((value, used))
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    let mut buf = [0u8; 16];
    let mut pos = buf.len() - 1;
    buf[pos] = (value & 0x7f) as u8;
    value >>= 7;
    while value != 0 {
        value -= 1;
        pos -= 1;
        buf[pos] = 0x80 | (value & 0x7f) as u8;
        value >>= 7;
    }
    out.extend_from_slice(&buf[pos..]);
}

/// The `TREE` extension: tree ids git computed from the index, each valid
/// until an entry below it changes (`entries` is then -1).
#[derive(Debug, Clone, PartialEq, Eq)]
struct CacheTree {
    name: Vec<u8>,
    entries: i64,
    oid: Option<[u8; HASH_LEN]>,
    subtrees: Vec<CacheTree>,
}

impl CacheTree {
    fn parse(data: &mut &[u8]) -> Option<CacheTree> {
        let nul = memchr::memchr(0, data)?;
        let name = data[..nul].to_vec();
        *data = &data[nul + 1..];
        let space = memchr::memchr(b' ', data)?;
        let entries: i64 = std::str::from_utf8(&data[..space]).ok()?.parse().ok()?;
        *data = &data[space + 1..];
        let newline = memchr::memchr(b'\n', data)?;
        let count: usize = std::str::from_utf8(&data[..newline]).ok()?.parse().ok()?;
        *data = &data[newline + 1..];
        let oid = if entries >= 0 {
            let mut id = [0; HASH_LEN];
            id.copy_from_slice(data.get(..HASH_LEN)?);
            *data = &data[HASH_LEN..];
            Some(id)
        } else {
            None
        };
        let subtrees = (0..count).map(|_| CacheTree::parse(data)).collect::<Option<Vec<_>>>()?;
        Some(CacheTree { name, entries, oid, subtrees })
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.name);
        out.push(0);
        out.extend_from_slice(format!("{} {}\n", self.entries, self.subtrees.len()).as_bytes());
        if let (true, Some(oid)) = (self.entries >= 0, &self.oid) {
            out.extend_from_slice(oid);
        }
        for sub in &self.subtrees {
            sub.write(out);
        }
    }

    /// Marks this tree and the trees on the way to `path` out of date.
    fn invalidate(&mut self, path: &[u8]) {
        self.entries = -1;
        self.oid = None;
        let Some(slash) = memchr::memchr(b'/', path) else { return };
        let (dir, rest) = (&path[..slash], &path[slash + 1..]);
        if let Some(sub) = self.subtrees.iter_mut().find(|s| s.name == dir) {
            sub.invalidate(rest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_as_git_writes_them() {
        for value in [0u64, 1, 127, 128, 129, 16_511, 16_512, 1 << 40] {
            let mut out = Vec::new();
            write_varint(&mut out, value);
            assert_eq!(read_varint(&out), Some((value, out.len())), "{value}");
        }
        // Git's encoding of 128 is 0x80 0x00 (not the LEB128 0x80 0x01).
        let mut out = Vec::new();
        write_varint(&mut out, 128);
        assert_eq!(out, [0x80, 0x00]);
    }

    #[test]
    fn damaged_files_are_refused() {
        assert!(parse(b"DIRC").is_err());
        let mut empty = b"DIRC\0\0\0\x02\0\0\0\x01".to_vec();
        empty.extend_from_slice(&[0; HASH_LEN]);
        assert_eq!(parse(&empty).unwrap_err(), "is truncated; run `git reset` to rebuild it");
        let mut split = b"DIRC\0\0\0\x02\0\0\0\0link\0\0\0\0".to_vec();
        split.extend_from_slice(&[0; HASH_LEN]);
        assert!(parse(&split).unwrap_err().contains("split"));
    }

    #[test]
    fn invalidation_follows_the_path() {
        let leaf = |name: &[u8]| CacheTree { name: name.to_vec(), entries: 1, oid: Some([1; 20]), subtrees: vec![] };
        let shards = CacheTree {
            name: b"customers".to_vec(),
            entries: 2,
            oid: Some([2; 20]),
            subtrees: vec![leaf(b"5f"), leaf(b"a0")],
        };
        let mut root =
            CacheTree { name: vec![], entries: 3, oid: Some([3; 20]), subtrees: vec![shards, leaf(b"staff")] };
        let mut bytes = Vec::new();
        root.write(&mut bytes);
        assert_eq!(CacheTree::parse(&mut &bytes[..]), Some(root.clone()));
        root.invalidate(b"customers/5f/acme.toml");
        let valid = |t: &CacheTree| t.entries >= 0;
        assert!(!valid(&root) && !valid(&root.subtrees[0]) && !valid(&root.subtrees[0].subtrees[0]));
        assert!(valid(&root.subtrees[0].subtrees[1]) && valid(&root.subtrees[1]));
        let mut bytes = Vec::new();
        root.write(&mut bytes);
        assert_eq!(CacheTree::parse(&mut &bytes[..]), Some(root));
    }
}

#[cfg(test)]
mod git_tests {
    //! Against indexes written by git itself.
    use std::process::Command;

    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn repo_with_files() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        for (path, text) in [("a/b.toml", "b\n"), ("c.toml", "c\n"), ("d/e/f.toml", "f\n"), ("d/g.toml", "g\n")] {
            fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            fs::write(root.join(path), text).unwrap();
        }
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "files"]);
        dir
    }

    #[test]
    fn an_index_git_wrote_is_written_back_byte_for_byte() {
        let dir = repo_with_files();
        let path = dir.path().join(".git/index");
        for version in ["2", "3", "4"] {
            git(dir.path(), &["update-index", "--index-version", version]);
            git(dir.path(), &["write-tree"]);
            let bytes = fs::read(&path).unwrap();
            let index = IndexFile::read(&path).unwrap();
            assert_eq!(index.entries.len(), 4);
            assert!(index.tree.as_ref().is_some_and(|t| t.entries == 4), "git's cache tree is read");
            // Version 3 without extended flags is written as 2, like git does.
            if version != "3" {
                assert!(index.to_bytes() == bytes, "version {version} round trip");
            }
        }
    }

    #[test]
    fn changes_give_the_index_git_would_have_made() {
        let dir = repo_with_files();
        let root = dir.path();
        let index_path = root.join(".git/index");
        for version in ["2", "4"] {
            git(root, &["reset", "-q", "--hard"]);
            git(root, &["update-index", "--index-version", version]);
            let (new, gone) = (format!("a/new-{version}.toml"), if version == "2" { "c.toml" } else { "d/g.toml" });
            fs::write(root.join(&new), "new\n").unwrap();
            fs::write(root.join("d/e/f.toml"), format!("f{version}\n")).unwrap();
            fs::remove_file(root.join(gone)).unwrap();
            let written = |p: &str| {
                let oid = Oid::from_str(git(root, &["hash-object", "-w", p]).trim()).unwrap();
                Some((oid, Stat::of(&fs::metadata(root.join(p)).unwrap())))
            };
            let mut index = IndexFile::read(&index_path).unwrap();
            index.apply(&[
                ("d/e/f.toml".into(), written("d/e/f.toml")),
                (gone.into(), None),
                (new.clone(), written(&new)),
            ]);
            index.write(&index_path).unwrap();
            let ours = git(root, &["ls-files", "-s"]);
            let our_tree = git(root, &["write-tree"]);
            assert_eq!(git(root, &["diff-files", "--name-only"]), "", "stat data matches the files");
            // What git makes of the same changes.
            git(root, &["add", "-A"]);
            assert_eq!(git(root, &["ls-files", "-s"]), ours);
            assert_eq!(git(root, &["write-tree"]), our_tree, "the cached trees above the changes were invalidated");
            git(root, &["commit", "-q", "-m", "changes"]);
        }
    }
}
