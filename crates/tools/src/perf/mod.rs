//! `ferrum perf`: a load generator that speaks STOMP and OpenWire as a
//! client, to benchmark Ferrum and ActiveMQ side by side.
//!
//! Every message body starts with a 20-byte header (producer index u32,
//! sequence u64, send time u64 in ns), padded to `--size`. Consumers check
//! exactly-once delivery and per-producer order and record end-to-end
//! latency; any loss, duplicate or reordering fails the run.

mod link;
mod openwire;
mod openwire_conn;
mod report;
mod stomp;
mod verify;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use tokio::sync::{oneshot, watch};

pub use verify::Verifier;

/// `ferrum perf ...`
#[derive(Subcommand, Debug, Clone)]
pub enum PerfTool {
    /// Producers and consumers in one process (the usual benchmark).
    Run(PerfArgs),
    /// Producers only (pair with `perf consumer` in another process).
    Producer(PerfArgs),
    /// Consumers only: expects `--count` messages from `--producers`
    /// producers numbered from 0 (start it before the producers).
    Consumer(PerfArgs),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DestKind {
    Queue,
    Topic,
}

/// How consumers acknowledge.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum AckMode {
    /// STOMP `ack:auto` (the broker acks on send); OpenWire: a standard
    /// (cumulative) ack per batch, like the JMS client's optimized auto-ack.
    Auto,
    /// Cumulative acks per batch (STOMP `ack:client`, JMS CLIENT_ACKNOWLEDGE
    /// calling `acknowledge()` every batch).
    Client,
    /// One ack per message (STOMP `client-individual`, OpenWire individual acks).
    Individual,
}

#[derive(Args, Debug, Clone)]
pub struct PerfArgs {
    /// Broker: stomp://HOST:PORT or tcp://HOST:PORT (OpenWire).
    #[arg(long, default_value = "stomp://127.0.0.1:61613")]
    pub url: String,
    /// Destination kind.
    #[arg(long, value_enum, default_value = "queue")]
    pub dest: DestKind,
    /// Destination name.
    #[arg(long, default_value = "ferrum.perf")]
    pub name: String,
    /// Message body size in bytes (at least the 20-byte header).
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    /// Total messages sent, split across the producers.
    #[arg(long, default_value_t = 100_000)]
    pub count: u64,
    /// Producer connections.
    #[arg(long, default_value_t = 1)]
    pub producers: u32,
    /// Consumer connections.
    #[arg(long, default_value_t = 1)]
    pub consumers: u32,
    /// Persistent messages (OpenWire: sent synchronously).
    #[arg(long)]
    pub persistent: bool,
    /// Print the report as one JSON line, and no progress.
    #[arg(long)]
    pub json: bool,
    /// Seconds after which the run fails.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Total send rate in messages/s, split across the producers (0: as
    /// fast as possible). A fixed rate below the broker's maximum gives
    /// meaningful latencies; a flood measures queueing.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Index of the first producer (for several `perf producer` processes).
    #[arg(long, default_value_t = 0)]
    pub first_producer: u32,
    /// Consumer prefetch (OpenWire prefetchSize, STOMP activemq.prefetchSize).
    #[arg(long, default_value_t = 1000)]
    pub prefetch: u32,
    /// How consumers acknowledge.
    #[arg(long, value_enum, default_value = "auto")]
    pub ack: AckMode,
    /// Producers send in transactions of this many messages, each commit
    /// waited for (0: no transactions).
    #[arg(long, default_value_t = 0)]
    pub tx_batch: u32,
    /// JMS selector for the consumers; `{i}` becomes the consumer's index.
    /// Producers (given the flag too) then set the int properties
    /// `perf_producer`, `perf_seq` and `perf_group` (= seq modulo the number
    /// of consumers), so `--selector 'perf_group = {i}'` gives each consumer
    /// its own selector. Every message must still reach exactly one
    /// consumer (queue) or every consumer (topic), or the run fails.
    #[arg(long)]
    pub selector: Option<String>,
    /// Send for at most this many seconds (then stop, wherever the count
    /// is); the consumers then expect what was sent. 0: no limit.
    #[arg(long, default_value_t = 0)]
    pub duration: u64,
    /// Spread the messages over this many destinations `NAME.0` ...
    /// `NAME.<N-1>` (round-robin); consumers subscribe to the wildcard
    /// `NAME.>`. 0: one destination, `NAME`.
    #[arg(long, default_value_t = 0)]
    pub spread: u32,
    /// The number of consumers as given, for `perf_group` (set by the tool).
    #[arg(skip)]
    pub groups: u32,
}

