//! [`JournalStore`]: the broker's [`MessageStore`] on an append-only journal.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use model::store::{DurableDef, MessageStore, Recovered, StoreError, StoreKey, SyncPoint};
use model::{Message, MessageId};

use crate::codec::encode_message;
use crate::frame::{self, HEADER_LEN};
use crate::index::{Index, Loc};
use crate::op;
use crate::recovery::{self, Report};
use crate::segment::{segment_path, DEFAULT_MAX_SEGMENT};
use crate::writer::{Chunk, Disk, Writer};

/// How a journal is opened.
#[derive(Clone, Debug)]
pub struct Options {
    /// Segment size at which a new segment starts (a frame is never split,
    /// so one larger message makes one larger segment).
    pub max_segment: u64,
    /// `fdatasync` every group before confirming it. Off only for tests and
    /// users who accept losing the last moments on a power failure (the OS
    /// still has the data after a process crash).
    pub sync: bool,
    /// How many bytes of live records one [`MessageStore::maintain`] call
    /// may move while compacting, to keep each pause short.
    pub compaction_step: u64,
    /// Record bytes per queue or durable subscription read back at start;
    /// the rest is paged in as consumers need it.
    pub preload: u64,
    /// Extend each new segment to `max_segment` up front (sparse), so syncs
    /// need not update the file size: about 1.5x the sync rate on ext4.
    pub preallocate: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_segment: DEFAULT_MAX_SEGMENT,
            sync: true,
            compaction_step: 4 * 1024 * 1024,
            preallocate: true,
            preload: 8 * 1024 * 1024,
        }
    }
}

/// An index change waiting for its group to be sealed (only then is its
/// position in the journal known).
enum Pending {
    Add {
        key: StoreKey,
        seq: u64,
        redelivery: u32,
        at: usize,
        len: usize,
    },
    Remove {
        key: StoreKey,
        seq: u64,
    },
    DropKey(StoreKey),
    Durable {
        def: DurableDef,
        at: usize,
        len: usize,
    },
    Prepare {
        tx: Arc<str>,
        at: usize,
        len: usize,
    },
    Outcome(Arc<str>),
    Job {
        id: Arc<str>,
        at: usize,
        len: usize,
    },
    JobDone(Arc<str>),
    Redelivered {
        key: StoreKey,
        seq: u64,
        count: u32,
    },
}

pub struct JournalStore {
    dir: PathBuf,
    options: Options,
    index: Index,
    writer: Writer,
    /// The segment new groups go to, and its size including queued groups.
    head: u32,
    head_size: u64,
    /// Bytes of all segments (data written or queued), for the store
    /// limit: kept as it changes because the limit is checked on every
    /// persistent send.
    disk_bytes: u64,
    /// Number of the next group to seal; the writer reports progress in it.
    next_group: u64,
    /// The open group: its payload (length-prefixed operations) and the
    /// index changes it makes.
    payload: Vec<u8>,
    pending: Vec<Pending>,
    report: Report,
}

impl JournalStore {
    /// Opens (or creates) the journal in `dir`, replays it, and returns the
    /// store with what it held. The caller holds the directory lock.
    ///
    /// # Errors
    /// If the directory or a segment cannot be read or written.
    pub fn open(dir: &Path, options: Options) -> Result<(JournalStore, Recovered), StoreError> {
        std::fs::create_dir_all(dir)?;
        let mut index = Index::default();
        let report = recovery::replay(dir, &mut index)?;
        let recovered = recovery::load(dir, &index, options.preload)?;
        // New groups always start a new segment: the old newest one may end
        // where a torn frame was cut, and starting clean keeps that simple.
        let head = index.segments.keys().next_back().map_or(1, |id| id + 1);
        index.segment(head);
        let writer = Writer::start(
            dir.to_path_buf(),
            head,
            Disk {
                sync: options.sync,
                preallocate: if options.preallocate {
                    options.max_segment
                } else {
                    0
                },
            },
        )?;
        let disk_bytes = index.segments.values().map(|s| s.size).sum();
        let mut store = JournalStore {
            dir: dir.to_path_buf(),
            options,
            index,
            writer,
            head,
            head_size: 0,
            disk_bytes,
            next_group: 1,
            payload: Vec::new(),
            pending: Vec::new(),
            report,
        };
        store.maintain();
        Ok((store, recovered))
    }

