//! The writer thread: group commit.
//!
//! The broker thread seals groups (frames) and queues them here without
//! touching the disk. This thread takes everything queued, writes it with
//! one `write` per segment, syncs once (`fdatasync`), and publishes the
//! number of the last group now durable. While it syncs, more groups queue
//! up and share the next sync: the more producers wait, the more each sync
//! carries, which is why persistent throughput grows with producers.
//!
//! A failed write or sync (a full disk, an I/O error) fails exactly the
//! groups of that batch: the segment is cut back to where it was, their
//! waiters get the error, and the writer goes on with the next batch.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use broker::store::SyncStatus;
use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

use crate::segment::segment_path;

/// Failures remembered for waiters that have not looked yet.
const KEEP_FAILURES: usize = 64;

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
    status: watch::Sender<SyncStatus>,
}

/// Handle to the writer thread; dropping it drains the queue and stops it.
pub struct Writer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the thread. `sync` false skips `fdatasync` (for tests and for
    /// users who trade durability for speed, like KahaDB's
    /// `enableJournalDiskSyncs="false"`).
    ///
    /// # Errors
    /// If the thread cannot be spawned.
    pub fn start(dir: PathBuf, sync: bool) -> std::io::Result<Writer> {
        let (status, _) = watch::channel(SyncStatus::default());
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            status,
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("ferrum-journal".into())
            .spawn(move || run(&s, &dir, sync))?;
        Ok(Writer {
            shared,
            thread: Some(thread),
        })
    }

    pub fn push(&self, chunk: Chunk) {
        self.shared.queue.lock().chunks.push_back(chunk);
        self.shared.wake.notify_one();
    }

    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.shared.status.subscribe()
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

/// The open segment file and how long it is, so a failed write can be cut back.
struct Open {
    segment: u32,
    file: File,
    len: u64,
}

fn run(shared: &Shared, dir: &std::path::Path, sync: bool) {
    let mut open: Option<Open> = None;
    loop {
        let batch: Vec<Chunk> = {
            let mut q = shared.queue.lock();
            while q.chunks.is_empty() && !q.closing {
                shared.wake.wait(&mut q);
            }
            if q.chunks.is_empty() {
                break;
            }
            q.chunks.drain(..).collect()
        };
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            continue;
        };
        let (first, last) = (first.group, last.group);
        let result = write_batch(dir, &mut open, &batch, sync);
        shared.status.send_modify(|s| {
            s.done = last;
            if let Err(e) = &result {
                tracing::error!("journal: groups {first}..={last} not stored: {e}");
                s.failures.push((first, last, Arc::from(e.to_string())));
                if s.failures.len() > KEEP_FAILURES {
                    s.failures.remove(0);
                }
            }
        });
    }
    shared.status.send_modify(|s| s.closed = true);
}

fn write_batch(
    dir: &std::path::Path,
    open: &mut Option<Open>,
    batch: &[Chunk],
    sync: bool,
) -> std::io::Result<()> {
    // Where each touched segment started, to cut it back on failure.
    let mut touched: Vec<(u32, u64)> = Vec::new();
    let result = (|| {
        let mut i = 0;
        while i < batch.len() {
            let segment = batch[i].segment;
            let mut bytes = Vec::new();
            while i < batch.len() && batch[i].segment == segment {
                bytes.extend_from_slice(&batch[i].bytes);
                i += 1;
            }
            if open.as_ref().map(|o| o.segment) != Some(segment) {
                if let Some(old) = open.take() {
                    // The old segment's tail must be durable before the
                    // new one's groups are reported done.
                    if sync {
                        old.file.sync_data()?;
                    }
                }
                *open = Some(open_segment(dir, segment)?);
            }
            let Some(o) = open.as_mut() else {
                continue;
            };
            touched.push((segment, o.len));
            o.file.write_all(&bytes)?;
            o.len += bytes.len() as u64;
        }
        if let (true, Some(o)) = (sync, open.as_ref()) {
            o.file.sync_data()?;
        }
        Ok(())
    })();
    if result.is_err() {
        // Leave no partial frame behind: cut every touched segment back.
        for (segment, len) in touched {
            if let Ok(f) = OpenOptions::new()
                .write(true)
                .open(segment_path(dir, segment))
            {
                let _ = f.set_len(len);
                let _ = f.sync_data();
            }
            if let Some(o) = open.as_mut().filter(|o| o.segment == segment) {
                o.len = len;
            }
        }
    }
    result
}

fn open_segment(dir: &std::path::Path, segment: u32) -> std::io::Result<Open> {
    let path = segment_path(dir, segment);
    let created = !path.exists();
    let file = OpenOptions::new().create(true).append(true).open(&path)?;
    let len = file.metadata()?.len();
    if created {
        // The new file's directory entry must survive a crash too.
        File::open(dir)?.sync_all()?;
    }
    Ok(Open { segment, file, len })
}
