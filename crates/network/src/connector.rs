//! A network connector: one bridge per peer, each kept up by its own task.
//!
//! A bridge connects, runs a session ([`crate::bridge`]) until it ends,
//! and tries again after a delay that starts at `initialReconnectDelay`
//! and, with `useExponentialBackOff`, grows by `backOffMultiplier` up to
//! `maxReconnectDelay` (ActiveMQ's SimpleDiscoveryAgent). A failure is
//! logged and counted in the bridge's status; local clients never wait on
//! a bridge.

use std::sync::Arc;
use std::time::Duration;

use broker::Broker;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::bridge::{self, Ended, SessionSettings};
use crate::status::{BridgeState, BridgeStatus};

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A session that lasted this long was a success: the next failure
/// starts the back-off from the beginning again.
const STABLE: Duration = Duration::from_secs(10);

/// One bridge's peer: one address, or (`masterslave:`) several tried in
/// turn as one logical peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerPlan {
    pub addresses: Vec<String>,
    /// Silence that ends a session (the member's
    /// `wireFormat.maxInactivityDuration`, 30 s by default; None: never).
    pub inactivity: Option<Duration>,
}

/// The static transport's reconnect settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub exponential: bool,
    pub multiplier: f64,
    /// Give up after this many failed attempts in a row (None: never).
    pub max_attempts: Option<u32>,
}

impl Backoff {
    fn next(&self, delay: Duration) -> Duration {
        if !self.exponential {
            return self.initial;
        }
        let grown = delay.as_secs_f64() * self.multiplier.max(1.0);
        Duration::try_from_secs_f64(grown)
            .unwrap_or(self.max)
            .min(self.max)
    }
}

/// The running bridges of one connector.
pub struct NetworkConnector {
    pub name: String,
    bridges: Vec<Arc<BridgeStatus>>,
    tasks: Vec<JoinHandle<()>>,
}

impl NetworkConnector {
    /// Starts one bridge per peer; they stop when `shutdown` turns true.
    pub fn start(
        name: String,
        broker: Arc<Broker>,
        settings: SessionSettings,
        peers: Vec<PeerPlan>,
        backoff: Backoff,
        shutdown: watch::Receiver<bool>,
    ) -> NetworkConnector {
        let settings = Arc::new(settings);
        let mut bridges = Vec::new();
        let mut tasks = Vec::new();
        for peer in peers {
            let status = Arc::new(BridgeStatus::new(peer.addresses.join(",")));
            bridges.push(Arc::clone(&status));
            let task = keep_up(
                name.clone(),
                Arc::clone(&broker),
                Arc::clone(&settings),
                peer,
                backoff.clone(),
                status,
                shutdown.clone(),
            );
            tasks.push(tokio::spawn(task));
        }
        NetworkConnector {
            name,
            bridges,
            tasks,
        }
    }

    /// Each bridge's state now.
    pub fn bridges(&self) -> Vec<BridgeState> {
        self.bridges.iter().map(|b| b.snapshot()).collect()
    }

    /// Waits for every bridge task to end (after shutdown).
    pub async fn stopped(self) {
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn keep_up(
    name: String,
    broker: Arc<Broker>,
    settings: Arc<SessionSettings>,
    peer: PeerPlan,
    backoff: Backoff,
    status: Arc<BridgeStatus>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut delay = backoff.initial;
    let mut failures = 0u32;
    let mut turn = 0usize;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let address = &peer.addresses[turn % peer.addresses.len().max(1)];
        let started = tokio::time::Instant::now();
        let outcome = match connect(address).await {
            Ok(stream) => {
                bridge::run(
                    &broker,
                    stream,
                    &settings,
                    &status,
                    peer.inactivity,
                    &mut shutdown,
                )
                .await
            }
            Err(e) => {
                status.failed(e.to_string());
                Err(e)
            }
        };
        match outcome {
            Ok(Ended::Shutdown) => return,
            Ok(Ended::Loopback) => {
                tracing::warn!(connector = %name, peer = %address, "network connector points at this broker itself; not retried");
                return;
            }
            Err(e) => {
                tracing::warn!(connector = %name, peer = %address, error = %e, "network bridge down; retrying in {delay:?}");
            }
        }
        if started.elapsed() >= STABLE {
            delay = backoff.initial;
            failures = 0;
        }
        failures += 1;
        if backoff.max_attempts.is_some_and(|m| failures >= m) {
            tracing::error!(connector = %name, peer = %address, "network bridge gave up after {failures} attempts");
            return;
        }
        turn += 1;
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => {}
        }
        delay = backoff.next(delay);
    }
}

async fn connect(address: &str) -> Result<TcpStream, crate::BridgeError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(crate::BridgeError::Connect(address.to_string(), e)),
        Err(_) => Err(crate::BridgeError::Connect(
            address.to_string(),
            std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"),
        )),
    }
}
