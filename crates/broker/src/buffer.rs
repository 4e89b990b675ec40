//! A buffer of messages waiting for consumers.
//!
//! A queue is one buffer shared by competing consumers. A topic keeps one
//! buffer per subscription, each with a single consumer; a durable
//! subscription's buffer outlives its consumer and keeps filling while the
//! subscriber is offline. Dispatch is the same code for all three.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use crate::destination::Destination;
use crate::message::Message;
use crate::store::StoreKey;
use crate::ConsumerId;

/// Identifies a buffer inside the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct BufferId(pub u64);

/// A message waiting in (or returned to) a buffer.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Position in the buffer: arrival order, so a message returned by a
    /// closing consumer goes back where it was.
    pub seq: u64,
    pub message: Arc<Message>,
    pub redelivery_count: u32,
    /// `message.memory_size()`, taken once: the memory bounds count it on
    /// every push, pop, dispatch and ack.
    pub size: usize,
}

/// What a buffer belongs to.
#[derive(Clone, Debug)]
pub(crate) enum Owner {
    /// A queue or temporary queue.
    Queue(Destination),
    /// A topic subscription; `durable` names it when it is durable.
    Subscription {
        topic: Destination,
        durable: Option<(Arc<str>, Arc<str>)>,
        selector: Option<String>,
        no_local: bool,
    },
}

#[derive(Debug)]
pub(crate) struct Buffer {
    pub owner: Owner,
    /// Waiting messages, in seq order.
    pub pending: BTreeMap<u64, Entry>,
    /// Sum of `memory_size` of pending messages, for the slow-subscriber bound.
    pub pending_bytes: usize,
    /// Consumers attached, in attach order.
    pub consumers: Vec<ConsumerId>,
    /// Round-robin position into `consumers`.
    pub cursor: usize,
    /// When a message last left `pending` for a consumer: how the core tells
    /// a subscriber that is merely behind from one that stopped reading.
    pub last_drain: Instant,
    /// A non-durable subscriber judged stalled: its oldest messages are
    /// discarded past the pending limit instead of holding producers back.
    pub slow: bool,
}

impl Buffer {
    pub fn new(owner: Owner) -> Buffer {
        Buffer {
            owner,
            pending: BTreeMap::new(),
            pending_bytes: 0,
            consumers: Vec::new(),
            cursor: 0,
            last_drain: Instant::now(),
            slow: false,
        }
    }

    /// Where persistent messages of this buffer are recorded, if anywhere:
    /// temporary queues and non-durable subscriptions are never stored.
    pub fn store_key(&self) -> Option<StoreKey> {
        match &self.owner {
            Owner::Queue(d) if !d.is_temporary() => Some(StoreKey::Queue(Arc::clone(&d.name))),
            Owner::Subscription {
                durable: Some((client_id, name)),
                ..
            } => Some(StoreKey::Durable {
                client_id: Arc::clone(client_id),
                name: Arc::clone(name),
            }),
            _ => None,
        }
    }

    /// A non-durable topic subscription: the only kind whose messages may
    /// be discarded for being too slow.
    pub fn is_transient(&self) -> bool {
        matches!(self.owner, Owner::Subscription { durable: None, .. })
    }

    pub fn push(&mut self, entry: Entry) {
        self.pending_bytes += entry.size;
        self.pending.insert(entry.seq, entry);
    }

    pub fn pop_first(&mut self) -> Option<Entry> {
        let (_, entry) = self.pending.pop_first()?;
        self.pending_bytes = self.pending_bytes.saturating_sub(entry.size);
        Some(entry)
    }
}
