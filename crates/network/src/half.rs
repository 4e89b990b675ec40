//! One direction of a bridge, without I/O: this broker's messages to a
//! peer that has consumers for them.
//!
//! A [`BridgeHalf`] watches the peer's consumer advisories, keeps a local
//! consumer for each destination the peer wants ([`Demand`]) and turns
//! what those consumers receive into messages for the peer, this broker
//! appended to their broker path. A persistent one (or any, with
//! `alwaysSyncSend`) is acknowledged here only once the peer answered it:
//! until then it is the local consumer's un-acked delivery, and goes back
//! to its queue if the bridge ends first.
//!
//! It runs on both ends of a connection: on the connecting side
//! (the `bridge` module, which owns the socket), and, for a duplex bridge a
//! peer opened, inside the accepting server's OpenWire session. The owner
//! feeds it the peer's commands and the local events of its consumers, and
//! writes out what [`BridgeHalf::take_out`] returns.

use std::collections::HashMap;
use std::sync::Arc;

use broker::{Ack, Broker, ConnectionId, ConsumerId, Event, MessageId};
use openwire::DataStructure;

use crate::demand::{Change, Demand};
use crate::settings::SessionSettings;
use crate::status::BridgeStatus;
use crate::wire::{self, Advisory, BridgeIds};
use crate::BridgeError;

/// A command for the peer.
#[derive(Debug)]
pub enum Out {
    /// No answer wanted.
    Send(DataStructure),
    /// The peer must answer; the answer goes to [`BridgeHalf::on_answer`]
    /// with this ticket.
    Request(DataStructure, u64),
}

/// See the module documentation.
pub struct BridgeHalf {
    broker: Arc<Broker>,
    /// The local connection the bridge's consumers belong to.
    conn: ConnectionId,
    settings: Arc<SessionSettings>,
    status: Arc<BridgeStatus>,
    ids: BridgeIds,
    /// Set once the peer said who it is.
    demand: Option<Demand>,
    /// Local consumers by demand key, and back.
    local: HashMap<u64, ConsumerId>,
    by_consumer: HashMap<ConsumerId, u64>,
    /// Forwarded messages awaiting the peer's answer, by ticket.
    pending: HashMap<u64, (ConsumerId, MessageId)>,
    next_ticket: u64,
    /// Local consumers whose demand went while forwarded messages still
    /// await the peer's answer: closed once answered (closing earlier would
    /// hand those messages back here while the peer has them too). What
    /// they receive meanwhile is not forwarded and goes back on close.
    closing: Vec<ConsumerId>,
    advisories_unacked: u32,
    out: Vec<Out>,
    /// Where events of a local connection made here go (the owner's
    /// channel): durable demand needs a connection with a client id,
    /// made once the peer's name is known. None: no durable demand.
    events: Option<broker::EventSender>,
    /// That connection and its client id (ActiveMQ's
    /// `<connector>_<peer>_inbound_<broker>`).
    durable_conn: Option<(ConnectionId, String)>,
    peer_name: String,
}

impl BridgeHalf {
    pub fn new(
        broker: Arc<Broker>,
        conn: ConnectionId,
        settings: Arc<SessionSettings>,
        status: Arc<BridgeStatus>,
        ids: BridgeIds,
    ) -> BridgeHalf {
        BridgeHalf {
            broker,
            conn,
            settings,
            status,
            ids,
            demand: None,
            local: HashMap::new(),
            by_consumer: HashMap::new(),
            pending: HashMap::new(),
            next_ticket: 0,
            closing: Vec::new(),
            advisories_unacked: 0,
            out: Vec::new(),
            events: None,
            durable_conn: None,
            peer_name: String::new(),
        }
    }

    /// Lets this half follow the peer's durable subscribers with durable
    /// subscriptions here, on a connection of its own whose events go to
    /// `events` (the owner's channel for this half's local events).
    pub fn with_durable_demand(mut self, events: broker::EventSender) -> BridgeHalf {
        self.events = Some(events);
        self
    }

