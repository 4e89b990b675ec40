//! Destination behaviour beyond plain queues and topics: consumers on
//! wildcard queues (`FOO.>`, `FOO.*`), which ActiveMQ adds to every matching
//! queue including ones created later; the prioritizedMessages policy; and
//! the advisories about messages that destination policies turn on; and
//! retained messages for retroactive topic consumers.

use crate::tests::{connect, send, sub};
use crate::*;
use std::sync::Arc;

#[test]
fn a_wildcard_queue_consumer_takes_from_existing_and_later_queues() {
    let b = Broker::in_memory();
    let p = connect(&b, None);
    send(&b, &p, &Destination::queue("orders.eu"), "eu-before");
    send(&b, &p, &Destination::queue("other"), "not-mine");
    let mut c = connect(&b, None);
    sub(&b, &c, &Destination::queue("orders.>"), 100);
    assert_eq!(c.bodies(), ["eu-before"]);
    // A queue created after the consumer subscribed.
    send(&b, &p, &Destination::queue("orders.us"), "us");
    send(&b, &p, &Destination::queue("orders.eu"), "eu");
    send(&b, &p, &Destination::queue("orders"), "bare");
    assert_eq!(c.bodies(), ["us", "eu", "bare"], "`X.>` matches X itself");
    assert_eq!(b.queue_depth(&Destination::queue("other")), 1);
}

#[test]
fn one_segment_wildcard_matches_one_segment_only() {
    let b = Broker::in_memory();
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    sub(&b, &c, &Destination::queue("a.*.c"), 100);
    send(&b, &p, &Destination::queue("a.b.c"), "yes");
    send(&b, &p, &Destination::queue("a.b.b.c"), "no");
    assert_eq!(c.bodies(), ["yes"]);
}

#[test]
fn acks_and_prefetch_span_every_matching_queue() {
    let b = Broker::in_memory();
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &Destination::queue("q.>"), 1);
    send(&b, &p, &Destination::queue("q.a"), "a");
    send(&b, &p, &Destination::queue("q.b"), "b");
    let got = c.deliveries();
    assert_eq!(got.len(), 1, "one prefetch for all its queues");
    b.ack(cid, Ack::Individual(got[0].message.id.clone()), None)
        .expect("ack");
    let next = c.deliveries();
    assert_eq!(next.len(), 1, "the ack made room for the other queue's");
    b.ack(cid, Ack::Individual(next[0].message.id.clone()), None)
        .expect("ack");
    assert_eq!(b.queue_depth(&Destination::queue("q.a")), 0);
    assert_eq!(b.queue_depth(&Destination::queue("q.b")), 0);
}

#[test]
fn closing_a_wildcard_consumer_returns_each_message_to_its_own_queue() {
    let b = Broker::in_memory();
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &Destination::queue("q.>"), 10);
    send(&b, &p, &Destination::queue("q.a"), "a");
    send(&b, &p, &Destination::queue("q.b"), "b");
    assert_eq!(c.bodies().len(), 2);
    assert!(b.unsubscribe(cid));
    let mut a = connect(&b, None);
    sub(&b, &a, &Destination::queue("q.a"), 10);
    let got = a.deliveries();
    assert_eq!(got.len(), 1);
    assert_eq!(crate::tests::text(&got[0].message), "a");
    assert_eq!(got[0].redelivery_count, 1);
    assert_eq!(b.queue_depth(&Destination::queue("q.b")), 1);
}

#[test]
fn a_wildcard_consumer_shares_a_queue_with_its_plain_consumers() {
    let b = Broker::in_memory();
    let p = connect(&b, None);
    let mut wild = connect(&b, None);
    let mut plain = connect(&b, None);
    sub(&b, &plain, &Destination::queue("q.a"), 10);
    sub(&b, &wild, &Destination::queue("q.>"), 10);
    for i in 0..4 {
        send(&b, &p, &Destination::queue("q.a"), &i.to_string());
    }
    assert_eq!(plain.bodies(), ["0", "2"]);
    assert_eq!(wild.bodies(), ["1", "3"]);
}

fn with_priority(dest: &Destination, body: &str, priority: u8) -> Message {
    let mut m = crate::tests::msg(dest, body);
    m.priority = priority;
    m
}

#[test]
fn prioritized_messages_come_out_highest_priority_first_fifo_within() {
    let b = Broker::new(
        BrokerConfig {
            prioritized_messages: vec![Destination::queue("prio.>")],
            ..BrokerConfig::default()
        },
        Box::new(store::MemoryStore::default()),
    );
    let p = connect(&b, None);
    for q in ["prio.a", "fifo.a"] {
        let q = Destination::queue(q);
        for (body, prio) in [("low", 1), ("high", 9), ("mid", 5), ("high2", 9)] {
            b.send(p.id, with_priority(&q, body, prio), None)
                .expect("send");
        }
        let mut c = connect(&b, None);
        sub(&b, &c, &q, 10);
        let want: &[&str] = if q.name.starts_with("prio") {
            &["high", "high2", "mid", "low"]
        } else {
            &["low", "high", "mid", "high2"]
        };
        assert_eq!(c.bodies(), want, "{q}");
    }
}

