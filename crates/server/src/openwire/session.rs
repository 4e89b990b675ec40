//! The OpenWire protocol state of one connection, without I/O: commands in,
//! broker calls, commands out.

use std::collections::HashMap;
use std::sync::Arc;

use broker::{
    Broker, BrokerError, ConnectionId, ConsumerId, Event, EventSender, SubscribeRequest, TxId,
};
use openwire::{CommandHeader, DataStructure, DataType, OwString};

use openwire_adapter::{destination, exception_response, id_string, path_of, to_core, to_wire};

/// A failure to report in an ExceptionResponse: the Java exception class
/// the client maps it to, and the message.
pub struct Failure {
    pub class: &'static str,
    pub message: String,
}

impl Failure {
    fn new(class: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            class,
            message: message.into(),
        }
    }
}

impl From<BrokerError> for Failure {
    fn from(e: BrokerError) -> Self {
        let class = match &e {
            BrokerError::ClientIdInUse(_) => "javax.jms.InvalidClientIDException",
            BrokerError::DeletedDestination(_)
            | BrokerError::ForeignTemporaryDestination(_)
            | BrokerError::InvalidDestination(_)
            // ActiveMQ's TopicRegion throws this class for an unknown durable.
            | BrokerError::UnknownDurable { .. } => "javax.jms.InvalidDestinationException",
            BrokerError::DurableWithoutClientId
            | BrokerError::DurableInUse { .. }
            | BrokerError::DurableActive => "javax.jms.JMSException",
            BrokerError::UnknownTransaction(_) | BrokerError::TransactionExists(_) => {
                "javax.jms.IllegalStateException"
            }
            BrokerError::ResourceLimit(_) => "javax.jms.ResourceAllocationException",
            BrokerError::InvalidSelector(_) => "javax.jms.InvalidSelectorException",
            BrokerError::Schedule(_) => "javax.jms.MessageFormatException",
            _ => "javax.jms.JMSException",
        };
        Failure::new(class, e.to_string())
    }
}

struct Consumer {
    /// The core's consumer (one for a composite destination too).
    id: ConsumerId,
    /// The client's id for it, echoed in every MessageDispatch.
    wire_id: DataStructure,
}

pub struct Session {
    broker: Arc<Broker>,
    events: Option<EventSender>,
    pub conn: Option<ConnectionId>,
    /// Consumers by the client's (session, value) id.
    consumers: HashMap<(i64, i64), Consumer>,
    by_core: HashMap<ConsumerId, (i64, i64)>,
    /// Producers with a send window: async sends are acknowledged with ProducerAck.
    windows: HashMap<(i64, i64), DataStructure>,
    /// Commands to send.
    pub out: Vec<DataStructure>,
    /// Set once the connection must close after `out` is flushed.
    pub closing: bool,
    /// A response other than a plain Response, set by the command handler.
    reply: Option<Reply>,
    /// Pulls waiting for a message, with the time to give up.
    pulls: Vec<((i64, i64), std::time::Instant)>,
    /// Producers that named a destination, registered with the core.
    producers: HashMap<(i64, i64), broker::ProducerId>,
    /// Sessions the client announced (SessionInfo), by value.
    sessions: std::collections::HashSet<i64>,
    /// Responses held back until the store has synced what their commands
    /// wrote, in command order (see [`Session::sync_point`]).
    pub awaiting: Vec<Awaiting>,
    /// Set when a send found its destination congested (a limit reached, a
    /// slow subscriber, the disk behind): the connection stops reading
    /// this client's commands until it clears, which holds the producer
    /// back through TCP as ActiveMQ's producer flow control does.
    pub throttle: Option<broker::Destination>,
    /// What a peer broker's network bridge said of itself (BrokerInfo).
    peer: Option<duplex::PeerBroker>,
    /// This broker's half of a duplex bridge the peer opened.
    duplex: Option<duplex::Duplex>,
}

