//! OpenWire producer and consumer, behaving like ActiveMQ's JMS client:
//! WireFormatInfo exchange, ConnectionInfo, SessionInfo, ConsumerInfo or
//! ProducerInfo, then messages; RemoveInfo and ShutdownInfo at the end.

use super::link::{Link, WRITE_BATCH};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use bytes::Bytes;
use openwire::negotiate::{negotiate, WireFormatOptions};
use openwire::primitive::PrimitiveMap;
use openwire::{ack_type, transaction_type, Codec, DataStructure, OwString, WireFormat};
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

use super::{stamp, AckMode, Ctx, DestKind, Pacer};

fn s(v: &str) -> Option<OwString> {
    Some(OwString::from(v))
}

struct Conn {
    link: Link,
    rx: Codec,
    tx: Codec,
    next_id: i32,
    connection_id: String,
}

impl Conn {
    async fn connect(ctx: &Ctx, role: &str, index: u32) -> anyhow::Result<Conn> {
        let client_id = format!(
            "ID:ferrum-perf-{}-{}-{role}{index}",
            std::process::id(),
            super::now_ns() / 1_000_000
        );
        let link = Link::connect(&ctx.host).await?;
        let ours = WireFormatOptions {
            version: 12,
            stack_trace: false,
            cache: true,
            tcp_no_delay: true,
            tight: true,
            size_prefix_disabled: false,
            max_frame_size: 100 * 1024 * 1024,
            cache_size: 1024,
            // No inactivity monitor: an idle consumer must not be dropped.
            max_inactivity: 0,
            max_inactivity_initial_delay: 0,
            properties: PrimitiveMap::default(),
        };
        let mut c = Conn {
            link,
            rx: Codec::new(WireFormat::initial(12)),
            tx: Codec::new(WireFormat::initial(12)),
            next_id: 0,
            connection_id: format!("{client_id}:1"),
        };
        let info = ours.to_info().context("building WireFormatInfo")?;
        c.send(DataStructure::WireFormatInfo(Arc::new(info)))?;
        c.flush().await?;
        let theirs = match c.next().await? {
            DataStructure::WireFormatInfo(info) => {
                WireFormatOptions::from_info(&info).context("the broker's WireFormatInfo")?
            }
            other => bail!("expected WireFormatInfo, got {}", other.name()),
        };
        let format = negotiate(&ours, &theirs);
        c.rx.set_format(format);
        c.tx.set_format(format);
        let id = c.id();
        let info = openwire::ConnectionInfo {
            command_id: id,
            response_required: true,
            connection_id: Some(DataStructure::ConnectionId(Arc::new(
                openwire::ConnectionId {
                    value: s(&c.connection_id),
                },
            ))),
            client_id: s(&format!("{client_id}:0")),
            manageable: false,
            ..Default::default()
        };
        c.send(DataStructure::ConnectionInfo(Arc::new(info)))?;
        c.request_done(id).await.context("ConnectionInfo")?;
        let info = openwire::SessionInfo {
            command_id: c.id(),
            response_required: false,
            session_id: Some(DataStructure::SessionId(Arc::new(openwire::SessionId {
                connection_id: s(&c.connection_id),
                value: 1,
            }))),
        };
        c.send(DataStructure::SessionInfo(Arc::new(info)))?;
        Ok(c)
    }

    fn id(&mut self) -> i32 {
        self.next_id += 1;
        self.next_id
    }

    fn send(&mut self, cmd: DataStructure) -> anyhow::Result<()> {
        self.tx
            .write_frame(Some(&cmd), &mut self.link.wbuf)
            .with_context(|| format!("encoding {}", cmd.name()))
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        self.link.flush().await
    }

    /// An async producer's flush: it never waits to read, so this also
    /// looks at whatever the broker sent meanwhile and fails on an error.
    async fn flush_checked(&mut self) -> anyhow::Result<()> {
        let flushed = self.link.flush_and_drain().await;
        while let Some(cmd) = self.buffered()? {
            if let DataStructure::ExceptionResponse(r) = &cmd {
                bail!(
                    "the broker refused: {}",
                    exception_text(r.exception.as_deref())
                );
            }
        }
        flushed
    }

