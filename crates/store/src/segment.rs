//! Segment files: `db-00000001.log`, `db-00000002.log`, ... in the journal
//! directory, numbered in write order.

use std::path::{Path, PathBuf};

/// 32 MiB, KahaDB's default `journalMaxFileLength`.
pub const DEFAULT_MAX_SEGMENT: u64 = 32 * 1024 * 1024;

pub fn segment_path(dir: &Path, id: u32) -> PathBuf {
    dir.join(format!("db-{id:08}.log"))
}

/// The segment ids present in `dir`, ascending. Other files are ignored.
///
/// # Errors
/// If the directory cannot be read.
pub fn list(dir: &Path) -> std::io::Result<Vec<u32>> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(id) = name
            .strip_prefix("db-")
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u32>().ok())
        {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_segments_in_order_and_ignores_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        for id in [3, 1, 20] {
            std::fs::write(segment_path(dir.path(), id), b"").unwrap();
        }
        std::fs::write(dir.path().join("lock"), b"").unwrap();
        std::fs::write(dir.path().join("db-x.log"), b"").unwrap();
        assert_eq!(list(dir.path()).unwrap(), vec![1, 3, 20]);
    }
}
