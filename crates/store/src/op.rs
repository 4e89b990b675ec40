//! The operations a journal frame holds, and their encoding.
//!
//! A frame's payload is a sequence of operations, each prefixed by its
//! length so recovery can note where every `Add` lies (to read the message
//! again later, for compaction) without decoding the message itself:
//!
//! ```text
//! payload = { op_len u32, op }*
//! op      = kind u8, fields...
//! ```

use std::sync::Arc;

use model::store::{DurableDef, StoreKey, StoredJob};

use crate::bin_io::{put_i64, put_opt_str, put_str, put_u32, put_u64, put_u8, Cursor, DecodeError};
use crate::codec::{destination, put_destination};

const ADD: u8 = 1;
const REMOVE: u8 = 2;
const DROP_KEY: u8 = 3;
const DURABLE: u8 = 4;
const PREPARE: u8 = 5;
const OUTCOME: u8 = 6;
const ADD_TEMPORARY: u8 = 7;
const REDELIVERED: u8 = 8;
/// Added after the first release: older journals simply have none.
const JOB: u8 = 9;
const JOB_DONE: u8 = 10;

/// One operation, decoded. `Add` keeps the message encoded: most of them are
/// removed again before anyone needs the message back.
#[derive(Debug, PartialEq)]
pub enum Op<'a> {
    /// A persistent message entered a queue or durable subscription.
    Add {
        key: StoreKey,
        seq: u64,
        redelivery_count: u32,
        message: &'a [u8],
        /// A non-persistent message spilled to disk under memory pressure:
        /// read back like the others, but forgotten at restart.
        temporary: bool,
    },
    /// The message at `seq` left `key` (consumed, expired, moved to the DLQ).
    Remove { key: StoreKey, seq: u64 },
    /// The queue or durable subscription is gone, with everything in it.
    DropKey { key: StoreKey },
    /// A durable subscription was created (or re-created).
    Durable(DurableDef),
    /// An XA transaction was prepared: its sends (encoded messages) and the
    /// stored messages it acknowledged.
    Prepare {
        tx: Arc<str>,
        sends: Vec<&'a [u8]>,
        acks: Vec<(StoreKey, u64)>,
    },
    /// A prepared transaction was committed or rolled back.
    Outcome { tx: Arc<str> },
    /// A stored message went back for redelivery: its count now.
    Redelivered { key: StoreKey, seq: u64, count: u32 },
    /// A scheduled job, new or in its state after a firing (the message
    /// stays encoded, as in `Add`).
    Job { job: JobHeader, message: &'a [u8] },
    /// A scheduled job is done or was removed.
    JobDone { id: Arc<str> },
}

/// A scheduled job's fields besides its message.
#[derive(Debug, PartialEq, Clone)]
pub struct JobHeader {
    pub id: Arc<str>,
    pub next: i64,
    pub delay: i64,
    pub period: i64,
    pub repeat: i64,
    pub cron: Option<Arc<str>>,
}

impl JobHeader {
    pub fn into_job(self, message: Arc<model::Message>) -> StoredJob {
        StoredJob {
            id: self.id,
            next: self.next,
            delay: self.delay,
            period: self.period,
            repeat: self.repeat,
            cron: self.cron,
            message,
        }
    }
}

pub fn put_job(out: &mut Vec<u8>, job: &StoredJob) {
    put_u8(out, JOB);
    put_str(out, &job.id);
    put_i64(out, job.next);
    put_i64(out, job.delay);
    put_i64(out, job.period);
    put_i64(out, job.repeat);
    put_opt_str(out, job.cron.as_deref());
    crate::codec::encode_message(&job.message, out);
}

pub fn put_job_done(out: &mut Vec<u8>, id: &str) {
    put_u8(out, JOB_DONE);
    put_str(out, id);
}

/// Appends the header of an `Add` whose encoded message the caller appends
/// right after (so a message is encoded straight into the frame buffer).
pub fn put_add_header(
    out: &mut Vec<u8>,
    key: &StoreKey,
    seq: u64,
    redelivery_count: u32,
    temporary: bool,
) {
    put_u8(out, if temporary { ADD_TEMPORARY } else { ADD });
    put_key(out, key);
    put_u64(out, seq);
    put_u32(out, redelivery_count);
}

pub fn put_remove(out: &mut Vec<u8>, key: &StoreKey, seq: u64) {
    put_u8(out, REMOVE);
    put_key(out, key);
    put_u64(out, seq);
}

