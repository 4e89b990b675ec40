//! The broker core on a journal: what a restart gives back.

use std::path::Path;
use std::sync::Arc;

use ::store::{JournalStore, Options};
use broker::*;
use tokio::sync::mpsc;

fn open(dir: &Path) -> Broker {
    open_with(dir, 8 << 20, BrokerConfig::default())
}

fn open_with(dir: &Path, preload: u64, config: BrokerConfig) -> Broker {
    let (store, recovered) = JournalStore::open(
        dir,
        Options {
            sync: false,
            preload,
            ..Options::default()
        },
    )
    .unwrap();
    let b = Broker::new(config, Box::new(store));
    b.restore(recovered);
    b
}

fn connect(b: &Broker, client_id: Option<&str>) -> (ConnectionId, EventReceiver) {
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
        .unwrap();
    (id, rx)
}

fn msg(dest: &Destination, body: &str, persistent: bool) -> Message {
    let mut m = Message::new(
        MessageId::from(format!("ID:{body}")),
        dest.clone(),
        Body::Text(Arc::from(body)),
    );
    m.persistent = persistent;
    m
}

fn deliveries(rx: &mut EventReceiver) -> Vec<Delivery> {
    let mut out = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if let Event::Deliver(d) = ev {
            out.push(d);
        }
    }
    out
}

fn text(d: &Delivery) -> String {
    match &d.message.body {
        Body::Text(t) => t.to_string(),
        other => format!("{other:?}"),
    }
}

/// Waits, as a protocol handler does before confirming.
fn synced(b: &Broker) {
    if let Some(p) = b.sync_all() {
        p.wait_blocking().unwrap();
    }
}

#[test]
fn persistent_queue_messages_survive_consumed_and_non_persistent_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let q = Destination::queue("orders");
    {
        let b = open(dir.path());
        let (c, mut rx) = connect(&b, None);
        for i in 0..10 {
            b.send(c, msg(&q, &format!("p{i}"), true), None).unwrap();
        }
        b.send(c, msg(&q, "transient", false), None).unwrap();
        let consumer = b.subscribe(c, SubscribeRequest::new(q.clone())).unwrap();
        let got = deliveries(&mut rx);
        assert_eq!(got.len(), 11);
        // Ack the first three (cumulative): they are gone for good.
        b.ack(consumer, Ack::Cumulative(got[2].message.id.clone()), None)
            .unwrap();
        synced(&b);
    }
    let b = open(dir.path());
    let (c, mut rx) = connect(&b, None);
    b.subscribe(c, SubscribeRequest::new(q.clone())).unwrap();
    let got = deliveries(&mut rx);
    let bodies: Vec<String> = got.iter().map(text).collect();
    assert_eq!(bodies, (3..10).map(|i| format!("p{i}")).collect::<Vec<_>>());
    assert!(got.iter().all(Delivery::redelivered));
}

#[test]
fn a_durable_subscription_and_what_it_missed_survive() {
    let dir = tempfile::tempdir().unwrap();
    let t = Destination::topic("news");
    let mut req = SubscribeRequest::new(t.clone());
    req.durable_name = Some("d".into());
    {
        let b = open(dir.path());
        let (sub, _rx) = connect(&b, Some("client-1"));
        let consumer = b.subscribe(sub, req.clone()).unwrap();
        b.unsubscribe(consumer);
        b.disconnect(sub);
        let (p, _) = connect(&b, None);
        b.send(p, msg(&t, "missed", true), None).unwrap();
        synced(&b);
    }
    let b = open(dir.path());
    assert_eq!(b.durable_depth("client-1", "d"), Some(1));
    let (sub, mut rx) = connect(&b, Some("client-1"));
    b.subscribe(sub, req).unwrap();
    let got = deliveries(&mut rx);
    assert_eq!(got.iter().map(text).collect::<Vec<_>>(), vec!["missed"]);
}

