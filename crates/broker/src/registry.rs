//! Who is connected: connections, their consumers and producers, each
//! owned here and reached by id. The client id of a connection is unique
//! among live connections; this registry keeps that true.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::buffer::{BufferId, Entry};
use crate::destination::Destination;
use crate::event::EventSender;
use crate::ids::IdMap;
use crate::selecting::SelectedBy;
use crate::{ConnectionId, ConsumerId, ProducerId, TxId};
use model::{ConnectionAbout, ConsumerAbout, ProducerAbout};

/// A connected client.
pub(crate) struct Conn {
    /// Where this connection's deliveries go.
    pub sink: EventSender,
    /// Registered client id; durable subscriptions are named under it.
    pub client_id: Option<Arc<str>>,
    /// As advisories describe it.
    pub about: Arc<ConnectionAbout>,
    pub consumers: Vec<ConsumerId>,
    /// How many consumer and producer ids the broker made up for it
    /// (`<connection id>:-1:<n>`, as ActiveMQ names a STOMP consumer).
    pub local_ids: u64,
    pub producers: Vec<ProducerId>,
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
    /// The delivery's [`Delivery::seq`](crate::Delivery::seq); 0 for one
    /// known to have reached the application (acknowledged in a
    /// transaction that then rolled back).
    pub seq: u64,
}

pub(crate) struct Consumer {
    pub conn: ConnectionId,
    /// The buffers it takes from: one, except for a consumer on a wildcard
    /// queue (`FOO.>`), which takes from every matching queue, and one on a
    /// composite destination (`a,topic://b`), which takes from each part.
    pub buffers: Vec<BufferId>,
    /// The destinations it takes from (a composite's parts).
    pub parts: Vec<Destination>,
    /// Its wildcard queue patterns: queues created later that match one
    /// gain this consumer too, as in ActiveMQ.
    pub patterns: Vec<Destination>,
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
    /// A bridge consumer's rule (see `SubscribeRequest::forward`).
    pub forward: Option<Arc<crate::ForwardFilter>>,
    /// Higher goes first (see `SubscribeRequest::priority`).
    pub priority: i8,
    /// As advisories and demand watchers describe it.
    pub about: Arc<ConsumerAbout>,
    /// A slow-consumer advisory went out and it has not caught up since.
    pub slow_advised: bool,
}

impl Conn {
    /// An id for one of this connection's consumers or producers that the
    /// client did not name: `<connection id>:-1:<n>`, as ActiveMQ names a
    /// STOMP consumer.
    pub fn next_local_id(&mut self) -> Arc<str> {
        self.local_ids += 1;
        Arc::from(format!("{}:-1:{}", self.about.id, self.local_ids))
    }
}