pub fn put_drop_key(out: &mut Vec<u8>, key: &StoreKey) {
    put_u8(out, DROP_KEY);
    put_key(out, key);
}

pub fn put_durable(out: &mut Vec<u8>, def: &DurableDef) {
    put_u8(out, DURABLE);
    put_str(out, &def.client_id);
    put_str(out, &def.name);
    put_destination(out, &def.topic);
    put_opt_str(out, def.selector.as_deref());
    put_u8(out, u8::from(def.no_local));
}

pub fn put_prepare(out: &mut Vec<u8>, tx: &model::store::PreparedTx) {
    put_u8(out, PREPARE);
    put_str(out, &tx.id);
    put_u32(out, tx.sends.len() as u32);
    let mut m = Vec::new();
    for send in &tx.sends {
        m.clear();
        crate::codec::encode_message(send, &mut m);
        crate::bin_io::put_bytes(out, &m);
    }
    put_u32(out, tx.acks.len() as u32);
    for (key, seq) in &tx.acks {
        put_key(out, key);
        put_u64(out, *seq);
    }
}

pub fn put_redelivered(out: &mut Vec<u8>, key: &StoreKey, seq: u64, count: u32) {
    put_u8(out, REDELIVERED);
    put_key(out, key);
    put_u64(out, seq);
    put_u32(out, count);
}

pub fn put_outcome(out: &mut Vec<u8>, tx: &str) {
    put_u8(out, OUTCOME);
    put_str(out, tx);
}

fn put_key(out: &mut Vec<u8>, key: &StoreKey) {
    match key {
        StoreKey::Queue(name) => {
            put_u8(out, 0);
            put_str(out, name);
        }
        StoreKey::Durable { client_id, name } => {
            put_u8(out, 1);
            put_str(out, client_id);
            put_str(out, name);
        }
    }
}

fn key(c: &mut Cursor<'_>) -> Result<StoreKey, DecodeError> {
    match c.u8()? {
        0 => Ok(StoreKey::Queue(c.arc_str()?)),
        1 => Ok(StoreKey::Durable {
            client_id: c.arc_str()?,
            name: c.arc_str()?,
        }),
        _ => Err(DecodeError("bad store key tag")),
    }
}

/// Decodes one operation (the bytes between two length prefixes).
///
/// # Errors
/// [`DecodeError`] on an unknown kind or a short record.
pub fn decode(bytes: &[u8]) -> Result<Op<'_>, DecodeError> {
    let mut c = Cursor::new(bytes);
    let kind = c.u8()?;
    let op = match kind {
        ADD | ADD_TEMPORARY => {
            let key = key(&mut c)?;
            let seq = c.u64()?;
            let redelivery_count = c.u32()?;
            let message = bytes
                .get(c.position()..)
                .ok_or(DecodeError("record ends early"))?;
            return Ok(Op::Add {
                key,
                seq,
                redelivery_count,
                message,
                temporary: kind == ADD_TEMPORARY,
            });
        }
        REMOVE => Op::Remove {
            key: key(&mut c)?,
            seq: c.u64()?,
        },
        DROP_KEY => Op::DropKey { key: key(&mut c)? },
        DURABLE => Op::Durable(DurableDef {
            client_id: c.arc_str()?,
            name: c.arc_str()?,
            topic: destination(&mut c)?,
            selector: c.opt_arc_str()?.map(|s: Arc<str>| s.to_string()),
            no_local: c.u8()? != 0,
        }),
        PREPARE => {
            let tx = c.arc_str()?;
            let n = c.u32()? as usize;
            let mut sends = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                sends.push(c.bytes()?);
            }
            let n = c.u32()? as usize;
            let mut acks = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                acks.push((key(&mut c)?, c.u64()?));
            }
            Op::Prepare { tx, sends, acks }
        }
        OUTCOME => Op::Outcome { tx: c.arc_str()? },
        JOB => {
            let job = JobHeader {
                id: c.arc_str()?,
                next: c.i64()?,
                delay: c.i64()?,
                period: c.i64()?,
                repeat: c.i64()?,
                cron: c.opt_arc_str()?,
            };
            let message = bytes
                .get(c.position()..)
                .ok_or(DecodeError("record ends early"))?;
            return Ok(Op::Job { job, message });
        }
        JOB_DONE => Op::JobDone { id: c.arc_str()? },
        REDELIVERED => Op::Redelivered {
            key: key(&mut c)?,
            seq: c.u64()?,
            count: c.u32()?,
        },
        _ => return Err(DecodeError("unknown operation")),
    };
    if !c.is_empty() {
        return Err(DecodeError("trailing bytes after operation"));
    }
    Ok(op)
}

