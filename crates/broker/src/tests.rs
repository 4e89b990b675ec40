//! Core semantics, driven through the public API exactly as a protocol
//! handler drives it.

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::*;

/// A connection as a test sees it: its id and what the broker sent it.
pub(crate) struct Client {
    pub(crate) id: ConnectionId,
    pub(crate) rx: EventReceiver,
}

impl Client {
    pub(crate) fn deliveries(&mut self) -> Vec<Delivery> {
        let mut out = Vec::new();
        while let Ok(ev) = self.rx.try_recv() {
            if let Event::Deliver(d) = ev {
                out.push(d);
            }
        }
        out
    }

    pub(crate) fn bodies(&mut self) -> Vec<String> {
        self.deliveries().iter().map(|d| text(&d.message)).collect()
    }
}

pub(crate) fn text(m: &Message) -> String {
    match &m.body {
        Body::Text(t) => t.to_string(),
        other => format!("{other:?}"),
    }
}

pub(crate) fn connect(b: &Broker, client_id: Option<&str>) -> Client {
    let (tx, rx) = mpsc::unbounded_channel();
    let id = b
        .connect(
            ConnectInfo {
                client_id: client_id.map(str::to_string),
                login: None,
                ..Default::default()
            },
            tx,
        )
        .expect("connect");
    Client { id, rx }
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub(crate) fn msg(dest: &Destination, body: &str) -> Message {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Message::new(
        MessageId::from(format!("ID:test-{n}")),
        dest.clone(),
        Body::Text(Arc::from(body)),
    )
}

pub(crate) fn send(b: &Broker, c: &Client, dest: &Destination, body: &str) {
    b.send(c.id, msg(dest, body), None).expect("send");
}

pub(crate) fn sub(b: &Broker, c: &Client, dest: &Destination, prefetch: u32) -> ConsumerId {
    let mut req = SubscribeRequest::new(dest.clone());
    req.prefetch = prefetch;
    b.subscribe(c.id, req).expect("subscribe")
}

#[test]
fn queue_gives_each_message_to_one_consumer_round_robin() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c1 = connect(&b, None);
    let mut c2 = connect(&b, None);
    sub(&b, &c1, &q, 10);
    sub(&b, &c2, &q, 10);
    for i in 0..6 {
        send(&b, &p, &q, &i.to_string());
    }
    assert_eq!(c1.bodies(), ["0", "2", "4"]);
    assert_eq!(c2.bodies(), ["1", "3", "5"]);
}

#[test]
fn queue_keeps_messages_until_a_consumer_arrives() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    send(&b, &p, &q, "a");
    send(&b, &p, &q, "b");
    assert_eq!(b.queue_depth(&q), 2);
    let mut c = connect(&b, None);
    sub(&b, &c, &q, 10);
    assert_eq!(c.bodies(), ["a", "b"]);
    assert_eq!(b.queue_depth(&q), 0);
}

#[test]
fn topic_gives_every_message_to_every_current_subscriber() {
    let b = Broker::in_memory();
    let t = Destination::topic("t");
    let p = connect(&b, None);
    send(&b, &p, &t, "before");
    let mut c1 = connect(&b, None);
    let mut c2 = connect(&b, None);
    sub(&b, &c1, &t, 10);
    sub(&b, &c2, &t, 10);
    send(&b, &p, &t, "x");
    assert_eq!(c1.bodies(), ["x"]);
    assert_eq!(c2.bodies(), ["x"]);
}

#[test]
fn prefetch_window_limits_unacked_messages() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &q, 2);
    for i in 0..5 {
        send(&b, &p, &q, &i.to_string());
    }
    let got = c.deliveries();
    assert_eq!(got.len(), 2);
    assert_eq!(b.queue_depth(&q), 3);
    // A cumulative ack of the second frees both slots.
    b.ack(cid, Ack::Cumulative(got[1].message.id.clone()), None)
        .expect("ack");
    assert_eq!(c.bodies(), ["2", "3"]);
}

