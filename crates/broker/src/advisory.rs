//! Advisories about messages, published on `ActiveMQ.Advisory.*` topics as
//! ActiveMQ's AdvisoryBroker does: a message expired, was sent to a DLQ,
//! arrived at the broker (MessageDelivered) or was consumed
//! (MessageConsumed). The last two are off unless a destination's policy
//! asks for them (`advisoryForDelivery`, `advisoryForConsumed`).
//!
//! An advisory is an ordinary non-persistent topic message of JMSType
//! `Advisory` whose `subject` is the message it is about; OpenWire hands
//! the subject to the client as the advisory's dataStructure. Nothing is
//! built when the advisory topic has no subscriber, so the common case
//! costs one lookup.

use std::sync::Arc;

use crate::core::Core;
use crate::destination::{Destination, DestinationKind};
use crate::message::{now_millis, Body, Message, MessageId, Value};

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
    Destination::topic(format!("{ADVISORY_PREFIX}{kind}.{qualifier}.{}", dest.name))
}

/// The property names ActiveMQ uses (AdvisorySupport; the misspelling is
/// theirs, and clients look for it).
const ORIGINAL_MESSAGE_ID: &str = "orignalMessageId";
const ORIGINAL_DESTINATION: &str = "orignalDestination";

impl Core {
    /// A message expired before delivery.
    pub(crate) fn advise_expired(&mut self, m: &Message) {
        let props = vec![(ORIGINAL_MESSAGE_ID, m.id.as_str().into())];
        self.advise("Expired", m, props);
    }

    /// A message was moved to a dead-letter queue.
    pub(crate) fn advise_dead_lettered(&mut self, m: &Message) {
        self.advise("MessageDLQd", m, Vec::new());
    }

    /// A message arrived at the broker, if its destination's policy asks.
    pub(crate) fn advise_delivered(&mut self, m: &Message) {
        if matches_any(&self.config.advisory_for_delivery, &m.destination) {
            let props = tracking_props(m);
            self.advise("MessageDelivered", m, props);
        }
    }

    /// A message was acknowledged, if its destination's policy asks.
    pub(crate) fn advise_consumed(&mut self, m: &Message) {
        if matches_any(&self.config.advisory_for_consumed, &m.destination) {
            let props = tracking_props(m);
            self.advise("MessageConsumed", m, props);
        }
    }

    fn advise(&mut self, kind: &str, about: &Message, props: Vec<(&str, String)>) {
        if about.destination.name.starts_with(ADVISORY_PREFIX) {
            return;
        }
        let topic = advisory_topic(kind, &about.destination);
        if self.topic_subscriptions(&topic).is_empty() {
            return;
        }
        let n = self.next_id();
        let id = format!("ID:{}-advisory:1:1:{n}", self.config.name);
        let mut advisory = Message::new(MessageId::from(id), topic, Body::Empty);
        advisory.message_type = Some(Arc::from("Advisory"));
        advisory.timestamp = now_millis();
        let name: Arc<str> = Arc::from(self.config.name.as_str());
        advisory.properties = props
            .into_iter()
            .map(|(k, v)| (Arc::from(k), Value::String(Arc::from(v))))
            .collect();
        advisory.properties.push((
            Arc::from("originBrokerName"),
            Value::String(Arc::clone(&name)),
        ));
        advisory
            .properties
            .push((Arc::from("originBrokerId"), Value::String(name)));
        let mut subject = about.clone();
        subject.subject = None;
        advisory.subject = Some(Arc::new(subject));
        if let Err(e) = self.route(Arc::new(advisory)) {
            tracing::warn!("advisory about {}: {e}", about.id.as_str());
        }
    }
}

fn tracking_props(m: &Message) -> Vec<(&'static str, String)> {
    vec![
        (ORIGINAL_MESSAGE_ID, m.id.as_str().to_string()),
        (ORIGINAL_DESTINATION, m.destination.to_string()),
    ]
}

fn matches_any(patterns: &[Destination], dest: &Destination) -> bool {
    patterns.iter().any(|p| p == dest || p.matches(dest))
}
