//! The configuration of one `networkConnector`, as ActiveMQ 5.x has it.
//!
//! [`NetworkConnectorConfig`] is plain data: every field is public and
//! [`Default`] gives ActiveMQ 5.17's defaults (the version Ferrum is
//! measured against), so the server's `--network-connector` flag and the
//! activemq.xml reader fill the same struct the same way:
//!
//! * `--network-connector 'static:(tcp://h1:61616,tcp://h2:61616)?duplex=true'`
//!   goes to [`NetworkConnectorConfig::parse_uri`];
//! * `<networkConnector uri="..." name="..." duplex="true"/>` goes, one
//!   attribute at a time, to [`NetworkConnectorConfig::apply_option`] (or all
//!   at once to [`NetworkConnectorConfig::apply_options`]), `uri` included.
//!
//! Both paths meet in one option table (`config/options.rs`), so a name
//! means the same thing wherever it is written.
//!
//! # Option names
//!
//! Names are ActiveMQ's bean property names (`networkTTL`,
//! `conduitSubscriptions`, ...). ActiveMQ finds a setter with
//! `IntrospectionSupport.findSetterMethod`, which upper-cases the first
//! letter, prefixes `set` and then compares exactly; Ferrum mirrors that
//! rule: the first letter is matched case-insensitively (`Duplex` works),
//! the rest exactly (`networkTtl` does not, and the error suggests
//! `networkTTL`).
//!
//! # Deliberate differences from ActiveMQ
//!
//! * Options after the closing parenthesis configure the connector. In
//!   ActiveMQ 5.x, `DiscoveryNetworkConnector.setUri` hands that query to
//!   the discovery agent only (reconnect options such as
//!   `initialReconnectDelay`, and `discovered.*` options copied onto each
//!   member), silently dropping anything else: `static:(...)?duplex=true`
//!   does not make an ActiveMQ bridge duplex. Ferrum accepts both the
//!   agent's and the connector's options there, and rejects unknown names
//!   instead of dropping them.
//! * Booleans must be `true` or `false` (any case). Java's
//!   `Boolean.valueOf` reads every other word, `yes` or a typo included, as
//!   `false`; Ferrum reports it instead.
//! * Numbers ActiveMQ would accept but cannot work with are refused with the
//!   range that works (a negative `networkTTL`, a `backOffMultiplier` of 0,
//!   a `consumerPriorityBase` outside a byte, ...). Each field says which.
//! * A connector option inside a member's own query
//!   (`static:tcp://h:61616?duplex=true`, where the query belongs to the
//!   member) is refused with where to put it; ActiveMQ hands it to the
//!   transport, which fails at connect time ("Invalid connect parameters").
//! * Only `tcp://`, `nio://` and `ssl://` members are accepted.
//!
//! # Destination lists
//!
//! ActiveMQ 5.x has no URI form for `dynamicallyIncludedDestinations`,
//! `excludedDestinations` and `staticallyIncludedDestinations` (the query
//! never reaches the connector; activemq.xml gives them as child elements).
//! As a value Ferrum takes ActiveMQ's own string form for such lists
//! (`IntrospectionSupport`'s converter), `[queue://A.>, topic://B.*]`, or
//! the same without brackets, `queue://A.>,topic://B.*`; a bare name is a
//! queue, as in that converter.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

mod error;
mod options;
mod uri;

pub use error::{ConfigError, UriProblem};