#[test]
fn stalled_consumer_blocks_nobody() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut stalled = connect(&b, None);
    let mut live = connect(&b, None);
    sub(&b, &stalled, &q, 1);
    let live_cid = sub(&b, &live, &q, 1);
    for i in 0..10 {
        send(&b, &p, &q, &i.to_string());
    }
    assert_eq!(stalled.deliveries().len(), 1);
    let mut received = 0;
    loop {
        let d = live.deliveries();
        if d.is_empty() {
            break;
        }
        received += d.len();
        for x in d {
            b.ack(live_cid, Ack::Individual(x.message.id.clone()), None)
                .expect("ack");
        }
    }
    assert_eq!(received, 9);
}

#[test]
fn individual_ack_consumes_only_that_message() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &q, 10);
    for i in 0..3 {
        send(&b, &p, &q, &i.to_string());
    }
    let got = c.deliveries();
    b.ack(cid, Ack::Individual(got[1].message.id.clone()), None)
        .expect("ack");
    b.unsubscribe(cid);
    let mut c2 = connect(&b, None);
    sub(&b, &c2, &q, 10);
    let again = c2.deliveries();
    assert_eq!(
        again.iter().map(|d| text(&d.message)).collect::<Vec<_>>(),
        ["0", "2"]
    );
    assert!(again.iter().all(Delivery::redelivered));
}

#[test]
fn cumulative_ack_consumes_everything_up_to_the_message() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &q, 10);
    for i in 0..5 {
        send(&b, &p, &q, &i.to_string());
    }
    let got = c.deliveries();
    b.ack(cid, Ack::Cumulative(got[2].message.id.clone()), None)
        .expect("ack");
    b.disconnect(c.id);
    let mut c2 = connect(&b, None);
    sub(&b, &c2, &q, 10);
    assert_eq!(c2.bodies(), ["3", "4"]);
}

#[test]
fn unknown_message_ack_is_an_error_and_changes_nothing() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &q, 10);
    send(&b, &p, &q, "a");
    assert_eq!(c.deliveries().len(), 1);
    let err = b.ack(cid, Ack::Individual(MessageId::from("nope")), None);
    assert!(matches!(err, Err(BrokerError::UnknownMessage(_))));
    assert_eq!(b.stats().inflight_messages, 1);
    assert!(matches!(
        b.ack(
            ConsumerId(9999),
            Ack::Individual(MessageId::from("x")),
            None
        ),
        Err(BrokerError::UnknownConsumer)
    ));
}

#[test]
fn disconnect_returns_unacked_in_order_marked_redelivered() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    sub(&b, &c, &q, 3);
    for i in 0..4 {
        send(&b, &p, &q, &i.to_string());
    }
    assert_eq!(c.deliveries().len(), 3);
    b.disconnect(c.id);
    let mut c2 = connect(&b, None);
    sub(&b, &c2, &q, 10);
    let d = c2.deliveries();
    let bodies: Vec<String> = d.iter().map(|d| text(&d.message)).collect();
    assert_eq!(bodies, ["0", "1", "2", "3"]);
    assert_eq!(
        d.iter().map(|d| d.redelivery_count).collect::<Vec<_>>(),
        [1, 1, 1, 0]
    );
}

/// As ActiveMQ with its client's lastDeliveredSequenceId: what waited in
/// the client's prefetch buffer, never seen by the application, comes back
/// as new; only what the application received is marked redelivered.
#[test]
fn a_consumer_closed_with_its_last_delivery_known_marks_only_what_the_application_saw() {
    for closing in ["consumer", "connection"] {
        let b = Broker::in_memory();
        let q = Destination::queue("q");
        let p = connect(&b, None);
        let mut c = connect(&b, None);
        let cid = sub(&b, &c, &q, 10);
        for i in 0..5 {
            send(&b, &p, &q, &i.to_string());
        }
        let d = c.deliveries();
        assert_eq!(d.len(), 5);
        assert!(d.windows(2).all(|w| w[0].seq < w[1].seq), "increasing");
        // The application took the first two.
        let seen = d[1].seq;
        match closing {
            "consumer" => assert!(b.unsubscribe_delivered(cid, Some(seen))),
            _ => b.disconnect_delivered(c.id, Some(seen)),
        }
        let mut c2 = connect(&b, None);
        sub(&b, &c2, &q, 10);
        let counts: Vec<u32> = c2.deliveries().iter().map(|d| d.redelivery_count).collect();
        assert_eq!(counts, [1, 1, 0, 0, 0], "closing the {closing}");
    }
}

