//! Advisories about clients, as ActiveMQ's AdvisoryBroker publishes them
//! whatever the client's protocol: connections
//! (`ActiveMQ.Advisory.Connection`), consumers and producers
//! (`ActiveMQ.Advisory.Consumer.Queue.<name>`, `…Producer.Topic.<name>`,
//! with `consumerCount` / `producerCount`), and temporary destinations
//! (`ActiveMQ.Advisory.TempQueue`, `…TempTopic`).
//!
//! A new subscriber of one of these topics is first told what already
//! exists (the connections, consumers, producers or temporary destinations
//! its topic covers), and only it: a network bridge or a Java client
//! learns the current state that way.
//!
//! Consumers are also demand (`demand.rs`): watchers hear of them here.

use std::sync::Arc;

use crate::advisory::{advisory_topic, ADVISORY_PREFIX};
use crate::buffer::{BufferId, Owner};
use crate::core::Core;
use crate::demand::{interests, DemandEvent};
use crate::destination::Destination;
use crate::message::{Subject, Value};
use crate::ConsumerId;
use model::{ConnectionAbout, ConsumerAbout, ProducerAbout};

const CONNECTION_TOPIC: &str = "ActiveMQ.Advisory.Connection";
const TEMP_QUEUE_TOPIC: &str = "ActiveMQ.Advisory.TempQueue";
const TEMP_TOPIC_TOPIC: &str = "ActiveMQ.Advisory.TempTopic";
const CONSUMER_PREFIX: &str = "ActiveMQ.Advisory.Consumer.";
const PRODUCER_PREFIX: &str = "ActiveMQ.Advisory.Producer.";