/// A response that may go out only once the store has synced: its own
/// command's writes (`point`), or, without one, the writes of the
/// commands before it (responses keep their commands' order).
pub struct Awaiting {
    pub point: Option<broker::SyncPoint>,
    reply: DataStructure,
    command_id: i32,
}

/// How many responses may wait for the store before the connection stops
/// reading: commands already read go on being handled meanwhile, so a
/// client that pipelines persistent sends (a network bridge) shares one
/// sync among many of them.
pub const MAX_AWAITING: usize = 4096;

/// The XA commands answer with data, not a plain Response.
enum Reply {
    /// PREPARE: XAResource.XA_OK.
    Integer(i32),
    /// RECOVER: the prepared transaction ids.
    Array(Vec<DataStructure>),
}

fn key(ds: &DataStructure) -> Option<(i64, i64)> {
    match ds {
        DataStructure::ConsumerId(c) => Some((c.session_id, c.value)),
        DataStructure::ProducerId(p) => Some((p.session_id, p.value)),
        _ => None,
    }
}

impl Session {
    pub fn new(broker: Arc<Broker>, events: EventSender) -> Session {
        Session {
            broker,
            events: Some(events),
            conn: None,
            consumers: HashMap::new(),
            by_core: HashMap::new(),
            windows: HashMap::new(),
            out: Vec::new(),
            closing: false,
            reply: None,
            pulls: Vec::new(),
            producers: HashMap::new(),
            sessions: std::collections::HashSet::new(),
            awaiting: Vec::new(),
            throttle: None,
            peer: None,
            duplex: None,
        }
    }

    /// Whether the client must still wait before more of its commands are
    /// read; clears the throttle once its destination has caught up.
    pub fn throttled(&mut self) -> bool {
        self.broker.still_throttled(&mut self.throttle)
    }

    /// The store position every held-back response waits for: the last
    /// one (positions only grow, so it covers those before it).
    pub fn sync_point(&self) -> Option<broker::SyncPoint> {
        self.awaiting.iter().rev().find_map(|a| a.point.clone())
    }

    /// Sends the held-back responses, or for those whose commands wrote to
    /// the store, an exception if the store could not make it durable.
    pub fn synced(&mut self, result: Result<(), broker::StoreError>) {
        for a in std::mem::take(&mut self.awaiting) {
            match (&result, a.point.is_some()) {
                (Err(e), true) => {
                    tracing::error!("OpenWire command {} not confirmed: {e}", a.command_id);
                    self.out.push(exception_response(
                        a.command_id,
                        "java.io.IOException",
                        &e.to_string(),
                    ));
                }
                _ => self.out.push(a.reply),
            }
        }
    }

    /// A response: out now, or behind the responses still waiting.
    fn respond(&mut self, reply: DataStructure, point: Option<broker::SyncPoint>, command_id: i32) {
        if point.is_none() && self.awaiting.is_empty() {
            self.out.push(reply);
        } else {
            self.awaiting.push(Awaiting {
                point,
                reply,
                command_id,
            });
        }
    }

    /// Handles one command, answering it when the client asked for a response.
    pub fn on_command(&mut self, cmd: DataStructure) {
        let CommandHeader {
            command_id,
            response_required,
        } = cmd.command_header().unwrap_or_default();
        tracing::trace!(
            command = cmd.name(),
            command_id,
            response_required,
            "OpenWire command"
        );
        self.reply = None;
        let result = self.handle(cmd);
        // Taken after every command, so what one command wrote never counts
        // as the next one's.
        let synced = self.conn.and_then(|c| self.broker.sync_point(c));
        match result {
            Ok(()) if response_required => {
                let reply = match self.reply.take() {
                    Some(Reply::Integer(result)) => {
                        DataStructure::IntegerResponse(Arc::new(openwire::IntegerResponse {
                            correlation_id: command_id,
                            result,
                            ..Default::default()
                        }))
                    }
                    Some(Reply::Array(data)) => {
                        DataStructure::DataArrayResponse(Arc::new(openwire::DataArrayResponse {
                            correlation_id: command_id,
                            data: Some(data),
                            ..Default::default()
                        }))
                    }
                    None => DataStructure::Response(Arc::new(openwire::Response {
                        correlation_id: command_id,
                        ..Default::default()
                    })),
                };
                // What the command wrote to the store must be durable before
                // the client hears it succeeded (a persistent send, a commit).
                self.respond(reply, synced, command_id);
            }
            Ok(()) => {}
            Err(f) => {
                tracing::info!("OpenWire command failed: {}: {}", f.class, f.message);
                if response_required {
                    self.respond(
                        exception_response(command_id, f.class, &f.message),
                        None,
                        command_id,
                    );
                }
            }
        }
    }

