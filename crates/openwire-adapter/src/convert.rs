//! OpenWire ⇄ core translation: destinations, ids, messages.
//!
//! An OpenWire message keeps its exact wire form in the core message's
//! `native` field, so an OpenWire consumer gets every field back as the
//! producer sent it; the typed fields serve the other protocols.

use std::sync::Arc;

use broker::message::Subject;
use broker::{Body, Destination, DestinationKind, Message, MessageId, Native, Value};
use bytes::Bytes;
use openwire::primitive::{
    inflate, inflate_bytes_message, read_map, read_text, write_map, write_text, Primitive,
    PrimitiveMap,
};
use openwire::{DataStructure, OwString};

/// The core destination an OpenWire destination names.
pub fn destination(ds: &DataStructure) -> Option<Destination> {
    let (kind, name) = match ds {
        DataStructure::Queue(d) => (DestinationKind::Queue, &d.physical_name),
        DataStructure::Topic(d) => (DestinationKind::Topic, &d.physical_name),
        DataStructure::TempQueue(d) => (DestinationKind::TempQueue, &d.physical_name),
        DataStructure::TempTopic(d) => (DestinationKind::TempTopic, &d.physical_name),
        _ => return None,
    };
    Some(Destination::new(kind, name.as_ref()?.to_string_lossy()))
}

/// The OpenWire form of a core destination.
pub fn wire_destination(d: &Destination) -> DataStructure {
    let physical_name = Some(OwString::from(&*d.name));
    match d.kind {
        DestinationKind::Queue => DataStructure::Queue(Arc::new(openwire::Queue { physical_name })),
        DestinationKind::Topic => DataStructure::Topic(Arc::new(openwire::Topic { physical_name })),
        DestinationKind::TempQueue => {
            DataStructure::TempQueue(Arc::new(openwire::TempQueue { physical_name }))
        }
        DestinationKind::TempTopic => {
            DataStructure::TempTopic(Arc::new(openwire::TempTopic { physical_name }))
        }
    }
}

fn text(s: &Option<OwString>) -> String {
    s.as_ref()
        .map(OwString::to_string_lossy)
        .unwrap_or_default()
}

/// ActiveMQ's string form of an id structure (`ProducerId.toString()` etc.).
/// The XATransactionId that [`id_string`] named `s`, for XA RECOVER.
pub fn xid_from_string(s: &str) -> Option<DataStructure> {
    let inner = s.strip_prefix("XID:[")?.strip_suffix(']')?;
    let mut parts = inner.splitn(3, ',');
    let format_id: i32 = parts.next()?.parse().ok()?;
    let unhex = |h: &str| -> Option<Bytes> {
        if !h.len().is_multiple_of(2) {
            return None;
        }
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()
            .map(Bytes::from)
    };
    let global = unhex(parts.next()?.strip_prefix("globalId=")?)?;
    let branch = unhex(parts.next()?.strip_prefix("branchId=")?)?;
    Some(DataStructure::XaTransactionId(Arc::new(
        openwire::XaTransactionId {
            format_id,
            global_transaction_id: Some(global),
            branch_qualifier: Some(branch),
        },
    )))
}

pub fn id_string(ds: &DataStructure) -> String {
    match ds {
        DataStructure::ProducerId(p) => {
            format!("{}:{}:{}", text(&p.connection_id), p.session_id, p.value)
        }
        DataStructure::ConsumerId(c) => {
            format!("{}:{}:{}", text(&c.connection_id), c.session_id, c.value)
        }
        DataStructure::SessionId(s) => format!("{}:{}", text(&s.connection_id), s.value),
        DataStructure::ConnectionId(c) => text(&c.value),
        DataStructure::MessageId(m) => match (&m.text_view, &m.producer_id) {
            (Some(t), _) => t.to_string_lossy(),
            (None, Some(p)) => format!("{}:{}", id_string(p), m.producer_sequence_id),
            (None, None) => format!(":{}", m.producer_sequence_id),
        },
        DataStructure::LocalTransactionId(t) => format!(
            "TX:{}:{}",
            t.connection_id.as_ref().map(id_string).unwrap_or_default(),
            t.value
        ),
        DataStructure::XaTransactionId(x) => {
            let hex = |b: &Option<Bytes>| {
                b.as_deref()
                    .unwrap_or(&[])
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            };
            format!(
                "XID:[{},globalId={},branchId={}]",
                x.format_id,
                hex(&x.global_transaction_id),
                hex(&x.branch_qualifier)
            )
        }
        DataStructure::BrokerId(b) => text(&b.value),
        other => format!("{other:?}"),
    }
}

