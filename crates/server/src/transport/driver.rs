//! One connection's I/O for any protocol: the select loop, write batching,
//! producer flow control, confirmations after the store syncs, teardown.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use broker::{Broker, EventReceiver};
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use super::throttle::Relief;
use super::{Close, ProtocolSession, Shutdown};

/// Stop gathering deliveries into one write past this many bytes, so a
/// burst cannot grow the write buffer without bound.
const WRITE_BATCH: usize = 64 * 1024;

/// The write buffer capacity a connection keeps between batches.
const KEEP_CAPACITY: usize = 1024 * 1024;

/// Runs one connection until either side ends it, then releases the
/// session's broker state and closes the socket, however it ended.
/// `events` is the receiving end of the channel the session hands the
/// broker.
pub async fn drive<S: ProtocolSession>(
    socket: TcpStream,
    peer: SocketAddr,
    broker: Arc<Broker>,
    session: S,
    events: EventReceiver,
    shutdown: Shutdown,
) {
    let _ = socket.set_nodelay(true);
    tracing::debug!(%peer, "{} connection accepted", S::PROTOCOL);
    let (reader, writer) = socket.into_split();
    let deadline = session.deadline();
    let mut shutdown = shutdown;
    let mut conn = Connection {
        session,
        reader,
        writer,
        events,
        events_open: true,
        relief: Relief::new(&broker),
        input: BytesMut::with_capacity(16 * 1024),
        timer: Box::pin(tokio::time::sleep_until(deadline)),
        timer_at: deadline,
        shutdown: Box::pin(async move { shutdown.requested().await }),
        peer,
    };
    let reason = conn.run().await;
    tracing::debug!(%peer, reason, "{} connection closed", S::PROTOCOL);
    conn.session.close();
    let _ = conn.writer.shutdown().await;
}

struct Connection<S> {
    session: S,
    reader: tokio::net::tcp::OwnedReadHalf,
    writer: OwnedWriteHalf,
    events: EventReceiver,
    /// OpenWire keeps its socket after the broker dropped the connection
    /// (RemoveInfo before ShutdownInfo), so the channel may end first.
    events_open: bool,
    relief: Relief,
    /// Read but not yet decoded: a partial frame, or frames held back.
    input: BytesMut,
    /// The session's next timer, armed once and moved only when the
    /// session's deadline moves: a timer registered anew on every turn of
    /// the loop costs a lock on the runtime's timer wheel per batch.
    timer: Pin<Box<Sleep>>,
    timer_at: Instant,
    /// Resolves when the broker stops; made once for the same reason (a
    /// fresh wait would register with the channel every connection shares).
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    peer: SocketAddr,
}

impl<S: ProtocolSession> Connection<S> {
    /// The select loop; returns why the connection ended.
    async fn run(&mut self) -> &'static str {
        self.session.start(Instant::now());
        loop {
            if let Some(Close {
                reason,
                flush: false,
            }) = self.session.closing()
            {
                return reason;
            }
            if let Err(reason) = self.flush().await {
                return reason;
            }
            if let Some(close) = self.session.closing() {
                return close.reason;
            }
            if let Err(reason) = self.step().await {
                return reason;
            }
            // A confirmation waiting for the store: wait (sharing the sync
            // with every other waiting client), answer, and go on with the
            // frames behind it.
            while let Some(point) = self.session.sync_point() {
                let result = point.wait().await;
                self.session.synced(result);
                self.session.decode(&mut self.input, Instant::now());
            }
        }
    }

    /// Waits for the next thing to happen and hands it to the session.
    async fn step(&mut self) -> Result<(), &'static str> {
        let held_back = self.session.held_back();
        let deadline = self.session.deadline();
        if deadline != self.timer_at {
            self.timer.as_mut().reset(deadline);
            self.timer_at = deadline;
        }
        tokio::select! {
            biased;
            n = self.reader.read_buf(&mut self.input), if !held_back => match n {
                Ok(0) => return Err("peer closed"),
                Err(e) => {
                    tracing::debug!(peer = %self.peer, "read error: {e}");
                    return Err("read error");
                }
                Ok(_) => {
                    let now = Instant::now();
                    self.session.on_read(now);
                    self.session.decode(&mut self.input, now);
                }
            },
            // Held back while a destination it sends to is congested: it
            // resumes, frames already read first, once that clears.
            () = self.relief.wait(), if held_back => {
                if !self.session.still_throttled() {
                    self.relief.cleared();
                    let now = Instant::now();
                    // We were the ones not reading; the client was not silent.
                    self.session.on_read(now);
                    self.session.decode(&mut self.input, now);
                }
            }
            ev = self.events.recv(), if self.events_open => match ev {
                Some(ev) => {
                    self.session.on_event(ev);
                    while self.session.output().len() < WRITE_BATCH {
                        match self.events.try_recv() {
                            Ok(ev) => self.session.on_event(ev),
                            Err(_) => break,
                        }
                    }
                }
                None => {
                    self.events_open = false;
                    self.session.on_events_closed();
                }
            },
            () = self.timer.as_mut() => self.session.on_timer(Instant::now()),
            () = self.shutdown.as_mut() => return Err("broker shutting down"),
        }
        Ok(())
    }

    /// Writes what the session produced, from the session's own buffer:
    /// it is cleared, not handed over, so its capacity serves the next
    /// batch instead of being allocated again.
    async fn flush(&mut self) -> Result<(), &'static str> {
        let out = self.session.output();
        if out.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.writer.write_all(out).await {
            tracing::debug!(peer = %self.peer, "write error: {e}");
            return Err("write error");
        }
        out.clear();
        // A very large message leaves a very large buffer: let it go.
        if out.capacity() > KEEP_CAPACITY {
            *out = BytesMut::with_capacity(16 * 1024);
        }
        self.session.flushed(Instant::now());
        Ok(())
    }
}
