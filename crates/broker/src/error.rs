//! Errors the core returns to protocol handlers, which map each to what
//! their protocol shows the client (a STOMP ERROR frame, an OpenWire
//! ExceptionResponse with the matching JMS exception class).

use crate::destination::Destination;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// Another live connection holds this client id
    /// (`javax.jms.InvalidClientIDException` in ActiveMQ).
    #[error("Broker: ferrum - Client: {0} already connected")]
    ClientIdInUse(String),
    #[error("Unknown connection")]
    UnknownConnection,
    #[error("Unknown consumer")]
    UnknownConsumer,
    /// Sending to a temporary destination that no longer exists
    /// (`InvalidDestinationException`).
    #[error("Cannot publish to a deleted Destination: {0}")]
    DeletedDestination(Destination),
    /// Creating a consumer on another connection's temporary destination.
    #[error("Cannot subscribe to a remote temporary destination: {0}")]
    ForeignTemporaryDestination(Destination),
    #[error("Invalid destination: {0}")]
    InvalidDestination(String),
    /// A durable subscription needs a client id to be named by.
    #[error("Durable subscription requires a client id")]
    DurableWithoutClientId,
    /// Only one consumer may be attached to a durable subscription.
    #[error("Durable consumer is in use for client: {client_id} and subscriptionName: {name}")]
    DurableInUse { client_id: String, name: String },
    #[error(
        "No durable subscription exists for clientID: {client_id} and subscriptionName: {name}"
    )]
    UnknownDurable { client_id: String, name: String },
    #[error("Durable consumer is in use")]
    DurableActive,
    /// An ack naming a message this consumer does not hold.
    #[error("Unexpected ACK received for message-id [{0}]")]
    UnknownMessage(String),
    #[error("The transaction was already started: {0}")]
    TransactionExists(String),
    #[error("Invalid transaction id: {0}")]
    UnknownTransaction(String),
    #[error("store failure: {0}")]
    Store(#[from] StoreError),
    /// A selector that does not parse (`javax.jms.InvalidSelectorException`).
    #[error("{0}")]
    InvalidSelector(String),
    /// A memory or store limit is reached and the broker is configured to
    /// fail sends rather than hold producers back (ActiveMQ's
    /// `sendFailIfNoSpace`; `javax.jms.ResourceAllocationException`).
    #[error("{0}")]
    ResourceLimit(String),
    /// An `AMQ_SCHEDULED_*` property ActiveMQ would refuse
    /// (`javax.jms.MessageFormatException`).
    #[error("{0}")]
    Schedule(#[from] crate::scheduler::ScheduleError),
}
