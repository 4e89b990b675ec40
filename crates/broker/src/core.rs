//! The core state machine: connections, consumers, buffers and routing.
//! [`crate::Broker`] wraps it in a mutex; everything here is synchronous.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::buffer::{Buffer, BufferId, Owner};
use crate::config::{BrokerConfig, BrokerStats};
use crate::demand::DemandWatchers;
use crate::destination::Destination;
use crate::destinations::Destinations;
use crate::error::BrokerError;
use crate::message::Message;
use crate::registry::Registry;
pub(crate) use crate::registry::{Conn, Consumer, InFlight};
use crate::state::{Confirmations, Counters, Transactions, Usage};
use crate::store::{DurableDef, MessageStore};
use crate::subscription::SubscribeRequest;
use crate::{ConnectionId, ConsumerId};
use model::ConsumerAbout;

/// The broker's whole state, in owned parts; each keeps its own
/// invariants behind its methods, and the `impl Core` blocks (routing,
/// dispatch, transactions, ...) orchestrate them.
pub(crate) struct Core {
    pub config: BrokerConfig,
    pub store: Box<dyn MessageStore>,
    /// Every time reading of the core (see `clock.rs`).
    pub clock: Arc<dyn crate::clock::Clock>,
    pub counters: Counters,
    /// Connections, consumers, producers.
    pub registry: Registry,
    /// Buffers and the indexes that find them.
    pub dests: Destinations,
    pub transactions: Transactions,
    /// What each connection waits to have confirmed.
    pub confirmations: Confirmations,
    pub usage: Usage,
    /// Scheduled jobs (`scheduled.rs`).
    pub schedule: Schedule,
    /// Who is told about demand (see `demand.rs`).
    pub demand: DemandWatchers,
    /// Network arrivals seen lately (see `audit.rs`).
    pub network_audit: crate::audit::NetworkAudit,
    /// How this broker names itself to clients.
    pub identity: Identity,
}

/// Scheduled jobs, the ids the scheduler gives out, and the zone cron
/// entries are read in.
pub(crate) struct Schedule {
    pub jobs: crate::scheduler::Jobs,
    pub ids: crate::scheduler::Ids,
    pub time_zone: crate::scheduler::TimeZone,
}

/// How the broker names itself and what it makes up ids from.
pub(crate) struct Identity {
    /// ActiveMQ's broker id shape: `ID:<name>-<boot millis>:1`.
    pub broker_id: Arc<str>,
    /// Where clients reach it (advisories' `originBrokerURL`).
    pub url: Arc<str>,
    /// `ID:<name>-<boot millis>`: ids of connections the broker names.
    pub id_prefix: Arc<str>,
}

impl Identity {
    fn new(config: &BrokerConfig, boot: i64) -> Identity {
        // Ids are split on ':' by clients; the name must not add parts.
        let name = config.name.replace(':', "_");
        let id_prefix = format!("ID:{name}-{boot}");
        Identity {
            broker_id: Arc::from(format!("{id_prefix}:1")),
            url: Arc::from(
                config
                    .url
                    .clone()
                    .unwrap_or_else(|| format!("vm://{}", config.name)),
            ),
            id_prefix: Arc::from(id_prefix),
        }
    }
}

