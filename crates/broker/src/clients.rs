//! Connections, their temporary destinations and their producers: coming
//! and going, each announced to advisory subscribers (see
//! `advisory_clients.rs`) whatever the client's protocol.

use std::sync::Arc;

use crate::buffer::BufferId;
use crate::config::ConnectInfo;
use crate::core::{Conn, Core};
use crate::destination::{Destination, DestinationKind};
use crate::error::BrokerError;
use crate::event::{Event, EventSender};
use crate::registry::Producer;
use crate::{ConnectionId, ProducerId};
use model::{ConnectionAbout, ProducerAbout};

/// What a protocol handler says about a producer that named its
/// destination (OpenWire ProducerInfo). Producers without one are not
/// registered: they announce nothing, as in ActiveMQ.
#[derive(Clone, Debug)]
pub struct ProducerRequest {
    pub destination: Destination,
    /// The client's own id for it (OpenWire ProducerId), if it has one.
    pub label: Option<String>,
    /// The protocol's own description (OpenWire: its ProducerInfo).
    pub native: Option<crate::message::Native>,
}

impl Core {
    pub fn connect(
        &mut self,
        info: ConnectInfo,
        sink: EventSender,
    ) -> Result<ConnectionId, BrokerError> {
        let client_id: Option<Arc<str>> = info.client_id.map(Arc::from);
        if let Some(cid) = &client_id {
            if self.registry.client_id_in_use(cid) {
                return Err(BrokerError::ClientIdInUse(cid.to_string()));
            }
        }
        let id = ConnectionId(self.next_id());
        // Clients see ActiveMQ-shaped ids: `ID:<broker>-<boot>:<n>`.
        let label: Arc<str> = match info.label {
            Some(l) => Arc::from(l),
            None => Arc::from(format!("{}:{}", self.identity.id_prefix, id.0)),
        };
        let about = Arc::new(ConnectionAbout {
            client_id: Some(client_id.clone().unwrap_or_else(|| Arc::clone(&label))),
            id: label,
            user: info.login.map(Arc::from),
            native: info.native,
        });
        self.registry.add_connection(
            id,
            Conn {
                sink,
                client_id,
                about: Arc::clone(&about),
                consumers: Vec::new(),
                local_ids: 0,
                producers: Vec::new(),
                temporaries: Vec::new(),
                transactions: Vec::new(),
            },
        );
        self.usage.stats.connections_total += 1;
        self.advise_connection(&about, false);
        Ok(id)
    }

    /// Ends a connection: its temporary destinations are deleted, open
    /// transactions roll back, consumers close (their un-acked messages
    /// return to their buffers as redelivered), producers go, and the
    /// client id is freed.
    /// `delivered_up_to`: as for [`close_consumer`](Self::close_consumer),
    /// for all its consumers.
    pub fn disconnect(&mut self, id: ConnectionId, delivered_up_to: Option<u64>) {
        let Some(conn) = self.registry.connection(id) else {
            return;
        };
        let transactions = conn.transactions.clone();
        let consumers = conn.consumers.clone();
        let producers = conn.producers.clone();
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
            self.close_consumer(consumer, delivered_up_to);
        }
        for producer in producers {
            self.remove_producer(producer);
        }
        self.confirmations.take(id);
        if let Some(conn) = self.registry.remove_connection(id) {
            self.advise_connection(&conn.about, true);
        }
    }

    // ---- producers -----------------------------------------------------

    pub fn add_producer(
        &mut self,
        conn: ConnectionId,
        req: ProducerRequest,
    ) -> Result<ProducerId, BrokerError> {
        let id = ProducerId(self.next_id());
        let c = self
            .registry
            .connection_mut(conn)
            .ok_or(BrokerError::UnknownConnection)?;
        let label = match req.label {
            Some(l) => Arc::from(l),
            None => c.next_local_id(),
        };
        let about = Arc::new(ProducerAbout {
            id: label,
            connection: Arc::clone(&c.about.id),
            destination: req.destination,
            native: req.native,
        });
        self.registry.add_producer(
            id,
            Producer {
                conn,
                about: Arc::clone(&about),
            },
        );
        self.advise_producer(&about, false);
        Ok(id)
    }

    pub fn remove_producer(&mut self, id: ProducerId) -> bool {
        let Some(p) = self.registry.remove_producer(id) else {
            return false;
        };
        self.advise_producer(&p.about, true);
        true
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
            .registry
            .connection_mut(conn)
            .ok_or(BrokerError::UnknownConnection)?;
        if self.dests.add_temporary(dest.clone(), conn) {
            c.temporaries.push(dest.clone());
            let owner = Arc::clone(&c.about.id);
            self.advise_temporary(&dest, &owner, false);
        }
        Ok(())
    }

    pub fn create_temporary(
        &mut self,
        conn: ConnectionId,
        kind: DestinationKind,
    ) -> Result<Destination, BrokerError> {
        let n = self.next_id();
        let owner = self
            .registry
            .connection(conn)
            .ok_or(BrokerError::UnknownConnection)?;
        // As ActiveMQ names them: `<connection id>:<n>`.
        let name = format!("{}:{n}", owner.about.id);
        let dest = Destination::new(kind, name);
        self.add_temporary(conn, dest.clone())?;
        Ok(dest)
    }

    pub fn temporary_exists(&self, dest: &Destination) -> bool {
        self.dests.temporary_exists(dest)
    }

    /// Deletes a temporary destination: its consumers are told and closed,
    /// its messages dropped.
    pub fn delete_temporary(&mut self, dest: &Destination) {
        let Some(owner) = self.dests.remove_temporary(dest) else {
            return;
        };
        let mut owner_id = None;
        if let Some(c) = self.registry.connection_mut(owner) {
            c.temporaries.retain(|d| d != dest);
            owner_id = Some(Arc::clone(&c.about.id));
        }
        let buffers: Vec<BufferId> = if dest.is_queue() {
            self.dests.remove_queue(dest).into_iter().collect()
        } else {
            self.dests.remove_topic(dest)
        };
        for bid in buffers {
            // The buffer goes first: what its consumers hand back as they
            // close is dropped with it, not dispatched to the next one.
            let Some(buf) = self.dests.remove_buffer(bid) else {
                continue;
            };
            for &cid in &buf.consumers {
                if let Some(consumer) = self.registry.consumer(cid) {
                    if let Some(conn) = self.registry.connection(consumer.conn) {
                        let _ = conn.sink.send(Event::ConsumerClosed {
                            consumer: cid,
                            reason: format!("destination {dest} was deleted"),
                        });
                    }
                }
                self.close_consumer(cid, None);
            }
        }
        if let Some(owner_id) = owner_id {
            self.advise_temporary(dest, &owner_id, true);
        }
    }
}
