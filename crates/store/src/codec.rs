//! The core's [`Message`] as the journal stores it.
//!
//! The store keeps the protocol-neutral form, so a message sent over STOMP
//! and stored survives a restart and is delivered over either protocol. A
//! message's protocol-native form (`Message::native`) is not stored; after a
//! restart the protocol handler rebuilds its frame from these fields.

use std::sync::Arc;

use bytes::Bytes;
use model::{Body, Destination, DestinationKind, Message, MessageId, Value};

use crate::bin_io::{
    put_bytes, put_i64, put_opt_str, put_str, put_u32, put_u8, Cursor, DecodeError,
};

/// Bumped when the layout below changes; recovery refuses what it does not know.
const VERSION: u8 = 1;
/// Version 1 followed by the broker path (a count, then the broker ids).
/// Written only for a message that came over a network of brokers, so
/// every other record stays byte-for-byte version 1.
const VERSION_WITH_PATH: u8 = 2;

pub fn encode_message(m: &Message, out: &mut Vec<u8>) {
    let path = m.broker_path.as_deref().filter(|p| !p.is_empty());
    put_u8(
        out,
        if path.is_some() {
            VERSION_WITH_PATH
        } else {
            VERSION
        },
    );
    put_str(out, m.id.as_str());
    put_destination(out, &m.destination);
    put_u8(out, u8::from(m.persistent));
    put_u8(out, m.priority);
    put_i64(out, m.timestamp);
    put_i64(out, m.expiration);
    put_opt_str(out, m.correlation_id.as_deref());
    put_opt_destination(out, m.reply_to.as_ref());
    put_opt_destination(out, m.original_destination.as_ref());
    put_opt_str(out, m.message_type.as_deref());
    put_u32(out, m.properties.len() as u32);
    for (name, value) in &m.properties {
        put_str(out, name);
        put_value(out, value);
    }
    match &m.body {
        Body::Empty => put_u8(out, 0),
        Body::Text(t) => {
            put_u8(out, 1);
            put_str(out, t);
        }
        Body::Bytes(b) => {
            put_u8(out, 2);
            put_bytes(out, b);
        }
        Body::Opaque { kind, data } => {
            put_u8(out, 3);
            put_u8(out, *kind);
            put_bytes(out, data);
        }
    }
    if let Some(path) = path {
        put_u32(out, path.len() as u32);
        for broker in path {
            put_str(out, broker);
        }
    }
}

/// # Errors
/// [`DecodeError`] if `c` does not hold a message of a known version.
pub fn decode_message(c: &mut Cursor<'_>) -> Result<Message, DecodeError> {
    let version = c.u8()?;
    if version != VERSION && version != VERSION_WITH_PATH {
        return Err(DecodeError("unknown message version"));
    }
    let id = MessageId(c.arc_str()?);
    let destination = destination(c)?;
    let mut m = Message::new(id, destination, Body::Empty);
    m.persistent = c.u8()? != 0;
    m.priority = c.u8()?;
    m.timestamp = c.i64()?;
    m.expiration = c.i64()?;
    m.correlation_id = c.opt_arc_str()?;
    m.reply_to = opt_destination(c)?;
    m.original_destination = opt_destination(c)?;
    m.message_type = c.opt_arc_str()?;
    let n = c.u32()? as usize;
    // Each property takes at least 5 bytes: a count beyond the record is corruption.
    let mut properties = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        let name = c.arc_str()?;
        properties.push((name, value(c)?));
    }
    m.properties = properties;
    m.body = match c.u8()? {
        0 => Body::Empty,
        1 => Body::Text(c.arc_str()?),
        2 => Body::Bytes(Bytes::copy_from_slice(c.bytes()?)),
        3 => {
            let kind = c.u8()?;
            Body::Opaque {
                kind,
                data: Bytes::copy_from_slice(c.bytes()?),
            }
        }
        _ => return Err(DecodeError("bad body tag")),
    };
    if version == VERSION_WITH_PATH {
        let n = c.u32()? as usize;
        // Each id takes at least 4 bytes: a count beyond the record is corruption.
        let mut path = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            path.push(c.arc_str()?);
        }
        m.broker_path = Some(Arc::from(path));
    }
    Ok(m)
}

pub fn put_destination(out: &mut Vec<u8>, d: &Destination) {
    put_u8(
        out,
        match d.kind {
            DestinationKind::Queue => 0,
            DestinationKind::Topic => 1,
            DestinationKind::TempQueue => 2,
            DestinationKind::TempTopic => 3,
        },
    );
    put_str(out, &d.name);
}

fn put_opt_destination(out: &mut Vec<u8>, d: Option<&Destination>) {
    match d {
        None => put_u8(out, 0),
        Some(d) => {
            put_u8(out, 1);
            put_destination(out, d);
        }
    }
}

pub fn destination(c: &mut Cursor<'_>) -> Result<Destination, DecodeError> {
    let kind = match c.u8()? {
        0 => DestinationKind::Queue,
        1 => DestinationKind::Topic,
        2 => DestinationKind::TempQueue,
        3 => DestinationKind::TempTopic,
        _ => return Err(DecodeError("bad destination kind")),
    };
    Ok(Destination::new(kind, c.arc_str()?))
}

