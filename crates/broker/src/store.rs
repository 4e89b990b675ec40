//! The seam where persistent messages are written.
//!
//! The core calls the store for every persistent message that enters a
//! queue or a durable subscription, and again when it is consumed. The
//! journal store (a later crate) implements this trait; [`MemoryStore`]
//! keeps records in memory, for non-persistent brokers and tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::message::{Message, MessageId};

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
}
