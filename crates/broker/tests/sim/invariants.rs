//! The invariants checked after every step, comparing the ledger with what
//! the broker shows. (Delivery-time invariants — no duplicate without the
//! redelivered flag, the prefetch window, per-producer order, nothing
//! expired — are checked in `World::settle` as each delivery arrives.)

use std::collections::HashMap;

use broker::Destination;

use crate::clients::{durable_client_id, DURABLE_NAME};
use crate::ledger::{selects, State, Target};
use crate::world::{Check, Sub, World, QUEUES};

pub fn check(world: &World) -> Check {
    for q in 0..QUEUES.len() {
        queue_holds_what_is_waiting(world, q)?;
    }
    for index in 0..world.durables.len() {
        durable_holds_what_is_waiting(world, index)?;
    }
    dlq_holds_what_was_dead_lettered(world)?;
    prepared_match(world)?;
    nothing_stalls(world)?;
    counts_match(world)
}

/// Dispatch is eager: once the broker is quiet, no message waits while a
/// consumer of its buffer has room for it and would take it (its selector
/// selects it, no other consumer of the queue is exclusive, and the
/// message's group, if any, is not pinned to another consumer).
///
/// Exempt: a consumer whose buffer also holds messages it will not take
/// (its selector does not select them, or their group is pinned to
/// another consumer). Those may fill the buffer's memory and keep a
/// message it would take paged out behind them — a known limitation,
/// reported and pinned by the ignored test
/// `a_selected_message_paged_out_behind_unselected_ones_is_still_delivered`
/// (seed 721 showed the same with a group pinned to a consumer whose
/// selector refuses the group's next message).
fn nothing_stalls(world: &World) -> Check {
    let now = world.now();
    let subs: Vec<&Sub> = world
        .slots
        .iter()
        .flatten()
        .flat_map(|c| c.subs.iter())
        .collect();
    for sub in &subs {
        let room = if sub.prefetch == 0 {
            sub.pull_credit > 0
        } else {
            sub.held.iter().filter(|h| h.in_window).count() < sub.prefetch as usize
        };
        if !room {
            continue;
        }
        let stuck = world.ledger.copies.iter().enumerate().find(|(i, c)| {
            let sent = &world.ledger.sent[c.msg];
            // While a queue has exclusive consumers, the oldest alone
            // receives; a group's message waits for its owner.
            let shut_out = world
                .exclusive_consumer(c.target)
                .is_some_and(|e| e != sub.cid);
            sub.covers(c.target)
                && c.state == State::Waiting
                && !sent.expired_at(now)
                && selects(sub.selector, sent.color)
                && !shut_out
                && !world.pinned_elsewhere(*i, sub.cid)
                && !behind_untakeable(world, sub, c.target)
        });
        if let Some((_, c)) = stuck {
            let id = &world.ledger.sent[c.msg].id;
            return Err(format!(
                "{id} waits on {:?} while consumer {} has room and selects it; {}",
                c.target,
                sub.cid,
                world.ledger.describe(id)
            ));
        }
    }
    Ok(())
}

/// The broker's prepared transactions are exactly those the clients
/// prepared and have not decided yet, with or without their connection.
fn prepared_match(world: &World) -> Check {
    let mut expected: Vec<String> = world.orphans.iter().map(|o| o.id.to_string()).collect();
    let open = world.producers.iter().filter_map(|p| p.tx.as_ref());
    let open = open.chain(world.slots.iter().flatten().filter_map(|c| c.tx.as_ref()));
    expected.extend(open.filter(|t| t.prepared).map(|t| t.id.to_string()));
    expected.sort();
    let mut prepared: Vec<String> = world
        .broker
        .prepared()
        .iter()
        .map(ToString::to_string)
        .collect();
    prepared.sort();
    if prepared != expected {
        return Err(format!(
            "broker has prepared {prepared:?}, ledger {expected:?}"
        ));
    }
    Ok(())
}

/// No loss, no ghost: a queue shows every waiting copy that has not
/// expired, and nothing that is not waiting (consumed, in flight, unknown).
fn queue_holds_what_is_waiting(world: &World, q: usize) -> Check {
    let target = Target::Queue(q);
    let now = world.now();
    let mut shown: HashMap<String, usize> = HashMap::new();
    for m in world.broker.browse(&Destination::queue(QUEUES[q])) {
        let id = m.id.as_str().to_string();
        let copy = world
            .ledger
            .find(&id, target)
            .ok_or_else(|| format!("{} holds {id}, never sent there", QUEUES[q]))?;
        let state = world.ledger.copies[copy].state;
        if state != State::Waiting {
            return Err(format!("{} holds {id}, which is {state:?}", QUEUES[q]));
        }
        *shown.entry(id).or_insert(0) += 1;
    }
    if let Some((id, _)) = shown.iter().find(|(_, n)| **n > 1) {
        return Err(format!("{} holds {id} more than once", QUEUES[q]));
    }
    for c in &world.ledger.copies {
        let sent = &world.ledger.sent[c.msg];
        if c.target == target
            && c.state == State::Waiting
            && !sent.expired_at(now)
            && !shown.contains_key(&sent.id)
        {
            return Err(format!("{} lost {}", QUEUES[q], sent.id));
        }
    }
    Ok(())
}

