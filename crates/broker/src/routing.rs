//! Routing: where a message goes (queues, topic subscriptions, composite
//! and virtual destinations), how it is stored or paged on the way, and the
//! limits that hold producers back.

use std::sync::Arc;

use crate::buffer::{Buffer, BufferId, Entry, Owner};
use crate::core::Core;
use crate::destination::{Destination, DestinationKind};
use crate::error::BrokerError;
use crate::message::Message;
use crate::selecting::SelectedBy;

/// What routing a message did that its caller acts on: orchestration
/// returns it rather than leaving flags on the core.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Routed {
    /// A non-durable subscriber is behind past its pending limit: the
    /// sender should be held back until it catches up.
    pub held_back: bool,
    /// A scheduled job became the earliest: the broker's timer must look
    /// again.
    pub earliest_job: bool,
}

impl std::ops::BitOrAssign for Routed {
    fn bitor_assign(&mut self, other: Routed) {
        self.held_back |= other.held_back;
        self.earliest_job |= other.earliest_job;
    }
}

impl Core {
    /// Routes a message that is ready to be delivered (not, or no longer,
    /// inside a transaction).
    pub fn route(&mut self, message: Arc<Message>) -> Result<Routed, BrokerError> {
        let dest = message.destination.clone();
        if let Some(parts) = dest.composite_parts() {
            // A composite destination (`A,B`, `queue://A,topic://B`): a copy
            // to each.
            let mut routed = Routed::default();
            for part in parts {
                let mut copy = (*message).clone();
                copy.destination = part;
                routed |= self.route(Arc::new(copy))?;
            }
            return Ok(routed);
        }
        if dest.is_temporary() && !self.dests.temporary_exists(&dest) {
            return Err(BrokerError::DeletedDestination(dest));
        }
        self.usage.stats.messages_in += 1;
        self.advise_delivered(&message);
        if dest.is_queue() {
            let bid = self.queue_buffer(&dest);
            let routed = self.enqueue(bid, message, 0)?;
            self.dispatch(bid);
            return Ok(routed);
        }
        let message = self.note_retained(message);
        let mut routed = Routed::default();
        // ActiveMQ's default virtual topics: a message to `VirtualTopic.X`
        // also reaches every queue `Consumer.<name>.VirtualTopic.X`.
        if dest.name.starts_with("VirtualTopic.") {
            let suffix = format!(".{}", dest.name);
            let targets: Vec<BufferId> = self
                .dests
                .queues()
                .filter(|(q, _)| {
                    q.kind == DestinationKind::Queue
                        && q.name
                            .strip_prefix("Consumer.")
                            .and_then(|rest| rest.strip_suffix(suffix.as_str()))
                            .is_some_and(|name| !name.is_empty() && !name.contains('.'))
                })
                .map(|(_, bid)| *bid)
                .collect();
            for bid in targets {
                routed |= self.enqueue(bid, Arc::clone(&message), 0)?;
                self.dispatch(bid);
            }
        }
        let subs = self.dests.topic_subscriptions(&dest);
        for bid in subs {
            if self.subscription_takes(bid, &message) {
                routed |= self.enqueue(bid, Arc::clone(&message), 0)?;
                self.dispatch(bid);
                self.check_slow_subscriber(bid, &dest);
            }
        }
        Ok(routed)
    }

    /// Whether a topic subscription takes a message: not its own
    /// connection's when it is `noLocal`, only what its selector selects,
    /// and for a bridge only what may travel to its peer.
    pub fn subscription_takes(&self, bid: BufferId, message: &Message) -> bool {
        let Some(buf) = self.dests.buffer(bid) else {
            return false;
        };
        let own = matches!(buf.owner, Owner::Subscription { no_local: true, .. })
            && buf.consumers.iter().any(|c| {
                self.registry
                    .consumer(*c)
                    .is_some_and(|c| Some(c.conn) == message.origin)
            });
        !own && buf
            .forward
            .as_ref()
            .is_none_or(|f| f.passes(message, false))
            && buf
                .selector
                .as_ref()
                .is_none_or(|sel| message.selected_by(sel, 0))
    }