/// An advisory not yet made into a message.
type Pending = (Destination, Subject, Vec<(&'static str, Value)>);

fn is_advisory(dest: &Destination) -> bool {
    dest.name.starts_with(ADVISORY_PREFIX)
}

impl Core {
    /// A network bridge to `peer_name` started or stopped, as ActiveMQ's
    /// AdvisoryBroker.networkBridgeStarted/Stopped announce it.
    pub(crate) fn advise_network_bridge(&mut self, bridge: &NetworkBridgeEvent) {
        let topic = Destination::topic("ActiveMQ.Advisory.NetworkBridge");
        if !self.dests.has_subscribers(&topic) {
            return;
        }
        let mut props = vec![("started", Value::Bool(bridge.started))];
        if bridge.started {
            props.push(("createdByDuplex", Value::Bool(bridge.created_by_duplex)));
            props.push((
                "remoteIp",
                Value::String(Arc::clone(&bridge.remote_address)),
            ));
        }
        let subject = Subject::NetworkBridge {
            peer_name: Arc::clone(&bridge.peer_name),
            peer_id: Arc::clone(&bridge.peer_id),
        };
        self.publish(topic, Some(subject), props);
    }

    pub(crate) fn advise_connection(&mut self, about: &Arc<ConnectionAbout>, removed: bool) {
        let topic = Destination::topic(CONNECTION_TOPIC);
        if !self.dests.has_subscribers(&topic) {
            return;
        }
        let subject = Subject::Connection {
            connection: Arc::clone(about),
            removed,
        };
        self.publish(topic, Some(subject), Vec::new());
    }

    pub(crate) fn advise_producer(&mut self, about: &Arc<ProducerAbout>, removed: bool) {
        let Some(topic) = self.listened("Producer", &about.destination) else {
            return;
        };
        let (topic, subject, props) = self.producer_advisory(topic, about, removed);
        self.publish(topic, Some(subject), props);
    }

    pub(crate) fn advise_temporary(&mut self, dest: &Destination, owner: &Arc<str>, removed: bool) {
        let (topic, subject) = temporary_advisory(dest, owner, removed);
        if self.dests.has_subscribers(&topic) {
            self.publish(topic, Some(subject), Vec::new());
        }
    }

    /// A consumer was added: demand watchers hear of it, advisory
    /// subscribers too, and if it subscribes to advisories it is told what
    /// exists already.
    pub(crate) fn consumer_added(&mut self, cid: ConsumerId) {
        let Some(c) = self.registry.consumer(cid) else {
            return;
        };
        let (about, parts) = (Arc::clone(&c.about), c.parts.clone());
        if self.demand.any() {
            for interest in interests(cid, &parts, &about) {
                self.demand.tell(&DemandEvent::Added(interest));
            }
        }
        if is_advisory(&about.destination) {
            self.replay_to(cid, &parts);
        } else {
            self.advise_consumer(&about, false);
        }
    }

    /// A consumer is gone (its buffers no longer name it).
    pub(crate) fn consumer_removed(
        &mut self,
        cid: ConsumerId,
        about: &Arc<ConsumerAbout>,
        parts: &[Destination],
    ) {
        if self.demand.any() {
            for interest in interests(cid, parts, about) {
                self.demand.tell(&DemandEvent::Removed(interest));
            }
        }
        if !is_advisory(&about.destination) {
            self.advise_consumer(about, true);
        }
    }

    /// A durable subscription on `topic` was deleted: ActiveMQ tells the
    /// topic's consumer advisory topic, with the count that remains.
    pub(crate) fn advise_subscription_removed(
        &mut self,
        topic: &Destination,
        client_id: &Arc<str>,
        name: &Arc<str>,
    ) {
        let Some(advisory) = self.listened("Consumer", topic) else {
            return;
        };
        let count = self.consumer_count(topic);
        let subject = Subject::SubscriptionRemoved {
            topic: topic.clone(),
            client_id: Arc::clone(client_id),
            name: Arc::clone(name),
        };
        self.publish(
            advisory,
            Some(subject),
            vec![("consumerCount", Value::Int(count))],
        );
    }

    fn advise_consumer(&mut self, about: &Arc<ConsumerAbout>, removed: bool) {
        let Some(topic) = self.listened("Consumer", &about.destination) else {
            return;
        };
        let (topic, subject, props) = self.consumer_advisory(topic, about, removed);
        self.publish(topic, Some(subject), props);
    }

    fn consumer_advisory(
        &self,
        topic: Destination,
        about: &Arc<ConsumerAbout>,
        removed: bool,
    ) -> Pending {
        let count = self.consumer_count(&about.destination);
        let subject = Subject::Consumer {
            consumer: Arc::clone(about),
            removed,
        };
        (topic, subject, vec![("consumerCount", Value::Int(count))])
    }

    fn producer_advisory(
        &self,
        topic: Destination,
        about: &Arc<ProducerAbout>,
        removed: bool,
    ) -> Pending {
        let count = self
            .registry
            .producers()
            .iter()
            .filter(|(_, p)| p.about.destination == about.destination)
            .count();
        let subject = Subject::Producer {
            producer: Arc::clone(about),
            removed,
        };
        let count = i32::try_from(count).unwrap_or(i32::MAX);
        (topic, subject, vec![("producerCount", Value::Int(count))])
    }

    /// Consumers of `dest` as ActiveMQ counts them for `consumerCount`: on
    /// every existing destination it covers. A composite destination names
    /// no destination of its own, so ActiveMQ counts 0 there, and so do we.
    /// A durable subscription counts as one consumer of its topic whether
    /// its subscriber is connected or not (ActiveMQ keeps it among the
    /// topic's consumers until it is deleted).
    fn consumer_count(&self, dest: &Destination) -> i32 {
        let bids: Vec<BufferId> = if dest.composite_parts().is_some() {
            Vec::new()
        } else if dest.is_queue() {
            self.dests
                .queues()
                .filter(|(q, _)| *q == dest || (dest.is_wildcard() && dest.matches(q)))
                .map(|(_, b)| *b)
                .collect()
        } else {
            self.dests.topic_subscriptions(dest)
        };
        let n: usize = bids
            .iter()
            .filter_map(|b| self.dests.buffer(*b))
            .map(|b| match b.owner {
                Owner::Subscription {
                    durable: Some(_), ..
                } => 1,
                _ => b.consumers.len(),
            })
            .sum();
        i32::try_from(n).unwrap_or(i32::MAX)
    }

    /// Every consumer's interests, oldest consumer first.
    pub(crate) fn current_demand(&self) -> Vec<Arc<crate::Interest>> {
        self.registry
            .consumers()
            .into_iter()
            .flat_map(|(id, c)| interests(id, &c.parts, &c.about))
            .collect()
    }

    /// Tells a new advisory subscriber what exists already: only it, on
    /// the subscription buffers whose topic covers each advisory.
    fn replay_to(&mut self, cid: ConsumerId, parts: &[Destination]) {
        let mut pending: Vec<Pending> = Vec::new();
        // A wildcard subscription (`ActiveMQ.Advisory.>`) may cover any of
        // them: each advisory is checked against it on delivery below.
        let wildcard = parts.iter().any(Destination::is_wildcard);
        let wants = |p: &dyn Fn(&str) -> bool| wildcard || parts.iter().any(|d| p(&d.name));
        if wants(&|n| n == CONNECTION_TOPIC) {
            for (_, c) in self.registry.connections() {
                let subject = Subject::Connection {
                    connection: Arc::clone(&c.about),
                    removed: false,
                };
                pending.push((Destination::topic(CONNECTION_TOPIC), subject, Vec::new()));
            }
        }
        if wants(&|n| n == TEMP_QUEUE_TOPIC || n == TEMP_TOPIC_TOPIC) {
            for (dest, owner) in self.dests.temporaries() {
                if let Some(c) = self.registry.connection(owner) {
                    let (topic, subject) = temporary_advisory(dest, &c.about.id, false);
                    pending.push((topic, subject, Vec::new()));
                }
            }
        }
        if wants(&|n| n.starts_with(PRODUCER_PREFIX)) {
            for (_, p) in self.registry.producers() {
                let topic = advisory_topic("Producer", &p.about.destination);
                pending.push(self.producer_advisory(topic, &p.about, false));
            }
        }
        if wants(&|n| n.starts_with(CONSUMER_PREFIX)) {
            let consumers = self.registry.consumers();
            let others = consumers
                .iter()
                .filter(|(id, c)| *id != cid && !is_advisory(&c.about.destination));
            for (_, c) in others {
                let topic = advisory_topic("Consumer", &c.about.destination);
                pending.push(self.consumer_advisory(topic, &c.about, false));
            }
        }
        if pending.is_empty() {
            return;
        }
        let bids = self
            .registry
            .consumer(cid)
            .map(|c| c.buffers.clone())
            .unwrap_or_default();
        for bid in bids {
            let Some(Owner::Subscription { topic: covers, .. }) =
                self.dests.buffer(bid).map(|b| b.owner.clone())
            else {
                continue;
            };
            for (topic, subject, props) in &pending {
                if covers == *topic || (covers.is_wildcard() && covers.matches(topic)) {
                    let m =
                        self.advisory_message(topic.clone(), Some(subject.clone()), props.clone());
                    if let Err(e) = self.enqueue(bid, Arc::new(m), 0) {
                        tracing::warn!("advisory replay not delivered: {e}");
                    }
                }
            }
        }
    }
}

/// The advisory about a temporary destination coming or going.
fn temporary_advisory(
    dest: &Destination,
    owner: &Arc<str>,
    removed: bool,
) -> (Destination, Subject) {
    let topic = Destination::topic(if dest.is_queue() {
        TEMP_QUEUE_TOPIC
    } else {
        TEMP_TOPIC_TOPIC
    });
    let subject = Subject::Destination {
        destination: dest.clone(),
        connection: Some(Arc::clone(owner)),
        removed,
    };
    (topic, subject)
}

/// A network bridge starting or stopping (see [`crate::Broker::network_bridge`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkBridgeEvent {
    pub started: bool,
    pub peer_name: Arc<str>,
    pub peer_id: Arc<str>,
    /// The peer's address as the bridge reached it (`tcp://host:port`).
    pub remote_address: Arc<str>,
    /// This end was started by the peer's duplex bridge.
    pub created_by_duplex: bool,
}