#[test]
fn an_unsubscribed_durable_is_gone_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let t = Destination::topic("news");
    let mut req = SubscribeRequest::new(t.clone());
    req.durable_name = Some("d".into());
    {
        let b = open(dir.path());
        let (sub, _rx) = connect(&b, Some("client-1"));
        let consumer = b.subscribe(sub, req).unwrap();
        b.unsubscribe(consumer);
        b.remove_durable(sub, "client-1", "d").unwrap();
        synced(&b);
    }
    let b = open(dir.path());
    assert_eq!(b.durable_depth("client-1", "d"), None);
}

#[test]
fn a_committed_transaction_survives_and_an_open_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let q = Destination::queue("tx");
    {
        let b = open(dir.path());
        let (c, _) = connect(&b, None);
        let committed = TxId(Arc::from("tx-1"));
        b.begin(c, committed.clone()).unwrap();
        b.send(c, msg(&q, "a", true), Some(&committed)).unwrap();
        b.send(c, msg(&q, "b", true), Some(&committed)).unwrap();
        b.commit(c, &committed).unwrap();
        let open_tx = TxId(Arc::from("tx-2"));
        b.begin(c, open_tx.clone()).unwrap();
        b.send(c, msg(&q, "never", true), Some(&open_tx)).unwrap();
        synced(&b);
    }
    let b = open(dir.path());
    assert_eq!(b.queue_depth(&q), 2);
}

#[test]
fn a_poison_message_moved_to_the_dlq_stays_there_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let q = Destination::queue("work");
    {
        let b = open(dir.path());
        let (c, mut rx) = connect(&b, None);
        b.send(c, msg(&q, "bad", true), None).unwrap();
        let consumer = b.subscribe(c, SubscribeRequest::new(q.clone())).unwrap();
        let got = deliveries(&mut rx);
        b.ack(
            consumer,
            Ack::Poison {
                id: got[0].message.id.clone(),
                cause: None,
            },
            None,
        )
        .unwrap();
        synced(&b);
    }
    let b = open(dir.path());
    assert_eq!(b.queue_depth(&q), 0);
    assert_eq!(b.queue_depth(&Destination::queue("ActiveMQ.DLQ")), 1);
}

#[test]
fn a_prepared_transaction_survives_until_its_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let q = Destination::queue("xa");
    let xid = TxId(Arc::from("XID:[1,globalId=01,branchId=02]"));
    {
        let b = open(dir.path());
        let (c, mut rx) = connect(&b, None);
        b.send(c, msg(&q, "consumed-in-tx", true), None).unwrap();
        let consumer = b.subscribe(c, SubscribeRequest::new(q.clone())).unwrap();
        let got = deliveries(&mut rx);
        b.begin(c, xid.clone()).unwrap();
        b.send(c, msg(&q, "sent-in-tx", true), Some(&xid)).unwrap();
        b.ack(
            consumer,
            Ack::Individual(got[0].message.id.clone()),
            Some(&xid),
        )
        .unwrap();
        b.prepare(c, &xid).unwrap();
        synced(&b);
        // The connection goes; a prepared transaction stays.
        b.disconnect(c);
        assert_eq!(b.prepared(), vec![xid.clone()]);
    }
    {
        let b = open(dir.path());
        assert_eq!(b.prepared(), vec![xid.clone()]);
        assert_eq!(
            b.queue_depth(&q),
            0,
            "the acked message is held by the transaction"
        );
        let (c, _) = connect(&b, None);
        b.commit(c, &xid).unwrap();
        assert_eq!(b.queue_depth(&q), 1);
        synced(&b);
    }
    let b = open(dir.path());
    assert!(b.prepared().is_empty());
    let (c, mut rx) = connect(&b, None);
    b.subscribe(c, SubscribeRequest::new(q.clone())).unwrap();
    let bodies: Vec<String> = deliveries(&mut rx).iter().map(text).collect();
    assert_eq!(bodies, vec!["sent-in-tx"]);
}

