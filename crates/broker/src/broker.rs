//! The public face of the core: a [`Broker`] shared by every connection.

use std::ops::{Deref, DerefMut};

use parking_lot::{Mutex, MutexGuard};

use crate::core::Core;
use crate::destination::{Destination, DestinationKind};
use crate::error::BrokerError;
use crate::event::EventSender;
use crate::message::Message;
use crate::store::{MemoryStore, MessageStore, Recovered, SyncPoint};
use crate::subscription::{Ack, SubscribeRequest};
use crate::{ConnectionId, ConsumerId, TxId};

/// Broker-wide settings.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// Shows in CONNECTED `server`, in generated ids and in logs.
    pub name: String,
    /// Bytes a non-durable topic subscriber may have waiting before its
    /// oldest messages are discarded (so a stalled subscriber cannot
    /// exhaust memory).
    pub topic_subscriber_pending_limit: usize,
    /// A non-durable subscriber past its pending limit that took nothing
    /// for this long is judged stalled and loses its oldest messages;
    /// before that, producers wait for it.
    pub slow_subscriber_after: std::time::Duration,
    /// Bytes of persistent messages a queue or durable subscription keeps in
    /// memory; beyond that they wait in the store only and are paged in as
    /// consumers need them (ActiveMQ's store cursor). Non-persistent
    /// messages always stay in memory.
    pub destination_memory_limit: usize,
    /// Broker-wide bytes of messages waiting in memory (ActiveMQ's
    /// systemUsage memoryUsage); at the limit producers of non-persistent
    /// messages are held back, or refused with `send_fail_if_no_space`.
    pub memory_limit: usize,
    /// Bytes the store may use on disk (storeUsage); at the limit producers
    /// of persistent messages are held back or refused the same way.
    pub store_limit: u64,
    /// Refuse sends at a limit (`javax.jms.ResourceAllocationException`)
    /// instead of holding producers back (ActiveMQ's `sendFailIfNoSpace`).
    pub send_fail_if_no_space: bool,
    /// Destinations (wildcard patterns allowed) whose dead letters go to a
    /// DLQ of their own, `ActiveMQ.DLQ.Queue.<name>` /
    /// `ActiveMQ.DLQ.Topic.<name>` (ActiveMQ's
    /// `individualDeadLetterStrategy` policy); the rest share `ActiveMQ.DLQ`.
    pub individual_dead_letter: Vec<Destination>,
    /// Destinations (wildcard patterns allowed) with ActiveMQ's
    /// `prioritizedMessages` policy: higher JMSPriority is delivered
    /// first. Elsewhere messages come out in arrival order, as in ActiveMQ.
    pub prioritized_messages: Vec<Destination>,
    /// Destinations (patterns allowed) whose arriving messages are
    /// announced on `ActiveMQ.Advisory.MessageDelivered.*`
    /// (ActiveMQ's `advisoryForDelivery` policy).
    pub advisory_for_delivery: Vec<Destination>,
    /// Destinations whose consumed messages are announced on
    /// `ActiveMQ.Advisory.MessageConsumed.*` (`advisoryForConsumed`).
    pub advisory_for_consumed: Vec<Destination>,
    /// Topics whose subscribers falling behind are announced on
    /// `ActiveMQ.Advisory.SlowConsumer.Topic.*` (`advisoryForSlowConsumers`).
    pub advisory_for_slow_consumers: Vec<Destination>,
    /// Hold messages with `AMQ_SCHEDULED_*` properties back and deliver
    /// them later (ActiveMQ's `schedulerSupport`, off by default there
    /// too). Off, those properties are checked but ignored.
    pub scheduler_support: bool,
    /// How often waiting messages are checked for expiry even when no
    /// consumer looks at them (ActiveMQ's `expireMessagesPeriod`, 30 s);
    /// zero turns the sweep off.
    pub expire_messages_period: std::time::Duration,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            name: "ferrum".to_string(),
            topic_subscriber_pending_limit: 32 * 1024 * 1024,
            slow_subscriber_after: std::time::Duration::from_secs(2),
            destination_memory_limit: 16 * 1024 * 1024,
            memory_limit: 1024 * 1024 * 1024,
            store_limit: 100 * 1024 * 1024 * 1024,
            send_fail_if_no_space: false,
            individual_dead_letter: Vec::new(),
            prioritized_messages: Vec::new(),
            advisory_for_delivery: Vec::new(),
            advisory_for_consumed: Vec::new(),
            advisory_for_slow_consumers: Vec::new(),
            scheduler_support: false,
            expire_messages_period: std::time::Duration::from_secs(30),
        }
    }
}

