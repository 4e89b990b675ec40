//! Broker events about clients, whatever their protocol: demand watchers,
//! advisories about connections, consumers, producers and temporary
//! destinations, composite consumers split by the core.

use std::sync::Arc;

use crate::tests::{connect, send, sub, Client};
use crate::*;

fn advisories(c: &mut Client) -> Vec<Arc<Message>> {
    c.deliveries().into_iter().map(|d| d.message).collect()
}

fn int_prop(m: &Message, name: &str) -> Option<i32> {
    match m.property(name) {
        Some(Value::Int(n)) => Some(*n),
        _ => None,
    }
}

#[test]
fn a_demand_watcher_sees_current_interest_then_every_change() {
    let b = Broker::in_memory();
    let c = connect(&b, None);
    let first = sub(&b, &c, &Destination::queue("orders"), 10);
    let (now, mut changes) = b.watch_demand();
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].destination, Destination::queue("orders"));
    assert_eq!(now[0].consumer, first);

    let mut req = SubscribeRequest::new(Destination::queue("a,topic://b"));
    req.selector = Some("n > 1".into());
    req.priority = 3;
    req.network = Network {
        subscription: true,
        broker_path: vec![Arc::from("ID:peer-1:1")],
        consumer_path: Vec::new(),
    };
    let composite = b.subscribe(c.id, req).expect("subscribe");
    let added: Vec<_> = std::iter::from_fn(|| changes.try_recv().ok()).collect();
    let parts: Vec<_> = added
        .iter()
        .map(|e| match e {
            DemandEvent::Added(i) => {
                assert_eq!(i.consumer, composite);
                assert_eq!(i.selector.as_deref(), Some("n > 1"));
                assert_eq!(i.priority, 3);
                assert!(i.network.subscription);
                assert_eq!(i.network.broker_path, vec![Arc::<str>::from("ID:peer-1:1")]);
                i.destination.clone()
            }
            other => panic!("expected an addition, got {other:?}"),
        })
        .collect();
    assert_eq!(
        parts,
        vec![Destination::queue("a"), Destination::topic("b")]
    );

    b.unsubscribe(first);
    match changes.try_recv() {
        Ok(DemandEvent::Removed(i)) => assert_eq!(i.consumer, first),
        other => panic!("expected a removal, got {other:?}"),
    }
    assert_eq!(b.demand().len(), 2);
    b.disconnect(c.id);
    let removed = std::iter::from_fn(|| changes.try_recv().ok()).count();
    assert_eq!(removed, 2);
    assert!(b.demand().is_empty());
}

#[test]
fn a_composite_consumer_takes_from_every_part_within_one_window() {
    let b = Broker::in_memory();
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let id = sub(&b, &c, &Destination::queue("a,queue://b,topic://t"), 2);
    send(&b, &p, &Destination::queue("a"), "a1");
    send(&b, &p, &Destination::topic("t"), "t1");
    send(&b, &p, &Destination::queue("b"), "b1");
    let got = c.deliveries();
    assert!(got.iter().all(|d| d.consumer == id));
    assert_eq!(got.len(), 2, "one prefetch window across the parts");
    for d in got {
        b.ack(id, Ack::Individual(d.message.id.clone()), None)
            .expect("ack");
    }
    assert_eq!(c.bodies(), vec!["b1"]);
}