/// One `networkConnector`: where the peers are, how to reconnect to them
/// and how the bridges to them behave.
///
/// Field docs name the ActiveMQ field each one mirrors; unless they say
/// otherwise that field is in `NetworkBridgeConfiguration`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkConnectorConfig {
    /// `static:` or `masterslave:` (the discovery agent the `uri` names).
    pub kind: DiscoveryKind,
    /// The brokers to bridge to, in the order the URI lists them.
    pub peers: Vec<Peer>,
    /// How a failed peer is retried (`SimpleDiscoveryAgent`'s options).
    pub reconnect: ReconnectConfig,
    /// `name` ("NC"): tells bridges of one broker apart, and goes into the
    /// network consumers' ids and durable subscription names.
    pub name: String,
    /// `duplex` (false): the peer also forwards to us over the same
    /// connection, so only one side needs a connector (e.g. through a
    /// firewall).
    pub duplex: bool,
    /// `networkTTL` (1): how many brokers a message or a consumer's demand
    /// may cross. Setting it sets [`Self::message_ttl`] and
    /// [`Self::consumer_ttl`] too, as ActiveMQ's `setNetworkTTL` does.
    /// Negative values are refused (they would forward nothing).
    pub network_ttl: u32,
    /// `messageTTL` (= `networkTTL`): brokers a message may cross.
    pub message_ttl: u32,
    /// `consumerTTL` (= `networkTTL`): brokers a consumer's demand may cross.
    pub consumer_ttl: u32,
    /// `conduitSubscriptions` (true): many consumers of one topic on the
    /// peer make one network subscription, so each message crosses once.
    pub conduit_subscriptions: bool,
    /// `conduitNetworkQueueSubscriptions` (false): the same for queue
    /// subscriptions that are themselves network consumers.
    pub conduit_network_queue_subscriptions: bool,
    /// `dynamicOnly` (false): forward only while the peer has consumers,
    /// not to durable subscriptions that are offline.
    pub dynamic_only: bool,
    /// `decreaseNetworkConsumerPriority` (false in 5.17; 5.18.0 made it
    /// true, AMQ-5137): network consumers get a priority lowered by their
    /// hop count, so local consumers are preferred.
    pub decrease_network_consumer_priority: bool,
    /// `consumerPriorityBase` (`ConsumerInfo.NETWORK_CONSUMER_PRIORITY`,
    /// -5): the priority network consumers start from. ActiveMQ casts it to
    /// a byte, so values outside -128..=127 are refused.
    pub consumer_priority_base: i8,
    /// `prefetchSize` (1000): the network consumers' prefetch. At least 1,
    /// as `setPrefetchSize` demands (network consumers never poll).
    pub prefetch_size: u32,
    /// `advisoryPrefetchSize` (0): the advisory consumers' prefetch; 0 means
    /// "use `prefetchSize`" (ActiveMQ's "0 or less", so negatives read as 0).
    pub advisory_prefetch_size: u32,
    /// `advisoryAckPercentage` (75): share of the advisory prefetch
    /// delivered before it is acknowledged; 0..=100.
    pub advisory_ack_percentage: u8,
    /// `suppressDuplicateQueueSubscriptions` (false): in a cyclic network,
    /// keep only the shortest route's queue subscription.
    pub suppress_duplicate_queue_subscriptions: bool,
    /// `suppressDuplicateTopicSubscriptions` (true): the same for topics.
    pub suppress_duplicate_topic_subscriptions: bool,
    /// `bridgeTempDestinations` (true): forward to temporary destinations
    /// (request/reply across brokers).
    pub bridge_temp_destinations: bool,
    /// `alwaysSyncSend` (true): forward non-persistent messages with a
    /// request too, not as fire-and-forget.
    pub always_sync_send: bool,
    /// `syncDurableSubs` (false): on connect, tell the peer which durable
    /// subscriptions exist here, so it can forward to them while offline.
    pub sync_durable_subs: bool,
    /// `dispatchAsync` (true): the network consumers' dispatchAsync flag.
    pub dispatch_async: bool,
    /// `useVirtualDestSubs` (false): also create demand for virtual
    /// destination consumers.
    pub use_virtual_dest_subs: bool,
    /// `staticBridge` (false): forward only the statically included
    /// destinations, ignoring consumer advisories.
    pub static_bridge: bool,
    /// `useCompression` (false): compress the bodies of forwarded messages.
    pub use_compression: bool,
    /// `advisoryForFailedForward` (false): announce forwards that failed on
    /// `ActiveMQ.Advisory.NetworkBridge.ForwardFailure`.
    pub advisory_for_failed_forward: bool,
    /// `useBrokerNamesAsIdSeed` (true): seed the bridges' ids with the
    /// broker names. ActiveMQ's setter is misspelt `setUseBrokerNameAsIdSees`,
    /// so the option is `useBrokerNameAsIdSees`; Ferrum also takes
    /// `useBrokerNamesAsIdSeed`.
    pub use_broker_names_as_id_seed: bool,
    /// `gcDestinationViews` (true): drop idle per-destination bridge
    /// statistics.
    pub gc_destination_views: bool,
    /// `gcSweepTime` (60 s): how often those are swept; at least 1 ms (a
    /// Java timer refuses a zero period). Whole milliseconds.
    pub gc_sweep_time: Duration,
    /// `checkDuplicateMessagesOnDuplex` (false): on a duplex bridge, drop
    /// messages the peer already forwarded.
    pub check_duplicate_messages_on_duplex: bool,
    /// `autoStart` (true; added in 5.18, 5.17 always starts): start the
    /// connector with the broker.
    pub auto_start: bool,
    /// `dynamicallyIncludedDestinations` (empty = all): destinations
    /// forwarded on demand.
    pub dynamically_included_destinations: Vec<Destination>,
    /// `excludedDestinations` (empty): never forwarded; wins over includes.
    pub excluded_destinations: Vec<Destination>,
    /// `staticallyIncludedDestinations` (empty): forwarded whether or not
    /// the peer has consumers.
    pub statically_included_destinations: Vec<Destination>,
    /// `NetworkConnector.durableDestinations` (unset = the broker's own
    /// durable topics): topics whose durable subscriptions the bridge keeps.
    pub durable_destinations: Option<Vec<Destination>>,
    /// `destinationFilter` (unset): the advisory topic the bridge watches.
    /// Unset, ActiveMQ derives it from the dynamically included
    /// destinations; a value without the `ActiveMQ.Advisory.Consumer.`
    /// prefix gets it prepended when used. Kept here as written.
    pub destination_filter: Option<String>,
    /// `userName` (unset): credentials for the local side of the bridge,
    /// and for the remote side too unless `remoteUserName` is set.
    pub user_name: Option<String>,
    /// `password` (unset).
    pub password: Option<Secret>,
    /// `remoteUserName` (unset): credentials for the peer broker.
    pub remote_user_name: Option<String>,
    /// `remotePassword` (unset).
    pub remote_password: Option<Secret>,
    /// `clientIdToken` ("_"): separator in the bridges' client ids.
    pub client_id_token: String,
    /// `brokerName` ("localhost"). ActiveMQ overwrites it with the broker's
    /// own name when the connector starts; accepted and kept for that.
    pub broker_name: String,
    /// `brokerURL` (""). Overwritten at start like `brokerName`.
    pub broker_url: String,
}

