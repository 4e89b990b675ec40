//! Sends, acknowledgements and the transactions that may hold them back.
//!
//! Inside a transaction, a send is kept until commit; an ack takes the
//! message out of the consumer's window at once (so the consumer keeps
//! receiving) but only forgets it at commit. A rollback hands acked
//! messages back to their consumer as un-acknowledged — the client
//! redelivers them itself, as both ActiveMQ's JMS client and its STOMP
//! ABORT expect — or, if the consumer is gone, back to the buffer.

use std::sync::Arc;

use crate::buffer::{BufferId, Entry};
use crate::config::SendOutcome;
use crate::core::{Core, InFlight};
use crate::error::BrokerError;
use crate::message::Message;
use crate::routing::Routed;
use crate::state::{Transaction, TxAcked};
use crate::store::PreparedTx;
use crate::subscription::Ack;
use crate::{ConnectionId, ConsumerId, TxId};

impl Core {
    pub fn send(
        &mut self,
        conn: ConnectionId,
        mut message: Message,
        tx: Option<&TxId>,
    ) -> Result<(SendOutcome, Routed), BrokerError> {
        if self.registry.connection(conn).is_none() {
            return Err(BrokerError::UnknownConnection);
        }
        let dest = &message.destination;
        if dest.is_temporary() && !self.temporary_exists(dest) {
            return Err(BrokerError::DeletedDestination(dest.clone()));
        }
        message.origin = Some(conn);
        if !self
            .network_audit
            .first_arrival(&message, &self.identity.broker_id)
        {
            tracing::debug!(id = %message.id, destination = %message.destination,
                "dropped a message that arrived over the network before");
            return Ok((SendOutcome::default(), Routed::default()));
        }
        // AMQ_SCHEDULED_* values are checked even inside a transaction and
        // with the scheduler off, as ActiveMQ checks them on arrival.
        let intent = crate::scheduler::classify(&message, self.config.scheduler_support)?;
        // At a memory or store limit: refuse (sendFailIfNoSpace) or take
        // this one and hold the producer back until usage falls.
        // Non-persistent messages to a queue spill to disk past the memory
        // limit (when the store can), so only topics are held to it, and
        // scheduled ones, which wait in memory.
        let spills = !matches!(intent, crate::scheduler::Intent::Schedule(_))
            && !message.persistent
            && message.destination.kind == crate::DestinationKind::Queue
            && self.store.spills();
        let limit = if spills {
            None
        } else {
            self.limit_reached(message.persistent)
        };
        if let (Some(why), true) = (&limit, self.config.send_fail_if_no_space) {
            return Err(BrokerError::ResourceLimit(why.clone()));
        }
        match tx {
            Some(tx) => {
                let t = self
                    .transactions
                    .get_mut(tx)
                    .ok_or_else(|| BrokerError::UnknownTransaction(tx.to_string()))?;
                t.sends.push(message);
                Ok((SendOutcome::default(), Routed::default()))
            }
            None => {
                let routed = self.accept(message, intent)?;
                let outcome = SendOutcome {
                    congested: routed.held_back || limit.is_some() || self.disk_behind(),
                };
                Ok((outcome, routed))
            }
        }
    }

    pub fn ack(&mut self, cid: ConsumerId, ack: Ack, tx: Option<&TxId>) -> Result<(), BrokerError> {
        if let Some(tx) = tx {
            if !self.transactions.contains(tx) {
                return Err(BrokerError::UnknownTransaction(tx.to_string()));
            }
        }
        let consumer = self
            .registry
            .consumer_mut(cid)
            .ok_or(BrokerError::UnknownConsumer)?;
        let id = ack.message_id();
        let pos = consumer
            .inflight
            .iter()
            .position(|f| &f.entry.message.id == id)
            .ok_or_else(|| BrokerError::UnknownMessage(id.to_string()))?;
        let buffers = consumer.buffers.clone();
        let mut taken: Vec<InFlight> = match &ack {
            Ack::Cumulative(_) => consumer.inflight.drain(..=pos).collect(),
            Ack::Individual(_) | Ack::Poison { .. } => {
                consumer.inflight.remove(pos).into_iter().collect()
            }
            Ack::Delivered(_) => Vec::new(),
        };
        let (mut count, mut bytes) = (0, 0);
        let released = if matches!(ack, Ack::Delivered(_)) {
            consumer
                .inflight
                .range_mut(..=pos)
                .filter_map(InFlight::leave_window)
                .collect::<Vec<_>>()
        } else {
            taken
                .iter_mut()
                .filter_map(InFlight::leave_window)
                .collect()
        };
        for size in released {
            count += 1;
            bytes += size;
        }
        consumer.release(count, bytes);
        self.usage.stats.messages_acked += taken.len() as u64;
        match (&ack, tx) {
            (Ack::Poison { cause, .. }, _) => {
                for f in taken {
                    self.forget(f.buffer, &f.entry);
                    self.dead_letter(f.entry, cause.as_deref())?;
                }
            }
            (_, Some(tx)) => {
                if let Some(t) = self.transactions.get_mut(tx) {
                    t.acked.extend(taken.into_iter().map(|f| TxAcked {
                        consumer: cid,
                        buffer: f.buffer,
                        entry: f.entry,
                    }));
                }
            }
            (_, None) => {
                for f in taken {
                    self.forget(f.buffer, &f.entry);
                    self.advise_consumed(&f.entry.message);
                }
            }
        }
        for bid in buffers {
            self.dispatch(bid);
        }
        Ok(())
    }