/// What a connecting client says about itself.
#[derive(Clone, Debug, Default)]
pub struct ConnectInfo {
    /// JMS client id (STOMP `client-id`); unique among live connections.
    pub client_id: Option<String>,
    /// The user name, for security once it lands.
    pub login: Option<String>,
}

/// What the core says about an accepted message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendOutcome {
    /// A subscriber of the destination is behind past its pending limit:
    /// the sender should stop reading from its client until
    /// [`Broker::congested`] turns false.
    pub congested: bool,
}

/// Counters for metrics and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrokerStats {
    pub connections: usize,
    pub connections_total: u64,
    pub consumers: usize,
    pub queues: usize,
    pub pending_messages: usize,
    pub inflight_messages: usize,
    /// Bytes of messages waiting in memory, broker-wide (what the memory
    /// limit is measured against); zero when every buffer is empty.
    pub memory_bytes: usize,
    pub messages_in: u64,
    pub messages_dispatched: u64,
    pub messages_acked: u64,
    pub messages_expired: u64,
    pub messages_discarded: u64,
}

/// The broker core. Cheap calls, one lock; share it in an `Arc`.
pub struct Broker {
    core: Mutex<Core>,
    /// Wakes the scheduler's timer when a job earlier than all others is
    /// added (see [`Broker::scheduler_wake`]).
    wake: std::sync::Arc<tokio::sync::Notify>,
}

/// The core, locked for one operation. Releasing it seals what the operation
/// wrote to the store as one atomic group (see [`crate::store`]) and, when
/// the operation was a connection's, notes the group against that
/// connection: the connection is the sync token, so whatever task or thread
/// makes the call, [`Broker::sync_point`] for that connection finds it.
struct Locked<'a> {
    core: MutexGuard<'a, Core>,
    /// Whose confirmation waits for what this operation wrote.
    conn: Option<ConnectionId>,
}

impl Deref for Locked<'_> {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Core {
        &mut self.core
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if let Some(group) = self.core.store.seal() {
            self.core.last_sealed = group;
            if let Some(conn) = self.conn {
                self.core.note_unconfirmed(conn, group);
            }
        }
    }
}

impl Broker {
    pub fn new(config: BrokerConfig, store: Box<dyn MessageStore>) -> Broker {
        Broker::with_clock(config, store, crate::clock::SystemClock::shared())
    }

    /// A broker reading time from `clock` (a [`crate::ManualClock`] in
    /// tests and the simulator).
    pub fn with_clock(
        config: BrokerConfig,
        store: Box<dyn MessageStore>,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
    ) -> Broker {
        Broker {
            core: Mutex::new(Core::new(config, store, clock)),
            wake: std::sync::Arc::default(),
        }
    }

