//! Messages that reach this broker over the network more than once.
//!
//! In a network with cycles (a triangle of brokers, each bridged to both
//! others) a topic message can arrive by two routes, and a bridge that
//! lost the peer's answer to a forwarded message sends it again. Every
//! forward keeps the message's id, so the second arrival is recognised
//! and dropped here (the sender's send still succeeds: this broker has
//! the message). Only messages that came over a bridge (with a broker
//! path) are audited; a client's own sends never are.
//!
//! The audit remembers the most recent arrivals only: a duplicate that
//! comes later than that, or after a restart, is delivered (as a
//! redelivery when a bridge re-sent it).

use std::collections::{HashSet, VecDeque};

use crate::destination::Destination;
use crate::message::{Message, MessageId};

/// How many network arrivals are remembered.
const DEPTH: usize = 32 * 1024;

#[derive(Default)]
pub(crate) struct NetworkAudit {
    seen: HashSet<(Destination, MessageId)>,
    /// Arrival order, to forget the oldest first.
    order: VecDeque<(Destination, MessageId)>,
}

impl NetworkAudit {
    /// Whether `m` is new here; remembers it. Messages without a broker
    /// path are always new and not remembered, and so is one coming back
    /// here (`own_id` on its path): a queue message replayed to where its
    /// consumers went, which may come back more than once.
    pub fn first_arrival(&mut self, m: &Message, own_id: &str) -> bool {
        let path = m.broker_path.as_deref().unwrap_or_default();
        if path.is_empty() || path.iter().any(|b| &**b == own_id) {
            return true;
        }
        let key = (m.destination.clone(), m.id.clone());
        if !self.seen.insert(key.clone()) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > DEPTH {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }
}
