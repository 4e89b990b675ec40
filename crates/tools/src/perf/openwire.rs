//! OpenWire producer and consumer, behaving like ActiveMQ's JMS client:
//! ConnectionInfo and SessionInfo (see [`Conn`]), ConsumerInfo or
//! ProducerInfo, then messages; RemoveInfo and ShutdownInfo at the end.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use anyhow::{bail, Context};
use bytes::Bytes;
use openwire::client::Event;
use openwire::{ack_type, transaction_type, DataStructure, OwString};
use tokio::sync::oneshot;

use super::link::WRITE_BATCH;
use super::openwire_conn::Conn;
use super::{stamp, AckMode, Ctx, DestKind, Pacer};

fn s(v: &str) -> Option<OwString> {
    Some(OwString::from(v))
}

async fn connect(ctx: &Ctx, role: &str, index: u32) -> anyhow::Result<Conn> {
    let client_id = format!(
        "ID:ferrum-perf-{}-{}-{role}{index}",
        std::process::id(),
        super::now_ns() / 1_000_000
    );
    Conn::connect(&ctx.host, &client_id).await
}

fn destination(ctx: &Ctx, name: &str) -> DataStructure {
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

pub async fn consumer(ctx: Ctx, index: u32, ready: oneshot::Sender<()>) -> anyhow::Result<()> {
    let mut conn = connect(&ctx, "consumer", index).await?;
    let (destination, consumer_id) = subscribe(&ctx, &mut conn, index).await?;
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
        while let Some(event) = conn.buffered()? {
            let Event::Command(cmd) = event else {
                continue;
            };
            let DataStructure::MessageDispatch(d) = &cmd else {
                conn.client.recycle(cmd);
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
            conn.client.recycle(cmd);
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
        object_id: Some(consumer_id),
        last_delivered_sequence_id: -1,
        ..Default::default()
    };
    conn.send(DataStructure::RemoveInfo(Arc::new(remove)))?;
    conn.close().await;
    Ok(())
}

/// Registers the consumer and waits for the broker's answer; returns its
/// destination and id, which every ack names.
async fn subscribe(
    ctx: &Ctx,
    conn: &mut Conn,
    index: u32,
) -> anyhow::Result<(DataStructure, DataStructure)> {
    let destination = destination(ctx, &ctx.args.consume_name());
    let consumer_id = DataStructure::ConsumerId(Arc::new(openwire::ConsumerId {
        connection_id: s(&conn.connection_id),
        session_id: 1,
        value: 1,
    }));
    let info = openwire::ConsumerInfo {
        consumer_id: Some(consumer_id.clone()),
        destination: Some(destination.clone()),
        prefetch_size: i32::try_from(ctx.args.prefetch).unwrap_or(i32::MAX),
        selector: ctx.args.selector_for(index).as_deref().map(OwString::from),
        dispatch_async: true,
        priority: 0,
        ..Default::default()
    };
    let request = conn.request(DataStructure::ConsumerInfo(Arc::new(info)))?;
    conn.wait(request)
        .await
        .with_context(|| format!("consumer {index} subscribing"))?;
    Ok((destination, consumer_id))
}

fn ack(
    destination: &DataStructure,
    consumer_id: &DataStructure,
    first: &mut Option<DataStructure>,
    last: &mut Option<DataStructure>,
    count: i32,
    ack_type: i8,
) -> DataStructure {
    DataStructure::MessageAck(Arc::new(openwire::MessageAck {
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
    let mut conn = connect(&ctx, "producer", index).await?;
    let destinations: Vec<DataStructure> = ctx
        .args
        .send_names()
        .iter()
        .map(|n| destination(&ctx, n))
        .collect();
    let producer_id = register_producer(&mut conn, index, &destinations).await?;

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
                connection_id: Some(conn.connection_id()),
            }));
            conn.send(transaction_info(&conn, &t, transaction_type::BEGIN))?;
            tx = Some(t);
        }
        // Persistent sends are synchronous (outside a transaction); the
        // last message of an async run also asks for a response, so the
        // run knows all arrived. Transactions wait for their commits.
        let sync = tx.is_none() && (persistent || last);
        let destination = &destinations[(seq % destinations.len() as u64) as usize];
        let msg = bytes_message(&ctx, index, seq, &producer_id, destination, &body, &tx);
        let request = if sync {
            Some(conn.request(msg)?)
        } else {
            conn.send(msg)?;
            None
        };
        unreported += 1;
        if stopping {
            ctx.verifier.truncate(index, seq + 1);
        }
        if let (Some(t), true) = (&tx, ctx.args.commits_after(seq, last)) {
            let commit = transaction_info(&conn, t, transaction_type::COMMIT_ONE_PHASE);
            let request = conn.request(commit)?;
            conn.wait(request)
                .await
                .with_context(|| format!("producer {index} committing"))?;
            tx = None;
            ctx.counters.sent.fetch_add(unreported, Ordering::Relaxed);
            unreported = 0;
        } else if let Some(request) = request {
            conn.wait(request)
                .await
                .with_context(|| format!("producer {index} sending"))?;
        } else if conn.unwritten() >= WRITE_BATCH {
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

/// ProducerInfo: one destination is the producer's own; several (spread)
/// make an anonymous producer naming each message's destination.
async fn register_producer(
    conn: &mut Conn,
    index: u32,
    destinations: &[DataStructure],
) -> anyhow::Result<DataStructure> {
    let producer_id = DataStructure::ProducerId(Arc::new(openwire::ProducerId {
        connection_id: s(&conn.connection_id),
        value: 1,
        session_id: 1,
    }));
    let info = openwire::ProducerInfo {
        producer_id: Some(producer_id.clone()),
        destination: match destinations {
            [only] => Some(only.clone()),
            _ => None,
        },
        ..Default::default()
    };
    let request = conn.request(DataStructure::ProducerInfo(Arc::new(info)))?;
    conn.wait(request)
        .await
        .with_context(|| format!("producer {index} registering"))?;
    Ok(producer_id)
}

/// Producer `index`'s message `seq`, as the JMS client sends a
/// BytesMessage (`body` already stamped).
fn bytes_message(
    ctx: &Ctx,
    index: u32,
    seq: u64,
    producer_id: &DataStructure,
    destination: &DataStructure,
    body: &[u8],
    tx: &Option<DataStructure>,
) -> DataStructure {
    let msg = openwire::Message {
        producer_id: Some(producer_id.clone()),
        destination: Some(destination.clone()),
        message_id: Some(DataStructure::MessageId(Arc::new(openwire::MessageId {
            producer_id: Some(producer_id.clone()),
            producer_sequence_id: seq as i64 + 1,
            ..Default::default()
        }))),
        persistent: ctx.args.persistent,
        priority: 4,
        timestamp: (super::now_ns() / 1_000_000) as i64,
        content: Some(Bytes::copy_from_slice(body)),
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
    DataStructure::BytesMessage(Arc::new(msg))
}

/// A TransactionInfo of `kind` for `tx`.
fn transaction_info(conn: &Conn, tx: &DataStructure, kind: i8) -> DataStructure {
    DataStructure::TransactionInfo(Arc::new(openwire::TransactionInfo {
        connection_id: Some(conn.connection_id()),
        transaction_id: Some(tx.clone()),
        kind,
        ..Default::default()
    }))
}
