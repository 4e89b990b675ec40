//! Replaying the journal on start.
//!
//! Segments are read oldest first and their operations applied to a fresh
//! [`Index`]. What can go wrong, and what recovery does:
//!
//! - The last frame of the newest segment is torn (a crash mid-write): its
//!   checksum fails or it ends early. Nothing in it was ever confirmed to a
//!   client, because confirmation waits for the sync. The tail is cut off.
//! - A frame in the middle is corrupt (bad disk, a stray write): it is
//!   skipped up to the next intact frame, and the loss is logged loudly with
//!   the segment and offset. Everything else is recovered.
//! - A frame decodes to nonsense despite its checksum (a bug): the same.

use std::path::Path;

use model::store::{Recovered, RecoveredMessage};

use crate::codec::message_from;
use crate::frame::{self, Scan, HEADER_LEN};
use crate::index::{Index, Loc};
use crate::op::{self, Op};
use crate::segment::{list, segment_path};
use crate::StoreError;

/// What a replay found besides the index.
#[derive(Debug, Default)]
pub struct Report {
    pub segments: usize,
    pub frames: u64,
    /// Torn tails cut off, as (segment, bytes).
    pub truncated: Vec<(u32, u64)>,
    /// Corrupt stretches skipped, as (segment, offset, bytes).
    pub skipped: Vec<(u32, u64, u64)>,
}

/// Replays every segment in `dir` into `index`. Group numbers restart at 1
/// after a restart, so replayed records count as group 0 (already durable).
///
/// # Errors
/// Only when a segment cannot be read or cut back; damaged content is
/// reported, not an error.
pub fn replay(dir: &Path, index: &mut Index) -> Result<Report, StoreError> {
    let ids = list(dir)?;
    let mut report = Report {
        segments: ids.len(),
        ..Report::default()
    };
    for (n, &id) in ids.iter().enumerate() {
        let newest = n + 1 == ids.len();
        let path = segment_path(dir, id);
        let buf = std::fs::read(&path)?;
        index.segment(id).size = buf.len() as u64;
        let mut at = 0usize;
        while at < buf.len() {
            let scanned = frame::scan(&buf, at);
            if !matches!(scanned, Scan::Frame { .. }) && buf[at..].iter().all(|b| *b == 0) {
                // The unwritten, preallocated rest of the segment.
                index.segment(id).size = at as u64;
                break;
            }
            match scanned {
                Scan::Frame { payload, len, next } => {
                    report.frames += 1;
                    apply_frame(index, id, payload, &buf[payload..payload + len]);
                    at = next;
                }
                Scan::Truncated if newest => {
                    cut(&path, at as u64)?;
                    index.segment(id).size = at as u64;
                    tracing::warn!(
                        "journal: segment {id}: torn last record ({} bytes at offset {at}) dropped; \
                         it was never confirmed to a client",
                        buf.len() - at
                    );
                    report.truncated.push((id, (buf.len() - at) as u64));
                    break;
                }
                Scan::Truncated | Scan::Corrupt => match frame::resync(&buf, at) {
                    Some(next) => {
                        tracing::error!(
                            "journal: segment {id}: corrupt data at offset {at}: {} bytes skipped; \
                             records in them are lost",
                            next - at
                        );
                        report.skipped.push((id, at as u64, (next - at) as u64));
                        at = next;
                    }
                    None if newest => {
                        cut(&path, at as u64)?;
                        index.segment(id).size = at as u64;
                        tracing::warn!(
                            "journal: segment {id}: damaged tail ({} bytes at offset {at}) dropped",
                            buf.len() - at
                        );
                        report.truncated.push((id, (buf.len() - at) as u64));
                        break;
                    }
                    None => {
                        tracing::error!(
                            "journal: segment {id}: corrupt data from offset {at} to the end \
                             ({} bytes) skipped; records in them are lost",
                            buf.len() - at
                        );
                        report
                            .skipped
                            .push((id, at as u64, (buf.len() - at) as u64));
                        break;
                    }
                },
            }
        }
    }
    Ok(report)
}

fn cut(path: &Path, len: u64) -> std::io::Result<()> {
    let f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    f.sync_all()
}

fn apply_frame(index: &mut Index, segment: u32, payload_at: usize, payload: &[u8]) {
    let ops = match op::split(payload) {
        Ok(ops) => ops,
        Err(e) => {
            tracing::error!(
                "journal: segment {segment}: frame at {}: {e}",
                payload_at - HEADER_LEN
            );
            return;
        }
    };
    for (offset, bytes) in ops {
        let loc = Loc {
            segment,
            offset: (payload_at + offset) as u64,
            len: bytes.len() as u32,
        };
        match op::decode(bytes) {
            // Spilled non-persistent messages do not outlive the broker.
            Ok(Op::Add {
                temporary: true, ..
            }) => {}
            Ok(Op::Add {
                key,
                seq,
                redelivery_count,
                ..
            // Recovered messages count as redelivered: whether they were
            // dispatched before the restart cannot be known.
            }) => index.add(&key, seq, redelivery_count + 1, loc, 0),
            Ok(Op::Remove { key, seq }) => index.remove(&key, seq, segment, 0),
            Ok(Op::DropKey { key }) => index.drop_key(&key, segment, 0),
            Ok(Op::Durable(def)) => index.durable(def, loc, 0),
            Ok(Op::Prepare { tx, .. }) => index.prepare(tx, loc, 0),
            Ok(Op::Outcome { tx }) => index.outcome(&tx, segment, 0),
            // +1 as for every recovered message (see `Add` above).
            Ok(Op::Redelivered { key, seq, count }) => index.redelivered(&key, seq, count + 1),
            Ok(Op::Job { job, .. }) => index.job(job.id, loc, 0),
            Ok(Op::JobDone { id }) => index.job_done(&id, segment, 0),
            Err(e) => tracing::error!("journal: segment {segment}: record at {}: {e}", loc.offset),
        }
    }
}

