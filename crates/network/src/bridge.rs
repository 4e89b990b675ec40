//! One bridge connection to a peer broker, from connect to close.
//!
//! The session opens an OpenWire connection to the peer as ActiveMQ's
//! DemandForwardingBridge does (BrokerInfo with `networkConnection`, a
//! connection, a session, a producer, and a consumer of the peer's
//! consumer advisories) and a connection to this broker's core. Then:
//!
//! - each consumer the peer announces becomes demand ([`Demand`]): a
//!   local consumer that stands for it, with the forward rule that keeps
//!   messages from looping;
//! - each message a local bridge consumer receives goes to the peer with
//!   this broker appended to its broker path. A persistent one (or any,
//!   with `alwaysSyncSend`) is acknowledged here only once the peer
//!   answered it: until then it is the local consumer's un-acked delivery,
//!   and goes back to its queue if the session ends first.
//!
//! Everything happens in one task: socket reads and writes, core events,
//! keep-alives. A peer that stops reading or stops talking is dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use broker::{Ack, Broker, ConnectInfo, ConsumerId, Event, MessageId};
use bytes::{Buf, Bytes};
use openwire::client::{Event as WireEvent, RequestId};
use openwire::negotiate::WireFormatOptions;
use openwire::primitive::PrimitiveMap;
use openwire::{Client, DataStructure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::demand::{Change, Demand, DemandRules};
use crate::status::BridgeStatus;
use crate::wire::{self, Advisory, BridgeIds, LocalBroker};
use crate::BridgeError;

/// How often the bridge tells the peer it is alive.
const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// Silence from the peer (or a write that makes no progress) this long
/// ends the session. ActiveMQ's default maxInactivityDuration.
const INACTIVITY: Duration = Duration::from_secs(30);
/// How long the peer has to say who it is.
const HANDSHAKE: Duration = Duration::from_secs(30);

/// What one session needs to know, fixed for the connector's life.
#[derive(Clone, Debug)]
pub struct SessionSettings {
    pub local_id: Arc<str>,
    pub local_name: String,
    /// ActiveMQ's client id for the bridge connection:
    /// `<connector name>_<broker name>_outbound`.
    pub client_id: String,
    pub duplex: bool,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The composite advisory topic the bridge watches.
    pub advisory_topics: String,
    pub advisory_prefetch: u32,
    pub always_sync_send: bool,
    pub network_properties: String,
    /// Rules for demand; `local_broker` is `local_id`.
    pub rules: DemandRules,
}

/// How a session ended without error.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// This broker is stopping.
    Shutdown,
    /// The peer is this broker itself: never retried.
    Loopback,
}

/// Runs one session over `stream` until it fails, the peer leaves or
/// `shutdown` turns true.
///
/// # Errors
/// What ended it: the peer closed or stalled, sent garbage, refused a
/// command, or the local broker refused the bridge.
pub async fn run(
    broker: &Broker,
    stream: TcpStream,
    settings: &SessionSettings,
    status: &BridgeStatus,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Ended, BridgeError> {
    let _ = stream.set_nodelay(true);
    let (events_tx, events) = mpsc::unbounded_channel();
    let conn = broker
        .connect(
            ConnectInfo {
                client_id: None,
                login: None,
                label: None,
                native: None,
            },
            events_tx,
        )
        .map_err(|e| BridgeError::Local(e.to_string()))?;
    let mut session = Session {
        broker,
        settings,
        status,
        client: Client::new(wire_options())?,
        ids: BridgeIds {
            connection: format!("{}-bridge-{}", settings.local_id, status.next_session()),
        },
        conn,
        demand: None,
        local: HashMap::new(),
        by_consumer: HashMap::new(),
        pending: HashMap::new(),
        closing: Vec::new(),
        advisories_unacked: 0,
    };
    let result = session.drive(stream, events, shutdown).await;
    // What was forwarded without an answer goes back to its queue, marked
    // redelivered: the peer may or may not have it.
    broker.disconnect(conn);
    status.disconnected(result.as_ref().err().map(ToString::to_string));
    result
}

fn wire_options() -> WireFormatOptions {
    WireFormatOptions {
        version: 12,
        stack_trace: false,
        cache: true,
        tcp_no_delay: true,
        tight: true,
        size_prefix_disabled: false,
        max_frame_size: 100 * 1024 * 1024,
        cache_size: 1024,
        max_inactivity: i64::try_from(INACTIVITY.as_millis()).unwrap_or(30_000),
        max_inactivity_initial_delay: 10_000,
        properties: PrimitiveMap::default(),
    }
}

struct Session<'a> {
    broker: &'a Broker,
    settings: &'a SessionSettings,
    status: &'a BridgeStatus,
    client: Client,
    ids: BridgeIds,
    /// The bridge's connection to the local core.
    conn: broker::ConnectionId,
    /// Set once the peer said who it is.
    demand: Option<Demand>,
    /// Local consumers by demand key, and back.
    local: HashMap<u64, ConsumerId>,
    by_consumer: HashMap<ConsumerId, u64>,
    /// Forwarded messages awaiting the peer's answer.
    pending: HashMap<RequestId, (ConsumerId, MessageId)>,
    /// Local consumers whose demand went while forwarded messages still
    /// await the peer's answer: closed once answered (closing earlier would
    /// hand those messages back here while the peer has them too). What
    /// they receive meanwhile is not forwarded and goes back on close.
    closing: Vec<ConsumerId>,
    advisories_unacked: u32,
}

