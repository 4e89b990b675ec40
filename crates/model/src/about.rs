//! What the broker says about its clients in advisories and to demand
//! watchers: a connection, a consumer, a producer, described the same way
//! whatever protocol created them.
//!
//! Each description carries the id clients see (OpenWire's own ids for
//! OpenWire clients, ids the broker makes up in ActiveMQ's shape for the
//! rest) and, for a client whose protocol has its own description (an
//! OpenWire ConsumerInfo), that description too, so the same protocol can
//! hand it on unchanged.

use std::sync::Arc;

use crate::destination::Destination;
use crate::native::Native;

/// A client connection.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionAbout {
    /// The connection id clients see (`ID:…`).
    pub id: Arc<str>,
    pub client_id: Option<Arc<str>>,
    pub user: Option<Arc<str>>,
    /// The protocol's own description (OpenWire: its ConnectionInfo,
    /// password removed).
    pub native: Option<Native>,
}

/// A consumer: what it takes from and how.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerAbout {
    /// The consumer id clients see: `<connection id>:<session>:<n>`.
    pub id: Arc<str>,
    /// The connection id clients see.
    pub connection: Arc<str>,
    /// As the client named it (composite destinations unsplit).
    pub destination: Destination,
    pub prefetch: u32,
    pub selector: Option<Arc<str>>,
    pub durable_name: Option<Arc<str>>,
    pub no_local: bool,
    pub exclusive: bool,
    pub priority: i8,
    pub retroactive: bool,
    pub network: Network,
    /// The protocol's own description (OpenWire: its ConsumerInfo).
    pub native: Option<Native>,
}

/// What a consumer or a message knows about the brokers it came through
/// (ActiveMQ's brokerPath, networkSubscription, networkConsumerPath).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Network {
    /// Set when the consumer is another broker's bridge forwarding demand.
    pub subscription: bool,
    /// The broker ids the demand passed through, nearest last.
    pub broker_path: Vec<Arc<str>>,
    /// The ids of the remote consumers a network consumer stands for.
    pub consumer_path: Vec<Arc<str>>,
}

/// A producer that named its destination.
#[derive(Clone, Debug, PartialEq)]
pub struct ProducerAbout {
    /// The producer id clients see: `<connection id>:<session>:<n>`.
    pub id: Arc<str>,
    pub connection: Arc<str>,
    pub destination: Destination,
    /// The protocol's own description (OpenWire: its ProducerInfo).
    pub native: Option<Native>,
}
