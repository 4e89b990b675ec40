//! One OpenWire connection's I/O: the WireFormatInfo exchange, frames in
//! and out, and the inactivity monitor (KeepAliveInfo both ways).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use broker::Broker;
use bytes::BytesMut;
use openwire::negotiate::{negotiate, WireFormatOptions};
use openwire::{Codec, DataStructure, OwString, WireFormat};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::session::Session;
use super::Settings;
use crate::shutdown::Shutdown;

/// Stop gathering dispatches into one write past this many bytes.
const WRITE_BATCH: usize = 64 * 1024;

/// How often a throttled connection checks whether its destination
/// cleared.
const THROTTLE_POLL: Duration = Duration::from_millis(2);

/// A client that has not sent its WireFormatInfo within this time is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(
    socket: TcpStream,
    peer: SocketAddr,
    broker: Arc<Broker>,
    settings: Arc<Settings>,
    mut shutdown: Shutdown,
) {
    let _ = socket.set_nodelay(true);
    tracing::debug!(%peer, "OpenWire connection accepted");
    let (mut reader, mut writer) = socket.into_split();
    let ours = settings.options.clone();
    let mut rx = Codec::new(WireFormat::initial(12));
    let mut tx = Codec::new(WireFormat::initial(12));
    let mut out = BytesMut::with_capacity(16 * 1024);
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut session = Session::new(Arc::clone(&broker), events_tx);

    // We speak first, as ActiveMQ does.
    match ours.to_info() {
        Ok(info) => {
            if tx
                .write_frame(
                    Some(&DataStructure::WireFormatInfo(Arc::new(info))),
                    &mut out,
                )
                .is_err()
            {
                return;
            }
        }
        Err(e) => {
            tracing::error!("cannot build WireFormatInfo: {e}");
            return;
        }
    }
    if writer.write_all(&out).await.is_err() {
        return;
    }
    out.clear();

    let mut input = BytesMut::with_capacity(16 * 1024);
    let started = Instant::now();
    let mut negotiated: Option<WireFormatOptions> = None;
    let mut last_read = Instant::now();
    let mut last_write = Instant::now();
    let mut inactivity = Duration::ZERO;
    let mut events_open = true;
    let mut read_checks_from = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let reason = 'conn: loop {
        let mut decode = false;
        tokio::select! {
            biased;
            n = reader.read_buf(&mut input), if session.throttle.is_none() => {
                match n {
                    Ok(0) => break "peer closed",
                    Err(_) => break "read error",
                    Ok(_) => last_read = Instant::now(),
                }
                decode = true;
            }
            // Held back while a destination it sends to is congested: it
            // resumes, commands already read first, once that clears.
            _ = tokio::time::sleep(THROTTLE_POLL), if session.throttle.is_some() => {
                // We are the ones not reading; the client is not silent.
                last_read = Instant::now();
                decode = !session.throttled();
            }
            ev = events.recv(), if events_open => {
                // The broker drops our channel when the client removed its
                // connection (RemoveInfo); the socket stays until ShutdownInfo.
                let Some(ev) = ev else {
                    events_open = false;
                    continue;
                };
                session.on_event(ev);
                while out.len() < WRITE_BATCH {
                    match events.try_recv() {
                        Ok(ev) => {
                            session.on_event(ev);
                            if session.out.len() > 64 && !flush_into(&mut tx, &mut session, &mut out) {
                                break;
                            }
                        }
                        Err(_) => break,
                    }
                }
            }
            _ = sleep_until_pull(session.next_pull_deadline()), if session.next_pull_deadline().is_some() => {
                session.expire_pulls(std::time::Instant::now());
            }
            _ = tick.tick() => {
                let now = Instant::now();
                if negotiated.is_none() && now - started > HANDSHAKE_TIMEOUT {
                    break "no WireFormatInfo in time";
                }
                if !inactivity.is_zero() {
                    if now > read_checks_from && now - last_read.max(read_checks_from) > inactivity * 2 {
                        break "inactivity timeout";
                    }
                    if session.out.is_empty() && now - last_write > inactivity / 3 {
                        session.out.push(DataStructure::KeepAliveInfo(Arc::new(openwire::KeepAliveInfo::default())));
                    }
                }
            }
            _ = shutdown.requested() => break "broker shutting down",
        }
        if decode {
            loop {
                match rx.read_frame(&mut input) {
                    Ok(Some(Some(cmd))) => {
                        if negotiated.is_none() {
                            let DataStructure::WireFormatInfo(info) = &cmd else {
                                tracing::info!(%peer, "OpenWire client did not start with WireFormatInfo");
                                break 'conn "protocol error";
                            };
                            let theirs = match WireFormatOptions::from_info(info) {
                                Ok(t) => t,
                                Err(e) => {
                                    tracing::info!(%peer, "bad WireFormatInfo: {e}");
                                    break 'conn "bad WireFormatInfo";
                                }
                            };
                            let format = negotiate(&ours, &theirs);
                            inactivity = Duration::from_millis(
                                ours.max_inactivity.min(theirs.max_inactivity).max(0) as u64,
                            );
                            if theirs.max_inactivity == 0 || ours.max_inactivity == 0 {
                                inactivity = Duration::ZERO;
                            }
                            // Like ActiveMQ's monitor, wait the smaller of the two
                            // initial delays before expecting keep-alives.
                            let delay = theirs
                                .max_inactivity_initial_delay
                                .min(ours.max_inactivity_initial_delay)
                                .max(0);
                            read_checks_from = Instant::now() + Duration::from_millis(delay as u64);
                            tracing::debug!(%peer, ?format, "OpenWire format negotiated");
                            rx.set_format(format);
                            tx.set_format(format);
                            negotiated = Some(theirs);
                            session.out.push(broker_info(&settings));
                            continue;
                        }
                        session.on_command(cmd);
                        if let Some(a) = session.awaiting.take() {
                            // Group commit: other connections' waits share this sync.
                            let result = a.point.clone().wait().await;
                            session.synced(a, result);
                        }
                        if session.closing {
                            break;
                        }
                    }
                    Ok(Some(None)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        tracing::info!(%peer, "bad OpenWire input: {e}");
                        break 'conn "bad input";
                    }
                }
            }
        }
        if !flush_into(&mut tx, &mut session, &mut out) {
            break "encoding error";
        }
        if !out.is_empty() {
            if writer.write_all(&out).await.is_err() {
                break "write error";
            }
            out.clear();
            last_write = Instant::now();
        }
        if session.closing {
            break "closed by client";
        }
    };
    tracing::debug!(%peer, reason, "OpenWire connection closed");
    session.close();
    let _ = writer.shutdown().await;
}

/// Encodes the session's pending commands. A command that cannot be
/// encoded may have left the marshalling cache out of step with the peer's,
/// so the connection must end (the caller closes it).
fn flush_into(tx: &mut Codec, session: &mut Session, out: &mut BytesMut) -> bool {
    for cmd in session.out.drain(..) {
        if let Err(e) = tx.write_frame(Some(&cmd), out) {
            tracing::warn!("cannot encode {}: {e}; closing the connection", cmd.name());
            session.closing = true;
            return false;
        }
    }
    true
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

async fn sleep_until_pull(deadline: Option<std::time::Instant>) {
    if let Some(d) = deadline {
        tokio::time::sleep_until(Instant::from_std(d)).await;
    }
}
