//! JMS and ActiveMQ semantics of the core, driven through the public API:
//! selectors, composite and virtual destinations, expiry to the DLQ,
//! message groups, the individual DLQ strategy and consumer priority.

use std::sync::Arc;

use crate::tests::{connect, msg, send, sub, text, Client};
use crate::*;

fn with_prop(dest: &Destination, body: &str, name: &str, value: Value) -> Message {
    let mut m = msg(dest, body);
    m.properties.push((Arc::from(name), value));
    m
}

fn sub_sel(b: &Broker, c: &Client, dest: &Destination, selector: &str) -> ConsumerId {
    let mut req = SubscribeRequest::new(dest.clone());
    req.selector = Some(selector.to_string());
    b.subscribe(c.id, req).expect("subscribe")
}

#[test]
fn queue_consumers_get_only_what_their_selector_selects() {
    let b = Broker::in_memory();
    let q = Destination::queue("sel");
    let p = connect(&b, None);
    let mut red = connect(&b, None);
    let mut big = connect(&b, None);
    sub_sel(&b, &red, &q, "color = 'red'");
    sub_sel(&b, &big, &q, "size > 10");
    for (body, color, size) in [
        ("r1", "red", 1),
        ("b1", "blue", 20),
        ("g1", "green", 2),
        ("r2", "red", 30),
    ] {
        let mut m = with_prop(&q, body, "color", Value::String(Arc::from(color)));
        m.properties.push((Arc::from("size"), Value::Int(size)));
        b.send(p.id, m, None).unwrap();
    }
    let r = red.bodies();
    let g = big.bodies();
    assert!(
        r.contains(&"r1".to_string()) && !r.contains(&"b1".to_string()),
        "{r:?}"
    );
    assert!(
        g.contains(&"b1".to_string()) && !g.contains(&"r1".to_string()),
        "{g:?}"
    );
    assert_eq!(r.len() + g.len(), 3, "r2 goes to one of them, g1 to nobody");
    // The unselected message waits for a consumer that wants it.
    assert_eq!(b.queue_depth(&q), 1);
    let mut any = connect(&b, None);
    sub(&b, &any, &q, 10);
    assert_eq!(any.bodies(), vec!["g1"]);
}

#[test]
fn topic_subscribers_receive_only_selected_messages_and_jms_headers_work() {
    let b = Broker::in_memory();
    let t = Destination::topic("news");
    let p = connect(&b, None);
    let mut hi = connect(&b, None);
    sub_sel(
        &b,
        &hi,
        &t,
        "JMSPriority > 6 AND JMSDeliveryMode = 'NON_PERSISTENT'",
    );
    let mut low = msg(&t, "low");
    low.priority = 1;
    let mut high = msg(&t, "high");
    high.priority = 9;
    b.send(p.id, low, None).unwrap();
    b.send(p.id, high, None).unwrap();
    assert_eq!(hi.bodies(), vec!["high"]);
}

