//! A deterministic simulator of networks of brokers.
//!
//! Each seed builds 2 to 5 real broker cores ([`broker::Broker`], memory
//! store) joined by bridges running the real bridge code
//! ([`network::half::BridgeHalf`] and its demand bookkeeping) over an
//! in-memory link: what a half sends its peer waits in the link until a
//! step delivers it, translated by the real OpenWire adapter
//! (`to_wire`/`to_core`), and the peer's answers come back the same way.
//! The topology is a line, a ring or a full mesh, with `networkTTL` high
//! enough to cross it. Steps, chosen by the seed: producers send (to a
//! queue and a topic, persistent or not), consumers come and go on any
//! broker, links deliver some of what is in flight in either direction,
//! and links fail (what is in flight is lost, both ends drop the bridge:
//! the un-answered forwards go back to their queues) and come back.
//!
//! Invariants, checked as each delivery arrives:
//! - a copy a consumer receives again is flagged redelivered (a topic
//!   subscriber never sees one twice: the receiving broker's network
//!   audit drops the repeat);
//! - no topic message loops: its broker path never names a broker twice
//!   (a queue message may go back where it came from once its consumers
//!   moved there: replayWhenNoConsumers).
//!
//! At the end every link comes back, every broker gets a queue consumer,
//! and the network is pumped until quiet: every queue message sent must
//! have been consumed somewhere (nothing accepted is lost, none stranded
//! in flight).
//!
//! Replay one seed with its step log: `SIM_SEED=1234 cargo test -p
//! ferrum-network --test sim -- --nocapture`; more seeds: `SIM_SEEDS=20000`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use broker::{
    Ack, Body, Broker, BrokerConfig, ConnectInfo, ConnectionId, ConsumerId, Destination, Event,
    EventReceiver, MemoryStore, Message, MessageId, SubscribeRequest,
};
use network::bridge::SessionSettings;
use network::demand::DemandRules;
use network::half::{BridgeHalf, Out};
use network::status::BridgeStatus;
use network::wire::{self, BridgeIds};

/// SplitMix64: the same sequence everywhere, so a seed replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn queue() -> Destination {
    Destination::queue("sim.q")
}
fn topic() -> Destination {
    Destination::topic("sim.t")
}

/// A bridge from broker `from` to broker `to` while it is up.
struct Link {
    from: usize,
    to: usize,
    up: Option<Session>,
}

struct Session {
    half: BridgeHalf,
    /// The half's local connection on `from` and its events.
    local: ConnectionId,
    local_events: EventReceiver,
    /// On `to`: the connection the forwards arrive on, and its advisory
    /// consumer (what the half's advisory ConsumerInfo asks for).
    remote: ConnectionId,
    remote_events: EventReceiver,
    /// Commands in flight from the half to the peer, and answers back.
    outbound: VecDeque<Out>,
    answers: VecDeque<(u64, Result<(), String>)>,
}

struct Consumer {
    broker: usize,
    conn: ConnectionId,
    id: ConsumerId,
    events: EventReceiver,
    dest: Destination,
    /// How many times each message id arrived here.
    seen: HashMap<String, u32>,
}

struct World {
    rng: Rng,
    brokers: Vec<Arc<Broker>>,
    ids: Vec<Arc<str>>,
    links: Vec<Link>,
    consumers: Vec<Consumer>,
    producers: Vec<ConnectionId>,
    /// Queue messages sent, and how often each was consumed.
    sent: BTreeMap<String, u32>,
    next_message: u64,
    log: bool,
    settings: Vec<Arc<SessionSettings>>,
}

fn settings(local_id: &Arc<str>, ttl: i32) -> SessionSettings {
    SessionSettings {
        connector_name: "NC".into(),
        local_id: Arc::clone(local_id),
        local_name: local_id.to_string(),
        client_id: format!("NC_{local_id}_outbound"),
        duplex: false,
        user: None,
        password: None,
        advisory_topics: "ActiveMQ.Advisory.Consumer.>".into(),
        advisory_prefetch: 1000,
        always_sync_send: true,
        network_properties: String::new(),
        rules: DemandRules {
            local_broker: Arc::clone(local_id),
            local_name: local_id.to_string(),
            consumer_ttl: ttl,
            message_ttl: ttl,
            conduit: true,
            decrease_priority: false,
            consumer_priority_base: -5,
            prefetch: 10,
            bridge_temp_destinations: false,
            suppress_duplicate_queues: false,
            suppress_duplicate_topics: true,
            excluded: Vec::new(),
            statically_included: Vec::new(),
            dynamically_included: Vec::new(),
        },
    }
}

