//! The simulated world: one broker on a manual clock and a memory store,
//! the scripted clients talking to it, and the ledger of what they sent.
//! Every broker call goes through here so the ledger follows each one.

use std::collections::HashMap;
use std::sync::Arc;

use broker::{
    Ack, Broker, BrokerConfig, ConnectInfo, ConnectionId, ConsumerId, Delivery, Destination, Event,
    EventReceiver, ManualClock, MemoryStore, TxId,
};
use tokio::sync::mpsc;

use crate::ledger::{selects, Color, Ledger, State, Target};

pub const QUEUES: [&str; 2] = ["sim.Q0", "sim.Q1"];
pub const TOPICS: [&str; 2] = ["sim.T0", "sim.T1"];

/// How a consumer acknowledges, covering every [`Ack`] kind and how the
/// protocols use them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckMode {
    /// STOMP `ack:auto`: the handler acks each message once written.
    Auto,
    /// STOMP `client`, OpenWire STANDARD: cumulative acks.
    Cumulative,
    /// STOMP `client-individual`, OpenWire INDIVIDUAL.
    Individual,
    /// OpenWire DELIVERED acks to open the window, individual acks later.
    Delivered,
    /// Acks inside transactions that are committed or rolled back.
    Transacted,
}

/// Consumers per connection: two is enough for one to hand messages back
/// while another of the same connection has room.
pub const MAX_CONSUMERS: usize = 2;

pub const ACK_MODES: [AckMode; 5] = [
    AckMode::Auto,
    AckMode::Cumulative,
    AckMode::Individual,
    AckMode::Delivered,
    AckMode::Transacted,
];

/// The kind of acknowledgement one ack step sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckKind {
    Cumulative,
    Individual,
    Delivered,
    Poison,
}

pub struct Producer {
    pub conn: ConnectionId,
    pub tx: Option<OpenTx>,
    /// What was sent in `tx`, in order.
    pub sends: Vec<broker::Message>,
    /// How many of its messages the broker accepted so far.
    pub accepted: u64,
}

/// A message delivered to a consumer and not yet acknowledged.
#[derive(Clone, Copy, Debug)]
pub struct Held {
    pub copy: usize,
    /// Still counts against the prefetch window (a DELIVERED ack clears it).
    pub in_window: bool,
}

/// The buffers a consumer takes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    One(Target),
    /// A wildcard queue consumer (`sim.>`): every simulated queue, even
    /// one created after it subscribed.
    AllQueues,
}

/// A live consumer.
pub struct Sub {
    pub cid: ConsumerId,
    pub source: Source,
    pub selector: Option<Color>,
    /// A queue consumer that, while it exists, alone receives.
    pub exclusive: bool,
    /// 0 = pull mode.
    pub prefetch: u32,
    pub mode: AckMode,
    /// Delivered and not acknowledged, in the broker's in-flight order.
    pub held: Vec<Held>,
    /// Messages granted by `pull` and not yet delivered (pull mode).
    pub pull_credit: u32,
    /// Per producer, delivery mode (persistent or not) and message group,
    /// the order of the last first-time delivery. JMS 1.1 §4.4.10.2 orders
    /// messages only within a delivery mode: a later non-persistent message
    /// may overtake an earlier persistent one (here: one paged out to the
    /// store). And a grouped message waits for its group's owner while
    /// later messages of other groups (or none) go to other consumers; when
    /// the owner leaves it may reach one of those after them (seed 830).
    /// (A wildcard consumer keeps one order per queue: JMS orders
    /// per destination.)
    pub last_order: HashMap<(usize, bool, Option<u8>, Target), u64>,
}

impl Sub {
    /// Whether this consumer takes from `target`'s buffer.
    pub fn covers(&self, target: Target) -> bool {
        match self.source {
            Source::One(t) => t == target,
            Source::AllQueues => matches!(target, Target::Queue(_)),
        }
    }

    /// The one buffer it takes from, unless it is a wildcard consumer.
    pub fn single(&self) -> Option<Target> {
        match self.source {
            Source::One(t) => Some(t),
            Source::AllQueues => None,
        }
    }
}

