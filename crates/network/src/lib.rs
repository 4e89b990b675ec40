//! Networks of brokers, as ActiveMQ 5.x builds them.
//!
//! A `networkConnector` ([`config`]) names peer brokers; a bridge to each
//! ([`connector`]) opens an OpenWire connection ([`bridge`]), learns the
//! peer's consumers from its advisories ([`demand`]) and forwards local
//! messages to where the consumers are ("demand forwarding"). The commands
//! on the wire are built in [`wire`]; each bridge's state is in [`status`].

pub mod bridge;
pub mod config;
pub mod connector;
pub mod demand;
pub mod half;
pub mod settings;
pub mod setup;
pub mod status;
pub mod wire;

pub use connector::{Backoff, NetworkConnector, PeerPlan};
pub use status::{BridgeState, BridgeStatus};

/// Why a bridge session ended or could not start.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("cannot connect to {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("connection to the peer failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the peer closed the connection")]
    PeerClosed,
    #[error("the peer is shutting down")]
    PeerShutdown,
    #[error("the peer stalled: {0}")]
    Stalled(&'static str),
    #[error("handshake with the peer failed: {0}")]
    Handshake(String),
    #[error("the peer refused: {0}")]
    Refused(String),
    #[error("bad OpenWire from the peer: {0}")]
    Wire(#[from] openwire::client::ClientError),
    #[error("the local broker refused the bridge: {0}")]
    Local(String),
}
