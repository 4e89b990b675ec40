//! Dispatch: handing waiting messages to consumers with room (round-robin,
//! exclusive consumers, selectors, message groups), paging them in from the
//! store, expiry, and dead letters.

use std::sync::Arc;

use crate::buffer::{Buffer, BufferId, Entry, Owner};
use crate::config::BrokerStats;
use crate::core::{Consumer, Core, InFlight};
use crate::destination::Destination;
use crate::error::BrokerError;
use crate::event::{Delivery, Event};
use crate::message::Value;
use crate::registry::Registry;
use crate::store::{MessageStore, StoreKey};
use crate::ConsumerId;

impl Core {
    /// Hands pending messages of one buffer to consumers with credit,
    /// round-robin; an exclusive consumer, while it exists, takes them all.
    /// Paged-out messages are read back from the store as the in-memory
    /// ones run low.
    pub fn dispatch(&mut self, bid: BufferId) {
        loop {
            self.page_in(bid);
            if !self.dispatch_pending(bid) {
                return;
            }
        }
    }

    /// Reads paged-out messages back while the buffer has consumers and
    /// less than half its memory limit in memory (always at least one, so
    /// a queue never stalls).
    pub fn page_in(&mut self, bid: BufferId) {
        let Some(buf) = self.dests.buffer_mut(bid) else {
            return;
        };
        if buf.paged.is_empty() || buf.consumers.is_empty() {
            return;
        }
        let Some(key) = buf.store_key() else {
            return;
        };
        let low_water = self.config.destination_memory_limit / 2;
        // Nor past the point where the broker as a whole starts spilling:
        // what is paged in stays in memory until consumers take it.
        let broker_high = self.config.memory_limit / 10 * 7;
        let memory = self.usage.memory_counter();
        let room = || memory.load(std::sync::atomic::Ordering::Relaxed) < broker_high;
        while buf.pending.is_empty() || (buf.pending_bytes < low_water && room()) {
            let Some(seq) = buf.paged.pop_first() else {
                break;
            };
            match self.store.load(&key, seq) {
                Ok(Some((message, redelivery_count))) => buf.push(Entry {
                    seq,
                    size: message.memory_size(),
                    message,
                    redelivery_count,
                }),
                Ok(None) => tracing::error!("store: message {seq} of {key:?} is missing"),
                Err(e) => tracing::error!("store: reading message {seq} of {key:?}: {e}"),
            }
        }
    }

    /// One dispatch pass over what is in memory. Returns whether it should
    /// run again: after paging in (memory ran dry with credit left), or
    /// because a group closed and freed messages it had passed over.
    pub fn dispatch_pending(&mut self, bid: BufferId) -> bool {
        let Some(buf) = self.dests.buffer_mut(bid) else {
            return false;
        };
        if buf.consumers.is_empty() || buf.pending.is_empty() {
            return false;
        }
        let store_key = buf.store_key();
        let now = self.clock.now_millis();
        let before = buf.pending.len();
        // The consumers do not change during a pass.
        let exclusive = exclusive_of(buf, &self.registry);
        let same_priority = consumers_share_priority(buf, &self.registry);
        // Messages no consumer with room selects: they keep their place.
        let mut passed_over: Vec<Entry> = Vec::new();
        // Expired ones go to the DLQ (persistent) once `buf` is let go.
        let mut expired: Vec<Entry> = Vec::new();
        // A message closed its group (JMSXGroupSeq -1) during this pass:
        // messages of that group passed over earlier, waiting for the
        // group's owner, are free now and deserve another pass.
        let mut group_closed = false;
        while !buf.pending.is_empty() {
            if !has_credit(buf, &self.registry, exclusive) {
                break;
            }
            let Some(entry) = buf.pop_first() else {
                break;
            };
            if entry.message.is_expired(now) {
                forget_expired(
                    &mut self.usage.stats,
                    self.store.as_mut(),
                    store_key.as_ref(),
                    &entry,
                );
                expired.push(entry);
                continue;
            }
            let groups = buf.groups.len();
            let picked = pick_consumer(buf, &self.registry, exclusive, same_priority, &entry);
            group_closed |= buf.groups.len() < groups;
            let Some((cid, first_of_group)) = picked else {
                passed_over.push(entry);
                if passed_over.len() >= SELECTOR_SCAN_LIMIT {
                    break;
                }
                continue;
            };
            let given = hand_over(
                &mut self.registry,
                &mut self.usage.stats,
                (cid, bid),
                entry,
                first_of_group,
            );
            if let Err(entry) = given {
                buf.push(entry);
                break;
            }
        }
        let retry = group_closed && !passed_over.is_empty();
        for entry in passed_over {
            buf.push(entry);
        }
        if buf.pending.len() < before {
            buf.last_drain = self.clock.monotonic();
            if buf.slow && buf.pending_bytes < self.config.topic_subscriber_pending_limit / 2 {
                buf.slow = false;
            }
        }
        // Finite: each retry needs a group closed by a message that left.
        let again = retry
            || (buf.pending.is_empty()
                && !buf.paged.is_empty()
                && buf
                    .consumers
                    .iter()
                    .any(|c| self.registry.consumer(*c).is_some_and(Consumer::has_credit)));
        for entry in expired {
            self.expired(entry);
        }
        again
    }

