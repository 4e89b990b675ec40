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

use broker::{Broker, ConnectInfo, ConsumerId, Event, StoreError, SubscribeRequest};
use bytes::{Buf, Bytes};
use openwire::client::{Event as WireEvent, RequestId};
use openwire::negotiate::WireFormatOptions;
use openwire::{Client, DataStructure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::half::{BridgeHalf, Out};
pub use crate::settings::SessionSettings;
use crate::status::BridgeStatus;
use crate::wire::{self, BridgeIds, LocalBroker};
use crate::BridgeError;

/// How long the peer has to say who it is when no inactivity limit is
/// set (otherwise that limit).
const HANDSHAKE: Duration = Duration::from_secs(30);

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
    broker: &Arc<Broker>,
    stream: TcpStream,
    settings: &Arc<SessionSettings>,
    status: &Arc<BridgeStatus>,
    inactivity: Option<Duration>,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Ended, BridgeError> {
    let _ = stream.set_nodelay(true);
    let (events_tx, events) = mpsc::unbounded_channel();
    let durable_events = events_tx.clone();
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
    let ids = BridgeIds {
        connection: format!("{}-bridge-{}", settings.local_id, status.next_session()),
    };
    let (synced_tx, synced) = mpsc::unbounded_channel();
    let mut session = Session {
        broker,
        settings,
        status,
        client: Client::new(wire_options(inactivity))?,
        half: BridgeHalf::new(
            Arc::clone(broker),
            conn,
            Arc::clone(settings),
            Arc::clone(status),
            ids,
        )
        .with_durable_demand(durable_events),
        conn,
        tickets: HashMap::new(),
        serving: HashMap::new(),
        synced_tx,
        inactivity,
        peer: None,
        remote_address: Arc::from(""),
    };
    let remote = stream
        .peer_addr()
        .map(|a| format!("tcp://{a}"))
        .unwrap_or_default();
    session.remote_address = Arc::from(remote.as_str());
    let result = session.drive(stream, events, synced, shutdown).await;
    if let Some((name, id)) = session.peer.take() {
        broker.network_bridge(&broker::NetworkBridgeEvent {
            started: false,
            peer_name: name,
            peer_id: id,
            remote_address: Arc::clone(&session.remote_address),
            created_by_duplex: false,
        });
    }
    // What was forwarded without an answer goes back to its queue, marked
    // redelivered: the peer may or may not have it.
    broker.disconnect(conn);
    status.disconnected(result.as_ref().err().map(ToString::to_string));
    result
}

/// What the bridge offers: `inactivity` is how long each side may stay
/// silent (0: no limit), as ActiveMQ's maxInactivityDuration.
fn wire_options(inactivity: Option<Duration>) -> WireFormatOptions {
    let ms = inactivity.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(30_000));
    WireFormatOptions::client(ms, 10_000)
}

struct Session<'a> {
    broker: &'a Arc<Broker>,
    settings: &'a SessionSettings,
    status: &'a BridgeStatus,
    client: Client,
    /// This broker's messages to the peer.
    half: BridgeHalf,
    /// The bridge's connection to the local core.
    conn: broker::ConnectionId,
    /// The half's requests on the wire, by command id.
    tickets: HashMap<RequestId, u64>,
    /// Duplex: the peer's half of the bridge runs over this connection and
    /// is served here as a broker serves a client: its advisory consumer
    /// (local consumer -> the peer's consumer id) and the messages it
    /// forwards.
    serving: HashMap<ConsumerId, DataStructure>,
    /// Answers to the peer's sends, released once the store synced them.
    synced_tx: mpsc::UnboundedSender<(DataStructure, Result<(), StoreError>)>,
    /// Silence that ends the session (None: never); keep-alives go out
    /// at a third of it.
    inactivity: Option<Duration>,
    /// The peer's name and id once it said them (for the NetworkBridge
    /// advisories).
    peer: Option<(Arc<str>, Arc<str>)>,
    remote_address: Arc<str>,
}

