//! Where messages wait: every buffer (a queue, a topic subscription), and
//! the indexes that find them — queues by name, topic subscriptions by the
//! topic or pattern they subscribe to, durable subscriptions by (client id,
//! name) — plus the live temporary destinations and each topic's retained
//! message. The indexes only change together with the buffers here.

use std::collections::HashMap;
use std::sync::Arc;

use crate::buffer::{Buffer, BufferId};
use crate::destination::Destination;
use crate::ids::IdMap;
use crate::message::Message;
use crate::ConnectionId;

/// A durable subscription's key: (client id, subscription name).
pub(crate) type DurableKey = (Arc<str>, Arc<str>);

#[derive(Default)]
pub(crate) struct Destinations {
    buffers: IdMap<BufferId, Buffer>,
    /// Queues and temporary queues by destination.
    queues: HashMap<Destination, BufferId>,
    /// Every subscription buffer of a topic, durable ones included, keyed
    /// by the destination subscribed to (which may be a wildcard pattern).
    topics: HashMap<Destination, Vec<BufferId>>,
    /// The keys of `topics` that are wildcard patterns, checked on every
    /// topic send.
    wildcards: Vec<Destination>,
    durables: HashMap<DurableKey, BufferId>,
    /// Live temporary destinations and the connection that owns each.
    temp_owner: HashMap<Destination, ConnectionId>,
    /// Each topic's retained message (see `retained.rs`).
    retained: HashMap<Destination, Arc<Message>>,
}

impl Destinations {
    // ---- buffers -------------------------------------------------------

    pub fn buffer(&self, bid: BufferId) -> Option<&Buffer> {
        self.buffers.get(&bid)
    }

    pub fn buffer_mut(&mut self, bid: BufferId) -> Option<&mut Buffer> {
        self.buffers.get_mut(&bid)
    }

    pub fn insert_buffer(&mut self, bid: BufferId, buf: Buffer) {
        self.buffers.insert(bid, buf);
    }

    /// Removes a buffer and, for a topic subscription, its place in the
    /// topic index.
    pub fn remove_buffer(&mut self, bid: BufferId) -> Option<Buffer> {
        let buf = self.buffers.remove(&bid)?;
        if let crate::buffer::Owner::Subscription { topic, .. } = &buf.owner {
            if let Some(subs) = self.topics.get_mut(topic) {
                subs.retain(|b| *b != bid);
            }
        }
        Some(buf)
    }

    pub fn buffers(&self) -> impl Iterator<Item = (&BufferId, &Buffer)> {
        self.buffers.iter()
    }

    // ---- queues --------------------------------------------------------

    pub fn queue(&self, dest: &Destination) -> Option<BufferId> {
        self.queues.get(dest).copied()
    }

    pub fn insert_queue(&mut self, dest: Destination, bid: BufferId) {
        self.queues.insert(dest, bid);
    }

    /// Forgets a queue's name (its buffer is removed separately).
    pub fn remove_queue(&mut self, dest: &Destination) -> Option<BufferId> {
        self.queues.remove(dest)
    }

    pub fn queues(&self) -> impl Iterator<Item = (&Destination, &BufferId)> {
        self.queues.iter()
    }

    pub fn queue_count(&self) -> usize {
        self.queues.len()
    }

    // ---- topic subscriptions --------------------------------------------

    /// Every subscription buffer a message sent to `dest` reaches: those on
    /// the topic itself and those on wildcard patterns that cover it.
    pub fn topic_subscriptions(&self, dest: &Destination) -> Vec<BufferId> {
        let mut subs = self.topics.get(dest).cloned().unwrap_or_default();
        for pattern in &self.wildcards {
            if pattern != dest && pattern.matches(dest) {
                if let Some(bufs) = self.topics.get(pattern) {
                    subs.extend_from_slice(bufs);
                }
            }
        }
        subs
    }

    /// Whether a message sent to `dest` would reach any subscription (the
    /// same test as `topic_subscriptions`, without collecting them).
    pub fn has_subscribers(&self, dest: &Destination) -> bool {
        self.topics.get(dest).is_some_and(|b| !b.is_empty())
            || self.wildcards.iter().any(|p| {
                p != dest && p.matches(dest) && self.topics.get(p).is_some_and(|b| !b.is_empty())
            })
    }

    /// Registers a subscription buffer under its topic (or pattern).
    pub fn add_topic_subscription(&mut self, dest: &Destination, bid: BufferId) {
        if dest.is_wildcard() && !self.wildcards.contains(dest) {
            self.wildcards.push(dest.clone());
        }
        self.topics.entry(dest.clone()).or_default().push(bid);
    }

    /// Forgets a topic's subscriptions (a deleted temporary topic); returns them.
    pub fn remove_topic(&mut self, dest: &Destination) -> Vec<BufferId> {
        self.topics.remove(dest).unwrap_or_default()
    }

    // ---- durable subscriptions -----------------------------------------

    pub fn durable(&self, key: &DurableKey) -> Option<BufferId> {
        self.durables.get(key).copied()
    }

    pub fn insert_durable(&mut self, key: DurableKey, bid: BufferId) {
        self.durables.insert(key, bid);
    }

    pub fn remove_durable(&mut self, key: &DurableKey) -> Option<BufferId> {
        self.durables.remove(key)
    }

    // ---- temporary destinations ------------------------------------------

    pub fn temporary_exists(&self, dest: &Destination) -> bool {
        self.temp_owner.contains_key(dest)
    }

    /// Records a temporary destination; false if it already existed.
    pub fn add_temporary(&mut self, dest: Destination, owner: ConnectionId) -> bool {
        self.temp_owner.insert(dest, owner).is_none()
    }

    pub fn remove_temporary(&mut self, dest: &Destination) -> Option<ConnectionId> {
        self.temp_owner.remove(dest)
    }

    /// Every live temporary destination and its owner, by name.
    pub fn temporaries(&self) -> Vec<(&Destination, ConnectionId)> {
        let mut all: Vec<_> = self.temp_owner.iter().map(|(d, c)| (d, *c)).collect();
        all.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        all
    }

    // ---- retained messages -----------------------------------------------

    /// The retained messages of every topic `pattern` covers, oldest first.
    pub fn retained_covered_by(&self, pattern: &Destination) -> Vec<Arc<Message>> {
        let mut found: Vec<Arc<Message>> = self
            .retained
            .iter()
            .filter(|(t, _)| pattern.matches(t))
            .map(|(_, m)| Arc::clone(m))
            .collect();
        found.sort_by_key(|m| m.timestamp);
        found
    }

    pub fn set_retained(&mut self, topic: Destination, m: Option<Arc<Message>>) {
        match m {
            Some(m) => {
                self.retained.insert(topic, m);
            }
            None => {
                self.retained.remove(&topic);
            }
        }
    }
}
