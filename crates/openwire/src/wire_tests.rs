//! Regression tests for what fuzzing the decoder (`fuzz/`, target
//! `decode`) found. Frames are built by hand in the loose encoding, where
//! every field is plain bytes: a boolean is a byte, a cached field is
//! (fresh: bool, index: i16, then the nested structure when fresh), a
//! nested field is (present: bool, type byte, fields).

use std::sync::Arc;

use bytes::{BufMut, BytesMut};

use super::*;
use crate::codec::Codec;
use crate::schema::{ConnectionId, Message, Queue, TransactionInfo};

/// Loose, cached, size-prefixed v12.
fn loose_cached() -> WireFormat {
    WireFormat {
        cache: true,
        cache_size: 1024,
        ..WireFormat::initial(12)
    }
}

/// Puts a size prefix before `body`.
fn frame(body: &[u8]) -> BytesMut {
    let mut f = BytesMut::new();
    f.put_i32(body.len() as i32);
    f.put_slice(body);
    f
}

/// A cached field that refers to cache slot `index`.
fn hit(b: &mut BytesMut, index: i16) {
    b.put_u8(0);
    b.put_i16(index);
}

/// A cached field that stores a fresh `ConnectionId(value)` in slot `index`.
fn fresh_connection_id(b: &mut BytesMut, index: i16, value: &[u8]) {
    b.put_u8(1);
    b.put_i16(index);
    b.put_u8(1); // present
    b.put_u8(120); // ConnectionId
    b.put_u8(1); // value present
    b.put_u16(value.len() as u16);
    b.put_slice(value);
}

/// A RemoveInfo whose cached `object_id` is a fresh entry in slot `index`,
/// the entry's own fields written by `entry`.
fn remove_info(index: i16, entry: impl FnOnce(&mut BytesMut)) -> BytesMut {
    let mut b = BytesMut::new();
    b.put_u8(12); // RemoveInfo
    b.put_i32(1); // command_id
    b.put_u8(0); // response_required
    b.put_u8(1); // object_id: fresh
    b.put_i16(index);
    b.put_u8(1); // present
    entry(&mut b);
    b.put_i64(0); // last_delivered_sequence_id
    frame(&b)
}

