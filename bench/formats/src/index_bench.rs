//! git's index: crm's `IndexFile` against gix-index and libgit2, on an
//! index of ~100,000 customer files made by real git (`git fast-import`
//! for the blobs, `git update-index --index-info`, `git write-tree` for the
//! cached trees), in versions 2 and 4.
//!
//! Three jobs, each reading `.git/index` from disk and (but the first)
//! writing the new index to a file:
//! - read it;
//! - one new entry (what `crm add` does to the index);
//! - 5,871 entries replaced (what `crm reassign --from` moving 5,871
//!   customers does).
//!
//! The same job for each: the entries set, the cached trees above them
//! invalidated (gix-index leaves that to the caller, so it is done here with
//! gix's own tree type, as crm does it), the checksum written. Each output
//! is checked with real git afterwards: the same `git ls-files --stage`
//! and the same `git write-tree` from all three.

use std::fs;
use std::io::{BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bstr::{BStr, ByteSlice};
use crm::store::index_file::{IndexChange, IndexFile, Stat};

use crate::fixture::{self, shard};
use crate::{medians, print_table, timed, Args, Row};

/// `git ARGS` in `dir` with `GIT_INDEX_FILE` and `stdin`; must succeed.
fn git(dir: &Path, index: Option<&Path>, args: &[&str], stdin: Option<&[u8]>) -> String {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir).args(args).env("GIT_CONFIG_NOSYSTEM", "1");
    if let Some(index) = index {
        cmd.env("GIT_INDEX_FILE", index);
    }
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run git");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || pipe.write_all(&input).expect("feed git"));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The repository and its index files.
struct Setup {
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    /// `(version, index file)`.
    indexes: Vec<(u32, PathBuf)>,
    entries: usize,
    size_v2: u64,
    /// Paths of existing customer entries to replace.
    replace: Vec<String>,
    /// Stat data of a real file (what crm records for a file it wrote).
    meta: fs::Metadata,
}

fn setup(dir: &std::path::Path, n: usize) -> Setup {
    let tmp = tempfile::Builder::new().prefix("crm-index-bench-").tempdir().unwrap();
    let repo = tmp.path().join("repo");
    git(tmp.path(), None, &["init", "-q", "repo"], None);
    let mut files: Vec<(String, Vec<u8>)> = fixture::customers(dir, n)
        .into_iter()
        .map(|(id, text)| (format!("customers/{}/{id}.toml", shard(&id)), text.into_bytes()))
        .collect();
    for handle in fixture::handles(dir) {
        files.push((format!("staff/{handle}.toml"), format!("name = \"{handle}\"\n").into_bytes()));
    }
    files.push(("crm.toml".into(), b"[company]\nname = \"Example Coach Co.\"\n".to_vec()));
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    // The blobs, by real git.
    let mut stream = Vec::new();
    for (i, (_, content)) in files.iter().enumerate() {
        stream.extend_from_slice(format!("blob\nmark :{}\ndata {}\n", i + 1, content.len()).as_bytes());
        stream.extend_from_slice(content);
        stream.push(b'\n');
    }
    let marks = tmp.path().join("marks");
    git(&repo, None, &["fast-import", "--quiet", &format!("--export-marks={}", marks.display())], Some(&stream));
    let mut ids = vec![String::new(); files.len()];
    for line in fs::read_to_string(&marks).unwrap().lines() {
        let (mark, id) = line.split_once(' ').unwrap();
        ids[mark.trim_start_matches(':').parse::<usize>().unwrap() - 1] = id.to_string();
    }
    let info: String = files.iter().zip(&ids).map(|((path, _), id)| format!("100644 {id}\t{path}\n")).collect();
    git(&repo, None, &["update-index", "--add", "--index-info"], Some(info.as_bytes()));
    git(&repo, None, &["write-tree"], None);

    let v2 = tmp.path().join("index.v2");
    fs::copy(repo.join(".git/index"), &v2).unwrap();
    let v4 = tmp.path().join("index.v4");
    fs::copy(&v2, &v4).unwrap();
    git(&repo, Some(&v4), &["update-index", "--index-version", "4"], None);
    let size_v2 = fs::metadata(&v2).unwrap().len();

    let customers: Vec<&String> = files.iter().map(|(p, _)| p).filter(|p| p.starts_with("customers/")).collect();
    let step = (customers.len() / 5_871).max(1);
    let replace = customers.iter().step_by(step).take(5_871).map(|p| p.to_string()).collect();
    let new_file = tmp.path().join("written.toml");
    fs::write(&new_file, &files[0].1).unwrap();
    let meta = fs::metadata(&new_file).unwrap();
    Setup { _tmp: tmp, repo, indexes: vec![(2, v2), (4, v4)], entries: files.len(), size_v2, replace, meta }
}

/// A change: path and new blob id.
type Change = (String, [u8; 20]);

fn fake_id(i: usize) -> [u8; 20] {
    use sha1::Digest;
    sha1::Sha1::digest(format!("bench blob {i}").as_bytes()).into()
}

fn crm_job(src: &Path, out: Option<&Path>, changes: &[Change], meta: &fs::Metadata) -> usize {
    let mut index = IndexFile::read(src).unwrap();
    if let Some(out) = out {
        let stat = Stat::of(meta);
        let changes: Vec<IndexChange> =
            changes.iter().map(|(p, id)| (p.clone(), Some((git2::Oid::from_bytes(id).unwrap(), stat)))).collect();
        index.apply(&changes);
        index.write(out).unwrap();
    }
    usize::from(index.staged("crm.toml").is_some())
}

fn gix_stat(meta: &fs::Metadata) -> gix_index::entry::Stat {
    use gix_index::entry::stat::Time;
    gix_index::entry::Stat {
        mtime: Time { secs: meta.mtime() as u32, nsecs: meta.mtime_nsec() as u32 },
        ctime: Time { secs: meta.ctime() as u32, nsecs: meta.ctime_nsec() as u32 },
        dev: meta.dev() as u32,
        ino: meta.ino() as u32,
        uid: meta.uid(),
        gid: meta.gid(),
        size: meta.len() as u32,
    }
}

/// Marks the cached trees on the way to `path` out of date (what git, crm
/// and libgit2 do on every entry change; gix-index leaves it to its caller).
fn gix_invalidate(tree: &mut gix_index::extension::Tree, path: &[u8]) {
    tree.num_entries = None;
    if let Some(slash) = path.iter().position(|b| *b == b'/') {
        let (dir, rest) = (&path[..slash], &path[slash + 1..]);
        if let Some(sub) = tree.children.iter_mut().find(|t| t.name.as_slice() == dir) {
            gix_invalidate(sub, rest);
        }
    }
}

fn gix_job(src: &Path, out: Option<&Path>, changes: &[Change], meta: &fs::Metadata, skip_hash: bool) -> usize {
    let mut file = gix_index::File::at(src, gix_hash::Kind::Sha1, skip_hash, Default::default()).unwrap();
    if let Some(out) = out {
        let stat = gix_stat(meta);
        let mut pushed = false;
        for (path, id) in changes {
            let id = gix_hash::ObjectId::from_bytes_or_panic(id);
            let p: &BStr = path.as_bytes().as_bstr();
            match file.entry_index_by_path_and_stage(p, gix_index::entry::Stage::Unconflicted) {
                Some(i) => {
                    let e = &mut file.entries_mut()[i];
                    e.id = id;
                    e.stat = stat;
                }
                None => {
                    let (flags, mode) = (gix_index::entry::Flags::empty(), gix_index::entry::Mode::FILE);
                    file.dangerously_push_entry(stat, id, flags, mode, p);
                    pushed = true;
                }
            }
            if let Some(tree) = file.tree_mut() {
                gix_invalidate(tree, path.as_bytes());
            }
        }
        if pushed {
            file.sort_entries();
        }
        let mut w = BufWriter::with_capacity(64 * 1024, fs::File::create(out).unwrap());
        file.write_to(&mut w, gix_index::write::Options::default()).unwrap();
        w.flush().unwrap();
    }
    file.entries().len()
}

fn git2_job(src: &Path, changes: &[Change], meta: &fs::Metadata) -> usize {
    let mut index = git2::Index::open(src).unwrap();
    if !changes.is_empty() {
        let time = |s: i64, ns: i64| git2::IndexTime::new(s as i32, ns as u32);
        for (path, id) in changes {
            index
                .add(&git2::IndexEntry {
                    ctime: time(meta.ctime(), meta.ctime_nsec()),
                    mtime: time(meta.mtime(), meta.mtime_nsec()),
                    dev: meta.dev() as u32,
                    ino: meta.ino() as u32,
                    mode: 0o100644,
                    uid: meta.uid(),
                    gid: meta.gid(),
                    file_size: meta.len() as u32,
                    id: git2::Oid::from_bytes(id).unwrap(),
                    flags: path.len().min(0xfff) as u16,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                })
                .unwrap();
        }
        index.write().unwrap();
    }
    index.len()
}

/// Version, extensions and entry count of an index file, as gix reads it.
fn describe(path: &Path) -> String {
    let f = gix_index::File::at(path, gix_hash::Kind::Sha1, false, Default::default()).unwrap();
    let mut ext = Vec::new();
    if f.tree().is_some() {
        ext.push("TREE");
    }
    if f.resolve_undo().is_some() {
        ext.push("REUC");
    }
    if f.had_end_of_index_marker() {
        ext.push("EOIE");
    }
    format!("v{} {}", f.version() as u32, ext.join("+"))
}

pub fn run(args: &Args) {
    let (s, setup_time) = timed(|| setup(&args.fixture, args.index_entries));
    let setup_time = setup_time.wall;
    let work = s._tmp.path().join("work");
    fs::create_dir_all(&work).unwrap();
    let new_id = format!("bench-new-customer-{}", args.index_entries);
    let add: Vec<Change> = vec![(format!("customers/{}/{new_id}.toml", shard(&new_id)), fake_id(0))];
    let replace: Vec<Change> = s.replace.iter().enumerate().map(|(i, p)| (p.clone(), fake_id(i + 1))).collect();
    println!(
        "\ngit index: {} entries ({:.1} MB as version 2), made by git in {:.1} s; replacing {} entries",
        s.entries,
        s.size_v2 as f64 / 1e6,
        setup_time.as_secs_f64(),
        replace.len()
    );

    for (version, src) in &s.indexes {
        let meta = &s.meta;
        let runs = args.runs;
        let out = |name: &str| work.join(format!("{name}.v{version}"));
        // Read only.
        let reads = medians(
            runs,
            &mut [
                &mut || timed(|| crm_job(src, None, &[], meta)).1,
                &mut || timed(|| gix_job(src, None, &[], meta, true)).1,
                &mut || timed(|| gix_job(src, None, &[], meta, false)).1,
                &mut || timed(|| git2_job(src, &[], meta)).1,
            ],
        );
        let rows: Vec<Row> = [
            ("crm IndexFile::read", "no checksum check (as git)"),
            ("gix-index File::at, skip_hash", "no checksum check"),
            ("gix-index File::at", "checksum checked (SHA-1 with collision detection)"),
            ("libgit2 Index::open", "checksum checked"),
        ]
        .iter()
        .zip(reads)
        .map(|((what, note), t)| Row { what: (*what).into(), median: t, items: s.entries, note: (*note).into() })
        .collect();
        print_table(&format!("git index version {version}: read"), &rows);

        for (job, changes) in [("one new entry (crm add)", &add), ("5,871 entries replaced (crm reassign)", &replace)] {
            let git2_copy = out("git2");
            let times = medians(
                runs,
                &mut [
                    &mut || timed(|| crm_job(src, Some(&out("crm")), changes, meta)).1,
                    &mut || timed(|| gix_job(src, Some(&out("gix")), changes, meta, true)).1,
                    &mut || {
                        fs::copy(src, &git2_copy).unwrap();
                        timed(|| git2_job(&git2_copy, changes, meta)).1
                    },
                ],
            );
            let mut rows: Vec<Row> = [
                "crm read + apply + write",
                "gix-index at(skip_hash) + set + write_to",
                "libgit2 Index::open + add + write",
            ]
            .iter()
            .zip(times)
            .map(|(what, t)| Row { what: (*what).into(), median: t, items: 0, note: String::new() })
            .collect();
            // The outputs, by real git: the same entries and the same trees.
            let listing = |p: &Path| git(&s.repo, Some(p), &["ls-files", "--stage"], None);
            let reference = listing(&out("crm"));
            assert_eq!(reference.lines().count(), s.entries + usize::from(changes.len() == 1));
            for (row, name) in rows.iter_mut().zip(["crm", "gix", "git2"]) {
                assert!(listing(&out(name)) == reference, "{name}'s index lists other entries than crm's");
                row.note = format!("writes {}", describe(&out(name)));
            }
            let trees: Vec<String> = ["crm", "gix", "git2"]
                .iter()
                .map(|name| git(&s.repo, Some(&out(name)), &["write-tree", "--missing-ok"], None))
                .collect();
            assert!(trees.iter().all(|t| *t == trees[0]), "the cached trees differ: {trees:?}");
            print_table(&format!("git index version {version}: {job}"), &rows);
        }
    }
}
