//! One scenario step: chosen at random from what makes sense in the
//! current world, logged (its `Debug` form is the step log), then applied.

use std::time::Duration;

use crate::clients::{DestRef, Outgoing, SubKind, SubOptions};
use crate::ledger::Color;
use crate::rng::Rng;
use crate::world::{
    AckKind, AckMode, Check, Client, Sub, World, ACK_MODES, MAX_CONSUMERS, QUEUES, TOPICS,
};

#[derive(Clone, Debug)]
pub enum Step {
    Send {
        producer: usize,
        message: Outgoing,
    },
    /// The scheduler's timer: fires the scheduled messages due now.
    FireDue,
    BeginSends {
        producer: usize,
    },
    PrepareSends {
        producer: usize,
    },
    EndSends {
        producer: usize,
        commit: bool,
    },
    ReconnectProducer {
        producer: usize,
    },
    Subscribe {
        slot: usize,
        kind: SubKind,
        options: SubOptions,
    },
    /// `consumer` indexes the slot's consumers, oldest first.
    Pull {
        slot: usize,
        consumer: usize,
        count: u32,
    },
    CancelPull {
        slot: usize,
        consumer: usize,
    },
    Ack {
        slot: usize,
        consumer: usize,
        kind: AckKind,
        pos: usize,
        transacted: bool,
    },
    PrepareAcks {
        slot: usize,
    },
    EndAcks {
        slot: usize,
        commit: bool,
    },
    /// Another connection decides a prepared transaction whose own
    /// connection is gone.
    ResolveOrphan {
        index: usize,
        commit: bool,
    },
    Unsubscribe {
        slot: usize,
        consumer: usize,
    },
    Disconnect {
        slot: usize,
    },
    RemoveDurable {
        index: usize,
    },
    Advance {
        ms: u64,
    },
    CreateTemp {
        slot: usize,
    },
    /// A client mistake the broker must refuse, changing nothing.
    Misuse(crate::misuse::Misuse),
    Maintain,
}

const PREFETCHES: [u32; 6] = [0, 1, 2, 3, 10, 100];

/// Picks a step. A rolled kind may be impossible now (nobody holds
/// anything to ack, say): then it rolls again, a few times, before falling
/// back to a send, which always is possible — so sends do not crowd out
/// the rarer steps.
pub fn choose(world: &World, rng: &mut Rng) -> Step {
    for _ in 0..4 {
        if let Some(step) = roll(world, rng) {
            return step;
        }
    }
    send(world, rng)
}

/// One roll of the dice: `None` when the kind rolled is impossible now.
fn roll(world: &World, rng: &mut Rng) -> Option<Step> {
    let roll = rng.below(100);
    match roll {
        0..=29 => Some(send(world, rng)),
        30..=37 => producer_tx(world, rng),
        38 if !world.orphans.is_empty() && rng.chance(50) => Some(Step::ResolveOrphan {
            index: rng.below(world.orphans.len()),
            commit: rng.chance(50),
        }),
        38 => Some(Step::ReconnectProducer {
            producer: rng.below(world.producers.len()),
        }),
        39..=50 => subscribe(world, rng),
        51..=56 => pull(world, rng),
        57..=76 => ack(world, rng),
        77..=82 => end_acks(world, rng),
        83..=85 => pick_consumer(world, rng, |_| true)
            .map(|(slot, consumer)| Step::Unsubscribe { slot, consumer }),
        86..=89 => pick_slot(world, rng, |_| true).map(|slot| Step::Disconnect { slot }),
        90 => remove_durable(world, rng),
        96..=97 => Some(Step::FireDue),
        91..=95 => Some(Step::Advance {
            ms: 100 + rng.below(3_000) as u64,
        }),
        98 if rng.chance(50) => crate::misuse::choose(world, rng).map(Step::Misuse),
        98 => create_temp(world, rng),
        _ => Some(Step::Maintain),
    }
}

