//! What the core sends back to a connection.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::message::Message;
use crate::ConsumerId;

/// Events for one connection. Unbounded because the core must never block
/// under its lock; the depth is bounded by the prefetch windows of the
/// connection's consumers instead.
pub type EventSender = mpsc::UnboundedSender<Event>;
pub type EventReceiver = mpsc::UnboundedReceiver<Event>;

#[derive(Debug)]
pub enum Event {
    /// A message for one of the connection's consumers.
    Deliver(Delivery),
    /// The broker ended a consumer on its own (its temporary destination
    /// went away, a durable subscription was removed under it).
    ConsumerClosed {
        consumer: ConsumerId,
        reason: String,
    },
}

/// One message handed to one consumer.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub consumer: ConsumerId,
    pub message: Arc<Message>,
    /// How many times this message was delivered before and not consumed.
    /// `> 0` is JMSRedelivered / STOMP `redelivered:true`.
    pub redelivery_count: u32,
    /// Increasing across the broker: a client that reports the last one
    /// its application received (OpenWire's lastDeliveredSequenceId) gets
    /// only those back marked redelivered when it closes, not what was
    /// still waiting in its prefetch buffer.
    pub seq: u64,
}

impl Delivery {
    pub fn redelivered(&self) -> bool {
        self.redelivery_count > 0
    }
}
