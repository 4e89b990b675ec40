//! What a protocol handler asks for when it creates a consumer, and how it
//! acknowledges what it was given.

use crate::destination::Destination;
use crate::message::MessageId;

/// A consumer request: STOMP SUBSCRIBE and OpenWire ConsumerInfo both map here.
#[derive(Clone, Debug)]
pub struct SubscribeRequest {
    pub destination: Destination,
    /// How many un-acknowledged messages may be outstanding. 0 means the
    /// consumer pulls (OpenWire MessagePull), one message per [`crate::Broker::pull`].
    pub prefetch: u32,
    /// A JMS selector: queue consumers are offered only what it selects,
    /// topic subscriptions receive only that. Invalid: the subscribe fails.
    pub selector: Option<String>,
    /// A durable topic subscription name (needs a client id on the connection).
    pub durable_name: Option<String>,
    /// Topic only: skip messages this connection sent.
    pub no_local: bool,
    /// Queue only: while an exclusive consumer exists, it alone receives.
    pub exclusive: bool,
    /// Queue only: consumers of higher priority are offered messages
    /// first, lower ones only while the higher have no room (ActiveMQ's
    /// consumer priority, `consumer.priority`; JMS default 0).
    pub priority: i8,
    /// A bound in bytes on what the consumer holds un-acknowledged, on top
    /// of `prefetch`. Only for consumers whose acks the broker makes itself
    /// (STOMP `ack:auto`, acked once written): a client that acks in
    /// batches (every N messages, or at 65% of its prefetch) relies on the
    /// whole prefetch arriving, and a byte bound would stall it.
    pub window_bytes: Option<usize>,
    /// Topic only: start with the topic's retained message, as ActiveMQ's
    /// retroactive consumers (`consumer.retroactive=true`) do.
    pub retroactive: bool,
    /// The client's own id for the consumer (OpenWire's ConsumerId), named
    /// in advisories about it.
    pub label: Option<String>,
    /// The protocol's own description of the consumer (OpenWire: its
    /// ConsumerInfo), carried by advisories about it; opaque to the core.
    pub description: Option<crate::message::Native>,
    /// Set for another broker's bridge: whether it is one, and the brokers
    /// and consumers it stands for.
    pub network: model::Network,
    /// Set for this broker's own bridge consumer: what it must not be
    /// offered (see [`crate::ForwardFilter`]).
    pub forward: Option<crate::ForwardFilter>,
}

impl SubscribeRequest {
    /// A request with ActiveMQ's default prefetch for the destination kind.
    pub fn new(destination: Destination) -> SubscribeRequest {
        let prefetch = if destination.is_queue() { 1000 } else { 32766 };
        SubscribeRequest {
            destination,
            prefetch,
            selector: None,
            durable_name: None,
            no_local: false,
            priority: 0,
            exclusive: false,
            window_bytes: None,
            retroactive: false,
            label: None,
            description: None,
            network: model::Network::default(),
            forward: None,
        }
    }
}

/// An acknowledgement, as OpenWire's MessageAck types define them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ack {
    /// Consumed: every message delivered to the consumer up to and including
    /// this one (JMS CLIENT_ACKNOWLEDGE, OpenWire STANDARD, STOMP `client`).
    Cumulative(MessageId),
    /// Consumed: this message only (STOMP `client-individual`, OpenWire INDIVIDUAL).
    Individual(MessageId),
    /// Seen but not yet consumed: frees prefetch window up to and including
    /// this message without removing anything (OpenWire DELIVERED, used by
    /// transacted and slow consumers).
    Delivered(MessageId),
    /// The client gives up on this message: it goes to the dead-letter queue
    /// if persistent and is dropped otherwise (OpenWire POISON, STOMP NACK).
    Poison {
        id: MessageId,
        cause: Option<String>,
    },
}

impl Ack {
    pub fn message_id(&self) -> &MessageId {
        match self {
            Ack::Cumulative(id) | Ack::Individual(id) | Ack::Delivered(id) => id,
            Ack::Poison { id, .. } => id,
        }
    }
}