#[test]
fn a_consumer_of_any_protocol_is_announced_with_its_count_and_origin() {
    let b = Broker::new(
        BrokerConfig {
            name: "east".into(),
            url: Some("tcp://east:61616".into()),
            ..BrokerConfig::default()
        },
        Box::new(MemoryStore::new()),
    );
    let mut watcher = connect(&b, None);
    sub(
        &b,
        &watcher,
        &Destination::topic("ActiveMQ.Advisory.Consumer.Queue.x"),
        100,
    );
    let c = connect(&b, None);
    let id = sub(&b, &c, &Destination::queue("x"), 10);
    let adv = advisories(&mut watcher);
    assert_eq!(adv.len(), 1);
    let m = &adv[0];
    assert_eq!(m.message_type.as_deref(), Some("Advisory"));
    assert!(!m.persistent);
    assert_eq!(int_prop(m, "consumerCount"), Some(1));
    assert_eq!(
        m.property("originBrokerName"),
        Some(&Value::String(Arc::from("east")))
    );
    assert_eq!(
        m.property("originBrokerURL"),
        Some(&Value::String(Arc::from("tcp://east:61616")))
    );
    let Some(Subject::Consumer { consumer, removed }) = &m.subject else {
        panic!("a consumer advisory is about the consumer");
    };
    assert!(!removed);
    // Made up as ActiveMQ names a STOMP consumer: <connection>:-1:<n>.
    assert!(consumer.id.starts_with("ID:east-"), "{}", consumer.id);
    assert!(consumer.id.ends_with(":-1:1"), "{}", consumer.id);
    assert!(consumer.id.starts_with(&*consumer.connection));

    b.unsubscribe(id);
    let adv = advisories(&mut watcher);
    assert_eq!(int_prop(&adv[0], "consumerCount"), Some(0));
    assert!(matches!(
        adv[0].subject,
        Some(Subject::Consumer { removed: true, .. })
    ));
}

#[test]
fn a_new_advisory_subscriber_is_told_what_exists_and_only_it() {
    let b = Broker::in_memory();
    let owner = connect(&b, None);
    let temp = b
        .create_temporary(owner.id, DestinationKind::TempQueue)
        .expect("temp");
    let c = connect(&b, None);
    sub(&b, &c, &Destination::queue("q"), 10);
    b.add_producer(
        c.id,
        ProducerRequest {
            destination: Destination::queue("q"),
            label: None,
            native: None,
        },
    )
    .expect("producer");

    let mut early = connect(&b, None);
    sub(
        &b,
        &early,
        &Destination::topic("ActiveMQ.Advisory.TempQueue"),
        100,
    );
    let mut late = connect(&b, None);
    sub(&b, &late, &Destination::topic("ActiveMQ.Advisory.>"), 100);

    let told = advisories(&mut early);
    assert_eq!(told.len(), 1);
    assert!(matches!(
        &told[0].subject,
        Some(Subject::Destination { destination, removed: false, .. }) if *destination == temp
    ));
    // The wildcard subscriber hears of every kind; the early one hears
    // nothing more about it.
    let kinds: Vec<&str> = advisories(&mut late)
        .iter()
        .map(|m| match &m.subject {
            Some(Subject::Connection { .. }) => "connection",
            Some(Subject::Consumer { .. }) => "consumer",
            Some(Subject::Producer { .. }) => "producer",
            Some(Subject::Destination { .. }) => "temp",
            _ => "other",
        })
        .collect();
    for kind in ["connection", "consumer", "producer", "temp"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    assert!(advisories(&mut early).is_empty());
}

#[test]
fn a_temporary_destination_going_with_its_connection_is_announced() {
    let b = Broker::in_memory();
    let mut watcher = connect(&b, None);
    sub(
        &b,
        &watcher,
        &Destination::topic("ActiveMQ.Advisory.TempTopic"),
        100,
    );
    let owner = connect(&b, None);
    b.create_temporary(owner.id, DestinationKind::TempTopic)
        .expect("temp");
    b.disconnect(owner.id);
    let removed: Vec<bool> = advisories(&mut watcher)
        .iter()
        .filter_map(|m| match m.subject {
            Some(Subject::Destination { removed, .. }) => Some(removed),
            _ => None,
        })
        .collect();
    assert_eq!(removed, vec![false, true]);
}

#[test]
fn advisory_subscribers_are_not_themselves_announced() {
    let b = Broker::in_memory();
    let mut watcher = connect(&b, None);
    sub(
        &b,
        &watcher,
        &Destination::topic("ActiveMQ.Advisory.Consumer.>"),
        100,
    );
    let c = connect(&b, None);
    sub(
        &b,
        &c,
        &Destination::topic("ActiveMQ.Advisory.Connection"),
        100,
    );
    assert!(advisories(&mut watcher).is_empty());
}