/// A consumer-side connection with its consumers (up to
/// `MAX_CONSUMERS`), whose acks its one transaction may cover.
pub struct Client {
    pub conn: ConnectionId,
    /// Durable subscriber index when it connected with that client id.
    pub durable: Option<usize>,
    /// In the order they subscribed.
    pub subs: Vec<Sub>,
    pub tx: Option<OpenTx>,
    /// Acked in `tx`, with the consumer that acked each.
    pub tx_acked: Vec<(usize, ConsumerId)>,
}

/// A transaction a connection has open.
pub struct OpenTx {
    pub id: TxId,
    /// XA phase one done: it takes nothing more, and outlives its connection.
    pub prepared: bool,
}

/// A prepared transaction whose connection is gone, waiting for another
/// connection to commit or roll it back.
pub struct Orphan {
    pub id: TxId,
    /// (producer, message) sent in it.
    pub sends: Vec<(usize, broker::Message)>,
    /// (copy, consumer that acked it) acked in it.
    pub acked: Vec<(usize, ConsumerId)>,
}

/// A durable subscriber's subscription; `generation` counts re-creations.
pub struct Durable {
    pub topic: usize,
    /// The selector of its current generation.
    pub selector: Option<Color>,
    pub exists: bool,
    pub generation: u32,
}

pub struct World {
    pub broker: Broker,
    /// Every client's events, in the order the broker sent them.
    sink: broker::EventSender,
    events: EventReceiver,
    pub clock: ManualClock,
    pub ledger: Ledger,
    pub producers: Vec<Producer>,
    pub slots: Vec<Option<Client>>,
    pub durables: Vec<Durable>,
    pub orphans: Vec<Orphan>,
    /// The memory limit, when the broker refuses sends past it
    /// (`send_fail_if_no_space`) rather than only slowing producers.
    pub fail_at_memory: Option<usize>,
    /// Scheduler support is on.
    pub scheduler: bool,
    /// Scheduled messages not fired yet, in scheduling order.
    pub scheduled: Vec<crate::scheduling::Scheduled>,
    /// Temporary queues ever created, dead ones included.
    pub temps: Vec<crate::temps::Temp>,
    /// Each queue's message groups and the consumer each is pinned to.
    pub group_owner: HashMap<(usize, u8), ConsumerId>,
    /// What happened so far, printed when an invariant fails.
    pub log: Vec<String>,
    /// Echo the log as it is written (when replaying one seed).
    pub verbose: bool,
    next_id: u64,
}

/// A violated invariant or a broker call that failed when it must not.
pub type Check = Result<(), String>;

impl World {
    pub fn new(
        config: BrokerConfig,
        producers: usize,
        slots: usize,
        durables: &[usize],
    ) -> Result<World, String> {
        let clock = ManualClock::new(1_700_000_000_000);
        let fail_at_memory = config.send_fail_if_no_space.then_some(config.memory_limit);
        let scheduler = config.scheduler_support;
        let broker = Broker::with_clock(
            config,
            Box::new(MemoryStore::new()),
            Arc::new(clock.clone()),
        );
        let (sink, events) = mpsc::unbounded_channel();
        let mut world = World {
            broker,
            sink,
            events,
            clock,
            ledger: Ledger::default(),
            producers: Vec::new(),
            slots: (0..slots).map(|_| None).collect(),
            durables: durables
                .iter()
                .map(|&topic| Durable {
                    topic,
                    selector: None,
                    exists: false,
                    generation: 0,
                })
                .collect(),
            orphans: Vec::new(),
            fail_at_memory,
            scheduler,
            scheduled: Vec::new(),
            group_owner: HashMap::new(),
            temps: Vec::new(),
            log: Vec::new(),
            verbose: false,
            next_id: 0,
        };
        for _ in 0..producers {
            let conn = world.connect(None)?;
            world.producers.push(Producer {
                conn,
                tx: None,
                sends: Vec::new(),
                accepted: 0,
            });
        }
        Ok(world)
    }

    pub fn note(&mut self, line: String) {
        if self.verbose {
            eprintln!("{line}");
        }
        self.log.push(line);
    }

