//! Connections and consumers ending, and queues appearing, while messages
//! are in flight: the cases the simulator (tests/sim) found wrong, pinned
//! one by one.

use std::sync::Arc;

use crate::tests::{connect, send, sub};
use crate::*;

/// Found by the simulator (tests/sim, seed 3126): a disconnect rolled its
/// transaction back before closing its consumers, so an acked message whose
/// consumer was already gone went back to the queue and straight out to
/// another consumer of the dying connection, returning a second time with
/// its redelivery count raised twice.
#[test]
fn disconnect_counts_a_rolled_back_ack_as_one_redelivery() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    let first = sub(&b, &c, &q, 10);
    send(&b, &p, &q, "a");
    let d = c.deliveries();
    let tx = TxId(Arc::from("tx"));
    b.begin(c.id, tx.clone()).expect("begin");
    b.ack(first, Ack::Individual(d[0].message.id.clone()), Some(&tx))
        .expect("ack");
    b.unsubscribe(first);
    // A second consumer of the same connection, with room for "a".
    sub(&b, &c, &q, 10);
    b.disconnect(c.id);
    let mut again = connect(&b, None);
    sub(&b, &again, &q, 10);
    let d = again.deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].redelivery_count, 1,
        "delivered once before, so once redelivered"
    );
}

/// The same with two consumers and no transaction: what the first hands
/// back on disconnect must not go out to the second, closing next.
#[test]
fn disconnect_counts_each_unacked_message_as_one_redelivery() {
    let b = Broker::in_memory();
    let q = Destination::queue("q");
    let p = connect(&b, None);
    let mut c = connect(&b, None);
    sub(&b, &c, &q, 1);
    sub(&b, &c, &q, 10);
    send(&b, &p, &q, "a");
    assert_eq!(c.deliveries().len(), 1);
    b.disconnect(c.id);
    let mut again = connect(&b, None);
    sub(&b, &again, &q, 10);
    let d = again.deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].redelivery_count, 1);
}

/// Found by the simulator (tests/sim with temporary queues, seed 5197): a
/// deleted temporary queue closed its consumers one by one with its buffer
/// still in place, so what the first handed back was dispatched to the
/// next, about to be closed: a delivery from a destination already gone.
#[test]
fn a_deleted_temporary_queue_delivers_nothing_more() {
    let b = Broker::in_memory();
    let owner = connect(&b, None);
    let mut listener = connect(&b, None);
    let tq = b
        .create_temporary(owner.id, DestinationKind::TempQueue)
        .expect("temp");
    sub(&b, &listener, &tq, 10);
    sub(&b, &listener, &tq, 10);
    send(&b, &owner, &tq, "m");
    assert_eq!(listener.bodies(), ["m"]);
    b.disconnect(owner.id);
    let mut events = Vec::new();
    while let Ok(e) = listener.rx.try_recv() {
        events.push(e);
    }
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| matches!(e, Event::ConsumerClosed { .. })),
        "{events:?}"
    );
    assert_eq!(b.stats().inflight_messages, 0);
    assert_eq!(b.stats().memory_bytes, 0);
}

/// Found by the simulator (tests/sim, seed 12223): the owner's own
/// consumer of its temporary queue, closed on disconnect before the queue
/// was deleted, handed its unacked message back, and it went out to a
/// consumer on another connection just before that one was closed too.
#[test]
fn a_disconnect_delivers_nothing_from_its_dying_temporary_queues() {
    let b = Broker::in_memory();
    let mut owner = connect(&b, None);
    let mut listener = connect(&b, None);
    let tq = b
        .create_temporary(owner.id, DestinationKind::TempQueue)
        .expect("temp");
    sub(&b, &owner, &tq, 10);
    send(&b, &owner, &tq, "m");
    assert_eq!(owner.bodies(), ["m"]);
    sub(&b, &listener, &tq, 10);
    b.disconnect(owner.id);
    let mut events = Vec::new();
    while let Ok(e) = listener.rx.try_recv() {
        events.push(e);
    }
    assert!(
        matches!(events.as_slice(), [Event::ConsumerClosed { .. }]),
        "{events:?}"
    );
    assert_eq!(b.stats().inflight_messages, 0);
    assert_eq!(b.stats().memory_bytes, 0);
}

/// Found by the simulator (tests/sim, seed 73057): a queue created after
/// several wildcard consumers subscribed attached them in hash-map order,
/// so the exclusive one that receives (the first attached) was not the
/// oldest, and round-robin order was arbitrary.
#[test]
fn wildcard_consumers_join_a_new_queue_in_subscription_order() {
    let b = Broker::in_memory();
    let p = connect(&b, None);
    let mut clients = Vec::new();
    for _ in 0..8 {
        let c = connect(&b, None);
        let mut req = SubscribeRequest::new(Destination::queue("w.>"));
        req.exclusive = true;
        b.subscribe(c.id, req).expect("sub");
        clients.push(c);
    }
    send(&b, &p, &Destination::queue("w.new"), "m");
    let got: Vec<usize> = clients
        .iter_mut()
        .map(|c| c.deliveries().len())
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(got, [0], "the oldest exclusive consumer receives");
}
