//! The core state machine: connections, consumers, buffers and routing.
//! [`crate::Broker`] wraps it in a mutex; everything here is synchronous.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::broker::{BrokerConfig, BrokerStats, ConnectInfo};
use crate::buffer::{Buffer, BufferId, Entry, Owner};
use crate::destination::{Destination, DestinationKind};
use crate::error::BrokerError;
use crate::event::{Event, EventSender};
use crate::ids::IdMap;
use crate::message::Message;
use crate::selecting::SelectedBy;
use crate::store::{DurableDef, MessageStore};
use crate::subscription::SubscribeRequest;
use crate::transaction::Transaction;
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
    /// Where it came from: a wildcard queue consumer takes from several.
    pub buffer: BufferId,
}

pub(crate) struct Consumer {
    pub conn: ConnectionId,
    /// The buffers it takes from: one, except for a consumer on a wildcard
    /// queue (`FOO.>`), which takes from every matching queue.
    pub buffers: Vec<BufferId>,
    /// A wildcard queue consumer's pattern: queues created later that
    /// match it gain this consumer too, as in ActiveMQ.
    pub pattern: Option<Destination>,
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
    /// Higher goes first (see `SubscribeRequest::priority`).
    pub priority: i8,
    /// For advisories about it (see `SubscribeRequest::label`).
    pub label: Option<Arc<str>>,
    pub description: Option<crate::message::Native>,
    /// A slow-consumer advisory went out and it has not caught up since.
    pub slow_advised: bool,
}

impl Consumer {
    /// Whether this consumer's selector (if any) selects the entry.
    pub fn wants(&self, entry: &Entry) -> bool {
        self.selector
            .as_ref()
            .is_none_or(|s| entry.message.selected_by(s, entry.redelivery_count))
    }

