//! Advisories about messages, published on `ActiveMQ.Advisory.*` topics as
//! ActiveMQ's AdvisoryBroker does: a message expired, was sent to a DLQ,
//! arrived at the broker (MessageDelivered) or was consumed
//! (MessageConsumed), or a topic subscriber fell behind (SlowConsumer).
//! The last three are off unless a destination's policy asks for them
//! (`advisoryForDelivery`, `advisoryForConsumed`, `advisoryForSlowConsumers`).
//!
//! An advisory is an ordinary non-persistent topic message of JMSType
//! `Advisory` whose `subject` is the message it is about; OpenWire hands
//! the subject to the client as the advisory's dataStructure. Nothing is
//! built when the advisory topic has no subscriber, so the common case
//! costs one lookup.

use std::sync::Arc;

use crate::buffer::BufferId;
use crate::core::Core;
use crate::destination::{Destination, DestinationKind};
use crate::message::{Body, Message, MessageId, Subject, Value};

/// Every advisory topic starts with this; advisories are never advised on.
pub const ADVISORY_PREFIX: &str = "ActiveMQ.Advisory.";

/// The advisory topic for `kind` events about `dest`, e.g.
/// `ActiveMQ.Advisory.Expired.Queue.orders`.
pub fn advisory_topic(kind: &str, dest: &Destination) -> Destination {
    let qualifier = match dest.kind {
        DestinationKind::Queue => "Queue",
        DestinationKind::Topic => "Topic",
        DestinationKind::TempQueue => "TempQueue",
        DestinationKind::TempTopic => "TempTopic",
    };
    // ActiveMQ writes a composite destination's commas as `&sbquo;`, so
    // the advisory topic is not itself composite.
    let name = dest.name.replace(',', "&sbquo;");
    Destination::topic(format!("{ADVISORY_PREFIX}{kind}.{qualifier}.{name}"))
}

/// The property names ActiveMQ uses (AdvisorySupport; the misspelling is
/// theirs, and clients look for it).
const ORIGINAL_MESSAGE_ID: &str = "orignalMessageId";
const ORIGINAL_DESTINATION: &str = "orignalDestination";
const CONSUMER_ID: &str = "consumerId";

impl Core {
    /// A message expired before delivery.
    pub(crate) fn advise_expired(&mut self, m: &Arc<Message>) {
        if let Some(topic) = self.listened("Expired", &m.destination) {
            let props = vec![(ORIGINAL_MESSAGE_ID, text(m.id.as_str()))];
            self.publish(topic, about(m), props);
        }
    }

    /// A message was moved to a dead-letter queue.
    pub(crate) fn advise_dead_lettered(&mut self, m: &Arc<Message>) {
        if let Some(topic) = self.listened("MessageDLQd", &m.destination) {
            self.publish(topic, about(m), Vec::new());
        }
    }

    /// A message arrived at the broker, if its destination's policy asks.
    pub(crate) fn advise_delivered(&mut self, m: &Arc<Message>) {
        if !m.destination.covered_by(&self.config.advisory_for_delivery) {
            return;
        }
        if let Some(topic) = self.listened("MessageDelivered", &m.destination) {
            self.publish(topic, about(m), tracking_props(m));
        }
    }

    /// A message was acknowledged, if its destination's policy asks.
    pub(crate) fn advise_consumed(&mut self, m: &Arc<Message>) {
        if !m.destination.covered_by(&self.config.advisory_for_consumed) {
            return;
        }
        if let Some(topic) = self.listened("MessageConsumed", &m.destination) {
            self.publish(topic, about(m), tracking_props(m));
        }
    }

    /// After a message reached a topic subscription: ActiveMQ's
    /// TopicSubscription calls its consumer slow once more than its
    /// prefetch waits behind a full prefetch (prefetch above 1), and
    /// announces it once until it catches up.
    pub(crate) fn check_slow_subscriber(&mut self, bid: BufferId, topic: &Destination) {
        if !topic.covered_by(&self.config.advisory_for_slow_consumers) {
            return;
        }
        let Some(buf) = self.dests.buffer(bid) else {
            return;
        };
        let (waiting, consumers) = (buf.pending.len() + buf.paged.len(), buf.consumers.clone());
        // ActiveMQ's `consumerId` property: the consumer as clients name it.
        let mut slow = Vec::new();
        for cid in consumers {
            let Some(c) = self.registry.consumer_mut(cid) else {
                continue;
            };
            if c.prefetch > 1 && waiting > c.prefetch as usize && !c.has_credit() {
                if !c.slow_advised {
                    c.slow_advised = true;
                    slow.push(Arc::clone(&c.about));
                }
            } else if waiting == 0 {
                c.slow_advised = false;
            }
        }
        let Some(advisory_topic) = self.listened("SlowConsumer", topic) else {
            return;
        };
        for about in slow {
            let props = vec![(CONSUMER_ID, text(&about.id))];
            let subject = Subject::Consumer {
                consumer: about,
                removed: false,
            };
            self.publish(advisory_topic.clone(), Some(subject), props);
        }
    }

    /// The advisory topic for `kind` events about `dest`, if anybody
    /// subscribes to it: otherwise nothing needs building. Advisories are
    /// never advised on.
    pub(crate) fn listened(&self, kind: &str, dest: &Destination) -> Option<Destination> {
        if dest.name.starts_with(ADVISORY_PREFIX) {
            return None;
        }
        let topic = advisory_topic(kind, dest);
        self.dests.has_subscribers(&topic).then_some(topic)
    }

    /// Sends an advisory on `topic`.
    pub(crate) fn publish(
        &mut self,
        topic: Destination,
        subject: Option<Subject>,
        props: Vec<(&'static str, Value)>,
    ) {
        let advisory = self.advisory_message(topic, subject, props);
        if let Err(e) = self.route(Arc::new(advisory)) {
            tracing::warn!("advisory not published: {e}");
        }
    }

    /// An advisory as ActiveMQ's AdvisoryBroker makes it: a non-persistent
    /// message of JMSType `Advisory` from the broker's advisory producer,
    /// saying which broker it came from.
    pub(crate) fn advisory_message(
        &mut self,
        topic: Destination,
        subject: Option<Subject>,
        props: Vec<(&'static str, Value)>,
    ) -> Message {
        let n = self.next_id();
        let id = format!("{}:0:0:0:{n}", self.identity.id_prefix);
        let mut advisory = Message::new(MessageId::from(id), topic, Body::Empty);
        advisory.message_type = Some(Arc::from("Advisory"));
        advisory.timestamp = self.clock.now_millis();
        advisory.properties = props.into_iter().map(|(k, v)| (Arc::from(k), v)).collect();
        let origin = [
            ("originBrokerName", Arc::from(self.config.name.as_str())),
            ("originBrokerId", Arc::clone(&self.identity.broker_id)),
            ("originBrokerURL", Arc::clone(&self.identity.url)),
        ];
        for (k, v) in origin {
            advisory.properties.push((Arc::from(k), Value::String(v)));
        }
        advisory.subject = subject;
        advisory
    }
}

/// A string property value.
pub(crate) fn text(s: &str) -> Value {
    Value::String(Arc::from(s))
}

/// A message as the subject of an advisory: shared, not copied.
fn about(m: &Arc<Message>) -> Option<Subject> {
    Some(Subject::Message(Arc::clone(m)))
}

fn tracking_props(m: &Message) -> Vec<(&'static str, Value)> {
    vec![
        (ORIGINAL_MESSAGE_ID, text(m.id.as_str())),
        (ORIGINAL_DESTINATION, text(&m.destination.to_string())),
    ]
}
