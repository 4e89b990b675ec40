//! The protocol-independent edge of a connection: accepting sockets, the
//! one select loop per connection, write batching, producer flow control,
//! waiting for the store before confirming, and teardown.
//!
//! A protocol plugs in as a [`ProtocolSession`]: a state machine without
//! I/O that takes bytes and broker events in and leaves bytes to write.
//! The driver owns every socket, channel and timer; the session owns every
//! protocol rule, including its handshake and heart-beats, so the driver
//! knows nothing about STOMP or OpenWire.

mod accept;
mod driver;
mod shutdown;
mod throttle;

#[cfg(test)]
mod tests;

use broker::{Event, StoreError, SyncPoint};
use bytes::BytesMut;
use tokio::time::Instant;

pub use accept::accept_loop;
pub use driver::drive;
pub use shutdown::Shutdown;

/// Why, and how, a session wants its connection to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Close {
    /// For the log line.
    pub reason: &'static str,
    /// Whether what the session produced must be written first (an ERROR
    /// frame, a last receipt), or the connection ends as it stands (a
    /// stream that can no longer be decoded or encoded, a timeout).
    pub flush: bool,
}

impl Close {
    /// Ends the connection once pending output is written.
    pub const fn after_flush(reason: &'static str) -> Close {
        Close {
            reason,
            flush: true,
        }
    }

    /// Ends the connection without writing anything more.
    pub const fn now(reason: &'static str) -> Close {
        Close {
            reason,
            flush: false,
        }
    }
}

/// One connection's protocol, without I/O. Time comes in as arguments
/// (tokio's clock, so tests can pause it).
pub trait ProtocolSession: Send + 'static {
    /// For log lines ("STOMP", "OpenWire").
    const PROTOCOL: &'static str;

    /// Called once, before anything is read: output for a protocol in
    /// which the server speaks first.
    fn start(&mut self, _now: Instant) {}

    /// The client sent something (or, being held back, is not the one
    /// keeping quiet): inactivity is measured from here.
    fn on_read(&mut self, now: Instant);

    /// Handles every complete frame in `input`, leaving partial ones there.
    /// Stops early once [`ProtocolSession::sync_point`] is set (what comes
    /// after a confirmation waits for it) or the session is closing; it may
    /// stop once held back.
    fn decode(&mut self, input: &mut BytesMut, now: Instant);

    /// Handles one event from the broker.
    fn on_event(&mut self, event: Event);

    /// The broker closed the connection's event channel.
    fn on_events_closed(&mut self);

    /// Bytes waiting to be written; the driver takes them.
    fn output(&mut self) -> &mut BytesMut;

    /// What was in [`ProtocolSession::output`] has been written.
    fn flushed(&mut self, now: Instant);

    /// A confirmation held back until the store has synced: the driver
    /// waits on it (sharing the sync with every other waiting connection),
    /// then calls [`ProtocolSession::synced`] and decodes on.
    fn sync_point(&self) -> Option<SyncPoint>;

    /// The store synced (or failed to) what the held-back confirmation covers.
    fn synced(&mut self, result: Result<(), StoreError>);

    /// A send found its destination congested: the driver stops reading
    /// this client, which holds the producer back through TCP as
    /// ActiveMQ's producer flow control does.
    fn held_back(&self) -> bool;

    /// Asks the broker again; false (and no longer held back) once the
    /// destination has caught up.
    fn still_throttled(&mut self) -> bool;

    /// When [`ProtocolSession::on_timer`] must next be called.
    fn deadline(&self) -> Instant;

    /// Timers: handshake and inactivity limits, heart-beats, pull timeouts.
    fn on_timer(&mut self, now: Instant);

    /// Set once the connection must end.
    fn closing(&self) -> Option<Close>;

    /// Releases everything the connection held in the broker.
    fn close(&mut self);
}
