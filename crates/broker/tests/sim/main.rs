//! A deterministic simulator of the broker core.
//!
//! Each seed builds a scenario on a real [`broker::Broker`] (memory store,
//! manual clock, sometimes tiny memory limits so that persistent messages
//! page out and back in, and sends are refused): two queues and two topics
//! (and composite destinations naming one of each, and temporary queues
//! that die with the connection that made them); producers sending
//! persistent and non-persistent messages, some with a time to live, a
//! scheduled delay, a message group, some inside transactions they commit,
//! roll back, or prepare (XA) and leave for another connection to decide;
//! connections with up to two consumers each, on a queue or every queue
//! (wildcard `sim.>`), on non-durable and durable topic subscriptions,
//! with prefetch 0 (pull) to 100, some with a selector, some exclusive or
//! of higher priority, acking in every style (auto, cumulative, individual,
//! delivered-then-individual, transacted, poison); durable subscribers
//! that go offline, come back (maybe with another selector, which replaces
//! the subscription) or are removed; unsubscribes and disconnects
//! mid-flight; the clock moving on, the expiry sweep running, and (with
//! the scheduler on) delayed messages fired when due; client mistakes the
//! broker must refuse without a trace (`misuse.rs`). A ledger
//! (`ledger.rs`) follows every accepted message copy by copy, one copy per
//! buffer it reached.
//!
//! Invariants, checked after every step (`invariants.rs`, and in
//! `World::settle` as each delivery arrives):
//! - nothing accepted is lost: every copy is waiting in the broker (queues
//!   show it; durable and total depths count it), in flight, acked exactly
//!   once, dead-lettered (persistent ones are in the DLQ), ended with its
//!   subscription (a non-durable one closed, a durable one removed or
//!   replaced: JMS discards those), or expired; nothing consumed comes back;
//! - a copy delivered again carries the redelivered flag, with a count
//!   equal to the times it was handed back;
//! - a consumer never holds more in its window than its prefetch, nor a
//!   pull consumer more than it pulled;
//! - per producer, destination, delivery mode and message group, first
//!   deliveries to each consumer come in send order (JMS orders only
//!   within a delivery mode; a group's messages wait for their owner while
//!   others pass);
//! - dispatch is eager: no message waits while a consumer of its buffer
//!   has room and would take it (exempt, as documented in
//!   `invariants.rs`: buffers also holding messages that consumer will
//!   not take, a known paging limitation);
//! - nothing is delivered expired, past its consumer's selector, on a
//!   queue to any consumer but the oldest exclusive one while there is
//!   one, or (message groups) to any consumer but its group's owner;
//! - the broker's in-flight, consumer, connection, prepared-transaction
//!   and scheduled-job figures match the ledger, the scheduler fires what
//!   is due, and memory accounting is zero whenever nothing waits.
//!
//! At the end (`finale.rs`) everything is decided and drained, and the
//! broker must be empty, memory accounting included.
//!
//! Replay a seed with its step log (and every delivery):
//! `SIM_SEED=1234 cargo test -p ferrum-broker --test sim -- --nocapture`;
//! run more seeds with `SIM_SEEDS=100000`. Seeds quoted in comments and
//! commit messages replay on the simulator of that commit: each new kind
//! of step changes what a given seed does.

mod clients;
mod finale;
mod groups;
mod invariants;
mod ledger;
mod misuse;
mod rng;
mod scheduling;
mod steps;
mod temps;
mod transactions;
mod world;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use broker::BrokerConfig;

use crate::rng::Rng;
use crate::world::World;

/// A seed that broke an invariant, with what happened up to then.
struct Failure {
    seed: u64,
    message: String,
    log: Vec<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "seed {} failed: {}", self.seed, self.message)?;
        for line in &self.log {
            writeln!(f, "  {line}")?;
        }
        write!(
            f,
            "replay: SIM_SEED={} cargo test -p ferrum-broker --test sim -- --nocapture",
            self.seed
        )
    }
}

/// Prints the seed when the broker (or the simulator) panics, so a panic
/// is as replayable as a broken invariant.
struct NameSeedOnPanic(u64);

impl Drop for NameSeedOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("panic in seed {0}; replay: SIM_SEED={0} cargo test -p ferrum-broker --test sim -- --nocapture", self.0);
        }
    }
}

/// The broker settings a seed runs with: sometimes small memory limits
/// (per destination or broker-wide), so persistent messages are paged out
/// and back in, and different expiry sweep periods.
fn config(rng: &mut Rng) -> BrokerConfig {
    let mut config = BrokerConfig {
        name: "sim".to_string(),
        ..BrokerConfig::default()
    };
    config.destination_memory_limit = *rng.pick(&[16 * 1024 * 1024, 2_000, 6_000]);
    config.expire_messages_period = Duration::from_millis(*rng.pick(&[0, 1_000, 10_000]));
    config.scheduler_support = rng.chance(50);
    if rng.chance(30) {
        // Broker-wide memory pressure: persistent messages page out past
        // 70% of it; non-persistent sends slow down or are refused.
        config.memory_limit = *rng.pick(&[3_000, 8_000]);
        config.send_fail_if_no_space = rng.chance(50);
    }
    config
}

fn run_seed(seed: u64, verbose: bool) -> Result<(), Failure> {
    let _guard = NameSeedOnPanic(seed);
    let mut rng = Rng::new(seed);
    let config = config(&mut rng);
    let producers = 1 + rng.below(3);
    let slots = 2 + rng.below(3);
    let durables = [rng.below(2), rng.below(2)];
    let mut world = World::new(config, producers, slots, &durables).map_err(|message| Failure {
        seed,
        message,
        log: Vec::new(),
    })?;
    world.verbose = verbose;
    let steps = 30 + rng.below(51);
    let mut result = Ok(());
    for n in 0..steps {
        let step = steps::choose(&world, &mut rng);
        world.note(format!("#{n} {step:?}"));
        result = steps::apply(&mut world, &step)
            .and_then(|()| world.settle())
            .and_then(|()| invariants::check(&world));
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        world.note("finale: finish transactions, disconnect, drain everything".to_string());
        result = finale::finish(&mut world, &mut rng);
    }
    result.map_err(|message| Failure {
        seed,
        message,
        log: std::mem::take(&mut world.log),
    })
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a number")),
    )
}

/// Runs seeds `0..count` on a few threads; returns the first failure.
fn run_seeds(count: u64) -> Option<Failure> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4)) as u64;
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<Failure>> = Mutex::new(None);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (stop, failure) = (&stop, &failure);
            s.spawn(move || {
                for seed in (t..count).step_by(threads as usize) {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    if let Err(f) = run_seed(seed, false) {
                        stop.store(true, Ordering::Relaxed);
                        let mut first = failure.lock().unwrap_or_else(|e| e.into_inner());
                        if first.as_ref().is_none_or(|g| f.seed < g.seed) {
                            *first = Some(f);
                        }
                    }
                }
            });
        }
    });
    failure.into_inner().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn ten_thousand_seeds_hold_every_invariant() {
    if let Some(seed) = env_u64("SIM_SEED") {
        if let Err(f) = run_seed(seed, true) {
            panic!("{f}");
        }
        eprintln!("seed {seed} holds every invariant");
        return;
    }
    let count = env_u64("SIM_SEEDS").unwrap_or(10_000);
    if let Some(f) = run_seeds(count) {
        panic!("{f}");
    }
}
