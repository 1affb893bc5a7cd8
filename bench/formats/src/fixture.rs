//! The benchmark's input: the customer and staff files of the store
//! `bench/run.sh` generates (bench/generate.rs), so every benchmark reads
//! the same realistic files.

use std::path::Path;

/// Customer files of a store's work tree (`customers/*/*.toml`), up to `n`,
/// as (id, text), in path order.
pub fn customers(dir: &Path, n: usize) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let customers = dir.join("customers");
    let mut shards: Vec<_> = std::fs::read_dir(&customers)
        .unwrap_or_else(|e| panic!("{}: {e}; run bench/run.sh once to generate the fixture", customers.display()))
        .flatten()
        .collect();
    shards.sort_by_key(|e| e.file_name());
    for shard in shards {
        let mut names: Vec<_> = std::fs::read_dir(shard.path()).unwrap().flatten().collect();
        names.sort_by_key(|e| e.file_name());
        for f in names {
            let name = f.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".toml") {
                files.push((id.to_string(), std::fs::read_to_string(f.path()).unwrap()));
                if files.len() == n {
                    return files;
                }
            }
        }
    }
    files
}

/// The staff handles of the store (`staff/*.toml`).
pub fn handles(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir.join("staff"))
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".toml").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The shard directory of `id`: the first byte of its SHA-256, in hex.
pub fn shard(id: &str) -> String {
    use sha2::Digest;
    format!("{:02x}", sha2::Sha256::digest(id.as_bytes())[0])
}