    /// Where to wait for everything sealed so far (tests, tools).
    pub fn sync_point_all(&self) -> Option<SyncPoint> {
        self.sync_point(self.next_group - 1)
    }

    /// What the replay at open found (torn tails, skipped corruption).
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Segment files present, oldest first, with their size and live bytes.
    pub fn segments(&self) -> Vec<(u32, u64, u64)> {
        self.index
            .segments
            .iter()
            .map(|(&id, s)| (id, s.size, s.live_bytes))
            .collect()
    }

    /// Messages stored under `key`.
    pub fn len(&self, key: &StoreKey) -> usize {
        self.index.messages.get(key).map_or(0, |q| q.len())
    }

    pub fn is_empty(&self) -> bool {
        self.index.messages.is_empty()
    }

    /// Begins an operation in the open group; returns where its bytes start.
    fn begin_op(&mut self) -> usize {
        self.payload.extend_from_slice(&[0; 4]);
        self.payload.len()
    }

    /// Ends the operation begun at `at` by writing its length prefix.
    fn end_op(&mut self, at: usize) -> usize {
        let len = self.payload.len() - at;
        self.payload[at - 4..at].copy_from_slice(&(len as u32).to_le_bytes());
        len
    }

    fn add_record(&mut self, key: &StoreKey, seq: u64, message: &Arc<Message>, temporary: bool) {
        let at = self.begin_op();
        op::put_add_header(&mut self.payload, key, seq, 0, temporary);
        encode_message(message, &mut self.payload);
        let len = self.end_op(at);
        self.pending.push(Pending::Add {
            key: key.clone(),
            seq,
            redelivery: 0,
            at,
            len,
        });
    }

    /// Appends an already-encoded `Add` or `Durable` (a compaction move).
    fn copy_op(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        let at = self.begin_op();
        self.payload.extend_from_slice(bytes);
        let len = self.end_op(at);
        match op::decode(bytes) {
            Ok(op::Op::Add {
                key,
                seq,
                redelivery_count,
                ..
            }) => {
                // Redelivery notes are not live records: the old segment's
                // go with it. Write the count the index holds beside the
                // moved record, in the same group, so a restart keeps it.
                let current = self.index.get(&key, seq).map_or(0, |(_, r)| r);
                let note = (current > redelivery_count).then(|| (key.clone(), current));
                self.pending.push(Pending::Add {
                    key,
                    seq,
                    redelivery: redelivery_count,
                    at,
                    len,
                });
                if let Some((key, count)) = note {
                    let at = self.begin_op();
                    op::put_redelivered(&mut self.payload, &key, seq, count);
                    self.end_op(at);
                    self.pending.push(Pending::Redelivered { key, seq, count });
                }
            }
            Ok(op::Op::Durable(def)) => self.pending.push(Pending::Durable { def, at, len }),
            Ok(op::Op::Prepare { tx, .. }) => self.pending.push(Pending::Prepare { tx, at, len }),
            Ok(op::Op::Job { job, .. }) => self.pending.push(Pending::Job {
                id: job.id,
                at,
                len,
            }),
            Ok(_) => {}
            Err(e) => return Err(StoreError::WriteFailed(Arc::from(e.to_string()))),
        }
        Ok(())
    }

    /// Moves the live records of one mostly-dead segment to the head.
    fn compact(&mut self, segment: u32) {
        let locs = self.index.live_in(segment);
        let file = match std::fs::File::open(segment_path(&self.dir, segment)) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!("journal: compaction of segment {segment}: {e}");
                return;
            }
        };
        let mut moved = 0u64;
        for loc in locs {
            if moved >= self.options.compaction_step {
                break;
            }
            let mut bytes = vec![0u8; loc.len as usize];
            if let Err(e) = file.read_exact_at(&mut bytes, loc.offset) {
                tracing::error!("journal: compaction of segment {segment}: {e}");
                return;
            }
            if let Err(e) = self.copy_op(&bytes) {
                tracing::error!("journal: compaction of segment {segment}: {e}");
                return;
            }
            moved += u64::from(loc.len);
        }
        if moved > 0 {
            tracing::debug!("journal: moved {moved} live bytes out of segment {segment}");
            let _ = self.seal();
        }
    }
}

