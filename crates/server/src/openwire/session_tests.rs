//! OpenWire protocol rules, driven without sockets.

use super::*;
use openwire::ack_type;
use tokio::sync::mpsc;

fn text(v: &str) -> Option<OwString> {
    Some(OwString::from(v))
}

fn session(broker: &Arc<Broker>) -> Session {
    let (tx, _rx) = mpsc::unbounded_channel();
    // The receiver is dropped: deliveries are not looked at here.
    Session::new(Arc::clone(broker), tx)
}

fn connection_info(id: i32, client_id: &str) -> DataStructure {
    DataStructure::ConnectionInfo(Arc::new(openwire::ConnectionInfo {
        command_id: id,
        response_required: true,
        connection_id: Some(DataStructure::ConnectionId(Arc::new(
            openwire::ConnectionId {
                value: text("ID:test-1"),
            },
        ))),
        client_id: text(client_id),
        ..Default::default()
    }))
}

fn consumer_info(id: i32, session: i64) -> DataStructure {
    DataStructure::ConsumerInfo(Arc::new(openwire::ConsumerInfo {
        command_id: id,
        response_required: true,
        consumer_id: Some(DataStructure::ConsumerId(Arc::new(openwire::ConsumerId {
            connection_id: text("ID:test-1"),
            session_id: session,
            value: 1,
        }))),
        destination: Some(DataStructure::Queue(Arc::new(openwire::Queue {
            physical_name: text("q"),
        }))),
        prefetch_size: 10,
        ..Default::default()
    }))
}

/// The exception class of the only reply, or "Response".
fn reply(s: &mut Session) -> String {
    let out: Vec<DataStructure> = s.out.drain(..).collect();
    assert_eq!(out.len(), 1, "{out:?}");
    match &out[0] {
        DataStructure::Response(_) => "Response".into(),
        DataStructure::ExceptionResponse(e) => e
            .exception
            .as_ref()
            .and_then(|t| t.class.as_ref())
            .map(OwString::to_string_lossy)
            .unwrap_or_default(),
        other => other.name().into(),
    }
}

#[test]
fn commands_before_connection_info_get_an_exception_response() {
    let b = Arc::new(Broker::in_memory());
    let mut s = session(&b);
    s.on_command(consumer_info(1, -1));
    assert_eq!(reply(&mut s), "javax.jms.IllegalStateException");
    s.on_command(connection_info(2, "c1"));
    assert_eq!(reply(&mut s), "Response");
}

#[test]
fn a_duplicate_client_id_gets_invalid_client_id_exception() {
    let b = Arc::new(Broker::in_memory());
    let mut first = session(&b);
    first.on_command(connection_info(1, "same"));
    assert_eq!(reply(&mut first), "Response");
    let mut second = session(&b);
    second.on_command(connection_info(1, "same"));
    assert_eq!(reply(&mut second), "javax.jms.InvalidClientIDException");
    assert!(
        !second.closing,
        "an error is a response, not a dropped connection"
    );
}

#[test]
fn consumers_of_unknown_sessions_are_refused() {
    let b = Arc::new(Broker::in_memory());
    let mut s = session(&b);
    s.on_command(connection_info(1, "c"));
    reply(&mut s);
    s.on_command(consumer_info(2, 7));
    assert_eq!(reply(&mut s), "java.lang.IllegalStateException");
    s.on_command(DataStructure::SessionInfo(Arc::new(
        openwire::SessionInfo {
            command_id: 3,
            response_required: true,
            session_id: Some(DataStructure::SessionId(Arc::new(openwire::SessionId {
                connection_id: text("ID:test-1"),
                value: 7,
            }))),
        },
    )));
    assert_eq!(reply(&mut s), "Response");
    s.on_command(consumer_info(4, 7));
    assert_eq!(reply(&mut s), "Response");
}

#[test]
fn acks_and_removals_of_unknown_consumers_are_harmless() {
    let b = Arc::new(Broker::in_memory());
    let mut s = session(&b);
    s.on_command(connection_info(1, "c"));
    reply(&mut s);
    let ghost = DataStructure::ConsumerId(Arc::new(openwire::ConsumerId {
        connection_id: text("ID:test-1"),
        session_id: 1,
        value: 99,
    }));
    s.on_command(DataStructure::MessageAck(Arc::new(openwire::MessageAck {
        command_id: 2,
        response_required: true,
        consumer_id: Some(ghost.clone()),
        ack_type: ack_type::STANDARD,
        ..Default::default()
    })));
    assert_eq!(reply(&mut s), "Response");
    s.on_command(DataStructure::RemoveInfo(Arc::new(openwire::RemoveInfo {
        command_id: 3,
        response_required: true,
        object_id: Some(ghost),
        ..Default::default()
    })));
    assert_eq!(reply(&mut s), "Response");
}

#[test]
fn unsupported_commands_get_an_exception_not_a_crash() {
    let b = Arc::new(Broker::in_memory());
    let mut s = session(&b);
    s.on_command(connection_info(1, "c"));
    reply(&mut s);
    s.on_command(DataStructure::ControlCommand(Arc::new(
        openwire::ControlCommand {
            command_id: 2,
            response_required: true,
            command: text("shutdown"),
        },
    )));
    assert_eq!(reply(&mut s), "java.io.IOException");
}

#[test]
fn every_ack_type_has_its_effect() {
    // (ack type, whether the message is gone from the queue afterwards)
    let cases = [
        (ack_type::DELIVERED, false),
        (ack_type::POISON, true),
        (ack_type::STANDARD, true),
        (ack_type::REDELIVERED, false),
        (ack_type::INDIVIDUAL, true),
        (ack_type::UNMATCHED, true),
        (ack_type::EXPIRED, true),
    ];
    for (ack, consumed) in cases {
        let b = Arc::new(Broker::in_memory());
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut s = Session::new(Arc::clone(&b), tx);
        s.on_command(connection_info(1, "c"));
        s.on_command(consumer_info(2, -1));
        s.out.clear();
        let (ptx, _prx) = mpsc::unbounded_channel();
        let producer = b.connect(Default::default(), ptx).expect("producer");
        let q = broker::Destination::queue("q");
        let m = broker::Message::new("ID:m-1".into(), q.clone(), broker::Body::Empty);
        b.send(producer, m, None).expect("send");
        while let Ok(ev) = rx.try_recv() {
            s.on_event(ev);
        }
        let dispatch = s.out.drain(..).next().expect("a dispatch");
        let DataStructure::MessageDispatch(d) = dispatch else {
            panic!("not a dispatch")
        };
        let id = match d.message.as_ref() {
            Some(DataStructure::ActiveMqMessage(m)) => m.message_id.clone(),
            other => panic!("{other:?}"),
        };
        s.on_command(DataStructure::MessageAck(Arc::new(openwire::MessageAck {
            command_id: 3,
            consumer_id: d.consumer_id.clone(),
            ack_type: ack,
            first_message_id: id.clone(),
            last_message_id: id,
            message_count: 1,
            ..Default::default()
        })));
        s.close();
        assert_eq!(b.queue_depth(&q), usize::from(!consumed), "ack type {ack}");
    }
}