/// ActiveMQ marks up to the un-acked delivery carrying the last delivered
/// sequence; when the application acked that one itself (individual ack),
/// nothing else the consumer holds comes back marked.
#[test]
fn a_consumer_whose_last_delivery_was_acked_individually_hands_the_rest_back_unmarked() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &q, 10);
    for i in 0..3 {
        send(&b, &p, &q, &i.to_string());
    }
    let d = c.deliveries();
    b.ack(cid, Ack::Individual(d[1].message.id.clone()), None)
        .expect("ack");
    assert!(b.unsubscribe_delivered(cid, Some(d[1].seq)));
    let mut c2 = connect(&b, None);
    sub(&b, &c2, &q, 10);
    let got: Vec<(String, u32)> = c2
        .deliveries()
        .iter()
        .map(|d| (text(&d.message), d.redelivery_count))
        .collect();
    assert_eq!(got, [("0".to_string(), 0), ("2".to_string(), 0)]);
}

#[test]
fn transacted_sends_wait_for_commit_and_vanish_on_rollback() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    sub(&b, &c, &q, 10);
    let tx = TxId(Arc::from("tx1"));
    b.begin(p.id, tx.clone()).expect("begin");
    b.send(p.id, msg(&q, "a"), Some(&tx)).expect("send");
    assert!(c.deliveries().is_empty());
    b.commit(p.id, &tx).expect("commit");
    assert_eq!(c.bodies(), ["a"]);

    let tx2 = TxId(Arc::from("tx2"));
    b.begin(p.id, tx2.clone()).expect("begin");
    b.send(p.id, msg(&q, "b"), Some(&tx2)).expect("send");
    b.rollback(p.id, &tx2).expect("rollback");
    assert!(c.deliveries().is_empty());
    assert!(matches!(
        b.commit(p.id, &tx2),
        Err(BrokerError::UnknownTransaction(_))
    ));
    assert!(matches!(
        b.begin(p.id, tx.clone())
            .and_then(|_| b.begin(p.id, tx.clone())),
        Err(BrokerError::TransactionExists(_))
    ));
}

#[test]
fn transacted_ack_is_undone_by_rollback_and_applied_by_commit() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &q, 10);
    send(&b, &p, &q, "a");
    let d = c.deliveries();
    let tx = TxId(Arc::from("t"));
    b.begin(c.id, tx.clone()).expect("begin");
    b.ack(cid, Ack::Individual(d[0].message.id.clone()), Some(&tx))
        .expect("ack");
    b.rollback(c.id, &tx).expect("rollback");
    // Still held by the consumer: it can be acked again.
    assert_eq!(b.stats().inflight_messages, 1);
    let tx = TxId(Arc::from("t2"));
    b.begin(c.id, tx.clone()).expect("begin");
    b.ack(cid, Ack::Individual(d[0].message.id.clone()), Some(&tx))
        .expect("ack");
    b.commit(c.id, &tx).expect("commit");
    b.disconnect(c.id);
    assert_eq!(b.queue_depth(&q), 0);
}

#[test]
fn disconnect_rolls_back_open_transactions() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let tx = TxId(Arc::from("tx"));
    b.begin(p.id, tx.clone()).expect("begin");
    b.send(p.id, msg(&q, "a"), Some(&tx)).expect("send");
    b.disconnect(p.id);
    assert_eq!(b.queue_depth(&q), 0);
    assert!(b.stats().connections == 0);
}

