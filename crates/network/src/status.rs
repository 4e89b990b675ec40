//! What each bridge is doing, for the log, metrics and the console.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A bridge's state at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BridgeState {
    /// The peer address(es) as configured.
    pub peer: String,
    pub connected: bool,
    pub remote_broker_name: Option<String>,
    pub remote_broker_id: Option<String>,
    /// Messages the peer has (acknowledged here after it answered).
    pub forwarded: u64,
    /// Local consumers standing for the peer's demand.
    pub local_consumers: usize,
    /// Connection attempts that failed or sessions that ended in error.
    pub failures: u64,
    pub last_error: Option<String>,
}

/// Shared between a bridge's task and whoever reads its state.
#[derive(Debug, Default)]
pub struct BridgeStatus {
    state: Mutex<BridgeState>,
    sessions: AtomicU64,
}

impl BridgeStatus {
    pub fn new(peer: String) -> BridgeStatus {
        BridgeStatus {
            state: Mutex::new(BridgeState {
                peer,
                ..BridgeState::default()
            }),
            sessions: AtomicU64::new(0),
        }
    }

    pub fn snapshot(&self) -> BridgeState {
        self.with(|s| s.clone())
    }

    /// A number for the next session's connection id.
    pub fn next_session(&self) -> u64 {
        self.sessions.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn with<R>(&self, f: impl FnOnce(&mut BridgeState) -> R) -> R {
        // A panic elsewhere while holding it leaves plain data behind.
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    pub(crate) fn connected(&self, name: &str, id: &str) {
        self.with(|s| {
            s.connected = true;
            s.remote_broker_name = Some(name.to_string());
            s.remote_broker_id = Some(id.to_string());
        });
    }

    pub(crate) fn disconnected(&self, error: Option<String>) {
        self.with(|s| {
            s.connected = false;
            s.local_consumers = 0;
            if error.is_some() {
                s.failures += 1;
                s.last_error = error;
            }
        });
    }

    pub(crate) fn failed(&self, error: String) {
        self.with(|s| {
            s.failures += 1;
            s.last_error = Some(error);
        });
    }

    pub(crate) fn forwarded(&self) {
        self.with(|s| s.forwarded += 1);
    }

    pub(crate) fn set_local_consumers(&self, n: usize) {
        self.with(|s| s.local_consumers = n);
    }
}