    pub fn has_credit(&self) -> bool {
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
    pub next_id: u64,
    /// Arrival order of messages across all buffers.
    pub next_seq: u64,
    pub connections: IdMap<ConnectionId, Conn>,
    pub client_ids: HashMap<Arc<str>, ConnectionId>,
    pub consumers: IdMap<ConsumerId, Consumer>,
    pub buffers: IdMap<BufferId, Buffer>,
    /// Queues and temporary queues by destination.
    pub queues: HashMap<Destination, BufferId>,
    /// Every subscription buffer of a topic, durable ones included, keyed
    /// by the destination subscribed to (which may be a wildcard pattern).
    pub topics: HashMap<Destination, Vec<BufferId>>,
    /// The keys of `topics` that are wildcard patterns, checked on every
    /// topic send.
    pub wildcards: Vec<Destination>,
    /// When expired messages were last swept (see `Broker::maintain`).
    pub last_expiry_sweep: std::time::Duration,
    /// Per connection, the newest store group its operations wrote and it
    /// has not yet asked to have confirmed (see `Broker::sync_point`).
    pub unconfirmed: IdMap<ConnectionId, u64>,
    /// The newest store group sealed by any operation.
    pub last_sealed: u64,
    /// Every time reading of the core (see `clock.rs`).
    pub clock: Arc<dyn crate::clock::Clock>,
    /// Each topic's retained message (see `retained.rs`).
    pub retained: HashMap<Destination, Arc<Message>>,
    /// Durable subscriptions by (client id, subscription name).
    pub durables: HashMap<(Arc<str>, Arc<str>), BufferId>,
    /// Live temporary destinations and the connection that owns each.
    pub temp_owner: HashMap<Destination, ConnectionId>,
    pub transactions: HashMap<TxId, Transaction>,
    pub stats: BrokerStats,
    /// Set while routing when a subscriber is behind past its limit; the
    /// sender is then asked to slow down.
    pub congested: bool,
    /// Bytes of messages waiting in memory, across all buffers.
    pub memory: Arc<std::sync::atomic::AtomicUsize>,
    /// Scheduled jobs (`scheduled.rs`), the ids the scheduler gives out,
    /// and the zone cron entries are read in.
    pub jobs: crate::scheduler::Jobs,
    pub sched_ids: crate::scheduler::Ids,
    pub time_zone: crate::scheduler::TimeZone,
    /// A job became the earliest: the broker's timer must look again.
    pub jobs_changed: bool,
}

impl Core {
    pub fn new(
        config: BrokerConfig,
        store: Box<dyn MessageStore>,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Core {
        let sched_ids = crate::scheduler::Ids::new(&config.name, clock.now_millis());
        Core {
            config,
            store,
            next_id: 1,
            next_seq: 1,
            connections: IdMap::default(),
            client_ids: HashMap::new(),
            consumers: IdMap::default(),
            buffers: IdMap::default(),
            queues: HashMap::new(),
            topics: HashMap::new(),
            wildcards: Vec::new(),
            retained: HashMap::new(),
            last_expiry_sweep: clock.monotonic(),
            clock,
            unconfirmed: IdMap::default(),
            last_sealed: 0,
            durables: HashMap::new(),
            temp_owner: HashMap::new(),
            transactions: HashMap::new(),
            stats: BrokerStats::default(),
            congested: false,
            memory: Arc::default(),
            jobs: crate::scheduler::Jobs::default(),
            sched_ids,
            time_zone: crate::scheduler::TimeZone::Local,
            jobs_changed: false,
        }
    }

    pub fn next_id(&mut self) -> u64 {
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

    /// Notes that `conn`'s operation wrote store group `group`.
    pub fn note_unconfirmed(&mut self, conn: ConnectionId, group: u64) {
        let g = self.unconfirmed.entry(conn).or_insert(0);
        *g = (*g).max(group);
    }

    /// The newest group `conn` wrote since it last asked; forgets it.
    pub fn take_unconfirmed(&mut self, conn: ConnectionId) -> Option<u64> {
        self.unconfirmed.remove(&conn)
    }

    /// The connection a consumer belongs to.
    pub fn connection_of(&self, consumer: ConsumerId) -> Option<ConnectionId> {
        self.consumers.get(&consumer).map(|c| c.conn)
    }

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

    /// Ends a connection: its temporary destinations are deleted, open
    /// transactions roll back, consumers close (their un-acked messages
    /// return to their buffers as redelivered) and the client id is freed.
    pub fn disconnect(&mut self, id: ConnectionId) {
        let Some(conn) = self.connections.get(&id) else {
            return;
        };
        let transactions = conn.transactions.clone();
        let consumers = conn.consumers.clone();
        let temporaries = conn.temporaries.clone();
        // What the rollbacks and closes below hand back must go to other
        // connections' consumers, never out again to one of this dying
        // connection's (it would come back counted as redelivered twice).
        for &consumer in &consumers {
            self.detach_consumer(consumer);
        }
        // Its temporary destinations die first, with what they hold: what
        // the rollbacks and closes hand back to them must not go out to
        // other connections' consumers just before those are closed too.
        for dest in temporaries {
            self.delete_temporary(&dest);
        }
        for tx in transactions {
            let _ = self.rollback(id, &tx);
        }
        for consumer in consumers {
            self.close_consumer(consumer);
        }
        self.unconfirmed.remove(&id);
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
            // The buffer goes first: what its consumers hand back as they
            // close is dropped with it, not dispatched to the next one.
            let Some(buf) = self.buffers.remove(&bid) else {
                continue;
            };
            for &cid in &buf.consumers {
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
        }
    }

    // ---- consumers ---------------------------------------------------

    pub fn queue_buffer(&mut self, dest: &Destination) -> BufferId {
        if let Some(bid) = self.queues.get(dest) {
            return *bid;
        }
        let bid = BufferId(self.next_id());
        let mut buf = Buffer::new(
            Owner::Queue(dest.clone()),
            &self.memory,
            self.clock.monotonic(),
        );
        buf.prioritized = self.prioritized(dest);
        let mut joining = Vec::new();
        for (cid, c) in self.consumers.iter_mut() {
            if c.pattern.as_ref().is_some_and(|p| p.matches(dest)) {
                c.buffers.push(bid);
                joining.push(*cid);
            }
        }
        // In subscription order (ids are sequential), not the map's: the
        // first exclusive consumer attached is the one that receives, and
        // round-robin follows attach order.
        joining.sort_unstable();
        buf.consumers = joining;
        self.buffers.insert(bid, buf);
        self.queues.insert(dest.clone(), bid);
        bid
    }

    /// Whether `dest` has ActiveMQ's prioritizedMessages policy.
    pub fn prioritized(&self, dest: &Destination) -> bool {
        dest.covered_by(&self.config.prioritized_messages)
    }

    /// The existing queues a wildcard pattern covers.
    fn queues_matching(&self, pattern: &Destination) -> Vec<BufferId> {
        let mut bids: Vec<(u64, BufferId)> = self
            .queues
            .iter()
            .filter(|(q, _)| !q.is_wildcard() && pattern.matches(q))
            .map(|(_, bid)| (bid.0, *bid))
            .collect();
        bids.sort_unstable();
        bids.into_iter().map(|(_, b)| b).collect()
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
        let wildcard_queue = dest.is_queue() && dest.is_wildcard();
        let bids = if wildcard_queue {
            self.queues_matching(&dest)
        } else if dest.is_queue() {
            vec![self.queue_buffer(&dest)]
        } else if let Some(name) = &req.durable_name {
            let client_id = client_id.ok_or(BrokerError::DurableWithoutClientId)?;
            vec![self.durable_buffer(client_id, Arc::from(name.as_str()), &req)?]
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
                    self.clock.monotonic(),
                ),
            );
            self.add_topic_subscription(&dest, bid);
            vec![bid]
        };
        if !dest.is_queue() {
            // A topic subscription filters as messages arrive (see `route`).
            for bid in &bids {
                if let Some(b) = self.buffers.get_mut(bid) {
                    b.selector.clone_from(&selector);
                }
                if req.retroactive {
                    self.recover_retained(*bid, &dest);
                }
            }
        }
        let cid = ConsumerId(self.next_id());
        self.consumers.insert(
            cid,
            Consumer {
                conn,
                buffers: bids.clone(),
                pattern: wildcard_queue.then(|| dest.clone()),
                prefetch: req.prefetch,
                pulls: 0,
                inflight: VecDeque::new(),
                window_used: 0,
                window_bytes: 0,
                window_bytes_limit: req.window_bytes.unwrap_or(usize::MAX),
                exclusive: req.exclusive && dest.is_queue(),
                selector: if dest.is_queue() { selector } else { None },
                priority: req.priority,
                label: req.label.as_deref().map(Arc::from),
                description: req.description.clone(),
                slow_advised: false,
            },
        );
        for bid in &bids {
            if let Some(b) = self.buffers.get_mut(bid) {
                b.consumers.push(cid);
            }
        }
        if let Some(c) = self.connections.get_mut(&conn) {
            c.consumers.push(cid);
        }
        for bid in bids {
            self.dispatch(bid);
        }
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
        let mut buf = Buffer::new(
            Owner::Subscription {
                topic: req.destination.clone(),
                durable: Some(key.clone()),
                selector: req.selector.clone(),
                no_local: req.no_local,
            },
            &self.memory,
            self.clock.monotonic(),
        );
        buf.prioritized = self.prioritized(&req.destination);
        self.buffers.insert(bid, buf);
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

    /// Takes a consumer out of its buffers' rotation, so nothing more is
    /// dispatched to it; it keeps what it holds until closed.
    fn detach_consumer(&mut self, cid: ConsumerId) {
        let buffers = match self.consumers.get(&cid) {
            Some(c) => c.buffers.clone(),
            None => return,
        };
        self.detach_from(cid, &buffers);
    }

    fn detach_from(&mut self, cid: ConsumerId, buffers: &[BufferId]) {
        for bid in buffers {
            if let Some(buf) = self.buffers.get_mut(bid) {
                buf.consumers.retain(|x| *x != cid);
                // Its message groups move to whichever consumer gets their
                // next message.
                buf.groups.retain(|_, c| *c != cid);
                if buf.cursor >= buf.consumers.len() {
                    buf.cursor = 0;
                }
            }
        }
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
        self.detach_from(cid, &consumer.buffers);
        let mut touched = consumer.buffers.clone();
        for f in consumer.inflight {
            let Some(buf) = self.buffers.get_mut(&f.buffer) else {
                continue;
            };
            let mut entry = f.entry;
            entry.redelivery_count += 1;
            if let Some(key) = buf.store_key() {
                self.store
                    .redelivered(&key, entry.seq, entry.redelivery_count);
            }
            buf.push(entry);
            if !touched.contains(&f.buffer) {
                touched.push(f.buffer);
            }
        }
        for bid in touched {
            let transient_sub = self
                .buffers
                .get(&bid)
                .is_some_and(|b| matches!(b.owner, Owner::Subscription { durable: None, .. }));
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
        }
        true
    }

    // ---- delivery (routing is in routing.rs, dispatch in dispatch.rs) ----

    /// Returns whether every pulled message was dispatched at once.
    pub fn pull(&mut self, cid: ConsumerId, count: u32) -> Result<bool, BrokerError> {
        let consumer = self
            .consumers
            .get_mut(&cid)
            .ok_or(BrokerError::UnknownConsumer)?;
        consumer.pulls = consumer.pulls.saturating_add(count);
        for bid in consumer.buffers.clone() {
            self.dispatch(bid);
        }
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
        let now = self.clock.now_millis();
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
        s.memory_bytes = self.memory_used();
        s
    }
}

/// Parses a subscription's selector; empty means none.
pub(crate) fn parse_selector(
    text: Option<&str>,
) -> Result<Option<Arc<selector::Selector>>, BrokerError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => selector::Selector::parse(t)
            .map(|s| Some(Arc::new(s)))
            .map_err(|e| BrokerError::InvalidSelector(e.to_string())),
    }
}