fn send(world: &World, rng: &mut Rng) -> Step {
    // Temporary queues, dead ones too: sends to those must be refused.
    if !world.temps.is_empty() && rng.chance(10) {
        return Step::Send {
            producer: rng.below(world.producers.len()),
            message: Outgoing {
                dest: DestRef::Temp(rng.below(world.temps.len())),
                persistent: rng.chance(50),
                ttl_ms: 0,
                delay_ms: 0,
                body: rng.below(400),
                color: *rng.pick(&[Color::Red, Color::Blue]),
                group: None,
            },
        };
    }
    let dest = match rng.below(100) {
        0..=54 => DestRef::Queue(rng.below(QUEUES.len())),
        55..=94 => DestRef::Topic(rng.below(TOPICS.len())),
        _ => DestRef::Composite(rng.below(QUEUES.len()), rng.below(TOPICS.len())),
    };
    let message = Outgoing {
        dest,
        persistent: rng.chance(50),
        ttl_ms: if rng.chance(20) {
            500 + rng.below(5_000) as i64
        } else {
            0
        },
        delay_ms: if rng.chance(15) {
            100 + rng.below(4_000) as i64
        } else {
            0
        },
        body: rng.below(400),
        color: *rng.pick(&[Color::Red, Color::Blue]),
        group: rng.chance(15).then(|| (rng.below(2) as u8, rng.chance(15))),
    };
    Step::Send {
        producer: rng.below(world.producers.len()),
        message,
    }
}

fn producer_tx(world: &World, rng: &mut Rng) -> Option<Step> {
    let producer = rng.below(world.producers.len());
    Some(match &world.producers[producer].tx {
        None => Step::BeginSends { producer },
        Some(tx) if !tx.prepared && rng.chance(15) => Step::PrepareSends { producer },
        Some(_) => Step::EndSends {
            producer,
            commit: rng.chance(70),
        },
    })
}

/// A random slot whose client satisfies `want`.
fn pick_slot(world: &World, rng: &mut Rng, want: impl Fn(&Client) -> bool) -> Option<usize> {
    let slots: Vec<usize> = (0..world.slots.len())
        .filter(|&s| world.slots[s].as_ref().is_some_and(&want))
        .collect();
    (!slots.is_empty()).then(|| *rng.pick(&slots))
}

/// A random consumer satisfying `want`: (slot, index among its consumers).
fn pick_consumer(
    world: &World,
    rng: &mut Rng,
    want: impl Fn(&Sub) -> bool,
) -> Option<(usize, usize)> {
    let mut found = Vec::new();
    for (slot, client) in world.slots.iter().enumerate() {
        let Some(client) = client else { continue };
        for (at, sub) in client.subs.iter().enumerate() {
            if want(sub) {
                found.push((slot, at));
            }
        }
    }
    (!found.is_empty()).then(|| *rng.pick(&found))
}

fn subscribe(world: &World, rng: &mut Rng) -> Option<Step> {
    let free: Vec<usize> = (0..world.slots.len())
        .filter(|&s| {
            let subs = world.slots[s].as_ref().map_or(0, |c| c.subs.len());
            subs < MAX_CONSUMERS
        })
        .collect();
    if free.is_empty() {
        return None;
    }
    let slot = *rng.pick(&free);
    let kind = match world.slots[slot].as_ref() {
        // A durable subscriber's connection (the only one that may hold
        // its client id) also takes plain consumers.
        Some(c) => match c.durable {
            Some(i) if !durable_online(world, i) && rng.chance(50) => SubKind::Durable(i),
            _ => plain_kind(world, rng),
        },
        None => {
            // A durable subscriber connects with its client id, which only
            // one live connection may hold.
            let i = rng.below(world.durables.len());
            let taken = world.slots.iter().flatten().any(|c| c.durable == Some(i));
            if rng.chance(35) && !taken {
                SubKind::Durable(i)
            } else {
                plain_kind(world, rng)
            }
        }
    };
    let queue = kind.is_queue();
    let options = SubOptions {
        prefetch: *rng.pick(&PREFETCHES),
        mode: *rng.pick(&ACK_MODES),
        selector: rng
            .chance(25)
            .then(|| *rng.pick(&[Color::Red, Color::Blue])),
        exclusive: queue && rng.chance(10),
        priority: if queue && rng.chance(20) { 5 } else { 0 },
    };
    Some(Step::Subscribe {
        slot,
        kind,
        options,
    })
}

fn plain_kind(world: &World, rng: &mut Rng) -> SubKind {
    let alive: Vec<usize> = (0..world.temps.len())
        .filter(|&n| world.temps[n].alive)
        .collect();
    if !alive.is_empty() && rng.chance(15) {
        return SubKind::Temp(*rng.pick(&alive));
    }
    match rng.below(100) {
        0..=51 => SubKind::Queue(rng.below(QUEUES.len())),
        52..=59 => SubKind::AllQueues,
        _ => SubKind::Topic(rng.below(TOPICS.len())),
    }
}

