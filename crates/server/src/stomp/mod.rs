//! The STOMP protocol: the connection state machine the transport drives,
//! and the protocol session.
//!
//! A frame's path: socket bytes (read by [`crate::transport`]) →
//! `stomp::read` (the codec crate) → [`session::Session::on_item`] → a
//! [`broker::Broker`] call. Deliveries come back as broker events →
//! `Session::on_event` → MESSAGE frames in the session's output buffer →
//! socket.

mod connection;
mod mapping;
mod session;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use broker::Broker;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::transport::{self, Shutdown};

/// What every STOMP connection needs to know about the server.
#[derive(Clone, Debug)]
pub struct Settings {
    pub broker_name: String,
    /// CONNECTED `server` header.
    pub server_header: String,
    /// Start time in ms, to make session and message ids unique across restarts.
    pub started_at: i64,
    pub limits: stomp::Limits,
}

impl Settings {
    pub fn from_config(config: &Config) -> Settings {
        Settings {
            broker_name: config.broker_name.clone(),
            server_header: format!("ferrum/{}", env!("CARGO_PKG_VERSION")),
            started_at: broker::now_millis(),
            limits: stomp::Limits {
                max_frame_size: config.stomp_max_frame_size,
                ..stomp::Limits::default()
            },
        }
    }
}

/// Accepts STOMP connections until shutdown.
pub async fn serve(
    listener: TcpListener,
    broker: Arc<Broker>,
    settings: Arc<Settings>,
    shutdown: Shutdown,
) {
    static SERIAL: AtomicU64 = AtomicU64::new(1);
    transport::accept_loop(
        "STOMP",
        listener,
        shutdown,
        move |socket, peer, shutdown| {
            let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
            let (tx, events) = tokio::sync::mpsc::unbounded_channel();
            let conn = connection::StompConnection::new(
                Arc::clone(&broker),
                Arc::clone(&settings),
                tx,
                serial,
                peer,
                tokio::time::Instant::now(),
            );
            transport::drive(socket, peer, Arc::clone(&broker), conn, events, shutdown)
        },
    )
    .await
}