    fn conn(&self) -> Result<ConnectionId, Failure> {
        self.conn.ok_or_else(|| {
            Failure::new(
                "javax.jms.IllegalStateException",
                "Not connected: send a ConnectionInfo first",
            )
        })
    }

    fn handle(&mut self, cmd: DataStructure) -> Result<(), Failure> {
        match cmd {
            DataStructure::ConnectionInfo(info) => {
                self.connect(&info)?;
                self.start_duplex()
            }
            DataStructure::SessionInfo(info) => {
                self.conn()?;
                if let Some(DataStructure::SessionId(id)) = &info.session_id {
                    self.sessions.insert(id.value);
                }
                Ok(())
            }
            DataStructure::ProducerInfo(p) => self.add_producer(&p),
            DataStructure::ConsumerInfo(c) => self.add_consumer(&c),
            DataStructure::RemoveInfo(r) => {
                self.remove(r.object_id.as_ref(), r.last_delivered_sequence_id)
            }
            DataStructure::ActiveMqMessage(m) => self.send(DataType::ActiveMqMessage.code(), m),
            DataStructure::BytesMessage(m) => self.send(DataType::BytesMessage.code(), m),
            DataStructure::MapMessage(m) => self.send(DataType::MapMessage.code(), m),
            DataStructure::ObjectMessage(m) => self.send(DataType::ObjectMessage.code(), m),
            DataStructure::StreamMessage(m) => self.send(DataType::StreamMessage.code(), m),
            DataStructure::TextMessage(m) => self.send(DataType::TextMessage.code(), m),
            DataStructure::MessageAck(a) => self.ack(&a),
            DataStructure::MessagePull(p) => self.pull(&p),
            DataStructure::TransactionInfo(t) => self.transaction(&t),
            DataStructure::DestinationInfo(d) => self.destination_op(&d),
            DataStructure::RemoveSubscriptionInfo(r) => self.remove_subscription(&r),
            DataStructure::KeepAliveInfo(k) => {
                if k.response_required {
                    self.out.push(DataStructure::KeepAliveInfo(Arc::new(
                        openwire::KeepAliveInfo::default(),
                    )));
                }
                Ok(())
            }
            DataStructure::ShutdownInfo(_) => {
                self.closing = true;
                Ok(())
            }
            DataStructure::ProducerAck(_)
            | DataStructure::ConnectionControl(_)
            | DataStructure::ConsumerControl(_)
            | DataStructure::FlushCommand(_) => Ok(()),
            DataStructure::WireFormatInfo(_) => Ok(()),
            DataStructure::BrokerInfo(info) => self.peer_broker(&info),
            DataStructure::MessageDispatch(md) => {
                // Advisories for a duplex half's consumer, from a peer
                // that serves it as a broker serves a client.
                if let Some(m) = md.message.as_ref().and_then(network::wire::as_message) {
                    self.duplex_dispatch(m, md.destination.clone());
                }
                Ok(())
            }
            DataStructure::Response(_) | DataStructure::ExceptionResponse(_) => {
                // Only a duplex bridge's half asks the peer anything.
                if let Some((correlation, outcome)) = duplex::answer_of(&cmd) {
                    self.duplex_answer(correlation, outcome);
                }
                Ok(())
            }
            other => Err(Failure::new(
                "java.io.IOException",
                format!("Unsupported command: {}", other.name()),
            )),
        }
    }