#[test]
fn delivered_and_consumed_advisories_only_where_the_policy_asks() {
    let b = Broker::new(
        BrokerConfig {
            advisory_for_delivery: vec![Destination::queue("adv.>")],
            advisory_for_consumed: vec![Destination::queue("adv.>")],
            ..BrokerConfig::default()
        },
        Box::new(store::MemoryStore::default()),
    );
    let mut watcher = connect(&b, None);
    for kind in ["MessageDelivered", "MessageConsumed"] {
        for q in ["adv.q", "plain"] {
            let topic = advisory::advisory_topic(kind, &Destination::queue(q));
            sub(&b, &watcher, &topic, 100);
        }
    }
    let p = connect(&b, None);
    send(&b, &p, &Destination::queue("plain"), "untracked");
    send(&b, &p, &Destination::queue("adv.q"), "tracked");
    let delivered = watcher.deliveries();
    assert_eq!(delivered.len(), 1);
    let adv = &delivered[0].message;
    assert_eq!(
        adv.destination.name.as_ref(),
        "ActiveMQ.Advisory.MessageDelivered.Queue.adv.q"
    );
    assert_eq!(adv.message_type.as_deref(), Some("Advisory"));
    let Some(message::Subject::Message(subject)) = adv.subject.as_ref() else {
        panic!("an advisory about a message carries it");
    };
    assert_eq!(
        adv.property("orignalMessageId"),
        Some(&Value::String(Arc::from(subject.id.as_str())))
    );
    let mut c = connect(&b, None);
    let cid = sub(&b, &c, &Destination::queue("adv.q"), 10);
    let got = c.deliveries();
    assert!(watcher.deliveries().is_empty(), "not consumed until acked");
    b.ack(cid, Ack::Individual(got[0].message.id.clone()), None)
        .expect("ack");
    let consumed = watcher.deliveries();
    assert_eq!(consumed.len(), 1);
    assert_eq!(
        consumed[0].message.destination.name.as_ref(),
        "ActiveMQ.Advisory.MessageConsumed.Queue.adv.q"
    );
}

#[test]
fn a_topic_subscriber_past_its_prefetch_is_announced_slow_once() {
    let t = Destination::topic("adv.t");
    let b = Broker::new(
        BrokerConfig {
            advisory_for_slow_consumers: vec![t.clone()],
            ..BrokerConfig::default()
        },
        Box::new(store::MemoryStore::default()),
    );
    let mut watcher = connect(&b, None);
    sub(
        &b,
        &watcher,
        &advisory::advisory_topic("SlowConsumer", &t),
        100,
    );
    let lazy = connect(&b, None);
    let mut req = SubscribeRequest::new(t.clone());
    req.prefetch = 2;
    req.label = Some("ID:lazy:1:1:1".into());
    b.subscribe(lazy.id, req).expect("subscribe");
    let p = connect(&b, None);
    for i in 0..4 {
        send(&b, &p, &t, &i.to_string());
    }
    assert!(
        watcher.deliveries().is_empty(),
        "2 waiting: not past its prefetch"
    );
    for i in 4..8 {
        send(&b, &p, &t, &i.to_string());
    }
    let got = watcher.deliveries();
    assert_eq!(got.len(), 1, "announced once");
    assert_eq!(
        got[0].message.property("consumerId"),
        Some(&Value::String(Arc::from("ID:lazy:1:1:1")))
    );
}

#[test]
fn a_retroactive_subscriber_starts_with_the_retained_message() {
    let b = Broker::in_memory();
    let t = Destination::topic("t");
    let p = connect(&b, None);
    let mut kept = crate::tests::msg(&t, "kept");
    kept.properties
        .push((Arc::from("ActiveMQ.Retain"), Value::Bool(true)));
    b.send(p.id, kept, None).expect("send");
    send(&b, &p, &t, "not kept");
    let mut plain = connect(&b, None);
    sub(&b, &plain, &t, 10);
    let mut retro = connect(&b, None);
    let mut req = SubscribeRequest::new(Destination::topic("t"));
    req.retroactive = true;
    b.subscribe(retro.id, req).expect("subscribe");
    let got = retro.deliveries();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].message.property("ActiveMQ.Retained"),
        Some(&Value::Bool(true))
    );
    assert!(got[0].message.property("ActiveMQ.Retain").is_none());
    assert!(plain.deliveries().is_empty());
}