impl MessageStore for JournalStore {
    fn add(&mut self, key: &StoreKey, seq: u64, message: &Arc<Message>) -> Result<(), StoreError> {
        self.add_record(key, seq, message, false);
        Ok(())
    }

    fn add_temporary(
        &mut self,
        key: &StoreKey,
        seq: u64,
        message: &Arc<Message>,
    ) -> Result<bool, StoreError> {
        self.add_record(key, seq, message, true);
        Ok(true)
    }

    fn spills(&self) -> bool {
        true
    }

    fn redelivered(&mut self, key: &StoreKey, seq: u64, count: u32) {
        if self.index.get(key, seq).is_none() {
            return;
        }
        let at = self.begin_op();
        op::put_redelivered(&mut self.payload, key, seq, count);
        self.end_op(at);
        self.pending.push(Pending::Redelivered {
            key: key.clone(),
            seq,
            count,
        });
    }

    fn remove(&mut self, key: &StoreKey, seq: u64, _id: &MessageId) -> Result<(), StoreError> {
        // The core removes every consumed message of a stored destination;
        // only those actually recorded need a record of their removal.
        let pending = self
            .pending
            .iter()
            .any(|p| matches!(p, Pending::Add { key: k, seq: s, .. } if k == key && *s == seq));
        if !pending && self.index.get(key, seq).is_none() {
            return Ok(());
        }
        let at = self.begin_op();
        op::put_remove(&mut self.payload, key, seq);
        self.end_op(at);
        self.pending.push(Pending::Remove {
            key: key.clone(),
            seq,
        });
        Ok(())
    }

    fn drop_key(&mut self, key: &StoreKey) -> Result<(), StoreError> {
        let at = self.begin_op();
        op::put_drop_key(&mut self.payload, key);
        self.end_op(at);
        self.pending.push(Pending::DropKey(key.clone()));
        Ok(())
    }

    fn add_durable(&mut self, def: &DurableDef) -> Result<(), StoreError> {
        let at = self.begin_op();
        op::put_durable(&mut self.payload, def);
        let len = self.end_op(at);
        self.pending.push(Pending::Durable {
            def: def.clone(),
            at,
            len,
        });
        Ok(())
    }

    fn load(
        &mut self,
        key: &StoreKey,
        seq: u64,
    ) -> Result<Option<(Arc<Message>, u32)>, StoreError> {
        // Paging in right after paging out (same operation): make the
        // record's position known first.
        if !self.pending.is_empty() {
            self.seal();
        }
        let Some((loc, redelivery)) = self.index.get(key, seq) else {
            return Ok(None);
        };
        // A record may be read only once it is wholly written: a read racing
        // the writer could see its tail still zero, which decodes as a
        // valid but wrong message. Written is enough; it need not be synced.
        self.writer
            .wait_written(loc.segment, loc.offset + u64::from(loc.len))?;
        let bytes = recovery::read_op(&self.dir, loc)?;
        let message = match op::decode(&bytes) {
            Ok(op::Op::Add { message, .. }) => crate::codec::message_from(message).ok(),
            _ => None,
        };
        match message {
            Some(m) => Ok(Some((m, redelivery))),
            None => Err(StoreError::WriteFailed(Arc::from(format!(
                "record of message {seq} in segment {} is unreadable",
                loc.segment
            )))),
        }
    }

    fn prepare(&mut self, tx: &model::store::PreparedTx) -> Result<(), StoreError> {
        let at = self.begin_op();
        op::put_prepare(&mut self.payload, tx);
        let len = self.end_op(at);
        self.pending.push(Pending::Prepare {
            tx: Arc::clone(&tx.id),
            at,
            len,
        });
        Ok(())
    }