impl Default for NetworkConnectorConfig {
    fn default() -> Self {
        NetworkConnectorConfig {
            kind: DiscoveryKind::Static,
            peers: Vec::new(),
            reconnect: ReconnectConfig::default(),
            name: "NC".to_owned(),
            duplex: false,
            network_ttl: 1,
            message_ttl: 1,
            consumer_ttl: 1,
            conduit_subscriptions: true,
            conduit_network_queue_subscriptions: false,
            dynamic_only: false,
            decrease_network_consumer_priority: false,
            consumer_priority_base: -5,
            prefetch_size: 1000,
            advisory_prefetch_size: 0,
            advisory_ack_percentage: 75,
            suppress_duplicate_queue_subscriptions: false,
            suppress_duplicate_topic_subscriptions: true,
            bridge_temp_destinations: true,
            always_sync_send: true,
            sync_durable_subs: false,
            dispatch_async: true,
            use_virtual_dest_subs: false,
            static_bridge: false,
            use_compression: false,
            advisory_for_failed_forward: false,
            use_broker_names_as_id_seed: true,
            gc_destination_views: true,
            gc_sweep_time: Duration::from_secs(60),
            check_duplicate_messages_on_duplex: false,
            auto_start: true,
            dynamically_included_destinations: Vec::new(),
            excluded_destinations: Vec::new(),
            statically_included_destinations: Vec::new(),
            durable_destinations: None,
            destination_filter: None,
            user_name: None,
            password: None,
            remote_user_name: None,
            remote_password: None,
            client_id_token: "_".to_owned(),
            broker_name: "localhost".to_owned(),
            broker_url: String::new(),
        }
    }
}

impl NetworkConnectorConfig {
    /// Reads a `networkConnector` URI: `static:(tcp://h1:61616,tcp://h2:61616)?opts`,
    /// `static:tcp://h:61616` (one member, its query stays with it, as in
    /// ActiveMQ) or `masterslave:(tcp://master:61616,tcp://slave:61616)`.
    /// `static://(...)` and ActiveMQ's alias `simple:` are accepted too.
    ///
    /// Options after the closing parenthesis are connector options (see the
    /// module docs for why that differs from ActiveMQ), reconnect options,
    /// or `discovered.<name>=<value>`, which ActiveMQ appends to every
    /// member's own options. Names and values are %-decoded (and `+` is a
    /// space), as ActiveMQ's `URISupport.parseQuery` does.
    pub fn parse_uri(text: &str) -> Result<Self, ConfigError> {
        let mut config = NetworkConnectorConfig::default();
        uri::apply_uri(&mut config, text)?;
        Ok(config)
    }