#[test]
fn durable_subscription_keeps_messages_while_offline() {
    let b = Broker::in_memory();
    let t = Destination::topic("t");
    let p = connect(&b, None);
    let c = connect(&b, Some("client1"));
    let mut req = SubscribeRequest::new(t.clone());
    req.durable_name = Some("sub1".into());
    b.subscribe(c.id, req.clone()).expect("durable");
    b.disconnect(c.id);
    send(&b, &p, &t, "while-away");
    assert_eq!(b.durable_depth("client1", "sub1"), Some(1));
    let mut c = connect(&b, Some("client1"));
    b.subscribe(c.id, req.clone()).expect("durable again");
    assert_eq!(c.bodies(), ["while-away"]);
    // In use by this connection: a second consumer is refused.
    assert!(matches!(
        b.subscribe(c.id, req),
        Err(BrokerError::DurableInUse { .. })
    ));
    assert!(matches!(
        b.remove_durable(c.id, "client1", "sub1"),
        Err(BrokerError::DurableActive)
    ));
    b.disconnect(c.id);
    b.remove_durable(c.id, "client1", "sub1").expect("remove");
    assert_eq!(b.durable_depth("client1", "sub1"), None);
}

#[test]
fn durable_needs_client_id_and_client_id_is_unique() {
    let b = Broker::in_memory();
    let c = connect(&b, None);
    let mut req = SubscribeRequest::new(Destination::topic("t"));
    req.durable_name = Some("s".into());
    assert!(matches!(
        b.subscribe(c.id, req),
        Err(BrokerError::DurableWithoutClientId)
    ));
    let _a = connect(&b, Some("same"));
    let (tx, _rx) = mpsc::unbounded_channel();
    let dup = b.connect(
        ConnectInfo {
            client_id: Some("same".into()),
            login: None,
            ..Default::default()
        },
        tx,
    );
    assert!(matches!(dup, Err(BrokerError::ClientIdInUse(_))));
}

#[test]
fn temporary_destinations_die_with_their_connection() {
    let b = Broker::in_memory();
    let owner = connect(&b, None);
    let mut listener = connect(&b, None);
    let other = connect(&b, None);
    let tq = b
        .create_temporary(owner.id, DestinationKind::TempQueue)
        .expect("temp");
    sub(&b, &listener, &tq, 10);
    send(&b, &other, &tq, "reply");
    assert_eq!(listener.bodies(), ["reply"]);
    b.disconnect(owner.id);
    assert!(listener
        .rx
        .try_recv()
        .is_ok_and(|e| matches!(e, Event::ConsumerClosed { .. })));
    assert!(matches!(
        b.send(other.id, msg(&tq, "late"), None),
        Err(BrokerError::DeletedDestination(_))
    ));
}

#[test]
fn poison_ack_moves_persistent_messages_to_the_dlq_and_drops_others() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &q, 10);
    let mut m = msg(&q, "persistent");
    m.persistent = true;
    b.send(p.id, m, None).expect("send");
    send(&b, &p, &q, "transient");
    let d = c.deliveries();
    for x in &d {
        b.ack(
            cid,
            Ack::Poison {
                id: x.message.id.clone(),
                cause: Some("gave up".into()),
            },
            None,
        )
        .expect("poison");
    }
    let dlq = Destination::dead_letter_queue();
    assert_eq!(b.queue_depth(&dlq), 1);
    let mut reader = connect(&b, None);
    sub(&b, &reader, &dlq, 10);
    let dead = reader.deliveries();
    assert_eq!(dead[0].message.id, d[0].message.id);
    assert_eq!(dead[0].message.original_destination, Some(q.clone()));
    assert_eq!(
        dead[0].message.property("dlqDeliveryFailureCause"),
        Some(&Value::String(Arc::from("gave up")))
    );
}

#[test]
fn expired_messages_are_not_delivered() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut m = msg(&q, "old");
    m.expiration = 1;
    b.send(p.id, m, None).expect("send");
    send(&b, &p, &q, "fresh");
    let mut c = connect(&b, None);
    sub(&b, &c, &q, 10);
    assert_eq!(c.bodies(), ["fresh"]);
}

#[test]
fn exclusive_consumer_takes_all_and_hands_over_when_it_leaves() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c1 = connect(&b, None);
    let mut c2 = connect(&b, None);
    let mut req = SubscribeRequest::new(q.clone());
    req.exclusive = true;
    let ex = b.subscribe(c1.id, req).expect("sub");
    sub(&b, &c2, &q, 10);
    for i in 0..3 {
        send(&b, &p, &q, &i.to_string());
    }
    assert_eq!(c1.bodies(), ["0", "1", "2"]);
    assert!(c2.deliveries().is_empty());
    b.unsubscribe(ex);
    assert_eq!(c2.bodies(), ["0", "1", "2"]);
}