    /// Whether the peer is known and demand is being watched.
    pub fn started(&self) -> bool {
        self.demand.is_some()
    }

    /// Commands for the peer, in order.
    pub fn take_out(&mut self) -> Vec<Out> {
        std::mem::take(&mut self.out)
    }

    /// Whether `consumer` is one of this half's local consumers (its
    /// events belong to [`on_local`](Self::on_local)).
    pub fn owns(&self, consumer: ConsumerId) -> bool {
        self.by_consumer.contains_key(&consumer) || self.closing.contains(&consumer)
    }

    /// The peer `peer` said who it is: open the bridge's connection there
    /// and watch its consumers.
    ///
    /// # Errors
    /// A command that does not encode.
    pub fn start(&mut self, peer: Arc<str>, peer_name: &str) -> Result<(), BridgeError> {
        self.peer_name = peer_name.to_string();
        let s = Arc::clone(&self.settings);
        self.out.push(Out::Send(wire::connection_info(
            &self.ids,
            &s.client_id,
            s.user.as_deref(),
            s.password.as_deref(),
        )));
        self.out.push(Out::Send(wire::session_info(&self.ids)));
        self.out.push(Out::Send(wire::producer_info(&self.ids)));
        self.out.push(Out::Send(wire::advisory_consumer(
            &self.ids,
            &s.advisory_topics,
            i32::try_from(s.advisory_prefetch).unwrap_or(i32::MAX),
        )));
        let mut demand = Demand::new(s.rules.clone(), peer);
        let changes = demand.start();
        self.demand = Some(demand);
        for change in changes {
            self.apply(change)?;
        }
        Ok(())
    }

    /// A consumer advisory from the peer: dispatched to the advisory
    /// consumer, or (from the connecting end of a duplex bridge) sent as a
    /// plain message.
    ///
    /// # Errors
    /// The local broker refused a temporary destination.
    pub fn on_advisory_message(
        &mut self,
        m: &openwire::Message,
        dest: Option<DataStructure>,
    ) -> Result<(), BridgeError> {
        let topic = m
            .destination
            .as_ref()
            .and_then(openwire_adapter::destination)
            .or_else(|| dest.as_ref().and_then(openwire_adapter::destination));
        self.on_advisory(wire::advisory(m.data_structure.as_ref()), topic)?;
        self.ack_advisory(dest, m.message_id.clone());
        Ok(())
    }