    /// What becomes of an expired message, once out of its buffer: the
    /// advisory, then as ActiveMQ's default dead-letter strategy
    /// (processExpired=true) the DLQ if persistent, else nothing.
    fn expired(&mut self, entry: Entry) {
        self.advise_expired(&entry.message);
        let cause = format!(
            "java.lang.Throwable: Message Expired. Expiration:{}",
            entry.message.expiration
        );
        if let Err(e) = self.dead_letter(entry, Some(&cause)) {
            tracing::error!("moving an expired message to the DLQ: {e}");
        }
    }

    /// ActiveMQ's periodic expiry (`expireMessagesPeriod`): expired
    /// messages waiting in memory leave their buffers even when no consumer
    /// comes to find them, so the DLQ and the advisories see them. Paged-out
    /// messages are checked when paged in. Returns how many expired.
    pub fn expire_waiting(&mut self, now: i64) -> usize {
        let mut found: Vec<(BufferId, u64)> = Vec::new();
        for (bid, buf) in self.dests.buffers() {
            found.extend(
                buf.pending
                    .values()
                    .filter(|e| e.message.is_expired(now))
                    .map(|e| (*bid, e.seq)),
            );
        }
        let count = found.len();
        for (bid, seq) in found {
            let Some(buf) = self.dests.buffer_mut(bid) else {
                continue;
            };
            let key = buf.store_key();
            let Some(entry) = buf.take(seq) else {
                continue;
            };
            forget_expired(
                &mut self.usage.stats,
                self.store.as_mut(),
                key.as_ref(),
                &entry,
            );
            self.expired(entry);
        }
        count
    }

    /// Moves a message the client gave up on to the dead-letter queue
    /// (persistent) or drops it (non-persistent), as ActiveMQ does. The
    /// cause, when the client gave one (OpenWire's poison ack), travels as
    /// the `dlqDeliveryFailureCause` property.
    pub fn dead_letter(&mut self, entry: Entry, cause: Option<&str>) -> Result<(), BrokerError> {
        if !entry.message.persistent {
            self.usage.stats.messages_discarded += 1;
            return Ok(());
        }
        let origin = &entry.message.destination;
        if origin.is_dead_letter_queue() {
            // Never from a DLQ into a DLQ (ActiveMQ drops it too).
            self.usage.stats.messages_discarded += 1;
            return Ok(());
        }
        let individual = origin.covered_by(&self.config.individual_dead_letter);
        let dlq = if individual {
            origin.individual_dead_letter_queue()
        } else {
            Destination::dead_letter_queue()
        };
        let mut msg = (*entry.message).clone();
        // It must not expire in the DLQ: the old expiry is kept aside.
        if msg.property("originalExpiration").is_none() {
            msg.properties
                .push((Arc::from("originalExpiration"), Value::Long(msg.expiration)));
        }
        msg.expiration = 0;
        if let Some(cause) = cause {
            msg.properties
                .retain(|(k, _)| &**k != "dlqDeliveryFailureCause");
            msg.properties.push((
                Arc::from("dlqDeliveryFailureCause"),
                Value::String(Arc::from(cause)),
            ));
        }
        msg.original_destination = Some(std::mem::replace(&mut msg.destination, dlq.clone()));
        let bid = self.queue_buffer(&dlq);
        self.enqueue(bid, Arc::new(msg), entry.redelivery_count)?;
        self.dispatch(bid);
        self.advise_dead_lettered(&entry.message);
        Ok(())
    }
}

/// Counts an expired message taken out of its buffer and has the store
/// forget it (persistent or spilled). Takes the core's parts, not the
/// core: dispatch calls it while holding the buffer.
fn forget_expired(
    stats: &mut BrokerStats,
    store: &mut dyn MessageStore,
    store_key: Option<&StoreKey>,
    entry: &Entry,
) {
    stats.messages_expired += 1;
    if let Some(key) = store_key {
        if let Err(e) = store.remove(key, entry.seq, &entry.message.id) {
            tracing::error!("store: removing expired message: {e}");
        }
    }
}

/// Messages a dispatch pass may pass over (selected by no consumer with
/// room) before it stops: the price of selectors is bounded per pass.
const SELECTOR_SCAN_LIMIT: usize = 10_000;

