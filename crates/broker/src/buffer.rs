//! A buffer of messages waiting for consumers.
//!
//! A queue is one buffer shared by competing consumers. A topic keeps one
//! buffer per subscription, each with a single consumer; a durable
//! subscription's buffer outlives its consumer and keeps filling while the
//! subscriber is offline. Dispatch is the same code for all three.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
    /// Waiting messages, in delivery order: by seq (arrival), or for a
    /// `prioritized` buffer by JMSPriority first (see [`Buffer::order`]).
    pub pending: BTreeMap<u64, Entry>,
    /// ActiveMQ's `prioritizedMessages` policy: higher JMSPriority is
    /// delivered first. Off by default, as in ActiveMQ: queued messages
    /// come out FIFO whatever their priority.
    pub prioritized: bool,
    /// Sum of `memory_size` of pending messages, for the slow-subscriber bound.
    pub pending_bytes: usize,
    /// Persistent messages waiting in the store only, not in memory: paged
    /// out when the buffer held more than its memory limit, paged back in
    /// (oldest first) as consumers need them. All of them are newer than
    /// what `pending` held when they were paged out, so order holds.
    pub paged: BTreeSet<u64>,
    /// Consumers attached, in attach order.
    pub consumers: Vec<ConsumerId>,
    /// Round-robin position into `consumers`.
    pub cursor: usize,
    /// When a message last left `pending` for a consumer: how the core tells
    /// a subscriber that is merely behind from one that stopped reading.
    /// (The core clock's monotonic reading.)
    pub last_drain: Duration,
    /// A non-durable subscriber judged stalled: its oldest messages are
    /// discarded past the pending limit instead of holding producers back.
    pub slow: bool,
    /// The broker-wide sum of `pending_bytes`, for the memory limit.
    usage: Arc<AtomicUsize>,
    /// A topic subscription's parsed selector: messages it does not select
    /// never enter the buffer. (Queue consumers carry their own.)
    pub selector: Option<Arc<selector::Selector>>,
    /// A topic subscription of a bridge: what it must not take (see
    /// `SubscribeRequest::forward`); checked with the selector.
    pub forward: Option<Arc<crate::ForwardFilter>>,
    /// Message groups (JMSXGroupID) of a queue and the consumer each is
    /// pinned to, until that consumer leaves or the group is closed
    /// (JMSXGroupSeq -1).
    pub groups: HashMap<Arc<str>, ConsumerId>,
}

impl Buffer {
    pub fn new(owner: Owner, usage: &Arc<AtomicUsize>, now: Duration) -> Buffer {
        Buffer {
            owner,
            pending: BTreeMap::new(),
            prioritized: false,
            pending_bytes: 0,
            paged: BTreeSet::new(),
            consumers: Vec::new(),
            cursor: 0,
            last_drain: now,
            slow: false,
            usage: Arc::clone(usage),
            selector: None,
            forward: None,
            groups: HashMap::new(),
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

    /// Waiting messages, in memory or paged out.
    pub fn depth(&self) -> usize {
        self.pending.len() + self.paged.len()
    }

    fn release(&mut self, size: usize) {
        self.pending_bytes = self.pending_bytes.saturating_sub(size);
        self.usage.fetch_sub(size, Ordering::Relaxed);
    }

    pub fn push(&mut self, entry: Entry) {
        self.pending_bytes += entry.size;
        self.usage.fetch_add(entry.size, Ordering::Relaxed);
        self.pending
            .insert(self.order(entry.seq, entry.message.priority), entry);
    }

    /// The key of a message in `pending`: its seq, under the priority (9
    /// first) when the buffer is prioritized. Seqs stay far below 2^56.
    fn order(&self, seq: u64, priority: u8) -> u64 {
        if self.prioritized {
            (u64::from(9 - priority.min(9)) << 56) | seq
        } else {
            seq
        }
    }

    /// Takes one waiting message out by its seq.
    pub fn take(&mut self, seq: u64) -> Option<Entry> {
        let entry = if self.prioritized {
            (0..=9u8).find_map(|p| self.pending.remove(&self.order(seq, p)))?
        } else {
            self.pending.remove(&seq)?
        };
        self.release(entry.size);
        Some(entry)
    }

    pub fn pop_first(&mut self) -> Option<Entry> {
        let (_, entry) = self.pending.pop_first()?;
        self.release(entry.size);
        Some(entry)
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        self.usage.fetch_sub(self.pending_bytes, Ordering::Relaxed);
    }
}
