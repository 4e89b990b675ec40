//! Retained messages and retroactive topic consumers.
//!
//! ActiveMQ's default subscription recovery policy for topics
//! (RetainedMessageSubscriptionRecoveryPolicy) keeps, per topic, the last
//! message sent with the property `ActiveMQ.Retain=true`. A consumer that
//! subscribes with `consumer.retroactive=true` (OpenWire) or
//! `activemq.retroactive:true` (STOMP) receives it first, marked
//! `ActiveMQ.Retained=true`. A retained send with no content clears it.
//! Other consumers never see it, and live subscribers get the message
//! without the `ActiveMQ.Retain` property.

use std::sync::Arc;

use crate::buffer::BufferId;
use crate::core::Core;
use crate::destination::Destination;
use crate::message::{Body, Message, Value};

const RETAIN: &str = "ActiveMQ.Retain";
const RETAINED: &str = "ActiveMQ.Retained";

impl Core {
    /// For a message sent to a topic: remembers or clears the topic's
    /// retained message when the sender asked, and returns the message to
    /// deliver (without the request property).
    pub(crate) fn note_retained(&mut self, message: Arc<Message>) -> Arc<Message> {
        let asked = match message.property(RETAIN) {
            None => return message,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            Some(_) => false,
        };
        let mut m = (*message).clone();
        m.properties.retain(|(k, _)| &**k != RETAIN);
        if asked {
            if has_content(&m.body) {
                let mut kept = m.clone();
                kept.properties
                    .push((Arc::from(RETAINED), Value::Bool(true)));
                // Built afresh by whichever protocol delivers it: the
                // sender's native form has the old properties.
                kept.native = None;
                self.dests
                    .set_retained(m.destination.clone(), Some(Arc::new(kept)));
            } else {
                self.dests.set_retained(m.destination.clone(), None);
            }
        }
        Arc::new(m)
    }

    /// Gives a new retroactive subscription the retained messages of the
    /// topics it covers (one, or several for a wildcard).
    pub(crate) fn recover_retained(&mut self, bid: BufferId, topic: &Destination) {
        for m in self.dests.retained_covered_by(topic) {
            if !self.subscription_takes(bid, &m) {
                continue;
            }
            if let Err(e) = self.enqueue(bid, m, 0) {
                tracing::warn!("recovering the retained message of {topic}: {e}");
            }
        }
    }
}

/// Whether the message carries content: ActiveMQ clears the retained
/// message on an empty one (a text message, even "", always has content).
fn has_content(body: &Body) -> bool {
    match body {
        Body::Empty => false,
        Body::Bytes(b) => !b.is_empty(),
        Body::Opaque { data, .. } => !data.is_empty(),
        _ => true,
    }
}