    /// Removes a consumed message from the store: a persistent one, or a
    /// non-persistent one that was spilled (the store knows which).
    fn forget(&mut self, bid: BufferId, entry: &Entry) {
        if !entry.message.persistent && !self.store.spills() {
            return;
        }
        let Some(key) = self.dests.buffer(bid).and_then(|b| b.store_key()) else {
            return;
        };
        if let Err(e) = self.store.remove(&key, entry.seq, &entry.message.id) {
            tracing::error!("store: removing consumed message {}: {e}", entry.message.id);
        }
    }

    pub fn begin(&mut self, conn: ConnectionId, tx: TxId) -> Result<(), BrokerError> {
        let c = self
            .registry
            .connection_mut(conn)
            .ok_or(BrokerError::UnknownConnection)?;
        if self.transactions.contains(&tx) {
            return Err(BrokerError::TransactionExists(tx.to_string()));
        }
        c.transactions.push(tx.clone());
        self.transactions.insert(
            tx,
            Transaction {
                owner: Some(conn),
                ..Transaction::default()
            },
        );
        Ok(())
    }

    fn take_transaction(&mut self, tx: &TxId) -> Result<Transaction, BrokerError> {
        let t = self
            .transactions
            .remove(tx)
            .ok_or_else(|| BrokerError::UnknownTransaction(tx.to_string()))?;
        if let Some(c) = t.owner.and_then(|o| self.registry.connection_mut(o)) {
            c.transactions.retain(|x| x != tx);
        }
        Ok(t)
    }

    /// XA phase one: stores the transaction and detaches it from its
    /// connection, so that it outlives the connection and the broker.
    pub fn prepare(&mut self, tx: &TxId) -> Result<(), BrokerError> {
        let t = self
            .transactions
            .get(tx)
            .ok_or_else(|| BrokerError::UnknownTransaction(tx.to_string()))?;
        if t.prepared {
            return Ok(());
        }
        let acks = t
            .acked
            .iter()
            .filter(|a| a.entry.message.persistent)
            .filter_map(|a| {
                let key = self.dests.buffer(a.buffer)?.store_key()?;
                Some((key, a.entry.seq))
            })
            .collect();
        self.store.prepare(&PreparedTx {
            id: Arc::clone(&tx.0),
            sends: t.sends.clone(),
            acks,
        })?;
        let owner = self.transactions.get_mut(tx).and_then(|t| {
            t.prepared = true;
            t.owner.take()
        });
        if let Some(c) = owner.and_then(|o| self.registry.connection_mut(o)) {
            c.transactions.retain(|x| x != tx);
        }
        Ok(())
    }

    /// Prepared transactions waiting for their outcome (XA `recover`).
    pub fn prepared(&self) -> Vec<TxId> {
        let mut ids: Vec<TxId> = self
            .transactions
            .iter()
            .filter(|(_, t)| t.prepared)
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort_by(|a, b| a.0.cmp(&b.0));
        ids
    }

    /// Routes the transaction's sends and forgets its acked messages. A send
    /// that can no longer be routed (its temporary destination is gone) is
    /// reported after the rest of the transaction has been applied.
    /// What the sends did comes back whether or not one failed.
    pub fn commit(&mut self, _conn: ConnectionId, tx: &TxId) -> (Routed, Result<(), BrokerError>) {
        let t = match self.take_transaction(tx) {
            Ok(t) => t,
            Err(e) => return (Routed::default(), Err(e)),
        };
        if t.prepared {
            if let Err(e) = self.store.resolve(&tx.0) {
                return (Routed::default(), Err(e.into()));
            }
        }
        for a in &t.acked {
            self.forget(a.buffer, &a.entry);
            self.advise_consumed(&a.entry.message);
        }
        let mut first_error = None;
        let mut routed = Routed::default();
        for m in t.sends {
            // Scheduled at commit, as ActiveMQ schedules in afterCommit.
            let intent = crate::scheduler::classify(&m, self.config.scheduler_support)
                .unwrap_or(crate::scheduler::Intent::Deliver);
            match self.accept(m, intent) {
                Ok(r) => routed |= r,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        (routed, first_error.map_or(Ok(()), Err))
    }

    pub fn rollback(&mut self, _conn: ConnectionId, tx: &TxId) -> Result<(), BrokerError> {
        let t = self.take_transaction(tx)?;
        if t.prepared {
            self.store.resolve(&tx.0)?;
        }
        let mut touched = Vec::new();
        // Each goes back at its seq position so delivery order holds.
        for a in t.acked.into_iter().rev() {
            match self.registry.consumer_mut(a.consumer) {
                Some(c) => {
                    let at = c
                        .inflight
                        .iter()
                        .position(|f| f.entry.seq > a.entry.seq)
                        .unwrap_or(c.inflight.len());
                    c.inflight.insert(
                        at,
                        InFlight {
                            entry: a.entry,
                            in_window: false,
                            buffer: a.buffer,
                            seq: 0,
                        },
                    );
                }
                None => {
                    if let Some(buf) = self.dests.buffer_mut(a.buffer) {
                        let mut entry = a.entry;
                        entry.redelivery_count += 1;
                        if let Some(key) = buf.store_key() {
                            self.store
                                .redelivered(&key, entry.seq, entry.redelivery_count);
                        }
                        buf.push(entry);
                        touched.push(a.buffer);
                    }
                }
            }
        }
        touched.dedup();
        for bid in touched {
            self.dispatch(bid);
        }
        Ok(())
    }
}
