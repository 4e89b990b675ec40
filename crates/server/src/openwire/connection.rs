//! One OpenWire connection as the transport drives it, without I/O: the
//! WireFormatInfo exchange (we speak first, then negotiate), the codecs
//! both ways, the inactivity monitor (KeepAliveInfo both ways) and pull
//! timeouts, around the protocol session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use broker::{Broker, Event, EventSender, StoreError, SyncPoint};
use bytes::BytesMut;
use openwire::negotiate::{negotiate, WireFormatOptions};
use openwire::{Codec, DataStructure, OwString, WireFormat};
use tokio::time::Instant;

use super::session::{self, Session};
use super::Settings;
use crate::transport::{Close, ProtocolSession};

/// A client that has not sent its WireFormatInfo within this time is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the handshake and inactivity limits are looked at.
const TICK: Duration = Duration::from_millis(250);

pub struct OpenwireConnection {
    session: Session,
    settings: Arc<Settings>,
    peer: SocketAddr,
    rx: Codec,
    tx: Codec,
    /// Encoded, waiting to be written.
    out: BytesMut,
    /// The client's WireFormatInfo, once it came.
    negotiated: Option<WireFormatOptions>,
    started: Instant,
    last_read: Instant,
    last_write: Instant,
    /// Zero when either side turned the monitor off.
    inactivity: Duration,
    /// Keep-alives are expected only after the negotiated initial delay.
    read_checks_from: Instant,
    next_tick: Instant,
    close: Option<Close>,
}

impl OpenwireConnection {
    pub fn new(
        broker: Arc<Broker>,
        settings: Arc<Settings>,
        events: EventSender,
        peer: SocketAddr,
        now: Instant,
    ) -> OpenwireConnection {
        OpenwireConnection {
            session: Session::new(broker, events),
            settings,
            peer,
            rx: Codec::new(WireFormat::initial(12)),
            tx: Codec::new(WireFormat::initial(12)),
            out: BytesMut::with_capacity(16 * 1024),
            negotiated: None,
            started: now,
            last_read: now,
            last_write: now,
            inactivity: Duration::ZERO,
            read_checks_from: now,
            next_tick: now,
            close: None,
        }
    }

    /// The client's first command must be its WireFormatInfo: agree on a
    /// format and on inactivity limits, and introduce the broker.
    fn handshake(&mut self, cmd: &DataStructure, now: Instant) -> Result<(), Close> {
        let DataStructure::WireFormatInfo(info) = cmd else {
            tracing::info!(peer = %self.peer, "OpenWire client did not start with WireFormatInfo");
            return Err(Close::now("protocol error"));
        };
        let theirs = WireFormatOptions::from_info(info).map_err(|e| {
            tracing::info!(peer = %self.peer, "bad WireFormatInfo: {e}");
            Close::now("bad WireFormatInfo")
        })?;
        let ours = &self.settings.options;
        let format = negotiate(ours, &theirs);
        self.inactivity = if theirs.max_inactivity == 0 || ours.max_inactivity == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(ours.max_inactivity.min(theirs.max_inactivity).max(0) as u64)
        };
        // Like ActiveMQ's monitor, wait the smaller of the two initial
        // delays before expecting keep-alives.
        let delay = theirs
            .max_inactivity_initial_delay
            .min(ours.max_inactivity_initial_delay)
            .max(0);
        self.read_checks_from = now + Duration::from_millis(delay as u64);
        tracing::debug!(peer = %self.peer, ?format, "OpenWire format negotiated");
        self.rx.set_format(format);
        self.tx.set_format(format);
        self.negotiated = Some(theirs);
        self.session.out.push(broker_info(&self.settings));
        Ok(())
    }

    /// Encodes the session's pending commands. A command that cannot be
    /// encoded may have left the marshalling cache out of step with the
    /// peer's, so the connection ends.
    fn encode(&mut self) {
        for cmd in self.session.out.drain(..) {
            if let Err(e) = self.tx.write_frame(Some(&cmd), &mut self.out) {
                tracing::warn!("cannot encode {}: {e}; closing the connection", cmd.name());
                self.close = Some(Close::now("encoding error"));
                return;
            }
        }
    }

    fn tick(&mut self, now: Instant) {
        if self.negotiated.is_none() && now - self.started > HANDSHAKE_TIMEOUT {
            self.close = Some(Close::now("no WireFormatInfo in time"));
            return;
        }
        if self.session.throttle.is_some() {
            // We are the ones not reading; the client is not silent.
            self.last_read = now;
        }
        if self.inactivity.is_zero() {
            return;
        }
        if now > self.read_checks_from
            && now - self.last_read.max(self.read_checks_from) > self.inactivity * 2
        {
            self.close = Some(Close::now("inactivity timeout"));
            return;
        }
        if self.out.is_empty()
            && self.session.out.is_empty()
            && now - self.last_write > self.inactivity / 3
        {
            self.session.out.push(DataStructure::KeepAliveInfo(Arc::new(
                openwire::KeepAliveInfo::default(),
            )));
            self.encode();
        }
    }
}

