//! Client mistakes the broker must refuse without changing anything (the
//! invariants after the step check that nothing changed): acking what was
//! already consumed, deciding an unknown transaction, removing a durable
//! subscription that has a consumer, reusing a live client id, acking on
//! a closed consumer.

use std::sync::Arc;

use broker::{Ack, BrokerError, ConnectInfo, MessageId, TxId};

use crate::clients::{durable_client_id, DURABLE_NAME};
use crate::ledger::State;
use crate::rng::Rng;
use crate::world::{Check, World};

#[derive(Clone, Copy, Debug)]
pub enum Misuse {
    /// A consumer acks a copy it was given and already acked.
    AckConsumed {
        copy: usize,
    },
    CommitUnknownTx,
    /// Remove durable subscriber `index` while it has a consumer.
    RemoveActiveDurable {
        index: usize,
    },
    /// Connect with the client id of durable subscriber `index`, in use.
    ReuseClientId {
        index: usize,
    },
    /// Ack on a consumer id that no longer exists.
    AckClosedConsumer,
}

/// A misuse possible now, if any.
pub fn choose(world: &World, rng: &mut Rng) -> Option<Misuse> {
    let consumed: Vec<usize> = (0..world.ledger.copies.len())
        .filter(|&i| world.ledger.copies[i].state == State::Consumed)
        .collect();
    let online: Vec<usize> = (0..world.durables.len())
        .filter(|&i| world.durable_consumer(i).is_some())
        .collect();
    let connected: Vec<usize> = (0..world.durables.len())
        .filter(|&i| world.slots.iter().flatten().any(|c| c.durable == Some(i)))
        .collect();
    match rng.below(5) {
        0 if !consumed.is_empty() => Some(Misuse::AckConsumed {
            copy: *rng.pick(&consumed),
        }),
        1 => Some(Misuse::CommitUnknownTx),
        2 if !online.is_empty() => Some(Misuse::RemoveActiveDurable {
            index: *rng.pick(&online),
        }),
        3 if !connected.is_empty() => Some(Misuse::ReuseClientId {
            index: *rng.pick(&connected),
        }),
        4 => Some(Misuse::AckClosedConsumer),
        _ => None,
    }
}

/// Makes the mistake; the broker must refuse it with the right error.
pub fn apply(world: &mut World, misuse: Misuse) -> Check {
    let conn = world.producers[0].conn;
    let refused = match misuse {
        Misuse::AckConsumed { copy } => {
            // Acked on a live consumer of the same buffer, if there is one.
            let target = world.ledger.copies[copy].target;
            let Some(cid) = world.consumer_covering(target) else {
                return Ok(());
            };
            let id = MessageId::from(world.ledger.msg_of(copy).id.clone());
            match world.broker.ack(cid, Ack::Individual(id), None) {
                Err(BrokerError::UnknownMessage(_)) => None,
                other => Some(format!("{other:?}")),
            }
        }
        Misuse::CommitUnknownTx => {
            let tx = TxId(Arc::from("sim-never-begun"));
            match world.broker.commit(conn, &tx) {
                Err(BrokerError::UnknownTransaction(_)) => None,
                other => Some(format!("{other:?}")),
            }
        }
        Misuse::RemoveActiveDurable { index } => {
            let client_id = durable_client_id(index);
            match world.broker.remove_durable(conn, &client_id, DURABLE_NAME) {
                Err(BrokerError::DurableActive) => None,
                other => Some(format!("{other:?}")),
            }
        }
        Misuse::ReuseClientId { index } => {
            let info = ConnectInfo {
                client_id: Some(durable_client_id(index)),
                login: None,
                ..Default::default()
            };
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            match world.broker.connect(info, tx) {
                Err(BrokerError::ClientIdInUse(_)) => None,
                other => Some(format!("{other:?}")),
            }
        }
        Misuse::AckClosedConsumer => {
            // Ids are sequential: this one is far past any handed out.
            let cid = broker::ConsumerId(u64::MAX);
            let id = MessageId::from("ID:sim-none".to_string());
            match world.broker.ack(cid, Ack::Individual(id), None) {
                Err(BrokerError::UnknownConsumer) => None,
                other => Some(format!("{other:?}")),
            }
        }
    };
    match refused {
        None => world.confirm(conn),
        Some(outcome) => Err(format!(
            "{misuse:?} was not refused as it should: {outcome}"
        )),
    }
}
