//! Where the core reads the time. Every clock read in the core goes through
//! a [`Clock`], so tests and the simulator can run on a [`ManualClock`]
//! they advance themselves instead of sleeping.
//!
//! Two readings, because they answer different questions: the wall clock
//! (milliseconds since the epoch) stamps messages and decides expiry and
//! scheduled times, as JMS defines them; the monotonic reading measures
//! intervals (how long a subscriber has taken nothing, when expired
//! messages were last swept) and never jumps when the wall clock is set.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A source of time for the core.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch: the JMS clock.
    fn now_millis(&self) -> i64;
    /// Time since a fixed origin of this clock, for measuring intervals.
    fn monotonic(&self) -> Duration;
}

/// The machine's clocks.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    pub fn new() -> SystemClock {
        SystemClock {
            origin: Instant::now(),
        }
    }

    /// A shared system clock, the default for a broker.
    pub fn shared() -> Arc<dyn Clock> {
        Arc::new(SystemClock::new())
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        crate::message::now_millis()
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that moves only when told to. Clones share the same time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    wall_ms: Arc<AtomicI64>,
    mono_ns: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading `wall_ms` milliseconds since the epoch.
    pub fn new(wall_ms: i64) -> ManualClock {
        ManualClock {
            wall_ms: Arc::new(AtomicI64::new(wall_ms)),
            mono_ns: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Moves both readings forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.wall_ms.fetch_add(ms, Ordering::SeqCst);
        let ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.mono_ns.fetch_add(ns, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.wall_ms.load(Ordering::SeqCst)
    }

    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.mono_ns.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let c = ManualClock::new(1_000);
        let shared = c.clone();
        assert_eq!(c.now_millis(), 1_000);
        assert_eq!(c.monotonic(), Duration::ZERO);
        shared.advance(Duration::from_millis(250));
        assert_eq!(c.now_millis(), 1_250);
        assert_eq!(c.monotonic(), Duration::from_millis(250));
    }
}