/// Puts a message in flight to a consumer and sends it the delivery; gives
/// the entry back if the consumer is gone.
fn hand_over(
    registry: &mut Registry,
    stats: &mut BrokerStats,
    (cid, bid): (ConsumerId, BufferId),
    mut entry: Entry,
    first_of_group: bool,
) -> Result<(), Entry> {
    if first_of_group {
        // ActiveMQ flags the first message of a group a consumer gets.
        let mut m = (*entry.message).clone();
        m.properties
            .retain(|(k, _)| &**k != "JMSXGroupFirstForConsumer");
        m.properties
            .push((Arc::from("JMSXGroupFirstForConsumer"), Value::Bool(true)));
        entry.message = Arc::new(m);
    }
    let seq = registry.next_delivery();
    let Some(consumer) = registry.consumer_mut(cid) else {
        return Err(entry);
    };
    if consumer.prefetch == 0 {
        consumer.pulls -= 1;
    }
    consumer.window_used += 1;
    consumer.window_bytes += entry.size;
    let delivery = Delivery {
        consumer: cid,
        message: Arc::clone(&entry.message),
        redelivery_count: entry.redelivery_count,
        seq,
    };
    consumer.inflight.push_back(InFlight {
        entry,
        in_window: true,
        buffer: bid,
        seq,
    });
    let owner = consumer.conn;
    stats.messages_dispatched += 1;
    if let Some(conn) = registry.connection(owner) {
        // A closed receiver means the connection is going away; its
        // disconnect returns what is in flight.
        let _ = conn.sink.send(Event::Deliver(delivery));
    }
    Ok(())
}

/// Whether any consumer that may take messages now has room: the exclusive
/// one while there is one, else any.
fn has_credit(buf: &Buffer, consumers: &Registry, exclusive: Option<ConsumerId>) -> bool {
    match exclusive {
        Some(ex) => consumers.consumer(ex).is_some_and(Consumer::has_credit),
        None => buf
            .consumers
            .iter()
            .any(|c| consumers.consumer(*c).is_some_and(Consumer::has_credit)),
    }
}

fn exclusive_of(buf: &Buffer, consumers: &Registry) -> Option<ConsumerId> {
    buf.consumers
        .iter()
        .find(|c| consumers.consumer(**c).is_some_and(|c| c.exclusive))
        .copied()
}

/// The consumer to hand `entry` to: the exclusive one while there is one;
/// for a message group (JMSXGroupID) the consumer the group is pinned to;
/// else the next in round-robin order with room that selects it. The flag
/// says the message starts a group on that consumer.
fn pick_consumer(
    buf: &mut Buffer,
    consumers: &Registry,
    exclusive: Option<ConsumerId>,
    same_priority: bool,
    entry: &Entry,
) -> Option<(ConsumerId, bool)> {
    // Whether only bridges consume here: asked only of messages that came
    // over the network (a bridge may then send one back, see ForwardFilter).
    let no_local = entry.message.broker_path.is_some()
        && buf
            .consumers
            .iter()
            .all(|c| consumers.consumer(*c).is_none_or(|c| c.forward.is_some()));
    if let Some(ex) = exclusive {
        return consumers
            .consumer(ex)
            .is_some_and(|c| c.has_credit() && c.wants(entry, no_local))
            .then_some((ex, false));
    }
    let props = !entry.message.properties.is_empty();
    let group = match (
        &buf.owner,
        props
            .then(|| entry.message.property("JMSXGroupID"))
            .flatten(),
    ) {
        (Owner::Queue(_), Some(Value::String(g))) => Some(Arc::clone(g)),
        _ => None,
    };
    let closes = match group
        .as_ref()
        .and_then(|_| entry.message.property("JMSXGroupSeq"))
    {
        Some(Value::Int(-1) | Value::Long(-1)) => true,
        // STOMP carries it as a header, i.e. text.
        Some(Value::String(s)) => s.trim() == "-1",
        _ => false,
    };
    if let Some(g) = &group {
        if let Some(&owner) = buf.groups.get(g) {
            if buf.consumers.contains(&owner) {
                let ok = consumers
                    .consumer(owner)
                    .is_some_and(|c| c.has_credit() && c.wants(entry, no_local));
                if ok && closes {
                    buf.groups.remove(g);
                }
                // Pinned: it waits for its consumer rather than go elsewhere.
                return ok.then_some((owner, false));
            }
            buf.groups.remove(g);
        }
    }
    // Round-robin among the highest-priority consumers that can take it.
    let eligible = |cid: &ConsumerId| {
        consumers
            .consumer(*cid)
            .filter(|c| c.has_credit() && c.wants(entry, no_local))
            .map(|c| c.priority)
    };
    // Usually every consumer has the default priority: then the first
    // eligible one in round-robin order is the answer, no max needed.
    let top = if same_priority {
        None
    } else {
        Some(buf.consumers.iter().filter_map(eligible).max()?)
    };
    let n = buf.consumers.len();
    for i in 0..n {
        let idx = (buf.cursor + i) % n;
        let cid = buf.consumers[idx];
        let Some(p) = eligible(&cid) else {
            continue;
        };
        if top.is_none_or(|t| t == p) {
            buf.cursor = (idx + 1) % n;
            if let (Some(g), false) = (group, closes) {
                buf.groups.insert(g, cid);
                return Some((cid, true));
            }
            return Some((cid, false));
        }
    }
    None
}

/// Whether all the buffer's consumers have one priority (no ordering needed).
fn consumers_share_priority(buf: &Buffer, consumers: &Registry) -> bool {
    let mut prios = buf
        .consumers
        .iter()
        .filter_map(|c| consumers.consumer(*c).map(|c| c.priority));
    match prios.next() {
        None => true,
        Some(first) => prios.all(|p| p == first),
    }
}
