//! What the scripted clients do: produce (optionally in transactions),
//! subscribe, pull, end transactions, unsubscribe, disconnect. Each call
//! is made on the broker and then mirrored in the ledger.

use std::collections::HashMap;
use std::sync::Arc;

use broker::{Body, Destination, Message, MessageId, SubscribeRequest, TxId};

use crate::ledger::{Sent, State, Target};
use crate::world::{AckMode, Check, Client, Sub, World, QUEUES, TOPICS};

/// Where a producer sends.
#[derive(Clone, Copy, Debug)]
pub enum DestRef {
    Queue(usize),
    Topic(usize),
}

impl DestRef {
    pub fn destination(self) -> Destination {
        match self {
            DestRef::Queue(q) => Destination::queue(QUEUES[q]),
            DestRef::Topic(t) => Destination::topic(TOPICS[t]),
        }
    }
}

/// What a consumer subscribes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubKind {
    Queue(usize),
    Topic(usize),
    /// Durable subscriber `n` (client id `sim-D<n>`, name `sub`).
    Durable(usize),
}

pub fn durable_client_id(index: usize) -> String {
    format!("sim-D{index}")
}

pub const DURABLE_NAME: &str = "sub";

impl World {
    /// Sends one message, inside the producer's transaction if it has one.
    pub fn send(
        &mut self,
        p: usize,
        dest: DestRef,
        persistent: bool,
        ttl_ms: i64,
        body: usize,
    ) -> Check {
        let id = self.fresh("ID:sim");
        let mut m = Message::new(
            MessageId::from(id),
            dest.destination(),
            Body::Text(Arc::from("x".repeat(body))),
        );
        m.persistent = persistent;
        m.timestamp = self.now();
        m.expiration = if ttl_ms > 0 { self.now() + ttl_ms } else { 0 };
        let conn = self.producers[p].conn;
        let tx = self.producers[p].tx.as_ref().map(|(tx, _)| tx.clone());
        self.broker
            .send(conn, m.clone(), tx.as_ref())
            .map_err(|e| format!("send refused: {e}"))?;
        self.confirm(conn)?;
        match &mut self.producers[p].tx {
            Some((_, sends)) => sends.push(m),
            None => self.accept(p, &m),
        }
        Ok(())
    }

    /// Records a message the broker just accepted, with a copy for every
    /// buffer it reaches now.
    fn accept(&mut self, p: usize, m: &Message) {
        let targets = self.targets_of(&m.destination);
        let order = self.producers[p].accepted;
        self.producers[p].accepted += 1;
        let sent = Sent {
            id: m.id.as_str().to_string(),
            persistent: m.persistent,
            expiration: m.expiration,
            producer: p,
            order,
        };
        self.ledger.accept(sent, &targets);
    }

    pub fn begin_sends(&mut self, p: usize) -> Check {
        let tx = TxId(Arc::from(self.fresh("tx").as_str()));
        let conn = self.producers[p].conn;
        self.broker
            .begin(conn, tx.clone())
            .map_err(|e| format!("begin: {e}"))?;
        self.producers[p].tx = Some((tx, Vec::new()));
        self.confirm(conn)
    }

    /// Commits (or rolls back) the producer's transaction.
    pub fn end_sends(&mut self, p: usize, commit: bool) -> Check {
        let conn = self.producers[p].conn;
        let (tx, sends) = self.producers[p].tx.take().ok_or("no open transaction")?;
        if commit {
            self.broker
                .commit(conn, &tx)
                .map_err(|e| format!("commit: {e}"))?;
            for m in &sends {
                self.accept(p, m);
            }
        } else {
            self.broker
                .rollback(conn, &tx)
                .map_err(|e| format!("rollback: {e}"))?;
        }
        self.confirm(conn)
    }

