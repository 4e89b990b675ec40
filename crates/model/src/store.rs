//! The seam where persistent messages are written.
//!
//! The core calls the store for every persistent message that enters a
//! queue or a durable subscription, and again when it is consumed. The
//! journal store (`crates/store`) implements this trait; [`MemoryStore`]
//! keeps records in memory, for non-persistent brokers and tests.
//!
//! Atomicity and durability: the broker core calls [`MessageStore::seal`]
//! at the end of every operation, so everything one operation wrote (a
//! transaction's sends and acks, a message routed to several durable
//! subscriptions, a poison message moved to the DLQ) becomes one atomic
//! group. Writing is asynchronous: a protocol handler that is about to
//! confirm something to a client (a send's response, a receipt, a commit)
//! first waits on the broker's `sync_point`, which returns once what its
//! own operations wrote is on disk. Concurrent clients waiting at once
//! share one disk sync: that is the group commit.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::watch;

use crate::destination::Destination;
use crate::message::{Message, MessageId};

/// Bytes a store may have accepted but not written before producers are
/// held back (see [`MessageStore::backlog`]).
pub const MAX_WRITE_BACKLOG: u64 = 4 << 20;

/// Which persistent queue a record belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StoreKey {
    Queue(Arc<str>),
    Durable { client_id: Arc<str>, name: Arc<str> },
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("store is full")]
    Full,
    /// The disk write or sync of a group failed; what the group held is
    /// not stored. The text is the I/O error, kept for the client.
    #[error("store write failed: {0}")]
    WriteFailed(Arc<str>),
    #[error("store is closed")]
    Closed,
}

/// A durable topic subscription as the store keeps it, so it exists again
/// after a restart with the messages it still has to receive.
#[derive(Clone, Debug, PartialEq)]
pub struct DurableDef {
    pub client_id: Arc<str>,
    pub name: Arc<str>,
    /// The topic or wildcard pattern subscribed to.
    pub topic: Destination,
    pub selector: Option<String>,
    pub no_local: bool,
}

/// One stored message as recovery hands it back to the core.
#[derive(Clone, Debug)]
pub struct RecoveredMessage {
    pub key: StoreKey,
    pub seq: u64,
    pub redelivery_count: u32,
    pub message: Arc<Message>,
}

/// A prepared (XA) transaction as the store keeps it until its outcome.
#[derive(Clone, Debug, Default)]
pub struct PreparedTx {
    /// The transaction id as the protocol handler named it.
    pub id: Arc<str>,
    /// Messages to route if it commits.
    pub sends: Vec<Message>,
    /// Stored messages it acknowledged: they stay out of their queues until
    /// the outcome, and go back to them on rollback.
    pub acks: Vec<(StoreKey, u64)>,
}

/// A scheduled job (see `crate::scheduler`) as the store keeps it, so that
/// a persistent scheduled message still fires after a restart.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredJob {
    pub id: Arc<str>,
    /// When it fires next, in milliseconds since the epoch.
    pub next: i64,
    pub delay: i64,
    pub period: i64,
    /// Firings left after the next one.
    pub repeat: i64,
    pub cron: Option<Arc<str>>,
    /// The message as its producer sent it.
    pub message: Arc<Message>,
}

/// What a store held when it was opened: the core rebuilds its durable
/// subscriptions and persistent queues from it.
#[derive(Clone, Debug, Default)]
pub struct Recovered {
    pub durables: Vec<DurableDef>,
    /// In `seq` order (arrival order across the whole broker).
    pub messages: Vec<RecoveredMessage>,
    /// Prepared transactions without an outcome yet.
    pub prepared: Vec<PreparedTx>,
    /// Stored messages not read back yet (beyond what `messages` holds per
    /// key): the core pages them in with [`MessageStore::load`].
    pub paged: Vec<(StoreKey, u64)>,
    /// Scheduled jobs of persistent messages, not yet done.
    pub jobs: Vec<StoredJob>,
}

/// Progress of the store's writer, published after every disk sync.
#[derive(Clone, Debug, Default)]
pub struct SyncStatus {
    /// Every group up to and including this number has been handled: written
    /// and synced, or failed (see `failures`).
    pub done: u64,
    /// Recent groups whose write or sync failed: `(first, last, error)`.
    pub failures: Vec<(u64, u64, Arc<str>)>,
    /// The writer has stopped; nothing more will become durable.
    pub closed: bool,
}