    /// Applies one option by its ActiveMQ name: what an activemq.xml
    /// attribute or a URI query pair does. `uri` replaces [`Self::kind`] and
    /// [`Self::peers`] and applies the URI's own options.
    ///
    /// `networkTTL` sets `messageTTL` and `consumerTTL` as well, so applied
    /// after them it overrides them; [`Self::apply_options`] orders that for
    /// you.
    pub fn apply_option(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        options::apply_all(self, [(name, value)], false)
    }

    /// Applies several options (e.g. all attributes of a `<networkConnector>`
    /// element) so that their order does not matter: `uri` first, then
    /// `networkTTL`, then the rest as given (a later duplicate wins). So an
    /// explicit `messageTTL` or `consumerTTL` always beats `networkTTL`, and
    /// an attribute beats the same option in the `uri`'s query.
    /// Stops at the first error; the config may then be partly changed.
    pub fn apply_options<'a, I>(&mut self, options: I) -> Result<(), ConfigError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        options::apply_all(self, options, false)
    }

    /// The options that differ from ActiveMQ's defaults, by name, without
    /// passwords: what a bridge sends its peer in BrokerInfo's
    /// `networkProperties`, so the accepting end of a duplex bridge
    /// configures its half alike (as ActiveMQ does).
    pub fn changed_options(&self) -> Vec<(&'static str, String)> {
        options::changed(self)
    }

    /// Sets `networkTTL` and, as ActiveMQ's `setNetworkTTL` does, `messageTTL`
    /// and `consumerTTL` to the same value.
    pub fn set_network_ttl(&mut self, ttl: u32) {
        self.network_ttl = ttl;
        self.message_ttl = ttl;
        self.consumer_ttl = ttl;
    }

    /// The URI that [`Self::parse_uri`] reads back into an equal config:
    /// always the parenthesised form, with only the options that differ from
    /// the defaults. It contains the passwords in clear; do not log it.
    /// With no peers it is `static:()`, which does not parse.
    pub fn to_uri(&self) -> String {
        let members: Vec<String> = self.peers.iter().map(Peer::to_string).collect();
        let mut text = format!("{}:({})", self.kind.scheme(), members.join(","));
        let query = options::query_string(self);
        if !query.is_empty() {
            text.push('?');
            text.push_str(&query);
        }
        text
    }

    /// Every option name [`Self::apply_option`] knows, ActiveMQ's spelling,
    /// `uri` excepted (e.g. for help texts and the activemq.xml reader).
    pub fn option_names() -> impl Iterator<Item = &'static str> {
        options::names()
    }
}

impl FromStr for NetworkConnectorConfig {
    type Err = ConfigError;

    fn from_str(text: &str) -> Result<Self, ConfigError> {
        NetworkConnectorConfig::parse_uri(text)
    }
}

/// Which ActiveMQ discovery agent the URI names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscoveryKind {
    /// `static:` (`SimpleDiscoveryAgent`): one bridge per member, each
    /// connected and retried on its own.
    Static,
    /// `masterslave:` (`MasterSlaveDiscoveryAgent`): the members are one
    /// logical peer, a master and its slaves. ActiveMQ turns them into a
    /// single `failover:(m,s,...)?randomize=false&maxReconnectAttempts=0`
    /// member: tried in order, one bridge at a time. Needs two members.
    MasterSlave,
}

impl DiscoveryKind {
    /// The URI scheme: `static` or `masterslave`.
    pub fn scheme(self) -> &'static str {
        match self {
            DiscoveryKind::Static => "static",
            DiscoveryKind::MasterSlave => "masterslave",
        }
    }
}

/// One member of the URI: a broker to connect to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Peer {
    /// The transport the member names.
    pub scheme: PeerScheme,
    /// Host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// TCP port, 1..=65535.
    pub port: u16,
    /// The member's own query (`tcp://h:61616?wireFormat.maxInactivityDuration=0`),
    /// %-decoded, in order: transport options, not connector options.
    pub options: Vec<(String, String)>,
}