fn opt_destination(c: &mut Cursor<'_>) -> Result<Option<Destination>, DecodeError> {
    match c.u8()? {
        0 => Ok(None),
        1 => destination(c).map(Some),
        _ => Err(DecodeError("bad option tag")),
    }
}

fn put_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Bool(b) => {
            put_u8(out, 0);
            put_u8(out, u8::from(*b));
        }
        Value::Byte(b) => {
            put_u8(out, 1);
            put_u8(out, *b as u8);
        }
        Value::Short(s) => {
            put_u8(out, 2);
            out.extend_from_slice(&s.to_le_bytes());
        }
        Value::Int(i) => {
            put_u8(out, 3);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Long(l) => {
            put_u8(out, 4);
            put_i64(out, *l);
        }
        Value::Float(f) => {
            put_u8(out, 5);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::Double(d) => {
            put_u8(out, 6);
            out.extend_from_slice(&d.to_bits().to_le_bytes());
        }
        Value::String(s) => {
            put_u8(out, 7);
            put_str(out, s);
        }
        Value::Bytes(b) => {
            put_u8(out, 8);
            put_bytes(out, b);
        }
    }
}

fn value(c: &mut Cursor<'_>) -> Result<Value, DecodeError> {
    Ok(match c.u8()? {
        0 => Value::Bool(c.u8()? != 0),
        1 => Value::Byte(c.u8()? as i8),
        2 => {
            let b = c.take(2)?;
            Value::Short(i16::from_le_bytes([b[0], b[1]]))
        }
        3 => Value::Int(c.u32()? as i32),
        4 => Value::Long(c.i64()?),
        5 => Value::Float(f32::from_bits(c.u32()?)),
        6 => Value::Double(f64::from_bits(c.u64()?)),
        7 => Value::String(c.arc_str()?),
        8 => Value::Bytes(Bytes::copy_from_slice(c.bytes()?)),
        _ => return Err(DecodeError("bad property type")),
    })
}

/// Shorthand used by tests and recovery.
pub fn message_from(bytes: &[u8]) -> Result<Arc<Message>, DecodeError> {
    decode_message(&mut Cursor::new(bytes)).map(Arc::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_message() -> Message {
        let mut m = Message::new(
            MessageId::from("ID:host-1:1:1:1:7"),
            Destination::queue("orders"),
            Body::Text(Arc::from("hello ☃")),
        );
        m.persistent = true;
        m.priority = 7;
        m.timestamp = 1_700_000_000_123;
        m.expiration = 1_700_000_060_000;
        m.correlation_id = Some(Arc::from("corr"));
        m.reply_to = Some(Destination::new(DestinationKind::TempQueue, "ID:x:1:1"));
        m.original_destination = Some(Destination::topic("t"));
        m.message_type = Some(Arc::from("type"));
        m.properties = vec![
            (Arc::from("b"), Value::Bool(true)),
            (Arc::from("y"), Value::Byte(-3)),
            (Arc::from("s"), Value::Short(-300)),
            (Arc::from("i"), Value::Int(-70000)),
            (Arc::from("l"), Value::Long(i64::MIN)),
            (Arc::from("f"), Value::Float(1.5)),
            (Arc::from("d"), Value::Double(-2.25)),
            (Arc::from("str"), Value::String(Arc::from("v"))),
            (
                Arc::from("raw"),
                Value::Bytes(Bytes::from_static(b"\x00\x01")),
            ),
        ];
        m
    }

    #[test]
    fn every_field_round_trips() {
        for body in [
            Body::Empty,
            Body::Text(Arc::from("t")),
            Body::Bytes(Bytes::from_static(b"\xff\x00")),
            Body::Opaque {
                kind: 5,
                data: Bytes::from_static(b"map"),
            },
        ] {
            let mut m = full_message();
            m.body = body;
            let mut out = Vec::new();
            encode_message(&m, &mut out);
            assert_eq!(*message_from(&out).unwrap(), m);
        }
    }

    #[test]
    fn a_broker_path_round_trips_and_its_absence_keeps_version_one() {
        let mut m = full_message();
        let mut plain = Vec::new();
        encode_message(&m, &mut plain);
        assert_eq!(plain[0], VERSION, "records without a path are unchanged");
        m.broker_path = Some(Arc::from(vec![
            Arc::from("ID:a-1:1"),
            Arc::from("ID:b-2:1"),
        ]));
        let mut out = Vec::new();
        encode_message(&m, &mut out);
        assert_eq!(out[0], VERSION_WITH_PATH);
        assert_eq!(*message_from(&out).unwrap(), m);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let mut m = full_message();
        m.broker_path = Some(Arc::from(vec![Arc::from("ID:a-1:1")]));
        let mut out = Vec::new();
        encode_message(&m, &mut out);
        for cut in 0..out.len() {
            assert!(message_from(&out[..cut]).is_err(), "cut at {cut}");
        }
    }

    proptest::proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = message_from(&bytes);
        }
    }
}
