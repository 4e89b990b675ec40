//! What the scripted clients do: produce (optionally in transactions),
//! subscribe, pull, end transactions, unsubscribe, disconnect. Each call
//! is made on the broker and then mirrored in the ledger.

use std::collections::HashMap;
use std::sync::Arc;

use broker::{Body, Destination, Message, MessageId, SubscribeRequest};

use crate::ledger::{Color, Sent, State, Target};
use crate::world::{AckMode, Check, Client, Orphan, Source, Sub, World, QUEUES, TOPICS};

/// Where a producer sends.
#[derive(Clone, Copy, Debug)]
pub enum DestRef {
    Queue(usize),
    Topic(usize),
    /// A composite destination, `<queue>,topic://<topic>`: a copy to each.
    Composite(usize, usize),
    /// Temporary queue number `n` of `World::temps` (maybe deleted).
    Temp(usize),
}

impl DestRef {
    /// The destination of a fixed `DestRef` (temporary ones have their
    /// names in the world: `World::destination_of`).
    pub fn destination(self) -> Destination {
        match self {
            DestRef::Queue(q) => Destination::queue(QUEUES[q]),
            DestRef::Topic(t) => Destination::topic(TOPICS[t]),
            DestRef::Composite(q, t) => {
                Destination::queue(format!("{},topic://{}", QUEUES[q], TOPICS[t]))
            }
            // A test bug if reached: see `World::destination_of`.
            DestRef::Temp(_) => unreachable!("a temporary queue's name is in World::temps"),
        }
    }
}

/// What a consumer subscribes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubKind {
    Queue(usize),
    /// Temporary queue number `n` of `World::temps` (alive).
    Temp(usize),
    /// Every simulated queue, through the wildcard `sim.>`.
    AllQueues,
    Topic(usize),
    /// Durable subscriber `n` (client id `sim-D<n>`, name `sub`).
    Durable(usize),
}

impl SubKind {
    /// A queue consumer (exclusivity and priority apply).
    pub fn is_queue(self) -> bool {
        matches!(self, SubKind::Queue(_) | SubKind::AllQueues)
    }
}

pub fn durable_client_id(index: usize) -> String {
    format!("sim-D{index}")
}

pub const DURABLE_NAME: &str = "sub";

/// How a consumer subscribes.
#[derive(Clone, Copy, Debug)]
pub struct SubOptions {
    /// 0 = pull mode.
    pub prefetch: u32,
    pub mode: AckMode,
    /// `color = '<color>'`, or no selector.
    pub selector: Option<Color>,
    /// Queue only.
    pub exclusive: bool,
    /// Queue only: higher is offered messages first.
    pub priority: i8,
}

impl SubOptions {
    /// What the finale drains with: everything at once, acked at once.
    pub fn drain(selector: Option<Color>) -> SubOptions {
        SubOptions {
            prefetch: 1000,
            mode: AckMode::Auto,
            selector,
            exclusive: false,
            priority: 0,
        }
    }
}

/// A message a producer sends.
#[derive(Clone, Copy, Debug)]
pub struct Outgoing {
    pub dest: DestRef,
    pub persistent: bool,
    /// Time to live; 0 for none.
    pub ttl_ms: i64,
    /// `AMQ_SCHEDULED_DELAY`; 0 for none.
    pub delay_ms: i64,
    /// Body length.
    pub body: usize,
    pub color: Color,
    /// JMSXGroupID `g<n>`, and whether JMSXGroupSeq -1 closes the group.
    pub group: Option<(u8, bool)>,
}

impl World {
    /// Sends one message, inside the producer's transaction if it has one.
    pub fn send(&mut self, p: usize, out: Outgoing) -> Check {
        let id = self.fresh("ID:sim");
        let mut m = Message::new(
            MessageId::from(id),
            self.destination_of(out.dest),
            Body::Text(Arc::from("x".repeat(out.body))),
        );
        m.persistent = out.persistent;
        let color = broker::Value::String(Arc::from(out.color.name()));
        m.properties.push((Arc::from("color"), color));
        if out.delay_ms > 0 {
            let delay = broker::Value::Long(out.delay_ms);
            m.properties.push((Arc::from("AMQ_SCHEDULED_DELAY"), delay));
        }
        if let Some((g, closes)) = out.group {
            let id = broker::Value::String(Arc::from(format!("g{g}")));
            m.properties.push((Arc::from("JMSXGroupID"), id));
            let seq = broker::Value::Int(if closes { -1 } else { 1 });
            m.properties.push((Arc::from("JMSXGroupSeq"), seq));
        }
        m.timestamp = self.now();
        m.expiration = if out.ttl_ms > 0 {
            self.now() + out.ttl_ms
        } else {
            0
        };
        let conn = self.producers[p].conn;
        // A prepared transaction takes nothing more, and temporary queues
        // are kept out of transactions: send outside it.
        let temp = matches!(out.dest, DestRef::Temp(_));
        let tx = self.producers[p]
            .tx
            .as_ref()
            .filter(|t| !t.prepared && !temp);
        let tx = tx.map(|t| t.id.clone());
        match self.broker.send(conn, m.clone(), tx.as_ref()) {
            Ok(_) => {}
            Err(broker::BrokerError::ResourceLimit(why)) => return self.refused(&m, &why),
            Err(broker::BrokerError::DeletedDestination(d)) if self.temp_target(&d).is_none() => {
                self.note(format!("   refused: {d} was deleted"));
                return Ok(());
            }
            Err(e) => return Err(format!("send refused: {e}")),
        }
        self.confirm(conn)?;
        match tx {
            Some(_) => self.producers[p].sends.push(m),
            None => self.arrived(p, m),
        }
        Ok(())
    }