impl fmt::Display for Peer {
    /// `tcp://host:port?name=value&...`, %-encoded where needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(
                f,
                "{}://[{}]:{}",
                self.scheme.as_str(),
                self.host,
                self.port
            )?;
        } else {
            write!(f, "{}://{}:{}", self.scheme.as_str(), self.host, self.port)?;
        }
        for (i, (name, value)) in self.options.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(
                f,
                "{sep}{}={}",
                uri::encode(name, false),
                uri::encode(value, false)
            )?;
        }
        Ok(())
    }
}

/// The transports a member may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerScheme {
    /// `tcp://`
    Tcp,
    /// `nio://` (the same protocol as tcp; ActiveMQ's NIO client).
    Nio,
    /// `ssl://` (OpenWire over TLS).
    Ssl,
}

impl PeerScheme {
    /// `tcp`, `nio` or `ssl`.
    pub fn as_str(self) -> &'static str {
        match self {
            PeerScheme::Tcp => "tcp",
            PeerScheme::Nio => "nio",
            PeerScheme::Ssl => "ssl",
        }
    }
}

/// How a failed member is retried: the options of ActiveMQ's
/// `SimpleDiscoveryAgent` (which `masterslave:` extends). All times are
/// whole milliseconds in the URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconnectConfig {
    /// `initialReconnectDelay` (1000 ms): the first wait after a failure.
    /// (Java's `wait(0)` waits forever; a 0 here means no wait.)
    pub initial_reconnect_delay: Duration,
    /// `maxReconnectDelay` (30000 ms): the longest wait.
    pub max_reconnect_delay: Duration,
    /// `useExponentialBackOff` (true): multiply the wait after each failure.
    pub use_exponential_back_off: bool,
    /// `backOffMultiplier` (2): by how much; at least 1 (0 would make the
    /// wait 0, which Java reads as "forever").
    pub back_off_multiplier: u64,
    /// `maxReconnectAttempts` (0 = unlimited): give a member up after this
    /// many quick failures. ActiveMQ treats negatives as unlimited too, so
    /// they read as 0.
    pub max_reconnect_attempts: u32,
    /// `minConnectTime` (5000 ms): a connection that fails sooner counts as
    /// a failed attempt; one that lived longer resets the back-off.
    pub min_connect_time: Duration,
}

impl Default for ReconnectConfig {
    fn default() -> Self {
        ReconnectConfig {
            initial_reconnect_delay: Duration::from_millis(1000),
            max_reconnect_delay: Duration::from_millis(30_000),
            use_exponential_back_off: true,
            back_off_multiplier: 2,
            max_reconnect_attempts: 0,
            min_connect_time: Duration::from_millis(5000),
        }
    }
}

/// A destination (or wildcard pattern, `*` and `>`) in the connector's
/// include/exclude lists. Local on purpose: plain data an XML reader can
/// fill without the broker's types.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Destination {
    /// Queue or topic.
    pub kind: DestinationKind,
    /// Physical name, wildcards included (`ORDERS.>`).
    pub name: String,
}

/// Queue or topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DestinationKind {
    /// `queue://`
    Queue,
    /// `topic://`
    Topic,
}

impl Destination {
    /// Reads `queue://NAME`, `topic://NAME` or a bare `NAME`, which is a
    /// queue: ActiveMQ converts these lists with
    /// `ActiveMQDestination.createDestination(item, QUEUE_TYPE)`.
    /// Temporary destinations (`temp-queue://`, `temp-topic://`) are
    /// refused: their names are made up at run time, and whether they are
    /// bridged is `bridgeTempDestinations`' business. Errors say what was
    /// expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (kind, name) = if let Some(name) = text.strip_prefix("queue://") {
            (DestinationKind::Queue, name)
        } else if let Some(name) = text.strip_prefix("topic://") {
            (DestinationKind::Topic, name)
        } else if text.starts_with("temp-queue://") || text.starts_with("temp-topic://") {
            return Err("temporary destinations cannot be listed \
                        (bridgeTempDestinations decides whether they are bridged)"
                .to_owned());
        } else {
            (DestinationKind::Queue, text)
        };
        if name.is_empty() {
            return Err("the name is empty".to_owned());
        }
        Ok(Destination {
            kind,
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for Destination {
    /// The qualified name, `queue://NAME` or `topic://NAME`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            DestinationKind::Queue => write!(f, "queue://{}", self.name),
            DestinationKind::Topic => write!(f, "topic://{}", self.name),
        }
    }
}

/// A password: plain data, but `Debug` prints `*****` (as ActiveMQ's
/// `IntrospectionSupport.toString` masks fields named like "password"), so
/// a logged config does not leak it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"*****\"")
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
