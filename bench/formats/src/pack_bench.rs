//! A pack of new blobs (customer files): crm's `pack_blobs` against
//! gix-pack.
//!
//! crm gets the blobs and their ids (it computes the ids anyway, to build
//! the trees) and writes `pack-*.pack` and `.idx` (version 2, undeltified,
//! zlib level 1). gix-pack has no writer for a pack index from objects it
//! already knows: its only `.idx` writer indexes a pack stream, as `git
//! index-pack` does (inflating every entry again and hashing every object).
//! So the closest gix-pack equivalent is its pack generation
//! (`data::output::entry::iter_from_counts` over an in-memory object
//! database, zlib level 1, all cores, then `data::output::bytes::FromEntriesIter`
//! for the pack bytes) followed by `Bundle::write_to_directory` (pack and
//! index files, as after a fetch). Both are timed, and the generation alone.
//! Every pack is checked by `git verify-pack` and must hold the same objects.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use gix_hash::{oid, ObjectId};
use gix_pack::data::output;

use crate::{medians, print_table, timed, Args, Row};

/// Blobs in memory, as gix-pack's pack generation wants an object
/// database: found by id, copied into the caller's buffer.
#[derive(Clone)]
struct MemoryDb {
    blobs: Arc<Vec<Vec<u8>>>,
    by_id: Arc<HashMap<ObjectId, usize>>,
}

impl gix_pack::Find for MemoryDb {
    fn contains(&self, id: &oid) -> bool {
        self.by_id.contains_key(id)
    }

    fn try_find_cached<'a>(
        &self,
        id: &oid,
        buffer: &'a mut Vec<u8>,
        _cache: &mut dyn gix_pack::cache::DecodeEntry,
    ) -> gix_error::Result<Option<(gix_object::Data<'a>, Option<gix_pack::data::entry::Location>)>> {
        let Some(&i) = self.by_id.get(id) else { return Ok(None) };
        buffer.clear();
        buffer.extend_from_slice(&self.blobs[i]);
        Ok(Some((gix_object::Data::new(buffer, gix_object::Kind::Blob, gix_hash::Kind::Sha1), None)))
    }

    fn location_by_oid(
        &self,
        _id: &oid,
        _buf: &mut Vec<u8>,
    ) -> gix_error::Result<Option<gix_pack::data::entry::Location>> {
        Ok(None)
    }

    fn pack_offsets_and_oid(
        &self,
        _pack_id: u32,
    ) -> gix_error::Result<Option<Vec<(gix_pack::data::Offset, ObjectId)>>> {
        Ok(None)
    }

    fn entry_by_location(&self, _location: &gix_pack::data::entry::Location) -> Option<gix_pack::find::Entry> {
        None
    }
}

/// gix-pack: the pack's bytes, generated from the objects on all cores.
fn gix_generate(blobs: &Arc<Vec<Vec<u8>>>, ids: &[ObjectId]) -> Vec<u8> {
    let mut by_id = HashMap::with_capacity(ids.len());
    let mut counts = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if by_id.insert(*id, i).is_none() {
            counts.push(output::Count::from_data(*id, None));
        }
    }
    let db = MemoryDb { blobs: Arc::clone(blobs), by_id: Arc::new(by_id) };
    let n = counts.len() as u32;
    let options = output::entry::iter_from_counts::Options {
        compression: gix_zlib::Compression::BEST_SPEED,
        ..Default::default()
    };
    let chunks = output::entry::iter_from_counts(counts, db, Box::new(gix_utils::progress::Discard), options).unwrap();
    let mut pack = Vec::new();
    {
        let in_order = gix_parallel::InOrderIter::from(chunks);
        let writer = output::bytes::FromEntriesIter::new(
            in_order,
            &mut pack,
            n,
            gix_pack::data::Version::V2,
            gix_hash::Kind::Sha1,
        );
        for written in writer {
            written.unwrap();
        }
    }
    pack
}

/// gix-pack: the pack and its index in `dir`, from the pack's bytes.
fn gix_bundle(pack: &[u8], dir: &Path) -> PathBuf {
    let interrupt = AtomicBool::new(false);
    let options =
        gix_pack::bundle::write::Options { iteration_mode: gix_pack::data::input::Mode::AsIs, ..Default::default() };
    let outcome = gix_pack::Bundle::write_to_directory(
        &mut &pack[..],
        Some(dir),
        &mut gix_utils::progress::Discard,
        &interrupt,
        None::<gix_object::find::Never>,
        gix_hash::Kind::Sha1,
        options,
    )
    .unwrap();
    if let Some(keep) = outcome.keep_path {
        fs::remove_file(keep).unwrap();
    }
    outcome.index_path.unwrap()
}

