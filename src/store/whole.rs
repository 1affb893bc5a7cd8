//! Files replaced whole: the caches under `.git/crm/` and the files crm
//! writes for people (a digest), written to a temporary sibling and moved
//! into place, so a reader finds the old file or the new one, never half.

use std::fs;
use std::io::Write as _;
use std::path::Path;

/// Replaces (or creates) the file `path` with `content`, creating its
/// directory if need be.
pub fn write(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(content)?;
    tmp.persist(path).map(drop).map_err(|e| e.error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_created_with_its_directory_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm").join("cache");
        write(&path, b"first, and longer\n").unwrap();
        write(&path, b"second\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second\n");
        let left: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["cache"], "no temporary file is left beside it");
        let blocked = dir.path().join("a-file");
        fs::write(&blocked, "").unwrap();
        assert!(write(&blocked.join("cache"), b"x").is_err(), "a directory that cannot be made is an error");
    }
}