fn value_of(p: &Primitive) -> Option<Value> {
    Some(match p {
        Primitive::Bool(v) => Value::Bool(*v),
        Primitive::Byte(v) => Value::Byte(*v),
        Primitive::Short(v) => Value::Short(*v),
        Primitive::Int(v) => Value::Int(*v),
        Primitive::Long(v) => Value::Long(*v),
        Primitive::Float(v) => Value::Float(*v),
        Primitive::Double(v) => Value::Double(*v),
        Primitive::String(s) => Value::String(Arc::from(s.to_string_lossy())),
        Primitive::Bytes(b) => Value::Bytes(b.clone()),
        Primitive::Char(c) => Value::String(Arc::from(
            char::from_u32(*c as u32).unwrap_or('\u{fffd}').to_string(),
        )),
        Primitive::Null | Primitive::Map(_) | Primitive::List(_) => return None,
    })
}

fn primitive_of(v: &Value) -> Primitive {
    match v {
        Value::Bool(v) => Primitive::Bool(*v),
        Value::Byte(v) => Primitive::Byte(*v),
        Value::Short(v) => Primitive::Short(*v),
        Value::Int(v) => Primitive::Int(*v),
        Value::Long(v) => Primitive::Long(*v),
        Value::Float(v) => Primitive::Float(*v),
        Value::Double(v) => Primitive::Double(*v),
        Value::String(s) => Primitive::String(OwString::from(&**s)),
        Value::Bytes(b) => Primitive::Bytes(b.clone()),
    }
}