    /// Another broker's network bridge announces itself (ActiveMQ's
    /// TransportConnection.processBrokerInfo): once per connection. Its
    /// consumers and messages then come as a client's would; the broker
    /// path on each keeps them from looping.
    fn peer_broker(&mut self, info: &openwire::BrokerInfo) -> Result<(), Failure> {
        if self.peer.is_some() {
            return Err(Failure::new(
                "java.io.IOException",
                "Unexpected extra broker info command received",
            ));
        }
        let text = |s: &Option<OwString>| {
            s.as_ref()
                .map(OwString::to_string_lossy)
                .unwrap_or_default()
        };
        let peer = duplex::PeerBroker {
            name: text(&info.broker_name),
            id: info.broker_id.as_ref().map(id_string).unwrap_or_default(),
            duplex: info.network_connection && info.duplex_connection,
            network_properties: text(&info.network_properties),
            address: text(&info.broker_url),
        };
        if info.network_connection {
            tracing::info!(peer = %peer.name, peer_id = %peer.id, duplex = peer.duplex,
                "network bridge from a peer broker");
        }
        self.peer = Some(peer);
        // A bridge usually introduces itself before its ConnectionInfo.
        self.start_duplex()
    }

    fn add_consumer(&mut self, c: &openwire::ConsumerInfo) -> Result<(), Failure> {
        let conn = self.conn()?;
        let wire_id = c.consumer_id.clone().ok_or_else(|| {
            Failure::new("javax.jms.JMSException", "ConsumerInfo without consumer id")
        })?;
        let k = key(&wire_id)
            .ok_or_else(|| Failure::new("javax.jms.JMSException", "bad consumer id"))?;
        self.known_session(k.0, "consumer")?;
        let wire_dest = c.destination.clone().ok_or_else(|| {
            Failure::new(
                "javax.jms.InvalidDestinationException",
                "Consumer without a destination",
            )
        })?;
        let dest = destination(&wire_dest).ok_or_else(|| {
            Failure::new(
                "javax.jms.InvalidDestinationException",
                "Consumer without a destination",
            )
        })?;
        if c.browser {
            // A browser sees what the queue holds now, then a null message.
            let selector = c.selector.as_ref().map(OwString::to_string_lossy);
            for m in self.broker.browse_selected(&dest, selector.as_deref())? {
                self.dispatch(&wire_id, &m, 0, 0);
            }
            self.out.push(DataStructure::MessageDispatch(Arc::new(
                openwire::MessageDispatch {
                    consumer_id: Some(wire_id),
                    destination: Some(wire_dest),
                    ..Default::default()
                },
            )));
            return Ok(());
        }
        let mut req = SubscribeRequest::new(dest.clone());
        req.prefetch = c.prefetch_size.max(0) as u32;
        req.selector = c.selector.as_ref().map(OwString::to_string_lossy);
        req.durable_name = c
            .subscription_name
            .as_ref()
            .map(OwString::to_string_lossy)
            .filter(|_| !dest.is_queue());
        req.no_local = c.no_local;
        req.exclusive = c.exclusive;
        req.priority = c.priority;
        req.retroactive = c.retroactive;
        req.label = Some(id_string(&wire_id));
        req.network = broker::Network {
            subscription: c.network_subscription,
            broker_path: path_of(&c.broker_path),
            consumer_path: path_of(&c.network_consumer_path),
        };
        req.description = Some(broker::Native(Arc::new(DataStructure::ConsumerInfo(
            Arc::new(c.clone()),
        ))));
        let id = self.broker.subscribe(conn, req)?;
        self.by_core.insert(id, k);
        self.consumers.insert(k, Consumer { id, wire_id });
        Ok(())
    }

