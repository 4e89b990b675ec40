//! The whole command set in every version and encoding, negotiation, and
//! what bad input gets.

use bytes::{BufMut, Bytes, BytesMut};
use openwire::negotiate::{negotiate, WireFormatOptions, MAGIC};
use openwire::primitive::PrimitiveMap;
use openwire::{
    Codec, ConsumerId, DataStructure, OpenWireError, OwString, Queue, WireFormat, WireFormatInfo,
};

fn formats(version: u8) -> Vec<WireFormat> {
    let mut out = Vec::new();
    for tight in [false, true] {
        for cache in [false, true] {
            for size_prefix in [false, true] {
                for stack_trace in [false, true] {
                    out.push(WireFormat {
                        version,
                        tight,
                        cache,
                        size_prefix,
                        stack_trace,
                        cache_size: 1024,
                        max_frame_size: 1 << 20,
                    });
                }
            }
        }
    }
    out
}

#[test]
fn every_structure_round_trips_in_every_version_and_encoding() {
    let mut checked = 0;
    for version in 1..=12u8 {
        let all: Vec<DataStructure> = DataStructure::defaults_for_version(version)
            .into_iter()
            .map(|s| match s {
                // The one fixed-size field: a default magic would not encode.
                DataStructure::WireFormatInfo(_) => {
                    DataStructure::WireFormatInfo(std::sync::Arc::new(WireFormatInfo {
                        magic: Bytes::from_static(MAGIC),
                        ..WireFormatInfo::default()
                    }))
                }
                other => other,
            })
            .collect();
        assert!(
            all.len() >= 50,
            "version {version}: {} structures",
            all.len()
        );
        for format in formats(version) {
            let mut writer = Codec::new(format);
            let mut reader = Codec::new(format);
            let mut wire = BytesMut::new();
            // Twice, so the second pass exercises cache hits.
            for s in all.iter().chain(all.iter()) {
                writer.write_frame(Some(s), &mut wire).expect("encode");
            }
            for s in all.iter().chain(all.iter()) {
                let got = reader
                    .read_frame(&mut wire)
                    .unwrap_or_else(|e| panic!("v{version} {format:?} {}: {e}", s.name()))
                    .expect("complete");
                assert_eq!(got.as_ref(), Some(s), "v{version} {format:?}");
                checked += 1;
            }
            assert!(wire.is_empty());
        }
    }
    assert!(checked > 10_000);
}

#[test]
fn a_structure_outside_its_versions_is_unknown() {
    // BrokerSubscriptionInfo (92) exists only from version 12.
    let v12 = WireFormat::initial(12);
    let mut wire = BytesMut::new();
    let all = DataStructure::defaults_for_version(12);
    let bsi = all
        .iter()
        .find(|s| s.kind() == openwire::DataType::BrokerSubscriptionInfo)
        .expect("BrokerSubscriptionInfo");
    Codec::new(v12)
        .write_frame(Some(bsi), &mut wire)
        .expect("encode");
    let err = Codec::new(WireFormat::initial(11)).read_frame(&mut wire);
    assert!(
        matches!(err, Err(OpenWireError::UnknownType(92))),
        "{err:?}"
    );
}

#[test]
fn cached_fields_use_the_cache_on_the_second_occurrence() {
    let format = WireFormat {
        cache: true,
        tight: true,
        cache_size: 1024,
        ..WireFormat::initial(12)
    };
    let consumer = |n| {
        DataStructure::ConsumerInfo(std::sync::Arc::new(openwire::ConsumerInfo {
            command_id: n,
            consumer_id: Some(DataStructure::ConsumerId(std::sync::Arc::new(ConsumerId {
                connection_id: Some(OwString::from(
                    "ID:a-very-long-connection-id-that-is-worth-caching:1",
                )),
                session_id: 1,
                value: 1,
            }))),
            destination: Some(DataStructure::Queue(std::sync::Arc::new(Queue {
                physical_name: Some(OwString::from("orders")),
            }))),
            ..Default::default()
        }))
    };
    let mut w = Codec::new(format);
    let (mut first, mut second) = (BytesMut::new(), BytesMut::new());
    w.write_frame(Some(&consumer(1)), &mut first)
        .expect("encode");
    w.write_frame(Some(&consumer(2)), &mut second)
        .expect("encode");
    assert!(
        second.len() + 50 < first.len(),
        "{} vs {}",
        second.len(),
        first.len()
    );
    let mut r = Codec::new(format);
    let mut both = first;
    both.extend_from_slice(&second);
    r.read_frame(&mut both).expect("first");
    let got = r.read_frame(&mut both).expect("second").expect("frame");
    assert_eq!(got, Some(consumer(2)));
}