    /// Drops the producer's connection (its transaction rolls back) and
    /// connects it again.
    pub fn reconnect_producer(&mut self, p: usize) -> Check {
        self.broker.disconnect(self.producers[p].conn);
        self.producers[p].tx = None;
        let (conn, events) = self.connect(None)?;
        let producer = &mut self.producers[p];
        producer.conn = conn;
        producer._events = events;
        Ok(())
    }

    /// Creates a consumer in `slot`, connecting first if the slot is empty.
    pub fn subscribe(&mut self, slot: usize, kind: SubKind, prefetch: u32, mode: AckMode) -> Check {
        if self.slots[slot].is_none() {
            let durable = match kind {
                SubKind::Durable(i) => Some(i),
                _ => None,
            };
            let (conn, events) = self.connect(durable.map(durable_client_id))?;
            self.slots[slot] = Some(Client {
                conn,
                events,
                durable,
                subs: Vec::new(),
                tx: None,
                tx_acked: Vec::new(),
            });
        }
        let (dest, target) = match kind {
            SubKind::Queue(q) => (DestRef::Queue(q).destination(), Target::Queue(q)),
            SubKind::Topic(t) => {
                let id = self.fresh_number();
                (
                    DestRef::Topic(t).destination(),
                    Target::Subscription { id, topic: t },
                )
            }
            SubKind::Durable(i) => {
                let d = &mut self.durables[i];
                if !d.exists {
                    d.exists = true;
                    d.generation += 1;
                }
                let target = Target::Durable {
                    index: i,
                    generation: d.generation,
                };
                (DestRef::Topic(d.topic).destination(), target)
            }
        };
        let mut req = SubscribeRequest::new(dest);
        req.prefetch = prefetch;
        if matches!(kind, SubKind::Durable(_)) {
            req.durable_name = Some(DURABLE_NAME.to_string());
        }
        let conn = self.client(slot)?.conn;
        let cid = self
            .broker
            .subscribe(conn, req)
            .map_err(|e| format!("subscribe: {e}"))?;
        self.client_mut(slot)?.subs.push(Sub {
            cid,
            target,
            prefetch,
            mode,
            held: Vec::new(),
            pull_credit: 0,
            last_order: HashMap::new(),
        });
        self.confirm(conn)
    }

    pub fn pull(&mut self, slot: usize, at: usize, count: u32) -> Check {
        let sub = self
            .client_mut(slot)?
            .subs
            .get_mut(at)
            .ok_or("pull without a consumer")?;
        sub.pull_credit += count;
        let cid = sub.cid;
        self.broker
            .pull(cid, count)
            .map_err(|e| format!("pull: {e}"))?;
        Ok(())
    }

    /// Withdraws a pull consumer's unused credit. The broker says whether
    /// there was any; the ledger knows.
    pub fn cancel_pull(&mut self, slot: usize, at: usize) -> Check {
        let sub = self
            .client_mut(slot)?
            .subs
            .get_mut(at)
            .ok_or("cancel_pull without a consumer")?;
        let had = std::mem::take(&mut sub.pull_credit) > 0;
        let cid = sub.cid;
        if self.broker.cancel_pull(cid) != had {
            return Err(format!(
                "cancel_pull of {cid}: broker and ledger disagree on credit ({had} expected)"
            ));
        }
        Ok(())
    }

    pub fn begin_acks(&mut self, slot: usize) -> Check {
        let tx = TxId(Arc::from(self.fresh("tx").as_str()));
        let conn = self.client(slot)?.conn;
        self.broker
            .begin(conn, tx.clone())
            .map_err(|e| format!("begin: {e}"))?;
        self.client_mut(slot)?.tx = Some(tx);
        self.confirm(conn)
    }