    /// The next command already buffered, answering keep-alives.
    fn buffered(&mut self) -> anyhow::Result<Option<DataStructure>> {
        loop {
            match self
                .rx
                .read_frame(&mut self.link.rbuf)
                .context("bad OpenWire frame from the broker")?
            {
                Some(Some(DataStructure::KeepAliveInfo(k))) => {
                    if k.response_required {
                        self.send(DataStructure::KeepAliveInfo(Arc::default()))?;
                    }
                }
                Some(Some(DataStructure::ConnectionError(e))) => {
                    bail!(
                        "ConnectionError from the broker: {}",
                        exception_text(e.exception.as_deref())
                    )
                }
                Some(Some(DataStructure::ShutdownInfo(_))) => {
                    bail!("the broker is shutting down")
                }
                Some(Some(cmd)) => return Ok(Some(cmd)),
                Some(None) => {}
                None => return Ok(None),
            }
        }
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        if !self.link.wbuf.is_empty() {
            self.flush().await?;
        }
        self.link.fill().await
    }

    async fn next(&mut self) -> anyhow::Result<DataStructure> {
        loop {
            if let Some(cmd) = self.buffered()? {
                return Ok(cmd);
            }
            self.fill().await?;
        }
    }

    /// Flushes and waits for the Response to command `id` (other commands
    /// that arrive meanwhile are dropped: none is expected then).
    async fn request_done(&mut self, id: i32) -> anyhow::Result<()> {
        self.flush().await?;
        loop {
            match self.next().await? {
                DataStructure::Response(r) if r.correlation_id == id => return Ok(()),
                DataStructure::ExceptionResponse(r) if r.correlation_id == id => {
                    bail!(
                        "the broker refused: {}",
                        exception_text(r.exception.as_deref())
                    )
                }
                _ => {}
            }
        }
    }

    fn destination(&self, ctx: &Ctx, name: &str) -> DataStructure {
        let name = s(name);
        match ctx.args.dest {
            DestKind::Queue => DataStructure::Queue(Arc::new(openwire::Queue {
                physical_name: name,
            })),
            DestKind::Topic => DataStructure::Topic(Arc::new(openwire::Topic {
                physical_name: name,
            })),
        }
    }

    /// RemoveInfo for the connection, then ShutdownInfo, as the JMS client
    /// does on close; waits briefly for the RemoveInfo's response.
    async fn close(mut self) {
        let id = self.id();
        let remove = openwire::RemoveInfo {
            command_id: id,
            response_required: true,
            object_id: Some(DataStructure::ConnectionId(Arc::new(
                openwire::ConnectionId {
                    value: s(&self.connection_id),
                },
            ))),
            last_delivered_sequence_id: -1,
        };
        if self
            .send(DataStructure::RemoveInfo(Arc::new(remove)))
            .is_ok()
        {
            let _ = tokio::time::timeout(Duration::from_secs(2), self.request_done(id)).await;
        }
        let shutdown = openwire::ShutdownInfo {
            command_id: self.id(),
            response_required: false,
        };
        if self
            .send(DataStructure::ShutdownInfo(Arc::new(shutdown)))
            .is_ok()
        {
            let _ = self.flush().await;
        }
        let _ = self.link.stream.shutdown().await;
    }
}

fn exception_text(e: Option<&openwire::Throwable>) -> String {
    let class = e
        .and_then(|e| e.class.as_ref())
        .map(|c| c.to_string_lossy());
    let msg = e
        .and_then(|e| e.message.as_ref())
        .map(|m| m.to_string_lossy());
    format!("{} {}", class.unwrap_or_default(), msg.unwrap_or_default())
        .trim()
        .to_string()
}

