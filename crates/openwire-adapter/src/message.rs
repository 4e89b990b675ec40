//! Messages: a producer's OpenWire message ⇄ the core's [`Message`].

use std::sync::Arc;

use bytes::Bytes;
use model::{Body, Message, MessageId, Native, Subject, Value};
use openwire::primitive::{inflate, inflate_bytes_message, read_text, write_text};
use openwire::{DataStructure, DataType, OwString};

use crate::advisory::{broker_path, path_of, subject_data};
use crate::destination::{destination, wire_destination};
use crate::ids::{id_string, wire_message_id};
use crate::properties::{marshal_properties, unmarshal_properties};
use crate::ConvertError;

/// The largest body a compressed message may inflate to: a bound on what
/// a client can make the broker allocate.
const MAX_INFLATED: usize = 100 << 20;

/// A producer's message as the core holds it.
///
/// # Errors
/// Unreadable properties or body, or a message without a destination.
pub fn to_core(kind: u8, m: &Arc<openwire::Message>) -> Result<Message, ConvertError> {
    let dest = m
        .destination
        .as_ref()
        .and_then(destination)
        .ok_or(ConvertError::NoDestination)?;
    let id = m.message_id.as_ref().map(id_string).unwrap_or_default();
    let body = match (DataType::from_code(kind), &m.content) {
        (_, None) => Body::Empty,
        (Some(DataType::TextMessage), Some(c)) => {
            let raw = if m.compressed {
                inflate(c, MAX_INFLATED)?
            } else {
                c.clone()
            };
            match read_text(&raw)? {
                Some(t) => Body::Text(Arc::from(t)),
                None => Body::Empty,
            }
        }
        (Some(DataType::BytesMessage), Some(c)) => Body::Bytes(if m.compressed {
            inflate_bytes_message(c, MAX_INFLATED)?
        } else {
            c.clone()
        }),
        // Map, object and stream bodies stay as sent: only OpenWire
        // consumers read them.
        (_, Some(c)) => Body::Opaque {
            kind,
            data: c.clone(),
        },
    };
    let mut out = Message::new(MessageId::from(id), dest, body);
    out.persistent = m.persistent;
    out.priority = m.priority.clamp(0, 9) as u8;
    out.timestamp = m.timestamp;
    out.expiration = m.expiration;
    out.correlation_id = m
        .correlation_id
        .as_ref()
        .map(|c| Arc::from(c.to_string_lossy()));
    out.reply_to = m.reply_to.as_ref().and_then(destination);
    out.message_type = m
        .message_type
        .as_ref()
        .map(|t| Arc::from(t.to_string_lossy()));
    if let Some(p) = &m.marshalled_properties {
        out.properties = unmarshal_properties(p)?;
    }
    // Message groups travel as fields in OpenWire and as JMSX properties in
    // the core (and STOMP), where dispatch and selectors look for them.
    if let Some(g) = &m.group_id {
        if out.property("JMSXGroupID").is_none() {
            out.properties.push((
                Arc::from("JMSXGroupID"),
                Value::String(Arc::from(g.to_string_lossy())),
            ));
            out.properties
                .push((Arc::from("JMSXGroupSeq"), Value::Int(m.group_sequence)));
        }
    }
    let path = path_of(&m.broker_path);
    out.broker_path = (!path.is_empty()).then(|| Arc::from(path));
    out.native = Some(Native(Arc::new(WireMessage {
        kind,
        message: Arc::clone(m),
        properties: out.properties.len(),
    })));
    Ok(out)
}

/// The exact OpenWire message a producer sent.
pub struct WireMessage {
    pub kind: u8,
    pub message: Arc<openwire::Message>,
    /// How many properties the core saw when it took the message: if the
    /// core added some since (dead-lettering adds the failure cause), the
    /// wire properties are rebuilt from the core's.
    pub properties: usize,
}

/// The core flags the first message of a group a consumer receives with a
/// property; OpenWire (v10+) has a field for it.
fn first_of_group(m: &Message) -> bool {
    matches!(
        m.property("JMSXGroupFirstForConsumer"),
        Some(Value::Bool(true))
    )
}

