//! Many new blobs at once, written as one pack instead of one loose file
//! each.
//!
//! An import of 50,000 customers would otherwise create 50,000 loose object
//! files (each a temporary file, a rename and a directory entry) on top of
//! the 50,000 work-tree files — on this kind of file system, file creation
//! is most of the cost. A pack is one file and its index another, as `git
//! fetch` or `git gc` would leave them: version 2 pack, undeltified
//! zlib-compressed objects, version 2 index. git and libgit2 pick a new
//! pack up on their next lookup.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use flate2::{Compress, Compression, FlushCompress, Status};
use git2::{Oid, Repository};
use rayon::prelude::*;
use sha1::{Digest, Sha1};

use super::snapshot::blob_id;
use crate::{Error, Result};

/// Below this many new blobs, loose objects are cheaper than a pack (and
/// what git itself would write).
pub const PACK_THRESHOLD: usize = 64;

/// Names of pack files being written (git's own start `tmp_pack_`).
const TEMPORARY_PREFIX: &str = "tmp_crm_";

/// Git's object type number for a blob.
const OBJ_BLOB: u8 = 3;

/// The object ids of `blobs`, in order, hashed on all cores.
pub fn blob_ids(blobs: &[&[u8]]) -> Vec<Oid> {
    blobs.par_iter().map(|b| blob_id(b)).collect()
}

/// Stores `blobs` (whose ids are `ids`) as one new pack in `pack_dir` (see
/// [`pack_dir`]). The pack may repeat an object stored
/// before; the next `git gc` keeps one copy (asking the object store first
/// would cost a file lookup per blob). Needs no repository handle, so it
/// can run on another thread while the caller builds the trees.
pub fn pack_blobs(pack_dir: &Path, blobs: &[&[u8]], ids: &[Oid]) -> Result<()> {
    let mut seen = HashSet::with_capacity(ids.len());
    let unique: Vec<(Oid, &[u8])> =
        ids.iter().zip(blobs).filter(|(id, _)| seen.insert(**id)).map(|(id, b)| (*id, *b)).collect();
    write_pack(pack_dir, &unique)
}

/// Where git looks for packs: `objects/pack` of the common git directory
/// (a linked worktree's own git directory holds no objects).
pub fn pack_dir(repo: &Repository) -> std::path::PathBuf {
    repo.commondir().join("objects").join("pack")
}

/// Stores `blobs` as loose objects, as `git commit` would.
pub fn write_loose(repo: &Repository, blobs: &[&[u8]]) -> Result<()> {
    for b in blobs {
        repo.blob(b)?;
    }
    Ok(())
}

