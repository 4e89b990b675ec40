//! What a broker is configured with, what a connecting client says about
//! itself, and what the core reports back: plain data, shared by the
//! public API and the core.

use crate::destination::Destination;

/// Broker-wide settings.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// Shows in CONNECTED `server`, in generated ids and in logs.
    pub name: String,
    /// Where clients reach this broker (`tcp://host:61616`), as advisories'
    /// `originBrokerURL` says; `vm://<name>` when unset, as in ActiveMQ.
    pub url: Option<String>,
    /// Bytes a non-durable topic subscriber may have waiting before its
    /// oldest messages are discarded (so a stalled subscriber cannot
    /// exhaust memory).
    pub topic_subscriber_pending_limit: usize,
    /// A non-durable subscriber past its pending limit that took nothing
    /// for this long is judged stalled and loses its oldest messages;
    /// before that, producers wait for it.
    pub slow_subscriber_after: std::time::Duration,
    /// Bytes of persistent messages a queue or durable subscription keeps in
    /// memory; beyond that they wait in the store only and are paged in as
    /// consumers need them (ActiveMQ's store cursor). Non-persistent
    /// messages always stay in memory.
    pub destination_memory_limit: usize,
    /// Broker-wide bytes of messages waiting in memory (ActiveMQ's
    /// systemUsage memoryUsage); at the limit producers of non-persistent
    /// messages are held back, or refused with `send_fail_if_no_space`.
    pub memory_limit: usize,
    /// Bytes the store may use on disk (storeUsage); at the limit producers
    /// of persistent messages are held back or refused the same way.
    pub store_limit: u64,
    /// Refuse sends at a limit (`javax.jms.ResourceAllocationException`)
    /// instead of holding producers back (ActiveMQ's `sendFailIfNoSpace`).
    pub send_fail_if_no_space: bool,
    /// Destinations (wildcard patterns allowed) whose dead letters go to a
    /// DLQ of their own, `ActiveMQ.DLQ.Queue.<name>` /
    /// `ActiveMQ.DLQ.Topic.<name>` (ActiveMQ's
    /// `individualDeadLetterStrategy` policy); the rest share `ActiveMQ.DLQ`.
    pub individual_dead_letter: Vec<Destination>,
    /// Destinations (wildcard patterns allowed) with ActiveMQ's
    /// `prioritizedMessages` policy: higher JMSPriority is delivered
    /// first. Elsewhere messages come out in arrival order, as in ActiveMQ.
    pub prioritized_messages: Vec<Destination>,
    /// Destinations (patterns allowed) whose arriving messages are
    /// announced on `ActiveMQ.Advisory.MessageDelivered.*`
    /// (ActiveMQ's `advisoryForDelivery` policy).
    pub advisory_for_delivery: Vec<Destination>,
    /// Destinations whose consumed messages are announced on
    /// `ActiveMQ.Advisory.MessageConsumed.*` (`advisoryForConsumed`).
    pub advisory_for_consumed: Vec<Destination>,
    /// Topics whose subscribers falling behind are announced on
    /// `ActiveMQ.Advisory.SlowConsumer.Topic.*` (`advisoryForSlowConsumers`).
    pub advisory_for_slow_consumers: Vec<Destination>,
    /// Hold messages with `AMQ_SCHEDULED_*` properties back and deliver
    /// them later (ActiveMQ's `schedulerSupport`, off by default there
    /// too). Off, those properties are checked but ignored.
    pub scheduler_support: bool,
    /// How often waiting messages are checked for expiry even when no
    /// consumer looks at them (ActiveMQ's `expireMessagesPeriod`, 30 s);
    /// zero turns the sweep off.
    pub expire_messages_period: std::time::Duration,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            name: "ferrum".to_string(),
            url: None,
            topic_subscriber_pending_limit: 32 * 1024 * 1024,
            slow_subscriber_after: std::time::Duration::from_secs(2),
            destination_memory_limit: 16 * 1024 * 1024,
            memory_limit: 1024 * 1024 * 1024,
            store_limit: 100 * 1024 * 1024 * 1024,
            send_fail_if_no_space: false,
            individual_dead_letter: Vec::new(),
            prioritized_messages: Vec::new(),
            advisory_for_delivery: Vec::new(),
            advisory_for_consumed: Vec::new(),
            advisory_for_slow_consumers: Vec::new(),
            scheduler_support: false,
            expire_messages_period: std::time::Duration::from_secs(30),
        }
    }
}

/// What a connecting client says about itself.
#[derive(Clone, Debug, Default)]
pub struct ConnectInfo {
    /// JMS client id (STOMP `client-id`); unique among live connections.
    pub client_id: Option<String>,
    /// The user name, for security once it lands.
    pub login: Option<String>,
    /// The client's own connection id (OpenWire ConnectionId); the broker
    /// makes one up in ActiveMQ's shape when there is none.
    pub label: Option<String>,
    /// The protocol's own description (OpenWire: its ConnectionInfo without
    /// the password), carried by advisories.
    pub native: Option<crate::message::Native>,
}

/// What the core says about an accepted message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendOutcome {
    /// A subscriber of the destination is behind past its pending limit:
    /// the sender should stop reading from its client until
    /// [`Broker::congested`] turns false.
    pub congested: bool,
}

/// Counters for metrics and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrokerStats {
    pub connections: usize,
    pub connections_total: u64,
    pub consumers: usize,
    pub queues: usize,
    pub pending_messages: usize,
    pub inflight_messages: usize,
    pub messages_in: u64,
    pub messages_dispatched: u64,
    pub messages_acked: u64,
    pub messages_expired: u64,
    pub messages_discarded: u64,
    /// Bytes of messages waiting in memory, broker-wide (what the memory
    /// limit is measured against); zero when every buffer is empty.
    pub memory_bytes: usize,
}