/// Splits a frame payload into its operations: `(offset in payload, bytes)`.
///
/// # Errors
/// [`DecodeError`] if a length prefix points past the payload.
pub fn split(payload: &[u8]) -> Result<Vec<(usize, &[u8])>, DecodeError> {
    let mut c = Cursor::new(payload);
    let mut ops = Vec::new();
    while !c.is_empty() {
        let n = c.u32()? as usize;
        let at = c.position();
        ops.push((at, c.take(n)?));
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Destination;

    fn q() -> StoreKey {
        StoreKey::Queue(Arc::from("q"))
    }

    #[test]
    fn operations_round_trip() {
        let d = StoreKey::Durable {
            client_id: Arc::from("c"),
            name: Arc::from("n"),
        };
        let mut add = Vec::new();
        put_add_header(&mut add, &d, 42, 3, false);
        add.extend_from_slice(b"MSG");
        assert_eq!(
            decode(&add).unwrap(),
            Op::Add {
                key: d.clone(),
                seq: 42,
                redelivery_count: 3,
                message: b"MSG",
                temporary: false,
            }
        );
        let mut rm = Vec::new();
        put_remove(&mut rm, &q(), 9);
        assert_eq!(decode(&rm).unwrap(), Op::Remove { key: q(), seq: 9 });
        let mut dk = Vec::new();
        put_drop_key(&mut dk, &d);
        assert_eq!(decode(&dk).unwrap(), Op::DropKey { key: d });
        let def = DurableDef {
            client_id: Arc::from("c"),
            name: Arc::from("n"),
            topic: Destination::topic("a.>"),
            selector: Some("x > 1".into()),
            no_local: true,
        };
        let mut du = Vec::new();
        put_durable(&mut du, &def);
        assert_eq!(decode(&du).unwrap(), Op::Durable(def));
        let mut m = model::Message::new(
            model::MessageId::from("ID:1"),
            Destination::queue("q"),
            model::Body::Empty,
        );
        m.persistent = true;
        let tx = model::store::PreparedTx {
            id: Arc::from("XID:[1,globalId=ab,branchId=cd]"),
            sends: vec![m.clone()],
            acks: vec![(q(), 7)],
        };
        let mut pr = Vec::new();
        put_prepare(&mut pr, &tx);
        let Op::Prepare {
            tx: id,
            sends,
            acks,
        } = decode(&pr).unwrap()
        else {
            panic!("not a prepare");
        };
        assert_eq!(id, tx.id);
        assert_eq!(*crate::codec::message_from(sends[0]).unwrap(), m);
        assert_eq!(acks, vec![(q(), 7)]);
        let mut oc = Vec::new();
        put_outcome(&mut oc, "t");
        assert_eq!(decode(&oc).unwrap(), Op::Outcome { tx: Arc::from("t") });
    }

    #[test]
    fn jobs_round_trip() {
        let mut m = model::Message::new(
            model::MessageId::from("ID:1"),
            Destination::queue("q"),
            model::Body::Text(Arc::from("hi")),
        );
        m.persistent = true;
        let job = StoredJob {
            id: Arc::from("ID:j:1"),
            next: 1_700_000_000_123,
            delay: 5,
            period: 1000,
            repeat: 3,
            cron: Some(Arc::from("*/5 * * * *")),
            message: Arc::new(m.clone()),
        };
        let mut out = Vec::new();
        put_job(&mut out, &job);
        let Op::Job {
            job: header,
            message,
        } = decode(&out).unwrap()
        else {
            panic!("not a job");
        };
        let back = header.into_job(crate::codec::message_from(message).unwrap());
        assert_eq!(back, job);
        let mut done = Vec::new();
        put_job_done(&mut done, "ID:j:1");
        assert_eq!(
            decode(&done).unwrap(),
            Op::JobDone {
                id: Arc::from("ID:j:1")
            }
        );
    }

    #[test]
    fn split_finds_each_operation_and_rejects_overruns() {
        let mut payload = Vec::new();
        for seq in [1u64, 2] {
            let mut op = Vec::new();
            put_remove(&mut op, &q(), seq);
            put_u32(&mut payload, op.len() as u32);
            payload.extend_from_slice(&op);
        }
        let ops = split(&payload).unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!(decode(ops[1].1).unwrap(), Op::Remove { key: q(), seq: 2 });
        payload.truncate(payload.len() - 1);
        assert!(split(&payload).is_err());
    }
}