impl Session<'_> {
    async fn drive(
        &mut self,
        stream: TcpStream,
        mut events: broker::EventReceiver,
        mut synced: mpsc::UnboundedReceiver<(DataStructure, Result<(), StoreError>)>,
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
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            self.flush_half()?;
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
                Some((reply, result)) = synced.recv() => match result {
                    Ok(()) => {
                        self.client.send(reply)?;
                    }
                    Err(e) => return Err(BridgeError::Local(format!("store: {e}"))),
                },
                _ = tick.tick() => {
                    let now = Instant::now();
                    let handshake = self.inactivity.unwrap_or(HANDSHAKE);
                    if !self.half.started() && now - started > handshake {
                        return Err(BridgeError::Handshake("the peer sent no BrokerInfo".into()));
                    }
                    if let Some(limit) = self.inactivity {
                        if now - last_heard > limit {
                            return Err(BridgeError::Stalled("nothing received"));
                        }
                        if !unwritten.is_empty() && now - last_written > limit {
                            return Err(BridgeError::Stalled("the peer stopped reading"));
                        }
                        if now - last_written > limit / 3 && unwritten.is_empty() {
                            self.client.send(DataStructure::KeepAliveInfo(Arc::default()))?;
                            last_written = now;
                        }
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

    /// Puts what the half has for the peer on the wire.
    fn flush_half(&mut self) -> Result<(), BridgeError> {
        for out in self.half.take_out() {
            match out {
                Out::Send(cmd) => {
                    self.client.send(cmd)?;
                }
                Out::Request(cmd, ticket) => {
                    let id = self.client.request(cmd)?;
                    self.tickets.insert(id, ticket);
                }
            }
        }
        Ok(())
    }

    /// Handles every command now buffered.
    fn on_input(&mut self) -> Result<Option<Ended>, BridgeError> {
        while let Some(event) = self.client.poll_event()? {
            match event {
                WireEvent::Negotiated(_) => {}
                WireEvent::Completed(c) => {
                    if let Some(ticket) = self.tickets.remove(&c.request) {
                        let outcome = c.outcome.map(|_| ()).map_err(|e| e.to_string());
                        self.half.on_answer(ticket, outcome)?;
                    } else if let Err(e) = c.outcome {
                        return Err(BridgeError::Refused(e.to_string()));
                    }
                }
                WireEvent::Command(cmd) => {
                    if let Some(ended) = self.on_command(cmd)? {
                        return Ok(Some(ended));
                    }
                }
            }
            self.flush_half()?;
        }
        Ok(None)
    }

    fn on_command(&mut self, cmd: DataStructure) -> Result<Option<Ended>, BridgeError> {
        let header = cmd.command_header().unwrap_or_default();
        match cmd {
            DataStructure::BrokerInfo(info) if !self.half.started() => {
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
                tracing::info!(peer = %name, peer_id = %id, duplex = self.settings.duplex, "network bridge connected");
                self.half.start(Arc::from(id.as_str()), &name)?;
                let (name, id) = (
                    Arc::<str>::from(name.as_str()),
                    Arc::<str>::from(id.as_str()),
                );
                self.broker.network_bridge(&broker::NetworkBridgeEvent {
                    started: true,
                    peer_name: Arc::clone(&name),
                    peer_id: Arc::clone(&id),
                    remote_address: Arc::clone(&self.remote_address),
                    created_by_duplex: false,
                });
                self.peer = Some((name, id));
            }
            DataStructure::MessageDispatch(md) => {
                if let Some(m) = md.message.as_ref().and_then(wire::as_message) {
                    self.half.on_advisory_message(m, md.destination.clone())?;
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
            other if self.settings.duplex => self.serve_peer(other, header)?,
            other => tracing::trace!(command = other.name(), "bridge ignores"),
        }
        Ok(None)
    }

    /// Duplex: a command of the peer's half of the bridge, answered as a
    /// broker answers a client (ActiveMQ's acceptor runs its half over the
    /// connection this side opened).
    fn serve_peer(
        &mut self,
        cmd: DataStructure,
        header: openwire::schema::CommandHeader,
    ) -> Result<(), BridgeError> {
        let respond = |client: &mut Client| -> Result<(), BridgeError> {
            if header.response_required {
                client.send(wire::response(header.command_id))?;
            }
            Ok(())
        };
        match &cmd {
            DataStructure::ConsumerInfo(c) => {
                // The peer's advisory consumer: what it watches here.
                let dest = c
                    .destination
                    .as_ref()
                    .and_then(openwire_adapter::destination);
                let (Some(dest), Some(peer_id)) = (dest, c.consumer_id.clone()) else {
                    return respond(&mut self.client);
                };
                let mut req = SubscribeRequest::new(dest);
                req.prefetch = u32::try_from(c.prefetch_size).unwrap_or(1000).max(1);
                match self.broker.subscribe(self.conn, req) {
                    Ok(local) => {
                        self.serving.insert(local, peer_id);
                        respond(&mut self.client)?;
                    }
                    Err(e) => {
                        self.client
                            .send(wire::exception_response(header.command_id, &e.to_string()))?;
                    }
                }
            }
            DataStructure::RemoveInfo(r) => {
                if let Some(id @ DataStructure::ConsumerId(_)) = &r.object_id {
                    let gone: Vec<ConsumerId> = self
                        .serving
                        .iter()
                        .filter(|(_, p)| *p == id)
                        .map(|(l, _)| *l)
                        .collect();
                    for local in gone {
                        self.serving.remove(&local);
                        self.broker.unsubscribe(local);
                    }
                }
                respond(&mut self.client)?;
            }
            _ => {
                if let Some(m) = wire::as_message(&cmd) {
                    if wire::is_interpreted_advisory(m) {
                        // The connecting end of a duplex bridge sends the
                        // advisories it forwards as plain messages.
                        self.half.on_advisory_message(m, m.destination.clone())?;
                        return respond(&mut self.client);
                    }
                    return self.receive(&cmd, header);
                }
                // ConnectionInfo, SessionInfo, ProducerInfo, MessageAck of
                // the advisories (acked here when sent), KeepAliveInfo...
                respond(&mut self.client)?;
            }
        }
        Ok(())
    }

    /// Duplex: a message the peer's half forwards to this broker. Its
    /// answer waits until the store has it.
    fn receive(
        &mut self,
        cmd: &DataStructure,
        header: openwire::schema::CommandHeader,
    ) -> Result<(), BridgeError> {
        let Some(m) = wire::as_message(cmd) else {
            return Ok(());
        };
        let message = match openwire_adapter::to_core(cmd.data_type(), m) {
            Ok(message) => message,
            Err(e) => {
                if header.response_required {
                    self.client
                        .send(wire::exception_response(header.command_id, &e.to_string()))?;
                }
                return Ok(());
            }
        };
        match self.broker.send(self.conn, message, None) {
            Ok(_) if header.response_required => {
                let reply = wire::response(header.command_id);
                match self.broker.sync_point(self.conn) {
                    Some(point) => {
                        let tx = self.synced_tx.clone();
                        tokio::spawn(async move {
                            let _ = tx.send((reply, point.wait().await));
                        });
                    }
                    None => {
                        self.client.send(reply)?;
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                if header.response_required {
                    self.client
                        .send(wire::exception_response(header.command_id, &e.to_string()))?;
                }
            }
        }
        Ok(())
    }

    fn on_local(&mut self, event: Event) -> Result<(), BridgeError> {
        let consumer = match &event {
            Event::Deliver(d) => d.consumer,
            Event::ConsumerClosed { consumer, .. } => *consumer,
        };
        if let Some(peer_id) = self.serving.get(&consumer).cloned() {
            if let Event::Deliver(d) = event {
                // An advisory for the peer's half, acked here at once: it
                // describes demand, which the next advisory supersedes.
                self.client
                    .send(wire::dispatch(peer_id, &d.message, d.redelivery_count))?;
                let _ = self.broker.ack(
                    consumer,
                    broker::Ack::Individual(d.message.id.clone()),
                    None,
                );
            } else {
                self.serving.remove(&consumer);
            }
            return Ok(());
        }
        self.half.on_local(event);
        Ok(())
    }
}
