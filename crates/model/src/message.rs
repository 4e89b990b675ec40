//! The message as the core stores and routes it. Protocol handlers translate
//! their frames into this and back; nothing here is STOMP- or OpenWire-shaped.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::about::{ConnectionAbout, ConsumerAbout, ProducerAbout};
use crate::destination::Destination;
pub use crate::native::Native;
use crate::ConnectionId;

/// A message id in ActiveMQ's string form (`ID:host-...:1:1:1:42`). Both
/// protocols show it to clients and acknowledge by it, so the core keys on it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub Arc<str>);

impl MessageId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for MessageId {
    fn from(s: &str) -> Self {
        MessageId(Arc::from(s))
    }
}

impl From<String> for MessageId {
    fn from(s: String) -> Self {
        MessageId(Arc::from(s))
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A typed property value: every type a JMS property may hold, so an
/// OpenWire message can cross the core without losing its property types.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    String(Arc<str>),
    Bytes(Bytes),
}

impl Value {
    /// The property as text, the way STOMP shows a JMS property as a header.
    pub fn to_header_string(&self) -> String {
        match self {
            Value::Bool(v) => v.to_string(),
            Value::Byte(v) => v.to_string(),
            Value::Short(v) => v.to_string(),
            Value::Int(v) => v.to_string(),
            Value::Long(v) => v.to_string(),
            Value::Float(v) => v.to_string(),
            Value::Double(v) => v.to_string(),
            Value::String(v) => v.to_string(),
            Value::Bytes(v) => String::from_utf8_lossy(v).into_owned(),
        }
    }
}

/// The body and, with it, the JMS message type it came as. A STOMP SEND
/// without `content-length` is a TextMessage, with it a BytesMessage.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// A plain `javax.jms.Message`: headers and properties only.
    Empty,
    Text(Arc<str>),
    Bytes(Bytes),
    /// Map, Stream and Object bodies, kept in the marshalled form the
    /// producing protocol gave them (`kind` says which) so they pass through
    /// the core untouched.
    Opaque {
        kind: u8,
        data: Bytes,
    },
}

impl Body {
    /// Size in bytes, for memory accounting.
    pub fn len(&self) -> usize {
        match self {
            Body::Empty => 0,
            Body::Text(t) => t.len(),
            Body::Bytes(b) => b.len(),
            Body::Opaque { data, .. } => data.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A message. Shared (`Arc<Message>`) between every subscription it is
/// routed to; per-delivery state (redelivery count) lives beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: MessageId,
    pub destination: Destination,
    /// The connection that sent it, so `noLocal` topic subscribers can skip
    /// their own messages.
    pub origin: Option<ConnectionId>,
    pub persistent: bool,
    /// JMSPriority, 0..=9; 4 is the JMS default.
    pub priority: u8,
    /// JMSTimestamp in milliseconds since the epoch.
    pub timestamp: i64,
    /// JMSExpiration in milliseconds since the epoch; 0 means never.
    pub expiration: i64,
    pub correlation_id: Option<Arc<str>>,
    pub reply_to: Option<Destination>,
    /// Where a dead-lettered message was first sent (OpenWire's
    /// originalDestination, STOMP's `original-destination`).
    pub original_destination: Option<Destination>,
    /// JMSType.
    pub message_type: Option<Arc<str>>,
    /// User properties in the order they were given.
    pub properties: Vec<(Arc<str>, Value)>,
    pub body: Body,
    /// The message exactly as its producer's protocol carried it, so that
    /// the same protocol can hand it on unchanged (every OpenWire field,
    /// compressed bodies, ...). The core never looks inside.
    pub native: Option<Native>,
    /// An advisory's subject: what it is about. OpenWire carries it as the
    /// advisory's dataStructure, as ActiveMQ's advisory broker does.
    pub subject: Option<Subject>,
    /// The ids of the brokers this message passed through on a network of
    /// brokers, oldest first (ActiveMQ's brokerPath): a bridge does not
    /// send a message back to a broker on it. None for a message that
    /// never left its broker, which is almost all of them.
    pub broker_path: Option<Arc<[Arc<str>]>>,
}

/// What an advisory is about.
#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    /// A message (expired, sent to the DLQ, delivered, consumed).
    Message(Arc<Message>),
    /// A consumer came (`removed: false`), went, or fell behind.
    Consumer {
        consumer: Arc<ConsumerAbout>,
        removed: bool,
    },
    /// A producer came or went.
    Producer {
        producer: Arc<ProducerAbout>,
        removed: bool,
    },
    /// A connection came or went.
    Connection {
        connection: Arc<ConnectionAbout>,
        removed: bool,
    },
    /// A durable topic subscription was deleted (ActiveMQ announces it on
    /// the topic's consumer advisory topic, as a RemoveSubscriptionInfo).
    SubscriptionRemoved {
        topic: Destination,
        client_id: Arc<str>,
        name: Arc<str>,
    },
    /// A destination was created or deleted (by the connection named, for a
    /// temporary one).
    Destination {
        destination: Destination,
        connection: Option<Arc<str>>,
        removed: bool,
    },
    /// A network bridge to the broker named `peer_name` (id `peer_id`)
    /// started or stopped (the advisory's `started` property says which).
    NetworkBridge {
        peer_name: Arc<str>,
        peer_id: Arc<str>,
    },
}

impl Message {
    /// A message with JMS defaults (non-persistent, priority 4, no expiry).
    pub fn new(id: MessageId, destination: Destination, body: Body) -> Message {
        Message {
            id,
            destination,
            origin: None,
            persistent: false,
            priority: 4,
            timestamp: 0,
            expiration: 0,
            correlation_id: None,
            reply_to: None,
            original_destination: None,
            message_type: None,
            properties: Vec::new(),
            body,
            native: None,
            subject: None,
            broker_path: None,
        }
    }

    /// Whether the message is past its JMSExpiration at `now_ms`.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expiration > 0 && now_ms >= self.expiration
    }

    pub fn property(&self, name: &str) -> Option<&Value> {
        self.properties
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v)
    }

    /// Rough heap footprint, for the per-subscription memory bound.
    pub fn memory_size(&self) -> usize {
        let props: usize = self
            .properties
            .iter()
            .map(|(k, v)| {
                k.len()
                    + match v {
                        Value::String(s) => s.len(),
                        Value::Bytes(b) => b.len(),
                        _ => 8,
                    }
                    + 32
            })
            .sum();
        256 + self.id.0.len() + props + self.body.len()
    }
}

/// Milliseconds since the epoch, the JMS clock.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
