//! Waiting, without polling, for a held-back producer's destination to
//! clear.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use broker::Broker;
use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

/// The first look again without a notification. Congestion can clear with
/// no broker operation to signal it (the journal writer catching up, a
/// subscriber judged stalled as time passes); those cases are found by
/// looking again, sooner at first since they are often short.
const FIRST_RECHECK: Duration = Duration::from_millis(5);

/// The longest a held-back connection goes without looking again.
const MAX_RECHECK: Duration = Duration::from_millis(100);

/// The shortest time between two looks. Memory is freed by nearly every
/// dispatch, so a busy broker notifies far more often than a held-back
/// producer needs to ask (each look takes the core lock); a notification
/// during the gap is kept and acted on at its end.
const MIN_GAP: Duration = Duration::from_millis(1);

/// When a held-back connection should ask the broker again: as soon as the
/// broker frees memory ([`Broker::relief`]), or after a backing-off pause.
pub struct Relief {
    broker: Arc<broker::Relief>,
    /// Counted among the broker's held-back connections.
    holding: bool,
    notify: Arc<Notify>,
    /// Armed at all times, so memory freed between a look at the broker and
    /// the next wait still wakes it.
    armed: Pin<Box<OwnedNotified>>,
    recheck: Pin<Box<Sleep>>,
    pause: Duration,
    /// When `wait` last let the caller look.
    last_look: Instant,
}

impl Relief {
    pub fn new(broker: &Broker) -> Relief {
        let relief = broker.relief();
        let notify = relief.notify();
        let armed = arm(&notify);
        Relief {
            broker: relief,
            holding: false,
            notify,
            armed,
            recheck: Box::pin(tokio::time::sleep(FIRST_RECHECK)),
            pause: FIRST_RECHECK,
            last_look: Instant::now(),
        }
    }

    /// Resolves when it is worth asking the broker again. Cancel-safe: the
    /// state lives in `self` (a notification taken stays taken until the
    /// next look), so a select may drop it at any time.
    pub async fn wait(&mut self) {
        if !self.holding {
            // From now on the broker's operations watch for freed memory.
            self.holding = true;
            self.broker.hold();
        }
        tokio::select! {
            _ = self.armed.as_mut() => {}
            _ = self.recheck.as_mut() => {
                self.pause = (self.pause * 2).min(MAX_RECHECK);
            }
        }
        tokio::time::sleep_until(self.last_look + MIN_GAP).await;
        // Re-armed before the caller looks, so nothing freed after the look
        // is missed.
        self.armed = arm(&self.notify);
        self.last_look = Instant::now();
        self.recheck.as_mut().reset(self.last_look + self.pause);
    }

    /// The connection is no longer held back: the next throttle starts
    /// with short pauses again.
    pub fn cleared(&mut self) {
        if std::mem::take(&mut self.holding) {
            self.broker.release();
        }
        self.pause = FIRST_RECHECK;
        self.recheck.as_mut().reset(Instant::now() + FIRST_RECHECK);
    }
}

fn arm(notify: &Arc<Notify>) -> Pin<Box<OwnedNotified>> {
    let mut armed = Box::pin(Arc::clone(notify).notified_owned());
    armed.as_mut().enable();
    armed
}

impl Drop for Relief {
    fn drop(&mut self) {
        if self.holding {
            self.broker.release();
        }
    }
}
