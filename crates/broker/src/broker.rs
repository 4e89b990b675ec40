//! The public face of the core: a [`Broker`] shared by every connection.

use std::ops::{Deref, DerefMut};

use parking_lot::{Mutex, MutexGuard};

pub use crate::config::{BrokerConfig, BrokerStats, ConnectInfo, SendOutcome};
use crate::core::Core;
use crate::destination::{Destination, DestinationKind};
use crate::error::BrokerError;
use crate::event::EventSender;
use crate::message::Message;
use crate::store::{MemoryStore, MessageStore, Recovered, SyncPoint};
use crate::subscription::{Ack, SubscribeRequest};
use crate::{ConnectionId, ConsumerId, TxId};

/// The broker core. Cheap calls, one lock; share it in an `Arc`.
pub struct Broker {
    core: Mutex<Core>,
    /// Wakes the scheduler's timer when a job earlier than all others is
    /// added (see [`Broker::scheduler_wake`]).
    wake: std::sync::Arc<tokio::sync::Notify>,
    /// Signalled when an operation freed memory (see [`Broker::relief`]).
    relief: std::sync::Arc<Relief>,
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
    /// Memory in use when the operation began, and whom to tell if the
    /// operation freed some: held-back producers may go on.
    relief: (&'a Relief, Option<usize>),
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

/// Tells held-back producers that memory was freed. Operations look at
/// memory only while some connection says it is held back, so the common
/// case (nobody held back) costs one atomic load per operation.
#[derive(Default)]
pub struct Relief {
    notify: std::sync::Arc<tokio::sync::Notify>,
    /// Connections held back right now (see [`Relief::hold`]).
    held_back: std::sync::atomic::AtomicUsize,
}

impl Relief {
    /// What held-back connections wait on.
    pub fn notify(&self) -> std::sync::Arc<tokio::sync::Notify> {
        std::sync::Arc::clone(&self.notify)
    }

    /// A connection starts being held back: operations watch memory.
    pub fn hold(&self) {
        self.held_back
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// It no longer is.
    pub fn release(&self) {
        self.held_back
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// The memory in use now if anyone is held back (to compare after).
    fn watch(&self, core: &Core) -> Option<usize> {
        (self.held_back.load(std::sync::atomic::Ordering::SeqCst) > 0).then(|| core.memory_used())
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if let Some(before) = self.relief.1 {
            if self.core.memory_used() < before {
                self.relief.0.notify.notify_waiters();
            }
        }
        if let Some(group) = self.core.store.seal() {
            let conn = self.conn;
            self.core.confirmations.sealed(group, conn);
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
            relief: std::sync::Arc::default(),
        }
    }

    /// Locks the core for an operation nobody confirms to a client.
    fn lock(&self) -> Locked<'_> {
        let core = self.core.lock();
        let used = self.relief.watch(&core);
        Locked {
            core,
            conn: None,
            relief: (&self.relief, used),
        }
    }

    /// Locks the core for an operation of `conn`, whose confirmation must
    /// wait for what the operation writes (see [`Broker::sync_point`]).
    fn lock_for(&self, conn: ConnectionId) -> Locked<'_> {
        let core = self.core.lock();
        let used = self.relief.watch(&core);
        Locked {
            core,
            conn: Some(conn),
            relief: (&self.relief, used),
        }
    }

    /// Rebuilds persistent queues and durable subscriptions from what the
    /// store held at start. Call once, before any client connects.
    pub fn restore(&self, recovered: Recovered) {
        let mut core = self.lock();
        let routed = core.restore(recovered);
        self.woken(core, routed);
    }

    /// Releases the core, then wakes the scheduler's timer if the operation
    /// added an earliest job.
    fn woken(&self, core: Locked<'_>, routed: crate::routing::Routed) {
        drop(core);
        if routed.earliest_job {
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

    /// Notified (to every task waiting at the time) when an operation
    /// freed memory: a connection held back by [`Broker::still_throttled`]
    /// waits on it instead of polling. Congestion can also clear without an
    /// operation (the disk catching up, a subscriber judged stalled as time
    /// passes), so waiters should still look again now and then.
    pub fn relief(&self) -> std::sync::Arc<Relief> {
        std::sync::Arc::clone(&self.relief)
    }

    /// Scheduled jobs waiting.
    pub fn scheduled_jobs(&self) -> usize {
        self.lock().schedule.jobs.len()
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
        let group = core.confirmations.take(conn)?;
        core.store.sync_point(group)
    }

    /// Where to wait for everything any operation wrote so far to be
    /// durable (tools, tests, an orderly stop); `None` if it already is.
    pub fn sync_all(&self) -> Option<SyncPoint> {
        let core = self.core.lock();
        match core.confirmations.last_sealed() {
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
        if core.usage.sweep_due(now, period) {
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

    /// This broker's id as clients see it (OpenWire BrokerInfo, advisories'
    /// `originBrokerId`, a network bridge's broker path).
    pub fn broker_id(&self) -> String {
        self.lock().identity.broker_id.to_string()
    }

    /// The id clients see for a connection (`ID:<broker>-<boot>:<n>`, or
    /// the client's own): the one advisories about it carry.
    pub fn connection_label(&self, conn: ConnectionId) -> Option<String> {
        self.lock()
            .registry
            .connection(conn)
            .map(|c| c.about.id.to_string())
    }

    /// Registers a producer that named its destination, announcing it to
    /// `ActiveMQ.Advisory.Producer.*` subscribers.
    ///
    /// # Errors
    /// When the connection is unknown.
    pub fn add_producer(
        &self,
        conn: ConnectionId,
        req: crate::ProducerRequest,
    ) -> Result<crate::ProducerId, BrokerError> {
        self.lock().add_producer(conn, req)
    }

    /// Removes a producer; returns whether it existed.
    pub fn remove_producer(&self, producer: crate::ProducerId) -> bool {
        self.lock().remove_producer(producer)
    }

    /// Announces a network bridge starting or stopping on
    /// `ActiveMQ.Advisory.NetworkBridge`.
    pub fn network_bridge(&self, event: &crate::NetworkBridgeEvent) {
        self.lock().advise_network_bridge(event);
    }

    /// Every consumer's interest in every destination it takes from, now.
    pub fn demand(&self) -> Vec<std::sync::Arc<crate::Interest>> {
        self.lock().current_demand()
    }

    /// The demand now, and a channel told of every change after it (no
    /// change falls between the two).
    pub fn watch_demand(
        &self,
    ) -> (
        Vec<std::sync::Arc<crate::Interest>>,
        tokio::sync::mpsc::UnboundedReceiver<crate::DemandEvent>,
    ) {
        let mut core = self.lock();
        (core.current_demand(), core.demand.watch())
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
        self.lock().disconnect(conn, None)
    }

    /// Disconnects as [`disconnect`](Self::disconnect), but what its
    /// consumers held is marked redelivered only up to the delivery
    /// `delivered_up_to` when the client said (see
    /// [`Broker::unsubscribe_delivered`]).
    pub fn disconnect_delivered(&self, conn: ConnectionId, delivered_up_to: Option<u64>) {
        self.lock().disconnect(conn, delivered_up_to)
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
        self.lock().close_consumer(consumer, None)
    }

    /// Closes a consumer whose client may say which deliveries reached its
    /// application: those up to [`Delivery::seq`] `delivered_up_to`. Only
    /// they come back marked redelivered; the rest (prefetched, never
    /// seen) are as new, as in ActiveMQ. `None`: not known, all of them
    /// (as [`unsubscribe`](Self::unsubscribe)).
    pub fn unsubscribe_delivered(
        &self,
        consumer: ConsumerId,
        delivered_up_to: Option<u64>,
    ) -> bool {
        self.lock().close_consumer(consumer, delivered_up_to)
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
        match core.send(conn, message, tx) {
            Ok((outcome, routed)) => {
                self.woken(core, routed);
                Ok(outcome)
            }
            Err(e) => Err(e),
        }
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
        core.conn = core.registry.connection_of(consumer);
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
        let (routed, done) = core.commit(conn, tx);
        self.woken(core, routed);
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

    /// What a queue browser with `selector` sees: the waiting messages it
    /// selects, oldest first, left in place.
    ///
    /// # Errors
    /// [`BrokerError::InvalidSelector`].
    pub fn browse_selected(
        &self,
        dest: &Destination,
        selector: Option<&str>,
    ) -> Result<Vec<std::sync::Arc<Message>>, BrokerError> {
        use crate::selecting::SelectedBy;
        let selector = crate::core::parse_selector(selector)?;
        let all = self.lock().browse(dest);
        Ok(match selector {
            None => all,
            Some(sel) => all.into_iter().filter(|m| m.selected_by(&sel, 0)).collect(),
        })
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