impl Core {
    pub fn new(
        config: BrokerConfig,
        store: Box<dyn MessageStore>,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Core {
        let schedule = Schedule {
            jobs: crate::scheduler::Jobs::default(),
            ids: crate::scheduler::Ids::new(&config.name, clock.now_millis()),
            time_zone: crate::scheduler::TimeZone::Local,
        };
        let identity = Identity::new(&config, clock.now_millis());
        Core {
            config,
            store,
            usage: Usage::new(clock.monotonic()),
            clock,
            counters: Counters::default(),
            registry: Registry::default(),
            dests: Destinations::default(),
            transactions: Transactions::default(),
            confirmations: Confirmations::default(),
            schedule,
            demand: DemandWatchers::default(),
            network_audit: crate::audit::NetworkAudit::default(),
            identity,
        }
    }

    pub fn next_id(&mut self) -> u64 {
        self.counters.id()
    }

    pub fn next_seq(&mut self) -> u64 {
        self.counters.seq()
    }

    // ---- consumers ---------------------------------------------------

    pub fn queue_buffer(&mut self, dest: &Destination) -> BufferId {
        if let Some(bid) = self.dests.queue(dest) {
            return bid;
        }
        let bid = BufferId(self.next_id());
        let mut buf = Buffer::new(
            Owner::Queue(dest.clone()),
            self.usage.memory_counter(),
            self.clock.monotonic(),
        );
        buf.prioritized = self.prioritized(dest);
        let mut joining = Vec::new();
        for (cid, c) in self.registry.consumers_mut() {
            if c.patterns.iter().any(|p| p.matches(dest)) {
                c.buffers.push(bid);
                joining.push(*cid);
            }
        }
        // In subscription order (ids are sequential), not the map's: the
        // first exclusive consumer attached is the one that receives, and
        // round-robin follows attach order.
        joining.sort_unstable();
        buf.consumers = joining;
        self.dests.insert_buffer(bid, buf);
        self.dests.insert_queue(dest.clone(), bid);
        bid
    }

    /// Whether `dest` has ActiveMQ's prioritizedMessages policy.
    pub fn prioritized(&self, dest: &Destination) -> bool {
        dest.covered_by(&self.config.prioritized_messages)
    }

    /// The existing queues a wildcard pattern covers.
    fn queues_matching(&self, pattern: &Destination) -> Vec<BufferId> {
        let mut bids: Vec<(u64, BufferId)> = self
            .dests
            .queues()
            .filter(|(q, _)| !q.is_wildcard() && pattern.matches(q))
            .map(|(_, bid)| (bid.0, *bid))
            .collect();
        bids.sort_unstable();
        bids.into_iter().map(|(_, b)| b).collect()
    }

    /// Adds a consumer. A composite destination (`a,topic://b`) gives one
    /// consumer taking from every part, with one prefetch window, as in
    /// ActiveMQ.
    pub fn subscribe(
        &mut self,
        conn: ConnectionId,
        req: SubscribeRequest,
    ) -> Result<ConsumerId, BrokerError> {
        let client_id = self
            .registry
            .connection(conn)
            .ok_or(BrokerError::UnknownConnection)?
            .client_id
            .clone();
        let parts = req
            .destination
            .composite_parts()
            .unwrap_or_else(|| vec![req.destination.clone()]);
        for part in &parts {
            if part.is_temporary() && !self.dests.temporary_exists(part) {
                return Err(BrokerError::DeletedDestination(part.clone()));
            }
        }
        if req.durable_name.is_some() && parts.len() > 1 {
            return Err(BrokerError::InvalidDestination(format!(
                "a durable subscription takes one topic, not {}",
                req.destination
            )));
        }
        // Parsed once, here: a bad selector fails the subscription.
        let selector = parse_selector(req.selector.as_deref())?;
        let mut bids = Vec::new();
        for part in &parts {
            for bid in self.part_buffers(part, &req, client_id.clone(), &selector)? {
                if !bids.contains(&bid) {
                    bids.push(bid);
                }
            }
        }
        let cid = ConsumerId(self.next_id());
        let about = self.consumer_about(conn, &req)?;
        let any_queue = parts.iter().any(Destination::is_queue);
        self.registry.add_consumer(
            cid,
            Consumer {
                conn,
                buffers: bids.clone(),
                patterns: parts
                    .iter()
                    .filter(|p| p.is_queue() && p.is_wildcard())
                    .cloned()
                    .collect(),
                parts,
                prefetch: req.prefetch,
                pulls: 0,
                inflight: VecDeque::new(),
                window_used: 0,
                window_bytes: 0,
                window_bytes_limit: req.window_bytes.unwrap_or(usize::MAX),
                exclusive: req.exclusive && any_queue,
                // Topic subscriptions filter as messages arrive (see `route`);
                // the same selector at dispatch changes nothing for them.
                selector: if any_queue { selector } else { None },
                forward: req.forward.clone().map(Arc::new),
                priority: req.priority,
                about,
                slow_advised: false,
            },
        );
        for bid in &bids {
            if let Some(b) = self.dests.buffer_mut(*bid) {
                b.consumers.push(cid);
            }
        }
        self.consumer_added(cid);
        for bid in bids {
            self.dispatch(bid);
        }
        Ok(cid)
    }

    /// How advisories and demand watchers will describe a new consumer.
    fn consumer_about(
        &mut self,
        conn: ConnectionId,
        req: &SubscribeRequest,
    ) -> Result<Arc<ConsumerAbout>, BrokerError> {
        let c = self
            .registry
            .connection_mut(conn)
            .ok_or(BrokerError::UnknownConnection)?;
        let id = match &req.label {
            Some(l) => Arc::from(l.as_str()),
            None => c.next_local_id(),
        };
        Ok(Arc::new(ConsumerAbout {
            id,
            connection: Arc::clone(&c.about.id),
            destination: req.destination.clone(),
            prefetch: req.prefetch,
            selector: req.selector.as_deref().map(Arc::from),
            durable_name: req.durable_name.as_deref().map(Arc::from),
            no_local: req.no_local,
            exclusive: req.exclusive,
            priority: req.priority,
            retroactive: req.retroactive,
            network: req.network.clone(),
            native: req.description.clone(),
        }))
    }

    /// The buffers a consumer of one destination takes from.
    fn part_buffers(
        &mut self,
        dest: &Destination,
        req: &SubscribeRequest,
        client_id: Option<Arc<str>>,
        selector: &Option<Arc<selector::Selector>>,
    ) -> Result<Vec<BufferId>, BrokerError> {
        if dest.is_queue() && dest.is_wildcard() {
            return Ok(self.queues_matching(dest));
        }
        if dest.is_queue() {
            return Ok(vec![self.queue_buffer(dest)]);
        }
        let bid = if let Some(name) = &req.durable_name {
            let client_id = client_id.ok_or(BrokerError::DurableWithoutClientId)?;
            self.durable_buffer(client_id, Arc::from(name.as_str()), req)?
        } else {
            let bid = BufferId(self.next_id());
            self.dests.insert_buffer(
                bid,
                Buffer::new(
                    Owner::Subscription {
                        topic: dest.clone(),
                        durable: None,
                        selector: req.selector.clone(),
                        no_local: req.no_local,
                    },
                    self.usage.memory_counter(),
                    self.clock.monotonic(),
                ),
            );
            self.dests.add_topic_subscription(dest, bid);
            bid
        };
        if let Some(b) = self.dests.buffer_mut(bid) {
            b.selector.clone_from(selector);
            b.forward = req.forward.clone().map(Arc::new);
        }
        if req.retroactive {
            self.recover_retained(bid, dest);
        }
        Ok(vec![bid])
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
        if let Some(bid) = self.dests.durable(&key) {
            let Some(buf) = self.dests.buffer(bid) else {
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
            self.usage.memory_counter(),
            self.clock.monotonic(),
        );
        buf.prioritized = self.prioritized(&req.destination);
        self.dests.insert_buffer(bid, buf);
        self.dests.add_topic_subscription(&req.destination, bid);
        self.dests.insert_durable(key, bid);
        Ok(bid)
    }

    fn drop_durable(&mut self, key: &(Arc<str>, Arc<str>)) -> Result<(), BrokerError> {
        let Some(bid) = self.dests.remove_durable(key) else {
            return Ok(());
        };
        if let Some(buf) = self.dests.remove_buffer(bid) {
            if let Some(k) = buf.store_key() {
                self.store.drop_key(&k)?;
            }
        }
        Ok(())
    }

    /// Removes a durable subscription and what it holds (JMS `unsubscribe`).
    pub fn remove_durable(&mut self, client_id: &str, name: &str) -> Result<(), BrokerError> {
        let key: (Arc<str>, Arc<str>) = (Arc::from(client_id), Arc::from(name));
        let Some(bid) = self.dests.durable(&key) else {
            return Err(BrokerError::UnknownDurable {
                client_id: client_id.to_string(),
                name: name.to_string(),
            });
        };
        if self
            .dests
            .buffer(bid)
            .is_some_and(|b| !b.consumers.is_empty())
        {
            return Err(BrokerError::DurableActive);
        }
        let topic = self.dests.buffer(bid).and_then(|b| match &b.owner {
            Owner::Subscription { topic, .. } => Some(topic.clone()),
            Owner::Queue(_) => None,
        });
        self.drop_durable(&key)?;
        if let Some(topic) = topic {
            self.advise_subscription_removed(&topic, &key.0, &key.1);
        }
        Ok(())
    }

    /// Takes a consumer out of its buffers' rotation, so nothing more is
    /// dispatched to it; it keeps what it holds until closed.
    pub(crate) fn detach_consumer(&mut self, cid: ConsumerId) {
        let buffers = match self.registry.consumer(cid) {
            Some(c) => c.buffers.clone(),
            None => return,
        };
        self.detach_from(cid, &buffers);
    }

    fn detach_from(&mut self, cid: ConsumerId, buffers: &[BufferId]) {
        for &bid in buffers {
            if let Some(buf) = self.dests.buffer_mut(bid) {
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
    /// buffer and on to the next consumer, marked redelivered if it reached
    /// the application: every delivery when `delivered_up_to` is `None`
    /// (not known), else those whose `seq` is at most it (as ActiveMQ's
    /// lastDeliveredSequenceId).
    ///
    /// As ActiveMQ's Queue.removeSubscription, the marking runs up to the
    /// un-acked delivery carrying exactly that sequence: when this consumer
    /// holds none (the client acked its last delivery individually, or the
    /// number is another consumer's of the same connection) nothing it holds
    /// is marked.
    pub fn close_consumer(&mut self, cid: ConsumerId, delivered_up_to: Option<u64>) -> bool {
        let Some(consumer) = self.registry.remove_consumer(cid) else {
            return false;
        };
        let delivered_up_to = delivered_up_to.map(|d| {
            if consumer.inflight.iter().any(|f| f.seq == d) {
                d
            } else {
                0
            }
        });
        self.detach_from(cid, &consumer.buffers);
        self.consumer_removed(cid, &consumer.about, &consumer.parts);
        let mut touched = consumer.buffers.clone();
        for f in consumer.inflight {
            let Some(buf) = self.dests.buffer_mut(f.buffer) else {
                continue;
            };
            let mut entry = f.entry;
            if delivered_up_to.is_none_or(|d| f.seq <= d) {
                entry.redelivery_count += 1;
                if let Some(key) = buf.store_key() {
                    self.store
                        .redelivered(&key, entry.seq, entry.redelivery_count);
                }
            }
            buf.push(entry);
            if !touched.contains(&f.buffer) {
                touched.push(f.buffer);
            }
        }
        for bid in touched {
            let transient_sub = self
                .dests
                .buffer(bid)
                .is_some_and(|b| matches!(b.owner, Owner::Subscription { durable: None, .. }));
            if transient_sub {
                self.dests.remove_buffer(bid);
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
            .registry
            .consumer_mut(cid)
            .ok_or(BrokerError::UnknownConsumer)?;
        consumer.pulls = consumer.pulls.saturating_add(count);
        for bid in consumer.buffers.clone() {
            self.dispatch(bid);
        }
        Ok(self.registry.consumer(cid).is_some_and(|c| c.pulls == 0))
    }

    /// Withdraws a pull-mode consumer's unused credit (its pull timed out).
    /// Returns whether there was any: if not, a message is on its way.
    pub fn cancel_pull(&mut self, cid: ConsumerId) -> bool {
        match self.registry.consumer_mut(cid) {
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
        let Some(buf) = self.dests.queue(dest).and_then(|b| self.dests.buffer(b)) else {
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
        self.dests
            .temporaries()
            .into_iter()
            .map(|(d, _)| d.clone())
            .collect()
    }

    /// Messages waiting (not in flight) on a queue, for tests and metrics.
    pub fn queue_depth(&self, dest: &Destination) -> usize {
        self.dests
            .queue(dest)
            .and_then(|b| self.dests.buffer(b))
            .map_or(0, Buffer::depth)
    }

    pub fn durable_depth(&self, client_id: &str, name: &str) -> Option<usize> {
        let key: (Arc<str>, Arc<str>) = (Arc::from(client_id), Arc::from(name));
        self.dests
            .durable(&key)
            .and_then(|b| self.dests.buffer(b))
            .map(Buffer::depth)
    }

    pub fn snapshot_stats(&self) -> BrokerStats {
        let mut s = self.usage.stats.clone();
        s.connections = self.registry.connection_count();
        s.consumers = self.registry.consumer_count();
        s.queues = self.dests.queue_count();
        s.pending_messages = self
            .dests
            .buffers()
            .map(|(_, b)| b)
            .map(Buffer::depth)
            .sum();
        s.inflight_messages = self.registry.inflight_count();
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
