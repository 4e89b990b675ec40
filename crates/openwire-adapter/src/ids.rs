//! Ids: ActiveMQ's string forms of its id structures (producer, consumer,
//! session, connection, message, transaction ids), and back.
//!
//! The core names messages, consumers and transactions by these strings,
//! exactly as ActiveMQ's `toString()` prints them, so ids survive a trip
//! through the core (and the store) and come out as the client sent them.

use std::sync::Arc;

use bytes::Bytes;
use openwire::{DataStructure, OwString};

fn text(s: &Option<OwString>) -> String {
    s.as_ref()
        .map(OwString::to_string_lossy)
        .unwrap_or_default()
}

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

/// ActiveMQ's string form of an id structure (`ProducerId.toString()` etc.).
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

    #[test]
    fn xa_transaction_ids_survive_their_string_form() {
        let xid = DataStructure::XaTransactionId(Arc::new(openwire::XaTransactionId {
            format_id: 7,
            global_transaction_id: Some(Bytes::from_static(&[0x01, 0xab])),
            branch_qualifier: Some(Bytes::from_static(&[0xff])),
        }));
        let s = id_string(&xid);
        assert_eq!(s, "XID:[7,globalId=01ab,branchId=ff]");
        assert_eq!(xid_from_string(&s), Some(xid));
        assert_eq!(xid_from_string("XID:[7,globalId=0,branchId=ff]"), None);
    }
}