    /// Appends to a buffer, recording persistent messages in the store;
    /// says whether the buffer's subscriber now holds its senders back.
    pub fn enqueue(
        &mut self,
        bid: BufferId,
        message: Arc<Message>,
        redelivery_count: u32,
    ) -> Result<Routed, BrokerError> {
        let seq = self.next_seq();
        let limit = self.config.topic_subscriber_pending_limit;
        let Some(buf) = self.dests.buffer_mut(bid) else {
            return Ok(Routed::default());
        };
        let size = message.memory_size();
        if let Some(key) = buf.store_key() {
            // Like ActiveMQ's cursorMemoryHighWaterMark (70%): past it the
            // broker as a whole starts keeping messages on disk.
            let used = self.usage.memory() + size;
            let broker_full = used as u128 * 10 > self.config.memory_limit as u128 * 7;
            if message.persistent {
                self.store.add(&key, seq, &message)?;
                // Already on disk: paging it costs nothing, so a queue keeps
                // only its own limit of them in memory.
                let full = buf.pending_bytes + size > self.config.destination_memory_limit;
                if !buf.paged.is_empty() || full || broker_full {
                    // Behind others already paged out, or past the limit:
                    // the store holds it until a consumer needs it.
                    buf.paged.insert(seq);
                    return Ok(Routed::default());
                }
            } else if (!buf.paged.is_empty() || broker_full)
                && self.store.add_temporary(&key, seq, &message)?
            {
                // Non-persistent, under broker-wide memory pressure: spilled
                // to disk (unsynced, dropped at restart) rather than refused.
                // Spilling costs a write, so one deep queue alone does not.
                buf.paged.insert(seq);
                return Ok(Routed::default());
            }
        }
        buf.push(Entry {
            seq,
            size,
            message,
            redelivery_count,
        });
        let held_back = buf.is_transient() && buf.pending_bytes > limit && self.judge_backlog(bid);
        Ok(Routed {
            held_back,
            ..Routed::default()
        })
    }

    /// Decides what a non-durable subscriber's backlog past the pending limit
    /// means. Behind but still reading: producers are held back (returns
    /// true) until it catches up, so nothing is lost. Nothing taken for
    /// `slow_subscriber_after`: it stopped reading, so its oldest messages are
    /// discarded down to the limit and it holds nobody back any more.
    pub fn judge_backlog(&mut self, bid: BufferId) -> bool {
        let limit = self.config.topic_subscriber_pending_limit;
        let slow_after = self.config.slow_subscriber_after;
        let now = self.clock.monotonic();
        let Some(buf) = self.dests.buffer_mut(bid) else {
            return false;
        };
        if buf.pending_bytes <= limit {
            return false;
        }
        if !buf.slow && now.saturating_sub(buf.last_drain) < slow_after {
            return true;
        }
        if !buf.slow {
            buf.slow = true;
            if let Owner::Subscription { topic, .. } = &buf.owner {
                tracing::warn!(
                    "a subscriber of {topic} stopped reading: discarding its oldest pending messages"
                );
            }
        }
        while buf.pending_bytes > limit {
            if buf.pop_first().is_none() {
                break;
            }
            self.usage.stats.messages_discarded += 1;
        }
        false
    }

    /// Bytes of messages waiting in memory, broker-wide.
    pub fn memory_used(&self) -> usize {
        self.usage.memory() + self.schedule.jobs.bytes()
    }

    /// The broker-wide limit a message would cross, if any: memory for
    /// messages kept in memory (non-persistent), the store for persistent
    /// ones (ActiveMQ's systemUsage memoryUsage and storeUsage).
    pub fn limit_reached(&self, persistent: bool) -> Option<String> {
        if persistent {
            let used = self.store.usage();
            (used >= self.config.store_limit).then(|| {
                format!(
                    "Usage Manager Store is Full ({used} of {} bytes). Stopping producer to prevent \
                     flooding the store. See http://activemq.apache.org/producer-flow-control.html",
                    self.config.store_limit
                )
            })
        } else {
            let used = self.memory_used();
            (used >= self.config.memory_limit).then(|| {
                format!(
                    "Usage Manager Memory Limit reached ({used} of {} bytes). Stopping producer to \
                     prevent flooding. See http://activemq.apache.org/producer-flow-control.html",
                    self.config.memory_limit
                )
            })
        }
    }

    /// The store has more accepted but unwritten than it may: a producer
    /// flood is outrunning the disk.
    pub fn disk_behind(&self) -> bool {
        self.store.backlog() > crate::store::MAX_WRITE_BACKLOG
    }

    /// Whether a producer to `dest` should wait: a memory or store limit is
    /// reached, or some subscriber is behind past its pending limit but
    /// still reading.
    pub fn congested(&mut self, dest: &Destination) -> bool {
        // Non-persistent messages to a queue spill to disk rather than
        // fill memory (when the store can), so the memory limit holds back
        // only topic producers; persistent ones are not kept in memory.
        // (Scheduled messages wait in memory: while any are held, the
        // limit holds every producer.)
        let spills = dest.is_queue() && self.store.spills() && self.schedule.jobs.is_empty();
        if (!spills && self.limit_reached(false).is_some())
            || self.limit_reached(true).is_some()
            || self.disk_behind()
        {
            return true;
        }
        if dest.is_queue() {
            return false;
        }
        let subs = self.dests.topic_subscriptions(dest);
        let mut congested = false;
        for bid in subs {
            let transient = self.dests.buffer(bid).is_some_and(Buffer::is_transient);
            if transient && self.judge_backlog(bid) {
                congested = true;
            }
        }
        congested
    }
}