/// The OpenWire message a consumer receives for a core message.
pub fn to_wire(m: &Message, redelivery_count: u32, broker_seq: u64) -> DataStructure {
    let (kind, mut msg) = wire_parts(m, redelivery_count);
    // The delivery's sequence (core `Delivery::seq`): the client reports
    // the last one its application saw when it closes a consumer.
    if let Some(DataStructure::MessageId(id)) = &mut msg.message_id {
        Arc::make_mut(id).broker_sequence_id = i64::try_from(broker_seq).unwrap_or(i64::MAX);
    }
    msg.data_structure = match &m.subject {
        Some(Subject::Message(about)) => {
            // As ActiveMQ's advisories (includeBodyForAdvisory is off by
            // default): the subject without its body.
            let (kind, mut about) = wire_parts(about, 0);
            about.content = None;
            Some(DataStructure::message(kind, Arc::new(about)))
        }
        Some(subject) => subject_data(subject),
        None => None,
    };
    DataStructure::message(kind, Arc::new(msg))
}

/// The OpenWire form of a message: its command type and fields.
fn wire_parts(m: &Message, redelivery_count: u32) -> (u8, openwire::Message) {
    let dest = wire_destination(&m.destination);
    if let Some(w) = m.native.as_ref().and_then(|n| n.downcast::<WireMessage>()) {
        let mut msg = (*w.message).clone();
        msg.destination = Some(dest);
        msg.redelivery_counter = redelivery_count as i32;
        // The core may have changed these (a DLQ move clears the expiry).
        msg.expiration = m.expiration;
        msg.jmsx_group_first_for_consumer = first_of_group(m);
        msg.original_destination = m.original_destination.as_ref().map(wire_destination);
        msg.transaction_id = None;
        msg.broker_path = broker_path(m.broker_path.as_deref().unwrap_or_default());
        if m.properties.len() != w.properties {
            msg.marshalled_properties = marshal_properties(&m.properties);
        }
        return (w.kind, msg);
    }
    let mut msg = openwire::Message {
        destination: Some(dest),
        message_id: Some(wire_message_id(m.id.as_str())),
        persistent: m.persistent,
        priority: m.priority as i8,
        timestamp: m.timestamp,
        expiration: m.expiration,
        correlation_id: m.correlation_id.as_deref().map(OwString::from),
        reply_to: m.reply_to.as_ref().map(wire_destination),
        message_type: m.message_type.as_deref().map(OwString::from),
        original_destination: m.original_destination.as_ref().map(wire_destination),
        redelivery_counter: redelivery_count as i32,
        broker_path: broker_path(m.broker_path.as_deref().unwrap_or_default()),
        ..Default::default()
    };
    msg.jmsx_group_first_for_consumer = first_of_group(m);
    let mut props = m.properties.clone();
    props.retain(|(k, _)| &**k != "JMSXGroupFirstForConsumer");
    if let Some(pos) = props.iter().position(|(k, _)| &**k == "JMSXGroupID") {
        let (_, g) = props.remove(pos);
        msg.group_id = Some(OwString::from(g.to_header_string().as_str()));
    }
    if let Some(pos) = props.iter().position(|(k, _)| &**k == "JMSXGroupSeq") {
        let (_, seq) = props.remove(pos);
        msg.group_sequence = seq.to_header_string().trim().parse().unwrap_or(0);
    }
    msg.marshalled_properties = marshal_properties(&props);
    let kind = match &m.body {
        Body::Empty => DataType::ActiveMqMessage.code(),
        Body::Text(t) => {
            let mut out = Vec::new();
            if write_text(Some(t), &mut out).is_ok() {
                msg.content = Some(Bytes::from(out));
            }
            DataType::TextMessage.code()
        }
        Body::Bytes(b) => {
            msg.content = Some(b.clone());
            DataType::BytesMessage.code()
        }
        Body::Opaque { kind, data } => {
            msg.content = Some(data.clone());
            *kind
        }
    };
    (kind, msg)
}