    /// Where a `DestRef` points now.
    fn destination_of(&self, dest: DestRef) -> Destination {
        match dest {
            DestRef::Temp(n) => self.temps[n].dest.clone(),
            other => other.destination(),
        }
    }

    /// A send refused at the memory limit (`send_fail_if_no_space`): fine
    /// only when the limit is really reached, and for a message that would
    /// wait in memory (a memory store keeps no persistent usage).
    fn refused(&mut self, m: &Message, why: &str) -> Check {
        let used = self.broker.stats().memory_bytes;
        let limit = self
            .fail_at_memory
            .ok_or("refused without send_fail_if_no_space")?;
        if m.persistent || used < limit {
            return Err(format!(
                "send refused at {used} of {limit} bytes (persistent {}): {why}",
                m.persistent
            ));
        }
        self.note(format!("   refused at {used} of {limit} bytes"));
        Ok(())
    }

    /// Records a message the broker just routed, with a copy for every
    /// buffer it reaches now.
    pub fn accept(&mut self, p: usize, m: &Message) {
        let color = match m.property("color") {
            Some(broker::Value::String(c)) if &**c == "red" => Color::Red,
            _ => Color::Blue,
        };
        let targets = self.targets_of(&m.destination, color);
        let order = self.producers[p].accepted;
        self.producers[p].accepted += 1;
        let sent = Sent {
            id: m.id.as_str().to_string(),
            persistent: m.persistent,
            expiration: m.expiration,
            producer: p,
            color,
            group: crate::groups::group_of(m),
            order,
        };
        self.ledger.accept(sent, &targets);
    }

    /// Drops the producer's connection (its transaction rolls back, unless
    /// prepared: then it waits for an outcome) and connects it again.
    pub fn reconnect_producer(&mut self, p: usize) -> Check {
        self.broker.disconnect(self.producers[p].conn);
        let sends = std::mem::take(&mut self.producers[p].sends);
        if let Some(tx) = self.producers[p].tx.take().filter(|t| t.prepared) {
            self.orphans.push(Orphan {
                id: tx.id,
                sends: sends.into_iter().map(|m| (p, m)).collect(),
                acked: Vec::new(),
            });
        }
        let conn = self.connect(None)?;
        let producer = &mut self.producers[p];
        producer.conn = conn;
        Ok(())
    }

    /// Creates a consumer in `slot`, connecting first if the slot is empty.
    pub fn subscribe(&mut self, slot: usize, kind: SubKind, options: SubOptions) -> Check {
        if self.slots[slot].is_none() {
            let durable = match kind {
                SubKind::Durable(i) => Some(i),
                _ => None,
            };
            let conn = self.connect(durable.map(durable_client_id))?;
            self.slots[slot] = Some(Client {
                conn,
                durable,
                subs: Vec::new(),
                tx: None,
                tx_acked: Vec::new(),
            });
        }
        let (dest, source) = match kind {
            SubKind::Queue(q) => (
                DestRef::Queue(q).destination(),
                Source::One(Target::Queue(q)),
            ),
            SubKind::AllQueues => (Destination::queue("sim.>"), Source::AllQueues),
            SubKind::Temp(n) => {
                let temp = &self.temps[n];
                (temp.dest.clone(), Source::One(Target::Temp(temp.id)))
            }
            SubKind::Topic(t) => {
                let id = self.fresh_number();
                let target = Target::Subscription { id, topic: t };
                (DestRef::Topic(t).destination(), Source::One(target))
            }
            SubKind::Durable(i) => {
                let d = &mut self.durables[i];
                let old = Target::Durable {
                    index: i,
                    generation: d.generation,
                };
                if d.exists && d.selector != options.selector {
                    // A changed selector replaces the subscription (as in
                    // ActiveMQ): what the old one held is discarded.
                    d.exists = false;
                    self.ledger.end_target(old);
                }
                let d = &mut self.durables[i];
                if !d.exists {
                    d.exists = true;
                    d.generation += 1;
                    d.selector = options.selector;
                }
                let target = Target::Durable {
                    index: i,
                    generation: d.generation,
                };
                (DestRef::Topic(d.topic).destination(), Source::One(target))
            }
        };
        let mut req = SubscribeRequest::new(dest);
        req.prefetch = options.prefetch;
        req.selector = options.selector.map(Color::selector);
        req.exclusive = options.exclusive;
        req.priority = options.priority;
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
            source,
            selector: options.selector,
            exclusive: options.exclusive && kind.is_queue(),
            prefetch: options.prefetch,
            mode: options.mode,
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
        self.forget_groups_of(sub.cid);
        let transient = sub
            .single()
            .filter(|t| matches!(t, Target::Subscription { .. }));
        for h in sub.held {
            if transient.is_some() {
                self.ledger.copies[h.copy].state = State::Ended;
            } else {
                self.ledger.hand_back(h.copy);
            }
        }
        if let Some(target) = transient {
            self.ledger.end_target(target);
        }
        Ok(())
    }

    /// Ends a consumer's connection: its transaction rolls back (unless
    /// prepared), then its consumers close, in the broker's order.
    pub fn disconnect(&mut self, slot: usize) -> Check {
        let conn = self.client(slot)?.conn;
        self.broker.disconnect(conn);
        let client = self.client_mut(slot)?;
        let acked = std::mem::take(&mut client.tx_acked);
        match client.tx.take() {
            Some(tx) if tx.prepared => self.orphans.push(Orphan {
                id: tx.id,
                sends: Vec::new(),
                acked,
            }),
            Some(_) => self.return_acked(acked, Some(slot))?,
            None => {}
        }
        while !self.client(slot)?.subs.is_empty() {
            self.consumer_closed(slot, 0)?;
        }
        self.slots[slot] = None;
        self.temps_died_with(conn);
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