    /// `last_delivered`: RemoveInfo's lastDeliveredSequenceId, the last
    /// delivery (`broker_sequence_id`) the client's application received
    /// on what is removed; -1 none, -2 not known (all count as received).
    fn remove(
        &mut self,
        object: Option<&DataStructure>,
        last_delivered: i64,
    ) -> Result<(), Failure> {
        let delivered_up_to = match last_delivered {
            -2 => None,
            n => Some(u64::try_from(n).unwrap_or(0)),
        };
        match object {
            Some(DataStructure::ConsumerId(c)) => {
                if let Some(consumer) = self.consumers.remove(&(c.session_id, c.value)) {
                    self.drop_consumer(consumer, delivered_up_to);
                }
            }
            Some(DataStructure::SessionId(s)) => {
                self.sessions.remove(&s.value);
                let gone: Vec<(i64, i64)> = self
                    .consumers
                    .keys()
                    .filter(|k| k.0 == s.value)
                    .copied()
                    .collect();
                for k in gone {
                    if let Some(consumer) = self.consumers.remove(&k) {
                        self.drop_consumer(consumer, delivered_up_to);
                    }
                }
            }
            Some(DataStructure::ProducerId(p)) => {
                let k = (p.session_id, p.value);
                self.windows.remove(&k);
                if let Some(id) = self.producers.remove(&k) {
                    self.broker.remove_producer(id);
                }
            }
            Some(DataStructure::ConnectionId(_)) => self.close_delivered(delivered_up_to),
            _ => {}
        }
        Ok(())
    }

    /// A prefetch-0 consumer asks for one message. The client waits for the
    /// broker to say "nothing" (a dispatch without a message) when the
    /// pull's timeout passes: at once for -1 (receiveNoWait), never for 0.
    fn pull(&mut self, p: &openwire::MessagePull) -> Result<(), Failure> {
        let k = p.consumer_id.as_ref().and_then(key).ok_or_else(|| {
            Failure::new("javax.jms.JMSException", "MessagePull without consumer")
        })?;
        let c = self
            .consumers
            .get(&k)
            .ok_or_else(|| Failure::new("javax.jms.JMSException", "Unknown consumer"))?;
        let dispatched = self.broker.pull(c.id, 1)?;
        if !dispatched && p.timeout != 0 {
            let wait = std::time::Duration::from_millis(p.timeout.max(0) as u64);
            self.pulls.push((k, std::time::Instant::now() + wait));
        }
        Ok(())
    }

    /// When the next pull times out, if one is waiting.
    pub fn next_pull_deadline(&self) -> Option<std::time::Instant> {
        self.pulls.iter().map(|(_, d)| *d).min()
    }

    /// Answers pulls whose time is up with an empty dispatch.
    pub fn expire_pulls(&mut self, now: std::time::Instant) {
        let (due, keep): (Vec<_>, Vec<_>) = self.pulls.drain(..).partition(|(_, d)| *d <= now);
        self.pulls = keep;
        for (k, _) in due {
            let Some(c) = self.consumers.get(&k) else {
                continue;
            };
            if self.broker.cancel_pull(c.id) {
                self.out.push(DataStructure::MessageDispatch(Arc::new(
                    openwire::MessageDispatch {
                        consumer_id: Some(c.wire_id.clone()),
                        ..Default::default()
                    },
                )));
            }
        }
    }

    /// ActiveMQ refuses consumers and producers of sessions never announced
    /// (session -1 is the connection's own, used for advisories).
    fn known_session(&self, session: i64, what: &str) -> Result<(), Failure> {
        if session == -1 || self.sessions.contains(&session) {
            return Ok(());
        }
        Err(Failure::new(
            "java.lang.IllegalStateException",
            format!("Cannot add a {what} to a session that had not been registered: {session}"),
        ))
    }

    fn drop_consumer(&mut self, consumer: Consumer, delivered_up_to: Option<u64>) {
        self.by_core.remove(&consumer.id);
        self.broker
            .unsubscribe_delivered(consumer.id, delivered_up_to);
    }