    /// `topic`: the advisory topic the advisory came on.
    fn on_advisory(
        &mut self,
        advisory: Advisory,
        topic: Option<broker::Destination>,
    ) -> Result<(), BridgeError> {
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
            Advisory::DurableRemoved(client, name) => {
                // ActiveMQ.Advisory.Consumer.Topic.<name>: the topic.
                let subscribed = topic.as_ref().and_then(|t| {
                    t.name
                        .strip_prefix("ActiveMQ.Advisory.Consumer.Topic.")
                        .map(broker::Destination::topic)
                });
                subscribed.and_then(|t| demand.remove_durable(&t, &client, &name))
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
                let conn = if request.durable_name.is_some() {
                    match self.durable_conn()? {
                        Some(c) => c,
                        None => {
                            tracing::debug!(destination = %dest, "durable demand not followed here");
                            return Ok(());
                        }
                    }
                } else {
                    self.conn
                };
                match self.broker.subscribe(conn, *request) {
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
            Change::RemoveDurable { key, name } => {
                self.close_local(key);
                if let Some((conn, client_id)) = self.durable_conn.clone() {
                    if let Err(e) = self.broker.remove_durable(conn, &client_id, &name) {
                        tracing::debug!(error = %e, "removing a durable bridge subscription");
                    }
                }
            }
            Change::Deactivate { key } | Change::Unsubscribe { key } => self.close_local(key),
        }
        self.status.set_local_consumers(self.local.len());
        Ok(())
    }

    /// The connection for durable demand, made on first use.
    fn durable_conn(&mut self) -> Result<Option<ConnectionId>, BridgeError> {
        if let Some((conn, _)) = &self.durable_conn {
            return Ok(Some(*conn));
        }
        let Some(events) = self.events.clone() else {
            return Ok(None);
        };
        let s = &self.settings;
        let client_id = format!(
            "{}_{}_inbound_{}",
            s.connector_name, self.peer_name, s.local_name
        );
        let conn = self
            .broker
            .connect(
                broker::ConnectInfo {
                    client_id: Some(client_id.clone()),
                    login: None,
                    label: None,
                    native: None,
                },
                events,
            )
            .map_err(|e| BridgeError::Local(e.to_string()))?;
        self.durable_conn = Some((conn, client_id));
        Ok(Some(conn))
    }

    /// Closes the local consumer of demand `key` (a durable subscription
    /// stays), once forwards awaiting answers are answered.
    fn close_local(&mut self, key: u64) {
        if let Some(consumer) = self.local.remove(&key) {
            self.by_consumer.remove(&consumer);
            if self.pending.values().any(|(c, _)| *c == consumer) {
                self.closing.push(consumer);
            } else {
                self.broker.unsubscribe(consumer);
            }
        }
    }

    /// Acknowledges advisories in batches, as ActiveMQ's bridge does (at
    /// 75% of the advisory prefetch).
    fn ack_advisory(&mut self, dest: Option<DataStructure>, id: Option<DataStructure>) {
        self.advisories_unacked += 1;
        let threshold = (self.settings.advisory_prefetch.saturating_mul(3) / 4).max(1);
        if let Some(id) = id {
            if self.advisories_unacked >= threshold {
                let count = i32::try_from(self.advisories_unacked).unwrap_or(i32::MAX);
                self.out
                    .push(Out::Send(wire::advisory_ack(&self.ids, dest, id, count)));
                self.advisories_unacked = 0;
            }
        }
    }

    /// A local event for one of this half's consumers.
    pub fn on_local(&mut self, event: Event) {
        match event {
            Event::Deliver(d) => {
                // A delivery still on its way when the consumer was closed
                // (its demand went): the broker took the message back when
                // it closed it, so forwarding it would make a second copy.
                // One closing behind pending answers is not forwarded either.
                if !self.by_consumer.contains_key(&d.consumer) {
                    return;
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
                    self.next_ticket += 1;
                    let ticket = self.next_ticket;
                    self.pending
                        .insert(ticket, (d.consumer, d.message.id.clone()));
                    self.out.push(Out::Request(cmd, ticket));
                } else {
                    // Sent without an answer, as ActiveMQ forwards a
                    // message its producer sent asynchronously.
                    self.out.push(Out::Send(cmd));
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
    }

    /// The peer's answer to the request `ticket`: `Err` with its words.
    ///
    /// # Errors
    /// The peer refused a forwarded message: as ActiveMQ, the bridge fails
    /// and is retried; the message stays un-acked here and goes back to
    /// its queue.
    pub fn on_answer(
        &mut self,
        ticket: u64,
        outcome: Result<(), String>,
    ) -> Result<(), BridgeError> {
        let Some((consumer, id)) = self.pending.remove(&ticket) else {
            return Ok(());
        };
        match outcome {
            Ok(()) => {
                self.ack_local(consumer, id);
                // Only a closing consumer needs the scan (almost never).
                if self.closing.contains(&consumer)
                    && !self.pending.values().any(|(c, _)| *c == consumer)
                {
                    self.closing.retain(|c| *c != consumer);
                    self.broker.unsubscribe(consumer);
                }
                Ok(())
            }
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

    /// Closes every local consumer (the bridge ends but the local
    /// connection lives on, as on the accepting end of a duplex bridge).
    /// What awaited an answer goes back to its queue, marked redelivered.
    pub fn stop(&mut self) {
        for (_, consumer) in self.local.drain() {
            self.broker.unsubscribe(consumer);
        }
        for consumer in self.closing.drain(..) {
            self.broker.unsubscribe(consumer);
        }
        self.by_consumer.clear();
        self.pending.clear();
        self.status.set_local_consumers(0);
    }
}
