//! The message model and the storage seam, shared by the broker core
//! (`crates/broker`) and the journal store (`crates/store`) so that neither
//! depends on the other: what a message is, where it goes (destinations),
//! and what a store must do with it ([`store::MessageStore`]).
//!
//! Nothing here is protocol-shaped or knows how messages are routed.

pub mod about;
pub mod destination;
pub mod message;
mod native;
pub mod store;

use std::fmt;

pub use about::{ConnectionAbout, ConsumerAbout, Network, ProducerAbout};
pub use destination::{Destination, DestinationKind};
pub use message::{now_millis, Body, Message, MessageId, Native, Subject, Value};
pub use store::{
    DurableDef, MemoryStore, MessageStore, PreparedTx, Recovered, RecoveredMessage, StoreError,
    StoreKey, StoredJob, SyncPoint, SyncStatus,
};

/// One client connection, whatever its protocol (or an in-process client
/// such as a network bridge). Messages name the connection that sent them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
