//! Transactions of producers (sends) and consumers (acks): begin, commit,
//! roll back, XA prepare, and prepared transactions that outlive their
//! connection until another one decides them.

use std::sync::Arc;

use broker::{ConsumerId, TxId};

use crate::ledger::State;
use crate::world::{Check, Held, OpenTx, World};

impl World {
    fn new_tx(&mut self) -> TxId {
        TxId(Arc::from(self.fresh("tx").as_str()))
    }

    pub fn begin_sends(&mut self, p: usize) -> Check {
        let id = self.new_tx();
        let conn = self.producers[p].conn;
        self.broker
            .begin(conn, id.clone())
            .map_err(|e| format!("begin: {e}"))?;
        self.producers[p].tx = Some(OpenTx {
            id,
            prepared: false,
        });
        self.producers[p].sends.clear();
        self.confirm(conn)
    }

    pub fn prepare_sends(&mut self, p: usize) -> Check {
        let conn = self.producers[p].conn;
        let tx = self.producers[p].tx.as_mut().ok_or("no open transaction")?;
        self.broker
            .prepare(conn, &tx.id)
            .map_err(|e| format!("prepare: {e}"))?;
        tx.prepared = true;
        self.confirm(conn)
    }

    /// Commits (or rolls back) the producer's transaction.
    pub fn end_sends(&mut self, p: usize, commit: bool) -> Check {
        let conn = self.producers[p].conn;
        let tx = self.producers[p].tx.take().ok_or("no open transaction")?;
        let sends = std::mem::take(&mut self.producers[p].sends);
        if commit {
            self.broker
                .commit(conn, &tx.id)
                .map_err(|e| format!("commit: {e}"))?;
            for m in sends {
                self.arrived(p, m);
            }
        } else {
            self.broker
                .rollback(conn, &tx.id)
                .map_err(|e| format!("rollback: {e}"))?;
        }
        self.confirm(conn)
    }

    pub fn begin_acks(&mut self, slot: usize) -> Check {
        let id = self.new_tx();
        let conn = self.client(slot)?.conn;
        self.broker
            .begin(conn, id.clone())
            .map_err(|e| format!("begin: {e}"))?;
        self.client_mut(slot)?.tx = Some(OpenTx {
            id,
            prepared: false,
        });
        self.confirm(conn)
    }

    pub fn prepare_acks(&mut self, slot: usize) -> Check {
        // Field access, not `client_mut`, so the broker can be borrowed too.
        let client = self.slots[slot].as_mut().ok_or("client vanished")?;
        let conn = client.conn;
        let tx = client.tx.as_mut().ok_or("no open transaction")?;
        self.broker
            .prepare(conn, &tx.id)
            .map_err(|e| format!("prepare: {e}"))?;
        tx.prepared = true;
        self.confirm(conn)
    }

    /// Commits or rolls back the transaction of a consumer's connection.
    pub fn end_acks(&mut self, slot: usize, commit: bool) -> Check {
        let client = self.client_mut(slot)?;
        let conn = client.conn;
        let tx = client.tx.take().ok_or("no open transaction")?;
        let acked = std::mem::take(&mut client.tx_acked);
        if commit {
            self.broker
                .commit(conn, &tx.id)
                .map_err(|e| format!("commit: {e}"))?;
            for (copy, _) in acked {
                self.ledger.copies[copy].state = State::Consumed;
            }
        } else {
            self.broker
                .rollback(conn, &tx.id)
                .map_err(|e| format!("rollback: {e}"))?;
            self.return_acked(acked, Some(slot))?;
        }
        self.confirm(conn)
    }

    /// Decides an orphaned prepared transaction from another connection
    /// (XA recovery: a transaction manager may commit from anywhere).
    pub fn resolve_orphan(&mut self, index: usize, commit: bool) -> Check {
        if index >= self.orphans.len() {
            return Err(format!("no orphaned transaction {index}"));
        }
        let orphan = self.orphans.remove(index);
        let conn = self.producers[0].conn;
        if commit {
            self.broker
                .commit(conn, &orphan.id)
                .map_err(|e| format!("commit of prepared {}: {e}", orphan.id))?;
            for (p, m) in orphan.sends {
                self.arrived(p, m);
            }
            for (copy, _) in orphan.acked {
                self.ledger.copies[copy].state = State::Consumed;
            }
        } else {
            self.broker
                .rollback(conn, &orphan.id)
                .map_err(|e| format!("rollback of prepared {}: {e}", orphan.id))?;
            self.return_acked(orphan.acked, None)?;
        }
        self.confirm(conn)
    }

    /// Mirrors a rollback of acks (made on `slot`'s connection, if it is
    /// still there): what the acking consumer still has goes back among its
    /// held messages (the client redelivers those itself); the rest goes
    /// back to its buffer, flagged, or ends with it. Newest first, as the
    /// broker does it.
    pub fn return_acked(&mut self, acked: Vec<(usize, ConsumerId)>, slot: Option<usize>) -> Check {
        for (copy, cid) in acked.into_iter().rev() {
            let target = self.ledger.copies[copy].target;
            let alive = self.target_alive(target);
            let msg = self.ledger.copies[copy].msg;
            let client = slot.and_then(|s| self.slots[s].as_mut());
            let sub = client.and_then(|c| c.subs.iter_mut().find(|s| s.cid == cid));
            match (sub, slot) {
                (Some(sub), Some(slot)) => {
                    // The broker puts it back at its arrival position.
                    let copies = &self.ledger.copies;
                    let at = sub
                        .held
                        .iter()
                        .position(|h| copies[h.copy].msg > msg)
                        .unwrap_or(sub.held.len());
                    let held = Held {
                        copy,
                        in_window: false,
                    };
                    sub.held.insert(at, held);
                    self.ledger.copies[copy].state = State::InFlight(slot);
                }
                _ if alive => self.ledger.hand_back(copy),
                _ => self.ledger.copies[copy].state = State::Ended,
            }
        }
        Ok(())
    }
}
