//! The writer thread: group commit.
//!
//! The broker thread seals groups (frames) and queues them here without
//! touching the disk. This thread writes everything queued and syncs
//! (`fdatasync`) when someone waits for it: a handler about to confirm a
//! persistent send, ack or commit asks for its group with [`Writer::want`].
//! While one sync runs, more groups queue up and share the next one, so the
//! more producers wait, the more each sync carries. Groups nobody waits for
//! (an auto-ack's removal, an async send) ride along with the next wanted
//! sync, or are synced after [`LAG`] at the latest.
//!
//! A failed write or sync (a full disk, an I/O error) fails exactly the
//! groups it covered: their bytes are zeroed, their waiters get the error,
//! and the writer goes on with the next batch.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use model::store::SyncStatus;
use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

use crate::segment::segment_path;

/// Failures remembered for waiters that have not looked yet.
const KEEP_FAILURES: usize = 64;

/// Bytes gathered into one pwrite at most.
const MAX_WRITE: usize = 1 << 20;

/// The longest a written group waits for a sync nobody asked for.
pub const LAG: Duration = Duration::from_millis(10);

/// One sealed group on its way to disk.
pub struct Chunk {
    pub segment: u32,
    pub group: u64,
    pub bytes: Vec<u8>,
}

#[derive(Default)]
struct Queue {
    chunks: VecDeque<Chunk>,
    closing: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    /// The highest group somebody waits to see durable.
    wanted: AtomicU64,
    /// Bytes pushed but not yet written: the broker holds producers back
    /// while this is large, so a flood cannot outrun the disk in memory.
    queued: AtomicU64,
    /// How far the files are written, as `segment << 32 | length`
    /// (increasing): a record below it can be read back.
    written_to: AtomicU64,
    status: watch::Sender<SyncStatus>,
}

/// Handle to the writer thread; dropping it writes and syncs what is queued
/// and stops it.
pub struct Writer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// How a segment file is prepared and synced.
#[derive(Clone, Copy, Debug)]
pub struct Disk {
    /// `fdatasync` at all (see [`crate::Options::sync`]).
    pub sync: bool,
    /// Size new segment files are extended to up front (sparse), so that
    /// appending does not change the file size on every sync (KahaDB's
    /// `preallocationStrategy=sparse_file`). 0: grow as written.
    pub preallocate: u64,
}

impl Writer {
    /// Starts the thread.
    ///
    /// # Errors
    /// If the thread cannot be spawned.
    /// Segments below `first` are complete already (an earlier run wrote
    /// them); this thread starts `first`.
    pub fn start(dir: PathBuf, first: u32, disk: Disk) -> std::io::Result<Writer> {
        let (status, _) = watch::channel(SyncStatus::default());
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            wanted: AtomicU64::new(0),
            queued: AtomicU64::new(0),
            written_to: AtomicU64::new(position(first, 0)),
            status,
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("ferrum-journal".into())
            .spawn(move || Run::new(&s, dir, disk).run())?;
        Ok(Writer {
            shared,
            thread: Some(thread),
        })
    }

    pub fn push(&self, chunk: Chunk) {
        self.shared
            .queued
            .fetch_add(chunk.bytes.len() as u64, Ordering::Relaxed);
        self.shared.queue.lock().chunks.push_back(chunk);
        self.shared.wake.notify_one();
    }

