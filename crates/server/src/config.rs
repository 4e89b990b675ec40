//! Command-line configuration. Every flag has the embedded default, so a
//! bare `ferrum` is a working broker.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "ferrum",
    version,
    about = "A message broker that replaces ActiveMQ 5.x in place"
)]
pub struct Config {
    /// Address every transport listens on.
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: IpAddr,

    /// OpenWire port (ActiveMQ's default). 0 picks a free port; the log says which.
    #[arg(long, default_value_t = 61616)]
    pub openwire_port: u16,

    /// STOMP port. 0 picks a free port; the log says which.
    #[arg(long, default_value_t = 61613)]
    pub stomp_port: u16,

    /// Where persistent data lives.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,

    /// Keep persistent messages on disk (ActiveMQ's `persistent="true"`).
    /// `false` keeps everything in memory: nothing survives a restart.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub persistent: bool,

    /// Journal segment size in bytes (KahaDB's journalMaxFileLength).
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub journal_max_file_length: u64,

    /// fdatasync the journal before confirming persistent work to clients
    /// (KahaDB's enableJournalDiskSyncs). `false` survives a process crash
    /// but not a power failure.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub journal_sync: bool,

    /// Bytes of persistent messages one queue or durable subscription keeps
    /// in memory; the rest wait on disk and are paged in as consumers need
    /// them.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub destination_memory_limit: usize,

    /// Broker-wide bytes of messages held in memory (ActiveMQ's
    /// systemUsage memoryUsage). At the limit, producers of non-persistent
    /// messages wait (or fail, with --send-fail-if-no-space).
    #[arg(long, default_value_t = 1024 * 1024 * 1024)]
    pub memory_limit: usize,

    /// Bytes the journal may take on disk (storeUsage). At the limit,
    /// producers of persistent messages wait (or fail).
    #[arg(long, default_value_t = 100 * 1024 * 1024 * 1024)]
    pub store_limit: u64,

    /// At a memory or store limit, refuse sends with
    /// javax.jms.ResourceAllocationException instead of holding producers back.
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub send_fail_if_no_space: bool,

    /// Give this destination (wildcards allowed; `topic://` for topics, else
    /// a queue) its own dead-letter queue, ActiveMQ.DLQ.Queue.<name> or
    /// ActiveMQ.DLQ.Topic.<name>, like ActiveMQ's
    /// individualDeadLetterStrategy. Repeatable; `--individual-dlq '>'`
    /// covers every queue.
    #[arg(long = "individual-dlq", value_name = "DEST")]
    pub individual_dlq: Vec<String>,

    /// Deliver this destination's messages highest JMSPriority first
    /// (wildcards allowed; `topic://` for durable subscriptions of topics,
    /// else a queue), like ActiveMQ's prioritizedMessages policy. Without
    /// it, queued messages come out in arrival order, as in ActiveMQ.
    /// Repeatable; `--prioritized-messages '>'` covers every queue.
    #[arg(long = "prioritized-messages", value_name = "DEST")]
    pub prioritized_messages: Vec<String>,

    /// Announce each message arriving at this destination on
    /// ActiveMQ.Advisory.MessageDelivered.<Queue|Topic>.<name> (ActiveMQ's
    /// advisoryForDelivery policy; wildcards, `topic://` as above).
    /// Repeatable.
    #[arg(long = "advisory-for-delivery", value_name = "DEST")]
    pub advisory_for_delivery: Vec<String>,

    /// Announce each message consumed from this destination on
    /// ActiveMQ.Advisory.MessageConsumed.<Queue|Topic>.<name> (ActiveMQ's
    /// advisoryForConsumed policy). Repeatable.
    #[arg(long = "advisory-for-consumed", value_name = "DEST")]
    pub advisory_for_consumed: Vec<String>,

    /// Announce subscribers of this topic that fall behind (more than
    /// their prefetch waiting behind a full prefetch) on
    /// ActiveMQ.Advisory.SlowConsumer.Topic.<name> (ActiveMQ's
    /// advisoryForSlowConsumers policy; `topic://` prefix optional here).
    /// Repeatable.
    #[arg(long = "advisory-for-slow-consumers", value_name = "TOPIC")]
    pub advisory_for_slow_consumers: Vec<String>,

    /// Deliver messages with AMQ_SCHEDULED_DELAY / _PERIOD / _REPEAT / _CRON
    /// later, as asked (ActiveMQ's schedulerSupport, off by default there
    /// too). Off, those properties are checked but the message goes at once.
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub scheduler_support: bool,

    /// Milliseconds between sweeps that expire waiting messages nobody is
    /// consuming, sending persistent ones to the DLQ (ActiveMQ's
    /// expireMessagesPeriod). 0 turns the sweep off.
    #[arg(long, default_value_t = 30_000)]
    pub expire_messages_period: u64,

    /// Broker name: shown to clients and used in generated ids.
    #[arg(long, default_value = "ferrum")]
    pub broker_name: String,

    /// Largest STOMP frame body accepted, in bytes (ActiveMQ's maxFrameSize).
    #[arg(long, default_value_t = 100 * 1024 * 1024)]
    pub stomp_max_frame_size: usize,

    /// Largest OpenWire frame accepted, in bytes (ActiveMQ's maxFrameSize).
    #[arg(long, default_value_t = 100 * 1024 * 1024)]
    pub openwire_max_frame_size: i64,

    /// A network connector to peer brokers, as ActiveMQ's
    /// `<networkConnector uri=...>`: `static:(tcp://h1:61616,tcp://h2:61616)?duplex=true&networkTTL=2`
    /// or `masterslave:(tcp://a:61616,tcp://b:61616)`, with ActiveMQ's
    /// option names and defaults. Repeatable; checked at start-up.
    #[arg(long = "network-connector", value_name = "URI", value_parser = parse_network_connector)]
    pub network_connectors: Vec<network::config::NetworkConnectorConfig>,

    /// A tool to run instead of the broker.
    #[command(subcommand)]
    pub command: Option<Tool>,
}

/// Tools that share the binary.
#[derive(Subcommand, Debug, Clone)]
pub enum Tool {
    /// OpenWire tools.
    Openwire {
        #[command(subcommand)]
        tool: OpenwireTool,
    },
    /// Load generator: STOMP or OpenWire producers and consumers.
    Perf {
        #[command(subcommand)]
        tool: ferrum_tools::perf::PerfTool,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum OpenwireTool {
    /// Print a captured OpenWire stream frame by frame.
    Dump {
        /// One direction of a connection, raw bytes.
        file: PathBuf,
        /// The other direction (for the peer's WireFormatInfo); defaults to
        /// the .c2s.bin/.s2c.bin sibling when there is one.
        #[arg(long)]
        peer: Option<PathBuf>,
    },
}

/// A `--network-connector` value; the error names what is wrong with it.
fn parse_network_connector(text: &str) -> Result<network::config::NetworkConnectorConfig, String> {
    network::config::NetworkConnectorConfig::parse_uri(text).map_err(|e| e.to_string())
}
