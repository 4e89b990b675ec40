//! One STOMP connection's I/O: reads frames, writes what the session
//! produced, keeps heart-beats, and always releases the connection's broker
//! state when the socket ends, however it ends.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use broker::Broker;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::session::Session;
use super::Settings;
use crate::shutdown::Shutdown;

/// Stop gathering deliveries into one write past this many bytes, so a
/// burst cannot grow the write buffer without bound.
const WRITE_BATCH: usize = 64 * 1024;

/// How often a held-back producer looks whether it may go on.
const THROTTLE_POLL: Duration = Duration::from_millis(2);

/// A client that has not sent CONNECT within this time is dropped.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How many missed heart-beat intervals we tolerate before dropping a
/// silent client (ActiveMQ drops at about three).
const READ_GRACE: u32 = 3;

pub async fn run(
    socket: TcpStream,
    peer: SocketAddr,
    broker: Arc<Broker>,
    settings: Arc<Settings>,
    serial: u64,
    mut shutdown: Shutdown,
) {
    let _ = socket.set_nodelay(true);
    tracing::debug!(%peer, "STOMP connection accepted");
    let (tx, mut events) = mpsc::unbounded_channel();
    let limits = settings.limits;
    let mut session = Session::new(broker, settings, tx, serial);
    let (mut reader, mut writer) = socket.into_split();
    let mut input = BytesMut::with_capacity(16 * 1024);
    let mut read_state = stomp::ReadState::default();
    let mut last_read = Instant::now();
    let mut last_write = Instant::now();
    let started = Instant::now();
    // Until CONNECT only the connect timeout needs checking; afterwards the
    // tick follows the negotiated heart-beat intervals.
    let mut tick_period = Duration::from_secs(1);
    let mut tick = ticker(tick_period);
    let mut heart_beat_armed = false;

    let reason = loop {
        tokio::select! {
            biased;
            n = reader.read_buf(&mut input), if session.throttle.is_none() => {
                match n {
                    Ok(0) => break "peer closed",
                    Err(e) => {
                        tracing::debug!(%peer, "read error: {e}");
                        break "read error";
                    }
                    Ok(_) => {
                        last_read = Instant::now();
                        decode_input(&mut session, &mut input, &limits, &mut read_state);
                    }
                }
            }
            // Held back while a destination it sends to is congested: it
            // resumes, frames already read first, once that clears.
            _ = tokio::time::sleep(THROTTLE_POLL), if session.throttle.is_some() => {
                if !session.throttled() {
                    last_read = Instant::now();
                    decode_input(&mut session, &mut input, &limits, &mut read_state);
                }
            }
            ev = events.recv() => {
                let Some(ev) = ev else { break "broker closed the connection" };
                session.on_event(ev);
                while session.out.len() < WRITE_BATCH {
                    match events.try_recv() {
                        Ok(ev) => session.on_event(ev),
                        Err(_) => break,
                    }
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                if session.version().is_none() && now - started > CONNECT_TIMEOUT {
                    break "no CONNECT in time";
                }
                if session.throttle.is_some() {
                    // We are the ones not reading; the client is not silent.
                    last_read = now;
                }
                if let Some(expect) = session.heart_beat.expect_every {
                    if now - last_read > expect * READ_GRACE {
                        tracing::info!(%peer, "STOMP client missed its heart-beats; closing");
                        break "heart-beat timeout";
                    }
                }
                if let Some(every) = session.heart_beat.send_every {
                    // Beat on the last tick before the interval runs out,
                    // so the client never waits longer than it asked for.
                    if session.out.is_empty() && now - last_write + tick_period > every {
                        session.out.extend_from_slice(b"\n");
                    }
                }
            }
            _ = shutdown.requested() => break "broker shutting down",
        }
        // A receipt waiting for the store: wait (sharing the sync with every
        // other waiting client), answer, and go on with the frames behind it.
        while let Some(a) = session.awaiting.take() {
            let result = a.point.clone().wait().await;
            session.synced(a, result);
            decode_input(&mut session, &mut input, &limits, &mut read_state);
        }
        if !session.out.is_empty() {
            let out = session.out.split();
            if let Err(e) = writer.write_all(&out).await {
                tracing::debug!(%peer, "write error: {e}");
                break "write error";
            }
            last_write = Instant::now();
            session.after_flush();
        }
        if session.closing {
            break "closed by protocol";
        }
        if !heart_beat_armed && session.version().is_some() {
            heart_beat_armed = true;
            let hb = session.heart_beat;
            if let Some(every) = [hb.send_every, hb.expect_every].into_iter().flatten().min() {
                tick_period = (every / 4).max(Duration::from_millis(10));
                tick = ticker(tick_period);
            }
        }
    };
    tracing::debug!(%peer, reason, "STOMP connection closed");
    session.close();
    let _ = writer.shutdown().await;
}

/// Decodes and handles every complete frame in `input`, stopping early when
/// the session is closing or has been asked to hold the client back.
fn decode_input(
    session: &mut Session,
    input: &mut BytesMut,
    limits: &stomp::Limits,
    state: &mut stomp::ReadState,
) {
    while !session.closing && session.throttle.is_none() && session.awaiting.is_none() {
        match stomp::read(input, session.version(), limits, state) {
            Ok(Some(item)) => session.on_item(item),
            Ok(None) => break,
            Err(e) => {
                session.on_decode_error(&e);
                break;
            }
        }
    }
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let mut t = tokio::time::interval_at(Instant::now() + period, period);
    t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    t
}