/// Pull mode: mostly pulls, sometimes a pull given up (timed out).
fn pull(world: &World, rng: &mut Rng) -> Option<Step> {
    let (slot, consumer) = pick_consumer(world, rng, |s| s.prefetch == 0)?;
    Some(if rng.chance(15) {
        Step::CancelPull { slot, consumer }
    } else {
        Step::Pull {
            slot,
            consumer,
            count: 1 + rng.below(3) as u32,
        }
    })
}

fn ack(world: &World, rng: &mut Rng) -> Option<Step> {
    let (slot, consumer) = pick_consumer(world, rng, |s| !s.held.is_empty())?;
    let sub = world.slots[slot].as_ref()?.subs.get(consumer)?;
    let pos = rng.below(sub.held.len());
    let mut transacted = false;
    let kind = if rng.chance(8) {
        AckKind::Poison
    } else {
        match sub.mode {
            AckMode::Auto | AckMode::Individual => AckKind::Individual,
            AckMode::Cumulative => AckKind::Cumulative,
            AckMode::Delivered if rng.chance(50) => AckKind::Delivered,
            AckMode::Delivered => AckKind::Individual,
            AckMode::Transacted => {
                transacted = true;
                if rng.chance(50) {
                    AckKind::Cumulative
                } else {
                    AckKind::Individual
                }
            }
        }
    };
    Some(Step::Ack {
        slot,
        consumer,
        kind,
        pos,
        transacted,
    })
}

fn end_acks(world: &World, rng: &mut Rng) -> Option<Step> {
    let slot = pick_slot(world, rng, |c| c.tx.is_some())?;
    let prepared = world.slots[slot].as_ref()?.tx.as_ref()?.prepared;
    Some(if !prepared && rng.chance(15) {
        Step::PrepareAcks { slot }
    } else {
        Step::EndAcks {
            slot,
            commit: rng.chance(60),
        }
    })
}

/// Whether durable subscriber `index` has a consumer now.
/// A client makes a temporary queue (at most two alive at a time).
fn create_temp(world: &World, rng: &mut Rng) -> Option<Step> {
    if world.temps.iter().filter(|t| t.alive).count() >= 2 {
        return None;
    }
    pick_slot(world, rng, |_| true).map(|slot| Step::CreateTemp { slot })
}

fn durable_online(world: &World, index: usize) -> bool {
    world.durable_consumer(index).is_some()
}

fn remove_durable(world: &World, rng: &mut Rng) -> Option<Step> {
    let index = rng.below(world.durables.len());
    let offline = world.durables[index].exists && !durable_online(world, index);
    offline.then_some(Step::RemoveDurable { index })
}

/// Applies a step to the broker and the ledger.
pub fn apply(world: &mut World, step: &Step) -> Check {
    match *step {
        Step::Send { producer, message } => world.send(producer, message),
        Step::FireDue => world.fire_due(),
        Step::BeginSends { producer } => world.begin_sends(producer),
        Step::PrepareSends { producer } => world.prepare_sends(producer),
        Step::EndSends { producer, commit } => world.end_sends(producer, commit),
        Step::ReconnectProducer { producer } => world.reconnect_producer(producer),
        Step::Subscribe {
            slot,
            kind,
            options,
        } => world.subscribe(slot, kind, options),
        Step::Pull {
            slot,
            consumer,
            count,
        } => world.pull(slot, consumer, count),
        Step::CancelPull { slot, consumer } => world.cancel_pull(slot, consumer),
        Step::Ack {
            slot,
            consumer,
            kind,
            pos,
            transacted,
        } => {
            if transacted && world.client(slot)?.tx.is_none() {
                world.begin_acks(slot)?;
            }
            world.ack(slot, consumer, kind, pos, transacted)
        }
        Step::PrepareAcks { slot } => world.prepare_acks(slot),
        Step::EndAcks { slot, commit } => world.end_acks(slot, commit),
        Step::ResolveOrphan { index, commit } => world.resolve_orphan(index, commit),
        Step::Unsubscribe { slot, consumer } => world.unsubscribe(slot, consumer),
        Step::Disconnect { slot } => world.disconnect(slot),
        Step::RemoveDurable { index } => world.remove_durable(index),
        Step::Advance { ms } => {
            world.clock.advance(Duration::from_millis(ms));
            Ok(())
        }
        Step::Misuse(misuse) => crate::misuse::apply(world, misuse),
        Step::CreateTemp { slot } => world.create_temp(slot),
        Step::Maintain => {
            world.broker.maintain();
            Ok(())
        }
    }
}
