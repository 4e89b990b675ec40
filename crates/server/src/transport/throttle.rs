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

/// When a held-back connection should ask the broker again: as soon as the
/// broker frees memory ([`Broker::relief`]), or after a backing-off pause.
pub struct Relief {
    notify: Arc<Notify>,
    /// Armed at all times, so memory freed between a look at the broker and
    /// the next wait still wakes it.
    armed: Pin<Box<OwnedNotified>>,
    recheck: Pin<Box<Sleep>>,
    pause: Duration,
}

impl Relief {
    pub fn new(broker: &Broker) -> Relief {
        let notify = broker.relief();
        let armed = arm(&notify);
        Relief {
            notify,
            armed,
            recheck: Box::pin(tokio::time::sleep(FIRST_RECHECK)),
            pause: FIRST_RECHECK,
        }
    }

    /// Resolves when it is worth asking the broker again. Cancel-safe: the
    /// state lives in `self`, so a select may drop it at any time.
    pub async fn wait(&mut self) {
        tokio::select! {
            _ = self.armed.as_mut() => {}
            _ = self.recheck.as_mut() => {
                self.pause = (self.pause * 2).min(MAX_RECHECK);
            }
        }
        // Re-armed before the caller looks, so nothing freed after the look
        // is missed.
        self.armed = arm(&self.notify);
        self.recheck.as_mut().reset(Instant::now() + self.pause);
    }

    /// The connection is no longer held back: the next throttle starts
    /// with short pauses again.
    pub fn cleared(&mut self) {
        self.pause = FIRST_RECHECK;
        self.recheck.as_mut().reset(Instant::now() + FIRST_RECHECK);
    }
}

fn arm(notify: &Arc<Notify>) -> Pin<Box<OwnedNotified>> {
    let mut armed = Box::pin(Arc::clone(notify).notified_owned());
    armed.as_mut().enable();
    armed
}