impl ProtocolSession for OpenwireConnection {
    const PROTOCOL: &'static str = "OpenWire";

    /// We speak first, as ActiveMQ does.
    fn start(&mut self, _now: Instant) {
        match self.settings.options.to_info() {
            Ok(info) => {
                let info = DataStructure::WireFormatInfo(Arc::new(info));
                if self.tx.write_frame(Some(&info), &mut self.out).is_err() {
                    self.close = Some(Close::now("encoding error"));
                }
            }
            Err(e) => {
                tracing::error!("cannot build WireFormatInfo: {e}");
                self.close = Some(Close::now("no WireFormatInfo to offer"));
            }
        }
    }

    fn on_read(&mut self, now: Instant) {
        self.last_read = now;
    }

    /// Unlike STOMP, goes on through commands already read when held back:
    /// only further reading stops.
    fn decode(&mut self, input: &mut BytesMut, now: Instant) {
        while self.close.is_none()
            && !self.session.closing
            && self.session.awaiting.len() < session::MAX_AWAITING
        {
            match self.rx.read_frame(input) {
                Ok(Some(Some(cmd))) if self.negotiated.is_none() => {
                    if let Err(close) = self.handshake(&cmd, now) {
                        self.close = Some(close);
                    }
                }
                Ok(Some(Some(cmd))) => self.session.on_command(cmd),
                Ok(Some(None)) => {}
                Ok(None) => break,
                Err(e) => {
                    tracing::info!(peer = %self.peer, "bad OpenWire input: {e}");
                    self.close = Some(Close::now("bad input"));
                }
            }
        }
        self.encode();
    }

    fn on_event(&mut self, event: Event) {
        self.session.on_event(event);
    }

    /// The broker drops the channel when the client removed its connection
    /// (RemoveInfo); the socket stays until ShutdownInfo.
    fn on_events_closed(&mut self) {}

    /// Encodes as it is asked, so the length the driver batches writes by
    /// counts every command produced so far.
    fn output(&mut self) -> &mut BytesMut {
        self.encode();
        &mut self.out
    }

    fn flushed(&mut self, now: Instant) {
        self.last_write = now;
    }

    fn sync_point(&self) -> Option<SyncPoint> {
        self.session.sync_point()
    }

    fn synced(&mut self, result: Result<(), StoreError>) {
        self.session.synced(result);
    }

    fn held_back(&self) -> bool {
        self.session.throttle.is_some()
    }

    fn still_throttled(&mut self) -> bool {
        self.session.throttled()
    }

    fn deadline(&self) -> Instant {
        match self.session.next_pull_deadline() {
            Some(pull) => self.next_tick.min(Instant::from_std(pull)),
            None => self.next_tick,
        }
    }

    fn on_timer(&mut self, now: Instant) {
        if self
            .session
            .next_pull_deadline()
            .is_some_and(|d| d <= std::time::Instant::now())
        {
            self.session.expire_pulls(std::time::Instant::now());
        }
        if now >= self.next_tick {
            self.next_tick = now + TICK;
            self.tick(now);
        }
    }

    fn closing(&self) -> Option<Close> {
        self.close.or_else(|| {
            self.session
                .closing
                .then_some(Close::after_flush("closed by client"))
        })
    }

    fn close(&mut self) {
        self.session.close();
    }
}

fn broker_info(settings: &Settings) -> DataStructure {
    DataStructure::BrokerInfo(Arc::new(openwire::BrokerInfo {
        broker_id: Some(DataStructure::BrokerId(Arc::new(openwire::BrokerId {
            value: Some(OwString::from(settings.broker_id.as_str())),
        }))),
        broker_url: Some(OwString::from(settings.broker_url.as_str())),
        broker_name: Some(OwString::from(settings.broker_name.as_str())),
        ..Default::default()
    }))
}