#[test]
fn no_local_subscriber_skips_its_own_messages() {
    let b = Broker::in_memory();
    let t = Destination::topic("t");
    let mut c = connect(&b, None);
    let p = connect(&b, None);
    let mut req = SubscribeRequest::new(t.clone());
    req.no_local = true;
    b.subscribe(c.id, req).expect("sub");
    send(&b, &c, &t, "mine");
    send(&b, &p, &t, "theirs");
    assert_eq!(c.bodies(), ["theirs"]);
}

#[test]
fn pull_consumer_gets_one_message_per_pull() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &q, 0);
    send(&b, &p, &q, "a");
    send(&b, &p, &q, "b");
    assert!(c.deliveries().is_empty());
    b.pull(cid, 1).expect("pull");
    assert_eq!(c.bodies(), ["a"]);
}

#[test]
fn delivered_ack_opens_the_window_without_consuming() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &q, 1);
    send(&b, &p, &q, "a");
    send(&b, &p, &q, "b");
    let d = c.deliveries();
    assert_eq!(d.len(), 1);
    b.ack(cid, Ack::Delivered(d[0].message.id.clone()), None)
        .expect("delivered");
    assert_eq!(c.bodies(), ["b"]);
    b.disconnect(c.id);
    assert_eq!(b.queue_depth(&q), 2, "delivered is not consumed");
}

#[test]
fn slow_topic_subscriber_memory_is_bounded() {
    let config = BrokerConfig {
        topic_subscriber_pending_limit: 10_000,
        slow_subscriber_after: std::time::Duration::ZERO,
        ..BrokerConfig::default()
    };
    let b = Broker::new(config, Box::new(MemoryStore::new()));
    let t = Destination::topic("t");
    let p = connect(&b, None);
    let mut slow = connect(&b, None);
    let mut fast = connect(&b, None);
    sub(&b, &slow, &t, 1);
    sub(&b, &fast, &t, 100_000);
    for i in 0..1000 {
        send(&b, &p, &t, &format!("{i:0>100}"));
    }
    assert_eq!(fast.deliveries().len(), 1000);
    assert_eq!(slow.deliveries().len(), 1);
    let stats = b.stats();
    assert!(stats.pending_messages < 100, "{stats:?}");
    assert!(stats.messages_discarded > 800);
}

/// A store the test can look into after handing it to the broker.
#[derive(Clone, Default)]
struct SharedStore(Arc<Mutex<MemoryStore>>);

impl MessageStore for SharedStore {
    fn add(&mut self, key: &StoreKey, seq: u64, m: &Arc<Message>) -> Result<(), StoreError> {
        self.0.lock().add(key, seq, m)
    }

    fn load(
        &mut self,
        key: &StoreKey,
        seq: u64,
    ) -> Result<Option<(Arc<Message>, u32)>, StoreError> {
        self.0.lock().load(key, seq)
    }
    fn remove(&mut self, key: &StoreKey, seq: u64, id: &MessageId) -> Result<(), StoreError> {
        self.0.lock().remove(key, seq, id)
    }
    fn drop_key(&mut self, key: &StoreKey) -> Result<(), StoreError> {
        self.0.lock().drop_key(key)
    }
}

#[test]
fn persistent_queue_messages_go_through_the_store_until_acked() {
    let store = SharedStore::default();
    let b = Broker::new(BrokerConfig::default(), Box::new(store.clone()));
    let q = Destination::queue("q");
    let key = StoreKey::Queue(Arc::from("q"));
    let p = connect(&b, None);
    let mut m = msg(&q, "p");
    m.persistent = true;
    b.send(p.id, m, None).expect("send");
    send(&b, &p, &q, "np");
    assert_eq!(store.0.lock().len(&key), 1);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &q, 10);
    let d = c.deliveries();
    assert_eq!(store.0.lock().len(&key), 1, "in flight is still stored");
    b.ack(cid, Ack::Cumulative(d[1].message.id.clone()), None)
        .expect("ack");
    assert_eq!(store.0.lock().len(&key), 0);
}

