//! Advisory messages, shaped as ActiveMQ's advisory broker sends them, and
//! the structures they carry.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use model::{Body, Destination, Message, MessageId, Native};
use openwire::{DataStructure, DataType, OwString};

use crate::destination::wire_destination;
use crate::message::WireMessage;

pub use broker::advisory::advisory_topic;

/// An advisory message, shaped as ActiveMQ's advisory broker sends it: an
/// ActiveMQMessage of type `Advisory` whose data structure says what
/// happened (a DestinationInfo, ConsumerInfo, ProducerInfo, ConnectionInfo,
/// or a RemoveInfo naming what went away).
pub fn advisory(topic: &Destination, data: DataStructure) -> Arc<Message> {
    static SEQ: AtomicU64 = AtomicU64::new(1);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed) as i64;
    let id = format!("ID:ferrum-advisory:1:1:{seq}");
    let wire = openwire::Message {
        destination: Some(wire_destination(topic)),
        message_id: Some(DataStructure::MessageId(Arc::new(openwire::MessageId {
            text_view: Some(OwString::from(id.as_str())),
            producer_sequence_id: seq,
            ..Default::default()
        }))),
        message_type: Some(OwString::from("Advisory")),
        data_structure: Some(data),
        timestamp: model::now_millis(),
        ..Default::default()
    };
    let mut m = Message::new(MessageId::from(id), topic.clone(), Body::Empty);
    m.timestamp = wire.timestamp;
    m.message_type = Some(Arc::from("Advisory"));
    m.native = Some(Native(Arc::new(WireMessage {
        kind: DataType::ActiveMqMessage.code(),
        message: Arc::new(wire),
        properties: 0,
    })));
    Arc::new(m)
}

/// A DestinationInfo saying a temporary destination was added or removed
/// (`operation`: [`openwire::destination_operation`]).
pub fn destination_info(dest: &Destination, operation: i8) -> DataStructure {
    DataStructure::DestinationInfo(Arc::new(openwire::DestinationInfo {
        destination: Some(wire_destination(dest)),
        operation_type: operation,
        ..Default::default()
    }))
}

/// A RemoveInfo naming what went away.
pub fn remove_info(object: DataStructure) -> DataStructure {
    DataStructure::RemoveInfo(Arc::new(openwire::RemoveInfo {
        object_id: Some(object),
        ..Default::default()
    }))
}