#[test]
fn a_deep_queue_is_paged_from_disk_in_order_before_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let q = Destination::queue("deep");
    let small = || BrokerConfig {
        destination_memory_limit: 64 * 1024,
        ..BrokerConfig::default()
    };
    let total = 2000;
    {
        let b = open_with(dir.path(), 32 * 1024, small());
        let (c, mut rx) = connect(&b, None);
        for i in 0..total {
            b.send(c, msg(&q, &format!("m{i:05}"), true), None).unwrap();
        }
        assert_eq!(b.queue_depth(&q), total);
        // Consume the first quarter (paging in as we go), then crash.
        let consumer = b.subscribe(c, SubscribeRequest::new(q.clone())).unwrap();
        let mut seen = 0;
        while seen < total / 4 {
            let batch = deliveries(&mut rx);
            assert!(!batch.is_empty());
            for d in batch.iter().take(total / 4 - seen) {
                assert_eq!(text(d), format!("m{seen:05}"));
                b.ack(consumer, Ack::Individual(d.message.id.clone()), None)
                    .unwrap();
                seen += 1;
            }
        }
        synced(&b);
    }
    let b = open_with(dir.path(), 32 * 1024, small());
    assert_eq!(b.queue_depth(&q), total - total / 4);
    let (c, mut rx) = connect(&b, None);
    let consumer = b.subscribe(c, SubscribeRequest::new(q.clone())).unwrap();
    let mut got = Vec::new();
    loop {
        let batch = deliveries(&mut rx);
        if batch.is_empty() {
            break;
        }
        for d in &batch {
            assert!(d.redelivered());
            b.ack(consumer, Ack::Individual(d.message.id.clone()), None)
                .unwrap();
        }
        got.extend(batch.iter().map(text));
    }
    let want: Vec<String> = (total / 4..total).map(|i| format!("m{i:05}")).collect();
    assert_eq!(got, want);
}

#[test]
fn non_persistent_messages_spill_to_disk_under_memory_pressure_and_vanish_at_restart() {
    let dir = tempfile::tempdir().unwrap();
    let q = Destination::queue("spill");
    let config = || BrokerConfig {
        memory_limit: 64 * 1024,
        ..BrokerConfig::default()
    };
    {
        let b = open_with(dir.path(), 8 << 20, config());
        let (c, mut rx) = connect(&b, None);
        for i in 0..2000 {
            let outcome = b
                .send(c, msg(&q, &format!("n{i:04}"), false), None)
                .unwrap();
            assert!(!outcome.congested, "spilled, not held back");
        }
        assert_eq!(b.queue_depth(&q), 2000);
        assert!(b.stats().pending_messages == 2000);
        // Consumed in order, read back from disk as needed.
        let consumer = b.subscribe(c, SubscribeRequest::new(q.clone())).unwrap();
        let mut got = Vec::new();
        loop {
            let batch = deliveries(&mut rx);
            if batch.is_empty() {
                break;
            }
            for d in &batch {
                b.ack(consumer, Ack::Individual(d.message.id.clone()), None)
                    .unwrap();
            }
            got.extend(batch.iter().map(text));
            if got.len() >= 1000 {
                break;
            }
        }
        assert_eq!(
            got[..1000],
            (0..1000).map(|i| format!("n{i:04}")).collect::<Vec<_>>()[..]
        );
        synced(&b);
    }
    // Non-persistent: nothing of it survives the broker.
    let b = open_with(dir.path(), 8 << 20, config());
    assert_eq!(b.queue_depth(&q), 0);
}

#[test]
fn redelivery_counts_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let q = Destination::queue("redeliver");
    {
        let b = open(dir.path());
        let (c, mut rx) = connect(&b, None);
        b.send(c, msg(&q, "again", true), None).unwrap();
        for expected in 0..3 {
            let consumer = b.subscribe(c, SubscribeRequest::new(q.clone())).unwrap();
            let got = deliveries(&mut rx);
            assert_eq!(got[0].redelivery_count, expected);
            b.unsubscribe(consumer); // unacked: back to the queue, count + 1
        }
        synced(&b);
    }
    let b = open(dir.path());
    let (c, mut rx) = connect(&b, None);
    b.subscribe(c, SubscribeRequest::new(q.clone())).unwrap();
    // Three returns, plus one for the restart (it may have been delivered).
    assert_eq!(deliveries(&mut rx)[0].redelivery_count, 4);
}