impl PerfArgs {
    /// Consumer `index`'s selector, if any.
    pub fn selector_for(&self, index: u32) -> Option<String> {
        self.selector
            .as_ref()
            .map(|s| s.replace("{i}", &index.to_string()))
    }

    /// Batched acks go out this often: at most 100, and well within the
    /// prefetch window so the broker never waits for an ack to send more.
    pub fn ack_every(&self) -> u32 {
        (self.prefetch / 2).clamp(1, 100)
    }

    /// The selector properties producers stamp on message `seq`.
    pub fn selector_properties(&self, producer: u32, seq: u64) -> Option<[(&'static str, i64); 3]> {
        self.selector.as_ref()?;
        Some([
            ("perf_producer", i64::from(producer)),
            ("perf_seq", seq as i64),
            ("perf_group", (seq % u64::from(self.groups.max(1))) as i64),
        ])
    }

    /// The destination names producers send to, in turn.
    pub fn send_names(&self) -> Vec<String> {
        if self.spread == 0 {
            return vec![self.name.clone()];
        }
        (0..self.spread)
            .map(|i| format!("{}.{i}", self.name))
            .collect()
    }

    /// The destination name consumers subscribe to.
    pub fn consume_name(&self) -> String {
        if self.spread == 0 {
            self.name.clone()
        } else {
            format!("{}.>", self.name)
        }
    }

    /// Whether a transacted producer commits after sending `seq`: every
    /// `--tx-batch` messages, and after its last one.
    pub fn commits_after(&self, seq: u64, last: bool) -> bool {
        last || (seq + 1).is_multiple_of(u64::from(self.tx_batch.max(1)))
    }

    /// Whether a producer must stop (the `--duration` is up).
    pub fn expired(&self, started: Instant) -> bool {
        self.duration > 0 && started.elapsed() >= Duration::from_secs(self.duration)
    }
}

/// The 20-byte header every body starts with.
pub const HEADER_LEN: usize = 20;

/// Wall-clock ns at process start plus a monotonic offset: monotonic within
/// a process, and comparable across processes on one host.
pub fn now_ns() -> u64 {
    static BASE: OnceLock<(Instant, u64)> = OnceLock::new();
    let (start, epoch) = BASE.get_or_init(|| {
        let epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        (Instant::now(), epoch)
    });
    epoch + start.elapsed().as_nanos() as u64
}

/// Fills `body` (already `size` long) with the header.
pub fn stamp(body: &mut [u8], producer: u32, seq: u64) {
    body[0..4].copy_from_slice(&producer.to_be_bytes());
    body[4..12].copy_from_slice(&seq.to_be_bytes());
    body[12..20].copy_from_slice(&now_ns().to_be_bytes());
}

/// (producer, sequence, send time) from a body.
pub fn parse(body: &[u8]) -> Option<(u32, u64, u64)> {
    let h = body.get(..HEADER_LEN)?;
    let p = u32::from_be_bytes(h[0..4].try_into().ok()?);
    let s = u64::from_be_bytes(h[4..12].try_into().ok()?);
    let t = u64::from_be_bytes(h[12..20].try_into().ok()?);
    Some((p, s, t))
}

/// How many messages producer `i` (0-based within this run) sends.
pub fn share(count: u64, producers: u32, i: u32) -> u64 {
    let p = producers as u64;
    count / p + u64::from((i as u64) < count % p)
}

/// Spaces one producer's sends evenly to reach its share of `--rate`.
pub struct Pacer {
    start: tokio::time::Instant,
    interval_ns: f64,
}

impl Pacer {
    pub fn new(args: &PerfArgs) -> Option<Pacer> {
        (args.rate > 0).then(|| Pacer {
            start: tokio::time::Instant::now(),
            interval_ns: 1e9 * args.producers as f64 / args.rate as f64,
        })
    }

    /// When message `seq` is due, if that is still ahead.
    pub fn wait_for(&self, seq: u64) -> Option<tokio::time::Instant> {
        let due = self.start + Duration::from_nanos((seq as f64 * self.interval_ns) as u64);
        (due > tokio::time::Instant::now()).then_some(due)
    }
}

/// Counters shared by every task (for progress and the report).
#[derive(Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub received: AtomicU64,
    /// When the last producer had everything acknowledged (ns, as
    /// [`now_ns`]), before closing its connection.
    pub produce_end: AtomicU64,
}