    /// A function that asks for every group up to its argument to be
    /// synced now (handed to sync points, called when someone waits).
    pub fn hurry(&self) -> Arc<dyn Fn(u64) + Send + Sync> {
        let shared = Arc::clone(&self.shared);
        Arc::new(move |group| {
            if shared.wanted.fetch_max(group, Ordering::AcqRel) < group {
                // Under the lock, so the writer cannot miss the wake-up
                // between checking `wanted` and going to sleep.
                let _q = shared.queue.lock();
                shared.wake.notify_one();
            }
        })
    }

    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.shared.status.subscribe()
    }

    /// Bytes queued for the thread and not written yet.
    pub fn queued(&self) -> u64 {
        self.shared.queued.load(Ordering::Relaxed)
    }

    /// Waits (briefly: the thread writes as soon as it is handed work)
    /// until the bytes of `segment` up to `end` are in the file.
    ///
    /// # Errors
    /// If they are not written within a few seconds (the disk is failing).
    pub fn wait_written(&self, segment: u32, end: u64) -> std::io::Result<()> {
        let need = position(segment, end);
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut pause = Duration::from_micros(20);
        while self.shared.written_to.load(Ordering::Acquire) < need {
            if Instant::now() > deadline {
                return Err(std::io::Error::other(
                    "journal: record not written within 5 s",
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(1));
        }
        Ok(())
    }

    /// The last group handled (durable or failed).
    pub fn done(&self) -> u64 {
        self.shared.status.borrow().done
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shared.queue.lock().closing = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The open segment file and where its data ends.
struct Open {
    segment: u32,
    file: File,
    len: u64,
}

/// The writer thread's state.
struct Run<'a> {
    shared: &'a Shared,
    dir: PathBuf,
    disk: Disk,
    open: Option<Open>,
    /// Last group written to a file, and last group synced (published).
    written: u64,
    synced: u64,
    /// When the oldest written-but-unsynced group was written.
    unsynced_since: Option<Instant>,
}

impl<'a> Run<'a> {
    fn new(shared: &'a Shared, dir: PathBuf, disk: Disk) -> Run<'a> {
        Run {
            shared,
            dir,
            disk,
            open: None,
            written: 0,
            synced: 0,
            unsynced_since: None,
        }
    }

    fn run(mut self) {
        loop {
            let (batch, closing) = self.next_batch();
            if !batch.is_empty() {
                self.write(&batch);
                let bytes: usize = batch.iter().map(|c| c.bytes.len()).sum();
                self.shared
                    .queued
                    .fetch_sub(bytes as u64, Ordering::Relaxed);
            }
            let wanted = self.shared.wanted.load(Ordering::Acquire);
            let overdue = self.unsynced_since.is_some_and(|t| t.elapsed() >= LAG);
            if self.written > self.synced && (wanted > self.synced || overdue || closing) {
                self.sync();
            }
            if closing && batch.is_empty() && self.written == self.synced {
                break;
            }
        }
        self.shared.status.send_modify(|s| s.closed = true);
    }

    /// Waits for work: queued groups, a wanted sync, or an overdue one.
    fn next_batch(&self) -> (Vec<Chunk>, bool) {
        let mut q = self.shared.queue.lock();
        loop {
            if !q.chunks.is_empty() || q.closing {
                break;
            }
            if self.written > self.synced {
                if self.shared.wanted.load(Ordering::Acquire) > self.synced {
                    break;
                }
                let deadline = self.unsynced_since.map_or_else(Instant::now, |t| t + LAG);
                if Instant::now() >= deadline {
                    break;
                }
                self.shared.wake.wait_until(&mut q, deadline);
            } else {
                self.shared.wake.wait(&mut q);
            }
        }
        (q.chunks.drain(..).collect(), q.closing)
    }

    fn write(&mut self, batch: &[Chunk]) {
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return;
        };
        let (first, last) = (first.group, last.group);
        let mut touched: Vec<(u32, u64, u64)> = Vec::new();
        match self.write_batch(batch, &mut touched) {
            Ok(()) => {
                self.written = last;
                self.unsynced_since.get_or_insert_with(Instant::now);
            }
            Err(e) => {
                self.undo(&touched);
                // What was written before this batch is fine: make it
                // durable, then report the batch as failed.
                if self.written > self.synced {
                    self.sync();
                }
                self.fail(first, last, &e);
                self.written = last;
                self.synced = last;
            }
        }
    }

    fn write_batch(
        &mut self,
        batch: &[Chunk],
        touched: &mut Vec<(u32, u64, u64)>,
    ) -> std::io::Result<()> {
        // Consecutive groups go out in one pwrite, up to a bound so that a
        // large batch is not copied whole.
        let mut bytes = Vec::new();
        let mut i = 0;
        while i < batch.len() {
            let segment = batch[i].segment;
            bytes.clear();
            while i < batch.len() && batch[i].segment == segment && bytes.len() < MAX_WRITE {
                bytes.extend_from_slice(&batch[i].bytes);
                i += 1;
            }
            if self.open.as_ref().map(|o| o.segment) != Some(segment) {
                if let Some(old) = self.open.take() {
                    // The old segment's tail must be durable before any
                    // later group is reported done.
                    if self.disk.sync {
                        old.file.sync_data()?;
                    }
                }
                self.open = Some(open_segment(&self.dir, segment, self.disk.preallocate)?);
            }
            let Some(o) = self.open.as_mut() else {
                continue;
            };
            touched.push((segment, o.len, bytes.len() as u64));
            o.file.write_all_at(&bytes, o.len)?;
            o.len += bytes.len() as u64;
            self.shared
                .written_to
                .store(position(segment, o.len), Ordering::Release);
        }
        Ok(())
    }

    /// Zeroes what a failed batch may have left, so recovery never sees
    /// its frames, and rewinds the write position.
    fn undo(&mut self, touched: &[(u32, u64, u64)]) {
        for &(segment, at, len) in touched {
            if let Ok(f) = OpenOptions::new()
                .write(true)
                .open(segment_path(&self.dir, segment))
            {
                let _ = f.write_all_at(&vec![0u8; len as usize], at);
                let _ = f.sync_data();
            }
            if let Some(o) = self.open.as_mut().filter(|o| o.segment == segment) {
                o.len = o.len.min(at);
            }
        }
    }

    fn sync(&mut self) {
        let result = match (&self.open, self.disk.sync) {
            (Some(o), true) => o.file.sync_data(),
            _ => Ok(()),
        };
        let (first, last) = (self.synced + 1, self.written);
        match result {
            Ok(()) => self.shared.status.send_modify(|s| s.done = last),
            // After a failed fsync the page cache state is unknown: report
            // every unsynced group as failed rather than guess.
            Err(e) => self.fail(first, last, &e),
        }
        self.synced = last;
        self.unsynced_since = None;
    }

    fn fail(&self, first: u64, last: u64, e: &std::io::Error) {
        tracing::error!("journal: groups {first}..={last} not stored: {e}");
        self.shared.status.send_modify(|s| {
            s.done = s.done.max(last);
            s.failures.push((first, last, Arc::from(e.to_string())));
            if s.failures.len() > KEEP_FAILURES {
                s.failures.remove(0);
            }
        });
    }
}

/// A write position that orders across segments.
fn position(segment: u32, len: u64) -> u64 {
    (u64::from(segment) << 32) | len.min(u64::from(u32::MAX))
}

/// Creates a new segment file. Segments are never reopened for writing:
/// after a restart the journal starts a fresh one.
fn open_segment(dir: &Path, segment: u32, preallocate: u64) -> std::io::Result<Open> {
    let path = segment_path(dir, segment);
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)?;
    if preallocate > 0 {
        file.set_len(preallocate)?;
    }
    // The new file's directory entry (and size) must survive a crash too.
    file.sync_all()?;
    File::open(dir)?.sync_all()?;
    Ok(Open {
        segment,
        file,
        len: 0,
    })
}