/// A producer's message as the core holds it.
///
/// # Errors
/// Unreadable properties or body, or a message without a destination.
pub fn to_core(kind: u8, m: &Arc<openwire::Message>) -> Result<Message, String> {
    let dest = m
        .destination
        .as_ref()
        .and_then(destination)
        .ok_or("message without a destination")?;
    let id = m.message_id.as_ref().map(id_string).unwrap_or_default();
    let body = match (kind, &m.content) {
        (_, None) => Body::Empty,
        (28, Some(c)) => {
            let raw = if m.compressed {
                inflate(c, 100 << 20).map_err(|e| e.to_string())?
            } else {
                c.clone()
            };
            match read_text(&raw).map_err(|e| e.to_string())? {
                Some(t) => Body::Text(Arc::from(t)),
                None => Body::Empty,
            }
        }
        (24, Some(c)) => Body::Bytes(if m.compressed {
            inflate_bytes_message(c, 100 << 20).map_err(|e| e.to_string())?
        } else {
            c.clone()
        }),
        (k, Some(c)) => Body::Opaque {
            kind: k,
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
        if let Some(map) = read_map(p).map_err(|e| e.to_string())? {
            for (k, v) in &map.0 {
                if let Some(v) = value_of(v) {
                    out.properties.push((Arc::from(k.to_string_lossy()), v));
                }
            }
        }
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
pub fn to_wire(m: &Message, redelivery_count: u32) -> DataStructure {
    let (kind, mut msg) = wire_parts(m, redelivery_count);
    match &m.subject {
        Some(Subject::Message(subject)) => {
            // As ActiveMQ's advisories (includeBodyForAdvisory is off by
            // default): the subject without its body.
            let (kind, mut about) = wire_parts(subject, 0);
            about.content = None;
            msg.data_structure = Some(DataStructure::message(kind, Arc::new(about)));
        }
        Some(Subject::Consumer(info)) => {
            msg.data_structure = info.downcast::<DataStructure>().cloned();
        }
        None => {}
    }
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
        Body::Empty => 23,
        Body::Text(t) => {
            let mut out = Vec::new();
            if write_text(Some(t), &mut out).is_ok() {
                msg.content = Some(Bytes::from(out));
            }
            28
        }
        Body::Bytes(b) => {
            msg.content = Some(b.clone());
            24
        }
        Body::Opaque { kind, data } => {
            msg.content = Some(data.clone());
            *kind
        }
    };
    (kind, msg)
}

/// The OpenWire MessageId for an id string, parsed as ActiveMQ's
/// `MessageId(String)` does (`<producer id>:<sequence>`, the producer id
/// `<connection id>:<session>:<value>`): the Java client hashes the
/// producer id (duplicate suppression on a rollback), so it must be there,
/// and before OpenWire 10 it is all there is.
pub fn wire_message_id(id: &str) -> DataStructure {
    let mut mid = openwire::MessageId {
        text_view: Some(OwString::from(id)),
        ..Default::default()
    };
    let (producer, seq) = match id.rsplit_once(':') {
        Some((p, s)) => match s.parse::<i64>() {
            Ok(seq) => (p, seq),
            Err(_) => (id, 0),
        },
        None => (id, 0),
    };
    mid.producer_sequence_id = seq;
    let mut pid = openwire::ProducerId {
        connection_id: Some(OwString::from(producer)),
        ..Default::default()
    };
    if let Some((rest, value)) = producer.rsplit_once(':') {
        if let Ok(value) = value.parse::<i64>() {
            pid.value = value;
            pid.connection_id = Some(OwString::from(rest));
            if let Some((conn, session)) = rest.rsplit_once(':') {
                if let Ok(session) = session.parse::<i64>() {
                    pid.session_id = session;
                    pid.connection_id = Some(OwString::from(conn));
                }
            }
        }
    }
    mid.producer_id = Some(DataStructure::ProducerId(Arc::new(pid)));
    DataStructure::MessageId(Arc::new(mid))
}

pub fn marshal_properties(properties: &[(Arc<str>, Value)]) -> Option<Bytes> {
    if properties.is_empty() {
        return None;
    }
    let mut map = PrimitiveMap::default();
    for (k, v) in properties {
        map.insert(OwString::from(&**k), primitive_of(v));
    }
    let mut out = Vec::new();
    write_map(&map, &mut out).ok()?;
    Some(Bytes::from(out))
}

/// An advisory message, shaped as ActiveMQ's advisory broker sends it: an
/// ActiveMQMessage of type `Advisory` whose data structure says what
/// happened (a DestinationInfo, ConsumerInfo, ProducerInfo, ConnectionInfo,
/// or a RemoveInfo naming what went away).
pub fn advisory(topic: &Destination, data: DataStructure) -> Arc<Message> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as i64;
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
        timestamp: broker::now_millis(),
        ..Default::default()
    };
    let mut m = Message::new(MessageId::from(id), topic.clone(), Body::Empty);
    m.timestamp = wire.timestamp;
    m.message_type = Some(Arc::from("Advisory"));
    m.native = Some(Native(Arc::new(WireMessage {
        kind: 23,
        message: Arc::new(wire),
        properties: 0,
    })));
    Arc::new(m)
}

pub use broker::advisory::advisory_topic;

/// A DestinationInfo saying a temporary destination was added (0) or removed (1).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_sent_with_their_producer_id_parsed_out() {
        let id = "ID:host-1234-5-2:7:3:9:42";
        let DataStructure::MessageId(m) = wire_message_id(id) else {
            panic!("not a message id");
        };
        assert_eq!(m.producer_sequence_id, 42);
        let Some(DataStructure::ProducerId(p)) = &m.producer_id else {
            panic!("no producer id");
        };
        assert_eq!(p.value, 9);
        assert_eq!(p.session_id, 3);
        assert_eq!(text(&p.connection_id), "ID:host-1234-5-2:7");
        assert_eq!(id_string(&DataStructure::MessageId(m.clone())), id);
        // Whatever the shape, there is a producer id to hash.
        let DataStructure::MessageId(odd) = wire_message_id("not-an-activemq-id") else {
            panic!("not a message id");
        };
        assert!(odd.producer_id.is_some());
    }
}