/// The one `.idx` file in `dir`.
fn idx_in(dir: &Path) -> PathBuf {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .collect();
    assert_eq!(found.len(), 1, "one index in {}", dir.display());
    found.pop().unwrap()
}

/// `git verify-pack -v`: checks the pack and its index; returns the sorted
/// object ids and the pack's size.
fn verify(idx: &Path) -> (Vec<String>, u64) {
    let out = Command::new("git").arg("verify-pack").arg("-v").arg(idx).output().expect("git verify-pack");
    assert!(out.status.success(), "git verify-pack {}: {}", idx.display(), String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut ids: Vec<String> = text
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("blob"))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    ids.sort();
    (ids, fs::metadata(idx.with_extension("pack")).unwrap().len())
}

pub fn run(args: &Args) {
    let tmp = tempfile::Builder::new().prefix("crm-pack-bench-").tempdir().unwrap();
    let max = args.pack_sizes.iter().copied().max().unwrap_or(0);
    let all: Vec<Vec<u8>> = crate::fixture::customers(&args.fixture, max).into_iter().map(|(_, t)| t.into_bytes()).collect();
    let made = std::cell::Cell::new(0usize);
    let fresh_dir = |name: &str| {
        made.set(made.get() + 1);
        let d = tmp.path().join(format!("{name}-{}", made.get()));
        fs::create_dir_all(&d).unwrap();
        d
    };
    for &n in &args.pack_sizes {
        let blobs: Vec<&[u8]> = all[..n].iter().map(Vec::as_slice).collect();
        let owned: Arc<Vec<Vec<u8>>> = Arc::new(all[..n].to_vec());
        let bytes: usize = blobs.iter().map(|b| b.len()).sum();
        let (ids, ids_time) = timed(|| crm::store::pack::blob_ids(&blobs));
        let gix_ids: Vec<ObjectId> = ids.iter().map(|id| ObjectId::from_bytes_or_panic(id.as_bytes())).collect();
        let (_, gix_ids_time) = timed(|| {
            blobs
                .iter()
                .map(|b| gix_object::compute_hash(gix_hash::Kind::Sha1, gix_object::Kind::Blob, b).unwrap())
                .collect::<Vec<_>>()
        });

        let pack = gix_generate(&owned, &gix_ids);
        let (mut crm_dir, mut gix_idx) = (PathBuf::new(), PathBuf::new());
        let times = medians(
            args.runs,
            &mut [
                &mut || {
                    crm_dir = fresh_dir("crm");
                    timed(|| crm::store::pack::pack_blobs(&crm_dir, &blobs, &ids).unwrap()).1
                },
                &mut || {
                    let dir = fresh_dir("gix");
                    let (idx, t) = timed(|| gix_bundle(&gix_generate(&owned, &gix_ids), &dir));
                    gix_idx = idx;
                    t
                },
                &mut || timed(|| gix_generate(&owned, &gix_ids)).1,
                &mut || {
                    let dir = fresh_dir("gix-bundle");
                    timed(|| gix_bundle(&pack, &dir)).1
                },
            ],
        );
        let (crm_time, gix_time, gen_time, bundle_time) = (times[0], times[1], times[2], times[3]);

        let (crm_objects, crm_size) = verify(&idx_in(&crm_dir));
        let (gix_objects, gix_size) = verify(&gix_idx);
        assert_eq!(crm_objects.len(), n, "crm's pack holds every blob");
        assert!(crm_objects == gix_objects, "the packs hold different objects");
        let rows = [
            Row {
                what: "crm pack_blobs (pack + idx)".into(),
                median: crm_time,
                items: n,
                note: format!("pack {:.1} MB; git verify-pack ok", crm_size as f64 / 1e6),
            },
            Row {
                what: "gix-pack generate + Bundle::write_to_directory".into(),
                median: gix_time,
                items: n,
                note: format!("pack {:.1} MB; git verify-pack ok", gix_size as f64 / 1e6),
            },
            Row {
                what: "  of which: generate the pack bytes".into(),
                median: gen_time,
                items: n,
                note: "iter_from_counts + FromEntriesIter, in memory".into(),
            },
            Row {
                what: "  of which: Bundle::write_to_directory".into(),
                median: bundle_time,
                items: n,
                note: "index-pack: inflate and hash every object again".into(),
            },
        ];
        print_table(
            &format!(
                "pack of {n} new blobs ({:.1} MB of customer files); ids beforehand: crm blob_ids {} (all cores), \
                 gix compute_hash {} (one core)",
                bytes as f64 / 1e6,
                crate::fmt_duration(ids_time.wall),
                crate::fmt_duration(gix_ids_time.wall)
            ),
            &rows,
        );
    }
}
