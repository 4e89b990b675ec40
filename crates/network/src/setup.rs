//! From a connector's configuration to what its bridges run with.

use std::sync::Arc;

use broker::destination::Destination;

use crate::config::{self, DiscoveryKind, NetworkConnectorConfig};
use crate::connector::{Backoff, PeerPlan};
use crate::demand::DemandRules;
use crate::settings::SessionSettings;

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
        connector_name: cfg.name.clone(),
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
        network_properties: properties_text(&cfg.changed_options()),
        rules: DemandRules {
            local_broker: Arc::from(local_id),
            local_name: local_name.to_string(),
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
                inactivity: inactivity(p),
            })
            .collect(),
        DiscoveryKind::MasterSlave => vec![PeerPlan {
            addresses: cfg.peers.iter().map(address).collect(),
            inactivity: cfg.peers.first().and_then(inactivity),
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

/// A member's `wireFormat.maxInactivityDuration` (ms; 0 turns the check
/// off), ActiveMQ's 30 s when absent or unreadable.
fn inactivity(p: &config::Peer) -> Option<std::time::Duration> {
    let ms = p
        .options
        .iter()
        .find(|(k, _)| k == "wireFormat.maxInactivityDuration")
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        .unwrap_or(30_000);
    (ms > 0).then(|| std::time::Duration::from_millis(ms))
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

/// Java's Properties text (`key=value` lines, `\\` escapes), as ActiveMQ
/// puts a bridge's settings in BrokerInfo's `networkProperties`.
fn properties_text(options: &[(&str, String)]) -> String {
    let escape = |t: &str| {
        let mut out = String::with_capacity(t.len());
        for c in t.chars() {
            match c {
                '\\' | '=' | ':' | '#' | '!' => {
                    out.push('\\');
                    out.push(c);
                }
                '\n' => out.push_str("\\n"),
                _ => out.push(c),
            }
        }
        out
    };
    options
        .iter()
        .map(|(k, v)| format!("{}={}\n", escape(k), escape(v)))
        .collect()
}

/// Reads Java Properties text: `key=value` or `key:value` lines, `#` and
/// `!` comments, backslash escapes. Enough for what ActiveMQ writes.
fn parse_properties(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let (mut key, mut value, mut in_value, mut escaped) =
            (String::new(), String::new(), false, false);
        for c in line.chars() {
            let target = if in_value { &mut value } else { &mut key };
            if escaped {
                target.push(match c {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if !in_value && (c == '=' || c == ':') {
                in_value = true;
            } else {
                target.push(c);
            }
        }
        out.push((key.trim().to_string(), value.trim_start().to_string()));
    }
    out
}

/// The settings of the accepting end of a duplex bridge: ActiveMQ's
/// defaults, with what the connecting side sent in `networkProperties`
/// (options this broker does not know, or that are about the connecting
/// side only, are skipped).
pub fn accepted_duplex(
    network_properties: &str,
    local_id: &str,
    local_name: &str,
) -> SessionSettings {
    let mut cfg = NetworkConnectorConfig::default();
    for (k, v) in parse_properties(network_properties) {
        if matches!(
            k.as_str(),
            "uri" | "name" | "duplex" | "brokerName" | "brokerURL"
        ) {
            continue;
        }
        if let Err(e) = cfg.apply_option(&k, &v) {
            tracing::debug!(option = %k, error = %e, "duplex bridge option not taken");
        }
    }
    cfg.duplex = true;
    let (mut settings, _, _) = plan(&cfg, local_id, local_name);
    settings.client_id = format!(
        "{}{t}{local_name}{t}inbound{t}duplex",
        cfg.name,
        t = cfg.client_id_token
    );
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_properties_survive_the_trip_through_java_properties_text() {
        let options = vec![
            ("networkTTL", "2".to_string()),
            (
                "excludedDestinations",
                "[queue://a.>, topic://b:c=d]".to_string(),
            ),
        ];
        let text = properties_text(&options);
        let back = parse_properties(&format!("#\n#Wed Dec 02 10:00:00 UTC 2026\n{text}"));
        assert_eq!(
            back,
            vec![
                ("networkTTL".to_string(), "2".to_string()),
                (
                    "excludedDestinations".to_string(),
                    "[queue://a.>, topic://b:c=d]".to_string()
                ),
            ]
        );
    }

    #[test]
    fn the_accepting_end_of_a_duplex_bridge_takes_the_connecting_sides_settings() {
        let s = accepted_duplex(
            "networkTTL=3\nconduitSubscriptions=false\nbogus=1\n",
            "ID:b",
            "b",
        );
        assert_eq!(s.rules.consumer_ttl, 3);
        assert_eq!(s.rules.message_ttl, 3);
        assert!(!s.rules.conduit);
        assert!(s.duplex);
        assert_eq!(s.client_id, "NC_b_inbound_duplex");
    }
}
