//! The data directory lock: one broker per directory.
//!
//! A second broker started on the same directory waits here until the first
//! one exits (or dies: the kernel drops an `flock` with its holder). That is
//! the basis of shared-storage master/slave: the slave is simply the broker
//! still waiting for the lock.

use std::fs::{File, OpenOptions};
use std::path::Path;

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock on `dir/lock`, waiting as long as another process
    /// holds it. `on_wait` is called once if it has to wait.
    ///
    /// # Errors
    /// If the lock file cannot be created or locked.
    pub fn acquire(dir: &Path, on_wait: impl FnOnce()) -> std::io::Result<DirLock> {
        let file = open_lock_file(dir)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                on_wait();
                file.lock()?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        Ok(DirLock { _file: file })
    }

    /// Takes the lock only if it is free now.
    ///
    /// # Errors
    /// `WouldBlock` if another process holds it, or an I/O error.
    pub fn try_acquire(dir: &Path) -> std::io::Result<DirLock> {
        let file = open_lock_file(dir)?;
        file.try_lock().map_err(std::io::Error::from)?;
        Ok(DirLock { _file: file })
    }
}

/// `dir/lock`, created if missing; its content is never used, only the lock.
fn open_lock_file(dir: &Path) -> std::io::Result<File> {
    std::fs::create_dir_all(dir)?;
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(dir.join("lock"))
}
