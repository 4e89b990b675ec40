//! The OpenWire protocol (ActiveMQ's native protocol, port 61616): the
//! connection state machine the transport drives (handshake, codecs,
//! inactivity) and the protocol session (message translation is
//! `openwire_adapter`'s).
//!
//! A frame's path: socket bytes (read by [`crate::transport`]) →
//! `openwire::Codec::read_frame` → a typed command →
//! [`session::Session::on_command`] → a [`broker::Broker`] call. Deliveries
//! come back as broker events → MessageDispatch → socket.

mod connection;
mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use broker::Broker;
use openwire::negotiate::WireFormatOptions;
use openwire::primitive::{Primitive, PrimitiveMap};
use tokio::net::TcpListener;

use crate::transport::{self, Shutdown};

/// What every OpenWire connection needs to know about the server.
pub struct Settings {
    pub broker_name: String,
    pub broker_id: String,
    pub broker_url: String,
    /// The WireFormatInfo we offer.
    pub options: WireFormatOptions,
}

impl Settings {
    pub fn new(
        broker_name: &str,
        broker_id: &str,
        addr: SocketAddr,
        max_frame_size: i64,
    ) -> Settings {
        let mut properties = PrimitiveMap::default();
        properties.insert("ProviderName", Primitive::String("ActiveMQ".into()));
        properties.insert("ProviderVersion", Primitive::String("5.17.2".into()));
        properties.insert("PlatformDetails", Primitive::String("Ferrum".into()));
        Settings {
            broker_name: broker_name.to_string(),
            broker_id: broker_id.to_string(),
            broker_url: format!("tcp://{addr}"),
            options: WireFormatOptions {
                version: 12,
                stack_trace: true,
                cache: true,
                tcp_no_delay: true,
                tight: true,
                size_prefix_disabled: false,
                max_frame_size,
                cache_size: 1024,
                max_inactivity: 30_000,
                max_inactivity_initial_delay: 10_000,
                properties,
            },
        }
    }
}

/// Accepts OpenWire connections until shutdown.
pub async fn serve(
    listener: TcpListener,
    broker: Arc<Broker>,
    settings: Arc<Settings>,
    shutdown: Shutdown,
) {
    transport::accept_loop(
        "OpenWire",
        listener,
        shutdown,
        move |socket, peer, shutdown| {
            let (tx, events) = tokio::sync::mpsc::unbounded_channel();
            let conn = connection::OpenwireConnection::new(
                Arc::clone(&broker),
                Arc::clone(&settings),
                tx,
                peer,
                tokio::time::Instant::now(),
            );
            transport::drive(socket, peer, Arc::clone(&broker), conn, events, shutdown)
        },
    )
    .await
}