impl World {
    fn new(seed: u64, log: bool) -> World {
        let mut rng = Rng(seed);
        let n = 2 + rng.below(4);
        let brokers: Vec<Arc<Broker>> = (0..n)
            .map(|i| {
                let config = BrokerConfig {
                    name: format!("b{i}"),
                    ..BrokerConfig::default()
                };
                Arc::new(Broker::new(config, Box::new(MemoryStore::new())))
            })
            .collect();
        let ids: Vec<Arc<str>> = brokers.iter().map(|b| Arc::from(b.broker_id())).collect();
        // A line (ttl n-1), a ring (ttl n/2+1) or a full mesh (ttl 1..2),
        // bridged both ways.
        let shape = rng.below(3);
        let mut pairs = Vec::new();
        for i in 0..n {
            for j in 0..n {
                let adjacent = match shape {
                    0 => i + 1 == j || j + 1 == i,
                    1 => (i + 1) % n == j || (j + 1) % n == i,
                    _ => true,
                };
                if i != j && adjacent {
                    pairs.push((i, j));
                }
            }
        }
        let ttl = match shape {
            0 => n as i32 - 1,
            1 => n as i32 / 2 + 1,
            _ => 1 + rng.below(2) as i32,
        };
        let settings = ids.iter().map(|id| Arc::new(settings(id, ttl))).collect();
        let mut w = World {
            rng,
            brokers,
            ids,
            links: pairs
                .into_iter()
                .map(|(from, to)| Link { from, to, up: None })
                .collect(),
            consumers: Vec::new(),
            producers: Vec::new(),
            sent: BTreeMap::new(),
            next_message: 0,
            log,
            settings,
        };
        if log {
            eprintln!("{n} brokers, shape {shape}, ttl {ttl}");
        }
        for b in 0..n {
            let (conn, _) = w.connect(b);
            w.producers.push(conn);
        }
        for l in 0..w.links.len() {
            w.link_up(l);
        }
        w
    }