#[test]
fn an_invalid_selector_fails_the_subscription() {
    let b = Broker::in_memory();
    let c = connect(&b, None);
    let mut req = SubscribeRequest::new(Destination::queue("q"));
    req.selector = Some("color = ".into());
    match b.subscribe(c.id, req) {
        Err(BrokerError::InvalidSelector(why)) => assert!(why.contains("color ="), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(b.stats().consumers, 0);
}

#[test]
fn a_composite_destination_reaches_each_part() {
    let b = Broker::in_memory();
    let p = connect(&b, None);
    let mut qa = connect(&b, None);
    let mut tb = connect(&b, None);
    sub(&b, &qa, &Destination::queue("A"), 10);
    sub(&b, &tb, &Destination::topic("B"), 10);
    b.send(p.id, msg(&Destination::queue("A,topic://B,C"), "hi"), None)
        .unwrap();
    assert_eq!(qa.bodies(), vec!["hi"]);
    assert_eq!(tb.bodies(), vec!["hi"]);
    assert_eq!(b.queue_depth(&Destination::queue("C")), 1);
}

#[test]
fn a_virtual_topic_feeds_its_consumer_queues() {
    let b = Broker::in_memory();
    let p = connect(&b, None);
    let mut a1 = connect(&b, None);
    let mut a2 = connect(&b, None);
    let mut other = connect(&b, None);
    let qa = Destination::queue("Consumer.A.VirtualTopic.Orders");
    sub(&b, &a1, &qa, 10);
    sub(&b, &a2, &qa, 10);
    sub(
        &b,
        &other,
        &Destination::queue("Consumer.B.VirtualTopic.Orders"),
        10,
    );
    let mut plain = connect(&b, None);
    sub(&b, &plain, &Destination::topic("VirtualTopic.Orders"), 10);
    for i in 0..4 {
        send(
            &b,
            &p,
            &Destination::topic("VirtualTopic.Orders"),
            &format!("o{i}"),
        );
    }
    // Queue semantics within a consumer group, topic semantics across them.
    assert_eq!(a1.bodies().len() + a2.bodies().len(), 4);
    assert_eq!(other.bodies().len(), 4);
    assert_eq!(plain.bodies().len(), 4);
}

#[test]
fn expired_persistent_messages_go_to_the_dlq_and_non_persistent_ones_are_dropped() {
    let b = Broker::in_memory();
    let q = Destination::queue("exp");
    let p = connect(&b, None);
    for (body, persistent) in [("p", true), ("n", false)] {
        let mut m = msg(&q, body);
        m.persistent = persistent;
        m.expiration = 1; // long past
        b.send(p.id, m, None).unwrap();
    }
    let mut c = connect(&b, None);
    sub(&b, &c, &q, 10);
    assert!(
        c.bodies().is_empty(),
        "expired messages are never delivered"
    );
    let dlq = Destination::dead_letter_queue();
    let mut d = connect(&b, None);
    sub(&b, &d, &dlq, 10);
    let got = d.deliveries();
    assert_eq!(got.len(), 1);
    let m = &got[0].message;
    assert_eq!(text(m), "p");
    assert_eq!(m.expiration, 0, "it must not expire again in the DLQ");
    assert_eq!(m.property("originalExpiration"), Some(&Value::Long(1)));
    assert_eq!(
        m.property("dlqDeliveryFailureCause"),
        Some(&Value::String(Arc::from(
            "java.lang.Throwable: Message Expired. Expiration:1"
        )))
    );
    assert_eq!(m.original_destination.as_ref(), Some(&q));
}

#[test]
fn a_message_group_sticks_to_one_consumer_until_it_leaves_or_the_group_closes() {
    let b = Broker::in_memory();
    let q = Destination::queue("grp");
    let p = connect(&b, None);
    let mut c1 = connect(&b, None);
    let mut c2 = connect(&b, None);
    let k1 = sub(&b, &c1, &q, 100);
    sub(&b, &c2, &q, 100);
    let grouped = |body: &str, g: &str, seq: i32| {
        let mut m = with_prop(&q, body, "JMSXGroupID", Value::String(Arc::from(g)));
        m.properties
            .push((Arc::from("JMSXGroupSeq"), Value::Int(seq)));
        m
    };
    for i in 1..=3 {
        b.send(p.id, grouped(&format!("A{i}"), "A", i), None)
            .unwrap();
        b.send(p.id, grouped(&format!("B{i}"), "B", i), None)
            .unwrap();
    }
    let d1 = c1.deliveries();
    let d2 = c2.deliveries();
    let names = |d: &[Delivery]| d.iter().map(|d| text(&d.message)).collect::<Vec<_>>();
    assert_eq!(names(&d1), vec!["A1", "A2", "A3"]);
    assert_eq!(names(&d2), vec!["B1", "B2", "B3"]);
    assert_eq!(
        d1[0].message.property("JMSXGroupFirstForConsumer"),
        Some(&Value::Bool(true))
    );
    assert_eq!(d1[1].message.property("JMSXGroupFirstForConsumer"), None);
    // A's consumer leaves: its unacked messages and the group move to c2.
    b.unsubscribe(k1);
    let moved = c2.deliveries();
    assert_eq!(names(&moved), vec!["A1", "A2", "A3"]);
    b.send(p.id, grouped("A4", "A", 4), None).unwrap();
    assert_eq!(names(&c2.deliveries()), vec!["A4"]);
    // JMSXGroupSeq -1 closes the group: the next A may go anywhere.
    b.send(p.id, grouped("A5", "A", -1), None).unwrap();
    assert_eq!(names(&c2.deliveries()), vec!["A5"]);
    let mut c3 = connect(&b, None);
    sub(&b, &c3, &q, 100);
    b.send(p.id, grouped("A6", "A", 1), None).unwrap();
    let to3 = c3.deliveries().len();
    let to2 = c2.deliveries().len();
    assert_eq!(to3 + to2, 1);
}

#[test]
fn an_individual_dead_letter_strategy_gives_a_destination_its_own_dlq() {
    let config = BrokerConfig {
        individual_dead_letter: vec![Destination::queue("orders.>")],
        ..BrokerConfig::default()
    };
    let b = Broker::new(config, Box::new(MemoryStore::new()));
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    for q in ["orders.eu", "other"] {
        let dest = Destination::queue(q);
        let mut m = msg(&dest, q);
        m.persistent = true;
        b.send(p.id, m, None).unwrap();
        let consumer = sub(&b, &c, &dest, 10);
        let d = c.deliveries();
        b.ack(
            consumer,
            Ack::Poison {
                id: d[0].message.id.clone(),
                cause: None,
            },
            None,
        )
        .unwrap();
    }
    assert_eq!(
        b.queue_depth(&Destination::queue("ActiveMQ.DLQ.Queue.orders.eu")),
        1
    );
    assert_eq!(b.queue_depth(&Destination::dead_letter_queue()), 1);
}

#[test]
fn higher_priority_consumers_are_offered_messages_first() {
    let b = Broker::in_memory();
    let q = Destination::queue("prio");
    let p = connect(&b, None);
    let mut low = connect(&b, None);
    let mut high = connect(&b, None);
    let mut req = SubscribeRequest::new(q.clone());
    req.prefetch = 3;
    b.subscribe(low.id, req.clone()).unwrap();
    req.priority = 5;
    b.subscribe(high.id, req).unwrap();
    for i in 0..5 {
        send(&b, &p, &q, &format!("m{i}"));
    }
    // The high one fills its window first; the low one gets the rest.
    assert_eq!(high.bodies(), vec!["m0", "m1", "m2"]);
    assert_eq!(low.bodies(), vec!["m3", "m4"]);
}

#[test]
fn the_periodic_sweep_expires_messages_nobody_consumes() {
    let clock = ManualClock::new(1_000_000);
    let b = Broker::with_clock(
        BrokerConfig {
            expire_messages_period: std::time::Duration::from_millis(1),
            ..BrokerConfig::default()
        },
        Box::new(store::MemoryStore::default()),
        Arc::new(clock.clone()),
    );
    let q = Destination::queue("q");
    let p = connect(&b, None);
    for (body, persistent) in [("durable", true), ("fleeting", false)] {
        let mut m = msg(&q, body);
        m.persistent = persistent;
        m.expiration = clock.now_millis() + 20;
        b.send(p.id, m, None).expect("send");
    }
    send(&b, &p, &q, "lasting");
    clock.advance(std::time::Duration::from_millis(40));
    b.maintain();
    assert_eq!(b.queue_depth(&q), 1, "only the one without expiry waits");
    assert_eq!(
        b.queue_depth(&Destination::queue("ActiveMQ.DLQ")),
        1,
        "the persistent one went to the DLQ, the other was dropped"
    );
}

#[test]
fn held_scheduled_messages_count_against_the_memory_limit() {
    let b = Broker::new(
        BrokerConfig {
            scheduler_support: true,
            memory_limit: 16 * 1024,
            send_fail_if_no_space: true,
            ..BrokerConfig::default()
        },
        Box::new(store::MemoryStore::default()),
    );
    let q = Destination::queue("later");
    let p = connect(&b, None);
    let mut refused = None;
    for i in 0..100 {
        let mut m = msg(&q, &"x".repeat(1024));
        m.properties
            .push((Arc::from("AMQ_SCHEDULED_DELAY"), Value::Long(3_600_000)));
        if let Err(e) = b.send(p.id, m, None) {
            refused = Some((i, e));
            break;
        }
    }
    let Some((i, BrokerError::ResourceLimit(_))) = refused else {
        panic!("scheduled messages held in memory without limit: {refused:?}");
    };
    assert!(
        (10..=20).contains(&i),
        "refused after {i} messages of ~1 KiB"
    );
}

#[test]
fn a_no_local_subscriber_with_a_selector_gets_only_selected_foreign_messages() {
    let b = Broker::in_memory();
    let t = Destination::topic("t");
    let mut c = connect(&b, None);
    let mut req = SubscribeRequest::new(t.clone());
    req.no_local = true;
    req.selector = Some("color = 'red'".into());
    b.subscribe(c.id, req).expect("subscribe");
    let other = connect(&b, None);
    for color in ["red", "blue"] {
        let m = with_prop(&t, color, "color", Value::String(Arc::from(color)));
        b.send(other.id, m, None).expect("send");
    }
    let own = with_prop(&t, "own", "color", Value::String(Arc::from("red")));
    b.send(c.id, own, None).expect("send");
    assert_eq!(c.bodies(), ["red"]);
}

/// Known limitation, found by the simulator's stall invariant (tests/sim,
/// seed 23 before that invariant exempted this case): paging in stops once a
/// queue holds half its memory limit in memory, even when nothing in
/// memory is selected by the consumers that have room. A selected message
/// paged out behind them then waits until someone takes the unselected
/// ones — forever, if an exclusive consumer with a selector shuts the
/// others out. ActiveMQ's store cursor is believed to behave alike (a
/// page of non-matching messages starves selector consumers; not checked
/// here). A fix means paging past the memory bound to scan for selected
/// messages: a design decision, left open.
#[test]
#[ignore = "known limitation: selected messages paged out behind unselected ones stall"]
fn a_selected_message_paged_out_behind_unselected_ones_is_still_delivered() {
    let config = BrokerConfig {
        destination_memory_limit: 2_000,
        ..BrokerConfig::default()
    };
    let b = Broker::new(config, Box::new(MemoryStore::new()));
    let q = Destination::queue("sel-paged");
    let p = connect(&b, None);
    for (i, color) in ["blue", "blue", "blue", "blue", "blue", "red"]
        .iter()
        .enumerate()
    {
        let body = format!("{color}{i}{}", "x".repeat(300));
        let mut m = with_prop(&q, &body, "color", Value::String(Arc::from(*color)));
        m.persistent = true;
        b.send(p.id, m, None).unwrap();
    }
    let mut red = connect(&b, None);
    sub_sel(&b, &red, &q, "color = 'red'");
    assert_eq!(red.deliveries().len(), 1, "the red message is delivered");
}

/// Found by the simulator (tests/sim, seed 58168): a message of a group
/// pinned to a consumer that does not select it waits; when a later
/// message closes the group (JMSXGroupSeq -1), the waiting one is free for
/// any consumer — but the dispatch pass had already passed it over, so it
/// waited until something else touched the queue.
#[test]
fn closing_a_group_releases_its_waiting_messages_at_once() {
    let b = Broker::in_memory();
    let q = Destination::queue("grp-close");
    let p = connect(&b, None);
    let grouped = |body: &str, color: &str, seq: i32| {
        let mut m = with_prop(&q, body, "JMSXGroupID", Value::String(Arc::from("g")));
        m.properties
            .push((Arc::from("JMSXGroupSeq"), Value::Int(seq)));
        m.properties
            .push((Arc::from("color"), Value::String(Arc::from(color))));
        m
    };
    let mut red = connect(&b, None);
    sub_sel(&b, &red, &q, "color = 'red'");
    b.send(p.id, grouped("r1", "red", 1), None).unwrap();
    // Pinned to the red consumer, which does not select it: it waits.
    b.send(p.id, grouped("b2", "blue", 2), None).unwrap();
    let mut any = connect(&b, None);
    sub(&b, &any, &q, 10);
    assert!(any.bodies().is_empty(), "b2 waits for its group's owner");
    b.send(p.id, grouped("r3", "red", -1), None).unwrap();
    assert_eq!(red.bodies(), vec!["r1", "r3"]);
    assert_eq!(
        any.bodies(),
        vec!["b2"],
        "the closed group no longer holds b2"
    );
}

#[test]
fn a_queue_browser_sees_only_what_its_selector_selects() {
    let b = Broker::in_memory();
    let q = Destination::queue("browse-sel");
    let p = connect(&b, None);
    for color in ["red", "blue", "red"] {
        let m = with_prop(&q, color, "color", Value::String(Arc::from(color)));
        b.send(p.id, m, None).expect("send");
    }
    let seen = b
        .browse_selected(&q, Some("color = 'red'"))
        .expect("browse");
    assert_eq!(seen.len(), 2);
    assert_eq!(b.browse_selected(&q, None).expect("browse").len(), 3);
    assert!(matches!(
        b.browse_selected(&q, Some("color =")),
        Err(BrokerError::InvalidSelector(_))
    ));
    assert_eq!(b.queue_depth(&q), 3, "browsing leaves messages in place");
}