/// A point in the store's write order. [`SyncPoint::wait`] returns once every
/// group sealed before it was taken is durable, or says why not.
#[derive(Clone)]
pub struct SyncPoint {
    target: u64,
    status: watch::Receiver<SyncStatus>,
    /// Tells the store someone now waits for `target`, so it syncs at once
    /// instead of at its leisure. Only waiting asks: an operation whose
    /// client is not told (an async send) does not force a sync.
    hurry: Arc<dyn Fn(u64) + Send + Sync>,
}

impl std::fmt::Debug for SyncPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncPoint")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl SyncPoint {
    pub fn new(
        target: u64,
        status: watch::Receiver<SyncStatus>,
        hurry: Arc<dyn Fn(u64) + Send + Sync>,
    ) -> SyncPoint {
        SyncPoint {
            target,
            status,
            hurry,
        }
    }

    /// # Errors
    /// [`StoreError::WriteFailed`] if a group up to the target could not be
    /// written; [`StoreError::Closed`] if the writer stopped first.
    pub async fn wait(mut self) -> Result<(), StoreError> {
        let target = self.target;
        (self.hurry)(target);
        let status = self
            .status
            .wait_for(|s| s.done >= target || s.closed)
            .await
            .map_err(|_| StoreError::Closed)?;
        Self::judge(target, &status)
    }

    /// The same as [`SyncPoint::wait`] for threads outside the runtime.
    ///
    /// # Errors
    /// As [`SyncPoint::wait`].
    pub fn wait_blocking(mut self) -> Result<(), StoreError> {
        let target = self.target;
        (self.hurry)(target);
        loop {
            {
                let status = self.status.borrow_and_update();
                if status.done >= target || status.closed {
                    return Self::judge(target, &status);
                }
            }
            // No runtime here: poll with a short sleep (used by tests and tools).
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    fn judge(target: u64, status: &SyncStatus) -> Result<(), StoreError> {
        // A failed group only fails its own waiters; later groups that were
        // synced after it are durable, and so is everything before it.
        if let Some((_, _, e)) = status
            .failures
            .iter()
            .find(|(first, last, _)| *first <= target && target <= *last)
        {
            return Err(StoreError::WriteFailed(Arc::clone(e)));
        }
        if status.done < target {
            return Err(StoreError::Closed);
        }
        Ok(())
    }
}

/// Persistence for queue messages and durable subscriptions.
pub trait MessageStore: Send {
    /// Records a persistent message entering `key` at position `seq`.
    ///
    /// # Errors
    /// When the record cannot be written; the core then refuses the send.
    fn add(&mut self, key: &StoreKey, seq: u64, message: &Arc<Message>) -> Result<(), StoreError>;

    /// Records that the message at `seq` left `key` (consumed or moved).
    ///
    /// # Errors
    /// When the record cannot be written.
    fn remove(&mut self, key: &StoreKey, seq: u64, id: &MessageId) -> Result<(), StoreError>;

    /// Forgets a whole queue or durable subscription.
    ///
    /// # Errors
    /// When the record cannot be written.
    fn drop_key(&mut self, key: &StoreKey) -> Result<(), StoreError>;

    /// Spills a non-persistent message to disk under memory pressure, to be
    /// read back with [`MessageStore::load`] and forgotten at restart.
    /// Returns whether it did (a store without disk keeps it in memory).
    ///
    /// # Errors
    /// When the record cannot be written.
    fn add_temporary(
        &mut self,
        key: &StoreKey,
        seq: u64,
        message: &Arc<Message>,
    ) -> Result<bool, StoreError> {
        let _ = (key, seq, message);
        Ok(false)
    }

    /// Whether [`MessageStore::add_temporary`] spills (so the memory limit
    /// need not hold producers back).
    fn spills(&self) -> bool {
        false
    }

    /// Notes that a stored message was handed back for redelivery, so its
    /// count survives a restart. Best effort: nobody waits for it, and a
    /// lost note only means a lower count (never a missing flag, since
    /// recovered messages are flagged anyway).
    fn redelivered(&mut self, key: &StoreKey, seq: u64, count: u32) {
        let _ = (key, seq, count);
    }

    /// Records a new durable subscription (its messages go under
    /// [`StoreKey::Durable`]; [`MessageStore::drop_key`] forgets both).
    ///
    /// # Errors
    /// When the record cannot be written.
    fn add_durable(&mut self, def: &DurableDef) -> Result<(), StoreError> {
        let _ = def;
        Ok(())
    }

    /// Reads a stored message back (a paged-out one) with its redelivery
    /// count; `None` if the store does not have it.
    ///
    /// # Errors
    /// When it cannot be read.
    fn load(&mut self, key: &StoreKey, seq: u64)
        -> Result<Option<(Arc<Message>, u32)>, StoreError>;

    /// Records a prepared transaction: it survives restarts until
    /// [`MessageStore::resolve`] records its outcome.
    ///
    /// # Errors
    /// When the record cannot be written.
    fn prepare(&mut self, tx: &PreparedTx) -> Result<(), StoreError> {
        let _ = tx;
        Ok(())
    }

    /// Records that a prepared transaction was committed or rolled back (its
    /// effects are written in the same group).
    ///
    /// # Errors
    /// When the record cannot be written.
    fn resolve(&mut self, tx: &str) -> Result<(), StoreError> {
        let _ = tx;
        Ok(())
    }

    /// Records a scheduled job, or its new state after a firing (a job
    /// with the same id replaces the old one).
    ///
    /// # Errors
    /// When the record cannot be written.
    fn schedule(&mut self, job: &StoredJob) -> Result<(), StoreError> {
        let _ = job;
        Ok(())
    }

    /// Records that a scheduled job is done or removed.
    ///
    /// # Errors
    /// When the record cannot be written.
    fn unschedule(&mut self, id: &str) -> Result<(), StoreError> {
        let _ = id;
        Ok(())
    }

    /// Ends the current atomic group: what was written since the last seal
    /// reaches the disk all together or not at all. Returns the group's
    /// number, or `None` if nothing was written since the last seal.
    fn seal(&mut self) -> Option<u64> {
        None
    }

    /// Where to wait for `group` (and everything before it) to be durable;
    /// `None` when it already is (or the store keeps nothing on disk).
    fn sync_point(&self, group: u64) -> Option<SyncPoint> {
        let _ = group;
        None
    }

    /// Bytes the store takes on disk, for the store limit.
    fn usage(&self) -> u64 {
        0
    }

    /// Bytes accepted but not yet written to disk. Past
    /// [`MAX_WRITE_BACKLOG`] producers are held back: a flood faster than
    /// the disk must not pile up in memory instead.
    fn backlog(&self) -> u64 {
        0
    }

    /// Background upkeep (removing and compacting segments) between client
    /// operations; the broker calls it now and then.
    fn maintain(&mut self) {}
}

/// Keeps persistent records in memory: nothing survives a restart.
#[derive(Default, Debug)]
pub struct MemoryStore {
    records: BTreeMap<StoreKey, BTreeMap<u64, Arc<Message>>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// How many persistent messages are recorded under `key`.
    pub fn len(&self, key: &StoreKey) -> usize {
        self.records.get(key).map_or(0, BTreeMap::len)
    }

    pub fn is_empty(&self) -> bool {
        self.records.values().all(BTreeMap::is_empty)
    }
}

impl MessageStore for MemoryStore {
    fn add(&mut self, key: &StoreKey, seq: u64, message: &Arc<Message>) -> Result<(), StoreError> {
        self.records
            .entry(key.clone())
            .or_default()
            .insert(seq, Arc::clone(message));
        Ok(())
    }

    fn remove(&mut self, key: &StoreKey, seq: u64, _id: &MessageId) -> Result<(), StoreError> {
        if let Some(q) = self.records.get_mut(key) {
            q.remove(&seq);
        }
        Ok(())
    }

    fn drop_key(&mut self, key: &StoreKey) -> Result<(), StoreError> {
        self.records.remove(key);
        Ok(())
    }

    fn load(
        &mut self,
        key: &StoreKey,
        seq: u64,
    ) -> Result<Option<(Arc<Message>, u32)>, StoreError> {
        Ok(self
            .records
            .get(key)
            .and_then(|q| q.get(&seq))
            .map(|m| (Arc::clone(m), 0)))
    }
}