    /// Commits or rolls back the transaction of a consumer's connection.
    pub fn end_acks(&mut self, slot: usize, commit: bool) -> Check {
        let client = self.client(slot)?;
        let conn = client.conn;
        let tx = client.tx.clone().ok_or("no open transaction")?;
        if commit {
            self.broker
                .commit(conn, &tx)
                .map_err(|e| format!("commit: {e}"))?;
            let client = self.client_mut(slot)?;
            client.tx = None;
            for (copy, _) in std::mem::take(&mut client.tx_acked) {
                self.ledger.copies[copy].state = State::Consumed;
            }
        } else {
            self.broker
                .rollback(conn, &tx)
                .map_err(|e| format!("rollback: {e}"))?;
            self.rolled_back(slot)?;
        }
        self.confirm(conn)
    }

    /// Mirrors a rollback of acks: what the acking consumer still has goes
    /// back among its held messages (the client redelivers those itself);
    /// the rest goes back to its buffer, or ends with it.
    fn rolled_back(&mut self, slot: usize) -> Check {
        let acked = std::mem::take(&mut self.client_mut(slot)?.tx_acked);
        self.client_mut(slot)?.tx = None;
        for (copy, cid) in acked.into_iter().rev() {
            let target = self.ledger.copies[copy].target;
            let alive = self.target_alive(target);
            let msg = self.ledger.copies[copy].msg;
            let client = self.slots[slot].as_mut().ok_or("client vanished")?;
            match client.subs.iter_mut().find(|s| s.cid == cid) {
                Some(sub) => {
                    // The broker puts it back at its arrival position.
                    let copies = &self.ledger.copies;
                    let at = sub
                        .held
                        .iter()
                        .position(|h| copies[h.copy].msg > msg)
                        .unwrap_or(sub.held.len());
                    sub.held.insert(
                        at,
                        crate::world::Held {
                            copy,
                            in_window: false,
                        },
                    );
                    self.ledger.copies[copy].state = State::InFlight(slot);
                }
                None if alive => self.ledger.hand_back(copy),
                None => self.ledger.copies[copy].state = State::Ended,
            }
        }
        Ok(())
    }

    pub fn unsubscribe(&mut self, slot: usize, at: usize) -> Check {
        let cid = self.client(slot)?.subs.get(at).ok_or("no consumer")?.cid;
        if !self.broker.unsubscribe(cid) {
            return Err(format!("consumer {cid} was unknown to the broker"));
        }
        self.consumer_closed(slot, at)
    }

    /// Mirrors a consumer closing: what it held goes back to its buffer,
    /// flagged; a non-durable subscription's buffer goes away entirely.
    fn consumer_closed(&mut self, slot: usize, at: usize) -> Check {
        let client = self.client_mut(slot)?;
        if at >= client.subs.len() {
            return Err(format!("slot {slot} has no consumer {at}"));
        }
        let sub = client.subs.remove(at);
        let transient = matches!(sub.target, Target::Subscription { .. });
        for h in sub.held {
            if transient {
                self.ledger.copies[h.copy].state = State::Ended;
            } else {
                self.ledger.hand_back(h.copy);
            }
        }
        if transient {
            self.ledger.end_target(sub.target);
        }
        Ok(())
    }

    /// Ends a consumer's connection: its transaction rolls back, then its
    /// consumers close, in the broker's order.
    pub fn disconnect(&mut self, slot: usize) -> Check {
        let conn = self.client(slot)?.conn;
        self.broker.disconnect(conn);
        if self.client(slot)?.tx.is_some() {
            self.rolled_back(slot)?;
        }
        while !self.client(slot)?.subs.is_empty() {
            self.consumer_closed(slot, 0)?;
        }
        self.slots[slot] = None;
        Ok(())
    }

    /// Deletes an offline durable subscription and what it holds.
    pub fn remove_durable(&mut self, index: usize) -> Check {
        let conn = self.producers[0].conn;
        self.broker
            .remove_durable(conn, &durable_client_id(index), DURABLE_NAME)
            .map_err(|e| format!("remove_durable: {e}"))?;
        let d = &mut self.durables[index];
        d.exists = false;
        let target = Target::Durable {
            index,
            generation: d.generation,
        };
        self.ledger.end_target(target);
        self.confirm(conn)
    }
}