/// Removes the temporary files a killed crm left while writing a pack.
/// Call with the store locked: only the lock holder writes packs.
pub fn remove_temporary_files(repo: &Repository) {
    let Ok(entries) = fs::read_dir(pack_dir(repo)) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMPORARY_PREFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// One packed object: its id, where it starts in the pack, its bytes there.
struct Packed {
    id: Oid,
    offset: u64,
    crc: u32,
}

/// Writes `objects` (id, content) as `pack-<hash>.pack` and `.idx` in `dir`.
fn write_pack(dir: &Path, objects: &[(Oid, &[u8])]) -> Result<()> {
    // One compressor per thread: setting one up costs more than
    // compressing a customer file.
    let entries: Vec<Vec<u8>> = objects
        .par_iter()
        .map_init(|| Compress::new(Compression::fast(), true), |z, (_, bytes)| entry(z, bytes))
        .collect::<std::io::Result<_>>()
        .map_err(Error::io(dir))?;
    let mut pack = Vec::with_capacity(12 + entries.iter().map(Vec::len).sum::<usize>() + 20);
    pack.extend_from_slice(b"PACK");
    pack.extend_from_slice(&2u32.to_be_bytes());
    pack.extend_from_slice(&(objects.len() as u32).to_be_bytes());
    let mut packed = Vec::with_capacity(objects.len());
    for ((id, _), bytes) in objects.iter().zip(&entries) {
        packed.push(Packed { id: *id, offset: pack.len() as u64, crc: crc32fast::hash(bytes) });
        pack.extend_from_slice(bytes);
    }
    let pack_hash: [u8; 20] = Sha1::digest(&pack).into();
    pack.extend_from_slice(&pack_hash);
    packed.sort_unstable_by_key(|p| p.id);
    let index = index(&packed, &pack_hash);

    let name = format!("pack-{}", hex(&pack_hash));
    fs::create_dir_all(dir).map_err(Error::io(dir))?;
    // The pack first, then its index: git uses a pack once its index is there.
    for (ext, bytes) in [("pack", &pack), ("idx", &index)] {
        let path = dir.join(format!("{name}.{ext}"));
        let mut tmp = tempfile::Builder::new().prefix(TEMPORARY_PREFIX).tempfile_in(dir).map_err(Error::io(dir))?;
        tmp.write_all(bytes).map_err(Error::io(&path))?;
        tmp.persist(&path).map_err(|e| Error::io(&path)(e.error))?;
        // Read-only for everyone, as git leaves pack files.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).map_err(Error::io(&path))?;
    }
    Ok(())
}

/// A blob as a pack entry: type-and-size header, then its zlib stream.
fn entry(z: &mut Compress, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    // Room for incompressible data: deflate adds a few bytes per block.
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 8 + 64);
    let mut size = bytes.len() as u64;
    let mut first = (OBJ_BLOB << 4) | (size & 0x0f) as u8;
    size >>= 4;
    while size != 0 {
        out.push(first | 0x80);
        first = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(first);
    z.reset();
    let status = z.compress_vec(bytes, &mut out, FlushCompress::Finish).map_err(std::io::Error::other)?;
    if status != Status::StreamEnd || z.total_in() != bytes.len() as u64 {
        return Err(std::io::Error::other("zlib did not finish the object"));
    }
    Ok(out)
}

/// The version 2 index of a pack: fan-out table, sorted ids, CRCs,
/// offsets (large ones in a second table), pack checksum, own checksum.
fn index(sorted: &[Packed], pack_hash: &[u8; 20]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 1024 + sorted.len() * 28 + 40);
    out.extend_from_slice(b"\xfftOc");
    out.extend_from_slice(&2u32.to_be_bytes());
    let mut fanout = [0u32; 256];
    for p in sorted {
        fanout[p.id.as_bytes()[0] as usize] += 1;
    }
    let mut total = 0;
    for count in fanout {
        total += count;
        out.extend_from_slice(&total.to_be_bytes());
    }
    for p in sorted {
        out.extend_from_slice(p.id.as_bytes());
    }
    for p in sorted {
        out.extend_from_slice(&p.crc.to_be_bytes());
    }
    let mut large = Vec::new();
    for p in sorted {
        let small = match u32::try_from(p.offset) {
            Ok(o) if o < 0x8000_0000 => o,
            _ => {
                large.push(p.offset);
                0x8000_0000 | (large.len() as u32 - 1)
            }
        };
        out.extend_from_slice(&small.to_be_bytes());
    }
    for offset in large {
        out.extend_from_slice(&offset.to_be_bytes());
    }
    out.extend_from_slice(pack_hash);
    let own: [u8; 20] = Sha1::digest(&out).into();
    out.extend_from_slice(&own);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_headers_carry_type_and_size_as_git_reads_them() {
        // Size 15 fits in the first byte; 16 needs a second.
        let z = &mut Compress::new(Compression::fast(), true);
        assert_eq!(entry(z, &[b'x'; 15]).unwrap()[0], 0x3f);
        let e = entry(z, &[b'x'; 16]).unwrap();
        assert_eq!(&e[..2], &[0xb0, 0x01]);
        let e = entry(z, &[b'x'; 1000]).unwrap();
        // 1000 = 0b11_1110_1000: low nibble 8, then 62.
        assert_eq!(&e[..2], &[0xb8, 62]);
        // The stream after the header is the object, whatever came before.
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&e[2..]), &mut back).unwrap();
        assert_eq!(back, [b'x'; 1000]);
    }
}