/// A durable subscription holds its waiting copies; expired ones may
/// already be gone (to the DLQ or dropped).
fn durable_holds_what_is_waiting(world: &World, index: usize) -> Check {
    let d = &world.durables[index];
    let depth = world
        .broker
        .durable_depth(&durable_client_id(index), DURABLE_NAME);
    if !d.exists {
        return match depth {
            None => Ok(()),
            Some(n) => Err(format!(
                "removed durable {index} still exists with {n} messages"
            )),
        };
    }
    let target = Target::Durable {
        index,
        generation: d.generation,
    };
    let (all, live) = world.ledger.waiting_in(Some(target), world.now());
    match depth {
        Some(n) if (live..=all).contains(&n) => Ok(()),
        other => Err(format!(
            "durable {index} depth {other:?}, expected {live}..={all}"
        )),
    }
}

/// Every poisoned persistent copy is in the DLQ; besides those, only
/// persistent copies that expired may be there.
fn dlq_holds_what_was_dead_lettered(world: &World) -> Check {
    let mut shown: HashMap<String, usize> = HashMap::new();
    for m in world.broker.browse(&Destination::dead_letter_queue()) {
        *shown.entry(m.id.as_str().to_string()).or_insert(0) += 1;
    }
    let expired = world.ledger.expired_persistent(world.now());
    for (id, n) in &shown {
        let owed = world.ledger.dlq_owed.get(id).copied().unwrap_or(0);
        let may = owed + expired.get(id.as_str()).copied().unwrap_or(0);
        if *n > may {
            let copies = world.ledger.describe(id);
            return Err(format!(
                "the DLQ holds {id} {n} times, at most {may} expected; {copies}"
            ));
        }
    }
    for (id, owed) in &world.ledger.dlq_owed {
        let n = shown.get(id).copied().unwrap_or(0);
        if n < *owed {
            return Err(format!(
                "the DLQ lost {id}: holds it {n} times, owes {owed}"
            ));
        }
    }
    Ok(())
}

/// The broker's counters agree with the ledger, and memory accounting is
/// back to zero whenever nothing waits anywhere.
fn counts_match(world: &World) -> Check {
    let stats = world.broker.stats();
    let in_flight = world
        .ledger
        .copies
        .iter()
        .filter(|c| matches!(c.state, State::InFlight(_)))
        .count();
    if stats.inflight_messages != in_flight {
        return Err(format!(
            "broker has {} in flight, ledger {in_flight}",
            stats.inflight_messages
        ));
    }
    let clients = world.slots.iter().flatten();
    let consumers = clients.clone().map(|c| c.subs.len()).sum::<usize>();
    let connections = world.producers.len() + clients.count();
    if (stats.consumers, stats.connections) != (consumers, connections) {
        return Err(format!(
            "broker has {} consumers on {} connections, ledger {consumers} on {connections}",
            stats.consumers, stats.connections
        ));
    }
    let dlq = world.broker.queue_depth(&Destination::dead_letter_queue());
    let (all, live) = world.ledger.waiting_in(None, world.now());
    let waiting = stats.pending_messages.saturating_sub(dlq);
    if !(live..=all).contains(&waiting) {
        return Err(format!(
            "broker has {waiting} waiting outside the DLQ, ledger {live}..={all}"
        ));
    }
    let jobs = world.broker.scheduled_jobs();
    if jobs != world.scheduled.len() {
        return Err(format!(
            "broker has {jobs} scheduled jobs, ledger {}",
            world.scheduled.len()
        ));
    }
    if stats.pending_messages == 0 && jobs == 0 && stats.memory_bytes != 0 {
        return Err(format!(
            "nothing waits but {} bytes are accounted",
            stats.memory_bytes
        ));
    }
    // An accounting underflow wraps to an absurd figure.
    if stats.memory_bytes > 1 << 40 {
        return Err(format!(
            "memory accounting wrapped: {} bytes",
            stats.memory_bytes
        ));
    }
    Ok(())
}

/// Whether a consumer's buffer `target` holds a message it will not take
/// (see `nothing_stalls`).
fn behind_untakeable(world: &World, sub: &Sub, target: Target) -> bool {
    world.ledger.copies.iter().enumerate().any(|(i, c)| {
        c.target == target
            && c.state == State::Waiting
            && (!selects(sub.selector, world.ledger.sent[c.msg].color)
                || world.pinned_elsewhere(i, sub.cid))
    })
}
