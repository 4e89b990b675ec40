//! From a connector's configuration to what its bridges run with.

use std::sync::Arc;

use broker::destination::Destination;

use crate::bridge::SessionSettings;
use crate::config::{self, DiscoveryKind, NetworkConnectorConfig};
use crate::connector::{Backoff, PeerPlan};
use crate::demand::DemandRules;

/// ActiveMQ's consumer advisory topic prefix.
const CONSUMER_ADVISORY: &str = "ActiveMQ.Advisory.Consumer.";
/// Where temporary destinations are announced (ActiveMQ's
/// TEMP_DESTINATION_COMPOSITE_ADVISORY_TOPIC).
const TEMP_ADVISORIES: &str = "ActiveMQ.Advisory.TempQueue,ActiveMQ.Advisory.TempTopic";

/// Everything a connector's bridges need, for the broker `local_id`
/// named `local_name`.
pub fn plan(
    cfg: &NetworkConnectorConfig,
    local_id: &str,
    local_name: &str,
) -> (SessionSettings, Vec<PeerPlan>, Backoff) {
    let token = &cfg.client_id_token;
    let settings = SessionSettings {
        local_id: Arc::from(local_id),
        local_name: local_name.to_string(),
        client_id: format!("{}{token}{local_name}{token}outbound", cfg.name),
        duplex: cfg.duplex,
        user: cfg
            .remote_user_name
            .clone()
            .or_else(|| cfg.user_name.clone()),
        password: cfg
            .remote_password
            .as_ref()
            .or(cfg.password.as_ref())
            .map(|s| s.0.clone()),
        advisory_topics: advisory_topics(cfg),
        // ActiveMQ's configureConsumerPrefetch: advisoryPrefetchSize when
        // set, else prefetchSize.
        advisory_prefetch: if cfg.advisory_prefetch_size > 0 {
            cfg.advisory_prefetch_size
        } else {
            cfg.prefetch_size
        },
        always_sync_send: cfg.always_sync_send,
        network_properties: String::new(),
        rules: DemandRules {
            local_broker: Arc::from(local_id),
            consumer_ttl: ttl(cfg.consumer_ttl),
            message_ttl: ttl(cfg.message_ttl),
            conduit: cfg.conduit_subscriptions,
            decrease_priority: cfg.decrease_network_consumer_priority,
            consumer_priority_base: i32::from(cfg.consumer_priority_base),
            prefetch: cfg.prefetch_size,
            bridge_temp_destinations: cfg.bridge_temp_destinations,
            suppress_duplicate_queues: cfg.suppress_duplicate_queue_subscriptions,
            suppress_duplicate_topics: cfg.suppress_duplicate_topic_subscriptions,
            excluded: destinations(&cfg.excluded_destinations),
            statically_included: destinations(&cfg.statically_included_destinations),
            dynamically_included: destinations(&cfg.dynamically_included_destinations),
        },
    };
    let address = |p: &config::Peer| {
        if p.host.contains(':') {
            format!("[{}]:{}", p.host, p.port)
        } else {
            format!("{}:{}", p.host, p.port)
        }
    };
    let peers = match cfg.kind {
        DiscoveryKind::Static => cfg
            .peers
            .iter()
            .map(|p| PeerPlan {
                addresses: vec![address(p)],
            })
            .collect(),
        DiscoveryKind::MasterSlave => vec![PeerPlan {
            addresses: cfg.peers.iter().map(address).collect(),
        }],
    };
    let r = &cfg.reconnect;
    let backoff = Backoff {
        initial: r.initial_reconnect_delay,
        max: r.max_reconnect_delay,
        exponential: r.use_exponential_back_off,
        multiplier: r.back_off_multiplier as f64,
        max_attempts: (r.max_reconnect_attempts > 0).then_some(r.max_reconnect_attempts),
    };
    (settings, peers, backoff)
}

fn ttl(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

fn destinations(list: &[config::Destination]) -> Vec<Destination> {
    list.iter()
        .map(|d| match d.kind {
            config::DestinationKind::Queue => Destination::queue(d.name.as_str()),
            config::DestinationKind::Topic => Destination::topic(d.name.as_str()),
        })
        .collect()
}

/// The advisory topics the bridge watches, as ActiveMQ's
/// getDestinationFilter builds them: `destinationFilter` when given, else
/// one consumer advisory topic per dynamically included destination, else
/// all of them; plus the temporary destination advisories when those are
/// bridged.
fn advisory_topics(cfg: &NetworkConnectorConfig) -> String {
    let mut topics = match &cfg.destination_filter {
        Some(f) => f.clone(),
        None if cfg.dynamically_included_destinations.is_empty() => format!("{CONSUMER_ADVISORY}>"),
        None => cfg
            .dynamically_included_destinations
            .iter()
            .map(|d| {
                let kind = match d.kind {
                    config::DestinationKind::Queue => "Queue",
                    config::DestinationKind::Topic => "Topic",
                };
                format!("{CONSUMER_ADVISORY}{kind}.{}", d.name)
            })
            .collect::<Vec<_>>()
            .join(","),
    };
    if cfg.bridge_temp_destinations {
        topics.push(',');
        topics.push_str(TEMP_ADVISORIES);
    }
    topics
}
