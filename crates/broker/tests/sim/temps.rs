//! Temporary queues: created by a client connection, used by anyone, and
//! deleted with their connection. JMS discards what a deleted temporary
//! destination held, its consumers on other connections are closed by the
//! broker (a `ConsumerClosed` event), and sends to it are refused.
//! Kept simple: no transactions, delays, groups or exclusivity on them.

use broker::{ConnectionId, ConsumerId, Destination, DestinationKind};

use crate::ledger::{State, Target};
use crate::world::{Check, Source, World};

pub struct Temp {
    pub id: u64,
    pub dest: Destination,
    pub owner: ConnectionId,
    pub alive: bool,
}

impl World {
    pub fn create_temp(&mut self, slot: usize) -> Check {
        let conn = self.client(slot)?.conn;
        let dest = self
            .broker
            .create_temporary(conn, DestinationKind::TempQueue)
            .map_err(|e| format!("create_temporary: {e}"))?;
        let id = self.fresh_number();
        self.note(format!("   temp {id} is {dest}"));
        self.temps.push(Temp {
            id,
            dest,
            owner: conn,
            alive: true,
        });
        self.confirm(conn)
    }

    /// The ledger target of a temporary queue, by name.
    pub fn temp_target(&self, dest: &Destination) -> Option<Target> {
        let temp = self.temps.iter().find(|t| t.dest == *dest)?;
        temp.alive.then_some(Target::Temp(temp.id))
    }

    pub fn temp_alive(&self, id: u64) -> bool {
        self.temps.iter().any(|t| t.id == id && t.alive)
    }

    /// `conn` is gone: its temporary queues die with what they held.
    pub fn temps_died_with(&mut self, conn: ConnectionId) {
        let dead: Vec<u64> = self
            .temps
            .iter_mut()
            .filter(|t| t.owner == conn && t.alive)
            .map(|t| {
                t.alive = false;
                t.id
            })
            .collect();
        for id in dead {
            self.ledger.end_target(Target::Temp(id));
        }
    }

    /// The broker closed a consumer on its own: fine only for a consumer
    /// of a temporary queue that died; what it held ends with the queue.
    pub fn closed_by_broker(&mut self, cid: ConsumerId, reason: &str) -> Check {
        let found = self.slots.iter().enumerate().find_map(|(slot, c)| {
            let at = c.as_ref()?.subs.iter().position(|s| s.cid == cid)?;
            Some((slot, at))
        });
        let Some((slot, at)) = found else {
            return Err(format!(
                "unknown consumer {cid} closed by the broker: {reason}"
            ));
        };
        let client = self.client_mut(slot)?;
        let source = client.subs[at].source;
        let dead = matches!(source, Source::One(Target::Temp(id)) if !self.temp_alive(id));
        if !dead {
            return Err(format!("consumer {cid} closed by the broker: {reason}"));
        }
        let sub = self.client_mut(slot)?.subs.remove(at);
        for h in sub.held {
            self.ledger.copies[h.copy].state = State::Ended;
        }
        self.forget_groups_of(cid);
        Ok(())
    }
}