    fn resolve(&mut self, tx: &str) -> Result<(), StoreError> {
        let at = self.begin_op();
        op::put_outcome(&mut self.payload, tx);
        self.end_op(at);
        self.pending.push(Pending::Outcome(Arc::from(tx)));
        Ok(())
    }

    fn schedule(&mut self, job: &model::StoredJob) -> Result<(), StoreError> {
        let at = self.begin_op();
        op::put_job(&mut self.payload, job);
        let len = self.end_op(at);
        self.pending.push(Pending::Job {
            id: Arc::clone(&job.id),
            at,
            len,
        });
        Ok(())
    }

    fn unschedule(&mut self, id: &str) -> Result<(), StoreError> {
        let at = self.begin_op();
        op::put_job_done(&mut self.payload, id);
        self.end_op(at);
        self.pending.push(Pending::JobDone(Arc::from(id)));
        Ok(())
    }

    fn seal(&mut self) -> Option<u64> {
        if self.pending.is_empty() {
            return None;
        }
        let frame_len = (HEADER_LEN + self.payload.len()) as u64;
        if self.head_size > 0 && self.head_size + frame_len > self.options.max_segment {
            self.head += 1;
            self.head_size = 0;
            self.index.segment(self.head);
        }
        let group = self.next_group;
        self.next_group += 1;
        let segment = self.head;
        let payload_at = self.head_size + HEADER_LEN as u64;
        for p in std::mem::take(&mut self.pending) {
            let loc = |at: usize, len: usize| Loc {
                segment,
                offset: payload_at + at as u64,
                len: len as u32,
            };
            match p {
                Pending::Add {
                    key,
                    seq,
                    redelivery,
                    at,
                    len,
                } => self.index.add(&key, seq, redelivery, loc(at, len), group),
                Pending::Remove { key, seq } => self.index.remove(&key, seq, segment, group),
                Pending::DropKey(key) => self.index.drop_key(&key, segment, group),
                Pending::Durable { def, at, len } => self.index.durable(def, loc(at, len), group),
                Pending::Prepare { tx, at, len } => self.index.prepare(tx, loc(at, len), group),
                Pending::Outcome(tx) => self.index.outcome(&tx, segment, group),
                Pending::Job { id, at, len } => self.index.job(id, loc(at, len), group),
                Pending::JobDone(id) => self.index.job_done(&id, segment, group),
                Pending::Redelivered { key, seq, count } => {
                    self.index.redelivered(&key, seq, count);
                }
            }
        }
        let mut bytes = Vec::with_capacity(frame_len as usize);
        frame::encode(&self.payload, &mut bytes);
        self.payload.clear();
        self.head_size += frame_len;
        self.disk_bytes += frame_len;
        let info = self.index.segment(segment);
        info.size = self.head_size;
        info.last_group = group;
        self.writer.push(Chunk {
            segment,
            group,
            bytes,
        });
        Some(group)
    }

    fn sync_point(&self, group: u64) -> Option<SyncPoint> {
        let status = self.writer.status();
        let pending = {
            let s = status.borrow();
            // Already handled, but failed: the caller must hear about it.
            s.done < group
                || s.failures
                    .iter()
                    .any(|(f, l, _)| *f <= group && group <= *l)
        };
        pending.then(|| SyncPoint::new(group, status, self.writer.hurry()))
    }

    fn usage(&self) -> u64 {
        self.disk_bytes
    }

    fn backlog(&self) -> u64 {
        self.writer.queued() + self.payload.len() as u64
    }

    fn maintain(&mut self) {
        let durable = self.writer.done();
        for id in self.index.deletable(self.head, durable) {
            match std::fs::remove_file(segment_path(&self.dir, id)) {
                Ok(()) => {
                    tracing::debug!("journal: segment {id} removed, nothing live in it");
                    let size = self.index.segments.get(&id).map_or(0, |s| s.size);
                    self.disk_bytes = self.disk_bytes.saturating_sub(size);
                    self.index.forget_segment(id);
                }
                Err(e) => tracing::error!("journal: removing segment {id}: {e}"),
            }
        }
        if let Some(id) = self.index.compaction_candidate(self.head, durable) {
            self.compact(id);
        }
    }
}
