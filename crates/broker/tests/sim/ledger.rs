//! The simulator's own account of every accepted message: one [`Copy`] per
//! buffer it was routed to (a queue, or one topic subscription), and where
//! that copy is now. The invariants compare this account with what the
//! broker shows and delivers.

use std::collections::HashMap;

/// Where a copy of a message lives in the broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Queue number `n` (see `world::QUEUES`).
    Queue(usize),
    /// Durable subscriber `n`, in its `generation`-th incarnation: a removed
    /// and re-created subscription is a new buffer, and copies of the old
    /// one die with it.
    Durable { index: usize, generation: u32 },
    /// A non-durable subscription to topic number `topic`, numbered by the
    /// simulator.
    Subscription { id: u64, topic: usize },
    /// A temporary queue, numbered by the simulator.
    Temp(u64),
}

/// The `color` property every simulated message carries, for selectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Red,
    Blue,
}

impl Color {
    pub fn name(self) -> &'static str {
        match self {
            Color::Red => "red",
            Color::Blue => "blue",
        }
    }

    /// The JMS selector that selects this color.
    pub fn selector(self) -> String {
        format!("color = '{}'", self.name())
    }
}

/// Whether a consumer with this selector (a color, or none) takes `color`.
pub fn selects(selector: Option<Color>, color: Color) -> bool {
    selector.is_none_or(|s| s == color)
}

/// A message the broker accepted (a plain send, or a committed one).
#[derive(Debug)]
pub struct Sent {
    pub id: String,
    pub persistent: bool,
    /// JMSExpiration; 0 for never.
    pub expiration: i64,
    pub producer: usize,
    pub color: Color,
    /// Message group (queue only) and whether this message closes it.
    pub group: Option<(u8, bool)>,
    /// Position among what `producer` had accepted, for the order invariant.
    pub order: u64,
}

impl Sent {
    pub fn expired_at(&self, now: i64) -> bool {
        self.expiration > 0 && now >= self.expiration
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// In the broker, not handed to any consumer (or handed back).
    Waiting,
    /// Delivered to the consumer in this slot, not acknowledged.
    InFlight(usize),
    /// Acknowledged inside the open transaction of the client in this slot.
    TxAcked(usize),
    /// Acknowledged for good: must never be seen again.
    Consumed,
    /// Poisoned by its consumer: in the DLQ if persistent, else dropped.
    DeadLettered,
    /// Its buffer went away with its subscription (a non-durable subscriber
    /// left, or a durable one was removed): JMS discards it.
    Ended,
}

#[derive(Debug)]
pub struct Copy {
    /// Index into [`Ledger::sent`]; also the copy's arrival order, which
    /// within one buffer is the order of the broker's sequence numbers.
    pub msg: usize,
    pub target: Target,
    pub state: State,
    /// Times it was handed back to its buffer: the redelivery count the
    /// broker must report on its next delivery.
    pub returns: u32,
    pub delivered: bool,
}

#[derive(Default)]
pub struct Ledger {
    pub sent: Vec<Sent>,
    pub copies: Vec<Copy>,
    index: HashMap<(String, Target), usize>,
    /// Poisoned persistent copies not yet taken from the DLQ, by message id.
    pub dlq_owed: HashMap<String, usize>,
}

impl Ledger {
    /// Records an accepted message and its copies; returns the message index.
    pub fn accept(&mut self, sent: Sent, targets: &[Target]) -> usize {
        let msg = self.sent.len();
        for &target in targets {
            self.index
                .insert((sent.id.clone(), target), self.copies.len());
            self.copies.push(Copy {
                msg,
                target,
                state: State::Waiting,
                returns: 0,
                delivered: false,
            });
        }
        self.sent.push(sent);
        msg
    }

    /// Every copy of a message and its state, for failure reports.
    pub fn describe(&self, id: &str) -> String {
        let copies: Vec<String> = self
            .copies
            .iter()
            .filter(|c| self.sent[c.msg].id == id)
            .map(|c| format!("{:?} {:?} returns {}", c.target, c.state, c.returns))
            .collect();
        format!(
            "{id}: {:?} copies [{}]",
            self.sent.iter().find(|s| s.id == id),
            copies.join("; ")
        )
    }

    pub fn find(&self, id: &str, target: Target) -> Option<usize> {
        self.index.get(&(id.to_string(), target)).copied()
    }

    pub fn msg_of(&self, copy: usize) -> &Sent {
        &self.sent[self.copies[copy].msg]
    }

    /// A copy goes back to its buffer, to be redelivered flagged.
    pub fn hand_back(&mut self, copy: usize) {
        let c = &mut self.copies[copy];
        c.state = State::Waiting;
        c.returns += 1;
    }

    /// Every copy still waiting in `target` ends (its buffer is gone).
    pub fn end_target(&mut self, target: Target) {
        for c in &mut self.copies {
            if c.target == target && c.state == State::Waiting {
                c.state = State::Ended;
            }
        }
    }

    /// A poisoned copy: persistent ones are owed to the DLQ.
    pub fn dead_letter(&mut self, copy: usize) {
        self.copies[copy].state = State::DeadLettered;
        let sent = self.msg_of(copy);
        if sent.persistent {
            let id = sent.id.clone();
            *self.dlq_owed.entry(id).or_insert(0) += 1;
        }
    }

    /// Copies of `target` waiting in the broker: (all, not expired at `now`).
    pub fn waiting_in(&self, target: Option<Target>, now: i64) -> (usize, usize) {
        let mut all = 0;
        let mut live = 0;
        for c in &self.copies {
            if c.state != State::Waiting || target.is_some_and(|t| t != c.target) {
                continue;
            }
            all += 1;
            if !self.sent[c.msg].expired_at(now) {
                live += 1;
            }
        }
        (all, live)
    }

    /// Persistent copies that expired while waiting: the broker may have
    /// moved them to the DLQ, by message id. (Waiting or since ended: one
    /// that went to the DLQ before its subscription ended counts too.)
    pub fn expired_persistent(&self, now: i64) -> HashMap<&str, usize> {
        let mut out: HashMap<&str, usize> = HashMap::new();
        for c in &self.copies {
            let s = &self.sent[c.msg];
            let waited = matches!(c.state, State::Waiting | State::Ended);
            if waited && s.persistent && s.expired_at(now) {
                *out.entry(s.id.as_str()).or_insert(0) += 1;
            }
        }
        out
    }
}