#[test]
fn consumer_window_is_bounded_in_bytes_too() {
    let b = Broker::in_memory();
    let q = Destination::queue("big");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let windowed = |dest: &Destination| {
        let mut req = SubscribeRequest::new(dest.clone());
        req.window_bytes = Some(16 * 1024 * 1024);
        req
    };
    let cid = b.subscribe(c.id, windowed(&q)).expect("subscribe");
    let body = "x".repeat(1024 * 1024);
    for _ in 0..40 {
        send(&b, &p, &q, &body);
    }
    let got = c.deliveries();
    assert_eq!(got.len(), 16, "16 MiB window of 1 MiB messages");
    b.ack(cid, Ack::Cumulative(got[7].message.id.clone()), None)
        .expect("ack");
    assert_eq!(c.deliveries().len(), 8);
    // Delivered acks free the window without consuming.
    let mut c2 = connect(&b, None);
    let cid2 = b
        .subscribe(c2.id, windowed(&Destination::queue("big2")))
        .expect("subscribe");
    for _ in 0..20 {
        send(&b, &p, &Destination::queue("big2"), &body);
    }
    let got = c2.deliveries();
    assert_eq!(got.len(), 16);
    b.ack(cid2, Ack::Delivered(got[15].message.id.clone()), None)
        .expect("delivered");
    assert_eq!(c2.deliveries().len(), 4);
}

#[test]
fn a_subscriber_behind_holds_producers_back_until_judged_stalled() {
    let config = BrokerConfig {
        topic_subscriber_pending_limit: 10_000,
        slow_subscriber_after: std::time::Duration::from_millis(100),
        ..BrokerConfig::default()
    };
    let clock = ManualClock::new(1_000_000);
    let b = Broker::with_clock(
        config,
        Box::new(MemoryStore::new()),
        Arc::new(clock.clone()),
    );
    let t = Destination::topic("t");
    let p = connect(&b, None);
    let mut behind = connect(&b, None);
    let cid = sub(&b, &behind, &t, 1);
    let mut congested = false;
    for i in 0..200 {
        congested |= b
            .send(p.id, msg(&t, &format!("{i:0>100}")), None)
            .expect("send")
            .congested;
    }
    assert!(congested, "the producer is asked to wait");
    assert!(b.congested(&t));
    assert_eq!(
        b.stats().messages_discarded,
        0,
        "nothing lost while it reads"
    );
    // It reads one message: progress, so still not judged stalled.
    let d = behind.deliveries();
    b.ack(cid, Ack::Cumulative(d[0].message.id.clone()), None)
        .expect("ack");
    assert!(b.congested(&t));
    clock.advance(std::time::Duration::from_millis(150));
    // Stalled now: its oldest messages go, and producers are free.
    assert!(!b.congested(&t));
    assert!(b.stats().messages_discarded > 0);
    assert!(
        !b.send(p.id, msg(&t, "later"), None)
            .expect("send")
            .congested
    );
}

#[test]
fn browsing_leaves_messages_in_place() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    for i in 0..3 {
        send(&b, &p, &q, &i.to_string());
    }
    let seen: Vec<String> = b.browse(&q).iter().map(|m| text(m)).collect();
    assert_eq!(seen, ["0", "1", "2"]);
    assert_eq!(b.queue_depth(&q), 3);
    assert!(b.browse(&Destination::queue("none")).is_empty());
}

#[test]
fn wildcard_topic_subscribers_get_every_matching_topic() {
    let b = Broker::in_memory();
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    sub(&b, &c, &Destination::topic("prices.>"), 100);
    let mut one = connect(&b, None);
    sub(&b, &one, &Destination::topic("prices.*.eur"), 100);
    send(&b, &p, &Destination::topic("prices"), "root");
    send(&b, &p, &Destination::topic("prices.gold.eur"), "gold");
    send(&b, &p, &Destination::topic("prices.gold.usd"), "usd");
    send(&b, &p, &Destination::topic("other"), "no");
    assert_eq!(c.bodies(), ["root", "gold", "usd"]);
    assert_eq!(one.bodies(), ["gold"]);
}