fn scheduling() -> BrokerConfig {
    BrokerConfig {
        scheduler_support: true,
        ..BrokerConfig::default()
    }
}

fn scheduled(dest: &Destination, body: &str, persistent: bool, props: &[(&str, i64)]) -> Message {
    let mut m = msg(dest, body, persistent);
    for (k, v) in props {
        m.properties.push((Arc::from(*k), Value::Long(*v)));
    }
    m
}

#[test]
fn persistent_scheduled_jobs_survive_a_restart_and_are_forgotten_when_done() {
    let dir = tempfile::tempdir().unwrap();
    let q = Destination::queue("sched");
    let hour = 3_600_000;
    {
        let b = open_with(dir.path(), 8 << 20, scheduling());
        let (c, _rx) = connect(&b, None);
        b.send(
            c,
            scheduled(&q, "p", true, &[("AMQ_SCHEDULED_DELAY", hour)]),
            None,
        )
        .unwrap();
        b.send(
            c,
            scheduled(&q, "np", false, &[("AMQ_SCHEDULED_DELAY", hour)]),
            None,
        )
        .unwrap();
        b.send(
            c,
            scheduled(
                &q,
                "rep",
                true,
                &[("AMQ_SCHEDULED_PERIOD", hour), ("AMQ_SCHEDULED_REPEAT", 1)],
            ),
            None,
        )
        .unwrap();
        assert_eq!(b.scheduled_jobs(), 3);
        assert_eq!(b.queue_depth(&q), 0, "held, not queued");
        if let Some(p) = b.sync_all() {
            p.wait_blocking().unwrap();
        }
    }
    let later = now_millis() + hour + 60_000;
    {
        let b = open_with(dir.path(), 8 << 20, scheduling());
        // The non-persistent one is gone; the time of the others passed
        // "while the broker was down": they fire at the first look.
        assert_eq!(b.scheduled_jobs(), 2);
        assert_eq!(b.fire_due(later), 2);
        assert_eq!(b.queue_depth(&q), 2);
        // The repeating one has one firing left.
        assert_eq!(b.scheduled_jobs(), 1);
        synced(&b);
    }
    {
        let b = open_with(dir.path(), 8 << 20, scheduling());
        assert_eq!(b.scheduled_jobs(), 1);
        assert_eq!(b.fire_due(later + 2 * hour), 1);
        assert_eq!(b.scheduled_jobs(), 0);
        synced(&b);
        // The fired copies are ordinary persistent messages now.
        assert_eq!(b.queue_depth(&q), 3);
    }
    let b = open_with(dir.path(), 8 << 20, scheduling());
    assert_eq!(b.scheduled_jobs(), 0);
    assert_eq!(b.queue_depth(&q), 3);
}

#[test]
fn with_the_scheduler_off_scheduled_messages_are_delivered_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let q = Destination::queue("now");
    let b = open(dir.path());
    let (c, _rx) = connect(&b, None);
    b.send(
        c,
        scheduled(&q, "m", true, &[("AMQ_SCHEDULED_DELAY", 60_000)]),
        None,
    )
    .unwrap();
    assert_eq!(b.scheduled_jobs(), 0);
    assert_eq!(b.queue_depth(&q), 1);
    assert_eq!(b.fire_due(now_millis() + 120_000), 0);
}

#[test]
fn a_message_keeps_its_broker_path_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let q = Destination::queue("bridged");
    let path: Vec<Arc<str>> = vec![Arc::from("ID:east-1:1"), Arc::from("ID:west-2:1")];
    {
        let b = open(dir.path());
        let (c, _rx) = connect(&b, None);
        let mut m = msg(&q, "forwarded", true);
        m.broker_path = Some(Arc::from(path.clone()));
        b.send(c, m, None).unwrap();
        synced(&b);
    }
    let b = open(dir.path());
    let (c, mut rx) = connect(&b, None);
    b.subscribe(c, SubscribeRequest::new(q)).unwrap();
    let got = deliveries(&mut rx);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message.broker_path.as_deref(), Some(&path[..]));
}
