//! The broker core on a journal: what a restart gives back.

use std::path::Path;
use std::sync::Arc;

use ::store::{JournalStore, Options};
use broker::*;
use tokio::sync::mpsc;

fn open(dir: &Path) -> Broker {
    let (store, recovered) = JournalStore::open(
        dir,
        Options {
            sync: false,
            ..Options::default()
        },
    )
    .unwrap();
    let b = Broker::new(BrokerConfig::default(), Box::new(store));
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
    if let Some(p) = b.sync_point() {
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
        b.remove_durable("client-1", "d").unwrap();
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
