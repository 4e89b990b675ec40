//! Ferrum's broker core.
//!
//! It knows destinations, consumers, acknowledgements and transactions, and
//! nothing about any wire protocol: the STOMP and OpenWire handlers both turn
//! their frames into calls on [`Broker`] and turn the [`Event`]s it sends
//! back into frames.
//!
//! The shape of the API follows OpenWire's command set, the richer of the
//! two: a connection (ConnectionInfo) owns consumers (ConsumerInfo, with a
//! prefetch window, selector, durable name, noLocal, exclusive), sends
//! messages (optionally inside a transaction: TransactionInfo), and
//! acknowledges them with one of several ack kinds (MessageAck). STOMP is a
//! subset of that.
//!
//! Concurrency: the whole core is one synchronous state machine behind one
//! mutex. Every call is short: deliveries go out through unbounded channels
//! whose depth is bounded by each consumer's prefetch window, and store
//! writes are only queued for the store's writer thread (the one disk read
//! under the lock is paging a message back in from the page cache). That
//! keeps dispatch order obvious and testable.
//!
//! Modules: `core` (connections, consumers, subscriptions), `routing`
//! (where a message goes, limits), `dispatch` (to consumers, paging,
//! expiry, dead letters), `transaction` (sends, acks, transactions, XA),
//! `restore` (rebuilding from the store), `store` (the storage seam),
//! `scheduler` and `cron` (scheduled delivery), `scheduled` (its wiring
//! into the core).

pub mod advisory;
mod advisory_clients;
mod audit;
mod broker;
mod buffer;
mod clients;
pub mod clock;
mod config;
mod core;
pub mod cron;
pub mod demand;
pub(crate) mod destinations;
mod dispatch;
mod error;
mod event;
mod forward;
mod ids;
mod registry;
mod restore;
mod retained;
mod routing;
mod scheduled;
pub mod scheduler;
mod selecting;
mod state;
mod subscription;
mod transaction;

use std::fmt;
use std::sync::Arc;

pub use advisory_clients::NetworkBridgeEvent;
pub use broker::{Broker, Relief};
pub use clients::ProducerRequest;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{BrokerConfig, BrokerStats, ConnectInfo, SendOutcome};
pub use cron::{Cron, CronError};
pub use demand::{DemandEvent, Interest};
pub use error::BrokerError;
pub use event::{Delivery, Event, EventReceiver, EventSender};
pub use forward::{interpreted_by_bridges, ForwardFilter};
/// The message model and the storage seam live in `crates/model`, shared
/// with the store; they are re-exported here so a protocol handler needs
/// only this crate.
pub use model::{destination, message, store, ConnectionId};
pub use model::{
    now_millis, Body, ConnectionAbout, ConsumerAbout, Destination, DestinationKind, DurableDef,
    MemoryStore, Message, MessageId, MessageStore, Native, Network, PreparedTx, ProducerAbout,
    Recovered, RecoveredMessage, StoreError, StoreKey, StoredJob, Subject, SyncPoint, SyncStatus,
    Value,
};
pub use scheduler::ScheduleError;
pub use selecting::SelectorView;
pub use selector::CONVERT_STRING_EXPRESSIONS;
pub use subscription::{Ack, SubscribeRequest};

/// One consumer (a STOMP subscription, an OpenWire ConsumerInfo).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConsumerId(pub u64);

/// A producer that named its destination (OpenWire ProducerInfo).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProducerId(pub u64);

/// A transaction id, unique across the broker. Protocol handlers namespace
/// their clients' ids (a STOMP `transaction:tx1` is only unique within its
/// connection); XA ids are global by nature and can be committed from
/// another connection, hence one broker-wide map.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TxId(pub Arc<str>);

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for ConsumerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod client_events_tests;
#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod semantics_tests;
#[cfg(test)]
mod tests;
