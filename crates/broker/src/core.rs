//! The core state machine: connections, consumers, buffers and routing.
//! [`crate::Broker`] wraps it in a mutex; everything here is synchronous.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::broker::{BrokerConfig, BrokerStats, ConnectInfo};
use crate::buffer::{Buffer, BufferId, Entry, Owner};
use crate::destination::{Destination, DestinationKind};
use crate::error::BrokerError;
use crate::event::{Delivery, Event, EventSender};
use crate::message::{now_millis, Message, Value};
use crate::store::{DurableDef, MessageStore, Recovered, StoreKey};
use crate::subscription::SubscribeRequest;
use crate::transaction::{Transaction, TxAcked};
use crate::{ConnectionId, ConsumerId, TxId};

/// A connected client.
pub(crate) struct Conn {
    /// Where this connection's deliveries go.
    pub sink: EventSender,
    /// Registered client id; durable subscriptions are named under it.
    pub client_id: Option<Arc<str>>,
    pub consumers: Vec<ConsumerId>,
    /// Temporary destinations this connection created; they die with it.
    pub temporaries: Vec<Destination>,
    /// Open transactions begun on this connection.
    pub transactions: Vec<TxId>,
}

/// A message handed to a consumer and not yet acknowledged.
#[derive(Debug)]
pub(crate) struct InFlight {
    pub entry: Entry,
    /// Still counts against the prefetch window (a DELIVERED ack clears it).
    pub in_window: bool,
}

pub(crate) struct Consumer {
    pub conn: ConnectionId,
    pub buffer: BufferId,
    /// 0 = pull mode: `pulls` grants messages one at a time.
    pub prefetch: u32,
    pub pulls: u32,
    /// Delivered, not yet acknowledged, in delivery order.
    pub inflight: VecDeque<InFlight>,
    /// How many of `inflight` count against `prefetch`.
    pub window_used: u32,
    /// Their memory, bounded by `window_bytes_limit` (when the protocol
    /// asked for one: see `SubscribeRequest::window_bytes`) so a consumer that
    /// stops reading holds at most that much however large its prefetch.
    pub window_bytes: usize,
    pub window_bytes_limit: usize,
    pub exclusive: bool,
    /// A queue consumer's parsed selector: it is offered only messages it
    /// selects; the rest wait for other consumers.
    pub selector: Option<Arc<selector::Selector>>,
}

impl Consumer {
    /// Whether this consumer's selector (if any) selects the entry.
    fn wants(&self, entry: &Entry) -> bool {
        self.selector
            .as_ref()
            .is_none_or(|s| entry.message.selected_by(s, entry.redelivery_count))
    }

    fn has_credit(&self) -> bool {
        let counted = if self.prefetch == 0 {
            self.pulls > 0
        } else {
            self.window_used < self.prefetch
        };
        // At least one message always fits, however large.
        counted && (self.window_used == 0 || self.window_bytes < self.window_bytes_limit)
    }

    /// Gives back the window room of messages that left it.
    pub fn release(&mut self, count: u32, bytes: usize) {
        self.window_used = self.window_used.saturating_sub(count);
        self.window_bytes = self.window_bytes.saturating_sub(bytes);
    }
}

impl InFlight {
    /// Takes the message out of its consumer's window; returns its size if
    /// it was in it.
    pub fn leave_window(&mut self) -> Option<usize> {
        if !self.in_window {
            return None;
        }
        self.in_window = false;
        Some(self.entry.size)
    }
}

pub(crate) struct Core {
    pub config: BrokerConfig,
    pub store: Box<dyn MessageStore>,
    /// Source of connection, consumer and buffer ids.
    next_id: u64,
    /// Arrival order of messages across all buffers.
    next_seq: u64,
    pub connections: HashMap<ConnectionId, Conn>,
    client_ids: HashMap<Arc<str>, ConnectionId>,
    pub consumers: HashMap<ConsumerId, Consumer>,
    pub buffers: HashMap<BufferId, Buffer>,
    /// Queues and temporary queues by destination.
    queues: HashMap<Destination, BufferId>,
    /// Every subscription buffer of a topic, durable ones included, keyed
    /// by the destination subscribed to (which may be a wildcard pattern).
    topics: HashMap<Destination, Vec<BufferId>>,
    /// The keys of `topics` that are wildcard patterns, checked on every
    /// topic send.
    wildcards: Vec<Destination>,
    /// Durable subscriptions by (client id, subscription name).
    durables: HashMap<(Arc<str>, Arc<str>), BufferId>,
    /// Live temporary destinations and the connection that owns each.
    temp_owner: HashMap<Destination, ConnectionId>,
    pub transactions: HashMap<TxId, Transaction>,
    pub stats: BrokerStats,
    /// Set while routing when a subscriber is behind past its limit; the
    /// sender is then asked to slow down.
    pub congested: bool,
    /// Bytes of messages waiting in memory, across all buffers.
    memory: Arc<std::sync::atomic::AtomicUsize>,
}