#[test]
fn without_a_byte_window_the_whole_prefetch_is_delivered() {
    let b = Broker::in_memory();
    let q = Destination::queue("big");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    sub(&b, &c, &q, 100);
    let body = "x".repeat(1024 * 1024);
    for _ in 0..40 {
        send(&b, &p, &q, &body);
    }
    assert_eq!(
        c.deliveries().len(),
        40,
        "batch-acking clients need their whole prefetch"
    );
}

#[test]
fn persistent_messages_past_the_memory_limit_wait_in_the_store_and_come_back_in_order() {
    let config = BrokerConfig {
        destination_memory_limit: 8 * 1024,
        ..BrokerConfig::default()
    };
    let b = Broker::new(config, Box::new(MemoryStore::new()));
    let q = Destination::queue("deep");
    let p = connect(&b, None);
    for i in 0..200 {
        let mut m = msg(&q, &format!("m{i}"));
        m.persistent = true;
        b.send(p.id, m, None).unwrap();
    }
    // ~300 bytes each in memory: most of them are paged out.
    assert_eq!(b.queue_depth(&q), 200);
    assert_eq!(b.browse(&q).len(), 200);
    let mut c = connect(&b, None);
    let consumer = sub(&b, &c, &q, 1000);
    let mut got = Vec::new();
    loop {
        let batch = c.deliveries();
        if batch.is_empty() {
            break;
        }
        for d in &batch {
            b.ack(consumer, Ack::Individual(d.message.id.clone()), None)
                .unwrap();
        }
        got.extend(batch.iter().map(|d| text(&d.message)));
    }
    assert_eq!(got, (0..200).map(|i| format!("m{i}")).collect::<Vec<_>>());
    assert_eq!(b.queue_depth(&q), 0);
}

#[test]
fn at_the_memory_limit_producers_are_held_back_or_refused() {
    let q = Destination::queue("full");
    for fail in [false, true] {
        let config = BrokerConfig {
            memory_limit: 4 * 1024,
            send_fail_if_no_space: fail,
            ..BrokerConfig::default()
        };
        let b = Broker::new(config, Box::new(MemoryStore::new()));
        let p = connect(&b, None);
        let mut outcomes = Vec::new();
        for i in 0..40 {
            outcomes.push(b.send(p.id, msg(&q, &format!("m{i}")), None));
        }
        if fail {
            let refused = outcomes.iter().filter(|o| o.is_err()).count();
            assert!(refused > 20, "{refused} refused");
            assert!(matches!(
                outcomes.last(),
                Some(Err(BrokerError::ResourceLimit(_)))
            ));
        } else {
            assert!(outcomes.iter().all(Result::is_ok), "held back, not refused");
            assert!(outcomes.last().unwrap().as_ref().unwrap().congested);
            assert!(b.congested(&q));
        }
        // A consumer drains the queue: the producer may go on.
        let mut c = connect(&b, None);
        let consumer = sub(&b, &c, &q, 1000);
        for d in c.deliveries() {
            b.ack(consumer, Ack::Individual(d.message.id.clone()), None)
                .unwrap();
        }
        assert!(!b.congested(&q));
        assert!(b.send(p.id, msg(&q, "after"), None).is_ok());
    }
}

fn bridge_sub(b: &Broker, c: &Client, dest: &Destination, peer: &str, ttl: i32) -> ConsumerId {
    let mut req = SubscribeRequest::new(dest.clone());
    req.forward = Some(ForwardFilter {
        peer: Arc::from(peer),
        message_ttl: ttl,
        replay_when_no_consumers: true,
    });
    b.subscribe(c.id, req).expect("subscribe")
}

fn send_via(b: &Broker, c: &Client, dest: &Destination, body: &str, path: &[&str]) {
    let mut m = msg(dest, body);
    m.broker_path = Some(path.iter().map(|p| Arc::from(*p)).collect());
    b.send(c.id, m, None).expect("send");
}