    fn tx(&self, t: Option<&DataStructure>) -> Option<TxId> {
        t.map(|t| TxId(Arc::from(id_string(t))))
    }

    fn send(&mut self, kind: u8, m: Arc<openwire::Message>) -> Result<(), Failure> {
        let conn = self.conn()?;
        if self.duplex_advisory(&m) {
            return Ok(());
        }
        let message = to_core(kind, &m).map_err(|e| Failure::new("javax.jms.JMSException", e))?;
        let tx = self.tx(m.transaction_id.as_ref());
        let dest = message.destination.clone();
        if self.broker.send(conn, message, tx.as_ref())?.congested {
            self.throttle = Some(dest);
        }
        if !m.response_required {
            if let Some(pid) = m
                .producer_id
                .as_ref()
                .and_then(|p| key(p).and_then(|k| self.windows.get(&k)))
            {
                self.out.push(DataStructure::ProducerAck(Arc::new(
                    openwire::ProducerAck {
                        producer_id: Some(pid.clone()),
                        // The client counts each message at ActiveMQ's estimate
                        // (Message.getSize: 1 KiB minimum plus properties and
                        // content); the ack must give back exactly that.
                        size: 1024
                            + m.marshalled_properties
                                .as_ref()
                                .map_or(0, |p| p.len() as i32)
                            + m.content.as_ref().map_or(0, |c| c.len() as i32),
                        ..Default::default()
                    },
                )));
            }
        }
        Ok(())
    }

    /// Handles an event from the broker.
    pub fn on_event(&mut self, event: Event) {
        let Err(event) = self.duplex_event(event) else {
            return;
        };
        match event {
            Event::Deliver(d) => {
                let Some(k) = self.by_core.get(&d.consumer) else {
                    return;
                };
                let Some(c) = self.consumers.get(k) else {
                    return;
                };
                let wire_id = c.wire_id.clone();
                let k = *k;
                self.pulls.retain(|(p, _)| *p != k);
                self.dispatch(&wire_id, &d.message, d.redelivery_count, d.seq);
            }
            Event::ConsumerClosed { consumer, .. } => {
                if let Some(k) = self.by_core.remove(&consumer) {
                    if let Some(c) = self.consumers.remove(&k) {
                        self.out
                            .push(DataStructure::RemoveInfo(Arc::new(openwire::RemoveInfo {
                                object_id: Some(c.wire_id),
                                ..Default::default()
                            })));
                    }
                }
            }
        }
    }

    /// `seq`: the core delivery's sequence (0 for a browse).
    fn dispatch(
        &mut self,
        wire_id: &DataStructure,
        message: &broker::Message,
        redelivery_count: u32,
        seq: u64,
    ) {
        self.out.push(DataStructure::MessageDispatch(Arc::new(
            openwire::MessageDispatch {
                consumer_id: Some(wire_id.clone()),
                destination: Some(openwire_adapter::wire_destination(&message.destination)),
                message: Some(to_wire(message, redelivery_count, seq)),
                redelivery_counter: redelivery_count as i32,
                ..Default::default()
            },
        )));
    }

    /// Releases everything this connection held in the broker.
    pub fn close(&mut self) {
        self.close_delivered(None);
    }

    /// As [`close`](Self::close), the client having said which deliveries
    /// reached its application (see `remove`).
    fn close_delivered(&mut self, delivered_up_to: Option<u64>) {
        if let (Some(_), Some(peer)) = (self.duplex.take(), &self.peer) {
            self.broker
                .network_bridge(&duplex::bridge_event(peer, false));
        }
        if let Some(conn) = self.conn.take() {
            self.broker.disconnect_delivered(conn, delivered_up_to);
        }
        self.consumers.clear();
        self.by_core.clear();
    }
}

#[path = "session_acks.rs"]
mod acks;
#[path = "session_clients.rs"]
mod clients;
#[path = "session_duplex.rs"]
mod duplex;

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