    /// A number never handed out before in this world.
    pub fn fresh_number(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn fresh(&mut self, prefix: &str) -> String {
        format!("{prefix}-{}", self.fresh_number())
    }

    pub fn now(&self) -> i64 {
        broker::Clock::now_millis(&self.clock)
    }

    /// Connects a client whose events go to the world's one channel, so
    /// they are read in the order the broker sent them across all
    /// connections (the group owner invariant depends on that order).
    /// The scenario only reuses a client id once its previous connection
    /// is gone, so a refusal means the broker kept it.
    pub fn connect(&mut self, client_id: Option<String>) -> Result<ConnectionId, String> {
        let info = ConnectInfo {
            client_id,
            login: None,
            ..Default::default()
        };
        self.broker
            .connect(info, self.sink.clone())
            .map_err(|e| format!("connect refused: {e}"))
    }

    /// Connects a client with a channel of its own (the finale's DLQ reader).
    pub fn connect_apart(&mut self) -> Result<(ConnectionId, EventReceiver), String> {
        let (tx, rx) = mpsc::unbounded_channel();
        let conn = self
            .broker
            .connect(ConnectInfo::default(), tx)
            .map_err(|e| format!("connect refused: {e}"))?;
        Ok((conn, rx))
    }

    /// What a protocol handler does after each command: ask where to wait
    /// before confirming. A memory store has nothing to wait for.
    pub fn confirm(&self, conn: ConnectionId) -> Check {
        match self.broker.sync_point(conn) {
            None => Ok(()),
            Some(p) => Err(format!("a memory store asked to wait for {p:?}")),
        }
    }

    pub fn client(&self, slot: usize) -> Result<&Client, String> {
        self.slots[slot]
            .as_ref()
            .ok_or_else(|| format!("slot {slot} is empty"))
    }

    pub fn client_mut(&mut self, slot: usize) -> Result<&mut Client, String> {
        self.slots[slot]
            .as_mut()
            .ok_or_else(|| format!("slot {slot} is empty"))
    }

    /// Whether the buffer a copy came from still exists.
    pub fn target_alive(&self, target: Target) -> bool {
        match target {
            Target::Queue(_) => true,
            Target::Durable { index, generation } => {
                let d = &self.durables[index];
                d.exists && d.generation == generation
            }
            Target::Temp(id) => self.temp_alive(id),
            Target::Subscription { .. } => self
                .slots
                .iter()
                .flatten()
                .any(|c| c.subs.iter().any(|s| s.covers(target))),
        }
    }

    /// The buffers a message of `color` sent to `dest` reaches now (topic
    /// subscriptions filter by selector on arrival).
    pub fn targets_of(&self, dest: &Destination, color: Color) -> Vec<Target> {
        if dest.is_temporary() {
            return self.temp_target(dest).into_iter().collect();
        }
        if let Some(parts) = dest.composite_parts() {
            let each = parts.iter().flat_map(|part| self.targets_of(part, color));
            return each.collect();
        }
        if let Some(q) = QUEUES
            .iter()
            .position(|n| dest.is_queue() && **n == *dest.name)
        {
            return vec![Target::Queue(q)];
        }
        let Some(t) = TOPICS.iter().position(|n| **n == *dest.name) else {
            return Vec::new();
        };
        let mut out: Vec<Target> = (0..self.durables.len())
            .filter(|&i| {
                let d = &self.durables[i];
                d.exists && d.topic == t && selects(d.selector, color)
            })
            .map(|i| Target::Durable {
                index: i,
                generation: self.durables[i].generation,
            })
            .collect();
        for c in self.slots.iter().flatten() {
            for s in &c.subs {
                if let Some(sub @ Target::Subscription { topic, .. }) = s.single() {
                    if topic == t && selects(s.selector, color) {
                        out.push(sub);
                    }
                }
            }
        }
        out
    }

    /// Drains every client's events into the ledger, acking for `Auto`
    /// consumers as a STOMP handler does, until the broker is quiet.
    pub fn settle(&mut self) -> Check {
        loop {
            let mut busy = false;
            while let Ok(ev) = self.events.try_recv() {
                busy = true;
                match ev {
                    Event::Deliver(d) => {
                        let slot = self.slot_of(d.consumer).ok_or_else(|| {
                            let id = d.message.id.as_str();
                            format!("{id} delivered to consumer {} that is closed", d.consumer)
                        })?;
                        self.on_delivery(slot, d)?;
                    }
                    Event::ConsumerClosed { consumer, reason } => {
                        self.closed_by_broker(consumer, &reason)?;
                    }
                }
            }
            for slot in 0..self.slots.len() {
                let Some(client) = &self.slots[slot] else {
                    continue;
                };
                let auto = client
                    .subs
                    .iter()
                    .position(|s| s.mode == AckMode::Auto && !s.held.is_empty());
                if let Some(at) = auto {
                    busy = true;
                    self.ack(slot, at, AckKind::Individual, 0, false)?;
                }
            }
            if !busy {
                return Ok(());
            }
        }
    }

    /// The slot whose client has consumer `cid`.
    fn slot_of(&self, cid: ConsumerId) -> Option<usize> {
        self.slots.iter().position(|c| {
            c.as_ref()
                .is_some_and(|c| c.subs.iter().any(|s| s.cid == cid))
        })
    }

    /// Checks one delivery against the ledger and records it.
    fn on_delivery(&mut self, slot: usize, d: Delivery) -> Check {
        if self.verbose {
            let (id, n) = (d.message.id.as_str(), d.redelivery_count);
            self.note(format!(
                "   slot {slot} consumer {} got {id} (redelivery {n})",
                d.consumer
            ));
        }
        let now = self.now();
        let id = d.message.id.as_str().to_string();
        let target = self.delivered_from(slot, &d)?;
        let exclusive = self.exclusive_consumer(target);
        if exclusive.is_some_and(|e| e != d.consumer) {
            return Err(format!(
                "{id} delivered to {} while {exclusive:?} is exclusive",
                d.consumer
            ));
        }
        let client = self.slots[slot]
            .as_mut()
            .ok_or("delivery to an empty slot")?;
        let sub = client
            .subs
            .iter_mut()
            .find(|s| s.cid == d.consumer)
            .ok_or_else(|| format!("{id} delivered to consumer {} that is closed", d.consumer))?;
        let copy = self
            .ledger
            .find(&id, target)
            .ok_or_else(|| format!("{id} delivered from {target:?}, which it never reached"))?;
        let c = &self.ledger.copies[copy];
        let sent = &self.ledger.sent[c.msg];
        if c.state != State::Waiting {
            return Err(format!("{id} delivered again while {:?}", c.state));
        }
        if c.delivered && d.redelivery_count == 0 {
            return Err(format!(
                "{id} delivered a second time without the redelivered flag"
            ));
        }
        if d.redelivery_count != c.returns {
            return Err(format!(
                "{id} redelivery count {} but it was handed back {} times",
                d.redelivery_count, c.returns
            ));
        }
        if sent.expired_at(now) {
            return Err(format!("{id} delivered after it expired"));
        }
        if !selects(sub.selector, sent.color) {
            return Err(format!(
                "{id} ({:?}) delivered past selector {:?}",
                sent.color, sub.selector
            ));
        }
        if d.redelivery_count == 0 {
            let group = sent.group.map(|(g, _)| g);
            let key = (sent.producer, sent.persistent, group, target);
            let last = sub.last_order.insert(key, sent.order);
            if last.is_some_and(|l| l >= sent.order) {
                return Err(format!("{id} from producer {} out of order", sent.producer));
            }
        }
        if sub.prefetch == 0 {
            sub.pull_credit = sub
                .pull_credit
                .checked_sub(1)
                .ok_or_else(|| format!("{id} delivered to a pull consumer without a pull"))?;
        } else if sub.held.iter().filter(|h| h.in_window).count() as u32 >= sub.prefetch {
            return Err(format!(
                "{id} delivered past the prefetch window of {}",
                sub.prefetch
            ));
        }
        sub.held.push(Held {
            copy,
            in_window: true,
        });
        let c = &mut self.ledger.copies[copy];
        c.state = State::InFlight(slot);
        c.delivered = true;
        self.group_delivery(d.consumer, copy, exclusive.is_some())
    }

    /// The consumer of durable subscriber `index`, if it is online.
    pub fn durable_consumer(&self, index: usize) -> Option<ConsumerId> {
        let subs = self.slots.iter().flatten().flat_map(|c| c.subs.iter());
        let mut durable = subs
            .filter(|s| matches!(s.single(), Some(Target::Durable { index: i, .. }) if i == index));
        durable.next().map(|s| s.cid)
    }

    /// Some live consumer taking from `target`'s buffer.
    pub fn consumer_covering(&self, target: Target) -> Option<ConsumerId> {
        let mut subs = self.slots.iter().flatten().flat_map(|c| c.subs.iter());
        subs.find(|s| s.covers(target)).map(|s| s.cid)
    }

    /// The buffer a delivery came from: the consumer's one, or for a
    /// wildcard consumer the queue the message names.
    fn delivered_from(&self, slot: usize, d: &Delivery) -> Result<Target, String> {
        let client = self.client(slot)?;
        let sub = client.subs.iter().find(|s| s.cid == d.consumer);
        match sub.map(|s| s.source) {
            Some(Source::One(t)) => Ok(t),
            Some(Source::AllQueues) => {
                let name = &*d.message.destination.name;
                let q = QUEUES.iter().position(|n| *n == name);
                q.map(Target::Queue)
                    .ok_or_else(|| format!("wildcard consumer {} got {name}", d.consumer))
            }
            None => Err(format!(
                "delivery to consumer {} that is closed",
                d.consumer
            )),
        }
    }

    /// The consumer that alone may receive from `target` if it is a
    /// queue: the oldest exclusive one taking from it, if any.
    pub fn exclusive_consumer(&self, target: Target) -> Option<ConsumerId> {
        if !matches!(target, Target::Queue(_)) {
            return None;
        }
        let subs = self.slots.iter().flatten().flat_map(|c| c.subs.iter());
        subs.filter(|s| s.exclusive && s.covers(target))
            .map(|s| s.cid)
            .min()
    }

    /// Sends one ack for the message at `pos` of what consumer `at` of the
    /// slot holds (inside the slot's transaction when `transacted`), then
    /// records it.
    pub fn ack(
        &mut self,
        slot: usize,
        at: usize,
        kind: AckKind,
        pos: usize,
        transacted: bool,
    ) -> Check {
        let client = self.client(slot)?;
        let sub = client.subs.get(at).ok_or("ack without a consumer")?;
        let held = sub.held.get(pos).ok_or("ack past what is held")?;
        let id = broker::MessageId::from(self.ledger.msg_of(held.copy).id.clone());
        let (cid, conn) = (sub.cid, client.conn);
        let tx = match &client.tx {
            Some(t) if transacted && !t.prepared => Some(t.id.clone()),
            _ => None,
        };
        let ack = match kind {
            AckKind::Cumulative => Ack::Cumulative(id),
            AckKind::Individual => Ack::Individual(id),
            AckKind::Delivered => Ack::Delivered(id),
            AckKind::Poison => Ack::Poison {
                id,
                cause: Some("simulated".into()),
            },
        };
        self.broker
            .ack(cid, ack.clone(), tx.as_ref())
            .map_err(|e| format!("{ack:?} refused: {e}"))?;
        self.confirm(conn)?;
        // Field access, not `client_mut`, so the ledger can be borrowed too.
        let client = self.slots[slot].as_mut().ok_or("client vanished")?;
        let sub = client.subs.get_mut(at).ok_or("consumer vanished")?;
        let taken: Vec<Held> = match kind {
            AckKind::Cumulative => sub.held.drain(..=pos).collect(),
            AckKind::Individual | AckKind::Poison => vec![sub.held.remove(pos)],
            AckKind::Delivered => {
                sub.held[..=pos]
                    .iter_mut()
                    .for_each(|h| h.in_window = false);
                Vec::new()
            }
        };
        for h in taken {
            if kind == AckKind::Poison {
                self.ledger.dead_letter(h.copy);
            } else if tx.is_some() {
                client.tx_acked.push((h.copy, cid));
                self.ledger.copies[h.copy].state = State::TxAcked(slot);
            } else {
                self.ledger.copies[h.copy].state = State::Consumed;
            }
        }
        Ok(())
    }
}
