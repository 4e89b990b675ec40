//! The accepting end of a duplex network bridge.
//!
//! A peer broker whose `networkConnector` is `duplex="true"` asks, in its
//! BrokerInfo, for messages to flow both ways over the one connection it
//! opened. Its own half arrives as a client's commands and is served by
//! the rest of the session (its advisory consumer, its forwarded
//! messages). This broker's half — demand watching and forwarding, the
//! same [`network::half::BridgeHalf`] an outgoing bridge runs — starts
//! once the peer's ConnectionInfo is in, as ActiveMQ starts it, and talks
//! over this connection: its commands go out with the session's, the
//! peer's answers to its forwarded messages and the advisories the peer
//! forwards come back here.

use std::collections::HashMap;
use std::sync::Arc;

use network::half::{BridgeHalf, Out};
use network::status::BridgeStatus;
use network::wire::BridgeIds;
use openwire::{CommandHeader, DataStructure};

use super::{Failure, Session};

/// This broker's half of a duplex bridge the peer opened.
pub(super) struct Duplex {
    half: BridgeHalf,
    /// The half's requests by the command id they went out with.
    tickets: HashMap<i32, u64>,
    /// Command ids for what the half sends (the session's own replies
    /// carry none; the peer correlates answers by these).
    last_command_id: i32,
}

/// What the peer said about itself, kept until its ConnectionInfo.
pub(super) struct PeerBroker {
    pub name: String,
    pub id: String,
    pub duplex: bool,
    pub network_properties: String,
    /// Where the peer connected from (`tcp://host:port`), if known.
    pub address: String,
}

impl Session {
    /// Starts this broker's half once the peer's connection exists.
    pub(super) fn start_duplex(&mut self) -> Result<(), Failure> {
        let (Some(peer), Some(conn)) = (&self.peer, self.conn) else {
            return Ok(());
        };
        if !peer.duplex || self.duplex.is_some() {
            return Ok(());
        }
        let settings = network::setup::accepted_duplex(
            &peer.network_properties,
            &self.broker.broker_id(),
            &self.broker.name(),
        );
        let status = Arc::new(BridgeStatus::new(format!("duplex from {}", peer.name)));
        let ids = BridgeIds {
            connection: format!(
                "{}-duplex-{}",
                self.broker.broker_id(),
                status.next_session()
            ),
        };
        let mut half = BridgeHalf::new(
            Arc::clone(&self.broker),
            conn,
            Arc::new(settings),
            status,
            ids,
        );
        half.start(Arc::from(peer.id.as_str()), &peer.name)
            .map_err(|e| Failure::new("java.io.IOException", e.to_string()))?;
        tracing::info!(peer = %peer.name, "started the responder end of a duplex bridge");
        self.broker.network_bridge(&bridge_event(peer, true));
        self.duplex = Some(Duplex {
            half,
            tickets: HashMap::new(),
            last_command_id: 0,
        });
        self.flush_duplex();
        Ok(())
    }

    /// Whether the duplex half takes this message: the advisories the
    /// peer forwards as plain messages (ActiveMQ's
    /// isAdvisoryInterpretedByNetworkBridge).
    pub(super) fn duplex_advisory(&mut self, m: &openwire::Message) -> bool {
        let Some(d) = self.duplex.as_mut() else {
            return false;
        };
        if !network::wire::is_interpreted_advisory(m) {
            return false;
        }
        if let Err(e) = d.half.on_advisory_message(m, m.destination.clone()) {
            tracing::warn!(error = %e, "duplex bridge: advisory not taken");
        }
        self.flush_duplex();
        true
    }

    /// An advisory dispatched to the half's advisory consumer.
    pub(super) fn duplex_dispatch(&mut self, m: &openwire::Message, dest: Option<DataStructure>) {
        let Some(d) = self.duplex.as_mut() else {
            return;
        };
        if let Err(e) = d.half.on_advisory_message(m, dest) {
            tracing::warn!(error = %e, "duplex bridge: advisory not taken");
        }
        self.flush_duplex();
    }

    /// The peer's answer to something the half sent; false when it answers
    /// nothing the half asked.
    pub(super) fn duplex_answer(&mut self, correlation: i32, outcome: Result<(), String>) -> bool {
        let Some(d) = self.duplex.as_mut() else {
            return false;
        };
        let Some(ticket) = d.tickets.remove(&correlation) else {
            return false;
        };
        if let Err(e) = d.half.on_answer(ticket, outcome) {
            // As ActiveMQ disposes a bridge whose forward failed: the
            // connection ends, what was not confirmed goes back to its queue.
            tracing::warn!(error = %e, "duplex bridge failed; closing the connection");
            self.closing = true;
        }
        self.flush_duplex();
        true
    }

    /// Hands an event for one of the half's consumers to it; false when
    /// the consumer is not the half's.
    pub(super) fn duplex_event(&mut self, event: broker::Event) -> Result<(), broker::Event> {
        let consumer = match &event {
            broker::Event::Deliver(d) => d.consumer,
            broker::Event::ConsumerClosed { consumer, .. } => *consumer,
        };
        match self.duplex.as_mut() {
            Some(d) if d.half.owns(consumer) => {
                d.half.on_local(event);
                self.flush_duplex();
                Ok(())
            }
            _ => Err(event),
        }
    }

    /// Moves the half's commands to the session's output.
    fn flush_duplex(&mut self) {
        let Some(d) = self.duplex.as_mut() else {
            return;
        };
        for out in d.half.take_out() {
            let (mut cmd, ticket) = match out {
                Out::Send(cmd) => (cmd, None),
                Out::Request(cmd, ticket) => (cmd, Some(ticket)),
            };
            d.last_command_id = d.last_command_id.wrapping_add(1).max(1);
            cmd.set_command_header(CommandHeader {
                command_id: d.last_command_id,
                response_required: ticket.is_some(),
            });
            if let Some(t) = ticket {
                d.tickets.insert(d.last_command_id, t);
            }
            self.out.push(cmd);
        }
    }
}

/// The outcome an answer from the peer carries.
pub(super) fn answer_of(cmd: &DataStructure) -> Option<(i32, Result<(), String>)> {
    match cmd {
        DataStructure::Response(r) => Some((r.correlation_id, Ok(()))),
        DataStructure::ExceptionResponse(r) => {
            let e = openwire::client::RemoteError::from_throwable(r.exception.as_deref());
            Some((r.correlation_id, Err(e.to_string())))
        }
        _ => None,
    }
}

/// The NetworkBridge advisory for the accepting end of a duplex bridge.
pub(super) fn bridge_event(peer: &PeerBroker, started: bool) -> broker::NetworkBridgeEvent {
    broker::NetworkBridgeEvent {
        started,
        peer_name: Arc::from(peer.name.as_str()),
        peer_id: Arc::from(peer.id.as_str()),
        remote_address: Arc::from(peer.address.as_str()),
        created_by_duplex: true,
    }
}
