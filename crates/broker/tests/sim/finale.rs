//! The end of every scenario: everyone finishes what is open, every buffer
//! is drained, and then nothing may be unaccounted for and the broker must
//! be back to empty, memory accounting included.

use broker::{Ack, Destination, Event, SubscribeRequest};

use crate::clients::{SubKind, SubOptions};
use crate::invariants;
use crate::ledger::State;
use crate::rng::Rng;
use crate::world::{Check, World, QUEUES};

pub fn finish(world: &mut World, rng: &mut Rng) -> Check {
    world.fire_all()?;
    world.settle()?;
    while !world.orphans.is_empty() {
        world.resolve_orphan(0, rng.chance(50))?;
        world.settle()?;
    }
    for p in 0..world.producers.len() {
        if world.producers[p].tx.is_some() {
            world.end_sends(p, rng.chance(50))?;
            world.settle()?;
        }
    }
    for slot in 0..world.slots.len() {
        if world.slots[slot].as_ref().is_some_and(|c| c.tx.is_some()) {
            world.end_acks(slot, rng.chance(50))?;
            world.settle()?;
        }
        if world.slots[slot].is_some() {
            world.disconnect(slot)?;
            world.settle()?;
        }
    }
    invariants::check(world)?;
    // Committed transactions may have scheduled more.
    world.fire_all()?;
    world.settle()?;
    drain_everything(world)?;
    invariants::check(world)?;
    nothing_unaccounted(world)?;
    drain_dlq(world)?;
    broker_is_empty(world)
}

/// Takes every waiting message with an auto-acking consumer, then removes
/// the durable subscriptions.
fn drain_everything(world: &mut World) -> Check {
    for q in 0..QUEUES.len() {
        world.subscribe(0, SubKind::Queue(q), SubOptions::drain(None))?;
        world.settle()?;
        world.disconnect(0)?;
    }
    for index in 0..world.durables.len() {
        if world.durables[index].exists {
            // With its own selector: another would replace it, emptied.
            let selector = world.durables[index].selector;
            world.subscribe(0, SubKind::Durable(index), SubOptions::drain(selector))?;
            world.settle()?;
            world.disconnect(0)?;
            world.remove_durable(index)?;
        }
    }
    Ok(())
}

/// Every accepted copy was consumed, dead-lettered, ended with its
/// subscription, or expired: nothing else may still be waiting.
fn nothing_unaccounted(world: &World) -> Check {
    let now = world.now();
    for c in &world.ledger.copies {
        let sent = &world.ledger.sent[c.msg];
        let done = match c.state {
            State::Consumed | State::DeadLettered | State::Ended => true,
            State::Waiting => sent.expired_at(now),
            State::InFlight(_) | State::TxAcked(_) => false,
        };
        if !done {
            return Err(format!(
                "{} ({:?}) never consumed: {:?}",
                sent.id, c.target, c.state
            ));
        }
    }
    Ok(())
}

/// Consumes the DLQ: it must hold every poisoned persistent copy, and
/// otherwise only persistent copies that expired.
fn drain_dlq(world: &mut World) -> Check {
    let (conn, mut events) = world.connect_apart()?;
    let mut req = SubscribeRequest::new(Destination::dead_letter_queue());
    req.prefetch = 1000;
    let cid = world
        .broker
        .subscribe(conn, req)
        .map_err(|e| format!("DLQ subscribe: {e}"))?;
    let mut owed = world.ledger.dlq_owed.clone();
    let mut expired = world
        .ledger
        .expired_persistent(world.now())
        .into_iter()
        .map(|(id, n)| (id.to_string(), n))
        .collect::<std::collections::HashMap<_, _>>();
    while let Ok(ev) = events.try_recv() {
        let Event::Deliver(d) = ev else {
            return Err("the DLQ consumer was closed".into());
        };
        let id = d.message.id.as_str().to_string();
        let slot = match owed.get_mut(&id).filter(|n| **n > 0) {
            Some(n) => n,
            None => expired
                .get_mut(&id)
                .filter(|n| **n > 0)
                .ok_or_else(|| format!("the DLQ delivered {id}, never dead-lettered"))?,
        };
        *slot -= 1;
        world
            .broker
            .ack(cid, Ack::Individual(d.message.id.clone()), None)
            .map_err(|e| format!("DLQ ack: {e}"))?;
    }
    if let Some((id, _)) = owed.iter().find(|(_, n)| **n > 0) {
        return Err(format!("the DLQ never delivered poisoned {id}"));
    }
    world.broker.disconnect(conn);
    Ok(())
}

/// With every client gone and every buffer drained, the broker holds
/// nothing and accounts no memory.
fn broker_is_empty(world: &mut World) -> Check {
    for p in &world.producers {
        world.broker.disconnect(p.conn);
    }
    let s = world.broker.stats();
    let leftovers = (
        s.connections,
        s.consumers,
        s.pending_messages,
        s.inflight_messages,
        s.memory_bytes,
    );
    if leftovers != (0, 0, 0, 0, 0) {
        return Err(format!("broker not empty at the end: {s:?}"));
    }
    if !world.broker.prepared().is_empty() {
        return Err("transactions survived their connections".into());
    }
    Ok(())
}