    /// Locks the core for an operation nobody confirms to a client.
    fn lock(&self) -> Locked<'_> {
        Locked {
            core: self.core.lock(),
            conn: None,
        }
    }

    /// Locks the core for an operation of `conn`, whose confirmation must
    /// wait for what the operation writes (see [`Broker::sync_point`]).
    fn lock_for(&self, conn: ConnectionId) -> Locked<'_> {
        Locked {
            core: self.core.lock(),
            conn: Some(conn),
        }
    }

    /// Rebuilds persistent queues and durable subscriptions from what the
    /// store held at start. Call once, before any client connects.
    pub fn restore(&self, recovered: Recovered) {
        let mut core = self.lock();
        core.restore(recovered);
        self.woken(core);
    }

    /// Wakes the scheduler's timer if the operation just done on `core`
    /// added an earliest job (after the lock is released).
    fn woken(&self, mut core: Locked<'_>) {
        let changed = std::mem::take(&mut core.jobs_changed);
        drop(core);
        if changed {
            self.wake.notify_one();
        }
    }

    /// Delivers the scheduled messages due at `now` (milliseconds since the
    /// epoch) as if newly sent; returns how many. The server's timer calls
    /// it at [`Broker::next_due`], and when woken.
    pub fn fire_due(&self, now: i64) -> usize {
        self.lock().fire_due(now)
    }

    /// When the next scheduled job is due; `None` if none (or the scheduler
    /// is off).
    pub fn next_due(&self) -> Option<i64> {
        self.lock().next_due()
    }

    /// Notified when a job is added that is due before every other: a
    /// timer sleeping until [`Broker::next_due`] must look again.
    pub fn scheduler_wake(&self) -> std::sync::Arc<tokio::sync::Notify> {
        std::sync::Arc::clone(&self.wake)
    }

    /// Scheduled jobs waiting.
    pub fn scheduled_jobs(&self) -> usize {
        self.lock().jobs.len()
    }

    /// Where to wait before confirming to `conn`'s client what its calls
    /// since its last `sync_point` wrote (a persistent send, an ack, a
    /// commit): `None` when they wrote nothing or it is durable already.
    /// Call it after every client command that is confirmed, so nothing
    /// carries over to the next. Calls may come from any task or thread:
    /// the connection, not the caller, owns what was written.
    /// See [`crate::store`].
    pub fn sync_point(&self, conn: ConnectionId) -> Option<SyncPoint> {
        let mut core = self.core.lock();
        let group = core.take_unconfirmed(conn)?;
        core.store.sync_point(group)
    }

    /// Where to wait for everything any operation wrote so far to be
    /// durable (tools, tests, an orderly stop); `None` if it already is.
    pub fn sync_all(&self) -> Option<SyncPoint> {
        let core = self.core.lock();
        match core.last_sealed {
            0 => None,
            group => core.store.sync_point(group),
        }
    }

    /// Store upkeep: removes journal segments nothing refers to any more and
    /// compacts mostly-dead ones. The server calls it every second or so.
    pub fn maintain(&self) {
        let mut core = self.lock();
        core.store.maintain();
        let period = core.config.expire_messages_period;
        let now = core.clock.monotonic();
        if !period.is_zero() && now.saturating_sub(core.last_expiry_sweep) >= period {
            core.last_expiry_sweep = now;
            let wall = core.clock.now_millis();
            let n = core.expire_waiting(wall);
            if n > 0 {
                tracing::debug!("{n} waiting messages expired");
            }
        }
    }

    /// A broker with default settings and a memory store.
    pub fn in_memory() -> Broker {
        Broker::new(BrokerConfig::default(), Box::new(MemoryStore::new()))
    }

    pub fn name(&self) -> String {
        self.lock().config.name.clone()
    }

    /// Registers a connection; its deliveries go to `events`.
    ///
    /// # Errors
    /// [`BrokerError::ClientIdInUse`] when another live connection has the client id.
    pub fn connect(
        &self,
        info: ConnectInfo,
        events: EventSender,
    ) -> Result<ConnectionId, BrokerError> {
        self.lock().connect(info, events)
    }

    /// Ends a connection and everything it owned. Idempotent.
    pub fn disconnect(&self, conn: ConnectionId) {
        self.lock().disconnect(conn)
    }

    /// Creates a temporary destination with a broker-chosen name.
    ///
    /// # Errors
    /// When the connection is unknown.
    pub fn create_temporary(
        &self,
        conn: ConnectionId,
        kind: DestinationKind,
    ) -> Result<Destination, BrokerError> {
        self.lock().create_temporary(conn, kind)
    }

    /// Registers a temporary destination named by the client.
    ///
    /// # Errors
    /// When the connection is unknown or the destination is not temporary.
    pub fn add_temporary(&self, conn: ConnectionId, dest: Destination) -> Result<(), BrokerError> {
        self.lock().add_temporary(conn, dest)
    }

    pub fn delete_temporary(&self, dest: &Destination) {
        self.lock().delete_temporary(dest)
    }

    pub fn temporary_exists(&self, dest: &Destination) -> bool {
        self.lock().temporary_exists(dest)
    }

    /// Creates a consumer.
    ///
    /// # Errors
    /// Unknown connection, a deleted temporary destination, a durable
    /// subscription without client id or already in use.
    pub fn subscribe(
        &self,
        conn: ConnectionId,
        req: SubscribeRequest,
    ) -> Result<ConsumerId, BrokerError> {
        self.lock_for(conn).subscribe(conn, req)
    }

    /// Closes a consumer; its un-acknowledged messages are redelivered.
    /// Returns whether it existed.
    pub fn unsubscribe(&self, consumer: ConsumerId) -> bool {
        self.lock().close_consumer(consumer)
    }

    /// Deletes a durable subscription.
    ///
    /// # Errors
    /// When it does not exist or has an active consumer.
    pub fn remove_durable(
        &self,
        conn: ConnectionId,
        client_id: &str,
        name: &str,
    ) -> Result<(), BrokerError> {
        self.lock_for(conn).remove_durable(client_id, name)
    }

    /// Accepts a message from a connection, now or (inside `tx`) at commit.
    ///
    /// # Errors
    /// Deleted temporary destination, unknown transaction, store failure.
    pub fn send(
        &self,
        conn: ConnectionId,
        message: Message,
        tx: Option<&TxId>,
    ) -> Result<SendOutcome, BrokerError> {
        let mut core = self.lock_for(conn);
        let outcome = core.send(conn, message, tx);
        self.woken(core);
        outcome
    }

    /// Whether producers to `dest` should keep waiting (see [`SendOutcome`]).
    pub fn congested(&self, dest: &Destination) -> bool {
        self.lock().congested(dest)
    }

    /// For a connection held back after a congested send (`throttle` names
    /// the destination): whether it must keep waiting. Clears `throttle`
    /// once that destination has caught up.
    pub fn still_throttled(&self, throttle: &mut Option<Destination>) -> bool {
        match throttle {
            Some(dest) if self.congested(dest) => true,
            _ => {
                *throttle = None;
                false
            }
        }
    }

    /// Acknowledges delivered messages.
    ///
    /// # Errors
    /// Unknown consumer, a message the consumer does not hold, unknown transaction.
    pub fn ack(
        &self,
        consumer: ConsumerId,
        ack: Ack,
        tx: Option<&TxId>,
    ) -> Result<(), BrokerError> {
        let mut core = self.lock();
        // The consumer's connection waits for what the ack writes.
        core.conn = core.connection_of(consumer);
        core.ack(consumer, ack, tx)
    }

    /// Grants a pull-mode (prefetch 0) consumer `count` more messages.
    /// Returns whether they were all dispatched at once.
    ///
    /// # Errors
    /// Unknown consumer.
    pub fn pull(&self, consumer: ConsumerId, count: u32) -> Result<bool, BrokerError> {
        self.lock().pull(consumer, count)
    }

    /// Withdraws a pull-mode consumer's unused credit; returns whether it
    /// had any (if not, a message is already on its way).
    pub fn cancel_pull(&self, consumer: ConsumerId) -> bool {
        self.lock().cancel_pull(consumer)
    }

    /// # Errors
    /// Unknown connection, or a transaction with that id already open.
    pub fn begin(&self, conn: ConnectionId, tx: TxId) -> Result<(), BrokerError> {
        self.lock_for(conn).begin(conn, tx)
    }

    /// # Errors
    /// Unknown transaction; a send that could not be routed.
    pub fn commit(&self, conn: ConnectionId, tx: &TxId) -> Result<(), BrokerError> {
        let mut core = self.lock_for(conn);
        let done = core.commit(conn, tx);
        self.woken(core);
        done
    }

    /// XA phase one: the transaction is stored and survives its connection
    /// and a restart, until committed or rolled back from any connection.
    ///
    /// # Errors
    /// Unknown transaction, store failure.
    pub fn prepare(&self, conn: ConnectionId, tx: &TxId) -> Result<(), BrokerError> {
        self.lock_for(conn).prepare(tx)
    }

    /// Prepared transactions waiting for their outcome.
    pub fn prepared(&self) -> Vec<TxId> {
        self.lock().prepared()
    }

    /// # Errors
    /// Unknown transaction.
    pub fn rollback(&self, conn: ConnectionId, tx: &TxId) -> Result<(), BrokerError> {
        self.lock_for(conn).rollback(conn, tx)
    }

    /// The messages waiting on a queue, oldest first, left in place.
    pub fn browse(&self, dest: &Destination) -> Vec<std::sync::Arc<Message>> {
        self.lock().browse(dest)
    }

    /// Every live temporary destination.
    pub fn temporaries(&self) -> Vec<Destination> {
        self.lock().temporaries()
    }

    pub fn queue_depth(&self, dest: &Destination) -> usize {
        self.lock().queue_depth(dest)
    }

    pub fn durable_depth(&self, client_id: &str, name: &str) -> Option<usize> {
        self.lock().durable_depth(client_id, name)
    }

    pub fn stats(&self) -> BrokerStats {
        self.lock().snapshot_stats()
    }
}
