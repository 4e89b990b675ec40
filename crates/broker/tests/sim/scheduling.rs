//! Scheduled delivery: with the scheduler on, a message carrying
//! `AMQ_SCHEDULED_DELAY` is held back and routed when the broker's timer
//! fires it (a `FireDue` step), reaching the subscriptions that exist then.

use broker::{Message, Value};

use crate::world::{Check, World};

/// A message the broker holds for later.
pub struct Scheduled {
    pub due: i64,
    pub producer: usize,
    pub message: Message,
}

fn delay_of(m: &Message) -> Option<i64> {
    match m.property("AMQ_SCHEDULED_DELAY") {
        Some(Value::Long(d)) if *d > 0 => Some(*d),
        _ => None,
    }
}

impl World {
    /// A message the broker took (sent, or committed): routed now, or held
    /// back by the scheduler (when it is off, the delay is ignored).
    pub fn arrived(&mut self, producer: usize, message: Message) {
        match delay_of(&message).filter(|_| self.scheduler) {
            Some(delay) => {
                let due = self.now() + delay;
                self.scheduled.push(Scheduled {
                    due,
                    producer,
                    message,
                });
            }
            None => self.accept(producer, &message),
        }
    }

    /// Fires what is due now, and routes it in the ledger too.
    pub fn fire_due(&mut self) -> Check {
        let now = self.now();
        let fired = self.broker.fire_due(now);
        // Due order, ties in scheduling order (a stable sort keeps it).
        self.scheduled.sort_by_key(|s| s.due);
        let split = self.scheduled.partition_point(|s| s.due <= now);
        let due: Vec<Scheduled> = self.scheduled.drain(..split).collect();
        if fired != due.len() {
            return Err(format!(
                "the scheduler fired {fired}, {} were due",
                due.len()
            ));
        }
        if fired > 0 {
            self.note(format!("   the scheduler fired {fired}"));
        }
        for s in due {
            let mut m = s.message;
            // Its time to live counts from when it is delivered.
            if m.expiration > 0 {
                m.expiration = now + (m.expiration - m.timestamp);
            }
            self.accept(s.producer, &m);
        }
        Ok(())
    }

    /// Moves the clock to when the last scheduled message is due and fires
    /// them all.
    pub fn fire_all(&mut self) -> Check {
        let Some(last) = self.scheduled.iter().map(|s| s.due).max() else {
            return Ok(());
        };
        let wait = u64::try_from(last - self.now()).unwrap_or(0);
        self.clock.advance(std::time::Duration::from_millis(wait));
        self.fire_due()
    }
}