pub async fn consumer(ctx: Ctx, index: u32, ready: oneshot::Sender<()>) -> anyhow::Result<()> {
    let mut conn = Conn::connect(&ctx, "consumer", index).await?;
    let destination = conn.destination(&ctx, &ctx.args.consume_name());
    let consumer_id = DataStructure::ConsumerId(Arc::new(openwire::ConsumerId {
        connection_id: s(&conn.connection_id),
        session_id: 1,
        value: 1,
    }));
    let id = conn.id();
    let info = openwire::ConsumerInfo {
        command_id: id,
        response_required: true,
        consumer_id: Some(consumer_id.clone()),
        destination: Some(destination.clone()),
        prefetch_size: i32::try_from(ctx.args.prefetch).unwrap_or(i32::MAX),
        selector: ctx.args.selector_for(index).as_deref().map(OwString::from),
        dispatch_async: true,
        priority: 0,
        ..Default::default()
    };
    conn.send(DataStructure::ConsumerInfo(Arc::new(info)))?;
    conn.request_done(id)
        .await
        .with_context(|| format!("consumer {index} subscribing"))?;
    let _ = ready.send(());

    let mut st = ctx.verifier.consumer(index);
    let mut done = ctx.done.clone();
    let mut finished = false;
    // First and last message ids not yet acknowledged, and how many.
    let mut first: Option<DataStructure> = None;
    let mut last: Option<DataStructure> = None;
    let mut pending = 0;
    let ack_every = i32::try_from(ctx.args.ack_every()).unwrap_or(100);
    let individual = ctx.args.ack == AckMode::Individual;
    while !finished && !ctx.verifier.done_for(&st) {
        while let Some(cmd) = conn.buffered()? {
            let DataStructure::MessageDispatch(d) = &cmd else {
                conn.rx.recycle(cmd);
                continue;
            };
            let Some(msg) = d.message.as_ref() else {
                continue;
            };
            let m = match msg {
                DataStructure::BytesMessage(m)
                | DataStructure::TextMessage(m)
                | DataStructure::ActiveMqMessage(m) => m,
                other => bail!("consumer {index}: unexpected {}", other.name()),
            };
            ctx.counters.received.fetch_add(1, Ordering::Relaxed);
            let body: &[u8] = m.content.as_deref().unwrap_or(&[]);
            if ctx.verifier.on_message(&mut st, body)? {
                finished = true;
                if ctx.args.dest == DestKind::Queue {
                    let _ = ctx.done_tx.send(true);
                }
            }
            if first.is_none() {
                first = m.message_id.clone();
            }
            last = m.message_id.clone();
            pending += 1;
            if individual || pending >= ack_every {
                let ack = ack(
                    &mut conn,
                    &destination,
                    &consumer_id,
                    &mut first,
                    &mut last,
                    pending,
                    if individual {
                        ack_type::INDIVIDUAL
                    } else {
                        ack_type::STANDARD
                    },
                );
                conn.send(ack)?;
                pending = 0;
            }
            conn.rx.recycle(cmd);
        }
        if finished {
            break;
        }
        tokio::select! {
            r = conn.fill() => r.with_context(|| format!("consumer {index}"))?,
            _ = done.changed() => {}
        }
    }
    if pending > 0 {
        let ack = ack(
            &mut conn,
            &destination,
            &consumer_id,
            &mut first,
            &mut last,
            pending,
            ack_type::STANDARD,
        );
        conn.send(ack)?;
    }
    ctx.verifier.finish(st);
    // Close the consumer first, as the JMS client does.
    let remove = openwire::RemoveInfo {
        command_id: conn.id(),
        response_required: false,
        object_id: Some(consumer_id),
        last_delivered_sequence_id: -1,
    };
    conn.send(DataStructure::RemoveInfo(Arc::new(remove)))?;
    conn.close().await;
    Ok(())
}

fn ack(
    conn: &mut Conn,
    destination: &DataStructure,
    consumer_id: &DataStructure,
    first: &mut Option<DataStructure>,
    last: &mut Option<DataStructure>,
    count: i32,
    ack_type: i8,
) -> DataStructure {
    DataStructure::MessageAck(Arc::new(openwire::MessageAck {
        command_id: conn.id(),
        response_required: false,
        destination: Some(destination.clone()),
        consumer_id: Some(consumer_id.clone()),
        ack_type,
        first_message_id: first.take(),
        last_message_id: last.take(),
        message_count: count,
        ..Default::default()
    }))
}

