//! The core's smaller owned parts: where ids come from, what each
//! connection waits to have confirmed, memory and counters, open
//! transactions, and scheduled jobs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::buffer::{BufferId, Entry};
use crate::config::BrokerStats;
use crate::ids::IdMap;
use crate::message::Message;
use crate::{ConnectionId, ConsumerId, TxId};

/// Where the core's ids and message sequence numbers come from.
pub(crate) struct Counters {
    /// Source of connection, consumer, producer and buffer ids.
    next_id: u64,
    /// Arrival order of messages across all buffers.
    next_seq: u64,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            next_id: 1,
            next_seq: 1,
        }
    }
}

impl Counters {
    pub fn id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Recovery: sequence numbers continue after the highest restored.
    pub fn seq_after(&mut self, seq: u64) {
        self.next_seq = self.next_seq.max(seq + 1);
    }
}

/// What each connection's operations wrote to the store and it has not yet
/// asked to have confirmed (see `Broker::sync_point`): the sync token that
/// replaces a thread-local, so any client, in-process ones included, gets
/// exactly its own.
#[derive(Default)]
pub(crate) struct Confirmations {
    /// Per connection, the newest store group its operations wrote.
    unconfirmed: IdMap<ConnectionId, u64>,
    /// The newest store group sealed by any operation.
    last_sealed: u64,
}

impl Confirmations {
    /// Notes that an operation sealed store group `group`, on behalf of
    /// `conn` if a connection's confirmation waits for it.
    pub fn sealed(&mut self, group: u64, conn: Option<ConnectionId>) {
        self.last_sealed = group;
        if let Some(conn) = conn {
            let g = self.unconfirmed.entry(conn).or_insert(0);
            *g = (*g).max(group);
        }
    }

    /// The newest group `conn` wrote since it last asked; forgets it.
    pub fn take(&mut self, conn: ConnectionId) -> Option<u64> {
        self.unconfirmed.remove(&conn)
    }

    pub fn last_sealed(&self) -> u64 {
        self.last_sealed
    }
}

/// Memory in use and the broker's counters.
pub(crate) struct Usage {
    /// Bytes of messages waiting in memory, across all buffers (shared with
    /// each buffer, which counts what it holds).
    memory: Arc<AtomicUsize>,
    pub stats: BrokerStats,
    /// When expired messages were last swept (see `Broker::maintain`).
    last_expiry_sweep: Duration,
}

impl Usage {
    pub fn new(now: Duration) -> Usage {
        Usage {
            memory: Arc::default(),
            stats: BrokerStats::default(),
            last_expiry_sweep: now,
        }
    }

    /// The counter a new buffer adds its bytes to.
    pub fn memory_counter(&self) -> &Arc<AtomicUsize> {
        &self.memory
    }

    pub fn memory(&self) -> usize {
        self.memory.load(Ordering::Relaxed)
    }

    /// Whether a sweep is due at `now`; if so, it counts as done.
    pub fn sweep_due(&mut self, now: Duration, period: Duration) -> bool {
        if period.is_zero() || now.saturating_sub(self.last_expiry_sweep) < period {
            return false;
        }
        self.last_expiry_sweep = now;
        true
    }
}

/// Open transactions, local and XA, by id.
#[derive(Default)]
pub(crate) struct Transactions {
    open: HashMap<TxId, Transaction>,
}

impl Transactions {
    pub fn get(&self, tx: &TxId) -> Option<&Transaction> {
        self.open.get(tx)
    }

    pub fn get_mut(&mut self, tx: &TxId) -> Option<&mut Transaction> {
        self.open.get_mut(tx)
    }

    pub fn contains(&self, tx: &TxId) -> bool {
        self.open.contains_key(tx)
    }

    pub fn insert(&mut self, tx: TxId, t: Transaction) {
        self.open.insert(tx, t);
    }

    pub fn remove(&mut self, tx: &TxId) -> Option<Transaction> {
        self.open.remove(tx)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&TxId, &Transaction)> {
        self.open.iter()
    }
}

/// An open transaction.
#[derive(Default)]
pub(crate) struct Transaction {
    pub owner: Option<ConnectionId>,
    /// Messages to route at commit.
    pub sends: Vec<Message>,
    /// Messages acknowledged in the transaction, forgotten at commit.
    pub acked: Vec<TxAcked>,
    /// Prepared (XA phase one): it no longer belongs to a connection, is
    /// stored, and waits for a commit or rollback from any connection.
    pub prepared: bool,
}

pub(crate) struct TxAcked {
    pub consumer: ConsumerId,
    pub buffer: BufferId,
    pub entry: Entry,
}
