//! Wiring: the broker core, the listeners, and an orderly stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use broker::{Broker, BrokerConfig, MemoryStore, MessageStore, Recovered};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::shutdown::Signals;
use crate::transport::Shutdown;
use crate::{openwire, stomp};

pub async fn run(config: Config) -> anyhow::Result<()> {
    let mut signals = Signals::install().context("installing signal handlers")?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
    // One broker per data directory: a second one waits here (with its ports
    // closed) until the first exits, like an ActiveMQ shared-storage slave.
    let lock_dir = config.data_dir.clone();
    let _lock = tokio::task::spawn_blocking(move || {
        store::DirLock::acquire(&lock_dir, || {
            tracing::info!(
                "data dir {} is locked by another broker; waiting for it",
                lock_dir.display()
            );
        })
    })
    .await?
    .with_context(|| format!("locking data dir {}", config.data_dir.display()))?;
    let (store, recovered) = open_store(&config)?;
    let broker = Arc::new(Broker::new(broker_config(&config), store));
    broker.restore(recovered);
    let (stop_tx, stop) = Shutdown::new();
    let upkeep = tokio::spawn(maintain(Arc::clone(&broker), stop.clone()));
    let scheduler = config
        .scheduler_support
        .then(|| tokio::spawn(fire_scheduled(Arc::clone(&broker), stop.clone())));

    let stomp_listener = TcpListener::bind(SocketAddr::new(config.bind, config.stomp_port))
        .await
        .with_context(|| format!("binding STOMP on {}:{}", config.bind, config.stomp_port))?;
    let stomp_addr = stomp_listener.local_addr()?;
    let openwire_listener = TcpListener::bind(SocketAddr::new(config.bind, config.openwire_port))
        .await
        .with_context(|| {
            format!(
                "binding OpenWire on {}:{}",
                config.bind, config.openwire_port
            )
        })?;
    let openwire_addr = openwire_listener.local_addr()?;
    tracing::info!("OpenWire listening on {openwire_addr}");
    tracing::info!("STOMP listening on {stomp_addr}");
    tracing::info!(
        "ferrum {} started (data dir {})",
        env!("CARGO_PKG_VERSION"),
        config.data_dir.display()
    );

    let settings = Arc::new(stomp::Settings::from_config(&config));
    let accept = tokio::spawn(stomp::serve(
        stomp_listener,
        Arc::clone(&broker),
        settings,
        stop.clone(),
    ));

    let openwire_settings = Arc::new(openwire::Settings::new(
        &config.broker_name,
        &broker.broker_id(),
        openwire_addr,
        config.openwire_max_frame_size,
    ));
    let openwire_accept = tokio::spawn(openwire::serve(
        openwire_listener,
        Arc::clone(&broker),
        openwire_settings,
        stop.clone(),
    ));

    let (network_stop, network_stopping) = tokio::sync::watch::channel(false);
    let connectors = start_network(&config, &broker, &network_stopping);

    signals.recv().await;
    tracing::info!("shutting down");
    let _ = network_stop.send(true);
    for c in connectors {
        let _ = tokio::time::timeout(Duration::from_secs(2), c.stopped()).await;
    }
    let _ = stop_tx.send(true);
    // Connections close their sockets on the signal; give them a moment.
    let _ = tokio::time::timeout(Duration::from_secs(2), accept).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), openwire_accept).await;
    upkeep.abort();
    if let Some(s) = scheduler {
        s.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// One running connector per `--network-connector`.
fn start_network(
    config: &Config,
    broker: &Arc<Broker>,
    stopping: &tokio::sync::watch::Receiver<bool>,
) -> Vec<network::NetworkConnector> {
    config
        .network_connectors
        .iter()
        .map(|c| {
            let (settings, peers, backoff) =
                network::setup::plan(c, &broker.broker_id(), &config.broker_name);
            // Not the URI: it may hold a password.
            let members: Vec<String> = c.peers.iter().map(|p| format!("{}:{}", p.host, p.port)).collect();
            tracing::info!(connector = %c.name, peers = ?members, duplex = c.duplex, "starting network connector");
            network::NetworkConnector::start(
                c.name.clone(),
                Arc::clone(broker),
                settings,
                peers,
                backoff,
                stopping.clone(),
            )
        })
        .collect()
}

/// The journal in `<data-dir>/journal`, or memory with `--persistent false`.
/// The core's settings, from the command line.
fn broker_config(config: &Config) -> BrokerConfig {
    BrokerConfig {
        name: config.broker_name.clone(),
        url: Some(format!("tcp://{}:{}", config.bind, config.openwire_port)),
        destination_memory_limit: config.destination_memory_limit,
        memory_limit: config.memory_limit,
        store_limit: config.store_limit,
        send_fail_if_no_space: config.send_fail_if_no_space,
        scheduler_support: config.scheduler_support,
        expire_messages_period: Duration::from_millis(config.expire_messages_period),
        individual_dead_letter: policy_targets(&config.individual_dlq),
        prioritized_messages: policy_targets(&config.prioritized_messages),
        advisory_for_delivery: policy_targets(&config.advisory_for_delivery),
        advisory_for_consumed: policy_targets(&config.advisory_for_consumed),
        advisory_for_slow_consumers: config
            .advisory_for_slow_consumers
            .iter()
            .map(|d| broker::Destination::topic(d.strip_prefix("topic://").unwrap_or(d)))
            .collect(),
        ..BrokerConfig::default()
    }
}

fn open_store(config: &Config) -> anyhow::Result<(Box<dyn MessageStore>, Recovered)> {
    if !config.persistent {
        tracing::info!("persistence off: messages are kept in memory only");
        return Ok((Box::new(MemoryStore::new()), Recovered::default()));
    }
    let dir = config.data_dir.join("journal");
    let started = std::time::Instant::now();
    let (store, recovered) = store::JournalStore::open(
        &dir,
        store::Options {
            max_segment: config.journal_max_file_length,
            sync: config.journal_sync,
            ..store::Options::default()
        },
    )
    .with_context(|| format!("opening the journal in {}", dir.display()))?;
    tracing::info!(
        "journal {}: recovered {} messages and {} durable subscriptions in {:.0?}",
        dir.display(),
        recovered.messages.len(),
        recovered.durables.len(),
        started.elapsed()
    );
    Ok((Box::new(store), recovered))
}

/// Store upkeep once a second: deleting and compacting journal segments.
async fn maintain(broker: Arc<Broker>, mut stop: Shutdown) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let b = Arc::clone(&broker);
                // Compaction reads segment files: keep it off the async threads.
                let _ = tokio::task::spawn_blocking(move || b.maintain()).await;
            }
            _ = stop.requested() => return,
        }
    }
}

/// Delivers scheduled messages on time: sleeps until the next job is due
/// (or a new, earlier one is added) and fires what is due. A dedicated
/// timer rather than the once-a-second upkeep, so a delay is kept to a few
/// milliseconds.
async fn fire_scheduled(broker: Arc<Broker>, mut stop: Shutdown) {
    let wake = broker.scheduler_wake();
    loop {
        let now = broker::now_millis();
        // A job due now fires now; with none, look again after a while
        // anyway (a wake-up is what normally ends the wait).
        let wait = broker
            .next_due()
            .map_or(60_000, |t| t.saturating_sub(now).clamp(0, 60_000));
        if wait > 0 {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(wait as u64)) => {}
                _ = wake.notified() => continue,
                _ = stop.requested() => return,
            }
        }
        broker.fire_due(broker::now_millis());
    }
}

/// The destinations named in a per-destination policy flag: `topic://` for
/// a topic, else a queue (`queue://` optional).
fn policy_targets(names: &[String]) -> Vec<broker::Destination> {
    names
        .iter()
        .map(|d| match d.strip_prefix("topic://") {
            Some(t) => broker::Destination::topic(t),
            None => broker::Destination::queue(d.strip_prefix("queue://").unwrap_or(d)),
        })
        .collect()
}