/// ActiveMQ's NetworkBridgeFilter: a bridge is not offered what came from
/// its peer or has used up its hops; those stay for local consumers.
#[test]
fn a_bridge_consumer_is_not_offered_what_came_from_its_peer_or_ran_out_of_hops() {
    for dest in [Destination::queue("q"), Destination::topic("t")] {
        let b = Broker::in_memory();
        let p = connect(&b, None);
        let mut bridge = connect(&b, None);
        bridge_sub(&b, &bridge, &dest, "B", 2);
        let mut local = connect(&b, None);
        sub(&b, &local, &dest, 10);
        send_via(&b, &p, &dest, "from B", &["B"]);
        send_via(&b, &p, &dest, "two hops", &["X", "Y"]);
        send_via(&b, &p, &dest, "one hop", &["X"]);
        send(&b, &p, &dest, "local");
        let forwarded = bridge.bodies();
        let kept = local.bodies();
        assert!(
            forwarded.iter().all(|b| b == "local" || b == "one hop"),
            "{dest}: {forwarded:?}"
        );
        if dest.is_queue() {
            // Each message once, to whichever consumer may take it.
            let mut all: Vec<String> = forwarded.iter().chain(&kept).cloned().collect();
            all.sort();
            assert_eq!(all, ["from B", "local", "one hop", "two hops"]);
        } else {
            assert_eq!(forwarded, ["one hop", "local"], "{dest}");
            assert_eq!(kept.len(), 4, "{kept:?}");
        }
    }
}

#[test]
fn a_bridge_consumer_is_not_offered_the_advisories_bridges_interpret() {
    let b = Broker::in_memory();
    let p = connect(&b, None);
    let mut bridge = connect(&b, None);
    bridge_sub(&b, &bridge, &Destination::topic(">"), "B", -1);
    send(
        &b,
        &p,
        &Destination::topic("ActiveMQ.Advisory.Consumer.Queue.q"),
        "adv",
    );
    send(
        &b,
        &p,
        &Destination::topic("ActiveMQ.Advisory.Producer.Queue.q"),
        "other",
    );
    assert_eq!(bridge.bodies(), ["other"]);
}

/// In a cycle of brokers a topic message arrives by two routes; the
/// second arrival (same id, over a bridge) is dropped. A client's own
/// sends are never audited.
#[test]
fn a_message_arriving_twice_over_the_network_is_delivered_once() {
    let b = Broker::in_memory();
    let t = Destination::topic("t");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    sub(&b, &c, &t, 10);
    let mut m = msg(&t, "via a");
    m.id = MessageId::from("ID:a-1:1:1:1");
    let mut direct = m.clone();
    direct.broker_path = Some(vec![Arc::from("A")].into());
    let mut indirect = m.clone();
    indirect.broker_path = Some(vec![Arc::from("A"), Arc::from("B")].into());
    b.send(p.id, direct, None).expect("send");
    b.send(p.id, indirect, None)
        .expect("a duplicate is accepted");
    assert_eq!(c.bodies(), ["via a"]);
    b.send(p.id, m.clone(), None).expect("send");
    b.send(p.id, m, None).expect("send");
    assert_eq!(
        c.bodies(),
        ["via a", "via a"],
        "local sends are not audited"
    );
}

/// ActiveMQ's replayWhenNoConsumers: a queue message that came from the
/// bridge's peer goes back to it only while this broker has no consumer of
/// its own for the queue (it followed a consumer that moved); a topic
/// message never does.
#[test]
fn a_queue_message_goes_back_to_its_peer_only_when_nobody_here_consumes() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut local = connect(&b, None);
    let local_id = sub(&b, &local, &q, 10);
    send_via(&b, &p, &q, "from B", &["B"]);
    let mut bridge = connect(&b, None);
    bridge_sub(&b, &bridge, &q, "B", 1);
    assert_eq!(local.bodies(), ["from B"]);
    assert!(bridge.bodies().is_empty());
    // The local consumer leaves with the message un-acked: now only the
    // bridge consumes here, so the message follows the demand back to B.
    assert!(b.unsubscribe(local_id));
    assert_eq!(bridge.bodies(), ["from B"]);
    let mut topic_bridge = connect(&b, None);
    let t = Destination::topic("t");
    bridge_sub(&b, &topic_bridge, &t, "B", 1);
    send_via(&b, &p, &t, "topic from B", &["B"]);
    assert!(topic_bridge.bodies().is_empty());
}
