//! STOMP 1.2 producer and consumer.

use super::link::{Link, WRITE_BATCH};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{bail, Context};
use stomp::{Command, Frame, Item, Limits, ReadState, Version};
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

use super::{stamp, AckMode, Ctx, DestKind, Pacer};

struct Conn {
    link: Link,
    state: ReadState,
    limits: Limits,
    /// Frames decoded while polling (see [`Conn::flush_checked`]).
    stash: VecDeque<Frame>,
}

impl Conn {
    async fn connect(host: &str) -> anyhow::Result<Conn> {
        let mut c = Conn {
            link: Link::connect(host).await?,
            state: ReadState::default(),
            limits: Limits::default(),
            stash: VecDeque::new(),
        };
        c.write(
            Command::Connect,
            &[
                ("accept-version", "1.2"),
                ("host", "localhost"),
                ("heart-beat", "0,0"),
            ],
            b"",
        );
        c.flush().await?;
        let f = c.next_frame().await?;
        match f.command {
            Command::Connected => Ok(c),
            _ => bail!("CONNECT refused: {}", describe(&f)),
        }
    }

    fn write(&mut self, command: Command, headers: &[(&str, &str)], body: &[u8]) {
        stomp::write_frame(
            &mut self.link.wbuf,
            Some(Version::V1_2),
            command,
            headers,
            body,
        );
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        self.link.flush().await
    }

    /// A producer's flush: it never waits to read, so this also looks at
    /// whatever the broker sent meanwhile and fails on an ERROR (which is
    /// also the likely reason for a failed write).
    async fn flush_checked(&mut self) -> anyhow::Result<()> {
        let flushed = self.link.flush_and_drain().await;
        while let Some(f) = self.decode()? {
            if f.command == Command::Error {
                bail!("the broker sent {}", describe(&f));
            }
            self.stash.push_back(f);
        }
        flushed
    }

    /// The next complete frame already buffered, if any.
    fn buffered(&mut self) -> anyhow::Result<Option<Frame>> {
        if let Some(f) = self.stash.pop_front() {
            return Ok(Some(f));
        }
        self.decode()
    }

    fn decode(&mut self) -> anyhow::Result<Option<Frame>> {
        loop {
            match stomp::read(
                &mut self.link.rbuf,
                Some(Version::V1_2),
                &self.limits,
                &mut self.state,
            )
            .context("bad STOMP frame from the broker")?
            {
                Some(Item::Frame(f)) => return Ok(Some(f)),
                Some(Item::HeartBeat) => continue,
                None => return Ok(None),
            }
        }
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        self.link.fill().await
    }

    async fn next_frame(&mut self) -> anyhow::Result<Frame> {
        loop {
            if let Some(f) = self.buffered()? {
                return Ok(f);
            }
            self.fill().await?;
        }
    }

    async fn expect_receipt(&mut self, id: &str) -> anyhow::Result<()> {
        let f = self.next_frame().await?;
        match (f.command, f.header("receipt-id")) {
            (Command::Receipt, Some(r)) if r == id => Ok(()),
            _ => bail!("expected RECEIPT {id}, got {}", describe(&f)),
        }
    }

    /// DISCONNECT with a receipt, waiting briefly for it.
    async fn close(mut self) {
        self.write(Command::Disconnect, &[("receipt", "bye")], b"");
        if self.flush().await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(2), self.expect_receipt("bye")).await;
        }
        let _ = self.link.stream.shutdown().await;
    }
}

fn describe(f: &Frame) -> String {
    let msg = f.header("message").unwrap_or("");
    let body = String::from_utf8_lossy(&f.body[..f.body.len().min(200)]);
    let body = if body.trim() == msg { "" } else { body.trim() };
    format!("{} {msg} {body}", f.command.as_str())
        .trim()
        .to_string()
}

fn destination(ctx: &Ctx, name: &str) -> String {
    match ctx.args.dest {
        DestKind::Queue => format!("/queue/{name}"),
        DestKind::Topic => format!("/topic/{name}"),
    }
}