pub async fn producer(ctx: Ctx, index: u32, count: u64) -> anyhow::Result<()> {
    let mut conn = Conn::connect(&ctx, "producer", index).await?;
    let destinations: Vec<DataStructure> = ctx
        .args
        .send_names()
        .iter()
        .map(|n| conn.destination(&ctx, n))
        .collect();
    // One destination: the producer's own; spread: an anonymous producer
    // naming each message's destination.
    let producer_destination = (destinations.len() == 1).then(|| destinations[0].clone());
    let producer_id = DataStructure::ProducerId(Arc::new(openwire::ProducerId {
        connection_id: s(&conn.connection_id),
        value: 1,
        session_id: 1,
    }));
    let id = conn.id();
    let info = openwire::ProducerInfo {
        command_id: id,
        response_required: true,
        producer_id: Some(producer_id.clone()),
        destination: producer_destination,
        ..Default::default()
    };
    conn.send(DataStructure::ProducerInfo(Arc::new(info)))?;
    conn.request_done(id)
        .await
        .with_context(|| format!("producer {index} registering"))?;

    let persistent = ctx.args.persistent;
    let mut body = vec![0u8; ctx.args.size];
    let mut unreported = 0;
    let pacer = Pacer::new(&ctx.args);
    let started = std::time::Instant::now();
    let mut tx: Option<DataStructure> = None;
    let mut tx_count = 0;
    for seq in 0..count {
        if let Some(due) = pacer.as_ref().and_then(|p| p.wait_for(seq)) {
            conn.flush_checked()
                .await
                .with_context(|| format!("producer {index}"))?;
            ctx.counters.sent.fetch_add(unreported, Ordering::Relaxed);
            unreported = 0;
            tokio::time::sleep_until(due).await;
        }
        stamp(&mut body, index, seq);
        let stopping = ctx.args.expired(started);
        let last = seq + 1 == count || stopping;
        if ctx.args.tx_batch > 0 && tx.is_none() {
            tx_count += 1;
            let t = DataStructure::LocalTransactionId(Arc::new(openwire::LocalTransactionId {
                value: tx_count,
                connection_id: Some(DataStructure::ConnectionId(Arc::new(
                    openwire::ConnectionId {
                        value: s(&conn.connection_id),
                    },
                ))),
            }));
            let (begin, _) = transaction_info(&mut conn, &t, transaction_type::BEGIN, false);
            conn.send(begin)?;
            tx = Some(t);
        }
        // Persistent sends are synchronous (outside a transaction); the
        // last message of an async run also asks for a response, so the
        // run knows all arrived. Transactions wait for their commits.
        let sync = tx.is_none() && (persistent || last);
        let id = conn.id();
        let msg = openwire::Message {
            command_id: id,
            response_required: sync,
            producer_id: Some(producer_id.clone()),
            destination: Some(destinations[(seq % destinations.len() as u64) as usize].clone()),
            message_id: Some(DataStructure::MessageId(Arc::new(openwire::MessageId {
                producer_id: Some(producer_id.clone()),
                producer_sequence_id: seq as i64 + 1,
                ..Default::default()
            }))),
            persistent,
            priority: 4,
            timestamp: (super::now_ns() / 1_000_000) as i64,
            content: Some(Bytes::copy_from_slice(&body)),
            transaction_id: tx.clone(),
            marshalled_properties: ctx.args.selector_properties(index, seq).and_then(|p| {
                let props: Vec<(Arc<str>, model::Value)> = p
                    .iter()
                    .map(|(k, v)| (Arc::from(*k), model::Value::Int(*v as i32)))
                    .collect();
                openwire_adapter::marshal_properties(&props)
            }),
            ..Default::default()
        };
        conn.send(DataStructure::BytesMessage(Arc::new(msg)))?;
        unreported += 1;
        if stopping {
            ctx.verifier.truncate(index, seq + 1);
        }
        if let (Some(t), true) = (&tx, ctx.args.commits_after(seq, last)) {
            let (commit, commit_id) =
                transaction_info(&mut conn, t, transaction_type::COMMIT_ONE_PHASE, true);
            conn.send(commit)?;
            conn.request_done(commit_id)
                .await
                .with_context(|| format!("producer {index} committing"))?;
            tx = None;
            ctx.counters.sent.fetch_add(unreported, Ordering::Relaxed);
            unreported = 0;
        } else if sync {
            conn.request_done(id)
                .await
                .with_context(|| format!("producer {index} sending"))?;
        } else if conn.link.wbuf.len() >= WRITE_BATCH {
            conn.flush_checked()
                .await
                .with_context(|| format!("producer {index}"))?;
        } else {
            continue;
        }
        ctx.counters.sent.fetch_add(unreported, Ordering::Relaxed);
        unreported = 0;
        if last {
            break;
        }
    }
    conn.flush_checked().await?;
    ctx.counters.sent.fetch_add(unreported, Ordering::Relaxed);
    ctx.counters.producer_done();
    // Consumers waiting for more than a stopped producer sent look again.
    ctx.done_tx.send_modify(|_| {});
    conn.close().await;
    Ok(())
}

/// A TransactionInfo for `tx`, and its command id (to await its response).
fn transaction_info(
    conn: &mut Conn,
    tx: &DataStructure,
    kind: i8,
    response: bool,
) -> (DataStructure, i32) {
    let command_id = conn.id();
    let info = DataStructure::TransactionInfo(Arc::new(openwire::TransactionInfo {
        command_id,
        response_required: response,
        connection_id: Some(DataStructure::ConnectionId(Arc::new(
            openwire::ConnectionId {
                value: s(&conn.connection_id),
            },
        ))),
        transaction_id: Some(tx.clone()),
        kind,
    }));
    (info, command_id)
}