impl Consumer {
    /// Whether this consumer's selector (if any) selects the entry, and a
    /// bridge consumer's forward rule lets it through.
    /// `no_local_consumers` (see [`crate::ForwardFilter::passes`]) matters
    /// only to a bridge consumer and a message that came over the network.
    pub fn wants(&self, entry: &Entry, no_local_consumers: bool) -> bool {
        self.forward
            .as_ref()
            .is_none_or(|f| f.passes(&entry.message, no_local_consumers))
            && self
                .selector
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

/// A registered producer.
pub(crate) struct Producer {
    pub conn: ConnectionId,
    pub about: Arc<ProducerAbout>,
}

/// Every live connection, consumer and producer.
#[derive(Default)]
pub(crate) struct Registry {
    connections: IdMap<ConnectionId, Conn>,
    /// Client ids in use, for uniqueness and durable subscriptions.
    client_ids: HashMap<Arc<str>, ConnectionId>,
    consumers: IdMap<ConsumerId, Consumer>,
    producers: IdMap<ProducerId, Producer>,
    /// The last [`Delivery::seq`](crate::Delivery::seq) handed out.
    deliveries: u64,
}

impl Registry {
    /// A new delivery's sequence number: increasing across the broker, as
    /// ActiveMQ's brokerSequenceId, which clients echo back on close.
    pub fn next_delivery(&mut self) -> u64 {
        self.deliveries += 1;
        self.deliveries
    }

    pub fn connection(&self, id: ConnectionId) -> Option<&Conn> {
        self.connections.get(&id)
    }

    pub fn connection_mut(&mut self, id: ConnectionId) -> Option<&mut Conn> {
        self.connections.get_mut(&id)
    }

    pub fn client_id_in_use(&self, client_id: &str) -> bool {
        self.client_ids.contains_key(client_id)
    }

    /// Registers a connection (and its client id, checked free by the caller).
    pub fn add_connection(&mut self, id: ConnectionId, conn: Conn) {
        if let Some(cid) = &conn.client_id {
            self.client_ids.insert(Arc::clone(cid), id);
        }
        self.connections.insert(id, conn);
    }

    /// Forgets a connection, freeing its client id.
    pub fn remove_connection(&mut self, id: ConnectionId) -> Option<Conn> {
        let conn = self.connections.remove(&id)?;
        if let Some(cid) = &conn.client_id {
            self.client_ids.remove(cid);
        }
        Some(conn)
    }

    /// Every connection, oldest first.
    pub fn connections(&self) -> Vec<(ConnectionId, &Conn)> {
        let mut all: Vec<_> = self.connections.iter().map(|(id, c)| (*id, c)).collect();
        all.sort_by_key(|(id, _)| *id);
        all
    }

    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    pub fn consumer(&self, id: ConsumerId) -> Option<&Consumer> {
        self.consumers.get(&id)
    }

    pub fn consumer_mut(&mut self, id: ConsumerId) -> Option<&mut Consumer> {
        self.consumers.get_mut(&id)
    }

    /// Adds a consumer, listed under its connection.
    pub fn add_consumer(&mut self, id: ConsumerId, consumer: Consumer) {
        if let Some(c) = self.connections.get_mut(&consumer.conn) {
            c.consumers.push(id);
        }
        self.consumers.insert(id, consumer);
    }

    /// Removes a consumer from the registry and its connection's list.
    pub fn remove_consumer(&mut self, id: ConsumerId) -> Option<Consumer> {
        let consumer = self.consumers.remove(&id)?;
        if let Some(c) = self.connections.get_mut(&consumer.conn) {
            c.consumers.retain(|x| *x != id);
        }
        Some(consumer)
    }

    /// Every consumer, oldest first.
    pub fn consumers(&self) -> Vec<(ConsumerId, &Consumer)> {
        let mut all: Vec<_> = self.consumers.iter().map(|(id, c)| (*id, c)).collect();
        all.sort_by_key(|(id, _)| *id);
        all
    }

    pub fn consumers_mut(&mut self) -> impl Iterator<Item = (&ConsumerId, &mut Consumer)> {
        self.consumers.iter_mut()
    }

    pub fn consumer_count(&self) -> usize {
        self.consumers.len()
    }

    /// Messages delivered and not yet acknowledged, across all consumers.
    pub fn inflight_count(&self) -> usize {
        self.consumers.values().map(|c| c.inflight.len()).sum()
    }

    /// The connection a consumer belongs to.
    pub fn connection_of(&self, consumer: ConsumerId) -> Option<ConnectionId> {
        self.consumers.get(&consumer).map(|c| c.conn)
    }

    /// Adds a producer, listed under its connection.
    pub fn add_producer(&mut self, id: ProducerId, producer: Producer) {
        if let Some(c) = self.connections.get_mut(&producer.conn) {
            c.producers.push(id);
        }
        self.producers.insert(id, producer);
    }

    pub fn remove_producer(&mut self, id: ProducerId) -> Option<Producer> {
        let p = self.producers.remove(&id)?;
        if let Some(c) = self.connections.get_mut(&p.conn) {
            c.producers.retain(|x| *x != id);
        }
        Some(p)
    }

    /// Every producer, oldest first.
    pub fn producers(&self) -> Vec<(ProducerId, &Producer)> {
        let mut all: Vec<_> = self.producers.iter().map(|(id, p)| (*id, p)).collect();
        all.sort_by_key(|(id, _)| *id);
        all
    }
}