pub async fn consumer(ctx: Ctx, index: u32, ready: oneshot::Sender<()>) -> anyhow::Result<()> {
    let mut conn = Conn::connect(&ctx.host).await?;
    let dest = destination(&ctx, &ctx.args.consume_name());
    let prefetch = ctx.args.prefetch.to_string();
    let selector = ctx.args.selector_for(index);
    let mut headers = vec![
        ("destination", dest.as_str()),
        ("id", "perf"),
        (
            "ack",
            match ctx.args.ack {
                AckMode::Auto => "auto",
                AckMode::Client => "client",
                AckMode::Individual => "client-individual",
            },
        ),
        ("activemq.prefetchSize", prefetch.as_str()),
        ("receipt", "subscribed"),
    ];
    if let Some(sel) = &selector {
        headers.push(("selector", sel.as_str()));
    }
    conn.write(Command::Subscribe, &headers, b"");
    conn.flush().await?;
    conn.expect_receipt("subscribed")
        .await
        .with_context(|| format!("consumer {index} subscribing to {dest}"))?;
    let _ = ready.send(());

    let mut st = ctx.verifier.consumer(index);
    let mut done = ctx.done.clone();
    let mut finished = false;
    // Client acks: the last message's ack id, and how many it would cover.
    let mut unacked: Option<String> = None;
    let mut pending = 0;
    let ack_every = ctx.args.ack_every();
    while !finished && !ctx.verifier.done_for(&st) {
        while let Some(f) = conn.buffered()? {
            match f.command {
                Command::Message => {
                    ctx.counters.received.fetch_add(1, Ordering::Relaxed);
                    if ctx.verifier.on_message(&mut st, &f.body)? {
                        finished = true;
                        if ctx.args.dest == DestKind::Queue {
                            let _ = ctx.done_tx.send(true);
                        }
                    }
                    if ctx.args.ack != AckMode::Auto {
                        let id = f.header("ack").unwrap_or_default().to_string();
                        pending += 1;
                        if ctx.args.ack == AckMode::Individual || pending >= ack_every {
                            conn.write(Command::Ack, &[("id", &id)], b"");
                            pending = 0;
                            unacked = None;
                        } else {
                            unacked = Some(id);
                        }
                    }
                }
                Command::Error => bail!("consumer {index}: {}", describe(&f)),
                _ => {}
            }
        }
        conn.flush().await?;
        if finished {
            break;
        }
        tokio::select! {
            r = conn.fill() => r.with_context(|| format!("consumer {index}"))?,
            _ = done.changed() => {}
        }
    }
    if let Some(id) = unacked {
        conn.write(Command::Ack, &[("id", &id)], b"");
        conn.flush().await?;
    }
    ctx.verifier.finish(st);
    conn.close().await;
    Ok(())
}

pub async fn producer(ctx: Ctx, index: u32, count: u64) -> anyhow::Result<()> {
    let mut conn = Conn::connect(&ctx.host).await?;
    let dests: Vec<String> = ctx
        .args
        .send_names()
        .iter()
        .map(|n| destination(&ctx, n))
        .collect();
    let length = ctx.args.size.to_string();
    let persistent = if ctx.args.persistent { "true" } else { "false" };
    let mut body = vec![0u8; ctx.args.size];
    let mut unreported = 0;
    let pacer = Pacer::new(&ctx.args);
    let started = std::time::Instant::now();
    let mut tx: Option<String> = None;
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
            let name = format!("perf-{index}-{seq}");
            conn.write(Command::Begin, &[("transaction", &name)], b"");
            tx = Some(name);
        }
        let props: Vec<(&str, String)> = ctx
            .args
            .selector_properties(index, seq)
            .map(|p| p.iter().map(|(k, v)| (*k, v.to_string())).collect())
            .unwrap_or_default();
        let dest = &dests[(seq % dests.len() as u64) as usize];
        let mut headers = vec![
            ("destination", dest.as_str()),
            ("content-length", length.as_str()),
            ("persistent", persistent),
        ];
        headers.extend(props.iter().map(|(k, v)| (*k, v.as_str())));
        if let Some(t) = &tx {
            headers.push(("transaction", t.as_str()));
        }
        if last && tx.is_none() {
            headers.push(("receipt", "last"));
        }
        conn.write(Command::Send, &headers, &body);
        if let (Some(t), true) = (&tx, ctx.args.commits_after(seq, last)) {
            // Each commit is waited for, as a JMS session.commit() is.
            conn.write(
                Command::Commit,
                &[("transaction", t), ("receipt", "last")],
                b"",
            );
            conn.flush_checked().await?;
            conn.expect_receipt("last")
                .await
                .with_context(|| format!("producer {index} committing"))?;
            tx = None;
        }
        unreported += 1;
        if stopping {
            ctx.verifier.truncate(index, seq + 1);
        }
        if conn.link.wbuf.len() >= WRITE_BATCH || last {
            conn.flush_checked()
                .await
                .with_context(|| format!("producer {index}"))?;
            ctx.counters.sent.fetch_add(unreported, Ordering::Relaxed);
            unreported = 0;
        }
        if last {
            break;
        }
    }
    if count > 0 && ctx.args.tx_batch == 0 {
        conn.expect_receipt("last")
            .await
            .with_context(|| format!("producer {index} waiting for its last receipt"))?;
    }
    // Consumers waiting for more than a stopped producer sent look again.
    ctx.done_tx.send_modify(|_| {});
    ctx.counters.producer_done();
    conn.close().await;
    Ok(())
}