/// Each cache entry is a MessageAck whose three cached fields are hits on
/// the previous entry, so entry n is a tree of 3^n structures (shared, but
/// walked in full by anything that encodes, hashes, compares or prints
/// it): a stream of 40-byte frames decoded to something no encoder could
/// finish.
#[test]
fn cache_hits_cannot_multiply_structures() {
    let mut codec = Codec::new(loose_cached());
    let mut buf = remove_info(0, |b| {
        b.put_u8(120);
        b.put_u8(1);
        b.put_u16(1);
        b.put_slice(b"a");
    });
    for n in 1..40i16 {
        buf.extend_from_slice(&remove_info(n, |b| {
            b.put_u8(22); // MessageAck
            b.put_i32(0); // command_id
            b.put_u8(0); // response_required
            hit(b, n - 1); // destination
            hit(b, n - 1); // transaction_id
            hit(b, n - 1); // consumer_id
            b.put_u8(0); // ack_type
            b.put_u8(0); // first_message_id: null
            b.put_u8(0); // last_message_id: null
            b.put_i32(0); // message_count
            b.put_u8(0); // poison_cause: null
        }));
    }
    let mut decoded = 0;
    let err = loop {
        match codec.read_frame(&mut buf) {
            Ok(Some(_)) => decoded += 1,
            Ok(None) => panic!("all 40 frames decoded"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, OpenWireError::Malformed(_)), "{err}");
    // The first levels (a handful of structures) are fine.
    assert!(decoded >= 4, "only {decoded} frames decoded");
}

/// Each cache entry is a LocalTransactionId whose cached connection id is
/// a hit on the previous entry: every frame is small, but the structure a
/// hit copies out gets one level deeper each time, past the nesting bound
/// (and, with enough frames, past the stack in clone, drop or encode).
#[test]
fn cache_hits_cannot_nest_deeper_than_the_bound() {
    let mut codec = Codec::new(loose_cached());
    let mut buf = remove_info(0, |b| {
        b.put_u8(120);
        b.put_u8(0); // value: null
    });
    for n in 1..200i16 {
        buf.extend_from_slice(&remove_info(n, |b| {
            b.put_u8(111); // LocalTransactionId
            b.put_i64(7); // value
            hit(b, n - 1); // connection_id
        }));
    }
    let mut decoded = 0;
    let err = loop {
        match codec.read_frame(&mut buf) {
            Ok(Some(_)) => decoded += 1,
            Ok(None) => panic!("all 200 frames decoded"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, OpenWireError::Malformed(_)), "{err}");
    assert_eq!(
        decoded as u32, MAX_DEPTH,
        "the entries up to the nesting bound decode"
    );
}

/// ActiveMQ's writer sends index -1 for a fresh value it could not cache
/// (cache full), and its reader then does not store it; so does ours (and
/// our writer does the same). Found by fuzzing: re-encoded frames with
/// more distinct values than cache slots failed to decode.
#[test]
fn fresh_value_with_index_minus_one_is_not_cached() {
    let mut codec = Codec::new(loose_cached());
    let mut b = BytesMut::new();
    b.put_u8(7); // TransactionInfo
    b.put_i32(1);
    b.put_u8(0);
    fresh_connection_id(&mut b, -1, b"c"); // connection_id
    b.put_u8(1); // transaction_id: fresh ...
    b.put_i16(-1); // ... not cached
    b.put_u8(0); // null
    b.put_u8(0); // kind
    let mut buf = frame(&b);
    let Some(Some(DataStructure::TransactionInfo(info))) = codec.read_frame(&mut buf).unwrap()
    else {
        panic!("not a TransactionInfo")
    };
    assert_eq!(
        info.connection_id,
        Some(DataStructure::ConnectionId(Arc::new(ConnectionId {
            value: Some("c".into())
        })))
    );
    assert!(codec.read_cache.iter().all(|s| s.value.is_none()));
    // A hit on -1 is still an error.
    let mut b = BytesMut::new();
    b.put_u8(7);
    b.put_i32(1);
    b.put_u8(0);
    hit(&mut b, -1);
    hit(&mut b, 0);
    b.put_u8(0);
    let mut buf = frame(&b);
    assert!(matches!(
        codec.read_frame(&mut buf),
        Err(OpenWireError::CacheIndex(-1))
    ));
}

#[test]
fn a_full_write_cache_round_trips() {
    let format = WireFormat {
        cache_size: 1,
        ..loose_cached()
    };
    for tight in [false, true] {
        let format = WireFormat { tight, ..format };
        let queue = |n: &str| {
            Some(DataStructure::Queue(Arc::new(Queue {
                physical_name: Some(n.into()),
            })))
        };
        let msg = DataStructure::TextMessage(Arc::new(Message {
            destination: queue("a"),
            original_destination: queue("b"),
            ..Message::default()
        }));
        let mut writer = Codec::new(format);
        let mut reader = Codec::new(format);
        let mut buf = BytesMut::new();
        for _ in 0..3 {
            writer.write_frame(Some(&msg), &mut buf).unwrap();
            assert_eq!(
                reader.read_frame(&mut buf).unwrap(),
                Some(Some(msg.clone()))
            );
        }
    }
}

/// Without a size prefix a frame is decoded again from the start each time
/// more bytes arrive. A fresh cache entry stored by an attempt that then
/// ran out of bytes must not be visible to the next attempt: here the
/// frame's first field is a hit on slot 0 and its second overwrites slot
/// 0, so a retry read the new value for the first field. Found by fuzzing
/// (a chunked feed decoded differently from a whole one).
#[test]
fn a_truncated_attempt_leaves_the_cache_alone() {
    let format = WireFormat {
        size_prefix: false,
        ..loose_cached()
    };
    let mut first = remove_info(0, |b| {
        b.put_u8(120);
        b.put_u8(1);
        b.put_u16(1);
        b.put_slice(b"a");
    });
    first.advance(4); // no size prefix
    let mut second = BytesMut::new();
    second.put_u8(7); // TransactionInfo
    second.put_i32(2);
    second.put_u8(0);
    hit(&mut second, 0); // connection_id: "a"
    fresh_connection_id(&mut second, 0, b"b"); // transaction_id: "b" into slot 0
    second.put_u8(0); // kind
    let mut codec = Codec::new(format);
    assert!(codec.read_frame(&mut first).unwrap().is_some());
    let mut buf = BytesMut::from(&second[..second.len() - 1]);
    assert_eq!(codec.read_frame(&mut buf).unwrap(), None);
    buf.put_u8(0);
    let id = |v: &str| {
        Some(DataStructure::ConnectionId(Arc::new(ConnectionId {
            value: Some(v.into()),
        })))
    };
    assert_eq!(
        codec.read_frame(&mut buf).unwrap(),
        Some(Some(DataStructure::TransactionInfo(Arc::new(
            TransactionInfo {
                command_id: 2,
                connection_id: id("a"),
                transaction_id: id("b"),
                ..TransactionInfo::default()
            }
        ))))
    );
}

/// A size prefix is the peer's claim, not data: with ActiveMQ's default
/// limit (`Long.MAX_VALUE`) a 4-byte header claiming 2 GiB made
/// `read_frame` reserve 2 GiB before a byte of the frame arrived. Found by
/// fuzzing with `-malloc_limit_mb=256` (OOM).
#[test]
fn a_claimed_frame_size_reserves_only_what_has_arrived() {
    let format = WireFormat {
        max_frame_size: u64::MAX,
        ..WireFormat::initial(12)
    };
    let mut codec = Codec::new(format);
    let mut buf = BytesMut::new();
    buf.put_i32(i32::MAX);
    buf.put_u8(10);
    assert_eq!(codec.read_frame(&mut buf).unwrap(), None);
    assert!(buf.capacity() <= 2 * RESERVE_STEP, "{}", buf.capacity());
    // Data arriving grows it as usual.
    buf.put_slice(&[0; 100_000]);
    assert_eq!(codec.read_frame(&mut buf).unwrap(), None);
    assert!(buf.capacity() <= 4 * 100_000, "{}", buf.capacity());
}

/// Without a size prefix the limit applies too: to a frame that decodes,
/// and to one that is still arriving as soon as it must exceed the limit
/// (before, the codec asked for more bytes for ever).
#[test]
fn max_frame_size_holds_without_a_size_prefix() {
    let format = WireFormat {
        size_prefix: false,
        max_frame_size: 64,
        ..WireFormat::initial(12)
    };
    // A PartialCommand: command_id, then data (present, i32 length).
    let partial = |len: i32| {
        let mut b = BytesMut::new();
        b.put_u8(60);
        b.put_i32(1);
        b.put_u8(1);
        b.put_i32(len);
        b
    };
    let mut buf = partial(10);
    assert_eq!(Codec::new(format).read_frame(&mut buf).unwrap(), None);
    buf.put_slice(&[0; 10]);
    assert!(Codec::new(format).read_frame(&mut buf).unwrap().is_some());
    let mut buf = partial(100);
    buf.put_slice(&[0; 100]);
    assert!(matches!(
        Codec::new(format).read_frame(&mut buf),
        Err(OpenWireError::FrameTooLarge { .. })
    ));
    let mut buf = partial(i32::MAX);
    assert!(matches!(
        Codec::new(format).read_frame(&mut buf),
        Err(OpenWireError::FrameTooLarge { .. })
    ));
}

/// The writer's cache, filled past its free space within single frames
/// and then reused: whatever it decides, the peer's reader must decode
/// exactly what was written.
#[test]
fn write_cache_overflow_and_eviction_round_trip() {
    use crate::schema::{DataArrayResponse, SessionId, SessionInfo};
    let session = |n: u64| {
        DataStructure::SessionInfo(Arc::new(SessionInfo {
            session_id: Some(DataStructure::SessionId(Arc::new(SessionId {
                connection_id: Some("c".into()),
                value: n as i64,
            }))),
            ..SessionInfo::default()
        }))
    };
    for tight in [false, true] {
        let format = WireFormat {
            tight,
            cache_size: 128,
            ..loose_cached()
        };
        let mut writer = Codec::new(format);
        let mut reader = Codec::new(format);
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for frame in 0..60 {
            let mut items = Vec::new();
            for _ in 0..(frame % 7) * 40 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                items.push(session(seed % 400));
            }
            let msg = DataStructure::DataArrayResponse(Arc::new(DataArrayResponse {
                data: Some(items),
                ..DataArrayResponse::default()
            }));
            let mut buf = BytesMut::new();
            writer.write_frame(Some(&msg), &mut buf).unwrap();
            assert_eq!(
                reader.read_frame(&mut buf).unwrap(),
                Some(Some(msg)),
                "frame {frame} (tight: {tight})"
            );
        }
    }
}

/// The structure bound counts bytes read, not bytes buffered: without a
/// size prefix the buffer may hold more than the frame, and whether a
/// frame decodes must not depend on what follows it.
#[test]
fn the_structure_bound_does_not_depend_on_what_follows() {
    let format = WireFormat {
        size_prefix: false,
        ..loose_cached()
    };
    let unprefixed = |mut f: BytesMut| {
        f.advance(4);
        f
    };
    // Slot 40: a chain of 40 LocalTransactionIds ending in a ConnectionId.
    let mut setup = unprefixed(remove_info(0, |b| {
        b.put_u8(120);
        b.put_u8(0);
    }));
    for n in 1..=40i16 {
        setup.extend_from_slice(&unprefixed(remove_info(n, |b| {
            b.put_u8(111);
            b.put_i64(7);
            hit(b, n - 1);
        })));
    }
    // A MessageAck with three hits on it: 123 structures from 15 bytes.
    let mut ack = BytesMut::new();
    ack.put_u8(22);
    ack.put_i32(0);
    ack.put_u8(0);
    hit(&mut ack, 40);
    hit(&mut ack, 40);
    hit(&mut ack, 40);
    ack.put_u8(0);
    ack.put_u8(0);
    ack.put_u8(0);
    ack.put_i32(0);
    ack.put_u8(0);
    for trailing in [0, 10_000] {
        let mut codec = Codec::new(format);
        let mut buf = setup.clone();
        for _ in 0..=40 {
            assert!(codec.read_frame(&mut buf).unwrap().is_some());
        }
        buf.extend_from_slice(&ack);
        buf.extend_from_slice(&vec![10; trailing]);
        assert!(
            matches!(codec.read_frame(&mut buf), Err(OpenWireError::Malformed(_))),
            "with {trailing} bytes after the frame"
        );
    }
}
