//! One STOMP connection as the transport drives it, without I/O: frames
//! decoded from the client's bytes into the session, the CONNECT timeout,
//! and heart-beats both ways.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use broker::{Broker, Event, EventSender, StoreError, SyncPoint};
use bytes::BytesMut;
use tokio::time::Instant;

use super::session::Session;
use super::Settings;
use crate::transport::{Close, ProtocolSession};

/// A client that has not sent CONNECT within this time is dropped.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How many missed heart-beat intervals we tolerate before dropping a
/// silent client (ActiveMQ drops at about three).
const READ_GRACE: u32 = 3;

pub struct StompConnection {
    session: Session,
    peer: SocketAddr,
    limits: stomp::Limits,
    read_state: stomp::ReadState,
    started: Instant,
    last_read: Instant,
    last_write: Instant,
    /// Until CONNECT only the connect timeout needs checking; afterwards
    /// the tick follows the negotiated heart-beat intervals.
    tick_period: Duration,
    next_tick: Instant,
    heart_beat_armed: bool,
    /// Set by a timer or the broker; a protocol close is the session's.
    close: Option<Close>,
}

impl StompConnection {
    pub fn new(
        broker: Arc<Broker>,
        settings: Arc<Settings>,
        events: EventSender,
        serial: u64,
        peer: SocketAddr,
        now: Instant,
    ) -> StompConnection {
        let limits = settings.limits;
        let tick_period = Duration::from_secs(1);
        StompConnection {
            session: Session::new(broker, settings, events, serial),
            peer,
            limits,
            read_state: stomp::ReadState::default(),
            started: now,
            last_read: now,
            last_write: now,
            tick_period,
            next_tick: now + tick_period,
            heart_beat_armed: false,
            close: None,
        }
    }

    /// Once CONNECT negotiated heart-beats, ticks often enough to keep them.
    fn arm_heart_beat(&mut self, now: Instant) {
        if self.heart_beat_armed || self.session.version().is_none() {
            return;
        }
        self.heart_beat_armed = true;
        let hb = self.session.heart_beat;
        if let Some(every) = [hb.send_every, hb.expect_every].into_iter().flatten().min() {
            self.tick_period = (every / 4).max(Duration::from_millis(10));
            self.next_tick = now + self.tick_period;
        }
    }

    fn tick(&mut self, now: Instant) {
        if self.session.version().is_none() && now - self.started > CONNECT_TIMEOUT {
            self.close = Some(Close::now("no CONNECT in time"));
            return;
        }
        if self.session.throttle.is_some() {
            // We are the ones not reading; the client is not silent.
            self.last_read = now;
        }
        if let Some(expect) = self.session.heart_beat.expect_every {
            if now - self.last_read > expect * READ_GRACE {
                tracing::info!(peer = %self.peer, "STOMP client missed its heart-beats; closing");
                self.close = Some(Close::now("heart-beat timeout"));
                return;
            }
        }
        if let Some(every) = self.session.heart_beat.send_every {
            // Beat on the last tick before the interval runs out, so the
            // client never waits longer than it asked for.
            if self.session.out.is_empty() && now - self.last_write + self.tick_period > every {
                self.session.out.extend_from_slice(b"\n");
            }
        }
    }
}

impl ProtocolSession for StompConnection {
    const PROTOCOL: &'static str = "STOMP";

    fn on_read(&mut self, now: Instant) {
        self.last_read = now;
    }

    /// Stops early when the session is closing, held back, or waiting for
    /// the store.
    fn decode(&mut self, input: &mut BytesMut, now: Instant) {
        let s = &mut self.session;
        while !s.closing && s.throttle.is_none() && s.awaiting.is_none() {
            match stomp::read(input, s.version(), &self.limits, &mut self.read_state) {
                Ok(Some(item)) => s.on_item(item),
                Ok(None) => break,
                Err(e) => {
                    s.on_decode_error(&e);
                    break;
                }
            }
        }
        self.arm_heart_beat(now);
    }

    fn on_event(&mut self, event: Event) {
        self.session.on_event(event);
    }

    fn on_events_closed(&mut self) {
        self.close = Some(Close::now("broker closed the connection"));
    }

    fn output(&mut self) -> &mut BytesMut {
        &mut self.session.out
    }

    fn flushed(&mut self, now: Instant) {
        self.last_write = now;
        self.session.after_flush();
    }

    fn sync_point(&self) -> Option<SyncPoint> {
        self.session.awaiting.as_ref().map(|a| a.point.clone())
    }

    fn synced(&mut self, result: Result<(), StoreError>) {
        if let Some(a) = self.session.awaiting.take() {
            self.session.synced(a, result);
        }
    }

    fn held_back(&self) -> bool {
        self.session.throttle.is_some()
    }

    fn still_throttled(&mut self) -> bool {
        self.session.throttled()
    }

    fn deadline(&self) -> Instant {
        self.next_tick
    }

    fn on_timer(&mut self, now: Instant) {
        if now >= self.next_tick {
            self.next_tick = now + self.tick_period;
            self.tick(now);
        }
    }

    fn closing(&self) -> Option<Close> {
        self.close.or_else(|| {
            self.session
                .closing
                .then_some(Close::after_flush("closed by protocol"))
        })
    }

    fn close(&mut self) {
        self.session.close();
    }
}