fn options(
    version: i32,
    tight: bool,
    cache: bool,
    cache_size: i32,
    max_frame: i64,
) -> WireFormatOptions {
    WireFormatOptions {
        version,
        stack_trace: true,
        cache,
        tcp_no_delay: true,
        tight,
        size_prefix_disabled: false,
        max_frame_size: max_frame,
        cache_size,
        max_inactivity: 30_000,
        max_inactivity_initial_delay: 10_000,
        properties: PrimitiveMap::default(),
    }
}

#[test]
fn negotiation_takes_the_lower_version_and_ands_the_options() {
    let client = options(12, true, true, 1024, i64::MAX);
    let broker = options(9, false, true, 512, 100 << 20);
    let f = negotiate(&client, &broker);
    assert_eq!(f.version, 9);
    assert!(!f.tight);
    assert!(f.cache);
    assert_eq!(f.cache_size, 512);
    assert_eq!(f.max_frame_size, 100 << 20);
    assert!(f.size_prefix);
    assert_eq!(negotiate(&broker, &client), f, "symmetric");
}

#[test]
fn wire_format_info_options_survive_a_round_trip() {
    let o = options(11, true, false, 2048, 1 << 24);
    let info = o.to_info().expect("info");
    assert_eq!(info.magic.as_ref(), MAGIC);
    let back = WireFormatOptions::from_info(&info).expect("back");
    assert_eq!(
        (back.version, back.tight, back.cache, back.cache_size),
        (11, true, false, 2048)
    );
    assert_eq!(back.max_inactivity, 30_000);
    assert_eq!(back.max_inactivity_initial_delay, 10_000);
    let bad = WireFormatInfo {
        magic: Bytes::from_static(b"NotAMQ!!"),
        ..info
    };
    assert!(matches!(
        WireFormatOptions::from_info(&bad),
        Err(OpenWireError::BadMagic(_))
    ));
}

#[test]
fn bad_frames_get_typed_errors() {
    let f = WireFormat {
        max_frame_size: 1000,
        ..WireFormat::initial(12)
    };
    // Oversize, known from the prefix alone: nothing is buffered for it.
    let mut b = BytesMut::new();
    b.put_i32(5000);
    assert!(matches!(
        Codec::new(f).read_frame(&mut b),
        Err(OpenWireError::FrameTooLarge {
            size: 5000,
            max: 1000
        })
    ));
    let mut b = BytesMut::new();
    b.put_i32(-7);
    assert!(matches!(
        Codec::new(f).read_frame(&mut b),
        Err(OpenWireError::NegativeLength(-7))
    ));
    let mut b = BytesMut::new();
    b.put_i32(1);
    b.put_u8(250);
    assert!(matches!(
        Codec::new(f).read_frame(&mut b),
        Err(OpenWireError::UnknownType(250))
    ));
    // A frame whose body claims more than it holds.
    let mut b = BytesMut::new();
    b.put_i32(6);
    b.put_u8(30); // Response, loose
    b.put_i32(1);
    b.put_u8(0); // responseRequired, then correlationId is missing
    assert!(matches!(
        Codec::new(f).read_frame(&mut b),
        Err(OpenWireError::Truncated { .. })
    ));
    // Half a frame is not an error: wait for the rest.
    let mut b = BytesMut::new();
    b.put_i32(10);
    b.put_u8(30);
    assert!(matches!(Codec::new(f).read_frame(&mut b), Ok(None)));
    // A byte array claiming 2 GB in a small frame is refused without allocating.
    let mut b = BytesMut::new();
    b.put_i32(10);
    b.put_u8(60); // PartialCommand: commandId, data
    b.put_i32(1);
    b.put_u8(1);
    b.put_i32(i32::MAX);
    assert!(matches!(
        Codec::new(f).read_frame(&mut b),
        Err(OpenWireError::Truncated { .. })
    ));
}