impl Session<'_> {
    async fn drive(
        &mut self,
        stream: TcpStream,
        mut events: broker::EventReceiver,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Ended, BridgeError> {
        let (mut reader, mut writer) = stream.into_split();
        self.client.send(wire::broker_info(&LocalBroker {
            id: &self.settings.local_id,
            name: &self.settings.local_name,
            duplex: self.settings.duplex,
            network_properties: self.settings.network_properties.clone(),
        }))?;
        let mut unwritten = Bytes::new();
        let mut last_heard = Instant::now();
        let mut last_written = Instant::now();
        let started = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            if unwritten.is_empty() && !self.client.output().is_empty() {
                unwritten = self.client.take_output();
            }
            tokio::select! {
                read = reader.read_buf(self.client.input()) => {
                    match read {
                        Ok(0) => return Err(BridgeError::PeerClosed),
                        Ok(_) => last_heard = Instant::now(),
                        Err(e) => return Err(BridgeError::Io(e)),
                    }
                    if let Some(ended) = self.on_input()? {
                        return Ok(ended);
                    }
                }
                written = writer.write(&unwritten), if !unwritten.is_empty() => {
                    let n = written?;
                    unwritten.advance(n);
                    last_written = Instant::now();
                }
                event = events.recv() => match event {
                    Some(e) => self.on_local(e)?,
                    None => return Err(BridgeError::Local("the broker closed the bridge".into())),
                },
                _ = tick.tick() => {
                    let now = Instant::now();
                    if self.demand.is_none() && now - started > HANDSHAKE {
                        return Err(BridgeError::Handshake("the peer sent no BrokerInfo".into()));
                    }
                    if now - last_heard > INACTIVITY {
                        return Err(BridgeError::Stalled("nothing received"));
                    }
                    if !unwritten.is_empty() && now - last_written > INACTIVITY {
                        return Err(BridgeError::Stalled("the peer stopped reading"));
                    }
                    if now - last_written > KEEP_ALIVE && unwritten.is_empty() {
                        self.client.send(DataStructure::KeepAliveInfo(Arc::default()))?;
                        last_written = now;
                    }
                }
                _ = shutdown.changed() => {
                    if *shutdown.borrow() {
                        // Tell the peer, best effort.
                        let _ = self.client.send(DataStructure::ShutdownInfo(Arc::default()));
                        let bytes = self.client.take_output();
                        let _ = tokio::time::timeout(Duration::from_secs(1), async {
                            writer.write_all(&unwritten).await?;
                            writer.write_all(&bytes).await
                        })
                        .await;
                        return Ok(Ended::Shutdown);
                    }
                }
            }
        }
    }

    /// Handles every command now buffered.
    fn on_input(&mut self) -> Result<Option<Ended>, BridgeError> {
        while let Some(event) = self.client.poll_event()? {
            match event {
                WireEvent::Negotiated(_) => {}
                WireEvent::Completed(c) => self.on_completion(c.request, c.outcome)?,
                WireEvent::Command(cmd) => {
                    if let Some(ended) = self.on_command(cmd)? {
                        return Ok(Some(ended));
                    }
                }
            }
        }
        Ok(None)
    }

    fn on_command(&mut self, cmd: DataStructure) -> Result<Option<Ended>, BridgeError> {
        match cmd {
            DataStructure::BrokerInfo(info) if self.demand.is_none() => {
                let id = info
                    .broker_id
                    .as_ref()
                    .map(openwire_adapter::id_string)
                    .ok_or_else(|| {
                        BridgeError::Handshake("BrokerInfo without a broker id".into())
                    })?;
                if *id == *self.settings.local_id {
                    return Ok(Some(Ended::Loopback));
                }
                let name = info
                    .broker_name
                    .as_ref()
                    .map(openwire::OwString::to_string_lossy)
                    .unwrap_or_default();
                self.status.connected(&name, &id);
                tracing::info!(peer = %name, peer_id = %id, "network bridge connected");
                self.start(Arc::from(id.as_str()))?;
            }
            DataStructure::MessageDispatch(md) => {
                if let Some(m) = md.message.as_ref().and_then(wire::as_message) {
                    self.on_advisory(wire::advisory(m.data_structure.as_ref()))?;
                    self.ack_advisory(md.destination.clone(), m.message_id.clone())?;
                }
            }
            DataStructure::ConnectionError(e) => {
                let e = openwire::client::RemoteError::from_throwable(e.exception.as_deref());
                return Err(BridgeError::Refused(e.to_string()));
            }
            DataStructure::ShutdownInfo(_) => return Err(BridgeError::PeerShutdown),
            DataStructure::ExceptionResponse(r) => {
                // An answer to a command sent without a request: the
                // connection, session or advisory consumer was refused.
                let e = openwire::client::RemoteError::from_throwable(r.exception.as_deref());
                return Err(BridgeError::Refused(e.to_string()));
            }
            other => tracing::trace!(command = other.name(), "bridge ignores"),
        }
        Ok(None)
    }

    /// The peer said who it is: open the bridge's connection there and
    /// start watching its consumers.
    fn start(&mut self, peer: Arc<str>) -> Result<(), BridgeError> {
        let s = self.settings;
        self.client.send(wire::connection_info(
            &self.ids,
            &s.client_id,
            s.user.as_deref(),
            s.password.as_deref(),
        ))?;
        self.client.send(wire::session_info(&self.ids))?;
        self.client.send(wire::producer_info(&self.ids))?;
        self.client.send(wire::advisory_consumer(
            &self.ids,
            &s.advisory_topics,
            i32::try_from(s.advisory_prefetch).unwrap_or(i32::MAX),
        ))?;
        let mut demand = Demand::new(s.rules.clone(), peer);
        let changes = demand.start();
        self.demand = Some(demand);
        for change in changes {
            self.apply(change)?;
        }
        Ok(())
    }

    fn on_advisory(&mut self, advisory: Advisory) -> Result<(), BridgeError> {
        let Some(demand) = self.demand.as_mut() else {
            return Ok(());
        };
        let change = match advisory {
            Advisory::ConsumerAdded(c) => match demand.add(&c) {
                Ok(change) => change,
                Err(why) => {
                    tracing::debug!(consumer = %c.id, destination = %c.destination, ?why, "no demand");
                    None
                }
            },
            Advisory::ConsumerRemoved(id) => demand.remove(&id),
            Advisory::TempDestination(dest, added) => {
                // Made here too, so local producers may reply to it.
                if added {
                    if !self.broker.temporary_exists(&dest) {
                        self.broker
                            .add_temporary(self.conn, dest)
                            .map_err(|e| BridgeError::Local(e.to_string()))?;
                    }
                } else {
                    self.broker.delete_temporary(&dest);
                }
                None
            }
            Advisory::Other => None,
        };
        if let Some(change) = change {
            self.apply(change)?;
        }
        Ok(())
    }

    fn apply(&mut self, change: Change) -> Result<(), BridgeError> {
        match change {
            Change::Subscribe { key, request } => {
                let dest = request.destination.clone();
                let r = &self.settings.rules;
                if crate::demand::duplicate_route(
                    &request,
                    &self.broker.demand(),
                    r.suppress_duplicate_queues,
                    r.suppress_duplicate_topics,
                ) {
                    tracing::debug!(destination = %dest, "bridge demand is a duplicate route; ignored");
                    if let Some(d) = self.demand.as_mut() {
                        d.forget(key);
                    }
                    return Ok(());
                }
                match self.broker.subscribe(self.conn, *request) {
                    Ok(consumer) => {
                        tracing::debug!(destination = %dest, "bridge demand added");
                        self.local.insert(key, consumer);
                        self.by_consumer.insert(consumer, key);
                    }
                    // A temporary destination already gone: nothing to forward.
                    Err(e) => {
                        tracing::info!(destination = %dest, error = %e, "bridge demand refused")
                    }
                }
            }
            Change::Unsubscribe { key } => {
                if let Some(consumer) = self.local.remove(&key) {
                    self.by_consumer.remove(&consumer);
                    if self.pending.values().any(|(c, _)| *c == consumer) {
                        self.closing.push(consumer);
                    } else {
                        self.broker.unsubscribe(consumer);
                    }
                }
            }
        }
        self.status.set_local_consumers(self.local.len());
        Ok(())
    }

    /// Acknowledges advisories in batches, as ActiveMQ's bridge does (at
    /// 75% of the advisory prefetch).
    fn ack_advisory(
        &mut self,
        dest: Option<DataStructure>,
        id: Option<DataStructure>,
    ) -> Result<(), BridgeError> {
        self.advisories_unacked += 1;
        let threshold = (self.settings.advisory_prefetch.saturating_mul(3) / 4).max(1);
        if let Some(id) = id {
            if self.advisories_unacked >= threshold {
                let count = i32::try_from(self.advisories_unacked).unwrap_or(i32::MAX);
                self.client
                    .send(wire::advisory_ack(&self.ids, dest, id, count))?;
                self.advisories_unacked = 0;
            }
        }
        Ok(())
    }

    fn on_local(&mut self, event: Event) -> Result<(), BridgeError> {
        match event {
            Event::Deliver(d) => {
                if self.closing.contains(&d.consumer) {
                    return Ok(());
                }
                let sync = d.message.persistent || self.settings.always_sync_send;
                let cmd = wire::forwarded(
                    &d.message,
                    d.redelivery_count,
                    &self.settings.local_id,
                    &self.ids,
                    sync,
                );
                if sync {
                    let request = self.client.request(cmd)?;
                    self.pending
                        .insert(request, (d.consumer, d.message.id.clone()));
                } else {
                    // Sent without an answer, as ActiveMQ forwards a
                    // message its producer sent asynchronously.
                    self.client.send(cmd)?;
                    self.ack_local(d.consumer, d.message.id.clone());
                }
            }
            Event::ConsumerClosed { consumer, reason } => {
                if let Some(key) = self.by_consumer.remove(&consumer) {
                    self.local.remove(&key);
                    tracing::info!(%reason, "a bridge consumer was closed by the broker");
                }
            }
        }
        Ok(())
    }

    fn on_completion(
        &mut self,
        request: RequestId,
        outcome: Result<DataStructure, openwire::client::RemoteError>,
    ) -> Result<(), BridgeError> {
        let Some((consumer, id)) = self.pending.remove(&request) else {
            return match outcome {
                Ok(_) => Ok(()),
                Err(e) => Err(BridgeError::Refused(e.to_string())),
            };
        };
        match outcome {
            Ok(_) => {
                self.ack_local(consumer, id);
                let still_pending = self.pending.values().any(|(c, _)| *c == consumer);
                if !still_pending && self.closing.contains(&consumer) {
                    self.closing.retain(|c| *c != consumer);
                    self.broker.unsubscribe(consumer);
                }
                Ok(())
            }
            // As ActiveMQ: the bridge fails and is retried; the message
            // stays un-acked here and goes back to its queue.
            Err(e) => Err(BridgeError::Refused(format!("forwarding {id}: {e}"))),
        }
    }

    fn ack_local(&mut self, consumer: ConsumerId, id: MessageId) {
        match self.broker.ack(consumer, Ack::Individual(id), None) {
            Ok(()) => self.status.forwarded(),
            // The local consumer was closed meanwhile (demand gone); the
            // message went back to its queue and the peer has a copy.
            Err(e) => tracing::debug!(error = %e, "bridge ack after close"),
        }
    }
}