/// Reads back, segment by segment, the oldest messages of each queue and
/// durable subscription up to `preload` record bytes each; the rest are
/// listed as paged, for the core to read when consumers need them. That
/// keeps both start-up time and memory independent of the backlog.
///
/// # Errors
/// If a segment cannot be read.
pub fn load(dir: &Path, index: &Index, preload: u64) -> Result<Recovered, StoreError> {
    let mut by_segment: std::collections::BTreeMap<u32, Vec<(model::StoreKey, u64, u32, Loc)>> =
        std::collections::BTreeMap::new();
    let mut paged = Vec::new();
    for (key, q) in &index.messages {
        let mut budget = preload;
        for (&seq, &(loc, redelivery)) in q {
            if budget == 0 {
                paged.push((key.clone(), seq));
                continue;
            }
            budget = budget.saturating_sub(u64::from(loc.len));
            by_segment
                .entry(loc.segment)
                .or_default()
                .push((key.clone(), seq, redelivery, loc));
        }
    }
    paged.sort_by_key(|(_, seq)| *seq);
    let mut out = Recovered {
        durables: index.durables.values().map(|(d, _)| d.clone()).collect(),
        messages: Vec::new(),
        prepared: Vec::new(),
        paged,
        jobs: Vec::new(),
    };
    for (segment, records) in by_segment {
        let buf = std::fs::read(segment_path(dir, segment))?;
        for (key, seq, redelivery, loc) in records {
            let start = loc.offset as usize;
            let decoded = buf
                .get(start..start + loc.len as usize)
                .ok_or(crate::bin_io::DecodeError("record outside its segment"))
                .and_then(op::decode)
                .and_then(|op| match op {
                    Op::Add { message, .. } => message_from(message),
                    _ => Err(crate::bin_io::DecodeError("index points at a non-message")),
                });
            match decoded {
                Ok(message) => out.messages.push(RecoveredMessage {
                    key,
                    seq,
                    redelivery_count: redelivery,
                    message,
                }),
                Err(e) => tracing::error!(
                    "journal: segment {segment}: message at {}: {e}; skipped",
                    loc.offset
                ),
            }
        }
    }
    out.messages.sort_by_key(|m| m.seq);
    for (id, loc) in &index.prepared {
        match read_op(dir, *loc).and_then(|bytes| prepared_from(&bytes)) {
            Ok(tx) => out.prepared.push(tx),
            Err(e) => tracing::error!("journal: prepared transaction {id}: {e}; lost"),
        }
    }
    for (id, loc) in &index.jobs {
        let job = read_op(dir, *loc).and_then(|bytes| match op::decode(&bytes) {
            Ok(Op::Job { job, message }) => message_from(message)
                .map(|m| job.into_job(m))
                .map_err(|e| StoreError::WriteFailed(std::sync::Arc::from(e.to_string()))),
            _ => Err(StoreError::WriteFailed(std::sync::Arc::from(
                "index points at a non-job",
            ))),
        });
        match job {
            Ok(job) => out.jobs.push(job),
            Err(e) => tracing::error!("journal: scheduled job {id}: {e}; lost"),
        }
    }
    Ok(out)
}

pub fn read_op(dir: &Path, loc: Loc) -> Result<Vec<u8>, StoreError> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(segment_path(dir, loc.segment))?;
    let mut bytes = vec![0u8; loc.len as usize];
    f.read_exact_at(&mut bytes, loc.offset)?;
    Ok(bytes)
}

fn prepared_from(bytes: &[u8]) -> Result<model::store::PreparedTx, StoreError> {
    let bad = |e: crate::bin_io::DecodeError| {
        StoreError::WriteFailed(std::sync::Arc::from(e.to_string()))
    };
    let Op::Prepare { tx, sends, acks } = op::decode(bytes).map_err(bad)? else {
        return Err(bad(crate::bin_io::DecodeError(
            "index points at a non-transaction",
        )));
    };
    let mut messages = Vec::with_capacity(sends.len());
    for s in sends {
        messages.push((*message_from(s).map_err(bad)?).clone());
    }
    Ok(model::store::PreparedTx {
        id: tx,
        sends: messages,
        acks,
    })
}