impl Counters {
    pub fn producer_done(&self) {
        self.produce_end.fetch_max(now_ns(), Ordering::Relaxed);
    }
}

/// What one client task needs.
#[derive(Clone)]
pub struct Ctx {
    pub args: Arc<PerfArgs>,
    pub host: String,
    pub counters: Arc<Counters>,
    pub verifier: Arc<Verifier>,
    /// Flips to true when every consumer has what it expects.
    pub done: watch::Receiver<bool>,
    pub done_tx: Arc<watch::Sender<bool>>,
}

#[derive(Clone, Copy)]
enum Proto {
    Stomp,
    OpenWire,
}

impl Proto {
    fn name(self) -> &'static str {
        match self {
            Proto::Stomp => "stomp",
            Proto::OpenWire => "openwire",
        }
    }
}

fn parse_url(url: &str) -> anyhow::Result<(Proto, String)> {
    if let Some(rest) = url.strip_prefix("stomp://") {
        Ok((Proto::Stomp, rest.trim_end_matches('/').to_string()))
    } else if let Some(rest) = url.strip_prefix("tcp://") {
        let rest = rest.split('?').next().unwrap_or(rest);
        Ok((Proto::OpenWire, rest.trim_end_matches('/').to_string()))
    } else {
        bail!("--url must be stomp://HOST:PORT or tcp://HOST:PORT, not {url}")
    }
}

/// Entry point: runs `ferrum perf …` to completion on its own runtime.
///
/// # Errors
/// Why the run failed: a bad argument, a connection or protocol failure, a
/// timeout, or a delivery check (loss, duplicate, reordering).
pub fn run(tool: &PerfTool) -> anyhow::Result<()> {
    let (mut args, with_producers, with_consumers) = match tool {
        PerfTool::Run(a) => (a.clone(), true, true),
        PerfTool::Producer(a) => (a.clone(), true, false),
        PerfTool::Consumer(a) => (a.clone(), false, true),
    };
    if args.size < HEADER_LEN {
        bail!("--size must be at least {HEADER_LEN} bytes");
    }
    if args.producers == 0 {
        bail!("--producers must be at least 1");
    }
    args.groups = args.consumers;
    if !with_consumers {
        args.consumers = 0;
    }
    if args.duration > 0 && !(with_producers && with_consumers) {
        bail!("--duration needs producers and consumers in one process (perf run)");
    }
    if with_consumers && args.consumers == 0 {
        bail!("--consumers must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ferrum-perf")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run_async(args, with_producers, with_consumers))
}

async fn run_async(
    args: PerfArgs,
    with_producers: bool,
    with_consumers: bool,
) -> anyhow::Result<()> {
    now_ns();
    let (proto, host) = parse_url(&args.url)?;
    let verifier = Arc::new(Verifier::new(
        args.dest,
        args.first_producer,
        args.producers,
        args.count,
        args.consumers,
    ));
    let (done_tx, done) = watch::channel(false);
    let args = Arc::new(args);
    let ctx = Ctx {
        args: Arc::clone(&args),
        host,
        counters: Arc::new(Counters::default()),
        verifier: Arc::clone(&verifier),
        done,
        done_tx: Arc::new(done_tx),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.timeout);
    let started = Instant::now();
    let cpu_start = report::cpu_time();

    let mut consumers = tokio::task::JoinSet::new();
    if with_consumers {
        start_consumers(&ctx, proto, deadline, &mut consumers).await?;
    }
    let send_start = Instant::now();
    let send_start_ns = now_ns();
    let mut producers = tokio::task::JoinSet::new();
    if with_producers {
        start_producers(&ctx, proto, &mut producers);
    }

    let progress = (!args.json).then(|| {
        let counters = Arc::clone(&ctx.counters);
        tokio::spawn(report::progress(counters, send_start))
    });

    let waited = finish(
        &ctx,
        deadline,
        (&mut producers, &mut consumers),
        with_producers,
        (send_start, send_start_ns),
    )
    .await;
    if let Some(p) = progress {
        p.abort();
    }
    let produce_time = waited?;
    let total = started.elapsed();
    // From the first send to the last arrival (consumers' closing excluded).
    let wall = match verifier.last_arrival() {
        0 => send_start.elapsed(),
        t => Duration::from_nanos(t.saturating_sub(send_start_ns)),
    };
    let cpu = report::cpu_time().saturating_sub(cpu_start);
    if with_consumers {
        verifier.check_complete()?;
    }
    let r = report::Report {
        protocol: proto.name(),
        producers: if with_producers { args.producers } else { 0 },
        expected: if with_consumers {
            verifier.expected_total()
        } else {
            0
        },
        duration: wall,
        produce_time,
        cpu,
        total,
        ..report_of(&args, &ctx, &verifier)
    };
    r.print(args.json);
    Ok(())
}