impl Core {
    pub fn new(config: BrokerConfig, store: Box<dyn MessageStore>) -> Core {
        Core {
            config,
            store,
            next_id: 1,
            next_seq: 1,
            connections: HashMap::new(),
            client_ids: HashMap::new(),
            consumers: HashMap::new(),
            buffers: HashMap::new(),
            queues: HashMap::new(),
            topics: HashMap::new(),
            wildcards: Vec::new(),
            durables: HashMap::new(),
            temp_owner: HashMap::new(),
            transactions: HashMap::new(),
            stats: BrokerStats::default(),
            congested: false,
            memory: Arc::default(),
        }
    }

    /// Rebuilds durable subscriptions and persistent queues from the store.
    /// (The store counts recovered messages as redelivered: whether they were
    /// dispatched before the restart is unknown.)
    pub fn restore(&mut self, recovered: Recovered) {
        for def in recovered.durables {
            let key = (Arc::clone(&def.client_id), Arc::clone(&def.name));
            let bid = BufferId(self.next_id());
            self.buffers.insert(
                bid,
                Buffer::new(
                    Owner::Subscription {
                        topic: def.topic.clone(),
                        durable: Some(key.clone()),
                        selector: def.selector.clone(),
                        no_local: def.no_local,
                    },
                    &self.memory,
                ),
            );
            match parse_selector(def.selector.as_deref()) {
                Ok(sel) => {
                    if let Some(b) = self.buffers.get_mut(&bid) {
                        b.selector = sel;
                    }
                }
                Err(e) => tracing::error!("durable subscription {}: {e}", def.name),
            }
            self.add_topic_subscription(&def.topic, bid);
            self.durables.insert(key, bid);
        }
        for m in recovered.messages {
            let bid = match &m.key {
                StoreKey::Queue(name) => self.queue_buffer(&Destination::queue(Arc::clone(name))),
                StoreKey::Durable { client_id, name } => {
                    match self
                        .durables
                        .get(&(Arc::clone(client_id), Arc::clone(name)))
                    {
                        Some(bid) => *bid,
                        None => continue,
                    }
                }
            };
            self.next_seq = self.next_seq.max(m.seq + 1);
            if let Some(buf) = self.buffers.get_mut(&bid) {
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
            self.next_seq = self.next_seq.max(seq + 1);
            if let Some(buf) = self.buffers.get_mut(&bid) {
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
                let Some(entry) = self.buffers.get_mut(&bid).and_then(|b| b.take(seq)) else {
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
    }

    /// The buffer a store key names, if it exists.
    fn buffer_of(&self, key: &StoreKey) -> Option<BufferId> {
        match key {
            StoreKey::Queue(name) => self
                .queues
                .get(&Destination::queue(Arc::clone(name)))
                .copied(),
            StoreKey::Durable { client_id, name } => self
                .durables
                .get(&(Arc::clone(client_id), Arc::clone(name)))
                .copied(),
        }
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn next_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    // ---- connections -------------------------------------------------

    pub fn connect(
        &mut self,
        info: ConnectInfo,
        sink: EventSender,
    ) -> Result<ConnectionId, BrokerError> {
        let client_id: Option<Arc<str>> = info.client_id.map(Arc::from);
        if let Some(cid) = &client_id {
            if self.client_ids.contains_key(cid) {
                return Err(BrokerError::ClientIdInUse(cid.to_string()));
            }
        }
        let id = ConnectionId(self.next_id());
        if let Some(cid) = &client_id {
            self.client_ids.insert(Arc::clone(cid), id);
        }
        self.connections.insert(
            id,
            Conn {
                sink,
                client_id,
                consumers: Vec::new(),
                temporaries: Vec::new(),
                transactions: Vec::new(),
            },
        );
        self.stats.connections_total += 1;
        Ok(id)
    }

    /// Ends a connection: open transactions roll back, consumers close (their
    /// un-acked messages return to their buffers as redelivered), temporary
    /// destinations are deleted and the client id is freed.
    pub fn disconnect(&mut self, id: ConnectionId) {
        let Some(conn) = self.connections.get(&id) else {
            return;
        };
        let transactions = conn.transactions.clone();
        let consumers = conn.consumers.clone();
        for tx in transactions {
            let _ = self.rollback(id, &tx);
        }
        for consumer in consumers {
            self.close_consumer(consumer);
        }
        let temporaries = self
            .connections
            .get(&id)
            .map(|c| c.temporaries.clone())
            .unwrap_or_default();
        for dest in temporaries {
            self.delete_temporary(&dest);
        }
        if let Some(conn) = self.connections.remove(&id) {
            if let Some(cid) = conn.client_id {
                self.client_ids.remove(&cid);
            }
        }
    }

    // ---- temporary destinations ----------------------------------------

    /// Registers a temporary destination owned by `conn`. OpenWire clients
    /// pick the name themselves; STOMP's handler asks for a fresh one.
    pub fn add_temporary(
        &mut self,
        conn: ConnectionId,
        dest: Destination,
    ) -> Result<(), BrokerError> {
        if !dest.is_temporary() {
            return Err(BrokerError::InvalidDestination(dest.to_string()));
        }
        let c = self
            .connections
            .get_mut(&conn)
            .ok_or(BrokerError::UnknownConnection)?;
        if self.temp_owner.insert(dest.clone(), conn).is_none() {
            c.temporaries.push(dest);
        }
        Ok(())
    }

    pub fn create_temporary(
        &mut self,
        conn: ConnectionId,
        kind: DestinationKind,
    ) -> Result<Destination, BrokerError> {
        let n = self.next_id();
        let name = format!("ID:{}-{}:{}", self.config.name, conn.0, n);
        let dest = Destination::new(kind, name);
        self.add_temporary(conn, dest.clone())?;
        Ok(dest)
    }

    pub fn temporary_exists(&self, dest: &Destination) -> bool {
        self.temp_owner.contains_key(dest)
    }

    /// Deletes a temporary destination: its consumers are told and closed,
    /// its messages dropped.
    pub fn delete_temporary(&mut self, dest: &Destination) {
        let Some(owner) = self.temp_owner.remove(dest) else {
            return;
        };
        if let Some(c) = self.connections.get_mut(&owner) {
            c.temporaries.retain(|d| d != dest);
        }
        let buffers: Vec<BufferId> = if dest.is_queue() {
            self.queues.remove(dest).into_iter().collect()
        } else {
            self.topics.remove(dest).unwrap_or_default()
        };
        for bid in buffers {
            let consumers = self
                .buffers
                .get(&bid)
                .map(|b| b.consumers.clone())
                .unwrap_or_default();
            for cid in consumers {
                if let Some(consumer) = self.consumers.get(&cid) {
                    if let Some(conn) = self.connections.get(&consumer.conn) {
                        let _ = conn.sink.send(Event::ConsumerClosed {
                            consumer: cid,
                            reason: format!("destination {dest} was deleted"),
                        });
                    }
                }
                self.close_consumer(cid);
            }
            self.buffers.remove(&bid);
        }
    }

    // ---- consumers ---------------------------------------------------

    fn queue_buffer(&mut self, dest: &Destination) -> BufferId {
        if let Some(bid) = self.queues.get(dest) {
            return *bid;
        }
        let bid = BufferId(self.next_id());
        self.buffers
            .insert(bid, Buffer::new(Owner::Queue(dest.clone()), &self.memory));
        self.queues.insert(dest.clone(), bid);
        bid
    }

    pub fn subscribe(
        &mut self,
        conn: ConnectionId,
        req: SubscribeRequest,
    ) -> Result<ConsumerId, BrokerError> {
        let client_id = self
            .connections
            .get(&conn)
            .ok_or(BrokerError::UnknownConnection)?
            .client_id
            .clone();
        let dest = req.destination.clone();
        if dest.is_temporary() && !self.temp_owner.contains_key(&dest) {
            return Err(BrokerError::DeletedDestination(dest));
        }
        // Parsed once, here: a bad selector fails the subscription.
        let selector = parse_selector(req.selector.as_deref())?;
        let bid = if dest.is_queue() {
            self.queue_buffer(&dest)
        } else if let Some(name) = &req.durable_name {
            let client_id = client_id.ok_or(BrokerError::DurableWithoutClientId)?;
            self.durable_buffer(client_id, Arc::from(name.as_str()), &req)?
        } else {
            let bid = BufferId(self.next_id());
            self.buffers.insert(
                bid,
                Buffer::new(
                    Owner::Subscription {
                        topic: dest.clone(),
                        durable: None,
                        selector: req.selector.clone(),
                        no_local: req.no_local,
                    },
                    &self.memory,
                ),
            );
            self.add_topic_subscription(&dest, bid);
            bid
        };
        if !dest.is_queue() {
            // A topic subscription filters as messages arrive (see `route`).
            if let Some(b) = self.buffers.get_mut(&bid) {
                b.selector.clone_from(&selector);
            }
        }
        let cid = ConsumerId(self.next_id());
        self.consumers.insert(
            cid,
            Consumer {
                conn,
                buffer: bid,
                prefetch: req.prefetch,
                pulls: 0,
                inflight: VecDeque::new(),
                window_used: 0,
                window_bytes: 0,
                window_bytes_limit: req.window_bytes.unwrap_or(usize::MAX),
                exclusive: req.exclusive && dest.is_queue(),
                selector: if dest.is_queue() { selector } else { None },
            },
        );
        if let Some(b) = self.buffers.get_mut(&bid) {
            b.consumers.push(cid);
        }
        if let Some(c) = self.connections.get_mut(&conn) {
            c.consumers.push(cid);
        }
        self.dispatch(bid);
        Ok(cid)
    }

    /// Finds or creates the buffer of a durable subscription. A changed topic
    /// or selector replaces the subscription, as in ActiveMQ.
    fn durable_buffer(
        &mut self,
        client_id: Arc<str>,
        name: Arc<str>,
        req: &SubscribeRequest,
    ) -> Result<BufferId, BrokerError> {
        let key = (Arc::clone(&client_id), Arc::clone(&name));
        if let Some(&bid) = self.durables.get(&key) {
            let Some(buf) = self.buffers.get(&bid) else {
                return Err(BrokerError::UnknownConsumer);
            };
            if !buf.consumers.is_empty() {
                return Err(BrokerError::DurableInUse {
                    client_id: client_id.to_string(),
                    name: name.to_string(),
                });
            }
            let same = matches!(&buf.owner,
                Owner::Subscription { topic, selector, .. }
                    if *topic == req.destination && *selector == req.selector);
            if same {
                return Ok(bid);
            }
            self.drop_durable(&key)?;
        }
        self.store.add_durable(&DurableDef {
            client_id: Arc::clone(&client_id),
            name: Arc::clone(&name),
            topic: req.destination.clone(),
            selector: req.selector.clone(),
            no_local: req.no_local,
        })?;
        let bid = BufferId(self.next_id());
        self.buffers.insert(
            bid,
            Buffer::new(
                Owner::Subscription {
                    topic: req.destination.clone(),
                    durable: Some(key.clone()),
                    selector: req.selector.clone(),
                    no_local: req.no_local,
                },
                &self.memory,
            ),
        );
        self.add_topic_subscription(&req.destination, bid);
        self.durables.insert(key, bid);
        Ok(bid)
    }

    fn drop_durable(&mut self, key: &(Arc<str>, Arc<str>)) -> Result<(), BrokerError> {
        let Some(bid) = self.durables.remove(key) else {
            return Ok(());
        };
        if let Some(buf) = self.buffers.remove(&bid) {
            if let Owner::Subscription { topic, .. } = &buf.owner {
                if let Some(subs) = self.topics.get_mut(topic) {
                    subs.retain(|b| *b != bid);
                }
            }
            if let Some(k) = buf.store_key() {
                self.store.drop_key(&k)?;
            }
        }
        Ok(())
    }

    /// Removes a durable subscription and what it holds (JMS `unsubscribe`).
    pub fn remove_durable(&mut self, client_id: &str, name: &str) -> Result<(), BrokerError> {
        let key: (Arc<str>, Arc<str>) = (Arc::from(client_id), Arc::from(name));
        let Some(bid) = self.durables.get(&key) else {
            return Err(BrokerError::UnknownDurable {
                client_id: client_id.to_string(),
                name: name.to_string(),
            });
        };
        if self
            .buffers
            .get(bid)
            .is_some_and(|b| !b.consumers.is_empty())
        {
            return Err(BrokerError::DurableActive);
        }
        self.drop_durable(&key)
    }

    /// Closes a consumer; what it held un-acknowledged goes back to its
    /// buffer, marked redelivered, and on to the next consumer.
    pub fn close_consumer(&mut self, cid: ConsumerId) -> bool {
        let Some(consumer) = self.consumers.remove(&cid) else {
            return false;
        };
        if let Some(c) = self.connections.get_mut(&consumer.conn) {
            c.consumers.retain(|x| *x != cid);
        }
        let bid = consumer.buffer;
        let Some(buf) = self.buffers.get_mut(&bid) else {
            return true;
        };
        buf.consumers.retain(|x| *x != cid);
        // Its message groups move to whichever consumer gets their next message.
        buf.groups.retain(|_, c| *c != cid);
        if buf.cursor >= buf.consumers.len() {
            buf.cursor = 0;
        }
        let key = buf.store_key();
        for f in consumer.inflight {
            let mut entry = f.entry;
            entry.redelivery_count += 1;
            if let Some(key) = &key {
                self.store
                    .redelivered(key, entry.seq, entry.redelivery_count);
            }
            buf.push(entry);
        }
        let transient_sub = matches!(buf.owner, Owner::Subscription { durable: None, .. });
        if transient_sub {
            if let Some(buf) = self.buffers.remove(&bid) {
                if let Owner::Subscription { topic, .. } = &buf.owner {
                    if let Some(subs) = self.topics.get_mut(topic) {
                        subs.retain(|b| *b != bid);
                    }
                }
            }
        } else {
            self.dispatch(bid);
        }
        true
    }

    // ---- routing and dispatch ------------------------------------------

    /// Routes a message that is ready to be delivered (not, or no longer,
    /// inside a transaction).
    pub fn route(&mut self, message: Arc<Message>) -> Result<(), BrokerError> {
        let dest = message.destination.clone();
        if let Some(parts) = dest.composite_parts() {
            // A composite destination (`A,B`, `queue://A,topic://B`): a copy
            // to each.
            for part in parts {
                let mut copy = (*message).clone();
                copy.destination = part;
                self.route(Arc::new(copy))?;
            }
            return Ok(());
        }
        if dest.is_temporary() && !self.temp_owner.contains_key(&dest) {
            return Err(BrokerError::DeletedDestination(dest));
        }
        self.stats.messages_in += 1;
        if dest.is_queue() {
            let bid = self.queue_buffer(&dest);
            self.enqueue(bid, message, 0)?;
            self.dispatch(bid);
            return Ok(());
        }
        // ActiveMQ's default virtual topics: a message to `VirtualTopic.X`
        // also reaches every queue `Consumer.<name>.VirtualTopic.X`.
        if dest.name.starts_with("VirtualTopic.") {
            let suffix = format!(".{}", dest.name);
            let targets: Vec<BufferId> = self
                .queues
                .iter()
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
                self.enqueue(bid, Arc::clone(&message), 0)?;
                self.dispatch(bid);
            }
        }
        let subs = self.topic_subscriptions(&dest);
        for bid in subs {
            let skip = match self.buffers.get(&bid) {
                Some(Buffer {
                    owner: Owner::Subscription { no_local: true, .. },
                    consumers,
                    ..
                }) => consumers.iter().any(|c| {
                    self.consumers
                        .get(c)
                        .is_some_and(|c| Some(c.conn) == message.origin)
                }),
                Some(Buffer {
                    selector: Some(sel),
                    ..
                }) => !message.selected_by(sel, 0),
                Some(_) => false,
                None => true,
            };
            if !skip {
                self.enqueue(bid, Arc::clone(&message), 0)?;
                self.dispatch(bid);
            }
        }
        Ok(())
    }

    /// Every subscription buffer a message sent to `dest` reaches: those on
    /// the topic itself and those on wildcard patterns that cover it.
    fn topic_subscriptions(&self, dest: &Destination) -> Vec<BufferId> {
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

    /// Registers a subscription buffer under its topic (or pattern).
    fn add_topic_subscription(&mut self, dest: &Destination, bid: BufferId) {
        if dest.is_wildcard() && !self.wildcards.contains(dest) {
            self.wildcards.push(dest.clone());
        }
        self.topics.entry(dest.clone()).or_default().push(bid);
    }

    /// Appends to a buffer, recording persistent messages in the store.
    pub fn enqueue(
        &mut self,
        bid: BufferId,
        message: Arc<Message>,
        redelivery_count: u32,
    ) -> Result<(), BrokerError> {
        let seq = self.next_seq();
        let limit = self.config.topic_subscriber_pending_limit;
        let Some(buf) = self.buffers.get_mut(&bid) else {
            return Ok(());
        };
        let size = message.memory_size();
        if let Some(key) = buf.store_key() {
            let full = buf.pending_bytes + size > self.config.destination_memory_limit
                || self.memory.load(std::sync::atomic::Ordering::Relaxed) + size
                    > self.config.memory_limit;
            if message.persistent {
                self.store.add(&key, seq, &message)?;
                if !buf.paged.is_empty() || full {
                    // Behind others already paged out, or past the limit:
                    // the store holds it until a consumer needs it.
                    buf.paged.insert(seq);
                    return Ok(());
                }
            } else if (!buf.paged.is_empty() || full)
                && self.store.add_temporary(&key, seq, &message)?
            {
                // Non-persistent, under memory pressure: spilled to disk
                // (unsynced, dropped at restart) rather than refused.
                buf.paged.insert(seq);
                return Ok(());
            }
        }
        buf.push(Entry {
            seq,
            size,
            message,
            redelivery_count,
        });
        if buf.is_transient() && buf.pending_bytes > limit && self.judge_backlog(bid) {
            self.congested = true;
        }
        Ok(())
    }

    /// Decides what a non-durable subscriber's backlog past the pending limit
    /// means. Behind but still reading: producers are held back (returns
    /// true) until it catches up, so nothing is lost. Nothing taken for
    /// `slow_subscriber_after`: it stopped reading, so its oldest messages are
    /// discarded down to the limit and it holds nobody back any more.
    fn judge_backlog(&mut self, bid: BufferId) -> bool {
        let limit = self.config.topic_subscriber_pending_limit;
        let slow_after = self.config.slow_subscriber_after;
        let Some(buf) = self.buffers.get_mut(&bid) else {
            return false;
        };
        if buf.pending_bytes <= limit {
            return false;
        }
        if !buf.slow && buf.last_drain.elapsed() < slow_after {
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
            self.stats.messages_discarded += 1;
        }
        false
    }

    /// Bytes of messages waiting in memory, broker-wide.
    pub fn memory_used(&self) -> usize {
        self.memory.load(std::sync::atomic::Ordering::Relaxed)
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

    /// Whether a producer to `dest` should wait: a memory or store limit is
    /// reached, or some subscriber is behind past its pending limit but
    /// still reading.
    pub fn congested(&mut self, dest: &Destination) -> bool {
        if self.limit_reached(false).is_some() || self.limit_reached(true).is_some() {
            return true;
        }
        if dest.is_queue() {
            return false;
        }
        let subs = self.topic_subscriptions(dest);
        let mut congested = false;
        for bid in subs {
            let transient = self.buffers.get(&bid).is_some_and(Buffer::is_transient);
            if transient && self.judge_backlog(bid) {
                congested = true;
            }
        }
        congested
    }

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
    /// less than half its memory limit in memory.
    fn page_in(&mut self, bid: BufferId) {
        let Some(buf) = self.buffers.get_mut(&bid) else {
            return;
        };
        if buf.paged.is_empty() || buf.consumers.is_empty() {
            return;
        }
        let Some(key) = buf.store_key() else {
            return;
        };
        let low_water = self.config.destination_memory_limit / 2;
        while buf.pending.is_empty() || buf.pending_bytes < low_water {
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
    /// run again after paging in (memory ran dry with credit left).
    fn dispatch_pending(&mut self, bid: BufferId) -> bool {
        let Some(buf) = self.buffers.get_mut(&bid) else {
            return false;
        };
        if buf.consumers.is_empty() || buf.pending.is_empty() {
            return false;
        }
        let store_key = buf.store_key();
        let now = now_millis();
        let before = buf.pending.len();
        // Messages no consumer with room selects: they keep their place.
        let mut passed_over: Vec<Entry> = Vec::new();
        // Expired ones go to the DLQ (persistent) once `buf` is let go.
        let mut expired: Vec<Entry> = Vec::new();
        while !buf.pending.is_empty() {
            if !has_credit(buf, &self.consumers) {
                break;
            }
            let Some(entry) = buf.pop_first() else {
                break;
            };
            if entry.message.is_expired(now) {
                self.stats.messages_expired += 1;
                // Persistent or spilled: the store forgets it.
                if let Some(key) = &store_key {
                    if let Err(e) = self.store.remove(key, entry.seq, &entry.message.id) {
                        tracing::error!("store: removing expired message: {e}");
                    }
                }
                expired.push(entry);
                continue;
            }
            let Some((cid, first_of_group)) = pick_consumer(buf, &self.consumers, &entry) else {
                passed_over.push(entry);
                if passed_over.len() >= SELECTOR_SCAN_LIMIT {
                    break;
                }
                continue;
            };
            let mut entry = entry;
            if first_of_group {
                // ActiveMQ flags the first message of a group a consumer gets.
                let mut m = (*entry.message).clone();
                m.properties
                    .retain(|(k, _)| &**k != "JMSXGroupFirstForConsumer");
                m.properties
                    .push((Arc::from("JMSXGroupFirstForConsumer"), Value::Bool(true)));
                entry.message = Arc::new(m);
            }
            let Some(consumer) = self.consumers.get_mut(&cid) else {
                buf.push(entry);
                break;
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
            };
            consumer.inflight.push_back(InFlight {
                entry,
                in_window: true,
            });
            self.stats.messages_dispatched += 1;
            if let Some(conn) = self.connections.get(&consumer.conn) {
                // A closed receiver means the connection is going away; its
                // disconnect returns what is in flight.
                let _ = conn.sink.send(Event::Deliver(delivery));
            }
        }
        for entry in passed_over {
            buf.push(entry);
        }
        if buf.pending.len() < before {
            buf.last_drain = std::time::Instant::now();
            if buf.slow && buf.pending_bytes < self.config.topic_subscriber_pending_limit / 2 {
                buf.slow = false;
            }
        }
        let again = buf.pending.is_empty()
            && !buf.paged.is_empty()
            && buf
                .consumers
                .iter()
                .any(|c| self.consumers.get(c).is_some_and(Consumer::has_credit));
        // As ActiveMQ's default dead-letter strategy (processExpired=true):
        // an expired persistent message goes to the DLQ, a non-persistent
        // one is dropped.
        for entry in expired {
            let cause = format!(
                "java.lang.Throwable: Message Expired. Expiration:{}",
                entry.message.expiration
            );
            if let Err(e) = self.dead_letter(entry, Some(&cause)) {
                tracing::error!("moving an expired message to the DLQ: {e}");
            }
        }
        again
    }

    /// Moves a message the client gave up on to the dead-letter queue
    /// (persistent) or drops it (non-persistent), as ActiveMQ does. The
    /// cause, when the client gave one (OpenWire's poison ack), travels as
    /// the `dlqDeliveryFailureCause` property.
    pub fn dead_letter(&mut self, entry: Entry, cause: Option<&str>) -> Result<(), BrokerError> {
        if !entry.message.persistent {
            self.stats.messages_discarded += 1;
            return Ok(());
        }
        let dlq = Destination::dead_letter_queue();
        if entry.message.destination == dlq {
            // Never from the DLQ back into itself (ActiveMQ drops it too).
            self.stats.messages_discarded += 1;
            return Ok(());
        }
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
        Ok(())
    }

    /// Returns whether every pulled message was dispatched at once.
    pub fn pull(&mut self, cid: ConsumerId, count: u32) -> Result<bool, BrokerError> {
        let consumer = self
            .consumers
            .get_mut(&cid)
            .ok_or(BrokerError::UnknownConsumer)?;
        consumer.pulls = consumer.pulls.saturating_add(count);
        let bid = consumer.buffer;
        self.dispatch(bid);
        Ok(self.consumers.get(&cid).is_some_and(|c| c.pulls == 0))
    }

    /// Withdraws a pull-mode consumer's unused credit (its pull timed out).
    /// Returns whether there was any: if not, a message is on its way.
    pub fn cancel_pull(&mut self, cid: ConsumerId) -> bool {
        match self.consumers.get_mut(&cid) {
            Some(c) if c.pulls > 0 => {
                c.pulls = 0;
                true
            }
            _ => false,
        }
    }

    /// A snapshot of the messages waiting on a queue, oldest first, without
    /// consuming them (a JMS QueueBrowser). Expired ones are left out.
    pub fn browse(&mut self, dest: &Destination) -> Vec<Arc<Message>> {
        let now = now_millis();
        let Some(buf) = self.queues.get(dest).and_then(|b| self.buffers.get(b)) else {
            return Vec::new();
        };
        let mut out: Vec<Arc<Message>> = buf
            .pending
            .values()
            .filter(|e| !e.message.is_expired(now))
            .map(|e| Arc::clone(&e.message))
            .collect();
        // Paged-out messages are read for the browser, not kept in memory.
        if let (false, Some(key)) = (buf.paged.is_empty(), buf.store_key()) {
            let paged: Vec<u64> = buf.paged.iter().copied().collect();
            for seq in paged {
                if let Ok(Some((m, _))) = self.store.load(&key, seq) {
                    if !m.is_expired(now) {
                        out.push(m);
                    }
                }
            }
        }
        out
    }

    /// Every live temporary destination (announced to advisory subscribers).
    pub fn temporaries(&self) -> Vec<Destination> {
        self.temp_owner.keys().cloned().collect()
    }

    /// Messages waiting (not in flight) on a queue, for tests and metrics.
    pub fn queue_depth(&self, dest: &Destination) -> usize {
        self.queues
            .get(dest)
            .and_then(|b| self.buffers.get(b))
            .map_or(0, Buffer::depth)
    }

    pub fn durable_depth(&self, client_id: &str, name: &str) -> Option<usize> {
        let key: (Arc<str>, Arc<str>) = (Arc::from(client_id), Arc::from(name));
        self.durables
            .get(&key)
            .and_then(|b| self.buffers.get(b))
            .map(Buffer::depth)
    }

    pub fn snapshot_stats(&self) -> BrokerStats {
        let mut s = self.stats.clone();
        s.connections = self.connections.len();
        s.consumers = self.consumers.len();
        s.queues = self.queues.len();
        s.pending_messages = self.buffers.values().map(Buffer::depth).sum();
        s.inflight_messages = self.consumers.values().map(|c| c.inflight.len()).sum();
        s
    }
}

/// Messages a dispatch pass may pass over (selected by no consumer with
/// room) before it stops: the price of selectors is bounded per pass.
const SELECTOR_SCAN_LIMIT: usize = 10_000;

/// Whether any consumer that may take messages now has room: the exclusive
/// one while there is one, else any.
fn has_credit(buf: &Buffer, consumers: &HashMap<ConsumerId, Consumer>) -> bool {
    match exclusive_of(buf, consumers) {
        Some(ex) => consumers.get(&ex).is_some_and(Consumer::has_credit),
        None => buf
            .consumers
            .iter()
            .any(|c| consumers.get(c).is_some_and(Consumer::has_credit)),
    }
}

fn exclusive_of(buf: &Buffer, consumers: &HashMap<ConsumerId, Consumer>) -> Option<ConsumerId> {
    buf.consumers
        .iter()
        .find(|c| consumers.get(c).is_some_and(|c| c.exclusive))
        .copied()
}

/// The consumer to hand `entry` to: the exclusive one while there is one;
/// for a message group (JMSXGroupID) the consumer the group is pinned to;
/// else the next in round-robin order with room that selects it. The flag
/// says the message starts a group on that consumer.
fn pick_consumer(
    buf: &mut Buffer,
    consumers: &HashMap<ConsumerId, Consumer>,
    entry: &Entry,
) -> Option<(ConsumerId, bool)> {
    if let Some(ex) = exclusive_of(buf, consumers) {
        return consumers
            .get(&ex)
            .is_some_and(|c| c.has_credit() && c.wants(entry))
            .then_some((ex, false));
    }
    let group = match (&buf.owner, entry.message.property("JMSXGroupID")) {
        (Owner::Queue(_), Some(Value::String(g))) => Some(Arc::clone(g)),
        _ => None,
    };
    let closes = match entry.message.property("JMSXGroupSeq") {
        Some(Value::Int(-1) | Value::Long(-1)) => true,
        // STOMP carries it as a header, i.e. text.
        Some(Value::String(s)) => s.trim() == "-1",
        _ => false,
    };
    if let Some(g) = &group {
        if let Some(&owner) = buf.groups.get(g) {
            if buf.consumers.contains(&owner) {
                let ok = consumers
                    .get(&owner)
                    .is_some_and(|c| c.has_credit() && c.wants(entry));
                if ok && closes {
                    buf.groups.remove(g);
                }
                // Pinned: it waits for its consumer rather than go elsewhere.
                return ok.then_some((owner, false));
            }
            buf.groups.remove(g);
        }
    }
    let n = buf.consumers.len();
    for i in 0..n {
        let idx = (buf.cursor + i) % n;
        let cid = buf.consumers[idx];
        if consumers
            .get(&cid)
            .is_some_and(|c| c.has_credit() && c.wants(entry))
        {
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

/// Parses a subscription's selector; empty means none.
fn parse_selector(text: Option<&str>) -> Result<Option<Arc<selector::Selector>>, BrokerError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => selector::Selector::parse(t)
            .map(|s| Some(Arc::new(s)))
            .map_err(|e| BrokerError::InvalidSelector(e.to_string())),
    }
}