    fn connect(&self, b: usize) -> (ConnectionId, EventReceiver) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let info = ConnectInfo {
            client_id: None,
            login: None,
            label: None,
            native: None,
        };
        (self.brokers[b].connect(info, tx).expect("connect"), rx)
    }

    fn link_up(&mut self, l: usize) {
        let (from, to) = (self.links[l].from, self.links[l].to);
        let (local, local_events) = self.connect(from);
        let (remote, remote_events) = self.connect(to);
        let mut req = SubscribeRequest::new(Destination::topic("ActiveMQ.Advisory.Consumer.>"));
        req.prefetch = 1_000_000;
        self.brokers[to]
            .subscribe(remote, req)
            .expect("advisory consumer");
        let mut half = BridgeHalf::new(
            Arc::clone(&self.brokers[from]),
            local,
            Arc::clone(&self.settings[from]),
            Arc::new(BridgeStatus::new(format!("b{to}"))),
            BridgeIds {
                connection: format!("{}-link-{l}", self.ids[from]),
            },
        );
        half.start(Arc::clone(&self.ids[to]), &format!("b{to}"))
            .expect("start");
        self.links[l].up = Some(Session {
            half,
            local,
            local_events,
            remote,
            remote_events,
            outbound: VecDeque::new(),
            answers: VecDeque::new(),
        });
        if self.log {
            eprintln!("link b{from}->b{to} up");
        }
    }

    /// The connection fails: what is in flight is lost; both ends drop the
    /// bridge (the un-answered forwards go back to their queues).
    fn link_down(&mut self, l: usize) {
        let (from, to) = (self.links[l].from, self.links[l].to);
        if let Some(mut s) = self.links[l].up.take() {
            s.half.stop();
            self.brokers[from].disconnect(s.local);
            self.brokers[to].disconnect(s.remote);
            if self.log {
                eprintln!(
                    "link b{from}->b{to} down ({} in flight lost)",
                    s.outbound.len()
                );
            }
        }
    }

    fn send(&mut self) {
        let b = self.rng.below(self.brokers.len());
        let to_queue = self.rng.chance(70);
        let dest = if to_queue { queue() } else { topic() };
        self.next_message += 1;
        let id = format!("ID:sim-{}:1:1:1:{}", b, self.next_message);
        let mut m = Message::new(
            MessageId::from(id.as_str()),
            dest,
            Body::Text(Arc::from("x")),
        );
        m.persistent = self.rng.chance(50);
        self.brokers[b]
            .send(self.producers[b], m, None)
            .expect("send");
        if to_queue {
            self.sent.insert(id.clone(), 0);
        }
        if self.log {
            eprintln!(
                "send {id} at b{b} to {}",
                if to_queue { "queue" } else { "topic" }
            );
        }
    }

    fn subscribe(&mut self, b: usize, dest: Destination) {
        let (conn, events) = self.connect(b);
        let mut req = SubscribeRequest::new(dest.clone());
        req.prefetch = 1 + self.rng.below(5) as u32;
        let id = self.brokers[b].subscribe(conn, req).expect("subscribe");
        if self.log {
            eprintln!("consumer {id:?} on {dest} at b{b}");
        }
        self.consumers.push(Consumer {
            broker: b,
            conn,
            id,
            events,
            dest,
            seen: HashMap::new(),
        });
    }

    fn unsubscribe(&mut self) {
        if self.consumers.is_empty() {
            return;
        }
        let c = self.consumers.remove(self.rng.below(self.consumers.len()));
        self.brokers[c.broker].disconnect(c.conn);
        if self.log {
            eprintln!("consumer {:?} at b{} gone", c.id, c.broker);
        }
    }

    /// Delivers up to a few commands of a link in one direction.
    fn pump_link(&mut self, l: usize, budget: usize) {
        let to = self.links[l].to;
        let Some(s) = self.links[l].up.as_mut() else {
            return;
        };
        // Local events of the half's consumers on `from`.
        while let Ok(e) = s.local_events.try_recv() {
            s.half.on_local(e);
        }
        // Advisories on `to` for the half.
        while let Ok(e) = s.remote_events.try_recv() {
            if let Event::Deliver(d) = e {
                let _ =
                    self.brokers[to].ack(d.consumer, Ack::Individual(d.message.id.clone()), None);
                let wire_msg = openwire_adapter::to_wire(&d.message, 0, 0);
                if let Some(m) = wire::as_message(&wire_msg) {
                    s.half.on_advisory_message(m, None).expect("advisory");
                }
            }
        }
        s.outbound.extend(s.half.take_out());
        for _ in 0..budget {
            let Some(out) = s.outbound.pop_front() else {
                break;
            };
            let (cmd, ticket) = match out {
                Out::Send(cmd) => (cmd, None),
                Out::Request(cmd, t) => (cmd, Some(t)),
            };
            if let Some(m) = wire::as_message(&cmd) {
                let message = openwire_adapter::to_core(cmd.data_type(), m).expect("to_core");
                let path = message.broker_path.clone().unwrap_or_else(|| Arc::from([]));
                let mut names: Vec<&Arc<str>> = path.iter().collect();
                names.sort();
                names.dedup();
                // Queue messages may go back where they came from when
                // their consumers moved (replayWhenNoConsumers); a topic
                // message never passes a broker twice.
                if message.destination == topic() {
                    assert_eq!(names.len(), path.len(), "a topic message looped: {path:?}");
                }
                if self.log {
                    eprintln!(
                        "  ->b{to}: {} path {path:?} redelivery {}",
                        message.id, m.redelivery_counter
                    );
                }
                self.brokers[to]
                    .send(s.remote, message, None)
                    .expect("forward");
            }
            if let Some(t) = ticket {
                s.answers.push_back((t, Ok(())));
            }
        }
        // Answers travel back.
        while let Some((t, outcome)) = s.answers.pop_front() {
            s.half.on_answer(t, outcome).expect("answer");
        }
        while let Ok(e) = s.local_events.try_recv() {
            s.half.on_local(e);
        }
    }

    /// Consumers take what arrived and ack it; checks the invariants.
    fn consume(&mut self) {
        for c in &mut self.consumers {
            while let Ok(e) = c.events.try_recv() {
                let Event::Deliver(d) = e else { continue };
                let id = d.message.id.as_str().to_string();
                if self.log {
                    eprintln!(
                        "  consumer {:?} at b{} got {id} redelivered={}",
                        c.id,
                        c.broker,
                        d.redelivered()
                    );
                }
                let n = c.seen.entry(id.clone()).or_insert(0);
                *n += 1;
                if c.dest == topic() {
                    assert_eq!(*n, 1, "topic subscriber got {id} twice");
                }
                if *n > 1 {
                    assert!(d.redelivered(), "{id} again, unflagged");
                }
                if c.dest == queue() {
                    let count = self.sent.get_mut(&id).expect("known message");
                    assert!(
                        *count == 0 || d.redelivered(),
                        "{id} consumed twice, unflagged"
                    );
                    *count += 1;
                }
                self.brokers[c.broker]
                    .ack(c.id, Ack::Individual(d.message.id.clone()), None)
                    .expect("ack");
            }
        }
    }

    fn step(&mut self) {
        match self.rng.below(100) {
            0..=29 => self.send(),
            30..=39 => {
                let b = self.rng.below(self.brokers.len());
                let dest = if self.rng.chance(60) {
                    queue()
                } else {
                    topic()
                };
                self.subscribe(b, dest);
            }
            40..=44 => self.unsubscribe(),
            45..=47 => {
                let l = self.rng.below(self.links.len());
                self.link_down(l);
            }
            48..=52 => {
                let l = self.rng.below(self.links.len());
                if self.links[l].up.is_none() {
                    self.link_up(l);
                }
            }
            _ => {
                let l = self.rng.below(self.links.len());
                let budget = 1 + self.rng.below(8);
                self.pump_link(l, budget);
            }
        }
        self.consume();
    }

    /// Everything heals; each broker gets a queue consumer; pumped quiet.
    fn finale(&mut self) {
        for l in 0..self.links.len() {
            if self.links[l].up.is_none() {
                self.link_up(l);
            }
        }
        for b in 0..self.brokers.len() {
            self.subscribe(b, queue());
        }
        for _ in 0..10_000 {
            for l in 0..self.links.len() {
                self.pump_link(l, 1000);
            }
            self.consume();
            if self.sent.values().all(|c| *c > 0) {
                break;
            }
        }
        let lost: Vec<&String> = self
            .sent
            .iter()
            .filter(|(_, c)| **c == 0)
            .map(|(id, _)| id)
            .collect();
        let where_: Vec<String> = self
            .brokers
            .iter()
            .map(|b| {
                format!(
                    "depth {} inflight {}",
                    b.queue_depth(&queue()),
                    b.stats().inflight_messages
                )
            })
            .collect();
        assert!(
            lost.is_empty(),
            "{} queue messages never consumed, e.g. {:?}; brokers: {where_:?}",
            lost.len(),
            &lost[..lost.len().min(5)]
        );
    }
}

fn run(seed: u64, log: bool) {
    let mut w = World::new(seed, log);
    let steps = 200 + w.rng.below(300);
    for _ in 0..steps {
        w.step();
    }
    w.finale();
}

#[test]
fn networks_of_brokers_lose_nothing_and_never_deliver_twice_unflagged() {
    if let Ok(seed) = std::env::var("SIM_SEED") {
        run(seed.parse().expect("SIM_SEED is a number"), true);
        return;
    }
    let seeds: u64 = std::env::var("SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    for seed in 0..seeds {
        let outcome = std::panic::catch_unwind(|| run(seed, false));
        if outcome.is_err() {
            panic!("seed {seed} failed; replay: SIM_SEED={seed} cargo test -p ferrum-network --test sim -- --nocapture");
        }
    }
}
