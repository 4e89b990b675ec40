//! Rebuilding the core from what the store held at start.

use std::sync::Arc;

use crate::buffer::{Buffer, BufferId, Entry, Owner};
use crate::core::{parse_selector, Core};
use crate::destination::Destination;
use crate::routing::Routed;
use crate::state::{Transaction, TxAcked};
use crate::store::{Recovered, StoreKey};
use crate::{ConsumerId, TxId};

impl Core {
    /// Rebuilds durable subscriptions and persistent queues from the store.
    /// (The store counts recovered messages as redelivered: whether they were
    /// dispatched before the restart is unknown.)
    pub fn restore(&mut self, recovered: Recovered) -> Routed {
        for def in recovered.durables {
            let key = (Arc::clone(&def.client_id), Arc::clone(&def.name));
            let bid = BufferId(self.next_id());
            self.dests.insert_buffer(
                bid,
                Buffer::new(
                    Owner::Subscription {
                        topic: def.topic.clone(),
                        durable: Some(key.clone()),
                        selector: def.selector.clone(),
                        no_local: def.no_local,
                    },
                    self.usage.memory_counter(),
                    self.clock.monotonic(),
                ),
            );
            match parse_selector(def.selector.as_deref()) {
                Ok(sel) => {
                    let prioritized = self.prioritized(&def.topic);
                    if let Some(b) = self.dests.buffer_mut(bid) {
                        b.selector = sel;
                        b.prioritized = prioritized;
                    }
                }
                Err(e) => tracing::error!("durable subscription {}: {e}", def.name),
            }
            self.dests.add_topic_subscription(&def.topic, bid);
            self.dests.insert_durable(key, bid);
        }
        for m in recovered.messages {
            let bid = match &m.key {
                StoreKey::Queue(name) => self.queue_buffer(&Destination::queue(Arc::clone(name))),
                StoreKey::Durable { client_id, name } => {
                    match self
                        .dests
                        .durable(&(Arc::clone(client_id), Arc::clone(name)))
                    {
                        Some(bid) => bid,
                        None => continue,
                    }
                }
            };
            self.counters.seq_after(m.seq);
            if let Some(buf) = self.dests.buffer_mut(bid) {
                buf.push(Entry {
                    seq: m.seq,
                    size: m.message.memory_size(),
                    message: m.message,
                    redelivery_count: m.redelivery_count,
                });
            }
        }
        for (key, seq) in recovered.paged {
            let bid = match &key {
                StoreKey::Queue(name) => self.queue_buffer(&Destination::queue(Arc::clone(name))),
                StoreKey::Durable { .. } => match self.buffer_of(&key) {
                    Some(bid) => bid,
                    None => continue,
                },
            };
            self.counters.seq_after(seq);
            if let Some(buf) = self.dests.buffer_mut(bid) {
                buf.paged.insert(seq);
            }
        }
        for p in recovered.prepared {
            let mut t = Transaction {
                owner: None,
                sends: p.sends,
                acked: Vec::new(),
                prepared: true,
            };
            // Its acked messages stay out of their queues until the outcome;
            // no consumer holds them (id 0 is never a consumer), so a
            // rollback returns them to the queue.
            for (key, seq) in p.acks {
                let Some(bid) = self.buffer_of(&key) else {
                    continue;
                };
                let Some(entry) = self.dests.buffer_mut(bid).and_then(|b| b.take(seq)) else {
                    continue;
                };
                t.acked.push(TxAcked {
                    consumer: ConsumerId(0),
                    buffer: bid,
                    entry,
                });
            }
            self.transactions.insert(TxId(p.id), t);
        }
        self.restore_jobs(recovered.jobs)
    }

    /// The buffer a store key names, if it exists.
    pub fn buffer_of(&self, key: &StoreKey) -> Option<BufferId> {
        match key {
            StoreKey::Queue(name) => self.dests.queue(&Destination::queue(Arc::clone(name))),
            StoreKey::Durable { client_id, name } => self
                .dests
                .durable(&(Arc::clone(client_id), Arc::clone(name))),
        }
    }
}