/// The report's fields that come straight from the arguments and counters.
fn report_of(args: &PerfArgs, ctx: &Ctx, verifier: &Verifier) -> report::Report {
    report::Report {
        protocol: "",
        dest: match args.dest {
            DestKind::Queue => "queue",
            DestKind::Topic => "topic",
        },
        size: args.size,
        producers: 0,
        consumers: args.consumers,
        persistent: args.persistent,
        sent: ctx.counters.sent.load(Ordering::Relaxed),
        received: ctx.counters.received.load(Ordering::Relaxed),
        expected: 0,
        duration: Duration::ZERO,
        produce_time: None,
        latency: verifier.histogram(),
        cpu: Duration::ZERO,
        total: Duration::ZERO,
    }
}

/// Waits for every producer, then every consumer, to finish (aborting all
/// of them on the first failure or at the deadline); returns how long the
/// producers took, when there were any.
async fn finish(
    ctx: &Ctx,
    deadline: tokio::time::Instant,
    (producers, consumers): (&mut Tasks, &mut Tasks),
    with_producers: bool,
    (send_start, send_start_ns): (Instant, u64),
) -> anyhow::Result<Option<Duration>> {
    let outcome = tokio::time::timeout_at(deadline, async {
        while let Some(r) = producers.join_next().await {
            r.context("producer task panicked")??;
        }
        let produce_end = match ctx.counters.produce_end.load(Ordering::Relaxed) {
            _ if !with_producers => None,
            0 => Some(send_start.elapsed()),
            t => Some(Duration::from_nanos(t.saturating_sub(send_start_ns))),
        };
        while let Some(r) = consumers.join_next().await {
            r.context("consumer task panicked")??;
        }
        anyhow::Ok(produce_end)
    })
    .await;
    match outcome {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => {
            producers.abort_all();
            consumers.abort_all();
            Err(e)
        }
        Err(_) => {
            producers.abort_all();
            consumers.abort_all();
            bail!(
                "timed out after {} s: sent {}, received {} of {}",
                ctx.args.timeout,
                ctx.counters.sent.load(Ordering::Relaxed),
                ctx.counters.received.load(Ordering::Relaxed),
                ctx.verifier.expected_total()
            );
        }
    }
}

/// The producer and consumer tasks of a run.
type Tasks = tokio::task::JoinSet<anyhow::Result<()>>;

/// Starts every producer, each sending its share of the messages.
fn start_producers(ctx: &Ctx, proto: Proto, producers: &mut Tasks) {
    let args = &ctx.args;
    for i in 0..args.producers {
        let c = ctx.clone();
        let index = args.first_producer + i;
        let n = share(args.count, args.producers, i);
        match proto {
            Proto::Stomp => producers.spawn(stomp::producer(c, index, n)),
            Proto::OpenWire => producers.spawn(openwire::producer(c, index, n)),
        };
    }
}

/// Starts every consumer and waits until each has subscribed (or the
/// deadline passes), so no message is sent before anyone listens.
async fn start_consumers(
    ctx: &Ctx,
    proto: Proto,
    deadline: tokio::time::Instant,
    consumers: &mut Tasks,
) -> anyhow::Result<()> {
    let mut ready = Vec::new();
    for i in 0..ctx.args.consumers {
        let (tx, rx) = oneshot::channel();
        ready.push(rx);
        let c = ctx.clone();
        match proto {
            Proto::Stomp => consumers.spawn(stomp::consumer(c, i, tx)),
            Proto::OpenWire => consumers.spawn(openwire::consumer(c, i, tx)),
        };
    }
    for rx in ready {
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => {
                // The consumer ended before subscribing: report its error.
                if let Some(Ok(Err(e))) = consumers.join_next().await {
                    return Err(e.context("consumer failed to subscribe"));
                }
                bail!("a consumer failed to subscribe");
            }
            Err(_) => bail!("timed out waiting for consumers to subscribe"),
        }
    }
    Ok(())
}
