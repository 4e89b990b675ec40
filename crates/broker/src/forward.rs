//! What a network bridge's consumer must not be offered.
//!
//! A bridge forwards what its consumer receives to one peer broker. Some
//! messages must never reach that consumer: one that already passed
//! through the peer (it would loop), one that travelled as many hops as
//! the network allows, and the consumer advisories the bridges interpret
//! themselves. As ActiveMQ's NetworkBridgeFilter, this is decided where a
//! selector is, so a queue message the bridge may not take stays for the
//! other consumers instead of being taken and dropped.

use std::sync::Arc;

use crate::destination::DestinationKind;
use crate::message::Message;

/// The rule for one bridge consumer (ActiveMQ's NetworkBridgeFilter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardFilter {
    /// The broker id the bridge forwards to.
    pub peer: Arc<str>,
    /// How many brokers a message may have passed through (its broker
    /// path's length) and still be forwarded; negative: no limit.
    pub message_ttl: i32,
    /// A queue message that came from the peer may go back to it while
    /// this broker has no consumer of its own for the queue (ActiveMQ's
    /// ConditionalNetworkBridgeFilter replayWhenNoConsumers): messages
    /// follow consumers that moved, instead of staying stranded here.
    pub replay_when_no_consumers: bool,
}

/// Advisory topics whose messages the bridges interpret (they announce
/// demand); forwarding them would duplicate the demand they describe.
const INTERPRETED_ADVISORIES: [&str; 3] = [
    "ActiveMQ.Advisory.Consumer.",
    "ActiveMQ.Advisory.TempQueue",
    "ActiveMQ.Advisory.TempTopic",
];

impl ForwardFilter {
    /// Whether the bridge consumer may take `m`; `no_local_consumers`:
    /// the queue it waits in has no consumer but bridges.
    pub fn passes(&self, m: &Message, no_local_consumers: bool) -> bool {
        let path = m.broker_path.as_deref().unwrap_or(&[]);
        if path.iter().any(|b| **b == *self.peer) {
            // A replay back where it came from, never bouncing: only while
            // nobody here could take it.
            return self.replay_when_no_consumers
                && m.destination.kind == DestinationKind::Queue
                && no_local_consumers;
        }
        let hops = i64::try_from(path.len()).unwrap_or(i64::MAX);
        if self.message_ttl >= 0 && hops >= i64::from(self.message_ttl) {
            return false;
        }
        !interpreted_by_bridges(&m.destination)
    }
}

/// ActiveMQ's isAdvisoryInterpretedByNetworkBridge: the consumer and
/// temporary-destination advisory topics, which bridges read as demand.
pub fn interpreted_by_bridges(d: &crate::destination::Destination) -> bool {
    d.kind == DestinationKind::Topic && INTERPRETED_ADVISORIES.iter().any(|p| d.name.starts_with(p))
}
